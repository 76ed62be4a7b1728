/*
 * Materialized views (view.c): a SQLite database of key -> value built from
 * a log, that knows the log offset it is valid at.  mview builds and reads
 * them; other tools (mjoin --table) read them through mlog_view_scan().
 *
 * The schema is fixed, for users' sqlite3 queries and other tools:
 *
 *	rows(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID
 *	applied(partition INTEGER PRIMARY KEY, next_offset INTEGER NOT NULL)
 *	meta(name TEXT PRIMARY KEY, value TEXT NOT NULL)
 *
 * key is the canonical compact JSON text of the key (members sorted, as
 * mlog_expr_value() prints with canon), value compact JSON.  applied holds,
 * per partition, the next log offset to apply; it is written in the same
 * transaction as the rows a batch changed, so a crash never loses or
 * repeats a record.  meta holds "format" (MLOG_VIEW_FORMAT) and the
 * definition the builder stores there.
 *
 * Functions return 0 (or a count, or 1 for found) and -1 with errno set;
 * mlog_view_error() says more (SQLite's message).  Nothing here prints or
 * exits.  A view is used by one thread.
 */
#ifndef MLOG_VIEW_H
#define MLOG_VIEW_H

#include <stddef.h>
#include <stdint.h>

#define MLOG_VIEW_FORMAT	1

/* mlog_view_open() flags */
#define MLOG_VIEW_WRITE		0x01	/* create, lock for the one builder */

/* How a key's value is folded from its records (mlog_view_num()). */
enum { MLOG_VIEW_COUNT, MLOG_VIEW_SUM, MLOG_VIEW_MIN, MLOG_VIEW_MAX };

struct mlog_view;
typedef int	mlog_view_row_fn(void *arg, const char *key, size_t klen,
		    const char *val, size_t vlen);

/* 1 when the file starts with SQLite's magic "SQLite format 3\0", 0 when
 * not, -1 with errno when it cannot be read. */
int		mlog_view_is_db(const char *path);
/* Open a view read-only and call fn for each row in key order (key and
 * value are JSON texts, valid during the call); fn returning non-zero stops
 * the scan and is returned.  -1 with errno, and mlog_view_error(NULL), when
 * the view cannot be read. */
int		mlog_view_scan(const char *path, mlog_view_row_fn *fn, void *arg);

/*
 * Open a view.  Read-only (flags 0) it must exist.  With MLOG_VIEW_WRITE
 * the file is created when missing (an empty file too), the schema made,
 * WAL journaling set, and an exclusive lock taken for the life of the view
 * (EBUSY: another builder holds it).  A file that is not a view fails with
 * EBADMSG, one of a newer format with ENOTSUP.  The caller owns the view.
 */
struct mlog_view *mlog_view_open(const char *path, int flags);
void		mlog_view_close(struct mlog_view *);
/* What went wrong in the last failed call on v; with v NULL, in the last
 * failed mlog_view_open() or mlog_view_scan(). */
const char	*mlog_view_error(const struct mlog_view *v);

/* meta: 1 and *value (malloc'd) when name is set, 0 when not. */
int		mlog_view_meta(struct mlog_view *, const char *name,
		    char **value);
/* Empty the view (rows, applied) and set its definition, the meta names
 * other than "format", in one transaction. */
int		mlog_view_define(struct mlog_view *, const char *const *names,
		    const char *const *values, size_t n);

/* The next offset per partition: *next (malloc'd, NULL when *n is 0) has
 * *n slots, -1 where a partition has none. */
int		mlog_view_positions(struct mlog_view *, int64_t **next,
		    uint32_t *n);
/* 1 and the value (malloc'd, NUL-terminated) of key, 0 when absent. */
int		mlog_view_get(struct mlog_view *, const char *key, size_t klen,
		    char **val, size_t *vlen);
int		mlog_view_rows(struct mlog_view *, uint64_t *n);
/* mlog_view_scan() on an open view. */
int		mlog_view_each(struct mlog_view *, mlog_view_row_fn *fn,
		    void *arg);
/* Wait until partition's next offset is past offset (the record at offset
 * has been applied), for at most timeout_us: 0 when it is, -1 with
 * ETIMEDOUT when not; *next is the next offset last seen (0 for none).
 * Wakes on inotify events in the database's directory, never on a timer. */
int		mlog_view_wait(struct mlog_view *, uint32_t partition,
		    uint64_t offset, int64_t timeout_us, int64_t *next);

/*
 * Building, in batches kept in memory until mlog_view_commit() writes
 * them and the positions in one transaction.
 * mlog_view_put(): the key's value becomes val (NULL: the key is deleted).
 * mlog_view_num(): fold x into the key's number (COUNT adds x as SUM does).
 */
int		mlog_view_put(struct mlog_view *, const void *key, size_t klen,
		    const void *val, size_t vlen);
int		mlog_view_num(struct mlog_view *, int how, const void *key,
		    size_t klen, double x);
int		mlog_view_position(struct mlog_view *, uint32_t partition,
		    uint64_t next);
/* Bytes the batch holds. */
size_t		mlog_view_pending(const struct mlog_view *);
/* Write the batch; on failure nothing of it is written and it is kept. */
int		mlog_view_commit(struct mlog_view *);

#endif

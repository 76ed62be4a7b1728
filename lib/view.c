/*
 * Materialized views: the SQLite side of mview (see view.h for the schema).
 * A builder folds records into an in-memory batch, one entry per key, and
 * writes the batch with the log positions it reached in one transaction:
 * the rows and the offsets they are valid at can never disagree, whatever
 * kills the builder.  The database is in WAL mode so that readers never
 * block the builder nor the builder them; synchronous=NORMAL means a power
 * loss may take the view back to an earlier commit, rows and positions
 * together.  Readers wait for a position on inotify in the database's
 * directory, where every commit writes the -wal file.
 */
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "internal.h"
#include "expr.h"
#include "view.h"

#define BUSY_MS		5000	/* a user's sqlite3 writing beside us */
#define TAB_MIN		1024
#define ERR_LEN		512
#define CACHE_KIB	"65536"	/* the builder's page cache: a batch of
				 * random keys touches most leaf pages */

static const char magic[16] = "SQLite format 3";	/* and its NUL */

static const char schema[] =
	"CREATE TABLE rows(key TEXT PRIMARY KEY, value TEXT NOT NULL) "
	"WITHOUT ROWID;"
	"CREATE TABLE applied(partition INTEGER PRIMARY KEY, "
	"next_offset INTEGER NOT NULL);"
	"CREATE TABLE meta(name TEXT PRIMARY KEY, value TEXT NOT NULL);";

enum { E_EMPTY, E_PUT, E_DEL, E_NUM, E_NONE };

/* One key of the batch; its bytes and a put value live in the arena. */
struct entry {
	uint64_t	hash;
	size_t		koff, voff;
	uint32_t	klen, vlen;
	int		state;
	int		dirty;
	double		num;
};

struct pos {
	uint32_t	partition;
	uint64_t	next;
};

struct mlog_view {
	sqlite3		*db;
	char		*path;
	int		 lockfd;
	char		 err[ERR_LEN];
	sqlite3_stmt	*st_get, *st_put, *st_del, *st_pos, *st_setpos;
	/* the batch */
	struct entry	*tab;
	size_t		 tcap, tn;
	unsigned char	*arena;
	size_t		 alen, acap;
	int		 intx;		/* the batch's transaction is open */
	struct entry	**ord;		/* dirty entries, sorted for writing */
	size_t		 ordcap;
	struct pos	*pos;
	size_t		 npos, poscap;
};

static char open_err[ERR_LEN];	/* of the last failed open or scan */

static void
seterr(char *buf, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *buf, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, ERR_LEN, fmt, ap);
	va_end(ap);
	errno = err;
}

/* errno for an SQLite result code. */
static int
sql_errno(sqlite3 *db, int rc)
{
	int sys;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return EBUSY;
	case SQLITE_NOMEM:
		return ENOMEM;
	case SQLITE_FULL:
		return ENOSPC;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return EACCES;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
	case SQLITE_FORMAT:
	case SQLITE_SCHEMA:
		return EBADMSG;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
		sys = db != NULL ? sqlite3_system_errno(db) : 0;
		return sys != 0 ? sys : EIO;
	default:
		return EIO;
	}
}

static int
fail(struct mlog_view *v, int rc)
{
	seterr(v->err, sql_errno(v->db, rc), "%s", sqlite3_errmsg(v->db));
	return -1;
}

static int
exec(struct mlog_view *v, const char *sql)
{
	int rc;

	if ((rc = sqlite3_exec(v->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		return fail(v, rc);
	return 0;
}

static int
prepare(struct mlog_view *v, sqlite3_stmt **st, const char *sql)
{
	int rc;

	if ((rc = sqlite3_prepare_v3(v->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    st, NULL)) != SQLITE_OK)
		return fail(v, rc);
	return 0;
}

/* Run a statement that returns no rows, and reset it. */
static int
step_done(struct mlog_view *v, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return fail(v, rc);
	return 0;
}

int
mlog_view_is_db(const char *path)
{
	char buf[sizeof(magic)];
	ssize_t n;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = pread_full(fd, buf, sizeof(buf), 0);
	saved = errno;
	close(fd);
	if (n < 0) {
		errno = saved;
		return -1;
	}
	return n == (ssize_t)sizeof(buf) && memcmp(buf, magic, sizeof(buf)) ==
	    0;
}

/* The format a view's meta says; EBADMSG when it has none. */
static int
check_format(struct mlog_view *v)
{
	sqlite3_stmt *st;
	const char *f;
	int rc, ok = 0;

	rc = sqlite3_prepare_v2(v->db, "SELECT value FROM meta WHERE "
	    "name = 'format'", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		/* no meta table: some other database */
		if ((rc & 0xff) == SQLITE_ERROR) {
			seterr(v->err, EBADMSG, "not an mview database");
			return -1;
		}
		return fail(v, rc);
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		f = (const char *)sqlite3_column_text(st, 0);
		if (f != NULL && strcmp(f, "1") == 0)
			ok = 1;
		else {
			seterr(v->err, ENOTSUP, "made by a newer mview (format "
			    "%.20s)", f != NULL ? f : "?");
			sqlite3_finalize(st);
			return -1;
		}
	} else if (rc != SQLITE_DONE) {
		sqlite3_finalize(st);
		return fail(v, rc);
	}
	sqlite3_finalize(st);
	if (!ok) {
		seterr(v->err, EBADMSG, "not an mview database");
		return -1;
	}
	return 0;
}

/* A new database gets the schema; an existing one must be a view. */
static int
init_schema(struct mlog_view *v)
{
	sqlite3_stmt *st;
	int rc, tables;

	if (exec(v, "BEGIN IMMEDIATE") < 0)
		return -1;
	if ((rc = sqlite3_prepare_v2(v->db, "SELECT count(*) FROM "
	    "sqlite_master", -1, &st, NULL)) != SQLITE_OK)
		goto sqlfail;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		goto sqlfail;
	}
	tables = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (tables == 0 && (exec(v, schema) < 0 || exec(v, "INSERT INTO "
	    "meta VALUES('format', '1')") < 0))
		goto fail;
	if (check_format(v) < 0)
		goto fail;
	if (exec(v, "COMMIT") < 0)
		goto fail;
	return 0;
sqlfail:
	fail(v, rc);
fail:
	rc = errno;
	sqlite3_exec(v->db, "ROLLBACK", NULL, NULL, NULL);
	errno = rc;
	return -1;
}

struct mlog_view *
mlog_view_open(const char *path, int flags)
{
	struct mlog_view *v;
	char head[sizeof(magic)];
	ssize_t n;
	int rc, saved, write = flags & MLOG_VIEW_WRITE;

	if ((v = calloc(1, sizeof(*v))) == NULL ||
	    (v->path = strdup(path)) == NULL) {
		free(v);
		seterr(open_err, ENOMEM, "%s", strerror(ENOMEM));
		return NULL;
	}
	v->lockfd = -1;
	if (write) {
		/* SQLite's own locks are POSIX ones, which flock(2) does not
		 * see; this descriptor stays open until SQLite has closed,
		 * since closing any descriptor of the file would drop
		 * SQLite's locks */
		if ((v->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC,
		    0666)) < 0) {
			seterr(v->err, errno, "%s", strerror(errno));
			goto fail;
		}
		if (flock(v->lockfd, LOCK_EX | LOCK_NB) < 0) {
			if (errno == EWOULDBLOCK)
				seterr(v->err, EBUSY, "another mview build "
				    "is running on it");
			else
				seterr(v->err, errno, "%s", strerror(errno));
			goto fail;
		}
		if ((n = pread_full(v->lockfd, head, sizeof(head), 0)) < 0) {
			seterr(v->err, errno, "%s", strerror(errno));
			goto fail;
		}
		if (n > 0 && (n < (ssize_t)sizeof(head) ||
		    memcmp(head, magic, sizeof(head)) != 0)) {
			seterr(v->err, EBADMSG, "not an mview database");
			goto fail;
		}
	} else if ((rc = mlog_view_is_db(path)) <= 0) {
		if (rc == 0)
			seterr(v->err, EBADMSG, "not an mview database");
		else
			seterr(v->err, errno, "%s", strerror(errno));
		goto fail;
	}
	rc = sqlite3_open_v2(path, &v->db, (write ? SQLITE_OPEN_READWRITE :
	    SQLITE_OPEN_READONLY) | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		if (v->db == NULL)
			seterr(v->err, ENOMEM, "%s", strerror(ENOMEM));
		else
			fail(v, rc);
		goto fail;
	}
	sqlite3_busy_timeout(v->db, BUSY_MS);
	if (write) {
		if (exec(v, "PRAGMA journal_mode=WAL") < 0 ||
		    exec(v, "PRAGMA synchronous=NORMAL") < 0 ||
		    exec(v, "PRAGMA cache_size=-" CACHE_KIB) < 0 ||
		    init_schema(v) < 0 ||
		    prepare(v, &v->st_put, "INSERT OR REPLACE INTO rows"
		    "(key, value) VALUES(?1, ?2)") < 0 ||
		    prepare(v, &v->st_del, "DELETE FROM rows WHERE "
		    "key = ?1") < 0 ||
		    prepare(v, &v->st_setpos, "INSERT OR REPLACE INTO "
		    "applied(partition, next_offset) VALUES(?1, ?2)") < 0)
			goto fail;
	} else if (check_format(v) < 0)
		goto fail;
	if (prepare(v, &v->st_get, "SELECT value FROM rows WHERE "
	    "key = ?1") < 0 ||
	    prepare(v, &v->st_pos, "SELECT next_offset FROM applied WHERE "
	    "partition = ?1") < 0)
		goto fail;
	return v;
fail:
	saved = errno;
	memcpy(open_err, v->err, sizeof(open_err));
	mlog_view_close(v);
	errno = saved;
	return NULL;
}

void
mlog_view_close(struct mlog_view *v)
{
	if (v == NULL)
		return;
	sqlite3_finalize(v->st_get);
	sqlite3_finalize(v->st_put);
	sqlite3_finalize(v->st_del);
	sqlite3_finalize(v->st_pos);
	sqlite3_finalize(v->st_setpos);
	sqlite3_close(v->db);
	if (v->lockfd >= 0)
		close(v->lockfd);
	free(v->tab);
	free(v->ord);
	free(v->arena);
	free(v->pos);
	free(v->path);
	free(v);
}

const char *
mlog_view_error(const struct mlog_view *v)
{
	return v != NULL ? v->err : open_err;
}

int
mlog_view_meta(struct mlog_view *v, const char *name, char **value)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = sqlite3_prepare_v2(v->db, "SELECT value FROM meta WHERE "
	    "name = ?1", -1, &st, NULL)) != SQLITE_OK)
		return fail(v, rc);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		if ((*value = strdup(t != NULL ? t : "")) == NULL) {
			sqlite3_finalize(st);
			seterr(v->err, ENOMEM, "%s", strerror(ENOMEM));
			return -1;
		}
		sqlite3_finalize(st);
		return 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fail(v, rc);
	return 0;
}

int
mlog_view_define(struct mlog_view *v, const char *const *names,
    const char *const *values, size_t n)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc, saved;

	if (exec(v, "BEGIN IMMEDIATE") < 0)
		return -1;
	if (exec(v, "DELETE FROM rows; DELETE FROM applied; "
	    "DELETE FROM meta WHERE name != 'format'") < 0)
		goto fail;
	if ((rc = sqlite3_prepare_v2(v->db, "INSERT OR REPLACE INTO meta"
	    "(name, value) VALUES(?1, ?2)", -1, &st, NULL)) != SQLITE_OK) {
		fail(v, rc);
		goto fail;
	}
	for (i = 0; i < n; i++) {
		sqlite3_bind_text(st, 1, names[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, values[i], -1, SQLITE_STATIC);
		if (step_done(v, st) < 0)
			goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (exec(v, "COMMIT") < 0)
		goto fail;
	return 0;
fail:
	saved = errno;
	sqlite3_finalize(st);
	sqlite3_exec(v->db, "ROLLBACK", NULL, NULL, NULL);
	errno = saved;
	return -1;
}

int
mlog_view_positions(struct mlog_view *v, int64_t **next, uint32_t *n)
{
	sqlite3_stmt *st;
	int64_t *a = NULL, *b, p;
	uint32_t cnt = 0, i;
	int rc;

	if ((rc = sqlite3_prepare_v2(v->db, "SELECT partition, next_offset "
	    "FROM applied ORDER BY partition", -1, &st, NULL)) != SQLITE_OK)
		return fail(v, rc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		p = sqlite3_column_int64(st, 0);
		if (p < 0 || p >= 65536) {
			sqlite3_finalize(st);
			free(a);
			seterr(v->err, EBADMSG, "applied: partition %lld out "
			    "of range", (long long)p);
			return -1;
		}
		if ((uint32_t)p >= cnt) {
			if ((b = reallocarray(a, (size_t)p + 1,
			    sizeof(*a))) == NULL) {
				sqlite3_finalize(st);
				free(a);
				seterr(v->err, ENOMEM, "%s", strerror(ENOMEM));
				return -1;
			}
			a = b;
			for (i = cnt; i <= (uint32_t)p; i++)
				a[i] = -1;
			cnt = (uint32_t)p + 1;
		}
		a[p] = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(a);
		return fail(v, rc);
	}
	*next = a;
	*n = cnt;
	return 0;
}

int
mlog_view_get(struct mlog_view *v, const char *key, size_t klen, char **val,
    size_t *vlen)
{
	const unsigned char *t;
	size_t n;
	char *s;
	int rc;

	sqlite3_bind_text(v->st_get, 1, key, (int)klen, SQLITE_STATIC);
	rc = sqlite3_step(v->st_get);
	if (rc == SQLITE_ROW) {
		t = sqlite3_column_text(v->st_get, 0);
		n = (size_t)sqlite3_column_bytes(v->st_get, 0);
		if ((s = malloc(n + 1)) == NULL) {
			sqlite3_reset(v->st_get);
			seterr(v->err, ENOMEM, "%s", strerror(ENOMEM));
			return -1;
		}
		if (n > 0)
			memcpy(s, t, n);
		s[n] = '\0';
		*val = s;
		*vlen = n;
		rc = 1;
	} else if (rc == SQLITE_DONE)
		rc = 0;
	else {
		fail(v, rc);
		rc = -1;
	}
	sqlite3_reset(v->st_get);
	sqlite3_clear_bindings(v->st_get);
	return rc;
}

int
mlog_view_rows(struct mlog_view *v, uint64_t *n)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = sqlite3_prepare_v2(v->db, "SELECT count(*) FROM rows", -1,
	    &st, NULL)) != SQLITE_OK)
		return fail(v, rc);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : fail(v, rc);
}

/* The rows in key order to fn; *failed tells SQLite's errors from what fn
 * returned. */
static int
each(struct mlog_view *v, mlog_view_row_fn *fn, void *arg, int *failed)
{
	sqlite3_stmt *st;
	int rc, r = 0;

	*failed = 0;
	if ((rc = sqlite3_prepare_v2(v->db, "SELECT key, value FROM rows "
	    "ORDER BY key", -1, &st, NULL)) != SQLITE_OK) {
		*failed = 1;
		return fail(v, rc);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		size_t kn = (size_t)sqlite3_column_bytes(st, 0);
		const char *val = (const char *)sqlite3_column_text(st, 1);
		size_t vn = (size_t)sqlite3_column_bytes(st, 1);
		if ((r = fn(arg, k != NULL ? k : "", kn, val != NULL ? val : "",
		    vn)) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (r != 0)
		return r;
	if (rc != SQLITE_DONE) {
		*failed = 1;
		return fail(v, rc);
	}
	return 0;
}

int
mlog_view_each(struct mlog_view *v, mlog_view_row_fn *fn, void *arg)
{
	int failed;

	return each(v, fn, arg, &failed);
}

int
mlog_view_scan(const char *path, mlog_view_row_fn *fn, void *arg)
{
	struct mlog_view *v;
	int r, failed, saved;

	if ((v = mlog_view_open(path, 0)) == NULL)
		return -1;
	r = each(v, fn, arg, &failed);
	saved = errno;
	if (failed)
		memcpy(open_err, v->err, sizeof(open_err));
	mlog_view_close(v);
	errno = saved;
	return r;
}

/* The next offset of a partition, 0 when none is stored. */
static int
position(struct mlog_view *v, uint32_t partition, int64_t *next)
{
	int rc;

	sqlite3_bind_int64(v->st_pos, 1, partition);
	rc = sqlite3_step(v->st_pos);
	*next = rc == SQLITE_ROW ? sqlite3_column_int64(v->st_pos, 0) : 0;
	sqlite3_reset(v->st_pos);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(v, rc);
	return 0;
}

int
mlog_view_wait(struct mlog_view *v, uint32_t partition, uint64_t offset,
    int64_t timeout_us, int64_t *next)
{
	struct pollfd pfd;
	char *dir = NULL;
	int64_t deadline, left, cur = 0;
	int saved, rc = -1;

	pfd.fd = -1;
	pfd.events = POLLIN;
	deadline = mlog_now_us() + timeout_us;
	/* watched before the first look, so no commit falls between */
	if ((dir = strdup(v->path)) == NULL ||
	    (pfd.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0 ||
	    inotify_add_watch(pfd.fd, dirname(dir), IN_MODIFY | IN_CREATE |
	    IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR) < 0) {
		seterr(v->err, errno, "inotify: %s", strerror(errno));
		goto out;
	}
	for (;;) {
		if (inotify_drain(pfd.fd) < 0) {
			seterr(v->err, errno, "inotify: %s", strerror(errno));
			goto out;
		}
		if (position(v, partition, &cur) < 0)
			goto out;
		if (cur > 0 && (uint64_t)cur > offset) {
			rc = 0;
			break;
		}
		if ((left = deadline - mlog_now_us()) <= 0) {
			seterr(v->err, ETIMEDOUT, "%s", strerror(ETIMEDOUT));
			break;
		}
		if (left > INT32_MAX * 1000LL)
			left = INT32_MAX * 1000LL;
		if (poll(&pfd, 1, (int)((left + 999) / 1000)) < 0 &&
		    errno != EINTR) {
			seterr(v->err, errno, "poll: %s", strerror(errno));
			goto out;
		}
	}
	*next = cur;
out:
	saved = errno;
	if (pfd.fd >= 0)
		close(pfd.fd);
	free(dir);
	errno = saved;
	return rc;
}

/* ---- the batch ---- */

static uint64_t
hash(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n-- > 0)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

static int
arena_add(struct mlog_view *v, const void *p, size_t n, size_t *off)
{
	unsigned char *a;
	size_t cap;

	if (n > v->acap - v->alen) {
		cap = v->acap ? v->acap : 64 * 1024;
		while (cap - v->alen < n)
			cap *= 2;
		if ((a = realloc(v->arena, cap)) == NULL) {
			seterr(v->err, ENOMEM, "%s", strerror(ENOMEM));
			return -1;
		}
		v->arena = a;
		v->acap = cap;
	}
	if (n > 0)
		memcpy(v->arena + v->alen, p, n);
	*off = v->alen;
	v->alen += n;
	return 0;
}

static int
tab_grow(struct mlog_view *v)
{
	struct entry *t, *e;
	size_t cap = v->tcap ? v->tcap * 2 : TAB_MIN, i, j;

	if ((t = calloc(cap, sizeof(*t))) == NULL) {
		seterr(v->err, ENOMEM, "%s", strerror(ENOMEM));
		return -1;
	}
	for (i = 0; i < v->tcap; i++) {
		e = &v->tab[i];
		if (e->state == E_EMPTY)
			continue;
		for (j = e->hash & (cap - 1); t[j].state != E_EMPTY;
		    j = (j + 1) & (cap - 1))
			;
		t[j] = *e;
	}
	free(v->tab);
	v->tab = t;
	v->tcap = cap;
	return 0;
}

/* The batch's entry for key, made (state E_EMPTY) when new. */
static struct entry *
lookup(struct mlog_view *v, const void *key, size_t klen)
{
	struct entry *e;
	uint64_t h = hash(key, klen);
	size_t i;

	if (klen > UINT32_MAX) {
		seterr(v->err, EMSGSIZE, "key too long");
		return NULL;
	}
	if ((v->tn + 1) * 2 > v->tcap && tab_grow(v) < 0)
		return NULL;
	for (i = h & (v->tcap - 1); v->tab[i].state != E_EMPTY;
	    i = (i + 1) & (v->tcap - 1)) {
		e = &v->tab[i];
		if (e->hash == h && e->klen == klen &&
		    memcmp(v->arena + e->koff, key, klen) == 0)
			return e;
	}
	e = &v->tab[i];
	memset(e, 0, sizeof(*e));
	if (arena_add(v, key, klen, &e->koff) < 0)
		return NULL;
	e->hash = h;
	e->klen = (uint32_t)klen;
	v->tn++;
	return e;
}

int
mlog_view_put(struct mlog_view *v, const void *key, size_t klen,
    const void *val, size_t vlen)
{
	struct entry *e;

	if (vlen > UINT32_MAX) {
		seterr(v->err, EMSGSIZE, "value too long");
		return -1;
	}
	if ((e = lookup(v, key, klen)) == NULL)
		return -1;
	if (val == NULL) {
		e->state = E_DEL;
	} else {
		if (arena_add(v, val, vlen, &e->voff) < 0) {
			if (e->state == E_EMPTY)
				e->state = E_DEL;	/* keep the table whole */
			return -1;
		}
		e->vlen = (uint32_t)vlen;
		e->state = E_PUT;
	}
	e->dirty = 1;
	return 0;
}

/* A number stored by an earlier batch. */
static int
load_num(struct mlog_view *v, struct entry *e)
{
	const char *t;
	char *end;
	int rc;

	/* one transaction for the batch's reads too: a lock per read
	 * would cost two system calls */
	if (!v->intx) {
		if (exec(v, "BEGIN IMMEDIATE") < 0)
			return -1;
		v->intx = 1;
	}
	sqlite3_bind_text(v->st_get, 1, (const char *)v->arena + e->koff,
	    (int)e->klen, SQLITE_STATIC);
	rc = sqlite3_step(v->st_get);
	e->state = E_NONE;
	if (rc == SQLITE_ROW) {
		t = (const char *)sqlite3_column_text(v->st_get, 0);
		e->num = t != NULL ? strtod(t, &end) : 0;
		if (t == NULL || end == t || *end != '\0') {
			sqlite3_reset(v->st_get);
			seterr(v->err, EBADMSG, "rows: the value of %.*s is "
			    "not a number", (int)(e->klen > 200 ? 200 :
			    e->klen), (const char *)v->arena + e->koff);
			return -1;
		}
		e->state = E_NUM;
	}
	sqlite3_reset(v->st_get);
	sqlite3_clear_bindings(v->st_get);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(v, rc);
	return 0;
}

int
mlog_view_num(struct mlog_view *v, int how, const void *key, size_t klen,
    double x)
{
	struct entry *e;

	if ((e = lookup(v, key, klen)) == NULL)
		return -1;
	if (e->state == E_EMPTY && load_num(v, e) < 0) {
		e->state = E_NONE;	/* a failed batch is not committed */
		return -1;
	}
	if (e->state == E_NONE) {
		e->num = x;
		e->state = E_NUM;
		e->dirty = 1;
		return 0;
	}
	switch (how) {
	case MLOG_VIEW_COUNT:
	case MLOG_VIEW_SUM:
		e->num += x;
		e->dirty = 1;
		break;
	case MLOG_VIEW_MIN:
		if (x < e->num) {
			e->num = x;
			e->dirty = 1;
		}
		break;
	case MLOG_VIEW_MAX:
		if (x > e->num) {
			e->num = x;
			e->dirty = 1;
		}
		break;
	}
	return 0;
}

int
mlog_view_position(struct mlog_view *v, uint32_t partition, uint64_t next)
{
	struct pos *p;
	size_t i;

	for (i = 0; i < v->npos; i++)
		if (v->pos[i].partition == partition) {
			v->pos[i].next = next;
			return 0;
		}
	if (v->npos == v->poscap) {
		if ((p = reallocarray(v->pos, v->poscap ? v->poscap * 2 : 8,
		    sizeof(*p))) == NULL) {
			seterr(v->err, ENOMEM, "%s", strerror(ENOMEM));
			return -1;
		}
		v->pos = p;
		v->poscap = v->poscap ? v->poscap * 2 : 8;
	}
	v->pos[v->npos].partition = partition;
	v->pos[v->npos++].next = next;
	return 0;
}

size_t
mlog_view_pending(const struct mlog_view *v)
{
	return v->alen + v->tn * sizeof(struct entry);
}

static int
write_entry(struct mlog_view *v, const struct entry *e)
{
	char num[40];
	const char *key = (const char *)v->arena + e->koff;

	if (e->state == E_DEL) {
		sqlite3_bind_text(v->st_del, 1, key, (int)e->klen,
		    SQLITE_STATIC);
		return step_done(v, v->st_del);
	}
	sqlite3_bind_text(v->st_put, 1, key, (int)e->klen, SQLITE_STATIC);
	if (e->state == E_PUT)
		sqlite3_bind_text(v->st_put, 2, (const char *)v->arena +
		    e->voff, (int)e->vlen, SQLITE_STATIC);
	else
		sqlite3_bind_text(v->st_put, 2, num,
		    (int)mlog_json_fmtnum(e->num, num), SQLITE_STATIC);
	return step_done(v, v->st_put);
}

static int
keycmp(const void *a, const void *b, void *arg)
{
	const struct entry *x = *(struct entry *const *)a;
	const struct entry *y = *(struct entry *const *)b;
	const unsigned char *arena = arg;
	int c;

	c = memcmp(arena + x->koff, arena + y->koff, x->klen < y->klen ?
	    x->klen : y->klen);
	if (c != 0)
		return c;
	return x->klen < y->klen ? -1 : x->klen > y->klen;
}

int
mlog_view_commit(struct mlog_view *v)
{
	size_t i, n;
	int saved;

	if (v->tn == 0 && v->npos == 0)
		return 0;
	/* in key order, the B-tree is written page after page */
	if (v->tn > v->ordcap) {
		free(v->ord);
		if ((v->ord = calloc(v->tcap, sizeof(*v->ord))) == NULL) {
			v->ordcap = 0;
			seterr(v->err, ENOMEM, "%s", strerror(ENOMEM));
			return -1;
		}
		v->ordcap = v->tcap;
	}
	for (i = 0, n = 0; i < v->tcap; i++)
		if (v->tab[i].dirty && v->tab[i].state != E_EMPTY &&
		    v->tab[i].state != E_NONE)
			v->ord[n++] = &v->tab[i];
	qsort_r(v->ord, n, sizeof(*v->ord), keycmp, v->arena);
	if (!v->intx) {
		if (exec(v, "BEGIN IMMEDIATE") < 0)
			return -1;
		v->intx = 1;
	}
	for (i = 0; i < n; i++)
		if (write_entry(v, v->ord[i]) < 0)
			goto fail;
	for (i = 0; i < v->npos; i++) {
		sqlite3_bind_int64(v->st_setpos, 1, v->pos[i].partition);
		sqlite3_bind_int64(v->st_setpos, 2, (int64_t)v->pos[i].next);
		if (step_done(v, v->st_setpos) < 0)
			goto fail;
	}
	if (exec(v, "COMMIT") < 0)
		goto fail;
	v->intx = 0;
	if (v->tcap > 0)
		memset(v->tab, 0, v->tcap * sizeof(*v->tab));
	v->tn = 0;
	v->alen = 0;
	v->npos = 0;
	return 0;
fail:
	saved = errno;
	sqlite3_exec(v->db, "ROLLBACK", NULL, NULL, NULL);
	v->intx = 0;
	errno = saved;
	return -1;
}

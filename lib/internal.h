/*
 * Internal interfaces shared by the library's files; not for binaries.
 */
#ifndef MLOG_INTERNAL_H
#define MLOG_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "mlog.h"

#define SEG_MAGIC	"mlogseg1"	/* appended: dense offsets */
#define SEG_MAGIC_COMPACT "mlogsegc"	/* compacted: increasing offsets */
#define IDX_MAGIC	"mlogidx1"
#define IDX_HDR		16
#define IDX_ENTRY	16
#define NAME_LEN	32	/* 20 digits, extension, NUL */

/*
 * n bytes equal.  For the short texts of field names and keys a loop is
 * about twice as fast as the call to memcmp (measured on mwindow).
 */
static inline int
same_bytes(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	size_t i;

	for (i = 0; i < n; i++)
		if (x[i] != y[i])
			return 0;
	return 1;
}

static inline uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline uint64_t
get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static inline void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

static inline void
put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* One index entry: the record at offset base+rel starts at byte pos, and
 * every record before it in the segment has a timestamp <= maxts. */
struct idx_entry {
	uint32_t	rel;
	uint32_t	pos;
	int64_t		maxts;
};

/* segment.c */
void	seg_header(unsigned char *hdr, uint64_t base, int64_t created,
	    int compacted);
/* compacted may be NULL; it is set to 1 for a "mlogsegc" segment. */
int	seg_header_check(const unsigned char *hdr, uint64_t base,
	    int64_t *created, int *compacted);
void	idx_header(unsigned char *hdr, uint64_t base);
void	idx_pack(unsigned char *p, const struct idx_entry *);
void	idx_unpack(const unsigned char *p, struct idx_entry *);

/* index.c */
/* A segment scan: walks valid records from a position, tracking what an
 * index needs.  Used by recovery, index rebuilds and end-offset lookups. */
struct seg_scan {
	uint64_t	base;
	uint64_t	pos;		/* where the next record starts */
	uint64_t	next;		/* offset the next record must exceed-1 */
	int64_t		maxts;		/* max timestamp before pos */
	uint64_t	lastidx;	/* position of the last index entry */
	uint64_t	nrec;
};
/* Scan records from s->pos to limit (file size).  When idxfd >= 0, index
 * entries due are appended to it.  Stops at the first invalid or
 * incomplete record; returns 0, or -1 on I/O error. */
void	seg_scan_init(struct seg_scan *s, uint64_t base);
/* Note a record at pos; returns 1 and fills *e when an index entry is due
 * there. */
static inline int
seg_scan_note(struct seg_scan *s, uint64_t pos, uint64_t off, int64_t ts,
    size_t len, struct idx_entry *e)
{
	int due = 0;

	if (pos - s->lastidx >= MLOG_INDEX_INTERVAL) {
		e->rel = (uint32_t)(off - s->base);
		e->pos = (uint32_t)pos;
		e->maxts = s->maxts;
		s->lastidx = pos;
		due = 1;
	}
	if (ts > s->maxts)
		s->maxts = ts;
	s->next = off + 1;
	s->pos = pos + len;
	s->nrec++;
	return due;
}
int	seg_scan_run(int segfd, struct seg_scan *s, uint64_t limit, int idxfd);
/* Start a scan at the last index entry of idxfd that agrees with the
 * segment (or at the segment start); with fix, damaged entries are cut
 * from the index file (or it is rewritten). */
int	seg_scan_from_index(int segfd, int idxfd, uint64_t base, uint64_t segsize,
	    int fix, struct seg_scan *s);
/* 1 when a valid record with an offset from minoff on follows pos in the
 * segment: the invalid bytes at pos are damage, not a torn tail. */
int	seg_records_after(int segfd, uint64_t pos, uint64_t size,
	    uint64_t minoff);
int	idx_find_offset(int idxfd, uint64_t base, uint64_t off,
	    uint64_t segsize, struct idx_entry *e);
int	idx_find_time(int idxfd, int64_t ts, uint64_t segsize,
	    struct idx_entry *e);

/* log.c */
/* Take (LOCK_EX or LOCK_SH, maybe | LOCK_NB) the partition lock appenders
 * hold while they write; returns the descriptor holding it (close it to
 * unlock).  Retention, compaction and repairs change segments under it. */
int	partition_lock(int partfd, int op);
/* Persist a partition's new start offset (pN/start). */
int	log_start_store(int partfd, uint64_t start);

/* retain.c: mlog_trim_partition() for a caller holding the lock. */
int	trim_locked(struct mlog_log *, uint32_t pn,
	    const struct mlog_trim_opts *, mlog_trim_fn fn, void *arg,
	    uint64_t *newstart);

/* util */
int	write_all(int fd, const void *buf, size_t len);
/* pwrite(2) all of buf at off, again after a short count or EINTR. */
int	pwrite_all(int fd, const void *buf, size_t len, off_t off);
/* Create dirfd/NAME.tmp.XXXXXX (flags: O_WRONLY or O_RDWR, maybe O_APPEND)
 * for a rename over NAME: six random characters and O_EXCL | O_NOFOLLOW,
 * so a file or link planted under a name known in advance is never written
 * through.  The name goes to tmp (offsets.c). */
int	tmp_open(int dirfd, const char *name, int flags, char *tmp,
	    size_t len);
/* Replace dirfd/name with text atomically: temporary file, fsync, rename,
 * fsync of the directory (offsets.c). */
int	replace_file(int dirfd, const char *name, const char *text,
	    size_t len);
/* Read and drop pending inotify events (watch.c). */
int	inotify_drain(int fd);
ssize_t	pread_full(int fd, void *buf, size_t len, off_t off);
/* Exactly len bytes at off, or -1: errno from pread(2), or EBADMSG when
 * the file ends first. */
int	pread_exact(int fd, void *buf, size_t len, off_t off);

#endif

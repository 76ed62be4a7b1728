/*
 * Appending: any number of processes append to a log at once.  Each batch
 * is written under an flock(2) on the partition's lock file, in one write
 * per segment touched.  On taking the lock a writer catches up with what
 * other writers did since (their records, their index entries, a segment
 * roll) and cuts a torn tail left by a writer that died mid-write, so the
 * records before its own are always a valid chain.  A failed write is
 * undone before the lock is released: nothing half-written stays behind.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

struct part {
	int		 lockfd, segfd, idxfd;
	int		 open;		/* segfd/idxfd/state are current */
	int		 dirty;		/* written since the last sync */
	int		 newdir;	/* a segment was created since */
	uint64_t	 base;
	int64_t		 created;
	struct seg_scan	 s;		/* s.pos = valid end of the segment */
};

struct mlog_writer {
	struct mlog_log		*log;
	enum mlog_fsync		 mode;
	mlog_recovery_fn	 fn;
	void			*arg;
	struct part		*parts;
	unsigned char		*ient;	/* index entries of one batch */
	size_t			 icap;
	int			 retain_err;
};

struct mlog_writer *
mlog_writer_open(struct mlog_log *log, enum mlog_fsync mode,
    mlog_recovery_fn fn, void *arg)
{
	struct mlog_writer *w;
	uint32_t i;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if ((w->parts = calloc(log->partitions, sizeof(*w->parts))) == NULL) {
		free(w);
		return NULL;
	}
	for (i = 0; i < log->partitions; i++)
		w->parts[i].lockfd = w->parts[i].segfd = w->parts[i].idxfd = -1;
	w->log = log;
	w->mode = mode;
	w->fn = fn;
	w->arg = arg;
	return w;
}

static void
part_close_files(struct part *p)
{
	if (p->segfd >= 0)
		close(p->segfd);
	if (p->idxfd >= 0)
		close(p->idxfd);
	p->segfd = p->idxfd = -1;
	p->open = 0;
}

/* Count the records (or fragments) in a cut tail, for the report. */
static uint64_t
tail_records(int segfd, uint64_t pos, uint64_t end)
{
	unsigned char b[4];
	uint64_t n = 0, len;

	while (pos < end) {
		n++;
		if (end - pos < 4 || pread_full(segfd, b, 4, (off_t)pos) != 4)
			break;
		len = (uint64_t)get32(b) + 4;
		if (len < MLOG_REC_HDR)
			break;
		pos += len;
	}
	return n;
}

/* Scan from the index to the end of the segment, cut a torn tail. */
static int
part_catch_up(struct mlog_writer *w, uint32_t pn, uint64_t size)
{
	struct part *p = &w->parts[pn];
	struct mlog_recovery r;

	if (seg_scan_from_index(p->segfd, p->idxfd, p->base, size, 1,
	    &p->s) < 0 || seg_scan_run(p->segfd, &p->s, size, p->idxfd) < 0)
		return -1;
	if (p->s.pos < size) {
		r.partition = pn;
		r.segment = p->base;
		r.position = p->s.pos;
		r.bytes = size - p->s.pos;
		r.refused = 0;
		/* valid records after the invalid bytes: damage, not a tail */
		if ((r.refused = seg_records_after(p->segfd, p->s.pos, size,
		    p->s.next)) != 0) {
			if (r.refused < 0)
				return -1;
			r.records = 0;
			if (w->fn != NULL)
				w->fn(w->arg, &r);
			errno = EBADMSG;
			return -1;
		}
		r.records = tail_records(p->segfd, p->s.pos, size);
		if (ftruncate(p->segfd, (off_t)p->s.pos) < 0)
			return -1;
		if (w->fn != NULL)
			w->fn(w->arg, &r);
	}
	return 0;
}

static int
seg_create(struct mlog_writer *w, uint32_t pn, uint64_t base, int64_t now)
{
	struct part *p = &w->parts[pn];
	int pfd = w->log->partfd[pn];
	unsigned char hdr[MLOG_SEG_HDR];
	char name[NAME_LEN];
	int segfd, idxfd;

	mlog_segment_name(name, sizeof(name), base, "idx");
	if ((idxfd = openat(pfd, name, O_RDWR | O_CREAT | O_TRUNC | O_APPEND |
	    O_CLOEXEC | O_NOFOLLOW, 0666)) < 0)
		return -1;
	idx_header(hdr, base);
	if (write_all(idxfd, hdr, IDX_HDR) < 0) {
		close(idxfd);
		return -1;
	}
	mlog_segment_name(name, sizeof(name), base, "log");
	if ((segfd = openat(pfd, name, O_RDWR | O_CREAT | O_TRUNC | O_APPEND |
	    O_CLOEXEC | O_NOFOLLOW, 0666)) < 0) {
		close(idxfd);
		return -1;
	}
	seg_header(hdr, base, now, 0);
	if (write_all(segfd, hdr, MLOG_SEG_HDR) < 0 ||
	    (w->mode == MLOG_FSYNC_ALWAYS && fsync(pfd) < 0)) {
		close(segfd);
		close(idxfd);
		return -1;
	}
	part_close_files(p);
	p->segfd = segfd;
	p->idxfd = idxfd;
	p->base = base;
	p->created = now;
	p->newdir = 1;
	seg_scan_init(&p->s, base);
	p->open = 1;
	return 0;
}

/* Find the active (last) segment and its valid end from scratch. */
static int
part_reopen(struct mlog_writer *w, uint32_t pn)
{
	struct part *p = &w->parts[pn];
	int pfd = w->log->partfd[pn];
	unsigned char hdr[MLOG_SEG_HDR];
	char name[NAME_LEN];
	uint64_t *bases, base;
	struct stat st;
	size_t n;

	part_close_files(p);
	if (mlog_log_segments(pfd, &bases, &n) < 0)
		return -1;
	base = n ? bases[n - 1] : 0;
	free(bases);
	if (n == 0)
		return seg_create(w, pn, 0, mlog_now_us());
	mlog_segment_name(name, sizeof(name), base, "log");
	if ((p->segfd = openat(pfd, name, O_RDWR | O_APPEND | O_CLOEXEC |
	    O_NOFOLLOW)) < 0 || fstat(p->segfd, &st) < 0)
		return -1;
	if (st.st_size < MLOG_SEG_HDR) {
		/* a roll that stopped before the header was written */
		part_close_files(p);
		return seg_create(w, pn, base, mlog_now_us());
	}
	if (pread_exact(p->segfd, hdr, MLOG_SEG_HDR, 0) < 0)
		return -1;
	if (seg_header_check(hdr, base, &p->created, NULL) < 0) {
		errno = EBADMSG;
		return -1;
	}
	mlog_segment_name(name, sizeof(name), base, "idx");
	if ((p->idxfd = openat(pfd, name, O_RDWR | O_CREAT | O_APPEND |
	    O_CLOEXEC | O_NOFOLLOW, 0666)) < 0)
		return -1;
	p->base = base;
	if (part_catch_up(w, pn, (uint64_t)st.st_size) < 0)
		return -1;
	p->open = 1;
	return 0;
}

/* Under the lock: bring the state up to date with the files. */
static int
part_sync(struct mlog_writer *w, uint32_t pn)
{
	struct part *p = &w->parts[pn];
	char name[NAME_LEN];
	struct stat st;

	if (!p->open)
		return part_reopen(w, pn);
	if (fstat(p->segfd, &st) < 0)
		return -1;
	if ((uint64_t)st.st_size < p->s.pos)
		return part_reopen(w, pn);
	if ((uint64_t)st.st_size > p->s.pos &&
	    part_catch_up(w, pn, (uint64_t)st.st_size) < 0)
		return -1;
	/* another writer rolled: the next segment is named by our end */
	mlog_segment_name(name, sizeof(name), p->s.next, "log");
	if (fstatat(w->log->partfd[pn], name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return part_reopen(w, pn);
	return errno == ENOENT ? 0 : -1;
}

static int
part_lock(struct mlog_writer *w, uint32_t pn)
{
	struct part *p = &w->parts[pn];

	if (p->lockfd < 0 && (p->lockfd = openat(w->log->partfd[pn], "lock",
	    O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666)) < 0)
		return -1;
	while (flock(p->lockfd, LOCK_EX) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/*
 * A new segment, then the log's own retention settings applied to the
 * sealed ones.  Retention is housekeeping: when it fails the append still
 * succeeds, and the failure is kept for mlog_writer_retain_error().
 */
static int
roll(struct mlog_writer *w, uint32_t pn, int64_t now)
{
	struct part *p = &w->parts[pn];
	struct mlog_trim_opts o;
	uint64_t start;

	if (w->mode != MLOG_FSYNC_NEVER && fdatasync(p->segfd) < 0)
		return -1;
	if (seg_create(w, pn, p->s.next, now) < 0)
		return -1;
	if (w->log->retain_age_us == 0 && w->log->retain_bytes == 0)
		return 0;
	o.max_age_us = w->log->retain_age_us ? w->log->retain_age_us : -1;
	o.max_bytes = w->log->retain_bytes ? w->log->retain_bytes :
	    MLOG_TRIM_NONE;
	o.max_records = MLOG_TRIM_NONE;
	o.now = now;
	o.dry_run = 0;
	if (trim_locked(w->log, pn, &o, NULL, NULL, &start) < 0 &&
	    w->retain_err == 0)
		w->retain_err = errno;
	return 0;
}

static int
write_span(struct mlog_writer *w, struct part *p, const unsigned char *buf,
    size_t len, size_t nient)
{
	if (len == 0)
		return 0;
	if (write_all(p->segfd, buf, len) < 0)
		return -1;
	if (w->mode == MLOG_FSYNC_ALWAYS && fdatasync(p->segfd) < 0)
		return -1;
	p->dirty = 1;
	/*
	 * The index only speeds up seeks, and an appender killed between the
	 * two writes leaves entries for the next one to add.  A failed index
	 * write still fails the batch: a sealed segment's index would stay
	 * short, and a disk that refuses the index refuses the log next.
	 */
	if (nient > 0 && write_all(p->idxfd, w->ient, nient * IDX_ENTRY) < 0)
		return -1;
	return 0;
}

/* Put the partition back as it was before a failed batch. */
static void
rollback(struct mlog_writer *w, uint32_t pn, uint64_t base, uint64_t size,
    off_t idxsize)
{
	int pfd = w->log->partfd[pn];
	char name[NAME_LEN];
	uint64_t *bases;
	size_t i, n;
	int fd;

	part_close_files(&w->parts[pn]);
	if (mlog_log_segments(pfd, &bases, &n) == 0) {
		for (i = 0; i < n; i++) {
			if (bases[i] <= base)
				continue;
			mlog_segment_name(name, sizeof(name), bases[i], "log");
			unlinkat(pfd, name, 0);
			mlog_segment_name(name, sizeof(name), bases[i], "idx");
			unlinkat(pfd, name, 0);
		}
		free(bases);
	}
	mlog_segment_name(name, sizeof(name), base, "log");
	if ((fd = openat(pfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) >= 0) {
		(void)ftruncate(fd, (off_t)size);
		close(fd);
	}
	mlog_segment_name(name, sizeof(name), base, "idx");
	if ((fd = openat(pfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) >= 0) {
		(void)ftruncate(fd, idxsize);
		close(fd);
	}
}

int
mlog_writer_append(struct mlog_writer *w, uint32_t pn, unsigned char *buf,
    size_t len, size_t nrec, uint64_t *first)
{
	struct part *p;
	struct idx_entry e;
	struct stat st;
	uint64_t seglimit = w->log->segment_bytes, obase, osize, firstoff;
	size_t i, span, reclen, nient = 0;
	int64_t now;
	off_t oidx;
	int saved;

	if (pn >= w->log->partitions || nrec == 0) {
		errno = EINVAL;
		return -1;
	}
	if (w->icap < nrec) {
		free(w->ient);
		w->icap = 0;
		if ((w->ient = reallocarray(NULL, nrec, IDX_ENTRY)) == NULL)
			return -1;
		w->icap = nrec;
	}
	p = &w->parts[pn];
	if (part_lock(w, pn) < 0)
		return -1;
	if (part_sync(w, pn) < 0 || fstat(p->idxfd, &st) < 0)
		goto fail_nochange;
	obase = p->base;
	osize = p->s.pos;
	oidx = st.st_size;
	firstoff = p->s.next;
	now = mlog_now_us();
	/* the age in unsigned arithmetic: a damaged header's creation time
	 * may be anything */
	if (p->s.pos > MLOG_SEG_HDR && p->created < now &&
	    (uint64_t)now - (uint64_t)p->created >=
	    (uint64_t)w->log->segment_age_us && roll(w, pn, now) < 0)
		goto fail;
	for (i = span = 0; i < len; i += reclen) {
		reclen = (size_t)get32(buf + i) + 4;
		if (p->s.pos > MLOG_SEG_HDR && p->s.pos + reclen > seglimit) {
			if (write_span(w, p, buf + span, i - span, nient) < 0 ||
			    roll(w, pn, now) < 0)
				goto fail;
			span = i;
			nient = 0;
		}
		mlog_record_stamp(buf + i, p->s.next);
		if (seg_scan_note(&p->s, p->s.pos, p->s.next,
		    (int64_t)get64(buf + i + 16), reclen, &e))
			idx_pack(w->ient + nient++ * IDX_ENTRY, &e);
	}
	if (write_span(w, p, buf + span, len - span, nient) < 0)
		goto fail;
	flock(p->lockfd, LOCK_UN);
	*first = firstoff;
	return 0;
fail:
	saved = errno;
	rollback(w, pn, obase, osize, oidx);
	errno = saved;
fail_nochange:
	saved = errno;
	p->open = 0;
	flock(p->lockfd, LOCK_UN);
	errno = saved;
	return -1;
}

int
mlog_writer_sync(struct mlog_writer *w)
{
	struct part *p;
	uint32_t i;

	for (i = 0; i < w->log->partitions; i++) {
		p = &w->parts[i];
		if (p->dirty && p->segfd >= 0 && fdatasync(p->segfd) < 0)
			return -1;
		if (p->newdir && fsync(w->log->partfd[i]) < 0)
			return -1;
		p->dirty = p->newdir = 0;
	}
	return 0;
}

int
mlog_writer_retain_error(struct mlog_writer *w)
{
	int e = w->retain_err;

	w->retain_err = 0;
	return e;
}

void
mlog_writer_close(struct mlog_writer *w)
{
	uint32_t i;

	if (w == NULL)
		return;
	for (i = 0; i < w->log->partitions; i++) {
		part_close_files(&w->parts[i]);
		if (w->parts[i].lockfd >= 0)
			close(w->parts[i].lockfd);
	}
	free(w->parts);
	free(w->ient);
	free(w);
}

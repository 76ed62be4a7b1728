/*
 * Reading one partition without any lock.  A reader only ever returns
 * records that are complete and whose CRC matches: a record still being
 * written is "not available yet", and an invalid record at the end of the
 * last segment is a torn tail the next appender will cut.  Segments are
 * read with pread(2) into a buffer whose read size grows while a reader
 * streams and starts small after a seek, so both replays and point lookups
 * stay cheap.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define READ_MIN	(16 * 1024)
#define READ_MAX	(1024 * 1024)

struct mlog_reader {
	int		 partfd;
	uint32_t	 part;
	uint64_t	*segs;
	size_t		 nsegs;
	int		 segfd;
	int		 hdr_ok;	/* segment header read and checked */
	uint64_t	 base;		/* current segment */
	uint64_t	 fpos;		/* file position of buf[0] */
	unsigned char	*buf;
	size_t		 cap, len, off, readsz;
	uint64_t	 minoff;	/* skip records below this offset */
	int64_t		 mints;		/* with timeskip: skip ts below this */
	int		 timeskip;
	int		 verify;	/* first record must be verify_off */
	uint64_t	 verify_off;
	int		 have_last;
	uint64_t	 last;		/* offset of the last record read */
	uint64_t	 torn;
	uint64_t	 partial;	/* bytes of an incomplete record at the end */
	uint64_t	 vpos;		/* CRCs are checked up to this position */
	unsigned char	*heap;		/* the read buffer, when buf is a map */
	size_t		 maplen;	/* buf maps a sealed segment when > 0 */
	int		 compacted;	/* the current segment has gaps */
	uint64_t	 logstart;	/* pN/start at the last listing */
	int		 listed;	/* segs may serve again (refresh) */
	int64_t		 listmtime;	/* the directory's mtime then, ns */
	int64_t		 listedat;	/* when the listing began, ns */
	int		 nonext;	/* next_segment found none for: */
	uint64_t	 nonext_base, nonext_want;
	int64_t		 recheck;	/* when unchanged() last looked, ns */
	mlog_gap_fn	 gapfn;
	void		*gaparg;
};

#define VERIFY_AHEAD	48	/* records whose CRCs are checked together */
#define OPEN_TRIES	16	/* listings tried when segments vanish */
#define LIST_SETTLED	2000000000LL	/* ns: see refresh() */
#define LIST_TTL	1000000000LL
#define LIST_RECHECK	1000000LL	/* ns: see unchanged() */

/* Back to reading through the heap buffer. */
static void
unmap(struct mlog_reader *r)
{
	if (r->maplen == 0)
		return;
	munmap(r->buf, r->maplen);
	r->buf = r->heap;
	r->maplen = 0;
	r->fpos = r->len = r->off = 0;
}

/*
 * A sealed segment (a later one exists) never changes again, so it is read
 * through a map: no copy into our buffer.  The segment being appended to is
 * read with pread(2) instead: a torn tail cut under a map would be SIGBUS.
 */
static int
map_sealed(struct mlog_reader *r)
{
	struct stat st;
	uint64_t pos = r->fpos + r->off;
	size_t i;
	void *m;

	for (i = 0; i < r->nsegs && r->segs[i] <= r->base; i++)
		;
	if (i == r->nsegs || fstat(r->segfd, &st) < 0 ||
	    (uint64_t)st.st_size <= pos || (uint64_t)st.st_size > SIZE_MAX)
		return 0;
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, r->segfd, 0);
	if (m == MAP_FAILED)
		return 0;
	(void)madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
	r->heap = r->buf;
	r->buf = m;
	r->maplen = (size_t)st.st_size;
	r->fpos = 0;
	r->off = (size_t)pos;
	r->len = r->maplen;
	return 1;
}

/* Continue at byte pos of the current segment. */
static void
seek_within(struct mlog_reader *r, uint64_t pos)
{
	r->vpos = 0;
	if (r->maplen > 0 && pos <= r->maplen)
		r->off = (size_t)pos;
	else {
		unmap(r);
		r->fpos = pos;
		r->len = r->off = 0;
	}
}

struct mlog_reader *
mlog_reader_open(int partfd, uint32_t partition)
{
	struct mlog_reader *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	/* never NULL: a record is parsed at buf + off before the first read */
	if ((r->buf = malloc(READ_MIN)) == NULL) {
		free(r);
		return NULL;
	}
	r->cap = READ_MIN;
	r->partfd = partfd;
	r->part = partition;
	r->segfd = -1;
	r->readsz = READ_MIN;
	return r;
}

void
mlog_reader_close(struct mlog_reader *r)
{
	if (r == NULL)
		return;
	unmap(r);
	if (r->segfd >= 0)
		close(r->segfd);
	free(r->segs);
	free(r->buf);
	free(r);
}

/*
 * Does the last listing still hold (see refresh)?  1 or 0, with the time
 * and the directory's mtime in ns; -1 on an error.
 */
static int
current(struct mlog_reader *r, int64_t *t, int64_t *mt)
{
	struct timespec now;
	struct stat st;

	if (fstat(r->partfd, &st) < 0 ||
	    clock_gettime(CLOCK_REALTIME, &now) < 0)
		return -1;
	*t = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	*mt = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	return r->listed && *mt == r->listmtime && *t - r->listedat <
	    LIST_TTL && r->listedat - *mt >= LIST_SETTLED;
}

/*
 * Is the answer the last listing gave (no segment at all, or none after
 * this one) still the answer?  A directory checked less than LIST_RECHECK
 * ago is taken as it was: a segment made since then is seen at a later
 * poll, as it would be had it been made a moment later.  Saves a system
 * call per record of the other partitions in a merge.
 */
static int
unchanged(struct mlog_reader *r)
{
	struct timespec now;
	int64_t t, mt, m;

	if (!r->listed || clock_gettime(CLOCK_MONOTONIC, &now) < 0)
		return 0;
	m = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	if (r->recheck != 0 && m - r->recheck < LIST_RECHECK)
		return 1;
	if (current(r, &t, &mt) != 1)
		return 0;
	r->recheck = m;
	return 1;
}

/*
 * List the segments, leaving out those wholly below the start offset that
 * retention persisted (a trim that stopped before deleting them).  An
 * unreadable start file is mlog-check's business: reading what is there
 * loses nothing.
 *
 * A reader at the end of its partition asks again at every poll, and a
 * merge polls an idle partition once per record of the others: the last
 * listing serves again while the directory's mtime is unchanged (segments
 * come and go, and pN/start is replaced, by entries made, renamed and
 * removed).  Only a listing begun LIST_SETTLED after that mtime is trusted,
 * as a change in the same tick of a coarse file system clock (a second on
 * some) would leave the mtime as it was; and any listing is redone after
 * LIST_TTL, which bounds what a clock that lies could cost.
 */
static int
refresh(struct mlog_reader *r)
{
	uint64_t *v, start;
	size_t n, skip = 0;
	int64_t t, mt;

	if ((r->listed = current(r, &t, &mt)) != 0)
		return r->listed < 0 ? -1 : 0;
	if (mlog_log_segments(r->partfd, &v, &n) < 0)
		return -1;
	if (mlog_log_start(r->partfd, &start) < 0)
		start = 0;
	while (skip + 1 < n && v[skip + 1] <= start)
		skip++;
	if (skip > 0)
		memmove(v, v + skip, (n - skip) * sizeof(*v));
	free(r->segs);
	r->segs = v;
	r->nsegs = n - skip;
	r->logstart = start;
	r->listed = 1;
	r->listmtime = mt;
	r->listedat = t;
	return 0;
}

/* List again whatever the directory says: a listed segment is gone. */
static int
relist(struct mlog_reader *r)
{
	r->listed = 0;
	return refresh(r);
}

void
mlog_reader_on_gap(struct mlog_reader *r, mlog_gap_fn fn, void *arg)
{
	r->gapfn = fn;
	r->gaparg = arg;
}

/* Offsets from..to-1 were deleted before this reader got to them. */
static int
gap(struct mlog_reader *r, uint64_t from, uint64_t to)
{
	uint64_t first;

	if (from < r->minoff)
		from = r->minoff;
	if (r->gapfn == NULL || from >= to)
		return 0;
	/* below the partition's first offset: deleted from the oldest end */
	first = r->nsegs > 0 && r->segs[0] > r->logstart ? r->segs[0] :
	    r->logstart;
	if (r->gapfn(r->gaparg, r->part, from, to, to <= first) < 0) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

/*
 * Moving on to the segment at nbase: after an appended segment read to its
 * end, the next offset is one past its last record; anything between that
 * and nbase was deleted (by retention, or moved aside by a repair).  After
 * a compacted segment, whose last records may have been compacted away,
 * only what lies below the persisted start offset is known to be deleted.
 */
static int
gap_before(struct mlog_reader *r, uint64_t nbase)
{
	uint64_t to = nbase;

	if (!r->have_last)
		return 0;
	if (r->compacted && to > r->logstart)
		to = r->logstart;
	return gap(r, r->last + 1, to);
}

/* Is the file named as the current segment still the one we read? */
static int
replaced(struct mlog_reader *r)
{
	char name[NAME_LEN];
	struct stat a, b;

	mlog_segment_name(name, sizeof(name), r->base, "log");
	return fstat(r->segfd, &a) == 0 && fstatat(r->partfd, name, &b,
	    AT_SYMLINK_NOFOLLOW) == 0 && (a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino);
}

/*
 * The segment to read after the current one: normally the first one after
 * it.  mlog-compact may have replaced the current segment, or merged the
 * ones after it into it or into an earlier one; the records after the last
 * one read are then in the segment holding the offset after it (the last
 * one whose base is not above that offset), to be read from that offset on
 * (*from; a base at or below the current one says so).  A directory
 * listing made while a writer creates segments may show a newer segment
 * and miss the one just before it (readdir(3) need not return entries
 * created during the walk), so a candidate is confirmed by a second
 * listing, made after the first one ended: every segment older than the
 * candidate existed by then.
 */
static int
next_segment(struct mlog_reader *r, uint64_t *base, uint64_t *from)
{
	uint64_t want = r->have_last ? r->last + 1 : r->base;
	size_t i, k;
	int pass;

	/* the same question on the same listing: the same answer */
	if (r->nonext && r->nonext_base == r->base && r->nonext_want == want &&
	    unchanged(r))
		return 0;
	r->nonext = 0;
	r->recheck = 0;
	for (pass = 0; pass < 2; pass++) {
		if (refresh(r) < 0)
			return -1;
		for (k = 0; k < r->nsegs && r->segs[k] <= want; k++)
			;
		if (k > 0 && (r->segs[k - 1] != r->base || replaced(r))) {
			*base = r->segs[k - 1];
			*from = want;
			continue;
		}
		for (i = 0; i < r->nsegs && r->segs[i] <= r->base; i++)
			;
		if (i == r->nsegs) {
			r->nonext = r->listed;
			r->nonext_base = r->base;
			r->nonext_want = want;
			return 0;
		}
		*base = *from = r->segs[i];
	}
	return 1;
}

static int
open_segment(struct mlog_reader *r, uint64_t base, uint64_t pos)
{
	char name[NAME_LEN];
	int fd;

	mlog_segment_name(name, sizeof(name), base, "log");
	if ((fd = openat(r->partfd, name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) < 0)
		return -1;
	unmap(r);
	if (r->segfd >= 0)
		close(r->segfd);
	r->segfd = fd;
	r->base = base;
	r->hdr_ok = 0;
	r->vpos = 0;
	r->fpos = pos;
	r->len = r->off = 0;
	r->readsz = READ_MIN;
	return 0;
}

static int
check_header(struct mlog_reader *r)
{
	unsigned char hdr[MLOG_SEG_HDR];
	int64_t created;
	ssize_t n;

	if ((n = pread_full(r->segfd, hdr, sizeof(hdr), 0)) < 0)
		return -1;
	if (n < MLOG_SEG_HDR)
		return 0;	/* a segment being created */
	if (seg_header_check(hdr, r->base, &created, &r->compacted) < 0)
		return -1;
	r->hdr_ok = 1;
	return 1;
}

static int
reserve(struct mlog_reader *r, size_t need)
{
	unsigned char *nb;
	size_t cap = r->cap ? r->cap : READ_MIN;

	if (r->off > 0) {
		memmove(r->buf, r->buf + r->off, r->len - r->off);
		r->fpos += r->off;
		r->len -= r->off;
		r->off = 0;
	}
	while (cap < need || cap < r->readsz)
		cap *= 2;
	if (cap > r->cap) {
		if ((nb = realloc(r->buf, cap)) == NULL)
			return -1;
		r->buf = nb;
		r->cap = cap;
	}
	return 0;
}

/* Forget buffered bytes not yet consumed: they are read again later, when
 * a writer may have completed or cut them. */
static void
unread(struct mlog_reader *r)
{
	if (r->maplen > 0)
		return;		/* a sealed segment: nothing will change */
	r->fpos += r->off;
	r->len = r->off = 0;
}

static int
invalid(struct mlog_reader *r)
{
	struct stat st;
	uint64_t base, from;
	int more;

	if ((more = next_segment(r, &base, &from)) < 0)
		return -1;
	if (more) {
		errno = EBADMSG;
		return -1;
	}
	unread(r);
	if (fstat(r->segfd, &st) < 0)
		return -1;
	/* a torn tail is the end of the segment; valid records after the
	 * invalid bytes make them damage */
	if ((more = seg_records_after(r->segfd, r->fpos, (uint64_t)st.st_size,
	    r->have_last ? r->last + 1 : r->base)) != 0) {
		if (more > 0)
			errno = EBADMSG;
		return -1;
	}
	r->torn = (uint64_t)st.st_size > r->fpos ?
	    (uint64_t)st.st_size - r->fpos : 0;
	return 0;
}

/* Check the CRCs of the complete records from r->off on, several at a
 * time; returns how many in a row are valid. */
static size_t
verify_ahead(struct mlog_reader *r)
{
	const unsigned char *p[VERIFY_AHEAD];
	size_t len[VERIFY_AHEAD], need, at = r->off, k = 0, i;
	uint32_t crc[VERIFY_AHEAD];
	struct mlog_record tmp;
	ssize_t n;

	while (k < VERIFY_AHEAD && (n = mlog_record_parse(r->buf + at,
	    r->len - at, &tmp, &need)) > 0) {
		p[k] = r->buf + at + 16;
		len[k++] = (size_t)n - 16;
		at += (size_t)n;
	}
	mlog_crc32c_many(p, len, crc, k);
	at = r->off;
	for (i = 0; i < k && get32(p[i] - 4) == crc[i]; i++)
		at += len[i] + 16;
	r->vpos = r->fpos + at;
	return i;
}

/* The fields of a record verify_ahead() already parsed and checked. */
static inline ssize_t
parsed(const unsigned char *p, struct mlog_record *rec)
{
	size_t total = (size_t)get32(p) + 4, klen = get32(p + 25);

	rec->offset = get64(p + 4);
	rec->timestamp = (int64_t)get64(p + 16);
	rec->has_key = (p[24] & MLOG_ATTR_KEY) != 0;
	rec->null_value = (p[24] & MLOG_ATTR_NULLVAL) != 0;
	rec->key = p + MLOG_REC_HDR;
	rec->keylen = klen;
	rec->value = p + MLOG_REC_HDR + klen;
	rec->valuelen = total - MLOG_REC_HDR - klen;
	return (ssize_t)total;
}

static int
start(struct mlog_reader *r)
{
	int tries = 0;

	if (r->nsegs == 0 && !unchanged(r) && refresh(r) < 0)
		return -1;
	if (r->nsegs == 0)
		return 0;
	while (open_segment(r, r->segs[0], MLOG_SEG_HDR) < 0) {
		/* removed since the listing (mlog-compact, mlog-trim) */
		if (errno != ENOENT || ++tries == OPEN_TRIES || relist(r) < 0)
			return -1;
		if (r->nsegs == 0)
			return 0;
	}
	return 1;
}

/*
 * The index entry we were positioned at is no record of this segment:
 * mlog-compact renamed a new segment and its index over the old ones
 * between our opening the segment and its index.  Scan from the start.
 */
static int
index_lied(struct mlog_reader *r)
{
	if (!r->verify)
		return 0;
	r->verify = 0;
	seek_within(r, MLOG_SEG_HDR);
	r->have_last = 0;
	return 1;
}

static int enter(struct mlog_reader *, uint64_t base, uint64_t from);

int
mlog_reader_next(struct mlog_reader *r, struct mlog_record *rec)
{
	struct stat st;
	uint64_t nbase, from, at;
	size_t need, want;
	ssize_t n;
	int rc;

	if (r->segfd < 0 && (rc = start(r)) <= 0)
		return rc;
	for (;;) {
		if (!r->hdr_ok && (rc = check_header(r)) <= 0)
			return rc;
		if (r->fpos + r->off < r->vpos)
			n = parsed(r->buf + r->off, rec);
		else if ((n = mlog_record_parse(r->buf + r->off,
		    r->len - r->off, rec, &need)) > 0 && verify_ahead(r) == 0)
			n = -1;
		if (n > 0) {
			if (r->verify && rec->offset != r->verify_off &&
			    index_lied(r))
				continue;
			r->verify = 0;
			/* as a scan has it (index.c): offsets increase from
			 * the segment's base on */
			if (rec->offset < r->base ||
			    (r->have_last && rec->offset <= r->last))
				return invalid(r);
			r->off += (size_t)n;
			r->last = rec->offset;
			r->have_last = 1;
			r->torn = r->partial = 0;
			if (rec->offset < r->minoff)
				continue;
			if (r->timeskip) {
				if (rec->timestamp < r->mints)
					continue;
				r->timeskip = 0;
			}
			rec->partition = r->part;
			return 1;
		}
		if (n < 0 && index_lied(r))
			continue;
		if (n < 0)
			return invalid(r);
		if (need > MLOG_REC_MAX) {
			errno = EBADMSG;
			return -1;
		}
		if (r->maplen > 0) {
			/* the end of a sealed segment */
			if (r->len > r->off && index_lied(r))
				continue;
			if (r->len > r->off) {
				errno = EBADMSG;
				return -1;
			}
			if ((rc = next_segment(r, &nbase, &from)) <= 0)
				return rc;
			if (nbase == from && nbase > r->base &&
			    gap_before(r, nbase) < 0)
				return -1;
			/* ENOENT: removed since the listing; look again */
			if (enter(r, nbase, from) < 0) {
				if (errno != ENOENT)
					return -1;
				r->listed = 0;
			}
			continue;
		}
		if (r->len == r->off && map_sealed(r))
			continue;
		want = r->readsz;
		if (need > want) {
			/* a length field is believed as far as the file goes:
			 * a hostile one makes no allocation */
			if (fstat(r->segfd, &st) < 0)
				return -1;
			at = r->fpos + r->off;
			if ((uint64_t)st.st_size < at + need)
				need = (uint64_t)st.st_size > at ?
				    (size_t)((uint64_t)st.st_size - at) : 0;
		}
		if (reserve(r, need > want ? need : want) < 0)
			return -1;
		n = pread(r->segfd, r->buf + r->len, r->cap - r->len,
		    (off_t)(r->fpos + r->len));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n > 0) {
			r->len += (size_t)n;
			if (r->readsz < READ_MAX)
				r->readsz *= 2;
			continue;
		}
		/* end of what this segment holds now: is it finished? */
		if ((rc = next_segment(r, &nbase, &from)) < 0)
			return -1;
		if (rc == 0) {
			r->partial = r->len - r->off;
			unread(r);
			return 0;
		}
		if (fstat(r->segfd, &st) < 0)
			return -1;
		if ((uint64_t)st.st_size > r->fpos + r->len)
			continue;	/* appended before the roll */
		if (r->len > r->off && index_lied(r))
			continue;
		if (r->len > r->off) {
			errno = EBADMSG;
			return -1;
		}
		if (nbase == from && nbase > r->base &&
		    gap_before(r, nbase) < 0)
			return -1;
		if (enter(r, nbase, from) < 0) {
			if (errno != ENOENT)
				return -1;
			r->listed = 0;
		}
	}
}

static int
index_sound(int idxfd, uint64_t base)
{
	unsigned char hdr[IDX_HDR];
	struct stat st;

	return fstat(idxfd, &st) == 0 && st.st_size >= IDX_HDR &&
	    (st.st_size - IDX_HDR) % IDX_ENTRY == 0 &&
	    pread_full(idxfd, hdr, IDX_HDR, 0) == IDX_HDR &&
	    memcmp(hdr, IDX_MAGIC, 8) == 0 && get64(hdr + 8) == base;
}

/*
 * Rebuild the missing or damaged index of a sealed segment beside it and
 * rename it into place; no appender touches a sealed segment's index, so
 * no lock is needed.  A reader without write access just scans.
 */
static int
index_rebuild(struct mlog_reader *r, uint64_t base, uint64_t size)
{
	char name[NAME_LEN], tmp[NAME_LEN + 24];
	unsigned char hdr[IDX_HDR];
	struct seg_scan s;
	int fd;

	mlog_segment_name(name, sizeof(name), base, "idx");
	if ((fd = tmp_open(r->partfd, name, O_RDWR | O_APPEND, tmp,
	    sizeof(tmp))) < 0)
		return -1;
	idx_header(hdr, base);
	seg_scan_init(&s, base);
	if (write_all(fd, hdr, IDX_HDR) < 0 ||
	    seg_scan_run(r->segfd, &s, size, fd) < 0 || s.pos != size ||
	    renameat(r->partfd, tmp, r->partfd, name) < 0) {
		close(fd);
		unlinkat(r->partfd, tmp, 0);
		return -1;
	}
	return fd;
}

/* Open a segment and its index; returns the segment's size. */
static int
open_index(struct mlog_reader *r, uint64_t base, int *idxfd, uint64_t *size)
{
	char name[NAME_LEN];
	struct stat st;
	size_t i;
	int fd;

	*idxfd = -1;
	if (open_segment(r, base, MLOG_SEG_HDR) < 0 ||
	    fstat(r->segfd, &st) < 0)
		return -1;
	*size = (uint64_t)st.st_size;
	mlog_segment_name(name, sizeof(name), base, "idx");
	fd = openat(r->partfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 && index_sound(fd, base)) {
		*idxfd = fd;
		return 0;
	}
	if (fd >= 0)
		close(fd);
	for (i = 0; i < r->nsegs && r->segs[i] <= base; i++)
		;
	if (i < r->nsegs)
		*idxfd = index_rebuild(r, base, *size);
	return 0;
}

static void
position(struct mlog_reader *r, const struct idx_entry *e)
{
	seek_within(r, e->pos);
	/* every entry but the segment start is checked, rel 0 too */
	r->verify = e->rel > 0 || e->pos != MLOG_SEG_HDR;
	r->verify_off = r->base + e->rel;
	r->have_last = 0;
}

/* Go on in segment base, at its first record from offset from on (see
 * next_segment()). */
static int
enter(struct mlog_reader *r, uint64_t base, uint64_t from)
{
	struct idx_entry e = { 0, MLOG_SEG_HDR, INT64_MIN };
	uint64_t size;
	int idxfd;

	if (base == from && base > r->base)
		return open_segment(r, base, MLOG_SEG_HDR);
	if (open_index(r, base, &idxfd, &size) < 0)
		return -1;
	if (idx_find_offset(idxfd, base, from, size, &e) < 0) {
		e.rel = 0;
		e.pos = MLOG_SEG_HDR;
	}
	if (idxfd >= 0)
		close(idxfd);
	position(r, &e);
	if (r->minoff < from)
		r->minoff = from;
	return 0;
}

int
mlog_reader_seek_offset(struct mlog_reader *r, uint64_t off)
{
	struct idx_entry e;
	uint64_t size;
	size_t i;
	int idxfd, rc, tries = 0;

again:
	if (refresh(r) < 0)
		return -1;
	r->minoff = 0;
	r->timeskip = 0;
	if (r->nsegs == 0)
		return 0;
	if (gap(r, off, r->segs[0] > r->logstart ? r->segs[0] :
	    r->logstart) < 0)
		return -1;
	r->minoff = off;
	for (i = r->nsegs; i > 1 && r->segs[i - 1] > off; i--)
		;
	if (open_index(r, r->segs[i - 1], &idxfd, &size) < 0) {
		/* removed since the listing (mlog-compact, mlog-trim) */
		if (errno == ENOENT && ++tries < OPEN_TRIES) {
			r->listed = 0;
			goto again;
		}
		return -1;
	}
	rc = idx_find_offset(idxfd, r->base, off, size, &e);
	if (idxfd >= 0)
		close(idxfd);
	if (rc == 0)
		position(r, &e);
	return 0;
}

/* Largest timestamp in a segment and its valid end. */
static int
segment_scan(struct mlog_reader *r, int idxfd, uint64_t size,
    struct seg_scan *s)
{
	if (seg_scan_from_index(r->segfd, idxfd, r->base, size, 0, s) < 0)
		return -1;
	return seg_scan_run(r->segfd, s, size, -1);
}

int
mlog_reader_seek_time(struct mlog_reader *r, int64_t ts)
{
	struct idx_entry e;
	struct seg_scan s;
	uint64_t size;
	size_t i;
	int idxfd, rc, tries = 0;

again:
	if (refresh(r) < 0)
		return -1;
	r->minoff = 0;
	r->timeskip = 1;
	r->mints = ts;
	for (i = 0; i < r->nsegs; i++) {
		if (open_index(r, r->segs[i], &idxfd, &size) < 0) {
			if (errno == ENOENT && ++tries < OPEN_TRIES) {
				r->listed = 0;
				goto again;
			}
			return -1;
		}
		rc = segment_scan(r, idxfd, size, &s);
		if (rc == 0 && (s.maxts >= ts || i == r->nsegs - 1)) {
			if (s.maxts >= ts)
				rc = idx_find_time(idxfd, ts, size, &e);
			else {
				/* nothing that late yet: wait at the end */
				e.rel = (uint32_t)(s.next - r->base);
				e.pos = (uint32_t)s.pos;
				e.maxts = s.maxts;
			}
			if (idxfd >= 0)
				close(idxfd);
			if (rc < 0)
				return -1;
			position(r, &e);
			return 0;
		}
		if (idxfd >= 0)
			close(idxfd);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
mlog_reader_bounds(struct mlog_reader *r, uint64_t *start, uint64_t *end)
{
	struct mlog_reader *t;
	struct seg_scan s;
	uint64_t size;
	int idxfd, rc;

	if (refresh(r) < 0)
		return -1;
	if (r->nsegs == 0) {
		*start = *end = 0;
		return 0;
	}
	/* a scratch reader, so this one keeps its position */
	if ((t = mlog_reader_open(r->partfd, r->part)) == NULL)
		return -1;
	rc = open_index(t, r->segs[r->nsegs - 1], &idxfd, &size);
	if (rc == 0 && size >= MLOG_SEG_HDR &&
	    (rc = segment_scan(t, idxfd, size, &s)) == 0 && s.pos < size &&
	    (rc = seg_records_after(t->segfd, s.pos, size, s.next)) != 0) {
		/* not a torn tail: records after damage */
		if (rc > 0)
			errno = EBADMSG;
		rc = -1;
	} else if (rc == 0 && size < MLOG_SEG_HDR)
		seg_scan_init(&s, t->base);
	if (idxfd >= 0)
		close(idxfd);
	mlog_reader_close(t);
	if (rc < 0)
		return -1;
	*start = r->segs[0] > r->logstart ? r->segs[0] : r->logstart;
	/* a start past the end is damage that deletes nothing (mlog-check):
	 * the partition starts where reading does */
	if (*start > s.next)
		*start = r->segs[0];
	*end = s.next;
	return 0;
}

/*
 * An incomplete record at the end is normally one being written.  It is torn
 * only if no appender holds the partition lock and it is still incomplete
 * once we hold the lock ourselves (shared, briefly, without waiting).
 */
uint64_t
mlog_reader_torn(struct mlog_reader *r)
{
	struct seg_scan s;
	struct stat st;
	uint64_t torn = 0;
	int fd;

	if (r->torn > 0 || r->partial == 0 || r->segfd < 0)
		return r->torn;
	if ((fd = openat(r->partfd, "lock", O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) >= 0 && flock(fd, LOCK_SH | LOCK_NB) < 0) {
		close(fd);
		return 0;
	}
	seg_scan_init(&s, r->base);
	s.pos = r->fpos + r->off;
	s.next = r->have_last ? r->last + 1 : r->base;
	if (fstat(r->segfd, &st) == 0 &&
	    seg_scan_run(r->segfd, &s, (uint64_t)st.st_size, -1) == 0 &&
	    s.pos < (uint64_t)st.st_size)
		torn = (uint64_t)st.st_size - s.pos;
	if (fd >= 0)
		close(fd);
	return torn;
}

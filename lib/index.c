/*
 * Segment scans and the sparse index: walking the valid records of a
 * segment (recovery, index rebuilds, end offsets) and the binary searches
 * that turn an offset or a time into a byte position.  See segment.c for
 * the format.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

#define SCAN_BUF	(256 * 1024)
#define IDX_TRIES	8	/* damaged entries tolerated before a rebuild */

int
write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = pwrite(fd, p, len, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t
pread_full(int fd, void *buf, size_t len, off_t off)
{
	unsigned char *p = buf;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = pread(fd, p + got, len - got, off + (off_t)got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int
pread_exact(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n;

	if ((n = pread_full(fd, buf, len, off)) < 0)
		return -1;
	if ((size_t)n != len) {
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

static void
scan_start(struct seg_scan *s, uint64_t base)
{
	s->base = base;
	s->pos = MLOG_SEG_HDR;
	s->next = base;
	s->maxts = INT64_MIN;
	s->lastidx = MLOG_SEG_HDR;
	s->nrec = 0;
}

int
seg_scan_run(int segfd, struct seg_scan *s, uint64_t limit, int idxfd)
{
	unsigned char *buf, *nb, ient[64 * IDX_ENTRY];
	size_t cap = SCAN_BUF, want, have, i, need, nient = 0;
	struct mlog_record rec;
	struct idx_entry e;
	ssize_t n, r;
	int rc = -1;

	/* no bigger than what there is to read: most segments are short */
	if (s->pos < limit && limit - s->pos < cap)
		cap = (size_t)(limit - s->pos);
	if ((buf = malloc(cap)) == NULL)
		return -1;
	while (s->pos < limit) {
		want = (size_t)(limit - s->pos < cap ? limit - s->pos : cap);
		if ((n = pread_full(segfd, buf, want, (off_t)s->pos)) < 0)
			goto out;
		have = (size_t)n;
		i = 0;
		for (;;) {
			r = mlog_record_decode(buf + i, have - i, &rec, &need);
			if (r < 0 || (r > 0 && rec.offset < s->next))
				goto done;
			if (r == 0)
				break;
			if (seg_scan_note(s, s->pos, rec.offset, rec.timestamp,
			    (size_t)r, &e) && idxfd >= 0) {
				idx_pack(ient + nient++ * IDX_ENTRY, &e);
				if (nient == sizeof(ient) / IDX_ENTRY) {
					if (write_all(idxfd, ient,
					    sizeof(ient)) < 0)
						goto out;
					nient = 0;
				}
			}
			i += (size_t)r;
		}
		if (s->pos + need > limit || (size_t)n < want)
			break;		/* incomplete record at the end */
		if (need > cap) {
			if ((nb = realloc(buf, need)) == NULL)
				goto out;
			buf = nb;
			cap = need;
		}
	}
done:
	if (nient > 0 && write_all(idxfd, ient, nient * IDX_ENTRY) < 0)
		goto out;
	rc = 0;
out:
	free(buf);
	return rc;
}

/* Does the record at e->pos carry offset base + e->rel? */
static int
entry_valid(int segfd, uint64_t base, uint64_t segsize,
    const struct idx_entry *e)
{
	unsigned char hdr[MLOG_REC_HDR], *buf;
	struct mlog_record rec;
	size_t need, len;
	int ok;

	if (e->pos < MLOG_SEG_HDR || e->pos + (uint64_t)MLOG_REC_HDR > segsize)
		return 0;
	if (pread_full(segfd, hdr, sizeof(hdr), e->pos) != sizeof(hdr))
		return 0;
	len = (size_t)get32(hdr) + 4;
	if (len < MLOG_REC_HDR || len > MLOG_REC_MAX || e->pos + len > segsize)
		return 0;
	if ((buf = malloc(len)) == NULL)
		return 0;
	ok = pread_full(segfd, buf, len, e->pos) == (ssize_t)len &&
	    mlog_record_decode(buf, len, &rec, &need) == (ssize_t)len &&
	    rec.offset == base + e->rel;
	free(buf);
	return ok;
}

int
seg_scan_from_index(int segfd, int idxfd, uint64_t base, uint64_t segsize,
    int fix, struct seg_scan *s)
{
	unsigned char hdr[IDX_HDR], ent[IDX_ENTRY];
	struct idx_entry e;
	struct stat st;
	uint64_t n, i, tries = 0;

	scan_start(s, base);
	if (idxfd < 0)
		return 0;
	if (fstat(idxfd, &st) < 0)
		return -1;
	if (st.st_size < IDX_HDR ||
	    pread_full(idxfd, hdr, IDX_HDR, 0) != IDX_HDR ||
	    memcmp(hdr, IDX_MAGIC, 8) != 0 || get64(hdr + 8) != base)
		goto rebuild;
	n = ((uint64_t)st.st_size - IDX_HDR) / IDX_ENTRY;
	for (i = n; i > 0 && tries < IDX_TRIES; i--, tries++) {
		if (pread_full(idxfd, ent, IDX_ENTRY,
		    (off_t)(IDX_HDR + (i - 1) * IDX_ENTRY)) != IDX_ENTRY)
			return -1;
		idx_unpack(ent, &e);
		if (!entry_valid(segfd, base, segsize, &e))
			continue;
		s->pos = e.pos;
		s->next = base + e.rel;
		s->maxts = e.maxts;
		s->lastidx = e.pos;
		if (fix && (uint64_t)st.st_size != IDX_HDR + i * IDX_ENTRY &&
		    ftruncate(idxfd, (off_t)(IDX_HDR + i * IDX_ENTRY)) < 0)
			return -1;
		return 0;
	}
	if (n == 0 && (uint64_t)st.st_size == IDX_HDR)
		return 0;
rebuild:
	if (fix) {
		idx_header(hdr, base);
		if (ftruncate(idxfd, 0) < 0 ||
		    pwrite_all(idxfd, hdr, IDX_HDR, 0) < 0)
			return -1;
	}
	return 0;
}

static int
idx_count(int idxfd, uint64_t *n)
{
	struct stat st;

	if (fstat(idxfd, &st) < 0)
		return -1;
	*n = st.st_size < IDX_HDR ? 0 :
	    ((uint64_t)st.st_size - IDX_HDR) / IDX_ENTRY;
	return 0;
}

static int
idx_get(int idxfd, uint64_t i, struct idx_entry *e)
{
	unsigned char ent[IDX_ENTRY];

	if (pread_full(idxfd, ent, IDX_ENTRY,
	    (off_t)(IDX_HDR + i * IDX_ENTRY)) != IDX_ENTRY) {
		errno = EBADMSG;
		return -1;
	}
	idx_unpack(ent, e);
	return 0;
}

/*
 * Binary searches for the last entry satisfying a monotone predicate; the
 * segment header is entry "-1".  A result out of bounds means a damaged
 * index: the caller then scans from the segment start.
 */
static int
idx_search(int idxfd, uint64_t segsize, int bytime, uint64_t rel, int64_t ts,
    struct idx_entry *out)
{
	struct idx_entry e, best = { 0, MLOG_SEG_HDR, INT64_MIN };
	uint64_t lo = 0, hi, mid;

	if (idxfd < 0 || idx_count(idxfd, &hi) < 0)
		goto done;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (idx_get(idxfd, mid, &e) < 0)
			return -1;
		if (bytime ? e.maxts < ts : e.rel <= rel) {
			best = e;
			lo = mid + 1;
		} else
			hi = mid;
	}
	if (best.pos < MLOG_SEG_HDR || best.pos >= segsize) {
		best.rel = 0;
		best.pos = MLOG_SEG_HDR;
		best.maxts = INT64_MIN;
	}
done:
	*out = best;
	return 0;
}

int
idx_find_offset(int idxfd, uint64_t base, uint64_t off, uint64_t segsize,
    struct idx_entry *e)
{
	uint64_t rel = off > base ? off - base : 0;

	return idx_search(idxfd, segsize, 0, rel > UINT32_MAX ? UINT32_MAX :
	    rel, 0, e);
}

int
idx_find_time(int idxfd, int64_t ts, uint64_t segsize, struct idx_entry *e)
{
	return idx_search(idxfd, segsize, 1, 0, ts, e);
}

#define AFTER_WINDOW	(1024 * 1024)
#define AFTER_SPAN	(1u << 20)	/* offsets a valid record may skip */

/* Is the record at p (avail bytes there, more in the file) a complete one
 * with a matching CRC and an offset in [minoff, minoff + AFTER_SPAN]? */
static int
record_at(int segfd, const unsigned char *p, size_t avail, uint64_t pos,
    uint64_t size, uint64_t minoff)
{
	struct mlog_record rec;
	unsigned char *buf;
	size_t len, need;
	uint64_t off;
	int ok;

	len = (size_t)get32(p) + 4;
	if (len < MLOG_REC_HDR || len > MLOG_REC_MAX || pos + len > size)
		return 0;
	off = get64(p + 4);
	if (off < minoff || off - minoff > AFTER_SPAN ||
	    (p[24] & ~(MLOG_ATTR_KEY | MLOG_ATTR_NULLVAL)) != 0 ||
	    get32(p + 25) > len - MLOG_REC_HDR)
		return 0;
	if (len <= avail)
		return mlog_record_decode(p, len, &rec, &need) ==
		    (ssize_t)len;
	if ((buf = malloc(len)) == NULL)
		return -1;
	ok = pread_full(segfd, buf, len, (off_t)pos) == (ssize_t)len &&
	    mlog_record_decode(buf, len, &rec, &need) == (ssize_t)len;
	free(buf);
	return ok;
}

int
seg_records_after(int segfd, uint64_t pos, uint64_t size, uint64_t minoff)
{
	unsigned char *buf;
	uint64_t at, p;
	size_t have = 0, win = AFTER_WINDOW;
	ssize_t n;
	int rc = 0;

	if (pos + 1 + MLOG_REC_HDR > size)
		return 0;
	if (size - pos < win)
		win = (size_t)(size - pos);
	if ((buf = malloc(win)) == NULL)
		return -1;
	at = pos + 1;
	for (p = pos + 1; rc == 0 && p + MLOG_REC_HDR <= size; p++) {
		if (p + MLOG_REC_HDR > at + have) {
			/* slide the window to start at p */
			at = p;
			if ((n = pread_full(segfd, buf, win, (off_t)at)) < 0) {
				rc = -1;
				break;
			}
			have = (size_t)n;
			if (have < MLOG_REC_HDR)
				break;
		}
		rc = record_at(segfd, buf + (p - at), have - (size_t)(p - at),
		    p, size, minoff);
	}
	free(buf);
	return rc;
}

void
seg_scan_init(struct seg_scan *s, uint64_t base)
{
	scan_start(s, base);
}

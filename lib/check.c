/*
 * Checking a log from end to end, for mlog-check: the CRC of every record,
 * the offsets (dense in appended segments, increasing in compacted ones,
 * continuous from one segment to the next), the segment headers, the
 * timestamps, the indexes (which must hold exactly the entries a fresh
 * scan would write), the metadata, the start files and the consumer
 * groups' positions; and the repairs of mlog-check --repair.  Each finding
 * goes to the caller's callback as it is made, with where it is
 * (partition, file, offsets, byte); nothing is printed here.
 *
 * The length and offset fields are outside the record CRC, so after an
 * invalid record the next record boundary is unknown: the scan looks byte
 * by byte for the next position holding a record whose CRC matches (cheap
 * filters first) and names the damaged records by the offsets between the
 * last good record and that one.  The end of the last segment of a
 * partition may be a record an appender is writing, or a torn one an
 * interrupted append left: it is judged under the partition lock, taken
 * shared without waiting, and left alone while an appender holds it.
 *
 * A repair never trusts the first pass: it takes the partition lock
 * exclusively, checks the partition again under it, and repairs what that
 * second pass found.  Records are never dropped silently: a segment
 * damaged in the middle is moved aside to LOG/damaged/pN/, and so are the
 * bytes cut from the damaged tail of a sealed segment, so that a later
 * check can tell such a gap in the offsets from a loss.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define WIN_MIN		(1024 * 1024)	/* bytes read at a time */
#define BATCH		48		/* records whose CRCs are computed together */
#define RESYNC_SPAN	(1ull << 20)	/* how far a resync may skip ahead */
#define MSG_LEN		320
#define META_MAX	4096
#define NONE		MLOG_CHECK_NONE

struct span {
	uint64_t	 from, to;	/* damaged bytes [from, to) */
};

/* An offset field to rewrite: the record at pos must read off. */
struct fix {
	uint64_t	 pos, off, was;
};

/* What the check found in one segment, for the repairs. */
struct seg {
	uint64_t	 base;
	int		 gone;		/* removed while we looked */
	int		 below;		/* wholly below the partition start */
	int		 last;		/* the partition's last segment */
	int		 busy;		/* an appender was writing its end */
	int		 compacted;
	int		 hdr_fix;	/* the header must be rewritten */
	int64_t		 created;
	int		 mid;		/* damage followed by valid records */
	int		 tail;		/* damage (or a torn tail) to the end */
	int		 torn;
	uint64_t	 tail_pos;
	uint64_t	 tail_first, tail_last;	/* offsets cut, or NONE */
	uint64_t	 end;		/* the offset after its records */
	int		 have_end;
	struct fix	*fixes;
	size_t		 nfixes, capfixes;
	int		 idx_fix;	/* the index must be rebuilt */
};

struct part {
	uint32_t	 pn;
	int		 fd;
	uint64_t	 startfile;	/* pN/start, 0 without one */
	struct seg	*s;
	size_t		 ns;
	uint64_t	*moved;		/* bases of LOG/damaged/pN/BASE.log */
	size_t		 nmoved;
};

/* The scan of one segment. */
struct scan {
	uint64_t	 pos, size, startpos;
	uint64_t	 expect;	/* dense: the next record's offset */
	uint64_t	 prev;		/* compacted: the last good offset */
	int		 have_prev;
	uint64_t	 hi;		/* one past the highest good offset */
	struct seg_scan	 ss;		/* the index entries a writer makes */
	int		 exact;		/* every record so far went into ss */
	uint64_t	 exact_end;	/* entries before here are known */
	uint64_t	 valid_end;	/* after the last valid record seen */
	uint64_t	 next_base;	/* of the next segment, NONE if last */
	int		 locked;	/* the end may be judged */
	int		 lockfd;
};

struct grp {
	char		*name;
	int64_t		*offs[2];	/* committed and pending positions */
};

struct ck {
	const char	*path;
	int		 flags;
	mlog_check_fn	 fn;
	void		*arg;
	struct mlog_check_stats st;
	int		 quiet;		/* the second pass of a repair */
	int		 locked;	/* we hold the partition lock */
	struct mlog_log	*log;
	char		*where;
	size_t		 wherelen;
	struct grp	*groups;
	size_t		 ngroups;
	/* the current partition and segment */
	struct part	*p;
	struct seg	*g;
	char		 name[NAME_LEN];
	int		 segfd;
	int		 shrunk;	/* the segment shrank under us */
	/* a window on the segment */
	unsigned char	*wbuf;
	size_t		 wcap, wlen;
	uint64_t	 wat, wsize;
	/* the index entries due, the damaged spans */
	struct idx_entry *exp;
	size_t		 nexp, capexp;
	struct span	*spans;
	size_t		 nspans, capspans;
};

static void
vreport(struct ck *c, enum mlog_check_kind kind, int64_t part,
    const char *file, uint64_t seg, uint64_t off, uint64_t last,
    uint64_t pos, const char *fmt, va_list ap)
    __attribute__((format(printf, 9, 0)));

static void
vreport(struct ck *c, enum mlog_check_kind kind, int64_t part,
    const char *file, uint64_t seg, uint64_t off, uint64_t last,
    uint64_t pos, const char *fmt, va_list ap)
{
	struct mlog_check_report r;
	char msg[MSG_LEN];

	if (c->quiet)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	r.kind = kind;
	r.partition = part;
	r.segment = seg;
	r.file = file;
	r.offset = off;
	r.offset_last = off == NONE ? NONE : last;
	r.pos = pos;
	r.message = msg;
	if (kind == MLOG_CHECK_DAMAGE)
		c->st.damage++;
	else if (kind == MLOG_CHECK_NOTICE)
		c->st.notices++;
	else
		c->st.repairs++;
	if (c->fn != NULL)
		c->fn(c->arg, &r);
}

/* A finding about the log as a whole or a file outside the partitions. */
static void
logwide(struct ck *c, enum mlog_check_kind kind, const char *file,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
logwide(struct ck *c, enum mlog_check_kind kind, const char *file,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, kind, -1, file, NONE, NONE, NONE, NONE, fmt, ap);
	va_end(ap);
}

/* A finding about a partition as a whole, outside any partition walk. */
static void
partwide(struct ck *c, uint32_t pn, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
partwide(struct ck *c, uint32_t pn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, MLOG_CHECK_DAMAGE, pn, NULL, NONE, NONE, NONE, NONE, fmt,
	    ap);
	va_end(ap);
}

/* A finding in the current partition; file is NULL, a name in pN/, or
 * the current segment's name when it is c->name. */
static void
report(struct ck *c, enum mlog_check_kind kind, const char *file,
    uint64_t off, uint64_t last, uint64_t pos, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static void
report(struct ck *c, enum mlog_check_kind kind, const char *file,
    uint64_t off, uint64_t last, uint64_t pos, const char *fmt, ...)
{
	uint64_t seg = NONE, base;
	va_list ap;

	if (file != NULL && strlen(file) == 24 &&
	    (mlog_segment_parse_name(file, "log", &base) == 0 ||
	    mlog_segment_parse_name(file, "idx", &base) == 0))
		seg = base;
	va_start(ap, fmt);
	vreport(c, kind, c->p->pn, file, seg, off, last, pos, fmt, ap);
	va_end(ap);
}

static void
where(struct ck *c, const char *file)
{
	if (c->p == NULL)
		snprintf(c->where, c->wherelen, "%s", file ? file : "");
	else if (file == NULL)
		snprintf(c->where, c->wherelen, "partition %u", c->p->pn);
	else
		snprintf(c->where, c->wherelen, "partition %u: %s", c->p->pn,
		    file);
}

static int
grow(void *pp, size_t *cap, size_t n, size_t size)
{
	void **p = pp, *np;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	if ((np = reallocarray(*p, ncap, size)) == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

/* ---------------------------------------------------------------- reading */

/*
 * Bytes [pos, pos + n) of the segment, pos + n <= c->wsize; *avail (when
 * not NULL) says how many are buffered from pos on.  NULL on a read error,
 * or with c->shrunk set when the file got shorter under us.
 */
static const unsigned char *
win(struct ck *c, uint64_t pos, size_t n, size_t *avail)
{
	unsigned char *nb;
	size_t keep = 0, want, cap, least;
	ssize_t r;

	if (pos >= c->wat && pos + n <= c->wat + c->wlen)
		goto done;
	/* no bigger than the segment: most are short */
	least = c->wsize < WIN_MIN ? (size_t)c->wsize + 1 : WIN_MIN;
	if (n > c->wcap || c->wcap < least) {
		for (cap = c->wcap < least ? least : c->wcap; cap < n;
		    cap *= 2)
			;
		if ((nb = realloc(c->wbuf, cap)) == NULL)
			return NULL;
		c->wbuf = nb;
		c->wcap = cap;
	}
	if (pos >= c->wat && pos < c->wat + c->wlen) {
		keep = (size_t)(c->wat + c->wlen - pos);
		memmove(c->wbuf, c->wbuf + (pos - c->wat), keep);
	}
	c->wat = pos;
	c->wlen = keep;
	want = c->wsize - pos < c->wcap ? (size_t)(c->wsize - pos) : c->wcap;
	while (c->wlen < want) {
		r = pread(c->segfd, c->wbuf + c->wlen, want - c->wlen,
		    (off_t)(pos + c->wlen));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (r == 0)
			break;
		c->wlen += (size_t)r;
	}
	if (c->wlen < n) {
		c->shrunk = 1;
		errno = ESTALE;
		return NULL;
	}
done:
	if (avail != NULL)
		*avail = (size_t)(c->wat + c->wlen - pos);
	return c->wbuf + (pos - c->wat);
}

static void
win_reset(struct ck *c, int fd, uint64_t size)
{
	c->segfd = fd;
	c->wsize = size;
	c->wat = c->wlen = 0;
	c->shrunk = 0;
}

/* CRC32C of the bytes [from, to) of the segment. */
static int
crc_range(struct ck *c, uint64_t from, uint64_t to, uint32_t *crc)
{
	const unsigned char *p;
	size_t avail, n;
	uint32_t v = 0;

	while (from < to) {
		n = to - from < WIN_MIN ? (size_t)(to - from) : WIN_MIN;
		if ((p = win(c, from, n, &avail)) == NULL)
			return -1;
		if (avail > to - from)
			avail = (size_t)(to - from);
		v = mlog_crc32c(v, p, avail);
		from += avail;
	}
	*crc = v;
	return 0;
}

/* Do the attributes and the key length fit a record of total bytes? */
static int
fields_fit(unsigned char attr, uint32_t klen, uint64_t total)
{
	return (attr & ~(MLOG_ATTR_KEY | MLOG_ATTR_NULLVAL)) == 0 &&
	    klen <= total - MLOG_REC_HDR &&
	    ((attr & MLOG_ATTR_KEY) || klen == 0) &&
	    (!(attr & MLOG_ATTR_NULLVAL) || klen == total - MLOG_REC_HDR);
}

enum { REC_OK, REC_SHORT, REC_BAD };

/* The record at pos: REC_OK with its fields and size, REC_SHORT when it
 * runs past end (or fewer than 4 bytes are left), REC_BAD when the bytes
 * are not a valid record; -1 on error. */
static int
probe(struct ck *c, uint64_t pos, uint64_t end, struct mlog_record *rec,
    size_t *len)
{
	const unsigned char *p;
	uint32_t l;
	size_t need;

	if (end - pos < 4)
		return REC_SHORT;
	if ((p = win(c, pos, 4, NULL)) == NULL)
		return -1;
	l = get32(p);
	if (l < MLOG_REC_HDR - 4 || l > MLOG_REC_MAX - 4)
		return REC_BAD;
	if ((uint64_t)l + 4 > end - pos)
		return REC_SHORT;
	if ((p = win(c, pos, (size_t)l + 4, NULL)) == NULL)
		return -1;
	if (mlog_record_decode(p, (size_t)l + 4, rec, &need) !=
	    (ssize_t)l + 4)
		return REC_BAD;
	*len = (size_t)l + 4;
	return REC_OK;
}

/* Would the bytes [pos, end) be a valid record if their length field read
 * end - pos - 4?  Then only the length field is damaged. */
static int
whole(struct ck *c, uint64_t pos, uint64_t end)
{
	const unsigned char *p;
	uint64_t total = end - pos;
	uint32_t want, crc;
	unsigned char attr;

	if (total < MLOG_REC_HDR || total > MLOG_REC_MAX)
		return 0;
	if ((p = win(c, pos, MLOG_REC_HDR, NULL)) == NULL)
		return -1;
	attr = p[24];
	want = get32(p + 12);
	if (!fields_fit(attr, get32(p + 25), total))
		return 0;
	if (crc_range(c, pos + 16, end, &crc) < 0)
		return -1;
	return crc == want;
}

/*
 * The first position after pos where a record starts whose CRC matches and
 * whose offset could come next (lo <= offset < hi); end when there is none.
 * The cheap tests come first, so garbage is skipped at memory speed.
 */
static int
resync(struct ck *c, uint64_t pos, uint64_t end, uint64_t lo, uint64_t hi,
    uint64_t *found)
{
	const unsigned char *p, *r;
	uint64_t q, off;
	uint32_t l, k, crc;
	size_t avail, i;

	for (q = pos + 1; q + MLOG_REC_HDR <= end;) {
		if ((p = win(c, q, MLOG_REC_HDR, &avail)) == NULL)
			return -1;
		if (avail > end - q)
			avail = (size_t)(end - q);
		for (i = 0; i + MLOG_REC_HDR <= avail; i++) {
			r = p + i;
			l = get32(r);
			if (l < MLOG_REC_HDR - 4 || (uint64_t)l + 4 > end - q - i)
				continue;
			k = get32(r + 25);
			if (!fields_fit(r[24], k, (uint64_t)l + 4))
				continue;
			off = get64(r + 4);
			if (off < lo || off >= hi)
				continue;
			/* the window may move: p is not used after this */
			if (crc_range(c, q + i + 16, q + i + 4 + l, &crc) < 0)
				return -1;
			if ((p = win(c, q + i, 16, NULL)) == NULL)
				return -1;
			if (crc == get32(p + 12)) {
				*found = q + i;
				return 0;
			}
			break;
		}
		q += i + (i + MLOG_REC_HDR <= avail ? 1 : 0);
	}
	*found = end;
	return 0;
}

/* What is wrong with the record at pos, the next valid one being at end
 * (or the segment ending there). */
static int
describe(struct ck *c, uint64_t pos, uint64_t end, int segend, char *msg,
    size_t len)
{
	const unsigned char *p;
	uint64_t rem = end - pos;
	uint32_t l, k;
	int w;

	if ((w = whole(c, pos, end)) < 0)
		return -1;
	if (rem < 4) {
		snprintf(msg, len, "%llu stray bytes", (unsigned long long)rem);
		return 0;
	}
	if ((p = win(c, pos, rem < MLOG_REC_HDR ? (size_t)rem : MLOG_REC_HDR,
	    NULL)) == NULL)
		return -1;
	l = get32(p);
	if (w && l != rem - 4)
		snprintf(msg, len, "bad length (reads %u, expected %llu)", l,
		    (unsigned long long)(rem - 4));
	else if (l < MLOG_REC_HDR - 4 || l > MLOG_REC_MAX - 4)
		snprintf(msg, len, "bad length (%u)", l);
	else if ((uint64_t)l + 4 > rem && segend)
		snprintf(msg, len, "bad length (%u, past the end of the "
		    "segment)", l);
	else if ((uint64_t)l + 4 > rem)
		snprintf(msg, len, "bad length (%u, into the next record)", l);
	else if ((p[24] & ~(MLOG_ATTR_KEY | MLOG_ATTR_NULLVAL)) != 0)
		snprintf(msg, len, "bad attributes (0x%02x)", p[24]);
	else if ((k = get32(p + 25)) > l + 4 - MLOG_REC_HDR ||
	    (!(p[24] & MLOG_ATTR_KEY) && k != 0))
		snprintf(msg, len, "bad key length (%u)", k);
	else if ((p[24] & MLOG_ATTR_NULLVAL) && k != l + 4 - MLOG_REC_HDR)
		snprintf(msg, len, "bad attributes (0x%02x)", p[24]);
	else
		snprintf(msg, len, "CRC mismatch");
	return 0;
}

/* Record fragments in [pos, end), following the length fields. */
static int
fragments(struct ck *c, uint64_t pos, uint64_t end, uint64_t *n)
{
	const unsigned char *p;
	uint64_t len;

	*n = 0;
	while (pos < end) {
		(*n)++;
		if (end - pos < 4)
			break;
		if ((p = win(c, pos, 4, NULL)) == NULL)
			return -1;
		len = (uint64_t)get32(p) + 4;
		if (len < MLOG_REC_HDR)
			break;
		pos += len;
	}
	return 0;
}

/* ------------------------------------------------------------ the records */

static int
add_span(struct ck *c, uint64_t from, uint64_t to)
{
	if (grow(&c->spans, &c->capspans, c->nspans, sizeof(*c->spans)) < 0)
		return -1;
	c->spans[c->nspans].from = from;
	c->spans[c->nspans++].to = to;
	return 0;
}

static int
in_span(const struct ck *c, uint64_t pos)
{
	size_t i;

	for (i = 0; i < c->nspans; i++)
		if (pos >= c->spans[i].from && pos < c->spans[i].to)
			return 1;
	return 0;
}

static void
inexact(struct scan *s)
{
	if (s->exact) {
		s->exact = 0;
		s->exact_end = s->pos;
	}
}

/*
 * The partition lock, shared and without waiting, before the end of the
 * last segment is judged: 1 when we hold it (an appender cannot be
 * writing), 0 when an appender does.  The lock file is opened read-only
 * and never created, so a check writes nothing and needs no write access;
 * a partition without one has never had an appender.
 */
static int
tail_lock(struct ck *c, struct scan *s)
{
	int fd;

	if (s->locked)
		return 1;
	s->locked = 1;
	if (c->locked)
		return 1;
	if ((fd = openat(c->p->fd, "lock", O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) < 0)
		return errno == ENOENT ? 1 : -1;
	while (flock(fd, LOCK_SH | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		close(fd);
		s->locked = 0;
		return errno == EWOULDBLOCK ? 0 : -1;
	}
	s->lockfd = fd;
	return 1;
}

/* Under the lock: take in what was appended since we looked. */
static int
regrow(struct ck *c, struct scan *s)
{
	struct stat st;

	if (fstat(c->segfd, &st) < 0)
		return -1;
	if ((uint64_t)st.st_size < s->size) {
		c->shrunk = 1;
		return 0;
	}
	if ((uint64_t)st.st_size == s->size)
		return 0;
	s->size = c->wsize = (uint64_t)st.st_size;
	return 1;
}

/* The first offset the damage at s->pos may have held. */
static uint64_t
first_damaged(const struct scan *s, const struct seg *g)
{
	if (!g->compacted)
		return s->expect;
	return s->have_prev ? s->prev + 1 : g->base;
}

static int
offset_anomaly(struct ck *c, struct scan *s, uint64_t x, size_t n,
    uint64_t *idxoff)
{
	struct seg *g = c->g;
	struct mlog_record next;
	uint64_t e = s->expect, y = 0, after = s->pos + n;
	size_t n2;
	int rc, have_y, flip;
	struct fix *f;

	if (g->compacted) {
		if (x < first_damaged(s, g) && s->have_prev)
			report(c, MLOG_CHECK_DAMAGE, c->name, x, x, s->pos,
			    "offset went backwards (after %llu)",
			    (unsigned long long)s->prev);
		else if (x < first_damaged(s, g))
			report(c, MLOG_CHECK_DAMAGE, c->name, x, x, s->pos,
			    "offset below the segment's base");
		else
			report(c, MLOG_CHECK_DAMAGE, c->name, x, x, s->pos,
			    "offset not below the next segment's base (%llu)",
			    (unsigned long long)s->next_base);
		g->mid = 1;
		inexact(s);
		return add_span(c, s->pos, after);
	}
	if ((rc = probe(c, after, s->size, &next, &n2)) < 0)
		return -1;
	have_y = rc == REC_OK;
	if (have_y)
		y = next.offset;
	flip = have_y ? y == e + 1 : after == s->size &&
	    (g->last || s->next_base == e + 1);
	if (flip) {
		report(c, MLOG_CHECK_DAMAGE, c->name, e, e, s->pos,
		    "offset field reads %llu", (unsigned long long)x);
		if (grow(&g->fixes, &g->capfixes, g->nfixes,
		    sizeof(*g->fixes)) < 0)
			return -1;
		f = &g->fixes[g->nfixes++];
		f->pos = s->pos;
		f->off = e;
		f->was = x;
		*idxoff = e;
		s->expect = e + 1;
	} else if (x > e) {
		report(c, MLOG_CHECK_DAMAGE, c->name, e, x - 1, s->pos,
		    "missing (the next record has offset %llu)",
		    (unsigned long long)x);
		g->mid = 1;
		inexact(s);
		s->expect = x + 1;
	} else {
		report(c, MLOG_CHECK_DAMAGE, c->name, x, x, s->pos,
		    "offset went backwards (expected %llu)",
		    (unsigned long long)e);
		g->mid = 1;
		inexact(s);
		if (have_y && y == x + 1)
			s->expect = x + 1;
	}
	return add_span(c, s->pos, after);
}

/* A record whose CRC matched: its offset, its timestamp, its index entry.
 * Returns 1 when the window may have moved. */
static int
good_record(struct ck *c, struct scan *s, uint64_t x, int64_t ts, size_t n)
{
	struct seg *g = c->g;
	struct idx_entry e;
	uint64_t idxoff = x;
	int moved = 0;

	if (g->compacted ? x < first_damaged(s, g) ||
	    (s->next_base != NONE && x >= s->next_base) : x != s->expect) {
		if (offset_anomaly(c, s, x, n, &idxoff) < 0)
			return -1;
		moved = 1;
	} else if (g->compacted) {
		s->prev = x;
		s->have_prev = 1;
		s->hi = x + 1;
	} else
		s->expect = x + 1;
	if (ts < MLOG_TS_MIN || ts > MLOG_TS_MAX)
		report(c, MLOG_CHECK_DAMAGE, c->name, idxoff, idxoff, s->pos,
		    "timestamp %lld out of range", (long long)ts);
	if (s->exact) {
		if (seg_scan_note(&s->ss, s->pos, idxoff, ts, n, &e)) {
			if (grow(&c->exp, &c->capexp, c->nexp,
			    sizeof(*c->exp)) < 0)
				return -1;
			c->exp[c->nexp++] = e;
		}
		s->exact_end = s->pos + n;
	}
	if (!c->quiet)
		c->st.records++;
	s->pos += n;
	s->valid_end = s->pos;
	return moved;
}

/* The size of the well-formed record at p, 0 if there is none in avail
 * bytes: mlog_record_parse() without the fields, for the common path. */
static inline size_t
lean_parse(const unsigned char *p, size_t avail)
{
	uint32_t l;

	if (avail < MLOG_REC_HDR)
		return 0;
	l = get32(p);
	if (l < MLOG_REC_HDR - 4 || l > MLOG_REC_MAX - 4 ||
	    (size_t)l + 4 > avail ||
	    !fields_fit(p[24], get32(p + 25), (uint64_t)l + 4))
		return 0;
	return (size_t)l + 4;
}

/* Valid records from s->pos on, many at a time; *done says how many. */
static int
run_batch(struct ck *c, struct scan *s, size_t *done)
{
	const unsigned char *p, *ptr[BATCH];
	size_t lens[BATCH], avail, at = 0, k = 0, i, n;
	uint32_t crc[BATCH];
	int rc;

	*done = 0;
	if ((p = win(c, s->pos, s->size - s->pos < 4 ? 0 : 4, &avail)) == NULL)
		return -1;
	if (avail > s->size - s->pos)
		avail = (size_t)(s->size - s->pos);
	while (k < BATCH && (n = lean_parse(p + at, avail - at)) > 0) {
		ptr[k] = p + at + 16;
		lens[k++] = n - 16;
		at += n;
	}
	mlog_crc32c_many(ptr, lens, crc, k);
	for (i = 0; i < k && get32(ptr[i] - 4) == crc[i]; i++) {
		rc = good_record(c, s, get64(ptr[i] - 12),
		    (int64_t)get64(ptr[i]), lens[i] + 16);
		(*done)++;
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
	return 0;
}

/* Invalid bytes at s->pos followed by a valid record at q. */
static int
mid_damage(struct ck *c, struct scan *s, uint64_t q)
{
	struct seg *g = c->g;
	const unsigned char *p;
	char msg[MSG_LEN];
	uint64_t first = first_damaged(s, g), y;

	if (describe(c, s->pos, q, 0, msg, sizeof(msg)) < 0 ||
	    (p = win(c, q, 12, NULL)) == NULL)
		return -1;
	y = get64(p + 4);
	if (y > first)
		report(c, MLOG_CHECK_DAMAGE, c->name, first, y - 1, s->pos,
		    "%s", msg);
	else
		report(c, MLOG_CHECK_DAMAGE, c->name, NONE, NONE, s->pos,
		    "%s", msg);
	g->mid = 1;
	inexact(s);
	if (add_span(c, s->pos, q) < 0)
		return -1;
	if (!g->compacted)
		s->expect = y;
	s->pos = q;
	return 0;
}

/* Nothing valid from s->pos to the end of the segment. */
static int
tail_damage(struct ck *c, struct scan *s)
{
	struct seg *g = c->g;
	const unsigned char *p;
	char msg[MSG_LEN];
	uint64_t rem = s->size - s->pos, first, last, n;
	uint32_t l = 0;
	int w;

	if (rem >= 4) {
		if ((p = win(c, s->pos, 4, NULL)) == NULL)
			return -1;
		l = get32(p);
	}
	if ((w = whole(c, s->pos, s->size)) < 0)
		return -1;
	inexact(s);
	g->tail = 1;
	g->tail_pos = s->pos;
	g->tail_first = g->tail_last = NONE;
	if (g->last && (rem < 4 || (uint64_t)l + 4 > rem) && !w) {
		/* an append that stopped part way: no one got its offset */
		g->torn = 1;
		report(c, MLOG_CHECK_NOTICE, c->name, NONE, NONE, s->pos,
		    "torn tail of %llu byte%s, left by an interrupted append "
		    "(the next mlog-append cuts it)", (unsigned long long)rem,
		    rem == 1 ? "" : "s");
		return add_span(c, s->pos, s->size);
	}
	if (describe(c, s->pos, s->size, 1, msg, sizeof(msg)) < 0)
		return -1;
	first = first_damaged(s, g);
	if (!g->last && s->next_base != NONE)
		last = s->next_base > first ? s->next_base - 1 : NONE;
	else if (g->compacted)
		last = first;
	else {
		if (fragments(c, s->pos, s->size, &n) < 0)
			return -1;
		last = first + n - 1;
	}
	if (last == NONE)
		report(c, MLOG_CHECK_DAMAGE, c->name, NONE, NONE, s->pos,
		    "%s", msg);
	else {
		report(c, MLOG_CHECK_DAMAGE, c->name, first, last, s->pos,
		    "%s", msg);
		g->tail_first = first;
		g->tail_last = last;
		if (!g->compacted)
			s->expect = last + 1;
	}
	return add_span(c, s->pos, s->size);
}

/* The records of the segment from s->pos on. */
static int
scan_records(struct ck *c, struct scan *s)
{
	struct seg *g = c->g;
	struct mlog_record rec;
	uint64_t q, lo, hi;
	size_t n, done;
	int rc;

	for (;;) {
		if (c->shrunk)
			return 0;
		if (s->pos >= s->size) {
			if (!g->last || s->locked)
				return 0;
			if ((rc = tail_lock(c, s)) <= 0) {
				g->busy = rc == 0;
				return rc;
			}
			if ((rc = regrow(c, s)) <= 0)
				return rc;
			continue;
		}
		if (run_batch(c, s, &done) < 0)
			return -1;
		if (done > 0)
			continue;
		if ((rc = probe(c, s->pos, s->size, &rec, &n)) < 0)
			return -1;
		if (rc == REC_OK) {
			if (good_record(c, s, rec.offset, rec.timestamp, n) < 0)
				return -1;
			continue;
		}
		if (g->compacted) {
			lo = first_damaged(s, g);
			hi = s->next_base == NONE ? UINT64_MAX : s->next_base;
		} else {
			lo = s->expect;
			hi = s->expect + RESYNC_SPAN + 1;
		}
		if (resync(c, s->pos, s->size, lo, hi, &q) < 0)
			return -1;
		if (q == s->size && g->last && !s->locked) {
			if ((rc = tail_lock(c, s)) <= 0) {
				g->busy = rc == 0;
				return rc;
			}
			if ((rc = regrow(c, s)) < 0)
				return -1;
			continue;
		}
		if (q < s->size) {
			if (mid_damage(c, s, q) < 0)
				return -1;
			continue;
		}
		return tail_damage(c, s);
	}
}

/* ------------------------------------------------------------ the index */

struct idiff {
	uint64_t	 n;		/* entries that differ */
	uint64_t	 first;		/* the first of them */
	char		 msg[MSG_LEN];
};

static void
differ(struct idiff *d, uint64_t i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
differ(struct idiff *d, uint64_t i, const char *fmt, ...)
{
	va_list ap;

	if (d->n++ > 0)
		return;
	d->first = i;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
}

static void
compare_exact(struct idiff *d, uint64_t i, uint64_t base,
    const struct idx_entry *a, const struct idx_entry *x)
{
	if (a->pos != x->pos)
		differ(d, i, "index entry %llu points at byte %u, expected %u",
		    (unsigned long long)i, a->pos, x->pos);
	else if (a->rel != x->rel)
		differ(d, i, "index entry %llu reads offset %llu, expected "
		    "%llu", (unsigned long long)i,
		    (unsigned long long)(base + a->rel),
		    (unsigned long long)(base + x->rel));
	else if (a->maxts != x->maxts)
		differ(d, i, "index entry %llu reads timestamp bound %lld, "
		    "expected %lld", (unsigned long long)i,
		    (long long)a->maxts, (long long)x->maxts);
}

/* After damage, where the writer's entries cannot be recomputed: the entry
 * must still point at a record with its offset. */
static int
compare_loose(struct ck *c, struct idiff *d, uint64_t i,
    const struct idx_entry *a, const struct idx_entry *before)
{
	struct mlog_record rec;
	size_t n;
	int rc;

	if (before != NULL && (a->rel <= before->rel || a->pos <= before->pos ||
	    a->maxts < before->maxts)) {
		differ(d, i, "index entry %llu is out of order",
		    (unsigned long long)i);
		return 0;
	}
	if (in_span(c, a->pos))
		return 0;
	if ((rc = probe(c, a->pos, c->wsize, &rec, &n)) < 0)
		return -1;
	if (rc != REC_OK)
		differ(d, i, "index entry %llu points at byte %u, where no "
		    "record starts", (unsigned long long)i, a->pos);
	else if (rec.offset != c->g->base + a->rel)
		differ(d, i, "index entry %llu reads offset %llu, the record "
		    "at byte %u has offset %llu", (unsigned long long)i,
		    (unsigned long long)(c->g->base + a->rel), a->pos,
		    (unsigned long long)rec.offset);
	return 0;
}

static int
check_index(struct ck *c, struct scan *s)
{
	struct seg *g = c->g;
	char name[NAME_LEN];
	unsigned char hdr[IDX_HDR], *ents = NULL;
	struct idx_entry a, prev;
	struct idiff d;
	struct stat st;
	uint64_t n, i, j, first = 0, past = 0, pastfirst = 0, partial;
	ssize_t got;
	int fd, rc = -1;

	mlog_segment_name(name, sizeof(name), g->base, "idx");
	where(c, name);
	if ((fd = openat(c->p->fd, name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) < 0) {
		if (errno != ENOENT)
			return -1;
		report(c, MLOG_CHECK_NOTICE, name, NONE, NONE, NONE,
		    "no index (readers rebuild it)");
		g->idx_fix = 1;
		return 0;
	}
	if (fstat(fd, &st) < 0)
		goto out;
	if (st.st_size < IDX_HDR || pread_full(fd, hdr, IDX_HDR, 0) !=
	    IDX_HDR || memcmp(hdr, IDX_MAGIC, 8) != 0 ||
	    get64(hdr + 8) != g->base) {
		if (st.st_size < IDX_HDR)
			report(c, MLOG_CHECK_DAMAGE, name, NONE, NONE, 0,
			    "bad index header (%lld bytes)",
			    (long long)st.st_size);
		else if (memcmp(hdr, IDX_MAGIC, 8) != 0)
			report(c, MLOG_CHECK_DAMAGE, name, NONE, NONE, 0,
			    "bad index header (magic)");
		else
			report(c, MLOG_CHECK_DAMAGE, name, NONE, NONE, 0,
			    "bad index header (base reads %llu)",
			    (unsigned long long)get64(hdr + 8));
		g->idx_fix = 1;
		rc = 0;
		goto out;
	}
	partial = ((uint64_t)st.st_size - IDX_HDR) % IDX_ENTRY;
	if (partial != 0 && !g->busy) {
		report(c, MLOG_CHECK_DAMAGE, name, NONE, NONE,
		    (uint64_t)st.st_size - partial,
		    "partial index entry (%llu bytes)",
		    (unsigned long long)partial);
		g->idx_fix = 1;
	}
	n = ((uint64_t)st.st_size - IDX_HDR) / IDX_ENTRY;
	if (n > 0) {
		if ((ents = malloc(n * IDX_ENTRY)) == NULL)
			goto out;
		if ((got = pread_full(fd, ents, n * IDX_ENTRY, IDX_HDR)) < 0)
			goto out;
		n = (uint64_t)got / IDX_ENTRY;
	}
	if (s->startpos > MLOG_SEG_HDR) {
		/* a quick check trusts the entries up to where it began */
		for (first = n; first > 0; first--) {
			idx_unpack(ents + (first - 1) * IDX_ENTRY, &a);
			if (a.pos == s->startpos)
				break;
		}
		if (first == 0)
			first = n;
	}
	memset(&d, 0, sizeof(d));
	for (i = first; i < n; i++) {
		idx_unpack(ents + i * IDX_ENTRY, &a);
		/* a repair cuts the tail, and entries into it must go too */
		if (g->tail && a.pos >= g->tail_pos)
			g->idx_fix = 1;
		j = i - first;
		if (j < c->nexp)
			compare_exact(&d, i, g->base, &a, &c->exp[j]);
		else if (a.pos >= s->valid_end &&
		    (g->torn || !in_span(c, a.pos))) {
			if (past++ == 0)
				pastfirst = i;
		} else if (a.pos < s->exact_end)
			differ(&d, i, "index entry %llu points at byte %u, where "
			    "no entry is due", (unsigned long long)i, a.pos);
		else {
			if (i > 0)
				idx_unpack(ents + (i - 1) * IDX_ENTRY, &prev);
			if (compare_loose(c, &d, i, &a, i > 0 ? &prev : NULL) < 0)
				goto out;
		}
	}
	if (d.n > 0) {
		report(c, MLOG_CHECK_DAMAGE, name, NONE, NONE,
		    IDX_HDR + d.first * IDX_ENTRY, "%s", d.msg);
		if (d.n > 1)
			report(c, MLOG_CHECK_DAMAGE, name, NONE, NONE, NONE,
			    "%llu more index entries differ from the segment",
			    (unsigned long long)(d.n - 1));
		g->idx_fix = 1;
	}
	if (past > 0 && !g->busy) {
		if (g->last)
			report(c, MLOG_CHECK_NOTICE, name, NONE, NONE,
			    IDX_HDR + pastfirst * IDX_ENTRY,
			    "%llu index entr%s past the last record (the next "
			    "mlog-append cuts them)", (unsigned long long)past,
			    past == 1 ? "y points" : "ies point");
		else
			report(c, MLOG_CHECK_DAMAGE, name, NONE, NONE,
			    IDX_HDR + pastfirst * IDX_ENTRY,
			    "%llu index entr%s past the last record",
			    (unsigned long long)past,
			    past == 1 ? "y points" : "ies point");
		g->idx_fix = 1;
	}
	if (n - first < c->nexp && !g->busy) {
		j = c->nexp - (n - first);
		if (g->last)
			report(c, MLOG_CHECK_NOTICE, name, NONE, NONE, NONE,
			    "the index lacks its last %llu entr%s (the next "
			    "mlog-append adds them)", (unsigned long long)j,
			    j == 1 ? "y" : "ies");
		else
			report(c, MLOG_CHECK_DAMAGE, name, NONE, NONE, NONE,
			    "the index lacks its last %llu entr%s",
			    (unsigned long long)j, j == 1 ? "y" : "ies");
		g->idx_fix = 1;
	}
	rc = 0;
out:
	free(ents);
	close(fd);
	return rc;
}

/* ------------------------------------------------------------ a segment */

/* How many bits two 8-byte magics differ by. */
static int
distance(const unsigned char *a, const char *b)
{
	int i, d = 0;

	for (i = 0; i < 8; i++)
		d += __builtin_popcount((unsigned)(a[i] ^ (unsigned char)b[i]));
	return d;
}

static void
printable(char *dst, size_t len, const unsigned char *src, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 5 < len; i++) {
		if (src[i] >= 0x20 && src[i] < 0x7f && src[i] != '"' &&
		    src[i] != '\\')
			dst[o++] = (char)src[i];
		else
			o += (size_t)snprintf(dst + o, len - o, "\\x%02x",
			    src[i]);
	}
	dst[o] = '\0';
}

/* The segment header; *go is cleared when nothing more can be checked. */
static int
check_header(struct ck *c, struct scan *s, int *go)
{
	struct seg *g = c->g;
	unsigned char hdr[MLOG_SEG_HDR];
	char magic[40], msg[MSG_LEN];
	uint64_t b;
	ssize_t n;
	int rc, m = 0;

	*go = 1;
	g->created = mlog_now_us();
	if (s->size < MLOG_SEG_HDR && g->last) {
		if ((rc = tail_lock(c, s)) <= 0) {
			g->busy = rc == 0;
			*go = 0;
			return rc;
		}
		if (regrow(c, s) < 0)
			return -1;
	}
	if (s->size < MLOG_SEG_HDR) {
		*go = 0;
		g->end = g->base;
		g->have_end = 1;
		if (g->last) {
			report(c, MLOG_CHECK_NOTICE, c->name, NONE, NONE, 0,
			    "incomplete segment header (%llu bytes), left by "
			    "an interrupted roll (the next mlog-append "
			    "rewrites it)", (unsigned long long)s->size);
			g->hdr_fix = 1;
			g->idx_fix = 1;
		} else {
			report(c, MLOG_CHECK_DAMAGE, c->name, NONE, NONE, 0,
			    "truncated segment header (%llu bytes)",
			    (unsigned long long)s->size);
			g->mid = 1;
		}
		return 0;
	}
	if ((n = pread_full(c->segfd, hdr, sizeof(hdr), 0)) < 0)
		return -1;
	if (n < (ssize_t)sizeof(hdr)) {
		c->shrunk = 1;
		return 0;
	}
	if (memcmp(hdr, SEG_MAGIC, 8) == 0)
		g->compacted = 0;
	else if (memcmp(hdr, SEG_MAGIC_COMPACT, 8) == 0)
		g->compacted = 1;
	else {
		/* a damaged magic is read as the nearer of the two */
		g->compacted = distance(hdr, SEG_MAGIC_COMPACT) <
		    distance(hdr, SEG_MAGIC);
		printable(magic, sizeof(magic), hdr, 8);
		m = snprintf(msg, sizeof(msg), "bad segment header: magic "
		    "reads \"%s\"", magic);
	}
	b = get64(hdr + 8);
	if (b != g->base)
		snprintf(msg + m, sizeof(msg) - (size_t)m, "%sbase reads %llu",
		    m ? ", " : "bad segment header: ", (unsigned long long)b);
	if (m > 0 || b != g->base) {
		report(c, MLOG_CHECK_DAMAGE, c->name, NONE, NONE, 0, "%s", msg);
		g->hdr_fix = 1;
	}
	g->created = (int64_t)get64(hdr + 16);
	return 0;
}

static int
check_segment(struct ck *c, size_t i)
{
	struct part *p = c->p;
	struct seg *g = &p->s[i];
	struct scan s;
	struct stat st;
	int fd = -1, idxfd, go, rc = -1;

	c->g = g;
	mlog_segment_name(c->name, sizeof(c->name), g->base, "log");
	where(c, c->name);
	memset(&s, 0, sizeof(s));
	s.lockfd = -1;
	s.next_base = i + 1 < p->ns ? p->s[i + 1].base : NONE;
	g->last = i + 1 == p->ns;
	c->nexp = c->nspans = 0;
	if ((fd = openat(p->fd, c->name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) < 0) {
		if (errno != ENOENT)
			return -1;
		g->gone = 1;
		return 0;
	}
	if (fstat(fd, &st) < 0)
		goto out;
	s.size = (uint64_t)st.st_size;
	win_reset(c, fd, s.size);
	if (check_header(c, &s, &go) < 0)
		goto out;
	if (!go || c->shrunk)
		goto counted;
	seg_scan_init(&s.ss, g->base);
	s.pos = s.startpos = s.valid_end = s.exact_end = MLOG_SEG_HDR;
	if ((c->flags & MLOG_CHECK_QUICK) && s.size > MLOG_SEG_HDR) {
		/* from the last index entry that agrees with the segment */
		mlog_segment_name(c->name, sizeof(c->name), g->base, "idx");
		idxfd = openat(p->fd, c->name, O_RDONLY | O_CLOEXEC |
		    O_NOFOLLOW);
		mlog_segment_name(c->name, sizeof(c->name), g->base, "log");
		if (idxfd < 0 && errno != ENOENT)
			goto out;
		rc = seg_scan_from_index(fd, idxfd, g->base, s.size, 0, &s.ss);
		if (idxfd >= 0)
			close(idxfd);
		if (rc < 0)
			goto out;
		rc = -1;
		s.pos = s.startpos = s.valid_end = s.exact_end = s.ss.pos;
		if (s.pos > MLOG_SEG_HDR && g->compacted) {
			s.prev = s.ss.next - 1;
			s.have_prev = 1;
		}
	}
	s.expect = s.ss.next;
	s.hi = g->base;
	s.exact = 1;
	if (scan_records(c, &s) < 0 && !c->shrunk)
		goto out;
	if (c->shrunk)
		goto counted;
	g->end = g->compacted ? (s.hi > g->base ? s.hi : g->base) : s.expect;
	g->have_end = 1;
	if (check_index(c, &s) < 0 && !c->shrunk)
		goto out;
counted:
	/* an appender cut it under us: what we did not see is not judged */
	if (c->shrunk) {
		g->busy = 1;
		g->have_end = 0;
	}
	if (!c->quiet) {
		c->st.segments++;
		c->st.bytes += s.size - (s.startpos > MLOG_SEG_HDR ?
		    s.startpos : 0);
	}
	rc = 0;
out:
	if (s.lockfd >= 0)
		close(s.lockfd);
	close(fd);
	c->segfd = -1;
	return rc;
}

/* --------------------------------------------------------- a partition */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The segment bases of the partition, from two listings: a segment created
 * while the first one ran may be missing from it (see reader.c). */
static int
list_segments(struct ck *c, uint64_t **out, size_t *nout)
{
	uint64_t *a, *b, *v;
	size_t na, nb, i = 0, j = 0, n = 0;

	if (mlog_log_segments(c->p->fd, &a, &na) < 0)
		return -1;
	if (mlog_log_segments(c->p->fd, &b, &nb) < 0) {
		free(a);
		return -1;
	}
	if ((v = reallocarray(NULL, na + nb + 1, sizeof(*v))) == NULL) {
		free(a);
		free(b);
		return -1;
	}
	while (i < na || j < nb) {
		if (j == nb || (i < na && a[i] < b[j]))
			v[n++] = a[i++];
		else if (i == na || b[j] < a[i])
			v[n++] = b[j++];
		else {
			v[n++] = a[i++];
			j++;
		}
	}
	free(a);
	free(b);
	*out = v;
	*nout = n;
	return 0;
}

/* Replace the segments after s[i] by those listed now; 1 when the list
 * changed between s[i] and the segment that followed it. */
static int
relist(struct ck *c, size_t i)
{
	struct part *p = c->p;
	struct seg *ns;
	uint64_t *v, after = i + 1 < p->ns ? p->s[i + 1].base : NONE;
	size_t n, k, j, keep = i + 1;
	int changed;

	if (list_segments(c, &v, &n) < 0)
		return -1;
	for (k = 0; k < n && v[k] <= p->s[i].base; k++)
		;
	changed = k < n ? v[k] != after : after != NONE;
	if ((ns = reallocarray(p->s, keep + (n - k) + 1, sizeof(*ns))) ==
	    NULL) {
		free(v);
		return -1;
	}
	for (j = keep; j < p->ns; j++)
		free(ns[j].fixes);
	p->s = ns;
	for (j = 0; k < n; k++, j++) {
		memset(&ns[keep + j], 0, sizeof(*ns));
		ns[keep + j].base = v[k];
	}
	p->ns = keep + j;
	free(v);
	return changed;
}

static int
has_moved(const struct part *p, uint64_t base)
{
	return p->nmoved > 0 && bsearch(&base, p->moved, p->nmoved, sizeof(*p->moved),
	    cmp_u64) != NULL;
}

/* LOG/damaged/pN/BASE.log: segments and tails --repair moved aside. */
static int
list_moved(struct ck *c)
{
	struct part *p = c->p;
	struct dirent *d;
	char dir[32];
	uint64_t base, *nv;
	size_t cap = 0;
	DIR *dp;
	int fd;

	snprintf(dir, sizeof(dir), "damaged/p%u", p->pn);
	if ((fd = openat(c->log->dirfd, dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? 0 : -1;
	if ((dp = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((d = readdir(dp)) != NULL) {
		if (strlen(d->d_name) != 24 ||
		    mlog_segment_parse_name(d->d_name, "log", &base) < 0)
			continue;
		if (p->nmoved == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nv = reallocarray(p->moved, cap,
			    sizeof(*nv))) == NULL) {
				closedir(dp);
				return -1;
			}
			p->moved = nv;
		}
		p->moved[p->nmoved++] = base;
	}
	closedir(dp);
	if (p->nmoved > 1)
		qsort(p->moved, p->nmoved, sizeof(*p->moved), cmp_u64);
	return 0;
}

static int
digits20(const char *s)
{
	return strspn(s, "0123456789") >= 20;
}

/* Files in pN/ that are no part of a log. */
static int
check_names(struct ck *c)
{
	struct part *p = c->p;
	struct dirent *d;
	char **names = NULL, **nv;
	uint64_t base, *logs = NULL, *lv;
	size_t n = 0, cap = 0, nlogs = 0, lcap = 0, i;
	DIR *dp;
	int fd, rc = -1;

	if ((fd = openat(p->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if ((dp = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (strlen(d->d_name) == 24 &&
		    mlog_segment_parse_name(d->d_name, "log", &base) == 0) {
			if (nlogs == lcap) {
				lcap = lcap ? lcap * 2 : 16;
				if ((lv = reallocarray(logs, lcap,
				    sizeof(*lv))) == NULL)
					goto out;
				logs = lv;
			}
			logs[nlogs++] = base;
			continue;
		}
		if (strcmp(d->d_name, "lock") == 0 ||
		    strcmp(d->d_name, "start") == 0 ||
		    strcmp(d->d_name, "compact.lock") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nv = reallocarray(names, cap, sizeof(*nv))) ==
			    NULL)
				goto out;
			names = nv;
		}
		if ((names[n] = strdup(d->d_name)) == NULL)
			goto out;
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	if (nlogs > 1)
		qsort(logs, nlogs, sizeof(*logs), cmp_u64);
	for (i = 0; i < n; i++) {
		if (strlen(names[i]) == 24 &&
		    mlog_segment_parse_name(names[i], "idx", &base) == 0) {
			/* a roll creates the index first */
			if (nlogs > 0 && base < logs[nlogs - 1] &&
			    bsearch(&base, logs, nlogs, sizeof(*logs),
			    cmp_u64) == NULL)
				report(c, MLOG_CHECK_NOTICE, names[i], NONE,
				    NONE, NONE, "index without a segment");
		} else if ((digits20(names[i]) && (strcmp(names[i] + 20,
		    ".log.cleaned") == 0 || strcmp(names[i] + 20,
		    ".idx.cleaned") == 0)) || strcmp(names[i],
		    "compact.swap") == 0)
			report(c, MLOG_CHECK_NOTICE, names[i], NONE, NONE, NONE,
			    "left by an interrupted mlog-compact (the next "
			    "mlog-compact finishes or discards it)");
		else if (strstr(names[i], ".tmp.") != NULL)
			report(c, MLOG_CHECK_NOTICE, names[i], NONE, NONE, NONE,
			    "temporary file, left by an interrupted write or "
			    "being written");
		else
			report(c, MLOG_CHECK_NOTICE, names[i], NONE, NONE, NONE,
			    "stray file, not part of the log");
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(logs);
	closedir(dp);
	return rc;
}

/* Is the offset after s[i] followed by the next segment's base? */
static int
check_boundary(struct ck *c, size_t i, int *again)
{
	struct part *p = c->p;
	struct seg *g = &p->s[i], *nx = &p->s[i + 1];
	int rc;

	*again = 0;
	if (g->compacted || !g->have_end || g->end == nx->base)
		return 0;
	/* a listing may miss a segment being created, or show one removed */
	if ((rc = relist(c, i)) < 0)
		return -1;
	if (rc > 0) {
		*again = 1;
		return 0;
	}
	g = &p->s[i];
	nx = &p->s[i + 1];
	mlog_segment_name(c->name, sizeof(c->name), g->base, "log");
	if (g->end < nx->base && has_moved(p, g->end))
		report(c, MLOG_CHECK_NOTICE, c->name, g->end, nx->base - 1,
		    NONE, "not in the log: moved aside to "
		    "damaged/p%u/%020llu.log by mlog-check --repair", p->pn,
		    (unsigned long long)g->end);
	else if (g->end < nx->base)
		report(c, MLOG_CHECK_DAMAGE, c->name, g->end, nx->base - 1,
		    NONE, "missing: the next segment begins at offset %llu",
		    (unsigned long long)nx->base);
	else
		report(c, MLOG_CHECK_DAMAGE, c->name, nx->base, g->end - 1,
		    NONE, "also in the next segment (%020llu.log)",
		    (unsigned long long)nx->base);
	return 0;
}

/* The positions of the consumer groups against the partition's bounds. */
static void
check_groups(struct ck *c, uint64_t start, uint64_t end)
{
	char file[300];
	int64_t v;
	size_t i;
	int k;

	for (i = 0; i < c->ngroups; i++)
		for (k = 0; k < 2; k++) {
			if (c->groups[i].offs[k] == NULL ||
			    (v = c->groups[i].offs[k][c->p->pn]) ==
			    MLOG_OFFSET_NONE)
				continue;
			snprintf(file, sizeof(file), "groups/%s/offsets%s",
			    c->groups[i].name, k ? ".pending" : "");
			if ((uint64_t)v > end)
				logwide(c, MLOG_CHECK_DAMAGE, file, "partition "
				    "%u: position %lld is past the end of the "
				    "partition (%llu)", c->p->pn, (long long)v,
				    (unsigned long long)end);
			else if ((uint64_t)v < start)
				logwide(c, MLOG_CHECK_NOTICE, file, "partition "
				    "%u: position %lld is below the start of "
				    "the partition (%llu): %llu unread record%s "
				    "deleted by retention", c->p->pn,
				    (long long)v, (unsigned long long)start,
				    (unsigned long long)(start - (uint64_t)v),
				    start - (uint64_t)v == 1 ? " was" :
				    "s were");
		}
}

/* Where the partition ends, found cheaply from the last segment's index;
 * NONE when it cannot be told. */
static int
cheap_end(struct ck *c, uint64_t base, uint64_t *end)
{
	char name[NAME_LEN];
	struct seg_scan s;
	struct stat st;
	int fd, idxfd, rc;

	*end = NONE;
	mlog_segment_name(name, sizeof(name), base, "log");
	if ((fd = openat(c->p->fd, name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) < 0)
		return errno == ENOENT ? 0 : -1;
	mlog_segment_name(name, sizeof(name), base, "idx");
	idxfd = openat(c->p->fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	rc = fstat(fd, &st) < 0 ||
	    seg_scan_from_index(fd, idxfd, base, (uint64_t)st.st_size, 0,
	    &s) < 0 || seg_scan_run(fd, &s, (uint64_t)st.st_size, -1) < 0 ?
	    -1 : 0;
	if (rc == 0)
		*end = s.next;
	if (idxfd >= 0)
		close(idxfd);
	close(fd);
	return rc;
}

static int
check_part(struct ck *c, struct part *p)
{
	uint64_t *v, start, end = 0, below;
	size_t i, n, k;
	int again, tries, known, quick = (c->flags & MLOG_CHECK_QUICK) != 0;
	struct stat st;

	c->p = p;
	where(c, "start");
	if (mlog_log_start(p->fd, &p->startfile) < 0) {
		if (errno != EBADMSG)
			return -1;
		report(c, MLOG_CHECK_DAMAGE, "start", NONE, NONE, NONE,
		    "cannot be parsed (it must read \"start N\")");
		p->startfile = 0;
	}
	where(c, NULL);
	if (check_names(c) < 0 || list_moved(c) < 0 ||
	    list_segments(c, &v, &n) < 0)
		return -1;
	if ((p->s = calloc(n + 1, sizeof(*p->s))) == NULL) {
		free(v);
		return -1;
	}
	for (i = 0; i < n; i++)
		p->s[i].base = v[i];
	p->ns = n;
	free(v);
	/* a start past the end is damaged: it deletes nothing */
	below = p->startfile;
	if (below > 0 && p->ns > 0) {
		if (cheap_end(c, p->s[p->ns - 1].base, &end) < 0)
			return -1;
		if (end != NONE && below > end)
			below = 0;
		end = 0;
	}
	for (i = 0; i < p->ns; i++) {
		if (i + 1 < p->ns && p->s[i + 1].base <= below) {
			mlog_segment_name(c->name, sizeof(c->name),
			    p->s[i].base, "log");
			where(c, c->name);
			if (fstatat(p->fd, c->name, &st,
			    AT_SYMLINK_NOFOLLOW) < 0) {
				if (errno != ENOENT)
					return -1;
				p->s[i].gone = 1;
				continue;
			}
			report(c, MLOG_CHECK_NOTICE, c->name, NONE, NONE, NONE,
			    "below the start of the partition (%llu), left "
			    "by an interrupted trim", (unsigned long long)below);
			p->s[i].below = 1;
			continue;
		}
		if (quick && i + 1 < p->ns)
			continue;
		if (check_segment(c, i) < 0)
			return -1;
		if (p->s[i].gone) {
			if (relist(c, i) < 0)
				return -1;
			continue;
		}
		/* while the directory changes, the list is made again */
		for (tries = 0, again = 1; again && tries < 3 && i + 1 < p->ns &&
		    !quick; tries++)
			if (check_boundary(c, i, &again) < 0)
				return -1;
	}
	start = p->startfile;
	known = 1;
	for (k = p->ns; k > 0; k--) {
		if (!p->s[k - 1].gone) {
			end = p->s[k - 1].end;
			known = p->s[k - 1].have_end;
			break;
		}
	}
	for (k = 0; k < p->ns && (p->s[k].gone || p->s[k].below); k++)
		;
	if (p->startfile > end)
		start = 0;
	if (k < p->ns && p->s[k].base > start)
		start = p->s[k].base;
	if (p->startfile > end && known) {
		where(c, "start");
		report(c, MLOG_CHECK_DAMAGE, "start", NONE, NONE, NONE,
		    "start %llu is past the end of the partition (%llu)",
		    (unsigned long long)p->startfile, (unsigned long long)end);
	}
	check_groups(c, start, known ? end : UINT64_MAX);
	if (!c->quiet)
		c->st.partitions++;
	return 0;
}

static void
part_free(struct part *p)
{
	size_t i;

	for (i = 0; i < p->ns; i++)
		free(p->s[i].fixes);
	free(p->s);
	free(p->moved);
	p->s = NULL;
	p->moved = NULL;
	p->ns = p->nmoved = 0;
}

/* ------------------------------------------------------------ repairs */

static int
needs_repair(const struct part *p)
{
	const struct seg *g;
	size_t i;

	for (i = 0; i < p->ns; i++) {
		g = &p->s[i];
		if (!g->gone && (g->below || g->mid || g->tail || g->nfixes ||
		    g->hdr_fix || g->idx_fix))
			return 1;
	}
	return 0;
}

static void
repaired(struct ck *c, const char *file, uint64_t off, uint64_t last,
    uint64_t pos, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void
repaired(struct ck *c, const char *file, uint64_t off, uint64_t last,
    uint64_t pos, const char *fmt, ...)
{
	int quiet = c->quiet;
	uint64_t seg = NONE, base;
	va_list ap;

	c->quiet = 0;
	if (strlen(file) == 24 &&
	    (mlog_segment_parse_name(file, "log", &base) == 0 ||
	    mlog_segment_parse_name(file, "idx", &base) == 0))
		seg = base;
	va_start(ap, fmt);
	vreport(c, MLOG_CHECK_REPAIRED, c->p->pn, file, seg, off, last, pos,
	    fmt, ap);
	va_end(ap);
	c->quiet = quiet;
}

/* LOG/damaged/pN, made when first needed. */
static int
damaged_dir(struct ck *c, int *dfd)
{
	char name[16];
	int fd;

	if (*dfd >= 0)
		return 0;
	where(c, NULL);
	if (mkdirat(c->log->dirfd, "damaged", 0777) < 0 && errno != EEXIST)
		return -1;
	if ((fd = openat(c->log->dirfd, "damaged", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	snprintf(name, sizeof(name), "p%u", c->p->pn);
	if (mkdirat(fd, name, 0777) < 0 && errno != EEXIST) {
		close(fd);
		return -1;
	}
	(void)fsync(fd);
	*dfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW);
	close(fd);
	(void)fsync(c->log->dirfd);
	return *dfd < 0 ? -1 : 0;
}

/* An empty segment and index named base. */
static int
new_segment(struct ck *c, uint64_t base)
{
	unsigned char hdr[MLOG_SEG_HDR];
	char name[NAME_LEN];
	int fd, rc;

	mlog_segment_name(name, sizeof(name), base, "idx");
	if ((fd = openat(c->p->fd, name, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0666)) < 0)
		return -1;
	idx_header(hdr, base);
	rc = write_all(fd, hdr, IDX_HDR) < 0 || fsync(fd) < 0 ? -1 : 0;
	close(fd);
	if (rc < 0)
		return -1;
	mlog_segment_name(name, sizeof(name), base, "log");
	if ((fd = openat(c->p->fd, name, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC | O_NOFOLLOW, 0666)) < 0)
		return -1;
	seg_header(hdr, base, mlog_now_us(), 0);
	rc = write_all(fd, hdr, MLOG_SEG_HDR) < 0 || fsync(fd) < 0 ? -1 : 0;
	close(fd);
	return rc;
}

static int
move_aside(struct ck *c, size_t i, int *dfd)
{
	struct part *p = c->p;
	struct seg *g = &p->s[i];
	char log[NAME_LEN], idx[NAME_LEN];
	uint64_t last = g->last ? (g->have_end && g->end > g->base ?
	    g->end : g->base) : p->s[i + 1].base;
	struct stat st;

	mlog_segment_name(log, sizeof(log), g->base, "log");
	mlog_segment_name(idx, sizeof(idx), g->base, "idx");
	if (damaged_dir(c, dfd) < 0)
		return -1;
	where(c, log);
	if (fstatat(*dfd, log, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	if (renameat(p->fd, log, *dfd, log) < 0)
		return -1;
	if (renameat(p->fd, idx, *dfd, idx) < 0 && errno != ENOENT)
		return -1;
	/* the offsets it held are not given out again */
	if (g->last && new_segment(c, last) < 0)
		return -1;
	if (fsync(*dfd) < 0 || fsync(p->fd) < 0)
		return -1;
	if (last == g->base)
		repaired(c, log, NONE, NONE, NONE, "moved aside to "
		    "damaged/p%u/%s (it held no records)", p->pn, log);
	else
		repaired(c, log, g->base, last - 1, NONE, "moved aside to "
		    "damaged/p%u/%s: these offsets are no longer in the log%s",
		    p->pn, log, g->last ? "; the partition goes on in a new "
		    "segment" : "");
	return 0;
}

/* Keep the bytes cut from a sealed segment's tail, as a segment of their
 * own named by the first offset they held: it explains the gap. */
static int
save_tail(struct ck *c, struct seg *g, int segfd, int *dfd, char *saved,
    size_t len)
{
	unsigned char hdr[MLOG_SEG_HDR], *buf;
	struct stat st;
	uint64_t at, n;
	ssize_t r;
	int fd;

	if (damaged_dir(c, dfd) < 0)
		return -1;
	mlog_segment_name(saved, len, g->tail_first, "log");
	if ((fd = openat(*dfd, saved, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0666)) < 0)
		return -1;
	if ((buf = malloc(WIN_MIN)) == NULL || fstat(segfd, &st) < 0)
		goto fail;
	seg_header(hdr, g->tail_first, mlog_now_us(), 0);
	if (write_all(fd, hdr, sizeof(hdr)) < 0)
		goto fail;
	for (at = g->tail_pos; at < (uint64_t)st.st_size; at += n) {
		n = (uint64_t)st.st_size - at < WIN_MIN ?
		    (uint64_t)st.st_size - at : WIN_MIN;
		if ((r = pread_full(segfd, buf, (size_t)n, (off_t)at)) < 0 ||
		    write_all(fd, buf, (size_t)r) < 0)
			goto fail;
		if ((uint64_t)r < n)
			break;
	}
	free(buf);
	if (fsync(fd) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return fsync(*dfd);
fail:
	free(buf);
	close(fd);
	unlinkat(*dfd, saved, 0);
	return -1;
}

/*
 * Cut a sealed segment at len: readers map sealed segments, and a file cut
 * under a map faults, so its first len bytes are copied beside it and the
 * copy renamed over it.  Returns the copy, open for reading and writing.
 */
static int
cut_sealed(struct ck *c, const char *name, int segfd, uint64_t len)
{
	char tmp[NAME_LEN + 24];
	unsigned char *buf;
	uint64_t at, n;
	ssize_t r;
	int fd, saved;

	if ((fd = tmp_open(c->p->fd, name, O_RDWR, tmp, sizeof(tmp))) < 0)
		return -1;
	if ((buf = malloc(WIN_MIN)) == NULL)
		goto fail;
	for (at = 0; at < len; at += n) {
		n = len - at < WIN_MIN ? len - at : WIN_MIN;
		if ((r = pread_full(segfd, buf, (size_t)n, (off_t)at)) < 0)
			goto fail;
		if ((uint64_t)r < n) {
			errno = ESTALE;
			goto fail;
		}
		if (write_all(fd, buf, (size_t)n) < 0)
			goto fail;
	}
	free(buf);
	buf = NULL;
	if (fsync(fd) < 0 || renameat(c->p->fd, tmp, c->p->fd, name) < 0)
		goto fail;
	return fd;
fail:
	saved = errno;
	free(buf);
	close(fd);
	unlinkat(c->p->fd, tmp, 0);
	errno = saved;
	return -1;
}

/* Write a fresh index beside the old one and rename it into place. */
static int
rebuild_index(struct ck *c, struct seg *g, int segfd)
{
	char name[NAME_LEN], tmp[NAME_LEN + 24];
	unsigned char hdr[IDX_HDR];
	struct seg_scan s;
	struct stat st;
	int fd;

	mlog_segment_name(name, sizeof(name), g->base, "idx");
	where(c, name);
	if (fstat(segfd, &st) < 0)
		return -1;
	if ((fd = tmp_open(c->p->fd, name, O_RDWR | O_APPEND, tmp,
	    sizeof(tmp))) < 0)
		return -1;
	idx_header(hdr, g->base);
	seg_scan_init(&s, g->base);
	if (write_all(fd, hdr, IDX_HDR) < 0 ||
	    seg_scan_run(segfd, &s, (uint64_t)st.st_size, fd) < 0 ||
	    fsync(fd) < 0)
		goto fail;
	if (s.pos != (uint64_t)st.st_size) {
		/* still damaged: what is left to say was said */
		close(fd);
		unlinkat(c->p->fd, tmp, 0);
		return 0;
	}
	if (renameat(c->p->fd, tmp, c->p->fd, name) < 0)
		goto fail;
	close(fd);
	repaired(c, name, NONE, NONE, NONE, "rebuilt");
	return 0;
fail:
	close(fd);
	unlinkat(c->p->fd, tmp, 0);
	return -1;
}

static int
repair_segment(struct ck *c, size_t i, int *dfd)
{
	struct part *p = c->p;
	struct seg *g = &p->s[i];
	unsigned char hdr[MLOG_SEG_HDR], b[8];
	char log[NAME_LEN], idx[NAME_LEN], saved[NAME_LEN];
	struct stat st;
	uint64_t cut;
	size_t k;
	int fd, nfd, rc = -1;

	mlog_segment_name(log, sizeof(log), g->base, "log");
	mlog_segment_name(idx, sizeof(idx), g->base, "idx");
	where(c, log);
	if (g->below) {
		if ((unlinkat(p->fd, log, 0) < 0 && errno != ENOENT) ||
		    (unlinkat(p->fd, idx, 0) < 0 && errno != ENOENT))
			return -1;
		repaired(c, log, NONE, NONE, NONE, "removed: it lies below "
		    "the start of the partition (%llu)",
		    (unsigned long long)p->startfile);
		return 0;
	}
	if (g->mid)
		return move_aside(c, i, dfd);
	if (!g->tail && !g->nfixes && !g->hdr_fix && !g->idx_fix)
		return 0;
	if ((fd = openat(p->fd, log, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? 0 : -1;
	if (g->hdr_fix) {
		seg_header(hdr, g->base, g->created, g->compacted);
		if (pwrite_all(fd, hdr, sizeof(hdr), 0) < 0)
			goto out;
		repaired(c, log, NONE, NONE, 0, "segment header rewritten");
	}
	for (k = 0; k < g->nfixes; k++) {
		put64(b, g->fixes[k].off);
		if (pwrite_all(fd, b, sizeof(b),
		    (off_t)g->fixes[k].pos + 4) < 0)
			goto out;
		repaired(c, log, g->fixes[k].off, g->fixes[k].off,
		    g->fixes[k].pos, "offset field rewritten (it read %llu)",
		    (unsigned long long)g->fixes[k].was);
	}
	if (g->tail) {
		if (fstat(fd, &st) < 0)
			goto out;
		cut = (uint64_t)st.st_size - g->tail_pos;
		saved[0] = '\0';
		if (!g->torn && !g->last && g->tail_first != NONE &&
		    save_tail(c, g, fd, dfd, saved, sizeof(saved)) < 0)
			goto out;
		where(c, log);
		if (g->last) {
			if (ftruncate(fd, (off_t)g->tail_pos) < 0)
				goto out;
		} else {
			if ((nfd = cut_sealed(c, log, fd, g->tail_pos)) < 0)
				goto out;
			close(fd);
			fd = nfd;
		}
		if (g->torn)
			repaired(c, log, NONE, NONE, g->tail_pos, "cut the "
			    "torn tail (%llu byte%s)", (unsigned long long)cut,
			    cut == 1 ? "" : "s");
		else if (saved[0] != '\0')
			repaired(c, log, g->tail_first, g->tail_last,
			    g->tail_pos, "cut %llu byte%s, kept in "
			    "damaged/p%u/%s: these offsets are no longer in "
			    "the log", (unsigned long long)cut,
			    cut == 1 ? "" : "s", p->pn, saved);
		else if (g->last && g->tail_first != NONE)
			repaired(c, log, g->tail_first, g->tail_last,
			    g->tail_pos, "cut %llu byte%s: the next records "
			    "appended take these offsets",
			    (unsigned long long)cut, cut == 1 ? "" : "s");
		else
			repaired(c, log, g->tail_first, g->tail_last,
			    g->tail_pos, "cut %llu byte%s",
			    (unsigned long long)cut, cut == 1 ? "" : "s");
	}
	if (fsync(fd) < 0)
		goto out;
	if (g->idx_fix && rebuild_index(c, g, fd) < 0)
		goto out;
	rc = 0;
out:
	close(fd);
	return rc;
}

/*
 * Under the partition lock, taken exclusively: check the partition again
 * (quietly: the first pass said it all) and repair what is still there.
 */
static int
repair_part(struct ck *c, uint32_t pn)
{
	struct part p;
	size_t i;
	int lockfd, dfd = -1, rc = -1;

	memset(&p, 0, sizeof(p));
	p.pn = pn;
	p.fd = c->log->partfd[pn];
	c->p = &p;
	where(c, "lock");
	if ((lockfd = partition_lock(p.fd, LOCK_EX)) < 0)
		return -1;
	c->locked = c->quiet = 1;
	if (check_part(c, &p) < 0)
		goto out;
	c->quiet = 0;
	for (i = 0; i < p.ns; i++)
		if (!p.s[i].gone && repair_segment(c, i, &dfd) < 0)
			goto out;
	where(c, NULL);
	if (fsync(p.fd) < 0)
		goto out;
	rc = 0;
out:
	c->locked = c->quiet = 0;
	if (dfd >= 0)
		close(dfd);
	close(lockfd);
	part_free(&p);
	return rc;
}

/* ------------------------------------------------------------ the log */

/* Why meta did not parse, or 0 problems when a partition directory is
 * missing instead; sets *parts when the partition count can be read. */
static int
meta_diagnose(struct ck *c, uint32_t *parts)
{
	char buf[META_MAX], key[32], *line, *nl, why[160];
	unsigned long long v;
	ssize_t n;
	int fd, lineno = 0, fields = 0, k;

	*parts = 0;
	why[0] = '\0';
	if ((fd = openat(c->log->dirfd, "meta", O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) < 0)
		return -1;
	n = pread_full(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	if (strlen(buf) != (size_t)n)
		snprintf(why, sizeof(why), "holds a NUL byte");
	for (line = buf; *line != '\0' && why[0] == '\0'; line = nl + 1) {
		lineno++;
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line) - 1;
		else
			*nl = '\0';
		if (lineno == 1) {
			if (strcmp(line, "mlog 1") != 0)
				snprintf(why, sizeof(why), "line 1 does not "
				    "read \"mlog 1\"");
			continue;
		}
		if (sscanf(line, "%31s %llu%n", key, &v, &k) != 2 ||
		    line[k] != '\0' || line[strlen(key) + 1] < '0' ||
		    line[strlen(key) + 1] > '9') {
			snprintf(why, sizeof(why), "line %d is not \"NAME "
			    "NUMBER\"", lineno);
			break;
		}
		if (strcmp(key, "partitions") == 0) {
			if (v == 0 || v > MLOG_PARTITIONS_MAX)
				snprintf(why, sizeof(why), "line %d: partitions "
				    "out of range (1 to %d)", lineno,
				    MLOG_PARTITIONS_MAX);
			else
				*parts = (uint32_t)v;
			fields |= 1;
		} else if (strcmp(key, "segment-bytes") == 0) {
			if (v < MLOG_SEGMENT_MIN || v > MLOG_SEGMENT_MAX)
				snprintf(why, sizeof(why), "line %d: "
				    "segment-bytes out of range", lineno);
			fields |= 2;
		} else if (strcmp(key, "segment-age-ms") == 0) {
			if (v == 0 || v > INT64_MAX / 1000)
				snprintf(why, sizeof(why), "line %d: "
				    "segment-age-ms out of range", lineno);
			fields |= 4;
		} else if (strcmp(key, "retain-age-ms") == 0 &&
		    v > INT64_MAX / 1000)
			snprintf(why, sizeof(why), "line %d: retain-age-ms out "
			    "of range", lineno);
	}
	if (why[0] == '\0' && lineno == 0)
		snprintf(why, sizeof(why), "empty");
	if (why[0] == '\0' && fields != 7)
		snprintf(why, sizeof(why), "no \"%s\" line", !(fields & 1) ?
		    "partitions" : !(fields & 2) ? "segment-bytes" :
		    "segment-age-ms");
	if (why[0] != '\0') {
		logwide(c, MLOG_CHECK_DAMAGE, "meta", "%s", why);
		return 1;
	}
	return 0;
}

/*
 * mlog_log_open() said EBADMSG: the metadata does not parse, or a
 * partition directory is missing.  Say which, and go on with the
 * partitions that can still be found.
 */
static int
open_damaged(struct ck *c)
{
	struct mlog_log *log;
	uint32_t parts, i;
	char name[16];
	int bad;

	if ((log = calloc(1, sizeof(*log))) == NULL)
		return -1;
	c->log = log;
	log->dirfd = open(c->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (log->dirfd < 0 || (log->path = strdup(c->path)) == NULL)
		return -1;
	where(c, "meta");
	if ((bad = meta_diagnose(c, &parts)) < 0)
		return -1;
	if ((log->partfd = calloc(parts ? parts : 1, sizeof(int))) == NULL)
		return -1;
	log->partitions = parts;
	for (i = 0; i < parts; i++)
		log->partfd[i] = -1;
	for (i = 0; i < parts; i++) {
		snprintf(name, sizeof(name), "p%u", i);
		log->partfd[i] = openat(log->dirfd, name, O_RDONLY |
		    O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (log->partfd[i] >= 0)
			continue;
		if (errno != ENOENT) {
			where(c, name);
			return -1;
		}
		bad = 1;
		partwide(c, i, "missing (no directory p%u)", i);
	}
	if (!bad)
		logwide(c, MLOG_CHECK_DAMAGE, "meta", "cannot be parsed");
	return 0;
}

static int
load_groups(struct ck *c)
{
	struct mlog_offsets o;
	struct grp *gr;
	char **names, file[300];
	size_t n, i;
	int k;

	where(c, "groups");
	if (mlog_groups_list(c->log, &names, &n) < 0)
		return -1;
	if (n > 0 && (c->groups = calloc(n, sizeof(*c->groups))) == NULL) {
		mlog_groups_free(names, n);
		return -1;
	}
	for (i = 0; i < n; i++)
		c->groups[i].name = names[i];
	c->ngroups = n;
	free(names);
	for (i = 0; i < n; i++) {
		gr = &c->groups[i];
		if (mlog_offsets_group(c->log, gr->name, 0, &o) < 0) {
			if (errno == ENOENT)
				continue;
			return -1;
		}
		for (k = 0; k < 2; k++) {
			snprintf(file, sizeof(file), "groups/%s/offsets%s",
			    gr->name, k ? ".pending" : "");
			where(c, file);
			if ((gr->offs[k] = calloc(c->log->partitions,
			    sizeof(int64_t))) == NULL)
				break;
			if (mlog_offsets_load(&o, k, gr->offs[k],
			    c->log->partitions) == 0)
				continue;
			free(gr->offs[k]);
			gr->offs[k] = NULL;
			if (errno != EBADMSG)
				break;
			logwide(c, MLOG_CHECK_DAMAGE, file,
			    "cannot be parsed");
		}
		mlog_offsets_release(&o);
		if (k < 2)
			return -1;
	}
	return 0;
}

int
mlog_log_check(const char *path, int flags, mlog_check_fn fn, void *arg,
    struct mlog_check_stats *st, char *wherebuf, size_t wherelen)
{
	struct ck c;
	struct part p;
	uint32_t i;
	size_t g;
	int rc = -1, saved;

	memset(&c, 0, sizeof(c));
	memset(&p, 0, sizeof(p));
	c.path = path;
	c.flags = flags;
	c.fn = fn;
	c.arg = arg;
	c.where = wherebuf;
	c.wherelen = wherelen;
	c.segfd = -1;
	where(&c, NULL);
	if ((c.log = mlog_log_open(path, 0, NULL)) == NULL) {
		if (errno != EBADMSG || open_damaged(&c) < 0)
			goto out;
	}
	if (c.log->partitions > 0 && load_groups(&c) < 0)
		goto out;
	for (i = 0; i < c.log->partitions; i++) {
		if (c.log->partfd[i] < 0)
			continue;
		p.pn = i;
		p.fd = c.log->partfd[i];
		if (check_part(&c, &p) < 0)
			goto out;
		if ((flags & MLOG_CHECK_REPAIR) && needs_repair(&p)) {
			part_free(&p);
			if (repair_part(&c, i) < 0)
				goto out;
		}
		part_free(&p);
		c.p = NULL;
	}
	*st = c.st;
	rc = 0;
out:
	saved = errno;
	part_free(&p);
	for (g = 0; g < c.ngroups; g++) {
		free(c.groups[g].name);
		free(c.groups[g].offs[0]);
		free(c.groups[g].offs[1]);
	}
	free(c.groups);
	free(c.wbuf);
	free(c.exp);
	free(c.spans);
	mlog_log_close(c.log);
	errno = saved;
	return rc;
}

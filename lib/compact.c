/*
 * Compaction, as Kafka's cleanup.policy=compact: of each key, only the
 * latest record of the partition is kept in the sealed segments (every
 * segment but the last, which appenders write and compaction never
 * touches, though its records count when deciding what is latest).
 * Offsets do not change: compaction leaves gaps, inside the "mlogsegc"
 * segments it writes and between them and the next segment.
 *
 * A run over a partition:
 *
 *  1. reads every segment once, checking the sealed ones (CRCs, offsets,
 *     sizes), into a map from each key to the offset of its latest record;
 *     the map then says what each sealed segment keeps;
 *  2. groups consecutive sealed segments while what they keep fits in one
 *     segment of the log's segment size (and offset - base fits the index's
 *     u32), so that repeated runs do not pile up small files;
 *  3. writes each group that changes as BASE.log.cleaned and
 *     BASE.idx.cleaned beside the originals, BASE being the group's first
 *     segment, and fsyncs them;
 *  4. under the partition lock, checks that the originals are still the
 *     files it read (mlog-trim may have removed some: then nothing
 *     changes), writes the swap marker pN/compact.swap atomically, renames
 *     each .cleaned file over its original, unlinks the originals merged
 *     away, and removes the marker.
 *
 * Recovery (mlog_compact_recover) makes a crash at any moment leave either
 * the old or the new segments: with a marker the swap is finished (rolled
 * forward), and .cleaned files without one are removed (rolled back).
 * Readers hold descriptors, so a segment renamed over is still read whole;
 * at the end of a segment a reader continues at the record after its last
 * one wherever that now lives (reader.c), so it never sees a record twice
 * or out of order.
 *
 * The swap marker is text:
 *
 *	mlog-compact-swap 1
 *	replace BASE SIZE	BASE.log.cleaned (SIZE bytes) replaces BASE.log
 *	remove BASE		BASE.log, merged into a new segment, goes
 *	end
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define SWAP_NAME	"compact.swap"
#define SWAP_MAGIC	"mlog-compact-swap 1\n"
#define SWAP_MAX	(64u << 20)	/* a marker of 1M segments */
#define LOCK_NAME	"compact.lock"
#define CLEANED		"cleaned"
#define CLEANED_LEN	(NAME_LEN + 8)
#define IO_BUF		(1024 * 1024)
#define IDX_BUF		(64 * 1024)
#define MAP_MIN		1024		/* slots of a new key map */

/*
 * The key map stores no keys.  A key is known by 96 bits of its
 * MurmurHash3 (x64, 128 bits) hash, kept with the offset of the key's
 * latest record, that record's size and a flag: 24 bytes a slot, at most
 * 4 slots for 3 keys, whatever the keys' lengths, so memory grows with the
 * number of distinct keys only.  Two keys whose 96 bits agree would count
 * as one and the older one's records would go: with n keys the odds of any
 * such pair are about n^2 / 2^97, 10^-13 for 100 million keys.  Keeping the
 * keys would make memory grow with their lengths, and reading them back
 * from the log to compare would cost a random read per record.
 */
#define KE_USED		0x80000000u
#define KE_DROP		0x40000000u	/* a tombstone old enough to go */
#define KE_SIZE		0x3fffffffu	/* the record's size */

_Static_assert(MLOG_REC_MAX <= KE_SIZE, "record sizes fit the key map");

struct kent {
	uint64_t	h1;		/* hash bits 0..63; pick the slot */
	uint64_t	off;		/* offset of the key's latest record */
	uint32_t	h2;		/* hash bits 64..95 */
	uint32_t	meta;		/* KE_* */
};

struct kmap {
	struct kent	*v;
	size_t		 cap, n;
};

struct seg {
	uint64_t	 base;
	uint64_t	 size;
	dev_t		 dev;
	ino_t		 ino;
	int64_t		 created;
	uint64_t	 recs;		/* records */
	uint64_t	 keep;		/* records kept */
	uint64_t	 keepbytes;	/* their bytes */
	uint64_t	 last;		/* offset of the last record */
	int		 hasrec;
};

/* Consecutive sealed segments that become one. */
struct group {
	size_t		 first, last;
	int		 rewrite;
	uint64_t	 size;		/* of the segment file after */
};

/* A segment's records, through a buffer. */
struct rd {
	int		 fd;
	uint64_t	 size;		/* of the file */
	uint64_t	 fpos;		/* file position of buf[0] */
	unsigned char	*buf;
	size_t		 cap, len, off;
};

struct job {
	int				 partfd;
	uint64_t			 segbytes;
	const struct mlog_compact_opts	*opts;
	int64_t				 cutoff; /* tombstones before it go */
	struct kmap			 map;
	struct seg			*segs;
	size_t				 nsegs;	/* the last one is active */
	size_t				 nseal;
	struct group			*groups;
	size_t				 ngroups;
	struct rd			 rd;
	unsigned char			*obuf, *ibuf;
	size_t				 olen, ilen;
	struct mlog_compact_error	 err;
};

/* A swap marker, parsed. */
struct swap {
	uint64_t	*rep, *repsize, *rem;
	size_t		 nrep, nrem;
};

static inline uint64_t
rotl64(uint64_t x, int r)
{
	return x << r | x >> (64 - r);
}

static inline uint64_t
fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

/* MurmurHash3_x64_128 (Austin Appleby, public domain), seed 0. */
static void
key_hash(const unsigned char *p, size_t len, uint64_t *o1, uint32_t *o2)
{
	const uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
	unsigned char tail[16];
	uint64_t h1 = 0, h2 = 0, k1, k2;
	size_t i, rest = len & 15;

	for (i = 0; i + 16 <= len; i += 16) {
		k1 = get64(p + i);
		k2 = get64(p + i + 8);
		k1 *= c1;
		k1 = rotl64(k1, 31);
		k1 *= c2;
		h1 ^= k1;
		h1 = rotl64(h1, 27);
		h1 += h2;
		h1 = h1 * 5 + 0x52dce729;
		k2 *= c2;
		k2 = rotl64(k2, 33);
		k2 *= c1;
		h2 ^= k2;
		h2 = rotl64(h2, 31);
		h2 += h1;
		h2 = h2 * 5 + 0x38495ab5;
	}
	if (rest > 0) {
		/* the tail as zero-padded little-endian words */
		memset(tail, 0, sizeof(tail));
		memcpy(tail, p + i, rest);
		k1 = get64(tail);
		k2 = get64(tail + 8);
		if (rest > 8) {
			k2 *= c2;
			k2 = rotl64(k2, 33);
			k2 *= c1;
			h2 ^= k2;
		}
		k1 *= c1;
		k1 = rotl64(k1, 31);
		k1 *= c2;
		h1 ^= k1;
	}
	h1 ^= (uint64_t)len;
	h2 ^= (uint64_t)len;
	h1 += h2;
	h2 += h1;
	h1 = fmix64(h1);
	h2 = fmix64(h2);
	h1 += h2;
	h2 += h1;
	*o1 = h1;
	*o2 = (uint32_t)h2;
}

static int
kmap_grow(struct kmap *m)
{
	struct kent *nv;
	size_t cap = m->cap ? m->cap * 2 : MAP_MIN, i, j;

	if ((nv = calloc(cap, sizeof(*nv))) == NULL)
		return -1;
	for (i = 0; i < m->cap; i++) {
		if (!(m->v[i].meta & KE_USED))
			continue;
		for (j = m->v[i].h1 & (cap - 1); nv[j].meta & KE_USED;
		    j = (j + 1) & (cap - 1))
			;
		nv[j] = m->v[i];
	}
	free(m->v);
	m->v = nv;
	m->cap = cap;
	return 0;
}

/* The key's slot: its entry, or the free slot it would take. */
static struct kent *
kmap_slot(const struct kmap *m, uint64_t h1, uint32_t h2)
{
	size_t j;

	for (j = h1 & (m->cap - 1); m->v[j].meta & KE_USED;
	    j = (j + 1) & (m->cap - 1))
		if (m->v[j].h1 == h1 && m->v[j].h2 == h2)
			break;
	return &m->v[j];
}

static int
kmap_put(struct kmap *m, uint64_t h1, uint32_t h2, uint64_t off,
    uint32_t meta)
{
	struct kent *e;

	if ((m->n + 1) * 4 > m->cap * 3 && kmap_grow(m) < 0)
		return -1;
	e = kmap_slot(m, h1, h2);
	if (!(e->meta & KE_USED)) {
		e->h1 = h1;
		e->h2 = h2;
		m->n++;
	}
	e->off = off;
	e->meta = KE_USED | meta;
	return 0;
}

static void
rd_start(struct rd *r, int fd, uint64_t size)
{
	r->fd = fd;
	r->size = size;
	r->fpos = MLOG_SEG_HDR;
	r->len = r->off = 0;
}

/*
 * The next record, at *pos: 1 with rec and its bytes (*raw, *n; the CRC is
 * not checked yet), 0 at the end of the file or before an incomplete
 * record there (*pos says which), -1 with EBADMSG on bytes that are no
 * record, or on a read error.
 */
static int
rd_next(struct rd *r, struct mlog_record *rec, const unsigned char **raw,
    size_t *n, uint64_t *pos)
{
	unsigned char *nb;
	uint64_t at;
	size_t need, want;
	ssize_t k;

	for (;;) {
		*pos = r->fpos + r->off;
		k = mlog_record_parse(r->buf + r->off, r->len - r->off, rec,
		    &need);
		if (k > 0) {
			*raw = r->buf + r->off;
			*n = (size_t)k;
			r->off += (size_t)k;
			return 1;
		}
		if (k < 0)
			return -1;
		if (*pos + need > r->size)
			return 0;
		memmove(r->buf, r->buf + r->off, r->len - r->off);
		r->fpos += r->off;
		r->len -= r->off;
		r->off = 0;
		if (need > r->cap) {
			if ((nb = realloc(r->buf, need)) == NULL)
				return -1;
			r->buf = nb;
			r->cap = need;
		}
		at = r->fpos + r->len;
		want = r->cap - r->len;
		if (want > r->size - at)
			want = (size_t)(r->size - at);
		if ((k = pread_full(r->fd, r->buf + r->len, want,
		    (off_t)at)) < 0)
			return -1;
		if (k == 0)
			return 0;	/* cut since its size was taken */
		r->len += (size_t)k;
	}
}

static int
crc_ok(const unsigned char *raw, size_t n)
{
	return get32(raw + 12) == mlog_crc32c(0, raw + 16, n - 16);
}

static int
tombstone(const struct job *j, const struct mlog_record *r)
{
	return r->null_value || (r->valuelen == 4 &&
	    memcmp(r->value, "null", 4) == 0) || (r->valuelen == 0 &&
	    j->opts->tombstone == MLOG_TOMBSTONE_EMPTY);
}

static int
bad(struct job *j, uint64_t base, uint64_t pos, uint64_t off)
{
	j->err.segment = base;
	j->err.position = pos;
	j->err.offset = off;
	errno = EBADMSG;
	return -1;
}

static int
stale(struct job *j, uint64_t base)
{
	j->err.segment = base;
	errno = ESTALE;
	return -1;
}

/* Open segment i; in pass 2 it must be the file pass 1 read. */
static int
seg_open(struct job *j, size_t i, int again)
{
	struct seg *s = &j->segs[i];
	char name[NAME_LEN];
	struct stat st;
	int fd, saved;

	mlog_segment_name(name, sizeof(name), s->base, "log");
	if ((fd = openat(j->partfd, name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) < 0)
		return errno == ENOENT ? stale(j, s->base) : -1;
	if (fstat(fd, &st) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (again && (st.st_dev != s->dev || st.st_ino != s->ino ||
	    (uint64_t)st.st_size != s->size)) {
		close(fd);
		return stale(j, s->base);
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = (uint64_t)st.st_size;
	return fd;
}

/* Pass 1 over segment i: check it, note its keys. */
static int
scan(struct job *j, size_t i)
{
	struct seg *s = &j->segs[i];
	unsigned char hdr[MLOG_SEG_HDR];
	const unsigned char *raw;
	struct mlog_record rec;
	uint64_t next, expect = s->base, pos, h1;
	uint32_t h2, meta;
	size_t n;
	int fd, rc, sealed = i < j->nseal, compacted, saved;

	next = i + 1 < j->nsegs ? j->segs[i + 1].base : UINT64_MAX;
	if ((fd = seg_open(j, i, 0)) < 0)
		return -1;
	if (s->size < MLOG_SEG_HDR) {
		close(fd);
		/* the active one may be being created */
		return sealed ? bad(j, s->base, 0, s->base) : 0;
	}
	if ((rc = pread_exact(fd, hdr, sizeof(hdr), 0)) < 0 &&
	    errno != EBADMSG) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (rc < 0 ||
	    seg_header_check(hdr, s->base, &s->created, &compacted) < 0) {
		close(fd);
		return bad(j, s->base, 0, s->base);
	}
	rd_start(&j->rd, fd, s->size);
	for (;;) {
		if ((rc = rd_next(&j->rd, &rec, &raw, &n, &pos)) < 0 &&
		    errno != EBADMSG)
			goto fail;
		if (rc <= 0) {
			if (sealed && (rc < 0 || pos != s->size)) {
				close(fd);
				return bad(j, s->base, pos, expect);
			}
			break;
		}
		if (!crc_ok(raw, n) || rec.offset >= next ||
		    (compacted ? rec.offset < expect : rec.offset != expect)) {
			if (!sealed)
				break;	/* a torn tail; what follows is new */
			close(fd);
			return bad(j, s->base, pos, rec.offset);
		}
		s->recs++;
		s->last = rec.offset;
		s->hasrec = 1;
		expect = rec.offset + 1;
		if (rec.has_key) {
			key_hash(rec.key, rec.keylen, &h1, &h2);
			meta = (uint32_t)n;
			if (tombstone(j, &rec) && rec.timestamp < j->cutoff)
				meta |= KE_DROP;
			if (kmap_put(&j->map, h1, h2, rec.offset, meta) < 0)
				goto fail;
		} else if (sealed) {
			s->keep++;
			s->keepbytes += n;
		}
	}
	close(fd);
	return 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* What the latest records of the keys leave in each sealed segment. */
static void
tally(struct job *j, struct mlog_compact_stat *st)
{
	const struct kent *e;
	size_t i, lo, hi, mid;

	if (j->nseal == 0)
		return;
	for (i = 0; i < j->map.cap; i++) {
		e = &j->map.v[i];
		if (!(e->meta & KE_USED) || e->off >= j->segs[j->nseal].base)
			continue;
		if (e->meta & KE_DROP) {
			st->tombstones++;
			continue;
		}
		/* the last sealed segment whose base is <= e->off */
		for (lo = 0, hi = j->nseal; hi - lo > 1;) {
			mid = lo + (hi - lo) / 2;
			if (j->segs[mid].base <= e->off)
				lo = mid;
			else
				hi = mid;
		}
		j->segs[lo].keep++;
		j->segs[lo].keepbytes += e->meta & KE_SIZE;
	}
}

static int
plan(struct job *j, struct mlog_compact_stat *st)
{
	struct group *g;
	uint64_t bytes;
	size_t i, k;

	if (j->nseal > 0 && (j->groups = calloc(j->nseal,
	    sizeof(*j->groups))) == NULL)
		return -1;
	for (i = 0; i < j->nseal; i = k + 1) {
		g = &j->groups[j->ngroups++];
		bytes = j->segs[i].keepbytes;
		for (k = i; k + 1 < j->nseal; k++) {
			if (MLOG_SEG_HDR + bytes + j->segs[k + 1].keepbytes >
			    j->segbytes || (j->segs[k + 1].hasrec &&
			    j->segs[k + 1].last - j->segs[i].base > UINT32_MAX))
				break;
			bytes += j->segs[k + 1].keepbytes;
		}
		g->first = i;
		g->last = k;
		g->rewrite = k > i || j->segs[i].keep != j->segs[i].recs;
		g->size = g->rewrite ? MLOG_SEG_HDR + bytes : j->segs[i].size;
		st->bytes_after += g->size;
	}
	for (i = 0; i < j->nseal; i++) {
		st->records_before += j->segs[i].recs;
		st->records_after += j->segs[i].keep;
		st->bytes_before += j->segs[i].size;
	}
	st->segments_before = j->nseal;
	st->segments_after = j->ngroups;
	return 0;
}

static void
cleaned_name(char *buf, size_t len, uint64_t base, const char *ext)
{
	char name[NAME_LEN];

	mlog_segment_name(name, sizeof(name), base, ext);
	snprintf(buf, len, "%s.%s", name, CLEANED);
}

static int
obuf_flush(struct job *j, int fd)
{
	if (j->olen > 0 && write_all(fd, j->obuf, j->olen) < 0)
		return -1;
	j->olen = 0;
	return 0;
}

static int
obuf_put(struct job *j, int fd, const void *p, size_t n)
{
	if (j->olen + n > IO_BUF && obuf_flush(j, fd) < 0)
		return -1;
	if (n > IO_BUF)
		return write_all(fd, p, n);
	memcpy(j->obuf + j->olen, p, n);
	j->olen += n;
	return 0;
}

static int
ibuf_put(struct job *j, int fd, const struct idx_entry *e)
{
	if (j->ilen + IDX_ENTRY > IDX_BUF) {
		if (write_all(fd, j->ibuf, j->ilen) < 0)
			return -1;
		j->ilen = 0;
	}
	idx_pack(j->ibuf + j->ilen, e);
	j->ilen += IDX_ENTRY;
	return 0;
}

/* Copy the records segment i keeps to the group's new segment. */
static int
copy_kept(struct job *j, size_t i, int segfd, int idxfd, struct seg_scan *sc)
{
	struct seg *s = &j->segs[i];
	const unsigned char *raw;
	struct mlog_record rec;
	struct idx_entry e;
	const struct kent *k;
	uint64_t pos, h1;
	uint32_t h2;
	size_t n;
	int fd, rc, keep, saved;

	if ((fd = seg_open(j, i, 1)) < 0)
		return -1;
	rd_start(&j->rd, fd, s->size);
	while ((rc = rd_next(&j->rd, &rec, &raw, &n, &pos)) > 0) {
		keep = 1;
		if (rec.has_key) {
			key_hash(rec.key, rec.keylen, &h1, &h2);
			k = kmap_slot(&j->map, h1, h2);
			keep = !(k->meta & KE_USED) || (k->off == rec.offset &&
			    !(k->meta & KE_DROP));
		}
		if (!keep)
			continue;
		if (!crc_ok(raw, n)) {
			close(fd);
			return bad(j, s->base, pos, rec.offset);
		}
		if (obuf_put(j, segfd, raw, n) < 0 ||
		    (seg_scan_note(sc, sc->pos, rec.offset, rec.timestamp, n,
		    &e) && ibuf_put(j, idxfd, &e) < 0))
			goto fail;
	}
	if (rc < 0 && errno != EBADMSG)
		goto fail;
	close(fd);
	/* pass 1 read this very file whole: it changed since */
	return rc < 0 || pos != s->size ? stale(j, s->base) : 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static int
write_group(struct job *j, const struct group *g)
{
	char name[CLEANED_LEN];
	unsigned char hdr[MLOG_SEG_HDR];
	struct seg_scan sc;
	uint64_t base = j->segs[g->first].base;
	size_t i;
	int segfd, idxfd = -1, saved;

	cleaned_name(name, sizeof(name), base, "log");
	if ((segfd = openat(j->partfd, name, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0666)) < 0)
		return -1;
	cleaned_name(name, sizeof(name), base, "idx");
	if ((idxfd = openat(j->partfd, name, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0666)) < 0)
		goto fail;
	j->olen = j->ilen = 0;
	seg_header(hdr, base, j->segs[g->first].created, 1);
	idx_header(j->ibuf, base);
	j->ilen = IDX_HDR;
	seg_scan_init(&sc, base);
	if (obuf_put(j, segfd, hdr, sizeof(hdr)) < 0)
		goto fail;
	for (i = g->first; i <= g->last; i++)
		if (copy_kept(j, i, segfd, idxfd, &sc) < 0)
			goto fail;
	if (obuf_flush(j, segfd) < 0 ||
	    write_all(idxfd, j->ibuf, j->ilen) < 0)
		goto fail;
	if (sc.pos != g->size) {
		/* the map and the files disagree: they changed meanwhile */
		stale(j, base);
		goto fail;
	}
	if (fsync(segfd) < 0 || fsync(idxfd) < 0)
		goto fail;
	if (close(idxfd) < 0) {
		idxfd = -1;
		goto fail;
	}
	if (close(segfd) < 0) {
		segfd = -1;
		goto fail;
	}
	return 0;
fail:
	saved = errno;
	if (segfd >= 0)
		close(segfd);
	if (idxfd >= 0)
		close(idxfd);
	errno = saved;
	return -1;
}

/* Remove the partition's .cleaned files and marker temporaries; returns
 * how many went, -1 on error. */
static int
remove_leftovers(int partfd)
{
	struct dirent *d;
	uint64_t base;
	DIR *dir;
	size_t len;
	int fd, n = 0, saved;

	if ((fd = openat(partfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if ((dir = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	while ((d = readdir(dir)) != NULL) {
		len = strlen(d->d_name);
		if (!((len == 32 && (mlog_segment_parse_name(d->d_name,
		    "log." CLEANED, &base) == 0 ||
		    mlog_segment_parse_name(d->d_name, "idx." CLEANED,
		    &base) == 0)) || strncmp(d->d_name, SWAP_NAME ".tmp.",
		    sizeof(SWAP_NAME ".tmp.") - 1) == 0))
			continue;
		if (unlinkat(partfd, d->d_name, 0) < 0 && errno != ENOENT) {
			saved = errno;
			closedir(dir);
			errno = saved;
			return -1;
		}
		n++;
	}
	closedir(dir);
	if (n > 0 && fsync(partfd) < 0)
		return -1;
	return n;
}

static void
swap_free(struct swap *s)
{
	free(s->rep);
	free(s->repsize);
	free(s->rem);
	memset(s, 0, sizeof(*s));
}

static int
swap_parse(const char *text, struct swap *s)
{
	unsigned long long a, b;
	const char *p = text;
	size_t lines = 0;
	int n;

	memset(s, 0, sizeof(*s));
	if (strncmp(p, SWAP_MAGIC, strlen(SWAP_MAGIC)) != 0)
		goto bad;
	for (; *p != '\0'; p++)
		lines += *p == '\n';
	if ((s->rep = calloc(lines + 1, sizeof(*s->rep))) == NULL ||
	    (s->repsize = calloc(lines + 1, sizeof(*s->repsize))) == NULL ||
	    (s->rem = calloc(lines + 1, sizeof(*s->rem))) == NULL) {
		swap_free(s);
		return -1;
	}
	for (p = text + strlen(SWAP_MAGIC); *p != '\0'; p += n) {
		n = 0;
		if (sscanf(p, "replace %20llu %20llu\n%n", &a, &b, &n) == 2 &&
		    n > 0) {
			s->rep[s->nrep] = a;
			s->repsize[s->nrep++] = b;
		} else if (sscanf(p, "remove %20llu\n%n", &a, &n) == 1 &&
		    n > 0)
			s->rem[s->nrem++] = a;
		else if (strcmp(p, "end\n") == 0)
			return 0;
		else
			break;
	}
bad:
	swap_free(s);
	errno = EBADMSG;
	return -1;
}

/* A new segment in place: the compacted one the marker announced. */
static int
swapped_in(int partfd, uint64_t base, uint64_t size)
{
	unsigned char hdr[MLOG_SEG_HDR];
	char name[NAME_LEN];
	struct stat st;
	int64_t created;
	int fd, ok, compacted = 0, saved;

	mlog_segment_name(name, sizeof(name), base, "log");
	if ((fd = openat(partfd, name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto fail;
	ok = (uint64_t)st.st_size == size;
	if (ok && pread_exact(fd, hdr, sizeof(hdr), 0) < 0) {
		if (errno != EBADMSG)
			goto fail;	/* a read error is not damage */
		ok = 0;
	}
	ok = ok && seg_header_check(hdr, base, &created, &compacted) == 0 &&
	    compacted;
	close(fd);
	if (!ok)
		errno = EBADMSG;
	return ok ? 0 : -1;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static int
rename_cleaned(int partfd, uint64_t base, const char *ext)
{
	char from[CLEANED_LEN], to[NAME_LEN];

	cleaned_name(from, sizeof(from), base, ext);
	mlog_segment_name(to, sizeof(to), base, ext);
	if (renameat(partfd, from, partfd, to) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

static int
unlink_segment(int partfd, uint64_t base)
{
	char name[NAME_LEN];

	/* the segment first: a reader that opens it after this does not
	 * find it without its index (and build one again) */
	mlog_segment_name(name, sizeof(name), base, "log");
	if (unlinkat(partfd, name, 0) < 0 && errno != ENOENT)
		return -1;
	mlog_segment_name(name, sizeof(name), base, "idx");
	if (unlinkat(partfd, name, 0) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

/*
 * Carry out a swap the marker describes, under the partition lock; each
 * step may already be done.  New segments go in before old ones go out,
 * so that a reader at the end of a segment always finds the records after
 * it (reader.c); a segment's index goes in before the segment, so that a
 * renamed segment always has its own index.  Nothing is removed unless
 * every new segment is in place.
 */
static int
roll_forward(int partfd, const struct swap *s)
{
	size_t i;

	for (i = 0; i < s->nrep; i++)
		if (rename_cleaned(partfd, s->rep[i], "idx") < 0 ||
		    rename_cleaned(partfd, s->rep[i], "log") < 0)
			return -1;
	for (i = 0; i < s->nrep; i++)
		if (swapped_in(partfd, s->rep[i], s->repsize[i]) < 0)
			return -1;
	for (i = 0; i < s->nrem; i++)
		if (unlink_segment(partfd, s->rem[i]) < 0)
			return -1;
	if (fsync(partfd) < 0 ||
	    (unlinkat(partfd, SWAP_NAME, 0) < 0 && errno != ENOENT))
		return -1;
	return fsync(partfd);
}

static int
swap_read(int partfd, char **text)
{
	struct stat st;
	char *t;
	int fd, saved;

	if ((fd = openat(partfd, SWAP_NAME, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size > SWAP_MAX ||
	    (t = malloc((size_t)st.st_size + 1)) == NULL) {
		saved = errno;
		close(fd);
		errno = st.st_size > SWAP_MAX ? EBADMSG : saved;
		return -1;
	}
	if (pread_full(fd, t, (size_t)st.st_size, 0) != st.st_size) {
		saved = errno;
		free(t);
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	t[st.st_size] = '\0';
	if (strlen(t) != (size_t)st.st_size) {
		free(t);
		errno = EBADMSG;
		return -1;
	}
	*text = t;
	return 0;
}

/* Recovery, with the compaction lock held. */
static int
recover(int partfd, int *done)
{
	struct swap s;
	char *text;
	int lockfd, rc, saved, n;

	*done = MLOG_COMPACT_CLEAN;
	if (swap_read(partfd, &text) == 0) {
		rc = swap_parse(text, &s);
		free(text);
		if (rc < 0)
			return -1;
		if ((lockfd = partition_lock(partfd, LOCK_EX)) < 0) {
			swap_free(&s);
			return -1;
		}
		rc = roll_forward(partfd, &s);
		saved = errno;
		close(lockfd);
		swap_free(&s);
		if (rc < 0) {
			errno = saved;
			return -1;
		}
		*done = MLOG_COMPACT_ROLLED_FORWARD;
	} else if (errno != ENOENT)
		return -1;
	if ((n = remove_leftovers(partfd)) < 0)
		return -1;
	if (n > 0 && *done == MLOG_COMPACT_CLEAN)
		*done = MLOG_COMPACT_ROLLED_BACK;
	return 0;
}

/* Do the swap: check, mark, carry out. */
static int
swap(struct job *j)
{
	const struct group *g;
	struct swap s;
	char name[NAME_LEN], *text = NULL, *nt;
	size_t len = 0, cap = 0, i, k;
	struct stat st;
	uint64_t base;
	int lockfd = -1, rc = -1, saved;

	memset(&s, 0, sizeof(s));
	if ((s.rep = calloc(j->ngroups, sizeof(*s.rep))) == NULL ||
	    (s.repsize = calloc(j->ngroups, sizeof(*s.repsize))) == NULL ||
	    (s.rem = calloc(j->nseal, sizeof(*s.rem))) == NULL) {
		swap_free(&s);
		return -1;
	}
	for (i = 0; i < j->ngroups; i++) {
		g = &j->groups[i];
		if (!g->rewrite)
			continue;
		s.rep[s.nrep] = j->segs[g->first].base;
		s.repsize[s.nrep++] = g->size;
		for (k = g->first + 1; k <= g->last; k++)
			s.rem[s.nrem++] = j->segs[k].base;
	}
	cap = sizeof(SWAP_MAGIC) + (s.nrep + s.nrem) * 64 + 8;
	if ((text = malloc(cap)) == NULL) {
		swap_free(&s);
		return -1;
	}
	len = strlcpy(text, SWAP_MAGIC, cap);
	for (i = 0; i < s.nrep; i++)
		len += (size_t)snprintf(text + len, cap - len,
		    "replace %020llu %llu\n", (unsigned long long)s.rep[i],
		    (unsigned long long)s.repsize[i]);
	for (i = 0; i < s.nrem; i++)
		len += (size_t)snprintf(text + len, cap - len,
		    "remove %020llu\n", (unsigned long long)s.rem[i]);
	len += strlcpy(text + len, "end\n", cap - len);
	nt = text;

	/* the .cleaned files are durable before a marker names them */
	if (fsync(j->partfd) < 0 ||
	    (lockfd = partition_lock(j->partfd, LOCK_EX)) < 0)
		goto out;
	/* still the files we read, and still sealed: the segment active
	 * at the start must still be there */
	for (i = 0; i <= j->nseal; i++) {
		base = j->segs[i].base;
		mlog_segment_name(name, sizeof(name), base, "log");
		if (fstatat(j->partfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				goto unlock;
			stale(j, base);
			goto unlock;
		}
		if (i < j->nseal && (st.st_dev != j->segs[i].dev ||
		    st.st_ino != j->segs[i].ino ||
		    (uint64_t)st.st_size != j->segs[i].size)) {
			stale(j, base);
			goto unlock;
		}
	}
	if (replace_file(j->partfd, SWAP_NAME, nt, len) < 0)
		goto unlock;
	rc = roll_forward(j->partfd, &s);
unlock:
	saved = errno;
	close(lockfd);
	errno = saved;
out:
	/* without a marker nothing happened: the new files go */
	saved = errno;
	if (rc < 0 && faccessat(j->partfd, SWAP_NAME, F_OK,
	    AT_SYMLINK_NOFOLLOW) < 0)
		(void)remove_leftovers(j->partfd);
	errno = saved;
	free(text);
	swap_free(&s);
	return rc;
}

int
mlog_compact_lock(struct mlog_log *log, uint32_t partition, int create)
{
	int fd, saved;

	if (partition >= log->partitions) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = openat(log->partfd[partition], LOCK_NAME, (create ?
	    O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW,
	    0666)) < 0)
		return -1;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
mlog_compact_recover(struct mlog_log *log, uint32_t partition, int lockfd,
    int *done)
{
	int own = -1, rc, d, saved;

	if (partition >= log->partitions) {
		errno = EINVAL;
		return -1;
	}
	if (lockfd < 0 && (own = mlog_compact_lock(log, partition, 1)) < 0)
		return -1;
	rc = recover(log->partfd[partition], &d);
	saved = errno;
	if (own >= 0)
		close(own);
	errno = saved;
	if (rc == 0)
		*done = d;
	return rc;
}

int
mlog_compact_partition(struct mlog_log *log, uint32_t partition,
    const struct mlog_compact_opts *opts, struct mlog_compact_stat *out,
    struct mlog_compact_error *err)
{
	struct mlog_compact_stat st;
	struct job j;
	uint64_t *bases = NULL;
	int64_t now = mlog_now_us();
	size_t i;
	int rc = -1, saved, wrote = 0;

	if (partition >= log->partitions) {
		errno = EINVAL;
		return -1;
	}
	memset(&j, 0, sizeof(j));
	memset(&st, 0, sizeof(st));
	st.partition = partition;
	j.partfd = log->partfd[partition];
	j.segbytes = log->segment_bytes;
	j.opts = opts;
	j.cutoff = opts->delete_retention_us == 0 ? INT64_MAX :
	    now - opts->delete_retention_us;
	if (faccessat(j.partfd, SWAP_NAME, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EAGAIN;
		return -1;
	}
	if (errno != ENOENT)
		return -1;
	if (mlog_log_segments(j.partfd, &bases, &j.nsegs) < 0)
		return -1;
	if ((j.segs = calloc(j.nsegs ? j.nsegs : 1, sizeof(*j.segs))) == NULL ||
	    (j.rd.buf = malloc(IO_BUF)) == NULL)
		goto out;
	j.rd.cap = IO_BUF;
	for (i = 0; i < j.nsegs; i++)
		j.segs[i].base = bases[i];
	j.nseal = j.nsegs ? j.nsegs - 1 : 0;
	for (i = 0; i < j.nsegs; i++)
		if (scan(&j, i) < 0)
			goto out;
	st.keys = j.map.n;
	tally(&j, &st);
	if (plan(&j, &st) < 0)
		goto out;
	for (i = 0; i < j.ngroups; i++)
		wrote |= j.groups[i].rewrite;
	if (opts->dry_run || !wrote) {
		rc = 0;
		goto out;
	}
	if ((j.obuf = malloc(IO_BUF)) == NULL ||
	    (j.ibuf = malloc(IDX_BUF)) == NULL)
		goto out;
	for (i = 0; i < j.ngroups; i++)
		if (j.groups[i].rewrite && write_group(&j, &j.groups[i]) < 0) {
			saved = errno;
			(void)remove_leftovers(j.partfd);
			errno = saved;
			goto out;
		}
	rc = swap(&j);
out:
	saved = errno;
	if (rc == 0)
		*out = st;
	else if (err != NULL && (saved == EBADMSG || saved == ESTALE))
		*err = j.err;
	free(bases);
	free(j.segs);
	free(j.groups);
	free(j.map.v);
	free(j.rd.buf);
	free(j.obuf);
	free(j.ibuf);
	errno = saved;
	return rc;
}

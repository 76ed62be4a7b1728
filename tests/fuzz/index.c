/*
 * Fuzz target for index files (lib/index.c, the reader's seeks, check.c):
 * a hostile index beside a sound segment may slow a lookup down, never
 * change its answer where the offsets decide it, and never crash.
 *
 * The harness makes a log once: partition 0 holds segment A (NREC records
 * of different sizes from offset BASE on, some timestamps going back, so
 * that its index has a dozen entries) and segment B (a few records after
 * it), with the indexes a writer makes.  The input is 8 bytes that choose
 * a lookup (an offset around A's, a time around its records'; bit 31 of
 * the first word puts the input in B's index instead, bit 30 repairs),
 * then the bytes of that index file.  Then:
 *
 *  - the binary searches (idx_find_offset(), idx_find_time()) return an
 *    entry inside the segment or the segment's start;
 *  - a scan from the index (seg_scan_from_index(), also fixing a copy)
 *    starts on a record boundary with that record's offset, and ends
 *    where a scan from the start does;
 *  - a reader seeking an offset returns exactly that record and then
 *    every later one; seeking a time, a record at or after that time, and
 *    with a true index exactly the first one;
 *  - mlog_log_check() finds something wrong exactly when the index is not
 *    what a writer makes; --repair puts that index back, leaves the
 *    segments alone, and a second check finds nothing.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "fuzz.h"

#define BASE	1000
#define NREC	160
#define NREC_B	3
#define TS0	1772442000000000LL

struct segfile {
	uint64_t	 base;
	unsigned char	*p;		/* the segment */
	size_t		 n;
	unsigned char	*idx;		/* its true index */
	size_t		 nidx;
	uint64_t	 pos[NREC + 1];	/* where its records start */
	int64_t		 ts[NREC];
	size_t		 nrec;
};

static struct segfile segs[2];
static char logpath[96];
static int partfd = -1;

static void
make_segment(struct segfile *g, uint64_t base, size_t nrec, int64_t ts0)
{
	unsigned char *val;
	size_t i, vlen, at;

	g->base = base;
	g->nrec = nrec;
	g->n = MLOG_SEG_HDR;
	for (i = 0; i < nrec; i++)
		g->n += mlog_record_size(0, 40 + (i * 97) % 600);
	REQUIRE((g->p = malloc(g->n)) != NULL);
	REQUIRE((val = malloc(640)) != NULL);
	seg_header(g->p, base, ts0, 0);
	at = MLOG_SEG_HDR;
	for (i = 0; i < nrec; i++) {
		vlen = 40 + (i * 97) % 600;
		memset(val, 'a' + (int)(i % 26), vlen);
		/* every seventh record is older than the one before it */
		g->ts[i] = ts0 + (int64_t)i * 1000 - (i % 7 == 6 ? 2500 : 0);
		mlog_record_encode(g->p + at, g->ts[i], NULL, 0, 0, val, vlen, 0);
		mlog_record_stamp(g->p + at, base + i);
		g->pos[i] = at;
		at += mlog_record_size(0, vlen);
	}
	g->pos[nrec] = at;
	free(val);
}

/* The index a writer makes, through the scan writers use. */
static void
true_index(struct segfile *g)
{
	char name[NAME_LEN];
	unsigned char hdr[IDX_HDR];
	struct seg_scan s;
	struct stat st;
	int segfd, idxfd;

	mlog_segment_name(name, sizeof(name), g->base, "log");
	fuzz_put(partfd, name, g->p, g->n);
	REQUIRE((segfd = openat(partfd, name, O_RDONLY)) >= 0);
	mlog_segment_name(name, sizeof(name), g->base, "idx");
	REQUIRE((idxfd = openat(partfd, name, O_RDWR | O_CREAT | O_TRUNC |
	    O_APPEND, 0666)) >= 0);
	idx_header(hdr, g->base);
	REQUIRE(write(idxfd, hdr, IDX_HDR) == IDX_HDR);
	seg_scan_init(&s, g->base);
	REQUIRE(seg_scan_run(segfd, &s, g->n, idxfd) == 0);
	REQUIRE(s.pos == g->n && s.next == g->base + g->nrec);
	REQUIRE(fstat(idxfd, &st) == 0);
	g->nidx = (size_t)st.st_size;
	REQUIRE((g->idx = malloc(g->nidx)) != NULL);
	REQUIRE(pread(idxfd, g->idx, g->nidx, 0) == (ssize_t)g->nidx);
	close(idxfd);
	close(segfd);
}

static void
init(void)
{
	int fd;

	if (partfd >= 0)
		return;
	fd = fuzz_log("log", 1, logpath, sizeof(logpath));
	REQUIRE((partfd = openat(fd, "p0", O_RDONLY | O_DIRECTORY)) >= 0);
	close(fd);
	make_segment(&segs[0], BASE, NREC, TS0);
	make_segment(&segs[1], BASE + NREC, NREC_B, TS0 + NREC * 1000);
	true_index(&segs[0]);
	true_index(&segs[1]);
	REQUIRE(segs[0].nidx > IDX_HDR + 8 * IDX_ENTRY);
}

static int
open_file(const struct segfile *g, const char *ext, int flags)
{
	char name[NAME_LEN];
	int fd;

	mlog_segment_name(name, sizeof(name), g->base, ext);
	REQUIRE((fd = openat(partfd, name, flags)) >= 0);
	return fd;
}

/* Only the two segments and their indexes, as in the input. */
static void
lay_out(int which, const uint8_t *idx, size_t n)
{
	char name[NAME_LEN];
	int i;

	fuzz_empty(partfd);
	for (i = 0; i < 2; i++) {
		mlog_segment_name(name, sizeof(name), segs[i].base, "log");
		fuzz_put(partfd, name, segs[i].p, segs[i].n);
		mlog_segment_name(name, sizeof(name), segs[i].base, "idx");
		if (i == which)
			fuzz_put(partfd, name, idx, n);
		else
			fuzz_put(partfd, name, segs[i].idx, segs[i].nidx);
	}
}

static size_t
record_at(const struct segfile *g, uint64_t pos)
{
	size_t i;

	for (i = 0; i <= g->nrec; i++)
		if (g->pos[i] == pos)
			return i;
	REQUIRE(!"a position between records");
	return 0;
}

static void
check_entry(const struct segfile *g, const struct idx_entry *e)
{
	if (e->pos == MLOG_SEG_HDR)
		return;
	REQUIRE(e->pos > MLOG_SEG_HDR && e->pos < g->n);
}

static void
scans(const struct segfile *g, int fix)
{
	struct seg_scan s;
	struct stat st;
	int segfd, idxfd;

	segfd = open_file(g, "log", O_RDONLY);
	idxfd = open_file(g, "idx", fix ? O_RDWR : O_RDONLY);
	if (seg_scan_from_index(segfd, idxfd, g->base, g->n, fix, &s) == 0) {
		REQUIRE(s.next == g->base + record_at(g, s.pos));
		REQUIRE(seg_scan_run(segfd, &s, g->n, -1) == 0);
		REQUIRE(s.pos == g->n && s.next == g->base + g->nrec);
		if (fix) {
			REQUIRE(fstat(idxfd, &st) == 0);
			REQUIRE(st.st_size >= IDX_HDR &&
			    (st.st_size - IDX_HDR) % IDX_ENTRY == 0);
		}
	}
	close(idxfd);
	close(segfd);
}

static void
check_seeks(int truthful, uint64_t off, int64_t ts)
{
	struct mlog_reader *r;
	struct mlog_record rec;
	uint64_t want, end = BASE + NREC + NREC_B;
	const struct segfile *g;
	size_t i, first = SIZE_MAX;
	int rc;

	REQUIRE((r = mlog_reader_open(partfd, 0)) != NULL);
	REQUIRE(mlog_reader_seek_offset(r, off) == 0);
	for (want = off < BASE ? BASE : off; want < end; want++) {
		REQUIRE(mlog_reader_next(r, &rec) == 1);
		REQUIRE(rec.offset == want);
	}
	REQUIRE(mlog_reader_next(r, &rec) == 0);

	/* the first record at or after ts, segment by segment */
	for (g = segs; g < segs + 2 && first == SIZE_MAX; g++)
		for (i = 0; i < g->nrec && first == SIZE_MAX; i++)
			if (g->ts[i] >= ts)
				first = (size_t)(g->base - BASE) + i;
	REQUIRE(mlog_reader_seek_time(r, ts) == 0);
	rc = mlog_reader_next(r, &rec);
	REQUIRE(rc == 1 || (rc == 0 && first == SIZE_MAX));
	if (rc == 1) {
		REQUIRE(rec.timestamp >= ts);
		if (truthful)
			REQUIRE(rec.offset == BASE + first);
	}
	mlog_reader_close(r);
}

static uint64_t
findings(int flags)
{
	struct mlog_check_stats st;
	uint64_t n = 0;
	char where[256];

	REQUIRE(mlog_log_check(logpath, flags, fuzz_finding, &n, &st, where,
	    sizeof(where)) == 0);
	REQUIRE(st.records == NREC + NREC_B);
	return n;
}

/* The file is what it should be. */
static int
same_file(const struct segfile *g, const char *ext, const unsigned char *p,
    size_t n)
{
	unsigned char *buf;
	struct stat st;
	int fd, same;

	fd = open_file(g, ext, O_RDONLY);
	REQUIRE(fstat(fd, &st) == 0);
	REQUIRE((buf = malloc(n + 1)) != NULL);
	same = (size_t)st.st_size == n && pread(fd, buf, n + 1, 0) ==
	    (ssize_t)n && memcmp(buf, p, n) == 0;
	free(buf);
	close(fd);
	return same;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct segfile *g;
	struct idx_entry e;
	uint32_t w0 = 0, w1 = 0;
	uint64_t off;
	int64_t ts;
	int which, truthful, idxfd, i;

	init();
	if (size >= 8) {
		w0 = get32(data);
		w1 = get32(data + 4);
		data += 8;
		size -= 8;
	}
	which = (w0 >> 31) & 1;
	g = &segs[which];
	off = BASE + (w0 & 0xffff) % (NREC + NREC_B + 4) - 2;
	ts = segs[0].ts[(w1 >> 8) % NREC] + (int8_t)(w1 & 0xff) * 10;
	truthful = size == g->nidx && memcmp(data, g->idx, size) == 0;
	lay_out(which, data, size);

	idxfd = open_file(g, "idx", O_RDONLY);
	if (idx_find_offset(idxfd, g->base, off, g->n, &e) == 0)
		check_entry(g, &e);
	if (idx_find_time(idxfd, ts, g->n, &e) == 0)
		check_entry(g, &e);
	close(idxfd);
	scans(g, 0);

	check_seeks(truthful, off, ts);
	/* the reader rebuilt what it did not trust, or left it */
	lay_out(which, data, size);

	REQUIRE((findings(0) == 0) == truthful);
	if (w0 & (1u << 30)) {
		findings(MLOG_CHECK_REPAIR);
		for (i = 0; i < 2; i++) {
			REQUIRE(same_file(&segs[i], "log", segs[i].p,
			    segs[i].n));
			REQUIRE(same_file(&segs[i], "idx", segs[i].idx,
			    segs[i].nidx));
		}
		REQUIRE(findings(0) == 0);
	} else {
		scans(g, 1);
	}
	return 0;
}

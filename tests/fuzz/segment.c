/*
 * Fuzz target for segment files (lib/segment.c, reader.c, index.c, stat.c,
 * check.c, writer.c): a hostile segment must never crash a reader or make
 * it read outside the file, whatever it claims.
 *
 * The input is a flags byte, then up to four files cut at FUZZ_SPLIT:
 * segment A, its index, segment B, its index (an empty or absent index is
 * no file).  They go into partition 0 of a scratch log, each segment named
 * by the base offset in its header (A's plus one when the header has
 * none, or with F_MISNAME).  With F_CRC the harness stamps the right CRC
 * into every record whose length fits, with F_DENSE the offsets an
 * appender would, so that mutations get past the checks they are not
 * about.  Then:
 *
 *  - a reader reads the partition from the start, from an offset and from
 *    a time: offsets strictly increase, each record returned is one that
 *    is in a segment byte for byte, and a seek returns nothing before
 *    what it was asked for;
 *  - mlog_reader_bounds(), mlog_stat_partition() and mlog_hist_scan()
 *    agree with that;
 *  - mlog_log_check() (whole and quick) reports sane findings, and a log
 *    it finds undamaged reads to its end with as many records as it
 *    counted;
 *  - with F_REPAIR, mlog-check --repair runs twice, and the second run
 *    finds nothing left to repair;
 *  - with F_WRITE, a writer appends a record (cutting a torn tail or
 *    refusing), which a reader then finds at the offset it was given.
 *
 * Errors are fine, crashes, overreads, leaks and broken promises are not.
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

#define F_CRC		0x01
#define F_DENSE		0x02
#define F_MISNAME	0x04
#define F_REPAIR	0x08
#define F_WRITE		0x10
#define F_QUICK		0x20

#define MAXREAD		100000	/* records; inputs are a few KiB */
/* mlog_segment_parse_name() takes no name above this one */
#define NAMED_MAX	18446744073709551609ULL

struct seg {
	unsigned char	*p;
	size_t		 n;
	uint64_t	 base;
	int		 present;
};

static struct seg segs[2];
static char logpath[96];
static int logfd = -1, partfd = -1;

static void
init(void)
{
	if (partfd >= 0)
		return;
	logfd = fuzz_log("log", 1, logpath, sizeof(logpath));
	REQUIRE((partfd = openat(logfd, "p0", O_RDONLY | O_DIRECTORY)) >= 0);
}

/* What an appender would have written, where the lengths allow. */
static void
mend(struct seg *s, int flags)
{
	uint64_t pos = MLOG_SEG_HDR, off = s->base;
	uint32_t len;

	while (pos + MLOG_REC_HDR <= s->n) {
		len = get32(s->p + pos);
		if (len < MLOG_REC_HDR - 4 || len > s->n - pos - 4)
			break;
		if (flags & F_DENSE)
			put64(s->p + pos + 4, off++);
		if (flags & F_CRC)
			put32(s->p + pos + 12, mlog_crc32c(0, s->p + pos + 16,
			    len - 12));
		pos += 4 + (uint64_t)len;
	}
}

static void
lay_out(const struct fuzz_part *v, size_t nv, int flags)
{
	char name[NAME_LEN];
	size_t i;

	fuzz_empty(partfd);
	fuzz_remove(logfd, "damaged");	/* where repairs move segments */
	for (i = 0; i < 2; i++) {
		free(segs[i].p);
		memset(&segs[i], 0, sizeof(segs[i]));
		if (2 * i >= nv || (i == 1 && v[2].n == 0))
			continue;
		segs[i].n = v[2 * i].n;
		REQUIRE((segs[i].p = malloc(segs[i].n + 1)) != NULL);
		memcpy(segs[i].p, v[2 * i].p, segs[i].n);
		if (segs[i].n >= 16)
			segs[i].base = get64(segs[i].p + 8);
		else
			segs[i].base = i == 0 ? 0 : segs[0].base + 1;
		if (i == 0 && (flags & F_MISNAME))
			segs[i].base++;
		if (i == 1 && segs[1].base == segs[0].base)
			segs[1].base++;
		mend(&segs[i], flags);
		segs[i].present = 1;
		mlog_segment_name(name, sizeof(name), segs[i].base, "log");
		fuzz_put(partfd, name, segs[i].p, segs[i].n);
		if (2 * i + 1 < nv && v[2 * i + 1].n > 0) {
			mlog_segment_name(name, sizeof(name), segs[i].base,
			    "idx");
			fuzz_put(partfd, name, v[2 * i + 1].p, v[2 * i + 1].n);
		}
	}
}

/* The record is in one of the segments, byte for byte. */
static void
check_record(const struct mlog_record *rec)
{
	size_t n = mlog_record_size(rec->keylen, rec->valuelen), i;
	unsigned char *buf;
	int found = 0;

	REQUIRE(rec->partition == 0);
	REQUIRE(rec->has_key || rec->keylen == 0);
	REQUIRE(!rec->null_value || rec->valuelen == 0);
	REQUIRE((buf = malloc(n)) != NULL);
	mlog_record_encode(buf, rec->timestamp, rec->key, rec->keylen,
	    rec->has_key, rec->value, rec->valuelen, rec->null_value);
	mlog_record_stamp(buf, rec->offset);
	for (i = 0; i < 2 && !found; i++)
		found = segs[i].present && segs[i].n >= n &&
		    memmem(segs[i].p + MLOG_SEG_HDR, segs[i].n - MLOG_SEG_HDR,
		    buf, n) != NULL;
	free(buf);
	REQUIRE(found);
}

static int
on_gap(void *arg, uint32_t partition, uint64_t from, uint64_t to,
    int retained)
{
	(void)arg;
	(void)retained;
	REQUIRE(partition == 0 && from < to);
	return 0;
}

struct run {
	int		 rc;		/* of the last mlog_reader_next() */
	uint64_t	 n;		/* records returned */
	uint64_t	 first, last;	/* their offsets */
	int64_t		 first_ts;
};

/* Read on from where r is; offsets must increase. */
static void
read_on(struct mlog_reader *r, struct run *run)
{
	struct mlog_record rec;

	memset(run, 0, sizeof(*run));
	while (run->n < MAXREAD && (run->rc = mlog_reader_next(r, &rec)) > 0) {
		REQUIRE(run->rc == 1);
		check_record(&rec);
		if (run->n == 0) {
			run->first = rec.offset;
			run->first_ts = rec.timestamp;
		} else
			REQUIRE(rec.offset > run->last);
		run->last = rec.offset;
		run->n++;
	}
	REQUIRE(run->n < MAXREAD);
	REQUIRE(run->rc == 0 || run->rc == -1);
}

static uint64_t
files_size(void)
{
	return (segs[0].present ? segs[0].n : 0) +
	    (segs[1].present ? segs[1].n : 0);
}

struct findings {
	uint64_t	 damage;
};

static void
on_finding(void *arg, const struct mlog_check_report *f)
{
	struct findings *fs = arg;

	fuzz_finding(NULL, f);
	REQUIRE(f->partition == -1 || f->partition == 0);
	if (f->pos != MLOG_CHECK_NONE)
		REQUIRE(f->pos <= files_size() + MLOG_REC_MAX);
	if (f->kind == MLOG_CHECK_DAMAGE)
		fs->damage++;
}

static int
check(int flags, struct findings *fs, struct mlog_check_stats *st)
{
	char where[256];
	int rc;

	memset(fs, 0, sizeof(*fs));
	memset(st, 0, sizeof(*st));
	rc = mlog_log_check(logpath, flags, on_finding, fs, st, where,
	    sizeof(where));
	REQUIRE(memchr(where, '\0', sizeof(where)) != NULL);
	if (rc == 0)
		REQUIRE(st->damage == fs->damage);
	if (getenv("FUZZ_DEBUG") != NULL)
		fprintf(stderr, "check %#x: %d, %llu damaged, %llu records\n",
		    flags, rc, (unsigned long long)fs->damage,
		    (unsigned long long)st->records);
	return rc;
}

static void
write_one(void)
{
	static const char value[] = "{\"fuzz\":1}";
	unsigned char rec[MLOG_REC_HDR + sizeof(value)];
	struct mlog_record got;
	struct mlog_writer *w;
	struct mlog_reader *r;
	struct mlog_log *log;
	uint64_t first;
	int rc;

	if ((log = mlog_log_open(logpath, 0, NULL)) == NULL)
		return;
	REQUIRE((w = mlog_writer_open(log, MLOG_FSYNC_NEVER, NULL, NULL)) !=
	    NULL);
	mlog_record_encode(rec, 1772442000000000, NULL, 0, 0, value,
	    sizeof(value) - 1, 0);
	rc = mlog_writer_append(w, 0, rec, sizeof(rec) - 1, 1, &first);
	mlog_writer_close(w);
	if (rc == 0) {
		REQUIRE((r = mlog_reader_open(log->partfd[0], 0)) != NULL);
		REQUIRE(mlog_reader_seek_offset(r, first) == 0);
		REQUIRE(mlog_reader_next(r, &got) == 1);
		REQUIRE(got.offset == first);
		REQUIRE(got.valuelen == sizeof(value) - 1 &&
		    memcmp(got.value, value, got.valuelen) == 0);
		mlog_reader_close(r);
	}
	mlog_log_close(log);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part v[4];
	struct mlog_check_stats st;
	struct findings fs;
	struct mlog_reader *r;
	struct mlog_log *log;
	struct mlog_stat ps;
	struct mlog_hist h;
	struct run all, run;
	uint64_t start, end, off;
	size_t nv, i;
	int flags, bounds;

	if (size == 0)
		return 0;
	init();
	flags = data[0];
	nv = fuzz_split(data + 1, size - 1, v, 4);
	lay_out(v, nv, flags);

	/* from the start */
	REQUIRE((r = mlog_reader_open(partfd, 0)) != NULL);
	mlog_reader_on_gap(r, on_gap, NULL);
	read_on(r, &all);
	if (all.rc == 0)
		REQUIRE(mlog_reader_torn(r) <= files_size());
	bounds = mlog_reader_bounds(r, &start, &end);
	if (bounds == 0) {
		REQUIRE(start <= end);
		/* one segment, scanned by both from its start */
		if (all.rc == 0 && !segs[1].present && nv < 2 &&
		    segs[0].base <= NAMED_MAX)
			REQUIRE(end == (all.n > 0 ? all.last + 1 :
			    segs[0].base));
	}

	/* from an offset, and from a time */
	off = all.n > 0 ? all.first + (all.last - all.first) / 2 :
	    segs[0].base;
	if (mlog_reader_seek_offset(r, off) == 0) {
		read_on(r, &run);
		if (run.n > 0)
			REQUIRE(run.first >= off);
	}
	if (all.n > 0 && mlog_reader_seek_time(r, all.first_ts) == 0) {
		read_on(r, &run);
		if (run.n > 0)
			REQUIRE(run.first_ts >= all.first_ts);
	}
	mlog_reader_close(r);

	if ((log = mlog_log_open(logpath, 0, NULL)) != NULL) {
		if (mlog_stat_partition(log, 0, &ps) == 0) {
			REQUIRE(ps.start <= ps.end);
			REQUIRE(ps.records == ps.end - ps.start);
			/* not more: names past NAMED_MAX are no segments */
			REQUIRE(ps.bytes <= files_size());
		}
		mlog_hist_init(&h, 1000000);
		if (mlog_hist_scan(&h, log, 0) == 0)
			for (i = 1; i < h.n; i++)
				REQUIRE(h.v[i - 1].start < h.v[i].start);
		mlog_hist_free(&h);
		mlog_log_close(log);
	}

	if (check(flags & F_QUICK ? MLOG_CHECK_QUICK : 0, &fs, &st) == 0 &&
	    !(flags & F_QUICK) && fs.damage == 0) {
		REQUIRE(all.rc == 0);
		REQUIRE(all.n == st.records);
	}
	if (flags & F_REPAIR) {
		if (check(MLOG_CHECK_REPAIR, &fs, &st) == 0 &&
		    check(MLOG_CHECK_REPAIR, &fs, &st) == 0)
			REQUIRE(st.repairs == 0);
	}
	if (flags & F_WRITE)
		write_one();
	return 0;
}

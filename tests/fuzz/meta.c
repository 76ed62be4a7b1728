/*
 * Fuzz target for a log's metadata (lib/log.c, and what check.c and the
 * reader make of it): the meta file and a partition's start file.
 *
 * The input is the meta file, then FUZZ_SPLIT and the start file of
 * partition 0 (no part: no file), in a scratch log with the directories
 * p0 to p3; p0 holds one segment of NREC records from offset 0.  Then:
 *
 *  - a meta file that opens gives values in their documented ranges, and
 *    a log created with those values has the same ones;
 *  - mlog_log_check() finds the meta file damaged exactly when it does
 *    not open (or a partition directory is missing), and fails as the
 *    open does on a version it does not know;
 *  - a start file that loads is where the partition starts for
 *    mlog_reader_bounds() and mlog_stat_partition(), unless it is past the
 *    end (damage that deletes nothing), and never makes them count more
 *    records than there are.
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

#define NPARTS	4
#define NREC	3

static char logpath[96], copypath[96];
static int logfd = -1, partfd, copyfd;

static void
init(void)
{
	unsigned char seg[MLOG_SEG_HDR + NREC * MLOG_REC_HDR + NREC];
	char name[NAME_LEN];
	size_t at = MLOG_SEG_HDR;
	int i;

	if (logfd >= 0)
		return;
	logfd = fuzz_log("log", NPARTS, logpath, sizeof(logpath));
	/* made again from each meta that opens: no meta, no partitions */
	snprintf(copypath, sizeof(copypath), "%s/copy", fuzz_dir());
	REQUIRE(mkdir(copypath, 0777) == 0);
	REQUIRE((copyfd = open(copypath, O_RDONLY | O_DIRECTORY)) >= 0);
	REQUIRE((partfd = openat(logfd, "p0", O_RDONLY | O_DIRECTORY)) >= 0);
	seg_header(seg, 0, 1772442000000000, 0);
	for (i = 0; i < NREC; i++) {
		mlog_record_encode(seg + at, 1772442000000000 + i, NULL, 0, 0,
		    "x", 1, 0);
		mlog_record_stamp(seg + at, (uint64_t)i);
		at += MLOG_REC_HDR + 1;
	}
	mlog_segment_name(name, sizeof(name), 0, "log");
	fuzz_put(partfd, name, seg, sizeof(seg));
}

struct bad {
	int	 meta;		/* findings about meta */
	int	 missing;	/* partition directories missing */
};

static void
on_finding(void *arg, const struct mlog_check_report *f)
{
	struct bad *b = arg;

	fuzz_finding(NULL, f);
	if (f->file != NULL && strcmp(f->file, "meta") == 0)
		b->meta++;
	if (f->file == NULL && strncmp(f->message, "missing", 7) == 0)
		b->missing++;
}

/* A log made with the values this one has has them too. */
static void
recreate(const struct mlog_log *log)
{
	struct mlog_log_opts o;
	struct mlog_log *copy;

	fuzz_remove(copyfd, "meta");
	memset(&o, 0, sizeof(o));
	o.partitions = log->partitions;
	o.segment_bytes = log->segment_bytes;
	o.segment_age_us = log->segment_age_us;
	o.retain_age_us = log->retain_age_us;
	o.retain_bytes = log->retain_bytes;
	REQUIRE((copy = mlog_log_open(copypath, 1, &o)) != NULL);
	REQUIRE(copy->partitions == log->partitions);
	REQUIRE(copy->segment_bytes == log->segment_bytes);
	REQUIRE(copy->segment_age_us == log->segment_age_us);
	REQUIRE(copy->retain_age_us == log->retain_age_us);
	REQUIRE(copy->retain_bytes == log->retain_bytes);
	mlog_log_close(copy);
}

static void
starts(struct mlog_log *log)
{
	struct mlog_reader *r;
	struct mlog_record rec;
	struct mlog_stat st;
	uint64_t start, s, e, n = 0;
	int rc;

	if (mlog_log_start(partfd, &start) < 0) {
		REQUIRE(errno == EBADMSG);
		start = 0;	/* as a reader takes it */
	}
	REQUIRE((r = mlog_reader_open(partfd, 0)) != NULL);
	REQUIRE(mlog_reader_bounds(r, &s, &e) == 0);
	REQUIRE(s <= e && e == NREC);
	/* past the end it deletes nothing (it is damage) */
	REQUIRE(s == (start <= NREC ? start : 0));
	/* within the segment it is not where the reader starts */
	while ((rc = mlog_reader_next(r, &rec)) == 1) {
		REQUIRE(rec.offset == n);
		n++;
	}
	REQUIRE(rc == 0 && n == NREC);
	mlog_reader_close(r);
	if (log != NULL) {
		REQUIRE(mlog_stat_partition(log, 0, &st) == 0);
		REQUIRE(st.start == s && st.end == e && st.records == e - s);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlog_check_stats st;
	struct fuzz_part v[2];
	struct mlog_log *log;
	struct bad bad = { 0, 0 };
	char where[256];
	size_t nv;
	int rc, e;

	init();
	nv = fuzz_split(data, size, v, 2);
	fuzz_put(logfd, "meta", v[0].p, v[0].n);
	if (nv > 1)
		fuzz_put(partfd, "start", v[1].p, v[1].n);
	else
		fuzz_remove(partfd, "start");

	log = mlog_log_open(logpath, 0, NULL);
	e = errno;
	rc = mlog_log_check(logpath, MLOG_CHECK_QUICK, on_finding, &bad, &st,
	    where, sizeof(where));
	if (log != NULL) {
		REQUIRE(log->partitions >= 1 && log->partitions <= NPARTS);
		REQUIRE(log->segment_bytes >= MLOG_SEGMENT_MIN &&
		    log->segment_bytes <= MLOG_SEGMENT_MAX);
		REQUIRE(log->segment_age_us > 0 && log->retain_age_us >= 0);
		REQUIRE(rc == 0 && bad.meta == 0 && bad.missing == 0);
		recreate(log);
	} else if (e == EBADMSG)
		REQUIRE(rc == 0 && bad.meta + bad.missing > 0);
	else
		REQUIRE(e == ENOTSUP && rc == -1 && errno == ENOTSUP);
	starts(log);
	mlog_log_close(log);
	return 0;
}

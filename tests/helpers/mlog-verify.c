/*
 * mlog-verify: check a log through the public reader, for the crash tests.
 * Every partition is read from its first record to its end: no record may
 * be corrupt, offsets must run without a gap from the partition's start to
 * its end, and no torn tail may be left.  A reader cannot always tell a
 * torn tail from a record still being written, so each segment's size is
 * also checked against the records read from it: its header and its
 * records, not a byte more.  A valid log
 * prints one line per partition and exits 0; anything else is reported
 * and exits 1.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mlog.h"

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: mlog-verify log\n");
	exit(2);
}

/* Each segment's size must be what its records account for. */
static void
check_sizes(const char *path, int partfd, uint32_t pn, const uint64_t *bases,
    const uint64_t *used, size_t nsegs)
{
	struct stat st;
	char name[32];
	size_t i;

	for (i = 0; i < nsegs; i++) {
		mlog_segment_name(name, sizeof(name), bases[i], "log");
		if (fstatat(partfd, name, &st, 0) < 0)
			err(1, "%s: partition %u: %s", path, pn, name);
		if ((uint64_t)st.st_size != used[i])
			errx(1, "%s: partition %u: segment %s holds %jd bytes, "
			    "its header and records end at byte %" PRIu64,
			    path, pn, name, (intmax_t)st.st_size, used[i]);
	}
}

static void
verify(const char *path, int partfd, uint32_t pn)
{
	struct mlog_reader *r;
	struct mlog_record rec;
	uint64_t start, end, next, n = 0, torn, *bases, *used;
	size_t i, nsegs, seg = 0;
	int rc;

	if (mlog_log_segments(partfd, &bases, &nsegs) < 0)
		err(1, "%s: partition %u", path, pn);
	if ((used = calloc(nsegs ? nsegs : 1, sizeof(*used))) == NULL)
		err(1, NULL);
	for (i = 0; i < nsegs; i++)
		used[i] = MLOG_SEG_HDR;
	if ((r = mlog_reader_open(partfd, pn)) == NULL)
		err(1, NULL);
	if (mlog_reader_bounds(r, &start, &end) < 0)
		errx(1, "%s: partition %u: bounds: %s", path, pn,
		    mlog_strerror(errno));
	next = start;
	while ((rc = mlog_reader_next(r, &rec)) == 1) {
		if (rec.offset != next)
			errx(1, "%s: partition %u: record %" PRIu64 " has "
			    "offset %" PRIu64 ", expected %" PRIu64, path, pn,
			    n, rec.offset, next);
		while (seg + 1 < nsegs && rec.offset >= bases[seg + 1])
			seg++;
		used[seg] += mlog_record_size(rec.keylen, rec.valuelen);
		next++;
		n++;
	}
	if (rc < 0)
		errx(1, "%s: partition %u: at offset %" PRIu64 ": %s", path,
		    pn, next, mlog_strerror(errno));
	check_sizes(path, partfd, pn, bases, used, nsegs);
	if ((torn = mlog_reader_torn(r)) > 0)
		errx(1, "%s: partition %u: at offset %" PRIu64 ": a torn "
		    "tail of %" PRIu64 " bytes", path, pn, next, torn);
	if (next != end)
		errx(1, "%s: partition %u: records end at offset %" PRIu64
		    ", the partition's end is %" PRIu64, path, pn, next, end);
	if (n == 0)
		printf("partition %u: 0 records, next offset %" PRIu64 "\n",
		    pn, end);
	else
		printf("partition %u: %" PRIu64 " records, offsets %" PRIu64
		    "..%" PRIu64 "\n", pn, n, start, end - 1);
	mlog_reader_close(r);
	free(bases);
	free(used);
}

int
main(int argc, char *argv[])
{
	struct mlog_log *log;
	uint32_t i;

	if (argc != 2)
		usage();
	if ((log = mlog_log_open(argv[1], 0, NULL)) == NULL)
		errx(1, "%s: %s", argv[1], mlog_strerror(errno));
	for (i = 0; i < log->partitions; i++)
		verify(argv[1], log->partfd[i], i);
	mlog_log_close(log);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return 0;
}

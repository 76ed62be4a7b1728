/*
 * mlog-verify: check a log through the public reader, for the crash tests.
 * Every partition is read from its first record to its end: no record may
 * be corrupt, offsets must increase, and they must run without a gap from
 * the partition's start to its end except where compaction leaves gaps:
 * inside a compacted ("mlogsegc") segment, and between one and the next
 * segment.  An appended ("mlogseg1") segment holds records from its base
 * on, one offset after the other, up to the next segment's base.  No torn
 * tail may be left.  A reader cannot always tell a torn tail from a record
 * still being written, so each segment's size is also checked against the
 * records read from it: its header and its records, not a byte more.  A
 * valid log prints one line per partition and exits 0; anything else is
 * reported and exits 1.  With -r, an interrupted compaction is first
 * finished or undone (mlog_compact_recover()), as mlog-compact would.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlog.h"

/* What was read from one segment. */
struct segread {
	int		compacted;
	uint64_t	used;		/* bytes: header and records */
	uint64_t	n, first, last;
};

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: mlog-verify [-r] log\n");
	exit(2);
}

static int
is_compacted(const char *path, int partfd, uint32_t pn, const char *name)
{
	char magic[8];
	int fd;
	ssize_t n;

	if ((fd = openat(partfd, name, O_RDONLY | O_CLOEXEC)) < 0)
		err(1, "%s: partition %u: %s", path, pn, name);
	n = pread(fd, magic, sizeof(magic), 0);
	close(fd);
	return n == (ssize_t)sizeof(magic) &&
	    memcmp(magic, "mlogsegc", sizeof(magic)) == 0;
}

/* Each segment's size must be what its records account for, and its
 * offsets what its kind allows. */
static void
check_segments(const char *path, int partfd, uint32_t pn,
    const uint64_t *bases, const struct segread *sr, size_t nsegs,
    uint64_t end)
{
	const struct segread *s;
	struct stat st;
	char name[32];
	size_t i;

	for (i = 0; i < nsegs; i++) {
		mlog_segment_name(name, sizeof(name), bases[i], "log");
		if (fstatat(partfd, name, &st, 0) < 0)
			err(1, "%s: partition %u: %s", path, pn, name);
		if ((uint64_t)st.st_size != sr[i].used)
			errx(1, "%s: partition %u: segment %s holds %jd bytes, "
			    "its header and records end at byte %" PRIu64,
			    path, pn, name, (intmax_t)st.st_size, sr[i].used);
	}
	for (i = 0; i < nsegs; i++) {
		s = &sr[i];
		mlog_segment_name(name, sizeof(name), bases[i], "log");
		if (s->compacted)
			continue;	/* its offsets were checked as read */
		if (s->n == 0 && i + 1 < nsegs)
			errx(1, "%s: partition %u: appended segment %s holds "
			    "no record", path, pn, name);
		if (s->n > 0 && s->first != bases[i])
			errx(1, "%s: partition %u: appended segment %s starts "
			    "at offset %" PRIu64, path, pn, name, s->first);
		if (s->n > 0 && i + 1 < nsegs && s->last + 1 != bases[i + 1])
			errx(1, "%s: partition %u: appended segment %s ends at "
			    "offset %" PRIu64 ", the next one starts at %" PRIu64,
			    path, pn, name, s->last, bases[i + 1]);
		if (i + 1 == nsegs && (s->n > 0 ? s->last + 1 : bases[i]) != end)
			errx(1, "%s: partition %u: records end at offset %"
			    PRIu64 ", the partition's end is %" PRIu64, path, pn,
			    s->n > 0 ? s->last + 1 : bases[i], end);
	}
}

static void
verify(const char *path, int partfd, uint32_t pn)
{
	struct mlog_reader *r;
	struct mlog_record rec;
	struct segread *sr, *s;
	uint64_t start, end, n = 0, torn, last = 0, *bases;
	size_t i, nsegs, seg = 0;
	char name[32];
	int rc;

	if (mlog_log_segments(partfd, &bases, &nsegs) < 0)
		err(1, "%s: partition %u", path, pn);
	if ((sr = calloc(nsegs ? nsegs : 1, sizeof(*sr))) == NULL)
		err(1, NULL);
	for (i = 0; i < nsegs; i++) {
		sr[i].used = MLOG_SEG_HDR;
		mlog_segment_name(name, sizeof(name), bases[i], "log");
		sr[i].compacted = is_compacted(path, partfd, pn, name);
	}
	if ((r = mlog_reader_open(partfd, pn)) == NULL)
		err(1, NULL);
	if (mlog_reader_bounds(r, &start, &end) < 0)
		errx(1, "%s: partition %u: bounds: %s", path, pn,
		    mlog_strerror(errno));
	while ((rc = mlog_reader_next(r, &rec)) == 1) {
		if (n > 0 && rec.offset <= last)
			errx(1, "%s: partition %u: record %" PRIu64 " has "
			    "offset %" PRIu64 ", after offset %" PRIu64, path,
			    pn, n, rec.offset, last);
		if (rec.offset < start)
			errx(1, "%s: partition %u: record %" PRIu64 " has "
			    "offset %" PRIu64 ", before the start %" PRIu64,
			    path, pn, n, rec.offset, start);
		while (seg + 1 < nsegs && rec.offset >= bases[seg + 1])
			seg++;
		s = &sr[seg];
		if (s->n > 0 && !s->compacted && rec.offset != s->last + 1)
			errx(1, "%s: partition %u: record %" PRIu64 " has "
			    "offset %" PRIu64 ", expected %" PRIu64, path, pn,
			    n, rec.offset, s->last + 1);
		if (s->n++ == 0)
			s->first = rec.offset;
		s->last = last = rec.offset;
		s->used += mlog_record_size(rec.keylen, rec.valuelen);
		n++;
	}
	if (rc < 0)
		errx(1, "%s: partition %u: after offset %" PRIu64 ": %s", path,
		    pn, last, mlog_strerror(errno));
	check_segments(path, partfd, pn, bases, sr, nsegs, end);
	if ((torn = mlog_reader_torn(r)) > 0)
		errx(1, "%s: partition %u: after offset %" PRIu64 ": a torn "
		    "tail of %" PRIu64 " bytes", path, pn, last, torn);
	if (n == 0)
		printf("partition %u: 0 records, next offset %" PRIu64 "\n",
		    pn, end);
	else
		printf("partition %u: %" PRIu64 " records, offsets %" PRIu64
		    "..%" PRIu64 "\n", pn, n, start, end - 1);
	mlog_reader_close(r);
	free(bases);
	free(sr);
}

int
main(int argc, char *argv[])
{
	struct mlog_log *log;
	uint32_t i;
	int c, recover = 0, done;

	while ((c = getopt(argc, argv, "r")) != -1) {
		switch (c) {
		case 'r':
			recover = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage();
	if ((log = mlog_log_open(argv[0], 0, NULL)) == NULL)
		errx(1, "%s: %s", argv[0], mlog_strerror(errno));
	for (i = 0; recover && i < log->partitions; i++)
		if (mlog_compact_recover(log, i, -1, &done) < 0)
			errx(1, "%s: partition %u: recovery: %s", argv[0], i,
			    mlog_strerror(errno));
	for (i = 0; i < log->partitions; i++)
		verify(argv[0], log->partfd[i], i);
	mlog_log_close(log);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return 0;
}

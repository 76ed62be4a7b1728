/*
 * seg-map LOG: where every record of an undamaged log lies, for the
 * mlog-check tests, which damage bytes and must know whose they were.
 * One line per record, "PARTITION SEGMENT POS LEN OFFSET": the partition
 * number, the segment file name, the byte position and size of the record
 * in it, and its offset.  Each segment is decoded from its header on with
 * mlog_record_decode(); an invalid record or a short header is an error.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mlog.h"

static void
segment(const char *path, int partfd, uint32_t pn, uint64_t base)
{
	struct mlog_record rec;
	struct stat st;
	unsigned char *buf;
	char name[32];
	size_t pos, need;
	ssize_t n;
	int fd;

	mlog_segment_name(name, sizeof(name), base, "log");
	if ((fd = openat(partfd, name, O_RDONLY)) < 0 || fstat(fd, &st) < 0)
		err(1, "%s: p%u/%s", path, pn, name);
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		err(1, NULL);
	if (read(fd, buf, (size_t)st.st_size) != st.st_size)
		err(1, "%s: p%u/%s", path, pn, name);
	close(fd);
	if (st.st_size < MLOG_SEG_HDR)
		errx(1, "%s: p%u/%s: short header", path, pn, name);
	for (pos = MLOG_SEG_HDR; pos < (size_t)st.st_size; pos += (size_t)n) {
		n = mlog_record_decode(buf + pos, (size_t)st.st_size - pos, &rec,
		    &need);
		if (n <= 0)
			errx(1, "%s: p%u/%s: byte %zu: not a valid record",
			    path, pn, name, pos);
		printf("%u %s %zu %zd %" PRIu64 "\n", pn, name, pos, n,
		    rec.offset);
	}
	free(buf);
}

int
main(int argc, char *argv[])
{
	struct mlog_log *log;
	uint64_t *bases;
	size_t n, i;
	uint32_t pn;

	if (argc != 2)
		errx(2, "usage: seg-map log");
	if ((log = mlog_log_open(argv[1], 0, NULL)) == NULL)
		errx(1, "%s: %s", argv[1], mlog_strerror(errno));
	for (pn = 0; pn < log->partitions; pn++) {
		if (mlog_log_segments(log->partfd[pn], &bases, &n) < 0)
			err(1, "%s: p%u", argv[1], pn);
		for (i = 0; i < n; i++)
			segment(argv[1], log->partfd[pn], pn, bases[i]);
		free(bases);
	}
	mlog_log_close(log);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return 0;
}

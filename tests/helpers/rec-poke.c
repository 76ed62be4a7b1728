/*
 * rec-poke: give the record at byte POS of segment FILE the timestamp TS
 * and a matching CRC, for tests of what no writer would store (mlog-append
 * refuses timestamps outside the years 0000 to 9999).
 */
#include <err.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mlog.h"

int
main(int argc, char *argv[])
{
	unsigned char *rec, hdr[4];
	uint32_t len, crc;
	int64_t ts;
	off_t pos;
	int fd, i;

	if (argc != 4) {
		fprintf(stderr, "usage: rec-poke file pos ts\n");
		return 2;
	}
	pos = (off_t)strtoll(argv[2], NULL, 10);
	ts = strtoll(argv[3], NULL, 10);
	if ((fd = open(argv[1], O_RDWR)) < 0)
		err(1, "%s", argv[1]);
	if (pread(fd, hdr, 4, pos) != 4)
		errx(1, "%s: no record at byte %s", argv[1], argv[2]);
	len = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 |
	    (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
	if (len < MLOG_REC_HDR - 4 || (rec = malloc((size_t)len + 4)) == NULL)
		errx(1, "%s: bad record at byte %s", argv[1], argv[2]);
	if (pread(fd, rec, (size_t)len + 4, pos) != (ssize_t)len + 4)
		errx(1, "%s: short record at byte %s", argv[1], argv[2]);
	for (i = 0; i < 8; i++)
		rec[16 + i] = (unsigned char)((uint64_t)ts >> (8 * i));
	crc = mlog_crc32c(0, rec + 16, (size_t)len + 4 - 16);
	for (i = 0; i < 4; i++)
		rec[12 + i] = (unsigned char)(crc >> (8 * i));
	if (pwrite(fd, rec, (size_t)len + 4, pos) != (ssize_t)len + 4)
		err(1, "%s", argv[1]);
	free(rec);
	return close(fd) == 0 ? 0 : 1;
}

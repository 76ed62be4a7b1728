/*
 * Buffered output to a file descriptor: large writes for throughput, an
 * explicit flush wherever a tool decides records must be seen now (the
 * input would block, the terminal wants each line).  Interrupted and short
 * writes are retried.
 */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

int
mlog_out_init(struct mlog_out *o, int fd, size_t cap)
{
	if ((o->buf = malloc(cap)) == NULL)
		return -1;
	o->fd = fd;
	o->len = 0;
	o->cap = cap;
	return 0;
}

int
mlog_out_flush(struct mlog_out *o)
{
	if (o->len == 0)
		return 0;
	if (write_all(o->fd, o->buf, o->len) < 0)
		return -1;
	o->len = 0;
	return 0;
}

int
mlog_out_write(struct mlog_out *o, const void *p, size_t len)
{
	if (len > o->cap - o->len) {
		if (mlog_out_flush(o) < 0)
			return -1;
		if (len >= o->cap)
			return write_all(o->fd, p, len);
	}
	memcpy(o->buf + o->len, p, len);
	o->len += len;
	return 0;
}

int
mlog_out_putc(struct mlog_out *o, int c)
{
	if (o->len == o->cap && mlog_out_flush(o) < 0)
		return -1;
	o->buf[o->len++] = (unsigned char)c;
	return 0;
}

void
mlog_out_free(struct mlog_out *o)
{
	free(o->buf);
	o->buf = NULL;
	o->len = o->cap = 0;
}

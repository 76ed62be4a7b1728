/*
 * Buffered output to a file descriptor: large writes for throughput, an
 * explicit flush wherever a tool decides records must be seen now (the
 * input would block, the terminal wants each line).  Interrupted and short
 * writes are retried.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
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

/* Formatted output of up to 1023 bytes (longer is cut there). */
int
mlog_out_vprintf(struct mlog_out *o, const char *fmt, va_list ap)
{
	char buf[1024];
	int n;

	if ((n = vsnprintf(buf, sizeof(buf), fmt, ap)) < 0)
		return -1;
	return mlog_out_write(o, buf, (size_t)n < sizeof(buf) ? (size_t)n :
	    sizeof(buf) - 1);
}

int
mlog_out_printf(struct mlog_out *o, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = mlog_out_vprintf(o, fmt, ap);
	va_end(ap);
	return r;
}

/* All of it, unbuffered: interrupted and short writes retried. */
int
mlog_write_all(int fd, const void *p, size_t n)
{
	return write_all(fd, p, n);
}

void
mlog_out_free(struct mlog_out *o)
{
	free(o->buf);
	o->buf = NULL;
	o->len = o->cap = 0;
}

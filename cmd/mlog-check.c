/*
 * mlog-check: verify a log (every record's CRC, the offsets, the segment
 * headers and indexes, the metadata and the groups' positions), one line
 * per problem, and with --repair mend what can be mended without dropping
 * records silently.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mlog.h"

static struct {
	const char	*path;
	int		 quiet;
	struct mlog_out	 out;
} C;

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: mlog-check [-hQqr] log\n");
	exit(2);
}

static _Noreturn void
help(void)
{
	printf(
"usage: mlog-check [-hQqr] log\n"
"\n"
"Check LOG: the CRC of every record, the offsets, the segment headers, the\n"
"timestamps, the indexes, the metadata and the consumer groups' positions.\n"
"One line per problem on standard output, then a summary; the exit status\n"
"is 1 when the log is damaged.\n"
"\n"
"  -Q, --quick              check only the end of each partition's last\n"
"                           segment, and the metadata (for cron jobs)\n"
"  -q, --quiet              print problems and repairs only, no notices and\n"
"                           no summary\n"
"  -r, --repair             cut damaged tails, rebuild indexes, move segments\n"
"                           damaged in the middle aside to LOG/damaged/\n"
"  -h, --help               show this help\n"
"\n"
"See mlog-check(1).\n");
	exit(0);
}

static void
cleanup(void)
{
	mlog_out_free(&C.out);
}

static void
putf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
putf(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = mlog_out_vprintf(&C.out, fmt, ap);
	va_end(ap);
	if (rc < 0)
		err(1, "stdout");
}

/* LOG: partition P: FILE: offsets A..B (byte N): [notice: |repair: ]WHAT */
static void
found(void *arg, const struct mlog_check_report *r)
{
	(void)arg;
	if (C.quiet && r->kind == MLOG_CHECK_NOTICE)
		return;
	putf("%s: ", C.path);
	if (r->partition >= 0)
		putf("partition %" PRId64 ": ", r->partition);
	if (r->file != NULL)
		putf("%s: ", r->file);
	if (r->offset != MLOG_CHECK_NONE) {
		if (r->offset_last != r->offset)
			putf("offsets %" PRIu64 "..%" PRIu64, r->offset,
			    r->offset_last);
		else
			putf("offset %" PRIu64, r->offset);
		if (r->pos != MLOG_CHECK_NONE)
			putf(" (byte %" PRIu64 ")", r->pos);
		putf(": ");
	} else if (r->pos != MLOG_CHECK_NONE)
		putf("byte %" PRIu64 ": ", r->pos);
	if (r->kind == MLOG_CHECK_NOTICE)
		putf("notice: ");
	else if (r->kind == MLOG_CHECK_REPAIRED)
		putf("repair: ");
	putf("%s\n", r->message);
}

static const char *
s(uint64_t n)
{
	return n == 1 ? "" : "s";
}

int
main(int argc, char *argv[])
{
	const char *why;
	static const struct option longopts[] = {
		{ "help",		no_argument,		NULL, 'h' },
		{ "quick",		no_argument,		NULL, 'Q' },
		{ "quiet",		no_argument,		NULL, 'q' },
		{ "repair",		no_argument,		NULL, 'r' },
		{ NULL,			0,			NULL, 0 }
	};
	struct mlog_check_stats st;
	char where[256];
	int c, flags = 0;

	while ((c = getopt_long(argc, argv, "hQqr", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			help();
		case 'Q':
			flags |= MLOG_CHECK_QUICK;
			break;
		case 'q':
			C.quiet = 1;
			break;
		case 'r':
			flags |= MLOG_CHECK_REPAIR;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage();
	C.path = argv[0];

	if (atexit(cleanup) != 0)
		err(1, "atexit");
	if (mlog_out_init(&C.out, STDOUT_FILENO, 64 * 1024) < 0)
		err(1, NULL);
	if ((why = mlog_log_exposure(C.path)) != NULL)
		warnx("%s: warning: log directory %s", C.path, why);
	if (mlog_log_check(C.path, flags, found, NULL, &st, where,
	    sizeof(where)) < 0) {
		c = errno;
		if (mlog_out_flush(&C.out) < 0)
			err(1, "stdout");
		errx(1, "%s: %s%s%s", C.path, where, where[0] ? ": " : "",
		    mlog_strerror(c));
	}
	if (!C.quiet) {
		putf("%s: %u partition%s, %" PRIu64 " segment%s, %" PRIu64
		    " record%s, %" PRIu64 " byte%s checked: %" PRIu64
		    " problem%s, %" PRIu64 " notice%s", C.path, st.partitions,
		    s(st.partitions), st.segments, s(st.segments), st.records,
		    s(st.records), st.bytes, s(st.bytes), st.damage,
		    s(st.damage), st.notices, s(st.notices));
		if (flags & MLOG_CHECK_REPAIR)
			putf(", %" PRIu64 " repair%s", st.repairs,
			    s(st.repairs));
		putf("\n");
	}
	if (mlog_out_flush(&C.out) < 0)
		err(1, "stdout");
	return st.damage > 0;
}

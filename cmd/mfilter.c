/*
 * mfilter: pass the JSON Lines records for which a jq-style expression is
 * true, byte for byte.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlog.h"
#include "expr.h"

#define MAXEXPR	64

static struct {
	struct mlog_expr	*e[MAXEXPR];
	char			*src[MAXEXPR];
	int			 ne;
	struct mlog_src		 src_in;
	struct mlog_bad		 bad;
	struct mlog_out		 out;
	int			 invert, count, quiet, stats, tty;
	uint64_t		 records, passed;
	int			 status;	/* 1 once a file could not be read */
} S;

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: mfilter [-chqv] [-e expr]... [-f file] "
	    "[-m size] [--bad=file] [--from=format]\n"
	    "               [--infer] [--stats] [--strict] [expr] "
	    "[file ...]\n");
	exit(2);
}

static _Noreturn void
help(void)
{
	printf(
"usage: mfilter [-chqv] [-e expr]... [-f file] [-m size] [--bad=file]\n"
"               [--from=format] [--infer] [--stats] [--strict] [expr] [file ...]\n"
"\n"
"Pass the records (lines) of the files, or of standard input, for which the\n"
"jq-style EXPR is true (some output is neither false nor null), byte for\n"
"byte.  The language is described in mstreams-expr(7).\n"
"\n"
"  -e, --expr=EXPR          an expression that must hold (repeatable; then\n"
"                           every operand is a file)\n"
"  -f, --from-file=FILE     read the expression from FILE\n"
"  -v, --invert-match       pass the records for which it is not true\n"
"  -c, --count              print only the number of passing records\n"
"  -q, --quiet              print nothing; exit 0 at the first passing\n"
"                           record, 1 when none passed\n"
"      --from=FORMAT        json (default), logfmt, text or regex:PATTERN\n"
"      --infer              numbers, booleans and null from non-JSON input\n"
"      --bad=FILE           append bad lines and records that raised errors\n"
"                           to FILE (default: drop and count them)\n"
"      --strict             stop at the first bad line or error (exit 1)\n"
"      --stats              print record counts on standard error at the end\n"
"  -m, --max-record=SIZE    longest accepted line (default 1M)\n"
"  -h, --help               show this help\n"
"\n"
"See mfilter(1).\n");
	exit(0);
}

static int
flush_out(void *arg)
{
	(void)arg;
	return mlog_out_flush(&S.out);
}

static void
compile(const char *text, int owned)
{
	struct mlog_expr_err e;
	char why[3][MLOG_EXPR_LINE];
	int i;

	if (S.ne == MAXEXPR)
		errx(2, "too many expressions (at most %d)", MAXEXPR);
	if ((S.e[S.ne] = mlog_expr_compile(text, NULL, 0, &e)) == NULL) {
		if (errno == ENOMEM)
			errx(1, "%s", e.msg);
		mlog_expr_explain(text, &e, why);
		for (i = 0; i < 3; i++)
			warnx("%s", why[i]);
		exit(2);
	}
	S.src[S.ne++] = owned ? (char *)(uintptr_t)text : NULL;
}

static _Noreturn void
finish(int status)
{
	char sum[1200];

	if (S.count && !S.quiet) {
		char n[32];
		int l = snprintf(n, sizeof(n), "%" PRIu64 "\n", S.passed);
		mlog_out_write(&S.out, n, (size_t)l);
	}
	if (mlog_out_flush(&S.out) < 0)
		err(1, "stdout");
	if (S.stats)
		fprintf(stderr, "mfilter: %" PRIu64 " records: %" PRIu64
		    " passed, %" PRIu64 " filtered out, %" PRIu64 " bad, %"
		    PRIu64 " errors\n", S.records, S.passed, S.records -
		    S.passed - S.bad.bad - S.bad.errors, S.bad.bad,
		    S.bad.errors);
	mlog_bad_summary(&S.bad, sum, sizeof(sum));
	if (sum[0] != '\0') {
		char *l, *save = NULL;
		for (l = strtok_r(sum, "\n", &save); l != NULL;
		    l = strtok_r(NULL, "\n", &save))
			warnx("%s", l);
	}
	if (S.quiet && status == 0 && S.passed == 0)
		status = 1;
	exit(status);
}

/* --strict, or the dead-letter file failed: what was written so far
 * stands, no count or summary follows. */
static _Noreturn void
stop(void)
{
	if (mlog_out_flush(&S.out) < 0)
		err(1, "stdout");
	warnx("%s", S.bad.stop);
	exit(1);
}

static void
run(const char *path)
{
	const unsigned char *line;
	const char *why;
	size_t len;
	int r, i, t, pass;

	if (mlog_src_open(&S.src_in, path) < 0) {
		/* as cat and jq: say so, go on with the next file */
		if (mlog_out_flush(&S.out) < 0)
			err(1, "stdout");
		warn("%s", path);
		S.status = 1;
		return;
	}
	while ((r = mlog_src_next(&S.src_in, &line, &len, &why)) > 0) {
		S.records++;
		if (r == 2) {
			if (mlog_bad_note(&S.bad, &S.src_in, 0, why, line,
			    len) < 0) {
				stop();
			}
			continue;
		}
		pass = 1;
		for (i = 0; i < S.ne && pass; i++) {
			if (mlog_expr_test(S.e[i], &S.src_in.doc, &t) < 0)
				break;
			pass = t;
		}
		if (i < S.ne && pass) {
			if (mlog_bad_note(&S.bad, &S.src_in, 1,
			    mlog_expr_error(S.e[i]), line, len) < 0) {
				stop();
			}
			continue;
		}
		if (pass == S.invert)
			continue;
		S.passed++;
		if (S.quiet) {
			mlog_src_close(&S.src_in);
			finish(0);
		}
		if (S.count)
			continue;
		if (mlog_out_write(&S.out, line, len) < 0 ||
		    mlog_out_putc(&S.out, '\n') < 0 ||
		    (S.tty && mlog_out_flush(&S.out) < 0))
			err(1, "stdout");
	}
	if (r < 0) {
		if (mlog_out_flush(&S.out) < 0)
			err(1, "stdout");
		err(1, "%s", path);
	}
	mlog_src_close(&S.src_in);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "expr",		required_argument,	NULL, 'e' },
		{ "from-file",		required_argument,	NULL, 'f' },
		{ "invert-match",	no_argument,		NULL, 'v' },
		{ "count",		no_argument,		NULL, 'c' },
		{ "quiet",		no_argument,		NULL, 'q' },
		{ "max-record",		required_argument,	NULL, 'm' },
		{ "help",		no_argument,		NULL, 'h' },
		{ "from",		required_argument,	NULL, 'F' },
		{ "infer",		no_argument,		NULL, 'I' },
		{ "bad",		required_argument,	NULL, 'B' },
		{ "strict",		no_argument,		NULL, 'S' },
		{ "stats",		no_argument,		NULL, 's' },
		{ NULL,			0,			NULL, 0 }
	};
	const char *exprs[MAXEXPR], *file = NULL;
	char msg[256];
	int r, lim, ch, nexpr = 0, i;

	S.src_in.maxrec = 1024 * 1024;
	S.bad.fd = -1;
	lim = mlog_expr_optlimit(argc, argv, "ce:f:hm:qv", longopts, NULL);
	while ((ch = getopt_long(lim, argv, "ce:f:hm:qv", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'e':
			if (nexpr == MAXEXPR)
				errx(2, "too many -e (at most %d)", MAXEXPR);
			exprs[nexpr++] = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'v':
			S.invert = 1;
			break;
		case 'c':
			S.count = 1;
			break;
		case 'q':
			S.quiet = 1;
			break;
		case 's':
			S.stats = 1;
			break;
		case 'h':
			help();
		default:
			if ((r = mlog_src_option(&S.src_in, &S.bad, ch, optarg, msg,
			    sizeof(msg))) < 0)
				warnx("%s", msg);
			if (r <= 0)
				usage();
		}
	}
	argc -= optind;
	argv += optind;
	for (i = 0; i < nexpr; i++)
		compile(exprs[i], 0);
	if (file != NULL) {
		char *text = mlog_expr_read(file);
		if (text == NULL)
			err(2, "%s", file);
		compile(text, 1);
	}
	if (S.ne == 0) {
		if (argc == 0)
			usage();
		compile(argv[0], 0);
		argc--;
		argv++;
	}
	if (S.bad.path != NULL && (S.bad.fd = open(S.bad.path, O_WRONLY |
	    O_CREAT | O_APPEND | O_CLOEXEC, 0666)) < 0)
		err(1, "%s", S.bad.path);
	if (mlog_out_init(&S.out, 1, 64 * 1024) < 0)
		err(1, NULL);
	S.tty = isatty(1);
	S.src_in.flush = flush_out;
	if (argc == 0)
		run("-");
	for (i = 0; i < argc; i++)
		run(argv[i]);
	finish(S.status);
}

/*
 * mmap: turn each JSON Lines record into the outputs of a jq-style
 * expression, one compact JSON line each.
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

#define MAXVARS	64

static struct {
	struct mlog_expr	*e;
	char			*text;
	struct mlog_src		 in;
	struct mlog_bad		 bad;
	struct mlog_out		 out;
	int			 raw, join, stats, tty;
	uint64_t		 records, outputs;
	int			 status;	/* 1 once a file could not be read */
} S;

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: mmap [-chjr] [-f file] [-m size] [--arg name "
	    "value] [--argjson name json]\n"
	    "            [--bad=file] [--from=format] [--infer] [--stats] "
	    "[--strict]\n"
	    "            [expr] [file ...]\n");
	exit(2);
}

static _Noreturn void
help(void)
{
	printf(
"usage: mmap [-chjr] [-f file] [-m size] [--arg name value] [--argjson name json]\n"
"            [--bad=file] [--from=format] [--infer] [--stats] [--strict]\n"
"            [expr] [file ...]\n"
"\n"
"Write each output of the jq-style EXPR for each record (line) of the files,\n"
"or of standard input, as one compact JSON line.  The language is described\n"
"in mstreams-expr(7).\n"
"\n"
"  -c, --compact-output     accepted for jq's sake: output is always compact\n"
"  -r, --raw-output         write strings without quotes and escapes\n"
"  -j, --join-output        like -r, and no newline after each output\n"
"  -f, --from-file=FILE     read the expression from FILE (then every\n"
"                           operand is a file)\n"
"      --arg NAME VALUE     $NAME is the string VALUE\n"
"      --argjson NAME JSON  $NAME is the JSON value\n"
"      --from=FORMAT        json (default), logfmt, text or regex:PATTERN\n"
"      --infer              numbers, booleans and null from non-JSON input\n"
"      --bad=FILE           append bad lines and records that raised errors\n"
"                           to FILE (default: drop and count them)\n"
"      --strict             stop at the first bad line or error (exit 1)\n"
"      --stats              print record counts on standard error at the end\n"
"  -m, --max-record=SIZE    longest accepted line (default 1M)\n"
"  -h, --help               show this help\n"
"\n"
"See mmap(1).\n");
	exit(0);
}

static int
flush_out(void *arg)
{
	(void)arg;
	return mlog_out_flush(&S.out);
}

static int
emit(void *arg, const unsigned char *p, size_t n)
{
	(void)arg;
	S.outputs++;
	if (mlog_out_write(&S.out, p, n) < 0 ||
	    (!S.join && mlog_out_putc(&S.out, '\n') < 0) ||
	    (S.tty && mlog_out_flush(&S.out) < 0))
		return -1;
	return 0;
}

static _Noreturn void
finish(int status)
{
	char sum[1200], *l, *save = NULL;

	if (mlog_out_flush(&S.out) < 0)
		err(1, "stdout");
	if (S.stats)
		fprintf(stderr, "mmap: %" PRIu64 " records: %" PRIu64
		    " outputs, %" PRIu64 " bad, %" PRIu64 " errors\n",
		    S.records, S.outputs, S.bad.bad, S.bad.errors);
	mlog_bad_summary(&S.bad, sum, sizeof(sum));
	for (l = strtok_r(sum, "\n", &save); l != NULL;
	    l = strtok_r(NULL, "\n", &save))
		warnx("%s", l);
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
	int r, e;

	if (mlog_src_open(&S.in, path) < 0) {
		/* as cat and jq: say so, go on with the next file */
		if (mlog_out_flush(&S.out) < 0)
			err(1, "stdout");
		warn("%s", path);
		S.status = 1;
		return;
	}
	while ((r = mlog_src_next(&S.in, &line, &len, &why)) > 0) {
		S.records++;
		if (r == 2) {
			if (mlog_bad_note(&S.bad, &S.in, 0, why, line, len) <
			    0) {
				stop();
			}
			continue;
		}
		if ((e = mlog_expr_run(S.e, &S.in.doc, S.raw, emit, NULL)) ==
		    -1)
			err(1, "stdout");
		if (e == -2 && mlog_bad_note(&S.bad, &S.in, 1,
		    mlog_expr_error(S.e), line, len) < 0) {
			stop();
		}
	}
	if (r < 0) {
		if (mlog_out_flush(&S.out) < 0)
			err(1, "stdout");
		err(1, "%s", path);
	}
	mlog_src_close(&S.in);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "compact-output",	no_argument,		NULL, 'c' },
		{ "raw-output",		no_argument,		NULL, 'r' },
		{ "join-output",	no_argument,		NULL, 'j' },
		{ "from-file",		required_argument,	NULL, 'f' },
		{ "max-record",		required_argument,	NULL, 'm' },
		{ "help",		no_argument,		NULL, 'h' },
		{ "arg",		required_argument,	NULL, 'A' },
		{ "argjson",		required_argument,	NULL, 'J' },
		{ "from",		required_argument,	NULL, 'F' },
		{ "infer",		no_argument,		NULL, 'I' },
		{ "bad",		required_argument,	NULL, 'B' },
		{ "strict",		no_argument,		NULL, 'S' },
		{ "stats",		no_argument,		NULL, 's' },
		{ NULL,			0,			NULL, 0 }
	};
	static const char *const twovals[] = { "arg", "argjson", NULL };
	struct mlog_expr_var vars[MAXVARS];
	struct mlog_expr_err e;
	const char *file = NULL, *text;
	char msg[256], why[3][MLOG_EXPR_LINE];
	size_t nvars = 0;
	int r, lim, ch, i;

	S.in.maxrec = 1024 * 1024;
	S.bad.fd = -1;
	lim = mlog_expr_optlimit(argc, argv, "cf:hjm:r", longopts, twovals);
	while ((ch = getopt_long(lim, argv, "cf:hjm:r", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			break;		/* compact output is the default, as jq -c */
		case 'r':
			S.raw = 1;
			break;
		case 'j':
			S.raw = S.join = 1;
			break;
		case 'f':
			file = optarg;
			break;
		case 'A':
		case 'J':
			if (optind >= lim) {
				warnx("--%s: needs a name and a value",
				    ch == 'A' ? "arg" : "argjson");
				usage();
			}
			if (nvars == MAXVARS)
				errx(2, "too many variables (at most %d)",
				    MAXVARS);
			vars[nvars].name = optarg;
			vars[nvars].value = argv[optind++];
			vars[nvars].raw = ch == 'A';
			nvars++;
			break;
		case 's':
			S.stats = 1;
			break;
		case 'h':
			help();
		default:
			if ((r = mlog_src_option(&S.in, &S.bad, ch, optarg, msg,
			    sizeof(msg))) < 0)
				warnx("%s", msg);
			if (r <= 0)
				usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (file != NULL) {
		if ((S.text = mlog_expr_read(file)) == NULL)
			err(2, "%s", file);
		text = S.text;
	} else {
		if (argc == 0)
			usage();
		text = argv[0];
		argc--;
		argv++;
	}
	if ((S.e = mlog_expr_compile(text, vars, nvars, &e)) == NULL) {
		if (errno == ENOMEM)
			errx(1, "%s", e.msg);
		if (e.line == 0)
			errx(2, "%s", e.msg);
		mlog_expr_explain(text, &e, why);
		for (i = 0; i < 3; i++)
			warnx("%s", why[i]);
		exit(2);
	}
	if (S.bad.path != NULL && (S.bad.fd = open(S.bad.path, O_WRONLY |
	    O_CREAT | O_APPEND | O_CLOEXEC, 0666)) < 0)
		err(1, "%s", S.bad.path);
	if (mlog_out_init(&S.out, 1, 64 * 1024) < 0)
		err(1, NULL);
	S.tty = isatty(1);
	S.in.flush = flush_out;
	if (argc == 0)
		run("-");
	for (i = 0; i < argc; i++)
		run(argv[i]);
	finish(S.status);
}

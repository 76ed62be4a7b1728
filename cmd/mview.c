/*
 * mview: a materialized view of a log, key -> value in a SQLite database
 * that knows the log offsets it is valid at; built, caught up, followed,
 * and read (get, with read-your-writes; dump; status).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlog.h"
#include "expr.h"
#include "view.h"

#define BATCH_RECORDS	65536		/* records per transaction, at most */
#define BATCH_BYTES	(32u << 20)	/* batch memory before a commit */
#define DEF_TIMEOUT	10000000	/* get --min-offset: 10s */

enum { R_LATEST = -1 };	/* else MLOG_VIEW_COUNT ... MLOG_VIEW_MAX */

struct part {
	struct mlog_reader	*r;
	struct mlog_record	 rec;
	int			 have;	/* rec holds the next record */
	uint64_t		 next;	/* next offset to apply */
	int			 moved;	/* next changed since the commit */
};

/* Records that did not change the view, by why. */
struct tally {
	uint64_t	n;
	char		first[512];
};

static struct {
	const char		*db, *logpath;
	struct mlog_view	*v;
	struct mlog_log		*log;
	struct part		*parts;
	uint32_t		 nparts;
	struct mlog_expr	*kx, *vx, *nx;
	const char		*ksrc, *vsrc, *nsrc;
	int			 reduce, strict;
	const char		*badpath;	/* --bad=FILE */
	int			 badfd;
	struct mlog_jdoc	 doc;
	unsigned char		*val;	/* the value's first output */
	size_t			 vlen, vcap;
	int			 gotval;
	struct tally		 bad, errors, skipped;
	uint64_t		 batch;
	volatile sig_atomic_t	 sig;
	sigset_t		 sigs;
	struct mlog_out		 out;
} M;

static const char synopsis[] =
"usage: mview build [-f] [--bad=file] [--rebuild] [--strict] -k expr\n"
"                   [-r reduce] [-v expr] db log\n"
"       mview get [-o partition:offset] [-t duration] db key\n"
"       mview dump db\n"
"       mview status [-J] db\n";

static _Noreturn void
usage(void)
{
	fputs(synopsis, stderr);
	exit(2);
}

static _Noreturn void
help(const char *cmd)
{
	fputs(synopsis, stdout);
	if (cmd == NULL || strcmp(cmd, "build") == 0)
		printf(
"\n"
"build: keep DB, a SQLite database of key -> value, up to date with LOG.\n"
"  -k, --key=EXPR           the key of each record (null or none: skipped)\n"
"  -v, --value=EXPR         the value kept (--reduce latest; default .)\n"
"  -r, --reduce=HOW         latest (default: the last value wins, null\n"
"                           deletes the key), count, sum:EXPR, min:EXPR,\n"
"                           max:EXPR\n"
"  -f, --follow             keep following LOG (inotify)\n"
"      --rebuild            start again from the log start, with this\n"
"                           definition\n"
"      --bad=FILE           append bad records (invalid JSON, expression\n"
"                           errors) to FILE, one per line\n"
"      --strict             stop at the first bad record (exit 1)\n");
	if (cmd == NULL || strcmp(cmd, "get") == 0)
		printf(
"\n"
"get: print the value of KEY (JSON if it parses as JSON, else a string).\n"
"  -o, --min-offset=P:N     first wait until the view has applied offset N\n"
"                           of partition P\n"
"  -t, --timeout=DUR        how long to wait (default 10s)\n");
	if (cmd == NULL || strcmp(cmd, "dump") == 0)
		printf(
"\n"
"dump: every row as {\"key\":K,\"value\":V}, in key order.\n");
	if (cmd == NULL || strcmp(cmd, "status") == 0)
		printf(
"\n"
"status: the log, the definition, the offsets applied, the lag, the rows.\n"
"  -J, --json               one JSON object\n");
	printf(
"\n"
"  -h, --help               show this help\n"
"\n"
"See mview(1).\n");
	exit(0);
}

static _Noreturn void
out_fail(void)
{
	err(1, "stdout");
}

static void
put(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
put(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = mlog_out_vprintf(&M.out, fmt, ap);
	va_end(ap);
	if (r < 0)
		out_fail();
}

static void
put_bytes(const void *p, size_t n)
{
	if (mlog_out_write(&M.out, p, n) < 0)
		out_fail();
}

static void
put_jstring(const char *s)
{
	if (mlog_json_put_string(&M.out, (const unsigned char *)s,
	    strlen(s)) < 0)
		out_fail();
}

static void
finish_out(void)
{
	if (mlog_out_flush(&M.out) < 0)
		out_fail();
}

static struct mlog_view *
open_view(const char *path, int flags)
{
	struct mlog_view *v;

	if ((v = mlog_view_open(path, flags)) == NULL)
		errx(1, "%s: %s", path, mlog_view_error(NULL));
	return v;
}

static struct mlog_expr *
compile(const char *opt, const char *src)
{
	struct mlog_expr_err e;
	struct mlog_expr *x;
	char why[3][MLOG_EXPR_LINE];

	if ((x = mlog_expr_compile(src, NULL, 0, &e)) == NULL) {
		if (errno == ENOMEM)
			errx(1, "%s", e.msg);
		mlog_expr_explain(src, &e, why);
		warnx("%s %s: %s", opt, src, why[0]);
		warnx("%s", why[1]);
		warnx("%s", why[2]);
		exit(2);
	}
	return x;
}

/* ---- build ---- */

static void
on_signal(int sig)
{
	M.sig = sig;
}

static void
commit(void)
{
	uint32_t i;

	for (i = 0; i < M.nparts; i++)
		if (M.parts[i].moved) {
			if (mlog_view_position(M.v, i, M.parts[i].next) < 0)
				errx(1, "%s: %s", M.db, mlog_view_error(M.v));
			M.parts[i].moved = 0;
		}
	if (mlog_view_commit(M.v) < 0)
		errx(1, "%s: commit: %s", M.db, mlog_view_error(M.v));
	M.batch = 0;
}

static void
summary(void)
{
	if (M.bad.n > 0)
		warnx("%" PRIu64 " bad record%s %s%s; first at %s", M.bad.n,
		    M.bad.n == 1 ? "" : "s", M.badpath != NULL ?
		    "written to " : "dropped", M.badpath != NULL ? M.badpath :
		    "", M.bad.first);
	if (M.errors.n > 0)
		warnx("%" PRIu64 " %s%s%s; first at %s", M.errors.n,
		    M.errors.n == 1 ? "record raised an error" :
		    "records raised errors", M.badpath != NULL ?
		    ", written to " : "", M.badpath != NULL ? M.badpath : "",
		    M.errors.first);
	if (M.skipped.n > 0)
		warnx("%" PRIu64 " record%s skipped; first at %s", M.skipped.n,
		    M.skipped.n == 1 ? "" : "s", M.skipped.first);
}

/*
 * A record that does not change the view.  Bad ones (invalid JSON, an
 * expression error) stop a --strict run, after the records before them
 * are committed: a rerun stops at the same record.
 */
static int
note(struct tally *t, int bad, const struct mlog_record *r,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
note(struct tally *t, int bad, const struct mlog_record *r,
    const char *fmt, ...)
{
	char why[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (bad && M.strict) {
		commit();
		errx(1, "%s: record %u:%" PRIu64 ": %s", M.logpath,
		    r->partition, r->offset, why);
	}
	if (bad && M.badfd >= 0 && (mlog_write_all(M.badfd, r->value,
	    r->valuelen) < 0 || mlog_write_all(M.badfd, "\n", 1) < 0)) {
		/* what came before is kept: a rerun starts at this record */
		commit();
		err(1, "%s", M.badpath);
	}
	if (t->n++ == 0)
		snprintf(t->first, sizeof(t->first), "record %u:%" PRIu64
		    ": %s", r->partition, r->offset, why);
	return 0;
}

/* The first output of the value expression, kept. */
static int
take_value(void *arg, const unsigned char *p, size_t n)
{
	unsigned char *b;
	size_t cap;

	(void)arg;
	if (n > M.vcap) {
		cap = M.vcap ? M.vcap : 4096;
		while (cap < n)
			cap *= 2;
		if ((b = realloc(M.val, cap)) == NULL)
			err(1, NULL);
		M.val = b;
		M.vcap = cap;
	}
	memcpy(M.val, p, n);
	M.vlen = n;
	M.gotval = 1;
	return -1;	/* one is enough */
}

static void
apply(const struct mlog_record *r)
{
	struct mlog_value k, x;
	const unsigned char *text = r->value;
	const char *why;
	size_t n = r->valuelen, col;
	int rc;

	if (r->null_value) {
		text = (const unsigned char *)"null";
		n = 4;
	}
	if (mlog_json_scan(&M.doc, text, n, &why, &col) < 0) {
		note(&M.bad, 1, r, "invalid JSON at column %zu: %s", col, why);
		return;
	}
	if (mlog_expr_value(M.kx, &M.doc, 1, &k) < 0) {
		note(&M.errors, 1, r, "%s: %s", M.ksrc,
		    mlog_expr_error(M.kx));
		return;
	}
	if (k.type == MLOG_V_NONE || k.type == MLOG_V_NULL) {
		note(&M.skipped, 0, r, "no key (%s is %s)", M.ksrc,
		    k.type == MLOG_V_NONE ? "empty" : "null");
		return;
	}
	switch (M.reduce) {
	case R_LATEST:
		M.gotval = 0;
		rc = mlog_expr_run(M.vx, &M.doc, 0, take_value, NULL);
		if (rc == -2) {
			note(&M.errors, 1, r, "%s: %s", M.vsrc,
			    mlog_expr_error(M.vx));
			return;
		}
		if (!M.gotval) {
			note(&M.skipped, 0, r, "no value (%s is empty)",
			    M.vsrc);
			return;
		}
		rc = M.vlen == 4 && memcmp(M.val, "null", 4) == 0 ?
		    mlog_view_put(M.v, k.json, k.jn, NULL, 0) :
		    mlog_view_put(M.v, k.json, k.jn, M.val, M.vlen);
		break;
	case MLOG_VIEW_COUNT:
		rc = mlog_view_num(M.v, MLOG_VIEW_COUNT, k.json, k.jn, 1);
		break;
	default:
		/* k points into the key program's memory: another program
		 * runs here */
		if (mlog_expr_value(M.nx, &M.doc, 0, &x) < 0) {
			note(&M.errors, 1, r, "%s: %s", M.nsrc,
			    mlog_expr_error(M.nx));
			return;
		}
		if (x.type == MLOG_V_NONE || x.type == MLOG_V_NULL) {
			note(&M.skipped, 0, r, "no value (%s is %s)", M.nsrc,
			    x.type == MLOG_V_NONE ? "empty" : "null");
			return;
		}
		if (x.type != MLOG_V_NUM) {
			note(&M.errors, 1, r, "%s: %s is not a number", M.nsrc,
			    mlog_expr_describe(M.nx));
			return;
		}
		rc = mlog_view_num(M.v, M.reduce, k.json, k.jn, x.num);
		break;
	}
	if (rc < 0)
		errx(1, "%s: %s", M.db, mlog_view_error(M.v));
}

/* The partition whose next record is the oldest, as mlog-tail merges. */
static struct part *
next_record(void)
{
	struct part *p, *best = NULL;
	uint32_t i;
	int rc;

	for (i = 0; i < M.nparts; i++) {
		p = &M.parts[i];
		if (!p->have) {
			if ((rc = mlog_reader_next(p->r, &p->rec)) < 0)
				errx(1, "%s: partition %u: %s", M.logpath, i,
				    mlog_strerror(errno));
			p->have = rc;
		}
		if (p->have && (best == NULL ||
		    p->rec.timestamp < best->rec.timestamp))
			best = p;
	}
	return best;
}

/* Wait for the log to change or a signal; 1 when a signal came. */
static int
wait_log(struct mlog_watch *w)
{
	struct pollfd pfd = { .fd = mlog_watch_fd(w), .events = POLLIN };
	sigset_t old;
	int r;

	sigprocmask(SIG_BLOCK, &M.sigs, &old);
	r = M.sig ? 0 : ppoll(&pfd, 1, NULL, &old);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (M.sig)
		return 1;
	if (r < 0 && errno != EINTR)
		err(1, "poll");
	if (mlog_watch_drain(w) < 0)
		err(1, "%s: inotify", M.logpath);
	return 0;
}

/* Does the stored definition match?  Else say what differs. */
static void
check_definition(const char *const *names, const char *const *vals,
    size_t n, int rebuild)
{
	static const char *labels[] = { "log", "--key", "--value",
	    "--reduce" };
	char was[2048], now[2048], *old;
	size_t i, wl = 0, nl = 0;
	int rc, fresh = 1, differ = 0;

	was[0] = now[0] = '\0';
	for (i = 0; i < n; i++) {
		if ((rc = mlog_view_meta(M.v, names[i], &old)) < 0)
			errx(1, "%s: %s", M.db, mlog_view_error(M.v));
		if (rc == 0)
			continue;
		fresh = 0;
		if (strcmp(old, vals[i]) != 0) {
			/* an empty value: --value has no meaning there */
			differ = 1;
			if (old[0] != '\0')
				wl += (size_t)snprintf(was + wl, sizeof(was) -
				    wl, "%s%s %s", wl ? " " : "", labels[i],
				    old);
			if (wl >= sizeof(was))
				wl = sizeof(was) - 1;
			if (vals[i][0] != '\0')
				nl += (size_t)snprintf(now + nl, sizeof(now) -
				    nl, "%s%s %s", nl ? " " : "", labels[i],
				    vals[i]);
			if (nl >= sizeof(now))
				nl = sizeof(now) - 1;
		}
		free(old);
	}
	if (!fresh && differ && !rebuild)
		errx(1, "%s: the view was built with %s, not %s; use --rebuild "
		    "to rebuild it from the log start", M.db, was, now);
	if (fresh || rebuild) {
		if (mlog_view_define(M.v, names, vals, n) < 0)
			errx(1, "%s: %s", M.db, mlog_view_error(M.v));
	}
}

/* Records gone before they were read: said, not fatal. */
static int
deleted(void *arg, uint32_t part, uint64_t from, uint64_t to, int retained)
{
	warnx("%s: partition %u: offsets %" PRIu64 " to %" PRIu64 " %s "
	    "before they were read (%" PRIu64 " record%s)", (const char *)arg,
	    part, from, to - 1, retained ? "were deleted by retention" :
	    "went missing from the log", to - from,
	    to - from == 1 ? "" : "s");
	return 0;
}

/* Where each partition starts: the stored next offset, checked against
 * the log. */
static void
position_readers(void)
{
	int64_t *next;
	uint64_t start, end;
	uint32_t n, i;

	if (mlog_view_positions(M.v, &next, &n) < 0)
		errx(1, "%s: %s", M.db, mlog_view_error(M.v));
	if (n > M.nparts)
		errx(1, "%s: the view has offsets of partition %u but the log "
		    "has %u partition%s; was the log replaced? use --rebuild",
		    M.db, n - 1, M.nparts, M.nparts == 1 ? "" : "s");
	for (i = 0; i < M.nparts; i++) {
		struct part *p = &M.parts[i];
		if ((p->r = mlog_reader_open(M.log->partfd[i], i)) == NULL)
			err(1, NULL);
		if (mlog_reader_bounds(p->r, &start, &end) < 0)
			errx(1, "%s: partition %u: %s", M.logpath, i,
			    mlog_strerror(errno));
		p->next = i < n && next[i] >= 0 ? (uint64_t)next[i] : 0;
		if (p->next > end)
			errx(1, "%s: partition %u: the view's next offset %"
			    PRIu64 " is past the log end %" PRIu64 "; was the "
			    "log replaced? use --rebuild", M.db, i, p->next,
			    end);
		if (p->next < start) {
			warnx("%s: partition %u: the view's next offset %"
			    PRIu64 " is before the log start %" PRIu64 "; %"
			    PRIu64 " records were missed", M.logpath, i,
			    p->next, start, start - p->next);
			p->next = start;
			p->moved = 1;
		}
		mlog_reader_on_gap(p->r, deleted, (void *)M.logpath);
		if (mlog_reader_seek_offset(p->r, p->next) < 0)
			errx(1, "%s: partition %u: %s", M.logpath, i,
			    mlog_strerror(errno));
	}
	free(next);
}

static const char *
reduce_name(int how)
{
	switch (how) {
	case MLOG_VIEW_COUNT:
		return "count";
	case MLOG_VIEW_SUM:
		return "sum";
	case MLOG_VIEW_MIN:
		return "min";
	case MLOG_VIEW_MAX:
		return "max";
	}
	return "latest";
}

static int
parse_reduce(const char *s, const char **arg)
{
	static const int kinds[] = { MLOG_VIEW_SUM, MLOG_VIEW_MIN,
	    MLOG_VIEW_MAX };
	size_t i, n;

	*arg = NULL;
	if (strcmp(s, "latest") == 0)
		return R_LATEST;
	if (strcmp(s, "count") == 0)
		return MLOG_VIEW_COUNT;
	for (i = 0; i < 3; i++) {
		n = strlen(reduce_name(kinds[i]));
		if (strncmp(s, reduce_name(kinds[i]), n) == 0 && s[n] == ':' &&
		    s[n + 1] != '\0') {
			*arg = s + n + 1;
			return kinds[i];
		}
	}
	warnx("--reduce: expected latest, count, sum:EXPR, min:EXPR or "
	    "max:EXPR: %s", s);
	usage();
}

static int
build(int argc, char *argv[])
{
	const char *why;
	static const struct option longopts[] = {
		{ "follow",	no_argument,		NULL, 'f' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "key",	required_argument,	NULL, 'k' },
		{ "rebuild",	no_argument,		NULL, 'R' },
		{ "reduce",	required_argument,	NULL, 'r' },
		{ "strict",	no_argument,		NULL, 'S' },
		{ "bad",	required_argument,	NULL, 'B' },
		{ "value",	required_argument,	NULL, 'v' },
		{ NULL,		0,			NULL, 0 }
	};
	const char *names[] = { "log", "key", "value", "reduce" };
	const char *vals[4], *reduce = "latest";
	char real[PATH_MAX];
	struct mlog_watch *watch = NULL;
	struct sigaction sa;
	struct part *p;
	int c, follow = 0, rebuild = 0;

	M.reduce = R_LATEST;
	while ((c = getopt_long(argc, argv, "fhk:r:v:", longopts, NULL)) !=
	    -1) {
		switch (c) {
		case 'f':
			follow = 1;
			break;
		case 'h':
			help("build");
		case 'k':
			M.ksrc = optarg;
			break;
		case 'R':
			rebuild = 1;
			break;
		case 'r':
			reduce = optarg;
			M.reduce = parse_reduce(optarg, &M.nsrc);
			break;
		case 'S':
			M.strict = 1;
			break;
		case 'B':
			M.badpath = optarg;
			break;
		case 'v':
			M.vsrc = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		usage();
	if (M.ksrc == NULL) {
		warnx("build needs --key EXPR");
		usage();
	}
	if (M.vsrc != NULL && M.reduce != R_LATEST) {
		warnx("--value goes with --reduce latest; --reduce %s folds "
		    "its own expression", reduce_name(M.reduce));
		usage();
	}
	if (M.vsrc == NULL && M.reduce == R_LATEST)
		M.vsrc = ".";
	M.badfd = -1;
	if (M.badpath != NULL && (M.badfd = open(M.badpath, O_WRONLY |
	    O_CREAT | O_APPEND | O_CLOEXEC, 0666)) < 0)
		err(1, "%s", M.badpath);
	M.kx = compile("--key", M.ksrc);
	if (M.vsrc != NULL)
		M.vx = compile("--value", M.vsrc);
	if (M.nsrc != NULL)
		M.nx = compile("--reduce", M.nsrc);
	M.db = argv[0];
	M.logpath = argv[1];

	if ((M.log = mlog_log_open(M.logpath, 0, NULL)) == NULL)
		errx(1, "%s: %s", M.logpath, mlog_strerror(errno));
	if ((why = mlog_log_exposure(M.logpath)) != NULL)
		warnx("%s: warning: log directory %s", M.logpath, why);
	if (realpath(M.logpath, real) == NULL)
		err(1, "%s", M.logpath);
	M.v = open_view(M.db, MLOG_VIEW_WRITE);
	vals[0] = real;
	vals[1] = M.ksrc;
	vals[2] = M.vsrc != NULL ? M.vsrc : "";
	vals[3] = reduce;
	check_definition(names, vals, 4, rebuild);

	M.nparts = M.log->partitions;
	if ((M.parts = calloc(M.nparts, sizeof(*M.parts))) == NULL)
		err(1, NULL);
	/* watched before the first read: no append falls between */
	if (follow && (watch = mlog_watch_open(M.log)) == NULL)
		err(1, "%s: inotify", M.logpath);
	position_readers();

	sigemptyset(&M.sigs);
	sigaddset(&M.sigs, SIGINT);
	sigaddset(&M.sigs, SIGTERM);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	while (!M.sig) {
		if ((p = next_record()) == NULL) {
			/* caught up: what is applied becomes visible */
			commit();
			if (!follow || wait_log(watch))
				break;
			continue;
		}
		p->have = 0;
		apply(&p->rec);
		p->next = p->rec.offset + 1;
		p->moved = 1;
		if (++M.batch >= BATCH_RECORDS ||
		    mlog_view_pending(M.v) >= BATCH_BYTES)
			commit();
	}
	commit();
	summary();
	mlog_watch_close(watch);
	mlog_view_close(M.v);
	for (uint32_t i = 0; i < M.nparts; i++)
		mlog_reader_close(M.parts[i].r);
	free(M.parts);
	mlog_log_close(M.log);
	mlog_expr_free(M.kx);
	mlog_expr_free(M.vx);
	mlog_expr_free(M.nx);
	mlog_jdoc_free(&M.doc);
	free(M.val);
	return 0;
}

/* ---- reading ---- */

/* KEY as the canonical JSON text the view keys by: a JSON text as it is,
 * anything else as a string; malloc'd. */
static char *
canonical_key(const char *arg, size_t *len)
{
	struct mlog_jdoc doc;
	struct mlog_expr_var var = { "k", arg, 1 };
	struct mlog_expr_err e;
	struct mlog_expr *x;
	struct mlog_value v;
	const char *why;
	char *key;
	size_t col;

	memset(&doc, 0, sizeof(doc));
	if (mlog_json_scan(&doc, (const unsigned char *)arg, strlen(arg),
	    &why, &col) == 0)
		var.raw = 0;
	if ((x = mlog_expr_compile("$k", &var, 1, &e)) == NULL)
		errx(1, "%s: %s", arg, e.msg);
	if (mlog_json_scan(&doc, (const unsigned char *)"null", 4, &why,
	    &col) < 0 || mlog_expr_value(x, &doc, 1, &v) < 0)
		errx(1, "%s: %s", arg, mlog_expr_error(x));
	if ((key = strndup((const char *)v.json, v.jn)) == NULL)
		err(1, NULL);
	*len = v.jn;
	mlog_expr_free(x);
	mlog_jdoc_free(&doc);
	return key;
}

static int
get(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help",	no_argument,		NULL, 'h' },
		{ "min-offset",	required_argument,	NULL, 'o' },
		{ "timeout",	required_argument,	NULL, 't' },
		{ NULL,		0,			NULL, 0 }
	};
	const char *errstr, *tsrc = "10s";
	char *key, *val, *colon;
	size_t klen, vlen;
	int64_t timeout = DEF_TIMEOUT, part = -1, off = 0, at;
	int c, rc;

	while ((c = getopt_long(argc, argv, "ho:t:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			help("get");
		case 'o':
			colon = strchr(optarg, ':');
			if (colon != NULL) {
				*colon = '\0';
				part = strtonum(optarg, 0,
				    MLOG_PARTITIONS_MAX - 1, &errstr);
				if (errstr == NULL)
					off = strtonum(colon + 1, 0, INT64_MAX,
					    &errstr);
				*colon = ':';
			}
			if (colon == NULL || errstr != NULL) {
				warnx("--min-offset: expected PARTITION:OFFSET: "
				    "%s", optarg);
				usage();
			}
			break;
		case 't':
			if (mlog_duration_parse(optarg, &timeout) < 0) {
				warnx("--timeout: bad duration '%s' (a number "
				    "and a unit: 500ms, 10s, 5m, 2h, 7d)",
				    optarg);
				usage();
			}
			tsrc = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		usage();
	key = canonical_key(argv[1], &klen);
	M.v = open_view(argv[0], 0);
	if (part >= 0 && mlog_view_wait(M.v, (uint32_t)part, (uint64_t)off,
	    timeout, &at) < 0) {
		if (errno != ETIMEDOUT)
			errx(1, "%s: %s", argv[0], mlog_view_error(M.v));
		errx(1, "%s: timed out after %s waiting for offset %" PRId64
		    ":%" PRId64 "; the view's next offset in partition %"
		    PRId64 " is %" PRId64, argv[0], tsrc, part, off, part, at);
	}
	if ((rc = mlog_view_get(M.v, key, klen, &val, &vlen)) < 0)
		errx(1, "%s: %s", argv[0], mlog_view_error(M.v));
	if (rc == 0)
		errx(1, "%.*s: no such key", (int)klen, key);
	put_bytes(val, vlen);
	put_bytes("\n", 1);
	free(val);
	free(key);
	finish_out();
	mlog_view_close(M.v);
	return 0;
}

static int
dump_row(void *arg, const char *key, size_t klen, const char *val,
    size_t vlen)
{
	(void)arg;
	put_bytes("{\"key\":", 7);
	put_bytes(key, klen);
	put_bytes(",\"value\":", 9);
	put_bytes(val, vlen);
	put_bytes("}\n", 2);
	return 0;
}

static int
dump(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h')
			help("dump");
		usage();
	}
	if (argc - optind != 1)
		usage();
	M.v = open_view(argv[optind], 0);
	if (mlog_view_each(M.v, dump_row, NULL) < 0)
		errx(1, "%s: %s", argv[optind], mlog_view_error(M.v));
	finish_out();
	mlog_view_close(M.v);
	return 0;
}

static char *
meta(const char *name)
{
	char *s;
	int rc;

	if ((rc = mlog_view_meta(M.v, name, &s)) < 0)
		errx(1, "%s: %s", M.db, mlog_view_error(M.v));
	return rc ? s : NULL;
}

static int
status(int argc, char *argv[])
{
	const char *why;
	static const struct option longopts[] = {
		{ "help",	no_argument,		NULL, 'h' },
		{ "json",	no_argument,		NULL, 'J' },
		{ NULL,		0,			NULL, 0 }
	};
	static const char *fields[] = { "log", "key", "value", "reduce" };
	char *def[4];
	const char *logerr = NULL;
	struct mlog_stat st;
	struct mlog_log *log = NULL;
	int64_t *next;
	uint64_t rows, lag, total = 0;
	uint32_t n, i, parts;
	int c, json = 0, known = 0;
	size_t f;

	while ((c = getopt_long(argc, argv, "hJ", longopts, NULL)) != -1) {
		if (c == 'h')
			help("status");
		if (c != 'J')
			usage();
		json = 1;
	}
	if (argc - optind != 1)
		usage();
	M.db = argv[optind];
	M.v = open_view(M.db, 0);
	for (f = 0; f < 4; f++)
		def[f] = meta(fields[f]);
	if (mlog_view_positions(M.v, &next, &n) < 0 ||
	    mlog_view_rows(M.v, &rows) < 0)
		errx(1, "%s: %s", M.db, mlog_view_error(M.v));
	parts = n;
	if (def[0] == NULL)
		logerr = "no log: the view was never built";
	else if ((log = mlog_log_open(def[0], 0, NULL)) == NULL)
		logerr = mlog_strerror(errno);
	else {
		if (log->partitions > parts)
			parts = log->partitions;
		if ((why = mlog_log_exposure(def[0])) != NULL)
			warnx("%s: warning: log directory %s", def[0], why);
	}

	if (json) {
		put("{\"db\":");
		put_jstring(M.db);
		for (f = 0; f < 4; f++) {
			put(",\"%s\":", fields[f]);
			if (def[f] == NULL || (f == 2 && def[f][0] == '\0'))
				put("null");
			else
				put_jstring(def[f]);
		}
		put(",\"rows\":%" PRIu64 ",\"log_error\":", rows);
		if (logerr != NULL)
			put_jstring(logerr);
		else
			put("null");
		put(",\"partitions\":[");
	} else {
		put("db: %s\n", M.db);
		put("log: %s%s%s%s\n", def[0] != NULL ? def[0] : "-",
		    logerr != NULL ? " (" : "", logerr != NULL ? logerr : "",
		    logerr != NULL ? ")" : "");
		put("key: %s\n", def[1] != NULL ? def[1] : "-");
		if (def[2] != NULL && def[2][0] != '\0')
			put("value: %s\n", def[2]);
		put("reduce: %s\n", def[3] != NULL ? def[3] : "-");
		put("rows: %" PRIu64 "\n", rows);
		put("%-9s  %14s  %14s  %10s\n", "PARTITION", "NEXT-OFFSET",
		    "LOG-END-OFFSET", "LAG");
	}
	for (i = 0; i < parts; i++) {
		int64_t at = i < n && next[i] >= 0 ? next[i] : 0;
		known = log != NULL && i < log->partitions;
		if (known && mlog_stat_partition(log, i, &st) < 0)
			errx(1, "%s: partition %u: %s", def[0], i,
			    mlog_strerror(errno));
		lag = known ? mlog_stat_lag(&st, at) : 0;
		total += lag;
		if (json) {
			put("%s{\"partition\":%u,\"next_offset\":%" PRId64,
			    i ? "," : "", i, at);
			if (known)
				put(",\"end\":%" PRIu64 ",\"lag\":%" PRIu64 "}",
				    st.end, lag);
			else
				put(",\"end\":null,\"lag\":null}");
		} else if (known)
			put("%-9u  %14" PRId64 "  %14" PRIu64 "  %10" PRIu64
			    "\n", i, at, st.end, lag);
		else
			put("%-9u  %14" PRId64 "  %14s  %10s\n", i, at, "-",
			    "-");
	}
	if (json) {
		put("],\"lag\":");
		if (log != NULL)
			put("%" PRIu64 "}\n", total);
		else
			put("null}\n");
	}
	finish_out();
	for (f = 0; f < 4; f++)
		free(def[f]);
	free(next);
	mlog_log_close(log);
	mlog_view_close(M.v);
	return 0;
}

int
main(int argc, char *argv[])
{
	const char *cmd;

	if (mlog_out_init(&M.out, 1, 64 * 1024) < 0)
		err(1, NULL);
	if (argc < 2)
		usage();
	cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0)
		help(NULL);
	/* getopt names the program by argv[0] in its messages */
	argc--;
	argv++;
	argv[0] = (char *)getprogname();
	if (strcmp(cmd, "build") == 0)
		return build(argc, argv);
	if (strcmp(cmd, "get") == 0)
		return get(argc, argv);
	if (strcmp(cmd, "dump") == 0)
		return dump(argc, argv);
	if (strcmp(cmd, "status") == 0)
		return status(argc, argv);
	warnx("unknown command: %s", cmd);
	usage();
}

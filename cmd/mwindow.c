/*
 * mwindow: aggregate JSON records over event-time windows (tumbling,
 * hopping, session, trailing rows), as Flink and Kafka Streams define them.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mlog.h"
#include "expr.h"
#include "window.h"

#define MAXEXPR		256
#define MAXTIME		300000000000000000LL	/* past 9999-12-31, in us */

struct xp {				/* one distinct expression */
	char			*src;
	struct mlog_expr	*e;
	int			 canon;
};

static struct {
	struct mlog_wconf	 c;
	struct mlog_win		*w;
	struct xp		 x[MAXEXPR];
	struct mlog_tcache	 tcache[MAXEXPR];
	size_t			 nx;
	int			 tx, skew[3];	/* time expressions, or -1 */
	int			*keyx;		/* --by expressions */
	char			**aggspec;
	struct mlog_value	*keys;
	struct mlog_value	*vals;		/* by expression, + none */
	int			 unit, form, formset;
	int			 processing;
	int64_t			 idle;
	struct mlog_src		 in;
	struct mlog_bad		 bad;
	struct mlog_out		 out;
	const char		*latepath;
	int			 latefd;
	uint64_t		 records, rows, late;
	char			 firstlate[300];
	int			 stats, tty, status;
	int64_t			 lastwall, lastst;	/* when input stalled */
	int			 fresh;		/* records since */
	volatile sig_atomic_t	 sig;
	sigset_t		 sigs;
} S;

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: mwindow --tumbling size | --hopping size "
	    "--every advance | --session gap |\n"
	    "               --rows n [-a agg[,agg]...]... [--by expr[,expr]...]\n"
	    "               [--time expr | --processing-time | --skew "
	    "occurred,sent,received]\n"
	    "               [--time-unit unit] [--time-format format] "
	    "[--align offset]\n"
	    "               [--grace duration] [--late=file] [--emit "
	    "close | update]\n"
	    "               [--idle duration] [--max-groups n] "
	    "[--max-groups-evict] [--exact]\n"
	    "               [-m size] [--bad=file] [--from=format] "
	    "[--infer] [--stats]\n"
	    "               [--strict] [file ...]\n");
	exit(2);
}

static _Noreturn void
help(void)
{
	printf(
"usage: mwindow --tumbling size | --hopping size --every advance | --session gap |\n"
"               --rows n [-a agg[,agg]...]... [--by expr[,expr]...]\n"
"               [--time expr | --processing-time | --skew occurred,sent,received]\n"
"               [--time-unit unit] [--time-format format] [--align offset]\n"
"               [--grace duration] [--late=file] [--emit close | update]\n"
"               [--idle duration] [--max-groups n] [--max-groups-evict] [--exact]\n"
"               [-m size] [--bad=file] [--from=format] [--infer] [--stats]\n"
"               [--strict] [file ...]\n"
"\n"
"Aggregate JSON records over event-time windows: one JSON row per window and\n"
"group, written when the window closes.\n"
"\n"
"Windows (one of):\n"
"      --tumbling SIZE      fixed windows [k*SIZE, (k+1)*SIZE)\n"
"      --hopping SIZE --every ADVANCE\n"
"                           windows of SIZE starting every ADVANCE\n"
"      --session GAP        per group, records at most GAP apart\n"
"      --rows N             per record, the trailing N records of its group\n"
"Time:\n"
"      --time EXPR          event time: epoch s/ms/us/ns or RFC 3339 string\n"
"      --processing-time    the wall clock; windows close on a timer\n"
"      --skew OCCURRED,SENT,RECEIVED\n"
"                           event time = received - (sent - occurred)\n"
"      --time-unit UNIT     numeric times are s, ms, us or ns\n"
"      --time-format FORMAT window bounds as iso, s, ms, us or ns\n"
"      --align OFFSET       shift window boundaries (e.g. -2h)\n"
"      --grace DURATION     accept records this long after a window's end\n"
"      --late=FILE          append late records to FILE\n"
"      --emit close|update  rows at close only, or after every change too\n"
"      --idle DURATION      advance time by the wall clock when input stalls\n"
"Groups and aggregates:\n"
"      --by EXPR[,EXPR...]  group keys (EXPR=NAME to name one)\n"
"  -a, --agg AGG[,AGG...]   count, sum:EXPR, min:EXPR, max:EXPR, avg:EXPR,\n"
"                           stddev:EXPR, pNN:EXPR, distinct:EXPR, first:EXPR,\n"
"                           last:EXPR, top:K:EXPR (AGG=NAME to name one)\n"
"      --exact              exact percentiles (keep every value)\n"
"      --max-groups N       at most N open windows and groups (else exit 1)\n"
"      --max-groups-evict   at the limit, write the first to close early\n"
"Input:\n"
"      --from=FORMAT        json (default), logfmt, text or regex:PATTERN\n"
"      --infer              numbers, booleans and null from non-JSON input\n"
"      --bad=FILE           append bad lines and records that raised errors\n"
"                           to FILE (default: drop and count them)\n"
"      --strict             stop at the first bad line or error (exit 1)\n"
"      --stats              print counts on standard error at the end\n"
"  -m, --max-record=SIZE    longest accepted line (default 1M)\n"
"  -h, --help               show this help\n"
"\n"
"Durations: 500ms, 10s, 5m, 2h, 7d.  See mwindow(1).\n");
	exit(0);
}

/* ---- output ---- */

static int
emit(void *arg, const unsigned char *p, size_t n)
{
	(void)arg;
	S.rows++;
	if (mlog_out_write(&S.out, p, n) < 0 ||
	    mlog_out_putc(&S.out, '\n') < 0 ||
	    (S.tty && mlog_out_flush(&S.out) < 0))
		return -1;
	return 0;
}

static void
flush_out(void)
{
	if (mlog_out_flush(&S.out) < 0)
		err(1, "stdout");
}

static void
summary(void)
{
	char sum[1200], *l, *save = NULL;

	if (S.stats)
		fprintf(stderr, "mwindow: %" PRIu64 " records: %" PRIu64
		    " rows, %" PRIu64 " late, %" PRIu64 " bad, %" PRIu64
		    " errors\n", S.records, S.rows, S.late, S.bad.bad,
		    S.bad.errors);
	if (S.late > 0)
		warnx("%" PRIu64 " late record%s%s%s; first at %s", S.late,
		    S.late == 1 ? "" : "s", S.latepath != NULL ?
		    ", written to " : "", S.latepath != NULL ? S.latepath : "",
		    S.firstlate);
	if (mlog_win_evicted(S.w) > 0)
		warnx("%" PRIu64 " window%s written early to stay within "
		    "--max-groups %" PRIu64, mlog_win_evicted(S.w),
		    mlog_win_evicted(S.w) == 1 ? "" : "s", S.c.maxgroups);
	mlog_bad_summary(&S.bad, sum, sizeof(sum));
	for (l = strtok_r(sum, "\n", &save); l != NULL;
	    l = strtok_r(NULL, "\n", &save))
		warnx("%s", l);
}

/* The end: every open window is written. */
static _Noreturn void
finish(void)
{
	if (mlog_win_flush(S.w) < 0)
		err(1, "stdout");
	flush_out();
	summary();
	exit(S.status);
}

/* --strict, or the dead-letter file failed. */
static _Noreturn void
stop(void)
{
	flush_out();
	warnx("%s", S.bad.stop);
	exit(1);
}

/* ---- time ---- */

static int64_t
now_us(void)
{
	return mlog_now_us();
}

static void
on_signal(int sig)
{
	S.sig = sig;
}

/*
 * Before a read would block: flush, then wait for input while the timers
 * run (--processing-time closes windows by the clock; --idle moves stream
 * time on by the wall-clock time since the last record).  1 ends the
 * input: a signal came.
 */
static int
wait_input(void *arg)
{
	struct pollfd pfd;
	struct timespec ts, *tp;
	sigset_t old;
	int64_t next, due, now, st;
	int r;

	(void)arg;
	if (mlog_out_flush(&S.out) < 0)
		return -1;
	if (S.fresh) {
		/* the clock is read here, not per record */
		S.lastwall = now_us();
		S.lastst = mlog_win_streamtime(S.w);
		S.fresh = 0;
	}
	for (;;) {
		next = mlog_win_next_close(S.w);
		due = INT64_MAX;
		if (S.processing && next != INT64_MAX)
			due = next;
		else if (S.idle > 0 && next != INT64_MAX &&
		    S.lastwall != INT64_MIN) {
			due = S.lastwall + (next - S.lastst);
			if (due < S.lastwall + S.idle)
				due = S.lastwall + S.idle;
		}
		now = now_us();
		tp = NULL;
		if (due != INT64_MAX) {
			due = due > now ? due - now : 0;
			ts.tv_sec = due / 1000000;
			ts.tv_nsec = due % 1000000 * 1000;
			tp = &ts;
		}
		pfd.fd = S.in.fd;
		pfd.events = POLLIN;
		sigprocmask(SIG_BLOCK, &S.sigs, &old);
		r = S.sig ? -1 : ppoll(&pfd, 1, tp, &old);
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (S.sig)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
		if (r > 0)
			return 0;
		if (r < 0 || tp == NULL)
			continue;
		now = now_us();
		st = S.processing ? now : S.lastst + (now - S.lastwall);
		if (mlog_win_advance(S.w, st) < 0 ||
		    mlog_out_flush(&S.out) < 0)
			return -1;
	}
}

/* ---- records ---- */

/* Evaluate expression i; -1 when it raised an error (noted). */
static int
eval(size_t i, const unsigned char *line, size_t len)
{
	char why[600];

	if (mlog_expr_value(S.x[i].e, &S.in.doc, S.x[i].canon, &S.vals[i]) ==
	    0)
		return 0;
	snprintf(why, sizeof(why), "%s: %s", S.x[i].src,
	    mlog_expr_error(S.x[i].e));
	if (mlog_bad_note(&S.bad, &S.in, 1, why, line, len) < 0)
		stop();
	return -1;
}

/* A time from expression i: 0, or -1 with the record noted as bad. */
static int
get_time(size_t i, int64_t *t, int *form, int optional,
    const unsigned char *line, size_t len)
{
	const struct mlog_value *v = &S.vals[i];
	char why[600];

	if (eval(i, line, len) < 0)
		return -1;
	if (v->type == MLOG_V_NONE || v->type == MLOG_V_NULL) {
		if (optional)
			return 1;
		snprintf(why, sizeof(why), "missing time (%s)", S.x[i].src);
	} else if (mlog_value_time(v, S.unit, &S.tcache[i], t, form) == 0 &&
	    *t > -MAXTIME && *t < MAXTIME)
		return 0;
	else
		snprintf(why, sizeof(why), "bad time (%s): %s", S.x[i].src,
		    mlog_expr_describe(S.x[i].e));
	if (mlog_bad_note(&S.bad, &S.in, 0, why, line, len) < 0)
		stop();
	return -1;
}

static int
record_time(int64_t *t, int *form, const unsigned char *line, size_t len)
{
	int64_t occ, sent;
	int f, r;

	if (S.processing) {
		*t = now_us();
		*form = MLOG_TF_ISO;
		return 0;
	}
	if (S.tx >= 0)
		return get_time((size_t)S.tx, t, form, 0, line, len);
	/* --skew: the receiver's clock, less the time in flight */
	if ((r = get_time((size_t)S.skew[0], &occ, &f, 1, line, len)) < 0)
		return -1;
	if (r == 0 && (r = get_time((size_t)S.skew[1], &sent, &f, 1, line,
	    len)) < 0)
		return -1;
	if (get_time((size_t)S.skew[2], t, form, 0, line, len) < 0)
		return -1;
	if (r == 0 && sent >= occ)
		*t -= sent - occ;
	return 0;
}

static void
note_late(const unsigned char *line, size_t len)
{
	if (S.late++ == 0) {
		if (S.in.name == NULL)
			snprintf(S.firstlate, sizeof(S.firstlate),
			    "line %" PRIu64, S.in.lineno);
		else
			snprintf(S.firstlate, sizeof(S.firstlate),
			    "%.250s:%" PRIu64, S.in.name, S.in.lineno);
	}
	if (S.latefd >= 0 && (mlog_write_all(S.latefd, line, len) < 0 ||
	    mlog_write_all(S.latefd, "\n", 1) < 0)) {
		flush_out();
		err(1, "%s", S.latepath);
	}
}

static void
record(const unsigned char *line, size_t len)
{
	int64_t t = 0;
	int form = MLOG_TF_ISO, r;
	size_t i;
	char why[600];

	if ((S.c.kind != MLOG_WIN_ROWS || S.c.hastime) &&
	    record_time(&t, &form, line, len) < 0)
		return;
	for (i = 0; i < S.nx; i++) {
		if ((int)i == S.tx || (int)i == S.skew[0] ||
		    (int)i == S.skew[1] || (int)i == S.skew[2])
			continue;
		if (eval(i, line, len) < 0)
			return;
	}
	for (i = 0; i < S.c.nkeys; i++) {
		S.keys[i] = S.vals[S.keyx[i]];
		if (S.keys[i].type == MLOG_V_NONE) {
			S.keys[i].json = (const unsigned char *)"null";
			S.keys[i].jn = 4;
		}
	}
	for (i = 0; i < S.c.naggs; i++) {
		const struct mlog_value *v = &S.vals[S.c.aggs[i].arg];
		if (!mlog_agg_numeric(S.c.aggs[i].kind) ||
		    v->type == MLOG_V_NUM || v->type == MLOG_V_NONE ||
		    v->type == MLOG_V_NULL)
			continue;
		snprintf(why, sizeof(why), "%s: %s is not a number",
		    S.aggspec[i], mlog_expr_describe(S.x[S.c.aggs[i].arg].e));
		if (mlog_bad_note(&S.bad, &S.in, 1, why, line, len) < 0)
			stop();
		return;
	}
	if (!S.formset) {
		mlog_win_timeform(S.w, form);
		S.formset = 1;
	}
	if ((r = mlog_win_add(S.w, t, S.keys, S.vals)) < 0) {
		if (errno == EOVERFLOW) {
			flush_out();
			errx(1, "more than %" PRIu64 " open windows and groups "
			    "at %s%s%" PRIu64 "; raise --max-groups or use "
			    "--max-groups-evict", S.c.maxgroups,
			    S.in.name != NULL ? S.in.name : "line ",
			    S.in.name != NULL ? ":" : "", S.in.lineno);
		}
		if (errno == ENOMEM)
			err(1, NULL);
		err(1, "stdout");
	}
	if (r == 1)
		note_late(line, len);
	S.fresh = 1;
}

static void
run(const char *path)
{
	const unsigned char *line;
	const char *why;
	size_t len;
	int r = 0;

	if (S.sig)
		return;
	if (mlog_src_open(&S.in, path) < 0) {
		flush_out();
		warn("%s", path);
		S.status = 1;
		return;
	}
	while (!S.sig && (r = mlog_src_next(&S.in, &line, &len, &why)) > 0) {
		S.records++;
		if (r == 2) {
			if (mlog_bad_note(&S.bad, &S.in, 0, why, line, len) <
			    0)
				stop();
			continue;
		}
		record(line, len);
	}
	if (r < 0 && !S.sig) {
		flush_out();
		err(1, "%s", path);
	}
	mlog_src_close(&S.in);
}

/* ---- options ---- */

static int
add_expr(const char *src, size_t n, int canon)
{
	struct mlog_expr_err e;
	char *text, why[3][MLOG_EXPR_LINE];
	size_t i;

	for (i = 0; i < S.nx; i++)
		if (strlen(S.x[i].src) == n && strncmp(S.x[i].src, src, n) ==
		    0) {
			S.x[i].canon |= canon;
			return (int)i;
		}
	if (S.nx == MAXEXPR)
		errx(2, "too many expressions (at most %d)", MAXEXPR);
	if ((text = strndup(src, n)) == NULL)
		err(1, NULL);
	if ((S.x[S.nx].e = mlog_expr_compile(text, NULL, 0, &e)) == NULL) {
		if (errno == ENOMEM)
			errx(1, "%s", e.msg);
		mlog_expr_explain(text, &e, why);
		warnx("%s: %s", text, why[0]);
		warnx("%s", why[1]);
		warnx("%s", why[2]);
		exit(2);
	}
	S.x[S.nx].src = text;
	S.x[S.nx].canon = canon;
	return (int)S.nx++;
}

static int64_t
duration(const char *opt, const char *s, int sign, int zero)
{
	int64_t d;
	char msg[300];

	if (mlog_duration_arg(opt, s, sign, zero, &d, msg, sizeof(msg)) < 0)
		errx(2, "%s", msg);
	return d;
}

static void
set_kind(int kind, const char *opt)
{
	static const char *set;

	if (set != NULL)
		errx(2, "%s and %s: only one kind of window", set, opt);
	set = opt;
	S.c.kind = kind;
}

int
main(int argc, char *argv[])
{
	enum { O_TUMBLING = 256, O_HOPPING, O_EVERY, O_SESSION, O_ROWS, O_BY,
	    O_TIME, O_PROC, O_SKEW, O_UNIT, O_FORMAT, O_ALIGN, O_GRACE,
	    O_LATE, O_EMIT, O_IDLE, O_MAXG, O_EVICT, O_EXACT, O_STATS };
	static const struct option longopts[] = {
		{ "tumbling",		required_argument,	NULL, O_TUMBLING },
		{ "hopping",		required_argument,	NULL, O_HOPPING },
		{ "every",		required_argument,	NULL, O_EVERY },
		{ "session",		required_argument,	NULL, O_SESSION },
		{ "rows",		required_argument,	NULL, O_ROWS },
		{ "agg",		required_argument,	NULL, 'a' },
		{ "by",			required_argument,	NULL, O_BY },
		{ "time",		required_argument,	NULL, O_TIME },
		{ "processing-time",	no_argument,		NULL, O_PROC },
		{ "skew",		required_argument,	NULL, O_SKEW },
		{ "time-unit",		required_argument,	NULL, O_UNIT },
		{ "time-format",	required_argument,	NULL, O_FORMAT },
		{ "align",		required_argument,	NULL, O_ALIGN },
		{ "grace",		required_argument,	NULL, O_GRACE },
		{ "late",		required_argument,	NULL, O_LATE },
		{ "emit",		required_argument,	NULL, O_EMIT },
		{ "idle",		required_argument,	NULL, O_IDLE },
		{ "max-groups",		required_argument,	NULL, O_MAXG },
		{ "max-groups-evict",	no_argument,		NULL, O_EVICT },
		{ "exact",		no_argument,		NULL, O_EXACT },
		{ "stats",		no_argument,		NULL, O_STATS },
		{ "max-record",		required_argument,	NULL, 'm' },
		{ "from",		required_argument,	NULL, 'F' },
		{ "infer",		no_argument,		NULL, 'I' },
		{ "bad",		required_argument,	NULL, 'B' },
		{ "strict",		no_argument,		NULL, 'S' },
		{ "help",		no_argument,		NULL, 'h' },
		{ NULL,			0,			NULL, 0 }
	};
	static const char *units[] = { "", "iso", "s", "ms", "us", "ns" };
	const char *timesrc = NULL, *skewsrc = NULL, *every = NULL;
	const char *other = NULL, *errstr;
	char **aggs = NULL, **bys = NULL, **list, msg[256];
	size_t naggs = 0, nbys = 0, n, i, j, xs, xn;
	struct mlog_aggdef *defs;
	struct sigaction sa;
	int ch, r, seen_window = 0, emitset = 0;

	S.in.maxrec = 1024 * 1024;
	S.bad.fd = -1;
	S.latefd = -1;
	S.tx = S.skew[0] = S.skew[1] = S.skew[2] = -1;
	S.lastwall = INT64_MIN;
	while ((ch = getopt_long(argc, argv, "a:hm:", longopts, NULL)) != -1) {
		switch (ch) {
		case O_TUMBLING:
			set_kind(MLOG_WIN_TUMBLING, "--tumbling");
			S.c.size = duration("--tumbling", optarg, 0, 0);
			seen_window = 1;
			break;
		case O_HOPPING:
			set_kind(MLOG_WIN_HOPPING, "--hopping");
			S.c.size = duration("--hopping", optarg, 0, 0);
			seen_window = 1;
			break;
		case O_EVERY:
			every = optarg;
			break;
		case O_SESSION:
			set_kind(MLOG_WIN_SESSION, "--session");
			S.c.gap = duration("--session", optarg, 0, 1);
			seen_window = 1;
			break;
		case O_ROWS:
			set_kind(MLOG_WIN_ROWS, "--rows");
			S.c.rows = (uint64_t)strtonum(optarg, 1, 1000000,
			    &errstr);
			if (errstr != NULL)
				errx(2, "--rows: '%s' is %s (1 to 1000000)",
				    optarg, errstr);
			seen_window = 1;
			break;
		case 'a':
		case O_BY:
			if ((list = mlog_split_list(optarg, &n)) == NULL)
				err(1, NULL);
			for (i = 0; i < n; i++) {
				char ***v = ch == 'a' ? &aggs : &bys;
				size_t *cnt = ch == 'a' ? &naggs : &nbys;
				if ((*v = reallocarray(*v, *cnt + 1,
				    sizeof(**v))) == NULL)
					err(1, NULL);
				(*v)[(*cnt)++] = list[i];
			}
			free(list);
			break;
		case O_TIME:
			timesrc = optarg;
			break;
		case O_PROC:
			S.processing = 1;
			break;
		case O_SKEW:
			skewsrc = optarg;
			break;
		case O_UNIT:
		case O_FORMAT:
			for (i = ch == O_UNIT ? 2 : 1; i < 6; i++)
				if (strcmp(optarg, units[i]) == 0)
					break;
			if (i == 6)
				errx(2, "%s: '%s' is not %s", ch == O_UNIT ?
				    "--time-unit" : "--time-format", optarg,
				    ch == O_UNIT ? "s, ms, us or ns" :
				    "iso, s, ms, us or ns");
			if (ch == O_UNIT)
				S.unit = (int)i;
			else {
				S.form = (int)i;
				S.formset = 1;
			}
			break;
		case O_ALIGN:
			S.c.align = duration("--align", optarg, 1, 1);
			other = "--align";
			break;
		case O_GRACE:
			S.c.grace = duration("--grace", optarg, 0, 1);
			other = "--grace";
			break;
		case O_LATE:
			S.latepath = optarg;
			other = "--late";
			break;
		case O_EMIT:
			if (strcmp(optarg, "close") == 0)
				S.c.update = 0;
			else if (strcmp(optarg, "update") == 0)
				S.c.update = 1;
			else
				errx(2, "--emit: '%s' is not close or update",
				    optarg);
			emitset = 1;
			break;
		case O_IDLE:
			S.idle = duration("--idle", optarg, 0, 0);
			other = "--idle";
			break;
		case O_MAXG:
			S.c.maxgroups = (uint64_t)strtonum(optarg, 1,
			    LLONG_MAX, &errstr);
			if (errstr != NULL)
				errx(2, "--max-groups: '%s' is %s", optarg,
				    errstr);
			break;
		case O_EVICT:
			S.c.evict = 1;
			break;
		case O_EXACT:
			S.c.exact = 1;
			break;
		case O_STATS:
			S.stats = 1;
			break;
		case 'h':
			help();
		default:
			if ((r = mlog_src_option(&S.in, &S.bad, ch, optarg,
			    msg, sizeof(msg))) < 0)
				warnx("%s", msg);
			if (r <= 0)
				usage();
		}
	}
	argc -= optind;
	argv += optind;

	/* what goes with what */
	if (!seen_window) {
		warnx("a window is needed: --tumbling, --hopping, --session "
		    "or --rows");
		usage();
	}
	if (every != NULL && S.c.kind != MLOG_WIN_HOPPING)
		errx(2, "--every goes with --hopping");
	if (S.c.kind == MLOG_WIN_HOPPING) {
		if (every == NULL)
			errx(2, "--hopping needs --every ADVANCE");
		S.c.advance = duration("--every", every, 0, 0);
		if (S.c.advance > S.c.size)
			errx(2, "--every %s is more than the --hopping size: "
			    "records would fall between windows", every);
	}
	if ((timesrc != NULL) + S.processing + (skewsrc != NULL) > 1)
		errx(2, "--time, --processing-time and --skew: choose one");
	if (S.c.kind == MLOG_WIN_ROWS) {
		if (other != NULL || S.c.update)
			errx(2, "%s has no meaning with --rows", other != NULL ?
			    other : "--emit update");
		S.c.hastime = timesrc != NULL || S.processing ||
		    skewsrc != NULL;
	} else if (timesrc == NULL && !S.processing && skewsrc == NULL)
		errx(2, "windows need a time: --time EXPR, --processing-time "
		    "or --skew");
	if (S.processing && S.idle > 0)
		errx(2, "--idle has no meaning with --processing-time: the "
		    "clock moves time");
	if (S.c.evict && S.c.maxgroups == 0)
		errx(2, "--max-groups-evict needs --max-groups N");
	(void)emitset;

	/* the expressions, each compiled once */
	if (timesrc != NULL)
		S.tx = add_expr(timesrc, strlen(timesrc), 0);
	if (skewsrc != NULL) {
		if ((list = mlog_split_list(skewsrc, &n)) == NULL)
			err(1, NULL);
		if (n != 3)
			errx(2, "--skew needs three expressions: "
			    "OCCURRED,SENT,RECEIVED");
		for (i = 0; i < 3; i++) {
			S.skew[i] = add_expr(list[i], strlen(list[i]), 0);
			free(list[i]);
		}
		free(list);
	}
	if ((S.c.keynames = calloc(nbys + 1, sizeof(*S.c.keynames))) ==
	    NULL || (S.keyx = calloc(nbys + 1, sizeof(*S.keyx))) == NULL ||
	    (S.keys = calloc(nbys + 1, sizeof(*S.keys))) == NULL)
		err(1, NULL);
	for (i = 0; i < nbys; i++) {
		size_t len = strlen(bys[i]), end = mlog_rename_at(bys[i], len);
		S.keyx[i] = add_expr(bys[i], end, 1);
		if (end < len) {
			if (len - end - 1 >= MLOG_NAME_MAX)
				errx(2, "--by %s: name too long", bys[i]);
			memcpy(S.c.keynames[i], bys[i] + end + 1, len - end - 1);
		} else
			mlog_expr_name(bys[i], len, S.c.keynames[i],
			    MLOG_NAME_MAX);
		if (S.c.keynames[i][0] == '\0')
			errx(2, "--by %s: no name can be made of it; name it "
			    "with %s=NAME", bys[i], bys[i]);
	}
	S.c.nkeys = nbys;
	if (naggs == 0) {
		if ((aggs = calloc(1, sizeof(*aggs))) == NULL ||
		    (aggs[0] = strdup("count")) == NULL)
			err(1, NULL);
		naggs = 1;
	}
	if ((defs = calloc(naggs, sizeof(*defs))) == NULL)
		err(1, NULL);
	for (i = 0; i < naggs; i++) {
		if (mlog_agg_parse(aggs[i], &defs[i], &xs, &xn, msg,
		    sizeof(msg)) < 0)
			errx(2, "-a %s", msg);
		if (defs[i].kind == MLOG_AGG_COUNT)
			defs[i].arg = -1;
		else
			defs[i].arg = add_expr(aggs[i] + xs, xn,
			    !mlog_agg_numeric(defs[i].kind));
	}
	/* count's argument: a value that is never there */
	for (i = 0; i < naggs; i++)
		if (defs[i].arg < 0)
			defs[i].arg = (int)S.nx;
	S.aggspec = aggs;
	S.c.aggs = defs;
	S.c.naggs = naggs;
	for (i = 0; i < naggs + nbys; i++) {
		const char *a = i < nbys ? S.c.keynames[i] :
		    defs[i - nbys].name;
		if (strcmp(a, "window_start") == 0 ||
		    strcmp(a, "window_end") == 0 || strcmp(a, "final") == 0 ||
		    strcmp(a, "evicted") == 0)
			errx(2, "%s: the name is taken by mwindow's own field; "
			    "rename it with =NAME", a);
		for (j = 0; j < i; j++) {
			const char *b = j < nbys ? S.c.keynames[j] :
			    defs[j - nbys].name;
			if (strcmp(a, b) == 0)
				errx(2, "two fields named %s; rename one with "
				    "=NAME", a);
		}
	}
	if ((S.vals = calloc(S.nx + 1, sizeof(*S.vals))) == NULL)
		err(1, NULL);

	if (S.latepath != NULL && (S.latefd = open(S.latepath, O_WRONLY |
	    O_CREAT | O_APPEND | O_CLOEXEC, 0666)) < 0)
		err(1, "%s", S.latepath);
	if (S.bad.path != NULL && (S.bad.fd = open(S.bad.path, O_WRONLY |
	    O_CREAT | O_APPEND | O_CLOEXEC, 0666)) < 0)
		err(1, "%s", S.bad.path);
	if (mlog_out_init(&S.out, 1, 64 * 1024) < 0 ||
	    (S.w = mlog_win_new(&S.c, emit, NULL)) == NULL)
		err(1, NULL);
	if (S.formset)
		mlog_win_timeform(S.w, S.form);
	else if (S.processing)
		S.formset = 1;
	S.tty = isatty(1);
	S.in.flush = wait_input;

	/* SIGINT, SIGTERM: the input ends, open windows are written */
	sigemptyset(&S.sigs);
	sigaddset(&S.sigs, SIGINT);
	sigaddset(&S.sigs, SIGTERM);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (argc == 0)
		run("-");
	for (i = 0; i < (size_t)argc; i++)
		run(argv[i]);
	finish();
}

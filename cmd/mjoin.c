/*
 * mjoin: join a stream of JSON records with a table (a file, a log or an
 * mview database, optionally kept current from a log), or with a second
 * stream by event time: interval joins (l - before <= r <= l + after) and
 * as-of joins (the right side's version current at the record's time).
 * Both streams are merged by event time, so a rerun over the same inputs
 * writes the same output.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mlog.h"
#include "expr.h"
#include "join.h"
#include "view.h"
#include "window.h"

#define MAXTIME		300000000000000000LL	/* past 9999-12-31, in us */
#define PUMP_EVERY	1024	/* stream records between table updates */

enum { M_TABLE, M_INTERVAL, M_ASOF };
enum { K_INNER, K_LEFT, K_OUTER, K_ANTI };
enum { AS_BACKWARD, AS_FORWARD, AS_NEAREST };

/* A log read as a source: every partition, oldest record first. */
struct logsrc {
	struct mlog_log		*log;
	struct mlog_reader	**r;
	struct mlog_record	*cur;
	int			*has;
	int64_t			*next;		/* next offset per partition */
	struct mlog_offsets	 store;
	int			 grouped;
	struct mlog_watch	*watch;
};

/* One input of the join. */
struct side {
	const char		*role;		/* "stream", "right", "table" */
	char			**files;	/* stream: the operands */
	int			 nfiles, fi;
	struct mlog_src		 src;		/* also names log records */
	struct logsrc		*lg;
	struct mlog_jdoc	 ldoc;		/* a log record's value */
	struct mlog_expr	*on, *time;
	const char		*onsrc, *timesrc;
	struct mlog_tcache	 tc;
	/* the record read ahead */
	int			 have, eof, stalled;
	const unsigned char	*line;
	size_t			 len;
	const struct mlog_jdoc	*doc;
	int64_t			 t;
	const unsigned char	*key;		/* canonical JSON, or NULL */
	size_t			 kn;
	int64_t			 stall0;	/* when it stopped giving */
};

/* A record as read, blanks around it too; the JSON text alone when there
 * is no such line (a log's null value, a --from conversion). */
#define INLINE(sd)	((sd)->doc->p >= (sd)->line && \
			    (sd)->doc->p + (sd)->doc->n <= (sd)->line + (sd)->len)
#define LINE(sd)	(INLINE(sd) ? (sd)->line : (sd)->doc->p)
#define LEN(sd)		(INLINE(sd) ? (sd)->len : (sd)->doc->n)

/* A record to write: from a side's read-ahead or from a store. */
struct rv {
	const unsigned char	*p;		/* its JSON text */
	size_t			 n;
	size_t			 nf;
	const struct mlog_jfield *jf;
	const uint32_t		*of;
	const unsigned char	*line;		/* as it came, blanks too */
	size_t			 ln;
};

/* The back version an as-of nearest join holds for a waiting record. */
struct held {
	int64_t			 t;
	struct mlog_jrec	*copy;		/* in S.held */
};

static struct {
	int			 mode, kind, asof;
	int64_t			 before, after, grace, tol, idle;
	int			 unit;
	const char		*prefix;
	size_t			 plen;
	char			*nest[2];
	struct side		 L, R, T;
	struct mlog_jstore	*ls, *rs, *held;	/* kept records */
	struct mlog_expr	*tkey, *tval, *ident;
	const char		*tkeysrc, *tvalsrc;
	unsigned char		*vbuf;		/* --table-value's output */
	size_t			 vlen, vcap;
	int			 vset;
	unsigned char		*kbuf;		/* a log key as JSON */
	size_t			 kcap;
	struct logsrc		*follow;
	struct mlog_bad		 bad;
	struct mlog_out		 out;
	int			 tty, stats, status, nonblock;
	int64_t			 st;		/* stream time */
	uint64_t		 lrecs, rrecs, trecs, rows, pairs, late;
	char			 firstlate[300];
	volatile sig_atomic_t	 sig;
	sigset_t		 sigs;
} S;

static const char synopsis[] =
"usage: mjoin -k expr -t source [--table-key expr] [--table-value expr]\n"
"             [--follow-table log] [--left | --anti] [options] [file ...]\n"
"       mjoin -k expr -r source [--right-on expr] --time expr [--right-time expr]\n"
"             -w duration | --before duration --after duration\n"
"             [--grace duration] [--idle duration] [-g group]\n"
"             [--left | --outer | --anti] [options] [file]\n"
"       mjoin -k expr -r source --asof backward | forward | nearest --time expr\n"
"             [--right-time expr] [--tolerance duration] [--left | --anti]\n"
"             [options] [file]\n"
"options: [--nest l,r | --prefix-right prefix] [--time-unit unit] [-m size]\n"
"         [--bad=file] [--from=format] [--infer] [--stats] [--strict]\n";

static _Noreturn void
usage(void)
{
	fputs(synopsis, stderr);
	exit(2);
}

static _Noreturn void
help(void)
{
	fputs(synopsis, stdout);
	printf(
"\n"
"Join the JSON records of the files, or of standard input, with a table or\n"
"with a second stream.  Keys compare as JSON values; null or missing keys\n"
"never match.  A source is a JSON Lines file or FIFO, a log directory\n"
"(read to its end), an mview(1) database (tables) or - (standard input).\n"
"\n"
"Stream-table join:\n"
"  -t, --table=SOURCE       the table: last value per key wins, null deletes\n"
"      --table-key=EXPR     the table's key (default: the --on expression;\n"
"                           a log's record key when it has one)\n"
"      --table-value=EXPR   the table's value (default: the whole record)\n"
"      --follow-table=LOG   load LOG, then apply its new records as they come\n"
"Stream-stream joins:\n"
"  -r, --right=SOURCE       the other stream\n"
"      --right-on=EXPR      its key (default: the --on expression)\n"
"      --time=EXPR          event time of the stream's records\n"
"      --right-time=EXPR    event time of the right records (default: --time)\n"
"      --time-unit=UNIT     numeric times are s, ms, us or ns\n"
"  -w, --within=DURATION    pairs at most DURATION apart\n"
"      --before=DURATION    right records at most DURATION before the left\n"
"      --after=DURATION     right records at most DURATION after the left\n"
"      --grace=DURATION     keep records this much longer for late partners\n"
"      --asof=DIRECTION     backward, forward or nearest: one match per record\n"
"      --tolerance=DURATION the as-of match is at most DURATION away\n"
"      --idle=DURATION      go on without an input silent for DURATION\n"
"  -g, --group=GROUP        read a log source as GROUP: resume where it\n"
"                           stopped, commit at exit\n"
"Output:\n"
"  -k, --on=EXPR            the join key of the stream's records\n"
"      --left               keep unmatched stream records too\n"
"      --outer              keep unmatched records of both streams\n"
"      --anti               keep only unmatched stream records\n"
"      --prefix-right=P     keep right members whose names clash as P+name\n"
"                           (default: the stream record's member wins)\n"
"      --nest=L,R           write {\"L\": left, \"R\": right} instead of merging\n"
"Input:\n"
"      --from=FORMAT        json (default), logfmt, text or regex:PATTERN\n"
"      --infer              numbers, booleans and null from non-JSON input\n"
"      --bad=FILE           append bad lines and failed records to FILE\n"
"      --strict             stop at the first bad line or error (exit 1)\n"
"      --stats              print counts on standard error at the end\n"
"  -m, --max-record=SIZE    longest accepted line (default 1M)\n"
"  -h, --help               show this help\n"
"\n"
"See mjoin(1).\n");
	exit(0);
}

static void	batch_run(void);

/* Write out what was read, and what is buffered. */
static void
flush_out(void)
{
	batch_run();
	if (mlog_out_flush(&S.out) < 0)
		err(1, "stdout");
}

/* --strict, or the dead-letter file failed. */
static _Noreturn void
stop(void)
{
	flush_out();
	warnx("%s", S.bad.stop);
	exit(1);
}

static void
on_signal(int sig)
{
	S.sig = sig;
}

static struct mlog_expr *
compile(const char *opt, const char *text)
{
	struct mlog_expr_err e;
	struct mlog_expr *x;
	char why[3][MLOG_EXPR_LINE];
	int i;

	if ((x = mlog_expr_compile(text, NULL, 0, &e)) != NULL)
		return x;
	if (errno == ENOMEM)
		errx(1, "%s", e.msg);
	mlog_expr_explain(text, &e, why);
	warnx("%s: %s", opt, why[0]);	/* which of the expressions */
	for (i = 1; i < 3; i++)
		warnx("%s", why[i]);
	exit(2);
}

static int64_t
duration(const char *opt, const char *s, int zero)
{
	int64_t d;
	char msg[300];

	if (mlog_duration_arg(opt, s, 0, zero, &d, msg, sizeof(msg)) < 0)
		errx(2, "%s", msg);
	return d;
}

/* ---- output ---- */

static void
put(const void *p, size_t n)
{
	if (mlog_out_write(&S.out, p, n) < 0)
		err(1, "stdout");
}

static void
putstr(const char *s)
{
	put(s, strlen(s));
}

static void
end_row(void)
{
	if (mlog_out_putc(&S.out, '\n') < 0 || (S.tty &&
	    mlog_out_flush(&S.out) < 0))
		err(1, "stdout");
	S.rows++;
}

/* Member i: its name as written (escapes kept; *esc when it has some)
 * and its value. */
static void
member(const struct rv *v, size_t i, const unsigned char **k, size_t *kn,
    int *esc, const unsigned char **val, size_t *vn)
{
	if (v->jf != NULL) {
		*k = v->jf[i].key;
		*kn = v->jf[i].klen;
		*esc = v->jf[i].kesc;
		*val = v->jf[i].val;
		*vn = v->jf[i].vlen;
	} else {
		*k = v->p + v->of[i * 4];
		*kn = v->of[i * 4 + 1];
		*esc = memchr(*k, '\\', *kn) != NULL;
		*val = v->p + v->of[i * 4 + 2];
		*vn = v->of[i * 4 + 3];
	}
}

/* The side's current record. */
static void
rv_side(struct rv *v, const struct side *sd)
{
	v->p = sd->doc->p;
	v->n = sd->doc->n;
	v->nf = sd->doc->nf;
	v->jf = sd->doc->f;
	v->of = NULL;
	v->line = LINE(sd);
	v->ln = LEN(sd);
}

static void
rv_rec(struct rv *v, const struct mlog_jrec *r)
{
	v->p = r->data + r->doff;
	v->n = r->dlen;
	v->nf = r->nf;
	v->jf = NULL;
	v->of = r->f;
	v->line = r->data;
	v->ln = r->len;
}

/* Member names are short: a loop is quicker than a call to memcmp. */
static int
same(const unsigned char *a, const unsigned char *b, size_t n)
{
	while (n > 0 && *a == *b) {
		a++;
		b++;
		n--;
	}
	return n == 0;
}

/* Two member names the same, however they are escaped. */
static int
same_name(const unsigned char *a, size_t an, int aesc, const unsigned char *b,
    size_t bn, int besc)
{
	unsigned char *x, *y;
	int eq;

	if (!aesc && !besc)
		return an == bn && same(a, b, an);
	if ((x = malloc(an + 1)) == NULL || (y = malloc(bn + 1)) == NULL)
		err(1, NULL);
	an = mlog_json_unescape(a, an, x);
	bn = mlog_json_unescape(b, bn, y);
	eq = an == bn && same(x, y, an);
	free(x);
	free(y);
	return eq;
}

/*
 * One output row.  Merged: the left object's text as it was, then the
 * right's members whose names it does not have (clashing ones under
 * --prefix-right); nested: {"L": left, "R": right}, null for a side that
 * is missing.
 */
static void
row(const struct rv *l, const struct rv *r)
{
	const unsigned char *k, *v, *k2, *v2;
	size_t kn, vn, kn2, vn2, i, j;
	int any, esc, esc2;

	if (S.nest[0] != NULL) {
		putstr("{");
		if (mlog_json_put_string(&S.out, (const unsigned char *)S.nest[0],
		    strlen(S.nest[0])) < 0)
			err(1, "stdout");
		putstr(":");
		if (l != NULL)
			put(l->p, l->n);
		else
			putstr("null");
		putstr(",");
		if (mlog_json_put_string(&S.out, (const unsigned char *)S.nest[1],
		    strlen(S.nest[1])) < 0)
			err(1, "stdout");
		putstr(":");
		if (r != NULL)
			put(r->p, r->n);
		else
			putstr("null");
		putstr("}");
		end_row();
		return;
	}
	if (l == NULL || r == NULL) {
		/* unmatched: byte for byte */
		l = l != NULL ? l : r;
		put(l->line, l->ln);
		end_row();
		return;
	}
	put(l->p, l->n - 1);		/* up to its closing brace */
	any = l->nf > 0;
	for (i = 0; i < r->nf; i++) {
		member(r, i, &k, &kn, &esc, &v, &vn);
		for (j = 0; j < l->nf; j++) {
			member(l, j, &k2, &kn2, &esc2, &v2, &vn2);
			if ((esc || esc2 || kn2 == kn) &&
			    same_name(k2, kn2, esc2, k, kn, esc))
				break;
		}
		if (j < l->nf && S.prefix == NULL)
			continue;
		put(any ? ",\"" : "\"", any ? 2 : 1);
		if (j < l->nf)
			put(S.prefix, S.plen);
		put(k, kn);
		put("\":", 2);
		put(v, vn);
		any = 1;
	}
	putstr("}");
	end_row();
}

/* ---- sources ---- */

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

static void
log_fail(const struct logsrc *g, uint32_t p)
{
	flush_out();
	errx(1, "%s: partition %u: %s", g->log->path, p,
	    mlog_strerror(errno));
}

static struct logsrc *
log_open(const char *path, const char *group, int follow)
{
	const char *why;
	struct logsrc *g;
	uint32_t p, n;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		err(1, NULL);
	if ((g->log = mlog_log_open(path, 0, NULL)) == NULL)
		errx(1, "%s: %s", path, mlog_strerror(errno));
	if ((why = mlog_log_exposure(path)) != NULL)
		warnx("%s: warning: log directory %s", path, why);
	n = g->log->partitions;
	if ((g->r = calloc(n, sizeof(*g->r))) == NULL ||
	    (g->cur = calloc(n, sizeof(*g->cur))) == NULL ||
	    (g->has = calloc(n, sizeof(*g->has))) == NULL ||
	    (g->next = calloc(n, sizeof(*g->next))) == NULL)
		err(1, NULL);
	if (group != NULL) {
		if (!mlog_group_name_valid(group))
			errx(2, "--group: invalid name (%s): %s",
			    MLOG_GROUP_NAME_RULES, group);
		if (mlog_offsets_group(g->log, group, 1, &g->store) < 0 ||
		    mlog_offsets_load(&g->store, 0, g->next, n) < 0)
			errx(1, "%s: group %s: %s", path, group,
			    mlog_strerror(errno));
		g->grouped = 1;
	}
	for (p = 0; p < n; p++) {
		if ((g->r[p] = mlog_reader_open(g->log->partfd[p], p)) ==
		    NULL)
			log_fail(g, p);
		mlog_reader_on_gap(g->r[p], deleted, (void *)path);
		if (g->grouped && g->next[p] != MLOG_OFFSET_NONE &&
		    mlog_reader_seek_offset(g->r[p], (uint64_t)g->next[p]) <
		    0)
			log_fail(g, p);
	}
	if (follow && (g->watch = mlog_watch_open(g->log)) == NULL)
		err(1, "%s: inotify", path);
	return g;
}

/* The oldest record available in any partition: 1, or 0 for none now. */
static int
log_next(struct logsrc *g, struct mlog_record **rec)
{
	uint32_t p, best = UINT32_MAX;
	int r;

	for (p = 0; p < g->log->partitions; p++) {
		if (!g->has[p]) {
			if ((r = mlog_reader_next(g->r[p], &g->cur[p])) < 0)
				log_fail(g, p);
			g->has[p] = r;
		}
		if (g->has[p] && (best == UINT32_MAX || g->cur[p].timestamp <
		    g->cur[best].timestamp))
			best = p;
	}
	if (best == UINT32_MAX)
		return 0;
	g->has[best] = 0;
	g->next[best] = (int64_t)g->cur[best].offset + 1;
	*rec = &g->cur[best];
	return 1;
}

static void
log_commit(struct logsrc *g)
{
	if (g != NULL && g->grouped && mlog_offsets_store(&g->store, 0,
	    g->next, g->log->partitions) < 0)
		errx(1, "%s: committing the group's position: %s",
		    g->log->path, mlog_strerror(errno));
}

/* Where a log record is, for messages: "LOG: partition P offset N". */
static void
log_where(struct side *sd, const struct mlog_record *rec)
{
	sd->src.name = sd->lg->log->path;
	sd->src.logpart = rec->partition + 1;
	sd->src.lineno = rec->offset;
}

static int
is_dir(const char *path)
{
	struct stat sb;

	return strcmp(path, "-") != 0 && stat(path, &sb) == 0 &&
	    S_ISDIR(sb.st_mode);
}

/* ---- keys and times ---- */

/* Evaluate the side's key: 0 (sd->key NULL when null or missing), or -1
 * with the record noted. */
static int
eval_key(struct side *sd, struct mlog_expr *e, const char *src,
    const struct mlog_jdoc *d)
{
	struct mlog_value v;
	char why[600];

	if (mlog_expr_value(e, d, 1, &v) < 0) {
		snprintf(why, sizeof(why), "%s: %s", src, mlog_expr_error(e));
		if (mlog_bad_note(&S.bad, &sd->src, 1, why, sd->line,
		    sd->len) < 0)
			stop();
		return -1;
	}
	if (v.type == MLOG_V_NONE || v.type == MLOG_V_NULL) {
		sd->key = NULL;
		sd->kn = 0;
	} else {
		sd->key = v.json;
		sd->kn = v.jn;
	}
	return 0;
}

static int
eval_time(struct side *sd)
{
	struct mlog_value v;
	char why[600];
	int form;

	if (mlog_expr_value(sd->time, sd->doc, 0, &v) < 0) {
		snprintf(why, sizeof(why), "%s: %s", sd->timesrc,
		    mlog_expr_error(sd->time));
		if (mlog_bad_note(&S.bad, &sd->src, 1, why, sd->line,
		    sd->len) < 0)
			stop();
		return -1;
	}
	if (v.type == MLOG_V_NONE || v.type == MLOG_V_NULL)
		snprintf(why, sizeof(why), "missing time (%s)", sd->timesrc);
	else if (mlog_value_time(&v, S.unit, &sd->tc, &sd->t, &form) == 0 &&
	    sd->t > -MAXTIME && sd->t < MAXTIME)
		return 0;
	else
		snprintf(why, sizeof(why), "bad time (%s): %s", sd->timesrc,
		    mlog_expr_describe(sd->time));
	if (mlog_bad_note(&S.bad, &sd->src, 0, why, sd->line, sd->len) < 0)
		stop();
	return -1;
}

/* Merging needs objects. */
static int
check_object(struct side *sd)
{
	if (S.nest[0] != NULL || S.kind == K_ANTI || sd->doc->p[0] == '{')
		return 0;
	if (mlog_bad_note(&S.bad, &sd->src, 1, "not an object (mjoin merges "
	    "objects; --nest joins any values)", sd->line, sd->len) < 0)
		stop();
	return -1;
}

/* ---- the table ---- */

static int
value_emit(void *arg, const unsigned char *p, size_t n)
{
	(void)arg;
	if (S.vset)
		return 0;
	if (n > S.vcap) {
		free(S.vbuf);
		if ((S.vbuf = malloc(n)) == NULL)
			err(1, NULL);
		S.vcap = n;
	}
	memcpy(S.vbuf, p, n);
	S.vlen = n;
	S.vset = 1;
	return 0;
}

/* A log record key as a canonical JSON key: its JSON value when it is
 * one, else a string. */
static int
log_key(struct side *sd, const unsigned char *k, size_t n)
{
	struct mlog_jdoc d = { 0 };
	struct mlog_value v;
	unsigned char *q = NULL;
	const char *why;
	size_t col, i, o = 0;
	int r = -1;

	if (mlog_json_scan(&d, k, n, &why, &col) < 0) {
		/* not JSON: the bytes as a string, which the scan and the
		 * canonical print below write as jq -c would */
		if (mlog_utf8_check(k, n) != n)
			return -1;
		if ((q = malloc(n * 6 + 2)) == NULL)
			err(1, NULL);
		q[o++] = '"';
		for (i = 0; i < n; i++) {
			if (k[i] == '"' || k[i] == '\\') {
				q[o++] = '\\';
				q[o++] = k[i];
			} else if (k[i] < 0x20 || k[i] == 0x7f)
				o += (size_t)snprintf((char *)q + o, 7,
				    "\\u%04x", k[i]);
			else
				q[o++] = k[i];
		}
		q[o++] = '"';
		if (mlog_json_scan(&d, q, o, &why, &col) < 0)
			goto out;
	}
	if (mlog_expr_value(S.ident, &d, 1, &v) == 0 &&
	    v.type != MLOG_V_NONE) {
		if (v.jn > S.kcap) {
			free(S.kbuf);
			if ((S.kbuf = malloc(S.kcap = v.jn)) == NULL)
				err(1, NULL);
		}
		memcpy(S.kbuf, v.json, v.jn);
		sd->key = v.type == MLOG_V_NULL ? NULL : S.kbuf;
		sd->kn = v.jn;
		r = 0;
	}
out:
	mlog_jdoc_free(&d);
	free(q);
	return r;
}

/* Apply one table record (sd->doc, line): set or delete its key. */
static void
table_apply(struct side *sd, const struct mlog_record *rec)
{
	const unsigned char *vp;
	size_t vn;
	char why[600];
	int r;

	if (rec != NULL && rec->has_key && S.tkeysrc == NULL) {
		if (log_key(sd, rec->key, rec->keylen) < 0) {
			if (mlog_bad_note(&S.bad, &sd->src, 0, "the record key "
			    "is not UTF-8", sd->line, sd->len) < 0)
				stop();
			return;
		}
	} else if (eval_key(sd, S.tkey, S.tkeysrc != NULL ? S.tkeysrc :
	    S.L.onsrc, sd->doc) < 0)
		return;
	if (sd->key == NULL)
		return;
	if (S.tval != NULL) {
		S.vset = 0;
		if ((r = mlog_expr_run(S.tval, sd->doc, 0, value_emit, NULL)) <
		    0) {
			snprintf(why, sizeof(why), "%s: %s", S.tvalsrc,
			    mlog_expr_error(S.tval));
			if (mlog_bad_note(&S.bad, &sd->src, 1, why, sd->line,
			    sd->len) < 0)
				stop();
			return;
		}
		if (!S.vset)
			return;
		vp = S.vbuf;
		vn = S.vlen;
	} else {
		vp = sd->doc->p;
		vn = sd->doc->n;
	}
	if (vn == 4 && memcmp(vp, "null", 4) == 0) {
		mlog_jstore_delete(S.rs, sd->key, sd->kn);
		return;
	}
	if (S.nest[0] == NULL && S.kind != K_ANTI && vp[0] != '{') {
		if (mlog_bad_note(&S.bad, &sd->src, 1, "the table value is not "
		    "an object (mjoin merges objects; --nest joins any values)",
		    sd->line, sd->len) < 0)
			stop();
		return;
	}
	if (mlog_jstore_add(S.rs, sd->key, sd->kn, 0, vp, vn, 1) == NULL)
		err(1, NULL);
}

/* A log record as the side's current record; -1 when it is bad (noted). */
static int
log_record(struct side *sd, const struct mlog_record *rec)
{
	const char *why;
	char msg[300];
	size_t col;

	log_where(sd, rec);
	sd->line = rec->value;
	sd->len = rec->valuelen;
	if (rec->null_value || rec->valuelen == 0) {
		static const struct mlog_jdoc nulldoc = {
			.p = (const unsigned char *)"null", .n = 4 };
		sd->doc = &nulldoc;
		return 0;
	}
	if (mlog_json_scan(&sd->ldoc, rec->value, rec->valuelen, &why,
	    &col) < 0) {
		snprintf(msg, sizeof(msg), "invalid JSON at column %zu: %s",
		    col, why);
		if (mlog_bad_note(&S.bad, &sd->src, 0, msg, rec->value,
		    rec->valuelen) < 0)
			stop();
		return -1;
	}
	sd->doc = &sd->ldoc;
	return 0;
}

/* Apply what the table's log has now. */
static void
table_pump(struct side *sd)
{
	struct mlog_record *rec;

	while (log_next(sd->lg, &rec)) {
		S.trecs++;
		if (log_record(sd, rec) == 0)
			table_apply(sd, rec);
	}
}

static int
view_row(void *arg, const char *k, size_t kn, const char *v, size_t vn)
{
	struct side *sd = arg;
	const unsigned char *vp = (const unsigned char *)v;

	S.trecs++;
	if (S.nest[0] == NULL && S.kind != K_ANTI && (vn == 0 ||
	    vp[0] != '{')) {
		sd->src.lineno = S.trecs;
		sd->line = vp;
		sd->len = vn;
		if (mlog_bad_note(&S.bad, &sd->src, 1, "the view's value is "
		    "not an object (mjoin merges objects; --nest joins any "
		    "values)", vp, vn) < 0)
			stop();
		return 0;
	}
	if (mlog_jstore_add(S.rs, k, kn, 0, vp, vn, 1) == NULL)
		err(1, NULL);
	return 0;
}

static void
table_load(const char *path, int follow)
{
	struct side *sd = &S.T;
	const char *why;
	int r;

	sd->role = "table";
	if (is_dir(path)) {
		sd->lg = log_open(path, NULL, follow);
		table_pump(sd);
		if (follow)
			S.follow = sd->lg;
		return;
	}
	if (follow)
		errx(2, "--follow-table: %s is not a log", path);
	if (strcmp(path, "-") != 0 && (r = mlog_view_is_db(path)) != 0) {
		if (r < 0)
			err(1, "%s", path);
		sd->src.name = path;
		if (mlog_view_scan(path, view_row, sd) < 0)
			errx(1, "%s: %s", path, mlog_view_error(NULL));
		return;
	}
	if (mlog_src_open(&sd->src, path) < 0)
		err(1, "%s", path);
	while ((r = mlog_src_next(&sd->src, &sd->line, &sd->len, &why)) > 0) {
		S.trecs++;
		if (r == 2) {
			if (mlog_bad_note(&S.bad, &sd->src, 0, why, sd->line,
			    sd->len) < 0)
				stop();
			continue;
		}
		sd->doc = &sd->src.doc;
		table_apply(sd, NULL);
	}
	if (r < 0)
		err(1, "%s", path);
	mlog_src_close(&sd->src);
}

/* ---- waiting ---- */

/*
 * Wait for fd (or -1: only the table's log and signals) for at most
 * timeout us (-1: no limit).  1 when fd is readable, 0 at the timeout, -1
 * when a signal came.  New records of a followed table are applied
 * meanwhile.
 */
static int
wait_fd(int fd, int64_t timeout)
{
	struct pollfd pfd[2];
	struct timespec ts;
	sigset_t old;
	int64_t until = timeout >= 0 ? mlog_now_us() + timeout : 0, left;
	nfds_t n;
	int r;

	flush_out();
	for (;;) {
		n = 0;
		if (fd >= 0) {
			pfd[n].fd = fd;
			pfd[n++].events = POLLIN;
		}
		if (S.follow != NULL) {
			pfd[n].fd = mlog_watch_fd(S.follow->watch);
			pfd[n++].events = POLLIN;
		}
		if (timeout >= 0) {
			left = until - mlog_now_us();
			if (left < 0)
				left = 0;
			ts.tv_sec = left / 1000000;
			ts.tv_nsec = left % 1000000 * 1000;
		}
		sigprocmask(SIG_BLOCK, &S.sigs, &old);
		r = S.sig ? -1 : ppoll(pfd, n, timeout >= 0 ? &ts : NULL,
		    &old);
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (S.sig)
			return -1;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		if (r == 0)
			return 0;
		if (S.follow != NULL && pfd[n - 1].revents != 0) {
			if (mlog_watch_drain(S.follow->watch) < 0)
				err(1, "inotify");
			table_pump(&S.T);
		}
		if (fd >= 0 && pfd[0].revents != 0)
			return 1;
	}
}

/* Before a read blocks.  1 ends the input there for now. */
static int
would_block(void *arg)
{
	struct side *sd = arg;

	if (S.nonblock) {
		flush_out();
		return 1;
	}
	return wait_fd(sd->src.fd, -1) == 1 ? 0 : 1;
}

/* ---- reading ahead ---- */

/*
 * Read the side's next good record: 1 when one is ready, 0 at the end of
 * the side, 2 when nothing can be read now (S.nonblock) or a signal came.
 */
static int
side_fill(struct side *sd)
{
	struct mlog_record *rec;
	const char *why;
	int r;

	for (;;) {
		if (sd->lg != NULL) {
			if (!log_next(sd->lg, &rec)) {
				sd->eof = 1;
				return 0;
			}
			if (sd == &S.L)
				S.lrecs++;
			else
				S.rrecs++;
			if (log_record(sd, rec) < 0)
				continue;
		} else {
			if (sd->src.fd < 0) {
				if (sd->fi == sd->nfiles) {
					sd->eof = 1;
					return 0;
				}
				if (mlog_src_open(&sd->src,
				    sd->files[sd->fi++]) < 0) {
					flush_out();
					warn("%s", sd->files[sd->fi - 1]);
					S.status = 1;
					sd->src.fd = -1;
					continue;
				}
			}
			r = mlog_src_next(&sd->src, &sd->line, &sd->len, &why);
			if (r == 0 && sd->src.halt) {
				sd->src.halt = 0;
				return 2;
			}
			if (r < 0) {
				flush_out();
				err(1, "%s", sd->src.name != NULL ?
				    sd->src.name : "stdin");
			}
			if (r == 0) {
				mlog_src_close(&sd->src);
				sd->src.fd = -1;
				continue;
			}
			if (sd == &S.L)
				S.lrecs++;
			else
				S.rrecs++;
			if (r == 2) {
				if (mlog_bad_note(&S.bad, &sd->src, 0, why,
				    sd->line, sd->len) < 0)
					stop();
				continue;
			}
			sd->doc = &sd->src.doc;
		}
		if (check_object(sd) < 0 || (sd->time != NULL &&
		    eval_time(sd) < 0) || eval_key(sd, sd->on, sd->onsrc,
		    sd->doc) < 0)
			continue;
		sd->have = 1;
		sd->stalled = 0;
		sd->stall0 = 0;
		return 1;
	}
}

/* ---- stream-table ---- */

/*
 * Stream records are looked up in batches: a big table does not fit in
 * the caches, and a lookup waits on memory twice (the slot, then the key
 * with its record).  Each record is copied aside with its key's hash and
 * its slot prefetched; the batch then prefetches the keys, and only then
 * looks them up, so the waits overlap.
 */
#define BATCH	16

struct item {
	unsigned char		*line;		/* the record's line */
	size_t			 ln, cap;
	size_t			 off, n;	/* its JSON text in it */
	struct mlog_jfield	*f;
	size_t			 nf, fcap;
	unsigned char		*key;		/* NULL: no key */
	size_t			 kn, kcap;
	uint64_t		 h;
};

static struct item batch[BATCH];
static size_t nbatch;

static void *
grow_to(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	if ((p = reallocarray(p, need * 2, size)) == NULL)
		err(1, NULL);
	*cap = need * 2;
	return p;
}

static void
batch_run(void)
{
	struct mlog_jkey *k;
	struct item *it;
	struct rv l, r;
	size_t i;

	for (i = 0; i < nbatch; i++)
		if (batch[i].key != NULL)
			mlog_jstore_prefetch(S.rs, batch[i].h, 1);
	for (i = 0; i < nbatch; i++) {
		it = &batch[i];
		k = it->key != NULL ? mlog_jstore_find_hashed(S.rs, it->h,
		    it->key, it->kn) : NULL;
		l.p = it->line + it->off;
		l.n = it->n;
		l.nf = it->nf;
		l.jf = it->f;
		l.of = NULL;
		l.line = it->line;
		l.ln = it->ln;
		if (k != NULL) {
			S.pairs++;
			if (S.kind == K_ANTI)
				continue;
			rv_rec(&r, k->head);
			row(&l, &r);
		} else if (S.kind == K_LEFT || S.kind == K_ANTI)
			row(&l, NULL);
	}
	nbatch = 0;
}

static void
table_record(struct side *sd)
{
	const struct mlog_jdoc *d = sd->doc;
	struct item *it = &batch[nbatch++];
	size_t i;

	const unsigned char *line = LINE(sd);

	it->ln = LEN(sd);
	it->line = grow_to(it->line, &it->cap, it->ln, 1);
	memcpy(it->line, line, it->ln);
	it->off = (size_t)(d->p - line);
	it->n = d->n;
	it->f = grow_to(it->f, &it->fcap, d->nf, sizeof(*it->f));
	for (i = 0; i < d->nf; i++) {
		/* the same members, in the copy */
		it->f[i] = d->f[i];
		it->f[i].key = it->line + (d->f[i].key - line);
		it->f[i].val = it->line + (d->f[i].val - line);
	}
	it->nf = d->nf;
	if (sd->key != NULL) {
		it->key = grow_to(it->key, &it->kcap, sd->kn, 1);
		memcpy(it->key, sd->key, sd->kn);
		it->kn = sd->kn;
		it->h = mlog_jstore_hash(S.rs, it->key, it->kn);
		mlog_jstore_prefetch(S.rs, it->h, 0);
	} else {
		free(it->key);
		it->key = NULL;
		it->kcap = 0;
	}
	if (nbatch == BATCH)
		batch_run();
}

static void
run_table(void)
{
	uint64_t n = 0;
	struct pollfd pfd;
	int r;

	while (!S.sig && (r = side_fill(&S.L)) != 0) {
		if (r == 2)
			break;		/* a signal */
		table_record(&S.L);
		S.L.have = 0;
		if (S.follow != NULL && ++n % PUMP_EVERY == 0) {
			pfd.fd = mlog_watch_fd(S.follow->watch);
			pfd.events = POLLIN;
			if (poll(&pfd, 1, 0) > 0) {
				batch_run();
				if (mlog_watch_drain(S.follow->watch) < 0)
					err(1, "inotify");
				table_pump(&S.T);
			}
		}
	}
	batch_run();
}

/* ---- interval joins ---- */


static void
pair(const struct mlog_jrec *lr, struct side *sd, const struct mlog_jrec *rr)
{
	struct rv a, b;

	S.pairs++;
	if (S.kind == K_ANTI)
		return;
	if (lr != NULL) {
		rv_rec(&a, lr);
	} else
		rv_side(&a, &S.L);
	if (rr != NULL)
		rv_rec(&b, rr);
	else
		rv_side(&b, sd);
	row(&a, &b);
}

/* Drop what no later record can match; unmatched ones are written when
 * the join keeps them. */
static void
evict(int64_t wm)
{
	struct mlog_jrec *x;
	struct rv v;

	while ((x = mlog_jstore_oldest(S.ls)) != NULL &&
	    (wm == INT64_MAX || x->t + S.after < wm)) {
		if (!x->matched && S.kind != K_INNER) {
			rv_rec(&v, x);
			row(&v, NULL);
		}
		mlog_jstore_remove(S.ls, x);
	}
	while ((x = mlog_jstore_oldest(S.rs)) != NULL &&
	    (wm == INT64_MAX || x->t + S.before < wm)) {
		if (!x->matched && S.kind == K_OUTER) {
			rv_rec(&v, x);
			row(NULL, &v);
		}
		mlog_jstore_remove(S.rs, x);
	}
}

/* Count a record older than stream time less --grace; remember where the
 * first was. */
static void
note_late(const struct side *sd)
{
	const struct mlog_src *w = &sd->src;

	if (sd->t >= S.st - S.grace || S.late++ > 0)
		return;
	if (w->logpart > 0)
		snprintf(S.firstlate, sizeof(S.firstlate), "%.250s: partition "
		    "%u offset %" PRIu64, w->name, w->logpart - 1, w->lineno);
	else if (w->name != NULL)
		snprintf(S.firstlate, sizeof(S.firstlate), "%.250s:%" PRIu64,
		    w->name, w->lineno);
	else
		snprintf(S.firstlate, sizeof(S.firstlate), "line %" PRIu64,
		    w->lineno);
}

static void
interval_record(struct side *sd)
{
	struct mlog_jkey *k;
	struct mlog_jrec *x, *self;
	struct rv v;
	int left = sd == &S.L, matched = 0;

	note_late(sd);
	if (sd->t > S.st)
		S.st = sd->t;
	if (sd->key != NULL &&
	    (k = mlog_jstore_find(left ? S.rs : S.ls, sd->key, sd->kn)) !=
	    NULL) {
		for (x = k->head; x != NULL; x = x->knext) {
			int64_t l = left ? sd->t : x->t;
			int64_t r = left ? x->t : sd->t;
			if (r < l - S.before || r > l + S.after)
				continue;
			x->matched = matched = 1;
			if (left)
				pair(NULL, sd, x);
			else
				pair(x, sd, NULL);
		}
	}
	if (sd->key == NULL) {
		/* no partner ever: out at once when kept */
		rv_side(&v, sd);
		if (left && S.kind != K_INNER)
			row(&v, NULL);
		else if (!left && S.kind == K_OUTER)
			row(NULL, &v);
	} else {
		if ((self = mlog_jstore_add(left ? S.ls : S.rs, sd->key,
		    sd->kn, sd->t, LINE(sd), LEN(sd), 0)) == NULL)
			err(1, NULL);
		self->matched = matched;
	}
	evict(S.st - S.grace);
}

/* ---- as-of joins ---- */

static void
held_free(struct mlog_jrec *x)
{
	struct held *h = (struct held *)x->aux;

	if (h != NULL) {
		mlog_jstore_remove(S.held, h->copy);
		free(h);
		x->aux = NULL;
	}
}

/* A waiting record is settled: with a partner (or NULL). */
static void
settle(struct mlog_jrec *x, const struct mlog_jrec *partner)
{
	struct rv a, b;

	rv_rec(&a, x);
	if (partner != NULL) {
		S.pairs++;
		if (S.kind != K_ANTI) {
			rv_rec(&b, partner);
			row(&a, &b);
		}
	} else if (S.kind != K_INNER)
		row(&a, NULL);
	held_free(x);
	mlog_jstore_remove(S.ls, x);
}

/* The back version of a waiting nearest record, if any. */
static const struct mlog_jrec *
held_of(const struct mlog_jrec *x)
{
	const struct held *h = (const struct held *)x->aux;

	return h != NULL ? h->copy : NULL;
}

/* Settle the waiting records whose answer can no longer change. */
static void
asof_expire(int64_t wm, int all)
{
	struct mlog_jrec *x, *next;
	const struct mlog_jrec *b;

	for (x = mlog_jstore_oldest(S.ls); x != NULL; x = next) {
		next = x->qnext;
		b = held_of(x);
		if (all || (S.tol >= 0 && wm > x->t + S.tol) ||
		    (b != NULL && wm >= x->t + (x->t - b->t)))
			settle(x, b);
	}
}

/* Versions of a key that no record can want any more go. */
static void
prune_versions(struct mlog_jkey *k, int64_t wm)
{
	while (k->head != NULL && k->head->knext != NULL &&
	    k->head->t <= k->head->knext->t && k->head->knext->t <= wm)
		mlog_jstore_remove(S.rs, k->head);
}

static void
asof_left(struct side *sd)
{
	struct mlog_jkey *k = NULL;
	struct mlog_jrec *x, *back = NULL, *fwd = NULL, *self;
	struct held *h;
	struct rv l, r;
	int64_t t = sd->t;

	if (sd->key != NULL)
		k = mlog_jstore_find(S.rs, sd->key, sd->kn);
	for (x = k != NULL ? k->head : NULL; x != NULL; x = x->knext) {
		if (x->t <= t && (S.tol < 0 || t - x->t <= S.tol) &&
		    (back == NULL || x->t >= back->t))
			back = x;
		if (x->t >= t && (S.tol < 0 || x->t - t <= S.tol) &&
		    (fwd == NULL || x->t < fwd->t))
			fwd = x;
	}
	rv_side(&l, sd);
	if (S.asof == AS_NEAREST && back != NULL && fwd != NULL)
		x = t - back->t <= fwd->t - t ? back : fwd;
	else
		x = S.asof == AS_BACKWARD ? back : S.asof == AS_FORWARD ? fwd :
		    back != NULL && back->t == t ? back : fwd;
	if (x != NULL) {
		S.pairs++;
		if (S.kind != K_ANTI) {
			rv_rec(&r, x);
			row(&l, &r);
		}
		return;
	}
	if (S.asof == AS_BACKWARD || sd->key == NULL) {
		if (S.kind != K_INNER)
			row(&l, NULL);
		return;
	}
	/* forward, nearest: wait for a later version */
	if ((self = mlog_jstore_add(S.ls, sd->key, sd->kn, t, LINE(sd),
	    LEN(sd), 0)) == NULL)
		err(1, NULL);
	self->aux = NULL;
	if (S.asof == AS_NEAREST && back != NULL) {
		if ((h = malloc(sizeof(*h))) == NULL ||
		    (h->copy = mlog_jstore_add(S.held, &self, sizeof(self),
		    back->t, back->data, back->len, 0)) == NULL)
			err(1, NULL);
		h->t = back->t;
		self->aux = h;
	}
}

static void
asof_right(struct side *sd)
{
	struct mlog_jkey *k;
	struct mlog_jrec *x, *next, *ver;
	const struct mlog_jrec *b;

	if (sd->key == NULL)
		return;
	if ((ver = mlog_jstore_add(S.rs, sd->key, sd->kn, sd->t, LINE(sd),
	    LEN(sd), 0)) == NULL)
		err(1, NULL);
	if (S.asof != AS_BACKWARD &&
	    (k = mlog_jstore_find(S.ls, sd->key, sd->kn)) != NULL) {
		for (x = k->head; x != NULL; x = next) {
			next = x->knext;
			if (sd->t < x->t || (S.tol >= 0 && sd->t - x->t >
			    S.tol))
				continue;
			b = held_of(x);
			settle(x, b != NULL && x->t - b->t <= sd->t - x->t ?
			    b : ver);
		}
	}
	prune_versions(ver->key, S.st - S.grace);
}

static void
asof_record(struct side *sd)
{
	note_late(sd);
	if (sd->t > S.st)
		S.st = sd->t;
	if (sd == &S.L)
		asof_left(sd);
	else
		asof_right(sd);
	if (S.asof != AS_BACKWARD)
		asof_expire(S.st - S.grace, 0);
}

/* ---- merging the two streams by event time ---- */

/* Which read-ahead record goes first; NULL when neither is ready. */
static struct side *
first(void)
{
	struct side *l = &S.L, *r = &S.R;

	if (!l->have)
		return r->have ? r : NULL;
	if (!r->have)
		return l;
	if (l->t != r->t)
		return l->t < r->t ? l : r;
	/* at the same time a version is current (as-of) before the record
	 * looks it up; otherwise the stream's record goes first */
	return S.mode == M_ASOF && S.asof != AS_FORWARD ? r : l;
}

static void
run_streams(void)
{
	struct side *sd[2] = { &S.L, &S.R }, *x, *w;
	struct pollfd pfd[2];
	sigset_t old;
	int i, r, waiting;
	int64_t now, due;

	while (!S.sig) {
		/* read ahead what is there without waiting */
		S.nonblock = 1;
		waiting = 0;
		for (i = 0; i < 2; i++)
			if (!sd[i]->have && !sd[i]->eof &&
			    side_fill(sd[i]) == 2)
				waiting |= 1 << i;
		S.nonblock = 0;
		if (waiting == 3) {
			/* nothing from either: wait for both */
			flush_out();
			pfd[0].fd = S.L.src.fd;
			pfd[1].fd = S.R.src.fd;
			pfd[0].events = pfd[1].events = POLLIN;
			sigprocmask(SIG_BLOCK, &S.sigs, &old);
			r = S.sig ? 0 : ppoll(pfd, 2, NULL, &old);
			sigprocmask(SIG_SETMASK, &old, NULL);
			if (r < 0 && errno != EINTR)
				err(1, "poll");
			continue;
		}
		if (waiting != 0) {
			/* the merge needs the silent side's next record; with
			 * --idle it goes on without it after that long */
			w = sd[waiting == 1 ? 0 : 1];
			x = sd[waiting == 1 ? 1 : 0];
			if (!x->have || S.idle <= 0) {
				if (wait_fd(w->src.fd, -1) < 0)
					return;
				continue;
			}
			if (!w->stalled) {
				now = mlog_now_us();
				if (w->stall0 == 0)
					w->stall0 = now;
				due = w->stall0 + S.idle - now;
				if ((r = wait_fd(w->src.fd, due > 0 ? due :
				    0)) < 0)
					return;
				if (r == 1)
					continue;
				w->stalled = 1;
			}
		} else if ((x = first()) == NULL)
			return;			/* both ended */
		if (S.mode == M_INTERVAL)
			interval_record(x);
		else
			asof_record(x);
		x->have = 0;
	}
}

/* ---- the end ---- */

static void
summary(void)
{
	char sum[1200], *l, *save = NULL;

	if (S.stats) {
		if (S.mode == M_TABLE)
			fprintf(stderr, "mjoin: %" PRIu64 " records, %" PRIu64
			    " table records (%zu keys): %" PRIu64 " matched, %"
			    PRIu64 " rows, %" PRIu64 " bad, %" PRIu64
			    " errors\n", S.lrecs, S.trecs,
			    mlog_jstore_keys(S.rs), S.pairs, S.rows, S.bad.bad,
			    S.bad.errors);
		else
			fprintf(stderr, "mjoin: %" PRIu64 " records, %" PRIu64
			    " right records: %" PRIu64 " pairs, %" PRIu64
			    " rows, %" PRIu64 " late, %" PRIu64 " bad, %"
			    PRIu64 " errors\n", S.lrecs, S.rrecs, S.pairs,
			    S.rows, S.late, S.bad.bad, S.bad.errors);
	}
	if (S.late > 0)
		warnx("%" PRIu64 " late record%s (older than stream time less "
		    "--grace; partners already let go were missed); first at "
		    "%s", S.late, S.late == 1 ? "" : "s", S.firstlate);
	mlog_bad_summary(&S.bad, sum, sizeof(sum));
	for (l = strtok_r(sum, "\n", &save); l != NULL;
	    l = strtok_r(NULL, "\n", &save))
		warnx("%s", l);
}

static _Noreturn void
finish(void)
{
	struct side *x;

	/* a signal: the records read ahead are joined, as at the end */
	while (S.mode != M_TABLE && (x = first()) != NULL) {
		if (S.mode == M_INTERVAL)
			interval_record(x);
		else
			asof_record(x);
		x->have = 0;
	}
	if (S.mode == M_INTERVAL)
		evict(INT64_MAX);
	else if (S.mode == M_ASOF && S.asof != AS_BACKWARD)
		asof_expire(0, 1);
	flush_out();
	if (S.R.lg != NULL && S.status == 0)
		log_commit(S.R.lg);
	summary();
	exit(S.status);
}

/* ---- options ---- */

enum {
	O_TABLE = 't', O_RIGHT = 'r', O_ON = 'k', O_WITHIN = 'w',
	O_GROUP = 'g', O_MAXREC = 'm', O_HELP = 'h',
	O_FROM = 'F', O_INFER = 'I', O_BAD = 'B', O_STRICT = 'S',
	O_TKEY = 256, O_TVAL, O_FOLLOW, O_RON, O_TIME, O_RTIME, O_UNIT,
	O_BEFORE, O_AFTER, O_GRACE, O_ASOF, O_TOL, O_IDLE, O_LEFT, O_OUTER,
	O_ANTI, O_PREFIX, O_NEST, O_STATS
};

/* Text that goes into a member name as it is. */
static int
plain_name(const char *s)
{
	const unsigned char *p;
	size_t n = strlen(s);

	if (n == 0 || mlog_utf8_check((const unsigned char *)s, n) != n)
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
			return 0;
	return 1;
}

/* The stream is standard input, or one of its files is. */
static int
stdin_operand(int argc, char *argv[])
{
	int i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "-") == 0)
			return 1;
	return argc == 0;
}

static void
set_kind(int kind, const char *opt)
{
	if (S.kind != K_INNER && S.kind != kind)
		errx(2, "%s: only one of --left, --outer and --anti", opt);
	S.kind = kind;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "table",		required_argument,	NULL, O_TABLE },
		{ "table-key",		required_argument,	NULL, O_TKEY },
		{ "table-value",	required_argument,	NULL, O_TVAL },
		{ "follow-table",	required_argument,	NULL, O_FOLLOW },
		{ "right",		required_argument,	NULL, O_RIGHT },
		{ "on",			required_argument,	NULL, O_ON },
		{ "right-on",		required_argument,	NULL, O_RON },
		{ "time",		required_argument,	NULL, O_TIME },
		{ "right-time",		required_argument,	NULL, O_RTIME },
		{ "time-unit",		required_argument,	NULL, O_UNIT },
		{ "within",		required_argument,	NULL, O_WITHIN },
		{ "before",		required_argument,	NULL, O_BEFORE },
		{ "after",		required_argument,	NULL, O_AFTER },
		{ "grace",		required_argument,	NULL, O_GRACE },
		{ "asof",		required_argument,	NULL, O_ASOF },
		{ "tolerance",		required_argument,	NULL, O_TOL },
		{ "idle",		required_argument,	NULL, O_IDLE },
		{ "group",		required_argument,	NULL, O_GROUP },
		{ "left",		no_argument,		NULL, O_LEFT },
		{ "outer",		no_argument,		NULL, O_OUTER },
		{ "anti",		no_argument,		NULL, O_ANTI },
		{ "prefix-right",	required_argument,	NULL, O_PREFIX },
		{ "nest",		required_argument,	NULL, O_NEST },
		{ "stats",		no_argument,		NULL, O_STATS },
		{ "max-record",		required_argument,	NULL, O_MAXREC },
		{ "from",		required_argument,	NULL, O_FROM },
		{ "infer",		no_argument,		NULL, O_INFER },
		{ "bad",		required_argument,	NULL, O_BAD },
		{ "strict",		no_argument,		NULL, O_STRICT },
		{ "help",		no_argument,		NULL, O_HELP },
		{ NULL,			0,			NULL, 0 }
	};
	static const char *const units[] = { "", "", "s", "ms", "us", "ns" };
	const char *table = NULL, *right = NULL, *follow = NULL, *group = NULL;
	const char *ron = NULL, *rtime = NULL, *within = NULL, *comma;
	const char *before = NULL, *after = NULL;
	char msg[300];
	int ch, r, lim, graceset = 0;
	size_t i;
	struct sigaction sa;

	S.L.src.maxrec = 1024 * 1024;
	S.bad.fd = -1;
	S.tol = -1;
	S.st = -MAXTIME;		/* before any time a record can have */
	S.L.src.fd = S.R.src.fd = S.T.src.fd = -1;
	lim = mlog_expr_optlimit(argc, argv, "g:hk:m:r:t:w:", longopts, NULL);
	while ((ch = getopt_long(lim, argv, "g:hk:m:r:t:w:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case O_TABLE:
			table = optarg;
			break;
		case O_TKEY:
			S.tkeysrc = optarg;
			break;
		case O_TVAL:
			S.tvalsrc = optarg;
			break;
		case O_FOLLOW:
			follow = optarg;
			break;
		case O_RIGHT:
			right = optarg;
			break;
		case O_ON:
			S.L.onsrc = optarg;
			break;
		case O_RON:
			ron = optarg;
			break;
		case O_TIME:
			S.L.timesrc = optarg;
			break;
		case O_RTIME:
			rtime = optarg;
			break;
		case O_UNIT:
			for (i = 2; i < 6; i++)
				if (strcmp(optarg, units[i]) == 0)
					break;
			if (i == 6)
				errx(2, "--time-unit: '%s' is not s, ms, us "
				    "or ns", optarg);
			S.unit = (int)i;
			break;
		case O_WITHIN:
			within = optarg;
			break;
		case O_BEFORE:
			before = optarg;
			break;
		case O_AFTER:
			after = optarg;
			break;
		case O_GRACE:
			S.grace = duration("--grace", optarg, 1);
			graceset = 1;
			break;
		case O_ASOF:
			if (strcmp(optarg, "backward") == 0)
				S.asof = AS_BACKWARD;
			else if (strcmp(optarg, "forward") == 0)
				S.asof = AS_FORWARD;
			else if (strcmp(optarg, "nearest") == 0)
				S.asof = AS_NEAREST;
			else
				errx(2, "--asof: '%s' is not backward, forward "
				    "or nearest", optarg);
			S.mode = M_ASOF;
			break;
		case O_TOL:
			S.tol = duration("--tolerance", optarg, 1);
			break;
		case O_IDLE:
			S.idle = duration("--idle", optarg, 0);
			break;
		case O_GROUP:
			group = optarg;
			break;
		case O_LEFT:
			set_kind(K_LEFT, "--left");
			break;
		case O_OUTER:
			set_kind(K_OUTER, "--outer");
			break;
		case O_ANTI:
			set_kind(K_ANTI, "--anti");
			break;
		case O_PREFIX:
			if (!plain_name(optarg))
				errx(2, "--prefix-right: '%s' is empty or has "
				    "a quote, a backslash, a control character "
				    "or bytes that are not UTF-8", optarg);
			S.prefix = optarg;
			S.plen = strlen(optarg);
			break;
		case O_NEST:
			if ((comma = strchr(optarg, ',')) == NULL ||
			    comma == optarg || comma[1] == '\0' ||
			    strchr(comma + 1, ',') != NULL)
				errx(2, "--nest: '%s' is not two names "
				    "separated by a comma", optarg);
			if ((S.nest[0] = strndup(optarg,
			    (size_t)(comma - optarg))) == NULL ||
			    (S.nest[1] = strdup(comma + 1)) == NULL)
				err(1, NULL);
			break;
		case O_STATS:
			S.stats = 1;
			break;
		case O_HELP:
			help();
		default:
			if ((r = mlog_src_option(&S.L.src, &S.bad, ch, optarg,
			    msg, sizeof(msg))) < 0)
				warnx("%s", msg);
			if (r <= 0)
				usage();
		}
	}
	argc -= optind;
	argv += optind;

	/* what goes with what */
	if (follow != NULL) {
		if (table != NULL && strcmp(table, follow) != 0)
			errx(2, "--follow-table names the table; --table %s "
			    "is another", table);
		table = follow;
	}
	if (argc == 0 && optind == 1)
		usage();
	if (S.nest[0] != NULL && S.prefix != NULL)
		errx(2, "--nest and --prefix-right: one or the other");
	if (S.L.onsrc == NULL)
		errx(2, "--on: the join key is required");
	if ((table != NULL) + (right != NULL) != 1)
		errx(2, "one of --table and --right is required");
	if (table != NULL) {
		if (S.mode == M_ASOF || within != NULL || before != NULL ||
		    after != NULL || S.L.timesrc != NULL || rtime != NULL ||
		    ron != NULL || S.idle > 0 || graceset || S.tol >= 0 ||
		    group != NULL || S.unit != 0)
			errx(2, "--table joins by key only: --asof, --within, "
			    "--before, --after, --time, --right-time, "
			    "--right-on, --time-unit, --grace, --tolerance, "
			    "--idle and -g are for --right");
		if (S.kind == K_OUTER)
			errx(2, "--outer: a table join writes stream records "
			    "only (--left or --anti)");
		S.mode = M_TABLE;
	} else {
		if (S.tkeysrc != NULL || S.tvalsrc != NULL)
			errx(2, "--table-key and --table-value are for "
			    "--table");
		if (S.L.timesrc == NULL)
			errx(2, "--time: a stream-stream join needs event "
			    "times");
		if (S.mode == M_ASOF) {
			if (within != NULL || before != NULL ||
			    after != NULL)
				errx(2, "--asof takes --tolerance, not "
				    "--within, --before or --after");
			if (S.kind == K_OUTER)
				errx(2, "--outer: an as-of join writes stream "
				    "records only (--left or --anti)");
		} else {
			if (S.tol >= 0)
				errx(2, "--tolerance is for --asof");
			if (within != NULL && (before != NULL ||
			    after != NULL))
				errx(2, "--within or --before and --after, not "
				    "both");
			if (within == NULL && before == NULL && after == NULL)
				errx(2, "--within, or --before and --after: "
				    "how far apart the pairs may be");
			if (within != NULL)
				S.before = S.after = duration("--within",
				    within, 1);
			if (before != NULL)
				S.before = duration("--before", before, 1);
			if (after != NULL)
				S.after = duration("--after", after, 1);
			S.mode = M_INTERVAL;
		}
	}
	if (S.mode != M_TABLE && argc > 1)
		errx(2, "a stream-stream join reads one stream (%d files "
		    "given); merge them first", argc);

	S.L.role = "stream";
	S.L.on = compile("--on", S.L.onsrc);
	if (S.L.timesrc != NULL)
		S.L.time = compile("--time", S.L.timesrc);
	if (S.mode == M_TABLE) {
		S.tkey = compile(S.tkeysrc != NULL ? "--table-key" : "--on",
		    S.tkeysrc != NULL ? S.tkeysrc : S.L.onsrc);
		if (S.tvalsrc != NULL)
			S.tval = compile("--table-value", S.tvalsrc);
		S.ident = compile("--on", ".");
		S.T.src.maxrec = S.L.src.maxrec;
	} else {
		S.R.role = "right";
		S.R.onsrc = ron != NULL ? ron : S.L.onsrc;
		S.R.on = compile(ron != NULL ? "--right-on" : "--on",
		    S.R.onsrc);
		S.R.timesrc = rtime != NULL ? rtime : S.L.timesrc;
		S.R.time = compile(rtime != NULL ? "--right-time" : "--time",
		    S.R.timesrc);
		S.R.src.maxrec = S.L.src.maxrec;
		S.R.src.flush = would_block;
		S.R.src.flusharg = &S.R;
	}
	if (S.bad.path != NULL && (S.bad.fd = open(S.bad.path, O_WRONLY |
	    O_CREAT | O_APPEND | O_CLOEXEC, 0666)) < 0)
		err(1, "%s", S.bad.path);
	if ((S.ls = mlog_jstore_new(0)) == NULL ||
	    (S.rs = mlog_jstore_new(S.mode == M_TABLE)) == NULL ||
	    (S.held = mlog_jstore_new(0)) == NULL ||
	    mlog_out_init(&S.out, 1, 64 * 1024) < 0)
		err(1, NULL);
	S.tty = isatty(1);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&S.sigs);
	sigaddset(&S.sigs, SIGINT);
	sigaddset(&S.sigs, SIGTERM);

	S.L.files = argv;
	S.L.nfiles = argc;
	if (argc == 0) {
		static char *dash[] = { "-" };
		S.L.files = dash;
		S.L.nfiles = 1;
	}
	S.L.src.flush = would_block;
	S.L.src.flusharg = &S.L;
	if (S.mode == M_TABLE) {
		if (strcmp(table, "-") == 0 && stdin_operand(argc, argv))
			errx(2, "the table and the stream cannot both be "
			    "standard input");
		table_load(table, follow != NULL);
		run_table();
	} else {
		if (strcmp(right, "-") == 0 && stdin_operand(argc, argv))
			errx(2, "the two streams cannot both be standard "
			    "input");
		if (is_dir(right))
			S.R.lg = log_open(right, group, 0);
		else if (group != NULL)
			errx(2, "-g: %s is not a log", right);
		else {
			static char *one[1];
			one[0] = (char *)(uintptr_t)right;
			S.R.files = one;
			S.R.nfiles = 1;
		}
		run_streams();
	}
	finish();
}

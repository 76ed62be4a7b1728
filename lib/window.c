/*
 * The event-time window engine of mwindow(1), with the semantics of Flink
 * and Kafka Streams: windows [start, end) aligned to the epoch, stream time
 * the largest event time seen, a window closed once stream time reaches its
 * end plus grace (a session once it passes it: a record exactly gap after
 * the last joins), late records refused by closed windows only.
 *
 * Each open window and group is an entry, found through a hash table by
 * (window start, key) -- sessions by key alone -- and ordered for closing
 * in a red-black tree by (end, start, key in jq's order), so rows come out
 * in that order whatever order the input came in.  Closed entries go to a
 * free list: a steady stream allocates nothing once its windows have been
 * seen.  Aggregate states are merged when sessions merge.
 */
#include <sys/tree.h>

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "expr.h"
#include "window.h"

/* ---- aggregate definitions ---- */

static const struct {
	const char	*name;
	int		 kind, arg;
} aggnames[] = {
	{ "count", MLOG_AGG_COUNT, 0 }, { "sum", MLOG_AGG_SUM, 1 },
	{ "min", MLOG_AGG_MIN, 1 }, { "max", MLOG_AGG_MAX, 1 },
	{ "avg", MLOG_AGG_AVG, 1 }, { "stddev", MLOG_AGG_STDDEV, 1 },
	{ "distinct", MLOG_AGG_DISTINCT, 1 }, { "first", MLOG_AGG_FIRST, 1 },
	{ "last", MLOG_AGG_LAST, 1 }, { "top", MLOG_AGG_TOP, 1 },
};

int
mlog_agg_numeric(int kind)
{
	return kind == MLOG_AGG_SUM || kind == MLOG_AGG_AVG ||
	    kind == MLOG_AGG_STDDEV || kind == MLOG_AGG_PCT;
}

static int
name_char(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_';
}

void
mlog_expr_name(const char *expr, size_t n, char *out, size_t len)
{
	size_t i, o = 0;
	int gap = 0;

	for (i = 0; i < n && o + 1 < len; i++) {
		if (name_char((unsigned char)expr[i])) {
			if (gap && o > 0 && o + 2 < len)
				out[o++] = '_';
			out[o++] = expr[i];
			gap = 0;
		} else
			gap = 1;
	}
	out[o] = '\0';
}

size_t
mlog_rename_at(const char *s, size_t n)
{
	size_t i = n;

	while (i > 0 && (name_char((unsigned char)s[i - 1]) ||
	    s[i - 1] == '.' || s[i - 1] == '-'))
		i--;
	if (i == n || i < 2 || s[i - 1] != '=' ||
	    strchr("=!<>|+-*/%", s[i - 2]) != NULL ||
	    !name_char((unsigned char)s[i]) ||
	    (s[i] >= '0' && s[i] <= '9'))
		return n;
	return i - 1;
}

int
mlog_agg_parse(const char *spec, struct mlog_aggdef *d, size_t *xs,
    size_t *xn, char *err, size_t len)
{
	size_t n = strlen(spec), end = mlog_rename_at(spec, n), i, w;
	const char *colon;
	char *e;
	double q;
	unsigned long k;

	memset(d, 0, sizeof(*d));
	if (n > 0 && spec[n - 1] == '=') {
		snprintf(err, len, "%s: an empty name", spec);
		return -1;
	}
	colon = memchr(spec, ':', end);
	w = colon != NULL ? (size_t)(colon - spec) : end;
	*xs = colon != NULL ? w + 1 : end;
	*xn = end - *xs;
	if (w > 1 && spec[0] == 'p' && spec[1] >= '0' && spec[1] <= '9') {
		errno = 0;
		q = strtod(spec + 1, &e);
		if (e != spec + w || errno != 0 || !(q >= 0 && q <= 100) ||
		    strchr("+-eEnNiIxX", spec[1]) != NULL) {
			snprintf(err, len, "%s: a percentile is p0 to p100",
			    spec);
			return -1;
		}
		d->kind = MLOG_AGG_PCT;
		d->q = q / 100;
	} else {
		for (i = 0; i < sizeof(aggnames) / sizeof(aggnames[0]); i++)
			if (strlen(aggnames[i].name) == w &&
			    strncmp(spec, aggnames[i].name, w) == 0)
				break;
		if (i == sizeof(aggnames) / sizeof(aggnames[0])) {
			snprintf(err, len, "%.*s: no such aggregate (count, "
			    "sum, min, max, avg, stddev, pNN, distinct, "
			    "first, last, top)", (int)w, spec);
			return -1;
		}
		d->kind = aggnames[i].kind;
		if (!aggnames[i].arg && colon != NULL) {
			snprintf(err, len, "%s: %s takes no expression", spec,
			    aggnames[i].name);
			return -1;
		}
	}
	if (d->kind == MLOG_AGG_TOP) {
		/* top:K:EXPR */
		errno = 0;
		k = colon != NULL ? strtoul(colon + 1, &e, 10) : 0;
		if (colon == NULL || e == colon + 1 || *e != ':' ||
		    errno != 0 || k < 1 || k > 1000000 ||
		    !(colon[1] >= '0' && colon[1] <= '9')) {
			snprintf(err, len, "%s: top needs a count and an "
			    "expression: top:K:EXPR", spec);
			return -1;
		}
		d->k = (uint32_t)k;
		*xs = (size_t)(e - spec) + 1;
		if (*xs > end)
			*xs = end;
		*xn = end - *xs;
	}
	if (d->kind != MLOG_AGG_COUNT) {
		for (i = *xs; i < end && (spec[i] == ' ' || spec[i] == '\t');
		    i++)
			;
		if (i == end) {
			snprintf(err, len, "%s: %.*s needs an expression "
			    "(%.*s:EXPR)", spec, (int)w, spec, (int)w, spec);
			return -1;
		}
	}
	if (end < n) {
		if (n - end - 1 >= MLOG_NAME_MAX) {
			snprintf(err, len, "%s: name too long", spec);
			return -1;
		}
		memcpy(d->name, spec + end + 1, n - end - 1);
		d->name[n - end - 1] = '\0';
	} else {
		char tail[MLOG_NAME_MAX], full[2 * MLOG_NAME_MAX];

		/* a long name is cut short: a clash is reported later */
		mlog_expr_name(spec + *xs, *xn, tail, sizeof(tail));
		if (d->kind == MLOG_AGG_TOP)
			snprintf(full, sizeof(full), "top%u%s%s", d->k,
			    tail[0] != '\0' ? "_" : "", tail);
		else
			snprintf(full, sizeof(full), "%.*s%s%s",
			    (int)(w < 32 ? w : 32), spec,
			    tail[0] != '\0' ? "_" : "", tail);
		strlcpy(d->name, full, sizeof(d->name));
	}
	return 0;
}

char **
mlog_split_list(const char *s, size_t *n)
{
	char **v = NULL, **nv;
	size_t cnt = 0, start = 0, i;
	int depth = 0, str = 0;

	for (i = 0;; i++) {
		if (str) {
			if (s[i] == '\0')
				str = 0;
			else if (s[i] == '\\' && s[i + 1] != '\0')
				i++;
			else if (s[i] == '"')
				str = 0;
			if (s[i] != '\0')
				continue;
		}
		if (s[i] == '"')
			str = 1;
		else if (s[i] == '(' || s[i] == '[' || s[i] == '{')
			depth++;
		else if (s[i] == ')' || s[i] == ']' || s[i] == '}')
			depth--;
		else if ((s[i] == ',' && depth <= 0) || s[i] == '\0') {
			if ((nv = reallocarray(v, cnt + 2, sizeof(*v))) ==
			    NULL)
				goto fail;
			v = nv;
			if ((v[cnt] = strndup(s + start, i - start)) == NULL)
				goto fail;
			v[++cnt] = NULL;
			start = i + 1;
			if (s[i] == '\0')
				break;
		}
	}
	*n = cnt;
	return v;
fail:
	while (cnt > 0)
		free(v[--cnt]);
	free(v);
	return NULL;
}

/* ---- times ---- */

/* "SS[.frac]Z" at the end of an RFC 3339 string of the common form, in
 * microseconds; -1 for anything else. */
static int64_t
tail_us(const unsigned char *s, size_t n)
{
	int64_t us, scale = 100000;
	size_t i;

	if (n < 20 || s[16] != ':' || s[n - 1] != 'Z' ||
	    (unsigned)(s[17] - '0') > 5 || (unsigned)(s[18] - '0') > 9)
		return -1;
	us = ((s[17] - '0') * 10 + (s[18] - '0')) * 1000000LL;
	if (n == 20)
		return us;
	if (s[19] != '.' || n == 21)
		return -1;
	for (i = 20; i < n - 1; i++) {
		if ((unsigned)(s[i] - '0') > 9)
			return -1;
		us += (s[i] - '0') * scale;
		scale /= 10;
	}
	return us;
}

/* 16 bytes equal: two loads, where memcmp would be a call. */
static int
same16(const unsigned char *a, const unsigned char *b)
{
	uint64_t x[2], y[2];

	memcpy(x, a, 16);
	memcpy(y, b, 16);
	return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

int
mlog_value_time(const struct mlog_value *v, int unit,
    struct mlog_tcache *tc, int64_t *us, int *form)
{
	static const double scale[] = { 0, 0, 1e6, 1e3, 1, 1e-3 };
	double d;
	long long i;
	char buf[32];
	char *e;
	int64_t t;

	if (v->type == MLOG_V_STR) {
		*form = MLOG_TF_ISO;
		/* records in a row share their minute: parsed once */
		if (tc != NULL && tc->valid && v->n >= 20 &&
		    same16(v->s, tc->pre) && (t = tail_us(v->s, v->n)) >= 0) {
			*us = tc->base + t;
			return 0;
		}
		if (mlog_time_rfc3339((const char *)v->s, v->n, us) < 0)
			return -1;
		if (tc != NULL && (t = tail_us(v->s, v->n)) >= 0) {
			memcpy(tc->pre, v->s, sizeof(tc->pre));
			tc->base = *us - t;
			tc->valid = 1;
		}
		return 0;
	}
	if (v->type != MLOG_V_NUM || !isfinite(v->num))
		return -1;
	d = fabs(v->num);
	if (unit == MLOG_TF_AUTO || unit == MLOG_TF_ISO)
		unit = d < 1e11 ? MLOG_TF_S : d < 1e14 ? MLOG_TF_MS :
		    d < 1e17 ? MLOG_TF_US : MLOG_TF_NS;
	*form = unit;
	/* an integer's text, exactly: a double holds ns only to 256 */
	if (v->s != NULL && v->n < sizeof(buf)) {
		memcpy(buf, v->s, v->n);
		buf[v->n] = '\0';
	}
	if (v->s != NULL && v->n < sizeof(buf) && strcspn(buf, ".eE") ==
	    v->n) {
		errno = 0;
		i = strtoll(buf, &e, 10);
		if (errno == 0 && *e == '\0') {
			switch (unit) {
			case MLOG_TF_NS:
				*us = i / 1000 - (i % 1000 < 0);
				return 0;
			case MLOG_TF_US:
				*us = i;
				return 0;
			default:
				if (llabs(i) < LLONG_MAX /
				    (long long)scale[unit]) {
					*us = i * (long long)scale[unit];
					return 0;
				}
				return -1;
			}
		}
	}
	d = v->num * scale[unit];
	if (!(fabs(d) < 9.2e18))
		return -1;
	*us = (int64_t)floor(d + 0.5);
	return 0;
}

/* n with the fraction f of scale digits, trailing zeros dropped. */
static size_t
fmt_scaled(int64_t t, int64_t scale, int digits, char *buf)
{
	int64_t q = t / scale, r = t % scale;
	size_t n;
	int neg = 0;

	if (r < 0) {
		r = -r;
		if (q == 0)
			neg = 1;
	}
	n = (size_t)snprintf(buf, 40, "%s%lld", neg ? "-" : "", (long long)q);
	if (r == 0)
		return n;
	n += (size_t)snprintf(buf + n, 40 - n, ".%0*lld", digits,
	    (long long)r);
	while (buf[n - 1] == '0')
		n--;
	buf[n] = '\0';
	return n;
}

size_t
mlog_time_format(int64_t us, int form, char buf[40])
{
	int64_t f[7];
	size_t n;

	switch (form) {
	case MLOG_TF_S:
		return fmt_scaled(us, 1000000, 6, buf);
	case MLOG_TF_MS:
		return fmt_scaled(us, 1000, 3, buf);
	case MLOG_TF_US:
		return (size_t)snprintf(buf, 40, "%lld", (long long)us);
	case MLOG_TF_NS:
		if (us > INT64_MAX / 1000 || us < INT64_MIN / 1000)
			return (size_t)snprintf(buf, 40, "%lld000",
			    (long long)us);
		return (size_t)snprintf(buf, 40, "%lld", (long long)us * 1000);
	}
	mlog_time_civil(us, f);
	n = (size_t)snprintf(buf, 40, "\"%04lld-%02lld-%02lldT%02lld:%02lld:"
	    "%02lld", (long long)f[0], (long long)f[1], (long long)f[2],
	    (long long)f[3], (long long)f[4], (long long)f[5]);
	if (f[6] % 1000 != 0)
		n += (size_t)snprintf(buf + n, 40 - n, ".%06lld",
		    (long long)f[6]);
	else if (f[6] != 0)
		n += (size_t)snprintf(buf + n, 40 - n, ".%03lld",
		    (long long)f[6] / 1000);
	n += (size_t)snprintf(buf + n, 40 - n, "Z\"");
	return n;
}

/* ---- aggregate states ---- */

struct kept {				/* a value min, max, first, last keep */
	int		 type;		/* MLOG_V_NONE: nothing yet */
	double		 num;
	unsigned char	*json;
	size_t		 jn, cap;
	int64_t		 t;
	uint64_t	 seq;
};

struct topent {
	uint64_t	 hash, count;
	size_t		 off, len;	/* text in top.text */
};

struct top {
	struct topent	*e;
	size_t		 n, cap;
	uint32_t	*slot;		/* entry + 1, 0 free */
	size_t		 nslot;
	unsigned char	*text;
	size_t		 tlen, tcap;
};

struct aggst {
	uint64_t		 n;
	double			 sum, mean, m2;
	struct kept		 k;
	struct mlog_qsketch	*qs;
	struct mlog_distinct	*ds;
	struct top		*top;
};

static int
kept_set(struct kept *k, const struct mlog_value *v, int64_t t, uint64_t seq)
{
	unsigned char *nb;
	size_t cap;

	if (v->jn > k->cap) {
		cap = k->cap ? k->cap : 32;
		while (cap < v->jn)
			cap *= 2;
		if ((nb = realloc(k->json, cap)) == NULL)
			return -1;
		k->json = nb;
		k->cap = cap;
	}
	if (v->jn > 0)
		memcpy(k->json, v->json, v->jn);
	k->jn = v->jn;
	k->type = v->type;
	k->num = v->num;
	k->t = t;
	k->seq = seq;
	return 0;
}

/* jq's order of a new value against a kept one. */
static int
kept_cmp(const struct mlog_value *v, const struct kept *k)
{
	if (v->type == MLOG_V_NUM && k->type == MLOG_V_NUM)
		return v->num < k->num ? -1 : v->num > k->num;
	return mlog_json_cmp(v->json, v->jn, k->json, k->jn);
}

static int
top_grow(struct top *tp)
{
	uint32_t *ns;
	size_t nn = tp->nslot ? tp->nslot * 2 : 16, i, j;

	if ((ns = calloc(nn, sizeof(*ns))) == NULL)
		return -1;
	for (i = 0; i < tp->n; i++) {
		for (j = tp->e[i].hash & (nn - 1); ns[j] != 0;
		    j = (j + 1) & (nn - 1))
			;
		ns[j] = (uint32_t)i + 1;
	}
	free(tp->slot);
	tp->slot = ns;
	tp->nslot = nn;
	return 0;
}

static int
top_add(struct top *tp, const unsigned char *s, size_t n, uint64_t count)
{
	uint64_t h = mlog_hash64(s, n, 0);
	struct topent *ne;
	unsigned char *nt;
	size_t j, cap;
	struct topent *e;

	if ((tp->n + 1) * 2 > tp->nslot && top_grow(tp) < 0)
		return -1;
	for (j = h & (tp->nslot - 1); tp->slot[j] != 0;
	    j = (j + 1) & (tp->nslot - 1)) {
		e = &tp->e[tp->slot[j] - 1];
		if (e->hash == h && e->len == n &&
		    same_bytes(tp->text + e->off, s, n)) {
			e->count += count;
			return 0;
		}
	}
	if (tp->n == tp->cap) {
		cap = tp->cap ? tp->cap * 2 : 8;
		if ((ne = reallocarray(tp->e, cap, sizeof(*ne))) == NULL)
			return -1;
		tp->e = ne;
		tp->cap = cap;
	}
	if (tp->tlen + n > tp->tcap) {
		cap = tp->tcap ? tp->tcap : 256;
		while (cap < tp->tlen + n)
			cap *= 2;
		if ((nt = realloc(tp->text, cap)) == NULL)
			return -1;
		tp->text = nt;
		tp->tcap = cap;
	}
	memcpy(tp->text + tp->tlen, s, n);
	tp->e[tp->n].hash = h;
	tp->e[tp->n].count = count;
	tp->e[tp->n].off = tp->tlen;
	tp->e[tp->n].len = n;
	tp->tlen += n;
	tp->slot[j] = (uint32_t)++tp->n;
	return 0;
}

static void
agg_free(const struct mlog_aggdef *d, struct aggst *a)
{
	(void)d;
	free(a->k.json);
	if (a->qs != NULL) {
		mlog_qs_free(a->qs);
		free(a->qs);
	}
	if (a->ds != NULL) {
		mlog_distinct_free(a->ds);
		free(a->ds);
	}
	if (a->top != NULL) {
		free(a->top->e);
		free(a->top->slot);
		free(a->top->text);
		free(a->top);
	}
	memset(a, 0, sizeof(*a));
}

/* Empty the state, keeping the memory it has for the next window. */
static void
agg_reset(struct aggst *a)
{
	a->n = 0;
	a->sum = a->mean = a->m2 = 0;
	a->k.type = MLOG_V_NONE;
	a->k.jn = 0;
	if (a->qs != NULL) {
		int exact = a->qs->exact;
		mlog_qs_free(a->qs);
		a->qs->exact = exact;
	}
	if (a->ds != NULL)
		mlog_distinct_free(a->ds);
	if (a->top != NULL) {
		a->top->n = a->top->tlen = 0;
		if (a->top->slot != NULL)
			memset(a->top->slot, 0, a->top->nslot *
			    sizeof(*a->top->slot));
	}
}

static int
agg_add(const struct mlog_aggdef *d, struct aggst *a, int exact,
    const struct mlog_value *v, int64_t t, uint64_t seq)
{
	double delta;

	if (d->kind == MLOG_AGG_COUNT) {
		a->n++;
		return 0;
	}
	if (v->type == MLOG_V_NONE || v->type == MLOG_V_NULL)
		return 0;
	switch (d->kind) {
	case MLOG_AGG_SUM:
	case MLOG_AGG_AVG:
		a->n++;
		a->sum += v->num;
		break;
	case MLOG_AGG_STDDEV:
		/* Welford: no cancellation of large sums */
		a->n++;
		delta = v->num - a->mean;
		a->mean += delta / (double)a->n;
		a->m2 += delta * (v->num - a->mean);
		break;
	case MLOG_AGG_MIN:
	case MLOG_AGG_MAX:
		if (a->k.type == MLOG_V_NONE || (d->kind == MLOG_AGG_MIN ?
		    kept_cmp(v, &a->k) < 0 : kept_cmp(v, &a->k) > 0))
			return kept_set(&a->k, v, t, seq);
		break;
	case MLOG_AGG_FIRST:
		if (a->k.type == MLOG_V_NONE || t < a->k.t ||
		    (t == a->k.t && seq < a->k.seq))
			return kept_set(&a->k, v, t, seq);
		break;
	case MLOG_AGG_LAST:
		if (a->k.type == MLOG_V_NONE || t > a->k.t ||
		    (t == a->k.t && seq > a->k.seq))
			return kept_set(&a->k, v, t, seq);
		break;
	case MLOG_AGG_PCT:
		if (isnan(v->num))
			return 0;
		if (a->qs == NULL) {
			if ((a->qs = calloc(1, sizeof(*a->qs))) == NULL)
				return -1;
			a->qs->exact = exact;
		}
		/* 1e999 in JSON: the largest double, as jq has it */
		return mlog_qs_add(a->qs, isinf(v->num) ?
		    copysign(DBL_MAX, v->num) : v->num);
	case MLOG_AGG_DISTINCT:
		if (a->ds == NULL &&
		    (a->ds = calloc(1, sizeof(*a->ds))) == NULL)
			return -1;
		return mlog_distinct_add(a->ds, mlog_hash64(v->json, v->jn,
		    0));
	case MLOG_AGG_TOP:
		if (a->top == NULL &&
		    (a->top = calloc(1, sizeof(*a->top))) == NULL)
			return -1;
		return top_add(a->top, v->json, v->jn, 1);
	}
	return 0;
}

/* Fold src into dst (sessions that merge); src is left as it was. */
static int
agg_merge(const struct mlog_aggdef *d, struct aggst *dst, int exact,
    const struct aggst *src)
{
	struct mlog_value v;
	double n, delta;
	size_t i;

	switch (d->kind) {
	case MLOG_AGG_COUNT:
	case MLOG_AGG_SUM:
	case MLOG_AGG_AVG:
		dst->n += src->n;
		dst->sum += src->sum;
		return 0;
	case MLOG_AGG_STDDEV:
		if (src->n == 0)
			return 0;
		n = (double)dst->n + (double)src->n;
		delta = src->mean - dst->mean;
		dst->m2 += src->m2 + delta * delta * (double)dst->n *
		    (double)src->n / n;
		dst->mean += delta * (double)src->n / n;
		dst->n += src->n;
		return 0;
	case MLOG_AGG_MIN:
	case MLOG_AGG_MAX:
	case MLOG_AGG_FIRST:
	case MLOG_AGG_LAST:
		if (src->k.type == MLOG_V_NONE)
			return 0;
		memset(&v, 0, sizeof(v));
		v.type = src->k.type;
		v.num = src->k.num;
		v.json = src->k.json;
		v.jn = src->k.jn;
		return agg_add(d, dst, exact, &v, src->k.t, src->k.seq);
	case MLOG_AGG_PCT:
		if (src->qs == NULL)
			return 0;
		if (dst->qs == NULL) {
			if ((dst->qs = calloc(1, sizeof(*dst->qs))) == NULL)
				return -1;
			dst->qs->exact = exact;
		}
		return mlog_qs_merge(dst->qs, src->qs);
	case MLOG_AGG_DISTINCT:
		if (src->ds == NULL)
			return 0;
		if (dst->ds == NULL &&
		    (dst->ds = calloc(1, sizeof(*dst->ds))) == NULL)
			return -1;
		return mlog_distinct_merge(dst->ds, src->ds);
	case MLOG_AGG_TOP:
		if (src->top == NULL)
			return 0;
		if (dst->top == NULL &&
		    (dst->top = calloc(1, sizeof(*dst->top))) == NULL)
			return -1;
		for (i = 0; i < src->top->n; i++)
			if (top_add(dst->top, src->top->text +
			    src->top->e[i].off, src->top->e[i].len,
			    src->top->e[i].count) < 0)
				return -1;
		return 0;
	}
	return 0;
}

/* ---- output ---- */

struct buf {
	unsigned char	*p;
	size_t		 n, cap;
	int		 failed;
};

static void
put(struct buf *b, const void *p, size_t n)
{
	unsigned char *np;
	size_t cap;

	if (b->failed)
		return;
	if (b->n + n > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->n + n)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void
puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void
put_num(struct buf *b, double d)
{
	char num[40];

	put(b, num, mlog_json_fmtnum(d, num));
}

static void
put_name(struct buf *b, const char *name)
{
	put(b, ",\"", 2);
	puts_(b, name);
	put(b, "\":", 2);
}

struct topout {
	const unsigned char	*p;
	size_t			 n;
	uint64_t		 count;
};

static int
topout_cmp(const void *x, const void *y)
{
	const struct topout *a = x, *b = y;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return mlog_json_cmp(a->p, a->n, b->p, b->n);
}

/* The k most frequent values, by count and then value. */
static void
put_top(struct buf *b, const struct top *tp, size_t k)
{
	struct topout *o;
	char num[40];
	size_t i;

	put(b, "[", 1);
	if (tp != NULL && tp->n > 0) {
		if ((o = reallocarray(NULL, tp->n, sizeof(*o))) == NULL) {
			b->failed = 1;
			return;
		}
		for (i = 0; i < tp->n; i++) {
			o[i].p = tp->text + tp->e[i].off;
			o[i].n = tp->e[i].len;
			o[i].count = tp->e[i].count;
		}
		qsort(o, tp->n, sizeof(*o), topout_cmp);
		for (i = 0; i < k && i < tp->n; i++) {
			put(b, i > 0 ? ",{\"value\":" : "{\"value\":",
			    i > 0 ? 10 : 9);
			put(b, o[i].p, o[i].n);
			put(b, num, (size_t)snprintf(num, sizeof(num),
			    ",\"count\":%llu}", (unsigned long long)o[i].count));
		}
		free(o);
	}
	put(b, "]", 1);
}

static void
put_agg(struct buf *b, const struct mlog_aggdef *d, struct aggst *a)
{
	double v;
	char num[40];

	switch (d->kind) {
	case MLOG_AGG_COUNT:
		put(b, num, (size_t)snprintf(num, sizeof(num), "%llu",
		    (unsigned long long)a->n));
		return;
	case MLOG_AGG_SUM:
		put_num(b, a->sum);
		return;
	case MLOG_AGG_AVG:
		if (a->n == 0)
			puts_(b, "null");
		else
			put_num(b, a->sum / (double)a->n);
		return;
	case MLOG_AGG_STDDEV:
		if (a->n < 2)
			puts_(b, "null");
		else
			put_num(b, sqrt(a->m2 / (double)(a->n - 1)));
		return;
	case MLOG_AGG_MIN:
	case MLOG_AGG_MAX:
	case MLOG_AGG_FIRST:
	case MLOG_AGG_LAST:
		if (a->k.type == MLOG_V_NONE)
			puts_(b, "null");
		else if (a->k.type == MLOG_V_NUM)
			put_num(b, a->k.num);
		else
			put(b, a->k.json, a->k.jn);
		return;
	case MLOG_AGG_PCT:
		if (a->qs == NULL || a->qs->n == 0)
			puts_(b, "null");
		else {
			v = mlog_qs_quantile(a->qs, d->q);
			put_num(b, v);
		}
		return;
	case MLOG_AGG_DISTINCT:
		put(b, num, (size_t)snprintf(num, sizeof(num), "%llu",
		    (unsigned long long)(a->ds != NULL ?
		    mlog_distinct_count(a->ds) : 0)));
		return;
	case MLOG_AGG_TOP:
		put_top(b, a->top, d->k);
		return;
	}
}

/* ---- entries ---- */

struct entry {
	RB_ENTRY(entry)	 rb;
	struct entry	*hnext;
	uint64_t	 hash;
	int64_t		 start, end, last;	/* last: sessions */
	struct aggst	*st;
	size_t		 keylen, keycap;
	unsigned char	*key;		/* per key: u32 length, canonical text */
};

RB_HEAD(closing, entry);

struct mlog_win {
	struct mlog_wconf	 c;
	mlog_win_emit		*emit;
	void			*arg;
	int			 form;
	int64_t			 st;		/* stream time */
	int			 started;
	uint64_t		 seq, open, evicted;
	struct closing		 closing;
	struct entry		**ht;
	size_t			 nht;
	struct entry		*free;
	struct buf		 row, key;
	/* --rows */
	struct ring		**rings;
	size_t			 nrings;
};

/* Compare composite keys component by component, in jq's order. */
static int
key_cmp(const unsigned char *a, size_t an, const unsigned char *b, size_t bn)
{
	uint32_t la, lb;
	int r;

	while (an > 0 && bn > 0) {
		memcpy(&la, a, 4);
		memcpy(&lb, b, 4);
		if ((r = mlog_json_cmp(a + 4, la, b + 4, lb)) != 0)
			return r;
		a += 4 + la;
		an -= 4 + la;
		b += 4 + lb;
		bn -= 4 + lb;
	}
	return an > 0 ? 1 : bn > 0 ? -1 : 0;
}

static int
entry_cmp(const struct entry *a, const struct entry *b)
{
	int r;

	if (a->end != b->end)
		return a->end < b->end ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if ((r = key_cmp(a->key, a->keylen, b->key, b->keylen)) != 0)
		return r;
	/* equal keys only when sessions of one key meet: by address */
	return a < b ? -1 : a > b;
}

/* libbsd's RB_GENERATE_STATIC names an __unused it leaves undefined */
RB_GENERATE_INTERNAL(closing, entry, rb, entry_cmp,
    __attribute__((unused)) static)

static uint64_t
entry_hash(const struct mlog_win *w, int64_t start, const unsigned char *k,
    size_t kn)
{
	if (w->c.kind == MLOG_WIN_SESSION)
		start = 0;
	return mlog_hash64(k, kn, (uint64_t)start);
}

static int
ht_grow(struct mlog_win *w)
{
	struct entry **nt, *e, *next;
	size_t nn = w->nht ? w->nht * 2 : 64, i;

	if ((nt = calloc(nn, sizeof(*nt))) == NULL)
		return -1;
	for (i = 0; i < w->nht; i++)
		for (e = w->ht[i]; e != NULL; e = next) {
			next = e->hnext;
			e->hnext = nt[e->hash & (nn - 1)];
			nt[e->hash & (nn - 1)] = e;
		}
	free(w->ht);
	w->ht = nt;
	w->nht = nn;
	return 0;
}

static void
ht_remove(struct mlog_win *w, struct entry *e)
{
	struct entry **pp;

	for (pp = &w->ht[e->hash & (w->nht - 1)]; *pp != e;
	    pp = &(*pp)->hnext)
		;
	*pp = e->hnext;
}

static void
entry_release(struct mlog_win *w, struct entry *e)
{
	size_t i;

	for (i = 0; i < w->c.naggs; i++)
		agg_reset(&e->st[i]);
	e->hnext = w->free;
	w->free = e;
	w->open--;
}

static void
entry_destroy(struct mlog_win *w, struct entry *e)
{
	size_t i;

	for (i = 0; i < w->c.naggs; i++)
		agg_free(&w->c.aggs[i], &e->st[i]);
	free(e->st);
	free(e->key);
	free(e);
}

/* A row, handed to emit.  Every field is written after a comma, and the
 * first comma becomes the opening brace. */
static int
emit_row(struct mlog_win *w, const unsigned char *k, struct aggst *st,
    int64_t start, int64_t end, int final, int evicted)
{
	struct buf *b = &w->row;
	size_t i;
	uint32_t l;
	char t[40];

	b->n = 0;
	b->failed = 0;
	if (w->c.kind != MLOG_WIN_ROWS || w->c.hastime) {
		put_name(b, "window_start");
		put(b, t, mlog_time_format(start, w->form, t));
		put_name(b, "window_end");
		put(b, t, mlog_time_format(end, w->form, t));
	}
	for (i = 0; i < w->c.nkeys; i++) {
		memcpy(&l, k, 4);
		put_name(b, w->c.keynames[i]);
		put(b, k + 4, l);
		k += 4 + l;
	}
	for (i = 0; i < w->c.naggs; i++) {
		put_name(b, w->c.aggs[i].name);
		put_agg(b, &w->c.aggs[i], &st[i]);
	}
	if (w->c.update && w->c.kind != MLOG_WIN_ROWS)
		puts_(b, final ? ",\"final\":true" : ",\"final\":false");
	if (evicted)
		puts_(b, ",\"evicted\":true");
	put(b, "}", 1);
	if (b->failed) {
		errno = ENOMEM;
		return -1;
	}
	if (b->n == 1)
		return w->emit(w->arg, (const unsigned char *)"{}", 2);
	b->p[0] = '{';
	return w->emit(w->arg, b->p, b->n);
}

static int
closed(const struct mlog_win *w, const struct entry *e)
{
	if (!w->started)
		return 0;
	if (w->c.kind == MLOG_WIN_SESSION)
		return e->end < w->st - w->c.grace;
	return e->end <= w->st - w->c.grace;
}

/* Take an entry out and write its final row. */
static int
finish(struct mlog_win *w, struct entry *e, int evicted)
{
	int r;

	RB_REMOVE(closing, &w->closing, e);
	ht_remove(w, e);
	r = emit_row(w, e->key, e->st, e->start, e->end, 1, evicted);
	entry_release(w, e);
	return r;
}

static int
close_due(struct mlog_win *w)
{
	struct entry *e;

	while ((e = RB_MIN(closing, &w->closing)) != NULL && closed(w, e))
		if (finish(w, e, 0) < 0)
			return -1;
	return 0;
}

static struct entry *
entry_new(struct mlog_win *w, uint64_t h, int64_t start, int64_t end,
    const unsigned char *k, size_t kn)
{
	struct entry *e;
	unsigned char *nk;

	if (w->c.maxgroups != 0 && w->open >= w->c.maxgroups) {
		if (!w->c.evict || (e = RB_MIN(closing, &w->closing)) ==
		    NULL) {
			errno = EOVERFLOW;
			return NULL;
		}
		w->evicted++;
		if (finish(w, e, 1) < 0)
			return NULL;
	}
	if (w->open + 1 > w->nht && ht_grow(w) < 0)
		return NULL;
	if ((e = w->free) != NULL)
		w->free = e->hnext;
	else {
		if ((e = calloc(1, sizeof(*e))) == NULL)
			return NULL;
		if ((e->st = calloc(w->c.naggs, sizeof(*e->st))) == NULL) {
			free(e);
			return NULL;
		}
	}
	if (kn > e->keycap) {
		if ((nk = realloc(e->key, kn)) == NULL) {
			e->hnext = w->free;
			w->free = e;
			return NULL;
		}
		e->key = nk;
		e->keycap = kn;
	}
	if (kn > 0)
		memcpy(e->key, k, kn);
	e->keylen = kn;
	e->hash = h;
	e->start = start;
	e->end = end;
	e->last = start;
	e->hnext = w->ht[h & (w->nht - 1)];
	w->ht[h & (w->nht - 1)] = e;
	RB_INSERT(closing, &w->closing, e);
	w->open++;
	return e;
}

static int
entry_add(struct mlog_win *w, struct entry *e, int64_t t,
    const struct mlog_value *vals)
{
	size_t i;

	for (i = 0; i < w->c.naggs; i++)
		if (agg_add(&w->c.aggs[i], &e->st[i], w->c.exact,
		    &vals[w->c.aggs[i].arg], t, w->seq) < 0)
			return -1;
	if (w->c.update)
		return emit_row(w, e->key, e->st, e->start, e->end, 0, 0);
	return 0;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return q - (a % b != 0 && (a < 0) != (b < 0));
}

/* Tumbling and hopping windows: every [s, s + size) holding t. */
static int
add_fixed(struct mlog_win *w, int64_t t, const unsigned char *k, size_t kn,
    const struct mlog_value *vals)
{
	int64_t adv = w->c.kind == MLOG_WIN_HOPPING ? w->c.advance :
	    w->c.size, last, s;
	struct entry *e;
	uint64_t h;
	int late = 0;

	last = floor_div(t - w->c.align, adv) * adv + w->c.align;
	for (s = last - (last - t + w->c.size - 1) / adv * adv; s <= last;
	    s += adv) {
		if (w->started && s + w->c.size <= w->st - w->c.grace) {
			late = 1;
			continue;
		}
		h = entry_hash(w, s, k, kn);
		for (e = w->ht != NULL ? w->ht[h & (w->nht - 1)] : NULL;
		    e != NULL; e = e->hnext)
			if (e->hash == h && e->start == s && e->keylen == kn &&
			    same_bytes(e->key, k, kn))
				break;
		if (e == NULL && (e = entry_new(w, h, s, s + w->c.size, k,
		    kn)) == NULL)
			return -1;
		if (entry_add(w, e, t, vals) < 0)
			return -1;
	}
	return late;
}

/* Session windows: the record joins (and so merges) every session of its
 * key within gap of it, or starts one. */
static int
add_session(struct mlog_win *w, int64_t t, const unsigned char *k,
    size_t kn, const struct mlog_value *vals)
{
	struct entry *e, *next, *into = NULL;
	uint64_t h = entry_hash(w, 0, k, kn);
	int64_t gap = w->c.gap, start = t, last = t;
	size_t i;

	if (w->started && t + gap < w->st - w->c.grace)
		return 1;
	for (e = w->ht != NULL ? w->ht[h & (w->nht - 1)] : NULL; e != NULL;
	    e = next) {
		next = e->hnext;
		if (e->hash != h || e->keylen != kn ||
		    !same_bytes(e->key, k, kn) ||
		    t < e->start - gap || t > e->last + gap)
			continue;
		if (e->start < start)
			start = e->start;
		if (e->last > last)
			last = e->last;
		if (into == NULL) {
			into = e;
			continue;
		}
		for (i = 0; i < w->c.naggs; i++)
			if (agg_merge(&w->c.aggs[i], &into->st[i],
			    w->c.exact, &e->st[i]) < 0)
				return -1;
		RB_REMOVE(closing, &w->closing, e);
		ht_remove(w, e);
		entry_release(w, e);
	}
	if (into == NULL) {
		if ((into = entry_new(w, h, t, t + gap, k, kn)) == NULL)
			return -1;
	} else if (start != into->start || last != into->last) {
		RB_REMOVE(closing, &w->closing, into);
		into->start = start;
		into->last = last;
		into->end = last + gap;
		RB_INSERT(closing, &w->closing, into);
	}
	return entry_add(w, into, t, vals);
}

/* ---- --rows: the trailing n records of each key ---- */

struct ring {
	struct ring	*hnext;
	uint64_t	 hash;
	unsigned char	*key;
	size_t		 keylen;
	size_t		 head, n;
	struct kept	*v;		/* rows x aggregates */
};

static int
rings_grow(struct mlog_win *w, size_t used)
{
	struct ring **nt, *r, *next;
	size_t nn, i;

	if (used < w->nrings)
		return 0;
	nn = w->nrings ? w->nrings * 2 : 64;
	if ((nt = calloc(nn, sizeof(*nt))) == NULL)
		return -1;
	for (i = 0; i < w->nrings; i++)
		for (r = w->rings[i]; r != NULL; r = next) {
			next = r->hnext;
			r->hnext = nt[r->hash & (nn - 1)];
			nt[r->hash & (nn - 1)] = r;
		}
	free(w->rings);
	w->rings = nt;
	w->nrings = nn;
	return 0;
}

static int
add_rows(struct mlog_win *w, int64_t t, const unsigned char *k, size_t kn,
    const struct mlog_value *vals)
{
	uint64_t h = mlog_hash64(k, kn, 0);
	struct ring *r;
	struct kept *row;
	struct mlog_value v;
	struct aggst *st;
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	size_t i, j, at;

	for (r = w->rings != NULL ? w->rings[h & (w->nrings - 1)] : NULL;
	    r != NULL; r = r->hnext)
		if (r->hash == h && r->keylen == kn &&
		    same_bytes(r->key, k, kn))
			break;
	if (r == NULL) {
		if (rings_grow(w, w->open + 1) < 0 ||
		    (r = calloc(1, sizeof(*r))) == NULL)
			return -1;
		if ((r->key = malloc(kn > 0 ? kn : 1)) == NULL ||
		    (r->v = calloc(w->c.rows * w->c.naggs, sizeof(*r->v))) ==
		    NULL) {
			free(r->key);
			free(r);
			return -1;
		}
		if (kn > 0)
			memcpy(r->key, k, kn);
		r->keylen = kn;
		r->hash = h;
		r->hnext = w->rings[h & (w->nrings - 1)];
		w->rings[h & (w->nrings - 1)] = r;
		w->open++;
	}
	row = &r->v[r->head * w->c.naggs];
	for (i = 0; i < w->c.naggs; i++) {
		v = vals[w->c.aggs[i].arg];
		if (w->c.aggs[i].kind == MLOG_AGG_COUNT)
			v.type = MLOG_V_TRUE;
		if (kept_set(&row[i], &v, t, w->seq) < 0)
			return -1;
	}
	r->head = (r->head + 1) % w->c.rows;
	if (r->n < w->c.rows)
		r->n++;
	/* the state of the trailing rows, from scratch */
	st = w->free != NULL ? w->free->st : NULL;
	if (st == NULL) {
		if ((w->free = calloc(1, sizeof(*w->free))) == NULL ||
		    (w->free->st = calloc(w->c.naggs, sizeof(*st))) == NULL)
			return -1;
		st = w->free->st;
	}
	for (j = 0; j < r->n; j++) {
		at = (r->head + w->c.rows - r->n + j) % w->c.rows;
		row = &r->v[at * w->c.naggs];
		if (row[0].t < lo)
			lo = row[0].t;
		if (row[0].t > hi)
			hi = row[0].t;
		for (i = 0; i < w->c.naggs; i++) {
			memset(&v, 0, sizeof(v));
			v.type = row[i].type;
			v.num = row[i].num;
			v.json = row[i].json;
			v.jn = row[i].jn;
			if (agg_add(&w->c.aggs[i], &st[i], w->c.exact, &v,
			    row[i].t, row[i].seq) < 0)
				return -1;
		}
	}
	i = (size_t)emit_row(w, k, st, lo, hi, 1, 0);
	for (j = 0; j < w->c.naggs; j++)
		agg_reset(&st[j]);
	return (int)i;
}

/* ---- the engine ---- */

struct mlog_win *
mlog_win_new(const struct mlog_wconf *c, mlog_win_emit *emit, void *arg)
{
	struct mlog_win *w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->c = *c;
	w->emit = emit;
	w->arg = arg;
	w->form = MLOG_TF_ISO;
	w->st = INT64_MIN;
	RB_INIT(&w->closing);
	return w;
}

void
mlog_win_timeform(struct mlog_win *w, int form)
{
	w->form = form;
}

int
mlog_win_add(struct mlog_win *w, int64_t t, const struct mlog_value *keys,
    const struct mlog_value *vals)
{
	struct buf *b = &w->key;
	uint32_t l;
	size_t i;
	int late;

	b->n = 0;
	b->failed = 0;
	for (i = 0; i < w->c.nkeys; i++) {
		l = (uint32_t)keys[i].jn;
		put(b, &l, 4);
		put(b, keys[i].json, keys[i].jn);
	}
	if (b->failed) {
		errno = ENOMEM;
		return -1;
	}
	w->seq++;
	if (w->c.kind == MLOG_WIN_ROWS)
		return add_rows(w, t, b->p, b->n, vals);
	/* what the record's time closes goes first: no window it belongs
	 * to is among them, and it frees their room */
	if (!w->started || t > w->st) {
		w->st = t;
		w->started = 1;
		if (close_due(w) < 0)
			return -1;
	}
	if (w->c.kind == MLOG_WIN_SESSION)
		late = add_session(w, t, b->p, b->n, vals);
	else
		late = add_fixed(w, t, b->p, b->n, vals);
	return late;
}

int
mlog_win_advance(struct mlog_win *w, int64_t t)
{
	if (w->c.kind == MLOG_WIN_ROWS || (w->started && t <= w->st))
		return 0;
	w->st = t;
	w->started = 1;
	return close_due(w);
}

int64_t
mlog_win_streamtime(const struct mlog_win *w)
{
	return w->started ? w->st : INT64_MIN;
}

int64_t
mlog_win_next_close(const struct mlog_win *w)
{
	struct entry *e = RB_MIN(closing, &((struct mlog_win *)w)->closing);

	if (e == NULL || w->c.kind == MLOG_WIN_ROWS)
		return INT64_MAX;
	return e->end + w->c.grace + (w->c.kind == MLOG_WIN_SESSION);
}

int
mlog_win_flush(struct mlog_win *w)
{
	struct entry *e;

	while ((e = RB_MIN(closing, &w->closing)) != NULL)
		if (finish(w, e, 0) < 0)
			return -1;
	return 0;
}

uint64_t
mlog_win_evicted(const struct mlog_win *w)
{
	return w->evicted;
}

void
mlog_win_free(struct mlog_win *w)
{
	struct entry *e, *next;
	struct ring *r, *rn;
	size_t i;

	if (w == NULL)
		return;
	while ((e = RB_MIN(closing, &w->closing)) != NULL) {
		RB_REMOVE(closing, &w->closing, e);
		entry_destroy(w, e);
	}
	for (e = w->free; e != NULL; e = next) {
		next = e->hnext;
		entry_destroy(w, e);
	}
	for (i = 0; i < w->nrings; i++)
		for (r = w->rings[i]; r != NULL; r = rn) {
			rn = r->hnext;
			for (size_t j = 0; j < w->c.rows * w->c.naggs; j++)
				free(r->v[j].json);
			free(r->v);
			free(r->key);
			free(r);
		}
	free(w->rings);
	free(w->ht);
	free(w->row.p);
	free(w->key.p);
	free(w);
}

/*
 * The expression language of mfilter, mmap and every --key/--time/--by
 * option: a subset of jq with jq's semantics (mstreams-expr(7) lists it).
 * A program is parsed once into a tree; each record is evaluated by walking
 * the tree over values that, until an operation needs more, are only the
 * record's own text (the scanner's top-level index, then slices of it).
 * Everything a record's evaluation allocates comes from an arena that is
 * reset, not freed, between records.
 */
#include "internal.h"
#include "expr.h"

#include <ctype.h>
#include <float.h>
#include <getopt.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* memcpy, but n may be 0 with src NULL (empty built arrays and objects). */
static void
copy(void *dst, const void *src, size_t n)
{
	if (n > 0)
		memcpy(dst, src, n);
}

/* ---- values ---- */

enum { T_NULL, T_FALSE, T_TRUE, T_NUM, T_STR, T_ARR, T_OBJ };

/* How an array or object is held: built, raw text, or the record itself. */
enum { L_BUILT, L_TEXT, L_DOC };

struct val {
	uint8_t		 t;
	uint8_t		 lazy;		/* arrays, objects: L_*; numbers: has text */
	uint32_t	 n;		/* string bytes, elements, members, text */
	union {
		double			 d;
		struct val		*a;
		struct kv		*o;
		const struct mlog_jdoc	*doc;
	} u;
	const unsigned char *s;		/* string bytes; raw text */
};

struct kv {
	const unsigned char	*k;
	uint32_t		 kn;
	struct val		 v;
};

static const struct val v_null = { T_NULL, 0, 0, { 0 }, NULL };
static const struct val v_false = { T_FALSE, 0, 0, { 0 }, NULL };
static const struct val v_true = { T_TRUE, 0, 0, { 0 }, NULL };

/* ---- the per-record arena ---- */

struct chunk {
	struct chunk	*next;
	size_t		 used, cap;
	unsigned char	 mem[];
};

struct arena {
	struct chunk	*head, *cur;
	size_t		 total;		/* bytes handed out since the reset */
};

/* What one record's evaluation may take: range(1e12) and the like fail
 * instead of exhausting the machine. */
#define ARENA_MAX	((size_t)256 << 20)
/* How deep the parser may recurse (a bracket takes two levels, a pipe,
 * an interpolation or a unary '-' one), and how deep the tree may be in all
 * (a chain of 500 '+' is 500 deep; a chain of ',' only as deep as its
 * deepest part): past them, parsing or evaluating would overflow the
 * stack. */
#define NEST_MAX	200
#define TREE_MAX	500

static void *
arena_alloc(struct arena *ar, size_t n)
{
	struct chunk *c;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (n > ARENA_MAX || ar->total > ARENA_MAX - n)
		return NULL;
	ar->total += n;
	for (c = ar->cur; c != NULL; c = c->next) {
		if (c->cap - c->used >= n) {
			p = c->mem + c->used;
			c->used += n;
			ar->cur = c;
			return p;
		}
		if (c->next != NULL)
			c->next->used = 0;
	}
	c = malloc(sizeof(*c) + (n > 65536 ? n : 65536));
	if (c == NULL)
		return NULL;
	c->cap = n > 65536 ? n : 65536;
	c->used = n;
	c->next = NULL;
	if (ar->cur == NULL)
		ar->head = c;
	else {
		/* keep the chunks after cur: they are reused next time */
		c->next = ar->cur->next;
		ar->cur->next = c;
	}
	ar->cur = c;
	return c->mem;
}

static void
arena_reset(struct arena *ar)
{
	ar->cur = ar->head;
	ar->total = 0;
	if (ar->head != NULL)
		ar->head->used = 0;
}

static void
arena_free(struct arena *ar)
{
	struct chunk *c, *n;

	for (c = ar->head; c != NULL; c = n) {
		n = c->next;
		free(c);
	}
	ar->head = ar->cur = NULL;
}

/* ---- output vectors ---- */

struct vec {
	struct val	*v;
	size_t		 n, cap;
	struct val	 inl[4];
};

/* The evaluation context of one program. */
struct ctx {
	struct arena	 ar;
	char		 err[512];
	int		 failed;
	struct val	 errval;	/* what error(x) raised, for catch */
	struct val	*vars;		/* by slot */
	size_t		 nvars;
	int		 depth;
	int		 walk;		/* nesting of values compared, merged */
	unsigned char	*sb;		/* serialization buffer */
	size_t		 sblen, sbcap;
	struct rx	*rxlist;	/* every call site's regex, to free */
	int		 canon;		/* print as jq -c would, text ignored */
};

static void
vec_init(struct vec *v)
{
	v->v = v->inl;
	v->n = 0;
	v->cap = sizeof(v->inl) / sizeof(v->inl[0]);
}

static int
vec_push(struct ctx *c, struct vec *v, const struct val *x)
{
	struct val *nv;

	if (v->n == v->cap) {
		if ((nv = arena_alloc(&c->ar, v->cap * 2 * sizeof(*nv))) ==
		    NULL)
			return -1;
		copy(nv, v->v, v->n * sizeof(*nv));
		v->v = nv;
		v->cap *= 2;
	}
	v->v[v->n++] = *x;
	return 0;
}

static int fail(struct ctx *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	c->failed = 1;
	c->errval.t = T_NULL;
	return -1;
}

/*
 * One level deeper into a value for the walks that recurse over it (compare,
 * contain, merge, flatten): an error past the nesting output allows, as
 * reduce can build deeper values and the walk would overflow the stack.
 * The caller steps back with c->walk--.
 */
static int
walk_in(struct ctx *c, const char *what)
{
	if (c->walk >= MLOG_JSON_MAXDEPTH)
		return fail(c, "value nested too deeply to %s (more than %d "
		    "levels)", what, MLOG_JSON_MAXDEPTH);
	c->walk++;
	return 0;
}

static int
nomem(struct ctx *c)
{
	return fail(c, "out of memory (an evaluation may use %zu MiB)",
	    ARENA_MAX >> 20);
}

static struct val
mknum(double d)
{
	struct val v = { T_NUM, 0, 0, { 0 }, NULL };

	v.u.d = d;
	return v;
}

static struct val
mkbool(int b)
{
	return b ? v_true : v_false;
}

static struct val
mkstr(const unsigned char *s, size_t n)
{
	struct val v = { T_STR, 0, 0, { 0 }, NULL };

	v.s = s;
	v.n = (uint32_t)n;
	return v;
}

static struct val
mkarr(struct val *a, size_t n)
{
	struct val v = { T_ARR, L_BUILT, 0, { 0 }, NULL };

	v.u.a = a;
	v.n = (uint32_t)n;
	return v;
}

static struct val
mkobj(struct kv *o, size_t n)
{
	struct val v = { T_OBJ, L_BUILT, 0, { 0 }, NULL };

	v.u.o = o;
	v.n = (uint32_t)n;
	return v;
}

static unsigned char *
strdup_arena(struct ctx *c, const void *s, size_t n)
{
	unsigned char *p;

	if ((p = arena_alloc(&c->ar, n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* A value from validated JSON text. */
static int
from_text(struct ctx *c, const unsigned char *p, size_t n, struct val *out)
{
	unsigned char *d;

	switch (*p) {
	case '"':
		if (memchr(p + 1, '\\', n - 2) == NULL) {
			/* printable as it stands: nothing in it needs escaping */
			*out = mkstr(p + 1, n - 2);
			out->lazy = 1;
			return 0;
		}
		if ((d = arena_alloc(&c->ar, n)) == NULL)
			return nomem(c);
		*out = mkstr(d, mlog_json_unescape(p + 1, n - 2, d));
		return 0;
	case 't':
		*out = v_true;
		return 0;
	case 'f':
		*out = v_false;
		return 0;
	case 'n':
		*out = v_null;
		return 0;
	case '{':
	case '[':
		out->t = *p == '{' ? T_OBJ : T_ARR;
		out->lazy = L_TEXT;
		out->s = p;
		out->n = (uint32_t)n;
		out->u.a = NULL;
		return 0;
	default:
		*out = mknum(mlog_json_number(p, n));
		out->lazy = 1;
		out->s = p;
		out->n = (uint32_t)n;
		return 0;
	}
}

/* A key's decoded bytes. */
static int
key_text(struct ctx *c, const unsigned char *k, size_t kn, int esc,
    const unsigned char **out, size_t *outn)
{
	unsigned char *d;

	if (!esc) {
		*out = k;
		*outn = kn;
		return 0;
	}
	if ((d = arena_alloc(&c->ar, kn + 1)) == NULL)
		return nomem(c);
	*outn = mlog_json_unescape(k, kn, d);
	*out = d;
	return 0;
}

/* Make a text or record object into a built one (later keys win, in the
 * place of the first, as jq does). */
static int
obj_build(struct ctx *c, const struct val *o, struct val *out)
{
	const unsigned char *p, *end, *k, *v, *kd = NULL;
	size_t kn, vn, n = 0, cap = 8, i, kdn = 0;
	struct kv *a, *na;
	const struct mlog_jdoc *doc;
	size_t fi = 0;
	int esc;

	if (o->lazy == L_BUILT) {
		*out = *o;
		return 0;
	}
	if (o->lazy == L_DOC) {
		doc = o->u.doc;
		cap = doc->nf ? doc->nf : 1;
		p = doc->p;
		end = doc->p + doc->n;
	} else {
		doc = NULL;
		p = o->s;
		end = o->s + o->n;
	}
	if ((a = arena_alloc(&c->ar, cap * sizeof(*a))) == NULL)
		return nomem(c);
	for (;;) {
		if (doc != NULL) {
			if (fi == doc->nf)
				break;
			k = doc->f[fi].key;
			kn = doc->f[fi].klen;
			esc = doc->f[fi].kesc;
			v = doc->f[fi].val;
			vn = doc->f[fi].vlen;
			fi++;
		} else {
			if (!mlog_json_next(&p, end, &k, &kn, &v, &vn))
				break;
			esc = memchr(k, '\\', kn) != NULL;
		}
		if (key_text(c, k, kn, esc, &kd, &kdn) < 0)
			return -1;
		for (i = 0; i < n; i++)
			if (a[i].kn == kdn && memcmp(a[i].k, kd, kdn) == 0)
				break;
		if (i == n) {
			if (n == cap) {
				na = arena_alloc(&c->ar, cap * 2 * sizeof(*a));
				if (na == NULL)
					return nomem(c);
				copy(na, a, n * sizeof(*a));
				a = na;
				cap *= 2;
			}
			n++;
		}
		a[i].k = kd;
		a[i].kn = (uint32_t)kdn;
		if (from_text(c, v, vn, &a[i].v) < 0)
			return -1;
	}
	*out = mkobj(a, n);
	return 0;
}

static int
arr_build(struct ctx *c, const struct val *arr, struct val *out)
{
	const unsigned char *p, *end, *v;
	size_t vn, n = 0, cap = 8;
	struct val *a, *na;

	if (arr->lazy == L_BUILT) {
		*out = *arr;
		return 0;
	}
	p = arr->s;
	end = arr->s + arr->n;
	if ((a = arena_alloc(&c->ar, cap * sizeof(*a))) == NULL)
		return nomem(c);
	while (mlog_json_next(&p, end, NULL, NULL, &v, &vn)) {
		if (n == cap) {
			if ((na = arena_alloc(&c->ar, cap * 2 * sizeof(*a))) ==
			    NULL)
				return nomem(c);
			copy(na, a, n * sizeof(*a));
			a = na;
			cap *= 2;
		}
		if (from_text(c, v, vn, &a[n]) < 0)
			return -1;
		n++;
	}
	*out = mkarr(a, n);
	return 0;
}

static int
build(struct ctx *c, const struct val *v, struct val *out)
{
	if (v->t == T_OBJ)
		return obj_build(c, v, out);
	if (v->t == T_ARR)
		return arr_build(c, v, out);
	*out = *v;
	return 0;
}

/* Member key of an object; *found is cleared when absent. */
static int
obj_get(struct ctx *c, const struct val *o, const unsigned char *key,
    size_t kn, struct val *out, int *found)
{
	const unsigned char *p, *end, *k, *v, *kd = NULL;
	size_t kln, vn, i, kdn = 0;
	const struct mlog_jfield *f;
	const unsigned char *hv = NULL;
	size_t hvn = 0;

	*found = 0;
	switch (o->lazy) {
	case L_BUILT:
		for (i = 0; i < o->n; i++)
			if (o->u.o[i].kn == kn &&
			    memcmp(o->u.o[i].k, key, kn) == 0) {
				*out = o->u.o[i].v;
				*found = 1;
				return 0;
			}
		return 0;
	case L_DOC:
		for (i = o->u.doc->nf; i-- > 0;) {
			f = &o->u.doc->f[i];
			if (!f->kesc) {
				if (f->klen != kn || !same_bytes(f->key, key, kn))
					continue;
			} else {
				if (key_text(c, f->key, f->klen, 1, &kd, &kdn) < 0)
					return -1;
				if (kdn != kn || !same_bytes(kd, key, kn))
					continue;
			}
			*found = 1;
			return from_text(c, f->val, f->vlen, out);
		}
		return 0;
	}
	p = o->s;
	end = o->s + o->n;
	while (mlog_json_next(&p, end, &k, &kln, &v, &vn)) {
		if (memchr(k, '\\', kln) == NULL) {
			if (kln != kn || !same_bytes(k, key, kn))
				continue;
		} else {
			if (key_text(c, k, kln, 1, &kd, &kdn) < 0)
				return -1;
			if (kdn != kn || !same_bytes(kd, key, kn))
				continue;
		}
		hv = v;
		hvn = vn;
	}
	if (hv == NULL)
		return 0;
	*found = 1;
	return from_text(c, hv, hvn, out);
}

static size_t
arr_len(const struct val *a)
{
	const unsigned char *p, *end, *v;
	size_t vn, n = 0;

	if (a->lazy == L_BUILT)
		return a->n;
	p = a->s;
	end = a->s + a->n;
	while (mlog_json_next(&p, end, NULL, NULL, &v, &vn))
		n++;
	return n;
}

/* ---- serialization (jq -c) ---- */

static int
sb_grow(struct ctx *c, size_t more)
{
	unsigned char *nb;
	size_t cap;

	if (c->sbcap - c->sblen >= more)
		return 0;
	cap = c->sbcap ? c->sbcap : 4096;
	while (cap - c->sblen < more)
		cap *= 2;
	if ((nb = realloc(c->sb, cap)) == NULL)
		return nomem(c);
	c->sb = nb;
	c->sbcap = cap;
	return 0;
}

static inline int
sb_put(struct ctx *c, const void *p, size_t n)
{
	if (c->sbcap - c->sblen < n && sb_grow(c, n) < 0)
		return -1;
	memcpy(c->sb + c->sblen, p, n);
	c->sblen += n;
	return 0;
}

/* Text of a number as jq 1.6 prints it: the shortest digits that read back
 * the same (at most 17), exponent form outside 1e-5 .. 1e17. */
static size_t
fmt_num(double d, char *buf)
{
	char tmp[40], digits[24], *q = buf, *e;
	int prec, decpt, nd, i, exp;

	if (isnan(d))
		return (size_t)sprintf(buf, "null");
	if (isinf(d))		/* jq prints the largest double */
		return (size_t)sprintf(buf, "%s1.7976931348623157e+308",
		    d < 0 ? "-" : "");
	if (d == 0)
		return (size_t)sprintf(buf, signbit(d) ? "-0" : "0");
	if (fabs(d) < 1e16 && d == (double)(int64_t)d)
		return (size_t)sprintf(buf, "%" PRId64, (int64_t)d);
	/* any decimal of up to 15 digits survives the trip through a
	 * double, so 15 digits with the zeros cut are the shortest when
	 * they read back; else 16, else 17 */
	for (prec = fabs(d) < DBL_MIN ? 1 : 15; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	if (prec == 17)
		snprintf(tmp, sizeof(tmp), "%.16e", d);
	/* tmp: [-]d.ddde[+-]xx */
	nd = 0;
	for (e = tmp; *e != 'e'; e++)
		if (*e >= '0' && *e <= '9')
			digits[nd++] = *e;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	exp = atoi(e + 1);
	decpt = exp + 1;
	if (d < 0)
		*q++ = '-';
	if (decpt <= -4 || decpt > nd + 15) {
		*q++ = digits[0];
		if (nd > 1) {
			*q++ = '.';
			memcpy(q, digits + 1, (size_t)nd - 1);
			q += nd - 1;
		}
		q += sprintf(q, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
	} else if (decpt <= 0) {
		*q++ = '0';
		*q++ = '.';
		for (i = decpt; i < 0; i++)
			*q++ = '0';
		memcpy(q, digits, (size_t)nd);
		q += nd;
	} else {
		for (i = 0; i < nd || i < decpt; i++) {
			if (i == decpt)
				*q++ = '.';
			*q++ = i < nd ? digits[i] : '0';
		}
	}
	*q = '\0';
	return (size_t)(q - buf);
}

static int
put_str(struct ctx *c, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;
	unsigned char ch, e[6];

	if (sb_grow(c, n + 2) < 0 || sb_put(c, "\"", 1) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		ch = s[i];
		if (ch > '\\' || (ch >= 0x20 && ch != '"' && ch != '\\')) {
			if (ch != 0x7f)
				continue;
		}
		if (sb_put(c, s + run, i - run) < 0)
			return -1;
		run = i + 1;
		e[0] = '\\';
		switch (ch) {
		case '"': e[1] = '"'; break;
		case '\\': e[1] = '\\'; break;
		case '\b': e[1] = 'b'; break;
		case '\f': e[1] = 'f'; break;
		case '\n': e[1] = 'n'; break;
		case '\r': e[1] = 'r'; break;
		case '\t': e[1] = 't'; break;
		default:
			memcpy(e + 1, "u00", 3);
			e[4] = (unsigned char)hex[ch >> 4];
			e[5] = (unsigned char)hex[ch & 15];
			if (sb_put(c, e, 6) < 0)
				return -1;
			continue;
		}
		if (sb_put(c, e, 2) < 0)
			return -1;
	}
	if (sb_put(c, s + run, n - run) < 0)
		return -1;
	return sb_put(c, "\"", 1);
}

/* Validated text without the space between tokens. */
static int
put_compact(struct ctx *c, const unsigned char *p, size_t n, int ws)
{
	const unsigned char *end = p + n, *q;
	unsigned char *o;

	if (!ws)
		return sb_put(c, p, n);
	if (sb_grow(c, n) < 0)
		return -1;
	o = c->sb + c->sblen;
	while (p < end) {
		if (*p == '"') {
			q = mlog_json_skip(p, end);
			memcpy(o, p, (size_t)(q - p));
			o += q - p;
			p = q;
		} else if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		else
			*o++ = *p++;
	}
	c->sblen = (size_t)(o - c->sb);
	return 0;
}

static struct kv *sorted_members(struct ctx *, const struct val *);

/* The nesting depth of validated text (a level takes two bytes at least). */
static int
text_depth(const unsigned char *p, size_t n, int room)
{
	const unsigned char *end = p + n;
	int d = 0, max = 0;

	if (n / 2 <= (size_t)room)
		return 0;
	while (p < end) {
		if (*p == '"')
			p = mlog_json_skip(p, end);
		else {
			if (*p == '[' || *p == '{') {
				if (++d > max)
					max = d;
			} else if (*p == ']' || *p == '}')
				d--;
			p++;
		}
	}
	return max;
}

static int
put_val(struct ctx *c, const struct val *v)
{
	struct val built;
	char num[40];
	size_t i;

	if (++c->depth > MLOG_JSON_MAXDEPTH) {	/* readable downstream */
		c->depth--;
		return fail(c, "value nested too deeply to print");
	}
	switch (v->t) {
	case T_NULL:
		i = (size_t)sb_put(c, "null", 4);
		break;
	case T_FALSE:
		i = (size_t)sb_put(c, "false", 5);
		break;
	case T_TRUE:
		i = (size_t)sb_put(c, "true", 4);
		break;
	case T_NUM:
		if (v->lazy && !c->canon)
			i = (size_t)sb_put(c, v->s, v->n);
		else	/* -0 == 0: one text for both when canon */
			i = (size_t)sb_put(c, num, fmt_num(c->canon &&
			    v->u.d == 0 ? 0 : v->u.d, num));
		break;
	case T_STR:
		if (v->lazy && !c->canon)
			i = (size_t)sb_put(c, v->s - 1, (size_t)v->n + 2);
		else
			i = (size_t)put_str(c, v->s, v->n);
		break;
	default:
		if (c->canon) {
			/* equal values, equal text: members sorted by key */
			if ((v->t == T_ARR ? arr_build(c, v, &built) :
			    obj_build(c, v, &built)) < 0 ||
			    (built.t == T_OBJ && (built.u.o =
			    sorted_members(c, &built)) == NULL)) {
				i = (size_t)-1;
				break;
			}
			v = &built;
		}
		if (v->lazy != L_BUILT && c->depth > 1) {
			/* copied text, inside built levels */
			int room = MLOG_JSON_MAXDEPTH - c->depth + 1;
			int deep = v->lazy == L_DOC ? text_depth(v->u.doc->p,
			    v->u.doc->n, room) : text_depth(v->s, v->n, room);
			if (deep > room) {
				c->depth--;
				return fail(c, "value nested too deeply to "
				    "print");
			}
		}
		if (v->lazy == L_DOC) {
			i = (size_t)put_compact(c, v->u.doc->p, v->u.doc->n,
			    v->u.doc->ws);
			break;
		}
		if (v->lazy == L_TEXT) {
			/* a space-free record has no space in its parts */
			i = (size_t)put_compact(c, v->s, v->n, 1);
			break;
		}
		i = (size_t)sb_put(c, v->t == T_ARR ? "[" : "{", 1);
		for (size_t k = 0; i == 0 && k < v->n; k++) {
			if (k > 0 && sb_put(c, ",", 1) < 0)
				i = (size_t)-1;
			else if (v->t == T_ARR)
				i = (size_t)put_val(c, &v->u.a[k]);
			else if (put_str(c, v->u.o[k].k, v->u.o[k].kn) < 0 ||
			    sb_put(c, ":", 1) < 0)
				i = (size_t)-1;
			else
				i = (size_t)put_val(c, &v->u.o[k].v);
		}
		if (i == 0)
			i = (size_t)sb_put(c, v->t == T_ARR ? "]" : "}", 1);
		break;
	}
	c->depth--;
	return i == 0 ? 0 : -1;
}

/* The compact JSON text of v, in the arena. */
static int
tojson(struct ctx *c, const struct val *v, struct val *out)
{
	size_t mark = c->sblen;
	unsigned char *s;

	if (put_val(c, v) < 0)
		return -1;
	s = strdup_arena(c, c->sb + mark, c->sblen - mark);
	if (s == NULL)
		return nomem(c);
	*out = mkstr(s, c->sblen - mark);
	c->sblen = mark;
	return 0;
}

/* ---- order (jq's): null < false < true < numbers < strings < arrays <
 * objects; arrays by element, objects by sorted keys then values ---- */

static int cmp(struct ctx *, const struct val *, const struct val *, int *);

static int
cmp_bytes(const unsigned char *a, size_t an, const unsigned char *b,
    size_t bn)
{
	int r = memcmp(a, b, an < bn ? an : bn);

	if (r != 0)
		return r < 0 ? -1 : 1;
	return an < bn ? -1 : an > bn;
}

static int
kv_cmp(const void *x, const void *y)
{
	const struct kv *a = x, *b = y;

	return cmp_bytes(a->k, a->kn, b->k, b->kn);
}

/* The members of a built object, sorted by key, in the arena. */
static struct kv *
sorted_members(struct ctx *c, const struct val *o)
{
	struct kv *s;

	if ((s = arena_alloc(&c->ar, (o->n + 1) * sizeof(*s))) == NULL) {
		nomem(c);
		return NULL;
	}
	copy(s, o->u.o, o->n * sizeof(*s));
	qsort(s, o->n, sizeof(*s), kv_cmp);
	return s;
}

static int
cmp_in(struct ctx *c, const struct val *a, const struct val *b, int *r)
{
	struct val x, y;
	struct kv *sa, *sb;
	size_t i;

	if (a->t != b->t) {
		*r = a->t < b->t ? -1 : 1;
		return 0;
	}
	switch (a->t) {
	case T_NUM:
		*r = a->u.d < b->u.d ? -1 : a->u.d == b->u.d ? 0 : 1;
		return 0;
	case T_STR:
		*r = cmp_bytes(a->s, a->n, b->s, b->n);
		return 0;
	case T_ARR:
		if (arr_build(c, a, &x) < 0 || arr_build(c, b, &y) < 0)
			return -1;
		for (i = 0; i < x.n && i < y.n; i++) {
			if (cmp(c, &x.u.a[i], &y.u.a[i], r) < 0)
				return -1;
			if (*r != 0)
				return 0;
		}
		*r = x.n < y.n ? -1 : x.n > y.n;
		return 0;
	case T_OBJ:
		if (obj_build(c, a, &x) < 0 || obj_build(c, b, &y) < 0)
			return -1;
		if ((sa = sorted_members(c, &x)) == NULL ||
		    (sb = sorted_members(c, &y)) == NULL)
			return -1;
		for (i = 0; i < x.n && i < y.n; i++)
			if ((*r = cmp_bytes(sa[i].k, sa[i].kn, sb[i].k,
			    sb[i].kn)) != 0)
				return 0;
		if (x.n != y.n) {
			*r = x.n < y.n ? -1 : 1;
			return 0;
		}
		for (i = 0; i < x.n; i++) {
			if (cmp(c, &sa[i].v, &sb[i].v, r) < 0)
				return -1;
			if (*r != 0)
				return 0;
		}
		*r = 0;
		return 0;
	default:
		*r = 0;
		return 0;
	}
}

/* cmp_in() one level deeper (walk_in). */
static int
cmp(struct ctx *c, const struct val *a, const struct val *b, int *r)
{
	int rc;

	if (walk_in(c, "compare") < 0)
		return -1;
	rc = cmp_in(c, a, b, r);
	c->walk--;
	return rc;
}

static int
truthy(const struct val *v)
{
	return v->t != T_NULL && v->t != T_FALSE;
}

static const char *
type_name(int t)
{
	static const char *n[] = { "null", "boolean", "boolean", "number",
	    "string", "array", "object" };

	return n[t];
}

/* "type (value)" for messages, the value cut short as jq 1.6 does. */
static const char *
describe(struct ctx *c, const struct val *v)
{
	size_t mark = c->sblen, n;
	char *buf;

	if ((buf = arena_alloc(&c->ar, 64)) == NULL)
		return type_name(v->t);
	if (put_val(c, v) < 0) {
		c->failed = 0;
		c->sblen = mark;
		return type_name(v->t);
	}
	n = c->sblen - mark;
	if (n > 14)
		snprintf(buf, 64, "%s (%.*s...)", type_name(v->t), 11,
		    c->sb + mark);
	else
		snprintf(buf, 64, "%s (%.*s)", type_name(v->t), (int)n,
		    c->sb + mark);
	c->sblen = mark;
	return buf;
}

/* ---- the program ---- */

enum {
	N_DOT, N_FIELD, N_INDEX, N_SLICE, N_ITER, N_LIT, N_STR, N_ARRAY,
	N_OBJECT, N_PAIR, N_PIPE, N_COMMA, N_ALT, N_AND, N_OR, N_NEG, N_BIN,
	N_IF, N_TRY, N_AS, N_VAR, N_CALL, N_ASSIGN, N_UPDATE, N_OPUPDATE,
	N_REDUCE
};

enum { B_ADD, B_SUB, B_MUL, B_DIV, B_MOD, B_EQ, B_NE, B_LT, B_LE, B_GT,
    B_GE, B_ALT };

struct rx {				/* a regex call site's compiled pattern */
	pcre2_code		*code;
	pcre2_match_data	*md;
	unsigned char		*src;	/* pattern text + NUL + flags */
	size_t			 srclen;
	int			 global, skipempty;
	uint32_t		 ncap, nnames, esz;	/* pattern info */
	PCRE2_SPTR		 names;
	struct rx		*next;
};

struct node {
	int		 op, sub, pos;
	struct node	*a, *b, *c;
	struct node	**args;
	int		 nargs;
	struct val	 lit;		/* N_LIT; N_FIELD: the key */
	int		 slot;		/* N_AS, N_VAR */
	int		 height;	/* of the tree under it, once measured */
	struct rx	*rx;
};

struct mlog_expr {
	struct node	*root;
	struct arena	 prog;		/* the tree, literals, --arg values */
	struct ctx	 c;
	struct val	*vars;
	size_t		 nvars;
	struct val	 last;		/* what mlog_expr_value() returned */
	int		 field;		/* the program is .name */
};

/* Builtins: name, arity, id. */
enum {
	F_EMPTY, F_ERROR0, F_ERROR1, F_NOT, F_LENGTH, F_UTF8LEN, F_KEYS,
	F_KEYSU, F_HAS, F_IN, F_TYPE, F_TOSTRING, F_TONUMBER, F_TOJSON,
	F_FROMJSON, F_DOWN, F_UP, F_STARTS, F_ENDS, F_LTRIM, F_RTRIM, F_SPLIT,
	F_JOIN, F_CONTAINS, F_INSIDE, F_TEST1, F_TEST2, F_MATCH1, F_MATCH2,
	F_CAPTURE1, F_CAPTURE2, F_SUB2, F_SUB3, F_GSUB2, F_GSUB3, F_SELECT,
	F_MAP, F_MAPVALUES, F_WITHENTRIES, F_TOENTRIES, F_FROMENTRIES, F_ADD,
	F_ANY0, F_ALL0, F_ANY1, F_ALL1, F_RANGE1, F_RANGE2, F_LIMIT, F_FIRST0,
	F_LAST0, F_FIRST1, F_FLOOR, F_CEIL, F_ROUND, F_SQRT, F_MIN, F_MAX,
	F_MINBY, F_MAXBY, F_SORT, F_SORTBY, F_GROUPBY, F_UNIQUE, F_UNIQUEBY,
	F_REVERSE, F_FLATTEN0, F_FLATTEN1, F_VALUES, F_NULLS, F_BOOLEANS,
	F_NUMBERS, F_STRINGS, F_ARRAYS, F_OBJECTS, F_ITERABLES, F_SCALARS,
	F_DEL, F_INDEX, F_RINDEX, F_NOW, F_TODATE, F_FROMDATE, F_STRFTIME,
	F_ENV, F_TOEPOCH, F_TIMEFLOOR, F_ABS
};

static const struct builtin {
	const char	*name;
	int		 arity, id;
} builtins[] = {
	{ "empty", 0, F_EMPTY }, { "error", 0, F_ERROR0 },
	{ "error", 1, F_ERROR1 }, { "not", 0, F_NOT },
	{ "length", 0, F_LENGTH }, { "utf8bytelength", 0, F_UTF8LEN },
	{ "keys", 0, F_KEYS }, { "keys_unsorted", 0, F_KEYSU },
	{ "has", 1, F_HAS }, { "in", 1, F_IN }, { "type", 0, F_TYPE },
	{ "tostring", 0, F_TOSTRING }, { "tonumber", 0, F_TONUMBER },
	{ "tojson", 0, F_TOJSON }, { "fromjson", 0, F_FROMJSON },
	{ "ascii_downcase", 0, F_DOWN }, { "ascii_upcase", 0, F_UP },
	{ "startswith", 1, F_STARTS }, { "endswith", 1, F_ENDS },
	{ "ltrimstr", 1, F_LTRIM }, { "rtrimstr", 1, F_RTRIM },
	{ "split", 1, F_SPLIT }, { "join", 1, F_JOIN },
	{ "contains", 1, F_CONTAINS }, { "inside", 1, F_INSIDE },
	{ "test", 1, F_TEST1 }, { "test", 2, F_TEST2 },
	{ "match", 1, F_MATCH1 }, { "match", 2, F_MATCH2 },
	{ "capture", 1, F_CAPTURE1 }, { "capture", 2, F_CAPTURE2 },
	{ "sub", 2, F_SUB2 }, { "sub", 3, F_SUB3 },
	{ "gsub", 2, F_GSUB2 }, { "gsub", 3, F_GSUB3 },
	{ "select", 1, F_SELECT }, { "map", 1, F_MAP },
	{ "map_values", 1, F_MAPVALUES }, { "with_entries", 1, F_WITHENTRIES },
	{ "to_entries", 0, F_TOENTRIES }, { "from_entries", 0, F_FROMENTRIES },
	{ "add", 0, F_ADD }, { "any", 0, F_ANY0 }, { "all", 0, F_ALL0 },
	{ "any", 1, F_ANY1 }, { "all", 1, F_ALL1 },
	{ "range", 1, F_RANGE1 }, { "range", 2, F_RANGE2 },
	{ "limit", 2, F_LIMIT }, { "first", 0, F_FIRST0 },
	{ "last", 0, F_LAST0 }, { "first", 1, F_FIRST1 },
	{ "floor", 0, F_FLOOR }, { "ceil", 0, F_CEIL }, { "round", 0, F_ROUND },
	{ "sqrt", 0, F_SQRT }, { "fabs", 0, F_ABS }, { "min", 0, F_MIN },
	{ "max", 0, F_MAX }, { "min_by", 1, F_MINBY }, { "max_by", 1, F_MAXBY },
	{ "sort", 0, F_SORT }, { "sort_by", 1, F_SORTBY },
	{ "group_by", 1, F_GROUPBY }, { "unique", 0, F_UNIQUE },
	{ "unique_by", 1, F_UNIQUEBY }, { "reverse", 0, F_REVERSE },
	{ "flatten", 0, F_FLATTEN0 }, { "flatten", 1, F_FLATTEN1 },
	{ "values", 0, F_VALUES }, { "nulls", 0, F_NULLS },
	{ "booleans", 0, F_BOOLEANS }, { "numbers", 0, F_NUMBERS },
	{ "strings", 0, F_STRINGS }, { "arrays", 0, F_ARRAYS },
	{ "objects", 0, F_OBJECTS }, { "iterables", 0, F_ITERABLES },
	{ "scalars", 0, F_SCALARS }, { "del", 1, F_DEL },
	{ "index", 1, F_INDEX }, { "rindex", 1, F_RINDEX },
	{ "now", 0, F_NOW }, { "todate", 0, F_TODATE },
	{ "todateiso8601", 0, F_TODATE }, { "fromdate", 0, F_FROMDATE },
	{ "fromdateiso8601", 0, F_FROMDATE }, { "strftime", 1, F_STRFTIME },
	{ "env", 0, F_ENV }, { "toepoch", 0, F_TOEPOCH },
	{ "timefloor", 1, F_TIMEFLOOR },
};

/* jq names outside the subset: a clear error instead of "unknown". */
static const char *unsupported[] = {
	"input", "inputs", "getpath", "setpath", "paths", "path",
	"leaf_paths", "delpaths", "recurse", "recurse_down", "builtins",
	"input_line_number", "input_filename", "splits", "ascii", "implode",
	"explode", "tostream", "fromstream", "truncate_stream", "indices",
	"mktime", "gmtime", "localtime", "strptime", "strflocaltime", "date",
	"dateadd", "datesub", "isinfinite", "isnan", "isnormal", "infinite",
	"nan", "walk", "transpose", "until", "while", "repeat", "combinations",
	"halt", "halt_error", "significand", "logb", "gamma", "frexp", "ldexp",
	"modf", "pow", "log", "exp", "log10", "log2", "exp10", "exp2", "IN",
	"INDEX", "ascii", "debug", "stderr", "nth", "tojson", "getpath",
	"env", "splits", "ltrimstr", "abs", "toarray", "pick", "trim", "ltrim",
	"rtrim", "getpath", "error", "get_search_list", "limit", "first",
	"last", "test", "min_by", "todate", "isvalid", "sub", "gsub", "match",
	"capture", "scan", "split", "join", "flatten", "range", "any", "all",
	NULL
};

struct parser {
	const char		*src;
	size_t			 pos, tokpos;
	int			 tok;
	const char		*tstart;	/* token text */
	size_t			 tlen;
	struct mlog_expr	*e;
	struct mlog_expr_err	*err;
	int			 failed;
	/* variables in scope: name -> slot */
	struct scope {
		const char	*name;
		size_t		 len;
		int		 slot;
	}			 scope[256];
	int			 nscope, nslots;
	int			 depth;
	int			 no_as;		/* reduce's term stops at 'as' */
};

enum {
	K_EOF = 256, K_IDENT, K_FIELD, K_VAR, K_NUM, K_STR, K_FORMAT,
	K_DOTDOT, K_EQ, K_NE, K_LE, K_GE, K_ALT, K_SETPIPE, K_SETPLUS,
	K_SETMINUS, K_SETMUL, K_SETDIV, K_SETMOD, K_SETALT, K_ALTDESTR,
	K_BAD
};

static int perr(struct parser *, size_t pos, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static int
perr(struct parser *p, size_t pos, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	if (p->failed)
		return -1;
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	p->err->line = 1;
	p->err->col = 1;
	for (i = 0; i < pos && p->src[i] != '\0'; i++) {
		if (p->src[i] == '\n') {
			p->err->line++;
			p->err->col = 1;
		} else if (((unsigned char)p->src[i] & 0xc0) != 0x80)
			p->err->col++;
	}
	return -1;
}

static struct node *
nested(struct parser *p)
{
	perr(p, p->tokpos, "expression nested too deeply");
	return NULL;
}

static int
is_ident(int ch, int first)
{
	return ch == '_' || (ch >= 'a' && ch <= 'z') ||
	    (ch >= 'A' && ch <= 'Z') || (!first && ch >= '0' && ch <= '9');
}

/* Skip a string literal's body from just after '"', noting its end. */
static int
lex_string(struct parser *p)
{
	const char *s = p->src;
	size_t i = p->pos;
	int depth;

	for (;;) {
		switch (s[i]) {
		case '\0':
			return perr(p, p->tokpos, "unterminated string");
		case '"':
			p->pos = i + 1;
			return 0;
		case '\\':
			if (s[i + 1] == '(') {
				/* skip the interpolated expression */
				depth = 1;
				i += 2;
				while (depth > 0) {
					if (s[i] == '\0')
						return perr(p, p->tokpos,
						    "unterminated string");
					if (s[i] == '(')
						depth++;
					else if (s[i] == ')')
						depth--;
					else if (s[i] == '"') {
						size_t save = p->pos;
						p->pos = i + 1;
						if (++p->depth > NEST_MAX)
							return perr(p, i,
							    "expression nested "
							    "too deeply");
						if (lex_string(p) < 0)
							return -1;
						p->depth--;
						i = p->pos;
						p->pos = save;
						continue;
					}
					i++;
				}
				continue;
			}
			if (s[i + 1] == '\0')
				return perr(p, p->tokpos,
				    "unterminated string");
			i += 2;
			continue;
		default:
			i++;
		}
	}
}

static int
lex1(struct parser *p)
{
	const char *s = p->src;
	size_t i;

	for (;;) {
		while (s[p->pos] == ' ' || s[p->pos] == '\t' ||
		    s[p->pos] == '\n' || s[p->pos] == '\r')
			p->pos++;
		if (s[p->pos] != '#')
			break;
		while (s[p->pos] != '\0' && s[p->pos] != '\n')
			p->pos++;
	}
	p->tokpos = p->pos;
	p->tstart = s + p->pos;
	i = p->pos;
	if (s[i] == '\0')
		return p->tok = K_EOF;
	if (s[i] == '.' && s[i + 1] == '.') {
		p->pos += 2;
		return p->tok = K_DOTDOT;
	}
	if (s[i] == '.' && is_ident((unsigned char)s[i + 1], 1)) {
		for (i++; is_ident((unsigned char)s[i], 0); i++)
			;
		p->tstart++;
		p->tlen = i - p->pos - 1;
		p->pos = i;
		return p->tok = K_FIELD;
	}
	if (s[i] == '$' || is_ident((unsigned char)s[i], 1)) {
		int var = s[i] == '$';
		if (var)
			i++;
		if (!is_ident((unsigned char)s[i], 1))
			return perr(p, p->pos, "expected a variable name "
			    "after '$'");
		for (; is_ident((unsigned char)s[i], 0) ||
		    (s[i] == ':' && s[i + 1] == ':'); i++)
			if (s[i] == ':')
				i++;
		p->tlen = i - p->pos;
		p->pos = i;
		return p->tok = var ? K_VAR : K_IDENT;
	}
	if (s[i] == '@') {
		for (i++; is_ident((unsigned char)s[i], 0); i++)
			;
		p->tlen = i - p->pos;
		p->pos = i;
		return p->tok = K_FORMAT;
	}
	if ((s[i] >= '0' && s[i] <= '9') || (s[i] == '.' && s[i + 1] >= '0' &&
	    s[i + 1] <= '9')) {
		while ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')
			i++;
		if (s[i] == 'e' || s[i] == 'E') {
			size_t j = i + 1;
			if (s[j] == '+' || s[j] == '-')
				j++;
			if (s[j] >= '0' && s[j] <= '9') {
				for (i = j; s[i] >= '0' && s[i] <= '9'; i++)
					;
			}
		}
		p->tlen = i - p->pos;
		p->pos = i;
		return p->tok = K_NUM;
	}
	if (s[i] == '"') {
		p->pos++;
		if (lex_string(p) < 0)
			return p->tok = K_BAD;
		p->tlen = p->pos - p->tokpos;
		return p->tok = K_STR;
	}
	{
		static const struct { const char *t; int k; } ops[] = {
			{ "?//", K_ALTDESTR }, { "//=", K_SETALT },
			{ "==", K_EQ }, { "!=", K_NE }, { "<=", K_LE },
			{ ">=", K_GE }, { "//", K_ALT }, { "|=", K_SETPIPE },
			{ "+=", K_SETPLUS }, { "-=", K_SETMINUS },
			{ "*=", K_SETMUL }, { "/=", K_SETDIV },
			{ "%=", K_SETMOD },
		};
		size_t k, l;

		for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
			l = strlen(ops[k].t);
			if (strncmp(s + i, ops[k].t, l) == 0) {
				p->pos += l;
				p->tlen = l;
				return p->tok = ops[k].k;
			}
		}
	}
	if (strchr(".[]{}(),:;|+-*/%<>=?", s[i]) != NULL) {
		p->pos++;
		p->tlen = 1;
		return p->tok = (unsigned char)s[i];
	}
	return perr(p, p->pos, "unexpected character '%c'", s[i]);
}

/*
 * The next token.  After any error the parser sees only the end of input,
 * so no production loops, recurses or reads on behind a bad token.
 */
static int
lex(struct parser *p)
{
	if (!p->failed && lex1(p) >= 0 && !p->failed)
		return p->tok;
	p->tlen = 0;
	return p->tok = K_EOF;
}

static int
tok_is(struct parser *p, const char *kw)
{
	return p->tok == K_IDENT && p->tlen == strlen(kw) &&
	    memcmp(p->tstart, kw, p->tlen) == 0;
}

static const char *
tok_desc(struct parser *p)
{
	static char buf[64];

	if (p->tok == K_EOF)
		return "end of expression";
	snprintf(buf, sizeof(buf), "'%.*s'", (int)(p->tlen > 20 ? 20 :
	    p->tlen), p->tstart);
	return buf;
}

static int
expect(struct parser *p, int tok, const char *what)
{
	if (p->tok != tok)
		return perr(p, p->tokpos, "expected %s, found %s", what,
		    tok_desc(p));
	lex(p);
	return 0;
}

static struct node *
mknode(struct parser *p, int op, size_t pos)
{
	struct node *n = arena_alloc(&p->e->prog, sizeof(*n));

	if (n == NULL) {
		perr(p, pos, "out of memory");
		return NULL;
	}
	memset(n, 0, sizeof(*n));
	n->op = op;
	n->pos = (int)pos;
	return n;
}

static struct node *parse_pipe(struct parser *);
static struct node *parse_postfix(struct parser *);
static struct node *parse_objval(struct parser *);
static struct node *parse_unary(struct parser *);

static int
hexdig(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch |= 0x20;
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static size_t
utf8_put(unsigned char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

static unsigned char *
strdup_prog(struct parser *p, const char *s, size_t n)
{
	unsigned char *d = arena_alloc(&p->e->prog, n + 1);

	if (d == NULL) {
		perr(p, p->tokpos, "out of memory");
		return (unsigned char *)"";
	}
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static int
is_keyword(struct parser *p)
{
	static const char *kw[] = { "then", "elif", "else", "end", "as",
	    "catch", "and", "or", NULL };
	int i;

	for (i = 0; kw[i] != NULL; i++)
		if (tok_is(p, kw[i]))
			return 1;
	return 0;
}

/* Decode a string literal's piece (no interpolation) into the program. */
static int
lit_piece(struct parser *p, const char *s, size_t n, size_t pos,
    struct val *out)
{
	unsigned char *d = arena_alloc(&p->e->prog, n * 2 + 1), *o;
	size_t i;
	int k, h;
	uint32_t cp, lo;

	if (d == NULL)
		return perr(p, pos, "out of memory");
	o = d;
	for (i = 0; i < n; i++) {
		if (s[i] != '\\') {
			*o++ = (unsigned char)s[i];
			continue;
		}
		i++;
		switch (s[i]) {
		case '"': case '\\': case '/': *o++ = (unsigned char)s[i];
			continue;
		case 'b': *o++ = '\b'; continue;
		case 'f': *o++ = '\f'; continue;
		case 'n': *o++ = '\n'; continue;
		case 'r': *o++ = '\r'; continue;
		case 't': *o++ = '\t'; continue;
		case 'u':
			cp = 0;
			for (k = 1; k <= 4; k++) {
				if ((h = hexdig(s[i + k])) < 0)
					return perr(p, pos, "invalid \\u "
					    "escape in string");
				cp = cp << 4 | (uint32_t)h;
			}
			i += 4;
			if (cp >= 0xd800 && cp <= 0xdbff && s[i + 1] == '\\' &&
			    s[i + 2] == 'u') {
				lo = 0;
				for (k = 3; k <= 6; k++) {
					if ((h = hexdig(s[i + k])) < 0)
						break;
					lo = lo << 4 | (uint32_t)h;
				}
				if (k == 7 && lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
					i += 6;
				}
			}
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;
			o += utf8_put(o, cp);
			continue;
		default:
			return perr(p, pos, "invalid escape '\\%c' in string",
			    s[i]);
		}
	}
	if (!mlog_utf8_valid(d, (size_t)(o - d)))
		return perr(p, pos, "invalid UTF-8 in string");
	*out = mkstr(d, (size_t)(o - d));
	return 0;
}

/* A string literal, with "\(...)" pieces parsed as expressions. */
static struct node *
parse_string(struct parser *p)
{
	const char *s = p->tstart + 1;
	size_t end = p->tokpos + p->tlen - 1, start = p->tokpos + 1, i;
	struct node *n, *part, **parts = NULL;
	int nparts = 0, cap = 0, depth;
	struct parser sub;

	if ((n = mknode(p, N_STR, p->tokpos)) == NULL)
		return NULL;
	i = start;
	while (i <= end) {
		size_t j = i;
		while (j < end && !(p->src[j] == '\\' && p->src[j + 1] == '('))
			j += p->src[j] == '\\' ? 2 : 1;
		if (j > end)
			j = end;
		if ((part = mknode(p, N_LIT, i)) == NULL ||
		    lit_piece(p, p->src + i, j - i, i, &part->lit) < 0)
			return NULL;
		if (nparts + 2 > cap) {
			struct node **np;
			cap = cap ? cap * 2 : 4;
			np = arena_alloc(&p->e->prog, (size_t)cap *
			    sizeof(*np));
			if (np == NULL) {
				perr(p, i, "out of memory");
				return NULL;
			}
			if (nparts)
				memcpy(np, parts, (size_t)nparts *
				    sizeof(*np));
			parts = np;
		}
		parts[nparts++] = part;
		if (j >= end)
			break;
		/* \( expr ) */
		sub = *p;
		sub.pos = j + 2;
		sub.depth = p->depth + 1;
		lex(&sub);
		if ((part = parse_pipe(&sub)) == NULL) {
			p->failed = 1;
			return NULL;
		}
		if (sub.tok != ')') {
			perr(p, sub.tokpos, "expected ')' to close \\( in "
			    "string, found %s", tok_desc(&sub));
			return NULL;
		}
		p->nslots = sub.nslots;
		parts[nparts++] = part;
		i = sub.pos;
		(void)depth;
	}
	(void)s;
	n->args = parts;
	n->nargs = nparts;
	if (nparts == 1) {		/* a plain literal */
		n->op = N_LIT;
		n->lit = parts[0]->lit;
	}
	lex(p);
	return n;
}

static int
find_var(struct parser *p, const char *name, size_t len)
{
	int i;

	for (i = p->nscope; i-- > 0;)
		if (p->scope[i].len == len &&
		    memcmp(p->scope[i].name, name, len) == 0)
			return p->scope[i].slot;
	return -1;
}

static const struct builtin *
find_builtin(const char *name, size_t len, int arity, int *known)
{
	size_t i;

	*known = 0;
	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (strlen(builtins[i].name) == len &&
		    memcmp(builtins[i].name, name, len) == 0) {
			*known = 1;
			if (builtins[i].arity == arity)
				return &builtins[i];
		}
	return NULL;
}

static int
is_unsupported(const char *name, size_t len)
{
	int i;

	for (i = 0; unsupported[i] != NULL; i++)
		if (strlen(unsupported[i]) == len &&
		    memcmp(unsupported[i], name, len) == 0)
			return 1;
	return 0;
}

static struct node *
parse_object(struct parser *p)
{
	struct node *n, *pair, **ents = NULL, **ne;
	int nents = 0, cap = 0;
	size_t pos = p->tokpos;

	if ((n = mknode(p, N_OBJECT, pos)) == NULL)
		return NULL;
	lex(p);
	while (p->tok != '}') {
		if ((pair = mknode(p, N_PAIR, p->tokpos)) == NULL)
			return NULL;
		if (p->tok == K_VAR) {
			/* {$x}: key "x", value $x */
			int slot = find_var(p, p->tstart + 1, p->tlen - 1);
			if (slot < 0) {
				perr(p, p->tokpos, "$%.*s is not defined",
				    (int)p->tlen - 1, p->tstart + 1);
				return NULL;
			}
			if ((pair->a = mknode(p, N_LIT, p->tokpos)) == NULL ||
			    (pair->b = mknode(p, N_VAR, p->tokpos)) == NULL)
				return NULL;
			pair->a->lit = mkstr(strdup_prog(p, p->tstart + 1,
			    p->tlen - 1), p->tlen - 1);
			pair->b->slot = slot;
			lex(p);
		} else if (p->tok == K_IDENT || p->tok == K_STR) {
			int ident = p->tok == K_IDENT;
			if (ident) {
				if ((pair->a = mknode(p, N_LIT, p->tokpos)) ==
				    NULL)
					return NULL;
				pair->a->lit = mkstr(strdup_prog(p, p->tstart,
				    p->tlen), p->tlen);
				lex(p);
			} else if ((pair->a = parse_string(p)) == NULL)
				return NULL;
			if (p->tok == ':') {
				lex(p);
				if ((pair->b = parse_objval(p)) == NULL)
					return NULL;
			} else {
				/* {a} and {"a"}: .a; {"\(x)"}: error */
				if (pair->a->op != N_LIT) {
					perr(p, p->tokpos, "expected ':' "
					    "after an interpolated key");
					return NULL;
				}
				if ((pair->b = mknode(p, N_FIELD,
				    pair->pos)) == NULL ||
				    (pair->b->a = mknode(p, N_DOT,
				    pair->pos)) == NULL)
					return NULL;
				pair->b->lit = pair->a->lit;
			}
		} else if (p->tok == '(') {
			lex(p);
			if ((pair->a = parse_pipe(p)) == NULL ||
			    expect(p, ')', "')'") < 0 ||
			    expect(p, ':', "':'") < 0 ||
			    (pair->b = parse_objval(p)) == NULL)
				return NULL;
		} else if (p->tok == K_NUM) {
			perr(p, p->tokpos, "object keys must be strings; "
			    "write \"%.*s\"", (int)p->tlen, p->tstart);
			return NULL;
		} else {
			perr(p, p->tokpos, "expected an object key, found %s",
			    tok_desc(p));
			return NULL;
		}
		if (nents == cap) {
			cap = cap ? cap * 2 : 4;
			ne = arena_alloc(&p->e->prog, (size_t)cap * sizeof(*ne));
			if (ne == NULL) {
				perr(p, pos, "out of memory");
				return NULL;
			}
			if (nents)
				memcpy(ne, ents, (size_t)nents * sizeof(*ne));
			ents = ne;
		}
		ents[nents++] = pair;
		if (p->tok == ',') {
			lex(p);
			continue;
		}
		if (p->tok != '}') {
			perr(p, p->tokpos, "expected ',' or '}' in object, "
			    "found %s", tok_desc(p));
			return NULL;
		}
	}
	lex(p);
	n->args = ents;
	n->nargs = nents;
	return n;
}

static struct node *
call_node(struct parser *p, size_t pos, int id, struct node **args,
    int nargs)
{
	struct node *n = mknode(p, N_CALL, pos);

	if (n == NULL)
		return NULL;
	n->sub = id;
	n->args = args;
	n->nargs = nargs;
	return n;
}

static struct node *
parse_call(struct parser *p)
{
	const char *name = p->tstart;
	size_t len = p->tlen, pos = p->tokpos;
	struct node *args[3], **a = NULL;
	const struct builtin *b;
	int nargs = 0, known;

	lex(p);
	if (p->tok == '(') {
		lex(p);
		for (;;) {
			if (nargs == 3) {
				perr(p, p->tokpos, "too many arguments to "
				    "%.*s", (int)len, name);
				return NULL;
			}
			if ((args[nargs++] = parse_pipe(p)) == NULL)
				return NULL;
			if (p->tok == ';') {
				lex(p);
				continue;
			}
			if (expect(p, ')', "';' or ')'") < 0)
				return NULL;
			break;
		}
	}
	if ((b = find_builtin(name, len, nargs, &known)) == NULL) {
		if (known)
			perr(p, pos, "%.*s/%d: no such function (wrong number "
			    "of arguments)", (int)len, name, nargs);
		else if (is_unsupported(name, len))
			perr(p, pos, "%.*s is a jq builtin outside the "
			    "mstreams subset (see mstreams-expr(7))", (int)len,
			    name);
		else
			perr(p, pos, "%.*s/%d is not defined", (int)len, name,
			    nargs);
		return NULL;
	}
	if (nargs > 0) {
		if ((a = arena_alloc(&p->e->prog, (size_t)nargs *
		    sizeof(*a))) == NULL) {
			perr(p, pos, "out of memory");
			return NULL;
		}
		memcpy(a, args, (size_t)nargs * sizeof(*a));
	}
	return call_node(p, pos, b->id, a, nargs);
}

static struct node *
parse_if(struct parser *p)
{
	struct node *n;
	size_t pos = p->tokpos;

	if ((n = mknode(p, N_IF, pos)) == NULL)
		return NULL;
	lex(p);
	if ((n->a = parse_pipe(p)) == NULL)
		return NULL;
	if (!tok_is(p, "then")) {
		perr(p, p->tokpos, "expected 'then', found %s", tok_desc(p));
		return NULL;
	}
	lex(p);
	if ((n->b = parse_pipe(p)) == NULL)
		return NULL;
	if (tok_is(p, "elif")) {
		if ((n->c = parse_if(p)) == NULL)
			return NULL;
		return n;	/* the nested if consumed the 'end' */
	}
	if (tok_is(p, "else")) {
		lex(p);
		if ((n->c = parse_pipe(p)) == NULL)
			return NULL;
	}
	if (!tok_is(p, "end")) {
		perr(p, p->tokpos, "expected 'elif', 'else' or 'end', found %s",
		    tok_desc(p));
		return NULL;
	}
	lex(p);
	return n;
}

/* reduce TERM as $x (INIT; UPDATE) */
static struct node *
parse_reduce(struct parser *p)
{
	struct node *n;
	int save = p->no_as;

	if ((n = mknode(p, N_REDUCE, p->tokpos)) == NULL)
		return NULL;
	lex(p);
	p->no_as = 1;
	n->a = parse_postfix(p);
	p->no_as = save;
	if (n->a == NULL)
		return NULL;
	if (!tok_is(p, "as")) {
		perr(p, p->tokpos, "expected 'as' after reduce's input, found "
		    "%s", tok_desc(p));
		return NULL;
	}
	lex(p);
	if (p->tok != K_VAR) {
		perr(p, p->tokpos, "expected $name after 'as', found %s",
		    tok_desc(p));
		return NULL;
	}
	if (p->nscope == (int)(sizeof(p->scope) / sizeof(p->scope[0]))) {
		perr(p, p->tokpos, "too many variables");
		return NULL;
	}
	n->slot = p->nslots++;
	p->scope[p->nscope].name = p->tstart + 1;
	p->scope[p->nscope].len = p->tlen - 1;
	p->scope[p->nscope].slot = n->slot;
	lex(p);
	if (expect(p, '(', "'(' after 'reduce ... as $name'") < 0 ||
	    (n->b = parse_pipe(p)) == NULL || expect(p, ';', "';'") < 0)
		return NULL;
	p->nscope++;
	n->c = parse_pipe(p);
	p->nscope--;
	if (n->c == NULL || expect(p, ')', "')'") < 0)
		return NULL;
	return n;
}

static struct node *
parse_primary(struct parser *p)
{
	struct node *n;
	size_t pos = p->tokpos;
	char *end, num[64];

	switch (p->tok) {
	case '.':
		if ((n = mknode(p, N_DOT, pos)) == NULL)
			return NULL;
		lex(p);
		if (p->tok == K_STR) {		/* ."key" */
			struct node *f = mknode(p, N_FIELD, pos), *k;
			if (f == NULL || (k = parse_string(p)) == NULL)
				return NULL;
			f->a = n;
			if (k->op != N_LIT) {
				f->op = N_INDEX;
				f->b = k;
			} else
				f->lit = k->lit;
			return f;
		}
		return n;
	case K_FIELD:
		if ((n = mknode(p, N_FIELD, pos)) == NULL ||
		    (n->a = mknode(p, N_DOT, pos)) == NULL)
			return NULL;
		n->lit = mkstr(strdup_prog(p, p->tstart, p->tlen), p->tlen);
		lex(p);
		return n;
	case K_DOTDOT:
		perr(p, pos, "recursive descent (..) is outside the mstreams "
		    "subset (see mstreams-expr(7))");
		return NULL;
	case K_NUM:
		if (p->tlen >= sizeof(num)) {
			perr(p, pos, "number literal too long");
			return NULL;
		}
		memcpy(num, p->tstart, p->tlen);
		num[p->tlen] = '\0';
		if ((n = mknode(p, N_LIT, pos)) == NULL)
			return NULL;
		n->lit = mknum(strtod(num, &end));
		if (*end != '\0') {
			perr(p, pos, "invalid number literal '%s'", num);
			return NULL;
		}
		lex(p);
		return n;
	case K_STR:
		return parse_string(p);
	case K_FORMAT:
		perr(p, pos, "format strings (%.*s) are outside the mstreams "
		    "subset (see mstreams-expr(7))", (int)p->tlen, p->tstart);
		return NULL;
	case '(':
		lex(p);
		if ((n = parse_pipe(p)) == NULL || expect(p, ')', "')'") < 0)
			return NULL;
		return n;
	case '[':
		if ((n = mknode(p, N_ARRAY, pos)) == NULL)
			return NULL;
		lex(p);
		if (p->tok == ']') {
			lex(p);
			return n;
		}
		if ((n->a = parse_pipe(p)) == NULL || expect(p, ']', "']'") < 0)
			return NULL;
		return n;
	case '{':
		return parse_object(p);
	case K_VAR:
		if (p->tlen == 4 && memcmp(p->tstart, "$ENV", 4) == 0) {
			lex(p);
			return call_node(p, pos, F_ENV, NULL, 0);
		}
		if ((n = mknode(p, N_VAR, pos)) == NULL)
			return NULL;
		if ((n->slot = find_var(p, p->tstart + 1, p->tlen - 1)) < 0) {
			if (p->tlen == 8 && memcmp(p->tstart, "$__loc__", 8) ==
			    0)
				perr(p, pos, "$__loc__ is outside the mstreams "
				    "subset (see mstreams-expr(7))");
			else
				perr(p, pos, "$%.*s is not defined",
				    (int)p->tlen - 1, p->tstart + 1);
			return NULL;
		}
		lex(p);
		return n;
	case K_IDENT:
		if (tok_is(p, "if"))
			return parse_if(p);
		if (tok_is(p, "try")) {
			if ((n = mknode(p, N_TRY, pos)) == NULL)
				return NULL;
			lex(p);
			if ((n->a = parse_postfix(p)) == NULL)
				return NULL;
			if (tok_is(p, "catch")) {
				lex(p);
				if ((n->b = parse_postfix(p)) == NULL)
					return NULL;
			}
			return n;
		}
		if (tok_is(p, "true") || tok_is(p, "false") ||
		    tok_is(p, "null")) {
			if ((n = mknode(p, N_LIT, pos)) == NULL)
				return NULL;
			n->lit = tok_is(p, "true") ? v_true :
			    tok_is(p, "false") ? v_false : v_null;
			lex(p);
			return n;
		}
		if (tok_is(p, "reduce"))
			return parse_reduce(p);
		if (tok_is(p, "foreach") ||
		    tok_is(p, "def") || tok_is(p, "label") ||
		    tok_is(p, "import") || tok_is(p, "include")) {
			perr(p, pos, "'%.*s' is outside the mstreams subset "
			    "(see mstreams-expr(7))", (int)p->tlen, p->tstart);
			return NULL;
		}
		if (is_keyword(p))
			break;
		return parse_call(p);
	case K_ALTDESTR:
		perr(p, pos, "?// is outside the mstreams subset "
		    "(see mstreams-expr(7))");
		return NULL;
	case K_BAD:
		return NULL;
	}
	perr(p, pos, "unexpected %s", tok_desc(p));
	return NULL;
}

/* [e], [e:e], [:e], [e:], [] after a term. */
static struct node *
parse_bracket(struct parser *p, struct node *t)
{
	struct node *n;
	size_t pos = p->tokpos;

	lex(p);
	if (p->tok == ']') {
		if ((n = mknode(p, N_ITER, pos)) == NULL)
			return NULL;
		n->a = t;
		lex(p);
		return n;
	}
	if ((n = mknode(p, N_INDEX, pos)) == NULL)
		return NULL;
	n->a = t;
	if (p->tok != ':' && (n->b = parse_pipe(p)) == NULL)
		return NULL;
	if (p->tok == ':') {
		n->op = N_SLICE;
		lex(p);
		if (p->tok != ']' && (n->c = parse_pipe(p)) == NULL)
			return NULL;
	}
	if (expect(p, ']', "']'") < 0)
		return NULL;
	return n;
}

/*
 * E? guards only E's last suffix, as in jq: .a.b? is .a | try .b, so an
 * error in .a still stops.  Suffixes whose keys are computed from the
 * input (.a[.i]?) keep the whole term inside the try.
 */
static int
try_last(struct parser *p, struct node *t, struct node *tr)
{
	struct node *last, *dot, *pipe;

	tr->a = t;
	if ((t->op != N_FIELD && t->op != N_ITER && t->op != N_INDEX) ||
	    t->a->op == N_DOT ||
	    (t->op == N_INDEX && t->b->op != N_LIT))
		return 0;
	if ((last = mknode(p, t->op, t->pos)) == NULL ||
	    (dot = mknode(p, N_DOT, t->pos)) == NULL ||
	    (pipe = mknode(p, N_PIPE, t->pos)) == NULL)
		return -1;
	*last = *t;
	last->a = dot;
	tr->a = last;
	/* tr becomes t.a | try last */
	pipe->a = t->a;
	pipe->b = mknode(p, N_TRY, tr->pos);
	if (pipe->b == NULL)
		return -1;
	pipe->b->a = last;
	*tr = *pipe;
	return 0;
}

static struct node *
parse_postfix(struct parser *p)
{
	struct node *t, *n;
	size_t pos;

	if (++p->depth > NEST_MAX)
		return nested(p);
	if ((t = parse_primary(p)) == NULL)
		return NULL;
	for (;;) {
		pos = p->tokpos;
		if (p->tok == K_FIELD) {
			if ((n = mknode(p, N_FIELD, pos)) == NULL)
				return NULL;
			n->a = t;
			n->lit = mkstr(strdup_prog(p, p->tstart, p->tlen),
			    p->tlen);
			lex(p);
			t = n;
		} else if (p->tok == '.' && (p->src[p->pos] == '"' ||
		    p->src[p->pos] == '[')) {
			lex(p);
			if (p->tok == '[') {
				if ((t = parse_bracket(p, t)) == NULL)
					return NULL;
				continue;
			}
			struct node *k;
			if ((n = mknode(p, N_FIELD, pos)) == NULL ||
			    (k = parse_string(p)) == NULL)
				return NULL;
			n->a = t;
			if (k->op != N_LIT) {
				n->op = N_INDEX;
				n->b = k;
			} else
				n->lit = k->lit;
			t = n;
		} else if (p->tok == '[') {
			if ((t = parse_bracket(p, t)) == NULL)
				return NULL;
		} else if (p->tok == '?') {
			if ((n = mknode(p, N_TRY, pos)) == NULL)
				return NULL;
			lex(p);
			if (try_last(p, t, n) < 0)
				return NULL;
			t = n;
		} else if (tok_is(p, "as") && !p->no_as) {
			lex(p);
			if (p->tok == '[' || p->tok == '{') {
				perr(p, p->tokpos, "destructuring is outside "
				    "the mstreams subset (see mstreams-expr(7))");
				return NULL;
			}
			if (p->tok != K_VAR) {
				perr(p, p->tokpos, "expected $name after 'as', "
				    "found %s", tok_desc(p));
				return NULL;
			}
			if ((n = mknode(p, N_AS, pos)) == NULL)
				return NULL;
			if (p->nscope == (int)(sizeof(p->scope) /
			    sizeof(p->scope[0]))) {
				perr(p, p->tokpos, "too many variables");
				return NULL;
			}
			n->a = t;
			n->slot = p->nslots++;
			p->scope[p->nscope].name = p->tstart + 1;
			p->scope[p->nscope].len = p->tlen - 1;
			p->scope[p->nscope].slot = n->slot;
			lex(p);
			if (expect(p, '|', "'|' after 'as $name'") < 0)
				return NULL;
			p->nscope++;
			n->b = parse_pipe(p);
			p->nscope--;
			if (n->b == NULL)
				return NULL;
			p->depth--;
			return n;
		} else
			break;
	}
	p->depth--;
	return t;
}

static struct node *
parse_unary(struct parser *p)
{
	struct node *n;

	if (p->tok == '-') {
		if (++p->depth > NEST_MAX)
			return nested(p);
		if ((n = mknode(p, N_NEG, p->tokpos)) == NULL)
			return NULL;
		lex(p);
		if ((n->a = parse_unary(p)) == NULL)
			return NULL;
		p->depth--;
		return n;
	}
	return parse_postfix(p);
}

static struct node *
binop(struct parser *p, int sub, size_t pos, struct node *a, struct node *b)
{
	struct node *n;

	if (b == NULL || (n = mknode(p, N_BIN, pos)) == NULL)
		return NULL;
	n->sub = sub;
	n->a = a;
	n->b = b;
	return n;
}

static struct node *
parse_mul(struct parser *p)
{
	struct node *l = parse_unary(p);
	size_t pos;
	int t;

	while (l != NULL && (p->tok == '*' || p->tok == '/' || p->tok == '%')) {
		t = p->tok;
		pos = p->tokpos;
		lex(p);
		l = binop(p, t == '*' ? B_MUL : t == '/' ? B_DIV : B_MOD, pos,
		    l, parse_unary(p));
	}
	return l;
}

static struct node *
parse_add(struct parser *p)
{
	struct node *l = parse_mul(p);
	size_t pos;
	int t;

	while (l != NULL && (p->tok == '+' || p->tok == '-')) {
		t = p->tok;
		pos = p->tokpos;
		lex(p);
		l = binop(p, t == '+' ? B_ADD : B_SUB, pos, l, parse_mul(p));
	}
	return l;
}

static int
cmp_op(int tok)
{
	switch (tok) {
	case K_EQ: return B_EQ;
	case K_NE: return B_NE;
	case '<': return B_LT;
	case K_LE: return B_LE;
	case '>': return B_GT;
	case K_GE: return B_GE;
	}
	return -1;
}

static struct node *
parse_cmp(struct parser *p)
{
	struct node *l = parse_add(p);
	size_t pos = p->tokpos;
	int op;

	if (l == NULL || (op = cmp_op(p->tok)) < 0)
		return l;
	lex(p);
	l = binop(p, op, pos, l, parse_add(p));
	if (l != NULL && cmp_op(p->tok) >= 0) {
		perr(p, p->tokpos, "comparisons do not chain; use "
		    "parentheses");
		return NULL;
	}
	return l;
}

/* operand (op operand)*, left-associative: op is the token tok, or the
 * keyword kw when kw is set. */
static struct node *
left_chain(struct parser *p, struct node *(*operand)(struct parser *),
    int op, int tok, const char *kw)
{
	struct node *l = operand(p), *n;

	while (l != NULL && (kw != NULL ? tok_is(p, kw) : p->tok == tok)) {
		if ((n = mknode(p, op, p->tokpos)) == NULL)
			return NULL;
		lex(p);
		n->a = l;
		if ((n->b = operand(p)) == NULL)
			return NULL;
		l = n;
	}
	return l;
}

static struct node *
parse_and(struct parser *p)
{
	return left_chain(p, parse_cmp, N_AND, 0, "and");
}

static struct node *
parse_or(struct parser *p)
{
	return left_chain(p, parse_and, N_OR, 0, "or");
}

static struct node *
parse_assign(struct parser *p)
{
	struct node *l = parse_or(p), *n;
	int op, sub = 0;

	if (l == NULL)
		return NULL;
	switch (p->tok) {
	case '=': op = N_ASSIGN; break;
	case K_SETPIPE: op = N_UPDATE; break;
	case K_SETPLUS: op = N_OPUPDATE; sub = B_ADD; break;
	case K_SETMINUS: op = N_OPUPDATE; sub = B_SUB; break;
	case K_SETMUL: op = N_OPUPDATE; sub = B_MUL; break;
	case K_SETDIV: op = N_OPUPDATE; sub = B_DIV; break;
	case K_SETMOD: op = N_OPUPDATE; sub = B_MOD; break;
	case K_SETALT: op = N_OPUPDATE; sub = B_ALT; break;
	default:
		return l;
	}
	if ((n = mknode(p, op, p->tokpos)) == NULL)
		return NULL;
	lex(p);
	n->sub = sub;
	n->a = l;
	if ((n->b = parse_or(p)) == NULL)
		return NULL;
	return n;
}

static struct node *
parse_alt(struct parser *p)
{
	struct node *l = parse_assign(p), *n;

	if (l == NULL || p->tok != K_ALT)
		return l;
	if (++p->depth > NEST_MAX)
		return nested(p);
	if ((n = mknode(p, N_ALT, p->tokpos)) == NULL)
		return NULL;
	lex(p);
	n->a = l;
	if ((n->b = parse_alt(p)) == NULL)
		return NULL;
	p->depth--;
	return n;
}

static struct node *
parse_comma(struct parser *p)
{
	struct node *l = parse_alt(p), *n, **tail = &l;

	/* nested to the right, (a, (b, c)), the same outputs in the same
	 * order: ev and paths walk the chain in a loop */
	while (l != NULL && p->tok == ',') {
		if ((n = mknode(p, N_COMMA, p->tokpos)) == NULL)
			return NULL;
		lex(p);
		n->a = *tail;
		if ((n->b = parse_alt(p)) == NULL)
			return NULL;
		*tail = n;
		tail = &n->b;
	}
	return l;
}

static struct node *
parse_pipe(struct parser *p)
{
	struct node *l, *n;

	if (++p->depth > NEST_MAX)
		return nested(p);
	l = parse_comma(p);
	if (l != NULL && p->tok == '|') {
		if ((n = mknode(p, N_PIPE, p->tokpos)) == NULL)
			return NULL;
		lex(p);
		n->a = l;
		if ((n->b = parse_pipe(p)) == NULL)
			return NULL;
		l = n;
	}
	p->depth--;
	return l;
}

/* An object's value: a term, '-' term, or terms joined by '|' (jq's
 * ExpD); anything else needs parentheses. */
static struct node *
parse_objval(struct parser *p)
{
	return left_chain(p, parse_unary, N_PIPE, '|', NULL);
}

/* ---- evaluation ---- */

static int ev(struct ctx *, struct node *, const struct val *, struct vec *);
static int ev_reduce(struct ctx *, struct node *, const struct val *,
    struct vec *);
static int ev_interp(struct ctx *, struct node *, const struct val *, int,
    const struct val *, struct vec *);
static int ev_object(struct ctx *, struct node *, const struct val *,
    struct vec *);

static int
push(struct ctx *c, struct vec *out, struct val v)
{
	if (vec_push(c, out, &v) < 0)
		return nomem(c);
	return 0;
}

static int
index_err(struct ctx *c, const struct val *t, const struct val *k)
{
	if (k->t == T_STR)
		return fail(c, "Cannot index %s with string \"%.*s\"",
		    type_name(t->t), (int)(k->n > 200 ? 200 : k->n), k->s);
	return fail(c, "Cannot index %s with %s", type_name(t->t),
	    type_name(k->t));
}

/* Element i of an array (built or text); null when out of range. */
static int
arr_get(struct ctx *c, const struct val *a, double di, struct val *out)
{
	const unsigned char *p, *end, *v;
	size_t vn, len;
	int64_t i;

	if (isnan(di)) {
		*out = v_null;
		return 0;
	}
	i = di >= 9e18 ? INT64_MAX : di <= -9e18 ? INT64_MIN : (int64_t)floor(di);
	if (i < 0) {
		len = arr_len(a);
		i += (int64_t)len;
		if (i < 0) {
			*out = v_null;
			return 0;
		}
	}
	if (a->lazy == L_BUILT) {
		*out = (uint64_t)i < a->n ? a->u.a[i] : v_null;
		return 0;
	}
	p = a->s;
	end = a->s + a->n;
	while (mlog_json_next(&p, end, NULL, NULL, &v, &vn))
		if (i-- == 0)
			return from_text(c, v, vn, out);
	*out = v_null;
	return 0;
}

static int
index_val(struct ctx *c, const struct val *t, const struct val *k,
    struct val *out)
{
	int found;

	if (t->t == T_OBJ && k->t == T_STR) {
		if (obj_get(c, t, k->s, k->n, out, &found) < 0)
			return -1;
		if (!found)
			*out = v_null;
		return 0;
	}
	if (t->t == T_ARR && k->t == T_NUM)
		return arr_get(c, t, k->u.d, out);
	if (t->t == T_NULL && (k->t == T_STR || k->t == T_NUM ||
	    k->t == T_OBJ)) {
		*out = v_null;
		return 0;
	}
	return index_err(c, t, k);
}

/* Code points in a UTF-8 string. */
static size_t
cp_len(const unsigned char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			k++;
	return k;
}

/* Byte offset of code point i. */
static size_t
cp_off(const unsigned char *s, size_t n, size_t i)
{
	size_t b = 0;

	while (b < n && i > 0) {
		b++;
		while (b < n && (s[b] & 0xc0) == 0x80)
			b++;
		i--;
	}
	return b;
}

static int
slice_val(struct ctx *c, const struct val *t, const struct val *from,
    const struct val *to, struct val *out)
{
	double len, s, e;
	struct val a;

	if (t->t == T_NULL) {
		*out = v_null;
		return 0;
	}
	if ((t->t != T_ARR && t->t != T_STR) ||
	    (from->t != T_NULL && from->t != T_NUM) ||
	    (to->t != T_NULL && to->t != T_NUM))
		return fail(c, "Cannot index %s with object", type_name(t->t));
	if (t->t == T_ARR) {
		if (arr_build(c, t, &a) < 0)
			return -1;
		len = a.n;
	} else
		len = (double)cp_len(t->s, t->n);
	s = from->t == T_NULL ? 0 : floor(from->u.d);
	e = to->t == T_NULL ? len : ceil(to->u.d);
	if (s < 0)
		s += len;
	if (e < 0)
		e += len;
	if (s < 0)
		s = 0;
	if (e > len)
		e = len;
	if (s > len)
		s = len;
	if (e < s)
		e = s;
	if (t->t == T_ARR) {
		/* an empty array may have no storage: no offset from NULL */
		*out = e > s ? mkarr(a.u.a + (size_t)s, (size_t)(e - s)) :
		    mkarr(NULL, 0);
		return 0;
	}
	{
		size_t bs = cp_off(t->s, t->n, (size_t)s);
		size_t be = cp_off(t->s, t->n, (size_t)e);
		*out = be > bs ? mkstr(t->s + bs, be - bs) :
		    mkstr((const unsigned char *)"", 0);
	}
	return 0;
}

/* Each element or member value, in order. */
static int
iterate(struct ctx *c, const struct val *t, struct vec *out)
{
	const unsigned char *p, *end, *k, *v;
	size_t kn, vn, i;
	struct val x;

	if (t->t == T_ARR || t->t == T_OBJ) {
		if (t->lazy == L_BUILT) {
			for (i = 0; i < t->n; i++)
				if (push(c, out, t->t == T_ARR ? t->u.a[i] :
				    t->u.o[i].v) < 0)
					return -1;
			return 0;
		}
		if (t->t == T_OBJ) {
			if (obj_build(c, t, &x) < 0)
				return -1;
			return iterate(c, &x, out);
		}
		p = t->s;
		end = t->s + t->n;
		while (mlog_json_next(&p, end, NULL, NULL, &v, &vn)) {
			if (from_text(c, v, vn, &x) < 0 || push(c, out, x) < 0)
				return -1;
		}
		(void)k;
		(void)kn;
		return 0;
	}
	return fail(c, "Cannot iterate over %s", describe(c, t));
}

static struct val *
vals_copy(struct ctx *c, const struct val *v, size_t n)
{
	struct val *a = arena_alloc(&c->ar, (n ? n : 1) * sizeof(*a));

	if (a == NULL) {
		nomem(c);
		return NULL;
	}
	copy(a, v, n * sizeof(*a));
	return a;
}

static int
concat_str(struct ctx *c, const struct val *a, const struct val *b,
    struct val *out)
{
	unsigned char *s = arena_alloc(&c->ar, (size_t)a->n + b->n + 1);

	if (s == NULL)
		return nomem(c);
	memcpy(s, a->s, a->n);
	memcpy(s + a->n, b->s, b->n);
	*out = mkstr(s, (size_t)a->n + b->n);
	return 0;
}

/* a with b's members set (later wins), deep when deep is set. */
static int obj_merge(struct ctx *, const struct val *, const struct val *, int,
    struct val *);

static int
obj_merge_in(struct ctx *c, const struct val *a, const struct val *b, int deep,
    struct val *out)
{
	struct val x, y, m;
	struct kv *o;
	size_t i, j, n;

	if (obj_build(c, a, &x) < 0 || obj_build(c, b, &y) < 0)
		return -1;
	if ((o = arena_alloc(&c->ar, ((size_t)x.n + y.n + 1) * sizeof(*o))) ==
	    NULL)
		return nomem(c);
	copy(o, x.u.o, x.n * sizeof(*o));
	n = x.n;
	for (j = 0; j < y.n; j++) {
		for (i = 0; i < n; i++)
			if (o[i].kn == y.u.o[j].kn &&
			    memcmp(o[i].k, y.u.o[j].k, o[i].kn) == 0)
				break;
		if (i < n && deep && o[i].v.t == T_OBJ &&
		    y.u.o[j].v.t == T_OBJ) {
			if (obj_merge(c, &o[i].v, &y.u.o[j].v, 1, &m) < 0)
				return -1;
			o[i].v = m;
			continue;
		}
		o[i] = y.u.o[j];
		if (i == n)
			n++;
	}
	*out = mkobj(o, n);
	return 0;
}

/* obj_merge_in() one level deeper (walk_in). */
static int
obj_merge(struct ctx *c, const struct val *a, const struct val *b, int deep,
    struct val *out)
{
	int rc;

	if (walk_in(c, "merge") < 0)
		return -1;
	rc = obj_merge_in(c, a, b, deep, out);
	c->walk--;
	return rc;
}

static int split_str(struct ctx *, const struct val *, const struct val *,
    struct val *);

static int
arith(struct ctx *c, int op, const struct val *a, const struct val *b,
    struct val *out)
{
	static const char *verb[] = { "added", "subtracted", "multiplied",
	    "divided" };
	struct val x, y;
	size_t i, j, n;
	int r;

	switch (op) {
	case B_EQ: case B_NE: case B_LT: case B_LE: case B_GT: case B_GE:
		if (cmp(c, a, b, &r) < 0)
			return -1;
		*out = mkbool(op == B_EQ ? r == 0 : op == B_NE ? r != 0 :
		    op == B_LT ? r < 0 : op == B_LE ? r <= 0 :
		    op == B_GT ? r > 0 : r >= 0);
		return 0;
	case B_ADD:
		if (a->t == T_NULL) {
			*out = *b;
			return 0;
		}
		if (b->t == T_NULL) {
			*out = *a;
			return 0;
		}
		if (a->t != b->t)
			break;
		switch (a->t) {
		case T_NUM:
			*out = mknum(a->u.d + b->u.d);
			return 0;
		case T_STR:
			return concat_str(c, a, b, out);
		case T_ARR:
			if (arr_build(c, a, &x) < 0 || arr_build(c, b, &y) < 0)
				return -1;
			{
				struct val *v = arena_alloc(&c->ar,
				    ((size_t)x.n + y.n + 1) * sizeof(*v));
				if (v == NULL)
					return nomem(c);
				copy(v, x.u.a, x.n * sizeof(*v));
				copy(v + x.n, y.u.a, y.n * sizeof(*v));
				*out = mkarr(v, (size_t)x.n + y.n);
			}
			return 0;
		case T_OBJ:
			return obj_merge(c, a, b, 0, out);
		}
		break;
	case B_SUB:
		if (a->t == T_NUM && b->t == T_NUM) {
			*out = mknum(a->u.d - b->u.d);
			return 0;
		}
		if (a->t == T_ARR && b->t == T_ARR) {
			struct val *v;
			if (arr_build(c, a, &x) < 0 || arr_build(c, b, &y) < 0)
				return -1;
			if ((v = arena_alloc(&c->ar, ((size_t)x.n + 1) *
			    sizeof(*v))) == NULL)
				return nomem(c);
			for (i = n = 0; i < x.n; i++) {
				for (j = 0; j < y.n; j++) {
					if (cmp(c, &x.u.a[i], &y.u.a[j], &r) <
					    0)
						return -1;
					if (r == 0)
						break;
				}
				if (j == y.n)
					v[n++] = x.u.a[i];
			}
			*out = mkarr(v, n);
			return 0;
		}
		break;
	case B_MUL:
		if (a->t == T_NUM && b->t == T_NUM) {
			*out = mknum(a->u.d * b->u.d);
			return 0;
		}
		if ((a->t == T_STR && b->t == T_NUM) ||
		    (a->t == T_NUM && b->t == T_STR)) {
			const struct val *s = a->t == T_STR ? a : b;
			double k = a->t == T_NUM ? a->u.d : b->u.d;
			unsigned char *d;
			if (!(k > 0)) {
				*out = v_null;
				return 0;
			}
			k = ceil(k);
			if (k * s->n > 256.0 * 1024 * 1024)
				return fail(c, "string repetition too long");
			n = (size_t)k;
			if ((d = arena_alloc(&c->ar, n * s->n + 1)) == NULL)
				return nomem(c);
			for (i = 0; i < n; i++)
				memcpy(d + i * s->n, s->s, s->n);
			*out = mkstr(d, n * s->n);
			return 0;
		}
		if (a->t == T_OBJ && b->t == T_OBJ)
			return obj_merge(c, a, b, 1, out);
		break;
	case B_DIV:
		if (a->t == T_NUM && b->t == T_NUM) {
			if (b->u.d == 0)
				return fail(c, "%s and %s cannot be divided "
				    "because the divisor is zero",
				    describe(c, a), describe(c, b));
			*out = mknum(a->u.d / b->u.d);
			return 0;
		}
		if (a->t == T_STR && b->t == T_STR)
			return split_str(c, a, b, out);
		break;
	case B_MOD:
		if (a->t == T_NUM && b->t == T_NUM) {
			double da = a->u.d, db = b->u.d;
			intmax_t ia, ib;
			ia = isnan(da) ? 0 : da >= 9.2e18 ? INTMAX_MAX :
			    da <= -9.2e18 ? INTMAX_MIN : (intmax_t)da;
			ib = isnan(db) ? 0 : db >= 9.2e18 ? INTMAX_MAX :
			    db <= -9.2e18 ? INTMAX_MIN : (intmax_t)db;
			if (ib == 0)
				return fail(c, "%s and %s cannot be divided "
				    "(remainder) because the divisor is zero",
				    describe(c, a), describe(c, b));
			*out = mknum(ib == -1 ? 0 : (double)(ia % ib));
			return 0;
		}
		return fail(c, "%s and %s cannot be divided", describe(c, a),
		    describe(c, b));
	}
	return fail(c, "%s and %s cannot be %s", describe(c, a),
	    describe(c, b), verb[op]);
}

/* ---- paths, for =, |=, op= and del ---- */

struct path {
	struct val	*k;
	size_t		 n;
	struct val	 v;		/* the value there */
};

struct pvec {
	struct path	*p;
	size_t		 n, cap;
};

static int
ppush(struct ctx *c, struct pvec *pv, const struct path *base,
    const struct val *key, const struct val *v)
{
	struct path *np;
	struct val *k;

	if (pv->n == pv->cap) {
		size_t cap = pv->cap ? pv->cap * 2 : 8;
		if ((np = arena_alloc(&c->ar, cap * sizeof(*np))) == NULL)
			return nomem(c);
		if (pv->n)
			memcpy(np, pv->p, pv->n * sizeof(*np));
		pv->p = np;
		pv->cap = cap;
	}
	np = &pv->p[pv->n++];
	if (key == NULL) {
		*np = *base;
		return 0;
	}
	if ((k = arena_alloc(&c->ar, (base->n + 1) * sizeof(*k))) == NULL)
		return nomem(c);
	copy(k, base->k, base->n * sizeof(*k));
	k[base->n] = *key;
	np->k = k;
	np->n = base->n + 1;
	np->v = *v;
	return 0;
}

static int
paths(struct ctx *c, struct node *n, const struct path *base,
    struct pvec *out)
{
	struct pvec pa = { NULL, 0, 0 };
	struct vec kv;
	struct val x, key;
	size_t i, j;

	switch (n->op) {
	case N_DOT:
		return ppush(c, out, base, NULL, NULL);
	case N_FIELD:
	case N_INDEX:
		vec_init(&kv);
		if (n->op == N_FIELD) {
			if (push(c, &kv, n->lit) < 0)
				return -1;
		} else if (ev(c, n->b, &base->v, &kv) < 0)
			return -1;
		if (paths(c, n->a, base, &pa) < 0)
			return -1;
		for (j = 0; j < kv.n; j++)
			for (i = 0; i < pa.n; i++) {
				key = kv.v[j];
				if (key.t == T_NUM)
					key = mknum(floor(key.u.d));
				if (index_val(c, &pa.p[i].v, &key, &x) < 0 ||
				    ppush(c, out, &pa.p[i], &key, &x) < 0)
					return -1;
			}
		return 0;
	case N_ITER:
		if (paths(c, n->a, base, &pa) < 0)
			return -1;
		for (i = 0; i < pa.n; i++) {
			struct val *t = &pa.p[i].v;
			if (t->t == T_ARR) {
				if (arr_build(c, t, &x) < 0)
					return -1;
				for (j = 0; j < x.n; j++) {
					key = mknum((double)j);
					if (ppush(c, out, &pa.p[i], &key,
					    &x.u.a[j]) < 0)
						return -1;
				}
			} else if (t->t == T_OBJ) {
				if (obj_build(c, t, &x) < 0)
					return -1;
				for (j = 0; j < x.n; j++) {
					key = mkstr(x.u.o[j].k, x.u.o[j].kn);
					if (ppush(c, out, &pa.p[i], &key,
					    &x.u.o[j].v) < 0)
						return -1;
				}
			} else if (t->t != T_NULL)
				return fail(c, "Cannot iterate over %s",
				    describe(c, t));
		}
		return 0;
	case N_PIPE:
		if (paths(c, n->a, base, &pa) < 0)
			return -1;
		for (i = 0; i < pa.n; i++)
			if (paths(c, n->b, &pa.p[i], out) < 0)
				return -1;
		return 0;
	case N_COMMA:
		for (; n->op == N_COMMA; n = n->b)
			if (paths(c, n->a, base, out) < 0)
				return -1;
		return paths(c, n, base, out);
	case N_IF:
		vec_init(&kv);
		if (ev(c, n->a, &base->v, &kv) < 0)
			return -1;
		for (i = 0; i < kv.n; i++) {
			if (truthy(&kv.v[i]))
				j = (size_t)paths(c, n->b, base, out);
			else if (n->c != NULL)
				j = (size_t)paths(c, n->c, base, out);
			else
				j = (size_t)ppush(c, out, base, NULL, NULL);
			if (j != 0)
				return -1;
		}
		return 0;
	case N_TRY:
		if (paths(c, n->a, base, out) < 0) {
			c->failed = 0;
			if (n->b != NULL)
				return fail(c, "try/catch is not a path "
				    "expression");
		}
		return 0;
	case N_ALT:
		if (paths(c, n->a, base, &pa) < 0)
			return -1;
		for (i = j = 0; i < pa.n; i++)
			if (truthy(&pa.p[i].v)) {
				j++;
				if (ppush(c, out, &pa.p[i], NULL, NULL) < 0)
					return -1;
			}
		if (j == 0)
			return paths(c, n->b, base, out);
		return 0;
	case N_AS:
		vec_init(&kv);
		if (ev(c, n->a, &base->v, &kv) < 0)
			return -1;
		for (i = 0; i < kv.n; i++) {
			struct val save = c->vars[n->slot];
			c->vars[n->slot] = kv.v[i];
			j = (size_t)paths(c, n->b, base, out);
			c->vars[n->slot] = save;
			if (j != 0)
				return -1;
		}
		return 0;
	case N_CALL:
		switch (n->sub) {
		case F_EMPTY:
			return 0;
		case F_SELECT:
			vec_init(&kv);
			if (ev(c, n->args[0], &base->v, &kv) < 0)
				return -1;
			for (i = 0; i < kv.n; i++)
				if (truthy(&kv.v[i]) &&
				    ppush(c, out, base, NULL, NULL) < 0)
					return -1;
			return 0;
		case F_FIRST0:
		case F_LAST0:
			key = mknum(n->sub == F_FIRST0 ? 0 : -1);
			if (base->v.t == T_ARR && n->sub == F_LAST0)
				key = mknum((double)arr_len(&base->v) - 1);
			if (index_val(c, &base->v, &key, &x) < 0)
				return -1;
			return ppush(c, out, base, &key, &x);
		case F_ERROR0:
		case F_ERROR1:
			vec_init(&kv);
			return ev(c, n, &base->v, &kv);
		}
		break;
	}
	vec_init(&kv);
	if (ev(c, n, &base->v, &kv) < 0)
		return -1;
	if (kv.n == 0)
		return 0;
	return fail(c, "Invalid path expression with result %s",
	    describe(c, &kv.v[0]) + strlen(type_name(kv.v[0].t)) + 1);
}

static int
getpath(struct ctx *c, const struct val *root, const struct val *k,
    size_t n, struct val *out)
{
	struct val cur = *root, next;
	size_t i;

	for (i = 0; i < n; i++) {
		if (cur.t == T_NULL) {
			*out = v_null;
			return 0;
		}
		if (index_val(c, &cur, &k[i], &next) < 0)
			return -1;
		cur = next;
	}
	*out = cur;
	return 0;
}

/* root with the value at path k replaced by v (del: removed). */
static int
setpath(struct ctx *c, const struct val *root, const struct val *k,
    size_t n, const struct val *v, int del, struct val *out)
{
	struct val x, child, nc;
	size_t i, len;

	if (n == 0) {
		*out = *v;
		return 0;
	}
	if (k->t == T_STR) {
		if (root->t == T_NULL) {
			if (del) {
				*out = *root;
				return 0;
			}
			x = mkobj(NULL, 0);
		} else if (root->t != T_OBJ)
			return index_err(c, root, k);
		else if (obj_build(c, root, &x) < 0)
			return -1;
		for (i = 0; i < x.n; i++)
			if (x.u.o[i].kn == k->n &&
			    memcmp(x.u.o[i].k, k->s, k->n) == 0)
				break;
		if (del && i == x.n) {
			*out = x;
			return 0;
		}
		{
			struct kv *o = arena_alloc(&c->ar, ((size_t)x.n + 1) *
			    sizeof(*o));
			if (o == NULL)
				return nomem(c);
			if (x.n)
				copy(o, x.u.o, x.n * sizeof(*o));
			if (del && n == 1) {
				memmove(o + i, o + i + 1, (x.n - i - 1) *
				    sizeof(*o));
				*out = mkobj(o, x.n - 1);
				return 0;
			}
			child = i < x.n ? o[i].v : v_null;
			if (setpath(c, &child, k + 1, n - 1, v, del, &nc) < 0)
				return -1;
			if (i == x.n) {
				o[i].k = k->s;
				o[i].kn = k->n;
			}
			o[i].v = nc;
			*out = mkobj(o, i == x.n ? x.n + 1 : x.n);
		}
		return 0;
	}
	if (k->t == T_NUM) {
		int64_t idx;
		struct val *a;

		if (root->t == T_NULL) {
			if (del) {
				*out = *root;
				return 0;
			}
			x = mkarr(NULL, 0);
		} else if (root->t != T_ARR)
			return index_err(c, root, k);
		else if (arr_build(c, root, &x) < 0)
			return -1;
		if (isnan(k->u.d) || fabs(k->u.d) > 1e9)
			return fail(c, "Array index too large");
		idx = (int64_t)floor(k->u.d);
		if (idx < 0) {
			idx += x.n;
			if (idx < 0) {
				if (del) {
					*out = x;
					return 0;
				}
				return fail(c, "Out of bounds negative array "
				    "index");
			}
		}
		if (del && (size_t)idx >= x.n) {
			*out = x;
			return 0;
		}
		len = (size_t)idx >= x.n ? (size_t)idx + 1 : x.n;
		if ((a = arena_alloc(&c->ar, (len + 1) * sizeof(*a))) == NULL)
			return nomem(c);
		if (x.n)
			memcpy(a, x.u.a, x.n * sizeof(*a));
		for (i = x.n; i < len; i++)
			a[i] = v_null;
		if (del && n == 1) {
			memmove(a + idx, a + idx + 1, (len - (size_t)idx - 1) *
			    sizeof(*a));
			*out = mkarr(a, len - 1);
			return 0;
		}
		if (setpath(c, &a[idx], k + 1, n - 1, v, del, &nc) < 0)
			return -1;
		a[idx] = nc;
		*out = mkarr(a, len);
		return 0;
	}
	if (root->t == T_NULL && del) {
		*out = *root;
		return 0;
	}
	return index_err(c, root, k);
}

static int
path_cmp(struct ctx *c, const struct path *a, const struct path *b, int *r)
{
	struct val x = mkarr(a->k, a->n), y = mkarr(b->k, b->n);

	return cmp(c, &x, &y, r);
}

static int
delpaths(struct ctx *c, const struct val *in, struct pvec *pv,
    struct val *out)
{
	struct val cur = *in, next;
	size_t i, j;
	int r;

	/* deepest-last order would shift indexes: delete from the last */
	for (i = 1; i < pv->n; i++)
		for (j = i; j > 0; j--) {
			if (path_cmp(c, &pv->p[j - 1], &pv->p[j], &r) < 0)
				return -1;
			if (r >= 0)
				break;
			struct path t = pv->p[j];
			pv->p[j] = pv->p[j - 1];
			pv->p[j - 1] = t;
		}
	for (i = 0; i < pv->n; i++) {
		if (pv->p[i].n == 0) {
			*out = v_null;		/* del(.) */
			return 0;
		}
		if (setpath(c, &cur, pv->p[i].k, pv->p[i].n, &v_null, 1,
		    &next) < 0)
			return -1;
		cur = next;
	}
	*out = cur;
	return 0;
}

static int
ev_assign(struct ctx *c, struct node *n, const struct val *in,
    struct vec *out)
{
	struct path base = { NULL, 0, *in };
	struct pvec pv = { NULL, 0, 0 };
	struct vec rhs, f;
	struct val cur, old, nv;
	size_t i, j;

	if (paths(c, n->a, &base, &pv) < 0)
		return -1;
	if (n->op == N_UPDATE) {
		cur = *in;
		for (i = 0; i < pv.n; i++) {
			if (getpath(c, &cur, pv.p[i].k, pv.p[i].n, &old) < 0)
				return -1;
			vec_init(&f);
			if (ev(c, n->b, &old, &f) < 0)
				return -1;
			if (f.n == 0) {
				struct pvec one = { &pv.p[i], 1, 1 };
				if (delpaths(c, &cur, &one, &cur) < 0)
					return -1;
				continue;
			}
			if (setpath(c, &cur, pv.p[i].k, pv.p[i].n, &f.v[0], 0,
			    &nv) < 0)
				return -1;
			cur = nv;
		}
		return push(c, out, cur);
	}
	vec_init(&rhs);
	if (ev(c, n->b, in, &rhs) < 0)
		return -1;
	for (j = 0; j < rhs.n; j++) {
		cur = *in;
		for (i = 0; i < pv.n; i++) {
			if (n->op == N_ASSIGN)
				nv = rhs.v[j];
			else {
				if (getpath(c, &cur, pv.p[i].k, pv.p[i].n,
				    &old) < 0)
					return -1;
				if (n->sub == B_ALT)
					nv = truthy(&old) ? old : rhs.v[j];
				else if (arith(c, n->sub, &old, &rhs.v[j],
				    &nv) < 0)
					return -1;
			}
			if (setpath(c, &cur, pv.p[i].k, pv.p[i].n, &nv, 0,
			    &cur) < 0)
				return -1;
		}
		if (push(c, out, cur) < 0)
			return -1;
	}
	return 0;
}

/* ---- regular expressions (PCRE2, JIT) ---- */

static int
rx_get(struct ctx *c, struct node *n, const struct val *re,
    const struct val *flags, struct rx **out)
{
	struct rx *rx = n->rx;
	uint32_t opt = PCRE2_UTF | PCRE2_NO_UTF_CHECK;
	int global = 0, skipempty = 0, ec;
	PCRE2_SIZE eo;
	unsigned char *key;
	size_t i, klen;

	if (re->t != T_STR)
		return fail(c, "%s cannot be matched, as it is not a string",
		    describe(c, re));
	if (flags->t != T_STR && flags->t != T_NULL)
		return fail(c, "%s is not a string", describe(c, flags));
	for (i = 0; flags->t == T_STR && i < flags->n; i++)
		switch (flags->s[i]) {
		case 'g': global = 1; break;
		case 'i': opt |= PCRE2_CASELESS; break;
		case 'x': opt |= PCRE2_EXTENDED; break;
		/* Oniguruma's single-line mode is already PCRE2's default */
		case 's': break;
		case 'n': skipempty = 1; break;
		case 'p': opt |= PCRE2_DOTALL; break;
		default:
			return fail(c, "%.*s is not a valid modifier string",
			    (int)flags->n, flags->s);
		}
	/* the cache key: pattern, NUL, options */
	klen = (size_t)re->n + 1 + sizeof(opt);
	if (rx != NULL && rx->srclen == klen &&
	    memcmp(rx->src, re->s, re->n) == 0 &&
	    memcmp(rx->src + re->n + 1, &opt, sizeof(opt)) == 0) {
		rx->global = global;
		rx->skipempty = skipempty;
		*out = rx;
		return 0;
	}
	if (rx == NULL) {
		if ((rx = calloc(1, sizeof(*rx))) == NULL)
			return nomem(c);
		n->rx = rx;
		rx->next = c->rxlist;
		c->rxlist = rx;
	}
	pcre2_code_free(rx->code);
	pcre2_match_data_free(rx->md);
	free(rx->src);
	rx->code = NULL;
	rx->md = NULL;
	rx->srclen = 0;
	if ((key = malloc(klen)) == NULL)
		return nomem(c);
	memcpy(key, re->s, re->n);
	key[re->n] = '\0';
	memcpy(key + re->n + 1, &opt, sizeof(opt));
	rx->src = key;
	rx->code = pcre2_compile(re->s, re->n, opt, &ec, &eo, NULL);
	if (rx->code == NULL) {
		unsigned char msg[200];
		pcre2_get_error_message(ec, msg, sizeof(msg));
		free(rx->src);
		rx->src = NULL;
		return fail(c, "%.*s (at offset %zu) is not a valid regex: %s",
		    (int)(re->n > 100 ? 100 : re->n), re->s, (size_t)eo, msg);
	}
	(void)pcre2_jit_compile(rx->code, PCRE2_JIT_COMPLETE);
	if ((rx->md = pcre2_match_data_create_from_pattern(rx->code, NULL)) ==
	    NULL)
		return nomem(c);
	pcre2_pattern_info(rx->code, PCRE2_INFO_CAPTURECOUNT, &rx->ncap);
	pcre2_pattern_info(rx->code, PCRE2_INFO_NAMECOUNT, &rx->nnames);
	pcre2_pattern_info(rx->code, PCRE2_INFO_NAMEENTRYSIZE, &rx->esz);
	pcre2_pattern_info(rx->code, PCRE2_INFO_NAMETABLE, &rx->names);
	rx->srclen = klen;
	rx->global = global;
	rx->skipempty = skipempty;
	*out = rx;
	return 0;
}

/* The next match at or after byte start: 1 found, 0 none, -1 error. */
static int
rx_exec(struct ctx *c, struct rx *rx, const struct val *s, size_t start,
    uint32_t flags)
{
	int r = pcre2_match(rx->code, s->s, s->n, start, flags |
	    PCRE2_NO_UTF_CHECK, rx->md, NULL);

	if (r >= 0)
		return 1;
	if (r == PCRE2_ERROR_NOMATCH)
		return 0;
	{
		unsigned char msg[200];
		pcre2_get_error_message(r, msg, sizeof(msg));
		return fail(c, "regex match failed: %s", msg);
	}
}

/* The match objects of jq's match(): offsets in code points. */
static int
rx_matches(struct ctx *c, struct rx *rx, const struct val *s,
    struct vec *out, int want_objects)
{
	PCRE2_SIZE *ov;
	PCRE2_SPTR names;
	uint32_t ncap, nnames, esz, i;
	size_t start = 0;
	int r;

	ncap = rx->ncap;
	nnames = rx->nnames;
	esz = rx->esz;
	names = rx->names;
	for (;;) {
		if (start > s->n)
			break;
		if ((r = rx_exec(c, rx, s, start, 0)) < 0)
			return -1;
		if (r == 0)
			break;
		ov = pcre2_get_ovector_pointer(rx->md);
		if (!(rx->skipempty && ov[0] == ov[1])) {
			struct kv *o;
			struct val *caps;
			if (!want_objects) {
				if (push(c, out, v_true) < 0)
					return -1;
				return 0;
			}
			o = arena_alloc(&c->ar, 4 * sizeof(*o));
			caps = arena_alloc(&c->ar, (ncap + 1) * sizeof(*caps));
			if (o == NULL || caps == NULL)
				return nomem(c);
			for (i = 1; i <= ncap; i++) {
				struct kv *co = arena_alloc(&c->ar,
				    4 * sizeof(*co));
				const unsigned char *nm = NULL;
				uint32_t k;
				if (co == NULL)
					return nomem(c);
				for (k = 0; k < nnames; k++) {
					const unsigned char *e =
					    names + k * esz;
					if ((uint32_t)(e[0] << 8 | e[1]) == i)
						nm = e + 2;
				}
				co[0].k = (const unsigned char *)"offset";
				co[0].kn = 6;
				co[1].k = (const unsigned char *)"length";
				co[1].kn = 6;
				co[2].k = (const unsigned char *)"string";
				co[2].kn = 6;
				co[3].k = (const unsigned char *)"name";
				co[3].kn = 4;
				if (ov[2 * i] == PCRE2_UNSET) {
					co[0].v = mknum(-1);
					co[1].v = mknum(0);
					co[2].v = v_null;
				} else {
					co[0].v = mknum((double)cp_len(s->s,
					    ov[2 * i]));
					co[1].v = mknum((double)cp_len(s->s +
					    ov[2 * i], ov[2 * i + 1] -
					    ov[2 * i]));
					co[2].v = mkstr(s->s + ov[2 * i],
					    ov[2 * i + 1] - ov[2 * i]);
				}
				co[3].v = nm ? mkstr(nm, strlen((const char *)
				    nm)) : v_null;
				caps[i - 1] = mkobj(co, 4);
			}
			o[0].k = (const unsigned char *)"offset";
			o[0].kn = 6;
			o[0].v = mknum((double)cp_len(s->s, ov[0]));
			o[1].k = (const unsigned char *)"length";
			o[1].kn = 6;
			o[1].v = mknum((double)cp_len(s->s + ov[0],
			    ov[1] - ov[0]));
			o[2].k = (const unsigned char *)"string";
			o[2].kn = 6;
			o[2].v = mkstr(s->s + ov[0], ov[1] - ov[0]);
			o[3].k = (const unsigned char *)"captures";
			o[3].kn = 8;
			o[3].v = mkarr(caps, ncap);
			if (push(c, out, mkobj(o, 4)) < 0)
				return -1;
		}
		if (!rx->global)
			break;
		if (ov[1] == ov[0]) {
			/* step over one code point after an empty match */
			start = ov[1] + 1;
			while (start < s->n && (s->s[start] & 0xc0) == 0x80)
				start++;
		} else
			start = ov[1];
		/* as jq: no further try once the end is reached */
		if (start >= s->n)
			break;
	}
	if (!want_objects)
		return push(c, out, v_false);
	return 0;
}

/* {name: string} of a match object's named captures. */
static int
capture_obj(struct ctx *c, const struct val *m, struct val *out)
{
	struct val caps, name, str;
	struct kv *o;
	size_t i, n = 0;
	int found;

	if (obj_get(c, m, (const unsigned char *)"captures", 8, &caps,
	    &found) < 0)
		return -1;
	if ((o = arena_alloc(&c->ar, (caps.n + 1) * sizeof(*o))) == NULL)
		return nomem(c);
	for (i = 0; i < caps.n; i++) {
		if (obj_get(c, &caps.u.a[i], (const unsigned char *)"name", 4,
		    &name, &found) < 0 ||
		    obj_get(c, &caps.u.a[i], (const unsigned char *)"string",
		    6, &str, &found) < 0)
			return -1;
		if (name.t != T_STR)
			continue;
		o[n].k = name.s;
		o[n].kn = name.n;
		o[n].v = str;
		n++;
	}
	*out = mkobj(o, n);
	return 0;
}

/* sub and gsub: each output of the replacement (evaluated on the capture
 * object) gives a result; several matches multiply. */
static int
rx_sub(struct ctx *c, struct node *n, const struct val *s, struct rx *rx,
    struct node *repl, struct vec *out)
{
	struct vec ms, parts, next, r;
	struct val cap, off, len;
	size_t i, j, k, prev = 0, bo, bl;
	int found;

	vec_init(&ms);
	if (rx_matches(c, rx, s, &ms, 1) < 0)
		return -1;
	vec_init(&parts);
	if (push(c, &parts, mkstr((const unsigned char *)"", 0)) < 0)
		return -1;
	for (i = 0; i < ms.n; i++) {
		if (obj_get(c, &ms.v[i], (const unsigned char *)"offset", 6,
		    &off, &found) < 0 ||
		    obj_get(c, &ms.v[i], (const unsigned char *)"length", 6,
		    &len, &found) < 0 || capture_obj(c, &ms.v[i], &cap) < 0)
			return -1;
		bo = cp_off(s->s, s->n, (size_t)off.u.d);
		bl = cp_off(s->s + bo, s->n - bo, (size_t)len.u.d);
		vec_init(&r);
		if (ev(c, repl, &cap, &r) < 0)
			return -1;
		vec_init(&next);
		for (k = 0; k < r.n; k++) {
			if (r.v[k].t != T_STR)
				return fail(c, "%s cannot be added to a string",
				    describe(c, &r.v[k]));
			for (j = 0; j < parts.n; j++) {
				struct val gap = mkstr(s->s + prev, bo - prev),
				    t1, t2;
				if (concat_str(c, &parts.v[j], &gap, &t1) < 0 ||
				    concat_str(c, &t1, &r.v[k], &t2) < 0 ||
				    push(c, &next, t2) < 0)
					return -1;
			}
		}
		/* no struct copy: a vector's inline storage stays behind */
		parts.n = 0;
		for (k = 0; k < next.n; k++)
			if (push(c, &parts, next.v[k]) < 0)
				return -1;
		prev = bo + bl;
	}
	for (j = 0; j < parts.n; j++) {
		struct val rest = mkstr(s->s + prev, s->n - prev), t;
		if (concat_str(c, &parts.v[j], &rest, &t) < 0 ||
		    push(c, out, t) < 0)
			return -1;
	}
	(void)n;
	return 0;
}

/* ---- time ---- */

static int
fmt_time(struct ctx *c, const struct val *v, const char *fmt,
    struct val *out)
{
	struct tm tm;
	time_t t;
	char buf[512];
	size_t n;
	unsigned char *s;

	if (v->t != T_NUM)
		return fail(c, "strftime/1 requires parsed datetime inputs");
	if (!(fabs(v->u.d) < 6e16))
		return fail(c, "%s is out of range for a time",
		    describe(c, v));
	t = (time_t)floor(v->u.d);
	if (gmtime_r(&t, &tm) == NULL)
		return fail(c, "%s is out of range for a time",
		    describe(c, v));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = strftime(buf, sizeof(buf), fmt, &tm);
#pragma GCC diagnostic pop
	if (n == 0 && fmt[0] != '\0')
		return fail(c, "strftime/1: unknown system failure");
	if ((s = strdup_arena(c, buf, n)) == NULL)
		return nomem(c);
	*out = mkstr(s, n);
	return 0;
}

/* Epoch seconds from a number (s/ms/us/ns by magnitude) or a time text. */
static int
to_epoch(struct ctx *c, const struct val *v, double *out)
{
	char buf[128];
	int64_t us;
	double d;

	if (v->t == T_NUM) {
		d = fabs(v->u.d);
		*out = d < 1e11 ? v->u.d : d < 1e14 ? v->u.d / 1e3 :
		    d < 1e17 ? v->u.d / 1e6 : v->u.d / 1e9;
		return 0;
	}
	if (v->t != T_STR)
		return fail(c, "%s is not a time", describe(c, v));
	if (v->n >= sizeof(buf) || memchr(v->s, '\0', v->n) != NULL)
		return fail(c, "%s is not a time", describe(c, v));
	memcpy(buf, v->s, v->n);
	buf[v->n] = '\0';
	if (buf[0] == '-' || buf[0] == '+' || strcmp(buf, "now") == 0 ||
	    mlog_time_parse(buf, 0, &us) < 0)
		return fail(c, "%s is not a time", describe(c, v));
	*out = (double)us / 1e6;
	return 0;
}

/* ---- builtins ---- */

static int
keys_of(struct ctx *c, const struct val *v, int sorted, struct val *out)
{
	struct val x, *a;
	struct kv *s;
	size_t i;

	if (v->t == T_ARR) {
		size_t n = arr_len(v);
		if ((a = arena_alloc(&c->ar, (n + 1) * sizeof(*a))) == NULL)
			return nomem(c);
		for (i = 0; i < n; i++)
			a[i] = mknum((double)i);
		*out = mkarr(a, n);
		return 0;
	}
	if (v->t != T_OBJ)
		return fail(c, "%s has no keys", describe(c, v));
	if (obj_build(c, v, &x) < 0)
		return -1;
	if (sorted) {
		if ((s = sorted_members(c, &x)) == NULL)
			return -1;
	} else
		s = x.u.o;
	if ((a = arena_alloc(&c->ar, ((size_t)x.n + 1) * sizeof(*a))) == NULL)
		return nomem(c);
	for (i = 0; i < x.n; i++)
		a[i] = mkstr(s[i].k, s[i].kn);
	*out = mkarr(a, x.n);
	return 0;
}

static int
split_str(struct ctx *c, const struct val *s, const struct val *sep,
    struct val *out)
{
	struct vec parts;
	size_t i = 0, start = 0;

	if (s->t != T_STR || sep->t != T_STR)
		return fail(c, "split input and separator must be strings");
	vec_init(&parts);
	if (s->n == 0) {
		*out = mkarr(NULL, 0);
		return 0;
	}
	if (sep->n == 0) {
		while (i < s->n) {
			size_t b = i++;
			while (i < s->n && (s->s[i] & 0xc0) == 0x80)
				i++;
			if (push(c, &parts, mkstr(s->s + b, i - b)) < 0)
				return -1;
		}
	} else {
		while (i + sep->n <= s->n) {
			if (memcmp(s->s + i, sep->s, sep->n) == 0) {
				if (push(c, &parts, mkstr(s->s + start,
				    i - start)) < 0)
					return -1;
				i += sep->n;
				start = i;
			} else
				i++;
		}
		if (push(c, &parts, mkstr(s->s + start, s->n - start)) < 0)
			return -1;
	}
	{
		struct val *a = vals_copy(c, parts.v, parts.n);
		if (a == NULL)
			return -1;
		*out = mkarr(a, parts.n);
	}
	return 0;
}

static int contains(struct ctx *, const struct val *, const struct val *,
    int *);

static int
contains_in(struct ctx *c, const struct val *a, const struct val *b, int *r)
{
	struct val x, y, m;
	size_t i, j;
	int found, sub;

	if (a->t == T_OBJ && b->t == T_OBJ) {
		if (obj_build(c, b, &y) < 0)
			return -1;
		for (i = 0; i < y.n; i++) {
			if (obj_get(c, a, y.u.o[i].k, y.u.o[i].kn, &m,
			    &found) < 0)
				return -1;
			if (!found) {
				*r = 0;
				return 0;
			}
			if (contains(c, &m, &y.u.o[i].v, r) < 0)
				return -1;
			if (!*r)
				return 0;
		}
		*r = 1;
		return 0;
	}
	if (a->t == T_ARR && b->t == T_ARR) {
		if (arr_build(c, a, &x) < 0 || arr_build(c, b, &y) < 0)
			return -1;
		for (j = 0; j < y.n; j++) {
			for (i = 0; i < x.n; i++) {
				if (contains(c, &x.u.a[i], &y.u.a[j], &sub) < 0)
					return -1;
				if (sub)
					break;
			}
			if (i == x.n) {
				*r = 0;
				return 0;
			}
		}
		*r = 1;
		return 0;
	}
	if (a->t == T_STR && b->t == T_STR) {
		*r = b->n == 0 || memmem(a->s, a->n, b->s, b->n) != NULL;
		return 0;
	}
	if (a->t == b->t || (a->t <= T_TRUE && b->t <= T_TRUE &&
	    a->t != T_NULL && b->t != T_NULL)) {
		if (cmp(c, a, b, &sub) < 0)
			return -1;
		*r = sub == 0;
		if (a->t != b->t)
			return fail(c, "%s and %s cannot have their "
			    "containment checked", describe(c, a),
			    describe(c, b));
		return 0;
	}
	return fail(c, "%s and %s cannot have their containment checked",
	    describe(c, a), describe(c, b));
}

/* contains_in() one level deeper (walk_in). */
static int
contains(struct ctx *c, const struct val *a, const struct val *b, int *r)
{
	int rc;

	if (walk_in(c, "compare") < 0)
		return -1;
	rc = contains_in(c, a, b, r);
	c->walk--;
	return rc;
}

/* Stable sort of v by keys (merge sort). */
static int
sort_by_keys(struct ctx *c, struct val *v, struct val *k, size_t n)
{
	struct val *tv, *tk;
	size_t w, i, l, m, r, a, b;
	int cr;

	if (n < 2)
		return 0;
	tv = arena_alloc(&c->ar, n * sizeof(*tv));
	tk = arena_alloc(&c->ar, n * sizeof(*tk));
	if (tv == NULL || tk == NULL)
		return nomem(c);
	for (w = 1; w < n; w *= 2) {
		for (l = 0; l < n; l += 2 * w) {
			m = l + w < n ? l + w : n;
			r = l + 2 * w < n ? l + 2 * w : n;
			a = l;
			b = m;
			for (i = l; i < r; i++) {
				if (a < m && b < r) {
					if (cmp(c, &k[b], &k[a], &cr) < 0)
						return -1;
				} else
					cr = a < m ? 1 : -1;
				if (a < m && (b >= r || cr >= 0)) {
					tv[i] = v[a];
					tk[i] = k[a++];
				} else {
					tv[i] = v[b];
					tk[i] = k[b++];
				}
			}
		}
		copy(v, tv, n * sizeof(*v));
		copy(k, tk, n * sizeof(*k));
	}
	return 0;
}

/* The elements of an array with [f] of each as the sort key. */
static int
keyed(struct ctx *c, const struct val *in, struct node *f, struct val **vp,
    struct val **kp, size_t *np)
{
	struct val x, *v, *k;
	struct vec r;
	size_t i;

	if (in->t != T_ARR)
		return fail(c, "Cannot index %s with number", type_name(in->t));
	if (arr_build(c, in, &x) < 0)
		return -1;
	v = vals_copy(c, x.u.a, x.n);
	k = arena_alloc(&c->ar, ((size_t)x.n + 1) * sizeof(*k));
	if (v == NULL || k == NULL)
		return nomem(c);
	for (i = 0; i < x.n; i++) {
		if (f == NULL) {
			k[i] = v[i];
			continue;
		}
		vec_init(&r);
		if (ev(c, f, &v[i], &r) < 0)
			return -1;
		struct val *ra = vals_copy(c, r.v, r.n);
		if (ra == NULL)
			return -1;
		k[i] = mkarr(ra, r.n);
	}
	if (sort_by_keys(c, v, k, x.n) < 0)
		return -1;
	*vp = v;
	*kp = k;
	*np = x.n;
	return 0;
}

static int flatten(struct ctx *, const struct val *, double, struct vec *);

static int
flatten_in(struct ctx *c, const struct val *a, double depth, struct vec *acc)
{
	struct val x;
	size_t i;

	if (arr_build(c, a, &x) < 0)
		return -1;
	for (i = 0; i < x.n; i++) {
		if (x.u.a[i].t == T_ARR && depth > 0) {
			if (flatten(c, &x.u.a[i], depth - 1, acc) < 0)
				return -1;
		} else if (push(c, acc, x.u.a[i]) < 0)
			return -1;
	}
	return 0;
}

/* flatten_in() one level deeper (walk_in). */
static int
flatten(struct ctx *c, const struct val *a, double depth, struct vec *acc)
{
	int rc;

	if (walk_in(c, "flatten") < 0)
		return -1;
	rc = flatten_in(c, a, depth, acc);
	c->walk--;
	return rc;
}

static int
to_entries(struct ctx *c, const struct val *in, struct val *out)
{
	struct val x, *a;
	struct kv *e;
	size_t i;

	if (in->t != T_OBJ)
		return fail(c, "%s has no keys", describe(c, in));
	if (obj_build(c, in, &x) < 0)
		return -1;
	a = arena_alloc(&c->ar, ((size_t)x.n + 1) * sizeof(*a));
	e = arena_alloc(&c->ar, ((size_t)x.n + 1) * 2 * sizeof(*e));
	if (a == NULL || e == NULL)
		return nomem(c);
	for (i = 0; i < x.n; i++) {
		e[2 * i].k = (const unsigned char *)"key";
		e[2 * i].kn = 3;
		e[2 * i].v = mkstr(x.u.o[i].k, x.u.o[i].kn);
		e[2 * i + 1].k = (const unsigned char *)"value";
		e[2 * i + 1].kn = 5;
		e[2 * i + 1].v = x.u.o[i].v;
		a[i] = mkobj(&e[2 * i], 2);
	}
	*out = mkarr(a, x.n);
	return 0;
}

static int
from_entries(struct ctx *c, const struct val *in, struct val *out)
{
	static const char *kn[] = { "key", "k", "name", "Name", "K", "Key" };
	struct val x, k, v, acc = mkobj(NULL, 0), one;
	struct kv *o;
	size_t i, j;
	int found;

	if (in->t != T_ARR)
		return fail(c, "Cannot iterate over %s", describe(c, in));
	if (arr_build(c, in, &x) < 0)
		return -1;
	for (i = 0; i < x.n; i++) {
		const struct val *e = &x.u.a[i];
		k = v_null;
		for (j = 0; j < 6 && !truthy(&k); j++)
			if (index_val(c, e, &(struct val){ T_STR, 0,
			    (uint32_t)strlen(kn[j]), { 0 },
			    (const unsigned char *)kn[j] }, &k) < 0)
				return -1;
		if (e->t == T_OBJ) {
			if (obj_get(c, e, (const unsigned char *)"value", 5,
			    &v, &found) < 0)
				return -1;
			if (!found && (obj_get(c, e, (const unsigned char *)
			    "v", 1, &v, &found) < 0))
				return -1;
			if (!found)
				v = v_null;
		} else
			v = v_null;
		if (k.t != T_STR)
			return fail(c, "Cannot use %s as object key",
			    describe(c, &k));
		if ((o = arena_alloc(&c->ar, sizeof(*o))) == NULL)
			return nomem(c);
		o->k = k.s;
		o->kn = k.n;
		o->v = v;
		one = mkobj(o, 1);
		if (obj_merge(c, &acc, &one, 0, &acc) < 0)
			return -1;
	}
	*out = acc;
	return 0;
}

static int
str_arg(struct ctx *c, const struct val *in, const struct val *a,
    const char *name)
{
	if (in->t != T_STR || a->t != T_STR)
		return fail(c, "%s() requires string inputs", name);
	return 0;
}

static int
tonumber(struct ctx *c, const struct val *in, struct val *out)
{
	struct mlog_jdoc d = { 0 };
	const char *why;
	size_t col;

	if (in->t == T_NUM) {
		*out = *in;
		return 0;
	}
	if (in->t != T_STR)
		return fail(c, "%s cannot be parsed as a number",
		    describe(c, in));
	if (mlog_json_scan(&d, in->s, in->n, &why, &col) < 0 ||
	    (*d.p != '-' && (*d.p < '0' || *d.p > '9'))) {
		mlog_jdoc_free(&d);
		return fail(c, "Cannot parse '%.*s' as a number",
		    (int)(in->n > 100 ? 100 : in->n), in->s);
	}
	*out = mknum(mlog_json_number(d.p, d.n));
	mlog_jdoc_free(&d);
	return 0;
}

static int
fromjson(struct ctx *c, const struct val *in, struct val *out)
{
	struct mlog_jdoc d = { 0 };
	const char *why;
	size_t col;
	unsigned char *copy;
	int r;

	if (in->t != T_STR)
		return fail(c, "%s only strings can be parsed",
		    describe(c, in));
	if (mlog_json_scan(&d, in->s, in->n, &why, &col) < 0) {
		mlog_jdoc_free(&d);
		return fail(c, "%s at column %zu (while parsing '%.*s')", why,
		    col, (int)(in->n > 100 ? 100 : in->n), in->s);
	}
	/* the text must outlive d: copy it and read the value from it */
	if ((copy = strdup_arena(c, d.p, d.n)) == NULL) {
		mlog_jdoc_free(&d);
		return nomem(c);
	}
	r = from_text(c, copy, d.n, out);
	mlog_jdoc_free(&d);
	return r;
}

static int
length(struct ctx *c, const struct val *in, struct val *out)
{
	struct val x;

	switch (in->t) {
	case T_NULL:
		*out = mknum(0);
		return 0;
	case T_NUM:
		*out = mknum(fabs(in->u.d));
		return 0;
	case T_STR:
		*out = mknum((double)cp_len(in->s, in->n));
		return 0;
	case T_ARR:
		*out = mknum((double)arr_len(in));
		return 0;
	case T_OBJ:
		if (obj_build(c, in, &x) < 0)
			return -1;
		*out = mknum(x.n);
		return 0;
	}
	return fail(c, "%s has no length", describe(c, in));
}

static int
map_case(struct ctx *c, const struct val *in, int up, struct val *out)
{
	unsigned char *s;
	size_t i;

	if (in->t != T_STR)
		return fail(c, "explode input must be a string");
	if ((s = arena_alloc(&c->ar, (size_t)in->n + 1)) == NULL)
		return nomem(c);
	for (i = 0; i < in->n; i++) {
		unsigned char ch = in->s[i];
		if (up && ch >= 'a' && ch <= 'z')
			ch -= 32;
		else if (!up && ch >= 'A' && ch <= 'Z')
			ch += 32;
		s[i] = ch;
	}
	*out = mkstr(s, in->n);
	return 0;
}

static int
env_obj(struct ctx *c, struct val *out)
{
	extern char **environ;
	struct kv *o;
	size_t i, n = 0;
	char *eq;

	for (i = 0; environ[i] != NULL; i++)
		;
	if ((o = arena_alloc(&c->ar, (i + 1) * sizeof(*o))) == NULL)
		return nomem(c);
	for (i = 0; environ[i] != NULL; i++) {
		if ((eq = strchr(environ[i], '=')) == NULL)
			continue;
		o[n].k = (const unsigned char *)environ[i];
		o[n].kn = (uint32_t)(eq - environ[i]);
		o[n].v = mkstr((const unsigned char *)eq + 1, strlen(eq + 1));
		n++;
	}
	*out = mkobj(o, n);
	return 0;
}

/* Each output of arg i on in. */
static int
args1(struct ctx *c, struct node *n, int i, const struct val *in,
    struct vec *out)
{
	vec_init(out);
	return ev(c, n->args[i], in, out);
}

/* Where the elements of sub (an array, or one value) first or last
 * appear in order in a; null when nowhere. */
static int
arr_index(struct ctx *c, const struct val *a, const struct val *sub,
    int last, struct val *out)
{
	struct val x, y;
	size_t i, j;
	int r;

	if (arr_build(c, a, &x) < 0)
		return -1;
	if (sub->t == T_ARR) {
		if (arr_build(c, sub, &y) < 0)
			return -1;
	} else
		y = mkarr((struct val *)(uintptr_t)sub, 1);
	*out = v_null;
	if (y.n == 0)
		return 0;
	for (i = 0; i + y.n <= x.n; i++) {
		for (j = 0; j < y.n; j++) {
			if (cmp(c, &x.u.a[i + j], &y.u.a[j], &r) < 0)
				return -1;
			if (r != 0)
				break;
		}
		if (j == y.n) {
			*out = mknum((double)i);
			if (!last)
				return 0;
		}
	}
	return 0;
}

static int
call(struct ctx *c, struct node *n, const struct val *in, struct vec *out)
{
	struct vec a, b, r;
	struct val x, y, z;
	size_t i, j, k;
	int t, found;
	struct rx *rx = NULL;

	switch (n->sub) {
	case F_EMPTY:
		return 0;
	case F_ERROR0:
		x = *in;
		goto raise;
	case F_ERROR1:
		if (args1(c, n, 0, in, &a) < 0)
			return -1;
		if (a.n == 0)
			return 0;
		x = a.v[0];
raise:
		if (x.t == T_STR)
			fail(c, "%.*s", (int)x.n, x.s);
		else
			fail(c, "%s (not a string)", describe(c, &x));
		c->errval = x;
		return -1;
	case F_NOT:
		return push(c, out, mkbool(!truthy(in)));
	case F_LENGTH:
		if (length(c, in, &x) < 0)
			return -1;
		return push(c, out, x);
	case F_UTF8LEN:
		if (in->t != T_STR)
			return fail(c, "%s only strings have UTF-8 byte length",
			    describe(c, in));
		return push(c, out, mknum(in->n));
	case F_KEYS:
	case F_KEYSU:
		if (keys_of(c, in, n->sub == F_KEYS, &x) < 0)
			return -1;
		return push(c, out, x);
	case F_HAS:
	case F_IN:
		if (args1(c, n, 0, in, &a) < 0)
			return -1;
		for (i = 0; i < a.n; i++) {
			const struct val *o = n->sub == F_HAS ? in : &a.v[i];
			const struct val *key = n->sub == F_HAS ? &a.v[i] : in;
			if (o->t == T_OBJ && key->t == T_STR) {
				if (obj_get(c, o, key->s, key->n, &x,
				    &found) < 0)
					return -1;
			} else if (o->t == T_ARR && key->t == T_NUM)
				found = key->u.d >= 0 &&
				    key->u.d < (double)arr_len(o);
			else
				return fail(c, "Cannot check whether %s has a "
				    "%s key", type_name(o->t),
				    type_name(key->t));
			if (push(c, out, mkbool(found)) < 0)
				return -1;
		}
		return 0;
	case F_TYPE:
		return push(c, out, mkstr((const unsigned char *)
		    type_name(in->t), strlen(type_name(in->t))));
	case F_TOSTRING:
		if (in->t == T_STR)
			return push(c, out, *in);
		/* FALLTHROUGH */
	case F_TOJSON:
		if (tojson(c, in, &x) < 0)
			return -1;
		return push(c, out, x);
	case F_TONUMBER:
		if (tonumber(c, in, &x) < 0)
			return -1;
		return push(c, out, x);
	case F_FROMJSON:
		if (fromjson(c, in, &x) < 0)
			return -1;
		return push(c, out, x);
	case F_DOWN:
	case F_UP:
		if (map_case(c, in, n->sub == F_UP, &x) < 0)
			return -1;
		return push(c, out, x);
	case F_STARTS:
	case F_ENDS:
	case F_LTRIM:
	case F_RTRIM:
		if (args1(c, n, 0, in, &a) < 0)
			return -1;
		for (i = 0; i < a.n; i++) {
			const struct val *s = &a.v[i];
			int pre = n->sub == F_STARTS || n->sub == F_LTRIM;
			if (n->sub == F_STARTS || n->sub == F_ENDS) {
				if (str_arg(c, in, s, pre ? "startswith" :
				    "endswith") < 0)
					return -1;
			} else if (in->t != T_STR || s->t != T_STR) {
				if (push(c, out, *in) < 0)
					return -1;
				continue;
			}
			t = s->n <= in->n && memcmp(pre ? in->s : in->s +
			    in->n - s->n, s->s, s->n) == 0;
			if (n->sub == F_STARTS || n->sub == F_ENDS)
				x = mkbool(t);
			else if (!t)
				x = *in;
			else
				x = mkstr(pre ? in->s + s->n : in->s,
				    in->n - s->n);
			if (push(c, out, x) < 0)
				return -1;
		}
		return 0;
	case F_SPLIT:
		if (args1(c, n, 0, in, &a) < 0)
			return -1;
		for (i = 0; i < a.n; i++)
			if (split_str(c, in, &a.v[i], &x) < 0 ||
			    push(c, out, x) < 0)
				return -1;
		return 0;
	case F_JOIN:
		if (args1(c, n, 0, in, &a) < 0)
			return -1;
		if (in->t != T_ARR && in->t != T_OBJ)
			return fail(c, "Cannot iterate over %s",
			    describe(c, in));
		vec_init(&b);
		if (iterate(c, in, &b) < 0)
			return -1;
		for (i = 0; i < a.n; i++) {
			x = mkstr((const unsigned char *)"", 0);
			for (j = 0; j < b.n; j++) {
				if (j > 0 && arith(c, B_ADD, &x, &a.v[i], &x) <
				    0)
					return -1;
				y = b.v[j];
				if (y.t == T_NULL)
					continue;
				if (y.t == T_NUM || y.t == T_TRUE ||
				    y.t == T_FALSE) {
					if (tojson(c, &y, &y) < 0)
						return -1;
				}
				if (arith(c, B_ADD, &x, &y, &x) < 0)
					return -1;
			}
			if (push(c, out, x) < 0)
				return -1;
		}
		return 0;
	case F_CONTAINS:
	case F_INSIDE:
		if (args1(c, n, 0, in, &a) < 0)
			return -1;
		for (i = 0; i < a.n; i++) {
			if (n->sub == F_CONTAINS ? contains(c, in, &a.v[i],
			    &t) < 0 : contains(c, &a.v[i], in, &t) < 0)
				return -1;
			if (push(c, out, mkbool(t)) < 0)
				return -1;
		}
		return 0;
	case F_TEST1: case F_TEST2: case F_MATCH1: case F_MATCH2:
	case F_CAPTURE1: case F_CAPTURE2:
	case F_SUB2: case F_SUB3: case F_GSUB2: case F_GSUB3:
	{
		/* the flags are the last argument: the third of sub/gsub */
		int fl = n->sub >= F_SUB2 ? 2 : 1;
		if (args1(c, n, 0, in, &a) < 0)
			return -1;
		vec_init(&b);
		if (n->nargs > fl) {
			if (args1(c, n, fl, in, &b) < 0)
				return -1;
		} else if (push(c, &b, v_null) < 0)
			return -1;
		for (i = 0; i < a.n; i++)
			for (j = 0; j < b.n; j++) {
				if (in->t != T_STR)
					return fail(c, "%s cannot be matched, "
					    "as it is not a string",
					    describe(c, in));
				if (rx_get(c, n, &a.v[i], &b.v[j], &rx) < 0)
					return -1;
				if (n->sub >= F_SUB2) {
					if (n->sub >= F_GSUB2)
						rx->global = 1;
					if (rx_sub(c, n, in, rx, n->args[1],
					    out) < 0)
						return -1;
					continue;
				}
				if (n->sub == F_TEST1 || n->sub == F_TEST2) {
					int g = rx->global;
					rx->global = 0;
					t = rx_matches(c, rx, in, out, 0);
					rx->global = g;
					if (t < 0)
						return -1;
					continue;
				}
				vec_init(&r);
				if (rx_matches(c, rx, in, &r, 1) < 0)
					return -1;
				for (k = 0; k < r.n; k++) {
					if ((n->sub == F_CAPTURE1 ||
					    n->sub == F_CAPTURE2) &&
					    capture_obj(c, &r.v[k], &r.v[k]) < 0)
						return -1;
					if (push(c, out, r.v[k]) < 0)
						return -1;
				}
			}
		return 0;
	}
	case F_SELECT:
		if (args1(c, n, 0, in, &a) < 0)
			return -1;
		for (i = 0; i < a.n; i++)
			if (truthy(&a.v[i]) && push(c, out, *in) < 0)
				return -1;
		return 0;
	case F_MAP:
	case F_MAPVALUES:
		if (in->t != T_ARR && in->t != T_OBJ)
			return fail(c, "Cannot iterate over %s",
			    describe(c, in));
		if (n->sub == F_MAPVALUES) {
			/* .[] |= f */
			struct pvec pv = { NULL, 0, 0 };
			struct path base = { NULL, 0, *in };
			struct node it = { 0 };
			struct node dot = { 0 };
			dot.op = N_DOT;
			it.op = N_ITER;
			it.a = &dot;
			if (paths(c, &it, &base, &pv) < 0)
				return -1;
			x = *in;
			for (i = pv.n; i-- > 0;) {
				vec_init(&r);
				if (ev(c, n->args[0], &pv.p[i].v, &r) < 0)
					return -1;
				if (r.n == 0) {
					struct pvec one = { &pv.p[i], 1, 1 };
					if (delpaths(c, &x, &one, &x) < 0)
						return -1;
				} else if (setpath(c, &x, pv.p[i].k, pv.p[i].n,
				    &r.v[0], 0, &x) < 0)
					return -1;
			}
			return push(c, out, x);
		}
		vec_init(&b);
		if (iterate(c, in, &b) < 0)
			return -1;
		vec_init(&r);
		for (i = 0; i < b.n; i++)
			if (ev(c, n->args[0], &b.v[i], &r) < 0)
				return -1;
		{
			struct val *v = vals_copy(c, r.v, r.n);
			if (v == NULL)
				return -1;
			return push(c, out, mkarr(v, r.n));
		}
	case F_WITHENTRIES:
		if (to_entries(c, in, &x) < 0)
			return -1;
		vec_init(&r);
		for (i = 0; i < x.n; i++)
			if (ev(c, n->args[0], &x.u.a[i], &r) < 0)
				return -1;
		{
			struct val *v = vals_copy(c, r.v, r.n);
			if (v == NULL)
				return -1;
			y = mkarr(v, r.n);
		}
		if (from_entries(c, &y, &z) < 0)
			return -1;
		return push(c, out, z);
	case F_TOENTRIES:
		if (to_entries(c, in, &x) < 0)
			return -1;
		return push(c, out, x);
	case F_FROMENTRIES:
		if (from_entries(c, in, &x) < 0)
			return -1;
		return push(c, out, x);
	case F_ADD:
		vec_init(&b);
		if (iterate(c, in, &b) < 0)
			return -1;
		x = v_null;
		for (i = 0; i < b.n; i++)
			if (arith(c, B_ADD, &x, &b.v[i], &x) < 0)
				return -1;
		return push(c, out, x);
	case F_ANY0:
	case F_ALL0:
	case F_ANY1:
	case F_ALL1:
		vec_init(&b);
		if (iterate(c, in, &b) < 0)
			return -1;
		t = n->sub == F_ALL0 || n->sub == F_ALL1;
		for (i = 0; i < b.n; i++) {
			if (n->nargs == 1) {
				vec_init(&r);
				if (ev(c, n->args[0], &b.v[i], &r) < 0)
					return -1;
				for (j = 0; j < r.n; j++)
					if (truthy(&r.v[j]) != t)
						return push(c, out, mkbool(!t));
			} else if (truthy(&b.v[i]) != t)
				return push(c, out, mkbool(!t));
		}
		return push(c, out, mkbool(t));
	case F_RANGE1:
	case F_RANGE2:
		if (args1(c, n, 0, in, &a) < 0)
			return -1;
		vec_init(&b);
		if (n->nargs == 2 && args1(c, n, 1, in, &b) < 0)
			return -1;
		for (i = 0; i < a.n; i++) {
			double from = 0, to;
			if (n->nargs == 1) {
				if (a.v[i].t != T_NUM)
					return fail(c, "Range bounds must be "
					    "numeric");
				to = a.v[i].u.d;
				for (double d = from; d < to; d++)
					if (push(c, out, mknum(d)) < 0)
						return -1;
				continue;
			}
			for (j = 0; j < b.n; j++) {
				if (a.v[i].t != T_NUM || b.v[j].t != T_NUM)
					return fail(c, "Range bounds must be "
					    "numeric");
				for (double d = a.v[i].u.d; d < b.v[j].u.d; d++)
					if (push(c, out, mknum(d)) < 0)
						return -1;
			}
		}
		return 0;
	case F_LIMIT:
		if (args1(c, n, 0, in, &a) < 0)
			return -1;
		for (i = 0; i < a.n; i++) {
			if (a.v[i].t != T_NUM)
				return fail(c, "Invalid limit: must be a "
				    "number");
			vec_init(&r);
			if (a.v[i].u.d <= 0)
				continue;
			if (ev(c, n->args[1], in, &r) < 0 &&
			    (double)r.n < a.v[i].u.d)
				return -1;
			c->failed = 0;
			for (j = 0; j < r.n && (double)j < a.v[i].u.d; j++)
				if (push(c, out, r.v[j]) < 0)
					return -1;
		}
		return 0;
	case F_FIRST0:
	case F_LAST0:
		y = mknum(n->sub == F_FIRST0 ? 0 : -1);
		if (index_val(c, in, &y, &x) < 0)
			return -1;
		return push(c, out, x);
	case F_FIRST1:
		vec_init(&r);
		if (ev(c, n->args[0], in, &r) < 0 && r.n == 0)
			return -1;
		c->failed = 0;
		if (r.n > 0)
			return push(c, out, r.v[0]);
		return 0;
	case F_FLOOR: case F_CEIL: case F_ROUND: case F_SQRT: case F_ABS:
		if (in->t != T_NUM)
			return fail(c, "%s number required", describe(c, in));
		x = mknum(n->sub == F_FLOOR ? floor(in->u.d) :
		    n->sub == F_CEIL ? ceil(in->u.d) :
		    n->sub == F_ROUND ? round(in->u.d) :
		    n->sub == F_SQRT ? sqrt(in->u.d) : fabs(in->u.d));
		return push(c, out, x);
	case F_MIN: case F_MAX: case F_MINBY: case F_MAXBY:
	{
		struct val *v, *kk;
		size_t cnt;
		if (keyed(c, in, n->nargs ? n->args[0] : NULL, &v, &kk, &cnt) <
		    0)
			return -1;
		if (cnt == 0)
			return push(c, out, v_null);
		/* jq: the first minimum, the last maximum */
		return push(c, out, n->sub == F_MIN || n->sub == F_MINBY ?
		    v[0] : v[cnt - 1]);
	}
	case F_SORT: case F_SORTBY:
	{
		struct val *v, *kk;
		size_t cnt;
		if (in->t != T_ARR)
			return fail(c, "%s cannot be sorted, as it is not an "
			    "array", describe(c, in));
		if (keyed(c, in, n->nargs ? n->args[0] : NULL, &v, &kk, &cnt) <
		    0)
			return -1;
		return push(c, out, mkarr(v, cnt));
	}
	case F_GROUPBY: case F_UNIQUE: case F_UNIQUEBY:
	{
		struct val *v, *kk, *g;
		size_t cnt, ng = 0, start;
		int cr;
		if (in->t != T_ARR)
			return fail(c, "Cannot index %s with number",
			    type_name(in->t));
		if (keyed(c, in, n->nargs ? n->args[0] : NULL, &v, &kk, &cnt) <
		    0)
			return -1;
		if ((g = arena_alloc(&c->ar, (cnt + 1) * sizeof(*g))) == NULL)
			return nomem(c);
		for (start = 0, i = 1; i <= cnt; i++) {
			if (i < cnt) {
				if (cmp(c, &kk[i], &kk[start], &cr) < 0)
					return -1;
				if (cr == 0)
					continue;
			}
			if (start < cnt)
				g[ng++] = n->sub == F_GROUPBY ?
				    mkarr(v + start, i - start) : v[start];
			start = i;
		}
		return push(c, out, mkarr(g, ng));
	}
	case F_REVERSE:
		if (in->t == T_NULL)
			return push(c, out, mkarr(NULL, 0));
		if (in->t != T_ARR)
			return fail(c, "Cannot index %s with number",
			    type_name(in->t));
		if (arr_build(c, in, &x) < 0)
			return -1;
		{
			struct val *v = arena_alloc(&c->ar, ((size_t)x.n + 1) *
			    sizeof(*v));
			if (v == NULL)
				return nomem(c);
			for (i = 0; i < x.n; i++)
				v[i] = x.u.a[x.n - 1 - i];
			return push(c, out, mkarr(v, x.n));
		}
	case F_FLATTEN0:
	case F_FLATTEN1:
		vec_init(&a);
		if (n->nargs == 1) {
			if (args1(c, n, 0, in, &a) < 0)
				return -1;
		} else if (push(c, &a, mknum(1e9)) < 0)
			return -1;
		for (i = 0; i < a.n; i++) {
			if (a.v[i].t != T_NUM || a.v[i].u.d < 0)
				return fail(c, "flatten depth must not be "
				    "negative");
			if (in->t != T_ARR)
				return fail(c, "Cannot iterate over %s",
				    describe(c, in));
			vec_init(&r);
			if (flatten(c, in, a.v[i].u.d, &r) < 0)
				return -1;
			struct val *v = vals_copy(c, r.v, r.n);
			if (v == NULL || push(c, out, mkarr(v, r.n)) < 0)
				return -1;
		}
		return 0;
	case F_VALUES:
		return in->t != T_NULL ? push(c, out, *in) : 0;
	case F_NULLS:
		return in->t == T_NULL ? push(c, out, *in) : 0;
	case F_BOOLEANS:
		return in->t == T_TRUE || in->t == T_FALSE ?
		    push(c, out, *in) : 0;
	case F_NUMBERS:
		return in->t == T_NUM ? push(c, out, *in) : 0;
	case F_STRINGS:
		return in->t == T_STR ? push(c, out, *in) : 0;
	case F_ARRAYS:
		return in->t == T_ARR ? push(c, out, *in) : 0;
	case F_OBJECTS:
		return in->t == T_OBJ ? push(c, out, *in) : 0;
	case F_ITERABLES:
		return in->t == T_ARR || in->t == T_OBJ ?
		    push(c, out, *in) : 0;
	case F_SCALARS:
		return in->t != T_ARR && in->t != T_OBJ ?
		    push(c, out, *in) : 0;
	case F_DEL:
	{
		struct pvec pv = { NULL, 0, 0 };
		struct path base = { NULL, 0, *in };
		if (paths(c, n->args[0], &base, &pv) < 0 ||
		    delpaths(c, in, &pv, &x) < 0)
			return -1;
		return push(c, out, x);
	}
	case F_INDEX:
	case F_RINDEX:
		if (args1(c, n, 0, in, &a) < 0)
			return -1;
		for (i = 0; i < a.n; i++) {
			const struct val *s = &a.v[i];
			ssize_t hit = -1;
			if (in->t == T_NULL) {
				if (push(c, out, v_null) < 0)
					return -1;
				continue;
			}
			if (in->t == T_ARR) {
				if (arr_index(c, in, s, n->sub == F_RINDEX,
				    &x) < 0 || push(c, out, x) < 0)
					return -1;
				continue;
			}
			if (in->t != T_STR || s->t != T_STR)
				return fail(c, "Cannot determine the index "
				    "of %s in %s", describe(c, s),
				    describe(c, in));
			if (s->n == 0) {
				if (push(c, out, v_null) < 0)
					return -1;
				continue;
			}
			for (j = 0; j + s->n <= in->n; j++)
				if (memcmp(in->s + j, s->s, s->n) == 0) {
					hit = (ssize_t)j;
					if (n->sub == F_INDEX)
						break;
				}
			if (push(c, out, hit < 0 ? v_null :
			    mknum((double)hit)) < 0)
				return -1;
		}
		return 0;
	case F_NOW:
	{
		struct timeval tv;
		gettimeofday(&tv, NULL);
		return push(c, out, mknum(tv.tv_sec + tv.tv_usec / 1e6));
	}
	case F_TODATE:
		if (fmt_time(c, in, "%Y-%m-%dT%H:%M:%SZ", &x) < 0)
			return -1;
		return push(c, out, x);
	case F_STRFTIME:
		if (args1(c, n, 0, in, &a) < 0)
			return -1;
		for (i = 0; i < a.n; i++) {
			char fmt[256];
			if (a.v[i].t != T_STR)
				return fail(c, "strftime/1 requires a string "
				    "format");
			if (a.v[i].n >= sizeof(fmt))
				return fail(c, "strftime/1: format too long");
			memcpy(fmt, a.v[i].s, a.v[i].n);
			fmt[a.v[i].n] = '\0';
			if (fmt_time(c, in, fmt, &x) < 0 || push(c, out, x) < 0)
				return -1;
		}
		return 0;
	case F_FROMDATE:
	{
		struct tm tm;
		char buf[64], *end;
		if (in->t != T_STR)
			return fail(c, "strptime/1 requires string inputs and "
			    "arguments");
		memset(&tm, 0, sizeof(tm));
		if (in->n >= sizeof(buf) || (memcpy(buf, in->s, in->n),
		    buf[in->n] = '\0', end = strptime(buf,
		    "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL || *end != '\0')
			return fail(c, "date \"%.*s\" does not match format "
			    "\"%%Y-%%m-%%dT%%H:%%M:%%SZ\"",
			    (int)(in->n > 100 ? 100 : in->n), in->s);
		return push(c, out, mknum((double)timegm(&tm)));
	}
	case F_ENV:
		if (env_obj(c, &x) < 0)
			return -1;
		return push(c, out, x);
	case F_TOEPOCH:
	{
		double d;
		if (to_epoch(c, in, &d) < 0)
			return -1;
		return push(c, out, mknum(d));
	}
	case F_TIMEFLOOR:
		if (args1(c, n, 0, in, &a) < 0)
			return -1;
		for (i = 0; i < a.n; i++) {
			double d, w;
			if (a.v[i].t == T_NUM)
				w = a.v[i].u.d;
			else if (a.v[i].t == T_STR) {
				char buf[64];
				int64_t us;
				if (a.v[i].n >= sizeof(buf))
					return fail(c, "timefloor: bad "
					    "duration");
				memcpy(buf, a.v[i].s, a.v[i].n);
				buf[a.v[i].n] = '\0';
				if (mlog_duration_parse(buf, &us) < 0)
					return fail(c, "timefloor: bad duration "
					    "\"%s\" (examples: 500ms 10s 5m 2h "
					    "7d)", buf);
				w = (double)us / 1e6;
			} else
				return fail(c, "timefloor: the duration must "
				    "be a string or a number of seconds");
			if (!(w > 0))
				return fail(c, "timefloor: the duration must "
				    "be positive");
			if (to_epoch(c, in, &d) < 0)
				return -1;
			/* whole microseconds, to stay exact for ms widths */
			{
				double us = floor(d * 1e6 + 0.5), wu = round(w * 1e6);
				if (wu < 1)
					wu = 1;
				if (push(c, out, mknum((floor(us / wu) * wu) /
				    1e6)) < 0)
					return -1;
			}
		}
		return 0;
	}
	return fail(c, "internal error: builtin %d", n->sub);
}

/* Nodes with exactly one output (or an error): literals, variables, '.'
 * and fields of those. */
static int
simple(const struct node *n)
{
	while (n->op == N_FIELD)
		n = n->a;
	return n->op == N_LIT || n->op == N_VAR || n->op == N_DOT;
}

static int
ev_simple(struct ctx *c, const struct node *n, const struct val *in,
    struct val *out)
{
	struct val t;
	int found;

	switch (n->op) {
	case N_LIT:
		*out = n->lit;
		return 0;
	case N_VAR:
		*out = c->vars[n->slot];
		return 0;
	case N_DOT:
		*out = *in;
		return 0;
	}
	if (ev_simple(c, n->a, in, &t) < 0)
		return -1;
	if (t.t == T_OBJ) {
		if (obj_get(c, &t, n->lit.s, n->lit.n, out, &found) < 0)
			return -1;
		if (!found)
			*out = v_null;
		return 0;
	}
	return index_val(c, &t, &n->lit, out);
}

static int
ev(struct ctx *c, struct node *n, const struct val *in, struct vec *out)
{
	struct vec a, b;
	struct val x;
	size_t i, j;
	int r;

	switch (n->op) {
	case N_DOT:
		return push(c, out, *in);
	case N_LIT:
		return push(c, out, n->lit);
	case N_VAR:
		return push(c, out, c->vars[n->slot]);
	case N_FIELD:
		if (n->a->op == N_DOT) {
			if (in->t == T_OBJ) {
				if (obj_get(c, in, n->lit.s, n->lit.n, &x,
				    &r) < 0)
					return -1;
				return push(c, out, r ? x : v_null);
			}
			if (index_val(c, in, &n->lit, &x) < 0)
				return -1;
			return push(c, out, x);
		}
		vec_init(&a);
		if (ev(c, n->a, in, &a) < 0)
			return -1;
		for (i = 0; i < a.n; i++)
			if (index_val(c, &a.v[i], &n->lit, &x) < 0 ||
			    push(c, out, x) < 0)
				return -1;
		return 0;
	case N_INDEX:
		vec_init(&b);
		if (ev(c, n->b, in, &b) < 0)
			return -1;
		vec_init(&a);
		if (ev(c, n->a, in, &a) < 0)
			return -1;
		for (j = 0; j < b.n; j++)
			for (i = 0; i < a.n; i++)
				if (index_val(c, &a.v[i], &b.v[j], &x) < 0 ||
				    push(c, out, x) < 0)
					return -1;
		return 0;
	case N_SLICE:
	{
		struct vec e;
		size_t k;
		vec_init(&b);
		vec_init(&e);
		if (n->b == NULL)
			r = push(c, &b, v_null);
		else
			r = ev(c, n->b, in, &b);
		if (r < 0)
			return -1;
		if (n->c == NULL)
			r = push(c, &e, v_null);
		else
			r = ev(c, n->c, in, &e);
		if (r < 0)
			return -1;
		vec_init(&a);
		if (ev(c, n->a, in, &a) < 0)
			return -1;
		for (k = 0; k < e.n; k++)
			for (j = 0; j < b.n; j++)
				for (i = 0; i < a.n; i++)
					if (slice_val(c, &a.v[i], &b.v[j],
					    &e.v[k], &x) < 0 ||
					    push(c, out, x) < 0)
						return -1;
		return 0;
	}
	case N_ITER:
		vec_init(&a);
		if (ev(c, n->a, in, &a) < 0)
			return -1;
		for (i = 0; i < a.n; i++)
			if (iterate(c, &a.v[i], out) < 0)
				return -1;
		return 0;
	case N_PIPE:
		vec_init(&a);
		if (ev(c, n->a, in, &a) < 0) {
			/* the outputs before the error still flow on */
			struct ctx save = *c;
			for (i = 0; i < a.n; i++)
				if (ev(c, n->b, &a.v[i], out) < 0)
					return -1;
			memcpy(c->err, save.err, sizeof(c->err));
			c->errval = save.errval;
			c->failed = 1;
			return -1;
		}
		for (i = 0; i < a.n; i++)
			if (ev(c, n->b, &a.v[i], out) < 0)
				return -1;
		return 0;
	case N_COMMA:
		for (; n->op == N_COMMA; n = n->b)
			if (ev(c, n->a, in, out) < 0)
				return -1;
		return ev(c, n, in, out);
	case N_ALT:
		/* an error in a still stops, as in jq 1.6 */
		vec_init(&a);
		r = ev(c, n->a, in, &a);
		for (i = j = 0; i < a.n; i++)
			if (truthy(&a.v[i])) {
				j++;
				if (push(c, out, a.v[i]) < 0)
					return -1;
			}
		if (r < 0)
			return -1;
		if (j > 0)
			return 0;
		return ev(c, n->b, in, out);
	case N_AND:
	case N_OR:
		vec_init(&a);
		if (ev(c, n->a, in, &a) < 0)
			return -1;
		for (i = 0; i < a.n; i++) {
			if (truthy(&a.v[i]) == (n->op == N_OR)) {
				if (push(c, out, mkbool(n->op == N_OR)) < 0)
					return -1;
				continue;
			}
			vec_init(&b);
			if (ev(c, n->b, in, &b) < 0)
				return -1;
			for (j = 0; j < b.n; j++)
				if (push(c, out, mkbool(truthy(&b.v[j]))) < 0)
					return -1;
		}
		return 0;
	case N_NEG:
		vec_init(&a);
		if (ev(c, n->a, in, &a) < 0)
			return -1;
		for (i = 0; i < a.n; i++) {
			if (a.v[i].t != T_NUM)
				return fail(c, "%s cannot be negated",
				    describe(c, &a.v[i]));
			if (push(c, out, mknum(-a.v[i].u.d)) < 0)
				return -1;
		}
		return 0;
	case N_BIN:
		if (simple(n->a) && simple(n->b)) {
			/* one output each: no vectors (.status >= 500) */
			struct val l, rv;
			if (ev_simple(c, n->b, in, &rv) < 0 ||
			    ev_simple(c, n->a, in, &l) < 0 ||
			    arith(c, n->sub, &l, &rv, &x) < 0)
				return -1;
			return push(c, out, x);
		}
		vec_init(&b);
		if (ev(c, n->b, in, &b) < 0)
			return -1;
		vec_init(&a);
		if (ev(c, n->a, in, &a) < 0)
			return -1;
		for (j = 0; j < b.n; j++)
			for (i = 0; i < a.n; i++)
				if (arith(c, n->sub, &a.v[i], &b.v[j], &x) < 0 ||
				    push(c, out, x) < 0)
					return -1;
		return 0;
	case N_IF:
		vec_init(&a);
		if (ev(c, n->a, in, &a) < 0)
			return -1;
		for (i = 0; i < a.n; i++) {
			if (truthy(&a.v[i]))
				r = ev(c, n->b, in, out);
			else if (n->c != NULL)
				r = ev(c, n->c, in, out);
			else
				r = push(c, out, *in);
			if (r < 0)
				return -1;
		}
		return 0;
	case N_TRY:
		if (ev(c, n->a, in, out) == 0)
			return 0;
		c->failed = 0;
		if (n->b == NULL)
			return 0;
		if (c->errval.t == T_NULL) {
			size_t l = strlen(c->err);
			unsigned char *s = strdup_arena(c, c->err, l);
			if (s == NULL)
				return nomem(c);
			x = mkstr(s, l);
		} else
			x = c->errval;
		return ev(c, n->b, &x, out);
	case N_AS:
		vec_init(&a);
		if (ev(c, n->a, in, &a) < 0)
			return -1;
		for (i = 0; i < a.n; i++) {
			struct val save = c->vars[n->slot];
			c->vars[n->slot] = a.v[i];
			r = ev(c, n->b, in, out);
			c->vars[n->slot] = save;
			if (r < 0)
				return -1;
		}
		return 0;
	case N_ARRAY:
		vec_init(&a);
		if (n->a != NULL && ev(c, n->a, in, &a) < 0)
			return -1;
		{
			struct val *v = vals_copy(c, a.v, a.n);
			if (v == NULL)
				return -1;
			return push(c, out, mkarr(v, a.n));
		}
	case N_STR:
		return ev_interp(c, n, in, n->nargs - 1, NULL, out);
	case N_OBJECT:
		return ev_object(c, n, in, out);
	case N_CALL:
		return call(c, n, in, out);
	case N_ASSIGN:
	case N_UPDATE:
	case N_OPUPDATE:
		return ev_assign(c, n, in, out);
	case N_REDUCE:
		return ev_reduce(c, n, in, out);
	}
	return fail(c, "internal error: node %d", n->op);
}

/* For each init: the state becomes the last output of the update for each
 * input (null when it has none, as jq 1.6 does). */
static int
ev_reduce(struct ctx *c, struct node *n, const struct val *in,
    struct vec *out)
{
	struct vec src, init, st;
	struct val save = c->vars[n->slot], state;
	size_t i, j;
	int r = 0;

	vec_init(&src);
	vec_init(&init);
	if (ev(c, n->a, in, &src) < 0 || ev(c, n->b, in, &init) < 0)
		return -1;
	for (i = 0; i < init.n && r == 0; i++) {
		state = init.v[i];
		for (j = 0; j < src.n; j++) {
			c->vars[n->slot] = src.v[j];
			vec_init(&st);
			if ((r = ev(c, n->c, &state, &st)) < 0)
				break;
			state = st.n > 0 ? st.v[st.n - 1] : v_null;
		}
		if (r == 0)
			r = push(c, out, state);
	}
	c->vars[n->slot] = save;
	return r;
}

/* "a\(x)b\(y)": the last piece varies slowest, as in jq. */
static int
ev_interp(struct ctx *c, struct node *n, const struct val *in, int i,
    const struct val *tail, struct vec *out)
{
	struct vec a;
	struct val s, t;
	size_t k;

	if (i < 0) {
		if (tail == NULL)
			return push(c, out, mkstr((const unsigned char *)"", 0));
		return push(c, out, *tail);
	}
	vec_init(&a);
	if (n->args[i]->op == N_LIT && (i % 2) == 0) {
		if (push(c, &a, n->args[i]->lit) < 0)
			return -1;
	} else if (ev(c, n->args[i], in, &a) < 0)
		return -1;
	for (k = 0; k < a.n; k++) {
		s = a.v[k];
		if (s.t != T_STR && tojson(c, &s, &s) < 0)
			return -1;
		if (tail != NULL) {
			if (concat_str(c, &s, tail, &t) < 0)
				return -1;
		} else
			t = s;
		if (ev_interp(c, n, in, i - 1, &t, out) < 0)
			return -1;
	}
	return 0;
}

/* One object from the chosen key and value of every entry (later keys
 * win, in the place of the first). */
static int
obj_from(struct ctx *c, struct val *const *keys, struct val *const *vals,
    size_t n, struct vec *out)
{
	struct kv *o;
	size_t i, j, m = 0;

	if ((o = arena_alloc(&c->ar, (n + 1) * sizeof(*o))) == NULL)
		return nomem(c);
	for (i = 0; i < n; i++) {
		for (j = 0; j < m; j++)
			if (o[j].kn == keys[i]->n &&
			    memcmp(o[j].k, keys[i]->s, o[j].kn) == 0)
				break;
		o[j].k = keys[i]->s;
		o[j].kn = keys[i]->n;
		o[j].v = *vals[i];
		if (j == m)
			m++;
	}
	return push(c, out, mkobj(o, m));
}

/* {k: v, ...} over every combination; the first entry varies slowest. */
static int
obj_product(struct ctx *c, struct vec *ks, struct vec *vs, size_t n,
    size_t i, struct val **keys, struct val **vals, struct vec *out)
{
	size_t a, b;

	if (i == n)
		return obj_from(c, keys, vals, n, out);
	for (a = 0; a < ks[i].n; a++)
		for (b = 0; b < vs[i].n; b++) {
			keys[i] = &ks[i].v[a];
			vals[i] = &vs[i].v[b];
			if (obj_product(c, ks, vs, n, i + 1, keys, vals, out) <
			    0)
				return -1;
		}
	return 0;
}

static int
ev_object(struct ctx *c, struct node *n, const struct val *in,
    struct vec *out)
{
	size_t k, i, cnt = (size_t)n->nargs;
	struct vec *ks, *vs;
	struct val **keys, **vals;

	ks = arena_alloc(&c->ar, (cnt + 1) * sizeof(*ks));
	vs = arena_alloc(&c->ar, (cnt + 1) * sizeof(*vs));
	keys = arena_alloc(&c->ar, (cnt + 1) * sizeof(*keys));
	vals = arena_alloc(&c->ar, (cnt + 1) * sizeof(*vals));
	if (ks == NULL || vs == NULL || keys == NULL || vals == NULL)
		return nomem(c);
	for (k = 0; k < cnt; k++) {
		vec_init(&ks[k]);
		vec_init(&vs[k]);
		if (ev(c, n->args[k]->a, in, &ks[k]) < 0 ||
		    ev(c, n->args[k]->b, in, &vs[k]) < 0)
			return -1;
		for (i = 0; i < ks[k].n; i++)
			if (ks[k].v[i].t != T_STR)
				return fail(c, "Object keys must be strings");
	}
	return obj_product(c, ks, vs, cnt, 0, keys, vals, out);
}

/* The height of the tree under n, or TREE_MAX + 1 (*deepest: the node
 * there) when it is taller: the walk is as deep as what it measures, so it
 * stops there.  A node with two parents is measured once. */
static int
height(struct node *n, int room, struct node **deepest)
{
	struct node *kids[3];
	int h = 0, i, k;

	if (n->height > 0)
		return n->height;
	if (room == 0) {
		*deepest = n;
		return TREE_MAX + 1;
	}
	if (n->op == N_COMMA) {
		/* a chain, walked in a loop: as deep as its deepest part */
		for (; n->op == N_COMMA && h <= TREE_MAX; n = n->b)
			if ((k = height(n->a, room - 1, deepest)) > h)
				h = k;
		if (h <= TREE_MAX && (k = height(n, room - 1, deepest)) > h)
			h = k;
		return h > TREE_MAX ? TREE_MAX + 1 : h + 1;
	}
	kids[0] = n->a;
	kids[1] = n->b;
	kids[2] = n->c;
	for (i = 0; i < 3 + n->nargs && h <= TREE_MAX; i++) {
		k = i < 3 ? (kids[i] != NULL ? height(kids[i], room - 1,
		    deepest) : 0) : height(n->args[i - 3], room - 1, deepest);
		if (k > h)
			h = k;
	}
	if (h > TREE_MAX)
		return TREE_MAX + 1;
	return n->height = h + 1;
}

/* ---- the API ---- */

struct mlog_expr *
mlog_expr_compile(const char *src, const struct mlog_expr_var *vars,
    size_t nvars, struct mlog_expr_err *err)
{
	struct mlog_expr *e;
	struct node *deep = NULL;
	struct parser p;
	size_t i;

	memset(err, 0, sizeof(*err));
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return NULL;
	}
	memset(&p, 0, sizeof(p));
	p.src = src;
	p.e = e;
	p.err = err;
	for (i = 0; i < nvars && i < 64; i++) {
		p.scope[p.nscope].name = vars[i].name;
		p.scope[p.nscope].len = strlen(vars[i].name);
		p.scope[p.nscope].slot = p.nslots++;
		p.nscope++;
	}
	lex(&p);
	if (!p.failed)
		e->root = parse_pipe(&p);
	if (!p.failed && p.tok != K_EOF)
		perr(&p, p.tokpos, "unexpected %s", tok_desc(&p));
	if (!p.failed && height(e->root, TREE_MAX, &deep) > TREE_MAX)
		perr(&p, (size_t)deep->pos, "expression too deep (more than "
		    "%d operations within one another)", TREE_MAX);
	if (p.failed)
		goto bad;
	e->nvars = (size_t)p.nslots;
	if ((e->vars = calloc(e->nvars + 1, sizeof(*e->vars))) == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		goto bad;
	}
	for (i = 0; i < nvars && i < 64; i++) {
		struct mlog_jdoc d = { 0 };
		const char *why;
		size_t col, len = strlen(vars[i].value);
		unsigned char *copy = arena_alloc(&e->prog, len + 1);

		if (copy == NULL) {
			snprintf(err->msg, sizeof(err->msg), "out of memory");
			goto bad;
		}
		memcpy(copy, vars[i].value, len + 1);
		if (vars[i].raw) {
			if (!mlog_utf8_valid(copy, len)) {
				snprintf(err->msg, sizeof(err->msg), "$%s: "
				    "invalid UTF-8", vars[i].name);
				goto bad;
			}
			e->vars[i] = mkstr(copy, len);
			continue;
		}
		if (mlog_json_scan(&d, copy, len, &why, &col) < 0) {
			snprintf(err->msg, sizeof(err->msg), "$%s: invalid "
			    "JSON at column %zu: %s", vars[i].name, col, why);
			mlog_jdoc_free(&d);
			goto bad;
		}
		/* built into the program arena: it outlives every record */
		{
			struct ctx tmp = { 0 };
			struct val v;
			tmp.ar = e->prog;
			from_text(&tmp, d.p, d.n, &v);
			if (v.t == T_OBJ || v.t == T_ARR)
				build(&tmp, &v, &v);
			e->prog = tmp.ar;
			free(tmp.sb);
			e->vars[i] = v;
		}
		mlog_jdoc_free(&d);
	}
	e->c.vars = e->vars;
	e->field = e->root->op == N_FIELD && e->root->a->op == N_DOT;
	return e;
bad:
	mlog_expr_free(e);
	errno = EINVAL;
	return NULL;
}

void
mlog_expr_free(struct mlog_expr *e)
{
	struct rx *rx, *next;

	if (e == NULL)
		return;
	for (rx = e->c.rxlist; rx != NULL; rx = next) {
		next = rx->next;
		pcre2_match_data_free(rx->md);
		pcre2_code_free(rx->code);
		free(rx->src);
		free(rx);
	}
	arena_free(&e->c.ar);
	arena_free(&e->prog);
	free(e->c.sb);
	free(e->vars);
	free(e);
}

static int
eval(struct mlog_expr *e, const struct mlog_jdoc *doc, struct vec *out)
{
	struct ctx *c = &e->c;
	struct val root;

	arena_reset(&c->ar);
	c->failed = 0;
	c->err[0] = '\0';
	c->depth = c->walk = 0;
	c->sblen = 0;
	if (doc->p[0] == '{') {
		root.t = T_OBJ;
		root.lazy = L_DOC;
		root.n = (uint32_t)doc->n;
		root.s = doc->p;
		root.u.doc = doc;
	} else if (from_text(c, doc->p, doc->n, &root) < 0)
		return -1;
	else if (root.t == T_ARR && !doc->ws)
		root.lazy = L_TEXT;
	vec_init(out);
	return ev(c, e->root, &root, out);
}

int
mlog_expr_test(struct mlog_expr *e, const struct mlog_jdoc *doc,
    int *truthy_out)
{
	struct vec out;
	size_t i;
	int r = eval(e, doc, &out);

	*truthy_out = 0;
	for (i = 0; i < out.n; i++)
		if (truthy(&out.v[i]))
			*truthy_out = 1;
	return r;
}

int
mlog_expr_run(struct mlog_expr *e, const struct mlog_jdoc *doc, int raw,
    mlog_expr_emit *emit, void *arg)
{
	struct ctx *c = &e->c;
	struct vec out;
	size_t i;
	int r = eval(e, doc, &out);

	for (i = 0; i < out.n; i++) {
		c->sblen = 0;
		if (raw && out.v[i].t == T_STR) {
			if (emit(arg, out.v[i].s, out.v[i].n) < 0)
				return -1;
			continue;
		}
		if (put_val(c, &out.v[i]) < 0) {
			r = -1;
			break;
		}
		if (emit(arg, c->sb, c->sblen) < 0)
			return -1;
	}
	return r < 0 ? -2 : 0;
}

/*
 * .name on a record, the common --time and --by: straight from the
 * scanner's member index, without the evaluator.  0 when the slow path
 * must answer (an escaped key, a container, a string jq would print
 * differently).
 */
static int
field_value(struct mlog_expr *e, const struct mlog_jdoc *doc, int canon,
    struct mlog_value *out)
{
	const struct val *key = &e->root->lit;
	const struct mlog_jfield *f;
	const unsigned char *v;
	struct ctx *c = &e->c;
	size_t i, n;

	for (i = doc->nf; i-- > 0;) {
		f = &doc->f[i];
		if (!doc->flat && f->kesc)
			return 0;
		if (f->klen == key->n && same_bytes(f->key, key->s, key->n))
			break;
	}
	if (i == (size_t)-1) {
		out->type = MLOG_V_NULL;
		out->json = (const unsigned char *)"null";
		out->jn = 4;
		e->last = v_null;
		return 1;
	}
	v = f->val;
	n = f->vlen;
	switch (*v) {
	case '"':
		/* the bytes as they stand: no escape in them, and for a
		 * key nothing jq -c would escape */
		if (!doc->flat || canon)
			for (i = 1; i + 1 < n; i++)
				if (v[i] == '\\' || v[i] == 0x7f)
					return 0;
		out->type = MLOG_V_STR;
		out->s = v + 1;
		out->n = n - 2;
		out->json = v;
		out->jn = n;
		e->last = mkstr(v + 1, n - 2);
		e->last.lazy = 1;
		return 1;
	case '{':
	case '[':
		return 0;
	case 't':
	case 'f':
	case 'n':
		out->type = *v == 't' ? MLOG_V_TRUE : *v == 'f' ?
		    MLOG_V_FALSE : MLOG_V_NULL;
		out->json = v;
		out->jn = n;
		e->last = *v == 't' ? v_true : *v == 'f' ? v_false : v_null;
		return 1;
	}
	out->type = MLOG_V_NUM;
	out->num = mlog_json_number(v, n);
	out->s = v;
	out->n = n;
	e->last = mknum(out->num);
	if (canon) {
		c->sblen = 0;
		if (sb_grow(c, 40) < 0)
			return 0;
		out->json = c->sb;
		out->jn = fmt_num(out->num == 0 ? 0 : out->num,
		    (char *)c->sb);
	}
	return 1;
}

/* The first output as a value the caller reads in place. */
int
mlog_expr_value(struct mlog_expr *e, const struct mlog_jdoc *doc, int canon,
    struct mlog_value *out)
{
	static const int types[] = { MLOG_V_NULL, MLOG_V_FALSE, MLOG_V_TRUE,
	    MLOG_V_NUM, MLOG_V_STR, MLOG_V_ARR, MLOG_V_OBJ };
	struct ctx *c = &e->c;
	struct vec out_v;
	const struct val *v;

	memset(out, 0, sizeof(*out));
	if (e->field && doc->p[0] == '{' && field_value(e, doc, canon, out))
		return 0;
	if (eval(e, doc, &out_v) < 0)
		return -2;
	if (out_v.n == 0) {
		out->type = MLOG_V_NONE;
		return 0;
	}
	v = &out_v.v[0];
	e->last = *v;
	out->type = types[v->t];
	if (v->t == T_NUM) {
		out->num = v->u.d;
		if (v->lazy) {
			out->s = v->s;
			out->n = v->n;
		}
	} else if (v->t == T_STR) {
		out->s = v->s;
		out->n = v->n;
	}
	if (canon) {
		c->sblen = 0;
		c->canon = 1;
		if (put_val(c, v) < 0) {
			c->canon = 0;
			return -2;
		}
		c->canon = 0;
		out->json = c->sb;
		out->jn = c->sblen;
	}
	return 0;
}

/* jq's words for the last value, for messages. */
const char *
mlog_expr_describe(struct mlog_expr *e)
{
	return describe(&e->c, &e->last);
}

/* Two validated JSON texts in jq's order. */
int
mlog_json_cmp(const unsigned char *a, size_t an, const unsigned char *b,
    size_t bn)
{
	struct ctx c;
	struct val x, y;
	int r = 0;

	memset(&c, 0, sizeof(c));
	if (from_text(&c, a, an, &x) < 0 || from_text(&c, b, bn, &y) < 0 ||
	    cmp(&c, &x, &y, &r) < 0)
		r = cmp_bytes(a, an, b, bn);	/* out of memory: still total */
	arena_free(&c.ar);
	free(c.sb);
	return r;
}

size_t
mlog_json_fmtnum(double d, char buf[40])
{
	return fmt_num(d, buf);
}

const char *
mlog_expr_error(const struct mlog_expr *e)
{
	return e->c.err;
}

/* A compile error as three lines for stderr: what and where, the program
 * line it is on, and a caret under the column. */
void
mlog_expr_explain(const char *src, const struct mlog_expr_err *err,
    char out[3][MLOG_EXPR_LINE])
{
	const char *p = src, *e;
	size_t n, i, col = 0;
	int l;

	if (strchr(src, '\n') != NULL)
		snprintf(out[0], MLOG_EXPR_LINE, "syntax error at line %d, "
		    "column %d: %s", err->line, err->col, err->msg);
	else
		snprintf(out[0], MLOG_EXPR_LINE, "syntax error at column %d: "
		    "%s", err->col, err->msg);
	for (l = 1; l < err->line && (e = strchr(p, '\n')) != NULL; l++)
		p = e + 1;
	e = strchr(p, '\n');
	n = e != NULL ? (size_t)(e - p) : strlen(p);
	if (n > MLOG_EXPR_LINE - 3)
		n = MLOG_EXPR_LINE - 3;
	out[1][0] = out[1][1] = ' ';
	for (i = 0; i < n; i++)
		out[1][i + 2] = p[i] == '\t' ? ' ' : p[i];
	out[1][n + 2] = '\0';
	for (i = 0; i < n && col + 1 < (size_t)err->col; i++)
		if (((unsigned char)p[i] & 0xc0) != 0x80)
			col++;
	if (col + 4 > MLOG_EXPR_LINE)
		col = MLOG_EXPR_LINE - 4;
	memset(out[2], ' ', col + 2);
	out[2][col + 2] = '^';
	out[2][col + 3] = '\0';
}

/* A program file's text, NUL-terminated and malloc'd (at most 1 MiB). */
char *
mlog_expr_read(const char *path)
{
	FILE *f;
	char *buf;
	size_t n;

	if ((f = fopen(path, "re")) == NULL)
		return NULL;
	if ((buf = malloc(1024 * 1024 + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, 1024 * 1024 + 1, f);
	if (ferror(f) || n > 1024 * 1024) {
		if (!ferror(f))
			errno = EFBIG;
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	if (strlen(buf) != n) {
		free(buf);
		errno = EINVAL;
		return NULL;
	}
	return buf;
}

/*
 * How many of argv getopt may look at: an operand such as "-1" or "-.a" is
 * an expression (as jq takes it), not options, so option parsing stops
 * before the first argument that starts with '-' and a character no option
 * name starts with.  Option values are skipped by the rules of shortopts
 * and longopts; a long option listed in twovals takes two (--arg N V).
 */
int
mlog_expr_optlimit(int argc, char *argv[], const char *shortopts,
    const struct option *longopts, const char *const *twovals)
{
	const struct option *lo;
	const char *a, *eq, *o;
	size_t len;
	int i, k;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (strcmp(a, "--") == 0)
			return argc;
		if (a[0] != '-' || a[1] == '\0')
			continue;
		if (a[1] == '-') {
			eq = strchr(a + 2, '=');
			len = eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2);
			for (lo = longopts; lo->name != NULL; lo++)
				if (strncmp(lo->name, a + 2, len) == 0 &&
				    lo->name[len] == '\0')
					break;
			if (lo->name == NULL || lo->has_arg != required_argument)
				continue;
			if (eq == NULL)
				i++;
			for (k = 0; twovals != NULL && twovals[k] != NULL; k++)
				if (strcmp(twovals[k], lo->name) == 0)
					i++;
			continue;
		}
		if (!isalpha((unsigned char)a[1]))
			return i;
		for (k = 1; a[k] != '\0'; k++) {
			if ((o = strchr(shortopts, a[k])) == NULL || o[1] != ':')
				continue;
			if (a[k + 1] == '\0')
				i++;		/* the value is the next word */
			break;
		}
	}
	return argc;
}

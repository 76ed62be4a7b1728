/*
 * The operators' JSON scanner.  One pass validates a record (RFC 8259 plus a
 * nesting limit, UTF-8 checked inside strings) and notes where each member
 * of a top-level object starts and ends; everything else is left as text.
 * Later lookups walk the validated text without checking it again, so an
 * expression touches only the fields it reads and untouched values can be
 * copied out verbatim.
 */
#include "internal.h"
#include "expr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define WS(c)	((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r')

static inline const unsigned char *
skip_ws(const unsigned char *p, const unsigned char *end, int *ws)
{
	const unsigned char *q = p;

	if (q < end && *q > ' ')
		return q;
	while (q < end && WS(*q))
		q++;
	if (q != p)
		*ws = 1;
	return q;
}

/* One UTF-8 sequence at p (lead byte >= 0x80); its length, 0 if invalid. */
static size_t
utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t avail = (size_t)(end - p);

	if (c >= 0xc2 && c <= 0xdf)
		return avail >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (avail < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && p[1] < 0xa0)
			return 0;		/* overlong */
		if (c == 0xed && p[1] >= 0xa0)
			return 0;		/* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (avail < 4 || (p[1] & 0xc0) != 0x80 ||
		    (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && p[1] < 0x90)
			return 0;
		if (c == 0xf4 && p[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

static int
hexval(unsigned c)
{
	if (c >= '0' && c <= '9')
		return (int)(c - '0');
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return (int)(c - 'a' + 10);
	return -1;
}

/*
 * A string whose opening quote is at p.  Returns the byte after the closing
 * quote, or NULL with *why and *at set.  *esc is set when it holds escapes.
 */
static const unsigned char *
scan_string(const unsigned char *p, const unsigned char *end, int *esc,
    const char **why, const unsigned char **at)
{
	size_t k;
	int i;

	p++;
	for (;;) {
#ifdef __SSE2__
		while (end - p >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
			__m128i bad = _mm_or_si128(
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
			/* bytes < 0x20 or >= 0x80: signed compare below 0x20 */
			bad = _mm_or_si128(bad,
			    _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
			unsigned m = (unsigned)_mm_movemask_epi8(bad);
			if (m == 0) {
				p += 16;
				continue;
			}
			p += __builtin_ctz(m);
			break;
		}
#endif
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' &&
		    *p != '\\')
			p++;
		if (p >= end) {
			*why = "unterminated string";
			*at = p;
			return NULL;
		}
		if (*p == '"')
			return p + 1;
		if (*p == '\\') {
			*esc = 1;
			if (end - p < 2)
				goto badesc;
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				p += 2;
				continue;
			case 'u':
				if (end - p < 6)
					goto badesc;
				for (i = 2; i < 6; i++)
					if (hexval(p[i]) < 0)
						goto badesc;
				p += 6;
				continue;
			}
badesc:
			*why = "invalid escape in string";
			*at = p;
			return NULL;
		}
		if (*p < 0x20) {
			*why = *p == 0 ? "NUL byte" :
			    "unescaped control character in string";
			*at = p;
			return NULL;
		}
		if (*p >= 0x80) {
			if ((k = utf8_seq(p, end)) == 0) {
				*why = "invalid UTF-8";
				*at = p;
				return NULL;
			}
			p += k;
		}
	}
}

static const unsigned char *
scan_number(const unsigned char *p, const unsigned char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p >= end)
		return NULL;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (p < end && *p == '.') {
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	return p;
}

/*
 * The closing quote of a string whose body starts at p, when the body is
 * plain ASCII without escapes (the common case); NULL sends the caller to
 * scan_string(), which handles and checks everything else.
 */
static inline const unsigned char *
plain_string(const unsigned char *p, const unsigned char *end)
{
#ifdef __SSE2__
	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i sp = _mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
		    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
		    _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
		unsigned m = (unsigned)_mm_movemask_epi8(sp);

		if (m != 0) {
			p += __builtin_ctz(m);
			return *p == '"' ? p : NULL;
		}
		p += 16;
	}
#endif
	for (; p < end; p++) {
		if (*p == '"')
			return p;
		if (*p == '\\' || *p < 0x20 || *p >= 0x80)
			return NULL;
	}
	return NULL;
}

static __attribute__((noinline)) int
grow_fields(struct mlog_jdoc *d)
{
	struct mlog_jfield *f;
	size_t cap = d->cap ? d->cap * 2 : 32;

	if ((f = reallocarray(d->f, cap, sizeof(*f))) == NULL)
		return -1;
	d->f = f;
	d->cap = cap;
	return 0;
}

static inline int
add_field(struct mlog_jdoc *d, const unsigned char *key, size_t klen,
    int kesc)
{
	struct mlog_jfield *f;

	if (d->nf == d->cap && grow_fields(d) < 0)
		return -1;
	f = &d->f[d->nf++];
	f->key = key;
	f->klen = (uint32_t)klen;
	f->kesc = (uint8_t)kesc;
	f->val = NULL;
	f->vlen = 0;
	return 0;
}

/*
 * Validate one value starting at p (no space before it), at most maxdepth
 * containers deep.  Returns the byte after it, or NULL with *why and *at.
 * With d, the members of a top-level object are noted in d->f.
 */
static const unsigned char *
scan_value(const unsigned char *p, const unsigned char *end, size_t maxdepth,
    struct mlog_jdoc *d, int *wsp, const char **why, const unsigned char **at)
{
	const unsigned char *q, *kstart;
	unsigned char stack[MLOG_JSON_MAXDEPTH];	/* '{' or '[' */
	size_t depth = 0;
	int ws = 0, esc;

value:
	if (p >= end) {
		*why = "unexpected end of input";
		*at = p;
		return NULL;
	}
	switch (*p) {
	case '{':
	case '[':
		if (depth == maxdepth) {
			*why = "nested too deeply";
			*at = p;
			return NULL;
		}
		stack[depth++] = *p;
		p = skip_ws(p + 1, end, &ws);
		if (stack[depth - 1] == '[') {
			if (p < end && *p == ']') {
				depth--;
				p++;
				goto after;
			}
			goto value;
		}
		if (p < end && *p == '}') {
			depth--;
			p++;
			goto after;
		}
		goto key;
	case '"':
		if ((q = plain_string(p + 1, end)) != NULL) {
			p = q + 1;
			goto after;
		}
		esc = 0;
		if ((p = scan_string(p, end, &esc, why, at)) == NULL)
			return NULL;
		goto after;
	case 't':
		q = (const unsigned char *)"true";
		goto literal;
	case 'f':
		q = (const unsigned char *)"false";
		goto literal;
	case 'n':
		q = (const unsigned char *)"null";
literal:
		{
			size_t l = q[0] == 'f' ? 5 : 4;
			if ((size_t)(end - p) < l || memcmp(p, q, l) != 0) {
				*why = "invalid literal";
				*at = p;
				return NULL;
			}
			p += l;
		}
		goto after;
	default:
		if (*p == '-' || (*p >= '0' && *p <= '9')) {
			if ((q = scan_number(p, end)) == NULL) {
				*why = "invalid number";
				*at = p;
				return NULL;
			}
			p = q;
			goto after;
		}
		*why = *p == 0 ? "NUL byte" : "unexpected character";
		*at = p;
		return NULL;
	}
key:
	if (p >= end || *p != '"') {
		*why = p >= end ? "unexpected end of input" :
		    *p == 0 ? "NUL byte" : "expected a string key";
		*at = p;
		return NULL;
	}
	kstart = p;
	esc = 0;
	if ((q = plain_string(p + 1, end)) != NULL)
		p = q + 1;
	else if ((p = scan_string(p, end, &esc, why, at)) == NULL)
		return NULL;
	if (d != NULL && depth == 1 && add_field(d, kstart + 1,
	    (size_t)(p - kstart) - 2, esc) < 0) {
		*why = "out of memory";
		*at = p;
		return NULL;
	}
	p = skip_ws(p, end, &ws);
	if (p >= end || *p != ':') {
		*why = p >= end ? "unexpected end of input" : "expected ':'";
		*at = p;
		return NULL;
	}
	p = skip_ws(p + 1, end, &ws);
	if (d != NULL && depth == 1)
		d->f[d->nf - 1].val = p;
	goto value;
after:
	if (depth == 0) {
		*wsp |= ws;
		return p;
	}
	if (d != NULL && depth == 1 && stack[0] == '{')
		d->f[d->nf - 1].vlen = (uint32_t)(p - d->f[d->nf - 1].val);
	p = skip_ws(p, end, &ws);
	if (p >= end) {
		*why = "unexpected end of input";
		*at = p;
		return NULL;
	}
	if (*p == ',') {
		p = skip_ws(p + 1, end, &ws);
		if (stack[depth - 1] == '{')
			goto key;
		goto value;
	}
	if (*p == (stack[depth - 1] == '{' ? '}' : ']')) {
		depth--;
		p++;
		goto after;
	}
	*why = *p == 0 ? "NUL byte" : stack[depth - 1] == '{' ?
	    "expected ',' or '}'" : "expected ',' or ']'";
	*at = p;
	return NULL;
}

/*
 * The common record: an object of plain keys and scalar values, no space.
 * Returns the byte after it, or NULL for anything else (which the general
 * scanner then takes on, and reports if bad).
 */
static const unsigned char *
scan_flat(struct mlog_jdoc *d, const unsigned char *p,
    const unsigned char *end, int *ws)
{
	const unsigned char *k, *kend, *q, *v;
	const char *why;
	const unsigned char *at;

	if (++p >= end)
		return NULL;
	if (*p == '}')
		return p + 1;
	for (;;) {
		if (*p != '"' || (q = plain_string(p + 1, end)) == NULL)
			return NULL;
		k = p + 1;
		kend = q;
		p = q + 1;
		if (p >= end || *p != ':')
			return NULL;
		v = ++p;
		if (p >= end)
			return NULL;
		if (*p == '"') {
			if ((q = plain_string(p + 1, end)) == NULL)
				return NULL;
			p = q + 1;
		} else if ((*p >= '0' && *p <= '9') || *p == '-') {
			if ((p = scan_number(p, end)) == NULL)
				return NULL;
		} else if (*p == '{' || *p == '[') {
			if ((p = scan_value(p, end, MLOG_JSON_MAXDEPTH - 1,
			    NULL, ws, &why, &at)) == NULL)
				return NULL;
		} else if ((p = scan_value(p, end, 0, NULL, ws, &why, &at)) ==
		    NULL)
			return NULL;
		if (add_field(d, k, (size_t)(kend - k), 0) < 0)
			return NULL;
		d->f[d->nf - 1].val = v;
		d->f[d->nf - 1].vlen = (uint32_t)(p - v);
		if (p >= end)
			return NULL;
		if (*p == '}')
			return p + 1;
		if (*p != ',' || ++p >= end)
			return NULL;
	}
}

int
mlog_json_scan(struct mlog_jdoc *d, const unsigned char *s, size_t n,
    const char **why, size_t *col)
{
	const unsigned char *p = s, *end = s + n, *q, *at = NULL;
	int ws = 0;

	if (n > UINT32_MAX) {
		*why = "record too long";
		*col = 1;
		return -1;
	}
	d->nf = 0;
	p = skip_ws(p, end, &ws);
	d->p = p;
	ws = 0;
	q = NULL;
	if (p < end && *p == '{')
		q = scan_flat(d, p, end, &ws);
	d->flat = q != NULL;
	if (q == NULL) {
		d->nf = 0;
		ws = 0;
		if ((q = scan_value(p, end, MLOG_JSON_MAXDEPTH, d, &ws, why,
		    &at)) == NULL) {
			*col = (size_t)(at - s) + 1;
			return -1;
		}
	}
	d->n = (size_t)(q - d->p);
	d->ws = ws;
	p = q;
	while (p < end && WS(*p))
		p++;
	if (p != end) {
		*why = *p == 0 ? "NUL byte" : "unexpected data after the value";
		*col = (size_t)(p - s) + 1;
		return -1;
	}
	return 0;
}

void
mlog_jdoc_free(struct mlog_jdoc *d)
{
	free(d->f);
	d->f = NULL;
	d->nf = d->cap = 0;
}

/* The end of the validated value at p. */
const unsigned char *
mlog_json_skip(const unsigned char *p, const unsigned char *end)
{
	size_t depth = 0;

	for (;;) {
		switch (*p) {
		case '"':
			p++;
			for (;;) {
				const unsigned char *q = memchr(p, '"',
				    (size_t)(end - p));
				const unsigned char *b = q;
				while (b > p && b[-1] == '\\')
					b--;
				p = q + 1;
				if (((q - b) & 1) == 0)
					break;
			}
			break;
		case '{':
		case '[':
			depth++;
			p++;
			continue;
		case '}':
		case ']':
			depth--;
			p++;
			break;
		case ',': case ':': case ' ': case '\t': case '\n': case '\r':
			p++;
			continue;
		default:
			while (p < end && *p != ',' && *p != '}' && *p != ']' &&
			    !WS(*p) && *p != ':')
				p++;
			break;
		}
		if (depth == 0)
			return p;
	}
}

/*
 * The next member of a validated object or element of an array: *pp points
 * at '{' or '[' on the first call, then wherever the last call left it.
 * Returns 1 with the key (object only; inner text, escapes untouched) and the
 * value, 0 at the end.
 */
int
mlog_json_next(const unsigned char **pp, const unsigned char *end,
    const unsigned char **key, size_t *klen, const unsigned char **val,
    size_t *vlen)
{
	const unsigned char *p = *pp, *q;

	while (WS(*p))
		p++;
	if (*p == '{' || *p == '[' || *p == ',')
		p++;
	while (WS(*p))
		p++;
	if (*p == '}' || *p == ']') {
		*pp = p;
		return 0;
	}
	if (key != NULL) {
		q = mlog_json_skip(p, end);
		*key = p + 1;
		*klen = (size_t)(q - p) - 2;
		p = q;
		while (WS(*p) || *p == ':')
			p++;
	}
	q = mlog_json_skip(p, end);
	*val = p;
	*vlen = (size_t)(q - p);
	while (q < end && WS(*q))
		q++;
	*pp = q;
	return 1;
}

static void
put_utf8(unsigned char **o, uint32_t c)
{
	unsigned char *q = *o;

	if (c < 0x80)
		*q++ = (unsigned char)c;
	else if (c < 0x800) {
		*q++ = (unsigned char)(0xc0 | c >> 6);
		*q++ = (unsigned char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		*q++ = (unsigned char)(0xe0 | c >> 12);
		*q++ = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		*q++ = (unsigned char)(0x80 | (c & 0x3f));
	} else {
		*q++ = (unsigned char)(0xf0 | c >> 18);
		*q++ = (unsigned char)(0x80 | (c >> 12 & 0x3f));
		*q++ = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		*q++ = (unsigned char)(0x80 | (c & 0x3f));
	}
	*o = q;
}

static uint32_t
hex4(const unsigned char *p)
{
	return (uint32_t)(hexval(p[0]) << 12 | hexval(p[1]) << 8 |
	    hexval(p[2]) << 4 | hexval(p[3]));
}

/*
 * Decode the inner text of a validated string into out, which has room for
 * n bytes (decoding never grows a string); returns the decoded length.  Lone
 * surrogates become U+FFFD, as jq does.
 */
size_t
mlog_json_unescape(const unsigned char *s, size_t n, unsigned char *out)
{
	const unsigned char *p = s, *end = s + n, *b;
	unsigned char *o = out;
	uint32_t c, lo;

	while (p < end) {
		b = memchr(p, '\\', (size_t)(end - p));
		if (b == NULL)
			b = end;
		memmove(o, p, (size_t)(b - p));
		o += b - p;
		p = b;
		if (p == end)
			break;
		switch (p[1]) {
		case 'b': *o++ = '\b'; p += 2; continue;
		case 'f': *o++ = '\f'; p += 2; continue;
		case 'n': *o++ = '\n'; p += 2; continue;
		case 'r': *o++ = '\r'; p += 2; continue;
		case 't': *o++ = '\t'; p += 2; continue;
		case 'u': break;
		default: *o++ = p[1]; p += 2; continue;
		}
		c = hex4(p + 2);
		p += 6;
		if (c >= 0xd800 && c <= 0xdbff && end - p >= 6 && p[0] == '\\' &&
		    p[1] == 'u' && (lo = hex4(p + 2)) >= 0xdc00 && lo <= 0xdfff) {
			c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
			p += 6;
		} else if (c >= 0xd800 && c <= 0xdfff)
			c = 0xfffd;
		put_utf8(&o, c);
	}
	return (size_t)(o - out);
}

/* The value of a validated number. */
double
mlog_json_number(const unsigned char *p, size_t n)
{
	char buf[64], *big;
	uint64_t v = 0;
	size_t i = 0;
	double d;
	int neg = 0;

	if (n > 0 && p[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (n - i <= 15) {
		for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
			v = v * 10 + (uint64_t)(p[i] - '0');
		if (i == n)
			return neg ? -(double)v : (double)v;
	}
	if (n < sizeof(buf)) {
		memcpy(buf, p, n);
		buf[n] = '\0';
		return strtod(buf, NULL);
	}
	if ((big = malloc(n + 1)) == NULL)
		return NAN;
	memcpy(big, p, n);
	big[n] = '\0';
	d = strtod(big, NULL);
	free(big);
	return d;
}

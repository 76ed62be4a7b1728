/*
 * Fuzz target for the JSON scanner (lib/jscan.c).  The input is one record:
 * mlog_json_scan() must accept or refuse it without reading outside it, and
 * a text it accepts is walked member by member with mlog_json_next(),
 * mlog_json_skip(), mlog_json_unescape() and mlog_json_number(), the
 * helpers that trust it, checking what expr.h promises about each.  The
 * fast path for flat objects is checked against the general scanner by
 * scanning the record again with a space after its opening brace, which the
 * fast path never takes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "fuzz.h"

#define WS(c)	((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r')

/* Well-formed UTF-8 (no overlong forms, surrogates or values past
 * U+10FFFF), written from RFC 3629 rather than shared with the scanner. */
static int
utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, k, j;
	uint32_t c, min;

	while (i < n) {
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			k = 2;
			c &= 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			k = 3;
			c &= 0x0f;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			k = 4;
			c &= 0x07;
			min = 0x10000;
		} else
			return 0;
		if (n - i < k)
			return 0;
		for (j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (s[i + j] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += k;
	}
	return 1;
}

/* The inner text of a validated string (escapes kept): what unescaping
 * makes of it, in a buffer of exactly the promised size. */
static void
check_string(const unsigned char *s, size_t n)
{
	unsigned char *out = malloc(n > 0 ? n : 1);
	size_t len;

	REQUIRE(out != NULL);
	REQUIRE(utf8_ok(s, n));
	len = mlog_json_unescape(s, n, out);
	REQUIRE(len <= n);
	REQUIRE(utf8_ok(out, len));
	if (memchr(s, '\\', n) == NULL)
		REQUIRE(len == n && memcmp(out, s, n) == 0);
	free(out);
}

static void
check_number(const unsigned char *p, size_t n)
{
	char *copy = malloc(n + 1);
	double want, got;
	size_t i;

	REQUIRE(copy != NULL);
	for (i = 0; i < n; i++)
		REQUIRE((p[i] >= '0' && p[i] <= '9') || p[i] == '-' ||
		    p[i] == '+' || p[i] == '.' || p[i] == 'e' || p[i] == 'E');
	memcpy(copy, p, n);
	copy[n] = '\0';
	want = strtod(copy, NULL);
	got = mlog_json_number(p, n);
	REQUIRE(got == want && !signbit(got) == !signbit(want));
	free(copy);
}

static const unsigned char *
skip_ws(const unsigned char *p, const unsigned char *end)
{
	while (p < end && WS(*p))
		p++;
	return p;
}

/*
 * One validated value, val[0..vlen), inside the document doc[0..dn).
 * Returns how deep it nests.
 */
static size_t
walk(const unsigned char *doc, size_t dn, const unsigned char *val,
    size_t vlen)
{
	const unsigned char *end = val + vlen, *p, *k, *v;
	size_t kl, vl, depth = 0, d;
	int obj;

	REQUIRE(vlen > 0);
	REQUIRE(val >= doc && end <= doc + dn);
	REQUIRE(!WS(val[0]) && !WS(end[-1]));
	REQUIRE(mlog_json_skip(val, end) == end);
	REQUIRE(mlog_json_skip(val, doc + dn) == end);
	switch (val[0]) {
	case '{':
	case '[':
		obj = val[0] == '{';
		REQUIRE(end[-1] == (obj ? '}' : ']'));
		p = val;
		while (mlog_json_next(&p, end, obj ? &k : NULL, obj ? &kl :
		    NULL, &v, &vl)) {
			REQUIRE(p > val && p < end);
			if (obj) {
				REQUIRE(k > val && k + kl < v);
				REQUIRE(k[-1] == '"' && k[kl] == '"');
				REQUIRE(mlog_json_skip(k - 1, end) ==
				    k + kl + 1);
				check_string(k, kl);
				/* only space and one colon between them */
				REQUIRE(*skip_ws(k + kl + 1, v) == ':');
				REQUIRE(skip_ws(skip_ws(k + kl + 1, v) + 1,
				    v) == v);
			}
			REQUIRE(v > val && v + vl < end);
			d = walk(doc, dn, v, vl);
			if (d > depth)
				depth = d;
			REQUIRE(*skip_ws(v + vl, end) == ',' ||
			    skip_ws(v + vl, end) == end - 1);
		}
		REQUIRE(p == end - 1);
		return depth + 1;
	case '"':
		REQUIRE(vlen >= 2 && end[-1] == '"');
		check_string(val + 1, vlen - 2);
		return 0;
	case 't':
		REQUIRE(vlen == 4 && memcmp(val, "true", 4) == 0);
		return 0;
	case 'f':
		REQUIRE(vlen == 5 && memcmp(val, "false", 5) == 0);
		return 0;
	case 'n':
		REQUIRE(vlen == 4 && memcmp(val, "null", 4) == 0);
		return 0;
	default:
		check_number(val, vlen);
		return 0;
	}
}

/* Space between the tokens of validated text, that is outside strings. */
static int
has_space(const unsigned char *p, size_t n)
{
	const unsigned char *end = p + n;

	while (p < end) {
		if (*p == '"')
			p = mlog_json_skip(p, end);
		else if (WS(*p))
			return 1;
		else
			p++;
	}
	return 0;
}

static void
check_doc(const unsigned char *s, size_t n, const struct mlog_jdoc *d)
{
	const unsigned char *p, *k, *v;
	size_t i, kl, vl;

	REQUIRE(d->p >= s && d->n > 0 && d->p + d->n <= s + n);
	REQUIRE(skip_ws(s, d->p) == d->p);
	REQUIRE(skip_ws(d->p + d->n, s + n) == s + n);
	REQUIRE(walk(d->p, d->n, d->p, d->n) <= MLOG_JSON_MAXDEPTH);
	REQUIRE(!d->ws == !has_space(d->p, d->n));
	if (d->p[0] != '{') {
		REQUIRE(d->nf == 0);
		return;
	}
	/* the index agrees with a walk of the text */
	p = d->p;
	for (i = 0; mlog_json_next(&p, d->p + d->n, &k, &kl, &v, &vl); i++) {
		REQUIRE(i < d->nf);
		REQUIRE(d->f[i].key == k && d->f[i].klen == kl);
		REQUIRE(d->f[i].val == v && d->f[i].vlen == vl);
		REQUIRE(!d->f[i].kesc == !memchr(k, '\\', kl));
	}
	REQUIRE(i == d->nf && d->nf <= d->cap);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlog_jdoc d = { 0 }, d2 = { 0 };
	const unsigned char *brace;
	unsigned char *s2;
	const char *why = NULL, *why2 = NULL;
	size_t col = 0, col2 = 0, at, i;
	int r, r2;

	r = mlog_json_scan(&d, data, size, &why, &col);
	if (r == 0)
		check_doc(data, size, &d);
	else {
		REQUIRE(r == -1);
		REQUIRE(why != NULL && why[0] != '\0');
		REQUIRE(col >= 1 && col <= size + 1);
	}

	/* the same record with a space after its first brace */
	brace = skip_ws(data, data + size);
	if (brace < data + size && *brace == '{') {
		at = (size_t)(brace - data) + 1;
		REQUIRE((s2 = malloc(size + 1)) != NULL);
		memcpy(s2, data, at);
		s2[at] = ' ';
		memcpy(s2 + at + 1, data + at, size - at);
		r2 = mlog_json_scan(&d2, s2, size + 1, &why2, &col2);
		REQUIRE(r2 == r);
		if (r == 0) {
			check_doc(s2, size + 1, &d2);
			REQUIRE(d2.nf == d.nf && d2.n == d.n + 1);
			for (i = 0; i < d.nf; i++) {
				REQUIRE(d2.f[i].key - s2 ==
				    d.f[i].key - data + 1);
				REQUIRE(d2.f[i].val - s2 ==
				    d.f[i].val - data + 1);
				REQUIRE(d2.f[i].klen == d.f[i].klen);
				REQUIRE(d2.f[i].vlen == d.f[i].vlen);
				REQUIRE(d2.f[i].kesc == d.f[i].kesc);
			}
		} else {
			REQUIRE(strcmp(why, why2) == 0);
			REQUIRE(col2 == (col - 1 >= at ? col + 1 : col));
		}
		free(s2);
	}

	/* a document's index is reused from record to record */
	REQUIRE(mlog_json_scan(&d2, data, size, &why2, &col2) == r);
	if (r == 0) {
		REQUIRE(d2.nf == d.nf && d2.p == d.p && d2.n == d.n &&
		    d2.ws == d.ws);
		for (i = 0; i < d.nf; i++)
			REQUIRE(d2.f[i].key == d.f[i].key &&
			    d2.f[i].klen == d.f[i].klen &&
			    d2.f[i].val == d.f[i].val &&
			    d2.f[i].vlen == d.f[i].vlen &&
			    d2.f[i].kesc == d.f[i].kesc);
	}
	mlog_jdoc_free(&d);
	mlog_jdoc_free(&d2);
	return 0;
}

/*
 * The JSON envelope of a record, written by `mlog-tail -J` and read back by
 * `mlog-append -J`, one per line:
 *
 *	{"offset":N,"partition":P,"timestamp":US,"key":K,"value":V}
 *
 * US is microseconds since the epoch.  K and V are JSON strings when the
 * bytes are valid UTF-8, null when absent (a tombstone for V); other bytes
 * go in "key_base64" / "value_base64" instead, so every record round-trips
 * byte for byte.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define DEPTH_MAX	64

static int
put_bytes(struct mlog_out *o, const char *name, int present,
    const unsigned char *p, size_t n)
{
	int utf8 = !present || mlog_utf8_valid(p, n);

	if (mlog_out_write(o, ",\"", 2) < 0 ||
	    mlog_out_write(o, name, strlen(name)) < 0 ||
	    (!utf8 && mlog_out_write(o, "_base64", 7) < 0) ||
	    mlog_out_write(o, "\":", 2) < 0)
		return -1;
	if (!present)
		return mlog_out_write(o, "null", 4);
	return utf8 ? mlog_json_put_string(o, p, n) : mlog_base64_put(o, p, n);
}

int
mlog_envelope_put(struct mlog_out *o, const struct mlog_record *r)
{
	char num[96];
	int n;

	n = snprintf(num, sizeof(num),
	    "{\"offset\":%llu,\"partition\":%u,\"timestamp\":%lld",
	    (unsigned long long)r->offset, r->partition,
	    (long long)r->timestamp);
	if (mlog_out_write(o, num, (size_t)n) < 0 ||
	    put_bytes(o, "key", r->has_key, r->key, r->keylen) < 0 ||
	    put_bytes(o, "value", !r->null_value, r->value, r->valuelen) < 0)
		return -1;
	return mlog_out_putc(o, '}');
}

/* A cursor over one line of JSON. */
struct cur {
	const unsigned char	*p, *end;
	unsigned char		**buf;
	size_t			*cap, len;
	const char		*why;
};

static void
ws(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
	    *c->p == '\r' || *c->p == '\n'))
		c->p++;
}

static int
fail(struct cur *c, const char *why)
{
	if (c->why == NULL)
		c->why = why;
	return -1;
}

static int
emit(struct cur *c, const void *p, size_t n)
{
	unsigned char *nb;
	size_t cap = *c->cap ? *c->cap : 256;

	while (cap - c->len < n)
		cap *= 2;
	if (cap != *c->cap) {
		if ((nb = realloc(*c->buf, cap)) == NULL)
			return fail(c, "out of memory");
		*c->buf = nb;
		*c->cap = cap;
	}
	memcpy(*c->buf + c->len, p, n);
	c->len += n;
	return 0;
}

static int
hex4(struct cur *c, uint32_t *v)
{
	int i, d;

	if (c->end - c->p < 4)
		return fail(c, "bad \\u escape");
	for (*v = 0, i = 0; i < 4; i++) {
		d = c->p[i];
		if (d >= '0' && d <= '9')
			d -= '0';
		else if (d >= 'a' && d <= 'f')
			d -= 'a' - 10;
		else if (d >= 'A' && d <= 'F')
			d -= 'A' - 10;
		else
			return fail(c, "bad \\u escape");
		*v = *v << 4 | (uint32_t)d;
	}
	c->p += 4;
	return 0;
}

static int
emit_utf8(struct cur *c, uint32_t u)
{
	unsigned char b[4];
	size_t n;

	if (u < 0x80) {
		b[0] = (unsigned char)u;
		n = 1;
	} else if (u < 0x800) {
		b[0] = (unsigned char)(0xc0 | u >> 6);
		b[1] = (unsigned char)(0x80 | (u & 0x3f));
		n = 2;
	} else if (u < 0x10000) {
		b[0] = (unsigned char)(0xe0 | u >> 12);
		b[1] = (unsigned char)(0x80 | ((u >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (u & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | u >> 18);
		b[1] = (unsigned char)(0x80 | ((u >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((u >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (u & 0x3f));
		n = 4;
	}
	return emit(c, b, n);
}

/* A string at c->p; with keep, its decoded bytes are appended to *buf. */
static int
string(struct cur *c, int keep)
{
	const unsigned char *run;
	uint32_t u, lo;
	unsigned char e;

	if (c->p >= c->end || *c->p != '"')
		return fail(c, "expected a string");
	run = ++c->p;
	for (;;) {
		if (c->p >= c->end)
			return fail(c, "unterminated string");
		if (*c->p == '"' || *c->p == '\\') {
			if (keep && emit(c, run, (size_t)(c->p - run)) < 0)
				return -1;
			if (*c->p++ == '"')
				return 0;
			if (c->p >= c->end)
				return fail(c, "unterminated string");
			e = *c->p++;
			switch (e) {
			case '"': case '\\': case '/':
				break;
			case 'b': e = '\b'; break;
			case 'f': e = '\f'; break;
			case 'n': e = '\n'; break;
			case 'r': e = '\r'; break;
			case 't': e = '\t'; break;
			case 'u':
				if (hex4(c, &u) < 0)
					return -1;
				if (u >= 0xd800 && u <= 0xdbff) {
					if (c->end - c->p < 2 || c->p[0] != '\\' ||
					    c->p[1] != 'u')
						return fail(c, "lone surrogate");
					c->p += 2;
					if (hex4(c, &lo) < 0)
						return -1;
					if (lo < 0xdc00 || lo > 0xdfff)
						return fail(c, "lone surrogate");
					u = 0x10000 + ((u - 0xd800) << 10) +
					    (lo - 0xdc00);
				} else if (u >= 0xdc00 && u <= 0xdfff)
					return fail(c, "lone surrogate");
				if (keep && emit_utf8(c, u) < 0)
					return -1;
				run = c->p;
				continue;
			default:
				return fail(c, "bad escape in string");
			}
			if (keep && emit(c, &e, 1) < 0)
				return -1;
			run = c->p;
			continue;
		}
		if (*c->p < 0x20)
			return fail(c, "control character in string");
		c->p++;
	}
}

static int
literal(struct cur *c, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return fail(c, "invalid JSON value");
	c->p += n;
	return 0;
}

static int
number(struct cur *c, int64_t *v)
{
	const unsigned char *s = c->p;
	int neg = 0, digits = 0;
	uint64_t u = 0;

	if (c->p < c->end && *c->p == '-') {
		neg = 1;
		c->p++;
	}
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		if (u > (UINT64_MAX - 9) / 10)
			return fail(c, "number out of range");
		u = u * 10 + (uint64_t)(*c->p++ - '0');
		digits++;
	}
	if (digits == 0 || (digits > 1 && s[neg] == '0'))
		return fail(c, "invalid number");
	if (c->p < c->end && (*c->p == '.' || *c->p == 'e' || *c->p == 'E'))
		return fail(c, "expected an integer");
	if (u > (uint64_t)INT64_MAX + neg)
		return fail(c, "number out of range");
	*v = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

static int
skip(struct cur *c, int depth)
{
	const unsigned char *s;
	unsigned char close;
	int64_t v;

	if (depth > DEPTH_MAX)
		return fail(c, "nested too deeply");
	ws(c);
	if (c->p >= c->end)
		return fail(c, "unexpected end of line");
	switch (*c->p) {
	case '"':
		return string(c, 0);
	case 't':
		return literal(c, "true");
	case 'f':
		return literal(c, "false");
	case 'n':
		return literal(c, "null");
	case '{':
	case '[':
		close = *c->p == '{' ? '}' : ']';
		c->p++;
		ws(c);
		if (c->p < c->end && *c->p == close) {
			c->p++;
			return 0;
		}
		for (;;) {
			if (close == '}') {
				ws(c);
				if (string(c, 0) < 0)
					return -1;
				ws(c);
				if (c->p >= c->end || *c->p++ != ':')
					return fail(c, "expected ':'");
			}
			if (skip(c, depth + 1) < 0)
				return -1;
			ws(c);
			if (c->p < c->end && *c->p == ',') {
				c->p++;
				continue;
			}
			if (c->p < c->end && *c->p == close) {
				c->p++;
				return 0;
			}
			return fail(c, "expected ',' or a closing bracket");
		}
	default:
		s = c->p;
		if (number(c, &v) == 0)
			return 0;
		/* a float is a valid value to skip */
		c->why = NULL;
		c->p = s;
		if (*c->p == '-')
			c->p++;
		while (c->p < c->end && (isdigit(*c->p) || *c->p == '.' ||
		    *c->p == 'e' || *c->p == 'E' || *c->p == '+' ||
		    *c->p == '-'))
			c->p++;
		return c->p > s && isdigit(c->p[-1]) ? 0 :
		    fail(c, "invalid JSON value");
	}
}

static int
b64val(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* Decode the base64 text at [start, len) of the buffer in place. */
static int
unbase64(struct cur *c, size_t start)
{
	unsigned char *s = *c->buf + start;
	size_t n = c->len - start, i, o = 0, pad = 0;
	uint32_t v = 0;
	int d, k = 0;

	while (n > 0 && s[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if ((n + pad) % 4 != 0)
		return fail(c, "bad base64");
	for (i = 0; i < n; i++) {
		if ((d = b64val(s[i])) < 0)
			return fail(c, "bad base64");
		v = v << 6 | (uint32_t)d;
		if (++k == 4) {
			s[o++] = (unsigned char)(v >> 16);
			s[o++] = (unsigned char)(v >> 8);
			s[o++] = (unsigned char)v;
			v = 0;
			k = 0;
		}
	}
	if (k == 1)
		return fail(c, "bad base64");
	if (k == 2)
		s[o++] = (unsigned char)(v >> 4);
	else if (k == 3) {
		s[o++] = (unsigned char)(v >> 10);
		s[o++] = (unsigned char)(v >> 2);
	}
	c->len = start + o;
	return 0;
}

/* A key or value field: its bytes land at [*start, *start + *len). */
static int
bytes_field(struct cur *c, int b64, int *present, size_t *start, size_t *len)
{
	if (c->p < c->end && *c->p == 'n' && !b64) {
		*present = 0;
		return literal(c, "null");
	}
	*start = c->len;
	if (string(c, 1) < 0 || (b64 && unbase64(c, *start) < 0))
		return -1;
	*len = c->len - *start;
	*present = 1;
	return 0;
}

int
mlog_envelope_parse(const unsigned char *line, size_t len,
    struct mlog_record *rec, int64_t *partition, unsigned char **scratch,
    size_t *scratchcap, const char **why)
{
	struct cur c = { line, line + len, scratch, scratchcap, 0, NULL };
	size_t ks = 0, kl = 0, vs = 0, vl = 0, fstart;
	int kp = 0, vp = 0, seen_v = 0, seen_k = 0, b64;
	int64_t part = -1, ts = MLOG_TS_UNSET, v;
	const unsigned char *name, *sb;
	size_t nlen;

	ws(&c);
	if (c.p >= c.end || *c.p++ != '{') {
		fail(&c, "not a JSON object");
		goto bad;
	}
	ws(&c);
	if (c.p < c.end && *c.p == '}')
		c.p++;
	else for (;;) {
		ws(&c);
		fstart = c.len;
		if (string(&c, 1) < 0)
			goto bad;
		name = *c.buf + fstart;
		nlen = c.len - fstart;
		ws(&c);
		if (c.p >= c.end || *c.p++ != ':') {
			fail(&c, "expected ':'");
			goto bad;
		}
		ws(&c);
#define IS(s)	(nlen == sizeof(s) - 1 && memcmp(name, s, nlen) == 0)
		if (IS("partition") || IS("timestamp")) {
			if (number(&c, &v) < 0)
				goto bad;
			if (IS("partition")) {
				if (v < 0 || v >= MLOG_PARTITIONS_MAX) {
					fail(&c, "partition out of range");
					goto bad;
				}
				part = v;
			} else {
				if (v < MLOG_TS_MIN || v > MLOG_TS_MAX) {
					fail(&c, "timestamp out of range "
					    "(years 0000 to 9999)");
					goto bad;
				}
				ts = v;
			}
			c.len = fstart;
		} else if (IS("key") || IS("key_base64")) {
			b64 = IS("key_base64");
			c.len = fstart;
			if (seen_k++) {
				fail(&c, "more than one key");
				goto bad;
			}
			if (bytes_field(&c, b64, &kp, &ks, &kl) < 0)
				goto bad;
		} else if (IS("value") || IS("value_base64")) {
			b64 = IS("value_base64");
			c.len = fstart;
			if (seen_v++) {
				fail(&c, "more than one value");
				goto bad;
			}
			if (bytes_field(&c, b64, &vp, &vs, &vl) < 0)
				goto bad;
		} else {
			c.len = fstart;
			if (skip(&c, 0) < 0)
				goto bad;
		}
#undef IS
		ws(&c);
		if (c.p < c.end && *c.p == ',') {
			c.p++;
			continue;
		}
		if (c.p < c.end && *c.p == '}') {
			c.p++;
			break;
		}
		fail(&c, "expected ',' or '}'");
		goto bad;
	}
	ws(&c);
	if (c.p != c.end) {
		fail(&c, "trailing characters after the object");
		goto bad;
	}
	if (!seen_v) {
		fail(&c, "no \"value\" field");
		goto bad;
	}
	sb = *scratch != NULL ? *scratch : (const unsigned char *)"";
	memset(rec, 0, sizeof(*rec));
	rec->timestamp = ts;
	rec->has_key = kp;
	rec->key = sb + ks;
	rec->keylen = kp ? kl : 0;
	rec->null_value = !vp;
	rec->value = sb + vs;
	rec->valuelen = vp ? vl : 0;
	*partition = part;
	return 0;
bad:
	*why = c.why;
	errno = EINVAL;
	return -1;
}

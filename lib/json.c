/*
 * The little JSON the log tools need: UTF-8 validation, string escaping and
 * base64 for writing envelopes.  (The operators' lazy scanner is a separate
 * piece.)
 */
#include "internal.h"

int
mlog_utf8_valid(const unsigned char *s, size_t n)
{
	return mlog_utf8_check(s, n) == n;
}

size_t
mlog_utf8_check(const unsigned char *s, size_t n)
{
	size_t i = 0, k, len;
	uint32_t c, min;

	while (i < n) {
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			c &= 0x1f;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			c &= 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			c &= 0x07;
			min = 0x10000;
		} else
			return i;
		if (n - i < len)
			return i;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			c = c << 6 | (s[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return i;
		i += len;
	}
	return n;
}

int
mlog_json_put_string(struct mlog_out *o, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };
	size_t i, run = 0;
	unsigned char c;

	if (mlog_out_putc(o, '"') < 0)
		return -1;
	for (i = 0; i < n; i++) {
		c = s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (mlog_out_write(o, s + run, i - run) < 0)
			return -1;
		run = i + 1;
		switch (c) {
		case '"':
		case '\\':
			esc[1] = (char)c;
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\t':
			esc[1] = 't';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		default:
			esc[1] = 'u';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			if (mlog_out_write(o, esc, 6) < 0)
				return -1;
			continue;
		}
		if (mlog_out_write(o, esc, 2) < 0)
			return -1;
	}
	if (mlog_out_write(o, s + run, n - run) < 0)
		return -1;
	return mlog_out_putc(o, '"');
}

int
mlog_base64_put(struct mlog_out *o, const unsigned char *s, size_t n)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];
	uint32_t v;
	size_t i;

	if (mlog_out_putc(o, '"') < 0)
		return -1;
	for (i = 0; i < n; i += 3) {
		v = (uint32_t)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		q[0] = b64[v >> 18];
		q[1] = b64[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		if (mlog_out_write(o, q, 4) < 0)
			return -1;
	}
	return mlog_out_putc(o, '"');
}

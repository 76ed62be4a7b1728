/*
 * Unit tests of libmlog pieces that deserve them: checksums, the Kafka
 * partitioner, the record codec, time and size parsing, the JSON envelope,
 * offset files, the JSON scanner and mwindow's sketches.  Prints one line
 * per failed check and a summary line.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlog.h"
#include "expr.h"
#include "window.h"

static int passed, failed;

#define CHECK(cond) check((cond), #cond, __FILE__, __LINE__)

static void
check(int ok, const char *what, const char *file, int line)
{
	if (ok)
		passed++;
	else {
		failed++;
		printf("FAIL %s:%d: %s\n", file, line, what);
	}
}

static void
test_crc(void)
{
	unsigned char buf[1000];
	size_t i, n;

	CHECK(mlog_crc32c(0, "123456789", 9) == 0xe3069283);
	CHECK(mlog_crc32c_portable(0, "123456789", 9) == 0xe3069283);
	CHECK(mlog_crc32c(0, "", 0) == 0);
	CHECK(mlog_crc32c_copy(0, buf, "123456789", 9) == 0xe3069283 &&
	    memcmp(buf, "123456789", 9) == 0);
	/* incremental == one shot, hardware == table, at every length */
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	for (n = 0; n < sizeof(buf); n += 13) {
		CHECK(mlog_crc32c(0, buf, n) == mlog_crc32c_portable(0, buf, n));
		CHECK(mlog_crc32c(mlog_crc32c(0, buf, n / 3), buf + n / 3,
		    n - n / 3) == mlog_crc32c(0, buf, n));
	}
}

static void
test_partitioner(void)
{
	/* Kafka's murmur2 reference values, made positive */
	static const struct {
		const char	*key;
		int32_t		 h;
	} v[] = {
		{ "21", -973932308 },
		{ "foobar", -790332482 },
		{ "a-little-bit-long-string", -985981536 },
		{ "a-little-bit-longer-string", -1486304829 },
		{ "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971 },
		{ "abc", 479470107 },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		CHECK(mlog_partition_for_key(v[i].key, strlen(v[i].key),
		    0x80000000u) == ((uint32_t)v[i].h & 0x7fffffff));
	CHECK(mlog_partition_for_key("x", 1, 1) == 0);
}

static void
test_record(void)
{
	unsigned char buf[256];
	struct mlog_record r;
	size_t need, n, i;
	ssize_t got;

	n = mlog_record_size(3, 5);
	CHECK(n == MLOG_REC_HDR + 8);
	mlog_record_encode(buf, 1234567, "key", 3, 1, "value", 5, 0);
	mlog_record_stamp(buf, 42);
	got = mlog_record_decode(buf, n, &r, &need);
	CHECK(got == (ssize_t)n);
	CHECK(r.offset == 42 && r.timestamp == 1234567 && r.has_key &&
	    r.keylen == 3 && memcmp(r.key, "key", 3) == 0 &&
	    r.valuelen == 5 && memcmp(r.value, "value", 5) == 0 &&
	    !r.null_value);
	/* a null value: a tombstone */
	mlog_record_encode(buf, 99, NULL, 0, 0, NULL, 0, 1);
	mlog_record_stamp(buf, 7);
	got = mlog_record_decode(buf, MLOG_REC_HDR, &r, &need);
	CHECK(got == MLOG_REC_HDR && r.timestamp == 99 && r.null_value &&
	    !r.has_key);
	/* short input asks for more */
	mlog_record_encode(buf, 1, "k", 1, 1, "vv", 2, 0);
	mlog_record_stamp(buf, 1);
	n = mlog_record_size(1, 2);
	CHECK(mlog_record_decode(buf, 2, &r, &need) == 0);
	CHECK(mlog_record_decode(buf, n - 1, &r, &need) == 0 && need == n);
	/* any flipped bit after the length and the offset is caught (the
	 * offset is checked by its sequence, by readers) */
	for (i = 12; i < n; i++) {
		buf[i] ^= 0x10;
		errno = 0;
		CHECK(mlog_record_decode(buf, n, &r, &need) == -1 &&
		    errno == EBADMSG);
		buf[i] ^= 0x10;
	}
	/* absurd lengths are refused before any allocation */
	buf[0] = buf[1] = buf[2] = buf[3] = 0xff;
	CHECK(mlog_record_decode(buf, n, &r, &need) == -1 && errno == EBADMSG);
}

static void
test_time(void)
{
	int64_t t, now = 1800000000000000;

	CHECK(mlog_time_parse("2026-11-22T01:45:00Z", now, &t) == 0 &&
	    t == 1795311900000000);
	CHECK(mlog_time_parse("2026-11-22T02:45:00+01:00", now, &t) == 0 &&
	    t == 1795311900000000);
	CHECK(mlog_time_parse("2026-11-22 01:45:00.25", now, &t) == 0 &&
	    t == 1795311900250000);
	CHECK(mlog_time_parse("2026-11-22", now, &t) == 0 &&
	    t == 1795305600000000);
	CHECK(mlog_time_parse("1970-01-01T00:00:00Z", now, &t) == 0 && t == 0);
	CHECK(mlog_time_parse("2024-02-29T00:00:00Z", now, &t) == 0);
	CHECK(mlog_time_parse("2023-02-29T00:00:00Z", now, &t) == -1);
	CHECK(mlog_time_parse("2026-13-01", now, &t) == -1);
	CHECK(mlog_time_parse("2026-11-22T25:00Z", now, &t) == -1);
	CHECK(mlog_time_parse("2026-11-22Tjunk", now, &t) == -1);
	CHECK(mlog_time_parse("1795311900", now, &t) == 0 &&
	    t == 1795311900000000);
	CHECK(mlog_time_parse("1795311900123", now, &t) == 0 &&
	    t == 1795311900123000);
	CHECK(mlog_time_parse("1795311900123456", now, &t) == 0 &&
	    t == 1795311900123456);
	CHECK(mlog_time_parse("1795311900123456789", now, &t) == 0 &&
	    t == 1795311900123456);
	CHECK(mlog_time_parse("now", now, &t) == 0 && t == now);
	CHECK(mlog_time_parse("-1h", now, &t) == 0 &&
	    t == now - 3600000000LL);
	CHECK(mlog_time_parse("+90s", now, &t) == 0 && t == now + 90000000);
	CHECK(mlog_time_parse("yesterday", now, &t) == -1 && errno == EINVAL);
	CHECK(mlog_time_parse("", now, &t) == -1);

	CHECK(mlog_duration_parse("500ms", &t) == 0 && t == 500000);
	CHECK(mlog_duration_parse("10s", &t) == 0 && t == 10000000);
	CHECK(mlog_duration_parse("5m", &t) == 0 && t == 300000000);
	CHECK(mlog_duration_parse("2h", &t) == 0 && t == 7200000000LL);
	CHECK(mlog_duration_parse("7d", &t) == 0 && t == 604800000000LL);
	CHECK(mlog_duration_parse("1.5s", &t) == 0 && t == 1500000);
	CHECK(mlog_duration_parse("3", &t) == 0 && t == 3000000);
	CHECK(mlog_duration_parse("250us", &t) == 0 && t == 250);
	CHECK(mlog_duration_parse("5000ns", &t) == 0 && t == 5);
	CHECK(mlog_duration_parse("5 minutes", &t) == -1);
	CHECK(mlog_duration_parse("-5s", &t) == -1);
	CHECK(mlog_duration_parse("s", &t) == -1);
	/* plain decimals only: strtold would take these too */
	CHECK(mlog_duration_parse(".5s", &t) == 0 && t == 500000);
	CHECK(mlog_duration_parse("2.s", &t) == 0 && t == 2000000);
	CHECK(mlog_duration_parse("0x10s", &t) == -1);
	CHECK(mlog_duration_parse("1e3s", &t) == -1);
	CHECK(mlog_duration_parse(".s", &t) == -1);
	CHECK(mlog_duration_parse("1.5.2s", &t) == -1);
	CHECK(mlog_time_parse("0x65a0b1c0", now, &t) == -1);
	CHECK(mlog_time_parse("1.7e9", now, &t) == -1);
	CHECK(mlog_time_parse("1700000000.5", now, &t) == 0 &&
	    t == 1700000000500000);
}

static void
test_size(void)
{
	uint64_t v;

	CHECK(mlog_size_parse("128M", &v) == 0 && v == 128u << 20);
	CHECK(mlog_size_parse("4K", &v) == 0 && v == 4096);
	CHECK(mlog_size_parse("1000", &v) == 0 && v == 1000);
	CHECK(mlog_size_parse("-1", &v) == -1);
	CHECK(mlog_size_parse("lots", &v) == -1);
}

static int
envelope_roundtrip(const struct mlog_record *in)
{
	struct mlog_out o;
	struct mlog_record out;
	unsigned char *scratch = NULL;
	size_t cap = 0;
	int64_t part;
	const char *why;
	int fd[2], ok;
	char text[4096];
	ssize_t n;

	if (pipe(fd) < 0 || mlog_out_init(&o, fd[1], 4096) < 0)
		return 0;
	ok = mlog_envelope_put(&o, in) == 0 && mlog_out_flush(&o) == 0;
	close(fd[1]);
	n = read(fd[0], text, sizeof(text));
	close(fd[0]);
	mlog_out_free(&o);
	ok = ok && n > 0 && mlog_envelope_parse((unsigned char *)text,
	    (size_t)n, &out, &part, &scratch, &cap, &why) == 0 &&
	    part == in->partition && out.timestamp == in->timestamp &&
	    out.has_key == in->has_key && out.keylen == in->keylen &&
	    (in->keylen == 0 || memcmp(out.key, in->key, in->keylen) == 0) &&
	    out.null_value == in->null_value && out.valuelen == in->valuelen &&
	    (in->valuelen == 0 ||
	    memcmp(out.value, in->value, in->valuelen) == 0);
	free(scratch);
	return ok;
}

static void
test_envelope(void)
{
	static const unsigned char bin[] = { 0xff, 0x00, 0x41, 0xc3, 0x28 };
	static const char *bad[] = {
		"", "[]", "{", "{\"value\":1}", "{\"value\":\"a\"} x",
		"{\"key\":\"a\"}", "{\"value\":\"\\q\"}", "{\"value\":\"a\",}",
		"{\"value\":\"\\ud800\"}", "{\"partition\":-1,\"value\":\"\"}",
		"{\"value_base64\":\"abc\"}", "{\"value\":\"a\",\"value\":\"b\"}",
		"{\"timestamp\":1.5,\"value\":\"\"}", "{\"value\":\"a\nb\"}",
	};
	struct mlog_record r, out;
	unsigned char *scratch = NULL;
	size_t cap = 0, i;
	int64_t part;
	const char *why, *line;

	memset(&r, 0, sizeof(r));
	r.offset = 5;
	r.partition = 2;
	r.timestamp = 1795311900123456;
	r.has_key = 1;
	r.key = (const unsigned char *)"user \"7\"\n";
	r.keylen = 9;
	r.value = (const unsigned char *)"{\"a\":\"\xc3\xa9\\\t\x01\"}";
	r.valuelen = strlen((const char *)r.value);
	CHECK(envelope_roundtrip(&r));
	r.value = bin;
	r.valuelen = sizeof(bin);
	r.key = bin + 1;
	r.keylen = 4;
	CHECK(envelope_roundtrip(&r));
	r.has_key = 0;
	r.keylen = 0;
	r.null_value = 1;
	r.valuelen = 0;
	CHECK(envelope_roundtrip(&r));
	r.timestamp = -5;
	r.null_value = 0;
	r.value = (const unsigned char *)"";
	CHECK(envelope_roundtrip(&r));

	line = "{\"x\":[1,{\"y\":null}],\"value\":\"\\u00e9\\ud83d\\ude00\"}";
	CHECK(mlog_envelope_parse((const unsigned char *)line, strlen(line),
	    &out, &part, &scratch, &cap, &why) == 0 && part == -1 &&
	    out.timestamp == MLOG_TS_UNSET && out.valuelen == 6 &&
	    memcmp(out.value, "\xc3\xa9\xf0\x9f\x98\x80", 6) == 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		CHECK(mlog_envelope_parse((const unsigned char *)bad[i],
		    strlen(bad[i]), &out, &part, &scratch, &cap, &why) == -1 &&
		    why != NULL);
	}
	free(scratch);
	CHECK(mlog_utf8_valid((const unsigned char *)"\xc3\xa9", 2));
	CHECK(!mlog_utf8_valid((const unsigned char *)"\xc0\xaf", 2));
	CHECK(!mlog_utf8_valid((const unsigned char *)"\xed\xa0\x80", 3));
	CHECK(!mlog_utf8_valid((const unsigned char *)"\xe2\x82", 2));
}

static void
test_offsets(void)
{
	char dir[] = "/tmp/mlog-unit.XXXXXX", path[64];
	struct mlog_offsets o;
	int64_t in[3] = { 5, MLOG_OFFSET_NONE, 9 }, out[3], t1[3], t2[3];
	int fd;

	if (mkdtemp(dir) == NULL) {
		CHECK(0);
		return;
	}
	snprintf(path, sizeof(path), "%s/pos", dir);
	CHECK(mlog_offsets_file(path, &o) == 0);
	CHECK(mlog_offsets_load(&o, 0, out, 3) == 0 &&
	    out[0] == MLOG_OFFSET_NONE && out[2] == MLOG_OFFSET_NONE);
	CHECK(mlog_offsets_store(&o, 1, in, 3) == 0);
	CHECK(mlog_offsets_load(&o, 0, out, 3) == 0 &&
	    out[0] == MLOG_OFFSET_NONE);
	CHECK(mlog_offsets_load(&o, 1, out, 3) == 0 && out[0] == 5 &&
	    out[1] == MLOG_OFFSET_NONE && out[2] == 9);
	CHECK(mlog_offsets_times(&o, 1, t1, 3) == 0 && t1[0] > 0 &&
	    t1[1] == 0 && t1[2] > 0);
	/* a commit time moves only with its position */
	in[2] = 10;
	CHECK(mlog_offsets_store(&o, 1, in, 3) == 0);
	CHECK(mlog_offsets_times(&o, 1, t2, 3) == 0 && t2[0] == t1[0] &&
	    t2[2] >= t1[2]);
	in[2] = 9;
	CHECK(mlog_offsets_store(&o, 1, in, 3) == 0);
	CHECK(mlog_offsets_commit_pending(&o) == 0);
	CHECK(mlog_offsets_load(&o, 0, out, 3) == 0 && out[0] == 5 &&
	    out[2] == 9);
	CHECK(mlog_offsets_commit_pending(&o) == -1 && errno == ENOENT);
	/* a file that is not an offsets file is refused, not overwritten */
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0 && write(fd, "hello\n", 6) == 6);
	close(fd);
	CHECK(mlog_offsets_load(&o, 0, out, 3) == -1 && errno == EBADMSG);
	unlink(path);
	mlog_offsets_release(&o);
	rmdir(dir);

	CHECK(mlog_group_name_valid("nightly-report_2"));
	CHECK(!mlog_group_name_valid(""));
	CHECK(!mlog_group_name_valid(".."));
	CHECK(!mlog_group_name_valid(".hidden"));
	CHECK(!mlog_group_name_valid("a/b"));
	CHECK(!mlog_group_name_valid("tab\there"));
}

/* jscan.c: validation, error columns, the top-level index, decoding. */
static void
test_jscan(void)
{
	static const struct {
		const char	*text, *why;
		size_t		 col;
	} bad[] = {
		{ "{\"a\":1,}", "expected a string key", 8 },
		{ "{\"a\":1 \"b\":2}", "expected ',' or '}'", 8 },
		{ "[1,2", "unexpected end of input", 5 },
		{ "{\"a\":\"\\x\"}", "invalid escape in string", 7 },
		{ "{\"a\":01}", "expected ',' or '}'", 7 },
		{ "{\"a\":tru}", "invalid literal", 6 },
		{ "\"a\x01\"", "unescaped control character in string", 3 },
		{ "\"\xc3\x28\"", "invalid UTF-8", 2 },
		{ "\"\xed\xa0\x80\"", "invalid UTF-8", 2 },
		{ "1 2", "unexpected data after the value", 3 },
		{ "", "unexpected end of input", 1 },
		{ "-", "invalid number", 1 },
		{ "1.", "invalid number", 1 },
	};
	struct mlog_jdoc d = { 0 };
	const char *why;
	unsigned char out[64];
	char deep[MLOG_JSON_MAXDEPTH + 2];
	size_t col, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		CHECK(mlog_json_scan(&d, (const unsigned char *)bad[i].text,
		    strlen(bad[i].text), &why, &col) == -1 && why != NULL &&
		    strcmp(why, bad[i].why) == 0 && col == bad[i].col);
	}
	CHECK(mlog_json_scan(&d, (const unsigned char *)" {\"a\" : [1, {}],"
	    "\"b\\u0041\":\"x\",\"c\":null} ", 40, &why, &col) == 0);
	CHECK(d.nf == 3 && d.ws && d.n == 38 && d.p[0] == '{');
	CHECK(d.f[0].klen == 1 && d.f[0].vlen == 7 &&
	    memcmp(d.f[0].val, "[1, {}]", 7) == 0);
	CHECK(d.f[1].kesc && d.f[1].klen == 7);
	CHECK(d.f[2].vlen == 4 && memcmp(d.f[2].val, "null", 4) == 0);
	/* the fast path for flat records indexes the same way */
	CHECK(mlog_json_scan(&d, (const unsigned char *)"{\"s\":500,\"t\":"
	    "\"x\"}", 17, &why, &col) == 0 && d.nf == 2 && !d.ws &&
	    d.f[0].vlen == 3 && d.f[1].vlen == 3);
	memset(deep, '[', sizeof(deep));
	CHECK(mlog_json_scan(&d, (const unsigned char *)deep,
	    MLOG_JSON_MAXDEPTH + 1, &why, &col) == -1 &&
	    strcmp(why, "nested too deeply") == 0 &&
	    col == MLOG_JSON_MAXDEPTH + 1);
	CHECK(mlog_json_unescape((const unsigned char *)"a\\n\\u00e9"
	    "\\ud83d\\ude00\\ud800", 27, out) == 11 &&
	    memcmp(out, "a\n\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbd", 11) == 0);
	CHECK(mlog_json_number((const unsigned char *)"-12", 3) == -12);
	CHECK(mlog_json_number((const unsigned char *)"1.5e3", 5) == 1500);
	mlog_jdoc_free(&d);
}

/* sketch.c: values from a fixed LCG, so that no run can flake. */
static uint64_t
lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 11;
}

static double
unif(uint64_t *s)		/* [0, 1) */
{
	return (double)lcg(s) * 0x1p-53;
}

enum { D_UNIF, D_HEAVY, D_NEG, D_MIXED, D_ZEROS, D_CONST, D_GAMMA,
	D_EXTREME, D_BITS, D_N };

static double
sketch_value(int dist, uint64_t *s)
{
	double gamma = (1 + MLOG_QS_ALPHA) / (1 - MLOG_QS_ALPHA), u, v;
	uint64_t b;

	u = unif(s);
	switch (dist) {
	case D_UNIF:
		return 1 + 9999 * u;
	case D_HEAVY:		/* bell-shaped in log scale, 1e-6..1e9 */
		return exp(log(1e-6) + (u + unif(s) + unif(s)) / 3 *
		    log(1e15));
	case D_NEG:
		return -pow(10, 4 * u);
	case D_MIXED:
		return (unif(s) < 0.5 ? -1 : 1) * pow(10, -3 + 9 * u);
	case D_ZEROS:
		return u < 0.6 ? 0 : (unif(s) < 0.5 ? -1 : 1) * (1 + 99 * u);
	case D_CONST:
		return 42.125;
	case D_GAMMA:		/* bucket edges and their neighbours */
		v = pow(gamma, floor(u * 2001) - 1000);
		u = unif(s);
		return u < 0.25 ? nextafter(v, 0) : u < 0.5 ?
		    nextafter(v, INFINITY) : u < 0.75 ? -v : v;
	case D_EXTREME:		/* subnormals, DBL_MAX and its neighbours */
		v = unif(s) < 0.5 ? -1 : 1;
		if (u < 0.4)
			return v * floor(pow(2, 52 * unif(s))) * DBL_TRUE_MIN;
		if (u < 0.8)
			return v * DBL_MAX * (1 - 0.05 * unif(s));
		return u < 0.9 ? v * DBL_MAX : v * DBL_MIN;
	default:		/* any finite double */
		do {
			b = lcg(s) << 11 ^ lcg(s);
			memcpy(&v, &b, sizeof(v));
		} while (!isfinite(v));
		return v;
	}
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
within(double est, double exact)
{
	return fabs(est - exact) <= 0.005 * fabs(exact);
}

/* A sketch of x between 64 values below and 64 above, none clamping its
 * estimate: the guarantee holds for x itself. */
static int
qs_one_ok(double x)
{
	struct mlog_qsketch s = { 0 };
	double lo, hi, est;
	int i;

	if (x > 0) {
		lo = x / 2;
		hi = x > DBL_MAX / 2 ? DBL_MAX : 2 * x;
	} else {
		lo = x < -DBL_MAX / 2 ? -DBL_MAX : 2 * x;
		hi = x / 2;
	}
	for (i = 0; i < 64; i++)
		if (mlog_qs_add(&s, lo) == -1 || mlog_qs_add(&s, hi) == -1)
			return 0;
	if (mlog_qs_add(&s, x) == -1)
		return 0;
	est = mlog_qs_quantile(&s, 0.5);
	mlog_qs_free(&s);
	return within(est, x);
}

static void
test_qsketch(void)
{
	static const int qt[] = { 0, 10, 500, 900, 990, 999, 1000 };
	static const size_t ns[] = { 129, 1000, 100000 };
	double gamma = (1 + MLOG_QS_ALPHA) / (1 - MLOG_QS_ALPHA);
	struct mlog_qsketch s = { 0 }, a, b, all;
	double *v, x;
	uint64_t seed = 1;
	size_t i, j, k, n, r;
	int dist, ok, okm, okq;

	CHECK(isnan(mlog_qs_quantile(&s, 0.5)));
	CHECK(mlog_qs_add(&s, NAN) == -1 && errno == EINVAL && s.n == 0);
	CHECK(mlog_qs_add(&s, INFINITY) == -1 && s.n == 0);

	/* exact phase: the nearest rank, the very values */
	for (i = 100; i >= 1; i--)
		CHECK(mlog_qs_add(&s, (double)i / 10) == 0);
	CHECK(mlog_qs_quantile(&s, 0.99) == 9.9);
	CHECK(mlog_qs_quantile(&s, 0.991) == 10);
	CHECK(mlog_qs_quantile(&s, 0.01) == 0.1);
	CHECK(mlog_qs_quantile(&s, 0) == 0.1);
	CHECK(mlog_qs_quantile(&s, 0.5) == 5);
	CHECK(mlog_qs_quantile(&s, 0.29) == 2.9);
	CHECK(mlog_qs_quantile(&s, 1) == 10);
	ok = 1;
	for (i = 0; i <= 1000; i++) {
		r = (i * 100 + 999) / 1000;
		x = mlog_qs_quantile(&s, i / 1000.0);
		ok &= x == (double)(r > 0 ? r : 1) / 10;
	}
	CHECK(ok);
	CHECK(mlog_qs_add(&s, 0.1 + 0.2) == 0 &&
	    mlog_qs_quantile(&s, 0.03) == 0.1 + 0.2);
	mlog_qs_free(&s);
	CHECK(s.n == 0 && s.vals == NULL && s.pos.c == NULL);

	/* the 0.5% guarantee, and merged halves == one sketch of all */
	v = calloc(100000, sizeof(*v));
	if (v == NULL) {
		CHECK(0);
		return;
	}
	for (dist = 0; dist < D_N; dist++) {
		for (j = 0; j < sizeof(ns) / sizeof(ns[0]); j++) {
			n = ns[j];
			memset(&a, 0, sizeof(a));
			memset(&b, 0, sizeof(b));
			memset(&all, 0, sizeof(all));
			ok = 1;
			for (i = 0; i < n; i++) {
				v[i] = sketch_value(dist, &seed);
				ok &= mlog_qs_add(&all, v[i]) == 0 &&
				    mlog_qs_add(i % 2 ? &a : &b, v[i]) == 0;
			}
			ok &= mlog_qs_merge(&a, &b) == 0 && a.n == n;
			qsort(v, n, sizeof(*v), cmp_dbl);
			okq = okm = 1;
			for (k = 0; k < sizeof(qt) / sizeof(qt[0]); k++) {
				r = (qt[k] * n + 999) / 1000;
				x = mlog_qs_quantile(&all, qt[k] / 1000.0);
				okq &= within(x, v[r > 0 ? r - 1 : 0]);
				okm &= x == mlog_qs_quantile(&a,
				    qt[k] / 1000.0);
			}
			if (!okq)
				printf("dist %d n %zu: over 0.5%%\n", dist, n);
			CHECK(ok && okq && okm);
			CHECK(all.min == v[0] && all.max == v[n - 1]);
			mlog_qs_free(&a);
			mlog_qs_free(&b);
			mlog_qs_free(&all);
		}
	}

	/* x alone among its neighbours, across every kind of double */
	ok = 1;
	for (i = 0; i < 20000; i++)
		ok &= qs_one_ok(sketch_value(D_BITS, &seed));
	for (i = 1; i < (size_t)1 << 52; i += 1 + i / 300)
		ok &= qs_one_ok(i * DBL_TRUE_MIN);
	for (k = 0; k <= 148000; k += 23) {
		x = pow(gamma, (double)k - 76000);
		ok &= x == 0 || (qs_one_ok(x) && qs_one_ok(-x) &&
		    qs_one_ok(nextafter(x, 0)) &&
		    qs_one_ok(nextafter(x, INFINITY)));
	}
	ok &= qs_one_ok(DBL_MAX) && qs_one_ok(-DBL_MAX) &&
	    qs_one_ok(nextafter(DBL_MAX, 0)) && qs_one_ok(DBL_MIN) &&
	    qs_one_ok(nextafter(DBL_MIN, 0)) && qs_one_ok(DBL_TRUE_MIN);
	CHECK(ok);

	/* small exact sketches merge exact; past the limit they bucket */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	for (i = 0; i < 60; i++)
		CHECK(mlog_qs_add(&a, 1 + i * 0.001) == 0 &&
		    mlog_qs_add(&b, 2 + i * 0.001) == 0);
	CHECK(mlog_qs_merge(&a, &b) == 0 && a.n == 120 && a.vals != NULL &&
	    mlog_qs_quantile(&a, 0.5) == 1 + 59 * 0.001 &&
	    mlog_qs_quantile(&a, 0.505) == 2);
	CHECK(mlog_qs_merge(&a, &b) == 0 && a.n == 180 && a.vals == NULL &&
	    within(mlog_qs_quantile(&a, 0.5), 2 + 14 * 0.001));
	/* a bucketed sketch into an empty one, and into an exact one */
	memset(&all, 0, sizeof(all));
	CHECK(mlog_qs_merge(&all, &a) == 0 && all.n == 180 &&
	    mlog_qs_quantile(&all, 0.9) == mlog_qs_quantile(&a, 0.9));
	CHECK(mlog_qs_merge(&b, &a) == 0 && b.n == 240 &&
	    within(mlog_qs_quantile(&b, 0.25), 1.059));
	mlog_qs_free(&a);
	mlog_qs_free(&b);
	mlog_qs_free(&all);

	/* --exact: everything kept, merges too */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.exact = b.exact = 1;
	ok = 1;
	for (i = 0; i < 100000; i++) {
		v[i] = sketch_value(D_HEAVY, &seed);
		ok &= mlog_qs_add(i < 30000 ? &a : &b, v[i]) == 0;
	}
	ok &= mlog_qs_merge(&a, &b) == 0 && a.n == 100000 && a.exact;
	qsort(v, 100000, sizeof(*v), cmp_dbl);
	for (k = 0; k < sizeof(qt) / sizeof(qt[0]); k++) {
		r = (qt[k] * 100000 + 999) / 1000;
		ok &= mlog_qs_quantile(&a, qt[k] / 1000.0) ==
		    v[r > 0 ? r - 1 : 0];
	}
	CHECK(ok);
	mlog_qs_free(&a);
	mlog_qs_free(&b);
	free(v);
}

static uint64_t
dhash(uint64_t i, uint64_t seed)
{
	return mlog_hash64(&i, sizeof(i), seed);
}

/* Whether a HyperLogLog of n distinct hashes counts within 3 standard
 * errors. */
static int
near(uint64_t count, uint64_t n)
{
	return fabs((double)count - (double)n) <= 3 * 0.0081 * (double)n;
}

static void
test_distinct(void)
{
	static const uint64_t ns[] = { 5000, 20000, 100000, 1000000 };
	struct mlog_distinct d = { 0 }, a, b;
	unsigned char in[8];
	uint64_t h, x, i, j, seed = 7;
	int ok, bit, flips[64][64];

	/* the hash: inputs of any length differ; each input bit flips each
	 * output bit half the time */
	CHECK(mlog_hash64("a", 1, 0) != mlog_hash64("a\0", 2, 0));
	CHECK(mlog_hash64("", 0, 0) != mlog_hash64("", 0, 1));
	CHECK(mlog_hash64("abcdefghijk", 11, 3) ==
	    mlog_hash64("abcdefghijk", 11, 3));
	memset(flips, 0, sizeof(flips));
	for (i = 0; i < 2000; i++) {
		x = lcg(&seed) << 11 ^ lcg(&seed);
		memcpy(in, &x, sizeof(in));
		h = mlog_hash64(in, sizeof(in), 0);
		for (bit = 0; bit < 64; bit++) {
			in[bit / 8] ^= 1 << bit % 8;
			x = h ^ mlog_hash64(in, sizeof(in), 0);
			in[bit / 8] ^= 1 << bit % 8;
			for (j = 0; j < 64; j++)
				flips[bit][j] += x >> j & 1;
		}
	}
	ok = 1;
	for (bit = 0; bit < 64; bit++)
		for (j = 0; j < 64; j++)
			ok &= abs(flips[bit][j] - 1000) < 150;
	CHECK(ok);

	/* exact up to MLOG_DISTINCT_EXACT, hash 0 included */
	CHECK(mlog_distinct_count(&d) == 0);
	CHECK(mlog_distinct_add(&d, 0) == 0 && mlog_distinct_add(&d, 0) == 0 &&
	    mlog_distinct_count(&d) == 1);
	ok = 1;
	for (i = 1; i < MLOG_DISTINCT_EXACT; i++) {
		ok &= mlog_distinct_add(&d, dhash(i, 1)) == 0 &&
		    mlog_distinct_add(&d, dhash(i / 2 + 1, 1)) == 0;
		ok &= mlog_distinct_count(&d) == i + 1;
	}
	CHECK(ok && d.hll == NULL);
	CHECK(mlog_distinct_add(&d, dhash(7, 1)) == 0 && d.hll == NULL);
	CHECK(mlog_distinct_add(&d, dhash(MLOG_DISTINCT_EXACT, 1)) == 0 &&
	    d.hll != NULL && d.set == NULL &&
	    near(mlog_distinct_count(&d), MLOG_DISTINCT_EXACT + 1));
	mlog_distinct_free(&d);
	CHECK(d.hll == NULL && mlog_distinct_count(&d) == 0);

	/* HyperLogLog within 3 standard errors */
	for (j = 0; j < sizeof(ns) / sizeof(ns[0]); j++) {
		ok = 1;
		for (i = 0; i < ns[j]; i++)
			ok &= mlog_distinct_add(&d, dhash(i, 1 + j)) == 0 &&
			    mlog_distinct_add(&d, dhash(i / 3, 1 + j)) == 0;
		CHECK(ok && near(mlog_distinct_count(&d), ns[j]));
		mlog_distinct_free(&d);
	}

	/* merges: set and set, below the limit and past it, set and
	 * HyperLogLog both ways, HyperLogLogs; a merge counts as one
	 * summary of the union does */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	for (i = 0; i < 2000; i++)
		CHECK(mlog_distinct_add(&a, dhash(i, 2)) == 0 &&
		    mlog_distinct_add(&b, dhash(i + 1000, 2)) == 0);
	CHECK(mlog_distinct_add(&a, 0) == 0 && mlog_distinct_add(&b, 0) == 0);
	CHECK(mlog_distinct_merge(&a, &b) == 0 &&
	    mlog_distinct_count(&a) == 3001 && a.hll == NULL);
	for (i = 3000; i < 6000; i++)
		CHECK(mlog_distinct_add(&b, dhash(i, 2)) == 0);
	CHECK(b.hll != NULL && mlog_distinct_merge(&a, &b) == 0);
	for (i = 0; i < 6000; i++)
		CHECK(mlog_distinct_add(&d, dhash(i, 2)) == 0);
	CHECK(mlog_distinct_add(&d, 0) == 0 &&
	    mlog_distinct_count(&a) == mlog_distinct_count(&d) &&
	    near(mlog_distinct_count(&a), 6001));
	mlog_distinct_free(&a);
	mlog_distinct_free(&b);
	mlog_distinct_free(&d);

	for (i = 0; i < 3000; i++)
		CHECK(mlog_distinct_add(&a, dhash(i, 3)) == 0 &&
		    mlog_distinct_add(&b, dhash(i + 2000, 3)) == 0);
	CHECK(mlog_distinct_merge(&a, &b) == 0 && a.hll != NULL);
	for (i = 0; i < 5000; i++)
		CHECK(mlog_distinct_add(&d, dhash(i, 3)) == 0);
	CHECK(mlog_distinct_count(&a) == mlog_distinct_count(&d));
	/* a set into a HyperLogLog */
	mlog_distinct_free(&b);
	for (i = 4900; i < 5100; i++)
		CHECK(mlog_distinct_add(&b, dhash(i, 3)) == 0 &&
		    mlog_distinct_add(&d, dhash(i, 3)) == 0);
	CHECK(mlog_distinct_merge(&a, &b) == 0 &&
	    mlog_distinct_count(&a) == mlog_distinct_count(&d));
	mlog_distinct_free(&a);
	mlog_distinct_free(&b);
	mlog_distinct_free(&d);

	ok = 1;
	for (i = 0; i < 1000000; i++) {
		h = dhash(i, 4);
		if (i < 600000)
			ok &= mlog_distinct_add(&a, h) == 0;
		if (i >= 400000)
			ok &= mlog_distinct_add(&b, h) == 0;
		ok &= mlog_distinct_add(&d, h) == 0;
	}
	CHECK(ok && mlog_distinct_merge(&a, &b) == 0 &&
	    mlog_distinct_count(&a) == mlog_distinct_count(&d) &&
	    near(mlog_distinct_count(&a), 1000000));
	/* and a HyperLogLog into a set */
	mlog_distinct_free(&b);
	CHECK(mlog_distinct_add(&b, dhash(5, 4)) == 0 &&
	    mlog_distinct_merge(&b, &a) == 0 &&
	    mlog_distinct_count(&b) == mlog_distinct_count(&d));
	mlog_distinct_free(&a);
	mlog_distinct_free(&b);
	mlog_distinct_free(&d);
}

static void
test_kafka_url(void)
{
	struct mlog_kafka_url u;
	struct mlog_kafka_props ps = { NULL, 0, 0 };
	const char *why;
	char long_topic[251];

	CHECK(mlog_log_is_kafka("kafka://h:1/t") && !mlog_log_is_kafka("L") &&
	    !mlog_log_is_kafka("kafka:/h:1/t"));
	CHECK(mlog_kafka_url_parse("kafka://h:9092,10.0.0.2:1/a.b_c-D", &u) ==
	    0 && strcmp(u.brokers, "h:9092,10.0.0.2:1") == 0 &&
	    strcmp(u.topic, "a.b_c-D") == 0);
	mlog_kafka_url_free(&u);
	CHECK(mlog_kafka_url_parse("kafka://[::1]:9092/t", &u) == 0);
	mlog_kafka_url_free(&u);
	CHECK(mlog_kafka_url_parse("kafka://h/t", &u) < 0 && errno == EINVAL &&
	    strcmp(mlog_kafka_strerror(), "bad broker address \"h\" "
	    "(expected host:port)") == 0);
	CHECK(mlog_kafka_url_parse("kafka://h:0/t", &u) < 0);
	CHECK(mlog_kafka_url_parse("kafka://h:65536/t", &u) < 0);
	CHECK(mlog_kafka_url_parse("kafka://h:1,/t", &u) < 0);
	CHECK(mlog_kafka_url_parse("kafka://h:1", &u) < 0 &&
	    strcmp(mlog_kafka_strerror(), "expected kafka://host:port"
	    "[,host:port...]/topic") == 0);
	CHECK(mlog_kafka_url_parse("kafka://h:1/", &u) < 0 &&
	    strcmp(mlog_kafka_strerror(), "no topic name") == 0);
	CHECK(mlog_kafka_url_parse("kafka://h:1/..", &u) < 0);
	CHECK(mlog_kafka_url_parse("kafka://h:1/a/b", &u) < 0);
	CHECK(mlog_kafka_url_parse("kafka://h:1/a b", &u) < 0);
	memset(long_topic, 'x', 249);
	long_topic[249] = '\0';
	CHECK(mlog_kafka_topic_valid(long_topic, &why));
	long_topic[249] = 'x';
	long_topic[250] = '\0';
	CHECK(!mlog_kafka_topic_valid(long_topic, &why) &&
	    strcmp(why, "topic name longer than 249 characters") == 0);
	CHECK(mlog_kafka_prop_secret("sasl.password") &&
	    mlog_kafka_prop_secret("ssl.key.PASSWORD") &&
	    mlog_kafka_prop_secret("sasl.oauthbearer.token.endpoint.url") &&
	    mlog_kafka_prop_secret("sasl.jaas.config") &&
	    !mlog_kafka_prop_secret("acks"));
	CHECK(mlog_kafka_props_arg(&ps, " acks = all ") == 0 && ps.n == 1 &&
	    strcmp(ps.v[0].key, "acks") == 0 &&
	    strcmp(ps.v[0].value, "all") == 0 &&
	    strcmp(ps.v[0].origin, "-X") == 0);
	CHECK(mlog_kafka_props_arg(&ps, "a=b=c") == 0 &&
	    strcmp(ps.v[1].value, "b=c") == 0);
	CHECK(mlog_kafka_props_arg(&ps, "acks") < 0 && errno == EINVAL);
	CHECK(mlog_kafka_props_arg(&ps, "=x") < 0 && errno == EINVAL);
	mlog_kafka_props_free(&ps);
}

/* Segment names: 20 digits, every base offset up to UINT64_MAX. */
static void
test_segment_name(void)
{
	uint64_t b;

	CHECK(mlog_segment_parse_name("00000000000000000042.log", "log",
	    &b) == 0 && b == 42);
	CHECK(mlog_segment_parse_name("18446744073709551610.log", "log",
	    &b) == 0 && b == UINT64_MAX - 5);
	CHECK(mlog_segment_parse_name("18446744073709551615.idx", "idx",
	    &b) == 0 && b == UINT64_MAX);
	CHECK(mlog_segment_parse_name("18446744073709551616.log", "log",
	    &b) < 0);
	CHECK(mlog_segment_parse_name("99999999999999999999.log", "log",
	    &b) < 0);
	CHECK(mlog_segment_parse_name("0000000000000000004.log", "log",
	    &b) < 0);
	CHECK(mlog_segment_parse_name("00000000000000000042.log", "idx",
	    &b) < 0);
}

int
main(void)
{
	test_crc();
	test_partitioner();
	test_record();
	test_time();
	test_size();
	test_envelope();
	test_offsets();
	test_jscan();
	test_qsketch();
	test_distinct();
	test_kafka_url();
	test_segment_name();
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}

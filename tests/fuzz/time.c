/*
 * Fuzz target for times, durations and sizes as users write them
 * (lib/timeparse.c): mlog_time_parse(), mlog_duration_parse(),
 * mlog_duration_arg(), mlog_time_rfc3339(), mlog_time_civil() and
 * mlog_size_parse().
 *
 * The input is the text given to each parser (a copy ending in NUL, and
 * the bytes as they are to mlog_time_rfc3339()); its first eight bytes
 * are also a time for the civil round trip.  What must hold:
 *
 *  - mlog_time_rfc3339() of n bytes and mlog_time_parse() of the same
 *    text agree, and a 't' for the 'T' (which the fast path does not
 *    take) changes nothing;
 *  - "-D" and "+D" are now minus and plus the duration D;
 *  - a duration printed in microseconds reads back as itself, and
 *    mlog_duration_arg() takes what mlog_duration_parse() takes, with
 *    its century limit and sign;
 *  - any time of the years 0000 to 9999 printed from mlog_time_civil()
 *    in RFC 3339 reads back as itself, through both paths;
 *  - mlog_time_civil() gives fields in their ranges for any time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlog.h"
#include "fuzz.h"

#define NOW	1772442000123456LL	/* fixed: runs repeat */
#define MAXTEXT	256

static void
civil_ok(int64_t t)
{
	int64_t f[7];

	mlog_time_civil(t, f);
	REQUIRE(f[1] >= 1 && f[1] <= 12 && f[2] >= 1 && f[2] <= 31);
	REQUIRE(f[3] >= 0 && f[3] < 24 && f[4] >= 0 && f[4] < 60);
	REQUIRE(f[5] >= 0 && f[5] < 60 && f[6] >= 0 && f[6] < 1000000);
}

/* t printed as RFC 3339 reads back as t. */
static void
round_trip(int64_t t)
{
	char s[64];
	int64_t f[7], got;
	int n;

	civil_ok(t);
	if (t < MLOG_TS_MIN || t > MLOG_TS_MAX)
		return;
	mlog_time_civil(t, f);
	n = snprintf(s, sizeof(s), "%04lld-%02lld-%02lldT%02lld:%02lld:"
	    "%02lld.%06lldZ", (long long)f[0], (long long)f[1],
	    (long long)f[2], (long long)f[3], (long long)f[4], (long long)f[5],
	    (long long)f[6]);
	REQUIRE(n > 0 && (size_t)n < sizeof(s));
	REQUIRE(mlog_time_rfc3339(s, (size_t)n, &got) == 0 && got == t);
	REQUIRE(mlog_time_parse(s, NOW, &got) == 0 && got == t);
	s[10] = ' ';
	REQUIRE(mlog_time_rfc3339(s, (size_t)n, &got) == 0 && got == t);
	/* whole seconds, with an offset */
	if (f[6] == 0 && f[3] < 23) {
		n = snprintf(s, sizeof(s), "%04lld-%02lld-%02lldT%02lld:%02lld:"
		    "%02lld+01:00", (long long)f[0], (long long)f[1],
		    (long long)f[2], (long long)f[3] + 1, (long long)f[4],
		    (long long)f[5]);
		REQUIRE(mlog_time_rfc3339(s, (size_t)n, &got) == 0 && got == t);
	}
}

static void
durations(const char *s)
{
	char buf[MAXTEXT + 2], err[320];
	int64_t d, got, t;
	int ok;

	ok = mlog_duration_parse(s, &d) == 0;
	if (!ok)
		REQUIRE(errno == EINVAL);
	else {
		REQUIRE(d >= 0);
		snprintf(buf, sizeof(buf), "%lldus", (long long)d);
		REQUIRE(mlog_duration_parse(buf, &got) == 0 && got == d);
		/* relative times */
		snprintf(buf, sizeof(buf), "-%s", s);
		REQUIRE(mlog_time_parse(buf, NOW, &t) == 0 && t == NOW - d);
		buf[0] = '+';
		REQUIRE(mlog_time_parse(buf, NOW, &t) == 0 && t == NOW + d);
	}
	err[0] = '\0';
	got = -1;
	if (mlog_duration_arg("--fuzz", s, 0, 1, &got, err, sizeof(err)) == 0)
		REQUIRE(ok && got == d && d <= MLOG_DURATION_MAX);
	else
		REQUIRE(err[0] != '\0' && (!ok || d > MLOG_DURATION_MAX));
	if (mlog_duration_arg("--fuzz", s, 1, 0, &got, err, sizeof(err)) == 0)
		REQUIRE(got != 0 && (s[0] == '-' ? got < 0 : got > 0));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[MAXTEXT + 1];
	int64_t t, u, v;
	uint64_t sz;
	int r, p;

	if (size >= 8) {
		memcpy(&t, data, 8);
		round_trip(t);
		/* and the years that matter most */
		round_trip(t % (MLOG_TS_MAX / 2));
	}
	if (size > MAXTEXT)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	r = mlog_time_rfc3339((const char *)data, size, &u);
	if (r == 0) {
		REQUIRE(strlen(s) == size);
		REQUIRE(mlog_time_parse(s, NOW, &v) == 0 && v == u);
		if (size > 10 && s[10] == 'T') {
			s[10] = 't';
			REQUIRE(mlog_time_rfc3339(s, size, &v) == 0 && v == u);
			s[10] = 'T';
		}
	} else
		REQUIRE(errno == EINVAL);
	p = mlog_time_parse(s, NOW, &v);
	if (p < 0)
		REQUIRE(errno == EINVAL);
	if (strcmp(s, "now") == 0)
		REQUIRE(p == 0 && v == NOW);
	durations(s);
	if (mlog_size_parse(s, &sz) < 0)
		REQUIRE(errno == EINVAL);
	return 0;
}

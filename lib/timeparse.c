/*
 * Times, durations and sizes as users write them on command lines:
 * RFC 3339 / ISO 8601 timestamps, epoch numbers in s, ms, us or ns (told
 * apart by magnitude), times relative to now ("-1h"), durations ("500ms",
 * "2h") and byte sizes ("128M").  Internally a time is microseconds since
 * the epoch.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libutil.h>

#include "internal.h"

int64_t
mlog_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int
rfc3339(const char *s, int64_t *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om, sign;
	int64_t frac = 0, scale = 100000, t;

	if (digits(&p, 4, &y) < 0 || *p++ != '-' || digits(&p, 2, &mo) < 0 ||
	    *p++ != '-' || digits(&p, 2, &d) < 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && (y % 4 != 0 ||
	    (y % 100 == 0 && y % 400 != 0))))
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) < 0 || *p++ != ':' ||
		    digits(&p, 2, &mi) < 0)
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec) < 0)
				return -1;
			if (*p == '.' || *p == ',') {
				p++;
				if (!isdigit((unsigned char)*p))
					return -1;
				for (; isdigit((unsigned char)*p); p++) {
					frac += (*p - '0') * scale;
					scale /= 10;
				}
			}
		}
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
	}
	t = (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) *
	    1000000 + frac;
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh) < 0)
			return -1;
		if (*p == ':')
			p++;
		if (digits(&p, 2, &om) < 0 || oh > 23 || om > 59)
			return -1;
		t -= sign * ((int64_t)oh * 3600 + om * 60) * 1000000;
	}
	if (*p != '\0')
		return -1;
	*out = t;
	return 0;
}

/* An RFC 3339 timestamp of n bytes (not NUL-terminated). */
int
mlog_time_rfc3339(const char *s, size_t n, int64_t *out)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	const unsigned char *u = (const unsigned char *)s;
	char buf[64], *copy = buf;
	int64_t v[6], frac = 0, scale = 100000;
	size_t i, k;
	int rc;
	static const size_t at[6] = { 0, 5, 8, 11, 14, 17 };
	static const size_t len[6] = { 4, 2, 2, 2, 2, 2 };

	/* the common form, YYYY-MM-DDTHH:MM:SS[.frac]Z, without a copy */
	if (n >= 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' &&
	    s[13] == ':' && s[16] == ':' && s[n - 1] == 'Z') {
		for (k = 0; k < 6; k++) {
			v[k] = 0;
			for (i = at[k]; i < at[k] + len[k]; i++) {
				if ((unsigned)(u[i] - '0') > 9)
					goto general;
				v[k] = v[k] * 10 + (u[i] - '0');
			}
		}
		i = 19;
		if (i < n - 1) {
			if (s[i++] != '.' || i == n - 1)
				goto general;
			for (; i < n - 1; i++) {
				if ((unsigned)(u[i] - '0') > 9)
					goto general;
				frac += (u[i] - '0') * scale;
				scale /= 10;
			}
		}
		if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > mdays[v[1] - 1] ||
		    v[3] > 23 || v[4] > 59 || v[5] > 59)
			goto general;	/* Feb 29 and leap seconds too */
		*out = (days_from_civil(v[0], (int)v[1], (int)v[2]) * 86400 +
		    v[3] * 3600 + v[4] * 60 + v[5]) * 1000000 + frac;
		return 0;
	}
general:
	if (memchr(s, '\0', n) != NULL) {
		errno = EINVAL;
		return -1;
	}
	/* a fraction may have any number of digits, as on the fast path */
	if (n >= sizeof(buf) && (copy = malloc(n + 1)) == NULL)
		return -1;
	memcpy(copy, s, n);
	copy[n] = '\0';
	rc = rfc3339(copy, out);
	if (copy != buf)
		free(copy);
	if (rc < 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* The civil date and time of t (us since the epoch): y m d h mi s us. */
void
mlog_time_civil(int64_t t, int64_t f[7])
{
	int64_t days, secs, z, era, doe, yoe, doy, mp;

	days = t / 86400000000LL;
	secs = t % 86400000000LL;
	if (secs < 0) {
		secs += 86400000000LL;
		days--;
	}
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	f[2] = doy - (153 * mp + 2) / 5 + 1;
	f[1] = mp < 10 ? mp + 3 : mp - 9;
	f[0] = yoe + era * 400 + (f[1] <= 2);
	f[3] = secs / 3600000000LL;
	f[4] = secs / 60000000 % 60;
	f[5] = secs / 1000000 % 60;
	f[6] = secs % 1000000;
}

/*
 * A plain decimal number at s: digits, maybe a point and more digits (no
 * sign, exponent or hex, which strtold(3) would take too).  Returns the
 * end, or NULL when s does not start with one.
 */
static char *
decimal(const char *s, long double *v)
{
	size_t n = strspn(s, "0123456789");
	char *end;

	if (s[n] == '.')
		n += 1 + strspn(s + n + 1, "0123456789");
	if (n == 0 || (n == 1 && *s == '.'))
		return NULL;
	errno = 0;
	*v = strtold(s, &end);
	return errno != 0 || end != s + n ? NULL : end;
}

/* An epoch number; the unit follows from the magnitude. */
static int
epoch(const char *s, int64_t *out)
{
	long double v;
	char *end;

	if (!isdigit((unsigned char)*s) || (end = decimal(s, &v)) == NULL ||
	    *end != '\0' || v >= 9.2e18L)
		return -1;
	if (v < 1e11L)
		v *= 1e6L;		/* seconds */
	else if (v < 1e14L)
		v *= 1e3L;		/* milliseconds */
	else if (v >= 1e17L)
		v /= 1e3L;		/* nanoseconds */
	*out = (int64_t)v;
	return 0;
}

int
mlog_duration_parse(const char *s, int64_t *out)
{
	static const struct {
		const char	*unit;
		int64_t		 us;
	} units[] = {
		{ "ns", 0 }, { "us", 1 }, { "\xc2\xb5s", 1 }, { "ms", 1000 },
		{ "s", 1000000 }, { "m", 60000000 }, { "h", 3600000000LL },
		{ "d", 86400000000LL }, { "w", 604800000000LL },
	};
	long double v;
	char *end;
	size_t i;

	if ((end = decimal(s, &v)) == NULL)
		goto bad;
	if (*end == '\0') {
		v *= 1e6L;
		goto ok;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) != 0)
			continue;
		v = units[i].us ? v * (long double)units[i].us : v / 1000.0L;
		goto ok;
	}
bad:
	errno = EINVAL;
	return -1;
ok:
	if (v >= 9.2e18L)
		goto bad;
	*out = (int64_t)v;
	return 0;
}

int
mlog_time_parse(const char *s, int64_t now, int64_t *out)
{
	int64_t d;

	if (strcmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	if ((s[0] == '-' || s[0] == '+') && mlog_duration_parse(s + 1, &d) == 0) {
		*out = s[0] == '-' ? now - d : now + d;
		return 0;
	}
	if (rfc3339(s, out) == 0 || epoch(s, out) == 0)
		return 0;
	errno = EINVAL;
	return -1;
}

int
mlog_size_parse(const char *s, uint64_t *out)
{
	uint64_t v;

	if (!isdigit((unsigned char)*s) || expand_number(s, &v) < 0) {
		errno = EINVAL;
		return -1;
	}
	*out = v;
	return 0;
}

/*
 * A duration given as an option's value: 0 with *out, or -1 with the
 * message for the user in err ("--grace: bad duration 'x' (...)").  With
 * sign, a leading - or + is allowed; with zero, 0 is.
 */
int
mlog_duration_arg(const char *opt, const char *s, int sign, int zero,
    int64_t *out, char *err, size_t len)
{
	int64_t d;
	int neg = 0;

	if (sign && (*s == '-' || *s == '+'))
		neg = *s++ == '-';
	if (mlog_duration_parse(s, &d) < 0)
		snprintf(err, len, "%s: bad duration '%s' (a number and a "
		    "unit: 500ms, 10s, 5m, 2h, 7d)", opt, s);
	else if (d > MLOG_DURATION_MAX)
		snprintf(err, len, "%s: '%s' is more than a century", opt, s);
	else if (d == 0 && !zero)
		snprintf(err, len, "%s: the duration must be more than 0",
		    opt);
	else {
		*out = neg ? -d : d;
		return 0;
	}
	return -1;
}

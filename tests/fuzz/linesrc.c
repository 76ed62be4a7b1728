/*
 * Fuzz target for the operators' line input (lib/linesrc.c): lines read
 * from a file and made into JSON as they are, from logfmt, as text or
 * from a regex's named groups, under --max-record; and for the JSON
 * envelopes of mlog-append -J (lib/envelope.c).
 *
 * The input is a flags byte, then the file.  The low three bits choose
 * the format (F_JSON, F_LOGFMT, F_TEXT, F_REGEX: the file's first line is
 * the pattern, F_ENVELOPE, and JSON again for 5 to 7), F_INFER is
 * --infer, and the high four bits a small --max-record (0: 4096).  What must hold:
 *
 *  - the lines come back in order, byte for byte as in the file without
 *    their CR LF or LF (or a last CR), cut to --max-record and reported
 *    bad when longer, whatever the reads' boundaries, blank ones skipped
 *    in JSON;
 *  - a good line's record is one JSON text the scanner accepts: an object
 *    for logfmt and regex, a string for text, the line itself for JSON;
 *    a bad line has a reason, which the bad-input policy counts;
 *  - an envelope that parses prints (mlog_envelope_put()) as one that
 *    parses to the same record.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlog.h"
#include "expr.h"
#include "fuzz.h"

#define F_FORMAT	0x07
#define F_JSON		0
#define F_LOGFMT	1
#define F_TEXT		2
#define F_REGEX		3
#define F_ENVELOPE	4
#define F_INFER		0x08
#define F_MAXREC	0xf0

static char path[96];

/* The next line of the file from *at, as mlog_src_next() should return
 * it; 0 at the end. */
static int
expect(const uint8_t *p, size_t n, size_t *at, size_t maxrec,
    const uint8_t **line, size_t *len, int *over)
{
	const uint8_t *nl;
	size_t raw;

	if (*at >= n)
		return 0;
	*line = p + *at;
	nl = memchr(*line, '\n', n - *at);
	raw = nl != NULL ? (size_t)(nl - *line) : n - *at;
	*at += raw + (nl != NULL);
	*len = raw;
	if (raw > 0 && (*line)[raw - 1] == '\r')
		(*len)--;
	*over = *len > maxrec;
	if (*over)
		*len = maxrec;
	return 1;
}

static int
blank(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

static void
check_doc(const struct mlog_src *s, int format, const uint8_t *line,
    size_t len)
{
	struct mlog_jdoc d = { 0 };
	const char *why;
	size_t col;

	REQUIRE(s->doc.p != NULL && s->doc.n > 0);
	REQUIRE(mlog_json_scan(&d, s->doc.p, s->doc.n, &why, &col) == 0);
	REQUIRE(d.p == s->doc.p && d.n == s->doc.n);
	mlog_jdoc_free(&d);
	switch (format) {
	case F_JSON:
		REQUIRE(s->doc.p >= line && s->doc.p + s->doc.n <= line + len);
		break;
	case F_TEXT:
		REQUIRE(s->doc.p[0] == '"');
		break;
	default:
		REQUIRE(s->doc.p[0] == '{');
	}
}

static void
lines(const uint8_t *p, size_t n, int flags)
{
	struct mlog_src s;
	struct mlog_bad bad;
	const unsigned char *line;
	const uint8_t *want, *nl;
	const char *why;
	char err[200], spec[4096 + 8], summary[1024];
	size_t len, wlen, at = 0, maxrec;
	int format = flags & F_FORMAT, over, rc;

	memset(&s, 0, sizeof(s));
	s.fd = -1;
	memset(&bad, 0, sizeof(bad));
	bad.fd = -1;
	maxrec = flags & F_MAXREC ? (size_t)(flags >> 4) * 3 : 4096;
	s.maxrec = maxrec;
	s.infer = (flags & F_INFER) != 0;
	if (format == F_REGEX) {
		nl = memchr(p, '\n', n);
		at = nl != NULL ? (size_t)(nl - p) + 1 : n;
		snprintf(spec, sizeof(spec), "regex:%.*s",
		    (int)(nl != NULL ? (size_t)(nl - p) : n), (const char *)p);
		if (strlen(spec) != 6 + at - (nl != NULL)) {
			mlog_src_free(&s);
			return;		/* a NUL in the pattern */
		}
	} else
		snprintf(spec, sizeof(spec), "%s", format == F_LOGFMT ?
		    "logfmt" : format == F_TEXT ? "text" : "json");
	err[0] = '\0';
	if (mlog_src_from(&s, spec, err, sizeof(err)) < 0) {
		REQUIRE(format == F_REGEX && err[0] != '\0');
		mlog_src_free(&s);
		return;
	}
	fuzz_put(AT_FDCWD, path, p + at, n - at);
	REQUIRE(mlog_src_open(&s, path) == 0);
	p += at;
	n -= at;
	at = 0;
	while ((rc = mlog_src_next(&s, &line, &len, &why)) > 0) {
		do
			REQUIRE(expect(p, n, &at, maxrec, &want, &wlen,
			    &over));
		while (!over && format == F_JSON && blank(want, wlen));
		REQUIRE(len == wlen && memcmp(line, want, len) == 0);
		REQUIRE(rc == 1 || rc == 2);
		if (over)
			REQUIRE(rc == 2);
		if (rc == 1)
			check_doc(&s, format, line, len);
		else {
			REQUIRE(why != NULL && why[0] != '\0');
			REQUIRE(mlog_bad_note(&bad, &s, 0, why, line, len) == 0);
		}
	}
	REQUIRE(rc == 0);
	/* nothing but blank JSON lines after the last one */
	while (expect(p, n, &at, maxrec, &want, &wlen, &over))
		REQUIRE(!over && format == F_JSON && blank(want, wlen));
	mlog_bad_summary(&bad, summary, sizeof(summary));
	REQUIRE((bad.bad == 0) == (summary[0] == '\0'));
	mlog_src_free(&s);
}

static void
same_record(const struct mlog_record *a, const struct mlog_record *b)
{
	REQUIRE(a->has_key == b->has_key && a->null_value == b->null_value);
	REQUIRE(a->keylen == b->keylen && a->valuelen == b->valuelen);
	REQUIRE(a->keylen == 0 || memcmp(a->key, b->key, a->keylen) == 0);
	REQUIRE(a->valuelen == 0 ||
	    memcmp(a->value, b->value, a->valuelen) == 0);
	REQUIRE(a->timestamp == b->timestamp);
}

static void
envelopes(const uint8_t *p, size_t n)
{
	unsigned char *scratch = NULL, *scratch2 = NULL;
	size_t cap = 0, cap2 = 0, at = 0, len;
	struct mlog_record rec, again;
	const uint8_t *line;
	struct mlog_out out;
	const char *why;
	int64_t part, part2;
	int over;

	REQUIRE(mlog_out_init(&out, -1, 1 << 16) == 0);
	while (expect(p, n, &at, SIZE_MAX, &line, &len, &over)) {
		memset(&rec, 0, sizeof(rec));
		if (mlog_envelope_parse(line, len, &rec, &part, &scratch, &cap,
		    &why) < 0) {
			REQUIRE(errno == EINVAL && why != NULL);
			continue;
		}
		if (rec.timestamp == MLOG_TS_UNSET)
			rec.timestamp = 0;
		rec.partition = part >= 0 ? (uint32_t)part : 0;
		out.len = 0;
		REQUIRE(mlog_envelope_put(&out, &rec) == 0);
		memset(&again, 0, sizeof(again));
		REQUIRE(mlog_envelope_parse(out.buf, out.len, &again, &part2,
		    &scratch2, &cap2, &why) == 0);
		same_record(&rec, &again);
		REQUIRE(part2 == (part >= 0 ? part : 0));
	}
	out.len = 0;
	mlog_out_free(&out);
	free(scratch);
	free(scratch2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (path[0] == '\0')
		snprintf(path, sizeof(path), "%s/lines", fuzz_dir());
	if ((data[0] & F_FORMAT) == F_ENVELOPE)
		envelopes(data + 1, size - 1);
	else if ((data[0] & F_FORMAT) > F_ENVELOPE)
		lines(data + 1, size - 1, (data[0] & ~F_FORMAT) | F_JSON);
	else
		lines(data + 1, size - 1, data[0]);
	return 0;
}

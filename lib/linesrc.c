/*
 * Line sources for the operators: records are lines of files or standard
 * input, read in large blocks with memory bounded by --max-record, turned
 * into validated JSON (as they are, or parsed from logfmt, plain text or a
 * regex's named groups) and classified as good or bad with the reason, so
 * every operator applies the same bad-input policy (shared/DESIGN.md §4).
 */
#include "internal.h"
#include "expr.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#define READ_SIZE	(256 * 1024)

int
mlog_src_from(struct mlog_src *s, const char *spec, char *err, size_t len)
{
	int ec;
	PCRE2_SIZE eo;

	if (strcmp(spec, "json") == 0)
		s->from = MLOG_FROM_JSON;
	else if (strcmp(spec, "logfmt") == 0)
		s->from = MLOG_FROM_LOGFMT;
	else if (strcmp(spec, "text") == 0)
		s->from = MLOG_FROM_TEXT;
	else if (strncmp(spec, "regex:", 6) == 0) {
		s->from = MLOG_FROM_REGEX;
		s->re = pcre2_compile((PCRE2_SPTR)spec + 6,
		    PCRE2_ZERO_TERMINATED, PCRE2_UTF, &ec, &eo, NULL);
		if (s->re == NULL) {
			unsigned char msg[160];
			pcre2_get_error_message(ec, msg, sizeof(msg));
			snprintf(err, len, "bad regex at offset %zu: %s",
			    (size_t)eo, msg);
			return -1;
		}
		(void)pcre2_jit_compile(s->re, PCRE2_JIT_COMPLETE);
		s->md = pcre2_match_data_create_from_pattern(s->re, NULL);
		if (s->md == NULL) {
			snprintf(err, len, "out of memory");
			return -1;
		}
	} else {
		snprintf(err, len, "unknown format '%s' (json, logfmt, text "
		    "or regex:PATTERN)", spec);
		return -1;
	}
	return 0;
}

int
mlog_src_open(struct mlog_src *s, const char *path)
{
	int fd;

	if (strcmp(path, "-") == 0)
		fd = 0;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (s->cap == 0) {
		s->cap = s->maxrec + READ_SIZE + 1;
		if ((s->buf = malloc(s->cap)) == NULL) {
			if (fd != 0)
				close(fd);
			s->cap = 0;
			return -1;
		}
	}
	s->fd = fd;
	s->name = strcmp(path, "-") == 0 ? NULL : path;
	s->lineno = 0;
	s->off = s->len = 0;
	s->eof = 0;
	s->skip = 0;
	return 0;
}

void
mlog_src_close(struct mlog_src *s)
{
	if (s->fd > 0)
		close(s->fd);
	s->fd = -1;
}

void
mlog_src_free(struct mlog_src *s)
{
	mlog_src_close(s);
	free(s->buf);
	free(s->conv);
	mlog_jdoc_free(&s->doc);
	pcre2_match_data_free(s->md);
	pcre2_code_free(s->re);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

/* Read more input after the kept bytes; 0 at EOF. */
static ssize_t
fill(struct mlog_src *s)
{
	struct pollfd pfd;
	ssize_t n;

	if (s->off > 0) {
		memmove(s->buf, s->buf + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
	}
	if (s->flush != NULL) {
		/* about to wait: let what is written so far go downstream */
		pfd.fd = s->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) == 0 && (n = s->flush(s->flusharg)) !=
		    0) {
			if (n < 0)
				return -1;
			s->halt = 1;	/* the caller ends the input */
			return 0;
		}
	}
	for (;;) {
		n = read(s->fd, s->buf + s->len, s->cap - 1 - s->len);
		if (n >= 0 || errno != EINTR)
			break;
	}
	if (n > 0)
		s->len += (size_t)n;
	return n;
}

/* JSON text for a field value: a string, or with --infer a number, a
 * boolean or null when the text is one. */
static int
conv_put(struct mlog_src *s, const void *p, size_t n)
{
	unsigned char *nb;
	size_t cap;

	if (s->convlen + n > s->convcap) {
		cap = s->convcap ? s->convcap : 4096;
		while (cap < s->convlen + n)
			cap *= 2;
		if ((nb = realloc(s->conv, cap)) == NULL)
			return -1;
		s->conv = nb;
		s->convcap = cap;
	}
	memcpy(s->conv + s->convlen, p, n);
	s->convlen += n;
	return 0;
}

static int
is_number(const unsigned char *p, size_t n)
{
	size_t i = 0;

	if (i < n && p[i] == '-')
		i++;
	if (i == n)
		return 0;
	if (p[i] == '0')
		i++;
	else if (p[i] >= '1' && p[i] <= '9')
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && p[i] == '.') {
		if (++i == n || p[i] < '0' || p[i] > '9')
			return 0;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i == n || p[i] < '0' || p[i] > '9')
			return 0;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	}
	return i == n;
}

static int
conv_string(struct mlog_src *s, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;
	char e[6];

	if (conv_put(s, "\"", 1) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] >= 0x20 && p[i] != '"' && p[i] != '\\')
			continue;
		if (conv_put(s, p + run, i - run) < 0)
			return -1;
		run = i + 1;
		e[0] = '\\';
		if (p[i] == '"' || p[i] == '\\') {
			e[1] = (char)p[i];
			if (conv_put(s, e, 2) < 0)
				return -1;
			continue;
		}
		memcpy(e + 1, "u00", 3);
		e[4] = hex[p[i] >> 4];
		e[5] = hex[p[i] & 15];
		if (conv_put(s, e, 6) < 0)
			return -1;
	}
	if (conv_put(s, p + run, n - run) < 0)
		return -1;
	return conv_put(s, "\"", 1);
}

static int
conv_value(struct mlog_src *s, const unsigned char *p, size_t n)
{
	if (s->infer && (is_number(p, n) ||
	    (n == 4 && memcmp(p, "true", 4) == 0) ||
	    (n == 5 && memcmp(p, "false", 5) == 0) ||
	    (n == 4 && memcmp(p, "null", 4) == 0)))
		return conv_put(s, p, n);
	return conv_string(s, p, n);
}

static int
conv_member(struct mlog_src *s, const unsigned char *k, size_t kn,
    const unsigned char *v, size_t vn, int first)
{
	if ((!first && conv_put(s, ",", 1) < 0) || conv_string(s, k, kn) < 0 ||
	    conv_put(s, ":", 1) < 0)
		return -1;
	if (v == NULL)
		return conv_put(s, "null", 4);
	return conv_value(s, v, vn);
}

/* key=value key="quoted \"value\"" flag  ->  {"key":"value",...,"flag":true} */
static int
conv_logfmt(struct mlog_src *s, const unsigned char *p, size_t n,
    const char **why)
{
	size_t i = 0, ks, ke, vs, ve;
	int first = 1;
	unsigned char *unq;

	if (conv_put(s, "{", 1) < 0)
		return -1;
	for (;;) {
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i == n)
			break;
		ks = i;
		while (i < n && p[i] != '=' && p[i] != ' ' && p[i] != '\t')
			i++;
		ke = i;
		if (ke == ks) {
			*why = "logfmt: '=' without a key";
			return 1;
		}
		if (i == n || p[i] != '=') {
			if (conv_member(s, p + ks, ke - ks, NULL, 0, first) < 0)
				return -1;
			/* a bare key is a true flag */
			s->convlen -= 4;
			if (conv_put(s, "true", 4) < 0)
				return -1;
			first = 0;
			continue;
		}
		i++;
		if (i < n && p[i] == '"') {
			size_t o = 0;
			vs = ++i;
			if ((unq = malloc(n)) == NULL)
				return -1;
			while (i < n && p[i] != '"') {
				if (p[i] == '\\' && i + 1 < n)
					i++;
				unq[o++] = p[i++];
			}
			if (i == n) {
				free(unq);
				*why = "logfmt: unterminated quoted value";
				return 1;
			}
			i++;
			if (conv_member(s, p + ks, ke - ks, unq, o, first) <
			    0) {
				free(unq);
				return -1;
			}
			free(unq);
			(void)vs;
		} else {
			vs = i;
			while (i < n && p[i] != ' ' && p[i] != '\t')
				i++;
			ve = i;
			if (conv_member(s, p + ks, ke - ks, p + vs, ve - vs,
			    first) < 0)
				return -1;
		}
		first = 0;
	}
	return conv_put(s, "}", 1);
}

static int
conv_regex(struct mlog_src *s, const unsigned char *p, size_t n,
    const char **why)
{
	PCRE2_SPTR names;
	PCRE2_SIZE *ov;
	uint32_t nn, esz, k, g, ncap;
	const unsigned char *e;
	int r, first;

	r = pcre2_match(s->re, p, n, 0, PCRE2_NO_UTF_CHECK, s->md, NULL);
	if (r == PCRE2_ERROR_NOMATCH) {
		*why = "does not match the --from regex";
		return 1;
	}
	if (r < 0) {
		*why = "the --from regex failed on this line";
		return 1;
	}
	ov = pcre2_get_ovector_pointer(s->md);
	pcre2_pattern_info(s->re, PCRE2_INFO_NAMECOUNT, &nn);
	pcre2_pattern_info(s->re, PCRE2_INFO_NAMEENTRYSIZE, &esz);
	pcre2_pattern_info(s->re, PCRE2_INFO_NAMETABLE, &names);
	pcre2_pattern_info(s->re, PCRE2_INFO_CAPTURECOUNT, &ncap);
	if (conv_put(s, "{", 1) < 0)
		return -1;
	/* fields in the order of their groups in the pattern (the name
	 * table is sorted by name) */
	for (g = 1, first = 1; nn > 0 && g <= ncap; g++)
		for (k = 0; k < nn; k++) {
			e = names + k * esz;
			if ((uint32_t)(e[0] << 8 | e[1]) != g)
				continue;
			if (conv_member(s, e + 2, strlen((const char *)e + 2),
			    ov[2 * g] == PCRE2_UNSET ? NULL : p + ov[2 * g],
			    ov[2 * g] == PCRE2_UNSET ? 0 :
			    ov[2 * g + 1] - ov[2 * g], first) < 0)
				return -1;
			first = 0;
		}
	return conv_put(s, "}", 1);
}

/* The record as JSON in s->doc; 1 with *why when the line is bad. */
static int
parse(struct mlog_src *s, const unsigned char *p, size_t n, const char **why)
{
	const unsigned char *nul;
	size_t col;
	int r;

	if (s->from == MLOG_FROM_JSON) {
		if (mlog_json_scan(&s->doc, p, n, why, &col) == 0)
			return 0;
		if (strcmp(*why, "out of memory") == 0)
			return -1;
		snprintf(s->whybuf, sizeof(s->whybuf), "%s at column %zu",
		    strcmp(*why, "NUL byte") == 0 ? "NUL byte" : *why, col);
		if (strcmp(*why, "NUL byte") != 0 &&
		    strcmp(*why, "invalid UTF-8") != 0)
			snprintf(s->whybuf, sizeof(s->whybuf),
			    "invalid JSON at column %zu: %s", col, *why);
		*why = s->whybuf;
		return 1;
	}
	if ((nul = memchr(p, '\0', n)) != NULL) {
		snprintf(s->whybuf, sizeof(s->whybuf), "NUL byte at column %zu",
		    (size_t)(nul - p) + 1);
		*why = s->whybuf;
		return 1;
	}
	if ((col = mlog_utf8_check(p, n)) != n) {
		snprintf(s->whybuf, sizeof(s->whybuf), "invalid UTF-8 at "
		    "column %zu", col + 1);
		*why = s->whybuf;
		return 1;
	}
	s->convlen = 0;
	if (s->from == MLOG_FROM_TEXT)
		r = conv_string(s, p, n);
	else if (s->from == MLOG_FROM_LOGFMT)
		r = conv_logfmt(s, p, n, why);
	else
		r = conv_regex(s, p, n, why);
	if (r != 0)
		return r;
	if (mlog_json_scan(&s->doc, s->conv, s->convlen, why, &col) < 0) {
		if (strcmp(*why, "out of memory") == 0)
			return -1;
		snprintf(s->whybuf, sizeof(s->whybuf), "cannot convert: %s",
		    *why);
		*why = s->whybuf;
		return 1;
	}
	return 0;
}

static int
blank(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

int
mlog_src_next(struct mlog_src *s, const unsigned char **line, size_t *len,
    const char **why)
{
	unsigned char *nl;
	size_t n;
	ssize_t r;
	int bad;

	for (;;) {
		nl = memchr(s->buf + s->off, '\n', s->len - s->off);
		if (s->skip) {
			/* the rest of an over-long line */
			if (nl != NULL) {
				s->off = (size_t)(nl - s->buf) + 1;
				s->skip = 0;
				continue;
			}
			s->off = s->len;
			if ((r = fill(s)) < 0)
				return -1;
			if (r == 0) {
				s->skip = 0;
				return 0;
			}
			continue;
		}
		/* (a CR read without its LF yet may end a line that fits) */
		if (nl == NULL && s->len - s->off > s->maxrec &&
		    (s->len - s->off > s->maxrec + 1 ||
		    s->buf[s->len - 1] != '\r')) {
			/* over-long: report its head, skip the rest */
			*line = s->buf + s->off;
			*len = s->maxrec;
			s->lineno++;
			s->off = s->len;
			s->skip = 1;
			snprintf(s->whybuf, sizeof(s->whybuf), "longer than "
			    "--max-record (%zu bytes)", s->maxrec);
			*why = s->whybuf;
			return 2;
		}
		if (nl == NULL && !s->eof) {
			if ((r = fill(s)) < 0)
				return -1;
			if (s->halt)
				return 0;	/* an unfinished line is no record */
			if (r == 0)
				s->eof = 1;
			continue;
		}
		if (nl == NULL && s->off == s->len)
			return 0;
		n = nl != NULL ? (size_t)(nl - (s->buf + s->off)) :
		    s->len - s->off;
		*line = s->buf + s->off;
		s->off += n + (nl != NULL);
		s->lineno++;
		if (n > 0 && (*line)[n - 1] == '\r')
			n--;
		*len = n;
		if (n > s->maxrec) {
			/* as for one that overflows the buffer: its head */
			*len = s->maxrec;
			snprintf(s->whybuf, sizeof(s->whybuf), "longer than "
			    "--max-record (%zu bytes)", s->maxrec);
			*why = s->whybuf;
			return 2;
		}
		if (s->from == MLOG_FROM_JSON && blank(*line, n))
			continue;	/* as jq: space between texts */
		if ((bad = parse(s, *line, n, why)) < 0)
			return -1;
		return bad ? 2 : 1;
	}
}

/* "line 7" for standard input, "app.jsonl:7" for a file, "logs/app:
 * partition 0 offset 7" for a log's record. */
static void
where(const struct mlog_src *s, char *buf, size_t len)
{
	if (s->logpart > 0)
		snprintf(buf, len, "%.250s: partition %u offset %" PRIu64,
		    s->name, s->logpart - 1, s->lineno);
	else if (s->name == NULL)
		snprintf(buf, len, "line %" PRIu64, s->lineno);
	else
		snprintf(buf, len, "%.250s:%" PRIu64, s->name, s->lineno);
}

int
mlog_bad_note(struct mlog_bad *b, const struct mlog_src *s, int error,
    const char *why, const unsigned char *line, size_t len)
{
	char at[300];
	char *first = error ? b->firsterr : b->firstbad;
	uint64_t *count = error ? &b->errors : &b->bad;

	where(s, at, sizeof(at));
	if (b->strict) {
		snprintf(b->stop, sizeof(b->stop), "%s: %.200s", at, why);
		return -1;
	}
	if ((*count)++ == 0)
		snprintf(first, sizeof(b->firstbad), "%s: %.200s", at, why);
	if (b->fd >= 0) {
		if (write_all(b->fd, line, len) < 0 ||
		    write_all(b->fd, "\n", 1) < 0) {
			snprintf(b->stop, sizeof(b->stop), "%.300s: %s",
			    b->path, strerror(errno));
			(*count)--;
			return -1;
		}
	}
	return 0;
}

/* The end-of-run summary of what the policy dropped, for stderr. */
void
mlog_bad_summary(const struct mlog_bad *b, char *buf, size_t len)
{
	const char *fate = b->fd >= 0 ? "written to " : "dropped";
	size_t o = 0;

	buf[0] = '\0';
	if (b->bad > 0)
		o += (size_t)snprintf(buf + o, len - o, "%" PRIu64 " bad input "
		    "line%s %s%s; first at %s\n", b->bad, b->bad == 1 ? "" :
		    "s", fate, b->fd >= 0 ? b->path : "", b->firstbad);
	if (b->errors > 0 && o < len)
		snprintf(buf + o, len - o, "%" PRIu64 " %s%s%s; first at "
		    "%s\n", b->errors, b->errors == 1 ?
		    "record raised an error" : "records raised errors", b->fd >= 0 ? ", written to " :
		    "", b->fd >= 0 ? b->path : "", b->firsterr);
}

/*
 * The input options every operator takes: 'F' --from, 'I' --infer,
 * 'B' --bad, 'S' --strict, 'm' --max-record.  Returns 1 when ch is one of
 * them, 0 when not, -1 with a message in err for a bad value.
 */
int
mlog_src_option(struct mlog_src *s, struct mlog_bad *b, int ch,
    const char *arg, char *err, size_t len)
{
	char why[200];
	uint64_t size;

	switch (ch) {
	case 'F':
		if (mlog_src_from(s, arg, why, sizeof(why)) < 0) {
			snprintf(err, len, "--from: %s", why);
			return -1;
		}
		return 1;
	case 'I':
		s->infer = 1;
		return 1;
	case 'B':
		b->path = arg;
		return 1;
	case 'S':
		b->strict = 1;
		return 1;
	case 'm':
		if (mlog_size_parse(arg, &size) < 0 || size == 0 ||
		    size > 256 * 1024 * 1024) {
			snprintf(err, len, "--max-record: bad size (1 to 256M): "
			    "%.100s", arg);
			return -1;
		}
		s->maxrec = size;
		return 1;
	}
	return 0;
}

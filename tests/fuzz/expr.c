/*
 * Fuzz target for the expression language (lib/expr.c).  The input is
 * PROGRAM, a NUL byte, RECORD; without a NUL byte all of it is the program,
 * run on a small built-in record.  A program that fails to compile must say
 * where (mlog_expr_explain() is run on the error); one that compiles runs on a
 * record that scans, as mmap runs it (mlog_expr_run(), compact and raw) and
 * as mfilter does (mlog_expr_test()), with the record also bound to $v (as
 * JSON) and $s (as a raw string).  Every compact output must be one JSON
 * text without space that the scanner accepts, and the four evaluations
 * must agree with each other.  Everything is freed: LeakSanitizer watches.
 *
 * Nothing is skipped.  Programs big by nature, like range(1e9) or
 * "x" * 1e8 | . + ., end in the library's out-of-memory error (an
 * evaluation may use 256 MiB), so an out-of-memory crash here is a bug.
 * Their time is bounded only through that: a few hundred bytes of products
 * (1,2,3 | 4,5,6 | ...) can take seconds, which libFuzzer records as
 * timeouts for a look rather than as failures (see make fuzz).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "fuzz.h"

/* Past libFuzzer's -max_len, for replayed files. */
#define MAXPROG	4096
#define MAXREC	4096

static const char sample[] = "{\"a\":1,\"b\":\"x\",\"c\":[1,2.5,{\"d\":null}],"
    "\"e\":{\"f\":true,\"g\":\"2026-03-02T09:00:00Z\"},\"h\":\"caf\\u00e9\"}";

struct sink {
	int	 raw;
	int	 stop;		/* return -1 from the first output */
	size_t	 n;		/* outputs */
	int	 truthy;	/* some output is neither false nor null */
	int	 null;		/* some output is null (or a NaN: true) */
};

static int
emit(void *arg, const unsigned char *p, size_t n)
{
	struct sink *k = arg;
	struct mlog_jdoc d = { 0 };
	const char *why;
	size_t col;

	k->n++;
	if (!k->raw) {
		/* what mmap prints, mfilter and mmap must read back */
		REQUIRE(mlog_json_scan(&d, p, n, &why, &col) == 0);
		REQUIRE(d.p == p && d.n == n && !d.ws);
		mlog_jdoc_free(&d);
		if (n == 4 && memcmp(p, "null", 4) == 0)
			k->null = 1;
		else if (!(n == 5 && memcmp(p, "false", 5) == 0))
			k->truthy = 1;
	}
	return k->stop ? -1 : 0;
}

/* A compile error's message and position, and the lines that show it. */
static void
check_error(const char *src, const struct mlog_expr_err *err)
{
	char out[3][MLOG_EXPR_LINE];
	size_t i, cl;

	REQUIRE(errno == EINVAL);
	REQUIRE(memchr(err->msg, '\0', sizeof(err->msg)) != NULL);
	REQUIRE(err->msg[0] != '\0');
	REQUIRE(err->line >= 0 && err->col >= 0);
	REQUIRE((err->line == 0) == (err->col == 0));
	if (err->line == 0)
		return;
	mlog_expr_explain(src, err, out);
	for (i = 0; i < 3; i++)
		REQUIRE(memchr(out[i], '\0', MLOG_EXPR_LINE) != NULL);
	cl = strlen(out[2]);
	REQUIRE(cl >= 3 && out[2][cl - 1] == '^');
	REQUIRE(strspn(out[2], " ") == cl - 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t plen = nul != NULL ? (size_t)(nul - data) : size;
	const unsigned char *rec = (const unsigned char *)sample;
	size_t rlen = sizeof(sample) - 1, col;
	struct mlog_expr_var vars[2] = {
		{ "v", "null", 0 },
		{ "s", "", 1 },
	};
	struct mlog_expr_err err;
	struct mlog_jdoc d = { 0 };
	struct mlog_expr *e = NULL;
	struct sink out = { 0, 0, 0, 0, 0 }, raw = { 1, 0, 0, 0, 0 },
	    stop = { 0, 1, 0, 0, 0 };
	const char *why;
	char *prog, *rcopy = NULL;
	int scanned, r, rraw, rstop, rtest, truthy, clock;

	if (nul != NULL) {
		rec = nul + 1;
		rlen = size - plen - 1;
	}
	if (plen > MAXPROG || rlen > MAXREC)
		return 0;
	REQUIRE((prog = malloc(plen + 1)) != NULL);
	memcpy(prog, data, plen);
	prog[plen] = '\0';
	/* now may change between the evaluations */
	clock = strstr(prog, "now") != NULL;

	scanned = mlog_json_scan(&d, rec, rlen, &why, &col) == 0;
	if (scanned) {
		REQUIRE((rcopy = malloc(rlen + 1)) != NULL);
		memcpy(rcopy, rec, rlen);
		rcopy[rlen] = '\0';
		vars[0].value = vars[1].value = rcopy;
	}
	errno = 0;
	if ((e = mlog_expr_compile(prog, vars, 2, &err)) == NULL) {
		check_error(prog, &err);
		goto done;
	}
	if (!scanned)
		goto done;

	r = mlog_expr_run(e, &d, 0, emit, &out);
	rraw = mlog_expr_run(e, &d, 1, emit, &raw);
	rstop = mlog_expr_run(e, &d, 0, emit, &stop);
	rtest = mlog_expr_test(e, &d, &truthy);
	REQUIRE(r == 0 || r == -2);
	REQUIRE(rraw == 0 || rraw == -2);
	REQUIRE(rstop == 0 || rstop == -1 || rstop == -2);
	REQUIRE(rtest == 0 || rtest == -1);
	/* error("") raises an empty message, as in jq */
	REQUIRE(mlog_expr_error(e) != NULL);
	if (!clock) {
		/* an error while printing fails only the printing runs */
		REQUIRE(rtest == -1 ? r == -2 && rraw == -2 : 1);
		if (r == 0) {
			REQUIRE(rraw == 0 && rtest == 0);
			REQUIRE(raw.n == out.n);
			REQUIRE(truthy == out.truthy ||
			    (truthy && out.null));
		}
		REQUIRE(raw.n >= out.n);
		REQUIRE((rstop == -1) == (out.n > 0));
	}
	REQUIRE(stop.n <= 1);
done:
	mlog_expr_free(e);
	mlog_jdoc_free(&d);
	free(rcopy);
	free(prog);
	return 0;
}

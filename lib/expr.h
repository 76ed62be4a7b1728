/*
 * The operators' half of libmlog: the lazy JSON scanner (jscan.c), the
 * jq-compatible expression language (expr.c, documented in
 * mstreams-expr(7)) and the line sources with their bad-input policy
 * (linesrc.c) that mfilter, mmap and every --key/--time/--by option share.
 */
#ifndef MLOG_EXPR_H
#define MLOG_EXPR_H

#include <stddef.h>
#include <stdint.h>

struct mlog_out;

/* ---- jscan.c ---- */
#define MLOG_JSON_MAXDEPTH	512

struct mlog_jfield {			/* a member of a top-level object */
	const unsigned char	*key;	/* inner text of the key, escapes kept */
	const unsigned char	*val;	/* the value's text */
	uint32_t		 klen, vlen;
	uint8_t			 kesc;	/* the key holds escapes */
};

/* One validated JSON text.  Points into the caller's buffer. */
struct mlog_jdoc {
	const unsigned char	*p;	/* the value, without surrounding space */
	size_t			 n;
	int			 ws;	/* space between tokens inside it */
	int			 flat;	/* an object whose keys and string
					 * values are printable ASCII without
					 * escapes */
	struct mlog_jfield	*f;	/* members, when it is an object */
	size_t			 nf, cap;
};

/* Validate s as one JSON text and index a top-level object's members.
 * On failure returns -1 with *why (static) and the 1-based byte column. */
int		mlog_json_scan(struct mlog_jdoc *, const unsigned char *s,
		    size_t n, const char **why, size_t *col);
void		mlog_jdoc_free(struct mlog_jdoc *);
/* Helpers over text already validated by mlog_json_scan(). */
const unsigned char *mlog_json_skip(const unsigned char *p,
		    const unsigned char *end);
int		mlog_json_next(const unsigned char **pp,
		    const unsigned char *end, const unsigned char **key,
		    size_t *klen, const unsigned char **val, size_t *vlen);
size_t		mlog_json_unescape(const unsigned char *s, size_t n,
		    unsigned char *out);
double		mlog_json_number(const unsigned char *p, size_t n);

/* ---- expr.c ---- */
struct mlog_expr;

struct mlog_expr_err {
	char	msg[256];
	int	line, col;		/* 1-based, of the offending token */
};

/* $name bound to value: a JSON text, or a string when raw is set. */
struct mlog_expr_var {
	const char	*name, *value;
	int		 raw;
};

/* Compile a program with the given variables (at most 64).  On failure
 * returns NULL with err filled in (line and column 0 when a variable's
 * value is at fault) and errno EINVAL. */
struct mlog_expr *mlog_expr_compile(const char *src,
		    const struct mlog_expr_var *vars, size_t nvars,
		    struct mlog_expr_err *err);
void		mlog_expr_free(struct mlog_expr *);
/* The argc to hand getopt so that "-1" or "-.a" stays an expression; the
 * long options named in twovals (NULL-terminated, or NULL) take two words. */
struct option;
int		mlog_expr_optlimit(int argc, char *argv[], const char *shortopts,
		    const struct option *longopts, const char *const *twovals);
/* The text of a program file (-f), malloc'd; NULL with errno (EINVAL: a
 * NUL byte in it, EFBIG: over 1 MiB). */
char		*mlog_expr_read(const char *path);
/* A compile error as three lines for stderr: the message with line and
 * column, the program line, and a caret under the column. */
#define MLOG_EXPR_LINE	320
void		mlog_expr_explain(const char *src, const struct mlog_expr_err *,
		    char out[3][MLOG_EXPR_LINE]);

/*
 * Evaluate on one validated record.  Each output is serialized (compact
 * JSON, or the bare string when raw is set) and handed to emit with its
 * length; emit returns -1 to stop, and mlog_expr_run() then returns -1.
 * It returns -2 when the program raised an error for this record (after
 * emitting the outputs before the error); mlog_expr_test() returns -1 then,
 * and otherwise sets *truthy when some output is neither false nor null.
 * mlog_expr_error() says what went wrong until the next evaluation.
 * Memory is reused from record to record.
 */
typedef int	mlog_expr_emit(void *arg, const unsigned char *, size_t);
int		mlog_expr_run(struct mlog_expr *, const struct mlog_jdoc *,
		    int raw, mlog_expr_emit *, void *arg);
int		mlog_expr_test(struct mlog_expr *, const struct mlog_jdoc *,
		    int *truthy);
const char	*mlog_expr_error(const struct mlog_expr *);

/*
 * The first output of a program as a value, for the operators' --time,
 * --by and aggregate arguments: 0 with *v set (type MLOG_V_NONE when there
 * is no output), or -2 when the program raised an error.  With canon, json
 * is the value's text as jq -c prints it (every number and string
 * re-printed), the form in which keys compare equal when the values do.
 * Everything points into the program's memory until its next evaluation.
 */
enum { MLOG_V_NONE, MLOG_V_NULL, MLOG_V_FALSE, MLOG_V_TRUE, MLOG_V_NUM,
    MLOG_V_STR, MLOG_V_ARR, MLOG_V_OBJ };
struct mlog_value {
	int			 type;
	double			 num;
	const unsigned char	*s;	/* a string's bytes; a number's text
					 * when it came from the record */
	size_t			 n;
	const unsigned char	*json;	/* with canon */
	size_t			 jn;
};
int		mlog_expr_value(struct mlog_expr *, const struct mlog_jdoc *,
		    int canon, struct mlog_value *);
/* That value in jq's words for messages: string ("abc"). */
const char	*mlog_expr_describe(struct mlog_expr *);
/* Two validated JSON texts in jq's order: negative, 0 or positive. */
int		mlog_json_cmp(const unsigned char *, size_t,
		    const unsigned char *, size_t);
/* A number as jq 1.6 prints it; returns the length. */
size_t		mlog_json_fmtnum(double, char buf[40]);

/* ---- linesrc.c ---- */
enum { MLOG_FROM_JSON, MLOG_FROM_LOGFMT, MLOG_FROM_TEXT, MLOG_FROM_REGEX };

struct mlog_src {
	/* set by the caller before mlog_src_open() */
	size_t		 maxrec;	/* longest line kept */
	int		 infer;		/* typed values from non-JSON lines */
	/* called before a read blocks: it may wait itself, and returns 1
	 * to end the input there (-1: error) */
	int		(*flush)(void *);
	void		*flusharg;
	/* mlog_src_from() */
	int		 from;
	void		*re, *md;
	/* the current input */
	int		 fd;
	const char	*name;		/* NULL for standard input */
	uint64_t	 lineno;
	uint32_t	 logpart;	/* 1 + partition: name is a log,
					 * lineno an offset in it */
	unsigned char	*buf;
	size_t		 cap, off, len;
	int		 eof, skip, halt;
	/* the current record */
	struct mlog_jdoc doc;
	unsigned char	*conv;
	size_t		 convlen, convcap;
	char		 whybuf[160];
};

/* Parse a --from value (json, logfmt, text, regex:PATTERN); on failure
 * returns -1 with a message in err. */
int		mlog_src_from(struct mlog_src *, const char *spec, char *err,
		    size_t len);
/* The options every operator takes: 'F' --from, 'I' --infer, 'B' --bad,
 * 'S' --strict, 'm' --max-record.  1 when ch is one of them, 0 when not,
 * -1 with a message in err for a bad value. */
struct mlog_bad;
int		mlog_src_option(struct mlog_src *, struct mlog_bad *, int ch,
		    const char *arg, char *err, size_t len);
/* Start reading path ("-": standard input). */
int		mlog_src_open(struct mlog_src *, const char *path);
/*
 * The next record: 1 with the line (CR LF ends it too) and s->doc ready;
 * 2 for a bad line, with the line (of an over-long line, its first maxrec
 * bytes; the rest is skipped) and *why; 0 at the end; -1 on a read error.
 * Blank lines of JSON input are skipped, as jq does.
 */
int		mlog_src_next(struct mlog_src *, const unsigned char **line,
		    size_t *len, const char **why);
void		mlog_src_close(struct mlog_src *);
void		mlog_src_free(struct mlog_src *);

/* The bad-input policy: drop and count (default), copy bad lines to a
 * dead-letter file (fd >= 0), or stop at the first (strict). */
struct mlog_bad {
	int		 strict;
	int		 fd;		/* --bad=FILE, or -1 */
	const char	*path;
	uint64_t	 bad, errors;	/* bad lines; records that raised errors */
	char		 firstbad[512], firsterr[512];
	char		 stop[512];	/* why to stop, when mlog_bad_note() fails */
};
/* Note a bad line (error = 0) or a record whose evaluation failed; -1 when
 * the run must stop (strict, or the dead-letter write failed). */
int		mlog_bad_note(struct mlog_bad *, const struct mlog_src *,
		    int error, const char *why, const unsigned char *line,
		    size_t len);
/* Lines for stderr summing up what was dropped ("" when nothing was). */
void		mlog_bad_summary(const struct mlog_bad *, char *buf, size_t len);

#endif

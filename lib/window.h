/*
 * mwindow's half of libmlog: the summaries aggregates keep (sketch.c) and
 * the event-time window engine (window.c).  See mwindow(1).
 */
#ifndef MLOG_WINDOW_H
#define MLOG_WINDOW_H

#include <stddef.h>
#include <stdint.h>

/* ---- sketch.c ---- */

/* A 64-bit hash of n bytes, well mixed in every bit (HyperLogLog uses the
 * top bits, hash sets the bottom ones). */
uint64_t	mlog_hash64(const void *p, size_t n, uint64_t seed);

/*
 * Quantiles with a relative-error guarantee.  The first MLOG_QS_EXACT values
 * are kept as they are; beyond, they go into logarithmic buckets (the idea
 * of DDSketch): bucket i of each sign holds the values x with
 * gamma^(i-1) < |x| <= gamma^i, gamma = (1 + a) / (1 - a), a = MLOG_QS_ALPHA,
 * so a bucket's midpoint 2 gamma^i / (gamma + 1) is within a of every value
 * in it.  With exact set, every value is kept (mwindow --exact).
 * A zeroed struct is an empty sketch; sketches merge.
 */
#define MLOG_QS_EXACT	128
#define MLOG_QS_ALPHA	0.0049
struct mlog_qsbins {			/* dense counts for indexes lo.. */
	int32_t		 lo;
	uint32_t	 len;
	uint64_t	*c;
};
struct mlog_qsketch {
	uint64_t		 n;	/* values added */
	double			 min, max;
	int			 exact;	/* keep every value */
	int			 sorted;
	double			*vals;	/* while n <= MLOG_QS_EXACT, or exact */
	size_t			 cap;
	uint64_t		 zero;	/* values equal to 0 (bucketed phase) */
	struct mlog_qsbins	 pos, neg;
};
/* Add a finite value: 0, or -1 with errno ENOMEM, or EINVAL for NaN and
 * infinities (the sketch unchanged).  Below 2^-1060 every double has its
 * own bucket: there, midpoints would not be within a. */
int		mlog_qs_add(struct mlog_qsketch *, double v);
/* Add everything src holds to dst (src unchanged; not dst itself): 0 or
 * -1 (ENOMEM).  A bucketed src makes an exact dst bucketed too. */
int		mlog_qs_merge(struct mlog_qsketch *dst,
		    const struct mlog_qsketch *src);
/*
 * The nearest-rank q-quantile, 0 <= q <= 1: the value at 1-based rank
 * max(1, ceil(q n)) in ascending order; NaN when empty.  Exact values are
 * returned as they are (they may be sorted in place); a bucketed estimate
 * is rounded to 6 significant digits and clamped into [min, max], and is
 * within 0.5% of the exact value.
 */
double		mlog_qs_quantile(struct mlog_qsketch *, double q);
void		mlog_qs_free(struct mlog_qsketch *);

/*
 * Distinct counts of 64-bit hashes: exact up to MLOG_DISTINCT_EXACT distinct
 * hashes, then a HyperLogLog of 2^MLOG_HLL_P one-byte registers (standard
 * error 1.04 / sqrt(2^14) = 0.81%).  A zeroed struct is empty.
 */
#define MLOG_DISTINCT_EXACT	4096
#define MLOG_HLL_P		14
struct mlog_distinct {
	uint32_t	 n, cap;	/* hashes in set; its slots */
	int		 hasnull;	/* hash 0 was added (0 marks free slots) */
	uint64_t	*set;
	uint8_t		*hll;		/* once past MLOG_DISTINCT_EXACT */
};
int		mlog_distinct_add(struct mlog_distinct *, uint64_t h);
int		mlog_distinct_merge(struct mlog_distinct *dst,
		    const struct mlog_distinct *src);
uint64_t	mlog_distinct_count(const struct mlog_distinct *);
void		mlog_distinct_free(struct mlog_distinct *);

/* ---- window.c ---- */
struct mlog_value;

enum { MLOG_AGG_COUNT, MLOG_AGG_SUM, MLOG_AGG_MIN, MLOG_AGG_MAX,
    MLOG_AGG_AVG, MLOG_AGG_STDDEV, MLOG_AGG_PCT, MLOG_AGG_DISTINCT,
    MLOG_AGG_FIRST, MLOG_AGG_LAST, MLOG_AGG_TOP };

#define MLOG_NAME_MAX	64
struct mlog_aggdef {
	int		 kind;
	double		 q;		/* MLOG_AGG_PCT: 0 .. 1 */
	uint32_t	 k;		/* MLOG_AGG_TOP */
	int		 arg;		/* its argument among the values */
	char		 name[MLOG_NAME_MAX];
};
/* "p99:.latency_ms=slow": the definition and where its expression text
 * starts and ends in spec (empty for count).  -1 with a message in err. */
int		mlog_agg_parse(const char *spec, struct mlog_aggdef *,
		    size_t *exprstart, size_t *exprlen, char *err, size_t len);
/* Where a trailing "=name" starts in s (n when there is none): a word
 * after an '=' that no operator ends in, so .a == b keeps its meaning. */
size_t		mlog_rename_at(const char *s, size_t n);
/* The kinds that take numbers only. */
int		mlog_agg_numeric(int kind);
/* A field name made from an expression: .req.path gives req_path. */
void		mlog_expr_name(const char *expr, size_t n, char *out,
		    size_t len);
/* Split a comma-separated list of expressions at the commas outside
 * brackets and strings; the pieces are malloc'd, *n of them. */
char		**mlog_split_list(const char *s, size_t *n);

/* How times are read and written. */
enum { MLOG_TF_AUTO, MLOG_TF_ISO, MLOG_TF_S, MLOG_TF_MS, MLOG_TF_US,
    MLOG_TF_NS };
/* A time value: a number in unit (MLOG_TF_AUTO: by magnitude) or an
 * RFC 3339 string.  0 with *us and the representation it was in, or -1.
 * A cache (zeroed at first, or NULL) remembers the last string's minute. */
struct mlog_tcache {
	unsigned char	 pre[16];	/* YYYY-MM-DDTHH:MM */
	int64_t		 base;
	int		 valid;
};
int		mlog_value_time(const struct mlog_value *, int unit,
		    struct mlog_tcache *, int64_t *us, int *form);
/* Write a time in a representation; returns the length (< 40). */
size_t		mlog_time_format(int64_t us, int form, char buf[40]);

enum { MLOG_WIN_TUMBLING, MLOG_WIN_HOPPING, MLOG_WIN_SESSION,
    MLOG_WIN_ROWS };
struct mlog_wconf {
	int			 kind;
	int64_t			 size, advance, gap, align, grace; /* us */
	uint64_t		 rows;
	int			 update;	/* --emit update */
	int			 exact;
	int			 hastime;	/* --rows: times are given */
	uint64_t		 maxgroups;	/* 0: no limit */
	int			 evict;
	const struct mlog_aggdef *aggs;
	size_t			 naggs;
	char			(*keynames)[MLOG_NAME_MAX];
	size_t			 nkeys;
};
/* Rows are handed out as JSON text without a newline; emit returns -1
 * (with errno) to stop. */
typedef int	mlog_win_emit(void *arg, const unsigned char *, size_t);
struct mlog_win;
struct mlog_win	*mlog_win_new(const struct mlog_wconf *, mlog_win_emit *,
		    void *arg);
/* How window_start and window_end are written (default ISO). */
void		mlog_win_timeform(struct mlog_win *, int form);
/*
 * One record at time t (us) with its group keys (nkeys values with canonical
 * JSON) and aggregate arguments (values by mlog_aggdef.arg; the numeric
 * kinds' must be numbers, null or none).  Returns 0, 1 when the record was
 * late for a window, or -1: ENOMEM, EOVERFLOW (more than maxgroups open
 * entries), or the errno of a failed emit.
 */
int		mlog_win_add(struct mlog_win *, int64_t t,
		    const struct mlog_value *keys, const struct mlog_value *vals);
/* Move stream time to t (if later) and close what that closes. */
int		mlog_win_advance(struct mlog_win *, int64_t t);
int64_t		mlog_win_streamtime(const struct mlog_win *);
/* When stream time will close the next window (INT64_MAX: nothing open). */
int64_t		mlog_win_next_close(const struct mlog_win *);
/* The end of input: write every open window. */
int		mlog_win_flush(struct mlog_win *);
uint64_t	mlog_win_evicted(const struct mlog_win *);
void		mlog_win_free(struct mlog_win *);

#endif

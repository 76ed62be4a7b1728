/*
 * The summaries mwindow's aggregates keep in bounded memory: a 64-bit hash,
 * a quantile sketch with a relative-error guarantee, and a distinct counter
 * that is exact for small sets and a HyperLogLog beyond.  Adds and merges
 * fail only for want of memory, and then leave the summary as it was.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "window.h"

/* ---- the hash ---- */

/* Odd constants with no structure to them: the first 64 fraction bits of
 * the square roots of 2, 3, 5 and 7 (the first made odd). */
#define H0	0x6a09e667f3bcc909ULL
#define H1	0xbb67ae8584caa73bULL
#define H2	0x3c6ef372fe94f82bULL
#define H3	0xa54ff53a5f1d36f1ULL

/*
 * One step per 8 input bytes.  The multiply carries every bit into the bits
 * above it, the shift brings the well-mixed high half back down.  Both are
 * bijections: inputs of one length that differ in a single word never
 * collide.
 */
static inline uint64_t
hash_step(uint64_t h, uint64_t w)
{
	h = (h ^ w) * H1;
	return h ^ (h >> 32);
}

/* The finish: rounds of xorshift and multiply until flipping any input
 * bit flips each output bit with probability one half (unit.c checks). */
static inline uint64_t
hash_mix(uint64_t h)
{
	h ^= h >> 31;
	h *= H2;
	h ^= h >> 29;
	h *= H3;
	h ^= h >> 32;
	return h;
}

uint64_t
mlog_hash64(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *s = p;
	uint64_t h, t;
	size_t i;

	/* The length goes in first, as the last word is padded with zeros.
	 * Little-endian loads give every machine the same hashes. */
	h = hash_step(hash_step(seed, H0), (uint64_t)n);
	for (; n >= 8; n -= 8, s += 8)
		h = hash_step(h, get64(s));
	if (n > 0) {
		for (t = 0, i = 0; i < n; i++)
			t |= (uint64_t)s[i] << (8 * i);
		h = hash_step(h, t);
	}
	return hash_mix(h);
}

/* ---- quantiles ---- */

/*
 * Bucket indexes.  A magnitude x >= SUB_T goes to ceil(log(x) / log(gamma)).
 * Below SUB_T the doubles are subnormal, k * 2^-1074, and too sparse for
 * that: a bucket 1% wide may hold one double, and the double nearest its
 * midpoint may be far from it.  So each k < SUB_K has a bucket of its own,
 * just under the first logarithmic one.  From k = 10527 up, the step of
 * 2^-1074 is below the 0.0095% that is left of the 0.5% guarantee after
 * the 0.49% of a bucket and the rounding to 6 digits.
 */
#define SUB_K	16384
#define SUB_T	(SUB_K * DBL_TRUE_MIN)

static double	lg;		/* log(gamma) */
static double	lmid;		/* log of a midpoint over its bucket's top */
static int32_t	sub_i;		/* the first logarithmic bucket */
static int32_t	idx_min, idx_max;
static int	qs_ready;

/*
 * log(x) within 1e-6, from the exponent bits and a short series for the
 * mantissa m in [1, 2): ln m = 2 atanh((m - 1) / (m + 1)), t <= 1/3, the
 * terms after t^9/9 adding less than 2e-7.  For normal x only.
 */
static double
quick_log(double x)
{
	uint64_t u;
	double m, t, t2;
	int e;

	memcpy(&u, &x, sizeof(u));
	e = (int)((u >> 52) & 0x7ff) - 1023;
	u = (u & 0xfffffffffffffULL) | 0x3ff0000000000000ULL;
	memcpy(&m, &u, sizeof(m));
	t = (m - 1) / (m + 1);
	t2 = t * t;
	return e * M_LN2 + 2 * t * (1 + t2 * (1.0 / 3 + t2 * (1.0 / 5 +
	    t2 * (1.0 / 7 + t2 * (1.0 / 9)))));
}

static int32_t
bucket(double x)		/* x > 0 */
{
	double l, f;

	if (x < SUB_T)
		return sub_i - SUB_K + (int32_t)(x / DBL_TRUE_MIN);
	/* the quick log decides unless x is near a bucket's edge (its error
	 * is under 1e-4 of a bucket there): the same index as log()'s.
	 * Subnormals above SUB_T have no exponent bits to read. */
	if (x >= DBL_MIN) {
		l = quick_log(x) / lg;
		f = l - floor(l);
		if (f > 1e-3 && f < 1 - 1e-3)
			return (int32_t)ceil(l);
	}
	return (int32_t)ceil(log(x) / lg);
}

/* A bucket's midpoint 2 gamma^i / (gamma + 1), which is gamma^i (1 - a). */
static double
bucket_mid(int32_t i)
{
	if (i < sub_i)
		return (i - sub_i + SUB_K) * DBL_TRUE_MIN;
	return exp(i * lg + lmid);
}

/* Indexes and midpoints both derive from the one rounded log(gamma), so
 * a midpoint stays within a of its bucket's edges as bucket() draws them. */
static void
qs_init(void)
{
	lg = log1p(MLOG_QS_ALPHA) - log1p(-MLOG_QS_ALPHA);
	lmid = log1p(-MLOG_QS_ALPHA);
	sub_i = bucket(SUB_T);
	idx_min = bucket(DBL_TRUE_MIN);
	idx_max = bucket(DBL_MAX);
	qs_ready = 1;
}

/* An index range of bins to make room for; empty while lo > hi. */
struct span {
	int32_t	lo, hi;
};

static void
span_add(struct span sp[2], double v)
{
	struct span *p;
	int32_t i;

	if (v == 0)
		return;
	p = &sp[v < 0];
	i = bucket(fabs(v));
	if (i < p->lo)
		p->lo = i;
	if (i > p->hi)
		p->hi = i;
}

/* The range of b's non-zero counts, into sp. */
static void
span_bins(struct span *sp, const struct mlog_qsbins *b)
{
	uint32_t lo, hi;

	for (lo = 0; lo < b->len && b->c[lo] == 0; lo++)
		continue;
	if (lo == b->len)
		return;
	for (hi = b->len - 1; b->c[hi] == 0; hi--)
		continue;
	if (b->lo + (int32_t)lo < sp->lo)
		sp->lo = b->lo + (int32_t)lo;
	if (b->lo + (int32_t)hi > sp->hi)
		sp->hi = b->lo + (int32_t)hi;
}

/*
 * Makes b cover indexes lo..hi, keeping its counts.  The first time, that
 * is the range of the first values and little more; after, the side that
 * lacked room gets a quarter of the whole more than it needs, so that a
 * run of adds costs amortised O(1) without many bins left unused.  Never
 * past the indexes a double can have.
 */
static int
bins_cover(struct mlog_qsbins *b, int32_t lo, int32_t hi)
{
	int64_t olo, ohi, nlo, nhi, slack;
	size_t off;
	uint64_t *c;

	olo = b->lo;
	ohi = (int64_t)b->lo + b->len;
	if (b->len == 0)
		olo = ohi = lo;
	else if (lo >= olo && hi < ohi)
		return 0;
	nlo = lo < olo ? lo : olo;
	nhi = hi + 1 > ohi ? hi + 1 : ohi;
	slack = b->len == 0 ? 8 : (nhi - nlo) / 4 + 8;
	if (lo < olo || b->len == 0)
		nlo -= slack;
	if (hi >= ohi)
		nhi += slack;
	if (nlo < idx_min)
		nlo = idx_min;
	if (nhi > (int64_t)idx_max + 1)
		nhi = (int64_t)idx_max + 1;
	if ((c = reallocarray(b->c, nhi - nlo, sizeof(*c))) == NULL)
		return -1;
	off = b->len > 0 ? olo - nlo : 0;
	memmove(c + off, c, b->len * sizeof(*c));
	memset(c, 0, off * sizeof(*c));
	memset(c + off + b->len, 0, (nhi - nlo - off - b->len) * sizeof(*c));
	b->c = c;
	b->lo = (int32_t)nlo;
	b->len = (uint32_t)(nhi - nlo);
	return 0;
}

static int
qs_cover(struct mlog_qsketch *s, const struct span sp[2])
{
	if (sp[0].lo <= sp[0].hi &&
	    bins_cover(&s->pos, sp[0].lo, sp[0].hi) == -1)
		return -1;
	if (sp[1].lo <= sp[1].hi &&
	    bins_cover(&s->neg, sp[1].lo, sp[1].hi) == -1)
		return -1;
	return 0;
}

/* Counts v in bins that already cover it. */
static void
qs_put(struct mlog_qsketch *s, double v)
{
	struct mlog_qsbins *b;

	if (v == 0) {
		s->zero++;
		return;
	}
	b = v > 0 ? &s->pos : &s->neg;
	b->c[bucket(fabs(v)) - b->lo]++;
}

static void
bins_put(struct mlog_qsbins *dst, const struct mlog_qsbins *src)
{
	uint32_t i;

	for (i = 0; i < src->len; i++)
		if (src->c[i] != 0)
			dst->c[src->lo + (int32_t)i - dst->lo] += src->c[i];
}

/* Has the sketch moved from its values to buckets? */
static int
qs_bucketed(const struct mlog_qsketch *s)
{
	return !s->exact && s->n > MLOG_QS_EXACT;
}

/* Moves the values into bins that already cover them. */
static void
qs_tobins(struct mlog_qsketch *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		qs_put(s, s->vals[i]);
	free(s->vals);
	s->vals = NULL;
	s->cap = 0;
	s->sorted = 0;
}

static int
qs_reserve(struct mlog_qsketch *s, size_t want)
{
	double *nv;
	size_t cap;

	if (want <= s->cap)
		return 0;
	for (cap = s->cap ? s->cap : 16; cap < want; cap *= 2)
		continue;
	if ((nv = reallocarray(s->vals, cap, sizeof(*nv))) == NULL)
		return -1;
	s->vals = nv;
	s->cap = cap;
	return 0;
}

static void
qs_minmax(struct mlog_qsketch *s, double min, double max)
{
	if (s->n == 0 || min < s->min)
		s->min = min;
	if (s->n == 0 || max > s->max)
		s->max = max;
}

int
mlog_qs_add(struct mlog_qsketch *s, double v)
{
	struct span sp[2] = { { INT32_MAX, INT32_MIN },
	    { INT32_MAX, INT32_MIN } };
	struct mlog_qsbins *b;
	size_t i;
	int32_t k;

	/* a NaN would break the sort, an infinity the index */
	if (!isfinite(v)) {
		errno = EINVAL;
		return -1;
	}
	if (!qs_ready)
		qs_init();
	if (s->exact || s->n < MLOG_QS_EXACT) {
		if (qs_reserve(s, s->n + 1) == -1)
			return -1;
		s->vals[s->n] = v;
		s->sorted = 0;
	} else if (s->n == MLOG_QS_EXACT) {
		span_add(sp, v);
		for (i = 0; i < s->n; i++)
			span_add(sp, s->vals[i]);
		if (qs_cover(s, sp) == -1)
			return -1;
		qs_tobins(s);
		qs_put(s, v);
	} else if (v == 0)
		s->zero++;
	else {
		b = v > 0 ? &s->pos : &s->neg;
		k = bucket(fabs(v));
		if (bins_cover(b, k, k) == -1)
			return -1;
		b->c[k - b->lo]++;
	}
	qs_minmax(s, v, v);
	s->n++;
	return 0;
}

/*
 * A bucketed src cannot give its values back, so merging it into an exact
 * dst turns dst into buckets: the result keeps the 0.5% guarantee rather
 * than failing.  (mwindow --exact makes every sketch exact.)
 */
int
mlog_qs_merge(struct mlog_qsketch *dst, const struct mlog_qsketch *src)
{
	struct span sp[2] = { { INT32_MAX, INT32_MIN },
	    { INT32_MAX, INT32_MIN } };
	int dvals, svals;
	size_t i;

	if (src->n == 0)
		return 0;
	if (!qs_ready)
		qs_init();
	dvals = !qs_bucketed(dst);
	svals = !qs_bucketed(src);
	if (dvals && svals &&
	    (dst->exact || dst->n + src->n <= MLOG_QS_EXACT)) {
		if (qs_reserve(dst, dst->n + src->n) == -1)
			return -1;
		memcpy(dst->vals + dst->n, src->vals,
		    src->n * sizeof(*src->vals));
		dst->sorted = 0;
	} else {
		/* all the room first, so that a failure changes nothing */
		for (i = 0; dvals && i < dst->n; i++)
			span_add(sp, dst->vals[i]);
		for (i = 0; svals && i < src->n; i++)
			span_add(sp, src->vals[i]);
		if (!svals) {
			span_bins(&sp[0], &src->pos);
			span_bins(&sp[1], &src->neg);
		}
		if (qs_cover(dst, sp) == -1)
			return -1;
		if (dvals) {
			qs_tobins(dst);
			dst->exact = 0;
		}
		if (svals)
			for (i = 0; i < src->n; i++)
				qs_put(dst, src->vals[i]);
		else {
			bins_put(&dst->pos, &src->pos);
			bins_put(&dst->neg, &src->neg);
			dst->zero += src->zero;
		}
	}
	qs_minmax(dst, src->min, src->max);
	dst->n += src->n;
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The 1-based nearest rank max(1, ceil(q n)).  A q like 0.99 is a decimal
 * fraction held in binary, and 0.99 * 100 comes out a hair above 99, whose
 * ceiling would be 100: a fraction under 1e-12 of the product is taken for
 * such an error, not for a part of the rank.
 */
static uint64_t
qs_rank(double q, uint64_t n)
{
	double x, k;

	x = q * (double)n;
	if (!(x >= 1))
		return 1;
	if (x >= (double)n)
		return n;
	k = floor(x);
	if (x - k > x * 1e-12)
		k++;
	return (uint64_t)k;
}

/* Rounds to 6 significant digits as printf does, so that %g prints the
 * estimate without noise digits that would claim a precision it lacks. */
static double
round6(double v)
{
	char buf[32];
	int saved = errno;

	snprintf(buf, sizeof(buf), "%.5e", v);
	v = strtod(buf, NULL);
	/* strtod may say ERANGE for a subnormal it read exactly enough */
	errno = saved;
	return v;
}

double
mlog_qs_quantile(struct mlog_qsketch *s, double q)
{
	uint64_t r, cum;
	double v;
	uint32_t j;

	if (s->n == 0)
		return NAN;
	r = qs_rank(q, s->n);
	if (!qs_bucketed(s)) {
		if (!s->sorted) {
			qsort(s->vals, s->n, sizeof(*s->vals), cmp_double);
			s->sorted = 1;
		}
		return s->vals[r - 1];
	}
	/* ascending: negative buckets by falling magnitude, zeros, positive */
	cum = 0;
	for (j = s->neg.len; j-- > 0;)
		if ((cum += s->neg.c[j]) >= r) {
			v = -bucket_mid(s->neg.lo + (int32_t)j);
			goto found;
		}
	if ((cum += s->zero) >= r)
		return 0;
	/* the counts add up to n: the walk stops inside the bins */
	for (j = 0; (cum += s->pos.c[j]) < r; j++)
		continue;
	v = bucket_mid(s->pos.lo + (int32_t)j);
found:
	v = round6(v);
	if (v < s->min)
		v = s->min;
	if (v > s->max)
		v = s->max;
	return v;
}

void
mlog_qs_free(struct mlog_qsketch *s)
{
	free(s->vals);
	free(s->pos.c);
	free(s->neg.c);
	memset(s, 0, sizeof(*s));
}

/* ---- distinct counts ---- */

#define HLL_M	(1u << MLOG_HLL_P)
#define HLL_Q	(64 - MLOG_HLL_P)	/* hash bits left for the rank */
#define SET_MIN	16

/* A register keeps the largest rank it has seen: one plus the number of
 * leading zeros in the bits below the index (the top P). */
static void
hll_put(uint8_t *r, uint64_t h)
{
	uint64_t w;
	uint8_t k;

	/* a stop bit just past the Q bits caps the rank at Q + 1 */
	w = h << MLOG_HLL_P | (uint64_t)1 << (MLOG_HLL_P - 1);
	for (k = 1; !(w & (uint64_t)1 << 63); w <<= 1)
		k++;
	if (k > r[h >> HLL_Q])
		r[h >> HLL_Q] = k;
}

/* sigma(x) = x + sum over k >= 1 of x^(2^k) 2^(k-1), for 0 <= x < 1 */
static double
hll_sigma(double x)
{
	double y = 1, z = x, zp;

	do {
		x *= x;
		zp = z;
		z += x * y;
		y += y;
	} while (z != zp);
	return z;
}

/* tau(x) = (1 - x - sum over k >= 1 of (1 - x^(2^-k))^2 2^-k) / 3 */
static double
hll_tau(double x)
{
	double y = 1, z, zp;

	if (x == 0 || x == 1)
		return 0;
	z = 1 - x;
	do {
		x = sqrt(x);
		zp = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (z != zp);
	return z / 3;
}

/*
 * Ertl's improved estimator ("New cardinality estimation algorithms for
 * HyperLogLog sketches", 2017).  The raw HyperLogLog estimate is biased
 * while many registers are still zero, which the usual fix patches with
 * linear counting and a table of measured biases; sigma and tau instead
 * account for the zero and the saturated registers exactly, so a single
 * formula holds from a few thousand up to far beyond 1e9.
 */
static double
hll_estimate(const uint8_t *r)
{
	uint32_t c[HLL_Q + 2] = { 0 }, i;
	double z;
	int k;

	for (i = 0; i < HLL_M; i++)
		c[r[i]]++;
	if (c[0] == HLL_M)
		return 0;
	z = HLL_M * hll_tau(1 - (double)c[HLL_Q + 1] / HLL_M);
	for (k = HLL_Q; k >= 1; k--)
		z = 0.5 * (z + c[k]);
	z += HLL_M * hll_sigma((double)c[0] / HLL_M);
	return (double)HLL_M * HLL_M / (2 * M_LN2 * z);
}

/* The slot holding h, or the free one where it goes (h != 0, cap > 0).
 * The low bits pick the slot: HyperLogLog has the high ones. */
static uint64_t *
set_slot(uint64_t *set, uint32_t cap, uint64_t h)
{
	uint32_t i;

	for (i = (uint32_t)h & (cap - 1); set[i] != 0 && set[i] != h;
	    i = (i + 1) & (cap - 1))
		continue;
	return &set[i];
}

/* Makes room for want hashes with at most three slots in four taken, so
 * that linear probing stays short. */
static int
set_room(struct mlog_distinct *d, uint32_t want)
{
	uint64_t *set;
	uint32_t cap, i;

	for (cap = d->cap ? d->cap : SET_MIN;
	    (uint64_t)want * 4 > (uint64_t)cap * 3; cap *= 2)
		continue;
	if (cap == d->cap)
		return 0;
	if ((set = calloc(cap, sizeof(*set))) == NULL)
		return -1;
	for (i = 0; i < d->cap; i++)
		if (d->set[i] != 0)
			*set_slot(set, cap, d->set[i]) = d->set[i];
	free(d->set);
	d->set = set;
	d->cap = cap;
	return 0;
}

static int
set_has(const struct mlog_distinct *d, uint64_t h)
{
	if (h == 0)
		return d->hasnull;
	return d->cap > 0 && *set_slot(d->set, d->cap, h) == h;
}

/* Moves the set into the zeroed registers r, which d then owns. */
static void
to_hll(struct mlog_distinct *d, uint8_t *r)
{
	uint32_t i;

	for (i = 0; i < d->cap; i++)
		if (d->set[i] != 0)
			hll_put(r, d->set[i]);
	if (d->hasnull)
		hll_put(r, 0);
	free(d->set);
	d->set = NULL;
	d->n = d->cap = 0;
	d->hasnull = 0;
	d->hll = r;
}

/*
 * Adds h without allocating: the set has room for it (set_room), or, when
 * h is the one too many for it, r holds zeroed registers to move to.  Says
 * whether it took r.
 */
static int
put(struct mlog_distinct *d, uint64_t h, uint8_t *r)
{
	if (d->hll != NULL) {
		hll_put(d->hll, h);
		return 0;
	}
	if (set_has(d, h))
		return 0;
	if (d->n + d->hasnull == MLOG_DISTINCT_EXACT) {
		to_hll(d, r);
		hll_put(r, h);
		return 1;
	}
	if (h == 0)
		d->hasnull = 1;
	else {
		*set_slot(d->set, d->cap, h) = h;
		d->n++;
	}
	return 0;
}

int
mlog_distinct_add(struct mlog_distinct *d, uint64_t h)
{
	uint8_t *r = NULL;

	if (d->hll == NULL) {
		if (d->n + d->hasnull < MLOG_DISTINCT_EXACT) {
			if (set_room(d, d->n + 1) == -1)
				return -1;
		} else if (!set_has(d, h) &&
		    (r = calloc(HLL_M, 1)) == NULL)
			return -1;
	}
	put(d, h, r);
	return 0;
}

int
mlog_distinct_merge(struct mlog_distinct *dst,
    const struct mlog_distinct *src)
{
	uint8_t *r = NULL;
	uint64_t want;
	uint32_t i;
	int took = 0;

	if (src->hll != NULL) {
		if (dst->hll == NULL) {
			if ((r = calloc(HLL_M, 1)) == NULL)
				return -1;
			to_hll(dst, r);
		}
		for (i = 0; i < HLL_M; i++)
			if (src->hll[i] > dst->hll[i])
				dst->hll[i] = src->hll[i];
		return 0;
	}
	if (src->n + src->hasnull == 0)
		return 0;
	if (dst->hll == NULL) {
		/* all the room first, so that a failure changes nothing */
		want = (uint64_t)dst->n + dst->hasnull + src->n +
		    src->hasnull;
		if (want > MLOG_DISTINCT_EXACT) {
			if ((r = calloc(HLL_M, 1)) == NULL)
				return -1;
			want = MLOG_DISTINCT_EXACT;
		}
		if (set_room(dst, (uint32_t)want) == -1) {
			free(r);
			return -1;
		}
	}
	for (i = 0; i < src->cap; i++)
		if (src->set[i] != 0)
			took |= put(dst, src->set[i], r);
	if (src->hasnull)
		took |= put(dst, 0, r);
	if (!took)
		free(r);
	return 0;
}

uint64_t
mlog_distinct_count(const struct mlog_distinct *d)
{
	if (d->hll == NULL)
		return d->n + (uint64_t)d->hasnull;
	return (uint64_t)(hll_estimate(d->hll) + 0.5);
}

void
mlog_distinct_free(struct mlog_distinct *d)
{
	free(d->set);
	free(d->hll);
	memset(d, 0, sizeof(*d));
}

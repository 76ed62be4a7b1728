/*
 * The keyed record store behind mjoin (join.h): an open-addressing hash of
 * keys, each with its records in arrival order, and one arrival-order
 * queue through every record for eviction.  A record is one allocation:
 * the struct, its member table and a copy of its text.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "expr.h"
#include "join.h"
#include "window.h"

/* The hash beside the pointer: probing past other keys touches no key. */
struct slot {
	uint64_t		 h;
	struct mlog_jkey	*k;
};

struct mlog_jstore {
	struct slot		*slot;
	size_t			 mask, nkeys, nrecs;
	struct mlog_jrec	*qhead, *qtail;
	uint64_t		 seed;
	int			 single;
};

struct mlog_jstore *
mlog_jstore_new(int single)
{
	struct mlog_jstore *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->mask = 255;
	if ((s->slot = calloc(s->mask + 1, sizeof(*s->slot))) == NULL) {
		free(s);
		return NULL;
	}
	s->seed = 0x6a6f696e;
	s->single = single;
	return s;
}

void
mlog_jstore_free(struct mlog_jstore *s)
{
	struct mlog_jrec *r, *next;
	size_t i;

	if (s == NULL)
		return;
	for (r = s->qhead; r != NULL && !s->single; r = next) {
		next = r->qnext;
		free(r);
	}
	for (i = 0; i <= s->mask; i++)
		free(s->slot[i].k);
	free(s->slot);
	free(s);
}

static size_t
probe(const struct mlog_jstore *s, uint64_t h, const void *key, size_t kn)
{
	size_t i = (size_t)h & s->mask;
	const struct slot *sl;

	while ((sl = &s->slot[i])->k != NULL && (sl->h != h ||
	    sl->k->kn != kn || !same_bytes(sl->k->k, key, kn)))
		i = (i + 1) & s->mask;
	return i;
}

struct mlog_jkey *
mlog_jstore_find(struct mlog_jstore *s, const void *key, size_t kn)
{
	return s->slot[probe(s, mlog_hash64(key, kn, s->seed), key,
	    kn)].k;
}

uint64_t
mlog_jstore_hash(const struct mlog_jstore *s, const void *key, size_t kn)
{
	return mlog_hash64(key, kn, s->seed);
}

void
mlog_jstore_prefetch(const struct mlog_jstore *s, uint64_t h, int deep)
{
	const struct slot *sl = &s->slot[(size_t)h & s->mask];

	if (!deep)
		__builtin_prefetch(sl);
	else if (sl->h == h && sl->k != NULL) {
		__builtin_prefetch(sl->k);
		__builtin_prefetch((const unsigned char *)sl->k + 64);
	}
}

struct mlog_jkey *
mlog_jstore_find_hashed(struct mlog_jstore *s, uint64_t h, const void *key,
    size_t kn)
{
	return s->slot[probe(s, h, key, kn)].k;
}

static int
grow(struct mlog_jstore *s)
{
	struct slot *old = s->slot;
	size_t i, j, omask = s->mask;

	if ((s->slot = calloc((omask + 1) * 2, sizeof(*s->slot))) == NULL) {
		s->slot = old;
		return -1;
	}
	s->mask = omask * 2 + 1;
	for (i = 0; i <= omask; i++) {
		if (old[i].k == NULL)
			continue;
		for (j = (size_t)old[i].h & s->mask; s->slot[j].k != NULL;
		    j = (j + 1) & s->mask)
			;
		s->slot[j] = old[i];
	}
	free(old);
	return 0;
}

/* Take the key out of the table, shifting back the keys probed past it. */
static void
drop_key(struct mlog_jstore *s, struct mlog_jkey *k)
{
	uint64_t h = mlog_hash64(k->k, k->kn, s->seed);
	size_t i = probe(s, h, k->k, k->kn), j = i, home;

	for (;;) {
		j = (j + 1) & s->mask;
		if (s->slot[j].k == NULL)
			break;
		home = (size_t)s->slot[j].h & s->mask;
		/* j's entry may fill the hole at i unless its home lies
		 * cyclically in (i, j] */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		s->slot[i] = s->slot[j];
		i = j;
	}
	s->slot[i].k = NULL;
	s->nkeys--;
	free(k);
}

void
mlog_jstore_remove(struct mlog_jstore *s, struct mlog_jrec *r)
{
	struct mlog_jkey *k = r->key;

	if (r->kprev != NULL)
		r->kprev->knext = r->knext;
	else
		k->head = r->knext;
	if (r->knext != NULL)
		r->knext->kprev = r->kprev;
	else
		k->tail = r->kprev;
	if (r->qprev != NULL)
		r->qprev->qnext = r->qnext;
	else
		s->qhead = r->qnext;
	if (r->qnext != NULL)
		r->qnext->qprev = r->qprev;
	else
		s->qtail = r->qprev;
	s->nrecs--;
	if (!s->single)
		free(r);
	if (k->head == NULL)
		drop_key(s, k);		/* and with it a single record */
}

int
mlog_jstore_delete(struct mlog_jstore *s, const void *key, size_t kn)
{
	struct mlog_jkey *k;

	if ((k = mlog_jstore_find(s, key, kn)) == NULL)
		return 0;
	while (k->head->knext != NULL)
		mlog_jstore_remove(s, k->head);
	mlog_jstore_remove(s, k->head);
	return 1;
}

#define BLANK(c)	((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')

/* The members of an object, as offsets into its text. */
static size_t
members(const unsigned char *p, size_t n, uint32_t *f)
{
	const unsigned char *q = p, *end = p + n, *k, *v;
	size_t kn, vn, nf = 0;

	while (mlog_json_next(&q, end, &k, &kn, &v, &vn)) {
		if (f != NULL) {
			f[nf * 4] = (uint32_t)(k - p);
			f[nf * 4 + 1] = (uint32_t)kn;
			f[nf * 4 + 2] = (uint32_t)(v - p);
			f[nf * 4 + 3] = (uint32_t)vn;
		}
		nf++;
	}
	return nf;
}

struct mlog_jrec *
mlog_jstore_add(struct mlog_jstore *s, const void *key, size_t kn, int64_t t,
    const unsigned char *p, size_t n, int replace)
{
	struct mlog_jkey *k;
	struct mlog_jrec *r;
	uint64_t h = mlog_hash64(key, kn, s->seed);
	size_t i, nf = 0, fsz, ksz;
	size_t lead = 0, trail = 0;
	int isobj;

	if (n > UINT32_MAX) {
		errno = EOVERFLOW;
		return NULL;
	}
	while (lead < n && BLANK(p[lead]))
		lead++;
	while (trail < n - lead && BLANK(p[n - 1 - trail]))
		trail++;
	isobj = n - lead - trail >= 2 && p[lead] == '{';
	if (isobj)
		nf = members(p + lead, n - lead - trail, NULL);
	fsz = nf * 4 * sizeof(uint32_t);
	ksz = (sizeof(*k) + kn + 7) & ~(size_t)7;
	i = probe(s, h, key, kn);
	if ((k = s->slot[i].k) != NULL && (replace || s->single)) {
		/* the key goes with its last record and comes back */
		mlog_jstore_delete(s, key, kn);
		i = probe(s, h, key, kn);
		k = NULL;
	}
	if (k == NULL && (s->nkeys + 1) * 4 > (s->mask + 1) * 3) {
		if (grow(s) < 0)
			return NULL;
		i = probe(s, h, key, kn);
	}
	/* single: the key and its record in one block, one cache miss less
	 * per lookup */
	if (k == NULL && s->single) {
		if ((k = malloc(ksz + sizeof(*r) + fsz + n)) == NULL)
			return NULL;
		r = (struct mlog_jrec *)((unsigned char *)k + ksz);
	} else if ((r = malloc(sizeof(*r) + fsz + n)) == NULL)
		return NULL;
	r->f = (uint32_t *)(r + 1);
	r->data = (unsigned char *)r->f + fsz;
	memcpy(r->data, p, n);
	r->len = (uint32_t)n;
	r->doff = (uint32_t)lead;
	r->dlen = (uint32_t)(n - lead - trail);
	r->nf = (uint32_t)nf;
	r->isobj = isobj;
	if (isobj)
		members(r->data + lead, n - lead - trail, r->f);
	r->t = t;
	r->matched = 0;
	r->aux = NULL;
	if (s->slot[i].k == NULL) {
		if (!s->single && (k = malloc(ksz)) == NULL) {
			free(r);
			return NULL;
		}
		memcpy(k->k, key, kn);
		k->kn = kn;
		k->head = k->tail = NULL;
		s->slot[i].h = h;
		s->slot[i].k = k;
		s->nkeys++;
	}
	r->key = k;
	r->knext = NULL;
	r->kprev = k->tail;
	if (k->tail != NULL)
		k->tail->knext = r;
	else
		k->head = r;
	k->tail = r;
	r->qnext = NULL;
	r->qprev = s->qtail;
	if (s->qtail != NULL)
		s->qtail->qnext = r;
	else
		s->qhead = r;
	s->qtail = r;
	s->nrecs++;
	return r;
}

struct mlog_jrec *
mlog_jstore_oldest(const struct mlog_jstore *s)
{
	return s->qhead;
}

size_t
mlog_jstore_keys(const struct mlog_jstore *s)
{
	return s->nkeys;
}

size_t
mlog_jstore_records(const struct mlog_jstore *s)
{
	return s->nrecs;
}

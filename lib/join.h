/*
 * join.c: the keyed record store behind mjoin.  Records are kept by the
 * canonical JSON text of their key (so 1 and "1" are different keys), in
 * arrival order per key and in arrival order overall, so that a table keeps
 * the last value of each key and an interval join evicts its oldest records
 * first.
 */
#ifndef MLOG_JOIN_H
#define MLOG_JOIN_H

#include <stddef.h>
#include <stdint.h>

struct mlog_jkey;

struct mlog_jrec {
	struct mlog_jrec	*knext, *kprev;	/* same key, arrival order */
	struct mlog_jrec	*qnext, *qprev;	/* every record, arrival order */
	struct mlog_jkey	*key;
	int64_t			 t;		/* event time, us */
	uint32_t		 len;		/* the record's line */
	uint32_t		 doff, dlen;	/* its JSON text, blanks aside */
	uint32_t		 nf;		/* its members, when an object */
	int			 isobj;
	int			 matched;
	void			*aux;		/* the caller's */
	uint32_t		*f;		/* nf x (koff, klen, voff, vlen) */
	unsigned char		*data;
};

struct mlog_jkey {
	struct mlog_jrec	*head, *tail;
	size_t			 kn;
	unsigned char		 k[];		/* the key's text */
};

struct mlog_jstore;

/* With single, a key holds one record, kept in the key's own memory: a
 * table, where adding a record replaces the key's. */
struct mlog_jstore *mlog_jstore_new(int single);
void		mlog_jstore_free(struct mlog_jstore *);
/* The records of a key, or NULL when it has none. */
struct mlog_jkey *mlog_jstore_find(struct mlog_jstore *, const void *key,
		    size_t kn);
/*
 * Lookups in batches, to wait on memory once for many: hash each key,
 * prefetch its slot (deep 0), then its key and record (deep 1), then find
 * each with the hash.
 */
uint64_t	mlog_jstore_hash(const struct mlog_jstore *, const void *key,
		    size_t kn);
void		mlog_jstore_prefetch(const struct mlog_jstore *, uint64_t h,
		    int deep);
struct mlog_jkey *mlog_jstore_find_hashed(struct mlog_jstore *, uint64_t h,
		    const void *key, size_t kn);
/* Add a copy of the line p (a validated JSON text, with blanks around it
 * or not) under key, after the others of its key; NULL with errno ENOMEM.  With replace, the key's other records
 * go first: a table's last value wins. */
struct mlog_jrec *mlog_jstore_add(struct mlog_jstore *, const void *key,
		    size_t kn, int64_t t, const unsigned char *p, size_t n,
		    int replace);
/* Remove one record (and its key once it has none left). */
void		mlog_jstore_remove(struct mlog_jstore *, struct mlog_jrec *);
/* Remove every record of a key; 1 when there were some. */
int		mlog_jstore_delete(struct mlog_jstore *, const void *key,
		    size_t kn);
/* The record that came first among those kept, or NULL. */
struct mlog_jrec *mlog_jstore_oldest(const struct mlog_jstore *);
size_t		mlog_jstore_keys(const struct mlog_jstore *);
size_t		mlog_jstore_records(const struct mlog_jstore *);

#endif

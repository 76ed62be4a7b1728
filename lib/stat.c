/*
 * What a log holds: per-partition facts read without scanning the records
 * (segment list, file sizes, the index, the first and last records), the
 * consumer groups kept in the log, and, for who wants rates, record counts
 * per time bucket from a full scan.  Nothing here takes a lock: the answers
 * describe the log as it was at some instant while writers go on.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

int
mlog_stat_partition(struct mlog_log *log, uint32_t partition,
    struct mlog_stat *st)
{
	struct mlog_stat s;
	struct mlog_reader *r = NULL;
	struct mlog_record rec;
	struct stat sb;
	char name[NAME_LEN];
	uint64_t *segs = NULL;
	size_t nsegs, i;
	int fd, rc, saved;

	if (partition >= log->partitions) {
		errno = EINVAL;
		return -1;
	}
	fd = log->partfd[partition];
	memset(&s, 0, sizeof(s));
	s.partition = partition;
	s.first_ts = s.last_ts = MLOG_TS_UNSET;
	if (mlog_log_segments(fd, &segs, &nsegs) < 0)
		return -1;
	for (i = 0; i < nsegs; i++) {
		mlog_segment_name(name, sizeof(name), segs[i], "log");
		if (fstatat(fd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;	/* removed since the listing */
			goto fail;
		}
		s.segments++;
		s.bytes += (uint64_t)sb.st_size;
	}
	free(segs);
	segs = NULL;

	if ((r = mlog_reader_open(fd, partition)) == NULL ||
	    mlog_reader_bounds(r, &s.start, &s.end) < 0)
		goto fail;
	s.records = s.end - s.start;
	if (s.records > 0) {
		if ((rc = mlog_reader_next(r, &rec)) < 0)
			goto fail;
		if (rc > 0)
			s.first_ts = rec.timestamp;
		if (mlog_reader_seek_offset(r, s.end - 1) < 0 ||
		    (rc = mlog_reader_next(r, &rec)) < 0)
			goto fail;
		if (rc > 0)
			s.last_ts = rec.timestamp;
	}
	mlog_reader_close(r);
	*st = s;
	return 0;
fail:
	saved = errno;
	free(segs);
	mlog_reader_close(r);
	errno = saved;
	return -1;
}

uint64_t
mlog_stat_lag(const struct mlog_stat *st, int64_t committed)
{
	uint64_t from = committed < 0 ? 0 : (uint64_t)committed;

	if (from < st->start)
		from = st->start;
	return from < st->end ? st->end - from : 0;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
mlog_groups_list(const struct mlog_log *log, char ***names, size_t *count)
{
	struct dirent *d;
	struct stat sb;
	char **v = NULL, **nv, *s;
	size_t n = 0, cap = 0;
	DIR *dir;
	int fd, saved;

	fd = openat(log->dirfd, "groups", O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ENOENT)
			return -1;
		*names = NULL;
		*count = 0;
		return 0;
	}
	if ((dir = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	while ((d = readdir(dir)) != NULL) {
		if (!mlog_group_name_valid(d->d_name) ||
		    fstatat(dirfd(dir), d->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(sb.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				goto fail;
			v = nv;
		}
		if ((s = strdup(d->d_name)) == NULL)
			goto fail;
		v[n++] = s;
	}
	closedir(dir);
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_name);
	*names = v;
	*count = n;
	return 0;
fail:
	saved = errno;
	closedir(dir);
	mlog_groups_free(v, n);
	errno = saved;
	return -1;
}

void
mlog_groups_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

void
mlog_hist_init(struct mlog_hist *h, int64_t width)
{
	h->width = width > 0 ? width : 1;
	h->v = NULL;
	h->n = h->cap = 0;
}

/* The bucket of ts, created when missing.  Timestamps mostly grow within a
 * partition, so the last bucket is tried first and inserts are rare. */
static struct mlog_hist_bucket *
bucket(struct mlog_hist *h, int64_t ts)
{
	struct mlog_hist_bucket *nv;
	int64_t start = ts - ts % h->width;
	size_t lo = 0, hi = h->n, mid;

	/* round down before the epoch too, where that is representable */
	if (ts % h->width < 0 && start >= INT64_MIN + h->width)
		start -= h->width;
	if (h->n > 0 && h->v[h->n - 1].start == start)
		return &h->v[h->n - 1];
	if (h->n > 0 && h->v[h->n - 1].start < start)
		lo = h->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (h->v[mid].start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < h->n && h->v[lo].start == start)
		return &h->v[lo];
	if (h->n == h->cap) {
		if ((nv = reallocarray(h->v, h->cap ? h->cap * 2 : 64,
		    sizeof(*nv))) == NULL)
			return NULL;
		h->v = nv;
		h->cap = h->cap ? h->cap * 2 : 64;
	}
	memmove(&h->v[lo + 1], &h->v[lo], (h->n - lo) * sizeof(*h->v));
	h->n++;
	h->v[lo].start = start;
	h->v[lo].records = 0;
	return &h->v[lo];
}

int
mlog_hist_scan(struct mlog_hist *h, struct mlog_log *log, uint32_t partition)
{
	struct mlog_hist_bucket *b;
	struct mlog_reader *r;
	struct mlog_record rec;
	uint64_t start, end;
	int rc, saved;

	if (partition >= log->partitions) {
		errno = EINVAL;
		return -1;
	}
	if ((r = mlog_reader_open(log->partfd[partition], partition)) == NULL)
		return -1;
	/* stop at the end seen first, as mlog_stat_partition() does */
	if ((rc = mlog_reader_bounds(r, &start, &end)) < 0)
		goto done;
	while ((rc = mlog_reader_next(r, &rec)) > 0 && rec.offset < end) {
		if ((b = bucket(h, rec.timestamp)) == NULL) {
			rc = -1;
			break;
		}
		b->records++;
	}
done:
	saved = errno;
	mlog_reader_close(r);
	errno = saved;
	return rc < 0 ? -1 : 0;
}

void
mlog_hist_free(struct mlog_hist *h)
{
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}

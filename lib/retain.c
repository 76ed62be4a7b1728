/*
 * Retention: deleting whole sealed segments from the oldest end of a
 * partition, by the age of their newest record, by the bytes or the offsets
 * that would remain after them.  A segment goes only when every record in
 * it is beyond a limit, so a log keeps at least what its limits say (and
 * at most one segment more); the last segment, the one appenders write to,
 * never goes.  The work is done under the partition lock appenders take,
 * so it never races a roll; readers take no lock and are told about what
 * they missed by the gap check in reader.c.  The new start offset is
 * persisted (pN/start) before anything is deleted: a crash in between
 * leaves segments that are logically gone, which the next trim removes.
 * A compaction interrupted in its swap is finished before anything goes.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

struct seginfo {
	uint64_t	base;
	uint64_t	bytes;
};

/* A scan of a segment to its end: its newest timestamp (s->maxts) and the
 * offset after its last record (s->next).  The index gives them up to its
 * last entry, a scan the rest. */
static int
seg_tail(int partfd, uint64_t base, struct seg_scan *s)
{
	char name[NAME_LEN];
	struct stat st;
	int segfd, idxfd, rc;

	mlog_segment_name(name, sizeof(name), base, "log");
	if ((segfd = openat(partfd, name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) < 0)
		return -1;
	mlog_segment_name(name, sizeof(name), base, "idx");
	idxfd = openat(partfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	rc = fstat(segfd, &st);
	if (rc == 0 && (uint64_t)st.st_size < MLOG_SEG_HDR)
		seg_scan_init(s, base);
	else if (rc == 0 && (rc = seg_scan_from_index(segfd, idxfd, base,
	    (uint64_t)st.st_size, 0, s)) == 0)
		rc = seg_scan_run(segfd, s, (uint64_t)st.st_size, -1);
	if (idxfd >= 0)
		close(idxfd);
	close(segfd);
	return rc;
}

static int
seg_maxts(int partfd, uint64_t base, int64_t *maxts)
{
	struct seg_scan s;

	if (seg_tail(partfd, base, &s) < 0)
		return -1;
	*maxts = s.maxts;
	return 0;
}

static int
seg_unlink(int partfd, uint64_t base)
{
	char name[NAME_LEN];

	/* the index first: a segment left without one is still whole */
	mlog_segment_name(name, sizeof(name), base, "idx");
	if (unlinkat(partfd, name, 0) < 0 && errno != ENOENT)
		return -1;
	mlog_segment_name(name, sizeof(name), base, "log");
	if (unlinkat(partfd, name, 0) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

int
trim_locked(struct mlog_log *log, uint32_t pn,
    const struct mlog_trim_opts *o, mlog_trim_fn fn, void *arg,
    uint64_t *newstart)
{
	int partfd = log->partfd[pn];
	struct mlog_trim_seg t;
	struct seg_scan tail;
	struct seginfo *segs = NULL;
	uint64_t *bases = NULL, start, end = 0, after, firstkept;
	char name[NAME_LEN];
	struct stat st;
	size_t i, n, go;
	int rc = -1, saved;

	if (mlog_log_segments(partfd, &bases, &n) < 0 ||
	    mlog_log_start(partfd, &start) < 0)
		goto out;
	/* an interrupted compaction's swap is finished (or undone) first:
	 * its marker names segments that must still be there */
	if (faccessat(partfd, "compact.swap", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		n = 0;
	if (n == 0) {
		*newstart = start;
		rc = 0;
		goto out;
	}
	if ((segs = calloc(n, sizeof(*segs))) == NULL)
		goto out;
	after = 0;
	for (i = 0; i < n; i++) {
		segs[i].base = bases[i];
		mlog_segment_name(name, sizeof(name), bases[i], "log");
		if (fstatat(partfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			goto out;
		segs[i].bytes = (uint64_t)st.st_size;
		after += segs[i].bytes;
	}
	if (seg_tail(partfd, bases[n - 1], &tail) < 0)
		goto out;
	end = tail.next;
	/* which segments go: oldest first, while one of the limits says so */
	for (go = 0; go + 1 < n; go++) {
		after -= segs[go].bytes;	/* bytes of the newer segments */
		t.maxts = INT64_MIN;
		if (o->max_age_us >= 0 &&
		    seg_maxts(partfd, segs[go].base, &t.maxts) < 0)
			goto out;
		if (segs[go + 1].base <= start)
			continue;	/* left by an interrupted trim */
		if (o->max_age_us >= 0 && (t.maxts == INT64_MIN ||
		    t.maxts < o->now - o->max_age_us))
			continue;
		if (o->max_bytes != MLOG_TRIM_NONE && after >= o->max_bytes)
			continue;
		if (o->max_records != MLOG_TRIM_NONE &&
		    end - segs[go + 1].base >= o->max_records)
			continue;
		break;
	}
	firstkept = segs[go].base;
	if (go > 0 && !o->dry_run && firstkept > start &&
	    log_start_store(partfd, firstkept) < 0)
		goto out;
	for (i = 0; i < go; i++) {
		t.partition = pn;
		t.base = segs[i].base;
		t.end = segs[i + 1].base;
		t.bytes = segs[i].bytes;
		t.maxts = INT64_MIN;
		if (seg_maxts(partfd, t.base, &t.maxts) < 0 && errno != ENOENT)
			goto out;
		if (!o->dry_run && seg_unlink(partfd, t.base) < 0)
			goto out;
		if (fn != NULL)
			fn(arg, &t);
	}
	if (go > 0 && !o->dry_run && fsync(partfd) < 0)
		goto out;
	*newstart = firstkept > start ? firstkept : start;
	rc = 0;
out:
	saved = errno;
	free(bases);
	free(segs);
	errno = saved;
	return rc;
}

int
mlog_trim_partition(struct mlog_log *log, uint32_t pn,
    const struct mlog_trim_opts *o, mlog_trim_fn fn, void *arg,
    uint64_t *newstart)
{
	int lockfd, rc, saved, done;

	if (pn >= log->partitions) {
		errno = EINVAL;
		return -1;
	}
	/* EWOULDBLOCK: a compaction is running; it checks under the
	 * partition lock that its segments are still there */
	if (!o->dry_run && mlog_compact_recover(log, pn, -1, &done) < 0 &&
	    errno != EWOULDBLOCK)
		return -1;
	if ((lockfd = partition_lock(log->partfd[pn], LOCK_EX)) < 0)
		return -1;
	rc = trim_locked(log, pn, o, fn, arg, newstart);
	saved = errno;
	close(lockfd);
	errno = saved;
	return rc;
}

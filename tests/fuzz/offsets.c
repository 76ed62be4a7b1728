/*
 * Fuzz target for offset files (lib/offsets.c, and what check.c makes of
 * them): a consumer group's committed positions and its .pending ones.
 *
 * The input is a flags byte, then the offsets file, FUZZ_SPLIT, and the
 * offsets.pending file (no part: no file).  They go into group "g" of a
 * scratch log with four empty partitions, or with F_USER into a user's
 * offset file (mlog-tail --offset-file).  The files are read for 1 to 8
 * partitions (the low three bits).  Then:
 *
 *  - positions and commit times load together or not at all, and are
 *    none or non-negative;
 *  - storing what was loaded and loading it again gives the same
 *    positions, with the same commit times where the file had them;
 *  - with F_COMMIT, promoting the pending positions makes them the
 *    committed ones;
 *  - mlog_log_check() says a group's file "cannot be parsed" exactly
 *    when it does not load.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlog.h"
#include "fuzz.h"

#define F_NPARTS	0x07
#define F_COMMIT	0x08
#define F_USER		0x10

#define NPARTS_MAX	8
#define LOG_PARTS	4

static char logpath[96];
static struct mlog_offsets group, user;

static void
init(void)
{
	struct mlog_log *log;
	char path[128];

	if (logpath[0] != '\0')
		return;
	close(fuzz_log("log", LOG_PARTS, logpath, sizeof(logpath)));
	REQUIRE((log = mlog_log_open(logpath, 0, NULL)) != NULL);
	REQUIRE(mlog_offsets_group(log, "g", 1, &group) == 0);
	mlog_log_close(log);
	snprintf(path, sizeof(path), "%s/user.offsets", fuzz_dir());
	REQUIRE(mlog_offsets_file(path, &user) == 0);
}

static void
put(const struct mlog_offsets *o, int pending, const struct fuzz_part *v)
{
	char name[64];

	snprintf(name, sizeof(name), "%s%s", o->name,
	    pending ? ".pending" : "");
	if (v == NULL)
		REQUIRE(unlinkat(o->dirfd, name, 0) == 0 || errno == ENOENT);
	else
		fuzz_put(o->dirfd, name, v->p, v->n);
}

/* Load both ways; 0, or -1 with errno. */
static int
load(const struct mlog_offsets *o, int pending, int64_t *offs, int64_t *times,
    uint32_t n)
{
	int rc, rt, e;
	uint32_t i;

	rc = mlog_offsets_load(o, pending, offs, n);
	e = errno;
	rt = mlog_offsets_times(o, pending, times, n);
	REQUIRE(rc == rt);
	if (rc < 0) {
		REQUIRE(e == EBADMSG && errno == EBADMSG);
		return -1;
	}
	for (i = 0; i < n; i++) {
		REQUIRE(offs[i] == MLOG_OFFSET_NONE || offs[i] >= 0);
		REQUIRE(times[i] >= 0);
	}
	return 0;
}

struct bad {
	int	 file[2];	/* "cannot be parsed": offsets, offsets.pending */
};

static void
on_finding(void *arg, const struct mlog_check_report *f)
{
	struct bad *b = arg;

	fuzz_finding(NULL, f);
	if (f->file == NULL || strcmp(f->message, "cannot be parsed") != 0)
		return;
	if (strcmp(f->file, "groups/g/offsets") == 0)
		b->file[0]++;
	else if (strcmp(f->file, "groups/g/offsets.pending") == 0)
		b->file[1]++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t offs[NPARTS_MAX], times[NPARTS_MAX], again[NPARTS_MAX],
	    times2[NPARTS_MAX], pend[NPARTS_MAX], ptimes[NPARTS_MAX];
	struct mlog_check_stats st;
	struct fuzz_part v[2];
	struct mlog_offsets *o;
	struct bad bad = { { 0, 0 } };
	char where[256];
	uint32_t n, i;
	size_t nv;
	int flags, k, ok, pok;

	if (size == 0)
		return 0;
	init();
	flags = data[0];
	n = (uint32_t)(flags & F_NPARTS) + 1;
	o = flags & F_USER ? &user : &group;
	nv = fuzz_split(data + 1, size - 1, v, 2);
	put(&group, 0, NULL);
	put(&group, 1, NULL);
	put(&user, 0, NULL);
	put(&user, 1, NULL);
	put(o, 0, &v[0]);
	put(o, 1, nv > 1 ? &v[1] : NULL);

	/* what mlog-check says of the group's files */
	if (o == &group) {
		REQUIRE(mlog_log_check(logpath, 0, on_finding, &bad, &st, where,
		    sizeof(where)) == 0);
		for (k = 0; k < 2; k++)
			REQUIRE(!bad.file[k] == (mlog_offsets_load(o, k, offs,
			    LOG_PARTS) == 0));
	}

	ok = load(o, 0, offs, times, n) == 0;
	pok = load(o, 1, pend, ptimes, n) == 0;
	if (ok) {
		REQUIRE(mlog_offsets_store(o, 0, offs, n) == 0);
		REQUIRE(load(o, 0, again, times2, n) == 0);
		for (i = 0; i < n; i++) {
			REQUIRE(again[i] == offs[i]);
			if (offs[i] != MLOG_OFFSET_NONE && times[i] != 0)
				REQUIRE(times2[i] == times[i]);
		}
	}
	if (flags & F_COMMIT) {
		if (mlog_offsets_commit_pending(o) == 0) {
			REQUIRE(nv > 1);
			REQUIRE(load(o, 0, again, times2, n) == (pok ? 0 : -1));
			for (i = 0; pok && i < n; i++)
				REQUIRE(again[i] == pend[i] &&
				    times2[i] == ptimes[i]);
		} else
			REQUIRE(errno == ENOENT && nv < 2);
	}
	return 0;
}

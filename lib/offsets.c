/*
 * Committed positions: the offset files of consumer groups and of users'
 * --offset-file.  A position is the offset of the next record to read.
 * Files are replaced atomically (temporary file, fsync, rename, fsync of the
 * directory), so a crash leaves the old or the new positions, never a mix.
 * A ".pending" file beside the committed one holds positions written by
 * `mlog-tail --commit=pending` until a two-phase commit promotes them.
 *
 * Format: the line "mlog-offsets 1", then "PARTITION OFFSET COMMITTED" lines,
 * COMMITTED being when that position was committed (microseconds since the
 * epoch; optional when reading).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define OFFSETS_MAGIC	"mlog-offsets 1\n"
#define GROUP_NAME_MAX	200

int
mlog_group_name_valid(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t n = strlen(name);

	if (n == 0 || n > GROUP_NAME_MAX || name[0] == '.')
		return 0;
	for (; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '/')
			return 0;
	return 1;
}

static int
opendirat(int at, const char *name, int create)
{
	int fd;

	if (create && mkdirat(at, name, 0777) < 0 && errno != EEXIST)
		return -1;
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	return fd;
}

int
mlog_offsets_group(struct mlog_log *log, const char *group, int create,
    struct mlog_offsets *o)
{
	int gfd, fd;

	if (!mlog_group_name_valid(group)) {
		errno = EINVAL;
		return -1;
	}
	if ((gfd = opendirat(log->dirfd, "groups", create)) < 0)
		return -1;
	fd = opendirat(gfd, group, create);
	close(gfd);
	if (fd < 0)
		return -1;
	if ((o->name = strdup("offsets")) == NULL) {
		close(fd);
		return -1;
	}
	o->dirfd = fd;
	return 0;
}

int
mlog_offsets_file(const char *path, struct mlog_offsets *o)
{
	char *a, *b, *name;
	int fd;

	if ((a = strdup(path)) == NULL)
		return -1;
	if ((b = strdup(path)) == NULL) {
		free(a);
		return -1;
	}
	fd = open(dirname(a), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	name = strdup(basename(b));
	free(a);
	free(b);
	if (fd < 0 || name == NULL) {
		if (fd >= 0)
			close(fd);
		free(name);
		return -1;
	}
	o->dirfd = fd;
	o->name = name;
	return 0;
}

void
mlog_offsets_release(struct mlog_offsets *o)
{
	if (o->dirfd >= 0)
		close(o->dirfd);
	free(o->name);
	o->dirfd = -1;
	o->name = NULL;
}

static void
file_name(char *buf, size_t len, const struct mlog_offsets *o, int pending)
{
	snprintf(buf, len, "%s%s", o->name, pending ? ".pending" : "");
}

/* Positions, and when each was committed (0 if the file does not say). */
static int
load(const struct mlog_offsets *o, int pending, int64_t *offs,
    int64_t *times, uint32_t nparts)
{
	char name[PATH_MAX], buf[64 * 1024], *p, *end;
	unsigned long long part, off, when;
	int64_t *v;
	ssize_t n;
	uint32_t i;
	int fd, saved;

	file_name(name, sizeof(name), o, pending);
	if ((v = calloc(2 * (size_t)nparts, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < nparts; i++)
		v[i] = MLOG_OFFSET_NONE;
	if ((fd = openat(o->dirfd, name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) < 0) {
		if (errno != ENOENT)
			goto fail;
		goto done;
	}
	n = pread_full(fd, buf, sizeof(buf) - 1, 0);
	saved = errno;
	close(fd);
	errno = saved;
	if (n < 0)
		goto fail;
	buf[n] = '\0';
	if (strncmp(buf, OFFSETS_MAGIC, strlen(OFFSETS_MAGIC)) != 0 ||
	    (size_t)n == sizeof(buf) - 1)
		goto bad;
	for (p = buf + strlen(OFFSETS_MAGIC); *p != '\0'; p = end + 1) {
		if (*p < '0' || *p > '9')
			goto bad;
		part = strtoull(p, &end, 10);
		if (*end != ' ' || end[1] < '0' || end[1] > '9')
			goto bad;
		off = strtoull(end + 1, &end, 10);
		when = 0;
		if (*end == ' ' && end[1] >= '0' && end[1] <= '9')
			when = strtoull(end + 1, &end, 10);
		if (*end != '\n' || off > INT64_MAX || when > INT64_MAX)
			goto bad;
		if (part < nparts) {
			v[part] = (int64_t)off;
			v[nparts + part] = (int64_t)when;
		}
	}
done:
	if (offs != NULL)
		memcpy(offs, v, nparts * sizeof(*v));
	if (times != NULL)
		memcpy(times, v + nparts, nparts * sizeof(*v));
	free(v);
	return 0;
bad:
	errno = EBADMSG;
fail:
	saved = errno;
	free(v);
	errno = saved;
	return -1;
}

int
mlog_offsets_load(const struct mlog_offsets *o, int pending, int64_t *offs,
    uint32_t nparts)
{
	return load(o, pending, offs, NULL, nparts);
}

int
mlog_offsets_times(const struct mlog_offsets *o, int pending, int64_t *times,
    uint32_t nparts)
{
	return load(o, pending, NULL, times, nparts);
}

int
tmp_open(int dirfd, const char *name, int flags, char *tmp, size_t len)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	size_t n, i;
	int fd, tries;

	if ((n = (size_t)snprintf(tmp, len, "%s.tmp.XXXXXX", name)) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (tries = 0; tries < 100; tries++) {
		for (i = n - 6; i < n; i++)
			tmp[i] = set[arc4random_uniform(sizeof(set) - 1)];
		if ((fd = openat(dirfd, tmp, flags | O_CREAT | O_EXCL |
		    O_CLOEXEC | O_NOFOLLOW, 0666)) >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

int
replace_file(int dirfd, const char *name, const char *text, size_t len)
{
	char tmp[PATH_MAX];
	int fd, saved;

	if ((fd = tmp_open(dirfd, name, O_WRONLY, tmp, sizeof(tmp))) < 0)
		return -1;
	if (write_all(fd, text, len) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) < 0)
		goto fail;
	return fsync(dirfd);
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	errno = saved;
	return -1;
}

int
mlog_offsets_store(const struct mlog_offsets *o, int pending,
    const int64_t *offs, uint32_t nparts)
{
	char name[PATH_MAX], *text;
	size_t len, cap = strlen(OFFSETS_MAGIC) + (size_t)nparts * 64 + 1;
	int64_t *old, now = mlog_now_us();
	uint32_t i;
	int rc;

	/* a partition's commit time moves only when its position does */
	if ((old = calloc(2 * (size_t)nparts, sizeof(*old))) == NULL)
		return -1;
	if (load(o, pending, old, old + nparts, nparts) < 0) {
		for (i = 0; i < nparts; i++)
			old[i] = MLOG_OFFSET_NONE;
	}
	if ((text = malloc(cap)) == NULL) {
		free(old);
		return -1;
	}
	len = strlcpy(text, OFFSETS_MAGIC, cap);
	for (i = 0; i < nparts; i++)
		if (offs[i] != MLOG_OFFSET_NONE)
			len += (size_t)snprintf(text + len, cap - len,
			    "%u %lld %lld\n", i, (long long)offs[i],
			    (long long)(offs[i] == old[i] && old[nparts + i] ?
			    old[nparts + i] : now));
	file_name(name, sizeof(name), o, pending);
	rc = replace_file(o->dirfd, name, text, len);
	free(text);
	free(old);
	return rc;
}

int
mlog_offsets_commit_pending(const struct mlog_offsets *o)
{
	char pname[PATH_MAX];

	file_name(pname, sizeof(pname), o, 1);
	if (renameat(o->dirfd, pname, o->dirfd, o->name) < 0)
		return -1;
	return fsync(o->dirfd);
}

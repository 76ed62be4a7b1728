/*
 * Consumer group membership on a file log, without a server: the members
 * of group G share the partitions through flock(2) leases, so each
 * partition is read by exactly one member at a time, and a member that
 * dies releases its leases with its last descriptor.
 *
 *	groups/G/members/HOST.PID	one per live member, locked for its life
 *	groups/G/pN.lease		locked by the member reading partition N;
 *					holds "HOST.PID SINCE_US"
 *	groups/G/lock			held while the offsets file is rewritten
 *
 * A member file appears under its name already locked (it is locked under
 * a temporary name, then renamed), so an unlocked member file is stale and
 * any member may remove it.  Each member aims at its fair share, the
 * partitions divided by the live members rounded up: it releases partitions
 * above its share and takes free ones below it.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

struct mlog_member {
	int		 gfd;		/* groups/G */
	int		 memfd;		/* our member file, locked */
	int		 lockfd;	/* groups/G/lock, while held */
	int		*lease;		/* per partition: lease fd when held */
	uint32_t	 nparts;
	char		 id[300];	/* HOST.PID */
};

static int
lock_nb(int fd, int op)
{
	while (flock(fd, op | LOCK_NB) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

struct mlog_member *
mlog_member_join(struct mlog_log *log, const char *group)
{
	struct mlog_member *m;
	struct mlog_offsets o;
	char host[256], tmp[340], line[400];
	uint32_t i;
	int n, saved;

	if (mlog_offsets_group(log, group, 1, &o) < 0)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->lease = calloc(log->partitions, sizeof(int))) == NULL) {
		free(m);
		mlog_offsets_release(&o);
		return NULL;
	}
	m->gfd = o.dirfd;
	o.dirfd = -1;
	mlog_offsets_release(&o);
	m->memfd = m->lockfd = -1;
	m->nparts = log->partitions;
	for (i = 0; i < m->nparts; i++)
		m->lease[i] = -1;
	if (gethostname(host, sizeof(host)) < 0)
		strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	snprintf(m->id, sizeof(m->id), "%s.%ld", host, (long)getpid());
	snprintf(line, sizeof(line), "members/.%s", m->id);
	if ((mkdirat(m->gfd, "members", 0777) < 0 && errno != EEXIST) ||
	    (m->memfd = tmp_open(m->gfd, line, O_RDWR, tmp,
	    sizeof(tmp))) < 0 ||
	    lock_nb(m->memfd, LOCK_EX) < 0)
		goto fail;
	n = snprintf(line, sizeof(line), "%s %lld\n", m->id,
	    (long long)mlog_now_us());
	snprintf(line + n + 1, sizeof(line) - (size_t)n - 1, "members/%s",
	    m->id);
	if (write_all(m->memfd, line, (size_t)n) < 0 ||
	    renameat(m->gfd, tmp, m->gfd, line + n + 1) < 0)
		goto fail;
	return m;
fail:
	saved = errno;
	if (m->memfd >= 0)
		unlinkat(m->gfd, tmp, 0);
	mlog_member_leave(m);
	errno = saved;
	return NULL;
}

/* The names of the live members (ours included), removing stale member
 * files on the way; *ids is malloc'd, NUL-separated. */
static uint32_t
members_at(int gfd, const char *self, char **ids, size_t *idlen)
{
	struct dirent *d;
	uint32_t n = 0;
	size_t len = 0, cap = 0, k;
	char *v = NULL, *nv;
	DIR *dir;
	int dfd, fd, live;

	*ids = NULL;
	*idlen = 0;
	if ((dfd = openat(gfd, "members", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC | O_NOFOLLOW)) < 0)
		return 0;
	if ((dir = fdopendir(dfd)) == NULL) {
		close(dfd);
		return 0;
	}
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		live = self != NULL && strcmp(d->d_name, self) == 0;
		if (!live && (fd = openat(dirfd(dir), d->d_name, O_RDONLY |
		    O_CLOEXEC | O_NOFOLLOW)) >= 0) {
			if (lock_nb(fd, LOCK_SH) == 0)	/* its owner died */
				unlinkat(dirfd(dir), d->d_name, 0);
			else
				live = 1;
			close(fd);
		}
		if (!live)
			continue;
		n++;
		k = strlen(d->d_name) + 1;
		if (len + k > cap) {
			cap = (len + k) * 2;
			if ((nv = realloc(v, cap)) == NULL)
				continue;
			v = nv;
		}
		memcpy(v + len, d->d_name, k);
		len += k;
	}
	closedir(dir);
	*ids = v;
	*idlen = len;
	return n;
}

static uint32_t
live_members(struct mlog_member *m, char **ids, size_t *idlen)
{
	uint32_t n = members_at(m->gfd, m->id, ids, idlen);

	return n ? n : 1;
}

/* Does some live member hold fewer than floor of the partitions? */
static int
starved(struct mlog_member *m, const uint8_t *eligible, uint32_t floor,
    const char *ids, size_t idlen)
{
	char name[32], who[300];
	uint32_t p, *count, nid = 0;
	size_t k;
	ssize_t n;
	int fd, rc = 0;

	for (k = 0; k < idlen; k += strlen(ids + k) + 1)
		nid++;
	if (nid == 0 || (count = calloc(nid, sizeof(*count))) == NULL)
		return 0;
	for (p = 0; p < m->nparts; p++) {
		if (!eligible[p])
			continue;
		snprintf(name, sizeof(name), "p%u.lease", p);
		if ((fd = openat(m->gfd, name, O_RDONLY | O_CLOEXEC |
		    O_NOFOLLOW)) < 0)
			continue;
		if (m->lease[p] >= 0 || lock_nb(fd, LOCK_SH) < 0) {
			n = pread_full(fd, who, sizeof(who) - 1, 0);
			who[n > 0 ? n : 0] = '\0';
			who[strcspn(who, " \n")] = '\0';
			for (k = 0, nid = 0; k < idlen; k += strlen(ids + k) + 1,
			    nid++)
				if (strcmp(ids + k, who) == 0)
					count[nid]++;
		}
		close(fd);
	}
	for (k = 0, nid = 0; k < idlen; k += strlen(ids + k) + 1, nid++)
		if (count[nid] < floor)
			rc = 1;
	free(count);
	return rc;
}

static int
lease_take(struct mlog_member *m, uint32_t p)
{
	char name[32], line[340];
	int fd, n;

	snprintf(name, sizeof(name), "p%u.lease", p);
	if ((fd = openat(m->gfd, name, O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0666)) < 0)
		return -1;
	if (lock_nb(fd, LOCK_EX) < 0) {
		close(fd);
		return 0;
	}
	n = snprintf(line, sizeof(line), "%s %lld\n", m->id,
	    (long long)mlog_now_us());
	if (ftruncate(fd, 0) < 0 || pwrite_all(fd, line, (size_t)n, 0) < 0) {
		close(fd);
		return -1;
	}
	m->lease[p] = fd;
	return 1;
}

int
mlog_member_balance(struct mlog_member *m, const uint8_t *eligible,
    uint8_t *take, uint8_t *drop)
{
	uint32_t p, live, want = 0, floor, ceil, held = 0;
	size_t idlen;
	char *ids;
	int rc;

	memset(take, 0, m->nparts);
	memset(drop, 0, m->nparts);
	for (p = 0; p < m->nparts; p++) {
		want += eligible[p] != 0;
		held += m->lease[p] >= 0;
	}
	live = live_members(m, &ids, &idlen);
	floor = want / live;
	ceil = (want + live - 1) / live;
	/* above the share, or above the floor while a member starves:
	 * hand back the highest partitions */
	if (held > floor && held <= ceil && starved(m, eligible, floor, ids,
	    idlen))
		ceil = held - 1;
	free(ids);
	for (p = m->nparts; p > 0 && held > ceil; p--)
		if (m->lease[p - 1] >= 0) {
			drop[p - 1] = 1;
			held--;
		}
	for (p = 0; p < m->nparts && held < ceil; p++) {
		if (!eligible[p] || m->lease[p] >= 0 || drop[p])
			continue;
		if ((rc = lease_take(m, p)) < 0)
			return -1;
		if (rc == 1) {
			take[p] = 1;
			held++;
		}
	}
	return 0;
}

uint32_t
mlog_member_others(struct mlog_member *m, const uint8_t *eligible)
{
	char name[32];
	uint32_t p, n = 0;
	int fd;

	for (p = 0; p < m->nparts; p++) {
		if (!eligible[p] || m->lease[p] >= 0)
			continue;
		snprintf(name, sizeof(name), "p%u.lease", p);
		if ((fd = openat(m->gfd, name, O_RDONLY | O_CLOEXEC |
		    O_NOFOLLOW)) < 0)
			continue;
		if (lock_nb(fd, LOCK_SH) < 0)
			n++;
		close(fd);
	}
	return n;
}

void
mlog_member_release(struct mlog_member *m, uint32_t p)
{
	if (p < m->nparts && m->lease[p] >= 0) {
		close(m->lease[p]);
		m->lease[p] = -1;
	}
}

int
mlog_member_holds(const struct mlog_member *m, uint32_t p)
{
	return p < m->nparts && m->lease[p] >= 0;
}

int
mlog_member_lock(struct mlog_member *m, int lock)
{
	if (!lock) {
		if (m->lockfd >= 0)
			close(m->lockfd);
		m->lockfd = -1;
		return 0;
	}
	if ((m->lockfd = openat(m->gfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0666)) < 0)
		return -1;
	while (flock(m->lockfd, LOCK_EX) < 0)
		if (errno != EINTR) {
			close(m->lockfd);
			m->lockfd = -1;
			return -1;
		}
	return 0;
}

void
mlog_member_leave(struct mlog_member *m)
{
	char path[320];
	uint32_t p;

	if (m == NULL)
		return;
	for (p = 0; p < m->nparts; p++)
		mlog_member_release(m, p);
	if (m->memfd >= 0) {
		snprintf(path, sizeof(path), "members/%s", m->id);
		unlinkat(m->gfd, path, 0);
		close(m->memfd);
	}
	mlog_member_lock(m, 0);
	if (m->gfd >= 0)
		close(m->gfd);
	free(m->lease);
	free(m);
}

int
mlog_group_holder(struct mlog_log *log, const char *group, uint32_t p,
    char *who, size_t len)
{
	struct mlog_offsets o;
	char name[32];
	ssize_t n;
	int fd, held;

	if (mlog_offsets_group(log, group, 0, &o) < 0)
		return errno == ENOENT ? 0 : -1;
	snprintf(name, sizeof(name), "p%u.lease", p);
	fd = openat(o.dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	mlog_offsets_release(&o);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	held = lock_nb(fd, LOCK_SH) < 0;
	if (held && len > 0) {
		n = pread_full(fd, who, len - 1, 0);
		who[n > 0 ? n : 0] = '\0';
		who[strcspn(who, "\n")] = '\0';
	}
	close(fd);
	return held;
}

static int
group_dir(struct mlog_log *log, const char *group)
{
	struct mlog_offsets o;
	int fd;

	if (mlog_offsets_group(log, group, 0, &o) < 0)
		return -1;
	fd = o.dirfd;
	o.dirfd = -1;
	mlog_offsets_release(&o);
	return fd;
}

int
mlog_group_members(struct mlog_log *log, const char *group, uint32_t *n)
{
	size_t idlen;
	char *ids;
	int gfd;

	if ((gfd = group_dir(log, group)) < 0)
		return -1;
	*n = members_at(gfd, NULL, &ids, &idlen);
	free(ids);
	close(gfd);
	return 0;
}

int
mlog_group_lock(const struct mlog_offsets *o)
{
	int fd;

	if ((fd = openat(o->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0666)) < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	return fd;
}

/* Remove the files a group directory may hold, then the directory. */
int
mlog_group_delete(struct mlog_log *log, const char *group)
{
	struct dirent *d;
	DIR *dir;
	int gfd, dfd, fd, rc = 0;

	if ((gfd = group_dir(log, group)) < 0)
		return -1;
	if ((dfd = openat(gfd, "members", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC | O_NOFOLLOW)) >= 0) {
		if ((dir = fdopendir(dfd)) == NULL)
			close(dfd);
		else {
			while ((d = readdir(dir)) != NULL)
				if (strcmp(d->d_name, ".") != 0 &&
				    strcmp(d->d_name, "..") != 0)
					unlinkat(dirfd(dir), d->d_name, 0);
			closedir(dir);
		}
		unlinkat(gfd, "members", AT_REMOVEDIR);
	}
	if ((fd = openat(gfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		close(gfd);
		return -1;
	}
	while ((d = readdir(dir)) != NULL)
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0 &&
		    unlinkat(gfd, d->d_name, 0) < 0 && errno != ENOENT)
			rc = -1;
	closedir(dir);
	close(gfd);
	if (rc == 0 && (fd = open(log->path, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) >= 0) {
		if ((gfd = openat(fd, "groups", O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC | O_NOFOLLOW)) >= 0) {
			if (unlinkat(gfd, group, AT_REMOVEDIR) < 0)
				rc = -1;
			close(gfd);
		}
		close(fd);
	}
	return rc;
}

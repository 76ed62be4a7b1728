/*
 * The log directory: creating and opening a log, its metadata file, the
 * partition directories and their segment lists, and which partition a key
 * belongs to.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define DEF_SEGMENT_BYTES	(128ull << 20)
#define DEF_SEGMENT_AGE_US	(7ll * 86400 * 1000000)
#define META_MAX		4096

const char *
mlog_strerror(int err)
{
	switch (err) {
	case EBADMSG:
		return "corrupt data";
	case EMEDIUMTYPE:
		return "not an mlog log";
	default:
		return strerror(err);
	}
}

static int
meta_parse(struct mlog_log *log, const char *text)
{
	unsigned long long v;
	char key[32];
	const char *p = text;
	int n, version = 0, fields = 0;

	if (sscanf(p, "mlog %d\n%n", &version, &n) != 1 || n == 0)
		goto bad;
	if (version != MLOG_FORMAT_VERSION) {
		errno = ENOTSUP;
		return -1;
	}
	p += n;
	while (*p != '\0') {
		if (sscanf(p, "%31s %llu\n%n", key, &v, &n) != 2 || n == 0)
			goto bad;
		p += n;
		if (strcmp(key, "partitions") == 0) {
			if (v == 0 || v > MLOG_PARTITIONS_MAX)
				goto bad;
			log->partitions = (uint32_t)v;
			fields |= 1;
		} else if (strcmp(key, "segment-bytes") == 0) {
			if (v < MLOG_SEGMENT_MIN || v > MLOG_SEGMENT_MAX)
				goto bad;
			log->segment_bytes = v;
			fields |= 2;
		} else if (strcmp(key, "segment-age-ms") == 0) {
			if (v == 0 || v > INT64_MAX / 1000)
				goto bad;
			log->segment_age_us = (int64_t)v * 1000;
			fields |= 4;
		} else if (strcmp(key, "retain-age-ms") == 0) {
			if (v > INT64_MAX / 1000)
				goto bad;
			log->retain_age_us = (int64_t)v * 1000;
		} else if (strcmp(key, "retain-bytes") == 0) {
			log->retain_bytes = v;
		}
	}
	if (fields == 7)
		return 0;
bad:
	errno = EBADMSG;
	return -1;
}

static int
meta_read(struct mlog_log *log)
{
	char buf[META_MAX];
	ssize_t n;
	int fd;

	if ((fd = openat(log->dirfd, "meta", O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) < 0)
		return -1;
	n = pread_full(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	if (strlen(buf) != (size_t)n) {
		errno = EBADMSG;
		return -1;
	}
	return meta_parse(log, buf);
}

/* A directory we may turn into a log: empty, or left by a create that
 * stopped before writing meta. */
static int
dir_creatable(int dirfd)
{
	struct dirent *d;
	DIR *dir;
	int fd, ok = 1;
	const char *s;

	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((d = readdir(dir)) != NULL) {
		s = d->d_name;
		if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0 ||
		    strncmp(s, "meta.tmp.", 9) == 0)
			continue;
		if (s[0] == 'p' && isdigit((unsigned char)s[1]) &&
		    strspn(s + 1, "0123456789") == strlen(s + 1))
			continue;
		ok = 0;
	}
	closedir(dir);
	return ok;
}

static int
meta_create(struct mlog_log *log, const struct mlog_log_opts *opts)
{
	char tmp[64], text[320], name[16];
	uint32_t i, parts;
	int fd, len;

	parts = opts && opts->partitions ? opts->partitions : 1;
	if (parts > MLOG_PARTITIONS_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < parts; i++) {
		snprintf(name, sizeof(name), "p%u", i);
		if (mkdirat(log->dirfd, name, 0777) < 0 && errno != EEXIST)
			return -1;
	}
	len = snprintf(text, sizeof(text),
	    "mlog %d\npartitions %u\nsegment-bytes %llu\nsegment-age-ms %lld\n",
	    MLOG_FORMAT_VERSION, parts,
	    (unsigned long long)(opts && opts->segment_bytes ?
	    opts->segment_bytes : DEF_SEGMENT_BYTES),
	    (long long)((opts && opts->segment_age_us ? opts->segment_age_us :
	    DEF_SEGMENT_AGE_US) / 1000));
	if (opts && opts->retain_age_us)
		len += snprintf(text + len, sizeof(text) - (size_t)len,
		    "retain-age-ms %lld\n", (long long)(opts->retain_age_us /
		    1000));
	if (opts && opts->retain_bytes)
		len += snprintf(text + len, sizeof(text) - (size_t)len,
		    "retain-bytes %llu\n",
		    (unsigned long long)opts->retain_bytes);
	if ((fd = tmp_open(log->dirfd, "meta", O_WRONLY, tmp,
	    sizeof(tmp))) < 0)
		return -1;
	if (write_all(fd, text, (size_t)len) < 0 || fsync(fd) < 0) {
		close(fd);
		unlinkat(log->dirfd, tmp, 0);
		return -1;
	}
	close(fd);
	/* link, not rename: a concurrent creator's meta is never replaced */
	if (linkat(log->dirfd, tmp, log->dirfd, "meta", 0) < 0 &&
	    errno != EEXIST) {
		unlinkat(log->dirfd, tmp, 0);
		return -1;
	}
	unlinkat(log->dirfd, tmp, 0);
	return fsync(log->dirfd);
}

/* Make a new directory's entry durable. */
static int
sync_parent(const char *path)
{
	char *copy, *dir;
	int fd, rc;

	if ((copy = strdup(path)) == NULL)
		return -1;
	dir = dirname(copy);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = fd < 0 ? -1 : fsync(fd);
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

struct mlog_log *
mlog_log_open(const char *path, int create, const struct mlog_log_opts *opts)
{
	struct mlog_log *log;
	char name[16];
	uint32_t i;
	int saved;

	if ((log = calloc(1, sizeof(*log))) == NULL)
		return NULL;
	log->dirfd = -1;
	if ((log->path = strdup(path)) == NULL)
		goto fail;
	log->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (log->dirfd < 0 && errno == ENOENT && create) {
		if (mkdir(path, 0777) < 0 && errno != EEXIST)
			goto fail;
		if (sync_parent(path) < 0)
			goto fail;
		log->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (log->dirfd < 0)
		goto fail;
	if (meta_read(log) < 0) {
		if (errno != ENOENT)
			goto fail;
		if (!create || dir_creatable(log->dirfd) != 1) {
			errno = EMEDIUMTYPE;
			goto fail;
		}
		if (meta_create(log, opts) < 0 || meta_read(log) < 0)
			goto fail;
	}
	if (create && opts && ((opts->partitions &&
	    opts->partitions != log->partitions) ||
	    (opts->segment_bytes && opts->segment_bytes != log->segment_bytes) ||
	    (opts->segment_age_us &&
	    opts->segment_age_us / 1000 * 1000 != log->segment_age_us) ||
	    (opts->retain_age_us &&
	    opts->retain_age_us / 1000 * 1000 != log->retain_age_us) ||
	    (opts->retain_bytes && opts->retain_bytes != log->retain_bytes))) {
		errno = EEXIST;
		goto fail;
	}
	if ((log->partfd = calloc(log->partitions, sizeof(int))) == NULL)
		goto fail;
	for (i = 0; i < log->partitions; i++)
		log->partfd[i] = -1;
	for (i = 0; i < log->partitions; i++) {
		snprintf(name, sizeof(name), "p%u", i);
		log->partfd[i] = openat(log->dirfd, name, O_RDONLY |
		    O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (log->partfd[i] < 0) {
			if (errno == ENOENT)
				errno = EBADMSG;
			goto fail;
		}
	}
	return log;
fail:
	saved = errno;
	mlog_log_close(log);
	errno = saved;
	return NULL;
}

const char *
mlog_log_exposure(const char *path)
{
	struct stat st;
	int all, other;

	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return NULL;
	all = (st.st_mode & S_IWOTH) != 0;
	other = st.st_uid != geteuid() && st.st_uid != 0;
	if (all && other)
		return "is owned by another user and writable by every user";
	if (all)
		return "is writable by every user";
	if (other)
		return "is owned by another user";
	return NULL;
}

void
mlog_log_close(struct mlog_log *log)
{
	uint32_t i;

	if (log == NULL)
		return;
	if (log->partfd != NULL) {
		for (i = 0; i < log->partitions; i++)
			if (log->partfd[i] >= 0)
				close(log->partfd[i]);
		free(log->partfd);
	}
	if (log->dirfd >= 0)
		close(log->dirfd);
	free(log->path);
	free(log);
}

int
partition_lock(int partfd, int op)
{
	int fd, saved;

	if ((fd = openat(partfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0666)) < 0)
		return -1;
	while (flock(fd, op) < 0) {
		if (errno == EINTR)
			continue;
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
log_start_store(int partfd, uint64_t start)
{
	char text[48];
	int len;

	len = snprintf(text, sizeof(text), "start %llu\n",
	    (unsigned long long)start);
	return replace_file(partfd, "start", text, (size_t)len);
}

int
mlog_log_start(int partfd, uint64_t *start)
{
	char buf[64], *end;
	unsigned long long v;
	ssize_t n;
	int fd;

	if ((fd = openat(partfd, "start", O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) < 0) {
		if (errno != ENOENT)
			return -1;
		*start = 0;
		return 0;
	}
	n = pread_full(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	if (strncmp(buf, "start ", 6) != 0 || buf[6] < '0' || buf[6] > '9')
		goto bad;
	errno = 0;
	v = strtoull(buf + 6, &end, 10);
	if (errno != 0 || strcmp(end, "\n") != 0)
		goto bad;
	*start = v;
	return 0;
bad:
	errno = EBADMSG;
	return -1;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
mlog_log_segments(int partfd, uint64_t **bases, size_t *count)
{
	struct dirent *d;
	uint64_t *v = NULL, *nv, base;
	size_t n = 0, cap = 0;
	DIR *dir;
	int fd, saved;

	if ((fd = openat(partfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((d = readdir(dir)) != NULL) {
		if (strlen(d->d_name) != 24 ||
		    mlog_segment_parse_name(d->d_name, "log", &base) < 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL) {
				saved = errno;
				free(v);
				closedir(dir);
				errno = saved;
				return -1;
			}
			v = nv;
		}
		v[n++] = base;
	}
	closedir(dir);
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_u64);
	*bases = v;
	*count = n;
	return 0;
}

/* Kafka's default partitioner (murmur2, positive, modulo), so that keys land
 * on the same partition numbers as with Kafka's own producers. */
uint32_t
mlog_partition_for_key(const void *key, size_t len, uint32_t n)
{
	const uint32_t m = 0x5bd1e995;
	const unsigned char *p = key;
	uint32_t h = 0x9747b28c ^ (uint32_t)len, k;
	size_t i, tail = len & ~(size_t)3;

	for (i = 0; i < tail; i += 4) {
		k = get32(p + i);
		k *= m;
		k ^= k >> 24;
		k *= m;
		h *= m;
		h ^= k;
	}
	switch (len & 3) {
	case 3:
		h ^= (uint32_t)p[tail + 2] << 16;
		/* FALLTHROUGH */
	case 2:
		h ^= (uint32_t)p[tail + 1] << 8;
		/* FALLTHROUGH */
	case 1:
		h ^= p[tail];
		h *= m;
	}
	h ^= h >> 13;
	h *= m;
	h ^= h >> 15;
	return (h & 0x7fffffff) % n;
}

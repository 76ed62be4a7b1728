/*
 * What the fuzz targets that read files share: one scratch directory per
 * process, made on the first call and removed at exit, so that millions of
 * iterations rewrite a few files instead of making directories.  It lives
 * on /dev/shm where there is one: the library fsyncs, and a tmpfs makes
 * that free.  Inputs that hold several files separate them with
 * FUZZ_SPLIT, which the targets' dictionaries carry.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlog.h"
#include "fuzz.h"

static char scratch[64];

/* Everything inside dirfd, directories too; dirfd itself stays. */
void
fuzz_empty(int dirfd)
{
	struct dirent *de;
	DIR *d;
	int fd;

	REQUIRE((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) >= 0);
	REQUIRE((d = fdopendir(fd)) != NULL);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			fuzz_remove(dirfd, de->d_name);
	closedir(d);
}

/* A file or a tree, when there is one. */
void
fuzz_remove(int dirfd, const char *name)
{
	int fd;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return;
	REQUIRE(errno == EISDIR);
	REQUIRE((fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC | O_NOFOLLOW)) >= 0);
	fuzz_empty(fd);
	close(fd);
	REQUIRE(unlinkat(dirfd, name, AT_REMOVEDIR) == 0);
}

static void
cleanup(void)
{
	int fd;

	if ((fd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	fuzz_empty(fd);
	close(fd);
	rmdir(scratch);
}

const char *
fuzz_dir(void)
{
	const char *tmp = getenv("TMPDIR");
	struct stat st;

	if (scratch[0] != '\0')
		return scratch;
	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
	    access("/dev/shm", W_OK) == 0)
		tmp = "/dev/shm";
	else if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	REQUIRE((size_t)snprintf(scratch, sizeof(scratch),
	    "%s/mlog-fuzz.XXXXXX", tmp) < sizeof(scratch));
	REQUIRE(mkdtemp(scratch) != NULL);
	atexit(cleanup);
	return scratch;
}

int
fuzz_log(const char *name, int nparts, char *path, size_t len)
{
	char meta[128], part[16];
	int fd, n, i;

	REQUIRE((size_t)snprintf(path, len, "%s/%s", fuzz_dir(), name) < len);
	REQUIRE(mkdir(path, 0777) == 0);
	REQUIRE((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0);
	/* segments never roll by age: a century */
	n = snprintf(meta, sizeof(meta), "mlog 1\npartitions %d\n"
	    "segment-bytes 1073741824\nsegment-age-ms 3153600000000\n", nparts);
	fuzz_put(fd, "meta", meta, (size_t)n);
	for (i = 0; i < nparts; i++) {
		snprintf(part, sizeof(part), "p%d", i);
		REQUIRE(mkdirat(fd, part, 0777) == 0);
	}
	return fd;
}

void
fuzz_put(int dirfd, const char *name, const void *p, size_t n)
{
	int fd;

	REQUIRE((fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0666)) >= 0);
	REQUIRE(n == 0 || write(fd, p, n) == (ssize_t)n);
	REQUIRE(close(fd) == 0);
}

/* What any finding of mlog-check must be; printed with FUZZ_DEBUG set,
 * counted in *(uint64_t *)count unless count is NULL. */
void
fuzz_finding(void *count, const struct mlog_check_report *f)
{
	if (getenv("FUZZ_DEBUG") != NULL)
		fprintf(stderr, "check: %d p%lld %s seg %llu off %llu..%llu "
		    "pos %llu: %s\n", (int)f->kind, (long long)f->partition,
		    f->file != NULL ? f->file : "-",
		    (unsigned long long)f->segment,
		    (unsigned long long)f->offset,
		    (unsigned long long)f->offset_last,
		    (unsigned long long)f->pos, f->message);
	REQUIRE(f->message != NULL && f->message[0] != '\0');
	REQUIRE(strlen(f->message) < 1024);
	REQUIRE(f->partition >= -1);
	REQUIRE(f->kind == MLOG_CHECK_DAMAGE || f->kind == MLOG_CHECK_NOTICE ||
	    f->kind == MLOG_CHECK_REPAIRED);
	if (f->offset != MLOG_CHECK_NONE)
		REQUIRE(f->offset <= f->offset_last);
	if (count != NULL)
		(*(uint64_t *)count)++;
}

size_t
fuzz_split(const uint8_t *p, size_t n, struct fuzz_part *v, size_t max)
{
	const size_t sl = sizeof(FUZZ_SPLIT) - 1;
	const uint8_t *at;
	size_t k = 0;

	while (k + 1 < max && (at = memmem(p, n, FUZZ_SPLIT, sl)) != NULL) {
		v[k].p = p;
		v[k++].n = (size_t)(at - p);
		n -= (size_t)(at - p) + sl;
		p = at + sl;
	}
	v[k].p = p;
	v[k++].n = n;
	return k;
}

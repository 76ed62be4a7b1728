/*
 * faultinject.so: an LD_PRELOAD shim that makes chosen system calls fail,
 * for the crash tests.  The faults come from the environment:
 *
 *	MLOG_FAULT=CALL:N:WHAT[:SUFFIX][,CALL:N:WHAT[:SUFFIX]...]
 *
 * CALL is one of
 *	write	write(2), pwrite(2)
 *	read	read(2), pread(2)
 *	fsync	fsync(2), fdatasync(2)
 *	open	open(2), openat(2)
 *	rename	rename(2), renameat(2)
 *	unlink	unlink(2), unlinkat(2)
 * and the Nth matching call (counting from 1) is the one that fails: it
 * returns -1 with errno WHAT, an errno name (ENOSPC, EIO, EINTR, EFBIG,
 * EACCES, ...), without doing anything.  WHAT "short" (write and read only)
 * makes the call transfer half the bytes asked (at least one) and return
 * that count instead.  Each fault fires once; the calls after it go through.
 *
 * What matches: read and write count only calls on regular files (fstat,
 * S_ISREG) other than descriptors 0, 1 and 2, so that input, printed
 * offsets and pipes are never touched; fsync counts regular files and
 * directories (the fsync that makes a rename durable); open and rename
 * count every call, unlink too.  With SUFFIX, only files whose name ends in it count
 * (".log" for segments): the path given to open and unlink, the new path
 * given to rename, and the
 * /proc/self/fd link of a descriptor.
 *
 * With MLOG_FAULT_COUNT=FILE, the program appends to FILE at its exit one
 * line "write W read R fsync F open O rename N unlink U": how many calls of
 * each kind matched (without regard to a suffix), whether or not a fault
 * was given.  A test runs a command once so to learn how many calls it
 * makes, then fails each of them in turn.
 *
 * A malformed MLOG_FAULT stops the program with status 125.
 */
#include <sys/stat.h>

#include <dlfcn.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum call { C_WRITE, C_READ, C_FSYNC, C_OPEN, C_RENAME, C_UNLINK };

#define FAULTS_MAX	8
#define SUFFIX_MAX	64

struct fault {
	enum call	 call;
	unsigned long	 n;		/* fail the nth matching call */
	unsigned long	 seen;
	int		 err;		/* 0: a short transfer */
	char		 suffix[SUFFIX_MAX];
};

static struct fault faults[FAULTS_MAX];
static int nfaults;
static const char *countfile;
static unsigned long counts[C_UNLINK + 1];

static const struct {
	const char	*name;
	int		 err;
} errnames[] = {
	{ "EACCES", EACCES }, { "EAGAIN", EAGAIN }, { "EBADF", EBADF },
	{ "EDQUOT", EDQUOT }, { "EEXIST", EEXIST }, { "EFBIG", EFBIG },
	{ "EINTR", EINTR }, { "EIO", EIO }, { "EMFILE", EMFILE },
	{ "ENFILE", ENFILE }, { "ENOENT", ENOENT }, { "ENOMEM", ENOMEM },
	{ "ENOSPC", ENOSPC }, { "EPERM", EPERM }, { "EROFS", EROFS },
	{ "EXDEV", EXDEV },
};

static const char *callnames[] = { "write", "read", "fsync", "open",
    "rename", "unlink" };

static ssize_t	(*real_write)(int, const void *, size_t);
static ssize_t	(*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t	(*real_pwrite64)(int, const void *, size_t, off64_t);
static ssize_t	(*real_read)(int, void *, size_t);
static ssize_t	(*real_pread)(int, void *, size_t, off_t);
static ssize_t	(*real_pread64)(int, void *, size_t, off64_t);
static int	(*real_fsync)(int);
static int	(*real_fdatasync)(int);
static int	(*real_open)(const char *, int, ...);
static int	(*real_open64)(const char *, int, ...);
static int	(*real_openat)(int, const char *, int, ...);
static int	(*real_openat64)(int, const char *, int, ...);
static int	(*real_rename)(const char *, const char *);
static int	(*real_renameat)(int, const char *, int, const char *);
static int	(*real_unlink)(const char *);
static int	(*real_unlinkat)(int, const char *, int);

static _Noreturn void
bad(const char *spec, const char *why)
{
	errx(125, "faultinject: MLOG_FAULT: %s: %s", why, spec);
}

static void
parse(char *spec)
{
	struct fault *f;
	char *name, *num, *what, *end;
	size_t i;

	if (nfaults == FAULTS_MAX)
		bad(spec, "too many faults");
	f = &faults[nfaults++];
	name = strsep(&spec, ":");
	num = strsep(&spec, ":");
	what = strsep(&spec, ":");
	if (num == NULL || what == NULL)
		bad(name, "expected CALL:N:WHAT[:SUFFIX]");
	for (i = 0; i < sizeof(callnames) / sizeof(callnames[0]); i++)
		if (strcmp(name, callnames[i]) == 0)
			break;
	if (i == sizeof(callnames) / sizeof(callnames[0]))
		bad(name, "unknown call");
	f->call = (enum call)i;
	errno = 0;
	f->n = strtoul(num, &end, 10);
	if (*num == '\0' || *end != '\0' || f->n == 0 || errno != 0)
		bad(num, "bad call number");
	if (strcmp(what, "short") == 0) {
		if (f->call != C_WRITE && f->call != C_READ)
			bad(what, "only write and read can be short");
		f->err = 0;
	} else {
		for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
			if (strcmp(what, errnames[i].name) == 0)
				break;
		if (i == sizeof(errnames) / sizeof(errnames[0]))
			bad(what, "unknown errno name");
		f->err = errnames[i].err;
	}
	if (spec != NULL && snprintf(f->suffix, sizeof(f->suffix), "%s",
	    spec) >= (int)sizeof(f->suffix))
		bad(spec, "suffix too long");
}

static void *
sym(const char *name)
{
	void *p;

	if ((p = dlsym(RTLD_NEXT, name)) == NULL)
		errx(125, "faultinject: %s: %s", name, dlerror());
	return p;
}

/* dlsym returns an object pointer; copy it into a function pointer. */
#define RESOLVE(var, name) do {					\
	void *p_ = sym(name);						\
	memcpy(&(var), &p_, sizeof(p_));				\
} while (0)

__attribute__((constructor)) static void
init(void)
{
	char *s, *copy, *rest, *tok;

	RESOLVE(real_write, "write");
	RESOLVE(real_pwrite, "pwrite");
	RESOLVE(real_pwrite64, "pwrite64");
	RESOLVE(real_read, "read");
	RESOLVE(real_pread, "pread");
	RESOLVE(real_pread64, "pread64");
	RESOLVE(real_fsync, "fsync");
	RESOLVE(real_fdatasync, "fdatasync");
	RESOLVE(real_open, "open");
	RESOLVE(real_open64, "open64");
	RESOLVE(real_openat, "openat");
	RESOLVE(real_openat64, "openat64");
	RESOLVE(real_rename, "rename");
	RESOLVE(real_renameat, "renameat");
	RESOLVE(real_unlink, "unlink");
	RESOLVE(real_unlinkat, "unlinkat");
	if ((s = getenv("MLOG_FAULT_COUNT")) != NULL && *s != '\0')
		countfile = s;
	if ((s = getenv("MLOG_FAULT")) == NULL || *s == '\0')
		return;
	if ((rest = copy = strdup(s)) == NULL)
		err(125, "faultinject");
	while ((tok = strsep(&rest, ",")) != NULL)
		parse(tok);
	free(copy);	/* parse() copied what it keeps */
}

__attribute__((destructor)) static void
fini(void)
{
	char line[256];
	int fd, n, saved = errno;

	if (countfile == NULL)
		return;
	n = snprintf(line, sizeof(line), "write %lu read %lu fsync %lu "
	    "open %lu rename %lu unlink %lu\n", counts[C_WRITE],
	    counts[C_READ], counts[C_FSYNC], counts[C_OPEN], counts[C_RENAME],
	    counts[C_UNLINK]);
	if ((fd = real_open(countfile, O_WRONLY | O_CREAT | O_APPEND |
	    O_CLOEXEC, 0666)) >= 0) {
		(void)real_write(fd, line, (size_t)n);
		(void)close(fd);
	}
	errno = saved;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The fault due at this call, or NULL; errno is left as it was.  path is
 * NULL for the calls on a descriptor. */
static struct fault *
due(enum call call, int fd, const char *path)
{
	struct fault *f, *hit = NULL;
	struct stat st;
	char link[64], target[PATH_MAX];
	const char *name = path;
	ssize_t n;
	int i, saved = errno;

	if (nfaults == 0 && countfile == NULL)
		return NULL;
	if (path == NULL && (fd <= 2 || fstat(fd, &st) < 0 ||
	    !(S_ISREG(st.st_mode) ||
	    (call == C_FSYNC && S_ISDIR(st.st_mode))))) {
		errno = saved;
		return NULL;
	}
	counts[call]++;
	for (i = 0; i < nfaults && hit == NULL; i++) {
		f = &faults[i];
		if (f->call != call || f->seen >= f->n)
			continue;
		if (f->suffix[0] != '\0') {
			if (name == NULL) {
				snprintf(link, sizeof(link),
				    "/proc/self/fd/%d", fd);
				if ((n = readlink(link, target,
				    sizeof(target) - 1)) < 0)
					continue;
				target[n] = '\0';
				name = target;
			}
			if (!ends_with(name, f->suffix))
				continue;
		}
		if (++f->seen == f->n)
			hit = f;
	}
	errno = saved;
	return hit;
}

static size_t
half(size_t n)
{
	return n > 1 ? n / 2 : n;
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	struct fault *f;

	if ((f = due(C_WRITE, fd, NULL)) != NULL) {
		if (f->err == 0)
			return real_write(fd, buf, half(n));
		errno = f->err;
		return -1;
	}
	return real_write(fd, buf, n);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	struct fault *f;

	if ((f = due(C_WRITE, fd, NULL)) != NULL) {
		if (f->err == 0)
			return real_pwrite(fd, buf, half(n), off);
		errno = f->err;
		return -1;
	}
	return real_pwrite(fd, buf, n, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	struct fault *f;

	if ((f = due(C_WRITE, fd, NULL)) != NULL) {
		if (f->err == 0)
			return real_pwrite64(fd, buf, half(n), off);
		errno = f->err;
		return -1;
	}
	return real_pwrite64(fd, buf, n, off);
}

ssize_t
read(int fd, void *buf, size_t n)
{
	struct fault *f;

	if ((f = due(C_READ, fd, NULL)) != NULL) {
		if (f->err == 0)
			return real_read(fd, buf, half(n));
		errno = f->err;
		return -1;
	}
	return real_read(fd, buf, n);
}

ssize_t
pread(int fd, void *buf, size_t n, off_t off)
{
	struct fault *f;

	if ((f = due(C_READ, fd, NULL)) != NULL) {
		if (f->err == 0)
			return real_pread(fd, buf, half(n), off);
		errno = f->err;
		return -1;
	}
	return real_pread(fd, buf, n, off);
}

ssize_t
pread64(int fd, void *buf, size_t n, off64_t off)
{
	struct fault *f;

	if ((f = due(C_READ, fd, NULL)) != NULL) {
		if (f->err == 0)
			return real_pread64(fd, buf, half(n), off);
		errno = f->err;
		return -1;
	}
	return real_pread64(fd, buf, n, off);
}

int
fsync(int fd)
{
	struct fault *f;

	if ((f = due(C_FSYNC, fd, NULL)) != NULL) {
		errno = f->err;
		return -1;
	}
	return real_fsync(fd);
}

int
fdatasync(int fd)
{
	struct fault *f;

	if ((f = due(C_FSYNC, fd, NULL)) != NULL) {
		errno = f->err;
		return -1;
	}
	return real_fdatasync(fd);
}

/* The mode argument is there only when the flags say so (see open(2)). */
#define OPEN_MODE(flags, mode) do {					\
	va_list ap_;							\
	if (((flags) & O_CREAT) != 0 ||					\
	    ((flags) & O_TMPFILE) == O_TMPFILE) {			\
		va_start(ap_, flags);					\
		(mode) = (mode_t)va_arg(ap_, int);			\
		va_end(ap_);						\
	}								\
} while (0)

int
open(const char *path, int flags, ...)
{
	struct fault *f;
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	if ((f = due(C_OPEN, -1, path)) != NULL) {
		errno = f->err;
		return -1;
	}
	return real_open(path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	struct fault *f;
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	if ((f = due(C_OPEN, -1, path)) != NULL) {
		errno = f->err;
		return -1;
	}
	return real_open64(path, flags, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	struct fault *f;
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	if ((f = due(C_OPEN, -1, path)) != NULL) {
		errno = f->err;
		return -1;
	}
	return real_openat(dirfd, path, flags, mode);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	struct fault *f;
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	if ((f = due(C_OPEN, -1, path)) != NULL) {
		errno = f->err;
		return -1;
	}
	return real_openat64(dirfd, path, flags, mode);
}

int
rename(const char *from, const char *to)
{
	struct fault *f;

	if ((f = due(C_RENAME, -1, to)) != NULL) {
		errno = f->err;
		return -1;
	}
	return real_rename(from, to);
}

int
renameat(int fromfd, const char *from, int tofd, const char *to)
{
	struct fault *f;

	if ((f = due(C_RENAME, -1, to)) != NULL) {
		errno = f->err;
		return -1;
	}
	return real_renameat(fromfd, from, tofd, to);
}

int
unlink(const char *path)
{
	struct fault *f;

	if ((f = due(C_UNLINK, -1, path)) != NULL) {
		errno = f->err;
		return -1;
	}
	return real_unlink(path);
}

int
unlinkat(int dirfd, const char *path, int flags)
{
	struct fault *f;

	if ((f = due(C_UNLINK, -1, path)) != NULL) {
		errno = f->err;
		return -1;
	}
	return real_unlinkat(dirfd, path, flags);
}

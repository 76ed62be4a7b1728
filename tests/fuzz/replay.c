/*
 * The fuzz targets without libFuzzer: make test links each target with this
 * main(), which feeds it every file named on the command line (every file
 * in a directory, for a directory), so that the crashers once found and the
 * hand-written tricky inputs under tests/fuzz/regress/ stay fixed under gcc
 * and under check-asan's sanitizers.  An input that comes back as a hang
 * or a memory bomb fails alone, after LIMIT_SECS or past LIMIT_MB resident
 * (the inputs kept here are small), rather than stall the test run or take
 * the machine's memory.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

#define LIMIT_SECS	60
#define LIMIT_MB	200

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>

/* AddressSanitizer reserves terabytes of address space: no RLIMIT_AS.
 * Its quarantine of freed memory counts as resident: keep it small. */
const char	*__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "hard_rss_limit_mb=1024:quarantine_size_mb=32";
}
#endif

static size_t replayed;
static const char *current;

/* Which input it was, when one crashes the target. */
static void
say_current(void)
{
	ssize_t r;

	if (current == NULL)
		return;
	r = write(2, "replay: crashed on ", 19);
	r = write(2, current, strlen(current));
	r = write(2, "\n", 1);
	(void)r;
}

static void
crashed(int sig)
{
	say_current();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
replay_file(const char *path)
{
	struct rusage ru;
	unsigned char *buf;
	FILE *f;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		err(1, "%s", path);
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) < 0)
		err(1, "%s", path);
	/* exactly the input's size, as libFuzzer gives it: overreads show */
	if ((buf = malloc(n > 0 ? (size_t)n : 1)) == NULL)
		err(1, NULL);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n || ferror(f))
		errx(1, "%s: read error", path);
	fclose(f);
	current = path;
	alarm(LIMIT_SECS);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	alarm(0);
	if (getrusage(RUSAGE_SELF, &ru) == 0 && ru.ru_maxrss > LIMIT_MB * 1024L)
		errx(1, "%s: over %d MB resident", path, LIMIT_MB);
	current = NULL;
	free(buf);
	replayed++;
}

static int
byname(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
replay(const char *path)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	char **names = NULL, **nn;
	size_t n = 0, i;

	if (stat(path, &st) < 0)
		err(1, "%s", path);
	if (!S_ISDIR(st.st_mode)) {
		replay_file(path);
		return;
	}
	if ((d = opendir(path)) == NULL)
		err(1, "%s", path);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((nn = reallocarray(names, n + 1, sizeof(*names))) == NULL)
			err(1, NULL);
		names = nn;
		if (asprintf(&names[n], "%s/%s", path, de->d_name) < 0)
			err(1, NULL);
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), byname);
	for (i = 0; i < n; i++) {
		replay_file(names[i]);
		free(names[i]);
	}
	free(names);
}

int
main(int argc, char *argv[])
{
	const char *prog = strrchr(argv[0], '/');
#ifndef __SANITIZE_ADDRESS__
	struct rlimit rl;
	struct sigaction sa;
	stack_t ss;
#endif
	int i;

	signal(SIGABRT, crashed);
	signal(SIGALRM, crashed);
#ifdef __SANITIZE_ADDRESS__
	__sanitizer_set_death_callback(say_current);
#else
	/* a stack overflow is reported from a stack of its own */
	if ((ss.ss_sp = malloc(SIGSTKSZ)) == NULL)
		err(1, NULL);
	ss.ss_size = SIGSTKSZ;
	ss.ss_flags = 0;
	if (sigaltstack(&ss, NULL) < 0)
		err(1, "sigaltstack");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = crashed;
	sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	/* a bomb that the resident check cannot see (the library copes
	 * with malloc() failing) still stops here */
	rl.rlim_cur = rl.rlim_max = (rlim_t)1 << 30;
	if (setrlimit(RLIMIT_AS, &rl) < 0)
		err(1, "setrlimit");
#endif
	if (argc < 2) {
		fprintf(stderr, "usage: %s file|directory ...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++)
		replay(argv[i]);
	printf("%s: %zu inputs replayed\n", prog != NULL ? prog + 1 : argv[0],
	    replayed);
	return 0;
}

/*
 * latency: follow latency of a log pipeline, measured end to end.
 *
 *   latency [-n samples] mlog BINDIR LOG   mlog-append LOG | mlog-tail -f
 *   latency [-n samples] tail FILE         write(2) O_APPEND | tail -F FILE
 *
 * Each sample writes one line "seq N <CLOCK_MONOTONIC ns>" to the producer
 * and reads the consumer's output until that line comes back; the latency
 * is the clock at arrival minus the stamp in the line.  A pause of about
 * 1 ms separates samples, so each one measures a wake-up from idle rather
 * than throughput.  Before sampling, "sync" lines are sent until one comes
 * through, so the consumer is known to be watching the end of the log.
 *
 * Prints one line: "samples p50 p90 p99 max", microseconds.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_MS	5000

static const char *prog = "latency";

static struct {
	pid_t	producer;	/* mlog-append, or 0 when we append ourselves */
	pid_t	consumer;	/* mlog-tail -f or tail -F */
	int	in;		/* where lines are written */
	int	out;		/* the consumer's standard output */
	char	buf[65536];
	size_t	len;		/* bytes in buf */
	size_t	scan;		/* bytes of buf already searched for '\n' */
} S = { .in = -1, .out = -1 };

static void
die(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (saved != 0)
		fprintf(stderr, ": %s", strerror(saved));
	fputc('\n', stderr);
	if (S.consumer > 0)
		kill(S.consumer, SIGTERM);
	if (S.producer > 0)
		kill(S.producer, SIGTERM);
	exit(1);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		die("clock_gettime");
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
cloexec(int fd)
{
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		die("fcntl");
}

/* Whatever hangs, the children must not outlive the run. */
static void
on_alarm(int sig)
{
	(void)sig;
	if (S.consumer > 0)
		kill(S.consumer, SIGTERM);
	if (S.producer > 0)
		kill(S.producer, SIGTERM);
	if (write(STDERR_FILENO, "latency: timed out\n", 19) < 0)
		_exit(1);
	_exit(1);
}

static void
pause_1ms(void)
{
	struct timespec ts = { 0, 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Start argv with stdin from infd (when >= 0) and stdout into outfd. */
static pid_t
spawn(char *const argv[], int infd, int outfd, int closefd)
{
	pid_t pid;

	if ((pid = fork()) < 0)
		die("fork");
	if (pid > 0)
		return pid;
	if (infd >= 0 && dup2(infd, STDIN_FILENO) < 0)
		_exit(127);
	if (outfd >= 0 && dup2(outfd, STDOUT_FILENO) < 0)
		_exit(127);
	if (infd > STDERR_FILENO)
		close(infd);
	if (outfd > STDERR_FILENO)
		close(outfd);
	if (closefd >= 0)
		close(closefd);
	signal(SIGPIPE, SIG_DFL);
	execv(argv[0], argv);
	fprintf(stderr, "%s: exec %s: %s\n", prog, argv[0], strerror(errno));
	_exit(127);
}

static void
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		p += w;
		n -= (size_t)w;
	}
}

/*
 * Next complete line of the consumer's output, NUL-terminated in place;
 * NULL when none arrives within timeout_ms.
 */
static char *
next_line(int timeout_ms)
{
	static size_t consumed;	/* bytes of buf returned by the last call */
	struct pollfd pfd = { .fd = S.out, .events = POLLIN };
	char *nl;
	ssize_t r;

	if (consumed > 0) {
		memmove(S.buf, S.buf + consumed, S.len - consumed);
		S.len -= consumed;
		S.scan = 0;
		consumed = 0;
	}
	for (;;) {
		if ((nl = memchr(S.buf + S.scan, '\n', S.len - S.scan)) != NULL) {
			*nl = '\0';
			consumed = (size_t)(nl - S.buf) + 1;
			return S.buf;
		}
		S.scan = S.len;
		if (S.len == sizeof(S.buf)) {
			errno = 0;
			die("consumer line longer than %zu bytes", sizeof(S.buf));
		}
		r = poll(&pfd, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("poll");
		if (r == 0)
			return NULL;
		r = read(S.out, S.buf + S.len, sizeof(S.buf) - S.len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("read");
		if (r == 0) {
			errno = 0;
			die("consumer exited early");
		}
		S.len += (size_t)r;
	}
}

/* Send "sync K" lines until one arrives: the consumer is then live. */
static void
handshake(void)
{
	char line[64], *l;
	uint64_t deadline = now_ns() + 10ull * 1000000000u;
	unsigned k;
	int n;

	for (k = 0;; k++) {
		n = snprintf(line, sizeof(line), "sync %u\n", k);
		write_all(S.in, line, (size_t)n);
		while ((l = next_line(20)) != NULL)
			if (strncmp(l, "sync ", 5) == 0)
				return;
		if (now_ns() > deadline) {
			errno = 0;
			die("consumer printed nothing within 10 s");
		}
	}
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v[0..n-1]. */
static double
pct_us(const uint64_t *v, size_t n, double q)
{
	size_t rank = (size_t)(q * (double)n + 0.999999);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return (double)v[rank - 1] / 1000.0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-n samples] mlog BINDIR LOG\n"
	    "       %s [-n samples] tail FILE\n", prog, prog);
	exit(2);
}

int
main(int argc, char *argv[])
{
	char path_append[PATH_MAX], path_tail[PATH_MAX];
	char line[96], want[48], *l, *end;
	char *av_append[4], *av_tail[8];
	uint64_t *lat, sent, got;
	size_t nsamples = 2000, i;
	int p[2], c, status, wantlen, n;
	long v;

	while ((c = getopt(argc, argv, "n:")) != -1) {
		switch (c) {
		case 'n':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v < 1 || v > 10000000)
				usage();
			nsamples = (size_t)v;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm(60 + (unsigned)(nsamples / 100));

	if (strcmp(argv[0], "mlog") == 0 && argc == 3) {
		snprintf(path_append, sizeof(path_append), "%s/mlog-append",
		    argv[1]);
		snprintf(path_tail, sizeof(path_tail), "%s/mlog-tail", argv[1]);
		av_append[0] = path_append;
		av_append[1] = argv[2];
		av_append[2] = NULL;
		if (pipe(p) < 0)
			die("pipe");
		cloexec(p[1]);
		S.producer = spawn(av_append, p[0], -1, p[1]);
		close(p[0]);
		S.in = p[1];
		/* The log must exist before mlog-tail opens it. */
		write_all(S.in, "create\n", 7);
		for (i = 0; i < 1000; i++) {
			char meta[PATH_MAX];

			snprintf(meta, sizeof(meta), "%s/meta", argv[2]);
			if (access(meta, F_OK) == 0)
				break;
			pause_1ms();
		}
		av_tail[0] = path_tail;
		av_tail[1] = "-f";
		av_tail[2] = "-o";
		av_tail[3] = "end";
		av_tail[4] = argv[2];
		av_tail[5] = NULL;
	} else if (strcmp(argv[0], "tail") == 0 && argc == 2) {
		S.in = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
		    0644);
		if (S.in < 0)
			die("%s", argv[1]);
		av_tail[0] = "/usr/bin/tail";
		av_tail[1] = "-F";
		av_tail[2] = "-n";
		av_tail[3] = "0";
		av_tail[4] = argv[1];
		av_tail[5] = NULL;
		if (access(av_tail[0], X_OK) < 0)
			av_tail[0] = "/bin/tail";
	} else
		usage();

	if (pipe(p) < 0)
		die("pipe");
	cloexec(p[0]);
	S.consumer = spawn(av_tail, -1, p[1], p[0]);
	close(p[1]);
	S.out = p[0];
	handshake();

	if ((lat = calloc(nsamples, sizeof(*lat))) == NULL)
		die("calloc");
	for (i = 0; i < nsamples; i++) {
		wantlen = snprintf(want, sizeof(want), "seq %zu ", i);
		sent = now_ns();
		n = snprintf(line, sizeof(line), "seq %zu %" PRIu64 "\n", i,
		    sent);
		write_all(S.in, line, (size_t)n);
		for (;;) {
			if ((l = next_line(TIMEOUT_MS)) == NULL) {
				errno = 0;
				die("sample %zu: no output within %d ms", i,
				    TIMEOUT_MS);
			}
			if (strncmp(l, want, (size_t)wantlen) == 0)
				break;
		}
		got = now_ns();
		lat[i] = got - strtoull(l + wantlen, NULL, 10);
		pause_1ms();
	}

	close(S.in);
	if (S.producer > 0) {
		if (waitpid(S.producer, &status, 0) < 0)
			die("waitpid");
		S.producer = 0;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			errno = 0;
			die("mlog-append failed (status %d)", status);
		}
	}
	kill(S.consumer, SIGTERM);
	waitpid(S.consumer, &status, 0);

	qsort(lat, nsamples, sizeof(*lat), cmp_u64);
	printf("%zu %.1f %.1f %.1f %.1f\n", nsamples,
	    pct_us(lat, nsamples, 0.50), pct_us(lat, nsamples, 0.90),
	    pct_us(lat, nsamples, 0.99), pct_us(lat, nsamples, 1.0));
	free(lat);
	return 0;
}

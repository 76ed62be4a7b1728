/*
 * filesrc-read [-Eef] [-c N] FILE POSFILE: print the lines of a plain
 * text file from the position saved in POSFILE, through the library's
 * plain-file source, committing after each batch and at exit.  -e (the
 * default) stops when no complete line is left, -f follows (waking on
 * inotify; SIGTERM ends it), -c N stops after N lines, -E starts at the end
 * of FILE when POSFILE holds no position.  Reports on stderr
 * when a rotated position could not be found.
 */
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlog.h"

#define BATCH	1000

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: filesrc-read [-Eef] [-c N] file posfile\n");
	exit(2);
}

static void
commit(struct mlog_filesrc *s)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	if (mlog_filesrc_commit(s, 0) < 0)
		err(1, "commit");
}

int
main(int argc, char *argv[])
{
	struct mlog_filesrc *s;
	struct sigaction sa;
	struct pollfd pfd;
	sigset_t block, orig;
	struct timespec ts = { 1, 0 };
	const unsigned char *line;
	const char *errstr;
	long long count = -1, done = 0;
	size_t len, batch;
	int ch, follow = 0, flags = 0, r;

	while ((ch = getopt(argc, argv, "Eefc:")) != -1) {
		switch (ch) {
		case 'E':
			flags |= MLOG_FILESRC_END;
			break;
		case 'e':
			follow = 0;
			break;
		case 'f':
			follow = 1;
			break;
		case 'c':
			count = strtonum(optarg, 0, LLONG_MAX, &errstr);
			if (errstr != NULL)
				errx(2, "-c %s: %s", optarg, errstr);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		usage();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0)
		err(1, "sigaction");
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	/* SIGTERM is let in only while waiting, so no wakeup is missed */
	if (sigprocmask(SIG_BLOCK, &block, &orig) < 0)
		err(1, "sigprocmask");

	if ((s = mlog_filesrc_open(argv[0], argv[1], flags)) == NULL)
		err(1, "%s", argv[0]);
	if (follow && (pfd.fd = mlog_filesrc_watch_fd(s)) < 0)
		err(1, "inotify");
	pfd.events = POLLIN;
	while (!stop && done != count) {
		for (batch = 0; batch < BATCH && done != count; batch++) {
			if ((r = mlog_filesrc_next(s, &line, &len)) < 0)
				err(1, "%s", argv[0]);
			if (r == 0)
				break;
			fwrite(line, 1, len, stdout);
			putchar('\n');
			done++;
		}
		commit(s);
		if (batch == BATCH)
			continue;
		if (!follow || done == count)
			break;
		if (ppoll(&pfd, 1, &ts, &orig) < 0 && errno != EINTR)
			err(1, "poll");
		if (mlog_filesrc_watch_drain(s) < 0)
			err(1, "inotify");
	}
	commit(s);
	if (mlog_filesrc_lost(s) > 0)
		fprintf(stderr, "filesrc-read: %llu positions lost\n",
		    (unsigned long long)mlog_filesrc_lost(s));
	mlog_filesrc_close(s);
	return 0;
}

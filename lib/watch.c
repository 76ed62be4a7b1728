/*
 * Waking a follower when a log changes: one inotify instance watching every
 * partition directory for writes and new segments, so `mlog-tail -f` sleeps
 * in poll(2) until an appender writes, instead of polling on a timer.
 */
#include <sys/inotify.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

struct mlog_watch {
	int	fd;
};

struct mlog_watch *
mlog_watch_open(const struct mlog_log *log)
{
	struct mlog_watch *w;
	char path[32];
	uint32_t i;
	int saved;

	if ((w = malloc(sizeof(*w))) == NULL)
		return NULL;
	if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		goto fail;
	for (i = 0; i < log->partitions; i++) {
		/* inotify wants a path; /proc names the directory we hold */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", log->partfd[i]);
		if (inotify_add_watch(w->fd, path, IN_MODIFY | IN_CREATE |
		    IN_MOVED_TO | IN_DELETE | IN_ONLYDIR) < 0)
			goto fail;
	}
	return w;
fail:
	saved = errno;
	mlog_watch_close(w);
	errno = saved;
	return NULL;
}

int
mlog_watch_fd(const struct mlog_watch *w)
{
	return w->fd;
}

int
inotify_drain(int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		return n < 0 && errno != EAGAIN ? -1 : 0;
	}
}

int
mlog_watch_drain(struct mlog_watch *w)
{
	return inotify_drain(w->fd);
}

void
mlog_watch_close(struct mlog_watch *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}

/*
 * mlog-tail: print the records of a log, from where you ask or from where a
 * consumer group stopped, and follow it as it grows.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlog.h"
#include "rdk.h"

#define COMMIT_EVERY_US	1000000	/* at most one commit a second, mid-run */
#define BALANCE_EVERY_US 250000	/* group members look for work this often */
#define HANDOVER_WAIT_US 3000000 /* how long a member without -f waits */

enum commit { COMMIT_WRITTEN, COMMIT_EXIT, COMMIT_PENDING };
enum outmode { OUT_VALUE, OUT_JSON, OUT_FORMAT };

struct part {
	uint32_t		 id;
	int			 active; /* ours to read */
	struct mlog_reader	*r;
	struct mlog_record	 rec;
	int			 have;	/* rec holds the next record */
	int			 peeked; /* rec was read, not yet checked */
	int			 done;
	uint64_t		 end;	/* -e: stop here */
	int64_t			 pos;	/* next offset to commit */
};

static struct {
	struct mlog_log		*log;
	struct part		*parts;
	uint32_t		 nparts;
	struct mlog_out		 out;
	enum outmode		 mode;
	const char		*format;
	int			 term;
	int			 tty;
	struct mlog_offsets	 store;
	int			 have_store;
	const char		*storename;
	enum commit		 commit;
	int64_t			*offs, *tmp;
	int64_t			 lastcommit;
	int			 uncommitted;
	struct mlog_watch	*watch;
	struct mlog_member	*member;	/* -g: our membership */
	uint8_t			*eligible, *take, *drop;
	int64_t			 lastbalance;
	int			 member_info;
	/* where partitions start when nothing is committed */
	int			 kind, snap;
	int64_t			 sv, lines;
	uint64_t		 skip;		/* -n: records to pass over */
	int			 strict;	/* deleted records are an error */
	char			 gapmsg[256];
	int			 wakefd;	/* kafka://: librdkafka's pipe */
} T;

static volatile sig_atomic_t stop_sig;

#define O_STRICT	256	/* long options without a short form */
#define O_KAFKA_CONFIG	257
#define O_TIMEOUT	258

static _Noreturn void
usage(void)
{
	fprintf(stderr,
"usage: mlog-tail [-0efJM] [-c count] [-F format] [-g group | -S file]\n"
"                 [-m mode] [-n count] [-o start] [-p partition] [-u stop]\n"
"                 [-X key=value] [--kafka-config file] [--strict]\n"
"                 [--timeout dur] log | file\n");
	exit(2);
}

static _Noreturn void
help(void)
{
	printf(
"usage: mlog-tail [-0efJM] [-c count] [-F format] [-g group | -S file]\n"
"                 [-m mode] [-n count] [-o start] [-p partition] [-u stop]\n"
"                 [-X key=value] [--kafka-config file] [--strict]\n"
"                 [--timeout dur] log | file\n"
"\n"
"Print the records of LOG, one per line; several partitions are merged by\n"
"timestamp.  LOG may be kafka://host:port[,host:port...]/topic.  Given a\n"
"plain text FILE, print its lines from where the last run stopped (-g, -S),\n"
"across log rotations.\n"
"\n"
"  -o, --offset=START       beginning (default), end, N (offset), -N (N before\n"
"                           the end of each partition), @TIME (RFC 3339, epoch,\n"
"                           or relative like @-1h)\n"
"  -n, --lines=N            start with the last N records\n"
"  -u, --until=STOP         stop before offset STOP, or after time @TIME\n"
"  -e, --exit               stop at the end the log had at start\n"
"  -c, --count=N            stop after N records\n"
"  -f, --follow             wait for new records (inotify)\n"
"  -p, --partition=N        read partition N only\n"
"  -J, --json               print JSON envelopes (offset, partition, timestamp,\n"
"                           key, value); mlog-append -J reads them back\n"
"  -F, --format=FMT         print FMT per record: %%o offset, %%p partition,\n"
"                           %%T timestamp (ms), %%k key, %%K key length,\n"
"                           %%s value, %%S value length, %%%% a percent sign;\n"
"                           \\n \\t \\r \\\\ escapes\n"
"  -0, --null               end records with NUL instead of newline\n"
"  -g, --group=NAME         resume where consumer group NAME stopped; the\n"
"                           members of a group share the partitions\n"
"  -M, --member-info        say on stderr which partitions this member holds\n"
"  -S, --offset-file=FILE   resume from, and commit to, FILE\n"
"  -m, --commit=MODE        written (default): records handed to the output\n"
"                           count as read, committed when caught up, at most\n"
"                           once a second, and at exit; exit: only at a clean\n"
"                           exit; pending: at a clean exit, to a pending file\n"
"                           for a later two-phase commit\n"
"      --strict             exit 1 when records were deleted by retention\n"
"                           before they were read (default: warn, go on)\n"
"  -X, --property=KEY=VALUE kafka://: set a librdkafka property\n"
"      --kafka-config=FILE  kafka://: read librdkafka properties from FILE\n"
"      --timeout=DUR        kafka://: wait for brokers at most DUR (default 10s)\n"
"  -h, --help               show this help\n"
"\n"
"See mlog-tail(1).\n");
	exit(0);
}

static void
on_signal(int sig)
{
	stop_sig = sig;
}

/* SIGINT and SIGTERM are held except while waiting, so one that arrives
 * between the check of stop_sig and the wait ends the wait instead of
 * being missed until the next record (a follower would never stop). */
static sigset_t waitmask;

static void
catch_signals(void)
{
	struct sigaction sa;
	sigset_t hold;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&hold);
	sigaddset(&hold, SIGINT);
	sigaddset(&hold, SIGTERM);
	sigprocmask(SIG_BLOCK, &hold, &waitmask);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
}

/* Wait up to ms (-1: no limit) for fd (-1: none) to be readable or a
 * signal to arrive. */
static void
wait_for_input(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec ts, *tp = NULL;

	if (ms >= 0) {
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (long)(ms % 1000) * 1000000;
		tp = &ts;
	}
	if (ppoll(fd >= 0 ? &pfd : NULL, fd >= 0, tp, &waitmask) < 0 &&
	    errno != EINTR)
		err(1, "poll");
}

static void kafka_abandon(void);

static _Noreturn void
out_fail(void)
{
	int e = errno;

	kafka_abandon();
	errno = e;
	err(1, "stdout");
}

/* Write the positions of the partitions we read; a group's file is shared
 * with the other members, so it is read, updated and written under the
 * group's lock. */
static void
store_positions(void)
{
	int pending = T.commit == COMMIT_PENDING;
	uint32_t i;

	if (T.member != NULL && mlog_member_lock(T.member, 1) < 0)
		err(1, "%s: commit", T.storename);
	/* a pending file starts from the committed positions, so that
	 * promoting it keeps the partitions this run did not read */
	if ((T.member != NULL || pending) && mlog_offsets_load(&T.store, 0,
	    T.offs, T.log->partitions) < 0)
		err(1, "%s: commit", T.storename);
	if (pending) {
		if (mlog_offsets_load(&T.store, 1, T.tmp,
		    T.log->partitions) < 0)
			err(1, "%s: commit", T.storename);
		for (i = 0; i < T.nparts; i++)
			if (T.tmp[i] != MLOG_OFFSET_NONE)
				T.offs[i] = T.tmp[i];
	}
	for (i = 0; i < T.nparts; i++)
		if (T.parts[i].active && T.parts[i].pos != MLOG_OFFSET_NONE)
			T.offs[i] = T.parts[i].pos;
	if (mlog_offsets_store(&T.store, pending, T.offs,
	    T.log->partitions) < 0)
		err(1, "%s: commit", T.storename);
	if (T.member != NULL)
		mlog_member_lock(T.member, 0);
	T.uncommitted = 0;
	T.lastcommit = mlog_now_us();
}

static void
commit(int final)
{
	if (!T.have_store || !T.uncommitted)
		return;
	if (T.commit != COMMIT_WRITTEN && !final)
		return;
	store_positions();
}

static void
flush_out(void)
{
	if (mlog_out_flush(&T.out) < 0)
		out_fail();
}

static void
put_u64(uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRIu64, v);

	if (mlog_out_write(&T.out, num, (size_t)n) < 0)
		out_fail();
}

static void
put_formatted(const struct mlog_record *r)
{
	const char *f;
	int rc = 0;

	for (f = T.format; *f != '\0' && rc == 0; f++) {
		if (*f == '\\' && f[1] != '\0') {
			f++;
			rc = mlog_out_putc(&T.out, *f == 'n' ? '\n' :
			    *f == 't' ? '\t' : *f == 'r' ? '\r' : *f);
			continue;
		}
		if (*f != '%' || f[1] == '\0') {
			rc = mlog_out_putc(&T.out, *f);
			continue;
		}
		switch (*++f) {
		case 'o':
			put_u64(r->offset);
			break;
		case 'p':
			put_u64(r->partition);
			break;
		case 'T':
			if (r->timestamp < 0)
				rc = mlog_out_putc(&T.out, '-');
			put_u64((uint64_t)(r->timestamp < 0 ? -r->timestamp :
			    r->timestamp) / 1000);
			break;
		case 'k':
			rc = mlog_out_write(&T.out, r->key, r->keylen);
			break;
		case 'K':
			put_u64(r->keylen);
			break;
		case 's':
			rc = mlog_out_write(&T.out, r->value, r->valuelen);
			break;
		case 'S':
			put_u64(r->valuelen);
			break;
		default:
			rc = mlog_out_putc(&T.out, '%');
			break;
		}
	}
	if (rc < 0)
		out_fail();
}

static void
put_record(const struct mlog_record *r)
{
	int rc;

	switch (T.mode) {
	case OUT_VALUE:
		if (T.out.cap - T.out.len > r->valuelen) {
			/* the common case, without a call per byte run */
			memcpy(T.out.buf + T.out.len, r->value, r->valuelen);
			T.out.len += r->valuelen;
			T.out.buf[T.out.len++] = (unsigned char)T.term;
			rc = 0;
		} else
			rc = mlog_out_write(&T.out, r->value, r->valuelen) < 0 ||
			    mlog_out_putc(&T.out, T.term) < 0;
		break;
	case OUT_JSON:
		rc = mlog_envelope_put(&T.out, r) < 0 ||
		    mlog_out_putc(&T.out, T.term) < 0;
		break;
	default:
		put_formatted(r);
		rc = 0;
		break;
	}
	if (rc)
		out_fail();
	if (T.tty)
		flush_out();
}

static void
emit(struct part *p)
{
	put_record(&p->rec);
	p->pos = (int64_t)p->rec.offset + 1;
	T.uncommitted = 1;
}

static int
valid_format(const char *f)
{
	for (; *f != '\0'; f++) {
		if (*f == '\\' && f[1] != '\0')
			f++;
		else if (*f == '%') {
			if (f[1] == '\0') {
				warnx("--format: '%%' at the end");
				return 0;
			}
			if (strchr("opTkKsS%", f[1]) == NULL) {
				warnx("--format: unknown token %%%c", f[1]);
				return 0;
			}
			f++;
		}
	}
	return 1;
}

/* Records the reader was about to read are gone: deleted by retention
 * (below the partition's persisted start), or missing from the middle of
 * the log (a damaged segment moved aside by mlog-check --repair). */
static int
deleted(void *arg, uint32_t part, uint64_t from, uint64_t to, int retained)
{
	(void)arg;
	if (retained)
		snprintf(T.gapmsg, sizeof(T.gapmsg), "%s: partition %u: "
		    "offsets %" PRIu64 " to %" PRIu64 " were deleted by "
		    "retention before they were read (%" PRIu64 " record%s)",
		    T.log->path, part, from, to - 1, to - from,
		    to - from == 1 ? "" : "s");
	else
		snprintf(T.gapmsg, sizeof(T.gapmsg), "%s: partition %u: "
		    "offsets %" PRIu64 " to %" PRIu64 " are missing from the "
		    "log (moved aside by mlog-check --repair?)", T.log->path,
		    part, from, to - 1);
	if (T.strict)
		return -1;
	warnx("%s; continuing at %" PRIu64, T.gapmsg, to);
	return 0;
}

static _Noreturn void
read_failed(const struct part *p)
{
	int e = errno;

	/* what was read before the failure goes out (uncommitted) */
	if (T.out.buf != NULL)
		flush_out();
	errno = e;
	if (errno == ERANGE && T.strict)
		errx(1, "%s", T.gapmsg);
	errx(1, "%s: partition %u: %s", T.log->path, p->id,
	    mlog_strerror(errno));
}

/* Fill p->rec; honours -e and --until.  Returns 1 when a record waits. */
static int
fill(struct part *p, int follow, uint64_t until_off, int64_t until_ts)
{
	int rc;

	if (p->have || p->done)
		return p->have;
	if (p->pos != MLOG_OFFSET_NONE && ((uint64_t)p->pos >= p->end ||
	    (uint64_t)p->pos >= until_off)) {
		p->done = 1;
		return 0;
	}
	if (p->peeked) {
		p->peeked = 0;
		rc = 1;
	} else if ((rc = mlog_reader_next(p->r, &p->rec)) < 0)
		read_failed(p);
	if (rc == 0) {
		if (!follow)
			p->done = 1;
		return 0;
	}
	if (p->rec.offset >= p->end || p->rec.offset >= until_off ||
	    p->rec.timestamp > until_ts) {
		p->done = 1;
		return 0;
	}
	p->have = 1;
	return 1;
}

static void
parse_start(const char *s, int *kind, int64_t *v)
{
	const char *errstr;

	if (strcmp(s, "beginning") == 0)
		*kind = 'b';
	else if (strcmp(s, "end") == 0)
		*kind = 'e';
	else if (s[0] == '@') {
		*kind = '@';
		if (mlog_time_parse(s + 1, mlog_now_us(), v) < 0) {
			warnx("--offset: bad time: %s", s + 1);
			usage();
		}
	} else {
		*kind = s[0] == '-' ? '-' : 'o';
		*v = strtonum(s[0] == '-' ? s + 1 : s, 0, INT64_MAX, &errstr);
		if (errstr != NULL) {
			warnx("--offset: expected beginning, end, N, -N or "
			    "@TIME: %s", s);
			usage();
		}
	}
}

/* Position a partition's reader; p->pos becomes the offset of the next
 * record it returns, so that a group commits a start even when nothing
 * follows. */
static void
position(struct part *p, int kind, int64_t v)
{
	uint64_t start, end;
	int rc = 0;

	if (kind != 'o' && mlog_reader_bounds(p->r, &start, &end) < 0)
		errx(1, "%s: partition %u: %s", T.log->path, p->id,
		    mlog_strerror(errno));
	p->pos = MLOG_OFFSET_NONE;
	if (kind == 'b')
		p->pos = (int64_t)start;
	else if (kind == 'e' || kind == '-') {
		if (kind == '-')
			end = end - start > (uint64_t)v ? end - (uint64_t)v :
			    start;
		rc = mlog_reader_seek_offset(p->r, end);
		p->pos = (int64_t)end;
	} else if (kind == 'o') {
		rc = mlog_reader_seek_offset(p->r, (uint64_t)v);
		p->pos = v;
	} else if (kind == '@') {
		/* the offset found is known once its record is read */
		if ((rc = mlog_reader_seek_time(p->r, v)) == 0 &&
		    (rc = mlog_reader_next(p->r, &p->rec)) >= 0) {
			p->peeked = rc;
			p->pos = (int64_t)(rc ? p->rec.offset : end);
			rc = 0;
		}
	}
	if (rc < 0)
		read_failed(p);
}

/* Start reading partition p: at the committed position, else where the
 * options say. */
static void
activate(struct part *p, int first)
{
	uint64_t start = 0, end = 0;
	int64_t off;

	if (p->r == NULL) {
		if ((p->r = mlog_reader_open(T.log->partfd[p->id],
		    p->id)) == NULL)
			err(1, NULL);
		mlog_reader_on_gap(p->r, deleted, NULL);
	}
	p->active = 1;
	p->done = p->have = p->peeked = 0;
	p->end = UINT64_MAX;
	off = T.offs[p->id];
	if (T.snap || T.lines >= 0 || off != MLOG_OFFSET_NONE) {
		if (mlog_reader_bounds(p->r, &start, &end) < 0)
			errx(1, "%s: partition %u: %s", T.log->path, p->id,
			    mlog_strerror(errno));
		if (T.snap)
			p->end = end;
	}
	if (off != MLOG_OFFSET_NONE) {
		position(p, 'o', off);
	} else if (T.lines >= 0 && first) {
		position(p, '-', T.lines);
		T.skip += end - (uint64_t)p->pos;
	} else
		position(p, T.lines >= 0 ? 'b' : T.kind, T.sv);
	T.uncommitted = 1;	/* the starting position, at least */
}

static void
member_info(void)
{
	char list[4096];
	size_t n = 0;
	uint32_t i;

	list[0] = '\0';
	for (i = 0; i < T.nparts && n < sizeof(list) - 16; i++)
		if (T.parts[i].active)
			n += (size_t)snprintf(list + n, sizeof(list) - n, " %u",
			    i);
	warnx("group %s: member %ld holds partitions:%s", T.storename,
	    (long)getpid(), n ? list : " none");
}

/* A group member hands partitions over and takes free ones; returns how
 * many it took. */
static int
rebalance(int first)
{
	uint32_t i;
	int took = 0, changed = 0;

	if (T.member == NULL)
		return 0;
	T.lastbalance = mlog_now_us();
	if (mlog_member_balance(T.member, T.eligible, T.take, T.drop) < 0)
		err(1, "%s: group membership", T.storename);
	for (i = 0; i < T.nparts; i++)
		if (T.drop[i]) {
			/* its position goes with it */
			flush_out();
			T.uncommitted = 1;
			store_positions();
			T.parts[i].active = 0;
			mlog_member_release(T.member, i);
			mlog_reader_close(T.parts[i].r);
			T.parts[i].r = NULL;
			changed = 1;
		}
	for (i = 0; i < T.nparts; i++)
		if (T.take[i])
			took = changed = 1;
	if (took) {
		/* positions committed by the members that held them */
		if (mlog_member_lock(T.member, 1) < 0 ||
		    mlog_offsets_load(&T.store, 0, T.offs,
		    T.log->partitions) < 0)
			err(1, "%s", T.storename);
		mlog_member_lock(T.member, 0);
		for (i = 0; i < T.nparts; i++)
			if (T.take[i])
				activate(&T.parts[i], first);
	}
	if ((changed || first) && T.member_info)
		member_info();
	return took;
}

/*
 * A member without -f that holds nothing while other members hold the
 * partitions (say, all started by one cron job) waits a little for its
 * share to be handed over instead of exiting at once.
 */
static int
awaiting_handover(void)
{
	static int64_t until;
	uint32_t i;

	if (T.member == NULL || stop_sig)
		return 0;
	for (i = 0; i < T.nparts; i++)
		if (T.parts[i].active)
			return 0;
	if (until == 0)
		until = mlog_now_us() + HANDOVER_WAIT_US;
	return mlog_now_us() < until &&
	    mlog_member_others(T.member, T.eligible) > 0;
}

static void
wait_change(struct mlog_watch *w)
{
	struct pollfd pfd = { .fd = mlog_watch_fd(w), .events = POLLIN };
	int64_t left;
	int ms = -1;

	flush_out();
	if (T.uncommitted && T.commit == COMMIT_WRITTEN) {
		left = T.lastcommit + COMMIT_EVERY_US - mlog_now_us();
		if (left <= 0)
			commit(0);
		else
			ms = (int)((left + 999) / 1000);
	}
	if (T.member != NULL && (ms < 0 || ms > BALANCE_EVERY_US / 1000))
		ms = BALANCE_EVERY_US / 1000;
	wait_for_input(pfd.fd, ms);
	if (mlog_watch_drain(w) < 0)
		err(1, "inotify");
}

/*
 * Where a group keeps its position in a plain file: under the user's state
 * directory, one file per group and source path, since the directory of a
 * system log is seldom writable.
 */
static void
group_posfile(const char *group, const char *path, char *buf, size_t len)
{
	char real[PATH_MAX], dir[PATH_MAX], *p;
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	size_t i, n;

	if (realpath(path, real) == NULL)
		err(1, "%s", path);
	if (state != NULL && *state == '/')
		n = (size_t)snprintf(dir, sizeof(dir), "%s/mstreams/groups/%s",
		    state, group);
	else if (home != NULL && *home == '/')
		n = (size_t)snprintf(dir, sizeof(dir),
		    "%s/.local/state/mstreams/groups/%s", home, group);
	else
		errx(1, "-g on a plain file needs $HOME or $XDG_STATE_HOME");
	if (n >= sizeof(dir))
		errx(1, "%s: path too long", dir);
	for (p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(dir, 0777) < 0 && errno != EEXIST)
			err(1, "%s", dir);
		*p = '/';
	}
	if (mkdir(dir, 0777) < 0 && errno != EEXIST)
		err(1, "%s", dir);
	for (i = 0; real[i] != '\0'; i++)
		if (real[i] == '/')
			real[i] = '%';
	if ((size_t)snprintf(buf, len, "%s/%s", dir, real) >= len)
		errx(1, "%s: path too long", dir);
}

/* mlog-tail on a plain text file: its lines, from a saved position,
 * across rotations. */
static int
tail_file(const char *path, const char *group, const char *ofile,
    int follow, int at_end, uint64_t count)
{
	struct mlog_filesrc *src;
	struct pollfd pfd;
	const unsigned char *line;
	char posfile[PATH_MAX];
	uint64_t emitted = 0;
	int64_t left;
	size_t len;
	int rc, ms, dirty = 0;

	if (group != NULL)
		group_posfile(group, path, posfile, sizeof(posfile));
	else if (ofile != NULL)
		strlcpy(posfile, ofile, sizeof(posfile));
	if ((src = mlog_filesrc_open(path, group != NULL || ofile != NULL ?
	    posfile : NULL, at_end ? MLOG_FILESRC_END : 0)) == NULL)
		err(1, "%s", path);
	pfd.fd = follow ? mlog_filesrc_watch_fd(src) : -1;
	pfd.events = POLLIN;
	if (follow && pfd.fd < 0)
		err(1, "%s: inotify", path);
	T.lastcommit = mlog_now_us();
	while (!stop_sig) {
		if ((rc = mlog_filesrc_next(src, &line, &len)) < 0)
			err(1, "%s", path);
		if (rc == 1) {
			if (mlog_out_write(&T.out, line, len) < 0 ||
			    mlog_out_putc(&T.out, T.term) < 0)
				out_fail();
			if (T.tty)
				flush_out();
			dirty = 1;
			if (++emitted == count)
				break;
			continue;
		}
		/* caught up: what was written counts as read */
		flush_out();
		if (dirty && T.commit == COMMIT_WRITTEN &&
		    mlog_now_us() - T.lastcommit >= COMMIT_EVERY_US) {
			if (mlog_filesrc_commit(src, 0) < 0)
				err(1, "%s: commit", posfile);
			T.lastcommit = mlog_now_us();
			dirty = 0;
		}
		if (!follow)
			break;
		ms = -1;
		if (dirty && T.commit == COMMIT_WRITTEN) {
			left = T.lastcommit + COMMIT_EVERY_US - mlog_now_us();
			ms = left > 0 ? (int)((left + 999) / 1000) : 0;
		}
		wait_for_input(pfd.fd, ms);
		if (mlog_filesrc_watch_drain(src) < 0)
			err(1, "%s: inotify", path);
	}
	flush_out();
	if ((group != NULL || ofile != NULL) &&
	    mlog_filesrc_commit(src, T.commit == COMMIT_PENDING) < 0)
		err(1, "%s: commit", posfile);
	if (mlog_filesrc_lost(src) > 0)
		warnx("%s: the position was lost %" PRIu64 " time(s) in a "
		    "rotation; lines may have been missed", path,
		    mlog_filesrc_lost(src));
	mlog_filesrc_close(src);
	return 0;
}

/* How mlog-tail reads a kafka:// topic. */
#define KAFKA_BATCH	256	/* messages taken from a queue at once */

struct ktail {
	const char		*url;
	const struct mlog_kafka_props *props;
	int64_t			 timeout;
	int64_t			 part;		/* -p, or -1 */
	int			 kind;		/* -o */
	int64_t			 sv;
	int			 follow, snap;
	uint64_t		 count, until_off;
	int64_t			 until_ts;
	const char		*group;		/* -g */
	enum commit		 commit;
	int			 member_info;
};

/* A partition of a topic: its own queue, so that partitions can be
 * merged by timestamp as the file log's are. */
struct kpart {
	uint32_t		 id;
	rd_kafka_queue_t	*q;
	rd_kafka_message_t	*m;	/* the next record, when have */
	struct mlog_record	 rec;
	int			 have, done, started;
	int64_t			 end;	/* stop before this offset */
	/* -g */
	int			 held;	/* assigned to this member */
	int64_t			 pos;	/* the next offset to hand out; -1 */
	int64_t			 base;	/* committed when assigned; -1 none */
	int64_t			 first;	/* where an uncommitted one began */
	/* messages that reached the consumer's queue before the partition's
	 * own queue was cut from it, oldest first */
	rd_kafka_message_t	**stash;
	size_t			 nstash, headstash, capstash;
	/* taken from the queue in one call, not yet looked at */
	rd_kafka_message_t	*got[KAFKA_BATCH];
	size_t			 ngot, headgot;
};

static struct {
	const struct ktail	*o;
	struct mlog_kafka	*k;
	rd_kafka_queue_t	*mainq;
	struct kpart		*parts;
	uint32_t		 n;
	int			 fd;		/* librdkafka wakes us here */
	/* -g */
	struct mlog_kafka_pos	*pos;
	uint8_t			*which;
	int			 assigned;	/* an assignment came */
	int			 awaiting;	/* revoked, none since */
	int			 closing;	/* commit nothing more */
	int			 uncommitted;
	int64_t			 lastcommit;
	char			 err[512];	/* a failure in a callback */
} K;

/* Forget what a partition's queue held. */
static void
kafka_drop(struct kpart *p)
{
	if (p->m != NULL)
		rd_kafka_message_destroy(p->m);
	p->m = NULL;
	p->have = 0;
	while (p->headstash < p->nstash)
		rd_kafka_message_destroy(p->stash[p->headstash++]);
	p->nstash = p->headstash = 0;
	while (p->headgot < p->ngot)
		rd_kafka_message_destroy(p->got[p->headgot++]);
	p->ngot = p->headgot = 0;
	if (p->q != NULL)
		rd_kafka_queue_destroy(p->q);
	p->q = NULL;
}

/* Everything librdkafka holds must go before the handle does; a group
 * member leaves its group (committing nothing more). */
static void
kafka_release(void)
{
	uint32_t i;

	K.closing = 1;
	for (i = 0; i < K.n; i++) {
		if (K.parts[i].started)
			rd_kafka_consume_stop(mlog_kafka_topic_handle(K.k),
			    (int32_t)i);
		kafka_drop(&K.parts[i]);
		free(K.parts[i].stash);
	}
	if (K.mainq != NULL)
		rd_kafka_queue_destroy(K.mainq);
	K.mainq = NULL;
	mlog_kafka_close(K.k);
	K.k = NULL;
	free(K.parts);
	K.parts = NULL;
	K.n = 0;
	free(K.pos);
	free(K.which);
}

static _Noreturn void __attribute__((format(printf, 1, 2)))
kafka_fail(const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (T.out.buf != NULL && mlog_out_flush(&T.out) < 0)
		warn("stdout");
	kafka_release();
	errx(1, "%s", msg);
}

/* The first offset to read of partition id, from -o; -1 with K.err set
 * when a broker did not say. */
static int64_t
kafka_start_offset(const struct ktail *o, uint32_t id, int64_t lo, int64_t hi)
{
	int64_t off;

	switch (o->kind) {
	case 'b':
		return lo;
	case 'e':
		return hi;
	case '-':
		return hi - lo > o->sv ? hi - o->sv : lo;
	case '@':
		if (mlog_kafka_offset_for_time(K.k, id, o->sv, &off) < 0) {
			snprintf(K.err, sizeof(K.err), "%s: partition %u: %s",
			    o->url, id, mlog_kafka_strerror());
			return -1;
		}
		return off < lo ? lo : off;
	default:
		/* an offset outside the partition starts at its nearer end */
		return o->sv < lo ? lo : o->sv > hi ? hi : o->sv;
	}
}

/* The next message of p: one stashed, else one from its queue. */
static rd_kafka_message_t *
kafka_next(struct kpart *p)
{
	ssize_t n;

	if (p->headstash < p->nstash)
		return p->stash[p->headstash++];
	p->nstash = p->headstash = 0;
	if (p->headgot == p->ngot) {
		p->ngot = p->headgot = 0;
		if (p->q == NULL || (n = rd_kafka_consume_batch_queue(p->q, 0,
		    p->got, KAFKA_BATCH)) <= 0)
			return NULL;
		p->ngot = (size_t)n;
	}
	return p->got[p->headgot++];
}

/* Take the next message of p's queue, if one is there; errors that
 * librdkafka recovers from by itself are noted, others end the run. */
static void
kafka_take(const struct ktail *o, struct kpart *p, int *down)
{
	rd_kafka_message_t *m;
	rd_kafka_resp_err_t e;

	while (!p->have && !p->done && (m = kafka_next(p)) != NULL) {
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			/* the end can be past the last record (transaction
			 * markers, compaction): the end of the partition
			 * says it is reached */
			if (m->offset >= p->end)
				p->done = 1;
			rd_kafka_message_destroy(m);
			continue;
		}
		if (m->err != 0) {
			if (m->err == RD_KAFKA_RESP_ERR__TRANSPORT ||
			    m->err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
				*down = 1;
			else {
				e = m->err;
				rd_kafka_message_destroy(m);
				kafka_fail("%s: partition %u: %s", o->url,
				    p->id, rd_kafka_err2str(e));
			}
			rd_kafka_message_destroy(m);
			continue;
		}
		if (o->group != NULL && m->offset < p->pos) {
			/* fetched for an earlier assignment */
			rd_kafka_message_destroy(m);
			continue;
		}
		mlog_kafka_record(m, &p->rec);
		if (m->offset >= p->end || p->rec.timestamp > o->until_ts) {
			rd_kafka_message_destroy(m);
			p->done = 1;
			break;
		}
		p->m = m;
		p->have = 1;
	}
}

/* A partition whose records reach the consumer's queue or our own, both
 * of which wake us through fd. */
static void
kafka_watch(rd_kafka_queue_t *q)
{
	rd_kafka_queue_io_event_enable(q, K.fd, "k", 1);
}

static void
kafka_member_info(void)
{
	char list[4096];
	size_t n = 0;
	uint32_t i;

	if (!K.o->member_info)
		return;
	list[0] = '\0';
	for (i = 0; i < K.n && n < sizeof(list) - 16; i++)
		if (K.parts[i].held)
			n += (size_t)snprintf(list + n, sizeof(list) - n, " %u",
			    i);
	warnx("group %s: member %ld holds partitions:%s", K.o->group,
	    (long)getpid(), n ? list : " none");
}

/*
 * Commit the positions of the partitions in which (NULL: those held).
 * written and exit commit the next offset to read; pending leaves the
 * committed offset alone (or sets the one this run started at, when there
 * was none) and records the position in the commit's metadata for
 * mlog-offset commit.
 */
static int
kafka_commit(const uint8_t *which, int final)
{
	struct kpart *p;
	uint32_t i;
	int any = 0, e;

	for (i = 0; i < K.n; i++) {
		p = &K.parts[i];
		K.which[i] = (which != NULL ? which[i] : p->held) &&
		    p->pos >= 0;
		if (!K.which[i])
			continue;
		any = 1;
		if (K.o->commit == COMMIT_PENDING) {
			K.pos[i].offset = p->base >= 0 ? p->base : p->first;
			K.pos[i].pending = p->pos;
		} else {
			K.pos[i].offset = p->pos;
			K.pos[i].pending = -1;
		}
	}
	if (!any || (K.o->commit != COMMIT_WRITTEN && !final))
		return 0;
	if (mlog_kafka_commit(K.k, K.pos, K.which) < 0) {
		e = errno;
		snprintf(K.err, sizeof(K.err), "%s: group %s: commit: %s",
		    K.o->url, K.o->group, mlog_kafka_strerror());
		errno = e;
		return -1;
	}
	for (i = 0; i < K.n; i++)
		if (K.which[i] && K.o->commit != COMMIT_PENDING)
			K.parts[i].base = K.pos[i].offset;
	K.uncommitted = 0;
	K.lastcommit = mlog_now_us();
	return 0;
}

/* A commit of -m written while records flow: one the broker refuses in a
 * rebalance is tried again a second later. */
static void
kafka_commit_now(void)
{
	if (kafka_commit(NULL, 0) == 0)
		return;
	if (errno != EBUSY)
		kafka_fail("%s", K.err);
	K.err[0] = '\0';
	K.lastcommit = mlog_now_us();
}

static void kafka_serve(int *);

/* The commit at a clean exit: one refused in a rebalance is tried again
 * once the rebalance is over, within the timeout, for the partitions this
 * member still holds. */
static void
kafka_commit_final(int *down)
{
	int64_t deadline = mlog_now_us() + K.o->timeout;

	while (kafka_commit(NULL, 1) < 0) {
		if (errno != EBUSY || mlog_now_us() >= deadline)
			kafka_fail("%s", K.err);
		K.err[0] = '\0';
		wait_for_input(T.wakefd, 100);
		kafka_serve(down);
	}
}

/* Where each assigned partition starts: where this run stopped reading it
 * when nobody committed since, else the committed offset, else -o. */
static int
kafka_assigned(rd_kafka_topic_partition_list_t *parts)
{
	const struct ktail *o = K.o;
	struct kpart *p;
	int64_t lo, hi, c, start;
	int i;

	if (mlog_kafka_committed(K.k, K.pos) < 0) {
		snprintf(K.err, sizeof(K.err), "%s: group %s: %s", o->url,
		    o->group, mlog_kafka_strerror());
		return -1;
	}
	for (i = 0; i < parts->cnt; i++) {
		if (strcmp(parts->elems[i].topic, mlog_kafka_topic(K.k)) != 0 ||
		    parts->elems[i].partition < 0 ||
		    (uint32_t)parts->elems[i].partition >= K.n)
			continue;
		p = &K.parts[parts->elems[i].partition];
		if (mlog_kafka_watermarks(K.k, p->id, &lo, &hi) < 0) {
			snprintf(K.err, sizeof(K.err), "%s: partition %u: %s",
			    o->url, p->id, mlog_kafka_strerror());
			return -1;
		}
		c = K.pos[p->id].offset;
		if (p->pos >= 0 && c == p->base)
			start = p->pos;
		else if (c >= 0) {
			start = c;
			if (c < lo) {
				warnx("%s: partition %u: committed offset %"
				    PRId64 " is before the log start %" PRId64
				    "; %" PRId64 " records were missed",
				    o->group, p->id, c, lo, lo - c);
				start = lo;
			} else if (c > hi)
				start = hi;
		} else if ((start = kafka_start_offset(o, p->id, lo,
		    hi)) < 0)
			return -1;
		else
			p->first = start;
		p->base = c;
		p->pos = start;
		p->end = o->snap || !o->follow ? hi : INT64_MAX;
		if (o->until_off < (uint64_t)p->end)
			p->end = (int64_t)o->until_off;
		p->done = start >= p->end;
		p->have = 0;
		parts->elems[i].offset = start;
	}
	return 0;
}

/* librdkafka's rebalance callback, run from rd_kafka_consumer_poll(). */
static void
kafka_rebalance(void *arg, int err, rd_kafka_topic_partition_list_t *parts)
{
	rd_kafka_t *rk = mlog_kafka_handle(K.k);
	rd_kafka_error_t *e = NULL;
	rd_kafka_resp_err_t re = 0;
	struct kpart *p;
	int i, coop, assign = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;

	(void)arg;
	coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
	if (assign && !K.closing && kafka_assigned(parts) < 0)
		K.closing = 1;
	if (!assign && !K.closing) {
		/* positions go with the partitions; for exit and pending,
		 * they stay with us in case the partitions come back */
		for (i = 0; i < (int)K.n; i++)
			K.which[i] = 0;
		for (i = 0; i < parts->cnt; i++)
			if (parts->elems[i].partition >= 0 &&
			    (uint32_t)parts->elems[i].partition < K.n)
				K.which[parts->elems[i].partition] = 1;
		if (T.out.buf != NULL && mlog_out_flush(&T.out) < 0)
			K.closing = 1;
		else if (kafka_commit(K.which, 0) < 0) {
			/* a broker may refuse commits once the rebalance
			 * began: the next holder reads them again */
			warnx("%s; the partitions' next reader starts at their "
			    "last commit", K.err);
			K.err[0] = '\0';
		}
	}
	if (coop)
		e = assign ? rd_kafka_incremental_assign(rk, parts) :
		    rd_kafka_incremental_unassign(rk, parts);
	else
		re = rd_kafka_assign(rk, assign ? parts : NULL);
	if ((e != NULL || re != 0) && K.err[0] == '\0')
		snprintf(K.err, sizeof(K.err), "%s: group %s: %s",
		    K.o->url, K.o->group, e != NULL ? rd_kafka_error_string(e) :
		    rd_kafka_err2str(re));
	if (e != NULL)
		rd_kafka_error_destroy(e);
	for (i = 0; i < parts->cnt; i++) {
		if (parts->elems[i].partition < 0 ||
		    (uint32_t)parts->elems[i].partition >= K.n)
			continue;
		p = &K.parts[parts->elems[i].partition];
		kafka_drop(p);
		p->held = assign && !K.closing;
		if (!p->held)
			continue;
		/* the partition's records come to its own queue */
		if ((p->q = rd_kafka_queue_get_partition(rk,
		    mlog_kafka_topic(K.k), (int32_t)p->id)) == NULL) {
			snprintf(K.err, sizeof(K.err), "%s: partition %u: no "
			    "queue", K.o->url, p->id);
			continue;
		}
		rd_kafka_queue_forward(p->q, NULL);
		kafka_watch(p->q);
	}
	if (assign)
		K.assigned = 1;
	K.awaiting = !assign && !coop;
	if (!K.closing)
		kafka_member_info();
}

static int
kafka_holds(void)
{
	uint32_t i;

	for (i = 0; i < K.n; i++)
		if (K.parts[i].held)
			return 1;
	return 0;
}

/* A failure writing the output: a group member leaves its group, with
 * nothing more committed. */
static void
kafka_abandon(void)
{
	if (K.k != NULL)
		kafka_release();
}

/* Serve the consumer's queue: rebalances, errors, and records that came
 * before their partition's queue was cut from it. */
static void
kafka_serve(int *down)
{
	rd_kafka_t *rk = mlog_kafka_handle(K.k);
	rd_kafka_message_t *m;
	struct kpart *p;
	size_t cap;
	void *v;

	while ((m = rd_kafka_consumer_poll(rk, 0)) != NULL) {
		if (m->err != 0 && m->rkt == NULL) {
			if (m->err == RD_KAFKA_RESP_ERR__TRANSPORT ||
			    m->err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
				*down = 1;
			else if (K.err[0] == '\0')
				snprintf(K.err, sizeof(K.err), "%s: group %s: "
				    "%s", K.o->url, K.o->group,
				    rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			continue;
		}
		if (m->partition < 0 || (uint32_t)m->partition >= K.n ||
		    !K.parts[m->partition].held) {
			rd_kafka_message_destroy(m);
			continue;
		}
		p = &K.parts[m->partition];
		if (p->nstash == p->capstash) {
			cap = p->capstash ? p->capstash * 2 : 16;
			if ((v = reallocarray(p->stash, cap,
			    sizeof(*p->stash))) == NULL)
				err(1, NULL);
			p->stash = v;
			p->capstash = cap;
		}
		p->stash[p->nstash++] = m;
	}
	if (K.err[0] != '\0')
		kafka_fail("%s", K.err);
}

/* Open the topic; without a group, start each partition's simple
 * consumer where -o says. */
static void
kafka_start(const struct ktail *o)
{
	struct mlog_kafka_opts ko = { 0 };
	struct kpart *p;
	rd_kafka_t *rk;
	int64_t lo, hi, start;
	uint32_t i;
	int fds[2];

	K.o = o;
	ko.role = MLOG_KAFKA_CONSUMER;
	ko.timeout_us = o->timeout;
	ko.props = o->props;
	ko.group = o->group;
	ko.rebalance = o->group != NULL ? kafka_rebalance : NULL;
	if ((K.k = mlog_kafka_open(o->url, &ko)) == NULL)
		errx(errno == EINVAL ? 2 : 1, "%s: %s", o->url,
		    mlog_kafka_strerror());
	rk = mlog_kafka_handle(K.k);
	if (o->part >= (int64_t)(i = mlog_kafka_partitions(K.k))) {
		kafka_release();
		errx(2, "--partition: %" PRId64 " is out of range (the log "
		    "has %u partition%s)", o->part, i, i == 1 ? "" : "s");
	}
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0)
		err(1, "pipe");
	K.fd = fds[1];
	T.wakefd = fds[0];
	if ((K.parts = calloc(i, sizeof(*K.parts))) == NULL ||
	    (K.pos = calloc(i, sizeof(*K.pos))) == NULL ||
	    (K.which = calloc(i, 1)) == NULL)
		err(1, NULL);
	K.n = i;
	for (i = 0; i < K.n; i++) {
		p = &K.parts[i];
		p->id = i;
		p->pos = p->base = p->first = -1;
	}
	if (o->group != NULL) {
		K.mainq = rd_kafka_queue_get_consumer(rk);
		kafka_watch(K.mainq);
		if (mlog_kafka_subscribe(K.k) < 0)
			kafka_fail("%s: group %s: %s", o->url, o->group,
			    mlog_kafka_strerror());
		return;
	}
	for (i = 0; i < K.n; i++) {
		p = &K.parts[i];
		p->done = o->part >= 0 && (int64_t)i != o->part;
		if (p->done)
			continue;
		if (mlog_kafka_watermarks(K.k, i, &lo, &hi) < 0)
			kafka_fail("%s: partition %u: %s", o->url, i,
			    mlog_kafka_strerror());
		if ((start = kafka_start_offset(o, i, lo, hi)) < 0)
			kafka_fail("%s", K.err);
		p->end = o->snap || !o->follow ? hi : INT64_MAX;
		if (o->until_off < (uint64_t)p->end)
			p->end = (int64_t)o->until_off;
		if (start >= p->end) {
			p->done = 1;
			continue;
		}
		/* no group: librdkafka's simple consumer, a queue per
		 * partition */
		if ((p->q = rd_kafka_queue_new(rk)) == NULL)
			err(1, NULL);
		kafka_watch(p->q);
		if (rd_kafka_consume_start_queue(mlog_kafka_topic_handle(
		    K.k), (int32_t)i, start, p->q) < 0)
			kafka_fail("%s: partition %u: %s", o->url, i,
			    rd_kafka_err2str(rd_kafka_last_error()));
		p->started = 1;
	}
	K.mainq = rd_kafka_queue_get_main(rk);
	kafka_watch(K.mainq);
}

/*
 * mlog-tail on a kafka:// topic.  Without a group the positions come from
 * -o; with -g from the group's commits, for the partitions the group
 * assigns this member.  Without -f it stops at the high watermarks read at
 * start or at assignment (as -e does), so that it never waits for records
 * that will not come.  The brokers going away ends a run after the
 * timeout.
 */
static int
tail_kafka(const struct ktail *o)
{
	struct kpart *p, *best;
	rd_kafka_t *rk;
	uint64_t emitted = 0;
	int64_t now, deadline;
	uint32_t i;
	int down = 0, waiting, idle;
	char drain[64];

	kafka_start(o);
	rk = mlog_kafka_handle(K.k);
	deadline = mlog_now_us() + o->timeout;
	while (!stop_sig) {
		best = NULL;
		waiting = 0;
		if (o->group != NULL)
			kafka_serve(&down);
		else
			rd_kafka_poll(rk, 0);
		if (mlog_kafka_broker_down(K.k))
			down = 1;
		for (i = 0; i < K.n; i++) {
			p = &K.parts[i];
			if (o->group != NULL && !p->held)
				continue;
			kafka_take(o, p, &down);
			if (p->done)
				continue;
			if (!p->have) {
				waiting = 1;
				continue;
			}
			if (best == NULL || p->rec.timestamp <
			    best->rec.timestamp)
				best = p;
		}
		/* with known ends, every partition's next record is in before
		 * the merge picks one, so that the order does not depend on
		 * when they arrived */
		if (best != NULL && (!waiting || (o->follow && !o->snap))) {
			put_record(&best->rec);
			best->pos = (int64_t)best->rec.offset + 1;
			rd_kafka_message_destroy(best->m);
			best->m = NULL;
			best->have = 0;
			if (best->pos >= best->end)
				best->done = 1;
			deadline = mlog_now_us() + o->timeout;
			down = 0;
			K.uncommitted = 1;
			if (++emitted == o->count)
				break;
			if (o->group != NULL && K.uncommitted &&
			    mlog_now_us() - K.lastcommit >= COMMIT_EVERY_US) {
				flush_out();
				kafka_commit_now();
			}
			continue;
		}
		/* the end: every partition read to its end, and with -g, an
		 * assignment in and not revoked since */
		idle = best == NULL && !waiting;
		if (idle && (o->group == NULL || (K.assigned && !K.awaiting &&
		    (!o->follow || o->snap || kafka_holds()))))
			break;
		now = mlog_now_us();
		if (down) {
			/* librdkafka lost every broker: see whether one
			 * answers within the timeout */
			down = 0;
			if (mlog_kafka_probe(K.k) < 0)
				kafka_fail("%s: lost the brokers: %s", o->url,
				    mlog_kafka_strerror());
			deadline = mlog_now_us() + o->timeout;
			continue;
		}
		if ((!o->follow || o->snap) && now >= deadline) {
			if (o->group != NULL && (!K.assigned || K.awaiting))
				kafka_fail("%s: group %s: no partitions were "
				    "assigned within the timeout (%" PRId64
				    " ms)", o->url, o->group,
				    o->timeout / 1000);
			kafka_fail("%s: records up to the end did not "
			    "arrive within the timeout (%" PRId64 " ms)",
			    o->url, o->timeout / 1000);
		}
		flush_out();
		if (o->group != NULL && K.uncommitted &&
		    mlog_now_us() - K.lastcommit >= COMMIT_EVERY_US)
			kafka_commit_now();
		/* librdkafka writes to the pipe when a queue gets something;
		 * the timeout is only a safety net */
		wait_for_input(T.wakefd, !o->follow || o->snap ?
		    (int)((deadline - now + 999) / 1000) : 1000);
		while (read(T.wakefd, drain, sizeof(drain)) > 0)
			;
	}
	flush_out();
	if (o->group != NULL)
		kafka_commit_final(&down);
	kafka_release();
	close(T.wakefd);
	close(K.fd);
	return 0;
}

int
main(int argc, char *argv[])
{
	const char *why;
	static const struct option longopts[] = {
		{ "null",		no_argument,		NULL, '0' },
		{ "count",		required_argument,	NULL, 'c' },
		{ "exit",		no_argument,		NULL, 'e' },
		{ "format",		required_argument,	NULL, 'F' },
		{ "follow",		no_argument,		NULL, 'f' },
		{ "group",		required_argument,	NULL, 'g' },
		{ "help",		no_argument,		NULL, 'h' },
		{ "json",		no_argument,		NULL, 'J' },
		{ "commit",		required_argument,	NULL, 'm' },
		{ "member-info",	no_argument,		NULL, 'M' },
		{ "lines",		required_argument,	NULL, 'n' },
		{ "offset",		required_argument,	NULL, 'o' },
		{ "partition",		required_argument,	NULL, 'p' },
		{ "offset-file",	required_argument,	NULL, 'S' },
		{ "until",		required_argument,	NULL, 'u' },
		{ "strict",		no_argument,		NULL, O_STRICT },
		{ "property",		required_argument,	NULL, 'X' },
		{ "kafka-config",	required_argument,	NULL, O_KAFKA_CONFIG },
		{ "timeout",		required_argument,	NULL, O_TIMEOUT },
		{ NULL,			0,			NULL, 0 }
	};
	struct mlog_kafka_props props = { NULL, 0, 0 };
	struct ktail kt;
	const char *kafkaopt = NULL, *fileopt = NULL;
	int64_t timeout = 10 * 1000000LL;
	char msg[128];
	struct mlog_watch *watch = NULL;
	struct stat st;
	struct part *p, *best;
	const char *errstr, *group = NULL, *ofile = NULL;
	uint64_t count = 0, emitted = 0, until_off = UINT64_MAX, skip = 0;
	int64_t sv = 0, lines = -1, until_ts = INT64_MAX, part = -1, now;
	uint32_t i;
	int c, rc, follow = 0, snap = 0, kind = 'b', any, have_o = 0;

	T.term = '\n';
	T.mode = OUT_VALUE;
	T.commit = COMMIT_WRITTEN;
	while ((c = getopt_long(argc, argv, "0c:eF:fg:hJMm:n:o:p:S:u:X:",
	    longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
		case 'S':
		case O_STRICT:
			fileopt = c == 'n' ? "-n" : c == 'S' ? "-S" :
			    "--strict";
			break;
		case 'X':
		case O_KAFKA_CONFIG:
		case O_TIMEOUT:
			kafkaopt = c == 'X' ? "-X" : c == O_TIMEOUT ?
			    "--timeout" : "--kafka-config";
			break;
		}
		switch (c) {
		case '0':
			T.term = '\0';
			break;
		case 'c':
			count = (uint64_t)strtonum(optarg, 1, INT64_MAX, &errstr);
			if (errstr != NULL) {
				warnx("--count: %s: %s", errstr, optarg);
				usage();
			}
			break;
		case 'e':
			snap = 1;
			break;
		case O_STRICT:
			T.strict = 1;
			break;
		case 'F':
			if (!valid_format(optarg))
				usage();
			T.format = optarg;
			T.mode = OUT_FORMAT;
			break;
		case 'f':
			follow = 1;
			break;
		case 'g':
			if (!mlog_group_name_valid(optarg)) {
				warnx("--group: invalid name (%s): %s",
				    MLOG_GROUP_NAME_RULES, optarg);
				usage();
			}
			group = optarg;
			break;
		case 'h':
			help();
		case 'J':
			T.mode = OUT_JSON;
			break;
		case 'm':
			if (strcmp(optarg, "written") == 0)
				T.commit = COMMIT_WRITTEN;
			else if (strcmp(optarg, "exit") == 0)
				T.commit = COMMIT_EXIT;
			else if (strcmp(optarg, "pending") == 0)
				T.commit = COMMIT_PENDING;
			else {
				warnx("--commit: expected written, exit or "
				    "pending: %s", optarg);
				usage();
			}
			break;
		case 'M':
			T.member_info = 1;
			break;
		case 'n':
			lines = strtonum(optarg, 0, INT64_MAX, &errstr);
			if (errstr != NULL) {
				warnx("--lines: %s: %s", errstr, optarg);
				usage();
			}
			break;
		case 'o':
			parse_start(optarg, &kind, &sv);
			have_o = 1;
			break;
		case 'p':
			part = strtonum(optarg, 0, MLOG_PARTITIONS_MAX - 1,
			    &errstr);
			if (errstr != NULL) {
				warnx("--partition: %s: %s", errstr, optarg);
				usage();
			}
			break;
		case 'S':
			ofile = optarg;
			break;
		case 'X':
		case O_KAFKA_CONFIG:
		case O_TIMEOUT:
			if ((rc = mlog_kafka_option(&props, c == 'X' ? "-X" :
			    c == O_TIMEOUT ? "--timeout" : "--kafka-config",
			    optarg, &timeout, msg, sizeof(msg))) != 0) {
				warnx("%s", msg);
				if (rc == MLOG_KAFKA_OPT_USAGE)
					usage();
				exit(rc);
			}
			break;
		case 'u':
			if (optarg[0] == '@') {
				if (mlog_time_parse(optarg + 1, mlog_now_us(),
				    &until_ts) < 0) {
					warnx("--until: bad time: %s", optarg + 1);
					usage();
				}
			} else {
				until_off = (uint64_t)strtonum(optarg, 0,
				    INT64_MAX, &errstr);
				if (errstr != NULL) {
					warnx("--until: expected OFFSET or "
					    "@TIME: %s", optarg);
					usage();
				}
			}
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage();
	if (group != NULL && ofile != NULL) {
		warnx("-g and -S cannot be used together");
		usage();
	}
	if (lines >= 0 && have_o) {
		warnx("-n and -o cannot be used together");
		usage();
	}
	if (mlog_log_is_kafka(argv[0])) {
		if (group != NULL && part >= 0) {
			warnx("-p cannot be used with -g on kafka://: the "
			    "group assigns the partitions");
			usage();
		}
		if (group == NULL && (T.member_info ||
		    T.commit != COMMIT_WRITTEN)) {
			warnx("%s: only with -g", T.member_info ? "-M" : "-m");
			usage();
		}
		if (fileopt != NULL) {
			warnx("%s: only for a file log, not kafka://",
			    fileopt);
			usage();
		}
		T.tty = isatty(1);
		if (mlog_out_init(&T.out, 1, 128 * 1024) < 0)
			err(1, NULL);
		catch_signals();
		memset(&kt, 0, sizeof(kt));
		kt.url = argv[0];
		kt.props = &props;
		kt.timeout = timeout;
		kt.part = part;
		kt.kind = kind;
		kt.sv = sv;
		kt.follow = follow;
		kt.snap = snap;
		kt.count = count;
		kt.until_off = until_off;
		kt.until_ts = until_ts;
		kt.group = group;
		kt.commit = T.commit;
		kt.member_info = T.member_info;
		tail_kafka(&kt);
		mlog_kafka_props_free(&props);
		return 0;
	}
	if (kafkaopt != NULL) {
		warnx("%s: only for a kafka:// log", kafkaopt);
		usage();
	}

	if (stat(argv[0], &st) == 0 && S_ISREG(st.st_mode)) {
		if (T.mode != OUT_VALUE || lines >= 0 || part >= 0 ||
		    until_off != UINT64_MAX || until_ts != INT64_MAX ||
		    T.member_info || (have_o && kind != 'b' && kind != 'e') ||
		    T.commit == COMMIT_PENDING) {
			warnx("%s: a plain file takes only -0, -c, -e, -f, -g, "
			    "-m written|exit, -S and -o beginning|end", argv[0]);
			usage();
		}
		T.tty = isatty(1);
		if (mlog_out_init(&T.out, 1, 128 * 1024) < 0)
			err(1, NULL);
		catch_signals();
		return tail_file(argv[0], group, ofile, follow && !snap,
		    kind == 'e', count);
	}
	if ((T.log = mlog_log_open(argv[0], 0, NULL)) == NULL)
		errx(1, "%s: %s", argv[0], mlog_strerror(errno));
	if ((why = mlog_log_exposure(argv[0])) != NULL)
		warnx("%s: warning: log directory %s", argv[0], why);
	if (part >= (int64_t)T.log->partitions)
		errx(2, "--partition: %" PRId64 " is out of range (the log has "
		    "%u partition%s)", part, T.log->partitions,
		    T.log->partitions == 1 ? "" : "s");
	T.tty = isatty(1);
	if (mlog_out_init(&T.out, 1, 128 * 1024) < 0 ||
	    (T.offs = calloc(T.log->partitions, sizeof(*T.offs))) == NULL ||
	    (T.tmp = calloc(T.log->partitions, sizeof(*T.tmp))) == NULL)
		err(1, NULL);
	if (group != NULL || ofile != NULL) {
		T.storename = group != NULL ? group : ofile;
		if ((group != NULL ? mlog_offsets_group(T.log, group, 1,
		    &T.store) : mlog_offsets_file(ofile, &T.store)) < 0)
			err(1, "%s", T.storename);
		T.have_store = 1;
		if (mlog_offsets_load(&T.store, 0, T.offs,
		    T.log->partitions) < 0)
			errx(1, "%s: %s", T.storename, errno == EBADMSG ?
			    "not an mlog offsets file" : strerror(errno));
	} else
		for (i = 0; i < T.log->partitions; i++)
			T.offs[i] = MLOG_OFFSET_NONE;

	T.nparts = T.log->partitions;
	T.kind = kind;
	T.sv = sv;
	T.lines = lines;
	T.snap = snap;
	if ((T.parts = calloc(T.nparts, sizeof(*T.parts))) == NULL ||
	    (T.eligible = calloc(T.nparts, 1)) == NULL ||
	    (T.take = calloc(T.nparts, 1)) == NULL ||
	    (T.drop = calloc(T.nparts, 1)) == NULL)
		err(1, NULL);
	for (i = 0; i < T.nparts; i++) {
		T.parts[i].id = i;
		T.parts[i].pos = MLOG_OFFSET_NONE;
		T.eligible[i] = part < 0 || (int64_t)i == part;
	}
	if (group != NULL) {
		if ((T.member = mlog_member_join(T.log, group)) == NULL)
			err(1, "%s: join", group);
		rebalance(1);
	} else
		for (i = 0; i < T.nparts; i++)
			if (T.eligible[i])
				activate(&T.parts[i], 1);
	skip = T.skip;
	if (lines >= 0)
		skip = skip > (uint64_t)lines ? skip - (uint64_t)lines : 0;

	catch_signals();
	if (follow && (watch = T.watch = mlog_watch_open(T.log)) == NULL)
		err(1, "%s: inotify", T.log->path);
	T.lastcommit = mlog_now_us();

	while (!stop_sig) {
		best = NULL;
		any = 0;
		for (i = 0; i < T.nparts; i++) {
			p = &T.parts[i];
			if (!p->active)
				continue;
			if (!fill(p, follow, until_off, until_ts)) {
				any |= !p->done;
				continue;
			}
			any = 1;
			if (best == NULL || p->rec.timestamp <
			    best->rec.timestamp)
				best = p;
		}
		if (best == NULL) {
			/* a member out of work looks for partitions first */
			if (T.member != NULL && (!follow || mlog_now_us() -
			    T.lastbalance >= BALANCE_EVERY_US) && rebalance(0))
				continue;
			if (!follow && awaiting_handover()) {
				wait_for_input(-1, BALANCE_EVERY_US / 1000);
				continue;
			}
			if (!follow || (!any && T.member == NULL))
				break;
			wait_change(watch);
			continue;
		}
		best->have = 0;
		if (skip > 0) {
			skip--;
			best->pos = (int64_t)best->rec.offset + 1;
			continue;
		}
		emit(best);
		if (++emitted == count)
			break;
		/* the clock is read every 1024 records: it is not free */
		if ((emitted & 1023) == 0 && (T.have_store || T.member) &&
		    (now = mlog_now_us()) != 0) {
			if (T.commit == COMMIT_WRITTEN &&
			    now - T.lastcommit >= COMMIT_EVERY_US) {
				flush_out();
				commit(0);
			}
			if (T.member != NULL &&
			    now - T.lastbalance >= BALANCE_EVERY_US)
				rebalance(0);
		}
	}
	flush_out();
	commit(1);
	mlog_member_leave(T.member);
	T.member = NULL;
	for (i = 0; i < T.nparts; i++)
		if (T.parts[i].r != NULL && mlog_reader_torn(T.parts[i].r) > 0)
			warnx("%s: partition %u: ignored a torn tail of %" PRIu64
			    " bytes (the next mlog-append cuts it)",
			    T.log->path, T.parts[i].id,
			    mlog_reader_torn(T.parts[i].r));
	return 0;
}

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

#include <librdkafka/rdkafka.h>

#include "mlog.h"

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

static _Noreturn void
out_fail(void)
{
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
};

static struct mlog_kafka *kafka_k;
static rd_kafka_queue_t *kafka_mainq;
static struct kpart *kafka_parts;
static uint32_t kafka_nparts;

/* Everything librdkafka holds must go before the handle does. */
static void
kafka_release(void)
{
	uint32_t i;

	for (i = 0; i < kafka_nparts; i++) {
		if (kafka_parts[i].started)
			rd_kafka_consume_stop(mlog_kafka_topic_handle(kafka_k),
			    (int32_t)i);
		if (kafka_parts[i].m != NULL)
			rd_kafka_message_destroy(kafka_parts[i].m);
		if (kafka_parts[i].q != NULL)
			rd_kafka_queue_destroy(kafka_parts[i].q);
	}
	free(kafka_parts);
	kafka_parts = NULL;
	if (kafka_mainq != NULL)
		rd_kafka_queue_destroy(kafka_mainq);
	kafka_mainq = NULL;
	kafka_nparts = 0;
	mlog_kafka_close(kafka_k);
	kafka_k = NULL;
}

static _Noreturn void __attribute__((format(printf, 1, 2)))
kafka_fail(const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	flush_out();
	kafka_release();
	errx(1, "%s", msg);
}

/* The first offset to read of partition id, from -o. */
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
		if (mlog_kafka_offset_for_time(kafka_k, id, o->sv, &off) < 0)
			kafka_fail("%s: partition %u: %s", o->url, id,
			    mlog_kafka_strerror());
		return off < lo ? lo : off;
	default:
		/* an offset outside the partition starts at its nearer end */
		return o->sv < lo ? lo : o->sv > hi ? hi : o->sv;
	}
}

/* Take the next message of p's queue, if one is there; errors that
 * librdkafka recovers from by itself are noted, others end the run. */
static void
kafka_take(const struct ktail *o, struct kpart *p, int *down)
{
	rd_kafka_message_t *m;
	rd_kafka_resp_err_t e;

	while (!p->have && !p->done &&
	    (m = rd_kafka_consume_queue(p->q, 0)) != NULL) {
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

/*
 * mlog-tail on a kafka:// topic, without a consumer group: the positions
 * come from -o; without -f it stops at the high watermarks read at start
 * (as -e does), so that it never waits for records that will not come.
 * The brokers going away ends a run with -f after the timeout.
 */
static int
tail_kafka(const struct ktail *o)
{
	struct mlog_kafka_opts ko = { 0 };
	struct kpart *p, *best;
	rd_kafka_t *rk;
	uint64_t emitted = 0;
	int64_t lo, hi, start, now, deadline;
	uint32_t i, n;
	int fds[2], down = 0, waiting;
	char drain[64];

	ko.role = MLOG_KAFKA_CONSUMER;
	ko.timeout_us = o->timeout;
	ko.props = o->props;
	if ((kafka_k = mlog_kafka_open(o->url, &ko)) == NULL)
		errx(errno == EINVAL ? 2 : 1, "%s: %s", o->url,
		    mlog_kafka_strerror());
	rk = mlog_kafka_handle(kafka_k);
	n = mlog_kafka_partitions(kafka_k);
	if (o->part >= (int64_t)n) {
		kafka_release();
		errx(2, "--partition: %" PRId64 " is out of range (the log "
		    "has %u partition%s)", o->part, n, n == 1 ? "" : "s");
	}
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0)
		err(1, "pipe");
	if ((kafka_parts = calloc(n, sizeof(*kafka_parts))) == NULL)
		err(1, NULL);
	kafka_nparts = n;
	for (i = 0; i < n; i++) {
		p = &kafka_parts[i];
		p->id = i;
		p->done = o->part >= 0 && (int64_t)i != o->part;
		if (p->done)
			continue;
		if (mlog_kafka_watermarks(kafka_k, i, &lo, &hi) < 0)
			kafka_fail("%s: partition %u: %s", o->url, i,
			    mlog_kafka_strerror());
		start = kafka_start_offset(o, i, lo, hi);
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
		rd_kafka_queue_io_event_enable(p->q, fds[1], "p", 1);
		if (rd_kafka_consume_start_queue(mlog_kafka_topic_handle(
		    kafka_k), (int32_t)i, start, p->q) < 0)
			kafka_fail("%s: partition %u: %s", o->url, i,
			    rd_kafka_err2str(rd_kafka_last_error()));
		p->started = 1;
	}
	kafka_mainq = rd_kafka_queue_get_main(rk);
	rd_kafka_queue_io_event_enable(kafka_mainq, fds[1], "m", 1);

	deadline = mlog_now_us() + o->timeout;
	while (!stop_sig) {
		best = NULL;
		waiting = 0;
		rd_kafka_poll(rk, 0);
		if (mlog_kafka_broker_down(kafka_k))
			down = 1;
		for (i = 0; i < n; i++) {
			p = &kafka_parts[i];
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
			rd_kafka_message_destroy(best->m);
			best->m = NULL;
			best->have = 0;
			if (best->rec.offset + 1 >= (uint64_t)best->end)
				best->done = 1;
			deadline = mlog_now_us() + o->timeout;
			down = 0;
			if (++emitted == o->count)
				break;
			continue;
		}
		if (best == NULL && !waiting)
			break;
		now = mlog_now_us();
		if (down) {
			/* librdkafka lost every broker: see whether one
			 * answers within the timeout */
			down = 0;
			if (mlog_kafka_probe(kafka_k) < 0)
				kafka_fail("%s: lost the brokers: %s", o->url,
				    mlog_kafka_strerror());
			deadline = mlog_now_us() + o->timeout;
			continue;
		}
		if (!o->follow || o->snap) {
			if (now >= deadline)
				kafka_fail("%s: records up to the end did not "
				    "arrive within the timeout (%" PRId64
				    " ms)", o->url, o->timeout / 1000);
		}
		flush_out();
		/* librdkafka writes to the pipe when a queue gets something;
		 * the second is only a safety net */
		wait_for_input(fds[0], !o->follow || o->snap ?
		    (int)((deadline - now + 999) / 1000) : 1000);
		while (read(fds[0], drain, sizeof(drain)) > 0)
			;
	}
	flush_out();
	kafka_release();
	close(fds[0]);
	close(fds[1]);
	return 0;
}

int
main(int argc, char *argv[])
{
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
		case 'm':
		case 'M':
		case 'n':
		case 'S':
		case O_STRICT:
			fileopt = c == 'm' ? "-m" : c == 'M' ? "-M" :
			    c == 'n' ? "-n" : c == 'S' ? "-S" : "--strict";
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
		if (group != NULL) {
			warnx("-g: consumer groups on kafka:// are not yet "
			    "supported");
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

/*
 * mlog-append: append records read from standard input to a log.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlog.h"
#include "rdk.h"

#define READ_SIZE	(1024 * 1024)
#define BATCH_BYTES	(1024 * 1024)	/* all partitions together */
#define DEF_MAX_RECORD	(1024 * 1024)

/* kafka://: records stay in flight, delivery reports pending, up to these
 * limits: the producer never waits for a batch to be acknowledged before
 * sending the next, and after a failure at most this much was sent. */
#define KRING		(1u << 17)	/* records */
#define KWINDOW		(16 * 1024 * 1024) /* bytes */

/* A record handed to librdkafka, until its delivery report. */
struct kres {
	int32_t			 partition;
	int64_t			 offset;
	rd_kafka_resp_err_t	 err;
	int			 done;
	size_t			 size;
};

struct batch {
	unsigned char	*buf;
	size_t		 len, cap, nrec;
	uint64_t	 first;		/* offset of its first record, once written */
	int		 ok;
};

static struct {
	struct mlog_log		*log;
	struct mlog_writer	*w;
	struct batch		*b;
	uint32_t		*order;		/* partition of each pending record */
	size_t			 norder, ordercap;
	uint64_t		 firstline;	/* input line of order[0] */
	size_t			 pending;	/* bytes pending in all batches */
	uint32_t		 sticky;	/* partition of unkeyed records */
	int			 print;
	struct mlog_out		 out;
	unsigned char		*in;		/* input buffer */
	unsigned char		*scratch;	/* decoded envelope fields */
	enum mlog_fsync		 fsync;
	int64_t			 interval, lastsync;
	int64_t			 now;		/* append time of this input chunk */
	/* how input lines become records */
	int			 sep, json;
	const char		*delim;
	size_t			 dlen;
	int64_t			 fixed;
	uint64_t		 maxrec, lineno;
	size_t			 scap;
	int			 dirty;
	uint32_t		 nparts;
	/* kafka:// */
	const char		*url;
	struct mlog_kafka	*k;
	rd_kafka_t		*rk;
	struct kres		*kr;	/* a ring of KRING records in flight */
	uint64_t		 khead, ktail;	/* first unreported; next */
	size_t			 kbytes;	/* in flight */
	int			 kfailed;
} A;

#define KR(seq)	(&A.kr[(seq) & (KRING - 1)])

static volatile sig_atomic_t stop_sig;

static _Noreturn void bad_line(uint64_t, const char *, ...)
    __attribute__((format(printf, 2, 3)));

#define O_RETAIN_AGE	256	/* long options without a short form */
#define O_RETAIN_SIZE	257
#define O_KAFKA_CONFIG	258
#define O_TIMEOUT	259

static _Noreturn void
usage(void)
{
	fprintf(stderr,
"usage: mlog-append [-0JO] [-A age] [-K delim] [-m size] [-P partitions]\n"
"                   [-p partition] [-s size] [-X key=value] [-y mode]\n"
"                   [--kafka-config file] [--retain-age age]\n"
"                   [--retain-size size] [--timeout dur] log\n");
	exit(2);
}

static void
help(void)
{
	printf(
"usage: mlog-append [-0JO] [-A age] [-K delim] [-m size] [-P partitions]\n"
"                   [-p partition] [-s size] [-X key=value] [-y mode]\n"
"                   [--kafka-config file] [--retain-age age]\n"
"                   [--retain-size size] [--timeout dur] log\n"
"\n"
"Append the lines of standard input to LOG as records, creating LOG when\n"
"it does not exist.  LOG may be kafka://host:port[,host:port...]/topic.\n"
"\n"
"  -0, --null               records are separated by NUL bytes, not newlines\n"
"  -J, --json               read mlog-tail -J envelopes (key, value, timestamp,\n"
"                           partition), appending identical records\n"
"  -K, --key-delimiter=D    split each line at the first D into key and value\n"
"  -p, --partition=N        append to partition N (default: by key hash, or\n"
"                           round robin per batch for records without a key)\n"
"  -O, --print-offsets      print \"PARTITION OFFSET\" for each appended record\n"
"  -y, --fsync=MODE         never, interval[:DUR] (default interval:1s), always\n"
"  -m, --max-record=SIZE    longest accepted record (default 1M)\n"
"  -P, --partitions=N       partitions of a new log (default 1)\n"
"  -s, --segment-size=SIZE  roll segments at SIZE bytes (new log; default 128M)\n"
"  -A, --segment-age=DUR    roll segments older than DUR (new log; default 7d)\n"
"      --retain-age=DUR     at each roll, delete segments whose records are\n"
"                           all older than DUR (new log; default: keep)\n"
"      --retain-size=SIZE   at each roll, delete the oldest segments while\n"
"                           SIZE bytes per partition remain (new log)\n"
"  -X, --property=KEY=VALUE kafka://: set a librdkafka property\n"
"      --kafka-config=FILE  kafka://: read librdkafka properties from FILE\n"
"      --timeout=DUR        kafka://: wait for brokers at most DUR (default 10s)\n"
"  -h, --help               show this help\n"
"\n"
"See mlog-append(1).\n");
	exit(0);
}

static void
on_signal(int sig)
{
	stop_sig = sig;
}

static void
recovered(void *arg, const struct mlog_recovery *r)
{
	(void)arg;
	if (r->refused) {
		warnx("%s: partition %u: segment %020" PRIu64 " is damaged at "
		    "byte %" PRIu64 " and valid records follow: not cut; run "
		    "mlog-check --repair", A.log->path, r->partition,
		    r->segment, r->position);
		return;
	}
	warnx("%s: partition %u: cut a torn tail of %" PRIu64
	    " bytes (%" PRIu64 " incomplete record%s) at byte %" PRIu64
	    " of segment %020" PRIu64, A.log->path, r->partition, r->bytes,
	    r->records, r->records == 1 ? "" : "s", r->position, r->segment);
}

static void
out_fail(void)
{
	err(1, "stdout");
}

static void
sync_now(void)
{
	if (mlog_writer_sync(A.w) < 0)
		err(1, "%s: fsync", A.log->path);
	A.dirty = 0;
	A.lastsync = mlog_now_us();
}

/* A delivery report: where the record went, or why it did not. */
static void
delivered(void *arg, const struct rd_kafka_message_s *m)
{
	struct kres *r = KR((uintptr_t)m->_private);

	(void)arg;
	r->done = 1;
	r->err = m->err;
	r->partition = m->partition;
	r->offset = m->offset;
	if (m->err != 0)
		A.kfailed = 1;
}

/* Report the delivered records at the head of the ring, in input order,
 * up to the first that is not yet delivered or failed. */
static void
kafka_reap(void)
{
	struct kres *r;
	char line[48];
	int n;

	while (A.khead < A.ktail && (r = KR(A.khead))->done && r->err == 0) {
		if (A.print) {
			n = snprintf(line, sizeof(line), "%" PRId32 " %" PRId64
			    "\n", r->partition, r->offset);
			if (mlog_out_write(&A.out, line, (size_t)n) < 0)
				out_fail();
		}
		A.kbytes -= r->size;
		A.khead++;
		A.firstline++;
	}
}

/* Say which input lines were not appended, one message per reason, after
 * the offsets of those that were; every report is in. */
static _Noreturn void
kafka_failed(void)
{
	char list[512], line[48];
	uint64_t i, j, end;
	size_t n;
	rd_kafka_resp_err_t e;
	int seen, more;

	for (i = A.khead; A.print && i < A.ktail; i++) {
		if (KR(i)->err != 0)
			continue;
		n = (size_t)snprintf(line, sizeof(line), "%" PRId32 " %"
		    PRId64 "\n", KR(i)->partition, KR(i)->offset);
		if (mlog_out_write(&A.out, line, n) < 0)
			out_fail();
	}
	if (mlog_out_flush(&A.out) < 0)
		out_fail();
	for (i = A.khead; i < A.ktail; i++) {
		if (KR(i)->err == 0)
			continue;
		e = KR(i)->err;
		for (seen = 0, j = A.khead; j < i && !seen; j++)
			seen = KR(j)->err == e;
		if (seen)
			continue;
		n = 0;
		more = 0;
		list[0] = '\0';
		for (j = i; j < A.ktail; j = end + 1) {
			if (KR(j)->err != e) {
				end = j;
				continue;
			}
			for (end = j; end + 1 < A.ktail &&
			    KR(end + 1)->err == e; end++)
				;
			if (n > sizeof(list) - 64) {
				more = 1;
				break;
			}
			if (end == j)
				n += (size_t)snprintf(list + n, sizeof(list) - n,
				    "%s%" PRIu64, n ? ", " : "",
				    A.firstline + (j - A.khead));
			else
				n += (size_t)snprintf(list + n, sizeof(list) - n,
				    "%s%" PRIu64 "-%" PRIu64, n ? ", " : "",
				    A.firstline + (j - A.khead),
				    A.firstline + (end - A.khead));
		}
		warnx("%s: input line%s %s%s not appended: %s", A.url,
		    strpbrk(list, ",-") ? "s" : "", list, more ? ", ..." : "",
		    e == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT ||
		    e == RD_KAFKA_RESP_ERR__TIMED_OUT ?
		    "no delivery within the timeout" : rd_kafka_err2str(e));
	}
	errx(1, "%s: stopped after input line %" PRIu64, A.url,
	    A.firstline + (A.ktail - A.khead) - 1);
}

/* Wait for every delivery report; print offsets in input order; a failure
 * ends the run. */
static void
kafka_flush(void)
{
	uint64_t i;

	if (A.khead < A.ktail) {
		/* message.timeout.ms bounds every record; the margin lets
		 * its report arrive */
		rd_kafka_flush(A.rk, mlog_kafka_timeout_ms(A.k) + 1000);
		for (i = A.khead; i < A.ktail; i++)
			if (!KR(i)->done) {
				KR(i)->done = 1;
				KR(i)->err = RD_KAFKA_RESP_ERR__TIMED_OUT;
			}
		kafka_reap();
		if (A.khead < A.ktail)
			kafka_failed();
	}
	if (mlog_out_flush(&A.out) < 0)
		out_fail();
	A.pending = 0;
	if (A.nparts > 1)
		A.sticky = (A.sticky + 1) % A.nparts;
}

/* Another BATCH_BYTES of input went out: report what was delivered, and
 * unkeyed records move on to the next partition, as with Kafka's sticky
 * partitioner. */
static void
kafka_batch(void)
{
	rd_kafka_poll(A.rk, 0);
	kafka_reap();
	if (A.kfailed)
		kafka_flush();
	A.pending = 0;
	if (A.nparts > 1)
		A.sticky = (A.sticky + 1) % A.nparts;
}

static void
kafka_add(uint32_t p, int64_t ts, const unsigned char *key, size_t klen,
    int has_key, const unsigned char *val, size_t vlen, int null_value)
{
	const unsigned char *k, *v;
	struct kres *r;
	rd_kafka_resp_err_t e;

	if (ts != MLOG_TS_UNSET && ts < 0)
		bad_line(A.lineno, "timestamp before 1970: Kafka cannot "
		    "store it");
	/* room in the window */
	while (A.ktail - A.khead == KRING || A.kbytes >= KWINDOW) {
		rd_kafka_poll(A.rk, 100);
		kafka_reap();
		if (A.kfailed)
			kafka_flush();
	}
	r = KR(A.ktail);
	memset(r, 0, sizeof(*r));
	r->partition = (int32_t)p;
	r->size = klen + vlen + 64;
	/* librdkafka's macros cast their arguments unparenthesized */
	k = has_key ? (klen ? key : (const unsigned char *)"") : NULL;
	v = null_value ? NULL : vlen ? val : (const unsigned char *)"";
	for (;;) {
		e = rd_kafka_producev(A.rk,
		    RD_KAFKA_V_TOPIC(mlog_kafka_topic(A.k)),
		    RD_KAFKA_V_PARTITION((int32_t)p),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_KEY(k, klen),
		    RD_KAFKA_V_VALUE((void *)v, null_value ? 0 : vlen),
		    RD_KAFKA_V_TIMESTAMP(ts == MLOG_TS_UNSET ? 0 : ts / 1000),
		    RD_KAFKA_V_OPAQUE((void *)(uintptr_t)A.ktail),
		    RD_KAFKA_V_END);
		if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		rd_kafka_poll(A.rk, 100);
	}
	if (e != 0) {
		r->done = 1;
		r->err = e;
		A.kfailed = 1;
	}
	A.ktail++;
	A.kbytes += r->size;
	A.pending += r->size;
}

/*
 * The batch of partition failed with the error saved: name the first
 * input line not appended.  The partitions before it were written, so
 * lines after that one may have been: say how many, and where.
 */
static _Noreturn void
flush_failed(uint32_t failed, int saved)
{
	char parts[256];
	size_t i, j, more = 0, n = 0;
	uint32_t p;
	int len;

	fflush(stdout);
	for (i = 0; i < A.norder && A.b[A.order[i]].ok; i++)
		;
	for (j = i; j < A.norder; j++)
		more += A.b[A.order[j]].ok;
	if (more == 0)
		errx(1, "%s: partition %u: %s (input from line %" PRIu64
		    " on was not appended)", A.log->path, failed,
		    mlog_strerror(saved), A.firstline + i);
	parts[0] = '\0';
	for (p = 0; p < failed; p++) {
		if (!A.b[p].ok || n >= sizeof(parts))
			continue;
		len = snprintf(parts + n, sizeof(parts) - n, "%s%u",
		    n ? ", " : "", p);
		n += len > 0 ? (size_t)len : 0;
	}
	errx(1, "%s: partition %u: %s (input from line %" PRIu64 " on was "
	    "not appended, but for %zu of its lines, to partition%s %s)",
	    A.log->path, failed, mlog_strerror(saved), A.firstline + i, more,
	    strchr(parts, ',') ? "s" : "", parts);
}

/* Write every pending batch; print offsets in input order. */
static void
flush(void)
{
	struct batch *b;
	uint64_t *next;
	uint32_t p, failed = UINT32_MAX;
	size_t i;
	char line[48];
	int saved = 0, n;

	if (A.k != NULL) {
		kafka_flush();
		return;
	}
	if (A.norder == 0)
		return;
	for (p = 0; p < A.log->partitions; p++)
		A.b[p].ok = 0;
	for (p = 0; p < A.log->partitions; p++) {
		b = &A.b[p];
		if (b->nrec == 0)
			continue;
		if (mlog_writer_append(A.w, p, b->buf, b->len, b->nrec,
		    &b->first) < 0) {
			saved = errno;
			failed = p;
			break;
		}
		b->ok = 1;
		A.dirty = 1;
	}
	if ((n = mlog_writer_retain_error(A.w)) != 0)
		warnx("%s: retention at a segment roll failed (the records "
		    "were appended; run mlog-trim): %s", A.log->path,
		    mlog_strerror(n));
	if (A.print) {
		if ((next = calloc(A.log->partitions, sizeof(*next))) == NULL)
			err(1, NULL);
		for (i = 0; i < A.norder; i++) {
			b = &A.b[A.order[i]];
			if (!b->ok)
				continue;
			n = snprintf(line, sizeof(line), "%u %" PRIu64 "\n",
			    A.order[i], b->first + next[A.order[i]]++);
			if (mlog_out_write(&A.out, line, (size_t)n) < 0)
				out_fail();
		}
		free(next);
		if (mlog_out_flush(&A.out) < 0)
			out_fail();
	}
	if (failed != UINT32_MAX)
		flush_failed(failed, saved);
	for (p = 0; p < A.log->partitions; p++)
		A.b[p].len = A.b[p].nrec = 0;
	A.firstline += A.norder;
	A.norder = 0;
	A.pending = 0;
	if (A.fsync == MLOG_FSYNC_INTERVAL &&
	    mlog_now_us() - A.lastsync >= A.interval)
		sync_now();
	if (A.log->partitions > 1)
		A.sticky = (A.sticky + 1) % A.log->partitions;
	A.now = mlog_now_us();
}

static void
add(uint32_t p, int64_t ts, const unsigned char *key, size_t klen,
    int has_key, const unsigned char *val, size_t vlen, int null_value)
{
	struct batch *b = &A.b[p];
	size_t need = mlog_record_size(klen, vlen), cap;
	unsigned char *nb;
	uint32_t *no;

	if (A.k != NULL) {
		kafka_add(p, ts, key, klen, has_key, val, vlen, null_value);
		return;
	}
	if (b->cap - b->len < need) {
		for (cap = b->cap ? b->cap : 4096; cap - b->len < need; cap *= 2)
			;
		if ((nb = realloc(b->buf, cap)) == NULL)
			err(1, NULL);
		b->buf = nb;
		b->cap = cap;
	}
	if (A.norder == A.ordercap) {
		A.ordercap = A.ordercap ? A.ordercap * 2 : 1024;
		if ((no = reallocarray(A.order, A.ordercap,
		    sizeof(*no))) == NULL)
			err(1, NULL);
		A.order = no;
	}
	mlog_record_encode(b->buf + b->len, ts == MLOG_TS_UNSET ? A.now : ts,
	    key, klen, has_key, val, vlen, null_value);
	b->len += need;
	b->nrec++;
	A.order[A.norder++] = p;
	A.pending += need;
}

/* Fail on bad input line lineno, keeping everything before it. */
static _Noreturn void __attribute__((format(printf, 2, 3)))
bad_line(uint64_t lineno, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	flush();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errx(1, "line %" PRIu64 ": %s", lineno, msg);
}

static uint32_t
choose(int64_t fixed, const unsigned char *key, size_t klen, int has_key)
{
	if (fixed >= 0)
		return (uint32_t)fixed;
	if (has_key)
		return A.k != NULL ? (uint32_t)RD_KAFKA_PARTITION_UA :
		    mlog_partition_for_key(key, klen, A.nparts);
	return A.sticky;
}

/*
 * Turn the complete lines of buf[start, len) into records (and, at end of
 * input, the unterminated last one); returns where the unused rest starts.
 */
static size_t
records(unsigned char *buf, size_t start, size_t len, int eof)
{
	struct mlog_record er;
	unsigned char *line, *end, *k;
	const char *why;
	size_t llen;
	int64_t epart;
	uint32_t p;

	for (;;) {
		line = buf + start;
		end = memchr(line, A.sep, len - start);
		if (end == NULL) {
			if (!eof || start == len)
				break;
			end = buf + len;	/* last line, unterminated */
		}
		llen = (size_t)(end - line);
		A.lineno++;
		if (llen > A.maxrec)
			bad_line(A.lineno, "record of %zu bytes is longer "
			    "than --max-record (%" PRIu64 ")", llen, A.maxrec);
		start = (size_t)(end - buf) + (end < buf + len);
		if (A.json) {
			if (mlog_envelope_parse(line, llen, &er, &epart,
			    &A.scratch, &A.scap, &why) < 0)
				bad_line(A.lineno, "bad envelope: %s", why);
			if (epart >= (int64_t)A.nparts && A.fixed < 0)
				bad_line(A.lineno, "partition %" PRId64
				    " is out of range (the log has %u)",
				    epart, A.nparts);
			p = choose(A.fixed >= 0 ? A.fixed : epart,
			    er.key, er.keylen, er.has_key);
			add(p, er.timestamp, er.key, er.keylen, er.has_key,
			    er.value, er.valuelen, er.null_value);
		} else if (A.delim != NULL && (k = memmem(line, llen,
		    A.delim, A.dlen)) != NULL) {
			p = choose(A.fixed, line, (size_t)(k - line), 1);
			add(p, MLOG_TS_UNSET, line, (size_t)(k - line), 1,
			    k + A.dlen, llen - (size_t)(k - line) - A.dlen, 0);
		} else {
			p = choose(A.fixed, NULL, 0, 0);
			add(p, MLOG_TS_UNSET, NULL, 0, 0, line, llen, 0);
		}
		if (A.pending >= BATCH_BYTES) {
			if (A.k != NULL)
				kafka_batch();
			else
				flush();
		}
		if (end == buf + len)
			break;
	}
	if (len - start > A.maxrec)
		bad_line(A.lineno + 1, "record is longer than --max-record (%"
		    PRIu64 ")", A.maxrec);
	return start;
}

/*
 * A regular file on standard input is read through a map, saving a copy;
 * its unterminated end, if any, is left in buf for the read(2) loop, which
 * also picks up whatever was appended to the file meanwhile.
 */
static size_t
map_input(unsigned char **buf, size_t *cap)
{
	struct stat st;
	unsigned char *m, *nb;
	off_t cur, aligned;
	size_t n, used, rest;

	if (fstat(0, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (cur = lseek(0, 0, SEEK_CUR)) < 0 || st.st_size <= cur)
		return 0;
	aligned = cur & ~(off_t)(sysconf(_SC_PAGESIZE) - 1);
	n = (size_t)(st.st_size - aligned);
	if ((m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, 0, aligned)) ==
	    MAP_FAILED)
		return 0;
	(void)madvise(m, n, MADV_SEQUENTIAL);
	used = (size_t)(cur - aligned);
	used = records(m, used, n, 0);
	rest = n - used;
	if (rest > *cap) {
		if ((nb = realloc(*buf, rest)) == NULL)
			err(1, NULL);
		*buf = A.in = nb;
		*cap = rest;
	}
	memcpy(*buf, m + used, rest);
	munmap(m, n);
	if (lseek(0, st.st_size, SEEK_SET) < 0)
		err(1, "stdin");
	return rest;
}

/* Wait until input is readable; sync on the interval meanwhile. */
static void
wait_input(void)
{
	struct pollfd pfd = { .fd = 0, .events = POLLIN };
	int64_t left;
	int ms, rc;

	for (;;) {
		ms = -1;
		if (A.dirty && A.fsync == MLOG_FSYNC_INTERVAL) {
			left = A.lastsync + A.interval - mlog_now_us();
			if (left <= 0) {
				sync_now();
				continue;
			}
			ms = (int)((left + 999) / 1000);
		}
		rc = poll(&pfd, 1, ms);
		if (rc != 0 || stop_sig)
			return;
	}
}

static int
input_ready(void)
{
	struct pollfd pfd = { .fd = 0, .events = POLLIN };

	return poll(&pfd, 1, 0) > 0;
}

/* Say which creation option disagrees with the existing log. */
static _Noreturn void
mismatch(const char *path, const struct mlog_log_opts *o)
{
	struct mlog_log *log;

	/* kept in A, so a leak checker sees it reachable at errx() */
	if ((log = A.log = mlog_log_open(path, 0, NULL)) == NULL)
		errx(1, "%s: %s", path, mlog_strerror(errno));
	if (o->partitions && o->partitions != log->partitions)
		errx(1, "%s: the log has %u partition%s, not %u", path,
		    log->partitions, log->partitions == 1 ? "" : "s",
		    o->partitions);
	if (o->segment_bytes && o->segment_bytes != log->segment_bytes)
		errx(1, "%s: the log has a segment size of %" PRIu64 " bytes, "
		    "not %" PRIu64, path, log->segment_bytes, o->segment_bytes);
	if (o->segment_age_us &&
	    o->segment_age_us / 1000 * 1000 != log->segment_age_us)
		errx(1, "%s: the log has a segment age of %" PRId64 " ms, not %"
		    PRId64, path, log->segment_age_us / 1000,
		    o->segment_age_us / 1000);
	if (o->retain_age_us &&
	    o->retain_age_us / 1000 * 1000 != log->retain_age_us)
		errx(1, "%s: the log has a retention age of %" PRId64 " ms, "
		    "not %" PRId64, path, log->retain_age_us / 1000,
		    o->retain_age_us / 1000);
	errx(1, "%s: the log has a retention size of %" PRIu64 " bytes, not %"
	    PRIu64, path, log->retain_bytes, o->retain_bytes);
}

static void
parse_fsync(const char *s)
{
	const char *colon;

	A.interval = 1000000;
	if (strcmp(s, "never") == 0)
		A.fsync = MLOG_FSYNC_NEVER;
	else if (strcmp(s, "always") == 0)
		A.fsync = MLOG_FSYNC_ALWAYS;
	else if (strncmp(s, "interval", 8) == 0 && (s[8] == '\0' ||
	    s[8] == ':')) {
		A.fsync = MLOG_FSYNC_INTERVAL;
		colon = s + 8;
		if (*colon == ':' && (mlog_duration_parse(colon + 1,
		    &A.interval) < 0 || A.interval <= 0)) {
			warnx("--fsync: bad interval: %s", colon + 1);
			usage();
		}
	} else {
		warnx("--fsync: expected never, interval[:DUR] or always: %s",
		    s);
		usage();
	}
}

/*
 * A Kafka topic: --fsync picks the producer's acknowledgements (never:
 * the leader's; always: all in-sync replicas, idempotent, so that retries
 * neither duplicate nor reorder; interval: librdkafka's defaults), before
 * the user's properties, which win.
 */
static void
kafka_open(const char *url, struct mlog_kafka_props *props,
    const char *fsyncarg, int64_t timeout)
{
	struct mlog_kafka_props all = { NULL, 0, 0 };
	struct mlog_kafka_opts o = { 0 };
	size_t i;
	int rc = 0;

	if (fsyncarg != NULL && A.fsync == MLOG_FSYNC_ALWAYS)
		rc = mlog_kafka_props_set(&all, "acks", "all", "--fsync") |
		    mlog_kafka_props_set(&all, "enable.idempotence", "true",
		    "--fsync");
	else if (fsyncarg != NULL && A.fsync == MLOG_FSYNC_NEVER)
		rc = mlog_kafka_props_set(&all, "acks", "1", "--fsync");
	for (i = 0; i < props->n && rc == 0; i++)
		rc = mlog_kafka_props_set(&all, props->v[i].key,
		    props->v[i].value, props->v[i].origin);
	if (rc < 0)
		err(1, NULL);
	o.role = MLOG_KAFKA_PRODUCER;
	o.timeout_us = timeout;
	o.props = &all;
	o.delivered = delivered;
	A.url = url;
	if ((A.k = mlog_kafka_open(url, &o)) == NULL)
		errx(errno == EINVAL ? 2 : 1, "%s: %s", url,
		    mlog_kafka_strerror());
	mlog_kafka_props_free(&all);
	A.rk = mlog_kafka_handle(A.k);
	A.nparts = mlog_kafka_partitions(A.k);
	A.fsync = MLOG_FSYNC_NEVER;	/* nothing to fdatasync here */
	if ((A.kr = calloc(KRING, sizeof(*A.kr))) == NULL)
		err(1, NULL);
}

int
main(int argc, char *argv[])
{
	const char *why;
	static const struct option longopts[] = {
		{ "null",		no_argument,		NULL, '0' },
		{ "segment-age",	required_argument,	NULL, 'A' },
		{ "help",		no_argument,		NULL, 'h' },
		{ "json",		no_argument,		NULL, 'J' },
		{ "key-delimiter",	required_argument,	NULL, 'K' },
		{ "max-record",		required_argument,	NULL, 'm' },
		{ "print-offsets",	no_argument,		NULL, 'O' },
		{ "partitions",		required_argument,	NULL, 'P' },
		{ "partition",		required_argument,	NULL, 'p' },
		{ "segment-size",	required_argument,	NULL, 's' },
		{ "fsync",		required_argument,	NULL, 'y' },
		{ "retain-age",		required_argument,	NULL, O_RETAIN_AGE },
		{ "retain-size",	required_argument,	NULL, O_RETAIN_SIZE },
		{ "property",		required_argument,	NULL, 'X' },
		{ "kafka-config",	required_argument,	NULL, O_KAFKA_CONFIG },
		{ "timeout",		required_argument,	NULL, O_TIMEOUT },
		{ NULL,			0,			NULL, 0 }
	};
	struct mlog_log_opts opts = { 0 };
	struct mlog_kafka_props props = { NULL, 0, 0 };
	const char *fileopt = NULL, *kafkaopt = NULL, *fsyncarg = NULL;
	int64_t timeout = 10 * 1000000LL;
	struct sigaction sa;
	unsigned char *buf, *nb;
	const char *errstr;
	char msg[128];
	uint64_t size;
	size_t cap = READ_SIZE, start = 0, len = 0;
	ssize_t n;
	int c, rc, eof = 0;

	A.sep = '\n';
	A.fixed = -1;
	A.maxrec = DEF_MAX_RECORD;
	A.fsync = MLOG_FSYNC_INTERVAL;
	A.interval = 1000000;
	while ((c = getopt_long(argc, argv, "0A:hJK:m:OP:p:s:X:y:", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'A':
			fileopt = "-A";
			break;
		case 'P':
			fileopt = "-P";
			break;
		case 's':
			fileopt = "-s";
			break;
		case O_RETAIN_AGE:
			fileopt = "--retain-age";
			break;
		case O_RETAIN_SIZE:
			fileopt = "--retain-size";
			break;
		case 'X':
		case O_KAFKA_CONFIG:
		case O_TIMEOUT:
			kafkaopt = c == 'X' ? "-X" : c == O_TIMEOUT ?
			    "--timeout" : "--kafka-config";
			break;
		case 'y':
			fsyncarg = optarg;
			break;
		}
		switch (c) {
		case '0':
			A.sep = '\0';
			break;
		case 'A':
			if (mlog_duration_parse(optarg,
			    &opts.segment_age_us) < 0 ||
			    opts.segment_age_us < 1000) {
				warnx("--segment-age: bad duration: %s", optarg);
				usage();
			}
			break;
		case 'h':
			help();
			break;
		case 'J':
			A.json = 1;
			break;
		case 'K':
			if (*optarg == '\0') {
				warnx("--key-delimiter: empty delimiter");
				usage();
			}
			A.delim = optarg;
			A.dlen = strlen(optarg);
			break;
		case 'm':
			if (mlog_size_parse(optarg, &A.maxrec) < 0 ||
			    A.maxrec == 0 || A.maxrec > MLOG_LINE_MAX) {
				warnx("--max-record: bad size (1 to 256M): %s",
				    optarg);
				usage();
			}
			break;
		case 'O':
			A.print = 1;
			break;
		case 'P':
			opts.partitions = (uint32_t)strtonum(optarg, 1,
			    MLOG_PARTITIONS_MAX, &errstr);
			if (errstr != NULL) {
				warnx("--partitions: %s (1 to %d): %s", errstr,
				    MLOG_PARTITIONS_MAX, optarg);
				usage();
			}
			break;
		case 'p':
			A.fixed = strtonum(optarg, 0, MLOG_PARTITIONS_MAX - 1,
			    &errstr);
			if (errstr != NULL) {
				warnx("--partition: %s: %s", errstr, optarg);
				usage();
			}
			break;
		case 's':
			if (mlog_size_parse(optarg, &size) < 0 ||
			    size < MLOG_SEGMENT_MIN || size > MLOG_SEGMENT_MAX) {
				warnx("--segment-size: bad size (1K to 1G): %s",
				    optarg);
				usage();
			}
			opts.segment_bytes = size;
			break;
		case 'y':
			parse_fsync(optarg);
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
		case O_RETAIN_AGE:
			if (mlog_duration_arg("--retain-age", optarg, 0, 0,
			    &opts.retain_age_us, msg, sizeof(msg)) < 0) {
				warnx("%s", msg);
				usage();
			}
			if (opts.retain_age_us < 1000) {
				warnx("--retain-age: less than 1ms: %s",
				    optarg);
				usage();
			}
			break;
		case O_RETAIN_SIZE:
			if (mlog_size_parse(optarg, &size) < 0 || size == 0) {
				warnx("--retain-size: bad size: %s", optarg);
				usage();
			}
			opts.retain_bytes = size;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage();
	if (A.json && A.delim != NULL) {
		warnx("-J and -K cannot be used together");
		usage();
	}
	if (mlog_log_is_kafka(argv[0]) && fileopt != NULL) {
		warnx("%s: only for a file log, not kafka://", fileopt);
		usage();
	}
	if (!mlog_log_is_kafka(argv[0]) && kafkaopt != NULL) {
		warnx("%s: only for a kafka:// log", kafkaopt);
		usage();
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGXFSZ, &sa, NULL);	/* EFBIG is reported as an error */
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (mlog_log_is_kafka(argv[0]))
		kafka_open(argv[0], &props, fsyncarg, timeout);
	else if ((A.log = mlog_log_open(argv[0], 1, &opts)) == NULL) {
		if (errno == EEXIST)
			mismatch(argv[0], &opts);
		errx(1, "%s: %s", argv[0], mlog_strerror(errno));
	} else if ((why = mlog_log_exposure(argv[0])) != NULL)
		warnx("%s: warning: log directory %s", argv[0], why);
	if (A.log != NULL)
		A.nparts = A.log->partitions;
	if (A.fixed >= (int64_t)A.nparts)
		errx(2, "--partition: %" PRId64 " is out of range (the log has "
		    "%u partition%s)", A.fixed, A.nparts,
		    A.nparts == 1 ? "" : "s");
	if ((A.log != NULL && ((A.w = mlog_writer_open(A.log, A.fsync,
	    recovered, NULL)) == NULL ||
	    (A.b = calloc(A.log->partitions, sizeof(*A.b))) == NULL)) ||
	    mlog_out_init(&A.out, 1, 64 * 1024) < 0 ||
	    (buf = A.in = malloc(cap)) == NULL)
		err(1, NULL);
	A.lastsync = mlog_now_us();
	A.firstline = 1;
	/* like Kafka's sticky partitioner: runs start on different partitions */
	A.sticky = arc4random_uniform(A.nparts);
	A.now = mlog_now_us();
	len = map_input(&buf, &cap);

	while (!eof && !stop_sig) {
		if (start > 0 && (start == len || len == cap)) {
			memmove(buf, buf + start, len - start);
			len -= start;
			start = 0;
		}
		if (len == cap) {
			cap *= 2;
			if ((nb = realloc(buf, cap)) == NULL)
				err(1, NULL);
			buf = A.in = nb;
		}
		if (A.norder == 0)
			wait_input();
		if (stop_sig)
			break;
		n = read(0, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			flush();
			err(1, "stdin");
		}
		if (n == 0)
			eof = 1;
		len += (size_t)n;
		A.now = mlog_now_us();	/* once per read: the clock is not free */
		start = records(buf, start, len, eof);
		if (eof || !input_ready())
			flush();
	}
	flush();
	if (A.fsync != MLOG_FSYNC_NEVER && A.dirty)
		sync_now();
	if (mlog_out_flush(&A.out) < 0)
		out_fail();
	mlog_kafka_close(A.k);
	free(A.kr);
	mlog_kafka_props_free(&props);
	if (stop_sig) {
		signal(stop_sig, SIG_DFL);
		raise(stop_sig);
	}
	return 0;
}

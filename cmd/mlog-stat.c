/*
 * mlog-stat: what a log holds (partitions, segments, offsets, records,
 * bytes, time range), how far behind its consumer groups are, and, on
 * request, its records per hour as a bar chart.
 */
#include <sys/ioctl.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libutil.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mlog.h"

#define HOUR_US		(3600LL * 1000000)
#define GAP_LINES	24	/* longer runs of empty hours take one line */
#define LABEL_LEN	16	/* "2023-11-14 22:00" */
#define O_KAFKA_CONFIG	256	/* long options without a short form */
#define O_TIMEOUT	257

struct group {
	char		*name;
	int64_t		*offs;	/* committed, per partition of the log */
};

/* A text table: cells are printed left-aligned or right-aligned in
 * columns as wide as their widest cell, two spaces apart. */
struct table {
	size_t		  ncols;
	const char	 *align;	/* 'l' or 'r' per column */
	char		**cells;
	size_t		  n, cap;
};

static struct {
	struct mlog_log		*log;
	struct mlog_stat	*st;	/* per shown partition */
	uint32_t		 nst;
	struct group		*groups;
	size_t			 ngroups;
	struct mlog_hist	 hist;
	int			 have_hist;
	struct mlog_out		 out;
	const char		*name;		/* the log's path or URL */
	uint32_t		 nparts;
	struct mlog_kafka	*k;		/* kafka:// */
} S;

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: mlog-stat [-hJr] [-p partition] [-X key=value]\n"
"                 [--kafka-config file] [--timeout dur] log\n");
	exit(2);
}

static _Noreturn void
help(void)
{
	printf(
"usage: mlog-stat [-hJr] [-p partition] [-X key=value]\n"
"                 [--kafka-config file] [--timeout dur] log\n"
"\n"
"Show what LOG holds: per partition its segments, first and last offsets,\n"
"record count, size and first and last timestamps; then the consumer\n"
"groups with their committed offsets and lag.  LOG may be\n"
"kafka://host:port[,host:port...]/topic: its partitions, offsets and\n"
"record counts are shown.\n"
"\n"
"  -J, --json               print one JSON object instead (see mlog-stat(1))\n"
"  -r, --records            add the records per hour as a bar chart (reads\n"
"                           every record); its width is $COLUMNS or 80\n"
"  -p, --partition=N        show partition N only\n"
"  -X, --property=KEY=VALUE kafka://: set a librdkafka property\n"
"      --kafka-config=FILE  kafka://: read librdkafka properties from FILE\n"
"      --timeout=DUR        kafka://: wait for brokers at most DUR (default 10s)\n"
"  -h, --help               show this help\n"
"\n"
"See mlog-stat(1).\n");
	exit(0);
}

/* Everything the program allocated stays reachable from S until exit. */
static void
cleanup(void)
{
	size_t i;

	for (i = 0; i < S.ngroups; i++) {
		free(S.groups[i].name);
		free(S.groups[i].offs);
	}
	free(S.groups);
	free(S.st);
	mlog_hist_free(&S.hist);
	mlog_out_free(&S.out);
	mlog_log_close(S.log);
	mlog_kafka_close(S.k);
}

static void
put(const void *p, size_t len)
{
	if (mlog_out_write(&S.out, p, len) < 0)
		err(1, "stdout");
}

static void
putf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
putf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		errx(1, "output line too long");
	put(buf, (size_t)n);
}

static void
put_json_string(const char *s)
{
	if (mlog_json_put_string(&S.out, (const unsigned char *)s,
	    strlen(s)) < 0)
		err(1, "stdout");
}

static void
put_json_ts(int64_t ts)
{
	if (ts == MLOG_TS_UNSET)
		putf("null");
	else
		putf("%" PRId64, ts);
}

static void
table_init(struct table *t, const char *align)
{
	memset(t, 0, sizeof(*t));
	t->ncols = strlen(align);
	t->align = align;
}

/* Append one cell; rows fill from left to right. */
static void
table_add(struct table *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
table_add(struct table *t, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16 * t->ncols;
		if ((t->cells = reallocarray(t->cells, t->cap,
		    sizeof(*t->cells))) == NULL)
			err(1, NULL);
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if ((t->cells[t->n++] = strdup(buf)) == NULL)
		err(1, NULL);
}

static void
table_print(struct table *t)
{
	size_t w[16] = { 0 }, i, c, len;

	for (i = 0; i < t->n; i++)
		if ((len = strlen(t->cells[i])) > w[i % t->ncols])
			w[i % t->ncols] = len;
	for (i = 0; i < t->n; i++) {
		c = i % t->ncols;
		if (c == t->ncols - 1 && t->align[c] == 'l')
			putf("%s\n", t->cells[i]);
		else
			putf(t->align[c] == 'l' ? "%-*s%s" : "%*s%s",
			    (int)w[c], t->cells[i],
			    c == t->ncols - 1 ? "\n" : "  ");
	}
	for (i = 0; i < t->n; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->n = t->cap = 0;
}

/* RFC 3339 in UTC to the second, or with hour, the label of an hour. */
static void
fmt_time(char *buf, size_t len, int64_t us, int hour)
{
	struct tm tm;
	time_t secs = (time_t)(us / 1000000 - (us % 1000000 < 0));

	if (us == MLOG_TS_UNSET)
		strlcpy(buf, "-", len);
	else if (gmtime_r(&secs, &tm) == NULL || (hour ?
	    strftime(buf, len, "%Y-%m-%d %H:%M", &tm) :
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm)) == 0)
		snprintf(buf, len, "%" PRId64, us);
}

/* Four characters at most, as ls -h prints them: 54B, 1.2K, 116K, 3.0M. */
static void
fmt_size(char *buf, size_t len, uint64_t bytes)
{
	if (len < 5 || humanize_number(buf, 5, (int64_t)bytes, "",
	    HN_AUTOSCALE, HN_B | HN_NOSPACE | HN_DECIMAL) < 0)
		snprintf(buf, len, "%" PRIu64, bytes);
}

static void
load_groups(void)
{
	struct mlog_offsets o;
	char **names;
	size_t n, i;
	int saved;

	if (mlog_groups_list(S.log, &names, &n) < 0)
		errx(1, "%s: groups: %s", S.log->path, mlog_strerror(errno));
	if (n > 0 && (S.groups = calloc(n, sizeof(*S.groups))) == NULL) {
		mlog_groups_free(names, n);
		err(1, NULL);
	}
	for (i = 0; i < n; i++)
		S.groups[i].name = names[i];
	S.ngroups = n;
	free(names);
	for (i = 0; i < n; i++) {
		if ((S.groups[i].offs = calloc(S.log->partitions,
		    sizeof(int64_t))) == NULL)
			err(1, NULL);
		if (mlog_offsets_group(S.log, S.groups[i].name, 0, &o) < 0)
			errx(1, "%s: group %s: %s", S.log->path,
			    S.groups[i].name, mlog_strerror(errno));
		if (mlog_offsets_load(&o, 0, S.groups[i].offs,
		    S.log->partitions) < 0) {
			saved = errno;
			mlog_offsets_release(&o);
			errno = saved;
			errx(1, "%s: group %s: %s", S.log->path,
			    S.groups[i].name, mlog_strerror(errno));
		}
		mlog_offsets_release(&o);
	}
}

static void
print_summary(void)
{
	struct mlog_stat tot;
	char size[16], first[32], last[32];
	uint32_t i;

	memset(&tot, 0, sizeof(tot));
	tot.first_ts = tot.last_ts = MLOG_TS_UNSET;
	for (i = 0; i < S.nst; i++) {
		tot.segments += S.st[i].segments;
		tot.records += S.st[i].records;
		tot.bytes += S.st[i].bytes;
		if (S.st[i].first_ts != MLOG_TS_UNSET &&
		    (tot.first_ts == MLOG_TS_UNSET ||
		    S.st[i].first_ts < tot.first_ts))
			tot.first_ts = S.st[i].first_ts;
		if (S.st[i].last_ts > tot.last_ts)
			tot.last_ts = S.st[i].last_ts;
	}
	fmt_size(size, sizeof(size), tot.bytes);
	fmt_time(first, sizeof(first), tot.first_ts, 0);
	fmt_time(last, sizeof(last), tot.last_ts, 0);
	putf("log         %s\n", S.name);
	putf("partitions  %u\n", S.nparts);
	if (S.k != NULL)
		putf("segments    -\n");
	else
		putf("segments    %zu\n", tot.segments);
	putf("records     %" PRIu64 "\n", tot.records);
	putf("size        %s\n", S.k != NULL ? "-" : size);
	putf("first time  %s\n", first);
	putf("last time   %s\n", last);
}

static void
print_partitions(void)
{
	struct table t;
	const struct mlog_stat *s;
	char size[16], first[32], last[32];
	uint32_t i;

	table_init(&t, "rrrrrrll");
	for (i = 0; i < t.ncols; i++)
		table_add(&t, "%s", (const char *[]){ "PARTITION", "SEGMENTS",
		    "FIRST", "LAST", "RECORDS", "SIZE", "FIRST-TIME",
		    "LAST-TIME" }[i]);
	for (i = 0; i < S.nst; i++) {
		s = &S.st[i];
		fmt_size(size, sizeof(size), s->bytes);
		fmt_time(first, sizeof(first), s->first_ts, 0);
		fmt_time(last, sizeof(last), s->last_ts, 0);
		table_add(&t, "%u", s->partition);
		if (S.k != NULL)
			table_add(&t, "-");
		else
			table_add(&t, "%zu", s->segments);
		if (s->records > 0) {
			table_add(&t, "%" PRIu64, s->start);
			table_add(&t, "%" PRIu64, s->end - 1);
		} else {
			table_add(&t, "-");
			table_add(&t, "-");
		}
		table_add(&t, "%" PRIu64, s->records);
		table_add(&t, "%s", S.k != NULL ? "-" : size);
		table_add(&t, "%s", first);
		table_add(&t, "%s", last);
	}
	putf("\n");
	table_print(&t);
}

static void
print_groups(void)
{
	struct table t;
	const struct mlog_stat *s;
	uint64_t total;
	int64_t c;
	size_t g;
	uint32_t i;

	if (S.ngroups == 0)
		return;
	table_init(&t, "lrrrr");
	for (i = 0; i < t.ncols; i++)
		table_add(&t, "%s", (const char *[]){ "GROUP", "PARTITION",
		    "COMMITTED", "END", "LAG" }[i]);
	for (g = 0; g < S.ngroups; g++) {
		total = 0;
		for (i = 0; i < S.nst; i++) {
			s = &S.st[i];
			c = S.groups[g].offs[s->partition];
			table_add(&t, "%s", S.groups[g].name);
			table_add(&t, "%u", s->partition);
			if (c == MLOG_OFFSET_NONE)
				table_add(&t, "-");
			else
				table_add(&t, "%" PRId64, c);
			table_add(&t, "%" PRIu64, s->end);
			if (c == MLOG_OFFSET_NONE)
				table_add(&t, "-");
			else {
				table_add(&t, "%" PRIu64, mlog_stat_lag(s, c));
				total += mlog_stat_lag(s, c);
			}
		}
		if (S.nst > 1) {
			table_add(&t, "%s", S.groups[g].name);
			table_add(&t, "total");
			table_add(&t, "%s", "");
			table_add(&t, "%s", "");
			table_add(&t, "%" PRIu64, total);
		}
	}
	putf("\n");
	table_print(&t);
}

static size_t
columns(void)
{
	struct winsize ws;
	const char *errstr, *s;
	long long n;

	if ((s = getenv("COLUMNS")) != NULL && *s != '\0') {
		n = strtonum(s, 1, 10000, &errstr);
		if (errstr == NULL)
			return (size_t)n;
	}
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ,
	    &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* A bar of eighths/8 cells: full blocks, then one partial block. */
static void
put_bar(uint64_t eighths)
{
	/* U+2588 FULL BLOCK, then U+258F .. U+2589: one to seven eighths */
	static const char *const part[8] = { "", "\u258f", "\u258e",
	    "\u258d", "\u258c", "\u258b", "\u258a", "\u2589" };
	uint64_t i;

	for (i = 0; i < eighths / 8; i++)
		put("\u2588", strlen("\u2588"));
	put(part[eighths % 8], strlen(part[eighths % 8]));
}

static void
hour_line(int64_t start, uint64_t count, int cw, uint64_t max, size_t width)
{
	char label[32];
	uint64_t eighths;

	fmt_time(label, sizeof(label), start, 1);
	putf("%-*s %*" PRIu64, LABEL_LEN, label, cw, count);
	if (count > 0) {
		eighths = (uint64_t)((long double)count / max * width * 8 +
		    0.5L);
		putf(" ");
		put_bar(eighths > 0 ? eighths : 1);
	}
	putf("\n");
}

static void
print_hist(void)
{
	const struct mlog_hist_bucket *b = S.hist.v;
	uint64_t max = 0, gap;
	size_t cols = columns(), width, i;
	int cw;
	char num[24];

	putf("\nRECORDS PER HOUR (UTC)\n");
	for (i = 0; i < S.hist.n; i++)
		if (b[i].records > max)
			max = b[i].records;
	if (max == 0)
		return;
	cw = snprintf(num, sizeof(num), "%" PRIu64, max);
	width = cols > LABEL_LEN + (size_t)cw + 3 ?
	    cols - LABEL_LEN - (size_t)cw - 2 : 1;
	for (i = 0; i < S.hist.n; i++) {
		if (i > 0) {
			gap = ((uint64_t)b[i].start -
			    (uint64_t)b[i - 1].start) / HOUR_US - 1;
			if (gap > GAP_LINES)
				putf("(%" PRIu64 " hours without records)\n",
				    gap);
			else
				for (; gap > 0; gap--)
					hour_line(b[i].start -
					    (int64_t)gap * HOUR_US, 0, cw, max,
					    width);
		}
		hour_line(b[i].start, b[i].records, cw, max, width);
	}
}

static void
print_json(void)
{
	const struct mlog_stat *s;
	struct mlog_stat tot;
	uint64_t total;
	int64_t c;
	size_t g, i;

	memset(&tot, 0, sizeof(tot));
	tot.first_ts = tot.last_ts = MLOG_TS_UNSET;
	for (i = 0; i < S.nst; i++) {
		s = &S.st[i];
		tot.segments += s->segments;
		tot.records += s->records;
		tot.bytes += s->bytes;
		if (s->first_ts != MLOG_TS_UNSET &&
		    (tot.first_ts == MLOG_TS_UNSET || s->first_ts < tot.first_ts))
			tot.first_ts = s->first_ts;
		if (s->last_ts > tot.last_ts)
			tot.last_ts = s->last_ts;
	}
	putf("{\"log\":");
	put_json_string(S.name);
	if (S.k != NULL)
		putf(",\"partition_count\":%u,\"segments\":null,\"records\":%"
		    PRIu64 ",\"bytes\":null,\"first_timestamp\":", S.nparts,
		    tot.records);
	else
		putf(",\"partition_count\":%u,\"segments\":%zu,\"records\":%"
		    PRIu64 ",\"bytes\":%" PRIu64 ",\"first_timestamp\":",
		    S.nparts, tot.segments, tot.records, tot.bytes);
	put_json_ts(tot.first_ts);
	putf(",\"last_timestamp\":");
	put_json_ts(tot.last_ts);
	putf(",\"partitions\":[");
	for (i = 0; i < S.nst; i++) {
		s = &S.st[i];
		if (S.k != NULL)
			putf("%s{\"partition\":%u,\"segments\":null,",
			    i ? "," : "", s->partition);
		else
			putf("%s{\"partition\":%u,\"segments\":%zu,",
			    i ? "," : "", s->partition, s->segments);
		if (s->records > 0)
			putf("\"first_offset\":%" PRIu64 ",\"last_offset\":%"
			    PRIu64, s->start, s->end - 1);
		else
			putf("\"first_offset\":null,\"last_offset\":null");
		if (S.k != NULL)
			putf(",\"end_offset\":%" PRIu64 ",\"records\":%" PRIu64
			    ",\"bytes\":null,\"first_timestamp\":", s->end,
			    s->records);
		else
			putf(",\"end_offset\":%" PRIu64 ",\"records\":%" PRIu64
			    ",\"bytes\":%" PRIu64 ",\"first_timestamp\":",
			    s->end, s->records, s->bytes);
		put_json_ts(s->first_ts);
		putf(",\"last_timestamp\":");
		put_json_ts(s->last_ts);
		putf("}");
	}
	putf("],\"groups\":[");
	for (g = 0; g < S.ngroups; g++) {
		total = 0;
		for (i = 0; i < S.nst; i++)
			if ((c = S.groups[g].offs[S.st[i].partition]) !=
			    MLOG_OFFSET_NONE)
				total += mlog_stat_lag(&S.st[i], c);
		putf("%s{\"group\":", g ? "," : "");
		put_json_string(S.groups[g].name);
		putf(",\"lag\":%" PRIu64 ",\"partitions\":[", total);
		for (i = 0; i < S.nst; i++) {
			s = &S.st[i];
			c = S.groups[g].offs[s->partition];
			putf("%s{\"partition\":%u,", i ? "," : "",
			    s->partition);
			if (c == MLOG_OFFSET_NONE)
				putf("\"committed\":null,\"end_offset\":%"
				    PRIu64 ",\"lag\":null}", s->end);
			else
				putf("\"committed\":%" PRId64 ",\"end_offset\":%"
				    PRIu64 ",\"lag\":%" PRIu64 "}", c, s->end,
				    mlog_stat_lag(s, c));
		}
		putf("]}");
	}
	putf("]");
	if (S.have_hist) {
		putf(",\"hours\":[");
		for (i = 0; i < S.hist.n; i++)
			putf("%s{\"start\":%" PRId64 ",\"records\":%" PRIu64
			    "}", i ? "," : "", S.hist.v[i].start,
			    S.hist.v[i].records);
		putf("]");
	}
	putf("}\n");
}

/* A Kafka topic has no segments, sizes or times that a client sees
 * cheaply: its offsets come from the watermarks. */
static void
kafka_open(const char *url, const struct mlog_kafka_props *props,
    int64_t timeout)
{
	struct mlog_kafka_opts o = { 0 };

	o.role = MLOG_KAFKA_CONSUMER;
	o.timeout_us = timeout;
	o.props = props;
	if ((S.k = mlog_kafka_open(url, &o)) == NULL)
		errx(errno == EINVAL ? 2 : 1, "%s: %s", url,
		    mlog_kafka_strerror());
	S.nparts = mlog_kafka_partitions(S.k);
}

static void
kafka_stat(uint32_t partition, struct mlog_stat *st)
{
	int64_t lo, hi;

	if (mlog_kafka_watermarks(S.k, partition, &lo, &hi) < 0)
		errx(1, "%s: partition %u: %s", S.name, partition,
		    mlog_kafka_strerror());
	memset(st, 0, sizeof(*st));
	st->partition = partition;
	st->start = (uint64_t)lo;
	st->end = (uint64_t)hi;
	st->records = hi > lo ? (uint64_t)(hi - lo) : 0;
	st->first_ts = st->last_ts = MLOG_TS_UNSET;
}

int
main(int argc, char *argv[])
{
	const char *why;
	static const struct option longopts[] = {
		{ "help",		no_argument,		NULL, 'h' },
		{ "json",		no_argument,		NULL, 'J' },
		{ "partition",		required_argument,	NULL, 'p' },
		{ "records",		no_argument,		NULL, 'r' },
		{ "property",		required_argument,	NULL, 'X' },
		{ "kafka-config",	required_argument,	NULL, O_KAFKA_CONFIG },
		{ "timeout",		required_argument,	NULL, O_TIMEOUT },
		{ NULL,			0,			NULL, 0 }
	};
	struct mlog_kafka_props props = { NULL, 0, 0 };
	const char *errstr, *kafkaopt = NULL;
	int64_t part = -1, timeout = 10 * 1000000LL;
	char msg[128];
	uint32_t i;
	int c, rc, json = 0;

	while ((c = getopt_long(argc, argv, "hJp:rX:", longopts, NULL)) !=
	    -1) {
		switch (c) {
		case 'X':
		case O_KAFKA_CONFIG:
		case O_TIMEOUT:
			kafkaopt = c == 'X' ? "-X" : c == O_TIMEOUT ?
			    "--timeout" : "--kafka-config";
			if ((rc = mlog_kafka_option(&props, kafkaopt, optarg,
			    &timeout, msg, sizeof(msg))) != 0) {
				warnx("%s", msg);
				if (rc == MLOG_KAFKA_OPT_USAGE)
					usage();
				exit(rc);
			}
			break;
		case 'h':
			help();
		case 'J':
			json = 1;
			break;
		case 'p':
			part = strtonum(optarg, 0, MLOG_PARTITIONS_MAX - 1,
			    &errstr);
			if (errstr != NULL) {
				warnx("--partition: %s: %s", errstr, optarg);
				usage();
			}
			break;
		case 'r':
			S.have_hist = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage();

	if (mlog_log_is_kafka(argv[0]) && S.have_hist) {
		warnx("-r: only for a file log, not kafka://");
		usage();
	}
	if (!mlog_log_is_kafka(argv[0]) && kafkaopt != NULL) {
		warnx("%s: only for a kafka:// log", kafkaopt);
		usage();
	}

	if (atexit(cleanup) != 0)
		err(1, "atexit");
	mlog_hist_init(&S.hist, HOUR_US);
	S.name = argv[0];
	if (mlog_log_is_kafka(argv[0]))
		kafka_open(argv[0], &props, timeout);
	else if ((S.log = mlog_log_open(argv[0], 0, NULL)) == NULL)
		errx(1, "%s: %s", argv[0], mlog_strerror(errno));
	else {
		S.nparts = S.log->partitions;
		if ((why = mlog_log_exposure(argv[0])) != NULL)
			warnx("%s: warning: log directory %s", argv[0], why);
	}
	mlog_kafka_props_free(&props);
	if (part >= (int64_t)S.nparts)
		errx(2, "--partition: %" PRId64 " is out of range (the log has "
		    "%u partition%s)", part, S.nparts, S.nparts == 1 ? "" : "s");
	if (mlog_out_init(&S.out, STDOUT_FILENO, 64 * 1024) < 0)
		err(1, NULL);
	S.nst = part >= 0 ? 1 : S.nparts;
	if ((S.st = calloc(S.nst, sizeof(*S.st))) == NULL)
		err(1, NULL);
	for (i = 0; i < S.nst && S.k != NULL; i++)
		kafka_stat((uint32_t)(part >= 0 ? part : i), &S.st[i]);
	for (i = 0; i < S.nst && S.k == NULL; i++) {
		c = part >= 0 ? (int)part : (int)i;
		if (mlog_stat_partition(S.log, (uint32_t)c, &S.st[i]) < 0 ||
		    (S.have_hist && mlog_hist_scan(&S.hist, S.log,
		    (uint32_t)c) < 0))
			errx(1, "%s: partition %d: %s", S.log->path, c,
			    mlog_strerror(errno));
	}
	if (S.k == NULL)
		load_groups();

	if (json)
		print_json();
	else {
		print_summary();
		print_partitions();
		print_groups();
		if (S.have_hist)
			print_hist();
	}
	if (mlog_out_flush(&S.out) < 0)
		err(1, "stdout");
	return 0;
}

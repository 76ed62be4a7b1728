/*
 * mlog-offset: where consumer groups stand in a log, and moving them.
 */
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mlog.h"

#define O_KAFKA_CONFIG	256	/* long options without a short form */
#define O_TIMEOUT	257

enum reset { R_NONE, R_EARLIEST, R_LATEST, R_OFFSET, R_TIME, R_SHIFT };

static struct {
	struct mlog_log		*log;
	struct mlog_kafka	*kafka;		/* a kafka:// log */
	const char		*url;
	uint32_t		 nparts;
	struct mlog_kafka_pos	*kpos;
	const char		*group;
	struct mlog_offsets	 store;
	int			 have_store;
	struct mlog_stat	*st;
	int64_t			*offs, *times, *next;
	uint8_t			*which;
	struct mlog_out		 out;
	int			 json;
	int64_t			 part;
} O;

static _Noreturn void
usage(void)
{
	fprintf(stderr,
"usage: mlog-offset [-fJx] [-b | -e | -o offset | -t time | -s n | -d dur]\n"
"                   [-g group] [-p partition] [-X key=value]\n"
"                   [--kafka-config file] [--timeout dur] log [command]\n");
	exit(2);
}

static _Noreturn void
help(void)
{
	printf(
"usage: mlog-offset [-fJx] [-b | -e | -o offset | -t time | -s n | -d dur]\n"
"                   [-g group] [-p partition] [-X key=value]\n"
"                   [--kafka-config file] [--timeout dur] log [command]\n"
"\n"
"Show and move the committed positions of consumer groups of LOG, a log\n"
"directory or kafka://host:port[,host:port...]/topic.\n"
"Commands (default show):\n"
"  show      per partition: committed offset, log end, lag, holder, and\n"
"            when the position was committed (needs -g)\n"
"  list      every group with its total lag and live members\n"
"  reset     move the group's positions (needs -g and one of -beostd);\n"
"            prints the plan, changes nothing without -x\n"
"  commit    promote the positions mlog-tail --commit=pending wrote\n"
"  abort     drop them\n"
"  delete    remove the group\n"
"\n"
"  -g, --group=NAME         the consumer group\n"
"  -p, --partition=N        only partition N (show, reset)\n"
"  -J, --json               JSON output (show, list, reset)\n"
"  -b, --to-earliest        reset to the start of the log\n"
"  -e, --to-latest          reset to the end of the log\n"
"  -o, --to-offset=N        reset to offset N (clamped to the log)\n"
"  -t, --to-datetime=TIME   reset to the first record at or after TIME\n"
"  -d, --by-duration=DUR    reset to the first record at or after now - DUR\n"
"  -s, --shift-by=N         move the positions by N (negative: back)\n"
"  -x, --execute            carry out a reset\n"
"  -f, --force              reset or delete while members hold partitions\n"
"  -X, --property=KEY=VALUE kafka://: set a librdkafka property\n"
"      --kafka-config=FILE  kafka://: read librdkafka properties from FILE\n"
"      --timeout=DUR        kafka://: wait for brokers at most DUR (default 10s)\n"
"  -h, --help               show this help\n"
"\n"
"See mlog-offset(1).\n");
	exit(0);
}

static _Noreturn void
out_fail(void)
{
	err(1, "stdout");
}

static void
put(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
put(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = mlog_out_vprintf(&O.out, fmt, ap);
	va_end(ap);
	if (r < 0)
		out_fail();
}

static void
put_time(int64_t us)
{
	struct tm tm;
	time_t t;
	char buf[32];

	t = (time_t)(us / 1000000);
	if (us <= 0 || gmtime_r(&t, &tm) == NULL) {
		put("-");
		return;
	}
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	put("%s", buf);
}

static void
put_jstring(const char *s)
{
	if (mlog_json_put_string(&O.out, (const unsigned char *)s,
	    strlen(s)) < 0)
		out_fail();
}

static int
selected(uint32_t p)
{
	return O.part < 0 || (int64_t)p == O.part;
}

static void
open_group(int need)
{
	if (O.group == NULL) {
		if (!need)
			return;
		warnx("this command needs a group (-g)");
		usage();
	}
	if (O.kafka != NULL)
		return;
	if (mlog_offsets_group(O.log, O.group, 0, &O.store) < 0) {
		if (errno == ENOENT)
			errx(1, "%s: no group %s", O.log->path, O.group);
		err(1, "%s: group %s", O.log->path, O.group);
	}
	O.have_store = 1;
}

/* A Kafka broker's word, failing. */
static _Noreturn void
kafka_fail(void)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s", mlog_kafka_strerror());
	mlog_kafka_close(O.kafka);
	errx(1, "%s: group %s: %s", O.url, O.group, msg);
}

/* A topic's watermarks and the group's commits. */
static void
kafka_positions(void)
{
	int64_t lo, hi;
	uint32_t i;

	for (i = 0; i < O.nparts; i++) {
		if (mlog_kafka_watermarks(O.kafka, i, &lo, &hi) < 0)
			kafka_fail();
		O.st[i].start = (uint64_t)lo;
		O.st[i].end = (uint64_t)hi;
	}
	if (mlog_kafka_committed(O.kafka, O.kpos) < 0)
		kafka_fail();
	for (i = 0; i < O.nparts; i++) {
		O.offs[i] = O.kpos[i].offset >= 0 ? O.kpos[i].offset :
		    MLOG_OFFSET_NONE;
		O.times[i] = O.kpos[i].committed_at;
	}
}

/* The positions of O.kpos in the partitions of O.which: as anyone may
 * while the group has no members; else by joining it, when the group then
 * gives us every partition to move (and no member loses one it reads). */
static void
kafka_commit(void)
{
	const uint8_t *held;
	uint32_t i;

	if (mlog_kafka_commit(O.kafka, O.kpos, O.which) == 0)
		return;
	if (errno != EBUSY)
		kafka_fail();
	if (mlog_kafka_join(O.kafka, &held) < 0)
		kafka_fail();
	for (i = 0; i < O.nparts; i++)
		if (O.which[i] && !held[i]) {
			mlog_kafka_close(O.kafka);
			errx(1, "%s: group %s: partition %u is held by another "
			    "member; stop the members first", O.url, O.group,
			    i);
		}
	if (mlog_kafka_commit(O.kafka, O.kpos, O.which) < 0)
		kafka_fail();
}

static void
load_positions(void)
{
	uint32_t i;

	if (O.kafka != NULL) {
		kafka_positions();
		return;
	}
	for (i = 0; i < O.log->partitions; i++)
		if (mlog_stat_partition(O.log, i, &O.st[i]) < 0)
			errx(1, "%s: partition %u: %s", O.log->path, i,
			    mlog_strerror(errno));
	if (mlog_offsets_load(&O.store, 0, O.offs, O.log->partitions) < 0 ||
	    mlog_offsets_times(&O.store, 0, O.times, O.log->partitions) < 0)
		errx(1, "%s: group %s: %s", O.log->path, O.group,
		    mlog_strerror(errno));
}

static int
lag_of(uint32_t i, uint64_t *lag)
{
	if (O.offs[i] == MLOG_OFFSET_NONE)
		return 0;
	*lag = mlog_stat_lag(&O.st[i], O.offs[i]);
	return 1;
}

/* Who holds partition i: 1 with who set, 0 nobody, -1 not known (the
 * members of a Kafka group are the brokers' to tell). */
static int
holder(uint32_t i, char *who, size_t len)
{
	int held;

	if (O.kafka != NULL)
		return -1;
	who[0] = '\0';
	if ((held = mlog_group_holder(O.log, O.group, i, who, len)) < 0)
		err(1, "%s: group %s", O.log->path, O.group);
	who[strcspn(who, " ")] = '\0';
	return held;
}

static void
show(void)
{
	char who[320];
	uint64_t lag, total = 0;
	uint32_t i;
	int held, n = 0;

	load_positions();
	if (O.kafka != NULL) {
		/* a group is known to Kafka as long as it has commits */
		for (i = 0; i < O.nparts; i++)
			if (O.offs[i] != MLOG_OFFSET_NONE)
				break;
		if (i == O.nparts) {
			mlog_kafka_close(O.kafka);
			errx(1, "%s: no group %s (nothing committed in the "
			    "topic)", O.url, O.group);
		}
	}
	if (O.json)
		put("{\"group\":");
	if (O.json)
		put_jstring(O.group);
	if (O.json)
		put(",\"partitions\":[");
	else
		put("%-9s  %14s  %14s  %10s  %-28s  %s\n", "PARTITION",
		    "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "HOLDER",
		    "LAST-COMMIT");
	for (i = 0; i < O.nparts; i++) {
		if (!selected(i))
			continue;
		held = holder(i, who, sizeof(who));
		if (O.json) {
			put("%s{\"partition\":%u,\"current\":", n++ ? "," : "",
			    i);
			if (O.offs[i] == MLOG_OFFSET_NONE)
				put("null");
			else
				put("%" PRId64, O.offs[i]);
			put(",\"end\":%" PRIu64 ",\"lag\":", O.st[i].end);
			if (lag_of(i, &lag))
				put("%" PRIu64, lag);
			else
				put("null");
			put(",\"holder\":");
			if (held > 0)
				put_jstring(who);
			else
				put(held < 0 ? "\"?\"" : "null");
			put(",\"committed_at\":");
			if (O.times[i] > 0)
				put("%" PRId64, O.times[i]);
			else
				put("null");
			put("}");
		} else {
			put("%-9u  ", i);
			if (O.offs[i] == MLOG_OFFSET_NONE)
				put("%14s  ", "-");
			else
				put("%14" PRId64 "  ", O.offs[i]);
			put("%14" PRIu64 "  ", O.st[i].end);
			if (lag_of(i, &lag))
				put("%10" PRIu64 "  ", lag);
			else
				put("%10s  ", "-");
			put("%-28s  ", held > 0 ? who : held < 0 ? "?" : "-");
			put_time(O.times[i]);
			put("\n");
		}
		if (lag_of(i, &lag))
			total += lag;
	}
	if (O.json)
		put("],\"lag\":%" PRIu64 "}\n", total);
}

static void
list(void)
{
	char **names;
	size_t n, k;
	uint64_t lag;
	uint32_t i, members;
	uint64_t total;

	if (mlog_groups_list(O.log, &names, &n) < 0)
		err(1, "%s: groups", O.log->path);
	if (O.json)
		put("[");
	else if (n > 0)
		put("%-24s  %10s  %7s\n", "GROUP", "LAG", "MEMBERS");
	for (k = 0; k < n; k++) {
		O.group = names[k];
		open_group(1);
		load_positions();
		if (mlog_group_members(O.log, O.group, &members) < 0)
			err(1, "%s: group %s", O.log->path, O.group);
		for (i = 0, total = 0; i < O.log->partitions; i++)
			if (lag_of(i, &lag))
				total += lag;
		if (O.json) {
			put("%s{\"group\":", k ? "," : "");
			put_jstring(O.group);
			put(",\"lag\":%" PRIu64 ",\"members\":%u}", total,
			    members);
		} else
			put("%-24s  %10" PRIu64 "  %7u\n", O.group, total,
			    members);
		mlog_offsets_release(&O.store);
		O.have_store = 0;
	}
	if (O.json)
		put("]\n");
	O.group = NULL;
	mlog_groups_free(names, n);
}

/* The first offset at or after ts in partition p, or its end. */
static uint64_t
offset_at(uint32_t p, int64_t ts)
{
	struct mlog_reader *r;
	struct mlog_record rec;
	uint64_t off = O.st[p].end;
	int64_t koff;
	int rc;

	if (O.kafka != NULL) {
		if (mlog_kafka_offset_for_time(O.kafka, p, ts, &koff) < 0)
			kafka_fail();
		return (uint64_t)koff;
	}
	if ((r = mlog_reader_open(O.log->partfd[p], p)) == NULL)
		err(1, NULL);
	if ((rc = mlog_reader_seek_time(r, ts)) == 0 &&
	    (rc = mlog_reader_next(r, &rec)) == 1)
		off = rec.offset;
	mlog_reader_close(r);
	if (rc < 0)
		errx(1, "%s: partition %u: %s", O.log->path, p,
		    mlog_strerror(errno));
	return off;
}

static int
refuse_if_held(int force, const char *what)
{
	char who[320];
	uint32_t i;
	int held;

	for (i = 0; i < O.log->partitions; i++) {
		if (!selected(i))
			continue;
		if ((held = mlog_group_holder(O.log, O.group, i, who,
		    sizeof(who))) < 0)
			err(1, "%s: group %s", O.log->path, O.group);
		if (!held)
			continue;
		who[strcspn(who, " ")] = '\0';
		if (force) {
			warnx("group %s: partition %u is held by %s; %s "
			    "anyway (--force)", O.group, i, who, what);
			continue;
		}
		errx(1, "group %s: partition %u is held by %s; stop the "
		    "members first, or use --force", O.group, i, who);
	}
	return 0;
}

static void
reset(enum reset how, int64_t v, int execute, int force)
{
	uint64_t start, end, want;
	uint32_t i;
	int64_t cur;
	int lockfd = -1, n = 0;

	if (how == R_NONE) {
		warnx("reset needs one of --to-earliest, --to-latest, "
		    "--to-offset, --to-datetime, --by-duration, --shift-by");
		usage();
	}
	if (execute && O.kafka == NULL)
		refuse_if_held(force, "resetting");
	if (O.kafka == NULL && (lockfd = mlog_group_lock(&O.store)) < 0)
		err(1, "%s: group %s: lock", O.log->path, O.group);
	load_positions();
	for (i = 0; i < O.nparts; i++) {
		O.next[i] = O.offs[i];
		if (!selected(i))
			continue;
		start = O.st[i].start;
		end = O.st[i].end;
		cur = O.offs[i];
		switch (how) {
		case R_EARLIEST:
			want = start;
			break;
		case R_LATEST:
			want = end;
			break;
		case R_OFFSET:
			want = (uint64_t)v;
			break;
		case R_TIME:
			want = offset_at(i, v);
			break;
		default:	/* R_SHIFT, from the start when none committed */
			if (cur == MLOG_OFFSET_NONE)
				cur = (int64_t)start;
			want = v < 0 && (uint64_t)-v > (uint64_t)cur ? 0 :
			    (uint64_t)(cur + v);
			break;
		}
		if (want < start)
			want = start;
		if (want > end)
			want = end;
		O.next[i] = (int64_t)want;
	}
	if (O.json)
		put("{\"group\":");
	if (O.json)
		put_jstring(O.group);
	if (O.json)
		put(",\"executed\":%s,\"partitions\":[", execute ? "true" :
		    "false");
	else
		put("%-9s  %14s  %14s\n", "PARTITION", "CURRENT-OFFSET",
		    "NEW-OFFSET");
	for (i = 0; i < O.nparts; i++) {
		if (!selected(i))
			continue;
		if (O.json) {
			put("%s{\"partition\":%u,\"current\":", n++ ? "," : "",
			    i);
			if (O.offs[i] == MLOG_OFFSET_NONE)
				put("null");
			else
				put("%" PRId64, O.offs[i]);
			put(",\"new\":%" PRId64 "}", O.next[i]);
		} else {
			put("%-9u  ", i);
			if (O.offs[i] == MLOG_OFFSET_NONE)
				put("%14s  ", "-");
			else
				put("%14" PRId64 "  ", O.offs[i]);
			put("%14" PRId64 "\n", O.next[i]);
		}
	}
	if (O.json)
		put("]}\n");
	if (O.kafka != NULL) {
		if (execute) {
			/* the plan, before a refusal */
			if (mlog_out_flush(&O.out) < 0)
				out_fail();
			for (i = 0; i < O.nparts; i++) {
				O.kpos[i].offset = O.next[i];
				O.kpos[i].pending = -1;
				O.which[i] = selected(i);
			}
			kafka_commit();
		}
	} else {
		if (execute && mlog_offsets_store(&O.store, 0, O.next,
		    O.log->partitions) < 0)
			err(1, "%s: group %s: commit", O.log->path, O.group);
		close(lockfd);
	}
	if (!execute) {
		if (mlog_out_flush(&O.out) < 0)
			out_fail();
		warnx("dry run: nothing changed; add --execute to apply");
	}
}

/* mlog-tail -m pending keeps its position in the commit's metadata, the
 * committed offset unchanged. */
static void
kafka_pending(int promote)
{
	uint32_t i;
	int any = 0;

	kafka_positions();
	for (i = 0; i < O.nparts; i++) {
		O.which[i] = O.kpos[i].pending >= 0;
		if (!O.which[i])
			continue;
		any = 1;
		if (promote)
			O.kpos[i].offset = O.kpos[i].pending;
		O.kpos[i].pending = -1;
	}
	if (!any) {
		mlog_kafka_close(O.kafka);
		errx(1, "group %s: no pending positions to %s", O.group,
		    promote ? "commit" : "abort");
	}
	kafka_commit();
}

static void
pending(int promote)
{
	char pend[512];
	int lockfd;

	if (O.kafka != NULL) {
		kafka_pending(promote);
		return;
	}
	if ((lockfd = mlog_group_lock(&O.store)) < 0)
		err(1, "%s: group %s: lock", O.log->path, O.group);
	if (promote) {
		if (mlog_offsets_commit_pending(&O.store) < 0) {
			if (errno == ENOENT)
				errx(1, "group %s: no pending positions to "
				    "commit", O.group);
			err(1, "%s: group %s: commit", O.log->path, O.group);
		}
	} else {
		snprintf(pend, sizeof(pend), "%s.pending", O.store.name);
		if (unlinkat(O.store.dirfd, pend, 0) < 0) {
			if (errno == ENOENT)
				errx(1, "group %s: no pending positions to "
				    "abort", O.group);
			err(1, "%s: group %s: abort", O.log->path, O.group);
		}
	}
	close(lockfd);
}

/* A kafka:// log: the group's consumer handle, which never subscribes
 * unless a commit needs it to join. */
static void
open_kafka(const char *cmd, const struct mlog_kafka_props *props,
    int64_t timeout, int force)
{
	struct mlog_kafka_opts ko = { 0 };

	if (strcmp(cmd, "list") == 0 || strcmp(cmd, "delete") == 0) {
		warnx("%s: not available for a kafka:// log (the brokers' "
		    "own tools list and delete groups)", cmd);
		usage();
	}
	if (force) {
		warnx("--force: not for a kafka:// log: the group's members "
		    "hold their partitions");
		usage();
	}
	if (O.group == NULL) {
		warnx("this command needs a group (-g)");
		usage();
	}
	ko.role = MLOG_KAFKA_CONSUMER;
	ko.timeout_us = timeout;
	ko.props = props;
	ko.group = O.group;
	if ((O.kafka = mlog_kafka_open(O.url, &ko)) == NULL)
		errx(errno == EINVAL ? 2 : 1, "%s: %s", O.url,
		    mlog_kafka_strerror());
	O.nparts = mlog_kafka_partitions(O.kafka);
}

int
main(int argc, char *argv[])
{
	const char *why;
	static const struct option longopts[] = {
		{ "to-earliest",	no_argument,		NULL, 'b' },
		{ "by-duration",	required_argument,	NULL, 'd' },
		{ "to-latest",		no_argument,		NULL, 'e' },
		{ "force",		no_argument,		NULL, 'f' },
		{ "group",		required_argument,	NULL, 'g' },
		{ "help",		no_argument,		NULL, 'h' },
		{ "json",		no_argument,		NULL, 'J' },
		{ "to-offset",		required_argument,	NULL, 'o' },
		{ "partition",		required_argument,	NULL, 'p' },
		{ "shift-by",		required_argument,	NULL, 's' },
		{ "to-datetime",	required_argument,	NULL, 't' },
		{ "execute",		no_argument,		NULL, 'x' },
		{ "property",		required_argument,	NULL, 'X' },
		{ "kafka-config",	required_argument,	NULL, O_KAFKA_CONFIG },
		{ "timeout",		required_argument,	NULL, O_TIMEOUT },
		{ NULL,			0,			NULL, 0 }
	};
	struct mlog_kafka_props props = { NULL, 0, 0 };
	const char *kafkaopt = "";
	int64_t timeout = 10 * 1000000LL;
	char msg[128];
	int rc;
	enum reset how = R_NONE;
	const char *errstr, *cmd;
	int64_t v = 0, d;
	int c, execute = 0, force = 0, resets = 0;

	O.part = -1;
	while ((c = getopt_long(argc, argv, "bd:efg:hJo:p:s:t:xX:", longopts,
	    NULL)) != -1) {
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
		case 'b':
			how = R_EARLIEST;
			resets++;
			break;
		case 'd':
			if (mlog_duration_parse(optarg, &d) < 0) {
				warnx("--by-duration: bad duration: %s", optarg);
				usage();
			}
			how = R_TIME;
			v = mlog_now_us() - d;
			resets++;
			break;
		case 'e':
			how = R_LATEST;
			resets++;
			break;
		case 'f':
			force = 1;
			break;
		case 'g':
			if (!mlog_group_name_valid(optarg)) {
				warnx("--group: invalid name (%s): %s",
				    MLOG_GROUP_NAME_RULES, optarg);
				usage();
			}
			O.group = optarg;
			break;
		case 'h':
			help();
		case 'J':
			O.json = 1;
			break;
		case 'o':
			v = strtonum(optarg, 0, INT64_MAX, &errstr);
			if (errstr != NULL) {
				warnx("--to-offset: %s: %s", errstr, optarg);
				usage();
			}
			how = R_OFFSET;
			resets++;
			break;
		case 'p':
			O.part = strtonum(optarg, 0, MLOG_PARTITIONS_MAX - 1,
			    &errstr);
			if (errstr != NULL) {
				warnx("--partition: %s: %s", errstr, optarg);
				usage();
			}
			break;
		case 's':
			v = strtonum(optarg, -INT64_MAX / 2, INT64_MAX / 2,
			    &errstr);
			if (errstr != NULL) {
				warnx("--shift-by: %s: %s", errstr, optarg);
				usage();
			}
			how = R_SHIFT;
			resets++;
			break;
		case 't':
			if (mlog_time_parse(optarg, mlog_now_us(), &v) < 0) {
				warnx("--to-datetime: bad time: %s", optarg);
				usage();
			}
			how = R_TIME;
			resets++;
			break;
		case 'x':
			execute = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 2)
		usage();
	cmd = argc == 2 ? argv[1] : "show";
	if (resets > 1) {
		warnx("only one of -b, -e, -o, -t, -d and -s may be given");
		usage();
	}
	if (strcmp(cmd, "reset") != 0 && (resets || execute)) {
		warnx("-b, -e, -o, -t, -d, -s and -x go with reset");
		usage();
	}
	O.url = argv[0];
	if (mlog_log_is_kafka(argv[0]))
		open_kafka(cmd, &props, timeout, force);
	else {
		if (*kafkaopt != '\0') {
			warnx("%s: only for a kafka:// log", kafkaopt);
			usage();
		}
		if ((O.log = mlog_log_open(argv[0], 0, NULL)) == NULL)
			errx(1, "%s: %s", argv[0], mlog_strerror(errno));
		if ((why = mlog_log_exposure(argv[0])) != NULL)
			warnx("%s: warning: log directory %s", argv[0], why);
		O.nparts = O.log->partitions;
	}
	mlog_kafka_props_free(&props);
	if (O.part >= (int64_t)O.nparts) {
		mlog_kafka_close(O.kafka);
		errx(2, "--partition: %" PRId64 " is out of range (the log has "
		    "%u partition%s)", O.part, O.nparts,
		    O.nparts == 1 ? "" : "s");
	}
	if ((O.st = calloc(O.nparts, sizeof(*O.st))) == NULL ||
	    (O.offs = calloc(O.nparts, sizeof(*O.offs))) == NULL ||
	    (O.times = calloc(O.nparts, sizeof(*O.times))) == NULL ||
	    (O.next = calloc(O.nparts, sizeof(*O.next))) == NULL ||
	    (O.kpos = calloc(O.nparts, sizeof(*O.kpos))) == NULL ||
	    (O.which = calloc(O.nparts, 1)) == NULL ||
	    mlog_out_init(&O.out, 1, 64 * 1024) < 0)
		err(1, NULL);
	if (strcmp(cmd, "show") == 0) {
		open_group(1);
		show();
	} else if (strcmp(cmd, "list") == 0)
		list();
	else if (strcmp(cmd, "reset") == 0) {
		open_group(1);
		reset(how, v, execute, force);
	} else if (strcmp(cmd, "commit") == 0 || strcmp(cmd, "abort") == 0) {
		open_group(1);
		pending(strcmp(cmd, "commit") == 0);
	} else if (strcmp(cmd, "delete") == 0) {
		open_group(1);
		refuse_if_held(force, "deleting");
		mlog_offsets_release(&O.store);
		O.have_store = 0;
		if (mlog_group_delete(O.log, O.group) < 0)
			err(1, "%s: group %s: delete", O.log->path, O.group);
	} else {
		warnx("unknown command: %s", cmd);
		usage();
	}
	if (mlog_out_flush(&O.out) < 0)
		out_fail();
	if (O.have_store)
		mlog_offsets_release(&O.store);
	mlog_log_close(O.log);
	O.log = NULL;
	mlog_kafka_close(O.kafka);
	return 0;
}

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

enum reset { R_NONE, R_EARLIEST, R_LATEST, R_OFFSET, R_TIME, R_SHIFT };

static struct {
	struct mlog_log		*log;
	const char		*group;
	struct mlog_offsets	 store;
	int			 have_store;
	struct mlog_stat	*st;
	int64_t			*offs, *times, *next;
	struct mlog_out		 out;
	int			 json;
	int64_t			 part;
} O;

static _Noreturn void
usage(void)
{
	fprintf(stderr,
"usage: mlog-offset [-fJx] [-b | -e | -o offset | -t time | -s n | -d dur]\n"
"                   [-g group] [-p partition] log [command]\n");
	exit(2);
}

static _Noreturn void
help(void)
{
	printf(
"usage: mlog-offset [-fJx] [-b | -e | -o offset | -t time | -s n | -d dur]\n"
"                   [-g group] [-p partition] log [command]\n"
"\n"
"Show and move the committed positions of consumer groups of LOG.\n"
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
	if (mlog_offsets_group(O.log, O.group, 0, &O.store) < 0) {
		if (errno == ENOENT)
			errx(1, "%s: no group %s", O.log->path, O.group);
		err(1, "%s: group %s", O.log->path, O.group);
	}
	O.have_store = 1;
}

static void
load_positions(void)
{
	uint32_t i;

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

static void
show(void)
{
	char who[320];
	uint64_t lag, total = 0;
	uint32_t i;
	int held, n = 0;

	load_positions();
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
	for (i = 0; i < O.log->partitions; i++) {
		if (!selected(i))
			continue;
		who[0] = '\0';
		if ((held = mlog_group_holder(O.log, O.group, i, who,
		    sizeof(who))) < 0)
			err(1, "%s: group %s", O.log->path, O.group);
		who[strcspn(who, " ")] = '\0';
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
			if (held)
				put_jstring(who);
			else
				put("null");
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
			put("%-28s  ", held ? who : "-");
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
	int rc;

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
	int lockfd, n = 0;

	if (how == R_NONE) {
		warnx("reset needs one of --to-earliest, --to-latest, "
		    "--to-offset, --to-datetime, --by-duration, --shift-by");
		usage();
	}
	if (execute)
		refuse_if_held(force, "resetting");
	if ((lockfd = mlog_group_lock(&O.store)) < 0)
		err(1, "%s: group %s: lock", O.log->path, O.group);
	load_positions();
	for (i = 0; i < O.log->partitions; i++) {
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
	for (i = 0; i < O.log->partitions; i++) {
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
	if (execute && mlog_offsets_store(&O.store, 0, O.next,
	    O.log->partitions) < 0)
		err(1, "%s: group %s: commit", O.log->path, O.group);
	close(lockfd);
	if (!execute) {
		if (mlog_out_flush(&O.out) < 0)
			out_fail();
		warnx("dry run: nothing changed; add --execute to apply");
	}
}

static void
pending(int promote)
{
	char pend[512];
	int lockfd;

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

int
main(int argc, char *argv[])
{
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
		{ NULL,			0,			NULL, 0 }
	};
	enum reset how = R_NONE;
	const char *errstr, *cmd;
	int64_t v = 0, d;
	int c, execute = 0, force = 0, resets = 0;

	O.part = -1;
	while ((c = getopt_long(argc, argv, "bd:efg:hJo:p:s:t:x", longopts,
	    NULL)) != -1) {
		switch (c) {
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
	if (mlog_log_is_kafka(argv[0])) {
		warnx("%s: kafka:// logs are not yet supported", argv[0]);
		usage();
	}
	if ((O.log = mlog_log_open(argv[0], 0, NULL)) == NULL)
		errx(1, "%s: %s", argv[0], mlog_strerror(errno));
	if (O.part >= (int64_t)O.log->partitions)
		errx(2, "--partition: %" PRId64 " is out of range (the log has "
		    "%u partition%s)", O.part, O.log->partitions,
		    O.log->partitions == 1 ? "" : "s");
	if ((O.st = calloc(O.log->partitions, sizeof(*O.st))) == NULL ||
	    (O.offs = calloc(O.log->partitions, sizeof(*O.offs))) == NULL ||
	    (O.times = calloc(O.log->partitions, sizeof(*O.times))) == NULL ||
	    (O.next = calloc(O.log->partitions, sizeof(*O.next))) == NULL ||
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
	return 0;
}

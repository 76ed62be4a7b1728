/*
 * mlog-trim: retention.  Deletes whole sealed segments from the oldest end
 * of each partition by age, size or record count (or by the limits stored
 * in the log), says what went, and warns about consumer groups that had
 * not read what was deleted.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mlog.h"

static struct {
	struct mlog_log	*log;
	int		 dry, quiet;
	uint64_t	 segs, bytes;
} T;

static _Noreturn void
usage(void)
{
	fprintf(stderr,
"usage: mlog-trim [-nq] [-a age] [-r records] [-s size] [-p partition] log\n");
	exit(2);
}

static _Noreturn void
help(void)
{
	printf(
"usage: mlog-trim [-nq] [-a age] [-r records] [-s size] [-p partition] log\n"
"\n"
"Delete LOG's oldest sealed segments, whole, while every record in the next\n"
"one to go is beyond a limit.  Without a limit, the log's own retention\n"
"settings (mlog-append --retain-age, --retain-size) apply.\n"
"\n"
"  -a, --max-age=DUR        delete segments whose newest record is older\n"
"                           than DUR (500ms, 10s, 5m, 2h, 7d)\n"
"  -s, --max-size=SIZE      keep at least SIZE bytes of segments per\n"
"                           partition, deleting older ones (K, M, G)\n"
"  -r, --max-records=N      keep at least the N newest offsets per\n"
"                           partition, deleting older segments\n"
"  -p, --partition=N        trim partition N only\n"
"  -n, --dry-run            say what would be deleted, delete nothing\n"
"  -q, --quiet              print nothing but warnings and errors\n"
"  -h, --help               show this help\n"
"\n"
"See mlog-trim(1).\n");
	exit(0);
}

static void
fmt_time(char *buf, size_t len, int64_t us)
{
	struct tm tm;
	time_t t;

	if (us == INT64_MIN) {
		strlcpy(buf, "no records", len);
		return;
	}
	t = (time_t)(us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000));
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "newest %Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "newest %" PRId64 " us", us);
}

static void
gone(void *arg, const struct mlog_trim_seg *s)
{
	char name[32], when[48];

	(void)arg;
	T.segs++;
	T.bytes += s->bytes;
	if (T.quiet)
		return;
	mlog_segment_name(name, sizeof(name), s->base, "log");
	fmt_time(when, sizeof(when), s->maxts);
	if (s->end > s->base)
		printf("partition %u: %s %s: offsets %" PRIu64 " to %" PRIu64
		    ", %" PRIu64 " bytes, %s\n", s->partition,
		    T.dry ? "would delete" : "deleted", name, s->base,
		    s->end - 1, s->bytes, when);
	else
		printf("partition %u: %s %s: no offsets, %" PRIu64
		    " bytes\n", s->partition, T.dry ? "would delete" :
		    "deleted", name, s->bytes);
}

/* Groups whose committed position lies in what was deleted. */
static void
warn_groups(uint32_t pn, uint64_t oldstart, uint64_t newstart)
{
	struct mlog_offsets o;
	char **names;
	size_t i, n;
	int64_t *offs;
	uint64_t from;

	if (mlog_groups_list(T.log, &names, &n) < 0)
		err(1, "%s: groups", T.log->path);
	if ((offs = calloc(T.log->partitions, sizeof(*offs))) == NULL)
		err(1, NULL);
	for (i = 0; i < n; i++) {
		if (mlog_offsets_group(T.log, names[i], 0, &o) < 0)
			continue;
		if (mlog_offsets_load(&o, 0, offs, T.log->partitions) == 0 &&
		    offs[pn] != MLOG_OFFSET_NONE &&
		    (uint64_t)offs[pn] < newstart) {
			from = (uint64_t)offs[pn] > oldstart ?
			    (uint64_t)offs[pn] : oldstart;
			if (from < newstart)
				warnx("%s: group %s: partition %u: %" PRIu64
				    " unread record%s %s (committed offset %"
				    PRId64 ", start %s %" PRIu64 ")",
				    T.log->path, names[i], pn, newstart - from,
				    newstart - from == 1 ? "" : "s",
				    T.dry ? "would be deleted" : "deleted",
				    offs[pn], T.dry ? "would be" : "now",
				    newstart);
		}
		mlog_offsets_release(&o);
	}
	free(offs);
	mlog_groups_free(names, n);
}

int
main(int argc, char *argv[])
{
	const char *why;
	static const struct option longopts[] = {
		{ "max-age",		required_argument,	NULL, 'a' },
		{ "help",		no_argument,		NULL, 'h' },
		{ "dry-run",		no_argument,		NULL, 'n' },
		{ "partition",		required_argument,	NULL, 'p' },
		{ "quiet",		no_argument,		NULL, 'q' },
		{ "max-records",	required_argument,	NULL, 'r' },
		{ "max-size",		required_argument,	NULL, 's' },
		{ NULL,			0,			NULL, 0 }
	};
	struct mlog_trim_opts o;
	const char *errstr;
	char msg[128];
	uint64_t oldstart, newstart, end;
	int64_t part = -1;
	uint32_t pn, first, last;
	struct mlog_stat st;
	int c, limits = 0;

	o.max_age_us = -1;
	o.max_bytes = o.max_records = MLOG_TRIM_NONE;
	while ((c = getopt_long(argc, argv, "a:hnp:qr:s:", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'a':
			if (mlog_duration_arg("--max-age", optarg, 0, 1,
			    &o.max_age_us, msg, sizeof(msg)) < 0) {
				warnx("%s", msg);
				usage();
			}
			limits = 1;
			break;
		case 'h':
			help();
			break;
		case 'n':
			T.dry = 1;
			break;
		case 'p':
			part = strtonum(optarg, 0, MLOG_PARTITIONS_MAX - 1,
			    &errstr);
			if (errstr != NULL) {
				warnx("--partition: %s: %s", errstr, optarg);
				usage();
			}
			break;
		case 'q':
			T.quiet = 1;
			break;
		case 'r':
			o.max_records = (uint64_t)strtonum(optarg, 0, INT64_MAX,
			    &errstr);
			if (errstr != NULL) {
				warnx("--max-records: %s: %s", errstr, optarg);
				usage();
			}
			limits = 1;
			break;
		case 's':
			if (mlog_size_parse(optarg, &o.max_bytes) < 0 ||
			    o.max_bytes == MLOG_TRIM_NONE) {
				warnx("--max-size: bad size: %s", optarg);
				usage();
			}
			limits = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage();
	if ((T.log = mlog_log_open(argv[0], 0, NULL)) == NULL)
		errx(1, "%s: %s", argv[0], mlog_strerror(errno));
	if ((why = mlog_log_exposure(argv[0])) != NULL)
		warnx("%s: warning: log directory %s", argv[0], why);
	if (!limits) {
		if (T.log->retain_age_us == 0 && T.log->retain_bytes == 0) {
			warnx("%s: no limit given (--max-age, --max-size, "
			    "--max-records) and the log has no retention "
			    "settings", argv[0]);
			usage();
		}
		if (T.log->retain_age_us)
			o.max_age_us = T.log->retain_age_us;
		if (T.log->retain_bytes)
			o.max_bytes = T.log->retain_bytes;
	}
	if (part >= (int64_t)T.log->partitions)
		errx(1, "%s: no partition %" PRId64 " (the log has %u)",
		    argv[0], part, T.log->partitions);
	o.now = mlog_now_us();
	o.dry_run = T.dry;
	first = part >= 0 ? (uint32_t)part : 0;
	last = part >= 0 ? (uint32_t)part : T.log->partitions - 1;
	for (pn = first; pn <= last; pn++) {
		if (mlog_stat_partition(T.log, pn, &st) < 0)
			errx(1, "%s: partition %u: %s", argv[0], pn,
			    mlog_strerror(errno));
		oldstart = st.start;
		end = st.end;
		if (mlog_trim_partition(T.log, pn, &o, gone, NULL,
		    &newstart) < 0) {
			/* what was deleted before the error comes first */
			c = errno;
			fflush(stdout);
			errx(1, "%s: partition %u: %s", argv[0], pn,
			    mlog_strerror(c));
		}
		if (newstart > end)
			newstart = end;
		if (newstart > oldstart) {
			if (!T.quiet)
				printf("partition %u: start %s %" PRIu64
				    " to %" PRIu64 "\n", pn,
				    T.dry ? "would move from" : "moved from",
				    oldstart, newstart);
			warn_groups(pn, oldstart, newstart);
		}
	}
	if (!T.quiet)
		printf("%s %" PRIu64 " segment%s, %" PRIu64 " bytes\n",
		    T.dry ? "would delete" : "deleted", T.segs,
		    T.segs == 1 ? "" : "s", T.bytes);
	mlog_log_close(T.log);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return 0;
}

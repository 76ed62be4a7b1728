/*
 * mlog-compact: keep only the latest record of each key in the sealed
 * segments of a log (Kafka's cleanup.policy=compact), finishing or undoing
 * an interrupted run first.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlog.h"

#define DEF_RETENTION	"1d"

static struct {
	struct mlog_log	*log;
	int		*locks;		/* per partition, -1 when not held */
} S;

static _Noreturn void
usage(void)
{
	fprintf(stderr,
"usage: mlog-compact [-hnq] [-d duration] [-p partition] [-t null | empty]\n"
"                    log\n");
	exit(2);
}

static _Noreturn void
help(void)
{
	printf(
"usage: mlog-compact [-hnq] [-d duration] [-p partition] [-t null | empty]\n"
"                    log\n"
"\n"
"Keep only the latest record of each key in the sealed segments of LOG\n"
"(all but the last of each partition); offsets do not change.  Records\n"
"without a key stay.  Small segments are merged.\n"
"\n"
"  -t, --tombstone=KIND       null (default): a null value or the value\n"
"                             `null` deletes its key; empty: empty values too\n"
"  -d, --delete-retention=DUR keep the latest tombstone of a key until it is\n"
"                             older than DUR (default " DEF_RETENTION "; 0 drops them)\n"
"  -n, --dry-run              print what a run would do, change nothing\n"
"  -p, --partition=N          compact partition N only\n"
"  -q, --quiet                print nothing unless something fails\n"
"  -h, --help                 show this help\n"
"\n"
"See mlog-compact(1).\n");
	exit(0);
}

static void
cleanup(void)
{
	uint32_t i;

	if (S.locks != NULL && S.log != NULL)
		for (i = 0; i < S.log->partitions; i++)
			if (S.locks[i] >= 0)
				close(S.locks[i]);
	free(S.locks);
	mlog_log_close(S.log);
}

static void
report(const char *what, const struct mlog_compact_stat *s)
{
	printf("%s: keys %" PRIu64 ", segments %" PRIu64 " -> %" PRIu64
	    ", records %" PRIu64 " -> %" PRIu64 " (removed %" PRIu64
	    ", tombstones dropped %" PRIu64 "), bytes %" PRIu64 " -> %" PRIu64
	    "\n", what,
	    s->keys, s->segments_before, s->segments_after, s->records_before,
	    s->records_after, s->records_before - s->records_after,
	    s->tombstones, s->bytes_before, s->bytes_after);
}

static void
add(struct mlog_compact_stat *t, const struct mlog_compact_stat *s)
{
	t->keys += s->keys;
	t->segments_before += s->segments_before;
	t->segments_after += s->segments_after;
	t->records_before += s->records_before;
	t->records_after += s->records_after;
	t->bytes_before += s->bytes_before;
	t->bytes_after += s->bytes_after;
	t->tombstones += s->tombstones;
}

/* Compact partition p; 0, or -1 after saying why. */
static int
compact(uint32_t p, const struct mlog_compact_opts *o, int quiet,
    struct mlog_compact_stat *st)
{
	const char *path = S.log->path;
	struct mlog_compact_error e;
	char name[32];
	int done;

	if (!o->dry_run) {
		if (mlog_compact_recover(S.log, p, S.locks[p], &done) < 0) {
			warnx("%s: partition %u: recovering an interrupted "
			    "compaction: %s", path, p, mlog_strerror(errno));
			return -1;
		}
		if (done == MLOG_COMPACT_ROLLED_FORWARD && !quiet)
			warnx("%s: partition %u: finished an interrupted "
			    "compaction", path, p);
		else if (done == MLOG_COMPACT_ROLLED_BACK && !quiet)
			warnx("%s: partition %u: removed the files of an "
			    "interrupted compaction", path, p);
	}
	if (mlog_compact_partition(S.log, p, o, st, &e) == 0)
		return 0;
	mlog_segment_name(name, sizeof(name), e.segment, "log");
	name[20] = '\0';
	if (errno == EBADMSG)
		warnx("%s: partition %u: segment %s: corrupt record at byte %"
		    PRIu64 " (offset %" PRIu64 "); the partition was not "
		    "compacted", path, p, name, e.position, e.offset);
	else if (errno == ESTALE)
		warnx("%s: partition %u: segment %s was removed or changed "
		    "during the compaction (by mlog-trim?); the partition was "
		    "left as it was", path, p, name);
	else if (errno == EAGAIN)
		warnx("%s: partition %u: an interrupted compaction is "
		    "pending; run mlog-compact without --dry-run to finish it",
		    path, p);
	else
		warnx("%s: partition %u: %s", path, p, mlog_strerror(errno));
	return -1;
}

int
main(int argc, char *argv[])
{
	const char *why;
	static const struct option longopts[] = {
		{ "delete-retention",	required_argument,	NULL, 'd' },
		{ "dry-run",		no_argument,		NULL, 'n' },
		{ "help",		no_argument,		NULL, 'h' },
		{ "partition",		required_argument,	NULL, 'p' },
		{ "quiet",		no_argument,		NULL, 'q' },
		{ "tombstone",		required_argument,	NULL, 't' },
		{ NULL,			0,			NULL, 0 }
	};
	struct mlog_compact_opts o;
	struct mlog_compact_stat st, tot;
	const char *errstr, *retention = DEF_RETENTION;
	char msg[300];
	int64_t part = -1;
	uint32_t i, first, last, n = 0;
	int c, quiet = 0, status = 0;

	memset(&o, 0, sizeof(o));
	o.tombstone = MLOG_TOMBSTONE_NULL;
	while ((c = getopt_long(argc, argv, "d:hnp:qt:", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'd':
			retention = optarg;
			break;
		case 'h':
			help();
		case 'n':
			o.dry_run = 1;
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
			quiet = 1;
			break;
		case 't':
			if (strcmp(optarg, "null") == 0)
				o.tombstone = MLOG_TOMBSTONE_NULL;
			else if (strcmp(optarg, "empty") == 0)
				o.tombstone = MLOG_TOMBSTONE_EMPTY;
			else {
				warnx("--tombstone: expected null or empty: %s",
				    optarg);
				usage();
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
	if (mlog_duration_arg("--delete-retention", retention, 0, 1,
	    &o.delete_retention_us, msg, sizeof(msg)) < 0) {
		warnx("%s", msg);
		usage();
	}

	if (atexit(cleanup) != 0)
		err(1, "atexit");
	if ((S.log = mlog_log_open(argv[0], 0, NULL)) == NULL)
		errx(1, "%s: %s", argv[0], mlog_strerror(errno));
	if ((why = mlog_log_exposure(argv[0])) != NULL)
		warnx("%s: warning: log directory %s", argv[0], why);
	if (part >= (int64_t)S.log->partitions)
		errx(2, "--partition: %" PRId64 " is out of range (the log has "
		    "%u partition%s)", part, S.log->partitions,
		    S.log->partitions == 1 ? "" : "s");
	first = part >= 0 ? (uint32_t)part : 0;
	last = part >= 0 ? (uint32_t)part : S.log->partitions - 1;
	if ((S.locks = calloc(S.log->partitions, sizeof(int))) == NULL)
		err(1, NULL);
	for (i = 0; i < S.log->partitions; i++)
		S.locks[i] = -1;
	/* every partition's lock for the whole run, so that a second run
	 * fails at once instead of halfway */
	for (i = first; i <= last; i++) {
		S.locks[i] = mlog_compact_lock(S.log, i, !o.dry_run);
		if (S.locks[i] >= 0 || (o.dry_run && errno == ENOENT))
			continue;
		if (errno == EWOULDBLOCK)
			errx(1, "%s: partition %u: another mlog-compact is "
			    "running on it", S.log->path, i);
		errx(1, "%s: partition %u: %s", S.log->path, i,
		    mlog_strerror(errno));
	}

	memset(&tot, 0, sizeof(tot));
	for (i = first; i <= last; i++) {
		if (compact(i, &o, quiet, &st) < 0) {
			status = 1;
			continue;
		}
		add(&tot, &st);
		n++;
		if (!quiet) {
			snprintf(msg, sizeof(msg), "partition %u", i);
			report(msg, &st);
		}
	}
	if (!quiet && n > 1)
		report("total", &tot);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return status;
}

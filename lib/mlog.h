/*
 * libmlog: the append-only, offset-addressed log behind every mstreams tool,
 * plus the small pieces the binaries share (time parsing, offset files, the
 * JSON envelope, buffered output).
 *
 * Conventions: functions return 0 (or a count) on success and -1 with errno
 * set on failure; EBADMSG means corrupt data on disk.  OUT parameters are left
 * untouched on failure.  Nothing here prints or exits.  Pointers handed out in
 * a struct mlog_record stay valid until the next call on the same reader.
 */
#ifndef MLOG_H
#define MLOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MLOG_FORMAT_VERSION	1
#define MLOG_SEG_HDR		24	/* segment file header size */
#define MLOG_REC_HDR		29	/* record header size, key and value follow */
#define MLOG_LINE_MAX		(256u << 20) /* longest key + value accepted */
#define MLOG_REC_MAX		(MLOG_LINE_MAX + 64) /* hard cap on one record */
#define MLOG_INDEX_INTERVAL	4096	/* bytes of records between index entries */
#define MLOG_PARTITIONS_MAX	1024
#define MLOG_SEGMENT_MIN	1024	/* bounds of --segment-size */
#define MLOG_SEGMENT_MAX	(1ull << 30)
#define MLOG_TS_UNSET		INT64_MIN /* no timestamp given (envelopes) */
/* The timestamps a log holds: years 0000 to 9999, as RFC 3339 has them. */
#define MLOG_TS_MIN		(-62167219200LL * 1000000) /* 0000-01-01T00:00:00Z */
#define MLOG_TS_MAX		(253402300800LL * 1000000 - 1) /* 9999-12-31T23:59:59.999999Z */

#define MLOG_ATTR_KEY		0x01	/* the record has a key (maybe empty) */
#define MLOG_ATTR_NULLVAL	0x02	/* the value is null (a tombstone) */

/* One record as read from the log; key and value point into reader memory. */
struct mlog_record {
	uint64_t	 offset;
	int64_t		 timestamp;	/* microseconds since the epoch */
	uint32_t	 partition;
	int		 has_key;
	int		 null_value;
	const unsigned char *key;
	size_t		 keylen;
	const unsigned char *value;
	size_t		 valuelen;
};

/* strerror(3) that also names the library's own conditions. */
const char	*mlog_strerror(int err);

/* ---- crc32c.c ---- */
uint32_t	mlog_crc32c(uint32_t crc, const void *buf, size_t len);
/* memcpy() that also returns the CRC of what it copied. */
uint32_t	mlog_crc32c_copy(uint32_t crc, void *dst, const void *src,
		    size_t len);
/* crc[i] = mlog_crc32c(0, p[i], len[i]) for n buffers, several at once. */
void		mlog_crc32c_many(const unsigned char *const *p, const size_t *len,
		    uint32_t *crc, size_t n);
/* The table-driven version, always; for tests of the hardware path. */
uint32_t	mlog_crc32c_portable(uint32_t crc, const void *buf, size_t len);

/* ---- segment.c: the byte format ---- */
size_t		mlog_record_size(size_t keylen, size_t valuelen);
/* Encode a record, CRC included, into dst (mlog_record_size() bytes); the
 * offset is stamped later, under the lock, by mlog_record_stamp(). */
void		mlog_record_encode(unsigned char *dst, int64_t ts,
		    const void *key, size_t keylen, int has_key,
		    const void *value, size_t valuelen, int null_value);
void		mlog_record_stamp(unsigned char *rec, uint64_t offset);
/* Decode and verify the record at buf (avail bytes available).  Returns the
 * record's total size, 0 when more bytes are needed (*need says how many in
 * all), or -1 with EBADMSG when the bytes are not a valid record. */
ssize_t		mlog_record_decode(const unsigned char *buf, size_t avail,
		    struct mlog_record *rec, size_t *need);
/* mlog_record_decode() without the CRC check, for callers that check
 * many records' CRCs at once. */
ssize_t		mlog_record_parse(const unsigned char *buf, size_t avail,
		    struct mlog_record *rec, size_t *need);
void		mlog_segment_name(char *buf, size_t len, uint64_t base,
		    const char *ext);
int		mlog_segment_parse_name(const char *name, const char *ext,
		    uint64_t *base);

/* ---- log.c: the log directory ---- */
struct mlog_log_opts {
	uint32_t	partitions;	/* at creation; 0 = default 1 */
	uint64_t	segment_bytes;	/* at creation; 0 = default 128 MiB */
	int64_t		segment_age_us;	/* at creation; 0 = default 7 days */
	int64_t		retain_age_us;	/* at creation; 0 = keep forever */
	uint64_t	retain_bytes;	/* per partition; 0 = no limit */
};

struct mlog_log {
	int		 dirfd;
	char		*path;
	uint32_t	 partitions;
	uint64_t	 segment_bytes;
	int64_t		 segment_age_us;
	int64_t		 retain_age_us;	/* retention applied on roll, 0 = none */
	uint64_t	 retain_bytes;
	int		*partfd;	/* one directory fd per partition */
};

/* Open an existing log (create == 0) or open-or-create it; the caller owns
 * the returned log and frees it with mlog_log_close().  With create and an
 * existing log, opts that disagree with the log fail with EEXIST. */
struct mlog_log *mlog_log_open(const char *path, int create,
		    const struct mlog_log_opts *opts);
void		mlog_log_close(struct mlog_log *);
/* Why the log directory at path is open to other users, for a warning, or
 * NULL: writable by every user (even with the sticky bit: another user
 * could make the names the log has yet to make, such as groups/G), or
 * owned by a user other than the caller and root. */
const char	*mlog_log_exposure(const char *path);
/* The start offset retention persisted for a partition (pN/start), 0 when
 * none was: records below it are deleted even where their segment is still
 * there.  The partition's first offset is the larger of it and the first
 * segment's base. */
int		mlog_log_start(int partfd, uint64_t *start);
/* Sorted segment base offsets of a partition; *bases is malloc'd. */
int		mlog_log_segments(int partfd, uint64_t **bases, size_t *n);
uint32_t	mlog_partition_for_key(const void *key, size_t len, uint32_t n);

/* ---- writer.c: appending ---- */
enum mlog_fsync { MLOG_FSYNC_NEVER, MLOG_FSYNC_INTERVAL, MLOG_FSYNC_ALWAYS };

struct mlog_recovery {
	uint32_t	partition;
	uint64_t	segment;	/* base offset of the segment cut */
	uint64_t	position;	/* byte position of the cut */
	uint64_t	bytes;		/* bytes removed */
	uint64_t	records;	/* records (or record fragments) removed */
	int		refused;	/* valid records follow the invalid bytes:
					 * nothing was cut, the append fails
					 * with EBADMSG */
};

struct mlog_writer;
typedef void	(*mlog_recovery_fn)(void *arg, const struct mlog_recovery *);

/* The writer borrows log, which must outlive it. */
struct mlog_writer *mlog_writer_open(struct mlog_log *log, enum mlog_fsync mode,
		    mlog_recovery_fn fn, void *arg);
/* Append nrec records encoded back to back in buf (mlog_record_encode) to
 * one partition, in one write per segment touched, under the partition
 * lock.  Stamps the offsets in place.
 * On success *first is the offset of the first record.  On failure nothing
 * of this batch remains in the log. */
int		mlog_writer_append(struct mlog_writer *, uint32_t partition,
		    unsigned char *buf, size_t len, size_t nrec, uint64_t *first);
/* The errno of the first failure of retention at a roll since the last
 * call (the appends themselves succeeded), 0 when none. */
int		mlog_writer_retain_error(struct mlog_writer *);
/* fdatasync every partition written since the last sync. */
int		mlog_writer_sync(struct mlog_writer *);
void		mlog_writer_close(struct mlog_writer *);

/* ---- retain.c: retention ---- */
#define MLOG_TRIM_NONE	UINT64_MAX	/* no limit, for max_bytes, max_records */
struct mlog_trim_opts {
	int64_t		max_age_us;	/* < 0: no limit by age */
	uint64_t	max_bytes;	/* of segment files per partition */
	uint64_t	max_records;	/* offsets per partition */
	int64_t		now;		/* for max_age_us */
	int		dry_run;	/* report, delete nothing */
};
/* A segment retention deleted (or would delete). */
struct mlog_trim_seg {
	uint32_t	partition;
	uint64_t	base;		/* its offsets: base .. end - 1 */
	uint64_t	end;
	uint64_t	bytes;
	int64_t		maxts;		/* newest record; INT64_MIN if none */
};
typedef void	(*mlog_trim_fn)(void *arg, const struct mlog_trim_seg *);
/* Delete a partition's oldest sealed segments while every record in the
 * next one to go is beyond a limit; fn (may be NULL) is told about each,
 * oldest first.  *newstart is the partition's start offset afterwards. */
int		mlog_trim_partition(struct mlog_log *, uint32_t partition,
		    const struct mlog_trim_opts *, mlog_trim_fn fn, void *arg,
		    uint64_t *newstart);

/* ---- reader.c: reading one partition, lock-free ---- */
struct mlog_reader;

/* The reader borrows partfd.  It starts at the beginning of the partition. */
struct mlog_reader *mlog_reader_open(int partfd, uint32_t partition);
void		mlog_reader_close(struct mlog_reader *);
/* Told that offsets from .. to-1, which the reader was positioned on or
 * about to read, are gone: deleted from the oldest end by retention
 * (retained != 0: to is the partition's first offset), or missing in the
 * middle (a damaged segment moved aside by mlog-check --repair).  Reading
 * goes on at to when fn returns 0; the reader's call fails with ERANGE
 * when it returns -1. */
typedef int	(*mlog_gap_fn)(void *arg, uint32_t partition, uint64_t from,
		    uint64_t to, int retained);
void		mlog_reader_on_gap(struct mlog_reader *, mlog_gap_fn, void *arg);
/* Position at the first record with offset >= off. */
int		mlog_reader_seek_offset(struct mlog_reader *, uint64_t off);
/* Position at the first record with timestamp >= ts (found through the time
 * index); records after it are returned whatever their timestamps. */
int		mlog_reader_seek_time(struct mlog_reader *, int64_t ts);
/* 1 and *rec filled, 0 when no complete record is available yet, -1 on
 * error (EBADMSG: corrupt record before the last segment's tail). */
int		mlog_reader_next(struct mlog_reader *, struct mlog_record *rec);
/* Offset of the first record and one past the last (next to be written). */
int		mlog_reader_bounds(struct mlog_reader *, uint64_t *start,
		    uint64_t *end);
/* After mlog_reader_next() returned 0: bytes of an invalid tail at the end
 * of the last segment (a torn write no appender has cut yet), 0 if none or
 * if an appender is busy there. */
uint64_t	mlog_reader_torn(struct mlog_reader *);

/* ---- watch.c: waking on appends (inotify) ---- */
struct mlog_watch;
struct mlog_watch *mlog_watch_open(const struct mlog_log *log);
int		mlog_watch_fd(const struct mlog_watch *);
/* Drain pending events; returns 0. */
int		mlog_watch_drain(struct mlog_watch *);
void		mlog_watch_close(struct mlog_watch *);

/* ---- offsets.c: committed positions ---- */
#define MLOG_OFFSET_NONE	(-1)

/* What mlog_group_name_valid() refuses, for error messages. */
#define MLOG_GROUP_NAME_RULES \
	"empty, over 200 bytes, starting with '.', or with '/' or control characters"
int		mlog_group_name_valid(const char *name);
/* A position store: a consumer group of a log (LOG/groups/NAME/offsets) or
 * a user's offset file.  offs has log->partitions slots, MLOG_OFFSET_NONE
 * for partitions with no position. */
struct mlog_offsets {
	int	 dirfd;		/* directory holding the file */
	char	*name;		/* file name inside it */
};
int		mlog_offsets_group(struct mlog_log *, const char *group,
		    int create, struct mlog_offsets *);
int		mlog_offsets_file(const char *path, struct mlog_offsets *);
void		mlog_offsets_release(struct mlog_offsets *);
int		mlog_offsets_load(const struct mlog_offsets *, int pending,
		    int64_t *offs, uint32_t nparts);
int		mlog_offsets_store(const struct mlog_offsets *, int pending,
		    const int64_t *offs, uint32_t nparts);
/* When each partition's position was committed, 0 where unknown. */
int		mlog_offsets_times(const struct mlog_offsets *, int pending,
		    int64_t *times, uint32_t nparts);
/* Promote the pending positions to committed; ENOENT when none. */
int		mlog_offsets_commit_pending(const struct mlog_offsets *);

/* ---- group.c: consumer group members sharing partitions ---- */
struct mlog_member;

/* Join a consumer group (creating it); the caller owns the member and
 * leaves with mlog_member_leave(), which releases everything it holds. */
struct mlog_member *mlog_member_join(struct mlog_log *, const char *group);
/* Move towards the fair share of the eligible partitions (arrays of
 * log->partitions flags): partitions newly leased are flagged in take;
 * partitions above the share are flagged in drop, to be released with
 * mlog_member_release() once their positions are committed. */
int		mlog_member_balance(struct mlog_member *, const uint8_t *eligible,
		    uint8_t *take, uint8_t *drop);
void		mlog_member_release(struct mlog_member *, uint32_t partition);
/* Eligible partitions other members hold now. */
uint32_t	mlog_member_others(struct mlog_member *, const uint8_t *eligible);
int		mlog_member_holds(const struct mlog_member *, uint32_t partition);
/* Take (lock != 0) or drop the group's lock around offset file updates. */
int		mlog_member_lock(struct mlog_member *, int lock);
void		mlog_member_leave(struct mlog_member *);
/* 1 and the holder ("HOST.PID SINCE_US") in who when a live member holds the
 * partition, 0 when none does. */
int		mlog_group_holder(struct mlog_log *, const char *group,
		    uint32_t partition, char *who, size_t len);

/* How many members of an existing group are alive. */
int		mlog_group_members(struct mlog_log *, const char *group,
		    uint32_t *n);
/* Lock a group's offset files against concurrent updates; returns the
 * descriptor holding the lock (close it to unlock). */
int		mlog_group_lock(const struct mlog_offsets *);
/* Remove a group and everything it holds. */
int		mlog_group_delete(struct mlog_log *, const char *group);

/* ---- timeparse.c ---- */
int64_t		mlog_now_us(void);
/* RFC 3339, "now", epoch s/ms/us/ns by magnitude, or relative (-1h). */
int		mlog_time_parse(const char *s, int64_t now, int64_t *out);
/* 500ms 10s 5m 2h 7d (also us, ns, w); a bare number is seconds. */
int		mlog_duration_parse(const char *s, int64_t *out);
/* An option's duration value, with the user's message on failure. */
#define MLOG_DURATION_MAX	(100LL * 366 * 86400 * 1000000) /* a century */
int		mlog_duration_arg(const char *opt, const char *s, int sign,
		    int zero, int64_t *out, char *err, size_t len);
/* An RFC 3339 / ISO 8601 timestamp of n bytes. */
int		mlog_time_rfc3339(const char *s, size_t n, int64_t *out);
/* t as year, month, day, hour, minute, second, microsecond (UTC). */
void		mlog_time_civil(int64_t t, int64_t f[7]);
int		mlog_size_parse(const char *s, uint64_t *out);

/* ---- out.c: buffered output ---- */
struct mlog_out {
	int		 fd;
	unsigned char	*buf;
	size_t		 len, cap;
};
int		mlog_out_init(struct mlog_out *, int fd, size_t cap);
int		mlog_out_write(struct mlog_out *, const void *, size_t);
int		mlog_out_putc(struct mlog_out *, int c);
int		mlog_out_flush(struct mlog_out *);
int		mlog_out_printf(struct mlog_out *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
int		mlog_out_vprintf(struct mlog_out *, const char *fmt, va_list)
		    __attribute__((format(printf, 2, 0)));
int		mlog_write_all(int fd, const void *, size_t);
void		mlog_out_free(struct mlog_out *);

/* ---- json.c: the little JSON the log tools need ---- */
int		mlog_utf8_valid(const unsigned char *, size_t);
/* The length of the valid UTF-8 prefix (n when all of it is valid). */
size_t		mlog_utf8_check(const unsigned char *, size_t);
int		mlog_json_put_string(struct mlog_out *, const unsigned char *,
		    size_t);
int		mlog_base64_put(struct mlog_out *, const unsigned char *, size_t);

/* ---- envelope.c: records as JSON envelopes (mlog-tail -J) ---- */
int		mlog_envelope_put(struct mlog_out *, const struct mlog_record *);
/* Parse one envelope line.  key and value are decoded into *scratch (grown
 * as needed; the caller frees it); fields absent from the line are left at
 * rec->has_key = 0, rec->timestamp = MLOG_TS_UNSET, *partition = -1.
 * On a bad line returns -1 with EINVAL and *why set to a static message. */
int		mlog_envelope_parse(const unsigned char *line, size_t len,
		    struct mlog_record *rec, int64_t *partition,
		    unsigned char **scratch, size_t *scratchcap,
		    const char **why);

/* ---- stat.c ---- */
/* What a log holds, for mlog-stat and mlog-offset.  The cheap facts of one
 * partition come from the segment list, the file sizes, the index and the
 * first and last records, never from a full scan. */
struct mlog_stat {
	uint32_t	partition;
	size_t		segments;
	uint64_t	bytes;		/* sum of the segment files' sizes */
	uint64_t	start;		/* offset of the first record */
	uint64_t	end;		/* one past the last record */
	uint64_t	records;	/* end - start: offsets are dense */
	int64_t		first_ts;	/* of the first record; MLOG_TS_UNSET */
	int64_t		last_ts;	/* of the last record; when empty */
};
int		mlog_stat_partition(struct mlog_log *, uint32_t partition,
		    struct mlog_stat *);
/* Records a group whose committed offset is committed has yet to read;
 * an offset before the log start counts from the start. */
uint64_t	mlog_stat_lag(const struct mlog_stat *, int64_t committed);

/* The consumer groups of a log, sorted by name: the directories under
 * LOG/groups whose names pass mlog_group_name_valid().  *names and each
 * name are malloc'd; free them with mlog_groups_free(). */
int		mlog_groups_list(const struct mlog_log *, char ***names,
		    size_t *n);
void		mlog_groups_free(char **names, size_t n);

/* Record counts per time bucket of width microseconds, from a full scan;
 * buckets without records are absent, the others sorted by start. */
struct mlog_hist_bucket {
	int64_t		start;		/* a multiple of width */
	uint64_t	records;
};
struct mlog_hist {
	int64_t			 width;
	struct mlog_hist_bucket	*v;
	size_t			 n, cap;
};
void		mlog_hist_init(struct mlog_hist *, int64_t width);
/* Count the records of a partition, up to the end it has when called. */
int		mlog_hist_scan(struct mlog_hist *, struct mlog_log *,
		    uint32_t partition);
void		mlog_hist_free(struct mlog_hist *);

/* ---- filesrc.c: plain text files as sources ---- */
/* Lines of a regular text file another program appends to, with a position
 * (offset, device, inode, fingerprint of the first bytes) kept in a position
 * file and followed across logrotate's rename (`create`) and copytruncate
 * rotations: lines written before a rotation are read from the rotated file
 * FILE.N before the new FILE, none twice.  Partial last lines are held back
 * until their newline arrives (a rotated file's last one is returned when
 * the file is finished). */
#define MLOG_FILESRC_END	0x01	/* no saved position: start at the end */

struct mlog_filesrc;
/* Read path from the position saved in posfile (none: no position is kept;
 * the file need not exist, its directory must), or without one from the
 * beginning of path (or its end, with MLOG_FILESRC_END).  path need not
 * exist yet.  The caller owns the result; mlog_filesrc_close() frees it. */
struct mlog_filesrc *mlog_filesrc_open(const char *path, const char *posfile,
		    int flags);
/* 1 and *line, *len set to the next complete line without its newline
 * (bytes as in the file, CR included; valid until the next call on the
 * source), 0 when no complete line is available now, -1 on error
 * (EMSGSIZE: a line longer than MLOG_LINE_MAX; the source is stuck). */
int		mlog_filesrc_next(struct mlog_filesrc *,
		    const unsigned char **line, size_t *len);
/* Save the position after the last line returned: to posfile, or to
 * posfile.pending (promoted by mlog_offsets_commit_pending() on
 * mlog_offsets_file(posfile)).  Does nothing without a posfile, before the
 * file exists, or when the position did not move. */
int		mlog_filesrc_commit(struct mlog_filesrc *, int pending);
/* An inotify descriptor on path's directory (writes, creations, renames,
 * deletions), readable when mlog_filesrc_next() may have more; get it
 * before the first mlog_filesrc_next() so that no change is missed, and
 * drain it before calling mlog_filesrc_next() again.  Owned by the source. */
int		mlog_filesrc_watch_fd(struct mlog_filesrc *);
int		mlog_filesrc_watch_drain(struct mlog_filesrc *);
/* Times the saved or current position could not be found after a rotation
 * (the file rotated away or deleted) and reading restarted at FILE's
 * beginning: lines may have been lost. */
uint64_t	mlog_filesrc_lost(const struct mlog_filesrc *);
void		mlog_filesrc_close(struct mlog_filesrc *);

/* ---- check.c: verifying and repairing a log (mlog-check) ---- */
#define MLOG_CHECK_QUICK	0x01	/* the last segments' ends only */
#define MLOG_CHECK_REPAIR	0x02
#define MLOG_CHECK_NONE		UINT64_MAX /* no segment, offset or byte */

enum mlog_check_kind {
	MLOG_CHECK_DAMAGE,	/* the log is not as its writers left it */
	MLOG_CHECK_NOTICE,	/* harmless, or mended by the next writer */
	MLOG_CHECK_REPAIRED	/* what MLOG_CHECK_REPAIR changed */
};

/* One finding.  file is a name inside pN/ when partition >= 0, else a path
 * inside the log directory ("meta", "groups/G/offsets"), or NULL; the
 * offsets offset..offset_last are those concerned, pos the byte in file
 * where it is.  The strings are valid during the callback only. */
struct mlog_check_report {
	enum mlog_check_kind kind;
	int64_t		 partition;	/* -1: not about one partition */
	uint64_t	 segment;	/* base of the segment the file is of */
	const char	*file;
	uint64_t	 offset, offset_last;
	uint64_t	 pos;
	const char	*message;	/* "CRC mismatch", ... */
};
typedef void	(*mlog_check_fn)(void *arg, const struct mlog_check_report *);

struct mlog_check_stats {
	uint32_t	partitions;	/* checked */
	uint64_t	segments, records, bytes;
	uint64_t	damage, notices, repairs;	/* reported */
};

/* Check the log at path: every record, the offsets, the headers, the
 * indexes, the metadata and the groups' positions (MLOG_CHECK_QUICK: only
 * each partition's last segment from its last index entry on, and the
 * metadata).  fn is called for each finding, in order.  With
 * MLOG_CHECK_REPAIR, a partition with something to repair is checked again
 * under its lock and repaired: damaged tails cut, indexes rebuilt, segments
 * below the start removed, segments damaged in the middle moved aside to
 * path/damaged/pN/; never a clean log.  Returns 0 when the check ran to its
 * end, whatever it found (*st counts it); -1 on a runtime error with errno
 * set (EMEDIUMTYPE: not a log) and where (len bytes) naming what failed,
 * such as "partition 0: 00000000000000000000.log", or "". */
int		mlog_log_check(const char *path, int flags, mlog_check_fn fn,
		    void *arg, struct mlog_check_stats *st, char *where,
		    size_t len);

/* ---- compact.c: keeping the latest record of each key ---- */
/*
 * Compaction, as Kafka's cleanup.policy=compact, one partition at a time:
 * the sealed segments (every segment but the last) are rewritten keeping,
 * of each key, only its latest record in the partition (the last
 * segment's records count, though that segment is never rewritten);
 * records without a key all stay; offsets do not change, so gaps appear.
 * A tombstone (a null value, or the value `null`, or with
 * MLOG_TOMBSTONE_EMPTY also an empty one) removes its key's older records
 * and is itself dropped once it is older than the delete retention.
 * Consecutive sealed segments are merged while the result stays within
 * the log's segment size.  New segments are written beside the old ones
 * (BASE.log.cleaned), then swapped in under the partition lock following
 * a marker (pN/compact.swap), so that a crash at any moment leaves either
 * the old or the new segments once mlog_compact_recover() has run.
 */
enum mlog_tombstone {
	MLOG_TOMBSTONE_NULL,	/* null values and the value `null` */
	MLOG_TOMBSTONE_EMPTY	/* those and empty values */
};

struct mlog_compact_opts {
	enum mlog_tombstone tombstone;
	int64_t		delete_retention_us; /* 0: tombstones go at once */
	int		dry_run;	/* count, change nothing */
};

/* What a partition's sealed segments held before and after. */
struct mlog_compact_stat {
	uint32_t	partition;
	uint64_t	keys;		/* distinct keys in the whole partition */
	uint64_t	segments_before, segments_after;
	uint64_t	records_before, records_after;
	uint64_t	bytes_before, bytes_after;	/* segment file sizes */
	uint64_t	tombstones;	/* tombstones dropped */
};

/* Where a compaction stopped: for EBADMSG the bad record, for ESTALE the
 * segment that changed while it ran. */
struct mlog_compact_error {
	uint64_t	segment;	/* base of the segment */
	uint64_t	position;	/* EBADMSG: byte of the record in it */
	uint64_t	offset;		/* EBADMSG: its offset, or when its
					 * header is unreadable the one after
					 * the last valid record */
};

/* What mlog_compact_recover() did. */
#define MLOG_COMPACT_CLEAN	0	/* nothing was left to do */
#define MLOG_COMPACT_ROLLED_BACK 1	/* removed an unfinished run's files */
#define MLOG_COMPACT_ROLLED_FORWARD 2	/* finished an interrupted swap */

/* Take the compaction lock of a partition (pN/compact.lock), without
 * waiting; returns the descriptor holding it (close it to unlock), -1 with
 * EWOULDBLOCK while another compaction holds it.  With create == 0 the
 * file is not created: ENOENT then means no compaction ever ran there. */
int		mlog_compact_lock(struct mlog_log *, uint32_t partition,
		    int create);
/* Finish (roll forward) or undo (roll back) a compaction that was
 * interrupted; *done says which.  lockfd is the caller's descriptor from
 * mlog_compact_lock(), or -1: the lock is then taken here and the call
 * fails with EWOULDBLOCK while a compaction runs (which needs no
 * recovery).  Whoever deletes or renames segments calls it first. */
int		mlog_compact_recover(struct mlog_log *, uint32_t partition,
		    int lockfd, int *done);
/* Compact one partition; the caller holds its compaction lock and has run
 * mlog_compact_recover() (EAGAIN: an interrupted swap is pending).
 * EBADMSG: a sealed segment is corrupt, nothing was changed; ESTALE: a
 * segment was removed or changed meanwhile (mlog-trim), nothing was
 * changed.  err, which may be NULL, says where. */
int		mlog_compact_partition(struct mlog_log *, uint32_t partition,
		    const struct mlog_compact_opts *,
		    struct mlog_compact_stat *, struct mlog_compact_error *err);

/* ---- kafka.c: kafka://host:port[,host:port...]/topic via librdkafka ---- */
/* librdkafka's types, for the calls that hand them over */
struct rd_kafka_s;
struct rd_kafka_topic_s;
struct rd_kafka_message_s;
struct rd_kafka_topic_partition_list_s;

#define MLOG_KAFKA_TOPIC_MAX	249

/* The message of the last failure of an mlog_kafka_* call (static). */
const char	*mlog_kafka_strerror(void);
/* 1 when a log argument names a Kafka topic. */
int		mlog_log_is_kafka(const char *arg);
/* Kafka's rules: 1 to 249 of [a-zA-Z0-9._-], not "." or "..". */
int		mlog_kafka_topic_valid(const char *topic, const char **why);
/* Both strings malloc'd; free them with mlog_kafka_url_free(). */
struct mlog_kafka_url {
	char	*brokers;	/* host:port[,host:port...] */
	char	*topic;
};
int		mlog_kafka_url_parse(const char *url, struct mlog_kafka_url *);
void		mlog_kafka_url_free(struct mlog_kafka_url *);

/* librdkafka properties in the order given: from a properties file
 * (origin "FILE:LINE") or -X (origin "-X"); later ones win. */
struct mlog_kafka_prop {
	char	*key, *value, *origin;
};
struct mlog_kafka_props {
	struct mlog_kafka_prop	*v;
	size_t			 n, cap;
};
/* Properties whose values are never repeated in a message. */
int		mlog_kafka_prop_secret(const char *key);
int		mlog_kafka_props_set(struct mlog_kafka_props *, const char *key,
		    const char *value, const char *origin);
/* "key=value"; EINVAL when there is no '=' or no key (the message
 * quotes what comes before an '=' only). */
int		mlog_kafka_props_arg(struct mlog_kafka_props *, const char *kv);
/* key=value lines, # comments, blank lines; EINVAL names FILE:LINE. */
int		mlog_kafka_props_file(struct mlog_kafka_props *,
		    const char *path);
void		mlog_kafka_props_free(struct mlog_kafka_props *);
/* An option every kafka:// command takes, named opt: "-X", "--kafka-config"
 * or "--timeout" (into *timeout).  Returns 0, or on a bad value the
 * message in err and the exit status: 1 or 2, or MLOG_KAFKA_OPT_USAGE for
 * a usage error that shows the usage text. */
#define MLOG_KAFKA_OPT_USAGE	(-2)
int		mlog_kafka_option(struct mlog_kafka_props *, const char *opt,
		    const char *arg, int64_t *timeout, char *err, size_t len);

/* A producer or consumer handle on one topic.  Opening sets
 * bootstrap.servers from the URL, then the tools' defaults (producer:
 * partitioner=murmur2_random, message.timeout.ms = timeout; consumer:
 * no auto commit, end-of-partition events), then props, and fetches the topic's partition count
 * (ENOENT: no such topic; ETIMEDOUT: no broker answered in time; EINVAL:
 * a bad URL or property; ELIBACC, or ENOSYS where there is none:
 * librdkafka.so.1 could not be loaded, rdk.h).  delivered, for a
 * producer, is called for each delivery report from rd_kafka_poll() and
 * rd_kafka_flush(). */
#define MLOG_KAFKA_PRODUCER	1
#define MLOG_KAFKA_CONSUMER	2
struct mlog_kafka_opts {
	int		 role;
	int64_t		 timeout_us;	/* for every call to a broker */
	const struct mlog_kafka_props *props;
	void		(*delivered)(void *arg,
			    const struct rd_kafka_message_s *);
	void		*arg;
	/* a consumer in group (group.id), positions stored by the tools;
	 * rebalance, when given, is librdkafka's rebalance callback
	 * (err: RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS or _REVOKE_...) and
	 * must assign or unassign itself */
	const char	*group;
	void		(*rebalance)(void *arg, int err,
			    struct rd_kafka_topic_partition_list_s *);
};
struct mlog_kafka;
struct mlog_kafka *mlog_kafka_open(const char *url,
		    const struct mlog_kafka_opts *);
void		mlog_kafka_close(struct mlog_kafka *);
/* The handle stays owned by k. */
struct rd_kafka_s *mlog_kafka_handle(const struct mlog_kafka *);
struct rd_kafka_topic_s *mlog_kafka_topic_handle(const struct mlog_kafka *);
const char	*mlog_kafka_topic(const struct mlog_kafka *);
uint32_t	mlog_kafka_partitions(const struct mlog_kafka *);
int		mlog_kafka_timeout_ms(const struct mlog_kafka *);
int		mlog_kafka_watermarks(struct mlog_kafka *, uint32_t partition,
		    int64_t *low, int64_t *high);
/* The offset of the first record with timestamp >= ts (microseconds,
 * rounded up to Kafka's milliseconds), the high watermark when none. */
int		mlog_kafka_offset_for_time(struct mlog_kafka *,
		    uint32_t partition, int64_t ts, int64_t *offset);
/* Ask a broker for the topic's metadata: 0 when one answers in time. */
int		mlog_kafka_probe(struct mlog_kafka *);
/* 1 when librdkafka said all brokers were down since the last call. */
int		mlog_kafka_broker_down(struct mlog_kafka *);
/* Subscribe a group consumer to the topic. */
int		mlog_kafka_subscribe(struct mlog_kafka *);
/* A group's position in a partition, with what the tools keep in the
 * metadata of their commits. */
struct mlog_kafka_pos {
	int64_t		 offset;	/* committed; -1: none */
	int64_t		 committed_at;	/* microseconds; 0: not known */
	int64_t		 pending;	/* mlog-tail -m pending's; -1: none */
};
/* The group's positions in every partition (pos[partitions]). */
int		mlog_kafka_committed(struct mlog_kafka *,
		    struct mlog_kafka_pos *pos);
/* Commit pos[i] for each partition i with which[i] and an offset,
 * stamped with the time, and its pending position when >= 0.  EBUSY: the
 * broker takes commits only from members now. */
int		mlog_kafka_commit(struct mlog_kafka *,
		    const struct mlog_kafka_pos *pos, const uint8_t *which);
/* Join the group (a handle opened without rebalance) and wait, within the
 * timeout, for the partitions the group gives: held[partition]. */
int		mlog_kafka_join(struct mlog_kafka *, const uint8_t **held);
/* A consumed message as a record (timestamp in microseconds); r points
 * into m. */
void		mlog_kafka_record(const struct rd_kafka_message_s *m,
		    struct mlog_record *r);

#endif

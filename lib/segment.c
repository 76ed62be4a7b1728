/*
 * The on-disk byte format of a log: segment files, records and index files.
 * This text is also man/mlog.5.
 *
 * A log is a directory:
 *
 *	meta		text: "mlog 1", then "partitions N", "segment-bytes N",
 *			"segment-age-ms N", one per line, and optionally
 *			"retain-age-ms N", "retain-bytes N"
 *	pN/		one directory per partition, N = 0 .. partitions-1
 *	pN/lock		flock(2)ed by appenders while they write
 *	pN/BASE.log	a segment: BASE is the offset of its first record,
 *			20 decimal digits
 *	pN/BASE.idx	the segment's sparse offset and time index
 *	pN/start	text: the partition's first offset, when retention has
 *			moved it ("start N"); records below it are gone even
 *			if a segment holding them is still there
 *	pN/compact.lock	flock(2)ed by mlog-compact for its whole run
 *	pN/compact.swap	text: the segments a compaction is swapping in and
 *			out, while it does (see compact.c)
 *	groups/G/	consumer group G: offsets, offsets.pending
 *	NAME.tmp.XXXXXX	a file being replaced atomically: six random
 *			characters, created O_EXCL, renamed over NAME
 *
 * All integers are little-endian.  A segment starts with a 24-byte header:
 * 8 magic bytes, the u64 base offset and the i64 time the segment was
 * created (microseconds since the epoch), then records back to back.  The
 * magic is "mlogseg1" in a segment written by appenders, whose offsets are
 * dense (each record's is one more than the one before it, the first is the
 * base), and "mlogsegc" in a segment written by compaction, whose offsets
 * only increase (from the base on, below the next segment's base):
 *
 *	0	u32	length: bytes that follow this field (>= 25)
 *	4	u64	offset
 *	12	u32	CRC32C of the bytes from 16 to the end of the record
 *	16	i64	timestamp, microseconds since 1970-01-01 UTC
 *	24	u8	attributes: 0x01 key present, 0x02 value is null;
 *			other bits are zero
 *	25	u32	key length K (0 when the key is absent)
 *	29	K	key
 *	29+K	...	value: length - 25 - K bytes (none when null)
 *
 * The CRC covers everything but the length and the offset, the one field
 * an appender stamps last, under the partition lock: so the CRC is computed
 * while the record is copied into the appender's batch, outside the lock.
 * The offset is checked otherwise: offsets increase by one per record
 * within an appended segment (compaction leaves gaps, retention removes
 * whole segments, neither reorders), and the index must agree with them.  A record whose length runs
 * past the end of the file, whose CRC does not match, or whose offset does
 * not increase is invalid; in the last segment it is a torn tail that the
 * next appender cuts off, anywhere else it is corruption.
 *
 * An index file starts with the 8 bytes "mlogidx1" and the u64 base offset,
 * then 16-byte entries, one at the first record that starts 4096 or more
 * bytes after the previous entry (the end of the segment header counts as
 * the first entry and is not written):
 *
 *	0	u32	record offset minus the base offset
 *	4	u32	byte position of the record in the segment
 *	8	i64	largest timestamp of the records before it in the segment
 *
 * Entries increase in all three fields, so one binary search serves offset
 * lookups and another time lookups.  Indexes are disposable: a missing or
 * damaged index is rebuilt from its segment.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

size_t
mlog_record_size(size_t keylen, size_t valuelen)
{
	return MLOG_REC_HDR + keylen + valuelen;
}

void
mlog_record_encode(unsigned char *dst, int64_t ts, const void *key,
    size_t keylen, int has_key, const void *value, size_t valuelen,
    int null_value)
{
	size_t total = mlog_record_size(keylen, valuelen);
	uint32_t crc;

	put32(dst, (uint32_t)(total - 4));
	put64(dst + 4, 0);
	put64(dst + 16, (uint64_t)ts);
	dst[24] = (has_key ? MLOG_ATTR_KEY : 0) |
	    (null_value ? MLOG_ATTR_NULLVAL : 0);
	put32(dst + 25, (uint32_t)keylen);
	crc = mlog_crc32c(0, dst + 16, MLOG_REC_HDR - 16);
	if (keylen)
		crc = mlog_crc32c_copy(crc, dst + MLOG_REC_HDR, key, keylen);
	if (valuelen)
		crc = mlog_crc32c_copy(crc, dst + MLOG_REC_HDR + keylen, value,
		    valuelen);
	put32(dst + 12, crc);
}

void
mlog_record_stamp(unsigned char *rec, uint64_t offset)
{
	put64(rec + 4, offset);
}

ssize_t
mlog_record_parse(const unsigned char *buf, size_t avail,
    struct mlog_record *rec, size_t *need)
{
	uint32_t len, klen;
	size_t total;
	unsigned char attr;

	if (avail < 4) {
		*need = MLOG_REC_HDR;
		return 0;
	}
	len = get32(buf);
	if (len < MLOG_REC_HDR - 4 || len > MLOG_REC_MAX - 4) {
		errno = EBADMSG;
		return -1;
	}
	total = (size_t)len + 4;
	if (avail < total) {
		*need = total;
		return 0;
	}
	attr = buf[24];
	klen = get32(buf + 25);
	if ((attr & ~(MLOG_ATTR_KEY | MLOG_ATTR_NULLVAL)) != 0 ||
	    klen > total - MLOG_REC_HDR ||
	    (!(attr & MLOG_ATTR_KEY) && klen != 0) ||
	    ((attr & MLOG_ATTR_NULLVAL) && klen != total - MLOG_REC_HDR)) {
		errno = EBADMSG;
		return -1;
	}
	rec->offset = get64(buf + 4);
	rec->timestamp = (int64_t)get64(buf + 16);
	rec->has_key = (attr & MLOG_ATTR_KEY) != 0;
	rec->null_value = (attr & MLOG_ATTR_NULLVAL) != 0;
	rec->key = buf + MLOG_REC_HDR;
	rec->keylen = klen;
	rec->value = buf + MLOG_REC_HDR + klen;
	rec->valuelen = total - MLOG_REC_HDR - klen;
	return (ssize_t)total;
}

ssize_t
mlog_record_decode(const unsigned char *buf, size_t avail,
    struct mlog_record *rec, size_t *need)
{
	ssize_t n = mlog_record_parse(buf, avail, rec, need);

	if (n > 0 && get32(buf + 12) != mlog_crc32c(0, buf + 16,
	    (size_t)n - 16)) {
		errno = EBADMSG;
		return -1;
	}
	return n;
}

void
mlog_segment_name(char *buf, size_t len, uint64_t base, const char *ext)
{
	snprintf(buf, len, "%020llu.%s", (unsigned long long)base, ext);
}

int
mlog_segment_parse_name(const char *name, const char *ext, uint64_t *base)
{
	uint64_t v = 0;
	unsigned d;
	int i;

	for (i = 0; i < 20; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		d = (unsigned)(name[i] - '0');
		if (v > UINT64_MAX / 10 ||
		    (v == UINT64_MAX / 10 && d > UINT64_MAX % 10))
			return -1;
		v = v * 10 + d;
	}
	if (name[20] != '.' || strcmp(name + 21, ext) != 0)
		return -1;
	*base = v;
	return 0;
}

void
seg_header(unsigned char *hdr, uint64_t base, int64_t created, int compacted)
{
	memcpy(hdr, compacted ? SEG_MAGIC_COMPACT : SEG_MAGIC, 8);
	put64(hdr + 8, base);
	put64(hdr + 16, (uint64_t)created);
}

int
seg_header_check(const unsigned char *hdr, uint64_t base, int64_t *created,
    int *compacted)
{
	int c = memcmp(hdr, SEG_MAGIC_COMPACT, 8) == 0;

	if ((!c && memcmp(hdr, SEG_MAGIC, 8) != 0) || get64(hdr + 8) != base) {
		errno = EBADMSG;
		return -1;
	}
	*created = (int64_t)get64(hdr + 16);
	if (compacted != NULL)
		*compacted = c;
	return 0;
}

void
idx_header(unsigned char *hdr, uint64_t base)
{
	memcpy(hdr, IDX_MAGIC, 8);
	put64(hdr + 8, base);
}

void
idx_pack(unsigned char *p, const struct idx_entry *e)
{
	put32(p, e->rel);
	put32(p + 4, e->pos);
	put64(p + 8, (uint64_t)e->maxts);
}

void
idx_unpack(const unsigned char *p, struct idx_entry *e)
{
	e->rel = get32(p);
	e->pos = get32(p + 4);
	e->maxts = (int64_t)get64(p + 8);
}

/*
 * CRC32C (Castagnoli), the checksum of every log record.  Uses the SSE4.2
 * crc32 instruction when the CPU has it (checked once at run time) and a
 * slicing-by-8 table otherwise; both give the same values.
 */
#include <stdint.h>
#include <string.h>

#include "mlog.h"

#define POLY	0x82f63b78u	/* reflected Castagnoli polynomial */

static uint32_t table[8][256];
static int	have_table;
static int	use_hw = -1;

static void
table_init(void)
{
	uint32_t c;
	int i, j, k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (j = 0; j < 8; j++)
			c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
		table[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (k = 1; k < 8; k++)
			table[k][i] = (table[k - 1][i] >> 8) ^
			    table[0][table[k - 1][i] & 0xff];
	have_table = 1;
}

static uint32_t
crc_sw(uint32_t crc, const unsigned char *p, size_t len)
{
	uint64_t w;

	if (!have_table)
		table_init();
	while (len >= 8) {
		memcpy(&w, p, 8);
		w ^= crc;
		crc = table[7][w & 0xff] ^ table[6][(w >> 8) & 0xff] ^
		    table[5][(w >> 16) & 0xff] ^ table[4][(w >> 24) & 0xff] ^
		    table[3][(w >> 32) & 0xff] ^ table[2][(w >> 40) & 0xff] ^
		    table[1][(w >> 48) & 0xff] ^ table[0][w >> 56];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
	return crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("sse4.2")))
static uint32_t
crc_hw(uint32_t crc, const unsigned char *p, size_t len)
{
	uint64_t c = crc, w;

	while (len >= 8) {
		memcpy(&w, p, 8);
		c = __builtin_ia32_crc32di(c, w);
		p += 8;
		len -= 8;
	}
	crc = (uint32_t)c;
	while (len--)
		crc = __builtin_ia32_crc32qi(crc, *p++);
	return crc;
}
/* Three independent buffers at once: the crc32 instruction has a latency
 * of three cycles and a throughput of one, so three chains run in the time
 * of one.  Records are short; this is how they are checked fast. */
__attribute__((target("sse4.2")))
static void
crc_hw3(const unsigned char *const p[3], const size_t len[3], uint32_t c[3])
{
	const unsigned char *a = p[0], *b = p[1], *d = p[2];
	uint64_t ca = ~c[0] & 0xffffffffu, cb = ~c[1] & 0xffffffffu;
	uint64_t cd = ~c[2] & 0xffffffffu, wa, wb, wd;
	size_t n = len[0], i;

	if (len[1] < n)
		n = len[1];
	if (len[2] < n)
		n = len[2];
	n &= ~(size_t)7;
	for (i = 0; i < n; i += 8) {
		memcpy(&wa, a + i, 8);
		memcpy(&wb, b + i, 8);
		memcpy(&wd, d + i, 8);
		ca = __builtin_ia32_crc32di(ca, wa);
		cb = __builtin_ia32_crc32di(cb, wb);
		cd = __builtin_ia32_crc32di(cd, wd);
	}
	c[0] = ~crc_hw((uint32_t)ca, a + n, len[0] - n);
	c[1] = ~crc_hw((uint32_t)cb, b + n, len[1] - n);
	c[2] = ~crc_hw((uint32_t)cd, d + n, len[2] - n);
}
__attribute__((target("sse4.2")))
static uint32_t
crc_copy_hw(uint32_t crc, unsigned char *d, const unsigned char *p,
    size_t len)
{
	uint64_t c = ~crc & 0xffffffffu, w;
	uint32_t c32;

	while (len >= 8) {
		memcpy(&w, p, 8);
		memcpy(d, &w, 8);
		c = __builtin_ia32_crc32di(c, w);
		p += 8;
		d += 8;
		len -= 8;
	}
	c32 = (uint32_t)c;
	while (len--) {
		*d++ = *p;
		c32 = __builtin_ia32_crc32qi(c32, *p++);
	}
	return ~c32;
}
#define HAVE_HW	1
#endif

/* Copy len bytes and return their CRC, in one pass over the data. */
uint32_t
mlog_crc32c_copy(uint32_t crc, void *dst, const void *src, size_t len)
{
#ifdef HAVE_HW
	if (use_hw < 0)
		use_hw = __builtin_cpu_supports("sse4.2");
	if (use_hw)
		return crc_copy_hw(crc, dst, src, len);
#endif
	memcpy(dst, src, len);
	return mlog_crc32c(crc, dst, len);
}

void
mlog_crc32c_many(const unsigned char *const *p, const size_t *len,
    uint32_t *crc, size_t n)
{
	size_t i = 0;

#ifdef HAVE_HW
	if (use_hw < 0)
		use_hw = __builtin_cpu_supports("sse4.2");
	if (use_hw)
		for (; i + 3 <= n; i += 3) {
			crc[i] = crc[i + 1] = crc[i + 2] = 0;
			crc_hw3(p + i, len + i, crc + i);
		}
#endif
	for (; i < n; i++)
		crc[i] = mlog_crc32c(0, p[i], len[i]);
}

uint32_t
mlog_crc32c(uint32_t crc, const void *buf, size_t len)
{
	crc = ~crc;
#ifdef HAVE_HW
	if (use_hw < 0)
		use_hw = __builtin_cpu_supports("sse4.2");
	if (use_hw)
		return ~crc_hw(crc, buf, len);
#endif
	return ~crc_sw(crc, buf, len);
}

uint32_t
mlog_crc32c_portable(uint32_t crc, const void *buf, size_t len)
{
	return ~crc_sw(~crc, buf, len);
}

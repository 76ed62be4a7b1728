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
#define HAVE_HW	1
#endif

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

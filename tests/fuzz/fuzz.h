/*
 * What the fuzz targets share: libFuzzer's entry point, which replay.c also
 * calls for make test, and REQUIRE(), which aborts with the broken promise
 * so that libFuzzer (or make test) reports it with the input.
 */
#ifndef MLOG_FUZZ_H
#define MLOG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define REQUIRE(cond) require((cond), #cond, __FILE__, __LINE__)

static inline void
require(int ok, const char *what, const char *file, int line)
{
	if (!ok) {
		fprintf(stderr, "%s:%d: broken invariant: %s\n", file, line,
		    what);
		abort();
	}
}

#endif

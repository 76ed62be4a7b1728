/*
 * What the fuzz targets share: libFuzzer's entry point, which replay.c also
 * calls for make test, REQUIRE(), which aborts with the broken promise so
 * that libFuzzer (or make test) reports it with the input, and the scratch
 * files of logdir.c.
 */
#ifndef MLOG_FUZZ_H
#define MLOG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* logdir.c: a per-process scratch directory, removed at exit; a log in
 * it (nparts empty partitions; returns its directory's descriptor);
 * files and trees; an input cut into up to max parts at FUZZ_SPLIT
 * (returns how many); an mlog_check_fn that requires what every finding
 * must be and counts them (printed when FUZZ_DEBUG is set, for triage). */
#define FUZZ_SPLIT	"--8<--\n"
struct fuzz_part {
	const uint8_t	*p;
	size_t		 n;
};
const char	*fuzz_dir(void);
int		 fuzz_log(const char *name, int nparts, char *path, size_t len);
void		 fuzz_empty(int dirfd);
void		 fuzz_remove(int dirfd, const char *name);
void		 fuzz_put(int dirfd, const char *name, const void *, size_t);
struct mlog_check_report;
void		 fuzz_finding(void *count, const struct mlog_check_report *);
size_t		 fuzz_split(const uint8_t *, size_t, struct fuzz_part *,
		    size_t max);

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

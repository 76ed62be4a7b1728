/*
 * librdkafka on demand (see rdk.h): dlopen() of librdkafka.so.1 at the
 * first kafka:// log, and the table of its functions the tools call
 * through.  The prototypes in rdk.h are checked here against the
 * library's header at compile time; the library itself is never linked.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdk.h"

#define RDK_LIB		"librdkafka.so.1"
/* rd_kafka_incremental_assign() and rd_kafka_rebalance_protocol() */
#define RDK_LEAST	"1.6"

#ifdef ELIBACC
#define RDK_ERRNO	ELIBACC
#else
#define RDK_ERRNO	ENOSYS
#endif

struct mlog_rdk mlog_rdk;

/* Each pointer's type is the type of librdkafka's function. */
#define RDK_CHECK(ret, name, args)					\
	_Static_assert(_Generic(&rd_kafka_##name, ret (*)args: 1,	\
	    default: 0), "rd_kafka_" #name ": not librdkafka's prototype");
MLOG_RDK_FUNCS(RDK_CHECK)
_Static_assert(sizeof(void *) == sizeof(mlog_rdk.poll),
    "a function pointer is not the size of a void *");

#define RDK_SYM(ret, name, args)					\
	{ "rd_kafka_" #name, offsetof(struct mlog_rdk, name) },
static const struct {
	const char	*name;
	size_t		 off;
} syms[] = {
	MLOG_RDK_FUNCS(RDK_SYM)
};

int
mlog_rdk_load(char *why, size_t len)
{
	static int loaded;
	struct mlog_rdk t;
	const char *lib;
	void *h, *f;
	size_t i;

	if (loaded)
		return 0;
	/* the tests' way to run without the library */
	if ((lib = getenv("MLOG_RDKAFKA_LIB")) == NULL || *lib == '\0')
		lib = RDK_LIB;
	if ((h = dlopen(lib, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(why, len, "%s (install librdkafka1)", dlerror());
		errno = RDK_ERRNO;
		return -1;
	}
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		if ((f = dlsym(h, syms[i].name)) == NULL) {
			snprintf(why, len, "%s: no %s (librdkafka %s or "
			    "later is needed)", lib, syms[i].name, RDK_LEAST);
			dlclose(h);
			errno = RDK_ERRNO;
			return -1;
		}
		/* POSIX: a function's address fits in a void * */
		memcpy((char *)&t + syms[i].off, &f, sizeof(f));
	}
	mlog_rdk = t;
	loaded = 1;
	return 0;
}

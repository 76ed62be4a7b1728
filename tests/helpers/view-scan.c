/*
 * view-scan FILE [N]: the reader API other tools use on a view (mjoin
 * --table): "is_db R" for mlog_view_is_db(), then each row as KEY TAB VALUE
 * from mlog_view_scan(), stopping after N rows when given ("stopped R").
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "view.h"

static long left = -1;

static int
row(void *arg, const char *key, size_t klen, const char *val, size_t vlen)
{
	(void)arg;
	if (left == 0)
		return 7;
	printf("%.*s\t%.*s\n", (int)klen, key, (int)vlen, val);
	if (left > 0)
		left--;
	return 0;
}

int
main(int argc, char *argv[])
{
	int r;

	if (argc != 2 && argc != 3)
		errx(2, "usage: view-scan file [n]");
	if (argc == 3)
		left = atol(argv[2]);
	r = mlog_view_is_db(argv[1]);
	if (r < 0)
		err(1, "%s", argv[1]);
	printf("is_db %d\n", r);
	fflush(stdout);
	if ((r = mlog_view_scan(argv[1], row, NULL)) < 0)
		errx(1, "%s: %s", argv[1], mlog_view_error(NULL));
	if (r > 0)
		printf("stopped %d\n", r);
	return fflush(stdout) != 0 || ferror(stdout);
}

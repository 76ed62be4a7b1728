/*
 * promote-pending LOG GROUP: promote a consumer group's pending positions
 * (mlog-tail --commit=pending) through the library, as the two-phase commit
 * of mlog-offset will.
 */
#include <err.h>
#include <errno.h>
#include <stdlib.h>

#include "mlog.h"

int
main(int argc, char *argv[])
{
	struct mlog_offsets o;
	struct mlog_log *log;

	if (argc != 3)
		errx(2, "usage: promote-pending log group");
	if ((log = mlog_log_open(argv[1], 0, NULL)) == NULL)
		errx(1, "%s: %s", argv[1], mlog_strerror(errno));
	if (mlog_offsets_group(log, argv[2], 0, &o) < 0)
		err(1, "%s", argv[2]);
	if (mlog_offsets_commit_pending(&o) < 0)
		err(1, "%s: commit", argv[2]);
	mlog_offsets_release(&o);
	mlog_log_close(log);
	return 0;
}

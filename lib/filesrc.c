/*
 * Plain text files as sources (`mlog-tail -g job /var/log/app.log`): lines
 * read from a file another program appends to, with a saved position that
 * survives restarts and log rotation, as logtail2 and journalctl
 * --cursor-file do.
 *
 * A position is the byte offset of the next unread line in one file, named
 * by its device and inode and by a fingerprint of its first bytes (the bytes
 * read so far, at most FP_MAX).  After a rename rotation (logrotate
 * `create`) the file with our inode is found among FILE.1, FILE.2, ... and
 * finished from the saved offset, then the files rotated after it, newest
 * last, then FILE from 0.  After a copytruncate (same inode, but the first
 * bytes are gone or changed) the lines written since the last read live only
 * in the copy, recognised by its fingerprint: read from the saved offset
 * there, then the live file from 0.  A live file read from 0 has no
 * fingerprint yet, so the newest rotated file at the time it was started is
 * remembered too: when another one appears before a byte was read, it holds
 * lines of this generation.  Compressed copies (FILE.1.gz) are not read.
 *
 * Limits: lines a writer appends to a renamed file after the reader moved
 * on to the new FILE are not read (tail -F has the same window), and a
 * rotated file's unterminated last line is returned as a line, as it will
 * never be completed.
 *
 * Position file format, replaced atomically as offsets.c does: the line
 * "mlog-fileoffset 1", then "DEV INO FPLEN FPCRC OFFSET PDEV PINO": decimal
 * device and inode of the file, the length (<= 1024) and hexadecimal CRC32C
 * of its first bytes, the offset of the next unread line, and the device and
 * inode of the newest rotated file when the file was started (0 0: none).
 */
#include <sys/inotify.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define FILEPOS_MAGIC	"mlog-fileoffset 1\n"
#define FP_MAX		1024
#define BUF_INIT	(64 * 1024)
#define ROTATED_MAX	100000	/* highest N of FILE.N considered */
#define LIST_TRIES	3	/* listings before a file is taken as gone */

struct ident {
	dev_t		 dev;
	ino_t		 ino;		/* 0: none */
};

struct fsfile {
	int		 fd;
	struct ident	 id;
	int		 live;		/* the file FILE names, still written */
};

struct rotated {
	unsigned long	 n;
	int		 fd;
	struct ident	 id;
	off_t		 size;
};

struct filepos {
	uint64_t	 dev, ino;
	uint32_t	 fplen, fpcrc;
	uint64_t	 off;
	uint64_t	 pdev, pino;
};

struct mlog_filesrc {
	int		 dirfd;
	char		*base;		/* FILE's name in dirfd */
	struct mlog_offsets pos;	/* dirfd -1: no position file */
	struct fsfile	 cur;		/* fd -1 until FILE exists */
	uint64_t	 off;		/* file offset of buf[start] */
	unsigned char	 fp[FP_MAX];
	size_t		 fphave;	/* bytes of cur's start held in fp */
	struct ident	 prev;		/* newest rotated file at cur's start */
	struct fsfile	*queue;		/* files to read after cur, in order */
	size_t		 nq, qhead;
	unsigned char	*buf;
	size_t		 cap, start, scan, end;
	int		 replaced;	/* saw FILE name another inode */
	int		 wfd;
	uint64_t	 lost;
	struct filepos	 last;		/* last written to the position file */
	int		 havelast;
};

static int
same(struct ident a, struct ident b)
{
	return a.ino != 0 && a.dev == b.dev && a.ino == b.ino;
}

static int
stat_ident(int fd, struct ident *id, off_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	if (size != NULL)
		*size = st.st_size;
	return 0;
}

/* Does the file start with fplen bytes whose CRC is crc?  1, 0 or -1. */
static int
fp_match(int fd, size_t fplen, uint32_t crc)
{
	unsigned char b[FP_MAX];
	ssize_t n;

	if ((n = pread_full(fd, b, fplen, 0)) < 0)
		return -1;
	return (size_t)n == fplen && mlog_crc32c(0, b, fplen) == crc;
}

/* Open FILE; ENOENT when it does not exist (yet). */
static int
open_live(struct mlog_filesrc *s, struct fsfile *f)
{
	int saved;

	f->live = 1;
	f->id.dev = 0;
	f->id.ino = 0;
	if ((f->fd = openat(s->dirfd, s->base, O_RDONLY | O_CLOEXEC |
	    O_NONBLOCK)) < 0)
		return -1;
	if (stat_ident(f->fd, &f->id, NULL) < 0) {
		saved = errno;
		close(f->fd);
		f->fd = -1;
		errno = saved;
		return -1;
	}
	return 0;
}

static int
rotated_cmp(const void *a, const void *b)
{
	const struct rotated *x = a, *y = b;

	return x->n < y->n ? -1 : x->n > y->n;
}

/* The regular files FILE.N, N = 1, 2, ..., opened, newest (lowest N)
 * first. */
static int
list_rotated(struct mlog_filesrc *s, struct rotated **out, size_t *nout)
{
	struct rotated *r = NULL, *nr;
	struct dirent *de;
	size_t n = 0, cap = 0, blen = strlen(s->base);
	unsigned long num;
	const char *p;
	DIR *d;
	int fd, saved;

	if ((fd = dup(s->dirfd)) < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	rewinddir(d);
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, s->base, blen) != 0 ||
		    de->d_name[blen] != '.')
			continue;
		p = de->d_name + blen + 1;
		if (*p < '1' || *p > '9' || strspn(p, "0123456789") !=
		    strlen(p) || strlen(p) > 6 ||
		    (num = strtoul(p, NULL, 10)) > ROTATED_MAX)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nr = reallocarray(r, cap, sizeof(*r))) == NULL)
				goto fail;
			r = nr;
		}
		r[n].n = num;
		if ((r[n].fd = openat(s->dirfd, de->d_name, O_RDONLY |
		    O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW)) < 0) {
			if (errno == ENOENT || errno == ELOOP)
				continue;	/* rotated away, or a link */
			goto fail;
		}
		if (stat_ident(r[n].fd, &r[n].id, &r[n].size) < 0) {
			close(r[n].fd);
			if (errno == EINVAL)
				continue;
			goto fail;
		}
		n++;
	}
	if (errno != 0)
		goto fail;
	closedir(d);
	if (n > 0)
		qsort(r, n, sizeof(*r), rotated_cmp);
	*out = r;
	*nout = n;
	return 0;
fail:
	saved = errno;
	closedir(d);
	while (n > 0)
		close(r[--n].fd);
	free(r);
	errno = saved;
	return -1;
}

static void
rotated_free(struct rotated *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (r[i].fd >= 0)
			close(r[i].fd);
	free(r);
}

/*
 * list_rotated(), and the index of the file id among them (n if absent).
 * A listing made while logrotate renames can miss a file that exists all
 * along (readdir(3) need not return an entry renamed during the scan), so
 * an absent file is looked for again before it is taken as gone.
 */
static int
list_find(struct mlog_filesrc *s, struct ident id, struct rotated **r,
    size_t *n, size_t *at)
{
	size_t i;
	int try;

	for (try = 0;; try++) {
		if (list_rotated(s, r, n) < 0)
			return -1;
		for (i = 0; i < *n && !same((*r)[i].id, id); i++)
			;
		if (i < *n || id.ino == 0 || try == LIST_TRIES - 1)
			break;
		rotated_free(*r, *n);
	}
	*at = i;
	return 0;
}

static struct ident
newest(const struct rotated *r, size_t n)
{
	struct ident none = { 0, 0 };

	return n > 0 ? r[0].id : none;
}

static void
queue_clear(struct mlog_filesrc *s)
{
	while (s->qhead < s->nq)
		close(s->queue[s->qhead++].fd);
	s->nq = s->qhead = 0;
}

static int
queue_push(struct mlog_filesrc *s, struct fsfile f)
{
	struct fsfile *q;
	size_t cap = s->nq + 1;

	if ((q = reallocarray(s->queue, cap, sizeof(*q))) == NULL)
		return -1;
	s->queue = q;
	s->queue[s->nq++] = f;
	return 0;
}

/* Make f the file being read, from offset off; takes f's descriptor. */
static void
set_cur(struct mlog_filesrc *s, struct fsfile f, uint64_t off)
{
	ssize_t n;

	if (s->cur.fd >= 0 && s->cur.fd != f.fd)
		close(s->cur.fd);
	s->cur = f;
	s->off = off;
	s->start = s->scan = s->end = 0;
	s->replaced = 0;
	s->fphave = 0;
	if (f.fd >= 0 && off > 0) {
		n = pread_full(f.fd, s->fp, off < FP_MAX ? off : FP_MAX, 0);
		s->fphave = n > 0 ? (size_t)n : 0;
	}
}

/*
 * Read r[i] from off, then r[i-1] ... r[lo] from 0, then live (when it is
 * open) from 0.  Takes the descriptors used; the others stay in r.
 */
static int
chain(struct mlog_filesrc *s, struct rotated *r, size_t i, size_t lo,
    uint64_t off, struct fsfile *live)
{
	struct fsfile f;
	size_t j;

	queue_clear(s);
	for (j = i; j > lo; j--) {
		f.fd = r[j - 1].fd;
		f.id = r[j - 1].id;
		f.live = 0;
		if (queue_push(s, f) < 0)
			return -1;
		r[j - 1].fd = -1;
	}
	if (live != NULL && live->fd >= 0) {
		if (queue_push(s, *live) < 0)
			return -1;
		live->fd = -1;
	}
	f.fd = r[i].fd;
	f.id = r[i].id;
	f.live = 0;
	r[i].fd = -1;
	set_cur(s, f, off);
	return 0;
}

/* The first position of FILE: 0, or after its last complete line. */
static int
end_offset(int fd, uint64_t *off)
{
	unsigned char b[4096];
	struct stat st;
	off_t at;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return -1;
	at = st.st_size;
	while (at > 0) {
		n = (ssize_t)(at < (off_t)sizeof(b) ? at : (off_t)sizeof(b));
		at -= n;
		if ((n = pread_full(fd, b, (size_t)n, at)) < 0)
			return -1;
		while (n > 0)
			if (b[--n] == '\n') {
				*off = (uint64_t)at + (uint64_t)n + 1;
				return 0;
			}
	}
	*off = 0;
	return 0;
}

static int
parse_u64(const char **pp, int sep, int base, uint64_t *v)
{
	const char *p = *pp;
	char *end;

	if (!(*p >= '0' && *p <= '9') && !(base == 16 &&
	    ((*p >= 'a' && *p <= 'f'))))
		return -1;
	errno = 0;
	*v = strtoull(p, &end, base);
	if (errno != 0 || *end != sep)
		return -1;
	*pp = end + 1;
	return 0;
}

/* 1 and *p filled, 0 when there is no position file, -1 on error. */
static int
pos_load(const struct mlog_filesrc *s, struct filepos *p)
{
	char buf[256];
	const char *q;
	uint64_t v[7];
	ssize_t n;
	int fd, saved, i;

	if ((fd = openat(s->pos.dirfd, s->pos.name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) < 0)
		return errno == ENOENT ? 0 : -1;
	n = pread_full(fd, buf, sizeof(buf) - 1, 0);
	saved = errno;
	close(fd);
	errno = saved;
	if (n < 0)
		return -1;
	buf[n] = '\0';
	if (strncmp(buf, FILEPOS_MAGIC, strlen(FILEPOS_MAGIC)) != 0)
		goto bad;
	q = buf + strlen(FILEPOS_MAGIC);
	for (i = 0; i < 7; i++)
		if (parse_u64(&q, i == 6 ? '\n' : ' ', i == 3 ? 16 : 10,
		    &v[i]) < 0)
			goto bad;
	if (*q != '\0' || v[2] > FP_MAX || v[3] > UINT32_MAX ||
	    v[4] > INT64_MAX)
		goto bad;
	p->dev = v[0];
	p->ino = v[1];
	p->fplen = (uint32_t)v[2];
	p->fpcrc = (uint32_t)v[3];
	p->off = v[4];
	p->pdev = v[5];
	p->pino = v[6];
	return 1;
bad:
	errno = EBADMSG;
	return -1;
}

static int
pos_store(const struct mlog_filesrc *s, const struct filepos *p, int pending)
{
	char text[256], name[PATH_MAX];
	int len;

	len = snprintf(text, sizeof(text), "%s%" PRIu64 " %" PRIu64
	    " %" PRIu32 " %08" PRIx32 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
	    FILEPOS_MAGIC, p->dev, p->ino, p->fplen, p->fpcrc, p->off,
	    p->pdev, p->pino);
	if ((size_t)snprintf(name, sizeof(name), "%s%s", s->pos.name,
	    pending ? ".pending" : "") >= sizeof(name)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return replace_file(s->pos.dirfd, name, text, (size_t)len);
}

/* Start reading FILE from 0, or wait for it; prev is the newest rotated
 * file now. */
static int
restart_live(struct mlog_filesrc *s, struct ident prev)
{
	struct fsfile live;

	queue_clear(s);
	if (open_live(s, &live) < 0 && errno != ENOENT)
		return -1;
	if (s->cur.fd >= 0 && s->cur.fd != live.fd)
		close(s->cur.fd);
	s->cur.fd = -1;
	set_cur(s, live, 0);
	s->prev = prev;
	return 0;
}

/* Find where a saved position is now and set up the files to read. */
static int
locate(struct mlog_filesrc *s, const struct filepos *p)
{
	struct ident want = { (dev_t)p->dev, (ino_t)p->ino }, prev;
	struct rotated *r;
	struct fsfile live;
	size_t n, i;
	off_t size = 0;
	int m, rc = -1;

	if (open_live(s, &live) < 0) {
		if (errno != ENOENT)
			return -1;
	} else if (stat_ident(live.fd, &live.id, &size) < 0)
		goto out_live;
	if (list_rotated(s, &r, &n) < 0)
		goto out_live;
	prev = newest(r, n);
	if (live.fd >= 0 && same(live.id, want) && (uint64_t)size >= p->off &&
	    (m = fp_match(live.fd, p->fplen, p->fpcrc)) != 0) {
		if (m < 0)
			goto out;
		set_cur(s, live, p->off);
		live.fd = -1;
		s->prev.dev = (dev_t)p->pdev;
		s->prev.ino = (ino_t)p->pino;
		rc = 0;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (same(r[i].id, want) && (m = fp_match(r[i].fd, p->fplen,
		    p->fpcrc)) != 0)
			goto found;
	for (i = 0; p->fplen > 0 && i < n; i++)
		if (!same(r[i].id, live.id) && (m = fp_match(r[i].fd, p->fplen,
		    p->fpcrc)) != 0)
			goto found;
	if (live.fd >= 0 && p->fplen > 0 && (uint64_t)size >= p->off &&
	    (m = fp_match(live.fd, p->fplen, p->fpcrc)) != 0) {
		if (m < 0)
			goto out;
		set_cur(s, live, p->off);
		live.fd = -1;
		s->prev = prev;
		rc = 0;
		goto out;
	}
	if (p->off > 0)
		s->lost++;
	set_cur(s, live, 0);
	live.fd = -1;
	s->prev = prev;
	rc = 0;
	goto out;
found:
	if (m < 0)
		goto out;
	if ((rc = chain(s, r, i, 0, p->off, &live)) == 0)
		s->prev = prev;
out:
	rotated_free(r, n);
out_live:
	if (live.fd >= 0)
		close(live.fd);
	return rc;
}

/*
 * The live file lost its first bytes: a copytruncate.  What followed our
 * position is in the copy, which starts with the bytes we hold.
 */
static int
on_truncate(struct mlog_filesrc *s)
{
	struct rotated *r;
	struct fsfile live;
	uint32_t crc = mlog_crc32c(0, s->fp, s->fphave);
	size_t n, i;
	int m, try, rc = -1;

	for (try = 0;; try++) {
		if (list_rotated(s, &r, &n) < 0)
			return -1;
		for (i = 0; i < n; i++) {
			if (same(r[i].id, s->cur.id) ||
			    (uint64_t)r[i].size < s->fphave)
				continue;
			if ((m = fp_match(r[i].fd, s->fphave, crc)) < 0)
				goto out;
			if (m)
				break;
		}
		if (i < n || try == LIST_TRIES - 1)
			break;
		rotated_free(r, n);
	}
	if (i == n) {
		s->lost++;
		rc = restart_live(s, newest(r, n));
		goto out;
	}
	if (open_live(s, &live) < 0 && errno != ENOENT)
		goto out;
	rc = chain(s, r, i, 0, s->off, &live);
	if (live.fd >= 0)
		close(live.fd);
	if (rc == 0)
		s->prev = newest(r, n);
out:
	rotated_free(r, n);
	return rc;
}

/*
 * FILE names another file than the live one we read to its end: a rename
 * rotation.  Finish it, then the files rotated after it, then the new FILE.
 */
static int
on_rename(struct mlog_filesrc *s)
{
	struct rotated *r;
	struct fsfile live;
	size_t n, i, j;
	int rc = -1;

	if (list_find(s, s->cur.id, &r, &n, &i) < 0)
		return -1;
	if (open_live(s, &live) < 0 && errno != ENOENT)
		goto out;
	queue_clear(s);
	for (j = i < n ? i : 0; j > 0; j--) {
		if (queue_push(s, (struct fsfile){ r[j - 1].fd, r[j - 1].id,
		    0 }) < 0)
			goto out;
		r[j - 1].fd = -1;
	}
	if (live.fd >= 0) {
		if (queue_push(s, live) < 0)
			goto out;
		live.fd = -1;
	}
	s->cur.live = 0;
	s->prev = newest(r, n);
	rc = 0;
out:
	if (live.fd >= 0)
		close(live.fd);
	rotated_free(r, n);
	return rc;
}

/*
 * Before the first byte of a live file read from 0: has a file been
 * rotated since it was started?  Then that file, and any rotated after the
 * one remembered, hold lines of this generation (a copytruncate of lines we
 * never saw).  A copy whose bytes FILE still starts with is a copy of what
 * we are about to read (not truncated yet, still being copied, or made by
 * `copy`): skip it.  1 when the
 * files to read changed, 0 if not, -1 on error.
 */
static int
check_rotated(struct mlog_filesrc *s)
{
	unsigned char a[FP_MAX], b[FP_MAX];
	struct rotated *r;
	struct fsfile live;
	struct ident id;
	struct stat st;
	char name[NAME_MAX + 1];
	size_t n, k, lo = 0, len;
	ssize_t x, y;
	int rc = -1;

	if ((size_t)snprintf(name, sizeof(name), "%s.1", s->base) >=
	    sizeof(name))
		return 0;
	if (fstatat(s->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return -1;
		st.st_ino = 0;
		st.st_dev = 0;
	}
	id.dev = st.st_dev;
	id.ino = st.st_ino;
	if ((id.ino == 0 && s->prev.ino == 0) || same(id, s->prev))
		return 0;
	if (list_find(s, s->prev, &r, &n, &k) < 0)
		return -1;
	if (k == 0) {
		s->prev = newest(r, n);
		rc = 0;
		goto out;
	}
	len = r[0].size < FP_MAX ? (size_t)r[0].size : FP_MAX;
	if ((x = pread_full(r[0].fd, a, len, 0)) < 0 ||
	    (y = pread_full(s->cur.fd, b, len, 0)) < 0)
		goto out;
	/* also a copy logrotate is still writing, empty or not */
	if (x == y && memcmp(a, b, (size_t)x) == 0)
		lo = 1;
	if (lo == k) {
		s->prev = r[0].id;
		rc = 0;
		goto out;
	}
	if (open_live(s, &live) < 0 && errno != ENOENT)
		goto out;
	rc = chain(s, r, k - 1, lo, 0, &live);
	if (live.fd >= 0)
		close(live.fd);
	if (rc == 0) {
		s->prev = r[0].id;
		rc = 1;
	}
out:
	rotated_free(r, n);
	return rc;
}

struct mlog_filesrc *
mlog_filesrc_open(const char *path, const char *posfile, int flags)
{
	struct mlog_filesrc *s;
	struct rotated *r;
	struct filepos p;
	const char *slash;
	char *dir;
	size_t n;
	uint64_t off;
	int rc, saved;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->dirfd = s->pos.dirfd = s->cur.fd = s->wfd = -1;
	if ((slash = strrchr(path, '/')) == NULL)
		dir = strdup(".");
	else
		dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	s->base = strdup(slash == NULL ? path : slash + 1);
	if (dir == NULL || s->base == NULL) {
		free(dir);
		goto fail;
	}
	if (s->base[0] == '\0' || strcmp(s->base, ".") == 0 ||
	    strcmp(s->base, "..") == 0) {
		free(dir);
		errno = EISDIR;
		goto fail;
	}
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (s->dirfd < 0)
		goto fail;
	if ((s->buf = malloc(BUF_INIT)) == NULL)
		goto fail;
	s->cap = BUF_INIT;
	if (posfile != NULL && mlog_offsets_file(posfile, &s->pos) < 0)
		goto fail;
	rc = posfile != NULL ? pos_load(s, &p) : 0;
	if (rc < 0)
		goto fail;
	if (rc > 0) {
		if (locate(s, &p) < 0)
			goto fail;
		s->last = p;
		s->havelast = 1;
		return s;
	}
	if (list_rotated(s, &r, &n) < 0)
		goto fail;
	rc = restart_live(s, newest(r, n));
	rotated_free(r, n);
	if (rc < 0)
		goto fail;
	if ((flags & MLOG_FILESRC_END) && s->cur.fd >= 0) {
		if (end_offset(s->cur.fd, &off) < 0)
			goto fail;
		set_cur(s, s->cur, off);
	}
	return s;
fail:
	saved = errno;
	mlog_filesrc_close(s);
	errno = saved;
	return NULL;
}

/* Done with a file that is no longer written: on to the next one. */
static int
next_file(struct mlog_filesrc *s)
{
	struct fsfile f;

	if (s->qhead < s->nq) {
		f = s->queue[s->qhead++];
		if (s->qhead == s->nq)
			s->qhead = s->nq = 0;
		set_cur(s, f, 0);
		return 0;
	}
	if (s->cur.fd >= 0)
		close(s->cur.fd);
	s->cur.fd = -1;
	set_cur(s, s->cur, 0);
	return 0;
}

/* Do the first fphave bytes of the live file still read as we read them? */
static int
fp_still(struct mlog_filesrc *s)
{
	unsigned char b[FP_MAX];
	ssize_t n;

	if (s->fphave == 0)
		return 1;
	if ((n = pread_full(s->cur.fd, b, s->fphave, 0)) < 0)
		return -1;
	return (size_t)n == s->fphave && memcmp(b, s->fp, s->fphave) == 0;
}

/* Make room after buf[end]: move the unread bytes down, or grow. */
static int
make_room(struct mlog_filesrc *s)
{
	unsigned char *nb;
	size_t ncap;

	if (s->start > 0) {
		memmove(s->buf, s->buf + s->start, s->end - s->start);
		s->end -= s->start;
		s->scan -= s->start;
		s->start = 0;
	}
	if (s->end < s->cap)
		return 0;
	if (s->cap > MLOG_LINE_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	/* room for the longest line and its newline, no more */
	ncap = s->cap <= MLOG_LINE_MAX / 2 ? s->cap * 2 : MLOG_LINE_MAX + 1;
	if ((nb = realloc(s->buf, ncap)) == NULL)
		return -1;
	s->buf = nb;
	s->cap = ncap;
	return 0;
}

static void
take(struct mlog_filesrc *s, size_t len, size_t skip,
    const unsigned char **line, size_t *linelen)
{
	*line = s->buf + s->start;
	*linelen = len;
	s->start += len + skip;
	s->scan = s->start;
	s->off += len + skip;
}

int
mlog_filesrc_next(struct mlog_filesrc *s, const unsigned char **line,
    size_t *len)
{
	struct fsfile live;
	struct stat st;
	unsigned char *nl;
	uint64_t readoff;
	ssize_t n;
	size_t fpold;
	int m;

	for (;;) {
		if (s->scan < s->end && (nl = memchr(s->buf + s->scan, '\n',
		    s->end - s->scan)) != NULL) {
			take(s, (size_t)(nl - (s->buf + s->start)), 1, line,
			    len);
			return 1;
		}
		s->scan = s->end;
		if (s->cur.fd < 0) {
			if (open_live(s, &live) < 0)
				return errno == ENOENT ? 0 : -1;
			set_cur(s, live, 0);
		}
		if (s->cur.live && s->fphave == 0 && s->off == 0 &&
		    s->end == 0) {
			if ((m = check_rotated(s)) < 0)
				return -1;
			if (m > 0)
				continue;
		}
		if ((s->start > 0 || s->end == s->cap) && make_room(s) < 0)
			return -1;
		readoff = s->off + (s->end - s->start);
		fpold = s->fphave;
		n = pread(s->cur.fd, s->buf + s->end, s->cap - s->end,
		    (off_t)readoff);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n > 0 && readoff == s->fphave && readoff < FP_MAX) {
			s->fphave = readoff + (size_t)n < FP_MAX ?
			    readoff + (size_t)n : FP_MAX;
			memcpy(s->fp + readoff, s->buf + s->end,
			    s->fphave - readoff);
		}
		if (!s->cur.live) {
			if (n > 0) {
				s->end += (size_t)n;
				continue;
			}
			if (s->end > s->start) {
				take(s, s->end - s->start, 0, line, len);
				return 1;
			}
			if (next_file(s) < 0)
				return -1;
			continue;
		}
		if ((m = fp_still(s)) < 0)
			return -1;
		if (!m) {
			s->end = s->start;
			s->scan = s->start;
			if (on_truncate(s) < 0)
				return -1;
			continue;
		}
		if (n > 0) {
			s->end += (size_t)n;
			if (fpold == 0 && s->off == 0) {
				/* the first bytes: were they rotated away? */
				if ((m = check_rotated(s)) < 0)
					return -1;
				if (m > 0)
					continue;
			}
			continue;
		}
		if (fstatat(s->dirfd, s->base, &st, 0) < 0) {
			if (errno == ENOENT)
				return 0;
			return -1;
		}
		if (st.st_dev == s->cur.id.dev && st.st_ino == s->cur.id.ino)
			return 0;
		if (!s->replaced) {
			/* read once more: writes may have preceded the
			 * rename */
			s->replaced = 1;
			continue;
		}
		if (on_rename(s) < 0)
			return -1;
	}
}

static int
pos_same(const struct filepos *a, const struct filepos *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->fplen == b->fplen &&
	    a->fpcrc == b->fpcrc && a->off == b->off && a->pdev == b->pdev &&
	    a->pino == b->pino;
}

int
mlog_filesrc_commit(struct mlog_filesrc *s, int pending)
{
	struct filepos p;
	size_t fplen;

	if (s->pos.dirfd < 0 || s->cur.fd < 0)
		return 0;
	fplen = s->fphave;
	p.dev = (uint64_t)s->cur.id.dev;
	p.ino = (uint64_t)s->cur.id.ino;
	p.fplen = (uint32_t)fplen;
	p.fpcrc = mlog_crc32c(0, s->fp, fplen);
	p.off = s->off;
	p.pdev = (uint64_t)s->prev.dev;
	p.pino = (uint64_t)s->prev.ino;
	if (!pending && s->havelast && pos_same(&p, &s->last))
		return 0;
	if (pos_store(s, &p, pending) < 0)
		return -1;
	if (!pending) {
		s->last = p;
		s->havelast = 1;
	}
	return 0;
}

int
mlog_filesrc_watch_fd(struct mlog_filesrc *s)
{
	char path[32];
	int saved;

	if (s->wfd >= 0)
		return s->wfd;
	if ((s->wfd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		return -1;
	/* inotify wants a path; /proc names the directory we hold */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", s->dirfd);
	if (inotify_add_watch(s->wfd, path, IN_MODIFY | IN_CREATE |
	    IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE |
	    IN_ATTRIB | IN_ONLYDIR) < 0) {
		saved = errno;
		close(s->wfd);
		s->wfd = -1;
		errno = saved;
		return -1;
	}
	return s->wfd;
}

int
mlog_filesrc_watch_drain(struct mlog_filesrc *s)
{
	return s->wfd < 0 ? 0 : inotify_drain(s->wfd);
}

uint64_t
mlog_filesrc_lost(const struct mlog_filesrc *s)
{
	return s->lost;
}

void
mlog_filesrc_close(struct mlog_filesrc *s)
{
	if (s == NULL)
		return;
	queue_clear(s);
	free(s->queue);
	if (s->cur.fd >= 0)
		close(s->cur.fd);
	if (s->wfd >= 0)
		close(s->wfd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	if (s->pos.dirfd >= 0)
		mlog_offsets_release(&s->pos);
	free(s->base);
	free(s->buf);
	free(s);
}

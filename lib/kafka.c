/*
 * The kafka adapter: a log argument kafka://host:port[,host:port...]/topic
 * names a Kafka topic, reached through librdkafka (loaded by the first
 * mlog_kafka_open(), rdk.h).  This file parses those URLs, builds
 * librdkafka configurations from -X key=value pairs and
 * properties files (never repeating the value of a secret in a message),
 * opens producer and consumer handles that know the topic's partitions,
 * and answers the questions the tools ask of a topic: watermarks, offsets
 * by time.  Every call that talks to a broker is bounded by the timeout
 * given at open.  Failures leave their message for mlog_kafka_strerror().
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "rdk.h"

#define PREFIX		"kafka://"
#define PREFIX_LEN	8

struct mlog_kafka {
	rd_kafka_t	*rk;
	rd_kafka_topic_t *rkt;
	char		*url;
	char		*topic;
	uint32_t	 partitions;
	int		 timeout_ms;
	int		 down;		/* all brokers reported down */
	char		 why[256];	/* librdkafka's last word on a broker */
	void		(*delivered)(void *, const struct rd_kafka_message_s *);
	void		(*rebalance)(void *, int, struct rd_kafka_topic_partition_list_s *);
	void		*arg;
	char		*group;
	int		 joined;	/* mlog_kafka_join: assigned */
	uint8_t		*held;		/* mlog_kafka_join: [partitions] */
};

static char lasterr[512];

static int __attribute__((format(printf, 2, 3)))
fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(lasterr, sizeof(lasterr), fmt, ap);
	va_end(ap);
	errno = err;
	return -1;
}

const char *
mlog_kafka_strerror(void)
{
	return lasterr;
}

int
mlog_log_is_kafka(const char *arg)
{
	return strncmp(arg, PREFIX, PREFIX_LEN) == 0;
}

int
mlog_kafka_topic_valid(const char *t, const char **why)
{
	size_t n = strlen(t), i;

	*why = NULL;
	if (n == 0)
		*why = "no topic name";
	else if (n > MLOG_KAFKA_TOPIC_MAX)
		*why = "topic name longer than 249 characters";
	else if (strcmp(t, ".") == 0 || strcmp(t, "..") == 0)
		*why = "topic name cannot be \".\" or \"..\"";
	for (i = 0; *why == NULL && i < n; i++)
		if (!isascii((unsigned char)t[i]) ||
		    !(isalnum((unsigned char)t[i]) || t[i] == '.' ||
		    t[i] == '_' || t[i] == '-'))
			*why = "a topic name has only the characters "
			    "a-z A-Z 0-9 . _ -";
	return *why == NULL;
}

/* host:port, host a name, an IPv4 address or a bracketed IPv6 one. */
static int
broker_valid(const char *b, size_t n)
{
	const char *colon = NULL;
	size_t i, hostlen;
	long port = 0;

	for (i = n; i > 0; i--)
		if (b[i - 1] == ':') {
			colon = b + i - 1;
			break;
		}
	if (colon == NULL || colon == b || colon + 1 == b + n ||
	    (size_t)(b + n - colon - 1) > 5)
		return 0;
	for (i = (size_t)(colon - b) + 1; i < n; i++) {
		if (!isdigit((unsigned char)b[i]))
			return 0;
		port = port * 10 + (b[i] - '0');
	}
	if (port < 1 || port > 65535)
		return 0;
	hostlen = (size_t)(colon - b);
	if (b[0] == '[')
		return hostlen > 2 && b[hostlen - 1] == ']';
	for (i = 0; i < hostlen; i++)
		if (!isalnum((unsigned char)b[i]) && b[i] != '.' &&
		    b[i] != '-' && b[i] != '_')
			return 0;
	return 1;
}

int
mlog_kafka_url_parse(const char *url, struct mlog_kafka_url *out)
{
	const char *p, *slash, *comma, *why;
	char *brokers, *topic;

	if (!mlog_log_is_kafka(url))
		return fail(EINVAL, "not a kafka:// URL");
	p = url + PREFIX_LEN;
	if ((slash = strchr(p, '/')) == NULL || slash == p)
		return fail(EINVAL, "expected kafka://host:port"
		    "[,host:port...]/topic");
	for (;; p = comma + 1) {
		if ((comma = memchr(p, ',', (size_t)(slash - p))) == NULL)
			comma = slash;
		if (!broker_valid(p, (size_t)(comma - p)))
			return fail(EINVAL, "bad broker address \"%.*s\" "
			    "(expected host:port)", (int)(comma - p), p);
		if (comma == slash)
			break;
	}
	if (strchr(slash + 1, '/') != NULL)
		return fail(EINVAL, "a topic name has only the characters "
		    "a-z A-Z 0-9 . _ -");
	if (!mlog_kafka_topic_valid(slash + 1, &why))
		return fail(EINVAL, "%s", why);
	p = url + PREFIX_LEN;
	if ((brokers = strndup(p, (size_t)(slash - p))) == NULL)
		return fail(errno, "%s", strerror(errno));
	if ((topic = strdup(slash + 1)) == NULL) {
		free(brokers);
		return fail(errno, "%s", strerror(errno));
	}
	out->brokers = brokers;
	out->topic = topic;
	return 0;
}

void
mlog_kafka_url_free(struct mlog_kafka_url *u)
{
	free(u->brokers);
	free(u->topic);
	u->brokers = u->topic = NULL;
}

int
mlog_kafka_prop_secret(const char *key)
{
	static const char *const words[] = {
		"password", "secret", "sasl.jaas", "token"
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(key, words[i]) != NULL)
			return 1;
	return 0;
}

int
mlog_kafka_props_set(struct mlog_kafka_props *ps, const char *key,
    const char *value, const char *origin)
{
	struct mlog_kafka_prop *nv, *p;

	if (ps->n == ps->cap) {
		if ((nv = reallocarray(ps->v, ps->cap ? ps->cap * 2 : 16,
		    sizeof(*nv))) == NULL)
			return fail(errno, "%s", strerror(errno));
		ps->v = nv;
		ps->cap = ps->cap ? ps->cap * 2 : 16;
	}
	p = &ps->v[ps->n];
	p->key = strdup(key);
	p->value = strdup(value);
	p->origin = strdup(origin);
	if (p->key == NULL || p->value == NULL || p->origin == NULL) {
		free(p->key);
		free(p->value);
		free(p->origin);
		return fail(ENOMEM, "%s", strerror(ENOMEM));
	}
	ps->n++;
	return 0;
}

/* Split "key=value" (surrounding blanks of the key and the value cut). */
static int
split(char *kv, char **key, char **value)
{
	char *eq, *e;

	if ((eq = strchr(kv, '=')) == NULL)
		return -1;
	*eq = '\0';
	while (*kv == ' ' || *kv == '\t')
		kv++;
	for (e = eq; e > kv && (e[-1] == ' ' || e[-1] == '\t'); e--)
		e[-1] = '\0';
	for (e = eq + 1; *e == ' ' || *e == '\t'; e++)
		;
	*key = kv;
	*value = e;
	for (e += strlen(e); e > *value && (e[-1] == ' ' || e[-1] == '\t' ||
	    e[-1] == '\r'); e--)
		e[-1] = '\0';
	return **key == '\0' ? -1 : 0;
}

int
mlog_kafka_props_arg(struct mlog_kafka_props *ps, const char *arg)
{
	char *copy, *key, *value;
	int rc;

	if ((copy = strdup(arg)) == NULL)
		return fail(errno, "%s", strerror(errno));
	if (split(copy, &key, &value) < 0) {
		free(copy);
		/* what follows an '=' may be a secret */
		return fail(EINVAL, "expected key=value: %.*s",
		    (int)strcspn(arg, "="), arg);
	}
	rc = mlog_kafka_props_set(ps, key, value, "-X");
	free(copy);
	return rc;
}

int
mlog_kafka_option(struct mlog_kafka_props *ps, const char *opt,
    const char *arg, int64_t *timeout, char *err, size_t len)
{
	if (strcmp(opt, "-X") == 0) {
		if (mlog_kafka_props_arg(ps, arg) == 0)
			return 0;
		snprintf(err, len, "-X: %s", mlog_kafka_strerror());
		return MLOG_KAFKA_OPT_USAGE;
	}
	if (strcmp(opt, "--kafka-config") == 0) {
		if (mlog_kafka_props_file(ps, arg) == 0)
			return 0;
		snprintf(err, len, "--kafka-config: %s", mlog_kafka_strerror());
		return errno == EINVAL ? 2 : 1;
	}
	if (mlog_duration_arg(opt, arg, 0, 0, timeout, err, len) < 0)
		return MLOG_KAFKA_OPT_USAGE;
	if (*timeout < 1000) {
		snprintf(err, len, "%s: less than 1ms: %s", opt, arg);
		return MLOG_KAFKA_OPT_USAGE;
	}
	return 0;
}

int
mlog_kafka_props_file(struct mlog_kafka_props *ps, const char *path)
{
	FILE *f;
	char *line = NULL, *s, *key, *value, origin[1024];
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int saved;

	if ((f = fopen(path, "re")) == NULL)
		return fail(errno, "%s: %s", path, strerror(errno));
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		if (*s == '\0' || *s == '#' || *s == '\r')
			continue;
		snprintf(origin, sizeof(origin), "%s:%zu", path, lineno);
		if (split(s, &key, &value) < 0) {
			free(line);
			fclose(f);
			return fail(EINVAL, "%s: expected key=value", origin);
		}
		if (mlog_kafka_props_set(ps, key, value, origin) < 0) {
			saved = errno;
			free(line);
			fclose(f);
			errno = saved;
			return -1;
		}
	}
	saved = ferror(f) ? errno : 0;
	free(line);
	fclose(f);
	if (saved != 0)
		return fail(saved, "%s: %s", path, strerror(saved));
	return 0;
}

void
mlog_kafka_props_free(struct mlog_kafka_props *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		free(ps->v[i].key);
		free(ps->v[i].value);
		free(ps->v[i].origin);
	}
	free(ps->v);
	ps->v = NULL;
	ps->n = ps->cap = 0;
}

/* librdkafka's messages about a property may quote its value: a secret's
 * is named by its key only. */
static int
conf_set(rd_kafka_conf_t *conf, const char *key, const char *value,
    const char *origin)
{
	char errstr[512];
	rd_kafka_conf_res_t r;

	r = rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr));
	if (r == RD_KAFKA_CONF_OK)
		return 0;
	if (r == RD_KAFKA_CONF_UNKNOWN)
		return fail(EINVAL, "%s: %s: unknown property", origin, key);
	if (mlog_kafka_prop_secret(key))
		return fail(EINVAL, "%s: %s: invalid value", origin, key);
	return fail(EINVAL, "%s: %s: %s", origin, key, errstr);
}

/* librdkafka's checks of a whole configuration may quote any value:
 * blank out the secrets' values. */
static void
scrub(char *msg, const struct mlog_kafka_props *ps)
{
	const char *v;
	char *at;
	size_t i, n;

	for (i = 0; ps != NULL && i < ps->n; i++) {
		if (!mlog_kafka_prop_secret(ps->v[i].key))
			continue;
		v = ps->v[i].value;
		if ((n = strlen(v)) == 0)
			continue;
		for (at = msg; (at = strstr(at, v)) != NULL; at += n)
			memset(at, '*', n);
	}
}

static void
on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	(void)level;
	(void)fac;
	(void)buf;
}

static void
on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct mlog_kafka *k = opaque;

	char *after;

	(void)rk;
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
		k->down = 1;
		return;
	}
	/* the reason, without its timing ("(after 3ms in state UP)") */
	snprintf(k->why, sizeof(k->why), "%s", reason);
	if ((after = strstr(k->why, " (after ")) != NULL)
		*after = '\0';
}

static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct mlog_kafka *k = opaque;

	(void)rk;
	if (k->delivered != NULL)
		k->delivered(k->arg, m);
}

/* A member of a group: the tool's own handling, or mlog_kafka_join()'s,
 * which only notes what it holds. */
static void
on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct mlog_kafka *k = opaque;
	int i, assign = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;

	if (k->rebalance != NULL) {
		k->rebalance(k->arg, err, parts);
		return;
	}
	for (i = 0; i < parts->cnt; i++)
		if (k->held != NULL && strcmp(parts->elems[i].topic,
		    k->topic) == 0 && parts->elems[i].partition >= 0 &&
		    (uint32_t)parts->elems[i].partition < k->partitions)
			k->held[parts->elems[i].partition] = assign;
	k->joined = assign;
	if (strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0) {
		if (assign)
			rd_kafka_error_destroy(rd_kafka_incremental_assign(rk,
			    parts));
		else
			rd_kafka_error_destroy(rd_kafka_incremental_unassign(
			    rk, parts));
	} else
		rd_kafka_assign(rk, assign ? parts : NULL);
}

/* How a broker error reads, for the tools' messages. */
static int
fail_rd(struct mlog_kafka *k, rd_kafka_resp_err_t e)
{
	switch (e) {
	case RD_KAFKA_RESP_ERR__TIMED_OUT:
	case RD_KAFKA_RESP_ERR__TRANSPORT:
	case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
		/* what librdkafka said of the brokers meanwhile: a refused
		 * connection, a failed authentication */
		rd_kafka_poll(k->rk, 0);
		if (k->why[0] != '\0')
			return fail(ETIMEDOUT, "no broker answered within the "
			    "timeout (%d ms); last error: %s", k->timeout_ms,
			    k->why);
		return fail(ETIMEDOUT, "no broker answered within the "
		    "timeout (%d ms)", k->timeout_ms);
	case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
		return fail(ENOENT, "topic %s does not exist", k->topic);
	default:
		return fail(EIO, "%s", rd_kafka_err2str(e));
	}
}

static int
load_partitions(struct mlog_kafka *k)
{
	const struct rd_kafka_metadata *md;
	const struct rd_kafka_metadata_topic *t;
	rd_kafka_resp_err_t e;

	if ((e = rd_kafka_metadata(k->rk, 0, k->rkt, &md,
	    k->timeout_ms)) != 0)
		return fail_rd(k, e);
	if (md->topic_cnt != 1 || strcmp(md->topics[0].topic, k->topic) != 0) {
		rd_kafka_metadata_destroy(md);
		return fail(EIO, "no metadata for topic %s", k->topic);
	}
	t = &md->topics[0];
	if (t->err != 0 || t->partition_cnt == 0) {
		e = t->err ? t->err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
		rd_kafka_metadata_destroy(md);
		return fail_rd(k, e);
	}
	if (t->partition_cnt > MLOG_PARTITIONS_MAX) {
		rd_kafka_metadata_destroy(md);
		return fail(EOPNOTSUPP, "topic %s has %d partitions, more "
		    "than %d", k->topic, t->partition_cnt,
		    MLOG_PARTITIONS_MAX);
	}
	k->partitions = (uint32_t)t->partition_cnt;
	rd_kafka_metadata_destroy(md);
	return 0;
}

struct mlog_kafka *
mlog_kafka_open(const char *url, const struct mlog_kafka_opts *o)
{
	struct mlog_kafka *k;
	struct mlog_kafka_url u = { NULL, NULL };
	rd_kafka_conf_t *conf;
	char errstr[512], ms[32];
	size_t i;
	int saved;

	if (mlog_kafka_url_parse(url, &u) < 0)
		return NULL;
	if (mlog_rdk_load(lasterr, sizeof(lasterr)) < 0) {
		saved = errno;
		mlog_kafka_url_free(&u);
		errno = saved;
		return NULL;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->url = strdup(url)) == NULL) {
		free(k);
		mlog_kafka_url_free(&u);
		fail(ENOMEM, "%s", strerror(ENOMEM));
		return NULL;
	}
	k->topic = u.topic;
	k->timeout_ms = (int)(o->timeout_us / 1000);
	if (k->timeout_ms < 1)
		k->timeout_ms = 1;
	k->delivered = o->delivered;
	k->arg = o->arg;
	conf = rd_kafka_conf_new();
	rd_kafka_conf_set_opaque(conf, k);
	rd_kafka_conf_set_log_cb(conf, on_log);
	rd_kafka_conf_set_error_cb(conf, on_error);
	/* librdkafka's least socket.timeout.ms */
	snprintf(ms, sizeof(ms), "%d", k->timeout_ms < 10 ? 10 :
	    k->timeout_ms);
	/* requests to a broker that went away end within the timeout */
	if (conf_set(conf, "bootstrap.servers", u.brokers, "URL") < 0 ||
	    conf_set(conf, "socket.timeout.ms", ms, "default") < 0)
		goto bad;
	if (o->role == MLOG_KAFKA_PRODUCER) {
		rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
		if (conf_set(conf, "partitioner", "murmur2_random",
		    "default") < 0 ||
		    conf_set(conf, "message.timeout.ms", ms, "default") < 0)
			goto bad;
	} else if (conf_set(conf, "enable.auto.commit", "false",
	    "default") < 0 ||
	    conf_set(conf, "enable.partition.eof", "true", "default") < 0)
		goto bad;
	if (o->group != NULL) {
		if ((k->group = strdup(o->group)) == NULL) {
			fail(ENOMEM, "%s", strerror(ENOMEM));
			goto bad;
		}
		k->rebalance = o->rebalance;
		rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
		if (conf_set(conf, "group.id", o->group, "--group") < 0 ||
		    conf_set(conf, "enable.auto.offset.store", "false",
		    "default") < 0)
			goto bad;
	}
	for (i = 0; o->props != NULL && i < o->props->n; i++)
		if (conf_set(conf, o->props->v[i].key, o->props->v[i].value,
		    o->props->v[i].origin) < 0)
			goto bad;
	if ((k->rk = rd_kafka_new(o->role == MLOG_KAFKA_PRODUCER ?
	    RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER, conf, errstr,
	    sizeof(errstr))) == NULL) {
		scrub(errstr, o->props);
		fail(EINVAL, "%s", errstr);
		goto bad;
	}
	conf = NULL;
	if ((k->rkt = rd_kafka_topic_new(k->rk, k->topic, NULL)) == NULL) {
		fail(EINVAL, "%s", rd_kafka_err2str(rd_kafka_last_error()));
		goto bad;
	}
	if (load_partitions(k) < 0)
		goto bad;
	if (k->group != NULL)
		rd_kafka_poll_set_consumer(k->rk);
	free(u.brokers);
	return k;
bad:
	saved = errno;
	if (conf != NULL)
		rd_kafka_conf_destroy(conf);
	free(u.brokers);
	mlog_kafka_close(k);
	errno = saved;
	return NULL;
}

struct rd_kafka_s *
mlog_kafka_handle(const struct mlog_kafka *k)
{
	return k->rk;
}

struct rd_kafka_topic_s *
mlog_kafka_topic_handle(const struct mlog_kafka *k)
{
	return k->rkt;
}

const char *
mlog_kafka_topic(const struct mlog_kafka *k)
{
	return k->topic;
}

uint32_t
mlog_kafka_partitions(const struct mlog_kafka *k)
{
	return k->partitions;
}

int
mlog_kafka_timeout_ms(const struct mlog_kafka *k)
{
	return k->timeout_ms;
}

int
mlog_kafka_watermarks(struct mlog_kafka *k, uint32_t partition,
    int64_t *low, int64_t *high)
{
	rd_kafka_resp_err_t e;
	int64_t lo, hi;

	if ((e = rd_kafka_query_watermark_offsets(k->rk, k->topic,
	    (int32_t)partition, &lo, &hi, k->timeout_ms)) != 0)
		return fail_rd(k, e);
	*low = lo;
	*high = hi;
	return 0;
}

/*
 * Read partition from offset on until a record with a timestamp of at least
 * ms (milliseconds), up to end; *off is its offset, or end.  The simple
 * consumer, started and stopped here.
 */
static int
scan_time(struct mlog_kafka *k, uint32_t partition, int64_t from,
    int64_t end, int64_t ms, int64_t *off)
{
	rd_kafka_message_t *m;
	rd_kafka_resp_err_t e = 0;
	int32_t p = (int32_t)partition;
	int64_t ts;

	*off = end;
	if (rd_kafka_consume_start(k->rkt, p, from) < 0)
		return fail_rd(k, rd_kafka_last_error());
	while (from < end) {
		if ((m = rd_kafka_consume(k->rkt, p, k->timeout_ms)) == NULL) {
			e = RD_KAFKA_RESP_ERR__TIMED_OUT;
			break;
		}
		if (m->err != 0 && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			e = m->err;
			rd_kafka_message_destroy(m);
			break;
		}
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF &&
		    m->offset >= end) {
			rd_kafka_message_destroy(m);
			break;
		}
		if (m->err == 0) {
			from = m->offset + 1;
			ts = rd_kafka_message_timestamp(m, NULL);
			if (ts >= ms) {
				*off = m->offset;
				rd_kafka_message_destroy(m);
				break;
			}
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consume_stop(k->rkt, p);
	return e != 0 ? fail_rd(k, e) : 0;
}

int
mlog_kafka_offset_for_time(struct mlog_kafka *k, uint32_t partition,
    int64_t ts, int64_t *offset)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t e;
	int64_t lo = 0, hi = 0, ms, off, last;

	/* the first record at or after ts: Kafka's times are milliseconds */
	ms = ts <= 0 ? 0 : ts / 1000 + (ts % 1000 != 0);
	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, k->topic,
	    (int32_t)partition)->offset = ms;
	e = rd_kafka_offsets_for_times(k->rk, l, k->timeout_ms);
	if (e == 0)
		e = l->elems[0].err;
	off = l->elems[0].offset;
	rd_kafka_topic_partition_list_destroy(l);
	if (e != 0)
		return fail_rd(k, e);
	if (off >= 0) {
		*offset = off;
		return 0;
	}
	/*
	 * No record that late, says the broker.  One without a time index
	 * (librdkafka's mock cluster) says so of every time: believe it
	 * when the last record is older, else look for the record.
	 */
	if (mlog_kafka_watermarks(k, partition, &lo, &hi) < 0)
		return -1;
	if (lo < hi) {
		if (scan_time(k, partition, hi - 1, hi, ms, &last) < 0 ||
		    (last < hi && scan_time(k, partition, lo, hi, ms,
		    &hi) < 0))
			return -1;
	}
	*offset = hi;
	return 0;
}

int
mlog_kafka_probe(struct mlog_kafka *k)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_resp_err_t e;

	if ((e = rd_kafka_metadata(k->rk, 0, k->rkt, &md,
	    k->timeout_ms)) != 0)
		return fail_rd(k, e);
	rd_kafka_metadata_destroy(md);
	return 0;
}

int
mlog_kafka_broker_down(struct mlog_kafka *k)
{
	int d = k->down;

	k->down = 0;
	return d;
}

void
mlog_kafka_record(const struct rd_kafka_message_s *m, struct mlog_record *r)
{
	rd_kafka_timestamp_type_t type;
	int64_t ms = rd_kafka_message_timestamp(m, &type);

	r->offset = (uint64_t)m->offset;
	r->partition = (uint32_t)m->partition;
	r->timestamp = ms < 0 ? 0 : ms * 1000;
	r->has_key = m->key != NULL;
	r->key = m->key;
	r->keylen = m->key_len;
	r->null_value = m->payload == NULL;
	r->value = m->payload != NULL ? m->payload : (const void *)"";
	r->valuelen = m->len;
}

int
mlog_kafka_subscribe(struct mlog_kafka *k)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t e;

	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, k->topic, RD_KAFKA_PARTITION_UA);
	e = rd_kafka_subscribe(k->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	return e != 0 ? fail_rd(k, e) : 0;
}

/*
 * What the tools keep in the metadata of a commit: "mstreams t=US", the
 * time of the commit, and " pending=N" for a position mlog-tail -m pending
 * left for mlog-offset commit.  Other clients' metadata is not ours.
 */
#define META_TAG	"mstreams "

static void
meta_parse(const void *meta, size_t len, struct mlog_kafka_pos *p)
{
	char buf[128], *tok, *next, *end;
	long long v;

	p->committed_at = 0;
	p->pending = -1;
	if (meta == NULL || len >= sizeof(buf) || len < strlen(META_TAG) ||
	    memcmp(meta, META_TAG, strlen(META_TAG)) != 0)
		return;
	memcpy(buf, meta, len);
	buf[len] = '\0';
	for (tok = buf + strlen(META_TAG); tok != NULL; tok = next) {
		if ((next = strchr(tok, ' ')) != NULL)
			*next++ = '\0';
		errno = 0;
		if (strncmp(tok, "t=", 2) == 0) {
			v = strtoll(tok + 2, &end, 10);
			if (errno == 0 && *end == '\0' && v > 0)
				p->committed_at = v;
		} else if (strncmp(tok, "pending=", 8) == 0) {
			v = strtoll(tok + 8, &end, 10);
			if (errno == 0 && *end == '\0' && v >= 0)
				p->pending = v;
		}
	}
}

int
mlog_kafka_committed(struct mlog_kafka *k, struct mlog_kafka_pos *pos)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_topic_partition_t *t;
	rd_kafka_resp_err_t e;
	uint32_t i;

	l = rd_kafka_topic_partition_list_new((int)k->partitions);
	for (i = 0; i < k->partitions; i++)
		rd_kafka_topic_partition_list_add(l, k->topic, (int32_t)i);
	e = rd_kafka_committed(k->rk, l, k->timeout_ms);
	for (i = 0; e == 0 && i < k->partitions; i++) {
		t = &l->elems[i];
		if ((e = t->err) != 0)
			break;
		pos[i].offset = t->offset >= 0 ? t->offset : -1;
		meta_parse(t->metadata, t->metadata_size, &pos[i]);
	}
	rd_kafka_topic_partition_list_destroy(l);
	return e != 0 ? fail_rd(k, e) : 0;
}

int
mlog_kafka_commit(struct mlog_kafka *k, const struct mlog_kafka_pos *pos,
    const uint8_t *which)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_topic_partition_t *t;
	rd_kafka_resp_err_t e;
	char meta[96];
	uint32_t i;
	int n;

	l = rd_kafka_topic_partition_list_new((int)k->partitions);
	for (i = 0; i < k->partitions; i++) {
		if (!which[i] || pos[i].offset < 0)
			continue;
		t = rd_kafka_topic_partition_list_add(l, k->topic, (int32_t)i);
		t->offset = pos[i].offset;
		n = pos[i].pending >= 0 ?
		    snprintf(meta, sizeof(meta), META_TAG "t=%" PRId64
		    " pending=%" PRId64, mlog_now_us(), pos[i].pending) :
		    snprintf(meta, sizeof(meta), META_TAG "t=%" PRId64,
		    mlog_now_us());
		if ((t->metadata = strdup(meta)) == NULL) {
			rd_kafka_topic_partition_list_destroy(l);
			return fail(ENOMEM, "%s", strerror(ENOMEM));
		}
		t->metadata_size = (size_t)n;
	}
	e = l->cnt == 0 ? 0 : rd_kafka_commit(k->rk, l, 0);
	for (i = 0; e == 0 && i < (uint32_t)l->cnt; i++)
		e = l->elems[i].err;
	rd_kafka_topic_partition_list_destroy(l);
	switch (e) {
	case 0:
		return 0;
	case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
	case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
	case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
	case RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST:
		/* the broker takes commits only from the group's members,
		 * or from anyone while it has none */
		return fail(EBUSY, "the broker refused the commit: %s",
		    rd_kafka_err2str(e));
	default:
		return fail_rd(k, e);
	}
}

int
mlog_kafka_join(struct mlog_kafka *k, const uint8_t **held)
{
	rd_kafka_message_t *m;
	int64_t deadline;

	if (k->held == NULL && (k->held = calloc(k->partitions, 1)) == NULL)
		return fail(ENOMEM, "%s", strerror(ENOMEM));
	if (mlog_kafka_subscribe(k) < 0)
		return -1;
	deadline = mlog_now_us() + (int64_t)k->timeout_ms * 1000;
	while (!k->joined && mlog_now_us() < deadline)
		if ((m = rd_kafka_consumer_poll(k->rk, 100)) != NULL)
			rd_kafka_message_destroy(m);
	if (!k->joined)
		return fail(ETIMEDOUT, "joining group %s: no partitions "
		    "were assigned within the timeout (%d ms)", k->group,
		    k->timeout_ms);
	*held = k->held;
	return 0;
}

void
mlog_kafka_close(struct mlog_kafka *k)
{
	if (k == NULL)
		return;
	if (k->group != NULL && k->rk != NULL)
		rd_kafka_consumer_close(k->rk);
	if (k->rkt != NULL)
		rd_kafka_topic_destroy(k->rkt);
	if (k->rk != NULL)
		rd_kafka_destroy(k->rk);
	free(k->url);
	free(k->topic);
	free(k->group);
	free(k->held);
	free(k);
}

/*
 * librdkafka, loaded when a kafka:// log is first used: the tools do not
 * link it, so that a run on a local log does not pay for loading it and
 * its dependencies (TLS, SASL, compression), nor need it installed.
 * mlog_rdk_load() opens librdkafka.so.1 and fills mlog_rdk with the
 * functions the tools call; the macros below send each call to its
 * pointer, so that code written against <librdkafka/rdkafka.h> (kept for
 * its types, enums and the RD_KAFKA_V_* macros) stays as it is.  Include
 * this header instead of <librdkafka/rdkafka.h>.  Only a handle from
 * mlog_kafka_open(), which loads the library, leads to these calls.
 */
#ifndef MLOG_RDK_H
#define MLOG_RDK_H

#include <librdkafka/rdkafka.h>

/* X(return type, name without "rd_kafka_", parameters): the prototypes of
 * <librdkafka/rdkafka.h>, which rdk.c checks them against. */
#define MLOG_RDK_FUNCS(X)						\
	X(rd_kafka_resp_err_t, assign, (rd_kafka_t *,			\
	    const rd_kafka_topic_partition_list_t *))			\
	X(rd_kafka_resp_err_t, commit, (rd_kafka_t *,			\
	    const rd_kafka_topic_partition_list_t *, int))		\
	X(rd_kafka_resp_err_t, committed, (rd_kafka_t *,		\
	    rd_kafka_topic_partition_list_t *, int))			\
	X(void, conf_destroy, (rd_kafka_conf_t *))			\
	X(rd_kafka_conf_t *, conf_new, (void))				\
	X(rd_kafka_conf_res_t, conf_set, (rd_kafka_conf_t *, const char *, \
	    const char *, char *, size_t))				\
	X(void, conf_set_dr_msg_cb, (rd_kafka_conf_t *,			\
	    void (*)(rd_kafka_t *, const rd_kafka_message_t *, void *)))	\
	X(void, conf_set_error_cb, (rd_kafka_conf_t *,			\
	    void (*)(rd_kafka_t *, int, const char *, void *)))		\
	X(void, conf_set_log_cb, (rd_kafka_conf_t *,			\
	    void (*)(const rd_kafka_t *, int, const char *, const char *))) \
	X(void, conf_set_opaque, (rd_kafka_conf_t *, void *))		\
	X(void, conf_set_rebalance_cb, (rd_kafka_conf_t *,		\
	    void (*)(rd_kafka_t *, rd_kafka_resp_err_t,			\
	    rd_kafka_topic_partition_list_t *, void *)))		\
	X(rd_kafka_message_t *, consume, (rd_kafka_topic_t *, int32_t, int)) \
	X(ssize_t, consume_batch_queue, (rd_kafka_queue_t *, int,	\
	    rd_kafka_message_t **, size_t))				\
	X(int, consume_start, (rd_kafka_topic_t *, int32_t, int64_t))	\
	X(int, consume_start_queue, (rd_kafka_topic_t *, int32_t, int64_t, \
	    rd_kafka_queue_t *))					\
	X(int, consume_stop, (rd_kafka_topic_t *, int32_t))		\
	X(rd_kafka_resp_err_t, consumer_close, (rd_kafka_t *))		\
	X(rd_kafka_message_t *, consumer_poll, (rd_kafka_t *, int))	\
	X(void, destroy, (rd_kafka_t *))				\
	X(const char *, err2str, (rd_kafka_resp_err_t))			\
	X(void, error_destroy, (rd_kafka_error_t *))			\
	X(const char *, error_string, (const rd_kafka_error_t *))	\
	X(rd_kafka_resp_err_t, flush, (rd_kafka_t *, int))		\
	X(rd_kafka_error_t *, incremental_assign, (rd_kafka_t *,	\
	    const rd_kafka_topic_partition_list_t *))			\
	X(rd_kafka_error_t *, incremental_unassign, (rd_kafka_t *,	\
	    const rd_kafka_topic_partition_list_t *))			\
	X(rd_kafka_resp_err_t, last_error, (void))			\
	X(void, message_destroy, (rd_kafka_message_t *))		\
	X(const char *, message_errstr, (const rd_kafka_message_t *))	\
	X(int64_t, message_timestamp, (const rd_kafka_message_t *,	\
	    rd_kafka_timestamp_type_t *))				\
	X(rd_kafka_resp_err_t, metadata, (rd_kafka_t *, int,		\
	    rd_kafka_topic_t *, const struct rd_kafka_metadata **, int))	\
	X(void, metadata_destroy, (const struct rd_kafka_metadata *))	\
	X(rd_kafka_t *, new, (rd_kafka_type_t, rd_kafka_conf_t *, char *, \
	    size_t))							\
	X(rd_kafka_resp_err_t, offsets_for_times, (rd_kafka_t *,	\
	    rd_kafka_topic_partition_list_t *, int))			\
	X(int, poll, (rd_kafka_t *, int))				\
	X(rd_kafka_resp_err_t, poll_set_consumer, (rd_kafka_t *))	\
	X(rd_kafka_resp_err_t, producev, (rd_kafka_t *, ...))		\
	X(rd_kafka_resp_err_t, query_watermark_offsets, (rd_kafka_t *,	\
	    const char *, int32_t, int64_t *, int64_t *, int))		\
	X(void, queue_destroy, (rd_kafka_queue_t *))			\
	X(void, queue_forward, (rd_kafka_queue_t *, rd_kafka_queue_t *)) \
	X(rd_kafka_queue_t *, queue_get_consumer, (rd_kafka_t *))	\
	X(rd_kafka_queue_t *, queue_get_main, (rd_kafka_t *))		\
	X(rd_kafka_queue_t *, queue_get_partition, (rd_kafka_t *,	\
	    const char *, int32_t))					\
	X(void, queue_io_event_enable, (rd_kafka_queue_t *, int,	\
	    const void *, size_t))					\
	X(rd_kafka_queue_t *, queue_new, (rd_kafka_t *))		\
	X(const char *, rebalance_protocol, (rd_kafka_t *))		\
	X(rd_kafka_resp_err_t, subscribe, (rd_kafka_t *,		\
	    const rd_kafka_topic_partition_list_t *))			\
	X(void, topic_destroy, (rd_kafka_topic_t *))			\
	X(rd_kafka_topic_t *, topic_new, (rd_kafka_t *, const char *,	\
	    rd_kafka_topic_conf_t *))					\
	X(rd_kafka_topic_partition_t *, topic_partition_list_add,	\
	    (rd_kafka_topic_partition_list_t *, const char *, int32_t))	\
	X(void, topic_partition_list_destroy,				\
	    (rd_kafka_topic_partition_list_t *))			\
	X(rd_kafka_topic_partition_list_t *, topic_partition_list_new, (int))

#define MLOG_RDK_MEMBER(ret, name, args)	ret (*name) args;
struct mlog_rdk {
	MLOG_RDK_FUNCS(MLOG_RDK_MEMBER)
};
#undef MLOG_RDK_MEMBER

/* Filled by mlog_rdk_load(); all NULL before. */
extern struct mlog_rdk mlog_rdk;

/* Load librdkafka.so.1 (or what MLOG_RDKAFKA_LIB names, for the tests)
 * once and resolve every function above.  0, or -1 with errno ELIBACC
 * (ENOSYS where there is none) and the loader's reason in why, with a
 * hint; a failed load is tried again at the next call. */
int		mlog_rdk_load(char *why, size_t len);

/* Function-like, so that struct rd_kafka_metadata and &rd_kafka_poll
 * keep naming librdkafka's declarations. */
#define rd_kafka_assign(...)		(*mlog_rdk.assign)(__VA_ARGS__)
#define rd_kafka_commit(...)		(*mlog_rdk.commit)(__VA_ARGS__)
#define rd_kafka_committed(...)		(*mlog_rdk.committed)(__VA_ARGS__)
#define rd_kafka_conf_destroy(...)	(*mlog_rdk.conf_destroy)(__VA_ARGS__)
#define rd_kafka_conf_new(...)		(*mlog_rdk.conf_new)(__VA_ARGS__)
#define rd_kafka_conf_set(...)		(*mlog_rdk.conf_set)(__VA_ARGS__)
#define rd_kafka_conf_set_dr_msg_cb(...) \
	(*mlog_rdk.conf_set_dr_msg_cb)(__VA_ARGS__)
#define rd_kafka_conf_set_error_cb(...)	(*mlog_rdk.conf_set_error_cb)(__VA_ARGS__)
#define rd_kafka_conf_set_log_cb(...)	(*mlog_rdk.conf_set_log_cb)(__VA_ARGS__)
#define rd_kafka_conf_set_opaque(...)	(*mlog_rdk.conf_set_opaque)(__VA_ARGS__)
#define rd_kafka_conf_set_rebalance_cb(...) \
	(*mlog_rdk.conf_set_rebalance_cb)(__VA_ARGS__)
#define rd_kafka_consume(...)		(*mlog_rdk.consume)(__VA_ARGS__)
#define rd_kafka_consume_batch_queue(...) \
	(*mlog_rdk.consume_batch_queue)(__VA_ARGS__)
#define rd_kafka_consume_start(...)	(*mlog_rdk.consume_start)(__VA_ARGS__)
#define rd_kafka_consume_start_queue(...) \
	(*mlog_rdk.consume_start_queue)(__VA_ARGS__)
#define rd_kafka_consume_stop(...)	(*mlog_rdk.consume_stop)(__VA_ARGS__)
#define rd_kafka_consumer_close(...)	(*mlog_rdk.consumer_close)(__VA_ARGS__)
#define rd_kafka_consumer_poll(...)	(*mlog_rdk.consumer_poll)(__VA_ARGS__)
#define rd_kafka_destroy(...)		(*mlog_rdk.destroy)(__VA_ARGS__)
#define rd_kafka_err2str(...)		(*mlog_rdk.err2str)(__VA_ARGS__)
#define rd_kafka_error_destroy(...)	(*mlog_rdk.error_destroy)(__VA_ARGS__)
#define rd_kafka_error_string(...)	(*mlog_rdk.error_string)(__VA_ARGS__)
#define rd_kafka_flush(...)		(*mlog_rdk.flush)(__VA_ARGS__)
#define rd_kafka_incremental_assign(...) \
	(*mlog_rdk.incremental_assign)(__VA_ARGS__)
#define rd_kafka_incremental_unassign(...) \
	(*mlog_rdk.incremental_unassign)(__VA_ARGS__)
#define rd_kafka_last_error(...)	(*mlog_rdk.last_error)(__VA_ARGS__)
#define rd_kafka_message_destroy(...)	(*mlog_rdk.message_destroy)(__VA_ARGS__)
#define rd_kafka_message_errstr(...)	(*mlog_rdk.message_errstr)(__VA_ARGS__)
#define rd_kafka_message_timestamp(...) \
	(*mlog_rdk.message_timestamp)(__VA_ARGS__)
#define rd_kafka_metadata(...)		(*mlog_rdk.metadata)(__VA_ARGS__)
#define rd_kafka_metadata_destroy(...)	(*mlog_rdk.metadata_destroy)(__VA_ARGS__)
#define rd_kafka_new(...)		(*mlog_rdk.new)(__VA_ARGS__)
#define rd_kafka_offsets_for_times(...)	(*mlog_rdk.offsets_for_times)(__VA_ARGS__)
#define rd_kafka_poll(...)		(*mlog_rdk.poll)(__VA_ARGS__)
#define rd_kafka_poll_set_consumer(...)	(*mlog_rdk.poll_set_consumer)(__VA_ARGS__)
#define rd_kafka_producev(...)		(*mlog_rdk.producev)(__VA_ARGS__)
#define rd_kafka_query_watermark_offsets(...) \
	(*mlog_rdk.query_watermark_offsets)(__VA_ARGS__)
#define rd_kafka_queue_destroy(...)	(*mlog_rdk.queue_destroy)(__VA_ARGS__)
#define rd_kafka_queue_forward(...)	(*mlog_rdk.queue_forward)(__VA_ARGS__)
#define rd_kafka_queue_get_consumer(...) \
	(*mlog_rdk.queue_get_consumer)(__VA_ARGS__)
#define rd_kafka_queue_get_main(...)	(*mlog_rdk.queue_get_main)(__VA_ARGS__)
#define rd_kafka_queue_get_partition(...) \
	(*mlog_rdk.queue_get_partition)(__VA_ARGS__)
#define rd_kafka_queue_io_event_enable(...) \
	(*mlog_rdk.queue_io_event_enable)(__VA_ARGS__)
#define rd_kafka_queue_new(...)		(*mlog_rdk.queue_new)(__VA_ARGS__)
#define rd_kafka_rebalance_protocol(...) \
	(*mlog_rdk.rebalance_protocol)(__VA_ARGS__)
#define rd_kafka_subscribe(...)		(*mlog_rdk.subscribe)(__VA_ARGS__)
#define rd_kafka_topic_destroy(...)	(*mlog_rdk.topic_destroy)(__VA_ARGS__)
#define rd_kafka_topic_new(...)		(*mlog_rdk.topic_new)(__VA_ARGS__)
#define rd_kafka_topic_partition_list_add(...) \
	(*mlog_rdk.topic_partition_list_add)(__VA_ARGS__)
#define rd_kafka_topic_partition_list_destroy(...) \
	(*mlog_rdk.topic_partition_list_destroy)(__VA_ARGS__)
#define rd_kafka_topic_partition_list_new(...) \
	(*mlog_rdk.topic_partition_list_new)(__VA_ARGS__)

#endif

/*
 * kafka-mock: librdkafka's built-in mock cluster for the kafka:// tests.
 * Starts a cluster of -b brokers (default 1) on loopback, creates the
 * topics given with -t TOPIC:PARTITIONS, prints the bootstrap address on
 * one line and runs until standard input reaches end of file or SIGTERM or
 * SIGINT arrives.  -u TOPIC makes the cluster answer requests for TOPIC
 * with "unknown topic", as a cluster that does not create topics on
 * demand does (by default the mock creates any topic asked for, with 4
 * partitions).
 *
 * usage: kafka-mock [-b brokers] [-t topic:partitions]... [-u topic]...
 */
#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
add_topic(rd_kafka_mock_cluster_t *mc, char *arg)
{
	rd_kafka_resp_err_t e;
	const char *errstr;
	char *colon;
	long long n;

	if ((colon = strrchr(arg, ':')) == NULL)
		errx(2, "-t: expected TOPIC:PARTITIONS: %s", arg);
	*colon = '\0';
	n = strtonum(colon + 1, 1, 1024, &errstr);
	if (errstr != NULL)
		errx(2, "-t: partitions %s: %s", errstr, colon + 1);
	if ((e = rd_kafka_mock_topic_create(mc, arg, (int)n, 1)) != 0)
		errx(1, "%s: %s", arg, rd_kafka_err2str(e));
}

int
main(int argc, char *argv[])
{
	struct sigaction sa;
	struct pollfd pfd = { .fd = 0, .events = POLLIN };
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mc;
	const char *errstr;
	char errbuf[512], buf[256];
	long long brokers = 1;
	int c, i;

	while ((c = getopt(argc, argv, "b:t:u:")) != -1) {
		switch (c) {
		case 'b':
			brokers = strtonum(optarg, 1, 16, &errstr);
			if (errstr != NULL)
				errx(2, "-b: %s: %s", errstr, optarg);
			break;
		case 't':
		case 'u':
			break;
		default:
			fprintf(stderr, "usage: kafka-mock [-b brokers] "
			    "[-t topic:partitions]... [-u topic]...\n");
			return 2;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "log_level", "0", errbuf,
	    sizeof(errbuf)) != RD_KAFKA_CONF_OK)
		errx(1, "%s", errbuf);
	if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf,
	    sizeof(errbuf))) == NULL)
		errx(1, "%s", errbuf);
	if ((mc = rd_kafka_mock_cluster_new(rk, (int)brokers)) == NULL)
		errx(1, "cannot start the mock cluster");
	optind = 1;
	while ((c = getopt(argc, argv, "b:t:u:")) != -1)
		if (c == 't')
			add_topic(mc, optarg);
		else if (c == 'u')
			rd_kafka_mock_topic_set_error(mc, optarg,
			    RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");

	while (!stop) {
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		i = (int)read(0, buf, sizeof(buf));
		if (i == 0 || (i < 0 && errno != EINTR && errno != EAGAIN))
			break;
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}

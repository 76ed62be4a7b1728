#!/usr/bin/env bats
# kafka://: interoperability with kcat and what a user sees when something
# is wrong.  Runs against librdkafka's mock cluster (kafka_helper.bash).

load test_helper
load kafka_helper

@test "kafka-mock: kcat reads back what kcat produced to a created topic" {
	printf 'a:1\nb:2\n' | kcat -P -b "$KAFKA_ADDR" -t "$(topic 3)" -K: \
		-X partitioner=murmur2_random
	run timeout 20 kcat -C -b "$KAFKA_ADDR" -t "$(topic 3)" -e -q \
		-f '%p %k %s\n'
	assert_success
	assert_output $'1 a 1\n2 b 2'
}

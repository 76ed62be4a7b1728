#!/usr/bin/env bats
# kafka://: interoperability with kcat and what a user sees when something
# is wrong.  Runs against librdkafka's mock cluster (kafka_helper.bash).

load test_helper
load kafka_helper

@test "kafka-mock: kcat reads back what kcat produced to a created topic" {
	printf 'a:1\nb:2\n' | kcat -P -b "$KAFKA_ADDR" -t "$(topic 3)" -K: \
		-X partitioner=murmur2_random
	timeout 20 kcat -C -b "$KAFKA_ADDR" -t "$(topic 3)" -e -q \
		-f '%p %k %s\n' >out
	# kcat prints the partitions in the order their fetches come back
	run sort out
	assert_output $'1 a 1\n2 b 2'
}

@test "kafka: kcat reads what mlog-append produced: same keys, values and partitions" {
	local i
	for ((i = 0; i < 30; i++)); do
		echo "key$i:value $i"
	done >in
	mlog-append -K : -O "$(kurl 3)" <in | paste -d' ' - in | cut -d' ' -f1,3- |
		sed 's/:/ /' | sort >want
	run timeout 20 kcat -C -b "$KAFKA_ADDR" -t "$(topic 3)" -e -q -f '%p %k %s\n'
	assert_success
	sort <<<"$output" >got
	run diff want got
	assert_success
	assert_equal "$(wc -l <got)" 30
}

@test "kafka: mlog-tail reads what kcat produced, keys and partitions included" {
	printf 'a:1\nb:2\nfoobar:3\n' |
		kcat -P -b "$KAFKA_ADDR" -t "$(topic 3)" -K : -X partitioner=murmur2_random
	run mlog-tail -F '%p %k %s\n' "$(kurl 3)"
	assert_success
	run sort <<<"$output"
	assert_output $'0 foobar 3\n1 a 1\n2 b 2'
}

@test "kafka: kcat sees the timestamps of -J envelopes, in milliseconds" {
	echo '{"timestamp":1700000000123456,"key":"k","value":"v"}' |
		mlog-append -J "$(kurl 1)"
	run timeout 20 kcat -C -b "$KAFKA_ADDR" -t "$(topic 1)" -e -q -f '%T %k %s\n'
	assert_output '1700000000123 k v'
	run mlog-tail -F '%T\n' -J "$(kurl 1)"
	assert_output '{"offset":0,"partition":0,"timestamp":1700000000123000,"key":"k","value":"v"}'
}

@test "kafka: a malformed URL is a usage error saying what is wrong" {
	run mlog-tail kafka://host/t
	assert_failure 2
	assert_output 'mlog-tail: kafka://host/t: bad broker address "host" (expected host:port)'
	run mlog-append kafka://h:1 </dev/null
	assert_failure 2
	assert_output 'mlog-append: kafka://h:1: expected kafka://host:port[,host:port...]/topic'
	run mlog-stat kafka://h:1/
	assert_failure 2
	assert_output 'mlog-stat: kafka://h:1/: no topic name'
	run mlog-tail kafka://h:1,h:0/t
	assert_failure 2
	assert_output 'mlog-tail: kafka://h:1,h:0/t: bad broker address "h:0" (expected host:port)'
	run mlog-tail 'kafka://h:1/a%b'
	assert_failure 2
	assert_output 'mlog-tail: kafka://h:1/a%b: a topic name has only the characters a-z A-Z 0-9 . _ -'
	run mlog-tail kafka://h:1/..
	assert_failure 2
	assert_output 'mlog-tail: kafka://h:1/..: topic name cannot be "." or ".."'
	run mlog-tail "kafka://h:1/$(printf 'x%.0s' {1..250})"
	assert_failure 2
	assert_output --partial ': topic name longer than 249 characters'
}

@test "kafka: the mock cluster creates an unknown topic on demand, as auto.create.topics.enable does" {
	run mlog-stat "kafka://$KAFKA_ADDR/$(topic 1)-new"
	assert_success
	assert_line 'partitions  4'
	assert_line 'records     0'
	run mlog-tail "kafka://$KAFKA_ADDR/$(topic 1)-new2"
	assert_success
	assert_output ''
}

@test "kafka: a topic the cluster does not have is an error" {
	local addr
	addr=$(kafka_start k2 -t other:1 -u gone)
	run mlog-tail "kafka://$addr/gone"
	assert_failure 1
	assert_output "mlog-tail: kafka://$addr/gone: topic gone does not exist"
	run mlog-stat "kafka://$addr/gone"
	assert_failure 1
	assert_output "mlog-stat: kafka://$addr/gone: topic gone does not exist"
	run mlog-append "kafka://$addr/gone" <<<x
	assert_failure 1
	assert_output "mlog-append: kafka://$addr/gone: topic gone does not exist"
	kafka_stop k2
}

@test "kafka: an unknown or bad -X property is an error naming it" {
	run mlog-tail -X no.such=1 "$(kurl 1)"
	assert_failure 2
	assert_output "mlog-tail: $(kurl 1): -X: no.such: unknown property"
	run mlog-append -X enable.idempotence=maybe "$(kurl 1)" </dev/null
	assert_failure 2
	assert_output "mlog-append: $(kurl 1): -X: enable.idempotence: Expected bool value for \"enable.idempotence\": true or false"
	run mlog-stat -X acks "$(kurl 1)"
	assert_failure 2
	assert_line -n 0 'mlog-stat: -X: expected key=value: acks'
}

@test "kafka: the value of a secret property is never echoed" {
	run mlog-tail -X sasl.password=hunter2 -X my.secret=hunter2 "$(kurl 1)"
	assert_failure 2
	assert_output "mlog-tail: $(kurl 1): -X: my.secret: unknown property"
	printf 'sasl.jaas.config hunter2\n' >bad.conf
	run mlog-stat --kafka-config bad.conf "$(kurl 1)"
	assert_failure 2
	assert_output 'mlog-stat: --kafka-config: bad.conf:1: expected key=value'
	refute_output --partial hunter2
	# librdkafka's own messages quote values: a secret's is blanked out
	run mlog-stat -X security.protocol=sasl_plaintext -X sasl.mechanism=HUNTER2 \
		-X sasl.password=HUNTER2 "$(kurl 1)"
	assert_failure 2
	assert_output "mlog-stat: $(kurl 1): Unsupported SASL mechanism: *******"
	run mlog-tail -X =hunter2 "$(kurl 1)"
	assert_failure 2
	assert_line -n 0 'mlog-tail: -X: expected key=value: '
}

@test "kafka: --kafka-config reads key=value lines, comments and blank lines; errors name the line" {
	printf '# the client\n\n  client.id = mstreams-test\nacks=all\n' >good.conf
	echo x | mlog-append --kafka-config good.conf "$(kurl 1)"
	run mlog-tail --kafka-config good.conf "$(kurl 1)"
	assert_success
	assert_output 'x'
	printf 'client.id=a\nno.such.thing=1\n' >bad.conf
	run mlog-tail --kafka-config bad.conf "$(kurl 1)"
	assert_failure 2
	assert_output "mlog-tail: $(kurl 1): bad.conf:2: no.such.thing: unknown property"
	run mlog-tail --kafka-config missing.conf "$(kurl 1)"
	assert_failure 1
	assert_output 'mlog-tail: --kafka-config: missing.conf: No such file or directory'
}

@test "kafka: an unreachable broker is an error within --timeout" {
	run timeout 10 mlog-tail --timeout 1s kafka://127.0.0.1:1/t
	assert_failure 1
	assert_output 'mlog-tail: kafka://127.0.0.1:1/t: no broker answered within the timeout (1000 ms); last error: 127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused'
	run timeout 10 mlog-append --timeout 500ms kafka://127.0.0.1:1/t <<<x
	assert_failure 1
	assert_output 'mlog-append: kafka://127.0.0.1:1/t: no broker answered within the timeout (500 ms); last error: 127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused'
	run timeout 10 mlog-stat --timeout 1s kafka://127.0.0.1:1/t
	assert_failure 1
	assert_output 'mlog-stat: kafka://127.0.0.1:1/t: no broker answered within the timeout (1000 ms); last error: 127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused'
}

@test "kafka: mlog-tail -f exits 1 when the brokers are gone for --timeout" {
	local addr pid st=0
	addr=$(kafka_start k2 -t t:1)
	echo one | mlog-append "kafka://$addr/t"
	mlog-tail -f --timeout 1s "kafka://$addr/t" >out 2>err 3>&- &
	pid=$!
	wait_for lines_in out 1
	kafka_stop k2
	timeout 10 tail --pid="$pid" -f /dev/null
	wait "$pid" || st=$?
	assert_equal "$st" 1
	run cat out
	assert_output one
	# which broker connection failed last depends on timing
	run cat err
	assert_output --regexp "^mlog-tail: kafka://$addr/t: lost the brokers: no broker answered within the timeout \\(1000 ms\\); last error: 127\\.0\\.0\\.1:[0-9]+/(bootstrap|1): (Connect to ipv4#127\\.0\\.0\\.1:[0-9]+ failed: Connection refused|Disconnected.*)\$"
}

@test "kafka: records not delivered within --timeout fail naming their input lines" {
	local addr pid st=0
	addr=$(kafka_start k2 -t t:1)
	mkfifo in
	mlog-append -O --timeout 1s "kafka://$addr/t" <in >out 2>err 3>&- &
	pid=$!
	exec 5>in
	echo one >&5
	wait_for lines_in out 1
	kafka_stop k2
	# one write (not bash's printf, which writes line by line): one batch
	env printf 'two\nthree\n' >&5
	exec 5>&-
	timeout 20 tail --pid="$pid" -f /dev/null
	wait "$pid" || st=$?
	assert_equal "$st" 1
	run cat out err
	assert_output "0 0
mlog-append: kafka://$addr/t: input lines 2-3 not appended: no delivery within the timeout
mlog-append: kafka://$addr/t: stopped after input line 3"
}

@test "kafka: a record the broker refuses fails naming its input line" {
	{
		echo small
		head -c 1100000 /dev/zero | tr '\0' a
		echo
		echo later
	} >in
	run mlog-append -m 2M -O "$(kurl 1)" <in
	assert_failure 1
	assert_output "0 0
mlog-append: $(kurl 1): input line 2 not appended: Broker: Message size too large
mlog-append: $(kurl 1): stopped after input line 2"
	run mlog-tail "$(kurl 1)"
	assert_output 'small'
}

@test "kafka: options of a file log are usage errors with kafka://" {
	run mlog-append -P 3 "$(kurl 1)" </dev/null
	assert_failure 2
	assert_line -n 0 'mlog-append: -P: only for a file log, not kafka://'
	run mlog-append --retain-size 1M "$(kurl 1)" </dev/null
	assert_failure 2
	assert_line -n 0 'mlog-append: --retain-size: only for a file log, not kafka://'
	run mlog-tail -S pos "$(kurl 1)"
	assert_failure 2
	assert_line -n 0 'mlog-tail: -S: only for a file log, not kafka://'
	run mlog-tail -n 3 "$(kurl 1)"
	assert_failure 2
	assert_line -n 0 'mlog-tail: -n: only for a file log, not kafka://'
	run mlog-stat -r "$(kurl 1)"
	assert_failure 2
	assert_line -n 0 'mlog-stat: -r: only for a file log, not kafka://'
}

@test "kafka: group options that do not apply to a Kafka group are usage errors" {
	run mlog-tail -g grp -p 0 "$(kurl 1)"
	assert_failure 2
	assert_line -n 0 'mlog-tail: -p cannot be used with -g on kafka://: the group assigns the partitions'
	run mlog-tail -m exit "$(kurl 1)"
	assert_failure 2
	assert_line -n 0 'mlog-tail: -m: only with -g'
	run mlog-tail -M "$(kurl 1)"
	assert_failure 2
	assert_line -n 0 'mlog-tail: -M: only with -g'
	run mlog-offset -g grp "$(kurl 1)" list
	assert_failure 2
	assert_line -n 0 "mlog-offset: list: not available for a kafka:// log (the brokers' own tools list and delete groups)"
	run mlog-offset -g grp "$(kurl 1)" delete
	assert_failure 2
	assert_line -n 0 "mlog-offset: delete: not available for a kafka:// log (the brokers' own tools list and delete groups)"
	run mlog-offset -g grp -b -x -f "$(kurl 1)" reset
	assert_failure 2
	assert_line -n 0 "mlog-offset: --force: not for a kafka:// log: the group's members hold their partitions"
	run mlog-offset "$(kurl 1)"
	assert_failure 2
	assert_line -n 0 'mlog-offset: this command needs a group (-g)'
	run mlog-offset -g grp -p 1 "$(kurl 1)"
	assert_failure 2
	assert_line -n 0 'mlog-offset: --partition: 1 is out of range (the log has 1 partition)'
}

# member LOG OUT ERR: a group member following LOG in the background, its
# records in OUT, its member lines in ERR; its pid in $member.
member() {
	mlog-tail $(kx "$1") -g "$(kgroup)" -f -M -F '%p/%o\n' "$1" >"$2" 2>"$3" 3>&- &
	member=$!
}

# holds ERR: the partitions the member writing ERR holds now.
holds() {
	sed -n 's/.*holds partitions: //p' "$1" 2>/dev/null | tail -n 1
}

# holding ERR LIST: the member writing ERR holds LIST now.
holding() {
	[ "$(holds "$1")" = "$2" ]
}

# read_all N: a.out and b.out hold N records between them.
read_all() {
	[ "$(sort -u a.out b.out 2>/dev/null | wc -l)" -eq "$1" ]
}

# split: both members hold partitions, together all three, each once.
split() {
	local a b
	a=$(holds a.err 2>/dev/null)
	b=$(holds b.err 2>/dev/null)
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" != none ] && [ "$b" != none ] &&
		[ "$(echo $a $b | tr ' ' '\n' | sort | tr '\n' ' ')" = "0 1 2 " ]
}

@test "kafka: -g members share the partitions; one killed, the other takes its partitions and nothing is lost" {
	local u a b i
	u=$(kurl 3)
	seq 1 30 | sed 's/^/k/; s/$/:v/' | mlog-append -K : "$u"
	member "$u" a.out a.err
	a=$member
	WAIT_SECONDS=30 wait_for holding a.err "0 1 2"
	# a second member: the group splits the partitions between them
	member "$u" b.out b.err
	b=$member
	WAIT_SECONDS=30 wait_for split || { cat a.err b.err; false; }
	seq 31 60 | sed 's/^/k/; s/$/:v/' | mlog-append -K : "$u"
	WAIT_SECONDS=30 wait_for read_all 60
	# the second batch went to both members
	[ -s b.out ]
	[ "$(wc -l <a.out)" -gt 30 ]
	# one member dies; the other takes over its partitions at the group's
	# commits after the session timeout (3s here)
	kill -9 "$b"
	wait "$b" || true
	seq 61 90 | sed 's/^/k/; s/$/:v/' | mlog-append -K : "$u"
	WAIT_SECONDS=30 wait_for holding a.err "0 1 2"
	WAIT_SECONDS=30 wait_for read_all 90
	kill "$a"
	wait "$a"
	# every record at least once (the mock refuses the commits members
	# make as a rebalance begins, where a broker takes them, so records
	# since the last commit may come twice); the group is at the end
	for i in 0 1 2; do
		assert_equal "$(grep -c "^$i/" <(sort -u a.out b.out))" \
			"$(mlog-tail -p "$i" -F '%o\n' "$u" | wc -l)"
	done
	run mlog-offset $(kx "$u") -g "$(kgroup)" -J "$u"
	assert_output --partial '],"lag":0}'
}

@test "kafka: mlog-offset refuses to move partitions another member holds" {
	local u
	u=$(kurl 3)
	seq 1 9 | mlog-append -p 1 "$u"
	member "$u" a.out a.err
	WAIT_SECONDS=30 wait_for holding a.err "0 1 2" || { cat a.err; false; }
	wait_for lines_in a.out 9
	run mlog-offset $(kx "$u") -g "$(kgroup)" -b -x "$u" reset
	assert_failure 1
	assert_output --regexp "^PARTITION  CURRENT-OFFSET      NEW-OFFSET
(.*
){3}mlog-offset: $u: group $(kgroup): partition [0-2] is held by another member; stop the members first\$"
	kill "$member"
	wait "$member"
	# nothing was reset to the start: partition 1 keeps a position the
	# member committed (the mock refuses commits a rebalance interrupts,
	# so not necessarily its last one)
	run mlog-offset $(kx "$u") -g "$(kgroup)" -p 1 -J "$u"
	assert_output --regexp '"partition":1,"current":[1-9],'
}

@test "kafka: kcat's consumer in the group resumes at mlog-tail's commits" {
	local u
	u=$(kurl 1)
	seq 1 5 | mlog-append "$u"
	run mlog-tail $(kx "$u") -g "$(kgroup)" -c 3 "$u"
	assert_output $'1\n2\n3'
	run timeout 30 kcat -C -b "$KAFKA_ADDR" -G "$(kgroup)" -e -q \
		-X session.timeout.ms=3000 -X heartbeat.interval.ms=300 "$(topic 1)"
	assert_success
	assert_output $'4\n5'
}

@test "kafka: the kafka options are usage errors with a file log" {
	mlog-append L </dev/null
	run mlog-tail -X acks=all L
	assert_failure 2
	assert_line -n 0 'mlog-tail: -X: only for a kafka:// log'
	run mlog-append --timeout 1s L </dev/null
	assert_failure 2
	assert_line -n 0 'mlog-append: --timeout: only for a kafka:// log'
	run mlog-stat --kafka-config /dev/null L
	assert_failure 2
	assert_line -n 0 'mlog-stat: --kafka-config: only for a kafka:// log'
}

@test "kafka: without librdkafka a kafka:// log is an error naming the package; a file log works" {
	local t cmd lib=/nonexistent/librdkafka.so.1
	export MLOG_RDKAFKA_LIB=$lib
	for t in mlog-tail mlog-stat "mlog-offset -g G"; do
		run $t kafka://h:1/t
		assert_failure 1
		cmd=${t%% *}
		assert_output "$cmd: kafka://h:1/t: $lib: cannot open shared object file: No such file or directory (install librdkafka1)"
	done
	run mlog-append kafka://h:1/t <<<x
	assert_failure 1
	assert_output "mlog-append: kafka://h:1/t: $lib: cannot open shared object file: No such file or directory (install librdkafka1)"
	# a malformed URL is still a usage error first
	run mlog-tail kafka://h/t
	assert_failure 2
	# a library without librdkafka's functions
	MLOG_RDKAFKA_LIB=libc.so.6 run mlog-tail kafka://h:1/t
	assert_failure 1
	assert_output 'mlog-tail: kafka://h:1/t: libc.so.6: no rd_kafka_assign (librdkafka 1.6 or later is needed)'
	echo a | mlog-append L
	run mlog-tail L
	assert_success
	assert_output a
	run mlog-tail -g G L
	assert_success
	run mlog-offset -g G L
	assert_success
	run mlog-stat L
	assert_success
}

@test "kafka: --partition beyond the topic is a usage error" {
	run mlog-tail -p 3 "$(kurl 3)"
	assert_failure 2
	assert_output "mlog-tail: --partition: 3 is out of range (the log has 3 partitions)"
	run mlog-append -p 1 "$(kurl 1)" <<<x
	assert_failure 2
	assert_output "mlog-append: --partition: 1 is out of range (the log has 1 partition)"
}

@test "kafka: mlog-stat shows partitions, watermarks and counts" {
	printf '{"partition":1,"value":"a"}\n{"partition":1,"value":"b"}\n{"partition":2,"value":"c"}\n' |
		mlog-append -J "$(kurl 3)"
	run mlog-stat "$(kurl 3)"
	assert_success
	assert_output "log         $(kurl 3)
partitions  3
segments    -
records     3
size        -
first time  -
last time   -

PARTITION  SEGMENTS  FIRST  LAST  RECORDS  SIZE  FIRST-TIME  LAST-TIME
        0         -      -     -        0     -  -           -
        1         -      0     1        2     -  -           -
        2         -      0     0        1     -  -           -"
	run mlog-stat -J -p 1 "$(kurl 3)"
	assert_output "{\"log\":\"$(kurl 3)\",\"partition_count\":3,\"segments\":null,\"records\":2,\"bytes\":null,\"first_timestamp\":null,\"last_timestamp\":null,\"partitions\":[{\"partition\":1,\"segments\":null,\"first_offset\":0,\"last_offset\":1,\"end_offset\":2,\"records\":2,\"bytes\":null,\"first_timestamp\":null,\"last_timestamp\":null}],\"groups\":[]}"
}

@test "kafka: --fsync=always asks for idempotent, fully acknowledged produce" {
	printf 'a\nb\n' | mlog-append --fsync=always -O "$(kurl 1)" >out
	run cat out
	assert_output $'0 0\n0 1'
	# librdkafka refuses idempotence without acks=all: the mapping is there
	run mlog-append --fsync=always -X acks=1 "$(kurl 1)" </dev/null
	assert_failure 2
	assert_output "mlog-append: $(kurl 1): \`acks\` must be set to \`all\` when \`enable.idempotence\` is true"
	# and a user's property wins over it
	run mlog-append --fsync=always -X enable.idempotence=false -X acks=1 "$(kurl 1)" </dev/null
	assert_success
}

@test "kafka: records without a key go to one partition per batch" {
	printf 'a\nb\nc\nd\n' | mlog-append -O "$(kurl 3)" >out
	run sh -c 'cut -d" " -f1 out | uniq | wc -l'
	assert_output 1
	run mlog-tail -e "$(kurl 3)"
	assert_output $'a\nb\nc\nd'
}

@test "kafka: a bad --timeout is a usage error" {
	run mlog-tail --timeout soon "$(kurl 1)"
	assert_failure 2
	assert_line -n 0 "mlog-tail: --timeout: bad duration 'soon' (a number and a unit: 500ms, 10s, 5m, 2h, 7d)"
	run mlog-stat --timeout 0 "$(kurl 1)"
	assert_failure 2
	assert_line -n 0 'mlog-stat: --timeout: the duration must be more than 0'
}

@test "kafka: --help lists the kafka options" {
	local cmd
	for cmd in mlog-append mlog-tail mlog-stat; do
		run "$cmd" --help
		assert_success
		assert_output --partial '  -X, --property=KEY=VALUE kafka://: set a librdkafka property'
		assert_output --partial '      --kafka-config=FILE  kafka://: read librdkafka properties from FILE'
		assert_output --partial '      --timeout=DUR        kafka://: wait for brokers at most DUR (default 10s)'
	done
}

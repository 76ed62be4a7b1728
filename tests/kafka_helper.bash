# Loaded by the kafka suites after test_helper: a mock Kafka cluster
# (librdkafka's, through tests/helpers/kafka-mock) per test file, its
# bootstrap address in KAFKA_ADDR.  Every test has its own topics, already
# created: "$(topic 1)" with one partition, "$(topic 3)" with three.
# The mock creates any other topic asked for, with 4 partitions, and holds
# an empty fetch for fetch.wait.max.ms (500ms) even when records arrive
# meanwhile, so a follower sees new records up to half a second late
# (a real broker answers at once): wait on conditions, never on time.

TOPICS_PER_FILE=80

# kafka_start DIR [kafka-mock options]: start a mock cluster whose files
# (address, pid, stderr) live in DIR; prints its bootstrap address.  Its
# standard input is a FIFO it holds open itself, so it runs until
# kafka_stop; fd 3 (bats' own) is closed so that bats does not wait for it.
kafka_start() {
	local dir=$1 addr
	shift
	mkdir -p "$dir"
	rm -f "$dir/in" "$dir/addr"
	mkfifo "$dir/in"
	kafka-mock "$@" <>"$dir/in" >"$dir/addr" 2>"$dir/err" 3>&- &
	echo $! >"$dir/pid"
	if ! wait_for lines_in "$dir/addr" 1; then
		cat "$dir/err" >&2
		return 1
	fi
	read -r addr <"$dir/addr"
	echo "$addr"
}

# kafka_stop DIR: stop the cluster started in DIR and wait until it is gone.
kafka_stop() {
	local pid
	[ -f "$1/pid" ] || return 0
	pid=$(cat "$1/pid")
	kill "$pid" 2>/dev/null || true
	timeout 10 tail --pid="$pid" -f /dev/null || true
	rm -f "$1/pid"
}

setup_file() {
	local i args=()
	for ((i = 1; i <= TOPICS_PER_FILE; i++)); do
		args+=(-t "t${i}x1:1" -t "t${i}x3:3")
	done
	KAFKA_DIR=$BATS_FILE_TMPDIR/kafka
	KAFKA_ADDR=$(kafka_start "$KAFKA_DIR" "${args[@]}") || return 1
	export KAFKA_DIR KAFKA_ADDR
}

teardown_file() {
	kafka_stop "$KAFKA_DIR"
}

# topic N: this test's topic with N (1 or 3) partitions.
topic() {
	echo "t${BATS_TEST_NUMBER}x$1"
}

# kurl N: the kafka:// URL of this test's topic with N partitions.
kurl() {
	echo "kafka://$KAFKA_ADDR/$(topic "$1")"
}

# kx LOG: the -X options a group needs on the mock cluster, when LOG is
# kafka://.  The mock waits a whole session timeout (librdkafka's default:
# 45s) for the members of a rebalance, where a broker goes on once the
# known members have rejoined; with a session of 3s and heartbeats every
# 0.3s a group's rebalance takes it 2-3s.
kx() {
	case $1 in
	kafka://*) echo "-X session.timeout.ms=3000 -X heartbeat.interval.ms=300" ;;
	esac
}

# kgroup: this test's consumer group (groups live as long as the cluster).
kgroup() {
	echo "g${BATS_TEST_NUMBER}${1:-}"
}

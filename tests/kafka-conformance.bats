#!/usr/bin/env bats
# The same cases against a file log and against a kafka:// topic (on
# librdkafka's mock cluster): both must print the same bytes.  Timestamps
# come from -J envelopes in whole milliseconds, which both logs keep exactly.

load test_helper
load kafka_helper

T0=1700000000000000	# 2023-11-14T22:13:20Z, in microseconds

# both N FUNCTION: run FUNCTION LOG against a new file log of N partitions
# and against this test's Kafka topic of N partitions; its output (stdout,
# stderr and exit status) must be the same for both; it is left in $output.
both() {
	local n=$1 fn=$2
	mlog-append -P "$n" F </dev/null
	"$fn" F >file.out 2>&1
	echo "status $?" >>file.out
	"$fn" "$(kurl "$n")" >kafka.out 2>&1
	echo "status $?" >>kafka.out
	run diff -u file.out kafka.out
	assert_success
	assert_equal "$(tail -n 1 file.out)" "status 0"
	run sed '$d' file.out
}

# timed N: N envelopes, one a second from T0, over the partitions given
# (default 1), keys k0, k1, ...
timed() {
	local i parts=${2:-1}
	for ((i = 0; i < $1; i++)); do
		printf '{"partition":%d,"timestamp":%d,"key":"k%d","value":"v%d"}\n' \
			$((i % parts)) $((T0 + i * 1000000)) "$i" "$i"
	done
}

append_lines() {
	printf 'one\ntwo\n\nthree' | mlog-append "$1" &&
		mlog-tail -F '%p %o [%s] %K\n' "$1"
}

@test "conformance: lines become records with dense offsets" {
	both 1 append_lines
	assert_output $'0 0 [one] 0\n0 1 [two] 0\n0 2 [] 0\n0 3 [three] 0'
}

append_null() {
	printf 'a\nb\0c\0' | mlog-append -0 "$1" && mlog-tail -0 "$1" | od -c
}

@test "conformance: -0 frames records with NUL bytes both ways" {
	both 1 append_null
	assert_line -n 0 --partial 'a  \n   b  \0   c  \0'
}

append_keys() {
	printf 'k1:a\nk2:b\nno key\n:empty key\nk1:c:d\n' |
		mlog-append -p 0 -K : "$1" && mlog-tail -J "$1" | cut -d, -f1,2,4-
}

@test "conformance: -K splits keys; lines without the delimiter have none" {
	both 1 append_keys
	assert_output - <<'EOF2'
{"offset":0,"partition":0,"key":"k1","value":"a"}
{"offset":1,"partition":0,"key":"k2","value":"b"}
{"offset":2,"partition":0,"key":null,"value":"no key"}
{"offset":3,"partition":0,"key":"","value":"empty key"}
{"offset":4,"partition":0,"key":"k1","value":"c:d"}
EOF2
}

key_partitions() {
	local i
	for ((i = 0; i < 60; i++)); do
		echo "user$i:v$i"
	done | mlog-append -K : -O "$1" | paste - <(seq 0 59) | sort -n -k3
}

@test "conformance: keys land on the same partitions (murmur2, as Kafka's default partitioner)" {
	both 3 key_partitions
	assert_equal "${#lines[@]}" 60
	# every partition gets some of them
	assert_line --regexp '^0 '
	assert_line --regexp '^1 '
	assert_line --regexp '^2 '
}

foobar_partition() {
	echo 'foobar:v' | mlog-append -K : -O "$1"
}

@test "conformance: murmur2(\"foobar\") % 3 = 0 on both" {
	both 3 foobar_partition
	assert_output '0 0'
}

fixed_partition() {
	printf 'x\ny\n' | mlog-append -p 2 -O "$1" &&
		mlog-tail -F '%p %o %s\n' "$1"
}

@test "conformance: -p appends to one partition" {
	both 3 fixed_partition
	assert_output $'2 0\n2 1\n2 0 x\n2 1 y'
}

envelopes() {
	cat >in <<EOF2
{"partition":1,"timestamp":$T0,"key":"a","value":"first"}
{"partition":0,"timestamp":$((T0 + 1000)),"key":null,"value":"line\nbreak"}
{"partition":2,"timestamp":$((T0 + 2000)),"value":null}
{"partition":1,"timestamp":$((T0 + 3000)),"key":"","value":"caf\u00e9 \u0001"}
{"partition":0,"timestamp":$((T0 + 4000)),"key_base64":"/w==","value_base64":"AP8="}
EOF2
	mlog-append -J "$1" <in && mlog-tail -J "$1"
}

@test "conformance: -J envelopes round-trip, byte for byte" {
	both 3 envelopes
	assert_line -n 0 '{"offset":0,"partition":1,"timestamp":1700000000000000,"key":"a","value":"first"}'
	assert_line -n 2 '{"offset":0,"partition":2,"timestamp":1700000000002000,"key":null,"value":null}'
	assert_equal "${#lines[@]}" 5
}

formatted() {
	timed 6 3 | mlog-append -J "$1" &&
		mlog-tail -F '%p/%o %T %k=%s (%K,%S) %%\t|\n' "$1"
}

@test "conformance: -F prints the same bytes; partitions merge by timestamp" {
	both 3 formatted
	assert_line -n 0 $'0/0 1700000000000 k0=v0 (2,2) %\t|'
	assert_line -n 1 $'1/0 1700000001000 k1=v1 (2,2) %\t|'
	assert_line -n 5 $'2/1 1700000005000 k5=v5 (2,2) %\t|'
}

start_beginning() {
	timed 4 | mlog-append -J "$1" && mlog-tail -o beginning "$1"
}

@test "conformance: -o beginning" {
	both 1 start_beginning
	assert_output $'v0\nv1\nv2\nv3'
}

start_end() {
	timed 4 | mlog-append -J "$1" && mlog-tail -o end "$1"
}

@test "conformance: -o end prints nothing without -f" {
	both 1 start_end
	assert_output ''
}

start_offset() {
	timed 6 3 | mlog-append -J "$1" && mlog-tail -o 1 -F '%p/%o %s\n' "$1"
}

@test "conformance: -o N starts every partition at offset N" {
	both 3 start_offset
	assert_output $'0/1 v3\n1/1 v4\n2/1 v5'
}

start_before_end() {
	timed 7 3 | mlog-append -J "$1" && mlog-tail -o -2 -F '%p/%o %s\n' "$1"
}

@test "conformance: -o -N starts N records before the end of each partition" {
	both 3 start_before_end
	assert_output $'1/0 v1\n2/0 v2\n0/1 v3\n1/1 v4\n2/1 v5\n0/2 v6'
}

start_time() {
	timed 6 3 | mlog-append -J "$1" &&
		mlog-tail -o @1700000003000 "$1" &&
		mlog-tail -o @2023-11-14T22:13:24.5Z -c 1 "$1" &&
		mlog-tail -o @2030-01-01 "$1"
}

@test "conformance: -o @TIME starts at the first record at or after TIME" {
	both 3 start_time
	assert_output $'v3\nv4\nv5\nv5'
}

until_stop() {
	timed 6 | mlog-append -J "$1" &&
		mlog-tail -u 2 "$1" && mlog-tail -u @1700000003 "$1" &&
		mlog-tail -o 4 -u 5 -F '%o\n' "$1"
}

@test "conformance: -u stops before an offset or after a time" {
	both 1 until_stop
	assert_output $'v0\nv1\nv0\nv1\nv2\nv3\n4'
}

count_stop() {
	timed 9 3 | mlog-append -J "$1" && mlog-tail -c 4 "$1"
}

@test "conformance: -c stops after N records" {
	both 3 count_stop
	assert_output $'v0\nv1\nv2\nv3'
}

partition_only() {
	timed 9 3 | mlog-append -J "$1" && mlog-tail -p 1 -F '%p %s\n' "$1"
}

@test "conformance: -p reads one partition" {
	both 3 partition_only
	assert_output $'1 v1\n1 v4\n1 v7'
}

snapshot_exit() {
	timed 3 3 | mlog-append -J "$1" && timeout 20 mlog-tail -e -f "$1"
}

@test "conformance: -e stops at the end the log had at start, even with -f and empty partitions" {
	both 3 snapshot_exit
	assert_output $'v0\nv1\nv2'
}

empty_exit() {
	timeout 20 mlog-tail -e -f "$1"
}

@test "conformance: -e on an empty log ends at once" {
	both 3 empty_exit
	assert_output ''
}

follow() {
	local pid
	timed 2 | mlog-append -J "$1"
	mlog-tail -f -F '%o %s\n' "$1" >follow.out 3>&- &
	pid=$!
	wait_for lines_in follow.out 2
	echo later | mlog-append "$1"
	wait_for lines_in follow.out 3
	kill "$pid"
	wait "$pid"
	cat follow.out
}

@test "conformance: -f prints records as they are appended" {
	both 1 follow
	assert_output $'0 v0\n1 v1\n2 later'
}

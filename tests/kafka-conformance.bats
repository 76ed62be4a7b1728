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
	outputs "$@"
	run diff -u file.out kafka.out
	assert_success
	assert_equal "$(tail -n 1 file.out)" "status 0"
	run sed '$d' file.out
}

# outputs N FUNCTION: as both, leaving the outputs in file.out and
# kafka.out without comparing them.
outputs() {
	local n=$1 fn=$2 st=0
	mlog-append -P "$n" F </dev/null
	"$fn" F >file.out 2>&1 || st=$?
	echo "status $st" >>file.out
	st=0
	"$fn" "$(kurl "$n")" >kafka.out 2>&1 || st=$?
	echo "status $st" >>kafka.out
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

# Consumer groups and mlog-offset: the same commands with the same
# results.  $(kx LOG) adds what the mock cluster needs; HOLDER and
# LAST-COMMIT differ by nature (a file log names its member, a Kafka group's
# are the brokers'; the times are the commits') and are cut off.

group_resume() {
	local g
	g=$(kgroup)
	timed 9 3 | mlog-append -J "$1" &&
		mlog-tail $(kx "$1") -g "$g" -c 4 -F '%p/%o %s\n' "$1" &&
		echo -- &&
		mlog-tail $(kx "$1") -g "$g" -F '%p/%o %s\n' "$1" &&
		echo -- &&
		timed 11 3 | tail -n 2 | mlog-append -J "$1" &&
		mlog-tail $(kx "$1") -g "$g" -F '%p/%o %s\n' "$1" &&
		echo -- &&
		mlog-tail $(kx "$1") -g "$g" "$1"
}

@test "conformance: -g resumes where the group stopped, run after run" {
	both 3 group_resume
	assert_output - <<'EOF2'
0/0 v0
1/0 v1
2/0 v2
0/1 v3
--
1/1 v4
2/1 v5
0/2 v6
1/2 v7
2/2 v8
--
0/3 v9
1/3 v10
--
EOF2
}

group_show() {
	local g
	g=$(kgroup)
	timed 9 3 | mlog-append -J "$1" &&
		mlog-tail $(kx "$1") -g "$g" -c 5 "$1" >/dev/null &&
		mlog-offset $(kx "$1") -g "$g" "$1" | cut -c 1-53 &&
		mlog-offset $(kx "$1") -g "$g" -p 2 -J "$1" |
		sed 's/"holder":[^,]*,"committed_at":[0-9]*/H/' &&
		mlog-offset -g "$(kgroup other)" "$1"
}

@test "conformance: mlog-offset show gives positions, ends and lag; an unknown group is an error" {
	outputs 3 group_show
	run diff -u file.out <(sed "s|$(kurl 3)|F|; s| (nothing committed in the topic)||" kafka.out)
	assert_success
	run cat file.out
	assert_output - <<EOF2
PARTITION  CURRENT-OFFSET  LOG-END-OFFSET         LAG
0                       2               3           1
1                       2               3           1
2                       1               3           2
{"group":"$(kgroup)","partitions":[{"partition":2,"current":1,"end":3,"lag":2,H}],"lag":2}
mlog-offset: F: no group $(kgroup other)
status 1
EOF2
}

group_exit() {
	local g
	g=$(kgroup)
	timed 4 | mlog-append -J "$1" &&
		{ mlog-tail $(kx "$1") -g "$g" -m exit "$1" >&- 2>/dev/null; echo "failed: $?"; } &&
		mlog-tail $(kx "$1") -g "$g" -m exit -c 3 "$1" &&
		mlog-tail $(kx "$1") -g "$g" -m exit "$1"
}

@test "conformance: -m exit commits at a clean exit only" {
	both 1 group_exit
	assert_output $'failed: 1\nv0\nv1\nv2\nv3'
}

group_pending() {
	local g
	g=$(kgroup)
	timed 6 | mlog-append -J "$1" &&
		mlog-tail $(kx "$1") -g "$g" -m pending -c 2 "$1" &&
		mlog-tail $(kx "$1") -g "$g" -m pending -c 3 "$1" &&
		mlog-offset $(kx "$1") -g "$g" "$1" commit &&
		mlog-tail $(kx "$1") -g "$g" -m pending -c 1 "$1" &&
		mlog-offset $(kx "$1") -g "$g" "$1" abort &&
		mlog-tail $(kx "$1") -g "$g" -c 1 "$1" &&
		mlog-offset $(kx "$1") -g "$g" "$1" abort
}

@test "conformance: -m pending moves nothing until mlog-offset commit; abort drops it" {
	outputs 1 group_pending
	run diff -u file.out kafka.out
	assert_success
	run cat file.out
	assert_output - <<EOF2
v0
v1
v0
v1
v2
v3
v3
mlog-offset: group $(kgroup): no pending positions to abort
status 1
EOF2
}

group_reset() {
	local g
	g=$(kgroup)
	timed 9 3 | mlog-append -J "$1" &&
		mlog-tail $(kx "$1") -g "$g" -c 4 "$1" >/dev/null &&
		mlog-offset $(kx "$1") -g "$g" -s -1 "$1" reset &&
		mlog-offset $(kx "$1") -g "$g" -o 2 -p 1 -x "$1" reset &&
		mlog-offset $(kx "$1") -g "$g" -t 1700000005 -p 2 -x -J "$1" reset &&
		mlog-tail $(kx "$1") -g "$g" -F '%p/%o %s\n' "$1" &&
		mlog-offset $(kx "$1") -g "$g" -b -x "$1" reset >/dev/null &&
		mlog-tail $(kx "$1") -g "$g" -c 1 "$1" &&
		mlog-offset $(kx "$1") -g "$g" -e -x "$1" reset >/dev/null &&
		mlog-tail $(kx "$1") -g "$g" "$1"
}

@test "conformance: mlog-offset reset plans, then moves positions with -x" {
	both 3 group_reset
	assert_output - <<EOF2
PARTITION  CURRENT-OFFSET      NEW-OFFSET
0                       2               1
1                       1               0
2                       1               0
mlog-offset: dry run: nothing changed; add --execute to apply
PARTITION  CURRENT-OFFSET      NEW-OFFSET
1                       1               2
{"group":"$(kgroup)","executed":true,"partitions":[{"partition":2,"current":1,"new":1}]}
2/1 v5
0/2 v6
1/2 v7
2/2 v8
v0
EOF2
}

group_start() {
	local g
	g=$(kgroup)
	timed 6 | mlog-append -J "$1" &&
		mlog-tail $(kx "$1") -g "$g" -o -2 "$1" &&
		timed 7 | tail -n 1 | mlog-append -J "$1" &&
		mlog-tail $(kx "$1") -g "$g" -o beginning "$1"
}

@test "conformance: -o applies only where the group has no position" {
	both 1 group_start
	assert_output $'v4\nv5\nv6'
}

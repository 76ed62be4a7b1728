#!/usr/bin/env bats
# mlog-stat: partitions, groups and lag, JSON, the records-per-hour chart,
# and errors.

load test_helper

USAGE='usage: mlog-stat [-hJr] [-p partition] [-X key=value]
                 [--kafka-config file] [--timeout dur] log'

T0=1700000000000000	# 2023-11-14T22:13:20Z, in microseconds
H=3600000000		# an hour, in microseconds

# two LOG: 10 records v0..v9 ten minutes apart from T0, alternating between
# two partitions; group a has read 3 of them, group b all of partition 1.
two() {
	local i
	for ((i = 0; i < 10; i++)); do
		printf '{"partition":%d,"timestamp":%d,"value":"v%d"}\n' \
			$((i % 2)) $((T0 + i * 600000000)) "$i"
	done | mlog-append -J -P 2 "$1"
	mlog-tail -g a -c 3 "$1" >/dev/null
	mlog-tail -g b -p 1 "$1" >/dev/null
}

# at LOG TS...: one record "x" per timestamp (microseconds).
at() {
	local log=$1 ts
	shift
	for ts; do
		printf '{"timestamp":%d,"value":"x"}\n' "$ts"
	done | mlog-append -J "$log"
}

@test "mlog-stat: shows the log, its partitions and its groups with their lag" {
	two L
	run mlog-stat L
	assert_success
	assert_output "$(cat <<'EOF'
log         L
partitions  2
segments    2
records     10
size        358B
first time  2023-11-14T22:13:20Z
last time   2023-11-14T23:43:20Z

PARTITION  SEGMENTS  FIRST  LAST  RECORDS  SIZE  FIRST-TIME            LAST-TIME
        0         1      0     4        5  179B  2023-11-14T22:13:20Z  2023-11-14T23:33:20Z
        1         1      0     4        5  179B  2023-11-14T22:23:20Z  2023-11-14T23:43:20Z

GROUP  PARTITION  COMMITTED  END  LAG
a              0          2    5    3
a              1          1    5    4
a          total                    7
b              0          -    5    -
b              1          5    5    0
b          total                    0
EOF
)"
}

@test "mlog-stat: an empty log has no offsets and no times" {
	mlog-append L </dev/null
	run mlog-stat L
	assert_success
	assert_output "$(cat <<'EOF'
log         L
partitions  1
segments    0
records     0
size        0B
first time  -
last time   -

PARTITION  SEGMENTS  FIRST  LAST  RECORDS  SIZE  FIRST-TIME  LAST-TIME
        0         0      -     -        0    0B  -           -
EOF
)"
}

@test "mlog-stat: -p shows one partition, in the totals and the groups too" {
	two L
	run mlog-stat -p 1 L
	assert_success
	assert_output "$(cat <<'EOF'
log         L
partitions  2
segments    1
records     5
size        179B
first time  2023-11-14T22:23:20Z
last time   2023-11-14T23:43:20Z

PARTITION  SEGMENTS  FIRST  LAST  RECORDS  SIZE  FIRST-TIME            LAST-TIME
        1         1      0     4        5  179B  2023-11-14T22:23:20Z  2023-11-14T23:43:20Z

GROUP  PARTITION  COMMITTED  END  LAG
a              1          1    5    4
b              1          5    5    0
EOF
)"
	run mlog-stat --partition=0 L
	assert_success
	assert_line -n 2 'segments    1'
	assert_line 'b              0          -    5    -'
}

@test "mlog-stat: counts segments and bytes from the segment files, and finds the last record in the last segment" {
	for ((i = 0; i < 3000; i++)); do
		printf '{"timestamp":%d,"value":"record %d"}\n' $((T0 + i * 1000000)) "$i"
	done | mlog-append -J -s 16K L
	run mlog-stat -J L
	assert_success
	nsegs=$(ls L/p0/*.log | wc -l)
	bytes=$(cat L/p0/*.log | wc -c)
	[ "$nsegs" -gt 3 ]
	assert_equal "$(jq -c '[.segments, .bytes, .records]' <<<"$output")" "[$nsegs,$bytes,3000]"
	assert_equal "$(jq -c '.partitions[0] | [.first_offset, .last_offset, .end_offset]' <<<"$output")" '[0,2999,3000]'
	assert_equal "$(jq '.last_timestamp' <<<"$output")" $((T0 + 2999 * 1000000))
	run mlog-stat L
	assert_equal "$bytes" 119082
	assert_line -n 4 'size        116K'
	assert_line 'last time   2023-11-14T23:03:19Z'
}

@test "mlog-stat: sizes are human, in four characters as ls -h prints them" {
	head -c 3000000 /dev/zero | tr '\0' 'x' | fold -w 999 | mlog-append L
	run mlog-stat L
	assert_line -n 4 'size        2.9M'
	echo x | mlog-append S
	run mlog-stat S
	assert_line -n 4 'size        54B'
	seq 1 200 | mlog-append K
	run mlog-stat K
	assert_line -n 4 'size        6.2K'
}

@test "mlog-stat: the first and last times are those of the first and last records" {
	# timestamps need not grow: the last record is the last appended
	at L $((T0 + 5 * H)) $((T0 + 9 * H)) $T0
	run mlog-stat -J L
	assert_equal "$(jq -c '[.first_timestamp, .last_timestamp]' <<<"$output")" "[$((T0 + 5 * H)),$T0]"
}

@test "mlog-stat: --json prints one object with every field" {
	two L
	run mlog-stat --json L
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_equal "$(jq -c 'keys_unsorted' <<<"$output")" \
		'["log","partition_count","segments","records","bytes","first_timestamp","last_timestamp","partitions","groups"]'
	assert_equal "$(jq -c '[.log, .partition_count, .segments, .records, .bytes, .first_timestamp, .last_timestamp]' <<<"$output")" \
		"[\"L\",2,2,10,358,$T0,$((T0 + 9 * 600000000))]"
	assert_equal "$(jq -c '.partitions[1]' <<<"$output")" \
		"{\"partition\":1,\"segments\":1,\"first_offset\":0,\"last_offset\":4,\"end_offset\":5,\"records\":5,\"bytes\":179,\"first_timestamp\":$((T0 + 600000000)),\"last_timestamp\":$((T0 + 9 * 600000000))}"
	assert_equal "$(jq -c '.groups' <<<"$output")" \
		'[{"group":"a","lag":7,"partitions":[{"partition":0,"committed":2,"end_offset":5,"lag":3},{"partition":1,"committed":1,"end_offset":5,"lag":4}]},{"group":"b","lag":0,"partitions":[{"partition":0,"committed":null,"end_offset":5,"lag":null},{"partition":1,"committed":5,"end_offset":5,"lag":0}]}]'
}

@test "mlog-stat: --json gives null offsets and times for an empty log, and no groups" {
	mlog-append L </dev/null
	run mlog-stat -J L
	assert_success
	assert_output '{"log":"L","partition_count":1,"segments":0,"records":0,"bytes":0,"first_timestamp":null,"last_timestamp":null,"partitions":[{"partition":0,"segments":0,"first_offset":null,"last_offset":null,"end_offset":0,"records":0,"bytes":0,"first_timestamp":null,"last_timestamp":null}],"groups":[]}'
}

@test "mlog-stat: --json escapes the log path and group names" {
	mkdir 'a"b'
	echo x | mlog-append 'a"b/L'
	mkdir -p 'a"b/L/groups/g\h'
	run mlog-stat -J 'a"b/L'
	assert_success
	assert_equal "$(jq -r '.log' <<<"$output")" 'a"b/L'
	assert_equal "$(jq -r '.groups[0].group' <<<"$output")" 'g\h'
}

@test "mlog-stat: lag counts from the log start for a group behind it, and is 0 past the end" {
	seq 1 300 | mlog-append -s 1K L
	rm L/p0/00000000000000000000.log L/p0/00000000000000000000.idx
	mkdir -p L/groups/old L/groups/ahead
	printf 'mlog-offsets 1\n0 3\n' >L/groups/old/offsets
	printf 'mlog-offsets 1\n0 999\n' >L/groups/ahead/offsets
	run mlog-stat L
	assert_success
	assert_line -n 3 'records     268'
	assert_line 'GROUP  PARTITION  COMMITTED  END  LAG'
	assert_line 'ahead          0        999  300    0'
	assert_line 'old            0          3  300  268'
}

@test "mlog-stat: lists group directories with valid names only, sorted; a group without offsets shows -" {
	echo x | mlog-append L
	mkdir -p L/groups/zz L/groups/.hidden L/groups/mm
	printf 'mlog-offsets 1\n0 0\n' >L/groups/mm/offsets
	printf 'mlog-offsets 1\n0 0\n' >L/groups/.hidden/offsets
	touch L/groups/file
	run mlog-stat L
	assert_success
	assert_output --partial "$(cat <<'EOF'
GROUP  PARTITION  COMMITTED  END  LAG
mm             0          0    1    1
zz             0          -    1    -
EOF
)"
	refute_output --partial hidden
	refute_output --partial file
}

@test "mlog-stat: --records draws the records per hour, scaled to the largest hour" {
	at L $T0 $((T0 + 1)) $((T0 + 2)) $((T0 + 3)) $((T0 + H)) \
		$((T0 + 3 * H)) $((T0 + 3 * H + 5))
	COLUMNS=40 run mlog-stat --records L
	assert_success
	assert_output --partial "$(cat <<'EOF'
RECORDS PER HOUR (UTC)
2023-11-14 22:00 4 █████████████████████
2023-11-14 23:00 1 █████▎
2023-11-15 00:00 0
2023-11-15 01:00 2 ██████████▌
EOF
)"
	# bats leaves the blank lines out of ${lines[@]}
	assert_line -n 9 'RECORDS PER HOUR (UTC)'
	assert_equal "${#lines[@]}" 14
}

@test "mlog-stat: --records merges the partitions and fits the chart in \$COLUMNS" {
	two L
	COLUMNS=60 run mlog-stat -r L
	assert_success
	assert_line -n -2 '2023-11-14 22:00 5 █████████████████████████████████████████'
	assert_line -n -1 '2023-11-14 23:00 5 █████████████████████████████████████████'
	assert_equal "$(printf '%s' "${lines[-1]}" | wc -m)" 60
	COLUMNS=60 run mlog-stat -r -p 0 L
	assert_line -n -2 '2023-11-14 22:00 3 █████████████████████████████████████████'
	assert_line -n -1 '2023-11-14 23:00 2 ███████████████████████████▍'
}

@test "mlog-stat: --records is 80 columns wide without a usable \$COLUMNS" {
	at L $T0
	run env -u COLUMNS mlog-stat -r L
	assert_equal "$(printf '%s' "${lines[-1]}" | wc -m)" 80
	COLUMNS=wide run mlog-stat -r L
	assert_equal "$(printf '%s' "${lines[-1]}" | wc -m)" 80
	COLUMNS=10 run mlog-stat -r L
	assert_line -n -1 '2023-11-14 22:00 1 █'
}

@test "mlog-stat: --records shows up to 24 empty hours as zeros and longer gaps as one line" {
	at L $T0 $((T0 + 25 * H)) $((T0 + 51 * H))
	COLUMNS=30 run mlog-stat -r L
	assert_success
	assert_line -n 10 '2023-11-14 22:00 1 ███████████'
	assert_line -n 11 '2023-11-14 23:00 0'
	assert_line -n 34 '2023-11-15 22:00 0'
	assert_line -n 35 '2023-11-15 23:00 1 ███████████'
	assert_line -n 36 '(25 hours without records)'
	assert_line -n 37 '2023-11-17 01:00 1 ███████████'
	assert_equal "${#lines[@]}" 38
}

@test "mlog-stat: --records on an empty log draws no bars" {
	mlog-append L </dev/null
	run mlog-stat -r L
	assert_success
	assert_line -n -1 'RECORDS PER HOUR (UTC)'
	run mlog-stat -r -J L
	assert_equal "$(jq -c .hours <<<"$output")" '[]'
}

@test "mlog-stat: --json --records adds the hours that have records" {
	at L $T0 $((T0 + 1)) $((T0 + 3 * H)) $((T0 - H))
	run mlog-stat -J -r L
	assert_success
	assert_equal "$(jq -c .hours <<<"$output")" \
		'[{"start":1699995600000000,"records":1},{"start":1699999200000000,"records":2},{"start":1700010000000000,"records":1}]'
}

@test "mlog-stat: --records puts records before the epoch in the hour they fall in" {
	at L -1 -3600000001 1
	run mlog-stat -J -r L
	assert_equal "$(jq -c .hours <<<"$output")" \
		'[{"start":-7200000000,"records":1},{"start":-3600000000,"records":1},{"start":0,"records":1}]'
	run mlog-stat L
	assert_line 'first time  1969-12-31T23:59:59Z'
}

@test "mlog-stat: -h prints the help and exits 0" {
	run mlog-stat -h
	assert_success
	assert_line -n 0 'usage: mlog-stat [-hJr] [-p partition] [-X key=value]'
	assert_output --partial '--records'
	run mlog-stat --help
	assert_success
	assert_line -n 0 'usage: mlog-stat [-hJr] [-p partition] [-X key=value]'
}

@test "mlog-stat: a missing log is an error" {
	run mlog-stat nope
	assert_failure 1
	assert_output 'mlog-stat: nope: No such file or directory'
}

@test "mlog-stat: a directory that is not a log is an error" {
	mkdir D
	run mlog-stat D
	assert_failure 1
	assert_output 'mlog-stat: D: not an mlog log'
}

@test "mlog-stat: a corrupt meta file is an error" {
	echo x | mlog-append L
	echo garbage >L/meta
	run mlog-stat L
	assert_failure 1
	assert_output 'mlog-stat: L: corrupt data'
}

@test "mlog-stat: a corrupt first segment is an error" {
	seq 1 300 | mlog-append -s 1K L
	printf 'XXXX' | dd of=L/p0/00000000000000000000.log bs=1 seek=40 conv=notrunc 2>/dev/null
	run mlog-stat L
	assert_failure 1
	assert_output 'mlog-stat: L: partition 0: corrupt data'
}

@test "mlog-stat: corruption inside the log is found by --records, which reads every record" {
	seq 1 300 | mlog-append -s 1K L
	printf 'XXXX' | dd of=L/p0/00000000000000000064.log bs=1 seek=40 conv=notrunc 2>/dev/null
	run mlog-stat L
	assert_success
	run mlog-stat -r L
	assert_failure 1
	assert_output 'mlog-stat: L: partition 0: corrupt data'
}

@test "mlog-stat: a corrupt group offsets file is an error" {
	echo x | mlog-append L
	mkdir -p L/groups/g
	echo junk >L/groups/g/offsets
	run mlog-stat L
	assert_failure 1
	assert_output 'mlog-stat: L: group g: corrupt data'
}

@test "mlog-stat: a failed write to stdout is an error" {
	echo x | mlog-append L
	run sh -c 'mlog-stat L >/dev/full'
	assert_failure 1
	assert_output 'mlog-stat: stdout: No space left on device'
}

@test "mlog-stat: a bad or out-of-range partition is a usage error" {
	echo x | mlog-append -P 2 L
	run mlog-stat -p 2 L
	assert_failure 2
	assert_output 'mlog-stat: --partition: 2 is out of range (the log has 2 partitions)'
	run mlog-stat -p x L
	assert_failure 2
	assert_line -n 0 'mlog-stat: --partition: invalid: x'
	assert_line -n 1 'usage: mlog-stat [-hJr] [-p partition] [-X key=value]'
	assert_line -n 2 '                 [--kafka-config file] [--timeout dur] log'
}

@test "mlog-stat: unknown options and a missing or extra log are usage errors" {
	echo x | mlog-append L
	run mlog-stat
	assert_failure 2
	assert_output "$USAGE"
	run mlog-stat L L
	assert_failure 2
	assert_output "$USAGE"
	run mlog-stat -x L
	assert_failure 2
	assert_output "mlog-stat: invalid option -- 'x'
$USAGE"
	run mlog-stat --bogus L
	assert_failure 2
	assert_line -n 0 "mlog-stat: unrecognized option '--bogus'"
}

#!/usr/bin/env bats
# mlog-offset: showing and moving consumer group positions.

load test_helper

# a log of 10 records in partition 0 and 4 in partition 1, group g at 3/1.
setup_group() {
	mlog-append -P 2 L </dev/null
	seq 0 9 | mlog-append -p 0 L
	seq 10 13 | mlog-append -p 1 L
	mlog-tail -g g -p 0 -c 3 L >/dev/null
	mlog-tail -g g -p 1 -c 1 L >/dev/null
}

@test "mlog-offset: show lists position, end, lag, holder and commit time per partition" {
	setup_group
	run mlog-offset L -g g
	assert_success
	assert_line -n 0 --regexp '^PARTITION +CURRENT-OFFSET +LOG-END-OFFSET +LAG +HOLDER +LAST-COMMIT$'
	assert_line -n 1 --regexp '^0 +3 +10 +7 +- +20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'
	assert_line -n 2 --regexp '^1 +1 +4 +3 +- +20[0-9]{2}-'
	run mlog-offset -p 1 L -g g show
	assert_equal "${#lines[@]}" 2
}

@test "mlog-offset: show --json gives the same facts to scripts" {
	setup_group
	run sh -c "mlog-offset -J -g g L | jq -c '[.group, .lag, [.partitions[] | [.partition, .current, .end, .lag, .holder]]]'"
	assert_output '["g",10,[[0,3,10,7,null],[1,1,4,3,null]]]'
	run sh -c "mlog-offset -J -g g L | jq '.partitions[0].committed_at > 0'"
	assert_output true
}

@test "mlog-offset: show names the member holding a partition" {
	setup_group
	mlog-tail -g g -M -f L >/dev/null 2>member.err 3>&- &
	wait_for grep -q 'holds partitions: 0 1' member.err
	run mlog-offset -J -g g L
	assert_success
	run sh -c "mlog-offset -J -g g L | jq -r '.partitions[].holder'"
	assert_line -n 0 "$(hostname).$!"
	assert_line -n 1 "$(hostname).$!"
}

@test "mlog-offset: a partition with no position shows no lag" {
	seq 1 5 | mlog-append -P 2 -p 0 L
	mlog-tail -g g -p 0 -c 2 L >/dev/null
	rm -f L/groups/g/offsets
	printf 'mlog-offsets 1\n0 2\n' >L/groups/g/offsets
	run sh -c "mlog-offset -J -g g L | jq -c '[.partitions[] | [.current, .lag, .committed_at]], .lag'"
	assert_line -n 0 '[[2,3,null],[null,null,null]]'
	assert_line -n 1 '3'
}

@test "mlog-offset: list shows every group with its lag and live members" {
	setup_group
	seq 1 2 | mlog-append -p 1 L
	mlog-tail -g other -c 1 L >/dev/null
	run mlog-offset L list
	assert_success
	assert_line -n 0 --regexp '^GROUP +LAG +MEMBERS$'
	assert_line -n 1 --regexp '^g +12 +0$'
	assert_line -n 2 --regexp '^other +15 +0$'
	run sh -c "mlog-offset -J L list | jq -c ."
	assert_output '[{"group":"g","lag":12,"members":0},{"group":"other","lag":15,"members":0}]'
}

@test "mlog-offset: reset prints the plan and changes nothing without --execute" {
	setup_group
	run mlog-offset L -g g reset --to-earliest
	assert_success
	assert_output $'PARTITION  CURRENT-OFFSET      NEW-OFFSET\n0                       3               0\n1                       1               0\nmlog-offset: dry run: nothing changed; add --execute to apply'
	run positions L/groups/g/offsets
	assert_output $'mlog-offsets 1\n0 3\n1 1'
}

@test "mlog-offset: reset --execute moves the group, and the next run reads from there" {
	setup_group
	run mlog-offset -x -p 0 -o 8 L -g g reset
	assert_success
	run positions L/groups/g/offsets
	assert_output $'mlog-offsets 1\n0 8\n1 1'
	run mlog-tail -g g -p 0 L
	assert_output $'8\n9'
}

@test "mlog-offset: every kind of reset lands where it should" {
	setup_group
	run sh -c "mlog-offset -J -e -g g L reset 2>/dev/null | jq -c '[.partitions[].new]'"
	assert_output '[10,4]'
	run sh -c "mlog-offset -J -s -2 -g g L reset 2>/dev/null | jq -c '[.partitions[].new]'"
	assert_output '[1,0]'
	run sh -c "mlog-offset -J -s 100 -g g L reset 2>/dev/null | jq -c '[.partitions[].new]'"
	assert_output '[10,4]'
	run sh -c "mlog-offset -J -o 5 -g g L reset 2>/dev/null | jq -c '[.partitions[].new]'"
	assert_output '[5,4]'
	run sh -c "mlog-offset -J -t @2000-01-01 -g g L reset 2>&1 | head -1"
	assert_output --partial 'bad time'
	run sh -c "mlog-offset -J -t 2000-01-01 -g g L reset 2>/dev/null | jq -c '[.partitions[].new]'"
	assert_output '[0,0]'
	run sh -c "mlog-offset -J -t 2100-01-01 -g g L reset 2>/dev/null | jq -c '[.partitions[].new]'"
	assert_output '[10,4]'
	run sh -c "mlog-offset -J -d 1d -g g L reset 2>/dev/null | jq -c '[.partitions[].new]'"
	assert_output '[0,0]'
}

@test "mlog-offset: --to-datetime finds the first record at or after the time" {
	for i in 0 1 2 3 4; do
		printf '{"timestamp":%d,"value":"v%d"}\n' $((1700000000000000 + i * 1000000)) "$i"
	done | mlog-append -J L
	mlog-tail -g g -c 1 L >/dev/null
	mlog-offset -x -t 2023-11-14T22:13:22Z -g g L reset >/dev/null 2>&1
	run mlog-tail -g g L
	assert_output $'v2\nv3\nv4'
}

@test "mlog-offset: reset and delete refuse while a member holds the group, unless forced" {
	setup_group
	mlog-tail -g g -M -f L >/dev/null 2>member.err 3>&- &
	wait_for grep -q 'holds partitions: 0 1' member.err
	run mlog-offset -x -b -g g L reset
	assert_failure 1
	assert_output "mlog-offset: group g: partition 0 is held by $(hostname).$!; stop the members first, or use --force"
	run mlog-offset -g g L delete
	assert_failure 1
	assert_output "mlog-offset: group g: partition 0 is held by $(hostname).$!; stop the members first, or use --force"
	run mlog-offset -x -f -b -g g L reset
	assert_success
	assert_line -n 0 "mlog-offset: group g: partition 0 is held by $(hostname).$!; resetting anyway (--force)"
}

@test "mlog-offset: commit promotes pending positions and abort drops them" {
	setup_group
	mlog-tail -g g --commit=pending -p 0 -c 2 L >/dev/null
	run positions L/groups/g/offsets.pending
	assert_output $'mlog-offsets 1\n0 5\n1 1'
	run mlog-offset -g g L abort
	assert_success
	[ ! -e L/groups/g/offsets.pending ]
	run mlog-offset -g g L abort
	assert_failure 1
	assert_output 'mlog-offset: group g: no pending positions to abort'
	mlog-tail -g g --commit=pending -p 0 -c 2 L >/dev/null
	run mlog-offset -g g L commit
	assert_success
	run positions L/groups/g/offsets
	assert_output $'mlog-offsets 1\n0 5\n1 1'
	run mlog-offset -g g L commit
	assert_failure 1
	assert_output 'mlog-offset: group g: no pending positions to commit'
}

@test "mlog-offset: a two-phase commit advances only when the job succeeds" {
	seq 1 6 | mlog-append L
	run sh -c 'mlog-tail -g job --commit=pending -c 3 L | grep -q 4 && mlog-offset -g job L commit'
	assert_failure
	run mlog-tail -g job -c 1 L
	assert_output 1
	mlog-offset -g job -x -b L reset 2>/dev/null >/dev/null
	run sh -c 'mlog-tail -g job --commit=pending -c 3 L | grep -q 3 && mlog-offset -g job L commit'
	assert_success
	run mlog-tail -g job L
	assert_output $'4\n5\n6'
}

@test "mlog-offset: delete removes the group" {
	setup_group
	run mlog-offset -g g L delete
	assert_success
	[ ! -e L/groups/g ]
	run mlog-offset -g g L
	assert_failure 1
	assert_output 'mlog-offset: L: no group g'
}

@test "mlog-offset: bad commands and options are usage errors" {
	setup_group
	run mlog-offset L -g g frobnicate
	assert_failure 2
	assert_line -n 0 'mlog-offset: unknown command: frobnicate'
	run mlog-offset L show
	assert_failure 2
	assert_line -n 0 'mlog-offset: this command needs a group (-g)'
	run mlog-offset -g g L reset
	assert_failure 2
	assert_line -n 0 'mlog-offset: reset needs one of --to-earliest, --to-latest, --to-offset, --to-datetime, --by-duration, --shift-by'
	run mlog-offset -b -e -g g L reset
	assert_failure 2
	assert_line -n 0 'mlog-offset: only one of -b, -e, -o, -t, -d and -s may be given'
	run mlog-offset -b -g g L show
	assert_failure 2
	assert_line -n 0 'mlog-offset: -b, -e, -o, -t, -d, -s and -x go with reset'
	run mlog-offset -g ../x L
	assert_failure 2
	assert_line -n 0 "mlog-offset: --group: invalid name (empty, over 200 bytes, starting with '.', or with '/' or control characters): ../x"
	run mlog-offset -p 7 -g g L
	assert_failure 2
	assert_output 'mlog-offset: --partition: 7 is out of range (the log has 2 partitions)'
	run mlog-offset -d soon -g g L reset
	assert_failure 2
	assert_line -n 0 'mlog-offset: --by-duration: bad duration: soon'
	run mlog-offset
	assert_failure 2
	assert_line -n 0 --partial 'usage: mlog-offset'
	run mlog-offset nothere list
	assert_failure 1
	assert_output 'mlog-offset: nothere: No such file or directory'
}

@test "mlog-offset: --help prints the commands and exits 0" {
	run mlog-offset --help
	assert_success
	assert_line -n 0 --partial 'usage: mlog-offset'
	assert_line --partial 'reset'
}

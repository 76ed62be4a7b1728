#!/usr/bin/env bats
# mlog-trim, the retention settings of mlog-append, and what readers see
# when retention deletes records they had not read.

load test_helper

OLD=1577836800000000	# 2020-01-01T00:00:00Z in microseconds

# recs N [FROM]: N envelopes dated 2020-01-01 (a microsecond apart), values
# r0 .. r(N-1) or from FROM on; all records are 32 bytes in a log, so a 1K
# segment holds 31 of them.
recs() {
	local i
	for ((i = ${2:-0}; i < ${2:-0} + $1; i++)); do
		printf '{"timestamp":%d,"value":"r%03d"}\n' $((OLD + i)) "$i"
	done
}

# segs LOG [P]: the segment and index files of a partition
segs() {
	ls "$1/p${2:-0}" | grep -E '\.(log|idx)$' || true
}

# seglist BASE...: the files of those segments, as segs prints them
seglist() {
	local b
	for b in "$@"; do
		printf '%020d.idx\n%020d.log\n' "$b" "$b"
	done
}

# deleted P BASE END: mlog-trim's line for a segment of 31 records
deleted() {
	echo "partition $1: ${4:-deleted} $(printf %020d "$2").log: offsets $2 to $3, $((24 + 33 * ($3 - $2 + 1))) bytes, newest 2020-01-01T00:00:00Z"
}

@test "mlog-trim: --max-records deletes the oldest segments whose offsets all lie beyond the newest N" {
	recs 100 | mlog-append -J -s 1K L
	run segs L
	assert_output "$(seglist 0 30 60 90)"
	run mlog-trim -r 40 L
	assert_success
	assert_output "$(deleted 0 0 29)
$(deleted 0 30 59)
partition 0: start moved from 0 to 60
deleted 2 segments, 2028 bytes"
	run segs L
	assert_output "$(seglist 60 90)"
	run cat L/p0/start
	assert_output 'start 60'
	run mlog-tail -F '%o\n' -n 1 L
	assert_output 99
	run mlog-tail -F '%s\n' L
	assert_line -n 0 r060
}

@test "mlog-trim: --max-records keeps a segment holding any of the newest N offsets" {
	recs 100 | mlog-append -J -s 1K L
	run mlog-trim -r 41 L
	assert_success
	assert_output "$(deleted 0 0 29)
partition 0: start moved from 0 to 30
deleted 1 segment, 1014 bytes"
}

@test "mlog-trim: --max-size deletes the oldest segments while the newer ones still hold SIZE bytes" {
	recs 100 | mlog-append -J -s 1K L
	# segments: 1014 bytes (0, 30, 60), 354 (90)
	run mlog-trim -s 1368 L
	assert_success
	assert_output "$(deleted 0 0 29)
$(deleted 0 30 59)
partition 0: start moved from 0 to 60
deleted 2 segments, 2028 bytes"
	run segs L
	assert_output "$(seglist 60 90)"
}

@test "mlog-trim: --max-size takes K, M and G and one byte more keeps the segment" {
	recs 100 | mlog-append -J -s 1K L
	run mlog-trim -n -s 1369 L
	assert_success
	assert_output "$(deleted 0 0 29 'would delete')
partition 0: start would move from 0 to 30
would delete 1 segment, 1014 bytes"
	run mlog-trim -n -s 1K L
	assert_success
	assert_line -n 2 'partition 0: start would move from 0 to 60'
	run mlog-trim -n -s 1G L
	assert_success
	assert_output 'would delete 0 segments, 0 bytes'
}

@test "mlog-trim: --max-age deletes segments whose newest record is older than DUR, never a younger one" {
	recs 70 | mlog-append -J -s 1K L
	# records 70 .. 99 dated now, in the segment that starts at 60
	for ((i = 70; i < 100; i++)); do printf 'n%03d\n' "$i"; done | mlog-append L
	run segs L
	assert_output "$(seglist 0 30 60 90)"
	run mlog-trim -a 1d L
	assert_success
	assert_output "$(deleted 0 0 29)
$(deleted 0 30 59)
partition 0: start moved from 0 to 60
deleted 2 segments, 2028 bytes"
	# the segment at 60 mixes old and new records: it stays
	run mlog-tail -F '%s\n' -c 1 L
	assert_output r060
	run mlog-trim -a 1d L
	assert_output 'deleted 0 segments, 0 bytes'
}

@test "mlog-trim: limits combine: a segment goes when any limit says so" {
	recs 70 | mlog-append -J -s 1K L
	for ((i = 70; i < 160; i++)); do printf 'n%03d\n' "$i"; done | mlog-append L
	run segs L
	assert_output "$(seglist 0 30 60 90 120 150)"
	# by age 0 .. 59 would go; by records (keep 60) 0 .. 89
	run mlog-trim -a 1d -r 60 L
	assert_success
	assert_line -n 2 --partial 'partition 0: deleted 00000000000000000060.log: offsets 60 to 89, '
	assert_line -n 3 'partition 0: start moved from 0 to 90'
	run segs L
	assert_output "$(seglist 90 120 150)"
}

@test "mlog-trim: the last segment never goes, even with limits of zero" {
	recs 100 | mlog-append -J -s 1K L
	run mlog-trim -s 0 L
	assert_success
	assert_line -n 3 'partition 0: start moved from 0 to 90'
	run segs L
	assert_output "$(seglist 90)"
	run mlog-trim -s 0 -r 0 -a 0s L
	assert_success
	assert_output 'deleted 0 segments, 0 bytes'
	run mlog-tail -F '%s\n' L
	assert_line -n 0 r090
	assert_line -n 9 r099
}

@test "mlog-trim: --dry-run says what would go and changes nothing" {
	recs 100 | mlog-append -J -s 1K L
	before=$(ls -l --time-style=+%s.%N L/p0 | sort; md5sum L/p0/*)
	run mlog-trim -n -r 10 L
	assert_success
	assert_output "$(deleted 0 0 29 'would delete')
$(deleted 0 30 59 'would delete')
$(deleted 0 60 89 'would delete')
partition 0: start would move from 0 to 90
would delete 3 segments, 3042 bytes"
	after=$(ls -l --time-style=+%s.%N L/p0 | sort; md5sum L/p0/*)
	[ "$before" = "$after" ]
	[ ! -e L/p0/start ]
}

@test "mlog-trim: -q prints nothing; -p trims one partition" {
	recs 100 | mlog-append -J -s 1K -p 0 -P 2 L
	recs 100 | mlog-append -J -p 1 L
	run mlog-trim -q -p 1 -r 10 L
	assert_success
	assert_output ''
	run segs L 0
	assert_output "$(seglist 0 30 60 90)"
	run segs L 1
	assert_output "$(seglist 90)"
	run mlog-trim -r 10 L
	assert_success
	assert_line -n 3 'partition 0: start moved from 0 to 90'
	assert_line -n 4 'deleted 3 segments, 3042 bytes'
}

@test "mlog-trim: a group that had not read the deleted records is warned about" {
	recs 100 | mlog-append -J -s 1K L
	mlog-tail -g slow -c 5 L >/dev/null
	mlog-tail -g fast -c 95 L >/dev/null
	run mlog-trim -q -r 10 L
	assert_success
	assert_output 'mlog-trim: L: group slow: partition 0: 85 unread records deleted (committed offset 5, start now 90)'
	# the group then resumes at the new start, saying what it missed
	run mlog-tail -g slow -c 1 -F '%o\n' L
	assert_success
	assert_line -n 0 'mlog-tail: L: partition 0: offsets 5 to 89 were deleted by retention before they were read (85 records); continuing at 90'
	assert_line -n 1 90
}

@test "mlog-trim: --dry-run warns about groups in the future tense" {
	recs 100 | mlog-append -J -s 1K L
	mlog-tail -g slow -c 31 L >/dev/null
	run mlog-trim -q -n -r 10 L
	assert_success
	assert_output 'mlog-trim: L: group slow: partition 0: 59 unread records would be deleted (committed offset 31, start would be 90)'
}

@test "mlog-tail: --strict stops at records deleted before they were read" {
	recs 100 | mlog-append -J -s 1K L
	mlog-tail -g g -c 5 L >/dev/null
	mlog-trim -q -r 10 L
	run mlog-tail -g g --strict L
	assert_failure 1
	assert_output 'mlog-tail: L: partition 0: offsets 5 to 89 were deleted by retention before they were read (85 records)'
	# nothing was committed past the gap
	run positions L/groups/g/offsets
	assert_output 'mlog-offsets 1
0 5'
}

@test "mlog-tail: -o N before the start warns and starts at the start" {
	recs 100 | mlog-append -J -s 1K L
	mlog-trim -q -r 10 L
	run mlog-tail -o 3 -c 1 -F '%o\n' L
	assert_success
	assert_line -n 0 'mlog-tail: L: partition 0: offsets 3 to 89 were deleted by retention before they were read (87 records); continuing at 90'
	assert_line -n 1 90
	run mlog-tail -o beginning -c 1 -F '%o\n' L
	assert_output 90
	run mlog-stat L
	assert_line --partial ' 90 '
}

@test "mlog-tail: a reader inside a segment that retention deletes finishes it, then says what it missed" {
	for ((i = 0; i < 4000; i++)); do printf 'record-%05d-%s\n' "$i" xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done |
		mlog-append -s 4K L
	mkfifo pipe
	mlog-tail -F '%o %s\n' L >pipe 2>err &
	exec 4<pipe
	# the reader blocks on the full pipe somewhere early in the log
	read -r first _ <&4
	[ "$first" = 0 ]
	mlog-trim -q -r 100 L
	start=$(sed 's/start //' L/p0/start)
	cut -d' ' -f1 <&4 >rest
	exec 4<&-
	wait
	# offsets increase, the ones it missed are exactly those it names
	sort -n -c rest
	last=$(tail -n 1 rest)
	[ "$last" = 3999 ]
	gapfrom=$(awk 'NR > 1 && $1 != prev + 1 { print prev + 1; exit } { prev = $1 }' rest)
	[ -n "$gapfrom" ]
	run cat err
	assert_output "mlog-tail: L: partition 0: offsets $gapfrom to $((start - 1)) were deleted by retention before they were read ($((start - gapfrom)) records); continuing at $start"
	# everything from the new start on was delivered
	[ "$(awk -v s="$start" '$1 >= s' rest | wc -l)" -eq $((4000 - start)) ]
}

@test "mlog-append: --retain-size is stored in the log and applied at each roll" {
	recs 100 | mlog-append -J -s 1K --retain-size 1K L
	run cat L/meta
	assert_output 'mlog 1
partitions 1
segment-bytes 1024
segment-age-ms 604800000
retain-bytes 1024'
	# at the roll to 90 the newer segments (60, 90) held 1014 + 24 bytes
	run segs L
	assert_output "$(seglist 60 90)"
	run cat L/p0/start
	assert_output 'start 60'
	recs 100 100 | mlog-append -J L
	run segs L
	assert_output "$(seglist 150 180)"
}

@test "mlog-append: --retain-age is stored in the log and applied at each roll" {
	recs 50 | mlog-append -J -s 1K --retain-age 1h L
	run cat L/meta
	assert_line -n 4 'retain-age-ms 3600000'
	# the old records' segments go at the next roll
	for ((i = 50; i < 100; i++)); do printf 'n%03d\n' "$i"; done | mlog-append L
	run segs L
	assert_output "$(seglist 30 60 90)"
}

@test "mlog-trim: without limits it applies the log's own retention settings" {
	recs 100 | mlog-append -J -s 1K L
	recs 1 | mlog-append -J M --retain-age 1h -s 1K
	recs 99 1 | mlog-append -J M
	run mlog-trim M
	assert_success
	# the roll already applied them: nothing is left to do
	assert_output 'deleted 0 segments, 0 bytes'
	run mlog-trim L
	assert_failure 2
	assert_output 'mlog-trim: L: no limit given (--max-age, --max-size, --max-records) and the log has no retention settings
usage: mlog-trim [-nq] [-a age] [-r records] [-s size] [-p partition] log'
}

@test "mlog-append: retention options that disagree with the log are refused" {
	echo x | mlog-append --retain-age 1h --retain-size 1M L
	run mlog-append --retain-age 2h L </dev/null
	assert_failure 1
	assert_output 'mlog-append: L: the log has a retention age of 3600000 ms, not 7200000'
	run mlog-append --retain-size 2M L </dev/null
	assert_failure 1
	assert_output 'mlog-append: L: the log has a retention size of 1048576 bytes, not 2097152'
	run mlog-append --retain-age 1h --retain-size 1M L </dev/null
	assert_success
}

@test "mlog-append: bad retention options are usage errors" {
	run mlog-append --retain-age 0 L </dev/null
	assert_failure 2
	assert_line -n 0 'mlog-append: --retain-age: the duration must be more than 0'
	run mlog-append --retain-age 10us L </dev/null
	assert_failure 2
	assert_line -n 0 'mlog-append: --retain-age: less than 1ms: 10us'
	run mlog-append --retain-age soon L </dev/null
	assert_failure 2
	assert_line -n 0 "mlog-append: --retain-age: bad duration 'soon' (a number and a unit: 500ms, 10s, 5m, 2h, 7d)"
	run mlog-append --retain-size 0 L </dev/null
	assert_failure 2
	assert_line -n 0 'mlog-append: --retain-size: bad size: 0'
	[ ! -e L ]
}

@test "mlog-trim: bad options and arguments are errors with their message" {
	recs 10 | mlog-append -J L
	run mlog-trim -a -1h L
	assert_failure 2
	assert_line -n 0 "mlog-trim: --max-age: bad duration '-1h' (a number and a unit: 500ms, 10s, 5m, 2h, 7d)"
	run mlog-trim -s lots L
	assert_failure 2
	assert_line -n 0 'mlog-trim: --max-size: bad size: lots'
	run mlog-trim -r -5 L
	assert_failure 2
	assert_line -n 0 'mlog-trim: --max-records: too small: -5'
	run mlog-trim -p x -r 1 L
	assert_failure 2
	assert_line -n 0 'mlog-trim: --partition: invalid: x'
	run mlog-trim -p 3 -r 1 L
	assert_failure 1
	assert_output 'mlog-trim: L: no partition 3 (the log has 1)'
	run mlog-trim -r 1
	assert_failure 2
	assert_output 'usage: mlog-trim [-nq] [-a age] [-r records] [-s size] [-p partition] log'
	run mlog-trim -r 1 L M
	assert_failure 2
	run mlog-trim -r 1 nolog
	assert_failure 1
	assert_output 'mlog-trim: nolog: No such file or directory'
	mkdir notalog
	touch notalog/file
	run mlog-trim -r 1 notalog
	assert_failure 1
	assert_output 'mlog-trim: notalog: not an mlog log'
	run mlog-trim --help
	assert_success
	assert_line -n 0 'usage: mlog-trim [-nq] [-a age] [-r records] [-s size] [-p partition] log'
}

@test "mlog-trim: segments left below the start by an interrupted trim are skipped by readers and removed by the next trim" {
	recs 100 | mlog-append -J -s 1K L
	# as if a trim was killed after persisting the start, before deleting
	echo 'start 60' >L/p0/start
	run mlog-tail -F '%o\n' -c 1 L
	assert_success
	assert_output 60
	run mlog-stat L
	assert_line --partial ' 60 '
	run mlog-trim -r 1000 L
	assert_success
	assert_output "$(deleted 0 0 29)
$(deleted 0 30 59)
deleted 2 segments, 2028 bytes"
	run segs L
	assert_output "$(seglist 60 90)"
}

@test "mlog-trim: appenders and trims running together lose nothing from the start on" {
	( for ((i = 0; i < 30000; i++)); do echo "line $i"; done ) | mlog-append -s 4K -y never L &
	apid=$!
	wait_for test -e L/meta
	while kill -0 "$apid" 2>/dev/null; do
		mlog-trim -q -r 2000 L || exit 1
	done
	wait "$apid"
	mlog-trim -q -r 2000 L
	run mlog-verify L
	assert_success
	start=$(sed 's/start //' L/p0/start)
	run mlog-tail -F '%o %s\n' L
	assert_line -n 0 "$start line $start"
	[ "${#lines[@]}" -eq $((30000 - start)) ]
	assert_line -n -1 '29999 line 29999'
}

@test "mlog-trim: a failure to persist the start is an error and deletes nothing" {
	recs 100 | mlog-append -J -s 1K L
	run faulty rename:1:EIO mlog-trim -r 10 L
	assert_failure 1
	assert_output 'mlog-trim: L: partition 0: Input/output error'
	run segs L
	assert_output "$(seglist 0 30 60 90)"
	[ ! -e L/p0/start ]
	run mlog-tail -F '%o\n' -c 1 L
	assert_output 0
}

@test "mlog-trim: a failure to delete a segment is an error; readers skip what is below the start and a rerun finishes" {
	recs 100 | mlog-append -J -s 1K L
	run faulty unlink:3:EIO:.log mlog-trim -r 10 L
	assert_failure 1
	assert_output "$(deleted 0 0 29)
$(deleted 0 30 59)
mlog-trim: L: partition 0: Input/output error"
	run cat L/p0/start
	assert_output 'start 90'
	run segs L
	assert_output "00000000000000000060.log
$(seglist 90)"
	run mlog-tail -F '%o\n' -c 1 L
	assert_output 90
	run mlog-trim -r 10 L
	assert_success
	assert_output "$(deleted 0 60 89)
deleted 1 segment, 1014 bytes"
	run segs L
	assert_output "$(seglist 90)"
}

@test "mlog-append: a failure of retention at a roll is a warning; the records are appended" {
	recs 60 | mlog-append -J -s 1K --retain-size 1K L
	run faulty unlink:1:EACCES mlog-append -J L < <(recs 40 60)
	assert_success
	assert_output 'mlog-append: L: retention at a segment roll failed (the records were appended; run mlog-trim): Permission denied'
	run mlog-tail -F '%o\n' -n 1 L
	assert_output 99
}

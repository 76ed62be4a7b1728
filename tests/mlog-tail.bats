#!/usr/bin/env bats
# mlog-tail: reading, positioning, following, output formats, positions.

load test_helper

T0=1700000000000000	# 2023-11-14T22:13:20Z, in microseconds

# timed LOG N [PARTITION]: N records v0..v(N-1), one second apart from T0.
timed() {
	local i
	for ((i = 0; i < $2; i++)); do
		printf '{"partition":%d,"timestamp":%d,"value":"v%d"}\n' \
			"${3:-0}" $((T0 + i * 1000000)) "$i"
	done | mlog-append -J "$1"
}

@test "mlog-tail: prints every value, one per line, in offset order" {
	seq 1 1000 | mlog-append L
	run sh -c 'mlog-tail L | md5sum'
	assert_output "$(seq 1 1000 | md5sum)"
}

@test "mlog-tail: an empty log prints nothing" {
	mlog-append L </dev/null
	run mlog-tail L
	assert_success
	assert_output ''
}

@test "mlog-tail: -o end, N, -N and beginning pick where to start" {
	seq 0 9 | mlog-append L
	run mlog-tail -o end L
	assert_output ''
	run mlog-tail -o 7 L
	assert_output $'7\n8\n9'
	run mlog-tail -o -2 L
	assert_output $'8\n9'
	run mlog-tail -o -50 L
	assert_output "$(seq 0 9)"
	run mlog-tail -o beginning -c 1 L
	assert_output '0'
	run mlog-tail -o 10 L
	assert_output ''
}

@test "mlog-tail: -o N finds the record through the index across segments" {
	seq 0 99999 | mlog-append -s 64K L
	for n in 0 1 4095 50000 77777 99999; do
		run mlog-tail -o "$n" -c 1 -F '%o %s\n' L
		assert_output "$n $n"
	done
}

@test "mlog-tail: -o @TIME starts at the first record at or after TIME" {
	timed L 10
	run mlog-tail -o @2023-11-14T22:13:25Z L
	assert_output $'v5\nv6\nv7\nv8\nv9'
	run mlog-tail -o @1700000007 L
	assert_output $'v7\nv8\nv9'
	run mlog-tail -o @1700000007500 L
	assert_output $'v8\nv9'
	run mlog-tail -o @2023-11-14T23:13:28+01:00 L
	assert_output $'v8\nv9'
	run mlog-tail -o @2023-11-14T22:00:00Z -c 1 L
	assert_output 'v0'
	run mlog-tail -o @2030-01-01 L
	assert_output ''
}

@test "mlog-tail: -o @TIME uses the time index in a large log" {
	awk -v t0="$T0" 'BEGIN { for (i = 0; i < 20000; i++)
	    printf "{\"timestamp\":%.0f,\"value\":\"r%d\"}\n", t0 + i * 1000, i }' |
		mlog-append -J -s 32K L
	for i in 0 1 9999 12345 19999; do
		run mlog-tail -o "@$(((T0 + i * 1000) / 1000))" -c 1 L
		assert_output "r$i"
	done
}

@test "mlog-tail: -o @-DUR is relative to now" {
	printf '{"timestamp":%d,"value":"old"}\n' $(( ($(date +%s) - 7200) * 1000000 )) |
		mlog-append -J L
	echo new | mlog-append L
	run mlog-tail -o @-1h L
	assert_output 'new'
	run mlog-tail -o @-3h L
	assert_output $'old\nnew'
}

@test "mlog-tail: -o @TIME skips the index entries and the records before TIME even when timestamps go back" {
	for ts in 5 1 9 3 7; do
		printf '{"timestamp":%d000000,"value":"t%d"}\n' "$((1700000000 + ts))" "$ts"
	done | mlog-append -J L
	# the first record at or after :06 is t9; everything after it follows
	run mlog-tail -o @1700000006 L
	assert_output $'t9\nt3\nt7'
}

@test "mlog-tail: --until stops before an offset or after a time" {
	timed L 10
	run mlog-tail -u 3 L
	assert_output $'v0\nv1\nv2'
	run mlog-tail --until @1700000001 L
	assert_output $'v0\nv1'
	run mlog-tail -o 4 -u 6 -F '%o\n' L
	assert_output $'4\n5'
}

@test "mlog-tail: -c stops after N records" {
	seq 1 100 | mlog-append L
	run mlog-tail -c 3 L
	assert_output $'1\n2\n3'
}

@test "mlog-tail: -n prints the last N records over all partitions, merged by time" {
	mlog-append -P 2 L </dev/null
	timed L 5 0
	for ((i = 0; i < 5; i++)); do
		printf '{"partition":1,"timestamp":%d,"value":"w%d"}\n' $((T0 + i * 1000000 + 500000)) "$i"
	done | mlog-append -J L
	# w3 is at 3.5 s, v4 at 4.0 s, w4 at 4.5 s
	run mlog-tail -n 3 L
	assert_output $'w3\nv4\nw4'
	run mlog-tail -n 0 L
	assert_output ''
	run mlog-tail -n 100 L
	assert_equal "${#lines[@]}" 10
}

@test "mlog-tail: partitions are merged by timestamp" {
	for ((i = 0; i < 6; i++)); do
		printf '{"partition":%d,"timestamp":%d,"value":"e%d"}\n' $((i % 3)) $((T0 + i)) "$i"
	done | mlog-append -J -P 3 L
	run mlog-tail L
	assert_output $'e0\ne1\ne2\ne3\ne4\ne5'
	run mlog-tail -p 1 L
	assert_output $'e1\ne4'
}

@test "mlog-tail: --partition beyond the log is a usage error" {
	echo x | mlog-append -P 2 L
	run mlog-tail -p 2 L
	assert_failure 2
	assert_output 'mlog-tail: --partition: 2 is out of range (the log has 2 partitions)'
}

@test "mlog-tail: -e exits at the end the log had at start while writers append" {
	seq 1 1000 | mlog-append L
	yes | mlog-append L 3>&- &
	writer=$!
	wait_for sh -c '[ "$(mlog-tail -o -1 -c 1 -F %o L)" -gt 1100 ]'
	end=$(( $(mlog-tail -o -1 -c 1 -F %o L) + 1 ))
	# into a file: millions of lines in $output take bash many seconds
	rc=0
	timeout 20 mlog-tail -e -F '%o\n' L >out || rc=$?
	kill "$writer"
	assert_equal "$rc" 0
	# a contiguous prefix, at least up to what existed before
	n=$(wc -l <out)
	[ "$n" -ge "$end" ]
	[ "$(tail -n 1 out)" -eq $((n - 1)) ]
}

@test "mlog-tail: -f prints records as they are appended" {
	echo before | mlog-append L
	mlog-tail -f L >out 3>&- &
	pid=$!
	wait_for lines_in out 1
	mkfifo in
	exec 7<>in
	mlog-append L <in 3>&- &
	app=$!
	for i in 1 2 3; do
		echo "live $i" >&7
		wait_for lines_in out $((i + 1))
	done
	kill "$pid" "$app"
	exec 7>&-
	run cat out
	assert_output $'before\nlive 1\nlive 2\nlive 3'
}

@test "mlog-tail: -f crosses segment rolls and waits for new partitions' data" {
	mlog-append -P 2 -s 1K L </dev/null
	mlog-tail -f -F '%s\n' L >out 3>&- &
	pid=$!
	seq 1 300 | mlog-append -p 1 L
	seq 301 600 | mlog-append -p 0 L
	wait_for lines_in out 600
	kill "$pid"
	run sh -c 'sort -n out | md5sum'
	assert_output "$(seq 1 600 | md5sum)"
}

# A directory unchanged for long: the reader keeps its listing of the
# segments and asks again only when the directory changes.
@test "mlog-tail: -f on partitions idle for long sees the segments and the trims that follow" {
	local d
	mlog-append -P 2 -s 1K L </dev/null
	seq 1 50 | mlog-append -p 1 L
	for d in L/p0 L/p1; do
		touch -d '-1 hour' "$d"
	done
	mlog-tail -f -F '%p %o %s\n' L >out 3>&- &
	pid=$!
	wait_for lines_in out 50
	# partition 0 rolls from nothing to many segments; partition 1 rolls
	seq 51 400 | mlog-append -p 0 L
	seq 401 700 | mlog-append -p 1 L
	wait_for lines_in out 700
	# then goes quiet long enough for the listings to be trusted, and
	# a trim removes the segments below: the reader goes on after them
	for d in L/p0 L/p1; do
		touch -d '-1 hour' "$d"
	done
	mlog-trim -q -r 100 L
	seq 701 750 | mlog-append -p 0 L
	wait_for lines_in out 750
	kill "$pid"
	run sh -c "cut -d' ' -f3 out | sort -n | md5sum"
	assert_output "$(seq 1 750 | md5sum)"
	# and in offset order per partition
	awk '$1 in last && $2 != last[$1] + 1 { print; exit 1 } { last[$1] = $2 }' out
}

@test "mlog-tail: -f with -e or --until exits once every partition reached its stop" {
	seq 1 3 | mlog-append -P 2 -p 0 L
	run timeout 10 mlog-tail -f -e L
	assert_success
	assert_output $'1\n2\n3'
	run timeout 10 mlog-tail -f -u 2 -p 0 L
	assert_success
	assert_output $'1\n2'
}

@test "mlog-tail: -g with -o @TIME commits the position found even with nothing to read" {
	timed L 3
	run mlog-tail -g g -o @2030-01-01 L
	assert_output ''
	echo new | mlog-append L
	run mlog-tail -g g L
	assert_output 'new'
}

@test "mlog-tail: -f -o end shows only new records" {
	seq 1 5 | mlog-append L
	mlog-tail -f -o end L >out 3>&- &
	pid=$!
	# wait until the follower is positioned: it holds an inotify watch
	wait_for sh -c "ls -l /proc/$pid/fd 2>/dev/null | grep -q inotify"
	echo six | mlog-append L
	wait_for lines_in out 1
	kill "$pid"
	run cat out
	assert_output 'six'
}

@test "mlog-tail: -J prints envelopes" {
	printf '{"timestamp":1700000000000001,"key":"k\\"1","value":"{\\"a\\":1}"}\n' |
		mlog-append -J L
	run mlog-tail -J L
	assert_output '{"offset":0,"partition":0,"timestamp":1700000000000001,"key":"k\"1","value":"{\"a\":1}"}'
}

@test "mlog-tail: -J writes bytes that are not UTF-8 as base64" {
	printf 'k\377:\001\377\n' | mlog-append -K : L
	run mlog-tail -J L
	assert_output --partial '"key_base64":"a/8=","value_base64":"Af8="}'
}

@test "mlog-tail: -F formats each record with kcat-style tokens" {
	printf '{"timestamp":1700000000123456,"key":"id","value":"hello"}\n' |
		mlog-append -J L
	run mlog-tail -F 'p=%p o=%o t=%T k=%k(%K) s=%s(%S) 100%%\t|\n' L
	assert_output $'p=0 o=0 t=1700000000123 k=id(2) s=hello(5) 100%\t|'
}

@test "mlog-tail: -F with an unknown token is a usage error" {
	echo x | mlog-append L
	run mlog-tail -F '%o %x' L
	assert_failure 2
	assert_line -n 0 'mlog-tail: --format: unknown token %x'
}

@test "mlog-tail: -0 ends records with NUL" {
	printf 'a\nb\n' | mlog-append L
	run sh -c 'mlog-tail -0 L | od -An -c | tr -s " "'
	assert_output ' a \0 b \0'
}

@test "mlog-tail: -g resumes where the group stopped" {
	seq 1 10 | mlog-append L
	run mlog-tail -g cron -c 3 L
	assert_output $'1\n2\n3'
	run mlog-tail -g cron -c 3 L
	assert_output $'4\n5\n6'
	run positions L/groups/cron/offsets
	assert_output $'mlog-offsets 1\n0 6'
	run mlog-tail -g cron L
	assert_output $'7\n8\n9\n10'
	run mlog-tail -g cron L
	assert_output ''
	seq 11 12 | mlog-append L
	run mlog-tail -g cron L
	assert_output $'11\n12'
}

@test "mlog-tail: groups are independent of each other" {
	seq 1 4 | mlog-append L
	mlog-tail -g a -c 2 L >/dev/null
	run mlog-tail -g b -c 1 L
	assert_output '1'
	run mlog-tail -g a L
	assert_output $'3\n4'
}

@test "mlog-tail: -o applies to a group only before its first commit" {
	seq 1 5 | mlog-append L
	run mlog-tail -g g -o -2 L
	assert_output $'4\n5'
	echo 6 | mlog-append L
	run mlog-tail -g g -o beginning L
	assert_output '6'
}

@test "mlog-tail: -g -o end commits the end so the next run sees only new records" {
	seq 1 5 | mlog-append L
	run mlog-tail -g g -o end L
	assert_output ''
	echo 6 | mlog-append L
	run mlog-tail -g g L
	assert_output '6'
}

@test "mlog-tail: --commit=exit does not commit when the reader is killed" {
	seq 1 5 | mlog-append L
	mlog-tail -g g --commit=exit -f L >out 3>&- &
	pid=$!
	wait_for lines_in out 5
	kill -9 "$pid"
	wait "$pid" || true
	[ ! -e L/groups/g/offsets ]
	run mlog-tail -g g --commit=exit -c 2 L
	assert_output $'1\n2'
	run positions L/groups/g/offsets
	assert_output $'mlog-offsets 1\n0 2'
}

@test "mlog-tail: SIGTERM in follow mode commits what was written and exits 0" {
	seq 1 5 | mlog-append L
	mlog-tail -g g -f L >out 3>&- &
	pid=$!
	wait_for lines_in out 5
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 0
	run positions L/groups/g/offsets
	assert_output $'mlog-offsets 1\n0 5'
}

@test "mlog-tail: --commit=pending leaves the committed position alone until promoted" {
	seq 1 5 | mlog-append L
	mlog-tail -g g -c 2 L >/dev/null
	run mlog-tail -g g --commit=pending -c 2 L
	assert_output $'3\n4'
	run positions L/groups/g/offsets.pending
	assert_output $'mlog-offsets 1\n0 4'
	# the job failed: nothing promoted, the next run sees the same records
	run mlog-tail -g g --commit=pending -c 2 L
	assert_output $'3\n4'
	promote-pending L g
	[ ! -e L/groups/g/offsets.pending ]
	run mlog-tail -g g L
	assert_output '5'
}

@test "mlog-tail: -S keeps positions in a file of the user's" {
	seq 1 3 | mlog-append -P 2 -p 1 L
	run mlog-tail -S pos -c 2 L
	assert_output $'1\n2'
	run positions pos
	assert_output $'mlog-offsets 1\n0 0\n1 2'
	run mlog-tail -S pos L
	assert_output '3'
}

@test "mlog-tail: -S refuses a file that is not an offsets file and leaves it alone" {
	seq 1 3 | mlog-append L
	echo 'precious' >notes
	run mlog-tail -S notes L
	assert_failure 1
	assert_output 'mlog-tail: notes: not an mlog offsets file'
	run cat notes
	assert_output 'precious'
}

@test "mlog-tail: an invalid group name is a usage error" {
	echo x | mlog-append L
	long=$(printf '%0201d' 0)
	for g in '' . .. a/b / .hidden $'tab\tname' $'del\177' "$long"; do
		run mlog-tail -g "$g" L
		assert_failure 2
		assert_line -n 0 "mlog-tail: --group: invalid name (empty, over 200 bytes, starting with '.', or with '/' or control characters): $g"
	done
	[ ! -e L/groups ]
	run mlog-tail -g "${long%0}" -c 1 L
	assert_success
	assert_output x
	[ -d "L/groups/${long%0}" ]
}

@test "mlog-tail: a group behind the log start resumes at the start and says how much it missed" {
	seq 1 300 | mlog-append -s 1K L
	mlog-tail -g g -c 1 L >/dev/null
	# retention: drop the oldest segments
	first=$(ls L/p0/*.log | head -n 1)
	second=$(ls L/p0/*.log | sed -n 2p)
	start=$((10#$(basename "$second" .log)))
	rm "$first" "${first%.log}.idx"
	run mlog-tail -g g -c 1 L
	assert_success
	assert_line -n 0 "mlog-tail: L: partition 0: offsets 1 to $((start - 1)) were deleted by retention before they were read ($((start - 1)) records); continuing at $start"
	assert_line -n 1 "$((start + 1))"
}

@test "mlog-tail: conflicting and bad options are usage errors" {
	echo x | mlog-append L
	run mlog-tail -g a -S f L
	assert_failure 2
	assert_line -n 0 'mlog-tail: -g and -S cannot be used together'
	run mlog-tail -n 2 -o end L
	assert_failure 2
	assert_line -n 0 'mlog-tail: -n and -o cannot be used together'
	run mlog-tail -n 2 -o beginning L
	assert_failure 2
	assert_line -n 0 'mlog-tail: -n and -o cannot be used together'
	run mlog-tail -F 'x%' L
	assert_failure 2
	assert_line -n 0 "mlog-tail: --format: '%' at the end"
	run mlog-tail -o soon L
	assert_failure 2
	assert_line -n 0 'mlog-tail: --offset: expected beginning, end, N, -N or @TIME: soon'
	run mlog-tail -o @yesterday L
	assert_failure 2
	assert_line -n 0 'mlog-tail: --offset: bad time: yesterday'
	run mlog-tail -u @never L
	assert_failure 2
	assert_line -n 0 'mlog-tail: --until: bad time: never'
	run mlog-tail -u x L
	assert_failure 2
	assert_line -n 0 'mlog-tail: --until: expected OFFSET or @TIME: x'
	run mlog-tail -c 0 L
	assert_failure 2
	assert_line -n 0 'mlog-tail: --count: too small: 0'
	run mlog-tail --commit=sometimes L
	assert_failure 2
	assert_line -n 0 'mlog-tail: --commit: expected written, exit or pending: sometimes'
	run mlog-tail
	assert_failure 2
	assert_line -n 0 --partial 'usage: mlog-tail'
}

@test "mlog-tail: --help prints the options and exits 0" {
	run mlog-tail --help
	assert_success
	assert_line -n 0 --partial 'usage: mlog-tail'
	assert_line --partial '--follow'
}

@test "mlog-tail: a missing log or a directory that is not a log is an error" {
	run mlog-tail nothere
	assert_failure 1
	assert_output 'mlog-tail: nothere: No such file or directory'
	mkdir D
	touch D/x
	run mlog-tail D
	assert_failure 1
	assert_output 'mlog-tail: D: not an mlog log'
	[ ! -e D/meta ]
}

@test "mlog-tail: missing or damaged indexes do not change what a seek finds" {
	seq 0 49999 | mlog-append -s 128K L
	rm L/p0/00000000000000000000.idx
	for f in L/p0/*.idx; do head -c 100 /dev/urandom >>"$f"; break; done
	last=$(ls L/p0/*.idx | tail -n 1)
	dd if=/dev/urandom of="$last" bs=1 seek=40 count=64 conv=notrunc 2>/dev/null
	for n in 5 20000 33333 49999; do
		run mlog-tail -o "$n" -c 1 L
		assert_output "$n"
	done
	run mlog-tail -o @0 -c 1 L
	assert_output 0
	# a seek rebuilt the sealed segment's index on disk
	[ -s L/p0/00000000000000000000.idx ]
	# and appending repairs the active segment's index
	echo 50000 | mlog-append L
	run mlog-tail -o 49990 -c 1 L
	assert_output 49990
}

@test "mlog-tail: an index entry for offset 0 inside a record does not fail a seek" {
	seq 0 49999 | mlog-append -s 128K L
	# the first entry: relative offset 0 at byte 1000, inside a record
	printf '\000\000\000\000\350\003\000\000' |
		dd of=L/p0/00000000000000000000.idx bs=1 seek=16 conv=notrunc 2>/dev/null
	run mlog-tail -o 5 -c 1 L
	assert_success
	assert_output 5
}

@test "mlog-tail: a corrupt record before the last segment's tail is an error" {
	seq 1 300 | mlog-append -s 1K L
	first=$(ls L/p0/*.log | head -n 1)
	printf 'X' | dd of="$first" bs=1 seek=100 conv=notrunc 2>/dev/null
	run mlog-tail L
	assert_failure 1
	assert_line -n -1 'mlog-tail: L: partition 0: corrupt data'
}

@test "mlog-tail: damage followed by valid records in the last segment is an error, not a torn tail" {
	seq 1 300 | mlog-append -s 4K L
	last=$(ls L/p0/*.log | tail -n 1)
	printf '\377' | dd of="$last" bs=1 seek=300 conv=notrunc 2>/dev/null
	run mlog-tail -e L
	assert_failure 1
	assert_output 'mlog-tail: L: partition 0: corrupt data'
	# reading from an offset, it stops at the damage
	run mlog-tail -o 260 L
	assert_failure 1
	assert_output '261
262
263
264
265
mlog-tail: L: partition 0: corrupt data'
}

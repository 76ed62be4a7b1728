#!/usr/bin/env bats
# mlog-append: appending records from standard input.

load test_helper

@test "mlog-append: creates the log and appends each line as a record" {
	printf 'one\ntwo\nthree\n' | mlog-append L
	run mlog-tail -F '%o %s\n' L
	assert_success
	assert_output $'0 one\n1 two\n2 three'
	run cat L/meta
	assert_output $'mlog 1\npartitions 1\nsegment-bytes 134217728\nsegment-age-ms 604800000'
}

@test "mlog-append: a second run continues the offsets" {
	printf 'a\nb\n' | mlog-append L
	printf 'c\n' | mlog-append -O L >out
	run cat out
	assert_output '0 2'
	run mlog-tail L
	assert_output $'a\nb\nc'
}

@test "mlog-append: --print-offsets prints partition and offset per record in input order" {
	printf 'k1:a\nk2:b\nk1:c\nk3:d\n' | mlog-append -P 3 -K : -O L >out
	# the printed positions name exactly the records, line for line
	paste -d' ' out <(printf 'k1:a\nk2:b\nk1:c\nk3:d\n') | sort >want
	mlog-tail -F '%p %o %k:%s\n' L | sort >got
	run diff want got
	assert_success
}

@test "mlog-append: the last line needs no newline and empty lines are records" {
	printf 'a\n\nb' | mlog-append L
	run mlog-tail -F '[%s]\n' L
	assert_output $'[a]\n[]\n[b]'
}

@test "mlog-append: -0 splits records at NUL bytes and keeps newlines inside" {
	printf 'line one\nstill one\0two\0' | mlog-append -0 L
	run mlog-tail -F '%o=%s|' L
	assert_output $'0=line one\nstill one|1=two|'
}

@test "mlog-append: -K splits at the first delimiter; lines without it have no key" {
	printf 'user1=a=b\nno delimiter\n=empty key\n' | mlog-append -K = L
	run mlog-tail -J L
	assert_line -n 0 --partial '"key":"user1","value":"a=b"}'
	assert_line -n 1 --partial '"key":null,"value":"no delimiter"}'
	assert_line -n 2 --partial '"key":"","value":"empty key"}'
}

@test "mlog-append: keys are spread over partitions like Kafka's default partitioner" {
	# murmur2("foobar") & 0x7fffffff = 1357151166; % 3 = 0, % 4 = 2, % 5 = 1
	for n in 3 4 5; do
		echo 'foobar:v' | mlog-append -P "$n" -K : -O "L$n"
	done >out
	run cat out
	assert_output $'0 0\n2 0\n1 0'
}

@test "mlog-append: the same key always lands on the same partition" {
	for i in $(seq 1 200); do echo "key$((i % 7)):$i"; done |
		mlog-append -P 4 -K : L
	run sh -c "mlog-tail -F '%k %p\n' L | sort -u | cut -d' ' -f1 | uniq -d"
	assert_success
	assert_output ''
}

@test "mlog-append: unkeyed records go round robin, one partition per batch" {
	mkfifo in
	exec 7<>in
	mlog-append -P 3 -O L <in >out 3>&- &
	for i in 1 2 3 4 5 6; do
		echo "r$i" >&7
		wait_for lines_in out "$i"
	done
	exec 7>&-
	# consecutive batches take consecutive partitions
	run awk 'NR > 1 && $1 != (prev + 1) % 3 { bad = 1 } { prev = $1 } END { exit bad }' out
	assert_success
}

@test "mlog-append: separate runs of unkeyed records do not all land on one partition" {
	for i in $(seq 1 30); do echo "r$i" | mlog-append -P 3 -O L; done >out
	run sh -c "cut -d' ' -f1 out | sort -u | wc -l"
	[ "$output" -ge 2 ]
}

@test "mlog-append: -p appends to one partition" {
	printf 'x\ny\n' | mlog-append -P 3 -p 2 -O L >out
	run cat out
	assert_output $'2 0\n2 1'
}

@test "mlog-append: -p beyond the partitions is a usage error" {
	echo x | mlog-append -P 2 L
	run mlog-append -p 2 L </dev/null
	assert_failure 2
	assert_output 'mlog-append: --partition: 2 is out of range (the log has 2 partitions)'
}

@test "mlog-append: creation settings that disagree with the log are refused" {
	echo x | mlog-append -P 2 L
	run mlog-append -P 3 L </dev/null
	assert_failure 1
	assert_output 'mlog-append: L: the log has 2 partitions, not 3'
	run mlog-append -s 4K L </dev/null
	assert_failure 1
	assert_output 'mlog-append: L: the log has a segment size of 134217728 bytes, not 4096'
}

@test "mlog-append: a record over --max-record fails naming its line and keeps the lines before it" {
	printf 'aaaa\nbbbbbbbbbbbb\ncc\n' >in
	run mlog-append -m 5 -O L <in
	assert_failure 1
	assert_output $'0 0\nmlog-append: line 2: record of 12 bytes is longer than --max-record (5)'
	run mlog-tail L
	assert_output 'aaaa'
	run mlog-verify L
	assert_success
}

@test "mlog-append: an unterminated line over --max-record fails before reading it all" {
	{ echo ok; head -c 3000000 /dev/zero | tr '\0' x; } >in
	run mlog-append L <in
	assert_failure 1
	assert_output 'mlog-append: line 2: record is longer than --max-record (1048576)'
	run mlog-tail L
	assert_output 'ok'
}

@test "mlog-append: --max-record accepts records up to the limit" {
	head -c 2000000 /dev/zero | tr '\0' y >in
	mlog-append -m 2M L <in
	run sh -c 'mlog-tail L | wc -c'
	assert_output '2000001'
}

@test "mlog-append: -J turns mlog-tail -J output back into identical records" {
	printf 'k:v1\n:empty\nnokey\n' | mlog-append -P 2 -K : A
	printf '\377\000binary\n' | mlog-append -p 1 A
	mlog-tail -J A >env
	mlog-append -P 2 -J B <env
	run diff <(mlog-tail -J A) <(mlog-tail -J B)
	assert_success
	run grep -c value_base64 env
	assert_output 1
}

@test "mlog-append: -J keeps the envelope timestamp and stamps records without one" {
	printf '%s\n' '{"timestamp":1700000000000000,"value":"old"}' '{"value":"new"}' |
		mlog-append -J L
	run mlog-tail -F '%T %s\n' L
	assert_line -n 0 '1700000000000 old'
	refute_line -n 1 --partial '1700000000000'
}

@test "mlog-append: -J reports a bad envelope with its line number" {
	printf '%s\n' '{"value":"ok"}' '{"value":1}' >in
	run mlog-append -J L <in
	assert_failure 1
	assert_output 'mlog-append: line 2: bad envelope: expected a string'
	run mlog-tail L
	assert_output 'ok'
}

@test "mlog-append: -J without a value is refused" {
	run mlog-append -J L <<<'{"key":"k"}'
	assert_failure 1
	assert_output 'mlog-append: line 1: bad envelope: no "value" field'
}

@test "mlog-append: -J with a partition the log does not have is refused" {
	run mlog-append -J L <<<'{"partition":3,"value":"v"}'
	assert_failure 1
	assert_output 'mlog-append: line 1: partition 3 is out of range (the log has 1)'
}

@test "mlog-append: -J and -K together are a usage error" {
	run mlog-append -J -K : L </dev/null
	assert_failure 2
	assert_line -n 0 'mlog-append: -J and -K cannot be used together'
	assert_line -n 1 --partial 'usage: mlog-append'
}

@test "mlog-append: segments roll at --segment-size and every record stays readable" {
	seq 1 2000 | mlog-append -s 4K L
	run sh -c 'ls L/p0/*.log | wc -l'
	[ "$output" -gt 5 ]
	run sh -c 'mlog-tail L | md5sum'
	assert_output "$(seq 1 2000 | md5sum)"
	for f in L/p0/*.log; do [ "$(stat -c %s "$f")" -le 4096 ]; done
	run mlog-verify L
	assert_success
}

@test "mlog-append: a segment is named by the offset of its first record" {
	seq 1 500 | mlog-append -s 1K L
	for f in L/p0/*.log; do
		base=$((10#$(basename "$f" .log)))
		first=$(mlog-tail -F '%o\n' -o "$base" -c 1 L)
		[ "$first" -eq "$base" ]
	done
}

@test "mlog-append: segments roll once older than --segment-age" {
	echo first | mlog-append -A 1ms L
	# a new process starts well over a millisecond later
	echo second | mlog-append L
	run sh -c 'ls L/p0/*.log | wc -l'
	assert_output 2
	run mlog-tail L
	assert_output $'first\nsecond'
}

@test "mlog-append: a segment header created at the oldest time there is rolls" {
	echo first | mlog-append L
	# the i64 creation time at byte 16: INT64_MIN, as damage may leave it
	printf '\000\000\000\000\000\000\000\200' |
		dd of=L/p0/00000000000000000000.log bs=1 seek=16 conv=notrunc 2>/dev/null
	echo second | mlog-append L
	run sh -c 'ls L/p0/*.log | wc -l'
	assert_output 2
	run mlog-tail L
	assert_output $'first\nsecond'
}

@test "mlog-append: --fsync always and interval append the same records" {
	seq 1 100 | mlog-append -y always A
	seq 1 100 | mlog-append --fsync=interval:10ms B
	seq 1 100 | mlog-append --fsync=never C
	run diff <(mlog-tail A) <(mlog-tail B)
	assert_success
	run diff <(mlog-tail A) <(mlog-tail C)
	assert_success
}

@test "mlog-append: bad option values are usage errors" {
	run mlog-append -y sometimes L </dev/null
	assert_failure 2
	assert_line -n 0 'mlog-append: --fsync: expected never, interval[:DUR] or always: sometimes'
	run mlog-append -y interval:soon L </dev/null
	assert_failure 2
	assert_line -n 0 'mlog-append: --fsync: bad interval: soon'
	run mlog-append -s 10 L </dev/null
	assert_failure 2
	assert_line -n 0 'mlog-append: --segment-size: bad size (1K to 1G): 10'
	run mlog-append -P 0 L </dev/null
	assert_failure 2
	assert_line -n 0 'mlog-append: --partitions: too small (1 to 1024): 0'
	run mlog-append -m 0 L </dev/null
	assert_failure 2
	assert_line -n 0 'mlog-append: --max-record: bad size (1 to 256M): 0'
	run mlog-append -m 257M L </dev/null
	assert_failure 2
	assert_line -n 0 'mlog-append: --max-record: bad size (1 to 256M): 257M'
	run mlog-append -A forever L </dev/null
	assert_failure 2
	assert_line -n 0 'mlog-append: --segment-age: bad duration: forever'
	run mlog-append -K '' L </dev/null
	assert_failure 2
	assert_line -n 0 'mlog-append: --key-delimiter: empty delimiter'
	run mlog-append </dev/null
	assert_failure 2
	assert_line -n 0 --partial 'usage: mlog-append'
	[ ! -e L ]
}

@test "mlog-append: --help prints the options and exits 0" {
	run mlog-append --help
	assert_success
	assert_line -n 0 --partial 'usage: mlog-append'
	assert_line --partial '--print-offsets'
}

@test "mlog-append: a directory that is not a log is refused" {
	mkdir D
	touch D/notes.txt
	run mlog-append D <<<'x'
	assert_failure 1
	assert_output 'mlog-append: D: not an mlog log'
}

@test "mlog-append: an unwritable location is a clear error" {
	run mlog-append /proc/nolog <<<'x'
	assert_failure 1
	assert_output --partial 'mlog-append: /proc/nolog: '
}

@test "mlog-append: a line is readable while the input stays open" {
	mkfifo in
	# hold the fifo open so mlog-append never sees end of input
	exec 7<>in
	mlog-append L <in 3>&- &
	pid=$!
	echo first >&7
	wait_for sh -c '[ "$(mlog-tail L 2>/dev/null)" = first ]'
	echo second >&7
	wait_for sh -c '[ "$(mlog-tail L | tail -n 1)" = second ]'
	kill "$pid"
	exec 7>&-
	wait "$pid" || true
}

@test "mlog-append: SIGTERM appends the records already read, then ends by the signal" {
	mkfifo in
	exec 7<>in
	mlog-append -O L <in >out 3>&- &
	pid=$!
	printf 'a\nb\n' >&7
	wait_for lines_in out 2
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 143
	exec 7>&-
	run mlog-tail L
	assert_output $'a\nb'
}

@test "mlog-append: damage followed by valid records in the last segment is not cut as a torn tail" {
	seq 1 300 | mlog-append -s 4K L
	last=$(ls L/p0/*.log | tail -n 1)
	printf '\377' | dd of="$last" bs=1 seek=300 conv=notrunc 2>/dev/null
	cp "$last" before
	run mlog-append L <<<new
	assert_failure 1
	assert_output "mlog-append: L: partition 0: segment $(basename "$last" .log) is damaged at byte 280 and valid records follow: not cut; run mlog-check --repair
mlog-append: L: partition 0: corrupt data (input from line 1 on was not appended)"
	cmp before "$last"
}

@test "mlog-append: -J refuses timestamps outside the years 0000 to 9999" {
	run mlog-append -J L <<<'{"timestamp":253402300800000000,"value":"x"}'
	assert_failure 1
	assert_output 'mlog-append: line 1: bad envelope: timestamp out of range (years 0000 to 9999)'
	run mlog-append -J L <<<'{"timestamp":-62167219200000001,"value":"x"}'
	assert_failure 1
	assert_output 'mlog-append: line 1: bad envelope: timestamp out of range (years 0000 to 9999)'
	printf '{"timestamp":%s,"value":"x"}\n' 253402300799999999 -62167219200000000 | mlog-append -J L
	run mlog-tail -F '%T\n' L
	assert_output '253402300799999
-62167219200000'
}

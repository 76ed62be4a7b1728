#!/usr/bin/env bats
# Crash and fault tests of the log: appenders killed at random moments,
# segments cut at every byte of their tail, concurrent appenders, a reader
# beside a writer, and write errors (file size limit, injected faults).
# The log's own checker is mlog-verify (tests/helpers/mlog-verify.c); faults
# are injected with the LD_PRELOAD shim tests/helpers/faultinject.c.

load test_helper
bats_require_minimum_version 1.5.0

# gen PREFIX N: the lines "PREFIX line 1" .. "PREFIX line N".
gen() {
	awk -v p="$1" -v n="$2" 'BEGIN { for (i = 1; i <= n; i++)
	    print p " line " i }'
}

# dump LOG: every record of LOG as "PARTITION OFFSET VALUE".
dump() {
	mlog-tail -F '%p %o %s\n' -e "$1"
}

# appended OFFSETS ARGS...: mlog-append -O ARGS, offsets into OFFSETS.
appended() {
	local off=$1
	shift
	mlog-append -O "$@" >"$off"
}

# What an appender says when it cuts the tail a killed one left.
cut_re='^mlog-append: log: partition 0: cut a torn tail of [0-9]+ bytes \(1 incomplete record\) at byte [0-9]+ of segment [0-9]{20}$'

# expected OFFSETS...: for each file of printed offsets (named X.NAME, the
# input from gen NAME), the records those offsets must hold, in dump's
# format.  A last line without its newline was cut by a kill: it is not a
# reported offset.
expected() {
	local f
	for f in "$@"; do
		if tail -c1 "$f" | grep -q .; then
			sed '$d' "$f"
		else
			cat "$f"
		fi | awk -v name="${f#*.}" '{ print $1, $2, name " line " NR }'
	done
}

# holds DUMP EXPECTED: every expected record is in the dump, unchanged.
holds() {
	local missing
	missing=$(LC_ALL=C comm -23 <(LC_ALL=C sort "$2") \
	    <(LC_ALL=C sort "$1") | head -5)
	[ -z "$missing" ] || fail "printed offsets missing from the log or \
holding other records (first 5): $missing"
}

# in_order DUMP [PREFIX]: for each (partition, writer), the line numbers of
# the writer's records ("WRITER line N") increase; with PREFIX 1 they are
# 1, 2, 3, ... and each writer's records form one block.
in_order() {
	awk -v prefix="${2:-0}" '
	function bad(m) { print "record " $1 " " $2 ": " m ": " $0; exit 1 }
	$4 != "line" { next }
	{
		w = $3; l = $5 + 0; k = $1 " " w
		if (prefix && w != cur) {
			if (w in done) bad("writer " w " again after " cur)
			done[w] = 1; cur = w
		}
		if (prefix ? l != last[k] + 1 : l <= last[k])
			bad("line " l " after line " last[k])
		last[k] = l
	}' "$1"
}

@test "mlog-append: kill -9 at random moments loses no reported offset and leaves a valid log" {
	local runs n=30000 r pid rc t0 t1 us delay seed killed=0 cuts
	local -a files
	seed=${MLOG_CRASH_SEED:-$SRANDOM}
	RANDOM=$seed
	echo "seed $seed (rerun with MLOG_CRASH_SEED=$seed)"
	runs=$(scaled 200 20)
	mlog-append -s 256K log </dev/null

	# run 0 is not killed: it measures how long one append takes
	gen r0 "$n" >in
	t0=$EPOCHREALTIME
	mlog-append -O log <in >off.r0
	t1=$EPOCHREALTIME
	us=$(( ${t1//[.,]/} - ${t0//[.,]/} ))
	[ "$(wc -l <off.r0)" -eq "$n" ]

	for ((r = 1; r <= runs; r++)); do
		gen "r$r" "$n" >in
		# a leak check interrupted by SIGKILL would only add noise
		ASAN_OPTIONS=detect_leaks=0 \
		mlog-append -O log <in >"off.r$r" 2>"err.r$r" 3>&- &
		pid=$!
		delay=$(( (RANDOM << 15 | RANDOM) % us ))
		sleep "$(printf '%d.%06d' $((delay / 1000000)) \
		    $((delay % 1000000)))"
		kill -9 "$pid" 2>/dev/null || true
		rc=0
		wait "$pid" || rc=$?
		case $rc in
		0)	;;
		137)	killed=$((killed + 1)) ;;
		*)	fail "run $r: exit status $rc: $(cat "err.r$r")" ;;
		esac
	done
	# an appender only ever reports the torn tail it cut
	if grep -v -h -E "$cut_re" err.* >bad; then
		fail "unexpected errors: $(head -5 bad)"
	fi
	cuts=$(cat err.* | wc -l)
	echo "# $killed of $runs runs killed, $cuts torn tails cut, \
$(( us / 1000 )) ms per run" >&3

	run --separate-stderr mlog-append -O log <<<"final"
	assert_success
	assert_output --regexp '^0 [0-9]+$'
	[[ -z $stderr || $stderr =~ $cut_re ]] || fail "final append: $stderr"

	dump log >all 2>err
	assert_equal "$(cat err)" ""
	run mlog-verify log
	assert_success
	assert_equal "$(tail -n 1 all)" "0 $(( $(wc -l <all) - 1 )) final"
	for ((r = 0; r <= runs; r++)); do
		files+=("off.r$r")
	done
	expected "${files[@]}" >want
	holds all want
	run in_order all 1
	assert_success
}

# last_segment_layout BASE LOG: "OFFSET POSITION" for every record of the
# segment BASE of partition 0 (the last one), then "end SIZE".
last_segment_layout() {
	local base=$1 log=$2
	mlog-tail -F '%o %S\n' -e "$log" | awk -v base="$base" '
	    BEGIN { pos = 24 }
	    $1 >= base { print $1, pos; pos += 29 + $2 }
	    END { print "end", pos }'
}

@test "mlog-append: a segment cut at any byte of its last three records loses only the cut records" {
	local name base rel size x b k first j
	local -a offs starts segs
	# find how many records put an index entry on the second to last
	# record of the second segment: the cut then also runs through it
	gen rec 400 | mlog-append -s 8K probe
	segs=(probe/p0/*.log)
	name=${segs[1]##*/}
	name=${name%.log}
	read -r rel _ < <(od -An -tu4 -j16 -N8 "probe/p0/$name.idx")
	base=$((10#$name))
	gen rec $((base + rel + 2)) | mlog-append -s 8K log
	segs=(log/p0/*.log)
	assert_equal "${segs[-1]}" "log/p0/$name.log"
	dump log >full

	while read -r o p; do
		offs+=("$o")
		starts+=("$p")
	done < <(last_segment_layout "$base" log)
	size=$(stat -c %s "log/p0/$name.log")
	assert_equal "${starts[-1]}" "$size"
	j=$(( ${#starts[@]} - 4 ))
	first=${starts[j]}
	assert_equal "${offs[j+1]}" $((base + rel))

	for ((x = first; x < size; x++)); do
		while [ "${starts[j+1]}" -le "$x" ]; do
			j=$((j + 1))
		done
		b=${starts[j]}
		k=${offs[j]}
		# a record's first two and last bytes always; the others scaled
		((x - b < 2 || x + 1 == starts[j + 1])) || sampled $((x - b)) ||
			continue
		echo "cut at byte $x: $k complete records"
		rm -rf cut
		cp -r log cut
		truncate -s "$x" "cut/p0/$name.log"
		run mlog-append cut <<<"new"
		assert_success
		if [ "$x" -eq "$b" ]; then
			assert_output ""
		else
			assert_output "mlog-append: cut: partition 0: cut a torn tail of $((x - b)) bytes (1 incomplete record) at byte $b of segment $name"
		fi
		assert_equal "$(dump cut)" "$(head -n "$k" full; echo "0 $k new")"
		# the index may have pointed past the cut: seek through it
		assert_equal "$(mlog-tail -o $((k - 1)) -e cut)" \
		    "$(sed -n "${k}p" <(gen rec "$k"); echo new)"
		run mlog-verify cut
		assert_success
	done
}

@test "mlog-append: a bad CRC in the last record of the last segment cuts that record" {
	local size
	gen rec 5 | mlog-append log
	size=$(stat -c %s log/p0/00000000000000000000.log)
	# each record is 39 bytes (29 of header, "rec line N"): flip the last
	# byte of the record at offset 4, the last
	[ "$size" -eq $((24 + 5 * 39)) ]
	printf X | dd of=log/p0/00000000000000000000.log bs=1 \
	    seek=$((24 + 5 * 39 - 1)) conv=notrunc status=none
	run mlog-append log <<<"new"
	assert_success
	assert_output "mlog-append: log: partition 0: cut a torn tail of 39 bytes (1 incomplete record) at byte $((24 + 4 * 39)) of segment 00000000000000000000"
	assert_equal "$(dump log | tail -n 2)" "$(printf '0 3 rec line 4\n0 4 new')"
	run mlog-verify log
	assert_success
}

@test "mlog-append: a bad CRC with valid records after it is damage: nothing is cut, nothing appended" {
	gen rec 5 | mlog-append log
	printf X | dd of=log/p0/00000000000000000000.log bs=1 \
	    seek=$((24 + 3 * 39 - 1)) conv=notrunc status=none
	cp log/p0/00000000000000000000.log before
	run mlog-append log <<<"new"
	assert_failure 1
	assert_output "mlog-append: log: partition 0: segment 00000000000000000000 is damaged at byte $((24 + 2 * 39)) and valid records follow: not cut; run mlog-check --repair
mlog-append: log: partition 0: corrupt data (input from line 1 on was not appended)"
	cmp before log/p0/00000000000000000000.log
}

@test "mlog-tail: a record cut short at the end of the log is not printed, and is reported" {
	printf 'one\ntwo\nthree\n' | mlog-append log
	# "one" and "two" take 24..88; "three" loses its last 22 bytes
	truncate -s 100 log/p0/00000000000000000000.log
	run --separate-stderr mlog-tail log
	assert_success
	assert_output $'one\ntwo'
	assert_equal "$stderr" "mlog-tail: log: partition 0: ignored a torn tail of 12 bytes (the next mlog-append cuts it)"
	# a reader repairs nothing
	assert_equal "$(stat -c %s log/p0/00000000000000000000.log)" 100
	run mlog-verify log
	assert_failure 1
	assert_output "mlog-verify: log: partition 0: segment 00000000000000000000.log holds 100 bytes, its header and records end at byte 88"
}

@test "mlog-tail: a record with a bad CRC at the end of the log is not printed, and is reported" {
	printf 'one\ntwo\nthree\n' | mlog-append log
	printf X | dd of=log/p0/00000000000000000000.log bs=1 seek=121 \
	    conv=notrunc status=none
	run --separate-stderr mlog-tail log
	assert_success
	assert_output $'one\ntwo'
	assert_equal "$stderr" "mlog-tail: log: partition 0: ignored a torn tail of 34 bytes (the next mlog-append cuts it)"
	run mlog-verify log
	assert_failure 1
	assert_output "mlog-verify: log: partition 0: segment 00000000000000000000.log holds 122 bytes, its header and records end at byte 88"
}

# concurrent_appenders ARGS...: 4 appenders of 50k records each, fed
# through pipes so that they write many small batches at once.
concurrent_appenders() {
	local w rc
	local -a pids
	mlog-append "$@" log </dev/null
	for w in 1 2 3 4; do
		gen "w$w" 50000 | mlog-append -O log >"off.w$w" 2>"err.w$w" 3>&- &
		pids+=($!)
	done
	for w in 1 2 3 4; do
		rc=0
		wait "${pids[w-1]}" || rc=$?
		[ "$rc" -eq 0 ] || fail "appender $w: exit status $rc: $(cat "err.w$w")"
		[ ! -s "err.w$w" ] || fail "appender $w: $(cat "err.w$w")"
	done
	dump log >all
	# every record at the offset printed for it, and nothing else
	expected off.w1 off.w2 off.w3 off.w4 >want
	[ "$(wc -l <want)" -eq 200000 ]
	[ "$(wc -l <all)" -eq 200000 ]
	holds all want
	run in_order all
	assert_success
}

@test "mlog-append: 4 concurrent appenders keep every record once, in order, at contiguous offsets" {
	concurrent_appenders -s 16K
	run mlog-verify log
	assert_success
	assert_output "partition 0: 200000 records, offsets 0..199999"
}

@test "mlog-append: 4 concurrent appenders into 3 partitions keep every record once, in order" {
	concurrent_appenders -s 16K -P 3
	run mlog-verify log
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	assert_line --index 0 --regexp '^partition 0: ([0-9]+ records, offsets 0\.\.[0-9]+|0 records, next offset 0)$'
	assert_line --index 1 --regexp '^partition 1: ([0-9]+ records, offsets 0\.\.[0-9]+|0 records, next offset 0)$'
	assert_line --index 2 --regexp '^partition 2: ([0-9]+ records, offsets 0\.\.[0-9]+|0 records, next offset 0)$'
}

@test "mlog-tail: a follower beside a writer sees every record once, in order, whole" {
	local tail
	awk 'BEGIN { for (i = 1; i <= 100000; i++) printf "record %d %s\n", i,
	    substr("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 1, i % 37) }' >in
	mlog-append -s 4K log </dev/null
	mlog-tail -f log >out 2>err 3>&- &
	tail=$!
	# one write per line: the appender writes many small batches
	awk '{ print; fflush() }' in | mlog-append -y never log
	wait_for lines_in out 100000 ||
	    echo "the follower printed $(wc -l <out) of 100000 records"
	kill "$tail"
	wait "$tail" || true
	if ! diff in out >changes; then
		fail "the follower's output differs from the input: \
$(grep -c '^<' changes) records missing, $(grep -c '^>' changes) extra; \
first lines of the diff:
$(head -n 12 changes)"
	fi
	assert_equal "$(cat err)" ""
}

# limited_append BLOCKS ARGS...: mlog-append -O ARGS >off under ulimit -f.
limited_append() (
	ulimit -f "$1"
	shift
	exec mlog-append -O "$@" >off
)

# appended_prefix LOG K: LOG holds "input line 1" .. "input line K" at
# offsets 0..K-1, the records whose offsets were printed in off; it
# verifies, and takes one more record.
appended_prefix() {
	assert_equal "$(cat off)" "$(seq 0 $(($2 - 1)) | sed 's/^/0 /')"
	assert_equal "$(dump "$1")" \
	    "$(gen input "$2" | awk '{ print 0, NR - 1, $0 }')"
	run mlog-verify "$1"
	assert_success
	run mlog-append -O "$1" <<<"after"
	assert_success
	assert_output "0 $2"
	run mlog-verify "$1"
	assert_success
}

@test "mlog-append: a full file size limit (EFBIG) stops with the first line not appended" {
	local k
	gen input 100000 >in
	run limited_append 2500 log <in
	assert_failure 1
	k=$(wc -l <off)
	[ "$k" -gt 0 ] && [ "$k" -lt 100000 ]
	assert_output "mlog-append: log: partition 0: File too large (input from line $((k + 1)) on was not appended)"
	appended_prefix log "$k"
}

@test "mlog-append: a full disk (ENOSPC) mid-batch undoes the batch and names the first line not appended" {
	local k
	gen input 100000 >in
	# 64K segments: a batch spans many; the 40th segment write fails
	mlog-append -s 64K log </dev/null
	run faulty write:40:ENOSPC:.log appended off log <in
	assert_failure 1
	k=$(wc -l <off)
	[ "$k" -gt 0 ] && [ "$k" -lt 100000 ]
	assert_output "mlog-append: log: partition 0: No space left on device (input from line $((k + 1)) on was not appended)"
	appended_prefix log "$k"
}

@test "mlog-append: a short segment write is completed" {
	gen input 100000 >in
	mlog-append -s 64K log </dev/null
	run faulty write:2:short:.log appended off log <in
	assert_success
	assert_output ""
	appended_prefix log 100000
}

@test "mlog-append: an interrupted segment write (EINTR) is retried" {
	gen input 100000 >in
	mlog-append -s 64K log </dev/null
	run faulty write:2:EINTR:.log appended off log <in
	assert_success
	assert_output ""
	appended_prefix log 100000
}

@test "mlog-append: a failed fdatasync with --fsync=always appends nothing and says so" {
	gen input 10 >in
	mlog-append log </dev/null
	run faulty fsync:1:EIO appended off -y always log <in
	assert_failure 1
	assert_output "mlog-append: log: partition 0: Input/output error (input from line 1 on was not appended)"
	appended_prefix log 0
}

@test "mlog-tail: a failed segment read stops with the error" {
	gen input 10 | mlog-append log
	run faulty read:1:EIO:.log mlog-tail -e log
	assert_failure 1
	assert_output "mlog-tail: log: partition 0: Input/output error"
}

@test "mlog-tail: kill -9 during commits leaves the old or the new positions, never garbage" {
	seq 1 20000 | mlog-append -P 2 log
	mlog-tail -g g -c 1 log >/dev/null
	runs=$(scaled 60 10)
	for ((r = 0; r < runs; r++)); do
		ASAN_OPTIONS=detect_leaks=0 mlog-tail -g g -c 50 log >/dev/null 3>&- &
		pid=$!
		sleep "0.00$((RANDOM % 10))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" || true
		run mlog-offset -J -g g log
		assert_success
	done
	# whatever was committed, the next run continues after it
	before=$(mlog-offset -J -g g log | jq '[.partitions[].current // 0] | add')
	run mlog-tail -g g -c 1 log
	assert_success
	after=$(mlog-offset -J -g g log | jq '[.partitions[].current // 0] | add')
	[ "$after" -eq $((before + 1)) ]
}

@test "mlog-tail: a failed commit (rename fails) is an error and keeps the old positions" {
	seq 1 10 | mlog-append log
	mlog-tail -g g -c 3 log >/dev/null
	run faulty rename:2:EIO mlog-tail -g g -c 2 log
	assert_failure 1
	assert_line -n -1 'mlog-tail: g: commit: Input/output error'
	run positions log/groups/g/offsets
	assert_output $'mlog-offsets 1\n0 3'
}

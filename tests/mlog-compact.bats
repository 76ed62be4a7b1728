#!/usr/bin/env bats
# mlog-compact: the latest record of each key (checked against a jq
# reference), tombstones and their retention, unkeyed records, the active
# segment, partitions, merging, idempotence, dry runs, consumers and seeks
# across the gaps, kill -9 at any moment, a follower during a compaction,
# concurrency with other runs and with mlog-trim, and errors.

load test_helper
bats_require_minimum_version 1.5.0

T0=1700000000000000	# 2023-11-14T22:13:20Z, in microseconds
DAY=86400000000		# a day, in microseconds

# gen N KEYS [PARTITIONS] [TS0]: N envelopes one second apart from TS0
# (default T0), in partition I % PARTITIONS: keys k0..k(KEYS-1) in a mixed
# order, every 17th record without a key; values "vI", null (every 19th),
# the text null (every 23rd) or empty (every 29th).
gen() {
	awk -v n="$1" -v keys="$2" -v parts="${3:-1}" -v t0="${4:-$T0}" '
	BEGIN {
		for (i = 0; i < n; i++) {
			if (i % 19 == 5)
				v = "null"
			else if (i % 23 == 7)
				v = "\"null\""
			else if (i % 29 == 11)
				v = "\"\""
			else
				v = "\"v" i "\""
			k = i % 17 == 3 ? "" : sprintf(",\"key\":\"k%d\"",
			    (i * 7 + int(i / 13)) % keys)
			printf "{\"partition\":%d,\"timestamp\":%.0f%s,\"value\":%s}\n",
			    i % parts, t0 + i * 1000000, k, v
		}
	}'
}

# actives LOG: {"PARTITION": base of its last (active) segment, ...}
actives() {
	local d f sep='{'
	for d in "$1"/p*; do
		f=$(ls "$d"/*.log | tail -n 1)
		f=${f##*/}
		printf '%s"%s":%d' "$sep" "${d##*/p}" "$((10#${f%.log}))"
		sep=,
	done
	echo '}'
}

# The input's records numbered as the log numbers them (offsets count per
# partition, 0 when none is given), then what compaction keeps: each key's latest record unless
# it is a tombstone older than $cutoff, every record without a key, and
# every record of the active segments.  With $what "dropped", the number
# of tombstones that go instead.
REF_JQ='
def tomb: .value == null or .value == "null" or ($empty and .value == "");
map(.partition //= 0) | to_entries | group_by(.value.partition)
| map(sort_by(.key) | to_entries | map(.value.value + {offset: .key}))
| add
| map({offset, partition, timestamp, key, value})
| (map(select(.key != null))
    | reduce .[] as $r ({}; .[[$r.partition, $r.key] | tojson] = $r.offset))
    as $latest
| map(. + {active: (.offset >= $active[.partition | tostring]),
    latest: (.key != null and $latest[[.partition, .key] | tojson] == .offset),
    old: (tomb and .timestamp < $cutoff)})
| if $what == "dropped" then
    [.[] | select(.latest and .old and (.active | not))] | length
  else
    .[] | select(.active or .key == null or (.latest and (.old | not)))
    | {offset, partition, timestamp, key, value}
  end'

# reference INPUT ACTIVES [CUTOFF [EMPTY [WHAT]]]: what mlog-tail -J -e
# prints after compaction, partition after partition; CUTOFF defaults to a
# day ago, EMPTY (true: --tombstone empty) to false.
reference() {
	jq -c -s --argjson active "$2" \
	    --argjson cutoff "${3:-$(($(date +%s%6N) - DAY))}" \
	    --argjson empty "${4:-false}" --arg what "${5:-records}" \
	    "$REF_JQ" "$1"
}

# dump LOG: mlog-tail -J -e, partition after partition.
dump() {
	local d
	for d in "$1"/p*; do
		mlog-tail -J -e -p "${d##*/p}" "$1"
	done
}

# sealed_bytes LOG [P]: bytes of partition P's segments but the last.
sealed_bytes() {
	ls "$1/p${2:-0}"/*.log | head -n -1 | xargs -r stat -c %s |
	    awk '{ n += $1 } END { print n + 0 }'
}

# sealed_count LOG [P]: partition P's segments but the last.
sealed_count() {
	echo $(( $(ls "$1/p${2:-0}"/*.log | wc -l) - 1 ))
}

# sums LOG: every file of LOG with its checksum.
sums() {
	(cd "$1" && find . -type f | LC_ALL=C sort | xargs md5sum)
}

# seal LOG: a record bigger than the segments of the tests (-s 1K, 4K):
# what was appended before it is in sealed segments, the active one holds
# only it.
seal() {
	printf '%5000s\n' '' | tr ' ' x | mlog-append "$1"
}

# at TS KEY VALUE: an envelope; KEY - for none, VALUE raw JSON.
at() {
	if [ "$2" = - ]; then
		printf '{"timestamp":%s,"value":%s}\n' "$1" "$3"
	else
		printf '{"timestamp":%s,"key":"%s","value":%s}\n' "$1" "$2" "$3"
	fi
}

# held FILE: is FILE flock(2)ed by someone?
held() {
	# not by trying the lock: a try would hold it for a moment and make
	# the holder-to-be fail
	[ -e "$1" ] &&
	    grep -v -- '->' /proc/locks | grep -q "FLOCK .*:$(stat -c %i "$1") "
}

# waiting_on FILE: is a process blocked waiting for FILE's flock(2)?
waiting_on() {
	grep -q -- "-> FLOCK .*:$(stat -c %i "$1") " /proc/locks
}

@test "mlog-compact: keeps each key's latest record, unkeyed records and the active segment, at their offsets (as jq computes them)" {
	local active keys before after dropped
	gen 3000 40 >in
	mlog-append -J -s 4K L <in
	active=$(actives L)
	[ "$(sealed_count L)" -gt 20 ]
	reference in "$active" >want
	keys=$(jq -s '[.[] | select(.key != null) | .key] | unique | length' in)
	before=$(jq '."0"' <<<"$active")
	after=$(jq -s "[.[] | select(.offset < $before)] | length" want)
	dropped=$(reference in "$active" '' false dropped)
	[ "$dropped" -gt 0 ]
	cp -r L L.orig
	run mlog-compact L
	assert_success
	assert_output "partition 0: keys $keys, segments $(sealed_count L.orig) -> $(sealed_count L), records $before -> $after (removed $((before - after)), tombstones dropped $dropped), bytes $(sealed_bytes L.orig) -> $(sealed_bytes L)"
	dump L >got
	assert_equal "$(cat got)" "$(cat want)"
	run mlog-verify L
	assert_success
	assert_output "partition 0: $(wc -l <want) records, offsets 0..2999"
}

@test "mlog-compact: a tombstone goes once older than --delete-retention, and takes its key's older records with it" {
	local now=$(date +%s%6N)
	{
		at $((now - 3 * DAY)) a '"a1"'
		at $((now - 3 * DAY)) b '"b1"'
		at $((now - 3 * DAY)) c '"c1"'
		at $((now - 3 * DAY)) d '"d1"'
		at $((now - 2 * DAY)) a null
		at $((now - 3600000000)) b '"null"'
		at $((now - 7200000000)) c null
		at $((now - 2 * DAY)) d '"d2"'
	} | mlog-append -J -s 1K L
	seal L
	cp -r L L1
	cp -r L L2
	run mlog-compact L
	assert_success
	assert_output "partition 0: keys 4, segments 1 -> 1, records 8 -> 3 (removed 5, tombstones dropped 1), bytes $(sealed_bytes L1) -> $(sealed_bytes L)"
	run mlog-tail -F '%o %k %s\n' -e -u 8 L
	assert_output $'5 b null\n6 c \n7 d d2'
	# 90 minutes: c's tombstone, two hours old, goes; b's stays
	run mlog-compact --delete-retention 90m L1
	assert_success
	run mlog-tail -F '%o %k %s\n' -e -u 8 L1
	assert_output $'5 b null\n7 d d2'
	# 0: every tombstone goes at once
	run mlog-compact -q -d 0 L2
	assert_success
	assert_output ''
	run mlog-tail -F '%o %k %s\n' -e -u 8 L2
	assert_output '7 d d2'
}

@test "mlog-compact: --tombstone empty makes empty values tombstones too" {
	local now=$(date +%s%6N)
	{
		at $T0 a '"a1"'
		at $T0 a '""'
		at $T0 b '"b1"'
		at $T0 b '"null"'
		at $T0 c '"c1"'
	} | mlog-append -J -s 1K L
	seal L
	cp -r L E
	run mlog-compact L
	assert_success
	run mlog-tail -F '%o %k [%s]\n' -e -u 5 L
	assert_output $'1 a []\n4 c [c1]'
	run mlog-compact --tombstone=empty E
	assert_success
	assert_output --partial 'records 5 -> 1 (removed 4, tombstones dropped 2)'
	run mlog-tail -F '%o %k [%s]\n' -e -u 5 E
	assert_output '4 c [c1]'
	# and the reference agrees on a larger input, where two keys end
	# with an empty value
	{
		gen 2000 30
		at $T0 k1 '""'
		at $T0 k2 '""'
	} >in
	mlog-append -J -s 4K G <in
	seal G
	run mlog-compact -t empty G
	assert_success
	dump G | sed '$d' >got
	reference in "$(actives G)" '' true >want
	assert_equal "$(cat got)" "$(cat want)"
	reference in "$(actives G)" >without
	run cmp -s want without
	assert_failure
}

@test "mlog-compact: records without a key all stay, an empty key is a key" {
	{
		at $T0 - '"same"'
		at $T0 - '"same"'
		at $T0 '' '"e1"'
		at $T0 - '"same"'
		at $T0 '' '"e2"'
		at $T0 k '"k1"'
		at $T0 k '"k2"'
	} | mlog-append -J -s 1K L
	seal L
	run mlog-compact L
	assert_success
	assert_output --partial 'keys 2, segments 1 -> 1, records 7 -> 5 (removed 2, tombstones dropped 0)'
	run mlog-tail -J -e -u 7 L
	assert_output "$(cat <<EOF
{"offset":0,"partition":0,"timestamp":$T0,"key":null,"value":"same"}
{"offset":1,"partition":0,"timestamp":$T0,"key":null,"value":"same"}
{"offset":3,"partition":0,"timestamp":$T0,"key":null,"value":"same"}
{"offset":4,"partition":0,"timestamp":$T0,"key":"","value":"e2"}
{"offset":6,"partition":0,"timestamp":$T0,"key":"k","value":"k2"}
EOF
)"
}

@test "mlog-compact: the active segment stays byte for byte, and a key updated there loses all its sealed records" {
	local last i filler
	for ((i = 0; i < 200; i++)); do
		at $((T0 + i)) "k$((i % 5))" "\"v$i\""
	done | mlog-append -J -s 1K L
	# x updated in the active segment only, y in sealed ones only
	for ((i = 0; i < 5; i++)); do
		at $T0 x "\"x$i\""
		at $T0 y "\"y$i\""
	done | mlog-append -J L
	seal L
	at $T0 x '"x-last"' | mlog-append -J L
	last=$(ls L/p0/*.log | tail -n 1)
	cp "$last" active.before
	cp "${last%.log}.idx" active-idx.before
	run mlog-compact L
	assert_success
	cmp "$last" active.before
	cmp "${last%.log}.idx" active-idx.before
	filler=$(printf '%5000s' '' | tr ' ' x)
	run mlog-tail -F '%k %s\n' -e L
	assert_output "$(printf 'k0 v195\nk1 v196\nk2 v197\nk3 v198\nk4 v199\ny y4\n %s\nx x-last' "$filler")"
}

@test "mlog-compact: compacts every partition, or one with -p, each on its own" {
	local p
	gen 3000 40 3 >in
	mlog-append -J -P 3 -s 4K L <in
	cp -r L L.orig
	sums L >before
	run mlog-compact -p 1 L
	assert_success
	assert_output --regexp '^partition 1: keys [0-9]+, segments [0-9]+ -> 1, '
	assert_equal "${#lines[@]}" 1
	sums L >after
	# partitions 0 and 2 untouched
	assert_equal "$(grep -v '^[0-9a-f]*  \./p1/' before)" \
	    "$(grep -v '^[0-9a-f]*  \./p1/' after)"
	run mlog-compact L
	assert_success
	assert_equal "${#lines[@]}" 4
	assert_line -n 0 --regexp '^partition 0: keys [0-9]+, segments [0-9]+ -> 1, '
	assert_line -n 1 --regexp '^partition 1: keys [0-9]+, segments 1 -> 1, '
	assert_line -n 2 --regexp '^partition 2: keys [0-9]+, segments [0-9]+ -> 1, '
	# the total adds the partitions up
	assert_line -n 3 "$(printf '%s\n' "${lines[@]:0:3}" | awk '
	    { gsub(/[^0-9]+/, " "); n = split($0, v, " ")
	      for (i = 2; i <= n; i++) t[i] += v[i] }
	    END { printf "total: keys %d, segments %d -> %d, records %d -> %d (removed %d, tombstones dropped %d), bytes %d -> %d\n", t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10] }')"
	dump L >got
	reference in "$(actives L)" >want
	assert_equal "$(cat got)" "$(cat want)"
	for p in 0 1 2; do
		[ "$(ls L/p$p/*.log | wc -l)" -eq 2 ]
	done
	run mlog-verify L
	assert_success
}

@test "mlog-compact: a second run changes nothing, byte for byte" {
	gen 3000 40 | mlog-append -J -s 4K L
	mlog-compact -q L
	sums L >first
	run mlog-compact L
	assert_success
	assert_output --regexp '^partition 0: keys [0-9]+, segments ([0-9]+) -> \1, records ([0-9]+) -> \2 \(removed 0, tombstones dropped 0\), bytes ([0-9]+) -> \3$'
	sums L >second
	assert_equal "$(cat second)" "$(cat first)"
}

@test "mlog-compact: small segments are merged into as few as fit the segment size, named by their first segment" {
	local -a old new
	local f i o size a b
	# 300 keys: what stays needs a few 4K segments
	awk 'BEGIN { for (i = 0; i < 6000; i++)
	    printf "{\"timestamp\":%d,\"key\":\"key%03d\",\"value\":\"value %05d\"}\n",
	    1700000000000000 + i, i % 300, i }' | mlog-append -J -s 4K L
	seal L
	cp -r L L.orig
	old=($(cd L/p0 && ls *.log))
	run mlog-compact L
	assert_success
	new=($(cd L/p0 && ls *.log))
	[ "${#old[@]}" -gt 50 ]
	[ "${#new[@]}" -gt 3 ] && [ "${#new[@]}" -lt 10 ]
	assert_output --partial "segments $((${#old[@]} - 1)) -> $((${#new[@]} - 1)),"
	assert_equal "${new[0]}" 00000000000000000000.log
	assert_equal "${new[-1]}" "${old[-1]}"
	for f in "${new[@]}"; do
		# named by one of the old segments, which it replaced
		[[ " ${old[*]} " == *" $f "* ]]
		[ -f "L/p0/${f%.log}.idx" ]
	done
	assert_equal "$(head -c 8 "L/p0/${new[0]}")" mlogsegc
	for ((i = 0; i + 1 < ${#new[@]}; i++)); do
		size=$(stat -c %s "L/p0/${new[i]}")
		[ "$size" -le 4096 ]
		# no two neighbours would have fitted in one
		if ((i + 2 < ${#new[@]})); then
			a=$(stat -c %s "L/p0/${new[i]}")
			b=$(stat -c %s "L/p0/${new[i+1]}")
			[ $((a + b - 24)) -gt 4096 ]
		fi
	done
	# the indexes of the merged segments find every kept record
	for o in 5700 5701 5850 5999; do
		run mlog-tail -o "$o" -c 1 -F '%o %s\n' L
		assert_output "$o value 0$o"
	done
	run mlog-tail -e -o 5699 -F '%o\n' -c 2 L
	assert_output $'5700\n5701'
	run mlog-verify L
	assert_success
	assert_output "partition 0: 301 records, offsets 0..6000"
}

@test "mlog-compact: --dry-run prints the same report and writes nothing" {
	gen 3000 40 | mlog-append -J -s 4K L
	ls -lR --time-style=full-iso L >list.before
	sums L >sums.before
	run mlog-compact --dry-run L
	assert_success
	dry=$output
	ls -lR --time-style=full-iso L >list.after
	sums L >sums.after
	assert_equal "$(cat list.after)" "$(cat list.before)"
	assert_equal "$(cat sums.after)" "$(cat sums.before)"
	run mlog-compact -n L
	assert_output "$dry"
	run mlog-compact L
	assert_success
	assert_output "$dry"
	! cmp -s <(sums L) sums.before
}

@test "mlog-compact: -q prints nothing, and compacts" {
	gen 3000 40 | mlog-append -J -s 4K L
	before=$(ls L/p0/*.log | wc -l)
	run --separate-stderr mlog-compact -q L
	assert_success
	assert_output ''
	assert_equal "$stderr" ''
	[ "$(ls L/p0/*.log | wc -l)" -lt "$before" ]
}

@test "mlog-compact: a consumer group resumes at the right record when its position fell into a gap" {
	local active k
	gen 3000 40 >in
	mlog-append -J -s 4K L <in
	active=$(actives L)
	reference in "$active" >want
	# a position that compaction removes: the record after a kept one
	k=$(jq -s '[.[].offset] as $o | [range(1; $o | length) |
	    select($o[.] - $o[. - 1] > 2) | $o[. - 1] + 1] | .[3]' want)
	[ "$k" -gt 0 ]
	run mlog-tail -g g -c "$k" L
	assert_success
	run positions L/groups/g/offsets
	assert_output $'mlog-offsets 1\n'"0 $k"
	mlog-compact -q L
	# the record at k is gone: nothing is printed for it
	[ -z "$(jq -c "select(.offset == $k)" want)" ]
	run mlog-tail -J -g g -e L
	assert_success
	assert_output "$(jq -c "select(.offset >= $k)" want)"
	run mlog-tail -g g -e L
	assert_output ''
}

@test "mlog-compact: mlog-tail -o N in a gap starts at the next record kept" {
	local n next
	gen 3000 40 >in
	mlog-append -J -s 4K L <in
	reference in "$(actives L)" >want
	mlog-compact -q L
	jq '.offset' want >kept
	# every offset in and around the compacted segments
	for ((n = 0; n < 3000; n += 37)); do
		sampled $((n / 37)) || continue
		next=$(awk -v n="$n" '$1 >= n { print; exit }' kept)
		run mlog-tail -o "$n" -c 1 -F '%o\n' L
		assert_output "$next"
	done
	# the offsets just before the next segment's base, after a compacted one
	for f in L/p0/*.log; do
		n=$(( 10#$(basename "$f" .log) ))
		[ "$n" -gt 0 ] || continue
		next=$(awk -v n="$((n - 1))" '$1 >= n { print; exit }' kept)
		run mlog-tail -o "$((n - 1))" -c 1 -F '%o\n' L
		assert_output "$next"
	done
}

@test "mlog-compact: kill -9 at any moment leaves the old or the compacted log, and the next run finishes" {
	local runs r rc t0 t1 us delay old=0 new=0 swap=0 marker
	runs=$(scaled 100 12)
	awk 'BEGIN { for (i = 0; i < 12000; i++)
	    printf "{\"timestamp\":%.0f,\"key\":\"k%d\",\"value\":\"value %d %0250d\"}\n",
	    1700000000000000 + i * 1000000, (i * 7) % 500, i, i }' >in
	mlog-append -J -s 64K pristine <in
	dump pristine >before
	LC_ALL=C sort before >before.sorted
	reference in "$(actives pristine)" >want
	[ "$(sealed_count pristine)" -gt 40 ]

	# an untouched run: its result, and how long it takes
	cp -r pristine c
	t0=$EPOCHREALTIME
	mlog-compact -q c
	t1=$EPOCHREALTIME
	us=$(( ${t1//[.,]/} - ${t0//[.,]/} ))
	dump c >got
	assert_equal "$(md5sum <got)" "$(md5sum <want)"

	for ((r = 1; r <= runs; r++)); do
		rm -rf c
		cp -r pristine c
		# kills from the start to just past the end of a run, more of
		# them late, where the new segments are written and swapped in
		delay=$(awk -v us="$us" -v r="$r" -v n="$runs" \
		    'BEGIN { printf "%.6f", us * 1.1 * sqrt(r / n) / 1e6 }')
		rc=0
		# (in a subshell, which keeps bash's "Killed" notices)
		(ASAN_OPTIONS=detect_leaks=0 timeout -s KILL "$delay" \
		    mlog-compact -q c 2>err; exit $?) 2>/dev/null || rc=$?
		[ "$rc" -eq 0 ] || [ "$rc" -eq 137 ] ||
		    fail "run $r: exit status $rc: $(cat err)"
		marker=0
		[ -e c/p0/compact.swap ] && marker=1 swap=$((swap + 1))
		# before any recovery a reader sees records of the log, in order
		mlog-tail -J -e c >raw 2>err || fail "run $r: mlog-tail: $(cat err)"
		awk -F '[:,]' 'NR > 1 && $2 <= last { exit 1 } { last = $2 }' raw ||
		    fail "run $r: offsets out of order before recovery"
		[ -z "$(LC_ALL=C sort raw | LC_ALL=C comm -23 - before.sorted)" ] ||
		    fail "run $r: records not in the log before recovery"
		# after recovery: exactly the old log or the compacted one (only
		# a swap in progress changes what a reader sees)
		run mlog-verify -r c
		assert_success
		# the recovered log checks clean, whichever it is
		run mlog-check -q c
		[ "$status" -eq 0 ] && [ -z "$output" ] ||
		    fail "run $r: mlog-check after recovery: $output"
		if [ "$marker" -eq 1 ]; then
			dump c >got
		else
			mv raw got
		fi
		if cmp -s got before; then
			old=$((old + 1))
		elif cmp -s got want; then
			new=$((new + 1))
		else
			fail "run $r: the log after recovery is neither the old nor the compacted one"
		fi
		[ -z "$(ls c/p0 | grep -E 'cleaned|swap')" ] ||
		    fail "run $r: left after recovery: $(ls c/p0 | grep -E 'cleaned|swap')"
		run mlog-compact -q c
		assert_success
		run mlog-verify c
		assert_success
		run mlog-check -q c
		[ "$status" -eq 0 ] && [ -z "$output" ] ||
		    fail "run $r: mlog-check after the rerun: $output"
		dump c >got
		cmp -s got want || fail "run $r: the rerun did not end with the compacted log"
	done
	echo "$old old, $new compacted, $swap killed mid-swap, $us us per run"
	[ "$old" -gt 0 ] && [ "$new" -gt 0 ]
}

@test "mlog-compact: a follower reading during a compaction gets every record once, in order" {
	local tail reader line missing
	awk 'BEGIN { for (i = 0; i < 60000; i++)
	    printf "{\"timestamp\":%.0f,\"key\":\"k%d\",\"value\":\"value %d\"}\n",
	    1700000000000000 + i, (i * 7) % 300, i }' >in
	mlog-append -J -s 16K L <in
	mlog-tail -F '%o %s\n' -e L >before
	reference in "$(actives L)" | jq -r '"\(.offset) \(.value)"' >want
	# the follower's output waits in a pipe until the compaction is done:
	# it stops partway through the sealed segments
	mkfifo pipe
	mlog-tail -f -F '%o %s\n' L >pipe &
	tail=$!
	{
		IFS= read -r line
		printf '%s\n' "$line"
		wait_for test -e go
		cat
	} <pipe >out &
	reader=$!
	wait_for test -s out
	run mlog-compact L
	assert_success
	touch go
	echo after | mlog-append L
	wait_for grep -q ' after$' out
	kill "$tail"
	wait "$tail" || true
	wait "$reader"
	# in order, once each, and each as it was in the log
	awk 'NR > 1 && $1 <= last { print "offset " $1 " after " last; exit 1 }
	    { last = $1 }' out
	[ -z "$(LC_ALL=C comm -23 <(grep -v ' after$' out | LC_ALL=C sort) \
	    <(LC_ALL=C sort before))" ]
	# every record the compacted log holds was delivered
	missing=$(LC_ALL=C comm -23 <(LC_ALL=C sort want) <(LC_ALL=C sort out) |
	    head -n 5)
	[ -z "$missing" ] || fail "not delivered (first 5): $missing"
	[ "$(tail -n 1 out)" = "60000 after" ]
	# and it had not read everything when the compaction happened
	[ "$(wc -l <out)" -lt 60001 ]
}

@test "mlog-compact: a second run at the same time fails at once" {
	gen 3000 40 | mlog-append -J -s 4K L
	exec 4>L/p0/lock
	flock 4
	# the first run holds its lock while it waits for the appenders' one
	mlog-compact L >first.out 2>first.err 4>&- &
	pid=$!
	wait_for held L/p0/compact.lock
	run mlog-compact L
	assert_failure 1
	assert_output 'mlog-compact: L: partition 0: another mlog-compact is running on it'
	run mlog-compact -n L
	assert_failure 1
	assert_output 'mlog-compact: L: partition 0: another mlog-compact is running on it'
	exec 4>&-
	wait "$pid"
	assert_equal "$(cat first.err)" ''
	grep -q '^partition 0: keys 40, ' first.out
}

@test "mlog-compact: a segment removed meanwhile (mlog-trim) leaves the partition as it was" {
	local victim
	gen 3000 40 | mlog-append -J -s 4K L
	exec 4>L/p0/lock
	flock 4
	mlog-compact L >out 2>err 4>&- &
	pid=$!
	# the new segments are written; the swap waits for the lock
	wait_for waiting_on L/p0/lock
	ls L/p0 | grep -q cleaned
	victim=$(ls L/p0/*.log | head -n 2 | tail -n 1)
	rm "$victim" "${victim%.log}.idx"
	cp -r L L.trimmed
	exec 4>&-
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 1
	assert_equal "$(cat out)" ''
	victim=${victim##*/}
	assert_equal "$(cat err)" "mlog-compact: L: partition 0: segment ${victim%.log} was removed or changed during the compaction (by mlog-trim?); the partition was left as it was"
	rm -rf L.trimmed/p0/*cleaned
	assert_equal "$(sums L)" "$(sums L.trimmed)"
	[ ! -e L/p0/compact.swap ]
}

@test "mlog-compact: a corrupt sealed segment stops that partition, names where, and changes nothing" {
	local seg start end off
	gen 3000 40 2 >in
	mlog-append -J -P 2 -s 4K L <in
	seg=$(ls L/p1/*.log | sed -n 3p)
	# the fourth record of partition 1's third segment: where it starts
	# and ends, and its offset
	read -r start end off < <(mlog-tail -p 1 -e -F '%o %K %S\n' L |
	    awk -v base="$((10#$(basename "$seg" .log)))" '
	    BEGIN { pos = 24 }
	    $1 >= base && ++n == 4 { print pos, pos + 29 + $2 + $3 - 1, $1; exit }
	    $1 >= base { pos += 29 + $2 + $3 }')
	# flip its last byte
	printf X | dd of="$seg" bs=1 seek="$end" conv=notrunc status=none
	sums L >before
	run --separate-stderr mlog-compact L
	assert_failure 1
	assert_equal "$stderr" "mlog-compact: L: partition 1: segment $(basename "$seg" .log): corrupt record at byte $start (offset $off); the partition was not compacted"
	# partition 0 was compacted, partition 1 left alone
	assert_output --regexp '^partition 0: keys [0-9]+, '
	assert_equal "${#lines[@]}" 1
	sums L >after
	assert_equal "$(grep ' \./p1/' after | grep -v compact.lock)" \
	    "$(grep ' \./p1/' before)"
	[ -z "$(ls L/p1 | grep cleaned)" ]
}

@test "mlog-compact: an interrupted compaction is finished or its files removed first, and a dry run refuses a pending one" {
	gen 3000 40 | mlog-append -J -s 4K L
	cp -r L L.orig
	# a swap that was about to start: a marker, its new files not yet in
	mlog-compact -q L
	sums L >compacted
	printf 'partial' >L/p0/00000000000000000000.log.cleaned
	run --separate-stderr mlog-compact L
	assert_success
	assert_equal "$stderr" 'mlog-compact: L: partition 0: removed the files of an interrupted compaction'
	[ ! -e L/p0/00000000000000000000.log.cleaned ]
	printf 'mlog-compact-swap 1\nend\n' >L/p0/compact.swap
	run --separate-stderr mlog-compact -n L
	assert_failure 1
	assert_equal "$stderr" 'mlog-compact: L: partition 0: an interrupted compaction is pending; run mlog-compact without --dry-run to finish it'
	[ -e L/p0/compact.swap ]
	run --separate-stderr mlog-compact L
	assert_success
	assert_equal "$stderr" 'mlog-compact: L: partition 0: finished an interrupted compaction'
	[ ! -e L/p0/compact.swap ]
	printf 'mlog-compact-swap 1\nreplace 00000000000000000000 99\n' >L/p0/compact.swap
	run mlog-compact L
	assert_failure 1
	assert_output 'mlog-compact: L: partition 0: recovering an interrupted compaction: corrupt data'
}

@test "mlog-compact: a missing log, or a directory that is not a log, is an error" {
	run mlog-compact nolog
	assert_failure 1
	assert_output 'mlog-compact: nolog: No such file or directory'
	mkdir dir
	touch dir/x
	run mlog-compact dir
	assert_failure 1
	assert_output 'mlog-compact: dir: not an mlog log'
}

@test "mlog-compact: bad option values and arguments are usage errors" {
	local usage='usage: mlog-compact [-hnq] [-d duration] [-p partition] [-t null | empty]
                    log'
	echo x | mlog-append L
	run mlog-compact --delete-retention 5x L
	assert_failure 2
	assert_output "mlog-compact: --delete-retention: bad duration '5x' (a number and a unit: 500ms, 10s, 5m, 2h, 7d)
$usage"
	run mlog-compact -d -1h L
	assert_failure 2
	assert_output "mlog-compact: --delete-retention: bad duration '-1h' (a number and a unit: 500ms, 10s, 5m, 2h, 7d)
$usage"
	run mlog-compact --tombstone=zero L
	assert_failure 2
	assert_output "mlog-compact: --tombstone: expected null or empty: zero
$usage"
	run mlog-compact -p x L
	assert_failure 2
	assert_output "mlog-compact: --partition: invalid: x
$usage"
	run mlog-compact -p 1 L
	assert_failure 2
	assert_output 'mlog-compact: --partition: 1 is out of range (the log has 1 partition)'
	run mlog-compact
	assert_failure 2
	assert_output "$usage"
	run mlog-compact L L
	assert_failure 2
	assert_output "$usage"
	run mlog-compact --bogus L
	assert_failure 2
	assert_output "mlog-compact: unrecognized option '--bogus'
$usage"
}

@test "mlog-compact: --help prints the options and exits 0" {
	run mlog-compact --help
	assert_success
	assert_line -n 0 'usage: mlog-compact [-hnq] [-d duration] [-p partition] [-t null | empty]'
	assert_output --partial '--delete-retention=DUR'
	assert_output --partial 'See mlog-compact(1).'
}

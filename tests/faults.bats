#!/usr/bin/env bats
# The fault table: each tool that writes the log, run once to count its
# system calls, then again for every one of them (or a spread of them when
# there are many) with that call failing: write with ENOSPC, EINTR or a
# short count, read with EIO, EINTR or a short count, fsync, rename and
# unlink with EIO, open with EACCES (tests/helpers/faultinject.c).  After
# each run:
#   - EINTR and short transfers were retried: the run succeeded, with the
#     output and the log of a run without faults;
#   - any other fault either was worked around (the same outcome as
#     without it) or stopped the tool with status 1 and one message naming
#     the error;
#   - the log is whole (mlog-check finds nothing) and holds exactly what
#     the tool acknowledged, positions are the old ones or the new ones;
#   - the next run without faults finishes the work.
# Each test prints its table row (runs, errors reported, faults worked
# around) on the TAP stream.

load test_helper
bats_require_minimum_version 1.5.0

# count CMD...: run CMD without faults, counting its calls into CALLS.
declare -gA CALLS
count() {
	local k v
	rm -f "$BATS_TEST_TMPDIR/calls"
	MLOG_FAULT_COUNT=$BATS_TEST_TMPDIR/calls faulty "" "$@"
	set -- $(head -n 1 "$BATS_TEST_TMPDIR/calls")
	while [ $# -ge 2 ]; do
		CALLS[$1]=$2
		shift 2
	done
}

# picks C: which of C calls to fail: all up to 15; else the first 5, the
# last 5 and 5 spread between.  Below MLOG_TEST_SCALE 100, a sample.
picks() {
	local c=$1 i n
	for ((i = 1; i <= c; i++)); do
		if ((c > 15 && i > 5 && i <= c - 5)); then
			# the 5 between: where (i - 5) * 6 / (c - 10) steps
			n=$(( (i - 5) * 6 / (c - 10) ))
			(( (i - 6) * 6 / (c - 10) != n )) || continue
		fi
		# the sample keeps the first and the last
		sampled $((i - 1)) || ((i == c)) && echo "$i"
	done
}

# errors CALL: the faults tried on CALL.
errors() {
	case $1 in
	write)	echo ENOSPC EINTR short ;;
	read)	echo EIO EINTR short ;;
	fsync)	echo EIO ;;
	open)	echo EACCES ;;
	rename)	echo EIO ;;
	unlink)	echo EIO ;;
	esac
}

# message ERRNO: strerror(ERRNO).
message() {
	case $1 in
	ENOSPC)	echo 'No space left on device' ;;
	EIO)	echo 'Input/output error' ;;
	EACCES)	echo 'Permission denied' ;;
	EMFILE)	echo 'Too many open files' ;;
	esac
}

# table NAME: the fault table of scenario NAME.  NAME_fresh puts the
# state back as before the run, NAME_run is the run (its output in out,
# its errors in err), NAME_judge checks what a run left, given STATUS,
# WHAT (the fault) and MSG (its message); it sets OUTCOME to "error" or
# "same".  CALLS_TRIED (default all) are the calls failed.  Prints the
# row.
table() {
	local name=$1 call n what row="" runs errs same total=0
	# bats traces every command with a DEBUG trap, half the time of
	# these loops; a failure here names its run itself
	trap - DEBUG
	"${name}_fresh"
	count "${name}_run"
	for call in ${CALLS_TRIED:-write read fsync open rename unlink}; do
		[ "${CALLS[$call]:-0}" -gt 0 ] || continue
		runs=0 errs=0 same=0
		for what in $(errors "$call"); do
			for n in $(picks "${CALLS[$call]}"); do
				"${name}_fresh"
				STATUS=0
				faulty "$call:$n:$what" "${name}_run" ||
				    STATUS=$?
				SPEC=$call:$n:$what WHAT=$what
				MSG=$(message "$what")
				OUTCOME=
				"${name}_judge"
				case $OUTCOME in
				error)	[ "$what" != EINTR ] &&
					    [ "$what" != short ] ||
					    fail "$SPEC: not retried: $(cat err)"
					errs=$((errs + 1)) ;;
				same)	same=$((same + 1)) ;;
				*)	fail "$SPEC: judged nothing" ;;
				esac
				runs=$((runs + 1))
			done
		done
		total=$((total + runs))
		row+=" $call ${CALLS[$call]} calls, $runs runs: $errs errors, $same same;"
	done
	echo "# $name:$row" >&3
	[ "$total" -gt 0 ]
}

# one_error REGEX: err is one line, matching REGEX.
one_error() {
	[ "$(wc -l <err)" -eq 1 ] && grep -q -E -x -- "$1" err ||
	    fail "$SPEC: status $STATUS, unexpected errors: $(head -c 600 err)"
}

# dump LOG: every record of LOG as "PARTITION OFFSET VALUE".
dump() {
	mlog-tail -F '%p %o %s\n' -e "$1"
}

# clean LOG: mlog-check finds nothing wrong with LOG.
clean() {
	local out st=0
	out=$(mlog-check -q "$1" 2>&1) || st=$?
	[ "$st" -eq 0 ] && [ -z "$out" ] ||
	    fail "$SPEC: mlog-check: status $st: $out"
}

# subsequence A B: the lines of A are lines of B, in the same order.
subsequence() {
	awk 'FILENAME == ARGV[1] { a[++n] = $0; next }
	    i < n && $0 == a[i + 1] { i++ }
	    END { exit i != n }' "$1" "$2"
}

# --- mlog-append ------------------------------------------------------

# 2500 keyed records of 1 KB: three batches over two partitions, six
# segments, after 300 records already there.
append_setup() {
	awk 'BEGIN { pad = sprintf("%1000s", ""); gsub(/ /, "x", pad)
	    for (i = 1; i <= 2500; i++)
		printf "k%d:value %d %s\n", i % 50, i, pad }' >in
	seq 300 | sed 's/^/p:before /' | mlog-append -K : -P 2 -s 512K pristine
	dump pristine >pristine.dump
	append_fresh
	append_run
	mv out want.off
	dump l >want.dump
}

append_fresh() {
	rm -rf l
	cp -r pristine l
}

append_run() {
	mlog-append -y "$SYNC" -K : -O l <in >out 2>err
}

append_judge() {
	local re
	if [ "$STATUS" -eq 0 ]; then
		[ ! -s err ] || fail "$SPEC: succeeded, with errors: $(cat err)"
		cmp -s out want.off || fail "$SPEC: succeeded, other offsets"
		dump l | cmp -s - want.dump ||
		    fail "$SPEC: succeeded, another log"
		clean l
		OUTCOME=same
		return
	else
		[ "$STATUS" -eq 1 ] || fail "$SPEC: status $STATUS: $(cat err)"
		re="mlog-append: l: ((partition [01]: )?$MSG \(input from line [0-9]+ on was not appended(, but for [0-9]+ of its lines, to partition 0)?\)|(fsync: )?$MSG)"
		one_error "$re"
		OUTCOME=error
	fi
	clean l
	# exactly the acknowledged records: those the run without faults
	# put at the offsets printed, and no other
	subsequence out want.off || fail "$SPEC: offsets not of the run without faults"
	dump l >got
	awk 'FILENAME == ARGV[1] { acked[$1 " " $2] = 1; n++; next }
	    FILENAME == ARGV[2] { ok[$0] = 1; m++; next }
	    FILENAME == ARGV[3] { if (($1 " " $2) in acked) ok[$0] = 1; next }
	    !($0 in ok) { print "not acknowledged: " $0; exit 1 }
	    { g++ }
	    END { if (g != n + m) { print g " records, " n " + " m " acknowledged"
		exit 1 } }' out pristine.dump want.dump got >bad ||
	    fail "$SPEC: the log holds other records than those acknowledged: $(cat bad)"
	# and it takes the next append
	mlog-append -K : l <<<"k1:after" 2>&1 | cmp -s - /dev/null ||
	    fail "$SPEC: the next append failed"
}

@test "faults: mlog-append reports each failed call, keeps exactly the acknowledged records, retries EINTR and short writes" {
	SYNC=interval
	append_setup
	table append
}

@test "faults: mlog-append --fsync=always, the same for its fsyncs" {
	SYNC=always
	CALLS_TRIED=fsync
	append_setup
	table append
}

# --- offset commits ---------------------------------------------------

# A group of two partitions part read: the old positions, the run's
# output, its positions and what the next run prints after it.
group_setup() {
	seq 1 400 | mlog-append -P 2 -s 4K pristine
	mlog-tail -g g -c 30 pristine >/dev/null
	positions pristine/groups/g/offsets >old.pos
	"${1}_fresh"
	"${1}_run"
	mv out want.out
	positions l/groups/g/offsets >new.pos
	mlog-tail -g g -c 100 -F '%p %o\n' l >want.next
	cmp -s old.pos new.pos && fail "the run moved nothing"
	"${1}_fresh"
	mlog-tail -g g -c 100 -F '%p %o\n' l >want.again
}

group_fresh() {
	rm -rf l
	cp -r pristine l
}

# group_judge RE: the common judgement; RE matches the error.
group_judge() {
	positions l/groups/g/offsets >got.pos
	if [ "$STATUS" -eq 0 ]; then
		[ ! -s err ] || fail "$SPEC: succeeded, with errors: $(cat err)"
		cmp -s out want.out || fail "$SPEC: succeeded, other output"
		cmp -s got.pos new.pos || fail "$SPEC: succeeded, other positions"
		OUTCOME=same
	else
		[ "$STATUS" -eq 1 ] || fail "$SPEC: status $STATUS: $(cat err)"
		one_error "$1"
		OUTCOME=error
	fi
	clean l
	# the old positions or the new ones; the new ones only after the
	# records were printed; the next run goes on from them
	mlog-tail -g g -c 100 -F '%p %o\n' l >next 2>&1 ||
	    fail "$SPEC: the next run: $(cat next)"
	if cmp -s got.pos new.pos; then
		[ -z "${GROUP_PRINTS:-}" ] || cmp -s out want.out ||
		    fail "$SPEC: committed what it did not print"
		cmp -s next want.next || fail "$SPEC: the next run: $(head -3 next)"
	elif cmp -s got.pos old.pos; then
		cmp -s next want.again || fail "$SPEC: the next run: $(head -3 next)"
	else
		fail "$SPEC: positions neither old nor new: $(cat got.pos)"
	fi
}

tail_fresh() { group_fresh; }
tail_run() {
	mlog-tail -g g -c 100 -F '%p %o\n' l >out 2>err
}
tail_judge() {
	group_judge "mlog-tail: (l|g)(: partition [01])?: ((join|group membership|commit): )?$MSG"
}

@test "faults: mlog-tail -g commits the old positions or the new ones, never more than it printed" {
	GROUP_PRINTS=1
	group_setup tail
	table tail
}

reset_fresh() { group_fresh; }
reset_run() {
	mlog-offset -g g -e -x l reset >out 2>err
}
reset_judge() {
	group_judge "mlog-offset: l(: group g|: partition [01])?(: [a-z ]+)?: $MSG"
}

@test "faults: mlog-offset reset moves the positions or leaves them" {
	# it reads the group as mlog-tail -g does
	CALLS_TRIED="write fsync open rename unlink"
	group_setup reset
	table reset
}

# A pending commit: mlog-offset commit promotes it.
commit_fresh() {
	[ -e pristine/groups/g/offsets.pending ] ||
	    mlog-tail -g g -m pending -c 50 pristine >/dev/null
	group_fresh
}
commit_run() {
	mlog-offset -g g l commit >out 2>err
}
commit_judge() {
	group_judge "mlog-offset: l(: group g|: partition [01])?(: [a-z ]+)?: $MSG"
	# what was not promoted still can be
	if [ -e l/groups/g/offsets.pending ]; then
		mlog-offset -g g l commit >/dev/null 2>&1 ||
		    fail "$SPEC: the next commit failed"
		positions l/groups/g/offsets | cmp -s - new.pos ||
		    fail "$SPEC: the next commit: $(positions l/groups/g/offsets)"
	fi
}

@test "faults: mlog-offset commit promotes the pending positions or leaves them pending" {
	group_setup commit
	table commit
}

# --- mlog-compact -----------------------------------------------------

# Every segment loses half its records (the odd ones have keys of their
# own): many groups, many renames in a swap.
compact_setup() {
	awk 'BEGIN { for (i = 0; i < 3000; i++)
	    printf "{\"timestamp\":%d,\"key\":\"%s\",\"value\":\"value %05d\"}\n",
	    1700000000000000 + i, i % 2 ? "u" i : "key" (i / 2) % 300, i }' |
	    mlog-append -J -s 4K pristine
	printf '%5000s\n' '' | tr ' ' x | mlog-append pristine
	mlog-tail -J -e pristine >before
	LC_ALL=C sort before >before.sorted
	cp -r pristine ref
	mlog-compact -q ref
	mlog-tail -J -e ref >want
	[ "$(ls ref/p0/*.log | wc -l)" -gt 10 ]
}

compact_fresh() {
	rm -rf c
	cp -r pristine c
}

compact_run() {
	mlog-compact -q c >out 2>err
}

compact_judge() {
	if [ "$STATUS" -eq 0 ]; then
		[ ! -s err ] || fail "$SPEC: succeeded, with errors: $(cat err)"
		OUTCOME=same
	else
		[ "$STATUS" -eq 1 ] || fail "$SPEC: status $STATUS: $(cat err)"
		one_error "mlog-compact: c(: partition 0)?(: recovering an interrupted compaction)?: $MSG"
		OUTCOME=error
	fi
	# a reader sees records of the log, in order, whatever the state
	mlog-tail -J -e c >raw
	awk -F '[:,]' 'NR > 1 && $2 <= last { exit 1 } { last = $2 }' raw ||
	    fail "$SPEC: out of order"
	[ -z "$(LC_ALL=C sort raw | LC_ALL=C comm -23 - before.sorted)" ] ||
	    fail "$SPEC: records that were not in the log"
	if [ -e c/p0/compact.swap ]; then
		# the swap had started: the next run finishes it
		[ "$STATUS" -ne 0 ] || fail "$SPEC: succeeded, swap left"
		mlog-compact c >out 2>err || fail "$SPEC: the next run: $(cat err)"
		[ "$(cat err)" = 'mlog-compact: c: partition 0: finished an interrupted compaction' ] ||
		    fail "$SPEC: the next run: $(cat err)"
	else
		[ -z "$(ls c/p0 | grep -E 'cleaned|swap')" ] ||
		    fail "$SPEC: left behind: $(ls c/p0 | grep -E 'cleaned|swap')"
		# a failure leaves the old log, or the new one when the
		# swap was done (the last fsync failed)
		[ "$STATUS" -eq 0 ] || cmp -s raw before || cmp -s raw want ||
		    fail "$SPEC: failed, and the log changed"
		mlog-compact -q c >out 2>err || fail "$SPEC: the next run: $(cat err)"
	fi
	clean c
	mlog-tail -J -e c | cmp -s - want || fail "$SPEC: not the compacted log"
}

@test "faults: mlog-compact leaves the old log, or a swap the next run finishes" {
	compact_setup
	table compact
}

# --- mview build ------------------------------------------------------

# A count per key over a log of two partitions; the view was built over
# the first half, the build under test applies the second.
view_setup() {
	mkdir w
	cd w
	awk 'BEGIN { for (i = 0; i < 1500; i++)
	    printf "k%d:{\"k\":\"k%d\",\"n\":%d}\n", i % 40, i % 40, i }' |
	    mlog-append -K : -P 2 -s 16K l
	mview build -k .k -r count v.db l
	awk 'BEGIN { for (i = 1500; i < 3000; i++)
	    printf "k%d:{\"k\":\"k%d\",\"n\":%d}\n", i % 40, i % 40, i }' |
	    mlog-append -K : l
	cd ..
	cp -a w pristine
	mlog-tail -F '%p %o %s\n' -e w/l >log.dump
	view_run
	view_dump >want
	[ "$(wc -l <want)" -eq 40 ]
}

view_fresh() {
	cd "$BATS_TEST_TMPDIR"
	rm -rf w
	cp -a pristine w
}

# The view is built in w, where it was made: it keeps the log's path.
view_run() {
	(cd w && mview build -k .k -r count v.db l) >out 2>err
}

view_dump() {
	mview dump w/v.db | LC_ALL=C sort
}

view_judge() {
	local next
	if [ "$STATUS" -eq 0 ]; then
		[ ! -s err ] || fail "$SPEC: succeeded, with errors: $(cat err)"
		view_dump | cmp -s - want || fail "$SPEC: succeeded, another view"
		OUTCOME=same
	else
		[ "$STATUS" -eq 1 ] || fail "$SPEC: status $STATUS: $(cat err)"
		# SQLite names the errors in its words
		one_error "mview: (l|v.db)(: partition [01])?(: commit)?: ($MSG|disk I/O error|database or disk is full|unable to open database file|attempt to write a readonly database|database disk image is malformed)"
		OUTCOME=error
	fi
	# the view is the count of the records below the offsets it says
	# it applied
	next=$(mview status -J w/v.db | jq -r '[.partitions[].next_offset] | join(" ")') ||
	    fail "$SPEC: mview status failed"
	awk -v next_="$next" 'BEGIN { split(next_, nx, " ") }
	    $2 < nx[$1 + 1] { sub(/^[^ ]* [^ ]* /, ""); split($0, f, "\"")
		n[f[4]]++ }
	    END { for (k in n) printf "{\"key\":\"%s\",\"value\":%d}\n", k, n[k] }' \
	    log.dump | LC_ALL=C sort >at
	view_dump | cmp -s - at ||
	    fail "$SPEC: the view does not hold the records up to $next: $(view_dump | diff - at | head -5)"
	clean w/l
	view_run || fail "$SPEC: the next build: $(cat err)"
	view_dump | cmp -s - want || fail "$SPEC: the next build, another view"
}

@test "faults: mview build keeps a view that matches the offsets it applied" {
	view_setup
	table view
}

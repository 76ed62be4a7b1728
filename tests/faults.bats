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

# faulty SPEC CMD...: run CMD (a command or function) with the fault SPEC.
faulty() {
	local spec=$1
	shift
	MLOG_FAULT=$spec LD_PRELOAD=$MLOG_HELPERS/faultinject.so \
	    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	    "$@"
}

# count CMD...: run CMD without faults, counting its calls into CALLS.
declare -gA CALLS
count() {
	local k v
	rm -f "$BATS_TEST_TMPDIR/calls"
	MLOG_FAULT_COUNT=$BATS_TEST_TMPDIR/calls \
	    LD_PRELOAD=$MLOG_HELPERS/faultinject.so \
	    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	    "$@"
	set -- $(head -n 1 "$BATS_TEST_TMPDIR/calls")
	while [ $# -ge 2 ]; do
		CALLS[$1]=$2
		shift 2
	done
}

# picks C: which of C calls to fail: all up to 18; else the first 6, the
# last 6 and 6 spread between.  Below MLOG_TEST_SCALE 100, a sample.
picks() {
	local c=$1 i n
	for ((i = 1; i <= c; i++)); do
		if ((c > 18 && i > 6 && i <= c - 6)); then
			# the 6 between: where i * 7 / (c - 12) steps
			n=$(( (i - 6) * 7 / (c - 12) ))
			(( (i - 7) * 7 / (c - 12) != n )) || continue
		fi
		sampled "$i" && echo "$i"
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

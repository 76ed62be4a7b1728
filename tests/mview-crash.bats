#!/usr/bin/env bats
# mview killed at random moments: the rows and the offsets they are valid at
# are committed together, so a view built by many killed followers equals
# a view built once from scratch.  The count reduce shows a record applied
# twice (or lost) as a count one off.

load test_helper
bats_require_minimum_version 1.5.0

# appender STOPFILE: append batches of 50 records (keys k0 .. k12) over two
# partitions until STOPFILE exists.
appender() {
	local b=0
	until [ -e "$1" ]; do
		awk -v b=$b 'BEGIN { for (i = 0; i < 50; i++)
		    printf "{\"k\":\"k%d\",\"b\":%d,\"i\":%d}\n", (b * 50 + i) % 13, b, i }' |
			mlog-append L || return 1
		b=$((b + 1))
	done
}

@test "mview: kill -9 of build -f at random moments while records are appended loses and repeats nothing" {
	local runs r pid rc delay seed killed=0 total
	runs=$(scaled 50 10)
	seed=${MLOG_CRASH_SEED:-$SRANDOM}
	RANDOM=$seed
	echo "seed $seed (rerun with MLOG_CRASH_SEED=$seed)"
	mlog-append -P 2 L </dev/null
	appender stop 3>&- &
	writer=$!
	for ((r = 1; r <= runs; r++)); do
		# a leak check interrupted by SIGKILL would only add noise
		ASAN_OPTIONS=detect_leaks=0 \
		mview build -f v.db L -k .k -r count 2>"err.$r" 3>&- &
		pid=$!
		delay=$((RANDOM % 80))
		sleep "$(printf '0.%03d' "$delay")"
		kill -9 "$pid" 2>/dev/null || true
		rc=0
		wait "$pid" || rc=$?
		case $rc in
		137)	killed=$((killed + 1)) ;;
		*)	fail "run $r: exit status $rc: $(cat "err.$r")" ;;
		esac
		[ ! -s "err.$r" ] || fail "run $r: $(cat "err.$r")"
	done
	touch stop
	wait "$writer"
	echo "killed $killed of $runs"
	[ "$killed" -eq "$runs" ]

	# the killed followers' view, caught up, against one from scratch
	run mview build v.db L -k .k -r count
	assert_success
	assert_output ''
	run mview build fresh.db L -k .k -r count
	assert_success
	run mview dump v.db
	assert_success
	assert_output "$(mview dump fresh.db)"
	total=$(mlog-tail -e L | wc -l)
	[ "$total" -gt 0 ]
	run sqlite3 v.db 'SELECT sum(value) FROM rows'
	assert_output "$total"
	run sqlite3 v.db 'SELECT sum(next_offset) FROM applied'
	assert_output "$total"
}

#!/usr/bin/env bats
# mlog-tail on plain text files: positions and rotations.

load test_helper

@test "mlog-tail: a plain file prints its lines and -S resumes after the last one read" {
	seq 1 5 >app.log
	run mlog-tail -S pos -c 2 app.log
	assert_output $'1\n2'
	run mlog-tail -S pos app.log
	assert_output $'3\n4\n5'
	seq 6 7 >>app.log
	run mlog-tail -S pos app.log
	assert_output $'6\n7'
	run head -n 1 pos
	assert_output 'mlog-fileoffset 1'
}

@test "mlog-tail: -g on a plain file keeps the position in the state directory" {
	seq 1 3 >app.log
	export XDG_STATE_HOME=$BATS_TEST_TMPDIR/state
	run mlog-tail -g cron app.log
	assert_output $'1\n2\n3'
	echo 4 >>app.log
	run mlog-tail -g cron app.log
	assert_output '4'
	[ -f "state/mstreams/groups/cron/$(realpath app.log | tr / %)" ]
}

@test "mlog-tail: a partial last line of a plain file waits for its newline" {
	printf 'one\ntw' >app.log
	run mlog-tail -S pos app.log
	assert_output 'one'
	printf 'o\n' >>app.log
	run mlog-tail -S pos app.log
	assert_output 'two'
}

@test "mlog-tail: after a rename rotation the old file is finished before the new one" {
	seq 1 3 >app.log
	mlog-tail -S pos -c 1 app.log >/dev/null
	seq 4 5 >>app.log
	mv app.log app.log.1
	seq 6 7 >app.log
	run mlog-tail -S pos app.log
	assert_output "$(seq 2 7)"
}

@test "mlog-tail: after a copytruncate the lines left in the copy are read first" {
	seq 1 3 >app.log
	mlog-tail -S pos -c 2 app.log >/dev/null
	echo 4 >>app.log
	cp app.log app.log.1
	: >app.log
	echo 5 >>app.log
	run mlog-tail -S pos app.log
	assert_output $'3\n4\n5'
}

@test "mlog-tail: -f follows a plain file across a rename rotation" {
	seq 1 2 >app.log
	mlog-tail -S pos -f app.log >out 3>&- &
	pid=$!
	wait_for lines_in out 2
	echo 3 >>app.log
	mv app.log app.log.1
	echo 4 >>app.log.1
	echo 5 >app.log
	wait_for lines_in out 5
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 0
	run cat out
	assert_output "$(seq 1 5)"
	# and the committed position is after line 5
	echo 6 >>app.log
	run mlog-tail -S pos app.log
	assert_output '6'
}

@test "mlog-tail: -o end on a plain file without a position starts at its end" {
	seq 1 3 >app.log
	run mlog-tail -S pos -o end app.log
	assert_output ''
	echo 4 >>app.log
	run mlog-tail -S pos app.log
	assert_output '4'
}

@test "mlog-tail: options that need a log are refused for a plain file" {
	seq 1 3 >app.log
	for o in -J '-F %s' '-n 2' '-p 0' '-u 3' '-o 2' '-m pending'; do
		run mlog-tail $o app.log
		assert_failure 2
		assert_line -n 0 'mlog-tail: app.log: a plain file takes only -0, -c, -e, -f, -g, -m written|exit, -S and -o beginning|end'
	done
}

# logrotated MODE: 20 rounds of writes, a partial read and a logrotate
# rotation (create or copytruncate), read by mlog-tail -S between runs.
logrotated() {
	local i n=0
	cat >rot.conf <<-CONF
	$BATS_TEST_TMPDIR/app.log {
		rotate 5
		$1
		nocompress
		missingok
	}
	CONF
	: >app.log
	for ((i = 0; i < 20; i++)); do
		seq $((n + 1)) $((n + 30)) >>app.log
		n=$((n + 30))
		mlog-tail -S pos -c 7 app.log >>out
		seq $((n + 1)) $((n + 5)) >>app.log
		n=$((n + 5))
		logrotate -f -s rot.state rot.conf
		[ $((i % 3)) -eq 0 ] && mlog-tail -S pos app.log >>out
	done
	mlog-tail -S pos app.log >>out
	seq 1 "$n" >want
}

@test "mlog-tail: 20 logrotate create rotations between runs lose and repeat no line" {
	logrotated create
	run diff want out
	assert_success
}

@test "mlog-tail: 20 logrotate copytruncate rotations between runs lose and repeat no line" {
	logrotated copytruncate
	run diff want out
	assert_success
}

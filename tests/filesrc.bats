#!/usr/bin/env bats
# Plain text files as sources (lib/filesrc.c), through the filesrc-read
# driver: positions, partial lines, rename and copytruncate rotations, and
# the real logrotate.

load test_helper

# follow FILE POS OUT: a following reader in the background; $reader is it.
# When FILE exists, returns once the reader holds a position (its first
# commit), so that what the test does next happens after the reader began.
follow() {
	filesrc-read -f "$1" "$2" >"$3" 2>"$3.err" &
	reader=$!
	[ ! -e "$1" ] || wait_for test -e "$2"
}

# stop_reader: SIGTERM to the follower, which commits and exits 0.
stop_reader() {
	kill -TERM "$reader"
	wait "$reader"
}

# rotconf MODE: a logrotate configuration for app.log (create or
# copytruncate), 5 rotated files kept, none compressed.
rotconf() {
	cat >rot.conf <<-EOF
	$BATS_TEST_TMPDIR/app.log {
		rotate 5
		$1
		nocompress
		missingok
	}
	EOF
}

rotate() {
	logrotate -f -s rot.state rot.conf
}

@test "filesrc: reads every line, then resumes after a restart exactly where it stopped" {
	seq 1 1000 >F
	filesrc-read -c 1 F P >out
	filesrc-read -c 299 F P >>out
	filesrc-read -c 0 F P >>out
	filesrc-read -c 400 F P >>out
	filesrc-read F P >>out
	seq 1001 1500 >>F
	filesrc-read -e F P >>out
	run filesrc-read F P
	assert_success
	assert_output ''
	assert_equal "$(md5sum <out)" "$(seq 1 1500 | md5sum)"
}

@test "filesrc: the position file holds the offset, inode and fingerprint of the next line" {
	printf 'one\ntwo\nthree\n' >F
	filesrc-read -c 2 F P
	run cat P
	assert_line -n 0 'mlog-fileoffset 1'
	read -r dev ino fplen crc off pdev pino < <(sed -n 2p P)
	assert_equal "$ino" "$(stat -c %i F)"
	assert_equal "$dev" "$(stat -c %d F)"
	assert_equal "$fplen" 14
	assert_equal "$off" 8
	assert_equal "$pino" 0
}

@test "filesrc: a partial last line is neither returned nor committed until complete" {
	printf 'a\nb' >F
	run filesrc-read F P
	assert_output 'a'
	run filesrc-read F P
	assert_output ''
	printf 'c' >>F
	run filesrc-read F P
	assert_output ''
	printf 'd\ne\n' >>F
	run filesrc-read F P
	assert_output $'bcd\ne'
}

@test "filesrc: a partial line is completed while following" {
	follow F P out
	printf 'x\npart' >>F
	wait_for lines_in out 1
	printf 'ial\ny\n' >>F
	wait_for lines_in out 3
	stop_reader
	assert_equal "$(cat out)" $'x\npartial\ny'
}

@test "filesrc: empty lines and CRs are lines as written" {
	printf '\n\r\na b\r\n\n' >F
	filesrc-read F P >out
	assert_equal "$(od -An -c out | tr -s ' ')" "$(od -An -c F | tr -s ' ')"
}

@test "filesrc: rename rotation between runs finishes the old file before the new one" {
	seq 1 10 >F
	filesrc-read -c 4 F P >out
	seq 11 20 >>F
	mv F F.1
	seq 21 30 >F
	filesrc-read F P >>out
	run filesrc-read F P
	assert_output ''
	assert_equal "$(cat out)" "$(seq 1 30)"
}

@test "filesrc: two rename rotations between runs read F.2, F.1, then F" {
	seq 1 10 >F
	filesrc-read -c 5 F P >out
	mv F F.1
	seq 11 20 >F
	mv F.1 F.2
	mv F F.1
	seq 21 30 >F
	touch F.1.gz
	filesrc-read -c 7 F P >>out
	filesrc-read F P >>out
	assert_equal "$(cat out)" "$(seq 1 30)"
}

@test "filesrc: rename rotation while following loses and repeats nothing" {
	seq 1 100 >F
	follow F P out
	wait_for lines_in out 100
	seq 101 200 >>F
	mv F F.1
	seq 201 300 >>F.1
	seq 301 400 >F
	wait_for lines_in out 400
	mv F.1 F.2
	mv F F.1
	seq 401 500 >F
	wait_for lines_in out 500
	stop_reader
	run filesrc-read F P
	assert_output ''
	assert_equal "$(cat out)" "$(seq 1 500)"
	assert_equal "$(cat out.err)" ''
}

@test "filesrc: a file that appears later is read from its beginning" {
	follow F P out
	seq 1 10 >F
	wait_for lines_in out 10
	stop_reader
	assert_equal "$(cat out)" "$(seq 1 10)"
}

@test "filesrc: copytruncate between runs reads the rest from the copy, then the file from 0" {
	seq 1 100 >F
	filesrc-read -c 30 F P >out
	seq 101 200 >>F
	cp F F.1
	truncate -s 0 F
	seq 201 250 >>F
	filesrc-read F P >>out
	run filesrc-read F P
	assert_output ''
	assert_equal "$(cat out)" "$(seq 1 250)"
}

@test "filesrc: copytruncate between runs with the file regrown past the position" {
	seq 1 100 >F
	filesrc-read -c 90 F P >out
	cp F F.1
	truncate -s 0 F
	seq 1001 2000 >>F
	filesrc-read F P >>out
	assert_equal "$(cat out)" "$(seq 1 100; seq 1001 2000)"
}

@test "filesrc: copytruncate of lines written after a run that found the file empty" {
	: >F
	run filesrc-read F P
	assert_output ''
	seq 1 50 >>F
	cp F F.1
	truncate -s 0 F
	seq 51 60 >>F
	filesrc-read F P >out
	assert_equal "$(cat out)" "$(seq 1 60)"
}

@test "filesrc: copytruncate while following loses and repeats nothing" {
	seq 1 100 >F
	follow F P out
	wait_for lines_in out 100
	seq 101 200 >>F
	cp F F.1
	truncate -s 0 F
	seq 201 300 >>F
	wait_for lines_in out 300
	mv F.1 F.2
	cp F F.1
	truncate -s 0 F
	wait_for lines_in out 300
	seq 301 400 >>F
	wait_for lines_in out 400
	stop_reader
	run filesrc-read F P
	assert_output ''
	assert_equal "$(cat out)" "$(seq 1 400)"
	assert_equal "$(cat out.err)" ''
}

@test "filesrc: a position whose file is gone restarts at the beginning and says so" {
	seq 1 10 >F
	filesrc-read -c 5 F P >/dev/null
	rm F
	seq 100 102 >F
	run filesrc-read F P
	assert_success
	assert_output $'100\n101\n102\nfilesrc-read: 1 positions lost'
}

@test "filesrc: -E starts at the end of the last complete line without a position" {
	printf '1\n2\n3' >F
	run filesrc-read -E F P
	assert_output ''
	printf '\n4\n' >>F
	run filesrc-read -E F P
	assert_output $'3\n4'
}

@test "filesrc: a damaged position file is an error, not a restart" {
	seq 1 3 >F
	printf 'mlog-fileoffset 1\n1 2 x\n' >P
	run filesrc-read F P
	assert_failure 1
	assert_output 'filesrc-read: F: Bad message'
	printf 'garbage\n' >P
	run filesrc-read F P
	assert_failure 1
}

@test "filesrc: a directory is not a source" {
	mkdir D
	run filesrc-read D P
	assert_failure 1
	assert_output --partial 'filesrc-read: D:'
}

@test "filesrc: 20 logrotate create rotations between runs lose and repeat nothing" {
	rotconf create
	: >app.log
	filesrc-read app.log P
	n=0
	for ((i = 1; i <= 20; i++)); do
		seq $((n + 1)) $((n + 37)) >>app.log
		n=$((n + 37))
		((i % 3)) || filesrc-read -c 10 app.log P >>out
		((i % 2)) || filesrc-read -e app.log P >>out
		rotate
	done
	seq $((n + 1)) $((n + 5)) >>app.log
	n=$((n + 5))
	filesrc-read -e app.log P >>out
	assert_equal "$(wc -l <out)" "$n"
	assert_equal "$(cat out)" "$(seq 1 "$n")"
	[ -f app.log.5 ] && [ ! -e app.log.6 ]
}

@test "filesrc: 20 logrotate copytruncate rotations between runs lose and repeat nothing" {
	rotconf copytruncate
	: >app.log
	ino=$(stat -c %i app.log)
	filesrc-read app.log P
	n=0
	for ((i = 1; i <= 20; i++)); do
		seq $((n + 1)) $((n + 37)) >>app.log
		n=$((n + 37))
		((i % 3)) || filesrc-read -c 10 app.log P >>out
		((i % 2)) || filesrc-read -e app.log P >>out
		((i % 5)) || filesrc-read -e app.log P >>out
		rotate
	done
	seq $((n + 1)) $((n + 5)) >>app.log
	n=$((n + 5))
	filesrc-read -e app.log P >>out
	assert_equal "$(wc -l <out)" "$n"
	assert_equal "$(cat out)" "$(seq 1 "$n")"
	assert_equal "$(stat -c %i app.log)" "$ino"
}

# rotate_following MODE: 20 logrotate rotations while a reader follows,
# sometimes before it has read what was written.
rotate_following() {
	rotconf "$1"
	: >app.log
	follow app.log P out
	n=0
	for ((i = 1; i <= 20; i++)); do
		seq $((n + 1)) $((n + 23)) >>app.log
		seq $((n + 24)) $((n + 50)) >>app.log
		n=$((n + 50))
		((i % 3)) || wait_for lines_in out "$n"
		rotate
	done
	seq $((n + 1)) $((n + 5)) >>app.log
	n=$((n + 5))
	wait_for lines_in out "$n"
	stop_reader
	run filesrc-read app.log P
	assert_output ''
	assert_equal "$(wc -l <out)" "$n"
	assert_equal "$(cat out)" "$(seq 1 "$n")"
	assert_equal "$(cat out.err)" ''
}

@test "filesrc: 20 logrotate create rotations while following lose and repeat nothing" {
	rotate_following create
}

@test "filesrc: 20 logrotate copytruncate rotations while following lose and repeat nothing" {
	rotate_following copytruncate
}

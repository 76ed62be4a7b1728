#!/usr/bin/env bats
# Cross-cutting: what a log directory open to other users draws, the modes
# of what the tools create, the temporary files of atomic replacements, and
# record lengths in hostile segments.

load test_helper
bats_require_minimum_version 1.5.0

SEG=00000000000000000000.log

# put FILE POS BYTES: write the printf(1) escapes BYTES at byte POS.
put() {
	printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

@test "security: a world-writable log directory draws one warning from each tool" {
	echo '{"k":1}' | mlog-append L
	chmod o+w L
	w='warning: log directory is writable by every user'
	run --separate-stderr mlog-tail L
	assert_success
	assert_output '{"k":1}'
	assert_equal "$stderr" "mlog-tail: L: $w"
	run --separate-stderr mlog-stat L
	assert_success
	assert_equal "$stderr" "mlog-stat: L: $w"
	run --separate-stderr mlog-check L
	assert_success
	assert_equal "$stderr" "mlog-check: L: $w"
	run --separate-stderr mlog-offset L list
	assert_success
	assert_equal "$stderr" "mlog-offset: L: $w"
	run --separate-stderr mlog-trim -n -r 1 L
	assert_success
	assert_equal "$stderr" "mlog-trim: L: $w"
	run --separate-stderr mlog-compact -n L
	assert_success
	assert_equal "$stderr" "mlog-compact: L: $w"
	run --separate-stderr mlog-append L <<<'{"k":2}'
	assert_success
	assert_equal "$stderr" "mlog-append: L: $w"
	run --separate-stderr mview build -k .k v.db L
	assert_success
	assert_equal "$stderr" "mview: L: $w"
}

@test "security: the sticky bit does not silence the warning" {
	echo x | mlog-append L
	chmod 1777 L
	run --separate-stderr mlog-tail L
	assert_success
	assert_output x
	assert_equal "$stderr" 'mlog-tail: L: warning: log directory is writable by every user'
}

@test "security: a log directory owned by another user draws a warning" {
	[ "$(id -u)" -eq 0 ] || skip 'needs root, to give the directory to nobody'
	echo x | mlog-append L
	chown nobody L
	run --separate-stderr mlog-tail L
	assert_success
	assert_output x
	assert_equal "$stderr" 'mlog-tail: L: warning: log directory is owned by another user'
	chmod o+w L
	run --separate-stderr mlog-stat L
	assert_success
	assert_equal "$stderr" 'mlog-stat: L: warning: log directory is owned by another user and writable by every user'
}

@test "security: a private log directory draws no warning" {
	echo x | mlog-append L
	chmod 700 L
	run --separate-stderr mlog-tail L
	assert_success
	assert_output x
	assert_equal "$stderr" ''
}

@test "security: files and directories follow the umask" {
	(umask 077 && echo x | mlog-append L && mlog-tail -g g L >/dev/null)
	assert_equal "$(stat -c %a L L/p0 L/groups/g)" $'700\n700\n700'
	assert_equal "$(stat -c %a L/meta L/p0/$SEG L/groups/g/offsets)" $'600\n600\n600'
	(umask 002 && echo x | mlog-append M && mlog-tail -g g M >/dev/null)
	assert_equal "$(stat -c %a M M/p0 M/groups/g)" $'775\n775\n775'
	assert_equal "$(stat -c %a M/meta M/p0/$SEG M/groups/g/offsets)" $'664\n664\n664'
}

@test "security: an atomic replacement leaves no temporary file, and never writes through a planted link" {
	echo x | mlog-append L
	mlog-tail -g g L >/dev/null
	echo precious >victim
	for pid in $(seq $$ $(($$ + 50))); do
		ln -s ../../../victim "L/groups/g/offsets.tmp.$pid"
	done
	echo y | mlog-append L
	run mlog-tail -g g L
	assert_success
	assert_output y
	run mlog-tail -g g L
	assert_success
	assert_output ''
	run cat victim
	assert_output precious
	rm L/groups/g/offsets.tmp.*
	run ls -A L/groups/g L L/p0
	refute_output --partial '.tmp.'
}

@test "security: a 4 GB record length in a segment is damage, not an allocation" {
	printf '%s\n' a b c | mlog-append L
	put L/p0/$SEG 84 '\377\377\377\377'
	run --separate-stderr mlog-check L
	assert_failure 1
	assert_line -n 0 "L: partition 0: $SEG: offset 2 (byte 84): bad length (reads 4294967295, expected 26)"
	run --separate-stderr mlog-tail L
	assert_success
	assert_output $'a\nb'
}

@test "security: a record length past the end of the last segment allocates only what the file holds" {
	printf '%s\n' a b c | mlog-append L
	cp -R L M
	(ulimit -v 200000 && mlog-tail M >/dev/null 2>&1) ||
		skip 'the binaries need more address space (a sanitizer build)'
	# 256 MiB + 48: within the record maximum, far past the file's end
	put L/p0/$SEG 84 '\060\000\000\020'
	run --separate-stderr bash -c 'ulimit -v 200000 && mlog-tail L'
	assert_success
	assert_output $'a\nb'
	assert_equal "$stderr" 'mlog-tail: L: partition 0: ignored a torn tail of 30 bytes (the next mlog-append cuts it)'
}

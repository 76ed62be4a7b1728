#!/usr/bin/env bats
# Consumer groups: members of a group share a log's partitions.

load test_helper

# holds FILE: the partitions named by the last --member-info line in FILE.
holds() {
	[ -f "$1" ] || return 1
	grep 'holds partitions:' "$1" | tail -n 1 | sed 's/.*holds partitions://'
}

# covered N FILE...: the members' last reports name partitions 0..N-1,
# each exactly once.
covered() {
	local n=$1 f want got
	shift
	want=$(seq 0 $((n - 1)) | tr '\n' ' ')
	got=$(for f in "$@"; do holds "$f"; done | tr ' ' '\n' |
		grep -v -e '^$' -e none | sort -n | tr '\n' ' ')
	[ "$got" = "$want" ]
}

# keyed LOG FROM TO: records kFROM..kTO spread over the partitions by key.
keyed() {
	local i
	for ((i = $2; i <= $3; i++)); do echo "k$i:v$i"; done |
		mlog-append -K : "$1"
}

# start_member NAME: a follower in group g, reporting its partitions.
start_member() {
	mlog-tail -g g -M -f -F '%p %s\n' L >"$1.out" 2>"$1.err" 3>&- &
	eval "pid_$1=\$!"
}

# settled N FILE...: every member holds some partition and together they
# hold partitions 0..N-1, each once.
settled() {
	local n=$1 f
	shift
	for f in "$@"; do
		holds "$f" | grep -q '[0-9]' || return 1
	done
	covered "$n" "$@"
}

total_lines() {
	[ "$(cat "${@:2}" | wc -l)" -ge "$1" ]
}

@test "mlog-tail: group members split the partitions and every record is read once" {
	mlog-append -P 4 L </dev/null
	start_member a
	wait_for covered 4 a.err
	start_member b
	wait_for settled 4 a.err b.err
	keyed L 1 400
	wait_for total_lines 400 a.out b.out
	run sh -c 'cat a.out b.out | sort | uniq -d'
	assert_output ''
	run sh -c 'cat a.out b.out | wc -l'
	assert_output 400
	# each partition went to one member only
	run sh -c "{ cut -d' ' -f1 a.out | sort -u; cut -d' ' -f1 b.out | sort -u; } | sort | uniq -d"
	assert_output ''
}

@test "mlog-tail: one, two and three members over four partitions each leave no partition unread or shared" {
	mlog-append -P 4 L </dev/null
	start_member a
	wait_for covered 4 a.err
	start_member b
	wait_for settled 4 a.err b.err
	start_member c
	wait_for settled 4 a.err b.err c.err
	kill "$pid_c"
	wait_for settled 4 a.err b.err
}

@test "mlog-tail: a member killed with -9 mid-stream has its partitions taken over, and no record is lost" {
	mlog-append -P 4 L </dev/null
	start_member a
	wait_for covered 4 a.err
	start_member b
	wait_for settled 4 a.err b.err
	# a writer appends while the members read
	( for ((c = 0; c < 40; c++)); do keyed L $((c * 100 + 1)) $((c * 100 + 100)); done ) 3>&- &
	writer=$!
	wait_for lines_in a.out 300
	kill -9 "$pid_a"
	wait "$writer"
	wait_for covered 4 b.err
	wait_for sh -c 'cat a.out b.out | sort -u | wc -l | grep -qx 4000'
	# duplicates are only records the dead member read but had not
	# committed: in its partitions, and at most a second's worth
	cat a.out b.out | sort | uniq -d >dups
	echo "# $(wc -l <dups) duplicates after kill -9" >&3
	run sh -c "cut -d' ' -f1 dups | sort -u | while read p; do grep -q \"^\$p \" a.out || echo \$p; done"
	assert_output ''
	# the dead member's file is gone once another member looks
	run sh -c "ls L/groups/g/members | wc -l"
	assert_output 1
}

@test "mlog-tail: members commit their own partitions without undoing each other's" {
	mlog-append -P 2 L </dev/null
	start_member a
	wait_for covered 2 a.err
	start_member b
	wait_for settled 2 a.err b.err
	keyed L 1 100
	wait_for total_lines 100 a.out b.out
	kill "$pid_a" "$pid_b"
	wait "$pid_a" "$pid_b" || true
	end0=$(mlog-tail -p 0 -o -1 -c 1 -F %o L)
	end1=$(mlog-tail -p 1 -o -1 -c 1 -F %o L)
	run positions L/groups/g/offsets
	assert_output "$(printf 'mlog-offsets 1\n0 %d\n1 %d' $((end0 + 1)) $((end1 + 1)))"
}

@test "mlog-tail: --member-info without a group says nothing" {
	echo x | mlog-append L
	run mlog-tail -M L
	assert_success
	assert_output 'x'
}

@test "mlog-tail: a member without -f waits for its share to be handed over" {
	mlog-append -P 4 L </dev/null
	start_member a
	wait_for covered 4 a.err
	mlog-tail -g g -e -M L >b.out 2>b.err
	# it got its share from the follower instead of leaving empty-handed
	run holds b.err
	assert_output --regexp '^ [0-3] [0-3]$'
}

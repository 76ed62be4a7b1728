#!/usr/bin/env bats
# The binaries under valgrind (memcheck): a few representative invocations
# of each, on small data, where a read of uninitialised or freed memory, an
# overrun or a definite leak fails the test.  `make check-valgrind` runs it
# (not `make check`: bats does not look into tests/valgrind/).  The tools
# on PATH are wrappers that exec valgrind on the binaries in MLOG_BIN;
# valgrind writes each process's errors to a file of its own, which
# teardown shows and fails on, so that a process in a pipeline, whose exit
# status is lost, counts too.  Without errors valgrind writes nothing.

load ../test_helper

# The wrappers come first on PATH (setup_file made them; test_helper put
# MLOG_BIN first).
[ -z "${VG_DIR-}" ] || PATH=$VG_DIR/bin:$PATH

setup_file() {
	local p name
	command -v valgrind >/dev/null ||
		fail "valgrind not found (make check-valgrind installs it)"
	VG_DIR=$BATS_FILE_TMPDIR/vg
	mkdir -p "$VG_DIR/bin" "$VG_DIR/log"
	for p in "$MLOG_BIN"/*; do
		[ -f "$p" ] && [ -x "$p" ] || continue
		name=${p##*/}
		cat >"$VG_DIR/bin/$name" <<EOF
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full \\
    --show-leak-kinds=definite --errors-for-leak-kinds=definite \\
    --log-file="$VG_DIR/log/%p.$name" "$p" "\$@"
EOF
		chmod +x "$VG_DIR/bin/$name"
	done
	export VG_DIR
}

# Background processes a test started must not outlive it, and no process
# may have left a report.
teardown() {
	local pids f reports=
	pids=$(jobs -p)
	[ -z "$pids" ] || kill $pids 2>/dev/null || true
	for f in "$VG_DIR"/log/*; do
		[ -e "$f" ] || continue
		[ ! -s "$f" ] || reports+="==> $f <==
$(cat "$f")
"
		rm -f "$f"
	done
	[ -z "$reports" ] || fail "valgrind reports:
$reports"
}

# same TOOL ARGS...: TOOL under valgrind writes what the binary itself
# writes (standard output and error), with the same exit status.
same() {
	local want st=0
	want=$(plain "$@" 2>&1) || st=$?
	run "$@"
	assert_equal "$status" "$st"
	assert_output "$want"
}

# plain TOOL ARGS...: the binary itself, for the data a test starts from.
plain() {
	"$MLOG_BIN/$1" "${@:2}"
}

SAMPLE=$BATS_TEST_DIRNAME/../../sample

@test "valgrind: the wrappers run the binaries under valgrind" {
	run head -n 2 "$(command -v mlog-append)"
	assert_line -n 1 --partial 'exec valgrind -q --error-exitcode=99'
}

@test "valgrind: mlog-append: keys over partitions, envelopes, segment rolls, a bad partition" {
	printf 'k%d v%d\n' 1 1 2 2 3 3 4 4 | mlog-append -P 3 -K ' ' -O K >off
	assert_equal "$(wc -l <off)" 4
	seq 1 500 | mlog-append -s 1K S
	[ "$(ls S/p0/*.log | wc -l)" -gt 3 ]
	run mlog-append -J E <<<'{"partition":0,"key":"k","value":"v","timestamp":1700000000000000}'
	assert_success
	run mlog-append -p 5 K <<<"x"
	assert_failure
}

@test "valgrind: mlog-tail: -e, -J, -F, -g commits, a text file with -g" {
	seq 1 300 | plain mlog-append -P 2 -s 1K L
	same mlog-tail -e L
	same mlog-tail -J -c 2 -o 100 L
	run mlog-tail -g G -m pending -c 5 -F '%p %o %s\n' L
	assert_success
	assert_equal "${#lines[@]}" 5
	seq 1 3 >app.log
	run mlog-tail -g job app.log
	assert_output "$(seq 1 3)"
	same mlog-tail -o nowhere L
}

@test "valgrind: mlog-offset: show, reset, two-phase commit" {
	seq 1 20 | plain mlog-append -P 2 L
	plain mlog-tail -g G -c 5 L >/dev/null
	same mlog-offset -J -g G L
	run mlog-offset -g G -b -x L reset
	assert_success
	plain mlog-tail -g P -m pending -c 4 L >/dev/null
	run mlog-offset -g P L commit
	assert_success
	same mlog-offset -g nobody L commit
}

@test "valgrind: mlog-stat: plain, -J and -r, with groups" {
	seq 1 300 | plain mlog-append -P 2 -s 1K L
	plain mlog-tail -g G -c 10 L >/dev/null
	same mlog-stat L
	same mlog-stat -J -r L
	same mlog-stat nolog
}

@test "valgrind: mlog-trim: -n, -r, a bad limit" {
	seq 1 300 | plain mlog-append -s 1K L
	same mlog-trim -n -r 100 L
	run mlog-trim -r 100 L
	assert_success
	[ "$(plain mlog-tail -e L | wc -l)" -ge 100 ]
	same mlog-trim -r x L
}

@test "valgrind: mlog-compact: -n, a run with tombstones" {
	awk 'BEGIN { for (i = 0; i < 200; i++) print "k" i % 7, "v" i
	    print "k1 null"; print "x last" }' | plain mlog-append -K ' ' -s 1K L
	same mlog-compact -n L
	run mlog-compact -d 0 L
	assert_success
	assert_output --partial 'partition 0: keys '
	run plain mlog-tail -F '%k %s\n' -e L
	# k1's sealed records went: the tombstone in the active segment replaced them
	assert_line 'k0 v196'
	assert_line 'k1 null'
	refute_line 'k1 v190'
}

@test "valgrind: mlog-check: clean, damaged, a torn tail repaired" {
	seq 1 300 | plain mlog-append -s 1K L
	same mlog-check L
	cp -r L D
	printf X | dd of=D/p0/00000000000000000032.log bs=1 seek=200 \
	    conv=notrunc status=none
	same mlog-check D
	truncate -s -5 L/p0/00000000000000000282.log
	run mlog-check --repair L
	assert_success
	assert_line -n 1 --partial 'repair: cut the torn tail'
}

@test "valgrind: mfilter: comparisons, regex, -c, bad lines, --strict, a bad expression" {
	same mfilter '.status >= 500 and (.path | test("^/api/"))' "$SAMPLE/app.jsonl"
	same mfilter -c -e '.host == "web-1"' -e '.method != "GET"' "$SAMPLE/app.jsonl"
	printf '%s\n' '{"a":1}' oops '{"a":2}' >in
	same mfilter --bad=bad '.a > 1' in
	same mfilter --strict '.a' in
	same mfilter '.a >' in
}

@test "valgrind: mmap: construction, strings, regex, builtins, --from regex, a bad expression" {
	same mmap '{ts, path, ms: .latency_ms, up: (.path | ascii_upcase)}' "$SAMPLE/app.jsonl"
	same mmap -r '.path | sub("/(?<x>[a-z]+)"; "<\(.x)>") | split("/") | join(",")' "$SAMPLE/app.jsonl"
	same mmap 'with_entries(select(.key != "ts")) | del(.host) | keys, (.ts | fromdateiso8601? // "bad")' "$SAMPLE/app.jsonl"
	printf '%s\n' '1.2.3.4 - - [02/Mar/2026:09:00:01 +0000] "GET / HTTP/1.1" 200' >access.log
	same mmap --from 'regex:^(?<ip>\S+) \S+ \S+ \[(?<time>[^]]+)\] "(?<req>[^"]*)" (?<status>\d+)' --infer . access.log
	same mmap '.a[' "$SAMPLE/app.jsonl"
}

@test "valgrind: mwindow: tumbling, hopping and session windows, percentiles, groups" {
	same mwindow --tumbling 5m --time .ts -a count,p99:.latency_ms,distinct:.path "$SAMPLE/app.jsonl"
	same mwindow --hopping 10m --every 5m --time .ts --by .host -a count,sum:.latency_ms,avg:.latency_ms "$SAMPLE/app.jsonl"
	same mwindow --session 30s --time .ts --by .host --grace 10s --late=late -a count,min:.latency_ms,top:2:.path "$SAMPLE/app.jsonl"
	same mwindow --tumbling 1x --time .ts "$SAMPLE/app.jsonl"
}

@test "valgrind: mjoin: a table join, an interval join, an as-of join" {
	same mjoin --on .host --table "$SAMPLE/hosts.jsonl" "$SAMPLE/app.jsonl"
	plain mmap '{host, t: .ts, status}' "$SAMPLE/app.jsonl" | plain mfilter '.status >= 400' >right
	same mjoin --on .host --right right --time .ts --right-time .t --within 1m --outer "$SAMPLE/app.jsonl"
	same mjoin --on .host --right right --time .ts --right-time .t --asof backward --tolerance 5m "$SAMPLE/app.jsonl"
	same mjoin --on .host "$SAMPLE/app.jsonl"
}

@test "valgrind: mview: build, catch-up, get, dump, status" {
	plain mlog-append U <"$SAMPLE/app.jsonl"
	run mview build hits.db U -k .path -r count
	assert_success
	head -n 5 "$SAMPLE/app.jsonl" | plain mlog-append U
	run mview build hits.db U -k .path -r count
	assert_success
	plain mview build last.db U -k .host -v '{status, ms: .latency_ms}'
	same mview dump hits.db
	same mview get last.db '"web-1"'
	same mview status -J hits.db
	same mview build hits.db U -k .host
}

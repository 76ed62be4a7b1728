#!/usr/bin/env bats
# mview: every reduce, catch-up without double-applying, several
# partitions, --rebuild and the definition check, bad records, get (keys,
# --min-offset read-your-writes and its timeout), dump, status, following,
# signals, a trimmed or replaced log, the reader API, and the usage and
# runtime errors.  The kill -9 test is in mview-crash.bats.

load test_helper
bats_require_minimum_version 1.5.0

# The SYNOPSIS of mview(1).
USAGE='usage: mview build [-f] [--bad=file] [--rebuild] [--strict] -k expr
                   [-r reduce] [-v expr] db log
       mview get [-o partition:offset] [-t duration] db key
       mview dump db
       mview status [-J] db'

# users LOG [ARGS...]: five records of three users, appended with
# mlog-append ARGS.
users() {
	printf '%s\n' '{"user":"alice","n":3}' '{"user":"bob","n":5}' \
	    '{"user":"alice","n":1}' '{"user":"carol","n":2.5}' \
	    '{"user":"bob","n":-4}' | mlog-append "$@"
}

# ready DB: DB is a view (its builder has made the schema).
ready() {
	mview status "$1" >/dev/null 2>&1
}

# following DB LOG ARGS...: mview build -f in the background, $builder its
# pid, once the view is ready.
following() {
	local db=$1 log=$2
	shift 2
	mview build -f "$db" "$log" "$@" 2>builder.err 3>&- &
	builder=$!
	wait_for ready "$db"
}

# --- reduces -----------------------------------------------------------------

@test "mview: latest keeps the last value of each key" {
	users L
	run --separate-stderr mview build v.db L --key .user
	assert_success
	assert_equal "$stderr" ''
	run mview dump v.db
	assert_success
	assert_output '{"key":"alice","value":{"user":"alice","n":1}}
{"key":"bob","value":{"user":"bob","n":-4}}
{"key":"carol","value":{"user":"carol","n":2.5}}'
}

@test "mview: latest with a null value deletes the key" {
	users L
	printf '%s\n' '{"user":"bob","v":null}' '{"user":"carol","v":7}' |
		mlog-append L
	mview build v.db L --key .user --value '.v // .n'
	run mview dump v.db
	assert_output '{"key":"alice","value":1}
{"key":"carol","value":7}'
	echo '{"user":"alice","v":null}' | mlog-append L
	mview build v.db L --key .user --value '.v // .n'
	run mview dump v.db
	assert_output '{"key":"carol","value":7}'
}

@test "mview: --value keeps what the expression makes, compact, members in their order" {
	echo '{"id":1, "b":2, "a":{"y":1, "x":[1, 2]}}' | mlog-append L
	mview build v.db L -k .id -v '{b, a}'
	run mview get v.db 1
	assert_success
	assert_output '{"b":2,"a":{"y":1,"x":[1,2]}}'
}

@test "mview: count counts the records of each key" {
	users L
	mview build v.db L --key .user --reduce count
	run mview dump v.db
	assert_output '{"key":"alice","value":2}
{"key":"bob","value":2}
{"key":"carol","value":1}'
}

@test "mview: sum adds the numbers of each key" {
	users L
	mview build v.db L --key .user --reduce sum:.n
	run mview dump v.db
	assert_output '{"key":"alice","value":4}
{"key":"bob","value":1}
{"key":"carol","value":2.5}'
}

@test "mview: min and max keep the smallest and the largest number of each key" {
	users L
	mview build lo.db L --key .user --reduce min:.n
	mview build hi.db L --key .user -r max:.n
	run mview dump lo.db
	assert_output '{"key":"alice","value":1}
{"key":"bob","value":-4}
{"key":"carol","value":2.5}'
	run mview dump hi.db
	assert_output '{"key":"alice","value":3}
{"key":"bob","value":5}
{"key":"carol","value":2.5}'
}

@test "mview: min and max across runs compare with the stored value" {
	echo '{"k":"a","n":5}' | mlog-append L
	mview build v.db L -k .k -r min:.n
	printf '%s\n' '{"k":"a","n":7}' '{"k":"a","n":-1.5}' '{"k":"a","n":0}' |
		mlog-append L
	mview build v.db L -k .k -r min:.n
	run mview get v.db a
	assert_output '-1.5'
}

@test "mview: a sum over a value that is not a number is an error for that record; null is skipped" {
	printf '%s\n' '{"k":"a","n":1}' '{"k":"a","n":"x"}' '{"k":"a"}' \
	    '{"k":"a","n":2}' | mlog-append L
	run --separate-stderr mview build v.db L -k .k -r sum:.n
	assert_success
	assert_equal "$stderr" 'mview: 1 record raised an error; first at record 0:1: .n: string ("x") is not a number
mview: 1 record skipped; first at record 0:2: no value (.n is null)'
	run mview get v.db a
	assert_output '3'
}

# --- keys ----------------------------------------------------------------------

@test "mview: keys are canonical JSON: 1 and \"1\" differ, object members are sorted" {
	printf '%s\n' '{"k":1,"v":"number"}' '{"k":"1","v":"string"}' \
	    '{"k":{"b":1,"a":2},"v":"object"}' '{"k":1.0,"v":"number again"}' \
	    '{"k":[true,null],"v":"array"}' | mlog-append L
	mview build v.db L -k .k -v .v
	run mview dump v.db
	assert_output '{"key":"1","value":"string"}
{"key":1,"value":"number again"}
{"key":[true,null],"value":"array"}
{"key":{"a":2,"b":1},"value":"object"}'
	run sqlite3 v.db 'SELECT key FROM rows ORDER BY key'
	assert_output '"1"
1
[true,null]
{"a":2,"b":1}'
}

@test "mview: a record with a null or missing key is skipped and counted" {
	printf '%s\n' '{"k":"a"}' '{"x":1}' '{"k":null}' '{"k":"b"}' | mlog-append L
	run --separate-stderr mview build v.db L -k .k -r count
	assert_success
	assert_equal "$stderr" 'mview: 2 records skipped; first at record 0:1: no key (.k is null)'
	run mview dump v.db
	assert_output '{"key":"a","value":1}
{"key":"b","value":1}'
}

@test "mview: a key expression without output skips the record" {
	printf '%s\n' '{"k":"a"}' '{"k":"b"}' | mlog-append L
	run --separate-stderr mview build v.db L -k 'select(.k == "a") | .k'
	assert_success
	assert_equal "$stderr" 'mview: 1 record skipped; first at record 0:1: no key (select(.k == "a") | .k is empty)'
	run mview dump v.db
	assert_output '{"key":"a","value":{"k":"a"}}'
}

# --- catching up, partitions -------------------------------------------------

@test "mview: a rerun applies only the records appended since" {
	seq 1 10 | sed 's/.*/{"k":"x","i":&}/' | mlog-append L
	mview build v.db L -k .k -r count
	run mview get v.db x
	assert_output '10'
	mview build v.db L -k .k -r count
	run mview get v.db x
	assert_output '10'
	seq 11 15 | sed 's/.*/{"k":"x","i":&}/' | mlog-append L
	mview build v.db L -k .k -r count
	run mview get v.db x
	assert_output '15'
	run sqlite3 v.db 'SELECT partition, next_offset FROM applied'
	assert_output '0|15'
}

@test "mview: every partition of a log is applied, each with its own offset" {
	mlog-append -P 3 L </dev/null
	for p in 0 1 2; do
		seq 1 $((p + 2)) | sed "s/.*/{\"p\":$p}/" | mlog-append -p $p L
	done
	echo '{"p":0}' | mlog-append -p 2 L
	mview build v.db L -k .p -r count
	run mview dump v.db
	assert_output '{"key":0,"value":3}
{"key":1,"value":3}
{"key":2,"value":4}'
	run sqlite3 v.db 'SELECT partition, next_offset FROM applied ORDER BY 1'
	assert_output '0|2
1|3
2|5'
	echo '{"p":1}' | mlog-append -p 1 L
	mview build v.db L -k .p -r count
	run mview get v.db 1
	assert_output '4'
}

# --- definition ----------------------------------------------------------------

@test "mview: a different definition is refused and says what differs" {
	users L
	mview build v.db L -k .user
	run mview build v.db L -k .name
	assert_failure 1
	assert_output 'mview: v.db: the view was built with --key .user, not --key .name; use --rebuild to rebuild it from the log start'
	run mview build v.db L -k .user -r count
	assert_failure 1
	assert_output 'mview: v.db: the view was built with --value . --reduce latest, not --reduce count; use --rebuild to rebuild it from the log start'
	run mview build v.db L -k .user -v .n
	assert_failure 1
	assert_output 'mview: v.db: the view was built with --value ., not --value .n; use --rebuild to rebuild it from the log start'
	users M
	run mview build v.db M -k .user
	assert_failure 1
	assert_output "mview: v.db: the view was built with log $(pwd -P)/L, not log $(pwd -P)/M; use --rebuild to rebuild it from the log start"
	run mview get v.db alice
	assert_output '{"user":"alice","n":1}'
}

@test "mview: the log is named by its real path" {
	users L
	mkdir d
	mview build v.db L -k .user -r count
	run mview build v.db d/../L -k .user -r count
	assert_success
	run mview build v.db "$PWD/L" -k .user -r count
	assert_success
	run mview get v.db alice
	assert_output '2'
}

@test "mview: --rebuild starts again from the log start with the new definition" {
	users L
	mview build v.db L -k .user -r count
	run mview build --rebuild v.db L -k .n -r count
	assert_success
	run mview dump v.db
	assert_output '{"key":-4,"value":1}
{"key":1,"value":1}
{"key":2.5,"value":1}
{"key":3,"value":1}
{"key":5,"value":1}'
	run mview build --rebuild v.db L -k .n -r count
	assert_success
	run mview get v.db 5
	assert_output '1'
	run sqlite3 v.db "SELECT value FROM meta WHERE name = 'key'"
	assert_output '.n'
}

# --- bad records ---------------------------------------------------------------

@test "mview: bad JSON records are dropped, counted and reported by partition:offset" {
	printf '%s\n' '{"k":"a"}' 'not json' '{"k":"b"' '{"k":"a"}' | mlog-append L
	run --separate-stderr mview build v.db L -k .k -r count
	assert_success
	assert_equal "$stderr" 'mview: 2 bad records dropped; first at record 0:1: invalid JSON at column 1: invalid literal'
	run mview dump v.db
	assert_output '{"key":"a","value":2}'
	run sqlite3 v.db 'SELECT next_offset FROM applied'
	assert_output '4'
}

@test "mview: --strict stops at the first bad record with what came before it applied" {
	mlog-append -P 2 L </dev/null
	printf '%s\n' '{"k":"a"}' '{"k":"a"}' '{"k":' '{"k":"a"}' | mlog-append -p 1 L
	run --separate-stderr mview build --strict v.db L -k .k -r count
	assert_failure 1
	assert_equal "$stderr" 'mview: L: record 1:2: invalid JSON at column 6: unexpected end of input'
	run mview get v.db a
	assert_output '2'
	run sqlite3 v.db 'SELECT partition, next_offset FROM applied'
	assert_output '1|2'
	# the same record stops the next strict run; a lenient one goes past
	run mview build --strict v.db L -k .k -r count
	assert_failure 1
	run mview build v.db L -k .k -r count
	assert_success
	run mview get v.db a
	assert_output '3'
}

@test "mview: --bad=FILE appends the bad records and those that raised errors, one per line" {
	printf '%s\n' '{"k":"a"}' 'not json' '{"k":{"a":1}}' '{"k":"a"}' | mlog-append L
	echo 'kept' > dead.jsonl
	run --separate-stderr mview build --bad=dead.jsonl v.db L -k '.k | .a' -r count
	assert_success
	assert_equal "$stderr" 'mview: 1 bad record written to dead.jsonl; first at record 0:1: invalid JSON at column 1: invalid literal
mview: 2 records raised errors, written to dead.jsonl; first at record 0:0: .k | .a: Cannot index string with string "a"'
	run cat dead.jsonl
	assert_output 'kept
{"k":"a"}
not json
{"k":"a"}'
	run mview dump v.db
	assert_output '{"key":1,"value":1}'
	run --separate-stderr mview build --bad=nodir/dead --rebuild v.db L -k .k -r count
	assert_failure 1
	assert_equal "$stderr" 'mview: nodir/dead: No such file or directory'
}

@test "mview: an error in the key expression drops the record, or stops --strict" {
	printf '%s\n' '{"k":{"a":1}}' '{"k":5}' '{"k":{"a":2}}' | mlog-append L
	run --separate-stderr mview build v.db L -k .k.a
	assert_success
	assert_equal "$stderr" 'mview: 1 record raised an error; first at record 0:1: .k.a: Cannot index number with string "a"'
	run mview build --strict --rebuild v.db L -k .k.a
	assert_failure 1
	assert_output 'mview: L: record 0:1: .k.a: Cannot index number with string "a"'
}

@test "mview: a tombstone record (null value) has no key" {
	printf '%s\n' '{"value":"{\"k\":\"a\"}"}' '{"key":"a","value":null}' |
		mlog-append -J L
	run --separate-stderr mview build v.db L -k .k -r count
	assert_success
	assert_equal "$stderr" 'mview: 1 record skipped; first at record 0:1: no key (.k is null)'
	run mview build --rebuild v.db L -k '.' -r count
	run mview dump v.db
	assert_output '{"key":{"k":"a"},"value":1}'
}

# --- get -----------------------------------------------------------------------

@test "mview: get takes KEY as JSON when it parses, else as a string" {
	printf '%s\n' '{"k":42,"v":"n"}' '{"k":"42","v":"s"}' '{"k":"alice","v":"a"}' \
	    '{"k":{"b":[1],"a":null},"v":"o"}' '{"k":true,"v":"t"}' | mlog-append L
	mview build v.db L -k .k -v .v
	run mview get v.db 42
	assert_output '"n"'
	run mview get v.db '"42"'
	assert_output '"s"'
	run mview get v.db alice
	assert_output '"a"'
	run mview get v.db '{ "a": null, "b": [1] }'
	assert_output '"o"'
	run mview get v.db true
	assert_output '"t"'
	run mview get v.db 'true story'
	assert_failure 1
	assert_output 'mview: "true story": no such key'
}

@test "mview: get of an absent key exits 1 naming the key as looked up" {
	users L
	mview build v.db L -k .user
	run --separate-stderr mview get v.db dave
	assert_failure 1
	assert_output ''
	assert_equal "$stderr" 'mview: "dave": no such key'
	run mview get v.db 7
	assert_failure 1
	assert_output 'mview: 7: no such key'
}

@test "mview: get --min-offset answers at once when the view is there already" {
	users L
	mview build v.db L -k .user -r count
	run mview get --min-offset 0:4 v.db bob
	assert_success
	assert_output '2'
}

@test "mview: get --min-offset times out naming the offset it waited for and where the view is" {
	users L
	mview build v.db L -k .user -r count
	run timeout 10 mview get -o 0:5 -t 300ms v.db bob
	assert_failure 1
	assert_output 'mview: v.db: timed out after 300ms waiting for offset 0:5; the view'"'"'s next offset in partition 0 is 5'
	run timeout 10 mview get --min-offset 3:0 --timeout 0 v.db bob
	assert_failure 1
	assert_output 'mview: v.db: timed out after 0 waiting for offset 3:0; the view'"'"'s next offset in partition 3 is 0'
}

# --- following -------------------------------------------------------------------

@test "mview: -f applies records appended after it started" {
	mlog-append L </dev/null
	following v.db L -k .user -r count
	users L
	run timeout 10 mview get -o 0:4 v.db alice
	assert_success
	assert_output '2'
	kill "$builder"
}

@test "mview: read-your-writes: a get --min-offset at the offset an append printed sees the write" {
	mlog-append -P 2 L </dev/null
	following v.db L -k .k -v .i
	local i n out p o
	n=$(scaled 20 5)
	for ((i = 1; i <= n; i++)); do
		out=$(echo "{\"k\":\"key$((i % 4))\",\"i\":$i}" | mlog-append -O L)
		read -r p o <<<"$out"
		run timeout 10 mview get --min-offset "$p:$o" --timeout 10s v.db "key$((i % 4))"
		assert_success
		assert_output "$i"
	done
	kill "$builder"
}

@test "mview: SIGTERM and SIGINT commit what is applied and exit 0" {
	seq 1 100 | sed 's/.*/{"k":"x"}/' | mlog-append L
	for sig in TERM INT; do
		mview build -f v.db L -k .k -r count 3>&- &
		builder=$!
		wait_for ready v.db
		timeout 10 mview get -o 0:99 v.db x >/dev/null
		kill -"$sig" "$builder"
		rc=0
		wait "$builder" || rc=$?
		assert_equal "$rc" 0
	done
	run mview get v.db x
	assert_output '100'
}

@test "mview: a second builder on the same view is refused" {
	mlog-append L </dev/null
	following v.db L -k .k
	run mview build v.db L -k .k
	assert_failure 1
	assert_output 'mview: v.db: another mview build is running on it'
	kill "$builder"
}

@test "mview: readers see a consistent view while -f commits" {
	mlog-append L </dev/null
	following v.db L -k .k -r count
	for i in 1 2 3; do
		seq 1 500 | sed 's/.*/{"k":"x"}/' | mlog-append L
		run timeout 10 mview get -o 0:$((i * 500 - 1)) v.db x
		assert_output "$((i * 500))"
	done
	run sqlite3 v.db 'SELECT value FROM rows'
	assert_output '1500'
	kill "$builder"
}

# --- the log changed under the view ----------------------------------------------

@test "mview: a log trimmed past the view's offset is a warning; the view continues at the log start" {
	seq 1 300 | sed 's/.*/{"k":"x","i":&}/' | mlog-append -s 1K L
	printf '%s\n' '{"k":"x"}' | mlog-append L
	mview build v.db L -k .k -r count
	first=$(ls L/p0/*.log | head -n 1)
	second=$(ls L/p0/*.log | sed -n 2p)
	third=$(ls L/p0/*.log | sed -n 3p)
	start=$((10#$(basename "$third" .log)))
	sqlite3 v.db 'UPDATE applied SET next_offset = 1'
	rm "$first" "${first%.log}.idx" "$second" "${second%.log}.idx"
	run --separate-stderr mview build v.db L -k .k -r count
	assert_success
	assert_equal "$stderr" "mview: L: partition 0: the view's next offset 1 is before the log start $start; $((start - 1)) records were missed"
	run mview get v.db x
	assert_output "$((301 + 301 - start))"
}

@test "mview: a view ahead of its log (the log replaced) is an error" {
	users L
	mview build v.db L -k .user
	rm -r L
	echo '{"user":"x"}' | mlog-append L
	run mview build v.db L -k .user
	assert_failure 1
	assert_output "mview: v.db: partition 0: the view's next offset 5 is past the log end 1; was the log replaced? use --rebuild"
	run mview build --rebuild v.db L -k .user
	assert_success
	run mview dump v.db
	assert_output '{"key":"x","value":{"user":"x"}}'
}

# --- dump, status, sqlite3, the reader API -----------------------------------------

@test "mview: dump of an empty view prints nothing" {
	mlog-append L </dev/null
	mview build v.db L -k .k
	run --separate-stderr mview dump v.db
	assert_success
	assert_output ''
	assert_equal "$stderr" ''
}

@test "mview: status shows the log, the definition, offsets, lag and rows" {
	mlog-append -P 2 L </dev/null
	users L -p 0
	mview build v.db L -k .user -r sum:.n
	printf '%s\n' '{"user":"x"}' '{"user":"y"}' | mlog-append -p 1 L
	run mview status v.db
	assert_success
	assert_output "db: v.db
log: $(pwd -P)/L
key: .user
reduce: sum:.n
rows: 3
PARTITION     NEXT-OFFSET  LOG-END-OFFSET         LAG
0                       5               5           0
1                       0               2           2"
	run mview status --json v.db
	assert_success
	assert_output "{\"db\":\"v.db\",\"log\":\"$(pwd -P)/L\",\"key\":\".user\",\"value\":null,\"reduce\":\"sum:.n\",\"rows\":3,\"log_error\":null,\"partitions\":[{\"partition\":0,\"next_offset\":5,\"end\":5,\"lag\":0},{\"partition\":1,\"next_offset\":0,\"end\":2,\"lag\":2}],\"lag\":2}"
}

@test "mview: status without the log shows what the view knows" {
	users L
	mview build v.db L -k .user
	mv L L2
	run mview status -J v.db
	assert_success
	assert_output "{\"db\":\"v.db\",\"log\":\"$(pwd -P)/L\",\"key\":\".user\",\"value\":\".\",\"reduce\":\"latest\",\"rows\":3,\"log_error\":\"No such file or directory\",\"partitions\":[{\"partition\":0,\"next_offset\":5,\"end\":null,\"lag\":null}],\"lag\":null}"
	run mview status v.db
	assert_output "db: v.db
log: $(pwd -P)/L (No such file or directory)
key: .user
value: .
reduce: latest
rows: 3
PARTITION     NEXT-OFFSET  LOG-END-OFFSET         LAG
0                       5               -           -"
}

@test "mview: the database is a plain SQLite file with the documented schema" {
	users L
	mview build v.db L -k .user -r count
	run sqlite3 v.db "SELECT key, value FROM rows WHERE json_extract(key, '\$') = 'bob'"
	assert_output '"bob"|2'
	run sqlite3 v.db '.schema'
	assert_output 'CREATE TABLE rows(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE applied(partition INTEGER PRIMARY KEY, next_offset INTEGER NOT NULL);
CREATE TABLE meta(name TEXT PRIMARY KEY, value TEXT NOT NULL);'
	run sqlite3 v.db 'PRAGMA journal_mode'
	assert_output 'wal'
	run sqlite3 v.db "SELECT value FROM meta WHERE name = 'format'"
	assert_output '1'
}

@test "mview: the reader API scans the rows in key order and stops when asked" {
	users L
	mview build v.db L -k .user -r count
	run view-scan v.db
	assert_success
	assert_output $'is_db 1\n"alice"\t2\n"bob"\t2\n"carol"\t1'
	run view-scan v.db 1
	assert_output $'is_db 1\n"alice"\t2\nstopped 7'
	echo 'hello' >notes
	run view-scan notes
	assert_failure 1
	assert_output $'is_db 0\nview-scan: notes: not an mview database'
	run view-scan missing
	assert_failure 1
	assert_output 'view-scan: missing: No such file or directory'
}

# --- errors ---------------------------------------------------------------------

@test "mview: a file that is not a view is refused and left alone" {
	users L
	echo 'precious' >notes
	run mview build notes L -k .user
	assert_failure 1
	assert_output 'mview: notes: not an mview database'
	run cat notes
	assert_output 'precious'
	sqlite3 other.db 'CREATE TABLE t(x); INSERT INTO t VALUES(1)'
	run mview build other.db L -k .user
	assert_failure 1
	assert_output 'mview: other.db: not an mview database'
	run sqlite3 other.db 'SELECT x FROM t'
	assert_output '1'
	for cmd in dump status; do
		run mview "$cmd" notes
		assert_failure 1
		assert_output 'mview: notes: not an mview database'
	done
	run mview get other.db k
	assert_failure 1
	assert_output 'mview: other.db: not an mview database'
}

@test "mview: a missing view or log is an error" {
	run mview dump nothere.db
	assert_failure 1
	assert_output 'mview: nothere.db: No such file or directory'
	run mview get nothere.db k
	assert_failure 1
	assert_output 'mview: nothere.db: No such file or directory'
	run mview status nothere.db
	assert_failure 1
	assert_output 'mview: nothere.db: No such file or directory'
	run mview build v.db nolog -k .k
	assert_failure 1
	assert_output 'mview: nolog: No such file or directory'
	[ ! -e v.db ]
	mkdir D
	run mview build v.db D -k .k
	assert_failure 1
	assert_output 'mview: D: not an mlog log'
}

@test "mview: an expression error is a usage error with a caret under the column" {
	mlog-append L </dev/null
	run mview build v.db L -k '.a | | .b'
	assert_failure 2
	assert_line -n 0 "mview: --key .a | | .b: syntax error at column 6: unexpected '|'"
	assert_line -n 1 'mview:   .a | | .b'
	assert_line -n 2 'mview:        ^'
	run mview build v.db L -k .a -v '{'
	assert_failure 2
	assert_line -n 0 --regexp '^mview: --value \{: syntax error at column 2: '
	run mview build v.db L -k .a -r 'sum:.x +'
	assert_failure 2
	assert_line -n 0 --regexp '^mview: --reduce \.x \+: syntax error at column '
	[ ! -e v.db ]
}

@test "mview: bad commands, options and operands are usage errors" {
	mlog-append L </dev/null
	run mview
	assert_failure 2
	assert_output "$USAGE"
	run mview frob
	assert_failure 2
	assert_output "mview: unknown command: frob
$USAGE"
	run mview build v.db L
	assert_failure 2
	assert_output "mview: build needs --key EXPR
$USAGE"
	run mview build v.db -k .k
	assert_failure 2
	assert_output "$USAGE"
	run mview build v.db L -k .k --reduce avg:.x
	assert_failure 2
	assert_output "mview: --reduce: expected latest, count, sum:EXPR, min:EXPR or max:EXPR: avg:.x
$USAGE"
	run mview build v.db L -k .k --reduce sum:
	assert_failure 2
	assert_line -n 0 'mview: --reduce: expected latest, count, sum:EXPR, min:EXPR or max:EXPR: sum:'
	run mview build v.db L -k .k --reduce count --value .v
	assert_failure 2
	assert_line -n 0 'mview: --value goes with --reduce latest; --reduce count folds its own expression'
	run mview build v.db L -k .k --frob
	assert_failure 2
	assert_line -n 0 "mview: unrecognized option '--frob'"
	run mview get -o 1 v.db k
	assert_failure 2
	assert_line -n 0 'mview: --min-offset: expected PARTITION:OFFSET: 1'
	run mview get -o 0:-1 v.db k
	assert_failure 2
	assert_line -n 0 'mview: --min-offset: expected PARTITION:OFFSET: 0:-1'
	run mview get -o 5000:1 v.db k
	assert_failure 2
	assert_line -n 0 'mview: --min-offset: expected PARTITION:OFFSET: 5000:1'
	run mview get -t soon v.db k
	assert_failure 2
	assert_line -n 0 "mview: --timeout: bad duration 'soon' (a number and a unit: 500ms, 10s, 5m, 2h, 7d)"
	run mview get v.db
	assert_failure 2
	assert_output "$USAGE"
	run mview dump
	assert_failure 2
	assert_output "$USAGE"
	run mview dump a b
	assert_failure 2
	run mview status -x v.db
	assert_failure 2
	assert_line -n 0 "mview: invalid option -- 'x'"
	[ ! -e v.db ]
}

@test "mview: --help on each form prints its options and exits 0" {
	run mview --help
	assert_success
	assert_line -n 0 'usage: mview build [-f] [--bad=file] [--rebuild] [--strict] -k expr'
	assert_output --partial 'build: keep DB'
	assert_output --partial 'status: the log'
	for cmd in build get dump status; do
		run mview "$cmd" --help
		assert_success
		assert_output --partial "$cmd: "
		assert_output --partial 'See mview(1).'
	done
	run mview get -h
	assert_output --partial '--min-offset=P:N'
	refute_output --partial 'build: keep DB'
}

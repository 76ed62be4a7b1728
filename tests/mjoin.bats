#!/usr/bin/env bats
# mjoin: stream-table joins (files, logs with record keys, mview databases,
# a followed log), interval joins (bounds, grace, eviction, late records,
# outer and anti joins, the merge by event time, idle inputs, log sources
# and groups), as-of joins (backward, forward, nearest, tolerance), the
# output (merge, name clashes, --prefix-right, --nest), bad input, signals,
# determinism across feeding speeds, flat memory, and every usage error.
# Every expected row is worked out by hand from the join's definition.

load test_helper
bats_require_minimum_version 1.5.0

# The usage text, as mjoin wraps it.
USAGE='usage: mjoin -k expr -t source [--table-key expr] [--table-value expr]
             [--follow-table log] [--left | --anti] [options] [file ...]
       mjoin -k expr -r source [--right-on expr] --time expr [--right-time expr]
             -w duration | --before duration --after duration
             [--grace duration] [--idle duration] [-g group]
             [--left | --outer | --anti] [options] [file]
       mjoin -k expr -r source --asof backward | forward | nearest --time expr
             [--right-time expr] [--tolerance duration] [--left | --anti]
             [options] [file]
options: [--nest l,r | --prefix-right prefix] [--time-unit unit] [-m size]
         [--bad=file] [--from=format] [--infer] [--stats] [--strict]'

LATE='late record (older than stream time less --grace; partners already let go were missed)'

# A background job of a shell without job control starts with SIGINT
# ignored; this puts it back to its default before running the command.
SIGINT_DEFAULT=(perl -e '$SIG{INT} = "DEFAULT"; exec { $ARGV[0] } @ARGV or die "$ARGV[0]: $!\n"' --)

# settled PID: the process sleeps in poll(2): it has read and done all it
# can with what it was given.
settled() {
	local stat wchan
	read -r stat <"/proc/$1/stat" || return 1
	wchan=$(cat "/proc/$1/wchan" 2>/dev/null) || return 1
	stat=${stat##*) }
	# where the kernel hides wchan (0), sleeping is the best we can see
	[[ ${stat%% *} == S && ($wchan == *poll* || $wchan == 0) ]]
}

# started FILE: a job has written its pid to FILE.
started() {
	[ -s "$1" ]
}

# mkview DB SQL: an mview database made by hand with the fixed schema of
# lib/view.h (rows, applied, meta with format 1), then SQL run in it.
mkview() {
	command -v sqlite3 >/dev/null || skip "sqlite3 is needed to make a view by hand"
	sqlite3 "$1" "CREATE TABLE rows(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
		CREATE TABLE applied(partition INTEGER PRIMARY KEY, next_offset INTEGER NOT NULL);
		CREATE TABLE meta(name TEXT PRIMARY KEY, value TEXT NOT NULL);
		INSERT INTO meta VALUES('format', '1'); $2"
}

# The inputs most interval tests share: key a pairs, b has no partner in
# time, c only a right record.
intervals() {
	cat >left <<'EOF'
{"k":"a","t":10,"l":1}
{"k":"a","t":20,"l":2}
{"k":"b","t":30,"l":3}
EOF
	cat >right <<'EOF'
{"k":"a","t":5,"r":1}
{"k":"a","t":15,"r":2}
{"k":"a","t":25,"r":3}
{"k":"b","t":40,"r":4}
{"k":"c","t":41,"r":5}
EOF
}

# Versions of key a at 10, 20, 30; stream records around them, and key b
# that has no versions.
asof_inputs() {
	cat >versions <<'EOF'
{"k":"a","t":10,"p":1}
{"k":"a","t":20,"p":2}
{"k":"a","t":30,"p":3}
EOF
	cat >stream <<'EOF'
{"k":"a","t":5}
{"k":"a","t":10}
{"k":"a","t":14}
{"k":"a","t":16}
{"k":"b","t":20}
{"k":"a","t":25}
{"k":"a","t":35}
EOF
}

# --- stream-table joins ------------------------------------------------------

@test "mjoin: an inner table join writes matched stream records with the table record's members appended" {
	cat >users <<'EOF'
{"id":1,"name":"ann","team":"red"}
{"id":2,"name":"bob"}
EOF
	cat >events <<'EOF'
{"user":2,"ev":"login"}
{"user":3,"ev":"login"}
{"user":1,"ev":"logout"}
EOF
	run --separate-stderr mjoin --on .user --table users --table-key .id events
	assert_success
	assert_output '{"user":2,"ev":"login","id":2,"name":"bob"}
{"user":1,"ev":"logout","id":1,"name":"ann","team":"red"}'
	assert_equal "$stderr" ''
}

@test "mjoin: the table's last record per key wins" {
	cat >t <<'EOF'
{"id":1,"v":"old","gone":true}
{"id":2,"v":"two"}
{"id":1,"v":"new"}
EOF
	printf '%s\n' '{"id":1}' '{"id":2}' >s
	run --separate-stderr mjoin --on .id --table t s
	assert_success
	assert_output '{"id":1,"v":"new"}
{"id":2,"v":"two"}'
	assert_equal "$stderr" ''
}

@test "mjoin: --left also writes unmatched stream records unchanged; --anti only those" {
	echo '{"id":1,"n":"one"}' >t
	printf '%s\n' '{"k":1,"x":1}' '{"k":5,  "x":2}' '{"x":3}' '{"k":null,"x":4}' >s
	run --separate-stderr mjoin --on .k --table t --table-key .id --left s
	assert_success
	assert_output '{"k":1,"x":1,"id":1,"n":"one"}
{"k":5,  "x":2}
{"x":3}
{"k":null,"x":4}'
	assert_equal "$stderr" ''
	run --separate-stderr mjoin --on .k --table t --table-key .id --anti s
	assert_success
	assert_output '{"k":5,  "x":2}
{"x":3}
{"k":null,"x":4}'
	assert_equal "$stderr" ''
}

# DESIGN 4: unchanged records are copied byte for byte (mfilter keeps the
# blanks around a record).
@test "mjoin: --left copies an unmatched stream record byte for byte, blanks around it included" {
	echo '{"id":1}' >t
	printf '  {"k":5} \n' >s
	run mjoin --on .k --table t --table-key .id --left s
	assert_success
	assert_output '  {"k":5} '
}

@test "mjoin: keys compare as JSON values: 1 is not \"1\"; 1.0, 1e0 and 1 are one key; -0 is 0" {
	cat >t <<'EOF'
{"id":1,"n":"number"}
{"id":"1","n":"string"}
{"id":0,"n":"zero"}
{"id":100,"n":"hundred"}
{"id":true,"n":"true"}
EOF
	cat >s <<'EOF'
{"k":1}
{"k":"1"}
{"k":1.0}
{"k":1e0}
{"k":-0}
{"k":1e2}
{"k":true}
{"k":"true"}
EOF
	run --separate-stderr mjoin --on .k --table t --table-key .id --left s
	assert_success
	assert_output '{"k":1,"id":1,"n":"number"}
{"k":"1","id":"1","n":"string"}
{"k":1.0,"id":1,"n":"number"}
{"k":1e0,"id":1,"n":"number"}
{"k":-0,"id":0,"n":"zero"}
{"k":1e2,"id":100,"n":"hundred"}
{"k":true,"id":true,"n":"true"}
{"k":"true"}'
	assert_equal "$stderr" ''
}

@test "mjoin: object keys compare with their members sorted; strings by their characters; arrays in order" {
	cat >t <<'EOF'
{"id":{"b":1,"a":[1,2]},"n":"obj"}
{"id":"A","n":"str"}
{"id":[1,"2"],"n":"arr"}
EOF
	cat >s <<'EOF'
{"k":{"a":[1,2],"b":1}}
{"k":{ "a" : [1, 2], "b" : 1.0 }}
{"k":{"a":[2,1],"b":1}}
{"k":"\u0041"}
{"k":[1,"2"]}
{"k":["2",1]}
EOF
	run --separate-stderr mjoin --on .k --table t --table-key .id --left s
	assert_success
	assert_output '{"k":{"a":[1,2],"b":1},"id":{"b":1,"a":[1,2]},"n":"obj"}
{"k":{ "a" : [1, 2], "b" : 1.0 },"id":{"b":1,"a":[1,2]},"n":"obj"}
{"k":{"a":[2,1],"b":1}}
{"k":"\u0041","id":"A","n":"str"}
{"k":[1,"2"],"id":[1,"2"],"n":"arr"}
{"k":["2",1]}'
	assert_equal "$stderr" ''
}

@test "mjoin: table records with a null or missing key are never matched" {
	cat >t <<'EOF'
{"id":null,"n":"null key"}
{"n":"no key"}
EOF
	printf '%s\n' '{"k":null}' '{"x":1}' >s
	run --separate-stderr mjoin --on .k --table t --table-key .id --left --stats s
	assert_success
	assert_output '{"k":null}
{"x":1}'
	assert_equal "$stderr" 'mjoin: 2 records, 2 table records (0 keys): 0 matched, 2 rows, 0 bad, 0 errors'
}

@test "mjoin: the stream record is written as it was up to its closing brace, then the new members in their order" {
	echo '{"id":1,"z":[1, 2],"a":{"x" : 1}}' >t
	printf '%s\n' '{ "id" : 1 }' '{"id":1.0,"q":"\u00e9"}' '  {"id":1}  ' >s
	printf '{"id":1}\r\n' >>s
	run --separate-stderr mjoin --on .id --table t s
	assert_success
	assert_output '{ "id" : 1 ,"z":[1, 2],"a":{"x" : 1}}
{"id":1.0,"q":"\u00e9","z":[1, 2],"a":{"x" : 1}}
{"id":1,"z":[1, 2],"a":{"x" : 1}}
{"id":1,"z":[1, 2],"a":{"x" : 1}}'
	assert_equal "$stderr" ''
	# an empty stream object takes the members of the table record
	run --separate-stderr mjoin --on '.id // 1' --table t <<<'{}'
	assert_success
	assert_output '{"id":1,"z":[1, 2],"a":{"x" : 1}}'
}

@test "mjoin: on a name clash the stream record's member wins" {
	echo '{"id":1,"n":"right","v":2}' >t
	printf '%s\n' '{"id":1,"n":"left"}' '{"v":1,"id":1}' >s
	run --separate-stderr mjoin --on .id --table t s
	assert_success
	assert_output '{"id":1,"n":"left","v":2}
{"v":1,"id":1,"n":"right"}'
	assert_equal "$stderr" ''
}

@test "mjoin: a clash is found whatever escapes spell the member's name" {
	echo '{"id":1,"\u006e":"right"}' >t
	run mjoin --on .id --table t <<<'{"id":1,"n":"left"}'
	assert_success
	assert_output '{"id":1,"n":"left"}'
}

@test "mjoin: --prefix-right keeps the clashing right members as P+name" {
	echo '{"id":1,"n":"right","v":2}' >t
	printf '%s\n' '{"id":1,"n":"left"}' '{"v":1,"id":1,"n":"l"}' >s
	run --separate-stderr mjoin --on .id --table t --prefix-right r_ s
	assert_success
	assert_output '{"id":1,"n":"left","r_id":1,"r_n":"right","v":2}
{"v":1,"id":1,"n":"l","r_id":1,"r_n":"right","r_v":2}'
	assert_equal "$stderr" ''
}

@test "mjoin: --prefix-right with a control character or invalid UTF-8 still writes valid JSON" {
	echo '{"id":1,"n":"right"}' >t
	run bash -c "mjoin --on .id --table t --prefix-right $'\\t' <<<'{\"id\":1,\"n\":\"left\"}' | mfilter --strict true"
	assert_success
}

@test "mjoin: --nest writes {L: stream, R: table} and joins any JSON values" {
	cat >t <<'EOF'
{"id":1,"v":{"n":"one"}}
{"id":2,"v":[2]}
{"id":3,"v":"three"}
EOF
	printf '%s\n' '{"k":1}' '[2]' '"x"' '{"k":3}' '{"k":4}' >s
	run --separate-stderr mjoin --on '.k? // .[0]?' --table t --table-key .id --table-value .v --nest in,tab s
	assert_success
	assert_output '{"in":{"k":1},"tab":{"n":"one"}}
{"in":[2],"tab":[2]}
{"in":{"k":3},"tab":"three"}'
	assert_equal "$stderr" ''
	run --separate-stderr mjoin --on '.k? // .[0]?' --table t --table-key .id --table-value .v \
		--nest 'a"b,c' --left s
	assert_success
	assert_output '{"a\"b":{"k":1},"c":{"n":"one"}}
{"a\"b":[2],"c":[2]}
{"a\"b":"x","c":null}
{"a\"b":{"k":3},"c":"three"}
{"a\"b":{"k":4},"c":null}'
}

@test "mjoin: --table-value sets the value; a null value deletes the key" {
	cat >t <<'EOF'
{"id":1,"row":{"n":"one"}}
{"id":2,"row":{"n":"two"}}
{"id":2,"row":null}
{"id":3,"row":{"n":"three"}}
{"id":3}
{"id":4,"row":null}
{"id":4,"row":{"n":"four"}}
EOF
	printf '%s\n' '{"k":1}' '{"k":2}' '{"k":3}' '{"k":4}' >s
	run --separate-stderr mjoin --on .k --table t --table-key .id --table-value .row --left s
	assert_success
	assert_output '{"k":1,"n":"one"}
{"k":2}
{"k":3}
{"k":4,"n":"four"}'
	assert_equal "$stderr" ''
}

@test "mjoin: --table-value takes the expression's first output, and ignores a record without output" {
	cat >t <<'EOF'
{"id":1,"a":{"n":"first"},"b":{"n":"second"}}
{"id":2,"a":{"n":"kept"}}
{"id":2,"skip":true,"a":{"n":"skipped"}}
{"id":2,"skip":true,"a":null}
EOF
	printf '%s\n' '{"k":1}' '{"k":2}' >s
	run --separate-stderr mjoin --on .k --table t --table-key .id \
		--table-value 'select(.skip | not) | (.a, .b)' s
	assert_success
	assert_output '{"k":1,"n":"first"}
{"k":2,"n":"kept"}'
	assert_equal "$stderr" ''
}

@test "mjoin: without --nest, a stream or table record that is not an object is an error record" {
	cat >t <<'EOF'
{"id":1,"v":{"n":"one"}}
{"id":2,"v":[2]}
{"id":3,"v":{"n":"three"}}
{"id":3,"v":"three"}
EOF
	printf '%s\n' '{"k":1}' '[1]' '{"k":2}' '{"k":3}' '7' >s
	run --separate-stderr mjoin --on '.k?' --table t --table-key .id --table-value .v --left s
	assert_success
	assert_output '{"k":1,"n":"one"}
{"k":2}
{"k":3,"n":"three"}'
	assert_equal "$stderr" 'mjoin: 4 records raised errors; first at t:2: the table value is not an object (mjoin merges objects; --nest joins any values)'
	run --separate-stderr mjoin --on '.k?' --table t --table-key .id --table-value .v --stats s
	assert_success
	assert_equal "$stderr" 'mjoin: 5 records, 4 table records (2 keys): 2 matched, 2 rows, 0 bad, 4 errors
mjoin: 4 records raised errors; first at t:2: the table value is not an object (mjoin merges objects; --nest joins any values)'
}

@test "mjoin: bad lines of the table and of the stream are dropped and counted; --bad writes them" {
	printf '%s\n' '{"id":1,"n":"one"}' 'not json' '{"id":2,"n":"two"}' >t
	printf '%s\n' '{"k":1}' '{"k":' '{"k":2}' '[3]' >s
	run --separate-stderr mjoin --on '.k' --table t --table-key .id s
	assert_success
	assert_output '{"k":1,"id":1,"n":"one"}
{"k":2,"id":2,"n":"two"}'
	assert_equal "$stderr" 'mjoin: 2 bad input lines dropped; first at t:2: invalid JSON at column 1: invalid literal
mjoin: 1 record raised an error; first at s:4: not an object (mjoin merges objects; --nest joins any values)'
	run --separate-stderr mjoin --on '.k' --table t --table-key .id --bad=dead s
	assert_success
	assert_equal "$stderr" 'mjoin: 2 bad input lines written to dead; first at t:2: invalid JSON at column 1: invalid literal
mjoin: 1 record raised an error, written to dead; first at s:4: not an object (mjoin merges objects; --nest joins any values)'
	printf '%s\n' 'not json' '{"k":' '[3]' >want
	cmp want dead
}

@test "mjoin: a key expression that raises an error makes an error record" {
	echo '{"id":1,"n":"one"}' >t
	printf '%s\n' '{"k":1}' '{"k":{"x":1}}' >s
	run --separate-stderr mjoin --on '.k + 0' --table t --table-key .id --left s
	assert_success
	assert_output '{"k":1,"id":1,"n":"one"}'
	assert_equal "$stderr" 'mjoin: 1 record raised an error; first at s:2: .k + 0: object ({"x":1}) and number (0) cannot be added'
}

@test "mjoin: --strict stops at the first bad line with exit 1, after the rows before it" {
	echo '{"id":1,"n":"one"}' >t
	printf '%s\n' '{"k":1}' 'oops' '{"k":1}' >s
	run --separate-stderr mjoin --on .k --table t --table-key .id --strict s
	assert_failure 1
	assert_output '{"k":1,"id":1,"n":"one"}'
	assert_equal "$stderr" 'mjoin: s:2: invalid JSON at column 1: unexpected character'
	printf '%s\n' '{"id":1}' 'oops' >t2
	run --separate-stderr mjoin --on .k --table t2 --table-key .id --strict s
	assert_failure 1
	assert_output ''
	assert_equal "$stderr" 'mjoin: t2:2: invalid JSON at column 1: unexpected character'
}

@test "mjoin: a line longer than --max-record is bad input, in the table and in the stream" {
	printf '%s\n' '{"id":1}' '{"id":2,"pad":"xxxxxxxxxxxxxxxx"}' >t
	printf '%s\n' '{"k":1}' '{"k":2}' '{"k":1,"pad":"xxxxxxxxxxxxxxxx"}' >s
	run --separate-stderr mjoin --on .k --table t --table-key .id -m 16 --left s
	assert_success
	assert_output '{"k":1,"id":1}
{"k":2}'
	assert_equal "$stderr" 'mjoin: 2 bad input lines dropped; first at t:2: longer than --max-record (16 bytes)'
}

@test "mjoin: --from=logfmt --infer reads the stream as key=value lines" {
	echo '{"id":1,"n":"one"}' >t
	printf '%s\n' 'k=1 host=a' 'k=2 host=b' >s
	run --separate-stderr mjoin --from=logfmt --infer --on .k --table t --table-key .id --left s
	assert_success
	assert_output '{"k":1,"host":"a","id":1,"n":"one"}
{"k":2,"host":"b"}'
	assert_equal "$stderr" ''
	# without --infer the key is the string "1"
	run mjoin --from=logfmt --on .k --table t --table-key .id s
	assert_success
	assert_output ''
}

@test "mjoin: the stream is standard input, or the files in turn; - is standard input; so may be the table" {
	echo '{"id":1,"n":"one"}' >t
	echo '{"id":1,"f":1}' >f1
	echo '{"id":1,"f":3}' >f3
	run --separate-stderr mjoin --on .id --table t f1 - f3 <<<'{"id":1,"f":2}'
	assert_success
	assert_output '{"id":1,"f":1,"n":"one"}
{"id":1,"f":2,"n":"one"}
{"id":1,"f":3,"n":"one"}'
	assert_equal "$stderr" ''
	run --separate-stderr mjoin -k .id -t t <f1
	assert_success
	assert_output '{"id":1,"f":1,"n":"one"}'
	# the table may be standard input too
	run --separate-stderr mjoin --on .id --table - f1 <<<'{"id":1,"n":"from stdin"}'
	assert_success
	assert_output '{"id":1,"f":1,"n":"from stdin"}'
	assert_equal "$stderr" ''
}

@test "mjoin: a missing table file is an error" {
	run --separate-stderr mjoin --on .k --table nope.jsonl </dev/null
	assert_failure 1
	assert_output ''
	assert_equal "$stderr" 'mjoin: nope.jsonl: No such file or directory'
}

@test "mjoin: a missing stream file is reported and the others are read, exit 1" {
	echo '{"id":1,"n":"one"}' >t
	echo '{"id":1,"f":1}' >f1
	echo '{"id":1,"f":2}' >f2
	run --separate-stderr mjoin --on .id --table t f1 nope f2
	assert_failure 1
	assert_output '{"id":1,"f":1,"n":"one"}
{"id":1,"f":2,"n":"one"}'
	assert_equal "$stderr" 'mjoin: nope: No such file or directory'
}

@test "mjoin: --stats prints the counts of a table join on stderr" {
	printf '%s\n' '{"id":1}' '{"id":2}' '{"id":1,"v":1}' 'bad' >t
	printf '%s\n' '{"id":1}' '{"id":3}' '{"id":2}' >s
	run --separate-stderr mjoin --on .id --table t --left --stats s
	assert_success
	assert_output '{"id":1,"v":1}
{"id":3}
{"id":2}'
	assert_equal "$stderr" 'mjoin: 3 records, 4 table records (2 keys): 2 matched, 3 rows, 1 bad, 0 errors
mjoin: 1 bad input line dropped; first at t:4: invalid JSON at column 1: unexpected character'
}

# --- tables from logs --------------------------------------------------------

@test "mjoin: a log's record key is the table key: JSON when it is JSON, a string otherwise" {
	printf '%s\n' '1|{"n":"number one"}' '"1"|{"n":"string one"}' 'abc|{"n":"abc"}' \
		'{"b":1,"a":2}|{"n":"object"}' ' 4 |{"n":"four"}' 'x"y|{"n":"quote"}' \
		'null|{"n":"null key"}' | mlog-append -K '|' L
	cat >s <<'EOF'
{"k":1}
{"k":"1"}
{"k":"abc"}
{"k":{"a":2,"b":1}}
{"k":4}
{"k":" 4 "}
{"k":"x\"y"}
{"k":null}
{"k":"null"}
EOF
	run --separate-stderr mjoin --on .k --table L --left s
	assert_success
	assert_output '{"k":1,"n":"number one"}
{"k":"1","n":"string one"}
{"k":"abc","n":"abc"}
{"k":{"a":2,"b":1},"n":"object"}
{"k":4,"n":"four"}
{"k":" 4 "}
{"k":"x\"y","n":"quote"}
{"k":null}
{"k":"null"}'
	assert_equal "$stderr" ''
}

@test "mjoin: a log record key with a control character matches the same string in the stream" {
	printf 'a\tb|{"n":"tab"}\ne\177x|{"n":"del"}\n' | mlog-append -K '|' L
	printf '%s\n' '{"k":"a\tb"}' '{"k":"e\u007fx"}' >s
	run mjoin --on .k --table L s
	assert_success
	assert_output '{"k":"a\tb","n":"tab"}
{"k":"e\u007fx","n":"del"}'
}

@test "mjoin: a log record with an empty value deletes its key" {
	printf '%s\n' '1|{"n":"one"}' '2|{"n":"two"}' '2|' '3|' '3|{"n":"three"}' | mlog-append -K '|' L
	printf '%s\n' '{"k":1}' '{"k":2}' '{"k":3}' >s
	run --separate-stderr mjoin --on .k --table L --left --stats s
	assert_success
	assert_output '{"k":1,"n":"one"}
{"k":2}
{"k":3,"n":"three"}'
	assert_equal "$stderr" 'mjoin: 3 records, 5 table records (2 keys): 2 matched, 3 rows, 0 bad, 0 errors'
}

@test "mjoin: --table-key is used over a log's record keys; records without a key use it too" {
	printf '%s\n' '{"id":1,"n":"a"}' '{"id":2,"n":"b"}' | mlog-append L
	echo 'x|{"id":1,"n":"c"}' | mlog-append -K '|' L
	printf '%s\n' '{"k":1}' '{"k":2}' '{"k":"x"}' >s
	run --separate-stderr mjoin --on .k --table L --table-key .id --left s
	assert_success
	assert_output '{"k":1,"id":1,"n":"c"}
{"k":2,"id":2,"n":"b"}
{"k":"x"}'
	assert_equal "$stderr" ''
	# without --table-key: the key "x", and --on (.k) for the others
	run --separate-stderr mjoin --on .k --table L --left s
	assert_success
	assert_output '{"k":1}
{"k":2}
{"k":"x","id":1,"n":"c"}'
}

@test "mjoin: the partitions of a table log are read in append order: the last appended wins" {
	echo '{"id":1,"n":"p0 first"}' | mlog-append -P 2 -p 0 L
	echo '{"id":1,"n":"p1 second"}' | mlog-append -p 1 L
	echo '{"id":2,"n":"p1 first"}' | mlog-append -p 1 L
	echo '{"id":2,"n":"p0 second"}' | mlog-append -p 0 L
	printf '%s\n' '{"k":1}' '{"k":2}' >s
	run --separate-stderr mjoin --on .k --table L --table-key .id s
	assert_success
	assert_output '{"k":1,"id":1,"n":"p1 second"}
{"k":2,"id":2,"n":"p0 second"}'
	assert_equal "$stderr" ''
}

@test "mjoin: bad records and keys that are not UTF-8 in a table log are bad input" {
	printf '1|{"n":"one"}\n\377|{"n":"bad key"}\n2|oops\n' | mlog-append -K '|' L
	printf '%s\n' '{"k":1}' '{"k":2}' >s
	run --separate-stderr mjoin --on .k --table L --left s
	assert_success
	assert_output '{"k":1,"n":"one"}
{"k":2}'
	assert_equal "$stderr" 'mjoin: 2 bad input lines dropped; first at L: partition 0 offset 1: the record key is not UTF-8'
}

@test "mjoin: --follow-table applies the log's new records and deletes while the stream flows" {
	echo 'a|{"n":1}' | mlog-append -K '|' L
	mkfifo fifo
	exec 7<>fifo
	timeout 20 mjoin --follow-table L --on .k --left fifo >out 2>err 3>&- 7>&- &
	pid=$!
	echo '{"k":"a"}' >&7
	wait_for lines_in out 1
	printf '%s\n' 'a|{"n":2}' 'b|{"n":3}' | mlog-append -K '|' L
	printf '%s\n' '{"k":"a"}' '{"k":"b"}' >&7
	wait_for lines_in out 3
	echo 'a|' | mlog-append -K '|' L
	echo '{"k":"a"}' >&7
	wait_for lines_in out 4
	assert_equal "$(cat out)" '{"k":"a","n":1}
{"k":"a","n":2}
{"k":"b","n":3}
{"k":"a"}'
	exec 7>&-
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 0
	assert_equal "$(cat err)" ''
}

@test "mjoin: SIGTERM ends a followed table join like the end of the input, exit 0" {
	echo 'a|{"n":1}' | mlog-append -K '|' L
	mkfifo fifo
	exec 7<>fifo
	mjoin --follow-table L --on .k fifo >out 2>err 3>&- 7>&- &
	pid=$!
	echo '{"k":"a"}' >&7
	wait_for lines_in out 1
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	exec 7>&-
	assert_equal "$rc" 0
	assert_equal "$(cat out)" '{"k":"a","n":1}'
	assert_equal "$(cat err)" ''
}

# --- tables from mview databases ---------------------------------------------

@test "mjoin: an mview database is a table: its keys are canonical JSON" {
	mkview v.db "INSERT INTO rows VALUES('1', '{\"n\":\"number one\"}'), ('\"1\"', '{\"n\":\"string one\"}'),
		('{\"a\":2,\"b\":1}', '{\"n\":\"object\"}');"
	printf '%s\n' '{"k":1}' '{"k":"1"}' '{"k":{"b":1,"a":2}}' '{"k":1.0}' '{"k":2}' >s
	run --separate-stderr mjoin --on .k --table v.db --left s
	assert_success
	assert_output '{"k":1,"n":"number one"}
{"k":"1","n":"string one"}
{"k":{"b":1,"a":2},"n":"object"}
{"k":1.0,"n":"number one"}
{"k":2}'
	assert_equal "$stderr" ''
}

@test "mjoin: a view value that is not an object is an error record without --nest" {
	mkview v.db "INSERT INTO rows VALUES('\"x\"', '[1,2]');"
	run --separate-stderr mjoin --on .k --table v.db <<<'{"k":"x"}'
	assert_success
	assert_output ''
	assert_equal "$stderr" "mjoin: 1 record raised an error; first at v.db:1: the view's value is not an object (mjoin merges objects; --nest joins any values)"
	run --separate-stderr mjoin --on .k --table v.db --nest s,t <<<'{"k":"x"}'
	assert_success
	assert_output '{"s":{"k":"x"},"t":[1,2]}'
	assert_equal "$stderr" ''
}

@test "mjoin: an SQLite database that is not an mview database is an error" {
	command -v sqlite3 >/dev/null || skip "sqlite3 is needed"
	sqlite3 other.db 'CREATE TABLE t(a);'
	run --separate-stderr mjoin --on .k --table other.db <<<'{"k":1}'
	assert_failure 1
	assert_output ''
	assert_equal "$stderr" 'mjoin: other.db: not an mview database'
}

# --- interval joins ----------------------------------------------------------

@test "mjoin: an interval join pairs records at most --within apart, both ends included" {
	intervals
	run --separate-stderr mjoin --on .k --right right --time .t --within 5s left
	assert_success
	assert_output '{"k":"a","t":10,"l":1,"r":1}
{"k":"a","t":10,"l":1,"r":2}
{"k":"a","t":20,"l":2,"r":2}
{"k":"a","t":20,"l":2,"r":3}'
	assert_equal "$stderr" ''
}

@test "mjoin: --before bounds right records before the left one, --after those after it" {
	intervals
	run --separate-stderr mjoin --on .k --right right --time .t --before 0s --after 5s left
	assert_success
	assert_output '{"k":"a","t":10,"l":1,"r":2}
{"k":"a","t":20,"l":2,"r":3}'
	assert_equal "$stderr" ''
	run --separate-stderr mjoin --on .k --right right --time .t --before 5s --after 0s left
	assert_success
	assert_output '{"k":"a","t":10,"l":1,"r":1}
{"k":"a","t":20,"l":2,"r":2}'
	run --separate-stderr mjoin --on .k --right right --time .t --within 4999ms left
	assert_success
	assert_output ''
}

@test "mjoin: --before or --after alone leaves the other at 0" {
	printf '%s\n' '{"k":"a","t":10}' '{"k":"b","t":20}' >l
	printf '%s\n' '{"k":"a","t":9,"r":1}' '{"k":"a","t":10.5,"r":2}' '{"k":"b","t":19,"r":3}' \
		'{"k":"b","t":20,"r":4}' '{"k":"b","t":21,"r":5}' >r
	run --separate-stderr mjoin --on .k --right r --time .t --after 1s l
	assert_success
	assert_output '{"k":"a","t":10,"r":2}
{"k":"b","t":20,"r":4}
{"k":"b","t":20,"r":5}'
	assert_equal "$stderr" ''
	run --separate-stderr mjoin --on .k --right r --time .t --before 1s l
	assert_success
	assert_output '{"k":"a","t":10,"r":1}
{"k":"b","t":20,"r":3}
{"k":"b","t":20,"r":4}'
	assert_equal "$stderr" ''
}

@test "mjoin: interval --left writes the unmatched left records, --anti only them" {
	intervals
	run --separate-stderr mjoin --on .k --right right --time .t --within 5s --left left
	assert_success
	assert_output '{"k":"a","t":10,"l":1,"r":1}
{"k":"a","t":10,"l":1,"r":2}
{"k":"a","t":20,"l":2,"r":2}
{"k":"a","t":20,"l":2,"r":3}
{"k":"b","t":30,"l":3}'
	assert_equal "$stderr" ''
	run --separate-stderr mjoin --on .k --right right --time .t --within 5s --anti left
	assert_success
	assert_output '{"k":"b","t":30,"l":3}'
	assert_equal "$stderr" ''
}

# b@30 goes when stream time passes 35 (at the right record b@40); at the end
# the right records b@40 and c@41 are flushed in arrival order.
@test "mjoin: interval --outer writes unmatched records of both sides; --nest puts null for the missing side" {
	intervals
	run --separate-stderr mjoin --on .k --right right --time .t --within 5s --outer left
	assert_success
	assert_output '{"k":"a","t":10,"l":1,"r":1}
{"k":"a","t":10,"l":1,"r":2}
{"k":"a","t":20,"l":2,"r":2}
{"k":"a","t":20,"l":2,"r":3}
{"k":"b","t":30,"l":3}
{"k":"b","t":40,"r":4}
{"k":"c","t":41,"r":5}'
	assert_equal "$stderr" ''
	run --separate-stderr mjoin --on .k --right right --time .t --within 5s --outer --nest L,R left
	assert_success
	assert_output '{"L":{"k":"a","t":10,"l":1},"R":{"k":"a","t":5,"r":1}}
{"L":{"k":"a","t":10,"l":1},"R":{"k":"a","t":15,"r":2}}
{"L":{"k":"a","t":20,"l":2},"R":{"k":"a","t":15,"r":2}}
{"L":{"k":"a","t":20,"l":2},"R":{"k":"a","t":25,"r":3}}
{"L":{"k":"b","t":30,"l":3},"R":null}
{"L":null,"R":{"k":"b","t":40,"r":4}}
{"L":null,"R":{"k":"c","t":41,"r":5}}'
}

@test "mjoin: --prefix-right in an interval join keeps the right record's clashing key and time" {
	intervals
	run --separate-stderr mjoin --on .k --right right --time .t --before 5s --after 0s --prefix-right r_ left
	assert_success
	assert_output '{"k":"a","t":10,"l":1,"r_k":"a","r_t":5,"r":1}
{"k":"a","t":20,"l":2,"r_k":"a","r_t":15,"r":2}'
	assert_equal "$stderr" ''
}

@test "mjoin: empty inputs write nothing and exit 0" {
	: >empty
	run --separate-stderr mjoin --on .k --table empty empty
	assert_success
	assert_output ''
	assert_equal "$stderr" ''
	run --separate-stderr mjoin --on .k --right empty --time .t --within 1s --outer empty
	assert_success
	assert_output ''
	assert_equal "$stderr" ''
	run --separate-stderr mjoin --on .k --right empty --time .t --asof nearest --left empty
	assert_success
	assert_output ''
	assert_equal "$stderr" ''
}

@test "mjoin: at the end of the input the kept unmatched records are written, left ones first, each in arrival order" {
	printf '%s\n' '{"k":"x","t":3}' '{"k":"y","t":1}' '{"k":"z","t":4}' >l
	printf '%s\n' '{"k":"p","t":2}' '{"k":"q","t":2.5}' >r
	run --separate-stderr mjoin --on .k --right r --time .t --within 1m --grace 1m --outer l
	assert_success
	# y@1 is late (stream time 3) but within the grace
	assert_output '{"k":"x","t":3}
{"k":"y","t":1}
{"k":"z","t":4}
{"k":"p","t":2}
{"k":"q","t":2.5}'
	assert_equal "$stderr" ''
}

@test "mjoin: records with a null or missing key are never kept: they are written at once when the join keeps them" {
	printf '%s\n' '{"k":"a","t":1}' '{"t":2,"id":"no key"}' '{"k":null,"t":3}' >l
	printf '%s\n' '{"k":"b","t":1,"r":1}' '{"t":2,"r":"no key"}' '{"k":"a","t":9,"r":2}' >r
	run --separate-stderr mjoin --on .k --right r --time .t --within 1s --outer l
	assert_success
	assert_output '{"t":2,"id":"no key"}
{"t":2,"r":"no key"}
{"k":null,"t":3}
{"k":"a","t":1}
{"k":"b","t":1,"r":1}
{"k":"a","t":9,"r":2}'
	assert_equal "$stderr" ''
}

@test "mjoin: a pair is written when its second record is merged, while both inputs are open" {
	mkfifo lf rf
	exec 7<>lf 8<>rf
	timeout 20 mjoin --on .k --right rf --time .t --within 1s --left lf >out 2>err 3>&- 7>&- 8>&- &
	pid=$!
	# r@11 is merged once the left side shows it has nothing before 11
	echo '{"k":"a","t":10}' >&7
	echo '{"k":"a","t":11,"r":1}' >&8
	echo '{"k":"b","t":20}' >&7
	wait_for lines_in out 1
	assert_equal "$(cat out)" '{"k":"a","t":10,"r":1}'
	# b@20 goes unmatched when stream time passes 21: at r@30, merged once
	# the left side has shown d@40
	echo '{"k":"c","t":30}' >&8
	echo '{"k":"d","t":40}' >&7
	wait_for lines_in out 2
	assert_equal "$(cat out)" '{"k":"a","t":10,"r":1}
{"k":"b","t":20}'
	exec 7>&- 8>&-
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 0
	assert_equal "$(cat out)" '{"k":"a","t":10,"r":1}
{"k":"b","t":20}
{"k":"d","t":40}'
	assert_equal "$(cat err)" ''
}

@test "mjoin: --grace keeps records for late partners; a record older than stream time less the grace is late" {
	printf '%s\n' '{"k":"a","t":100}' '{"k":"a","t":50}' '{"k":"a","t":101}' >l
	printf '%s\n' '{"k":"a","t":52,"r":1}' '{"k":"a","t":90,"r":2}' >r
	run --separate-stderr mjoin --on .k --right r --time .t --within 5s --left l
	assert_success
	assert_output '{"k":"a","t":100}
{"k":"a","t":50}
{"k":"a","t":101}'
	assert_equal "$stderr" "mjoin: 1 $LATE; first at l:2"
	run --separate-stderr mjoin --on .k --right r --time .t --within 5s --grace 1m --left l
	assert_success
	assert_output '{"k":"a","t":50,"r":1}
{"k":"a","t":100}
{"k":"a","t":101}'
	assert_equal "$stderr" ''
}

# l a@10 is kept while stream time <= 10 + 1 + 2; r a@11 is late only when
# older than stream time - 2.
@test "mjoin: a record is kept until stream time passes its time plus the bound plus --grace" {
	echo '{"k":"a","t":10}' >l
	printf '%s\n' '{"k":"x","t":13}' '{"k":"a","t":11,"r":1}' >r
	run --separate-stderr mjoin --on .k --right r --time .t --within 1s --grace 2s --left l
	assert_success
	assert_output '{"k":"a","t":10,"r":1}'
	assert_equal "$stderr" ''
	printf '%s\n' '{"k":"x","t":13.5}' '{"k":"a","t":11,"r":1}' >r
	run --separate-stderr mjoin --on .k --right r --time .t --within 1s --grace 2s --left l
	assert_success
	assert_output '{"k":"a","t":10}'
	assert_equal "$stderr" "mjoin: 1 $LATE; first at r:2"
}

@test "mjoin: late records are counted in the plural and named by the first one" {
	printf '%s\n' '{"k":"a","t":100}' '{"k":"a","t":1}' >l
	printf '%s\n' '{"k":"a","t":200}' '{"k":"a","t":2}' '{"k":"a","t":3}' >r
	run --separate-stderr mjoin --on .k --right r --time .t --within 1s --stats l
	assert_success
	assert_output ''
	assert_equal "$stderr" "mjoin: 2 records, 3 right records: 0 pairs, 0 rows, 3 late, 0 bad, 0 errors
mjoin: 3 late records (older than stream time less --grace; partners already let go were missed); first at l:2"
}

@test "mjoin: a late record still pairs with the partners still kept" {
	printf '%s\n' '{"k":"a","t":10}' '{"k":"a","t":7}' >l
	echo '{"k":"a","t":8,"r":1}' >r
	# merge: r@8, l@10, then l@7, late (stream time 10, no grace); r@8 is
	# kept until stream time passes 13
	run --separate-stderr mjoin --on .k --right r --time .t --within 5s l
	assert_success
	assert_output '{"k":"a","t":10,"r":1}
{"k":"a","t":7,"r":1}'
	assert_equal "$stderr" "mjoin: 1 $LATE; first at l:2"
}

@test "mjoin: event times are epoch s, ms, us or ns by magnitude, or RFC 3339 strings" {
	cat >l <<'EOF'
{"k":1,"ts":"2026-03-02T10:00:00Z","id":"iso"}
{"k":1,"ts":1772445600000,"id":"ms"}
{"k":1,"ts":1772445600000000,"id":"us"}
{"k":1,"ts":1772445600000000000,"id":"ns"}
{"k":1,"ts":"2026-03-02T11:00:00+01:00","id":"offset"}
EOF
	echo '{"k":1,"when":1772445601,"rid":"x"}' >r
	run --separate-stderr mjoin --on .k --right r --time .ts --right-time .when --within 1s l
	assert_success
	assert_output '{"k":1,"ts":"2026-03-02T10:00:00Z","id":"iso","when":1772445601,"rid":"x"}
{"k":1,"ts":1772445600000,"id":"ms","when":1772445601,"rid":"x"}
{"k":1,"ts":1772445600000000,"id":"us","when":1772445601,"rid":"x"}
{"k":1,"ts":1772445600000000000,"id":"ns","when":1772445601,"rid":"x"}
{"k":1,"ts":"2026-03-02T11:00:00+01:00","id":"offset","when":1772445601,"rid":"x"}'
	assert_equal "$stderr" ''
	run --separate-stderr mjoin --on .k --right r --time .ts --right-time .when --within 999ms l
	assert_success
	assert_output ''
}

@test "mjoin: --time-unit reads numeric times in that unit" {
	echo '{"k":1,"t":5000}' >l
	echo '{"k":1,"t":5}' >r
	run --separate-stderr mjoin --on .k --right r --time .t --within 0s l
	assert_success
	assert_output ''
	run --separate-stderr mjoin --on .k --right r --time .t --right-time '.t * 1000' --time-unit ms --within 0s l
	assert_success
	assert_output '{"k":1,"t":5000}'
	assert_equal "$stderr" ''
}

@test "mjoin: --right-on and --right-time are the right side's key and time" {
	printf '%s\n' '{"user":"u1","t":10}' '{"user":"u2","t":10}' >l
	printf '%s\n' '{"uid":"u1","at":11,"x":1}' '{"user":"u2","t":10,"at":30,"x":2}' >r
	run --separate-stderr mjoin --on .user --right-on .uid --time .t --right-time .at --within 1s --left --right r l
	assert_success
	assert_output '{"user":"u1","t":10,"uid":"u1","at":11,"x":1}
{"user":"u2","t":10}'
	assert_equal "$stderr" ''
}

@test "mjoin: a record without a time or with one that cannot be read is bad input" {
	printf '%s\n' '{"k":"a","t":1}' '{"k":"a"}' '{"k":"a","t":"yesterday"}' '{"k":"a","t":null}' >l
	echo '{"k":"a","t":1,"r":1}' >r
	run --separate-stderr mjoin --on .k --right r --time .t --within 1s l
	assert_success
	assert_output '{"k":"a","t":1,"r":1}'
	assert_equal "$stderr" 'mjoin: 3 bad input lines dropped; first at l:2: missing time (.t)'
	printf '%s\n' '{"k":"a","t":"yesterday"}' >l2
	run --separate-stderr mjoin --on .k --right r --time .t --within 1s --strict l2
	assert_failure 1
	assert_output ''
	assert_equal "$stderr" 'mjoin: l2:1: bad time (.t): string ("yesterday")'
}

@test "mjoin: without --nest a non-object in an interval join is an error record; with --nest it joins" {
	printf '%s\n' '[1,"a"]' >l
	printf '%s\n' '{"k":"a","t":1}' >r
	run --separate-stderr mjoin --on '.k? // .[1]' --time '.t? // .[0]' --right r --within 1s l
	assert_success
	assert_output ''
	assert_equal "$stderr" 'mjoin: 1 record raised an error; first at l:1: not an object (mjoin merges objects; --nest joins any values)'
	run --separate-stderr mjoin --on '.k? // .[1]' --time '.t? // .[0]' --right r --within 1s --nest l,r l
	assert_success
	assert_output '{"l":[1,"a"],"r":{"k":"a","t":1}}'
	assert_equal "$stderr" ''
}

# mjoin(1): records must be objects when they are merged; --anti merges
# nothing, and stream records that are not objects pass it.
@test "mjoin: --anti needs no objects on the right side either" {
	echo '[10,"a"]' >r
	run --separate-stderr mjoin --on '.k? // .[1]' --time '.t? // .[0]' --right r --within 1s --anti <<<'{"k":"a","t":10}'
	assert_success
	assert_output ''
	assert_equal "$stderr" ''
	echo '{"id":1,"v":"x"}' >t
	run --separate-stderr mjoin --on .k --table t --table-key .id --table-value .v --anti <<<'{"k":1}'
	assert_success
	assert_output ''
	assert_equal "$stderr" ''
}

@test "mjoin: the right side may be standard input, and the stream a file" {
	intervals
	run --separate-stderr mjoin --on .k --right - --time .t --within 5s --anti left <right
	assert_success
	assert_output '{"k":"b","t":30,"l":3}'
	assert_equal "$stderr" ''
}

@test "mjoin: --stats prints the counts of a stream-stream join" {
	intervals
	echo 'oops' >>right
	run --separate-stderr mjoin --on .k --right right --time .t --within 5s --outer --stats left
	assert_success
	assert_equal "$stderr" 'mjoin: 3 records, 6 right records: 4 pairs, 7 rows, 0 late, 1 bad, 0 errors
mjoin: 1 bad input line dropped; first at right:6: invalid JSON at column 1: unexpected character'
}

@test "mjoin: a missing right file is reported, and the stream is joined with nothing, exit 1" {
	intervals
	run --separate-stderr mjoin --on .k --right nope --time .t --within 5s --left left
	assert_failure 1
	assert_output '{"k":"a","t":10,"l":1}
{"k":"a","t":20,"l":2}
{"k":"b","t":30,"l":3}'
	assert_equal "$stderr" 'mjoin: nope: No such file or directory'
}

# --- the merge by event time -------------------------------------------------

# Before 1s after 1s grace 1s, merged: l a@1, r a@2, r b@2, l b@3, l a@5,
# r a@6, r c@7, l c@8, l b@9, r d@9, l a@12, r a@14.  l b@9 and r d@9 go
# unmatched at r a@14 (stream time 14 > 9 + 2 + 1), l a@12 pairs with r a@14.
DET_EXPECTED='{"k":"a","t":1,"r":1}
{"k":"b","t":3,"r":2}
{"k":"a","t":5,"r":3}
{"k":"c","t":8,"r":4}
{"k":"a","t":12,"r":6}
{"k":"b","t":9}
{"k":"d","t":9,"r":5}'

det_inputs() {
	cat >l <<'EOF'
{"k":"a","t":1}
{"k":"b","t":3}
{"k":"a","t":5}
{"k":"c","t":8}
{"k":"b","t":9}
{"k":"a","t":12}
EOF
	cat >r <<'EOF'
{"k":"a","t":2,"r":1}
{"k":"b","t":2,"r":2}
{"k":"a","t":6,"r":3}
{"k":"c","t":7,"r":4}
{"k":"d","t":9,"r":5}
{"k":"a","t":14,"r":6}
EOF
}

@test "mjoin: both inputs are merged by event time, so the output does not depend on the order of the files' lines across inputs" {
	det_inputs
	run --separate-stderr mjoin --on .k --right r --time .t --within 2s --grace 1s --outer l
	assert_success
	assert_output "$DET_EXPECTED"
	assert_equal "$stderr" ''
}

# Merged stream first: l a@10, l b@10, r b@10 (pairs with l b), r a@10.
# Had the right side gone first, the pair of a would come first.
@test "mjoin: at equal times the stream's record is merged first" {
	printf '%s\n' '{"k":"a","t":10,"l":1}' '{"k":"b","t":10,"l":2}' >l
	printf '%s\n' '{"k":"b","t":10,"r":1}' '{"k":"a","t":10,"r":2}' >r
	run --separate-stderr mjoin --on .k --right r --time .t --within 0s l
	assert_success
	assert_output '{"k":"b","t":10,"l":2,"r":1}
{"k":"a","t":10,"l":1,"r":2}'
	assert_equal "$stderr" ''
}

@test "mjoin: the same output whatever the speed the two inputs are fed at (20 runs)" {
	det_inputs
	mkfifo lf rf
	for ((i = 0; i < 20; i++)); do
		a=$((i % 7)) b=$(((i * 3 + 1) % 7))
		rm -f pid
		exec 7<>lf 8<>rf
		timeout 20 sh -c 'echo $$ >pid; exec "$@"' sh \
			mjoin --on .k --right rf --time .t --within 2s --grace 1s --outer lf \
			>"out$i" 2>"err$i" 3>&- 7>&- 8>&- &
		job=$!
		wait_for started pid
		pid=$(cat pid)
		# the first a left and b right lines; once mjoin has done what it
		# can with them, the rest of one side, then of the other
		head -n "$a" l >&7
		head -n "$b" r >&8
		wait_for settled "$pid"
		if ((i % 2)); then
			tail -n "+$((a + 1))" l >&7
			wait_for settled "$pid"
			tail -n "+$((b + 1))" r >&8
		else
			tail -n "+$((b + 1))" r >&8
			wait_for settled "$pid"
			tail -n "+$((a + 1))" l >&7
		fi
		exec 7>&- 8>&-
		rc=0
		wait "$job" || rc=$?
		assert_equal "$rc" 0
		assert_equal "$(cat "err$i")" ''
		assert_equal "$(cat "out$i")" "$DET_EXPECTED"
		cmp out0 "out$i"
	done
}

@test "mjoin: --idle goes on without an input that stays silent, and its later records may be late" {
	mkfifo lf rf
	exec 7<>lf 8<>rf
	timeout 20 mjoin --on .k --right rf --time .t --within 1s --outer --idle 100ms lf >out 2>err 3>&- 7>&- 8>&- &
	pid=$!
	printf '%s\n' '{"k":"x","t":10}' '{"k":"y","t":20}' >&8
	# the left side says nothing: after 100ms r x@10 and r y@20 are merged,
	# and x@10 goes unmatched at stream time 20
	wait_for lines_in out 1
	assert_equal "$(cat out)" '{"k":"x","t":10}'
	printf '%s\n' '{"k":"y","t":20,"l":1}' '{"k":"x","t":5,"l":2}' >&7
	wait_for lines_in out 2
	exec 7>&- 8>&-
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 0
	assert_equal "$(cat out)" '{"k":"x","t":10}
{"k":"y","t":20,"l":1}
{"k":"x","t":5,"l":2}'
	assert_equal "$(cat err)" "mjoin: 1 $LATE; first at lf:2"
}

# The right side ends first; the stream's records are then joined as they
# come, and nothing is read ahead when the signal comes.
@test "mjoin: SIGTERM ends an interval join like the end of the input: kept records are flushed, exit 0" {
	mkfifo lf
	echo '{"k":"a","t":10,"r":1}' >r
	exec 7<>lf
	mjoin --on .k --right r --time .t --within 1m --left lf >out 2>err 3>&- 7>&- &
	pid=$!
	printf '%s\n' '{"k":"x","t":5}' '{"k":"a","t":10}' '{"k":"b","t":20}' >&7
	wait_for lines_in out 1
	wait_for settled "$pid"
	assert_equal "$(cat out)" '{"k":"a","t":10,"r":1}'
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	exec 7>&-
	assert_equal "$rc" 0
	assert_equal "$(cat out)" '{"k":"a","t":10,"r":1}
{"k":"x","t":5}
{"k":"b","t":20}'
	assert_equal "$(cat err)" ''
}

@test "mjoin: SIGINT ends an interval join like the end of the input, exit 0" {
	mkfifo lf
	echo '{"k":"a","t":10,"r":1}' >r
	exec 7<>lf
	"${SIGINT_DEFAULT[@]}" mjoin --on .k --right r --time .t --within 1m --outer --nest l,r lf >out 2>err 3>&- 7>&- &
	pid=$!
	# r a@10 is merged between x@5 and y@15
	printf '%s\n' '{"k":"x","t":5}' '{"k":"y","t":15}' >&7
	wait_for settled "$pid"
	assert_equal "$(cat out)" ''
	kill -INT "$pid"
	rc=0
	wait "$pid" || rc=$?
	exec 7>&-
	assert_equal "$rc" 0
	assert_equal "$(cat out)" '{"l":{"k":"x","t":5},"r":null}
{"l":{"k":"y","t":15},"r":null}
{"l":null,"r":{"k":"a","t":10,"r":1}}'
	assert_equal "$(cat err)" ''
}

# b@20 has been read (the pair of a is only written once the stream shows
# its next record) but waits for the right side's next record in the merge.
@test "mjoin: a signal also joins the records already read ahead, as the end of the input would" {
	mkfifo lf rf
	exec 7<>lf 8<>rf
	mjoin --on .k --right rf --time .t --within 1m --left lf >out 2>err 3>&- 7>&- 8>&- &
	pid=$!
	echo '{"k":"x","t":5}' >&7
	echo '{"k":"a","t":10}' >&7
	echo '{"k":"a","t":10,"r":1}' >&8
	echo '{"k":"b","t":20}' >&7
	wait_for lines_in out 1
	wait_for settled "$pid"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	exec 7>&- 8>&-
	assert_equal "$rc" 0
	assert_equal "$(cat out)" '{"k":"a","t":10,"r":1}
{"k":"x","t":5}
{"k":"b","t":20}'
	assert_equal "$(cat err)" ''
}

# --- right sides from logs ---------------------------------------------------

@test "mjoin: a right log is read to its end, its partitions merged by append time" {
	echo '{"k":"a","t":10,"r":1}' | mlog-append -P 2 -p 0 R
	echo '{"k":"a","t":20,"r":2}' | mlog-append -p 1 R
	echo '{"k":"a","t":30,"r":3}' | mlog-append -p 0 R
	echo '{"k":"a","t":20}' >l
	# read partition by partition, r@20 would come after r@30 and be late
	run --separate-stderr mjoin --on .k --right R --time .t --within 0s l
	assert_success
	assert_output '{"k":"a","t":20,"r":2}'
	assert_equal "$stderr" ''
}

@test "mjoin: a bad record in a right log is named by partition and offset" {
	printf '%s\n' '{"k":"a","t":10,"r":1}' '{"k":"a","r":2}' 'oops' | mlog-append R
	echo '{"k":"a","t":10}' >l
	run --separate-stderr mjoin --on .k --right R --time .t --within 1s l
	assert_success
	assert_output '{"k":"a","t":10,"r":1}'
	assert_equal "$stderr" 'mjoin: 2 bad input lines dropped; first at R: partition 0 offset 1: missing time (.t)'
}

@test "mjoin: invalid JSON in a log is described as in a file: invalid JSON at column N" {
	printf '%s\n' '{"k":"a","t":10,"r":1}' 'oops' | mlog-append R
	echo '{"k":"a","t":10}' >l
	run --separate-stderr mjoin --on .k --right R --time .t --within 1s l
	assert_success
	assert_output '{"k":"a","t":10,"r":1}'
	assert_equal "$stderr" 'mjoin: 1 bad input line dropped; first at R: partition 0 offset 1: invalid JSON at column 1: unexpected character'
	echo 'a|oops' | mlog-append -K '|' T
	run --separate-stderr mjoin --on .k --table T <<<'{"k":"a"}'
	assert_success
	assert_equal "$stderr" 'mjoin: 1 bad input line dropped; first at T: partition 0 offset 0: invalid JSON at column 1: unexpected character'
}

@test "mjoin: --stats counts a log record that is not JSON as a record, as it does a file's line" {
	printf '%s\n' '{"k":"a","t":1}' 'oops' '{"k":"a","t":2}' >rf
	mlog-append R <rf
	run --separate-stderr mjoin --on .k --right rf --time .t --within 1s --stats <<<'{"k":"a","t":1}'
	assert_success
	assert_equal "${stderr_lines[0]}" 'mjoin: 1 records, 3 right records: 2 pairs, 2 rows, 0 late, 1 bad, 0 errors'
	run --separate-stderr mjoin --on .k --right R --time .t --within 1s --stats <<<'{"k":"a","t":1}'
	assert_success
	assert_equal "${stderr_lines[0]}" 'mjoin: 1 records, 3 right records: 2 pairs, 2 rows, 0 late, 1 bad, 0 errors'
}

@test "mjoin: -g reads a right log as a group: a second run reads only the new records" {
	echo '{"k":"a","t":10,"r":1}' | mlog-append R
	run --separate-stderr mjoin --on .k --right R --time .t --within 1s --outer -g job <<<'{"k":"a","t":10}'
	assert_success
	assert_output '{"k":"a","t":10,"r":1}'
	assert_equal "$stderr" ''
	echo '{"k":"a","t":20,"r":2}' | mlog-append R
	run --separate-stderr mjoin --on .k --right R --time .t --within 1s --outer -g job <<<'{"k":"a","t":10}'
	assert_success
	assert_output '{"k":"a","t":10}
{"k":"a","t":20,"r":2}'
	assert_equal "$stderr" ''
	run --separate-stderr mjoin --on .k --right R --time .t --within 1s --outer --group job <<<'{"k":"a","t":20}'
	assert_success
	assert_output '{"k":"a","t":20}'
	# without the group, the whole log
	run --separate-stderr mjoin --on .k --right R --time .t --within 1s --outer <<<'{"k":"a","t":20}'
	assert_success
	assert_output '{"k":"a","t":10,"r":1}
{"k":"a","t":20,"r":2}'
}

@test "mjoin: SIGTERM commits the group's position" {
	echo '{"k":"a","t":10,"r":1}' | mlog-append R
	mkfifo lf
	exec 7<>lf
	mjoin --on .k --right R --time .t --within 1s --left -g job lf >out 2>err 3>&- 7>&- &
	pid=$!
	printf '%s\n' '{"k":"a","t":10}' '{"k":"z","t":20}' >&7
	wait_for lines_in out 1
	wait_for settled "$pid"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	exec 7>&-
	assert_equal "$rc" 0
	assert_equal "$(cat out)" '{"k":"a","t":10,"r":1}
{"k":"z","t":20}'
	run --separate-stderr mjoin --on .k --right R --time .t --within 1s --left -g job <<<'{"k":"a","t":10}'
	assert_success
	assert_output '{"k":"a","t":10}'
}

# mjoin(1): the position is committed when mjoin ends without an error.
@test "mjoin: -g does not commit the group's position when the run fails" {
	echo '{"k":"a","t":10,"r":1}' | mlog-append R
	run --separate-stderr mjoin --on .k --right R --time .t --within 1s --outer -g job nope
	assert_failure 1
	assert_output '{"k":"a","t":10,"r":1}'
	assert_equal "$stderr" 'mjoin: nope: No such file or directory'
	run --separate-stderr mjoin --on .k --right R --time .t --within 1s --outer -g job <<<'{"k":"a","t":10}'
	assert_success
	assert_output '{"k":"a","t":10,"r":1}'
}

@test "mjoin: -g on a right source that is not a log, or with a bad group name, is a usage error" {
	intervals
	run --separate-stderr mjoin --on .k --right right --time .t --within 1s -g job left
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mjoin: -g: right is not a log'
	echo '{"k":"a","t":10}' | mlog-append R
	for g in .hidden a/b; do
		run --separate-stderr mjoin --on .k --right R --time .t --within 1s -g "$g" left
		assert_failure 2
		assert_output ''
		assert_equal "$stderr" "mjoin: --group: invalid name (empty, over 200 bytes, starting with '.', or with '/' or control characters): $g"
	done
	[ ! -e R/groups/a ]
}

# --- as-of joins -------------------------------------------------------------

@test "mjoin: --asof backward takes the latest version at or before the record's time" {
	asof_inputs
	run --separate-stderr mjoin --on .k --right versions --time .t --asof backward --left stream
	assert_success
	assert_output '{"k":"a","t":5}
{"k":"a","t":10,"p":1}
{"k":"a","t":14,"p":1}
{"k":"a","t":16,"p":1}
{"k":"b","t":20}
{"k":"a","t":25,"p":2}
{"k":"a","t":35,"p":3}'
	assert_equal "$stderr" ''
}

@test "mjoin: at equal times the last version given wins for backward" {
	printf '%s\n' '{"k":"a","t":10,"p":"first"}' '{"k":"a","t":10,"p":"second"}' >v
	echo '{"k":"a","t":10}' >s
	run --separate-stderr mjoin --on .k --right v --time .t --asof backward s
	assert_success
	assert_output '{"k":"a","t":10,"p":"second"}'
	assert_equal "$stderr" ''
}

# Forward records wait for the next version: a@5 and a@10 are settled by the
# version at 10, b@20 and a@35 only at the end.
@test "mjoin: --asof forward takes the earliest version at or after the record's time" {
	asof_inputs
	run --separate-stderr mjoin --on .k --right versions --time .t --asof forward --left stream
	assert_success
	assert_output '{"k":"a","t":5,"p":1}
{"k":"a","t":10,"p":1}
{"k":"a","t":14,"p":2}
{"k":"a","t":16,"p":2}
{"k":"a","t":25,"p":3}
{"k":"b","t":20}
{"k":"a","t":35}'
	assert_equal "$stderr" ''
}

@test "mjoin: --asof forward writes a record once the version after it comes, while the inputs are open" {
	mkfifo lf rf
	exec 7<>lf 8<>rf
	timeout 20 mjoin --on .k --right rf --time .t --asof forward --left lf >out 2>err 3>&- 7>&- 8>&- &
	pid=$!
	echo '{"k":"a","t":5}' >&7
	echo '{"k":"a","t":10,"p":1}' >&8
	echo '{"k":"b","t":20}' >&7
	wait_for lines_in out 1
	assert_equal "$(cat out)" '{"k":"a","t":5,"p":1}'
	exec 7>&- 8>&-
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 0
	assert_equal "$(cat out)" '{"k":"a","t":5,"p":1}
{"k":"b","t":20}'
	assert_equal "$(cat err)" ''
}

# a@14: 4 back, 6 ahead; a@16: 6 back, 4 ahead; a@25: 5 and 5, the tie goes
# back; a@35 has only the version before it.
@test "mjoin: --asof nearest takes the closer of the two versions, the earlier on a tie" {
	asof_inputs
	run --separate-stderr mjoin --on .k --right versions --time .t --asof nearest --left stream
	assert_success
	assert_output '{"k":"a","t":5,"p":1}
{"k":"a","t":10,"p":1}
{"k":"a","t":14,"p":1}
{"k":"a","t":16,"p":2}
{"k":"a","t":25,"p":2}
{"k":"b","t":20}
{"k":"a","t":35,"p":3}'
	assert_equal "$stderr" ''
}

@test "mjoin: --tolerance bounds how far the as-of version may be, both ends included" {
	asof_inputs
	run --separate-stderr mjoin --on .k --right versions --time .t --asof backward --tolerance 4s stream
	assert_success
	assert_output '{"k":"a","t":10,"p":1}
{"k":"a","t":14,"p":1}'
	assert_equal "$stderr" ''
	run --separate-stderr mjoin --on .k --right versions --time .t --asof forward --tolerance 4s stream
	assert_success
	assert_output '{"k":"a","t":10,"p":1}
{"k":"a","t":16,"p":2}'
	assert_equal "$stderr" ''
	run --separate-stderr mjoin --on .k --right versions --time .t --asof nearest --tolerance 4s stream
	assert_success
	# a@16 is settled by the version at 20; a@14 when stream time passes 18
	assert_output '{"k":"a","t":10,"p":1}
{"k":"a","t":16,"p":2}
{"k":"a","t":14,"p":1}'
	assert_equal "$stderr" ''
}

@test "mjoin: as-of --anti writes the records without a version" {
	asof_inputs
	run --separate-stderr mjoin --on .k --right versions --time .t --asof backward --anti stream
	assert_success
	assert_output '{"k":"a","t":5}
{"k":"b","t":20}'
	run --separate-stderr mjoin --on .k --right versions --time .t --asof forward --anti stream
	assert_success
	assert_output '{"k":"b","t":20}
{"k":"a","t":35}'
	run --separate-stderr mjoin --on .k --right versions --time .t --asof nearest --anti stream
	assert_success
	assert_output '{"k":"b","t":20}'
	assert_equal "$stderr" ''
}

@test "mjoin: as-of keys compare as JSON values and a null key never matches" {
	printf '%s\n' '{"k":1,"t":1,"p":"number"}' '{"k":"1","t":1,"p":"string"}' >v
	printf '%s\n' '{"k":1.0,"t":2}' '{"k":"1","t":2}' '{"k":null,"t":2}' >s
	run --separate-stderr mjoin --on .k --right v --time .t --asof backward --left --nest s,v s
	assert_success
	assert_output '{"s":{"k":1.0,"t":2},"v":{"k":1,"t":1,"p":"number"}}
{"s":{"k":"1","t":2},"v":{"k":"1","t":1,"p":"string"}}
{"s":{"k":null,"t":2},"v":null}'
	assert_equal "$stderr" ''
}

# --- memory ------------------------------------------------------------------

# gen N SIDE OFFSET: N records, key i % 100 at time i * 100 + OFFSET ms.
gen() {
	awk -v n="$1" -v s="$2" -v o="$3" 'BEGIN { for (i = 0; i < n; i++)
		printf "{\"k\":%d,\"t\":%d,\"%s\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n", i % 100, i * 100 + o, s }'
}

@test "mjoin: memory stays flat on a long interval join: kept records are evicted" {
	[ -x /usr/bin/time ] || skip "GNU time is needed to measure memory"
	gen 20000 l 0 >l1
	gen 20000 r 50 >r1
	gen 200000 l 0 >l2
	gen 200000 r 50 >r2
	# each left record pairs with the right one 50ms later only
	ASAN_OPTIONS=quarantine_size_mb=1 /usr/bin/time -f %M -o rss1 \
		mjoin --on .k --right r1 --time .t --time-unit ms --within 5s --outer l1 >out1
	ASAN_OPTIONS=quarantine_size_mb=1 /usr/bin/time -f %M -o rss2 \
		mjoin --on .k --right r2 --time .t --time-unit ms --within 5s --outer l2 >out2
	assert_equal "$(wc -l <out1)" 20000
	assert_equal "$(wc -l <out2)" 200000
	# 400000 kept records would take 60 MB or more: 10 times the input adds
	# less than 8 MB
	rss1=$(tail -n 1 rss1) rss2=$(tail -n 1 rss2)
	[ "$rss2" -lt $((rss1 + 8192)) ] || fail "peak RSS $rss2 kB for 10x the records of a $rss1 kB run"
}

@test "mjoin: memory stays flat on a long as-of join: old versions are let go" {
	[ -x /usr/bin/time ] || skip "GNU time is needed to measure memory"
	gen 20000 l 0 >l1
	gen 20000 r 50 >r1
	gen 200000 l 0 >l2
	gen 200000 r 50 >r2
	for d in backward nearest; do
		ASAN_OPTIONS=quarantine_size_mb=1 /usr/bin/time -f %M -o rss1 \
			mjoin --on .k --right r1 --time .t --time-unit ms --asof "$d" l1 >out1
		ASAN_OPTIONS=quarantine_size_mb=1 /usr/bin/time -f %M -o rss2 \
			mjoin --on .k --right r2 --time .t --time-unit ms --asof "$d" l2 >out2
		rss1=$(tail -n 1 rss1) rss2=$(tail -n 1 rss2)
		[ "$rss2" -lt $((rss1 + 8192)) ] || fail "$d: peak RSS $rss2 kB for 10x the records of a $rss1 kB run"
	done
	# backward: the first record of each key has no version before it
	assert_equal "$(wc -l <out1)" 20000
}

# --- output errors -----------------------------------------------------------

@test "mjoin: a failed write to stdout is an error" {
	echo '{"id":1,"n":"one"}' >t
	echo '{"id":1}' >s
	run sh -c 'mjoin --on .id --table t s >/dev/full'
	assert_failure 1
	assert_output 'mjoin: stdout: No space left on device'
}

@test "mjoin: ends quietly when the reader of its output exits" {
	echo '{"id":1,"n":"one"}' >t
	awk 'BEGIN { for (i = 0; i < 200000; i++) printf "{\"id\":1,\"i\":%d}\n", i }' >big
	run --separate-stderr bash -c 'mjoin --on .id --table t big | head -n 1'
	assert_success
	assert_output '{"id":1,"i":0,"n":"one"}'
	assert_equal "$stderr" ''
}

# --- usage -------------------------------------------------------------------

@test "mjoin: --help prints the help and exits 0" {
	run --separate-stderr mjoin --help
	assert_success
	assert_line -n 0 'usage: mjoin -k expr -t source [--table-key expr] [--table-value expr]'
	assert_output --partial '--follow-table=LOG'
	assert_output --partial '--prefix-right=P'
	assert_equal "$stderr" ''
}

@test "mjoin: no arguments at all print the usage" {
	run --separate-stderr mjoin
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" "$USAGE"
}

@test "mjoin: --nest with --prefix-right is a usage error" {
	run --separate-stderr mjoin --on .k --table t --nest l,r --prefix-right r_ </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mjoin: --nest and --prefix-right: one or the other'
}

@test "mjoin: --on is required" {
	run --separate-stderr mjoin --table t </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mjoin: --on: the join key is required'
}

@test "mjoin: exactly one of --table and --right is required" {
	run --separate-stderr mjoin --on .k </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mjoin: one of --table and --right is required'
	run --separate-stderr mjoin --on .k --table t --right r --time .t --within 1s </dev/null
	assert_failure 2
	assert_equal "$stderr" 'mjoin: one of --table and --right is required'
}

@test "mjoin: stream-stream options with --table, and table options with --right, are usage errors" {
	for opt in '--asof backward' '--within 1s' '--before 1s' '--after 1s' '--time .t' \
		'--right-time .t' '--right-on .k' '--time-unit ms' '--grace 1s' '--tolerance 1s' \
		'--idle 1s' '-g job'; do
		# shellcheck disable=SC2086
		run --separate-stderr mjoin --on .k --table t $opt </dev/null
		assert_failure 2
		assert_output ''
		assert_equal "$stderr" 'mjoin: --table joins by key only: --asof, --within, --before, --after, --time, --right-time, --right-on, --time-unit, --grace, --tolerance, --idle and -g are for --right'
	done
	for opt in '--table-key .id' '--table-value .v'; do
		# shellcheck disable=SC2086
		run --separate-stderr mjoin --on .k --right r --time .t --within 1s $opt </dev/null
		assert_failure 2
		assert_output ''
		assert_equal "$stderr" 'mjoin: --table-key and --table-value are for --table'
	done
}

@test "mjoin: --outer with --table or --asof is a usage error" {
	run --separate-stderr mjoin --on .k --table t --outer </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mjoin: --outer: a table join writes stream records only (--left or --anti)'
	run --separate-stderr mjoin --on .k --right r --time .t --asof nearest --outer </dev/null
	assert_failure 2
	assert_equal "$stderr" 'mjoin: --outer: an as-of join writes stream records only (--left or --anti)'
}

@test "mjoin: more than one of --left, --outer and --anti is a usage error" {
	run --separate-stderr mjoin --on .k --right r --time .t --within 1s --left --anti </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mjoin: --anti: only one of --left, --outer and --anti'
	run --separate-stderr mjoin --on .k --right r --time .t --within 1s --outer --left </dev/null
	assert_failure 2
	assert_equal "$stderr" 'mjoin: --left: only one of --left, --outer and --anti'
}

@test "mjoin: --asof with --within, --before or --after, and --tolerance without --asof, are usage errors" {
	for opt in '--within 1s' '--before 1s' '--after 1s'; do
		# shellcheck disable=SC2086
		run --separate-stderr mjoin --on .k --right r --time .t --asof backward $opt </dev/null
		assert_failure 2
		assert_output ''
		assert_equal "$stderr" 'mjoin: --asof takes --tolerance, not --within, --before or --after'
	done
	run --separate-stderr mjoin --on .k --right r --time .t --within 1s --tolerance 1s </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mjoin: --tolerance is for --asof'
}

@test "mjoin: --within with --before or --after, or none of them, is a usage error" {
	run --separate-stderr mjoin --on .k --right r --time .t --within 1s --before 1s </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mjoin: --within or --before and --after, not both'
	run --separate-stderr mjoin --on .k --right r --time .t --within 1s --after 1s </dev/null
	assert_failure 2
	assert_equal "$stderr" 'mjoin: --within or --before and --after, not both'
	run --separate-stderr mjoin --on .k --right r --time .t </dev/null
	assert_failure 2
	assert_equal "$stderr" 'mjoin: --within, or --before and --after: how far apart the pairs may be'
}

@test "mjoin: a stream-stream join without --time is a usage error" {
	run --separate-stderr mjoin --on .k --right r --within 1s </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mjoin: --time: a stream-stream join needs event times'
	run --separate-stderr mjoin --on .k --right r --asof forward </dev/null
	assert_failure 2
	assert_equal "$stderr" 'mjoin: --time: a stream-stream join needs event times'
}

@test "mjoin: a bad --nest is a usage error" {
	for n in a ',b' 'a,' 'a,b,c' ''; do
		run --separate-stderr mjoin --on .k --table t --nest "$n" </dev/null
		assert_failure 2
		assert_output ''
		assert_equal "$stderr" "mjoin: --nest: '$n' is not two names separated by a comma"
	done
}

@test "mjoin: an empty --prefix-right or one with a quote, a backslash, a control character or bytes not UTF-8 is a usage error" {
	for p in '' 'a"' 'b\' $'c\t' $'d\xff'; do
		run --separate-stderr mjoin --on .k --table t --prefix-right "$p" </dev/null
		assert_failure 2
		assert_output ''
		assert_equal "$stderr" "mjoin: --prefix-right: '$p' is empty or has a quote, a backslash, a control character or bytes that are not UTF-8"
	done
}

@test "mjoin: a bad duration is a usage error" {
	for d in x 10x 5s5 -5s ''; do
		run --separate-stderr mjoin --on .k --right r --time .t --within "$d" </dev/null
		assert_failure 2
		assert_output ''
		assert_equal "$stderr" "mjoin: --within: bad duration '$d' (a number and a unit: 500ms, 10s, 5m, 2h, 7d)"
	done
	run --separate-stderr mjoin --on .k --right r --time .t --before 1s --after soon </dev/null
	assert_failure 2
	assert_equal "$stderr" "mjoin: --after: bad duration 'soon' (a number and a unit: 500ms, 10s, 5m, 2h, 7d)"
	run --separate-stderr mjoin --on .k --right r --time .t --before 1q --after 1s </dev/null
	assert_failure 2
	assert_equal "$stderr" "mjoin: --before: bad duration '1q' (a number and a unit: 500ms, 10s, 5m, 2h, 7d)"
	run --separate-stderr mjoin --on .k --right r --time .t --within 1s --grace 1y </dev/null
	assert_failure 2
	assert_equal "$stderr" "mjoin: --grace: bad duration '1y' (a number and a unit: 500ms, 10s, 5m, 2h, 7d)"
	run --separate-stderr mjoin --on .k --right r --time .t --asof nearest --tolerance x </dev/null
	assert_failure 2
	assert_equal "$stderr" "mjoin: --tolerance: bad duration 'x' (a number and a unit: 500ms, 10s, 5m, 2h, 7d)"
	run --separate-stderr mjoin --on .k --right r --time .t --within 1s --idle 0 </dev/null
	assert_failure 2
	assert_equal "$stderr" 'mjoin: --idle: the duration must be more than 0'
}

@test "mjoin: a bad --asof direction or --time-unit is a usage error" {
	run --separate-stderr mjoin --on .k --right r --time .t --asof sideways </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" "mjoin: --asof: 'sideways' is not backward, forward or nearest"
	run --separate-stderr mjoin --on .k --right r --time .t --within 1s --time-unit min </dev/null
	assert_failure 2
	assert_equal "$stderr" "mjoin: --time-unit: 'min' is not s, ms, us or ns"
}

@test "mjoin: the two inputs cannot both be standard input" {
	run --separate-stderr mjoin --on .k --right - --time .t --within 1s </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mjoin: the two streams cannot both be standard input'
	run --separate-stderr mjoin --on .k --right - --time .t --within 1s - </dev/null
	assert_failure 2
	assert_equal "$stderr" 'mjoin: the two streams cannot both be standard input'
	run --separate-stderr mjoin --on .k --table - </dev/null
	assert_failure 2
	assert_equal "$stderr" 'mjoin: the table and the stream cannot both be standard input'
}

@test "mjoin: a table from standard input with - among the stream files is a usage error" {
	echo '{"k":1}' >s
	run --separate-stderr mjoin --on .k --table - s - <<<'{"k":1,"n":"x"}'
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mjoin: the table and the stream cannot both be standard input'
}

@test "mjoin: a stream-stream join reads one stream file" {
	run --separate-stderr mjoin --on .k --right r --time .t --within 1s a b </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mjoin: a stream-stream join reads one stream (2 files given); merge them first'
}

@test "mjoin: --follow-table takes a log, and names the table" {
	echo '{"id":1}' >t
	run --separate-stderr mjoin --on .k --follow-table t </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mjoin: --follow-table: t is not a log'
	echo 'a|{}' | mlog-append -K '|' L
	run --separate-stderr mjoin --on .k --follow-table L --table t </dev/null
	assert_failure 2
	assert_equal "$stderr" 'mjoin: --follow-table names the table; --table t is another'
	run --separate-stderr mjoin --follow-table L --table L --on .k <<<'{"k":"a"}'
	assert_success
	assert_output '{"k":"a"}'
	assert_equal "$stderr" ''
}

@test "mjoin: an expression that does not compile is reported with its option, column and a caret, exit 2" {
	run --separate-stderr mjoin --on '.k |' --table t </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mjoin: --on: syntax error at column 5: unexpected end of expression
mjoin:   .k |
mjoin:       ^'
	run --separate-stderr mjoin --on .k --right r --right-on '(' --time .t --within 1s </dev/null
	assert_failure 2
	assert_equal "$stderr" 'mjoin: --right-on: syntax error at column 2: unexpected end of expression
mjoin:   (
mjoin:    ^'
	run --separate-stderr mjoin --on .k --right r --time '.t +' --within 1s </dev/null
	assert_failure 2
	assert_equal "$stderr" 'mjoin: --time: syntax error at column 5: unexpected end of expression
mjoin:   .t +
mjoin:       ^'
	run --separate-stderr mjoin --on .k --table t --table-value '{' </dev/null
	assert_failure 2
	assert_equal "$stderr" 'mjoin: --table-value: syntax error at column 2: expected an object key, found end of expression
mjoin:   {
mjoin:    ^'
}

@test "mjoin: unknown options and missing option values are usage errors" {
	run --separate-stderr mjoin --on .k --table t --bogus </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" "mjoin: unrecognized option '--bogus'
$USAGE"
	run --separate-stderr mjoin --on .k --right r --time .t --within </dev/null
	assert_failure 2
	assert_equal "$stderr" "mjoin: option '--within' requires an argument
$USAGE"
}

@test "mjoin: a --bad file that cannot be opened is an error" {
	echo '{"id":1}' >t
	run --separate-stderr mjoin --on .id --table t --bad=nodir/dead </dev/null
	assert_failure 1
	assert_output ''
	assert_equal "$stderr" 'mjoin: nodir/dead: No such file or directory'
}

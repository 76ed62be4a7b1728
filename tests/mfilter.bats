#!/usr/bin/env bats
# mfilter: records passed byte for byte, the options, expressions that do
# not compile, and the bad-input policy of shared/DESIGN.md §4 (drop and
# count, --bad, --strict) with its exact messages.

load test_helper
bats_require_minimum_version 1.5.0

USAGE='usage: mfilter [-chqv] [-e expr]... [-f file] [-m size] [--bad=file] [--from=format]
               [--infer] [--stats] [--strict] [expr] [file ...]'

# long_line N: a JSON record of N + 10 bytes, {"big":"xxx..."}, and a newline.
long_line() {
	printf '{"big":"'
	head -c "$1" /dev/zero | tr '\0' x
	printf '"}\n'
}

# nested N OPEN CLOSE [INNER]: OPEN N times, INNER, CLOSE N times, a newline.
nested() {
	awk -v n="$1" -v o="$2" -v c="$3" -v m="${4-}" 'BEGIN {
		for (i = 0; i < n; i++) printf "%s", o
		printf "%s", m
		for (i = 0; i < n; i++) printf "%s", c
		print ""
	}'
}

# --- passing records ---------------------------------------------------------

@test "mfilter: passes the records for which the expression is true, byte for byte" {
	printf '%s\n' '{ "status" : 500, "path":"/a\u00e9", "n": 1.0 }' \
		'{"status":200,"path":"/b"}' \
		'{"status":503,"path":"/c","x":[1, 2 ,{"k" :null}]}' >in
	mfilter '.status >= 500' in >out
	printf '%s\n' '{ "status" : 500, "path":"/a\u00e9", "n": 1.0 }' \
		'{"status":503,"path":"/c","x":[1, 2 ,{"k" :null}]}' >want
	cmp want out
}

@test "mfilter: a record passes when some output is neither false nor null" {
	printf '%s\n' '{"a":[false,1]}' '{"a":[false,null]}' '{"a":[]}' \
		'{"a":[0]}' '{"a":[""]}' >in
	run mfilter '.a[]' in
	assert_success
	assert_output "$(printf '%s\n' '{"a":[false,1]}' '{"a":[0]}' '{"a":[""]}')"
}

@test "mfilter: reads standard input when there is no file" {
	printf '%s\n' '{"a":1}' '{"a":2}' >in
	run mfilter '.a == 2' <in
	assert_success
	assert_output '{"a":2}'
}

@test "mfilter: reads the files in turn, and - is standard input" {
	echo '{"f":1}' >f1
	echo '{"f":3}' >f3
	run mfilter '.f > 0' f1 - f3 <<<'{"f":2}'
	assert_success
	assert_output "$(printf '%s\n' '{"f":1}' '{"f":2}' '{"f":3}')"
}

@test "mfilter: empty input passes nothing and exits 0" {
	: >empty
	run --separate-stderr mfilter . empty
	assert_success
	assert_output ''
	assert_equal "$stderr" ''
	run --separate-stderr mfilter . </dev/null
	assert_success
	assert_output ''
	assert_equal "$stderr" ''
}

@test "mfilter: blank lines are skipped and not counted, but count in the line numbers" {
	printf '\n  \n\t\n{"a":1}\n\r\n\nnope\n' >in
	run --separate-stderr mfilter --stats . in
	assert_success
	assert_output '{"a":1}'
	assert_equal "$stderr" 'mfilter: 2 records: 1 passed, 0 filtered out, 1 bad, 0 errors
mfilter: 1 bad input line dropped; first at in:7: invalid JSON at column 1: invalid literal'
}

@test "mfilter: a CRLF line passes without its CR, and ends in LF" {
	printf '{"a":1}\r\n{"a":2}\r\n{"a":3}\r\n' >in
	mfilter '.a != 2' in >out
	printf '{"a":1}\n{"a":3}\n' >want
	cmp want out
}

@test "mfilter: a last line without a newline is read, and written with one" {
	printf '{"a":1}\n{"a":2}' >in
	mfilter '.a == 2' in >out
	printf '{"a":2}\n' >want
	cmp want out
	printf '{"a":2}' | mfilter . >out
	cmp want out
}

@test "mfilter: big numbers pass with every digit, byte for byte" {
	line='{"a":100000000000000000001,"b":1.000000000000000000000001,"c":-1E+400,"d":[1.0,2e5]}'
	printf '%s\n' "$line" >in
	run mfilter '.a > 100000000000000000000 or .a == 100000000000000000001' in
	assert_success
	assert_output "$line"
}

@test "mfilter: an expression starting with '-' is an expression, not options" {
	printf '%s\n' '{"a":3}' '{"a":-3}' >in
	run mfilter '-.a < 0' in
	assert_success
	assert_output '{"a":3}'
	run mfilter -v -- '-.a < 0' in
	assert_success
	assert_output '{"a":-3}'
}

@test "mfilter: option arguments that start with '-' are arguments" {
	printf '%s\n' '{"a":3}' '{"a":-3}' >in
	run mfilter -e '-.a < 0' in
	assert_success
	assert_output '{"a":3}'
	run mfilter -m -1 . in
	assert_failure 2
	assert_line -n 0 'mfilter: --max-record: bad size (1 to 256M): -1'
}

# --- options -----------------------------------------------------------------

@test "mfilter: -v passes the records for which the expression is not true" {
	printf '%s\n' '{"a":1}' '{"a":null}' '{"a":false}' '{}' '{"a":0}' >in
	run mfilter -v .a in
	assert_success
	assert_output "$(printf '%s\n' '{"a":null}' '{"a":false}' '{}')"
	run mfilter --invert-match '.a == 1' in
	assert_output "$(printf '%s\n' '{"a":null}' '{"a":false}' '{}' '{"a":0}')"
}

@test "mfilter: -v passes neither bad lines nor records that raised errors" {
	printf '%s\n' '{"a":1}' 'not json' '{"a":"x"}' '{"a":5}' >in
	run --separate-stderr mfilter -v '.a + 1 > 2' in
	assert_success
	assert_output '{"a":1}'
	assert_equal "$stderr" 'mfilter: 1 bad input line dropped; first at in:2: invalid JSON at column 1: invalid literal
mfilter: 1 record raised an error; first at in:3: string ("x") and number (1) cannot be added'
}

@test "mfilter: -c prints only the number of passing records" {
	printf '%s\n' '{"a":1}' '{"a":2}' '{"a":3}' >in
	run mfilter -c '.a >= 2' in
	assert_success
	assert_output '2'
	run mfilter --count -v '.a >= 2' in
	assert_output '1'
	run mfilter -c '.a > 9' in
	assert_success
	assert_output '0'
	run mfilter -c . </dev/null
	assert_output '0'
}

@test "mfilter: -q prints nothing, exits 0 when a record passed and 1 when none did" {
	printf '%s\n' '{"a":1}' '{"a":2}' >in
	run mfilter -q '.a == 2' in
	assert_success
	assert_output ''
	run mfilter --quiet '.a == 3' in
	assert_failure 1
	assert_output ''
	run mfilter -q . </dev/null
	assert_failure 1
	assert_output ''
}

@test "mfilter: -q stops at the first passing record of endless input" {
	run bash -c 'yes "{\"a\":1}" | timeout 10 mfilter -q ".a == 1"'
	assert_success
	assert_output ''
	run bash -c '{ printf "{\"a\":0}\n"; yes "{\"a\":1}"; } | timeout 10 mfilter -q ".a == 1"'
	assert_success
}

@test "mfilter: -q exits at the first passing record without waiting for the end of the input" {
	mkfifo fifo
	exec 7<>fifo
	printf '%s\n' '{"a":0}' '{"a":1}' >&7
	run timeout 10 mfilter -q '.a == 1' fifo 7>&-
	exec 7>&-
	assert_success
	assert_output ''
}

@test "mfilter: a passing record is written while the input is still open" {
	mkfifo fifo
	exec 7<>fifo
	mfilter '.a != 2' fifo >out 7>&- &
	pid=$!
	printf '%s\n' '{"a":1}' '{"a":2}' >&7
	wait_for lines_in out 1
	assert_equal "$(cat out)" '{"a":1}'
	printf '%s\n' '{"a":3}' >&7
	exec 7>&-
	wait "$pid"
	assert_equal "$(cat out)" "$(printf '%s\n' '{"a":1}' '{"a":3}')"
}

@test "mfilter: -e may be repeated: every expression must hold" {
	printf '%s\n' '{"a":1,"b":1}' '{"a":1,"b":2}' '{"a":2,"b":2}' >in
	run mfilter -e '.a == 1' -e '.b == 2' in
	assert_success
	assert_output '{"a":1,"b":2}'
	run mfilter --expr='.b == 2' in
	assert_output "$(printf '%s\n' '{"a":1,"b":2}' '{"a":2,"b":2}')"
}

@test "mfilter: with -e every operand is a file" {
	echo '{"a":1}' >f1
	echo '{"a":2}' >f2
	run mfilter -e '.a > 0' f1 f2
	assert_success
	assert_output "$(printf '%s\n' '{"a":1}' '{"a":2}')"
	run --separate-stderr mfilter -e '.a > 0' '.a < 2' <f1
	assert_failure 1
	assert_equal "$stderr" 'mfilter: .a < 2: No such file or directory'
}

@test "mfilter: -f reads the expression from a file, with comments and several lines" {
	cat >prog.jq <<'EOF'
# big enough, but not too big
.a > 1   # the lower bound
and .a < 10
EOF
	printf '%s\n' '{"a":1}' '{"a":5}' '{"a":50}' >in
	run mfilter -f prog.jq in
	assert_success
	assert_output '{"a":5}'
	run mfilter --from-file=prog.jq <in
	assert_output '{"a":5}'
}

@test "mfilter: -f and -e together must all hold, and every operand is a file" {
	echo '.a > 1' >prog.jq
	printf '%s\n' '{"a":1}' '{"a":5}' '{"a":7}' >in
	run mfilter -f prog.jq -e '.a != 5' in
	assert_success
	assert_output '{"a":7}'
}

@test "mfilter: -f with a file that cannot be read is a usage error" {
	run mfilter -f nope.jq
	assert_failure 2
	assert_output 'mfilter: nope.jq: No such file or directory'
	mkdir dir
	run mfilter -f dir
	assert_failure 2
	assert_output 'mfilter: dir: Is a directory'
}

@test "mfilter: a syntax error in a program file is reported with its line and column" {
	printf '# comment\n.a > 1\nand (.b | )\n' >prog.jq
	run mfilter -f prog.jq </dev/null
	assert_failure 2
	assert_output "mfilter: syntax error at line 3, column 11: unexpected ')'
mfilter:   and (.b | )
mfilter:             ^"
}

@test "mfilter: --from=logfmt sees key=value pairs and passes the original line" {
	cat >app.log <<'EOF'
ts=2026-03-02T09:00:00Z level=error msg="upstream \"x\" timeout" ms=512 retry
ts=2026-03-02T09:00:01Z level=info msg=ok ms=12
EOF
	run mfilter --from=logfmt '.level == "error" and .msg == "upstream \"x\" timeout" and .retry' app.log
	assert_success
	assert_output 'ts=2026-03-02T09:00:00Z level=error msg="upstream \"x\" timeout" ms=512 retry'
	# without --infer, "12" is a string, and strings sort after numbers
	run mfilter --from logfmt '.ms > 100000' app.log
	assert_equal "${#lines[@]}" 2
}

@test "mfilter: --infer gives logfmt values their JSON type" {
	printf '%s\n' 'ms=512 ok=true' 'ms=12 ok=false' 'ms=1.5e3 ok=null' 'ms=-3' >app.log
	run mfilter --from=logfmt --infer '.ms > 100' app.log
	assert_success
	assert_output "$(printf '%s\n' 'ms=512 ok=true' 'ms=1.5e3 ok=null')"
	run mfilter --from=logfmt --infer 'has("ok") and .ok != true' app.log
	assert_output "$(printf '%s\n' 'ms=12 ok=false' 'ms=1.5e3 ok=null')"
}

@test "mfilter: --from=text sees each line as a string" {
	printf '%s\n' 'GET / timeout after 3s' 'GET / ok' '"quoted" \ timeout' >app.log
	run mfilter --from=text 'test("timeout")' app.log
	assert_success
	assert_output "$(printf '%s\n' 'GET / timeout after 3s' '"quoted" \ timeout')"
}

@test "mfilter: --from=regex: the named groups are the fields; a line it does not match is bad" {
	printf '%s\n' '1.2.3.4 GET /x 500' 'garbage' '5.6.7.8 POST /y 502' '9.9.9.9 GET /z 200' >access.log
	run --separate-stderr mfilter --infer \
		--from='regex:^(?<ip>\S+) (?<method>\S+) (?<path>\S+) (?<status>\d+)$' \
		'.status >= 500 and .method == "POST"' access.log
	assert_success
	assert_output '5.6.7.8 POST /y 502'
	assert_equal "$stderr" 'mfilter: 1 bad input line dropped; first at access.log:2: does not match the --from regex'
}

@test "mfilter: an unknown --from format or a bad --from regex is a usage error" {
	run mfilter --from=xml .
	assert_failure 2
	assert_output "mfilter: --from: unknown format 'xml' (json, logfmt, text or regex:PATTERN)
$USAGE"
	run mfilter --from='regex:(' .
	assert_failure 2
	assert_output "mfilter: --from: bad regex at offset 1: missing closing parenthesis
$USAGE"
}

@test "mfilter: --stats prints the record counts on stderr" {
	printf '%s\n' '{"a":1}' 'bad' '{"a":2}' '{"a":"x"}' '{"a":0}' >in
	run --separate-stderr mfilter --stats '.a + 1 > 2' in
	assert_success
	assert_output '{"a":2}'
	assert_equal "${stderr_lines[0]}" 'mfilter: 5 records: 1 passed, 2 filtered out, 1 bad, 1 errors'
	run --separate-stderr mfilter --stats . </dev/null
	assert_equal "$stderr" 'mfilter: 0 records: 0 passed, 0 filtered out, 0 bad, 0 errors'
}

@test "mfilter: -h prints the help and exits 0" {
	run mfilter -h
	assert_success
	assert_line -n 0 'usage: mfilter [-chqv] [-e expr]... [-f file] [-m size] [--bad=file]'
	assert_output --partial '--max-record=SIZE'
	run mfilter --help
	assert_success
	assert_line -n 0 'usage: mfilter [-chqv] [-e expr]... [-f file] [-m size] [--bad=file]'
}

@test "mfilter: no expression, unknown options and missing option values are usage errors" {
	run mfilter
	assert_failure 2
	assert_output "$USAGE"
	run mfilter -x .
	assert_failure 2
	assert_output "mfilter: invalid option -- 'x'
$USAGE"
	run mfilter --bogus .
	assert_failure 2
	assert_output "mfilter: unrecognized option '--bogus'
$USAGE"
	run mfilter . -m
	assert_failure 2
	assert_output "mfilter: option requires an argument -- 'm'
$USAGE"
}

@test "mfilter: -m takes sizes with K, M and G; a bad size is a usage error" {
	for m in 0 x 257M 1G 10Q ''; do
		run mfilter -m "$m" . </dev/null
		assert_failure 2
		assert_output "mfilter: --max-record: bad size (1 to 256M): $m
$USAGE"
	done
	run mfilter --max-record=256M . <<<'{"a":1}'
	assert_success
	assert_output '{"a":1}'
}

# --- expressions that do not compile -----------------------------------------

@test "mfilter: a syntax error is reported with its column and a caret" {
	run mfilter '.a | )' </dev/null
	assert_failure 2
	assert_output "mfilter: syntax error at column 6: unexpected ')'
mfilter:   .a | )
mfilter:        ^"
}

@test "mfilter: the caret counts characters, not bytes" {
	run mfilter '"é" | )' </dev/null
	assert_failure 2
	assert_output "mfilter: syntax error at column 7: unexpected ')'
mfilter:   \"é\" | )
mfilter:         ^"
}

@test "mfilter: an expression that ends too early says what was expected" {
	run mfilter 'if .a then 1' </dev/null
	assert_failure 2
	assert_output "mfilter: syntax error at column 13: expected 'elif', 'else' or 'end', found end of expression
mfilter:   if .a then 1
mfilter:               ^"
}

@test "mfilter: a jq construct the language lacks is named" {
	run mfilter '.a | foreach .[] as $x (0; . + $x)' </dev/null
	assert_failure 2
	assert_output "mfilter: syntax error at column 6: 'foreach' is outside the mstreams subset (see mstreams-expr(7))
mfilter:   .a | foreach .[] as \$x (0; . + \$x)
mfilter:        ^"
	run mfilter 'def f: 1; f' </dev/null
	assert_failure 2
	assert_line -n 0 "mfilter: syntax error at column 1: 'def' is outside the mstreams subset (see mstreams-expr(7))"
}

@test "mfilter: recursive descent is named as outside the language" {
	run mfilter '.a | ..' </dev/null
	assert_failure 2
	assert_output "mfilter: syntax error at column 6: recursive descent (..) is outside the mstreams subset (see mstreams-expr(7))
mfilter:   .a | ..
mfilter:        ^"
}

@test "mfilter: an unknown function is reported with its arity" {
	run mfilter '.a | foo(1)' </dev/null
	assert_failure 2
	assert_output "mfilter: syntax error at column 6: foo/1 is not defined
mfilter:   .a | foo(1)
mfilter:        ^"
}

@test "mfilter: a bad -e is reported like an operand expression" {
	run mfilter -e '.a == 1' -e '.b ==' </dev/null
	assert_failure 2
	assert_output "mfilter: syntax error at column 6: unexpected end of expression
mfilter:   .b ==
mfilter:        ^"
}

# --- bad input ---------------------------------------------------------------

@test "mfilter: bad lines are dropped and counted; the first is reported on stderr" {
	printf '%s\n' '{"a":1}' '{"a":' '{"a":2}' '}' 'nul' >in
	run --separate-stderr mfilter . in
	assert_success
	assert_output "$(printf '%s\n' '{"a":1}' '{"a":2}')"
	assert_equal "$stderr" 'mfilter: 3 bad input lines dropped; first at in:2: invalid JSON at column 6: unexpected end of input'
	run --separate-stderr mfilter . <in
	assert_equal "$stderr" 'mfilter: 3 bad input lines dropped; first at line 2: invalid JSON at column 6: unexpected end of input'
}

@test "mfilter: records that raise errors are dropped and counted; the first is reported" {
	printf '%s\n' '{"a":1}' '{"a":"x"}' '{"a":{"b":1}}' '{"a":4}' >in
	run --separate-stderr mfilter '.a + 1 > 2' in
	assert_success
	assert_output '{"a":4}'
	assert_equal "$stderr" 'mfilter: 2 records raised errors; first at in:2: string ("x") and number (1) cannot be added'
	run --separate-stderr mfilter '.a.b' in
	assert_success
	assert_output '{"a":{"b":1}}'
	assert_equal "$stderr" 'mfilter: 3 records raised errors; first at in:1: Cannot index number with string "b"'
}

@test "mfilter: one bad line and one error are reported in the singular" {
	printf '%s\n' '{"a":1}' 'oops' '{"a":"x"}' >in
	run --separate-stderr mfilter '.a + 1 > 0' in
	assert_success
	assert_output '{"a":1}'
	assert_equal "$stderr" 'mfilter: 1 bad input line dropped; first at in:2: invalid JSON at column 1: unexpected character
mfilter: 1 record raised an error; first at in:3: string ("x") and number (1) cannot be added'
}

@test "mfilter: line numbers count from 1 in each file" {
	printf '%s\n' '{"a":1}' '{"a":2}' >f1
	printf '%s\n' '{"a":3}' 'oops' >f2
	run --separate-stderr mfilter . f1 f2
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_equal "$stderr" 'mfilter: 1 bad input line dropped; first at f2:2: invalid JSON at column 1: unexpected character'
}

@test "mfilter: --bad writes the bad lines and the records in error, as read" {
	printf '{"a":1}\nnot json\r\n{"a":"x"}\n{"a":\n{"a":5}\n' >in
	run --separate-stderr mfilter --bad=dead.jsonl '.a + 1 > 2' in
	assert_success
	assert_output '{"a":5}'
	assert_equal "$stderr" 'mfilter: 2 bad input lines written to dead.jsonl; first at in:2: invalid JSON at column 1: invalid literal
mfilter: 1 record raised an error, written to dead.jsonl; first at in:3: string ("x") and number (1) cannot be added'
	printf '%s\n' 'not json' '{"a":"x"}' '{"a":' >want
	cmp want dead.jsonl
}

@test "mfilter: --bad says how many records raised errors, in the plural" {
	printf '%s\n' '{"a":"x"}' '{"a":"y"}' >in
	run --separate-stderr mfilter --bad=dead.jsonl '.a + 1' in
	assert_success
	assert_equal "$stderr" 'mfilter: 2 records raised errors, written to dead.jsonl; first at in:1: string ("x") and number (1) cannot be added'
	cmp in dead.jsonl
}

@test "mfilter: --bad appends to the file, and is not created empty when all is well" {
	echo 'first' >dead
	printf '%s\n' '{"a":1}' 'second' >in
	run mfilter --bad=dead . in
	assert_success
	printf '%s\n' first second >want
	cmp want dead
	echo '{"a":1}' >good
	run --separate-stderr mfilter --bad=new . good
	assert_success
	assert_equal "$stderr" ''
	[ ! -s new ]
}

@test "mfilter: a --bad file that cannot be opened is an error" {
	run mfilter --bad=nodir/dead . </dev/null
	assert_failure 1
	assert_output 'mfilter: nodir/dead: No such file or directory'
}

@test "mfilter: a failed write to the --bad file stops with an error" {
	printf '%s\n' '{"a":1}' oops '{"a":2}' >in
	run --separate-stderr mfilter --bad=/dev/full . in
	assert_failure 1
	assert_equal "$stderr" 'mfilter: /dev/full: No space left on device'
}

@test "mfilter: --strict stops at the first bad line, naming its line on stdin" {
	printf '%s\n' '{"a":1}' '' '}' '{"a":2}' >in
	run --separate-stderr mfilter --strict . <in
	assert_failure 1
	assert_output '{"a":1}'
	assert_equal "$stderr" 'mfilter: line 3: invalid JSON at column 1: unexpected character'
}

@test "mfilter: --strict names the file and line of the bad line" {
	echo '{"a":1}' >f1
	printf '%s\n' '{"a":2}' '{"a":3}' '{"a":4,}' '{"a":5}' >f2
	run --separate-stderr mfilter --strict . f1 f2
	assert_failure 1
	assert_output "$(printf '%s\n' '{"a":1}' '{"a":2}' '{"a":3}')"
	assert_equal "$stderr" 'mfilter: f2:3: invalid JSON at column 8: expected a string key'
}

@test "mfilter: --strict stops at the first record that raises an error" {
	printf '%s\n' '{"a":5}' '{"a":"x"}' '{"a":6}' >in
	run --separate-stderr mfilter --strict '.a + 1 > 2' in
	assert_failure 1
	assert_output '{"a":5}'
	assert_equal "$stderr" 'mfilter: in:2: string ("x") and number (1) cannot be added'
}

@test "mfilter: a NUL byte makes a line bad, at its column" {
	printf '{"a":1}\n{"a":"b\0c"}\n{"a":2}\n' >in
	run --separate-stderr mfilter . in
	assert_success
	assert_output "$(printf '%s\n' '{"a":1}' '{"a":2}')"
	assert_equal "$stderr" 'mfilter: 1 bad input line dropped; first at in:2: NUL byte at column 8'
	printf '{"a":1}\0\n' >in
	run --separate-stderr mfilter --strict . in
	assert_failure 1
	assert_equal "$stderr" 'mfilter: in:1: NUL byte at column 8'
	printf 'a\0b\n' >in
	run --separate-stderr mfilter --strict --from=text . in
	assert_failure 1
	assert_equal "$stderr" 'mfilter: in:1: NUL byte at column 2'
}

@test "mfilter: invalid UTF-8 makes a line bad: stray bytes, overlong forms, surrogates, cut sequences" {
	printf '"\xff"\n"\xc0\xaf"\n"\xed\xa0\x80"\n"\xf4\x90\x80\x80"\n"\xe2\x82"\n{"\xc3":1}\n"é€😀"\n' >in
	run --separate-stderr mfilter --bad=dead --stats . in
	assert_success
	assert_output '"é€😀"'
	assert_equal "$stderr" 'mfilter: 7 records: 1 passed, 0 filtered out, 6 bad, 0 errors
mfilter: 6 bad input lines written to dead; first at in:1: invalid UTF-8 at column 2'
	head -n 6 in >want
	cmp want dead
	run --separate-stderr mfilter --strict . <<<"$(sed -n 6p in)"
	assert_failure 1
	assert_equal "$stderr" 'mfilter: line 1: invalid UTF-8 at column 3'
}

@test "mfilter: invalid UTF-8 is reported at its column with the other formats too" {
	printf 'ok\na\xffb\n' >in
	run --separate-stderr mfilter --from=text . in
	assert_success
	assert_output 'ok'
	assert_equal "$stderr" 'mfilter: 1 bad input line dropped; first at in:2: invalid UTF-8 at column 2'
}

@test "mfilter: a line longer than --max-record is bad, and the lines after it are read" {
	{ echo '{"a":1}'; long_line 2000; echo '{"a":2}'; } >in
	run --separate-stderr mfilter -m 1K --stats . in
	assert_success
	assert_output "$(printf '%s\n' '{"a":1}' '{"a":2}')"
	assert_equal "$stderr" 'mfilter: 3 records: 2 passed, 0 filtered out, 1 bad, 0 errors
mfilter: 1 bad input line dropped; first at in:2: longer than --max-record (1024 bytes)'
}

@test "mfilter: --max-record counts the bytes of a line without its newline or CR" {
	printf '{"a":1}\n' >lf
	printf '{"a":1}\r\n' >crlf
	run mfilter -m 7 . lf
	assert_output '{"a":1}'
	run mfilter -m 7 . crlf
	assert_output '{"a":1}'
	run --separate-stderr mfilter -m 6 . lf
	assert_success
	assert_output ''
	assert_equal "$stderr" 'mfilter: 1 bad input line dropped; first at lf:1: longer than --max-record (6 bytes)'
}

@test "mfilter: a 10 MB line is dropped with the default limit, and passes with -m 16M" {
	{ echo '{"a":1}'; long_line 10000000; echo '{"a":2}'; } >in
	run --separate-stderr mfilter . in
	assert_success
	assert_output "$(printf '%s\n' '{"a":1}' '{"a":2}')"
	assert_equal "$stderr" 'mfilter: 1 bad input line dropped; first at in:2: longer than --max-record (1048576 bytes)'
	mfilter -m 16M 'has("big")' in >out
	sed -n 2p in >want
	cmp want out
}

@test "mfilter: memory stays bounded by --max-record on a line of 64 MB" {
	[ -x /usr/bin/time ] || skip "GNU time is needed to measure memory"
	{ echo '{"a":1}'; long_line 64000000; echo '{"a":2}'; } |
		/usr/bin/time -f %M -o rss mfilter . >out 2>err
	assert_equal "$(cat out)" "$(printf '%s\n' '{"a":1}' '{"a":2}')"
	# kilobytes; well under the line's size, sanitizers included
	[ "$(tail -n 1 rss)" -lt 32768 ]
}

@test "mfilter: deep nesting is bad input, without a crash" {
	{ nested 100000 '[' ']'; echo '{"a":1}'; } >in
	run --separate-stderr mfilter . in
	assert_success
	assert_output '{"a":1}'
	assert_equal "$stderr" 'mfilter: 1 bad input line dropped; first at in:1: invalid JSON at column 513: nested too deeply'
	head -c 100000 /dev/zero | tr '\0' '[' >open
	run --separate-stderr mfilter --strict . <open
	assert_failure 1
	assert_equal "$stderr" 'mfilter: line 1: invalid JSON at column 513: nested too deeply'
}

@test "mfilter: nesting up to 512 deep passes; 513 is bad" {
	nested 500 '[' ']' >in
	nested 512 '{"a":' '}' 1 >>in
	nested 511 '[' ']' '{}' >>in
	mfilter . in >out
	cmp in out
	nested 513 '{"a":' '}' 1 >in
	run --separate-stderr mfilter . in
	assert_success
	assert_output ''
	assert_equal "$stderr" 'mfilter: 1 bad input line dropped; first at in:1: invalid JSON at column 2561: nested too deeply'
}

# --- output ------------------------------------------------------------------

@test "mfilter: ends quietly when the reader of its output exits" {
	awk 'BEGIN { for (i = 0; i < 200000; i++) printf "{\"i\":%d}\n", i }' >big
	run bash -c 'mfilter . big | head -n 1'
	assert_success
	assert_output '{"i":0}'
	run bash -c 'mfilter .i <big | head -n 1'
	assert_output '{"i":0}'
}

@test "mfilter: a failed write to stdout is an error" {
	echo '{"a":1}' >in
	run sh -c 'mfilter . in >/dev/full'
	assert_failure 1
	assert_output 'mfilter: stdout: No space left on device'
}

@test "mfilter: a file that cannot be read is an error; the records before and after it pass" {
	echo '{"a":1}' >f1
	echo '{"a":2}' >f2
	run --separate-stderr mfilter . f1 nope f2
	assert_failure 1
	assert_output "$(printf '%s\n' '{"a":1}' '{"a":2}')"
	assert_equal "$stderr" 'mfilter: nope: No such file or directory'
}

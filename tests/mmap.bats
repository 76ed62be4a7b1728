#!/usr/bin/env bats
# mmap: each output of the expression as one compact JSON line, the options,
# errors in the middle of a record, expressions that do not compile, and the
# bad-input policy of shared/DESIGN.md §4 with its exact messages.

load test_helper
bats_require_minimum_version 1.5.0

USAGE='usage: mmap [-chjr] [-f file] [-m size] [--arg name value] [--argjson name json]
            [--bad=file] [--from=format] [--infer] [--stats] [--strict]
            [expr] [file ...]'

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

# --- outputs -----------------------------------------------------------------

@test "mmap: writes each output as one line of compact JSON" {
	echo '{"ts":1772442000, "status":200, "path":"/"}' >in
	run mmap '{path, ok: (.status < 400)}' in
	assert_success
	assert_output '{"path":"/","ok":true}'
}

@test "mmap: values copied from the input keep their digits and escapes, without the spaces" {
	echo '{"a":{"s":"\u00e9\n", "n":1.0 , "l":[ 1 , 2 ]}}' >in
	mmap '.a, .a.s, .a.n, .a.l' in >out
	cat >want <<'EOF'
{"s":"\u00e9\n","n":1.0,"l":[1,2]}
"é\n"
1.0
[1,2]
EOF
	cmp want out
}

@test "mmap: big numbers keep every digit" {
	echo '{"a":100000000000000000001,"b":-1E+400,"c":[1.000000000000000000000001]}' >in
	run mmap '.a, .b, .c, {a}' in
	assert_success
	assert_output '100000000000000000001
-1E+400
[1.000000000000000000000001]
{"a":100000000000000000001}'
}

@test "mmap: computed numbers are written as jq 1.6 writes them" {
	run mmap '0.1 + 0.2, 1e17, 3.0 * 1, 1 / 3' <<<'{}'
	assert_success
	assert_output '0.30000000000000004
1e+17
3
0.3333333333333333'
}

@test "mmap: an expression with several outputs writes several lines, in order" {
	printf '%s\n' '{"id":1,"items":[{"sku":"a"},{"sku":"b"}]}' '{"id":2,"items":[{"sku":"c"}]}' >in
	run mmap '.id as $o | .items[] | {order: $o, sku}' in
	assert_success
	assert_output '{"order":1,"sku":"a"}
{"order":1,"sku":"b"}
{"order":2,"sku":"c"}'
}

@test "mmap: an expression with no output for a record writes nothing for it" {
	printf '%s\n' '{"s":500,"p":"/a"}' '{"s":200,"p":"/b"}' '{"s":502,"p":"/c"}' '{"x":[]}' >in
	run --separate-stderr mmap 'select(.s >= 500) | .p, (.x // empty | .[])' in
	assert_success
	assert_output '"/a"
"/c"'
	assert_equal "$stderr" ''
}

@test "mmap: reads standard input when there is no file" {
	printf '%s\n' '{"a":1}' '{"a":2}' >in
	run mmap .a <in
	assert_success
	assert_output '1
2'
}

@test "mmap: reads the files in turn, and - is standard input" {
	echo '{"f":1}' >f1
	echo '{"f":3}' >f3
	run mmap .f f1 - f3 <<<'{"f":2}'
	assert_success
	assert_output '1
2
3'
}

@test "mmap: an expression starting with '-' is an expression, not options" {
	echo '{"a":3}' >in
	run mmap -.a in
	assert_success
	assert_output '-3'
	run mmap -- '-.a' in
	assert_success
	assert_output '-3'
	run mmap -r -.a in
	assert_output '-3'
}

# --- options -----------------------------------------------------------------

@test "mmap: -r writes strings as their text, and other values as JSON" {
	echo '{"s":"a\tb\"c\\d","n":1}' >in
	mmap -r '.s, .n, [.n], null, "x\u0000y"' in >out
	printf 'a\tb"c\\d\n1\n[1]\nnull\nx\0y\n' >want
	cmp want out
	mmap --raw-output .s in >out
	printf 'a\tb"c\\d\n' >want
	cmp want out
}

@test "mmap: -j writes like -r, without newlines" {
	printf '%s\n' '{"s":"a b","n":1}' '{"s":"c","n":[2]}' >in
	mmap -j '.s, .n' in >out
	printf 'a b1c[2]' >want
	cmp want out
	mmap --join-output .s in >out
	printf 'a bc' >want
	cmp want out
}

@test "mmap: -c changes nothing: output is always compact" {
	printf '%s\n' '{ "a" : [ 1, 2 ] , "b" : { } }' '{"a":"x"}' >in
	mmap . in >plain
	mmap -c . in >compact
	mmap --compact-output . in >long
	cmp plain compact
	cmp plain long
	printf '%s\n' '{"a":[1,2],"b":{}}' '{"a":"x"}' >want
	cmp want plain
}

@test "mmap: --arg defines a string variable, --argjson a JSON one" {
	echo '{"a":1}' >in
	run mmap --arg region eu-west-1 --argjson max 2000 --argjson o '{"k":[1,"2"]}' \
		'. + {region: $region, max: $max, k: $o.k}' in
	assert_success
	assert_output '{"a":1,"region":"eu-west-1","max":2000,"k":[1,"2"]}'
	run mmap --arg n 5 --argjson big 100000000000000000001 '$n, $big' in
	assert_output '"5"
100000000000000000001'
}

@test "mmap: --arg keeps its value as it is, quotes and backslashes included" {
	run mmap --arg x 'é "q" \n' '$x' <<<'{}'
	assert_success
	assert_output '"é \"q\" \\n"'
}

@test "mmap: --arg and --argjson values may start with '-'" {
	run mmap --argjson n -1 --arg s -x '[$n, $s]' <<<'{}'
	assert_success
	assert_output '[-1,"-x"]'
}

@test "mmap: --argjson with invalid JSON is a usage error" {
	run mmap --argjson x '{bad' '$x' </dev/null
	assert_failure 2
	assert_output 'mmap: $x: invalid JSON at column 2: expected a string key'
	run mmap --argjson x '1 2' '$x' </dev/null
	assert_failure 2
	assert_output 'mmap: $x: invalid JSON at column 3: unexpected data after the value'
	run mmap --argjson x '' '$x' </dev/null
	assert_failure 2
	assert_output 'mmap: $x: invalid JSON at column 1: unexpected end of input'
}

@test "mmap: --arg and --argjson without a name and a value are usage errors" {
	run mmap --arg x
	assert_failure 2
	assert_output "mmap: --arg: needs a name and a value
$USAGE"
	run mmap --argjson
	assert_failure 2
	assert_output "mmap: option '--argjson' requires an argument
$USAGE"
}

@test "mmap: an undefined variable is reported at its column" {
	run mmap --arg a 1 '$a + $b' </dev/null
	assert_failure 2
	assert_output 'mmap: syntax error at column 6: $b is not defined
mmap:   $a + $b
mmap:        ^'
}

@test "mmap: -f reads the expression from a file, with comments; every operand is a file" {
	cat >prog.jq <<'EOF'
# the route of each request
{
  route: "\(.method) \(.path)",   # as one string
  slow: (.ms > 1000)
}
EOF
	echo '{"method":"GET","path":"/a","ms":5}' >f1
	echo '{"method":"POST","path":"/b","ms":1500}' >f2
	run mmap -f prog.jq f1 f2
	assert_success
	assert_output '{"route":"GET /a","slow":false}
{"route":"POST /b","slow":true}'
	run mmap --from-file=prog.jq <f1
	assert_output '{"route":"GET /a","slow":false}'
}

@test "mmap: -f with a file that cannot be read is a usage error" {
	run mmap -f nope.jq
	assert_failure 2
	assert_output 'mmap: nope.jq: No such file or directory'
	mkdir dir
	run mmap -f dir
	assert_failure 2
	assert_output 'mmap: dir: Is a directory'
}

@test "mmap: a syntax error in a program file is reported with its line and column" {
	printf '# comment\n{a: .a,\n b: (.b | )}\n' >prog.jq
	run mmap -f prog.jq </dev/null
	assert_failure 2
	assert_output "mmap: syntax error at line 3, column 11: unexpected ')'
mmap:    b: (.b | )}
mmap:             ^"
}

@test "mmap: --from=logfmt, with --infer, turns logfmt lines into JSON" {
	cat >app.log <<'EOF'
ts=2026-03-02T09:00:00Z level=error msg="upstream \"x\" timeout" ms=512 retry
x=01 y=-3 z=1.5e3 t=true n=null
EOF
	run mmap --from=logfmt . app.log
	assert_success
	assert_output '{"ts":"2026-03-02T09:00:00Z","level":"error","msg":"upstream \"x\" timeout","ms":"512","retry":true}
{"x":"01","y":"-3","z":"1.5e3","t":"true","n":"null"}'
	run mmap --from logfmt --infer . app.log
	assert_output '{"ts":"2026-03-02T09:00:00Z","level":"error","msg":"upstream \"x\" timeout","ms":512,"retry":true}
{"x":"01","y":-3,"z":1.5e3,"t":true,"n":null}'
}

@test "mmap: a logfmt line that does not parse is bad input" {
	printf '%s\n' 'a=1' '=2' 'b="open' 'c=3' >app.log
	run --separate-stderr mmap --from=logfmt --bad=dead .a,.c app.log
	assert_success
	assert_output '"1"
null
null
"3"'
	assert_equal "$stderr" "mmap: 2 bad input lines written to dead; first at app.log:2: logfmt: '=' without a key"
	printf '%s\n' '=2' 'b="open' >want
	cmp want dead
	run --separate-stderr mmap --from=logfmt --strict . app.log
	assert_failure 1
	assert_equal "$stderr" "mmap: app.log:2: logfmt: '=' without a key"
}

@test "mmap: --from=text sees each line as a string" {
	printf '%s\n' 'a "quoted" \ line' 'tab	here' >in
	run mmap --from=text . in
	assert_success
	assert_output '"a \"quoted\" \\ line"
"tab\there"'
}

@test "mmap: --from=regex: the named groups become fields, in the order of the pattern" {
	printf '%s\n' '203.0.113.7 - - [02/Mar/2026:09:00:01 +0000] "GET /api HTTP/1.1" 200 512' 'junk' >access.log
	run --separate-stderr mmap --infer \
		--from='regex:^(?<ip>\S+) \S+ \S+ \[(?<time>[^]]+)\] "(?<req>[^"]*)" (?<status>\d+)(?: (?<bytes>\d+))?(?<rest>.+)?' \
		. access.log
	assert_success
	assert_output '{"ip":"203.0.113.7","time":"02/Mar/2026:09:00:01 +0000","req":"GET /api HTTP/1.1","status":200,"bytes":512,"rest":null}'
	assert_equal "$stderr" 'mmap: 1 bad input line dropped; first at access.log:2: does not match the --from regex'
}

@test "mmap: an unknown --from format or a bad --from regex is a usage error" {
	run mmap --from=csv .
	assert_failure 2
	assert_output "mmap: --from: unknown format 'csv' (json, logfmt, text or regex:PATTERN)
$USAGE"
	run mmap --from='regex:a[' .
	assert_failure 2
	assert_output "mmap: --from: bad regex at offset 2: missing terminating ] for character class
$USAGE"
}

@test "mmap: --stats prints the record counts on stderr" {
	printf '%s\n' '{"a":[1,2]}' 'bad' '{"a":[]}' '{"a":3}' >in
	run --separate-stderr mmap --stats '.a[]' in
	assert_success
	assert_output '1
2'
	assert_equal "$stderr" 'mmap: 4 records: 2 outputs, 1 bad, 1 errors
mmap: 1 bad input line dropped; first at in:2: invalid JSON at column 1: unexpected character
mmap: 1 record raised an error; first at in:4: Cannot iterate over number (3)'
}

@test "mmap: -h prints the help and exits 0" {
	run mmap -h
	assert_success
	assert_line -n 0 'usage: mmap [-chjr] [-f file] [-m size] [--arg name value] [--argjson name json]'
	assert_output --partial '--argjson NAME JSON'
	run mmap --help
	assert_success
	assert_line -n 0 'usage: mmap [-chjr] [-f file] [-m size] [--arg name value] [--argjson name json]'
}

@test "mmap: no expression and unknown options are usage errors" {
	run mmap
	assert_failure 2
	assert_output "$USAGE"
	run mmap -x .
	assert_failure 2
	assert_output "mmap: invalid option -- 'x'
$USAGE"
	run mmap --bogus .
	assert_failure 2
	assert_output "mmap: unrecognized option '--bogus'
$USAGE"
}

@test "mmap: -m takes sizes with K, M and G; a bad size is a usage error" {
	for m in 0 x 257M 1G; do
		run mmap -m "$m" . </dev/null
		assert_failure 2
		assert_output "mmap: --max-record: bad size (1 to 256M): $m
$USAGE"
	done
	run mmap --max-record=1K .a <<<'{"a":1}'
	assert_success
	assert_output '1'
}

# --- expressions that do not compile -----------------------------------------

@test "mmap: a syntax error is reported with its column and a caret" {
	run mmap '.a | )' </dev/null
	assert_failure 2
	assert_output "mmap: syntax error at column 6: unexpected ')'
mmap:   .a | )
mmap:        ^"
}

@test "mmap: a jq construct the language lacks is named" {
	run mmap '[.[] | ..]' </dev/null
	assert_failure 2
	assert_output "mmap: syntax error at column 8: recursive descent (..) is outside the mstreams subset (see mstreams-expr(7))
mmap:   [.[] | ..]
mmap:          ^"
	run mmap 'label $out | 1' </dev/null
	assert_failure 2
	assert_line -n 0 "mmap: syntax error at column 1: 'label' is outside the mstreams subset (see mstreams-expr(7))"
}

@test "mmap: an unknown function is reported with its arity" {
	run mmap '{a: frob}' </dev/null
	assert_failure 2
	assert_output "mmap: syntax error at column 5: frob/0 is not defined
mmap:   {a: frob}
mmap:       ^"
}

@test "mmap: an expression nested too deeply is a syntax error, not a stack overflow" {
	for n in '[ ]' '( )' '{a: }' '"\\( )"' '- '; do
		set -- $n
		nested 100000 "$1" "${2-}" 1 >prog
		run mmap -f prog </dev/null
		assert_failure 2
		assert_line -n 0 --regexp '^mmap: syntax error at line 1, column [0-9]+: expression nested too deeply$'
	done
	nested 60 '[' ']' 1 >prog
	run mmap -c -f prog <<<'{}'
	assert_success
}

@test "mmap: a chain of more than 500 operations is a syntax error; a long ',' list is not" {
	awk 'BEGIN { printf "1"; for (i = 0; i < 100000; i++) printf " + 1"; print "" }' >prog
	run mmap -f prog </dev/null
	assert_failure 2
	assert_line -n 0 --regexp '^mmap: syntax error at line 1, column [0-9]+: expression too deep \(more than 500 operations within one another\)$'
	awk 'BEGIN { printf "1"; for (i = 0; i < 499; i++) printf " + 1"; print "" }' >prog
	run mmap -f prog <<<'{}'
	assert_success
	assert_output 500
	awk 'BEGIN { printf "[1"; for (i = 0; i < 100000; i++) printf ", 1"; print "] | length" }' >prog
	run mmap -f prog <<<'{}'
	assert_success
	assert_output 100001
}

@test "mmap: comparing or flattening a value nested deeper than 512 levels is an error" {
	run --separate-stderr mmap 'reduce range(100000) as $i (null; [.]) | . == .' <<<'{}'
	assert_success
	assert_output ''
	assert_equal "$stderr" 'mmap: 1 record raised an error; first at line 1: value nested too deeply to compare (more than 512 levels)'
	run --separate-stderr mmap 'reduce range(100000) as $i (null; [.]) | flatten' <<<'{}'
	assert_equal "$stderr" 'mmap: 1 record raised an error; first at line 1: value nested too deeply to flatten (more than 512 levels)'
	run --separate-stderr mmap 'reduce range(100000) as $i (null; {a: .}) | . * .' <<<'{}'
	assert_equal "$stderr" 'mmap: 1 record raised an error; first at line 1: value nested too deeply to merge (more than 512 levels)'
	run --separate-stderr mmap 'reduce range(100000) as $i (null; [.]) | inside(.)' <<<'{}'
	assert_equal "$stderr" 'mmap: 1 record raised an error; first at line 1: value nested too deeply to compare (more than 512 levels)'
	run mmap 'reduce range(500) as $i (null; [.]) | . == .' <<<'{}'
	assert_success
	assert_output true
}

@test "mmap: an evaluation that would take more than 256 MiB is an error for its record" {
	printf '%s\n' '{"n":1e9}' '{"n":3}' >in
	run --separate-stderr mmap -c '[range(.n)] | length' in
	assert_success
	assert_output 3
	assert_equal "$stderr" 'mmap: 1 record raised an error; first at in:1: out of memory (an evaluation may use 256 MiB)'
	run --separate-stderr mmap '"x" * 1e12' <<<'{}'
	assert_success
	assert_output ''
	assert_equal "$stderr" 'mmap: 1 record raised an error; first at line 1: string repetition too long'
}

# --- errors and bad input ----------------------------------------------------

@test "mmap: an error in the middle of a record keeps the outputs before it, and is counted" {
	printf '%s\n' '{"a":[1,"x",3]}' '{"a":[4]}' >in
	run --separate-stderr mmap '.a[] | . + 1' in
	assert_success
	assert_output '2
5'
	assert_equal "$stderr" 'mmap: 1 record raised an error; first at in:1: string ("x") and number (1) cannot be added'
}

@test "mmap: records that raise errors are reported in the plural" {
	printf '%s\n' '{"a":"x"}' '{"a":1}' '{"a":"y"}' >in
	run --separate-stderr mmap '.a + 1' in
	assert_success
	assert_output '2'
	assert_equal "$stderr" 'mmap: 2 records raised errors; first at in:1: string ("x") and number (1) cannot be added'
}

@test "mmap: --bad writes the bad lines and the records in error, as read" {
	printf '{"a":[1,"x"]}\n{"a":\n{"a":[2]}\r\nnope\r\n' >in
	run --separate-stderr mmap --bad=dead '.a[] | . - 1' in
	assert_success
	assert_output '0
1'
	assert_equal "$stderr" 'mmap: 2 bad input lines written to dead; first at in:2: invalid JSON at column 6: unexpected end of input
mmap: 1 record raised an error, written to dead; first at in:1: string ("x") and number (1) cannot be subtracted'
	printf '%s\n' '{"a":[1,"x"]}' '{"a":' 'nope' >want
	cmp want dead
}

@test "mmap: --strict stops at the first bad line, naming its line" {
	printf '%s\n' '{"a":1}' '{"a":2}' '[1,]' '{"a":4}' >in
	run --separate-stderr mmap --strict .a <in
	assert_failure 1
	assert_output '1
2'
	assert_equal "$stderr" 'mmap: line 3: invalid JSON at column 4: unexpected character'
	run --separate-stderr mmap --strict .a in
	assert_failure 1
	assert_equal "$stderr" 'mmap: in:3: invalid JSON at column 4: unexpected character'
}

@test "mmap: --strict stops at an error in the middle of a record, after its earlier outputs" {
	printf '%s\n' '{"a":[0]}' '{"a":[1,"x",3]}' '{"a":[4]}' >in
	run --separate-stderr mmap --strict '.a[] | . + 1' in
	assert_failure 1
	assert_output '1
2'
	assert_equal "$stderr" 'mmap: in:2: string ("x") and number (1) cannot be added'
}

@test "mmap: empty input writes nothing and exits 0" {
	: >empty
	run --separate-stderr mmap . empty
	assert_success
	assert_output ''
	assert_equal "$stderr" ''
}

@test "mmap: blank lines are skipped and not counted, but count in the line numbers" {
	printf '\n \t\n{"a":1}\n\r\n[\n' >in
	run --separate-stderr mmap --stats .a in
	assert_success
	assert_output '1'
	assert_equal "$stderr" 'mmap: 2 records: 1 outputs, 1 bad, 0 errors
mmap: 1 bad input line dropped; first at in:5: invalid JSON at column 2: unexpected end of input'
}

@test "mmap: CRLF lines are read without their CR; output ends in LF" {
	printf '{"a":"x"}\r\n{"a":2}\r\n' >in
	mmap .a in >out
	printf '"x"\n2\n' >want
	cmp want out
	printf 'a b\r\n' | mmap --from=text . >out
	printf '"a b"\n' >want
	cmp want out
}

@test "mmap: a last line without a newline is read" {
	printf '{"a":1}\n{"a":2}' >in
	mmap .a in >out
	printf '1\n2\n' >want
	cmp want out
}

@test "mmap: a NUL byte makes a line bad, at its column" {
	printf '{"a":1}\n{"a":"\0"}\n' >in
	run --separate-stderr mmap .a in
	assert_success
	assert_output '1'
	assert_equal "$stderr" 'mmap: 1 bad input line dropped; first at in:2: NUL byte at column 7'
}

@test "mmap: invalid UTF-8 makes a line bad, at its column" {
	printf '{"a":"\xe9t\xe9"}\n{"a":2}\n' >in
	run --separate-stderr mmap --strict .a in
	assert_failure 1
	assert_output ''
	assert_equal "$stderr" 'mmap: in:1: invalid UTF-8 at column 7'
	run --separate-stderr mmap .a in
	assert_success
	assert_output '2'
}

@test "mmap: a line longer than --max-record is bad, and the lines after it are read" {
	{ echo '{"a":1}'; long_line 10000000; echo '{"a":2}'; } >in
	run --separate-stderr mmap .a in
	assert_success
	assert_output '1
2'
	assert_equal "$stderr" 'mmap: 1 bad input line dropped; first at in:2: longer than --max-record (1048576 bytes)'
	run --separate-stderr mmap -m 16M '.big // empty | length' in
	assert_success
	assert_output '10000000'
	assert_equal "$stderr" ''
}

@test "mmap: deep nesting is bad input, without a crash; 512 levels are read" {
	{ head -c 100000 /dev/zero | tr '\0' '['; echo; echo '{"a":1}'; } >in
	run --separate-stderr mmap .a in
	assert_success
	assert_output '1'
	assert_equal "$stderr" 'mmap: 1 bad input line dropped; first at in:1: invalid JSON at column 513: nested too deeply'
	nested 512 '[' ']' 7 >in
	mmap . in >out
	cmp in out
}

@test "mmap: an output deeper than 512 levels is an error, never a line nothing can read" {
	nested 512 '[' ']' 7 >in
	run --separate-stderr mmap '[.]' in
	assert_success
	assert_output ''
	assert_equal "$stderr" 'mmap: 1 record raised an error; first at in:1: value nested too deeply to print'
	nested 511 '[' ']' 7 >in
	mmap -c '[.]' in >out
	mfilter -c true out >count
	assert_equal "$(cat count)" '1'
}

# --- output ------------------------------------------------------------------

@test "mmap: an output is written while the input is still open" {
	mkfifo fifo
	exec 7<>fifo
	mmap .a fifo >out 7>&- &
	pid=$!
	echo '{"a":1}' >&7
	wait_for lines_in out 1
	assert_equal "$(cat out)" '1'
	echo '{"a":2}' >&7
	exec 7>&-
	wait "$pid"
	assert_equal "$(cat out)" '1
2'
}

@test "mmap: ends quietly when the reader of its output exits" {
	awk 'BEGIN { for (i = 0; i < 200000; i++) printf "{\"i\":%d}\n", i }' >big
	run bash -c 'mmap .i big | head -n 1'
	assert_success
	assert_output '0'
}

@test "mmap: a failed write to stdout is an error" {
	echo '{"a":1}' >in
	run sh -c 'mmap . in >/dev/full'
	assert_failure 1
	assert_output 'mmap: stdout: No space left on device'
}

@test "mmap: a file that cannot be read is an error; the records before and after it are read" {
	echo '{"a":1}' >f1
	echo '{"a":2}' >f2
	run --separate-stderr mmap .a f1 nope f2
	assert_failure 1
	assert_output '1
2'
	assert_equal "$stderr" 'mmap: nope: No such file or directory'
}

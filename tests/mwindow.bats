#!/usr/bin/env bats
# mwindow: every window kind and its boundaries, stream time, grace and late
# records, emit modes, idle and processing-time closing, signals, clock-skew
# correction, every aggregate, names, keys, row order, time representations,
# bad input, --max-groups and the usage errors.  Every expected row is
# worked out by hand from mwindow(1).

load test_helper
bats_require_minimum_version 1.5.0

# The SYNOPSIS of mwindow(1), wrapped as mwindow wraps it.
USAGE='usage: mwindow --tumbling size | --hopping size --every advance | --session gap |
               --rows n [-a agg[,agg]...]... [--by expr[,expr]...]
               [--time expr | --processing-time | --skew occurred,sent,received]
               [--time-unit unit] [--time-format format] [--align offset]
               [--grace duration] [--late=file] [--emit close | update]
               [--idle duration] [--max-groups n] [--max-groups-evict] [--exact]
               [-m size] [--bad=file] [--from=format] [--infer] [--stats]
               [--strict] [file ...]'

# A background job of a shell without job control starts with SIGINT
# ignored; this puts it back to its default before running the command.
SIGINT_DEFAULT=(perl -e '$SIG{INT} = "DEFAULT"; exec { $ARGV[0] } @ARGV or die "$ARGV[0]: $!\n"' --)

# ms TIME: an RFC 3339 time as milliseconds since the epoch.
ms() {
	date -u -d "$1" +%s%3N
}

# --- tumbling windows --------------------------------------------------------

@test "mwindow: tumbling windows count the records of each fixed window" {
	printf '%s\n' '{"t":1}' '{"t":5}' '{"t":9}' '{"t":12}' '{"t":35}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"count":3}
{"window_start":10,"window_end":20,"count":1}
{"window_start":30,"window_end":40,"count":1}'
	assert_equal "$stderr" ''
}

@test "mwindow: a record exactly at a window's end belongs to the next window" {
	printf '%s\n' '{"t":0}' '{"t":9.999999}' '{"t":10}' '{"t":20}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"count":2}
{"window_start":10,"window_end":20,"count":1}
{"window_start":20,"window_end":30,"count":1}'
	assert_equal "$stderr" ''
}

@test "mwindow: a window's row is written when it closes, while the input is still open" {
	mkfifo fifo
	exec 7<>fifo
	mwindow --tumbling 10s --time .t fifo >out 3>&- 7>&- &
	pid=$!
	printf '%s\n' '{"t":5}' '{"t":6}' '{"t":15}' >&7
	wait_for lines_in out 1
	assert_equal "$(cat out)" '{"window_start":0,"window_end":10,"count":2}'
	exec 7>&-
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 0
	assert_equal "$(cat out)" '{"window_start":0,"window_end":10,"count":2}
{"window_start":10,"window_end":20,"count":1}'
}

@test "mwindow: at the end of the input every open window is written, in window order" {
	printf '%s\n' '{"t":25}' '{"t":5}' '{"t":15}' '{"t":26}' >in
	run --separate-stderr mwindow --tumbling 10s --grace 1h --time .t in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"count":1}
{"window_start":10,"window_end":20,"count":1}
{"window_start":20,"window_end":30,"count":2}'
	assert_equal "$stderr" ''
}

@test "mwindow: empty input writes nothing and exits 0" {
	: >empty
	run --separate-stderr mwindow --tumbling 10s --time .t empty
	assert_success
	assert_output ''
	assert_equal "$stderr" ''
}

@test "mwindow: reads standard input when there is no file, and the files in turn; - is standard input" {
	echo '{"t":1}' >f1
	echo '{"t":13}' >f3
	run mwindow --tumbling 10s --time .t <f1
	assert_success
	assert_output '{"window_start":0,"window_end":10,"count":1}'
	run --separate-stderr mwindow --tumbling 10s --time .t f1 - f3 <<<'{"t":3}'
	assert_success
	assert_output '{"window_start":0,"window_end":10,"count":2}
{"window_start":10,"window_end":20,"count":1}'
	assert_equal "$stderr" ''
}

@test "mwindow: windows before the epoch are aligned the same way" {
	printf '%s\n' '{"t":-10}' '{"t":-5}' '{"t":0}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t in
	assert_success
	assert_output '{"window_start":-10,"window_end":0,"count":2}
{"window_start":0,"window_end":10,"count":1}'
	assert_equal "$stderr" ''
}

# --- hopping windows ---------------------------------------------------------

@test "mwindow: a hopping record counts in every window that covers it" {
	printf '%s\n' '{"t":17}' '{"t":22}' >in
	run --separate-stderr mwindow --hopping 10s --every 5s --time .t in
	assert_success
	assert_output '{"window_start":10,"window_end":20,"count":1}
{"window_start":15,"window_end":25,"count":2}
{"window_start":20,"window_end":30,"count":1}'
	assert_equal "$stderr" ''
}

@test "mwindow: hopping windows whose advance does not divide the size start at multiples of the advance" {
	echo '{"t":21}' >in
	run mwindow --hopping 10s --every 4s --time .t in
	assert_success
	assert_output '{"window_start":12,"window_end":22,"count":1}
{"window_start":16,"window_end":26,"count":1}
{"window_start":20,"window_end":30,"count":1}'
}

@test "mwindow: a hopping record exactly at a window's end is only in the windows that start at or before it" {
	echo '{"t":20}' >in
	run mwindow --hopping 10s --every 5s --time .t in
	assert_success
	assert_output '{"window_start":15,"window_end":25,"count":1}
{"window_start":20,"window_end":30,"count":1}'
}

@test "mwindow: --align shifts hopping windows too" {
	echo '{"t":21}' >in
	run mwindow --hopping 10s --every 4s --align 1s --time .t in
	assert_success
	assert_output '{"window_start":13,"window_end":23,"count":1}
{"window_start":17,"window_end":27,"count":1}
{"window_start":21,"window_end":31,"count":1}'
	run mwindow --hopping 10s --every 4s --align -1s --time .t in
	assert_success
	assert_output '{"window_start":15,"window_end":25,"count":1}
{"window_start":19,"window_end":29,"count":1}'
}

# --- session windows ---------------------------------------------------------

@test "mwindow: a session spans records at most the gap apart, exactly the gap included" {
	printf '%s\n' '{"t":100}' '{"t":105}' '{"t":115}' '{"t":130}' >in
	run --separate-stderr mwindow --session 10s --time .t in
	assert_success
	assert_output '{"window_start":100,"window_end":125,"count":3}
{"window_start":130,"window_end":140,"count":1}'
	assert_equal "$stderr" ''
}

@test "mwindow: sessions are kept per group" {
	printf '%s\n' '{"t":100,"u":"a"}' '{"t":104,"u":"b"}' '{"t":108,"u":"a"}' \
		'{"t":116,"u":"b"}' >in
	run mwindow --session 10s --time .t --by .u in
	assert_success
	assert_output '{"window_start":104,"window_end":114,"u":"b","count":1}
{"window_start":100,"window_end":118,"u":"a","count":2}
{"window_start":116,"window_end":126,"u":"b","count":1}'
}

@test "mwindow: a session is still open when stream time equals its end" {
	printf '%s\n' '{"t":100,"u":"a"}' '{"t":110,"u":"b"}' '{"t":110,"u":"a"}' >in
	run mwindow --session 10s --time .t --by .u in
	assert_success
	assert_output '{"window_start":100,"window_end":120,"u":"a","count":2}
{"window_start":110,"window_end":120,"u":"b","count":1}'
}

@test "mwindow: a record within the gap of two sessions merges them" {
	printf '%s\n' '{"t":100}' '{"t":120}' '{"t":110}' >in
	run --separate-stderr mwindow --session 10s --grace 30s --time .t -a count,min:.t,max:.t in
	assert_success
	assert_output '{"window_start":100,"window_end":130,"count":3,"min_t":100,"max_t":120}'
	assert_equal "$stderr" ''
}

@test "mwindow: a session runs from its earliest to its latest record plus the gap, whatever the order read" {
	printf '%s\n' '{"t":100}' '{"t":108}' '{"t":92}' '{"t":104}' >in
	run --separate-stderr mwindow --session 10s --grace 1m --time .t in
	assert_success
	assert_output '{"window_start":92,"window_end":118,"count":4}'
	assert_equal "$stderr" ''
}

@test "mwindow: the aggregates of merged sessions are combined" {
	printf '%s\n' '{"t":100,"v":5,"id":"a"}' '{"t":120,"v":1,"id":"c"}' '{"t":121,"v":1,"id":"d"}' \
		'{"t":110,"v":3,"id":"b"}' >in
	run --separate-stderr mwindow --session 10s --grace 1m --time .t \
		-a count,sum:.v,min:.v,p50:.v,distinct:.v,top:1:.v=top,first:.id,last:.id in
	assert_success
	assert_output '{"window_start":100,"window_end":131,"count":4,"sum_v":10,"min_v":1,"p50_v":1,"distinct_v":3,"top":[{"value":1,"count":2}],"first_id":"a","last_id":"d"}'
	assert_equal "$stderr" ''
}

@test "mwindow: a record for a session that has closed is late" {
	printf '%s\n' '{"t":100}' '{"t":200}' '{"t":105}' '{"t":150}' '{"t":190}' >in
	run --separate-stderr mwindow --session 10s --time .t in
	assert_success
	assert_output '{"window_start":100,"window_end":110,"count":1}
{"window_start":190,"window_end":210,"count":2}'
	assert_equal "$stderr" 'mwindow: 2 late records; first at in:3'
}

# --- count windows -----------------------------------------------------------

@test "mwindow: --rows writes one row per record over the trailing records of its group" {
	printf '%s\n' '{"k":"a","v":1}' '{"k":"b","v":10}' '{"k":"a","v":2}' \
		'{"k":"a","v":3}' '{"k":"b","v":20}' >in
	run --separate-stderr mwindow --rows 2 --by .k -a count,sum:.v in
	assert_success
	assert_output '{"k":"a","count":1,"sum_v":1}
{"k":"b","count":1,"sum_v":10}
{"k":"a","count":2,"sum_v":3}
{"k":"a","count":2,"sum_v":5}
{"k":"b","count":2,"sum_v":30}'
	assert_equal "$stderr" ''
}

@test "mwindow: --rows with --time gives the earliest and latest time of the rows" {
	printf '%s\n' '{"t":5,"v":1}' '{"t":7,"v":2}' '{"t":6,"v":3}' '{"t":4,"v":4}' >in
	run --separate-stderr mwindow --rows 2 --time .t -a sum:.v in
	assert_success
	assert_output '{"window_start":5,"window_end":5,"sum_v":1}
{"window_start":5,"window_end":7,"sum_v":3}
{"window_start":6,"window_end":7,"sum_v":5}
{"window_start":4,"window_end":6,"sum_v":7}'
	assert_equal "$stderr" ''
}

@test "mwindow: a --rows row is written at once, while the input is still open" {
	mkfifo fifo
	exec 7<>fifo
	mwindow --rows 3 fifo >out 3>&- 7>&- &
	pid=$!
	printf '%s\n' '{"a":1}' '{"a":2}' >&7
	wait_for lines_in out 2
	assert_equal "$(cat out)" '{"count":1}
{"count":2}'
	exec 7>&-
	wait "$pid"
}

# --- alignment and durations -------------------------------------------------

@test "mwindow: --align shifts the window boundaries" {
	printf '%s\n' '{"t":102}' '{"t":103}' '{"t":112}' '{"t":113}' >in
	run --separate-stderr mwindow --tumbling 10s --align 3s --time .t in
	assert_success
	assert_output '{"window_start":93,"window_end":103,"count":1}
{"window_start":103,"window_end":113,"count":2}
{"window_start":113,"window_end":123,"count":1}'
	assert_equal "$stderr" ''
}

@test "mwindow: a negative --align gives days that start at 22:00 UTC" {
	printf '%s\n' '{"ts":"2026-03-02T21:59:59Z"}' '{"ts":"2026-03-02T22:00:00Z"}' >in
	run --separate-stderr mwindow --tumbling 1d --align -2h --time .ts in
	assert_success
	assert_output '{"window_start":"2026-03-01T22:00:00Z","window_end":"2026-03-02T22:00:00Z","count":1}
{"window_start":"2026-03-02T22:00:00Z","window_end":"2026-03-03T22:00:00Z","count":1}'
	assert_equal "$stderr" ''
	run mwindow --tumbling 10s --align=-3s --time .t <<<'{"t":106}'
	assert_success
	assert_output '{"window_start":97,"window_end":107,"count":1}'
}

@test "mwindow: a bare number is seconds, and durations take us, ms, s, m, h, d and w" {
	run mwindow --tumbling 90 --time .t <<<'{"t":100}'
	assert_success
	assert_output '{"window_start":90,"window_end":180,"count":1}'
	run mwindow --tumbling 1500ms --time .t <<<'{"t":2}'
	assert_output '{"window_start":1.5,"window_end":3,"count":1}'
	run mwindow --tumbling 250000us --time .t <<<'{"t":2.3}'
	assert_output '{"window_start":2.25,"window_end":2.5,"count":1}'
	run mwindow --tumbling 2m --time .t <<<'{"t":250}'
	assert_output '{"window_start":240,"window_end":360,"count":1}'
	run mwindow --tumbling 1h --time .t <<<'{"t":7300}'
	assert_output '{"window_start":7200,"window_end":10800,"count":1}'
	run mwindow --tumbling 1d --time .t <<<'{"t":1772442000}'
	assert_output '{"window_start":1772409600,"window_end":1772496000,"count":1}'
}

@test "mwindow: week windows are aligned to the epoch, so they start on Thursdays" {
	echo '{"ts":"2026-03-02T09:00:00Z"}' >in
	run mwindow --tumbling 1w --time .ts in
	assert_success
	assert_output '{"window_start":"2026-02-26T00:00:00Z","window_end":"2026-03-05T00:00:00Z","count":1}'
}

# --- stream time, grace and late records -------------------------------------

@test "mwindow: a window closes when stream time reaches its end; a record for it after that is late" {
	printf '%s\n' '{"t":5}' '{"t":10}' '{"t":9}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"count":1}
{"window_start":10,"window_end":20,"count":1}'
	assert_equal "$stderr" 'mwindow: 1 late record; first at in:3'
}

@test "mwindow: --grace keeps a window open until stream time reaches its end plus the grace" {
	printf '%s\n' '{"t":5}' '{"t":14}' '{"t":8}' '{"t":15}' '{"t":9}' >in
	run --separate-stderr mwindow --tumbling 10s --grace 5s --time .t in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"count":2}
{"window_start":10,"window_end":20,"count":2}'
	assert_equal "$stderr" 'mwindow: 1 late record; first at in:5'
}

@test "mwindow: late records are counted on stderr in the plural" {
	printf '%s\n' '{"t":50}' '{"t":1}' '{"t":2}' '{"t":3}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t in
	assert_success
	assert_output '{"window_start":50,"window_end":60,"count":1}'
	assert_equal "$stderr" 'mwindow: 3 late records; first at in:2'
}

@test "mwindow: --late writes the late records as they were read" {
	printf '%s\n' '{"t":5}' '{"t":15}' '{ "t" : 3, "x":[1, 2] }' '{"t":16}' '{"t":9.5}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t --late=late.jsonl in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"count":1}
{"window_start":10,"window_end":20,"count":2}'
	assert_equal "$stderr" 'mwindow: 2 late records, written to late.jsonl; first at in:3'
	printf '%s\n' '{ "t" : 3, "x":[1, 2] }' '{"t":9.5}' >want
	cmp want late.jsonl
}

@test "mwindow: --late appends to the file, and leaves it alone when nothing is late" {
	echo 'before' >late
	printf '%s\n' '{"t":15}' '{"t":1}' >in
	run mwindow --tumbling 10s --time .t --late=late in
	assert_success
	printf '%s\n' before '{"t":1}' >want
	cmp want late
	echo '{"t":1}' >good
	run --separate-stderr mwindow --tumbling 10s --time .t --late=new good
	assert_success
	assert_equal "$stderr" ''
	[ ! -s new ]
}

@test "mwindow: a --late file that cannot be opened is an error" {
	run --separate-stderr mwindow --tumbling 10s --time .t --late=nodir/late </dev/null
	assert_failure 1
	assert_output ''
	assert_equal "$stderr" 'mwindow: nodir/late: No such file or directory'
}

@test "mwindow: a hopping record late for some windows counts in the open ones and is late once" {
	printf '%s\n' '{"t":12}' '{"t":17}' '{"t":13}' '{"t":4}' >in
	run --separate-stderr mwindow --hopping 10s --every 5s --time .t --late=late in
	assert_success
	assert_output '{"window_start":5,"window_end":15,"count":1}
{"window_start":10,"window_end":20,"count":3}
{"window_start":15,"window_end":25,"count":1}'
	assert_equal "$stderr" 'mwindow: 2 late records, written to late; first at in:3'
	printf '%s\n' '{"t":13}' '{"t":4}' >want
	cmp want late
}

# --- emit modes --------------------------------------------------------------

@test "mwindow: --emit close writes one final row per window and group" {
	printf '%s\n' '{"t":1,"v":1}' '{"t":2,"v":2}' '{"t":12,"v":5}' >in
	run mwindow --tumbling 10s --time .t --emit close -a count,sum:.v in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"count":2,"sum_v":3}
{"window_start":10,"window_end":20,"count":1,"sum_v":5}'
}

# A record's time moves stream time on first: the windows it closes are
# written before its own update row.
@test "mwindow: --emit update writes a row after every record, then the final row when the window closes" {
	printf '%s\n' '{"t":1,"v":1}' '{"t":2,"v":2}' '{"t":12,"v":5}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t --emit update -a count,sum:.v in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"count":1,"sum_v":1,"final":false}
{"window_start":0,"window_end":10,"count":2,"sum_v":3,"final":false}
{"window_start":0,"window_end":10,"count":2,"sum_v":3,"final":true}
{"window_start":10,"window_end":20,"count":1,"sum_v":5,"final":false}
{"window_start":10,"window_end":20,"count":1,"sum_v":5,"final":true}'
	assert_equal "$stderr" ''
}

@test "mwindow: --emit update follows the input across groups, and writes no row for a late record" {
	printf '%s\n' '{"t":1,"k":"b"}' '{"t":2,"k":"a"}' '{"t":10,"k":"a"}' '{"t":3,"k":"b"}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t --by .k --emit update in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"k":"b","count":1,"final":false}
{"window_start":0,"window_end":10,"k":"a","count":1,"final":false}
{"window_start":0,"window_end":10,"k":"a","count":1,"final":true}
{"window_start":0,"window_end":10,"k":"b","count":1,"final":true}
{"window_start":10,"window_end":20,"k":"a","count":1,"final":false}
{"window_start":10,"window_end":20,"k":"a","count":1,"final":true}'
	assert_equal "$stderr" 'mwindow: 1 late record; first at in:4'
}

@test "mwindow: an unknown --emit mode is a usage error" {
	run --separate-stderr mwindow --tumbling 10s --time .t --emit always </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" "mwindow: --emit: 'always' is not close or update"
}

# --- idle, processing time, signals ------------------------------------------

@test "mwindow: --idle closes windows by the wall clock while the input stays open and quiet" {
	mkfifo fifo
	exec 7<>fifo
	mwindow --tumbling 1s --time .t --idle 100ms fifo >out 2>err 3>&- 7>&- &
	pid=$!
	echo '{"t":100.5}' >&7
	wait_for lines_in out 1
	assert_equal "$(cat out)" '{"window_start":100,"window_end":101,"count":1}'
	# stream time moved past 101: a record for [100, 101) is now late
	printf '%s\n' '{"t":100.9}' '{"t":300.5}' >&7
	exec 7>&-
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 0
	assert_equal "$(cat out)" '{"window_start":100,"window_end":101,"count":1}
{"window_start":300,"window_end":301,"count":1}'
	assert_equal "$(cat err)" 'mwindow: 1 late record; first at fifo:2'
}

@test "mwindow: --processing-time closes a window on a timer with no further input" {
	mkfifo fifo
	exec 7<>fifo
	mwindow --tumbling 200ms --processing-time fifo >out 3>&- 7>&- &
	pid=$!
	echo '{"a":1}' >&7
	wait_for lines_in out 1
	iso='"20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9](\.[02468]00)?Z"'
	run cat out
	assert_output --regexp "^\{\"window_start\":$iso,\"window_end\":$iso,\"count\":1\}\$"
	start=$(sed 's/^{"window_start":"\([^"]*\)".*/\1/' out)
	end=$(sed 's/.*"window_end":"\([^"]*\)".*/\1/' out)
	assert_equal "$(($(ms "$end") - $(ms "$start")))" 200
	exec 7>&-
	wait "$pid"
}

@test "mwindow: SIGTERM writes the open windows and exits 0" {
	mkfifo fifo
	exec 7<>fifo
	mwindow --tumbling 10s --time .t fifo >out 2>err 3>&- 7>&- &
	pid=$!
	printf '%s\n' '{"t":5}' '{"t":15}' >&7
	wait_for lines_in out 1
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	exec 7>&-
	assert_equal "$rc" 0
	assert_equal "$(cat out)" '{"window_start":0,"window_end":10,"count":1}
{"window_start":10,"window_end":20,"count":1}'
	assert_equal "$(cat err)" ''
}

@test "mwindow: SIGINT writes the open windows and exits 0" {
	mkfifo fifo
	exec 7<>fifo
	"${SIGINT_DEFAULT[@]}" mwindow --tumbling 10s --time .t --by .k fifo >out 2>err 3>&- 7>&- &
	pid=$!
	printf '%s\n' '{"t":5,"k":"a"}' '{"t":16,"k":"b"}' '{"t":12,"k":"a"}' '{"t":25,"k":"a"}' >&7
	wait_for lines_in out 3
	kill -INT "$pid"
	rc=0
	wait "$pid" || rc=$?
	exec 7>&-
	assert_equal "$rc" 0
	assert_equal "$(cat out)" '{"window_start":0,"window_end":10,"k":"a","count":1}
{"window_start":10,"window_end":20,"k":"a","count":1}
{"window_start":10,"window_end":20,"k":"b","count":1}
{"window_start":20,"window_end":30,"k":"a","count":1}'
	assert_equal "$(cat err)" ''
}

# --- clock-skew correction ---------------------------------------------------

@test "mwindow: --skew uses received - (sent - occurred) as the event time" {
	printf '%s\n' '{"o":100,"s":105,"r":112}' '{"o":1000,"s":1003,"r":115}' >in
	run --separate-stderr mwindow --tumbling 10s --skew .o,.s,.r in
	assert_success
	assert_output '{"window_start":100,"window_end":110,"count":1}
{"window_start":110,"window_end":120,"count":1}'
	assert_equal "$stderr" ''
}

@test "mwindow: --skew falls back to received when occurred or sent is missing or null, or sent is before occurred" {
	printf '%s\n' '{"s":95,"r":111}' '{"o":null,"s":95,"r":112}' \
		'{"o":96,"s":95,"r":113}' '{"o":90,"r":115}' '{"o":90,"s":105,"r":131}' >in
	run --separate-stderr mwindow --tumbling 1s --skew .o,.s,.r in
	assert_success
	assert_output '{"window_start":111,"window_end":112,"count":1}
{"window_start":112,"window_end":113,"count":1}
{"window_start":113,"window_end":114,"count":1}
{"window_start":115,"window_end":116,"count":1}
{"window_start":116,"window_end":117,"count":1}'
	assert_equal "$stderr" ''
}

@test "mwindow: with --skew a record without received is bad input" {
	printf '%s\n' '{"o":100,"s":105,"r":112}' '{"o":100,"s":105}' '{"o":1,"s":2,"r":null}' >in
	run --separate-stderr mwindow --tumbling 10s --skew .o,.s,.r in
	assert_success
	assert_output '{"window_start":100,"window_end":110,"count":1}'
	assert_equal "$stderr" 'mwindow: 2 bad input lines dropped; first at in:2: missing time (.r)'
}

@test "mwindow: --skew reads RFC 3339 strings and epoch numbers, and writes what received is" {
	printf '%s\n' '{"o":"2026-03-02T09:00:00Z","s":"2026-03-02T09:00:05Z","r":"2026-03-02T09:01:02Z"}' \
		'{"o":1772442000000,"s":1772442005000,"r":"2026-03-02T09:01:03Z"}' >in
	run --separate-stderr mwindow --tumbling 1m --skew .o,.s,.r in
	assert_success
	assert_output '{"window_start":"2026-03-02T09:00:00Z","window_end":"2026-03-02T09:01:00Z","count":2}'
	assert_equal "$stderr" ''
}

# --- aggregates --------------------------------------------------------------

@test "mwindow: without -a the aggregate is count, and -a may be repeated" {
	printf '%s\n' '{"t":1,"v":2}' '{"t":2,"v":3}' >in
	run mwindow --tumbling 10s --time .t in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"count":2}'
	run mwindow --tumbling 10s --time .t -a sum:.v -a count --agg max:.v in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"sum_v":5,"count":2,"max_v":3}'
}

@test "mwindow: sum adds the numbers and leaves out null and missing values; 0 without values" {
	printf '%s\n' '{"t":1,"g":"a","v":1}' '{"t":1,"g":"a","v":2.5}' '{"t":1,"g":"a","v":null}' \
		'{"t":1,"g":"a"}' '{"t":1,"g":"a","v":-0.5}' '{"t":1,"g":"b"}' \
		'{"t":1,"g":"c","v":100}' '{"t":1,"g":"c","v":200}' '{"t":1,"g":"d","v":0.25}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t --by .g -a count,sum:.v in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"g":"a","count":5,"sum_v":3}
{"window_start":0,"window_end":10,"g":"b","count":1,"sum_v":0}
{"window_start":0,"window_end":10,"g":"c","count":2,"sum_v":300}
{"window_start":0,"window_end":10,"g":"d","count":1,"sum_v":0.25}'
	assert_equal "$stderr" ''
}

@test "mwindow: min and max follow jq's order: numbers by value, strings by code point, numbers before strings" {
	printf '%s\n' '{"t":1,"g":"n","v":3}' '{"t":1,"g":"n","v":-1}' '{"t":1,"g":"n","v":10}' \
		'{"t":1,"g":"n","v":null}' '{"t":1,"g":"n","v":2.5}' \
		'{"t":1,"g":"s","v":"b"}' '{"t":1,"g":"s","v":"a"}' '{"t":1,"g":"s","v":"B"}' \
		'{"t":1,"g":"s","v":"é"}' '{"t":1,"g":"s","v":"ab"}' \
		'{"t":1,"g":"m","v":5}' '{"t":1,"g":"m","v":"a"}' '{"t":1,"g":"m","v":-3}' \
		'{"t":1,"g":"e","v":null}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t --by .g -a min:.v,max:.v in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"g":"e","min_v":null,"max_v":null}
{"window_start":0,"window_end":10,"g":"m","min_v":-3,"max_v":"a"}
{"window_start":0,"window_end":10,"g":"n","min_v":-1,"max_v":10}
{"window_start":0,"window_end":10,"g":"s","min_v":"B","max_v":"é"}'
	assert_equal "$stderr" ''
}

@test "mwindow: avg is the mean of the values, null without values" {
	printf '%s\n' '{"t":1,"g":"a","v":1}' '{"t":1,"g":"a","v":2}' '{"t":1,"g":"a","v":4}' \
		'{"t":1,"g":"b","v":1}' '{"t":1,"g":"b","v":2}' '{"t":1,"g":"b","v":null}' \
		'{"t":1,"g":"c","v":null}' '{"t":1,"g":"d","v":-1}' '{"t":1,"g":"d","v":1}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t --by .g -a avg:.v in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"g":"a","avg_v":2.3333333333333335}
{"window_start":0,"window_end":10,"g":"b","avg_v":1.5}
{"window_start":0,"window_end":10,"g":"c","avg_v":null}
{"window_start":0,"window_end":10,"g":"d","avg_v":0}'
	assert_equal "$stderr" ''
}

@test "mwindow: stddev is the sample standard deviation, null for fewer than two values" {
	printf '%s\n' '{"t":1,"g":"a","v":2}' '{"t":1,"g":"a","v":4}' '{"t":1,"g":"a","v":6}' \
		'{"t":1,"g":"b","v":1}' '{"t":1,"g":"b","v":2}' \
		'{"t":1,"g":"c","v":5}' '{"t":1,"g":"c","v":null}' \
		'{"t":1,"g":"d","v":3}' '{"t":1,"g":"d","v":3}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t --by .g -a stddev:.v in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"g":"a","stddev_v":2}
{"window_start":0,"window_end":10,"g":"b","stddev_v":0.7071067811865476}
{"window_start":0,"window_end":10,"g":"c","stddev_v":null}
{"window_start":0,"window_end":10,"g":"d","stddev_v":0}'
	assert_equal "$stderr" ''
}

@test "mwindow: pNN is the value at rank ceil(NN/100 n); p0 is the smallest, p100 the largest" {
	for v in 7 3 10 1 5 9 2 8 6 4; do echo "{\"t\":1,\"g\":\"a\",\"v\":$v}"; done >in
	printf '%s\n' '{"t":1,"g":"b","v":4}' '{"t":1,"g":"b","v":2}' '{"t":1,"g":"b","v":null}' >>in
	run --separate-stderr mwindow --tumbling 10s --time .t --by .g \
		-a p0:.v,p10:.v,p25:.v,p50:.v,p51:.v,p70:.v,p90:.v,p99:.v,p99.9:.v=p999,p100:.v in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"g":"a","p0_v":1,"p10_v":1,"p25_v":3,"p50_v":5,"p51_v":6,"p70_v":7,"p90_v":9,"p99_v":10,"p999":10,"p100_v":10}
{"window_start":0,"window_end":10,"g":"b","p0_v":2,"p10_v":2,"p25_v":2,"p50_v":2,"p51_v":4,"p70_v":4,"p90_v":4,"p99_v":4,"p999":4,"p100_v":4}'
	assert_equal "$stderr" ''
}

@test "mwindow: pNN ranks are exact where NN/100 n is a whole number" {
	seq 1 100 | awk '{ printf "{\"t\":1,\"v\":%d}\n", 101 - $1 }' >in
	run --separate-stderr mwindow --tumbling 10s --time .t -a p7:.v,p14:.v,p28:.v,p57:.v,p58:.v in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"p7_v":7,"p14_v":14,"p28_v":28,"p57_v":57,"p58_v":58}'
	assert_equal "$stderr" ''
}

@test "mwindow: pNN of decimals and negative numbers" {
	printf '%s\n' '{"t":1,"v":-2.5}' '{"t":1,"v":0.125}' '{"t":1,"v":-10}' '{"t":1,"v":3.75}' >in
	run mwindow --tumbling 10s --time .t -a p25:.v,p50:.v,p75:.v,p100:.v in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"p25_v":-10,"p50_v":-2.5,"p75_v":0.125,"p100_v":3.75}'
}

@test "mwindow: --exact keeps every value: percentiles of more than 128 values are exact" {
	seq 1 1000 | awk '{ printf "{\"t\":1,\"v\":%d}\n", ($1 * 7919) % 1000 + 1 }' >in
	run --separate-stderr mwindow --tumbling 10s --time .t --exact -a p50:.v,p99:.v,p0:.v,p100:.v in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"p50_v":500,"p99_v":990,"p0_v":1,"p100_v":1000}'
	assert_equal "$stderr" ''
}

@test "mwindow: beyond 128 values a percentile is within 0.5% of the exact value" {
	seq 1 1000 | awk '{ printf "{\"t\":1,\"v\":%d}\n", ($1 * 7919) % 1000 + 1 }' >in
	run --separate-stderr mwindow --tumbling 10s --time .t -a p50:.v,p99:.v in
	assert_success
	assert_equal "$stderr" ''
	run jq -e '(.p50_v >= 497.5 and .p50_v <= 502.5) and (.p99_v >= 985.05 and .p99_v <= 994.95)' <<<"$output"
	assert_success
}

@test "mwindow: distinct counts values compared as JSON: 1 and 1.0 are one value, 1 and \"1\" two" {
	printf '%s\n' '{"t":1,"v":1}' '{"t":1,"v":"1"}' '{"t":1,"v":1.0}' '{"t":1,"v":2}' \
		'{"t":1,"v":null}' '{"t":1,"v":"a"}' '{"t":1,"v":"a"}' '{"t":1}' \
		'{"t":1,"v":[1,2]}' '{"t":1,"v":[2,1]}' '{"t":1,"v":100}' '{"t":1,"v":1e2}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t -a count,distinct:.v in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"count":12,"distinct_v":7}'
	assert_equal "$stderr" ''
}

@test "mwindow: distinct and top compare objects as jq does, whatever the order of their members" {
	printf '%s\n' '{"t":1,"v":{"a":1,"b":2}}' '{"t":1,"v":{"b":2,"a":1}}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t -a distinct:.v,top:2:.v=top in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"distinct_v":1,"top":[{"value":{"a":1,"b":2},"count":2}]}'
	assert_equal "$stderr" ''
}

@test "mwindow: first and last go by event time, ties by the order read" {
	printf '%s\n' '{"t":5,"v":"b"}' '{"t":3,"v":"a"}' '{"t":3,"v":"a2"}' \
		'{"t":7,"v":"c"}' '{"t":7,"v":"c2"}' '{"t":6,"v":"d"}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t -a first:.v,last:.v in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"first_v":"a","last_v":"c2"}'
	assert_equal "$stderr" ''
}

@test "mwindow: first and last leave out null values" {
	printf '%s\n' '{"t":1,"v":null}' '{"t":2,"v":{"x":[1,2]}}' '{"t":3,"v":4}' '{"t":4}' >in
	run mwindow --tumbling 10s --time .t -a first:.v,last:.v in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"first_v":{"x":[1,2]},"last_v":4}'
}

@test "mwindow: top:K gives the K most frequent values by count, then value" {
	printf '%s\n' '{"t":1,"g":"a","v":"a"}' '{"t":1,"g":"a","v":"b"}' '{"t":1,"g":"a","v":"a"}' \
		'{"t":1,"g":"a","v":"d"}' '{"t":1,"g":"a","v":"b"}' '{"t":1,"g":"a","v":"a"}' \
		'{"t":1,"g":"a","v":"c"}' '{"t":1,"g":"a","v":null}' \
		'{"t":1,"g":"b","v":"x"}' '{"t":1,"g":"b","v":2}' '{"t":1,"g":"b","v":1}' \
		'{"t":1,"g":"b","v":2}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t --by .g -a top:3:.v=top in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"g":"a","top":[{"value":"a","count":3},{"value":"b","count":2},{"value":"c","count":1}]}
{"window_start":0,"window_end":10,"g":"b","top":[{"value":2,"count":2},{"value":1,"count":1},{"value":"x","count":1}]}'
	assert_equal "$stderr" ''
}

@test "mwindow: aggregates over a window without values" {
	printf '%s\n' '{"t":1,"v":null}' '{"t":2}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t \
		-a count,sum:.v,min:.v,max:.v,avg:.v,stddev:.v,p50:.v,distinct:.v,first:.v,last:.v,top:2:.v=top in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"count":2,"sum_v":0,"min_v":null,"max_v":null,"avg_v":null,"stddev_v":null,"p50_v":null,"distinct_v":0,"first_v":null,"last_v":null,"top":[]}'
	assert_equal "$stderr" ''
}

@test "mwindow: an aggregate takes the first output of its expression, and leaves out an expression without output" {
	printf '%s\n' '{"t":1,"v":[1,2]}' '{"t":1,"v":[]}' '{"t":1,"v":[5]}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t -a 'count,sum:.v[]=s,max:.v[]=m' in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"count":3,"s":6,"m":5}'
	assert_equal "$stderr" ''
}

@test "mwindow: a value that is not a number raises an error in sum, avg, stddev and pNN" {
	printf '%s\n' '{"t":1,"v":1}' '{"t":1,"v":"x"}' '{"t":1,"v":3}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t -a count,sum:.v in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"count":2,"sum_v":4}'
	assert_equal "$stderr" 'mwindow: 1 record raised an error; first at in:2: sum:.v: string ("x") is not a number'
	run --separate-stderr mwindow --tumbling 10s --time .t -a avg:.v in
	assert_output '{"window_start":0,"window_end":10,"avg_v":2}'
	assert_equal "$stderr" 'mwindow: 1 record raised an error; first at in:2: avg:.v: string ("x") is not a number'
	run --separate-stderr mwindow --tumbling 10s --time .t -a stddev:.v in
	assert_output '{"window_start":0,"window_end":10,"stddev_v":1.4142135623730951}'
	assert_equal "$stderr" 'mwindow: 1 record raised an error; first at in:2: stddev:.v: string ("x") is not a number'
	run --separate-stderr mwindow --tumbling 10s --time .t -a p50:.v in
	assert_output '{"window_start":0,"window_end":10,"p50_v":1}'
	assert_equal "$stderr" 'mwindow: 1 record raised an error; first at in:2: p50:.v: string ("x") is not a number'
	printf '%s\n' '{"t":1,"v":true}' '{"t":1,"v":[1]}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t -a count,sum:.v in
	assert_success
	assert_output ''
	assert_equal "$stderr" 'mwindow: 2 records raised errors; first at in:1: sum:.v: boolean (true) is not a number'
}

# --- names -------------------------------------------------------------------

@test "mwindow: fields are named after the aggregate and its expression, or renamed with =name" {
	printf '%s\n' '{"t":1,"req":{"path":"/a","size":10},"host":"w1","bytes":100,"latency_ms":7}' \
		'{"t":2,"req":{"path":"/a","size":20},"host":"w1","bytes":50,"latency_ms":9}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t --by .req.path --by .host=h \
		-a count=n,sum:.bytes,p99:.latency_ms,max:.latency_ms=slowest,avg:.req.size in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"req_path":"/a","h":"w1","n":2,"sum_bytes":150,"p99_latency_ms":9,"slowest":9,"avg_req_size":15}'
	assert_equal "$stderr" ''
}

@test "mwindow: two aggregates with the same name are a usage error" {
	run --separate-stderr mwindow --tumbling 10s --time .t -a sum:.v,sum:.v </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mwindow: two fields named sum_v; rename one with =NAME'
	run --separate-stderr mwindow --tumbling 10s --time .t -a count,max:.v=count </dev/null
	assert_failure 2
	assert_equal "$stderr" 'mwindow: two fields named count; rename one with =NAME'
}

@test "mwindow: a group key and an aggregate with the same name are a usage error" {
	run --separate-stderr mwindow --tumbling 10s --time .t --by .count -a count </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mwindow: two fields named count; rename one with =NAME'
	run --separate-stderr mwindow --tumbling 10s --time .t --by .x=window_start </dev/null
	assert_failure 2
	assert_equal "$stderr" "mwindow: window_start: the name is taken by mwindow's own field; rename it with =NAME"
}

# --- groups and keys ---------------------------------------------------------

@test "mwindow: rows of one window are ordered by key in jq's order; a missing key is null" {
	printf '%s\n' '{"t":1,"k":"b"}' '{"t":1,"k":"a"}' '{"t":1,"k":10}' '{"t":1,"k":2}' \
		'{"t":1,"k":null}' '{"t":1,"k":true}' '{"t":1,"k":"10"}' '{"t":1,"k":false}' \
		'{"t":1,"k":[1]}' '{"t":1}' '{"t":1,"k":{"a":1}}' '{"t":1,"k":-1}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t --by .k in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"k":null,"count":2}
{"window_start":0,"window_end":10,"k":false,"count":1}
{"window_start":0,"window_end":10,"k":true,"count":1}
{"window_start":0,"window_end":10,"k":-1,"count":1}
{"window_start":0,"window_end":10,"k":2,"count":1}
{"window_start":0,"window_end":10,"k":10,"count":1}
{"window_start":0,"window_end":10,"k":"10","count":1}
{"window_start":0,"window_end":10,"k":"a","count":1}
{"window_start":0,"window_end":10,"k":"b","count":1}
{"window_start":0,"window_end":10,"k":[1],"count":1}
{"window_start":0,"window_end":10,"k":{"a":1},"count":1}'
	assert_equal "$stderr" ''
}

@test "mwindow: keys compare as JSON values: 1 and \"1\" are two groups, 1 and 1.0 one" {
	printf '%s\n' '{"t":1,"k":1}' '{"t":1,"k":"1"}' '{"t":1,"k":1.0}' '{"t":1,"k":100}' \
		'{"t":1,"k":1e2}' '{"t":1,"k":"1.0"}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t --by .k in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"k":1,"count":2}
{"window_start":0,"window_end":10,"k":100,"count":2}
{"window_start":0,"window_end":10,"k":"1","count":1}
{"window_start":0,"window_end":10,"k":"1.0","count":1}'
	assert_equal "$stderr" ''
}

@test "mwindow: string keys compare by their characters, whatever the escapes" {
	printf '%s\n' '{"t":1,"k":"é"}' '{"t":1,"k":"a\"b"}' '{"t":1,"k":"\u00e9"}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t --by .k in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"k":"a\"b","count":1}
{"window_start":0,"window_end":10,"k":"é","count":2}'
	assert_equal "$stderr" ''
}

@test "mwindow: object keys are equal whatever the order of their members" {
	printf '%s\n' '{"t":1,"k":{"a":1,"b":2}}' '{"t":1,"k":{"b":2,"a":1}}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t --by .k in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"k":{"a":1,"b":2},"count":2}'
	assert_equal "$stderr" ''
}

@test "mwindow: -0 and 0 are one key, as in jq" {
	printf '%s\n' '{"t":1,"k":0}' '{"t":1,"k":-0}' '{"t":1,"k":[0]}' '{"t":1,"k":[-0.0]}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t --by .k in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"k":0,"count":2}
{"window_start":0,"window_end":10,"k":[0],"count":2}'
	assert_equal "$stderr" ''
}

@test "mwindow: a --by expression may hold commas inside brackets" {
	printf '%s\n' '{"t":1,"a":1,"b":"x"}' '{"t":2,"a":1,"b":"x"}' '{"t":3,"a":2,"b":"x"}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t --by '[.a,.b]=pair' in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"pair":[1,"x"],"count":2}
{"window_start":0,"window_end":10,"pair":[2,"x"],"count":1}'
	assert_equal "$stderr" ''
}

@test "mwindow: several keys, in one --by or repeated, order rows by the first key, then the next" {
	printf '%s\n' '{"t":1,"a":10,"b":"x"}' '{"t":1,"a":2,"b":"y"}' '{"t":1,"a":2,"b":"x"}' \
		'{"t":1,"a":10,"b":"x"}' >in
	want='{"window_start":0,"window_end":10,"a":2,"b":"x","count":1}
{"window_start":0,"window_end":10,"a":2,"b":"y","count":1}
{"window_start":0,"window_end":10,"a":10,"b":"x","count":2}'
	run --separate-stderr mwindow --tumbling 10s --time .t --by .a,.b in
	assert_success
	assert_output "$want"
	assert_equal "$stderr" ''
	run mwindow --tumbling 10s --time .t --by .a --by .b in
	assert_success
	assert_output "$want"
}

@test "mwindow: closing rows are ordered by window end, then window start, then key" {
	printf '%s\n' '{"t":10,"k":"c"}' '{"t":10,"k":"d"}' '{"t":10,"k":"b"}' \
		'{"t":12,"k":"a"}' '{"t":12,"k":"b"}' '{"t":12,"k":"c"}' >in
	run --separate-stderr mwindow --session 5s --time .t --by .k in
	assert_success
	assert_output '{"window_start":10,"window_end":15,"k":"d","count":1}
{"window_start":10,"window_end":17,"k":"b","count":2}
{"window_start":10,"window_end":17,"k":"c","count":2}
{"window_start":12,"window_end":17,"k":"a","count":1}'
	assert_equal "$stderr" ''
}

# --- time representation -----------------------------------------------------

@test "mwindow: ISO 8601 times in give ISO 8601 window times out, in UTC" {
	printf '%s\n' '{"ts":"2026-03-02T09:00:30.250Z"}' '{"ts":"2026-03-02 10:00:45+01:00"}' \
		'{"ts":"2026-03-02T09:00:59"}' '{"ts":"2026-03-02T09:01:00Z"}' >in
	run --separate-stderr mwindow --tumbling 1m --time .ts in
	assert_success
	assert_output '{"window_start":"2026-03-02T09:00:00Z","window_end":"2026-03-02T09:01:00Z","count":3}
{"window_start":"2026-03-02T09:01:00Z","window_end":"2026-03-02T09:02:00Z","count":1}'
	assert_equal "$stderr" ''
}

@test "mwindow: ISO 8601 times with offsets and more than six fractional digits are read" {
	printf '%s\n' '{"ts":"2026-03-02T04:00:30-05:00"}' '{"ts":"2026-03-02T14:30:30+05:30"}' \
		'{"ts":"2026-03-02T09:00:59.999999999Z"}' '{"ts":"2026-03-02T10:01:00.000+01:00"}' >in
	run --separate-stderr mwindow --tumbling 1m --time .ts in
	assert_success
	assert_output '{"window_start":"2026-03-02T09:00:00Z","window_end":"2026-03-02T09:01:00Z","count":3}
{"window_start":"2026-03-02T09:01:00Z","window_end":"2026-03-02T09:02:00Z","count":1}'
	assert_equal "$stderr" ''
}

@test "mwindow: a long fraction is read with an offset as it is with Z" {
	f=5$(printf '%060d' 1)
	printf '{"ts":"2026-03-02%s09:00:00.%s%s"}\n' T "$f" Z T "$f" +00:00 \
		' ' "$f" Z >in
	run --separate-stderr mwindow --tumbling 1m --time .ts in
	assert_success
	assert_output '{"window_start":"2026-03-02T09:00:00Z","window_end":"2026-03-02T09:01:00Z","count":3}'
	assert_equal "$stderr" ''
}

@test "mwindow: RFC 3339 times may have a lower-case t and z" {
	echo '{"ts":"2026-03-02t09:00:30z"}' >in
	run --separate-stderr mwindow --tumbling 1m --time .ts in
	assert_success
	assert_output '{"window_start":"2026-03-02T09:00:00Z","window_end":"2026-03-02T09:01:00Z","count":1}'
	assert_equal "$stderr" ''
}

@test "mwindow: ISO 8601 window times have as many fractional digits as they need: none, 3 or 6" {
	printf '%s\n' '{"ts":"2026-03-02T09:00:30.300Z"}' '{"ts":"2026-03-02T09:00:30.800Z"}' >in
	run mwindow --tumbling 250ms --time .ts in
	assert_success
	assert_output '{"window_start":"2026-03-02T09:00:30.250Z","window_end":"2026-03-02T09:00:30.500Z","count":1}
{"window_start":"2026-03-02T09:00:30.750Z","window_end":"2026-03-02T09:00:31Z","count":1}'
	run mwindow --tumbling 100us --time .ts <<<'{"ts":"2026-03-02T09:00:30.000250Z"}'
	assert_success
	assert_output '{"window_start":"2026-03-02T09:00:30.000200Z","window_end":"2026-03-02T09:00:30.000300Z","count":1}'
}

@test "mwindow: epoch seconds, milliseconds, microseconds and nanoseconds in give the same unit out" {
	run mwindow --tumbling 1m --time .t <<<'{"t":1772442030.5}'
	assert_success
	assert_output '{"window_start":1772442000,"window_end":1772442060,"count":1}'
	run mwindow --tumbling 1m --time .t <<<'{"t":1772442030123}'
	assert_success
	assert_output '{"window_start":1772442000000,"window_end":1772442060000,"count":1}'
	run mwindow --tumbling 1m --time .t <<<'{"t":1772442030123456}'
	assert_success
	assert_output '{"window_start":1772442000000000,"window_end":1772442060000000,"count":1}'
	run mwindow --tumbling 1m --time .t <<<'{"t":1772442030123456789}'
	assert_success
	assert_output '{"window_start":1772442000000000000,"window_end":1772442060000000000,"count":1}'
}

@test "mwindow: numbers below 10^11 are seconds, from 10^11 milliseconds" {
	run --separate-stderr mwindow --tumbling 1s --time .t <<<'{"t":99999999999}'
	assert_success
	assert_output '{"window_start":99999999999,"window_end":100000000000,"count":1}'
	assert_equal "$stderr" ''
	run --separate-stderr mwindow --tumbling 1s --time .t <<<'{"t":100000000000}'
	assert_success
	assert_output '{"window_start":100000000000,"window_end":100000001000,"count":1}'
	assert_equal "$stderr" ''
}

@test "mwindow: RFC 3339 times of the years 0001 to 9999 are read" {
	printf '%s\n' '{"t":"0001-01-01T12:00:00Z"}' '{"t":"9999-12-30T12:00:00Z"}' >in
	run --separate-stderr mwindow --tumbling 1d --time .t in
	assert_success
	assert_output '{"window_start":"0001-01-01T00:00:00Z","window_end":"0001-01-02T00:00:00Z","count":1}
{"window_start":"9999-12-30T00:00:00Z","window_end":"9999-12-31T00:00:00Z","count":1}'
	assert_equal "$stderr" ''
}

@test "mwindow: window times in seconds keep their fraction" {
	printf '%s\n' '{"t":1772442030.7}' '{"t":1772442031.2}' >in
	run mwindow --tumbling 500ms --time .t in
	assert_success
	assert_output '{"window_start":1772442030.5,"window_end":1772442031,"count":1}
{"window_start":1772442031,"window_end":1772442031.5,"count":1}'
}

@test "mwindow: window times before the epoch are written in every format" {
	echo '{"t":-0.4}' >in
	run mwindow --tumbling 250ms --time .t in
	assert_success
	assert_output '{"window_start":-0.5,"window_end":-0.25,"count":1}'
	run mwindow --tumbling 250ms --time .t --time-format iso in
	assert_output '{"window_start":"1969-12-31T23:59:59.500Z","window_end":"1969-12-31T23:59:59.750Z","count":1}'
	run mwindow --tumbling 250ms --time .t --time-format ms in
	assert_output '{"window_start":-500,"window_end":-250,"count":1}'
}

@test "mwindow: the first record's time decides the representation of window times" {
	printf '%s\n' '{"t":1772442030000}' '{"t":"2026-03-02T09:00:40Z"}' '{"t":1772442050}' >in
	run --separate-stderr mwindow --tumbling 1m --time .t in
	assert_success
	assert_output '{"window_start":1772442000000,"window_end":1772442060000,"count":3}'
	assert_equal "$stderr" ''
}

@test "mwindow: --time-format writes window times as iso, s, ms, us or ns" {
	echo '{"t":1772442030}' >in
	run mwindow --tumbling 1m --time .t --time-format iso in
	assert_success
	assert_output '{"window_start":"2026-03-02T09:00:00Z","window_end":"2026-03-02T09:01:00Z","count":1}'
	echo '{"ts":"2026-03-02T09:00:30.300Z"}' >in
	run mwindow --tumbling 250ms --time .ts --time-format s in
	assert_output '{"window_start":1772442030.25,"window_end":1772442030.5,"count":1}'
	run mwindow --tumbling 1m --time .ts --time-format ms in
	assert_output '{"window_start":1772442000000,"window_end":1772442060000,"count":1}'
	run mwindow --tumbling 1m --time .ts --time-format us in
	assert_output '{"window_start":1772442000000000,"window_end":1772442060000000,"count":1}'
	run mwindow --tumbling 1m --time .ts --time-format ns in
	assert_output '{"window_start":1772442000000000000,"window_end":1772442060000000000,"count":1}'
}

@test "mwindow: --time-unit reads numeric times in the unit given rather than by magnitude" {
	run mwindow --tumbling 1s --time .t --time-unit ms <<<'{"t":1500}'
	assert_success
	assert_output '{"window_start":1000,"window_end":2000,"count":1}'
	run mwindow --tumbling 1s --time .t --time-unit ms <<<'{"t":1772442030}'
	assert_success
	assert_output '{"window_start":1772442000,"window_end":1772443000,"count":1}'
	run mwindow --tumbling 1s --time .t --time-unit us <<<'{"t":2500000}'
	assert_success
	assert_output '{"window_start":2000000,"window_end":3000000,"count":1}'
	run mwindow --tumbling 1s --time .t --time-unit ns <<<'{"t":2500000000}'
	assert_success
	assert_output '{"window_start":2000000000,"window_end":3000000000,"count":1}'
}

@test "mwindow: an unknown --time-format or --time-unit is a usage error" {
	run --separate-stderr mwindow --tumbling 10s --time .t --time-format rfc </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" "mwindow: --time-format: 'rfc' is not iso, s, ms, us or ns"
	run --separate-stderr mwindow --tumbling 10s --time .t --time-unit m </dev/null
	assert_failure 2
	assert_equal "$stderr" "mwindow: --time-unit: 'm' is not s, ms, us or ns"
}

# --- bad input ---------------------------------------------------------------

@test "mwindow: bad lines, missing and unreadable times are dropped and counted; records in error too" {
	printf '%s\n' '{"t":1,"v":1}' 'not json' '{"v":2}' '{"t":"yesterday","v":3}' \
		'{"t":2,"v":"x"}' '{"t":3,"v":4}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t -a count,sum:.v in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"count":2,"sum_v":5}'
	assert_equal "$stderr" 'mwindow: 3 bad input lines dropped; first at in:2: invalid JSON at column 1: invalid literal
mwindow: 1 record raised an error; first at in:5: sum:.v: string ("x") is not a number'
}

@test "mwindow: a record without a time is bad input" {
	printf '%s\n' '{"v":1}' '{"t":null}' '{"t":5}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"count":1}'
	assert_equal "$stderr" 'mwindow: 2 bad input lines dropped; first at in:1: missing time (.t)'
}

@test "mwindow: a time that cannot be read is bad input" {
	printf '%s\n' '{"t":"yesterday"}' '{"t":true}' '{"t":"2026-13-01T00:00:00Z"}' \
		'{"t":"2026-02-30T00:00:00Z"}' '{"t":"1772442030"}' '{"t":5}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"count":1}'
	assert_equal "$stderr" 'mwindow: 5 bad input lines dropped; first at in:1: bad time (.t): string ("yesterday")'
}

@test "mwindow: a --time or --by expression that raises an error drops the record as an error" {
	printf '%s\n' '{"t":5,"k":"a"}' '{"t":{"x":6},"k":"a"}' '{"t":7,"k":{"y":1}}' '{"t":8,"k":"b"}' >in
	run --separate-stderr mwindow --tumbling 10s --time '.t | if type == "object" then .x + "s" else . end' --by '.k | ascii_downcase=k' in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"k":"a","count":1}
{"window_start":0,"window_end":10,"k":"b","count":1}'
	assert_equal "$stderr" 'mwindow: 2 records raised errors; first at in:2: .t | if type == "object" then .x + "s" else . end: number (6) and string ("s") cannot be added'
}

@test "mwindow: a line longer than --max-record is bad input" {
	printf '%s\n' '{"t":1}' '{"t":2,"pad":"xxxxxxxxxxxxxxxxxxxx"}' '{"t":3}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t -m 16 in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"count":2}'
	assert_equal "$stderr" 'mwindow: 1 bad input line dropped; first at in:2: longer than --max-record (16 bytes)'
}

@test "mwindow: on standard input the bad line is named by its line number" {
	printf '%s\n' '{"t":1}' '{"t":' >in
	run --separate-stderr mwindow --tumbling 10s --time .t <in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"count":1}'
	assert_equal "$stderr" 'mwindow: 1 bad input line dropped; first at line 2: invalid JSON at column 6: unexpected end of input'
}

@test "mwindow: --bad writes the bad lines and the records in error, as read" {
	printf '%s\n' '{"t":1,"v":1}' 'not json' '{"v":2}' '{"t":"yesterday","v":3}' \
		'{"t":2,"v":"x"}' '{"t":3,"v":4}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t -a count,sum:.v --bad=dead in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"count":2,"sum_v":5}'
	assert_equal "$stderr" 'mwindow: 3 bad input lines written to dead; first at in:2: invalid JSON at column 1: invalid literal
mwindow: 1 record raised an error, written to dead; first at in:5: sum:.v: string ("x") is not a number'
	sed -n 2,5p in >want
	cmp want dead
}

@test "mwindow: --strict stops at the first bad line with exit 1, after the rows of the windows closed so far" {
	printf '%s\n' '{"t":5}' '{"t":15}' 'oops' '{"t":16}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t --strict in
	assert_failure 1
	assert_output '{"window_start":0,"window_end":10,"count":1}'
	assert_equal "$stderr" 'mwindow: in:3: invalid JSON at column 1: unexpected character'
}

@test "mwindow: --strict stops at a record without a time" {
	printf '%s\n' '{"t":5}' '{"x":1}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t --strict in
	assert_failure 1
	assert_output ''
	assert_equal "$stderr" 'mwindow: in:2: missing time (.t)'
}

@test "mwindow: --from=logfmt --infer reads key=value lines" {
	printf '%s\n' 't=5 host=a ms=12' 't=7 host=a ms=30' 't=8 host=b ms=1' 'x=' >in
	run --separate-stderr mwindow --from=logfmt --infer --tumbling 10s --time .t --by .host -a sum:.ms in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"host":"a","sum_ms":42}
{"window_start":0,"window_end":10,"host":"b","sum_ms":1}'
	assert_equal "$stderr" 'mwindow: 1 bad input line dropped; first at in:4: missing time (.t)'
}

@test "mwindow: a file that cannot be read is an error; the records of the others count" {
	echo '{"t":1}' >f1
	echo '{"t":2}' >f2
	run --separate-stderr mwindow --tumbling 10s --time .t f1 nope f2
	assert_failure 1
	assert_output '{"window_start":0,"window_end":10,"count":2}'
	assert_equal "$stderr" 'mwindow: nope: No such file or directory'
}

@test "mwindow: --stats prints the counts on stderr before the summaries" {
	printf '%s\n' '{"t":5,"v":1}' '{"t":15,"v":2}' '{"t":1,"v":3}' 'oops' '{"t":16,"v":"x"}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t -a sum:.v --stats in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"sum_v":1}
{"window_start":10,"window_end":20,"sum_v":2}'
	assert_equal "$stderr" 'mwindow: 5 records: 2 rows, 1 late, 1 bad, 1 errors
mwindow: 1 late record; first at in:3
mwindow: 1 bad input line dropped; first at in:4: invalid JSON at column 1: unexpected character
mwindow: 1 record raised an error; first at in:5: sum:.v: string ("x") is not a number'
}

@test "mwindow: a --bad file that cannot be opened is an error" {
	run --separate-stderr mwindow --tumbling 10s --time .t --bad=nodir/dead </dev/null
	assert_failure 1
	assert_output ''
	assert_equal "$stderr" 'mwindow: nodir/dead: No such file or directory'
}

@test "mwindow: a failed write to stdout is an error" {
	echo '{"t":1}' >in
	run sh -c 'mwindow --tumbling 10s --time .t in >/dev/full'
	assert_failure 1
	assert_output 'mwindow: stdout: No space left on device'
}

@test "mwindow: ends quietly when the reader of its output exits" {
	awk 'BEGIN { for (i = 0; i < 200000; i++) printf "{\"t\":%d}\n", i }' >big
	run --separate-stderr bash -c 'mwindow --tumbling 1s --time .t big | head -n 1'
	assert_success
	assert_output '{"window_start":0,"window_end":1,"count":1}'
	assert_equal "$stderr" ''
}

# --- memory bounds -----------------------------------------------------------

@test "mwindow: one entry more than --max-groups stops with exit 1 after the rows of the closed windows" {
	printf '%s\n' '{"t":1,"k":"a"}' '{"t":2,"k":"b"}' '{"t":12,"k":"a"}' '{"t":13,"k":"b"}' \
		'{"t":14,"k":"c"}' '{"t":15,"k":"d"}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t --by .k --max-groups 2 in
	assert_failure 1
	assert_output '{"window_start":0,"window_end":10,"k":"a","count":1}
{"window_start":0,"window_end":10,"k":"b","count":1}'
	assert_equal "$stderr" 'mwindow: more than 2 open windows and groups at in:5; raise --max-groups or use --max-groups-evict'
}

@test "mwindow: --max-groups-evict writes the entry that would close first early: earliest end, then start, then key" {
	printf '%s\n' '{"t":15,"k":"a"}' '{"t":5,"k":"b"}' '{"t":17,"k":"c"}' '{"t":16,"k":"a"}' \
		'{"t":18,"k":"d"}' >in
	run --separate-stderr mwindow --tumbling 10s --grace 100s --time .t --by .k \
		--max-groups 2 --max-groups-evict in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"k":"b","count":1,"evicted":true}
{"window_start":10,"window_end":20,"k":"a","count":2,"evicted":true}
{"window_start":10,"window_end":20,"k":"c","count":1}
{"window_start":10,"window_end":20,"k":"d","count":1}'
	assert_equal "$stderr" 'mwindow: 2 windows written early to stay within --max-groups 2'
}

@test "mwindow: after an eviction, a later record for that window and group starts a new entry" {
	printf '%s\n' '{"t":5,"k":"b"}' '{"t":15,"k":"a"}' '{"t":6,"k":"b"}' >in
	run --separate-stderr mwindow --tumbling 10s --grace 100s --time .t --by .k \
		--max-groups 1 --max-groups-evict in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"k":"b","count":1,"evicted":true}
{"window_start":10,"window_end":20,"k":"a","count":1,"evicted":true}
{"window_start":0,"window_end":10,"k":"b","count":1}'
	assert_equal "$stderr" 'mwindow: 2 windows written early to stay within --max-groups 1'
}

@test "mwindow: a window that closes by the record's own time is written as closed, not evicted" {
	printf '%s\n' '{"t":1,"k":"a"}' '{"t":2,"k":"b"}' '{"t":12,"k":"a"}' '{"t":13,"k":"b"}' >in
	run --separate-stderr mwindow --tumbling 10s --time .t --by .k --max-groups 2 --max-groups-evict in
	assert_success
	assert_output '{"window_start":0,"window_end":10,"k":"a","count":1}
{"window_start":0,"window_end":10,"k":"b","count":1}
{"window_start":10,"window_end":20,"k":"a","count":1}
{"window_start":10,"window_end":20,"k":"b","count":1}'
	assert_equal "$stderr" ''
}

# --- usage -------------------------------------------------------------------

@test "mwindow: --help prints the help and exits 0" {
	run --separate-stderr mwindow --help
	assert_success
	assert_line -n 0 'usage: mwindow --tumbling size | --hopping size --every advance | --session gap |'
	assert_output --partial '--max-groups-evict'
	assert_equal "$stderr" ''
}

@test "mwindow: no window option is a usage error" {
	run --separate-stderr mwindow --time .t </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" "mwindow: a window is needed: --tumbling, --hopping, --session or --rows
$USAGE"
}

@test "mwindow: two window options are a usage error" {
	run --separate-stderr mwindow --tumbling 10s --session 5s --time .t </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mwindow: --tumbling and --session: only one kind of window'
	run --separate-stderr mwindow --rows 5 --hopping 10s --every 5s </dev/null
	assert_failure 2
	assert_equal "$stderr" 'mwindow: --rows and --hopping: only one kind of window'
}

@test "mwindow: --every without --hopping, and --hopping without --every, are usage errors" {
	run --separate-stderr mwindow --tumbling 10s --every 5s --time .t </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mwindow: --every goes with --hopping'
	run --separate-stderr mwindow --hopping 10s --time .t </dev/null
	assert_failure 2
	assert_equal "$stderr" 'mwindow: --hopping needs --every ADVANCE'
}

@test "mwindow: an advance larger than the hopping size is a usage error" {
	run --separate-stderr mwindow --hopping 10s --every 11s --time .t </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mwindow: --every 11s is more than the --hopping size: records would fall between windows'
	run mwindow --hopping 10s --every 10s --time .t <<<'{"t":12}'
	assert_success
	assert_output '{"window_start":10,"window_end":20,"count":1}'
}

@test "mwindow: a bad duration is a usage error" {
	for d in 10x x '' 5s5 -5s; do
		run --separate-stderr mwindow --tumbling "$d" --time .t </dev/null
		assert_failure 2
		assert_output ''
		assert_equal "$stderr" "mwindow: --tumbling: bad duration '$d' (a number and a unit: 500ms, 10s, 5m, 2h, 7d)"
	done
	for d in 0 0s; do
		run --separate-stderr mwindow --tumbling "$d" --time .t </dev/null
		assert_failure 2
		assert_equal "$stderr" "mwindow: --tumbling: the duration must be more than 0"
	done
	run --separate-stderr mwindow --tumbling 101y --time .t </dev/null
	assert_failure 2
	run --separate-stderr mwindow --tumbling 40000d --time .t </dev/null
	assert_failure 2
	assert_equal "$stderr" "mwindow: --tumbling: '40000d' is more than a century"
	run --separate-stderr mwindow --tumbling 10s --grace soon --time .t </dev/null
	assert_failure 2
	assert_equal "$stderr" "mwindow: --grace: bad duration 'soon' (a number and a unit: 500ms, 10s, 5m, 2h, 7d)"
	run --separate-stderr mwindow --session 1q --time .t </dev/null
	assert_failure 2
	assert_equal "$stderr" "mwindow: --session: bad duration '1q' (a number and a unit: 500ms, 10s, 5m, 2h, 7d)"
}

@test "mwindow: a bad aggregate spec is a usage error" {
	while IFS='|' read -r a why; do
		run --separate-stderr mwindow --tumbling 10s --time .t -a "$a" </dev/null
		assert_failure 2
		assert_output ''
		assert_equal "$stderr" "mwindow: -a $why"
	done <<'EOF'
sum|sum: sum needs an expression (sum:EXPR)
sum:|sum:: sum needs an expression (sum:EXPR)
max: |max: : max needs an expression (max:EXPR)
p101:.v|p101:.v: a percentile is p0 to p100
p50|p50: p50 needs an expression (p50:EXPR)
top:.v|top:.v: top needs a count and an expression: top:K:EXPR
top:0:.v|top:0:.v: top needs a count and an expression: top:K:EXPR
top:x:.v|top:x:.v: top needs a count and an expression: top:K:EXPR
top:3|top:3: top needs a count and an expression: top:K:EXPR
count:.v|count:.v: count takes no expression
count=|count=: an empty name
sum:.v=|sum:.v=: an empty name
EOF
}

@test "mwindow: an unknown aggregate is a usage error" {
	run --separate-stderr mwindow --tumbling 10s --time .t -a count,median:.v </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mwindow: -a median: no such aggregate (count, sum, min, max, avg, stddev, pNN, distinct, first, last, top)'
	run --separate-stderr mwindow --tumbling 10s --time .t -a pxx:.v </dev/null
	assert_failure 2
	assert_equal "$stderr" 'mwindow: -a pxx: no such aggregate (count, sum, min, max, avg, stddev, pNN, distinct, first, last, top)'
}

@test "mwindow: --time with --processing-time is a usage error" {
	run --separate-stderr mwindow --tumbling 10s --time .t --processing-time </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mwindow: --time, --processing-time and --skew: choose one'
}

@test "mwindow: --skew with --time is a usage error" {
	run --separate-stderr mwindow --tumbling 10s --time .t --skew .o,.s,.r </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mwindow: --time, --processing-time and --skew: choose one'
}

@test "mwindow: time windows without --time, --processing-time or --skew are a usage error" {
	run --separate-stderr mwindow --tumbling 10s </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mwindow: windows need a time: --time EXPR, --processing-time or --skew'
}

@test "mwindow: --skew with fewer than three expressions is a usage error" {
	run --separate-stderr mwindow --tumbling 10s --skew .o,.s </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mwindow: --skew needs three expressions: OCCURRED,SENT,RECEIVED'
}

@test "mwindow: a bad --rows or --max-groups count is a usage error" {
	run --separate-stderr mwindow --rows 0 </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" "mwindow: --rows: '0' is too small (1 to 1000000)"
	run --separate-stderr mwindow --rows x </dev/null
	assert_failure 2
	assert_equal "$stderr" "mwindow: --rows: 'x' is invalid (1 to 1000000)"
	run --separate-stderr mwindow --tumbling 1s --time .t --max-groups 0 </dev/null
	assert_failure 2
	assert_equal "$stderr" "mwindow: --max-groups: '0' is too small"
}

@test "mwindow: options that have no meaning together are a usage error" {
	run --separate-stderr mwindow --rows 3 --grace 5s </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" 'mwindow: --grace has no meaning with --rows'
	run --separate-stderr mwindow --rows 3 --emit update </dev/null
	assert_failure 2
	assert_equal "$stderr" 'mwindow: --emit update has no meaning with --rows'
	run --separate-stderr mwindow --tumbling 1s --processing-time --idle 1s </dev/null
	assert_failure 2
	assert_equal "$stderr" 'mwindow: --idle has no meaning with --processing-time: the clock moves time'
	run --separate-stderr mwindow --tumbling 1s --time .t --max-groups-evict </dev/null
	assert_failure 2
	assert_equal "$stderr" 'mwindow: --max-groups-evict needs --max-groups N'
}

@test "mwindow: unknown options and missing option values are usage errors" {
	run --separate-stderr mwindow --tumbling 10s --time .t --bogus </dev/null
	assert_failure 2
	assert_equal "$stderr" "mwindow: unrecognized option '--bogus'
$USAGE"
	run --separate-stderr mwindow --time .t --tumbling </dev/null
	assert_failure 2
	assert_equal "$stderr" "mwindow: option '--tumbling' requires an argument
$USAGE"
}

@test "mwindow: an expression that does not compile is reported with its column and a caret, exit 2" {
	run --separate-stderr mwindow --tumbling 10s --time .t --by '.a | )' </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" "mwindow: .a | ): syntax error at column 6: unexpected ')'
mwindow:   .a | )
mwindow:        ^"
	run --separate-stderr mwindow --tumbling 10s --time '.t +' </dev/null
	assert_failure 2
	assert_equal "$stderr" "mwindow: .t +: syntax error at column 5: unexpected end of expression
mwindow:   .t +
mwindow:       ^"
}

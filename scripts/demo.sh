#!/bin/sh
# A tour of mlog-append and mlog-tail on sample/app.jsonl (300 web-request
# events), in a temporary directory.  Run from the top of the tree, after
# `make all`, as `sh scripts/demo.sh` (what `make demo` does).  Every step
# checks its result; the first one that fails stops the demo with exit 1.
set -eu

top=$(pwd)
bin=$top/bin
if [ ! -x "$bin/mlog-append" ] || [ ! -x "$bin/mlog-tail" ] ||
    [ ! -f "$top/sample/app.jsonl" ]; then
	echo "demo: run me from the top of the tree after make all" >&2
	exit 1
fi
PATH=$bin:$PATH
export PATH

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mstreams-demo.XXXXXX")
trap 'rc=$?; rm -rf "$tmp"; [ "$rc" -eq 0 ] || echo "demo: FAILED" >&2' EXIT
trap 'exit 1' HUP INT TERM
cd "$tmp"
cp "$top/sample/app.jsonl" "$top/sample/hosts.jsonl" .

step() {
	printf '\n## %s\n' "$*"
}

# run CMD: show a shell command, then run it
run() {
	printf '$ %s\n' "$1"
	eval "$1"
}

# expect WHAT GOT WANT
expect() {
	if [ "$2" != "$3" ]; then
		printf 'demo: %s: got "%s", expected "%s"\n' "$1" "$2" "$3" >&2
		exit 1
	fi
}

# At most 10 seconds for a step that waits for records.
if command -v timeout >/dev/null 2>&1; then
	limit="timeout 10"
else
	limit=""
fi

printf 'mstreams demo in %s (removed at exit)\n' "$tmp"

step "Append 300 JSON lines to a new log: a directory of segments"
run 'mkdir logs'
run 'mlog-append logs/app < app.jsonl'
run 'ls logs/app logs/app/p0'
run 'mlog-tail logs/app > copy.jsonl'
cmp copy.jsonl app.jsonl
echo "(mlog-tail gives back the 300 lines byte for byte)"

step "The last three records"
run 'mlog-tail -n 3 logs/app > last3'
cat last3
expect "mlog-tail -n 3" "$(cat last3)" "$(tail -n 3 app.jsonl)"

step "One record as a JSON envelope; mlog-append -J reads it back"
run 'mlog-tail -J -o 41 -c 1 logs/app > env'
cat env
grep -q '^{"offset":41,"partition":0,"timestamp":[0-9]*,"key":null,"value":"' env
run 'mlog-append -J logs/copy < env'
run 'mlog-tail logs/copy'
expect "envelope round trip" "$(mlog-tail logs/copy)" "$(sed -n 42p app.jsonl)"

step "A consumer group reads in two runs"
run 'mlog-tail -g report -c 100 logs/app > run1'
run 'wc -l < run1'
run 'cat logs/app/groups/report/offsets'
expect "first run" "$(wc -l < run1 | tr -d ' ')" 100
run 'mlog-tail -g report logs/app > run2'
run 'wc -l < run2'
expect "second run" "$(wc -l < run2 | tr -d ' ')" 200
run 'head -n 1 run2'
expect "resumed at offset 100" "$(head -n 1 run2)" "$(sed -n 101p app.jsonl)"
cat run1 run2 | cmp - app.jsonl
echo "(the second run resumed at offset 100: nothing missed, nothing twice)"
run 'mlog-tail -g report logs/app > run3'
expect "third run" "$(wc -c < run3 | tr -d ' ')" 0
echo "(a third run finds nothing new)"

step "Follow: mlog-tail -f prints records as they are appended"
printf '$ %s\n' 'mlog-tail -f -o 300 -c 2 logs/app &'
$limit mlog-tail -f -o 300 -c 2 logs/app > followed &
pid=$!
run "printf '%s\n' '{\"note\":\"one\"}' '{\"note\":\"two\"}' | mlog-append logs/app"
wait "$pid"
cat followed
expect "follow" "$(cat followed)" '{"note":"one"}
{"note":"two"}'

step "Keyed appends to a log with 3 partitions"
sed 's/^.*"host":"\([^"]*\)".*$/\1 &/' app.jsonl > keyed
run 'head -n 2 keyed'
head -n 150 keyed > keyed1
tail -n 150 keyed > keyed2
run "mlog-append -P 3 -K ' ' -O logs/byhost < keyed1 > offsets1"
run 'head -n 4 offsets1'
expect "offsets printed" "$(wc -l < offsets1 | tr -d ' ')" 150
echo "(a key always goes to the same partition; here no host hashed to 0)"
run "mlog-tail -F '%p %k\n' logs/byhost | sort | uniq -c"
expect "one partition per host" \
    "$(mlog-tail -F '%k %p\n' logs/byhost | sort -u | cut -d' ' -f1 | uniq -d)" ""

step "Start at a time: -o @TIME"
echo "(note the time between two appends; a log's timestamps are append times)"
run 'sleep 1'
run 'mark=$(date -u +%Y-%m-%dT%H:%M:%SZ); echo $mark'
run "mlog-append -K ' ' logs/byhost < keyed2"
run 'mlog-tail -o @$mark logs/byhost > since'
run 'wc -l < since'
expect "records from $mark on" "$(wc -l < since | tr -d ' ')" 150
run 'mlog-tail -u @$mark logs/byhost > before'
run 'wc -l < before'
expect "records until $mark" "$(wc -l < before | tr -d ' ')" 150
run "mlog-tail -n 2 -F '%p:%o %T %k\n' logs/byhost"

step "Filter and reshape: mfilter and mmap"
run "mlog-tail logs/app | mfilter '.status >= 500' | head -n 2"
n5=$(grep -c '"status":5' app.jsonl)
expect "server errors" "$(mlog-tail logs/app | mfilter -c '.status >= 500')" "$n5"
run "mlog-tail logs/app | mfilter '.status >= 500' | mmap -c '{ts, path, status}' | head -n 2"
run "mlog-tail logs/app | mmap -r 'select(.ts) | .ts | timefloor(\"1m\") | todate' | sort | uniq -c | head -n 3"
run "printf 'not json\\n' | cat - app.jsonl | mfilter --stats '.latency_ms > 1000' > /dev/null"

step "Windows: mwindow"
run "mlog-tail logs/app | mwindow --tumbling 1m --time .ts --by .host -a count,avg:.latency_ms,p99:.latency_ms | head -n 3"
echo "(records without a time are bad input: dropped and counted)"
total=$(mlog-tail logs/app | mwindow --tumbling 1m --time .ts -a count 2>/dev/null |
    mmap -r .count | awk '{ n += $1 } END { print n }')
expect "every timed record in one window" "$total" "$(mlog-tail logs/app | mfilter -c .ts)"
run "mlog-tail logs/app | mfilter '.status >= 500' | mwindow --tumbling 5m --time .ts --by .path -a count,top:2:.host | head -n 3"

step "Joins: mjoin"
echo "(hosts.jsonl gives web-1 twice: the last value wins; web-4 is missing)"
run "mlog-tail logs/app | mjoin --on .host --table hosts.jsonl | head -n 2"
expect "records joined with a known host" \
    "$(mlog-tail logs/app | mjoin --on .host --table hosts.jsonl | mfilter -c '.dc')" \
    "$(mlog-tail logs/app | mfilter -c '.host == "web-1" or .host == "web-2" or .host == "web-3"')"
expect "web-1 on its last rack" \
    "$(mlog-tail logs/app | mjoin --on .host --table hosts.jsonl | mfilter -c '.host == "web-1" and .rack == "a4"')" \
    "$(mlog-tail logs/app | mfilter -c '.host == "web-1"')"
run "mlog-tail logs/app | mjoin --on .host --table hosts.jsonl --anti | mmap -r .host | sort | uniq -c"

printf '\ndemo: all steps passed\n'

#!/bin/sh
# view.sh: mview build side by side with the tools a user would otherwise
# reach for, in one run, on a log of N web-log records (bench/weblog.sh):
#
#   latest by host   mview build --key .host (the last record of each of 20
#                    hosts, in a SQLite file) against mlr tail -n 1 -g host
#                    (in memory, printed) and a jq | sqlite3 .import pipeline
#                    (jq computes the key and the compact record, SQLite
#                    keeps the last per key)
#   count by path    mview build --key .path --reduce count (about half the
#                    records have their own path: a large table) against
#                    mlr count -g path and jq -r .path | sort | uniq -c
#
# mview reads the log (made once with mlog-append, not timed); the others
# read the same records from the JSON Lines file.  Each mview run builds a
# new database from the log start.  Prints a markdown report on standard
# output; hyperfine's progress goes to standard error; raw results in
# bench/data/results/.  A speed check, not a test: the exit status is 0
# unless something could not run or an output was wrong.
#
#   sh bench/view.sh                  # full run (a couple of minutes)
#   N=100000 sh bench/view.sh         # quick
#
# Environment:
#   N         records (1000000)
#   RUNS      timed runs per command; default: at least 3
#   WARMUP    untimed runs per command first (1)
#   MLOG_BIN  directory holding mview and mlog-append (bin)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"

records=${N:-1000000}
runs=${RUNS:-}
warmup=${WARMUP:-1}
srcbin=${MLOG_BIN:-$root/bin}

positive "N and RUNS" "$records" ${runs:+"$runs"}
nonnegative WARMUP "$warmup"
need hyperfine jq sqlite3 sort uniq awk
command -v mlr >/dev/null 2>&1 ||
	die "mlr not found (make deps, or apt-get install -y miller)"
need_time

copy_bins bin-view mview mlog-append
scratch view-tmp
stamp

# ---------------------------------------------------------------- data
weblog
log "appending $records records to a log (not timed)"
"$bin/mlog-append" "$tmp/log" < "$file"

# The jq | sqlite3 pipeline: the key's JSON and the record, as CSV, into a
# table that keeps the last row per key.
sqlschema='CREATE TABLE rows(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE staged(key TEXT, value TEXT);'
sqlfold='INSERT OR REPLACE INTO rows SELECT key, value FROM staged ORDER BY rowid;'

# ---------------------------------------------------------------- checks
log "checking outputs ($records records, $mb MB)"
"$bin/mview" build "$tmp/c1.db" "$tmp/log" --key .host 2> "$tmp/err" ||
	die "mview failed: $(cat "$tmp/err")"
[ ! -s "$tmp/err" ] || die "mview wrote to standard error: $(head -n 5 "$tmp/err")"
"$bin/mview" dump "$tmp/c1.db" | jq -c '[.key, .value]' | LC_ALL=C sort > "$tmp/mview-latest"
mlr --ijsonl --ojsonl tail -n 1 -g host "$file" | jq -c '[.host, .]' |
	LC_ALL=C sort > "$tmp/mlr-latest"
cmp -s "$tmp/mview-latest" "$tmp/mlr-latest" ||
	die "latest by host: mview and mlr differ (first lines: $(head -n 1 "$tmp/mview-latest"), $(head -n 1 "$tmp/mlr-latest"))"

"$bin/mview" build "$tmp/c2.db" "$tmp/log" --key .path --reduce count 2> "$tmp/err" ||
	die "mview failed: $(cat "$tmp/err")"
[ ! -s "$tmp/err" ] || die "mview wrote to standard error: $(head -n 5 "$tmp/err")"
sqlite3 -separator ' ' "$tmp/c2.db" "SELECT json_extract(key, '\$'), value FROM rows" |
	LC_ALL=C sort > "$tmp/mview-count"
jq -r .path "$file" | LC_ALL=C sort | uniq -c | awk '{ print $2, $1 }' |
	LC_ALL=C sort > "$tmp/uniq-count"
mlr --ijsonl --onidx --ofs ' ' count -g path "$file" | LC_ALL=C sort > "$tmp/mlr-count"
cmp -s "$tmp/mview-count" "$tmp/uniq-count" ||
	die "count by path: mview and sort | uniq -c differ"
cmp -s "$tmp/mview-count" "$tmp/mlr-count" ||
	die "count by path: mview and mlr differ"
paths=$(lines "$tmp/mview-count")
echo "latest by host: 20 rows agree with mlr; count by path: $paths paths agree with mlr and uniq -c" >&2
rm -f "$tmp"/*.db* "$tmp"/mview-* "$tmp"/mlr-* "$tmp"/uniq-*

# ---------------------------------------------------------------- timing
B=$(q "$bin")
F=$(q "$file")
L=$(q "$tmp/log")
D=$(q "$tmp")
prep="rm -f $D/t.db $D/t.db-wal $D/t.db-shm"

log "latest by host"
timed view-latest 3 --prepare "$prep" \
	-n "mview" "$B/mview build $D/t.db $L --key .host" \
	-n "mlr" "mlr --ijsonl --ojsonl tail -n 1 -g host $F > /dev/null" \
	-n "jq | sqlite3" "jq -r '[(.host | tojson), tojson] | @csv' $F |
	    sqlite3 $D/t.db $(q "$sqlschema") '.import --csv /dev/stdin staged' $(q "$sqlfold")"

log "count by path"
timed view-count 3 --prepare "$prep" \
	-n "mview" "$B/mview build $D/t.db $L --key .path --reduce count" \
	-n "mlr" "mlr --ijsonl --ojsonl count -g path $F > /dev/null" \
	-n "jq | sort | uniq -c" "jq -r .path $F | LC_ALL=C sort | uniq -c > /dev/null"

# ---------------------------------------------------------------- memory
log "peak RSS, median of 3"
rm -f "$tmp"/t.db*
r1=$(rss sh -c "rm -f $D/t.db*; exec $B/mview build $D/t.db $L --key .host")
r2=$(rss sh -c "rm -f $D/t.db*; exec $B/mview build $D/t.db $L --key .path --reduce count")
/usr/bin/time -f %M -o "$tmp/rss-mlr1" mlr --ijsonl --ojsonl tail -n 1 -g host "$file" > /dev/null
/usr/bin/time -f %M -o "$tmp/rss-mlr2" mlr --ijsonl --ojsonl count -g path "$file" > /dev/null
m1=$(tail -n 1 "$tmp/rss-mlr1")
m2=$(tail -n 1 "$tmp/rss-mlr2")
dbsize=$(wc -c < "$tmp/t.db" | tr -d ' ')

# ---------------------------------------------------------------- report
rps() {
	awk -v s="$1" -v n="$records" 'BEGIN {
		r = n / s
		if (r >= 1e6) printf "%.2fM", r / 1e6; else printf "%.0fk", r / 1e3
	}'
}

l0=$(med "$res/view-latest.json" 0)
l1=$(med "$res/view-latest.json" 1)
l2=$(med "$res/view-latest.json" 2)
c0=$(med "$res/view-count.json" 0)
c1=$(med "$res/view-count.json" 1)
c2=$(med "$res/view-count.json" 2)
v1=$(verdict "$records / $l0 >= 1e6")
v2=$(verdict "$l1 / $l0 >= 2")
v3=$(verdict "$records / $c0 >= 2e5")
v4=$(verdict "$c1 / $c0 >= 1")
tally "$v1" "$v2" "$v3" "$v4"

heading "mview benchmark" "$(mlr --version), $(jq --version), SQLite $(
    sqlite3 --version | awk '{ print $1 }'), hyperfine $(
    hyperfine --version | awk '{ print $2 }')"
cat <<EOF
- data: $records records, $mb MB (bench/weblog.sh); mview reads them from a
  log, the others from the JSON Lines file; page cache warm.  Count by
  path: $paths keys, a $(calc "$dbsize / 1e6" 1) MB database
- median of hyperfine runs (warmup $warmup, ${runs:-at least 3} timed runs);
  records/s = records / median; ratio = the other tool's time / mview's
- outputs checked before timing: the last record per host equals mlr's;
  the count per path equals mlr's and sort | uniq -c's

| case | tool | median | records/s | ratio | target | result |
|---|---|---|---|---|---|---|
| latest by host (20 keys) | mview build | $(t "$l0") | $(rps "$l0") | | >= 1M records/s | $v1 |
| | mlr tail -n 1 -g host | $(t "$l1") | $(rps "$l1") | $(calc "$l1 / $l0" 1)x | >= 2x | $v2 |
| | jq \\| sqlite3 .import | $(t "$l2") | $(rps "$l2") | $(calc "$l2 / $l0" 1)x | reported | |
| count by path ($paths keys) | mview build -r count | $(t "$c0") | $(rps "$c0") | | >= 200k records/s | $v3 |
| | mlr count -g path | $(t "$c1") | $(rps "$c1") | $(calc "$c1 / $c0" 1)x | >= 1x | $v4 |
| | jq \\| sort \\| uniq -c | $(t "$c2") | $(rps "$c2") | $(calc "$c2 / $c0" 1)x | reported | |
| peak RSS, latest by host | mview (median of 3) | $(kib "$r1") MiB | | | reported | |
| | mlr (1 run) | $(kib "$m1") MiB | | | reported | |
| peak RSS, count by path | mview (median of 3) | $(kib "$r2") MiB | | | reported | |
| | mlr (1 run) | $(kib "$m2") MiB | | | reported | |

$met of $total targets met.  mview's time includes SQLite's durable,
queryable table and the applied offsets; mlr and uniq keep nothing.

Commands (D = bench/data/view-tmp, B = binaries copied from ${MLOG_BIN:-bin}):

- \`B/mview build D/t.db D/log --key .host\`
- \`mlr --ijsonl --ojsonl tail -n 1 -g host weblog.jsonl\`
- \`jq -r '[(.host | tojson), tojson] | @csv' weblog.jsonl | sqlite3 D/t.db SCHEMA '.import --csv /dev/stdin staged' '$sqlfold'\`
- \`B/mview build D/t.db D/log --key .path --reduce count\`
- \`mlr --ijsonl --ojsonl count -g path weblog.jsonl\`
- \`jq -r .path weblog.jsonl | LC_ALL=C sort | uniq -c\`
EOF

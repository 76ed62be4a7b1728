#!/bin/sh
# compact.sh: mlog-compact side by side with what a user would otherwise do
# to keep only the latest record of each key of a log, in one run, on a log
# of N keyed records (web-log events of bench/gen.sh, keyed by one of KEYS
# users; one in a hundred a `null` tombstone) in segments of SEGMENT bytes.
# Users are active in waves: each record's user is one of WINDOW users
# after a point that moves through all KEYS users over the log, so the
# latest records of the users are spread over the whole log, not all in
# its last segment.
#
#   mlog-compact    rewrites the sealed segments in place (offsets kept)
#   jq              mlog-tail -J -e LOG | jq reduce to the latest record of
#                   each key | mlog-append -J NEW: a new, compacted log
#   mlr             the same with mlr tail -n 1 -g key
#   cp -r           copying the log: the floor of any rewrite
#
# Every timed run starts from a fresh copy of the log (hyperfine --prepare:
# the copy is not timed).  Speeds are MB/s of the sealed segments'
# bytes, the input mlog-compact reads and rewrites.  Prints a markdown
# report on standard output; hyperfine's progress goes to standard error;
# raw results in bench/data/results/.  A speed check, not a test: the exit
# status is 0 unless something could not run or an output was wrong.
#
#   sh bench/compact.sh                      # full run (several minutes)
#   N=100000 KEYS=1000 sh bench/compact.sh   # quick
#
# Environment:
#   N         records (1000000)
#   KEYS      distinct keys (10000)
#   WINDOW    users active at any time (500)
#   SEGMENT   segment size of the log (16M)
#   RUNS      timed runs of mlog-compact and cp -r; default: at least 5
#   SLOW_RUNS timed runs of the jq and mlr pipelines (2)
#   MLOG_BIN  directory holding mlog-compact, mlog-append and mlog-tail (bin)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"

records=${N:-1000000}
keys=${KEYS:-10000}
window=${WINDOW:-500}
segment=${SEGMENT:-16M}
runs=${RUNS:-}
slow_runs=${SLOW_RUNS:-2}
warmup=1
srcbin=${MLOG_BIN:-$root/bin}

positive "N, KEYS, WINDOW, RUNS and SLOW_RUNS" "$records" "$keys" \
	"$window" ${runs:+"$runs"} "$slow_runs"
need hyperfine jq awk cp
command -v mlr >/dev/null 2>&1 ||
	die "mlr not found (make deps, or apt-get install -y miller)"
need_time

copy_bins bin-compact mlog-compact mlog-append mlog-tail
scratch compact-tmp
stamp

# ---------------------------------------------------------------- data
# "KEY VALUE" lines for mlog-append -K ' ': the keys from a Park-Miller
# generator (exact in awk doubles), so the data depend only on N, KEYS and
# WINDOW.
name=compact-$records-$keys-$window
file=$data/$name.txt
keyed() {
	sh "$here/gen.sh" "$records" - | awk -v n="$records" -v keys="$keys" \
	    -v w="$window" '
	BEGIN { x = 7 }
	{
		x = (x * 16807) % 2147483647
		k = (int((NR - 1) * keys / n) + x % w) % keys
		printf "user-%06d %s\n", k, x % 100 == 0 ? "null" : $0
	}'
}
generate "$file" "$records" "$records records with $keys keys" keyed
pristine=$data/$name-$segment.log
if [ ! -d "$pristine" ]; then
	log "appending them to a log with $segment segments (not timed)"
	rm -rf "$pristine.tmp"
	"$bin/mlog-append" -K ' ' -s "$segment" --fsync=never \
		"$pristine.tmp" < "$file"
	mv "$pristine.tmp" "$pristine"
fi

# the sealed segments: every segment file but the last
sealed() {
	ls "$1"/p0/*.log | sed '$d' | xargs stat -c %s |
		awk '{ n += $1 } END { print n + 0 }'
}
bytes=$(sealed "$pristine")
all=$(cat "$pristine"/p0/*.log | wc -c | tr -d ' ')
nsegs=$(ls "$pristine"/p0/*.log | wc -l | tr -d ' ')
[ "$nsegs" -gt 2 ] || die "$pristine has $nsegs segments: make N larger or SEGMENT smaller"
mb=$(calc "$bytes / 1e6" 1)

# ---------------------------------------------------------------- checks
# Of each key, the last record in the compacted log is its latest record
# of the whole log, as jq and mlr find it: the same value for every key.
log "checking outputs ($records records, $nsegs segments, $mb MB sealed)"
T=$tmp
rm -rf "$T/c"
cp -r "$pristine" "$T/c"
"$bin/mlog-compact" "$T/c" > "$T/report" 2> "$T/err" ||
	die "mlog-compact failed: $(cat "$T/err")"
[ ! -s "$T/err" ] || die "mlog-compact wrote to standard error: $(cat "$T/err")"
report=$(cat "$T/report")
echo "$report" >&2
after=$(sealed "$T/c")
"$bin/mlog-tail" -F '%k %s\n' -e "$T/c" |
	awk '{ k = $1; last[k] = $0 } END { for (k in last) print last[k] }' |
	LC_ALL=C sort > "$T/mlog-latest"
"$bin/mlog-tail" -J -e "$pristine" |
	jq -c -n 'reduce inputs as $r ({}; .[$r.key] = $r) | .[]' |
	jq -r '"\(.key) \(.value)"' | LC_ALL=C sort > "$T/jq-latest"
cmp -s "$T/mlog-latest" "$T/jq-latest" ||
	die "mlog-compact and jq keep different latest records"
"$bin/mlog-tail" -J -e "$pristine" | mlr --ijsonl --ojsonl tail -n 1 -g key |
	jq -r '"\(.key) \(.value)"' | LC_ALL=C sort > "$T/mlr-latest"
cmp -s "$T/mlog-latest" "$T/mlr-latest" ||
	die "mlog-compact and mlr keep different latest records"
nkeys=$(lines "$T/mlog-latest")
echo "latest records of $nkeys keys agree with jq and mlr" >&2
rm -rf "$T/c" "$T"/*-latest

# ---------------------------------------------------------------- timing
B=$(q "$bin")
P=$(q "$pristine")
C=$(q "$T/c")
fresh="rm -rf $C; cp -r $P $C; sync"

log "mlog-compact and cp -r"
timed compact 5 \
	--prepare "$fresh" -n "mlog-compact" "$B/mlog-compact -q $C" \
	--prepare "rm -rf $C; sync" -n "cp -r" "cp -r $P $C"
log "jq and mlr pipelines"
runs=$slow_runs
warmup=0
timed compact-slow "$slow_runs" \
	--prepare "rm -rf $C; sync" \
	-n "jq" "$B/mlog-tail -J -e $P |
	    jq -c -n 'reduce inputs as \$r ({}; .[\$r.key] = \$r) | .[]' |
	    $B/mlog-append -J --fsync=never $C" \
	-n "mlr" "$B/mlog-tail -J -e $P | mlr --ijsonl --ojsonl tail -n 1 -g key |
	    $B/mlog-append -J --fsync=never $C"

log "peak RSS of mlog-compact, median of 3"
rss_c=$(rss sh -c "$fresh; exec $B/mlog-compact -q $C")
rm -rf "$T/c"

c_m=$(med "$res/compact.json" 0)
cp_m=$(med "$res/compact.json" 1)
jq_m=$(med "$res/compact-slow.json" 0)
mlr_m=$(med "$res/compact-slow.json" 1)
ms() {
	calc "$1 * 1000" 0
}

heading "mlog-compact benchmark"
cat <<EOF
- data: $records records with $nkeys keys, $window active at a time (one
  record in a hundred a tombstone): $(calc "$all / 1e6" 1) MB, $(calc "$all / $records" 0) bytes/record,
  in $nsegs segments of $segment; sealed: $mb MB
- mlog-compact: $report
- medians of hyperfine runs, each on a fresh copy of the log (page cache
  warm); MB/s of the sealed segments; ratio = mlog-compact speed / other's

| what | median | MB/s | mlog-compact is |
|---|---|---|---|
| mlog-compact | $(t "$c_m") | $(mbs "$c_m") | |
| cp -r (the floor) | $(t "$cp_m") | $(mbs "$cp_m") | $(calc "$cp_m / $c_m") x its speed |
| mlog-tail -J \\| jq reduce \\| mlog-append -J | $(t "$jq_m") | $(mbs "$jq_m") | $(calc "$jq_m / $c_m" 1) x faster |
| mlog-tail -J \\| mlr tail -g key \\| mlog-append -J | $(t "$mlr_m") | $(mbs "$mlr_m") | $(calc "$mlr_m / $c_m" 1) x faster |

Peak RSS of mlog-compact: $(kib "$rss_c") MiB.

Commands (D = bench/data, B = binaries copied from ${MLOG_BIN:-bin},
L = D/$(basename "$pristine"), C = a fresh copy of L):

- \`B/mlog-compact -q C\`
- \`cp -r L C\`
- \`B/mlog-tail -J -e L | jq -c -n 'reduce inputs as \$r ({}; .[\$r.key] = \$r) | .[]' | B/mlog-append -J --fsync=never C\`
- \`B/mlog-tail -J -e L | mlr --ijsonl --ojsonl tail -n 1 -g key | B/mlog-append -J --fsync=never C\`

The jq and mlr pipelines make a new log (offsets not kept, the last
segment compacted too); mlog-compact keeps offsets and the last segment.
EOF

#!/bin/sh
# expr.sh: mfilter and mmap side by side with the tools a user would
# otherwise reach for (jq, mlr, grep), in one run, on N web-log records
# (bench/weblog.sh).  Prints a markdown report on standard output;
# hyperfine's progress goes to standard error.  Raw results (hyperfine JSON
# and markdown) are kept in bench/data/results/.  A speed check, not a test:
# misses are reported, the exit status is 0 unless something could not run
# or a tool's output was wrong.
#
#   sh bench/expr.sh                  # full run (a few minutes: jq and mlr are slow)
#   N=100000 sh bench/expr.sh         # quick
#
# Environment:
#   N         records in the input (1000000)
#   RUNS      timed runs per command; default: at least 3, and as many as
#             fit in about 3 seconds (so the slow tools run 3 times)
#   WARMUP    untimed runs per command first (1)
#   MLOG_BIN  directory holding mfilter and mmap (bin)
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
need hyperfine jq grep awk
need_time
have_mlr=no
command -v mlr >/dev/null 2>&1 && have_mlr=yes

copy_bins bin-expr mfilter mmap
scratch expr-tmp
stamp

# ---------------------------------------------------------------- data
weblog

# The expressions, and the competitors' equivalents.
f1='.status >= 500'
j1='select(.status >= 500)'
f2='.level == "error" and .latency_ms > 200'
j2='select(.level == "error" and .latency_ms > 200)'
# shellcheck disable=SC2016 # mlr's $field, not a shell variable
m2='$level == "error" && $latency_ms > 200'
p3='{ts, host, status}'
f4='.msg | test("timeout")'
g4='timeout'

# ---------------------------------------------------------------- checks
# Before any timing: a fast tool must also be right.  The generator writes
# only integers and plain ASCII strings in compact form, so `jq -c` prints
# a selected line exactly as it was read, and mfilter's output (the input
# lines, byte for byte) must equal jq's.
log "checking outputs against jq, mlr and grep ($records records, $mb MB)"
# run NAME CMD...: run a command into $tmp/NAME, dying if it fails.
run() {
	name=$1
	shift
	"$@" > "$tmp/$name" || die "failed (exit $?): $*"
}
# same A B WHAT: the two outputs must be equal.
same() {
	na=$(lines "$tmp/$1")
	nb=$(lines "$tmp/$2")
	[ "$na" = "$nb" ] ||
		die "$3: $1 gave $na records, $2 gave $nb"
	if ! cmp -s "$tmp/$1" "$tmp/$2"; then
		cp "$tmp/$1" "$data/expr-diff-$1"
		cp "$tmp/$2" "$data/expr-diff-$2"
		die "$3: $1 and $2 gave $na records each, but different ones (kept in $data/expr-diff-$1 and $data/expr-diff-$2)"
	fi
	echo "$3: $na records, same output" >&2
}

run mfilter1 "$bin/mfilter" "$f1" "$file"
run jq1 jq -c "$j1" "$file"
same mfilter1 jq1 "$f1"
c1=$(lines "$tmp/mfilter1")
rm -f "$tmp/mfilter1" "$tmp/jq1"

run mfilter2 "$bin/mfilter" "$f2" "$file"
run jq2 jq -c "$j2" "$file"
same mfilter2 jq2 "$f2"
c2=$(lines "$tmp/mfilter2")
if [ "$have_mlr" = yes ]; then
	# mlr re-spaces its JSON output: compare record counts on a sample
	# (all of it would take half a minute more).
	ms=$((records < 100000 ? records : 100000))
	head -n "$ms" "$file" > "$tmp/sample"
	run mfilter2s "$bin/mfilter" "$f2" "$tmp/sample"
	run mlr2s mlr --ijsonl --ojsonl filter "$m2" "$tmp/sample"
	na=$(lines "$tmp/mfilter2s")
	nb=$(lines "$tmp/mlr2s")
	[ "$na" = "$nb" ] ||
		die "$f2: on the first $ms records mfilter gave $na records, mlr $nb"
	echo "$f2: mlr agrees on the first $ms records ($na)" >&2
fi

# mmap: every record gives one line; on a sample, the same values as jq's
# (after `jq -c .` normalisation, which leaves jq's own output unchanged).
run mmap3 "$bin/mmap" "$p3" "$file"
[ "$(lines "$tmp/mmap3")" = "$records" ] ||
	die "$p3: mmap gave $(lines "$tmp/mmap3") lines for $records records"
ss=$((records < 20000 ? records : 20000))
head -n "$ss" "$tmp/mmap3" > "$tmp/mmap3s"
rm -f "$tmp/mmap3"
run mmap3n jq -c . "$tmp/mmap3s"
head -n "$ss" "$file" > "$tmp/sample"
run jq3 jq -c "$p3" "$tmp/sample"
same mmap3n jq3 "$p3 (first $ss)"

run mfilter4 "$bin/mfilter" "$f4" "$file"
run grep4 grep -E "$g4" "$file"
same mfilter4 grep4 "$f4"
c4=$(lines "$tmp/mfilter4")
rm -f "$tmp"/*

# ---------------------------------------------------------------- timing
B=$(q "$bin")
F=$(q "$file")

log "case 1: $f1"
timed expr-status 3 \
	-n "mfilter" "$B/mfilter $(q "$f1") $F > /dev/null" \
	-n "jq" "jq -c $(q "$j1") $F > /dev/null"

log "case 2: $f2"
set --	# mlr, when installed, as a third command
if [ "$have_mlr" = yes ]; then
	set -- -n "mlr" "mlr --ijsonl --ojsonl filter $(q "$m2") $F > /dev/null"
fi
timed expr-and 3 \
	-n "mfilter" "$B/mfilter $(q "$f2") $F > /dev/null" \
	-n "jq" "jq -c $(q "$j2") $F > /dev/null" \
	"$@"

log "case 3: mmap $p3"
timed expr-map 3 \
	-n "mmap" "$B/mmap $(q "$p3") $F > /dev/null" \
	-n "jq" "jq -c $(q "$p3") $F > /dev/null"

# GNU grep stops at the first match when its output is /dev/null: both
# write to a file here instead (a few hundred kB).
log "case 4: $f4"
O=$(q "$data/expr-out")
timed expr-regex 10 \
	-n "mfilter" "$B/mfilter $(q "$f4") $F > $O" \
	-n "grep" "grep -E $(q "$g4") $F > $O"
rm -f "$data/expr-out"

# ---------------------------------------------------------------- memory
log "peak RSS, median of 3"
rss "$bin/mfilter" "$f1" "$file" > "$tmp/r1"
rss "$bin/mfilter" "$f2" "$file" > "$tmp/r2"
rss "$bin/mmap" "$p3" "$file" > "$tmp/r3"
rss "$bin/mfilter" "$f4" "$file" > "$tmp/r4"
r1=$(cat "$tmp/r1")
r2=$(cat "$tmp/r2")
r3=$(cat "$tmp/r3")
r4=$(cat "$tmp/r4")
echo "mfilter $r1 / $r2 / $r4 KiB, mmap $r3 KiB" >&2

# ---------------------------------------------------------------- report
s1m=$(med "$res/expr-status.json" 0)
s1j=$(med "$res/expr-status.json" 1)
s2m=$(med "$res/expr-and.json" 0)
s2j=$(med "$res/expr-and.json" 1)
s3m=$(med "$res/expr-map.json" 0)
s3j=$(med "$res/expr-map.json" 1)
s4m=$(med "$res/expr-regex.json" 0)
s4g=$(med "$res/expr-regex.json" 1)
x1=$(calc "$s1j / $s1m" 1)
x2=$(calc "$s2j / $s2m" 1)
x3=$(calc "$s3j / $s3m" 1)
x4=$(calc "$s4g / $s4m")
x4i=$(calc "$s4m / $s4g" 1)
if [ "$have_mlr" = yes ]; then
	s2l=$(med "$res/expr-and.json" 2)
	mlr_row="| | mlr --ijsonl --ojsonl filter '$m2' | $(t "$s2l") | $(mbs "$s2l") | $(calc "$s2l / $s2m" 1)x | | |"
else
	mlr_row="| | mlr | not installed | | | | |"
fi

v1a=$(verdict "$bytes / $s1m / 1e6 >= 600")
v1b=$(verdict "$s1j / $s1m >= 20")
v2=$(verdict "$s2j / $s2m >= 20")
v3=$(verdict "$s3j / $s3m >= 15")
v4=$(verdict "$s4m / $s4g <= 3")
vr1=$(verdict "$r1 < 16384")
vr2=$(verdict "$r2 < 16384")
vr3=$(verdict "$r3 < 16384")
vr4=$(verdict "$r4 < 16384")
tally "$v1a" "$v1b" "$v2" "$v3" "$v4" "$vr1" "$vr2" "$vr3" "$vr4"

# Markdown cells: a | inside code must be written \|.
f4md=$(printf '%s' "$f4" | sed 's/|/\\|/g')

heading "mfilter / mmap benchmark" "$(jq --version), $(
    [ "$have_mlr" = yes ] && mlr --version || echo "mlr not installed"), $(
    grep --version | head -n 1), hyperfine $(
    hyperfine --version | awk '{ print $2 }')"
cat <<EOF
- data: $records records, $mb MB ($(calc "$bytes / $records" 0) bytes/record,
  bench/weblog.sh); page cache warm
- median of hyperfine runs (warmup $warmup, ${runs:-at least 3} timed runs per
  command); MB/s = input size / median; ratio = other tool's time / mfilter's
  (or mmap's) time, so 20x means 20 times faster
- outputs checked before timing, on all records: mfilter = jq byte for byte
  for \`$f1\` ($c1 pass) and \`$f2\` ($c2 pass), mfilter = grep byte for byte
  for \`$f4md\` ($c4 pass), mmap gives $records lines; on a sample: mfilter = mlr (record counts) on $( [ "$have_mlr" = yes ] && echo "$ms" || echo 0) records,
  mmap = jq (after \`jq -c .\`) on $ss records

| case | tool | median | MB/s | ratio | target | result |
|---|---|---|---|---|---|---|
| \`$f1\` | mfilter | $(t "$s1m") | $(mbs "$s1m") | | >= 600 MB/s | $v1a |
| | jq -c '$j1' | $(t "$s1j") | $(mbs "$s1j") | ${x1}x | >= 20x | $v1b |
| \`$f2\` | mfilter | $(t "$s2m") | $(mbs "$s2m") | | | |
| | jq -c '$j2' | $(t "$s2j") | $(mbs "$s2j") | ${x2}x | >= 20x | $v2 |
$mlr_row
| \`$p3\` | mmap | $(t "$s3m") | $(mbs "$s3m") | | | |
| | jq -c '$p3' | $(t "$s3j") | $(mbs "$s3j") | ${x3}x | >= 15x | $v3 |
| \`$f4md\` | mfilter | $(t "$s4m") | $(mbs "$s4m") | | | |
| | grep -E '$g4' | $(t "$s4g") | $(mbs "$s4g") | ${x4}x (mfilter takes ${x4i}x grep's time) | mfilter within 3x of grep's time | $v4 |
| peak RSS (median of 3) | mfilter '$f1' | $(kib "$r1") MiB | | | < 16 MiB | $vr1 |
| | mfilter '$f2' | $(kib "$r2") MiB | | | < 16 MiB | $vr2 |
| | mmap '$p3' | $(kib "$r3") MiB | | | < 16 MiB | $vr3 |
| | mfilter '$f4md' | $(kib "$r4") MiB | | | < 16 MiB | $vr4 |

$met of $total targets met.

Commands (D = bench/data, B = binaries copied from ${MLOG_BIN:-bin}, input
D/weblog-$records.jsonl as a file operand, output to /dev/null):

- \`B/mfilter '$f1' D/weblog-$records.jsonl\` vs \`jq -c '$j1' ...\`
- \`B/mfilter '$f2' ...\` vs \`jq -c '$j2' ...\` vs
  \`mlr --ijsonl --ojsonl filter '$m2' ...\`
- \`B/mmap '$p3' ...\` vs \`jq -c '$p3' ...\`
- \`B/mfilter '$f4' ...\` vs \`grep -E '$g4' ...\`, both into a file in D
  (GNU grep stops at the first match when writing to /dev/null)
- peak RSS: \`/usr/bin/time -f %M\` around the same commands
EOF

#!/bin/sh
# check.sh: mlog-check side by side with cat reading the same segment files,
# in one run: how close a full check (every CRC, offset, index entry) comes
# to just reading the bytes, and what --quick costs.  Prints a markdown
# report on standard output; hyperfine's progress goes to standard error.
# Raw results (hyperfine JSON and markdown) are kept in bench/data/results/.
#
#   sh bench/check.sh                                    # full run, ~1 GB
#   BENCH_RECORDS=500000 BENCH_RUNS=3 sh bench/check.sh  # quick
#
# Environment:
#   BENCH_RECORDS      records in the log, built once (6000000, ~1 GB)
#   BENCH_PARTITIONS   partitions of the log (4)
#   BENCH_RUNS         timed runs per command (10)
#   MLOG_BIN           directory holding mlog-append and mlog-check (bin)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"

records=${BENCH_RECORDS:-6000000}
parts=${BENCH_PARTITIONS:-4}
runs=${BENCH_RUNS:-10}
warmup=2
srcbin=${MLOG_BIN:-$root/bin}

need hyperfine jq awk
positive sizes "$records" "$parts" "$runs"

copy_bins bin-check mlog-append mlog-check
stamp

# ---------------------------------------------------------------- data
file=$data/records-$records.jsonl
if [ ! -s "$file" ]; then
	log "generating $records records"
	sh "$here/gen.sh" "$records" "$file"
fi
clog=$data/check-$records-$parts.log
if [ ! -f "$clog/meta" ] ||
    ! "$bin/mlog-check" -q "$clog" >/dev/null 2>&1 ||
    [ "$("$bin/mlog-check" "$clog" | sed -n 's/.* segments\{0,1\}, \([0-9]*\) records.*/\1/p')" != "$records" ]; then
	log "building the log: $records records in $parts partitions"
	rm -rf "$clog" "$clog.tmp"
	"$bin/mlog-append" --fsync=never -P "$parts" "$clog.tmp" < "$file"
	mv "$clog.tmp" "$clog"
fi
out=$("$bin/mlog-check" "$clog") || die "mlog-check $clog: $out"
case $out in
*" $records records, "*": 0 problems, 0 notices") ;;
*) die "mlog-check $clog: $out" ;;
esac
bytes=$(cat "$clog"/p*/*.log | wc -c | tr -d ' ')
mb=$(calc "$bytes / 1e6" 1)
segs=$(ls "$clog"/p*/*.log | wc -l | tr -d ' ')

# ---------------------------------------------------------------- timing
log "check: $records records, $mb MB in $segs segments (page cache warm)"
timed check-full "$runs" \
	-n "mlog-check" "'$bin/mlog-check' '$clog' > /dev/null" \
	-n "cat > /dev/null" "cat '$clog'/p*/*.log > /dev/null"
timed check-quick "$runs" \
	-n "mlog-check --quick" "'$bin/mlog-check' --quick '$clog' > /dev/null"
c_m=$(med "$res/check-full.json" 0)
c_c=$(med "$res/check-full.json" 1)
q_m=$(med "$res/check-quick.json" 0)
ratio=$(calc "$c_c / $c_m")

# ---------------------------------------------------------------- report
ms() {
	calc "$1 * 1000" "${2:-1}"
}

heading "mlog-check benchmark"
cat <<EOF
- data: $records records in $parts partitions, $segs segments, $mb MB of
  segment files (bench/gen.sh records, $(calc "$bytes / $records" 0) bytes/record)
- medians of $runs hyperfine runs after $warmup warm-up runs (page cache
  warm); ratio = mlog-check speed / cat's

| benchmark | mlog-check | cat | ratio |
|---|---|---|---|
| full check, every record | $(mbs "$c_m") MB/s ($(ms "$c_m" 0) ms) | cat > /dev/null: $(mbs "$c_c") MB/s ($(ms "$c_c" 0) ms) | $ratio |
| --quick (ends of the last segments) | $(ms "$q_m") ms | | |

Commands (D = bench/data, B = binaries copied from ${MLOG_BIN:-bin}):

- \`B/mlog-check D/check-$records-$parts.log > /dev/null\` vs
  \`cat D/check-$records-$parts.log/p*/*.log > /dev/null\`
- \`B/mlog-check --quick D/check-$records-$parts.log > /dev/null\`
- the log is built once with \`B/mlog-append --fsync=never -P $parts\` from
  D/records-$records.jsonl and kept; a run checks it first and rebuilds it
  if it is not clean and whole
EOF

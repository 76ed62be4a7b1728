#!/bin/sh
# log.sh: mlog-append and mlog-tail side by side with the tools a user would
# otherwise reach for (cat, tail), in one run.  Prints a markdown report on
# standard output; hyperfine's progress goes to standard error.  Raw results
# (hyperfine JSON and markdown) are kept in bench/data/results/.
#
#   sh bench/log.sh                                       # full run
#   BENCH_RECORDS=100000 BENCH_SEEK_RECORDS=200000 sh bench/log.sh   # quick
#
# Environment:
#   BENCH_RECORDS          records for the append and read runs (1000000)
#   BENCH_SEEK_RECORDS     records in the seek log, built once (10000000)
#   BENCH_SEEK_TARGETS     random offsets and times looked up (10)
#   BENCH_LATENCY_SAMPLES  follow-latency samples per tool (2000)
#   BENCH_RUNS             timed runs per throughput command (10)
#   BENCH_SEED             seed for the random seek targets (1)
#   MLOG_BIN               directory holding mlog-append and mlog-tail (bin)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"

records=${BENCH_RECORDS:-1000000}
seek_records=${BENCH_SEEK_RECORDS:-10000000}
targets=${BENCH_SEEK_TARGETS:-10}
samples=${BENCH_LATENCY_SAMPLES:-2000}
runs=${BENCH_RUNS:-10}
seed=${BENCH_SEED:-1}
srcbin=${MLOG_BIN:-$root/bin}

need hyperfine jq cc awk
positive sizes "$records" "$seek_records" "$targets" "$samples" "$runs" "$seed"

copy_bins bin mlog-append mlog-tail
stamp

# jq over a hyperfine export: the median over all results, the slowest.
med_all() {
	jq -r '[.results[].median] | sort |
	    if length % 2 == 1 then .[length / 2 | floor]
	    else (.[length / 2 - 1] + .[length / 2]) / 2 end' "$1"
}
max_all() {
	jq -r '[.results[].median] | max' "$1"
}

# ---------------------------------------------------------------- data
file=$data/records-$records.jsonl
if [ ! -s "$file" ]; then
	log "generating $records records"
	sh "$here/gen.sh" "$records" "$file"
fi
bytes=$(wc -c < "$file" | tr -d ' ')
mb=$(calc "$bytes / 1e6" 1)

# ---------------------------------------------------------------- a. append
alog=$data/append.log
afile=$data/append.out
log "append: $records records, $mb MB"
hf --warmup 1 --runs "$runs" \
	--prepare "rm -rf '$alog'; sync" --prepare "rm -f '$afile'; sync" \
	--export-json "$res/append.json" --export-markdown "$res/append.md" \
	-n "mlog-append --fsync=never" \
	"'$bin/mlog-append' --fsync=never '$alog' < '$file'" \
	-n "cat > file" \
	"cat '$file' > '$afile'"
hf --warmup 1 --runs "$runs" \
	--prepare "rm -rf '$alog'; sync" --prepare "rm -f '$afile'; sync" \
	--export-json "$res/append-pipe.json" \
	--export-markdown "$res/append-pipe.md" \
	-n "cat | mlog-append --fsync=never" \
	"cat '$file' | '$bin/mlog-append' --fsync=never '$alog'" \
	-n "cat | cat > file" \
	"cat '$file' | cat > '$afile'"
got=$("$bin/mlog-tail" -e "$alog" | wc -l | tr -d ' ')
[ "$got" = "$records" ] || die "append log holds $got records, not $records"
rm -rf "$alog" "$afile"
a_m=$(med "$res/append.json" 0)
a_c=$(med "$res/append.json" 1)
ap_m=$(med "$res/append-pipe.json" 0)
ap_c=$(med "$res/append-pipe.json" 1)

# ---------------------------------------------------------------- b. read
rlog=$data/read.log
rm -rf "$rlog"
"$bin/mlog-append" --fsync=never "$rlog" < "$file"
# the same records in partition 1 of 2: a follower merges them with an idle
# partition 0, which it polls once per record (built first, so that its
# directories are seconds old, as an idle partition's are)
ilog=$data/idle.log
rm -rf "$ilog"
"$bin/mlog-append" --fsync=never -P 2 -p 1 "$ilog" < "$file"
"$bin/mlog-tail" -o beginning -e "$rlog" | cmp -s - "$file" ||
	die "mlog-tail -e $rlog does not reproduce $file"
log "read: $records records into /dev/null and into a pipe"
hf --warmup 2 --runs "$runs" \
	--export-json "$res/read-null.json" \
	--export-markdown "$res/read-null.md" \
	-n "mlog-tail -e > /dev/null" \
	"'$bin/mlog-tail' -o beginning -e '$rlog' > /dev/null" \
	-n "cat > /dev/null" \
	"cat '$file' > /dev/null"
hf --warmup 2 --runs "$runs" \
	--export-json "$res/read-pipe.json" \
	--export-markdown "$res/read-pipe.md" \
	-n "mlog-tail -e | cat > /dev/null" \
	"'$bin/mlog-tail' -o beginning -e '$rlog' | cat > /dev/null" \
	-n "cat | cat > /dev/null" \
	"cat '$file' | cat > /dev/null"
log "follow: $records records, from one partition and from one of two"
hf --warmup 2 --runs "$runs" \
	--export-json "$res/read-idle.json" \
	--export-markdown "$res/read-idle.md" \
	-n "mlog-tail -f -c N, partition 1 of 2 > /dev/null" \
	"'$bin/mlog-tail' -f -c $records '$ilog' > /dev/null" \
	-n "mlog-tail -f -c N, 1 partition > /dev/null" \
	"'$bin/mlog-tail' -f -c $records '$rlog' > /dev/null"
ri_m=$(med "$res/read-idle.json" 0)
ri_1=$(med "$res/read-idle.json" 1)
rn_m=$(med "$res/read-null.json" 0)
rn_c=$(med "$res/read-null.json" 1)
rp_m=$(med "$res/read-pipe.json" 0)
rp_c=$(med "$res/read-pipe.json" 1)

# ---------------------------------------------------------------- c. seek
sfile=$data/records-$seek_records.jsonl
slog=$data/seek-$seek_records.log
if [ ! -s "$sfile" ]; then
	log "generating $seek_records records"
	sh "$here/gen.sh" "$seek_records" "$sfile"
fi
have=-1
if [ -d "$slog" ]; then
	last=$("$bin/mlog-tail" -F '%o\n' -n 1 "$slog" 2>/dev/null || true)
	case $last in
	''|*[!0-9]*) ;;
	*) have=$((last + 1)) ;;
	esac
fi
if [ "$have" != "$seek_records" ]; then
	log "building the seek log: $seek_records records"
	rm -rf "$slog" "$slog.tmp"
	"$bin/mlog-append" --fsync=never "$slog.tmp" < "$sfile"
	mv "$slog.tmp" "$slog"
fi
t_first=$("$bin/mlog-tail" -F '%T\n' -c 1 "$slog")
t_last=$("$bin/mlog-tail" -F '%T\n' -n 1 "$slog")
offs=$(awk -v n="$targets" -v max="$seek_records" -v s="$seed" 'BEGIN {
	srand(s)
	for (i = 0; i < n; i++)
		printf "%s%d", i ? "," : "", int(rand() * max)
}')
times=$(awk -v n="$targets" -v a="$t_first" -v b="$t_last" -v s="$seed" 'BEGIN {
	srand(s + 1)
	for (i = 0; i < n; i++)
		printf "%s%.0f", i ? "," : "", a + int(rand() * (b - a + 1))
}')
# The lookups must land where asked before their time means anything.
o1=${offs%%,*}
got=$("$bin/mlog-tail" -F '%o\n' -o "$o1" -c 1 "$slog")
[ "$got" = "$o1" ] || die "mlog-tail -o $o1 -c 1 printed offset $got"
tm1=${times%%,*}
got=$("$bin/mlog-tail" -F '%T\n' -o "@$tm1" -c 1 "$slog")
[ "$got" -ge "$tm1" ] ||
	die "mlog-tail -o @$tm1 -c 1 printed a record stamped $got"
log "seek: $targets random offsets and times in $seek_records records"
hf -N --warmup 3 --min-runs 30 \
	--export-json "$res/seek-offset.json" \
	--export-markdown "$res/seek-offset.md" \
	-L off "$offs" \
	"'$bin/mlog-tail' -o {off} -c 1 '$slog'"
hf -N --warmup 3 --min-runs 30 \
	--export-json "$res/seek-time.json" \
	--export-markdown "$res/seek-time.md" \
	-L ms "$times" \
	"'$bin/mlog-tail' -o @{ms} -c 1 '$slog'"
hf -N --warmup 3 --min-runs 30 \
	--export-json "$res/seek-last.json" \
	--export-markdown "$res/seek-last.md" \
	-n "mlog-tail -n 1" "'$bin/mlog-tail' -n 1 '$slog'" \
	-n "tail -n 1" "tail -n 1 '$sfile'"
so_med=$(med_all "$res/seek-offset.json")
so_max=$(max_all "$res/seek-offset.json")
st_med=$(med_all "$res/seek-time.json")
st_max=$(max_all "$res/seek-time.json")
sl_m=$(med "$res/seek-last.json" 0)
sl_t=$(med "$res/seek-last.json" 1)

# ---------------------------------------------------------------- d. follow
log "follow latency: $samples samples each"
cc -O2 -Wall -Wextra -o "$data/latency" "$here/latency.c"
llog=$data/latency.log
lfile=$data/latency.txt
rm -rf "$llog" "$lfile"
lat_m=$("$data/latency" -n "$samples" mlog "$bin" "$llog")
lat_t=$("$data/latency" -n "$samples" tail "$lfile")
rm -rf "$llog" "$lfile"
echo "mlog: $lat_m" >&2
echo "tail: $lat_t" >&2
# fields: samples p50 p90 p99 max
lf() {
	echo "$1" | awk -v f="$2" '{ print $f }'
}

# ---------------------------------------------------------------- report
ms() {
	calc "$1 * 1000" "${2:-2}"
}
a_ratio=$(calc "$a_c / $a_m")
ap_ratio=$(calc "$ap_c / $ap_m")
rn_ratio=$(calc "$rn_c / $rn_m")
rp_ratio=$(calc "$rp_c / $rp_m")
ri_ratio=$(calc "$rn_c / $ri_m")

heading "mlog benchmark"
cat <<EOF
- data: $records records, $mb MB ($(calc "$bytes / $records" 0) bytes/record,
  bench/gen.sh); seek log: $seek_records records
- medians of hyperfine runs (page cache warm); ratio = mlog speed / other tool's

| benchmark | mlog | other tool | ratio | target |
|---|---|---|---|---|
| append $records records | $(mbs "$a_m") MB/s ($(ms "$a_m" 0) ms) | cat > file: $(mbs "$a_c") MB/s ($(ms "$a_c" 0) ms) | $a_ratio | >= 0.50 $(verdict "$a_ratio >= 0.5") |
| append $records records from a pipe | $(mbs "$ap_m") MB/s ($(ms "$ap_m" 0) ms) | cat \\| cat > file: $(mbs "$ap_c") MB/s ($(ms "$ap_c" 0) ms) | $ap_ratio | |
| read all into /dev/null | $(mbs "$rn_m") MB/s ($(ms "$rn_m" 0) ms) | cat: $(mbs "$rn_c") MB/s ($(ms "$rn_c" 0) ms) | $rn_ratio | >= 0.70 $(verdict "$rn_ratio >= 0.7") |
| read all through a pipe into cat | $(mbs "$rp_m") MB/s ($(ms "$rp_m" 0) ms) | cat \\| cat: $(mbs "$rp_c") MB/s ($(ms "$rp_c" 0) ms) | $rp_ratio | >= 0.70 $(verdict "$rp_ratio >= 0.7") |
| follow (-f) all, partition 1 of 2 (0 idle) | $(mbs "$ri_m") MB/s ($(ms "$ri_m" 0) ms); one partition: $(mbs "$ri_1") MB/s | cat: $(mbs "$rn_c") MB/s ($(ms "$rn_c" 0) ms) | $ri_ratio | |
| seek to offset, $targets targets (median / slowest) | $(ms "$so_med") / $(ms "$so_max") ms | | | < 5 ms $(verdict "$so_max < 0.005") |
| seek to time, $targets targets (median / slowest) | $(ms "$st_med") / $(ms "$st_max") ms | | | < 5 ms $(verdict "$st_max < 0.005") |
| last record | mlog-tail -n 1: $(ms "$sl_m") ms | tail -n 1: $(ms "$sl_t") ms | $(calc "$sl_t / $sl_m") | |
| follow latency p50 / p90 / p99 / max | $(calc "$(lf "$lat_m" 2) / 1000" 3) / $(calc "$(lf "$lat_m" 3) / 1000" 3) / $(calc "$(lf "$lat_m" 4) / 1000" 3) / $(calc "$(lf "$lat_m" 5) / 1000" 3) ms | tail -F: $(calc "$(lf "$lat_t" 2) / 1000" 3) / $(calc "$(lf "$lat_t" 3) / 1000" 3) / $(calc "$(lf "$lat_t" 4) / 1000" 3) / $(calc "$(lf "$lat_t" 5) / 1000" 3) ms | | p99 < 5 ms $(verdict "$(lf "$lat_m" 4) < 5000") |

Commands (D = bench/data, B = binaries copied from ${MLOG_BIN:-bin}):

- append: \`B/mlog-append --fsync=never D/append.log < D/records-$records.jsonl\`
  vs \`cat D/records-$records.jsonl > D/append.out\`; \`--prepare 'rm -rf ...; sync'\`
  gives each run a fresh log and file (GNU cat copies file to file with
  copy_file_range(2), in the kernel); from a pipe: \`cat D/records-$records.jsonl |\`
  in front of both, \`cat > D/append.out\` as the other tool
- read: \`B/mlog-tail -o beginning -e D/read.log > /dev/null\` vs
  \`cat D/records-$records.jsonl > /dev/null\`; the same with \`| cat > /dev/null\`
- follow: \`B/mlog-tail -f -c $records D/idle.log > /dev/null\` (\`-P 2 -p 1\`: every
  record in partition 1) and the same on D/read.log, vs cat as above
- seek: \`B/mlog-tail -o N -c 1 D/seek-$seek_records.log\` and
  \`B/mlog-tail -o @MS -c 1 D/seek-$seek_records.log\` (hyperfine -N, whole process,
  N and MS random, seed $seed); last record: \`B/mlog-tail -n 1\` vs
  \`tail -n 1 D/records-$seek_records.jsonl\`
- follow: \`D/latency -n $samples mlog B D/latency.log\` (line written to
  \`mlog-append LOG\`, read back from \`mlog-tail -f -o end LOG\`) vs
  \`D/latency -n $samples tail D/latency.txt\` (write(2) O_APPEND, read back
  from \`tail -F -n 0\`); 1 ms pause between samples
EOF

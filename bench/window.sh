#!/bin/sh
# window.sh: mwindow side by side with the nearest Miller pipeline, in one
# run, on N web-log records (bench/weblog.sh): one-minute tumbling windows
# by host with a count, the mean and the 99th percentile of latency_ms.
# Prints a markdown report on standard output; hyperfine's progress goes to
# standard error.  Raw results (hyperfine JSON and markdown) are kept in
# bench/data/results/.  A speed check, not a test: misses are reported, the
# exit status is 0 unless something could not run or a tool's output was
# wrong.
#
#   sh bench/window.sh                # full run (a few minutes: mlr is slow)
#   N=100000 sh bench/window.sh       # quick
#
# Environment:
#   N         records in the input (1000000)
#   RUNS      timed runs per command; default: at least 3, and as many as
#             fit in about 3 seconds (so mlr runs 3 times)
#   WARMUP    untimed runs per command first (1)
#   MLOG_BIN  directory holding mwindow (bin)
#
# The Miller pipeline takes the minute as the first 16 characters of the
# timestamp (substr is 0-based and inclusive in Miller 6).  Parsing the time
# as mwindow does (sec2gmt(strptime($ts, ...) // 60 * 60)) gives the same
# windows but makes mlr about 1.5 times slower, so the faster form is the
# one timed.
#
# What the checks compare, on every window and host, before any timing:
#   count   mwindow = mlr = the reference (below), exactly
#   avg     mwindow's avg = mlr's mean, to a relative 1e-9 (both print a
#           double; the digits need not be the same)
#   p99     mwindow's p99 within 0.5% of the exact nearest-rank value (the
#           value at 1-based rank ceil(0.99 n) in ascending order, as
#           mwindow(1) defines it), computed by sort and awk.  mlr's p99 is
#           the value at 1-based rank int(0.99 n) + 1 (Miller's
#           non-interpolated percentile), a rank higher where 0.99 n is a
#           whole number; it must equal the reference at that rank, which
#           shows that both tools computed their percentile over the same
#           values.  The report says how many windows the two definitions
#           disagree on.
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
need hyperfine jq sort awk
command -v mlr >/dev/null 2>&1 ||
	die "mlr not found (make deps, or apt-get install -y miller)"
need_time

copy_bins bin-window mwindow
scratch window-tmp
stamp

# ---------------------------------------------------------------- data
weblog

# The command, and Miller's nearest equivalent.
wargs='--tumbling 1m --time .ts --by .host -a count,avg:.latency_ms,p99:.latency_ms'
# shellcheck disable=SC2016 # mlr's $field, not a shell variable
mput='$minute = substr($ts, 0, 15)'
mstats='stats1 -a count,mean,p99 -f latency_ms -g minute,host'

# ---------------------------------------------------------------- checks
log "checking mwindow against mlr and an exact reference ($records records, $mb MB)"
# The check runs also give mlr's peak RSS (one run: it takes long).
# shellcheck disable=SC2086 # $wargs and $mstats are word lists
"$bin/mwindow" $wargs "$file" > "$tmp/mwindow.jsonl" 2> "$tmp/mwindow.err" ||
	die "mwindow failed (exit $?): $(cat "$tmp/mwindow.err")"
[ ! -s "$tmp/mwindow.err" ] ||
	die "mwindow wrote to standard error: $(head -n 5 "$tmp/mwindow.err")"
# shellcheck disable=SC1010,SC2086 # mlr's then, not the shell's
/usr/bin/time -f %M -o "$tmp/rss-mlr" \
	mlr --ijsonl --ojsonl put "$mput" then $mstats "$file" > "$tmp/mlr.jsonl" ||
	die "mlr failed (exit $?)"
rm_=$(tail -n 1 "$tmp/rss-mlr")

jq -r '[(.window_start | if type == "string" then .[0:16] else error("window_start is not a string") end),
	.host, .count, .avg_latency_ms, .p99_latency_ms] | @tsv' \
	"$tmp/mwindow.jsonl" > "$tmp/mwindow.tsv" ||
	die "mwindow's rows do not have the expected fields (first: $(head -n 1 "$tmp/mwindow.jsonl"))"
jq -r '[.minute, .host, .latency_ms_count, .latency_ms_mean, .latency_ms_p99] | @tsv' \
	"$tmp/mlr.jsonl" > "$tmp/mlr.tsv" ||
	die "mlr's rows do not have the expected fields"

# The reference: every latency of each minute and host, sorted, and per
# group its count, sum, value at rank ceil(0.99 n) and value at Miller's
# rank int(0.99 n) + 1 (computed the way Miller does, 0.99 * n in doubles).
# The generator writes keys in a fixed order, compactly: ts is the 4th
# "-separated field, host the 8th.
LC_ALL=C awk -F'"' '{
	match($0, /"latency_ms":-?[0-9]+/)
	print substr($4, 1, 16) "\t" $8 "\t" substr($0, RSTART + 13, RLENGTH - 13)
}' "$file" | LC_ALL=C sort -t "$(printf '\t')" -k1,1 -k2,2 -k3,3n |
	awk -F'\t' '
	function flush(   r, m) {
		r = int((99 * n + 99) / 100)
		m = int(99 / 100 * n) + 1
		if (m > n)
			m = n
		printf "%s\t%s\t%d\t%.0f\t%s\t%s\n", g1, g2, n, sum, v[r], v[m]
	}
	$1 != g1 || $2 != g2 {
		if (n)
			flush()
		g1 = $1
		g2 = $2
		n = 0
		sum = 0
	}
	{
		v[++n] = $3
		sum += $3
	}
	END {
		if (n)
			flush()
	}' > "$tmp/ref.tsv"

# Compare; the summary line is "groups differ maxerr exact".
awk -F'\t' -v out="$tmp/summary" '
	FILENAME == ARGV[1] {
		k = $1 FS $2
		rn[k] = $3; rsum[k] = $4; rp[k] = $5; rm[k] = $6
		next
	}
	FILENAME == ARGV[2] {
		k = $1 FS $2
		if (k in mc) { print "mlr: two rows for " k; bad++ }
		mc[k] = $3; mavg[k] = $4; mp[k] = $5
		next
	}
	{
		k = $1 FS $2
		if (k in wc) { print "mwindow: two rows for " k; bad++ }
		wc[k] = $3; wavg[k] = $4; wp[k] = $5
	}
	function abs(x) { return x < 0 ? -x : x }
	function report(s) { if (++bad <= 20) print s }
	END {
		for (k in rn) {
			if (!(k in wc)) { report("mwindow: no row for " k); continue }
			if (!(k in mc)) { report("mlr: no row for " k); continue }
			groups++
			if (wc[k] != rn[k] || mc[k] != rn[k])
				report(k ": count: mwindow " wc[k] ", mlr " mc[k] ", reference " rn[k])
			mean = rsum[k] / rn[k]
			if (abs(mavg[k] - mean) > 1e-9 * abs(mean))
				report(k ": mlr mean " mavg[k] ", reference " mean)
			if (abs(wavg[k] - mavg[k]) > 1e-9 * abs(mavg[k]))
				report(k ": avg: mwindow " wavg[k] ", mlr " mavg[k])
			if (mp[k] != rm[k])
				report(k ": mlr p99 " mp[k] " is not the value at rank int(0.99 n) + 1, " rm[k])
			if (rp[k] != rm[k])
				differ++
			e = abs(wp[k] - rp[k])
			if (e > 0.005 * abs(rp[k]) * (1 + 1e-9))
				report(k ": p99: mwindow " wp[k] ", exact nearest rank " rp[k] " (n " rn[k] ")")
			if (rp[k] != 0 && e / abs(rp[k]) > maxerr)
				maxerr = e / abs(rp[k])
			if (e == 0)
				exact++
		}
		for (k in wc)
			if (!(k in rn)) report("mwindow: row for " k " which has no records")
		for (k in mc)
			if (!(k in rn)) report("mlr: row for " k " which has no records")
		if (bad > 20)
			print "... " bad " differences in all"
		printf "%d %d %.4f %d\n", groups, differ, maxerr * 100, exact > out
		exit bad > 0
	}' "$tmp/ref.tsv" "$tmp/mlr.tsv" "$tmp/mwindow.tsv" >&2 || {
	cp "$tmp/mwindow.jsonl" "$data/window-diff-mwindow.jsonl"
	cp "$tmp/mlr.jsonl" "$data/window-diff-mlr.jsonl"
	cp "$tmp/ref.tsv" "$data/window-diff-ref.tsv"
	die "outputs differ (kept in $data/window-diff-*)"
}
read -r groups differ maxerr exact < "$tmp/summary"
echo "$groups windows x hosts: counts and averages agree; p99 within 0.5% of exact (max error $maxerr%, $exact exact)" >&2
rm -f "$tmp"/*

# ---------------------------------------------------------------- timing
B=$(q "$bin")
F=$(q "$file")

log "mwindow $wargs"
timed window-tumbling 3 \
	-n "mwindow" "$B/mwindow $wargs $F > /dev/null" \
	-n "mlr" "mlr --ijsonl --ojsonl put $(q "$mput") then $mstats $F > /dev/null"

# ---------------------------------------------------------------- memory
log "peak RSS, median of 3"
# shellcheck disable=SC2086
rss "$bin/mwindow" $wargs "$file" > "$tmp/r1"
rw=$(cat "$tmp/r1")
echo "mwindow $rw KiB, mlr $rm_ KiB" >&2

# ---------------------------------------------------------------- report
# rps SECONDS: records/s, "3.41M" or "41k"
rps() {
	awk -v s="$1" -v n="$records" 'BEGIN {
		r = n / s
		if (r >= 1e6) printf "%.2fM", r / 1e6; else printf "%.0fk", r / 1e3
	}'
}

sw=$(med "$res/window-tumbling.json" 0)
sl=$(med "$res/window-tumbling.json" 1)
x=$(calc "$sl / $sw" 1)
v1=$(verdict "$records / $sw >= 3e6")
v2=$(verdict "$sl / $sw >= 20")
tally "$v1" "$v2"

heading "mwindow benchmark" "$(mlr --version), hyperfine $(
    hyperfine --version | awk '{ print $2 }'), $(jq --version) (checks only)"
cat <<EOF
- data: $records records, $mb MB ($(calc "$bytes / $records" 0) bytes/record,
  bench/weblog.sh), $groups rows (minutes x hosts); page cache warm
- median of hyperfine runs (warmup $warmup, ${runs:-at least 3} timed runs per
  command); records/s = records / median; ratio = mlr's time / mwindow's
  time, so 20x means 20 times faster
- outputs checked before timing, on every minute and host: count equal
  (mwindow, mlr and a sort/awk reference), avg = mlr's mean to a relative
  1e-9, mwindow's p99 within 0.5% of the exact nearest-rank value (rank
  ceil(0.99 n); largest error $maxerr%, $exact of $groups exact); mlr's p99 is the
  value at rank int(0.99 n) + 1 and matched the reference at that rank;
  the two rank definitions give different values in $differ of $groups rows

| case | tool | median | records/s | ratio | target | result |
|---|---|---|---|---|---|---|
| tumbling 1m by host: count, avg, p99 | mwindow | $(t "$sw") | $(rps "$sw") | | >= 3M records/s | $v1 |
| | mlr | $(t "$sl") | $(rps "$sl") | ${x}x | >= 20x | $v2 |
| peak RSS | mwindow (median of 3) | $(kib "$rw") MiB | | | reported | |
| | mlr (1 run) | $(kib "$rm_") MiB | | | reported | |

$met of $total targets met.

Commands (D = bench/data, B = binary copied from ${MLOG_BIN:-bin}, input
D/weblog-$records.jsonl as a file operand, output to /dev/null):

- \`B/mwindow $wargs D/weblog-$records.jsonl\`
- \`mlr --ijsonl --ojsonl put '$mput' then $mstats D/weblog-$records.jsonl\`
- peak RSS: \`/usr/bin/time -f %M\` around the same commands
EOF

# common.sh: what the benchmark scripts (all but the data generators gen.sh,
# weblog.sh and joindata.sh) share, sourced by each after it sets $here,
# its own directory:
#
#   here=$(cd "$(dirname "$0")" && pwd)
#   . "$here/common.sh"
#
# Sourcing only defines functions and the places every script uses: $root
# (the source tree), $data (bench/data: inputs, copied binaries, scratch)
# and $res (bench/data/results: hyperfine's JSON and markdown).  The
# functions read the script's own settings where they need them: $srcbin
# (MLOG_BIN), $runs and $warmup (timed), $records (weblog), $tmp (rss) and
# $bytes (mbs).
# shellcheck shell=sh disable=SC2034,SC2154 # the scripts set and read these

root=$(dirname "$here")
data=$here/data
res=$data/results

die() {
	echo "bench/${0##*/}: $*" >&2
	exit 1
}

log() {
	printf '\n==> %s\n' "$*" >&2
}

# ---------------------------------------------------------------- setup
# positive WHAT VALUE...: every VALUE must be a positive integer.
positive() {
	_what=$1
	shift
	for _v; do
		case $_v in
		''|*[!0-9]*|0) die "$_what must be positive integers: $_v" ;;
		esac
	done
}
# nonnegative WHAT VALUE
nonnegative() {
	case $2 in
	''|*[!0-9]*) die "$1 must be a non-negative integer: $2" ;;
	esac
}
# need TOOL...: every TOOL must be on the PATH.
need() {
	for _t; do
		command -v "$_t" >/dev/null 2>&1 ||
			die "$_t not found (make deps, or apt-get install -y $_t)"
	done
}
# need_time: GNU time measures peak RSS (rss below).
need_time() {
	[ -x /usr/bin/time ] ||
		die "/usr/bin/time not found (apt-get install -y time): needed for peak RSS"
}

# copy_bins DIR PROG...: copy each PROG from $srcbin into $data/DIR, which
# becomes $bin; a PROG missing from $srcbin ends the run.  The run works on
# the copy: a rebuild during the run must not mix two versions into one
# report.  Makes $data and $res too.
copy_bins() {
	_dir=$1
	shift
	for _p; do
		[ -x "$srcbin/$_p" ] ||
			die "$srcbin/$_p missing: run make first (or set MLOG_BIN)"
	done
	mkdir -p "$data" "$res"
	bin=$data/$_dir
	rm -rf "$bin"
	mkdir -p "$bin"
	for _p; do
		cp "$srcbin/$_p" "$bin/"
	done
}
# scratch DIR: an empty $data/DIR as $tmp, removed on exit.
scratch() {
	tmp=$data/$1
	rm -rf "$tmp"
	mkdir -p "$tmp"
	trap 'rm -rf "$tmp"' EXIT
}
# stamp: $load0, the load average at the start, and $rev, the commit
# measured ("+local changes" when lib or cmd differ from it).
stamp() {
	load0=$(loadavg)
	rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
	if [ -n "$(git -C "$root" status --porcelain -- lib cmd 2>/dev/null)" ]; then
		rev="$rev+local changes"
	fi
}

# generate FILE LINES WHAT CMD...: unless FILE holds LINES lines (inputs
# are made once and kept in $data), write the output of CMD into it,
# through a temporary file: an interrupted run leaves no partial FILE.
generate() {
	_f=$1
	_n=$2
	_w=$3
	shift 3
	if [ ! -s "$_f" ] || [ "$(lines "$_f")" != "$_n" ]; then
		log "generating $_w"
		"$@" > "$_f.tmp.$$"
		mv "$_f.tmp.$$" "$_f"
	fi
}

# weblog: $file, $records web-log records from bench/weblog.sh (made once,
# kept in $data), and its size: $bytes, and $mb in MB.
weblog() {
	file=$data/weblog-$records.jsonl
	generate "$file" "$records" "$records web-log records" \
		sh "$here/weblog.sh" "$records" -
	bytes=$(wc -c < "$file" | tr -d ' ')
	mb=$(calc "$bytes / 1e6" 1)
}

# ---------------------------------------------------------------- timing
hf() {
	hyperfine --style basic "$@" >&2
}
# timed NAME MIN HYPERFINE-ARGS...: hyperfine with $warmup untimed runs
# and $runs timed runs if given, else at least MIN (hyperfine adds runs up
# to about 3 seconds per command); results in $res/NAME.json and .md.
timed() {
	_name=$1
	_min=$2
	shift 2
	if [ -n "$runs" ]; then
		_ro=--runs
		_rn=$runs
	else
		_ro=--min-runs
		_rn=$_min
	fi
	hf --warmup "$warmup" "$_ro" "$_rn" \
		--export-json "$res/$_name.json" \
		--export-markdown "$res/$_name.md" \
		"$@"
}
# q STRING: STRING quoted for sh -c inside hyperfine.
q() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}
# rss CMD...: median of 3 peak resident set sizes, in KiB.
rss() {
	: > "$tmp/rss-all"
	for _ in 1 2 3; do
		/usr/bin/time -f %M -o "$tmp/rss" "$@" > /dev/null ||
			die "failed: $*"
		tail -n 1 "$tmp/rss" >> "$tmp/rss-all"
	done
	sort -n "$tmp/rss-all" | sed -n 2p
}

# ---------------------------------------------------------------- report
# med FILE N: median of the Nth result of a hyperfine JSON export.
med() {
	jq -r ".results[$2].median" "$1"
}
# calc EXPR: floating point arithmetic, printed with %.Nf (default 2).
calc() {
	awk -v p="${2:-2}" "BEGIN { printf \"%.\" p \"f\", $1 }"
}
verdict() {
	if [ "$(awk "BEGIN { print ($1) ? 1 : 0 }")" = 1 ]; then
		echo "ok"
	else
		echo "**MISSED**"
	fi
}
# tally VERDICT...: $met of $total targets met.
tally() {
	met=0
	total=0
	for _v; do
		total=$((total + 1))
		if [ "$_v" = ok ]; then
			met=$((met + 1))
		fi
	done
}
lines() {
	wc -l < "$1" | tr -d ' '
}
# t SECONDS: "212 ms" or "8.14 s"
t() {
	awk -v s="$1" 'BEGIN {
		if (s < 1) printf "%.0f ms", s * 1000; else printf "%.2f s", s
	}'
}
# mbs SECONDS: MB/s for $bytes in that time.
mbs() {
	calc "$bytes / $1 / 1e6" 0
}
kib() {
	calc "$1 / 1024" 1
}
loadavg() {
	cut -d" " -f1-3 /proc/loadavg
}
# heading TITLE [VERSIONS]: the top of a report: TITLE, the machine, the
# date, the commit measured and VERSIONS (of the other tools), the load.
heading() {
	printf '\n## %s\n\n- machine: %s\n' "$1" "$(machine)"
	printf -- '- date: %s; mstreams %s%s\n' \
	    "$(date -u '+%Y-%m-%d %H:%M UTC')" "$rev" "${2:+; $2}"
	printf -- '- load average (1, 5, 15 min) at start: %s; at end: %s\n' \
	    "$load0" "$(loadavg)"
	echo '  (other work running on the machine skews the timings)'
}
# machine: "8 cores, CPU model, Linux 6.1.0"
machine() {
	_cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	printf '%s cores, %s, Linux %s\n' "$(nproc)" "${_cpu:-unknown}" "$(uname -r)"
}

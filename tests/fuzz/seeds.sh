#!/bin/sh
# Seed corpora for make fuzz, made from the repository rather than kept in
# it, one DIR/seed-NAME per target:
#   expr     one PROGRAM NUL INPUT file per case of tests/fixtures/expr/
#   jscan    the cases' inputs and the lines of sample/app.jsonl
#   segment, index, offsets, meta
#            the files of a small log that BIN/mlog-append and
#            BIN/mlog-tail make from sample/app.jsonl (segments, indexes,
#            a group's offsets, metadata), laid out as each target reads
#            its input (see the targets' headers)
#   time     the literal times and durations below
#   linesrc  lines of sample/app.jsonl, logfmt, text and regex inputs
# Run from the top of the tree (make fuzz does).
set -eu

dir=${1:?usage: seeds.sh DIR [BIN]}
bin=${2:-bin}
split='--8<--'
for t in expr jscan segment index offsets meta time linesrc; do
	rm -rf "$dir/seed-$t"
	mkdir -p "$dir/seed-$t"
done

for f in tests/fixtures/expr/*.cases tests/fixtures/expr/deviations; do
	name=$(basename "$f" .cases)
	# EXPR<TAB>INPUT[<TAB>...]; # comments and blank lines
	grep -v '^#' "$f" | grep -v '^$' | {
		n=0
		while IFS='	' read -r prog input rest; do
			n=$((n + 1))
			printf '%s\000%s' "$prog" "$input" \
			    >"$dir/seed-expr/$name-$n"
			printf '%s' "$input" >"$dir/seed-jscan/$name-$n"
		done
	}
done
n=0
while IFS= read -r line; do
	n=$((n + 1))
	printf '%s' "$line" >"$dir/seed-jscan/app-$n"
done <sample/app.jsonl

# The small log: segments of about 1 KiB, some records with keys, a
# group that read some of it and has more pending.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log
head -n 24 sample/app.jsonl | "$bin/mlog-append" -s 1024 -y never "$log"
sed -n '25,36p' sample/app.jsonl | sed 's/^/user42 /' |
	"$bin/mlog-append" -K ' ' -y never "$log"
"$bin/mlog-tail" -g nightly -c 10 "$log" >/dev/null
"$bin/mlog-tail" -g nightly -c 5 -m pending "$log" >/dev/null

# FLAGS, then the files in order, FUZZ_SPLIT between them.
pack() {
	out=$1 flags=$2
	shift 2
	{
		printf "\\$flags"
		first=1
		for f in "$@"; do
			[ $first = 1 ] || printf '%s\n' "$split"
			first=0
			[ -f "$f" ] && cat "$f"
		done
	} >"$out"
}

set -- "$log"/p0/*.log
prev=""
n=0
for seg in "$@"; do
	n=$((n + 1))
	idx=${seg%.log}.idx
	if [ -n "$prev" ]; then
		pack "$dir/seed-segment/pair-$n" 000 "$prev" "${prev%.log}.idx" \
		    "$seg" "$idx"
		pack "$dir/seed-segment/pair-mend-$n" 003 "$prev" /dev/null \
		    "$seg"
	fi
	pack "$dir/seed-segment/one-$n" 000 "$seg"
	before=$prev
	prev=$seg
done
head -c -7 "$seg" >"$tmp/torn"
pack "$dir/seed-segment/torn" 000 "$before" /dev/null "$tmp/torn"
pack "$dir/seed-segment/torn-repair" 010 "$before" /dev/null "$tmp/torn"
pack "$dir/seed-segment/torn-write" 020 "$before" /dev/null "$tmp/torn"

# index: lookups, then an index of the target's own segment (any index
# file is as good a start as another)
printf '\000\000\000\000\000\000\000\000mlogidx1\000\000\000\000\000\000\000\000' \
    >"$dir/seed-index/empty"
printf '\003\000\000\000\000\000\000\000mlogidx1\000\000\000\000\000\000\000\000\000\000\000\000\030\000\000\000\000\000\000\000\000\000\000\000' \
    >"$dir/seed-index/one"

g=$log/groups/nightly
pack "$dir/seed-offsets/group" 001 "$g/offsets" "$g/offsets.pending"
pack "$dir/seed-offsets/committed" 004 "$g/offsets"
printf '\002mlog-offsets 1\n0 3\n1 9 1772442000000000\n7 1\n' \
    >"$dir/seed-offsets/parts"

printf 'start 3\n' >"$tmp/start"
pack "$dir/seed-meta/log" 000 "$log/meta"
pack "$dir/seed-meta/start" 000 "$log/meta" "$tmp/start"
printf '\000mlog 1\npartitions 2\nsegment-bytes 1024\nsegment-age-ms 1000\nretain-age-ms 60000\nretain-bytes 4096\n' \
    >"$dir/seed-meta/retain"

n=0
for s in 2026-03-02T09:00:00Z 2026-03-02T09:00:00.123456Z \
    1970-01-01T00:00:00Z 0000-01-01T00:00:00Z 9999-12-31T23:59:59.999999Z \
    '2026-03-02 09:00:00+01:00' 2026-03-02t09:00:00,5-05:30 2024-02-29T00:00 \
    2026-03-02 1772442000 1772442000123 1772442000123456 \
    1772442000123456789 1.5 now -1h +30m -90s 500ms 10s 5m 2h 7d 1w 3us \
    250ns 1.5h .5s 0 128M 1K 1G; do
	n=$((n + 1))
	printf '%s' "$s" >"$dir/seed-time/t$n"
done
printf '\000\000\000\000\000\000\000\000' >"$dir/seed-time/epoch"

# linesrc: FLAGS (format in the low bits, see linesrc.c), then the lines
n=0
while IFS= read -r line; do
	n=$((n + 1))
	[ $n -le 20 ] || break
	printf '\000%s\n' "$line" >"$dir/seed-linesrc/json-$n"
done <sample/app.jsonl
printf '\001%s\n' 'ts=2026-03-02T09:00:00Z level=error msg="upstream \"x\" timeout" ms=512 retry' \
    'ts=2026-03-02T09:00:01Z level=info msg=ok ms=12' >"$dir/seed-linesrc/logfmt"
printf '\011%s\n' 'ms=512 ok=true' 'ms=12 ok=false' 'ms=1.5e3 ok=null' 'ms=-3' \
    >"$dir/seed-linesrc/logfmt-infer"
printf '\002%s\n' 'GET / timeout after 3s' 'GET / ok' '"quoted" \ timeout' \
    >"$dir/seed-linesrc/text"
printf '\013%s\n' '^(?<ip>\S+) (?<method>\S+) (?<path>\S+) (?<status>\d+)$' \
    '1.2.3.4 GET /x 500' 'garbage' '5.6.7.8 POST /y 502' \
    >"$dir/seed-linesrc/regex"
printf '\004%s\n' '{"offset":0,"partition":0,"timestamp":1772442000138000,"key":null,"value":"{\"ts\":1}"}' \
    '{"key":"k","value":null}' >"$dir/seed-linesrc/envelope"

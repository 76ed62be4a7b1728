#!/bin/sh
# join.sh: mjoin side by side with the tools a user would otherwise reach
# for, in one run (bench/joindata.sh makes the inputs):
#
#   stream-table  N web-log records, each with a user id drawn from USERS
#                 ids, joined with a USERS-row table of users (name, plan,
#                 country; 5% of the events have no row): mjoin vs
#                 `mlr join` and a jq lookup object
#   interval      two streams of N/2 records each (times increasing, a
#                 session id from KEYS), every pair of the same session at
#                 most 5 s apart: mjoin vs sqlite3 (an in-memory database
#                 with an index on session and time), when installed
#
# Prints a markdown report on standard output; hyperfine's progress goes to
# standard error.  Raw results (hyperfine JSON and markdown) are kept in
# bench/data/results/.  A speed check, not a test: misses are reported, the
# exit status is 0 unless something could not run or a tool's output was
# wrong.
#
#   sh bench/join.sh                  # full run (several minutes: mlr and jq are slow)
#   N=100000 sh bench/join.sh         # quick
#
# Environment:
#   N         records in the stream-table join's stream, and in both
#             streams of the interval join together (1000000)
#   USERS     keys in the table; the stream's user ids are drawn from as
#             many (100000)
#   KEYS      sessions of the interval join (2000: about 2.5 partners a
#             record)
#   RUNS      timed runs per command; default: at least 3, and as many as
#             fit in about 3 seconds (so mlr and jq run 3 times)
#   WARMUP    untimed runs per command first (1)
#   MLOG_BIN  directory holding mjoin (bin)
#
# Miller 6's join loads the file given with -f (the "left" file: here the
# table) into memory and streams the others (the events) past it; -l and -r
# name the key on each side, -j the name it gets in the output, and only
# paired records are written by default: the inner join.  jq 1.6's
# INDEX(stream; f) builds its object with |=, which copies the object at
# every row (minutes for 100k rows): the jq program builds the lookup
# object with reduce and plain assignment instead, once, and then reads
# the events with inputs.  `. + $row + .` merges as mjoin does: the event's
# members first and winning a clash, then the row's others.
#
# What the checks compare, before any timing:
#   stream-table  mjoin = jq byte for byte, on every record; mjoin = mlr on
#                 every record after both are normalised by `jq -S -c`
#                 (sorted keys; mjoin's copy of the table's id removed, as
#                 mlr writes the key once) and sorted; the record count =
#                 a reference count by awk (events whose user has a row)
#   interval      the pairs (left lid, right rid) with the right record's
#                 target and value_cents and the left's session and ts, of
#                 mjoin, of sqlite3 and of an awk reference (a sliding
#                 window per session over the two time-ordered files) are
#                 the same set; a pair's times may differ by exactly 5 s
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"

records=${N:-1000000}
users=${USERS:-100000}
keys=${KEYS:-2000}
runs=${RUNS:-}
warmup=${WARMUP:-1}
srcbin=${MLOG_BIN:-$root/bin}

positive "N, USERS, KEYS and RUNS" "$records" "$users" "$keys" ${runs:+"$runs"}
[ "$records" -ge 2 ] || die "N must be at least 2 (two streams of N/2)"
nonnegative WARMUP "$warmup"
need hyperfine jq sort awk
command -v mlr >/dev/null 2>&1 ||
	die "mlr not found (make deps, or apt-get install -y miller)"
need_time
have_sqlite=no
command -v sqlite3 >/dev/null 2>&1 && have_sqlite=yes

copy_bins bin-join mjoin
scratch join-tmp
stamp

# ---------------------------------------------------------------- data
half=$((records / 2))
# gen FILE LINES KIND ARG...: FILE from bench/joindata.sh KIND ARG... unless
# it is there with LINES lines (made once, kept in $data).
gen() {
	_f=$1
	_n=$2
	shift 2
	generate "$_f" "$_n" "$_f" sh "$here/joindata.sh" "$@" -
}
events=$data/join-events-$records-$users.jsonl
table=$data/join-users-$users.jsonl
left=$data/join-left-$half-$keys.jsonl
right=$data/join-right-$half-$keys.jsonl
gen "$events" "$records" events "$records" "$users"
gen "$table" "$users" users "$users"
gen "$left" "$half" left "$half" "$keys"
gen "$right" "$half" right "$half" "$keys"
bytes=$(wc -c < "$events" | tr -d ' ')
mb=$(calc "$bytes / 1e6" 1)
tbytes=$(wc -c < "$table" | tr -d ' ')
ibytes=$(($(wc -c < "$left") + $(wc -c < "$right")))

# The commands, and the competitors' equivalents.
targs='--on .user --table'
tkey='--table-key .id'
margs='--ijsonl --ojsonl join -u -l id -r user -j user -f'
# shellcheck disable=SC2016 # jq's $variables, not the shell's
jt='(reduce $t[] as $row ({}; .[$row.id | tostring] = $row)) as $u | inputs | $u[.user | tostring] as $row | select($row) | . + $row + .'
iargs='--on .session --time .ts --within 5s --right'

# The interval join in SQL: the right stream in a table indexed on
# (session, time in ms), each left record looked up in it by a range.
# json_patch(right, left) keeps the left record's members on a clash.
ms() {
	printf "CAST(round((julianday(json_extract(j, '\$.ts')) - 2440587.5) * 86400000) AS INTEGER)"
}
sql=$tmp/interval.sql
cat > "$sql" <<EOF
.mode ascii
.separator "\\037" "\\n"
CREATE TABLE l(j TEXT);
CREATE TABLE r(j TEXT);
.import "$left" l
.import "$right" r
CREATE TABLE rk AS SELECT json_extract(j, '\$.session') AS k, $(ms) AS t, j FROM r;
CREATE INDEX rk_kt ON rk(k, t);
.mode list
SELECT json_patch(rk.j, l.j)
FROM (SELECT json_extract(j, '\$.session') AS k, $(ms) AS t, j FROM l) AS l
JOIN rk ON rk.k = l.k AND rk.t BETWEEN l.t - 5000 AND l.t + 5000;
EOF

# ---------------------------------------------------------------- checks
# run NAME CMD...: run a command into $tmp/NAME, dying if it fails.
run() {
	_name=$1
	shift
	"$@" > "$tmp/$_name" || die "failed (exit $?): $*"
}
# same A B WHAT: the two outputs must be equal.
same() {
	_na=$(lines "$tmp/$1")
	_nb=$(lines "$tmp/$2")
	[ "$_na" = "$_nb" ] ||
		die "$3: $1 gave $_na records, $2 gave $_nb"
	if ! cmp -s "$tmp/$1" "$tmp/$2"; then
		cp "$tmp/$1" "$data/join-diff-$1"
		cp "$tmp/$2" "$data/join-diff-$2"
		die "$3: $1 and $2 gave $_na records each, but different ones (kept in $data/join-diff-$1 and $data/join-diff-$2)"
	fi
	echo "$3: $_na records, same output" >&2
}

log "checking the stream-table join against jq, mlr and awk ($records records, $mb MB; $users rows)"
# The check runs also give mlr's and jq's peak RSS (one run each: they
# take long).
# shellcheck disable=SC2086 # $targs, $tkey and $margs are word lists
"$bin/mjoin" --stats $targs "$table" $tkey "$events" > "$tmp/mjoin" 2> "$tmp/mjoin.err" ||
	die "mjoin failed (exit $?): $(cat "$tmp/mjoin.err")"
sed 's/^/  /' "$tmp/mjoin.err" >&2
/usr/bin/time -f %M -o "$tmp/rss-jq" \
	jq -nc --slurpfile t "$table" "$jt" "$events" > "$tmp/jq" ||
	die "jq failed (exit $?)"
rj_=$(tail -n 1 "$tmp/rss-jq")
same mjoin jq "stream-table join, mjoin and jq"
rm -f "$tmp/jq"
# shellcheck disable=SC2086
/usr/bin/time -f %M -o "$tmp/rss-mlr" \
	mlr $margs "$table" "$events" > "$tmp/mlr" ||
	die "mlr failed (exit $?)"
rm_=$(tail -n 1 "$tmp/rss-mlr")
jq -S -c 'del(.id)' "$tmp/mjoin" | LC_ALL=C sort > "$tmp/mjoin-n" ||
	die "mjoin's output is not JSON"
jq -S -c . "$tmp/mlr" | LC_ALL=C sort > "$tmp/mlr-n" ||
	die "mlr's output is not JSON"
same mjoin-n mlr-n "stream-table join, mjoin and mlr (normalised)"
matched=$(lines "$tmp/mjoin")
ref=$(LC_ALL=C awk -F'[:,]' '
	FILENAME == ARGV[1] { row[$2]; next }
	match($0, /"user":[0-9]+/) && substr($0, RSTART + 7, RLENGTH - 7) in row { n++ }
	END { print n + 0 }' "$table" "$events")
[ "$matched" = "$ref" ] ||
	die "stream-table join: mjoin gave $matched records, the awk reference counts $ref events with a row"
echo "stream-table join: $matched of $records events have a row (awk agrees)" >&2
rm -f "$tmp/mjoin" "$tmp/mlr" "$tmp/mjoin-n" "$tmp/mlr-n"

log "checking the interval join against $( [ "$have_sqlite" = yes ] && echo "sqlite3 and ")awk (2 x $half records, $keys sessions)"
# pairs NAME: the pairs of the join output $tmp/NAME, one per line, sorted.
pairs() {
	jq -r '[.lid, .rid, .target, .value_cents, .session, .ts] | @tsv' "$tmp/$1" |
		LC_ALL=C sort > "$tmp/$1-p" || die "$1's output lacks the expected members"
}
# shellcheck disable=SC2086 # $iargs is a word list
"$bin/mjoin" --stats $iargs "$right" "$left" > "$tmp/imjoin" 2> "$tmp/mjoin.err" ||
	die "mjoin failed (exit $?): $(cat "$tmp/mjoin.err")"
sed 's/^/  /' "$tmp/mjoin.err" >&2
pairs imjoin
npairs=$(lines "$tmp/imjoin")
rm -f "$tmp/imjoin"
# The reference.  The generator writes keys in a fixed order, compactly:
# split at ", ts is the 4th field and session the 8th; the 11th is
# ":lid," or ":rid,"; a right record's target is the 18th and its
# value_cents the 21st (":123}").  Times are within March 2024.
LC_ALL=C awk -F'"' '
	function ms(s) {
		d = (substr(s, 9, 2) * 24 + substr(s, 12, 2)) * 60 + substr(s, 15, 2)
		return (d * 60 + substr(s, 18, 2)) * 1000 + substr(s, 21, 3)
	}
	function num(s) {
		gsub(/[^0-9]/, "", s)
		return s
	}
	FILENAME == ARGV[1] {
		k = $8
		c = ++n[k]
		rt[k, c] = ms($4)
		rv[k, c] = num($11) "\t" $18 "\t" num($21)
		next
	}
	{
		k = $8
		t = ms($4)
		if (!(k in lo))
			lo[k] = 1
		while (lo[k] <= n[k] && rt[k, lo[k]] < t - 5000)
			lo[k]++
		for (j = lo[k]; j <= n[k] && rt[k, j] <= t + 5000; j++)
			print num($11) "\t" rv[k, j] "\t" k "\t" $4
	}' "$right" "$left" | LC_ALL=C sort > "$tmp/ref-p"
same imjoin-p ref-p "interval join, mjoin and awk (pairs)"
if [ "$have_sqlite" = yes ]; then
	/usr/bin/time -f %M -o "$tmp/rss-sqlite" \
		sqlite3 :memory: < "$sql" > "$tmp/isqlite" ||
		die "sqlite3 failed (exit $?)"
	rs_=$(tail -n 1 "$tmp/rss-sqlite")
	pairs isqlite
	rm -f "$tmp/isqlite"
	same imjoin-p isqlite-p "interval join, mjoin and sqlite3 (pairs)"
fi
rm -f "$tmp"/*-p

# ---------------------------------------------------------------- timing
B=$(q "$bin")
E=$(q "$events")
T=$(q "$table")

log "stream-table join: mjoin $targs ... $tkey"
timed join-table 3 \
	-n "mjoin" "$B/mjoin $targs $T $tkey $E > /dev/null" \
	-n "mlr" "mlr $margs $T $E > /dev/null" \
	-n "jq" "jq -nc --slurpfile t $T $(q "$jt") $E > /dev/null"

log "interval join: mjoin $iargs ..."
set --	# sqlite3, when installed, as a second command
if [ "$have_sqlite" = yes ]; then
	set -- -n "sqlite3" "sqlite3 :memory: < $(q "$sql") > /dev/null"
fi
timed join-interval 3 \
	-n "mjoin" "$B/mjoin $iargs $(q "$right") $(q "$left") > /dev/null" \
	"$@"

# ---------------------------------------------------------------- memory
log "peak RSS, median of 3"
# shellcheck disable=SC2086
rss "$bin/mjoin" $targs "$table" $tkey "$events" > "$tmp/r1"
# shellcheck disable=SC2086
rss "$bin/mjoin" $iargs "$right" "$left" > "$tmp/r2"
r1=$(cat "$tmp/r1")
r2=$(cat "$tmp/r2")
echo "mjoin $r1 KiB (table), $r2 KiB (interval); mlr $rm_ KiB, jq $rj_ KiB${rs_:+, sqlite3 $rs_ KiB}" >&2

# ---------------------------------------------------------------- report
# rps N SECONDS: N records/s, "3.41M" or "41k"
rps() {
	awk -v n="$1" -v s="$2" 'BEGIN {
		r = n / s
		if (r >= 1e6) printf "%.2fM", r / 1e6; else printf "%.0fk", r / 1e3
	}'
}

st=$(med "$res/join-table.json" 0)
sl=$(med "$res/join-table.json" 1)
sj=$(med "$res/join-table.json" 2)
si=$(med "$res/join-interval.json" 0)
xl=$(calc "$sl / $st" 1)
xj=$(calc "$sj / $st" 1)
v1=$(verdict "$records / $st >= 1e6")
v2=$(verdict "$sl / $st >= 10")
tally "$v1" "$v2"
if [ "$have_sqlite" = yes ]; then
	ss=$(med "$res/join-interval.json" 1)
	sqlite_row="| | sqlite3 (in-memory, index on session, time) | $(t "$ss") | $(rps "$records" "$ss") | $(calc "$ss / $si" 1)x | reported | |"
	sqlite_rss="| | sqlite3 (1 run) | $(kib "$rs_") MiB | | | reported | |"
	sqlite_ver="sqlite3 $(sqlite3 --version | awk '{ print $1 }'),"
else
	sqlite_row="| | sqlite3 | not installed | | | | |"
	sqlite_rss=""
	sqlite_ver=""
fi

heading "mjoin benchmark" "$(mlr --version), $(jq --version), $sqlite_ver hyperfine $(
    hyperfine --version | awk '{ print $2 }')"
cat <<EOF
- data (bench/joindata.sh): stream-table: $records events, $mb MB
  ($(calc "$bytes / $records" 0) bytes/record: bench/weblog.sh plus a user
  id drawn uniformly from 1..$users), table $users rows, $(calc "$tbytes / 1e6" 1) MB
  (ids chosen so that $matched events, $(calc "100 * $matched / $records" 1)%, have a row);
  interval: 2 x $half records, $(calc "$ibytes / 1e6" 1) MB, times 1-3 ms apart,
  $keys sessions, $npairs pairs within 5 s; page cache warm
- median of hyperfine runs (warmup $warmup, ${runs:-at least 3} timed runs per
  command); records/s = input records ($records stream records, or both
  interval streams together) / median, table loading included; ratio =
  other tool's time / mjoin's time, so 10x means 10 times faster
- outputs checked before timing: stream-table: mjoin = jq byte for byte,
  mjoin = mlr after \`jq -S -c\` (mjoin's copy of .id removed) and
  sorting, all $matched records, and the count = an awk reference;
  interval: the $npairs pairs (lid, rid, right's target and value_cents, left's
  session and ts) of mjoin = $( [ "$have_sqlite" = yes ] && echo "sqlite3's = ")an awk sliding-window
  reference's

| case | tool | median | records/s | ratio | target | result |
|---|---|---|---|---|---|---|
| stream-table: $records events x $users-row table, inner | mjoin | $(t "$st") | $(rps "$records" "$st") | | >= 1M records/s | $v1 |
| | mlr join | $(t "$sl") | $(rps "$records" "$sl") | ${xl}x | >= 10x | $v2 |
| | jq (lookup object) | $(t "$sj") | $(rps "$records" "$sj") | ${xj}x | reported | |
| interval: 2 x $half records, same session, within 5 s | mjoin | $(t "$si") | $(rps "$records" "$si") | | reported | |
$sqlite_row
| peak RSS | mjoin, stream-table (median of 3) | $(kib "$r1") MiB | | | reported | |
| | mlr (1 run) | $(kib "$rm_") MiB | | | reported | |
| | jq (1 run) | $(kib "$rj_") MiB | | | reported | |
| | mjoin, interval (median of 3) | $(kib "$r2") MiB | | | reported | |
$sqlite_rss

$met of $total targets met.

Commands (D = bench/data, B = binary copied from ${MLOG_BIN:-bin}, inputs as
file operands, output to /dev/null):

- \`B/mjoin $targs D/${table##*/} $tkey D/${events##*/}\`
- \`mlr $margs D/${table##*/} D/${events##*/}\`
- \`jq -nc --slurpfile t D/${table##*/} '$jt' D/${events##*/}\`
- \`B/mjoin $iargs D/${right##*/} D/${left##*/}\`
$( [ "$have_sqlite" = yes ] && printf '%s\n' "- \`sqlite3 :memory: < SQL\`, SQL being:" "" '```' && sed "s|$data/|D/|g" "$sql" && printf '%s\n' '```')
- peak RSS: \`/usr/bin/time -f %M\` around the same commands
EOF

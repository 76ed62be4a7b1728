#!/usr/bin/env bash
# soak.sh: kill -9 everything at random while a log is written, read, trimmed
# and compacted, then prove that no acknowledged record was lost.  Not part
# of make check or make bench: it runs for minutes and checks, not times.
#
#   bash bench/soak.sh                  # 10 minutes, a random seed
#   bash bench/soak.sh -d 60 -s 42 -k   # 1 minute, seed 42, keep the files
#   nice -n 10 bash bench/soak.sh -d 600 /var/tmp/soak
#
# Options: -d SECONDS of load (600), -s SEED (printed at the start; it fixes
# the random choices, not the timing, so a rerun repeats a run only roughly),
# -k keep DIR.  DIR, empty or new, holds the log, every process's output and
# stderr; by default a mktemp -d under ${TMPDIR:-/tmp}, removed after a
# clean run unless -k.  A DIR given is always kept.  MLOG_BIN (default bin/
# of this tree) names the binaries, copied into DIR/bin at the start.
#
# Load: a log of 4 partitions with 64K segments.  4 appender loops each feed
# `mlog-append -J -O` (writers 1 and 2 with -y always) envelopes
# {"key":K,"value":V}, V = {"w":W,"seq":N,"run":R}: writer W's N-th record,
# in the R-th run of its appender; 1-16 records every 10-100 ms, now and then
# a burst of up to 2047.  N goes on from the last ACKNOWLEDGED record, the
# last offset -O printed, so an unacknowledged N may be in the log twice, in
# different runs.  One record in four (N % 4 == 0) takes one of 16 hot keys,
# hot-0 .. hot-15, that compaction thins out; every other key, wW-N-rR, is
# unique.  Beside them: 3 members of group soak (`mlog-tail -g soak -f`), a
# follower without a group (`mlog-tail -f`, from the start at its first run,
# 500 records before the end of each partition at later ones),
# `mlog-trim -s 256K` and `mlog-compact` every 1-4 s.  Every process is
# restarted when it ends; a killer sends SIGKILL every 0.2-2 s to a running
# process of a kind chosen at random (appender, member, follower, trim,
# compact; for trim and compact, the next run, up to 50 ms after it starts).
# Each run of a process writes its own files: DIR/out/KIND-ID.RUN,
# DIR/err/KIND-ID.RUN, and the offsets an appender printed, DIR/ack/wW.R.
#
# At the end the appenders stop (end of input), trim and compact stop, the
# members catch up (up to 60 s) and get SIGTERM, and `mlog-tail -g soak -e`
# drains what the group still has not read.  Then, counting only complete
# lines of every output (a kill may cut the last one):
#  1. `mlog-check -q LOG` exits 0;
#  2. an acknowledged record, the Nth line `P O` printed by an appender run,
#     SHOULD HAVE BEEN DELIVERED unless
#       - it has a hot key and a record of the same key with a higher offset
#         in the same partition is known (acknowledged, printed by any reader
#         or left in the final log): compaction may have removed it; or
#       - its offset lies in a range said to be deleted before the group read
#         it: by mlog-trim ("group soak: partition P: N unread records
#         deleted (... start now S)": S-N .. S-1) or by a group reader
#         ("offsets A to B were deleted by retention"); trim keeps 256K per
#         partition, far more than the members lag, so these should be 0;
#     and it counts as delivered once a member or the drain printed its
#     partition and offset; moreover, unless compaction may have removed it,
#     it is still in the final log when its offset is not below the
#     partition's final start (the larger of pN/start and the first base);
#  3. every line printed for a partition and offset, by any reader, shows the
#     same key and value, those that were acknowledged there if any, and no
#     offset is acknowledged twice;
#  4. in each run's output of each member, of the drain, of the follower and
#     in the final log, offsets increase within each partition (a restarted
#     member may repeat what its predecessor printed after its last commit:
#     order is judged per run, duplicates are counted, not failed);
#  5. no process ended other than by our SIGKILL, at the end of its input or
#     by the final SIGTERM, except an mlog-compact that said a trim removed a
#     segment under it; after the drain the group's lag is 0.
# Prints a summary and exits 0, or the first violations and exits 1.
set -eu
shopt -s nullglob

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"

usage() {
	echo "usage: bash bench/soak.sh [-k] [-d seconds] [-s seed] [dir]" >&2
	exit 2
}

duration=600
seed=
keep=0
while getopts d:ks: opt; do
	case $opt in
	d) duration=$OPTARG ;;
	k) keep=1 ;;
	s) seed=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || usage
positive "-d" "$duration"
if [ -z "$seed" ]; then
	seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
	seed=$((seed % 2147483647))
fi
nonnegative "-s" "$seed"
srcbin=${MLOG_BIN:-$root/bin}

appenders=4
members=3
partitions=4
segsize=64K
retain=256K
fmt='%p %o %k %s\n'
progs="mlog-append mlog-tail mlog-trim mlog-compact mlog-check mlog-offset"

for _p in $progs; do
	[ -x "$srcbin/$_p" ] || die "$srcbin/$_p missing: run make first (or set MLOG_BIN)"
done
if [ $# = 1 ]; then
	dir=$1
	mkdir -p "$dir"
	[ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
	dir=$(cd "$dir" && pwd)
	keep=1
else
	dir=$(mktemp -d "${TMPDIR:-/tmp}/soak.XXXXXX")
fi
log=$dir/log
bin=$dir/bin
mkdir -p "$bin" "$dir/pids" "$dir/ack" "$dir/out" "$dir/err"
for _p in $progs; do
	cp "$srcbin/$_p" "$bin/"
done
: > "$dir/runs"
: > "$dir/status"
: > "$dir/kills"

# ---------------------------------------------------------------- helpers
# A fifo nobody writes to: `read -t` on it is a sleep without a fork.
mkfifo "$dir/nap"
exec 9<> "$dir/nap"
# nap MS: sleep MS milliseconds.
nap() {
	local t
	printf -v t '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
	read -r -t "$t" -u 9 _ || :
}
comm_of() {
	case $1 in
	append) echo mlog-append ;;
	member|follower) echo mlog-tail ;;
	trim) echo mlog-trim ;;
	compact) echo mlog-compact ;;
	esac
}
# key W N R: the key of writer W's record N in run R (the checker's awk has
# the same rule).
key() {
	if [ $(($2 % 4)) = 0 ]; then
		k=hot-$((($2 / 4 + $1 * 5) % 16))
	else
		k=w$1-$2-r$3
	fi
}

# ---------------------------------------------------------------- processes
# gen W R N: envelopes of writer W's records from N on, 1-16 at a time every
# 10-100 ms, and one time in 256 a burst of 256-2047 that spans segments,
# until the append stop flag; a killed mlog-append ends it with SIGPIPE.
gen() {
	local w=$1 r=$2 n=$3 b buf k
	RANDOM=$(((seed + w * 7919 + r * 104729) % 1000000007))
	while [ ! -e "$dir/stop.append" ]; do
		buf=
		b=$((RANDOM % 16 + 1))
		[ $((RANDOM % 256)) != 0 ] || b=$((256 + RANDOM % 1792))
		for (( ; b > 0; b--)); do
			key "$w" "$n" "$r"
			buf+="{\"key\":\"$k\",\"value\":\"{\\\"w\\\":$w,\\\"seq\\\":$n,\\\"run\\\":$r}\"}"$'\n'
			n=$((n + 1))
		done
		printf '%s' "$buf"
		nap $((10 + RANDOM % 91))
	done
}

# start_KIND ID RUN: start one run in the background, its pid in $child.
start_append() {
	local sync=interval
	[ "$1" -gt 2 ] || sync=always
	echo "$1 $2 $next_seq" >> "$dir/runs"
	gen "$1" "$2" "$next_seq" |
	    "$bin/mlog-append" -J -O -y "$sync" "$log" \
	    > "$dir/ack/w$1.$2" 2> "$dir/err/append-$1.$2" &
	child=$!
}
start_member() {
	"$bin/mlog-tail" -g soak -f -M -F "$fmt" "$log" \
	    > "$dir/out/member-$1.$2" 2> "$dir/err/member-$1.$2" &
	child=$!
}
start_follower() {
	local from=-500
	[ "$2" != 1 ] || from=beginning
	"$bin/mlog-tail" -f -o "$from" -F "$fmt" "$log" \
	    > "$dir/out/follower-$1.$2" 2> "$dir/err/follower-$1.$2" &
	child=$!
}
start_trim() {
	"$bin/mlog-trim" -s "$retain" "$log" \
	    > "$dir/out/trim-$1.$2" 2> "$dir/err/trim-$1.$2" &
	child=$!
}
start_compact() {
	"$bin/mlog-compact" "$log" \
	    > "$dir/out/compact-$1.$2" 2> "$dir/err/compact-$1.$2" &
	child=$!
}

# supervise KIND ID FLAG: run KIND again and again until the file FLAG
# exists; the pid of the current run is in DIR/pids/KIND.ID, each run's end
# is a line "KIND ID RUN PID STATUS" in DIR/status.
supervise() {
	local kind=$1 id=$2 flag=$3 run=0 st
	child=
	next_seq=1
	RANDOM=$(((seed * 31 + ${#kind} * 1009 + id) % 1000000007))
	trap '[ -z "$child" ] || kill -KILL "$child" 2>/dev/null; wait; exit 0' TERM
	while [ ! -e "$flag" ]; do
		run=$((run + 1))
		"start_$kind" "$id" "$run"
		echo "$child" > "$dir/pids/$kind.$id"
		st=0
		wait "$child" || st=$?
		rm -f "$dir/pids/$kind.$id"
		echo "$kind $id $run $child $st" >> "$dir/status"
		child=
		case $kind in
		append)
			wait	# the generator
			next_seq=$((next_seq + $(lines "$dir/ack/w$id.$run")))
			nap $((RANDOM % 300))
			;;
		member|follower) nap $((RANDOM % 300)) ;;
		trim|compact) nap $((1000 + RANDOM % 3000)) ;;
		esac
	done
}

# killer: every 0.2-2 s, SIGKILL a running process of a kind chosen at
# random, until the kill stop flag.  Trim and compact runs are short: for
# them it waits up to 5 s for one to start, then up to 50 ms into it.
killer() {
	local kind f pid comm files i
	local kinds=(append member follower trim compact)
	RANDOM=$(((seed * 17 + 3) % 1000000007))
	while [ ! -e "$dir/stop.kill" ]; do
		nap $((200 + RANDOM % 1801))
		kind=${kinds[RANDOM % ${#kinds[@]}]}
		for ((i = 0; i < 500; i++)); do
			files=("$dir/pids/$kind".*)
			[ ${#files[@]} = 0 ] || break
			[ ! -e "$dir/stop.kill" ] || return 0
			nap 10
		done
		[ ${#files[@]} -gt 0 ] || continue
		case $kind in trim|compact) nap $((RANDOM % 51)) ;; esac
		f=${files[RANDOM % ${#files[@]}]}
		pid=
		{ read -r pid < "$f"; } 2>/dev/null || continue
		case $pid in ''|*[!0-9]*) continue ;; esac
		# the run may have ended since: never kill a recycled pid
		{ read -r comm < "/proc/$pid/comm"; } 2>/dev/null || continue
		[ "$comm" = "$(comm_of "$kind")" ] || continue
		if kill -KILL "$pid" 2>/dev/null; then
			echo "$kind ${f##*.} $pid" >> "$dir/kills"
		fi
	done
}

sups=()
cleanup() {
	local st=$? s
	trap - EXIT INT TERM
	touch "$dir/stop.kill" "$dir/stop.append" "$dir/stop.aux" "$dir/stop.read"
	for s in "${sups[@]}"; do
		kill -TERM "$s" 2>/dev/null || :
	done
	wait
	if [ "$st" = 0 ] && [ "$keep" = 0 ]; then
		rm -rf "$dir"
	else
		echo "soak: files kept in $dir" >&2
	fi
	exit "$st"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# sup KIND ID FLAG: start a supervisor, its pid in $sups and in $sup_KIND.
sup() {
	# bash's job notices ("Killed ...") go there, not to the terminal
	supervise "$@" 2>> "$dir/err/supervise" &
	sups+=($!)
	eval "sup_$1=\"\${sup_$1:-} $!\""
}
# alive PID...: whether any of them still runs.
alive() {
	local p
	for p; do
		! kill -0 "$p" 2>/dev/null || return 0
	done
	return 1
}

# ---------------------------------------------------------------- run
echo "soak: seed $seed, $duration s, dir $dir" >&2
"$bin/mlog-append" -J -P "$partitions" -s "$segsize" "$log" < /dev/null
t0=$(date +%s)
for ((i = 1; i <= appenders; i++)); do
	sup append "$i" "$dir/stop.append"
done
for ((i = 1; i <= members; i++)); do
	sup member "$i" "$dir/stop.read"
done
sup follower 1 "$dir/stop.read"
sup trim 1 "$dir/stop.aux"
sup compact 1 "$dir/stop.aux"
killer 2>> "$dir/err/supervise" &
killer_pid=$!
sups+=("$killer_pid")

next=60
while :; do
	el=$(($(date +%s) - t0))
	[ "$el" -lt "$duration" ] || break
	for s in "${sups[@]}"; do
		kill -0 "$s" 2>/dev/null || die "a supervisor (pid $s) died"
	done
	if [ "$el" -ge "$next" ]; then
		acked=$(cat "$dir"/ack/* | wc -l)
		echo "soak: $el s: $acked records acknowledged, $(lines "$dir/kills") kills" >&2
		next=$((next + 60))
	fi
	nap 1000
done

echo "soak: stopping" >&2
touch "$dir/stop.kill"
wait "$killer_pid" || :
touch "$dir/stop.append"
# shellcheck disable=SC2086,SC2154 # lists of pids, set by sup
wait $sup_append || :
touch "$dir/stop.aux"
# shellcheck disable=SC2086,SC2154
wait $sup_trim $sup_compact || :

# The members catch up; only pacing: the drain below is what counts.
lag=unknown
for ((i = 0; i < 600; i++)); do
	lag=$("$bin/mlog-offset" -J -g soak "$log" |
	    sed -n 's/.*"lag":\([0-9]*\)}$/\1/p')
	[ "$lag" != 0 ] || break
	nap 100
done
[ "$lag" = 0 ] || echo "soak: the members still lag by $lag records" >&2
touch "$dir/stop.read"
signalled=" "
# shellcheck disable=SC2086,SC2154
while alive $sup_member $sup_follower; do
	for f in "$dir"/pids/member.* "$dir"/pids/follower.*; do
		pid=
		{ read -r pid < "$f"; } 2>/dev/null || continue
		case $signalled in *" $pid "*) continue ;; esac
		kill -TERM "$pid" 2>/dev/null || :
		signalled="$signalled$pid "
	done
	nap 100
done
# shellcheck disable=SC2086
wait $sup_member $sup_follower || :
t1=$(date +%s)

echo "soak: draining and checking" >&2
drain_st=0
"$bin/mlog-tail" -g soak -e -F "$fmt" "$log" \
    > "$dir/out/drain" 2> "$dir/err/drain" || drain_st=$?
dump_st=0
"$bin/mlog-tail" -e -F "$fmt" "$log" \
    > "$dir/out/dump" 2> "$dir/err/dump" || dump_st=$?
check_st=0
"$bin/mlog-check" -q "$log" > "$dir/check.out" 2>&1 || check_st=$?
end_lag=$("$bin/mlog-offset" -J -g soak "$log" |
    sed -n 's/.*"lag":\([0-9]*\)}$/\1/p')

# ---------------------------------------------------------------- check
v=$dir/violations
: > "$v"
[ "$check_st" = 0 ] ||
	{ echo "mlog-check exited $check_st:"; head -n 5 "$dir/check.out"; } >> "$v"
[ "$drain_st" = 0 ] ||
	echo "the drain (mlog-tail -g soak -e) exited $drain_st: $(head -n 1 "$dir/err/drain")" >> "$v"
[ "$dump_st" = 0 ] ||
	echo "the final read (mlog-tail -e) exited $dump_st: $(head -n 1 "$dir/err/dump")" >> "$v"
[ "$end_lag" = 0 ] || echo "group soak lags by $end_lag after the drain" >> "$v"

# How each run ended (5).
killed=" $(awk '{ printf "%s ", $3 }' "$dir/kills")"
while read -r kind id run pid st; do
	case $st in
	0) continue ;;
	137) case $killed in *" $pid "*) continue ;; esac ;;
	143) case $kind in member|follower) continue ;; esac ;;
	1) if [ "$kind" = compact ] &&
	    grep -q 'removed or changed during the compaction' \
	    "$dir/err/compact-$id.$run"; then
		continue
	   fi ;;
	esac
	echo "$kind $id run $run (pid $pid) exited $st: $(head -n 1 "$dir/err/$kind-$id.$run")" >> "$v"
done < "$dir/status"

# The final start of each partition: "P START".
for p in "$log"/p*; do
	s=0
	[ ! -e "$p/start" ] || s=$(awk '{ print $2 }' "$p/start")
	segs=("$p"/*.log)
	b=${segs[0]##*/}
	b=${b%.log}
	b=$((10#$b))
	[ "$b" -le "$s" ] || s=$b
	echo "${p##*/p} $s"
done > "$dir/starts"

# The acknowledged records: "P O W N R", from the complete lines of each
# appender run, the Nth of run R of writer W being its record S+N-1.
while read -r w r s; do
	awk -v w="$w" -v r="$r" -v s="$s" -v n="$(lines "$dir/ack/w$w.$r")" \
	    'NR <= n { print $1, $2, w, s + NR - 1, r }' "$dir/ack/w$w.$r"
done < "$dir/runs" > "$dir/acked"

# Ranges deleted before the group read them: "P FIRST LAST".
{
	cat "$dir"/err/trim-* /dev/null | sed -n \
	    's/.*: group soak: partition \([0-9]*\): \([0-9]*\) unread records\{0,1\} deleted (committed offset [0-9]*, start now \([0-9]*\)).*/\1 \2 \3/p' |
	    awk '{ print $1, $3 - $2, $3 - 1 }'
	cat "$dir"/err/member-* "$dir/err/drain" | sed -n \
	    's/.*: partition \([0-9]*\): offsets \([0-9]*\) to \([0-9]*\) were deleted by retention.*/\1 \2 \3/p'
} > "$dir/gaps"

# The outputs, each with its role and its number of complete lines.
outs=()
for f in "$dir"/out/member-* "$dir/out/drain"; do
	outs+=(role=group "complete=$(lines "$f")" "$f")
done
for f in "$dir"/out/follower-*; do
	outs+=(role=follower "complete=$(lines "$f")" "$f")
done
outs+=(role=dump "complete=$(lines "$dir/out/dump")" "$dir/out/dump")

awk -v startsf="$dir/starts" -v ackf="$dir/acked" -v gapf="$dir/gaps" \
    -v statsf="$dir/stats" '
function keyof(w, n, r) {
	return n % 4 == 0 ? "hot-" (int(n / 4) + w * 5) % 16 : "w" w "-" n "-r" r
}
function bad(msg) {
	nbad++
	print msg
}
function name(f) {
	sub(/.*\//, "", f)
	return f
}
# later P O KEY: remember the highest offset of each hot key in each partition
function later(p, o, k) {
	if (k ~ /^hot-/ && (!((p, k) in maxoff) || o > maxoff[p, k]))
		maxoff[p, k] = o
}
FILENAME == startsf { start[$1] = $2; next }
FILENAME == ackf {
	k = $1 " " $2
	v = keyof($3, $4, $5) " {\"w\":" $3 ",\"seq\":" $4 ",\"run\":" $5 "}"
	if (k in ack)
		bad("partition " $1 " offset " $2 " acknowledged twice: " ack[k] " and " v)
	ack[k] = v
	later($1, $2 + 0, keyof($3, $4, $5))
	next
}
FILENAME == gapf { ng++; gp[ng] = $1; ga[ng] = $2; gb[ng] = $3; next }
FNR == 1 { delete last; f = name(FILENAME); files[role]++ }
FNR > complete { next }
{
	if (NF < 4 || $1 !~ /^[0-9]+$/ || $2 !~ /^[0-9]+$/) {
		bad(f ": line " FNR ": not \"P O KEY VALUE\": " $0)
		next
	}
	p = $1; o = $2 + 0; k = p " " o
	rest = substr($0, length($1) + length($2) + 3)
	if ((p in last) && o <= last[p])
		bad(f ": line " FNR ": partition " p ": offset " o " after " last[p])
	last[p] = o
	if (k in rec) {
		if (rec[k] != rest)
			bad(f ": partition " p " offset " o ": \"" rest "\", elsewhere \"" rec[k] "\"")
	} else {
		rec[k] = rest
		if ((k in ack) && ack[k] != rest)
			bad(f ": partition " p " offset " o ": \"" rest "\", acknowledged as \"" ack[k] "\"")
	}
	later(p, o, $3)
	lines[role]++
	if (role == "group")
		got[k]++
	else if (role == "dump")
		inlog[k] = 1
}
function trimmed(p, o,   i) {
	for (i = 1; i <= ng; i++)
		if (gp[i] == p && o >= ga[i] && o <= gb[i])
			return 1
	return 0
}
END {
	for (k in ack) {
		split(k, a, " ")
		p = a[1]; o = a[2] + 0
		split(ack[k], kv, " ")
		sup = (p, kv[1]) in maxoff && maxoff[p, kv[1]] > o
		nack++
		if (k in got) {
			ndel++
			dups += got[k] - 1
		} else if (sup)
			nsup++
		else if (trimmed(p, o))
			ntrim++
		else
			bad("lost: partition " p " offset " o " (" ack[k] ") was acknowledged, never delivered to the group")
		if (!sup && o >= start[p] && !(k in inlog))
			bad("partition " p " offset " o " (" ack[k] ") was acknowledged, is not in the final log (start " start[p] ")")
	}
	for (k in got)
		if (!(k in ack)) {
			nun++
			dups += got[k] - 1
		}
	printf "acked %d\ndelivered %d\nsuperseded %d\ntrimmed %d\n", nack, ndel, nsup, ntrim > statsf
	printf "unacked %d\ndups %d\ngrouplines %d\nfollowerlines %d\nfollowerruns %d\nloglines %d\n", nun, dups, lines["group"], lines["follower"], files["follower"], lines["dump"] > statsf
}' "$dir/starts" "$dir/acked" "$dir/gaps" "${outs[@]}" | sort >> "$v"

# ---------------------------------------------------------------- report
stat_of() {
	awk -v k="$1" '$1 == k { print $2 }' "$dir/stats"
}
count() {
	awk -v k="$1" '$1 == k { n++ } END { print n + 0 }' "$2"
}
runs() {
	echo $(($(count "$1" "$dir/status")))
}
segs_trimmed=$(cat "$dir"/out/trim-* /dev/null | grep -c ': deleted .*\.log:' || :)
recs_compacted=$(cat "$dir"/out/compact-* /dev/null |
    sed -n 's/^partition [0-9]*:.*(removed \([0-9]*\),.*/\1/p' |
    awk '{ n += $1 } END { print n + 0 }')
torn=$(cat "$dir"/err/append-* /dev/null | grep -c 'cut a torn tail' || :)
cat <<EOF
soak: seed $seed, $duration s of load ($((t1 - t0)) s with the stop), $(nproc) cores

| what | count |
|---|---|
| records acknowledged | $(stat_of acked) |
| delivered to group soak | $(stat_of delivered) |
| not delivered, compacted away (later record of the key) | $(stat_of superseded) |
| not delivered, trimmed before the group read them | $(stat_of trimmed) |
| group output lines (members + drain) | $(stat_of grouplines) |
| duplicates delivered (at least once) | $(stat_of dups) |
| unacknowledged records delivered | $(stat_of unacked) |
| drain lines | $(lines "$dir/out/drain") |
| follower lines (runs) | $(stat_of followerlines) ($(stat_of followerruns)) |
| records in the final log | $(stat_of loglines) |
| kills: appender / member / follower / trim / compact | $(count append "$dir/kills") / $(count member "$dir/kills") / $(count follower "$dir/kills") / $(count trim "$dir/kills") / $(count compact "$dir/kills") |
| runs: appender / member / follower | $(runs append) / $(runs member) / $(runs follower) |
| trims (segments deleted) | $(runs trim) ($segs_trimmed) |
| compactions (records removed) | $(runs compact) ($recs_compacted) |
| torn tails cut by appenders | $torn |
| mlog-check | $([ "$check_st" = 0 ] && echo clean || echo "exit $check_st") |
EOF
if [ -s "$v" ]; then
	echo
	echo "FAILED: $(lines "$v") violations; the first:"
	head -n 20 "$v"
	exit 1
fi
echo
echo "ok"

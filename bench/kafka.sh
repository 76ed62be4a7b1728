#!/bin/sh
# kafka.sh: mlog-append and mlog-tail on a kafka:// topic side by side with
# kcat, in one run, through librdkafka's mock cluster (build/helpers/
# kafka-mock, started here on loopback and stopped at exit):
#
#   produce   N keyed records (web-log events of bench/gen.sh, "KEY VALUE"
#             lines, keys of 10000 users) from a file into a topic of 4
#             partitions: mlog-append -K ' ' vs kcat -P -K ' ', both
#             waiting for every delivery report; each timed run into a
#             topic of its own
#   consume   the N records of a topic filled once (by kcat, not timed)
#             into /dev/null: mlog-tail -e vs kcat -C -e, also with
#             fetch.wait.max.ms=10 for both (see below) and as JSON
#             (mlog-tail -J vs kcat -C -J)
#
# Before timing, one run of each tool is checked: the topics mlog-append
# and kcat produced into hold N records, the same number in each partition
# (same keys, same partitioner), and both consumers print the values of
# the N records.  After timing, every topic of a timed run is checked to
# hold N records.  Prints a markdown report on standard output; hyperfine's
# progress goes to standard error; raw results in bench/data/results/.  A
# speed check, not a test: the exit status is 0 unless something could not
# run or moved the wrong records.
#
#   sh bench/kafka.sh                        # full run (a few minutes)
#   N=100000 sh bench/kafka.sh               # quick
#
# Environment:
#   N           records (1000000)
#   RUNS        timed runs per command (5)
#   WARMUP      untimed runs per command first (1)
#   PARTITIONS  partitions of the consumed topic; default: the fewest, at
#               least 4, that hold the data (see below)
#   MLOG_BIN    directory holding mlog-append, mlog-tail, mlog-stat (bin)
#   KAFKA_MOCK  the mock cluster (build/helpers/kafka-mock; make
#               build/helpers/kafka-mock)
#
# Fairness.  Both sides are librdkafka clients of the same cluster, so
# they get the same settings: kcat is given every property mlog-append
# sets (partitioner=murmur2_random, where the file log puts a key too;
# message.timeout.ms and socket.timeout.ms from --timeout, 10 s); acks
# are librdkafka's default for both (acks=all, not idempotent), which is
# what mlog-append's default --fsync=interval keeps; no compression, the
# default batching (linger.ms, batch.size).  Both keep producing while
# delivery reports come back (mlog-append with at most 128k records or
# 16 MiB in flight) and wait for the last reports at the end.
#
# The mock differs from a broker in two ways that shape this script.  It
# keeps at most 5 MiB of each partition, dropping its oldest batches (the
# low watermark moves up): a produce topic of 4 partitions holds only
# the last ~20 MB (which bounds the mock's memory: ~20 MB a topic), and the
# consumed topic needs enough partitions to hold all N records (41 for
# 1000000 records of ~170 bytes).  And, as a broker does, it holds a fetch
# at the end of a partition for fetch.wait.max.ms (500 ms by default):
# kcat -e stops on the end-of-partition event, which only such a fetch
# brings, while mlog-tail -e stops at the high watermarks it read at
# start.  The fetch.wait.max.ms=10 rows take that wait out of kcat's time.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"

records=${N:-1000000}
runs=${RUNS:-5}
warmup=${WARMUP:-1}
parts=${PARTITIONS:-}
srcbin=${MLOG_BIN:-$root/bin}
mock=${KAFKA_MOCK:-$root/build/helpers/kafka-mock}
# partitions of the produce topics
pparts=4

positive "N, RUNS and PARTITIONS" "$records" "$runs" ${parts:+"$parts"}
nonnegative WARMUP "$warmup"
need hyperfine jq awk kcat
[ -x "$mock" ] ||
	die "$mock missing: run make build/helpers/kafka-mock (or set KAFKA_MOCK)"

copy_bins bin-kafka mlog-append mlog-tail mlog-stat
cp "$mock" "$bin/kafka-mock"
scratch kafka-tmp
stamp

# ---------------------------------------------------------------- data
# "KEY VALUE" lines: a user id from a Park-Miller generator, as in
# compact.sh, so the data depend only on N.
file=$data/kafka-$records.txt
keyed() {
	sh "$here/gen.sh" "$records" - | awk 'BEGIN { x = 7 } {
		x = (x * 16807) % 2147483647
		printf "user-%05d %s\n", x % 10000, $0
	}'
}
generate "$file" "$records" "$records keyed records" keyed
bytes=$(wc -c < "$file" | tr -d ' ')
mb=$(calc "$bytes / 1e6" 1)
if [ -z "$parts" ]; then
	parts=$(awk -v b="$bytes" 'BEGIN {
		p = int(b / 4194304) + (b % 4194304 > 0)
		print p < 4 ? 4 : p
	}')
fi

# ---------------------------------------------------------------- cluster
# Topics made at start: the consumed one, the two of the checked runs and
# one per run of each producer (hyperfine --prepare counts them in $T/m
# and $T/k; were there more runs, the mock would make the topic on demand,
# also with 4 partitions).
T=$tmp
ntopics=$((warmup + runs + 2))
set -- -t "consume:$parts" -t "check-m:$pparts" -t "check-k:$pparts"
i=1
while [ "$i" -le "$ntopics" ]; do
	set -- "$@" -t "pm-$i:$pparts" -t "pk-$i:$pparts"
	i=$((i + 1))
done
mockpid=
cleanup() {
	if [ -n "$mockpid" ]; then
		kill "$mockpid" 2>/dev/null || true
		wait "$mockpid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkfifo "$T/in"
# stdin is a FIFO the mock holds open itself: it runs until killed
"$bin/kafka-mock" "$@" <>"$T/in" >"$T/addr" 2>"$T/err" &
mockpid=$!
i=0
while [ ! -s "$T/addr" ]; do
	kill -0 "$mockpid" 2>/dev/null ||
		die "kafka-mock exited: $(cat "$T/err")"
	i=$((i + 1))
	[ "$i" -le 100 ] || die "kafka-mock printed no address within 10 s"
	sleep 0.1
done
read -r addr < "$T/addr"
log "mock cluster at $addr ($records records, $mb MB)"

# properties mlog-append sets (lib/kafka.c: the producer's partitioner,
# --timeout's 10 s for messages and sockets)
kprod="-X partitioner=murmur2_random -X message.timeout.ms=10000 -X socket.timeout.ms=10000"
# kstat TOPIC: mlog-stat -J of TOPIC
kstat() {
	"$bin/mlog-stat" -J "kafka://$addr/$1"
}
# ends TOPIC: its high watermarks, one line
ends() {
	kstat "$1" | jq -r '[.partitions[].end_offset | tostring] | join(" ")'
}
# produced TOPIC: records produced into it (the sum of its high watermarks)
produced() {
	kstat "$1" | jq '[.partitions[].end_offset] | add'
}

# ---------------------------------------------------------------- checks
log "checking one run of each producer"
"$bin/mlog-append" -K ' ' "kafka://$addr/check-m" < "$file" ||
	die "mlog-append failed"
# shellcheck disable=SC2086 # $kprod is split on purpose
kcat -P -b "$addr" -t check-k -K ' ' $kprod < "$file" || die "kcat -P failed"
for tp in check-m check-k; do
	got=$(produced "$tp")
	[ "$got" = "$records" ] || die "topic $tp holds $got records, not $records"
done
em=$(ends check-m)
ek=$(ends check-k)
[ "$em" = "$ek" ] ||
	die "mlog-append and kcat put different counts in the partitions: $em vs $ek"
echo "both produced $records records, per partition: $em" >&2

log "filling the consumed topic ($parts partitions; kcat, not timed)"
# shellcheck disable=SC2086
kcat -P -b "$addr" -t consume -K ' ' $kprod < "$file" || die "kcat -P failed"
st=$(kstat consume)
got=$(echo "$st" | jq '[.partitions[].end_offset] | add')
kept=$(echo "$st" | jq .records)
[ "$got" = "$records" ] || die "topic consume holds $got records, not $records"
[ "$kept" = "$records" ] ||
	die "the mock dropped $((records - kept)) of the $records records (it keeps 5 MiB a partition): set PARTITIONS above $parts"

log "checking what each consumer prints"
U=kafka://$addr/consume
cut -d ' ' -f 2- "$file" | LC_ALL=C sort | cksum > "$T/want"
# consumed WHAT CMD...: CMD prints $records lines; those of a plain
# consumer (WHAT without -J) are the values of the data file.
consumed() {
	_what=$1
	shift
	"$@" > "$T/out" || die "$_what failed"
	_got=$(lines "$T/out")
	[ "$_got" = "$records" ] ||
		die "$_what printed $_got records, not $records"
	case $_what in
	*-J*) ;;
	*)	LC_ALL=C sort "$T/out" | cksum | cmp -s - "$T/want" ||
			die "$_what printed other values than were produced" ;;
	esac
}
consumed "mlog-tail -e" "$bin/mlog-tail" -e "$U"
consumed "kcat -C -e" kcat -C -b "$addr" -t consume -e -q
consumed "mlog-tail -J -e" "$bin/mlog-tail" -J -e "$U"
consumed "kcat -C -J -e" kcat -C -J -b "$addr" -t consume -e -q
rm -f "$T/out"
echo "both consumers print the $records values" >&2

# ---------------------------------------------------------------- timing
B=$(q "$bin")
D=$(q "$file")
echo 0 > "$T/m"
echo 0 > "$T/k"
# next NAME: the command that adds 1 to the counter $T/NAME
next() {
	# shellcheck disable=SC2016 # expanded by hyperfine's shell
	printf 'echo $(($(cat %s) + 1)) > %s' "$(q "$T/$1")" "$(q "$T/$1")"
}
log "produce: $records records, each run into a topic of its own"
timed produce "$runs" \
	--prepare "$(next m)" -n "mlog-append" \
	"read -r n < $(q "$T/m"); $B/mlog-append -K ' ' kafka://$addr/pm-\$n < $D" \
	--prepare "$(next k)" -n "kcat -P" \
	"read -r n < $(q "$T/k"); kcat -P -b $addr -t pk-\$n -K ' ' $kprod < $D"
for w in m k; do
	n=$(cat "$T/$w")
	[ "$n" -ge "$runs" ] || die "hyperfine ran $n produce runs, not $runs"
	i=1
	while [ "$i" -le "$n" ]; do
		got=$(produced "p$w-$i")
		[ "$got" = "$records" ] ||
			die "timed run $i: topic p$w-$i holds $got records, not $records"
		i=$((i + 1))
	done
done

log "consume: $records records from $parts partitions"
fw="-X fetch.wait.max.ms=10"
timed consume "$runs" \
	-n "mlog-tail -e" "$B/mlog-tail -e $U > /dev/null" \
	-n "kcat -C -e" "kcat -C -b $addr -t consume -e -q > /dev/null" \
	-n "mlog-tail -e, $fw" "$B/mlog-tail -e $fw $U > /dev/null" \
	-n "kcat -C -e, $fw" "kcat -C -b $addr -t consume -e -q $fw > /dev/null" \
	-n "mlog-tail -J -e" "$B/mlog-tail -J -e $U > /dev/null" \
	-n "kcat -C -J -e" "kcat -C -J -b $addr -t consume -e -q > /dev/null"

# ---------------------------------------------------------------- report
rps() {
	calc "$records / $1" 0
}
# row WHAT TOOL NAME I [J]: a table row of the Ith result of
# $res/NAME.json, with the ratio of the Jth result's median to its own
row() {
	_s=$(med "$res/$3.json" "$4")
	printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$(t "$_s")" \
	    "$(rps "$_s")" "$(mbs "$_s")" \
	    "${5:+$(calc "$(med "$res/$3.json" "$5") / $_s")}"
}
kcatv=$(kcat -V 2>&1 | sed -n 's/^Version \([^ ]*\).*/\1/p')
kcatrdk=$(kcat -V 2>&1 | sed -n 's/.*librdkafka \([^ ]*\).*/\1/p')
rdk=$(pkg-config --modversion rdkafka 2>/dev/null || echo unknown)

heading "Kafka benchmark: mlog-append and mlog-tail vs kcat" \
    "librdkafka $rdk, kcat ${kcatv:-unknown} (librdkafka $kcatrdk), $(hyperfine --version)"
cat <<EOF
- cluster: librdkafka's mock (one broker on loopback, started by this script)
- data: $records records, $mb MB ($(calc "$bytes / $records" 0) bytes/record with
  the key; bench/gen.sh values keyed by 10000 users); produce topics of
  $pparts partitions, the consumed topic of $parts
- medians of $runs hyperfine runs after $warmup warmup; MB/s of the data file
  (keys and values); ratio = mlog speed / kcat's (above 1: mlog is faster)

| what | tool | median | records/s | MB/s | ratio |
|---|---|---|---|---|---|
$(row produce "mlog-append -K ' '" produce 0 1)
$(row produce "kcat -P -K ' '" produce 1)
$(row consume "mlog-tail -e" consume 0 1)
$(row consume "kcat -C -e" consume 1)
$(row consume "mlog-tail -e, fetch.wait.max.ms=10" consume 2 3)
$(row consume "kcat -C -e, fetch.wait.max.ms=10" consume 3)
$(row "consume, JSON" "mlog-tail -J -e" consume 4 5)
$(row "consume, JSON" "kcat -C -J -e" consume 5)

Commands (D = bench/data/kafka-$records.txt, B = binaries copied from
${MLOG_BIN:-bin}, A = the mock's address; each produce run into a new topic
pm-I or pk-I of $pparts partitions, the consume runs from topic consume):

- \`B/mlog-append -K ' ' kafka://A/pm-I < D\`
- \`kcat -P -b A -t pk-I -K ' ' $kprod < D\`
- \`B/mlog-tail -e [-J] [$fw] kafka://A/consume > /dev/null\`
- \`kcat -C [-J] -b A -t consume -e -q [$fw] > /dev/null\`

mlog-append keeps at most 128k records or 16 MiB in flight, kcat -P
what librdkafka's queue holds.  mlog-tail merges the partitions by
timestamp (as for a file log), kcat prints them as fetches arrive.
kcat -C -e stops when every partition
reports its end, which the mock (as a broker) sends after holding a fetch
at the end for fetch.wait.max.ms (500 ms by default); mlog-tail -e stops
at the high watermarks read at start.
EOF

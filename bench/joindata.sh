#!/bin/sh
# joindata.sh KIND ...: write the inputs of bench/join.sh as JSON lines to
# FILE ("-" for standard output).
#
#   sh bench/joindata.sh events N USERS FILE
#       N web-log records (bench/weblog.sh) with a "user" member after
#       "host", uniformly drawn from 1 .. USERS:
#       {"ts":"2024-03-01T00:00:00.002Z","host":"web-02","user":48213,
#        "method":"GET",...}
#   sh bench/joindata.sh users USERS FILE
#       the table: USERS records, one per id, in id order, of
#       {"id":N,"name":"Ada Okafor","plan":"pro","country":"DE"}; every
#       20th id of 1 .. USERS is left out and replaced by one above USERS,
#       so the table still has USERS keys but 5% of the events find no row
#       (an inner join drops them) and 5% of the rows match no event
#   sh bench/joindata.sh left N KEYS FILE
#   sh bench/joindata.sh right N KEYS FILE
#       the two streams of the interval join: N records each, times
#       strictly increasing 1-3 ms apart from 2024-03-01T00:00:00Z (so
#       both cover about 2 N ms), a session drawn uniformly from KEYS
#       (s00001 ..), and a sequence number (lid or rid, from 1) that names
#       the record in the join's output:
#       {"ts":"2024-03-01T00:00:00.002Z","session":"s01234","lid":1,
#        "event":"view","path":"/items/4711"}
#       {"ts":"2024-03-01T00:00:00.003Z","session":"s00077","rid":1,
#        "event":"click","target":"buy","value_cents":1299}
#       With N records over about 2 N ms, a window of +-5 s (10000 ms)
#       holds about 5000 right records, so a left record has on average
#       about 5000 / KEYS partners (2.5 for KEYS 2000).
#
# Only integers and plain ASCII strings.  The output depends only on the
# arguments: a Park-Miller generator in plain awk arithmetic (exact in
# doubles) replaces rand(), whose sequence differs between awk
# implementations; each kind has its own seed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)

usage() {
	cat >&2 <<EOF
usage: sh bench/joindata.sh events N USERS FILE
       sh bench/joindata.sh users USERS FILE
       sh bench/joindata.sh left|right N KEYS FILE
EOF
	exit 2
}

num() {
	case $1 in
	''|*[!0-9]*|0) usage ;;
	esac
}

AWK="awk"
command -v mawk >/dev/null 2>&1 && AWK=mawk

[ $# -ge 1 ] || usage
kind=$1
shift
case $kind in
events|left|right)
	[ $# -eq 3 ] || usage
	num "$1"
	num "$2"
	n=$1
	k=$2
	out=$3
	;;
users)
	[ $# -eq 2 ] || usage
	num "$1"
	k=$1
	out=$2
	;;
*)
	usage ;;
esac

# shellcheck disable=SC2016 # awk's $0, not the shell's
events() {
	sh "$here/weblog.sh" "$n" - | "$AWK" -v k="$k" '
	function rnd() {
		x = (x * 16807) % 2147483647
		return x
	}
	BEGIN { x = 4242 }
	{
		i = index($0, ",\"method\"")
		print substr($0, 1, i) "\"user\":" (1 + rnd() % k) substr($0, i)
	}'
}

users() {
	"$AWK" -v k="$k" '
	function rnd() {
		x = (x * 16807) % 2147483647
		return x
	}
	BEGIN {
		nf = split("Ada Grace Alan Edsger Barbara Donald Ken Dennis " \
		    "Margaret Frances Radia Leslie Niklaus Tony Hedy Katherine " \
		    "Linus Guido Sophie John Mary Ravi Mei Yuki Olu Ana Lars " \
		    "Ines Omar Zoe", first, " ")
		nl = split("Lovelace Hopper Turing Dijkstra Liskov Knuth " \
		    "Thompson Ritchie Hamilton Allen Perlman Lamport Wirth " \
		    "Hoare Lamarr Johnson Torvalds Rossum Wilson Backus Shaw " \
		    "Okafor Chen Tanaka Silva Berg Costa Haddad Novak Kim",
		    last, " ")
		np = split("free free free free pro pro team enterprise", plan, " ")
		nc = split("US US US DE DE GB FR IN BR JP NL SE PL ES CA NG KR " \
		    "MX AU IT", country, " ")
		x = 777
		for (i = 1; i <= k; i++) {
			id = i % 20 == 0 ? k + i / 20 : i
			printf "{\"id\":%d,\"name\":\"%s %s\",\"plan\":\"%s\",\"country\":\"%s\"}\n",
			    id, first[1 + rnd() % nf], last[1 + rnd() % nl],
			    plan[1 + rnd() % np], country[1 + rnd() % nc]
		}
	}'
}

# stream SIDE SEED: the left or right stream of the interval join.
stream() {
	"$AWK" -v n="$n" -v k="$k" -v side="$1" -v seed="$2" '
	function rnd() {
		x = (x * 16807) % 2147483647
		return x
	}
	BEGIN {
		np = split("/items /cart /search /checkout /home /deals", path, " ")
		ne = split("view view view view scroll hover", lev, " ")
		nt = split("buy buy save share details", target, " ")
		x = seed
		ms = 0
		for (i = 1; i <= n; i++) {
			ms += 1 + rnd() % 3
			t = ms % 86400000
			ts = sprintf("2024-03-%02dT%02d:%02d:%02d.%03dZ",
			    1 + int(ms / 86400000), int(t / 3600000),
			    int(t / 60000) % 60, int(t / 1000) % 60, t % 1000)
			s = 1 + rnd() % k
			if (side == "left")
				printf "{\"ts\":\"%s\",\"session\":\"s%05d\",\"lid\":%d,\"event\":\"%s\",\"path\":\"%s/%d\"}\n",
				    ts, s, i, lev[1 + rnd() % ne],
				    path[1 + rnd() % np], rnd() % 10000
			else
				printf "{\"ts\":\"%s\",\"session\":\"s%05d\",\"rid\":%d,\"event\":\"click\",\"target\":\"%s\",\"value_cents\":%d}\n",
				    ts, s, i, target[1 + rnd() % nt],
				    100 + rnd() % 20000
		}
	}'
}

gen() {
	case $kind in
	events) events ;;
	users) users ;;
	left) stream left 1111 ;;
	right) stream right 2222 ;;
	esac
}

if [ "$out" = - ]; then
	gen
else
	mkdir -p "$(dirname "$out")"
	gen > "$out.tmp.$$"
	mv "$out.tmp.$$" "$out"
fi

#!/usr/bin/env bats
# mwindow-cross: mwindow's results on generated data checked against another
# tool and against plain references written with sort and awk: per-minute
# counts, sums and means against mlr; percentiles against the exact
# nearest-rank values (within the 0.5% mwindow(1) states, and equal with
# --exact); distinct counts against sort -u; hopping windows against sums of
# the tumbling windows inside them; session windows and late records against
# awk implementations of the rules in mwindow(1).
#
# The web-log data (gen_weblog): records over 30 minutes from 5 hosts of
# unequal traffic (50%, 25%, 15%, 7%, 3%: a minute of a host holds from
# about 10 to about 400 values, so both the exact percentiles, up to 128
# values, and the sketch are reached), latencies with a heavy tail, 3500
# users, 1% of the times on a 10-second boundary (a record exactly at a
# window's end belongs to the next window), 5% of the records delayed by up
# to 20 s (the lines are in the order of time + delay), and stragglers up to
# 15 s old right after a record on a boundary (late exactly when a window
# closes).  With --grace 30s no record is late, so every result must equal
# the offline computation over all the records.
#
# The awk programs keep times in milliseconds since 2024-03-01T00:00:00Z
# (BASE): small enough for mawk, which prints larger whole numbers as 1e+12.

load test_helper
bats_require_minimum_version 1.5.0

# 2024-03-01T00:00:00Z in milliseconds since the epoch.
BASE=1709251200000

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	command -v mwindow >/dev/null || fail "mwindow not found (MLOG_BIN=$MLOG_BIN)"
	command -v jq >/dev/null || fail "jq is not installed"
}

# rnd: the awk function of a Park-Miller generator; exact in doubles, so the
# data is the same whatever the awk.
RND='function rnd() { x = (x * 16807) % 2147483647; return x }'

# gen_weblog N: in.jsonl, N records (and about N/200 stragglers) in the
# order of arrival,
#   {"ts":"2024-03-01T00:12:34.567Z","host":"web-1","user":"u0042","latency_ms":41}
# and truth.tsv, the same records in the same order as
#   time (ms since BASE) <TAB> host <TAB> user <TAB> latency_ms
# A straggler follows half the records on a 10-second boundary T, up to 15 s
# older than T and arriving right after it, when T is the stream time: for
# the window that closes exactly at T.
gen_weblog() {
	awk -v n="$1" "$RND"'
	# rec T DELAY SEQ: a record at T arriving at T + DELAY, SEQ-th of those.
	function rec(t, d, seq,    h, lat, u) {
		h = rnd() % 100
		h = h < 50 ? 1 : h < 75 ? 2 : h < 90 ? 3 : h < 97 ? 4 : 5
		lat = 1 + rnd() % 40
		u = rnd() % 10000
		if (u < 1500)
			lat += rnd() % 400
		if (u < 150)
			lat += rnd() % 4000
		if (u < 15)
			lat += rnd() % 60000
		print t + d "\t" seq "\t" t "\tweb-" h "\t" sprintf("u%04d", rnd() % 3500) "\t" lat
	}
	BEGIN {
		x = 20240301
		for (i = 0; i < n; i++) {
			t = rnd() % 1800000
			snap = rnd() % 100 == 0
			if (snap)
				t -= t % 10000
			rec(t, !snap && rnd() % 100 < 5 ? 1 + rnd() % 20000 : 0, i)
			if (snap && rnd() % 2 && t >= 15000) {
				s = t - 1 - rnd() % 15000
				rec(s, t - s, n + i)
			}
		}
	}' | sort -k1,1n -k2,2n | awk -F'\t' '{
		t = $3
		printf "{\"ts\":\"2024-03-01T%02d:%02d:%02d.%03dZ\",\"host\":\"%s\",\"user\":\"%s\",\"latency_ms\":%d}\n",
		    int(t / 3600000), int(t / 60000) % 60, int(t / 1000) % 60, t % 1000,
		    $4, $5, $6 >"in.jsonl"
		print t "\t" $4 "\t" $5 "\t" $6 >"truth.tsv"
	}'
}

# rows JQ-EXPR FILE: mwindow's rows in FILE as tab-separated values: JQ-EXPR
# makes an array of them; $b is BASE, for times written with --time-format ms.
rows() {
	jq -r --argjson b "$BASE" "$1 | @tsv" "$2"
}

# permille K: the percentile K/10 as mwindow's aggregates spell it (p99.9).
permille() {
	if (($1 % 10)); then
		echo "p$(($1 / 10)).$(($1 % 10))"
	else
		echo "p$(($1 / 10))"
	fi
}

# pct_aggs EXPR K...: -a's argument for the percentiles K/10 of EXPR, named
# qK (q999 for p99.9).
pct_aggs() {
	local e=$1 k list=
	shift
	for k; do
		list+="${list:+,}$(permille "$k"):$e=q$k"
	done
	echo "$list"
}

# pct_rows KEY-JQ-EXPR K... <rows: "key<TAB>K<TAB>value" for each row and K.
pct_rows() {
	local key=$1
	shift
	jq -r --argjson b "$BASE" --arg ks "$*" \
		'($ks | split(" ")[]) as $k | [('"$key"'), $k, .["q" + $k]] | @tsv'
}

# nearest_rank K... <"key<TAB>value" lines sorted by key, then value:
# "key<TAB>K<TAB>value" for each key and K, the value at the 1-based rank
# ceil(K n / 1000) in ascending order, and at least 1 (the smallest for p0),
# as mwindow(1) defines pNN.  Integer arithmetic: no rounding.
nearest_rank() {
	awk -F'\t' -v ks="$*" '
	function flush(   i, r) {
		for (i = 1; i <= nk; i++) {
			r = int((k[i] * n + 999) / 1000)
			if (r < 1)
				r = 1
			print g "\t" k[i] "\t" v[r]
		}
	}
	BEGIN {
		nk = split(ks, k, " ")
	}
	$1 != g {
		if (n)
			flush()
		g = $1
		n = 0
	}
	{
		v[++n] = $2
	}
	END {
		if (n)
			flush()
	}'
}

# within TOL WANT GOT: the "key<TAB>name<TAB>number" lines of GOT have the
# keys and names of WANT's, once each, and each number is within TOL of
# WANT's: |got - want| <= TOL * |want| (TOL 0: equal).  Lists what differs.
within() {
	awk -F'\t' -v tol="$1" '
	function abs(v) {
		return v < 0 ? -v : v
	}
	function bad(s) {
		if (++nbad <= 30)
			print s
	}
	NR == FNR {
		want[$1 FS $2] = $3
		next
	}
	{
		k = $1 FS $2
		if (!(k in want)) {
			bad("unexpected: " $0)
			next
		}
		if (k in seen)
			bad("twice: " k)
		seen[k] = 1
		if ($3 !~ /^-?[0-9]/ || abs($3 - want[k]) > tol * abs(want[k]) * (1 + 1e-9))
			bad(k ": got " $3 ", want " want[k] (tol ? " (within " tol * 100 "%)" : ""))
	}
	END {
		for (k in want)
			if (!(k in seen))
				bad("missing: " k " (want " want[k] ")")
		if (nbad > 30)
			print "... " nbad " differences in all"
		exit nbad > 0
	}' "$2" "$3"
}

# sorted_by_close FILE: FILE's "end<TAB>start<TAB>key" lines are in the
# order of window end, then start, then key (ASCII keys: jq's order).
sorted_by_close() {
	LC_ALL=C sort -c -t $'\t' -k1,1n -k2,2n -k3,3 "$1"
}

# --- counts, sums and means against mlr -------------------------------------

@test "mwindow: per-minute counts, sums and means per host equal mlr's" {
	command -v mlr >/dev/null || fail "mlr is not installed (make deps)"
	gen_weblog 20000
	run --separate-stderr mwindow --tumbling 1m --grace 30s --time .ts --by .host \
		-a count,sum:.latency_ms,avg:.latency_ms in.jsonl
	assert_success
	assert_equal "$stderr" ''
	printf '%s\n' "$output" >out
	# ISO window starts: the minute is their first 16 characters, as in mlr.
	rows '[.window_start[0:16], .host, .count, .sum_latency_ms, .avg_latency_ms]' out |
		LC_ALL=C sort >got
	# shellcheck disable=SC1010,SC2016 # mlr's $fields and then
	mlr --ijsonl --ojsonl put '$minute = substr($ts, 0, 15)' \
		then stats1 -a count,sum,mean -f latency_ms -g minute,host in.jsonl >mlr.out
	rows '[.minute, .host, .latency_ms_count, .latency_ms_sum, .latency_ms_mean]' mlr.out |
		LC_ALL=C sort >want
	# 30 minutes of 5 hosts, all with records.
	assert_equal "$(wc -l <want)" 150
	cut -f1-4 want >want.cs
	cut -f1-4 got >got.cs
	diff -u want.cs got.cs
	# Means: both print a double, not necessarily with the same digits.
	awk -F'\t' '{ print $1 "|" $2 "\tavg\t" $5 }' want >want.avg
	awk -F'\t' '{ print $1 "|" $2 "\tavg\t" $5 }' got >got.avg
	within 1e-9 want.avg got.avg
}

# --- percentiles against exact nearest-rank values ---------------------------

# weblog_pct TOL K... [-- MWINDOW-OPTION...]: per minute and host, the
# percentiles K/10 of latency_ms from mwindow are within TOL of the exact
# nearest-rank values.
weblog_pct() {
	local tol=$1 ks=() opts=()
	shift
	while (($#)) && [ "$1" != -- ]; do
		ks+=("$1")
		shift
	done
	(($#)) && shift
	opts=("$@")
	gen_weblog 20000
	run --separate-stderr mwindow --tumbling 1m --grace 30s --time .ts --by .host \
		--time-format ms "${opts[@]}" -a "$(pct_aggs .latency_ms "${ks[@]}")" in.jsonl
	assert_success
	assert_equal "$stderr" ''
	printf '%s\n' "$output" | pct_rows '"\(.window_start - $b)|\(.host)"' "${ks[@]}" >got
	awk -F'\t' '{ print $1 - $1 % 60000 "|" $2 "\t" $4 }' truth.tsv |
		LC_ALL=C sort -t $'\t' -k1,1 -k2,2n | tee values | nearest_rank "${ks[@]}" >want
	# The data reaches both sides of the 128 values kept exactly.
	cut -f1 values | uniq -c | awk '$1 <= 128 { s++ } $1 > 128 { l++ }
		END { exit !(s >= 20 && l >= 20) }'
	within "$tol" want got
}

@test "mwindow: per-minute p50, p90, p99 and p99.9 per host are within 0.5% of the exact nearest-rank values" {
	weblog_pct 0.005 500 900 990 999
}

@test "mwindow: --exact percentiles per minute and host equal the nearest-rank values" {
	weblog_pct 0 0 10 500 900 990 999 1000 -- --exact
}

# gen_values N: in.jsonl, N records in one second, two groups, with values
# over many magnitudes, negative, zero and repeated (values.tsv: group
# <TAB> value, as written).
gen_values() {
	awk -v n="$1" "$RND"'
	BEGIN {
		x = 4242
		for (i = 0; i < n; i++) {
			r = rnd() % 100
			if (r < 10)
				v = "0"
			else if (r < 15)
				v = "42.5"
			else {
				v = sprintf("%.6g", exp(log(10) * (-3 + 9 * rnd() / 2147483647)))
				if (rnd() % 10 < 3)
					v = "-" v
			}
			g = rnd() % 2 ? "a" : "b"
			printf "{\"ts\":1709251200,\"g\":\"%s\",\"v\":%s}\n", g, v >"in.jsonl"
			print g "\t" v >"values.tsv"
		}
	}'
}

@test "mwindow: percentiles of negative, zero, repeated and widely spread values are within 0.5%, and equal with --exact" {
	local ks=(0 10 50 100 250 500 750 900 950 990 999 1000)
	gen_values 6000
	LC_ALL=C sort -t $'\t' -k1,1 -k2,2g values.tsv | nearest_rank "${ks[@]}" >want
	run --separate-stderr mwindow --tumbling 1m --time .ts --by .g \
		-a "$(pct_aggs .v "${ks[@]}")" in.jsonl
	assert_success
	assert_equal "$stderr" ''
	printf '%s\n' "$output" | pct_rows .g "${ks[@]}" >got
	within 0.005 want got
	run --separate-stderr mwindow --tumbling 1m --time .ts --by .g --exact \
		-a "$(pct_aggs .v "${ks[@]}")" in.jsonl
	assert_success
	assert_equal "$stderr" ''
	printf '%s\n' "$output" | pct_rows .g "${ks[@]}" >got.exact
	within 0 want got.exact
}

# --- distinct counts against sort -u ----------------------------------------

# distinct_ref SIZE FIELD NAME: "window|host<TAB>NAME<TAB>distinct values of
# truth.tsv's FIELD" for SIZE-ms windows (host "" with SIZE 0: one window,
# all hosts).
distinct_ref() {
	awk -F'\t' -v w="$1" -v f="$2" '{
		print (w ? $1 - $1 % w "|" $2 : "all") "\t" $f
	}' truth.tsv | LC_ALL=C sort -u | cut -f1 | uniq -c |
		awk -v name="$3" '{ print $2 "\t" name "\t" $1 }'
}

@test "mwindow: distinct counts below 4096 are exact" {
	gen_weblog 20000
	run --separate-stderr mwindow --tumbling 1m --grace 30s --time .ts --by .host \
		--time-format ms -a distinct:.user=du,distinct:.latency_ms=dl in.jsonl
	assert_success
	assert_equal "$stderr" ''
	printf '%s\n' "$output" >out
	rows '("\(.window_start - $b)|\(.host)") as $k | ([$k, "du", .du], [$k, "dl", .dl])' out >got
	{ distinct_ref 60000 3 du; distinct_ref 60000 4 dl; } >want
	within 0 want got

	# One window for the whole input: thousands of distinct users.
	run --separate-stderr mwindow --tumbling 1h --grace 30s --time .ts \
		-a distinct:.user=du in.jsonl
	assert_success
	assert_equal "$stderr" ''
	printf '%s\n' "$output" >out
	rows '["all", "du", .du]' out >got
	distinct_ref 0 3 du >want
	awk -F'\t' '{ exit !($3 > 3000 && $3 < 4096) }' want
	within 0 want got
	run --separate-stderr mwindow --tumbling 1h --grace 30s --time .ts --by .host \
		--time-format ms -a distinct:.user=du in.jsonl
	assert_success
	printf '%s\n' "$output" >out
	rows '["\(.window_start - $b)|\(.host)", "du", .du]' out >got
	distinct_ref 3600000 3 du >want
	within 0 want got
}

# --- hopping windows against the tumbling windows inside them ---------------

@test "mwindow: a hopping window's count and sum are those of the tumbling windows inside it" {
	local size every tw cfg
	gen_weblog 20000
	# size, advance and tumbling sub-window in ms: the sub-window divides
	# both, so a hopping window is a union of whole sub-windows.
	for cfg in "300000 60000 60000" "300000 120000 60000" "90000 30000 30000"; do
		read -r size every tw <<<"$cfg"
		run --separate-stderr mwindow --tumbling "$((tw / 1000))s" --grace 30s \
			--time .ts --by .host --time-format ms -a count,sum:.latency_ms in.jsonl
		assert_success
		assert_equal "$stderr" ''
		printf '%s\n' "$output" >tumbling
		rows '[.window_start - $b, .host, .count, .sum_latency_ms]' tumbling >sub.tsv
		# Every hopping window [h, h + size) with h a multiple of the
		# advance that holds a sub-window with records.
		awk -F'\t' -v size="$size" -v every="$every" -v tw="$tw" '{
			for (h = $1 - $1 % every; h + size >= $1 + tw; h -= every) {
				k = h "\t" h + size "\t" $2
				c[k] += $3
				s[k] += $4
			}
		}
		END {
			for (k in c)
				print k "\t" c[k] "\t" s[k]
		}' sub.tsv | LC_ALL=C sort >want
		run --separate-stderr mwindow --hopping "$((size / 1000))s" \
			--every "$((every / 1000))s" --grace 30s --time .ts --by .host \
			--time-format ms -a count,sum:.latency_ms in.jsonl
		assert_success
		assert_equal "$stderr" ''
		printf '%s\n' "$output" >hopping
		rows '[.window_start - $b, .window_end - $b, .host, .count, .sum_latency_ms]' hopping |
			LC_ALL=C sort >got
		diff -u want got
		rows '[.window_end, .window_start, .host]' hopping >order
		sorted_by_close order
	done
}

# --- session windows against an awk implementation --------------------------

# gen_sessions: in.jsonl, the clicks of 200 users over 30 minutes, times in
# milliseconds since the epoch, in the order of time + delay (5% delayed by
# up to 20 s); the steps between a user's clicks are below the 60 s gap
# (62%), exactly 60 s (5%: same session), 60.001 s (3%) or up to 15 minutes
# (30%).  truth.tsv: user <TAB> time (ms since BASE) <TAB> v.
gen_sessions() {
	awk "$RND"'
	BEGIN {
		x = 1234
		for (u = 0; u < 200; u++) {
			t = rnd() % 300000
			while (t < 1800000) {
				d = rnd() % 100 < 5 ? 1 + rnd() % 20000 : 0
				print t + d "\t" i++ "\t" t "\t" sprintf("u%03d", u) "\t" 1 + rnd() % 1000
				r = rnd() % 100
				if (r < 5)
					t += 60000
				else if (r < 8)
					t += 60001
				else if (r < 70)
					t += 1 + rnd() % 59999
				else
					t += 60001 + rnd() % 840000
			}
		}
	}' | sort -k1,1n -k2,2n | awk -F'\t' -v base="$BASE" '{
		# base + t is too large for mawk: write BASE, then t with 7 digits.
		printf "{\"ts\":%s%07d,\"user\":\"%s\",\"v\":%d}\n",
		    substr(base, 1, length(base) - 7), $3 + base % 10000000, $4, $5 >"in.jsonl"
		print $4 "\t" $3 "\t" $5 >"truth.tsv"
	}'
}

@test "mwindow: session windows equal an awk implementation of the gap rule" {
	gen_sessions
	# Sessions per user: a step above the gap starts a new one; a session
	# is [first, last + gap).
	LC_ALL=C sort -t $'\t' -k1,1 -k2,2n truth.tsv | awk -F'\t' '
	function flush() {
		print first "\t" last + 60000 "\t" u "\t" n "\t" sum "\t" fv "\t" lv
	}
	$1 != u || $2 - last > 60000 {
		if (n)
			flush()
		u = $1
		first = $2
		fv = $3
		n = 0
		sum = 0
	}
	{
		last = $2
		lv = $3
		n++
		sum += $3
	}
	END {
		flush()
	}' | LC_ALL=C sort >want
	# The data has sessions of one click and of many.
	awk -F'\t' '$4 == 1 { one++ } $4 >= 8 { many++ } END { exit !(one >= 20 && many >= 20) }' want
	run --separate-stderr mwindow --session 1m --grace 30s --time .ts --by .user \
		--time-format ms -a count,sum:.v=sum,first:.v=first,last:.v=last in.jsonl
	assert_success
	assert_equal "$stderr" ''
	printf '%s\n' "$output" >out
	rows '[.window_start - $b, .window_end - $b, .user, .count, .sum, .first, .last]' out |
		LC_ALL=C sort >got
	diff -u want got
	rows '[.window_end, .window_start, .user]' out >order
	sorted_by_close order
}

# --- late records against an awk implementation ------------------------------

@test "mwindow: the late records are those that arrive after their window closed, and the rows count the others" {
	local grace nlate
	gen_weblog 20000
	for grace in 0 10; do
		# Stream time is the largest time seen; a one-minute window closes
		# when stream time reaches its end plus the grace.
		awk -F'\t' -v g="$((grace * 1000))" -v late=late.nr '
		BEGIN {
			max = -1
		}
		{
			w = $1 - $1 % 60000
			if (w + 60000 + g <= max) {
				print NR >late
				next
			}
			if ($1 > max)
				max = $1
			c[w "|" $2]++
		}
		END {
			for (k in c)
				print k "\tcount\t" c[k]
		}' truth.tsv >want
		awk 'NR == FNR { late[$1]; next } FNR in late' late.nr in.jsonl >want.late
		nlate=$(wc -l <want.late)
		((nlate > 10))
		rm -f late.out
		run --separate-stderr mwindow --tumbling 1m --grace "${grace}s" --time .ts \
			--by .host --time-format ms --late=late.out in.jsonl
		assert_success
		[[ $stderr == *"$nlate"* ]] || fail "stderr does not report the $nlate late records: $stderr"
		printf '%s\n' "$output" >out
		rows '["\(.window_start - $b)|\(.host)", "count", .count]' out >got
		within 0 want got
		cmp want.late late.out
	done
}

#!/usr/bin/env bats
# expr-diff: differential tests of the expression language against jq 1.6.
#
# The cases live in fixtures/expr/:
#   CATEGORY.cases  EXPR<TAB>INPUT       mmap --strict EXPR must agree with
#                                        jq -c EXPR (outputs compared after
#                                        normalising each line through jq)
#   filter.cases    EXPR<TAB>RECORD      mfilter EXPR passes RECORD (byte for
#                                        byte) iff jq's select(EXPR) prints
#   raw.cases       EXPR<TAB>INPUT       mmap -r and jq -r -c agree byte for byte
#   deviations      EXPR<TAB>INPUT<TAB>EXPECTED<TAB>WHY
#                                        mmap prints EXPECTED exactly; jq 1.6
#                                        prints something else or fails
# INPUT is one JSON text on one line; lines starting with # and blank lines
# are comments. When jq stops a case with a runtime error (exit 5), mmap
# must exit 1, say something on stderr, and have printed the same outputs
# before the error. A failing test lists every case that disagrees.
#
# For CATEGORY.cases and filter.cases jq runs once per file: every case
# becomes one branch of a single jq program and one input [N, INPUT]; the
# branch's outputs are framed by begin/end markers, and a missing end marker
# means that the case stopped with a runtime error (jq carries on with the
# next input). That is what `printf '%s\n' INPUT | jq -c EXPR` prints for
# each case, at a fraction of the cost of one jq start per case.

load test_helper

FIXTURES="$BATS_TEST_DIRNAME/fixtures/expr"

# Read by the $ENV / env cases.
export EXPR_DIFF_VAR=hello
unset EXPR_DIFF_MISSING

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	command -v jq >/dev/null || fail "jq is not installed"
	local v
	v=$(jq --version)
	[ "$v" = jq-1.6 ] || skip "the cases describe jq 1.6 (found $v)"
}

# need TOOL: TOOL is on PATH (the binaries under test live in $MLOG_BIN).
need() {
	command -v "$1" >/dev/null || fail "$1 not found (MLOG_BIN=$MLOG_BIN)"
}

# untraced CMD...: run CMD without the DEBUG trap bats sets for its stack
# traces: the trap runs before every command and makes the loops over
# hundreds of cases several times slower. (A failure in CMD ends the test
# with the trap still off; the failure reports say where they come from.)
untraced() {
	local saved
	saved=$(trap -p DEBUG)
	trap - DEBUG
	"$@"
	eval "$saved"
}

# load_cases FILE FIELDS: read FILE's cases (lines of FIELDS tab-separated
# fields) into the arrays C_LINE (line numbers), C1 (EXPR), C2 (INPUT), C3
# and C4; N is the number of cases.
load_cases() {
	local file=$1 fields=$2 bad
	[ -f "$file" ] || fail "missing fixture $file"
	bad=$(awk -F'\t' -v n="$fields" '!/^#/ && !/^$/ && NF != n {
		print FILENAME ":" FNR ": " NF " fields instead of " n ": " $0
	}' "$file")
	[ -z "$bad" ] || fail "malformed cases:
$bad"
	rm -f c.line c.1 c.2 c.3 c.4
	awk -F'\t' '!/^#/ && !/^$/ {
		print FNR >"c.line"; print $1 >"c.1"; print $2 >"c.2"
		print $3 >"c.3"; print $4 >"c.4"
	}' "$file"
	mapfile -t C_LINE <c.line
	mapfile -t C1 <c.1
	mapfile -t C2 <c.2
	mapfile -t C3 <c.3
	mapfile -t C4 <c.4
	N=${#C1[@]}
	((N > 0)) || fail "no cases in $file"
}

# US: joins the output lines of one case (jq -c never prints a raw
# control character).
US=$'\037'

# jq_batch WRAP: run every loaded case through jq in one process. WRAP is
# "plain" (the case's expression) or "select" (select(EXPR) | 1). Sets
# JQ_OUT[i] (the case's output lines joined with $US) and JQ_ST[i] (0, or 5
# when the case stopped with a runtime error).
jq_batch() {
	local wrap=$1 i st=0 body
	{
		printf '.[0] as $expr_diff_case | "@@expr-diff-begin \\($expr_diff_case)",\n'
		printf '(.[1] | if false then empty\n'
		for ((i = 0; i < N; i++)); do
			body=${C1[i]}
			[ "$wrap" = select ] && body="select(
$body
) | 1"
			# the newline keeps a trailing comment from eating the rest
			printf 'elif $expr_diff_case == %d then (\n%s\n)\n' "$i" "$body"
		done
		printf 'else empty end), "@@expr-diff-end \\($expr_diff_case)"\n'
	} >batch.jq
	for ((i = 0; i < N; i++)); do
		printf '[%d,%s]\n' "$i" "${C2[i]}"
	done >batch.in
	jq -c -f batch.jq batch.in >batch.out 2>batch.err || st=$?
	if ((st != 0 && st != 5)); then
		cat batch.err
		fail "jq failed on the batch program (exit $st)"
	fi
	# one line per case: its status, and its outputs joined with US
	awk -v us="$US" '
		function flush() { if (n >= 0) { print st >"batch.st"; print out >"batch.lines" } }
		BEGIN { n = -1 }
		/^"@@expr-diff-begin [0-9]+"$/ { flush(); n++; out = ""; sep = ""; st = 5; next }
		/^"@@expr-diff-end [0-9]+"$/ { st = 0; next }
		{ out = out sep $0; sep = us }
		END { flush() }
	' batch.out
	mapfile -t JQ_ST <batch.st
	mapfile -t JQ_OUT <batch.lines
	((${#JQ_ST[@]} == N)) || fail "jq batch: ${#JQ_ST[@]} results for $N cases"
}

# normalise: pass every output line of JQ_OUT[i] and MM_OUT[i] (joined with
# $US) through jq in one process (fromjson | tojson prints what jq -c .
# would; fromjson also takes a bare nan, which is not JSON); sets JQ_N[i]
# and MM_N[i], joined the same way.
normalise() {
	local all
	printf '%s\n' "${JQ_OUT[@]}" "${MM_OUT[@]}" >norm.in
	jq -R -r 'def json:
			if test("nan"; "i") and
				(gsub("\"([^\"\\\\]|\\\\.)*\""; "") | test("nan"; "i"))
			then error("nan") else fromjson end;
		split("\u001f")
		| map(. as $l | try (json | tojson) catch ("<not JSON> " + ($l | tojson)))
		| join("\u001f")' norm.in >norm.out ||
		fail "jq failed to normalise the outputs"
	mapfile -t all <norm.out
	((${#all[@]} == 2 * N)) || fail "normalise: ${#all[@]} lines for $N cases"
	JQ_N=("${all[@]:0:N}")
	MM_N=("${all[@]:N}")
}

# indent TEXT: TEXT with every line indented, "(nothing)" when empty.
indent() {
	local l
	if [ -z "$1" ]; then
		printf '        (nothing)\n'
		return
	fi
	while IFS= read -r l; do
		printf '        %s\n' "$l"
	done <<<"${1//$US/$'\n'}"
}

# diff_file NAME: mmap --strict agrees with jq -c on every case of NAME.cases.
diff_file() {
	local name=$1 i out st why report='' failed=0
	need mmap
	load_cases "$FIXTURES/$name.cases" 2
	jq_batch plain
	MM_OUT=() MM_ST=()
	for ((i = 0; i < N; i++)); do
		out=$(mmap --strict -- "${C1[i]}" <<<"${C2[i]}" 2>"err.$i") &&
			st=0 || st=$?
		MM_OUT[i]=${out//$'\n'/$US}
		MM_ST[i]=$st
	done
	normalise
	for ((i = 0; i < N; i++)); do
		if ((MM_ST[i] != (JQ_ST[i] ? 1 : 0))); then
			if ((JQ_ST[i] == 0)); then
				why="mmap should exit 0"
			else
				why="jq raised an error: mmap should exit 1"
			fi
		elif ((JQ_ST[i] != 0)) && [ ! -s "err.$i" ]; then
			why="jq raised an error: mmap should say why on stderr"
		elif [ "${JQ_N[i]}" != "${MM_N[i]}" ]; then
			why="outputs differ"
		else
			continue
		fi
		failed=$((failed + 1))
		report+="$name.cases:${C_LINE[i]}: $why
    expr:  ${C1[i]}
    input: ${C2[i]}
    jq (exit ${JQ_ST[i]}):
$(indent "${JQ_OUT[i]}")
    mmap (exit ${MM_ST[i]}):
$(indent "${MM_OUT[i]}")
    mmap stderr:
$(indent "$(<"err.$i")")
"
	done
	if ((failed)); then
		printf '%s\n' "$report"
		fail "$failed of $N cases in $name.cases disagree with jq"
	fi
}

@test "mmap: paths agree with jq" {
	untraced diff_file paths
}

@test "mmap: literals and construction agree with jq" {
	untraced diff_file literals
}

@test "mmap: arithmetic agrees with jq" {
	untraced diff_file arithmetic
}

@test "mmap: comparison and order agree with jq" {
	untraced diff_file comparison
}

@test "mmap: logic and the alternative operator agree with jq" {
	untraced diff_file logic
}

@test "mmap: generators and variables agree with jq" {
	untraced diff_file generators
}

@test "mmap: string builtins agree with jq" {
	untraced diff_file strings
}

@test "mmap: regex builtins agree with jq" {
	untraced diff_file regex
}

@test "mmap: assignment and del agree with jq" {
	untraced diff_file assignment
}

@test "mmap: collection builtins agree with jq" {
	untraced diff_file collections
}

@test "mmap: time builtins agree with jq" {
	untraced diff_file time
}

@test "mmap: runtime errors, try and ? agree with jq" {
	untraced diff_file errors
}

@test "mfilter: passes exactly the records jq's select passes, byte for byte" {
	local i want got st report='' failed=0
	need mfilter
	load_cases "$FIXTURES/filter.cases" 2
	jq_batch select
	for ((i = 0; i < N; i++)); do
		want=''
		[ -z "${JQ_OUT[i]}" ] || want=${C2[i]}
		got=$(mfilter -- "${C1[i]}" <<<"${C2[i]}" 2>mfilter.err) && st=0 || st=$?
		# a record whose expression raised an error is dropped; the exit
		# status is then mfilter's business
		if [ "$got" = "$want" ] && { ((st == 0)) || ((JQ_ST[i] != 0)); }; then
			continue
		fi
		failed=$((failed + 1))
		report+="filter.cases:${C_LINE[i]}:
    expr:   ${C1[i]}
    record: ${C2[i]}
    jq select (exit ${JQ_ST[i]}): $([ -n "$want" ] && echo passes || echo drops)
    mfilter (exit $st):
$(indent "$got")
    mfilter stderr:
$(indent "$(<mfilter.err)")
"
	done
	if ((failed)); then
		printf '%s\n' "$report"
		fail "$failed of $N filter cases disagree with jq"
	fi
}

@test "mmap: -r prints what jq -r prints, byte for byte" {
	local i jst mst report='' failed=0
	need mmap
	load_cases "$FIXTURES/raw.cases" 2
	for ((i = 0; i < N; i++)); do
		printf '%s\n' "${C2[i]}" | jq -r -c "${C1[i]}" >jq.out 2>/dev/null &&
			jst=0 || jst=$?
		((jst == 0)) || fail "raw.cases:${C_LINE[i]}: jq fails on ${C1[i]}"
		printf '%s\n' "${C2[i]}" | mmap -r -- "${C1[i]}" >mmap.out 2>mmap.err &&
			mst=0 || mst=$?
		if ((mst == 0)) && cmp -s jq.out mmap.out; then
			continue
		fi
		failed=$((failed + 1))
		report+="raw.cases:${C_LINE[i]}:
    expr:  ${C1[i]}
    input: ${C2[i]}
    jq -r -c:
$(od -An -c jq.out | sed 's/^/      /')
    mmap -r (exit $mst):
$(od -An -c mmap.out | sed 's/^/      /')
    mmap stderr:
$(indent "$(<mmap.err)")
"
	done
	if ((failed)); then
		printf '%s\n' "$report"
		fail "$failed of $N raw cases differ from jq -r"
	fi
}

@test "mmap: documented deviations from jq 1.6 print what they document" {
	local i jout jst mout mst why report='' failed=0
	need mmap
	load_cases "$FIXTURES/deviations" 4
	for ((i = 0; i < N; i++)); do
		jout=$(printf '%s\n' "${C2[i]}" | jq -c "${C1[i]}" 2>/dev/null) &&
			jst=0 || jst=$?
		mout=$(printf '%s\n' "${C2[i]}" | mmap --strict -- "${C1[i]}" 2>mmap.err) &&
			mst=0 || mst=$?
		why=''
		if ((jst == 0)) && [ "$jout" = "${C3[i]}" ]; then
			why="jq 1.6 agrees: not a deviation"
		elif ((mst != 0)); then
			why="mmap should exit 0"
		elif [ "$mout" != "${C3[i]}" ]; then
			why="mmap's output is not the documented one"
		fi
		[ -n "$why" ] || continue
		failed=$((failed + 1))
		report+="deviations:${C_LINE[i]}: $why
    expr:     ${C1[i]}
    input:    ${C2[i]}
    why:      ${C4[i]}
    expected: ${C3[i]}
    jq (exit $jst):
$(indent "$jout")
    mmap (exit $mst):
$(indent "$mout")
    mmap stderr:
$(indent "$(<mmap.err)")
"
	done
	if ((failed)); then
		printf '%s\n' "$report"
		fail "$failed of $N documented deviations do not hold"
	fi
}

@test "mmap: the differential corpus has at least 300 cases" {
	local f n total=0
	for f in "$FIXTURES"/*.cases; do
		n=$(grep -cv -e '^#' -e '^$' "$f") || true
		total=$((total + n))
	done
	((total >= 300)) || fail "only $total cases in $FIXTURES/*.cases"
}

# Loaded by every suite: bats-support, bats-assert, and where the binaries
# under test live (MLOG_BIN, MLOG_HELPERS: set by `make test`, which also
# points them at the sanitizer build for `make check-asan`).

# Their files are sourced directly: their load.bash runs dirname in a
# command substitution for each file, some 30 processes, and bats sources
# this file again for every test (0.2 s of CPU a test, minutes a suite).
for _f in /usr/lib/bats/bats-support/src/*.bash /usr/lib/bats/bats-assert/src/*.bash; do
	source "$_f"
done
unset -v _f

: "${MLOG_BIN:=$BATS_TEST_DIRNAME/../bin}"
: "${MLOG_HELPERS:=$BATS_TEST_DIRNAME/../build/helpers}"
PATH="$MLOG_BIN:$MLOG_HELPERS:$PATH"
export PATH MLOG_BIN MLOG_HELPERS

# MLOG_TEST_SCALE: the percentage of their iterations run by the loops that
# repeat one behaviour many times (kill -9 at random moments, a cut at
# every byte, a bit flipped in each of 200 copies). 100, the default, runs
# them all; `make check-asan` sets 25, as the sanitized binaries are several
# times slower and `make check` has run them in full; above 100 soaks.
: "${MLOG_TEST_SCALE:=100}"
[[ $MLOG_TEST_SCALE =~ ^[1-9][0-9]*$ ]] || {
	echo "MLOG_TEST_SCALE=$MLOG_TEST_SCALE: expected a percentage (1, 2, ...)" >&2
	exit 1
}
export MLOG_TEST_SCALE

# scaled N [MIN]: N iterations at MLOG_TEST_SCALE percent, at least MIN
# (default 1).
scaled() {
	local n=$(($1 * MLOG_TEST_SCALE / 100)) min=${2:-1}
	echo $((n > min ? n : min))
}

# sampled I: true for every I at MLOG_TEST_SCALE 100 or more; below, for
# one I in 100/MLOG_TEST_SCALE (every fourth at 25), counting from 0.
sampled() {
	((MLOG_TEST_SCALE >= 100 || $1 % (100 / MLOG_TEST_SCALE) == 0))
}

# Every test works inside its own temporary directory.
setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
}

# wait_for CMD...: run CMD until it succeeds, for at most 10 seconds
# (WAIT_SECONDS=N wait_for ...: N seconds).
wait_for() {
	local i
	for ((i = 0; i < ${WAIT_SECONDS:-10} * 100; i++)); do
		"$@" && return 0
		sleep 0.01
	done
	echo "timed out waiting for: $*" >&2
	return 1
}

# lines_in FILE N: FILE has at least N lines.
lines_in() {
	[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]
}

# Background processes a test started must not outlive it.
teardown() {
	local pids
	pids=$(jobs -p)
	[ -z "$pids" ] || kill $pids 2>/dev/null || true
}

# positions FILE: an offsets file without its commit times.
positions() {
	cut -d' ' -f1,2 "$1"
}

# faulty SPEC CMD...: run CMD (a command or a function) with the faults
# SPEC injected by tests/helpers/faultinject.c (MLOG_FAULT).
faulty() {
	local spec=$1
	shift
	MLOG_FAULT=$spec LD_PRELOAD=$MLOG_HELPERS/faultinject.so \
	    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	    "$@"
}

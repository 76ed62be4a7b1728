# Loaded by every suite: bats-support, bats-assert, and where the binaries
# under test live (MLOG_BIN, MLOG_HELPERS: set by `make test`, which also
# points them at the sanitizer build for `make check-asan`).

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

: "${MLOG_BIN:=$BATS_TEST_DIRNAME/../bin}"
: "${MLOG_HELPERS:=$BATS_TEST_DIRNAME/../build/helpers}"
PATH="$MLOG_BIN:$MLOG_HELPERS:$PATH"
export PATH MLOG_BIN MLOG_HELPERS

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

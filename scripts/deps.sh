#!/bin/sh
# Install the Debian packages mstreams builds, tests and benchmarks with,
# when any is missing: apt-get, through sudo when not root.  With the
# argument "fuzz", also clang and its libFuzzer and sanitizer runtimes
# (make fuzz); with "valgrind", also valgrind (make check-valgrind).
set -eu

pkgs="gcc make pkg-config libbsd-dev bats bats-assert bats-support mandoc
	jq miller hyperfine procps coreutils logrotate
	libpcre2-dev libsqlite3-dev sqlite3 librdkafka-dev kcat"
case ${1-} in
"") ;;
fuzz) pkgs="$pkgs clang libclang-rt-14-dev" ;;
valgrind) pkgs="$pkgs valgrind" ;;
*) echo "usage: deps.sh [fuzz | valgrind]" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	echo "deps: need root or sudo to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null

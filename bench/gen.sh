#!/bin/sh
# gen.sh N FILE: write N JSON-lines web request events (about 160 bytes each)
# to FILE ("-" for standard output).  The output depends only on N: a
# Park-Miller generator in plain awk arithmetic (exact in doubles) replaces
# rand(), whose sequence differs between awk implementations.
set -eu

usage() {
	echo "usage: sh bench/gen.sh N FILE" >&2
	exit 2
}

[ $# -eq 2 ] || usage
case $1 in
''|*[!0-9]*) usage ;;
esac
n=$1
out=$2

AWK="awk"
command -v mawk >/dev/null 2>&1 && AWK=mawk

gen() {
	"$AWK" -v n="$n" 'BEGIN {
		split("GET GET GET GET GET GET POST POST PUT DELETE", method, " ")
		split("/api/v1/users /api/v1/orders /api/v1/cart /api/v2/search " \
		    "/static/app.js /static/site.css /health /api/v1/items " \
		    "/login /api/v2/recommendations", path, " ")
		split("200 200 200 200 200 200 200 200 200 200 200 200 201 204 " \
		    "301 304 400 404 500 503", status, " ")
		for (h = 0; h < 16; h++)
			host[h] = sprintf("web-%02d.eu1.example.net", h + 1)
		x = 42
		ts = 1700000000000
		for (i = 0; i < n; i++) {
			x = (x * 16807) % 2147483647
			a = x
			x = (x * 16807) % 2147483647
			b = x
			ts += a % 7
			lat = (b % 97) + (a % 13 == 0 ? (b % 2000) : 3)
			printf "{\"ts\":%.0f,\"host\":\"%s\",\"method\":\"%s\",\"path\":\"%s/%d\",\"status\":%s,\"latency_ms\":%d,\"request_id\":\"%08x-%08x\"}\n",
			    ts, host[a % 16], method[1 + int(a / 16) % 10],
			    path[1 + b % 10], int(b / 10) % 100000,
			    status[1 + int(b / 1000) % 20], lat, a, b
		}
	}'
}

if [ "$out" = - ]; then
	gen
else
	mkdir -p "$(dirname "$out")"
	gen > "$out.tmp.$$"
	mv "$out.tmp.$$" "$out"
fi

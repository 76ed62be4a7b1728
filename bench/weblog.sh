#!/bin/sh
# weblog.sh N FILE: write N JSON-lines web server log records (about 160
# bytes each) to FILE ("-" for standard output), for bench/expr.sh.
#
#   {"ts":"2024-03-01T00:00:00.002Z","host":"web-02","method":"GET",
#    "path":"/payments/43923","status":200,"latency_ms":41,"bytes":856,
#    "level":"info","msg":"done"}
#
# (one line per record, keys always in this order).  Distributions:
#   ts          RFC 3339, UTC, milliseconds, strictly increasing (1-5 ms apart)
#   host        web-01 .. web-20
#   method      GET 75%, POST 15%, PUT 5%, DELETE 5%
#   path        /users/ID, /orders/ID, ... 80%; /static/app.js, /health, ... 20%
#   status      200 about 85%; 201/204 5%; 3xx 5%; 4xx 4%; 5xx 2%
#               (500 0.7%, 502 0.5%, 503 0.5%, 504 0.3%)
#   latency_ms  integer, long tail (10% add up to 300, 1% up to 3000,
#               0.1% up to 30000; 504 is always above 30000)
#   level       error for 500 and 504 (1%); warn for 502, 503, 401, 429 and
#               latency above 1000; info otherwise
#   bytes       0 for 204 and 304, a few hundred for 3xx and errors, up to
#               20000 for the rest (2% add up to 2 MB)
#   msg         about 0.5% contain "timeout" (every 504, and 0.2% retries);
#               the word appears in no other field
# Only integers and plain ASCII strings: `jq -c .` prints every line
# unchanged, so bench/expr.sh can compare outputs byte for byte.
#
# The output depends only on N: a Park-Miller generator in plain awk
# arithmetic (exact in doubles) replaces rand(), whose sequence differs
# between awk implementations.
set -eu

usage() {
	echo "usage: sh bench/weblog.sh N FILE" >&2
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
	"$AWK" -v n="$n" '
	function rnd() {
		x = (x * 16807) % 2147483647
		return x
	}
	# days since 1970-01-01 -> "YYYY-MM-DD" (H. Hinnant, civil_from_days)
	function civil(z,    era, doe, yoe, y, doy, mp, d, m) {
		z += 719468
		era = int(z / 146097)
		doe = z - era * 146097
		yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
		y = yoe + era * 400
		doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
		mp = int((5 * doy + 2) / 153)
		d = doy - int((153 * mp + 2) / 5) + 1
		m = mp < 10 ? mp + 3 : mp - 9
		if (m <= 2)
			y++
		return sprintf("%04d-%02d-%02d", y, m, d)
	}
	BEGIN {
		nm = split("GET GET GET GET GET GET GET GET GET GET GET GET " \
		    "GET GET POST POST POST PUT DELETE GET", method, " ")
		np = split("/users /orders /cart /search /items /recommendations " \
		    "/payments /sessions", path, " ")
		ns = split("/static/app.js /static/site.css /static/logo.svg " \
		    "/health /login /favicon.ico", spath, " ")
		nok = split("done|done|done|cache hit|done|done", okmsg, "|")
		x = 20240301
		day0 = 19783            # 2024-03-01
		ms = 0                  # milliseconds since day0 00:00:00Z
		curday = -1
		for (i = 0; i < n; i++) {
			ms += 1 + rnd() % 5
			day = int(ms / 86400000)
			if (day != curday) {
				curday = day
				date = civil(day0 + day)
			}
			t = ms - day * 86400000
			hh = int(t / 3600000)
			mm = int(t / 60000) % 60
			ss = int(t / 1000) % 60
			frac = t % 1000

			host = 1 + rnd() % 20
			meth = method[1 + rnd() % nm]
			r = rnd()
			if (r % 10 < 8)
				p = sprintf("%s/%d", path[1 + int(r / 10) % np],
				    int(r / 100) % 100000)
			else
				p = spath[1 + int(r / 10) % ns]

			s = rnd() % 1000
			if (s < 7) st = 500
			else if (s < 12) st = 502
			else if (s < 17) st = 503
			else if (s < 20) st = 504
			else if (s < 40) st = 404
			else if (s < 50) st = 400
			else if (s < 55) st = 401
			else if (s < 60) st = 429
			else if (s < 90) st = 304
			else if (s < 100) st = 301
			else if (s < 110) st = 302
			else if (s < 140) st = 201
			else if (s < 160) st = 204
			else st = 200

			lat = 2 + rnd() % 40
			u = rnd() % 10000
			if (u < 1000) lat += rnd() % 300
			if (u < 100) lat += rnd() % 3000
			if (u < 10) lat += rnd() % 30000
			if (st == 504) lat += 30000

			if (st == 204 || st == 304)
				by = 0
			else if (st >= 300)
				by = 100 + rnd() % 400
			else {
				by = 200 + rnd() % 20000
				if (u % 50 == 0)
					by += rnd() % 2000000
			}

			if (st == 500 || st == 504)
				lv = "error"
			else if (st == 502 || st == 503 || st == 401 || st == 429 || lat > 1000)
				lv = "warn"
			else
				lv = "info"

			if (st == 504) msg = "upstream timeout after 30s"
			else if (st == 500) msg = "unhandled exception in handler"
			else if (st == 502) msg = "bad gateway from upstream"
			else if (st == 503) msg = "service unavailable, shedding load"
			else if (st == 429) msg = "rate limit exceeded"
			else if (st == 401) msg = "missing or expired token"
			else if (st >= 400) msg = "client error"
			else if (st >= 300) msg = "redirect"
			else if (u >= 9000 && u < 9020) msg = "completed after upstream timeout and retry"
			else if (lat > 1000) msg = "slow request"
			else msg = okmsg[1 + u % nok]

			printf "{\"ts\":\"%sT%02d:%02d:%02d.%03dZ\",\"host\":\"web-%02d\",\"method\":\"%s\",\"path\":\"%s\",\"status\":%d,\"latency_ms\":%d,\"bytes\":%d,\"level\":\"%s\",\"msg\":\"%s\"}\n",
			    date, hh, mm, ss, frac, host, meth, p, st, lat, by,
			    lv, msg
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

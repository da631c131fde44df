#!/usr/bin/env bash
# The desk's pages under load: queue, filtered queue, case page and dashboard with 10,000 cases in the
# store, against loopback only. Prints requests/s and p99 latency (server plus loopback) for each, and
# each page's weight with its stylesheet and script (the budget is 100 KB before images).
#
# Usage: scripts/bench-desk.sh [DURATION_SECONDS] [CONNECTIONS]
#        PROFILE=debug scripts/bench-desk.sh 2 4     # a quick check that it runs, not a measurement
# Needs wrk (installed from Debian's packages if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${1:-10}"
CONNECTIONS="${2:-32}"
CASES="${CASES:-10000}"
PROFILE="${PROFILE:-release}"
PORT=18182
TARGET="${CARGO_TARGET_DIR:-target}"

if ! command -v wrk >/dev/null; then
    echo "installing wrk..." >&2
    (apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; })
fi

flag=(); [ "$PROFILE" = release ] && flag=(--release)
cargo build "${flag[@]}" -p tangkal --bin tangkal >&2
cargo build "${flag[@]}" -p tangkal-server --example seed_cases >&2
BIN="$TARGET/$PROFILE"

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "seeding $CASES cases..." >&2
TOKEN="$("$BIN/examples/seed_cases" "$WORK/data" "$CASES")"
"$BIN/tangkal" --data-dir "$WORK/data" serve --bind "127.0.0.1:$PORT" >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
    sleep 0.1
done

cat >"$WORK/case.lua" <<LUA
math.randomseed(7)
request = function()
    return wrk.format("GET", "/desk/cases/" .. math.random(1, $CASES), { ["Authorization"] = "Bearer $TOKEN" })
end
LUA

# Runs wrk and prints "requests_per_second p99_ms".
run() {
    local out rps p99
    out="$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@")"
    rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
    p99="$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; print v}' <<<"$out")"
    if grep -q "Non-2xx" <<<"$out"; then
        echo "non-2xx responses in: $*" >&2
        exit 1
    fi
    echo "$rps $p99"
}

URL="http://127.0.0.1:$PORT"
AUTH=(-H "Authorization: Bearer $TOKEN")
# Page weight: the HTML plus the stylesheet and script it links.
weight() {
    local html assets=0 path
    html="$(curl -fsS "${AUTH[@]}" "$URL$1")"
    for path in $(grep -o '/assets/[a-z]*\.[0-9a-f]*\.\(css\|js\)' <<<"$html" | sort -u); do
        assets=$((assets + $(curl -fsS "$URL$path" | wc -c)))
    done
    echo $(( ($(wc -c <<<"$html") + assets) / 1024 ))
}

read -r q_rps q_p99 < <(run "${AUTH[@]}" "$URL/desk")
read -r f_rps f_p99 < <(run "${AUTH[@]}" "$URL/desk?sla=breached&platform=tiktok")
read -r c_rps c_p99 < <(run -s "$WORK/case.lua" "$URL")
read -r d_rps d_p99 < <(run "${AUTH[@]}" "$URL/desk/dashboard")

echo
echo "tangkal serve ($PROFILE), $CASES cases, wrk -t2 -c$CONNECTIONS -d${DURATION}s, $(nproc) cores, loopback"
printf "%-40s %10s %10s %10s\n" "page" "req/s" "p99 ms" "KB"
printf "%-40s %10.0f %10.2f %10s\n" "GET /desk" "$q_rps" "$q_p99" "$(weight /desk)"
printf "%-40s %10.0f %10.2f %10s\n" "GET /desk?sla=breached&platform=tiktok" "$f_rps" "$f_p99" "$(weight '/desk?sla=breached&platform=tiktok')"
printf "%-40s %10.0f %10.2f %10s\n" "GET /desk/cases/{random id}" "$c_rps" "$c_p99" "$(weight /desk/cases/1)"
printf "%-40s %10.0f %10.2f %10s\n" "GET /desk/dashboard" "$d_rps" "$d_p99" "$(weight /desk/dashboard)"

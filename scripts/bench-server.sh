#!/usr/bin/env bash
# Server load test: case list and case detail with 10,000 cases in the store, against loopback only.
# Prints requests/s and p99 latency for each, next to /healthz (the HTTP stack with no store work) as
# the reference the ratio is taken against.
#
# Usage: scripts/bench-server.sh [DURATION_SECONDS] [CONNECTIONS]
# With TANGKAL_DATABASE_URL set (an empty database or schema), the store is that PostgreSQL database.
# Needs wrk (installed from Debian's packages if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${1:-10}"
CONNECTIONS="${2:-32}"
CASES=10000
PORT=18181
TARGET="${CARGO_TARGET_DIR:-target}"

if ! command -v wrk >/dev/null; then
    echo "installing wrk..." >&2
    (apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; })
fi

cargo build --release -p tangkal --bin tangkal >&2
cargo build --release -p tangkal-server --example seed_cases >&2

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "seeding $CASES cases..." >&2
seed_start=$(date +%s.%N)
TOKEN="$("$TARGET/release/examples/seed_cases" "$WORK/data" "$CASES")"
seed_end=$(date +%s.%N)
if [ -n "${TANGKAL_DATABASE_URL:-}" ]; then
    # What autovacuum does within a minute or two of the seeding: the planner's statistics and the
    # visibility map, without which PostgreSQL plans for an empty table.
    psql -q "$TANGKAL_DATABASE_URL" -c "VACUUM ANALYZE" >&2
fi

# The public budget lifted: /healthz is a public route, and wrk is one client.
TANGKAL_SERVER__PUBLIC_BURST=4000000000 TANGKAL_SERVER__PUBLIC_PER_SECOND=4000000000 RUST_LOG=warn \
    "$TARGET/release/tangkal" --data-dir "$WORK/data" serve --bind "127.0.0.1:$PORT" >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
    sleep 0.1
done

cat >"$WORK/detail.lua" <<LUA
math.randomseed(7)
request = function()
    return wrk.format("GET", "/api/v1/cases/" .. math.random(1, $CASES), { ["Authorization"] = "Bearer $TOKEN" })
end
LUA

# Runs wrk and prints "requests_per_second p99_ms".
run() {
    local out
    out="$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@")"
    local rps p99
    rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
    p99="$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; print v}' <<<"$out")"
    if grep -q "Non-2xx" <<<"$out"; then
        echo "non-2xx responses in: $*" >&2
        grep "Non-2xx" <<<"$out" >&2
        exit 1
    fi
    echo "$rps $p99"
}

URL="http://127.0.0.1:$PORT"
read -r h_rps h_p99 < <(run "$URL/healthz")
read -r l_rps l_p99 < <(run -H "Authorization: Bearer $TOKEN" "$URL/api/v1/cases?limit=50")
read -r f_rps f_p99 < <(run -H "Authorization: Bearer $TOKEN" "$URL/api/v1/cases?sla=breached&platform=tiktok&limit=50")
read -r d_rps d_p99 < <(run -s "$WORK/detail.lua" "$URL")

echo
BACKEND=SQLite
[ -n "${TANGKAL_DATABASE_URL:-}" ] && BACKEND=PostgreSQL
echo "tangkal serve ($BACKEND), $CASES cases, wrk -t2 -c$CONNECTIONS -d${DURATION}s, $(nproc) cores, loopback"
printf "seeding: %.1f s (each case in its own transaction with its audit event)\n" "$(echo "$seed_end - $seed_start" | bc)"
printf "%-44s %12s %10s %12s\n" "endpoint" "req/s" "p99 ms" "vs healthz"
printf "%-44s %12.0f %10.2f %12s\n" "GET /healthz (no store, no auth)" "$h_rps" "$h_p99" "1.00"
printf "%-44s %12.0f %10.2f %12.2f\n" "GET /api/v1/cases?limit=50" "$l_rps" "$l_p99" "$(echo "$l_rps / $h_rps" | bc -l)"
printf "%-44s %12.0f %10.2f %12.2f\n" "GET /api/v1/cases?sla=breached&platform=..." "$f_rps" "$f_p99" "$(echo "$f_rps / $h_rps" | bc -l)"
printf "%-44s %12.0f %10.2f %12.2f\n" "GET /api/v1/cases/{random id}" "$d_rps" "$d_p99" "$(echo "$d_rps / $h_rps" | bc -l)"

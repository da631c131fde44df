#!/usr/bin/env bash
# Public pages under load: a fresh data directory with 10,000 published clarifications written from real
# Indonesian fact-checks (../shared/data/claims/factchecks.jsonl) and about 3,300 takedown requests, the
# release server on loopback, then each public page in turn with wrk. Prints requests/s, wrk's p99 (client
# side: queueing included) and the server's own p99 (from its /metrics latency histogram: the upper bound
# of the bucket holding the 99th percentile), next to /healthz as the reference.
#
# Usage: scripts/bench-public.sh [DURATION_SECONDS] [CONNECTIONS] [COUNT]
# Needs wrk (installed from Debian's packages if missing) and the shared data beside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${1:-10}"
CONNECTIONS="${2:-16}"
COUNT="${3:-10000}"
FACTCHECKS="${FACTCHECKS:-../shared/data/claims/factchecks.jsonl}"
PORT="${PORT:-18182}"
TARGET="${CARGO_TARGET_DIR:-target}"

if ! command -v wrk >/dev/null; then
    echo "installing wrk..." >&2
    (apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; })
fi
[ -f "$FACTCHECKS" ] || { echo "no fact-checks at $FACTCHECKS (set FACTCHECKS)" >&2; exit 1; }

cargo build --release -p tangkal --bin tangkal >&2
cargo build --release -p tangkal-server --example seed_public >&2

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "seeding $COUNT clarifications..." >&2
seed_start=$(date +%s.%N)
read -r PARTNER MONITOR < <("$TARGET/release/examples/seed_public" "$WORK/data" "$FACTCHECKS" "$WORK" "$COUNT")
seed_end=$(date +%s.%N)

# The public budget is per network, and every request here comes from one address: lift it for the bench.
TANGKAL_SERVER__PUBLIC_BURST=4000000000 TANGKAL_SERVER__PUBLIC_PER_SECOND=4000000000 RUST_LOG=warn \
    "$TARGET/release/tangkal" --data-dir "$WORK/data" serve --bind "127.0.0.1:$PORT" >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
URL="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do
    curl -fsS "$URL/readyz" >/dev/null 2>&1 && break
    sleep 0.1
done
# The first search waits for the index the server builds at start.
index_start=$(date +%s.%N)
curl -fsS "$URL/cek-fakta?q=vaksin" >/dev/null
index_end=$(date +%s.%N)

# A Lua script that requests `prefix .. line` for random lines of `file`, with optional headers.
random_script() {
    local file=$1 prefix=$2 header=${3:-}
    cat <<LUA
local lines = {}
for line in io.lines("$file") do lines[#lines + 1] = line end
math.randomseed(7)
request = function()
    return wrk.format("GET", "$prefix" .. lines[math.random(1, #lines)], { $header })
end
LUA
}
seq 1 $(((COUNT + 19) / 20)) >"$WORK/pages.txt"
random_script "$WORK/slugs.txt" "/cek-fakta/" >"$WORK/detail.lua"
random_script "$WORK/queries.txt" "/cek-fakta?q=" >"$WORK/search.lua"
random_script "$WORK/pages.txt" "/cek-fakta?page=" >"$WORK/paging.lua"
SINCE="$(date -u -d '-30 days' +%Y-%m-%dT%H:%M:%SZ)"

# The server's latency histogram for one route, as "count bucket=cumulative ...".
histogram() {
    curl -fsS -H "Authorization: Bearer $MONITOR" "$URL/metrics" |
        awk -v route="$1" '$0 ~ /^tangkal_http_request_duration_seconds_(bucket|count)/ && index($0, "route=\"" route "\"") && index($0, "method=\"GET\"") {
            if ($0 ~ /_count/) { print "count", $NF } else { match($0, /le="[^"]*"/); print substr($0, RSTART + 4, RLENGTH - 5), $NF }
        }'
}

# The upper bound, in ms, of the bucket holding the 99th percentile of the requests between two scrapes.
server_p99() {
    python3 - "$1" "$2" <<'PY'
import sys
def read(text):
    rows = dict(line.split() for line in text.strip().splitlines())
    return {k: float(v) for k, v in rows.items()}
before, after = read(sys.argv[1]), read(sys.argv[2])
total = after["count"] - before.get("count", 0)
for bound in sorted((k for k in after if k not in ("count", "+Inf")), key=float):
    if after[bound] - before.get(bound, 0) >= 0.99 * total:
        print(f"{float(bound) * 1000:g}")
        break
else:
    print("inf")
PY
}

# Runs wrk against a route and prints "requests_per_second p99_ms server_p99_ms".
run() {
    local route=$1
    shift
    local before out rps p99
    before="$(histogram "$route")"
    out="$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@")"
    if grep -q "Non-2xx" <<<"$out"; then
        echo "non-2xx responses in: $*" >&2
        grep "Non-2xx" <<<"$out" >&2
        exit 1
    fi
    rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
    p99="$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; print v}' <<<"$out")"
    echo "$rps $p99 $(server_p99 "$before" "$(histogram "$route")")"
}

declare -a ROWS
row() {
    local label=$1
    shift
    local rps p99 server
    read -r rps p99 server < <(run "$@")
    ROWS+=("$(printf "%-46s %10.0f %10.2f %14s" "$label" "$rps" "$p99" "≤ $server")")
}

row "GET /healthz (no store, reference)" /healthz "$URL/healthz"
row "GET /cek-fakta (newest 20)" /cek-fakta "$URL/cek-fakta"
row "GET /cek-fakta?page=N (random page)" /cek-fakta -s "$WORK/paging.lua" "$URL"
row "GET /cek-fakta?q=... (random search)" /cek-fakta -s "$WORK/search.lua" "$URL"
row "GET /cek-fakta/{slug} (random)" "/cek-fakta/{slug}" -s "$WORK/detail.lua" "$URL"
row "GET /cek-fakta/feed.atom" /cek-fakta/feed.atom "$URL/cek-fakta/feed.atom"
row "GET /api/v1/claimreviews?since=30 days ago" /api/v1/claimreviews -H "Authorization: Bearer $PARTNER" "$URL/api/v1/claimreviews?since=$SINCE"
row "GET /transparansi" /transparansi "$URL/transparansi"
row "GET /api/v1/transparency" /api/v1/transparency "$URL/api/v1/transparency"

echo
echo "tangkal serve (release), $COUNT published clarifications, wrk -t2 -c$CONNECTIONS -d${DURATION}s, $(nproc) cores, loopback"
printf "seeding: %.0f s; first search %.2f s after the server was ready (the index builds at start)\n" \
    "$(echo "$seed_end - $seed_start" | bc)" "$(echo "$index_end - $index_start" | bc)"
printf "%-46s %10s %10s %14s\n" "page" "req/s" "p99 ms" "server p99 ms"
printf "%s\n" "${ROWS[@]}"

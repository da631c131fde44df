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

source scripts/lib/bench.sh
need_wrk
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
METRICS_TOKEN="$MONITOR"
wait_ready
# The first search waits for the index the server builds at start.
index_start=$(date +%s.%N)
curl -fsS "$URL/cek-fakta?q=vaksin" >/dev/null
index_end=$(date +%s.%N)

seq 1 $(((COUNT + 19) / 20)) >"$WORK/pages.txt"
random_script "$WORK/slugs.txt" "/cek-fakta/" >"$WORK/detail.lua"
random_script "$WORK/queries.txt" "/cek-fakta?q=" >"$WORK/search.lua"
random_script "$WORK/pages.txt" "/cek-fakta?page=" >"$WORK/paging.lua"
SINCE="$(date -u -d '-30 days' +%Y-%m-%dT%H:%M:%SZ)"

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
printf "%-50s %10s %10s %14s\n" "page" "req/s" "p99 ms" "server p99 ms"
printf "%s\n" "${ROWS[@]}"

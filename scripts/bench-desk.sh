#!/usr/bin/env bash
# The web app's pages at national scale: a fresh data directory with the 1,000,000-item stream ingested
# (17,629 real fact-checks imported first, so the claim matcher opens cases for debunked narratives),
# 10,000 more open cases spread over every deadline state, and 10,000 published clarifications written
# from real fact-checks (each with its case, reviewed verdict and, for every third, a takedown request).
# Then the release server on loopback and each page in turn with wrk: the queue (plain and filtered), a
# random case, a random narrative among the 2,000 largest, the dashboard, and the public search. Prints
# requests/s, wrk's p99 (queueing included), the server's own p99 (its /metrics histogram) and each page's
# weight with its stylesheet and script (the budget is 100 KB before images).
#
# Usage: scripts/bench-desk.sh [DURATION_SECONDS] [CONNECTIONS]
#        ITEMS=200000 scripts/bench-desk.sh 5 4      # smaller: a quick check that it runs
#        KEEP=/path/to/dir scripts/bench-desk.sh       # seeds DIR once and keeps it for the next runs
# Needs wrk (installed from Debian's packages if missing) and the shared data beside the repository; the
# stream is generated once into target/ (about 4 minutes for 1M).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${1:-10}"
CONNECTIONS="${2:-8}"
ITEMS="${ITEMS:-1000000}"
CASES="${CASES:-10000}"
CLARIFICATIONS="${CLARIFICATIONS:-10000}"
SHARED="${SHARED:-../shared}"
FACTCHECKS="$SHARED/data/claims/factchecks.jsonl"
PORT="${PORT:-18183}"
TARGET="${CARGO_TARGET_DIR:-target}"

source scripts/lib/bench.sh
need_wrk
[ -f "$FACTCHECKS" ] || { echo "no fact-checks at $FACTCHECKS (set SHARED)" >&2; exit 1; }
size=$([ "$ITEMS" = 1000000 ] && echo 1m || echo "$((ITEMS / 1000))k")
STREAM="${STREAM:-target/items-$size.jsonl}"
if [ ! -f "$STREAM" ]; then
    echo "generating $STREAM..." >&2
    python3 "$SHARED/tools/gen_stream.py" --seeds "$SHARED/data/stream/seeds.jsonl" --items "$ITEMS" --seed 2 \
        --out "$STREAM" --truth "${STREAM%.jsonl}.truth.jsonl" >&2
fi

cargo build --release -p tangkal --bin tangkal >&2
cargo build --release -p tangkal-server --example seed_cases --example seed_public >&2
BIN="$TARGET/release"

WORK="$(mktemp -d)"
DATA="${KEEP:-$WORK/data}"
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

export RUST_LOG=warn
if [ -f "$DATA/seeded" ]; then
    echo "reusing $DATA" >&2
    cp "$DATA/queries.txt" "$WORK/queries.txt"
    token() { "$BIN/tangkal" --data-dir "$DATA" token create --user "$1" --name bench | tail -n 1; }
    TOKEN="$(token bench-desk-analyst)"
    MONITOR="$(token bench-monitor)"
    seed_start=0 seed_end=0
else
echo "importing fact-checks and ingesting $(wc -l <"$STREAM") items..." >&2
seed_start=$(date +%s)
"$BIN/tangkal" --data-dir "$DATA" factchecks import "$FACTCHECKS" >&2
"$BIN/tangkal" --data-dir "$DATA" ingest "$STREAM" >&2 || [ $? = 3 ]
echo "seeding $CLARIFICATIONS clarifications and $CASES cases..." >&2
read -r _PARTNER MONITOR < <("$BIN/examples/seed_public" "$DATA" "$FACTCHECKS" "$WORK" "$CLARIFICATIONS")
TOKEN="$("$BIN/examples/seed_cases" "$DATA" "$CASES")"
seed_end=$(date +%s)
cp "$WORK/queries.txt" "$DATA/queries.txt"
touch "$DATA/seeded"
fi
"$BIN/tangkal" --data-dir "$DATA" narratives list --sort size --limit 2000 --json |
    python3 -c 'import json, sys; [print(json.loads(l)["id"]) for l in sys.stdin]' >"$WORK/narratives.txt"
items=$("$BIN/tangkal" --data-dir "$DATA" items count)

# Public pages are budgeted per network and every request here comes from one address: lifted.
TANGKAL_SERVER__PUBLIC_BURST=4000000000 TANGKAL_SERVER__PUBLIC_PER_SECOND=4000000000 \
    "$BIN/tangkal" --data-dir "$DATA" serve --bind "127.0.0.1:$PORT" >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
URL="http://127.0.0.1:$PORT"
METRICS_TOKEN="$MONITOR"
wait_ready
curl -fsS "$URL/cek-fakta?q=vaksin" >/dev/null # the first search waits for the index built at start

AUTH="[\"Authorization\"] = \"Bearer $TOKEN\""
total_cases=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/api/v1/cases?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
seq 1 "$total_cases" >"$WORK/cases.txt"
random_script "$WORK/cases.txt" "/desk/cases/" "$AUTH" >"$WORK/case.lua"
random_script "$WORK/narratives.txt" "/desk/narratives/" "$AUTH" >"$WORK/narrative.lua"
random_script "$WORK/queries.txt" "/cek-fakta?q=" >"$WORK/search.lua"
# The first narrative page waits for the coordinated-sharing detection the server starts at start (it
# reads every post: seconds at a million); measured pages then share the cores with nothing else.
curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/desk/narratives/$(head -1 "$WORK/narratives.txt")" >/dev/null

# Page weight: the HTML plus the stylesheet and script it links, in KB.
weight() {
    local html assets=0 path
    html="$(curl -fsS -H "Authorization: Bearer $TOKEN" "$URL$1")"
    for path in $(grep -o '/assets/[a-z]*\.[0-9a-f]*\.\(css\|js\)' <<<"$html" | sort -u); do
        assets=$((assets + $(curl -fsS "$URL$path" | wc -c)))
    done
    echo $((($(wc -c <<<"$html") + assets) / 1024))
}
first_narrative=$(head -1 "$WORK/narratives.txt")
query=$(head -1 "$WORK/queries.txt")
declare -a WEIGHTS=(
    "$(weight /desk)" "$(weight '/desk?sla=breached&platform=tiktok')" "$(weight /desk/cases/1)"
    "$(weight "/desk/narratives/$first_narrative")" "$(weight /desk/dashboard)" "$(weight "/cek-fakta?q=$query")"
)

row "GET /desk (queue)" /desk -H "Authorization: Bearer $TOKEN" "$URL/desk"
row "GET /desk?sla=breached&platform=tiktok" /desk -H "Authorization: Bearer $TOKEN" "$URL/desk?sla=breached&platform=tiktok"
row "GET /desk/cases/{random id}" "/desk/cases/{id}" -s "$WORK/case.lua" "$URL"
row "GET /desk/narratives/{random of the 2,000 largest}" "/desk/narratives/{id}" -s "$WORK/narrative.lua" "$URL"
row "GET /desk/dashboard" /desk/dashboard -H "Authorization: Bearer $TOKEN" "$URL/desk/dashboard"
row "GET /cek-fakta?q=... (random search)" /cek-fakta -s "$WORK/search.lua" "$URL"

echo
echo "tangkal serve (release): $items items, $total_cases cases, $CLARIFICATIONS published clarifications;" \
    "wrk -t2 -c$CONNECTIONS -d${DURATION}s, $(nproc) cores, loopback; seeding took $((seed_end - seed_start)) s"
printf "%-50s %10s %10s %14s %6s\n" "page" "req/s" "p99 ms" "server p99 ms" "KB"
for i in "${!ROWS[@]}"; do
    printf "%s %6s\n" "${ROWS[$i]}" "${WEIGHTS[$i]}"
done

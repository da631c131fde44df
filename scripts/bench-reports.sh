#!/usr/bin/env bash
# Citizen reports under load, with the whole fact-check database: a fresh data directory gets the 17,629
# real fact-checks (`tangkal factchecks import`) and the 10,000-post dev stream (`tangkal ingest`, so that
# reports of circulating posts are placed in their narratives), then the release server takes
#   1. single reports answered at once, one at a time: p50 / p99 latency;
#   2. a sustained mixed load at a fixed rate (default 500 reports/s for 20 s, open loop): the rate
#      achieved and p99 latency counted from each report's scheduled instant.
# Goals (issue 13): p99 < 20 ms for an instant answer, 500 reports/s sustained on 2 cores.
#
# Usage: scripts/bench-reports.sh [RATE] [SECONDS] [SINGLE]
#   SHARED=/path/to/shared/data (default ../shared/data): factchecks and claims queries, the dev stream.
#
# Every report comes from 127.0.0.1, so the server runs with a configuration that raises the report
# budgets (the public routes' per network, the reports' per network and per contact) out of the way; with
# the defaults the burst of 30 would answer 429 from the 31st report on. The generator runs on the same machine and takes some of its CPU.
set -euo pipefail
cd "$(dirname "$0")/.."

RATE="${1:-500}"
SECONDS_="${2:-20}"
SINGLE="${3:-2000}"
SHARED="${SHARED:-../shared/data}"
TARGET="${CARGO_TARGET_DIR:-target}"

cargo build --release -p tangkal --bin tangkal >&2
cargo build --release -p tangkal-server --example load_reports >&2

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

cat >"$WORK/tangkal.toml" <<TOML
data_dir = "$WORK/data"

# One address sends every report of the bench: budgets out of the way (the public routes' own and the
# reports').
[server]
public_burst = 1000000000
public_per_second = 1000000000

[response.reports]
per_network = { burst = 100000000, every_secs = 1 }
per_contact = { burst = 100000000, every_secs = 1 }
TOML
tangkal() { "$TARGET/release/tangkal" --config "$WORK/tangkal.toml" "$@"; }

echo "importing fact-checks and the dev stream..." >&2
tangkal factchecks import "$SHARED/claims/factchecks.jsonl" >&2
tangkal ingest "$SHARED/stream/dev-10k.jsonl" >&2

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
started=$(date +%s.%N)
# The binary itself, not the shell function, so that $! is the server (its peak RSS is read below).
RUST_LOG=warn "$TARGET/release/tangkal" --config "$WORK/tangkal.toml" serve --bind "127.0.0.1:$PORT" \
    >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        cat "$WORK/serve.err" >&2
        exit 1
    fi
    sleep 0.1
done
ready=$(date +%s.%N)

echo
echo "tangkal serve (release), 17,629 fact-checks, dev-10k narratives, $(nproc) cores, loopback"
printf "start to ready (instant-answer matcher built): %.1f s\n" "$(echo "$ready - $started" | bc)"
"$TARGET/release/examples/load_reports" "http://127.0.0.1:$PORT" \
    "$SHARED/claims/queries-dev.jsonl" "$SHARED/claims/negatives-dev.jsonl" "$SHARED/stream/dev-10k.jsonl" \
    "$RATE" "$SECONDS_" "$SINGLE"
echo "server peak RSS: $(grep VmHWM "/proc/$SERVER_PID/status" | awk '{print $2, $3}')"

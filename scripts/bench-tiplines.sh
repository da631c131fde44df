#!/usr/bin/env bash
# The tiplines under load, with the whole fact-check database: the release server (in-process, over a
# fresh store with the fact-checks imported) takes Telegram updates posted to /hooks/telegram, its replies
# going to a fake Bot API on loopback.
#   1. webhook -> reply enqueued latency, one update at a time: p50 / p99 (goal: p99 < 20 ms);
#   2. a burst of 1,000 forwards of one hoax within a minute: matcher calls (goal: one), resident memory
#      before and after (bounded), replies sent.
#
# Usage: scripts/bench-tiplines.sh [SINGLE]
#   SHARED=/path/to/shared/data (default ../shared/data): claims/factchecks.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."

SINGLE="${1:-1000}"
SHARED="${SHARED:-../shared/data}"
TARGET="${CARGO_TARGET_DIR:-target}"

cargo build --release -p tangkal-server --example bench_tiplines >&2
echo "tiplines (release), $(nproc) cores, loopback"
"$TARGET/release/examples/bench_tiplines" "$SHARED/claims/factchecks.jsonl" "$SINGLE"

#!/usr/bin/env bash
# Per-item analysis speed on real-shaped posts (../shared/data/stream/dev-10k.jsonl, ~277 bytes each),
# single thread: `tangkal_text::fingerprint` (runs on every ingested item) and `Analyzer::analyze`.
# Figures in wall-clock time and in the thread's CPU time (what the figure is on an idle machine).
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${ITEMS:-../shared/data/stream/dev-10k.jsonl}
cargo run --release -q -p tangkal-text --example analyze_bench -- "$ITEMS" "${PASSES:-9}"

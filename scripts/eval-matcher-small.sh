#!/usr/bin/env bash
# Claim scores on the small fact-check databases a new desk starts with (400 and 1,500 fact-checks
# drawn from the development queries' relevant fact-checks plus random others, fixed seed) beside
# the whole collection, with the shipped model and thresholds: recall@1 of auto-answered queries
# (best match answered "auto" AND relevant, out of all queries) and the share of negatives-dev
# answered "auto"; then "auto right" at the level that answers at most 1% of the negatives "auto", to
# compare models at one false-positive rate. See crates/matcher/examples/small_corpora.rs for the exact
# definitions.
#
# Usage: scripts/eval-matcher-small.sh [DRAWS]     (databases drawn per size, default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/claims}
DRAWS=${1:-5}

cargo build --release -q -p tangkal-matcher --example small_corpora
run="${CARGO_TARGET_DIR:-target}/release/examples/small_corpora"
for half in B all; do
  "$run" "$DATA/factchecks.jsonl" "$DATA/queries-dev.jsonl" "$DATA/negatives-dev.jsonl" --half "$half" --draws "$DRAWS"
done

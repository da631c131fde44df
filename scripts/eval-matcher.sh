#!/usr/bin/env bash
# Claim-matching quality on the development set of ../shared/data/claims: runs `tangkal match` over
# the queries and the negatives, then the benchmark's scorer at the documented auto-answer threshold.
# Also scores half B alone: the half the shipped model and thresholds were never fitted on (see
# crates/matcher/examples/calibrate.rs).
#
# Usage: scripts/eval-matcher.sh [OUT_DIR]     (default: a temporary directory)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/claims}
OUT=${1:-$(mktemp -d)}
mkdir -p "$OUT"
AUTO=$(grep -o 'auto_answer: [0-9][0-9.]*' crates/matcher/src/rank.rs | head -1 | cut -d' ' -f2)

cargo build --release -q -p tangkal
bin="${CARGO_TARGET_DIR:-target}/release/tangkal"
cat "$DATA/queries-dev.jsonl" "$DATA/negatives-dev.jsonl" > "$OUT/input.jsonl"
"$bin" match --factchecks "$DATA/factchecks.jsonl" --input "$OUT/input.jsonl" --top 10 --output "$OUT/run.jsonl"

echo "== all dev queries and negatives (auto-answer threshold $AUTO)"
python3 ../shared/tools/eval_claims.py "$OUT/run.jsonl" "$DATA/queries-dev.jsonl" "$DATA/negatives-dev.jsonl" \
  --threshold "$AUTO" | tee "$OUT/eval-all.json" | python3 -c '
import json, sys
r = json.load(sys.stdin)
print({k: r[k] for k in ("recall@1", "recall@5", "recall@10", "MRR@10", "MAP@5")})
for s in r["sweep"]: print("sweep", s)
print("at auto-answer", r["at_threshold"])'

echo "== half B only (never seen by the fit)"
python3 - "$DATA" "$OUT" <<'PY'
import json, sys
data, out = sys.argv[1], sys.argv[2]
def fnv1a(s):
    h = 0xcbf29ce484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h
for name in ("queries", "negatives"):
    with open(f"{out}/{name}-B.jsonl", "w") as f:
        for line in open(f"{data}/{name}-dev.jsonl", encoding="utf-8"):
            if fnv1a(json.loads(line)["id"]) % 2 == 1:
                f.write(line)
PY
python3 ../shared/tools/eval_claims.py "$OUT/run.jsonl" "$OUT/queries-B.jsonl" "$OUT/negatives-B.jsonl" \
  --threshold "$AUTO" 2>/dev/null | python3 -c '
import json, sys
r = json.load(sys.stdin)
print({k: r[k] for k in ("n_queries", "recall@1", "recall@10", "MRR@10")})
for s in r["sweep"]: print("sweep", s)
print("at auto-answer", r["at_threshold"])'
echo "run and scorer output in $OUT"

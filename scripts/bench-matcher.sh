#!/usr/bin/env bash
# Claim-matching speed, single thread, side by side with the fastest peer (bm25s, run by
# ../shared/tools/peers/bm25_peer.py) in the same run: queries/s over the 17,629 fact-checks, index
# build time and memory; then the same figures with the corpus padded to 1,000,000 fact-checks
# synthesised from itself (see crates/matcher/examples/bench.rs).
#
# Usage: scripts/bench-matcher.sh [PAD]      (default 1000000; 0 skips the scale run)
# Needs: pip install bm25s (the peer).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/claims}
PAD=${1:-1000000}
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1

cargo build --release -q -p tangkal-matcher --example bench
bench="${CARGO_TARGET_DIR:-target}/release/examples/bench"
FC="$DATA/factchecks.jsonl"
Q="$DATA/queries-dev.jsonl"

peer=$(python3 ../shared/tools/peers/bm25_peer.py "$FC" "$Q" | tail -1)
ours=$("$bench" "$FC" "$Q")
echo "peer: $peer"
echo "ours: $ours"
python3 - "$peer" "$ours" <<'PY'
import json, sys
peer, ours = json.loads(sys.argv[1]), json.loads(sys.argv[2])
ratio = ours["queries_per_s"] / peer["queries_per_s"]
print(f"queries/s (wall, one thread): tangkal-matcher {ours['queries_per_s']:.0f} vs {peer['peer']} "
      f"{peer['queries_per_s']:.0f} -> {ratio:.1f}x")
print(f"queries/s (CPU time of the thread): tangkal-matcher {ours['queries_per_cpu_s']:.0f}")
print(f"index build: {ours['index_s']} s vs {peer['index_s']} s; index structures {ours['index_structures_mib']} MiB, "
      f"peak RSS {ours['peak_rss_mib']} MiB")
PY

if [ "$PAD" -gt 0 ]; then
  echo "== padded to $PAD fact-checks"
  "$bench" "$FC" "$Q" --pad "$PAD"
fi

#!/usr/bin/env bash
# Stemmer speed, single thread, side by side in one run: tangkal-text against PySastrawi 1.2.1 on the
# 20,257 distinct words of reference_stems.tsv, both uncached (every word stemmed from scratch), plus
# tangkal-text's cached figure on a 1M-token Zipf stream of the same words. Wall-clock time; the
# peer's figure is the median of 3 runs, ours the median of 15 passes.
# Needs ../shared; installs PySastrawi 1.2.1 with pip if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/sastrawi}
PEER=${PEER:-../shared/tools/peers/sastrawi_peer.py}
WORDS="$DATA/reference_stems.tsv"

python3 -c 'import importlib.metadata as m; assert m.version("PySastrawi") == "1.2.1"' 2>/dev/null \
  || pip install -q PySastrawi==1.2.1

cargo build --release -q -p tangkal-text --example stem_bench
ours=$(cargo run --release -q -p tangkal-text --example stem_bench -- "$WORDS" 15)
peer=$(for _ in 1 2 3; do python3 "$PEER" "$WORDS" --dict "$DATA/kata-dasar.txt"; done)
echo "$ours"
echo "$peer"
python3 - "$ours" "$peer" <<'PY'
import json, statistics, sys
ours = [json.loads(l) for l in sys.argv[1].splitlines()]
peer = [json.loads(l) for l in sys.argv[2].splitlines()]
unc = next(o for o in ours if o["mode"] == "uncached")
uncached, uncached_cpu = unc["words_per_s"], unc["words_per_cpu_s"]
cached = next(o for o in ours if o["mode"] == "cached_running_text")["words_per_s"]
ref = statistics.median(p["words_per_s"] for p in peer)
print(f"uncached words/s: tangkal-text {uncached:,.0f} | PySastrawi 1.2.1 {ref:,.0f} | ratio {uncached / ref:,.0f}x")
print(f"uncached words per CPU-second (this thread's CPU time): tangkal-text {uncached_cpu:,.0f}")
print(f"cached, running text: tangkal-text {cached:,.0f} words/s")
ok = uncached >= 1_000_000 and uncached >= 100 * ref
print("targets (>= 1,000,000 words/s and >= 100x):", "met" if ok else "NOT met")
sys.exit(0 if ok else 1)
PY

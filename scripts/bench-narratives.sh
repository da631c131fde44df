#!/usr/bin/env bash
# Narrative clustering side by side with the MinHash-LSH peers (rensa, datasketch) on one stream.
#
#   scripts/bench-narratives.sh [ITEMS.jsonl] [TRUTH.jsonl]
#
# Defaults to the 200k stream (seed 2), generated into target/ when missing. Needs
# `pip install datasketch rensa`. Every program runs on one thread. Figures:
#   * assign loop: items per CPU-second of text analysis + index query + insert, JSON parsing excluded
#     (thread CPU time, so a busy machine does not distort the ratio; the peers' own timers are
#     switched to CPU time the same way);
#   * whole process: items per second of wall time and of CPU time, JSON parsing included;
#   * peak RSS from /usr/bin/time -v; index bytes per item (ours);
#   * quality from the shared scorer when a truth file is given.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
OUT=${OUT:-target/bench-narratives}
mkdir -p "$OUT"
ITEMS=${1:-$OUT/gen-200k.jsonl}
TRUTH=${2:-$OUT/gen-200k.truth.jsonl}
if [ ! -f "$ITEMS" ]; then
    python3 "$SHARED/tools/gen_stream.py" --seeds "$SHARED/data/stream/seeds.jsonl" --items 200000 --seed 2 \
        --out "$ITEMS" --truth "$TRUTH"
fi
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --quiet --release -p tangkal --bin tangkal
cargo build --quiet --release -p tangkal-narratives --example assign_loop
BIN=$CARGO_TARGET_DIR/release

# Runs a command under /usr/bin/time -v; prints "peak_rss_mib wall_s cpu_s".
measure() {
    local log=$1; shift
    /usr/bin/time -v "$@" 2> "$log.time" > "$log.out"
    awk -F': ' '/Maximum resident/ {rss=$2/1024} /Elapsed \(wall/ {n=split($2,t,":"); w=(n==3)?t[1]*3600+t[2]*60+t[3]:t[1]*60+t[2]}
                /User time/ {u=$2} /System time/ {s=$2} END {printf "%.1f %.2f %.2f\n", rss, w, u+s}' "$log.time"
}
# The peer script with its perf_counter timer reading CPU time instead of wall time (a command, not a
# shell function, so that /usr/bin/time can run it).
PEER=(python3 -c 'import runpy, sys, time; time.perf_counter = time.process_time; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name="__main__")'
    "$SHARED/tools/peers/minhash_peer.py")
python3 -c 'import datasketch, rensa' 2> /dev/null || { echo "needs: pip install datasketch rensa" >&2; exit 1; }
# Prints "B-cubed-F1 pairwise-F1 coordinated-P coordinated-R" ("-" where not available).
score() {
    [ -f "$TRUTH" ] || { echo "- - - -"; return; }
    python3 "$SHARED/tools/eval_clusters.py" "$1" "$TRUTH" | python3 -c 'import json,sys
d = json.load(sys.stdin); c = d.get("coordinated")
print("%.3f %.3f %s %s" % (d["bcubed"]["f1"], d["pairwise"]["f1"], "%.3f" % c["precision"] if c else "-", "%.3f" % c["recall"] if c else "-"))'
}
N=$(wc -l < "$ITEMS")

read -r loop_rss _ _ < <(measure "$OUT/loop" "$BIN/examples/assign_loop" "$ITEMS")
ours_loop=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["assign_items_per_cpu_s"])' "$OUT/loop.out")
bpi=$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["index_bytes_per_item"]))' "$OUT/loop.out")
read -r ours_rss ours_wall ours_cpu < <(measure "$OUT/ours" "$BIN/tangkal" narratives cluster --input "$ITEMS" --output "$OUT/ours.pred")
read -r ours_b3 ours_pw coord_p coord_r < <(score "$OUT/ours.pred")

declare -A loop rss wall cpu b3 pw
for impl in rensa datasketch; do
    read -r rss[$impl] wall[$impl] cpu[$impl] < <(measure "$OUT/$impl" "${PEER[@]}" --impl $impl --items "$ITEMS" --pred "$OUT/$impl.pred")
    loop[$impl]=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["items_per_s"])' "$OUT/$impl.out")
    read -r b3[$impl] pw[$impl] _ _ < <(score "$OUT/$impl.pred")
done

python3 - "$N" "$coord_p" "$coord_r" "$ours_loop" "$ours_wall" "$ours_cpu" "$ours_rss" "$bpi" "$ours_b3" "$ours_pw" \
    "${loop[rensa]}" "${wall[rensa]}" "${cpu[rensa]}" "${rss[rensa]}" "${b3[rensa]}" "${pw[rensa]}" \
    "${loop[datasketch]}" "${wall[datasketch]}" "${cpu[datasketch]}" "${rss[datasketch]}" "${b3[datasketch]}" "${pw[datasketch]}" <<'PY'
import sys
n, coord_p, coord_r = int(sys.argv[1]), sys.argv[2], sys.argv[3]
a = [sys.argv[1]] + sys.argv[4:]
rows = [("tangkal", a[1:8]), ("rensa", a[8:14] + ["-"]), ("datasketch", a[14:20] + ["-"])]
def f(x, d=0):
    try:
        return f"{float(x):,.{d}f}"
    except ValueError:
        return x
print(f"stream: {n:,} items")
print(f"{'':12}{'loop it/cpu-s':>15}{'process it/s':>14}{'process it/cpu-s':>18}{'peak RSS MiB':>14}{'B3 F1':>8}{'pair F1':>9}{'index B/item':>14}")
for name, v in rows:
    if name == "tangkal":
        loop, wall, cpu, rss, bpi, b3, pw = v
    else:
        loop, wall, cpu, rss, b3, pw, bpi = v
    print(f"{name:12}{f(loop):>15}{f(n/float(wall)):>14}{f(n/float(cpu)):>18}{f(rss,1):>14}{b3:>8}{pw:>9}{bpi:>14}")
ours = float(a[1])
for name, idx in (("rensa", 8), ("datasketch", 14)):
    print(f"tangkal / {name}: assign loop x{ours/float(a[idx]):.1f}, whole process (CPU) x{float(a[idx+2])/float(a[3]):.1f}")
print(f"tangkal coordinated flags: precision {coord_p}, recall {coord_r}")
PY

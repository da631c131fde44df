#!/usr/bin/env bash
# The long run of the parser fuzz targets (crates/fuzz): each target replays its committed corpus,
# then runs batches of generated and mutated inputs for SECONDS, from a fresh seed, and prints how
# many inputs it executed. A failing input is shrunk and saved into the target's corpus directory
# (crates/*/tests/corpus/<target>/found-*): commit it with the fix, as its regression test.
# `cargo test` runs the same targets briefly with a fixed seed.
#
# Usage: scripts/fuzz.sh [SECONDS]     (default 300 per target)
#   SEED=n          first seed (default: the current time; printed for reproducing a run)
#   PROFILE=debug   build without optimisations (default release: many more executions)
#   THREADS=n       targets run at once (default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-300}
SEED=${SEED:-$(date +%s)}
PROFILE=${PROFILE:-release}
THREADS=${THREADS:-1}
release=()
[ "$PROFILE" = release ] && release=(--release)

# `cargo test` arguments selecting each crate's fuzz targets
targets=(
  "tangkal-model --lib item::fuzz::"
  "tangkal-narratives --test fuzz_snapshot"
  "tangkal-matcher --test fuzz_formats"
  "tangkal-pipeline --lib fuzz::"
)

echo "fuzzing for ${SECONDS_PER_TARGET}s per target from seed $SEED ($PROFILE build)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
for target in "${targets[@]}"; do
  read -r -a args <<<"$target"
  TANGKAL_FUZZ_SECONDS=$SECONDS_PER_TARGET TANGKAL_FUZZ_SEED=$SEED TANGKAL_FUZZ_SAVE=1 \
    cargo test -q "${release[@]}" -p "${args[@]}" -- --nocapture --test-threads "$THREADS" >>"$log" 2>&1 || status=1
done

grep -oE 'fuzz [a-z_]+: [0-9]+ executions.*' "$log" || true
if [ "$status" -ne 0 ]; then
  echo "FAILED:"
  grep -E 'saved as|fuzz [a-z_]+ \(seed|corpus inputs fail|^input \(' "$log" || tail -50 "$log"
fi
exit "$status"

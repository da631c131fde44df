#!/usr/bin/env bash
# Stemmer agreement with the Sastrawi reference (PySastrawi 1.2.1 = PHP Sastrawi v1.2.0):
#  1. every word of reference_stems.tsv (20,257) and every sastrawi_cases.tsv row whose status starts
#     with "active", each under the dictionary its `dict` column names (library, all entry points);
#  2. the same 20,257 words through the command line, `tangkal text stem`.
# Needs ../shared. Exits non-zero on any disagreement.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/sastrawi}

cargo run --release -q -p tangkal-text --example sastrawi_eval -- "$DATA"

# A debug build is enough here (and much quicker to build); TANGKAL_BIN points at an existing binary.
if [ -z "${TANGKAL_BIN:-}" ]; then
  cargo build -q -p tangkal
fi
bin="${TANGKAL_BIN:-${CARGO_TARGET_DIR:-target}/debug/tangkal}"
total=$(wc -l < "$DATA/reference_stems.tsv")
agree=$(cut -f1 "$DATA/reference_stems.tsv" | "$bin" text stem - | paste - <(cut -f2 "$DATA/reference_stems.tsv") \
  | awk -F'\t' '$2 == $3' | wc -l)
echo "tangkal text stem: $agree/$total words agree with PySastrawi 1.2.1"
[ "$agree" -eq "$total" ]

#!/usr/bin/env bash
# Language identification accuracy (id/en/ms/jv/su) on texts under 20 words, for tangkal-text and for
# the crates considered (whatlang, lingua), on the labelled set in crates/text/tests/fixtures/language.tsv
# or the file given.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -p tangkal-text --example language_eval -- "${1:-crates/text/tests/fixtures/language.tsv}"

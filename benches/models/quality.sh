#!/usr/bin/env bash
# How generated drafts read (repetition, distinct-2) before and after the
# decoding defaults: builds the examples with the test profile ops/test
# uses and runs benches/models/generation_quality.rs on the installed
# models (ops/models/install). SHOW_TEXT=1 also prints every draft.
#
#   benches/models/quality.sh [TOKENS]      # default 160 tokens a draft
set -euo pipefail
cd "$(dirname "$0")/../.."
export AGORA_MODELS_DIR="${AGORA_MODELS_DIR:-$HOME/.cache/agora/models}"
export OMP_THREAD_LIMIT=1
cargo test --quiet --workspace --features esdb --no-run >/dev/null 2>&1
"${CARGO_TARGET_DIR:-target}/debug/examples/generation_quality" "${1:-160}"

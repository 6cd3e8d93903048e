#!/usr/bin/env bash
# Model benchmark, side by side in one run: embeddings and generation on
# tract vs onnxruntime (same model, same inputs, one thread each), OCR pages/s
# through the tesseract crate (one engine, then the pool with 1 and 2 pinned
# workers) vs the `tesseract` CLI on the same images.
#
#   benches/models/run.sh [EMBED_ITERS] [GEN_TOKENS] [OCR_PAGES]
#
# Needs the models (ops/models/install). Uses CARGO_TARGET_DIR if set. The
# Rust side runs on the release profile, as `agora serve` ships.
set -euo pipefail
cd "$(dirname "$0")/../.."
ITERS=${1:-200}
TOKENS=${2:-64}
PAGES=${3:-8}
DIR=${AGORA_MODELS_DIR:-$HOME/.cache/agora/models}
export OMP_THREAD_LIMIT=1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# An English page of 12 lines, rendered like the tests' images.
LINES=()
for i in $(seq 1 12); do
  LINES+=("label:Line $i: the model workers read scanned pages and verify content.")
done
convert -font /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf -pointsize 28 \
  -background white -fill black "${LINES[@]}" -append \
  -bordercolor white -border 30 "$TMP/page.png"

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc --all) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
cargo run -q --release -p agora-actors --example models_bench -- "$ITERS" "$TOKENS" "$PAGES" "$TMP/page.png"
"$DIR/venv/bin/python" benches/models/ort_bench.py "$DIR" 1 "$ITERS" "$TOKENS"

tesseract "$TMP/page.png" - -l eng >/dev/null 2>&1
start=$(date +%s.%N)
for _ in $(seq 1 "$PAGES"); do
  tesseract "$TMP/page.png" - -l eng >/dev/null 2>&1
done
end=$(date +%s.%N)
python3 -c "import json; print(json.dumps({'runtime':'tesseract-cli','bench':'ocr','workers':1,'pages':$PAGES,'pages_per_s':round($PAGES/($end-$start),3)}))"

#!/usr/bin/env bash
# Every unit of EfficientNet-Lite0 (configs/full.yaml: 49 layers, 21,008 units and their random-init
# controls) on a CUDA GPU, in one go:
#   1. feature visualization against lucent, with the forward pass in bfloat16 and float16 beside
#      float32 (seconds and pixel change: the atlas stays in float32 unless they are identical);
#   2. units per second per stage on the first units of every layer, and a linear estimate for all;
#   3. the whole config computed into the store (then `make site` builds the pages).
# Usage: scripts/gpu_full.sh [--estimate-only] [more options for step 3, e.g. --store DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || make venv  # the README's set-up, where it has not run yet
"$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else "error: no CUDA device visible to torch")'
"$PY" -m generate bench --sections featurevis --device cuda
"$PY" -m generate bench --sections stages --config configs/full.yaml --device cuda --units-per-layer 2
if [ "${1:-}" = "--estimate-only" ]; then exit 0; fi
time "$PY" -m generate atlas --config configs/full.yaml --device cuda --no-build "$@"

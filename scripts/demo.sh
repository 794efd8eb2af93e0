#!/usr/bin/env bash
# The main job: build nnom and run the hand-built CNN example, which prints its
# outputs, arena size and per-layer statistics, saves a .nnom file and checks
# that the loaded file answers bit for bit the same.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc 2>/dev/null || echo 2)" --target run_cnn28
./build/release/examples/c/run_cnn28 build/release/cnn28.nnom

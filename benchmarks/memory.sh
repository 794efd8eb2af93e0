#!/usr/bin/env bash
# RAM of nnom against TensorFlow Lite Micro on the digits models, the 28x28 CNN, MobileNetV1-0.25 96x96 and
# (when benchmarks/mlperf is there) the MLPerf Tiny re-creations: nnom's arena and its lower bound, its
# model structures, TFLM's head arena and smallest arena, and the ratios. Installs what is missing
# (tensorflow-cpu, tflite-micro; the nnom package from ./python) and writes benchmarks/results/memory.md.
# A few minutes (TFLM's smallest arena is found by bisection, one process per try).
#   usage: bash benchmarks/memory.sh [--only NAME ...]
#   The nnom package is built from this tree first (NNOM_REUSE_INSTALLED=1 keeps an installed one).
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/python_env.sh
bench_need memory tensorflow tensorflow-cpu
bench_need memory tflite_micro.python.tflite_micro.runtime tflite-micro
bench_nnom memory

exec "$PY" benchmarks/memory.py "$@"

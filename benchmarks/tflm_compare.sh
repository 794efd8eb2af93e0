#!/usr/bin/env bash
# nnom against TensorFlow Lite Micro on three small Keras models (scikit-learn digits): accuracy, arena bytes,
# model bytes, wall-clock time and callgrind instruction counts, side by side. Installs what is missing
# (tflite-micro, tensorflow-cpu, scikit-learn; the nnom package from ./python; cmake and valgrind through
# scripts/setup.sh) and writes benchmarks/results/tflm_compare.md. About 3 minutes.
#   usage: bash benchmarks/tflm_compare.sh [--epochs 25] [--reps 7] [--cg-images 50] [--no-callgrind]
#   The nnom package is built from this tree first (NNOM_REUSE_INSTALLED=1 keeps an installed one).
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/python_env.sh
bench_need tflm_compare tensorflow tensorflow-cpu
bench_need tflm_compare sklearn scikit-learn
bench_need tflm_compare tflite_micro.python.tflite_micro.runtime tflite-micro
bench_nnom tflm_compare

exec "$PY" benchmarks/tflm_compare.py "$@"

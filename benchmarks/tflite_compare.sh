#!/usr/bin/env bash
# The same .tflite files (the four MLPerf Tiny re-creations of benchmarks/tflite_mlperf.py and the digits
# fixtures of Tests/fixtures/tflite) in TensorFlow Lite Micro and nnom, side by side: file size, arena, total
# RAM, x86 instructions per inference (callgrind, both engines in one run) and bit-exactness on every sample; and
# nnom's Cortex-M4 instructions per inference under QEMU (benchmarks/firmware/tflite_m4.sh).
# Installs what is missing (tflite-micro, tensorflow-cpu; the nnom package from ./python; cmake and valgrind
# through scripts/setup.sh) and writes benchmarks/results/tflite_compare.md. The MLPerf models are built with
# TensorFlow once and kept under benchmarks/work/tflite_compare/ (--rebuild to redo); a few minutes.
#   usage: bash benchmarks/tflite_compare.sh [--samples 50] [--cg-samples 10] [--no-callgrind] [--no-m4] [--rebuild]
#   The nnom package is built from this tree first (NNOM_REUSE_INSTALLED=1 keeps an installed one);
#   PYTHON selects the interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/python_env.sh
bench_need tflite_compare tensorflow tensorflow-cpu
bench_need tflite_compare tflite_micro.python.tflite_micro.runtime tflite-micro
bench_nnom tflite_compare

exec "$PY" benchmarks/tflite_compare.py "$@"

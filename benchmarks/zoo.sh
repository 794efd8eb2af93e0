#!/usr/bin/env bash
# Architectures the project was not tuned on (keras.applications MobileNetV2, MobileNetV3 Small and Large,
# EfficientNetB0 at small inputs; hand-made DenseNet, Inception, Conv1D keyword and LSTM/GRU models), with
# random weights: converted or not, SQNR and top-1 agreement of int8 and float32 (C runtime) against Keras,
# arena against TFLM's head arena, x86 instructions per MAC (callgrind, small models), an ASan run.
# Installs what is missing (tensorflow-cpu, tflite-micro; the nnom package from ./python), builds
# benchmarks/zoo_run twice (RelWithDebInfo; Debug with -DNNOM_SANITIZE=ON) and writes benchmarks/results/zoo.md.
# About 15 minutes on two cores.
#   usage: bash benchmarks/zoo.sh [--only NAME ...] [--no-tflm] [--no-callgrind]
#   The nnom package is built from this tree first (NNOM_REUSE_INSTALLED=1 keeps an installed one).
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/python_env.sh
bench_need zoo tensorflow tensorflow-cpu
bench_need zoo tflite_micro.python.tflite_micro.runtime tflite-micro
bench_nnom zoo

jobs=2
cmake -S . -B build/zoo -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/zoo --target zoo_run -j "$jobs" >/dev/null
cmake -S . -B build/zoo-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DNNOM_SANITIZE=ON >/dev/null
cmake --build build/zoo-asan --target zoo_run -j "$jobs" >/dev/null
exec "$PY" benchmarks/zoo.py --zoo-run build/zoo/benchmarks/zoo_run --asan-run build/zoo-asan/benchmarks/zoo_run "$@"

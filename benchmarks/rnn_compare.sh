#!/usr/bin/env bash
# nnom int8 against TensorFlow Lite Micro int8 on the recurrent digits fixtures (GRU, LSTM): accuracy, arena
# bytes, model bytes and callgrind instruction counts, side by side. TFLM runs a tf_keras (Keras 2) rebuild of each
# model with the same trained weights, quantised to int8 on the same calibration images (TensorFlow's converter
# does not convert the Keras 3 models; that error is recorded), and the Keras 3 model's float32 .tflite for
# reference. Installs what is missing (tflite-micro, tensorflow-cpu, tf-keras, scikit-learn; the nnom package from
# ./python if it lacks the state API; cmake and valgrind through scripts/setup.sh) and writes
# benchmarks/results/rnn_compare.md. About 3 minutes.
#   usage: bash benchmarks/rnn_compare.sh [--cg-images 50] [--no-callgrind]
#   The nnom package is built from this tree first (NNOM_REUSE_INSTALLED=1 keeps an installed one).
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/python_env.sh
bench_need rnn_compare tensorflow tensorflow-cpu
bench_need rnn_compare sklearn scikit-learn
bench_need rnn_compare tf_keras tf-keras
bench_need rnn_compare tflite_micro tflite-micro
bench_nnom rnn_compare

exec "$PY" benchmarks/rnn_compare.py "$@"

#!/usr/bin/env bash
# The same .tflite files (the four MLPerf Tiny re-creations of benchmarks/tflite_mlperf.py and the digits
# fixtures of Tests/fixtures/tflite) in TensorFlow Lite Micro and nnom, side by side: file size, arena, total
# RAM, x86 instructions per inference (callgrind, both engines in one run) and bit-exactness on every sample; and
# nnom's Cortex-M4 instructions per inference under QEMU (benchmarks/firmware/tflite_m4.sh).
# Installs what is missing (tflite-micro, tensorflow-cpu; the nnom package from ./python; cmake and valgrind
# through scripts/setup.sh) and writes benchmarks/results/tflite_compare.md. The MLPerf models are built with
# TensorFlow once and kept under benchmarks/work/tflite_compare/ (--rebuild to redo); a few minutes.
#   usage: bash benchmarks/tflite_compare.sh [--samples 50] [--cg-samples 10] [--no-callgrind] [--no-m4] [--rebuild]
#   NNOM_REINSTALL=1 reinstalls the nnom package from this tree first; PYTHON selects the interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

# Debian packages (cmake, ninja, valgrind, compilers, the converter's libraries) only; Python below.
NNOM_SETUP_PYTHON=0 bash scripts/setup.sh

pip_install() { "$PY" -m pip install -q --disable-pip-version-check "$@"; }
if ! "$PY" -c "import tensorflow" 2>/dev/null; then
  echo "tflite_compare: installing tensorflow-cpu"
  pip_install tensorflow-cpu
fi
if ! "$PY" -c "from tflite_micro.python.tflite_micro import runtime" 2>/dev/null; then
  echo "tflite_compare: installing tflite-micro"
  pip_install tflite-micro
fi
if [ "${NNOM_REINSTALL:-0}" = 1 ] || ! "$PY" -c "import nnom" 2>/dev/null; then
  echo "tflite_compare: installing the nnom package from ./python"
  pip_install ./python
fi

exec "$PY" benchmarks/tflite_compare.py "$@"

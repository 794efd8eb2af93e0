#!/usr/bin/env bash
# nnom against TensorFlow Lite Micro on three small Keras models (scikit-learn digits): accuracy, arena bytes,
# model bytes, wall-clock time and callgrind instruction counts, side by side. Installs what is missing
# (tflite-micro, tensorflow-cpu, scikit-learn; the nnom package from ./python; cmake and valgrind through
# scripts/setup.sh) and writes benchmarks/results/tflm_compare.md. About 3 minutes.
#   usage: bash benchmarks/tflm_compare.sh [--epochs 25] [--reps 7] [--cg-images 50] [--no-callgrind]
#   NNOM_REINSTALL=1 reinstalls the nnom package from this tree first.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

# Debian packages (cmake, ninja, valgrind, compilers, the converter's libraries) only; Python below.
NNOM_SETUP_PYTHON=0 bash scripts/setup.sh

pip_install() { "$PY" -m pip install -q --disable-pip-version-check "$@"; }
if ! "$PY" -c "import tensorflow" 2>/dev/null; then
  echo "tflm_compare: installing tensorflow-cpu"
  pip_install tensorflow-cpu
fi
if ! "$PY" -c "import sklearn" 2>/dev/null; then
  echo "tflm_compare: installing scikit-learn"
  pip_install scikit-learn
fi
if ! "$PY" -c "from tflite_micro.python.tflite_micro import runtime" 2>/dev/null; then
  echo "tflm_compare: installing tflite-micro"
  pip_install tflite-micro
fi
if [ "${NNOM_REINSTALL:-0}" = 1 ] || ! "$PY" -c "import nnom" 2>/dev/null; then
  echo "tflm_compare: installing the nnom package from ./python"
  pip_install ./python
fi

exec "$PY" benchmarks/tflm_compare.py "$@"

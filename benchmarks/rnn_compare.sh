#!/usr/bin/env bash
# nnom (int8) against TensorFlow Lite Micro on the recurrent digits fixtures (GRU, LSTM): accuracy, arena bytes,
# model bytes and callgrind instruction counts, side by side; records TensorFlow's int8 conversion failure and
# runs TFLM on the float32 .tflite. Installs what is missing (tflite-micro, tensorflow-cpu, scikit-learn; the nnom
# package from ./python if it lacks the state API; cmake and valgrind through scripts/setup.sh) and writes
# benchmarks/results/rnn_compare.md. About 2 minutes.
#   usage: bash benchmarks/rnn_compare.sh [--cg-images 50] [--no-callgrind]
#   NNOM_REINSTALL=1 reinstalls the nnom package from this tree first.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

# Debian packages (cmake, ninja, valgrind, compilers) only; Python below.
NNOM_SETUP_PYTHON=0 bash scripts/setup.sh

pip_install() { "$PY" -m pip install -q --disable-pip-version-check "$@"; }
if ! "$PY" -c "import tensorflow" 2>/dev/null; then
  echo "rnn_compare: installing tensorflow-cpu"
  pip_install tensorflow-cpu
fi
if ! "$PY" -c "import sklearn" 2>/dev/null; then
  echo "rnn_compare: installing scikit-learn"
  pip_install scikit-learn
fi
if ! "$PY" -c "import tflite_micro" 2>/dev/null; then
  echo "rnn_compare: installing tflite-micro"
  pip_install tflite-micro
fi
if [ "${NNOM_REINSTALL:-0}" = 1 ] || ! "$PY" -c "import nnom, sys; sys.exit(0 if hasattr(nnom.Model, 'reset_state') else 1)" 2>/dev/null; then
  echo "rnn_compare: installing the nnom package from ./python"
  pip_install ./python
fi
exec "$PY" benchmarks/rnn_compare.py "$@"

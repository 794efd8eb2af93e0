#!/usr/bin/env bash
# RAM of nnom against TensorFlow Lite Micro on the digits models, the 28x28 CNN, MobileNetV1-0.25 96x96 and
# (when benchmarks/mlperf is there) the MLPerf Tiny re-creations: nnom's arena and its lower bound, its
# model structures, TFLM's head arena and smallest arena, and the ratios. Installs what is missing
# (tensorflow-cpu, tflite-micro; the nnom package from ./python) and writes benchmarks/results/memory.md.
# A few minutes (TFLM's smallest arena is found by bisection, one process per try).
#   usage: bash benchmarks/memory.sh [--only NAME ...]
#   NNOM_REINSTALL=1 reinstalls the nnom package from this tree first.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

NNOM_SETUP_PYTHON=0 bash scripts/setup.sh

pip_install() { "$PY" -m pip install -q --disable-pip-version-check "$@"; }
if ! "$PY" -c "import tensorflow" 2>/dev/null; then
  echo "memory: installing tensorflow-cpu"
  pip_install tensorflow-cpu
fi
if ! "$PY" -c "from tflite_micro.python.tflite_micro import runtime" 2>/dev/null; then
  echo "memory: installing tflite-micro"
  pip_install tflite-micro
fi
if [ "${NNOM_REINSTALL:-0}" = 1 ] || ! "$PY" -c "import nnom; nnom.Model.arena_lower_bound" 2>/dev/null; then
  echo "memory: installing the nnom package from ./python"
  pip_install ./python
fi

exec "$PY" benchmarks/memory.py "$@"

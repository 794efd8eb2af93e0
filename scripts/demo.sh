#!/usr/bin/env bash
# The main job, on a fresh machine: install what is needed, build and install
# the nnom Python package, train a small CNN on scikit-learn's digits, convert
# it to int8 with one line, evaluate Keras float against nnom int8 on 500
# held-out images, print accuracy, memory and the per-layer table, write
# weights.h, and check that a C program built around weights.h reproduces the
# Python int8 outputs bit for bit.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
python3 -m pip install -q --disable-pip-version-check ./python
python3 examples/python/digits_demo.py --out build/demo "$@"

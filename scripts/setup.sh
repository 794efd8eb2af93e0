#!/usr/bin/env bash
# Installs what building and testing nnom needs, once; a no-op when all is there.
#   Debian packages through apt-get (as root, or through sudo);
#   Python packages through pip (TensorFlow for training and the Python tests).
set -euo pipefail

APT_PACKAGES=(cmake ninja-build pkg-config build-essential valgrind python3-dev doxygen
              libhdf5-dev libzip-dev libcjson-dev)
PIP_PACKAGES=(numpy tqdm pytest scikit-learn matplotlib scikit-build-core tensorflow-cpu tf-keras tflite-micro)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# the Cortex-M toolchain and QEMU, for the firmware checks
bash "$(dirname "$0")/setup-firmware.sh"

if [ "${NNOM_SETUP_PYTHON:-1}" = 1 ]; then
  if ! python3 -c "import numpy, tqdm, pytest, sklearn, matplotlib, scikit_build_core, tensorflow, tf_keras, tflite_micro" 2>/dev/null; then
    echo "setup: installing Python packages ${PIP_PACKAGES[*]}"
    python3 -m pip install -q --disable-pip-version-check "${PIP_PACKAGES[@]}"
  fi
fi

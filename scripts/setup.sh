#!/usr/bin/env bash
# Installs what building and testing nnom needs, once; a no-op when all is there.
# Debian/Ubuntu packages through apt-get (as root, or through sudo).
set -euo pipefail

APT_PACKAGES=(cmake ninja-build pkg-config build-essential valgrind libhdf5-dev libzip-dev libcjson-dev)

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

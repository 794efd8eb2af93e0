#!/usr/bin/env bash
# Installs what the firmware build and its QEMU checks need, once; a no-op when
# all is there: the GNU Arm bare-metal toolchain with newlib, and QEMU for Arm
# (Debian/Ubuntu packages, through apt-get as root or through sudo).
# Used by Tests/firmware/run.sh and benchmarks/firmware/run.sh.
set -euo pipefail

APT_PACKAGES=(gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup-firmware: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

#!/usr/bin/env bash
# Builds the instruction-counting QEMU plugin: libinsn_count.so in the given
# directory (default: build/qemu-insn-plugin). Needs only a host C compiler;
# the plugin API symbols are resolved from qemu-system-* when it loads the plugin.
#   usage: tools/qemu-insn-plugin/build.sh [out-dir]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../../build/qemu-insn-plugin}"
mkdir -p "$out"
"${CC:-cc}" -std=c99 -O2 -Wall -Wextra -Werror -fPIC -shared -fvisibility=hidden \
  -o "$out/libinsn_count.so" "$here/insn_count.c" "$here/m4_timing.c"
echo "$out/libinsn_count.so"

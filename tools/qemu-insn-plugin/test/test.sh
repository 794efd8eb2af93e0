#!/usr/bin/env bash
# Checks the plugin's unaligned=1 accounting on a firmware with a known set of
# unaligned loads and stores (unaligned_check.c: 10 passes of 9 unaligned
# accesses worth 12 extra cycles), and that the default output has no trace of
# it. Needs arm-none-eabi-gcc and qemu-system-arm.
#   usage: tools/qemu-insn-plugin/test/test.sh [build-dir]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fw="$here/../../../examples/cortex-m4"
out="${1:-$here/../../../build/qemu-insn-plugin-test}"
mkdir -p "$out"
plugin=$("$here/../build.sh" "$out")
elf=$out/unaligned_check.elf
arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -std=c99 -O2 -Wall -Wextra \
  -I"$fw" -T"$fw/mps2_an386.ld" -nostartfiles --specs=nano.specs -o "$elf" \
  "$here/unaligned_check.c" "$fw/startup.c" "$fw/semihosting.c" "$fw/bench_markers.c"
addr() { arm-none-eabi-nm "$elf" | awk -v s="$1" '$3 == s { print "0x" $1 }'; }
args="begin=$(addr fw_bench_begin),end=$(addr fw_bench_end),layer=$(addr fw_layer_timer)"
run() { qemu-system-arm -M mps2-an386 -nographic -semihosting-config enable=on,target=native \
          -kernel "$elf" -plugin "$plugin,$args$1" -d plugin 2>&1; }
plain=$(run "")
with=$(run ",unaligned=1")
field() { grep "^insn_count: $1" <<<"$2" | sed -E "s/.* $3=([0-9]+).*/\1/"; }
fail=0
expect() { # what got wanted
  if [ "$2" = "$3" ]; then echo "ok: $1 = $2"; else echo "FAIL: $1 = '$2', expected $3"; fail=1; fi
}
passes=10 per_pass_accesses=9 per_pass_extra=12
expect "unaligned accesses" "$(field 'unaligned ' "$with" accesses)" $((passes * per_pass_accesses))
expect "extra cycles" "$(field 'unaligned ' "$with" extra_cycles)" $((passes * per_pass_extra))
expect "layer slot 0 accesses" "$(field 'layer_unaligned 0 ' "$with" accesses)" $((passes * per_pass_accesses))
expect "region cycles with - without" \
  $(( $(field 'estimated_cycles' "$with" region) - $(field 'estimated_cycles' "$plain" region) )) $((passes * per_pass_extra))
expect "layer 0 cycles with - without" \
  $(( $(field 'layer 0 ' "$with" cycles) - $(field 'layer 0 ' "$plain" cycles) )) $((passes * per_pass_extra))
expect "instructions unchanged" "$(field 'total' "$with" region)" "$(field 'total' "$plain" region)"
expect "default output has no unaligned lines" "$(grep -c unaligned <<<"$(grep '^insn_count' <<<"$plain")" || true)" 0
exit $fail

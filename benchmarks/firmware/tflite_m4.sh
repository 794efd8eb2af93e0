#!/usr/bin/env bash
# Cortex-M4 instructions per inference of int8 .tflite models converted by nnom's tools, under QEMU
# (mps2-an386) with the instruction-counting plugin of tools/qemu-insn-plugin; used by
# benchmarks/tflite_compare.py. Each model becomes a firmware (examples/cortex-m4, -Os, Cortex-M DSP
# kernels, one build folder for all models) through examples/cortex-m4/host/make_headers tflite; the
# firmware's outputs on the first COUNT inputs must equal the host runtime's (make_headers' expected file).
#   usage: benchmarks/firmware/tflite_m4.sh COUNT NAME=MODEL.tflite=X.npy ...
# Prints one line per model:
#   m4 NAME insns=<per inference> macs=<n> arena=<bytes> model_ram=<bytes> stack=<bytes> exact=<yes|no>
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
count=$1
shift
bash scripts/setup-firmware.sh >&2

build=build/tflite-m4
gen=$build/gen
jobs=2
BENCH_RUNS=${BENCH_RUNS:-2}
POOL_BYTES=$((512 * 1024))   # model structures and arena of the largest model (MobileNet: ~70 KB) fit
mkdir -p "$gen"

cmake -S examples/cortex-m4/host -B "$build/host" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build/host" -j "$jobs" >/dev/null
names=()
for spec in "$@"; do
  IFS== read -r name model x <<<"$spec"
  "$build/host/make_headers" tflite "$name" "$model" "$x" "$gen" "$count" >/dev/null
  names+=("$name")
done
plugin=$(tools/qemu-insn-plugin/build.sh "$build/plugin")

fw=$build/fw
cmake -S examples/cortex-m4 -B "$fw" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$root/cmake/arm-none-eabi.cmake" \
  -DCMAKE_BUILD_TYPE=MinSizeRel -DFW_LAYERS=auto -DFW_BENCH_RUNS="$BENCH_RUNS" -DFW_POOL_BYTES="$POOL_BYTES" \
  -DFW_MODEL_DIR="$root/$gen" -DFW_MODELS="$(IFS=';'; echo "${names[*]}")" >/dev/null
cmake --build "$fw" -j "$jobs" >/dev/null

for name in "${names[@]}"; do
  elf=$fw/fw_$name.elf
  begin=$(arm-none-eabi-nm "$elf" | awk '$3 == "fw_bench_begin" { print "0x" $1 }')
  end=$(arm-none-eabi-nm "$elf" | awk '$3 == "fw_bench_end" { print "0x" $1 }')
  out=$(timeout 600 qemu-system-arm -M mps2-an386 -nographic -semihosting-config enable=on,target=native \
        -kernel "$elf" -plugin "$plugin,begin=$begin,end=$end" -d plugin 2>&1) || {
    echo "error: $name: the firmware failed" >&2; tail -5 <<<"$out" >&2; exit 1; }
  stats=$(grep '^stats:' <<<"$out")
  region=$(grep 'insn_count: total' <<<"$out" | sed -E 's/.*region=([0-9]+).*/\1/')
  get() { sed -E "s/.* $1=([0-9]+).*/\1/" <<<"$stats"; }
  exact=no
  diff -q <(grep -E '^(plan|output)' <<<"$out") "$gen/${name}_expected.txt" >/dev/null && exact=yes
  echo "m4 $name insns=$((region / $(get bench_runs))) macs=$(get macs) arena=$(get arena)" \
       "model_ram=$(get model_ram) stack=$(get stack) exact=$exact"
done

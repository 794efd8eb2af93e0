#!/usr/bin/env bash
# The plan's goal on the Cortex-M4 (nnom_options.plan_goal): instructions per inference and arena
# of the smallest plan (the default), the fastest plan with no limit (nothing in place, nothing
# tiled), the fastest plan held to the smallest plan's arena (what it picks to fit), the fastest
# plan one byte below the plain plan's arena (the fastest that saves memory: windows in place, or a
# tiling that keeps every halo, before any that computes halos again), and the smallest plan without tiling (windowed convolutions in place where that is smaller), for the
# 28x28 CNN and the MLPerf Tiny re-creations (DS-CNN, MobileNetV1-0.25, ResNet-8). Firmware as in
# benchmarks/firmware/run.sh (-O2, DSP kernels, the model's layers only), run under QEMU with
# tools/qemu-insn-plugin; outputs compared with the host runtime's bit for bit. Prints a markdown
# table (summarised in docs/design-notes.md); writes nothing under benchmarks/results.
#   usage: benchmarks/firmware/plan_goal.sh [models]   (default: cnn28 kws vww resnet8)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
build=build/plan-goal
gen=$build/gen
jobs=2
runs=2
models=${*:-cnn28 kws vww resnet8}
mkdir -p "$gen"
cmake -S examples/cortex-m4/host -B "$build/host" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build/host" -j "$jobs" >/dev/null
work=benchmarks/work/mlperf
[ -f "$work/models.txt" ] || nice python3 benchmarks/mlperf/make_models.py "$work"
for m in $models; do
  if [ "$m" = cnn28 ]; then "$build/host/make_headers" cnn28 "$gen" 1 >/dev/null
  else "$build/host/make_headers" keras "$m" "$work/$m.keras" "$work/$m.calib.npy" "$work/$m.test.npy" - "$gen" 1 >/dev/null
  fi
done
plugin=$(tools/qemu-insn-plugin/build.sh "$build/plugin")
sym_addr() { arm-none-eabi-nm "$1" | awk -v s="$2" '$3 == s { print "0x" $1 }'; }

run() { # model goal limit tiling_percent -> "insns arena macs"
  local model=$1 goal=$2 limit=$3 percent=$4 dir=$build/$1-$2-$3-$4
  cmake -S examples/cortex-m4 -B "$dir" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$root/cmake/arm-none-eabi.cmake" \
    -DCMAKE_BUILD_TYPE=Release "-DCMAKE_C_FLAGS_RELEASE=-O2 -DNDEBUG" -DFW_POOL_BYTES=$((512 * 1024)) \
    -DFW_LAYERS=auto -DFW_BENCH_RUNS=$runs -DFW_PLAN_GOAL="$goal" -DFW_MAX_ARENA_BYTES="$limit" -DFW_TILING_PERCENT="$percent" \
    -DNNOM_INT8_ONLY=ON -DNNOM_TERSE_ERRORS=OFF -DFW_MODEL_DIR="$root/$gen" -DFW_MODELS="$model" >/dev/null
  nice cmake --build "$dir" -j "$jobs" >/dev/null
  local elf=$dir/fw_$model.elf out
  out=$(timeout 600 qemu-system-arm -M mps2-an386 -nographic -semihosting-config enable=on,target=native \
        -kernel "$elf" -plugin "$plugin,begin=$(sym_addr "$elf" fw_bench_begin),end=$(sym_addr "$elf" fw_bench_end)" \
        -d plugin 2>&1)
  if ! diff <(grep -E '^output' <<<"$out") <(grep -E '^output' "$gen/${model}_expected.txt") >/dev/null; then
    echo "error: $model goal $goal limit $limit: the firmware's outputs differ from the host runtime's" >&2
    echo "$out" | grep -E '^error' >&2 || true
    exit 1
  fi
  local region stats
  region=$(grep 'insn_count: total' <<<"$out" | sed -E 's/.*region=([0-9]+).*/\1/')
  stats=$(grep '^stats:' <<<"$out")
  echo "$((region / runs)) $(sed -E 's/.* arena=([0-9]+).*/\1/' <<<"$stats") $(sed -E 's/.* macs=([0-9]+).*/\1/' <<<"$stats")"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "| model | MACs | smallest: arena B | instr/MAC | fastest: arena B | instr/MAC | instr. saved | fastest within the smallest's arena: arena B | instr/MAC | fastest below the plain arena: arena B | instr/MAC | windows in place, no tiling: arena B | instr/MAC |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for m in $models; do
  read -r si sa macs <<<"$(run "$m" 0 0 0)"
  read -r fi fa _ <<<"$(run "$m" 1 0 0)"
  read -r li la _ <<<"$(run "$m" 1 "$sa" 0)"
  bi=-; ba=-  # none when nothing is smaller than the plain plan
  [ "$sa" -lt "$fa" ] && read -r bi ba _ <<<"$(run "$m" 1 $((fa - 1)) 0)"
  read -r wi wa _ <<<"$(run "$m" 0 0 -1)"
  echo "| $m | $macs | $sa | $(ratio "$si" "$macs") | $fa | $(ratio "$fi" "$macs") | $(awk -v a="$si" -v b="$fi" 'BEGIN { printf "%.1f %%", 100 * (a - b) / a }') | $la | $(ratio "$li" "$macs") | $ba | $([ "$bi" = - ] && echo - || ratio "$bi" "$macs") | $wa | $(ratio "$wi" "$macs") |"
done

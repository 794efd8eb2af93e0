#!/usr/bin/env bash
# RAM of nnom against TensorFlow Lite Micro on the digits models, the 28x28 CNN, MobileNetV1-0.25 96x96 and
# the MLPerf Tiny re-creations of benchmarks/mlperf/make_models.py: nnom's arena (the PC's plan and a
# Cortex-M4 DSP firmware's) and its lower bound, TFLM's head arena and smallest arena, nnom's model
# bookkeeping and stack measured on the Cortex-M4 (QEMU mps2-an386), the ratios, and the 28x28 CNN's
# instructions per MAC on the Cortex-M4 (QEMU plugin) and on x86-64 (callgrind). Installs what is missing
# (tensorflow-cpu, tflite-micro; the nnom package from ./python) and writes benchmarks/results/memory.md.
# A few minutes (TFLM's smallest arena is found by bisection, one process per try; one firmware per model).
#   usage: bash benchmarks/memory.sh [--only NAME ...]
#   The nnom package is built from this tree first (NNOM_REUSE_INSTALLED=1 keeps an installed one).
#   M4=0 skips the firmware part (no Cortex-M4 columns, no instructions per MAC); M4_ONLY=1 runs only
#   the firmware part and the tables, on the PC results and headers of the last run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
source benchmarks/python_env.sh
bench_need memory tensorflow tensorflow-cpu
bench_need memory tflite_micro.python.tflite_micro.runtime tflite-micro
bench_nnom memory

work=benchmarks/work/memory
gen=$work/gen
jobs=2
if [ "${M4_ONLY:-0}" != 1 ]; then
  rm -rf "$gen"
  mkdir -p "$gen"
  # 1. nnom and TFLM on the PC; each model's weights.h and a one-input header for the firmware
  "$PY" benchmarks/memory.py measure --fw-dir "$gen" --json "$work/rows.json" "$@"
fi
: >"$work/m4.txt"

if [ "${M4:-1}" != 0 ]; then
  bash scripts/setup-firmware.sh
  # 2. the 28x28 CNN of examples/c on x86-64: instructions inside nnom_model_run (callgrind)
  echo "== 28x28 CNN on x86-64 (callgrind)"
  cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build/bench --target bench_cnn28 -j "$jobs" >/dev/null
  runs=10
  line=$(valgrind --tool=callgrind --toggle-collect=nnom_model_run --callgrind-out-file="$work/cg.out" \
           build/bench/benchmarks/bench_cnn28 "$runs" 2>"$work/valgrind.log")
  echo "x86 cnn28 $(( $(awk '/^summary:/ {print $2}' "$work/cg.out") / runs )) $(sed -E 's/.*macs=([0-9]+).*/\1/' <<<"$line")" \
    >>"$work/m4.txt"

  # 3. the same CNN's firmware headers (examples/cortex-m4/host), then one -Os firmware per model with
  #    the DSP kernels and every layer type; each runs under QEMU and prints its arena, the bytes its
  #    model structures took from the static pool, and its stack high-water mark
  echo "== Cortex-M4 firmware (QEMU mps2-an386)"
  cmake -S examples/cortex-m4/host -B build/memory-host -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build/memory-host -j "$jobs" >/dev/null
  build/memory-host/make_headers cnn28 "$gen" 1 >/dev/null
  models=$(echo cnn28 $(cat "$gen/models.txt"))
  plugin=$(tools/qemu-insn-plugin/build.sh build/memory-plugin)
  fw=build/memory-fw
  cmake -S examples/cortex-m4 -B "$fw" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$root/cmake/arm-none-eabi.cmake" \
    -DCMAKE_BUILD_TYPE=MinSizeRel -DFW_POOL_BYTES=$((512 * 1024)) -DFW_LAYERS=all -DFW_BENCH_RUNS=2 \
    -DFW_MODEL_DIR="$root/$gen" -DFW_MODELS="${models// /;}" >/dev/null
  cmake --build "$fw" -j "$jobs" >/dev/null
  addr() { arm-none-eabi-nm "$1" | awk -v s="$2" '$3 == s { print "0x" $1 }'; }
  for model in $models; do
    elf=$fw/fw_$model.elf
    args="begin=$(addr "$elf" fw_bench_begin),end=$(addr "$elf" fw_bench_end),layer=$(addr "$elf" fw_layer_timer)"
    out=$(timeout 600 qemu-system-arm -M mps2-an386 -nographic -semihosting-config enable=on,target=native \
          -kernel "$elf" -plugin "$plugin,$args" -d plugin 2>&1)
    stats=$(grep '^stats:' <<<"$out") || { echo "error: $model: the firmware failed"; echo "$out" | tail -5; exit 1; }
    get() { sed -E "s/.* $1=([0-9]+).*/\1/" <<<"$stats"; }
    region=$(sed -E 's/.*region=([0-9]+).*/\1/' <<<"$(grep 'insn_count: total' <<<"$out")")
    echo "m4 $model $(get arena) $(get model_ram) $(get stack) $((region / $(get bench_runs))) $(get macs)" >>"$work/m4.txt"
    echo "  $model: arena $(get arena), bookkeeping $(get model_ram), stack $(get stack)"
  done
fi

# 4. the tables
exec "$PY" benchmarks/memory.py report --json "$work/rows.json" --m4 "$work/m4.txt"

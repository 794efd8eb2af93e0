#!/usr/bin/env bash
# Firmware benchmark: the models of examples/cortex-m4 cross-built for a
# Cortex-M4 (arm-none-eabi-gcc) at -Os and -O2, with the Cortex-M DSP kernels
# and with the portable C kernels, run under QEMU (mps2-an386) with the
# instruction-counting plugin of tools/qemu-insn-plugin. Writes
# benchmarks/results/firmware.md.
#
# Models: the 28x28 CNN, the Keras digits CNN, recurrent nets and transformer encoder of
# Tests/fixtures/keras, and the project's re-creations of the four MLPerf Tiny
# reference architectures (benchmarks/mlperf/make_models.py writes them into
# benchmarks/work/mlperf, with realistic random weights: DS-CNN keyword
# spotting, MobileNetV1-0.25 96x96, ResNet-8, the dense autoencoder), each
# converted by nnom's tools (examples/cortex-m4/host/make_headers); and the same four quantised by
# TensorFlow (benchmarks/mlperf/make_tflite.py) and imported from their .tflite files.
#
# Method:
#  - instructions: the firmware runs BENCH_RUNS inferences on one input, each
#    between two marker functions (fw_bench_begin / fw_bench_end); the plugin
#    counts every guest instruction executed from the first to the second and the
#    script divides by BENCH_RUNS. QEMU executes the same instructions as the
#    silicon would, so the count is exact.
#  - estimated cycles: the plugin weights each executed instruction by the
#    Cortex-M4 TRM's timing for it (tools/qemu-insn-plugin/README.md): an
#    ESTIMATE, with no flash wait states and no stalls beyond the TRM's table.
#  - per layer: the runtime's timer hook calls a third marker before and after
#    each layer, so the plugin splits both counts by layer; the host lists which
#    layer each slot is (make_headers' NAME_layers.txt), and the script sums them
#    per layer type, convolutions by window and stride.
#  - -O2 is really -O2: CMake's Release build type would give -O3, so the -O2
#    builds set CMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG"; -Os is MinSizeRel (-Os -DNDEBUG).
#  - flash: from the linker map, the bytes of code and constants (.text and
#    .rodata) each part of the image contributes: the nnom runtime
#    (libnnom.a), the C library and compiler support (libc, libgcc), the
#    board and test program, and the model data and test inputs.
#  - RAM: the arena (activations + scratch, nnom_model_arena_size), the model's
#    own bookkeeping (what nnom_model_load took from the static pool), the
#    runtime's static data, and the stack high-water mark: the stack is
#    painted at reset and the firmware finds the deepest overwritten word.
#  - each model is built on its own, linking only the layer types it uses
#    (NNOM_LAYERS_ONLY, see Sources/nnom/core/layer_table.c); one more build
#    of the 28x28 CNN links every layer type, for comparison.
#  - every firmware's outputs on its test inputs are compared with the host
#    runtime's (bit for bit); a difference stops the benchmark.
#   usage: benchmarks/firmware/run.sh   (PROFILE=1: also print the hottest blocks;
#          MLPERF=0: skip the MLPerf Tiny models; MLPERF_ONLY=1: only them)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
bash scripts/setup.sh
bash scripts/setup-firmware.sh

build=build/fw-bench
gen=$build/gen
jobs=2
BENCH_RUNS=${BENCH_RUNS:-4}
mkdir -p "$gen"

echo "== host: model headers"
cmake -S examples/cortex-m4/host -B "$build/host" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build/host" -j "$jobs" >/dev/null
"$build/host/make_headers" cnn28 "$gen" 2 >/dev/null
models="cnn28"
fix=Tests/fixtures/keras
if [ -f "$fix/digits_cnn.keras" ] && [ -f "$fix/digits_calib_x.npy" ] &&
   "$build/host/make_headers" keras digits "$fix/digits_cnn.keras" "$fix/digits_calib_x.npy" \
     "$fix/digits_test_x.npy" "$fix/digits_test_y.npy" "$gen" 2 >/dev/null; then
  models="cnn28 digits"
fi

# the MLPerf Tiny re-creations: Keras models (TensorFlow, a few seconds), then converted
mlperf_models=""
tflite_models=""
if [ "${MLPERF:-1}" != 0 ]; then
  work=benchmarks/work/mlperf
  if [ ! -f "$work/models.txt" ]; then
    echo "== MLPerf Tiny re-creations (Keras)"
    nice python3 benchmarks/mlperf/make_models.py "$work"
  fi
  for m in kws vww resnet8 ad; do
    "$build/host/make_headers" keras "$m" "$work/$m.keras" "$work/$m.calib.npy" "$work/$m.test.npy" - "$gen" 2
    mlperf_models="$mlperf_models $m"
  done
  # the MobileNet once more, its all-zero filters kept (converted without dead-channel removal)
  NNOM_KEEP_DEAD_CHANNELS=1 "$build/host/make_headers" keras vww_all "$work/vww.keras" "$work/vww.calib.npy" \
    "$work/vww.test.npy" - "$gen" 2
  mlperf_models="$mlperf_models vww_all"
  # the same four quantised by TensorFlow and imported from .tflite (TensorFlow's scales, every filter kept)
  if [ ! -f "$work/ad.tflite_test.npy" ]; then
    echo "== MLPerf Tiny re-creations quantised by TensorFlow (.tflite)"
    nice python3 benchmarks/mlperf/make_tflite.py "$work"
  fi
  for m in kws vww resnet8 ad; do
    "$build/host/make_headers" tflite "${m}_tfl" "$work/$m.tflite" "$work/$m.tflite_test.npy" "$gen" 2
    tflite_models="$tflite_models ${m}_tfl"
  done
fi
[ -n "${MLPERF_ONLY:-}" ] && models=""

source benchmarks/firmware/measure.sh
measure_setup

echo "== cross builds and QEMU runs"
for model in $models; do
  for opt in Os O2; do
    for kernels in dsp portable; do
      measure "$model" "$opt" "$kernels" auto
    done
  done
done
for model in $mlperf_models $tflite_models; do
  for opt in Os O2; do measure "$model" "$opt" dsp auto; done
done
[ -n "$models" ] && { measure cnn28 Os dsp all; measure cnn28 Os dsp minimal; }
# recurrent nets
rnn_models=""
for rnn in gru lstm; do
  [ -z "$models" ] && break
  if [ -f "$fix/rnn_digits_$rnn.keras" ] &&
     "$build/host/make_headers" keras "digits_$rnn" "$fix/rnn_digits_$rnn.keras" "$fix/digits_calib_x.npy" \
       "$fix/digits_test_x.npy" "$fix/digits_test_y.npy" "$gen" 2 >/dev/null; then
    rnn_models="$rnn_models digits_$rnn"
    for opt in Os O2; do for kernels in dsp portable; do measure "digits_$rnn" "$opt" "$kernels" auto; done; done
  fi
done
# a tiny transformer encoder on the same sequences (LayerNormalization, two-head self-attention, GELU)
if [ -n "$models" ] && [ -f "$fix/digits_encoder.keras" ] &&
   "$build/host/make_headers" keras digits_encoder "$fix/digits_encoder.keras" "$fix/digits_calib_x.npy" \
     "$fix/digits_test_x.npy" "$fix/digits_test_y.npy" "$gen" 2 >/dev/null; then
  rnn_models="$rnn_models digits_encoder"
  for opt in Os O2; do for kernels in dsp portable; do measure digits_encoder "$opt" "$kernels" auto; done; done
fi

# ------------------------------------------------------------------ report
gcc_version=$(arm-none-eabi-gcc --version | head -1)
qemu_version=$(qemu-system-arm --version | head -1)
# published Cortex-M4 records (120 MHz NUCLEO-L4R5ZI, cycles per MAC; /work/shared/MLPERF_TINY.md)
published() {
  case $1 in
    kws) echo "1.95 (STM32Cube.AI) / 8.2 (TFLM + CMSIS-NN)" ;;
    vww|vww_all) echo "1.42 (STM32Cube.AI, skips all-zero filters) / 9.6 (TFLM + CMSIS-NN)" ;;
    resnet8) echo "1.58 (STM32Cube.AI) / 6.8 (TFLM + CMSIS-NN)" ;;
    ad) echo "1.84 (Plumerai) / 4.6 (TFLM + CMSIS-NN)" ;;
  esac
}
title() {
  case $1 in
    kws) echo "DS-CNN keyword spotting (49x10x1, 64 channels)" ;;
    vww) echo "MobileNetV1-0.25 96x96x3, 2 classes (visual wake words), all-zero filters removed by the converter" ;;
    vww_all) echo "MobileNetV1-0.25 96x96x3, all-zero filters kept" ;;
    resnet8) echo "ResNet-8 32x32x3 (CIFAR-10)" ;;
    ad) echo "Dense autoencoder, 640 inputs (anomaly detection)" ;;
  esac
}
# MACs of the model as designed (the Keras model's count; a pruned model computes fewer)
model_macs() {
  local m=${1%_all}
  m=${m%_tfl}
  sed -nE "s/^$m macs=([0-9]+).*/\1/p" benchmarks/work/mlperf/models.txt
}
out=benchmarks/results/firmware.md
[ -n "${MLPERF_ONLY:-}" ] && out=$build/firmware-mlperf.md
{
  echo "# Firmware: Cortex-M4 (QEMU mps2-an386)"
  echo
  echo "Generated by \`benchmarks/firmware/run.sh\`; do not edit. $gcc_version,"
  echo "\`-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16\`, newlib-nano; $qemu_version."
  echo "-Os builds use \`-Os\`, -O2 builds \`-O2\` (CMake's Release type would be -O3; the script sets"
  echo "\`CMAKE_C_FLAGS_RELEASE=\"-O2 -DNDEBUG\"\`)."
  echo "Instructions are counted by the TCG plugin of \`tools/qemu-insn-plugin\` over $BENCH_RUNS inferences,"
  echo "each between two marker functions, and divided by $BENCH_RUNS: an exact count."
  echo "**Estimated cycles** weight each executed instruction by the Cortex-M4 Technical Reference Manual's"
  echo "timing (loads and stores 2 cycles, 1 when pipelined after another; LDRD/STRD 3, LDM/STM 1+N;"
  echo "taken branches 1+2; multiplies incl. SMLAD and long multiplies 1; divides 12; others 1): an"
  echo "ESTIMATE that assumes zero-wait-state memory and no stalls beyond the table"
  echo "(tools/qemu-insn-plugin/README.md). \"dsp\" is the Cortex-M DSP kernels"
  echo "(\`Sources/nnom/kernels/arm\`, SMLAD/SXTB16), \"portable\" the C kernels of \`Sources/nnom/kernels\`."
  echo "Each firmware links only the layer types its model uses (\`NNOM_LAYERS_ONLY\`). Every firmware's"
  echo "outputs on its test inputs equal the host runtime's, bit for bit (checked by the script)."
  if [ -n "$mlperf_models" ]; then
    echo
    echo "## MLPerf Tiny reference architectures (the project's re-creations), DSP kernels"
    echo
    echo "Keras models of \`benchmarks/mlperf/make_models.py\` with realistic random weights (per-channel"
    echo "scales over about 30x, so requantisation multipliers on both sides of 2^30 and varying shifts;"
    echo "BatchNorm statistics from data; in the MobileNet 55-85 % all-zero filters in the 6x6 pointwise"
    echo "layers and 90 % in the last two), converted by nnom's tools with their default options (which remove"
    echo "all-zero filters where that is exact; the MobileNet is also measured with them kept). The"
    echo "published figures are cycles per MAC of the trained models on a 120 MHz Cortex-M4 board"
    echo "(measured time, with flash wait states), for orientation only: ours are estimates."
    echo
    echo "Per MAC figures divide by the model's MACs as designed (the Keras model's), also for the"
    echo "MobileNet whose all-zero filters the converter removed (it computes the MACs of the second column)."
    echo
    echo "| model | MACs | MACs computed | instructions / MAC -O2 (-Os) | est. cycles / inference -O2 | est. cycles / MAC -O2 (-Os) | arena | published Cortex-M4, cycles / MAC |"
    echo "|---|---:|---:|---:|---:|---:|---:|---|"
    for model in $mlperf_models; do
      a=$(row "$model" O2 dsp auto); b=$(row "$model" Os dsp auto)
      macs=$(model_macs "$model")
      echo "| $(title "$model") | $(group "$macs") | $(group "$(field "$a" 6)") | $(per_mac "$(field "$a" 5)" "$macs") ($(per_mac "$(field "$b" 5)" "$macs")) | $(group "$(field "$a" 16)") | $(per_mac "$(field "$a" 16)" "$macs") ($(per_mac "$(field "$b" 16)" "$macs")) | $(field "$a" 11) B | $(published "$model") |"
    done
    if [ -n "$tflite_models" ]; then
      echo
      echo "The same four models quantised by TensorFlow instead (\`benchmarks/mlperf/make_tflite.py\`: TFLiteConverter,"
      echo "full-integer int8, calibrated on the same inputs) and imported from their \`.tflite\` files by nnom's tools"
      echo "(\`make_headers tflite\`): TensorFlow's scales and zero points, every all-zero filter kept. The"
      echo "firmware's outputs equal the host runtime's bit for bit (on TensorFlow-quantised instances of these"
      echo "architectures the host runtime's outputs equal TensorFlow Lite Micro's: \`benchmarks/results/tflite_mlperf.md\`)."
      echo
      echo "| model, from .tflite | MACs computed | instructions / MAC -O2 (-Os) | est. cycles / inference -O2 | est. cycles / MAC -O2 (-Os) | arena | runtime flash -O2 |"
      echo "|---|---:|---:|---:|---:|---:|---:|"
      for model in $tflite_models; do
        a=$(row "$model" O2 dsp auto); b=$(row "$model" Os dsp auto)
        macs=$(model_macs "$model")
        echo "| $(title "${model%_tfl}" | sed 's/, all-zero filters removed by the converter//') | $(group "$(field "$a" 6)") | $(per_mac "$(field "$a" 5)" "$macs") ($(per_mac "$(field "$b" 5)" "$macs")) | $(group "$(field "$a" 16)") | $(per_mac "$(field "$a" 16)" "$macs") ($(per_mac "$(field "$b" 16)" "$macs")) | $(field "$a" 11) B | $(field "$a" 7) B |"
      done
    fi
    for model in $mlperf_models; do
      echo
      echo "### $(title "$model")"
      echo
      echo "$(group "$(field "$(row "$model" O2 dsp auto)" 6)") MACs computed per inference."
      echo
      echo "| build | instructions / inference | instructions / MAC computed | est. cycles / inference | est. cycles / MAC computed | runtime flash | model data | arena | model bookkeeping | stack high-water |"
      echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
      for opt in Os O2; do
        r=$(row "$model" $opt dsp auto)
        echo "| -$opt | $(field "$r" 5) | $(per_mac "$(field "$r" 5)" "$(field "$r" 6)") | $(field "$r" 16) | $(per_mac "$(field "$r" 16)" "$(field "$r" 6)") | $(field "$r" 7) B | $(field "$r" 10) B | $(field "$r" 11) B | $(field "$r" 12) B | $(field "$r" 14) B |"
      done
      echo
      echo "Per layer type, convolutions by window and stride (summed over the layers of that kind; share: of the"
      echo "inference's estimated cycles):"
      echo
      echo "| layer type | layers | MACs | instr. / MAC -O2 (-Os) | est. cycles / MAC -O2 (-Os) | est. cycles -O2 | share -O2 |"
      echo "|---|---:|---:|---:|---:|---:|---:|"
      total_cyc=$(field "$(row "$model" O2 dsp auto)" 16)
      grep "^$model O2 dsp auto " "$layers_out" | sort -k9,9nr | while read -r _ _ _ _ type n macs ins cyc; do
        os=$(grep "^$model Os dsp auto $type " "$layers_out")
        os_ins=$(field "$os" 8); os_cyc=$(field "$os" 9)
        if [ "$macs" -gt 0 ]; then
          pm="$(per_mac "$ins" "$macs") ($(per_mac "$os_ins" "$macs"))"
          pc="$(per_mac "$cyc" "$macs") ($(per_mac "$os_cyc" "$macs"))"
        else
          pm="($ins / $os_ins instr.)"; pc="-"
        fi
        echo "| $type | $n | $(group "$macs") | $pm | $pc | $(group "$cyc") | $(awk -v a="$cyc" -v b="$total_cyc" 'BEGIN { printf "%.1f %%", 100 * a / b }') |"
      done
    done
  fi
  for model in $models; do
    r=$(row "$model" Os dsp auto)
    macs=$(field "$r" 6)
    echo
    case $model in
      cnn28) echo "## 28x28 CNN (examples/c/cnn28_model.c), $macs MACs per inference" ;;
      digits) echo "## Digits CNN (Tests/fixtures/keras/digits_cnn.keras, converted), $macs MACs per inference" ;;
    esac
    echo
    echo "| build | instructions / inference | instructions / MAC | est. cycles / MAC | runtime flash | C library flash | arena | model bookkeeping | stack high-water |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for opt in Os O2; do
      for kernels in dsp portable; do
        r=$(row "$model" $opt $kernels auto)
        echo "| -$opt, $kernels kernels | $(field "$r" 5) | $(per_mac "$(field "$r" 5)" "$macs") | $(per_mac "$(field "$r" 16)" "$macs") | $(field "$r" 7) B | $(field "$r" 8) B | $(field "$r" 11) B | $(field "$r" 12) B | $(field "$r" 14) B |"
      done
    done
    r=$(row "$model" Os dsp auto)
    echo
    echo "Model data in flash: $(field "$r" 10) bytes including the test inputs. RAM at -Os with the DSP kernels:"
    echo "arena $(field "$r" 11) + model bookkeeping $(field "$r" 12) + runtime static data $(field "$r" 13) + stack"
    echo "$(field "$r" 14) = $(kb $(( $(field "$r" 11) + $(field "$r" 12) + $(field "$r" 13) + $(field "$r" 14) )))."
  done
  if [ -n "$rnn_models" ]; then
    echo
    echo "## Sequence models: the digits as 8 rows of 8 pixels (Tests/fixtures/keras/rnn_digits_*.keras, digits_encoder.keras)"
    echo
    echo "gru, lstm: a recurrent layer of 32 units and a softmax head; encoder: a Dense embedding (32), LayerNormalization,"
    echo "two-head self-attention (key_dim 16; per head three projections, two matrix products and a softmax), a GELU"
    echo "feed-forward (64), residual Adds and a softmax head on the flattened rows."
    echo
    echo "| model | build | MACs / inference | instructions / inference | instructions / MAC | est. cycles / MAC | runtime flash | arena | model bookkeeping | stack high-water |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for model in $rnn_models; do
      for opt in Os O2; do
        for kernels in dsp portable; do
          r=$(row "$model" $opt $kernels auto)
          echo "| ${model#digits_} | -$opt, $kernels kernels | $(field "$r" 6) | $(field "$r" 5) | $(per_mac "$(field "$r" 5)" "$(field "$r" 6)") | $(per_mac "$(field "$r" 16)" "$(field "$r" 6)") | $(field "$r" 7) B | $(field "$r" 11) B | $(field "$r" 12) B | $(field "$r" 14) B |"
        done
      done
    done
  fi
  if [ -n "$models" ]; then
    a=$(row cnn28 Os dsp auto); b=$(row cnn28 Os dsp all); c=$(row cnn28 Os dsp minimal)
    echo
    echo "## Linking only the layers a model uses"
    echo
    echo "| 28x28 CNN, -Os, dsp kernels | runtime code (.text) | runtime constants (.rodata) | runtime flash | C library flash | model bookkeeping (RAM) | stack high-water | instructions / MAC |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    lrow() { # label row
      echo "| $1 | $(field "$2" 15) B ($(kb "$(field "$2" 15)")) | $(( $(field "$2" 7) - $(field "$2" 15) )) B | $(field "$2" 7) B | $(field "$2" 8) B | $(field "$2" 12) B | $(field "$2" 14) B | $(per_mac "$(field "$2" 5)" "$(field "$2" 6)") |"
    }
    lrow "only conv2d, max_pool2d, flatten, dense, softmax" "$a"
    lrow "the same, plus \`NNOM_INT8_ONLY\` and \`NNOM_TERSE_ERRORS\` (the lean runtime: no float32 kernels, no message text)" "$c"
    lrow "every layer type" "$b"
    echo
    echo "Most of the lean runtime's code is the DSP convolution kernel's specialised paths and the memory planner"
    echo "(with the tiling compiler), which runs on the device as on the host so that both plan the same arena."
    echo
    echo "\"runtime flash\" counts the .text and .rodata that libnnom.a contributes to the image (from the link"
    echo "map); \"C library flash\" what newlib-nano and libgcc add (memcpy, memset, 64-bit division, soft"
    echo "double-precision helpers). Goal for the 28x28 CNN: <= 1.5 instructions per MAC with the DSP kernels."
  fi
} >"$out"
cat "$out"

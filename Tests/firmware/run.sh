#!/usr/bin/env bash
# Firmware checks (CI): the runtime cross-built for a Cortex-M4 (arm-none-eabi-gcc,
# cmake/arm-none-eabi.cmake) and run under QEMU's mps2-an386 board.
#
#  1. Every model firmware prints outputs equal, bit for bit, to the host
#     runtime's on the same .nnom bytes and inputs:
#       cnn28       the 28x28 CNN of examples/c (its final output),
#       cnn28_taps  the same network with every layer an output (every layer checked),
#       digits      the Keras digits CNN of Tests/fixtures/keras, converted by the
#                   tools, on the 500 test images (when the fixture and the tools are there),
#       digits_mnv3 MobileNetV3's ingredients trained on the digits (Tests/fixtures/keras/digits_mnv3.keras),
#       resnet      the Keras ResNet-style block of Tests/fixtures/keras (residual Add),
#       functions, functions_k3  every element-wise Keras function (ACTIVATION layers) and
#                   PReLU, one per output (Tests/fixtures/keras/functions*.keras),
#       minmax_block, mobilenet_v3_block  Minimum, Maximum, Average; MobileNetV3's block
#                   (hard_swish, squeeze-excite with a (1, 1, C) Multiply, residual Add),
#       conv_transpose, conv1d_transpose  Conv2DTranspose and Conv1DTranspose (portable kernel),
#       digits_cf, channels_first2d, channels_first1d  channels_first models (PERMUTE layers, a Dense
#                   reading HWC rows), permute, repeat_vector, conv_transpose_dilated,
#       digits_gru, digits_lstm  the digits as sequences of 8 rows through a GRU / an
#                   LSTM (Tests/fixtures/keras/rnn_digits_*.keras), 200 test images,
#       digits_encoder  the same sequences through a tiny transformer encoder (LayerNormalization,
#                   two-head self-attention, GELU feed-forward; digits_encoder.keras), 200 test images,
#       user_op_lambda  a user operator: the Keras Lambda of Tests/fixtures/keras/user_op_lambda
#                   (two inputs) as the C operator of examples/user_ops/weighted_diff_plugin.c,
#                   which the host tools and the firmware both compile in and register, then a Dense,
#       tfl_*       int8 .tflite fixtures (Tests/fixtures/tflite) converted by the tools:
#                   the host outputs equal TensorFlow Lite Micro's (test_tflite), so
#                   the firmware's equal them too (lstm_*: TFLite's integer LSTM, portable kernel).
#       kws, vww, resnet8, ad  the re-creations of the four MLPerf Tiny reference
#                   architectures (benchmarks/mlperf/make_models.py, made once with
#                   TensorFlow into benchmarks/work/mlperf), 2 inputs each.
#     With the Cortex-M DSP kernels (-Os), once more with the portable kernels, and
#     once in the lean runtime (NNOM_INT8_ONLY + NNOM_TERSE_ERRORS, DSP kernels).
#     The 28x28 CNN's lean firmware must link no soft double-precision helpers
#     (__aeabi_d*): int8 inference needs no double arithmetic.
#  2. kernel_equivalence.elf: the DSP kernels give the same bytes as the portable
#     ones on random shapes (conv, depthwise, dense, requantisation); built at -Os
#     with the firmware above, and once more at -O2, where some assembly loops have
#     more copies (conv_pass.h's, conv_pass3.h's) or paths of their own (the dense
#     kernel's SP loop, dense_sp_blocks.h); the dense kernel, and the convolution,
#     depthwise and add kernels' assembly with stack frames of its own, also under SysTick
#     interrupts (equivalence_interrupts.c, QEMU with -icount).
#  3. Each Cortex-M DSP source (Sources/nnom/kernels/arm/*.c, which the portable
#     kernels #include on DSP cores) compiles on its own, with every warning an
#     error, for the Cortex-M4, M7, M33 and M55, at -Os and -O2, and defines its
#     kernels (NNOM_ARM_DSP_TWIN=1 is what the including file would define).
#     Each firmware also prints its tiling (tiled layers and tiles), which must be the host's
#     (vww, MobileNetV1-0.25, cnn28 and digits run tiled).
# Exits non-zero on any mismatch, build error, crash or timeout.
#   usage: Tests/firmware/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
bash scripts/setup.sh           # host compiler, cmake, ninja, and the tools' libraries
bash scripts/setup-firmware.sh  # arm-none-eabi-gcc, newlib, qemu-system-arm

build=build/firmware-test
gen=$build/gen
jobs=2
mkdir -p "$gen"

step() { echo "== $*"; }

step "host: model headers and expected outputs"
cmake -S examples/cortex-m4/host -B "$build/host" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build/host" -j "$jobs" >/dev/null
"$build/host/make_headers" cnn28 "$gen" 8
models="cnn28;cnn28_taps"
fix=Tests/fixtures/keras
if [ -f "$fix/digits_cnn.keras" ] && [ -f "$fix/digits_calib_x.npy" ] &&
   "$build/host/make_headers" keras digits "$fix/digits_cnn.keras" "$fix/digits_calib_x.npy" \
     "$fix/digits_test_x.npy" "$fix/digits_test_y.npy" "$gen" 500; then
  models="$models;digits"
else
  echo "(digits CNN skipped: no fixture, or a host build without the tools)"
fi
# MobileNetV3's ingredients (hard_swish, squeeze-excite, inverted residual) trained on the digits
if [ -f "$fix/digits_mnv3.keras" ] && [ -f "$fix/digits_calib_x.npy" ] &&
   "$build/host/make_headers" keras digits_mnv3 "$fix/digits_mnv3.keras" "$fix/digits_calib_x.npy" \
     "$fix/digits_test_x.npy" "$fix/digits_test_y.npy" "$gen" 500; then
  models="$models;digits_mnv3"
else
  echo "(digits MobileNetV3 skipped: no fixture, or a host build without the tools)"
fi
# a channels_first port of the digits CNN (Normalization, Permute, PERMUTEs at its input, a Dense taking
# HWC rows)
if [ -f "$fix/digits_cf.keras" ] && [ -f "$fix/digits_calib_x.npy" ] &&
   "$build/host/make_headers" keras digits_cf "$fix/digits_cf.keras" "$fix/digits_calib_x.npy" \
     "$fix/digits_test_x.npy" "$fix/digits_test_y.npy" "$gen" 500; then
  models="$models;digits_cf"
else
  echo "(digits channels_first skipped: no fixture, or a host build without the tools)"
fi
# recurrent nets: the digits as 8 rows of 8 pixels through a GRU and an LSTM (labels: accuracy)
for rnn in gru lstm; do
  if [ -f "$fix/rnn_digits_$rnn.keras" ] &&
     "$build/host/make_headers" keras "digits_$rnn" "$fix/rnn_digits_$rnn.keras" "$fix/digits_calib_x.npy" \
       "$fix/digits_test_x.npy" "$fix/digits_test_y.npy" "$gen" 200; then
    models="$models;digits_$rnn"
  else
    echo "(digits $rnn skipped: no fixture, or a host build without the tools)"
  fi
done
# a transformer encoder (LayerNormalization, MultiHeadAttention, GELU) on the same sequences
if [ -f "$fix/digits_encoder.keras" ] &&
   "$build/host/make_headers" keras digits_encoder "$fix/digits_encoder.keras" "$fix/digits_calib_x.npy" \
     "$fix/digits_test_x.npy" "$fix/digits_test_y.npy" "$gen" 200; then
  models="$models;digits_encoder"
else
  echo "(digits encoder skipped: no fixture, or a host build without the tools)"
fi
# a residual net (Keras ResNet-style block): outputs only, no labels
if [ -f "$fix/resnet_block.keras" ] &&
   "$build/host/make_headers" keras resnet "$fix/resnet_block.keras" "$fix/resnet_block.input.npy" \
     "$fix/resnet_block.input.npy" - "$gen" 8; then
  models="$models;resnet"
else
  echo "(residual net skipped: no fixture, or a host build without the tools)"
fi
# every element-wise function (ACTIVATION layers: Keras 3's and tf.keras's) and PReLU: outputs only
for f in functions functions_k3 minmax_block mobilenet_v3_block conv_transpose conv1d_transpose permute \
         repeat_vector channels_first2d channels_first1d conv_transpose_dilated; do
  if [ -f "$fix/$f.keras" ] &&
     "$build/host/make_headers" keras "$f" "$fix/$f.keras" "$fix/$f.input.npy" "$fix/$f.input.npy" - "$gen" 8; then
    models="$models;$f"
  else
    echo "($f skipped: no fixture, or a host build without the tools)"
  fi
done

# a user operator (a Keras Lambda, two inputs) run by examples/user_ops' C operator on both sides
ul=$fix/user_op_lambda
if [ -f "$ul.keras" ] &&
   "$build/host/make_headers" keras user_op_lambda "$ul.keras" "$ul.input0.npy+$ul.input1.npy" \
     "$ul.input0.npy+$ul.input1.npy" - "$gen" 8; then
  models="$models;user_op_lambda"
else
  echo "(user operator model skipped: no fixture, or a host build without the tools)"
fi

# int8 .tflite files (Tests/fixtures/tflite), whose host outputs equal TensorFlow Lite Micro's (test_tflite)
tfl=Tests/fixtures/tflite
for t in digits_residual_concat activations conv1d op_softmax transpose_conv se_block op_prelu op_hard_swish dilated \
         broadcast const_arith fc_rows pad_slice_fc slice_shrink transpose_unit lstm_last lstm_seq lstm_stack \
         transpose; do
  if [ -f "$tfl/$t.tflite" ] &&
     "$build/host/make_headers" tflite "tfl_$t" "$tfl/$t.tflite" "$tfl/$t.input.npy" "$gen" 16; then
    models="$models;tfl_$t"
  else
    echo "(tflite $t skipped: no fixture, or a host build without the tools)"
  fi
done

# the project's re-creations of the four MLPerf Tiny reference architectures (DS-CNN keyword
# spotting, MobileNetV1-0.25 96x96, ResNet-8, the dense autoencoder; benchmarks/mlperf), made
# once by TensorFlow into benchmarks/work/mlperf (gitignored), converted by the tools: 2 inputs each
mlperf=benchmarks/work/mlperf
if [ ! -f "$mlperf/models.txt" ] && python3 -c "import keras" 2>/dev/null; then
  nice python3 benchmarks/mlperf/make_models.py "$mlperf" >/dev/null 2>&1 || echo "(MLPerf Tiny models: Keras failed)"
fi
for m in kws vww resnet8 ad; do
  if [ -f "$mlperf/models.txt" ] &&
     "$build/host/make_headers" keras "$m" "$mlperf/$m.keras" "$mlperf/$m.calib.npy" "$mlperf/$m.test.npy" - "$gen" 2; then
    models="$models;$m"
  else
    echo "(MLPerf Tiny model $m skipped: no TensorFlow to make it, or a host build without the tools)"
  fi
done

run_qemu() { # elf -> prints the firmware's output; fails on a non-zero exit status
  timeout 120 qemu-system-arm -M mps2-an386 -nographic -semihosting-config enable=on,target=native \
    -kernel "$1" 2>&1
}
# the same with time counted in instructions (-icount): timer interrupts at repeatable positions, on
# any instruction (kernel_equivalence's kernels under SysTick interrupts)
run_qemu_icount() {
  timeout 120 qemu-system-arm -M mps2-an386 -nographic -semihosting-config enable=on,target=native -icount shift=0 \
    -kernel "$1" 2>&1
}

failed=0

step "Cortex-M DSP sources, each on its own: arm-none-eabi-gcc -Werror"
dsp_warnings="-std=c99 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror"
mkdir -p "$build/dsp-sources"
for cpu in "cortex-m4 -mfloat-abi=hard" "cortex-m7 -mfloat-abi=hard -mfpu=fpv5-d16" "cortex-m33 -mfloat-abi=hard" \
           "cortex-m55 -mfloat-abi=hard"; do
  for opt in -Os -O2; do
    for src in Sources/nnom/kernels/arm/*.c; do
      obj=$build/dsp-sources/$(basename "$src" .c).o
      # shellcheck disable=SC2086  # $cpu and $dsp_warnings are lists of flags
      if ! arm-none-eabi-gcc -mcpu=$cpu -mthumb $opt $dsp_warnings -DNNOM_ARM_DSP_TWIN=1 -Iinclude -ISources/nnom \
             -c "$src" -o "$obj"; then
        echo "FAIL $src does not compile on its own (-mcpu=$cpu $opt)"; failed=1
      elif ! arm-none-eabi-nm --defined-only "$obj" | grep -q ' T nnom_'; then
        echo "FAIL $src defines no nnom_ function when compiled on its own (-mcpu=$cpu $opt)"; failed=1
      fi
    done
    # the depthwise kernel without its 5x5 paths (-DNNOM_DW_5X5_KERNELS=OFF)
    # shellcheck disable=SC2086
    if ! arm-none-eabi-gcc -mcpu=$cpu -mthumb $opt $dsp_warnings -DNNOM_ARM_DSP_TWIN=1 -DNNOM_DW_5X5_KERNELS=0 \
           -Iinclude -ISources/nnom -c Sources/nnom/kernels/arm/depthwise_conv_s8.c -o "$build/dsp-sources/dw_no5.o"; then
      echo "FAIL depthwise_conv_s8.c does not compile with NNOM_DW_5X5_KERNELS=0 (-mcpu=$cpu $opt)"; failed=1
    fi
  done
done
[ $failed = 0 ] && echo "ok   $(ls Sources/nnom/kernels/arm/*.c | wc -l) DSP sources x 4 cores x 2 optimisation levels"

check_models() { # build dir
  local m out
  for m in ${models//;/ }; do
    if ! out=$(run_qemu "$1/cortex-m4/fw_$m.elf"); then
      echo "FAIL $m: the firmware failed"; echo "$out" | grep -v '^output' | tail -5; failed=1; continue
    fi
    if diff <(grep -E '^(plan|output)' <<<"$out") "$gen/${m}_expected.txt" >"$1/$m.diff"; then
      echo "ok   $m: $(grep -c '^output' <<<"$out") outputs and the $(grep '^plan' <<<"$out" | cut -c7-) equal to the host's $(grep '^accuracy' <<<"$out" || true)"
    else
      echo "FAIL $m: outputs differ from the host's (first lines of $1/$m.diff):"; head -6 "$1/$m.diff"; failed=1
    fi
  done
}

# dsp: the Cortex-M DSP kernels; portable: the C kernels; lean: the DSP kernels in
# the smallest runtime (int8 kernels only, no message text), as firmware ships it
for variant in dsp portable lean; do
  dir=$build/fw-$variant
  step "cross build (-Os, $variant): $models"
  portable=OFF; [ $variant = portable ] && portable=ON
  lean=OFF; [ $variant = lean ] && lean=ON
  cmake -S Tests/firmware -B "$dir" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$root/cmake/arm-none-eabi.cmake" \
    -DCMAKE_BUILD_TYPE=MinSizeRel -DNNOM_WERROR=ON -DFW_PORTABLE_KERNELS=$portable \
    -DNNOM_INT8_ONLY=$lean -DNNOM_TERSE_ERRORS=$lean -DFW_BENCH_RUNS=1 -DFW_POOL_BYTES=$((256 * 1024)) \
    -DFW_MODEL_DIR="$root/$gen" -DFW_MODELS="$models" >/dev/null
  cmake --build "$dir" -j "$jobs" >/dev/null
  step "QEMU: model outputs against the host runtime ($variant)"
  check_models "$dir"
  # int8 inference needs no double arithmetic: soft double-precision helpers
  # (__aeabi_d*, ~2 KB of flash) in the lean firmware mean some runtime code uses
  # doubles (the other variants link every layer type, float32 ones included)
  if [ $variant = lean ] && [ -f "$dir/cortex-m4/fw_cnn28.elf" ]; then
    if doubles=$(arm-none-eabi-nm "$dir/cortex-m4/fw_cnn28.elf" | grep -E ' __aeabi_(d[a-z0-9]+|[ul]*[0-9]*2d)$'); then
      echo "FAIL cnn28 ($variant) links soft double-precision helpers:" $(awk '{ print $3 }' <<<"$doubles"); failed=1
    else
      echo "ok   cnn28 ($variant) links no soft double-precision helpers"
    fi
  fi
done

step "QEMU: DSP kernels against the portable ones (-Os)"
if out=$(run_qemu_icount "$build/fw-dsp/kernel_equivalence.elf"); then
  echo "$out"
else
  echo "$out"; echo "FAIL kernel_equivalence"; failed=1
fi

# -O2 builds the kernels' longest straight-line forms; with NNOM_COMPACT_KERNELS, the loops -Os takes
for compact in OFF ON; do
  dir=$build/fw-dsp-o2; [ $compact = ON ] && dir=$build/fw-dsp-o2-compact
  what="-O2"; [ $compact = ON ] && what="-O2, NNOM_COMPACT_KERNELS"
  step "QEMU: DSP kernels against the portable ones ($what)"
  cmake -S Tests/firmware -B "$dir" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$root/cmake/arm-none-eabi.cmake" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" -DNNOM_WERROR=ON -DFW_PORTABLE_KERNELS=OFF \
    -DNNOM_COMPACT_KERNELS=$compact -DFW_BENCH_RUNS=1 -DFW_POOL_BYTES=$((256 * 1024)) -DFW_MODELS="" >/dev/null
  cmake --build "$dir" --target kernel_equivalence.elf -j "$jobs" >/dev/null
  if out=$(run_qemu_icount "$dir/kernel_equivalence.elf"); then
    echo "$out"
  else
    echo "$out"; echo "FAIL kernel_equivalence ($what)"; failed=1
  fi
done

if [ $failed != 0 ]; then echo "firmware checks FAILED"; exit 1; fi
echo "firmware checks passed"

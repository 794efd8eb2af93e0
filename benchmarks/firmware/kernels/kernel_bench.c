/*
 * Kernel micro benchmark: one int8 kernel on one layer shape, run once
 * between the instruction-count markers (fw_bench_begin / fw_bench_end).
 * Built for the Cortex-M4 under QEMU (one image per case, BENCH_CASE) and
 * for the host (the case number as argument, measured with callgrind's
 * --toggle-collect=bench_run); run.sh in this folder drives both and writes
 * benchmarks/results/kernels.md.
 *
 * The shapes are those of the MLPerf Tiny models (DS-CNN, MobileNetV1 0.25,
 * ResNet-8, the dense autoencoder). Values are random; requantisation
 * multipliers span [2^29, 2^31) with some dead (zero) channels where the
 * case says so, shifts vary per channel. Prints "case <name> macs=<n>".
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels/activation.h"
#include "kernels/concat.h"
#include "kernels/conv.h"
#include "kernels/dense.h"
#include "kernels/elementwise.h"
#include "kernels/pool.h"

#ifdef __arm__
#include "bench_markers.h"
#include "semihosting.h"
#else
#include <stdio.h>
#include <stdlib.h>
#endif

enum { KIND_DW, KIND_CONV, KIND_ADD, KIND_MUL, KIND_DENSE, KIND_AVGPOOL, KIND_GAP, KIND_LUT, KIND_CONCAT, KIND_DENSE_PAIRS, KIND_CONV_PAIRS };

typedef struct {
    const char *name;
    int kind;
    int32_t h, w, in_c, out_c, k, stride, mult; /* add, multiply: mult 1 in2 per channel (broadcast) */
    int mixed; /* requantisation: 0 all multipliers above 2^30, 1 some below and some dead channels,
                  2 some below, none dead (a model whose all-zero filters the converter removed),
                  3 DEAD_PERCENT of the filters all zero with the multiplier nnom's quantiser gives
                  them (2^30, shift 1: a MobileNet imported or converted with its dead filters kept),
                  4 as 0 but channels 5, 37, ... of a left shift (shift 1, live weights: the general form),
                  5 as 0 but channels 1, 5, 9, ... of a left shift (a quarter),
                  6 every channel channel 0's multiplier, shift, bias and (depthwise 1x1) weight: a
                  number added or multiplied, a scalar Rescaling */
    int32_t k_w; /* kernel width when not k (0: square) */
    int tight;   /* conv: 1 the scratch a tight (tiled) plan reserves, the DSP kernel's full-speed
                    size; 0 all it can use (nnom_conv2d_s8_scratch_room_bytes); depthwise: 1 a band of
                    the output rows of its h input rows, as a tiled stage calls it (no padding
                    above or below) */
    int32_t band; /* conv: out_h of a band of output rows, as a tiled stage calls it (from the band's
                     first input row, no padding above); 0: the whole layer */
} bench_case;

static const bench_case cases[] = {
    {"dw3x3_s1_25x5x64", KIND_DW, 25, 5, 64, 64, 3, 1, 1, 0},
    {"dw3x3_s1_48x48x8", KIND_DW, 48, 48, 8, 8, 3, 1, 1, 0},
    {"dw3x3_s2_48x48x16", KIND_DW, 48, 48, 16, 16, 3, 2, 1, 0},
    {"dw3x3_s1_24x24x32", KIND_DW, 24, 24, 32, 32, 3, 1, 1, 1},
    {"dw3x3_s2_24x24x32", KIND_DW, 24, 24, 32, 32, 3, 2, 1, 0},
    {"dw3x3_s1_12x12x64", KIND_DW, 12, 12, 64, 64, 3, 1, 1, 0},
    {"dw3x3_s1_6x6x128", KIND_DW, 6, 6, 128, 128, 3, 1, 1, 1},
    {"dw3x3_s1_3x3x256", KIND_DW, 3, 3, 256, 256, 3, 1, 1, 0},
    {"dw5x5_s1_12x12x20", KIND_DW, 12, 12, 20, 20, 5, 1, 1, 0},
    {"dw3x3_m2_12x12x16", KIND_DW, 12, 12, 16, 32, 3, 1, 2, 0},
    /* odd channel counts, as the MobileNet's after the converter removed all-zero filters */
    {"dw3x3_s1_6x6x63", KIND_DW, 6, 6, 63, 63, 3, 1, 1, 1},
    {"dw3x3_s2_12x12x33", KIND_DW, 12, 12, 33, 33, 3, 2, 1, 1},
    {"pw_25x5_64to64", KIND_CONV, 25, 5, 64, 64, 1, 1, 0, 0},
    {"pw_48x48_8to16", KIND_CONV, 48, 48, 8, 16, 1, 1, 0, 0},
    {"pw_24x24_16to32", KIND_CONV, 24, 24, 16, 32, 1, 1, 0, 0},
    {"pw_24x24_32to32", KIND_CONV, 24, 24, 32, 32, 1, 1, 0, 0},
    {"pw_12x12_32to64", KIND_CONV, 12, 12, 32, 64, 1, 1, 0, 0},
    {"pw_12x12_64to128_mixed", KIND_CONV, 12, 12, 64, 128, 1, 1, 0, 1},
    {"pw_6x6_128to128_mixed", KIND_CONV, 6, 6, 128, 128, 1, 1, 0, 1},
    {"conv3x3_32x32x16to16", KIND_CONV, 32, 32, 16, 16, 3, 1, 0, 0},
    {"conv3x3_16x16x32to32", KIND_CONV, 16, 16, 32, 32, 3, 1, 0, 0},
    {"conv3x3_8x8x64to64", KIND_CONV, 8, 8, 64, 64, 3, 1, 0, 0},
    {"conv3x3_s2_96x96x3to8", KIND_CONV, 96, 96, 3, 8, 3, 2, 0, 0},
    {"conv3x3_s1_32x32x3to16", KIND_CONV, 32, 32, 3, 16, 3, 1, 0, 0},
    {"conv10x4_s2_49x10x1to64", KIND_CONV, 49, 10, 1, 64, 10, 2, 0, 0, 4},
    /* MobileNetV1-0.25's first pointwise layers (few input channels) and its 6x6 ones with the odd
     * channel counts the converter leaves when it removes all-zero filters */
    {"pw_48x48_8to16_mixed", KIND_CONV, 48, 48, 8, 16, 1, 1, 0, 2},
    {"pw_24x24_16to32_mixed", KIND_CONV, 24, 24, 16, 32, 1, 1, 0, 2},
    {"pw_24x24_32to32_mixed", KIND_CONV, 24, 24, 32, 32, 1, 1, 0, 2},
    {"pw_6x6_63to56_mixed", KIND_CONV, 6, 6, 63, 56, 1, 1, 0, 2},
    {"pw_6x6_41to33_mixed", KIND_CONV, 6, 6, 41, 33, 1, 1, 0, 2},
    /* one call of a pointwise layer run in place: 32 pixels (layers/conv.c's POINTWISE_CHUNK) */
    {"pw_1x32_64to64_chunk", KIND_CONV, 1, 32, 64, 64, 1, 1, 0, 0},
    /* MobileNet's first pointwise layer in a tiled plan: a band of two rows, the scratch reserved */
    {"pw_2x48_8to16_tight", KIND_CONV, 2, 48, 8, 16, 1, 1, 0, 2, 0, 1},
    {"add_16x16x32", KIND_ADD, 16, 16, 32, 32, 1, 1, 0, 0},
    {"mul_16x16x32", KIND_MUL, 16, 16, 32, 32, 1, 1, 0, 0},
    {"dense_640to128", KIND_DENSE, 1, 1, 640, 128, 1, 1, 0, 1},
    {"dense_128to8", KIND_DENSE, 1, 1, 128, 8, 1, 1, 0, 0},
    {"dense_128to128", KIND_DENSE, 1, 1, 128, 128, 1, 1, 0, 0},
    {"dense_8to128", KIND_DENSE, 1, 1, 8, 128, 1, 1, 0, 0},
    /* average pools whose window is the whole input (DS-CNN, ResNet-8), MobileNet's global pool:
     * per input element, requantising form */
    {"avgpool_25x5x64", KIND_AVGPOOL, 25, 5, 64, 64, 1, 1, 0, 0},
    {"avgpool_8x8x64", KIND_AVGPOOL, 8, 8, 64, 64, 1, 1, 0, 0},
    {"gap_3x3x256", KIND_GAP, 3, 3, 256, 256, 1, 1, 0, 0},
    /* a depthwise 1x1: a per-channel affine (BatchNormalization the converter could not fold, Rescaling) */
    {"dw1x1_s1_96x96x3", KIND_DW, 96, 96, 3, 3, 1, 1, 1, 0},
    {"dw1x1_s1_32x32x24_mixed", KIND_DW, 32, 32, 24, 24, 1, 1, 1, 1},
    /* 1x1 convolutions on a 1x1 map (the classifier convolutions of MobileNetV3s, squeeze-excitation) */
    {"pw_1x1_576to128", KIND_CONV, 1, 1, 576, 128, 1, 1, 0, 1},
    {"pw_1x1_96to24", KIND_CONV, 1, 1, 96, 24, 1, 1, 0, 0},
    /* 5x5 depthwise as in MobileNetV3 Small (stride 1 and 2) */
    {"dw5x5_s1_24x24x72", KIND_DW, 24, 24, 72, 72, 5, 1, 1, 0},
    {"dw5x5_s2_24x24x72", KIND_DW, 24, 24, 72, 72, 5, 2, 1, 0},
    /* and at 96 x 96 input (benchmarks/zoo.py): 12 x 12 -> 6 x 6, 6 x 6, 3 x 3 */
    {"dw5x5_s2_12x12x96", KIND_DW, 12, 12, 96, 96, 5, 2, 1, 0},
    {"dw5x5_s1_6x6x240", KIND_DW, 6, 6, 240, 240, 5, 1, 1, 0},
    {"dw5x5_s1_3x3x576", KIND_DW, 3, 3, 576, 576, 5, 1, 1, 0},
    /* MobileNetV1-0.25's 24x24 pointwise layers run in place: a call per 32 pixels */
    {"pw_1x32_16to32_chunk", KIND_CONV, 1, 32, 16, 32, 1, 1, 0, 0},
    /* ResNet-8's shortcuts: 1x1 stride 2 */
    {"conv1x1_s2_32x32x16to32", KIND_CONV, 32, 32, 16, 32, 1, 2, 0, 0},
    {"conv1x1_s2_16x16x32to64", KIND_CONV, 16, 16, 32, 64, 1, 2, 0, 0},
    /* the first as ResNet-8's tiled stage runs it: a call per output row (16 pixels) */
    {"conv1x1_s2_2x32x16to32_band", KIND_CONV, 2, 32, 16, 32, 1, 2, 0, 2, 0, 0},
    /* per-channel affine layers in small calls: a DenseNet BatchNormalization in the bands of a tiled
     * stage, MobileNetV3's squeeze-excitation constants (x + 3, x / 6 on a 1 x 1 map) */
    {"dw1x1_s1_6x32x40", KIND_DW, 6, 32, 40, 40, 1, 1, 1, 0},
    {"dw1x1_s1_10x32x24", KIND_DW, 10, 32, 24, 24, 1, 1, 1, 0},
    {"dw1x1_s1_1x1x576", KIND_DW, 1, 1, 576, 576, 1, 1, 1, 0},
    /* squeeze-excitation scaling: a multiply by a per-channel vector (mult: 1 in2 broadcast) */
    {"mul_bc_6x6x240", KIND_MUL, 6, 6, 240, 240, 1, 1, 1, 0},
    {"mul_bc_24x24x16", KIND_MUL, 24, 24, 16, 16, 1, 1, 1, 0},
    /* an int8 activation (one 256-entry table) on 6 x 6 x 240 */
    {"lut_6x6x240", KIND_LUT, 6, 6, 240, 240, 1, 1, 0, 0},
    /* a DenseNet concatenation on channels: in_c requantised channels, then out_c - in_c copied */
    {"concat_32x32_16req_8copy", KIND_CONCAT, 32, 32, 16, 24, 1, 1, 0, 0},
    /* the MobileNet's 6x6 and 3x3 pointwise layers with their all-zero filters kept */
    {"pw_6x6_128to128_dead", KIND_CONV, 6, 6, 128, 128, 1, 1, 0, 3},
    {"pw_3x3_128to256_dead", KIND_CONV, 3, 3, 128, 256, 1, 1, 0, 3},
    /* MobileNetV1-0.25's first stride-2 depthwise layer in its tiled stage: a call per output row */
    {"dw3x3_s2_3x48x16_band", KIND_DW, 3, 48, 16, 16, 3, 2, 1, 2, 0, 1},
    /* MobileNetV1-0.25's small stride-2 planes (12 x 12 and 6 x 6 inputs) */
    {"dw3x3_s2_12x12x64", KIND_DW, 12, 12, 64, 64, 3, 2, 1, 0},
    {"dw3x3_s2_6x6x128", KIND_DW, 6, 6, 128, 128, 3, 2, 1, 0},
    /* MobileNetV1-0.25's first depthwise layer in its tiled stage: two output rows a call */
    {"dw3x3_s1_4x48x8_band", KIND_DW, 4, 48, 8, 8, 3, 1, 1, 2, 0, 1},
    /* MobileNetV1-0.25's first layer as the tiled vww plan calls it: two output rows from five input
     * rows (its zero padding folded: none above or left), the scratch the plan reserves */
    {"conv3x3_s2_5x96x3to8_band", KIND_CONV, 5, 96, 3, 8, 3, 2, 0, 0, 0, 1, 2},
    /* ResNet-8's second add as its tiled stage runs it: a call per output row (512 elements) */
    {"add_1x16x32_band", KIND_ADD, 1, 16, 32, 32, 1, 1, 0, 0},
    /* the dense autoencoder's last layer: 128 inputs, 640 rows */
    {"dense_128to640", KIND_DENSE, 1, 1, 128, 640, 1, 1, 0, 0},
    /* ResNet-8's in-place 16 -> 16 3x3 layer as its windowed run calls it: one output row a call
     * (from three input rows, the full-speed scratch) */
    {"conv3x3_3x32x16to16_band", KIND_CONV, 3, 32, 16, 16, 3, 1, 0, 0, 0, 1, 1},
    /* the same layers as their tiled stage calls them: bands of six output rows */
    {"conv3x3_8x32x16to16_band", KIND_CONV, 8, 32, 16, 16, 3, 1, 0, 0, 0, 1, 6},
    /* ResNet-8's 3x3 stride-2 layers (32x32x16 -> 16x16x32, 16x16x32 -> 8x8x64) */
    {"conv3x3_s2_32x32x16to32", KIND_CONV, 32, 32, 16, 32, 3, 2, 0, 0},
    {"conv3x3_s2_16x16x32to64", KIND_CONV, 16, 16, 32, 64, 3, 2, 0, 0},
    /* MobileNetV1-0.25's conv_pw_6 with its all-zero filters kept (their shift 1, non-negative) */
    {"pw_6x6_64to128_dead", KIND_CONV, 6, 6, 64, 128, 1, 1, 0, 3},
    /* MobileNetV1-0.25's conv_pw_4 as its in-place run's last call takes it: four pixels */
    {"pw_1x4_32to64_chunk", KIND_CONV, 1, 4, 32, 64, 1, 1, 0, 0},
    /* small dense layers: classifier heads and small MLPs */
    {"dense_128to5", KIND_DENSE, 1, 1, 128, 5, 1, 1, 0, 0},
    {"dense_100to7_mixed", KIND_DENSE, 1, 1, 100, 7, 1, 1, 0, 1},
    {"dense_64to4", KIND_DENSE, 1, 1, 64, 4, 1, 1, 0, 0},
    {"dense_256to10", KIND_DENSE, 1, 1, 256, 10, 1, 1, 0, 0},
    {"dense_64to12_mixed", KIND_DENSE, 1, 1, 64, 12, 1, 1, 0, 1},
    {"dense_512to16", KIND_DENSE, 1, 1, 512, 16, 1, 1, 0, 0},
    {"dense_32to16_mixed", KIND_DENSE, 1, 1, 32, 16, 1, 1, 0, 1},
    {"dense_8to3", KIND_DENSE, 1, 1, 8, 3, 1, 1, 0, 0},
    {"dense_200to1_mixed", KIND_DENSE, 1, 1, 200, 1, 1, 1, 0, 1},
    {"dense_132to9", KIND_DENSE, 1, 1, 132, 9, 1, 1, 0, 0},
    {"dense_48to6_mixed", KIND_DENSE, 1, 1, 48, 6, 1, 1, 0, 1},
    {"dense_96to15", KIND_DENSE, 1, 1, 96, 15, 1, 1, 0, 0},
    {"dense_20to13_mixed", KIND_DENSE, 1, 1, 20, 13, 1, 1, 0, 1},
    {"dense_300to11", KIND_DENSE, 1, 1, 300, 11, 1, 1, 0, 0},
    {"dense_128to12", KIND_DENSE, 1, 1, 128, 12, 1, 1, 0, 0},
    {"dense_16to12_mixed", KIND_DENSE, 1, 1, 16, 12, 1, 1, 0, 1},
    {"dense_128to20", KIND_DENSE, 1, 1, 128, 20, 1, 1, 0, 0},
    /* first layers as imported models may have them: dead channels (multiplier 0) among both fast
     * forms, an odd channel count, all-zero filters with the quantiser's 2^30, shift 1 */
    {"conv10x4_s2_49x10x1to64_mixed", KIND_CONV, 49, 10, 1, 64, 10, 2, 0, 1, 4},
    {"conv10x4_s2_49x10x1to63", KIND_CONV, 49, 10, 1, 63, 10, 2, 0, 0, 4},
    {"conv3x3_s2_96x96x3to8_mixed", KIND_CONV, 96, 96, 3, 8, 3, 2, 0, 1},
    {"conv3x3_s1_32x32x3to15_mixed", KIND_CONV, 32, 32, 3, 15, 3, 1, 0, 1},
    {"conv10x4_s2_49x10x1to64_dead", KIND_CONV, 49, 10, 1, 64, 10, 2, 0, 3, 4},
    /* and with a channel or two of a left shift (the general requantisation) */
    {"conv10x4_s2_49x10x1to64_lshift", KIND_CONV, 49, 10, 1, 64, 10, 2, 0, 4, 4},
    {"conv3x3_s2_96x96x3to8_lshift", KIND_CONV, 96, 96, 3, 8, 3, 2, 0, 4},
    {"conv10x4_s2_49x10x1to64_lshift4", KIND_CONV, 49, 10, 1, 64, 10, 2, 0, 5, 4},
    {"conv3x3_s2_96x96x3to8_lshift4", KIND_CONV, 96, 96, 3, 8, 3, 2, 0, 5},
    /* ResNet-8's second 1x1 stride-2 shortcut with its requantisation (some multipliers below 2^30),
     * whole and a call per output row (8 pixels) */
    {"conv1x1_s2_16x16x32to64_mixed", KIND_CONV, 16, 16, 32, 64, 1, 2, 0, 2},
    {"conv1x1_s2_2x16x32to64_band", KIND_CONV, 2, 16, 32, 64, 1, 2, 0, 2, 0, 0},
    /* ResNet-8's first layer as its tiled stage calls it: two output rows from four input rows */
    {"conv3x3_s1_4x32x3to16_band", KIND_CONV, 4, 32, 3, 16, 3, 1, 0, 0, 0, 1, 2},
    /* ResNet-8's tiled 16 -> 16 3x3 layers as their stage calls them: two output rows from four */
    {"conv3x3_4x32x16to16_band", KIND_CONV, 4, 32, 16, 16, 3, 1, 0, 0, 0, 1, 2},
    /* dense layers with their weights in row pairs, as the converter writes them (nnom_dense_pairs_s8):
     * the autoencoder's layers, then classifier heads and small MLPs */
    {"pairs_640to128", KIND_DENSE_PAIRS, 1, 1, 640, 128, 1, 1, 0, 1},
    {"pairs_128to8", KIND_DENSE_PAIRS, 1, 1, 128, 8, 1, 1, 0, 0},
    {"pairs_128to128", KIND_DENSE_PAIRS, 1, 1, 128, 128, 1, 1, 0, 0},
    {"pairs_8to128", KIND_DENSE_PAIRS, 1, 1, 8, 128, 1, 1, 0, 0},
    {"pairs_128to640", KIND_DENSE_PAIRS, 1, 1, 128, 640, 1, 1, 0, 0},
    {"pairs_256to10", KIND_DENSE_PAIRS, 1, 1, 256, 10, 1, 1, 0, 0},
    {"pairs_128to12", KIND_DENSE_PAIRS, 1, 1, 128, 12, 1, 1, 0, 0},
    {"pairs_64to12_mixed", KIND_DENSE_PAIRS, 1, 1, 64, 12, 1, 1, 0, 1},
    {"pairs_300to11", KIND_DENSE_PAIRS, 1, 1, 300, 11, 1, 1, 0, 0},
    {"pairs_128to5", KIND_DENSE_PAIRS, 1, 1, 128, 5, 1, 1, 0, 0},
    {"pairs_200to1_mixed", KIND_DENSE_PAIRS, 1, 1, 200, 1, 1, 1, 0, 1},
    {"pairs_96to15", KIND_DENSE_PAIRS, 1, 1, 96, 15, 1, 1, 0, 0},
    {"pairs_512to16", KIND_DENSE_PAIRS, 1, 1, 512, 16, 1, 1, 0, 0},
    {"pairs_1000to64", KIND_DENSE_PAIRS, 1, 1, 1000, 64, 1, 1, 0, 0},
    /* pointwise shapes of the architecture zoo's MobileNetV2-0.35 and MobileNetV3s (96x96 input):
     * expansions and projections on few input channels, bands of a tiled stage, small planes */
    {"pw_24x24_8to48", KIND_CONV, 24, 24, 8, 48, 1, 1, 0, 0},
    {"pw_3x48_8to48_band", KIND_CONV, 3, 48, 8, 48, 1, 1, 0, 0},
    {"pw_3x48_16to8_band", KIND_CONV, 3, 48, 16, 8, 1, 1, 0, 0},
    {"pw_1x24_48to8_band", KIND_CONV, 1, 24, 48, 8, 1, 1, 0, 0},
    {"pw_5x48_16to64_band", KIND_CONV, 5, 48, 16, 64, 1, 1, 0, 0},
    {"pw_5x48_16to16_band", KIND_CONV, 5, 48, 16, 16, 1, 1, 0, 0},
    {"pw_2x24_24to72_band", KIND_CONV, 2, 24, 24, 72, 1, 1, 0, 0},
    {"pw_12x12_16to96", KIND_CONV, 12, 12, 16, 96, 1, 1, 0, 0},
    {"pw_12x12_24to88_mixed", KIND_CONV, 12, 12, 24, 88, 1, 1, 0, 2},
    {"pw_6x6_24to144", KIND_CONV, 6, 6, 24, 144, 1, 1, 0, 0},
    {"pw_6x6_32to192", KIND_CONV, 6, 6, 32, 192, 1, 1, 0, 0},
    {"pw_6x6_40to240_mixed", KIND_CONV, 6, 6, 40, 240, 1, 1, 0, 2},
    {"pw_6x6_88to528", KIND_CONV, 6, 6, 88, 528, 1, 1, 0, 0},
    {"pw_3x3_56to336", KIND_CONV, 3, 3, 56, 336, 1, 1, 0, 0},
    {"pw_3x3_96to576_mixed", KIND_CONV, 3, 3, 96, 576, 1, 1, 0, 2},
    {"pw_3x3_336to56", KIND_CONV, 3, 3, 336, 56, 1, 1, 0, 0},
    {"pw_6x6_144to24", KIND_CONV, 6, 6, 144, 24, 1, 1, 0, 0},
    /* per-channel affine layers of one map for every channel (mode 6): MobileNetV3's
     * squeeze-excitation x + 3 and x / 6 on a 1 x 1 map, its Rescaling whole and in the row bands of
     * its tiled stage */
    {"dw1x1_s1_1x1x576_uniform", KIND_DW, 1, 1, 576, 576, 1, 1, 1, 6},
    {"dw1x1_s1_1x1x96_uniform", KIND_DW, 1, 1, 96, 96, 1, 1, 1, 6},
    {"dw1x1_s1_4x96x3_uniform", KIND_DW, 4, 96, 3, 3, 1, 1, 1, 6},
    {"dw1x1_s1_1x96x3_uniform", KIND_DW, 1, 96, 3, 3, 1, 1, 1, 6},
    {"dw1x1_s1_96x96x3_uniform", KIND_DW, 96, 96, 3, 3, 1, 1, 1, 6},
    /* the depthwise layers of the architecture zoo's MobileNetV2-0.35 and MobileNetV3s (96 x 96 input)
     * that the rows above do not have */
    {"dw3x3_s1_24x24x48", KIND_DW, 24, 24, 48, 48, 3, 1, 1, 0},
    {"dw3x3_s1_12x12x96", KIND_DW, 12, 12, 96, 96, 3, 1, 1, 0},
    {"dw3x3_s1_6x6x144", KIND_DW, 6, 6, 144, 144, 3, 1, 1, 0},
    {"dw3x3_s1_3x3x336", KIND_DW, 3, 3, 336, 336, 3, 1, 1, 0},
    {"dw3x3_s2_6x6x192", KIND_DW, 6, 6, 192, 192, 3, 2, 1, 0},
    {"dw3x3_s1_24x24x72", KIND_DW, 24, 24, 72, 72, 3, 1, 1, 0},
    {"dw3x3_s2_24x24x72", KIND_DW, 24, 24, 72, 72, 3, 2, 1, 0},
    {"dw5x5_s1_6x6x120", KIND_DW, 6, 6, 120, 120, 5, 1, 1, 0},
    /* ResNet-8's 3x3 layers with their weights in channel pairs, as the converter writes them
     * (nnom_conv2d_pairs_s8): whole, then as their tiled stage calls them (bands of six and two
     * output rows, the scratch a tight plan reserves) */
    {"cpairs_32x32x16to16", KIND_CONV_PAIRS, 32, 32, 16, 16, 3, 1, 0, 0},
    {"cpairs_16x16x32to32", KIND_CONV_PAIRS, 16, 16, 32, 32, 3, 1, 0, 0},
    {"cpairs_8x8x64to64", KIND_CONV_PAIRS, 8, 8, 64, 64, 3, 1, 0, 0},
    {"cpairs_s2_32x32x16to32", KIND_CONV_PAIRS, 32, 32, 16, 32, 3, 2, 0, 0},
    {"cpairs_s2_16x16x32to64", KIND_CONV_PAIRS, 16, 16, 32, 64, 3, 2, 0, 0},
    {"cpairs_8x32x16to16_band", KIND_CONV_PAIRS, 8, 32, 16, 16, 3, 1, 0, 0, 0, 1, 6},
    {"cpairs_4x32x16to16_band", KIND_CONV_PAIRS, 4, 32, 16, 16, 3, 1, 0, 0, 0, 1, 2},
    {"cpairs_16x16x32to32_tight", KIND_CONV_PAIRS, 16, 16, 32, 32, 3, 1, 0, 0, 0, 1},
    {"cpairs_s2_16x16x32to64_tight", KIND_CONV_PAIRS, 16, 16, 32, 64, 3, 2, 0, 0, 0, 1},
    {"cpairs_16x16x32to32_mixed", KIND_CONV_PAIRS, 16, 16, 32, 32, 3, 1, 0, 2},
    /* other 3x3 layers the channel pairs take (any multiple of 16 up to 128 input channels), on rows
     * then in pairs: a DenseNet block's 128 -> 32, 48 channels, 128 -> 64, stride 2 on 64 */
    {"conv3x3_12x12x128to32", KIND_CONV, 12, 12, 128, 32, 3, 1, 0, 0},
    {"cpairs_12x12x128to32", KIND_CONV_PAIRS, 12, 12, 128, 32, 3, 1, 0, 0},
    {"conv3x3_16x16x48to48", KIND_CONV, 16, 16, 48, 48, 3, 1, 0, 0},
    {"cpairs_16x16x48to48", KIND_CONV_PAIRS, 16, 16, 48, 48, 3, 1, 0, 0},
    {"conv3x3_8x8x128to64", KIND_CONV, 8, 8, 128, 64, 3, 1, 0, 0},
    {"cpairs_8x8x128to64", KIND_CONV_PAIRS, 8, 8, 128, 64, 3, 1, 0, 0},
    {"conv3x3_s2_16x16x64to64", KIND_CONV, 16, 16, 64, 64, 3, 2, 0, 0},
    {"cpairs_s2_16x16x64to64", KIND_CONV_PAIRS, 16, 16, 64, 64, 3, 2, 0, 0},
    /* depthwise channel counts past a multiple of 4 (a MobileNet with its all-zero filters removed) */
    {"dw3x3_s2_6x6x29", KIND_DW, 6, 6, 29, 29, 3, 2, 1, 2},
    {"dw3x3_s1_6x6x45", KIND_DW, 6, 6, 45, 45, 3, 1, 1, 2},
    {"dw3x3_s2_3x48x18_band", KIND_DW, 3, 48, 18, 18, 3, 2, 1, 2, 0, 1},
    {"dw3x3_s2_24x24x30", KIND_DW, 24, 24, 30, 30, 3, 2, 1, 2},
    {"dw3x3_s1_12x12x63", KIND_DW, 12, 12, 63, 63, 3, 1, 1, 2},
    {"dw3x3_s1_3x3x50", KIND_DW, 3, 3, 50, 50, 3, 1, 1, 2},
    {"dw3x3_s2_12x12x63", KIND_DW, 12, 12, 63, 63, 3, 2, 1, 2},
    {"dw3x3_s2_3x48x19_band", KIND_DW, 3, 48, 19, 19, 3, 2, 1, 2, 0, 1},
};
#define CASE_COUNT ((int)(sizeof cases / sizeof cases[0]))

enum { MAX_IN = 24 * 24 * 72, MAX_OUT = 24 * 24 * 72, MAX_W = 128 * 640, MAX_C = 640, MAX_SCRATCH = 16384 };
static int8_t input[MAX_IN], input2[MAX_IN], output[MAX_OUT], weights[MAX_W];
/* KIND_DENSE_PAIRS: the weights in row pairs (rows and inputs padded to even counts) */
static uint8_t pair_weights[MAX_W + 2 * MAX_C + 4] __attribute__((aligned(4)));
static int32_t bias[MAX_C], multiplier[MAX_C], shift[MAX_C];
static uint32_t scratch[MAX_SCRATCH / 4];

static uint32_t rng = 0x2545F491u;
static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static void fill(int8_t *p, int32_t n)
{
    for (int32_t i = 0; i < n; i++) p[i] = (int8_t)next();
}

/* Filters all zero in mode 3 of bench_case.mixed, in percent. */
#define DEAD_PERCENT 60
/* Channels of a left shift in mode 4: GENERAL_FIRST, then every GENERAL_EVERY. */
#define GENERAL_FIRST 5
#define GENERAL_EVERY 32

static void quant(int32_t n, int mixed)
{
    for (int32_t c = 0; c < n; c++) {
        multiplier[c] = (int32_t)(0x40000000u + (next() & 0x3FFFFFFFu));
        if (mixed && next() % 4 == 0) multiplier[c] = (int32_t)(0x20000000u + (next() & 0x1FFFFFFFu));
        if (mixed == 1 && next() % 8 == 0) multiplier[c] = 0;
        shift[c] = -(int32_t)(6 + next() % 5);
        bias[c] = (int32_t)(next() % 8192) - 4096;
        if ((mixed == 4 && c % GENERAL_EVERY == GENERAL_FIRST) || (mixed == 5 && c % 4 == 1)) shift[c] = 1;
        if (mixed == 3 && next() % 100 < DEAD_PERCENT) {
            multiplier[c] = 1 << 30;
            shift[c] = 1;
        }
    }
    for (int32_t c = 1; mixed == 6 && c < n; c++) {
        multiplier[c] = multiplier[0];
        shift[c] = shift[0];
        bias[c] = bias[0];
        weights[c] = weights[0];
    }
}

/* Zeroes the k weights of every channel quant() made dead (mode 3). */
static void zero_dead_filters(int32_t out_c, int32_t k)
{
    for (int32_t c = 0; c < out_c; c++)
        if (multiplier[c] == (1 << 30) && shift[c] == 1) memset(weights + (ptrdiff_t)c * k, 0, (size_t)k);
}

#ifdef __arm__
static void region_begin(void) { fw_bench_begin(); }
static void region_end(void) { fw_bench_end(); }
#define NOINLINE __attribute__((noinline))
#else
static void region_begin(void) {}
static void region_end(void) {}
#define NOINLINE __attribute__((noinline))
#endif

static nnom_conv_args conv_args;
static nnom_dense_s8_args dense_args;
static nnom_pool_args pool_args;
static nnom_elementwise_s8_args ew_args;
static nnom_concat_input_s8 concat_inputs[2];
static nnom_concat_s8_args concat_args;
static int32_t ew_params[6];

/* The measured region (callgrind: --toggle-collect=bench_run). */
NOINLINE void bench_run(const bench_case *c)
{
    switch (c->kind) {
    case KIND_DW: nnom_depthwise_conv2d_s8(&conv_args, input, output); break;
    case KIND_CONV:
        nnom_conv2d_s8(&conv_args, input, output, scratch,
                       c->tight ? nnom_conv2d_s8_scratch_for(&conv_args, NNOM_CONV_KERNELS_DSP, NNOM_CONV_SCRATCH_FAST)
                                : nnom_conv2d_s8_scratch_room_bytes(&conv_args));
        break;
    case KIND_ADD: nnom_add_s8(&ew_args); break;
    case KIND_MUL: nnom_mul_s8(&ew_args); break;
    case KIND_CONV_PAIRS:
        nnom_conv2d_pairs_s8(&conv_args, input, output, scratch,
                             c->tight ? nnom_conv2d_s8_scratch_for(&conv_args, NNOM_CONV_KERNELS_DSP, NNOM_CONV_SCRATCH_FAST)
                                      : nnom_conv2d_s8_scratch_room_bytes(&conv_args));
        break;
    case KIND_DENSE: nnom_dense_s8(&dense_args, input, output); break;
    case KIND_DENSE_PAIRS: nnom_dense_pairs_s8(&dense_args, input, output); break;
    case KIND_AVGPOOL: nnom_avg_pool_s8(&pool_args, input, output); break;
    case KIND_GAP: nnom_global_avg_pool_s8(&pool_args, input, output); break;
    case KIND_CONCAT: nnom_concat_s8(&concat_args); break;
    case KIND_LUT: nnom_lut_s8(input, output, c->h * c->w * c->in_c, (const int8_t *)input2); break;
    }
}

/* Sets up case c; returns its MACs (elements for element-wise kernels), or -1 if it does not fit. */
static int64_t setup(const bench_case *c)
{
    fill(input, MAX_IN);
    fill(input2, MAX_IN);
    fill(weights, MAX_W);
    quant(c->out_c, c->mixed);
    if (c->kind == KIND_DW || c->kind == KIND_CONV || c->kind == KIND_CONV_PAIRS) {
        nnom_conv_args *a = &conv_args;
        memset(a, 0, sizeof *a);
        a->in_h = c->h;
        a->in_w = c->w;
        a->in_c = c->in_c;
        a->out_c = c->out_c;
        a->k_h = c->k;
        a->k_w = c->k_w ? c->k_w : c->k;
        a->stride_h = a->stride_w = c->stride;
        a->dil_h = a->dil_w = 1;
        a->out_h = (c->h + c->stride - 1) / c->stride; /* 'same' */
        a->out_w = (c->w + c->stride - 1) / c->stride;
        const int32_t pad_h = (a->out_h - 1) * c->stride + c->k - c->h;
        const int32_t pad_w = (a->out_w - 1) * c->stride + a->k_w - c->w;
        a->pad_top = pad_h > 0 ? pad_h / 2 : 0;
        a->pad_left = pad_w > 0 ? pad_w / 2 : 0;
        if (c->kind == KIND_DW && c->tight) { /* a band: the output rows of its input rows, no padding */
            a->out_h = (c->h - c->k) / c->stride + 1;
            a->pad_top = 0;
        }
        if (c->band) {
            a->out_h = c->band;
            a->pad_top = 0;
        }
        a->depth_mult = c->mult;
        a->in_zp = -5;
        a->out_zp = -128; /* a fused ReLU, as the quantiser makes it: output zero point -128 */
        a->act_min = -128;
        a->act_max = 127;
        a->multiplier = multiplier;
        a->shift = shift;
        a->weights = weights;
        a->bias = bias;
        if (c->kind != KIND_DW && nnom_conv2d_s8_scratch_room_bytes(a) > sizeof scratch) return -1;
        const int64_t patch = c->kind == KIND_DW ? (int64_t)c->k * c->k : (int64_t)a->k_h * a->k_w * c->in_c;
        if (c->kind == KIND_CONV && c->mixed == 3) zero_dead_filters(c->out_c, (int32_t)patch); /* (conv filters only) */
        if (c->kind == KIND_CONV_PAIRS) { /* (the weights in channel pairs) */
            if (NNOM_CONV_PAIRS_BYTES(patch, c->out_c) > sizeof pair_weights) return -1;
            nnom_conv_pairs_pack(weights, (int32_t)patch, c->out_c, pair_weights);
            a->weights = (const int8_t *)pair_weights;
        }
        return (int64_t)a->out_h * a->out_w * a->out_c * patch;
    }
    if (c->kind == KIND_DENSE || c->kind == KIND_DENSE_PAIRS) {
        nnom_dense_s8_args *d = &dense_args;
        memset(d, 0, sizeof *d);
        d->in_features = c->in_c;
        d->out_features = c->out_c;
        d->weights = weights;
        if (c->kind == KIND_DENSE_PAIRS) {
            if ((int64_t)c->in_c * c->out_c > MAX_W) return -1;
            nnom_dense_pairs_pack(weights, c->in_c, c->out_c, pair_weights);
            d->weights = (const int8_t *)pair_weights;
        }
        d->bias = bias;
        d->multiplier = multiplier;
        d->shift = shift;
        d->per_channel = 1;
        d->in_zero_point = 7;
        d->out_zero_point = -2;
        d->act_lo = -128;
        d->act_hi = 127;
        return (int64_t)c->in_c * c->out_c;
    }
    if (c->kind == KIND_AVGPOOL || c->kind == KIND_GAP) {
        nnom_pool_args *p = &pool_args;
        memset(p, 0, sizeof *p);
        p->in_h = p->kernel_h = c->h;
        p->in_w = p->kernel_w = c->w;
        p->channels = c->in_c;
        p->out_h = p->out_w = 1;
        p->stride_h = p->stride_w = 1;
        p->rescale = 1;
        p->multiplier = 1431655765; /* output scale 3/4 of the input's: 4/3 = (2^31 / 1.5) * 2^(1 - 31) */
        p->shift = 1;
        p->in_zp = -128;
        p->out_zp = -100;
        return (int64_t)c->h * c->w * c->in_c;
    }
    if (c->kind == KIND_CONCAT) {
        const nnom_concat_input_s8 req = {input, c->in_c, 3, 1518500250, -1}, copy = {input2, c->out_c - c->in_c, 0, 0, 0};
        concat_inputs[0] = req;
        concat_inputs[1] = copy;
        const nnom_concat_s8_args ca = {concat_inputs, 2, c->h * c->w, -7, output};
        concat_args = ca;
        return (int64_t)c->h * c->w * c->out_c;
    }
    if (c->kind == KIND_LUT) return (int64_t)c->h * c->w * c->in_c; /* the table: input2's first 256 bytes */
    nnom_elementwise_s8_args *e = &ew_args;
    memset(e, 0, sizeof *e);
    e->in1 = input;
    e->in2 = input2;
    e->out = output;
    e->rows = c->h * c->w;
    e->channels = c->in_c;
    e->broadcast = c->mult;
    e->in1_zero_point = 4;
    e->in2_zero_point = -9;
    e->out_zero_point = 1;
    e->act_lo = -128;
    e->act_hi = 127;
    /* scales 0.05, 0.07 -> 0.09 (add), 0.05 * 0.07 -> 0.03 (mul), as nnom_quant_*_params() derive them */
    ew_params[0] = 1193046471; ew_params[1] = -1; /* 0.05 / (2 * 0.07) */
    ew_params[2] = 1073741824; ew_params[3] = 0;  /* 0.07 / (2 * 0.07) */
    ew_params[4] = 1670265058; ew_params[5] = -19; /* 2 * 0.07 / (2^20 * 0.09) */
    if (c->kind == KIND_MUL) {
        ew_params[0] = 1252698795; ew_params[1] = -3; /* 0.0035 / 0.03 */
    }
    e->params = ew_params;
    return (int64_t)e->rows * e->channels;
}

#ifdef __arm__
int main(void)
{
    const bench_case *c = &cases[BENCH_CASE];
    const int64_t macs = setup(c);
    if (macs < 0) {
        fw_print("error: case does not fit\n");
        return 1;
    }
    region_begin();
    bench_run(c);
    region_end();
    fw_print("case ");
    fw_print(c->name);
    fw_print(" macs=");
    fw_print_u32((uint32_t)macs);
    fw_print("\n");
    return 0;
}
#else
int main(int argc, char **argv)
{
    if (argc < 2) {
        for (int i = 0; i < CASE_COUNT; i++) printf("%d %s\n", i, cases[i].name);
        return 0;
    }
    const int i = atoi(argv[1]);
    if (i < 0 || i >= CASE_COUNT) return 2;
    const int64_t macs = setup(&cases[i]);
    if (macs < 0) return 1;
    region_begin();
    bench_run(&cases[i]);
    region_end();
    printf("case %s macs=%lld\n", cases[i].name, (long long)macs);
    return 0;
}
#endif

int bench_case_count(void) { return CASE_COUNT; }

/*
 * The convolution over weights in channel pairs (nnom_conv2d_pairs_s8: on this core the strips of
 * kernels/arm/conv_pairs_rows.h, else its portable form) against the portable nnom_conv2d_s8 on the
 * same weights in rows, on random 3x3 layers: most of a shape the strips take (nnom_conv_pairs_fit:
 * stride 1 or 2 on 16 to 128 input channels, a multiple of 16, an even width and channel count, a
 * bias, the fast requantisation), the others a step off it (another channel count, an odd width or
 * channel count, no bias, a general requantisation). Windows at the padding on every side, bands of
 * rows without padding above, narrower output clamps, any zero points and scratch from the least to
 * all the kernels can use, the input and output at any alignment, the bytes after the output checked
 * untouched.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "equivalence.h"
#include "semihosting.h"
#include "kernels/arm/conv_pairs_strips.h"
#include "kernels/conv.h"

/* The weights in channel pairs (the largest case: 80 channels of 3 x 3 x 144). */
static uint8_t pairs[NNOM_CONV_PAIRS_BYTES(3 * 3 * 144, MAX_C)] __attribute__((aligned(4)));

/* A random 3x3 layer into *a, of a shape the strips take when @p fit (else one step off it). */
static void random_pairs_layer(nnom_conv_args *a, int fit)
{
    static const int32_t straight_c[] = {16, 32, 64, 16, 32}, off_c[] = {4, 8, 12, 20, 40, 144};
    memset(a, 0, sizeof *a);
    a->k_h = a->k_w = 3;
    a->dil_h = a->dil_w = 1;
    a->stride_h = a->stride_w = chance(60) ? 1 : 2;
    /* the counts of the straight routines (16, 32, 64 at stride 1; 16, 32 at stride 2) or any */
    a->in_c = chance(60) ? straight_c[a->stride_h == 1 ? range(0, 2) : range(3, 4)] : 16 * range(1, 8);
    const int off = fit ? 0 : range(1, 5);
    if (off == 1 || off == 2) a->in_c = off_c[range(0, 5)];
    a->out_c = 2 * range(1, MAX_C / 2);
    if (off == 3) a->out_c = 2 * range(0, MAX_C / 2 - 1) + 1;
    const int32_t max_hw = a->in_c >= 96 ? 10 : a->in_c >= 64 ? 12 : 16; /* (MAX_IN) */
    a->in_h = range(1, max_hw);
    a->in_w = range(2, max_hw);
    const int same = chance(70);
    axis(a->in_h, 3, a->stride_h, 1, same, &a->out_h, &a->pad_top);
    axis(a->in_w, 3, a->stride_w, 1, same, &a->out_w, &a->pad_left);
    if (a->out_h < 1 || a->out_w < 1) { /* (a valid window larger than the input) */
        axis(a->in_h, 3, a->stride_h, 1, 1, &a->out_h, &a->pad_top);
        axis(a->in_w, 3, a->stride_w, 1, 1, &a->out_w, &a->pad_left);
    }
    if (chance(20)) { /* a band of output rows as a tiled stage calls it: no padding above */
        a->pad_top = 0;
        a->out_h = a->in_h >= 3 ? (a->in_h - 3) / a->stride_h + 1 : 1;
        if (a->in_h < 3) a->pad_top = 1;
    }
    /* an even output width, unless off by it (the strips take pairs of pixels of a row) */
    if ((a->out_w & 1) && off != 4) a->out_w = a->out_w > 1 ? a->out_w - 1 : 2;
    if (off == 4 && !(a->out_w & 1)) a->out_w--;
    if (a->out_w < 1) a->out_w = 1;
    a->in_zp = range(-128, 127);
    a->out_zp = range(-128, 127);
    a->act_min = chance(70) ? -128 : range(-128, 0);
    a->act_max = chance(70) ? 127 : range(a->act_min, 127);
    const int32_t k = 9 * a->in_c;
    int32_t bits = 0; /* ~log2 of the typical |dot| */
    while ((1 << bits) < k * 64) bits++;
    for (int32_t c = 0; c < a->out_c; c++) { /* the fast form: multiplier > 0, e in [1, 22] */
        multiplier[c] = chance(80) ? (int32_t)(0x40000000u + (next() & 0x3FFFFFFFu)) : range(1, 0x40000000);
        shift[c] = -range(bits > 8 ? bits - 8 : 1, bits + 1 < 22 ? bits + 1 : 22);
        if (chance(5)) shift[c] = -range(1, 22);
        bias[c] = chance(10) ? range(-(1 << 29), 1 << 29) : range(-(1 << 16), 1 << 16);
    }
    if (off == 5) random_quant(a->out_c, k, 1);
    a->multiplier = multiplier;
    a->shift = shift;
    a->bias = off == 5 && chance(30) ? NULL : bias;
}

int32_t check_conv_pairs(int32_t cases)
{
    int32_t bad = 0, taken = 0, strips = 0;
    for (int32_t t = 0; t < cases; t++) {
        nnom_conv_args a;
        random_pairs_layer(&a, chance(75));
        taken += nnom_conv_pairs_fit(&a);
        const int32_t in_n = a.in_h * a.in_w * a.in_c, out_n = a.out_h * a.out_w * a.out_c, k = 9 * a.in_c;
        const int32_t in_off = range(0, 3), out_off = range(0, 3);
        int8_t *x = input + in_off;
        fill_s8(x, in_n);
        fill_s8(weights, a.out_c * k);
        nnom_conv_pairs_pack(weights, k, a.out_c, pairs);
        a.weights = weights;
        const uint32_t least = nnom_conv2d_s8_scratch_bytes(&a), room = nnom_conv2d_s8_scratch_room_bytes(&a);
        const uint32_t tight = nnom_conv2d_s8_scratch_for(&a, NNOM_CONV_KERNELS_DSP, NNOM_CONV_SCRATCH_FAST);
        uint32_t s = chance(30) ? least : chance(40) ? room : least + (uint32_t)range(0, (int32_t)(room - least)) / 4 * 4;
        if (chance(25) && tight >= nnom_conv_pairs_patch(k) * 2u) s = tight;
        memset(out_arm, 0x55, sizeof out_arm);
        memset(out_portable, 0x55, sizeof out_portable);
        memset(scratch, 0x5A, room);
        portable_conv2d_s8(&a, x, out_portable + out_off, scratch, room);
        a.weights = pairs;
        memset(scratch, 0xA5, s);
        nnom_conv2d_pairs_s8(&a, x, out_arm + out_off, scratch, s);
        int differs = memcmp(out_arm, out_portable, (size_t)out_n + 8) != 0;
        /* the strips alone (they run what they take: count it) */
        static int8_t out_strips[MAX_OUT + 8];
        memset(out_strips, 0x55, sizeof out_strips);
        memset(scratch, 0xA5, s);
        if (!differs && nnom_arm_conv2d_pairs_strips(&a, x, out_strips + out_off, scratch, s)) {
            strips++;
            differs = memcmp(out_strips, out_portable, (size_t)out_n + 8) != 0;
            if (differs) memcpy(out_arm, out_strips, sizeof out_strips);
        }
        if (differs) {
            report("conv pairs", t, out_arm + out_off, out_portable + out_off, out_n);
            if (failures_shown <= 8) describe(&a);
            bad++;
        }
    }
    fw_print("conv pairs: ");
    fw_print_i32(taken);
    fw_print(" of the cases of a shape the strips take (nnom_conv_pairs_fit), ");
    fw_print_i32(strips);
    fw_print(" run in them\n");
    return bad;
}

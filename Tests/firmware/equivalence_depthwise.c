/*
 * Part of the kernel equivalence firmware test (see kernel_equivalence.c): the depthwise checks on
 * their own random sequences, the lines of three of 3x3 planes and the 1x1 layers of one map for
 * every channel.
 */
#include <stdint.h>
#include <string.h>

#include "equivalence.h"
#include "kernels/arm/arm_dsp.h"
#include "nnom/layers.h"
#include "semihosting.h"

/* Depthwise 3x3 planes of lines of three outputs (the DSP kernel's group-plane path at -O2,
 * depthwise_tri3.h; the channel groups in the compact builds): 3 x 3 outputs at stride 1 ('same'
 * from 3 x 3, 'valid' from 5 x 5), and at stride 2 lines of three from inputs 5-7 wide and 3-7 tall
 * (one to three lines; 'same' or 'valid'), every channel count from 1 to LINES3_MAX_C, LINES3_SEEDS
 * seeds each. Each channel's requantisation is one of lines3_kind (a whole case in one kind: groups
 * of four in one form, one call; or each channel its own: groups of mixed forms, DW_GEN beside
 * the fast ones): multipliers above, at and below 2^30 and 0, right shifts 1-31 (past the 32-bit
 * forms' 22), left shifts 0-9 (past DW_L's 7), biases just inside and just outside the bounds of
 * the fast forms' starts; output zero points -128, 127 and others; no clamp mostly. On its own
 * random sequence (every other check's cases unchanged). */
typedef enum { LINES3_ZP, LINES3_U, LINES3_L, LINES3_GEN, LINES3_EDGE, LINES3_BOUND, LINES3_KINDS } lines3_kind;

/* Channel c's multiplier, shift and bias of kind `kind`; sum_w its weights' sum, in_zp the input's
 * zero point (a start b - in_zp sum_w at a bound: the DSP kernel's forms' tests). */
static void lines3_quant(int32_t c, lines3_kind kind, int32_t sum_w, int32_t in_zp)
{
    enum { TAPS_ROOM = 9 * 128 * 128, BIAS_ROOM = 1 << 30 };
    const int32_t m_hi = (int32_t)(0x40000001u + (next() & 0x3FFFFFFEu)), m_lo = (int32_t)(next() & 0x3FFFFFFFu) | 1;
    int32_t m = chance(50) ? m_hi : m_lo, sh = -range(1, 22), b = range(-(1 << 14), 1 << 14);
    if (kind == LINES3_ZP) m = m_hi;
    if (kind == LINES3_U) m = chance(20) ? range(1, 1 << 16) : m_lo;
    if (kind == LINES3_L) sh = chance(50) ? range(0, 1) : range(0, 7);
    if (kind == LINES3_GEN) sh = chance(60) ? -range(23, 31) : range(8, 9);
    if (kind == LINES3_EDGE) {
        m = chance(50) ? 1 << 30 : (chance(50) ? 0 : (int32_t)0x7FFFFFFF);
        sh = chance(50) ? 1 : -range(1, 22);
    }
    if (kind == LINES3_BOUND) {
        /* a start of magnitude at the bound of the form the shift selects (+-2), or a bias at +-2^30 */
        sh = chance(50) ? range(0, 7) : -range(1, 22);
        const int32_t room = sh >= 0 ? (1 << (30 - sh)) - TAPS_ROOM : BIAS_ROOM - TAPS_ROOM;
        const int32_t sign = chance(50) ? 1 : -1, delta = range(-2, 1);
        b = chance(20) ? sign * BIAS_ROOM + delta : in_zp * sum_w + sign * (room + delta);
    }
    multiplier[c] = m;
    shift[c] = sh;
    bias[c] = b;
}

int32_t check_dw_lines3(void)
{
    const uint32_t saved = rng;
    int32_t bad = 0, t = 0;
    for (int32_t c_n = 1; c_n <= LINES3_MAX_C; c_n++)
        for (int32_t s = 1; s <= 2; s++)
            for (int32_t seed = 0; seed < LINES3_SEEDS; seed++, t++) {
                rng = 0x9E3779B9u * (uint32_t)(1 + seed + 16 * (s + 4 * c_n)) | 1u;
                nnom_conv_args a;
                memset(&a, 0, sizeof a);
                a.k_h = a.k_w = 3;
                a.stride_h = a.stride_w = s;
                a.dil_h = a.dil_w = 1;
                a.depth_mult = 1;
                a.in_c = a.out_c = c_n;
                int same = chance(70);
                if (s == 1) {
                    a.in_h = a.in_w = same ? 3 : 5;
                } else {
                    a.in_w = range(5, 7);
                    a.in_h = range(3, 7);
                    if (a.in_w == 7) same = 0; /* (three outputs: 'valid') */
                }
                axis(a.in_h, 3, s, 1, same, &a.out_h, &a.pad_top);
                axis(a.in_w, 3, s, 1, same, &a.out_w, &a.pad_left);
                a.in_zp = chance(20) ? (chance(50) ? -128 : 127) : range(-128, 127);
                a.out_zp = chance(40) ? -128 : (chance(20) ? (chance(50) ? 127 : -127) : range(-128, 127));
                a.act_min = -128;
                a.act_max = 127;
                if (chance(10)) {
                    a.act_min = range(-128, 0);
                    a.act_max = range(a.act_min, 127);
                }
                const int32_t in_n = a.in_h * a.in_w * c_n, out_n = a.out_h * a.out_w * c_n, w_n = 9 * c_n;
                const int32_t in_off = range(0, 3), out_off = range(0, 3);
                int8_t *x = input + in_off, *w = weights + range(0, 3);
                fill_s8(x, in_n);
                fill_s8(w, w_n);
                const int one_kind = chance(40);
                const lines3_kind kind = (lines3_kind)range(0, LINES3_KINDS - 1);
                for (int32_t c = 0; c < c_n; c++) {
                    if (chance(8)) /* extreme weights (DW_L's scaled weights at the int16 limit) */
                        for (int32_t k = 0; k < 9; k++) w[k * c_n + c] = chance(70) ? -128 : 127;
                    int32_t sum_w = 0;
                    for (int32_t k = 0; k < 9; k++) sum_w += w[k * c_n + c];
                    lines3_quant(c, one_kind ? kind : (lines3_kind)range(0, LINES3_KINDS - 1), sum_w, a.in_zp);
                }
                a.weights = w;
                a.multiplier = multiplier;
                a.shift = shift;
                a.bias = chance(10) ? NULL : bias;
                memset(out_arm, 0x55, sizeof out_arm);
                memset(out_portable, 0x55, sizeof out_portable);
                nnom_depthwise_conv2d_s8(&a, x, out_arm + out_off);
                portable_depthwise_conv2d_s8(&a, x, out_portable + out_off);
                int differs = memcmp(out_arm, out_portable, (size_t)out_n + 8) != 0;
                if (!differs && nnom_depthwise_conv2d_s8_in_place(&a)) {
                    static int8_t in_place[MAX_IN + 8];
                    memcpy(in_place + in_off, x, (size_t)in_n);
                    nnom_depthwise_conv2d_s8(&a, in_place + in_off, in_place + in_off);
                    differs = memcmp(in_place + in_off, out_portable + out_off, (size_t)out_n) != 0;
                }
                if (differs) {
                    report("depthwise lines of three", t, out_arm + out_off, out_portable + out_off, out_n);
                    if (failures_shown <= 8) describe(&a);
                    bad++;
                }
            }
    rng = saved;
    return bad;
}

/* Per-channel affine layers (1x1, stride 1, multiplier 1, no padding) whose channels share one weight,
 * bias, multiplier and shift (a number added or multiplied, a scalar Rescaling: the DSP kernel's one
 * run over every element, depthwise_uniform.h), against the portable per-channel kernel: one pixel of
 * up to 4 * MAX_C channels, bands, planes past the run's table size; multipliers above, at and below
 * 2^30 and 0, right shifts 1-22 and beyond, left shifts, biases past the fast forms' bound (the
 * per-channel kernel then), clamps; often one channel differing in one of the four (the check, its
 * steps of four words and its tails). In place too. On its own random sequence. */
int32_t check_dw_uniform(void)
{
    const uint32_t saved = rng;
    rng = 0x2F6B1D3Du;
    int32_t bad = 0;
    for (int32_t t = 0; t < UNIFORM_CASES; t++) {
        nnom_conv_args a;
        memset(&a, 0, sizeof a);
        a.k_h = a.k_w = 1;
        a.stride_h = a.stride_w = 1;
        a.dil_h = a.dil_w = 1;
        a.depth_mult = 1;
        const int one = chance(40);
        a.in_c = a.out_c = one ? range(1, 4 * MAX_C) : range(1, chance(50) ? 8 : 48);
        a.in_h = one ? 1 : range(1, 16);
        a.in_w = one ? 1 : range(1, 40);
        while ((int64_t)a.in_h * a.in_w * a.in_c > MAX_IN) {
            if (a.in_h > 1) a.in_h /= 2;
            else a.in_w /= 2;
        }
        a.out_h = a.in_h;
        a.out_w = a.in_w;
        a.in_zp = chance(30) ? -128 : range(-128, 127);
        a.out_zp = chance(40) ? -128 : range(-128, 127);
        a.act_min = -128;
        a.act_max = 127;
        if (chance(20)) {
            a.act_min = range(-128, 0);
            a.act_max = range(a.act_min, 127);
        }
        const int32_t C = a.in_c, n = a.in_h * a.in_w * C;
        const int32_t in_off = range(0, 3), out_off = range(0, 3);
        int8_t *x = input + in_off, *w = weights + range(0, 3);
        fill_s8(x, n);
        const int8_t w0 = (int8_t)(chance(10) ? (chance(50) ? -128 : 127) : range(-128, 127));
        const int32_t m0 = chance(10) ? (chance(50) ? 0 : 1 << 30)
                                      : (chance(40) ? (int32_t)(next() & 0x3FFFFFFFu) | 1 : (int32_t)(0x40000001u + (next() & 0x3FFFFFFEu)));
        const int32_t s0 = chance(8) ? (chance(50) ? range(0, 3) : -range(23, 31)) : -range(1, 22);
        const int32_t b0 = chance(8) ? (int32_t)next() : range(-(1 << 18), 1 << 18);
        for (int32_t c = 0; c < C; c++) {
            w[c] = w0;
            multiplier[c] = m0;
            shift[c] = s0;
            bias[c] = b0;
        }
        if (C > 1 && chance(40)) { /* one channel differing in one constant */
            const int32_t d = chance(30) ? C - 1 : range(1, C - 1), which = range(0, 3);
            if (which == 0) w[d] = (int8_t)(w0 ^ 1);
            if (which == 1) multiplier[d] = m0 ^ 1;
            if (which == 2) shift[d] = s0 == -1 ? -2 : s0 + 1;
            if (which == 3) bias[d] = b0 ^ 1;
        }
        a.weights = w;
        a.multiplier = multiplier;
        a.shift = shift;
        a.bias = chance(10) && b0 == 0 ? NULL : bias;
        if (chance(5)) { /* no bias: all zero */
            for (int32_t c = 0; c < C; c++) bias[c] = 0;
            a.bias = NULL;
        }
        memset(out_arm, 0x55, sizeof out_arm);
        memset(out_portable, 0x55, sizeof out_portable);
        nnom_depthwise_conv2d_s8(&a, x, out_arm + out_off);
        portable_depthwise_conv2d_s8(&a, x, out_portable + out_off);
        int differs = memcmp(out_arm, out_portable, (size_t)n + 8) != 0;
        if (!differs) {
            static int8_t in_place[MAX_IN + 8];
            memcpy(in_place + in_off, x, (size_t)n);
            nnom_depthwise_conv2d_s8(&a, in_place + in_off, in_place + in_off);
            differs = memcmp(in_place + in_off, out_portable + out_off, (size_t)n) != 0;
        }
        if (differs) {
            report("depthwise uniform affine", t, out_arm + out_off, out_portable + out_off, n);
            if (failures_shown <= 8) describe(&a);
            bad++;
        }
    }
    rng = saved;
    return bad;
}

/*
 * Part of the kernel equivalence firmware test (see kernel_equivalence.c): the dense kernel (per-tensor
 * shifts at the edges of its 32-bit requantisation, narrow layers, units of eight rows, long inputs),
 * the matrix product of two activations, the transposed convolution, the int8 add, subtract and
 * multiply, and max, average and global average pooling, against the portable kernels.
 */
#include <stdint.h>
#include <string.h>

#include "equivalence.h"
#include "kernels/arm/arm_dsp.h"
#include "kernels/dense.h"
#include "kernels/requant.h"
#include "nnom/layers.h"
#include "semihosting.h"

enum { DENSE_EDGE_CASES = 40 };
/* per-tensor shifts at and beyond the edges of the DSP kernel's 32-bit requantisation (shift in [-22, -1]),
 * which it decides once per call */
/* The weights of a case in row pairs (kernels/dense.h): rows and inputs padded to even counts. */
static uint8_t pair_weights[MAX_W + 80000];

int32_t check_dense_pairs(nnom_dense_s8_args a, const int8_t *x, int32_t out_off, int32_t t, const char *what)
{
    const uint64_t bytes = NNOM_DENSE_PAIRS_BYTES(a.in_features, a.out_features);
    if (bytes > sizeof pair_weights) return 0;
    nnom_dense_pairs_pack(a.weights, a.in_features, a.out_features, pair_weights);
    a.weights = (const int8_t *)pair_weights;
    memset(out_arm, 0x55, (size_t)(out_off + a.out_features) + 8);
    nnom_dense_pairs_s8(&a, x, out_arm + out_off);
    int32_t guard_ok = 1; /* nothing written around the output */
    for (int32_t i = 0; i < out_off + a.out_features + 8; i++)
        if (i < out_off || i >= out_off + a.out_features) guard_ok &= out_arm[i] == 0x55;
    if (guard_ok && memcmp(out_arm + out_off, out_portable + out_off, (size_t)a.out_features) == 0) return 0;
    report(what, t, out_arm + out_off, out_portable + out_off, a.out_features);
    return 1;
}

static const int32_t dense_edge_shifts[] = {-1, 0, 1, 2, -22, -23, -31, -2, -21};
enum { DENSE_SHIFT_CASES = 2 * (int32_t)(sizeof dense_edge_shifts / sizeof dense_edge_shifts[0]) };
enum { DENSE_NARROW_FIRST = 3 + DENSE_EDGE_CASES + DENSE_SHIFT_CASES, DENSE_NARROW_CASES = 100 };
enum { DENSE_UNITS_FIRST = DENSE_NARROW_FIRST + DENSE_NARROW_CASES, DENSE_UNITS_CASES = 40 };
enum { DENSE_PIECES_FIRST = DENSE_UNITS_FIRST + DENSE_UNITS_CASES, DENSE_PIECES_CASES = 30 };

int32_t check_dense(int32_t cases)
{
    int32_t bad = 0;
    for (int32_t t = 0; t < cases; t++) {
        nnom_dense_s8_args a;
        memset(&a, 0, sizeof a);
        /* a few inputs beyond 65536: the exact int64 sum over chunks; a band of 4-139 inputs to up to
         * 300 rows: the DSP kernel's units of eight rows (dense_units.h) entered at each of their 32
         * copies, its blocks of four rows below eight rows and for 8 u + 4 rows (dense_sp_blocks.h:
         * four to twenty rows more often), block B of a unit alone for the last 1-3 rows, batches
         * and the last unit or block overlapping; a band of 132-643 inputs (units of up to 160 groups, several passes, the
         * sums in what the input leaves of the widened copy) to 8-15 rows or up to 300, some of its
         * rows with shifts or sums outside the 32-bit requantisation */
        const int narrow = t >= DENSE_NARROW_FIRST && t < DENSE_NARROW_FIRST + DENSE_NARROW_CASES;
        const int units = t >= DENSE_UNITS_FIRST && t < DENSE_UNITS_FIRST + DENSE_UNITS_CASES;
        /* a band for the row pairs' kernel beyond one batch and one piece: inputs of 1281-3000 (up to
         * five pieces of 640), or of 560-640 (one piece, no room for sums after it) to 65-200 rows
         * (several batches of eight groups) */
        const int pieces = t >= DENSE_PIECES_FIRST && t < DENSE_PIECES_FIRST + DENSE_PIECES_CASES;
        const int long_in = pieces && chance(50);
        a.in_features = t < 3 ? range(65537, 70000)
                              : (narrow ? range(4, 139)
                                        : (units ? range(132, 643)
                                                 : (pieces ? (long_in ? range(1281, 3000) : range(560, 640))
                                                           : (chance(50) ? range(1, 64) : range(1, 1200)))));
        a.out_features = t < 3 ? range(1, 4)
                               : (narrow ? (chance(40) ? range(4, 20) : range(4, 300))
                                         : (units ? (chance(30) ? range(8, 15) : range(8, 300))
                                                  : (pieces && !long_in ? range(65, 200) : range(1, 40))));
        int8_t *x = t < 3 ? weights : input + range(0, 3); /* big cases read the weights as input too */
        int8_t *w = weights + (chance(50) ? MAX_W - a.in_features * a.out_features : range(0, 3));
        fill_s8(weights, MAX_W);
        if (t >= 3) fill_s8(x, a.in_features);
        a.weights = w;
        a.per_channel = chance(70);
        random_quant(a.out_features, a.in_features, chance(20));
        a.bias = chance(15) ? NULL : bias;
        a.multiplier = multiplier;
        a.shift = shift;
        a.in_zero_point = range(-128, 127);
        a.out_zero_point = range(-128, 127);
        a.act_lo = chance(50) ? -128 : range(-128, 0);
        a.act_hi = chance(50) ? 127 : range(a.act_lo, 127);
        if (t >= 3 && t < 3 + DENSE_EDGE_CASES) {
            /* the DSP kernel's folded bias: biases near the int32 limits and extreme values, so that
             * its wrapped accumulators leave (-2^30, 2^30) or wrap around; inputs at and beyond
             * its 32896-input limit for the fold */
            const int32_t edge = t - 3;
            if (edge < 4) {
                a.in_features = edge < 2 ? 32896 + edge : range(8, 1200);
                a.out_features = range(1, 8);
                x = weights + MAX_W - a.in_features;
                w = weights + range(0, 3);
            }
            const int8_t xv = chance(50) ? -128 : 127, wv = chance(50) ? -128 : 127;
            for (int32_t i = 0; i < a.in_features; i++) x[i] = chance(90) ? xv : (int8_t)next();
            for (int32_t i = 0; i < a.in_features * a.out_features; i++) w[i] = chance(90) ? wv : (int8_t)next();
            a.in_zero_point = xv < 0 ? 127 : -128;
            a.bias = bias;
            for (int32_t c = 0; c < a.out_features; c++) {
                bias[c] = chance(50) ? INT32_MAX - range(0, 1 << 24) : INT32_MIN + range(0, 1 << 24);
                if (chance(30)) bias[c] = range(-(1 << 29), 1 << 29);
                if (chance(40)) shift[c] = -range(1, 22);
            }
        }
        const int32_t shift_case = t - 3 - DENSE_EDGE_CASES;
        if (shift_case >= 0 && shift_case < DENSE_SHIFT_CASES) {
            a.per_channel = 0;
            shift[0] = dense_edge_shifts[shift_case / 2];
            if (shift_case % 2) { /* sums near 2^30 too: the row-by-row fallback within the fast path */
                a.bias = bias;
                for (int32_t c = 0; c < a.out_features; c++)
                    bias[c] = (chance(50) ? 1 : -1) * ((1 << 30) + range(-(1 << 16), 1 << 16));
            }
        }
        if (units && chance(40)) { /* rows outside the 32-bit form at any place in a unit of eight */
            a.per_channel = 1;
            a.bias = bias;
            for (int32_t c = 0; c < a.out_features; c++) {
                if (chance(10)) shift[c] = dense_edge_shifts[range(0, DENSE_SHIFT_CASES / 2 - 1)];
                if (chance(10)) bias[c] = (chance(50) ? 1 : -1) * ((1 << 30) + range(-(1 << 16), 1 << 16));
            }
        }
        const int32_t out_off = range(0, 3);
        memset(out_arm, 0x55, (size_t)a.out_features + 8);
        memset(out_portable, 0x55, (size_t)a.out_features + 8);
        nnom_dense_s8(&a, x, out_arm + out_off);
        portable_dense_s8(&a, x, out_portable + out_off);
        if (memcmp(out_arm, out_portable, (size_t)a.out_features + 8) != 0) {
            report("dense", t, out_arm + out_off, out_portable + out_off, a.out_features);
            bad++;
        }
        bad += check_dense_pairs(a, x, out_off, t, "dense in row pairs");
    }
    return bad;
}

/* matrix products: random M, N, K (a few of K near its limit with extreme values), B plain or transposed,
 * zero points, multipliers, shifts of both signs, fused clamps, unaligned operands */
int32_t check_matmul(int32_t cases)
{
    int32_t bad = 0;
    for (int32_t t = 0; t < cases; t++) {
        nnom_matmul_s8_args x;
        memset(&x, 0, sizeof x);
        const int big = t < 2;
        x.d.batch = big ? 1 : range(1, 3);
        x.d.m = big ? range(1, 3) : range(1, 12);
        x.d.transpose_b = chance(50);
        /* (a big plain B has one column: its transposed copy fills the scratch) */
        x.d.n = big ? (x.d.transpose_b ? range(1, 3) : 1) : range(1, 12);
        x.d.k = big ? NNOM_MATMUL_MAX_DEPTH - range(0, 3) : (chance(50) ? range(1, 9) : range(1, 70));
        const int32_t na = x.d.batch * x.d.m * x.d.k, nb = x.d.batch * x.d.k * x.d.n, no = x.d.batch * x.d.m * x.d.n;
        int8_t *a = weights + range(0, 3), *b = weights + MAX_W / 2 + range(0, 3);
        fill_s8(weights, MAX_W);
        if (big) {
            memset(a, -128, (size_t)na);
            memset(b, 127, (size_t)nb);
        }
        x.a = a;
        x.b = b;
        x.scratch = (int8_t *)scratch + range(0, 3);
        x.a_zero_point = big ? 127 : range(-128, 127);
        x.b_zero_point = big ? -128 : range(-128, 127);
        x.out_zero_point = range(-128, 127);
        x.multiplier = range(1 << 30, 0x7fffffff);
        x.shift = chance(10) ? range(0, 4) : range(-31, -1);
        x.act_lo = chance(50) ? -128 : range(-128, 0);
        x.act_hi = chance(50) ? 127 : range(x.act_lo, 127);
        const int32_t out_off = range(0, 3);
        memset(out_arm, 0x55, (size_t)no + 8);
        memset(out_portable, 0x55, (size_t)no + 8);
        x.out = out_arm + out_off;
        nnom_matmul_s8(&x);
        x.out = out_portable + out_off;
        portable_matmul_s8(&x);
        if (memcmp(out_arm, out_portable, (size_t)no + 8) != 0) {
            report("matmul", t, out_arm + out_off, out_portable + out_off, no);
            bad++;
        }
    }
    return bad;
}

/* transposed convolutions: random shapes, strides, crops (negative bottom/right), channel counts around 4 */
int32_t check_transpose_conv(int32_t cases)
{
    int32_t bad = 0;
    for (int32_t t = 0; t < cases; t++) {
        nnom_transpose_conv_args a;
        memset(&a, 0, sizeof a);
        const int one_d = chance(20);
        a.in_h = one_d ? 1 : range(1, 6);
        a.in_w = range(1, 7);
        a.in_c = chance(50) ? 4 * range(1, 6) : range(1, 23);
        a.out_c = range(1, 12);
        a.k_h = one_d ? 1 : range(1, 4);
        a.k_w = range(1, 4);
        a.stride_h = one_d ? 1 : range(1, 3);
        a.stride_w = range(1, 3);
        const int32_t fh = (a.in_h - 1) * a.stride_h + a.k_h, fw = (a.in_w - 1) * a.stride_w + a.k_w;
        a.crop_top = one_d ? 0 : range(0, (fh - 1) / 2);
        a.crop_left = range(0, (fw - 1) / 2);
        a.out_h = one_d ? 1 : fh - a.crop_top - range(-2, (fh - 1) / 2);
        a.out_w = fw - a.crop_left - range(-2, (fw - 1) / 2);
        const int32_t n_in = a.in_h * a.in_w * a.in_c, n_out = a.out_h * a.out_w * a.out_c;
        int8_t *x = input + range(0, 3);
        fill_s8(x, n_in);
        int8_t *w = weights + range(0, 3);
        fill_s8(w, a.out_c * a.k_h * a.k_w * a.in_c);
        random_quant(a.out_c, a.k_h * a.k_w * a.in_c, chance(20));
        a.weights = w;
        a.bias = chance(15) ? NULL : bias;
        a.multiplier = multiplier;
        a.shift = shift;
        a.in_zp = range(-128, 127);
        a.out_zp = range(-128, 127);
        a.act_min = chance(50) ? -128 : range(-128, 0);
        a.act_max = chance(50) ? 127 : range(a.act_min, 127);
        const int32_t out_off = range(0, 3);
        memset(out_arm, 0x55, (size_t)n_out + 8);
        memset(out_portable, 0x55, (size_t)n_out + 8);
        nnom_transpose_conv_s8(&a, x, out_arm + out_off);
        portable_transpose_conv_s8(&a, x, out_portable + out_off);
        if (memcmp(out_arm, out_portable, (size_t)n_out + 8) != 0) {
            report("transpose_conv", t, out_arm + out_off, out_portable + out_off, n_out);
            bad++;
        }
    }
    return bad;
}

int32_t check_max_pool(int32_t cases)
{
    static int8_t in_place_arm[MAX_IN + 8], in_place_portable[MAX_IN + 8];
    int32_t bad = 0;
    for (int32_t t = 0; t < cases; t++) {
        nnom_pool_args a;
        memset(&a, 0, sizeof a);
        const int one_d = chance(15);
        a.in_h = one_d ? 1 : range(1, 14);
        a.in_w = range(1, 14);
        a.channels = chance(50) ? 4 * range(1, 12) : range(1, 50);
        a.kernel_h = one_d ? 1 : range(1, 4);
        a.kernel_w = range(1, 4);
        a.stride_h = one_d ? 1 : range(1, 3);
        a.stride_w = range(1, 3);
        const int same = chance(40);
        axis(a.in_h, a.kernel_h, a.stride_h, 1, same, &a.out_h, &a.pad_top);
        axis(a.in_w, a.kernel_w, a.stride_w, 1, same, &a.out_w, &a.pad_left);
        const int32_t in_n = a.in_h * a.in_w * a.channels, out_n = a.out_h * a.out_w * a.channels;
        const int32_t off = range(0, 3);
        fill_s8(input + off, in_n);
        memset(out_arm, 0x55, (size_t)out_n + 8);
        memset(out_portable, 0x55, (size_t)out_n + 8);
        nnom_max_pool_s8(&a, input + off, out_arm + off);
        portable_max_pool_s8(&a, input + off, out_portable + off);
        int differs = memcmp(out_arm, out_portable, (size_t)out_n + 8) != 0;
        if (!differs && a.pad_top == 0 && a.pad_left == 0) { /* in place, as the planner may run it */
            memcpy(in_place_arm, input, (size_t)in_n + 8);
            memcpy(in_place_portable, input, (size_t)in_n + 8);
            nnom_max_pool_s8(&a, in_place_arm + off, in_place_arm + off);
            portable_max_pool_s8(&a, in_place_portable + off, in_place_portable + off);
            differs = memcmp(in_place_arm + off, out_portable + off, (size_t)out_n) != 0 ||
                      memcmp(in_place_portable + off, out_portable + off, (size_t)out_n) != 0;
        }
        if (differs) {
            report("max_pool", t, out_arm + off, out_portable + off, out_n);
            bad++;
        }
    }
    return bad;
}

/* add, subtract, multiply: sizes below and above the add's table threshold (256 elements), counts
 * not multiples of 4, a per-channel second input, in place, unaligned tensors, fused clamps; input
 * multipliers and shifts as TFLite derives them (|x'| < 2^28) and some larger ones (the general
 * 64-bit path), some small ones with an output step near one unit of x' (so that a table entry off
 * by one shows), output multipliers above, at and below 2^30, shifts in and beyond [-22, -1] */
int32_t check_elementwise(int32_t cases)
{
    static int8_t in2_buf[MAX_IN + 8];
    int32_t bad = 0;
    for (int32_t t = 0; t < cases; t++) {
        const int op = t % 3; /* 0 add, 1 subtract, 2 multiply */
        nnom_elementwise_s8_args a;
        memset(&a, 0, sizeof a);
        a.channels = chance(50) ? 4 * range(1, 16) : range(1, 70);
        a.rows = chance(30) ? range(1, 4) : range(1, MAX_IN / 2 / a.channels);
        a.broadcast = chance(30);
        const int32_t n = a.rows * a.channels, off1 = range(0, 3), off2 = range(0, 3), offo = range(0, 3);
        const int in_place = chance(30);
        fill_s8(input, n + 8);
        fill_s8(in2_buf, (a.broadcast ? a.channels : n) + 8);
        a.in1_zero_point = range(-128, 127);
        a.in2_zero_point = range(-128, 127);
        a.out_zero_point = range(-128, 127);
        a.act_lo = chance(50) ? -128 : range(-128, 0);
        a.act_hi = chance(50) ? 127 : range(a.act_lo, 127);
        int32_t params[NNOM_ADD_PARAM_COUNT];
        for (int k = 0; k < 3; k++) params[2 * k] = (int32_t)(0x40000000u + (next() & 0x3FFFFFFFu));
        params[1] = -range(0, 3);
        params[3] = -range(0, 3);
        if (chance(10)) params[1] = range(1, 5); /* tables beyond 2^30: the general path */
        params[5] = -range(op == 2 ? 1 : 10, 24);
        if (chance(10)) params[5] = range(-2, 1);
        if (chance(10)) params[4] = 0x40000000;
        if (chance(10)) params[4] = (int32_t)(next() & 0x3FFFFFFFu);
        if (op != 2 && chance(15)) {
            /* x' of a few units, an output step of about one: every table entry's exact value shows
             * (the Cortex-M tables' fill against the portable one) */
            params[0] = range(1, 1 << 13);
            params[2] = range(1, 1 << 13);
            params[1] = params[3] = 0;
            params[4] = (int32_t)(0x40000000u + (next() & 0x3FFFFFFFu));
            params[5] = -range(1, 2);
        }
        if (op != 2 && chance(40)) {
            /* one input linear (x' = (x - zp) q; TFLite's larger-scale input: m = 2^30, s = 0): the
             * one-table path of the Cortex-M kernel (kernels/arm/elementwise_s8.c, ew_lin_run) */
            const int j = chance(50) ? 0 : 2, sh = chance(70) ? 0 : range(0, 3);
            params[j] = chance(70) ? 0x40000000 : (range(1, 1 << 15) << (11 + sh));
            params[j + 1] = -sh;
            if (chance(50)) params[j == 0 ? 2 : 0] = params[j], params[j == 0 ? 3 : 1] = params[j + 1];
            if (chance(60)) a.act_lo = -128, a.act_hi = 127;
        }
        if (op == 2) {
            params[0] = params[4];
            params[1] = params[5];
        }
        a.params = params;
        a.in2 = in2_buf + off2;
        int8_t *outs[2] = {out_arm, out_portable};
        static int8_t copy[MAX_IN + 8];
        for (int k = 0; k < 2; k++) {
            memset(outs[k], 0x55, (size_t)n + 8);
            if (in_place) {
                memcpy(outs[k] + offo, input + off1, (size_t)n);
                a.in1 = outs[k] + offo;
            } else {
                memcpy(copy, input, (size_t)n + 8);
                a.in1 = copy + off1;
            }
            a.out = outs[k] + offo;
            if (k == 0) op == 0 ? nnom_add_s8(&a) : (op == 1 ? nnom_sub_s8(&a) : nnom_mul_s8(&a));
            else op == 0 ? portable_add_s8(&a) : (op == 1 ? portable_sub_s8(&a) : portable_mul_s8(&a));
        }
        if (memcmp(out_arm, out_portable, (size_t)n + 8) != 0) {
            report(op == 0 ? "add" : (op == 1 ? "sub" : "mul"), t, out_arm + offo, out_portable + offo, n);
            bad++;
        }
    }
    return bad;
}

/* average, sum and global average pools: both int8 forms, windows clipped by SAME padding, windows of
 * more cells than an int16 lane holds (global pools up to 900 cells), channel counts that are and are
 * not multiples of 4 and 8, in place */
int32_t check_avg_pool(int32_t cases)
{
    static int8_t in_place_arm[MAX_IN + 8], in_place_portable[MAX_IN + 8];
    int32_t bad = 0;
    for (int32_t t = 0; t < cases; t++) {
        nnom_pool_args a;
        memset(&a, 0, sizeof a);
        const int global = chance(40);
        a.in_h = range(1, global && chance(50) ? 30 : 14);
        a.in_w = range(1, global && chance(50) ? 30 : 14);
        a.channels = chance(50) ? 4 * range(1, 12) : range(1, 50);
        while (a.in_h * a.in_w * a.channels > MAX_IN) a.channels = a.channels / 2 + 1;
        if (global) {
            a.kernel_h = a.in_h;
            a.kernel_w = a.in_w;
            a.stride_h = a.stride_w = 1;
            a.out_h = a.out_w = 1;
        } else {
            a.kernel_h = range(1, 5);
            a.kernel_w = range(1, 5);
            a.stride_h = range(1, 3);
            a.stride_w = range(1, 3);
            const int same = chance(40);
            axis(a.in_h, a.kernel_h, a.stride_h, 1, same, &a.out_h, &a.pad_top);
            axis(a.in_w, a.kernel_w, a.stride_w, 1, same, &a.out_w, &a.pad_left);
        }
        a.sum = !global && chance(20);
        a.rescale = a.sum || chance(70);
        a.in_zp = range(-128, 127);
        a.out_zp = range(-128, 127);
        a.multiplier = (int32_t)(0x40000000u + (next() & 0x3FFFFFFFu));
        a.shift = range(-8, 4);
        const int64_t cells = (int64_t)a.kernel_h * a.kernel_w;
        while (!nnom_avg_pool_shift_ok(cells, a.shift)) a.shift--;
        const int32_t in_n = a.in_h * a.in_w * a.channels, out_n = a.out_h * a.out_w * a.channels;
        const int32_t off = range(0, 3);
        fill_s8(input + off, in_n);
        if (chance(20)) memset(input + off, chance(50) ? -128 : 127, (size_t)in_n); /* extreme sums */
        memset(out_arm, 0x55, (size_t)out_n + 8);
        memset(out_portable, 0x55, (size_t)out_n + 8);
        if (global) {
            nnom_global_avg_pool_s8(&a, input + off, out_arm + off);
            portable_global_avg_pool_s8(&a, input + off, out_portable + off);
        } else {
            nnom_avg_pool_s8(&a, input + off, out_arm + off);
            portable_avg_pool_s8(&a, input + off, out_portable + off);
        }
        int differs = memcmp(out_arm, out_portable, (size_t)out_n + 8) != 0;
        if (!differs && !global && a.pad_top == 0 && a.pad_left == 0) { /* in place, as the planner may run it */
            memcpy(in_place_arm, input, (size_t)in_n + 8);
            memcpy(in_place_portable, input, (size_t)in_n + 8);
            nnom_avg_pool_s8(&a, in_place_arm + off, in_place_arm + off);
            portable_avg_pool_s8(&a, in_place_portable + off, in_place_portable + off);
            differs = memcmp(in_place_arm + off, out_portable + off, (size_t)out_n) != 0 ||
                      memcmp(in_place_portable + off, out_portable + off, (size_t)out_n) != 0;
        }
        if (differs) {
            report(global ? "global_avg_pool" : "avg_pool", t, out_arm + off, out_portable + off, out_n);
            bad++;
        }
    }
    return bad;
}

/*
 * Firmware test, run under QEMU (mps2-an386, Cortex-M4): the Cortex-M DSP
 * kernels of Sources/nnom/kernels/arm/ give the same bytes as the portable C
 * kernels of Sources/nnom/kernels/, on random shapes and values (conv,
 * depthwise conv, dense, transposed conv, max pool, in place too; the int8 recurrent kernel; the matrix
 * product of two activations, B plain and transposed, odd M, N and K, K up to the 32768 limit).
 *
 * The runtime linked in has the DSP kernels (nnom_conv2d_s8, ...); the
 * portable ones are compiled in beside them as portable_* (portable_*.c).
 * Shapes cover odd sizes, 1D, strides, dilations, both paddings, channel
 * counts that are and are not multiples of 4, 1-3 channel images up to 30
 * pixels wide, the first layers of MobileNet, ResNet-8 and DS-CNN (3x3 on RGB,
 * 10x4 on one channel), patches too long for four pixels per pass, patches of 128 and
 * more (the DSP conv's two-pixel pass on pairs of channels), all-zero filters, fused clamps,
 * biases large enough to need the exact 64-bit requantisation, positive
 * shifts, shifts beyond the DSP fast path's range, multipliers of exactly
 * 2^30, and unaligned tensors. The fast requantisations (nnom_arm_requant,
 * nnom_arm_requant_zp) are also checked on their own against the portable
 * one, on random accumulators, multipliers and shifts; nnom_arm_requant also
 * against nnom_requantize() (the recurrent kernel's form) at the edges of its
 * domain. Recurrent cases: SimpleRNN, GRU (reset after and before), LSTM;
 * unit and input counts odd, not multiples of 4, below 4, above the 256 units
 * and 65536 inputs whose int32 sums are exact (then with extreme values, so
 * that the int64 sums saturate); every flag; random multipliers, shifts
 * (positive ones too; or none, small biases: the gates' fast requantisation),
 * tables, biases (large ones too), initial states and
 * zero points; a scratch 2 bytes off its 4-byte alignment. Outputs and final
 * states are compared, and the bytes after the planned scratch checked.
 *
 * The requantisation and recurrent cases are in equivalence_rnn.c; dense, matrix product, transposed
 * conv, element-wise and pool cases in equivalence_dense_pool.c; the kernels under SysTick interrupts in
 * equivalence_interrupts.c.
 *
 * Prints one line per kernel ("conv: 400 cases, 0 mismatches") and the first
 * mismatches in detail; exits with status 1 if any case differs.
 */
#include <stdint.h>
#include <string.h>

#include "equivalence.h"
#include "kernels/arm/arm_dsp.h"
#include "kernels/requant.h"
#include "nnom/layers.h"
#include "semihosting.h"

#if !NNOM_USE_ARM_DSP
#error "kernel_equivalence.c compares the DSP kernels with the portable ones: build it for a core with DSP"
#endif

int8_t input[MAX_IN + 8];
int8_t weights[MAX_W + 8];
int8_t out_arm[MAX_OUT + 8], out_portable[MAX_OUT + 8];
int32_t bias[MAX_C * 4], multiplier[MAX_C * 4], shift[MAX_C * 4];
uint32_t scratch[MAX_SCRATCH / 4];

uint32_t rng = 0x12345678u; /* (the checks on their own sequences save and restore it) */
uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}
/* Uniform in [lo, hi]. */
int32_t range(int32_t lo, int32_t hi) { return lo + (int32_t)(next() % (uint32_t)(hi - lo + 1)); }
int chance(int percent) { return (int32_t)(next() % 100u) < percent; }

int failures_shown; /* mismatches reported in detail so far (the first 8) */

void report(const char *kernel, int32_t case_no, const int8_t *a, const int8_t *b, int32_t n)
{
    if (failures_shown++ >= 8) return;
    int32_t at = 0;
    while (at < n && a[at] == b[at]) at++;
    fw_print("MISMATCH ");
    fw_print(kernel);
    fw_print(" case ");
    fw_print_i32(case_no);
    fw_print(": first at ");
    fw_print_i32(at);
    fw_print(" of ");
    fw_print_i32(n);
    fw_print(": dsp ");
    fw_print_i32(a[at]);
    fw_print(", portable ");
    fw_print_i32(b[at]);
    fw_print("\n");
}

void describe(const nnom_conv_args *a)
{
    fw_print("  in ");
    fw_print_i32(a->in_h);
    fw_print("x");
    fw_print_i32(a->in_w);
    fw_print("x");
    fw_print_i32(a->in_c);
    fw_print(" out ");
    fw_print_i32(a->out_h);
    fw_print("x");
    fw_print_i32(a->out_w);
    fw_print("x");
    fw_print_i32(a->out_c);
    fw_print(" k ");
    fw_print_i32(a->k_h);
    fw_print("x");
    fw_print_i32(a->k_w);
    fw_print(" s ");
    fw_print_i32(a->stride_h);
    fw_print(",");
    fw_print_i32(a->stride_w);
    fw_print(" d ");
    fw_print_i32(a->dil_h);
    fw_print(",");
    fw_print_i32(a->dil_w);
    fw_print(" pad ");
    fw_print_i32(a->pad_top);
    fw_print(",");
    fw_print_i32(a->pad_left);
    fw_print("\n");
}

void axis(int32_t in, int32_t k, int32_t s, int32_t d, int same, int32_t *out, int32_t *pad)
{
    const int32_t span = (k - 1) * d + 1;
    if (!same && in >= span) {
        *out = (in - span) / s + 1;
        *pad = 0;
        return;
    }
    *out = (in + s - 1) / s;
    const int32_t total = (*out - 1) * s + span - in;
    *pad = total > 0 ? total / 2 : 0;
}

void fill_s8(int8_t *p, int32_t n)
{
    for (int32_t i = 0; i < n; i++) p[i] = (int8_t)next();
}

/* Random requantisation for out_c channels of a patch of k elements. */
void random_quant(int32_t out_c, int32_t k, int big_bias)
{
    int32_t bits = 0; /* ~log2 of the typical |dot| */
    while ((1 << bits) < k * 64) bits++;
    for (int32_t c = 0; c < out_c; c++) {
        multiplier[c] = (int32_t)(0x40000000u + (next() & 0x3FFFFFFFu));
        if (chance(3)) multiplier[c] = 0x40000000; /* 2^30: not the DSP conv's fast requantisation */
        if (chance(5)) multiplier[c] = (int32_t)(next() & 0x3FFFFFFFu); /* below 2^30 */
        if (chance(3)) multiplier[c] = 0;                                /* a dead channel */
        shift[c] = chance(5) ? range(0, 2) : -range(bits > 8 ? bits - 8 : 0, bits + 1);
        if (chance(3)) shift[c] = -range(20, 31); /* around the fast requantisation's limit e <= 22 */
        if (shift[c] < -31) shift[c] = -31;
        bias[c] = big_bias && chance(30) ? (int32_t)next() : range(-(1 << 14), 1 << 14);
    }
}


static int32_t in_place_runs; /* depthwise cases also run in place in one call */
static int32_t conv_in_place_runs; /* pointwise cases, too */
static int32_t conv_grown_runs; /* of those, with more output channels than input */

/* A 1x1 window at stride 1 without padding: layers/conv.c runs it in place in one call, the
 * output over the input (more output channels than input: the input moved up to end where the
 * output ends). */
static int pointwise_in_place(const nnom_conv_args *a)
{
    return a->k_h == 1 && a->k_w == 1 && a->stride_h == 1 && a->stride_w == 1 && a->pad_top == 0 &&
           a->pad_left == 0 && a->out_h == a->in_h && a->out_w == a->in_w;
}

static int32_t conv_strided_runs; /* 1x1 cases at a stride above 1, the output over the input */

/* A 1x1 window at a stride above 1 without padding whose output pixel q ends at or before the
 * input of pixel q + 1 when output and input start at the same address (as layers/conv.c's
 * windowed in-place run calls a band straight to its place: each pixel's inputs read before its
 * output is written). */
static int strided_in_place(const nnom_conv_args *a)
{
    if (a->k_h != 1 || a->k_w != 1 || (a->stride_h == 1 && a->stride_w == 1) || a->pad_top || a->pad_left) return 0;
    for (int32_t q = 1; q < a->out_h * a->out_w; q++) {
        const int64_t at = ((int64_t)(q / a->out_w) * a->stride_h * a->in_w + (int64_t)(q % a->out_w) * a->stride_w) * a->in_c;
        if ((int64_t)q * a->out_c > at) return 0;
    }
    return 1;
}

static int32_t check_conv(int32_t cases, int depthwise)
{
    int32_t bad = 0;
    for (int32_t t = 0; t < cases; t++) {
        nnom_conv_args a;
        random_conv(&a, depthwise);
        while (only_rec && !three_rec) random_conv(&a, depthwise);
        const int32_t in_n = a.in_h * a.in_w * a.in_c, out_n = a.out_h * a.out_w * a.out_c;
        const int32_t w_n = depthwise ? a.k_h * a.k_w * a.out_c : a.out_c * a.k_h * a.k_w * a.in_c;
        /* tensors at any alignment; the weights may end at the end of their array */
        const int32_t in_off = range(0, 3), out_off = range(0, 3);
        const int32_t w_off = chance(50) ? MAX_W - w_n : range(0, 3);
        int8_t *x = input + in_off, *w = weights + w_off;
        fill_s8(x, in_n);
        fill_s8(w, w_n);
        if (rec_dead) {
            /* 30-95 % of the filters all zero, with the multiplier nnom's quantiser gives them (2^30,
             * shift 1) or their own; or all but two or three (the first and last far apart) */
            const int32_t k = a.in_c, dead = range(30, 95);
            const int32_t live0 = range(0, 10), live1 = range(a.out_c - 20, a.out_c - 1), live2 = chance(50) ? live0 : range(0, a.out_c - 1);
            for (int32_t c = 0; c < a.out_c; c++)
                if (rec_dead == 2 ? c != live0 && c != live1 && c != live2 : chance(dead)) {
                    memset(w + (ptrdiff_t)c * k, 0, (size_t)k);
                    if (rec_dead == 2 || chance(80)) {
                        multiplier[c] = 1 << 30;
                        shift[c] = 1;
                    }
                }
        } else if (dead_heavy) {
            /* 40-80 % of the filters all zero, most with the multiplier nnom's quantiser gives them
             * (2^30, shift 1), the others keeping theirs */
            const int32_t k = a.in_c, dead = range(40, 80);
            for (int32_t c = 0; c < a.out_c; c++)
                if (chance(dead)) {
                    memset(w + (ptrdiff_t)c * k, 0, (size_t)k);
                    if (chance(80)) {
                        multiplier[c] = 1 << 30;
                        shift[c] = 1;
                    }
                }
        } else if (!depthwise && chance(20)) {
            /* some all-zero filters (a dead channel that kept its multiplier, any shift) */
            const int32_t k = a.k_h * a.k_w * a.in_c;
            for (int32_t c = 0; c < a.out_c; c++)
                if (chance(30)) memset(w + (ptrdiff_t)c * k, 0, (size_t)k);
        }
        if (first_zero) {
            const int32_t k = a.k_h * a.k_w * a.in_c;
            for (int32_t c = 0; c < a.out_c; c++)
                if (chance(40)) {
                    memset(w + (ptrdiff_t)c * k, 0, (size_t)k);
                    if (chance(70)) {
                        multiplier[c] = 1 << 30;
                        shift[c] = 1;
                    }
                }
        }
        a.weights = w;
        memset(out_arm, 0x55, sizeof out_arm);
        memset(out_portable, 0x55, sizeof out_portable);
        if (depthwise) {
            nnom_depthwise_conv2d_s8(&a, x, out_arm + out_off);
            portable_depthwise_conv2d_s8(&a, x, out_portable + out_off);
        } else {
            /* any scratch from the least both kernels need to all they can use: the DSP
             * kernel's chunked path below its four columns, its eight-pixel passes above */
            const uint32_t least = nnom_conv2d_s8_scratch_bytes(&a), fast = nnom_conv2d_s8_scratch_room_bytes(&a);
            uint32_t s1 = chance(33) ? least : (chance(50) ? fast : least + (uint32_t)range(0, (int32_t)(fast - least)) / 4 * 4);
            if (chance(10)) s1 = 1024; /* more than a plan gives (conv_short.h's last block in the scratch) */
            const uint32_t s2 = chance(50) ? least : fast;
            if (s1 > sizeof scratch || s2 > sizeof scratch) {
                fw_print("error: scratch too small for a test case\n");
                return cases;
            }
            memset(scratch, 0xA5, s1);
            nnom_conv2d_s8(&a, x, out_arm + out_off, scratch, s1);
            memset(scratch, 0x5A, s2);
            portable_conv2d_s8(&a, x, out_portable + out_off, scratch, s2);
        }
        /* the bytes around the output must be untouched as well */
        int differs = memcmp(out_arm, out_portable, (size_t)out_n + 8) != 0;
        if (!differs && depthwise && nnom_depthwise_conv2d_s8_in_place(&a)) {
            /* in one call, the output over the input, as the in-place layer runs it then */
            static int8_t in_place[MAX_IN + 8];
            in_place_runs++;
            memcpy(in_place + in_off, x, (size_t)in_n);
            nnom_depthwise_conv2d_s8(&a, in_place + in_off, in_place + in_off);
            differs = memcmp(in_place + in_off, out_portable + out_off, (size_t)out_n) != 0;
        }
        if (!differs && !depthwise && pointwise_in_place(&a)) {
            /* both kernels, the output over the input, any scratch as above */
            static int8_t in_place_arm[MAX_IN + 8], in_place_portable[MAX_IN + 8];
            const uint32_t least = nnom_conv2d_s8_scratch_bytes(&a), room = nnom_conv2d_s8_scratch_room_bytes(&a);
            const uint32_t s = chance(50) ? least : room;
            const int32_t up = out_n > in_n ? out_n - in_n : 0; /* (out_n <= MAX_OUT = MAX_IN) */
            conv_in_place_runs++;
            conv_grown_runs += up > 0;
            memcpy(in_place_arm + in_off + up, x, (size_t)in_n);
            memcpy(in_place_portable + in_off + up, x, (size_t)in_n);
            nnom_conv2d_s8(&a, in_place_arm + in_off + up, in_place_arm + in_off, scratch, s);
            portable_conv2d_s8(&a, in_place_portable + in_off + up, in_place_portable + in_off, scratch, s);
            differs = memcmp(in_place_arm + in_off, out_portable + out_off, (size_t)out_n) != 0 ||
                      memcmp(in_place_portable + in_off, out_portable + out_off, (size_t)out_n) != 0;
        }
        if (!differs && !depthwise && strided_in_place(&a)) {
            /* the DSP kernel, the output over the input (both from the same address), any scratch */
            static int8_t strided_arm[MAX_IN + 8];
            const uint32_t least = nnom_conv2d_s8_scratch_bytes(&a), room = nnom_conv2d_s8_scratch_room_bytes(&a);
            conv_strided_runs++;
            memcpy(strided_arm + in_off, x, (size_t)in_n);
            nnom_conv2d_s8(&a, strided_arm + in_off, strided_arm + in_off, scratch, chance(50) ? least : room);
            differs = memcmp(strided_arm + in_off, out_portable + out_off, (size_t)out_n) != 0;
        }
        if (differs) {
            report(depthwise ? "depthwise" : "conv", t, out_arm + out_off, out_portable + out_off, out_n);
            if (failures_shown <= 8) describe(&a);
            bad++;
        }
    }
    return bad;
}

void summary(const char *kernel, int32_t cases, int32_t bad)
{
    fw_print(kernel);
    fw_print(": ");
    fw_print_i32(cases);
    fw_print(" cases, ");
    fw_print_i32(bad);
    fw_print(" mismatches\n");
}

int main(void)
{
    enum { CONV_CASES = 800, DEPTHWISE_CASES = 1000, DENSE_CASES = 340, POOL_CASES = 400, REQUANT_CASES = 300000,
           RNN_CASES = 500, TRANSPOSE_CASES = 300, MATMUL_CASES = 400, ELEMENTWISE_CASES = 600,
           AVG_POOL_CASES = 500, DENSE_INTERRUPTED_CASES = 60,
           DSP_INTERRUPTED_CASES = 36, CONV_REC_CASES = 150, CONV_PAIRS_CASES = 400 };
    const int32_t conv = check_conv(CONV_CASES, 0);
    summary("conv", CONV_CASES, conv);
    fw_print("pointwise conv in place in one call: ");
    fw_print_i32(conv_in_place_runs);
    fw_print(" of those cases (");
    fw_print_i32(conv_grown_runs);
    fw_print(" growing)\n");
    fw_print("1x1 at a stride above 1 in place in one call: ");
    fw_print_i32(conv_strided_runs);
    fw_print(" of those cases\n");
    only_rec = 1;
    conv_in_place_runs = conv_grown_runs = 0;
    const int32_t conv_rec = check_conv(CONV_REC_CASES, 0);
    only_rec = 0;
    summary("conv (pointwise layers made for the pairs' records)", CONV_REC_CASES, conv_rec);
    fw_print("of those in place in one call: ");
    fw_print_i32(conv_in_place_runs);
    fw_print(" (");
    fw_print_i32(conv_grown_runs);
    fw_print(" growing)\n");
    const int32_t conv_pairs = check_conv_pairs(CONV_PAIRS_CASES);
    summary("conv (weights in channel pairs)", CONV_PAIRS_CASES, conv_pairs);
    const int32_t depthwise = check_conv(DEPTHWISE_CASES, 1);
    summary("depthwise", DEPTHWISE_CASES, depthwise);
    fw_print("depthwise in place in one call: ");
    fw_print_i32(in_place_runs);
    fw_print(" of those cases\n");
    const int32_t uniform = check_dw_uniform();
    summary("depthwise 1x1 of one map for every channel", UNIFORM_CASES, uniform);
    const int32_t lines3 = check_dw_lines3();
    summary("depthwise lines of three (3 x 3 planes; stride 2 from 5-7 wide)", 2 * LINES3_MAX_C * LINES3_SEEDS, lines3);
    const int32_t dense = check_dense(DENSE_CASES);
    summary("dense", DENSE_CASES, dense);
    const int32_t dense_interrupted = check_dense_interrupted(DENSE_INTERRUPTED_CASES);
    summary("dense (interrupted)", DENSE_INTERRUPTED_CASES, dense_interrupted);
    const int32_t dsp_interrupted = check_dsp_interrupted(DSP_INTERRUPTED_CASES);
    summary("conv/depthwise/add (interrupted)", DSP_INTERRUPTED_CASES, dsp_interrupted);
    const int32_t matmul = check_matmul(MATMUL_CASES);
    summary("matmul", MATMUL_CASES, matmul);
    const int32_t transpose = check_transpose_conv(TRANSPOSE_CASES);
    summary("transpose_conv", TRANSPOSE_CASES, transpose);
    const int32_t elementwise = check_elementwise(ELEMENTWISE_CASES);
    summary("add/sub/mul", ELEMENTWISE_CASES, elementwise);
    const int32_t pool = check_max_pool(POOL_CASES);
    summary("max_pool", POOL_CASES, pool);
    const int32_t avg_pool = check_avg_pool(AVG_POOL_CASES);
    summary("avg_pool", AVG_POOL_CASES, avg_pool);
    const int32_t requant = check_requant(REQUANT_CASES);
    summary("requant", REQUANT_CASES, requant);
    const int32_t rnn = check_rnn(RNN_CASES);
    summary("rnn", RNN_CASES, rnn);
    const int32_t requant_rnn = check_requant_rnn(REQUANT_CASES);
    summary("requant (rnn)", REQUANT_CASES, requant_rnn);
    return conv || conv_rec || conv_pairs || depthwise || uniform || lines3 || dense || dense_interrupted || dsp_interrupted || matmul || transpose || elementwise || pool || avg_pool || requant || rnn || requant_rnn;
}

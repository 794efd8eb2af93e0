/*
 * Part of the kernel equivalence firmware test (see kernel_equivalence.c): the fast requantisations
 * (nnom_arm_requant, nnom_arm_requant_zp) against the portable one on random accumulators,
 * multipliers and shifts, nnom_arm_requant also against nnom_requantize() at the edges of its domain;
 * and the int8 recurrent kernel (SimpleRNN, GRU, LSTM) against the portable one.
 */
#include <stdint.h>
#include <string.h>

#include "equivalence.h"
#include "kernels/arm/arm_dsp.h"
#include "kernels/requant.h"
#include "nnom/layers.h"
#include "semihosting.h"

/* A random requantisation input in the fast forms' domain [-2^30, 2^30), edges included. */
static int32_t random_acc(void)
{
    const int32_t bits = range(0, 30);
    int32_t acc = (int32_t)(next() & ((1u << bits) - 1u));
    if (chance(50)) acc = -acc;
    /* the ends of the fast requantisations' domain, |acc| < 2^30 (at -2^30, with the multiplier -2^31 and a
     * shift of -31, nnom_arm_requant()'s rounding sum passes 2^31) */
    if (chance(1)) acc = chance(50) ? -(1 << 30) + 1 : (1 << 30) - 1;
    return acc;
}

static void report_requant(const char *what, int32_t acc, int32_t m, int32_t sh)
{
    if (failures_shown++ >= 8) return;
    fw_print("MISMATCH ");
    fw_print(what);
    fw_print(" acc ");
    fw_print_i32(acc);
    fw_print(" m ");
    fw_print_i32(m);
    fw_print(" shift ");
    fw_print_i32(sh);
    fw_print("\n");
}

/* nnom_arm_requant against nnom_conv_quant_out on its domain: |acc| < 2^30, shift <= -1;
 * nnom_arm_requant_zp (the DSP conv's form, output zero point folded in) on its own:
 * also multiplier > 2^30 and shift >= -22. */
int32_t check_requant(int32_t cases)
{
    int32_t bad = 0;
    for (int32_t t = 0; t < cases; t++) {
        const int32_t acc = random_acc();
        const int32_t m = chance(2) ? (chance(50) ? INT32_MIN : INT32_MAX)
                                    : (chance(50) ? (int32_t)(0x40000000u + (next() & 0x3FFFFFFFu)) : (int32_t)next());
        const int32_t sh = -range(1, 31), e = -sh;
        const nnom_conv_quant q = nnom_conv_quant_init(0, m, sh);
        const int64_t want = nnom_conv_quant_apply(q, acc);
        const int32_t got = nnom_arm_requant(acc, m, e, 1 << (e - 1));
        int zp_ok = 1;
        if (m > (1 << 30) && e <= 22) {
            const int32_t zp = range(-128, 127);
            zp_ok = want + zp == nnom_arm_requant_zp(acc, m, nnom_arm_requant_zp_const(e, zp), e);
        }
        if (want != got || !zp_ok) {
            report_requant("requant", acc, m, sh);
            bad++;
        }
    }
    return bad;
}

/* One recurrent case: random everything (see the top of the file); t < 8: the long cases. */
static void random_rnn(nnom_rnn_s8_args *a, int32_t t, int *extreme)
{
    memset(a, 0, sizeof *a);
    static const int32_t cells[3] = {NNOM_RNN_CELL_SIMPLE, NNOM_RNN_CELL_GRU, NNOM_RNN_CELL_LSTM};
    a->cell = cells[range(0, 2)];
    *extreme = 0;
    if (t < 2) { /* many units: the recurrent sums beyond int32 */
        a->cell = NNOM_RNN_CELL_SIMPLE;
        a->units = range(513, 530);
        a->in_features = range(1, 5);
        a->steps = range(1, 2);
        *extreme = 1;
    } else if (t < 4) { /* many inputs: the input sums beyond int32 */
        a->cell = t == 2 ? NNOM_RNN_CELL_SIMPLE : NNOM_RNN_CELL_GRU;
        a->units = t == 2 ? 2 : 1;
        a->in_features = range(66000, 70000);
        a->steps = range(1, 2);
        *extreme = 1;
    } else if (t < 8) { /* more than 256 units, plain values */
        a->units = range(257, 264);
        a->cell = a->units > 260 ? NNOM_RNN_CELL_GRU : NNOM_RNN_CELL_LSTM;
        a->in_features = range(1, 9);
        a->steps = range(1, 2);
    } else {
        a->units = chance(30) ? 4 * range(1, 10) : range(1, 40);
        a->in_features = chance(30) ? 4 * range(1, 10) : range(1, 40);
        a->steps = range(1, 6);
        *extreme = chance(10);
    }
    a->flags = (chance(50) ? NNOM_RNN_RETURN_SEQUENCES : 0) | (chance(30) ? NNOM_RNN_GO_BACKWARDS : 0) |
               (chance(30) ? NNOM_RNN_INPUT_ORDER : 0) |
               (a->cell == NNOM_RNN_CELL_GRU && chance(50) ? NNOM_RNN_RESET_AFTER : 0);
    a->in_zero_point = *extreme && chance(70) ? -128 : range(-128, 127);
    a->out_zero_point = range(-128, 127);
}

/* Layers whose every shift is negative and biases small: the DSP kernel's fast requantisation of the gates. */
static int plain_layer;

/* A random (multiplier, shift) pair into m, s: mostly shifts from -hi to -lo, some positive (unless
 * plain_layer), some beyond -24. */
static void random_pair(int32_t *m, int32_t *s, int32_t lo, int32_t hi)
{
    *m = chance(5) ? (chance(50) ? 0 : 0x40000000) : (int32_t)(0x40000000u + (next() & 0x3FFFFFFFu));
    if (chance(5)) *m = (int32_t)(next() & 0x7FFFFFFFu);
    *s = chance(8) && !plain_layer ? range(0, 3) : -range(lo, hi);
    if (chance(4)) *s = -range(24, 31);
}

/* A random state value; extreme: mostly @p extreme itself. */
static int16_t random_s16(int16_t extreme)
{
    return extreme && chance(80) ? extreme : (int16_t)next();
}

int32_t check_rnn(int32_t cases)
{
    enum { MAX_ROWS = 4 * 264 + 600, MAX_UNITS = 600, MAX_STEPS_X_UNITS = 6 * 600 };
    static int32_t r_bias[2 * MAX_ROWS], r_requant[4 * MAX_ROWS], r_consts[NNOM_RNN_CONSTS];
    static int16_t r_tables[3 * 513], st_arm[2 * MAX_UNITS], st_portable[2 * MAX_UNITS], st_init[2 * MAX_UNITS];
    static int8_t r_out_arm[MAX_STEPS_X_UNITS + 8], r_out_portable[MAX_STEPS_X_UNITS + 8];
    int32_t bad = 0;
    for (int32_t t = 0; t < cases; t++) {
        nnom_rnn_s8_args a;
        int extreme;
        random_rnn(&a, t, &extreme);
        const int32_t rows = a.cell * a.units, n_in = a.in_features;
        const int32_t w_n = rows * n_in, u_n = rows * a.units, x_n = a.steps * n_in;
        /* weights (kernel, then the recurrent kernel) and inputs share the weights array when large */
        int8_t *w = weights + range(0, 3);
        if (extreme) {
            const int8_t wv = chance(50) ? -128 : 127;
            for (int32_t i = 0; i < w_n + u_n; i++) w[i] = t < 4 || chance(90) ? wv : (int8_t)next();
        } else {
            fill_s8(w, w_n + u_n);
        }
        int8_t *x = x_n + 8 <= MAX_IN ? input + range(0, 3) : w; /* long inputs: the weights read as inputs */
        if (x != w) {
            for (int32_t i = 0; i < x_n; i++) x[i] = extreme && chance(90) ? 127 : (int8_t)next();
        } else if (extreme) { /* (x - zp) w = +-255 * 128 mostly */
            a.in_zero_point = w[0] == -128 ? 127 : -128;
        }
        a.kernel = w;
        a.recurrent = w + w_n;
        plain_layer = !extreme && chance(50);
        for (int32_t r = 0; r < rows; r++) { /* pre-activations of all sizes, ~2^14 often */
            random_pair(&r_requant[r], &r_requant[rows + r], 1, 10);
            random_pair(&r_requant[2 * rows + r], &r_requant[3 * rows + r], 5, 18);
        }
        const int big_bias = extreme || (!plain_layer && chance(20));
        for (int32_t r = 0; r < 2 * rows; r++)
            r_bias[r] = big_bias && chance(40) ? (int32_t)next() : range(-(1 << 14), 1 << 14);
        a.bias = chance(15) ? NULL : r_bias;
        a.requant = r_requant;
        for (int32_t i = 0; i < 3 * 513; i++) r_tables[i] = chance(5) ? (chance(50) ? -32768 : 32767) : (int16_t)next();
        a.tables = r_tables;
        memset(r_consts, 0, sizeof r_consts);
        random_pair(&r_consts[NNOM_RNN_OUT_MULT], &r_consts[NNOM_RNN_OUT_SHIFT], 4, 10);
        random_pair(&r_consts[NNOM_RNN_MIX_MULT], &r_consts[NNOM_RNN_MIX_SHIFT], 12, 18);
        random_pair(&r_consts[NNOM_RNN_HID_MULT], &r_consts[NNOM_RNN_HID_SHIFT], 12, 18);
        a.consts = r_consts;
        const int16_t sv = extreme ? (chance(50) ? -32768 : 32767) : 0;
        for (int32_t i = 0; i < 2 * a.units; i++)
            st_init[i] = t < 4 ? sv : (chance(30) && !extreme ? 0 : random_s16(sv));
        memcpy(st_arm, st_init, sizeof st_init);
        memcpy(st_portable, st_init, sizeof st_init);
        const uint32_t scratch_n = nnom_rnn_s8_scratch_bytes(a.cell, a.units);
        const int32_t off = chance(50) ? 1 : 0; /* int16 offset: a scratch 2 bytes off 4-byte alignment */
        if (scratch_n + 4 > sizeof scratch || portable_rnn_s8_scratch_bytes(a.cell, a.units) != scratch_n) {
            fw_print("error: scratch too small for a test case, or planned differently\n");
            return cases;
        }
        const int32_t out_n = (a.flags & NNOM_RNN_RETURN_SEQUENCES) ? a.steps * a.units : a.units;
        const int32_t out_off = range(0, 3);
        memset(r_out_arm, 0x55, sizeof r_out_arm);
        memset(r_out_portable, 0x55, sizeof r_out_portable);
        memset(scratch, 0xA5, scratch_n + 4);
        nnom_rnn_s8(&a, x, r_out_arm + out_off, st_arm, (int16_t *)scratch + off);
        int scratch_overrun = 0; /* the DSP kernel's scratch is the planned one: the next bytes are untouched */
        for (uint32_t i = scratch_n + 2u * (uint32_t)off; i < scratch_n + 4; i++)
            scratch_overrun |= ((const uint8_t *)scratch)[i] != 0xA5;
        memset(scratch, 0x5A, scratch_n + 4);
        portable_rnn_s8(&a, x, r_out_portable + out_off, st_portable, (int16_t *)scratch);
        const int state_differs = memcmp(st_arm, st_portable, sizeof st_arm) != 0;
        if (scratch_overrun && failures_shown++ < 8) fw_print("MISMATCH rnn: the DSP kernel wrote past its scratch\n");
        if (memcmp(r_out_arm, r_out_portable, (size_t)out_n + 8) != 0 || state_differs || scratch_overrun) {
            if (state_differs) {
                int32_t at = 0;
                while (st_arm[at] == st_portable[at]) at++;
                if (failures_shown++ < 8) {
                    fw_print("MISMATCH rnn state case ");
                    fw_print_i32(t);
                    fw_print(": first at ");
                    fw_print_i32(at);
                    fw_print(": dsp ");
                    fw_print_i32(st_arm[at]);
                    fw_print(", portable ");
                    fw_print_i32(st_portable[at]);
                    fw_print("\n");
                }
            } else {
                report("rnn", t, r_out_arm + out_off, r_out_portable + out_off, out_n);
            }
            if (failures_shown <= 8) {
                fw_print("  cell ");
                fw_print_i32(a.cell);
                fw_print(" units ");
                fw_print_i32(a.units);
                fw_print(" in ");
                fw_print_i32(a.in_features);
                fw_print(" steps ");
                fw_print_i32(a.steps);
                fw_print(" flags ");
                fw_print_i32(a.flags);
                fw_print("\n");
            }
            bad++;
        }
    }
    return bad;
}

/* nnom_arm_requant against nnom_requantize (the recurrent kernel's use): acc in [-2^30, 2^30),
 * multiplier in [0, 2^31), shift <= -1. */
int32_t check_requant_rnn(int32_t cases)
{
    int32_t bad = 0;
    for (int32_t t = 0; t < cases; t++) {
        const int32_t acc = random_acc();
        const int32_t m = chance(2) ? (chance(50) ? 0 : INT32_MAX) : (int32_t)(next() & 0x7FFFFFFFu);
        const int32_t sh = -range(1, 31), e = -sh;
        if (nnom_arm_requant(acc, m, e, 1 << (e - 1)) != nnom_requantize(acc, m, sh)) {
            report_requant("requant (rnn)", acc, m, sh);
            bad++;
        }
    }
    return bad;
}

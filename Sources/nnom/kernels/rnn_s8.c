/*
 * int8 recurrent kernels (SimpleRNN, GRU, LSTM): int8 weights and activations,
 * int16 state, pre-activations and gates; integer maths only. The equations
 * and the rounding are in kernels/rnn.h.
 *
 * Sums are exact for any layer size the runtime accepts: int32 partial sums
 * over chunks short enough not to overflow (|w (x - zp)| <= 128 * 255, so
 * 65536 inputs; |w h| <= 2^22, so 256 units), added up in int64 and saturated
 * to int32 before requantisation. As in the dense kernel, the operands are
 * int16 and the chunks plain loops, which compilers turn into multiply-adds of
 * pairs (pmaddwd on x86-64, SMLAD-friendly on a Cortex-M4).
 */
#include "kernels/rnn.h"

/* (the Cortex-M DSP kernel, kernels/arm/rnn_s8.c, needs the same scratch) */
uint32_t nnom_rnn_s8_scratch_bytes(int32_t cell, int32_t units)
{
    return (uint32_t)((cell + 1) * units) * (uint32_t)sizeof(int16_t);
}

#include "kernels/arm/arm_dsp.h" /* Cortex-M with DSP: kernels/arm/rnn_s8.c replaces the rest of this file */
#if NNOM_USE_ARM_DSP
#define NNOM_ARM_DSP_TWIN 1
#include "kernels/arm/rnn_s8.c"
#else

#include <stddef.h>
#include "kernels/requant.h"
#include "nnom/layers.h"

static int32_t sat32(int64_t v) { return v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : (int32_t)v); }
/* a + b saturated to int32 (QADD on a Cortex-M): sums of requantised parts may pass int32 with
 * extreme constants */
static int32_t add_sat(int32_t a, int32_t b) { return sat32((int64_t)a + b); }
static int16_t sat16(int32_t v) { return (int16_t)(v > INT16_MAX ? INT16_MAX : (v < INT16_MIN ? INT16_MIN : v)); }

/* (a b + 2^14) >> 15 of two int16 values (a Q15 gate times a value: the value's scale) */
static int32_t q15(int32_t a, int32_t b) { return (a * b + (1 << 14)) >> 15; }

enum {
    BLOCK = 16,      /* a vector-friendly trip count (GCC's -O2 vectoriser takes loops of whole blocks) */
    CHUNK_X = 65536, /* inputs whose int32 sum of w (x - zp) cannot overflow */
    CHUNK_H = 256    /* units whose int32 sum of w h cannot overflow (|w h| <= 2^22) */
};

/* sum_i w[i] (x[i] - zp) for n <= CHUNK_X: whole blocks, then the tail */
static int32_t dot_x_part(const int8_t *w, const int8_t *x, int32_t n, int16_t zp)
{
    int32_t acc = 0, i;
    const int32_t blocked = n & ~(int32_t)(BLOCK - 1);
    for (i = 0; i < blocked; i++) acc += (int16_t)w[i] * (int16_t)(x[i] - zp);
    for (; i < n; i++) acc += (int16_t)w[i] * (int16_t)(x[i] - zp);
    return acc;
}

/* sum_j w[j] h[j] for n <= CHUNK_H */
static int32_t dot_h_part(const int8_t *w, const int16_t *h, int32_t n)
{
    int32_t acc = 0, j;
    const int32_t blocked = n & ~(int32_t)(BLOCK - 1);
    for (j = 0; j < blocked; j++) acc += (int16_t)w[j] * h[j];
    for (; j < n; j++) acc += (int16_t)w[j] * h[j];
    return acc;
}

static int64_t dot_x(const int8_t *w, const int8_t *x, int32_t n, int32_t zp)
{
    int64_t acc = 0;
    for (int32_t start = 0; start < n; start += CHUNK_X)
        acc += dot_x_part(w + start, x + start, n - start < CHUNK_X ? n - start : CHUNK_X, (int16_t)zp);
    return acc;
}

static int64_t dot_h(const int8_t *w, const int16_t *h, int32_t n)
{
    int64_t acc = 0;
    for (int32_t start = 0; start < n; start += CHUNK_H)
        acc += dot_h_part(w + start, h + start, n - start < CHUNK_H ? n - start : CHUNK_H);
    return acc;
}

void nnom_rnn_s8(const nnom_rnn_s8_args *a, const int8_t *in, int8_t *out, int16_t *state, int16_t *scratch)
{
    const int32_t units = a->units, rows = a->cell * units, n_in = a->in_features;
    const int backwards = (a->flags & NNOM_RNN_GO_BACKWARDS) != 0;
    const int sequences = (a->flags & NNOM_RNN_RETURN_SEQUENCES) != 0;
    const int input_order = (a->flags & NNOM_RNN_INPUT_ORDER) != 0;
    const int reset_after = (a->flags & NNOM_RNN_RESET_AFTER) != 0;
    const int32_t *mx = a->requant, *sx = a->requant + rows, *mh = a->requant + 2 * rows, *sh = a->requant + 3 * rows;
    const int32_t *bias = a->bias;
    const int32_t *rec_bias = a->bias && a->cell == NNOM_RNN_CELL_GRU && reset_after ? a->bias + rows : NULL;
    const int16_t *t_act = a->tables, *t_rec = a->tables + NNOM_RNN_TABLE_SIZE, *t_cell = a->tables + 2 * NNOM_RNN_TABLE_SIZE;
    const int32_t *k = a->consts;
    int16_t *h = state, *c = state + units;
    int16_t *pre = scratch;        /* [rows] */
    int16_t *tmp = scratch + rows; /* [units]: GRU, the candidate's recurrent part or r * h */
    /* rows whose recurrent sum is taken from the old h at once: all but a GRU's candidate */
    const int32_t direct = a->cell == NNOM_RNN_CELL_GRU ? 2 * units : rows;

    for (int32_t step = 0; step < a->steps; step++) {
        const int32_t t = backwards ? a->steps - 1 - step : step;
        const int8_t *x = in + (size_t)t * (size_t)n_in;
        for (int32_t r = 0; r < rows; r++) {
            const int64_t ax = dot_x(a->kernel + (size_t)r * (size_t)n_in, x, n_in, a->in_zero_point) +
                               (bias ? bias[r] : 0);
            int32_t v = nnom_requantize(sat32(ax), mx[r], sx[r]);
            if (r < direct) {
                const int64_t ah = dot_h(a->recurrent + (size_t)r * (size_t)units, h, units) +
                                   (rec_bias ? rec_bias[r] : 0);
                v = add_sat(v, nnom_requantize(sat32(ah), mh[r], sh[r]));
            } else if (reset_after) {
                const int64_t ah = dot_h(a->recurrent + (size_t)r * (size_t)units, h, units) +
                                   (rec_bias ? rec_bias[r] : 0);
                tmp[r - direct] = sat16(nnom_requantize(sat32(ah), mh[r], sh[r]));
            }
            pre[r] = sat16(v);
        }
        if (a->cell == NNOM_RNN_CELL_SIMPLE) {
            for (int32_t u = 0; u < units; u++) h[u] = nnom_rnn_lut(t_act, pre[u]);
        } else if (a->cell == NNOM_RNN_CELL_LSTM) {
            for (int32_t u = 0; u < units; u++) {
                const int32_t i = nnom_rnn_lut(t_rec, pre[u]), f = nnom_rnn_lut(t_rec, pre[units + u]);
                const int32_t g = nnom_rnn_lut(t_act, pre[2 * units + u]), o = nnom_rnn_lut(t_rec, pre[3 * units + u]);
                c[u] = sat16(add_sat(q15(f, c[u]), nnom_requantize(i * g, k[NNOM_RNN_MIX_MULT], k[NNOM_RNN_MIX_SHIFT])));
                const int32_t ac = nnom_rnn_lut(t_cell, c[u]);
                h[u] = sat16(nnom_requantize(o * ac, k[NNOM_RNN_HID_MULT], k[NNOM_RNN_HID_SHIFT]));
            }
        } else {
            int16_t *z = pre, *rg = pre + units, *cand = pre + 2 * units;
            for (int32_t u = 0; u < 2 * units; u++) pre[u] = nnom_rnn_lut(t_rec, pre[u]); /* z, r */
            if (reset_after) {
                for (int32_t u = 0; u < units; u++) cand[u] = sat16(cand[u] + q15(rg[u], tmp[u]));
            } else {
                for (int32_t u = 0; u < units; u++) tmp[u] = (int16_t)q15(rg[u], h[u]);
                for (int32_t u = 0; u < units; u++) {
                    const int32_t r = direct + u;
                    const int64_t ah = dot_h(a->recurrent + (size_t)r * (size_t)units, tmp, units);
                    cand[u] = sat16(add_sat(cand[u], nnom_requantize(sat32(ah), mh[r], sh[r])));
                }
            }
            for (int32_t u = 0; u < units; u++) {
                const int32_t hh = nnom_rnn_lut(t_act, cand[u]);
                const int32_t keep = q15(z[u], h[u]);
                const int32_t mix = nnom_requantize((32768 - z[u]) * hh, k[NNOM_RNN_MIX_MULT], k[NNOM_RNN_MIX_SHIFT]);
                h[u] = sat16(add_sat(keep, mix));
            }
        }
        if (sequences || step == a->steps - 1) {
            int8_t *row = out + (sequences ? (size_t)(input_order ? t : step) * (size_t)units : 0);
            for (int32_t u = 0; u < units; u++) {
                const int32_t y = nnom_requantize(h[u], k[NNOM_RNN_OUT_MULT], k[NNOM_RNN_OUT_SHIFT]);
                row[u] = nnom_clamp_s8(add_sat(y, a->out_zero_point), -128, 127);
            }
        }
    }
}
#endif /* !NNOM_USE_ARM_DSP */

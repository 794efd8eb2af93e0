/* float32 recurrent kernels: plain reference code (sums in input order), no libm. */
#include "kernels/rnn.h"

#include <stddef.h>
#include "kernels/activation.h"
#include "nnom/layers.h"

float nnom_rnn_act_f32(int32_t act, float x)
{
    switch ((nnom_rnn_act)act) {
    case NNOM_RNN_ACT_TANH: return nnom_tanhf(x);
    case NNOM_RNN_ACT_SIGMOID:
        if (x >= 0.0f) return 1.0f / (1.0f + nnom_expf(-x));
        else {
            const float e = nnom_expf(x); /* no overflow for large negative x */
            return e / (1.0f + e);
        }
    case NNOM_RNN_ACT_HARD_SIGMOID: {
        float t = x + 3.0f;
        t = t > 0.0f ? (t < 6.0f ? t : 6.0f) : 0.0f;
        return t / 6.0f;
    }
    case NNOM_RNN_ACT_HARD_SIGMOID_K2: {
        const float t = 0.2f * x + 0.5f;
        return t > 0.0f ? (t < 1.0f ? t : 1.0f) : 0.0f;
    }
    case NNOM_RNN_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case NNOM_RNN_ACT_LINEAR:
    case NNOM_RNN_ACT_COUNT: /* not activations: refused when the layer is compiled */
    case NNOM_RNN_ACT_FORCE_32BIT: return x;
    }
    return x;
}

uint32_t nnom_rnn_f32_scratch_bytes(int32_t cell, int32_t units)
{
    return (uint32_t)((2 * cell + 1) * units) * (uint32_t)sizeof(float);
}

/* acc[r] = (bias ? bias[r] : 0) + sum_i m[r][i] * v[i] for rows r < rows. */
static void matvec(const float *m, const float *v, const float *bias, int32_t rows, int32_t cols, float *acc)
{
    for (int32_t r = 0; r < rows; r++) {
        const float *row = m + (size_t)r * (size_t)cols;
        float s = bias ? bias[r] : 0.0f;
        for (int32_t i = 0; i < cols; i++) s += row[i] * v[i];
        acc[r] = s;
    }
}

/* Widens the observed range of internal value @p k (::nnom_rnn_internal). */
static void widen(float *observe, int32_t k, float v)
{
    if (v < observe[2 * k]) observe[2 * k] = v;
    if (v > observe[2 * k + 1]) observe[2 * k + 1] = v;
}

#define OBSERVE(k, v)                          \
    do {                                       \
        if (obs) widen(obs, (k), (v));         \
    } while (0)

void nnom_rnn_f32(const nnom_rnn_f32_args *a, const float *in, float *out, float *state, float *scratch)
{
    float *obs = a->observe;
    const int32_t units = a->units, gates = a->cell, rows = gates * units, n_in = a->in_features;
    const int backwards = (a->flags & NNOM_RNN_GO_BACKWARDS) != 0;
    const int sequences = (a->flags & NNOM_RNN_RETURN_SEQUENCES) != 0;
    const int input_order = (a->flags & NNOM_RNN_INPUT_ORDER) != 0;
    const int reset_after = (a->flags & NNOM_RNN_RESET_AFTER) != 0;
    float *h = state, *c = state + units;
    float *xp = scratch;          /* W x + b, [rows] */
    float *hp = scratch + rows;   /* U h (+ recurrent bias), [rows] */
    float *rh = hp + rows;        /* GRU reset before: r * h, [units] */
    const float *in_bias = a->bias;
    const float *rec_bias = a->bias && a->cell == NNOM_RNN_CELL_GRU && reset_after ? a->bias + rows : NULL;

    for (int32_t k = 0; k < a->steps; k++) {
        const int32_t t = backwards ? a->steps - 1 - k : k;
        matvec(a->kernel, in + (size_t)t * (size_t)n_in, in_bias, rows, n_in, xp);
        if (a->cell == NNOM_RNN_CELL_SIMPLE) {
            matvec(a->recurrent, h, NULL, units, units, hp);
            for (int32_t u = 0; u < units; u++) {
                const float pre = xp[u] + hp[u];
                OBSERVE(NNOM_RNN_INTERNAL_PRE, pre);
                h[u] = nnom_rnn_act_f32(a->act, pre);
                OBSERVE(NNOM_RNN_INTERNAL_CANDIDATE, h[u]);
            }
        } else if (a->cell == NNOM_RNN_CELL_LSTM) {
            matvec(a->recurrent, h, NULL, rows, units, hp);
            for (int32_t u = 0; u < units; u++) {
                const float pi = xp[u] + hp[u], pf = xp[units + u] + hp[units + u];
                const float pg = xp[2 * units + u] + hp[2 * units + u], po = xp[3 * units + u] + hp[3 * units + u];
                const float i = nnom_rnn_act_f32(a->rec_act, pi);
                const float f = nnom_rnn_act_f32(a->rec_act, pf);
                const float g = nnom_rnn_act_f32(a->act, pg);
                const float o = nnom_rnn_act_f32(a->rec_act, po);
                c[u] = f * c[u] + i * g;
                const float ac = nnom_rnn_act_f32(a->act, c[u]);
                h[u] = o * ac;
                if (obs) {
                    widen(obs, NNOM_RNN_INTERNAL_PRE, pi);
                    widen(obs, NNOM_RNN_INTERNAL_PRE, pf);
                    widen(obs, NNOM_RNN_INTERNAL_PRE, pg);
                    widen(obs, NNOM_RNN_INTERNAL_PRE, po);
                    widen(obs, NNOM_RNN_INTERNAL_CANDIDATE, g);
                    widen(obs, NNOM_RNN_INTERNAL_C, c[u]);
                    widen(obs, NNOM_RNN_INTERNAL_CELL_ACT, ac);
                }
            }
        } else {
            /* GRU: z and r from the old h; the candidate's recurrent part after (reset_after) or on
             * r * h (reset before) */
            matvec(a->recurrent, h, rec_bias, reset_after ? rows : 2 * units, units, hp);
            for (int32_t u = 0; u < 2 * units; u++) {
                OBSERVE(NNOM_RNN_INTERNAL_PRE, xp[u] + hp[u]);
                hp[u] = nnom_rnn_act_f32(a->rec_act, xp[u] + hp[u]); /* z, r */
            }
            if (reset_after) {
                for (int32_t u = 0; u < units; u++) {
                    OBSERVE(NNOM_RNN_INTERNAL_PRE, hp[2 * units + u]); /* kept at the pre-activation scale in int8 */
                    hp[2 * units + u] *= hp[units + u];
                }
            } else {
                for (int32_t u = 0; u < units; u++) rh[u] = hp[units + u] * h[u];
                matvec(a->recurrent + (size_t)2 * (size_t)units * (size_t)units, rh, NULL, units, units,
                       hp + 2 * units);
            }
            for (int32_t u = 0; u < units; u++) {
                const float z = hp[u], pre = xp[2 * units + u] + hp[2 * units + u];
                const float hh = nnom_rnn_act_f32(a->act, pre);
                h[u] = z * h[u] + (1.0f - z) * hh;
                OBSERVE(NNOM_RNN_INTERNAL_PRE, pre);
                OBSERVE(NNOM_RNN_INTERNAL_CANDIDATE, hh);
            }
        }
        for (int32_t u = 0; obs && u < units; u++) widen(obs, NNOM_RNN_INTERNAL_H, h[u]);
        if (sequences) {
            float *row = out + (size_t)(input_order ? t : k) * (size_t)units;
            for (int32_t u = 0; u < units; u++) row[u] = h[u];
        }
    }
    if (!sequences)
        for (int32_t u = 0; u < units; u++) out[u] = h[u];
}

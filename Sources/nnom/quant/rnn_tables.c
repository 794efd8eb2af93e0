/*
 * Build-time activation tables of int8 recurrent layers: 513 int16 entries
 * over the whole int16 input range, every 128 input steps, computed in
 * double precision from the real function and rounded once (ties away from
 * zero), then saturated. See nnom_quant_rnn_table() in nnom/quantize.h.
 */
#include <float.h>
#include <math.h>

#include "nnom/quantize.h"
#include "kernels/rnn.h"

static int scale_ok(float s) { return s > 0.0f && s <= FLT_MAX; }

static double act_of(nnom_rnn_act act, double x)
{
    switch (act) {
    case NNOM_RNN_ACT_TANH: return tanh(x);
    case NNOM_RNN_ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case NNOM_RNN_ACT_HARD_SIGMOID: return x <= -3.0 ? 0.0 : (x >= 3.0 ? 1.0 : x / 6.0 + 0.5);
    case NNOM_RNN_ACT_HARD_SIGMOID_K2: return x <= -2.5 ? 0.0 : (x >= 2.5 ? 1.0 : 0.2 * x + 0.5);
    case NNOM_RNN_ACT_RELU: return x > 0.0 ? x : 0.0;
    case NNOM_RNN_ACT_LINEAR:
    case NNOM_RNN_ACT_COUNT: /* not activations: refused before a table is made */
    case NNOM_RNN_ACT_FORCE_32BIT: return x;
    }
    return x;
}

nnom_status nnom_quant_rnn_table(nnom_rnn_act act, float in_scale, float out_scale, int16_t table[513])
{
    if (!table || !scale_ok(in_scale) || !scale_ok(out_scale) || (unsigned)act >= NNOM_RNN_ACT_COUNT)
        return NNOM_ERR_ARGUMENT;
    for (int32_t k = 0; k < NNOM_RNN_TABLE_SIZE; k++) {
        const double x = (double)in_scale * (double)(NNOM_RNN_LUT_STEP * k + INT16_MIN);
        double v = act_of(act, x) / (double)out_scale;
        if (v > 1e6) v = 1e6; /* saturates anyway; keeps the conversion defined */
        if (v < -1e6) v = -1e6;
        const double r = v < 0.0 ? -floor(-v + 0.5) : floor(v + 0.5);
        table[k] = (int16_t)(r > INT16_MAX ? INT16_MAX : (r < INT16_MIN ? INT16_MIN : (int32_t)r));
    }
    return NNOM_OK;
}

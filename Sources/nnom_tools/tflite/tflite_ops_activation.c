/*
 * Element-wise int8 operators as 256-entry tables, each entry computed by
 * TFLite's own integer algorithm for that input value, so the table is
 * bit-exact by construction: RELU and RELU_N1_TO_1 (TFLite's
 * ReluQuantized: requantise, then clamp), RELU6 (TFLite Micro's: a clamp of
 * the raw input, see below), LEAKY_RELU (two multipliers by
 * sign), LOGISTIC and TANH (gemmlowp fixed point), HARD_SWISH (TFLite's int16
 * fixed point, an ACTIVATION layer of function HARD_SILU; the last three in
 * tflite_fixedpoint.c).
 * PRELU onto nnom's PRELU (the same arithmetic). Also the clamp that stands for a fused
 * activation nnom cannot fuse.
 *
 * Options (schema.fbs): LeakyReluOptions {0 alpha}.
 */
#include <math.h>
#include <string.h>

#include "kernels/requant.h"
#include "tflite/tflite_internal.h"

enum { LEAKY_ALPHA = 0 };
#define INT8_VALUES 256
#define INT8_OFFSET 128
/* TFLite's fixed output quantisations of int8 LOGISTIC (1/256, -128) and TANH (1/128, 0) */
#define LOGISTIC_OUT_SCALE (1.0f / 256.0f)
#define LOGISTIC_OUT_ZP (-128)
#define TANH_OUT_SCALE (1.0f / 128.0f)
#define TANH_OUT_ZP 0

/* TFLite's quantised activation bounds: zero point + round(limit / scale) in float, within int8. */
/* Bounds of the int8 clamps below, one step beyond the int8 range: enough for any comparison with
 * an int8 value, and small enough that no conversion from a hostile scale can overflow. */
#define CLAMP_BOUND_LOW (-129)
#define CLAMP_BOUND_HIGH 128

/* zero_point + round(real / scale) in int8 steps, saturated to [CLAMP_BOUND_LOW, CLAMP_BOUND_HIGH]
 * (a NaN gives the low bound): a file's tiny or odd scale must not overflow the conversion. */
static int32_t clamp_steps(float real, nnom_quant q)
{
    /* the division and rounding in float, as before and as TFLite does; the sum in double */
    const double steps = (double)roundf(real / q.scale) + (double)q.zero_point;
    if (!(steps > CLAMP_BOUND_LOW)) return CLAMP_BOUND_LOW;
    if (steps > CLAMP_BOUND_HIGH) return CLAMP_BOUND_HIGH;
    return (int32_t)steps;
}

static void act_bounds(int32_t act, nnom_quant q, int32_t *lo, int32_t *hi)
{
    *lo = -128;
    *hi = 127;
    float low_real = 0.0f, high_real = 0.0f;
    int has_low = 0, has_high = 0;
    if (act == TFL_ACT_RELU) has_low = 1;
    if (act == TFL_ACT_RELU6) {
        has_low = has_high = 1;
        high_real = 6.0f;
    }
    if (act == TFL_ACT_RELU_N1_TO_1) {
        has_low = has_high = 1;
        low_real = -1.0f;
        high_real = 1.0f;
    }
    if (has_low) {
        const int32_t v = clamp_steps(low_real, q);
        if (v > *lo) *lo = v;
    }
    if (has_high) {
        const int32_t v = clamp_steps(high_real, q);
        if (v < *hi) *hi = v;
    }
}

/* A table layer after @p input_layer with the quantisation of @p out; @p hold (out or NULL) is then held by it. */
static nnom_status table_layer(tfl_ctx *x, nnom_layer_type type, int32_t input_layer, const int8_t table[256],
                               const tfl_tensor *out, tfl_tensor *hold, float alpha, int32_t function,
                               const char *suffix, int32_t *id)
{
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    d.blobs[0].data = tfl_store_copy(x, table, INT8_VALUES);
    if (!d.blobs[0].data) return tfl_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
    d.blobs[0].size = INT8_VALUES;
    d.params.alpha = alpha;
    d.params.activation = function; /* ACTIVATION: which function the table is */
    d.type = type;
    d.name = tfl_layer_name(x, out, suffix);
    d.n_inputs = 1;
    d.inputs[0] = input_layer;
    d.quant = tfl_quant(out);
    return tfl_add(x, &d, hold, id);
}

static nnom_layer_type clamp_type(int32_t act)
{
    return act == TFL_ACT_RELU ? NNOM_LAYER_RELU : NNOM_LAYER_RELU6; /* RELU6 and RELU_N1_TO_1 clamp both sides */
}

static nnom_status clamp(tfl_ctx *x, int32_t act, int32_t input_layer, const tfl_tensor *out, tfl_tensor *hold,
                         int32_t *id)
{
    if (act != TFL_ACT_RELU && act != TFL_ACT_RELU6 && act != TFL_ACT_RELU_N1_TO_1)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "fused activation %d is not supported; supported: 0 (none), 1 (RELU), "
                        "2 (RELU_N1_TO_1), 3 (RELU6)", (int)act);
    int32_t lo, hi;
    act_bounds(act, tfl_quant(out), &lo, &hi);
    int8_t table[INT8_VALUES];
    for (int32_t q = -INT8_OFFSET; q < INT8_VALUES - INT8_OFFSET; q++)
        table[q + INT8_OFFSET] = (int8_t)(q < lo ? lo : (q > hi ? hi : q));
    return table_layer(x, clamp_type(act), input_layer, table, out, hold, 0.0f, 0, "_act", id);
}

nnom_status tfl_clamp_layer(tfl_ctx *x, int32_t act, tfl_tensor *out, int32_t *id)
{
    return clamp(x, act, out->layer, out, out, id);
}

nnom_status tfl_clamp_after(tfl_ctx *x, int32_t act, const tfl_tensor *out, int32_t *id)
{
    return clamp(x, act, *id, out, NULL, id);
}

static nnom_status fixed_output(tfl_ctx *x, const tfl_tensor *out, float scale, int32_t zp)
{
    const nnom_quant q = tfl_quant(out);
    if (q.scale != scale || q.zero_point != zp)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "output '%s' must have TFLite's fixed quantisation for this "
                        "operator (scale 1/%d, zero point %d)", out->name, (int)(1.0f / scale + 0.5f), (int)zp);
    return NNOM_OK;
}

nnom_status tfl_map_activation(tfl_ctx *x, const tfl_op *op)
{
    tfl_tensor *in, *out;
    nnom_status st = tfl_expect_io(x, op, 1, 1, 1);
    if (st == NNOM_OK) st = tfl_activation(x, op, 0, &in);
    if (st == NNOM_OK) st = tfl_output(x, op, &out);
    if (st != NNOM_OK) return st;
    const nnom_quant qi = tfl_quant(in), qo = tfl_quant(out);
    int8_t table[INT8_VALUES];
    float alpha = 0.0f;
    int32_t function = 0;
    nnom_layer_type type;
    if (op->code == TFL_OP_LOGISTIC) {
        st = fixed_output(x, out, LOGISTIC_OUT_SCALE, LOGISTIC_OUT_ZP);
        if (st != NNOM_OK) return st;
        tfl_logistic_table(qi, qo, table);
        type = NNOM_LAYER_SIGMOID;
    } else if (op->code == TFL_OP_TANH) {
        st = fixed_output(x, out, TANH_OUT_SCALE, TANH_OUT_ZP);
        if (st != NNOM_OK) return st;
        tfl_tanh_table(qi, qo, table);
        type = NNOM_LAYER_TANH;
    } else if (op->code == TFL_OP_HARD_SWISH) {
        if (tfl_hard_swish_table(qi, qo, table) != NNOM_OK)
            return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "the input and output scales have no fixed-point multipliers "
                            "(TFLite needs output scale >= input scale / 128)");
        type = NNOM_LAYER_ACTIVATION;
        function = NNOM_FN_HARD_SILU;
    } else if (op->code == TFL_OP_LEAKY_RELU) {
        st = tfl_opt_f32(x, op, LEAKY_ALPHA, 0.0f, &alpha);
        if (st != NNOM_OK) return st;
        if (!(alpha >= 0.0f) || isinf(alpha))
            return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "alpha must be a finite value >= 0");
        /* TFLite's LeakyRelu Prepare: both ratios in float, then QuantizeMultiplier */
        int32_t m_id, s_id, m_alpha, s_alpha;
        st = tfl_multiplier(x, (double)(qi.scale / qo.scale), &m_id, &s_id, "identity");
        if (st == NNOM_OK) st = tfl_multiplier(x, (double)(qi.scale * alpha / qo.scale), &m_alpha, &s_alpha, "alpha");
        if (st != NNOM_OK) return st;
        for (int32_t q = -INT8_OFFSET; q < INT8_VALUES - INT8_OFFSET; q++) {
            const int32_t v = q - qi.zero_point;
            int32_t y = (v >= 0 ? nnom_requantize(v, m_id, s_id) : nnom_requantize(v, m_alpha, s_alpha)) + qo.zero_point;
            table[q + INT8_OFFSET] = (int8_t)(y < -128 ? -128 : (y > 127 ? 127 : y));
        }
        type = NNOM_LAYER_LEAKY_RELU;
    } else if (op->code == TFL_OP_RELU6) {
        /* TFLite Micro's int8 RELU6 clamps the raw input to [zero point, quantised 6] of the INPUT's
         * quantisation and does not requantise (TFLite proper does); nnom follows TFLite Micro */
        const float six_real = 6.0f;
        int32_t six = clamp_steps(six_real, qi);
        six = six < -128 ? -128 : (six > 127 ? 127 : six);
        for (int32_t q = -INT8_OFFSET; q < INT8_VALUES - INT8_OFFSET; q++) {
            const int32_t y = q < qi.zero_point ? qi.zero_point : q;
            table[q + INT8_OFFSET] = (int8_t)(y > six ? six : y);
        }
        type = NNOM_LAYER_RELU6;
    } else {
        const int32_t act = op->code == TFL_OP_RELU ? TFL_ACT_RELU
                                                    : (op->code == TFL_OP_RELU6 ? TFL_ACT_RELU6 : TFL_ACT_RELU_N1_TO_1);
        int32_t m, s, lo, hi;
        st = tfl_multiplier(x, (double)qi.scale / (double)qo.scale, &m, &s, "rescale");
        if (st != NNOM_OK) return st;
        act_bounds(act, qo, &lo, &hi);
        for (int32_t q = -INT8_OFFSET; q < INT8_VALUES - INT8_OFFSET; q++) {
            const int32_t y = qo.zero_point + nnom_requantize(q - qi.zero_point, m, s);
            table[q + INT8_OFFSET] = (int8_t)(y < lo ? lo : (y > hi ? hi : y));
        }
        type = clamp_type(act);
    }
    return table_layer(x, type, in->layer, table, out, out, alpha, function, NULL, NULL);
}

/* TFLite's PRELU: x - zp >= 0 ? MBQM(x - zp, in / out) : MBQM((x - zp)(alpha - alpha_zp), in alpha / out), plus the
 * output zero point, saturated: nnom's PRELU with alpha - alpha_zp as its int8 alphas (one per channel). */
nnom_status tfl_map_prelu(tfl_ctx *x, const tfl_op *op)
{
    tfl_tensor *in, *out, *alpha;
    nnom_status st = tfl_expect_io(x, op, 2, 2, 1);
    if (st == NNOM_OK) st = tfl_activation(x, op, 0, &in);
    if (st == NNOM_OK) st = tfl_output(x, op, &out);
    if (st == NNOM_OK) st = tfl_input(x, op, 1, &alpha);
    if (st != NNOM_OK) return st;
    const int32_t c = in->dims[in->rank - 1];
    st = tfl_constant(x, alpha, TFL_TYPE_INT8, c, "alpha");
    if (st != NNOM_OK) return st;
    if (alpha->rank < 1 || alpha->dims[alpha->rank - 1] != c || alpha->n_quant != 1)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "alpha '%s' must be one value per channel (%d) with one scale",
                        alpha->name, (int)c);
    const nnom_quant qi = tfl_quant(in), qo = tfl_quant(out), qa = tfl_quant(alpha);
    int8_t *alphas = (int8_t *)tfl_store(x, (size_t)c);
    int32_t *params = (int32_t *)tfl_store(x, 4u * sizeof(int32_t));
    if (!alphas || !params) return tfl_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
    for (int32_t ch = 0; ch < c; ch++) {
        const int32_t a = (int32_t)(int8_t)alpha->data[ch] - qa.zero_point;
        if (a < -127 || a > 127)
            return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "alpha %d of '%s' is %d steps from its zero point; nnom's int8 "
                            "PRELU takes -127 to 127", (int)ch, alpha->name, (int)a);
        alphas[ch] = (int8_t)a;
    }
    st = tfl_multiplier(x, (double)qi.scale / (double)qo.scale, &params[0], &params[1], "identity");
    if (st == NNOM_OK)
        st = tfl_multiplier(x, (double)qi.scale * (double)qa.scale / (double)qo.scale, &params[2], &params[3], "alpha");
    if (st != NNOM_OK) return st;
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    d.blobs[0].data = alphas;
    d.blobs[0].size = (uint32_t)c;
    d.blobs[1].data = params;
    d.blobs[1].size = 4u * sizeof(int32_t);
    d.type = NNOM_LAYER_PRELU;
    return tfl_add_unary(x, &d, in, out);
}

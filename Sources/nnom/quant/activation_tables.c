/*
 * Build-time lookup tables of the int8 element-wise activations and softmax.
 * Every entry is computed in double precision from the real function, then
 * rounded once (ties away from zero) and saturated.
 */
#include <float.h>
#include <math.h>

#include "nnom/quantize.h"

static int scale_ok(float s) { return s > 0.0f && s <= FLT_MAX; }
static int zp_ok(int32_t zp) { return zp >= INT8_MIN && zp <= INT8_MAX; }

/* The real activation; returns 0 and leaves *y alone for a type that is not one. */
static int activation(nnom_layer_type type, double alpha, double x, double *y)
{
    switch (type) {
    case NNOM_LAYER_RELU: *y = x > 0.0 ? x : 0.0; return 1;
    case NNOM_LAYER_RELU6: *y = x > 0.0 ? (x < 6.0 ? x : 6.0) : 0.0; return 1;
    case NNOM_LAYER_LEAKY_RELU: *y = x >= 0.0 ? x : alpha * x; return 1;
    case NNOM_LAYER_SIGMOID: *y = 1.0 / (1.0 + exp(-x)); return 1;
    case NNOM_LAYER_TANH: *y = tanh(x); return 1;
    case NNOM_LAYER_HARD_SIGMOID: {
        /* Keras 3: relu6(x + 3) / 6 (Keras 2's 0.2 * x + 0.5 is a different function) */
        double t = x + 3.0;
        t = t > 0.0 ? (t < 6.0 ? t : 6.0) : 0.0;
        *y = t / 6.0;
        return 1;
    }
    default: return 0;
    }
}

nnom_status nnom_quant_activation_table(nnom_layer_type type, float alpha, nnom_quant in,
                                        nnom_quant out, int8_t table[256])
{
    if (!table || !scale_ok(in.scale) || !scale_ok(out.scale) || !zp_ok(in.zero_point) ||
        !zp_ok(out.zero_point))
        return NNOM_ERR_ARGUMENT;
    if (type == NNOM_LAYER_LEAKY_RELU && !(alpha >= -FLT_MAX && alpha <= FLT_MAX))
        return NNOM_ERR_ARGUMENT;
    double probe;
    if (!activation(type, 0.0, 0.0, &probe)) return NNOM_ERR_ARGUMENT;
    for (int32_t q = INT8_MIN; q <= INT8_MAX; q++) {
        double x = (double)in.scale * (double)(q - in.zero_point);
        double y = 0.0;
        (void)activation(type, (double)alpha, x, &y);
        double v = y / (double)out.scale;
        if (v > 1e6) v = 1e6;   /* saturates anyway; keeps the conversion defined */
        if (v < -1e6) v = -1e6;
        double r = v < 0.0 ? -floor(-v + 0.5) : floor(v + 0.5);
        long o = (long)r + out.zero_point;
        table[q - INT8_MIN] = (int8_t)(o < INT8_MIN ? INT8_MIN : (o > INT8_MAX ? INT8_MAX : o));
    }
    return NNOM_OK;
}

nnom_status nnom_quant_softmax_table(nnom_quant in, uint32_t table[256])
{
    if (!table || !scale_ok(in.scale)) return NNOM_ERR_ARGUMENT;
    for (int d = 0; d < 256; d++) {
        double v = 65536.0 * exp(-(double)d * (double)in.scale);
        table[d] = (uint32_t)floor(v + 0.5);
    }
    return NNOM_OK;
}

/* ------------------------------------------------------------------ ACTIVATION functions */

#define SELU_ALPHA 1.6732632423543772
#define SELU_SCALE 1.0507009873554805
#define SQRT_2_OVER_PI 0.79788456080286535588
#define GELU_CUBIC 0.044715

static double softplus_d(double x) { return (x > 0.0 ? x : 0.0) + log1p(exp(-fabs(x))); }
static double elu_d(double x, double alpha) { return x > 0.0 ? x : alpha * expm1(x); }

/* The real function in double precision (libm: this runs on the host, when the model is built). */
static double function_d(nnom_function fn, const float *k, double x)
{
    switch (fn) {
    case NNOM_FN_ELU: return elu_d(x, k[0]);
    case NNOM_FN_SELU: return SELU_SCALE * elu_d(x, SELU_ALPHA);
    case NNOM_FN_GELU: return 0.5 * x * erfc(-x / sqrt(2.0));
    case NNOM_FN_GELU_TANH: return 0.5 * x * (1.0 + tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x)));
    case NNOM_FN_SILU: return x / (1.0 + exp(-x));
    case NNOM_FN_HARD_SILU: {
        const double t = x + 3.0;
        return x * (t > 0.0 ? (t < 6.0 ? t : 6.0) : 0.0) / 6.0;
    }
    case NNOM_FN_MISH: return x * tanh(softplus_d(x));
    case NNOM_FN_SOFTPLUS: return softplus_d(x);
    case NNOM_FN_SOFTSIGN: return x / (1.0 + fabs(x));
    case NNOM_FN_EXPONENTIAL: return exp(x);
    case NNOM_FN_LOG_SIGMOID: return -softplus_d(-x);
    case NNOM_FN_CELU: return x > 0.0 ? x : (double)k[0] * expm1(x / (double)k[0]);
    case NNOM_FN_HARD_TANH: return x > 1.0 ? 1.0 : (x < -1.0 ? -1.0 : x);
    case NNOM_FN_RELU: {
        double y = x > (double)k[1] ? x : 0.0;
        if (k[3] != 0.0f) y = y < 0.0 ? 0.0 : (y > (double)k[2] ? (double)k[2] : y);
        if ((double)k[1] > x) y -= (double)k[0] * ((double)k[1] - x);
        return y;
    }
    case NNOM_FN_COUNT:
    case NNOM_FN_FORCE_32BIT: break;
    }
    return 0.0; /* not reached: the function was checked */
}

nnom_status nnom_quant_function_table(nnom_function fn, const float *consts, int32_t n_consts, nnom_quant in,
                                      nnom_quant out, int8_t table[256])
{
    const int32_t want = nnom_function_constants(fn);
    if (!table || want < 0 || n_consts != want || (want > 0 && !consts) || !scale_ok(in.scale) ||
        !scale_ok(out.scale) || !zp_ok(in.zero_point) || !zp_ok(out.zero_point))
        return NNOM_ERR_ARGUMENT;
    for (int32_t i = 0; i < n_consts; i++)
        if (!(fabsf(consts[i]) <= 3.402823466e38f) || (fn == NNOM_FN_CELU && !(consts[i] > 0.0f)))
            return NNOM_ERR_ARGUMENT;
    for (int32_t q = INT8_MIN; q <= INT8_MAX; q++) {
        const double y = function_d(fn, consts, (double)in.scale * (double)(q - in.zero_point));
        double v = y / (double)out.scale;
        if (!(v <= 1e6)) v = 1e6; /* saturates anyway (exp overflow included); keeps the conversion defined */
        if (v < -1e6) v = -1e6;
        const double r = v < 0.0 ? -floor(-v + 0.5) : floor(v + 0.5);
        const long o = (long)r + out.zero_point;
        table[q - INT8_MIN] = (int8_t)(o < INT8_MIN ? INT8_MIN : (o > INT8_MAX ? INT8_MAX : o));
    }
    return NNOM_OK;
}

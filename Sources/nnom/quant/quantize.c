/* Build-time helpers: real scales to fixed-point multipliers; (de)quantising values. */
#include <math.h>

#include "nnom/quantize.h"

nnom_status nnom_quant_multiplier(double real, int32_t *multiplier, int32_t *shift)
{
    if (!multiplier || !shift || !(real >= 0.0) || isinf(real)) return NNOM_ERR_ARGUMENT;
    if (real == 0.0) {
        *multiplier = 0;
        *shift = 0;
        return NNOM_OK;
    }
    int e = 0;
    double f = frexp(real, &e); /* real = f * 2^e, 0.5 <= f < 1 */
    long long q = llround(f * 2147483648.0);
    if (q == (1LL << 31)) {
        q /= 2;
        e++;
    }
    if (e < -31) { /* too small to matter: the product rounds to zero */
        *multiplier = 0;
        *shift = 0;
        return NNOM_OK;
    }
    if (e > 30) return NNOM_ERR_ARGUMENT;
    *multiplier = (int32_t)q;
    *shift = e;
    return NNOM_OK;
}

nnom_status nnom_quant_conv_params(float input_scale, const float *weight_scales, int32_t n,
                                   float output_scale, int32_t *multipliers, int32_t *shifts)
{
    if (!weight_scales || !multipliers || !shifts || n <= 0 || !(output_scale > 0.0f))
        return NNOM_ERR_ARGUMENT;
    for (int32_t i = 0; i < n; i++) {
        double real = (double)input_scale * (double)weight_scales[i] / (double)output_scale;
        nnom_status st = nnom_quant_multiplier(real, &multipliers[i], &shifts[i]);
        if (st != NNOM_OK) return st;
    }
    return NNOM_OK;
}

int8_t nnom_quant_s8(float x, nnom_quant q)
{
    double v = (double)x / (double)q.scale;
    if (!(v == v)) v = 0.0; /* NaN */
    if (v > 1e6) v = 1e6;
    if (v < -1e6) v = -1e6;
    long r = (long)(v < 0 ? v - 0.5 : v + 0.5) + q.zero_point;
    return (int8_t)(r < INT8_MIN ? INT8_MIN : (r > INT8_MAX ? INT8_MAX : r));
}

float nnom_dequant_s8(int8_t q, nnom_quant quant) { return quant.scale * (float)((int32_t)q - quant.zero_point); }

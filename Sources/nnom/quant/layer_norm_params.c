/* Build-time constants of an int8 LAYER_NORM (kernels/layer_norm.h). Float maths is fine here. */
#include <float.h>
#include <math.h>

#include "kernels/layer_norm.h"
#include "nnom/quantize.h"

/* Q30 of the normalised value the kernel requantises */
#define LN_Q30 1073741824.0

nnom_status nnom_quant_layer_norm_params(nnom_quant in, nnom_quant out, const float *gamma, const float *beta,
                                         int32_t depth, float epsilon, int32_t *multipliers, int32_t *shifts,
                                         int32_t *biases, int32_t eps_term[2])
{
    if (!multipliers || !shifts || !biases || !eps_term || depth < 1 || depth > NNOM_LAYER_NORM_MAX_DEPTH ||
        !(in.scale > 0.0f && in.scale <= FLT_MAX) || !(out.scale > 0.0f && out.scale <= FLT_MAX) ||
        !(epsilon >= 0.0f && epsilon <= FLT_MAX))
        return NNOM_ERR_ARGUMENT;
    const double root = sqrt((double)depth);
    for (int32_t j = 0; j < depth; j++) {
        const double g = gamma ? (double)gamma[j] : 1.0, b = beta ? (double)beta[j] : 0.0;
        const double real = fabs(g) * root / ((double)out.scale * LN_Q30);
        const double steps = b / (double)out.scale;
        if (!(real < 1.0) || !(fabs(steps) < (double)(1 << 30))) return NNOM_ERR_ARGUMENT;
        int32_t mult = 0, shift = 0;
        /* a multiplier whose shift would be below -31 moves the output by less than 2^-31 step: 0 */
        if (real >= 0x1p-32 && nnom_quant_multiplier(real, &mult, &shift) != NNOM_OK) return NNOM_ERR_ARGUMENT;
        multipliers[j] = g < 0.0 ? -mult : mult;
        shifts[j] = real >= 0x1p-32 ? shift : 0;
        biases[j] = (int32_t)lround(steps);
    }
    const double d = (double)depth;
    double e = d * d * d * (double)epsilon / ((double)in.scale * (double)in.scale);
    if (e > (double)NNOM_LAYER_NORM_MAX_EPS_TERM) e = (double)NNOM_LAYER_NORM_MAX_EPS_TERM;
    const int64_t term = (int64_t)llround(e);
    eps_term[0] = (int32_t)(uint32_t)((uint64_t)term & 0xFFFFFFFFu);
    eps_term[1] = (int32_t)(uint32_t)((uint64_t)term >> 32);
    return NNOM_OK;
}

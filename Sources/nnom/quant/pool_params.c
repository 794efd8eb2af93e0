/*
 * Build-time constants of an int8 average pool (AVG_POOL1D/2D, GLOBAL_AVG_POOL)
 * in its requantising form (kernels/pool.h): blob 0 = {multiplier, shift} with
 * multiplier * 2^(shift - 31) ~ input scale / output scale.
 */
#include <float.h>
#include "nnom/quantize.h"

nnom_status nnom_quant_avg_pool_params(nnom_quant in, nnom_quant out, int32_t cells, int32_t params[2])
{
    if (!params || !(in.scale > 0.0f && in.scale <= FLT_MAX) || !(out.scale > 0.0f && out.scale <= FLT_MAX) ||
        in.zero_point < -128 || in.zero_point > 127 || out.zero_point < -128 || out.zero_point > 127 || cells < 1 ||
        cells > (1 << 23))
        return NNOM_ERR_ARGUMENT;
    int32_t m, s;
    nnom_status st = nnom_quant_multiplier((double)in.scale / (double)out.scale, &m, &s);
    if (st != NNOM_OK) return st;
    if (m == 0) return NNOM_ERR_ARGUMENT;
    /* the window's sum in output steps must stay within int32 (kernels/pool.h) */
    if (s > 0 && ((int64_t)255 * cells << s) > (int64_t)(1u << 31) - (1 << 23)) return NNOM_ERR_UNSUPPORTED;
    params[0] = m;
    params[1] = s;
    return NNOM_OK;
}

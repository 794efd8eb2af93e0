/*
 * Build-time constants of an int8 average pool (AVG_POOL1D/2D, GLOBAL_AVG_POOL)
 * in its requantising form (kernels/pool.h): blob 0 = {multiplier, shift} with
 * multiplier * 2^(shift - 31) ~ input scale / output scale.
 */
#include <float.h>
#include "nnom/quantize.h"

#include "kernels/pool.h"

nnom_status nnom_quant_avg_pool_params(nnom_quant in, nnom_quant out, int32_t cells, int32_t params[2])
{
    if (!params || !(in.scale > 0.0f && in.scale <= FLT_MAX) || !(out.scale > 0.0f && out.scale <= FLT_MAX) ||
        in.zero_point < INT8_MIN || in.zero_point > INT8_MAX || out.zero_point < INT8_MIN || out.zero_point > INT8_MAX ||
        cells < 1 || cells > NNOM_AVG_POOL_MAX_CELLS)
        return NNOM_ERR_ARGUMENT;
    int32_t m, s;
    nnom_status st = nnom_quant_multiplier((double)in.scale / (double)out.scale, &m, &s);
    if (st != NNOM_OK) return st;
    if (m == 0) return NNOM_ERR_ARGUMENT;
    /* the window's sum in output steps must stay within int32 (kernels/pool.h) */
    if (!nnom_avg_pool_shift_ok(cells, s)) return NNOM_ERR_UNSUPPORTED;
    params[0] = m;
    params[1] = s;
    return NNOM_OK;
}

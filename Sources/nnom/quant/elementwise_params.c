/*
 * Build-time constants of the int8 merge layers: ADD / SUBTRACT, MULTIPLY and
 * CONCATENATE. Float maths is fine here; these run when a model is built.
 *
 * ADD / SUBTRACT follow TFLite's reference kernel: both inputs are brought to
 * a common fixed-point scale twice the larger input scale with 20 bits of
 * headroom, summed as int32, and the sum is requantised to the output:
 *
 *   x1' = requant((x1 - zp1) * 2^20, m1, s1)     m1 ~ scale1 / (2 * max_scale)
 *   x2' = requant((x2 - zp2) * 2^20, m2, s2)     m2 ~ scale2 / (2 * max_scale)
 *   out = requant(x1' +- x2', m_out, s_out) + zp_out
 *                                                m_out ~ 2 * max_scale / (2^20 * out_scale)
 *
 * The input multipliers are at most 1/2, so |x'| <= 255 * 2^19 and the sum
 * never overflows int32.
 */
#include <float.h>
#include "nnom/quantize.h"

#define ADD_LEFT_SHIFT 20

static int scale_ok(float s) { return s > 0.0f && s <= FLT_MAX; }
static int zp_ok(int32_t zp) { return zp >= INT8_MIN && zp <= INT8_MAX; }
static int quant_ok(nnom_quant q) { return scale_ok(q.scale) && zp_ok(q.zero_point); }

nnom_status nnom_quant_add_params(nnom_quant in1, nnom_quant in2, nnom_quant out, int32_t params[6])
{
    if (!params || !quant_ok(in1) || !quant_ok(in2) || !quant_ok(out)) return NNOM_ERR_ARGUMENT;
    const double s1 = (double)in1.scale, s2 = (double)in2.scale, so = (double)out.scale;
    const double twice_max = 2.0 * (s1 > s2 ? s1 : s2);
    const double real_out = twice_max / ((double)(1L << ADD_LEFT_SHIFT) * so);
    int32_t p[6];
    nnom_status st = nnom_quant_multiplier(s1 / twice_max, &p[0], &p[1]);
    if (st == NNOM_OK) st = nnom_quant_multiplier(s2 / twice_max, &p[2], &p[3]);
    if (st == NNOM_OK) st = nnom_quant_multiplier(real_out, &p[4], &p[5]);
    if (st != NNOM_OK) return st;
    if (p[4] == 0) return NNOM_ERR_ARGUMENT; /* output scale so large that every result is zero */
    for (int i = 0; i < 6; i++) params[i] = p[i];
    return NNOM_OK;
}

nnom_status nnom_quant_mul_params(nnom_quant in1, nnom_quant in2, nnom_quant out, int32_t params[2])
{
    if (!params || !quant_ok(in1) || !quant_ok(in2) || !quant_ok(out)) return NNOM_ERR_ARGUMENT;
    const double real = (double)in1.scale * (double)in2.scale / (double)out.scale;
    int32_t m, s;
    nnom_status st = nnom_quant_multiplier(real, &m, &s);
    if (st != NNOM_OK) return st;
    if (m == 0) return NNOM_ERR_ARGUMENT;
    params[0] = m;
    params[1] = s;
    return NNOM_OK;
}

nnom_status nnom_quant_concat_params(nnom_quant in, nnom_quant out, int32_t params[2])
{
    if (!params || !quant_ok(in) || !quant_ok(out)) return NNOM_ERR_ARGUMENT;
    if (in.scale == out.scale && in.zero_point == out.zero_point) {
        params[0] = 0; /* same quantisation: a plain copy */
        params[1] = 0;
        return NNOM_OK;
    }
    int32_t m, s;
    nnom_status st = nnom_quant_multiplier((double)in.scale / (double)out.scale, &m, &s);
    if (st != NNOM_OK) return st;
    /* a ratio below 2^-32 would read as "copy"; no sensible model has one */
    if (m == 0) return NNOM_ERR_ARGUMENT;
    params[0] = m;
    params[1] = s;
    return NNOM_OK;
}

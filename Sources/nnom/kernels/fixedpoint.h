/*
 * Fixed-point functions of TFLite's integer kernels (gemmlowp's scheme), for
 * the TFLite-compatible softmax and for the host tools that tabulate
 * TFLite's int8 logistic and tanh.
 *
 * A Q(i) value is an int32 raw with i integer bits and 31 - i fractional
 * bits: real = raw * 2^(i - 31). Products of Q(a) and Q(b) are Q(a + b), the
 * rounded doubling high product (nnom_srdhm). "One" in Q0 is INT32_MAX.
 * Every function here is integer only and matches gemmlowp bit for bit:
 *   nnom_fp_exp_neg(raw, bits)   exp(x) for x <= 0 in Q(bits), bits 1..6; result Q0.
 *   nnom_fp_one_over_one_plus_x  1 / (1 + x) for x in [0, 1) in Q0; result Q0.
 *   nnom_fp_one_minus_x_over_one_plus_x  (1 - x) / (1 + x), x in [0, 1); Q0.
 */
#ifndef NNOM_KERNELS_FIXEDPOINT_H
#define NNOM_KERNELS_FIXEDPOINT_H

#include <stdint.h>

#include "kernels/requant.h"

#define NNOM_FP_Q0_ONE INT32_MAX
/* 1 in Q2 */
#define NNOM_FP_Q2_ONE (1 << 29)
/* Newton-Raphson start for 1 / d, d in [1/2, 1): 48/17 - 32/17 d, constants in Q2 */
#define NNOM_FP_48_OVER_17 1515870810
#define NNOM_FP_NEG_32_OVER_17 (-1010580540)

/* x * 2^exponent, saturated to int32 (exponent >= 0). */
static inline int32_t nnom_fp_sat_shl(int32_t x, int exponent)
{
    const int64_t v = (int64_t)x * ((int64_t)1 << exponent);
    return v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : (int32_t)v);
}

/* Rescales raw from Q(from) to Q(to): a saturating left shift or a rounding right shift. */
static inline int32_t nnom_fp_rescale(int32_t raw, int from, int to)
{
    return to < from ? nnom_fp_sat_shl(raw, from - to) : nnom_rounding_shr(raw, to - from);
}

/* exp(x) for x in [-1/4, 0), x in Q0; result Q0. A Taylor expansion around -1/8. */
static inline int32_t nnom_fp_exp_quarter(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668; /* Q0 */
    const int32_t one_third = 715827883;             /* Q0 */
    const int32_t x = a + (1 << 28);                 /* a + 1/8 */
    const int32_t x2 = nnom_srdhm(x, x);
    const int32_t x3 = nnom_srdhm(x2, x);
    const int32_t x4 = nnom_srdhm(x2, x2);
    const int32_t x4_over_4 = nnom_rounding_shr(x4, 2);
    const int32_t poly = nnom_rounding_shr(nnom_srdhm(x4_over_4 + x3, one_third) + x2, 1);
    return exp_minus_one_eighth + nnom_srdhm(exp_minus_one_eighth, x + poly);
}

/* exp(a) for a <= 0 in Q(bits); result Q0. */
static inline int32_t nnom_fp_exp_neg(int32_t a, int bits)
{
    /* exp(-2^k) in Q0 for k = -2 .. 4 */
    static const int32_t exp_neg_pow2[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int frac = 31 - bits;
    const int32_t quarter = (int32_t)1 << (frac - 2);
    const int32_t a_mod_quarter_minus_quarter = (a & (quarter - 1)) - quarter;
    int32_t result = nnom_fp_exp_quarter(nnom_fp_rescale(a_mod_quarter_minus_quarter, bits, 0));
    const int32_t remainder = a_mod_quarter_minus_quarter - a;
    for (int k = -2; k <= 4; k++) {
        if (bits > k && (remainder & ((int32_t)1 << (frac + k)))) result = nnom_srdhm(result, exp_neg_pow2[k + 2]);
    }
    if (bits > 5 && a < -((int32_t)1 << (frac + 5))) result = 0;
    return a == 0 ? NNOM_FP_Q0_ONE : result;
}

/* Three Newton-Raphson steps towards 1 / half_denominator; result Q2. */
static inline int32_t nnom_fp_newton_reciprocal(int32_t half_denominator)
{
    int32_t x = NNOM_FP_48_OVER_17 + nnom_srdhm(half_denominator, NNOM_FP_NEG_32_OVER_17);
    for (int i = 0; i < 3; i++) {
        const int32_t hd_x = nnom_srdhm(half_denominator, x);
        const int32_t one_minus = NNOM_FP_Q2_ONE - hd_x;
        x = x + nnom_fp_sat_shl(nnom_srdhm(x, one_minus), 2);
    }
    return x;
}

/* (a + b) / 2 rounded half away from zero, in 64 bits. */
static inline int32_t nnom_fp_rounding_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + (int64_t)b;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

static inline int32_t nnom_fp_one_over_one_plus_x(int32_t a)
{
    const int32_t x = nnom_fp_newton_reciprocal(nnom_fp_rounding_half_sum(a, NNOM_FP_Q0_ONE));
    return nnom_fp_sat_shl(x, 1); /* x / 2, from Q2 via Q1 to Q0 */
}

static inline int32_t nnom_fp_one_minus_x_over_one_plus_x(int32_t a)
{
    const int32_t x = nnom_fp_newton_reciprocal(nnom_fp_rounding_half_sum(a, NNOM_FP_Q0_ONE));
    return nnom_fp_sat_shl(x - NNOM_FP_Q2_ONE, 2);
}

#endif /* NNOM_KERNELS_FIXEDPOINT_H */

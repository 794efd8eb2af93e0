/*
 * Fixed-point requantisation shared by every int8 kernel.
 *
 * An int32 accumulator is scaled by a real factor M = multiplier * 2^(shift-31)
 * (multiplier in [2^30, 2^31)), exactly as TFLite's reference does it:
 *   1. shift > 0: multiply by 2^shift first;
 *   2. saturating rounding doubling high multiply by the Q31 multiplier
 *      (round half away from zero of a*b / 2^31);
 *   3. shift < 0: rounding right shift by -shift (round half away from zero).
 * Only integer maths; 64-bit products avoid signed overflow.
 */
#ifndef NNOM_KERNELS_REQUANT_H
#define NNOM_KERNELS_REQUANT_H

#include <stdint.h>

/* The shifts a {multiplier, shift} pair may have (a real factor from 2^-62 to 2^30), and the
 * check every layer makes of the pairs in its blobs (multiplier >= 0). */
#define NNOM_SHIFT_MIN (-31)
#define NNOM_SHIFT_MAX 30
static inline int nnom_requant_pair_ok(int32_t multiplier, int32_t shift)
{
    return multiplier >= 0 && shift >= NNOM_SHIFT_MIN && shift <= NNOM_SHIFT_MAX;
}

static inline int32_t nnom_srdhm(int32_t a, int32_t b)
{
    /* the only overflowing case: (-2^31) * (-2^31) */
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
    return (int32_t)((ab + nudge) / (1LL << 31));
}

/* The largest exponent nnom_rounding_shr() takes. */
#define NNOM_ROUNDING_SHR_MAX 31

/* round(x / 2^exponent), half away from zero; exponent <= 0 returns x.
 * Precondition: exponent <= NNOM_ROUNDING_SHR_MAX (a larger one would shift an int32 past its width).
 * Every requantisation stays inside (shift >= NNOM_SHIFT_MIN); a caller whose exponent can grow past
 * 31 handles that case itself (kernels/softmax_tflite_s8.c). */
static inline int32_t nnom_rounding_shr(int32_t x, int32_t exponent)
{
    if (exponent <= 0) return x;
    const int32_t mask = (int32_t)((1LL << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

static inline int32_t nnom_requantize(int32_t acc, int32_t multiplier, int32_t shift)
{
    if (shift > 0) {
        int64_t v = (int64_t)acc * ((int64_t)1 << shift);
        acc = v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : (int32_t)v);
        return nnom_srdhm(acc, multiplier);
    }
    return nnom_rounding_shr(nnom_srdhm(acc, multiplier), -shift);
}

/*
 * The same requantisation in 32-bit steps, with the output zero point zp
 * folded in, for |acc| < 2^30 and shift in [-22, -1] (e = -shift), any int32
 * multiplier m:
 *   u = floor((2 acc m + 2^31) / 2^32)   the doubling high multiply (ties up):
 *                                        the high word of one 32x32->64 multiply
 *   v = (u - [u < 0] + c) >> e,  c = 2^(e-1) + zp 2^e   (nnom_requant32_const)
 * equal to nnom_requantize(acc, m, shift) + zp. Why: u is what SMMULR(2 acc, m)
 * gives, and (u - [u < 0] + 2^(e-1)) >> e is nnom_arm_requant() of
 * kernels/arm/arm_dsp.h, whose equality with the reference is shown there;
 * adding zp 2^e (a multiple of 2^e) before the shift adds zp after it.
 * In range: |2 acc m| < 2^62, |u| <= 2^30, |c| < 2^21 + 2^29.
 */
static inline int32_t nnom_requant32_const(int32_t e, int32_t zp)
{
    return (int32_t)((1u << (e - 1)) + ((uint32_t)zp << e));
}
static inline int32_t nnom_requant32(int32_t acc, int32_t m, int32_t e, int32_t c)
{
    const int32_t u = (int32_t)(((int64_t)(2 * acc) * m + ((int64_t)1 << 31)) >> 32);
    return (u + (u >> 31) + c) >> e;
}
/* The domain of nnom_requant32 for a shift: */
#define NNOM_REQUANT32_MAX_E 22
#define NNOM_REQUANT32_MAX_ACC ((1 << 30) - 1)

static inline int8_t nnom_clamp_s8(int32_t v, int32_t lo, int32_t hi)
{
    return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}

#endif /* NNOM_KERNELS_REQUANT_H */

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

static inline int32_t nnom_srdhm(int32_t a, int32_t b)
{
    /* the only overflowing case: (-2^31) * (-2^31) */
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
    return (int32_t)((ab + nudge) / (1LL << 31));
}

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

static inline int8_t nnom_clamp_s8(int32_t v, int32_t lo, int32_t hi)
{
    return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}

#endif /* NNOM_KERNELS_REQUANT_H */

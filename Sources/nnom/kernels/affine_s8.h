/*
 * Internal to the int8 kernels: an int8 -> int8 per-channel affine map in 32-bit steps, and
 * 256-entry lookups. Shared by kernels/depthwise_affine_s8.c (per-channel affine layers),
 * kernels/activation_s8.c (activation tables) and kernels/concat.c (requantised inputs).
 *
 * A channel maps an int8 x to
 *   y(x) = clamp(nnom_requant32(x * w + base, m, e, c), lo, hi)      (kernels/requant.h)
 * with its constants kept as w2 = 2 w and base2 = 2 base, so that
 *   acc2 = x * w2 + base2 = 2 (x * w + base)
 * is the doubled accumulator nnom_requant32 multiplies, and each element is a multiply-add, the
 * doubling high multiply and a shift:
 *   u = floor((acc2 m + 2^31) / 2^32),  y = (u + (u >> 31) + c) >> e
 * exactly nnom_requant32's steps. On cores with DSP, when m > 2^30, the same value is
 * (SMMLAR(acc2, m, c) + (acc2 >> 31)) >> e (nnom_arm_requant_zp of kernels/arm/arm_dsp.h: there
 * u < 0 exactly when acc2 < 0, and c, a multiple of 2^e plus 2^(e-1), is added before the
 * rounding of the high word because it is an integer).
 * Preconditions (the callers check them, once per channel): e in [1, NNOM_REQUANT32_MAX_E],
 * |x * w + base| <= NNOM_REQUANT32_MAX_ACC for every int8 x (so |acc2| < 2^31), c =
 * nnom_requant32_const(e, zp), -128 <= lo <= hi <= 127.
 */
#ifndef NNOM_KERNELS_AFFINE_S8_H
#define NNOM_KERNELS_AFFINE_S8_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels/arm/arm_dsp.h"
#include "kernels/requant.h"

#if defined(__GNUC__)
#define NNOM_AFFINE_INLINE static inline __attribute__((always_inline))
#else
#define NNOM_AFFINE_INLINE static inline
#endif

/* Entries of a lookup table (one per int8 value); a table is used through its middle, tm = t + 128,
 * indexed by the signed value. */
#define NNOM_AFFINE_VALUES 256

/* One channel's constants (see the top of the file). */
typedef struct {
    int32_t w2, base2; /* 2 w, 2 base */
    int32_t m, e, c;   /* multiplier, right shift, 2^(e-1) + zp 2^e */
} nnom_affine_chan;

/* The requantised value of acc2 before the clamp; @p above: the DSP form for m > 2^30. */
NNOM_AFFINE_INLINE int32_t nnom_affine_requant(int32_t acc2, int32_t m, int32_t e, int32_t c, const int above)
{
#if NNOM_USE_ARM_DSP
    if (above) return (nnom_arm_smmlar(acc2, m, c) + (acc2 >> 31)) >> e;
    const int32_t u = nnom_arm_smmulr(acc2, m);
#else
    (void)above;
    const int32_t u = (int32_t)(((int64_t)acc2 * m + ((int64_t)1 << 31)) >> 32);
#endif
    return (u + (u >> 31) + c) >> e;
}

/* y clamped to [lo, hi] (@p clamp), else saturated to int8 (the same when lo = -128, hi = 127). */
NNOM_AFFINE_INLINE int8_t nnom_affine_clamp(int32_t y, int32_t lo, int32_t hi, const int clamp)
{
    if (clamp) return (int8_t)(y < lo ? lo : (y > hi ? hi : y));
#if NNOM_USE_ARM_DSP
    return (int8_t)__ssat(y, 8);
#else
    return (int8_t)(y < INT8_MIN ? INT8_MIN : (y > INT8_MAX ? INT8_MAX : y));
#endif
}

/* o[p * step] = y(i[p * step]) for p < n, two pixels at a time (their loads first: i == o works; two,
 * not four: the loop's constants, pointers and strides then stay in registers on a Cortex-M). */
NNOM_AFFINE_INLINE void nnom_affine_span_k(const nnom_affine_chan *k, const int8_t *i, int8_t *o, ptrdiff_t n,
                                           ptrdiff_t step, int32_t lo, int32_t hi, const int above, const int clamp)
{
    const int32_t w2 = k->w2, b2 = k->base2, m = k->m, e = k->e, c = k->c;
    const int8_t *const end2 = i + (n & ~(ptrdiff_t)1) * step;
    while (i != end2) {
        const int32_t x0 = i[0], x1 = i[step];
        o[0] = nnom_affine_clamp(nnom_affine_requant(x0 * w2 + b2, m, e, c, above), lo, hi, clamp);
        o[step] = nnom_affine_clamp(nnom_affine_requant(x1 * w2 + b2, m, e, c, above), lo, hi, clamp);
        i += 2 * step;
        o += 2 * step;
    }
    if (n & 1) *o = nnom_affine_clamp(nnom_affine_requant(*i * w2 + b2, m, e, c, above), lo, hi, clamp);
}

/* tm[x] = y(x) for every int8 x (tm: a table's middle), four entries a step (each accumulator its own
 * multiply-add: none is formed for an x outside int8, where it could leave int32). */
NNOM_AFFINE_INLINE void nnom_affine_table_k(const nnom_affine_chan *k, int8_t *tm, int32_t lo, int32_t hi,
                                            const int above, const int clamp)
{
    const int32_t w2 = k->w2, b2 = k->base2, m = k->m, e = k->e, c = k->c;
    for (int32_t x = INT8_MIN; x <= INT8_MAX; x += 4) {
        tm[x] = nnom_affine_clamp(nnom_affine_requant(x * w2 + b2, m, e, c, above), lo, hi, clamp);
        tm[x + 1] = nnom_affine_clamp(nnom_affine_requant((x + 1) * w2 + b2, m, e, c, above), lo, hi, clamp);
        tm[x + 2] = nnom_affine_clamp(nnom_affine_requant((x + 2) * w2 + b2, m, e, c, above), lo, hi, clamp);
        tm[x + 3] = nnom_affine_clamp(nnom_affine_requant((x + 3) * w2 + b2, m, e, c, above), lo, hi, clamp);
    }
}

/* o[p * step] = tm[i[p * step]] for p < n, four at a time (the loads first: i == o works). */
static inline void nnom_lookup_strided_s8(const int8_t *tm, const int8_t *i, int8_t *o, ptrdiff_t n, ptrdiff_t step)
{
    const int8_t *const end4 = i + (n & ~(ptrdiff_t)3) * step, *const end = i + n * step;
    while (i != end4) {
        const int32_t x0 = i[0], x1 = i[step], x2 = i[2 * step], x3 = i[3 * step];
        const int8_t y0 = tm[x0], y1 = tm[x1], y2 = tm[x2], y3 = tm[x3];
        o[0] = y0;
        o[step] = y1;
        o[2 * step] = y2;
        o[3 * step] = y3;
        i += 4 * step;
        o += 4 * step;
    }
    for (; i != end; i += step, o += step) *o = tm[*i];
}

/* The four bytes of word x looked up in tm, each put back at its place in the word. On cores with
 * DSP in a fixed order, the four indices (SXTB with a rotation), then the four loads in a row (the
 * Cortex-M4 pipelines a load that follows a load), then the three ORR: compilers interleave them. */
NNOM_AFFINE_INLINE uint32_t nnom_lookup4_s8(const int8_t *tm, uint32_t x)
{
#if NNOM_USE_ARM_DSP
    uint32_t y0, y1, y2, y3;
    __asm__("sxtb %0, %4\n\t"
            "sxtb %1, %4, ror #8\n\t"
            "sxtb %2, %4, ror #16\n\t"
            "asr %3, %4, #24\n\t"
            "ldrb %0, [%5, %0]\n\t"
            "ldrb %1, [%5, %1]\n\t"
            "ldrb %2, [%5, %2]\n\t"
            "ldrb %3, [%5, %3]\n\t"
            "orr %0, %0, %1, lsl #8\n\t"
            "orr %0, %0, %2, lsl #16\n\t"
            "orr %0, %0, %3, lsl #24"
            : "=&r"(y0), "=&r"(y1), "=&r"(y2), "=&r"(y3)
            : "r"(x), "r"(tm), "m"(*(const int8_t(*)[NNOM_AFFINE_VALUES])(tm + INT8_MIN)));
    return y0;
#else
    return (uint32_t)(uint8_t)tm[(int8_t)x] | (uint32_t)(uint8_t)tm[(int8_t)(x >> 8)] << 8 |
           (uint32_t)(uint8_t)tm[(int8_t)(x >> 16)] << 16 | (uint32_t)(uint8_t)tm[(int8_t)(x >> 24)] << 24;
#endif
}

/*
 * o[p] = tm[i[p]] for p < n, words of four values at a time (two words a step): each byte is taken
 * from its word by a shift and its result put back at the same shift, so the byte order of the core
 * does not matter. i == o works (words are read before they are written); other overlaps do not.
 */
static inline void nnom_lookup_s8(const int8_t *tm, const int8_t *i, int8_t *o, ptrdiff_t n)
{
    ptrdiff_t p = 0;
    for (; p + 8 <= n; p += 8) {
        uint32_t x0, x1;
        memcpy(&x0, i + p, 4);
        memcpy(&x1, i + p + 4, 4);
        const uint32_t y0 = nnom_lookup4_s8(tm, x0), y1 = nnom_lookup4_s8(tm, x1);
        memcpy(o + p, &y0, 4);
        memcpy(o + p + 4, &y1, 4);
    }
    for (; p < n; p++) o[p] = tm[i[p]];
}

#endif /* NNOM_KERNELS_AFFINE_S8_H */

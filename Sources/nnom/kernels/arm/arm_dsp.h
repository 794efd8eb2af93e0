/*
 * Cortex-M DSP-extension kernels: when they are used, and what they share.
 *
 * NNOM_USE_ARM_DSP is 1 when compiling for a core with the DSP extension
 * (Armv7E-M: Cortex-M4, M7; Armv8-M Mainline with DSP: M33, M55 ...), where
 * __ARM_FEATURE_DSP is defined, unless NNOM_PORTABLE_KERNELS is defined
 * (to measure or test the portable C on such a core).
 *
 * How a twin replaces its portable kernel: the portable file (e.g.
 * kernels/conv_s8.c) includes this header and, when NNOM_USE_ARM_DSP is 1,
 * defines NNOM_ARM_DSP_TWIN and includes kernels/arm/conv_s8.c instead of
 * compiling its own body. So no build system has to know about this folder:
 * the same list of sources serves every target, and a file of this folder
 * compiled on its own (a glob of every .c) is empty. With NNOM_ARM_DSP_TWIN=1
 * defined, each compiles alone into its kernels: Tests/firmware/run.sh builds
 * every one that way, warnings as errors, for several Cortex-M cores. Each twin defines the
 * same functions as its portable file, bit-exact with it (Tests/firmware/
 * checks it under QEMU on random shapes).
 *
 * The kernels use the ACLE intrinsics of <arm_acle.h>: SXTB16 / SXTAB16 to
 * widen four int8 values into two registers of int16 pairs, SMLAD to do two
 * 16x16 multiply-accumulates per instruction.
 */
#ifndef NNOM_KERNELS_ARM_DSP_H
#define NNOM_KERNELS_ARM_DSP_H

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && !defined(NNOM_PORTABLE_KERNELS)
#define NNOM_USE_ARM_DSP 1
#else
#define NNOM_USE_ARM_DSP 0
#endif

/* The depthwise kernel's 5x5 paths (depthwise_row5.h, depthwise_five4.h: 2-3x faster on 5x5 layers,
 * about 10 KB of flash at -Os); 0 (CMake: -DNNOM_DW_5X5_KERNELS=OFF) leaves them out, and 5x5 layers
 * run the general paths, with the same results. */
#ifndef NNOM_DW_5X5_KERNELS
#define NNOM_DW_5X5_KERNELS 1
#endif

/* 1: the kernels' compact forms (their loops in place of the longest straight-line copies of a pass:
 * pass2, pass3, the first-layer and dense passes, a pointwise layer's columns kept on the stack),
 * fewer KB of flash for a few percent of speed; the same results. By default the optimisation level
 * decides: 1 at -Os, 0 otherwise. CMake: -DNNOM_COMPACT_KERNELS=ON takes them at any level (e.g. with
 * -O2 for the rest of the firmware). */
#ifndef NNOM_COMPACT_KERNELS
#if defined(__OPTIMIZE_SIZE__)
#define NNOM_COMPACT_KERNELS 1
#else
#define NNOM_COMPACT_KERNELS 0
#endif
#endif

#if NNOM_USE_ARM_DSP
#include <arm_acle.h>
#include <stdint.h>
#include <string.h>

/* Four bytes from any address (Armv7-M LDR allows unaligned addresses). */
static inline uint32_t nnom_arm_load4(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The two int16 pairs of a word of four int8 b0..b3 (b0 lowest), sign-extended:
 * lo = (b0, b2), hi = (b1, b3). The pairing is what SXTB16 gives for free;
 * data and weights only have to agree on it. The _add forms also add the
 * int16 pair @p add to both lanes (SXTAB16), e.g. minus a zero point.
 * The "hi" forms need SXTB16's rotate operand, which ACLE cannot express
 * (GCC 12 emits a separate ROR for __sxtb16(__ror(x, 8))): one instruction of
 * inline assembly each. */
static inline uint32_t nnom_arm_pairs_lo(uint32_t word) { return __sxtb16(word); }
static inline uint32_t nnom_arm_pairs_hi(uint32_t word)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(word));
    return r;
}
static inline uint32_t nnom_arm_widen_lo(uint32_t add, uint32_t word) { return __sxtab16(add, word); }
static inline uint32_t nnom_arm_widen_hi(uint32_t add, uint32_t word)
{
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(add), "r"(word));
    return r;
}

/* lo, hi = the two words at byte offset `off` (a constant, multiple of 4,
 * below 1024) from the word-aligned pointer base, in one LDRD. */
#define NNOM_ARM_LDRD(lo, hi, base, off)                                              \
    __asm__("ldrd %0, %1, [%2, %3]"                                                   \
            : "=&r"(lo), "=&r"(hi)                                                    \
            : "r"(base), "i"(off), "m"(*(const uint32_t(*)[2])((const char *)(base) + (off))))

/* round(a * b / 2^32), ties up: the high word of a*b + 2^31 (SMMULR; ACLE has no intrinsic for it). */
static inline int32_t nnom_arm_smmulr(int32_t a, int32_t b)
{
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/*
 * Requantisation of acc = dot + bias, when |acc| < 2^30 and shift <= -1
 * (e = -shift): equal to nnom_conv_quant_out() of kernels/conv.h and to
 * TFLite's MultiplyByQuantizedMultiplier before the zero point.
 *   u = floor((acc * m + 2^30) / 2^31)         the doubling high multiply, ties up;
 *                                             = round((2 acc) * m / 2^32) = SMMULR(2 acc, m)
 *   v = floor((u - [u < 0] + 2^(e-1)) / 2^e)    rounding right shift, ties away from zero
 * Why the second line: conv.h's form is floor((A + 2^(30+e) - [A<0] 2^31) / 2^(31+e))
 * with A = acc*m + 2^30; the added terms are an integer multiple of 2^31, so
 * dividing by 2^31 first (floor of floor) gives u plus that integer, and
 * A < 0 exactly when u < 0. |acc| < 2^30 keeps 2 acc, u and the sum in int32.
 */
static inline int32_t nnom_arm_requant(int32_t acc, int32_t mult, int32_t e, int32_t half)
{
    const int32_t u = nnom_arm_smmulr(acc * 2, mult);
    return (u + (u >> 31) + half) >> e;
}

/* c + round(a * b / 2^32), ties up: the high word of c * 2^32 + a*b + 2^31 (SMMLAR). */
static inline int32_t nnom_arm_smmlar(int32_t a, int32_t b, int32_t c)
{
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(c));
    return r;
}

/*
 * The same requantisation with the output zero point zp folded in, in five
 * instructions (LSL, SMMLAR, ADD, ASR; the caller's SSAT clamps), when also
 * 2^30 < mult (then u < 0 exactly when acc < 0) and e <= 22:
 *   nnom_arm_requant(acc, mult, e, 2^(e-1)) + zp
 *     = (u - [acc < 0] + 2^(e-1) + zp * 2^e) >> e       (zp * 2^e is a multiple of 2^e)
 *     = (SMMLAR(2 acc, mult, c) + (acc >> 31)) >> e     with c = 2^(e-1) + zp * 2^e.
 * Why u < 0 iff acc < 0: acc <= -1 gives acc * mult + 2^30 <= 2^30 - mult < 0,
 * acc >= 0 gives a positive sum. In int32: |u| <= 2^30 and |c| <= 2^21 + 2^29.
 */
static inline int32_t nnom_arm_requant_zp(int32_t acc, int32_t mult, int32_t c, int32_t e)
{
    return (nnom_arm_smmlar(acc * 2, mult, c) + (acc >> 31)) >> e;
}
static inline int32_t nnom_arm_requant_zp_const(int32_t e, int32_t zp)
{
    return (int32_t)((1u << (e - 1)) + ((uint32_t)zp << e));
}
#endif /* NNOM_USE_ARM_DSP */

#endif /* NNOM_KERNELS_ARM_DSP_H */

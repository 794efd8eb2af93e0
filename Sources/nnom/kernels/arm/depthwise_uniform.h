/*
 * Internal to kernels/arm/depthwise_conv_s8.c: a per-channel affine layer (nnom_depthwise_is_affine:
 * a 1x1 kernel, stride 1, multiplier 1, no padding) whose every channel has the same weight, bias,
 * multiplier and shift, as the converter makes a number added to or multiplying a tensor (MobileNetV3's
 * squeeze-excitation x + 3 and x / 6 on a 1 x 1 map) and a scalar Rescaling (the first layer of
 * MobileNetV3, in the row bands of its tiled stage). Such a layer is one int8 -> int8 map of every
 * element, the channels' order no longer matters: the n = pixels * C elements are one run, with
 * channel 0's constants in registers (kernels/affine_s8.h: y = clamp(nnom_requant32(x * w + bias -
 * in_zp * w, m, e, c))), in one of two forms:
 *  - runs of DW_UNI_TABLE_MIN elements and more: the map's 256 values written into a table on the
 *    stack (nnom_affine_table_k, about 2,200 estimated cycles on the Cortex-M4), then each word of
 *    four elements looked up (nnom_lookup_s8);
 *  - shorter runs: each element computed, a word of four a step (dw_uni_span(); the DSP form SMMLAR
 *    when m > 2^30).
 * The same values as kernels/depthwise_affine_s8.c computes channel by channel (the same function of
 * the same constants). in == out works (each word is read before it is written).
 *
 * Preconditions of the fast forms, checked once on channel 0 (as kernels/depthwise_affine_s8.c does per
 * channel): shift in [-NNOM_REQUANT32_MAX_E, -1] and |bias| <= DW_UNI_BIAS_MAX; and no clamp beyond
 * int8 (act_min -128, act_max 127: such layers' clamps are their int8 range). Otherwise, and for
 * layers whose channels differ, dw_uniform_affine() returns 0 and the caller runs the per-channel
 * kernel.
 * Cost of the check: the weight byte of every channel compared with channel 0's, then its multiplier,
 * shift and bias words, four channels a step (12 words and 23 operations); it leaves at the first
 * difference (a BatchNormalization's weights: at channel 1 or so).
 */
#ifndef NNOM_KERNELS_ARM_DEPTHWISE_UNIFORM_H
#define NNOM_KERNELS_ARM_DEPTHWISE_UNIFORM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels/affine_s8.h"
#include "kernels/conv.h"
#include "kernels/requant.h"

enum {
    /* Elements from which the table beats computing each one (Cortex-M4, estimated: about 2,200
     * cycles a table, 3.3 an element looked up, 9 to 10 an element computed) */
    DW_UNI_TABLE_MIN = 384,
    /* Channels compared per step of the check */
    DW_UNI_STEP = 4
};
/* A byte repeated four times in a word: b * DW_UNI_BYTES */
#define DW_UNI_BYTES 0x01010101u

/* A bias from which nnom_requant32's domain may be left: |x * w + bias - in_zp * w| <= |bias| + 255 * 128
 * for int8 x and in_zp (|w| <= 128), below 2^30 when |bias| <= DW_UNI_BIAS_MAX. */
#define DW_UNI_BIAS_MAX (NNOM_REQUANT32_MAX_ACC - 255 * 128)

/* 1 when channels 1 .. C-1 of @p a have channel 0's weight, bias, multiplier and shift: the weights
 * four bytes a word, then the three words of DW_UNI_STEP channels a step. */
static inline int dw_uniform_channels(const nnom_conv_args *a)
{
    const int32_t C = a->in_c, *m = a->multiplier, *s = a->shift;
    /* (no bias: the multipliers compared twice instead, harmless) */
    const int32_t *b = a->bias ? (const int32_t *)a->bias : m;
    const int8_t *w = (const int8_t *)a->weights;
    const int8_t w0 = w[0];
    /* the weights' words (their byte order does not matter: the four bytes are equal) */
    const uint32_t w4 = (uint32_t)(uint8_t)w0 * DW_UNI_BYTES;
    int32_t c = 0;
    for (; c + 4 <= C; c += 4) {
        uint32_t x;
        memcpy(&x, w + c, sizeof x);
        if (x != w4) return 0;
    }
    for (; c < C; c++)
        if (w[c] != w0) return 0;
    const int32_t m0 = m[0], s0 = s[0], b0 = b[0];
    for (c = 0; c + DW_UNI_STEP <= C; c += DW_UNI_STEP)
        if (((m[c] ^ m0) | (m[c + 1] ^ m0) | (m[c + 2] ^ m0) | (m[c + 3] ^ m0) | (s[c] ^ s0) | (s[c + 1] ^ s0) |
             (s[c + 2] ^ s0) | (s[c + 3] ^ s0) | (b[c] ^ b0) | (b[c + 1] ^ b0) | (b[c + 2] ^ b0) | (b[c + 3] ^ b0)) != 0)
            return 0;
    for (; c < C; c++)
        if (m[c] != m0 || s[c] != s0 || b[c] != b0) return 0;
    return 1;
}

/* y(x) of kernels/affine_s8.h for channel constants k (see there), no clamp beyond int8. */
#define DW_UNI_Y(x) nnom_affine_clamp(nnom_affine_requant((x) * w2 + b2, m, e, c, above), INT8_MIN, INT8_MAX, 0)

/* o[p] = y(i[p]) for p < n: a word of four inputs a step, its bytes taken in memory order
 * (little-endian, as every kernel of this folder), the four outputs stored after the word is read
 * (i == o works); the last n % 4 one at a time. */
static inline __attribute__((always_inline)) void dw_uni_span(const nnom_affine_chan *k, const int8_t *i, int8_t *o,
                                                              ptrdiff_t n, const int above)
{
    const int32_t w2 = k->w2, b2 = k->base2, m = k->m, e = k->e, c = k->c;
    const int8_t *const end4 = i + (n & ~(ptrdiff_t)3), *const end = i + n;
    for (; i != end4; i += 4, o += 4) {
        uint32_t x;
        memcpy(&x, i, sizeof x);
        const int32_t x0 = (int8_t)x, x1 = (int8_t)(x >> 8), x2 = (int8_t)(x >> 16), x3 = (int32_t)x >> 24;
        o[0] = DW_UNI_Y(x0);
        o[1] = DW_UNI_Y(x1);
        o[2] = DW_UNI_Y(x2);
        o[3] = DW_UNI_Y(x3);
    }
    for (; i != end; i++, o++) *o = DW_UNI_Y((int32_t)*i);
}

/* The run's forms, each its own function (its loop's registers its own): computed, the multiplier
 * above 2^30 (the DSP form) or not; through the table. */
__attribute__((noinline)) static void dw_uni_run_above(const nnom_affine_chan *k, const int8_t *i, int8_t *o, ptrdiff_t n)
{
    dw_uni_span(k, i, o, n, 1);
}
__attribute__((noinline)) static void dw_uni_run(const nnom_affine_chan *k, const int8_t *i, int8_t *o, ptrdiff_t n)
{
    dw_uni_span(k, i, o, n, 0);
}
__attribute__((noinline)) static void dw_uni_table(const nnom_affine_chan *k, const int8_t *i, int8_t *o, ptrdiff_t n)
{
    int8_t table[NNOM_AFFINE_VALUES];
    int8_t *const tm = table - INT8_MIN;
    nnom_affine_table_k(k, tm, INT8_MIN, INT8_MAX, 0, 0);
    nnom_lookup_s8(tm, i, o, n);
}

/* Runs layer @p a (nnom_depthwise_is_affine(a)) as one map when it has no clamp beyond int8, its
 * channels are uniform and channel 0 is in the fast forms' domain, and returns 1; otherwise returns 0
 * and writes nothing. */
static inline int dw_uniform_affine(const nnom_conv_args *a, const int8_t *in, int8_t *out)
{
    const int32_t b = a->bias ? ((const int32_t *)a->bias)[0] : 0, e = -a->shift[0];
    if (a->act_min != INT8_MIN || a->act_max != INT8_MAX || e < 1 || e > NNOM_REQUANT32_MAX_E || b < -DW_UNI_BIAS_MAX ||
        b > DW_UNI_BIAS_MAX || !dw_uniform_channels(a))
        return 0;
    const ptrdiff_t n = (ptrdiff_t)a->in_h * a->in_w * a->in_c;
    const int32_t w = ((const int8_t *)a->weights)[0];
    nnom_affine_chan k;
    k.w2 = 2 * w;
    k.base2 = 2 * (b - a->in_zp * w); /* |.| < 2^31: see DW_UNI_BIAS_MAX */
    k.m = a->multiplier[0];
    k.e = e;
    k.c = nnom_requant32_const(e, a->out_zp);
    if (n >= DW_UNI_TABLE_MIN) dw_uni_table(&k, in, out, n);
    else if (k.m > (1 << 30)) dw_uni_run_above(&k, in, out, n);
    else dw_uni_run(&k, in, out, n);
    return 1;
}

/* A per-channel affine layer (nnom_depthwise_is_affine(a)): as one map where dw_uniform_affine() can,
 * else channel by channel (kernels/depthwise_affine_s8.c). In a function of its own, so that the
 * depthwise kernel's dispatch keeps its frame. */
__attribute__((noinline)) static void dw_affine(const nnom_conv_args *a, const int8_t *in, int8_t *out)
{
    if (!dw_uniform_affine(a, in, out)) nnom_depthwise_affine_s8(a, in, out);
}

#endif /* NNOM_KERNELS_ARM_DEPTHWISE_UNIFORM_H */

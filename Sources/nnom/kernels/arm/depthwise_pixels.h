/*
 * The pixel-major path of the Cortex-M DSP depthwise convolution
 * (kernels/arm/depthwise_conv_s8.c, which includes this file): output planes
 * too small for the per-channel set-up of the planar path (fewer than
 * DW_MIN_PLANE pixels), pixel by pixel, four channels at a time in SIMD
 * within a register (depth multiplier 1: SXTAB16 widens a word of four input
 * channels minus the zero point, SMLABB / SMLATT multiply), the other
 * channels one at a time; the taps outside the input skipped.
 *
 * Requantisation: nnom_arm_requant() of arm_dsp.h with the bias in the sum
 * when the shift is a right shift and |dot + bias| < 2^30 (|dot| <=
 * k_h * k_w * 255 * 128), nnom_conv_quant_out() of conv.h otherwise.
 */
#ifndef NNOM_KERNELS_ARM_DEPTHWISE_PIXELS_H
#define NNOM_KERNELS_ARM_DEPTHWISE_PIXELS_H

#include "kernels/arm/arm_dsp.h"

#if NNOM_USE_ARM_DSP
#include <stddef.h>
#include <stdint.h>

#include "kernels/conv.h"

/* Output channel c of one pixel from its sum s (dot + bias when fast, dot otherwise). */
static inline int8_t requant_one(const nnom_conv_args *a, int32_t c, int32_t fast, int32_t s)
{
    if (fast) {
        const int32_t e = -a->shift[c];
        int32_t v = nnom_arm_requant(s, a->multiplier[c], e, 1 << (e - 1)) + a->out_zp;
        v = v < a->act_min ? a->act_min : v;
        return (int8_t)(v > a->act_max ? a->act_max : v);
    }
    const int32_t b = a->bias ? ((const int32_t *)a->bias)[c] : 0;
    const nnom_conv_quant q = nnom_conv_quant_init(b, a->multiplier[c], a->shift[c]);
    return nnom_conv_quant_out(q, s, a->out_zp, a->act_min, a->act_max);
}

/* Where the sum of channel c starts: its bias when the fast path applies, else 0. */
static inline int32_t start_of(const nnom_conv_args *a, int32_t c, int32_t bias_room, int32_t *fast)
{
    const int32_t b = a->bias ? ((const int32_t *)a->bias)[c] : 0;
    *fast = a->shift[c] < 0 && b <= bias_room && b >= -bias_room;
    return *fast ? b : 0;
}

/* Small output planes (fewer than DW_MIN_PLANE pixels), where the per-channel set-up of the
 * row buffer would dominate: pixel by pixel, four channels at a time in SIMD (multiplier 1). */
__attribute__((noinline)) static void pixel_major(const nnom_conv_args *a, const int8_t *in, int8_t *out, int32_t c_first)
{
    const int8_t *w = (const int8_t *)a->weights;
    const int32_t mult = a->depth_mult, out_c = a->out_c, in_c = a->in_c, zp = a->in_zp;
    const uint32_t neg_zp = (uint32_t)(uint16_t)(int16_t)(-zp) * 0x00010001u;
    /* |dot| <= k_h * k_w * 255 * 128 */
    const int32_t bias_room = (int32_t)((1 << 30) - 1 - a->k_h * a->k_w * 32640);
    /* channels done four at a time (depth multiplier 1 only) */
    const int32_t simd_c = mult == 1 ? out_c & ~3 : 0;

    for (int32_t oy = 0; oy < a->out_h; oy++) {
        const int32_t iy0 = oy * a->stride_h - a->pad_top;
        for (int32_t ox = 0; ox < a->out_w; ox++) {
            const int32_t ix0 = ox * a->stride_w - a->pad_left;
            int8_t *o = out + ((ptrdiff_t)oy * a->out_w + ox) * out_c;
            int32_t c = c_first;
            for (; c < simd_c; c += 4) {
                int32_t f0, f1, f2, f3;
                int32_t s0 = start_of(a, c, bias_room, &f0), s1 = start_of(a, c + 1, bias_room, &f1);
                int32_t s2 = start_of(a, c + 2, bias_room, &f2), s3 = start_of(a, c + 3, bias_room, &f3);
                for (int32_t ky = 0; ky < a->k_h; ky++) {
                    const int32_t iy = iy0 + ky * a->dil_h;
                    if (iy < 0 || iy >= a->in_h) continue;
                    const int8_t *row = in + (ptrdiff_t)iy * a->in_w * in_c + c;
                    const int8_t *wrow = w + (ptrdiff_t)ky * a->k_w * out_c + c;
                    for (int32_t kx = 0; kx < a->k_w; kx++) {
                        const int32_t ix = ix0 + kx * a->dil_w;
                        if (ix < 0 || ix >= a->in_w) continue;
                        const uint32_t xw = nnom_arm_load4(row + (ptrdiff_t)ix * in_c);
                        const uint32_t ww = nnom_arm_load4(wrow + (ptrdiff_t)kx * out_c);
                        const uint32_t xa = nnom_arm_widen_lo(neg_zp, xw), xb = nnom_arm_widen_hi(neg_zp, xw);
                        const uint32_t wa = nnom_arm_pairs_lo(ww), wb = nnom_arm_pairs_hi(ww);
                        s0 = __smlabb(xa, wa, s0);
                        s2 = __smlatt(xa, wa, s2);
                        s1 = __smlabb(xb, wb, s1);
                        s3 = __smlatt(xb, wb, s3);
                    }
                }
                o[c] = requant_one(a, c, f0, s0);
                o[c + 1] = requant_one(a, c + 1, f1, s1);
                o[c + 2] = requant_one(a, c + 2, f2, s2);
                o[c + 3] = requant_one(a, c + 3, f3, s3);
            }
            for (; c < out_c; c++) {
                int32_t fast;
                int32_t s = start_of(a, c, bias_room, &fast);
                const int32_t ic = c / mult;
                for (int32_t ky = 0; ky < a->k_h; ky++) {
                    const int32_t iy = iy0 + ky * a->dil_h;
                    if (iy < 0 || iy >= a->in_h) continue;
                    for (int32_t kx = 0; kx < a->k_w; kx++) {
                        const int32_t ix = ix0 + kx * a->dil_w;
                        if (ix < 0 || ix >= a->in_w) continue;
                        const int32_t xv = in[((ptrdiff_t)iy * a->in_w + ix) * in_c + ic] - zp;
                        s += xv * w[((ptrdiff_t)ky * a->k_w + kx) * out_c + c];
                    }
                }
                o[c] = requant_one(a, c, fast, s);
            }
        }
    }
}

#endif /* NNOM_USE_ARM_DSP */

#endif /* NNOM_KERNELS_ARM_DEPTHWISE_PIXELS_H */

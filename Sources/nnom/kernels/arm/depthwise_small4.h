/*
 * Small input planes of the channel-group path of the Cortex-M DSP depthwise
 * convolution (kernels/arm/depthwise_group4.h, which includes this file):
 * kernels other than the assembly's 3x3 (MobileNetV3's 5x5 on its 3 x 3 and 4 x 4
 * planes at stride 1, where most taps of 'same' padding fall in the padding),
 * no dilation, any stride, whose input plane of four channels fits the padded
 * copy's buffer widened (DW_G_PAD_WORDS words, two per pixel).
 *
 * A group's input plane is first copied widened and minus the input zero
 * point, (x0 - zp, x2 - zp), (x1 - zp, x3 - zp), two words per pixel, without
 * padding; each output pixel then sums over the taps inside the input only
 * (none in the padding: a padding tap would add (zp - zp) w = 0), a kernel row's
 * taps by a jump into an unrolled run of DW_S4_MAX_W taps (per tap four single
 * loads in a row and 4 multiply-accumulates, no loop test). Stack: none of its
 * own beyond spills (the copy is in the caller's pad). The sums are those of the C loop
 * (dw_g_pixels() on the raw input, SXTAB16 there): scale * (bias + sum (x - zp) w)
 * from the group's start k->init, the weights as dw_groups4() widened them, so
 * the same bounds hold; the ZP or U requantisation of the four channels, no
 * clamp beyond int8. Measured (kernel bench, estimated Cortex-M4 cycles per
 * multiply-accumulate) 5x5 on 3 x 3 x 576: 5.20 -> 3.80 (per output pixel of four channels
 * about 160 cycles where the C loop took 490).
 */
#ifndef NNOM_KERNELS_ARM_DEPTHWISE_SMALL4_H
#define NNOM_KERNELS_ARM_DEPTHWISE_SMALL4_H

#if NNOM_USE_ARM_DSP
#include <stddef.h>
#include <stdint.h>

#include "kernels/conv.h"

enum {
    DW_S4_MAX_W = 7, /* widest kernel row of the unrolled run (DW_G_MAX_TAPS: 7x7) */
    DW_S4_PX_WORDS = 2 /* words a widened pixel of four channels */
};

/* 1 when layer @p a (a group's kernel not the assembly's: see dw_groups4()) takes dw_g_small(). */
static inline int dw_g_small_fits(const nnom_conv_args *a)
{
    return a->dil_h == 1 && a->dil_w == 1 && a->k_w <= DW_S4_MAX_W &&
           DW_S4_PX_WORDS * a->in_h * a->in_w <= DW_G_PAD_WORDS;
}

/* Tap T before the end of a kernel row's run: input pixel at p[-2 T ..], weights at w[-2 T ..]; the
 * four words by single loads in a row (pipelined: an estimated 5 cycles, where two LDRD take 6 and
 * loads between the multiplies 8), then the 4 multiply-accumulates. */
#define DW_S4_TAP(T)                                                                                       \
    do {                                                                                                   \
        uint32_t lo_, hi_, wl_, wh_;                                                                       \
        __asm__ volatile("ldr %[lo], [%[p], #(-8 * " #T ")]\n\t"                                            \
                         "ldr %[hi], [%[p], #(4 - 8 * " #T ")]\n\t"                                         \
                         "ldr %[wl], [%[w], #(-8 * " #T ")]\n\t"                                            \
                         "ldr %[wh], [%[w], #(4 - 8 * " #T ")]"                                             \
                         : [lo] "=&r"(lo_), [hi] "=&r"(hi_), [wl] "=&r"(wl_), [wh] "=r"(wh_)                \
                         : [p] "r"(p), [w] "r"(w)                                                          \
                         : "memory");                                                                      \
        s0 = __smlabb(lo_, wl_, s0);                                                                       \
        s2 = __smlatt(lo_, wl_, s2);                                                                       \
        s1 = __smlabb(hi_, wh_, s1);                                                                       \
        s3 = __smlatt(hi_, wh_, s3);                                                                       \
    } while (0)

/* Every output pixel of channels c0 .. c0 + 3 (dw_g_small_fits(a)), pad the buffer of the copy. */
static inline __attribute__((always_inline)) void dw_g_small_k(const nnom_conv_args *a, const int8_t *in, int8_t *out,
                                                               int32_t c0, const uint32_t *wv, const dw_g_quant *k,
                                                               dw_g_mode mode, uint32_t *pad)
{
    const uint32_t neg_zp = (uint32_t)(uint16_t)(int16_t)(-a->in_zp) * 0x00010001u;
    const int32_t in_h = a->in_h, in_w = a->in_w, k_h = a->k_h, k_w = a->k_w, out_c = a->out_c;
    const ptrdiff_t in_c = a->in_c;
    const int8_t *s = in + c0;
    for (uint32_t *d = pad, *end = pad + DW_S4_PX_WORDS * in_h * in_w; d != end; d += DW_S4_PX_WORDS, s += in_c) {
        const uint32_t v = nnom_arm_load4(s);
        d[0] = nnom_arm_widen_lo(neg_zp, v);
        d[1] = nnom_arm_widen_hi(neg_zp, v);
    }
    const int32_t row = DW_S4_PX_WORDS * in_w;
    int8_t *o = out + c0;
    for (int32_t oy = 0; oy < a->out_h; oy++) {
        const int32_t iy0 = oy * a->stride_h - a->pad_top;
        const int32_t ky0 = iy0 < 0 ? -iy0 : 0, ky1 = in_h - iy0 < k_h ? in_h - iy0 : k_h;
        for (int32_t ox = 0; ox < a->out_w; ox++, o += out_c) {
            const int32_t ix0 = ox * a->stride_w - a->pad_left;
            const int32_t kx0 = ix0 < 0 ? -ix0 : 0, kx1 = in_w - ix0 < k_w ? in_w - ix0 : k_w;
            int32_t s0 = k->init[0], s1 = k->init[1], s2 = k->init[2], s3 = k->init[3];
            if (kx1 > kx0) {
                /* each row's run ends at tap kx1 - 1: p, w there, the run of n taps back from it */
                const int32_t n = kx1 - kx0;
                const uint32_t *p = pad + (ptrdiff_t)(iy0 + ky0) * row + DW_S4_PX_WORDS * (ix0 + kx1 - 1);
                const uint32_t *w = wv + DW_S4_PX_WORDS * (ky0 * k_w + kx1 - 1);
                for (int32_t ky = ky0; ky < ky1; ky++, p += row, w += DW_S4_PX_WORDS * k_w) {
                    switch (n) {
                    case 7: DW_S4_TAP(6); /* fall through */
                    case 6: DW_S4_TAP(5); /* fall through */
                    case 5: DW_S4_TAP(4); /* fall through */
                    case 4: DW_S4_TAP(3); /* fall through */
                    case 3: DW_S4_TAP(2); /* fall through */
                    case 2: DW_S4_TAP(1); /* fall through */
                    case 1: DW_S4_TAP(0); break;
                    } /* (n in [1, k_w]: the taps of a row) */
                }
            }
            o[0] = dw_g_out(k, 0, s0, mode, 0);
            o[1] = dw_g_out(k, 1, s1, mode, 0);
            o[2] = dw_g_out(k, 2, s2, mode, 0);
            o[3] = dw_g_out(k, 3, s3, mode, 0);
        }
    }
}

/* Its forms: the two 32-bit requantisations of a group's four channels (ZP: every multiplier above
 * 2^30, MobileNets'; U), each its own function (the requantisation's constants its own); the
 * groups of other forms take the C loop. */
#define DW_G_SMALL(name, mode)                                                                                   \
    DW_G_SPEED __attribute__((noinline)) static void name(const nnom_conv_args *a, const int8_t *in, int8_t *out, \
                                                          int32_t c0, const uint32_t *wv, const dw_g_quant *k,   \
                                                          uint32_t *pad)                                         \
    {                                                                                                            \
        dw_g_small_k(a, in, out, c0, wv, k, mode, pad);                                                          \
    }
DW_G_SMALL(dw_g_small_zp, DW_G_ZP)
DW_G_SMALL(dw_g_small_u, DW_G_U)

#endif /* NNOM_USE_ARM_DSP */

#endif /* NNOM_KERNELS_ARM_DEPTHWISE_SMALL4_H */

/*
 * 5x5 kernels in the channel-group path of the Cortex-M DSP depthwise
 * convolution: a part of kernels/arm/depthwise_group4.h, which includes it
 * after its requantisation forms (dw_g_quant, dw_g_out(), DW_G_SPEED) and
 * before dw_groups4(), which calls it; not a header of its own.
 *
 * Four channels of a small output plane from the widened padded copy of
 * their input (dw_g_pad_copy(), DW_G_PAD_WORDS of the caller's stack, no
 * more): every tap two LDRD (inputs, weights) and 4 multiply-accumulates at
 * fixed offsets, no bounds tests, on raw inputs from a start that holds the
 * zero point's share (padding taps hold the input zero point).
 */
#ifndef NNOM_KERNELS_ARM_DEPTHWISE_FIVE4_H
#define NNOM_KERNELS_ARM_DEPTHWISE_FIVE4_H

#if NNOM_DW_5X5_KERNELS

/* 5x5 kernels (no dilation) on small planes: the input the output plane reads, padding included,
 * and whether it fits the padded copy widened (MobileNetV3's 6 x 6 planes do). At stride 1 not on
 * planes narrower than DW_G_FIVE_MIN: with 'same' padding most of their taps fall in the padding,
 * which the C loop skips and the copy computes (measured 3 x 3 x 576: 3.79 instructions per
 * multiply-accumulate in C, 3.82 from the copy; 6 x 6 x 240: 4.13 and 2.90); at stride 2 the copy
 * wins on those too (6 x 6 x 288 to 3 x 3: 4.88 in C, 4.17). */
enum { DW_G_FIVE_MIN = 5 };
static inline int32_t dw_g_pad5_rows(const nnom_conv_args *a) { return (a->out_h - 1) * a->stride_h + 5; }
static inline int32_t dw_g_pad5_cols(const nnom_conv_args *a) { return (a->out_w - 1) * a->stride_w + 5; }
static inline int dw_g_pad5_fits(const nnom_conv_args *a)
{
    return a->k_h == 5 && a->k_w == 5 && a->dil_w == 1 && a->dil_h == 1 &&
           ((a->out_h >= DW_G_FIVE_MIN && a->out_w >= DW_G_FIVE_MIN) || (a->stride_h == 2 && a->stride_w == 2)) &&
           2 * dw_g_pad5_rows(a) * dw_g_pad5_cols(a) <= DW_G_PAD_WORDS;
}

/* Tap T of a kernel row of four channels from the widened padded copy at P: (x0, x2), (x1, x3)
 * times the widened weights w[2T] = (w0, w2), w[2T + 1] = (w1, w3) (one LDRD each, 4 multiply-
 * accumulates). */
#define DW_G_TAP5(P, T)                                   \
    do {                                                  \
        const uint32_t lo_ = (P)[2 * (T)], hi_ = (P)[2 * (T) + 1]; \
        s0 = __smlabb(lo_, w[2 * (T)], s0);               \
        s2 = __smlatt(lo_, w[2 * (T)], s2);               \
        s1 = __smlabb(hi_, w[2 * (T) + 1], s1);           \
        s3 = __smlatt(hi_, w[2 * (T) + 1], s3);           \
    } while (0)

/* Every output pixel of channels c0 .. c0 + 3 of a 5x5 kernel from the widened padded copy (rows
 * of pw pixels, dw_g_pad_copy()): no border pixels, no bounds tests, the five taps of a kernel
 * row at fixed offsets. The sums on raw inputs start at init = scale (bias - zp sum w), the
 * weights times the same scale (the bounds of dw_groups4() keep the partial sums in int32);
 * one requantisation form (not DW_G_MIXED), no clamp beyond int8. */
static inline __attribute__((always_inline)) void dw_g_five(const nnom_conv_args *a, const uint32_t *pad, int32_t pw,
                                                            int8_t *out, int32_t c0, const uint32_t *wv,
                                                            const int32_t *init, const dw_g_quant *k, dw_g_mode mode)
{
    const int32_t out_c = a->out_c, row = 2 * pw;
    const ptrdiff_t x_step = 2 * a->stride_w, y_step = (ptrdiff_t)row * a->stride_h;
    int8_t *o = out + c0;
    const uint32_t *p_row = pad;
    for (int32_t oy = 0; oy < a->out_h; oy++, p_row += y_step) {
        const uint32_t *p_px = p_row;
        for (int32_t ox = 0; ox < a->out_w; ox++, p_px += x_step, o += out_c) {
            int32_t s0 = init[0], s1 = init[1], s2 = init[2], s3 = init[3];
            const uint32_t *p = p_px, *w = wv;
            for (int32_t ky = 0; ky < 5; ky++, p += row, w += 10) {
                DW_G_TAP5(p, 0);
                DW_G_TAP5(p, 1);
                DW_G_TAP5(p, 2);
                DW_G_TAP5(p, 3);
                DW_G_TAP5(p, 4);
            }
            o[0] = dw_g_out(k, 0, s0, mode, 0);
            o[1] = dw_g_out(k, 1, s1, mode, 0);
            o[2] = dw_g_out(k, 2, s2, mode, 0);
            o[3] = dw_g_out(k, 3, s3, mode, 0);
        }
    }
}
#define DW_G_FIVE(name, mode)                                                                                \
    DW_G_SPEED __attribute__((noinline)) static void name(const nnom_conv_args *a, const uint32_t *pad,      \
                                                          int32_t pw, int8_t *out, int32_t c0,               \
                                                          const uint32_t *wv, const int32_t *init,           \
                                                          const dw_g_quant *k)                               \
    {                                                                                                        \
        dw_g_five(a, pad, pw, out, c0, wv, init, k, mode);                                                   \
    }
DW_G_FIVE(dw_g_five_zp, DW_G_ZP)
DW_G_FIVE(dw_g_five_u, DW_G_U)
DW_G_FIVE(dw_g_five_zm, DW_G_ZM)

#else
/* built without the 5x5 paths (NNOM_DW_5X5_KERNELS 0): no 5x5 layer takes the padded copy */
static inline int dw_g_pad5_fits(const nnom_conv_args *a)
{
    (void)a;
    return 0;
}
#endif /* NNOM_DW_5X5_KERNELS */

#endif /* NNOM_KERNELS_ARM_DEPTHWISE_FIVE4_H */

/*
 * int8 depthwise convolution, portable C.
 *
 * Output channel oc = ic * mult + m reads input channel ic; the weights are
 * in Keras' order [k_h][k_w][in_c * mult], so for one tap the weights of
 * consecutive output channels are contiguous. Two output pixels at a time,
 * blocks of up to 16 channels are accumulated in a small local array, tap by
 * tap over the taps that fall inside the input (taps in the padding would
 * add (in_zp - in_zp) * w = 0), then requantised with the per-channel
 * constants computed once for both pixels. With depth multiplier 1 a block
 * of 16 channels is a fixed-length loop over 16 contiguous inputs and
 * weights whose products fit in int16 (|x - in_zp| <= 255, |w| <= 128), which
 * compilers vectorise. No scratch.
 */
#include "kernels/arm/arm_dsp.h" /* Cortex-M with DSP: kernels/arm/depthwise_conv_s8.c replaces this file */
#if NNOM_USE_ARM_DSP
#define NNOM_ARM_DSP_TWIN 1
#include "kernels/arm/depthwise_conv_s8.c"
#else

#include <stddef.h>

#include "kernels/conv.h"

#define DW_BLOCK 16

#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

/* The taps of one output pixel that fall inside the input: rows [ky0, ky1), columns [kx0, kx1). */
typedef struct {
    int32_t ky0, ky1, kx0, kx1;
    const int8_t *x; /* input at tap (ky0, kx0), channel 0 */
} dw_taps;

/* First k in [0, n) with start + k * step >= 0, and the end of those with start + k * step < size. */
static void tap_range(int32_t start, int32_t step, int32_t size, int32_t n, int32_t *k0, int32_t *k1)
{
    int32_t lo = start >= 0 ? 0 : (-start + step - 1) / step;
    int32_t hi = start >= size ? 0 : (size - start + step - 1) / step;
    if (hi > n) hi = n;
    if (lo > hi) lo = hi;
    *k0 = lo;
    *k1 = hi;
}

static dw_taps taps_of(const nnom_conv_args *a, const int8_t *in, int32_t oy, int32_t ox)
{
    dw_taps t;
    const int32_t iy0 = oy * a->stride_h - a->pad_top, ix0 = ox * a->stride_w - a->pad_left;
    tap_range(iy0, a->dil_h, a->in_h, a->k_h, &t.ky0, &t.ky1);
    tap_range(ix0, a->dil_w, a->in_w, a->k_w, &t.kx0, &t.kx1);
    if (t.ky0 == t.ky1 || t.kx0 == t.kx1) { /* every tap in the padding */
        t.ky1 = t.ky0;
        t.x = in;
        return t;
    }
    t.x = in + ((ptrdiff_t)(iy0 + t.ky0 * a->dil_h) * a->in_w + (ix0 + t.kx0 * a->dil_w)) * a->in_c;
    return t;
}

/* Multiplier 1, channels oc0 .. oc0 + 15 (w points at oc0): acc[j] = sum over the taps of (x[oc0 + j] - zp) * w[j]. */
NOINLINE static void block16(const nnom_conv_args *a, const dw_taps *t, const int8_t *w, int32_t oc0,
                             int32_t *restrict acc)
{
    const ptrdiff_t x_row = (ptrdiff_t)a->dil_h * a->in_w * a->in_c, x_col = (ptrdiff_t)a->dil_w * a->in_c;
    const ptrdiff_t w_row = (ptrdiff_t)a->k_w * a->out_c, w_col = a->out_c;
    const int16_t zp = (int16_t)a->in_zp;
    int32_t s[DW_BLOCK] = {0};
    for (int32_t ky = 0; ky < t->ky1 - t->ky0; ky++) {
        for (int32_t kx = 0; kx < t->kx1 - t->kx0; kx++) {
            const int8_t *x = t->x + ky * x_row + kx * x_col + oc0;
            const int8_t *wk = w + (t->ky0 + ky) * w_row + (t->kx0 + kx) * w_col;
            for (int32_t j = 0; j < DW_BLOCK; j++) s[j] += (int16_t)((int16_t)(x[j] - zp) * wk[j]);
        }
    }
    for (int32_t j = 0; j < DW_BLOCK; j++) acc[j] = s[j];
}

/* Any multiplier, n <= 16 channels starting at oc0. */
static void block_any(const nnom_conv_args *a, const dw_taps *t, const int8_t *w, int32_t oc0, int32_t n,
                      int32_t *acc)
{
    const ptrdiff_t x_row = (ptrdiff_t)a->dil_h * a->in_w * a->in_c, x_col = (ptrdiff_t)a->dil_w * a->in_c;
    const ptrdiff_t w_row = (ptrdiff_t)a->k_w * a->out_c, w_col = a->out_c;
    const int32_t mult = a->depth_mult, zp = a->in_zp, ic0 = oc0 / mult, m0 = oc0 % mult;
    for (int32_t j = 0; j < n; j++) acc[j] = 0;
    for (int32_t ky = 0; ky < t->ky1 - t->ky0; ky++) {
        for (int32_t kx = 0; kx < t->kx1 - t->kx0; kx++) {
            const int8_t *x = t->x + ky * x_row + kx * x_col;
            const int8_t *wk = w + (t->ky0 + ky) * w_row + (t->kx0 + kx) * w_col;
            int32_t ic = ic0, m = m0;
            for (int32_t j = 0; j < n; j++) {
                acc[j] += (x[ic] - zp) * wk[j];
                if (++m == mult) {
                    m = 0;
                    ic++;
                }
            }
        }
    }
}

void nnom_depthwise_conv2d_s8(const nnom_conv_args *a, const int8_t *in, int8_t *out)
{
    const int8_t *w = (const int8_t *)a->weights;
    const int32_t *bias = (const int32_t *)a->bias;
    const int32_t out_c = a->out_c, zp = a->out_zp, lo = a->act_min, hi = a->act_max;
    int32_t acc[2][DW_BLOCK];

    for (int32_t oy = 0; oy < a->out_h; oy++) {
        for (int32_t ox = 0; ox < a->out_w; ox += 2) {
            const int32_t np = ox + 1 < a->out_w ? 2 : 1;
            dw_taps t[2];
            t[0] = taps_of(a, in, oy, ox);
            if (np == 2) t[1] = taps_of(a, in, oy, ox + 1);
            int8_t *o = out + ((ptrdiff_t)oy * a->out_w + ox) * out_c;
            for (int32_t oc0 = 0; oc0 < out_c; oc0 += DW_BLOCK) {
                const int32_t n = out_c - oc0 < DW_BLOCK ? out_c - oc0 : DW_BLOCK;
                for (int32_t p = 0; p < np; p++) {
                    if (a->depth_mult == 1 && n == DW_BLOCK) block16(a, &t[p], w + oc0, oc0, acc[p]);
                    else block_any(a, &t[p], w + oc0, oc0, n, acc[p]);
                }
                for (int32_t j = 0; j < n; j++) {
                    const int32_t oc = oc0 + j, b = bias ? bias[oc] : 0, m = a->multiplier[oc], s = a->shift[oc];
                    if (s > 0) {
                        const nnom_conv_quant q = nnom_conv_quant_init(b, m, s);
                        for (int32_t p = 0; p < np; p++) o[p * out_c + oc] = nnom_conv_quant_out(q, acc[p][j], zp, lo, hi);
                        continue;
                    }
                    const nnom_conv_fastq f = nnom_conv_fastq_init(b, m, s);
                    for (int32_t p = 0; p < np; p++)
                        o[p * out_c + oc] =
                            nnom_conv_fastq_out(acc[p][j], m, f.thr, f.p_add, f.q_add, f.rshift, zp, lo, hi);
                }
            }
        }
    }
}
#endif /* !NNOM_USE_ARM_DSP */

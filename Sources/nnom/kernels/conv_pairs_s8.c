/*
 * int8 convolution over weights in channel pairs (the layout of kernels/conv.h): the portable form
 * (nnom_conv2d_pairs_s8_c, nnom_conv2d_pairs_s8 itself on other cores; on Cortex-M cores with DSP,
 * kernels/arm/conv_pairs.c defines nnom_conv2d_pairs_s8 and calls this form for what it does not take).
 *
 * Per pass of up to PASS_PIXELS output pixels, each pixel's patch is gathered once into an int16
 * column, x = in - in_zp (0 in the padding and past k), in the pairs' lane order
 * (nnom_conv_pair_lane), with its sum S. A pair's lanes L (K4 of them, read as little-endian int16)
 * are then split into their low byte, w[A] + 128, and their high byte, w[B]:
 *
 *     lo = sum (L & 0xff) x = sum_A + 128 S        hi = sum (L >> 8) x = sum_B
 *
 * so both channels' sums come from one read of the pair's words, as products of int16 (x86-64:
 * PMADDWD). Bounds: |x| <= 255, L & 0xff <= 255, |L >> 8| <= 128 and K4 <= NNOM_CONV_PAIRS_MAX_PATCH
 * (2048) give |lo| <= 2048 * 255 * 255 < 2^27 and |hi| < 2^27: int32 without overflow.
 * Each output is then requantised as nnom_conv2d_s8 does (nnom_conv_quant_out of the sum): the same
 * bytes.
 */
#include <stddef.h>
#include <string.h>

#include "kernels/conv.h"

enum {
    PASS_PIXELS = 4,    /* output pixels of one pass: their columns in the scratch */
    LANE_LOW = 0xff,    /* a lane's low byte: w[A] + 128 */
    LANE_HIGH_SHIFT = 8 /* a lane's high byte: w[B] */
};
_Static_assert((int64_t)NNOM_CONV_PAIRS_MAX_PATCH * 255 * 255 < INT32_MAX, "a pair's sums fit int32");

/* Output pixel @p pix's patch of @p a into @p col (K4 int16 in lane order, x = in - in_zp, 0 in the
 * padding and past k); returns its sum. */
static int32_t gather(const nnom_conv_args *a, const int8_t *in, int32_t pix, int16_t *col, int32_t k4)
{
    const int32_t oy = pix / a->out_w, ox = pix % a->out_w, c_n = a->in_c;
    int32_t sum = 0, i = 0;
    for (int32_t ky = 0; ky < a->k_h; ky++) {
        const int32_t iy = oy * a->stride_h - a->pad_top + ky * a->dil_h;
        for (int32_t kx = 0; kx < a->k_w; kx++) {
            const int32_t ix = ox * a->stride_w - a->pad_left + kx * a->dil_w;
            const int inside = iy >= 0 && iy < a->in_h && ix >= 0 && ix < a->in_w;
            const int8_t *src = in + ((ptrdiff_t)iy * a->in_w + ix) * c_n;
            for (int32_t c = 0; c < c_n; c++, i++) {
                const int32_t x = inside ? src[c] - a->in_zp : 0;
                col[nnom_conv_pair_lane(i)] = (int16_t)x;
                sum += x;
            }
        }
    }
    for (; i < k4; i++) col[nnom_conv_pair_lane(i)] = 0;
    return sum;
}

/* One pair's sums (lo, hi above) over @p np columns of @p k4 lanes. */
static void pair_sums(const uint8_t *w, const int16_t *cols, int32_t k4, int32_t np, int32_t lo[PASS_PIXELS],
                      int32_t hi[PASS_PIXELS])
{
    if (np == PASS_PIXELS) {
        const int16_t *c0 = cols, *c1 = cols + k4, *c2 = cols + 2 * (ptrdiff_t)k4, *c3 = cols + 3 * (ptrdiff_t)k4;
        int32_t l0 = 0, l1 = 0, l2 = 0, l3 = 0, h0 = 0, h1 = 0, h2 = 0, h3 = 0;
        for (int32_t i = 0; i < k4; i++) {
            int16_t lane;
            memcpy(&lane, w + 2 * (ptrdiff_t)i, sizeof lane);
            const int16_t l = (int16_t)(lane & LANE_LOW), h = (int16_t)(lane >> LANE_HIGH_SHIFT);
            l0 += l * c0[i];
            h0 += h * c0[i];
            l1 += l * c1[i];
            h1 += h * c1[i];
            l2 += l * c2[i];
            h2 += h * c2[i];
            l3 += l * c3[i];
            h3 += h * c3[i];
        }
        lo[0] = l0, lo[1] = l1, lo[2] = l2, lo[3] = l3;
        hi[0] = h0, hi[1] = h1, hi[2] = h2, hi[3] = h3;
        return;
    }
    for (int32_t p = 0; p < np; p++) {
        const int16_t *c = cols + (ptrdiff_t)p * k4;
        int32_t l0 = 0, h0 = 0;
        for (int32_t i = 0; i < k4; i++) {
            int16_t lane;
            memcpy(&lane, w + 2 * (ptrdiff_t)i, sizeof lane);
            l0 += (int16_t)(lane & LANE_LOW) * c[i];
            h0 += (int16_t)(lane >> LANE_HIGH_SHIFT) * c[i];
        }
        lo[p] = l0;
        hi[p] = h0;
    }
}

/* Channel @p c's output of the sum @p dot. */
static int8_t channel_out(const nnom_conv_args *a, int32_t c, int32_t dot)
{
    const int32_t bias = a->bias ? ((const int32_t *)a->bias)[c] : 0;
    return nnom_conv_quant_out(nnom_conv_quant_init(bias, a->multiplier[c], a->shift[c]), dot, a->out_zp, a->act_min,
                               a->act_max);
}

void nnom_conv2d_pairs_s8_c(const nnom_conv_args *a, const int8_t *in, int8_t *out, void *scratch,
                            uint32_t scratch_bytes)
{
    const int32_t k4 = nnom_conv_pairs_patch(a->k_h * a->k_w * a->in_c), out_c = a->out_c;
    const int32_t n_pix = a->out_h * a->out_w, n_pairs = (out_c + 1) / 2;
    const uint32_t col_bytes = (uint32_t)k4 * (uint32_t)sizeof(int16_t);
    /* (the least scratch holds a column: NNOM_CONV_PAIRS_MAX_PATCH) */
    const int32_t np_most = scratch_bytes / col_bytes >= PASS_PIXELS ? PASS_PIXELS : (int32_t)(scratch_bytes / col_bytes);
    int16_t *const cols = (int16_t *)scratch;
    const uint8_t *const pairs = (const uint8_t *)a->weights;
    int32_t sx[PASS_PIXELS], lo[PASS_PIXELS], hi[PASS_PIXELS];
    for (int32_t pix = 0; pix < n_pix; pix += np_most) {
        const int32_t np = n_pix - pix < np_most ? n_pix - pix : np_most;
        for (int32_t p = 0; p < np; p++) sx[p] = gather(a, in, pix + p, cols + (ptrdiff_t)p * k4, k4);
        int8_t *const o = out + (ptrdiff_t)pix * out_c;
        for (int32_t q = 0; q < n_pairs; q++) {
            pair_sums(pairs + (ptrdiff_t)2 * k4 * q, cols, k4, np, lo, hi);
            for (int32_t p = 0; p < np; p++) {
                o[(ptrdiff_t)p * out_c + 2 * q] = channel_out(a, 2 * q, lo[p] - (int32_t)NNOM_CONV_PAIR_FLIP * sx[p]);
                if (2 * q + 1 < out_c) o[(ptrdiff_t)p * out_c + 2 * q + 1] = channel_out(a, 2 * q + 1, hi[p]);
            }
        }
    }
}

#include "kernels/arm/arm_dsp.h" /* Cortex-M with DSP: kernels/arm/conv_pairs.c defines the entry */
#if NNOM_USE_ARM_DSP
#define NNOM_ARM_DSP_TWIN 1
#include "kernels/arm/conv_pairs.c"
#else
void nnom_conv2d_pairs_s8(const nnom_conv_args *a, const int8_t *in, int8_t *out, void *scratch,
                          uint32_t scratch_bytes)
{
    nnom_conv2d_pairs_s8_c(a, in, out, scratch, scratch_bytes);
}
#endif

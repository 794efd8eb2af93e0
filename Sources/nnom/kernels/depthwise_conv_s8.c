/*
 * int8 depthwise convolution, portable C.
 *
 * Output channel oc = ic * mult + m reads input channel ic; the weights are
 * in Keras' order [k_h][k_w][in_c * mult], so for one tap the weights of
 * consecutive output channels are contiguous. A block of up to 16 channels
 * at a time over every pixel (its requantisation constants made once, the
 * 32-bit nnom_requant32 where exact), the block's sums are accumulated in a
 * small local array, tap by tap over the taps that fall inside the input
 * (taps in the padding would add (in_zp - in_zp) * w = 0). With depth multiplier 1 a block
 * of 16 channels is a fixed-length loop over 16 contiguous inputs and
 * weights whose products fit in int16 (|x - in_zp| <= 255, |w| <= 128), which
 * compilers vectorise. A pixel whose taps all fall inside the input (a row's
 * interior) sums x * w without the zero point (|x| <= 128: the products still
 * fit in int16), which moves into the block's bias once: bias - in_zp * sum w.
 * The block's int16 weights are kept negated, so that in a 3x3 interior the
 * products x * (-w), in [-16384, 16256], add by pairs in int16 before they
 * widen to int32 (five widenings per lane instead of nine); pixels at a border
 * sum (x - in_zp) * w over their taps inside the input and add in_zp * sum w
 * back, so that they share the interior's requantisation constants.
 * A layer of 8 channels read at stride 1 takes the same path two pixels at a
 * time (their 16 channels are contiguous in HWC), each weight and constant
 * twice. That path serves multiplier 1 with 16 channels or more (or
 * such a layer of 8), small output planes (fewer than DW_MIN_PLANE pixels)
 * and kernels the planar path below does not take.
 *
 * Planar path (the others: fewer than 16 channels (but 8 at stride 1),
 * multipliers above 1): one output channel at a time, its input rows
 * gathered as int16 into a buffer on the stack (see planar_channel), each
 * output row a sum over the taps of a whole row of inputs times one weight,
 * vectorised across the output columns. No scratch.
 */
#include "kernels/arm/arm_dsp.h" /* Cortex-M with DSP: kernels/arm/depthwise_conv_s8.c replaces this file */
#if NNOM_USE_ARM_DSP
#define NNOM_ARM_DSP_TWIN 1
#include "kernels/arm/depthwise_conv_s8.c"
#else

#include <stddef.h>

#include "kernels/conv.h"
#include "kernels/requant.h"

#define DW_BLOCK 16
#define DW_HALF 8 /* the pixel path's narrow block (channel counts that leave 8) */

enum {
    DW_BUF = 512,        /* int16 of the planar path's row buffer (1 KB of stack) */
    DW_TILE = 128,       /* output columns per pass of the planar path */
    DW_MAX_ROWS = 32,    /* tallest kernel of the planar path */
    DW_MAX_TAPS = 64,    /* largest k_h * k_w of the planar path */
    DW_MIN_PLANE = 64,   /* output planes of fewer pixels: pixel by pixel (x86-64: 6x6x63 8.3 instead of 14.3
                            instructions per MAC on the planar path, 12x12x33 stride 2 6.0 instead of 26.0) */
    DW_ROW_TAPS = 25     /* largest k_h * k_w whose int16 weights the pixel path keeps (800 bytes of stack) */
};

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

/* Multiplier 1, L (16 or 8) channels, rows x cols taps from x (int8, channel 0 of the block) with the
 * block's negated int16 weights wq = -w ([tap row][tap column][16 lanes, w_col apart], w_row int16 apart):
 * acc[j] = sum over the taps of (x[j] - zp) * w[j]. |x - zp| <= 255 and |w| <= 128: each product
 * fits in int16, so that the lanes multiply in int16 and add in int32. */
static inline void taps_l(const int32_t L, const int8_t *x, ptrdiff_t x_row, ptrdiff_t x_col, const int16_t *wq,
                          ptrdiff_t w_row, ptrdiff_t w_col, int32_t rows, int32_t cols, int16_t zp,
                          int32_t *restrict acc)
{
    int32_t s[DW_BLOCK] = {0};
    for (int32_t r = 0; r < rows; r++, x += x_row, wq += w_row) {
        const int8_t *xp = x;
        const int16_t *wp = wq;
        for (int32_t k = 0; k < cols; k++, xp += x_col, wp += w_col)
            for (int32_t j = 0; j < L; j++) s[j] += (int16_t)((int16_t)(xp[j] - zp) * wp[j]);
    }
    for (int32_t j = 0; j < L; j++) acc[j] = -s[j]; /* the weights are negated (see block_weights) */
}

NOINLINE static void taps16(const int8_t *x, ptrdiff_t x_row, ptrdiff_t x_col, const int16_t *wq, ptrdiff_t w_row,
                            int32_t rows, int32_t cols, int16_t zp, int32_t *restrict acc)
{
    taps_l(DW_BLOCK, x, x_row, x_col, wq, w_row, DW_BLOCK, rows, cols, zp, acc);
}

/* 8 channels whose weights are those of taps16's layout (16 int16 per tap, the first 8 used). */
NOINLINE static void taps8(const int8_t *x, ptrdiff_t x_row, ptrdiff_t x_col, const int16_t *wq, ptrdiff_t w_row,
                           int32_t rows, int32_t cols, int16_t zp, int32_t *restrict acc)
{
    taps_l(DW_HALF, x, x_row, x_col, wq, w_row, DW_BLOCK, rows, cols, zp, acc);
}

/* 16 channels, the nine taps of a 3x3 kernel inside the input, in one expression, without the zero point,
 * with the negated weights wq = -w: acc[j] = sum of x[j] * w[j]. With |x| <= 128 and -w in [-127, 128],
 * a product x * (-w) lies in [-16384, 16256] and the sum of two in [-32768, 32512]: the taps go by
 * pairs added in int16, so that only five sums per lane widen to int32 instead of nine. */
static inline void taps_3x3(const int8_t *x, ptrdiff_t x_row, ptrdiff_t x_col, const int16_t *wq,
                            int32_t *restrict acc)
{
    const int8_t *x0 = x, *x1 = x + x_row, *x2 = x + 2 * x_row;
    const ptrdiff_t c2 = 2 * x_col;
    for (int32_t j = 0; j < DW_BLOCK; j++) {
#define DW_TAP(xr, off, t) (int16_t)((int16_t)(xr)[(off) + j] * wq[(t) * DW_BLOCK + j])
#define DW_PAIR(a, b) (int16_t)((a) + (b))
        acc[j] = -(DW_PAIR(DW_TAP(x0, 0, 0), DW_TAP(x0, x_col, 1)) + DW_PAIR(DW_TAP(x0, c2, 2), DW_TAP(x1, 0, 3)) +
                   DW_PAIR(DW_TAP(x1, x_col, 4), DW_TAP(x1, c2, 5)) + DW_PAIR(DW_TAP(x2, 0, 6), DW_TAP(x2, x_col, 7)) +
                   DW_TAP(x2, c2, 8));
#undef DW_PAIR
#undef DW_TAP
    }
}

NOINLINE static void taps16_3x3(const int8_t *x, ptrdiff_t x_row, ptrdiff_t x_col, const int16_t *wq,
                                int32_t *restrict acc)
{
    taps_3x3(x, x_row, x_col, wq, acc);
}

/* One block's requantisation, each channel in the 32-bit form of nnom_requant32 with the bias
 * folded into its doubling high multiply: u = (dot * 2m + (2 b m + 2^31)) >> 32 is the
 * (2 (dot + b) m + 2^31) >> 32 there, in int64 (each term below 2^63 in magnitude: |b| < 2^30
 * and |dot| < 2^30, see room in pixel_major). Interior pixels sum x * w without the input zero
 * point, which moves into their bias: b = bias - in_zp * sum of the channel's weights (every tap
 * is inside the input there), so their dot + b is the same integer. */
typedef struct {
    int64_t m2[DW_BLOCK], b2[DW_BLOCK]; /* 2 m; 2 (bias - in_zp sum w) m + 2^31 */
    int32_t e[DW_BLOCK], c[DW_BLOCK], lo, hi;
} dw_req16;

/* The 16 outputs of one pixel from its sums (see dw_req16). */
NOINLINE static void requant16(const int32_t *restrict acc, const dw_req16 *restrict q, int32_t lo, int32_t hi,
                               int8_t *restrict o)
{
    /* two channels per iteration, the clamp in two steps: no branch */
    for (int32_t j = 0; j < DW_BLOCK; j += 2) {
        const int32_t u0 = (int32_t)((acc[j] * q->m2[j] + q->b2[j]) >> 32);
        const int32_t u1 = (int32_t)((acc[j + 1] * q->m2[j + 1] + q->b2[j + 1]) >> 32);
        int32_t v0 = (u0 + (u0 >> 31) + q->c[j]) >> q->e[j], v1 = (u1 + (u1 >> 31) + q->c[j + 1]) >> q->e[j + 1];
        v0 = v0 < lo ? lo : v0;
        v1 = v1 < lo ? lo : v1;
        o[j] = (int8_t)(v0 > hi ? hi : v0);
        o[j + 1] = (int8_t)(v1 > hi ? hi : v1);
    }
}

/* The first n <= 16 outputs of requant16 (a pixel at a border, or a layer of 8 channels). */
NOINLINE static void requant_n(const int32_t *restrict acc, const dw_req16 *restrict q, int32_t n, int32_t lo,
                               int32_t hi, int8_t *restrict o)
{
    if (n == DW_BLOCK) {
        requant16(acc, q, lo, hi, o);
        return;
    }
    for (int32_t j = 0; j < n; j++) {
        const int32_t u = (int32_t)((acc[j] * q->m2[j] + q->b2[j]) >> 32);
        o[j] = nnom_clamp_s8((u + (u >> 31) + q->c[j]) >> q->e[j], lo, hi);
    }
}

/* Multiplier 1, 16 channels, n output pixels of one row whose taps all fall inside the input
 * (x: tap (0, 0) of the first pixel, channel oc0; the next pixel x_step further), each pixel's
 * sums (of x * w, without the zero point: taps_l with zp 0) taken and requantised in one pass,
 * written o_step apart. */
static inline void run_pixels(const int8_t *x, ptrdiff_t x_step, ptrdiff_t x_row, ptrdiff_t x_col, const int16_t *wq,
                              int32_t k_h, int32_t k_w, const dw_req16 *q, int32_t n, int8_t *o, ptrdiff_t o_step)
{
    int32_t acc[DW_BLOCK];
    const int32_t lo = q->lo, hi = q->hi;
    const int is_3x3 = k_h == 3 && k_w == 3;
    for (int32_t p = 0; p < n; p++, x += x_step, o += o_step) {
        if (is_3x3) {
            taps16_3x3(x, x_row, x_col, wq, acc);
        } else {
            taps_l(DW_BLOCK, x, x_row, x_col, wq, (ptrdiff_t)k_w * DW_BLOCK, DW_BLOCK, k_h, k_w, 0, acc);
        }
        requant16(acc, q, lo, hi, o);
    }
}

NOINLINE static void run16(const int8_t *x, ptrdiff_t x_step, ptrdiff_t x_row, ptrdiff_t x_col, const int16_t *wq,
                           int32_t k_h, int32_t k_w, const dw_req16 *q, int32_t n, int8_t *o, ptrdiff_t o_step)
{
    run_pixels(x, x_step, x_row, x_col, wq, k_h, k_w, q, n, o, o_step);
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

/* The negated int16 weights -w of a block of 16 channels, [tap][16], from w (its first channel; taps out_c
 * apart; negated so that two products of an interior pixel add in int16, see taps_3x3), and the sums of w per
 * channel; paired: 8 channels, each weight twice (lanes j and j + 8). */
NOINLINE static void block_weights(const int8_t *restrict w, int32_t out_c, int32_t taps, int paired,
                                   int16_t *restrict wq, int32_t *restrict sum_w)
{
    for (int32_t j = 0; j < DW_BLOCK; j++) sum_w[j] = 0;
    for (int32_t k = 0; k < taps; k++, w += out_c, wq += DW_BLOCK) {
        if (paired)
            for (int32_t j = 0; j < DW_HALF; j++) wq[j] = wq[j + DW_HALF] = (int16_t)-w[j];
        else
            for (int32_t j = 0; j < DW_BLOCK; j++) wq[j] = (int16_t)-w[j];
        for (int32_t j = 0; j < DW_BLOCK; j++) sum_w[j] -= wq[j];
    }
}

/* Small output planes: pixel by pixel, channels in blocks of 16 (see the top of the file). */
static void pixel_major(const nnom_conv_args *a, const int8_t *in, int8_t *out)
{
    const int8_t *w = (const int8_t *)a->weights;
    const int32_t *bias = (const int32_t *)a->bias;
    const int32_t out_c = a->out_c, zp = a->out_zp, lo = a->act_min, hi = a->act_max;
    /* |dot| <= k_h * k_w * 255 * 128: a bias within room keeps |dot + bias| below 2^30 */
    const int64_t room = NNOM_REQUANT32_MAX_ACC - (int64_t)a->k_h * a->k_w * 32640;
    int32_t acc[DW_BLOCK], mult[DW_BLOCK], e[DW_BLOCK], c[DW_BLOCK], b[DW_BLOCK];
    int32_t all_fast = 1;
    int16_t wq[DW_ROW_TAPS * DW_BLOCK];
    const int32_t taps = a->k_h * a->k_w;
    const ptrdiff_t x_row = (ptrdiff_t)a->dil_h * a->in_w * a->in_c, x_col = (ptrdiff_t)a->dil_w * a->in_c;
    const int16_t zp_in = (int16_t)a->in_zp;
    dw_req16 rq;
    rq.lo = lo;
    rq.hi = hi;
    /* output columns [ox_in0, ox_in1): every tap column inside the input */
    const int32_t reach_w = (a->k_w - 1) * a->dil_w;
    int32_t ox_in0 = (a->pad_left + a->stride_w - 1) / a->stride_w, ox_in1 = 0;
    if (a->in_w - 1 - reach_w + a->pad_left >= 0) ox_in1 = (a->in_w - 1 - reach_w + a->pad_left) / a->stride_w + 1;
    if (ox_in1 > a->out_w) ox_in1 = a->out_w;
    if (ox_in0 > ox_in1) ox_in0 = ox_in1;

    /* a block of channels at a time over every pixel: its requantisation constants made once */
    for (int32_t oc0 = 0; oc0 < out_c; oc0 += DW_BLOCK) {
        const int32_t n = out_c - oc0 < DW_BLOCK ? out_c - oc0 : DW_BLOCK;
        all_fast = 1;
        for (int32_t j = 0; j < n; j++) {
            const int32_t oc = oc0 + j;
            b[j] = bias ? bias[oc] : 0;
            mult[j] = a->multiplier[oc];
            e[j] = -a->shift[oc];
            /* the 32-bit form (nnom_requant32) where exact, else e[j] = 0 marks the general one */
            if (e[j] >= 1 && e[j] <= NNOM_REQUANT32_MAX_E && b[j] <= room && b[j] >= -room) {
                c[j] = nnom_requant32_const(e[j], zp);
            } else {
                e[j] = 0;
                all_fast = 0;
            }
        }
        /* multiplier 1, a block of 16 channels, or the 8 channels of a layer of 8 whose input pixels are 8 bytes
         * apart (stride 1): the int16 weights path; the interior of such a layer goes by pairs of pixels, whose
         * 16 channels are contiguous, with each weight and constant twice */
        const int paired = n == DW_HALF && out_c == DW_HALF && (ptrdiff_t)a->stride_w * a->in_c == DW_HALF;
        const int wide = a->depth_mult == 1 && (n == DW_BLOCK || paired) && taps <= DW_ROW_TAPS;
        int32_t sum_w[DW_BLOCK], zp_sum_w[DW_BLOCK] = {0}; /* (set and read only when wide: -O3 cannot tell) */
        if (wide) block_weights(w + oc0, out_c, taps, paired, wq, sum_w);
        if (wide)
            for (int32_t j = 0; j < DW_BLOCK; j++) zp_sum_w[j] = a->in_zp * sum_w[j];
        if (wide && all_fast)
            for (int32_t j = 0; j < DW_BLOCK; j++) {
                const int32_t jc = paired ? j & (DW_HALF - 1) : j;
                rq.m2[j] = 2 * (int64_t)mult[jc];
                rq.b2[j] = 2 * ((int64_t)b[jc] - (int64_t)a->in_zp * sum_w[j]) * mult[jc] + ((int64_t)1 << 31);
                rq.e[j] = e[jc];
                rq.c[j] = c[jc];
            }
        const ptrdiff_t w_row = (ptrdiff_t)a->k_w * DW_BLOCK, x_step = (ptrdiff_t)a->stride_w * a->in_c;
        for (int32_t oy = 0; oy < a->out_h; oy++) {
            const int32_t iy0 = oy * a->stride_h - a->pad_top;
            const int rows_inside = iy0 >= 0 && iy0 + (a->k_h - 1) * a->dil_h < a->in_h;
            for (int32_t ox = 0; ox < a->out_w; ox++) {
                int8_t *o = out + ((ptrdiff_t)oy * a->out_w + ox) * out_c + oc0;
                if (wide && all_fast && rows_inside && ox >= ox_in0 && ox < ox_in1 && (!paired || ox + 1 < ox_in1)) {
                    /* the row's interior: every tap inside the input (paired: a last odd pixel goes below) */
                    const int8_t *x = in + ((ptrdiff_t)iy0 * a->in_w + ox * a->stride_w - a->pad_left) * a->in_c + oc0;
                    const int32_t pixels = paired ? (ox_in1 - ox) / 2 * 2 : ox_in1 - ox, per = paired ? 2 : 1;
                    run16(x, per * x_step, x_row, x_col, wq, a->k_h, a->k_w, &rq, pixels / per, o, per * out_c);
                    ox += pixels - 1;
                    continue;
                }
                const dw_taps t = taps_of(a, in, oy, ox);
                if (wide) {
                    (n == DW_BLOCK ? taps16 : taps8)(t.x + oc0, x_row, x_col, wq + (t.ky0 * a->k_w + t.kx0) * DW_BLOCK,
                                                     w_row, t.ky1 - t.ky0, t.kx1 - t.kx0, zp_in, acc);
                } else if (a->depth_mult == 1 && n == DW_BLOCK) {
                    block16(a, &t, w + oc0, oc0, acc);
                } else {
                    block_any(a, &t, w + oc0, oc0, n, acc);
                }
                if (wide && all_fast) {
                    /* the block's constants, whose bias holds -in_zp * sum w: the sums here, of x - in_zp over
                     * the taps inside the input, get in_zp * sum w back (the same dot + bias) */
                    for (int32_t j = 0; j < DW_BLOCK; j++) acc[j] += zp_sum_w[j];
                    requant_n(acc, &rq, n, lo, hi, o);
                    continue;
                }
                if (all_fast) {
                    for (int32_t j = 0; j < n; j++)
                        o[j] = nnom_clamp_s8(nnom_requant32(acc[j] + b[j], mult[j], e[j], c[j]), lo, hi);
                    continue;
                }
                for (int32_t j = 0; j < n; j++) {
                    if (e[j]) {
                        o[j] = nnom_clamp_s8(nnom_requant32(acc[j] + b[j], mult[j], e[j], c[j]), lo, hi);
                    } else {
                        const nnom_conv_quant q = nnom_conv_quant_init(b[j], mult[j], a->shift[oc0 + j]);
                        o[j] = nnom_conv_quant_out(q, acc[j], zp, lo, hi);
                    }
                }
            }
        }
    }
}

/* ------------------------------------------------------------ planar path */

/* Input row iy of channel ic, columns [ix0, ix0 + len), into d as int16; the zero point outside the input. */
static void gather_row(const nnom_conv_args *a, const int8_t *in, int32_t ic, int32_t iy, int32_t ix0, int32_t len,
                       int16_t *d)
{
    const int16_t zp = (int16_t)a->in_zp;
    int32_t i = 0;
    if (iy >= 0 && iy < a->in_h) {
        for (; i < len && ix0 + i < 0; i++) d[i] = zp;
        const int32_t end = a->in_w - ix0 < len ? a->in_w - ix0 : len;
        if (i < end) {
            const ptrdiff_t in_c = a->in_c;
            const int8_t *src = in + ((ptrdiff_t)iy * a->in_w + ix0 + i) * in_c + ic;
            for (; i < end; i++, src += in_c) d[i] = *src;
        }
    }
    for (; i < len; i++) d[i] = zp;
}

/* Outputs j of one row, in blocks of DW_BLOCK (the last one partly garbage, dropped by the caller):
 * acc[j] = init + sum over kernel rows r and columns kx of rows[r][j * stride + kx * dil] * w[r * k_w + kx].
 * Stride 1: the inner loops run over DW_BLOCK contiguous int16, which vectorises. */
NOINLINE static void row_sums_s1(const nnom_conv_args *a, const int16_t *const *rows, const int16_t *w, int32_t init,
                                 int32_t n, int32_t *restrict acc)
{
    const int32_t k_h = a->k_h, k_w = a->k_w, dil = a->dil_w;
    for (int32_t j0 = 0; j0 < n; j0 += DW_BLOCK) {
        int32_t s[DW_BLOCK];
        for (int32_t j = 0; j < DW_BLOCK; j++) s[j] = init;
        for (int32_t r = 0; r < k_h; r++) {
            const int16_t *row = rows[r] + j0, *wr = w + r * k_w;
            for (int32_t kx = 0; kx < k_w; kx++) {
                const int16_t *x = row + kx * dil;
                const int16_t wv = wr[kx];
                for (int32_t j = 0; j < DW_BLOCK; j++) s[j] += (int16_t)(x[j] * wv);
            }
        }
        for (int32_t j = 0; j < DW_BLOCK; j++) acc[j0 + j] = s[j];
    }
}

/* The same for a 3x3 kernel (stride 1, no dilation): the nine taps in one expression, so that
 * the sums stay in vector registers (x86-64 SSE2: about one instruction per multiply-add). */
NOINLINE static void row_sums_3x3(const int16_t *const *rows, const int16_t *w, int32_t init, int32_t n,
                                  int32_t *restrict acc)
{
    const int16_t *r0 = rows[0], *r1 = rows[1], *r2 = rows[2];
    const int32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7], w8 = w[8];
    for (int32_t j0 = 0; j0 < n; j0 += DW_BLOCK) {
        const int16_t *x0 = r0 + j0, *x1 = r1 + j0, *x2 = r2 + j0;
        int32_t *s = acc + j0;
        for (int32_t j = 0; j < DW_BLOCK; j++)
            s[j] = init + x0[j] * w0 + x0[j + 1] * w1 + x0[j + 2] * w2 + x1[j] * w3 + x1[j + 1] * w4 +
                   x1[j + 2] * w5 + x2[j] * w6 + x2[j + 1] * w7 + x2[j + 2] * w8;
    }
}

NOINLINE static void row_sums_any(const nnom_conv_args *a, const int16_t *const *rows, const int16_t *w, int32_t init,
                                  int32_t n, int32_t *restrict acc)
{
    const int32_t k_h = a->k_h, k_w = a->k_w, stride = a->stride_w, dil = a->dil_w;
    for (int32_t j = 0; j < n; j++) {
        int32_t s = init;
        for (int32_t r = 0; r < k_h; r++) {
            const int16_t *x = rows[r] + j * stride, *wr = w + r * k_w;
            for (int32_t kx = 0; kx < k_w; kx++) s += x[kx * dil] * wr[kx];
        }
        acc[j] = s;
    }
}

/* Output channel oc, every pixel: the k_h input rows an output row reads, of its input channel
 * only, gathered as int16 into buf (row_len each; dil_h 1: a rolling window, each input row
 * gathered once per column tile); the padding holds the input zero point, whose share
 * -in_zp * sum w is the sums' start. |x * w| <= 128 * 128 fits in int16. */
static void planar_channel(const nnom_conv_args *a, const int8_t *in, int8_t *out, int32_t oc, int16_t *buf,
                           int32_t row_len, int32_t tile, int16_t *w, int32_t *acc)
{
    const int8_t *wc = (const int8_t *)a->weights + oc;
    const int32_t k_h = a->k_h, taps = a->k_h * a->k_w, out_c = a->out_c, ic = oc / a->depth_mult;
    const int32_t reach = (a->k_w - 1) * a->dil_w + 1;
    int32_t sum_w = 0;
    for (int32_t t = 0; t < taps; t++) sum_w += w[t] = wc[(ptrdiff_t)t * out_c];
    const int32_t b = a->bias ? ((const int32_t *)a->bias)[oc] : 0, m = a->multiplier[oc], sh = a->shift[oc];
    const int32_t zp = a->out_zp, lo = a->act_min, hi = a->act_max;
    const nnom_conv_quant q = nnom_conv_quant_init(b, m, sh);
    const nnom_conv_fastq f = nnom_conv_fastq_init(b, m, sh <= 0 ? sh : 0);
    const int32_t init = -a->in_zp * sum_w;
    const int16_t *rows[DW_MAX_ROWS];
    for (int32_t ox0 = 0; ox0 < a->out_w; ox0 += tile) {
        const int32_t n = a->out_w - ox0 < tile ? a->out_w - ox0 : tile;
        const int32_t nb = a->stride_w == 1 ? (n + DW_BLOCK - 1) / DW_BLOCK * DW_BLOCK : n;
        const int32_t ix0 = ox0 * a->stride_w - a->pad_left, len = (nb - 1) * a->stride_w + reach;
        int32_t next_iy = INT32_MIN; /* dil_h 1: the rows below it are in buf */
        for (int32_t oy = 0; oy < a->out_h; oy++) {
            const int32_t iy0 = oy * a->stride_h - a->pad_top;
            for (int32_t r = 0; r < k_h; r++) {
                const int32_t iy = iy0 + r * a->dil_h;
                int16_t *d = buf + (a->dil_h == 1 ? (iy + a->pad_top) % k_h : r) * row_len;
                if (a->dil_h != 1 || iy >= next_iy) gather_row(a, in, ic, iy, ix0, len, d);
                rows[r] = d;
            }
            next_iy = iy0 + k_h;
            if (a->stride_w == 1 && a->k_h == 3 && a->k_w == 3 && a->dil_w == 1) row_sums_3x3(rows, w, init, n, acc);
            else if (a->stride_w == 1) row_sums_s1(a, rows, w, init, n, acc);
            else row_sums_any(a, rows, w, init, n, acc);
            int8_t *o = out + ((ptrdiff_t)oy * a->out_w + ox0) * out_c + oc;
            if (sh > 0) {
                for (int32_t j = 0; j < n; j++) o[j * out_c] = nnom_conv_quant_out(q, acc[j], zp, lo, hi);
            } else {
                for (int32_t j = 0; j < n; j++)
                    o[j * out_c] = nnom_conv_fastq_out(acc[j], m, f.thr, f.p_add, f.q_add, f.rshift, zp, lo, hi);
            }
        }
    }
}

int nnom_depthwise_conv2d_s8_in_place(const nnom_conv_args *a)
{
    return nnom_depthwise_is_affine(a);
}

int32_t nnom_depthwise_conv2d_s8_block_rows(const nnom_conv_args *a, int32_t most)
{
    (void)a;
    return most;
}

void nnom_depthwise_conv2d_s8(const nnom_conv_args *a, const int8_t *in, int8_t *out)
{
    if (nnom_depthwise_is_affine(a)) {
        nnom_depthwise_affine_s8(a, in, out);
        return;
    }
    int16_t buf[DW_BUF];
    int16_t w[DW_MAX_TAPS];
    int32_t acc[DW_TILE];
    const int32_t k_h = a->k_h, s_w = a->stride_w;
    /* a row of a tile of n outputs (rounded up to blocks): (n - 1) * stride + (k_w - 1) * dil + 1 columns */
    const int32_t reach = (a->k_w - 1) * a->dil_w + 1;
    const int32_t row_max = DW_BUF / k_h;
    int32_t tile = row_max >= reach + (DW_BLOCK - 1) * s_w ? ((row_max - reach) / s_w + 1) / DW_BLOCK * DW_BLOCK : 0;
    if (tile > DW_TILE) tile = DW_TILE;
    /* (multiplier 1 and 16 channels or more, a partial last block too: the pixel loop's vectorised blocks
     * measured faster; x86-64: 5x5 stride 2 on 24x24x72 4.8 instructions per MAC against 14.7 on the
     * planar path, 3.5 % slower on 12x12x20) */
    const int pixel_loop = a->depth_mult == 1 && (a->out_c >= DW_BLOCK || (a->out_c == DW_HALF && s_w == 1));
    if (pixel_loop || a->out_h * a->out_w < DW_MIN_PLANE || k_h > DW_MAX_ROWS || k_h * a->k_w > DW_MAX_TAPS ||
        tile == 0) {
        pixel_major(a, in, out);
        return;
    }
    const int32_t row_len = (tile - 1) * s_w + reach;
    for (int32_t oc = 0; oc < a->out_c; oc++) planar_channel(a, in, out, oc, buf, row_len, tile, w, acc);
}
#endif /* !NNOM_USE_ARM_DSP */

/*
 * int8 convolution, portable C.
 *
 * A few output pixels at a time (np = 4, 2 or 1, the most whose columns fit
 * in SCRATCH_MAX bytes), the receptive field of each is gathered into scratch
 * as int16 with the input zero point already subtracted ("im2col"; padding
 * taps become 0), padded with zeros to a multiple of 16 elements. Every
 * output channel is then a dot product of those columns with the channel's
 * contiguous weights [k_h][k_w][in_c]. The dot products are plain loops over
 * a multiple of 16 elements, which compilers vectorise (x86-64 gcc -O2:
 * pmaddwd; they are kept out of line so that this does not depend on
 * inlining decisions), and compute 4 pixels x 1 channel, 2 x 2 or 1 x 4 per
 * pass so that every load is used more than once.
 *
 * Reading a padded column's worth of weights runs past the end of a
 * channel's weights into the next channel's; those extra products meet the
 * zero padding of the column and vanish. Only the last channel(s), whose
 * read would leave the weight array, stop at their last whole block and read
 * the rest from a zero-padded 16-byte copy.
 *
 * Requantisation (see nnom_conv_quant in conv.h) is folded per channel into
 * three 64-bit constants, so that each output costs a multiply, a compare,
 * an add and a shift.
 */
#include <stddef.h>
#include <string.h>

#include "kernels/conv.h"

#define BLOCK 16

/* Largest scratch used to hold several pixels' columns (one column may exceed it). */
#define SCRATCH_MAX 512

/* Output channels per batch: their sums wait in a small array on the stack. */
#define CHUNK 8

#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

static int32_t padded_patch(int32_t k) { return (k + (BLOCK - 1)) / BLOCK * BLOCK; }

static int32_t pixels_per_pass(int32_t kp)
{
    const int32_t col_bytes = kp * (int32_t)sizeof(int16_t);
    return 4 * col_bytes <= SCRATCH_MAX ? 4 : (2 * col_bytes <= SCRATCH_MAX ? 2 : 1);
}

uint32_t nnom_conv2d_s8_scratch_bytes(const nnom_conv_args *a)
{
    const int32_t kp = padded_patch(a->k_h * a->k_w * a->in_c);
    return (uint32_t)(pixels_per_pass(kp) * kp) * (uint32_t)sizeof(int16_t);
}

/* ------------------------------------------------------------------ im2col */

/* d[i] = s[i] - zp; the main loop runs a multiple of 16 times so that it vectorises. */
NOINLINE static void copy_minus_zp(int16_t *restrict d, const int8_t *restrict s, int32_t n, int32_t zp)
{
    const int32_t nv = n / BLOCK * BLOCK;
    int32_t i;
    for (i = 0; i < nv; i++) d[i] = (int16_t)(s[i] - zp);
    for (; i < n; i++) d[i] = (int16_t)(s[i] - zp);
}

static inline void copy_run(int16_t *d, const int8_t *s, int32_t n, int32_t zp)
{
    if (n >= BLOCK) {
        copy_minus_zp(d, s, n, zp);
        return;
    }
    for (int32_t i = 0; i < n; i++) d[i] = (int16_t)(s[i] - zp);
}

static inline void zero_run(int16_t *d, int32_t n)
{
    for (int32_t i = 0; i < n; i++) d[i] = 0;
}

/* Gathers the receptive field of output pixel (oy, ox) into col[0 .. k). */
static void im2col(const nnom_conv_args *a, const int8_t *in, int32_t oy, int32_t ox, int16_t *col)
{
    const int32_t in_c = a->in_c, run = a->k_w * in_c, zp = a->in_zp;
    const int32_t iy0 = oy * a->stride_h - a->pad_top;
    const int32_t ix0 = ox * a->stride_w - a->pad_left;
    const int32_t whole_row = a->dil_w == 1 && ix0 >= 0 && ix0 + a->k_w <= a->in_w;
    for (int32_t ky = 0; ky < a->k_h; ky++, col += run) {
        const int32_t iy = iy0 + ky * a->dil_h;
        if (iy < 0 || iy >= a->in_h) {
            zero_run(col, run);
            continue;
        }
        const int8_t *row = in + (ptrdiff_t)iy * a->in_w * in_c;
        if (whole_row) {
            copy_run(col, row + (ptrdiff_t)ix0 * in_c, run, zp);
            continue;
        }
        for (int32_t kx = 0; kx < a->k_w; kx++) {
            const int32_t ix = ix0 + kx * a->dil_w;
            if (ix < 0 || ix >= a->in_w) zero_run(col + kx * in_c, in_c);
            else copy_run(col + kx * in_c, row + (ptrdiff_t)ix * in_c, in_c, zp);
        }
    }
}

/* ------------------------------------------------------------ dot products */

/* Over n = 16 * nb elements. x: pixel columns, w: channel weights; s: sums. */
NOINLINE static void dot_4x1(const int16_t *restrict x, int32_t kp, const int8_t *restrict w, int32_t nb,
                             int32_t *s, int32_t s_stride)
{
    const int16_t *restrict x0 = x, *restrict x1 = x + kp, *restrict x2 = x + 2 * kp, *restrict x3 = x + 3 * kp;
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    const int32_t n = nb * BLOCK;
    for (int32_t i = 0; i < n; i++) {
        const int32_t u = w[i];
        s0 += x0[i] * u;
        s1 += x1[i] * u;
        s2 += x2[i] * u;
        s3 += x3[i] * u;
    }
    s[0] = s0;
    s[s_stride] = s1;
    s[2 * s_stride] = s2;
    s[3 * s_stride] = s3;
}

NOINLINE static void dot_2x2(const int16_t *restrict x0, const int16_t *restrict x1, const int8_t *restrict w0,
                             const int8_t *restrict w1, int32_t nb, int32_t *s0, int32_t *s1)
{
    int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0;
    const int32_t n = nb * BLOCK;
    for (int32_t i = 0; i < n; i++) {
        const int32_t a = x0[i], b = x1[i], u = w0[i], v = w1[i];
        s00 += a * u;
        s01 += a * v;
        s10 += b * u;
        s11 += b * v;
    }
    s0[0] = s00;
    s0[1] = s01;
    s1[0] = s10;
    s1[1] = s11;
}

NOINLINE static void dot_2x1(const int16_t *restrict x0, const int16_t *restrict x1, const int8_t *restrict w,
                             int32_t nb, int32_t *s0, int32_t *s1)
{
    int32_t a = 0, b = 0;
    const int32_t n = nb * BLOCK;
    for (int32_t i = 0; i < n; i++) {
        a += x0[i] * w[i];
        b += x1[i] * w[i];
    }
    *s0 = a;
    *s1 = b;
}

NOINLINE static void dot_1x4(const int16_t *restrict x, const int8_t *restrict w0, const int8_t *restrict w1,
                             const int8_t *restrict w2, const int8_t *restrict w3, int32_t nb, int32_t *s)
{
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    const int32_t n = nb * BLOCK;
    for (int32_t i = 0; i < n; i++) {
        const int32_t a = x[i];
        s0 += a * w0[i];
        s1 += a * w1[i];
        s2 += a * w2[i];
        s3 += a * w3[i];
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
}

NOINLINE static int32_t dot_1x1(const int16_t *restrict x, const int8_t *restrict w, int32_t nb)
{
    int32_t s = 0;
    const int32_t n = nb * BLOCK;
    for (int32_t i = 0; i < n; i++) s += x[i] * w[i];
    return s;
}

/* The last, partial block of a channel's k weights, zero padded, in tail[]. */
static const int8_t *last_block(const int8_t *wc, int32_t k, int8_t tail[BLOCK])
{
    const int32_t full = k / BLOCK * BLOCK;
    for (int32_t i = 0; i < BLOCK; i++) tail[i] = full + i < k ? wc[full + i] : 0;
    return tail;
}

typedef struct {
    const nnom_conv_args *a;
    const int8_t *w;    /* all weights, [out_c][k] */
    int32_t k, kp, nb;  /* patch length, padded length, padded blocks */
    int32_t n_safe;     /* channels 0 .. n_safe-1 may read kp weights */
    int32_t np;         /* pixels per pass */
    int16_t *cols;      /* np columns of kp elements */
} conv_ctx;

/* Sums acc[p][j] of channels c0 + j (j < n) for the np pixel columns. */
static void chunk_dots(const conv_ctx *x, int32_t np, int32_t c0, int32_t n, int32_t acc[4][CHUNK])
{
    const int32_t k = x->k, kp = x->kp, nb = x->nb, full = k / BLOCK;
    const int16_t *col = x->cols;
    int8_t tail[BLOCK];
    int32_t j = 0;
    if (np == 4) {
        for (; j < n; j++) {
            const int8_t *wc = x->w + (ptrdiff_t)(c0 + j) * k;
            if (c0 + j < x->n_safe) {
                dot_4x1(col, kp, wc, nb, &acc[0][j], CHUNK);
                continue;
            }
            int32_t t[4];
            dot_4x1(col, kp, wc, full, &acc[0][j], CHUNK);
            dot_4x1(col + full * BLOCK, kp, last_block(wc, k, tail), 1, t, 1);
            for (int32_t p = 0; p < 4; p++) acc[p][j] += t[p];
        }
    } else if (np == 2) {
        for (; j + 2 <= n && c0 + j + 2 <= x->n_safe; j += 2) {
            const int8_t *wc = x->w + (ptrdiff_t)(c0 + j) * k;
            dot_2x2(col, col + kp, wc, wc + k, nb, &acc[0][j], &acc[1][j]);
        }
        for (; j < n; j++) {
            const int8_t *wc = x->w + (ptrdiff_t)(c0 + j) * k;
            if (c0 + j < x->n_safe) {
                dot_2x1(col, col + kp, wc, nb, &acc[0][j], &acc[1][j]);
                continue;
            }
            int32_t t0, t1;
            dot_2x1(col, col + kp, wc, full, &acc[0][j], &acc[1][j]);
            dot_2x1(col + full * BLOCK, col + kp + full * BLOCK, last_block(wc, k, tail), 1, &t0, &t1);
            acc[0][j] += t0;
            acc[1][j] += t1;
        }
    } else {
        for (; j + 4 <= n && c0 + j + 4 <= x->n_safe; j += 4) {
            const int8_t *wc = x->w + (ptrdiff_t)(c0 + j) * k;
            dot_1x4(col, wc, wc + k, wc + 2 * (ptrdiff_t)k, wc + 3 * (ptrdiff_t)k, nb, &acc[0][j]);
        }
        for (; j < n; j++) {
            const int8_t *wc = x->w + (ptrdiff_t)(c0 + j) * k;
            if (c0 + j < x->n_safe) {
                acc[0][j] = dot_1x1(col, wc, nb);
                continue;
            }
            acc[0][j] = dot_1x1(col, wc, full) + dot_1x1(col + full * BLOCK, last_block(wc, k, tail), 1);
        }
    }
}

/* ---------------------------------------------------------- requantisation */

/* Requantises channels c0 + j (j < n) of np pixels; pixel p's outputs start
 * at out + p * out_c. Specialised per np so that the pixel loop unrolls. */
static inline void chunk_out_np(const nnom_conv_args *a, const int32_t np, int32_t c0, int32_t n,
                                int32_t acc[4][CHUNK], int8_t *out)
{
    const int32_t *bias = (const int32_t *)a->bias;
    const int32_t *mult = a->multiplier + c0, *shift = a->shift + c0;
    const int32_t zp = a->out_zp, lo = a->act_min, hi = a->act_max;
    const ptrdiff_t out_c = a->out_c;
    if (bias) bias += c0;
    out += c0;
    for (int32_t j = 0; j < n; j++) {
        const int32_t s = shift[j], m = mult[j], b = bias ? bias[j] : 0;
        if (s > 0) {
            const nnom_conv_quant q = nnom_conv_quant_init(b, m, s);
            for (int32_t p = 0; p < np; p++) out[p * out_c + j] = nnom_conv_quant_out(q, acc[p][j], zp, lo, hi);
            continue;
        }
        /* nnom_conv_quant_apply with the bias folded into the constants:
         *   A = dot*m + B, B = b*m + 2^30;  y = (A + round - [A < 0] * neg) >> rs
         * |dot*m| < 2^61 - 2^53, |B| <= 2^62 + 2^30, round <= 2^61: below 2^63 for any m. */
        const int32_t e = -s, rs = 31 + e;
        const int64_t big_b = (int64_t)b * m + ((int64_t)1 << 30);
        const int64_t p_add = big_b + (e ? (int64_t)1 << (30 + e) : 0);
        const int64_t q_add = p_add - (e ? (int64_t)1 << 31 : 0);
        const int64_t thr = -big_b;
        for (int32_t p = 0; p < np; p++) {
            const int64_t t = (int64_t)acc[p][j] * m;
            const int64_t v = ((t + (t < thr ? q_add : p_add)) >> rs) + zp;
            out[p * out_c + j] = (int8_t)(v < lo ? lo : (v > hi ? hi : v));
        }
    }
}

NOINLINE static void chunk_out_1(const nnom_conv_args *a, int32_t c0, int32_t n, int32_t acc[4][CHUNK], int8_t *out)
{
    chunk_out_np(a, 1, c0, n, acc, out);
}

NOINLINE static void chunk_out_2(const nnom_conv_args *a, int32_t c0, int32_t n, int32_t acc[4][CHUNK], int8_t *out)
{
    chunk_out_np(a, 2, c0, n, acc, out);
}

NOINLINE static void chunk_out_4(const nnom_conv_args *a, int32_t c0, int32_t n, int32_t acc[4][CHUNK], int8_t *out)
{
    chunk_out_np(a, 4, c0, n, acc, out);
}

/* ------------------------------------------------------------------- entry */

void nnom_conv2d_s8(const nnom_conv_args *a, const int8_t *in, int8_t *out, void *scratch)
{
    conv_ctx x;
    int32_t acc[4][CHUNK];
    const int32_t out_c = a->out_c, n_pix = a->out_h * a->out_w;
    x.a = a;
    x.w = (const int8_t *)a->weights;
    x.k = a->k_h * a->k_w * a->in_c;
    x.kp = padded_patch(x.k);
    x.nb = x.kp / BLOCK;
    x.np = pixels_per_pass(x.kp);
    x.cols = (int16_t *)scratch;
    /* channel c may read kp weights from its start while c * k + kp <= out_c * k */
    const int64_t total = (int64_t)out_c * x.k;
    x.n_safe = total >= x.kp ? (int32_t)((total - x.kp) / x.k + 1) : 0;
    if (x.n_safe > out_c) x.n_safe = out_c;

    for (int32_t p = 0; p < x.np; p++) zero_run(x.cols + p * x.kp + x.k, x.kp - x.k);

    int32_t pix = 0, oy = 0, ox = 0;
    while (pix < n_pix) {
        /* a short last pass runs one pixel at a time */
        const int32_t np = n_pix - pix >= x.np ? x.np : 1;
        for (int32_t p = 0; p < np; p++) {
            im2col(a, in, oy, ox, x.cols + p * x.kp);
            if (++ox == a->out_w) {
                ox = 0;
                oy++;
            }
        }
        int8_t *o = out + (ptrdiff_t)pix * out_c;
        for (int32_t c0 = 0; c0 < out_c; c0 += CHUNK) {
            const int32_t n = out_c - c0 < CHUNK ? out_c - c0 : CHUNK;
            chunk_dots(&x, np, c0, n, acc);
            if (np == 4) chunk_out_4(a, c0, n, acc, o);
            else if (np == 2) chunk_out_2(a, c0, n, acc, o);
            else chunk_out_1(a, c0, n, acc, o);
        }
        pix += np;
    }
}

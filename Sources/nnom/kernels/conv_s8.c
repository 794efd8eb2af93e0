/*
 * int8 convolution, portable C.
 *
 * A few output pixels at a time (np = 4, 2 or 1, the most whose columns fit
 * in the scratch given and in SCRATCH_MAX bytes), the receptive field of each is gathered into scratch
 * as int16 with the input zero point already subtracted ("im2col"; padding
 * taps become 0), padded with zeros to a multiple of 16 elements. The copies
 * are vectorised loops over multiples of 16 or 8 elements whose last block
 * overlaps the one before it (a 3x3 window over 3 channels: rows of 9 as two
 * runs of 8), without scalar tails. Every output channel is then a dot product
 * of those columns with the channel's contiguous weights [k_h][k_w][in_c]. The
 * dot products are plain loops over a multiple of 16 elements, which compilers
 * vectorise (x86-64 gcc -O2: pmaddwd; they are kept out of line so that this
 * does not depend on inlining decisions), and compute 4 pixels x 2 channels,
 * 2 x 2, or 1 x 8 (1 x 4) per pass so that every load is used more than once.
 * Patches of at most 8 elements (1x1 layers of few channels) use 8 lanes of
 * int16 weights widened once per block of channels, not 16 lanes half zero.
 *
 * Reading a padded column's worth of weights runs past the end of a
 * channel's weights into the next channel's; those extra products meet the
 * zero padding of the column and vanish. The last channels, whose read would
 * leave the weight array, read a zero-padded copy of their weights made once
 * per call (TAIL_COPY bytes), or, beyond that, stop at their last whole block
 * and read the rest from a zero-padded 16-byte copy.
 *
 * Requantisation (see nnom_conv_quant in conv.h) is folded per channel into
 * three 64-bit constants, the output zero point included, so that each output
 * costs a multiply, a compare, an add, a shift and a clamp. Those constants are
 * prepared once per block of QBLOCK output channels (on the stack), the pixels
 * being swept once per block, where gathering the columns again costs little
 * (pointwise layers, whose columns are one copy; few blocks) and the output does
 * not overlap the input.
 *
 * Dead output channels (all-zero filter, or multiplier 0: one constant per
 * call, conv_s8_dead.h) of the first 256 are found once per call, a mask of
 * 16 bits per chunk of CHUNK channels (a layer without any pays a test of one
 * multiplier and one weight per channel, and one mask test per chunk and
 * pass). A chunk with some runs chunk_dead(): its live channels paired by
 * pointer, the dead ones without dot products, requantised from a zero sum in
 * the sweep's first pass and copied from its pixel 0 in the others.
 */
#include "kernels/arm/arm_dsp.h" /* Cortex-M with DSP: kernels/arm/conv_s8.c replaces this file */
#if NNOM_USE_ARM_DSP
#define NNOM_ARM_DSP_TWIN 1
#include "kernels/arm/conv_s8.c"
#else

#include <stddef.h>
#include <stdint.h>

#include "kernels/conv.h"

#define BLOCK NNOM_CONV_BLOCK
#define HALF_BLOCK (NNOM_CONV_BLOCK / 2)

/* Output channels per batch: their sums wait in a small array on the stack. */
#define CHUNK 16

#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#if defined(__OPTIMIZE_SIZE__) /* -Os: the compiler decides (one copy per call site costs flash) */
#define ALWAYS_INLINE inline
#else
#define ALWAYS_INLINE inline __attribute__((always_inline))
#endif
#else
#define NOINLINE
#define ALWAYS_INLINE inline
#endif

#define padded_patch nnom_conv_padded_patch
#define pixels_per_pass nnom_conv_pixels_per_pass

/* ------------------------------------------------------------------ im2col */

/* d[i] = s[i] - zp for i < m, m a multiple of 16 (copy_16s) or of 8 (copy_8s): loops that compilers vectorise,
 * whole vectors or their 64-bit halves (the trip counts stay unknown to the compiler so that it does not
 * unroll them into scalar code). */
static inline void copy_16s(int16_t *restrict d, const int8_t *restrict s, int32_t m, int32_t zp)
{
    for (int32_t i = 0; i < m; i++) d[i] = (int16_t)(s[i] - zp);
}

static inline void copy_8s(int16_t *restrict d, const int8_t *restrict s, int32_t m, int32_t zp)
{
    for (int32_t i = 0; i < m; i++) d[i] = (int16_t)(s[i] - zp);
}

/* d[i] = s[i] - zp for i < n, n >= 8, without a scalar tail: from 16 on, the multiple of 16 below n and then
 * the last 16 (overlapping, writing some values again); below 16, the first 8 and the last 8. */
NOINLINE static void copy_run(int16_t *restrict d, const int8_t *restrict s, int32_t n, int32_t zp)
{
    if (n < BLOCK) {
        const int32_t m = n / HALF_BLOCK * HALF_BLOCK;
        copy_8s(d, s, m, zp);
        copy_8s(d + n - m, s + n - m, m, zp);
        return;
    }
    const int32_t m = n / BLOCK * BLOCK, t = n > m ? BLOCK : 0;
    copy_16s(d, s, m, zp);
    copy_16s(d + n - t, s + n - t, t, zp);
}

/* rows runs of n elements, s_step apart in s, to d, d_step apart. Runs of 8 to 15 (a 3x3 window over 3
 * channels: 9) in this loop, each as two overlapping runs of m = 8 (the same one twice for 8), shorter ones
 * element by element. */
NOINLINE static void copy_rows(int16_t *restrict d, ptrdiff_t d_step, const int8_t *restrict s, ptrdiff_t s_step,
                               int32_t rows, int32_t n, int32_t zp)
{
    if (n >= HALF_BLOCK && n < BLOCK) {
        const int32_t m = n / HALF_BLOCK * HALF_BLOCK;
        for (int32_t r = 0; r < rows; r++, d += d_step, s += s_step) {
            copy_8s(d, s, m, zp);
            copy_8s(d + n - m, s + n - m, m, zp);
        }
        return;
    }
    if (n < HALF_BLOCK) {
        for (int32_t r = 0; r < rows; r++, d += d_step, s += s_step)
            for (int32_t i = 0; i < n; i++) d[i] = (int16_t)(s[i] - zp);
        return;
    }
    for (int32_t r = 0; r < rows; r++, d += d_step, s += s_step) copy_run(d, s, n, zp);
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
    const ptrdiff_t row_step = (ptrdiff_t)a->dil_h * a->in_w * in_c;
    const int32_t whole_row = a->dil_w == 1 && ix0 >= 0 && ix0 + a->k_w <= a->in_w;
    if (whole_row && iy0 >= 0 && iy0 + (a->k_h - 1) * a->dil_h < a->in_h) {
        /* the window lies inside the input: k_h contiguous runs */
        const int8_t *src = in + ((ptrdiff_t)iy0 * a->in_w + ix0) * in_c;
        copy_rows(col, run, src, row_step, a->k_h, run, zp);
        return;
    }
    for (int32_t ky = 0; ky < a->k_h; ky++, col += run) {
        const int32_t iy = iy0 + ky * a->dil_h;
        if (iy < 0 || iy >= a->in_h) {
            zero_run(col, run);
            continue;
        }
        const int8_t *row = in + (ptrdiff_t)iy * a->in_w * in_c;
        if (whole_row) {
            copy_rows(col, run, row + (ptrdiff_t)ix0 * in_c, 0, 1, run, zp);
            continue;
        }
        for (int32_t kx = 0; kx < a->k_w; kx++) {
            const int32_t ix = ix0 + kx * a->dil_w;
            if (ix < 0 || ix >= a->in_w) zero_run(col + kx * in_c, in_c);
            else copy_rows(col + kx * in_c, in_c, row + (ptrdiff_t)ix * in_c, 0, 1, in_c, zp);
        }
    }
}

/* ------------------------------------------------------------ dot products */

/*
 * Each function computes the sums of n_ch consecutive channels (weights w,
 * k apart) over n = 16 * nb elements of the pixel columns x (kp apart),
 * writing acc[p * stride + j] for pixel p and channel j (stride CHUNK
 * where there is one pixel per pass). The inner loops only
 * read, and their trip count is a multiple of 16: they vectorise.
 */
NOINLINE static void dots_4x1(const int16_t *x, int32_t kp, const int8_t *w, int32_t k, int32_t nb, int32_t n_ch,
                              int32_t *acc, int32_t stride)
{
    const int16_t *x0 = x, *x1 = x + kp, *x2 = x + 2 * kp, *x3 = x + 3 * kp;
    const int32_t n = nb * BLOCK;
    for (int32_t j = 0; j < n_ch; j++, w += k) {
        int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int32_t i = 0; i < n; i++) {
            const int32_t u = w[i];
            s0 += x0[i] * u;
            s1 += x1[i] * u;
            s2 += x2[i] * u;
            s3 += x3[i] * u;
        }
        acc[j] = s0;
        acc[stride + j] = s1;
        acc[2 * stride + j] = s2;
        acc[3 * stride + j] = s3;
    }
}

/* The sums of four pixels' columns x0..x3 with the weight rows w0 and w1 over n elements, stored at
 * acc[p * stride + j] (w0) and acc[p * stride + j + 1] (w1) for pixel p: the body of dots_4x2 (int8
 * weights) and narrow_dots (int16 weights), a macro so that each keeps its element types and a loop
 * the compiler vectorises whole. */
#define DOTS_4X2_BODY(x0, x1, x2, x3, w0, w1, n, acc, j, stride)                                            \
    do {                                                                                                   \
        int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;                     \
        for (int32_t i = 0; i < (n); i++) {                                                                \
            const int32_t u = (w0)[i], v = (w1)[i];                                                         \
            s00 += (x0)[i] * u;                                                                            \
            s01 += (x0)[i] * v;                                                                            \
            s10 += (x1)[i] * u;                                                                            \
            s11 += (x1)[i] * v;                                                                            \
            s20 += (x2)[i] * u;                                                                            \
            s21 += (x2)[i] * v;                                                                            \
            s30 += (x3)[i] * u;                                                                            \
            s31 += (x3)[i] * v;                                                                            \
        }                                                                                                  \
        (acc)[(j)] = s00;                                                                                  \
        (acc)[(j) + 1] = s01;                                                                              \
        (acc)[(stride) + (j)] = s10;                                                                       \
        (acc)[(stride) + (j) + 1] = s11;                                                                   \
        (acc)[2 * (stride) + (j)] = s20;                                                                   \
        (acc)[2 * (stride) + (j) + 1] = s21;                                                               \
        (acc)[3 * (stride) + (j)] = s30;                                                                   \
        (acc)[3 * (stride) + (j) + 1] = s31;                                                               \
    } while (0)

/* Two pixels by two channels (sums to acc[j], acc[j + 1] and, for the second pixel, stride
 * further), and one pixel by four channels (to acc[j .. j + 3]): the loops of dots_2x2 and
 * dots_1x4, also run on channels given by pointer (conv_s8_dead.h). */
#define DOTS_2X2_BODY(x0, x1, w0, w1, n, acc, j, stride)                                                    \
    do {                                                                                                   \
        int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0;                                                        \
        for (int32_t i = 0; i < (n); i++) {                                                                \
            const int32_t a = (x0)[i], b = (x1)[i], u = (w0)[i], v = (w1)[i];                               \
            s00 += a * u;                                                                                  \
            s01 += a * v;                                                                                  \
            s10 += b * u;                                                                                  \
            s11 += b * v;                                                                                  \
        }                                                                                                  \
        (acc)[(j)] = s00;                                                                                  \
        (acc)[(j) + 1] = s01;                                                                              \
        (acc)[(stride) + (j)] = s10;                                                                       \
        (acc)[(stride) + (j) + 1] = s11;                                                                   \
    } while (0)
#define DOTS_1X4_BODY(x, w0, w1, w2, w3, n, acc, j)                                                        \
    do {                                                                                                   \
        int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;                                                            \
        for (int32_t i = 0; i < (n); i++) {                                                                \
            const int32_t a = (x)[i];                                                                      \
            s0 += a * (w0)[i];                                                                             \
            s1 += a * (w1)[i];                                                                             \
            s2 += a * (w2)[i];                                                                             \
            s3 += a * (w3)[i];                                                                             \
        }                                                                                                  \
        (acc)[(j)] = s0;                                                                                   \
        (acc)[(j) + 1] = s1;                                                                               \
        (acc)[(j) + 2] = s2;                                                                               \
        (acc)[(j) + 3] = s3;                                                                               \
    } while (0)

/* Four pixels, channels in pairs: 2 * n_pairs channels. */
NOINLINE static void dots_4x2(const int16_t *x, int32_t kp, const int8_t *w, int32_t k, int32_t nb, int32_t n_pairs,
                              int32_t *acc, int32_t stride)
{
    const int16_t *x0 = x, *x1 = x + kp, *x2 = x + 2 * kp, *x3 = x + 3 * kp;
    const int32_t n = nb * BLOCK;
    for (int32_t j = 0; j < 2 * n_pairs; j += 2, w += 2 * (ptrdiff_t)k) {
        const int8_t *w0 = w, *w1 = w + k;
        DOTS_4X2_BODY(x0, x1, x2, x3, w0, w1, n, acc, j, stride);
    }
}

/* Channels in pairs: 2 * n_pairs channels. */
NOINLINE static void dots_2x2(const int16_t *x, int32_t kp, const int8_t *w, int32_t k, int32_t nb, int32_t n_pairs,
                              int32_t *acc, int32_t stride)
{
    const int16_t *x0 = x, *x1 = x + kp;
    const int32_t n = nb * BLOCK;
    for (int32_t j = 0; j < 2 * n_pairs; j += 2, w += 2 * (ptrdiff_t)k) {
        const int8_t *w0 = w, *w1 = w + k;
        DOTS_2X2_BODY(x0, x1, w0, w1, n, acc, j, stride);
    }
}

NOINLINE static void dots_2x1(const int16_t *x, int32_t kp, const int8_t *w, int32_t k, int32_t nb, int32_t n_ch,
                              int32_t *acc, int32_t stride)
{
    const int16_t *x0 = x, *x1 = x + kp;
    const int32_t n = nb * BLOCK;
    for (int32_t j = 0; j < n_ch; j++, w += k) {
        int32_t s0 = 0, s1 = 0;
        for (int32_t i = 0; i < n; i++) {
            s0 += x0[i] * w[i];
            s1 += x1[i] * w[i];
        }
        acc[j] = s0;
        acc[stride + j] = s1;
    }
}

/* Channels in groups of 8: 8 * n_groups channels. */
NOINLINE static void dots_1x8(const int16_t *x, const int8_t *w, int32_t k, int32_t nb, int32_t n_groups, int32_t *acc)
{
    const int32_t n = nb * BLOCK;
    for (int32_t j = 0; j < 8 * n_groups; j += 8, w += 8 * (ptrdiff_t)k) {
        const int8_t *w0 = w, *w1 = w + k, *w2 = w + 2 * (ptrdiff_t)k, *w3 = w + 3 * (ptrdiff_t)k;
        const int8_t *w4 = w + 4 * (ptrdiff_t)k, *w5 = w + 5 * (ptrdiff_t)k, *w6 = w + 6 * (ptrdiff_t)k;
        const int8_t *w7 = w + 7 * (ptrdiff_t)k;
        int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        for (int32_t i = 0; i < n; i++) {
            const int32_t a = x[i];
            s0 += a * w0[i];
            s1 += a * w1[i];
            s2 += a * w2[i];
            s3 += a * w3[i];
            s4 += a * w4[i];
            s5 += a * w5[i];
            s6 += a * w6[i];
            s7 += a * w7[i];
        }
        acc[j] = s0;
        acc[j + 1] = s1;
        acc[j + 2] = s2;
        acc[j + 3] = s3;
        acc[j + 4] = s4;
        acc[j + 5] = s5;
        acc[j + 6] = s6;
        acc[j + 7] = s7;
    }
}

/* Channels in groups of 4: 4 * n_groups channels. */
NOINLINE static void dots_1x4(const int16_t *x, const int8_t *w, int32_t k, int32_t nb, int32_t n_groups, int32_t *acc)
{
    const int32_t n = nb * BLOCK;
    for (int32_t j = 0; j < 4 * n_groups; j += 4, w += 4 * (ptrdiff_t)k) {
        const int8_t *w0 = w, *w1 = w + k, *w2 = w + 2 * (ptrdiff_t)k, *w3 = w + 3 * (ptrdiff_t)k;
        DOTS_1X4_BODY(x, w0, w1, w2, w3, n, acc, j);
    }
}

NOINLINE static void dots_1x1(const int16_t *x, const int8_t *w, int32_t k, int32_t nb, int32_t n_ch, int32_t *acc)
{
    const int32_t n = nb * BLOCK;
    for (int32_t j = 0; j < n_ch; j++, w += k) {
        int32_t s = 0;
        for (int32_t i = 0; i < n; i++) s += x[i] * w[i];
        acc[j] = s;
    }
}

/* The last, partial block of a channel's k weights, zero padded, in tail[]. */
static void last_block(const int8_t *wc, int32_t k, int8_t tail[BLOCK])
{
    const int32_t full = k / BLOCK * BLOCK;
    for (int32_t i = 0; i < BLOCK; i++) tail[i] = full + i < k ? wc[full + i] : 0;
}

/* Channels of a block (QBLOCK below) whose weights a patch of at most 8 takes as int16 (narrow_dots). */
#define QBLOCK_W16 16

/* Channels whose last block is prepared once per call (more only when k < 8). */
#define MAX_TAILS 2
/* Bytes of the zero-padded copy of the last channels' weights (those that may not read kp weights from their
 * start) made once per call where they fit: those channels then take the same dot loops as the others. */
#define TAIL_COPY 128

typedef struct {
    const int8_t *w;    /* all weights, [out_c][k] */
    int32_t k, kp, nb;  /* patch length, padded length, padded blocks */
    int32_t n_safe;     /* channels 0 .. n_safe-1 may read kp weights */
    int32_t np;         /* pixels per pass */
    int16_t *cols;      /* np columns of kp elements */
    int32_t n_tails;    /* channels n_safe .. n_safe + n_tails - 1 have their last block in tails[] */
    int8_t tails[MAX_TAILS][BLOCK];
    int copied;         /* channels n_safe .. out_c - 1 are in wcopy (k apart, zero padded to kp) */
    int8_t wcopy[TAIL_COPY];
    int32_t w16_blocks; /* 1: the length of w16's rows in blocks of 8 */
    int32_t w16_c0;     /* k <= 8, one sweep per block: the block's first channel, whose weights are in w16; else -1 */
    int16_t w16[QBLOCK_W16 * HALF_BLOCK]; /* [channel - w16_c0][8] as int16, zero beyond k and the block */
} conv_ctx;

/* The zero-padded last block of unsafe channel c (prepared, or built in buf). */
static const int8_t *tail_of(const conv_ctx *x, int32_t c, int8_t buf[BLOCK])
{
    if (c - x->n_safe < x->n_tails) return x->tails[c - x->n_safe];
    last_block(x->w + (ptrdiff_t)c * x->k, x->k, buf);
    return buf;
}

/* Patches of at most 8 (1x1 layers of few channels): four pixels, channels in pairs, over 8 elements of
 * int16 columns and int16 weights w16 (8 per channel, zero beyond k), a fixed trip count that compilers
 * vectorise as one multiply-add of 8 lanes per product, instead of 16 lanes half zero. */
NOINLINE static void narrow_dots(const int16_t *restrict x, int32_t kp, const int16_t *restrict w16, int32_t n_pairs,
                                 int32_t blocks, int32_t *restrict acc, int32_t stride)
{
    const int16_t *x0 = x, *x1 = x + kp, *x2 = x + 2 * kp, *x3 = x + 3 * kp;
    const int32_t n = blocks * HALF_BLOCK; /* 8, passed in: a loop the compiler keeps (and vectorises) whole */
    for (int32_t j = 0; j < 2 * n_pairs; j += 2, w16 += 2 * HALF_BLOCK) {
        const int16_t *w0 = w16, *w1 = w16 + HALF_BLOCK;
        DOTS_4X2_BODY(x0, x1, x2, x3, w0, w1, n, acc, j, stride);
    }
}

/* Sums acc[p][j] (j < n) of the n channels whose weights start at w (k apart, each readable for kp). */
static void dots_whole(const conv_ctx *x, int32_t np, const int8_t *w, int32_t n, int32_t acc[4][CHUNK], int32_t j0)
{
    const int32_t k = x->k, kp = x->kp, nb = x->nb;
    const int16_t *col = x->cols;
    int32_t j = 0;
    if (np == 4) {
        dots_4x2(col, kp, w, k, nb, n / 2, &acc[0][j0], CHUNK);
        j = n / 2 * 2;
        if (j < n) dots_4x1(col, kp, w + (ptrdiff_t)j * k, k, nb, n - j, &acc[0][j0 + j], CHUNK);
    } else if (np == 2) {
        dots_2x2(col, kp, w, k, nb, n / 2, &acc[0][j0], CHUNK);
        j = n / 2 * 2;
        if (j < n) dots_2x1(col, kp, w + (ptrdiff_t)j * k, k, nb, n - j, &acc[0][j0 + j], CHUNK);
    } else {
        dots_1x8(col, w, k, nb, n / 8, &acc[0][j0]);
        j = n / 8 * 8;
        dots_1x4(col, w + (ptrdiff_t)j * k, k, nb, (n - j) / 4, &acc[0][j0 + j]);
        j += (n - j) / 4 * 4;
        dots_1x1(col, w + (ptrdiff_t)j * k, k, nb, n - j, &acc[0][j0 + j]);
    }
}

/* Channels c0 + j, j in [safe, n), that may not read kp weights and are not in wcopy: their whole blocks, then
 * the last block from a zero-padded copy. Out of line, so that compilers do not hoist its work into the
 * callers' loops. */
NOINLINE static void chunk_tails(const conv_ctx *x, int32_t np, int32_t c0, int32_t safe, int32_t n,
                                 int32_t acc[4][CHUNK])
{
    const int32_t k = x->k, kp = x->kp, full = k / BLOCK;
    const int16_t *col = x->cols;
    const int8_t *w = x->w + (ptrdiff_t)c0 * k;
    int8_t buf[BLOCK];
    int32_t t[4]; /* sums over the last block of an unsafe channel */
    for (int32_t j = safe; j < n; j++) {
        if (np == 4) {
            dots_4x1(col, kp, w + (ptrdiff_t)j * k, k, full, 1, &acc[0][j], CHUNK);
            dots_4x1(col + full * BLOCK, kp, tail_of(x, c0 + j, buf), 0, 1, 1, t, 1);
            for (int32_t p = 0; p < 4; p++) acc[p][j] += t[p];
        } else if (np == 2) {
            dots_2x1(col, kp, w + (ptrdiff_t)j * k, k, full, 1, &acc[0][j], CHUNK);
            dots_2x1(col + full * BLOCK, kp, tail_of(x, c0 + j, buf), 0, 1, 1, t, 1);
            acc[0][j] += t[0];
            acc[1][j] += t[1];
        } else {
            dots_1x1(col, w + (ptrdiff_t)j * k, k, full, 1, &acc[0][j]);
            dots_1x1(col + full * BLOCK, tail_of(x, c0 + j, buf), 0, 1, 1, t);
            acc[0][j] += t[0];
        }
    }
}

/* How many of channels c0 .. c0 + n - 1, from the first, read whole padded blocks (the rest stop at their last
 * whole block: chunk_rest). */
static inline int32_t chunk_safe(const conv_ctx *x, int32_t c0, int32_t n)
{
    return x->n_safe - c0 < n ? (x->n_safe - c0 > 0 ? x->n_safe - c0 : 0) : n;
}

/* Sums of channels c0 + j, j in [safe, n). */
static inline void chunk_rest(const conv_ctx *x, int32_t np, int32_t c0, int32_t safe, int32_t n,
                              int32_t acc[4][CHUNK])
{
    if (safe == n) return;
    if (x->copied)
        dots_whole(x, np, x->wcopy + (ptrdiff_t)(c0 + safe - x->n_safe) * x->k, n - safe, acc, safe);
    else chunk_tails(x, np, c0, safe, n, acc);
}

/* Sums acc[p][j] of channels c0 + j (j < n) for the np pixel columns. */
static ALWAYS_INLINE void chunk_dots(const conv_ctx *x, int32_t np, int32_t c0, int32_t n, int32_t acc[4][CHUNK])
{
    const int32_t k = x->k, kp = x->kp;
    const int16_t *col = x->cols;
    const int8_t *w = x->w + (ptrdiff_t)c0 * k;
    if (np == 4 && x->w16_c0 >= 0) { /* pairs beyond the block have zero weights: sums computed, not used */
        narrow_dots(col, kp, x->w16 + (ptrdiff_t)(c0 - x->w16_c0) * HALF_BLOCK, (n + 1) / 2, x->w16_blocks, &acc[0][0],
                    CHUNK);
        return;
    }
    /* channels [0, safe) of the chunk read whole padded blocks; the rest stop at their last whole block */
    const int32_t safe = chunk_safe(x, c0, n);
    dots_whole(x, np, w, safe, acc, 0);
    chunk_rest(x, np, c0, safe, n, acc);
}

/* ---------------------------------------------------------- requantisation */

/* Output channels whose requantisation constants are prepared at once (QBLOCK *
 * sizeof(chan_quant) = 384 bytes of stack); a multiple of CHUNK. The pixels are
 * swept once per block, so a layer with more channels gathers its columns more
 * than once: k element copies per pixel and block, against k * QBLOCK products. */
#define QBLOCK 16

/* One channel's nnom_conv_fastq (conv.h), bias folded in, for shift < 0 (then
 * q_add = p_add - 2^31), with the output zero point folded in as well: p_add and q_add hold
 * zp * 2^rshift more (a multiple of 2^rshift: the shifted sum is zp more). With e = -shift <=
 * ZP_FOLD_MAX_E that term stays below 2^(38 + 22) = 2^60 in magnitude and, with the bounds of
 * conv.h (|dot * m| < 2^61, |bias * m + 2^30| <= 2^62 + 2^30, round <= 2^52), every sum below 2^63.
 * rshift == GENERAL_PATH marks a channel with shift >= 0 or e > ZP_FOLD_MAX_E,
 * which takes the general nnom_conv_quant path. */
typedef struct {
    int64_t thr, p_add;
    int32_t mult, rshift;
} chan_quant;

#define GENERAL_PATH 0
#define ZP_FOLD_MAX_E 22

/* The most sweeps over the output pixels of a layer whose columns im2col() gathers (measured on x86-64:
 * a 3x3 layer of 32 channels gains from two, one of 64 loses from four). */
#define GATHERED_SWEEPS 2
#define FASTQ_NEG ((int64_t)1 << 31)

static void prepare_quant(const nnom_conv_args *a, int32_t c0, int32_t n, chan_quant *q)
{
    const int32_t *bias = (const int32_t *)a->bias;
    for (int32_t j = 0; j < n; j++) {
        const int32_t c = c0 + j, s = a->shift[c], m = a->multiplier[c];
        if (s >= 0 || -s > ZP_FOLD_MAX_E) {
            q[j].rshift = GENERAL_PATH;
            continue;
        }
        const nnom_conv_fastq f = nnom_conv_fastq_init(bias ? bias[c] : 0, m, s);
        q[j].thr = f.thr;
        q[j].p_add = f.p_add + (int64_t)a->out_zp * ((int64_t)1 << f.rshift);
        q[j].mult = m;
        q[j].rshift = f.rshift;
    }
}

/* nnom_conv_fastq_out() for a shift below 0 (rshift >= 32) with the zero point folded into p_add and q_add
 * (chan_quant): the shifted sum then fits in int32 (below 2^31 in magnitude) and the clamp works in 32 bits,
 * without branches. */
static inline int8_t fastq_out_zp(int32_t dot, int32_t mult, int64_t thr, int64_t p_add, int64_t q_add, int32_t rshift,
                                  int32_t lo, int32_t hi)
{
    const int64_t t = (int64_t)dot * mult;
    int32_t v = (int32_t)((t + (t < thr ? q_add : p_add)) >> rshift);
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    return (int8_t)v;
}

/* Dead channel c0 + j (a bit of dead) of np pixels: the output of the sweep's first pass, out0[c0 + j]. */
#define COPY_DEAD(dead, j, out0, c0, np, out, out_c)                                                       \
    if ((dead) >> (j) & 1u) {                                                                              \
        const int8_t v_ = (out0)[(c0) + (j)];                                                              \
        for (int32_t p_ = 0; p_ < (np); p_++) (out)[p_ * (out_c) + (j)] = v_;                              \
        continue;                                                                                          \
    }

/* Requantises channels c0 + j (j < n, constants q[j]) of np pixels; pixel p's
 * outputs start at out + p * out_c; dead channels (bits of dead, in passes after the sweep's first, whose
 * outputs start at out0) copied. Specialised per np (a constant) so that it unrolls, and for dead == 0. */
static ALWAYS_INLINE void chunk_out_np(const nnom_conv_args *a, const chan_quant *q, const int32_t np, int32_t c0, int32_t n,
                                int32_t acc[4][CHUNK], int8_t *out, uint32_t dead, const int8_t *out0)
{
    const int32_t zp = a->out_zp, lo = a->act_min, hi = a->act_max;
    const ptrdiff_t out_c = a->out_c;
    out += c0;
    for (int32_t j = 0; j < n; j++) {
        COPY_DEAD(dead, j, out0, c0, np, out, out_c)
        const int32_t rs = q[j].rshift;
        if (rs == GENERAL_PATH) {
            const int32_t *bias = (const int32_t *)a->bias;
            const nnom_conv_quant g =
                nnom_conv_quant_init(bias ? bias[c0 + j] : 0, a->multiplier[c0 + j], a->shift[c0 + j]);
            for (int32_t p = 0; p < np; p++) out[p * out_c + j] = nnom_conv_quant_out(g, acc[p][j], zp, lo, hi);
            continue;
        }
        /* constants in locals, so that they stay in registers */
        const int32_t m = q[j].mult;
        const int64_t thr = q[j].thr, p_add = q[j].p_add, q_add = p_add - FASTQ_NEG;
        out[j] = fastq_out_zp(acc[0][j], m, thr, p_add, q_add, rs, lo, hi);
        if (np > 1) out[out_c + j] = fastq_out_zp(acc[1][j], m, thr, p_add, q_add, rs, lo, hi);
        if (np > 2) {
            out[2 * out_c + j] = fastq_out_zp(acc[2][j], m, thr, p_add, q_add, rs, lo, hi);
            out[3 * out_c + j] = fastq_out_zp(acc[3][j], m, thr, p_add, q_add, rs, lo, hi);
        }
    }
}

/* The same without prepared constants: nnom_conv_fastq per channel (shift <= 0), else nnom_conv_quant. */
static ALWAYS_INLINE void chunk_direct_np(const nnom_conv_args *a, const int32_t np, int32_t c0, int32_t n,
                                   int32_t acc[4][CHUNK], int8_t *out, uint32_t dead, const int8_t *out0)
{
    const int32_t zp = a->out_zp, lo = a->act_min, hi = a->act_max;
    const ptrdiff_t out_c = a->out_c;
    out += c0;
    const int32_t *bias = (const int32_t *)a->bias;
    for (int32_t j = 0; j < n; j++) {
        COPY_DEAD(dead, j, out0, c0, np, out, out_c)
        const int32_t c = c0 + j, s = a->shift[c], m = a->multiplier[c], b = bias ? bias[c] : 0;
        if (s > 0) {
            const nnom_conv_quant g = nnom_conv_quant_init(b, m, s);
            for (int32_t p = 0; p < np; p++) out[p * out_c + j] = nnom_conv_quant_out(g, acc[p][j], zp, lo, hi);
            continue;
        }
        const nnom_conv_fastq f = nnom_conv_fastq_init(b, m, s);
        const int64_t thr = f.thr, p_add = f.p_add, q_add = f.q_add;
        const int32_t rs = f.rshift;
        out[j] = nnom_conv_fastq_out(acc[0][j], m, thr, p_add, q_add, rs, zp, lo, hi);
        if (np > 1) out[out_c + j] = nnom_conv_fastq_out(acc[1][j], m, thr, p_add, q_add, rs, zp, lo, hi);
        if (np > 2) {
            out[2 * out_c + j] = nnom_conv_fastq_out(acc[2][j], m, thr, p_add, q_add, rs, zp, lo, hi);
            out[3 * out_c + j] = nnom_conv_fastq_out(acc[3][j], m, thr, p_add, q_add, rs, zp, lo, hi);
        }
    }
}

#define CHUNK_OUT(np)                                                                                          \
    NOINLINE static void chunk_out_##np(const nnom_conv_args *a, const chan_quant *q, int32_t c0, int32_t n,   \
                                        int32_t acc[4][CHUNK], int8_t *out)                                    \
    {                                                                                                          \
        if (q) chunk_out_np(a, q, np, c0, n, acc, out, 0, NULL);                                               \
        else chunk_direct_np(a, np, c0, n, acc, out, 0, NULL);                                                 \
    }
CHUNK_OUT(1)
CHUNK_OUT(2)
CHUNK_OUT(4)

#include "kernels/conv_s8_dead.h"

/* ------------------------------------------------------------------- entry */

void nnom_conv2d_s8(const nnom_conv_args *a, const int8_t *in, int8_t *out, void *scratch, uint32_t scratch_bytes)
{
    conv_ctx x;
    int32_t acc[4][CHUNK];
    chan_quant q[QBLOCK];
    uint32_t dead[DEAD_MAP_CHUNKS];
    const int32_t out_c = a->out_c, n_pix = a->out_h * a->out_w;
    x.w = (const int8_t *)a->weights;
    x.k = a->k_h * a->k_w * a->in_c;
    x.kp = padded_patch(x.k);
    x.nb = x.kp / BLOCK;
    x.np = pixels_per_pass(x.kp, scratch_bytes);
    x.cols = (int16_t *)scratch;
    /* channel c may read kp weights from its start while c * k + kp <= out_c * k */
    const int64_t total = (int64_t)out_c * x.k;
    x.n_safe = total >= x.kp ? (int32_t)((total - x.kp) / x.k + 1) : 0;
    if (x.n_safe > out_c) x.n_safe = out_c;
    x.n_tails = out_c - x.n_safe <= MAX_TAILS ? out_c - x.n_safe : 0;
    /* the unsafe channels' weights, zero padded, where they fit in wcopy; from an even channel, so that
     * the copied ones pair up as the others do (chunks start at multiples of CHUNK) */
    const int32_t first_copied = x.n_safe / 2 * 2;
    const int64_t copy_len = x.n_safe < out_c ? (int64_t)(out_c - 1 - first_copied) * x.k + x.kp : 0;
    x.copied = copy_len > 0 && copy_len <= TAIL_COPY;
    if (x.copied) {
        x.n_safe = first_copied;
        const int32_t have = (out_c - x.n_safe) * x.k;
        const int8_t *src = x.w + (ptrdiff_t)x.n_safe * x.k;
        for (int32_t i = 0; i < (int32_t)copy_len; i++) x.wcopy[i] = i < have ? src[i] : 0;
        x.n_tails = 0;
    }
    for (int32_t t = 0; t < x.n_tails; t++) last_block(x.w + (ptrdiff_t)(x.n_safe + t) * x.k, x.k, x.tails[t]);

    for (int32_t p = 0; p < x.np; p++) zero_run(x.cols + p * x.kp + x.k, x.kp - x.k);
    const int any_dead = find_dead(a, x.w, x.k, dead); /* (dead[] is set only where it is 1) */

    /* a 1x1 window at stride 1 without padding: the output pixels' columns lie one after another in the input */
    const int pointwise = a->k_h == 1 && a->k_w == 1 && a->stride_h == 1 && a->stride_w == 1 && a->pad_top == 0 &&
                          a->pad_left == 0 && a->out_h == a->in_h && a->out_w == a->in_w;

    /* Channels are swept in blocks of QBLOCK, whose constants are prepared once, where gathering the columns
     * again per block costs little: a pointwise layer, or at most GATHERED_SWEEPS blocks. Otherwise one sweep
     * computes the constants in every pass. */
    const uintptr_t in_at = (uintptr_t)in, out_at = (uintptr_t)out;
    const uintptr_t in_bytes = (uintptr_t)a->in_h * (uintptr_t)a->in_w * (uintptr_t)a->in_c;
    const uintptr_t out_bytes = (uintptr_t)n_pix * (uintptr_t)out_c;
    /* an output over the input (the layers' in-place runs) allows one sweep only: each pass reads before it writes */
    const int aliased = in_at < out_at + out_bytes && out_at < in_at + in_bytes;
    const int32_t blk =
        (!aliased && (pointwise || out_c <= GATHERED_SWEEPS * QBLOCK)) || out_c <= QBLOCK ? QBLOCK : out_c;
    const int per_pass = blk > QBLOCK;
    for (int32_t cb = 0; cb < out_c; cb += blk) {
        const int32_t cn = out_c - cb < blk ? out_c - cb : blk;
        if (!per_pass) prepare_quant(a, cb, cn, q);
        x.w16_c0 = -1;
        x.w16_blocks = 1;
        if (!per_pass && x.k <= HALF_BLOCK && x.np == 4) {
            x.w16_c0 = cb;
            for (int32_t j = 0; j < QBLOCK_W16; j++)
                for (int32_t i = 0; i < HALF_BLOCK; i++)
                    x.w16[j * HALF_BLOCK + i] = (int16_t)(j < cn && i < x.k ? x.w[(ptrdiff_t)(cb + j) * x.k + i] : 0);
        }
        int32_t pix = 0, oy = 0, ox = 0;
        while (pix < n_pix) {
            /* a short last pass runs one pixel at a time */
            const int32_t np = n_pix - pix >= x.np ? x.np : 1;
            if (pointwise) {
                /* pixel p's column is the input's run of k at p * k */
                const int8_t *src = in + (ptrdiff_t)pix * x.k;
                if (x.k == x.kp) copy_rows(x.cols, 0, src, 0, 1, np * x.k, a->in_zp);
                else copy_rows(x.cols, x.kp, src, x.k, np, x.k, a->in_zp);
            } else {
                for (int32_t p = 0; p < np; p++) {
                    im2col(a, in, oy, ox, x.cols + p * x.kp);
                    if (++ox == a->out_w) {
                        ox = 0;
                        oy++;
                    }
                }
            }
            int8_t *o = out + (ptrdiff_t)pix * out_c;
            for (int32_t c0 = cb; c0 < cb + cn; c0 += CHUNK) {
                const int32_t n = cb + cn - c0 < CHUNK ? cb + cn - c0 : CHUNK;
                const chan_quant *qc = per_pass ? NULL : q + (c0 - cb);
                const uint32_t dc = any_dead && c0 < DEAD_MAP_CHANNELS ? dead[c0 / CHUNK] : 0;
                if (dc) {
                    chunk_dead(&x, a, qc, np, c0, n, dc, pix > 0, acc, o, out);
                    continue;
                }
                chunk_dots(&x, np, c0, n, acc);
                if (np == 4) chunk_out_4(a, qc, c0, n, acc, o);
                else if (np == 2) chunk_out_2(a, qc, c0, n, acc, o);
                else chunk_out_1(a, qc, c0, n, acc, o);
            }
            pix += np;
        }
    }
}
#endif /* !NNOM_USE_ARM_DSP */

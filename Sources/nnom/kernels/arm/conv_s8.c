/*
 * int8 convolution for Cortex-M cores with the DSP extension (SMLAD), the
 * twin of kernels/conv_s8.c: same functions, same results bit for bit.
 *
 * Four output pixels per pass ("4 x 1": four pixels, one output channel at a
 * time). The receptive field of each pixel is gathered into scratch once per
 * pass (im2col), widened to int16 with the input zero point subtracted, in
 * groups of four elements stored as two int16 pairs (e0, e2) and (e1, e3), the
 * four pixels' groups side by side:
 *
 *     cols: | g0: p0 (2 words) p1 p2 p3 | g1: p0 p1 p2 p3 | ...     (32 bytes per group)
 *
 * Every output channel then streams its weights once for the four pixels:
 * per group of four taps, one load of four int8 weights, two SXTB16 (which
 * give the same (w0, w2) / (w1, w3) pairing), one LDRD per pixel and two
 * SMLAD per pixel: 15 instructions for 16 multiply-accumulates.
 *
 * Segments. The patch is cut into segments that are contiguous both in the
 * input and in the weights: the whole patch when in_c is a multiple of 4
 * (then every kernel row, and every tap, is whole groups), else one segment
 * per kernel row (k_w * in_c elements). Each segment starts a new group; the
 * lanes of its last, partial group past its end hold zero data, so the weights
 * read for them may be anything: the kernel reads the whole word, except for
 * the very last word of the weight array, read byte by byte. This lets a row
 * of an input with 1 or 3 channels be widened straight from the input, four
 * bytes at a time, instead of being copied element by element.
 *
 * Requantisation: the accumulators start at the bias; for every channel with
 * shift <= -1 whose |dot + bias| is below 2^30 (a bound known from k and the
 * bias), nnom_arm_requant() does it with SMMULR in 32-bit; other channels use
 * nnom_conv_quant_out() of conv.h, as the portable kernel does.
 *
 * Patches longer than COLS_LIMIT allows for four pixels run one pixel per pass.
 */
#include "kernels/arm/arm_dsp.h"

/* Compiled only as part of kernels/conv_s8.c, which includes this file on cores with DSP. */
#if NNOM_USE_ARM_DSP && defined(NNOM_ARM_DSP_TWIN)
#include <stddef.h>
#include <string.h>

#include "kernels/conv.h"

#include "kernels/arm/conv_shape.h"

/* ------------------------------------------------------------------ im2col */

/* Widens n groups of 4 int8 from src (any alignment) into dst, minus the zero
 * point (neg_zp: -zp in both int16 lanes); one group every `stride` words. */
static void widen(uint32_t *dst, int32_t stride, const int8_t *src, int32_t n, uint32_t neg_zp)
{
    for (; n >= 2; n -= 2, src += 8, dst += 2 * stride) {
        const uint32_t w0 = nnom_arm_load4(src), w1 = nnom_arm_load4(src + 4);
        dst[0] = nnom_arm_widen_lo(neg_zp, w0);
        dst[1] = nnom_arm_widen_hi(neg_zp, w0);
        dst[stride] = nnom_arm_widen_lo(neg_zp, w1);
        dst[stride + 1] = nnom_arm_widen_hi(neg_zp, w1);
    }
    if (n) {
        const uint32_t w0 = nnom_arm_load4(src);
        dst[0] = nnom_arm_widen_lo(neg_zp, w0);
        dst[1] = nnom_arm_widen_hi(neg_zp, w0);
    }
}

static void zero_groups(uint32_t *dst, int32_t stride, int32_t n)
{
    for (; n > 0; n--, dst += stride) dst[0] = dst[1] = 0;
}

static void fill_bytes(int8_t *d, int8_t v, int32_t n)
{
    for (int32_t i = 0; i < n; i++) d[i] = v;
}

typedef struct {
    const nnom_conv_args *a;
    conv_shape s;
    uint32_t neg_zp;
    uint32_t zp_bytes;      /* the input zero point in all four bytes */
    uint32_t *cols;         /* np interleaved columns */
    int8_t *staging;        /* one row of a partial-group layout, padded with the zero point */
    const int8_t *in_end;   /* one past the input tensor */
} conv_ctx;

/* Patch of pixel (oy, ox) into column slot p, when in_c is a multiple of 4:
 * every run of the patch is whole groups, widened straight from the input. */
static void im2col_groups(const conv_ctx *x, const int8_t *in, int32_t oy, int32_t ox, int32_t p)
{
    const nnom_conv_args *a = x->a;
    const int32_t stride = 2 * x->s.np, cg = a->in_c / 4, row_groups = a->k_w * cg;
    const int32_t iy0 = oy * a->stride_h - a->pad_top, ix0 = ox * a->stride_w - a->pad_left;
    const int whole_row = a->dil_w == 1 && ix0 >= 0 && ix0 + a->k_w <= a->in_w;
    uint32_t *dst = x->cols + 2 * p;
    for (int32_t ky = 0; ky < a->k_h; ky++, dst += row_groups * stride) {
        const int32_t iy = iy0 + ky * a->dil_h;
        if (iy < 0 || iy >= a->in_h) {
            zero_groups(dst, stride, row_groups);
            continue;
        }
        const int8_t *row = in + (ptrdiff_t)iy * a->in_w * a->in_c;
        if (whole_row) {
            widen(dst, stride, row + (ptrdiff_t)ix0 * a->in_c, row_groups, x->neg_zp);
            continue;
        }
        for (int32_t kx = 0; kx < a->k_w; kx++) {
            const int32_t ix = ix0 + kx * a->dil_w;
            uint32_t *d = dst + kx * cg * stride;
            if (ix < 0 || ix >= a->in_w) zero_groups(d, stride, cg);
            else widen(d, stride, row + (ptrdiff_t)ix * a->in_c, cg, x->neg_zp);
        }
    }
}

/* Patch of pixel (oy, ox) into column slot p, one segment per kernel row
 * (in_c not a multiple of 4). A row inside the input is widened straight from
 * it; its last group takes the row's last 1-3 bytes and the zero point in the
 * other lanes (which widen to 0). Rows that touch the padding go through the
 * staging row. */
static void im2col_rows(const conv_ctx *x, const int8_t *in, int32_t oy, int32_t ox, int32_t p)
{
    const nnom_conv_args *a = x->a;
    const int32_t in_c = a->in_c, stride = 2 * x->s.np, full = x->s.full, rem = x->s.rem;
    const int32_t seg_groups = x->s.seg_groups, seg_words = seg_groups * stride;
    const ptrdiff_t row_bytes = (ptrdiff_t)a->in_w * in_c;
    const int32_t iy0 = oy * a->stride_h - a->pad_top, ix0 = ox * a->stride_w - a->pad_left;
    const int whole_row = a->dil_w == 1 && ix0 >= 0 && ix0 + a->k_w <= a->in_w;
    const uint32_t keep = (1u << (8 * rem)) - 1u; /* the rem real bytes of the last group */
    const uint32_t pad = x->zp_bytes & ~keep, neg_zp = x->neg_zp;
    uint32_t *dst = x->cols + 2 * p;
    if (whole_row && iy0 >= 0 && iy0 + (a->k_h - 1) * a->dil_h < a->in_h) {
        /* inside the input: each row widened straight from it */
        const int8_t *src = in + iy0 * row_bytes + (ptrdiff_t)ix0 * in_c;
        const ptrdiff_t step = a->dil_h * row_bytes;
        for (int32_t ky = 0; ky < a->k_h; ky++, src += step, dst += seg_words) {
            if (full) widen(dst, stride, src, full, neg_zp);
            if (!rem) continue;
            const int8_t *tail = src + 4 * full;
            uint32_t last;
            if (tail + 4 <= x->in_end) {
                last = nnom_arm_load4(tail);
            } else { /* the end of the input: read only what is there */
                last = (uint8_t)tail[0];
                if (rem > 1) last |= (uint32_t)(uint8_t)tail[1] << 8;
                if (rem > 2) last |= (uint32_t)(uint8_t)tail[2] << 16;
            }
            last = (last & keep) | pad;
            uint32_t *d = dst + full * stride;
            d[0] = nnom_arm_widen_lo(neg_zp, last);
            d[1] = nnom_arm_widen_hi(neg_zp, last);
        }
        return;
    }
    for (int32_t ky = 0; ky < a->k_h; ky++, dst += seg_words) {
        const int32_t iy = iy0 + ky * a->dil_h;
        if (iy < 0 || iy >= a->in_h) {
            zero_groups(dst, stride, seg_groups);
            continue;
        }
        const int8_t *row = in + iy * row_bytes;
        int8_t *st = x->staging;
        for (int32_t kx = 0; kx < a->k_w; kx++, st += in_c) {
            const int32_t ix = ix0 + kx * a->dil_w;
            if (ix < 0 || ix >= a->in_w) fill_bytes(st, (int8_t)a->in_zp, in_c);
            else memcpy(st, row + (ptrdiff_t)ix * in_c, (size_t)in_c);
        }
        widen(dst, stride, x->staging, seg_groups, neg_zp);
    }
}

/* ------------------------------------------------------------ dot products */

/* The last 1-3 weights of the weight array as a word; the other lanes meet zero data. */
static inline uint32_t tail_weights(const int8_t *w, int32_t n)
{
    uint32_t v = (uint8_t)w[0];
    if (n > 1) v |= (uint32_t)(uint8_t)w[1] << 8;
    if (n > 2) v |= (uint32_t)(uint8_t)w[2] << 16;
    return v;
}

/* One pixel's group of 4 taps: its two data words at byte offset `off` from
 * x, times the widened weights wa, wb, into s. The data words come with one
 * LDRD; GCC does not pair the two loads for Cortex-M4 by itself. */
#define PIXEL_GROUP(s, x, off, wa, wb)                     \
    do {                                                   \
        uint32_t lo_, hi_;                                 \
        NNOM_ARM_LDRD(lo_, hi_, x, off);                   \
        (s) = __smlad(hi_, (wb), __smlad(lo_, (wa), (s))); \
    } while (0)

/* One group of 4 taps for four pixels: its 8 words start at byte offset off from x. */
#define GROUP4(word, x, off)                           \
    do {                                               \
        const uint32_t wa = nnom_arm_pairs_lo(word);   \
        const uint32_t wb = nnom_arm_pairs_hi(word);   \
        PIXEL_GROUP(s0, x, (off), wa, wb);             \
        PIXEL_GROUP(s1, x, (off) + 8, wa, wb);         \
        PIXEL_GROUP(s2, x, (off) + 16, wa, wb);        \
        PIXEL_GROUP(s3, x, (off) + 24, wa, wb);        \
    } while (0)

/*
 * s0..s3 += the patch of columns 0..3 (four interleaved columns from x) times
 * the channel's weights w (a macro, so that the sums stay in the caller's
 * registers). `last`: the last channel, whose final partial group must not
 * read past the weights.
 */
#define DOT_4X1(sh, x_start, w, last)                                                                   \
    do {                                                                                               \
        const uint32_t *x = (x_start);                                                                 \
        const int32_t full_ = (sh)->full, rem_ = (sh)->rem;                                             \
        for (int32_t seg = 0; seg < (sh)->n_seg; seg++) {                                              \
            const int8_t *wc = (w) + seg * (sh)->seg_len;                                              \
            int32_t g = full_;                                                                         \
            for (; g >= 2; g -= 2, wc += 8, x += 16) {                                                 \
                const uint32_t w0 = nnom_arm_load4(wc), w1 = nnom_arm_load4(wc + 4);                   \
                GROUP4(w0, x, 0);                                                                      \
                GROUP4(w1, x, 32);                                                                     \
            }                                                                                          \
            if (g) {                                                                                   \
                const uint32_t w0 = nnom_arm_load4(wc);                                                \
                GROUP4(w0, x, 0);                                                                      \
                wc += 4;                                                                               \
                x += 8;                                                                                \
            }                                                                                          \
            if (rem_) {                                                                                \
                const uint32_t w0 = (last) && seg == (sh)->n_seg - 1 ? tail_weights(wc, rem_) : nnom_arm_load4(wc); \
                GROUP4(w0, x, 0);                                                                      \
                x += 8;                                                                                \
            }                                                                                          \
        }                                                                                              \
    } while (0)

/* s[p] += column p times the weights w, p < 4 (see DOT_4X1). */
__attribute__((noinline)) static void dot_4x1(const conv_shape *sh, const uint32_t *cols, const int8_t *w, int last,
                                              int32_t s[4])
{
    int32_t s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
    DOT_4X1(sh, cols, w, last);
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
}

/* The same for one pixel (columns of consecutive groups). */
static int32_t dot_1x1(const conv_shape *sh, const uint32_t *x, const int8_t *w, int last, int32_t s)
{
    for (int32_t seg = 0; seg < sh->n_seg; seg++) {
        const int8_t *wc = w + seg * sh->seg_len;
        for (int32_t g = 0; g < sh->full; g++, wc += 4, x += 2) {
            const uint32_t word = nnom_arm_load4(wc);
            s = __smlad(x[0], nnom_arm_pairs_lo(word), s);
            s = __smlad(x[1], nnom_arm_pairs_hi(word), s);
        }
        if (sh->rem) {
            const uint32_t word = last && seg == sh->n_seg - 1 ? tail_weights(wc, sh->rem) : nnom_arm_load4(wc);
            s = __smlad(x[0], nnom_arm_pairs_lo(word), s);
            s = __smlad(x[1], nnom_arm_pairs_hi(word), s);
            x += 2;
        }
    }
    return s;
}

/* ---------------------------------------------------------- requantisation */

/* Writes channel c of n pixels (pixel p at out + p * out_c) from sums s = dot + start. */
static void requant_channel(const nnom_conv_args *a, int32_t c, int32_t fast, const int32_t *s, int32_t n,
                            int8_t *out)
{
    const int32_t zp = a->out_zp, lo = a->act_min, hi = a->act_max, out_c = a->out_c;
    const int32_t m = a->multiplier[c];
    if (fast) {
        const int32_t e = -a->shift[c], half = 1 << (e - 1);
        for (int32_t p = 0; p < n; p++) {
            int32_t v = nnom_arm_requant(s[p], m, e, half) + zp;
            v = v < lo ? lo : v;
            out[p * out_c] = (int8_t)(v > hi ? hi : v);
        }
        return;
    }
    const int32_t b = a->bias ? ((const int32_t *)a->bias)[c] : 0;
    const nnom_conv_quant q = nnom_conv_quant_init(b, m, a->shift[c]);
    for (int32_t p = 0; p < n; p++) out[p * out_c] = nnom_conv_quant_out(q, s[p], zp, lo, hi);
}

/* Whether channel c takes the fast requantisation (see the file comment). */
static int channel_is_fast(const nnom_conv_args *a, int32_t c, int32_t bias_room)
{
    const int32_t b = a->bias ? ((const int32_t *)a->bias)[c] : 0;
    return a->shift[c] < 0 && b <= bias_room && b >= -bias_room;
}

/* Channels [0, n) for four whole pixels when every channel takes the fast
 * requantisation and the output clamp is the whole int8 range (SSAT): the
 * common case, in one function so that the sums stay in registers from the
 * bias to the output. */
__attribute__((noinline)) static void pass_4px_fast(const conv_ctx *xc, int32_t n, int8_t *out)
{
    const nnom_conv_args *a = xc->a;
    const conv_shape sh = xc->s;
    const uint32_t *cols = xc->cols;
    const int8_t *w = (const int8_t *)a->weights;
    const int32_t *bias = (const int32_t *)a->bias, *mult = a->multiplier, *shift = a->shift;
    const int32_t out_c = a->out_c, zp = a->out_zp, last_c = out_c - 1;
    for (int32_t c = 0; c < n; c++, w += sh.k, out++) {
        const int32_t b = bias ? bias[c] : 0;
        int32_t s0 = b, s1 = b, s2 = b, s3 = b;
        DOT_4X1(&sh, cols, w, c == last_c);
        const int32_t m = mult[c], e = -shift[c], half = 1 << (e - 1);
        out[0] = (int8_t)__ssat(nnom_arm_requant(s0, m, e, half) + zp, 8);
        out[out_c] = (int8_t)__ssat(nnom_arm_requant(s1, m, e, half) + zp, 8);
        out[2 * out_c] = (int8_t)__ssat(nnom_arm_requant(s2, m, e, half) + zp, 8);
        out[3 * out_c] = (int8_t)__ssat(nnom_arm_requant(s3, m, e, half) + zp, 8);
    }
}

/* Channels [c0, out_c) for the n pixels of a pass, any requantisation and clamp. */
static void pass_general(const conv_ctx *x, int32_t c0, int32_t n, int32_t bias_room, int8_t *out)
{
    const nnom_conv_args *a = x->a;
    const int32_t *bias = (const int32_t *)a->bias;
    const int8_t *w = (const int8_t *)a->weights + (ptrdiff_t)c0 * x->s.k;
    for (int32_t c = c0; c < a->out_c; c++, w += x->s.k) {
        const int32_t fast = channel_is_fast(a, c, bias_room);
        const int32_t start = fast && bias ? bias[c] : 0;
        const int last = c == a->out_c - 1;
        int32_t s[PIXELS] = {start, start, start, start};
        if (x->s.np == PIXELS) dot_4x1(&x->s, x->cols, w, last, s);
        else s[0] = dot_1x1(&x->s, x->cols, w, last, start);
        requant_channel(a, c, fast, s, n, out + c);
    }
}

/* ------------------------------------------------------------------- entry */

void nnom_conv2d_s8(const nnom_conv_args *a, const int8_t *in, int8_t *out, void *scratch)
{
    conv_ctx x;
    const int32_t out_c = a->out_c, n_pix = a->out_h * a->out_w;
    x.a = a;
    x.s = shape_of(a);
    x.neg_zp = (uint32_t)(uint16_t)(int16_t)(-a->in_zp) * 0x00010001u;
    x.zp_bytes = (uint32_t)(uint8_t)a->in_zp * 0x01010101u;
    x.cols = (uint32_t *)scratch;
    x.staging = x.s.by_row ? (int8_t *)scratch + x.s.np * x.s.groups * 8 : NULL;
    x.in_end = in + (ptrdiff_t)a->in_h * a->in_w * a->in_c;
    /* |dot| <= k * 255 * 128; a channel whose |bias| keeps |dot + bias| below 2^30 can take the fast path */
    const int32_t bias_room = (int32_t)((1 << 30) - 1 - x.s.k * 32640);
    /* channels [0, n_fast) run in pass_4px_fast on whole passes */
    int32_t n_fast = 0;
    if (x.s.np == PIXELS && a->act_min == -128 && a->act_max == 127)
        while (n_fast < out_c && channel_is_fast(a, n_fast, bias_room)) n_fast++;

    if (x.staging) fill_bytes(x.staging + x.s.seg_len, (int8_t)a->in_zp, x.s.seg_groups * 4 - x.s.seg_len);

    for (int32_t pix = 0, oy = 0, ox = 0; pix < n_pix; pix += x.s.np) {
        const int32_t n = n_pix - pix < x.s.np ? n_pix - pix : x.s.np;
        for (int32_t p = 0; p < n; p++) {
            if (x.s.by_row) im2col_rows(&x, in, oy, ox, p);
            else im2col_groups(&x, in, oy, ox, p);
            if (++ox == a->out_w) {
                ox = 0;
                oy++;
            }
        }
        /* a short last pass: the unused columns hold zeros, their sums are dropped */
        for (int32_t p = n; p < x.s.np; p++) zero_groups(x.cols + 2 * p, 2 * x.s.np, x.s.groups);
        int8_t *o = out + (ptrdiff_t)pix * out_c;
        const int32_t c0 = n == PIXELS ? n_fast : 0;
        if (c0) pass_4px_fast(&x, c0, o);
        if (c0 < out_c) pass_general(&x, c0, n, bias_room, o);
    }
}

#else
typedef int nnom_arm_conv_s8_unused; /* compiled on its own: empty (see above) */
#endif

/*
 * Dead output channels of the portable int8 convolution (kernels/conv_s8.c,
 * which includes this file after its dot products and requantisation): channels
 * whose filter is all zero or whose multiplier is 0. Such a channel's output
 * does not depend on the input: its sum is 0 (all-zero filter), or the
 * requantisation multiplies the sum by 0 (nnom_conv_quant of conv.h, every
 * path a function of dot * multiplier), so that every pixel gets the output of
 * a zero sum, one constant per call.
 *
 * Found once per call for the first DEAD_MAP_CHANNELS channels (a mask of
 * CHUNK bits per chunk on the stack, cleared only when one is found: a layer
 * without any pays a test of its multiplier and first weight per channel, and
 * one flag test per chunk and pass); later channels are
 * computed as live ones. In a chunk that has some, the live channels are paired
 * by pointer (a pair need not be adjacent) and the dead ones get a zero sum, so
 * that the first pass of a sweep requantises it as any other channel; later
 * passes copy that pass's output (pixel 0's) instead of requantising.
 */
#ifndef NNOM_KERNELS_CONV_S8_DEAD_H
#define NNOM_KERNELS_CONV_S8_DEAD_H

#define DEAD_MAP_CHANNELS 256
#define DEAD_MAP_CHUNKS (DEAD_MAP_CHANNELS / CHUNK)
typedef char nnom_conv_chunk_fits_mask[CHUNK <= 31 && DEAD_MAP_CHANNELS % CHUNK == 0 ? 1 : -1]; /* uint32_t masks */

/* Whether the k weights at w are all zero: blocks of 16 or-reduced (a fixed trip count, which compilers
 * vectorise), then the rest. Asked of the channels whose multiplier is not 0 and whose first weight is 0:
 * dead ones, mostly. */
static int all_zero(const int8_t *w, int32_t k)
{
    int32_t i = 0;
    for (; i + BLOCK <= k; i += BLOCK) {
        uint8_t any = 0;
        for (int32_t t = 0; t < BLOCK; t++) any |= (uint8_t)w[i + t];
        if (any) return 0;
    }
    for (; i < k; i++)
        if (w[i]) return 0;
    return 1;
}

/* Returns whether any of the first DEAD_MAP_CHANNELS channels is dead; if so, dead[ch] bit j tells whether
 * channel ch * CHUNK + j (< out_c) is (dead[] is left unset otherwise). */
static int find_dead(const nnom_conv_args *a, const int8_t *w, int32_t k, uint32_t dead[DEAD_MAP_CHUNKS])
{
    const int32_t n = a->out_c < DEAD_MAP_CHANNELS ? a->out_c : DEAD_MAP_CHANNELS;
    int any = 0;
    for (int32_t c = 0; c < n; c++) {
        const int8_t *wc = w + (ptrdiff_t)c * k;
        if (a->multiplier[c] != 0 && wc[0] != 0) continue; /* the usual live channel, at one weight's cost */
        if (a->multiplier[c] != 0 && !all_zero(wc, k)) continue;
        if (!any)
            for (int32_t i = 0; i < DEAD_MAP_CHUNKS; i++) dead[i] = 0;
        any = 1;
        dead[c / CHUNK] |= 1u << (c % CHUNK);
    }
    return any;
}

/* The live channels of a chunk: wp[i] the weights of channel at[i] of the chunk (readable for kp). The dot
 * products below are dots_4x2, dots_2x2 and dots_1x4 with the channels given by pointer (a pair need not be
 * adjacent) and their sums stored at acc[p][at[i]]. */
typedef struct {
    const int8_t *wp[CHUNK];
    int32_t at[CHUNK];
    int32_t m; /* how many */
} live_list;

NOINLINE static void dots_4x2_at(const int16_t *x, int32_t kp, const live_list *l, int32_t nb, int32_t acc[4][CHUNK])
{
    const int16_t *x0 = x, *x1 = x + kp, *x2 = x + 2 * kp, *x3 = x + 3 * kp;
    const int32_t n = nb * BLOCK;
    for (int32_t j = 0; j + 1 < l->m; j += 2) {
        const int8_t *w0 = l->wp[j], *w1 = l->wp[j + 1];
        int32_t s[2 * 4];
        DOTS_4X2_BODY(x0, x1, x2, x3, w0, w1, n, s, 0, 2);
        const int32_t u = l->at[j], v = l->at[j + 1];
        for (int32_t p = 0; p < 4; p++) {
            acc[p][u] = s[2 * p];
            acc[p][v] = s[2 * p + 1];
        }
    }
}

NOINLINE static void dots_2x2_at(const int16_t *x, int32_t kp, const live_list *l, int32_t nb, int32_t acc[4][CHUNK])
{
    const int16_t *x0 = x, *x1 = x + kp;
    const int32_t n = nb * BLOCK;
    for (int32_t j = 0; j + 1 < l->m; j += 2) {
        const int8_t *w0 = l->wp[j], *w1 = l->wp[j + 1];
        int32_t s[2 * 2];
        DOTS_2X2_BODY(x0, x1, w0, w1, n, s, 0, 2);
        const int32_t u = l->at[j], v = l->at[j + 1];
        acc[0][u] = s[0];
        acc[0][v] = s[1];
        acc[1][u] = s[2];
        acc[1][v] = s[3];
    }
}

NOINLINE static void dots_1x4_at(const int16_t *x, const live_list *l, int32_t nb, int32_t acc[4][CHUNK])
{
    const int32_t n = nb * BLOCK;
    for (int32_t j = 0; j + 3 < l->m; j += 4) {
        const int8_t *w0 = l->wp[j], *w1 = l->wp[j + 1], *w2 = l->wp[j + 2], *w3 = l->wp[j + 3];
        int32_t s[4];
        DOTS_1X4_BODY(x, w0, w1, w2, w3, n, s, 0);
        for (int32_t t = 0; t < 4; t++) acc[0][l->at[j + t]] = s[t];
    }
}

/* Sums acc[p][j] of channels c0 + j (j < n, each readable for kp weights from its start) of a chunk whose
 * dead channels are the bits of dead: the live ones in pairs (fours for one pixel) by pointer, the odd ones
 * alone; the dead ones 0 in the sweep's first pass (later 0), untouched in the others. */
static void chunk_dots_live(const conv_ctx *x, int32_t np, int32_t c0, int32_t n, uint32_t dead, int later,
                            int32_t acc[4][CHUNK])
{
    const int32_t k = x->k, kp = x->kp, nb = x->nb;
    const int16_t *col = x->cols;
    live_list l;
    l.m = 0;
    for (int32_t j = 0; j < n; j++) {
        if (dead >> j & 1u) {
            if (!later)
                for (int32_t p = 0; p < np; p++) acc[p][j] = 0;
            continue;
        }
        l.wp[l.m] = x->w + (ptrdiff_t)(c0 + j) * k;
        l.at[l.m++] = j;
    }
    const int32_t last = l.m - 1, odd = l.m & 1;
    if (np == 4) {
        dots_4x2_at(col, kp, &l, nb, acc);
        if (odd) dots_4x1(col, kp, l.wp[last], k, nb, 1, &acc[0][l.at[last]], CHUNK);
    } else if (np == 2) {
        dots_2x2_at(col, kp, &l, nb, acc);
        if (odd) dots_2x1(col, kp, l.wp[last], k, nb, 1, &acc[0][l.at[last]], CHUNK);
    } else {
        dots_1x4_at(col, &l, nb, acc);
        for (int32_t i = l.m / 4 * 4; i < l.m; i++) dots_1x1(col, l.wp[i], k, nb, 1, &acc[0][l.at[i]]);
    }
}

/* Channels c0 + j (j < n) of a chunk with dead channels (the bits of dead) for np pixels, outputs at out
 * (pixel p's at out + p * out_c), requantisation constants q (NULL: computed here): chunk_dots and
 * chunk_out_np without the dead channels' dot products and, in passes after the sweep's first (later), with
 * their outputs copied from that pass's first pixel (out0, the layer's output). */
NOINLINE static void chunk_dead(const conv_ctx *x, const nnom_conv_args *a, const chan_quant *q, int32_t np,
                                int32_t c0, int32_t n, uint32_t dead, int later, int32_t acc[4][CHUNK], int8_t *out,
                                const int8_t *out0)
{
    if (np == 4 && x->w16_c0 >= 0) { /* patches of at most 8: every channel's sums, as chunk_dots */
        chunk_dots(x, np, c0, n, acc);
    } else {
        const int32_t safe = chunk_safe(x, c0, n);
        const uint32_t dead_safe = dead & (((uint32_t)1 << safe) - 1u); /* (safe <= CHUNK < 32) */
        if (dead_safe) chunk_dots_live(x, np, c0, safe, dead_safe, later, acc);
        else dots_whole(x, np, x->w + (ptrdiff_t)c0 * x->k, safe, acc, 0);
        chunk_rest(x, np, c0, safe, n, acc);
    }
    const uint32_t d = later ? dead : 0;
    if (np == 4) {
        if (q) chunk_out_np(a, q, 4, c0, n, acc, out, d, out0);
        else chunk_direct_np(a, 4, c0, n, acc, out, d, out0);
    } else if (np == 2) {
        if (q) chunk_out_np(a, q, 2, c0, n, acc, out, d, out0);
        else chunk_direct_np(a, 2, c0, n, acc, out, d, out0);
    } else {
        if (q) chunk_out_np(a, q, 1, c0, n, acc, out, d, out0);
        else chunk_direct_np(a, 1, c0, n, acc, out, d, out0);
    }
}

#endif /* NNOM_KERNELS_CONV_S8_DEAD_H */

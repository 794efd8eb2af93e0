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
    LANE_HIGH_SHIFT = 8, /* a lane's high byte: w[B] */
    VECTOR_LANES = 8,    /* lanes of one x86-64 vector (SSE2: 8 int16) */
    QUANT_PAIRS = 16,    /* pairs whose requantisation constants are made at a time (1 KB of stack) */
    PAIR_QUAD = 4        /* pairs summed together over one column */
};
_Static_assert((int64_t)NNOM_CONV_PAIRS_MAX_PATCH * 255 * 255 < INT32_MAX, "a pair's sums fit int32");

/* A tap's run of @p c_n inputs, x = in - zp, into the lanes from @p i on (@p col in lane order). */
static int32_t gather_run(const int8_t *src, int32_t c_n, int32_t zp, int16_t *col, int32_t i)
{
    int32_t sum = 0;
    if (!(i & 3) && !(c_n & 3)) { /* whole groups of four: elements 0, 2, 1, 3 */
        int16_t *d = col + i;
        for (int32_t c = 0; c < c_n; c += 4, d += 4) {
            const int32_t x0 = src[c] - zp, x1 = src[c + 1] - zp, x2 = src[c + 2] - zp, x3 = src[c + 3] - zp;
            d[0] = (int16_t)x0;
            d[1] = (int16_t)x2;
            d[2] = (int16_t)x1;
            d[3] = (int16_t)x3;
            sum += x0 + x1 + x2 + x3;
        }
        return sum;
    }
    for (int32_t c = 0; c < c_n; c++) {
        const int32_t x = src[c] - zp;
        col[nnom_conv_pair_lane(i + c)] = (int16_t)x;
        sum += x;
    }
    return sum;
}

/* Output pixel @p pix's patch of @p a into @p col (K4 int16 in lane order, x = in - in_zp, 0 in the
 * padding and past k); returns its sum. */
static int32_t gather(const nnom_conv_args *a, const int8_t *in, int32_t pix, int16_t *col, int32_t k4)
{
    const int32_t oy = pix / a->out_w, ox = pix % a->out_w, c_n = a->in_c;
    int32_t sum = 0, i = 0;
    for (int32_t ky = 0; ky < a->k_h; ky++) {
        const int32_t iy = oy * a->stride_h - a->pad_top + ky * a->dil_h;
        for (int32_t kx = 0; kx < a->k_w; kx++, i += c_n) {
            const int32_t ix = ox * a->stride_w - a->pad_left + kx * a->dil_w;
            if (iy >= 0 && iy < a->in_h && ix >= 0 && ix < a->in_w)
                sum += gather_run(in + ((ptrdiff_t)iy * a->in_w + ix) * c_n, c_n, a->in_zp, col, i);
            else if (!(i & 3) && !(c_n & 3)) /* whole groups: the run's lanes are the run */
                memset(col + i, 0, (size_t)c_n * sizeof(int16_t));
            else
                for (int32_t c = 0; c < c_n; c++) col[nnom_conv_pair_lane(i + c)] = 0;
        }
    }
    for (; i < k4; i++) col[nnom_conv_pair_lane(i)] = 0;
    return sum;
}

/* A pair's lanes, read in place (any alignment; GCC and Clang then load them as vectors). */
#if defined(__GNUC__)
typedef int16_t __attribute__((may_alias, aligned(1))) pair_lane;
#define LANE(w, i) ((int16_t)(w)[i])
#else
typedef uint8_t pair_lane;
#define LANE(w, i) ((int16_t)((w)[2 * (i)] | ((w)[2 * (i) + 1] << 8)))
#endif
#define LANE_LO(w, i) ((int16_t)(LANE(w, i) & LANE_LOW))
#define LANE_HI(w, i) ((int16_t)(LANE(w, i) >> LANE_HIGH_SHIFT))

/* The sums' routines below run their main loops over a multiple of VECTOR_LANES lanes, so that GCC
 * vectorises them even at -O2 (no epilogue; the products become PMADDWD), the last lanes (0 or 4)
 * apart; they stay out of line, as GCC 12 vectorises neither loop inlined into its caller. */
#if defined(__GNUC__)
#define SUMS_ROUTINE __attribute__((noinline)) static void
#else
#define SUMS_ROUTINE static void
#endif

/* One pair's sums (lo, hi above) over the four columns at @p cols (@p k4 lanes each). */
SUMS_ROUTINE pixels4_sums(const pair_lane *w, const int16_t *cols, int32_t k4, int32_t lo[PASS_PIXELS],
                          int32_t hi[PASS_PIXELS])
{
    const int32_t n = k4 / VECTOR_LANES * VECTOR_LANES;
    const int16_t *c0 = cols, *c1 = cols + k4, *c2 = cols + 2 * (ptrdiff_t)k4, *c3 = cols + 3 * (ptrdiff_t)k4;
    int32_t l0 = 0, l1 = 0, l2 = 0, l3 = 0, h0 = 0, h1 = 0, h2 = 0, h3 = 0;
    for (int32_t i = 0; i < n; i++) {
        const int16_t l = LANE_LO(w, i), h = LANE_HI(w, i);
        l0 += l * c0[i];
        h0 += h * c0[i];
        l1 += l * c1[i];
        h1 += h * c1[i];
        l2 += l * c2[i];
        h2 += h * c2[i];
        l3 += l * c3[i];
        h3 += h * c3[i];
    }
    for (int32_t i = n; i < k4; i++) {
        const int16_t l = LANE_LO(w, i), h = LANE_HI(w, i);
        l0 += l * c0[i], l1 += l * c1[i], l2 += l * c2[i], l3 += l * c3[i];
        h0 += h * c0[i], h1 += h * c1[i], h2 += h * c2[i], h3 += h * c3[i];
    }
    lo[0] = l0, lo[1] = l1, lo[2] = l2, lo[3] = l3;
    hi[0] = h0, hi[1] = h1, hi[2] = h2, hi[3] = h3;
}

/* The sums of the PAIR_QUAD pairs from @p w (@p k4 lanes each) over the column @p c. */
SUMS_ROUTINE pairs4_sums(const pair_lane *w, const int16_t *c, int32_t k4, int32_t lo[PAIR_QUAD],
                         int32_t hi[PAIR_QUAD])
{
    const int32_t n = k4 / VECTOR_LANES * VECTOR_LANES;
    const pair_lane *w0 = w, *w1 = w + k4, *w2 = w + 2 * (ptrdiff_t)k4, *w3 = w + 3 * (ptrdiff_t)k4;
    int32_t l0 = 0, l1 = 0, l2 = 0, l3 = 0, h0 = 0, h1 = 0, h2 = 0, h3 = 0;
    for (int32_t i = 0; i < n; i++) {
        const int16_t x = c[i];
        l0 += LANE_LO(w0, i) * x;
        h0 += LANE_HI(w0, i) * x;
        l1 += LANE_LO(w1, i) * x;
        h1 += LANE_HI(w1, i) * x;
        l2 += LANE_LO(w2, i) * x;
        h2 += LANE_HI(w2, i) * x;
        l3 += LANE_LO(w3, i) * x;
        h3 += LANE_HI(w3, i) * x;
    }
    for (int32_t i = n; i < k4; i++) {
        const int16_t x = c[i];
        l0 += LANE_LO(w0, i) * x, l1 += LANE_LO(w1, i) * x, l2 += LANE_LO(w2, i) * x, l3 += LANE_LO(w3, i) * x;
        h0 += LANE_HI(w0, i) * x, h1 += LANE_HI(w1, i) * x, h2 += LANE_HI(w2, i) * x, h3 += LANE_HI(w3, i) * x;
    }
    lo[0] = l0, lo[1] = l1, lo[2] = l2, lo[3] = l3;
    hi[0] = h0, hi[1] = h1, hi[2] = h2, hi[3] = h3;
}

/* One pair's sums over the column @p c. */
SUMS_ROUTINE pair_sums(const pair_lane *w, const int16_t *c, int32_t k4, int32_t *lo, int32_t *hi)
{
    const int32_t n = k4 / VECTOR_LANES * VECTOR_LANES;
    int32_t l0 = 0, h0 = 0;
    for (int32_t i = 0; i < n; i++) {
        l0 += LANE_LO(w, i) * c[i];
        h0 += LANE_HI(w, i) * c[i];
    }
    for (int32_t i = n; i < k4; i++) {
        l0 += LANE_LO(w, i) * c[i];
        h0 += LANE_HI(w, i) * c[i];
    }
    *lo = l0;
    *hi = h0;
}

static int32_t bias_of(const nnom_conv_args *a, int32_t c) { return a->bias ? ((const int32_t *)a->bias)[c] : 0; }

/* Channel @p c's requantisation constants: nnom_conv_fastq's for a shift <= 0 (the usual case), else
 * rshift 0, for channel_out() to requantise in the general form. */
static nnom_conv_fastq channel_q(const nnom_conv_args *a, int32_t c)
{
    if (a->shift[c] <= 0) return nnom_conv_fastq_init(bias_of(a, c), a->multiplier[c], a->shift[c]);
    nnom_conv_fastq q;
    memset(&q, 0, sizeof q);
    return q;
}

/* Channel @p c's output of the sum @p dot (the same bytes either way: nnom_conv_fastq_out equals
 * nnom_conv_quant_out for shifts <= 0). */
static int8_t channel_out(const nnom_conv_args *a, const nnom_conv_fastq *q, int32_t c, int32_t dot)
{
    if (q->rshift)
        return nnom_conv_fastq_out(dot, q->mult, q->thr, q->p_add, q->q_add, q->rshift, a->out_zp, a->act_min,
                                   a->act_max);
    return nnom_conv_quant_out(nnom_conv_quant_init(bias_of(a, c), a->multiplier[c], a->shift[c]), dot, a->out_zp,
                               a->act_min, a->act_max);
}

/* Pairs [q0, q0 + qn) of the pixels [pix, pix + np) (their columns at @p cols, sums @p sx), out at
 * @p o (pixel pix's channel 0), requantised with @p q (pair q0's channels first), or NULL: constants
 * made per output. Four pixels take a pair at a time, fewer PAIR_QUAD pairs (a column read once for
 * eight channels). */
static void pairs_pass(const nnom_conv_args *a, const int16_t *cols, int32_t k4, int32_t np, const int32_t *sx,
                       int32_t q0, int32_t qn, const nnom_conv_fastq *q, int8_t *o)
{
    const pair_lane *const pairs = (const pair_lane *)a->weights;
    const int32_t out_c = a->out_c;
    int32_t lo[PAIR_QUAD][PASS_PIXELS], hi[PAIR_QUAD][PASS_PIXELS];
    for (int32_t j = q0; j < q0 + qn;) {
        const pair_lane *const w = pairs + (ptrdiff_t)k4 * j;
        const int32_t quad = np < PASS_PIXELS && q0 + qn - j >= PAIR_QUAD ? PAIR_QUAD : 1;
        if (np == PASS_PIXELS) {
            pixels4_sums(w, cols, k4, lo[0], hi[0]);
        } else {
            for (int32_t p = 0; p < np; p++) {
                int32_t l4[PAIR_QUAD], h4[PAIR_QUAD];
                if (quad == PAIR_QUAD) pairs4_sums(w, cols + (ptrdiff_t)p * k4, k4, l4, h4);
                else pair_sums(w, cols + (ptrdiff_t)p * k4, k4, l4, h4);
                for (int32_t t = 0; t < quad; t++) lo[t][p] = l4[t], hi[t][p] = h4[t];
            }
        }
        for (int32_t t = 0; t < quad; t++, j++) {
            const int two = 2 * j + 1 < out_c;
            nnom_conv_fastq made[2]; /* (no constants given: made here) */
            if (!q) made[0] = channel_q(a, 2 * j), made[1] = two ? channel_q(a, 2 * j + 1) : made[0];
            const nnom_conv_fastq *const qa = q ? q + 2 * (j - q0) : made, *const qb = qa + two;
            for (int32_t p = 0; p < np; p++) {
                int8_t *const op = o + (ptrdiff_t)p * out_c + 2 * j;
                op[0] = channel_out(a, qa, 2 * j, lo[t][p] - (int32_t)NNOM_CONV_PAIR_FLIP * sx[p]);
                if (two) op[1] = channel_out(a, qb, 2 * j + 1, hi[t][p]);
            }
        }
    }
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
    /* Blocks of QUANT_PAIRS pairs, their constants made once, the pixels swept once per block; an output
     * over the input allows one sweep only (each pass reads its inputs before it writes), so that one
     * takes every pair at once, the constants made per output. */
    const uintptr_t in_at = (uintptr_t)in, out_at = (uintptr_t)out;
    const uintptr_t in_bytes = (uintptr_t)a->in_h * (uintptr_t)a->in_w * (uintptr_t)a->in_c;
    const int aliased = in_at < out_at + (uintptr_t)n_pix * (uintptr_t)out_c && out_at < in_at + in_bytes;
    const int32_t block = aliased && n_pairs > QUANT_PAIRS ? n_pairs : QUANT_PAIRS;
    nnom_conv_fastq q[2 * QUANT_PAIRS];
    int32_t sx[PASS_PIXELS];
    for (int32_t q0 = 0; q0 < n_pairs; q0 += block) {
        const int32_t qn = n_pairs - q0 < block ? n_pairs - q0 : block;
        const int made = qn <= QUANT_PAIRS;
        for (int32_t c = 2 * q0; made && c < 2 * (q0 + qn) && c < out_c; c++) q[c - 2 * q0] = channel_q(a, c);
        for (int32_t pix = 0; pix < n_pix; pix += np_most) {
            const int32_t np = n_pix - pix < np_most ? n_pix - pix : np_most;
            for (int32_t p = 0; p < np; p++) sx[p] = gather(a, in, pix + p, cols + (ptrdiff_t)p * k4, k4);
            pairs_pass(a, cols, k4, np, sx, q0, qn, made ? q : NULL, out + (ptrdiff_t)pix * out_c);
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

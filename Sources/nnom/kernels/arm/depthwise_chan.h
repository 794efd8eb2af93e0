/*
 * A channel's requantisation form and packed weights for the planar and
 * group-plane paths of the Cortex-M DSP depthwise convolution
 * (kernels/arm/depthwise_conv_s8.c, which includes this file), and the view
 * of the layer they walk (transposed for tall and narrow planes).
 *
 * The sums run on raw inputs from a start of scale * (bias - in_zp * sum w)
 * (a padding tap holds the input zero point, which that start cancels), the
 * weights times the same scale; the forms and why each is exact are in
 * depthwise_quad3.h (ZP, U, Z, L, E) and depthwise_conv_s8.c (the C rows).
 * Bounds: |sum x * w| <= taps * 128 * 128 on int8 inputs and weights, and
 * channel_quant() takes a form only where the start leaves room for it below
 * 2^30 / scale, so that every partial sum times the scale stays below 2^31;
 * a scaled weight |w| * scale <= 128 * 256 = 2^15 is an int16.
 */
#ifndef NNOM_KERNELS_ARM_DEPTHWISE_CHAN_H
#define NNOM_KERNELS_ARM_DEPTHWISE_CHAN_H

#include "kernels/arm/arm_dsp.h"

#if NNOM_USE_ARM_DSP
#include <stddef.h>
#include <stdint.h>

#include "kernels/conv.h"

#include "kernels/arm/depthwise_gather4.h"
#include "kernels/arm/depthwise_quad3.h"

enum {
    DW_GP_PAIRS = 16, /* packed weight words of a channel on the group-plane path */
    DW_MAX_E = 22,    /* largest right shift of the 32-bit requantisation with the zero point */
    DW_MAX_L = 7      /* largest left shift of DW_L (weights times 2^(shift + 1) <= 256 stay int16) */
};

/* DW_L: a shift in [0, DW_MAX_L] (an output scale near the input's times the weights', common in
 * MobileNets): weights and start times 2^(shift + 1), so that c + SMMULR(s, m) with c the output
 * zero point is the doubling high multiply of acc * 2^shift (no right shift: e = 0).
 * DW_E: the output zero point -128, e in [1, QUAD3_E_MID - 1]: weights and start times 2^(1 + k)
 * so that the right shift is one of the E forms' (depthwise_quad3.h), e = E = e + k; stride 1 only.
 * Both only on the assembly line loops, where channel_quant() is allowed them. */
typedef enum { DW_ZP, DW_U, DW_L, DW_E, DW_GEN } dw_mode;
/* Which of DW_L and DW_E channel_quant() may choose. */
enum { DW_ALLOW_L = 1, DW_ALLOW_E = 2, DW_E_MIN_QUADS = 18 };
/* For a channel whose lines all go to the assembly loops, `quads` whole quads in all: DW_E
 * scales the weights (about 70 instructions more per channel) to save 5 per quad against the Z
 * form (measured: a loss on 6 x 6 planes, 6 quads; a gain from 12 x 12, 36). */
static inline int dw_allow(int32_t quads) { return DW_ALLOW_L | (quads >= DW_E_MIN_QUADS ? DW_ALLOW_E : 0); }
/* One output channel's constants. */
typedef struct {
    dw_mode mode;
    int32_t init;      /* the sums' starting value: scale (bias - in_zp sum w) (fast modes) or -in_zp sum w */
    int32_t scale;     /* of the weights and the start: 2, 2^(shift + 1) (DW_L), 2^(1 + k) (DW_E) or 1 (DW_GEN) */
    int32_t mult, c, e;
    nnom_conv_quant q; /* DW_GEN */
} dw_chan;

/* The layer as the planar path walks it: `a`'s sizes, or for a tall and narrow output plane the
 * same layer transposed (rows and columns swapped, so that the lines of outputs computed in
 * one go are long); where element (y, x) of the input, output and weights of one channel is. */
typedef struct {
    nnom_conv_args a;          /* sizes, strides, padding of the walk; the rest as the layer's */
    ptrdiff_t in_rs, in_cs;    /* input: bytes between rows and between columns */
    ptrdiff_t out_rs, out_cs;  /* output */
    ptrdiff_t w_rs, w_cs;      /* weights: taps between kernel rows and between kernel columns */
} dw_geom;

static dw_geom geom_of(const nnom_conv_args *a, int transpose)
{
    dw_geom g;
    g.a = *a;
    g.in_rs = (ptrdiff_t)a->in_w * a->in_c;
    g.in_cs = a->in_c;
    g.out_rs = (ptrdiff_t)a->out_w * a->out_c;
    g.out_cs = a->out_c;
    g.w_rs = a->k_w;
    g.w_cs = 1;
    if (transpose) {
        nnom_conv_args *t = &g.a;
        t->in_h = a->in_w, t->in_w = a->in_h, t->out_h = a->out_w, t->out_w = a->out_h;
        t->k_h = a->k_w, t->k_w = a->k_h, t->stride_h = a->stride_w, t->stride_w = a->stride_h;
        t->dil_h = a->dil_w, t->dil_w = a->dil_h, t->pad_top = a->pad_left, t->pad_left = a->pad_top;
        ptrdiff_t x = g.in_rs;
        g.in_rs = g.in_cs, g.in_cs = x;
        x = g.out_rs;
        g.out_rs = g.out_cs, g.out_cs = x;
        g.w_rs = 1, g.w_cs = a->k_w;
    }
    return g;
}

typedef enum { DW_SHAPE_S1, DW_SHAPE_S2, DW_SHAPE_ANY } dw_shape;

static inline uint32_t pack2(int32_t lo, int32_t hi) { return (uint32_t)(uint16_t)lo | ((uint32_t)(uint16_t)hi << 16); }

/* What channel_quant() reads of the layer, in locals (so that the stores of a channel's constants,
 * which may alias the layer's arrays for the compiler, do not make it load them again). */
typedef struct {
    const int32_t *bias, *mult, *shift;
    int32_t in_zp, out_zp, taps_room;
} dw_qlayer;
static inline __attribute__((always_inline)) dw_qlayer qlayer_of(const nnom_conv_args *a)
{
    dw_qlayer l;
    l.bias = (const int32_t *)a->bias;
    l.mult = a->multiplier;
    l.shift = a->shift;
    l.in_zp = a->in_zp;
    l.out_zp = a->out_zp;
    /* |sum x * w| <= taps * 128 * 128 (see channel_quant_l()) */
    l.taps_room = a->k_h * a->k_w * 16384;
    return l;
}

/* Channel oc's constants from the sum of its weights (the weights scaled by q->scale); DW_L only
 * when allow & DW_ALLOW_L (the channel's lines all go to the assembly loops), DW_E when also
 * allow & DW_ALLOW_E (lines of quads enough to repay the scaling of the weights: see
 * dw_allow()). Every field loaded before the first store. */
static inline __attribute__((always_inline)) void channel_quant_l(const dw_qlayer *l, int32_t oc, int32_t sum_w,
                                                                 dw_chan *q, int allow)
{
    const int32_t b = l->bias ? l->bias[oc] : 0;
    const int32_t m = l->mult[oc], shift = l->shift[oc], e = -shift;
    /* |sum x * w| <= taps * 128 * 128; the start b - zp * sum w must leave room below 2^30 (DW_L:
     * below 2^(30 - shift), so that its sums times 2^(shift + 1) stay below 2^31; DW_E: below
     * 2^(30 - k), its sums times 2^(1 + k), k = E - e in [1, QUAD3_K_MAX]). In int32: the
     * planar path's taps <= 2 DW_MAX_PAIRS = 128, so taps_room and |zp sum w| <= 2^21, and a
     * bias beyond 2^30 leaves no room (mag: the largest int32). */
    const int32_t taps_room = l->taps_room, bias_room = 1 << 30, out_zp = l->out_zp;
    const int32_t start = b <= bias_room && b >= -bias_room ? b - l->in_zp * sum_w : 0;
    const int32_t mag = b <= bias_room && b >= -bias_room ? (start < 0 ? -start : start) : INT32_MAX;
    const int32_t big_e = e < QUAD3_E_LO ? QUAD3_E_LO : QUAD3_E_MID; /* (k < 1 above QUAD3_E_MID - 1) */
    const int32_t k = big_e - e;
    dw_mode mode;
    int32_t scale, qe = e, c;
    if ((allow & DW_ALLOW_E) && out_zp == -128 && e >= 1 && k >= 1 && mag < (1 << (30 - k)) - taps_room) {
        mode = DW_E;
        scale = 2 << k;
        qe = big_e;
        /* c' = c 2^k + 2^(k - 1) = 2^(E - 1) + zp 2^E + 2^(k - 1), c = 2^(e - 1) + zp 2^e
         * (depthwise_quad3.h): nnom_arm_requant_zp_const(E, zp) + 2^(k - 1) */
        c = (int32_t)((uint32_t)nnom_arm_requant_zp_const(big_e, out_zp) + (1u << (k - 1)));
    } else if (e >= 1 && e <= DW_MAX_E && mag < bias_room - taps_room) {
        mode = m > (1 << 30) ? DW_ZP : DW_U;
        scale = 2;
        c = nnom_arm_requant_zp_const(e, out_zp);
    } else if ((allow & DW_ALLOW_L) && shift >= 0 && shift <= DW_MAX_L && mag < (1 << (30 - shift)) - taps_room) {
        mode = DW_L;
        scale = 2 << shift;
        qe = 0;
        c = out_zp;
    } else {
        q->mode = DW_GEN;
        q->scale = 1;
        q->mult = m;
        q->e = e;
        q->c = 0;
        q->init = -l->in_zp * sum_w;
        q->q = nnom_conv_quant_init(b, m, shift);
        return;
    }
    q->mode = mode;
    q->scale = scale;
    q->mult = m;
    q->e = qe;
    q->c = c;
    q->init = scale * start;
}
static inline __attribute__((always_inline)) void channel_quant(const nnom_conv_args *a, int32_t oc, int32_t sum_w,
                                                               dw_chan *q, int allow)
{
    const dw_qlayer l = qlayer_of(a);
    channel_quant_l(&l, oc, sum_w, q, allow);
}

/* Channel oc's constants and packed weights; the weights are doubled in the fast modes, and
 * packed as for any kernel in DW_GEN (row_any_gen serves every shape). */
static void channel_setup(const dw_geom *g, dw_shape shape, int32_t oc, dw_chan *q, uint32_t *wp, int allow)
{
    const nnom_conv_args *a = &g->a;
    const int8_t *w = (const int8_t *)a->weights + oc;
    const int32_t k_h = a->k_h, k_w = a->k_w, out_c = a->out_c;
    int32_t sum_w = 0;
    for (int32_t t = 0; t < k_h * k_w; t++) sum_w += w[(ptrdiff_t)t * out_c];
    channel_quant(a, oc, sum_w, q, allow);
    const int32_t twice = q->scale;
    for (int32_t r = 0; r < k_h; r++) {
        const int8_t *wr = w + r * g->w_rs * out_c;
        const ptrdiff_t wc = g->w_cs * out_c;
        if (shape != DW_SHAPE_ANY && q->mode != DW_GEN) { /* A = (w0, w1), B = (w2, w1) */
            const int32_t w0 = twice * wr[0], w1 = twice * wr[wc], w2 = twice * wr[2 * wc];
            wp[2 * r] = pack2(w0, w1);
            wp[2 * r + 1] = pack2(w2, w1);
            continue;
        }
        const int32_t pairs = (k_w + 1) >> 1;
        for (int32_t t = 0; t < pairs; t++) {
            const int32_t w0 = twice * wr[2 * t * wc];
            const int32_t w1 = 2 * t + 1 < k_w ? twice * wr[(2 * t + 1) * wc] : 0;
            wp[r * pairs + t] = pack2(w0, w1);
        }
    }
}

/* The scale channel_quant() gives channel oc when its start is within bounds (as it nearly always
 * is): 2 << k (DW_E), 2 (DW_ZP, DW_U), 2 << shift (DW_L), or 0 (DW_GEN). */
static int32_t scale_guess(const nnom_conv_args *a, int32_t oc, int allow)
{
    const int32_t shift = a->shift[oc], e = -shift;
    const int32_t big_e = e < QUAD3_E_LO ? QUAD3_E_LO : QUAD3_E_MID; /* (k < 1 above QUAD3_E_MID - 1) */
    if ((allow & DW_ALLOW_E) && a->out_zp == -128 && e >= 1 && big_e > e) return 2 << (big_e - e);
    if (e >= 1 && e <= DW_MAX_E) return 2;
    if ((allow & DW_ALLOW_L) && shift >= 0 && shift <= DW_MAX_L) return 2 << shift;
    return 0;
}

/* Both int16 halves of x times those of f (SMULBB, SMULTT, PKHBT; each product an int16 here). */
static inline uint32_t lanes_mul(uint32_t x, uint32_t f)
{
    return dw_pk_bottoms((uint32_t)__smlabb(x, f, 0), (uint32_t)__smlatt(x, f, 0));
}

/* channel_setup() of channels c0 .. c0 + 3 at once, for a 3-wide kernel (DW_SHAPE_S1, DW_SHAPE_S2)
 * of at most DW_GP_PAIRS / 2 rows: a word of weights is a tap of the four channels; SXTB16 gives the
 * pairs (ch0, ch2), (ch1, ch3), summed in int16 lanes (|sum| <= 24 * 128) for channel_quant(),
 * times each channel's scale as scale_guess() has it where DW_E is allowed (lanes_mul(): |w| *
 * scale <= 2^15), else doubled (SADD16), and PKHBT / PKHTB make each channel's A and B; a channel
 * whose scale is not that (DW_L, DW_GEN, a start out of bounds) is set up again on its own. */
/* The packing of group_setup3(): weights doubled (SADD16), or times f_lo, f_hi; their sums. */
static inline __attribute__((always_inline)) void group_pack3(const dw_geom *g, int32_t c0, uint32_t *wp,
                                                              ptrdiff_t w_step, int doubled, uint32_t f_lo,
                                                              uint32_t f_hi, int32_t sums[4])
{
    const nnom_conv_args *a = &g->a;
    const int8_t *w = (const int8_t *)a->weights + c0;
    const ptrdiff_t wc = g->w_cs * a->out_c, wr = g->w_rs * a->out_c;
    uint32_t sum_lo = 0, sum_hi = 0;
    for (int32_t r = 0; r < a->k_h; r++, w += wr) {
        const uint32_t x0 = nnom_arm_load4(w), x1 = nnom_arm_load4(w + wc), x2 = nnom_arm_load4(w + 2 * wc);
        const uint32_t l0 = nnom_arm_pairs_lo(x0), l1 = nnom_arm_pairs_lo(x1), l2 = nnom_arm_pairs_lo(x2);
        const uint32_t h0 = nnom_arm_pairs_hi(x0), h1 = nnom_arm_pairs_hi(x1), h2 = nnom_arm_pairs_hi(x2);
        sum_lo = __sadd16(sum_lo, __sadd16(l0, __sadd16(l1, l2)));
        sum_hi = __sadd16(sum_hi, __sadd16(h0, __sadd16(h1, h2)));
        uint32_t dl0, dl1, dl2, dh0, dh1, dh2;
        if (doubled) {
            dl0 = __sadd16(l0, l0), dl1 = __sadd16(l1, l1), dl2 = __sadd16(l2, l2);
            dh0 = __sadd16(h0, h0), dh1 = __sadd16(h1, h1), dh2 = __sadd16(h2, h2);
        } else {
            dl0 = lanes_mul(l0, f_lo), dl1 = lanes_mul(l1, f_lo), dl2 = lanes_mul(l2, f_lo);
            dh0 = lanes_mul(h0, f_hi), dh1 = lanes_mul(h1, f_hi), dh2 = lanes_mul(h2, f_hi);
        }
        uint32_t *const w0 = wp + 2 * r, *const w1 = w0 + w_step, *const w2 = w1 + w_step, *const w3 = w2 + w_step;
        w0[0] = dw_pk_bottoms(dl0, dl1), w0[1] = dw_pk_bottoms(dl2, dl1);
        w1[0] = dw_pk_bottoms(dh0, dh1), w1[1] = dw_pk_bottoms(dh2, dh1);
        w2[0] = dw_pk_tops(dl0, dl1), w2[1] = dw_pk_tops(dl2, dl1);
        w3[0] = dw_pk_tops(dh0, dh1), w3[1] = dw_pk_tops(dh2, dh1);
    }
    sums[0] = (int16_t)sum_lo, sums[1] = (int16_t)sum_hi, sums[2] = (int16_t)(sum_lo >> 16), sums[3] = (int16_t)(sum_hi >> 16);
}

/* Channel j's packed weights at wp + j * w_step (w_step >= DW_GP_PAIRS, or >= 2 k_h when every
 * channel packs for the 3-wide kernel: a DW_GEN channel's pairs are 2 k_h words too). */
static inline __attribute__((always_inline)) void group_setup3(const dw_geom *g, int32_t c0, dw_chan q[4], uint32_t *wp,
                                                               ptrdiff_t w_step, int allow)
{
    const nnom_conv_args *a = &g->a;
    const dw_qlayer l = qlayer_of(a);
    int32_t f[4] = {2, 2, 2, 2}, sums[4];
    if (allow & DW_ALLOW_E) {
        for (int32_t j = 0; j < 4; j++) f[j] = scale_guess(a, c0 + j, allow);
        group_pack3(g, c0, wp, w_step, 0, pack2(f[0], f[2]), pack2(f[1], f[3]), sums);
    } else {
        group_pack3(g, c0, wp, w_step, 1, 0, 0, sums);
    }
    for (int32_t j = 0; j < 4; j++) {
        channel_quant_l(&l, c0 + j, sums[j], &q[j], allow);
        /* (DW_GEN: packed for any kernel) */
        if (q[j].mode == DW_GEN || q[j].scale != f[j]) channel_setup(g, DW_SHAPE_S1, c0 + j, &q[j], wp + j * w_step, allow);
    }
}

#endif /* NNOM_USE_ARM_DSP */

#endif /* NNOM_KERNELS_ARM_DEPTHWISE_CHAN_H */

/*
 * The output channels of the Cortex-M DSP convolution (kernels/arm/conv_s8.c, which includes
 * this file after its passes and before its entry): which 32-bit requantisation form each
 * channel takes in the fast passes (channel_form), the dead channels (all-zero filters,
 * multiplier 0: constants, no dot product) and the general path every other channel takes
 * (pass_general: any requantisation, one constant for a dead channel). Uses conv_s8.c's
 * conv_ctx and the dot products of conv_dot.h.
 */
#ifndef NNOM_KERNELS_ARM_CONV_CHANNELS_H
#define NNOM_KERNELS_ARM_CONV_CHANNELS_H


/* Whether the k weights at w are all zero (read a word at a time while whole words remain). */
static int all_zero(const int8_t *w, int32_t k)
{
    int32_t i = 0;
    for (; i + 4 <= k; i += 4)
        if (nnom_arm_load4(w + i)) return 0;
    for (; i < k; i++)
        if (w[i]) return 0;
    return 1;
}

/* Dead channels (their outputs one constant, no dot product: an all-zero filter, or multiplier
 * 0). is_dead() is asked only about channels off the common fast form (form_common()), and finds
 * each of the first DEAD_MAP_CHANNELS once per call (two bits each on the stack: found, dead),
 * later ones each time. A MobileNet imported from .tflite or converted with its dead filters
 * kept has 55-85 % of them in its 6x6 and 3x3 pointwise layers, where finding them again at
 * every pass, reading their weights for it, cost as much as the live channels' dot products;
 * a layer without any pays nothing but clearing the bits. */
#define DEAD_MAP_CHANNELS 256
enum { DEAD_MAP_WORDS = DEAD_MAP_CHANNELS / 32 };

/* The common fast case of channel_form() (no dead channel is one): shift e = -shift in [1, 22],
 * |bias| <= bias_room (> 0), multiplier > 0. */
static inline __attribute__((always_inline)) int form_common(const nnom_conv_args *a, int32_t c, int32_t bias_room)
{
    const int32_t b = a->bias ? ((const int32_t *)a->bias)[c] : 0;
    const int32_t e = -a->shift[c];
    return (uint32_t)(e - 1) < 22u && (uint32_t)b + (uint32_t)bias_room <= 2u * (uint32_t)bias_room &&
           a->multiplier[c] > 0;
}

/* Whether channel c is dead, from its weights and multiplier (out of line: once per channel). */
__attribute__((noinline)) static int dead_now(const conv_ctx *x, int32_t c)
{
    const nnom_conv_args *a = x->a;
    return a->multiplier[c] == 0 || all_zero((const int8_t *)a->weights + (ptrdiff_t)c * x->s.k, x->s.k);
}

static inline __attribute__((always_inline)) int is_dead(const conv_ctx *x, int32_t c)
{
    if (c >= DEAD_MAP_CHANNELS) return dead_now(x, c);
    uint32_t *found = x->dead + (c >> 5), *dead = found + DEAD_MAP_WORDS;
    const uint32_t bit = 1u << (c & 31);
    if (*found & bit) return (*dead & bit) != 0;
    const int d = dead_now(x, c);
    *found |= bit;
    if (d) *dead |= bit;
    return d;
}

/* Which fast requantisation channel c takes (|dot + bias| < 2^30 by the bound on the bias, see
 * the entry; shift in [-22, -1]): FORM_ZP, nnom_arm_requant_zp(), for multipliers above 2^30
 * (pass4_fast); FORM_U, nnom_arm_requant(), for the others (pass4_fast_u); in eight-pixel passes
 * (np 8) also FORM_L, a shift s in [0, FORM_L_MAX_SHIFT] with |dot + bias| * 2^(s + 1) < 2^31
 * (pass8_fast's REQUANT_L_B), unless it is dead; or none, FORM_GENERAL (dead channels too: the
 * quantiser gives all-zero filters multiplier 2^30, shift 1; they are constants in pass_general). */
enum { FORM_GENERAL, FORM_ZP, FORM_U, FORM_L };
enum { FORM_L_MAX_SHIFT = 8 };
/* channel_form() past its common case (out of line: called once per channel and call) */
static int channel_form_other(const conv_ctx *x, int32_t c, int32_t bias_room, int32_t np)
{
    const nnom_conv_args *a = x->a;
    const int32_t b = a->bias ? ((const int32_t *)a->bias)[c] : 0;
    const int32_t e = -a->shift[c];
    if (is_dead(x, c)) return FORM_GENERAL;
    if (e <= 0) {
        /* |dot| <= (2^30 - 1) - bias_room: |dot + bias| below 2^(30 - s) */
        const int32_t room = (int32_t)(((1u << (30 + e)) - 1u) - ((1u << 30) - 1u - (uint32_t)bias_room));
        return np == 8 && -e <= FORM_L_MAX_SHIFT && room > 0 && b <= room && b >= -room ? FORM_L : FORM_GENERAL;
    }
    if (e > 22 || b > bias_room || b < -bias_room) return FORM_GENERAL;
    return a->multiplier[c] > (1 << 30) ? FORM_ZP : FORM_U;
}
static inline __attribute__((always_inline)) int channel_form(const conv_ctx *x, int32_t c, int32_t bias_room,
                                                                int32_t np)
{
    if (form_common(x->a, c, bias_room)) return x->a->multiplier[c] > (1 << 30) ? FORM_ZP : FORM_U;
    return channel_form_other(x, c, bias_room, np);
}

/* The output of dead channel c, requantised from its bias alone (multiplier 0: the zero point),
 * clamped. */
__attribute__((noinline)) static int8_t dead_output(const nnom_conv_args *a, int32_t c)
{
    if (a->multiplier[c] == 0)
        return (int8_t)(a->out_zp < a->act_min ? a->act_min : (a->out_zp > a->act_max ? a->act_max : a->out_zp));
    const nnom_conv_quant q = nnom_conv_quant_init(a->bias ? ((const int32_t *)a->bias)[c] : 0, a->multiplier[c],
                                                   a->shift[c]);
    return nnom_conv_quant_out(q, 0, a->out_zp, a->act_min, a->act_max);
}

/* Channels [c0, c1) for the n pixels of a pass, any requantisation and
 * clamp (nnom_conv_quant_out of conv.h). Four pixels: dot_4x1; two of a
 * two-pixel layout: dot_2x1; otherwise (eight pixels too) one column at a
 * time. A dead channel (is_dead: multiplier 0 or an all-zero filter) outputs
 * one constant, no dot product: dead_output() in the call's first pass,
 * then copied from pixel 0's outputs. */
__attribute__((noinline)) static void pass_general(const conv_ctx *x, int32_t c0, int32_t c1, int32_t n, int8_t *out)
{
    const nnom_conv_args *a = x->a;
    const conv_shape *sh = &x->s;
    const int32_t *bias = (const int32_t *)a->bias;
    const int32_t out_c = a->out_c;
    const int8_t *w = (const int8_t *)a->weights + (ptrdiff_t)c0 * sh->k;
    for (int32_t c = c0; c < c1; c++, w += sh->k) {
        if (is_dead(x, c)) {
            const int8_t v = x->later ? x->out0[c] : dead_output(a, c);
            for (int32_t p = 0; p < n; p++) out[p * out_c + c] = v;
            continue;
        }
        const int careful = c >= x->n_safe;
        int32_t s[8] = {0, 0, 0, 0, 0, 0, 0, 0}; /* (at most eight pixels per pass) */
        if (n == 4) dot_4x1(sh, x->cols, w, careful, s);
        else if (n == 2 && x->s.np == 2) dot_2x1(sh, x->cols, w, careful, s);
        else
            for (int32_t p = 0; p < n; p++) s[p] = dot_1x1(sh, x->cols + 2 * p, x->stride, w, careful, 0);
        const nnom_conv_quant q = nnom_conv_quant_init(bias ? bias[c] : 0, a->multiplier[c], a->shift[c]);
        for (int32_t p = 0; p < n; p++)
            out[p * out_c + c] = nnom_conv_quant_out(q, s[p], a->out_zp, a->act_min, a->act_max);
    }
}

/* Channels [0, n) of the pass, fast, with requantisation form `form`. Parameters of channel 0
 * at bias (or NULL), mult, shift, its weights at w (k bytes per channel), its output at out.
 * Eight pixels: pass8 (p8) on them all (it picks each channel's form itself). Four: pass4 (p4).
 * Two: pass2 (p) on the pairs, and on an odd last channel alone; three (`three`, p's groups all
 * the columns' groups): pass3 likewise (it picks each channel's form itself). */
/* (inlined: a pass of the first layer of an image model, few channels, calls it often) */
static inline __attribute__((always_inline)) void fast_channels(pass2_args *p, pass4_args *p4, pass8_args *p8,
                                                                int three, int form, const int32_t *bias,
                                                                const int32_t *mult, const int32_t *shift,
                                                                const int8_t *w, int32_t k, int8_t *out, int32_t n)
{
    static const int32_t no_bias[2] = {0, 0};
    if (p8) {
        p8->bias = bias;
        p8->mult = mult;
        p8->shift = shift;
        p8->n_ch = n;
        p8->out = out;
        pass8_fast(p8, w);
        return;
    }
    if (p4) {
        p4->bias = bias;
        p4->mult = mult;
        p4->shift = shift;
        p4->n_ch = n;
        if (form == FORM_ZP) pass4_fast(p4, w, out);
        else pass4_fast_u(p4, w, out);
        return;
    }
    p->bias = bias ? bias : no_bias;
    p->bias_step = bias ? 4 : 0;
    p->mult = mult;
    p->shift = shift;
    p->w = w;
    p->out = out;
    p->k = k;
    p->pair_step = 4;
    p->n_ch = n & ~1;
    if (three) {
        if (p->n_ch) pass3_run(p);
        if (n & 1) three_last(p, bias, mult, shift, w, k, out, n - 1);
        return;
    }
    /* the end group in the first word of the last one, whose columns go aside */
    uint32_t *end = (uint32_t *)p->cols + 4 * p->groups;
    memcpy(p->last, end, sizeof p->last);
    end[0] = COLS_END;
    if (p->n_ch) pass2_fast(p); /* (it picks the requantisation per pair) */
    if (n & 1) {
        const int32_t c = n - 1;
        p->bias = bias ? bias + c : no_bias;
        p->mult = mult + c;
        p->shift = shift + c;
        p->w = w + (ptrdiff_t)c * k;
        p->out = out + c;
        p->k = 0;
        p->pair_step = 0;
        p->n_ch = 1;
        pass2_fast(p);
    }
    end[0] = p->last[0];
}

#endif /* NNOM_KERNELS_ARM_CONV_CHANNELS_H */

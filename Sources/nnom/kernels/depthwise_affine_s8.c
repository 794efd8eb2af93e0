/*
 * int8 depthwise convolution with a 1x1 kernel, stride 1, depth multiplier 1
 * and no padding: a per-channel affine map (what a BatchNormalization the
 * converter could not fold into a convolution, or a Rescaling, becomes). Each
 * output element depends only on the input element at the same index:
 *   out[p][c] = clamp(requant((in[p][c] - in_zp) * w[c] + bias[c]) + out_zp).
 * Shared by the portable and the Cortex-M kernels (same results bit for bit:
 * the same function), serves in == out.
 *
 * One channel at a time (its constants in registers), its elements C bytes
 * apart:
 *  - planes of at least AFFINE_TABLE_MIN_PIXELS pixels: the channel's output
 *    for each of the 256 input values goes into a table on the stack, then each
 *    element is one lookup;
 *  - smaller planes: each element computed.
 * Either way a value is nnom_conv_quant_out() of kernels/conv.h, the reference
 * requantisation of every int8 convolution, or the equal 32-bit
 * nnom_requant32() of kernels/requant.h where that one's preconditions hold for
 * every input value of the channel (the shift in [-22, -1] and
 * |x * w + bias - in_zp * w| < 2^30 for every int8 x: checked once per channel
 * on the bound |bias - in_zp * w| + 128 * |w|, see affine_fast()).
 */
#include <stddef.h>

#include "kernels/conv.h"
#include "kernels/requant.h"

/* Pixels from which a channel's 256-entry table costs less than computing each element (on the
 * Cortex-M4 an element costs about 12 cycles computed, 4 looked up; a table about 2,600). */
enum { AFFINE_TABLE_MIN_PIXELS = 384, AFFINE_VALUES = 256 };

int nnom_depthwise_is_affine(const nnom_conv_args *a)
{
    return a->k_h == 1 && a->k_w == 1 && a->stride_h == 1 && a->stride_w == 1 && a->depth_mult == 1 &&
           a->pad_top == 0 && a->pad_left == 0 && a->out_h == a->in_h && a->out_w == a->in_w &&
           a->out_c == a->in_c;
}

/* One channel's constants: acc = x * w + base for an int8 x (base = bias - in_zp * w). */
typedef struct {
    int32_t w, base;
    int fast;           /* nnom_requant32 applies to every x */
    int32_t m, e, c;    /* its multiplier, right shift and constant (fast only) */
    nnom_conv_quant q;  /* the reference requantisation of dot = (x - in_zp) * w */
} affine_chan;

static affine_chan affine_setup(const nnom_conv_args *a, int32_t ch)
{
    affine_chan k;
    const int32_t bias = a->bias ? ((const int32_t *)a->bias)[ch] : 0;
    k.w = ((const int8_t *)a->weights)[ch];
    /* |in_zp * w| <= 128 * 128: base fits in int64, and in int32 whenever fast holds */
    const int64_t base = (int64_t)bias - (int64_t)a->in_zp * k.w;
    const int64_t reach = (base < 0 ? -base : base) + 128 * (int64_t)(k.w < 0 ? -k.w : k.w);
    const int32_t e = -a->shift[ch];
    k.fast = e >= 1 && e <= NNOM_REQUANT32_MAX_E && reach <= NNOM_REQUANT32_MAX_ACC;
    k.base = k.fast ? (int32_t)base : 0;
    k.m = a->multiplier[ch];
    k.e = e;
    k.c = k.fast ? nnom_requant32_const(e, a->out_zp) : 0;
    k.q = nnom_conv_quant_init(bias, a->multiplier[ch], a->shift[ch]);
    return k;
}

/* The output for input value x (equal either way, see the top of the file). */
static inline int8_t affine_out(const nnom_conv_args *a, const affine_chan *k, int32_t x)
{
    if (k->fast) return nnom_clamp_s8(nnom_requant32(x * k->w + k->base, k->m, k->e, k->c), a->act_min, a->act_max);
    return nnom_conv_quant_out(k->q, (x - a->in_zp) * k->w, a->out_zp, a->act_min, a->act_max);
}

/* o[p * step] = table[(uint8_t)i[p * step]] for p < n, four at a time (the loads first) */
static void lookup(const int8_t *table, const int8_t *i, int8_t *o, ptrdiff_t n, ptrdiff_t step)
{
    ptrdiff_t p = 0;
    for (; p + 4 <= n; p += 4, i += 4 * step, o += 4 * step) {
        const uint8_t x0 = (uint8_t)i[0], x1 = (uint8_t)i[step], x2 = (uint8_t)i[2 * step], x3 = (uint8_t)i[3 * step];
        const int8_t y0 = table[x0], y1 = table[x1], y2 = table[x2], y3 = table[x3];
        o[0] = y0;
        o[step] = y1;
        o[2 * step] = y2;
        o[3 * step] = y3;
    }
    for (; p < n; p++, i += step, o += step) *o = table[(uint8_t)*i];
}

void nnom_depthwise_affine_s8(const nnom_conv_args *a, const int8_t *in, int8_t *out)
{
    const ptrdiff_t pixels = (ptrdiff_t)a->in_h * a->in_w, step = a->in_c;
    int8_t table[AFFINE_VALUES];
    for (int32_t ch = 0; ch < a->in_c; ch++) {
        const affine_chan k = affine_setup(a, ch);
        const int8_t *i = in + ch;
        int8_t *o = out + ch;
        if (pixels >= AFFINE_TABLE_MIN_PIXELS) {
            for (int32_t v = 0; v < AFFINE_VALUES; v++) table[v] = affine_out(a, &k, (int8_t)(uint8_t)v);
            lookup(table, i, o, pixels, step);
        } else if (k.fast) {
            const int32_t w = k.w, base = k.base, m = k.m, e = k.e, c = k.c, lo = a->act_min, hi = a->act_max;
            for (ptrdiff_t p = 0; p < pixels; p++)
                o[p * step] = nnom_clamp_s8(nnom_requant32(i[p * step] * w + base, m, e, c), lo, hi);
        } else {
            for (ptrdiff_t p = 0; p < pixels; p++) o[p * step] = affine_out(a, &k, i[p * step]);
        }
    }
}

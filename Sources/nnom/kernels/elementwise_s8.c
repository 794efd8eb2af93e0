/*
 * int8 add, subtract and multiply (TFLite reference arithmetic).
 *
 * Add/subtract: an int8 input has 256 values, so its rescaled form
 * x' = requant((x - zp) * 2^20, m, s) is looked up in a table of 256 int32
 * made once per call (on the stack) when the tensor has at least
 * EW_TABLE_MIN elements; smaller tensors (a tiled stage's bands) compute it
 * per element, in the tables' 32-bit form where it applies (shifts <= 0).
 * The output's requantisation (of x1' +- x2', saturated to int32; of the
 * exact product for multiply) is one 32-bit form, nnom_requant32() of
 * kernels/requant.h, where it is exact: output shift in [-22, -1] and the
 * input below 2^30 in magnitude (always for the product, |.| <= 65025; for
 * add/subtract when the largest |x1'| + |x2'| of the tables is). Elsewhere
 * nnom_conv_quant of kernels/conv.h, constants made once per call: equal to
 * nnom_requantize() for every int32 input, with a 64-bit multiply.
 * On Cortex-M cores with DSP, kernels/arm/elementwise_s8.c does the 32-bit
 * loops (four elements per pass, SIMD within a register) and the multiply.
 */
#include "kernels/conv.h"
#include "kernels/elementwise.h"
#include "kernels/requant.h"

#include "kernels/arm/arm_dsp.h" /* Cortex-M with DSP: the fast paths of kernels/arm/elementwise_s8.c */
#if NNOM_USE_ARM_DSP
#define NNOM_ARM_DSP_TWIN 1
#include "kernels/arm/elementwise_s8.c"
#endif

#if NNOM_USE_ARM_DSP
#define EW_FAST_TABLE_SCALE 2 /* the Cortex-M path's tables hold twice x' (kernels/arm/elementwise_s8.c) */
#else
#define EW_FAST_TABLE_SCALE 1
#endif

enum {
    EW_VALUES = 256,      /* int8 values */
    EW_TABLE_MIN = 256,   /* elements from which add/subtract build their tables */
    EW_PRESCALE = 1 << 20 /* TFLite's left shift of the add inputs, 2^20 */
};

static int32_t sat32(int64_t v) { return v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : (int32_t)v); }

/* x' of one add input value (|x - zp| <= 255, so the product by 2^20 fits in int32). */
static inline int32_t prescaled(int32_t x, int32_t zp, int32_t m, int32_t s)
{
    return nnom_requantize((x - zp) * EW_PRESCALE, m, s);
}

/* Constants of the 32-bit form of prescaled() for a shift s <= 0 (prescale_table() says why it is
 * the same value). */
typedef struct {
    int32_t mh, ml, e, half, away;
} ew_prescale;

/* Precondition: s <= 0. */
static ew_prescale prescale_init(int32_t m, int32_t s)
{
    ew_prescale p;
    p.mh = m >> 11;
    p.ml = m & ((1 << 11) - 1);
    p.e = -s;
    p.half = p.e ? (int32_t)(1u << (p.e - 1)) : 0;
    p.away = p.e ? -1 : 0; /* away & (y >> 31): -[y < 0] */
    return p;
}

/* prescaled(x, zp, m, s) for d = x - zp (|d| <= 255), s <= 0: y(d) = floor((d m + 2^10) / 2^11)
 * (prescale_table()) = d mh + floor((d ml + 2^10) / 2^11) with m = mh 2^11 + ml (0 <= ml < 2^11:
 * |d mh| <= 255 * 2^20, |d ml| < 2^19, both in int32); |y| < 2^28 + 2^19, so y + 2^(e-1)
 * (e <= 31) stays in int32. */
static inline int32_t prescale32(const ew_prescale *p, int32_t d)
{
    const int32_t y = d * p->mh + ((d * p->ml + (1 << 10)) >> 11);
    return (y + p->half + (p->away & (y >> 31))) >> p->e;
}

/* The largest |prescaled(x, zp, m, s)| over every int8 x: prescaled() is non-decreasing in x (m >= 0,
 * every rounding step is monotone), so it is taken at x = -128 or x = 127 (for s <= 0 in the 32-bit form,
 * prescale32(): a tiled stage's add asks at every band). */
static int64_t prescale_bound(int32_t zp, int32_t m, int32_t s)
{
    int64_t a, b;
    if (s <= 0) { /* (prescale_init's constants exist for these shifts only) */
        const ew_prescale p = prescale_init(m, s);
        a = prescale32(&p, INT8_MIN - zp);
        b = prescale32(&p, INT8_MAX - zp);
    } else {
        a = prescaled(INT8_MIN, zp, m, s);
        b = prescaled(INT8_MAX, zp, m, s);
    }
    const int64_t aa = a < 0 ? -a : a, ab = b < 0 ? -b : b;
    return aa > ab ? aa : ab;
}

/* k (w >> e) for n values into t, w the high word of *acc, which steps by inc after each (the
 * 64-bit step is an ADDS and an ADC on a 32-bit core; Cortex-M with DSP: nnom_ew_fill of
 * kernels/arm/elementwise_s8.c, the same values). */
static inline void prescale_fill(int32_t *t, int32_t n, int64_t *acc, int64_t inc, int32_t e, int32_t k, int32_t ko)
{
#if NNOM_USE_ARM_DSP
    nnom_ew_fill(t, n, acc, inc, e, k, ko);
#else
    int64_t a = *acc;
    for (; n > 0; n--, t++) {
        t[0] = k * ((int32_t)(a >> 32) >> e) + ko;
        a += inc;
    }
    *acc = a;
#endif
}

/*
 * t[v + 128] = k prescaled(v, zp, m, s) + ko for every int8 v (k = 1, -1, 2 or -2; |k x' + ko| < 2^31
 * is the caller's: prescale_bound() first).
 * For s <= 0 in 64-bit steps: with d = v - zp (|d| <= 255), the doubling high multiply of d 2^20
 * by m, floor((d m 2^20 + 2^30) / 2^31) (kernels/conv.h; d 2^20 is never -2^31, its saturating
 * case), is y(d) = floor((d m + 2^10) / 2^11); then the rounding right shift by e = -s (half away
 * from zero) is floor((y + 2^(e-1) - [y < 0]) / 2^e). The table is built along d in a fixed-point
 * accumulator, A(d) = (d m + 2^10) 2^21 + (2^(e-1) - [y < 0]) 2^32 (|d m| < 2^39: |A| < 2^61),
 * whose high word is y + 2^(e-1) - [y < 0]: the next d adds m 2^21, no multiply per value but the
 * scale (a tiled stage's add builds its tables once per band). y grows with d (m >= 0), and y >= 0
 * exactly when d m + 2^10 >= 0, i.e. d >= -floor(2^10 / m): the values below that take
 * -[y < 0] = -1, the others 0 (two runs). Positive shifts: prescaled() itself.
 * (Building 32-bit, the fraction of y kept apart with its carry, took 9 Cortex-M4 instructions a
 * value, this 5.5; a form without the shift by e (the scale 2^(21 - e)) saved 0.5 cycle a value
 * for 180 bytes of code more.)
 */
enum { EW_PRESCALE_FRAC = 11, EW_ACC_SHIFT = 32 - EW_PRESCALE_FRAC };
static void prescale_table_off(int32_t t[EW_VALUES], int32_t zp, int32_t m, int32_t s, int32_t k, int32_t ko)
{
    if (s > 0) {
        for (int32_t v = 0; v < EW_VALUES; v++) t[v] = k * prescaled(v + INT8_MIN, zp, m, s) + ko;
        return;
    }
    const ew_prescale p = prescale_init(m, s);
    const int32_t d0 = INT8_MIN - zp;
    /* the first index whose y is >= 0 (with the rounding term -1 before it, when e > 0) */
    const int32_t round_half = 1 << (EW_PRESCALE_FRAC - 1);
    int32_t split = m > 0 ? -d0 - round_half / m : 0;
    split = !p.away || split < 0 ? 0 : (split > EW_VALUES ? EW_VALUES : split);
    const int64_t frac = (int64_t)1 << EW_ACC_SHIFT, word = (int64_t)1 << 32;
    const int64_t inc = (int64_t)m * frac;
    int64_t acc = ((int64_t)d0 * m + round_half) * frac + (int64_t)(p.half + p.away) * word;
    prescale_fill(t, split, &acc, inc, p.e, k, ko);
    acc -= (int64_t)p.away * word;
    prescale_fill(t + split, EW_VALUES - split, &acc, inc, p.e, k, ko);
}

static void prescale_table(int32_t t[EW_VALUES], int32_t zp, int32_t m, int32_t s, int32_t k)
{
    prescale_table_off(t, zp, m, s, k, 0);
}

#if NNOM_USE_ARM_DSP
/* An input whose x' is linear in x: s <= 0 and m a multiple of 2^(11 - s), so x' = (x - zp) q exactly
 * (the doubling high multiply and the rounding shift both drop only zero bits), q = m / 2^(11 - s).
 * (Only the Cortex-M DSP form has a path of its own for it.) */
enum { EW_LINEAR_MAX_E = 19 };
static inline int ew_linear(int32_t m, int32_t s)
{
    return s <= 0 && -s <= EW_LINEAR_MAX_E && (m & ((1 << (EW_PRESCALE_FRAC - s)) - 1)) == 0;
}
static inline int32_t ew_linear_q(int32_t m, int32_t s) { return m >> (EW_PRESCALE_FRAC - s); }
#endif

static void add_sub(const nnom_elementwise_s8_args *a, int subtract)
{
    const int32_t m1 = a->params[0], s1 = a->params[1];
    const int32_t m2 = a->params[2], s2 = a->params[3];
    const int32_t zp1 = a->in1_zero_point, zp2 = a->in2_zero_point, zpo = a->out_zero_point;
    const int32_t lo = a->act_lo, hi = a->act_hi, c = a->channels;
    const int32_t step2 = a->broadcast ? 0 : c;
    const nnom_conv_quant qo = nnom_conv_quant_init(0, a->params[4], a->params[5]);
    const int8_t *in1 = a->in1, *in2 = a->in2;
    int8_t *out = a->out;
    int32_t t1[EW_VALUES], t2[EW_VALUES];
    const int tables = (int64_t)a->rows * c >= EW_TABLE_MIN;
    const int32_t e = -a->params[5];
    if (!tables && s1 <= 0 && s2 <= 0 && e >= 1 && e <= NNOM_REQUANT32_MAX_E &&
        prescale_bound(zp1, m1, s1) + prescale_bound(zp2, m2, s2) <= NNOM_REQUANT32_MAX_ACC) {
        /* few elements: the tables' 32-bit forms per element */
        const ew_prescale p1 = prescale_init(m1, s1), p2 = prescale_init(m2, s2);
        const int32_t mo = a->params[4], co = nnom_requant32_const(e, zpo), sign = subtract ? -1 : 1;
        for (int32_t r = 0; r < a->rows; r++, in1 += c, in2 += step2, out += c)
            for (int32_t i = 0; i < c; i++) {
                const int32_t x = prescale32(&p1, in1[i] - zp1) + sign * prescale32(&p2, in2[i] - zp2);
                out[i] = nnom_clamp_s8(nnom_requant32(x, mo, e, co), lo, hi);
            }
        return;
    }
    if (tables) {
        /* the 32-bit form when the largest |x1'| + |x2'| (at the tables' ends, prescale_bound) allows: the
         * tables then hold x1' and +-x2' (the Cortex-M path: twice those, kernels/arm/elementwise_s8.c) */
        const int fast = e >= 1 && e <= NNOM_REQUANT32_MAX_E &&
                         prescale_bound(zp1, m1, s1) + prescale_bound(zp2, m2, s2) <= NNOM_REQUANT32_MAX_ACC;
        const int32_t k = fast ? EW_FAST_TABLE_SCALE : 1;
#if NNOM_USE_ARM_DSP
        /* one input linear (x' = (x - zp) q, the larger-scale input as TFLite and nnom quantise), the output
         * multiplier above 2^30, no clamp: one table, kernels/arm/elementwise_s8.c's loop */
        const int lin2 = ew_linear(m2, s2), lin = lin2 || ew_linear(m1, s1);
        if (fast && lin && a->params[4] > (1 << 30) && lo == INT8_MIN && hi == INT8_MAX) {
            const int32_t kt = !lin2 && subtract ? -k : k, kl = lin2 && subtract ? -k : k;
            const int32_t q = lin2 ? ew_linear_q(m2, s2) : ew_linear_q(m1, s1), zpl = lin2 ? zp2 : zp1;
            /* t[a] + b kl q = kt x_a' + kl x_b': the linear input's zero point in the table */
            prescale_table_off(t1, lin2 ? zp1 : zp2, lin2 ? m1 : m2, lin2 ? s1 : s2, kt, -kl * q * zpl);
            nnom_ew_add_lin(a, !lin2, t1 - INT8_MIN, kl * q, e);
            return;
        }
#endif
        prescale_table(t1, zp1, m1, s1, k);
        prescale_table(t2, zp2, m2, s2, fast && subtract ? -k : k);
        if (fast) {
#if NNOM_USE_ARM_DSP
            nnom_ew_add_fast(a, t1, t2, e);
            return;
#endif
            const int32_t mo = a->params[4], co = nnom_requant32_const(e, zpo);
            for (int32_t r = 0; r < a->rows; r++, in1 += c, in2 += step2, out += c)
                for (int32_t i = 0; i < c; i++)
                    out[i] = nnom_clamp_s8(nnom_requant32(t1[in1[i] - INT8_MIN] + t2[in2[i] - INT8_MIN], mo, e, co), lo, hi);
            return;
        }
    }
    for (int32_t r = 0; r < a->rows; r++) {
        for (int32_t i = 0; i < c; i++) {
            int32_t x1, x2;
            if (tables) {
                x1 = t1[in1[i] - INT8_MIN];
                x2 = t2[in2[i] - INT8_MIN];
            } else {
                x1 = prescaled(in1[i], zp1, m1, s1);
                x2 = prescaled(in2[i], zp2, m2, s2);
            }
            /* the int64 sum keeps extreme params defined */
            const int32_t sum = sat32(subtract ? (int64_t)x1 - x2 : (int64_t)x1 + x2);
            out[i] = nnom_conv_quant_out(qo, sum, zpo, lo, hi);
        }
        in1 += c;
        in2 += step2;
        out += c;
    }
}

void nnom_add_s8(const nnom_elementwise_s8_args *a) { add_sub(a, 0); }

void nnom_sub_s8(const nnom_elementwise_s8_args *a) { add_sub(a, 1); }

#if !NNOM_USE_ARM_DSP /* (the DSP form: kernels/arm/elementwise_s8.c) */
void nnom_mul_s8(const nnom_elementwise_s8_args *a)
{
    const nnom_conv_quant q = nnom_conv_quant_init(0, a->params[0], a->params[1]);
    const int32_t zp1 = a->in1_zero_point, zp2 = a->in2_zero_point, zpo = a->out_zero_point;
    const int32_t lo = a->act_lo, hi = a->act_hi, c = a->channels;
    const int32_t step2 = a->broadcast ? 0 : c;
    const int8_t *in1 = a->in1, *in2 = a->in2;
    int8_t *out = a->out;
    const int32_t e = -a->params[1], m = a->params[0];
    const int fast = e >= 1 && e <= NNOM_REQUANT32_MAX_E, co = fast ? nnom_requant32_const(e, zpo) : 0;
    if (fast) { /* the product's requantisation in 32 bits: |.| <= 65025 < 2^30 */
        for (int32_t r = 0; r < a->rows; r++, in1 += c, in2 += step2, out += c)
            for (int32_t i = 0; i < c; i++)
                out[i] = nnom_clamp_s8(nnom_requant32(((int32_t)in1[i] - zp1) * ((int32_t)in2[i] - zp2), m, e, co), lo, hi);
        return;
    }
    for (int32_t r = 0; r < a->rows; r++) {
        for (int32_t i = 0; i < c; i++) {
            const int32_t prod = ((int32_t)in1[i] - zp1) * ((int32_t)in2[i] - zp2); /* |.| <= 65025 */
            out[i] = fast ? nnom_clamp_s8(nnom_requant32(prod, m, e, co), lo, hi) : nnom_conv_quant_out(q, prod, zpo, lo, hi);
        }
        in1 += c;
        in2 += step2;
        out += c;
    }
}
#endif

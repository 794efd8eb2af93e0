/*
 * TFLite's integer arithmetic for element-wise int8 operators and the
 * softmax, computed on the host: the constants TFLite's kernels derive in
 * their Prepare step, and the 256-entry tables that give, for every int8
 * input, exactly the output TFLite's reference kernel computes.
 */
#include <math.h>

#include "kernels/fixedpoint.h"
#include "kernels/softmax.h"
#include "tflite/tflite_internal.h"

/* Integer bits of the scaled input difference of softmax (TFLite's kScaledDiffIntegerBits). */
#define SOFTMAX_DIFF_BITS 5
/* Integer bits of the sum of exponentials (kAccumulationIntegerBits). */
#define SOFTMAX_SUM_BITS 12
/* Integer bits of logistic's and tanh's input (kInputIntegerBits). */
#define SIGMOID_INPUT_BITS 4
#define INT8_VALUES 256
#define INT8_OFFSET 128

/* TFLite's QuantizeMultiplier for a real >= 1: a Q31 multiplier and a left shift >= 0. */
static void multiplier_at_least_one(double real, int32_t *multiplier, int *left_shift)
{
    int e;
    const double f = frexp(real, &e);
    long long q = llround(f * 2147483648.0);
    if (q == (1LL << 31)) {
        q /= 2;
        e++;
    }
    *multiplier = (int32_t)q;
    *left_shift = e;
}

/* TFLite's CalculateInputRadius: the largest |input| (in input steps) whose rescaled value fits. */
static int32_t input_radius(int integer_bits, int left_shift)
{
    /* ldexp: any shift a file's scale gives (negative, or past 31) stays defined; the radius is
     * saturated to the int32 range the comparisons use */
    const double max_rescaled = ldexp((double)((1 << integer_bits) - 1), 31 - integer_bits - left_shift);
    return max_rescaled >= (double)INT32_MAX ? INT32_MAX : (int32_t)floor(max_rescaled);
}

nnom_status tfl_softmax_tables(double beta, double input_scale, int32_t table[2 * NNOM_SOFTMAX_TABLE_SIZE])
{
    const double max_real = 2147483647.0;
    double real = beta * input_scale * (double)(1 << (31 - SOFTMAX_DIFF_BITS));
    if (real > max_real) real = max_real;
    if (!(real > 0.0)) return NNOM_ERR_ARGUMENT;
    int32_t multiplier;
    int left_shift;
    multiplier_at_least_one(real, &multiplier, &left_shift);
    if (left_shift < 0 || left_shift > 31) return NNOM_ERR_UNSUPPORTED;
    const int32_t diff_min = -input_radius(SOFTMAX_DIFF_BITS, left_shift);
    for (int32_t d = 0; d < NNOM_SOFTMAX_TABLE_SIZE; d++) {
        const int32_t diff = -d;
        int32_t e = 0;
        if (diff >= diff_min) {
            const int32_t scaled = nnom_srdhm(nnom_fp_sat_shl(diff, left_shift), multiplier);
            e = nnom_fp_exp_neg(scaled, SOFTMAX_DIFF_BITS);
        }
        table[d] = e;
        table[NNOM_SOFTMAX_TABLE_SIZE + d] = nnom_fp_rescale(e, 0, SOFTMAX_SUM_BITS);
    }
    return NNOM_OK;
}

/* The most negative input shift the rescaling can apply (a right shift of 31 bits). */
#define MIN_SIGMOID_SHIFT (-31)

/* The prepare step shared by logistic and tanh: input multiplier, left shift and radius. */
static void sigmoid_input(nnom_quant in, int32_t *multiplier, int *left_shift, int32_t *radius)
{
    const double real = (double)in.scale * (double)(1 << (31 - SIGMOID_INPUT_BITS));
    int e;
    const double f = frexp(real, &e);
    long long q = llround(f * 2147483648.0);
    if (q == 2147483648LL) { /* f rounded up to 1: the same value as 0.5 one shift higher */
        q /= 2;
        e++;
    }
    *radius = input_radius(SIGMOID_INPUT_BITS, e);
    if (e < MIN_SIGMOID_SHIFT) { /* a scale so small every input rescales to 0 (defined shifts only) */
        q = 0;
        e = 0;
    }
    *multiplier = (int32_t)q;
    *left_shift = e;
}

/* MultiplyByQuantizedMultiplier of TFLite (left shift, doubling high product, rounding right shift). */
static int32_t mbqm(int32_t x, int32_t multiplier, int shift) { return nnom_requantize(x, multiplier, shift); }

void tfl_logistic_table(nnom_quant in, nnom_quant out, int8_t table[INT8_VALUES])
{
    (void)out; /* TFLite fixes the output at scale 1/256, zero point -128 */
    int32_t multiplier, radius;
    int left_shift;
    sigmoid_input(in, &multiplier, &left_shift, &radius);
    for (int32_t q = -INT8_OFFSET; q < INT8_VALUES - INT8_OFFSET; q++) {
        const int32_t x = q - in.zero_point;
        int32_t y;
        if (x <= -radius) {
            y = -128;
        } else if (x >= radius) {
            y = 127;
        } else {
            const int32_t a = mbqm(x, multiplier, left_shift); /* Q4 */
            int32_t r;
            if (a == 0) {
                r = 1 << 30; /* one half */
            } else {
                const int32_t abs_a = a > 0 ? a : -a;
                const int32_t pos = nnom_fp_one_over_one_plus_x(nnom_fp_exp_neg(-abs_a, SIGMOID_INPUT_BITS));
                r = a > 0 ? pos : NNOM_FP_Q0_ONE - pos;
            }
            y = nnom_rounding_shr(r, 31 - 8) - 128;
            y = y < -128 ? -128 : (y > 127 ? 127 : y);
        }
        table[q + INT8_OFFSET] = (int8_t)y;
    }
}

void tfl_tanh_table(nnom_quant in, nnom_quant out, int8_t table[INT8_VALUES])
{
    (void)out; /* TFLite fixes the output at scale 1/128, zero point 0 */
    int32_t multiplier, radius;
    int left_shift;
    sigmoid_input(in, &multiplier, &left_shift, &radius);
    for (int32_t q = -INT8_OFFSET; q < INT8_VALUES - INT8_OFFSET; q++) {
        const int32_t x = q - in.zero_point;
        int32_t y;
        if (x <= -radius) {
            y = -128;
        } else if (x >= radius) {
            y = 127;
        } else {
            const int32_t a = mbqm(x, multiplier, left_shift); /* Q4 */
            int32_t r = 0;
            if (a != 0) {
                const int32_t neg = a < 0 ? a : -a; /* -|a|, Q4, read as Q5 for exp(-2|a|) */
                const int32_t t = nnom_fp_one_minus_x_over_one_plus_x(nnom_fp_exp_neg(neg, SIGMOID_INPUT_BITS + 1));
                r = a < 0 ? -t : t;
            }
            y = nnom_rounding_shr(r, 31 - 7);
            y = y < -128 ? -128 : (y > 127 ? 127 : y);
        }
        table[q + INT8_OFFSET] = (int8_t)y;
    }
}

/* ---- HARD_SWISH: TFLite's int16 fixed-point algorithm (reference_ops::HardSwish) */

#define INT16_LIMIT 32767
#define INT16_LOWEST (-32768)
/* the input is moved to a "high resolution" scale of in_scale / 2^7 */
#define HIRES_SHIFT 7
/* the relu-ish factor's scale: 3 is represented by 2^15 */
#define RELUISH_SCALE (3.0f / 32768.0f)

static int16_t sat16(int64_t v) { return (int16_t)(v > INT16_LIMIT ? INT16_LIMIT : (v < INT16_LOWEST ? INT16_LOWEST : v)); }

/* gemmlowp's rounding doubling high product of two int16 values. */
static int16_t srdhm16(int16_t a, int16_t b)
{
    if (a == INT16_LOWEST && b == INT16_LOWEST) return INT16_LIMIT;
    const int32_t ab = (int32_t)a * (int32_t)b;
    const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    return (int16_t)((ab + nudge) / (1 << 15));
}

/* The same product truncated towards zero (no rounding). */
static int16_t sdhm16(int16_t a, int16_t b)
{
    if (a == INT16_LOWEST && b == INT16_LOWEST) return INT16_LIMIT;
    return (int16_t)(((int32_t)a * (int32_t)b) / (1 << 15));
}

static int16_t rounding_shr16(int16_t x, int exponent)
{
    return (int16_t)nnom_rounding_shr(x, exponent); /* the same rounding, the value fits */
}

/* TFLite's DownScaleInt32ToInt16Multiplier. */
static int16_t multiplier16(int32_t m)
{
    const int32_t rounding = 1 << 15;
    if (m >= INT32_MAX - rounding) return INT16_LIMIT;
    return (int16_t)((m + rounding) >> 16);
}

nnom_status tfl_hard_swish_table(nnom_quant in, nnom_quant out, int8_t table[INT8_VALUES])
{
    /* the Prepare step, in float as TFLite computes it */
    const float hires_scale = (1.0f / 128.0f) * in.scale;
    const float out_real = hires_scale / out.scale;
    const float reluish_real = hires_scale / RELUISH_SCALE;
    int32_t m_out, e_out, m_rel, e_rel;
    if (nnom_quant_multiplier((double)out_real, &m_out, &e_out) != NNOM_OK ||
        nnom_quant_multiplier((double)reluish_real, &m_rel, &e_rel) != NNOM_OK)
        return NNOM_ERR_UNSUPPORTED;
    if (e_out > 0) return NNOM_ERR_UNSUPPORTED; /* TFLite refuses it too */
    const int16_t out_mult = multiplier16(m_out), rel_mult = multiplier16(m_rel);
    for (int32_t q = -INT8_OFFSET; q < INT8_VALUES - INT8_OFFSET; q++) {
        const int16_t x = (int16_t)(q - in.zero_point);
        const int16_t hires = (int16_t)(x * (1 << HIRES_SHIFT));
        const int16_t preshift_out = srdhm16(hires, out_mult);
        int16_t reluish = hires;
        if (e_rel > 0) reluish = sat16((int64_t)reluish * ((int64_t)1 << (e_rel - 1)));
        reluish = srdhm16(reluish, rel_mult);
        if (e_rel > 0) reluish = sat16((int64_t)reluish * 2);
        if (e_rel < 0) reluish = rounding_shr16(reluish, -e_rel);
        reluish = (int16_t)(((int32_t)reluish + (1 << 15)) >> 1); /* [-1, 1] to [0, 1] */
        const int16_t preshift = sdhm16(reluish, preshift_out);
        int32_t y = rounding_shr16(preshift, -e_out) + out.zero_point;
        table[q + INT8_OFFSET] = (int8_t)(y > 127 ? 127 : (y < -128 ? -128 : y));
    }
    return NNOM_OK;
}

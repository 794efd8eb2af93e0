/* int8 add, subtract and multiply (TFLite reference arithmetic). */
#include "kernels/elementwise.h"
#include "kernels/requant.h"

static int32_t sat32(int64_t v) { return v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : (int32_t)v); }

/* requant(sum) + zp, clamped; the int64 addition keeps extreme params defined */
static int8_t finish(int64_t sum, int32_t m, int32_t s, int32_t zp, int32_t lo, int32_t hi)
{
    int64_t v = (int64_t)nnom_requantize(sat32(sum), m, s) + zp;
    return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}

static void add_sub(const nnom_elementwise_s8_args *a, int subtract)
{
    const int32_t m1 = a->params[0], s1 = a->params[1];
    const int32_t m2 = a->params[2], s2 = a->params[3];
    const int32_t mo = a->params[4], so = a->params[5];
    const int32_t zp1 = a->in1_zero_point, zp2 = a->in2_zero_point, zpo = a->out_zero_point;
    const int32_t lo = a->act_lo, hi = a->act_hi, c = a->channels;
    const int32_t step2 = a->broadcast ? 0 : c;
    const int8_t *in1 = a->in1, *in2 = a->in2;
    int8_t *out = a->out;
    for (int32_t r = 0; r < a->rows; r++) {
        for (int32_t i = 0; i < c; i++) {
            /* |x - zp| <= 255, so the product by 2^20 fits in int32 */
            const int32_t x1 = nnom_requantize(((int32_t)in1[i] - zp1) * (1 << 20), m1, s1);
            const int32_t x2 = nnom_requantize(((int32_t)in2[i] - zp2) * (1 << 20), m2, s2);
            const int64_t sum = subtract ? (int64_t)x1 - x2 : (int64_t)x1 + x2;
            out[i] = finish(sum, mo, so, zpo, lo, hi);
        }
        in1 += c;
        in2 += step2;
        out += c;
    }
}

void nnom_add_s8(const nnom_elementwise_s8_args *a) { add_sub(a, 0); }

void nnom_sub_s8(const nnom_elementwise_s8_args *a) { add_sub(a, 1); }

void nnom_mul_s8(const nnom_elementwise_s8_args *a)
{
    const int32_t m = a->params[0], s = a->params[1];
    const int32_t zp1 = a->in1_zero_point, zp2 = a->in2_zero_point, zpo = a->out_zero_point;
    const int32_t lo = a->act_lo, hi = a->act_hi, c = a->channels;
    const int32_t step2 = a->broadcast ? 0 : c;
    const int8_t *in1 = a->in1, *in2 = a->in2;
    int8_t *out = a->out;
    for (int32_t r = 0; r < a->rows; r++) {
        for (int32_t i = 0; i < c; i++) {
            const int32_t prod = ((int32_t)in1[i] - zp1) * ((int32_t)in2[i] - zp2); /* |.| <= 65025 */
            out[i] = finish(prod, m, s, zpo, lo, hi);
        }
        in1 += c;
        in2 += step2;
        out += c;
    }
}

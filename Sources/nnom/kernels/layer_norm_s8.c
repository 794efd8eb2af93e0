/* int8 layer normalisation over the last axis (kernels/layer_norm.h). */
#include "kernels/layer_norm.h"
#include "kernels/requant.h"

/* Q30 and Q31 units, and the first guess y0 = GUESS_A - GUESS_B x of 1 / sqrt(x) on [1/4, 1)
 * (error below 14%, from which six Newton steps reach the Q30 resolution). */
#define Q30 ((int64_t)1 << 30)
#define GUESS_A (Q30 * 9 / 4)
#define GUESS_B (Q30 * 13 / 10)

int64_t nnom_rsqrt_q30(int64_t x_q)
{
    /* x_q < 2^31; y <= 2^31 (Q30 of 2); y^2 >> 30 <= 2^32; x_q * that < 2^63 */
    int64_t y = GUESS_A - ((GUESS_B * x_q) >> 31);
    for (int k = 0; k < NNOM_LAYER_NORM_NEWTON_STEPS; k++) {
        const int64_t y2 = (y * y) >> 30;       /* Q30 */
        const int64_t xy2 = (x_q * y2) >> 31;   /* Q30, about 1 */
        y = (y * (3 * Q30 - xy2)) >> 31;        /* Q30; (3 - x y^2) < 3: the product < 2^63 */
    }
    return y;
}

static int bit_length(uint64_t v)
{
    int n = 0;
    while (v) {
        v >>= 1;
        n++;
    }
    return n;
}

/* round(v / 2^s) for 1 <= s <= 62, half away from zero */
static int64_t round_shift(int64_t v, int s)
{
    const int64_t half = (int64_t)1 << (s - 1);
    return v >= 0 ? (v + half) >> s : -((-v + half) >> s);
}

void nnom_layer_norm_s8(const nnom_layer_norm_s8_args *a)
{
    const int32_t d = a->depth;
    for (int32_t r = 0; r < a->rows; r++) {
        const int8_t *x = a->in + (int64_t)r * d;
        int8_t *y = a->out + (int64_t)r * d;
        int32_t sum = 0;
        for (int32_t j = 0; j < d; j++) sum += x[j];
        int64_t ss = a->eps_term;
        for (int32_t j = 0; j < d; j++) {
            const int64_t u = (int64_t)d * x[j] - sum;
            ss += u * u;
        }
        const uint64_t t = (uint64_t)ss;
        /* T 4^k in [2^60, 2^62): bit length 61 or 62; k <= 30 since T >= 1 */
        const int k = t ? (62 - bit_length(t)) / 2 : 0;
        const int64_t rs = t ? nnom_rsqrt_q30((int64_t)((t << (2 * k)) >> 31)) : 0;
        for (int32_t j = 0; j < d; j++) {
            const int64_t u = (int64_t)d * x[j] - sum;
            /* u / sqrt(T) in Q30 = u rs 2^(k - 31); |u rs| < 2^52 */
            const int32_t n = (int32_t)round_shift(u * rs, 31 - k);
            /* 64-bit sum: the bias is any int32 a file holds; the result saturates to int8 */
            const int64_t v = (int64_t)nnom_requantize(n, a->multipliers[j], a->shifts[j]) + a->biases[j] +
                              a->out_zero_point;
            y[j] = (int8_t)(v < INT8_MIN ? INT8_MIN : (v > INT8_MAX ? INT8_MAX : v));
        }
    }
}

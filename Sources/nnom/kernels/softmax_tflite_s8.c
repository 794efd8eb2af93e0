/* int8 softmax in TFLite's fixed-point arithmetic (see softmax.h). */
#include "kernels/fixedpoint.h"
#include "kernels/softmax.h"

/* Integer bits of the sum of exponentials (TFLite's kAccumulationIntegerBits). */
#define SUM_INTEGER_BITS 12
/* The output step is 2^-8: the Q0 quotient is shifted right by 31 - 8 more bits. */
#define OUTPUT_BITS 8
/* The output's zero point (scale 2^-8): the int8 of probability 0. */
#define OUTPUT_ZERO_POINT (-128)

static int leading_zeros(uint32_t x)
{
    int n = 0;
    if (x == 0) return 32;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        n++;
    }
    return n;
}

void nnom_softmax_tflite_s8(const nnom_softmax_tflite_s8_args *a)
{
    const int32_t depth = a->depth, step = a->inner;
    const int32_t *exp_q0 = a->tflite_table;
    const int32_t *exp_sum = a->tflite_table + NNOM_SOFTMAX_TABLE_SIZE;
    for (int32_t r = 0; r < a->rows; r++) {
        const int64_t first = nnom_softmax_first(r, depth, step);
        const int8_t *in = a->in + first;
        int8_t *out = a->out + first;
        int32_t max = -128;
        for (int32_t i = 0; i < depth; i++)
            if (in[i * step] > max) max = in[i * step];
        int32_t sum = 0;
        for (int32_t i = 0; i < depth; i++) sum += exp_sum[max - in[i * step]];
        /* 1 / sum as a Q0 reciprocal of sum normalised to [1, 2) and a power of two */
        const int headroom = leading_zeros((uint32_t)sum);
        const int bits_over_unit = SUM_INTEGER_BITS - headroom;
        const int32_t normalised_minus_one = (int32_t)(((uint32_t)sum << headroom) - 0x80000000u);
        const int32_t reciprocal = nnom_fp_one_over_one_plus_x(normalised_minus_one);
        const int exponent = bits_over_unit + 31 - OUTPUT_BITS;
        if (exponent > NNOM_ROUNDING_SHR_MAX) {
            /* A sum of 512 or more (in Q12: 2^28; a long row of near-equal values). srdhm never returns
             * -2^31 (|a b| < 2^62 unless a = b = -2^31, which gives 2^31 - 1), so its quotient by
             * 2^exponent >= 2^32 lies strictly inside (-1/2, 1/2) and rounds to 0: every value of the
             * row is the zero point. */
            for (int32_t i = 0; i < depth; i++) out[i * step] = OUTPUT_ZERO_POINT;
            continue;
        }
        for (int32_t i = 0; i < depth; i++) {
            const int32_t q =
                nnom_rounding_shr(nnom_srdhm(reciprocal, exp_q0[max - in[i * step]]), exponent) + OUTPUT_ZERO_POINT;
            out[i * step] = (int8_t)(q > 127 ? 127 : (q < -128 ? -128 : q));
        }
    }
}

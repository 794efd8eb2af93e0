/* int8 softmax over the last axis, integer only (see softmax.h). */
#include "kernels/softmax.h"

void nnom_softmax_s8(const nnom_softmax_s8_args *a)
{
    const int32_t depth = a->depth;
    const uint32_t *table = a->exp_table;
    for (int32_t r = 0; r < a->rows; r++) {
        const int8_t *in = a->in + (int64_t)r * depth;
        int8_t *out = a->out + (int64_t)r * depth;
        int32_t max = -128;
        for (int32_t i = 0; i < depth; i++)
            if (in[i] > max) max = in[i];
        uint64_t sum = 0;
        for (int32_t i = 0; i < depth; i++) sum += table[max - in[i]];
        if (sum == 0) sum = 1; /* only with a malformed table; keeps the division defined */
        for (int32_t i = 0; i < depth; i++) {
            /* round(256 t / sum), ties up: floor((512 t + sum) / (2 sum)) */
            const uint64_t t = table[max - in[i]];
            const uint64_t q = (512u * t + sum) / (2u * sum);
            const int64_t v = (int64_t)(q > 255u ? 255u : q) - 128;
            out[i] = (int8_t)v;
        }
    }
}

/* int8 softmax over one axis, integer only (see softmax.h). */
#include "kernels/softmax.h"

/* Largest row sum of the 32-bit path: the quantiser's tables (entries <= 2^16) stay within it for rows of up to
 * 64 values at any input scale, and longer rows whose values are not all near the maximum. */
#define SOFTMAX_SUM_32BIT (1u << 22)

void nnom_softmax_s8(const nnom_softmax_s8_args *a)
{
    const int32_t depth = a->depth, step = a->inner;
    const uint32_t *table = a->exp_table;
    for (int32_t r = 0; r < a->rows; r++) {
        const int64_t first = nnom_softmax_first(r, depth, step);
        const int8_t *in = a->in + first;
        int8_t *out = a->out + first;
        int32_t max = -128;
        for (int32_t i = 0; i < depth; i++)
            if (in[i * step] > max) max = in[i * step];
        uint64_t sum = 0;
        for (int32_t i = 0; i < depth; i++) sum += table[max - in[i * step]];
        if (sum == 0) sum = 1; /* only with a malformed table; the quotient stays defined */
        if (sum <= SOFTMAX_SUM_32BIT) {
            /* t <= sum, so 512 t + sum < 2^32: one 32-bit division per value (UDIV on a Cortex-M3 and up) */
            const uint32_t den = 2u * (uint32_t)sum;
            for (int32_t i = 0; i < depth; i++) {
                const uint32_t q = (512u * table[max - in[i * step]] + (uint32_t)sum) / den;
                out[i * step] = (int8_t)((int32_t)(q > 255u ? 255u : q) - 128);
            }
            continue;
        }
        /* longer sums: round(256 t / sum), ties up: floor((512 t + sum) / (2 sum)), at most
         * 256 since t <= sum: its 9 bits come by shift and subtract (a 64-bit
         * division would link the C library's 700-byte routine into firmware;
         * a row costs a few instructions more per value) */
        for (int32_t i = 0; i < depth; i++) {
            uint64_t num = 512u * (uint64_t)table[max - in[i * step]] + sum;
            const uint64_t den = 2u * sum;
            uint32_t q = 0;
            for (int bit = 8; bit >= 0; bit--)
                if ((num >> bit) >= den) { /* den * 2^bit <= num, without overflow */
                    num -= den << bit;
                    q |= 1u << bit;
                }
            out[i * step] = (int8_t)((int32_t)(q > 255u ? 255u : q) - 128);
        }
    }
}

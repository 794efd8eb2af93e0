/* Concatenation on any axis, int8 (with per-input requantisation) and float32. */
#include <string.h>

#include "kernels/concat.h"
#include "kernels/requant.h"

/* Inputs of at least CONCAT_TABLE_MIN elements in a call are requantised through a table of their
 * 256 possible values (built with the same expression, so the same bytes): an element is then a load
 * where the 64-bit requantisation costs tens of instructions. */
enum { CONCAT_TABLE_MIN = 512, CONCAT_VALUES = 256 };

static int8_t concat_requant(int32_t x, int32_t zpi, int32_t m, int32_t s, int32_t zpo)
{
    const int64_t v = (int64_t)nnom_requantize(x - zpi, m, s) + zpo;
    return (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
}

void nnom_concat_s8(const nnom_concat_s8_args *a)
{
    int64_t row = 0; /* output elements per outer step */
    for (int32_t i = 0; i < a->n_inputs; i++) row += a->inputs[i].inner;
    int64_t offset = 0; /* of input i within an output row */
    int8_t table[CONCAT_VALUES];
    for (int32_t i = 0; i < a->n_inputs; i++) {
        const nnom_concat_input_s8 *in = &a->inputs[i];
        const int32_t n = in->inner, m = in->multiplier, s = in->shift, zpi = in->zero_point;
        const int32_t zpo = a->out_zero_point;
        int8_t *out = a->out + offset;
        const int8_t *src = in->data;
        offset += n;
        if (m == 0) {
            for (int32_t o = 0; o < a->outer; o++, src += n, out += row) memcpy(out, src, (size_t)n);
            continue;
        }
        if ((int64_t)n * a->outer >= CONCAT_TABLE_MIN) {
            for (int32_t v = 0; v < CONCAT_VALUES; v++) table[v] = concat_requant((int8_t)(uint8_t)v, zpi, m, s, zpo);
            for (int32_t o = 0; o < a->outer; o++, src += n, out += row)
                for (int32_t k = 0; k < n; k++) out[k] = table[(uint8_t)src[k]];
        } else {
            for (int32_t o = 0; o < a->outer; o++, src += n, out += row)
                for (int32_t k = 0; k < n; k++) out[k] = concat_requant(src[k], zpi, m, s, zpo);
        }
    }
}

void nnom_concat_f32(const nnom_concat_f32_args *a)
{
    float *out = a->out;
    for (int32_t o = 0; o < a->outer; o++) {
        for (int32_t i = 0; i < a->n_inputs; i++) {
            const int32_t n = a->inputs[i].inner;
            memcpy(out, a->inputs[i].data + (int64_t)o * n, (size_t)n * sizeof(float));
            out += n;
        }
    }
}

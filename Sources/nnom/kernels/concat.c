/* Concatenation on any axis, int8 (with per-input requantisation) and float32. */
#include <string.h>

#include "kernels/concat.h"
#include "kernels/requant.h"

void nnom_concat_s8(const nnom_concat_s8_args *a)
{
    int8_t *out = a->out;
    const int32_t zpo = a->out_zero_point;
    for (int32_t o = 0; o < a->outer; o++) {
        for (int32_t i = 0; i < a->n_inputs; i++) {
            const nnom_concat_input_s8 *in = &a->inputs[i];
            const int32_t n = in->inner;
            const int8_t *src = in->data + (int64_t)o * n;
            if (in->multiplier == 0) {
                memcpy(out, src, (size_t)n);
            } else {
                const int32_t m = in->multiplier, s = in->shift, zpi = in->zero_point;
                for (int32_t k = 0; k < n; k++) {
                    int64_t v = (int64_t)nnom_requantize((int32_t)src[k] - zpi, m, s) + zpo;
                    out[k] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
                }
            }
            out += n;
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

/* float32 dense kernel: plain reference code (summed in input order). */
#include "kernels/dense.h"

#include <stddef.h>

void nnom_dense_f32(const nnom_dense_f32_args *a, const float *in, float *out)
{
    const int32_t n = a->in_features;
    for (int32_t o = 0; o < a->out_features; o++) {
        const float *w = a->weights + (size_t)o * (size_t)n;
        float acc = a->bias ? a->bias[o] : 0.0f;
        for (int32_t i = 0; i < n; i++) acc += in[i] * w[i];
        if (acc < a->act_lo) acc = a->act_lo;
        if (acc > a->act_hi) acc = a->act_hi;
        out[o] = acc;
    }
}

/* PReLU kernels, int8 and float32 (see prelu.h). */
#include "kernels/prelu.h"
#include "kernels/requant.h"

void nnom_prelu_s8(const nnom_prelu_s8_args *a)
{
    int32_t k = 0; /* i % alpha_count, kept without a division per element */
    for (int32_t i = 0; i < a->n; i++) {
        const int32_t v = (int32_t)a->in[i] - a->in_zero_point;
        const int32_t r = v >= 0 ? nnom_requantize(v, a->pos_multiplier, a->pos_shift)
                                 : nnom_requantize(v * (int32_t)a->alpha[k], a->neg_multiplier, a->neg_shift);
        a->out[i] = nnom_clamp_s8(r + a->out_zero_point, -128, 127);
        if (++k == a->alpha_count) k = 0;
    }
}

void nnom_prelu_f32(const nnom_prelu_f32_args *a)
{
    int32_t k = 0;
    for (int32_t i = 0; i < a->n; i++) {
        const float v = a->in[i];
        a->out[i] = v >= 0.0f ? v : a->alpha[k] * v;
        if (++k == a->alpha_count) k = 0;
    }
}

/* float32 batched matrix product of two activations (kernels/matmul.h). */
#include "kernels/matmul.h"

void nnom_matmul_f32(const float *a, const float *b, float *out, const nnom_matmul_dims *d)
{
    const int64_t step_k = d->transpose_b ? 1 : d->n, step_j = d->transpose_b ? d->k : 1;
    for (int32_t p = 0; p < d->batch; p++) {
        const float *ap = a + (int64_t)p * d->m * d->k, *bp = b + (int64_t)p * d->k * d->n;
        float *op = out + (int64_t)p * d->m * d->n;
        for (int32_t i = 0; i < d->m; i++)
            for (int32_t j = 0; j < d->n; j++) {
                float acc = 0.0f;
                const float *bj = bp + j * step_j;
                for (int32_t k = 0; k < d->k; k++) acc += ap[(int64_t)i * d->k + k] * bj[k * step_k];
                op[(int64_t)i * d->n + j] = acc;
            }
    }
}

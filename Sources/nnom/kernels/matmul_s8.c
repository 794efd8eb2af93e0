/* int8 batched matrix product of two activations (kernels/matmul.h). */
#include "kernels/matmul.h"
#include "kernels/requant.h"

void nnom_matmul_s8(const nnom_matmul_s8_args *x)
{
    const nnom_matmul_dims *d = &x->d;
    /* element (k, j) of B: B (K, N) at k * N + j; B^T stored (N, K) at j * K + k */
    const int64_t step_k = d->transpose_b ? 1 : d->n, step_j = d->transpose_b ? d->k : 1;
    for (int32_t p = 0; p < d->batch; p++) {
        const int8_t *a = x->a + (int64_t)p * d->m * d->k, *b = x->b + (int64_t)p * d->k * d->n;
        int8_t *out = x->out + (int64_t)p * d->m * d->n;
        for (int32_t i = 0; i < d->m; i++)
            for (int32_t j = 0; j < d->n; j++) {
                int32_t acc = 0;
                const int8_t *bj = b + j * step_j;
                for (int32_t k = 0; k < d->k; k++)
                    acc += ((int32_t)a[(int64_t)i * d->k + k] - x->a_zero_point) *
                           ((int32_t)bj[k * step_k] - x->b_zero_point);
                const int32_t v = nnom_requantize(acc, x->multiplier, x->shift) + x->out_zero_point;
                out[(int64_t)i * d->n + j] = nnom_clamp_s8(v, x->act_lo, x->act_hi);
            }
    }
}

/* int8 batched matrix product of two activations (kernels/matmul.h): both operands read along K. */
#include "kernels/arm/arm_dsp.h" /* Cortex-M with DSP: kernels/arm/matmul_s8.c replaces this file */
#if NNOM_USE_ARM_DSP
#define NNOM_ARM_DSP_TWIN 1
#include "kernels/arm/matmul_s8.c"
#else

#include "kernels/matmul.h"
#include "kernels/requant.h"

void nnom_matmul_s8(const nnom_matmul_s8_args *x)
{
    const nnom_matmul_dims *d = &x->d;
    for (int32_t p = 0; p < d->batch; p++) {
        const int8_t *a = x->a + (int64_t)p * d->m * d->k;
        const int8_t *bt = nnom_matmul_b_rows(x, p);
        int8_t *out = x->out + (int64_t)p * d->m * d->n;
        for (int32_t i = 0; i < d->m; i++) {
            const int8_t *ai = a + (int64_t)i * d->k;
            for (int32_t j = 0; j < d->n; j++) {
                const int8_t *bj = bt + (int64_t)j * d->k;
                int32_t acc = 0;
                for (int32_t k = 0; k < d->k; k++)
                    acc += (int16_t)(ai[k] - x->a_zero_point) * (int16_t)(bj[k] - x->b_zero_point);
                const int32_t v = nnom_requantize(acc, x->multiplier, x->shift) + x->out_zero_point;
                out[(int64_t)i * d->n + j] = nnom_clamp_s8(v, x->act_lo, x->act_hi);
            }
        }
    }
}
#endif /* NNOM_USE_ARM_DSP */

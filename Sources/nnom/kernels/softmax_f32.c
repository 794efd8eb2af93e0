/* float32 softmax over the last axis: exp(x - max) / sum (no libm). */
#include "kernels/activation.h"
#include "kernels/softmax.h"

void nnom_softmax_f32(const float *in, float *out, int32_t rows, int32_t depth)
{
    for (int32_t r = 0; r < rows; r++) {
        const float *x = in + (int64_t)r * depth;
        float *y = out + (int64_t)r * depth;
        float max = x[0];
        for (int32_t i = 1; i < depth; i++)
            if (x[i] > max) max = x[i];
        float sum = 0.0f;
        for (int32_t i = 0; i < depth; i++) {
            const float e = nnom_expf(x[i] - max);
            y[i] = e; /* reads x[i] before y[i] is written: in-place safe */
            sum += e;
        }
        const float inv = 1.0f / sum;
        for (int32_t i = 0; i < depth; i++) y[i] *= inv;
    }
}

/* float32 softmax over one axis: exp(x - max) / sum (no libm). */
#include "kernels/activation.h"
#include "kernels/softmax.h"

void nnom_softmax_f32(const float *in, float *out, int32_t rows, int32_t depth, int32_t inner)
{
    for (int32_t r = 0; r < rows; r++) {
        const int64_t first = nnom_softmax_first(r, depth, inner);
        const float *x = in + first;
        float *y = out + first;
        float max = x[0];
        for (int32_t i = 1; i < depth; i++)
            if (x[i * inner] > max) max = x[i * inner];
        float sum = 0.0f;
        for (int32_t i = 0; i < depth; i++) {
            const float e = nnom_expf(x[i * inner] - max);
            y[i * inner] = e; /* reads x[i] before y[i] is written: in-place safe */
            sum += e;
        }
        const float inv = 1.0f / sum;
        for (int32_t i = 0; i < depth; i++) y[i * inner] *= inv;
    }
}

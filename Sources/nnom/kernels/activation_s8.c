/* int8 element-wise activations: one table lookup per element. */
#include "kernels/activation.h"

void nnom_lut_s8(const int8_t *in, int8_t *out, int32_t n, const int8_t table[256])
{
    for (int32_t i = 0; i < n; i++) out[i] = table[(int32_t)in[i] + 128];
}

void nnom_prelu_s8(const int8_t *in, int8_t *out, int32_t rows, int32_t channels, const int8_t *tables)
{
    for (int32_t r = 0; r < rows; r++)
        for (int32_t c = 0; c < channels; c++) {
            const int64_t i = (int64_t)r * channels + c;
            out[i] = tables[(int32_t)c * 256 + in[i] + 128];
        }
}

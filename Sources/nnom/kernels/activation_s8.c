/* int8 element-wise activations: one table lookup per element. */
#include "kernels/activation.h"

void nnom_lut_s8(const int8_t *in, int8_t *out, int32_t n, const int8_t table[NNOM_LUT_S8_SIZE])
{
    for (int32_t i = 0; i < n; i++) out[i] = table[(int32_t)in[i] - INT8_MIN];
}

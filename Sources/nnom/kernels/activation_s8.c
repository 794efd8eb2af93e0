/* int8 element-wise activations: one table lookup per element, four elements per word
 * (nnom_lookup_s8 of kernels/affine_s8.h). */
#include "kernels/activation.h"
#include "kernels/affine_s8.h"

void nnom_lut_s8(const int8_t *in, int8_t *out, int32_t n, const int8_t table[NNOM_LUT_S8_SIZE])
{
    nnom_lookup_s8(table - INT8_MIN, in, out, n);
}

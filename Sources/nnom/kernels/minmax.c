/* MINIMUM and MAXIMUM kernels, int8 and float32 (see minmax.h). */
#include <stddef.h>

#include "kernels/minmax.h"
#include "kernels/requant.h"

/* x in output steps (zero point removed) */
static int32_t to_output(int32_t x, int32_t zero_point, int32_t multiplier, int32_t shift)
{
    const int32_t v = x - zero_point;
    return multiplier == 0 ? v : nnom_requantize(v, multiplier, shift);
}

static void minmax_s8(const nnom_elementwise_s8_args *a, int is_max)
{
    const int32_t c = a->channels, step2 = a->broadcast ? 0 : c;
    const int32_t *p = a->params;
    const int8_t *in2 = a->in2;
    for (int32_t r = 0; r < a->rows; r++, in2 += step2) {
        const int8_t *in1 = a->in1 + (size_t)r * (size_t)c;
        int8_t *out = a->out + (size_t)r * (size_t)c;
        for (int32_t k = 0; k < c; k++) {
            const int32_t v1 = to_output(in1[k], a->in1_zero_point, p[0], p[1]);
            const int32_t v2 = to_output(in2[k], a->in2_zero_point, p[2], p[3]);
            const int32_t v = (is_max ? (v1 > v2 ? v1 : v2) : (v1 < v2 ? v1 : v2)) + a->out_zero_point;
            out[k] = nnom_clamp_s8(v, a->act_lo, a->act_hi);
        }
    }
}

static void minmax_f32(const nnom_elementwise_f32_args *a, int is_max)
{
    const int32_t c = a->channels, step2 = a->broadcast ? 0 : c;
    const float *in2 = a->in2;
    for (int32_t r = 0; r < a->rows; r++, in2 += step2) {
        const float *in1 = a->in1 + (size_t)r * (size_t)c;
        float *out = a->out + (size_t)r * (size_t)c;
        for (int32_t k = 0; k < c; k++) {
            float v = is_max ? (in1[k] > in2[k] ? in1[k] : in2[k]) : (in1[k] < in2[k] ? in1[k] : in2[k]);
            v = v < a->act_lo ? a->act_lo : (v > a->act_hi ? a->act_hi : v);
            out[k] = v;
        }
    }
}

void nnom_minimum_s8(const nnom_elementwise_s8_args *a) { minmax_s8(a, 0); }
void nnom_maximum_s8(const nnom_elementwise_s8_args *a) { minmax_s8(a, 1); }
void nnom_minimum_f32(const nnom_elementwise_f32_args *a) { minmax_f32(a, 0); }
void nnom_maximum_f32(const nnom_elementwise_f32_args *a) { minmax_f32(a, 1); }

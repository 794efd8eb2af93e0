/*
 * MINIMUM and MAXIMUM of two tensors, element by element; the second may be a per-channel vector
 * (broadcast != 0: in2 holds `channels` values, read again for every row). Arguments as the other
 * element-wise kernels take them (kernels/elementwise.h); rows x channels elements.
 *
 * int8: each input is brought to output steps, v = x - in_zero_point when its multiplier is 0 (it
 * shares the output's quantisation), else rq(x - in_zero_point, multiplier, shift) with
 * params = int32[4] {multiplier1, shift1, multiplier2, shift2} as nnom_quant_concat_params() makes
 * them; out = clamp(min or max(v1, v2) + out_zero_point, act_lo, act_hi). rq is monotonic, so this
 * is the minimum (maximum) of the inputs, each rounded to the output's grid. |x - zero point| <= 255.
 *
 * float32: out = clamp(min or max(in1, in2), act_lo, act_hi).
 *
 * Output element i reads only element i of in1 (and of in2, or its channel): out may be in1, or in2
 * when it is not broadcast.
 */
#ifndef NNOM_KERNELS_MINMAX_H
#define NNOM_KERNELS_MINMAX_H

#include "kernels/elementwise.h"

/* int32 words of the params blob: {multiplier1, shift1, multiplier2, shift2} */
#define NNOM_MINMAX_PARAM_COUNT 4

void nnom_minimum_s8(const nnom_elementwise_s8_args *a);
void nnom_maximum_s8(const nnom_elementwise_s8_args *a);
void nnom_minimum_f32(const nnom_elementwise_f32_args *a);
void nnom_maximum_f32(const nnom_elementwise_f32_args *a);

#endif /* NNOM_KERNELS_MINMAX_H */

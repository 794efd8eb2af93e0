/*
 * Convolutions of few output pixels, each of whose windows is one contiguous
 * run of the input, run as dense layers (kernels/dense.h): the classifier and
 * squeeze-excitation 1x1 convolutions on a 1x1 map after a global pool (a
 * MobileNetV3's 576 -> 1024 on one pixel cost 4.0 estimated Cortex-M4 cycles
 * per MAC through the convolution kernel, which is built for many pixels), a
 * window as large as its input. With the OHWI weights of kernels/conv.h, output
 * channel oc's filter is the row oc of a [out_c][k] matrix, k = k_h * k_w * in_c,
 * and the window of pixel p is k contiguous inputs, so
 *   out[p][oc] = clamp(requant(bias[oc] + sum_i (x_p[i] - in_zp) * w[oc][i]) + out_zp)
 * is nnom_dense_s8 on x_p with per-channel requantisation: the same function
 * bit for bit (both are TFLite's requantisation of the exact sum).
 *
 * A window is contiguous when the kernel is 1x1 without padding (any stride:
 * pixel (oy, ox) reads input pixel (oy * stride_h, ox * stride_w)), or when it
 * covers whole input rows (k_w == in_w, no padding, one output column, dilation
 * 1 along the height: rows oy * stride_h .. + k_h - 1). Only for at most
 * CONV_DENSE_MAX_PIXELS pixels (from four on, the convolution kernels reuse each
 * widened weight over several pixels and are faster), and only when the output
 * does not overlap the input (a dense layer reads its whole input while it
 * writes).
 */
#include <stddef.h>
#include <stdint.h>

#include "kernels/conv.h"
#include "kernels/dense.h"

enum { CONV_DENSE_MAX_PIXELS = 3 };

/* For an output of one row or one column (at most CONV_DENSE_MAX_PIXELS pixels): the distance
 * between the windows of consecutive output pixels, in inputs, or 0 when a window is not contiguous. */
static ptrdiff_t window_step(const nnom_conv_args *a)
{
    /* every tap inside the input: no padding before, and none after (the last window ends in it) */
    if (a->pad_top != 0 || a->pad_left != 0) return 0;
    if ((int64_t)(a->out_h - 1) * a->stride_h + (int64_t)(a->k_h - 1) * a->dil_h >= a->in_h ||
        (int64_t)(a->out_w - 1) * a->stride_w + (int64_t)(a->k_w - 1) * a->dil_w >= a->in_w)
        return 0;
    if (a->k_h == 1 && a->k_w == 1)
        return a->out_h == 1 ? (ptrdiff_t)a->stride_w * a->in_c : (ptrdiff_t)a->stride_h * a->in_w * a->in_c;
    /* (with every tap inside, k_w == in_w implies k_w == 1 or dil_w == 1) */
    if (a->k_w == a->in_w && a->out_w == 1 && (a->k_h == 1 || a->dil_h == 1))
        return (ptrdiff_t)a->stride_h * a->in_w * a->in_c;
    return 0;
}

int nnom_conv2d_s8_as_dense(const nnom_conv_args *a, const int8_t *in, int8_t *out)
{
    const int32_t pixels = a->out_h * a->out_w; /* at most 3: one row or one column */
    if (pixels > CONV_DENSE_MAX_PIXELS) return 0;
    const ptrdiff_t step = window_step(a);
    if (step == 0) return 0;
    const uintptr_t in0 = (uintptr_t)in, in1 = in0 + (size_t)a->in_h * (size_t)a->in_w * (size_t)a->in_c;
    const uintptr_t out0 = (uintptr_t)out, out1 = out0 + (size_t)pixels * (size_t)a->out_c;
    if (out0 < in1 && in0 < out1) return 0;
    nnom_dense_s8_args d;
    d.in_features = a->k_h * a->k_w * a->in_c;
    d.out_features = a->out_c;
    d.weights = (const int8_t *)a->weights;
    d.bias = (const int32_t *)a->bias;
    d.multiplier = a->multiplier;
    d.shift = a->shift;
    d.per_channel = 1;
    d.in_zero_point = a->in_zp;
    d.out_zero_point = a->out_zp;
    d.act_lo = a->act_min;
    d.act_hi = a->act_max;
    for (int32_t p = 0; p < pixels; p++) nnom_dense_s8(&d, in + p * step, out + (ptrdiff_t)p * a->out_c);
    return 1;
}

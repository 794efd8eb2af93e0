/*
 * MAX_POOL_2D, AVERAGE_POOL_2D and MEAN (over height and width).
 *
 * TFLite's int8 pools keep the input's quantisation; its average divides the
 * window's sum by the count of valid cells rounding half away from zero,
 * which is nnom's plain int8 average pool. A fused activation becomes a
 * clamp table after the pool.
 *
 * TFLite's int8 MEAN (reference QuantizedMeanOrSum) folds 1/n into the
 * requantisation: with (m, s) = QuantizeMultiplier(in_scale / out_scale) and
 * k = min(floor(log2 n), 32, 31 + s), it computes
 *   out = clamp(MBQM(sum(x) - n in_zp, (m << k) / n, s - k) + out_zp).
 * nnom's depthwise convolution with an H x W window of ones computes exactly
 * sum(x - in_zp) and requantises it the same way, so MEAN becomes one
 * (DEPTHWISE_CONV1D with a 1 x W window for an NWC input).
 *
 * Options (schema.fbs): Pool2DOptions {0 padding, 1 stride_w, 2 stride_h,
 * 3 filter_width, 4 filter_height, 5 fused_activation_function};
 * ReducerOptions {0 keep_dims} (the output tensor's shape says it).
 */
#include <string.h>

#include "tflite/tflite_internal.h"

enum { POOL_PADDING = 0, POOL_STRIDE_W = 1, POOL_STRIDE_H = 2, POOL_FILTER_W = 3, POOL_FILTER_H = 4, POOL_ACT = 5 };
/* The largest k of the folded mean multiplier (TFLite keeps the shifted multiplier in 64 bits). */
#define MEAN_MAX_FOLD_SHIFT 32
#define Q31_BITS 31

static nnom_status same_quant(tfl_ctx *x, const tfl_tensor *in, const tfl_tensor *out)
{
    const nnom_quant a = tfl_quant(in), b = tfl_quant(out);
    if (a.scale != b.scale || a.zero_point != b.zero_point)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "input '%s' and output '%s' must share their quantisation, as TFLite "
                        "requires for int8 pooling", in->name, out->name);
    return NNOM_OK;
}

static nnom_status pool(tfl_ctx *x, const tfl_op *op, nnom_layer_type type)
{
    tfl_tensor *in, *out;
    nnom_status st = tfl_expect_io(x, op, 1, 1, 1);
    if (st == NNOM_OK) st = tfl_activation(x, op, 0, &in);
    if (st == NNOM_OK) st = tfl_output(x, op, &out);
    if (st == NNOM_OK) st = same_quant(x, in, out);
    if (st != NNOM_OK) return st;
    if (in->rank != 4) return tfl_fail(x, NNOM_ERR_FORMAT, "input has rank %d, expected 4 (NHWC)", (int)in->rank);
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    int32_t padding, act;
    st = tfl_opt_i8(x, op, POOL_PADDING, TFL_PAD_SAME, &padding);
    if (st == NNOM_OK) st = tfl_opt_i32(x, op, POOL_STRIDE_W, 1, &d.params.stride[1]);
    if (st == NNOM_OK) st = tfl_opt_i32(x, op, POOL_STRIDE_H, 1, &d.params.stride[0]);
    if (st == NNOM_OK) st = tfl_opt_i32(x, op, POOL_FILTER_W, 1, &d.params.kernel[1]);
    if (st == NNOM_OK) st = tfl_opt_i32(x, op, POOL_FILTER_H, 1, &d.params.kernel[0]);
    if (st == NNOM_OK) st = tfl_opt_i8(x, op, POOL_ACT, TFL_ACT_NONE, &act);
    if (st != NNOM_OK) return st;
    if (padding != TFL_PAD_SAME && padding != TFL_PAD_VALID)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "padding %d is not supported (0 SAME, 1 VALID)", (int)padding);
    d.params.padding = padding == TFL_PAD_SAME ? NNOM_PADDING_SAME : NNOM_PADDING_VALID;
    d.type = type;
    d.name = tfl_layer_name(x, out, NULL);
    d.n_inputs = 1;
    d.inputs[0] = in->layer;
    d.quant = tfl_quant(out);
    st = tfl_add(x, &d, out, NULL);
    if (st != NNOM_OK || act == TFL_ACT_NONE) return st;
    return tfl_clamp_layer(x, act, out, NULL);
}

nnom_status tfl_map_max_pool(tfl_ctx *x, const tfl_op *op) { return pool(x, op, NNOM_LAYER_MAX_POOL2D); }

nnom_status tfl_map_average_pool(tfl_ctx *x, const tfl_op *op) { return pool(x, op, NNOM_LAYER_AVG_POOL2D); }

static int floor_log2(int64_t n)
{
    int k = -1;
    while (n > 0) {
        n >>= 1;
        k++;
    }
    return k;
}

nnom_status tfl_map_mean(tfl_ctx *x, const tfl_op *op)
{
    tfl_tensor *in, *out, *axes;
    nnom_status st = tfl_expect_io(x, op, 2, 2, 1);
    if (st == NNOM_OK) st = tfl_activation(x, op, 0, &in);
    if (st == NNOM_OK) st = tfl_output(x, op, &out);
    if (st == NNOM_OK) st = tfl_input(x, op, 1, &axes);
    if (st != NNOM_OK) return st;
    int32_t axis[TFL_MAX_RANK], n_axes;
    st = tfl_const_i32(x, axes, axis, TFL_MAX_RANK, &n_axes, "axis");
    if (st != NNOM_OK) return st;
    /* the reduced axes must be the spatial ones: H and W of NHWC, or W of NWC (a 1D model) */
    int reduced[TFL_MAX_RANK] = {0};
    for (int32_t i = 0; i < n_axes; i++) {
        const int32_t a = axis[i] < 0 ? axis[i] + in->rank : axis[i];
        if (a < 0 || a >= in->rank) return tfl_fail(x, NNOM_ERR_FORMAT, "axis %d of a rank-%d input", (int)axis[i],
                                                     (int)in->rank);
        reduced[a] = 1;
    }
    const int spatial_2d = in->rank == 4 && (reduced[1] || in->dims[1] == 1) && reduced[2] && !reduced[0] &&
                           !reduced[3];
    const int spatial_1d = in->rank == 3 && reduced[1] && !reduced[0] && !reduced[2];
    if (!spatial_2d && !spatial_1d)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "only the mean over the spatial axes is supported (axes 1 and 2 of "
                        "an NHWC input, axis 1 of an NWC input)");
    const int32_t h = spatial_2d ? in->dims[1] : 1, w = in->dims[spatial_2d ? 2 : 1],
                  c = in->dims[in->rank - 1];
    const int64_t n = (int64_t)h * w;
    int32_t m, s;
    st = tfl_multiplier(x, (double)tfl_quant(in).scale / (double)tfl_quant(out).scale, &m, &s, "mean");
    if (st != NNOM_OK) return st;
    int k = floor_log2(n);
    if (k > MEAN_MAX_FOLD_SHIFT) k = MEAN_MAX_FOLD_SHIFT;
    if (k > Q31_BITS + s) k = Q31_BITS + s;
    const int32_t folded = (int32_t)(((int64_t)m << k) / n);

    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    int8_t *ones = (int8_t *)tfl_store(x, (size_t)(n * c));
    int32_t *mult = (int32_t *)tfl_store(x, (size_t)c * 4u), *shift = (int32_t *)tfl_store(x, (size_t)c * 4u);
    if (!ones || !mult || !shift) return tfl_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
    memset(ones, 1, (size_t)(n * c));
    for (int32_t i = 0; i < c; i++) {
        mult[i] = folded;
        shift[i] = s - k;
    }
    d.blobs[0].data = ones;
    d.blobs[0].size = (uint32_t)(n * c);
    d.blobs[2].data = mult;
    d.blobs[2].size = (uint32_t)c * 4u;
    d.blobs[3].data = shift;
    d.blobs[3].size = (uint32_t)c * 4u;
    d.params.kernel[0] = h;
    d.params.kernel[1] = w;
    d.params.padding = NNOM_PADDING_VALID;
    d.params.units = 1;
    d.type = spatial_2d ? NNOM_LAYER_DEPTHWISE_CONV2D : NNOM_LAYER_DEPTHWISE_CONV1D;
    d.name = tfl_layer_name(x, out, NULL);
    d.n_inputs = 1;
    d.inputs[0] = in->layer;
    d.quant = tfl_quant(out);
    int32_t id;
    st = tfl_add(x, &d, NULL, &id);
    if (st != NNOM_OK) return st;
    const nnom_shape pooled_2d = {3, {1, 1, c}}, pooled_1d = {2, {1, c, 0}};
    return tfl_reshape_to(x, id, spatial_2d ? &pooled_2d : &pooled_1d, out);
}

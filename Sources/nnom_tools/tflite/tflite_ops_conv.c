/*
 * CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED onto nnom's CONV2D,
 * DEPTHWISE_CONV2D and DENSE. TFLite's int8 layouts are nnom's: conv filters
 * [O][KH][KW][I], depthwise [1][KH][KW][I*M], fully connected [O][I]; biases
 * int32 at input scale x weight scale. Requantisation per output channel:
 * QuantizeMultiplier(input_scale * weight_scale[c] / output_scale), in double,
 * as TFLite's PopulateConvolutionQuantizationParams computes it.
 *
 * Options (schema.fbs): Conv2DOptions {0 padding, 1 stride_w, 2 stride_h,
 * 3 fused_activation_function, 4 dilation_w_factor, 5 dilation_h_factor};
 * DepthwiseConv2DOptions {0 padding, 1 stride_w, 2 stride_h, 3 depth_multiplier,
 * 4 fused_activation_function, 5 dilation_w_factor, 6 dilation_h_factor};
 * FullyConnectedOptions {0 fused_activation_function, 1 weights_format,
 * 2 keep_num_dims}; TransposeConvOptions {0 padding, 1 stride_w, 2 stride_h,
 * 3 fused_activation_function}.
 *
 * TRANSPOSE_CONV (inputs: output shape, weights [O][KH][KW][I], input, bias)
 * onto CONV2D_TRANSPOSE with TFLite's padding: for an output of size n along an
 * axis, m = ceil(n / s) (SAME) or (n - k + s) / s (VALID), total =
 * max(0, (m - 1) s + k - n), and the output starts total / 2 rows into the full
 * (in - 1) s + k rows; nnom's layer crops that many before and the rest after
 * (negative: rows past the full output, which TFLite fills with the bias).
 */
#include <string.h>

#include "tflite/tflite_internal.h"

enum { CONV_PADDING = 0, CONV_STRIDE_W = 1, CONV_STRIDE_H = 2, CONV_ACT = 3, CONV_DIL_W = 4, CONV_DIL_H = 5 };
enum { DW_PADDING = 0, DW_STRIDE_W = 1, DW_STRIDE_H = 2, DW_MULT = 3, DW_ACT = 4, DW_DIL_W = 5, DW_DIL_H = 6 };
enum { FC_ACT = 0, FC_WEIGHTS_FORMAT = 1, FC_KEEP_NUM_DIMS = 2 };
enum { TCONV_PADDING = 0, TCONV_STRIDE_W = 1, TCONV_STRIDE_H = 2, TCONV_ACT = 3 };
#define FC_WEIGHTS_DEFAULT 0

/* Weights (input @p w_index; int8, symmetric, one scale or one per output channel along @p axis), bias (input
 * @p b_index; int32 or absent) and the per-channel multipliers and shifts, into blobs 0-3. */
static nnom_status weights_blobs_at(tfl_ctx *x, const tfl_op *op, int32_t w_index, int32_t b_index, const tfl_tensor *in,
                                    const tfl_tensor *out, int32_t out_c, int32_t axis, int64_t count, int per_tensor_ok,
                                    nnom_blob *b)
{
    tfl_tensor *w;
    nnom_status st = tfl_input(x, op, w_index, &w);
    if (st == NNOM_OK) st = tfl_constant(x, w, TFL_TYPE_INT8, count, "weights");
    if (st != NNOM_OK) return st;
    if (w->n_quant != 1 && !(w->n_quant == out_c && w->quant_dim == axis))
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED,
                        "weights '%s' have %d scales along dimension %d; expected 1, or %d along dimension %d",
                        w->name, (int)w->n_quant, (int)w->quant_dim, (int)out_c, (int)axis);
    for (int32_t i = 0; i < w->n_quant; i++) {
        if (w->zero_points[i] != 0)
            return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "weights '%s' have zero point %d; int8 weights must be "
                            "symmetric (zero point 0)", w->name, (int)w->zero_points[i]);
        if (!(w->scales[i] > 0.0f))
            return tfl_fail(x, NNOM_ERR_FORMAT, "weights '%s' have a scale that is not positive", w->name);
    }
    b[0].data = tfl_store_copy(x, w->data, (size_t)count);
    b[0].size = (uint32_t)count;
    if (op->n_in > b_index && op->in[b_index] >= 0) {
        tfl_tensor *bias = &x->tensors[op->in[b_index]];
        st = tfl_constant(x, bias, TFL_TYPE_INT32, out_c, "bias");
        if (st != NNOM_OK) return st;
        b[1].data = tfl_store_copy(x, bias->data, (size_t)out_c * 4u);
        b[1].size = (uint32_t)out_c * 4u;
    }
    const int32_t n = per_tensor_ok && w->n_quant == 1 ? 1 : out_c;
    int32_t *mult = (int32_t *)tfl_store(x, (size_t)n * 4u), *shift = (int32_t *)tfl_store(x, (size_t)n * 4u);
    if (!b[0].data || !mult || !shift) return tfl_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
    const nnom_quant qi = tfl_quant(in), qo = tfl_quant(out);
    for (int32_t c = 0; c < n; c++) {
        const double ws = (double)w->scales[w->n_quant == 1 ? 0 : c];
        st = tfl_multiplier(x, (double)qi.scale * ws / (double)qo.scale, &mult[c], &shift[c], "requantisation");
        if (st != NNOM_OK) return st;
    }
    b[2].data = mult;
    b[2].size = (uint32_t)n * 4u;
    b[3].data = shift;
    b[3].size = (uint32_t)n * 4u;
    return NNOM_OK;
}

static nnom_status weights_blobs(tfl_ctx *x, const tfl_op *op, const tfl_tensor *in, const tfl_tensor *out,
                                 int32_t out_c, int32_t axis, int64_t count, int per_tensor_ok, nnom_blob *b)
{
    return weights_blobs_at(x, op, 1, 2, in, out, out_c, axis, count, per_tensor_ok, b);
}

static nnom_status padding_mode(tfl_ctx *x, int32_t tfl_padding, int32_t *padding)
{
    if (tfl_padding == TFL_PAD_SAME) *padding = NNOM_PADDING_SAME;
    else if (tfl_padding == TFL_PAD_VALID) *padding = NNOM_PADDING_VALID;
    else return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "padding %d is not supported (0 SAME, 1 VALID)", (int)tfl_padding);
    return NNOM_OK;
}

/* A convolution between SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND (TensorFlow's dilated convolution): run on the
 * padded input as one convolution dilated by the block, VALID, stride 1. Its output stays "split" for
 * BATCH_TO_SPACE_ND, which crops it. */
static nnom_status dilate_by_block(tfl_ctx *x, const tfl_tensor *in, tfl_tensor *out, nnom_layer_params *p)
{
    if (!in->block[0]) return NNOM_OK;
    if (p->dilation[0] != 1 || p->dilation[1] != 1 || p->stride[0] != 1 || p->stride[1] != 1 ||
        p->padding != NNOM_PADDING_VALID)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "a convolution after SPACE_TO_BATCH_ND must have stride 1, dilation 1 "
                        "and VALID padding");
    p->dilation[0] = in->block[0];
    p->dilation[1] = in->block[1];
    out->block[0] = in->block[0];
    out->block[1] = in->block[1];
    return NNOM_OK;
}

/* Common to both convolutions: input (rank 4, NHWC) and output tensors. */
static nnom_status conv_io(tfl_ctx *x, const tfl_op *op, tfl_tensor **in, tfl_tensor **out, tfl_tensor **w)
{
    nnom_status st = tfl_expect_io(x, op, 2, 3, 1);
    if (st == NNOM_OK) st = tfl_activation(x, op, 0, in);
    if (st == NNOM_OK) st = tfl_output(x, op, out);
    if (st == NNOM_OK) st = tfl_input(x, op, 1, w);
    if (st != NNOM_OK) return st;
    if ((*in)->rank != 4 || (*out)->rank != 4 || (*w)->rank != 4)
        return tfl_fail(x, NNOM_ERR_FORMAT, "input, weights and output must have rank 4 (NHWC), given %d, %d and %d",
                        (int)(*in)->rank, (int)(*w)->rank, (int)(*out)->rank);
    return NNOM_OK;
}

/* Where Conv2DOptions and DepthwiseConv2DOptions keep the fields both have. */
typedef struct conv_fields {
    uint32_t padding, stride_w, stride_h, act, dil_w, dil_h;
} conv_fields;
static const conv_fields CONV_FIELDS = {CONV_PADDING, CONV_STRIDE_W, CONV_STRIDE_H, CONV_ACT, CONV_DIL_W, CONV_DIL_H};
static const conv_fields DW_FIELDS = {DW_PADDING, DW_STRIDE_W, DW_STRIDE_H, DW_ACT, DW_DIL_W, DW_DIL_H};

/* Padding, strides and dilations into @p p, the fused activation into @p act; then the SPACE_TO_BATCH_ND block. */
static nnom_status conv_options(tfl_ctx *x, const tfl_op *op, const conv_fields *f, const tfl_tensor *in,
                                tfl_tensor *out, nnom_layer_params *p, int32_t *act)
{
    int32_t padding;
    nnom_status st = tfl_opt_i8(x, op, f->padding, TFL_PAD_SAME, &padding);
    if (st == NNOM_OK) st = padding_mode(x, padding, &p->padding);
    if (st == NNOM_OK) st = tfl_opt_i32(x, op, f->stride_w, 1, &p->stride[1]);
    if (st == NNOM_OK) st = tfl_opt_i32(x, op, f->stride_h, 1, &p->stride[0]);
    if (st == NNOM_OK) st = tfl_opt_i32(x, op, f->dil_w, 1, &p->dilation[1]);
    if (st == NNOM_OK) st = tfl_opt_i32(x, op, f->dil_h, 1, &p->dilation[0]);
    if (st == NNOM_OK) st = tfl_opt_i8(x, op, f->act, TFL_ACT_NONE, act);
    if (st != NNOM_OK) return st;
    return dilate_by_block(x, in, out, p);
}

nnom_status tfl_map_conv2d(tfl_ctx *x, const tfl_op *op)
{
    tfl_tensor *in, *out, *w;
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    int32_t act;
    nnom_status st = conv_io(x, op, &in, &out, &w);
    if (st == NNOM_OK) st = conv_options(x, op, &CONV_FIELDS, in, out, &d.params, &act);
    if (st != NNOM_OK) return st;
    const int32_t out_c = w->dims[0];
    if (w->dims[3] != in->dims[3])
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "weights '%s' take %d input channels but the input has %d "
                        "(grouped convolution is not supported)", w->name, (int)w->dims[3], (int)in->dims[3]);
    d.params.kernel[0] = w->dims[1];
    d.params.kernel[1] = w->dims[2];
    d.params.units = out_c;
    st = weights_blobs(x, op, in, out, out_c, 0, tfl_count(w), 0, d.blobs);
    if (st != NNOM_OK) return st;
    d.type = NNOM_LAYER_CONV2D;
    return tfl_add_fused(x, &d, in, act, out);
}

nnom_status tfl_map_depthwise_conv2d(tfl_ctx *x, const tfl_op *op)
{
    tfl_tensor *in, *out, *w;
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    int32_t act;
    nnom_status st = conv_io(x, op, &in, &out, &w);
    if (st == NNOM_OK) st = conv_options(x, op, &DW_FIELDS, in, out, &d.params, &act);
    if (st != NNOM_OK) return st;
    const int32_t out_c = w->dims[3], in_c = in->dims[3];
    /* the depth multiplier in the options (DW_MULT) is unreliable in old files; the shapes decide */
    if (w->dims[0] != 1 || out_c % in_c != 0 || out->dims[3] != out_c)
        return tfl_fail(x, NNOM_ERR_FORMAT, "weights '%s' of shape [%d, %d, %d, %d] do not fit %d input and %d output "
                        "channels", w->name, (int)w->dims[0], (int)w->dims[1], (int)w->dims[2], (int)w->dims[3],
                        (int)in_c, (int)out->dims[3]);
    d.params.kernel[0] = w->dims[1];
    d.params.kernel[1] = w->dims[2];
    d.params.units = out_c / in_c;
    st = weights_blobs(x, op, in, out, out_c, 3, tfl_count(w), 0, d.blobs);
    if (st != NNOM_OK) return st;
    d.type = NNOM_LAYER_DEPTHWISE_CONV2D;
    return tfl_add_fused(x, &d, in, act, out);
}

/*
 * FULLY_CONNECTED on one row is nnom's DENSE. On several rows (keep_num_dims, an input [1, ..., features]) each
 * row is the same dot products and per-channel requantisation as a 1x1 convolution over the rows: a CONV2D on the
 * input seen as (1, rows, features), whose [units][features] weights are already [units][1][1][features].
 */
nnom_status tfl_map_fully_connected(tfl_ctx *x, const tfl_op *op)
{
    tfl_tensor *in, *out, *w;
    nnom_status st = tfl_expect_io(x, op, 2, 3, 1);
    if (st == NNOM_OK) st = tfl_activation(x, op, 0, &in);
    if (st == NNOM_OK) st = tfl_output(x, op, &out);
    if (st == NNOM_OK) st = tfl_input(x, op, 1, &w);
    if (st != NNOM_OK) return st;
    int32_t act, format;
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    st = tfl_opt_i8(x, op, FC_ACT, TFL_ACT_NONE, &act);
    if (st == NNOM_OK) st = tfl_opt_i8(x, op, FC_WEIGHTS_FORMAT, FC_WEIGHTS_DEFAULT, &format);
    if (st != NNOM_OK) return st;
    if (format != FC_WEIGHTS_DEFAULT)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "weights format %d is not supported (only 0, DEFAULT)", (int)format);
    if (w->rank != 2)
        return tfl_fail(x, NNOM_ERR_FORMAT, "weights '%s' have rank %d, expected 2", w->name, (int)w->rank);
    const int32_t units = w->dims[0], features = w->dims[1];
    const int64_t rows = features > 0 ? tfl_count(in) / features : 0;
    if (rows < 1 || rows * features != tfl_count(in) || (rows > 1 && in->dims[in->rank - 1] != features))
        return tfl_fail(x, NNOM_ERR_FORMAT, "input '%s' of %lld values is not rows of %d features", in->name,
                        (long long)tfl_count(in), (int)features);
    if (tfl_count(out) != rows * units)
        return tfl_fail(x, NNOM_ERR_FORMAT, "output '%s' holds %lld values for %lld rows of %d units", out->name,
                        (long long)tfl_count(out), (long long)rows, (int)units);
    d.params.units = units;
    st = weights_blobs(x, op, in, out, units, 0, tfl_count(w), rows == 1, d.blobs);
    if (st != NNOM_OK) return st;
    nnom_shape have = {1, {units, 0, 0}};
    tfl_tensor src = *in; /* the input as the layer reads it */
    if (rows == 1) {
        d.type = NNOM_LAYER_DENSE;
    } else {
        nnom_shape s;
        const nnom_shape row_view = {3, {1, (int32_t)rows, features}};
        st = tfl_shape(x, in, &s);
        if (st == NNOM_OK) st = tfl_view(x, &src.layer, &s, &row_view, tfl_quant(in), "_rows");
        if (st != NNOM_OK) return st;
        d.type = NNOM_LAYER_CONV2D;
        d.params.kernel[0] = d.params.kernel[1] = 1;
        d.params.stride[0] = d.params.stride[1] = 1;
        d.params.dilation[0] = d.params.dilation[1] = 1;
        d.params.padding = NNOM_PADDING_VALID;
        have = (nnom_shape){3, {1, (int32_t)rows, units}};
    }
    tfl_tensor held = *out; /* the layer's output before the view to the output's shape */
    st = tfl_add_fused(x, &d, &src, act, &held);
    if (st != NNOM_OK) return st;
    return tfl_reshape_to(x, held.layer, &have, out); /* keep_num_dims: the output keeps the input's rank */
}

/* TFLite's padding before the first output row of a transposed convolution with output size @p n. */
static int32_t transpose_pad(int32_t padding, int32_t n, int32_t k, int32_t s)
{
    const int32_t m = padding == TFL_PAD_SAME ? (n + s - 1) / s : (n + s - k) / s;
    int32_t total = (m - 1) * s + k - n;
    if (total < 0) total = 0;
    return total / 2;
}

nnom_status tfl_map_transpose_conv(tfl_ctx *x, const tfl_op *op)
{
    tfl_tensor *in, *out, *w;
    nnom_status st = tfl_expect_io(x, op, 3, 4, 1);
    if (st == NNOM_OK) st = tfl_activation(x, op, 2, &in);
    if (st == NNOM_OK) st = tfl_output(x, op, &out);
    if (st == NNOM_OK) st = tfl_input(x, op, 1, &w);
    if (st != NNOM_OK) return st;
    if (in->rank != 4 || out->rank != 4 || w->rank != 4)
        return tfl_fail(x, NNOM_ERR_FORMAT, "input, weights and output must have rank 4 (NHWC)");
    if (w->dims[3] != in->dims[3] || w->dims[0] != out->dims[3])
        return tfl_fail(x, NNOM_ERR_FORMAT, "weights '%s' do not fit %d input and %d output channels", w->name,
                        (int)in->dims[3], (int)out->dims[3]);
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    int32_t padding, act;
    st = tfl_opt_i8(x, op, TCONV_PADDING, TFL_PAD_SAME, &padding);
    if (st == NNOM_OK) st = tfl_opt_i32(x, op, TCONV_STRIDE_W, 1, &d.params.stride[1]);
    if (st == NNOM_OK) st = tfl_opt_i32(x, op, TCONV_STRIDE_H, 1, &d.params.stride[0]);
    if (st == NNOM_OK) st = tfl_opt_i8(x, op, TCONV_ACT, TFL_ACT_NONE, &act);
    if (st != NNOM_OK) return st;
    if (padding != TFL_PAD_SAME && padding != TFL_PAD_VALID)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "padding %d is not supported (0 SAME, 1 VALID)", (int)padding);
    if (d.params.stride[0] < 1 || d.params.stride[1] < 1)
        return tfl_fail(x, NNOM_ERR_FORMAT, "strides %d, %d", (int)d.params.stride[0], (int)d.params.stride[1]);
    const int32_t out_c = w->dims[0];
    d.params.kernel[0] = w->dims[1];
    d.params.kernel[1] = w->dims[2];
    d.params.units = out_c;
    for (int k = 0; k < 2; k++) {
        const int32_t n = out->dims[1 + k], kern = w->dims[1 + k], s = d.params.stride[k];
        const int64_t full = (int64_t)(in->dims[1 + k] - 1) * s + kern;
        const int32_t before = transpose_pad(padding, n, kern, s);
        d.params.pad[2 * k] = before;
        d.params.pad[2 * k + 1] = (int32_t)(full - before - n);
    }
    st = weights_blobs_at(x, op, 1, 3, in, out, out_c, 0, tfl_count(w), 0, d.blobs);
    if (st != NNOM_OK) return st;
    d.type = NNOM_LAYER_CONV2D_TRANSPOSE;
    return tfl_add_fused(x, &d, in, act, out);
}

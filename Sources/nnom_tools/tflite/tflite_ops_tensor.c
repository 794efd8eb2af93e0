/*
 * Operators that move values without arithmetic, and the edges of the graph:
 * RESHAPE, SQUEEZE, EXPAND_DIMS (nnom views), CONCATENATION, PAD and PADV2
 * (padding with the zero point), QUANTIZE of a float model input (the int8
 * input nnom takes) or from int8 to int8 (a requantising copy) and DEQUANTIZE of a model output (nnom's int8 output
 * keeps the scale and zero point to dequantise with), TRANSPOSE (a view when only axes of size 1 move, else
 * PERMUTE).
 *
 * Options (schema.fbs): ConcatenationOptions {0 axis, 1 fused_activation_function}.
 */
#include <stdio.h>
#include <string.h>

#include "tflite/tflite_internal.h"

enum { CONCAT_AXIS = 0, CONCAT_ACT = 1 };
/* PAD's paddings: [rank][2] (before, after) */
#define PAD_PAIRS 4

nnom_status tfl_pad_crop(tfl_ctx *x, nnom_layer_type type, const tfl_tensor *in, tfl_tensor *out,
                         const int32_t pads[4])
{
    if (!pads[0] && !pads[1] && !pads[2] && !pads[3]) { /* nothing to pad or crop: the same tensor */
        out->layer = in->layer;
        return NNOM_OK;
    }
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    memcpy(d.params.pad, pads, 4 * sizeof pads[0]);
    d.type = type;
    return tfl_add_unary(x, &d, in, out);
}

nnom_status tfl_map_reshape(tfl_ctx *x, const tfl_op *op)
{
    tfl_tensor *in, *out;
    nnom_status st = tfl_expect_io(x, op, 1, 2, 1); /* RESHAPE's shape, EXPAND_DIMS' axis: the output says it */
    if (st == NNOM_OK) st = tfl_activation(x, op, 0, &in);
    if (st == NNOM_OK) st = tfl_output(x, op, &out);
    if (st == NNOM_OK) st = tfl_same_quant(x, in, out);
    if (st != NNOM_OK) return st;
    if (tfl_count(in) != tfl_count(out))
        return tfl_fail(x, NNOM_ERR_FORMAT, "input '%s' has %lld values, output '%s' %lld", in->name,
                        (long long)tfl_count(in), out->name, (long long)tfl_count(out));
    nnom_shape s;
    st = tfl_shape(x, in, &s);
    if (st != NNOM_OK) return st;
    /* a reshape to the same shape is no layer at all */
    return tfl_reshape_to(x, in->layer, &s, out);
}

/* TRANSPOSE that moves only axes of size 1: the values keep their order, so it is a RESHAPE view. A permutation
 * that reorders values and keeps the batch first is a PERMUTE layer; one moving the batch is refused. */
nnom_status tfl_map_transpose(tfl_ctx *x, const tfl_op *op)
{
    tfl_tensor *in, *out, *tp;
    nnom_status st = tfl_expect_io(x, op, 2, 2, 1);
    if (st == NNOM_OK) st = tfl_activation(x, op, 0, &in);
    if (st == NNOM_OK) st = tfl_output(x, op, &out);
    if (st == NNOM_OK) st = tfl_same_quant(x, in, out);
    if (st == NNOM_OK) st = tfl_input(x, op, 1, &tp);
    if (st != NNOM_OK) return st;
    int32_t perm[TFL_MAX_RANK], n;
    st = tfl_const_i32(x, tp, perm, TFL_MAX_RANK, &n, "permutation");
    if (st != NNOM_OK) return st;
    if (n != in->rank || out->rank != in->rank)
        return tfl_fail(x, NNOM_ERR_FORMAT, "a permutation of %d axes for input '%s' of rank %d", (int)n, in->name,
                        (int)in->rank);
    int seen[TFL_MAX_RANK] = {0};
    char text[8 * TFL_MAX_RANK] = "";
    for (int32_t i = 0; i < n; i++) {
        if (perm[i] < 0 || perm[i] >= n || seen[perm[i]])
            return tfl_fail(x, NNOM_ERR_FORMAT, "the permutation of '%s' is not one (axis %d)", in->name, (int)perm[i]);
        seen[perm[i]] = 1;
        if (out->dims[i] != in->dims[perm[i]])
            return tfl_fail(x, NNOM_ERR_FORMAT, "output '%s' dimension %d is %d, the permuted input's %d", out->name,
                            (int)i, (int)out->dims[i], (int)in->dims[perm[i]]);
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s%d", i ? ", " : "", (int)perm[i]);
    }
    int32_t last = -1, reorders = 0; /* do the input axes of size > 1, in output order, stay in order? */
    for (int32_t i = 0; i < n; i++) {
        if (in->dims[perm[i]] == 1) continue;
        reorders |= perm[i] < last;
        last = perm[i];
    }
    nnom_shape s;
    st = tfl_shape(x, in, &s);
    if (st != NNOM_OK) return st;
    if (!reorders) return tfl_reshape_to(x, in->layer, &s, out);
    if (perm[0] != 0 || n < 2 || n > NNOM_MAX_RANK + 1 || s.rank != n - 1)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "permutation (%s) of '%s' reorders its values and moves the batch "
                        "axis, or has more than %d axes besides it; supported: the batch first (a PERMUTE layer), "
                        "or moving axes of size 1", text, in->name, NNOM_MAX_RANK);
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    d.params.shape_rank = n - 1;
    for (int32_t i = 1; i < n; i++) d.params.shape[i - 1] = perm[i] - 1;
    d.type = NNOM_LAYER_PERMUTE;
    d.name = tfl_layer_name(x, out, NULL);
    d.n_inputs = 1;
    d.inputs[0] = in->layer;
    d.quant = tfl_quant(out);
    return tfl_add(x, &d, out, NULL);
}

nnom_status tfl_map_concatenation(tfl_ctx *x, const tfl_op *op)
{
    tfl_tensor *out;
    nnom_status st = tfl_expect_io(x, op, 1, NNOM_MAX_INPUTS, 1);
    if (st == NNOM_OK) st = tfl_output(x, op, &out);
    if (st != NNOM_OK) return st;
    int32_t axis, act;
    st = tfl_opt_i32(x, op, CONCAT_AXIS, 0, &axis);
    if (st == NNOM_OK) st = tfl_opt_i8(x, op, CONCAT_ACT, TFL_ACT_NONE, &act);
    if (st != NNOM_OK) return st;
    if (axis < 0) axis += out->rank;
    if (axis < 1 || axis >= out->rank)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "axis %d of a rank-%d output is not supported (the batch axis cannot "
                        "be joined)", (int)axis, (int)out->rank);
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    int32_t *params = (int32_t *)tfl_store(x, (size_t)op->n_in * 2u * 4u);
    if (!params) return tfl_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
    for (int32_t i = 0; i < op->n_in; i++) {
        tfl_tensor *in;
        st = tfl_activation(x, op, i, &in);
        if (st == NNOM_OK) st = tfl_same_quant(x, in, out);
        if (st != NNOM_OK) return st;
        if (in->rank != out->rank)
            return tfl_fail(x, NNOM_ERR_FORMAT, "input '%s' has rank %d, the output %d", in->name, (int)in->rank,
                            (int)out->rank);
        d.inputs[i] = in->layer;
        params[2 * i] = 0; /* the same quantisation: a plain copy */
        params[2 * i + 1] = 0;
    }
    d.blobs[0].data = params;
    d.blobs[0].size = (uint32_t)op->n_in * 8u;
    d.params.axis = axis - 1;
    d.type = NNOM_LAYER_CONCATENATE;
    d.name = tfl_layer_name(x, out, NULL);
    d.n_inputs = op->n_in;
    d.quant = tfl_quant(out);
    st = tfl_add(x, &d, out, NULL);
    if (st != NNOM_OK || act == TFL_ACT_NONE) return st;
    return tfl_clamp_layer(x, act, out, NULL);
}

nnom_status tfl_map_pad(tfl_ctx *x, const tfl_op *op)
{
    tfl_tensor *in, *out, *pads;
    nnom_status st = tfl_expect_io(x, op, 2, op->code == TFL_OP_PADV2 ? 3 : 2, 1);
    if (st == NNOM_OK) st = tfl_activation(x, op, 0, &in);
    if (st == NNOM_OK) st = tfl_output(x, op, &out);
    if (st == NNOM_OK) st = tfl_same_quant(x, in, out);
    if (st == NNOM_OK) st = tfl_input(x, op, 1, &pads);
    if (st != NNOM_OK) return st;
    if (in->rank != 4)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "only the padding of NHWC tensors (rank 4) is supported, given rank %d",
                        (int)in->rank);
    int32_t p[2 * PAD_PAIRS], n;
    st = tfl_const_i32(x, pads, p, 2 * PAD_PAIRS, &n, "paddings");
    if (st != NNOM_OK) return st;
    if (n != 2 * PAD_PAIRS || p[0] || p[1] || p[6] || p[7])
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "only padding of height and width is supported (paddings [4][2] with "
                        "zeros for the batch and the channels)");
    for (int i = 2; i < 6; i++)
        if (p[i] < 0) return tfl_fail(x, NNOM_ERR_FORMAT, "padding %d is negative", p[i]);
    if (op->code == TFL_OP_PADV2 && op->n_in > 2 && op->in[2] >= 0) {
        const tfl_tensor *v = &x->tensors[op->in[2]];
        st = tfl_constant(x, v, TFL_TYPE_INT8, 1, "constant value");
        if (st != NNOM_OK) return st;
        if ((int8_t)v->data[0] != tfl_quant(out).zero_point)
            return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "padding with %d, not the zero point %d, is not supported",
                            (int)(int8_t)v->data[0], (int)tfl_quant(out).zero_point);
    }
    return tfl_pad_crop(x, NNOM_LAYER_ZERO_PADDING2D, in, out, p + 2);
}

nnom_status tfl_map_quantize(tfl_ctx *x, const tfl_op *op)
{
    tfl_tensor *in, *out;
    nnom_status st = tfl_expect_io(x, op, 1, 1, 1);
    if (st == NNOM_OK) st = tfl_input(x, op, 0, &in);
    if (st == NNOM_OK) st = tfl_output(x, op, &out);
    if (st != NNOM_OK) return st;
    if (in->type == TFL_TYPE_FLOAT32 && !in->data && in->layer < 0) {
        nnom_shape s;
        st = tfl_shape(x, out, &s);
        if (st != NNOM_OK) return st;
        /* nnom_model_set_input_f32() quantises as TFLite's QUANTIZE does: round half away, saturate */
        st = nnom_model_add_input(x->m, tfl_layer_name(x, out, NULL), s, tfl_quant(out), &out->layer);
        if (st != NNOM_OK) return tfl_fail(x, st, "%s", nnom_model_last_error(x->m));
        in->layer = out->layer;
        return NNOM_OK;
    }
    /* int8 to int8: TFLite's Requantize, clamp(MBQM(x - zp_in, in_scale / out_scale) + zp_out), is the
     * requantising copy of a one-input concatenation */
    st = tfl_activation(x, op, 0, &in);
    if (st != NNOM_OK) return st;
    int32_t *params = (int32_t *)tfl_store(x, 2u * 4u);
    if (!params) return tfl_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
    st = tfl_multiplier(x, (double)tfl_quant(in).scale / (double)tfl_quant(out).scale, &params[0], &params[1],
                        "requantisation");
    if (st != NNOM_OK) return st;
    if (params[0] == 0) return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "the scale ratio is too small to represent");
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    d.blobs[0].data = params;
    d.blobs[0].size = 8u;
    d.params.axis = -1;
    d.type = NNOM_LAYER_CONCATENATE;
    return tfl_add_unary(x, &d, in, out);
}

nnom_status tfl_map_dequantize(tfl_ctx *x, const tfl_op *op)
{
    tfl_tensor *in, *out;
    nnom_status st = tfl_expect_io(x, op, 1, 1, 1);
    if (st == NNOM_OK) st = tfl_activation(x, op, 0, &in);
    if (st != NNOM_OK) return st;
    out = op->out[0] >= 0 ? &x->tensors[op->out[0]] : NULL;
    if (!out || out->type != TFL_TYPE_FLOAT32)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "only the dequantisation to float32 of a model output is supported");
    /* the float tensor is the int8 one read through nnom_model_get_output_f32(); any other consumer is refused as
     * a float32 input */
    out->layer = in->layer;
    return NNOM_OK;
}

/*
 * ADD, SUB, MUL and SOFTMAX.
 *
 * TFLite's int8 ADD and SUB are nnom's: both inputs shifted left by 20 bits
 * and rescaled to twice the larger input scale, summed, requantised
 * (nnom_quant_add_params() derives the constants exactly as TFLite's
 * Prepare does). MUL requantises the product of the two centred inputs by
 * in1_scale x in2_scale / out_scale. The second input may be a vector over
 * the channels (TFLite broadcasting [1, 1, 1, C] or [C]); nnom broadcasts it.
 *
 * SOFTMAX uses nnom's TFLite-compatible kernel (kernels/softmax.h) with the
 * tables of tfl_softmax_tables().
 *
 * Options (schema.fbs): AddOptions, SubOptions, MulOptions {0 fused_activation_function};
 * SoftmaxOptions {0 beta}.
 */
#include <string.h>

#include "kernels/softmax.h"
#include "tflite/tflite_internal.h"

enum { ARITH_ACT = 0 };
enum { SOFTMAX_BETA = 0 };
/* softmax's fixed int8 output quantisation */
#define SOFTMAX_OUT_SCALE (1.0f / 256.0f)
#define SOFTMAX_OUT_ZP (-128)

/* The second input as nnom takes it: the same shape as the first, or a vector over its channels. */
static nnom_status second_input(tfl_ctx *x, const tfl_tensor *a, const tfl_tensor *b, int32_t *layer)
{
    *layer = b->layer;
    if (tfl_count(a) == tfl_count(b) && a->rank == b->rank && memcmp(a->dims, b->dims, sizeof a->dims) == 0)
        return NNOM_OK;
    const int32_t channels = a->dims[a->rank - 1];
    if (tfl_count(b) != channels || b->dims[b->rank - 1] != channels)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "input '%s' must have the shape of '%s' or be a vector of its %d "
                        "channels (other broadcasting is not supported)", b->name, a->name, (int)channels);
    if (b->rank == 2) return NNOM_OK; /* [1, C] is already (C) without the batch */
    nnom_layer_desc r;
    nnom_layer_desc_init(&r);
    r.type = NNOM_LAYER_RESHAPE;
    r.name = tfl_layer_name(x, b, "_b");
    r.n_inputs = 1;
    r.inputs[0] = b->layer;
    r.params.shape_rank = 1;
    r.params.shape[0] = channels;
    r.quant = tfl_quant(b);
    return tfl_add(x, &r, NULL, layer);
}

static nnom_status binary(tfl_ctx *x, const tfl_op *op, nnom_layer_type type)
{
    tfl_tensor *a, *b, *out;
    nnom_status st = tfl_expect_io(x, op, 2, 2, 1);
    if (st == NNOM_OK) st = tfl_activation(x, op, 0, &a);
    if (st == NNOM_OK) st = tfl_activation(x, op, 1, &b);
    if (st == NNOM_OK) st = tfl_output(x, op, &out);
    if (st != NNOM_OK) return st;
    /* nnom broadcasts the second input only; ADD and MUL commute */
    if (tfl_count(a) < tfl_count(b)) {
        if (type == NNOM_LAYER_SUBTRACT)
            return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "the first input may not be the broadcast one");
        tfl_tensor *t = a;
        a = b;
        b = t;
    }
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    int32_t act;
    st = tfl_opt_i8(x, op, ARITH_ACT, TFL_ACT_NONE, &act);
    if (st == NNOM_OK) st = tfl_fused(x, act, &d.params.activation);
    if (st == NNOM_OK) st = second_input(x, a, b, &d.inputs[1]);
    if (st != NNOM_OK) return st;
    const int32_t n_params = type == NNOM_LAYER_MULTIPLY ? 2 : 6;
    int32_t *params = (int32_t *)tfl_store(x, (size_t)n_params * 4u);
    if (!params) return tfl_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
    st = type == NNOM_LAYER_MULTIPLY ? nnom_quant_mul_params(tfl_quant(a), tfl_quant(b), tfl_quant(out), params)
                                     : nnom_quant_add_params(tfl_quant(a), tfl_quant(b), tfl_quant(out), params);
    if (st != NNOM_OK)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "the scales of '%s', '%s' and '%s' have no int32 multipliers", a->name,
                        b->name, out->name);
    d.blobs[0].data = params;
    d.blobs[0].size = (uint32_t)n_params * 4u;
    d.type = type;
    d.name = tfl_layer_name(x, out, NULL);
    d.n_inputs = 2;
    d.inputs[0] = a->layer;
    d.quant = tfl_quant(out);
    int32_t id;
    st = tfl_add(x, &d, NULL, &id);
    if (st != NNOM_OK) return st;
    nnom_shape s;
    st = tfl_shape(x, a, &s);
    if (st != NNOM_OK) return st;
    return tfl_reshape_to(x, id, &s, out);
}

nnom_status tfl_map_add_sub(tfl_ctx *x, const tfl_op *op)
{
    return binary(x, op, op->code == TFL_OP_SUB ? NNOM_LAYER_SUBTRACT : NNOM_LAYER_ADD);
}

nnom_status tfl_map_mul(tfl_ctx *x, const tfl_op *op) { return binary(x, op, NNOM_LAYER_MULTIPLY); }

nnom_status tfl_map_softmax(tfl_ctx *x, const tfl_op *op)
{
    tfl_tensor *in, *out;
    nnom_status st = tfl_expect_io(x, op, 1, 1, 1);
    if (st == NNOM_OK) st = tfl_activation(x, op, 0, &in);
    if (st == NNOM_OK) st = tfl_output(x, op, &out);
    if (st != NNOM_OK) return st;
    float beta;
    st = tfl_opt_f32(x, op, SOFTMAX_BETA, 1.0f, &beta);
    if (st != NNOM_OK) return st;
    const nnom_quant qo = tfl_quant(out);
    if (qo.scale != SOFTMAX_OUT_SCALE || qo.zero_point != SOFTMAX_OUT_ZP)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "output '%s' must have scale 1/256 and zero point -128", out->name);
    int32_t *tables = (int32_t *)tfl_store(x, 2u * NNOM_SOFTMAX_TABLE_SIZE * sizeof(int32_t));
    if (!tables) return tfl_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
    if (tfl_softmax_tables((double)beta, (double)tfl_quant(in).scale, tables) != NNOM_OK)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "beta x input scale has no fixed-point multiplier");
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    d.blobs[0].data = tables;
    d.blobs[0].size = 2u * NNOM_SOFTMAX_TABLE_SIZE * (uint32_t)sizeof(int32_t);
    d.type = NNOM_LAYER_SOFTMAX;
    d.name = tfl_layer_name(x, out, NULL);
    d.n_inputs = 1;
    d.inputs[0] = in->layer;
    d.quant = qo;
    return tfl_add(x, &d, out, NULL);
}

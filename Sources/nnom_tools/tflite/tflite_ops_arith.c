/*
 * ADD, SUB, MUL and SOFTMAX.
 *
 * TFLite's int8 ADD and SUB are nnom's: both inputs shifted left by 20 bits
 * and rescaled to twice the larger input scale, summed, requantised
 * (nnom_quant_add_params() derives the constants exactly as TFLite's
 * Prepare does). MUL requantises the product of the two centred inputs by
 * in1_scale x in2_scale / out_scale.
 *
 * Broadcasting: nnom's layers take the second input as the first's shape or
 * a vector of its channels, which they broadcast themselves. Any other
 * TFLite broadcast (a scalar, rows (H, 1, C), a (H, W, 1) map, the first
 * input of SUB) is materialised before the layer by layers that only copy:
 * a 1x1 convolution of ones repeats one channel (one term, requantised by
 * exactly 1) and UPSAMPLING2D repeats rows and columns. A constant operand
 * (TFLite's int8 constant, any shape that broadcasts) becomes a layer whose
 * output is its int8 values, broadcast on the host: a 1x1 convolution with
 * zero weights whose biases are the values (see constant()). The binary
 * layer then computes TFLite's arithmetic on the same int8 values.
 *
 * SOFTMAX uses nnom's TFLite-compatible kernel (kernels/softmax.h) with the
 * tables of tfl_softmax_tables().
 *
 * Options (schema.fbs): AddOptions, SubOptions, MulOptions {0 fused_activation_function};
 * SoftmaxOptions {0 beta}.
 */
#include <stdio.h>
#include <string.h>

#include "kernels/softmax.h"
#include "tflite/tflite_internal.h"

enum { ARITH_ACT = 0 };
enum { SOFTMAX_BETA = 0 };
/* softmax's fixed int8 output quantisation */
#define SOFTMAX_OUT_SCALE (1.0f / 256.0f)
#define SOFTMAX_OUT_ZP (-128)

/* Shapes padded to one rank (TFLite broadcasting aligns the last axes) and seen in 3 dimensions by the layers that
 * materialise an operand: the nnom shape (without the batch) left-padded with 1s to (A, B, C). */
#define VIEW_RANK 3

typedef struct operand {
    tfl_tensor *t;
    int32_t p[TFL_MAX_RANK]; /* dims padded to the output's rank */
    int32_t layer;           /* the nnom layer that will feed the binary layer; -1: a constant not made yet */
} operand;

/* The 3-dimensional view (A, B, C) of padded dims @p p of rank @p r (batch first). */
static nnom_shape view3(const int32_t *p, int32_t r)
{
    nnom_shape s = {VIEW_RANK, {1, 1, 1}};
    for (int32_t k = 1; k < r; k++) s.dims[VIEW_RANK - r + k] = p[k];
    return s;
}

static int32_t count_of(const nnom_shape *s)
{
    int32_t n = 1;
    for (int32_t k = 0; k < s->rank; k++) n *= s->dims[k];
    return n;
}

static const char *part_name(char *buf, size_t cap, int32_t input, const char *part)
{
    snprintf(buf, cap, "_%d%s", (int)input, part);
    return buf;
}

/* A 1x1 CONV2D from the (A, B, 1)-shaped layer *id to (A, B, @p units) with requantisation by exactly 1 (TFLite's
 * QuantizeMultiplier(1.0): 2^30, shift 1, so MBQM(v) = v): output = bias[c] + w[c] (x - zero point) + zero point of
 * @p q. Weights @p w, bias @p bias (may be NULL). */
static nnom_status unit_conv(tfl_ctx *x, int32_t *id, int32_t units, const int8_t *w, const int32_t *bias,
                             nnom_quant q, const char *name)
{
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    int32_t *mult = (int32_t *)tfl_store(x, (size_t)units * 4u), *shift = (int32_t *)tfl_store(x, (size_t)units * 4u);
    d.blobs[0].data = tfl_store_copy(x, w, (size_t)units);
    if (!mult || !shift || !d.blobs[0].data) return tfl_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
    for (int32_t c = 0; c < units; c++) {
        nnom_status st = tfl_multiplier(x, 1.0, &mult[c], &shift[c], "identity");
        if (st != NNOM_OK) return st;
    }
    d.blobs[0].size = (uint32_t)units;
    if (bias) {
        d.blobs[1].data = tfl_store_copy(x, bias, (size_t)units * 4u);
        if (!d.blobs[1].data) return tfl_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
        d.blobs[1].size = (uint32_t)units * 4u;
    }
    d.blobs[2].data = mult;
    d.blobs[2].size = (uint32_t)units * 4u;
    d.blobs[3].data = shift;
    d.blobs[3].size = (uint32_t)units * 4u;
    d.type = NNOM_LAYER_CONV2D;
    d.params.kernel[0] = d.params.kernel[1] = 1;
    d.params.stride[0] = d.params.stride[1] = 1;
    d.params.dilation[0] = d.params.dilation[1] = 1;
    d.params.padding = NNOM_PADDING_VALID;
    d.params.units = units;
    d.name = tfl_layer_name(x, NULL, name);
    d.n_inputs = 1;
    d.inputs[0] = *id;
    d.quant = q;
    return tfl_add(x, &d, NULL, id);
}

/* A computed operand broadcast to (A, B, C) = @p to (each of its dims 1 or equal): its one channel repeated by a
 * 1x1 convolution of ones (exact: one term, requantised by 1), then its rows and columns by UPSAMPLING2D (copies).
 * Ends viewed as @p final. */
static nnom_status expand(tfl_ctx *x, operand *o, int32_t index, int32_t r, const nnom_shape *to,
                          const nnom_shape *final)
{
    char buf[16];
    nnom_shape s, v = view3(o->p, r);
    const nnom_quant q = tfl_quant(o->t);
    nnom_status st = tfl_shape(x, o->t, &s);
    if (st == NNOM_OK) st = tfl_view(x, &o->layer, &s, &v, q, part_name(buf, sizeof buf, index, "_v"));
    if (st != NNOM_OK) return st;
    if (v.dims[2] != to->dims[2]) {
        const int32_t c = to->dims[2];
        int8_t *ones = (int8_t *)tfl_store(x, (size_t)c);
        if (!ones) return tfl_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
        memset(ones, 1, (size_t)c);
        st = unit_conv(x, &o->layer, c, ones, NULL, q, part_name(buf, sizeof buf, index, "_ch"));
        if (st != NNOM_OK) return st;
        v.dims[2] = c;
    }
    if (v.dims[0] != to->dims[0] || v.dims[1] != to->dims[1]) {
        nnom_layer_desc d;
        nnom_layer_desc_init(&d);
        d.type = NNOM_LAYER_UPSAMPLING2D;
        d.params.size[0] = to->dims[0] / v.dims[0];
        d.params.size[1] = to->dims[1] / v.dims[1];
        d.name = tfl_layer_name(x, NULL, part_name(buf, sizeof buf, index, "_up"));
        d.n_inputs = 1;
        d.inputs[0] = o->layer;
        d.quant = q;
        st = tfl_add(x, &d, NULL, &o->layer);
        if (st != NNOM_OK) return st;
        v = *to;
    }
    return tfl_view(x, &o->layer, &v, final, q, part_name(buf, sizeof buf, index, "_f"));
}

/*
 * A constant operand as a layer: its int8 values broadcast on the host to @p final (padded dims @p to, rank @p r),
 * made from the computed tensor @p src by a 1x1 convolution with zero weights whose biases are the values less the
 * zero point (requantised by exactly 1, plus the zero point: the values). Its input is one value of @p src, cut
 * out by CROPPING2D; the product with the zero weights is 0 whatever that value is.
 */
static nnom_status constant(tfl_ctx *x, operand *o, int32_t index, int32_t r, const int32_t *to,
                            const nnom_shape *final, const tfl_tensor *src)
{
    char buf[16];
    tfl_tensor *t = o->t;
    nnom_status st = tfl_constant(x, t, TFL_TYPE_INT8, tfl_count(t), "constant operand");
    if (st != NNOM_OK) return st;
    if (t->n_quant != 1 || t->zero_points[0] < -128 || t->zero_points[0] > 127 || !(t->scales[0] > 0.0f))
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "constant operand '%s' must have one scale and an int8 zero point",
                        t->name);
    const int32_t n = count_of(final), zp = t->zero_points[0];
    int32_t *bias = (int32_t *)tfl_store(x, (size_t)n * 4u);
    int8_t *zeros = (int8_t *)tfl_store(x, (size_t)n);
    if (!bias || !zeros) return tfl_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
    /* element e of @p to (row-major) reads the constant at the same index, 0 along its axes of size 1 */
    for (int32_t e = 0; e < n; e++) {
        int32_t rest = e, src_index = 0, stride = 1;
        for (int32_t k = r - 1; k >= 0; k--) {
            const int32_t i = rest % to[k];
            rest /= to[k];
            if (o->p[k] != 1) src_index += i * stride;
            stride *= o->p[k];
        }
        bias[e] = (int32_t)(int8_t)t->data[src_index] - zp;
    }
    memset(zeros, 0, (size_t)n);
    nnom_shape s;
    st = tfl_shape(x, src, &s);
    if (st != NNOM_OK) return st;
    const int32_t n_src = count_of(&s);
    const nnom_shape line = {VIEW_RANK, {1, n_src, 1}};
    o->layer = src->layer;
    st = tfl_view(x, &o->layer, &s, &line, tfl_quant(src), part_name(buf, sizeof buf, index, "_src"));
    if (st != NNOM_OK) return st;
    if (n_src > 1) {
        nnom_layer_desc d;
        nnom_layer_desc_init(&d);
        d.type = NNOM_LAYER_CROPPING2D;
        d.params.pad[3] = n_src - 1;
        d.name = tfl_layer_name(x, NULL, part_name(buf, sizeof buf, index, "_one"));
        d.n_inputs = 1;
        d.inputs[0] = o->layer;
        d.quant = tfl_quant(src);
        st = tfl_add(x, &d, NULL, &o->layer);
        if (st != NNOM_OK) return st;
    }
    st = unit_conv(x, &o->layer, n, zeros, bias, tfl_quant(t), part_name(buf, sizeof buf, index, "_k"));
    if (st != NNOM_OK) return st;
    const nnom_shape made = {VIEW_RANK, {1, 1, n}};
    return tfl_view(x, &o->layer, &made, final, tfl_quant(t), part_name(buf, sizeof buf, index, "_kf"));
}

/* Operand @p i: a computed int8 tensor or an int8 constant, padded to the output's rank and checked to broadcast. */
static nnom_status operand_at(tfl_ctx *x, const tfl_op *op, int32_t i, const tfl_tensor *out, operand *o)
{
    nnom_status st = tfl_input(x, op, i, &o->t);
    if (st != NNOM_OK) return st;
    if (!(o->t->data && o->t->layer < 0)) {
        st = tfl_activation(x, op, i, &o->t);
        if (st != NNOM_OK) return st;
    }
    o->layer = o->t->layer;
    const int32_t r = out->rank, tr = o->t->rank;
    if (tr > r) return tfl_fail(x, NNOM_ERR_FORMAT, "input '%s' has rank %d, the output %d", o->t->name, (int)tr, (int)r);
    for (int32_t k = 0; k < r; k++) {
        o->p[k] = k < r - tr ? 1 : o->t->dims[k - (r - tr)];
        if (o->p[k] != 1 && o->p[k] != out->dims[k])
            return tfl_fail(x, NNOM_ERR_FORMAT, "input '%s' does not broadcast to output '%s': its dimension %d (of "
                            "rank %d, aligned to the last) is %d, the output's %d", o->t->name, out->name, (int)k,
                            (int)r, (int)o->p[k], (int)out->dims[k]);
    }
    return NNOM_OK;
}

static int is_full(const operand *o, const tfl_tensor *out)
{
    return memcmp(o->p, out->dims, (size_t)out->rank * sizeof o->p[0]) == 0;
}

/* 1 if only the last axis of @p o may differ from 1 (a channel vector or a scalar). */
static int is_vector(const operand *o, int32_t r)
{
    for (int32_t k = 0; k < r - 1; k++)
        if (o->p[k] != 1) return 0;
    return 1;
}

/* Operand @p o (input @p index) as the layer of shape @p final (the output's, or its channel vector when
 * @p vector): a constant made, a computed operand broadcast or only viewed. */
static nnom_status prepare(tfl_ctx *x, operand *o, int32_t index, const tfl_tensor *out, int vector,
                           const nnom_shape *final, const tfl_tensor *src)
{
    const int32_t r = out->rank;
    int32_t to[TFL_MAX_RANK];
    for (int32_t k = 0; k < r; k++) to[k] = vector && k < r - 1 ? 1 : out->dims[k];
    if (o->layer < 0) return constant(x, o, index, r, to, final, src);
    const nnom_shape to3 = view3(to, r);
    if (!is_full(o, out) || vector) return expand(x, o, index, r, &to3, final);
    char buf[16];
    nnom_shape s;
    nnom_status st = tfl_shape(x, o->t, &s);
    if (st != NNOM_OK) return st;
    return tfl_view(x, &o->layer, &s, final, tfl_quant(o->t), part_name(buf, sizeof buf, index, "_f"));
}

static nnom_status binary(tfl_ctx *x, const tfl_op *op, nnom_layer_type type)
{
    operand a, b;
    tfl_tensor *out;
    nnom_status st = tfl_expect_io(x, op, 2, 2, 1);
    if (st == NNOM_OK) st = tfl_output(x, op, &out);
    if (st == NNOM_OK) st = operand_at(x, op, 0, out, &a);
    if (st == NNOM_OK) st = operand_at(x, op, 1, out, &b);
    if (st != NNOM_OK) return st;
    if (a.layer < 0 && b.layer < 0)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "both inputs are constants (fold them before converting)");
    nnom_shape o_shape;
    st = tfl_shape(x, out, &o_shape);
    if (st != NNOM_OK) return st;
    const int32_t r = out->rank;
    /* nnom broadcasts the second input over the channels only; ADD and MUL commute */
    if (type != NNOM_LAYER_SUBTRACT && !is_full(&a, out) && is_full(&b, out)) {
        const operand t = a;
        a = b;
        b = t;
    }
    const int b_vector = !is_full(&b, out) && is_vector(&b, r);
    if (r - 1 > VIEW_RANK && (!is_full(&a, out) || (!is_full(&b, out) && !b_vector)))
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "broadcasting over %d dimensions besides the batch is not supported "
                        "(at most %d)", (int)(r - 1), VIEW_RANK);
    const tfl_tensor *src = a.layer >= 0 ? a.t : b.t; /* a computed tensor to make constants from */
    const nnom_shape vec = {1, {out->dims[r - 1], 0, 0}};
    st = prepare(x, &a, 0, out, 0, &o_shape, src);
    if (st == NNOM_OK) st = prepare(x, &b, 1, out, b_vector, b_vector ? &vec : &o_shape, src);
    if (st != NNOM_OK) return st;
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    int32_t act;
    st = tfl_opt_i8(x, op, ARITH_ACT, TFL_ACT_NONE, &act);
    if (st == NNOM_OK) st = tfl_fused(x, act == TFL_ACT_RELU_N1_TO_1 ? TFL_ACT_NONE : act, &d.params.activation);
    if (st != NNOM_OK) return st;
    const int32_t n_params = type == NNOM_LAYER_MULTIPLY ? 2 : 6;
    int32_t *params = (int32_t *)tfl_store(x, (size_t)n_params * 4u);
    if (!params) return tfl_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
    const nnom_quant qa = tfl_quant(a.t), qb = tfl_quant(b.t), qo = tfl_quant(out);
    st = type == NNOM_LAYER_MULTIPLY ? nnom_quant_mul_params(qa, qb, qo, params)
                                     : nnom_quant_add_params(qa, qb, qo, params);
    if (st != NNOM_OK)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "the scales of '%s', '%s' and '%s' have no int32 multipliers",
                        a.t->name, b.t->name, out->name);
    d.blobs[0].data = params;
    d.blobs[0].size = (uint32_t)n_params * 4u;
    d.type = type;
    d.name = tfl_layer_name(x, out, NULL);
    d.n_inputs = 2;
    d.inputs[0] = a.layer;
    d.inputs[1] = b.layer;
    d.quant = qo;
    int32_t id;
    st = tfl_add(x, &d, NULL, &id);
    if (st == NNOM_OK && act == TFL_ACT_RELU_N1_TO_1) st = tfl_clamp_after(x, act, out, &id);
    if (st == NNOM_OK) out->layer = id;
    return st;
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

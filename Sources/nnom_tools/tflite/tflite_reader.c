/*
 * The .tflite importer: reads subgraph 0 of a TFLite flatbuffer (tensors,
 * quantisation, operators and their options) and maps each int8 operator
 * onto nnom layers of an int8 model. The graph is already quantised, so the
 * int8 model is built directly from the file's weights, scales and zero
 * points, with multipliers and shifts derived as TFLite's reference kernels
 * derive them; there is no float model and no calibration.
 *
 * Field ids (schema.fbs): Model {1 operator_codes, 2 subgraphs, 4 buffers};
 * SubGraph {0 tensors, 1 inputs, 2 outputs, 3 operators}; Tensor {0 shape,
 * 1 type, 2 buffer, 3 name, 4 quantization}; QuantizationParameters {2 scale,
 * 3 zero_point, 6 quantized_dimension}; Buffer {0 data, 1 offset, 2 size};
 * OperatorCode {0 deprecated_builtin_code, 3 builtin_code}; Operator
 * {0 opcode_index, 1 inputs, 2 outputs, 4 builtin_options}.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tflite/tflite_internal.h"

enum { MODEL_OPERATOR_CODES = 1, MODEL_SUBGRAPHS = 2, MODEL_BUFFERS = 4 };
enum { SUBGRAPH_TENSORS = 0, SUBGRAPH_INPUTS = 1, SUBGRAPH_OUTPUTS = 2, SUBGRAPH_OPERATORS = 3 };
enum { TENSOR_SHAPE = 0, TENSOR_TYPE = 1, TENSOR_BUFFER = 2, TENSOR_NAME = 3, TENSOR_QUANTIZATION = 4 };
enum { QUANT_SCALE = 2, QUANT_ZERO_POINT = 3, QUANT_DIMENSION = 6 };
enum { BUFFER_DATA = 0, BUFFER_OFFSET = 1 };
enum { OPCODE_DEPRECATED_BUILTIN = 0, OPCODE_CUSTOM = 1, OPCODE_BUILTIN = 3 };
enum { OPERATOR_OPCODE_INDEX = 0, OPERATOR_INPUTS = 1, OPERATOR_OUTPUTS = 2, OPERATOR_OPTIONS = 4 };
/* Largest dimension read: far above any microcontroller tensor, and products of four stay in int64. */
#define TFL_MAX_DIM (1 << 24)
/* The most elements a tensor may have: the runtime's limit on a layer's output (2^28, core/layer.h),
 * checked before anything is sized from a file's shape. */
#define TFL_MAX_ELEMENTS (1 << 28)
/* Buffer.offset: 0 (absent) or 1 (TFLite's "no data" marker) mean the data, if any, is in the flatbuffer. */
#define TFL_BUFFER_OFFSET_INLINE 1
/* deprecated_builtin_code is an int8: codes from 127 on live only in builtin_code */
#define TFL_PLACEHOLDER_FOR_GREATER_OP_CODES 127

typedef struct op_entry {
    int32_t code;
    const char *name;
    tfl_map_fn map;
} op_entry;

typedef struct unsupported_entry {
    int32_t code;
    const char *name;
    const char *why; /* why, when more than "not mapped yet" is known */
} unsupported_entry;

/* The operators this importer maps, in code order. */
static const op_entry SUPPORTED[] = {
    {TFL_OP_ADD, "ADD", tfl_map_add_sub},
    {TFL_OP_AVERAGE_POOL_2D, "AVERAGE_POOL_2D", tfl_map_average_pool},
    {TFL_OP_CONCATENATION, "CONCATENATION", tfl_map_concatenation},
    {TFL_OP_CONV_2D, "CONV_2D", tfl_map_conv2d},
    {TFL_OP_DEPTHWISE_CONV_2D, "DEPTHWISE_CONV_2D", tfl_map_depthwise_conv2d},
    {TFL_OP_DEQUANTIZE, "DEQUANTIZE", tfl_map_dequantize},
    {TFL_OP_FULLY_CONNECTED, "FULLY_CONNECTED", tfl_map_fully_connected},
    {TFL_OP_LOGISTIC, "LOGISTIC", tfl_map_activation},
    {TFL_OP_MAX_POOL_2D, "MAX_POOL_2D", tfl_map_max_pool},
    {TFL_OP_MUL, "MUL", tfl_map_mul},
    {TFL_OP_RELU, "RELU", tfl_map_activation},
    {TFL_OP_RELU_N1_TO_1, "RELU_N1_TO_1", tfl_map_activation},
    {TFL_OP_RELU6, "RELU6", tfl_map_activation},
    {TFL_OP_RESHAPE, "RESHAPE", tfl_map_reshape},
    {TFL_OP_SOFTMAX, "SOFTMAX", tfl_map_softmax},
    {TFL_OP_TANH, "TANH", tfl_map_activation},
    {TFL_OP_PAD, "PAD", tfl_map_pad},
    {TFL_OP_BATCH_TO_SPACE_ND, "BATCH_TO_SPACE_ND", tfl_map_batch_to_space},
    {TFL_OP_SPACE_TO_BATCH_ND, "SPACE_TO_BATCH_ND", tfl_map_space_to_batch},
    {TFL_OP_TRANSPOSE, "TRANSPOSE", tfl_map_transpose},
    {TFL_OP_MEAN, "MEAN", tfl_map_mean},
    {TFL_OP_SUB, "SUB", tfl_map_add_sub},
    {TFL_OP_SQUEEZE, "SQUEEZE", tfl_map_reshape},
    {TFL_OP_UNIDIRECTIONAL_SEQUENCE_LSTM, "UNIDIRECTIONAL_SEQUENCE_LSTM", tfl_map_unidirectional_lstm},
    {TFL_OP_STRIDED_SLICE, "STRIDED_SLICE", tfl_map_strided_slice},
    {TFL_OP_PRELU, "PRELU", tfl_map_prelu},
    {TFL_OP_PADV2, "PADV2", tfl_map_pad},
    {TFL_OP_SLICE, "SLICE", tfl_map_slice},
    {TFL_OP_TRANSPOSE_CONV, "TRANSPOSE_CONV", tfl_map_transpose_conv},
    {TFL_OP_EXPAND_DIMS, "EXPAND_DIMS", tfl_map_reshape},
    {TFL_OP_RESIZE_NEAREST_NEIGHBOR, "RESIZE_NEAREST_NEIGHBOR", tfl_map_resize_nearest},
    {TFL_OP_LEAKY_RELU, "LEAKY_RELU", tfl_map_activation},
    {TFL_OP_QUANTIZE, "QUANTIZE", tfl_map_quantize},
    {TFL_OP_HARD_SWISH, "HARD_SWISH", tfl_map_activation},
};
#define N_SUPPORTED ((int32_t)(sizeof SUPPORTED / sizeof SUPPORTED[0]))

/* Names of operators this importer does not map but names in its messages. */
static const unsupported_entry KNOWN_UNSUPPORTED[] = {
    {5, "DEPTH_TO_SPACE", NULL},
    {8, "FLOOR", NULL},
    {16, "LSTM", NULL},
    {23, "RESIZE_BILINEAR", NULL},
    {24, "RNN", NULL},
    {26, "SPACE_TO_DEPTH", NULL},
    {27, "SVDF", NULL},
    {32, "CUSTOM", NULL},
    {36, "GATHER", NULL},
    {47, "EXP", NULL},
    {49, "SPLIT", NULL},
    {53, "CAST", NULL},
    {55, "MAXIMUM", NULL},
    {56, "ARG_MAX", NULL},
    {57, "MINIMUM", NULL},
    {74, "SUM", NULL},
    {TFL_OP_SHAPE, "SHAPE", NULL},
    {82, "REDUCE_MAX", NULL},
    {83, "PACK", NULL},
    {87, "UNPACK", NULL},
    {102, "SPLIT_V", NULL},
    {126, "BATCH_MATMUL", NULL},
};

static const unsupported_entry *find_unsupported(int32_t code)
{
    for (size_t i = 0; i < sizeof KNOWN_UNSUPPORTED / sizeof KNOWN_UNSUPPORTED[0]; i++)
        if (KNOWN_UNSUPPORTED[i].code == code) return &KNOWN_UNSUPPORTED[i];
    return NULL;
}

static const op_entry *find_op(int32_t code)
{
    for (int32_t i = 0; i < N_SUPPORTED; i++)
        if (SUPPORTED[i].code == code) return &SUPPORTED[i];
    return NULL;
}

const char *tfl_op_name(int32_t code)
{
    const op_entry *e = find_op(code);
    if (e) return e->name;
    const unsupported_entry *u = find_unsupported(code);
    return u ? u->name : "unnamed builtin";
}

const char *nnom_tflite_supported_operators(void)
{
    static char list[1024];
    if (!list[0]) {
        size_t n = 0;
        for (int32_t i = 0; i < N_SUPPORTED; i++) {
            const int w = snprintf(list + n, sizeof list - n, "%s%s", i ? " " : "", SUPPORTED[i].name);
            if (w < 0 || (size_t)w >= sizeof list - n) break;
            n += (size_t)w;
        }
    }
    return list;
}

/* As many supported operator names as fit in @p cap bytes, then " ..." if some did not. */
static void supported_list(char *out, size_t cap)
{
    const char *all = nnom_tflite_supported_operators();
    const size_t len = strlen(all);
    if (len < cap) {
        memcpy(out, all, len + 1);
        return;
    }
    const char *more = " ... (see docs/tflite.md)";
    size_t cut = cap - strlen(more) - 1;
    while (cut > 0 && all[cut] != ' ') cut--;
    memcpy(out, all, cut);
    snprintf(out + cut, cap - cut, "%s", more);
}

nnom_status tfl_fail(tfl_ctx *x, nnom_status status, const char *fmt, ...)
{
    char msg[NNOM_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (x->index >= 0 && x->index < x->n_ops)
        return nnom_converter_fail(x->c, status, "operator %d (%s): %s", (int)x->index,
                                   tfl_op_name(x->ops[x->index].code), msg);
    return nnom_converter_fail(x->c, status, "%s", msg);
}

static nnom_status fb_fail(tfl_ctx *x)
{
    return tfl_fail(x, NNOM_ERR_FORMAT, "not a valid .tflite flatbuffer: %s", x->fb.error);
}

void *tfl_store(tfl_ctx *x, size_t bytes) { return nnom_store_alloc(&x->c->store, bytes); }

void *tfl_store_copy(tfl_ctx *x, const void *data, size_t bytes)
{
    void *p = nnom_store_alloc(&x->c->store, bytes);
    if (p && bytes) memcpy(p, data, bytes);
    return p;
}

int64_t tfl_count(const tfl_tensor *t)
{
    int64_t n = 1;
    for (int32_t i = 0; i < t->rank; i++) n *= t->dims[i];
    return n;
}

nnom_quant tfl_quant(const tfl_tensor *t)
{
    nnom_quant q = {0.0f, 0};
    if (t->n_quant > 0) {
        q.scale = t->scales[0];
        q.zero_point = t->zero_points[0];
    }
    return q;
}

static const char *type_name(int32_t type)
{
    switch (type) {
    case TFL_TYPE_FLOAT32: return "float32";
    case 1: return "float16";
    case TFL_TYPE_INT32: return "int32";
    case TFL_TYPE_UINT8: return "uint8";
    case TFL_TYPE_INT64: return "int64";
    case 6: return "bool";
    case TFL_TYPE_INT16: return "int16";
    case TFL_TYPE_INT8: return "int8";
    default: return "another type";
    }
}

static nnom_status not_empty(tfl_ctx *x, const tfl_tensor *t)
{
    if (tfl_count(t) == 0)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "tensor '%s' is empty (a dimension of 0)", t->name);
    return NNOM_OK;
}

nnom_status tfl_shape(tfl_ctx *x, const tfl_tensor *t, nnom_shape *s)
{
    memset(s, 0, sizeof *s);
    nnom_status st = not_empty(x, t);
    if (st != NNOM_OK) return st;
    if (t->rank < 2 || t->dims[0] != 1)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED,
                        "tensor '%s' has rank %d and first dimension %d; nnom needs a batch dimension of 1 "
                        "followed by 1 to %d dimensions",
                        t->name, (int)t->rank, t->rank ? (int)t->dims[0] : 0, NNOM_MAX_RANK);
    if (t->rank - 1 > NNOM_MAX_RANK)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "tensor '%s' has rank %d; nnom supports at most %d besides the batch",
                        t->name, (int)t->rank, NNOM_MAX_RANK);
    s->rank = t->rank - 1;
    for (int32_t i = 1; i < t->rank; i++) s->dims[i - 1] = t->dims[i];
    return NNOM_OK;
}

nnom_status tfl_expect_io(tfl_ctx *x, const tfl_op *op, int32_t min_in, int32_t max_in, int32_t n_out)
{
    if (op->n_in < min_in || op->n_in > max_in)
        return tfl_fail(x, NNOM_ERR_FORMAT, "has %d inputs, expected %d to %d", (int)op->n_in, (int)min_in,
                        (int)max_in);
    if (op->n_out != n_out)
        return tfl_fail(x, NNOM_ERR_FORMAT, "has %d outputs, expected %d", (int)op->n_out, (int)n_out);
    return NNOM_OK;
}

nnom_status tfl_input(tfl_ctx *x, const tfl_op *op, int32_t i, tfl_tensor **t)
{
    if (i >= op->n_in || op->in[i] < 0) return tfl_fail(x, NNOM_ERR_FORMAT, "input %d is missing", (int)i);
    *t = &x->tensors[op->in[i]];
    return not_empty(x, *t);
}

static nnom_status int8_quantised(tfl_ctx *x, const tfl_tensor *t, const char *role)
{
    if (t->type != TFL_TYPE_INT8)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "%s tensor '%s' is %s; nnom runs int8 activations only "
                        "(convert with full-integer quantisation)", role, t->name, type_name(t->type));
    if (t->n_quant != 1)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "%s tensor '%s' has %d scales, expected one", role, t->name,
                        (int)t->n_quant);
    if (!(t->scales[0] > 0.0f) || t->zero_points[0] < -128 || t->zero_points[0] > 127)
        return tfl_fail(x, NNOM_ERR_FORMAT, "%s tensor '%s' has a bad quantisation (zero point %d)", role, t->name,
                        (int)t->zero_points[0]);
    return NNOM_OK;
}

nnom_status tfl_activation(tfl_ctx *x, const tfl_op *op, int32_t i, tfl_tensor **t)
{
    nnom_status st = tfl_input(x, op, i, t);
    if (st != NNOM_OK) return st;
    st = int8_quantised(x, *t, "input");
    if (st != NNOM_OK) return st;
    const int32_t code = x->ops[x->index].code;
    if ((*t)->block[0] && code != TFL_OP_CONV_2D && code != TFL_OP_DEPTHWISE_CONV_2D && code != TFL_OP_BATCH_TO_SPACE_ND)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "input %d (tensor '%s') comes from SPACE_TO_BATCH_ND; nnom supports it "
                        "only between SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND around a convolution (a dilated "
                        "convolution)", (int)i, (*t)->name);
    if ((*t)->layer < 0)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "input %d (tensor '%s') is %s; nnom needs it computed by an earlier "
                        "operator or given as a model input", (int)i, (*t)->name,
                        (*t)->data ? "a constant" : "not computed by any earlier operator");
    return NNOM_OK;
}

nnom_status tfl_output(tfl_ctx *x, const tfl_op *op, tfl_tensor **t)
{
    if (op->n_out < 1 || op->out[0] < 0) return tfl_fail(x, NNOM_ERR_FORMAT, "has no output");
    *t = &x->tensors[op->out[0]];
    nnom_status st = not_empty(x, *t);
    return st != NNOM_OK ? st : int8_quantised(x, *t, "output");
}

nnom_status tfl_constant(tfl_ctx *x, const tfl_tensor *t, int32_t type, int64_t count, const char *what)
{
    if (t->type != type)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "%s tensor '%s' is %s, expected %s", what, t->name,
                        type_name(t->type), type_name(type));
    if (!t->data)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "%s tensor '%s' is not a constant", what, t->name);
    const int64_t elem = type == TFL_TYPE_INT8 ? 1 : (type == TFL_TYPE_INT64 ? 8 : 4);
    if (tfl_count(t) != count || (int64_t)t->data_size != count * elem)
        return tfl_fail(x, NNOM_ERR_FORMAT, "%s tensor '%s' holds %u bytes, expected %lld elements of %d bytes", what,
                        t->name, t->data_size, (long long)count, (int)elem);
    return NNOM_OK;
}

/* ------------------------------------------------------------------ reading */

static nnom_status read_quant(tfl_ctx *x, nnom_fb_table *tt, tfl_tensor *t, const char *what)
{
    nnom_fb_table q;
    int present;
    if (nnom_fb_table_field(tt, TENSOR_QUANTIZATION, &q, &present, what) != 0) return fb_fail(x);
    if (!present) return NNOM_OK;
    nnom_fb_vector sv, zv;
    if (nnom_fb_vector_field(&q, QUANT_SCALE, 4, &sv, NULL, what) != 0) return fb_fail(x);
    if (nnom_fb_vector_field(&q, QUANT_ZERO_POINT, 8, &zv, NULL, what) != 0) return fb_fail(x);
    if (nnom_fb_i32(&q, QUANT_DIMENSION, 0, &t->quant_dim, what) != 0) return fb_fail(x);
    if (sv.len == 0) return NNOM_OK;
    if (zv.len != sv.len)
        return tfl_fail(x, NNOM_ERR_FORMAT, "tensor '%s' has %u scales but %u zero points", t->name, sv.len, zv.len);
    float *s = (float *)tfl_store(x, sv.len * sizeof(float));
    int32_t *z = (int32_t *)tfl_store(x, sv.len * sizeof(int32_t));
    if (!s || !z) return tfl_fail(x, NNOM_ERR_NO_MEMORY, "out of memory");
    for (uint32_t i = 0; i < sv.len; i++) {
        int64_t zp;
        if (nnom_fb_vec_f32(&sv, i, &s[i], what) != 0 || nnom_fb_vec_i64(&zv, i, &zp, what) != 0) return fb_fail(x);
        if (zp < INT32_MIN || zp > INT32_MAX)
            return tfl_fail(x, NNOM_ERR_FORMAT, "tensor '%s' has zero point %lld", t->name, (long long)zp);
        z[i] = (int32_t)zp;
    }
    t->n_quant = (int32_t)sv.len;
    t->scales = s;
    t->zero_points = z;
    return NNOM_OK;
}

static nnom_status read_tensors(tfl_ctx *x, nnom_fb_table *sg, nnom_fb_vector *buffers)
{
    nnom_fb_vector tv;
    if (nnom_fb_vector_field(sg, SUBGRAPH_TENSORS, 4, &tv, NULL, "subgraph 0: tensors") != 0) return fb_fail(x);
    x->n_tensors = (int32_t)tv.len;
    x->tensors = (tfl_tensor *)tfl_store(x, (tv.len ? tv.len : 1) * sizeof(tfl_tensor));
    if (!x->tensors) return tfl_fail(x, NNOM_ERR_NO_MEMORY, "out of memory for %u tensors", tv.len);
    for (uint32_t i = 0; i < tv.len; i++) {
        tfl_tensor *t = &x->tensors[i];
        char what[64];
        snprintf(what, sizeof what, "tensor %u", i);
        t->layer = -1;
        nnom_fb_table tt;
        if (nnom_fb_vec_table(&tv, i, &tt, what) != 0) return fb_fail(x);
        char full_name[256];
        if (nnom_fb_string_field(&tt, TENSOR_NAME, full_name, sizeof full_name, what) != 0) return fb_fail(x);
        memcpy(t->name, full_name, sizeof t->name - 1); /* long names (fused ops list theirs) are cut */
        t->name[sizeof t->name - 1] = '\0';
        nnom_fb_vector shape;
        if (nnom_fb_vector_field(&tt, TENSOR_SHAPE, 4, &shape, NULL, what) != 0) return fb_fail(x);
        if (shape.len > TFL_MAX_RANK)
            return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "tensor '%s' has rank %u; at most %d is read", t->name,
                            shape.len, TFL_MAX_RANK);
        t->rank = (int32_t)shape.len;
        for (uint32_t k = 0; k < shape.len; k++) {
            if (nnom_fb_vec_i32(&shape, k, &t->dims[k], what) != 0) return fb_fail(x);
            /* 0 is legal (an empty tensor, such as an LSTM's intermediates); refused where one is used */
            if (t->dims[k] < 0 || t->dims[k] > TFL_MAX_DIM)
                return tfl_fail(x, NNOM_ERR_FORMAT, "tensor '%s' has dimension %u of %d", t->name, k,
                                (int)t->dims[k]);
        }
        int64_t elements = 1;
        for (int32_t k = 0; k < t->rank; k++) {
            elements *= t->dims[k];
            if (elements > TFL_MAX_ELEMENTS)
                return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "tensor '%s' has more than 2^28 elements", t->name);
        }
        int8_t type;
        if (nnom_fb_i8(&tt, TENSOR_TYPE, TFL_TYPE_FLOAT32, &type, what) != 0) return fb_fail(x);
        t->type = type;
        uint32_t buffer;
        if (nnom_fb_u32(&tt, TENSOR_BUFFER, 0, &buffer, what) != 0) return fb_fail(x);
        if (buffer >= buffers->len && !(buffer == 0 && buffers->len == 0))
            return tfl_fail(x, NNOM_ERR_FORMAT, "tensor '%s' refers to buffer %u of %u", t->name, buffer,
                            buffers->len);
        if (buffer > 0) {
            nnom_fb_table bt;
            if (nnom_fb_vec_table(buffers, buffer, &bt, what) != 0) return fb_fail(x);
            uint64_t offset;
            if (nnom_fb_u64(&bt, BUFFER_OFFSET, 0, &offset, what) != 0) return fb_fail(x);
            if (offset > TFL_BUFFER_OFFSET_INLINE)
                return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "tensor '%s' keeps its data outside the flatbuffer (a model "
                                "over 2 GB); not supported", t->name);
            nnom_fb_vector data;
            if (nnom_fb_vector_field(&bt, BUFFER_DATA, 1, &data, NULL, what) != 0) return fb_fail(x);
            if (data.len) {
                t->data = nnom_fb_vec_bytes(&data);
                t->data_size = data.len;
            }
        }
        nnom_status st = read_quant(x, &tt, t, what);
        if (st != NNOM_OK) return st;
    }
    return NNOM_OK;
}

static nnom_status read_index_vector(tfl_ctx *x, nnom_fb_table *t, uint32_t id, int32_t *out, int32_t *n,
                                     int32_t cap, int allow_absent, const char *what)
{
    nnom_fb_vector v;
    if (nnom_fb_vector_field(t, id, 4, &v, NULL, what) != 0) return fb_fail(x);
    if (v.len > (uint32_t)cap)
        return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "%s: %u tensors, at most %d are supported", what, v.len, (int)cap);
    for (uint32_t i = 0; i < v.len; i++) {
        if (nnom_fb_vec_i32(&v, i, &out[i], what) != 0) return fb_fail(x);
        if ((out[i] < 0 && !(allow_absent && out[i] == -1)) || out[i] >= x->n_tensors)
            return tfl_fail(x, NNOM_ERR_FORMAT, "%s: tensor index %d of %d tensors", what, (int)out[i],
                            (int)x->n_tensors);
    }
    *n = (int32_t)v.len;
    return NNOM_OK;
}

static nnom_status read_operators(tfl_ctx *x, nnom_fb_table *root, nnom_fb_table *sg)
{
    nnom_fb_vector codes, ov;
    if (nnom_fb_vector_field(root, MODEL_OPERATOR_CODES, 4, &codes, NULL, "operator codes") != 0) return fb_fail(x);
    if (nnom_fb_vector_field(sg, SUBGRAPH_OPERATORS, 4, &ov, NULL, "subgraph 0: operators") != 0) return fb_fail(x);
    x->n_ops = (int32_t)ov.len;
    x->ops = (tfl_op *)tfl_store(x, (ov.len ? ov.len : 1) * sizeof(tfl_op));
    if (!x->ops) return tfl_fail(x, NNOM_ERR_NO_MEMORY, "out of memory for %u operators", ov.len);
    for (uint32_t i = 0; i < ov.len; i++) {
        tfl_op *op = &x->ops[i];
        char what[64];
        snprintf(what, sizeof what, "operator %u", i);
        nnom_fb_table ot, ct;
        if (nnom_fb_vec_table(&ov, i, &ot, what) != 0) return fb_fail(x);
        uint32_t opcode;
        if (nnom_fb_u32(&ot, OPERATOR_OPCODE_INDEX, 0, &opcode, what) != 0) return fb_fail(x);
        if (opcode >= codes.len)
            return tfl_fail(x, NNOM_ERR_FORMAT, "operator %u uses operator code %u of %u", i, opcode, codes.len);
        if (nnom_fb_vec_table(&codes, opcode, &ct, what) != 0) return fb_fail(x);
        int8_t deprecated;
        int32_t builtin;
        if (nnom_fb_i8(&ct, OPCODE_DEPRECATED_BUILTIN, 0, &deprecated, what) != 0 ||
            nnom_fb_i32(&ct, OPCODE_BUILTIN, 0, &builtin, what) != 0)
            return fb_fail(x);
        /* files before schema 3a carry only the deprecated byte; newer ones both (the larger wins) */
        op->code = builtin > deprecated ? builtin : deprecated;
        if (deprecated < 0 || (deprecated == TFL_PLACEHOLDER_FOR_GREATER_OP_CODES && builtin < deprecated))
            return tfl_fail(x, NNOM_ERR_FORMAT, "operator %u has a bad operator code", i);
        nnom_status st = read_index_vector(x, &ot, OPERATOR_INPUTS, op->in, &op->n_in, TFL_MAX_OP_IO, 1, what);
        if (st == NNOM_OK)
            st = read_index_vector(x, &ot, OPERATOR_OUTPUTS, op->out, &op->n_out, TFL_MAX_OP_IO, 1, what);
        if (st != NNOM_OK) return st;
        if (nnom_fb_table_field(&ot, OPERATOR_OPTIONS, &op->options, &op->has_options, what) != 0) return fb_fail(x);
    }
    return NNOM_OK;
}

static nnom_status add_inputs(tfl_ctx *x, nnom_fb_table *sg)
{
    int32_t in[NNOM_MAX_INPUTS], n;
    nnom_status st = read_index_vector(x, sg, SUBGRAPH_INPUTS, in, &n, NNOM_MAX_INPUTS, 0, "subgraph 0: inputs");
    if (st != NNOM_OK) return st;
    for (int32_t i = 0; i < n; i++) {
        tfl_tensor *t = &x->tensors[in[i]];
        if (t->type == TFL_TYPE_FLOAT32) continue; /* a QUANTIZE operator makes the int8 input */
        st = int8_quantised(x, t, "model input");
        if (st != NNOM_OK) return st;
        nnom_shape s;
        st = tfl_shape(x, t, &s);
        if (st != NNOM_OK) return st;
        char name[NNOM_NAME_MAX];
        snprintf(name, sizeof name, "input_%d", (int)i);
        st = nnom_model_add_input(x->m, name, s, tfl_quant(t), &t->layer);
        if (st != NNOM_OK) return tfl_fail(x, st, "model input %d: %s", (int)i, nnom_model_last_error(x->m));
    }
    return NNOM_OK;
}

static nnom_status add_outputs(tfl_ctx *x, nnom_fb_table *sg)
{
    int32_t out[NNOM_MAX_INPUTS], n;
    nnom_status st = read_index_vector(x, sg, SUBGRAPH_OUTPUTS, out, &n, NNOM_MAX_INPUTS, 0, "subgraph 0: outputs");
    if (st != NNOM_OK) return st;
    if (n == 0) return tfl_fail(x, NNOM_ERR_FORMAT, "the model has no outputs");
    for (int32_t i = 0; i < n; i++) {
        tfl_tensor *t = &x->tensors[out[i]];
        if (t->layer < 0)
            return tfl_fail(x, NNOM_ERR_UNSUPPORTED, "model output %d (tensor '%s') is not computed by any operator",
                            (int)i, t->name);
        nnom_layer_desc d;
        nnom_layer_desc_init(&d);
        char name[NNOM_NAME_MAX];
        snprintf(name, sizeof name, "output_%d", (int)i);
        d.type = NNOM_LAYER_OUTPUT;
        d.name = name;
        d.n_inputs = 1;
        d.inputs[0] = t->layer;
        st = nnom_model_add_layer(x->m, &d, NULL);
        if (st != NNOM_OK) return tfl_fail(x, st, "model output %d: %s", (int)i, nnom_model_last_error(x->m));
    }
    return NNOM_OK;
}

/*
 * A Keras Flatten or Reshape with a free batch dimension computes the target shape at run time:
 * SHAPE of the input, then STRIDED_SLICE, PACK, CONCATENATION... on int32 vectors, into
 * RESHAPE's second input. nnom knows every shape when it converts, and RESHAPE takes its
 * target from its output tensor, so such int32 shape arithmetic is skipped. 1 if @p op is.
 */
static int shape_arithmetic(tfl_ctx *x, const tfl_op *op)
{
    if (op->n_out < 1) return 0;
    for (int32_t i = 0; i < op->n_out; i++)
        if (op->out[i] < 0 || x->tensors[op->out[i]].type != TFL_TYPE_INT32) return 0;
    int from_shape = op->code == TFL_OP_SHAPE;
    for (int32_t i = 0; i < op->n_in && !from_shape; i++) {
        if (op->in[i] < 0) continue;
        const tfl_tensor *t = &x->tensors[op->in[i]];
        if (t->is_shape) from_shape = 1;
        else if (!t->data) return 0;
    }
    if (from_shape)
        for (int32_t i = 0; i < op->n_out; i++) x->tensors[op->out[i]].is_shape = 1;
    return from_shape;
}

static nnom_status map_operators(tfl_ctx *x)
{
    for (x->index = 0; x->index < x->n_ops; x->index++) {
        const tfl_op *op = &x->ops[x->index];
        if (shape_arithmetic(x, op)) continue;
        const op_entry *e = find_op(op->code);
        if (!e) {
            char prefix[320], list[NNOM_ERROR_MESSAGE_MAX];
            const unsupported_entry *u = find_unsupported(op->code);
            snprintf(prefix, sizeof prefix, "operator %d (%s, code %d) is not supported%s%s; supported: ",
                     (int)x->index, tfl_op_name(op->code), (int)op->code, u && u->why ? ": " : "",
                     u && u->why ? u->why : "");
            supported_list(list, sizeof list - strlen(prefix));
            return nnom_converter_fail(x->c, NNOM_ERR_UNSUPPORTED, "%s%s", prefix, list);
        }
        nnom_status st = e->map(x, op);
        if (st != NNOM_OK) return st;
    }
    x->index = -1;
    return NNOM_OK;
}

static nnom_status import(tfl_ctx *x, const void *bytes, size_t size)
{
    nnom_fb_table root, sg;
    if (nnom_fb_open(&x->fb, bytes, size, &root) != 0) return fb_fail(x);
    if (size >= 8 && memcmp((const uint8_t *)bytes + 4, "TFL3", 4) != 0)
        return tfl_fail(x, NNOM_ERR_FORMAT, "not a .tflite file: the identifier at byte 4 is not \"TFL3\"");
    nnom_fb_vector subgraphs, buffers;
    if (nnom_fb_vector_field(&root, MODEL_SUBGRAPHS, 4, &subgraphs, NULL, "subgraphs") != 0) return fb_fail(x);
    if (nnom_fb_vector_field(&root, MODEL_BUFFERS, 4, &buffers, NULL, "buffers") != 0) return fb_fail(x);
    if (subgraphs.len == 0) return tfl_fail(x, NNOM_ERR_FORMAT, "the model has no subgraph");
    if (nnom_fb_vec_table(&subgraphs, 0, &sg, "subgraph 0") != 0) return fb_fail(x);
    nnom_status st = read_tensors(x, &sg, &buffers);
    if (st == NNOM_OK) st = read_operators(x, &root, &sg);
    if (st != NNOM_OK) return st;
    nnom_error err;
    st = nnom_model_create(NNOM_DTYPE_S8, NULL, &x->m, &err);
    if (st != NNOM_OK) return tfl_fail(x, st, "%s", err.message);
    st = add_inputs(x, &sg);
    if (st == NNOM_OK) st = map_operators(x);
    if (st == NNOM_OK) st = add_outputs(x, &sg);
    if (st != NNOM_OK) return st;
    st = nnom_model_compile(x->m);
    if (st != NNOM_OK) return tfl_fail(x, st, "the int8 model does not compile: %s", nnom_model_last_error(x->m));
    return NNOM_OK;
}

nnom_status nnom_convert_tflite_bytes(const void *bytes, size_t size, const char *source, nnom_converter **out,
                                      nnom_error *err)
{
    if (out) *out = NULL;
    if (!out) return nnom_error_set(err, NNOM_ERR_ARGUMENT, "tflite: out is NULL");
    nnom_converter *c;
    nnom_status st = nnom_converter_create(&c, err);
    if (st != NNOM_OK) return st;
    snprintf(c->source, sizeof c->source, "%s", source ? source : "");
    tfl_ctx x;
    memset(&x, 0, sizeof x);
    x.c = c;
    x.index = -1;
    st = import(&x, bytes, size);
    if (st != NNOM_OK) {
        nnom_model_destroy(x.m);
        if (source && source[0]) {
            char msg[NNOM_ERROR_MESSAGE_MAX];
            snprintf(msg, sizeof msg, "%s", c->error);
            nnom_error_set(err, st, "'%s': %s", source, msg);
        } else {
            nnom_converter_error_to(c, st, err);
        }
        nnom_converter_destroy(c);
        return st;
    }
    c->int8_model = x.m;
    st = nnom_paddings_fold(c);
    if (st == NNOM_OK) st = nnom_weight_pairs_write(c);
    if (st != NNOM_OK) {
        nnom_converter_error_to(c, st, err);
        nnom_converter_destroy(c);
        return st;
    }
    *out = c;
    return NNOM_OK;
}

nnom_status nnom_convert_tflite(const char *path, nnom_converter **out, nnom_error *err)
{
    if (out) *out = NULL;
    if (!path || !path[0]) return nnom_error_set(err, NNOM_ERR_ARGUMENT, "tflite: no file path given");
    FILE *f = fopen(path, "rb");
    if (!f) return nnom_error_set(err, NNOM_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    uint8_t *bytes = NULL;
    size_t size = 0, cap = 0;
    for (;;) {
        if (size == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            uint8_t *grown = (uint8_t *)realloc(bytes, cap);
            if (!grown) {
                free(bytes);
                fclose(f);
                return nnom_error_set(err, NNOM_ERR_NO_MEMORY, "'%s': out of memory reading the file", path);
            }
            bytes = grown;
        }
        size_t got = fread(bytes + size, 1, cap - size, f);
        size += got;
        if (got == 0) break;
    }
    const int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(bytes);
        return nnom_error_set(err, NNOM_ERR_IO, "reading '%s' failed", path);
    }
    nnom_status st = nnom_convert_tflite_bytes(bytes, size, path, out, err);
    free(bytes);
    return st;
}

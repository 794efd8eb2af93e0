/*
 * Internal to the .tflite importer: the model as read from the flatbuffer,
 * and the per-operator mapping onto nnom layers.
 *
 * Field ids, enum values and operator codes are those of TFLite's published
 * schema (tensorflow/lite/schema/schema.fbs).
 */
#ifndef NNOM_TFLITE_INTERNAL_H
#define NNOM_TFLITE_INTERNAL_H

#include <stdint.h>

#include "common/tools_internal.h"
#include "tflite/flatbuf.h"

/* schema.fbs: TensorType */
enum {
    TFL_TYPE_FLOAT32 = 0,
    TFL_TYPE_INT32 = 2,
    TFL_TYPE_UINT8 = 3,
    TFL_TYPE_INT64 = 4,
    TFL_TYPE_INT16 = 7,
    TFL_TYPE_INT8 = 9
};

/* schema.fbs: ActivationFunctionType */
enum { TFL_ACT_NONE = 0, TFL_ACT_RELU = 1, TFL_ACT_RELU_N1_TO_1 = 2, TFL_ACT_RELU6 = 3 };

/* schema.fbs: Padding */
enum { TFL_PAD_SAME = 0, TFL_PAD_VALID = 1 };

/* schema.fbs: BuiltinOperator (the ones this importer names) */
enum {
    TFL_OP_ADD = 0,
    TFL_OP_AVERAGE_POOL_2D = 1,
    TFL_OP_CONCATENATION = 2,
    TFL_OP_CONV_2D = 3,
    TFL_OP_DEPTHWISE_CONV_2D = 4,
    TFL_OP_DEQUANTIZE = 6,
    TFL_OP_FULLY_CONNECTED = 9,
    TFL_OP_LOGISTIC = 14,
    TFL_OP_MAX_POOL_2D = 17,
    TFL_OP_MUL = 18,
    TFL_OP_RELU = 19,
    TFL_OP_RELU_N1_TO_1 = 20,
    TFL_OP_RELU6 = 21,
    TFL_OP_RESHAPE = 22,
    TFL_OP_SOFTMAX = 25,
    TFL_OP_TANH = 28,
    TFL_OP_PAD = 34,
    TFL_OP_BATCH_TO_SPACE_ND = 37,
    TFL_OP_TRANSPOSE = 39,
    TFL_OP_SPACE_TO_BATCH_ND = 38,
    TFL_OP_MEAN = 40,
    TFL_OP_SUB = 41,
    TFL_OP_SQUEEZE = 43,
    TFL_OP_UNIDIRECTIONAL_SEQUENCE_LSTM = 44,
    TFL_OP_STRIDED_SLICE = 45,
    TFL_OP_PRELU = 54,
    TFL_OP_PADV2 = 60,
    TFL_OP_SLICE = 65,
    TFL_OP_TRANSPOSE_CONV = 67,
    TFL_OP_EXPAND_DIMS = 70,
    TFL_OP_SHAPE = 77,
    TFL_OP_RESIZE_NEAREST_NEIGHBOR = 97,
    TFL_OP_LEAKY_RELU = 98,
    TFL_OP_QUANTIZE = 114,
    TFL_OP_HARD_SWISH = 117
};

/* Largest tensor rank read (TFLite's kernels go to 6 at most for int8). */
#define TFL_MAX_RANK 6
/* Largest operator input / output count read (UNIDIRECTIONAL_SEQUENCE_LSTM has 24 inputs). */
#define TFL_MAX_OP_IO 32

typedef struct tfl_tensor {
    char name[NNOM_NAME_MAX];
    int32_t rank;
    int32_t dims[TFL_MAX_RANK];
    int32_t type;                /* TensorType */
    const uint8_t *data;         /* constant data in the file, or NULL */
    uint32_t data_size;
    int32_t n_quant;             /* number of scales (0: not quantised) */
    const float *scales;         /* [n_quant], in the converter's store */
    const int32_t *zero_points;  /* [n_quant] */
    int32_t quant_dim;
    int32_t layer;               /* the nnom layer whose output holds this tensor, -1 none yet */
    int is_shape;                /* an int32 tensor computed from a SHAPE (skipped shape arithmetic) */
    int32_t block[2];            /* SPACE_TO_BATCH_ND's block (h, w) this tensor is split by; 0: none */
} tfl_tensor;

typedef struct tfl_op {
    int32_t code;                /* BuiltinOperator */
    int32_t n_in, n_out;
    int32_t in[TFL_MAX_OP_IO];   /* tensor indices; -1: optional input absent */
    int32_t out[TFL_MAX_OP_IO];
    nnom_fb_table options;       /* builtin_options, valid when has_options */
    int has_options;
} tfl_op;

typedef struct tfl_ctx {
    nnom_converter *c;
    nnom_model *m;
    nnom_fb fb;
    tfl_tensor *tensors;
    int32_t n_tensors;
    tfl_op *ops;
    int32_t n_ops;
    int32_t index;               /* the operator being mapped */
} tfl_ctx;

/* An operator's mapping onto nnom layers: adds the layers and sets its output tensor's layer. */
typedef nnom_status (*tfl_map_fn)(tfl_ctx *x, const tfl_op *op);

/* ---- shared helpers (tflite_reader.c: tensors, operators, errors; tflite_layers.c: adding layers, options) */

/* Records "operator N (NAME): <message>" and returns @p status. */
nnom_status tfl_fail(tfl_ctx *x, nnom_status status, const char *fmt, ...);
const char *tfl_op_name(int32_t code);
/* Checks the operator's input / output counts. */
nnom_status tfl_expect_io(tfl_ctx *x, const tfl_op *op, int32_t min_in, int32_t max_in, int32_t n_out);
/* The tensor of input @p i, which must be present. */
nnom_status tfl_input(tfl_ctx *x, const tfl_op *op, int32_t i, tfl_tensor **t);
/* An int8 activation tensor with one scale and a layer computing it. */
nnom_status tfl_activation(tfl_ctx *x, const tfl_op *op, int32_t i, tfl_tensor **t);
/* The output tensor (int8, one scale) of the operator. */
nnom_status tfl_output(tfl_ctx *x, const tfl_op *op, tfl_tensor **t);
/* A constant tensor of @p type with @p count elements. */
nnom_status tfl_constant(tfl_ctx *x, const tfl_tensor *t, int32_t type, int64_t count, const char *what);
nnom_quant tfl_quant(const tfl_tensor *t);
/* The shape without the batch dimension (which must be 1), as nnom sees it. */
nnom_status tfl_shape(tfl_ctx *x, const tfl_tensor *t, nnom_shape *s);
int64_t tfl_count(const tfl_tensor *t);
/* A copy of @p bytes of data in the converter's store (4-byte aligned). */
void *tfl_store_copy(tfl_ctx *x, const void *data, size_t bytes);
void *tfl_store(tfl_ctx *x, size_t bytes);
/* Adds a layer; the output tensor @p out (may be NULL) is now held by it; *id (may be NULL) receives its id. */
nnom_status tfl_add(tfl_ctx *x, nnom_layer_desc *d, tfl_tensor *out, int32_t *id);
/* A fused activation as nnom's, or an error for one nnom cannot fuse. */
nnom_status tfl_fused(tfl_ctx *x, int32_t act, int32_t *nnom_act);
/* Adds @p d (one input, @p in) for operator output @p out with TFLite fused activation @p act: fused into the
 * layer when nnom can (RELU, RELU6), else a clamp table after it (RELU_N1_TO_1). Sets name, input and quant. */
nnom_status tfl_add_fused(tfl_ctx *x, nnom_layer_desc *d, const tfl_tensor *in, int32_t act, tfl_tensor *out);
/* Adds @p d of one input @p in for operator output @p out: sets its name, input and quantisation. */
nnom_status tfl_add_unary(tfl_ctx *x, nnom_layer_desc *d, const tfl_tensor *in, tfl_tensor *out);
/* An error unless @p in and @p out have the same scale and zero point (operators that only move values). */
nnom_status tfl_same_quant(tfl_ctx *x, const tfl_tensor *in, const tfl_tensor *out);
/* A boolean option field (absent: false). */
nnom_status tfl_opt_bool(tfl_ctx *x, const tfl_op *op, uint32_t id, int32_t *out);
/* ZERO_PADDING2D or CROPPING1D/2D (@p type) of @p in by pads {top, bottom, left, right} for output @p out. */
nnom_status tfl_pad_crop(tfl_ctx *x, nnom_layer_type type, const tfl_tensor *in, tfl_tensor *out,
                         const int32_t pads[4]);
/* A RESHAPE view of layer @p id (quantisation @p q) to @p shape; *id becomes the view's id (unchanged when the
 * shape is already @p have). */
nnom_status tfl_view(tfl_ctx *x, int32_t *id, const nnom_shape *have, const nnom_shape *shape, nnom_quant q,
                     const char *suffix);
/* TFLite's QuantizeMultiplier of a real value (error for one out of range). */
nnom_status tfl_multiplier(tfl_ctx *x, double real, int32_t *multiplier, int32_t *shift, const char *what);
/* A clamp (fused activation of an op nnom cannot fuse it into) as a table layer after out's layer; out is then held
 * by the clamp. */
nnom_status tfl_clamp_layer(tfl_ctx *x, int32_t act, tfl_tensor *out, int32_t *id);
/* The same clamp after layer @p *id (quantisation of @p out); *id becomes the clamp's id. */
nnom_status tfl_clamp_after(tfl_ctx *x, int32_t act, const tfl_tensor *out, int32_t *id);
/* A layer name for the operator's output ("<op>_<index>" when the tensor name does not fit). */
const char *tfl_layer_name(tfl_ctx *x, const tfl_tensor *t, const char *suffix);

/* Options fields; an absent options table reads as all defaults. */
nnom_status tfl_opt_i32(tfl_ctx *x, const tfl_op *op, uint32_t id, int32_t def, int32_t *out);
nnom_status tfl_opt_i8(tfl_ctx *x, const tfl_op *op, uint32_t id, int8_t def, int32_t *out);
nnom_status tfl_opt_f32(tfl_ctx *x, const tfl_op *op, uint32_t id, float def, float *out);
/* The int32 values of a constant tensor (at most @p cap). */
nnom_status tfl_const_i32(tfl_ctx *x, const tfl_tensor *t, int32_t *out, int32_t cap, int32_t *n, const char *what);
/* Adds a RESHAPE of layer @p id to the shape of tensor @p out when nnom's shape @p have differs. */
nnom_status tfl_reshape_to(tfl_ctx *x, int32_t id, const nnom_shape *have, tfl_tensor *out);

/* ---- operator families */
nnom_status tfl_map_conv2d(tfl_ctx *x, const tfl_op *op);
nnom_status tfl_map_depthwise_conv2d(tfl_ctx *x, const tfl_op *op);
nnom_status tfl_map_fully_connected(tfl_ctx *x, const tfl_op *op);
nnom_status tfl_map_transpose_conv(tfl_ctx *x, const tfl_op *op);
nnom_status tfl_map_max_pool(tfl_ctx *x, const tfl_op *op);
nnom_status tfl_map_average_pool(tfl_ctx *x, const tfl_op *op);
nnom_status tfl_map_mean(tfl_ctx *x, const tfl_op *op);
nnom_status tfl_map_reshape(tfl_ctx *x, const tfl_op *op);
nnom_status tfl_map_softmax(tfl_ctx *x, const tfl_op *op);
nnom_status tfl_map_add_sub(tfl_ctx *x, const tfl_op *op);
nnom_status tfl_map_mul(tfl_ctx *x, const tfl_op *op);
nnom_status tfl_map_quantize(tfl_ctx *x, const tfl_op *op);
nnom_status tfl_map_dequantize(tfl_ctx *x, const tfl_op *op);
nnom_status tfl_map_activation(tfl_ctx *x, const tfl_op *op);
nnom_status tfl_map_prelu(tfl_ctx *x, const tfl_op *op);
nnom_status tfl_map_concatenation(tfl_ctx *x, const tfl_op *op);
nnom_status tfl_map_pad(tfl_ctx *x, const tfl_op *op);
nnom_status tfl_map_resize_nearest(tfl_ctx *x, const tfl_op *op);
nnom_status tfl_map_strided_slice(tfl_ctx *x, const tfl_op *op);
nnom_status tfl_map_slice(tfl_ctx *x, const tfl_op *op);
nnom_status tfl_map_space_to_batch(tfl_ctx *x, const tfl_op *op);
nnom_status tfl_map_batch_to_space(tfl_ctx *x, const tfl_op *op);
nnom_status tfl_map_transpose(tfl_ctx *x, const tfl_op *op);
nnom_status tfl_map_unidirectional_lstm(tfl_ctx *x, const tfl_op *op);

/* ---- TFLite's integer arithmetic, on the host (tflite_fixedpoint.c) */

/* The two int32[256] tables of a TFLite-compatible int8 softmax (see kernels/softmax.h). */
nnom_status tfl_softmax_tables(double beta, double input_scale, int32_t table[512]);
/* TFLite's int8 LOGISTIC / TANH for every int8 input: table[q + 128]. */
void tfl_logistic_table(nnom_quant in, nnom_quant out, int8_t table[256]);
void tfl_tanh_table(nnom_quant in, nnom_quant out, int8_t table[256]);
/* TFLite's int8 HARD_SWISH for every int8 input; NNOM_ERR_UNSUPPORTED for scales TFLite refuses. */
nnom_status tfl_hard_swish_table(nnom_quant in, nnom_quant out, int8_t table[256]);

#endif

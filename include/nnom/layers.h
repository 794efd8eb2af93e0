/**
 * @file layers.h
 * @brief Layer types, their parameters, and the constant data ("blobs") each one reads.
 *
 * Tensors are stored channel-last (HWC) without a batch dimension:
 *  - rank 1: (C)           a vector, e.g. a Dense output;
 *  - rank 2: (W, C)        a sequence of W steps (1D layers);
 *  - rank 3: (H, W, C)     an image (2D layers).
 * Internally every tensor is viewed as (H, W, C) with H = 1 (and W = 1) for
 * the lower ranks, so 1D layers use the 2D kernels with a kernel height of 1.
 *
 * All window parameters are given in (height, width) order. A 1D layer
 * (input of rank 2) must set index 0 to 1 (kernel[0] = stride[0] =
 * dilation[0] = 1) and uses index 1 for the time axis.
 *
 * Constant data of a layer lives in up to ::NNOM_MAX_BLOBS blobs that are read
 * in place (from flash, or from a loaded file). What each slot holds is listed
 * with each type below; "s8:" is an int8 model, "f32:" a float32 model.
 */
#ifndef NNOM_LAYERS_H
#define NNOM_LAYERS_H

#include <stdint.h>
#include "nnom/api.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest rank of a tensor, batch dimension excluded. */
#define NNOM_MAX_RANK 3
/** Largest number of inputs of one layer. */
#define NNOM_MAX_INPUTS 16
/** Number of constant data slots per layer. */
#define NNOM_MAX_BLOBS 6
/** Capacity of a layer name, including the terminating NUL. */
#define NNOM_NAME_MAX 32

/** Element type of a model: all activations of a model share it. */
typedef enum nnom_dtype {
    NNOM_DTYPE_NONE = 0, /**< no element type: what nnom_model_dtype(NULL) returns */
    NNOM_DTYPE_S8 = 1,  /**< int8 activations, TFLite int8 quantisation */
    NNOM_DTYPE_F32 = 2, /**< float32 activations and weights (reference, calibration) */
    NNOM_DTYPE_FORCE_32BIT = NNOM_ENUM_FORCE_32BIT /**< not a value: keeps the enum 4 bytes wide */
} nnom_dtype;

/**
 * Layer types. The value is stored in .nnom files: never renumber, only append.
 *
 * Blob slots per type (s8 / f32):
 *  - CONV1D, CONV2D: s8: 0 weights int8 [out][kh][kw][in] (with cell_flags NNOM_CONV_CHANNEL_PAIRS:
 *    in channel pairs, docs/format.md), 1 bias int32 [out] (may be empty),
 *    2 multiplier int32 [out], 3 shift int32 [out]. f32: 0 weights float, 1 bias float (may be empty).
 *    Parameters: kernel, stride, dilation, padding, units (= filters), activation, cell_flags; with
 *    NNOM_PADDING_EXPLICIT also pad (1D: left and right only; zero otherwise).
 *  - DEPTHWISE_CONV1D/2D: s8: 0 weights int8 [kh][kw][in*mult] (Keras order), 1 bias int32 [in*mult],
 *    2 multiplier, 3 shift (per output channel). f32: 0 weights, 1 bias.
 *    Parameters: kernel, stride, dilation, padding, units (= depth multiplier), activation; pad as
 *    for CONV2D.
 *  - DENSE: s8: 0 weights int8 [out][in] (with cell_flags NNOM_DENSE_ROW_PAIRS: in row pairs,
 *    docs/format.md), 1 bias int32 [out], 2 multiplier, 3 shift (per output,
 *    or a single entry for per-tensor). f32: 0 weights float [out][in], 1 bias float.
 *    Parameters: units, activation, cell_flags. The input may have any rank; it is read flat.
 *  - MAX_POOL1D/2D, AVG_POOL1D/2D: kernel (pool size), stride, padding. MAX_POOL: no blobs;
 *    s8: output quantisation must equal the input's.
 *  - GLOBAL_MAX_POOL, GLOBAL_AVG_POOL: reduce H and W, output rank 1 (C). GLOBAL_MAX_POOL: no
 *    blobs; s8: same quantisation.
 *  - AVG_POOL1D/2D, GLOBAL_AVG_POOL, s8: either no blobs and the input's quantisation, or
 *    0 int32[2] = {multiplier, shift} ~ input scale / output scale, made by
 *    nnom_quant_avg_pool_params(), and a quantisation of their own: each window's sum, zero point
 *    removed, is requantised to output steps, then divided by its count (rounded half away from
 *    zero); see docs/format.md. f32: no blobs.
 *  - ADD, SUBTRACT: two inputs, the same shape, or the second a per-channel vector (rank 1, C).
 *    s8: 0 int32[6] = {multiplier1, shift1,
 *    multiplier2, shift2, out_multiplier, out_shift} as made by nnom_quant_add_params().
 *  - MULTIPLY: two inputs, the same shape, or the second a per-channel vector (rank 1, C)
 *    broadcast over H and W. s8: 0 int32[2] = {out_multiplier, out_shift}.
 *  - CONCATENATE: 1 to NNOM_MAX_INPUTS inputs, equal except on `axis`.
 *    s8: 0 int32[2 * n_inputs] = {multiplier, shift} per input; multiplier 0 means a plain copy
 *    (the input shares the output's quantisation).
 *  - FLATTEN: output rank 1. RESHAPE: shape_rank/shape give the target. Both are views (no copy).
 *  - ZERO_PADDING1D/2D, CROPPING1D/2D: pad = {top, bottom, left, right}. s8: same quantisation;
 *    padding writes the zero point.
 *  - UPSAMPLING1D/2D: size = {h, w} factors, nearest neighbour. s8: same quantisation.
 *  - RELU, RELU6, LEAKY_RELU (alpha), SIGMOID, TANH, HARD_SIGMOID: element-wise.
 *    s8: 0 int8[256] lookup table indexed by (input + 128), made by nnom_quant_activation_table().
 *  - SOFTMAX: over the axis `axis` counted from the end: 0 or -1 the last (0 in files before 1.8),
 *    -2, -3 the ones before it. s8: 0 uint32[256] exp table made by nnom_quant_softmax_table(),
 *    or int32[512]: TFLite's fixed-point softmax tables (the .tflite importer; docs/format.md);
 *    the output quantisation must be scale 1/256, zero point -128.
 *  - INPUT: shape and quantisation given; no data. OUTPUT: a view of its single input that marks a
 *    model output (outputs are numbered in the order their OUTPUT layers were added).
 *  - SIMPLE_RNN, GRU, LSTM: recurrent layers over an input of rank 2 (steps, features); the
 *    output is (steps, units) with NNOM_RNN_RETURN_SEQUENCES, else (units), the last state.
 *    Parameters: units, cell_flags (::nnom_rnn_flag), activations (NNOM_RNN_ACTIVATIONS()).
 *    G gates per unit, in Keras' order: SIMPLE_RNN 1; GRU 3 (z, r, h); LSTM 4 (i, f, c, o).
 *    Row g * units + u of a kernel is gate g of unit u (the transpose of Keras' (in, G*units)).
 *    f32: 0 kernel float [G*units][features], 1 recurrent kernel float [G*units][units],
 *    2 bias float [G*units] (GRU with NNOM_RNN_RESET_AFTER: [2][3*units], the input bias then
 *    the recurrent bias), or empty for none.
 *    s8: int8 input and output, int16 state and gates. 0 kernel int8 [G*units][features] and
 *    1 recurrent kernel int8 [G*units][units], symmetric per row; 2 bias int32 [G*units] at scale
 *    input scale x kernel row scale (GRU with RESET_AFTER: [2][3*units], the second half at
 *    h scale x recurrent row scale), or empty; 3 int32 [4][G*units]: the multipliers and shifts
 *    taking each row's input sum and recurrent sum to the pre-activation scale (row-major:
 *    input multipliers, input shifts, recurrent multipliers, recurrent shifts); 4 int16
 *    [T][513] activation tables made by nnom_quant_rnn_table(): T = 1 (SIMPLE_RNN: activation,
 *    pre-activation -> h), 2 (GRU: + recurrent activation, pre-activation -> Q15 gate) or 3
 *    (LSTM: + activation, c -> Q15 or its own scale); 5 int32 [16] constants, see
 *    ::nnom_rnn_const. The recurrent activation of GRU and LSTM must be bounded (sigmoid,
 *    hard_sigmoid or tanh): gates are Q15.
 *    LSTM with NNOM_RNN_TFLITE (int8 only, file format 1.6): TFLite's integer LSTM
 *    (kernels/lstm_tflite.h): blobs 0 to 2 as above (bias at input scale x gate kernel scale),
 *    3 the requantisation pairs to the gate scale 2^-12, 4 empty, 5 constants with MIX (i g -> c),
 *    HID (o tanh(c) -> h) and the NNOM_RNN_TFL_* words; the c scale a power of two; activations
 *    tanh and sigmoid; no GO_BACKWARDS. The state h is held as the int8 hidden value minus its
 *    zero point; the output is the int8 hidden state itself (the output pair is unused, zero).
 *    The layer keeps its state (h; LSTM: h then c) in the model's state memory, outside the
 *    arena (see nnom_model_state()); a run starts from zero unless NNOM_RNN_STATEFUL is set.
 *  - RNN_STATE: the state a recurrent layer (its single input) holds after the run, as a vector
 *    (units): Keras' return_state. Parameter axis: which state vector, 0 h, 1 c (LSTM). f32: no
 *    blobs. s8: 0 int32[2] = {multiplier, shift} taking the int16 state (scale: constant
 *    NNOM_RNN_H_SCALE or NNOM_RNN_C_SCALE of the recurrent layer) to the output scale,
 *    y = sat8(rq(state, multiplier, shift) + y_zp).
 *  - ACTIVATION: an element-wise function, params.activation = ::nnom_function (file format 1.4).
 *    s8: 0 int8[256] lookup table indexed by (input + 128), made by nnom_quant_function_table().
 *    f32: 0 float[n] the function's constants, n = nnom_function_constants() (empty when 0).
 *  - PRELU: x >= 0 ? x : alpha x, alpha per channel (A = C values, broadcast over the positions) or per
 *    element (A = the element count); element i takes alpha[i % A] (file format 1.4).
 *    f32: 0 float alpha [A]. s8: 0 int8 alpha [A], symmetric at an alpha scale of its own;
 *    1 int32[4] = {multiplier, shift} of input scale / output scale (x >= zero point), then of
 *    input scale x alpha scale / output scale (below it): y = sat8(rq(x - x_zp) + y_zp), or
 *    sat8(rq((x - x_zp) alpha_q) + y_zp).
 *  - MINIMUM, MAXIMUM: two inputs, the same shape or the second a per-channel vector (rank 1, C), as
 *    ADD; fused relu/relu6. s8: 0 int32[4] = {multiplier1, shift1, multiplier2, shift2}, each input to
 *    the output scale as nnom_quant_concat_params() makes them (0, 0: the same quantisation) (file
 *    format 1.4).
 *  - CONV1D_TRANSPOSE, CONV2D_TRANSPOSE: transposed convolution, the blobs of CONV1D/2D. Parameters:
 *    kernel, stride, units (= filters), activation, pad = {top, bottom, left, right} cropped from the
 *    full output ((in - 1) x stride + kernel per axis); bottom and right may be negative (positions
 *    added past it, bias only: Keras' output_padding). Dilation 1 (file format 1.4).
 *  - CUSTOM: a user operator (nnom/user_op.h) found by name in nnom_options.op_registry when the
 *    model is compiled; a model whose operator is not registered is refused, naming it. 1 to
 *    NNOM_MAX_INPUTS inputs, as the operator allows. 0 the operator's name, NUL-terminated and
 *    zero-padded within NNOM_NAME_MAX bytes; 1 its constants, opaque to the runtime (may be
 *    empty); the other slots empty, every parameter zero. s8: the output quantisation is the
 *    layer's own; the operator's int8 kernel reads it and the inputs' in its nnom_user_call.
 *  - LAYER_NORM: layer normalisation over the last axis, y = gamma (x - mean) / sqrt(var + eps) + beta.
 *    Parameter alpha: epsilon. f32: 0 gamma float [C] or empty (1), 1 beta float [C] or empty (0).
 *    s8 (C at most 4096): 0 multipliers int32 [C], 1 shifts int32 [C] in [-31, 0], 2 biases int32 [C],
 *    3 int32[2] epsilon term (an int64, low word first), made by nnom_quant_layer_norm_params().
 *  - MATMUL: the matrix product of two activations, A (M, K) x B (K, N) -> (M, N), batched over the
 *    first dimension of rank-3 inputs (P, M, K) x (P, K, N) -> (P, M, N). cell_flags
 *    NNOM_MATMUL_TRANSPOSE_B: B is given as (N, K) / (P, N, K). Fused activation. s8: 0 int32[2] =
 *    {multiplier, shift} ~ A scale x B scale / output scale (nnom_quant_mul_params()), K <= 32768.
 *  - PERMUTE: reorders the axes of its input (Keras' Permute). shape_rank: the input's rank; shape[0 ..
 *    rank-1]: the permutation, output axis i is input axis shape[i] (0-based, batch excluded). No blobs;
 *    s8: same quantisation (file format 1.7).
 *  - SUM_POOL1D/2D, GLOBAL_SUM_POOL: the sum of each window's valid cells (of every position), with
 *    the parameters and shapes of AVG_POOL1D/2D, GLOBAL_AVG_POOL (NNoM's SumPool, GlobalSumPool; no Keras
 *    class). f32: no blobs. s8: 0 int32[2] = {multiplier, shift} ~ input scale / output scale
 *    (nnom_quant_avg_pool_params()), required: y = sat8(rq(S - n x_zp) + y_zp) (file format 1.7).
 */
typedef enum nnom_layer_type {
    NNOM_LAYER_INPUT = 0,
    NNOM_LAYER_OUTPUT = 1,
    NNOM_LAYER_CONV1D = 2,
    NNOM_LAYER_CONV2D = 3,
    NNOM_LAYER_DEPTHWISE_CONV1D = 4,
    NNOM_LAYER_DEPTHWISE_CONV2D = 5,
    NNOM_LAYER_DENSE = 6,
    NNOM_LAYER_MAX_POOL1D = 7,
    NNOM_LAYER_MAX_POOL2D = 8,
    NNOM_LAYER_AVG_POOL1D = 9,
    NNOM_LAYER_AVG_POOL2D = 10,
    NNOM_LAYER_GLOBAL_MAX_POOL = 11,
    NNOM_LAYER_GLOBAL_AVG_POOL = 12,
    NNOM_LAYER_ADD = 13,
    NNOM_LAYER_SUBTRACT = 14,
    NNOM_LAYER_MULTIPLY = 15,
    NNOM_LAYER_CONCATENATE = 16,
    NNOM_LAYER_FLATTEN = 17,
    NNOM_LAYER_RESHAPE = 18,
    NNOM_LAYER_ZERO_PADDING1D = 19,
    NNOM_LAYER_ZERO_PADDING2D = 20,
    NNOM_LAYER_CROPPING1D = 21,
    NNOM_LAYER_CROPPING2D = 22,
    NNOM_LAYER_UPSAMPLING1D = 23,
    NNOM_LAYER_UPSAMPLING2D = 24,
    NNOM_LAYER_RELU = 25,
    NNOM_LAYER_RELU6 = 26,
    NNOM_LAYER_LEAKY_RELU = 27,
    NNOM_LAYER_SIGMOID = 28,
    NNOM_LAYER_TANH = 29,
    NNOM_LAYER_HARD_SIGMOID = 30,
    NNOM_LAYER_SOFTMAX = 31,
    NNOM_LAYER_SIMPLE_RNN = 32,
    NNOM_LAYER_GRU = 33,
    NNOM_LAYER_LSTM = 34,
    NNOM_LAYER_RNN_STATE = 35,
    NNOM_LAYER_ACTIVATION = 36,
    NNOM_LAYER_PRELU = 37,
    NNOM_LAYER_MINIMUM = 38,
    NNOM_LAYER_MAXIMUM = 39,
    NNOM_LAYER_CONV1D_TRANSPOSE = 40,
    NNOM_LAYER_CONV2D_TRANSPOSE = 41,
    NNOM_LAYER_CUSTOM = 42,
    NNOM_LAYER_LAYER_NORM = 43,
    NNOM_LAYER_MATMUL = 44,
    NNOM_LAYER_PERMUTE = 45,
    NNOM_LAYER_SUM_POOL1D = 46,
    NNOM_LAYER_SUM_POOL2D = 47,
    NNOM_LAYER_GLOBAL_SUM_POOL = 48,
    NNOM_LAYER_TYPE_COUNT = 49,
    NNOM_LAYER_TYPE_FORCE_32BIT = NNOM_ENUM_FORCE_32BIT /**< not a value: keeps the enum 4 bytes wide */
} nnom_layer_type;

/** Padding mode of convolutions and pooling, with Keras' meaning. */
typedef enum nnom_padding {
    NNOM_PADDING_VALID = 0,
    NNOM_PADDING_SAME = 1, /**< output = ceil(input / stride); the extra row/column goes to the bottom/right */
    NNOM_PADDING_EXPLICIT = 2, /**< convolutions only (format 1.9): pad = {top, bottom, left, right} rows and columns
                                    of zeros (int8: the input's zero point) around the input, then VALID; each at
                                    most the dilated kernel's span - 1 (a folded ZeroPadding2D / PAD) */
    NNOM_PADDING_FORCE_32BIT = NNOM_ENUM_FORCE_32BIT /**< not a value: keeps the enum 4 bytes wide */
} nnom_padding;

/** An activation fused into the layer before it (conv, depthwise, dense, add, subtract, multiply). */
typedef enum nnom_activation {
    NNOM_ACT_NONE = 0,
    NNOM_ACT_RELU = 1,
    NNOM_ACT_RELU6 = 2,
    NNOM_ACT_FORCE_32BIT = NNOM_ENUM_FORCE_32BIT /**< not a value: keeps the enum 4 bytes wide */
} nnom_activation;

/**
 * The function of an ACTIVATION layer (nnom_layer_params::activation), with Keras' definitions.
 * "k" lists the float32 constants (blob 0) in order; the others take none.
 */
typedef enum nnom_function {
    NNOM_FN_ELU = 1,          /**< x > 0 ? x : alpha (exp(x) - 1); k = {alpha} */
    NNOM_FN_SELU = 2,         /**< 1.0507009873554805 * elu(x, 1.6732632423543772) */
    NNOM_FN_GELU = 3,         /**< x (1 + erf(x / sqrt 2)) / 2 */
    NNOM_FN_GELU_TANH = 4,    /**< x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) / 2 (approximate=True) */
    NNOM_FN_SILU = 5,         /**< x sigmoid(x) (swish) */
    NNOM_FN_HARD_SILU = 6,    /**< x relu6(x + 3) / 6 (hard_swish) */
    NNOM_FN_MISH = 7,         /**< x tanh(softplus(x)) */
    NNOM_FN_SOFTPLUS = 8,     /**< log(1 + exp(x)) */
    NNOM_FN_SOFTSIGN = 9,     /**< x / (1 + |x|) */
    NNOM_FN_EXPONENTIAL = 10, /**< exp(x) */
    NNOM_FN_LOG_SIGMOID = 11, /**< -softplus(-x) */
    NNOM_FN_CELU = 12,        /**< max(x, 0) + min(alpha (exp(x / alpha) - 1), 0); k = {alpha}, alpha > 0 */
    NNOM_FN_HARD_TANH = 13,   /**< clip(x, -1, 1) */
    NNOM_FN_RELU = 14,        /**< Keras' ReLU with options: y = x > t ? x : 0, then clip(y, 0, max_value) when clip
                                   is 1, then y -= negative_slope * max(t - x, 0);
                                   k = {negative_slope, t (threshold), max_value, clip (0 or 1)} */
    NNOM_FN_COUNT = 15,
    NNOM_FN_FORCE_32BIT = NNOM_ENUM_FORCE_32BIT /**< not a value: keeps the enum 4 bytes wide */
} nnom_function;

/** Number of float32 constants function @p fn takes (blob 0 of a float32 ACTIVATION); -1 if not a function. */
NNOM_API int32_t nnom_function_constants(nnom_function fn);
/** Lower-case name of @p fn ("elu", "gelu_tanh", ...); "unknown" for an invalid value. */
NNOM_API const char *nnom_function_name(nnom_function fn);

/** Bits of nnom_layer_params::cell_flags (recurrent layers). */
typedef enum nnom_rnn_flag {
    NNOM_RNN_RETURN_SEQUENCES = 1 << 0, /**< output every step (steps, units), not only the last (units) */
    NNOM_RNN_GO_BACKWARDS = 1 << 1,     /**< process the steps from the last to the first */
    NNOM_RNN_STATEFUL = 1 << 2,         /**< a run starts from the state the previous run left */
    NNOM_RNN_RESET_AFTER = 1 << 3,      /**< GRU: the reset gate applies after the recurrent matrix product
                                             (Keras 3's default); else before it */
    NNOM_RNN_INPUT_ORDER = 1 << 4,      /**< with GO_BACKWARDS and RETURN_SEQUENCES: output row t is the state
                                             after input step t (Keras' Bidirectional flips the backward
                                             sequence so); without it, row k is the k-th step processed */
    NNOM_RNN_TFLITE = 1 << 5,           /**< LSTM, int8 only (file format 1.6): TFLite's integer LSTM arithmetic,
                                             bit-exact with TFLite Micro (kernels/lstm_tflite.h); made by the
                                             .tflite importer */
    NNOM_RNN_FLAG_FORCE_32BIT = NNOM_ENUM_FORCE_32BIT /**< not a value: keeps the enum 4 bytes wide */
} nnom_rnn_flag;

/** nnom_layer_params::cell_flags of a MATMUL: its second input is transposed. */
#define NNOM_MATMUL_TRANSPOSE_B 1

/** nnom_layer_params::cell_flags of an int8 DENSE (file format 1.10): blob 0 holds the weights in
 *  row pairs, the layout of kernels/dense.h (NNOM_DENSE_PAIRS_BYTES), which the converter writes. */
#define NNOM_DENSE_ROW_PAIRS 1
/** nnom_layer_params::cell_flags of an int8 CONV1D/CONV2D (file format 1.11): blob 0 holds the
 *  weights in channel pairs, the layout of kernels/conv.h (NNOM_CONV_PAIRS_BYTES), which the
 *  converter writes for the layers whose Cortex-M kernel reads them so. */
#define NNOM_CONV_CHANNEL_PAIRS 1

/** An activation inside a recurrent cell, the bytes of nnom_layer_params::activations. */
typedef enum nnom_rnn_act {
    NNOM_RNN_ACT_TANH = 0,
    NNOM_RNN_ACT_SIGMOID = 1,
    NNOM_RNN_ACT_HARD_SIGMOID = 2,    /**< Keras 3: relu6(x + 3) / 6 */
    NNOM_RNN_ACT_HARD_SIGMOID_K2 = 3, /**< Keras 2 (tf.keras): clip(0.2 x + 0.5, 0, 1) */
    NNOM_RNN_ACT_RELU = 4,
    NNOM_RNN_ACT_LINEAR = 5,
    NNOM_RNN_ACT_COUNT = 6,
    NNOM_RNN_ACT_FORCE_32BIT = NNOM_ENUM_FORCE_32BIT /**< not a value: keeps the enum 4 bytes wide */
} nnom_rnn_act;

/** nnom_layer_params::activations of a recurrent layer: the cell activation (Keras' `activation`:
 *  SimpleRNN's output, GRU's candidate, LSTM's candidate and cell output) in bits 0-7, the gate
 *  activation (Keras' `recurrent_activation`, GRU and LSTM gates) in bits 8-15. Zero is tanh, tanh;
 *  Keras' default is NNOM_RNN_ACTIVATIONS(NNOM_RNN_ACT_TANH, NNOM_RNN_ACT_SIGMOID). */
#define NNOM_RNN_ACTIVATIONS(activation, recurrent) ((int32_t)(activation) | ((int32_t)(recurrent) << 8))

/**
 * Blob 5 of an int8 recurrent layer: int32 [NNOM_RNN_CONSTS], by index. Scales are IEEE-754 bits;
 * (multiplier, shift) pairs are as nnom_quant_multiplier() makes them. The int16 quantities are
 * symmetric: pre-activations at one scale per layer, h and c at theirs, gates (the recurrent
 * activation's output) at 2^-15 (Q15), the candidate (the activation's output) at the scale its
 * table writes: 2^-15 for bounded activations.
 */
typedef enum nnom_rnn_const {
    NNOM_RNN_H_SCALE = 0,      /**< f32 bits: scale of h (int16) */
    NNOM_RNN_C_SCALE = 1,      /**< f32 bits: scale of c (int16), LSTM; 0 otherwise */
    NNOM_RNN_OUT_MULT = 2,     /**< h -> int8 output: h scale / output scale */
    NNOM_RNN_OUT_SHIFT = 3,
    NNOM_RNN_MIX_MULT = 4,     /**< GRU: (1 - z) hh -> h, 2^-15 candidate scale / h scale;
                                    LSTM: i g -> c, 2^-15 candidate scale / c scale; SIMPLE_RNN: 0 */
    NNOM_RNN_MIX_SHIFT = 5,
    NNOM_RNN_HID_MULT = 6,     /**< LSTM: o act(c) -> h, 2^-15 table 2 output scale / h scale; else 0 */
    NNOM_RNN_HID_SHIFT = 7,
    NNOM_RNN_TFL_FORGET_MULT = 8,  /**< NNOM_RNN_TFLITE: f c -> c, 2^-15 (the multiplier pair of it) */
    NNOM_RNN_TFL_FORGET_SHIFT = 9,
    NNOM_RNN_TFL_CELL_CLIP = 10,   /**< NNOM_RNN_TFLITE: c is clipped to [-clip, clip]; 0: no clip */
    NNOM_RNN_TFL_H_ZERO_POINT = 11, /**< NNOM_RNN_TFLITE: zero point of the int8 hidden state */
    NNOM_RNN_CONSTS = 16,      /**< words 8 to 15 are reserved, zero (NNOM_RNN_TFLITE: 12 to 15) */
    NNOM_RNN_CONST_FORCE_32BIT = NNOM_ENUM_FORCE_32BIT /**< not a value: keeps the enum 4 bytes wide */
} nnom_rnn_const;

/**
 * Values inside a recurrent layer that float32 runs record for calibration when the model
 * observes them (nnom_model_observe_internals()); the index of each in
 * nnom_model_layer_internals().
 */
typedef enum nnom_rnn_internal {
    NNOM_RNN_INTERNAL_PRE = 0,       /**< every gate's pre-activation W x + U h + b (and a GRU's U h + b
                                          before its reset gate) */
    NNOM_RNN_INTERNAL_H = 1,         /**< the hidden state after each step */
    NNOM_RNN_INTERNAL_C = 2,         /**< the cell state after each step (LSTM) */
    NNOM_RNN_INTERNAL_CANDIDATE = 3, /**< the activation's output on the candidate (GRU hh, LSTM g;
                                          SIMPLE_RNN: h) */
    NNOM_RNN_INTERNAL_CELL_ACT = 4,  /**< LSTM: the activation of c */
    NNOM_RNN_INTERNALS = 5,
    NNOM_RNN_INTERNAL_FORCE_32BIT = NNOM_ENUM_FORCE_32BIT /**< not a value: keeps the enum 4 bytes wide */
} nnom_rnn_internal;

/** A shape without the batch dimension. */
typedef struct nnom_shape {
    int32_t rank;                 /**< 1 to NNOM_MAX_RANK */
    int32_t dims[NNOM_MAX_RANK];  /**< dims[0 .. rank-1]; the last is the channel count */
} nnom_shape;

/** Affine quantisation of a tensor: real = scale * (q - zero_point). Ignored for float32. */
typedef struct nnom_quant {
    float scale;        /**< real value of one step (> 0) */
    int32_t zero_point; /**< the int8 value that stands for real 0 */
} nnom_quant;

/**
 * Parameters of a layer. One struct serves every type; each type reads the
 * fields listed for it in ::nnom_layer_type and requires the rest to be zero
 * only where documented. Zero-initialise, then set what the layer uses.
 * Stored in .nnom files as NNOM_PARAM_WORDS little-endian 32-bit words in
 * field order (alpha as IEEE-754 bits): 23 words used, the last one reserved.
 */
typedef struct nnom_layer_params {
    int32_t kernel[2];    /**< window height, width (pooling: pool size) */
    int32_t stride[2];    /**< 0 is read as 1 */
    int32_t dilation[2];  /**< 0 is read as 1 */
    int32_t padding;      /**< ::nnom_padding */
    int32_t units;        /**< conv filters, dense units, depthwise depth multiplier */
    int32_t pad[4];       /**< zero padding / cropping, explicit conv padding: top, bottom, left, right */
    int32_t size[2];      /**< upsampling factors height, width */
    int32_t axis;         /**< concatenation axis in the input's own rank; negative counts from the end;
                               RNN_STATE: the state vector (0 h, 1 c) */
    int32_t shape_rank;   /**< reshape target rank; PERMUTE: the input's rank */
    int32_t shape[NNOM_MAX_RANK]; /**< reshape target dims; PERMUTE: the permutation */
    int32_t activation;   /**< fused ::nnom_activation; ACTIVATION layers: the ::nnom_function */
    float alpha;          /**< LeakyReLU negative slope */
    int32_t cell_flags;   /**< recurrent layers: ::nnom_rnn_flag bits */
    int32_t activations;  /**< recurrent layers: NNOM_RNN_ACTIVATIONS(activation, recurrent_activation) */
} nnom_layer_params;

/** Number of 32-bit words a ::nnom_layer_params takes in a .nnom file (the rest is reserved, zero). */
#define NNOM_PARAM_WORDS 24

/** Constant data of a layer, used in place. The bytes must stay valid and
 *  unchanged as long as the model exists, and be 4-byte aligned. */
typedef struct nnom_blob {
    const void *data; /**< first byte (4-byte aligned); NULL for an empty blob */
    uint32_t size;    /**< in bytes */
} nnom_blob;

/** Lower-case name of a layer type, e.g. "conv2d"; "unknown" for an invalid value. */
NNOM_API const char *nnom_layer_type_name(nnom_layer_type type);

#ifdef __cplusplus
}
#endif
#endif /* NNOM_LAYERS_H */

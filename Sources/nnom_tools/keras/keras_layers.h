/*
 * Internal to the Keras class converters: what the family files share.
 *
 * One file per family converts the Keras classes of that family into planned nnom layers
 * (kr_plan); keras_classes.c maps each class_name to its converter:
 *
 *   keras_common.c       helpers below, InputLayer
 *   keras_activations.c  the inline `activation=` option; Activation, ReLU, LeakyReLU, ELU, PReLU, Softmax
 *   keras_conv.c         Conv, DepthwiseConv, SeparableConv, ConvTranspose (1D, 2D)
 *   keras_dense.c        Dense, BatchNormalization, Rescaling, Normalization
 *   keras_pooling.c      Max/AveragePooling and their global forms
 *   keras_merge.c        Add, Subtract, Multiply, Concatenate; the operations Add, Subtract, Multiply, Divide
 *                        (`x + 3.0`, keras.ops.*) of two tensors or of a tensor and a number
 *   keras_reshape.c      Flatten, Reshape, Permute, RepeatVector, ZeroPadding, Cropping, UpSampling,
 *                        identities, TimeDistributed, Masking
 *   keras_recurrent.c    SimpleRNN, GRU, LSTM, Bidirectional
 *   keras_layout.c       channels_first models: values held HWC, PERMUTEs where Keras' layout is read
 *
 * Each converter reads the layer's config (rejecting options it cannot reproduce exactly, with a
 * message naming the option and what is supported), reads and checks its weights against the
 * config and the input shape, converts them to the runtime's layouts, and plans the layers.
 * Tensors are channels-last without the batch dimension; a Keras axis counts the batch, so Keras
 * axis a is runtime axis a - 1.
 */
#ifndef NNOM_KERAS_LAYERS_H
#define NNOM_KERAS_LAYERS_H

#include <string.h>

#include "keras/keras_internal.h"

/* ------------------------------------------------------------------ the layer being converted */

static inline const char *kr_cls(const kr_ctx *x) { return x->layer->cls; }
static inline const cJSON *kr_cfg(const kr_ctx *x) { return x->layer->config; }
static inline int kr_is_cls(const kr_ctx *x, const char *name) { return strcmp(kr_cls(x), name) == 0; }

/* ------------------------------------------------------------------ shapes */

static inline nnom_shape kr_shape1(int32_t a) { nnom_shape s = {1, {a, 0, 0}}; return s; }
static inline nnom_shape kr_shape2(int32_t a, int32_t b) { nnom_shape s = {2, {a, b, 0}}; return s; }
static inline nnom_shape kr_shape3(int32_t a, int32_t b, int32_t c) { nnom_shape s = {3, {a, b, c}}; return s; }
static inline int32_t kr_channels(const nnom_shape *s) { return s->dims[s->rank - 1]; }
int64_t kr_count_of(const nnom_shape *s);
int kr_same_shape(const nnom_shape *a, const nnom_shape *b);
/* Keras' output length of a window: padding "valid" or "same". <= 0 when the window does not fit. */
int32_t kr_window_out(int32_t in, int32_t k, int32_t s, int32_t d, int same);

/* ------------------------------------------------------------------ config options */

/* An integer option: a number, or a list of @p n numbers (a single number is repeated). */
nnom_status kr_cfg_ints(kr_ctx *x, const char *key, int n, int32_t *out, int32_t def);
int kr_cfg_bool(const kr_ctx *x, const char *key, int def);
/* A number option (or a list of one); @p def when absent or null. */
nnom_status kr_cfg_number(kr_ctx *x, const char *key, double def, double *out);
const char *kr_cfg_string(const kr_ctx *x, const char *key, const char *def);
nnom_status kr_check_channels_last(kr_ctx *x);
/* Fails unless @p v has rank @p rank (@p what names the axes, e.g. "steps, features"). */
nnom_status kr_check_rank(kr_ctx *x, const kr_value *v, int rank, const char *what);
/* Fails unless option @p key (default @p def) names the last axis of @p in. */
nnom_status kr_check_last_axis(kr_ctx *x, const kr_value *in, const char *key, int32_t def);

/* ------------------------------------------------------------------ weights */

/* Reads the layer's weights; fails unless there are @p n_expected arrays (@p names lists them). */
nnom_status kr_read_weights(kr_ctx *x, kr_weights *w, int n_expected, const char *names);
/* Checks array @p i against the shape the config and input imply; frees @p w on failure. */
nnom_status kr_check_dims(kr_ctx *x, kr_weights *w, int i, const char *what, int rank, const int64_t *dims);
nnom_status kr_check_vector(kr_ctx *x, kr_weights *w, int i, const char *what, int64_t n);
/* Keras (kh, kw, in, out) -> [out][kh][kw][in] (Dense: kh = kw = 1). */
void kr_kernel_to_ohwi(const float *src, float *dst, int32_t kh, int32_t kw, int32_t cin, int32_t cout);
/* Option @p key: a number or a list of 1 or @p C numbers (one per channel) into @p out[C]; @p def when absent. */
nnom_status kr_per_channel(kr_ctx *x, const char *key, double def, int32_t C, double *out);
/* @p n floats in converter memory, or NULL with the failure recorded in x->status. */
float *kr_alloc_floats(kr_ctx *x, size_t n);

/* ------------------------------------------------------------------ planning */

/* A weighted layer (conv, depthwise, dense): blobs from converter memory. Returns its plan or -1. */
int kr_plan_weighted(kr_ctx *x, nnom_layer_type type, const char *suffix, int input, const nnom_layer_params *p,
                     nnom_shape shape, float *w, size_t w_count, float *b, int32_t n_oc, int oc_last);
/* out = x * scale[c] + bias[c] per channel, as a 1x1 depthwise convolution (multiplier 1). A vector
 * input is viewed as (1, 1, C) around it. @p scale and @p bias are copied. Returns the last plan or -1. */
int kr_plan_affine(kr_ctx *x, const char *suffix, int input, nnom_shape shape, const double *scale,
                   const double *bias);
/* The layer's inline `activation=` option applied after plan @p cur; sets out->fold when linear
 * (and @p foldable: a weighted layer whose output a BatchNormalization may still fold into). */
nnom_status kr_finish_with_activation(kr_ctx *x, int cur, nnom_shape shape, int foldable, kr_value *out);

/* ------------------------------------------------------------------ the converters (kr_build_fn) */

#define KR_BUILD(name) nnom_status kr_build_##name(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
KR_BUILD(conv);
KR_BUILD(depthwise);
KR_BUILD(separable);
KR_BUILD(conv_transpose);
KR_BUILD(dense);
KR_BUILD(batchnorm);
KR_BUILD(rescaling);
KR_BUILD(normalization);
KR_BUILD(pool);
KR_BUILD(global_pool);
KR_BUILD(merge);
KR_BUILD(operation);
KR_BUILD(concatenate);
KR_BUILD(flatten);
KR_BUILD(reshape);
KR_BUILD(pad_crop);
KR_BUILD(upsampling);
KR_BUILD(identity);
KR_BUILD(masking);
KR_BUILD(permute);
KR_BUILD(repeat_vector);
KR_BUILD(time_distributed);
KR_BUILD(activation);
KR_BUILD(relu);
KR_BUILD(leaky_relu);
KR_BUILD(elu);
KR_BUILD(prelu);
KR_BUILD(softmax);
KR_BUILD(rnn);
KR_BUILD(bidirectional);
#undef KR_BUILD

#endif /* NNOM_KERAS_LAYERS_H */

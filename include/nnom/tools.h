/**
 * @file tools.h
 * @brief Host tools: Keras model reader, calibration, int8 quantiser, writers
 *        of .nnom files and weights.h, and NumPy .npy/.npz input/output.
 *
 * Part of libnnom when it is built with tools (the default on a PC); never
 * part of a firmware build. Needs libhdf5, libzip and cJSON.
 *
 * The one-line path from a Keras file to an int8 model:
 *
 *     nnom_converter *c;
 *     nnom_error err;
 *     if (nnom_convert_keras("model.keras", calib, n_samples, NULL, &c, &err) != NNOM_OK)
 *         puts(err.message);    // e.g. "layer 'attn' (class MultiHeadAttention) is not supported; supported: ..."
 *     nnom_converter_save(c, "model.nnom");
 *     nnom_converter_write_header(c, "weights.h", "digits");
 *     nnom_converter_destroy(c);
 *
 * Step by step: nnom_keras_read() builds the float32 model (the runtime's own
 * float kernels reproduce Keras); nnom_converter_quantize() calibrates it on
 * sample inputs and builds the int8 model; nnom_converter_report() compares
 * the two layer by layer.
 */
#ifndef NNOM_TOOLS_H
#define NNOM_TOOLS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "nnom/model.h"
#include "nnom/user_op.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A conversion in progress: owns the float32 model, the int8 model and all their weights. */
typedef struct nnom_converter nnom_converter;

/**
 * Reads a Keras model: a Keras 3 `.keras` file, or a legacy `.h5` written by
 * Keras 3 or by tf.keras (Keras 2). Builds and compiles the float32 model.
 * Unsupported layers, options or files are errors naming the layer, its class
 * and what is supported.
 */
NNOM_API nnom_status nnom_keras_read(const char *path, nnom_converter **out, nnom_error *err);

/**
 * nnom_keras_read() with user operators (nnom/user_op.h): a Keras layer of a class the reader does
 * not know becomes a CUSTOM layer when @p ops holds an operator of that class name, and a Lambda
 * layer when it holds one of the layer's name. The operator's infer() gives the output shape, its
 * float32 kernel runs in calibration; the float32 and int8 models use @p ops, which must outlive the
 * converter. @p ops NULL is nnom_keras_read().
 */
NNOM_API nnom_status nnom_keras_read_with_ops(const char *path, const nnom_op_registry *ops, nnom_converter **out,
                                              nnom_error *err);

/** Wraps an existing compiled float32 model (built by hand) for quantisation.
 *  The converter does not take ownership; @p model must outlive it. */
NNOM_API nnom_status nnom_converter_from_model(const nnom_model *model, nnom_converter **out, nnom_error *err);

/** The float32 model (owned by the converter; compiled, with no arena yet). */
NNOM_API nnom_model *nnom_converter_float_model(nnom_converter *c);

/** How activation ranges are chosen from calibration data. */
typedef enum nnom_calibration {
    NNOM_CALIBRATE_MINMAX = 0,     /**< the observed minimum and maximum */
    NNOM_CALIBRATE_PERCENTILE = 1, /**< clip to the given percentile of |values| on each side */
    NNOM_CALIBRATE_KL = 2,         /**< the clipping threshold minimising KL divergence (TensorRT's method) */
    NNOM_CALIBRATE_FORCE_32BIT = NNOM_ENUM_FORCE_32BIT /**< not a value: keeps the enum 4 bytes wide */
} nnom_calibration;

/** Quantiser options: initialise with nnom_quantize_options_init() or
 *  NNOM_QUANTIZE_OPTIONS_INIT (the defaults), then set what you need. */
typedef struct nnom_quantize_options {
    uint32_t struct_size;           /**< sizeof(nnom_quantize_options) as the caller was compiled; set by the init */
    int per_tensor;                 /**< 0 (default): weights per output channel; 1: one scale per tensor */
    nnom_calibration method;        /**< how ranges are chosen (default NNOM_CALIBRATE_MINMAX) */
    double percentile;              /**< for NNOM_CALIBRATE_PERCENTILE, e.g. 99.99 (0: 99.99) */
    /** Called after each calibration sample (may be NULL): done of total. */
    void (*progress)(void *ctx, size_t done, size_t total);
    void *progress_ctx;             /**< passed to progress */
    /** 0 (default): output channels of a conv or dense layer whose weights are all zero are removed
     *  and their constant output folded into the next layer's bias where that is exact (a 1x1 conv
     *  or dense reading them, possibly through depthwise, padding, pooling and views); the int8
     *  model's outputs are unchanged, bit for bit, the float32 model's up to float rounding (the
     *  converter's float32 model is then a pruned copy, which still reads the weights of the model
     *  it was made from). 1: keep them. See nnom_converter_removed_channels(). */
    int keep_dead_channels;
} nnom_quantize_options;

/** Initialiser of a nnom_quantize_options: the defaults, struct_size set. */
#define NNOM_QUANTIZE_OPTIONS_INIT { .struct_size = (uint32_t)sizeof(nnom_quantize_options) }

/** Sets @p o to the defaults and its struct_size (what NNOM_QUANTIZE_OPTIONS_INIT does). */
static inline void nnom_quantize_options_init(nnom_quantize_options *o)
{
    memset(o, 0, sizeof *o);
    o->struct_size = (uint32_t)sizeof *o;
}

/**
 * Calibrates the float model on @p n_samples inputs (for a single-input model:
 * n_samples x input count floats, sample-major; for several inputs, the inputs
 * of one sample follow each other) and builds the int8 model. @p options may be NULL; options
 * whose struct_size this library does not know (not set by nnom_quantize_options_init()) are
 * NNOM_ERR_ARGUMENT.
 */
NNOM_API nnom_status nnom_converter_quantize(nnom_converter *c, const float *samples, size_t n_samples,
                                             const nnom_quantize_options *options);

/**
 * Checks the shapes of calibration data before it is flattened for nnom_converter_quantize(): @p n_arrays
 * arrays, one per model input in the model's order; array i has rank ranks[i] and its dims (batch first)
 * follow those of array i-1 in @p dims. A sample must have the input's shape, dims of 1 aside ((N, 8, 8)
 * fits an (8, 8, 1) input, (N, 64) does not); an array of the input's own shape is one sample (a batch of
 * one). Every array needs the same batch, received in *@p n_samples.
 * Errors (NNOM_ERR_SHAPE) name the input, its expected shape and the shape given, and say when the shape
 * given is another input's (inputs in the wrong order).
 */
NNOM_API nnom_status nnom_converter_check_calibration(nnom_converter *c, int32_t n_arrays, const int32_t *ranks,
                                                      const int64_t *dims, size_t *n_samples);

/** How many output channels with all-zero weights nnom_converter_quantize() removed; *@p layers
 *  (may be NULL) receives from how many layers. 0 before quantising or with keep_dead_channels. */
NNOM_API int32_t nnom_converter_removed_channels(const nnom_converter *c, int32_t *layers);

/** How many zero paddings (ZeroPadding1D/2D, TFLite PAD) the conversion folded into the convolution
 *  that reads them (its explicit padding, .nnom 1.9): nnom_converter_quantize() and
 *  nnom_convert_tflite() fold each padding whose only reader is a convolution or depthwise
 *  convolution with valid padding and whose pads are at most its kernel's span - 1; outputs
 *  unchanged, bit for bit, one layer and its buffer fewer. 0 before quantising. */
NNOM_API int32_t nnom_converter_folded_paddings(const nnom_converter *c);

/** The int8 model (owned by the converter), after nnom_converter_quantize(). */
NNOM_API nnom_model *nnom_converter_int8_model(nnom_converter *c);

/** One row of the conversion report. */
typedef struct nnom_layer_report {
    const char *name;        /**< the int8 model's layer name */
    const char *type_name;   /**< nnom_converter_layer_type_name(): a Dense on a sequence is "dense" */
    double sqnr_db;          /**< 10 log10(signal / error) of int8 against float32; 200 when exact */
    float min;               /**< calibrated range of the float output: lowest */
    float max;               /**< and highest value */
} nnom_layer_report;

/**
 * Runs both models on @p n_samples inputs and fills @p rows (capacity
 * @p capacity; *@p count receives the number of layers) with per-layer SQNR.
 * For a classifier (one output of rank 1), *@p top1_agreement receives the
 * fraction of samples whose argmax agrees (may be NULL).
 */
NNOM_API nnom_status nnom_converter_report(nnom_converter *c, const float *samples, size_t n_samples,
                                           nnom_layer_report *rows, int32_t capacity, int32_t *count,
                                           double *top1_agreement);

/**
 * The Keras layer whose output nnom layer @p layer computes (the same index in the float32 and the int8
 * model), for comparing the two layer by layer: the LAST Keras layer folded or fused into it (a Conv2D
 * followed by BatchNormalization and ReLU gives one nnom layer computing the ReLU's output), "name@k" for
 * the k-th call of a shared layer. NULL when the layer computes no Keras layer's output by itself (a Dense
 * whose softmax became a layer of its own computes the Dense before its activation; the softmax layer
 * computes the Dense's output), for OUTPUT layers, and for models not read from Keras.
 */
NNOM_API const char *nnom_converter_keras_layer(const nnom_converter *c, int32_t layer);

/**
 * The type name reports give nnom layer @p layer (same index in both models): the Keras class's where the
 * runtime computes it with another type (a Dense on a sequence or an image runs as a 1x1 CONV1D or CONV2D,
 * named "dense" here), else nnom_layer_type_name() of its type. NULL for a bad index. Static strings.
 */
NNOM_API const char *nnom_converter_layer_type_name(const nnom_converter *c, int32_t layer);

/**
 * Signal-to-quantisation-noise ratio of test values against a reference, summed over any number of
 * tensors (samples, layers): SQNR = 10 log10(sum ref^2 / sum (ref - test)^2), in double precision. The
 * conversion report and every front end's layer comparison compute it here.
 */
typedef struct nnom_sqnr {
    double signal; /**< sum of ref^2 */
    double noise;  /**< sum of (ref - test)^2 */
} nnom_sqnr;

/** Adds @p n float32 test values against @p ref. */
NNOM_API void nnom_sqnr_add_f32(nnom_sqnr *acc, const float *ref, const float *test, size_t n);

/** Adds @p n int8 test values, dequantised as scale * (q - zero_point), against @p ref. */
NNOM_API void nnom_sqnr_add_s8(nnom_sqnr *acc, const float *ref, const int8_t *test, size_t n, float scale,
                               int32_t zero_point);

/** The ratio in dB, within [-200, 200]: 200 when there is no noise, -200 when the reference is all zero
 *  but the test is not. */
NNOM_API double nnom_sqnr_db(const nnom_sqnr *acc);

/** Writes the int8 model as a .nnom file. */
NNOM_API nnom_status nnom_converter_save(nnom_converter *c, const char *path);

/**
 * Writes a C header holding the int8 model's .nnom bytes as an aligned const
 * array and a `<name>_load()` function, for firmware. Its top comment says
 * what generated it and lists the layers. @p name must be a C identifier;
 * NULL or "" takes nnom_header_default_name() of @p path, the rule every
 * front end follows.
 */
NNOM_API nnom_status nnom_converter_write_header(nnom_converter *c, const char *path, const char *name);

/**
 * Writes the C header of nnom_converter_write_header() for any .nnom file
 * given as bytes (loaded to list its layers). @p source names where the model
 * came from in the top comment (may be NULL); @p name as there (NULL: from @p path).
 */
NNOM_API nnom_status nnom_write_header(const void *bytes, size_t size, const char *path, const char *name,
                                       const char *source, nnom_error *err);

/**
 * Writes the C header of nnom_converter_write_header() for a compiled @p model (saved with
 * nnom_model_save()): the way to write one for a model whose CUSTOM layers need user operators,
 * which nnom_write_header() cannot load without their registry. @p source and @p name as there.
 */
NNOM_API nnom_status nnom_write_model_header(nnom_model *model, const char *path, const char *name,
                                             const char *source, nnom_error *err);

/**
 * The C name of a header written to @p path when none is given: the file name without its extension,
 * each character that cannot be in a C identifier replaced by '_', a '_' before a leading digit, at most
 * 64 characters ("out/weights-v2.h" gives "weights_v2", "2net.h" "_2net"). Writes it NUL-terminated to
 * @p out (@p cap bytes, at least 2); returns its length.
 */
NNOM_API size_t nnom_header_default_name(const char *path, char *out, size_t cap);

/** The message of the last failure on @p c. */
NNOM_API const char *nnom_converter_last_error(const nnom_converter *c);

/** Frees the converter, its models and their weights. NULL is ignored. */
NNOM_API void nnom_converter_destroy(nnom_converter *c);

/** Reads, quantises with default options: the one-line conversion. */
NNOM_API nnom_status nnom_convert_keras(const char *path, const float *samples, size_t n_samples,
                                        const nnom_quantize_options *options, nnom_converter **out, nnom_error *err);

/* ------------------------------------------------------------- TFLite files */

/**
 * Converts an int8 TensorFlow Lite model (a `.tflite` file made with full-integer
 * quantisation) into nnom's int8 model, with no calibration: weights, biases,
 * scales and zero points come from the file, multipliers and shifts are derived
 * as TFLite's reference kernels derive them, and the result runs bit for bit as
 * TensorFlow Lite Micro runs the file. Subgraph 0 is read; a float32 input fed
 * to QUANTIZE and a DEQUANTIZE at an output become nnom's int8 input and output
 * (use nnom_model_set_input_f32() / nnom_model_get_output_f32()).
 *
 * The converter has an int8 model and no float model: nnom_converter_save() and
 * nnom_converter_write_header() work as after nnom_converter_quantize();
 * nnom_converter_quantize() and nnom_converter_report() do not apply.
 * An unsupported operator or data type is an error naming the operator, its
 * index and the supported operators; a malformed file is an error naming what
 * is wrong, never a crash. See docs/tflite.md.
 */
NNOM_API nnom_status nnom_convert_tflite(const char *path, nnom_converter **out, nnom_error *err);

/** nnom_convert_tflite() from the bytes of a .tflite file (not kept after the call).
 *  @p source names the model in messages and generated comments (may be NULL). */
NNOM_API nnom_status nnom_convert_tflite_bytes(const void *bytes, size_t size, const char *source,
                                               nnom_converter **out, nnom_error *err);

/** The TFLite operators nnom_convert_tflite() maps, their schema names separated by spaces. */
NNOM_API const char *nnom_tflite_supported_operators(void);

/* ------------------------------------------------------- user operator plugins */

/**
 * The function a plugin of user operators exports under this name: a shared library (built from the
 * application's C operators) whose operators a host tool such as `nnom --ops plugin.so` registers.
 * It returns the plugin's operators (which live as long as the library is loaded) and their count in
 * @p count; it calls nothing in libnnom, so the plugin needs only the headers.
 */
#define NNOM_OP_PLUGIN_ENTRY "nnom_plugin_ops"

/** The type of the function a plugin exports as NNOM_OP_PLUGIN_ENTRY. */
typedef const nnom_user_op *const *(*nnom_op_plugin_entry)(int32_t *count);

/** A loaded plugin of user operators (host only). */
typedef struct nnom_op_plugin nnom_op_plugin;

/**
 * Loads the shared library at @p path (dlopen) and registers every operator its NNOM_OP_PLUGIN_ENTRY
 * returns in @p reg. Errors name the file: NNOM_ERR_IO when it cannot be loaded, NNOM_ERR_UNSUPPORTED
 * when it exports no entry, the status of nnom_register_op() when an operator is refused (full
 * registry, duplicate name); on an error @p reg is left as it was and nothing stays loaded. The
 * operators stay valid until nnom_op_plugin_close(): close it only after every model and converter
 * using @p reg is destroyed.
 */
NNOM_API nnom_status nnom_op_plugin_open(const char *path, nnom_op_registry *reg, nnom_op_plugin **out,
                                         nnom_error *err);

/** How many operators @p plugin registered (0 for NULL). */
NNOM_API int32_t nnom_op_plugin_count(const nnom_op_plugin *plugin);

/** Unloads the plugin. NULL is ignored. */
NNOM_API void nnom_op_plugin_close(nnom_op_plugin *plugin);

/* ------------------------------------------------------------- NumPy files */

/** An array read from a .npy file, converted to float32 (C order). Free with nnom_array_free(). */
typedef struct nnom_array {
    float *data;            /**< count values, C order (owned: nnom_array_free()) */
    int32_t rank;           /**< number of dimensions used in dims */
    int64_t dims[8];        /**< dimensions, outermost first */
    int64_t count;          /**< number of elements */
    char name[64];          /**< the entry name without ".npy" when read from a .npz */
} nnom_array;

/** Reads a .npy file of any integer, bool or float dtype (little or big endian, C order). */
NNOM_API nnom_status nnom_npy_read(const char *path, nnom_array *out, nnom_error *err);

/** Reads array @p name (e.g. "x") from a .npz file (stored or deflated). */
NNOM_API nnom_status nnom_npz_read(const char *path, const char *name, nnom_array *out, nnom_error *err);

/** Writes float32 data as a .npy file. */
NNOM_API nnom_status nnom_npy_write_f32(const char *path, const float *data, int32_t rank, const int64_t *dims,
                                        nnom_error *err);

/** Writes int8 data as a .npy file. */
NNOM_API nnom_status nnom_npy_write_s8(const char *path, const int8_t *data, int32_t rank, const int64_t *dims,
                                       nnom_error *err);

/** Frees an array's data and zeroes it. NULL is ignored. */
NNOM_API void nnom_array_free(nnom_array *a);

#ifdef __cplusplus
}
#endif
#endif /* NNOM_TOOLS_H */

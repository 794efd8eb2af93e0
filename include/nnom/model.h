/**
 * @file model.h
 * @brief The model: build or load it, compile it once, run it in one arena.
 *
 * Life of a model:
 *
 *     nnom_model_load(bytes, size, NULL, &m, &err)     (or nnom_model_create + nnom_model_add_*)
 *     nnom_model_compile(m)                            shapes, order, memory plan
 *     nnom_model_arena_size(m)                         bytes of RAM the plan needs
 *     nnom_model_set_arena(m, buf, size)               or nnom_model_alloc_arena(m)
 *     nnom_model_set_input_f32(m, 0, x, n)             quantised with the input's own scale
 *     nnom_model_run(m)                                no allocation, no interpretation
 *     nnom_model_get_output_f32(m, 0, y, n)
 *     nnom_model_reset_state(m)                        recurrent models: forget the state
 *     nnom_model_destroy(m)
 *
 * A model is not thread-safe, but models share nothing: two models may run
 * in two threads at once, even when loaded from the same bytes.
 *
 * A NULL model is never dereferenced: functions returning ::nnom_status return
 * NNOM_ERR_ARGUMENT (with no message: there is no model to keep one in);
 * counts, sizes and totals are 0 (nnom_model_state_count(): -1, as for any
 * layer id that is not one); data pointers are NULL; nnom_model_dtype() is
 * NNOM_DTYPE_NONE; nnom_model_last_error() is "model is NULL";
 * nnom_model_destroy(), nnom_model_reset_stats() and nnom_model_allow_nonfinite()
 * do nothing.
 */
#ifndef NNOM_MODEL_H
#define NNOM_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "nnom/layers.h"
#include "nnom/port.h"
#include "nnom/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque model handle. */
typedef struct nnom_model nnom_model;

/* ------------------------------------------------------------------ building */

/**
 * Creates an empty model of element type @p dtype, to be filled with
 * nnom_model_add_input() and nnom_model_add_layer(). @p options may be NULL;
 * options whose struct_size this library does not know (not set by
 * nnom_options_init()) are NNOM_ERR_ARGUMENT, here and in nnom_model_load().
 * On failure *@p out is NULL and @p err (if not NULL) says why.
 */
NNOM_API nnom_status nnom_model_create(nnom_dtype dtype, const nnom_options *options, nnom_model **out,
                                       nnom_error *err);

/** Everything needed to add one layer: initialise with nnom_layer_desc_init() or
 *  NNOM_LAYER_DESC_INIT, then set what the layer uses. */
typedef struct nnom_layer_desc {
    uint32_t struct_size;                  /**< sizeof(nnom_layer_desc) as the caller was compiled; set by the init */
    nnom_layer_type type;                  /**< what the layer computes */
    const char *name;                      /**< unique, at most NNOM_NAME_MAX-1 bytes; NULL: generated */
    int32_t n_inputs;                      /**< how many of inputs[] are used */
    int32_t inputs[NNOM_MAX_INPUTS];       /**< ids of earlier layers */
    nnom_layer_params params;              /**< the type's parameters (see ::nnom_layer_type) */
    nnom_blob blobs[NNOM_MAX_BLOBS];       /**< used in place, see nnom_blob */
    nnom_quant quant;                      /**< output quantisation (int8 models) */
} nnom_layer_desc;

/** Initialiser of a nnom_layer_desc: all zero (an INPUT layer), struct_size set. */
#define NNOM_LAYER_DESC_INIT { .struct_size = (uint32_t)sizeof(nnom_layer_desc) }

/** Zeroes @p d and sets its struct_size (what NNOM_LAYER_DESC_INIT does). */
static inline void nnom_layer_desc_init(nnom_layer_desc *d)
{
    memset(d, 0, sizeof *d);
    d->struct_size = (uint32_t)sizeof *d;
}

/** Adds an input layer; its id (0, 1, ...) goes to @p id (may be NULL). */
NNOM_API nnom_status nnom_model_add_input(nnom_model *model, const char *name, nnom_shape shape,
                                          nnom_quant quant, int32_t *id);

/** Adds a layer whose inputs are earlier layers (layers run in the order added). A @p desc whose
 *  struct_size this library does not know (not set by nnom_layer_desc_init()) is NNOM_ERR_ARGUMENT. */
NNOM_API nnom_status nnom_model_add_layer(nnom_model *model, const nnom_layer_desc *desc, int32_t *id);

/**
 * Compiles the model: checks every layer's parameters and blobs, infers
 * shapes, plans the arena. Must be called once, after the last layer is added
 * and before the arena is set. A model must have at least one OUTPUT layer.
 * A plan whose arena (or recurrent state) would exceed
 * nnom_options.max_arena_bytes is refused with NNOM_ERR_NO_MEMORY. After a
 * failure nothing of the attempt is kept, and compile may be called again
 * (e.g. once the allocator has memory).
 */
NNOM_API nnom_status nnom_model_compile(nnom_model *model);

/**
 * Before compiling: keep every layer's output alive until the end of a run
 * (no sharing, nothing in place; the arena grows), so that
 * nnom_model_layer_output() can read any layer after a run. Used for
 * calibration and for per-layer comparisons between models.
 */
NNOM_API nnom_status nnom_model_keep_all_outputs(nnom_model *model, int keep);

/**
 * Before compiling a float32 model: make every run record the range of the
 * values inside layers that are no layer's output (recurrent layers: gate
 * pre-activations, hidden and cell states at every step; see
 * ::nnom_rnn_internal), for nnom_model_layer_internals(). Calibration uses it
 * to choose a recurrent layer's int16 scales. Costs a comparison per value.
 */
NNOM_API nnom_status nnom_model_observe_internals(nnom_model *model, int observe);

/**
 * The ranges recorded by runs of a model compiled with
 * nnom_model_observe_internals(), since compiling or nnom_model_reset_stats():
 * up to @p capacity (min, max) pairs of layer @p layer into @p min and @p max.
 * Returns how many values the layer observes (0 for most layers, and for any
 * layer of a model that does not observe); a range not seen yet is
 * (FLT_MAX, -FLT_MAX).
 */
NNOM_API int32_t nnom_model_layer_internals(const nnom_model *model, int32_t layer, float *min, float *max,
                                            int32_t capacity);

/** Frees the model and, if it allocated it, its arena. NULL is ignored. */
NNOM_API void nnom_model_destroy(nnom_model *model);

/** The message of the last failure on @p model ("" if none). Valid until the next call. */
NNOM_API const char *nnom_model_last_error(const nnom_model *model);

/* ------------------------------------------------------------ files (.nnom) */

/**
 * Loads a model from the bytes of a .nnom file and compiles it. The weights
 * are used in place: @p data must stay valid and unchanged while the model
 * lives, and be 4-byte aligned. Every offset, size, shape and the checksum
 * are checked; a bad file is an error with a message, never a crash.
 */
NNOM_API nnom_status nnom_model_load(const void *data, size_t size, const nnom_options *options,
                                     nnom_model **out, nnom_error *err);

/**
 * Serialises a compiled model into the .nnom format. With @p buffer NULL only
 * the size is computed. *@p size receives the bytes needed; NNOM_ERR_ARGUMENT
 * if @p capacity is smaller.
 */
NNOM_API nnom_status nnom_model_save(nnom_model *model, void *buffer, size_t capacity, size_t *size);

/** CRC-32 (IEEE 802.3, as zlib's crc32) of @p size bytes, continuing from @p crc (start with 0). */
NNOM_API uint32_t nnom_crc32(uint32_t crc, const void *data, size_t size);

/* ------------------------------------------------------------------ running */

/** Bytes of arena the compiled plan needs: all activations and scratch. */
NNOM_API size_t nnom_model_arena_size(const nnom_model *model);

/**
 * The lower bound of the compiled plan: the most bytes of activations and
 * scratch alive at any one layer (buffers written in place over each other
 * counted once). No placement of these buffers needs less; the difference
 * from nnom_model_arena_size() is what the placement loses to fragmentation.
 * 0 before compile.
 */
NNOM_API size_t nnom_model_arena_lower_bound(const nnom_model *model);

/**
 * Tiled execution of the memory peak. When it makes the arena smaller, compiling runs a stage of
 * consecutive layers tile by tile: a chain or small graph (residual blocks: paths that meet again in
 * an element-wise layer or a concatenation) of 2-D convolutions, depthwise convolutions, pools,
 * element-wise layers and zero paddings before convolutions. Each tile is a band of output rows of
 * the stage's last layer (the cut), computed from the bands of rows every earlier layer of the
 * stage needs (a layer read by two paths: the rows both need). The overlap between neighbouring
 * tiles (the halo) is, band by band, either computed again, or kept: the rows the next tile shares
 * stay in their band (kept_band_bytes, alive through the stage) and are computed once. Where bands
 * keep, the first tile may be shorter (fewer rows of the cut, or none: a warm-up tile that computes
 * only the rows the next tile keeps), so that it needs no larger bands than the others; and one band
 * may park its kept rows between tiles in the cut's output rows not written yet instead of the arena
 * (the last tiles, whose cut rows reach them, compute them again). Only the cut's
 * output and what the stage reads from before it exist whole; every other output of the stage lives
 * as one band at a time. Every output element
 * is computed by the same arithmetic as in the untiled run, so outputs are identical bit for bit.
 * The tiling is the one, among the stages through the untiled plan's peak, halos computed again or
 * kept, whose arena is the smallest (ties: fewer added MACs, then less added cost) while its added MACs stay
 * within nnom_options.tiling_max_extra_macs_percent of the model's MACs, and its added estimated
 * cost (MACs plus a fixed cost per output value and per layer call computed again) within the
 * same percentage of the model's estimated cost; a tiled plan gives each kernel its fast scratch,
 * so tiling slows no kernel down. None when no tiling
 * makes the arena smaller, when the option is NNOM_TILING_OFF, or with
 * nnom_model_keep_all_outputs(). It depends on shapes only, so it is the same on every target.
 */
typedef struct nnom_tiling_info {
    uint32_t struct_size;         /**< sizeof(nnom_tiling_info) as the caller was compiled */
    int32_t first_layer;          /**< the stage's first layer; -1: the model runs untiled */
    int32_t cut_layer;            /**< the stage's last layer, whose output exists whole */
    int32_t tiles;                /**< tiles per run (a warm-up tile included) */
    int32_t rows_per_tile;        /**< output rows of the cut per tile (the first and the last tile may have
                                       fewer; the first none: a warm-up) */
    uint32_t untiled_arena_bytes; /**< the arena of the same model planned without tiling */
    uint32_t saved_bytes;         /**< untiled_arena_bytes - nnom_model_arena_size() */
    uint64_t extra_macs;          /**< MACs the halos add per run (not in nnom_model_total_macs()); 0 when kept */
    uint32_t kept_band_bytes;     /**< bytes of the bands that keep the rows neighbouring tiles share (each
                                       then lives through the stage; rows parked in the cut's output not
                                       counted); 0: halos computed again, or none */
} nnom_tiling_info;

/** Initialiser of a nnom_tiling_info: struct_size set, the rest zero. */
#define NNOM_TILING_INFO_INIT { .struct_size = (uint32_t)sizeof(nnom_tiling_info) }

/** Zeroes @p info and sets its struct_size (what NNOM_TILING_INFO_INIT does). */
static inline void nnom_tiling_info_init(nnom_tiling_info *info)
{
    memset(info, 0, sizeof *info);
    info->struct_size = (uint32_t)sizeof *info;
}

/** Fills @p info (its struct_size set by the caller) with the compiled model's tiling;
 *  NNOM_ERR_STATE before compile. */
NNOM_API nnom_status nnom_model_tiling(const nnom_model *model, nnom_tiling_info *info);

/**
 * The compiled model's memory plan: the goal it was made for (nnom_options.plan_goal) and what that
 * chose. The smallest plan (NNOM_PLAN_SMALLEST) runs convolutions with a window in place and tiles
 * the peak wherever that makes the arena smaller; the fastest (NNOM_PLAN_FASTEST) does either only
 * when the arena without them (plain_arena_bytes) is more than max_arena_bytes.
 */
typedef struct nnom_plan_info {
    uint32_t struct_size;       /**< sizeof(nnom_plan_info) as the caller was compiled */
    int32_t goal;               /**< NNOM_PLAN_SMALLEST or NNOM_PLAN_FASTEST */
    int32_t windows_in_place;   /**< 1: convolutions with a window run in place (smaller, slower) */
    int32_t tiled;              /**< 1: the peak runs tile by tile (nnom_model_tiling()) */
    uint32_t arena_bytes;       /**< the plan's arena (nnom_model_arena_size()) */
    uint32_t plain_arena_bytes; /**< the arena with neither (the fastest plan) */
    uint32_t max_arena_bytes;   /**< the limit the plan had to fit (nnom_options.max_arena_bytes or its default) */
} nnom_plan_info;

/** Initialiser of a nnom_plan_info: struct_size set, the rest zero. */
#define NNOM_PLAN_INFO_INIT { .struct_size = (uint32_t)sizeof(nnom_plan_info) }

/** Zeroes @p info and sets its struct_size (what NNOM_PLAN_INFO_INIT does). */
static inline void nnom_plan_info_init(nnom_plan_info *info)
{
    memset(info, 0, sizeof *info);
    info->struct_size = (uint32_t)sizeof *info;
}

/** Fills @p info (its struct_size set by the caller) with the compiled model's plan;
 *  NNOM_ERR_STATE before compile. */
NNOM_API nnom_status nnom_model_plan(const nnom_model *model, nnom_plan_info *info);

/** Bytes that always hold nnom_plan_text()'s text, its NUL included. */
#define NNOM_PLAN_TEXT_MAX 160

/**
 * The plan @p info in words, for summaries and tools: its goal, what it uses and why, e.g.
 * "smallest (convolutions in place, tiled): the smallest arena (5888 bytes below the plain plan's
 * 46336)". Writes at most @p cap bytes into @p out, NUL-terminated (cut short if @p cap is below
 * NNOM_PLAN_TEXT_MAX); an empty text in runtimes built with NNOM_TERSE_ERRORS.
 */
NNOM_API void nnom_plan_text(const nnom_plan_info *info, char *out, size_t cap);

/**
 * Gives the model a caller-owned arena (4-byte aligned, at least
 * nnom_model_arena_size() bytes; NNOM_ERR_ARENA_TOO_SMALL otherwise). It may be
 * a static buffer; it must outlive its use by the model.
 */
NNOM_API nnom_status nnom_model_set_arena(nnom_model *model, void *arena, size_t size);

/** Allocates the arena once through the model's allocator. */
NNOM_API nnom_status nnom_model_alloc_arena(nnom_model *model);

/** Runs one inference. Needs a compiled model with an arena. */
NNOM_API nnom_status nnom_model_run(nnom_model *model);

/** Number of model inputs (0 for NULL). */
NNOM_API int32_t nnom_model_input_count(const nnom_model *model);
/** Number of model outputs (0 for NULL). */
NNOM_API int32_t nnom_model_output_count(const nnom_model *model);

/** Description of a model input or output tensor. */
typedef struct nnom_tensor_info {
    const char *name;    /**< the INPUT or OUTPUT layer's name */
    nnom_dtype dtype;    /**< element type (the model's) */
    nnom_shape shape;    /**< shape without the batch, channel last */
    nnom_quant quant;    /**< quantisation (int8 models) */
    int32_t count;       /**< number of elements */
    int32_t layer;       /**< id of the INPUT or OUTPUT layer */
} nnom_tensor_info;

/** Describes input @p index into *@p info; NNOM_ERR_ARGUMENT for a bad index. */
NNOM_API nnom_status nnom_model_input_info(const nnom_model *model, int32_t index, nnom_tensor_info *info);
/** Describes output @p index into *@p info; NNOM_ERR_ARGUMENT for a bad index. */
NNOM_API nnom_status nnom_model_output_info(const nnom_model *model, int32_t index, nnom_tensor_info *info);

/**
 * Direct pointer into the arena where input @p index is read (int8_t* or
 * float* depending on the model), or where output @p index is left after a
 * run. NULL without an arena or for a bad index. Valid until the next run.
 */
NNOM_API void *nnom_model_input_data(nnom_model *model, int32_t index);
/** Direct pointer to output @p index in the arena; see nnom_model_input_data(). */
NNOM_API const void *nnom_model_output_data(const nnom_model *model, int32_t index);

/** Copies @p count int8 values into input @p index (int8 models only). */
NNOM_API nnom_status nnom_model_set_input_s8(nnom_model *model, int32_t index, const int8_t *data, size_t count);
/** Copies float values into input @p index, quantising them with the input's quantisation for int8 models.
 *  A NaN or an infinity is refused (NNOM_ERR_ARGUMENT naming the input and the value's position, the input
 *  left unchanged) unless nnom_model_allow_nonfinite() lets them through. */
NNOM_API nnom_status nnom_model_set_input_f32(nnom_model *model, int32_t index, const float *data, size_t count);
/** @p allow non-zero: nnom_model_set_input_f32() takes NaN and infinities (an int8 model quantises NaN to
 *  the zero point and saturates infinities; a float32 model computes with them). 0 (the default): refuses. */
NNOM_API void nnom_model_allow_nonfinite(nnom_model *model, int allow);
/** Copies output @p index as int8 (int8 models only). */
NNOM_API nnom_status nnom_model_get_output_s8(nnom_model *model, int32_t index, int8_t *data, size_t count);
/** Copies output @p index as float, dequantised for int8 models. */
NNOM_API nnom_status nnom_model_get_output_f32(nnom_model *model, int32_t index, float *data, size_t count);

/* ------------------------------------------------------------ introspection */

/** Element type of the model (NNOM_DTYPE_NONE for NULL). */
NNOM_API nnom_dtype nnom_model_dtype(const nnom_model *model);

/** Number of layers (inputs and outputs included). */
NNOM_API int32_t nnom_model_layer_count(const nnom_model *model);

/** What the compiled model knows about one layer. The caller sets struct_size
 *  (nnom_layer_info_init() or NNOM_LAYER_INFO_INIT); nnom_model_layer_info() fills the rest. */
typedef struct nnom_layer_info {
    uint32_t struct_size;      /**< sizeof(nnom_layer_info) as the caller was compiled */
    const char *name;          /**< the layer's name (valid while the model lives) */
    nnom_layer_type type;      /**< what the layer computes */
    const char *type_name;     /**< nnom_layer_type_name() of type */
    int32_t n_inputs;          /**< how many of inputs[] are used */
    int32_t inputs[NNOM_MAX_INPUTS]; /**< ids of the layers it reads */
    nnom_shape shape;          /**< output shape */
    nnom_quant quant;          /**< output quantisation (int8 models) */
    nnom_layer_params params;  /**< the type's parameters */
    uint64_t macs;             /**< multiply-accumulates per inference */
    uint32_t weight_bytes;     /**< bytes of constant data (all blobs; UINT32_MAX if more) */
    uint32_t arena_offset;     /**< where the output lives in the arena */
    uint32_t arena_bytes;      /**< bytes of the output; in a tiled stage (nnom_model_tiling()), before its
                                    cut, the band holding one tile's rows */
    uint32_t scratch_offset;   /**< the layer's scratch buffer, if any */
    uint32_t scratch_bytes;    /**< bytes of that scratch buffer (0: none): the least the kernels need, as
                                    planned; a kernel that runs faster with more gets more where the arena
                                    has room during the layer (nnom_model_layer_scratch()) */
    int32_t in_place;          /**< 1 if the output shares its input's memory */
} nnom_layer_info;

/** Initialiser of a nnom_layer_info: struct_size set, the rest zero. */
#define NNOM_LAYER_INFO_INIT { .struct_size = (uint32_t)sizeof(nnom_layer_info) }

/** Zeroes @p info and sets its struct_size (what NNOM_LAYER_INFO_INIT does). */
static inline void nnom_layer_info_init(nnom_layer_info *info)
{
    memset(info, 0, sizeof *info);
    info->struct_size = (uint32_t)sizeof *info;
}

/**
 * The kernel sets a build of the runtime may run; scratch sizes, and so the memory plan,
 * depend on them. A model plans for the kernels of the build that compiles it (a PC's
 * portable kernels, a Cortex-M4's DSP kernels), so each plans the smallest arena valid for
 * itself; nnom_model_arena_size_for() tells on the PC what a firmware will plan.
 */
typedef enum nnom_kernels {
    NNOM_KERNELS_ANY = 0,          /**< a plan valid for every set below (each scratch the largest of theirs) */
    NNOM_KERNELS_PORTABLE = 1,     /**< the portable C kernels (PCs, cores without the DSP extension) */
    NNOM_KERNELS_CORTEX_M_DSP = 2, /**< the Cortex-M kernels for cores with the DSP extension (M4, M7, M33) */
    NNOM_KERNELS_FORCE_32BIT = NNOM_ENUM_FORCE_32BIT /**< not a value: keeps the enum 4 bytes wide */
} nnom_kernels;

/** The kernels of this build of the runtime (what its plans are for). */
NNOM_API nnom_kernels nnom_build_kernels(void);

/**
 * The arena a build running @p kernels plans for this compiled model (nnom_model_arena_size()
 * is this build's): the model is planned again for them and then for its own kernels, through
 * its allocator (a host tool's call: with a ::nnom_pool the first plan's memory is not
 * returned). 0 for a bad argument or a plan that fails (see nnom_model_last_error()).
 */
NNOM_API size_t nnom_model_arena_size_for(nnom_model *model, nnom_kernels kernels);

/**
 * Scratch of layer @p layer of a compiled model with the kernels @p kernels: *least (if not
 * NULL) the bytes they need to run at all, *fast (if not NULL) the bytes with which they run at
 * full speed. The plan reserves the least of the build's kernels (nnom_layer_info.scratch_bytes)
 * and gives a layer up to its fast size where the arena has room during it. Both 0 for a layer
 * without scratch.
 */
NNOM_API nnom_status nnom_model_layer_scratch(const nnom_model *model, int32_t layer, nnom_kernels kernels,
                                              uint32_t *least, uint32_t *fast);

/** Fills @p info (its struct_size set by the caller, which it keeps) for layer @p layer. */
NNOM_API nnom_status nnom_model_layer_info(const nnom_model *model, int32_t layer, nnom_layer_info *info);

/** Constant data of one layer (for writers and tools). */
NNOM_API nnom_status nnom_model_layer_blobs(const nnom_model *model, int32_t layer, nnom_blob blobs[NNOM_MAX_BLOBS]);

/**
 * After a run: the output of layer @p layer (int8_t* or float*, the layer's
 * shape), or NULL if it may have been overwritten (only model outputs, views
 * of them, and every layer of a model compiled with nnom_model_keep_all_outputs()
 * are kept).
 */
NNOM_API const void *nnom_model_layer_output(const nnom_model *model, int32_t layer);

/**
 * After a run: copies the output of layer @p layer as float (dequantised with
 * the layer's own quantisation in int8 models) into @p data; @p count must be
 * the layer's element count. NNOM_ERR_STATE if the output may have been
 * overwritten (see nnom_model_layer_output()), NNOM_ERR_ARGUMENT for a bad
 * layer id or count.
 */
NNOM_API nnom_status nnom_model_layer_output_f32(const nnom_model *model, int32_t layer, float *data, size_t count);

/** Per-layer statistics accumulated over runs. */
typedef struct nnom_layer_stats {
    uint64_t macs;      /**< per inference */
    uint32_t runs;      /**< number of inferences since the last reset */
    uint64_t time_us;   /**< total time over those runs (0 without a timer hook) */
} nnom_layer_stats;

/** Statistics of layer @p layer into *@p stats; NNOM_ERR_ARGUMENT for a bad id. */
NNOM_API nnom_status nnom_model_layer_stats(const nnom_model *model, int32_t layer, nnom_layer_stats *stats);
/** Total MACs of one inference. */
NNOM_API uint64_t nnom_model_total_macs(const nnom_model *model);
/** Bytes of constant data of all layers (what the weights take in flash). */
NNOM_API size_t nnom_model_weight_bytes(const nnom_model *model);
/** Zeroes run counts and times, and forgets the ranges nnom_model_layer_internals() reports. */
NNOM_API void nnom_model_reset_stats(nnom_model *model);

/* ------------------------------------------------------------ recurrent state */

/*
 * Recurrent layers (SIMPLE_RNN, GRU, LSTM) keep their state (h; LSTM: h and
 * c) in a small block of state memory the model allocates once, at compile,
 * through its allocator: it is not part of the arena, whose buffers layers
 * reuse within a run. A stateful layer (NNOM_RNN_STATEFUL) starts each run
 * from the state the previous run left, as Keras' stateful RNNs do across
 * predict() calls; the others start from zero. After a run, every recurrent
 * layer's state is its last one.
 */

/** Bytes of state memory of the compiled model (0 without recurrent layers). */
NNOM_API size_t nnom_model_state_size(const nnom_model *model);

/** Zeroes the state of every recurrent layer: stateful layers start afresh (Keras' reset_states()). */
NNOM_API nnom_status nnom_model_reset_state(nnom_model *model);

/** Number of state vectors of layer @p layer (0 if it has none) and, in *@p length (may be NULL), the
 *  number of values of each (the layer's units). -1 (and *@p length 0) when @p layer is not a layer id of
 *  the model, or the model is NULL or not compiled. */
NNOM_API int32_t nnom_model_state_count(const nnom_model *model, int32_t layer, int32_t *length);

/** Copies state vector @p which (0: h, 1: c of an LSTM) of layer @p layer as float (dequantised for int8
 *  models, whose states are int16). @p count must be the vector's length. */
NNOM_API nnom_status nnom_model_state(nnom_model *model, int32_t layer, int32_t which, float *data, size_t count);

/** Sets state vector @p which of layer @p layer (quantised and saturated for int8 models): a stateful
 *  layer's next run starts from it. */
NNOM_API nnom_status nnom_model_set_state(nnom_model *model, int32_t layer, int32_t which, const float *data,
                                          size_t count);

#ifdef __cplusplus
}
#endif
#endif /* NNOM_MODEL_H */

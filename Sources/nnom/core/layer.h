/*
 * Internal: what a layer type provides to the graph compiler and executor.
 *
 * Adding a layer type touches: its file in layers/ (one nnom_layer_ops),
 * its line in core/layer_table.c, its enum value in include/nnom/layers.h,
 * and its tests. Nothing else in the runtime knows about individual types.
 */
#ifndef NNOM_CORE_LAYER_H
#define NNOM_CORE_LAYER_H

#include <stddef.h>
#include <stdint.h>
#include "nnom/model.h"

/* Canonical 3-D view of a shape: (h, w, c); lower ranks have h = 1 (and w = 1). */
typedef struct nnom_dims {
    int32_t h, w, c;
} nnom_dims;

/*
 * What a layer is, as a .nnom layer record lays it out (format/format.h, docs/format.md): the
 * record of a loaded model is read in place (from flash or the caller's buffer), with its blob
 * table of file offsets; a layer made with the builder owns a copy whose blob table holds its
 * blobs instead (nnom_blob[NNOM_MAX_BLOBS], nnom_owned_blobs()). Little-endian hosts only (the loader checks), records 4-byte
 * aligned: the fields are the record's bytes.
 */
typedef struct nnom_layer_def {
    uint16_t type;
    uint16_t n_inputs;
    uint8_t reserved[4];
    char name[NNOM_NAME_MAX];            /* NUL-terminated */
    uint16_t inputs[NNOM_MAX_INPUTS];    /* layer ids (a model has at most NNOM_MAX_LAYERS layers) */
    nnom_shape shape;                    /* output shape: given for INPUT, inferred (loaded: checked) for the others */
    nnom_quant quant;                    /* output quantisation */
    nnom_layer_params params;
    uint32_t reserved_param;             /* the record's last parameter word */
    uint32_t blob_at[NNOM_MAX_BLOBS][2]; /* loaded: file offset and size of each blob; owned: see nnom_owned_blobs() */
} nnom_layer_def;

/* The most layers a model may have: layer ids are uint16_t (nnom_layer_def.inputs). */
#define NNOM_MAX_LAYERS UINT16_MAX

/* nnom_layer.flags */
enum {
    NNOM_LAYER_KEPT = 1u << 0,      /* the output lives to the end of a run: nothing writes over it */
    NNOM_LAYER_HAS_STATE = 1u << 1  /* recurrent state in the model's state memory (nnom_model.state_offset) */
};

/*
 * A layer inside a model. Bookkeeping RAM matters on a microcontroller: the name, inputs, output
 * shape and quantisation, parameters and blobs of a loaded layer are read in place from its .nnom
 * record (def); the layer keeps the plan's offsets and what its run reads most. Rarely used
 * per-layer data (recurrent state offsets, observed ranges, user operators, times) lives in tables
 * of the model that exist only when a model needs them.
 *
 * def is written only while the layer's shape is inferred at compile, where a loaded layer's def is
 * a copy of its record on the stack (core/model.c); after that the record is read only.
 */
typedef struct nnom_layer {
    nnom_layer_def *def;
    const uint8_t *blob_base; /* loaded: the file (blob offsets count from it); NULL: def is owned (nnom_owned_blobs()) */
    uint32_t out_offset;      /* the output's offset in the arena */
    uint32_t scratch_offset;  /* the scratch's offset in the arena */
    uint32_t scratch_bytes;   /* scratch the kernel gets (the plan may give more than the least); 0: none */
    uint8_t type;             /* nnom_layer_type */
    uint8_t n_inputs;         /* at most NNOM_MAX_INPUTS */
    uint8_t in_place;         /* the output is written over input 0 (or is a view of it) */
    uint8_t flags;            /* NNOM_LAYER_KEPT, NNOM_LAYER_HAS_STATE */
    int8_t act_lo, act_hi;    /* int8 output clamp from the fused activation (s8 models) */
} nnom_layer;

/* Layers' accessors that runs call: inlined even where a build optimises for size (a call returning
 * a struct costs more than the few loads inside). */
#if defined(__GNUC__) || defined(__clang__)
#define NNOM_ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define NNOM_ALWAYS_INLINE static inline
#endif

/* The blob table of a layer that owns its def (blob_base NULL): in place of the def's blob_at, which
 * only records use (the def's block is made that much longer where pointers take 8 bytes). */
#define NNOM_OWNED_DEF_BYTES (offsetof(nnom_layer_def, blob_at) + sizeof(nnom_blob) * NNOM_MAX_BLOBS)
NNOM_ALWAYS_INLINE const nnom_blob *nnom_owned_blobs(const nnom_layer *l)
{
    return (const nnom_blob *)(const void *)l->def->blob_at;
}

/* Bytes of blob @p k of a layer. */
NNOM_ALWAYS_INLINE uint32_t nnom_blob_size(const nnom_layer *l, int k)
{
    return l->blob_base ? l->def->blob_at[k][1] : nnom_owned_blobs(l)[k].size;
}

/* First byte of blob @p k of a layer, NULL when it is empty. */
NNOM_ALWAYS_INLINE const void *nnom_blob_data(const nnom_layer *l, int k)
{
    if (!l->blob_base) return nnom_owned_blobs(l)[k].data;
    return l->def->blob_at[k][1] ? l->blob_base + l->def->blob_at[k][0] : NULL;
}

/* Blob @p k of a layer (data NULL when empty). */
NNOM_ALWAYS_INLINE nnom_blob nnom_layer_blob(const nnom_layer *l, int k)
{
    nnom_blob b;
    b.data = nnom_blob_data(l, k);
    b.size = nnom_blob_size(l, k);
    return b;
}

/* A tiled run (core/tiling.c) of a layer whose ops have rows_window: the call computes output rows
 * [out_first, out_first + out_rows) of the layer's whole output into nnom_exec.out, reading a band of
 * its input: nnom_exec.in[0] points at input row in_first (counted in the whole input, the layer's
 * in_layer[0]), and holds in_rows rows. Window taps outside the band read as padding, so the band
 * holds every input row these output rows read, except rows that are padding themselves.
 * A zero padding the tiler folded into the layer (fold_w > 0): in_layer[0] is that padding, in[0] a
 * band of the padding's own input, fold_w columns wide, its columns shifted right by fold_left (its
 * rows are already counted in the padded input's coordinates by in_first).
 * A layer with NNOM_OPS_ROWS_IDENTITY: out rows [out_first, out_first + out_rows) from the same rows
 * of every input; each nnom_exec.in[i] points at row out_first of input i (in_first = out_first,
 * in_rows = out_rows, no fold). */
typedef struct nnom_rows {
    int32_t out_first, out_rows;
    int32_t in_first, in_rows;
    int32_t fold_left, fold_w;
} nnom_rows;

/* What a kernel call sees. inputs[i] and in[i] describe the i-th input. */
typedef struct nnom_exec {
    const nnom_layer *layer;
    nnom_model *model;       /* for the model's tables (user operators of CUSTOM layers) */
    int32_t n_inputs;
    const void *in[NNOM_MAX_INPUTS];
    const nnom_layer *in_layer[NNOM_MAX_INPUTS];
    const void *in_state[NNOM_MAX_INPUTS]; /* the state memory of each input layer, NULL if it has none */
    void *out;
    void *scratch;           /* scratch_bytes bytes, 4-byte aligned, NULL if 0 */
    uint32_t scratch_bytes;  /* at least the layer's scratch_bytes(); up to scratch_fast_bytes() where the plan had room */
    void *state;             /* state_bytes bytes of persistent state, 8-byte aligned, NULL if 0 */
    float *observe;          /* observing float32 models: the layer's (min, max) pairs to widen, else NULL */
    const nnom_rows *rows;   /* tiled runs: the rows this call computes (types with rows_window); NULL: all */
} nnom_exec;

/* Context handed to infer(): the model (for error messages) and the dtype. */
typedef struct nnom_infer_ctx {
    nnom_model *model;
    nnom_dtype dtype;
    int32_t kernels;         /* scratch sizes for: ::nnom_kernels (the model's plan's, see nnom_model.kernels) */
    int32_t room;            /* scratch_fast_bytes() for a plan's spare room (1): all a kernel can use, not
                                only what a plan reserves for full speed (0) */
    const nnom_layer *in[NNOM_MAX_INPUTS]; /* the layers feeding this one, shapes already known */
} nnom_infer_ctx;

enum {
    /* The output is a view of input 0: same bytes, no kernel runs (reshape, flatten, output). */
    NNOM_OPS_VIEW = 1u << 0,
    /* The kernel may write its output over input 0 when input 0 dies here (see inplace_ok). */
    NNOM_OPS_IN_PLACE = 1u << 1,
    /* With NNOM_OPS_IN_PLACE: also when the output is larger than input 0 (the buffer grows;
     * the kernel moves elements to higher addresses, last first). */
    NNOM_OPS_IN_PLACE_GROWS = 1u << 2,
    /* With rows_window: window taps in the padding add nothing, as taps reading the zero point (int8)
     * or 0.0 (float32) would (convolutions): a zero padding before the layer can be folded into it. */
    NNOM_OPS_PADDING_READS_ZERO = 1u << 3,
    /* Output row y reads row y of every input, nothing else (element-wise layers, concatenation): the
     * kernels honour nnom_exec.rows as an element-wise layer's rows (see nnom_rows), so that the tiler
     * may run the layer tile by tile where every input has the output's rows (rank 3, the same height). */
    NNOM_OPS_ROWS_IDENTITY = 1u << 4
};

typedef struct nnom_layer_ops {
    uint8_t min_inputs;
    uint8_t max_inputs;
    uint8_t flags;
    /* Values inside the layer its float32 run can observe for calibration (min, max pairs in
     * nnom_exec.observe, see nnom_model_observe_internals()); 0 for most layers. */
    uint8_t internals;
    /* Checks parameters and blob sizes against the inputs, sets l->shape (and,
     * for types whose output quantisation is fixed, may check l->quant).
     * Reports failures with nnom_fail(); returns its status. */
    nnom_status (*infer)(nnom_layer *l, const nnom_infer_ctx *ctx);
    /* Scratch bytes the kernel needs (after infer). NULL: none. */
    uint32_t (*scratch_bytes)(const nnom_layer *l, const nnom_infer_ctx *ctx);
    /* MACs per inference (after infer). NULL: 0. */
    uint64_t (*macs)(const nnom_layer *l, const nnom_infer_ctx *ctx);
    /* With NNOM_OPS_IN_PLACE: whether this instance can overwrite input 0. NULL: always. */
    int (*inplace_ok)(const nnom_layer *l, const nnom_infer_ctx *ctx);
    /* With NNOM_OPS_IN_PLACE: the scratch bytes the kernel needs when it runs in place (they
     * replace scratch_bytes() for that layer; the kernel sees l->in_place). NULL: unchanged. */
    uint32_t (*inplace_scratch_bytes)(const nnom_layer *l, const nnom_infer_ctx *ctx);
    /* After the plan: the scratch bytes with which the kernel runs fastest (at least the planned
     * size; the plan gives up to this much where the arena has room during the layer, and the
     * kernel sees what it got in nnom_exec.scratch_bytes). NULL: the planned size. */
    uint32_t (*scratch_fast_bytes)(const nnom_layer *l, const nnom_infer_ctx *ctx);
    /* A 2-D window layer whose kernels honour nnom_exec.rows (a band of output rows from a band of
     * input rows; apply it with nnom_rows_narrow()), so that the tiler (core/tiling.c) may run it tile
     * by tile: output row y reads input rows y * *stride - *pad_top + (0 .. *span - 1), @p in being its
     * input layer. NULL: never tiled. */
    void (*rows_window)(const nnom_layer *l, const nnom_layer *in, int32_t *stride, int32_t *pad_top,
                        int32_t *span);
    /* Kernels. NULL for INPUT and views. */
    void (*run_s8)(const nnom_exec *x);
    void (*run_f32)(const nnom_exec *x);
    /* Persistent state (recurrent layers), kept in the model's state memory across runs; NULL: none.
     * state_vectors: how many state vectors the layer has after infer (h; LSTM: h, c), each of
     * *length elements; they take state_bytes() bytes. state_read / state_write convert vector
     * @p which of the layer's state memory to / from float (dequantised for int8). */
    int32_t (*state_vectors)(const nnom_layer *l, int32_t *length);
    uint32_t (*state_bytes)(const nnom_layer *l, nnom_dtype dtype);
    void (*state_read)(const nnom_layer *l, nnom_dtype dtype, const void *state, int32_t which, float *out);
    void (*state_write)(const nnom_layer *l, nnom_dtype dtype, void *state, int32_t which, const float *in);
} nnom_layer_ops;

/* A window kernel's rows narrowed to the band of @p r (NULL: unchanged): output row out_first + y reads
 * input row (out_first + y) * stride - pad_top + tap, which is band row y * stride - (pad_top +
 * out_first * stride - in_first) + tap. */
static inline void nnom_rows_narrow(const nnom_rows *r, int32_t stride, int32_t *in_h, int32_t *out_h,
                                    int32_t *pad_top)
{
    if (!r) return;
    *pad_top = *pad_top + r->in_first - r->out_first * stride;
    *in_h = r->in_rows;
    *out_h = r->out_rows;
}

/* The output elements a call of an NNOM_OPS_ROWS_IDENTITY layer computes: all @p count of them, or
 * those of the rows of a tiled call (nnom_exec.rows; the output is rank 3, its rows dims[0]). */
static inline int32_t nnom_rows_count(const nnom_exec *x, int32_t count)
{
    if (!x->rows) return count;
    return count / x->layer->def->shape.dims[0] * x->rows->out_rows;
}

/* The most elements a layer's output may have: every byte offset and size stays far inside 32 bits. */
#define NNOM_MAX_LAYER_ELEMENTS (1 << 28)

/* Builds for int8 models only (NNOM_INT8_ONLY=1, e.g. firmware) leave every
 * float32 kernel out: ops name their float run through this macro, which then
 * yields NULL without referencing the function's code. */
#if defined(NNOM_INT8_ONLY) && NNOM_INT8_ONLY
#define NNOM_RUN_F32(fn) (0 ? (fn) : NULL)
#define NNOM_HAS_F32 0 /* float32 models are refused at nnom_model_create() */
#else
#define NNOM_RUN_F32(fn) (fn)
#define NNOM_HAS_F32 1
#endif

/* Whether the build has layers with persistent state (recurrent layers): a
 * NNOM_LAYERS_ONLY build without them leaves the state bookkeeping out. */
#if defined(NNOM_LAYERS_ONLY) && !defined(NNOM_WITH_SIMPLE_RNN) && !defined(NNOM_WITH_GRU) && \
    !defined(NNOM_WITH_LSTM) && !defined(NNOM_WITH_RNN_STATE)
#define NNOM_HAS_STATE 0
#else
#define NNOM_HAS_STATE 1
#endif

/* The table in core/layer_table.c: one entry per nnom_layer_type. */
const nnom_layer_ops *nnom_layer_ops_of(nnom_layer_type type);

/* Records a failure on the model with a printf-like message (supports %s %d
 * %u %ld %lu %ld %x and %%, nothing else) and returns @p status. */
nnom_status nnom_fail(nnom_model *model, nnom_status status, const char *fmt, ...);

/* nnom_fail() of a message about layer @p l: "layer '<name>' (<type>): " then @p fmt. */
nnom_status nnom_layer_fail(nnom_model *model, const nnom_layer *l, nnom_status status, const char *fmt, ...);

/* Builds with NNOM_TERSE_ERRORS=1 keep only the status in messages (the text
 * of every message is left out of the binary, a few KB of flash). */
#if defined(NNOM_TERSE_ERRORS) && NNOM_TERSE_ERRORS
nnom_status nnom_fail_terse(nnom_model *model, nnom_status status);
/* never defined: only named inside sizeof, so the arguments count as used but
 * are neither evaluated nor stored */
int nnom_fail_arguments(const char *fmt, ...);
#define nnom_fail(model, status, ...) \
    ((void)sizeof(nnom_fail_arguments(__VA_ARGS__)), nnom_fail_terse((model), (status)))
#define nnom_layer_fail(model, l, status, ...) \
    ((void)sizeof(nnom_fail_arguments(__VA_ARGS__)), (void)(l), nnom_fail_terse((model), (status)))
#endif

/* Canonical (h, w, c) of a shape (inline: a tiled run asks at every band of every layer). */
static inline nnom_dims nnom_dims_of(const nnom_shape *s)
{
    nnom_dims d = {1, 1, 1};
    if (s->rank == 1) d.c = s->dims[0];
    else if (s->rank == 2) { d.w = s->dims[0]; d.c = s->dims[1]; }
    else if (s->rank == 3) { d.h = s->dims[0]; d.w = s->dims[1]; d.c = s->dims[2]; }
    return d;
}
/* Number of elements of a shape. */
int32_t nnom_shape_count(const nnom_shape *s);
/* Bytes of a layer's output (after infer). */
uint32_t nnom_layer_out_bytes(const nnom_layer *l, nnom_dtype dtype);
/* Element size of a dtype in bytes. */
uint32_t nnom_dtype_size(nnom_dtype dtype);

/* Output size of a window op along one axis, Keras' rule; 0 or less means invalid. */
int32_t nnom_window_out(int32_t in, int32_t kernel, int32_t stride, int32_t dilation, int32_t padding);
/* Padding before the first element for SAME padding (Keras/TF split: the
 * smaller half before, the extra one after); 0 for VALID. */
int32_t nnom_window_pad_before(int32_t in, int32_t out, int32_t kernel, int32_t stride,
                               int32_t dilation, int32_t padding);

/* Reads a stride or dilation, where 0 means 1. */
static inline int32_t nnom_one_if_zero(int32_t v) { return v == 0 ? 1 : v; }

/* Checks a blob holds exactly @p bytes; fails with a message naming the layer and slot. */
nnom_status nnom_expect_blob(nnom_model *model, const nnom_layer *l, int slot, const char *what,
                             uint32_t bytes);

/* Room for any shape's text: "(-2147483648, -2147483648, -2147483648)" is 40 bytes with its NUL. */
#define NNOM_SHAPE_TEXT_MAX 48

/* "(2, 3, 5)" */
void nnom_shape_text(const nnom_shape *s, char *buf, size_t cap);

/* Decimal text of a float with 6 significant digits, e.g. "3.90625e-3" (the
 * message formatter has no %f); float arithmetic only, so that int8 firmware
 * links no double-precision code. */
void nnom_float_text(float v, char *buf, size_t cap);

#if defined(NNOM_TERSE_ERRORS) && NNOM_TERSE_ERRORS
/* terse builds make no text that only messages would show; code that needs
 * a type's name for itself calls (nnom_layer_type_name)(type) */
#define nnom_shape_text(s, buf, cap) ((void)(s), (void)(buf), (void)(cap))
#define nnom_float_text(v, buf, cap) ((void)(v), (void)(buf), (void)(cap))
#define nnom_layer_type_name(type) ((void)(type), "")
#endif

/* int8 models: checks the layer's output quantisation equals its first
 * input's (layers that move values without rescaling them). */
nnom_status nnom_expect_same_quant(const nnom_infer_ctx *ctx, const nnom_layer *l);

/* Checks a layer that reads no constant data has none. */
nnom_status nnom_expect_no_blobs(const nnom_infer_ctx *ctx, const nnom_layer *l);

/* Layers that only move values (padding, cropping, upsampling, max pooling): no constant
 * data and, in int8 models, the input's quantisation. */
nnom_status nnom_expect_moved_values(const nnom_infer_ctx *ctx, const nnom_layer *l);

/* Sets l->shape of rank @p rank from canonical (h, w, c): rank 3 (h, w, c),
 * rank 2 (w, c), rank 1 (c). */
void nnom_set_shape_hwc(nnom_layer *l, int32_t rank, int32_t h, int32_t w, int32_t c);

/* Fused activation bounds for int8: [*lo, *hi] in the output's quantised domain.
 * The compiler stores them in l->act_lo / l->act_hi; kernels read those. */
void nnom_act_bounds_s8(int32_t activation, nnom_quant q, int32_t *lo, int32_t *hi);
/* Fused activation bounds for float32. */
void nnom_act_bounds_f32(int32_t activation, float *lo, float *hi);

#endif /* NNOM_CORE_LAYER_H */

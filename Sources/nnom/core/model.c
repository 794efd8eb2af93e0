/* The model handle: creating, building, compiling, the arena (inputs, outputs and introspection:
 * model_io.c). */
#include <float.h>
#include <string.h>

#include "core/model_internal.h"
#include "core/struct_size.h"
#include "nnom/quantize.h"

/* ------------------------------------------------------------------ memory */

void *nnom_alloc(nnom_model *m, size_t bytes) { return m->allocator.alloc(m->allocator.ctx, bytes); }

void nnom_free(nnom_model *m, void *p)
{
    if (p && m->allocator.free) m->allocator.free(m->allocator.ctx, p);
}

nnom_status nnom_model_create(nnom_dtype dtype, const nnom_options *options, nnom_model **out,
                              nnom_error *err)
{
    if (out) *out = NULL;
    if (!out) {
        nnom_error_copy(err, NNOM_ERR_ARGUMENT, "nnom_model_create: out is NULL");
        return NNOM_ERR_ARGUMENT;
    }
    if (dtype != NNOM_DTYPE_S8 && dtype != NNOM_DTYPE_F32) {
        nnom_error_copy(err, NNOM_ERR_UNSUPPORTED, "nnom_model_create: element type must be NNOM_DTYPE_S8 or NNOM_DTYPE_F32");
        return NNOM_ERR_UNSUPPORTED;
    }
    if (dtype == NNOM_DTYPE_F32 && !NNOM_HAS_F32) {
        nnom_error_copy(err, NNOM_ERR_UNSUPPORTED,
                       "nnom_model_create: this build runs int8 models only (NNOM_INT8_ONLY), not float32");
        return NNOM_ERR_UNSUPPORTED;
    }
    if (options && !NNOM_OPTIONS_SIZE_KNOWN(options)) {
        char msg[NNOM_ERROR_MESSAGE_MAX];
        nnom_format(msg, sizeof msg, NNOM_STRUCT_SIZE_FMT, NNOM_STRUCT_SIZE_ARGS(options, "nnom_options"));
        nnom_error_copy(err, NNOM_ERR_ARGUMENT, msg);
        return NNOM_ERR_ARGUMENT;
    }
    const nnom_allocator *a = options && options->allocator ? options->allocator : nnom_default_allocator();
    if (!a->alloc) {
        nnom_error_copy(err, NNOM_ERR_ARGUMENT, "nnom_model_create: the allocator has no alloc function");
        return NNOM_ERR_ARGUMENT;
    }
    if (options && options->struct_size > NNOM_OPTIONS_SIZE_BEFORE_PLAN_GOAL && options->plan_goal != NNOM_PLAN_SMALLEST &&
        options->plan_goal != NNOM_PLAN_FASTEST) {
        char msg[NNOM_ERROR_MESSAGE_MAX];
        nnom_format(msg, sizeof msg, "nnom_options.plan_goal is %d, not NNOM_PLAN_SMALLEST (0) or NNOM_PLAN_FASTEST (1)",
                    (int)options->plan_goal);
        nnom_error_copy(err, NNOM_ERR_ARGUMENT, msg);
        return NNOM_ERR_ARGUMENT;
    }
    nnom_model *m = (nnom_model *)a->alloc(a->ctx, sizeof *m);
    if (!m) {
        nnom_error_copy(err, NNOM_ERR_NO_MEMORY, "nnom_model_create: out of memory for the model handle");
        return NNOM_ERR_NO_MEMORY;
    }
    memset(m, 0, sizeof *m);
    m->dtype = dtype;
    m->allocator = *a;
    m->tiling.first = m->tiling.cut = -1;
    if (options) {
        m->timer = options->timer;
        m->timer_ctx = options->timer_ctx;
        m->log = options->log;
        m->log_ctx = options->log_ctx;
        m->keep_all = options->keep_all_outputs != 0;
        m->registry = options->op_registry;
        if (options->struct_size > NNOM_OPTIONS_SIZE_BEFORE_TILING)
            m->tiling.max_extra_percent = options->tiling_max_extra_macs_percent;
        if (options->struct_size > NNOM_OPTIONS_SIZE_BEFORE_PLAN_GOAL) m->plan_goal = options->plan_goal;
    }
    m->kernels = nnom_build_kernels();
    const size_t limit = options && options->max_arena_bytes ? options->max_arena_bytes : NNOM_DEFAULT_MAX_ARENA_BYTES;
    m->max_arena = limit < NNOM_PLAN_LIMIT ? (uint32_t)limit : NNOM_PLAN_LIMIT;
    *out = m;
    if (err) {
        err->status = NNOM_OK;
        err->message[0] = '\0';
    }
    return NNOM_OK;
}

/* Frees what compiling makes (plan, input/output lists, state, observed ranges) and forgets
 * it, so that a compile that failed half way can be called again. */
static void release_compiled(nnom_model *m)
{
    /* (newest first: a pool allocator takes back its last block) */
    nnom_plan_end(m);
    nnom_free(m, m->layer_time);
    nnom_free(m, m->internal_at); /* (m->internals lies in its block) */
    nnom_free(m, m->state_offset); /* (m->state lies in its block) */
    nnom_free(m, (void *)m->user_ops);
    m->layer_time = NULL;
    m->internals = NULL;
    m->internal_at = NULL;
    m->state = NULL;
    m->state_offset = NULL;
    m->user_ops = NULL;
    m->state_size = 0;
    m->n_internals = 0;
    m->arena_size = 0;
    m->lower_bound = 0;
    m->tiling.first = m->tiling.cut = -1;
}

void nnom_model_destroy(nnom_model *m)
{
    if (!m) return;
    if (m->arena_owned) nnom_free(m, m->arena);
    release_compiled(m);
    for (int32_t i = 0; i < m->n_layers; i++)
        if (!m->layers[i].blob_base) nnom_free(m, m->layers[i].def); /* owned */
    nnom_free(m, m->layers);
    nnom_free(m, m->error);
    nnom_free(m, m);
}

char *nnom_model_message(nnom_model *m, nnom_status status)
{
    m->status = (uint8_t)status;
    if (m->error) return m->error;
    if (m->plan) return m->plan->message; /* (see nnom_plan_data.message) */
    m->error = (char *)nnom_alloc(m, NNOM_MODEL_ERROR_BYTES);
    return m->error;
}

void nnom_model_clear_error(nnom_model *m)
{
    m->status = NNOM_OK;
    if (m->error) m->error[0] = '\0';
    if (m->plan) m->plan->message[0] = '\0';
}

const char *nnom_model_last_error(const nnom_model *m)
{
    if (!m) return "model is NULL";
    if (m->error) return m->error;
    if (m->plan && m->status != NNOM_OK) return m->plan->message;
    return m->status == NNOM_OK ? "" : nnom_status_name((nnom_status)m->status); /* no memory for a message */
}

nnom_dtype nnom_model_dtype(const nnom_model *m) { return m ? (nnom_dtype)m->dtype : NNOM_DTYPE_NONE; }

int32_t nnom_model_layer_count(const nnom_model *m) { return m ? m->n_layers : 0; }

void nnom_infer_ctx_init(nnom_infer_ctx *ctx, nnom_model *m, const nnom_layer *l)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->model = m;
    ctx->dtype = (nnom_dtype)m->dtype;
    ctx->kernels = (int32_t)m->kernels;
    for (int32_t j = 0; j < l->n_inputs; j++) ctx->in[j] = &m->layers[l->def->inputs[j]];
}

uint64_t nnom_layer_macs(const nnom_model *m, int32_t i)
{
    const nnom_layer *l = &m->layers[i];
    const nnom_layer_ops *ops = nnom_layer_ops_of((nnom_layer_type)l->type);
    if (!ops || !ops->macs) return 0;
    nnom_infer_ctx ctx;
    nnom_infer_ctx_init(&ctx, (nnom_model *)m, l);
    return ops->macs(l, &ctx);
}

/* MACs of layer @p i per inference (its shapes known: after compile). */
/* ---------------------------------------------------------------- building */

nnom_status nnom_model_reserve(nnom_model *m, int32_t n)
{
    if (n <= m->cap_layers) return NNOM_OK;
    nnom_layer *grown = (nnom_layer *)nnom_alloc(m, (size_t)n * sizeof *grown);
    if (!grown) return nnom_fail(m, NNOM_ERR_NO_MEMORY, "out of memory for %d layers", (int)n);
    if (m->n_layers) memcpy(grown, m->layers, (size_t)m->n_layers * sizeof *grown);
    nnom_free(m, m->layers);
    m->layers = grown;
    m->cap_layers = n;
    return NNOM_OK;
}

/* strcmp() == 0 without pulling the C library's (large, speed-tuned) strcmp into firmware */
static int same_text(const char *a, const char *b)
{
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

/* "conv2d_3": the name of an unnamed layer (written without the message
 * formatter, which terse builds leave out) */
static void generated_name(char buf[NNOM_NAME_MAX], nnom_layer_type type, int32_t index)
{
    const char *type_name = (nnom_layer_type_name)(type);
    size_t n = strlen(type_name);
    memcpy(buf, type_name, n); /* type names are short: n + 7 < NNOM_NAME_MAX */
    buf[n++] = '_';
    char digits[8];
    int k = 0;
    do {
        digits[k++] = (char)('0' + index % 10);
        index /= 10;
    } while (index);
    while (k) buf[n++] = digits[--k];
    buf[n] = '\0';
}

/* The block of a layer that owns its def holds a whole def. */
typedef char nnom_owned_def_holds_a_def[NNOM_OWNED_DEF_BYTES >= sizeof(nnom_layer_def) ? 1 : -1];

nnom_status nnom_model_append(nnom_model *m, const nnom_layer_desc *d, const nnom_shape *shape,
                              const nnom_layer_def *record, const uint8_t *blob_base, int32_t *id)
{
    const char *name = d->name;
    char generated[NNOM_NAME_MAX];
    if (!name || !name[0]) {
        generated_name(generated, d->type, m->n_layers);
        name = generated;
    }
    size_t len = strlen(name);
    if (len >= NNOM_NAME_MAX)
        return nnom_fail(m, NNOM_ERR_ARGUMENT, "layer name '%s' is longer than %d bytes", name, NNOM_NAME_MAX - 1);
    for (int32_t i = 0; i < m->n_layers; i++)
        if (same_text(m->layers[i].def->name, name))
            return nnom_fail(m, NNOM_ERR_ARGUMENT, "layer name '%s' is used twice (layers %d and %d)", name,
                             (int)i, (int)m->n_layers);
    if (m->n_layers == m->cap_layers) { /* grow by doubling */
        nnom_status st = nnom_model_reserve(m, m->cap_layers ? 2 * m->cap_layers : 16);
        if (st != NNOM_OK) return st;
    }
    nnom_layer *l = &m->layers[m->n_layers];
    memset(l, 0, sizeof *l);
    if (record && name != generated) { /* read in place */
        l->def = (nnom_layer_def *)record; /* (never written: see nnom_layer) */
        l->blob_base = blob_base;
    } else {
        /* the layer's own copy, its blob table in place of the record's (nnom_owned_blobs()) */
        nnom_layer_def *def = (nnom_layer_def *)nnom_alloc(m, NNOM_OWNED_DEF_BYTES);
        if (!def) return nnom_fail(m, NNOM_ERR_NO_MEMORY, "out of memory for layer '%s'", name);
        memset(def, 0, sizeof *def);
        def->type = (uint16_t)d->type;
        def->n_inputs = (uint16_t)d->n_inputs;
        memcpy(def->name, name, len + 1);
        for (int32_t j = 0; j < d->n_inputs; j++) def->inputs[j] = (uint16_t)d->inputs[j];
        if (shape) def->shape = *shape;
        def->quant = d->quant;
        def->params = d->params;
        memcpy(def->blob_at, d->blobs, sizeof(nnom_blob) * NNOM_MAX_BLOBS);
        l->def = def;
    }
    l->type = (uint8_t)d->type;
    l->n_inputs = (uint8_t)d->n_inputs;
    if (id) *id = m->n_layers;
    m->n_layers++;
    return NNOM_OK;
}

/* What both builder calls check before appending. */
static nnom_status check_open(nnom_model *m, nnom_layer_type type)
{
    if (m->compiled)
        return nnom_fail(m, NNOM_ERR_STATE, "cannot add layers to a compiled model");
    if ((unsigned)type >= NNOM_LAYER_TYPE_COUNT)
        return nnom_fail(m, NNOM_ERR_UNSUPPORTED, "layer %d: unknown layer type %d", (int)m->n_layers, (int)type);
    if (m->n_layers >= NNOM_MAX_LAYERS)
        return nnom_fail(m, NNOM_ERR_ARGUMENT, "too many layers (at most %d)", NNOM_MAX_LAYERS);
    return NNOM_OK;
}

nnom_status nnom_model_add_input(nnom_model *m, const char *name, nnom_shape shape, nnom_quant quant,
                                 int32_t *id)
{
    if (!m) return NNOM_ERR_ARGUMENT;
    nnom_status st = check_open(m, NNOM_LAYER_INPUT);
    if (st != NNOM_OK) return st;
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    d.type = NNOM_LAYER_INPUT;
    d.name = name;
    d.quant = quant;
    return nnom_model_append(m, &d, &shape, NULL, NULL, id);
}

nnom_status nnom_model_add_layer(nnom_model *m, const nnom_layer_desc *d, int32_t *id)
{
    if (!m) return NNOM_ERR_ARGUMENT;
    if (!d) return nnom_fail(m, NNOM_ERR_ARGUMENT, "nnom_model_add_layer: desc is NULL");
    if (!NNOM_STRUCT_SIZE_KNOWN(d))
        return nnom_fail(m, NNOM_ERR_ARGUMENT, NNOM_STRUCT_SIZE_FMT, NNOM_STRUCT_SIZE_ARGS(d, "nnom_layer_desc"));
    if (d->type == NNOM_LAYER_INPUT)
        return nnom_fail(m, NNOM_ERR_ARGUMENT, "use nnom_model_add_input() for input layers");
    nnom_status st = check_open(m, d->type);
    if (st != NNOM_OK) return st;
    if (d->n_inputs < 0 || d->n_inputs > NNOM_MAX_INPUTS)
        return nnom_fail(m, NNOM_ERR_ARGUMENT, "layer '%s': %d inputs, at most %d allowed",
                         d->name ? d->name : "?", (int)d->n_inputs, NNOM_MAX_INPUTS);
    for (int32_t i = 0; i < d->n_inputs; i++)
        if (d->inputs[i] < 0 || d->inputs[i] >= m->n_layers)
            return nnom_fail(m, NNOM_ERR_ARGUMENT,
                             "layer '%s': input %d refers to layer %d, but only layers 0..%d come before it",
                             d->name ? d->name : "?", (int)i, (int)d->inputs[i], (int)m->n_layers - 1);
    return nnom_model_append(m, d, NULL, NULL, NULL, id);
}

nnom_status nnom_model_observe_internals(nnom_model *m, int observe)
{
    if (!m) return NNOM_ERR_ARGUMENT;
    if (m->compiled) return nnom_fail(m, NNOM_ERR_STATE, "choose whether to observe internal values before compiling");
    m->observe = observe != 0;
    return NNOM_OK;
}

nnom_status nnom_model_keep_all_outputs(nnom_model *m, int keep)
{
    if (!m) return NNOM_ERR_ARGUMENT;
    if (m->compiled) return nnom_fail(m, NNOM_ERR_STATE, "choose whether to keep all outputs before compiling");
    m->keep_all = keep != 0;
    return NNOM_OK;
}

/* ---------------------------------------------------------------- compiling */

static int quant_valid(nnom_quant q)
{
    return q.scale > 0.0f && q.scale <= FLT_MAX && q.zero_point >= INT8_MIN && q.zero_point <= INT8_MAX;
}

/* A loaded layer's inferred output against its record: the shape must be the one the file records,
 * and in int8 models so must the quantisation of a view (which keeps its input's). */
static nnom_status check_record(nnom_model *m, int32_t index, const nnom_layer_def *inferred,
                                const nnom_layer_def *record, int view)
{
    const nnom_shape *a = &record->shape, *b = &inferred->shape;
    int same = a->rank == b->rank;
    for (int k = 0; same && k < NNOM_MAX_RANK; k++) same = a->dims[k] == b->dims[k];
    if (!same)
        return nnom_fail(m, NNOM_ERR_SHAPE,
                         "layer %u ('%s'): the file records an output of rank %d (%d, %d, %d) but the layer computes "
                         "rank %d (%d, %d, %d)", (unsigned)index, record->name, (int)a->rank, (int)a->dims[0],
                         (int)a->dims[1], (int)a->dims[2], (int)b->rank, (int)b->dims[0], (int)b->dims[1],
                         (int)b->dims[2]);
    if (view && m->dtype == NNOM_DTYPE_S8 &&
        (memcmp(&record->quant.scale, &inferred->quant.scale, sizeof(float)) != 0 ||
         record->quant.zero_point != inferred->quant.zero_point)) {
        char given[32], want[32];
        nnom_float_text(record->quant.scale, given, sizeof given);
        nnom_float_text(inferred->quant.scale, want, sizeof want);
        return nnom_fail(m, NNOM_ERR_FORMAT,
                         "layer %u ('%s'): the file records the output quantisation scale %s, zero point %d, but the "
                         "layer keeps its input's, scale %s, zero point %d", (unsigned)index, record->name, given,
                         (int)record->quant.zero_point, want, (int)inferred->quant.zero_point);
    }
    return NNOM_OK;
}

/* Shape inference of layer @p index into @p l->def, which is writable (see infer_layer). */
static nnom_status infer_def(nnom_model *m, nnom_layer *l, const nnom_layer_ops *ops)
{
    nnom_infer_ctx ctx;
    nnom_infer_ctx_init(&ctx, m, l);
    if ((ops->flags & NNOM_OPS_VIEW) && l->n_inputs > 0) l->def->quant = ctx.in[0]->def->quant;
    nnom_status st = ops->infer(l, &ctx);
    if (st != NNOM_OK) return st;
    nnom_shape *shape = &l->def->shape;
    if (shape->rank < 1 || shape->rank > NNOM_MAX_RANK)
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "output rank %d is not 1 to %d", (int)shape->rank, NNOM_MAX_RANK);
    int64_t count = 1;
    for (int32_t k = 0; k < shape->rank; k++) {
        if (shape->dims[k] <= 0)
            return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "output dimension %d is %d", (int)k, (int)shape->dims[k]);
        count *= shape->dims[k];
        if (count > NNOM_MAX_LAYER_ELEMENTS)
            return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "output of more than 2^28 elements");
    }
    for (int32_t k = shape->rank; k < NNOM_MAX_RANK; k++) shape->dims[k] = 0;
    return NNOM_OK;
}

static nnom_status infer_layer(nnom_model *m, int32_t index)
{
    nnom_layer *l = &m->layers[index];
    const nnom_layer_ops *ops = nnom_layer_ops_of((nnom_layer_type)l->type);
    const char *tname = nnom_layer_type_name((nnom_layer_type)l->type);
    if (!ops || !ops->infer)
        return nnom_fail(m, NNOM_ERR_UNSUPPORTED, "layer '%s': type %s is not supported by this build", l->def->name,
                         tname);
    if (l->n_inputs < ops->min_inputs || l->n_inputs > ops->max_inputs)
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "%d inputs given, it takes %d to %d", (int)l->n_inputs,
                               (int)ops->min_inputs, (int)ops->max_inputs);
    nnom_status st;
    if (l->blob_base) {
        /* a loaded layer infers into a copy of its record, then reads the record again */
        nnom_layer_def *record = l->def, copy = *record;
        l->def = &copy;
        st = infer_def(m, l, ops);
        l->def = record;
        if (st == NNOM_OK) st = check_record(m, index, &copy, record, (ops->flags & NNOM_OPS_VIEW) && l->n_inputs > 0);
    } else {
        st = infer_def(m, l, ops);
    }
    if (st != NNOM_OK) return st;
    if (m->dtype == NNOM_DTYPE_S8 && !quant_valid(l->def->quant))
        return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT,
                               "int8 output needs a positive scale and a zero point in [-128, 127] (zero point %d)",
                               (int)l->def->quant.zero_point);
    if (m->dtype == NNOM_DTYPE_S8) {
        int32_t lo, hi;
        nnom_act_bounds_s8(l->def->params.activation, l->def->quant, &lo, &hi);
        l->act_lo = (int8_t)lo; /* in [-128, 127] */
        l->act_hi = (int8_t)hi;
    }
    return NNOM_OK;
}

/* The state memory of recurrent layers: one zeroed block, each layer's part 8-byte aligned, after
 * the table of where each part starts (one block: m->state_offset). It is not part of the arena,
 * which layers reuse within a run: a stateful layer's state must outlive runs. */
static nnom_status alloc_state(nnom_model *m)
{
    if (!NNOM_HAS_STATE) return NNOM_OK; /* (no layer has NNOM_LAYER_HAS_STATE) */
    uint64_t total = 0;
    for (int32_t i = 0; i < m->n_layers; i++) {
        nnom_layer *l = &m->layers[i];
        const nnom_layer_ops *ops = nnom_layer_ops_of((nnom_layer_type)l->type);
        const uint32_t bytes = ops->state_bytes ? ops->state_bytes(l, (nnom_dtype)m->dtype) : 0;
        l->flags = (uint8_t)(l->flags & ~NNOM_LAYER_HAS_STATE);
        if (!bytes) continue;
        l->flags |= NNOM_LAYER_HAS_STATE;
        total += ((uint64_t)bytes + 7u) & ~(uint64_t)7u;
        if (total > m->max_arena) {
            char need[40], limit[40];
            nnom_bytes_text(total, need, sizeof need);
            nnom_bytes_text(m->max_arena, limit, sizeof limit);
            return nnom_fail(m, NNOM_ERR_NO_MEMORY, "layer '%s': the recurrent state of the model takes at least %s, "
                             "more than the limit of %s (nnom_options.max_arena_bytes)", l->def->name, need, limit);
        }
    }
    if (!total) return NNOM_OK;
    const size_t table = ((size_t)m->n_layers * sizeof(uint32_t) + 7u) & ~(size_t)7u;
    m->state_offset = (uint32_t *)nnom_alloc(m, table + (size_t)total);
    if (!m->state_offset)
        return nnom_fail(m, NNOM_ERR_NO_MEMORY, "out of memory for %lu bytes of recurrent state", (unsigned long)total);
    m->state = (uint8_t *)m->state_offset + table;
    m->state_size = (uint32_t)total;
    uint32_t at = 0;
    for (int32_t i = 0; i < m->n_layers; i++) {
        nnom_layer *l = &m->layers[i];
        m->state_offset[i] = at;
        if (l->flags & NNOM_LAYER_HAS_STATE)
            at += (nnom_layer_ops_of((nnom_layer_type)l->type)->state_bytes(l, (nnom_dtype)m->dtype) + 7u) & ~7u;
    }
    memset(m->state, 0, (size_t)total);
    return NNOM_OK;
}

static void reset_internals(nnom_model *m)
{
    for (int32_t k = 0; k < m->n_internals; k++) {
        m->internals[2 * k] = FLT_MAX;
        m->internals[2 * k + 1] = -FLT_MAX;
    }
}

/* Observing float32 models: the (min, max) pairs of every layer that has internal values, after
 * the table of where each layer's pairs start (one block: m->internal_at). */
static nnom_status alloc_internals(nnom_model *m)
{
    int32_t total = 0;
    for (int32_t i = 0; i < m->n_layers; i++)
        total += NNOM_HAS_F32 && m->observe && m->dtype == NNOM_DTYPE_F32
                     ? nnom_layer_ops_of((nnom_layer_type)m->layers[i].type)->internals : 0;
    m->n_internals = total;
    if (!total) return NNOM_OK;
    const size_t table = (size_t)m->n_layers * sizeof(int32_t);
    m->internal_at = (int32_t *)nnom_alloc(m, table + (size_t)total * 2u * sizeof(float));
    if (!m->internal_at) return nnom_fail(m, NNOM_ERR_NO_MEMORY, "out of memory for %d observed ranges", (int)total);
    m->internals = (float *)(void *)((uint8_t *)m->internal_at + table);
    int32_t at = 0;
    for (int32_t i = 0; i < m->n_layers; i++) {
        const int32_t n = nnom_layer_ops_of((nnom_layer_type)m->layers[i].type)->internals;
        m->internal_at[i] = n ? at : -1;
        at += n;
    }
    reset_internals(m);
    return NNOM_OK;
}

/* The table of CUSTOM layers' operators, which their shape inference fills (layers/custom.c). */
static nnom_status alloc_user_ops(nnom_model *m)
{
    int custom = 0;
    for (int32_t i = 0; i < m->n_layers; i++) custom |= m->layers[i].type == NNOM_LAYER_CUSTOM;
    if (!custom) return NNOM_OK;
    m->user_ops = (const struct nnom_user_op **)nnom_alloc(m, (size_t)m->n_layers * sizeof *m->user_ops);
    if (!m->user_ops) return nnom_fail(m, NNOM_ERR_NO_MEMORY, "out of memory for the user operators' table");
    memset((void *)m->user_ops, 0, (size_t)m->n_layers * sizeof *m->user_ops);
    return NNOM_OK;
}

int32_t nnom_model_io_layer(const nnom_model *m, int input, int32_t index)
{
    const uint8_t type = (uint8_t)(input ? NNOM_LAYER_INPUT : NNOM_LAYER_OUTPUT);
    for (int32_t i = 0; i < m->n_layers; i++)
        if (m->layers[i].type == type && index-- == 0) return i;
    return -1;
}

/* Shapes, state, observed ranges, times and the plan; the caller releases them on failure. The
 * blocks that stay come first and the planner's memory last, so that a pool allocator takes it
 * back. */
static nnom_status compile_steps(nnom_model *m)
{
    release_compiled(m);
    nnom_status st = alloc_user_ops(m);
    if (st != NNOM_OK) return st;
    int32_t n_in = 0, n_out = 0;
    for (int32_t i = 0; i < m->n_layers; i++) {
        st = infer_layer(m, i);
        if (st != NNOM_OK) return st;
        n_in += m->layers[i].type == NNOM_LAYER_INPUT;
        n_out += m->layers[i].type == NNOM_LAYER_OUTPUT;
    }
    if (n_in == 0) return nnom_fail(m, NNOM_ERR_STATE, "the model has no INPUT layer");
    if (n_out == 0) return nnom_fail(m, NNOM_ERR_STATE, "the model has no OUTPUT layer");
    st = alloc_state(m);
    if (st == NNOM_OK) st = alloc_internals(m);
    if (st == NNOM_OK && m->timer) {
        m->layer_time = (uint64_t *)nnom_alloc(m, (size_t)m->n_layers * sizeof(uint64_t));
        if (!m->layer_time) return nnom_fail(m, NNOM_ERR_NO_MEMORY, "out of memory for the layers' times");
        memset(m->layer_time, 0, (size_t)m->n_layers * sizeof(uint64_t));
    }
    if (st == NNOM_OK) st = nnom_plan_tuned(m, 1);
    return st;
}

nnom_status nnom_model_compile(nnom_model *m)
{
    if (!m) return NNOM_ERR_ARGUMENT;
    if (m->compiled) return nnom_fail(m, NNOM_ERR_STATE, "the model is already compiled");
    if (m->n_layers == 0) return nnom_fail(m, NNOM_ERR_STATE, "the model has no layers");
    nnom_status st = compile_steps(m);
    if (st != NNOM_OK) {
        release_compiled(m); /* nothing half made stays: compiling again starts afresh */
        return st;
    }
    m->compiled = 1;
    nnom_model_clear_error(m);
    return NNOM_OK;
}

/* ------------------------------------------------------------------ running */

size_t nnom_model_arena_size(const nnom_model *m) { return m && m->compiled ? m->arena_size : 0; }
size_t nnom_model_arena_lower_bound(const nnom_model *m) { return m && m->compiled ? m->lower_bound : 0; }

nnom_status nnom_model_set_arena(nnom_model *m, void *arena, size_t size)
{
    if (!m) return NNOM_ERR_ARGUMENT;
    if (!m->compiled) return nnom_fail(m, NNOM_ERR_STATE, "compile the model before giving it an arena");
    if (!arena) return nnom_fail(m, NNOM_ERR_ARGUMENT, "the arena is NULL");
    if (((uintptr_t)arena & 3u) != 0) return nnom_fail(m, NNOM_ERR_ARGUMENT, "the arena must be 4-byte aligned");
    if (size < m->arena_size)
        return nnom_fail(m, NNOM_ERR_ARENA_TOO_SMALL, "the arena is %lu bytes but the model needs %lu",
                         (unsigned long)size, (unsigned long)m->arena_size);
    if (m->arena_owned) nnom_free(m, m->arena);
    m->arena = (uint8_t *)arena;
    m->arena_owned = 0;
    return NNOM_OK;
}

nnom_status nnom_model_alloc_arena(nnom_model *m)
{
    if (!m) return NNOM_ERR_ARGUMENT;
    if (!m->compiled) return nnom_fail(m, NNOM_ERR_STATE, "compile the model before allocating its arena");
    if (m->arena_owned) return NNOM_OK;
    uint8_t *a = (uint8_t *)nnom_alloc(m, m->arena_size ? m->arena_size : 4);
    if (!a) return nnom_fail(m, NNOM_ERR_NO_MEMORY, "out of memory for an arena of %lu bytes", (unsigned long)m->arena_size);
    memset(a, 0, m->arena_size);
    m->arena = a;
    m->arena_owned = 1;
    return NNOM_OK;
}

void nnom_model_reset_stats(nnom_model *m)
{
    if (m) m->runs = 0;
    for (int32_t i = 0; m && m->layer_time && i < m->n_layers; i++) m->layer_time[i] = 0;
    if (m && m->internals) reset_internals(m);
}

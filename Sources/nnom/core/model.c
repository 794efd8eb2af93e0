/* The model handle: building, compiling, running, input/output and introspection. */
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
    nnom_free(m, m->layer_time);
    m->layer_time = NULL;
    nnom_free(m, m->state);
    nnom_free(m, m->internals);
    nnom_free(m, m->buffers);
    nnom_free(m, m->input_ids);
    nnom_free(m, m->output_ids);
    m->state = NULL;
    m->internals = NULL;
    m->buffers = NULL;
    m->cap_buffers = 0;
    m->input_ids = NULL;
    m->output_ids = NULL;
    m->state_size = 0;
    m->n_internals = 0;
    m->n_buffers = 0;
    m->n_inputs = 0;
    m->n_outputs = 0;
    m->arena_size = 0;
    m->lower_bound = 0;
    m->tiling.first = m->tiling.cut = -1;
}

void nnom_model_destroy(nnom_model *m)
{
    if (!m) return;
    if (m->arena_owned) nnom_free(m, m->arena);
    release_compiled(m);
    for (int32_t i = 0; i < m->n_layers; i++) nnom_free(m, m->layers[i].owned);
    nnom_free(m, m->layers);
    nnom_free(m, m);
}

const char *nnom_model_last_error(const nnom_model *m) { return m ? m->error : "model is NULL"; }

nnom_dtype nnom_model_dtype(const nnom_model *m) { return m ? m->dtype : NNOM_DTYPE_NONE; }

int32_t nnom_model_layer_count(const nnom_model *m) { return m ? m->n_layers : 0; }

void nnom_infer_ctx_init(nnom_infer_ctx *ctx, nnom_model *m, const nnom_layer *l)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->model = m;
    ctx->dtype = m->dtype;
    ctx->kernels = (int32_t)m->kernels;
    for (int32_t j = 0; j < l->n_inputs; j++) ctx->in[j] = &m->layers[l->inputs[j]];
}

uint64_t nnom_layer_macs(const nnom_model *m, int32_t i)
{
    const nnom_layer *l = &m->layers[i];
    const nnom_layer_ops *ops = nnom_layer_ops_of(l->type);
    if (!ops || !ops->macs) return 0;
    nnom_infer_ctx ctx;
    nnom_infer_ctx_init(&ctx, (nnom_model *)m, l);
    return ops->macs(l, &ctx);
}

/* MACs of layer @p i per inference (its shapes known: after compile). */
static uint64_t layer_macs(const nnom_model *m, int32_t i) { return m->compiled ? nnom_layer_macs(m, i) : 0; }

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

/* The blob table of every layer without blobs. */
static const nnom_blob no_blobs[NNOM_MAX_BLOBS];

nnom_status nnom_model_append(nnom_model *m, const nnom_layer_desc *d, const nnom_shape *shape,
                              const nnom_layer_params *in_place, int32_t *id)
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
        if (same_text(m->layers[i].name, name))
            return nnom_fail(m, NNOM_ERR_ARGUMENT, "layer name '%s' is used twice (layers %d and %d)", name,
                             (int)i, (int)m->n_layers);
    if (m->n_layers == m->cap_layers) { /* grow by doubling */
        nnom_status st = nnom_model_reserve(m, m->cap_layers ? 2 * m->cap_layers : 16);
        if (st != NNOM_OK) return st;
    }
    /* what the layer holds itself, one block: [blob table][params][input ids][name], the blob
     * table only when it has blobs, params and name only when not read in place */
    int has_blobs = 0;
    for (int k = 0; k < NNOM_MAX_BLOBS; k++) has_blobs |= d->blobs[k].size != 0 || d->blobs[k].data != NULL;
    const size_t blobs_bytes = has_blobs ? sizeof(nnom_blob) * NNOM_MAX_BLOBS : 0;
    const size_t params_bytes = in_place ? 0 : sizeof(nnom_layer_params);
    const size_t inputs_bytes = (size_t)d->n_inputs * sizeof(uint16_t);
    const int copy_name = !in_place || name == generated;
    const size_t total = blobs_bytes + params_bytes + inputs_bytes + (copy_name ? len + 1 : 0);
    uint8_t *owned = NULL;
    if (total) {
        owned = (uint8_t *)nnom_alloc(m, total);
        if (!owned) return nnom_fail(m, NNOM_ERR_NO_MEMORY, "out of memory for layer '%s'", name);
    }
    /* (the parts are in order of alignment: pointers and int32, then uint16, then text) */
    uint8_t *at = owned;
    if (blobs_bytes) memcpy(at, d->blobs, blobs_bytes);
    at += blobs_bytes;
    if (params_bytes) memcpy(at, &d->params, params_bytes);
    const nnom_layer_params *params = in_place ? in_place : (const nnom_layer_params *)(void *)at;
    at += params_bytes;
    uint16_t *inputs = (uint16_t *)(void *)at;
    for (int32_t j = 0; j < d->n_inputs; j++) inputs[j] = (uint16_t)d->inputs[j];
    at += inputs_bytes;
    if (copy_name) memcpy(at, name, len + 1);
    nnom_layer *l = &m->layers[m->n_layers];
    memset(l, 0, sizeof *l);
    l->type = d->type;
    l->owned = owned;
    l->name = copy_name ? (const char *)at : name;
    l->p = params;
    l->n_inputs = (uint8_t)d->n_inputs;
    l->inputs = d->n_inputs ? inputs : NULL;
    l->blobs = has_blobs ? (const nnom_blob *)(void *)owned : no_blobs;
    l->quant = d->quant;
    if (shape) l->shape = *shape;
    l->buffer = -1;
    l->scratch_buffer = -1;
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
    return nnom_model_append(m, &d, &shape, NULL, id);
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
    return nnom_model_append(m, d, NULL, NULL, id);
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

static nnom_status infer_layer(nnom_model *m, int32_t index)
{
    nnom_layer *l = &m->layers[index];
    const nnom_layer_ops *ops = nnom_layer_ops_of(l->type);
    const char *tname = nnom_layer_type_name(l->type);
    if (!ops || !ops->infer)
        return nnom_fail(m, NNOM_ERR_UNSUPPORTED, "layer '%s': type %s is not supported by this build", l->name, tname);
    if (l->n_inputs < ops->min_inputs || l->n_inputs > ops->max_inputs)
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "%d inputs given, it takes %d to %d", (int)l->n_inputs,
                               (int)ops->min_inputs, (int)ops->max_inputs);
    nnom_infer_ctx ctx;
    nnom_infer_ctx_init(&ctx, m, l);
    if ((ops->flags & NNOM_OPS_VIEW) && l->n_inputs > 0) l->quant = ctx.in[0]->quant;
    nnom_status st = ops->infer(l, &ctx);
    if (st != NNOM_OK) return st;
    if (l->shape.rank < 1 || l->shape.rank > NNOM_MAX_RANK)
        return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "output rank %d is not 1 to %d", (int)l->shape.rank,
                               NNOM_MAX_RANK);
    int64_t count = 1;
    for (int32_t k = 0; k < l->shape.rank; k++) {
        if (l->shape.dims[k] <= 0)
            return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "output dimension %d is %d", (int)k, (int)l->shape.dims[k]);
        count *= l->shape.dims[k];
        if (count > NNOM_MAX_LAYER_ELEMENTS)
            return nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "output of more than 2^28 elements");
    }
    for (int32_t k = l->shape.rank; k < NNOM_MAX_RANK; k++) l->shape.dims[k] = 0;
    if (m->dtype == NNOM_DTYPE_S8 && !quant_valid(l->quant))
        return nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT,
                               "int8 output needs a positive scale and a zero point in [-128, 127] (zero point %d)",
                               (int)l->quant.zero_point);
    l->out_bytes = (uint32_t)count * nnom_dtype_size(m->dtype); /* count <= 2^28: at most 1 GiB */
    l->scratch_bytes = ops->scratch_bytes ? ops->scratch_bytes(l, &ctx) : 0; /* any size: the plan checks sums */
    if (m->dtype == NNOM_DTYPE_S8) {
        int32_t lo, hi;
        nnom_act_bounds_s8(l->p->activation, l->quant, &lo, &hi);
        l->act_lo = (int8_t)lo; /* in [-128, 127] */
        l->act_hi = (int8_t)hi;
    }
    return NNOM_OK;
}

/* The state memory of recurrent layers: one zeroed block, each layer's part 8-byte aligned. It is
 * not part of the arena, which layers reuse within a run: a stateful layer's state must outlive runs. */
static nnom_status alloc_state(nnom_model *m)
{
    if (!NNOM_HAS_STATE) return NNOM_OK; /* (state_offset, state_bytes stay 0) */
    uint64_t total = 0;
    for (int32_t i = 0; i < m->n_layers; i++) {
        nnom_layer *l = &m->layers[i];
        const nnom_layer_ops *ops = nnom_layer_ops_of(l->type);
        l->state_offset = 0;
        l->state_bytes = ops->state_bytes ? ops->state_bytes(l, m->dtype) : 0;
        if (!l->state_bytes) continue;
        l->state_offset = (uint32_t)total;
        total += ((uint64_t)l->state_bytes + 7u) & ~(uint64_t)7u;
        if (total > m->max_arena) {
            char need[40], limit[40];
            nnom_bytes_text(total, need, sizeof need);
            nnom_bytes_text(m->max_arena, limit, sizeof limit);
            return nnom_fail(m, NNOM_ERR_NO_MEMORY, "layer '%s': the recurrent state of the model takes at least %s, "
                             "more than the limit of %s (nnom_options.max_arena_bytes)", l->name, need, limit);
        }
    }
    m->state_size = (uint32_t)total;
    if (!total) return NNOM_OK;
    m->state = (uint8_t *)nnom_alloc(m, (size_t)total);
    if (!m->state)
        return nnom_fail(m, NNOM_ERR_NO_MEMORY, "out of memory for %lu bytes of recurrent state", (unsigned long)total);
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

/* Observing float32 models: the (min, max) pairs of every layer that has internal values. */
static nnom_status alloc_internals(nnom_model *m)
{
    int32_t total = 0;
    for (int32_t i = 0; i < m->n_layers; i++) {
        nnom_layer *l = &m->layers[i];
        const int32_t n = NNOM_HAS_F32 && m->observe && m->dtype == NNOM_DTYPE_F32 ? nnom_layer_ops_of(l->type)->internals : 0;
        l->internals = n ? total : -1;
        total += n;
    }
    m->n_internals = total;
    if (!total) return NNOM_OK;
    m->internals = (float *)nnom_alloc(m, (size_t)total * 2u * sizeof(float));
    if (!m->internals) return nnom_fail(m, NNOM_ERR_NO_MEMORY, "out of memory for %d observed ranges", (int)total);
    reset_internals(m);
    return NNOM_OK;
}

/* Shapes, input/output lists, plan, state and observed ranges; the caller releases them on failure. */
static nnom_status compile_steps(nnom_model *m)
{
    release_compiled(m);
    int32_t n_in = 0, n_out = 0;
    for (int32_t i = 0; i < m->n_layers; i++) {
        nnom_status st = infer_layer(m, i);
        if (st != NNOM_OK) return st;
        n_in += m->layers[i].type == NNOM_LAYER_INPUT;
        n_out += m->layers[i].type == NNOM_LAYER_OUTPUT;
    }
    if (n_in == 0) return nnom_fail(m, NNOM_ERR_STATE, "the model has no INPUT layer");
    if (n_out == 0) return nnom_fail(m, NNOM_ERR_STATE, "the model has no OUTPUT layer");
    m->input_ids = (int32_t *)nnom_alloc(m, (size_t)n_in * sizeof(int32_t));
    m->output_ids = (int32_t *)nnom_alloc(m, (size_t)n_out * sizeof(int32_t));
    if (!m->input_ids || !m->output_ids) return nnom_fail(m, NNOM_ERR_NO_MEMORY, "out of memory for the input/output lists");
    for (int32_t i = 0; i < m->n_layers; i++) {
        if (m->layers[i].type == NNOM_LAYER_INPUT) m->input_ids[m->n_inputs++] = i;
        if (m->layers[i].type == NNOM_LAYER_OUTPUT) m->output_ids[m->n_outputs++] = i;
    }
    nnom_status st = nnom_plan_tuned(m);
    if (st == NNOM_OK) st = alloc_state(m);
    if (st == NNOM_OK) st = alloc_internals(m);
    if (st == NNOM_OK && m->timer) {
        m->layer_time = (uint64_t *)nnom_alloc(m, (size_t)m->n_layers * sizeof(uint64_t));
        if (!m->layer_time) return nnom_fail(m, NNOM_ERR_NO_MEMORY, "out of memory for the layers' times");
        memset(m->layer_time, 0, (size_t)m->n_layers * sizeof(uint64_t));
    }
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
    m->error[0] = '\0';
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

static uint8_t *buffer_ptr(const nnom_model *m, int32_t buffer)
{
    return buffer < 0 ? NULL : m->arena + m->buffers[buffer].offset;
}

/* ------------------------------------------------------------ inputs/outputs */

int32_t nnom_model_input_count(const nnom_model *m) { return m ? m->n_inputs : 0; }
int32_t nnom_model_output_count(const nnom_model *m) { return m ? m->n_outputs : 0; }

static nnom_status tensor_info(const nnom_model *m, int32_t id, nnom_tensor_info *info)
{
    const nnom_layer *l = &m->layers[id];
    info->name = l->name;
    info->dtype = m->dtype;
    info->shape = l->shape;
    info->quant = l->quant;
    info->count = nnom_shape_count(&l->shape);
    info->layer = id;
    return NNOM_OK;
}

nnom_status nnom_model_input_info(const nnom_model *m, int32_t index, nnom_tensor_info *info)
{
    if (!m || !info || index < 0 || index >= m->n_inputs) return NNOM_ERR_ARGUMENT;
    return tensor_info(m, m->input_ids[index], info);
}

nnom_status nnom_model_output_info(const nnom_model *m, int32_t index, nnom_tensor_info *info)
{
    if (!m || !info || index < 0 || index >= m->n_outputs) return NNOM_ERR_ARGUMENT;
    return tensor_info(m, m->output_ids[index], info);
}

void *nnom_model_input_data(nnom_model *m, int32_t index)
{
    if (!m || !m->arena || index < 0 || index >= m->n_inputs) return NULL;
    return buffer_ptr(m, m->layers[m->input_ids[index]].buffer);
}

const void *nnom_model_output_data(const nnom_model *m, int32_t index)
{
    if (!m || !m->arena || index < 0 || index >= m->n_outputs) return NULL;
    return buffer_ptr(m, m->layers[m->output_ids[index]].buffer);
}

/* Checks an I/O call; returns the layer or NULL after recording the failure. */
static const nnom_layer *io_layer(nnom_model *m, int is_input, int32_t index, nnom_dtype want,
                                  size_t count, const void *data, nnom_status *st)
{
    const char *what = is_input ? "input" : "output";
    int32_t n = is_input ? m->n_inputs : m->n_outputs;
    if (!m->compiled || !m->arena) {
        *st = nnom_fail(m, NNOM_ERR_STATE, "the model needs to be compiled and given an arena first");
        return NULL;
    }
    if (index < 0 || index >= n) {
        *st = nnom_fail(m, NNOM_ERR_ARGUMENT, "%s %d does not exist (the model has %d)", what, (int)index, (int)n);
        return NULL;
    }
    if (!data) {
        *st = nnom_fail(m, NNOM_ERR_ARGUMENT, "%s %d: data pointer is NULL", what, (int)index);
        return NULL;
    }
    if (want == NNOM_DTYPE_S8 && m->dtype != NNOM_DTYPE_S8) {
        *st = nnom_fail(m, NNOM_ERR_ARGUMENT, "%s %d: int8 data given to a float32 model", what, (int)index);
        return NULL;
    }
    const nnom_layer *l = &m->layers[is_input ? m->input_ids[index] : m->output_ids[index]];
    size_t expected = (size_t)nnom_shape_count(&l->shape);
    if (count != expected) {
        *st = nnom_fail(m, NNOM_ERR_SHAPE, "%s %d ('%s'): %lu values given, the tensor has %lu", what, (int)index,
                        l->name, (unsigned long)count, (unsigned long)expected);
        return NULL;
    }
    *st = NNOM_OK;
    return l;
}

nnom_status nnom_model_set_input_s8(nnom_model *m, int32_t index, const int8_t *data, size_t count)
{
    if (!m) return NNOM_ERR_ARGUMENT;
    nnom_status st;
    const nnom_layer *l = io_layer(m, 1, index, NNOM_DTYPE_S8, count, data, &st);
    if (!l) return st;
    memcpy(buffer_ptr(m, l->buffer), data, count);
    return NNOM_OK;
}

nnom_status nnom_model_set_input_f32(nnom_model *m, int32_t index, const float *data, size_t count)
{
    if (!m) return NNOM_ERR_ARGUMENT;
    nnom_status st;
    const nnom_layer *l = io_layer(m, 1, index, NNOM_DTYPE_F32, count, data, &st);
    if (!l) return st;
    if (!m->allow_nonfinite) {
        for (size_t i = 0; i < count; i++) {
            /* NaN fails both comparisons; an infinity passes one of them */
            if (!(data[i] >= -FLT_MAX && data[i] <= FLT_MAX))
                return nnom_fail(m, NNOM_ERR_ARGUMENT, "input %d ('%s'): value %lu is %s; non-finite inputs are refused",
                                 (int)index, l->name, (unsigned long)i,
                                 data[i] != data[i] ? "NaN" : (data[i] > 0 ? "+inf" : "-inf"));
        }
    }
    uint8_t *dst = buffer_ptr(m, l->buffer);
    if (m->dtype == NNOM_DTYPE_F32) {
        memcpy(dst, data, count * sizeof(float));
    } else {
        int8_t *q = (int8_t *)dst;
        for (size_t i = 0; i < count; i++) q[i] = nnom_quant_s8(data[i], l->quant);
    }
    return NNOM_OK;
}

nnom_status nnom_model_get_output_s8(nnom_model *m, int32_t index, int8_t *data, size_t count)
{
    if (!m) return NNOM_ERR_ARGUMENT;
    nnom_status st;
    const nnom_layer *l = io_layer(m, 0, index, NNOM_DTYPE_S8, count, data, &st);
    if (!l) return st;
    memcpy(data, buffer_ptr(m, l->buffer), count);
    return NNOM_OK;
}

nnom_status nnom_model_get_output_f32(nnom_model *m, int32_t index, float *data, size_t count)
{
    if (!m) return NNOM_ERR_ARGUMENT;
    nnom_status st;
    const nnom_layer *l = io_layer(m, 0, index, NNOM_DTYPE_F32, count, data, &st);
    if (!l) return st;
    const uint8_t *src = buffer_ptr(m, l->buffer);
    if (m->dtype == NNOM_DTYPE_F32) {
        memcpy(data, src, count * sizeof(float));
    } else {
        for (size_t i = 0; i < count; i++) data[i] = nnom_dequant_s8((int8_t)src[i], l->quant);
    }
    return NNOM_OK;
}

/* ------------------------------------------------------------ introspection */

/* 64-bit: six blobs of up to 4 GiB each do not wrap round */
static uint64_t blob_bytes(const nnom_layer *l)
{
    uint64_t sum = 0;
    for (int k = 0; k < NNOM_MAX_BLOBS; k++) sum += l->blobs[k].size;
    return sum;
}

nnom_status nnom_model_layer_info(const nnom_model *m, int32_t i, nnom_layer_info *info)
{
    if (!m || !info || i < 0 || i >= m->n_layers) return NNOM_ERR_ARGUMENT;
    if (!NNOM_STRUCT_SIZE_KNOWN(info))
        return nnom_fail((nnom_model *)m, NNOM_ERR_ARGUMENT, NNOM_STRUCT_SIZE_FMT,
                         NNOM_STRUCT_SIZE_ARGS(info, "nnom_layer_info"));
    const nnom_layer *l = &m->layers[i];
    nnom_layer_info_init(info);
    info->name = l->name;
    info->type = l->type;
    info->type_name = (nnom_layer_type_name)(l->type);
    info->n_inputs = l->n_inputs;
    for (int32_t j = 0; j < NNOM_MAX_INPUTS; j++) info->inputs[j] = j < l->n_inputs ? l->inputs[j] : 0;
    info->shape = l->shape;
    info->quant = l->quant;
    info->params = *l->p;
    info->macs = layer_macs(m, i);
    const uint64_t weights = blob_bytes(l);
    info->weight_bytes = weights < UINT32_MAX ? (uint32_t)weights : UINT32_MAX; /* saturated */
    if (m->compiled) {
        info->arena_offset = m->buffers[l->buffer].offset;
        const nnom_tiling *t = &m->tiling;
        const int banded = t->first >= 0 && i >= t->first && i < t->cut; /* holds one tile's rows */
        info->arena_bytes = banded ? m->buffers[l->buffer].bytes : l->out_bytes;
        if (l->scratch_buffer >= 0) {
            info->scratch_offset = m->buffers[l->scratch_buffer].offset;
            info->scratch_bytes = l->scratch_bytes;
        }
        info->in_place = l->in_place;
    }
    return NNOM_OK;
}

const void *nnom_model_layer_output(const nnom_model *m, int32_t i)
{
    if (!m || !m->compiled || !m->arena || i < 0 || i >= m->n_layers) return NULL;
    const nnom_layer *l = &m->layers[i];
    /* kept: its buffer lives to the end, so nothing was written over it */
    if (m->buffers[l->buffer].last < m->n_layers) return NULL;
    return buffer_ptr(m, l->buffer);
}

nnom_status nnom_model_layer_output_f32(const nnom_model *m, int32_t i, float *data, size_t count)
{
    if (!m || !data || i < 0 || i >= m->n_layers) return NNOM_ERR_ARGUMENT;
    const nnom_layer *l = &m->layers[i];
    const size_t elements = (size_t)nnom_shape_count(&l->shape);
    if (count != elements) return NNOM_ERR_ARGUMENT;
    const void *src = nnom_model_layer_output(m, i);
    if (!src) return NNOM_ERR_STATE;
    if (m->dtype == NNOM_DTYPE_F32) {
        memcpy(data, src, count * sizeof(float));
    } else {
        const int8_t *q = (const int8_t *)src;
        for (size_t k = 0; k < count; k++) data[k] = nnom_dequant_s8(q[k], l->quant);
    }
    return NNOM_OK;
}

nnom_status nnom_model_layer_blobs(const nnom_model *m, int32_t i, nnom_blob blobs[NNOM_MAX_BLOBS])
{
    if (!m || !blobs || i < 0 || i >= m->n_layers) return NNOM_ERR_ARGUMENT;
    memcpy(blobs, m->layers[i].blobs, sizeof(nnom_blob) * NNOM_MAX_BLOBS);
    return NNOM_OK;
}

nnom_status nnom_model_layer_stats(const nnom_model *m, int32_t i, nnom_layer_stats *s)
{
    if (!m || !s || i < 0 || i >= m->n_layers) return NNOM_ERR_ARGUMENT;
    s->macs = layer_macs(m, i);
    s->runs = m->runs;
    s->time_us = m->layer_time ? m->layer_time[i] : 0;
    return NNOM_OK;
}

uint64_t nnom_model_total_macs(const nnom_model *m)
{
    uint64_t sum = 0;
    for (int32_t i = 0; m && m->compiled && i < m->n_layers; i++) sum += layer_macs(m, i);
    return sum;
}

size_t nnom_model_weight_bytes(const nnom_model *m)
{
    uint64_t sum = 0;
    for (int32_t i = 0; m && i < m->n_layers; i++) sum += blob_bytes(&m->layers[i]);
    return sum < (uint64_t)SIZE_MAX ? (size_t)sum : SIZE_MAX; /* saturated where size_t has 32 bits */
}

void nnom_model_reset_stats(nnom_model *m)
{
    if (m) m->runs = 0;
    for (int32_t i = 0; m && m->layer_time && i < m->n_layers; i++) m->layer_time[i] = 0;
    if (m && m->internals) reset_internals(m);
}

int32_t nnom_model_layer_internals(const nnom_model *m, int32_t i, float *min, float *max, int32_t capacity)
{
    if (!m || !m->compiled || i < 0 || i >= m->n_layers || m->layers[i].internals < 0) return 0;
    const nnom_layer *l = &m->layers[i];
    const int32_t n = nnom_layer_ops_of(l->type)->internals;
    const float *r = m->internals + 2 * l->internals;
    for (int32_t k = 0; k < n && k < capacity; k++) {
        if (min) min[k] = r[2 * k];
        if (max) max[k] = r[2 * k + 1];
    }
    return n;
}

void nnom_model_allow_nonfinite(nnom_model *m, int allow)
{
    if (m) m->allow_nonfinite = allow != 0;
}

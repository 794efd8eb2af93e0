/*
 * CUSTOM: a user operator (nnom/user_op.h), found by name in the model's registry
 * (nnom_options.op_registry) when the model is compiled.
 * Blob 0: the operator's name, UTF-8, NUL-terminated within NNOM_NAME_MAX bytes (bytes after the
 * NUL are zero). Blob 1: the operator's constants, opaque to the runtime (may be empty).
 * Blobs 2 to 5 are empty and every parameter is zero (reserved). The output quantisation of an
 * int8 model is the layer's own (the converter calibrates it).
 */
#include <string.h>

#include "core/model_internal.h"
#include "nnom/user_op.h"

enum {
    CUSTOM_BLOB_NAME = 0,      /* the operator's name */
    CUSTOM_BLOB_CONSTANTS = 1, /* its constants */
    CUSTOM_BLOBS_USED = 2      /* the slots from here on are empty */
};

/* The operator name in blob 0, or NULL when the blob is not a NUL-terminated name padded with zeros. */
static const char *op_name(const nnom_layer *l)
{
    const nnom_blob blob = nnom_layer_blob(l, CUSTOM_BLOB_NAME), *b = &blob;
    if (!b->data || b->size < 2u || b->size > NNOM_NAME_MAX) return NULL;
    const char *s = (const char *)b->data;
    const char *nul = (const char *)memchr(s, '\0', b->size);
    if (!nul || nul == s) return NULL;
    for (const char *p = nul; p < s + b->size; p++)
        if (*p != '\0') return NULL;
    return s;
}

/* The call an operator's functions see, without data (shape inference and scratch size). */
/* The operator of CUSTOM layer @p l, found when the model was compiled (NULL before). */
static const nnom_user_op *user_op(const nnom_model *m, const nnom_layer *l) { return m->user_ops[l - m->layers]; }

static void describe(const nnom_model *m, const nnom_layer *l, const nnom_layer *const *in, nnom_dtype dtype,
                     nnom_user_call *call)
{
    memset(call, 0, sizeof *call);
    call->op = user_op(m, l);
    call->layer = l->def->name;
    call->dtype = dtype;
    call->n_inputs = l->n_inputs;
    for (int32_t j = 0; j < l->n_inputs; j++) {
        call->in[j].shape = in[j]->def->shape;
        call->in[j].quant = in[j]->def->quant;
    }
    call->out_shape = l->def->shape;
    call->out_quant = l->def->quant;
    call->constants = nnom_layer_blob(l, CUSTOM_BLOB_CONSTANTS);
}

static int params_are_zero(const nnom_layer_params *p)
{
    const uint8_t *b = (const uint8_t *)p;
    for (size_t k = 0; k < sizeof *p; k++)
        if (b[k]) return 0;
    return 1;
}

static nnom_status infer(nnom_layer *l, const nnom_infer_ctx *ctx)
{
    nnom_model *m = ctx->model;
    const nnom_user_op **slot = &m->user_ops[l - m->layers];
    *slot = NULL;
    const char *name = op_name(l);
    if (!name)
        return nnom_fail(m, NNOM_ERR_ARGUMENT, "layer '%s' (custom): blob 0 must hold the user operator's name, "
                         "NUL-terminated and zero-padded within %d bytes (given %u bytes)", l->def->name, NNOM_NAME_MAX,
                         (unsigned)nnom_blob_size(l, CUSTOM_BLOB_NAME));
    for (int k = CUSTOM_BLOBS_USED; k < NNOM_MAX_BLOBS; k++)
        if (nnom_blob_size(l, k))
            return nnom_fail(m, NNOM_ERR_ARGUMENT, "layer '%s' (custom, user operator '%s'): blob %d has %u bytes, "
                             "must be empty (blob 0 is the name, blob 1 the constants)", l->def->name, name, k,
                             (unsigned)nnom_blob_size(l, k));
    if (!params_are_zero(&l->def->params))
        return nnom_fail(m, NNOM_ERR_ARGUMENT, "layer '%s' (custom, user operator '%s'): parameters must all be zero "
                         "(the operator's settings go in its constants, blob 1)", l->def->name, name);
    const nnom_user_op *op = nnom_find_op(m->registry, name);
    if (!op)
        return nnom_fail(m, NNOM_ERR_UNSUPPORTED, "layer '%s' needs user operator '%s', not registered in "
                         "nnom_options.op_registry", l->def->name, name);
    if (ctx->dtype == NNOM_DTYPE_S8 ? !op->run_s8 : !op->run_f32)
        return nnom_fail(m, NNOM_ERR_UNSUPPORTED, "layer '%s': user operator '%s' has no %s kernel (%s is NULL)",
                         l->def->name, name, ctx->dtype == NNOM_DTYPE_S8 ? "int8" : "float32",
                         ctx->dtype == NNOM_DTYPE_S8 ? "run_s8" : "run_f32");
    if (l->n_inputs < op->min_inputs || l->n_inputs > op->max_inputs)
        return nnom_fail(m, NNOM_ERR_SHAPE, "layer '%s' (user operator '%s'): %d inputs given, it takes %d to %d",
                         l->def->name, name, (int)l->n_inputs, (int)op->min_inputs, (int)op->max_inputs);
    *slot = op;
    nnom_user_call call;
    describe(m, l, ctx->in, ctx->dtype, &call);
    char message[NNOM_USER_OP_MESSAGE_MAX];
    message[0] = '\0';
    nnom_shape shape;
    memset(&shape, 0, sizeof shape);
    const nnom_status st = op->infer(&call, &shape, message);
    message[NNOM_USER_OP_MESSAGE_MAX - 1] = '\0';
    if (st != NNOM_OK) {
        *slot = NULL;
        return nnom_fail(m, st, "layer '%s' (user operator '%s'): %s", l->def->name, name,
                         message[0] ? message : "its infer() refused the inputs");
    }
    l->def->shape = shape;
    return NNOM_OK;
}

static uint32_t scratch_bytes(const nnom_layer *l, const nnom_infer_ctx *ctx)
{
    const nnom_user_op *op = user_op(ctx->model, l);
    if (!op || !op->scratch_bytes) return 0;
    nnom_user_call call;
    describe(ctx->model, l, ctx->in, ctx->dtype, &call);
    return op->scratch_bytes(&call);
}

static void run(const nnom_exec *x, nnom_dtype dtype)
{
    const nnom_layer *l = x->layer;
    nnom_user_call call;
    describe(x->model, l, x->in_layer, dtype, &call);
    for (int32_t j = 0; j < x->n_inputs; j++) call.in[j].data = x->in[j];
    call.out = x->out;
    call.scratch = x->scratch;
    if (dtype == NNOM_DTYPE_S8) call.op->run_s8(&call);
    else call.op->run_f32(&call);
}

static void run_s8(const nnom_exec *x) { run(x, NNOM_DTYPE_S8); }
static void run_f32(const nnom_exec *x) { run(x, NNOM_DTYPE_F32); }

const nnom_layer_ops nnom_ops_custom = {
    .min_inputs = 1,
    .max_inputs = NNOM_MAX_INPUTS,
    .flags = 0,
    .infer = infer,
    .scratch_bytes = scratch_bytes,
    .run_s8 = run_s8,
    .run_f32 = NNOM_RUN_F32(run_f32),
};

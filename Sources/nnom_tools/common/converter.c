/* The converter handle: memory, errors, the one-line conversion. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tools_internal.h"

struct nnom_store_chunk {
    nnom_store_chunk *next;
    size_t bytes;
    /* data follows, 8-aligned because the header is 16 bytes */
    uint64_t pad;
};

void *nnom_store_alloc(nnom_store *s, size_t bytes)
{
    nnom_store_chunk *c = (nnom_store_chunk *)calloc(1, sizeof *c + (bytes ? bytes : 1));
    if (!c) return NULL;
    c->next = s->chunks;
    c->bytes = bytes;
    s->chunks = c;
    return c + 1;
}

void nnom_store_release(nnom_store *s)
{
    while (s->chunks) {
        nnom_store_chunk *next = s->chunks->next;
        free(s->chunks);
        s->chunks = next;
    }
}

nnom_status nnom_error_set(nnom_error *err, nnom_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

nnom_status nnom_converter_create(nnom_converter **out, nnom_error *err)
{
    if (!out) return nnom_error_set(err, NNOM_ERR_ARGUMENT, "converter: out is NULL");
    *out = (nnom_converter *)calloc(1, sizeof **out);
    if (!*out) return nnom_error_set(err, NNOM_ERR_NO_MEMORY, "converter: out of memory");
    return NNOM_OK;
}

nnom_status nnom_converter_fail(nnom_converter *c, nnom_status status, const char *fmt, ...)
{
    if (c) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->error, sizeof c->error, fmt, ap);
        va_end(ap);
    }
    return status;
}

void nnom_converter_error_to(const nnom_converter *c, nnom_status status, nnom_error *err)
{
    if (err) nnom_error_set(err, status, "%s", c ? c->error : "converter is NULL");
}

const char *nnom_converter_last_error(const nnom_converter *c) { return c ? c->error : "converter is NULL"; }

nnom_model *nnom_converter_float_model(nnom_converter *c) { return c ? c->float_model : NULL; }

nnom_model *nnom_converter_int8_model(nnom_converter *c) { return c ? c->int8_model : NULL; }

nnom_status nnom_converter_from_model(const nnom_model *model, nnom_converter **out, nnom_error *err)
{
    if (!model) return nnom_error_set(err, NNOM_ERR_ARGUMENT, "converter: model is NULL");
    if (nnom_model_dtype(model) != NNOM_DTYPE_F32)
        return nnom_error_set(err, NNOM_ERR_ARGUMENT, "converter: the model to quantise must be a float32 model");
    if (nnom_model_arena_size(model) == 0)
        return nnom_error_set(err, NNOM_ERR_STATE, "converter: compile the float32 model first");
    nnom_status st = nnom_converter_create(out, err);
    if (st != NNOM_OK) return st;
    (*out)->float_model = (nnom_model *)model;
    (*out)->owns_float_model = 0;
    return NNOM_OK;
}

void nnom_converter_destroy(nnom_converter *c)
{
    if (!c) return;
    if (c->owns_float_model) nnom_model_destroy(c->float_model);
    nnom_model_destroy(c->int8_model);
    free(c->range_min);
    free(c->range_max);
    nnom_store_release(&c->store);
    free(c);
}

nnom_status nnom_convert_keras(const char *path, const float *samples, size_t n_samples,
                               const nnom_quantize_options *options, nnom_converter **out, nnom_error *err)
{
    if (out) *out = NULL;
    nnom_converter *c;
    nnom_status st = nnom_keras_read(path, &c, err);
    if (st != NNOM_OK) return st;
    st = nnom_converter_quantize(c, samples, n_samples, options);
    if (st != NNOM_OK) {
        nnom_converter_error_to(c, st, err);
        nnom_converter_destroy(c);
        return st;
    }
    *out = c;
    return NNOM_OK;
}

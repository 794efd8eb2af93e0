/* The converter handle: memory, errors, the one-line conversion. */
#include <errno.h>
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

const char *nnom_tools_io_reason(int errno_value)
{
    switch (errno_value) {
    case ENOENT: return "no such file";
    case EISDIR: return "it is a directory";
    case EACCES: return "permission denied";
    case 0: return "read error";
    }
    return strerror(errno_value);
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
    va_list ap;
    va_start(ap, fmt);
    nnom_converter_vfail(c, status, "", fmt, ap);
    va_end(ap);
    return status;
}

nnom_status nnom_converter_fail_in(nnom_converter *c, nnom_status status, const char *prefix, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nnom_converter_vfail(c, status, prefix, fmt, ap);
    va_end(ap);
    return status;
}

nnom_status nnom_converter_vfail(nnom_converter *c, nnom_status status, const char *prefix, const char *fmt,
                                 va_list ap)
{
    if (c) {
        const int n = snprintf(c->error, sizeof c->error, "%s", prefix);
        const size_t used = n < 0 ? 0 : ((size_t)n < sizeof c->error ? (size_t)n : sizeof c->error - 1);
        vsnprintf(c->error + used, sizeof c->error - used, fmt, ap);
    }
    return status;
}

void nnom_converter_error_to(const nnom_converter *c, nnom_status status, nnom_error *err)
{
    if (err) nnom_error_set(err, status, "%s", c ? c->error : "converter is NULL");
}

const char *nnom_converter_last_error(const nnom_converter *c) { return c ? c->error : "converter is NULL"; }

nnom_model *nnom_converter_float_model(nnom_converter *c) { return c ? c->float_model : NULL; }

const char *nnom_converter_keras_layer(const nnom_converter *c, int32_t layer)
{
    if (!c || !c->keras_layers || layer < 0 || layer >= c->n_keras_layers) return NULL;
    return c->keras_layers[layer];
}

const char *nnom_converter_layer_type_name(const nnom_converter *c, int32_t layer)
{
    if (!c) return NULL;
    if (c->report_types && layer >= 0 && layer < c->n_keras_layers && c->report_types[layer])
        return c->report_types[layer];
    nnom_layer_info info = NNOM_LAYER_INFO_INIT;
    if (nnom_model_layer_info(c->int8_model ? c->int8_model : c->float_model, layer, &info) != NNOM_OK) return NULL;
    return info.type_name;
}

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

/* ------------------------------------------------------- calibration arrays */

/* The most dims a calibration array may have (a batch of samples with extra dims of 1): a bound for the text. */
#define CALIBRATION_MAX_RANK 8

/* Appends ", d" for each of @p rank dims to @p buf ("(batch, 8, 8, 1)" after the caller's "(batch"). */
static void append_dims(char *buf, size_t cap, const int64_t *dims, int32_t rank)
{
    for (int32_t k = 0; k < rank; k++) {
        size_t used = strlen(buf);
        snprintf(buf + used, cap - used, "%s%lld", used > 1 ? ", " : "", (long long)dims[k]);
    }
}

/* The input's shape as Python and NumPy print a batch of it: "(batch, 8, 8, 1)". */
static void format_input_shape(char *buf, size_t cap, const nnom_tensor_info *ti)
{
    int64_t dims[NNOM_MAX_RANK];
    for (int32_t k = 0; k < ti->shape.rank; k++) dims[k] = ti->shape.dims[k];
    snprintf(buf, cap, "(batch");
    append_dims(buf, cap, dims, ti->shape.rank);
    snprintf(buf + strlen(buf), cap - strlen(buf), ")");
}

static void format_array_shape(char *buf, size_t cap, const int64_t *dims, int32_t rank)
{
    snprintf(buf, cap, "(");
    append_dims(buf, cap, dims, rank);
    snprintf(buf + strlen(buf), cap - strlen(buf), rank == 1 ? ",)" : ")");
}

/* Whether one sample of an array (dims after the batch) holds the input's values in the input's layout: the
 * same dims, or the same once dims of 1 are dropped on both sides ((8, 8) for an (8, 8, 1) image). */
static int sample_fits(const int64_t *dims, int32_t rank, const nnom_shape *shape)
{
    int32_t a = 0, b = 0;
    for (;;) {
        while (a < rank && dims[a] == 1) a++;
        while (b < shape->rank && shape->dims[b] == 1) b++;
        if (a == rank || b == shape->rank) return a == rank && b == shape->rank;
        if (dims[a++] != shape->dims[b++]) return 0;
    }
}

nnom_status nnom_converter_check_calibration(nnom_converter *c, int32_t n_arrays, const int32_t *ranks,
                                             const int64_t *dims, size_t *n_samples)
{
    if (n_samples) *n_samples = 0;
    if (!c || !c->float_model || (n_arrays > 0 && (!ranks || !dims)))
        return nnom_converter_fail(c, NNOM_ERR_ARGUMENT, "calibration check: NULL converter, ranks or dims");
    const nnom_model *m = c->float_model;
    const int32_t n_inputs = nnom_model_input_count(m);
    nnom_tensor_info info[NNOM_MAX_INPUTS];
    char expected[160], given[160];
    for (int32_t i = 0; i < n_inputs && i < NNOM_MAX_INPUTS; i++) nnom_model_input_info(m, i, &info[i]);
    if (n_arrays != n_inputs) {
        char list[NNOM_ERROR_MESSAGE_MAX] = "";
        for (int32_t i = 0; i < n_inputs && i < NNOM_MAX_INPUTS; i++) {
            format_input_shape(expected, sizeof expected, &info[i]);
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s'%s' %s", i ? ", " : "", info[i].name,
                     expected);
        }
        return nnom_converter_fail(c, NNOM_ERR_SHAPE, "calibration: the model has %d input%s (%s), %d array%s given",
                                   (int)n_inputs, n_inputs == 1 ? "" : "s", list, (int)n_arrays,
                                   n_arrays == 1 ? "" : "s");
    }
    int64_t batch = -1;
    const int64_t *array_dims = dims;
    for (int32_t i = 0; i < n_arrays; array_dims += ranks[i], i++) {
        if (ranks[i] < 1 || ranks[i] > CALIBRATION_MAX_RANK)
            return nnom_converter_fail(c, NNOM_ERR_SHAPE, "calibration input %d ('%s'): an array of rank %d, "
                                       "expected a batch of samples (rank 1 to %d)", (int)i, info[i].name,
                                       (int)ranks[i], CALIBRATION_MAX_RANK);
        format_input_shape(expected, sizeof expected, &info[i]);
        format_array_shape(given, sizeof given, array_dims, ranks[i]);
        /* one sample without its batch axis, as predict() takes it, is a batch of one */
        const int unbatched = !sample_fits(array_dims + 1, ranks[i] - 1, &info[i].shape) &&
                              sample_fits(array_dims, ranks[i], &info[i].shape);
        const int64_t samples_given = unbatched ? 1 : array_dims[0];
        if (!unbatched && !sample_fits(array_dims + 1, ranks[i] - 1, &info[i].shape)) {
            /* the shape of another input: most likely the inputs are not in the model's order */
            int32_t other = -1;
            for (int32_t j = 0; j < n_inputs && other < 0; j++)
                if (j != i && sample_fits(array_dims + 1, ranks[i] - 1, &info[j].shape)) other = j;
            if (other >= 0)
                return nnom_converter_fail(c, NNOM_ERR_SHAPE, "calibration input %d ('%s'): expected shape %s, given "
                                           "%s, the shape of input %d ('%s'): give the inputs in the model's order",
                                           (int)i, info[i].name, expected, given, (int)other, info[other].name);
            return nnom_converter_fail(c, NNOM_ERR_SHAPE, "calibration input %d ('%s'): expected shape %s, given %s",
                                       (int)i, info[i].name, expected, given);
        }
        if (samples_given < 1)
            return nnom_converter_fail(c, NNOM_ERR_SHAPE, "calibration input %d ('%s'): no samples (shape %s)",
                                       (int)i, info[i].name, given);
        if (batch >= 0 && samples_given != batch)
            return nnom_converter_fail(c, NNOM_ERR_SHAPE, "calibration input %d ('%s'): %lld samples, input 0 has "
                                       "%lld: every input needs the same number", (int)i, info[i].name,
                                       (long long)samples_given, (long long)batch);
        batch = samples_given;
    }
    if (n_samples) *n_samples = (size_t)batch;
    return NNOM_OK;
}

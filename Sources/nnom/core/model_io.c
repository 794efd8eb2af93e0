/* The model handle after compile: its inputs and outputs, and what it tells about its layers. */
#include <float.h>
#include <string.h>

#include "core/model_internal.h"
#include "core/struct_size.h"
#include "nnom/quantize.h"

static uint64_t layer_macs(const nnom_model *m, int32_t i) { return m->compiled ? nnom_layer_macs(m, i) : 0; }

/* ------------------------------------------------------------ inputs/outputs */

static uint8_t *output_ptr(const nnom_model *m, int32_t layer) { return m->arena + m->layers[layer].out_offset; }

static int32_t io_count(const nnom_model *m, int input)
{
    const uint8_t type = (uint8_t)(input ? NNOM_LAYER_INPUT : NNOM_LAYER_OUTPUT);
    int32_t n = 0;
    for (int32_t i = 0; m && m->compiled && i < m->n_layers; i++) n += m->layers[i].type == type;
    return n;
}

int32_t nnom_model_input_count(const nnom_model *m) { return io_count(m, 1); }
int32_t nnom_model_output_count(const nnom_model *m) { return io_count(m, 0); }

static nnom_status tensor_info(const nnom_model *m, int32_t id, nnom_tensor_info *info)
{
    const nnom_layer *l = &m->layers[id];
    info->name = l->def->name;
    info->dtype = (nnom_dtype)m->dtype;
    info->shape = l->def->shape;
    info->quant = l->def->quant;
    info->count = nnom_shape_count(&l->def->shape);
    info->layer = id;
    return NNOM_OK;
}

nnom_status nnom_model_input_info(const nnom_model *m, int32_t index, nnom_tensor_info *info)
{
    const int32_t id = m && m->compiled && index >= 0 ? nnom_model_io_layer(m, 1, index) : -1;
    if (!info || id < 0) return NNOM_ERR_ARGUMENT;
    return tensor_info(m, id, info);
}

nnom_status nnom_model_output_info(const nnom_model *m, int32_t index, nnom_tensor_info *info)
{
    const int32_t id = m && m->compiled && index >= 0 ? nnom_model_io_layer(m, 0, index) : -1;
    if (!info || id < 0) return NNOM_ERR_ARGUMENT;
    return tensor_info(m, id, info);
}

void *nnom_model_input_data(nnom_model *m, int32_t index)
{
    const int32_t id = m && m->compiled && m->arena && index >= 0 ? nnom_model_io_layer(m, 1, index) : -1;
    return id < 0 ? NULL : output_ptr(m, id);
}

const void *nnom_model_output_data(const nnom_model *m, int32_t index)
{
    const int32_t id = m && m->compiled && m->arena && index >= 0 ? nnom_model_io_layer(m, 0, index) : -1;
    return id < 0 ? NULL : output_ptr(m, id);
}

/* Checks an I/O call; returns the layer's id or -1 after recording the failure. */
static int32_t io_layer(nnom_model *m, int is_input, int32_t index, nnom_dtype want, size_t count, const void *data,
                        nnom_status *st)
{
    const char *what = is_input ? "input" : "output";
    if (!m->compiled || !m->arena) {
        *st = nnom_fail(m, NNOM_ERR_STATE, "the model needs to be compiled and given an arena first");
        return -1;
    }
    const int32_t id = index >= 0 ? nnom_model_io_layer(m, is_input, index) : -1;
    if (id < 0) {
        *st = nnom_fail(m, NNOM_ERR_ARGUMENT, "%s %d does not exist (the model has %d)", what, (int)index,
                        (int)io_count(m, is_input));
        return -1;
    }
    if (!data) {
        *st = nnom_fail(m, NNOM_ERR_ARGUMENT, "%s %d: data pointer is NULL", what, (int)index);
        return -1;
    }
    if (want == NNOM_DTYPE_S8 && m->dtype != NNOM_DTYPE_S8) {
        *st = nnom_fail(m, NNOM_ERR_ARGUMENT, "%s %d: int8 data given to a float32 model", what, (int)index);
        return -1;
    }
    const nnom_layer *l = &m->layers[id];
    size_t expected = (size_t)nnom_shape_count(&l->def->shape);
    if (count != expected) {
        *st = nnom_fail(m, NNOM_ERR_SHAPE, "%s %d ('%s'): %lu values given, the tensor has %lu", what, (int)index,
                        l->def->name, (unsigned long)count, (unsigned long)expected);
        return -1;
    }
    *st = NNOM_OK;
    return id;
}

nnom_status nnom_model_set_input_s8(nnom_model *m, int32_t index, const int8_t *data, size_t count)
{
    if (!m) return NNOM_ERR_ARGUMENT;
    nnom_status st;
    const int32_t id = io_layer(m, 1, index, NNOM_DTYPE_S8, count, data, &st);
    if (id < 0) return st;
    memcpy(output_ptr(m, id), data, count);
    return NNOM_OK;
}

nnom_status nnom_model_set_input_f32(nnom_model *m, int32_t index, const float *data, size_t count)
{
    if (!m) return NNOM_ERR_ARGUMENT;
    nnom_status st;
    const int32_t id = io_layer(m, 1, index, NNOM_DTYPE_F32, count, data, &st);
    if (id < 0) return st;
    const nnom_layer *l = &m->layers[id];
    if (!m->allow_nonfinite) {
        for (size_t i = 0; i < count; i++) {
            /* NaN fails both comparisons; an infinity passes one of them */
            if (!(data[i] >= -FLT_MAX && data[i] <= FLT_MAX))
                return nnom_fail(m, NNOM_ERR_ARGUMENT, "input %d ('%s'): value %lu is %s; non-finite inputs are refused",
                                 (int)index, l->def->name, (unsigned long)i,
                                 data[i] != data[i] ? "NaN" : (data[i] > 0 ? "+inf" : "-inf"));
        }
    }
    uint8_t *dst = output_ptr(m, id);
    if (m->dtype == NNOM_DTYPE_F32) {
        memcpy(dst, data, count * sizeof(float));
    } else {
        int8_t *q = (int8_t *)dst;
        const nnom_quant quant = l->def->quant;
        for (size_t i = 0; i < count; i++) q[i] = nnom_quant_s8(data[i], quant);
    }
    return NNOM_OK;
}

nnom_status nnom_model_get_output_s8(nnom_model *m, int32_t index, int8_t *data, size_t count)
{
    if (!m) return NNOM_ERR_ARGUMENT;
    nnom_status st;
    const int32_t id = io_layer(m, 0, index, NNOM_DTYPE_S8, count, data, &st);
    if (id < 0) return st;
    memcpy(data, output_ptr(m, id), count);
    return NNOM_OK;
}

nnom_status nnom_model_get_output_f32(nnom_model *m, int32_t index, float *data, size_t count)
{
    if (!m) return NNOM_ERR_ARGUMENT;
    nnom_status st;
    const int32_t id = io_layer(m, 0, index, NNOM_DTYPE_F32, count, data, &st);
    if (id < 0) return st;
    const uint8_t *src = output_ptr(m, id);
    if (m->dtype == NNOM_DTYPE_F32) {
        memcpy(data, src, count * sizeof(float));
    } else {
        const nnom_quant quant = m->layers[id].def->quant;
        for (size_t i = 0; i < count; i++) data[i] = nnom_dequant_s8((int8_t)src[i], quant);
    }
    return NNOM_OK;
}

/* ------------------------------------------------------------ introspection */

/* 64-bit: six blobs of up to 4 GiB each do not wrap round */
static uint64_t blob_bytes(const nnom_layer *l)
{
    uint64_t sum = 0;
    for (int k = 0; k < NNOM_MAX_BLOBS; k++) sum += nnom_blob_size(l, k);
    return sum;
}

/* Bytes of the buffer holding layer @p i's output: its output, or in a tiled stage before its cut
 * (core/tiling.c) the band of one tile's rows, the cut's output for a layer that writes into it, and
 * its input's buffer for a layer without a band of its own (a folded zero padding, an element-wise
 * layer in place in its input's band). */
static uint32_t buffer_bytes(const nnom_model *m, int32_t i)
{
    const nnom_tiling *t = &m->tiling;
    while (t->first >= 0 && i >= t->first && i < t->cut) {
        if (nnom_tiling_writes_cut(m, i)) return nnom_layer_out_bytes(&m->layers[t->cut], (nnom_dtype)m->dtype);
        const uint32_t band = nnom_tiling_band_bytes(m, i, NULL);
        if (band) return band;
        i = m->layers[i].def->inputs[0];
    }
    return nnom_layer_out_bytes(&m->layers[i], (nnom_dtype)m->dtype);
}

nnom_status nnom_model_layer_info(const nnom_model *m, int32_t i, nnom_layer_info *info)
{
    if (!m || !info || i < 0 || i >= m->n_layers) return NNOM_ERR_ARGUMENT;
    if (!NNOM_STRUCT_SIZE_KNOWN(info))
        return nnom_fail((nnom_model *)m, NNOM_ERR_ARGUMENT, NNOM_STRUCT_SIZE_FMT,
                         NNOM_STRUCT_SIZE_ARGS(info, "nnom_layer_info"));
    const nnom_layer *l = &m->layers[i];
    nnom_layer_info_init(info);
    info->name = l->def->name;
    info->type = (nnom_layer_type)l->type;
    info->type_name = (nnom_layer_type_name)((nnom_layer_type)l->type);
    info->n_inputs = l->n_inputs;
    for (int32_t j = 0; j < NNOM_MAX_INPUTS; j++) info->inputs[j] = j < l->n_inputs ? l->def->inputs[j] : 0;
    info->shape = l->def->shape;
    info->quant = l->def->quant;
    info->params = l->def->params;
    info->macs = layer_macs(m, i);
    const uint64_t weights = blob_bytes(l);
    info->weight_bytes = weights < UINT32_MAX ? (uint32_t)weights : UINT32_MAX; /* saturated */
    if (m->compiled) {
        info->arena_offset = l->out_offset;
        info->arena_bytes = buffer_bytes(m, i);
        if (l->scratch_bytes) {
            info->scratch_offset = l->scratch_offset;
            info->scratch_bytes = nnom_planned_scratch((nnom_model *)m, i);
        }
        info->in_place = l->in_place;
    }
    return NNOM_OK;
}

const void *nnom_model_layer_output(const nnom_model *m, int32_t i)
{
    if (!m || !m->compiled || !m->arena || i < 0 || i >= m->n_layers) return NULL;
    /* kept: its buffer lives to the end, so nothing was written over it */
    if (!(m->layers[i].flags & NNOM_LAYER_KEPT)) return NULL;
    return output_ptr(m, i);
}

nnom_status nnom_model_layer_output_f32(const nnom_model *m, int32_t i, float *data, size_t count)
{
    if (!m || !data || i < 0 || i >= m->n_layers) return NNOM_ERR_ARGUMENT;
    const nnom_layer *l = &m->layers[i];
    const size_t elements = (size_t)nnom_shape_count(&l->def->shape);
    if (count != elements) return NNOM_ERR_ARGUMENT;
    const void *src = nnom_model_layer_output(m, i);
    if (!src) return NNOM_ERR_STATE;
    if (m->dtype == NNOM_DTYPE_F32) {
        memcpy(data, src, count * sizeof(float));
    } else {
        const int8_t *q = (const int8_t *)src;
        const nnom_quant quant = l->def->quant;
        for (size_t k = 0; k < count; k++) data[k] = nnom_dequant_s8(q[k], quant);
    }
    return NNOM_OK;
}

nnom_status nnom_model_layer_blobs(const nnom_model *m, int32_t i, nnom_blob blobs[NNOM_MAX_BLOBS])
{
    if (!m || !blobs || i < 0 || i >= m->n_layers) return NNOM_ERR_ARGUMENT;
    for (int k = 0; k < NNOM_MAX_BLOBS; k++) blobs[k] = nnom_layer_blob(&m->layers[i], k);
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

int32_t nnom_model_layer_internals(const nnom_model *m, int32_t i, float *min, float *max, int32_t capacity)
{
    if (!m || !m->compiled || !m->internal_at || i < 0 || i >= m->n_layers || m->internal_at[i] < 0) return 0;
    const int32_t n = nnom_layer_ops_of((nnom_layer_type)m->layers[i].type)->internals;
    const float *r = m->internals + 2 * m->internal_at[i];
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

/* The model handle: the recurrent layers' state, kept across runs (size, reset, read, write). */
#include <string.h>

#include "core/model_internal.h"

size_t nnom_model_state_size(const nnom_model *m) { return m && m->compiled ? m->state_size : 0; }

nnom_status nnom_model_reset_state(nnom_model *m)
{
    if (!m) return NNOM_ERR_ARGUMENT;
    if (!m->compiled) return nnom_fail(m, NNOM_ERR_STATE, "compile the model before resetting its state");
    if (m->state) memset(m->state, 0, m->state_size);
    return NNOM_OK;
}

int32_t nnom_model_state_count(const nnom_model *m, int32_t i, int32_t *length)
{
    if (length) *length = 0;
    if (!m || !m->compiled || i < 0 || i >= m->n_layers) return -1;
    const nnom_layer *l = &m->layers[i];
    const nnom_layer_ops *ops = nnom_layer_ops_of(l->type);
    if (!(l->flags & NNOM_LAYER_HAS_STATE) || !ops->state_vectors) return 0;
    int32_t len = 0;
    const int32_t n = ops->state_vectors(l, &len);
    if (length) *length = len;
    return n;
}

/* Checks a state call; returns the layer or NULL after recording the failure. */
static const nnom_layer *state_layer(nnom_model *m, int32_t i, int32_t which, size_t count, const void *data,
                                     nnom_status *st)
{
    if (!m->compiled) {
        *st = nnom_fail(m, NNOM_ERR_STATE, "compile the model before reading or writing a layer's state");
        return NULL;
    }
    if (i < 0 || i >= m->n_layers) {
        *st = nnom_fail(m, NNOM_ERR_ARGUMENT, "layer %d does not exist (the model has %d)", (int)i, (int)m->n_layers);
        return NULL;
    }
    const nnom_layer *l = &m->layers[i];
    const char *tname = nnom_layer_type_name(l->type);
    int32_t len = 0;
    const int32_t n = nnom_model_state_count(m, i, &len);
    if (n <= 0) {
        *st = nnom_fail(m, NNOM_ERR_ARGUMENT, "layer '%s' (%s) has no state (only recurrent layers have: simple_rnn, "
                        "gru, lstm)", l->def->name, tname);
        return NULL;
    }
    if (which < 0 || which >= n) {
        *st = nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "state vector %d asked, it has %d (0: h%s)", (int)which, (int)n,
                              n > 1 ? ", 1: c" : "");
        return NULL;
    }
    if (!data) {
        *st = nnom_layer_fail(m, l, NNOM_ERR_ARGUMENT, "the data pointer is NULL");
        return NULL;
    }
    if (count != (size_t)len) {
        *st = nnom_layer_fail(m, l, NNOM_ERR_SHAPE, "state vector %d has %d values, %lu given", (int)which, (int)len,
                              (unsigned long)count);
        return NULL;
    }
    *st = NNOM_OK;
    return l;
}

nnom_status nnom_model_state(nnom_model *m, int32_t layer, int32_t which, float *data, size_t count)
{
    if (!m) return NNOM_ERR_ARGUMENT;
    nnom_status st;
    const nnom_layer *l = state_layer(m, layer, which, count, data, &st);
    if (!l) return st;
    nnom_layer_ops_of(l->type)->state_read(l, (nnom_dtype)m->dtype, m->state + m->state_offset[layer], which, data);
    return NNOM_OK;
}

nnom_status nnom_model_set_state(nnom_model *m, int32_t layer, int32_t which, const float *data, size_t count)
{
    if (!m) return NNOM_ERR_ARGUMENT;
    nnom_status st;
    const nnom_layer *l = state_layer(m, layer, which, count, data, &st);
    if (!l) return st;
    nnom_layer_ops_of(l->type)->state_write(l, (nnom_dtype)m->dtype, m->state + m->state_offset[layer], which, data);
    return NNOM_OK;
}

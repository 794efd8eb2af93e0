/* Running a compiled model: every layer in order, the tiled stage (core/tiling.c) tile by tile. */
#include "core/model_internal.h"

static uint8_t *buffer_ptr(const nnom_model *m, int32_t buffer)
{
    return buffer < 0 ? NULL : m->arena + m->buffers[buffer].offset;
}

void nnom_run_layer(nnom_model *m, int32_t i, const nnom_rows *rows, const size_t *in_offsets, size_t out_offset)
{
    nnom_layer *l = &m->layers[i];
    const nnom_layer_ops *ops = nnom_layer_ops_of(l->type);
    void (*run)(const nnom_exec *) = !NNOM_HAS_F32 || m->dtype == NNOM_DTYPE_S8 ? ops->run_s8 : ops->run_f32;
    if (!run) return; /* inputs and views */
    nnom_exec x;
    x.layer = l;
    x.n_inputs = l->n_inputs;
    for (int32_t j = 0; j < l->n_inputs; j++) {
        const nnom_layer *src = &m->layers[l->inputs[j]];
        x.in[j] = buffer_ptr(m, src->buffer);
        if (in_offsets) x.in[j] = (const uint8_t *)x.in[j] + in_offsets[j];
        x.in_layer[j] = src;
        x.in_state[j] = NNOM_HAS_STATE && src->state_bytes ? m->state + src->state_offset : NULL;
    }
    x.out = buffer_ptr(m, l->buffer) + out_offset;
    x.scratch = buffer_ptr(m, l->scratch_buffer);
    x.scratch_bytes = l->scratch_buffer >= 0 ? m->buffers[l->scratch_buffer].bytes : 0;
    x.state = NNOM_HAS_STATE && l->state_bytes ? m->state + l->state_offset : NULL;
    x.observe = NNOM_HAS_F32 && l->internals >= 0 ? m->internals + 2 * l->internals : NULL;
    x.rows = rows;
    uint32_t t0 = m->timer ? m->timer(m->timer_ctx) : 0;
    run(&x);
    if (m->layer_time) m->layer_time[i] += (uint32_t)(m->timer(m->timer_ctx) - t0);
}

nnom_status nnom_model_run(nnom_model *m)
{
    if (!m) return NNOM_ERR_ARGUMENT;
    if (!m->compiled) return nnom_fail(m, NNOM_ERR_STATE, "compile the model before running it");
    if (!m->arena) return nnom_fail(m, NNOM_ERR_STATE, "the model has no arena: call nnom_model_set_arena() or nnom_model_alloc_arena()");
    m->runs++;
    for (int32_t i = 0; i < m->n_layers; i++) {
        if (i == m->tiling.first) { /* layers first..cut, tile by tile */
            nnom_tiling_run(m);
            i = m->tiling.cut;
        } else {
            nnom_run_layer(m, i, NULL, NULL, 0);
        }
    }
    return NNOM_OK;
}

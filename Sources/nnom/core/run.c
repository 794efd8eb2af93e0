/* Running a compiled model: every layer in order, the tiled stage (core/tiling.c) tile by tile. */
#include "core/model_internal.h"

void nnom_run_layer(nnom_model *m, int32_t i, const nnom_rows *rows, const size_t *in_offsets, size_t out_offset)
{
    const nnom_layer *l = &m->layers[i];
    const nnom_layer_ops *ops = nnom_layer_ops_of((nnom_layer_type)l->type);
    void (*run)(const nnom_exec *) = !NNOM_HAS_F32 || m->dtype == NNOM_DTYPE_S8 ? ops->run_s8 : ops->run_f32;
    if (!run) return; /* inputs and views */
    nnom_exec x;
    x.layer = l;
    x.model = m;
    x.n_inputs = l->n_inputs;
    for (int32_t j = 0; j < l->n_inputs; j++) {
        const int32_t id = l->def->inputs[j];
        const nnom_layer *src = &m->layers[id];
        x.in[j] = m->arena + src->out_offset;
        if (in_offsets) x.in[j] = (const uint8_t *)x.in[j] + in_offsets[j];
        x.in_layer[j] = src;
        x.in_state[j] = NNOM_HAS_STATE && (src->flags & NNOM_LAYER_HAS_STATE) ? m->state + m->state_offset[id] : NULL;
    }
    x.out = m->arena + l->out_offset + out_offset;
    x.scratch = l->scratch_bytes ? m->arena + l->scratch_offset : NULL;
    x.scratch_bytes = l->scratch_bytes;
    x.state = NNOM_HAS_STATE && (l->flags & NNOM_LAYER_HAS_STATE) ? m->state + m->state_offset[i] : NULL;
    x.observe = NNOM_HAS_F32 && m->internal_at && m->internal_at[i] >= 0 ? m->internals + 2 * m->internal_at[i] : NULL;
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

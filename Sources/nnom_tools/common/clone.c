/*
 * A second instance of a compiled model, rebuilt layer by layer through the
 * public introspection API. The copy reads the same blobs in place (nothing
 * is copied), so it must not outlive the model it was made from.
 *
 * nnom_tools_rebuild() is the one walk every pass that rewrites a model uses:
 * each layer's nnom_layer_info becomes an nnom_layer_desc (inputs through the
 * id map, params, quantisation, blobs) that the pass may edit before it is
 * added; layers the pass marks are left out, their readers reading their input.
 * The plain clone is that walk without edits. With keep_all the clone keeps
 * every layer's output readable after a run, which calibration and the
 * per-layer report need without disturbing the original's memory plan. With
 * observe, its float32 runs also record the ranges inside recurrent layers
 * (nnom_model_observe_internals()).
 */
#include <string.h>

#include "common/tools_internal.h"

nnom_status nnom_tools_rebuild(const nnom_model *m, const nnom_rebuild *how, nnom_model **out, nnom_error *err)
{
    if (out) *out = NULL;
    if (!m || !how || !out || (how->skip && !how->map))
        return nnom_error_set(err, NNOM_ERR_ARGUMENT, "rebuild: model, how or out is NULL, or skip without map");
    nnom_model *r;
    nnom_options opt; /* the user operators of its CUSTOM layers */
    nnom_options_init(&opt);
    opt.op_registry = nnom_model_op_registry(m);
    nnom_status st = nnom_model_create(nnom_model_dtype(m), &opt, &r, err);
    if (st != NNOM_OK) return st;
    const int32_t n = nnom_model_layer_count(m);
    int32_t *map = how->map;
    int32_t next = 0; /* the copy's id of the next layer added */
    for (int32_t i = 0; i < n && st == NNOM_OK; i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        st = nnom_model_layer_info(m, i, &info);
        if (st != NNOM_OK) break;
        if (how->skip && how->skip[i]) {
            map[i] = map[info.inputs[0]];
            continue;
        }
        if (map) map[i] = next;
        next++;
        if (info.type == NNOM_LAYER_INPUT) {
            st = nnom_model_add_input(r, info.name, info.shape, info.quant, NULL);
            continue;
        }
        nnom_layer_desc d = NNOM_LAYER_DESC_INIT;
        d.type = info.type;
        d.name = info.name;
        d.n_inputs = info.n_inputs;
        for (int32_t k = 0; k < info.n_inputs; k++) d.inputs[k] = map ? map[info.inputs[k]] : info.inputs[k];
        d.params = info.params;
        d.quant = info.quant;
        st = nnom_model_layer_blobs(m, i, d.blobs);
        if (st == NNOM_OK && how->edit) st = how->edit(how->ctx, i, &info, &d);
        if (st == NNOM_OK) st = nnom_model_add_layer(r, &d, NULL);
    }
    if (st == NNOM_OK) st = nnom_model_keep_all_outputs(r, how->keep_all);
    if (st == NNOM_OK) st = nnom_model_observe_internals(r, how->observe);
    if (st == NNOM_OK) st = nnom_model_compile(r);
    if (st != NNOM_OK) {
        nnom_error_set(err, st, "%s", nnom_model_last_error(r));
        nnom_model_destroy(r);
        return st;
    }
    *out = r;
    return NNOM_OK;
}

nnom_status nnom_tools_clone(const nnom_model *m, int keep_all, nnom_model **out, nnom_error *err)
{
    return nnom_tools_clone_observing(m, keep_all, 0, out, err);
}

nnom_status nnom_tools_clone_observing(const nnom_model *m, int keep_all, int observe, nnom_model **out,
                                       nnom_error *err)
{
    if (out) *out = NULL;
    if (!m || !out) return nnom_error_set(err, NNOM_ERR_ARGUMENT, "clone: model or out is NULL");
    if (nnom_model_arena_size(m) == 0)
        return nnom_error_set(err, NNOM_ERR_STATE, "clone: the model to clone is not compiled");
    nnom_rebuild how = NNOM_REBUILD_INIT;
    how.keep_all = keep_all;
    how.observe = observe;
    nnom_error why;
    const nnom_status st = nnom_tools_rebuild(m, &how, out, &why);
    if (st != NNOM_OK) return nnom_error_set(err, st, "clone: %s", why.message);
    return NNOM_OK;
}

/*
 * A second instance of a compiled model, rebuilt layer by layer through the
 * public introspection API. The clone reads the same blobs in place (nothing
 * is copied), so it must not outlive the model it was made from. With
 * keep_all the clone keeps every layer's output readable after a run, which
 * calibration and the per-layer report need without disturbing the
 * original's memory plan. With observe, its float32 runs also record the
 * ranges inside recurrent layers (nnom_model_observe_internals()).
 */
#include <string.h>

#include "common/tools_internal.h"

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
    nnom_model *c;
    nnom_options opt; /* the user operators of its CUSTOM layers */
    nnom_options_init(&opt);
    opt.op_registry = nnom_model_op_registry(m);
    nnom_status st = nnom_model_create(nnom_model_dtype(m), &opt, &c, err);
    if (st != NNOM_OK) return st;
    const int32_t n = nnom_model_layer_count(m);
    for (int32_t i = 0; i < n && st == NNOM_OK; i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        st = nnom_model_layer_info(m, i, &info);
        if (st != NNOM_OK) break;
        if (info.type == NNOM_LAYER_INPUT) {
            st = nnom_model_add_input(c, info.name, info.shape, info.quant, NULL);
            continue;
        }
        nnom_layer_desc d;
        nnom_layer_desc_init(&d);
        d.type = info.type;
        d.name = info.name;
        d.n_inputs = info.n_inputs;
        memcpy(d.inputs, info.inputs, sizeof d.inputs);
        d.params = info.params;
        d.quant = info.quant;
        st = nnom_model_layer_blobs(m, i, d.blobs);
        if (st == NNOM_OK) st = nnom_model_add_layer(c, &d, NULL);
    }
    if (st == NNOM_OK) st = nnom_model_keep_all_outputs(c, keep_all);
    if (st == NNOM_OK) st = nnom_model_observe_internals(c, observe);
    if (st == NNOM_OK) st = nnom_model_compile(c);
    if (st != NNOM_OK) {
        nnom_error_set(err, st, "clone: %s", nnom_model_last_error(c));
        nnom_model_destroy(c);
        return st;
    }
    *out = c;
    return NNOM_OK;
}

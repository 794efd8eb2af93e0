/* Keras pooling: MaxPooling, AveragePooling and their global forms, 1D and 2D. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras/keras_layers.h"

/* ------------------------------------------------------------------ pooling */

nnom_status kr_build_pool(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const char *cls = kr_cls(x);
    const int one_d = strstr(cls, "1D") != NULL;
    const int is_max = strncmp(cls, "Max", 3) == 0;
    nnom_status st = kr_check_channels_last(x);
    if (st != NNOM_OK) return st;
    if ((st = kr_check_rank(x, in[0], one_d ? 2 : 3, one_d ? "steps, channels" : "height, width, channels")) != NNOM_OK)
        return st;
    const int n = one_d ? 1 : 2;
    int32_t k[2] = {1, 1}, s[2] = {1, 1};
    if ((st = kr_cfg_ints(x, "pool_size", n, k + (2 - n), 2)) != NNOM_OK) return st;
    const cJSON *sv = kr_get(kr_cfg(x), "strides");
    if (!sv || cJSON_IsNull(sv)) {
        s[0] = k[0];
        s[1] = k[1];
    } else if ((st = kr_cfg_ints(x, "strides", n, s + (2 - n), 1)) != NNOM_OK) {
        return st;
    }
    for (int i = 0; i < 2; i++)
        if (k[i] < 1 || s[i] < 1 || k[i] > 65535 || s[i] > 65535)
            return kr_layer_fail(x, NNOM_ERR_KERAS, "pool_size and strides must be 1 to 65535");
    const char *pad = kr_cfg_string(x, "padding", "valid");
    const int same = strcmp(pad, "same") == 0;
    if (!same && strcmp(pad, "valid") != 0)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "padding '%s' is not supported; supported: valid, same", pad);
    const nnom_shape *is = &in[0]->shape;
    const int32_t in_h = one_d ? 1 : is->dims[0], in_w = one_d ? is->dims[0] : is->dims[1];
    const int32_t oh = kr_window_out(in_h, k[0], s[0], 1, same), ow = kr_window_out(in_w, k[1], s[1], 1, same);
    if (oh <= 0 || ow <= 0) return kr_layer_fail(x, NNOM_ERR_SHAPE, "pool_size does not fit the input");
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.kernel[0] = k[0];
    p.kernel[1] = k[1];
    p.stride[0] = s[0];
    p.stride[1] = s[1];
    p.padding = same ? NNOM_PADDING_SAME : NNOM_PADDING_VALID;
    const int32_t C = kr_channels(is);
    const nnom_shape os = one_d ? kr_shape2(ow, C) : kr_shape3(oh, ow, C);
    nnom_layer_type t = is_max ? (one_d ? NNOM_LAYER_MAX_POOL1D : NNOM_LAYER_MAX_POOL2D)
                               : (one_d ? NNOM_LAYER_AVG_POOL1D : NNOM_LAYER_AVG_POOL2D);
    int id = kr_plan_add(x, t, NULL, &in[0]->plan, 1, &p, os);
    if (id < 0) return x->status;
    out->plan = id;
    out->shape = os;
    return NNOM_OK;
}

nnom_status kr_build_global_pool(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const char *cls = kr_cls(x);
    const int one_d = strstr(cls, "1D") != NULL;
    const int is_max = strncmp(cls, "GlobalMax", 9) == 0;
    nnom_status st = kr_check_channels_last(x);
    if (st != NNOM_OK) return st;
    if ((st = kr_check_rank(x, in[0], one_d ? 2 : 3, one_d ? "steps, channels" : "height, width, channels")) != NNOM_OK)
        return st;
    const int32_t C = kr_channels(&in[0]->shape);
    const int keepdims = kr_cfg_bool(x, "keepdims", 0);
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    int id = kr_plan_add(x, is_max ? NNOM_LAYER_GLOBAL_MAX_POOL : NNOM_LAYER_GLOBAL_AVG_POOL, keepdims ? "/pool" : NULL,
                         &in[0]->plan, 1, &p, kr_shape1(C));
    if (id < 0) return x->status;
    nnom_shape os = kr_shape1(C);
    if (keepdims) {
        os = one_d ? kr_shape2(1, C) : kr_shape3(1, 1, C);
        p.shape_rank = os.rank;
        for (int i = 0; i < os.rank; i++) p.shape[i] = os.dims[i];
        id = kr_plan_add(x, NNOM_LAYER_RESHAPE, NULL, &id, 1, &p, os);
        if (id < 0) return x->status;
    }
    out->plan = id;
    out->shape = os;
    return NNOM_OK;
}

/*
 * Keras convolutions: Conv1D/2D, DepthwiseConv1D/2D, SeparableConv1D/2D, Conv1DTranspose/2DTranspose.
 *
 * Weight layouts: Conv2D (kh, kw, in, out) and Conv1D (k, in, out) become [out][kh][kw][in];
 * depthwise (kh, kw, in, mult) is already the runtime's [kh][kw][in*mult]; transposed (kh, kw, out, in)
 * and (k, out, in) become [out][kh][kw][in].
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras/keras_layers.h"

/* ------------------------------------------------------------------ convolutions */

typedef struct conv_geom {
    int one_d;
    int32_t k[2], s[2], d[2];
    int same, causal;
    int32_t out_h, out_w;
} conv_geom;

/* kernel_size, strides, dilation_rate, padding of a (depthwise/separable) convolution. */
static nnom_status conv_geometry(kr_ctx *x, const kr_value *in, int one_d, conv_geom *g)
{
    memset(g, 0, sizeof *g);
    /* a Conv1D inside TimeDistributed, on (steps, width, channels): a 2D convolution of kernel height 1 */
    const int per_step = one_d && x->time_distributed && in->shape.rank == 3;
    g->one_d = one_d && !per_step;
    nnom_status st = kr_check_channels_last(x);
    if (st != NNOM_OK) return st;
    st = kr_check_rank(x, in, g->one_d ? 2 : 3, g->one_d ? "steps, channels" : "height, width, channels");
    if (st != NNOM_OK) return st;
    const int n = one_d ? 1 : 2;
    int32_t k[2] = {1, 1}, s[2] = {1, 1}, d[2] = {1, 1};
    if ((st = kr_cfg_ints(x, "kernel_size", n, k + (2 - n), 1)) != NNOM_OK) return st;
    if ((st = kr_cfg_ints(x, "strides", n, s + (2 - n), 1)) != NNOM_OK) return st;
    if ((st = kr_cfg_ints(x, "dilation_rate", n, d + (2 - n), 1)) != NNOM_OK) return st;
    for (int i = 0; i < 2; i++)
        if (k[i] < 1 || s[i] < 1 || d[i] < 1 || k[i] > 65535 || s[i] > 65535 || d[i] > 65535)
            return kr_layer_fail(x, NNOM_ERR_KERAS, "kernel_size, strides and dilation_rate must be 1 to 65535");
    int32_t groups = 1;
    if ((st = kr_cfg_ints(x, "groups", 1, &groups, 1)) != NNOM_OK) return st;
    if (groups != 1)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "groups=%d is not supported; supported: groups=1", (int)groups);
    const char *pad = kr_cfg_string(x, "padding", "valid");
    if (strcmp(pad, "same") == 0) g->same = 1;
    else if (strcmp(pad, "causal") == 0 && g->one_d) g->causal = 1;
    else if (strcmp(pad, "valid") != 0)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "padding '%s' is not supported; supported: valid, same%s", pad,
                             g->one_d ? ", causal" : "");
    memcpy(g->k, k, sizeof k);
    memcpy(g->s, s, sizeof s);
    memcpy(g->d, d, sizeof d);
    const nnom_shape *is = &in->shape;
    const int32_t in_h = g->one_d ? 1 : is->dims[0], in_w = g->one_d ? is->dims[0] : is->dims[1];
    const int64_t pad_w = g->causal ? (int64_t)(k[1] - 1) * d[1] : 0;
    if (pad_w > (1 << 20)) return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "the causal padding is too long");
    g->out_h = kr_window_out(in_h, k[0], s[0], d[0], g->same);
    g->out_w = kr_window_out(in_w + (int32_t)pad_w, k[1], s[1], d[1], g->same);
    if (g->out_h <= 0 || g->out_w <= 0) {
        char t[64];
        kr_shape_text(is, t, sizeof t);
        return kr_layer_fail(x, NNOM_ERR_SHAPE, "kernel %dx%d (dilation %dx%d) does not fit the input %s with "
                             "padding 'valid'", (int)k[0], (int)k[1], (int)d[0], (int)d[1], t);
    }
    return NNOM_OK;
}

static nnom_layer_params conv_params(const conv_geom *g)
{
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    for (int i = 0; i < 2; i++) {
        p.kernel[i] = g->k[i];
        p.stride[i] = g->s[i];
        p.dilation[i] = g->d[i];
    }
    p.padding = g->same ? NNOM_PADDING_SAME : NNOM_PADDING_VALID;
    return p;
}

static nnom_shape conv_out_shape(const conv_geom *g, int32_t channels)
{
    return g->one_d ? kr_shape2(g->out_w, channels) : kr_shape3(g->out_h, g->out_w, channels);
}

/* Causal padding: (k - 1) * dilation zeros before the sequence, then a valid convolution. */
static int plan_causal_pad(kr_ctx *x, const conv_geom *g, const kr_value *in)
{
    if (!g->causal) return in->plan;
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    p.pad[2] = (g->k[1] - 1) * g->d[1];
    return kr_plan_add(x, NNOM_LAYER_ZERO_PADDING1D, "/causal_pad", &in->plan, 1, &p,
                       kr_shape2(in->shape.dims[0] + p.pad[2], in->shape.dims[1]));
}

nnom_status kr_build_conv(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const int one_d = kr_is_cls(x, "Conv1D") || kr_is_cls(x, "Convolution1D");
    conv_geom g;
    nnom_status st = conv_geometry(x, in[0], one_d, &g);
    if (st != NNOM_OK) return st;
    int32_t filters = 0;
    if ((st = kr_cfg_ints(x, "filters", 1, &filters, 0)) != NNOM_OK) return st;
    if (filters < 1) return kr_layer_fail(x, NNOM_ERR_KERAS, "filters must be at least 1");
    const int use_bias = kr_cfg_bool(x, "use_bias", 1);
    const int32_t cin = kr_channels(&in[0]->shape);
    kr_weights w;
    if ((st = kr_read_weights(x, &w, use_bias ? 2 : 1, use_bias ? "kernel, bias" : "kernel")) != NNOM_OK) return st;
    const int64_t kd2[4] = {g.k[0], g.k[1], cin, filters}, kd1[3] = {g.k[1], cin, filters};
    if ((st = kr_check_dims(x, &w, 0, "kernel", one_d ? 3 : 4, one_d ? kd1 : kd2)) != NNOM_OK) return st;
    if (use_bias && (st = kr_check_vector(x, &w, 1, "bias", filters)) != NNOM_OK) return st;
    const size_t wn = (size_t)g.k[0] * g.k[1] * cin * filters;
    float *wt = kr_alloc_floats(x, wn), *b = use_bias ? kr_alloc_floats(x, (size_t)filters) : NULL;
    if (!wt || (use_bias && !b)) {
        kr_weights_free(&w);
        return x->status;
    }
    kr_kernel_to_ohwi(w.a[0].data, wt, g.k[0], g.k[1], cin, filters);
    if (use_bias) memcpy(b, w.a[1].data, (size_t)filters * sizeof(float));
    kr_weights_free(&w);
    int src = plan_causal_pad(x, &g, in[0]);
    if (src < 0) return x->status;
    nnom_layer_params p = conv_params(&g);
    p.units = filters;
    const nnom_shape os = conv_out_shape(&g, filters);
    int id = kr_plan_weighted(x, g.one_d ? NNOM_LAYER_CONV1D : NNOM_LAYER_CONV2D, NULL, src, &p, os, wt, wn, b,
                              filters, 0);
    if (id < 0) return x->status;
    return kr_finish_with_activation(x, id, os, 1, out);
}

nnom_status kr_build_depthwise(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const int one_d = kr_is_cls(x, "DepthwiseConv1D");
    conv_geom g;
    nnom_status st = conv_geometry(x, in[0], one_d, &g);
    if (st != NNOM_OK) return st;
    int32_t mult = 1;
    if ((st = kr_cfg_ints(x, "depth_multiplier", 1, &mult, 1)) != NNOM_OK) return st;
    if (mult < 1 || (int64_t)mult * kr_channels(&in[0]->shape) > (1 << 28))
        return kr_layer_fail(x, NNOM_ERR_KERAS, "depth_multiplier must be at least 1 (and not absurdly large)");
    const int use_bias = kr_cfg_bool(x, "use_bias", 1);
    const int32_t cin = kr_channels(&in[0]->shape), cout = cin * mult;
    kr_weights w;
    if ((st = kr_read_weights(x, &w, use_bias ? 2 : 1, use_bias ? "kernel, bias" : "kernel")) != NNOM_OK) return st;
    const int64_t kd2[4] = {g.k[0], g.k[1], cin, mult}, kd1[3] = {g.k[1], cin, mult};
    if ((st = kr_check_dims(x, &w, 0, "depthwise kernel", one_d ? 3 : 4, one_d ? kd1 : kd2)) != NNOM_OK) return st;
    if (use_bias && (st = kr_check_vector(x, &w, 1, "bias", cout)) != NNOM_OK) return st;
    /* (kh, kw, in, mult) is already [kh][kw][in*mult] with channel in*mult + m */
    const size_t wn = (size_t)g.k[0] * g.k[1] * cout;
    float *wt = kr_alloc_floats(x, wn), *b = use_bias ? kr_alloc_floats(x, (size_t)cout) : NULL;
    if (!wt || (use_bias && !b)) {
        kr_weights_free(&w);
        return x->status;
    }
    memcpy(wt, w.a[0].data, wn * sizeof(float));
    if (use_bias) memcpy(b, w.a[1].data, (size_t)cout * sizeof(float));
    kr_weights_free(&w);
    int src = plan_causal_pad(x, &g, in[0]);
    if (src < 0) return x->status;
    nnom_layer_params p = conv_params(&g);
    p.units = mult;
    const nnom_shape os = conv_out_shape(&g, cout);
    int id = kr_plan_weighted(x, one_d ? NNOM_LAYER_DEPTHWISE_CONV1D : NNOM_LAYER_DEPTHWISE_CONV2D, NULL, src, &p, os,
                           wt, wn, b, cout, 1);
    if (id < 0) return x->status;
    return kr_finish_with_activation(x, id, os, 1, out);
}

/* SeparableConv: a depthwise convolution without bias, then a 1x1 convolution with the bias and activation. */
nnom_status kr_build_separable(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const int one_d = kr_is_cls(x, "SeparableConv1D") || kr_is_cls(x, "SeparableConvolution1D");
    conv_geom g;
    nnom_status st = conv_geometry(x, in[0], one_d, &g);
    if (st != NNOM_OK) return st;
    int32_t mult = 1, filters = 0;
    if ((st = kr_cfg_ints(x, "depth_multiplier", 1, &mult, 1)) != NNOM_OK) return st;
    if ((st = kr_cfg_ints(x, "filters", 1, &filters, 0)) != NNOM_OK) return st;
    if (mult < 1 || filters < 1 || (int64_t)mult * kr_channels(&in[0]->shape) > (1 << 28))
        return kr_layer_fail(x, NNOM_ERR_KERAS, "filters and depth_multiplier must be at least 1 (and not absurdly "
                             "large)");
    const int use_bias = kr_cfg_bool(x, "use_bias", 1);
    const int32_t cin = kr_channels(&in[0]->shape), cmid = cin * mult;
    kr_weights w;
    const char *names = use_bias ? "depthwise kernel, pointwise kernel, bias" : "depthwise kernel, pointwise kernel";
    if ((st = kr_read_weights(x, &w, use_bias ? 3 : 2, names)) != NNOM_OK) return st;
    const int64_t dk2[4] = {g.k[0], g.k[1], cin, mult}, dk1[3] = {g.k[1], cin, mult};
    const int64_t pk2[4] = {1, 1, cmid, filters}, pk1[3] = {1, cmid, filters};
    if ((st = kr_check_dims(x, &w, 0, "depthwise_kernel", one_d ? 3 : 4, one_d ? dk1 : dk2)) != NNOM_OK) return st;
    if ((st = kr_check_dims(x, &w, 1, "pointwise_kernel", one_d ? 3 : 4, one_d ? pk1 : pk2)) != NNOM_OK) return st;
    if (use_bias && (st = kr_check_vector(x, &w, 2, "bias", filters)) != NNOM_OK) return st;
    const size_t dn = (size_t)g.k[0] * g.k[1] * cmid, pn = (size_t)cmid * filters;
    float *dw = kr_alloc_floats(x, dn), *pw = kr_alloc_floats(x, pn);
    float *b = use_bias ? kr_alloc_floats(x, (size_t)filters) : NULL;
    if (!dw || !pw || (use_bias && !b)) {
        kr_weights_free(&w);
        return x->status;
    }
    memcpy(dw, w.a[0].data, dn * sizeof(float));
    kr_kernel_to_ohwi(w.a[1].data, pw, 1, 1, cmid, filters);
    if (use_bias) memcpy(b, w.a[2].data, (size_t)filters * sizeof(float));
    kr_weights_free(&w);
    int src = plan_causal_pad(x, &g, in[0]);
    if (src < 0) return x->status;
    nnom_layer_params p = conv_params(&g);
    p.units = mult;
    const nnom_shape ms = conv_out_shape(&g, cmid), os = conv_out_shape(&g, filters);
    int id = kr_plan_weighted(x, one_d ? NNOM_LAYER_DEPTHWISE_CONV1D : NNOM_LAYER_DEPTHWISE_CONV2D, "/depthwise", src,
                           &p, ms, dw, dn, NULL, cmid, 1);
    if (id < 0) return x->status;
    nnom_layer_params q;
    memset(&q, 0, sizeof q);
    q.kernel[0] = q.kernel[1] = 1;
    q.units = filters;
    id = kr_plan_weighted(x, one_d ? NNOM_LAYER_CONV1D : NNOM_LAYER_CONV2D, NULL, id, &q, os, pw, pn, b, filters, 0);
    if (id < 0) return x->status;
    return kr_finish_with_activation(x, id, os, 1, out);
}

/* ------------------------------------------------------------------ transposed convolutions */

/* Keras' output length of a transposed convolution along one axis, and how much of the full output
 * ((in - 1) x stride + kernel) it crops before and after (TensorFlow's SAME split: the smaller half
 * before). output_padding < 0 means None. */
static void transpose_axis(int32_t in, int32_t k, int32_t s, int same, int32_t output_padding, int32_t *out,
                           int32_t *before, int32_t *after)
{
    const int64_t full = (int64_t)(in - 1) * s + k;
    int64_t o;
    if (output_padding < 0) o = same ? (int64_t)in * s : (int64_t)in * s + (k > s ? k - s : 0);
    else o = full - (same ? 2 * (k / 2) : 0) + output_padding;
    const int64_t total = same && full > o ? full - o : 0;
    *out = (int32_t)o;
    *before = (int32_t)(total / 2);
    *after = (int32_t)(full - o - total / 2);
}

nnom_status kr_build_conv_transpose(kr_ctx *x, const kr_value *const *in, int n_in, kr_value *out)
{
    (void)n_in;
    const int one_d = strstr(kr_cls(x), "1D") != NULL;
    nnom_status st = kr_check_channels_last(x);
    if (st != NNOM_OK) return st;
    if ((st = kr_check_rank(x, in[0], one_d ? 2 : 3, one_d ? "steps, channels" : "height, width, channels")) != NNOM_OK)
        return st;
    const int n = one_d ? 1 : 2;
    int32_t k[2] = {1, 1}, s[2] = {1, 1}, d[2] = {1, 1}, op[2] = {-1, -1}, filters = 0;
    if ((st = kr_cfg_ints(x, "filters", 1, &filters, 0)) != NNOM_OK) return st;
    if ((st = kr_cfg_ints(x, "kernel_size", n, k + (2 - n), 1)) != NNOM_OK) return st;
    if ((st = kr_cfg_ints(x, "strides", n, s + (2 - n), 1)) != NNOM_OK) return st;
    if ((st = kr_cfg_ints(x, "dilation_rate", n, d + (2 - n), 1)) != NNOM_OK) return st;
    if ((st = kr_cfg_ints(x, "output_padding", n, op + (2 - n), -1)) != NNOM_OK) return st;
    if (one_d) op[0] = -1;
    if (filters < 1 || filters > (1 << 24)) return kr_layer_fail(x, NNOM_ERR_KERAS, "filters must be 1 to 2^24");
    for (int i = 0; i < 2; i++) {
        if (k[i] < 1 || s[i] < 1 || k[i] > 65535 || s[i] > 65535)
            return kr_layer_fail(x, NNOM_ERR_KERAS, "kernel_size and strides must be 1 to 65535");
        if (d[i] < 1 || (int64_t)(k[i] - 1) * d[i] + 1 > 65535)
            return kr_layer_fail(x, NNOM_ERR_KERAS, "dilation_rate=%d must be at least 1, with a dilated kernel of at "
                                 "most 65535", (int)d[i]);
        if (d[i] > 1 && s[i] > 1)
            return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "dilation_rate=%d with strides=%d is not supported (nor by "
                                 "Keras); supported: dilation with stride 1", (int)d[i], (int)s[i]);
        if (op[i] >= s[i] || op[i] < -1)
            return kr_layer_fail(x, NNOM_ERR_KERAS, "output_padding %d must be below the stride %d", (int)op[i],
                                 (int)s[i]);
    }
    const char *pad = kr_cfg_string(x, "padding", "valid");
    const int same = strcmp(pad, "same") == 0;
    if (!same && strcmp(pad, "valid") != 0)
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "padding '%s' is not supported; supported: valid, same", pad);
    const nnom_shape *is = &in[0]->shape;
    const int32_t in_h = one_d ? 1 : is->dims[0], in_w = one_d ? is->dims[0] : is->dims[1], cin = kr_channels(is);
    /* a dilated kernel is the kernel with d - 1 zeros between its taps: the runtime gets that kernel */
    const int32_t ke[2] = {(k[0] - 1) * d[0] + 1, (k[1] - 1) * d[1] + 1};
    int32_t oh, ow;
    nnom_layer_params p;
    memset(&p, 0, sizeof p);
    transpose_axis(in_h, ke[0], s[0], same, op[0], &oh, &p.pad[0], &p.pad[1]);
    transpose_axis(in_w, ke[1], s[1], same, op[1], &ow, &p.pad[2], &p.pad[3]);
    if (one_d) oh = 1, p.pad[0] = p.pad[1] = 0;
    if (oh < 1 || ow < 1 || (int64_t)oh * ow * filters > (1 << 28))
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "an output of %dx%dx%d is not supported (1 to 2^28 elements)",
                             (int)oh, (int)ow, (int)filters);
    const int use_bias = kr_cfg_bool(x, "use_bias", 1);
    kr_weights w;
    if ((st = kr_read_weights(x, &w, use_bias ? 2 : 1, use_bias ? "kernel, bias" : "kernel")) != NNOM_OK) return st;
    /* Keras: (kh, kw, filters, in) and (k, filters, in) */
    const int64_t kd2[4] = {k[0], k[1], filters, cin}, kd1[3] = {k[1], filters, cin};
    if ((st = kr_check_dims(x, &w, 0, "kernel", one_d ? 3 : 4, one_d ? kd1 : kd2)) != NNOM_OK) return st;
    if (use_bias && (st = kr_check_vector(x, &w, 1, "bias", filters)) != NNOM_OK) return st;
    const size_t wn = (size_t)ke[0] * ke[1] * cin * filters;
    if (wn > ((size_t)1 << 28)) {
        kr_weights_free(&w);
        return kr_layer_fail(x, NNOM_ERR_UNSUPPORTED, "a dilated kernel of %dx%dx%dx%d is not supported (at most 2^28 "
                             "weights)", (int)filters, (int)ke[0], (int)ke[1], (int)cin);
    }
    float *wt = kr_alloc_floats(x, wn), *b = use_bias ? kr_alloc_floats(x, (size_t)filters) : NULL;
    if (!wt || (use_bias && !b)) {
        kr_weights_free(&w);
        return x->status;
    }
    memset(wt, 0, wn * sizeof *wt);
    const float *src = w.a[0].data;
    for (int32_t y = 0; y < k[0]; y++)
        for (int32_t xx = 0; xx < k[1]; xx++)
            for (int32_t o = 0; o < filters; o++)
                for (int32_t i = 0; i < cin; i++)
                    wt[(((size_t)o * ke[0] + y * d[0]) * ke[1] + xx * d[1]) * cin + i] =
                        src[(((size_t)y * k[1] + xx) * filters + o) * cin + i];
    if (use_bias) memcpy(b, w.a[1].data, (size_t)filters * sizeof(float));
    kr_weights_free(&w);
    p.kernel[0] = ke[0];
    p.kernel[1] = ke[1];
    p.stride[0] = s[0];
    p.stride[1] = s[1];
    p.units = filters;
    const nnom_shape os = one_d ? kr_shape2(ow, filters) : kr_shape3(oh, ow, filters);
    const int id = kr_plan_weighted(x, one_d ? NNOM_LAYER_CONV1D_TRANSPOSE : NNOM_LAYER_CONV2D_TRANSPOSE, NULL,
                                    in[0]->plan, &p, os, wt, wn, b, filters, 0);
    if (id < 0) return x->status;
    return kr_finish_with_activation(x, id, os, 1, out);
}

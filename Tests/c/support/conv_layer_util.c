/* One convolution layer through the public API, for the layer tests (conv_layer_util.h). */
#include "conv_layer_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_util.h"
#include "test_util.h"

/* A trained layer's requantisation multiplier is about 1 / (sqrt(taps) * this) with the tests'
 * input and output scales: outputs then span the int8 range without saturating it. */
#define TYPICAL_GAIN 74.0
/* Tail bytes after the weights: the kernels may read a word past the last weight. */
#define WEIGHT_TAIL 4

const conv_layer_kind conv_layer_plain = {NNOM_LAYER_CONV2D, NNOM_LAYER_CONV1D, "c1", 0, 20000, {0.05f, -7}};
const conv_layer_kind conv_layer_depthwise = {NNOM_LAYER_DEPTHWISE_CONV2D, NNOM_LAYER_DEPTHWISE_CONV1D, "dw", 1, 5000,
                                              {0.04f, 3}};

void conv_blobs_free(conv_blobs *b)
{
    free(b->w);
    free(b->bias);
    free(b->mult);
    free(b->shift);
    free(b->wf);
    free(b->bf);
    memset(b, 0, sizeof *b);
}

int32_t conv_layer_out_c(const conv_layer_spec *s, const conv_layer_kind *k)
{
    return k->depthwise ? s->in_c * s->units : s->units;
}

nnom_shape conv_layer_input_shape(const conv_layer_spec *s)
{
    nnom_shape sh;
    memset(&sh, 0, sizeof sh);
    if (s->one_d) {
        sh.rank = 2;
        sh.dims[0] = s->in_w;
        sh.dims[1] = s->in_c;
    } else {
        sh.rank = 3;
        sh.dims[0] = s->in_h;
        sh.dims[1] = s->in_w;
        sh.dims[2] = s->in_c;
    }
    return sh;
}

nnom_layer_desc conv_layer_desc(const conv_layer_spec *s, const conv_layer_kind *k, int32_t input, nnom_dtype dtype,
                                conv_blobs *b)
{
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    d.type = s->one_d ? k->type_1d : k->type_2d;
    d.name = k->name;
    d.n_inputs = 1;
    d.inputs[0] = input;
    d.params.kernel[0] = s->kh;
    d.params.kernel[1] = s->kw;
    d.params.stride[0] = s->sh;
    d.params.stride[1] = s->sw;
    d.params.dilation[0] = s->dh;
    d.params.dilation[1] = s->dw;
    d.params.padding = s->padding;
    d.params.units = s->units;
    d.params.activation = s->activation;
    const int32_t out_c = conv_layer_out_c(s, k);
    const int32_t taps = s->kh * s->kw * (k->depthwise ? 1 : s->in_c);
    const uint32_t vec_bytes = (uint32_t)out_c * 4u;
    b->n_w = (size_t)out_c * (size_t)taps;
    if (dtype == NNOM_DTYPE_S8) {
        b->w = (int8_t *)malloc(b->n_w + WEIGHT_TAIL);
        b->bias = (int32_t *)malloc(vec_bytes);
        b->mult = (int32_t *)malloc(vec_bytes);
        b->shift = (int32_t *)malloc(vec_bytes);
        tu_fill_s8(b->w, b->n_w, -127, 127);
        tu_fill_s32(b->bias, (size_t)out_c, -k->bias_bound, k->bias_bound);
        for (int32_t c = 0; c < out_c; c++)
            tu_ref_multiplier(0.9 / (sqrt((double)taps) * TYPICAL_GAIN) * tu_rand_float(0.5f, 2.0f), &b->mult[c],
                              &b->shift[c]);
        d.blobs[0] = (nnom_blob){b->w, (uint32_t)b->n_w};
        if (s->with_bias) d.blobs[1] = (nnom_blob){b->bias, vec_bytes};
        d.blobs[2] = (nnom_blob){b->mult, vec_bytes};
        d.blobs[3] = (nnom_blob){b->shift, vec_bytes};
        d.quant = k->out_q;
    } else {
        b->wf = (float *)malloc(b->n_w * 4 + WEIGHT_TAIL);
        b->bf = (float *)malloc(vec_bytes);
        tu_fill_f32(b->wf, b->n_w, -0.5f, 0.5f);
        tu_fill_f32(b->bf, (size_t)out_c, -1.0f, 1.0f);
        d.blobs[0] = (nnom_blob){b->wf, (uint32_t)b->n_w * 4u};
        if (s->with_bias) d.blobs[1] = (nnom_blob){b->bf, vec_bytes};
    }
    return d;
}

nnom_status conv_layer_model(const conv_layer_spec *s, const conv_layer_kind *k, nnom_dtype dtype, conv_blobs *b,
                             nnom_quant in_q, void (*tweak)(nnom_layer_desc *), nnom_model **out)
{
    nnom_model *m = NULL;
    nnom_error err;
    TU_REQUIRE(nnom_model_create(dtype, NULL, &m, &err) == NNOM_OK, "create: %s", err.message);
    int32_t id = -1;
    TU_OK(m, nnom_model_add_input(m, "image", conv_layer_input_shape(s), in_q, &id));
    nnom_layer_desc d = conv_layer_desc(s, k, id, dtype, b);
    if (tweak) tweak(&d);
    TU_OK(m, nnom_model_add_layer(m, &d, &id));
    tu_add_output(m, id, "out");
    *out = m;
    return nnom_model_compile(m);
}

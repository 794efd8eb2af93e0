/* Models of 2-D window layers for the tiling tests (test_tiling.c, test_tiling_graph.c): see tiling_util.h. */
#include "tiling_util.h"

#include <stdlib.h>
#include <string.h>

#include "test_util.h"

int32_t tt_window_out(int32_t in, int32_t k, int32_t s, int32_t d, int32_t padding)
{
    if (padding == NNOM_PADDING_SAME) return (in + s - 1) / s;
    const int32_t span = (k - 1) * d + 1;
    return span > in ? 0 : (in - span) / s + 1;
}

/* Fills the blobs of layer @p s reading @p in_c channels; returns its output channels. */
int32_t tt_make_blobs(spec *s, nnom_dtype dt, int32_t in_c)
{
    const int32_t out_c = s->kind == K_CONV ? s->units : in_c * s->units;
    const size_t n_w = (size_t)s->k * (size_t)s->k * (size_t)(s->kind == K_CONV ? in_c * out_c : out_c);
    if (dt == NNOM_DTYPE_S8) {
        s->w = malloc(n_w);
        s->bias = malloc((size_t)out_c * 4);
        s->mult = malloc((size_t)out_c * 4);
        s->shift = malloc((size_t)out_c * 4);
        tu_fill_s8(s->w, n_w, -127, 127);
        tu_fill_s32(s->bias, (size_t)out_c, -3000, 3000);
        const double fan = (double)s->k * s->k * (s->kind == K_CONV ? in_c : 1);
        for (int32_t c = 0; c < out_c; c++)
            tu_ref_multiplier(0.2 / fan * tu_rand_float(0.3f, 2.0f), &s->mult[c], &s->shift[c]);
        s->quant.scale = 0.05f;
        s->quant.zero_point = tu_rand_int(-20, 20);
    } else {
        s->w = malloc(n_w * 4);
        s->bias_f = malloc((size_t)out_c * 4);
        tu_fill_f32(s->w, n_w, -0.5f, 0.5f);
        tu_fill_f32(s->bias_f, (size_t)out_c, -1.0f, 1.0f);
        s->quant.scale = 1.0f;
    }
    return out_c;
}

/* Appends layer @p s (a window layer, a pool or a zero padding) reading layer @p in, whose output has
 * *@p c channels and quantisation *@p q (both updated to the new layer's); returns its id. */
int32_t tt_append_spec(nnom_model *m, const spec *s, nnom_dtype dt, int32_t in, int32_t *c, nnom_quant *q)
{
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    d.n_inputs = 1;
    d.inputs[0] = in;
    if (s->kind == K_PAD) {
        d.type = NNOM_LAYER_ZERO_PADDING2D;
        for (int k = 0; k < 4; k++) d.params.pad[k] = s->pad[k];
        d.quant = *q;
    } else if (s->kind == K_MAX_POOL || s->kind == K_AVG_POOL) {
        d.type = s->kind == K_MAX_POOL ? NNOM_LAYER_MAX_POOL2D : NNOM_LAYER_AVG_POOL2D;
        d.params.kernel[0] = d.params.kernel[1] = s->k;
        d.params.stride[0] = d.params.stride[1] = s->stride;
        d.params.padding = s->padding;
        d.quant = *q; /* values keep their quantisation (an average pool without blobs) */
    } else {
        d.type = s->kind == K_CONV ? NNOM_LAYER_CONV2D : NNOM_LAYER_DEPTHWISE_CONV2D;
        d.params.kernel[0] = d.params.kernel[1] = s->k;
        d.params.stride[0] = d.params.stride[1] = s->stride;
        d.params.dilation[0] = d.params.dilation[1] = s->dil;
        d.params.padding = s->padding;
        d.params.units = s->units;
        d.params.activation = s->activation;
        const int32_t out_c = s->kind == K_CONV ? s->units : *c * s->units;
        const uint32_t n_w = (uint32_t)(s->k * s->k * (s->kind == K_CONV ? *c * out_c : out_c));
        const uint32_t esize = dt == NNOM_DTYPE_S8 ? 1u : 4u;
        d.blobs[0] = (nnom_blob){s->w, n_w * esize};
        if (dt == NNOM_DTYPE_S8) {
            d.blobs[1] = (nnom_blob){s->bias, (uint32_t)out_c * 4u};
            d.blobs[2] = (nnom_blob){s->mult, (uint32_t)out_c * 4u};
            d.blobs[3] = (nnom_blob){s->shift, (uint32_t)out_c * 4u};
        } else {
            d.blobs[1] = (nnom_blob){s->bias_f, (uint32_t)out_c * 4u};
        }
        d.quant = s->quant;
        *q = s->quant;
        *c = out_c;
    }
    int32_t id = -1;
    TU_OK(m, nnom_model_add_layer(m, &d, &id));
    return id;
}

/* A model of one input of @p h x @p w x @p c with tiling budget @p percent (NNOM_TILING_OFF: none): its
 * input's id in *@p id, its quantisation in *@p q. */
nnom_model *tt_new_model(nnom_dtype dt, int32_t percent, int32_t h, int32_t w, int32_t c, int32_t *id, nnom_quant *q)
{
    nnom_options o;
    nnom_options_init(&o);
    o.tiling_max_extra_macs_percent = percent;
    nnom_model *m = NULL;
    nnom_error err;
    TU_REQUIRE(nnom_model_create(dt, &o, &m, &err) == NNOM_OK, "create: %s", err.message);
    nnom_shape sh;
    memset(&sh, 0, sizeof sh);
    sh.rank = 3;
    sh.dims[0] = h;
    sh.dims[1] = w;
    sh.dims[2] = c;
    *q = (nnom_quant){dt == NNOM_DTYPE_S8 ? 0.03f : 1.0f, dt == NNOM_DTYPE_S8 ? -7 : 0};
    TU_OK(m, nnom_model_add_input(m, "x", sh, *q, id));
    return m;
}

/* Adds the output (layer @p id), compiles and gives the model its arena. */
nnom_model *tt_finish_model(nnom_model *m, int32_t id)
{
    nnom_layer_desc out;
    nnom_layer_desc_init(&out);
    out.type = NNOM_LAYER_OUTPUT;
    out.name = "y";
    out.n_inputs = 1;
    out.inputs[0] = id;
    TU_OK(m, nnom_model_add_layer(m, &out, NULL));
    TU_OK(m, nnom_model_compile(m));
    TU_OK(m, nnom_model_alloc_arena(m));
    return m;
}

/* Runs both models on one random input; 1 if their outputs are the same bytes. */
int tt_same_outputs(nnom_model *a, nnom_model *b, nnom_dtype dt)
{
    nnom_tensor_info in, out;
    TU_OK(a, nnom_model_input_info(a, 0, &in));
    TU_OK(a, nnom_model_output_info(a, 0, &out));
    const size_t esize = dt == NNOM_DTYPE_S8 ? 1 : 4, in_bytes = (size_t)in.count * esize;
    void *x = malloc(in_bytes);
    if (dt == NNOM_DTYPE_S8) tu_fill_s8(x, (size_t)in.count, -128, 127);
    else tu_fill_f32(x, (size_t)in.count, -2.0f, 2.0f);
    memcpy(nnom_model_input_data(a, 0), x, in_bytes);
    memcpy(nnom_model_input_data(b, 0), x, in_bytes);
    TU_OK(a, nnom_model_run(a));
    TU_OK(b, nnom_model_run(b));
    const int same = memcmp(nnom_model_output_data(a, 0), nnom_model_output_data(b, 0), (size_t)out.count * esize) == 0;
    free(x);
    return same;
}

void tt_free_spec(spec *s)
{
    free(s->w);
    free(s->bias);
    free(s->mult);
    free(s->shift);
    free(s->bias_f);
}

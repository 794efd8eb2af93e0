/* See cnn28_model.h. Weights are random int8 with per-channel scales chosen so
 * that activations stay in range; the point is the structure, not the answers. */
#include "cnn28_model.h"

#include <math.h>
#include <string.h>

#define MAX_WEIGHTS 48000
#define MAX_CHANNELS 96

/* everything the model reads, in place, for as long as it lives */
static struct {
    int8_t weights[5][MAX_WEIGHTS];
    int32_t bias[5][MAX_CHANNELS];
    int32_t mult[5][MAX_CHANNELS];
    int32_t shift[5][MAX_CHANNELS];
    int8_t relu_table[256];
    uint32_t softmax_table[256];
} store;

static uint32_t rng = 12345u;
static int8_t random_s8(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (int8_t)((int32_t)((rng >> 16) % 255u) - 127); /* [-127, 127] */
}

static const nnom_quant relu_q = {1.5f / 255.0f, -128};

/* Adds a conv (kernel > 0) or dense (kernel == 0) layer with weights [out][fan_in]. */
static nnom_status add_weighted(nnom_model *m, int slot, nnom_layer_type type, const char *name, int32_t input,
                                nnom_quant in_q, int32_t fan_in, int32_t out, nnom_quant out_q, int relu, int32_t *id)
{
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    d.type = type;
    d.name = name;
    d.n_inputs = 1;
    d.inputs[0] = input;
    d.params.units = out;
    d.params.activation = relu ? NNOM_ACT_RELU : NNOM_ACT_NONE;
    if (type == NNOM_LAYER_CONV2D) {
        d.params.kernel[0] = d.params.kernel[1] = 3;
        d.params.stride[0] = d.params.stride[1] = 1;
        d.params.padding = NNOM_PADDING_SAME;
    }
    float w_scales[MAX_CHANNELS];
    for (int32_t c = 0; c < out; c++) {
        w_scales[c] = (float)(1.0 / (127.0 * sqrt((double)fan_in))) * (0.8f + 0.4f * (float)c / (float)out);
        store.bias[slot][c] = (int32_t)random_s8() * 4;
    }
    for (int32_t i = 0; i < out * fan_in; i++) store.weights[slot][i] = random_s8();
    nnom_status st = nnom_quant_conv_params(in_q.scale, w_scales, out, out_q.scale, store.mult[slot], store.shift[slot]);
    if (st != NNOM_OK) return st;
    d.blobs[0] = (nnom_blob){store.weights[slot], (uint32_t)(out * fan_in)};
    d.blobs[1] = (nnom_blob){store.bias[slot], (uint32_t)(out * 4)};
    d.blobs[2] = (nnom_blob){store.mult[slot], (uint32_t)(out * 4)};
    d.blobs[3] = (nnom_blob){store.shift[slot], (uint32_t)(out * 4)};
    d.quant = out_q;
    return nnom_model_add_layer(m, &d, id);
}

static nnom_status add_simple(nnom_model *m, nnom_layer_type type, const char *name, int32_t input, nnom_quant q,
                              int32_t *id)
{
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    d.type = type;
    d.name = name;
    d.n_inputs = 1;
    d.inputs[0] = input;
    d.quant = q;
    if (type == NNOM_LAYER_MAX_POOL2D) {
        d.params.kernel[0] = d.params.kernel[1] = 2;
        d.params.stride[0] = d.params.stride[1] = 2;
        d.params.padding = NNOM_PADDING_VALID;
    }
    if (type == NNOM_LAYER_SOFTMAX) d.blobs[0] = (nnom_blob){store.softmax_table, sizeof store.softmax_table};
    return nnom_model_add_layer(m, &d, id);
}

nnom_status cnn28_build(const nnom_options *options, nnom_model **out, nnom_error *err)
{
    nnom_model *m;
    nnom_status st = nnom_model_create(NNOM_DTYPE_S8, options, &m, err);
    if (st != NNOM_OK) return st;
    const nnom_quant in_q = {1.0f / 255.0f, -128}, logits_q = {4.0f / 128.0f, 0}, prob_q = {1.0f / 256.0f, -128};
    nnom_shape shape = {3, {28, 28, 1}};
    int32_t id;
#define TRY(call)                   \
    do {                            \
        st = (call);                \
        if (st != NNOM_OK) goto fail; \
    } while (0)
    TRY(nnom_model_add_input(m, "image", shape, in_q, &id));
    TRY(add_weighted(m, 0, NNOM_LAYER_CONV2D, "conv1", id, in_q, 9 * 1, 12, relu_q, 1, &id));
    TRY(add_simple(m, NNOM_LAYER_MAX_POOL2D, "pool1", id, relu_q, &id));
    TRY(add_weighted(m, 1, NNOM_LAYER_CONV2D, "conv2", id, relu_q, 9 * 12, 24, relu_q, 1, &id));
    TRY(add_simple(m, NNOM_LAYER_MAX_POOL2D, "pool2", id, relu_q, &id));
    TRY(add_weighted(m, 2, NNOM_LAYER_CONV2D, "conv3", id, relu_q, 9 * 24, 48, relu_q, 1, &id));
    TRY(add_simple(m, NNOM_LAYER_MAX_POOL2D, "pool3", id, relu_q, &id));
    TRY(add_simple(m, NNOM_LAYER_FLATTEN, "flatten", id, relu_q, &id));
    TRY(add_weighted(m, 3, NNOM_LAYER_DENSE, "dense1", id, relu_q, 3 * 3 * 48, 96, relu_q, 1, &id));
    TRY(add_weighted(m, 4, NNOM_LAYER_DENSE, "dense2", id, relu_q, 96, 10, logits_q, 0, &id));
    TRY(nnom_quant_softmax_table(logits_q, store.softmax_table));
    TRY(add_simple(m, NNOM_LAYER_SOFTMAX, "softmax", id, prob_q, &id));
    TRY(add_simple(m, NNOM_LAYER_OUTPUT, "probabilities", id, prob_q, &id));
    TRY(nnom_model_compile(m));
#undef TRY
    *out = m;
    return NNOM_OK;
fail:
    if (err) {
        err->status = st;
        strncpy(err->message, nnom_model_last_error(m), sizeof err->message - 1);
        err->message[sizeof err->message - 1] = '\0';
    }
    nnom_model_destroy(m);
    return st;
}

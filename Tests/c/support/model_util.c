#include "model_util.h"

#include <string.h>

nnom_model *tu_model_new(nnom_dtype dtype, const nnom_options *o)
{
    nnom_model *m = NULL;
    nnom_error err;
    const nnom_status st = nnom_model_create(dtype, o, &m, &err);
    TU_REQUIRE(st == NNOM_OK, "nnom_model_create: %s: %s", nnom_status_name(st), err.message);
    return m;
}

nnom_shape tu_shape(int32_t rank, int32_t d0, int32_t d1, int32_t d2)
{
    nnom_shape s;
    memset(&s, 0, sizeof s);
    const int32_t d[3] = {d0, d1, d2};
    s.rank = rank;
    for (int32_t i = 0; i < rank && i < NNOM_MAX_RANK; i++) s.dims[i] = d[i];
    return s;
}

nnom_layer_desc tu_desc(nnom_layer_type type, const char *name, int32_t n_inputs, const int32_t *inputs)
{
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    d.type = type;
    d.name = name;
    TU_REQUIRE(n_inputs >= 0 && n_inputs <= NNOM_MAX_INPUTS, "tu_desc: %d inputs", (int)n_inputs);
    d.n_inputs = n_inputs;
    for (int32_t i = 0; i < n_inputs; i++) d.inputs[i] = inputs[i];
    return d;
}

nnom_layer_desc tu_desc1(nnom_layer_type type, const char *name, int32_t input)
{
    return tu_desc(type, name, 1, &input);
}

void tu_add_output(nnom_model *m, int32_t input, const char *name)
{
    const nnom_layer_desc o = tu_desc1(NNOM_LAYER_OUTPUT, name, input);
    TU_OK(m, nnom_model_add_layer(m, &o, NULL));
}

void tu_finish_model(nnom_model *m, int32_t last)
{
    tu_add_output(m, last, NULL);
    TU_OK(m, nnom_model_compile(m));
    TU_OK(m, nnom_model_alloc_arena(m));
}

nnom_status tu_compile_or_destroy(nnom_model *m, int32_t last, nnom_model **out, char *msg, size_t cap)
{
    tu_add_output(m, last, NULL);
    const nnom_status st = nnom_model_compile(m);
    snprintf(msg, cap, "%s", nnom_model_last_error(m));
    if (st == NNOM_OK && out) {
        *out = m;
        return st;
    }
    nnom_model_destroy(m);
    return st;
}

void tu_run_s8(nnom_model *m, const int8_t *x, size_t nx, int8_t *y, size_t ny)
{
    TU_OK(m, nnom_model_set_input_s8(m, 0, x, nx));
    TU_OK(m, nnom_model_run(m));
    TU_OK(m, nnom_model_get_output_s8(m, 0, y, ny));
}

void tu_run_f32(nnom_model *m, const float *x, size_t nx, float *y, size_t ny)
{
    TU_OK(m, nnom_model_set_input_f32(m, 0, x, nx));
    TU_OK(m, nnom_model_run(m));
    TU_OK(m, nnom_model_get_output_f32(m, 0, y, ny));
}

int tu_same_outputs(nnom_model *a, nnom_model *b)
{
    nnom_tensor_info ia, ib, oa, ob;
    TU_OK(a, nnom_model_input_info(a, 0, &ia));
    TU_OK(b, nnom_model_input_info(b, 0, &ib));
    TU_OK(a, nnom_model_output_info(a, 0, &oa));
    TU_OK(b, nnom_model_output_info(b, 0, &ob));
    TU_REQUIRE(ia.count == ib.count && ia.dtype == ib.dtype && oa.count == ob.count,
               "tu_same_outputs: the models' inputs (%d, %d values) or outputs (%d, %d) differ", (int)ia.count,
               (int)ib.count, (int)oa.count, (int)ob.count);
    const size_t n = (size_t)ia.count;
    const size_t esize = ia.dtype == NNOM_DTYPE_S8 ? sizeof(int8_t) : sizeof(float);
    void *x = malloc(n * esize + 1);
    TU_REQUIRE(x != NULL, "tu_same_outputs: out of memory");
    if (ia.dtype == NNOM_DTYPE_S8) {
        tu_fill_s8((int8_t *)x, n, INT8_MIN, INT8_MAX);
        TU_OK(a, nnom_model_set_input_s8(a, 0, (const int8_t *)x, n));
        TU_OK(b, nnom_model_set_input_s8(b, 0, (const int8_t *)x, n));
    } else {
        tu_fill_f32((float *)x, n, -2.0f, 2.0f);
        TU_OK(a, nnom_model_set_input_f32(a, 0, (const float *)x, n));
        TU_OK(b, nnom_model_set_input_f32(b, 0, (const float *)x, n));
    }
    free(x);
    TU_OK(a, nnom_model_run(a));
    TU_OK(b, nnom_model_run(b));
    return memcmp(nnom_model_output_data(a, 0), nnom_model_output_data(b, 0), (size_t)oa.count * esize) == 0;
}

int8_t *tu_dense_rows(nnom_model *m, int32_t layer, int32_t *in_out)
{
    nnom_layer_info info = NNOM_LAYER_INFO_INIT;
    nnom_blob b[NNOM_MAX_BLOBS];
    TU_OK(m, nnom_model_layer_info(m, layer, &info));
    TU_OK(m, nnom_model_layer_blobs(m, layer, b));
    TU_REQUIRE(info.type == NNOM_LAYER_DENSE, "tu_dense_rows: layer %d is not a dense layer", (int)layer);
    const int32_t units = info.params.units;
    const uint8_t *src = (const uint8_t *)b[0].data;
    if (!(info.params.cell_flags & NNOM_DENSE_ROW_PAIRS)) {
        const int32_t in = (int32_t)(b[0].size / (uint32_t)units);
        int8_t *w = (int8_t *)malloc(b[0].size + 1);
        TU_REQUIRE(w != NULL, "tu_dense_rows: out of memory");
        memcpy(w, src, b[0].size);
        *in_out = in;
        return w;
    }
    /* rows padded to R (even), inputs to K (even); the blob is R x K bytes */
    const int32_t r_pad = units + (units & 1);
    const int32_t k_pad = (int32_t)(b[0].size / (uint32_t)r_pad);
    /* the input count: the element count of the layer it reads */
    nnom_layer_info src_info = NNOM_LAYER_INFO_INIT;
    TU_OK(m, nnom_model_layer_info(m, info.inputs[0], &src_info));
    int32_t in = 1;
    for (int32_t k = 0; k < src_info.shape.rank; k++) in *= src_info.shape.dims[k];
    TU_REQUIRE(in == k_pad || in + 1 == k_pad, "tu_dense_rows: %d inputs, %d padded columns", (int)in, (int)k_pad);
    int8_t *w = (int8_t *)malloc((size_t)units * (size_t)in + 1);
    TU_REQUIRE(w != NULL, "tu_dense_rows: out of memory");
    for (int32_t o = 0; o < units; o++) {
        const int32_t group = o / 8, in_group = o % 8, pair = in_group / 2, row_b = in_group % 2;
        const int32_t group_pairs = r_pad - 8 * group >= 8 ? 4 : (r_pad - 8 * group) / 2;
        for (int32_t i = 0; i < in; i++) {
            const size_t at = (size_t)8 * (size_t)group * (size_t)k_pad +
                              4u * ((size_t)(i / 2) * (size_t)group_pairs + (size_t)pair) + 2u * (size_t)(i % 2) +
                              (size_t)row_b;
            w[(size_t)o * (size_t)in + (size_t)i] = (int8_t)(row_b ? src[at] : (uint8_t)(src[at] ^ 0x80u));
        }
    }
    *in_out = in;
    return w;
}

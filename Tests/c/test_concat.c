/*
 * CONCATENATE: kernels bit-exact against a reference that maps every output
 * coordinate back to its input (independent of the kernel's outer/inner
 * view), on every axis of ranks 1 to 3, with 1 to 5 inputs of mixed
 * quantisations (some copied as is); graphs through the public API; infer
 * errors.
 */
#include <string.h>

#include "kernels/concat.h"
#include "model_util.h"

typedef struct {
    int32_t rank;
    int32_t dims[3];
} tshape;

static int32_t tcount(const tshape *s)
{
    int32_t n = 1;
    for (int32_t i = 0; i < s->rank; i++) n *= s->dims[i];
    return n;
}

/* flat index of coordinate c in shape s (row-major) */
static int32_t flat(const tshape *s, const int32_t *c)
{
    int32_t idx = 0;
    for (int32_t i = 0; i < s->rank; i++) idx = idx * s->dims[i] + c[i];
    return idx;
}

typedef struct {
    int32_t n;            /* inputs */
    int32_t axis;         /* normalised */
    tshape in[5], out;
} case_t;

static case_t make_case(int32_t rank, int32_t axis, int32_t n, int32_t max_dim)
{
    case_t k;
    k.n = n;
    k.axis = axis;
    k.out.rank = rank;
    for (int32_t d = 0; d < rank; d++) k.out.dims[d] = tu_rand_int(1, max_dim);
    k.out.dims[axis] = 0;
    for (int32_t i = 0; i < n; i++) {
        k.in[i] = k.out;
        k.in[i].dims[axis] = tu_rand_int(1, max_dim + 1);
        k.out.dims[axis] += k.in[i].dims[axis];
    }
    return k;
}

/* for output coordinate c: which input and the flat index inside it */
static void locate(const case_t *k, const int32_t *c, int32_t *which, int32_t *idx)
{
    int32_t ci[3] = {c[0], c[1], c[2]};
    int32_t pos = c[k->axis];
    int32_t i = 0;
    while (pos >= k->in[i].dims[k->axis]) pos -= k->in[i++].dims[k->axis];
    ci[k->axis] = pos;
    *which = i;
    *idx = flat(&k->in[i], ci);
}

static void next_coord(const tshape *s, int32_t *c)
{
    for (int32_t d = s->rank - 1; d >= 0; d--) {
        if (++c[d] < s->dims[d]) return;
        c[d] = 0;
    }
}

static int cases_run = 0;

static void check_case_s8(const case_t *k)
{
    int8_t *data[5];
    nnom_concat_input_s8 in[5];
    int32_t out_zp = tu_rand_int(-128, 127);
    for (int32_t i = 0; i < k->n; i++) {
        const int32_t cnt = tcount(&k->in[i]);
        data[i] = malloc((size_t)cnt);
        tu_fill_s8(data[i], (size_t)cnt, -128, 127);
        in[i].data = data[i];
        /* inner: product of the dims from the axis on */
        in[i].inner = 1;
        for (int32_t d = k->axis; d < k->in[i].rank; d++) in[i].inner *= k->in[i].dims[d];
        in[i].zero_point = tu_rand_int(-128, 127);
        switch (tu_rand_int(0, 3)) {
        case 0: in[i].multiplier = 0; in[i].shift = 0; break; /* copy */
        case 1: tu_ref_multiplier(tu_rand_float(0.2f, 5.0f), &in[i].multiplier, &in[i].shift); break;
        case 2: in[i].multiplier = tu_rand_int(1 << 30, INT32_MAX); in[i].shift = tu_rand_int(-31, 30); break;
        default: tu_ref_multiplier(1.0, &in[i].multiplier, &in[i].shift); break; /* zero point change only */
        }
    }
    int32_t outer = 1;
    for (int32_t d = 0; d < k->axis; d++) outer *= k->out.dims[d];
    const int32_t total = tcount(&k->out);
    int8_t *out = malloc((size_t)total + 8);
    memset(out, 0x5A, (size_t)total + 8);
    nnom_concat_s8_args a = {in, k->n, outer, out_zp, out};
    nnom_concat_s8(&a);
    int32_t c[3] = {0, 0, 0};
    for (int32_t j = 0; j < total; j++, next_coord(&k->out, c)) {
        int32_t w, idx;
        locate(k, c, &w, &idx);
        const int32_t x = data[w][idx];
        int32_t want = x;
        if (in[w].multiplier != 0)
            want = tu_clamp(tu_ref_requantize(x - in[w].zero_point, in[w].multiplier, in[w].shift) + out_zp, -128, 127);
        const int32_t got = out[flat(&k->out, c)];
        TU_CHECK(got == want, "s8 rank %d axis %d n %d: out[%d] = %d, expected %d (input %d)", k->out.rank, k->axis,
                 k->n, j, got, want, w);
        if (got != want) break;
    }
    for (int32_t j = 0; j < 8; j++) TU_CHECK(out[total + j] == 0x5A, "wrote past the end");
    for (int32_t i = 0; i < k->n; i++) free(data[i]);
    free(out);
}

static void check_case_f32(const case_t *k)
{
    float *data[5];
    nnom_concat_input_f32 in[5];
    for (int32_t i = 0; i < k->n; i++) {
        const int32_t cnt = tcount(&k->in[i]);
        data[i] = malloc((size_t)cnt * 4);
        tu_fill_f32(data[i], (size_t)cnt, -5, 5);
        in[i].data = data[i];
        in[i].inner = 1;
        for (int32_t d = k->axis; d < k->in[i].rank; d++) in[i].inner *= k->in[i].dims[d];
    }
    int32_t outer = 1;
    for (int32_t d = 0; d < k->axis; d++) outer *= k->out.dims[d];
    const int32_t total = tcount(&k->out);
    float *out = malloc((size_t)total * 4);
    nnom_concat_f32_args a = {in, k->n, outer, out};
    nnom_concat_f32(&a);
    int32_t c[3] = {0, 0, 0};
    for (int32_t j = 0; j < total; j++, next_coord(&k->out, c)) {
        int32_t w, idx;
        locate(k, c, &w, &idx);
        TU_CHECK(out[j] == data[w][idx], "f32 rank %d axis %d: out[%d] = %g, expected %g", k->out.rank, k->axis, j,
                 out[j], data[w][idx]);
        if (out[j] != data[w][idx]) break;
    }
    for (int32_t i = 0; i < k->n; i++) free(data[i]);
    free(out);
}

static void test_kernels(void)
{
    for (int32_t rank = 1; rank <= 3; rank++)
        for (int32_t axis = 0; axis < rank; axis++)
            for (int32_t n = 1; n <= 5; n++)
                for (int rep = 0; rep < 8; rep++) {
                    case_t k = make_case(rank, axis, n, 6);
                    check_case_s8(&k);
                    check_case_f32(&k);
                    cases_run++;
                }
    /* inputs of more elements than the kernel's table threshold (kernels/concat.c) and fewer */
    for (int32_t rank = 2; rank <= 3; rank++)
        for (int32_t axis = 0; axis < rank; axis++)
            for (int rep = 0; rep < 6; rep++) {
                case_t k = make_case(rank, axis, 2 + rep % 3, 24);
                check_case_s8(&k);
                cases_run++;
            }
    printf("concat kernels: %d cases\n", cases_run);
}

/* ---------------------------------------------------------------- graphs */

static nnom_shape to_shape(const tshape *t)
{
    nnom_shape s;
    memset(&s, 0, sizeof s);
    s.rank = t->rank;
    for (int32_t i = 0; i < t->rank; i++) s.dims[i] = t->dims[i];
    return s;
}

/* Inputs -> Concatenate(axis given as `axis_param`) -> Output, int8 with mixed quantisations. */
static void graph_s8(const case_t *k, int32_t axis_param)
{
    nnom_quant qo = {0.05f, 4};
    nnom_quant qi[5];
    static int32_t params[10];
    nnom_model *m = tu_model_new(NNOM_DTYPE_S8, NULL);
    nnom_layer_desc d = tu_desc(NNOM_LAYER_CONCATENATE, "cat", 0, NULL);
    d.n_inputs = k->n; /* d.inputs[] filled below as the inputs are added */
    d.params.axis = axis_param;
    d.quant = qo;
    for (int32_t i = 0; i < k->n; i++) {
        char name[8] = {'x', (char)('0' + i), 0};
        qi[i] = i % 2 ? qo : (nnom_quant){tu_rand_float(0.02f, 0.1f), tu_rand_int(-20, 20)};
        TU_REQUIRE(nnom_quant_concat_params(qi[i], qo, &params[2 * i]) == NNOM_OK, "params");
        TU_OK(m, nnom_model_add_input(m, name, to_shape(&k->in[i]), qi[i], &d.inputs[i]));
    }
    d.blobs[0].data = params;
    d.blobs[0].size = (uint32_t)(8 * k->n);
    int32_t c;
    TU_OK(m, nnom_model_add_layer(m, &d, &c));
    tu_finish_model(m, c);
    nnom_tensor_info oi;
    TU_OK(m, nnom_model_output_info(m, 0, &oi));
    TU_CHECK(oi.shape.rank == k->out.rank, "output rank");
    for (int32_t i = 0; i < k->out.rank; i++)
        TU_CHECK(oi.shape.dims[i] == k->out.dims[i], "output dim %d: %d, expected %d", i, oi.shape.dims[i],
                 k->out.dims[i]);
    int8_t *data[5];
    for (int32_t i = 0; i < k->n; i++) {
        const int32_t cnt = tcount(&k->in[i]);
        data[i] = malloc((size_t)cnt);
        tu_fill_s8(data[i], (size_t)cnt, -128, 127);
        TU_OK(m, nnom_model_set_input_s8(m, i, data[i], (size_t)cnt));
    }
    TU_OK(m, nnom_model_run(m));
    const int32_t total = tcount(&k->out);
    int8_t *out = malloc((size_t)total);
    TU_OK(m, nnom_model_get_output_s8(m, 0, out, (size_t)total));
    int32_t cc[3] = {0, 0, 0};
    for (int32_t j = 0; j < total; j++, next_coord(&k->out, cc)) {
        int32_t w, idx;
        locate(k, cc, &w, &idx);
        int32_t want = data[w][idx];
        if (params[2 * w])
            want = tu_clamp(tu_ref_requantize(want - qi[w].zero_point, params[2 * w], params[2 * w + 1]) + qo.zero_point,
                            -128, 127);
        TU_CHECK(out[j] == want, "graph axis %d: out[%d] = %d, expected %d", axis_param, j, out[j], want);
        if (out[j] != want) break;
    }
    for (int32_t i = 0; i < k->n; i++) free(data[i]);
    free(out);
    nnom_model_destroy(m);
}

static void graph_f32(const case_t *k, int32_t axis_param)
{
    nnom_model *m = tu_model_new(NNOM_DTYPE_F32, NULL);
    nnom_layer_desc d = tu_desc(NNOM_LAYER_CONCATENATE, NULL, 0, NULL);
    d.n_inputs = k->n;
    d.params.axis = axis_param;
    nnom_quant q0 = {0, 0};
    for (int32_t i = 0; i < k->n; i++) TU_OK(m, nnom_model_add_input(m, NULL, to_shape(&k->in[i]), q0, &d.inputs[i]));
    int32_t c;
    TU_OK(m, nnom_model_add_layer(m, &d, &c));
    tu_finish_model(m, c);
    float *data[5];
    for (int32_t i = 0; i < k->n; i++) {
        const int32_t cnt = tcount(&k->in[i]);
        data[i] = malloc((size_t)cnt * 4);
        tu_fill_f32(data[i], (size_t)cnt, -3, 3);
        TU_OK(m, nnom_model_set_input_f32(m, i, data[i], (size_t)cnt));
    }
    TU_OK(m, nnom_model_run(m));
    const int32_t total = tcount(&k->out);
    float *out = malloc((size_t)total * 4);
    TU_OK(m, nnom_model_get_output_f32(m, 0, out, (size_t)total));
    int32_t cc[3] = {0, 0, 0};
    for (int32_t j = 0; j < total; j++, next_coord(&k->out, cc)) {
        int32_t w, idx;
        locate(k, cc, &w, &idx);
        TU_CHECK(out[j] == data[w][idx], "graph f32 axis %d: out[%d]", axis_param, j);
        if (out[j] != data[w][idx]) break;
    }
    for (int32_t i = 0; i < k->n; i++) free(data[i]);
    free(out);
    nnom_model_destroy(m);
}

static void test_graphs(void)
{
    for (int32_t rank = 1; rank <= 3; rank++)
        for (int32_t axis = 0; axis < rank; axis++) {
            case_t k = make_case(rank, axis, tu_rand_int(1, 5), 6);
            graph_s8(&k, axis);
            graph_s8(&k, axis - rank); /* the same axis counted from the end */
            graph_f32(&k, axis - rank);
        }
}

static nnom_status compile_cat(nnom_dtype dtype, int32_t n, const nnom_shape *shapes, int32_t axis,
                               const void *blob, uint32_t blob_size, char *msg, size_t cap)
{
    nnom_model *m = tu_model_new(dtype, NULL);
    nnom_layer_desc d = tu_desc(NNOM_LAYER_CONCATENATE, "my_cat", 0, NULL);
    d.n_inputs = n;
    d.params.axis = axis;
    d.quant.scale = 0.1f;
    d.blobs[0].data = blob;
    d.blobs[0].size = blob_size;
    nnom_quant q = {0.1f, 0};
    for (int32_t i = 0; i < n; i++) TU_OK(m, nnom_model_add_input(m, NULL, shapes[i], q, &d.inputs[i]));
    int32_t c;
    TU_OK(m, nnom_model_add_layer(m, &d, &c));
    return tu_compile_or_destroy(m, c, NULL, msg, cap);
}

static void test_errors(void)
{
    static int32_t params[2 * NNOM_MAX_INPUTS];
    static int32_t bad_shift[4] = {1 << 30, 31, 0, 0};
    char msg[NNOM_ERROR_MESSAGE_MAX];
    nnom_shape s[NNOM_MAX_INPUTS];
    memset(s, 0, sizeof s);
    for (int i = 0; i < NNOM_MAX_INPUTS; i++) {
        s[i].rank = 3;
        s[i].dims[0] = 2;
        s[i].dims[1] = 3;
        s[i].dims[2] = 1 + i % 4;
    }
    /* 16 inputs work, on the last axis */
    nnom_status st = compile_cat(NNOM_DTYPE_S8, 16, s, -1, params, sizeof params, msg, sizeof msg);
    TU_CHECK(st == NNOM_OK, "16 inputs: %s %s", nnom_status_name(st), msg);
    /* axis out of range */
    st = compile_cat(NNOM_DTYPE_S8, 2, s, 3, params, 16, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_SHAPE && strstr(msg, "my_cat") && strstr(msg, "axis 3"), "axis 3: %s %s",
             nnom_status_name(st), msg);
    st = compile_cat(NNOM_DTYPE_F32, 2, s, -4, NULL, 0, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_SHAPE && strstr(msg, "-4"), "axis -4: %s %s", nnom_status_name(st), msg);
    /* differing off the axis: concatenating on axis 0 needs equal channels */
    st = compile_cat(NNOM_DTYPE_S8, 2, s, 0, params, 16, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_SHAPE && strstr(msg, "(2, 3, 2)") && strstr(msg, "(2, 3, 1)"), "dims: %s %s",
             nnom_status_name(st), msg);
    /* rank mismatch */
    nnom_shape r[2] = {s[0], s[0]};
    r[1].rank = 2;
    st = compile_cat(NNOM_DTYPE_F32, 2, r, -1, NULL, 0, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_SHAPE && strstr(msg, "input 1"), "rank: %s %s", nnom_status_name(st), msg);
    /* blob size: 2 inputs need 16 bytes */
    st = compile_cat(NNOM_DTYPE_S8, 2, s, -1, params, 8, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_SHAPE && strstr(msg, "16") && strstr(msg, "my_cat"), "blob: %s %s", nnom_status_name(st),
             msg);
    st = compile_cat(NNOM_DTYPE_S8, 2, s, -1, bad_shift, sizeof bad_shift, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_ARGUMENT && strstr(msg, "31"), "shift: %s %s", nnom_status_name(st), msg);
    /* one input is a copy */
    st = compile_cat(NNOM_DTYPE_S8, 1, s, 1, params, 8, msg, sizeof msg);
    TU_CHECK(st == NNOM_OK, "one input: %s %s", nnom_status_name(st), msg);
}

int main(void)
{
    tu_seed(0xCA7);
    test_kernels();
    test_graphs();
    test_errors();
    return tu_finish("test_concat");
}

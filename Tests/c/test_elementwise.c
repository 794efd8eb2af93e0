/*
 * ADD, SUBTRACT, MULTIPLY: int8 kernels bit-exact against the TFLite
 * reference arithmetic written here (tu_ref_requantize), float32 kernels
 * exact, on random shapes; per-channel broadcast; in place; and small graphs
 * through the public API, with the shape and parameter errors of infer.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "kernels/elementwise.h"
#include "model_util.h"

enum { OP_ADD, OP_SUB, OP_MUL };
static const char *const op_name[] = {"add", "sub", "mul"};

typedef struct {
    int32_t rows, channels, broadcast;
} shape2;

static shape2 rand_shape(void)
{
    static const int32_t chans[] = {1, 2, 3, 5, 7, 13, 17, 31};
    shape2 s;
    s.channels = chans[tu_rand_int(0, 7)];
    /* some tensors of 256 elements and more: the add inputs' lookup tables */
    s.rows = tu_rand_int(0, 3) ? tu_rand_int(1, 40) : tu_rand_int(40, 300);
    s.broadcast = 0;
    return s;
}

/* reference of one int8 element, spec arithmetic with 64-bit integers */
static int32_t ref_s8(int op, int32_t x1, int32_t x2, int32_t zp1, int32_t zp2, int32_t zpo, const int32_t *p,
                      int32_t lo, int32_t hi)
{
    int64_t v;
    if (op == OP_MUL) {
        v = tu_ref_requantize((int64_t)(x1 - zp1) * (x2 - zp2), p[0], p[1]);
    } else {
        int64_t a = tu_ref_requantize((int64_t)(x1 - zp1) * 1048576, p[0], p[1]);
        int64_t b = tu_ref_requantize((int64_t)(x2 - zp2) * 1048576, p[2], p[3]);
        int64_t s = op == OP_ADD ? a + b : a - b;
        if (s > INT32_MAX) s = INT32_MAX; /* only with out-of-spec random params */
        if (s < INT32_MIN) s = INT32_MIN;
        v = tu_ref_requantize(s, p[4], p[5]);
    }
    return tu_clamp(v + zpo, lo, hi);
}

static void rand_pair(int32_t *m, int32_t *s, int32_t smin, int32_t smax)
{
    *m = tu_rand_int(1 << 30, INT32_MAX);
    if (tu_rand_int(0, 9) == 0) *m = tu_rand_int(0, 3) ? tu_rand_int(1, (1 << 30) - 1) : 0; /* below 2^30, zero */
    *s = tu_rand_int(smin, smax);
}

/* params: from real scales (the realistic case) or random (exercises rounding and saturation) */
static void make_params(int op, int realistic, int32_t *p)
{
    if (realistic) {
        double s1 = tu_rand_float(0.002f, 0.2f), s2 = tu_rand_float(0.002f, 0.2f);
        if (op == OP_MUL) {
            tu_ref_multiplier(s1 * s2 / (s1 * s2 * tu_rand_float(2.0f, 200.0f)), &p[0], &p[1]);
        } else {
            double tm = 2.0 * (s1 > s2 ? s1 : s2), so = (s1 + s2) * tu_rand_float(0.5f, 2.0f);
            tu_ref_multiplier(s1 / tm, &p[0], &p[1]);
            tu_ref_multiplier(s2 / tm, &p[2], &p[3]);
            tu_ref_multiplier(tm / (1048576.0 * so), &p[4], &p[5]);
        }
    } else if (op == OP_MUL) {
        rand_pair(&p[0], &p[1], -31, 4);
    } else {
        rand_pair(&p[0], &p[1], -31, 0);
        rand_pair(&p[2], &p[3], -31, 0);
        rand_pair(&p[4], &p[5], -31, 30);
    }
}

static void run_s8(int op, const nnom_elementwise_s8_args *a)
{
    if (op == OP_ADD) nnom_add_s8(a);
    else if (op == OP_SUB) nnom_sub_s8(a);
    else nnom_mul_s8(a);
}

static void run_f32(int op, const nnom_elementwise_f32_args *a)
{
    if (op == OP_ADD) nnom_add_f32(a);
    else if (op == OP_SUB) nnom_sub_f32(a);
    else nnom_mul_f32(a);
}

static void test_kernels_s8(void)
{
    int compared = 0;
    for (int iter = 0; iter < 600; iter++) {
        const int op = iter % 3;
        shape2 s = rand_shape();
        s.broadcast = tu_rand_int(0, 3) == 0;
        const int in_place = tu_rand_int(0, 3) == 0;
        const int32_t n = s.rows * s.channels, n2 = s.broadcast ? s.channels : n;
        int8_t *in1 = malloc((size_t)n), *in2 = malloc((size_t)n2), *out = malloc((size_t)n);
        int8_t *orig1 = malloc((size_t)n);
        tu_fill_s8(in1, (size_t)n, -128, 127);
        tu_fill_s8(in2, (size_t)n2, -128, 127);
        if (iter % 10 == 0) memset(in1, 127, (size_t)n); /* extremes */
        if (iter % 10 == 1) memset(in2, -128, (size_t)n2);
        memcpy(orig1, in1, (size_t)n);
        int32_t p[6];
        make_params(op, iter % 4 != 3, p);
        nnom_elementwise_s8_args a;
        a.in1 = in1;
        a.in2 = in2;
        a.out = in_place ? in1 : out;
        a.rows = s.rows;
        a.channels = s.channels;
        a.broadcast = s.broadcast;
        a.in1_zero_point = tu_rand_int(-128, 127);
        a.in2_zero_point = tu_rand_int(-128, 127);
        a.out_zero_point = tu_rand_int(-128, 127);
        a.act_lo = -128;
        a.act_hi = 127;
        if (iter % 5 == 2) { a.act_lo = a.out_zero_point; } /* relu */
        if (iter % 5 == 3) { a.act_lo = tu_rand_int(-128, 0); a.act_hi = tu_rand_int(a.act_lo, 127); }
        a.params = p;
        run_s8(op, &a);
        const int8_t *res = in_place ? in1 : out;
        for (int32_t i = 0; i < n; i++) {
            const int32_t x2 = in2[s.broadcast ? i % s.channels : i];
            const int32_t want = ref_s8(op, orig1[i], x2, a.in1_zero_point, a.in2_zero_point, a.out_zero_point, p,
                                        a.act_lo, a.act_hi);
            TU_CHECK(res[i] == want, "%s iter %d [%d] x1=%d x2=%d: %d, expected %d (bcast %d, in place %d)",
                     op_name[op], iter, i, orig1[i], x2, res[i], want, s.broadcast, in_place);
            if (res[i] != want) break;
            compared++;
        }
        free(in1);
        free(in2);
        free(out);
        free(orig1);
    }
    printf("s8 kernels: %d elements bit-exact\n", compared);
}

static float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

static void test_kernels_f32(void)
{
    for (int iter = 0; iter < 300; iter++) {
        const int op = iter % 3;
        shape2 s = rand_shape();
        s.broadcast = tu_rand_int(0, 3) == 0;
        const int in_place = tu_rand_int(0, 2) == 0;
        const int32_t n = s.rows * s.channels, n2 = s.broadcast ? s.channels : n;
        float *in1 = malloc((size_t)n * 4), *in2 = malloc((size_t)n2 * 4), *out = malloc((size_t)n * 4);
        float *orig1 = malloc((size_t)n * 4);
        tu_fill_f32(in1, (size_t)n, -8.0f, 8.0f);
        tu_fill_f32(in2, (size_t)n2, -8.0f, 8.0f);
        memcpy(orig1, in1, (size_t)n * 4);
        nnom_elementwise_f32_args a;
        a.in1 = in1;
        a.in2 = in2;
        a.out = in_place ? in1 : out;
        a.rows = s.rows;
        a.channels = s.channels;
        a.broadcast = s.broadcast;
        a.act_lo = -FLT_MAX;
        a.act_hi = FLT_MAX;
        if (iter % 4 == 1) a.act_lo = 0.0f;
        if (iter % 4 == 2) { a.act_lo = 0.0f; a.act_hi = 6.0f; }
        run_f32(op, &a);
        const float *res = in_place ? in1 : out;
        int bad = 0;
        for (int32_t i = 0; i < n && !bad; i++) {
            const float x1 = orig1[i], x2 = in2[s.broadcast ? i % s.channels : i];
            const float y = op == OP_ADD ? x1 + x2 : (op == OP_SUB ? x1 - x2 : x1 * x2);
            const float want = clampf(y, a.act_lo, a.act_hi);
            bad = res[i] != want;
            TU_CHECK(!bad, "%s f32 iter %d [%d]: %g, expected %g", op_name[op], iter, i, res[i], want);
        }
        free(in1);
        free(in2);
        free(out);
        free(orig1);
    }
}

/* ---------------------------------------------------------------- graphs */

static int32_t count_of(nnom_shape s)
{
    int32_t n = 1;
    for (int32_t i = 0; i < s.rank; i++) n *= s.dims[i];
    return n;
}

/* x1 (shape a) op x2 (shape b) -> output, int8, against the reference */
static void graph_s8(nnom_layer_type type, nnom_shape sa, nnom_shape sb, int32_t activation)
{
    const int op = type == NNOM_LAYER_ADD ? OP_ADD : (type == NNOM_LAYER_SUBTRACT ? OP_SUB : OP_MUL);
    nnom_quant q1 = {0.04f, -5}, q2 = {0.07f, 12}, qo = {0.09f, 3};
    if (op == OP_MUL) qo.scale = 0.3f;
    static int32_t params[6]; /* blobs are used in place: keep them alive; 4-byte aligned */
    nnom_status st = op == OP_MUL ? nnom_quant_mul_params(q1, q2, qo, params)
                                  : nnom_quant_add_params(q1, q2, qo, params);
    TU_REQUIRE(st == NNOM_OK, "params");
    nnom_model *m = tu_model_new(NNOM_DTYPE_S8, NULL);
    int32_t a, b, c;
    TU_OK(m, nnom_model_add_input(m, "x1", sa, q1, &a));
    TU_OK(m, nnom_model_add_input(m, "x2", sb, q2, &b));
    nnom_layer_desc d = tu_desc(type, "merge", 2, (const int32_t[]){a, b});
    d.params.activation = activation;
    d.blobs[0].data = params;
    d.blobs[0].size = (op == OP_MUL ? 2 : 6) * 4;
    d.quant = qo;
    TU_OK(m, nnom_model_add_layer(m, &d, &c));
    tu_finish_model(m, c);
    const int32_t n1 = count_of(sa), n2 = count_of(sb), c1 = sa.dims[sa.rank - 1];
    int8_t *x1 = malloc((size_t)n1), *x2 = malloc((size_t)n2), *y = malloc((size_t)n1);
    tu_fill_s8(x1, (size_t)n1, -128, 127);
    tu_fill_s8(x2, (size_t)n2, -128, 127);
    TU_OK(m, nnom_model_set_input_s8(m, 0, x1, (size_t)n1));
    TU_OK(m, nnom_model_set_input_s8(m, 1, x2, (size_t)n2));
    TU_OK(m, nnom_model_run(m));
    TU_OK(m, nnom_model_get_output_s8(m, 0, y, (size_t)n1));
    int32_t lo = -128, hi = 127;
    if (activation != NNOM_ACT_NONE) lo = qo.zero_point;
    if (activation == NNOM_ACT_RELU6) hi = tu_clamp(tu_round_away(6.0 / (double)qo.scale) + qo.zero_point, -128, 127);
    for (int32_t i = 0; i < n1; i++) {
        int32_t want = ref_s8(op, x1[i], x2[n2 == n1 ? i : i % c1], q1.zero_point, q2.zero_point, qo.zero_point,
                              params, lo, hi);
        TU_CHECK(y[i] == want, "graph %s [%d]: %d, expected %d", nnom_layer_type_name(type), i, y[i], want);
        if (y[i] != want) break;
    }
    nnom_layer_info info = NNOM_LAYER_INFO_INIT;
    TU_OK(m, nnom_model_layer_info(m, c, &info));
    TU_CHECK(info.shape.rank == sa.rank && info.shape.dims[sa.rank - 1] == c1, "output shape");
    if (type == NNOM_LAYER_MULTIPLY) TU_CHECK(info.macs == (uint64_t)n1, "multiply macs %llu", (unsigned long long)info.macs);
    free(x1);
    free(x2);
    free(y);
    nnom_model_destroy(m);
}

static void graph_f32(nnom_layer_type type, nnom_shape sa, nnom_shape sb, int32_t activation, int chain)
{
    const int op = type == NNOM_LAYER_ADD ? OP_ADD : (type == NNOM_LAYER_SUBTRACT ? OP_SUB : OP_MUL);
    nnom_quant q0 = {0, 0};
    nnom_model *m = tu_model_new(NNOM_DTYPE_F32, NULL);
    int32_t a, b, c, c2 = -1;
    TU_OK(m, nnom_model_add_input(m, "x1", sa, q0, &a));
    TU_OK(m, nnom_model_add_input(m, "x2", sb, q0, &b));
    nnom_layer_desc d = tu_desc(type, "merge", 2, (const int32_t[]){a, b});
    d.params.activation = activation;
    TU_OK(m, nnom_model_add_layer(m, &d, &c));
    if (chain) { /* a second op reading the first: its input 0 dies there, so it may run in place */
        nnom_layer_desc d2 = tu_desc(type, "merge2", 2, (const int32_t[]){c, b});
        TU_OK(m, nnom_model_add_layer(m, &d2, &c2));
    }
    tu_finish_model(m, chain ? c2 : c);
    const int32_t n1 = count_of(sa), n2 = count_of(sb), c1 = sa.dims[sa.rank - 1];
    float *x1 = malloc((size_t)n1 * 4), *x2 = malloc((size_t)n2 * 4), *y = malloc((size_t)n1 * 4);
    tu_fill_f32(x1, (size_t)n1, -10, 10);
    tu_fill_f32(x2, (size_t)n2, -10, 10);
    TU_OK(m, nnom_model_set_input_f32(m, 0, x1, (size_t)n1));
    TU_OK(m, nnom_model_set_input_f32(m, 1, x2, (size_t)n2));
    TU_OK(m, nnom_model_run(m));
    TU_OK(m, nnom_model_get_output_f32(m, 0, y, (size_t)n1));
    float lo = -FLT_MAX, hi = FLT_MAX;
    if (activation != NNOM_ACT_NONE) lo = 0.0f;
    if (activation == NNOM_ACT_RELU6) hi = 6.0f;
    for (int32_t i = 0; i < n1; i++) {
        const float v = x2[n2 == n1 ? i : i % c1];
        float w = op == OP_ADD ? x1[i] + v : (op == OP_SUB ? x1[i] - v : x1[i] * v);
        w = clampf(w, lo, hi);
        if (chain) w = op == OP_ADD ? w + v : (op == OP_SUB ? w - v : w * v);
        TU_CHECK(y[i] == w, "graph f32 %s [%d]: %g, expected %g", nnom_layer_type_name(type), i, y[i], w);
        if (y[i] != w) break;
    }
    if (chain) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(m, nnom_model_layer_info(m, c2, &info));
        TU_CHECK(info.in_place == 1, "%s reading a dying input should run in place", nnom_layer_type_name(type));
    }
    free(x1);
    free(x2);
    free(y);
    nnom_model_destroy(m);
}

/* Builds x1, x2 -> layer; compiles; returns the status and copies the message. */
static nnom_status compile_error(nnom_dtype dtype, nnom_layer_type type, nnom_shape sa, nnom_shape sb,
                                 const nnom_layer_desc *tmpl, char *msg, size_t cap)
{
    nnom_quant q = {0.05f, 0};
    nnom_model *m = tu_model_new(dtype, NULL);
    int32_t a, b, c;
    TU_OK(m, nnom_model_add_input(m, "x1", sa, q, &a));
    TU_OK(m, nnom_model_add_input(m, "x2", sb, q, &b));
    nnom_layer_desc d = *tmpl;
    d.type = type;
    d.n_inputs = 2;
    d.inputs[0] = a;
    d.inputs[1] = b;
    TU_OK(m, nnom_model_add_layer(m, &d, &c));
    return tu_compile_or_destroy(m, c, NULL, msg, cap);
}

static void test_graph_errors(void)
{
    static int32_t good6[6] = {1 << 30, -1, 1 << 30, -1, 1 << 30, 0};
    static int32_t good2[2] = {1 << 30, 0};
    static int32_t bad_shift[6] = {1 << 30, -1, 1 << 30, -40, 1 << 30, 0};
    static int32_t neg_mult[2] = {-5, 0};
    char msg[NNOM_ERROR_MESSAGE_MAX];
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    d.name = "my_add";
    d.quant.scale = 0.05f;
    d.blobs[0].data = good6;
    d.blobs[0].size = sizeof good6;

    /* shape mismatch names the layer, its type and both shapes */
    nnom_status st = compile_error(NNOM_DTYPE_S8, NNOM_LAYER_ADD, tu_shape(3, 4, 4, 3), tu_shape(3, 4, 4, 5), &d,
                                   msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_SHAPE, "add shape mismatch: %s", nnom_status_name(st));
    TU_CHECK(strstr(msg, "my_add") && strstr(msg, "add") && strstr(msg, "(4, 4, 3)") && strstr(msg, "(4, 4, 5)"),
             "message: %s", msg);
    /* add broadcasts a per-channel vector second, not first */
    st = compile_error(NNOM_DTYPE_F32, NNOM_LAYER_ADD, tu_shape(3, 4, 4, 3), tu_shape(1, 3, 0, 0), &d, msg, sizeof msg);
    TU_CHECK(st == NNOM_OK, "add broadcast: %s (%s)", nnom_status_name(st), msg);
    st = compile_error(NNOM_DTYPE_F32, NNOM_LAYER_ADD, tu_shape(1, 3, 0, 0), tu_shape(3, 4, 4, 3), &d, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_SHAPE && strstr(msg, "vector"), "add vector first: %s %s", nnom_status_name(st), msg);
    st = compile_error(NNOM_DTYPE_F32, NNOM_LAYER_SUBTRACT, tu_shape(3, 4, 4, 3), tu_shape(1, 4, 0, 0), &d, msg,
                       sizeof msg);
    TU_CHECK(st == NNOM_ERR_SHAPE && strstr(msg, "(4)"), "sub vector length: %s %s", nnom_status_name(st), msg);
    st = compile_error(NNOM_DTYPE_F32, NNOM_LAYER_SUBTRACT, tu_shape(2, 4, 3, 0), tu_shape(3, 1, 4, 3), &d, msg,
                       sizeof msg);
    TU_CHECK(st == NNOM_ERR_SHAPE, "sub rank mismatch: %s", nnom_status_name(st));
    /* multiply: vector of the wrong length, or a vector first */
    d.name = "my_mul";
    d.blobs[0].data = good2;
    d.blobs[0].size = sizeof good2;
    st = compile_error(NNOM_DTYPE_S8, NNOM_LAYER_MULTIPLY, tu_shape(3, 4, 4, 3), tu_shape(1, 4, 0, 0), &d, msg,
                       sizeof msg);
    TU_CHECK(st == NNOM_ERR_SHAPE && strstr(msg, "my_mul") && strstr(msg, "(4)"), "mul vector length: %s %s",
             nnom_status_name(st), msg);
    st = compile_error(NNOM_DTYPE_S8, NNOM_LAYER_MULTIPLY, tu_shape(1, 3, 0, 0), tu_shape(3, 4, 4, 3), &d, msg,
                       sizeof msg);
    TU_CHECK(st == NNOM_ERR_SHAPE, "mul vector first: %s", nnom_status_name(st));
    st = compile_error(NNOM_DTYPE_S8, NNOM_LAYER_MULTIPLY, tu_shape(3, 4, 4, 3), tu_shape(2, 1, 3, 0), &d, msg,
                       sizeof msg);
    TU_CHECK(st == NNOM_ERR_SHAPE, "mul (1, 3) is not a rank-1 vector: %s", nnom_status_name(st));
    /* blob size: multiply given add's 6 words */
    d.blobs[0].data = good6;
    d.blobs[0].size = sizeof good6;
    st = compile_error(NNOM_DTYPE_S8, NNOM_LAYER_MULTIPLY, tu_shape(1, 8, 0, 0), tu_shape(1, 8, 0, 0), &d, msg,
                       sizeof msg);
    TU_CHECK(st == NNOM_ERR_SHAPE && strstr(msg, "24") && strstr(msg, "8"), "mul blob size: %s %s",
             nnom_status_name(st), msg);
    /* missing blob */
    d.blobs[0].data = NULL;
    d.blobs[0].size = 0;
    d.name = "my_sub";
    st = compile_error(NNOM_DTYPE_S8, NNOM_LAYER_SUBTRACT, tu_shape(1, 8, 0, 0), tu_shape(1, 8, 0, 0), &d, msg,
                       sizeof msg);
    TU_CHECK(st == NNOM_ERR_SHAPE && strstr(msg, "my_sub"), "sub without blob: %s %s", nnom_status_name(st), msg);
    /* f32 needs no blob */
    st = compile_error(NNOM_DTYPE_F32, NNOM_LAYER_SUBTRACT, tu_shape(1, 8, 0, 0), tu_shape(1, 8, 0, 0), &d, msg,
                       sizeof msg);
    TU_CHECK(st == NNOM_OK, "f32 sub without blob: %s %s", nnom_status_name(st), msg);
    /* shift out of range, negative multiplier */
    d.blobs[0].data = bad_shift;
    d.blobs[0].size = sizeof bad_shift;
    st = compile_error(NNOM_DTYPE_S8, NNOM_LAYER_ADD, tu_shape(1, 8, 0, 0), tu_shape(1, 8, 0, 0), &d, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_ARGUMENT && strstr(msg, "-40") && strstr(msg, "-31 to 30"), "shift range: %s %s",
             nnom_status_name(st), msg);
    d.blobs[0].data = neg_mult;
    d.blobs[0].size = sizeof neg_mult;
    st = compile_error(NNOM_DTYPE_S8, NNOM_LAYER_MULTIPLY, tu_shape(1, 8, 0, 0), tu_shape(1, 8, 0, 0), &d, msg,
                       sizeof msg);
    TU_CHECK(st == NNOM_ERR_ARGUMENT && strstr(msg, "-5"), "negative multiplier: %s %s", nnom_status_name(st), msg);
    /* fused activation */
    d.blobs[0].data = good6;
    d.blobs[0].size = sizeof good6;
    d.params.activation = 7;
    st = compile_error(NNOM_DTYPE_S8, NNOM_LAYER_ADD, tu_shape(1, 8, 0, 0), tu_shape(1, 8, 0, 0), &d, msg, sizeof msg);
    TU_CHECK(st == NNOM_ERR_UNSUPPORTED && strstr(msg, "7"), "activation 7: %s %s", nnom_status_name(st), msg);

    /* input counts: one input to add */
    nnom_model *m = tu_model_new(NNOM_DTYPE_F32, NULL);
    int32_t a, c;
    nnom_quant q = {0.05f, 0};
    TU_OK(m, nnom_model_add_input(m, "x", tu_shape(1, 4, 0, 0), q, &a));
    nnom_layer_desc one = tu_desc1(NNOM_LAYER_ADD, "lonely_add", a);
    TU_OK(m, nnom_model_add_layer(m, &one, &c));
    tu_add_output(m, c, "y");
    st = nnom_model_compile(m);
    TU_CHECK(st == NNOM_ERR_SHAPE && strstr(nnom_model_last_error(m), "lonely_add"), "one input: %s %s",
             nnom_status_name(st), nnom_model_last_error(m));
    nnom_model_destroy(m);
}

static void test_graphs(void)
{
    static const nnom_layer_type types[] = {NNOM_LAYER_ADD, NNOM_LAYER_SUBTRACT, NNOM_LAYER_MULTIPLY};
    for (int t = 0; t < 3; t++) {
        for (int act = 0; act < 3; act++) {
            graph_s8(types[t], tu_shape(3, 5, 3, 7), tu_shape(3, 5, 3, 7), act);
            graph_s8(types[t], tu_shape(1, 13, 0, 0), tu_shape(1, 13, 0, 0), act);
            graph_f32(types[t], tu_shape(2, 9, 5, 0), tu_shape(2, 9, 5, 0), act, act == 1);
        }
    }
    /* per-channel broadcast of the second input */
    for (int t = 0; t < 3; t++) {
        graph_s8(types[t], tu_shape(3, 4, 6, 5), tu_shape(1, 5, 0, 0), NNOM_ACT_NONE);
        graph_s8(types[t], tu_shape(2, 11, 3, 0), tu_shape(1, 3, 0, 0), NNOM_ACT_RELU);
        graph_f32(types[t], tu_shape(3, 4, 6, 5), tu_shape(1, 5, 0, 0), NNOM_ACT_NONE, 1);
    }
}

int main(void)
{
    tu_seed(0xE1E3E27);
    test_kernels_s8();
    test_kernels_f32();
    test_graphs();
    test_graph_errors();
    return tu_finish("test_elementwise");
}

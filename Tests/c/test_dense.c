/*
 * Dense: the int8 and float32 kernels against a naive reference written here
 * (int64 accumulation, then the spec's requantisation from test support),
 * and the layer through the public API.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "kernels/dense.h"
#include "model_util.h"

/* ------------------------------------------------------------ references */

static void ref_dense_s8(const nnom_dense_s8_args *a, const int8_t *in, int8_t *out)
{
    for (int32_t o = 0; o < a->out_features; o++) {
        int64_t acc = a->bias ? a->bias[o] : 0;
        for (int32_t i = 0; i < a->in_features; i++)
            acc += (int64_t)(in[i] - a->in_zero_point) * a->weights[(size_t)o * a->in_features + i];
        /* the documented int32 accumulator: saturated before requantisation */
        acc = tu_clamp(acc, INT32_MIN, INT32_MAX);
        const int32_t q = a->per_channel ? o : 0;
        int64_t v = (int64_t)tu_ref_requantize(acc, a->multiplier[q], a->shift[q]) + a->out_zero_point;
        out[o] = (int8_t)tu_clamp(v, a->act_lo, a->act_hi);
    }
}

/* Row-major weights w[out][in] in the row-pair layout of docs/format.md (DENSE, cell_flags
 * NNOM_DENSE_ROW_PAIRS), written here from that description; malloc'ed. */
static uint8_t *ref_pairs(const int8_t *w, int32_t in, int32_t out)
{
    const int32_t rows = out + (out & 1), cols = in + (in & 1);
    uint8_t *p = malloc((size_t)rows * (size_t)cols + 1);
    TU_REQUIRE(p != NULL, "out of memory");
    for (int32_t o = 0; o < rows; o++) {
        const int32_t group = o / 8, pair = (o % 8) / 2, row_b = o % 2;
        const int32_t pairs = rows - 8 * group >= 8 ? 4 : (rows - 8 * group) / 2;
        for (int32_t i = 0; i < cols; i++) {
            const int8_t v = o < out && i < in ? w[(size_t)o * (size_t)in + (size_t)i] : 0;
            const size_t at = (size_t)8 * (size_t)group * (size_t)cols + 4u * ((size_t)(i / 2) * (size_t)pairs + (size_t)pair) +
                              2u * (size_t)(i % 2) + (size_t)row_b;
            p[at] = row_b ? (uint8_t)v : (uint8_t)((uint8_t)v ^ 0x80u);
        }
    }
    return p;
}

static void ref_dense_f32(const nnom_dense_f32_args *a, const float *in, float *out, double *mag)
{
    for (int32_t o = 0; o < a->out_features; o++) {
        double acc = a->bias ? a->bias[o] : 0.0, m = a->bias ? fabs(a->bias[o]) : 0.0;
        for (int32_t i = 0; i < a->in_features; i++) {
            double t = (double)in[i] * a->weights[(size_t)o * a->in_features + i];
            acc += t;
            m += fabs(t);
        }
        if (acc < a->act_lo) acc = a->act_lo;
        if (acc > a->act_hi) acc = a->act_hi;
        out[o] = (float)acc;
        mag[o] = m;
    }
}

/* ------------------------------------------------------------ int8 kernel */

/* how many reference outputs without activation fell strictly inside int8: a check
 * that the random scales exercise the arithmetic, not just the saturation */
static long inside_outputs, all_outputs;

typedef struct {
    int32_t in, out;
    int per_channel, has_bias, act; /* act: 0 none, 1 relu, 2 relu6-like */
    int fine;                       /* small values, multiplier ~1 */
} case_s8;

static int run_case_s8(const case_s8 *c)
{
    const size_t nw = (size_t)c->in * c->out;
    int8_t *xbuf = malloc((size_t)c->in + 3);
    int8_t *w = malloc(nw);
    int32_t *bias = malloc(sizeof(int32_t) * (size_t)c->out);
    int32_t *mult = malloc(sizeof(int32_t) * (size_t)c->out);
    int32_t *shift = malloc(sizeof(int32_t) * (size_t)c->out);
    int8_t *got = malloc((size_t)c->out + 1), *want = malloc((size_t)c->out);
    TU_REQUIRE(xbuf && w && bias && mult && shift && got && want, "out of memory");

    /* an input at an odd address: int8 activations need not be aligned */
    int8_t *x = xbuf + tu_rand_int(0, 3);
    const int32_t in_zp = tu_rand_int(-128, 127);
    const int32_t nq = c->per_channel ? c->out : 1;
    if (c->fine) {
        /* small values and multipliers near 1: an error of one unit of the accumulator shows */
        for (int32_t i = 0; i < c->in; i++) x[i] = (int8_t)tu_clamp(in_zp + tu_rand_int(-3, 3), -128, 127);
        tu_fill_s8(w, nw, -3, 3);
        tu_fill_s32(bias, (size_t)c->out, -50, 50);
        for (int32_t i = 0; i < nq; i++) tu_ref_multiplier(tu_rand_float(0.3f, 1.5f), &mult[i], &shift[i]);
    } else {
        tu_fill_s8(x, (size_t)c->in, -128, 127);
        tu_fill_s8(w, nw, -128, 127);
        tu_fill_s32(bias, (size_t)c->out, -60000, 60000);
        for (int32_t i = 0; i < nq; i++) {
            /* scale so that the typical |acc| ~ 128*128*sqrt(in) lands on a few dozen steps,
             * sometimes > 1 to exercise positive shifts */
            double typical = 16384.0 * sqrt((double)c->in);
            double real = tu_rand_float(0.2f, 2.0f) * 25.0 / typical;
            if (tu_rand_int(0, 9) == 0) real = tu_rand_float(1.0f, 3.0f);
            tu_ref_multiplier(real, &mult[i], &shift[i]);
        }
    }
    nnom_dense_s8_args a;
    memset(&a, 0, sizeof a);
    a.in_features = c->in;
    a.out_features = c->out;
    a.weights = w;
    a.bias = c->has_bias ? bias : NULL;
    a.multiplier = mult;
    a.shift = shift;
    a.per_channel = c->per_channel;
    a.in_zero_point = in_zp;
    a.out_zero_point = tu_rand_int(-128, 127);
    a.act_lo = -128;
    a.act_hi = 127;
    if (c->act >= 1) a.act_lo = a.out_zero_point;
    if (c->act == 2) a.act_hi = tu_rand_int(a.act_lo, 127);

    got[c->out] = 0x5a; /* guard */
    nnom_dense_s8(&a, x, got);
    ref_dense_s8(&a, x, want);
    int bad = 0;
    for (int32_t o = 0; o < c->out; o++) {
        bad += got[o] != want[o];
        if (c->act == 0 && !c->fine) {
            inside_outputs += want[o] > -128 && want[o] < 127;
            all_outputs++;
        }
    }
    TU_CHECK(bad == 0, "dense s8 in=%d out=%d per_channel=%d bias=%d act=%d: %d of %d outputs differ",
             c->in, c->out, c->per_channel, c->has_bias, c->act, bad, c->out);
    TU_CHECK(got[c->out] == 0x5a, "dense s8 wrote past its output");
    /* the same layer with its weights in row pairs */
    uint8_t *pairs = ref_pairs(w, c->in, c->out);
    a.weights = (const int8_t *)pairs;
    nnom_dense_pairs_s8(&a, x, got);
    int bad_pairs = 0;
    for (int32_t o = 0; o < c->out; o++) bad_pairs += got[o] != want[o];
    TU_CHECK(bad_pairs == 0, "dense s8 in row pairs, in=%d out=%d per_channel=%d bias=%d act=%d: %d of %d outputs differ",
             c->in, c->out, c->per_channel, c->has_bias, c->act, bad_pairs, c->out);
    TU_CHECK(got[c->out] == 0x5a, "dense s8 in row pairs wrote past its output");
    free(pairs);
    free(xbuf); free(w); free(bias); free(mult); free(shift); free(got); free(want);
    return bad;
}

static void test_dense_s8_random(void)
{
    int n = 0;
    for (int t = 0; t < 600; t++) {
        case_s8 c;
        int32_t r = tu_rand_int(0, 9);
        c.in = r < 3 ? 16 * tu_rand_int(1, 30) : tu_rand_int(1, 500);
        c.out = tu_rand_int(0, 3) ? tu_rand_int(1, 13) : tu_rand_int(14, 70);
        c.per_channel = tu_rand_int(0, 1);
        c.has_bias = tu_rand_int(0, 3) != 0;
        c.act = tu_rand_int(0, 2);
        c.fine = tu_rand_int(0, 2) == 0;
        run_case_s8(&c);
        n++;
    }
    /* the benchmark shapes */
    case_s8 b1 = {432, 96, 1, 1, 1, 0}, b2 = {96, 10, 1, 1, 0, 1}, b3 = {432, 96, 0, 0, 2, 1};
    run_case_s8(&b1);
    run_case_s8(&b2);
    run_case_s8(&b3);
    printf("dense s8: %d random cases, %ld of %ld unclamped outputs unsaturated\n", n + 3, inside_outputs,
           all_outputs);
    TU_CHECK(inside_outputs * 4 > all_outputs * 3, "too few unsaturated outputs: %ld of %ld", inside_outputs,
             all_outputs);
}

/* Inputs longer than one 65536-element chunk: a naive int32 sum would overflow on the
 * way (UB) while the total fits; and a total that saturates the int32 accumulator. */
static void test_dense_s8_long(void)
{
    const int32_t n = 140001, out = 5;
    int8_t *x = malloc((size_t)n), *w = malloc((size_t)n * out), got[5], want[5];
    TU_REQUIRE(x && w, "out of memory");
    for (int32_t i = 0; i < n; i++) x[i] = i < n / 2 ? 127 : -128;
    for (int32_t o = 0; o < out; o++)
        for (int32_t i = 0; i < n; i++) w[(size_t)o * n + i] = (int8_t)(o == 4 ? -128 : (i % 7 == o ? -3 : 127));
    int32_t mult = 1 << 30, shift = -20;
    nnom_dense_s8_args a;
    memset(&a, 0, sizeof a);
    a.in_features = n;
    a.out_features = out;
    a.weights = w;
    a.multiplier = &mult;
    a.shift = &shift;
    a.in_zero_point = -128;
    a.out_zero_point = 3;
    a.act_lo = -128;
    a.act_hi = 127;
    nnom_dense_s8(&a, x, got);
    ref_dense_s8(&a, x, want);
    for (int o = 0; o < out; o++) TU_CHECK(got[o] == want[o], "long dense output %d: got %d want %d", o, got[o], want[o]);
    uint8_t *pairs = ref_pairs(w, n, out);
    a.weights = (const int8_t *)pairs;
    nnom_dense_pairs_s8(&a, x, got);
    for (int o = 0; o < out; o++)
        TU_CHECK(got[o] == want[o], "long dense in row pairs, output %d: got %d want %d", o, got[o], want[o]);
    free(pairs);
    /* output 4 saturates: -128 * 255 * 70000 < INT32_MIN -> requantize(INT32_MIN) */
    TU_CHECK(want[4] == -128, "saturation case expected -128, reference gives %d", want[4]);
    free(x);
    free(w);
}

/* ------------------------------------------------------------ float32 kernel */

static void test_dense_f32_random(void)
{
    int n = 0;
    for (int t = 0; t < 200; t++) {
        int32_t in = tu_rand_int(1, 400), out = tu_rand_int(1, 12);
        float *x = malloc(sizeof(float) * (size_t)in), *w = malloc(sizeof(float) * (size_t)in * out);
        float *b = malloc(sizeof(float) * (size_t)out), *got = malloc(sizeof(float) * (size_t)out);
        float *want = malloc(sizeof(float) * (size_t)out);
        double *mag = malloc(sizeof(double) * (size_t)out);
        TU_REQUIRE(x && w && b && got && want && mag, "out of memory");
        tu_fill_f32(x, (size_t)in, -2.0f, 2.0f);
        tu_fill_f32(w, (size_t)in * out, -1.0f, 1.0f);
        tu_fill_f32(b, (size_t)out, -3.0f, 3.0f);
        nnom_dense_f32_args a;
        memset(&a, 0, sizeof a);
        a.in_features = in;
        a.out_features = out;
        a.weights = w;
        a.bias = tu_rand_int(0, 3) ? b : NULL;
        int act = tu_rand_int(0, 2);
        a.act_lo = act ? 0.0f : -FLT_MAX;
        a.act_hi = act == 2 ? 6.0f : FLT_MAX;
        nnom_dense_f32(&a, x, got);
        ref_dense_f32(&a, x, want, mag);
        for (int32_t o = 0; o < out; o++) {
            double tol = 1e-6 * mag[o] + 1e-6;
            TU_CHECK(fabs((double)got[o] - want[o]) <= tol, "dense f32 in=%d out=%d o=%d: got %g want %g",
                     in, out, o, got[o], want[o]);
        }
        free(x); free(w); free(b); free(got); free(want); free(mag);
        n++;
    }
    printf("dense f32: %d random cases\n", n);
}


/* ------------------------------------------------------------ through the public API */

typedef struct {
    int8_t w[7 * 60];
    int32_t bias[7], mult[7], shift[7];
} dense_blobs_s8;

/* Input (3, 4, 5) -> Dense(7, act) -> Output. Returns the compile status;
 * *out_model is the model (to destroy). @p tweak changes the desc before adding. */
static nnom_status build_dense_s8(dense_blobs_s8 *b, int act, int per_channel, nnom_quant in_q, nnom_quant out_q,
                                  void (*tweak)(nnom_layer_desc *), nnom_model **out_model)
{
    nnom_model *m = tu_model_new(NNOM_DTYPE_S8, NULL);
    nnom_shape shape = {3, {3, 4, 5}};
    int32_t id;
    TU_OK(m, nnom_model_add_input(m, "image", shape, in_q, &id));
    nnom_layer_desc d = tu_desc1(NNOM_LAYER_DENSE, "fc1", id);
    d.params.units = 7;
    d.params.activation = act;
    d.blobs[0] = (nnom_blob){b->w, sizeof b->w};
    d.blobs[1] = (nnom_blob){b->bias, sizeof b->bias};
    d.blobs[2] = (nnom_blob){b->mult, per_channel ? sizeof b->mult : 4u};
    d.blobs[3] = (nnom_blob){b->shift, per_channel ? sizeof b->shift : 4u};
    d.quant = out_q;
    if (tweak) tweak(&d);
    TU_OK(m, nnom_model_add_layer(m, &d, &id));
    tu_add_output(m, id, "scores");
    *out_model = m;
    return nnom_model_compile(m);
}

static void test_graph_s8(void)
{
    static dense_blobs_s8 b;
    for (int t = 0; t < 6; t++) {
        const int act = t % 3, per_channel = t / 3;
        tu_fill_s8(b.w, sizeof b.w, -127, 127);
        tu_fill_s32(b.bias, 7, -20000, 20000);
        for (int i = 0; i < 7; i++) tu_ref_multiplier(tu_rand_float(0.5f, 2.0f) * 40.0 / (16384.0 * 8), &b.mult[i], &b.shift[i]);
        nnom_quant in_q = {0.05f, tu_rand_int(-20, 20)}, out_q = {0.1f, tu_rand_int(-30, 30)};
        nnom_model *m;
        nnom_status st = build_dense_s8(&b, act, per_channel, in_q, out_q, NULL, &m);
        TU_REQUIRE(st == NNOM_OK, "compile: %s", nnom_model_last_error(m));
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(m, nnom_model_layer_info(m, 1, &info));
        TU_CHECK(info.shape.rank == 1 && info.shape.dims[0] == 7, "dense output shape rank %d dim %d", info.shape.rank,
                 info.shape.dims[0]);
        TU_CHECK(info.macs == 60u * 7u, "dense macs %lu, expected 420", (unsigned long)info.macs);
        TU_CHECK(info.scratch_bytes == 0, "dense asks for %u scratch bytes", info.scratch_bytes);
        TU_OK(m, nnom_model_alloc_arena(m));
        int8_t x[60], want[7], got[7];
        for (int run = 0; run < 2; run++) {
            tu_fill_s8(x, 60, -128, 127);
            TU_OK(m, nnom_model_set_input_s8(m, 0, x, 60));
            TU_OK(m, nnom_model_run(m));
            TU_OK(m, nnom_model_get_output_s8(m, 0, got, 7));
            nnom_dense_s8_args a;
            memset(&a, 0, sizeof a);
            a.in_features = 60;
            a.out_features = 7;
            a.weights = b.w;
            a.bias = b.bias;
            a.multiplier = b.mult;
            a.shift = b.shift;
            a.per_channel = per_channel;
            a.in_zero_point = in_q.zero_point;
            a.out_zero_point = out_q.zero_point;
            tu_ref_act_bounds_s8(act, out_q, &a.act_lo, &a.act_hi);
            ref_dense_s8(&a, x, want);
            TU_CHECK(memcmp(got, want, 7) == 0, "graph dense s8 (act %d, per_channel %d) differs from the reference",
                     act, per_channel);
        }
        nnom_model_destroy(m);
    }
}

static void test_graph_f32(void)
{
    static float w[6 * 10], bias[6];
    tu_fill_f32(w, 60, -1.0f, 1.0f);
    tu_fill_f32(bias, 6, -1.0f, 1.0f);
    nnom_model *m;
    nnom_error err;
    TU_REQUIRE(nnom_model_create(NNOM_DTYPE_F32, NULL, &m, &err) == NNOM_OK, "create: %s", err.message);
    nnom_shape shape = {2, {5, 2}};
    nnom_quant none = {1.0f, 0};
    int32_t id;
    TU_OK(m, nnom_model_add_input(m, "seq", shape, none, &id));
    nnom_layer_desc d = tu_desc1(NNOM_LAYER_DENSE, "fc", id);
    d.params.units = 6;
    d.params.activation = NNOM_ACT_RELU6;
    d.blobs[0] = (nnom_blob){w, sizeof w};
    d.blobs[1] = (nnom_blob){bias, sizeof bias};
    TU_OK(m, nnom_model_add_layer(m, &d, &id));
    tu_add_output(m, id, NULL);
    TU_OK(m, nnom_model_compile(m));
    TU_OK(m, nnom_model_alloc_arena(m));
    float x[10], got[6], want[6];
    double mag[6];
    tu_fill_f32(x, 10, -4.0f, 4.0f);
    TU_OK(m, nnom_model_set_input_f32(m, 0, x, 10));
    TU_OK(m, nnom_model_run(m));
    TU_OK(m, nnom_model_get_output_f32(m, 0, got, 6));
    nnom_dense_f32_args a = {10, 6, w, bias, 0.0f, 6.0f};
    ref_dense_f32(&a, x, want, mag);
    for (int o = 0; o < 6; o++)
        TU_CHECK(fabs((double)got[o] - want[o]) <= 1e-6 * mag[o] + 1e-6, "graph dense f32 output %d: %g vs %g", o,
                 got[o], want[o]);
    nnom_model_destroy(m);
}

/* Compile errors: status and a message that names the layer. */
static void tweak_weights_short(nnom_layer_desc *d) { d->blobs[0].size -= 1; }
static void tweak_bias_size(nnom_layer_desc *d) { d->blobs[1].size = 8; }
static void tweak_no_bias(nnom_layer_desc *d) { d->blobs[1] = (nnom_blob){NULL, 0}; }
static void tweak_shift_mismatch(nnom_layer_desc *d) { d->blobs[3].size = 4; }
static void tweak_units_zero(nnom_layer_desc *d) { d->params.units = 0; }
static void tweak_act(nnom_layer_desc *d) { d->params.activation = 7; }
static void tweak_extra_blob(nnom_layer_desc *d) { d->blobs[4] = d->blobs[1]; }

static void test_graph_errors(void)
{
    static dense_blobs_s8 b;
    tu_fill_s8(b.w, sizeof b.w, -127, 127);
    for (int i = 0; i < 7; i++) { b.mult[i] = 1 << 30; b.shift[i] = -8; b.bias[i] = 0; }
    const nnom_quant q = {0.05f, 0};
    static const struct {
        void (*tweak)(nnom_layer_desc *);
        nnom_status want;
        const char *what;
    } cases[] = {
        {tweak_weights_short, NNOM_ERR_SHAPE, "weights"},
        {tweak_bias_size, NNOM_ERR_SHAPE, "bias"},
        {tweak_shift_mismatch, NNOM_ERR_SHAPE, "shift"},
        {tweak_units_zero, NNOM_ERR_SHAPE, "units"},
        {tweak_act, NNOM_ERR_UNSUPPORTED, "activation"},
        {tweak_extra_blob, NNOM_ERR_SHAPE, "blob 4"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nnom_model *m;
        nnom_status st = build_dense_s8(&b, NNOM_ACT_NONE, 1, q, q, cases[i].tweak, &m);
        const char *msg = nnom_model_last_error(m);
        TU_CHECK(st == cases[i].want, "error case '%s': got %s (%s)", cases[i].what, nnom_status_name(st), msg);
        TU_CHECK(strstr(msg, "fc1") && strstr(msg, "dense") && strstr(msg, cases[i].what),
                 "error case '%s': message lacks the layer name, type or subject: %s", cases[i].what, msg);
        nnom_model_destroy(m);
    }
    /* a shift outside [-31, 30] */
    b.shift[3] = 31;
    nnom_model *m;
    nnom_status st = build_dense_s8(&b, NNOM_ACT_NONE, 1, q, q, NULL, &m);
    TU_CHECK(st == NNOM_ERR_ARGUMENT && strstr(nnom_model_last_error(m), "shift[3]"), "shift 31: %s: %s",
             nnom_status_name(st), nnom_model_last_error(m));
    nnom_model_destroy(m);
    b.shift[3] = -8;
    /* a bias may be left out */
    st = build_dense_s8(&b, NNOM_ACT_NONE, 1, q, q, tweak_no_bias, &m);
    TU_CHECK(st == NNOM_OK, "dense without bias: %s", nnom_model_last_error(m));
    nnom_model_destroy(m);
}

int main(void)
{
    tu_seed(0xD3A5E);
    test_dense_s8_random();
    test_dense_s8_long();
    test_dense_f32_random();
    test_graph_s8();
    test_graph_f32();
    test_graph_errors();
    return tu_finish("test_dense");
}

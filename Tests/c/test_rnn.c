/*
 * Recurrent layers (SIMPLE_RNN, GRU, LSTM): the float32 kernel against a
 * double-precision reference written here from Keras' equations on weights
 * in Keras' own layouts (kernel (in, G*units), recurrent kernel (units,
 * G*units)), so the blob layout the runtime documents is checked as well;
 * then the layers through the public API: stateful runs, the state API,
 * state memory outside the arena, .nnom round trips and compile errors.
 */
#include <math.h>
#include <string.h>

#include "kernels/rnn.h"
#include "model_util.h"

/* ------------------------------------------------------------ reference */

static double ref_act(int32_t act, double x)
{
    switch (act) {
    case NNOM_RNN_ACT_TANH: return tanh(x);
    case NNOM_RNN_ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case NNOM_RNN_ACT_HARD_SIGMOID: return x <= -3.0 ? 0.0 : (x >= 3.0 ? 1.0 : x / 6.0 + 0.5);
    case NNOM_RNN_ACT_HARD_SIGMOID_K2: return x <= -2.5 ? 0.0 : (x >= 2.5 ? 1.0 : 0.2 * x + 0.5);
    case NNOM_RNN_ACT_RELU: return x > 0.0 ? x : 0.0;
    default: return x;
    }
}

/* A recurrent layer in Keras' terms. */
typedef struct ref_rnn {
    int32_t gates, steps, in, units, flags, act, rec;
    const float *kernel;    /* Keras (in, G*units) */
    const float *recurrent; /* Keras (units, G*units) */
    const float *bias;      /* NULL, (G*units) or GRU reset_after (2, 3*units) */
} ref_rnn;

/* x W[:, col] over the Keras layout */
static double kdot(const float *kernel, int32_t rows, int32_t cols, const double *v, int32_t col)
{
    double s = 0.0;
    for (int32_t i = 0; i < rows; i++) s += (double)kernel[(size_t)i * cols + col] * v[i];
    return s;
}

/* When not NULL, ref_run() records here the largest |value| of each ::nnom_rnn_internal. */
static double *ref_max;

static double note(int k, double v)
{
    if (ref_max && fabs(v) > ref_max[k]) ref_max[k] = fabs(v);
    return v;
}

/* Runs the layer on x [steps][in] from state (h, c) (updated); out as the runtime lays it out. */
static void ref_run(const ref_rnn *r, const float *x, double *out, double *h, double *c)
{
    const int32_t U = r->units, G = r->gates, cols = G * U;
    const int back = (r->flags & NNOM_RNN_GO_BACKWARDS) != 0, seq = (r->flags & NNOM_RNN_RETURN_SEQUENCES) != 0;
    const int after = (r->flags & NNOM_RNN_RESET_AFTER) != 0;
    const float *rb = G == 3 && r->bias && after ? r->bias + cols : NULL; /* GRU recurrent bias */
    double xv[64], nh[64], nc[64], rh[64];
    for (int32_t k = 0; k < r->steps; k++) {
        const int32_t t = back ? r->steps - 1 - k : k;
        for (int32_t i = 0; i < r->in; i++) xv[i] = x[(size_t)t * r->in + i];
#define XP(g) (kdot(r->kernel, r->in, cols, xv, (g) * U + u) + (r->bias ? r->bias[(g) * U + u] : 0.0))
#define HP(g) (kdot(r->recurrent, U, cols, h, (g) * U + u) + (rb ? rb[(g) * U + u] : 0.0))
        if (G == 1) {
            for (int32_t u = 0; u < U; u++) nh[u] = note(3, ref_act(r->act, note(0, XP(0) + HP(0))));
        } else if (G == 4) {
            for (int32_t u = 0; u < U; u++) {
                const double i = ref_act(r->rec, note(0, XP(0) + HP(0))), f = ref_act(r->rec, note(0, XP(1) + HP(1)));
                const double g = note(3, ref_act(r->act, note(0, XP(2) + HP(2))));
                const double o = ref_act(r->rec, note(0, XP(3) + HP(3)));
                nc[u] = note(2, f * c[u] + i * g);
                nh[u] = o * note(4, ref_act(r->act, nc[u]));
            }
        } else {
            /* GRU, written out per gate */
            double z[64], rr[64];
            for (int32_t u = 0; u < U; u++) {
                z[u] = ref_act(r->rec, note(0, XP(0) + HP(0)));
                rr[u] = ref_act(r->rec, note(0, XP(1) + HP(1)));
            }
            for (int32_t u = 0; u < U; u++) rh[u] = rr[u] * h[u];
            for (int32_t u = 0; u < U; u++) {
                double pre;
                if (after)
                    pre = XP(2) + rr[u] * note(0, HP(2));
                else
                    pre = XP(2) + kdot(r->recurrent, U, cols, rh, 2 * U + u);
                const double hh = note(3, ref_act(r->act, note(0, pre)));
                nh[u] = z[u] * h[u] + (1.0 - z[u]) * hh;
            }
        }
#undef XP
#undef HP
        for (int32_t u = 0; u < U; u++) {
            h[u] = note(1, nh[u]);
            if (G == 4) c[u] = nc[u];
        }
        if (seq) {
            const int32_t row = (r->flags & NNOM_RNN_INPUT_ORDER) ? t : k;
            for (int32_t u = 0; u < U; u++) out[(size_t)row * U + u] = h[u];
        }
    }
    if (!seq)
        for (int32_t u = 0; u < U; u++) out[u] = h[u];
}

/* Keras (rows, G*units) -> runtime [G*units][rows] */
static void transpose(const float *src, int32_t rows, int32_t cols, float *dst)
{
    for (int32_t i = 0; i < rows; i++)
        for (int32_t j = 0; j < cols; j++) dst[(size_t)j * rows + i] = src[(size_t)i * cols + j];
}

static const char *cell_name(int32_t gates) { return gates == 1 ? "simple_rnn" : (gates == 3 ? "gru" : "lstm"); }

/* ------------------------------------------------------------ float32 kernel */

typedef struct rnn_case {
    ref_rnn r;
    float kernel[32 * 64], recurrent[16 * 64], bias[2 * 64];
    float w[64 * 32], u[64 * 16]; /* runtime layouts */
    float x[12 * 32];
} rnn_case;

static void make_case(rnn_case *c, int32_t gates, int32_t steps, int32_t in, int32_t units, int32_t flags,
                      int32_t act, int32_t rec, int has_bias)
{
    ref_rnn *r = &c->r;
    r->gates = gates;
    r->steps = steps;
    r->in = in;
    r->units = units;
    r->flags = flags;
    r->act = act;
    r->rec = rec;
    const int32_t cols = gates * units;
    /* weights ~ glorot-like scales so that the states move but do not explode */
    tu_fill_f32(c->kernel, (size_t)in * cols, -1.2f / sqrtf((float)in), 1.2f / sqrtf((float)in));
    tu_fill_f32(c->recurrent, (size_t)units * cols, -1.2f / sqrtf((float)units), 1.2f / sqrtf((float)units));
    const int two = gates == 3 && (flags & NNOM_RNN_RESET_AFTER);
    tu_fill_f32(c->bias, (size_t)cols * (two ? 2 : 1), -0.5f, 0.5f);
    r->kernel = c->kernel;
    r->recurrent = c->recurrent;
    r->bias = has_bias ? c->bias : NULL;
    transpose(c->kernel, in, cols, c->w);
    transpose(c->recurrent, units, cols, c->u);
    tu_fill_f32(c->x, (size_t)steps * in, -1.5f, 1.5f);
}

static double max_abs(const double *v, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(v[i]));
    return m;
}

static void test_kernel_f32(void)
{
    static rnn_case c;
    static float out[12 * 16], state[2 * 16], scratch[9 * 16];
    static double want[12 * 16], h[16], cs[16];
    double worst = 0.0;
    int n = 0;
    for (int t = 0; t < 600; t++) {
        const int32_t gates = t % 3 == 0 ? 1 : (t % 3 == 1 ? 3 : 4);
        const int32_t steps = tu_rand_int(1, 12), in = tu_rand_int(1, 32), units = tu_rand_int(1, 16);
        int32_t flags = 0;
        if (tu_rand_int(0, 1)) flags |= NNOM_RNN_RETURN_SEQUENCES;
        if (tu_rand_int(0, 2) == 0) flags |= NNOM_RNN_GO_BACKWARDS;
        if (tu_rand_int(0, 1)) flags |= NNOM_RNN_INPUT_ORDER;
        if (gates == 3 && tu_rand_int(0, 1)) flags |= NNOM_RNN_RESET_AFTER;
        /* mostly Keras' defaults; every activation now and then */
        int32_t act = tu_rand_int(0, 3) ? NNOM_RNN_ACT_TANH : tu_rand_int(0, NNOM_RNN_ACT_COUNT - 1);
        /* (a relu or linear gate lets the state grow without bound: every bounded one) */
        int32_t rec = tu_rand_int(0, 3) ? NNOM_RNN_ACT_SIGMOID : tu_rand_int(0, NNOM_RNN_ACT_HARD_SIGMOID_K2);
        make_case(&c, gates, steps, in, units, flags, act, rec, tu_rand_int(0, 4) != 0);
        /* a random starting state: as a stateful layer's second run sees */
        const int warm = tu_rand_int(0, 1);
        for (int32_t u = 0; u < units; u++) {
            h[u] = warm ? tu_rand_float(-0.9f, 0.9f) : 0.0;
            cs[u] = warm ? tu_rand_float(-2.0f, 2.0f) : 0.0;
            state[u] = (float)h[u];
            state[units + u] = (float)cs[u];
        }
        nnom_rnn_f32_args a;
        memset(&a, 0, sizeof a);
        a.cell = gates;
        a.steps = steps;
        a.in_features = in;
        a.units = units;
        a.flags = flags;
        a.act = act;
        a.rec_act = rec;
        a.kernel = c.w;
        a.recurrent = c.u;
        a.bias = c.r.bias;
        TU_REQUIRE(nnom_rnn_f32_scratch_bytes(gates, units) <= sizeof scratch, "scratch too small");
        nnom_rnn_f32(&a, c.x, out, state, scratch);
        ref_run(&c.r, c.x, want, h, cs);
        const size_t n_out = (flags & NNOM_RNN_RETURN_SEQUENCES) ? (size_t)steps * units : (size_t)units;
        /* float32 sums against double: relative to the size of the values (relu/linear may grow) */
        const double scale = 1.0 + max_abs(want, n_out);
        double err = 0.0;
        for (size_t i = 0; i < n_out; i++) err = fmax(err, fabs((double)out[i] - want[i]));
        for (int32_t u = 0; u < units; u++) {
            err = fmax(err, fabs((double)state[u] - h[u]));
            if (gates == 4) err = fmax(err, fabs((double)state[units + u] - cs[u]));
        }
        worst = fmax(worst, err / scale);
        TU_CHECK(err <= 5e-6 * scale, "%s steps=%d in=%d units=%d flags=0x%x act=%d rec=%d warm=%d: max error %g "
                 "(values up to %g)", cell_name(gates), steps, in, units, flags, act, rec, warm, err, scale - 1.0);
        n++;
    }
    printf("rnn f32 kernel: %d random cases, worst error %.2e relative to 1 + max|value|\n", n, worst);
}

/* ------------------------------------------------------------ through the public API */

/* Input (steps, in) -> recurrent layer -> Output, float32. Returns the compile status. */
static nnom_status build_f32(const rnn_case *c, const char *name, int32_t units_param, int32_t flags,
                             void (*tweak)(nnom_layer_desc *), nnom_model **out, int32_t *layer_id)
{
    nnom_model *m = tu_model_new(NNOM_DTYPE_F32, NULL);
    const ref_rnn *r = &c->r;
    nnom_shape shape = {2, {r->steps, r->in, 0}};
    nnom_quant none = {1.0f, 0};
    int32_t id;
    TU_OK(m, nnom_model_add_input(m, "seq", shape, none, &id));
    nnom_layer_desc d = tu_desc1(r->gates == 1 ? NNOM_LAYER_SIMPLE_RNN : (r->gates == 3 ? NNOM_LAYER_GRU : NNOM_LAYER_LSTM), name, id);
    d.params.units = units_param;
    d.params.cell_flags = flags;
    d.params.activations = NNOM_RNN_ACTIVATIONS(r->act, r->rec);
    const int32_t rows = r->gates * r->units;
    const int two = r->gates == 3 && (flags & NNOM_RNN_RESET_AFTER);
    d.blobs[0] = (nnom_blob){c->w, (uint32_t)(rows * r->in * 4)};
    d.blobs[1] = (nnom_blob){c->u, (uint32_t)(rows * r->units * 4)};
    if (r->bias) d.blobs[2] = (nnom_blob){c->bias, (uint32_t)(rows * (two ? 2 : 1) * 4)};
    if (tweak) tweak(&d);
    nnom_status st = nnom_model_add_layer(m, &d, &id);
    if (layer_id) *layer_id = id;
    if (st == NNOM_OK) {
        d = tu_desc1(NNOM_LAYER_OUTPUT, "y", id);
        st = nnom_model_add_layer(m, &d, NULL);
    }
    *out = m;
    return st == NNOM_OK ? nnom_model_compile(m) : st;
}

/* A stateful LSTM over three runs, the state API, and a non-stateful GRU that starts from zero each run. */
static void test_graph_state(void)
{
    static rnn_case c;
    static double want[6 * 5], h[5], cs[5];
    static float got[6 * 5], hv[5], cv[5];
    const int32_t flags = NNOM_RNN_STATEFUL | NNOM_RNN_RETURN_SEQUENCES;
    make_case(&c, 4, 6, 3, 5, flags, NNOM_RNN_ACT_TANH, NNOM_RNN_ACT_SIGMOID, 1);
    nnom_model *m;
    int32_t lid;
    TU_REQUIRE(build_f32(&c, "lstm", 5, flags, NULL, &m, &lid) == NNOM_OK, "compile: %s", nnom_model_last_error(m));
    nnom_layer_info info = NNOM_LAYER_INFO_INIT;
    TU_OK(m, nnom_model_layer_info(m, lid, &info));
    TU_CHECK(info.shape.rank == 2 && info.shape.dims[0] == 6 && info.shape.dims[1] == 5, "lstm output shape");
    TU_CHECK(info.macs == 6u * 4u * 5u * (3u + 5u), "lstm macs %lu", (unsigned long)info.macs);
    TU_CHECK(nnom_model_state_size(m) == 2 * 5 * 4, "state size %lu, expected 40",
             (unsigned long)nnom_model_state_size(m));
    int32_t len = 0;
    TU_CHECK(nnom_model_state_count(m, lid, &len) == 2 && len == 5, "lstm: 2 state vectors of 5");
    TU_CHECK(nnom_model_state_count(m, 0, &len) == 0 && len == 0, "the input has no state");
    len = 7;
    TU_CHECK(nnom_model_state_count(m, -1, &len) == -1 && len == 0, "layer -1 is not a layer id");
    TU_CHECK(nnom_model_state_count(m, 1000000, &len) == -1 && len == 0, "layer 10^6 is not a layer id");
    memset(h, 0, sizeof h);
    memset(cs, 0, sizeof cs);
    TU_OK(m, nnom_model_alloc_arena(m));
    for (int run = 0; run < 3; run++) {
        tu_fill_f32(c.x, 6 * 3, -1.5f, 1.5f);
        if (run == 2) {
            /* a fresh arena between runs: the state does not live there */
            static float arena2[4096];
            TU_REQUIRE(nnom_model_arena_size(m) <= sizeof arena2, "arena");
            memset(arena2, 0xA5, sizeof arena2);
            TU_OK(m, nnom_model_set_arena(m, arena2, sizeof arena2));
        }
        TU_OK(m, nnom_model_set_input_f32(m, 0, c.x, 18));
        TU_OK(m, nnom_model_run(m));
        TU_OK(m, nnom_model_get_output_f32(m, 0, got, 30));
        ref_run(&c.r, c.x, want, h, cs);
        double err = 0.0;
        for (int i = 0; i < 30; i++) err = fmax(err, fabs(got[i] - want[i]));
        TU_CHECK(err < 1e-5, "stateful lstm run %d: max error %g", run, err);
        TU_OK(m, nnom_model_state(m, lid, 0, hv, 5));
        TU_OK(m, nnom_model_state(m, lid, 1, cv, 5));
        err = 0.0;
        for (int u = 0; u < 5; u++) err = fmax(err, fmax(fabs(hv[u] - h[u]), fabs(cv[u] - cs[u])));
        TU_CHECK(err < 1e-5, "stateful lstm run %d: state differs by %g", run, err);
    }
    /* reset: the next run starts from zero again */
    TU_OK(m, nnom_model_reset_state(m));
    TU_OK(m, nnom_model_state(m, lid, 1, cv, 5));
    TU_CHECK(cv[0] == 0.0f && cv[4] == 0.0f, "reset_state left c = %g", cv[0]);
    memset(h, 0, sizeof h);
    memset(cs, 0, sizeof cs);
    TU_OK(m, nnom_model_run(m));
    TU_OK(m, nnom_model_get_output_f32(m, 0, got, 30));
    ref_run(&c.r, c.x, want, h, cs);
    TU_CHECK(fabs(got[29] - want[29]) < 1e-5, "after reset: %g vs %g", got[29], want[29]);
    /* set_state: a chosen starting point */
    for (int u = 0; u < 5; u++) {
        hv[u] = 0.1f * (float)u - 0.2f;
        cv[u] = 0.5f - 0.3f * (float)u;
        h[u] = hv[u];
        cs[u] = cv[u];
    }
    TU_OK(m, nnom_model_set_state(m, lid, 0, hv, 5));
    TU_OK(m, nnom_model_set_state(m, lid, 1, cv, 5));
    TU_OK(m, nnom_model_run(m));
    TU_OK(m, nnom_model_get_output_f32(m, 0, got, 30));
    ref_run(&c.r, c.x, want, h, cs);
    double err = 0.0;
    for (int i = 0; i < 30; i++) err = fmax(err, fabs(got[i] - want[i]));
    TU_CHECK(err < 1e-5, "after set_state: max error %g", err);

    /* errors of the state API name the layer */
    TU_CHECK(nnom_model_state(m, 0, 0, hv, 5) == NNOM_ERR_ARGUMENT && strstr(nnom_model_last_error(m), "seq") &&
                 strstr(nnom_model_last_error(m), "no state"),
             "state of the input: %s", nnom_model_last_error(m));
    TU_CHECK(nnom_model_state(m, lid, 2, hv, 5) == NNOM_ERR_ARGUMENT && strstr(nnom_model_last_error(m), "lstm"),
             "state vector 2: %s", nnom_model_last_error(m));
    TU_CHECK(nnom_model_state(m, lid, 0, hv, 4) == NNOM_ERR_SHAPE && strstr(nnom_model_last_error(m), "5 values"),
             "state count 4: %s", nnom_model_last_error(m));
    TU_CHECK(nnom_model_set_state(m, 99, 0, hv, 5) == NNOM_ERR_ARGUMENT, "layer 99");
    TU_CHECK(nnom_model_state(m, lid, 0, NULL, 5) == NNOM_ERR_ARGUMENT, "NULL data");
    nnom_model_destroy(m);

    /* a non-stateful GRU: every run starts from zero, whatever the previous one left */
    static rnn_case g;
    make_case(&g, 3, 5, 4, 3, NNOM_RNN_RESET_AFTER, NNOM_RNN_ACT_TANH, NNOM_RNN_ACT_SIGMOID, 1);
    TU_REQUIRE(build_f32(&g, "gru", 3, NNOM_RNN_RESET_AFTER, NULL, &m, &lid) == NNOM_OK, "compile: %s",
               nnom_model_last_error(m));
    /* 3 floats, rounded up to 8 bytes */
    TU_CHECK(nnom_model_state_size(m) == 16, "gru state size %lu", (unsigned long)nnom_model_state_size(m));
    TU_OK(m, nnom_model_alloc_arena(m));
    TU_OK(m, nnom_model_set_input_f32(m, 0, g.x, 20));
    float first[3], second[3];
    TU_OK(m, nnom_model_run(m));
    TU_OK(m, nnom_model_get_output_f32(m, 0, first, 3));
    TU_OK(m, nnom_model_run(m));
    TU_OK(m, nnom_model_get_output_f32(m, 0, second, 3));
    TU_CHECK(memcmp(first, second, sizeof first) == 0, "a non-stateful gru depends on its previous run");
    TU_OK(m, nnom_model_state(m, lid, 0, hv, 3));
    TU_CHECK(memcmp(hv, second, sizeof first) == 0, "the gru's state after a run is its last output");
    nnom_model_destroy(m);
}

/* Saved and loaded again: the parameters survive, the outputs are the same bytes. */
static void test_roundtrip(void)
{
    static rnn_case c;
    const int32_t flags = NNOM_RNN_RETURN_SEQUENCES | NNOM_RNN_GO_BACKWARDS | NNOM_RNN_INPUT_ORDER;
    make_case(&c, 3, 4, 3, 6, flags, NNOM_RNN_ACT_RELU, NNOM_RNN_ACT_HARD_SIGMOID_K2, 1);
    nnom_model *m, *l;
    int32_t lid;
    TU_REQUIRE(build_f32(&c, "g", 6, flags, NULL, &m, &lid) == NNOM_OK, "compile: %s", nnom_model_last_error(m));
    size_t size = 0;
    TU_OK(m, nnom_model_save(m, NULL, 0, &size));
    void *bytes = malloc(size);
    TU_REQUIRE(bytes != NULL, "out of memory");
    TU_OK(m, nnom_model_save(m, bytes, size, &size));
    nnom_error err;
    TU_REQUIRE(nnom_model_load(bytes, size, NULL, &l, &err) == NNOM_OK, "load: %s", err.message);
    nnom_layer_info a = NNOM_LAYER_INFO_INIT, b = NNOM_LAYER_INFO_INIT;
    TU_OK(m, nnom_model_layer_info(m, lid, &a));
    TU_OK(l, nnom_model_layer_info(l, lid, &b));
    TU_CHECK(b.type == NNOM_LAYER_GRU && b.params.cell_flags == flags &&
                 b.params.activations == NNOM_RNN_ACTIVATIONS(NNOM_RNN_ACT_RELU, NNOM_RNN_ACT_HARD_SIGMOID_K2) &&
                 memcmp(&a.params, &b.params, sizeof a.params) == 0,
             "loaded params differ: flags 0x%x activations 0x%x", (unsigned)b.params.cell_flags,
             (unsigned)b.params.activations);
    TU_CHECK(strcmp(b.type_name, "gru") == 0, "type name %s", b.type_name);
    float y1[24], y2[24];
    TU_OK(m, nnom_model_alloc_arena(m));
    TU_OK(l, nnom_model_alloc_arena(l));
    TU_OK(m, nnom_model_set_input_f32(m, 0, c.x, 12));
    TU_OK(l, nnom_model_set_input_f32(l, 0, c.x, 12));
    TU_OK(m, nnom_model_run(m));
    TU_OK(l, nnom_model_run(l));
    TU_OK(m, nnom_model_get_output_f32(m, 0, y1, 24));
    TU_OK(l, nnom_model_get_output_f32(l, 0, y2, 24));
    TU_CHECK(memcmp(y1, y2, sizeof y1) == 0, "the loaded gru computes other values");
    nnom_model_destroy(l);
    nnom_model_destroy(m);
    free(bytes);
}

/* Compile errors: the status and a message naming the layer, its type and the subject. */
static void tweak_units(nnom_layer_desc *d) { d->params.units = 0; }
static void tweak_flags(nnom_layer_desc *d) { d->params.cell_flags |= 1 << 9; }
static void tweak_act(nnom_layer_desc *d) { d->params.activations = NNOM_RNN_ACTIVATIONS(9, 1); }
static void tweak_rec(nnom_layer_desc *d) { d->params.activations = NNOM_RNN_ACTIVATIONS(0, 6); }
static void tweak_fused(nnom_layer_desc *d) { d->params.activation = NNOM_ACT_RELU; }
static void tweak_kernel(nnom_layer_desc *d) { d->blobs[0].size -= 4; }
static void tweak_recurrent(nnom_layer_desc *d) { d->blobs[1].size += 4; }
static void tweak_bias(nnom_layer_desc *d) { d->blobs[2].size = 8; }
static void tweak_blob4(nnom_layer_desc *d) { d->blobs[4] = d->blobs[2]; }
static void tweak_reset_after(nnom_layer_desc *d) { d->params.cell_flags |= NNOM_RNN_RESET_AFTER; }

static void test_errors(void)
{
    static rnn_case c;
    make_case(&c, 4, 3, 2, 4, 0, NNOM_RNN_ACT_TANH, NNOM_RNN_ACT_SIGMOID, 1);
    static const struct {
        void (*tweak)(nnom_layer_desc *);
        nnom_status want;
        const char *what;
    } cases[] = {
        {tweak_units, NNOM_ERR_SHAPE, "units"},
        {tweak_flags, NNOM_ERR_UNSUPPORTED, "cell_flags"},
        {tweak_act, NNOM_ERR_UNSUPPORTED, "activation 9"},
        {tweak_rec, NNOM_ERR_UNSUPPORTED, "recurrent activation 6"},
        {tweak_fused, NNOM_ERR_UNSUPPORTED, "fused"},
        {tweak_kernel, NNOM_ERR_SHAPE, "kernel [16][2]"},
        {tweak_recurrent, NNOM_ERR_SHAPE, "recurrent kernel [16][4]"},
        {tweak_bias, NNOM_ERR_SHAPE, "bias [16]"},
        {tweak_blob4, NNOM_ERR_SHAPE, "blob 4"},
        {tweak_reset_after, NNOM_ERR_UNSUPPORTED, "cell_flags"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nnom_model *m;
        nnom_status st = build_f32(&c, "cell7", 4, 0, cases[i].tweak, &m, NULL);
        const char *msg = nnom_model_last_error(m);
        TU_CHECK(st == cases[i].want, "error case '%s': got %s (%s)", cases[i].what, nnom_status_name(st), msg);
        TU_CHECK(strstr(msg, "cell7") && strstr(msg, "lstm") && strstr(msg, cases[i].what),
                 "error case '%s': the message lacks the layer name, type or subject: %s", cases[i].what, msg);
        nnom_model_destroy(m);
    }

    /* an input that is not a sequence */
    nnom_model *m = tu_model_new(NNOM_DTYPE_F32, NULL);
    nnom_shape img = {3, {2, 3, 2}};
    int32_t id;
    TU_OK(m, nnom_model_add_input(m, "image", img, (nnom_quant){1.0f, 0}, &id));
    nnom_layer_desc d = tu_desc1(NNOM_LAYER_SIMPLE_RNN, "rnn", id);
    d.params.units = 4;
    TU_OK(m, nnom_model_add_layer(m, &d, &id));
    nnom_status st = nnom_model_compile(m);
    TU_CHECK(st == NNOM_ERR_SHAPE && strstr(nnom_model_last_error(m), "rank 2 (steps, features)") &&
                 strstr(nnom_model_last_error(m), "(2, 3, 2)"),
             "rank 3 input: %s: %s", nnom_status_name(st), nnom_model_last_error(m));
    nnom_model_destroy(m);
    TU_CHECK(strcmp(nnom_layer_type_name(NNOM_LAYER_SIMPLE_RNN), "simple_rnn") == 0 &&
                 strcmp(nnom_layer_type_name(NNOM_LAYER_LSTM), "lstm") == 0,
             "type names");
}


/* ------------------------------------------------------------ int8: activation tables */

/* floor(a / 2^n) for any sign: the arithmetic shift the kernels use, written without one */
static int64_t floor_shift(int64_t a, int n)
{
    const int64_t d = (int64_t)1 << n;
    int64_t q = a / d;
    if (a % d != 0 && a < 0) q--;
    return q;
}

static int32_t ref_lut(const int16_t *t, int32_t v)
{
    const int32_t k = (v + 32768) / 128, f = (v + 32768) % 128;
    return t[k] + (int32_t)floor_shift((int64_t)(t[k + 1] - t[k]) * f + 64, 7);
}

static const char *act_name(int32_t a)
{
    static const char *const n[] = {"tanh", "sigmoid", "hard_sigmoid", "hard_sigmoid_k2", "relu", "linear"};
    return a >= 0 && a < NNOM_RNN_ACT_COUNT ? n[a] : "?";
}

/* Every table entry is the rounded function; every int16 input is within the documented error. */
static void test_tables(void)
{
    static int16_t t[513];
    const struct {
        int32_t act;
        float in_scale, out_scale;
        double max_steps; /* documented: interpolation + rounding */
    } cases[] = {
        {NNOM_RNN_ACT_TANH, 1.0f / 4096.0f, 1.0f / 32768.0f, 4.0},
        {NNOM_RNN_ACT_SIGMOID, 1.0f / 4096.0f, 1.0f / 32768.0f, 2.0},
        {NNOM_RNN_ACT_TANH, 3.0f / 32767.0f, 1.0f / 32768.0f, 1.5},
        {NNOM_RNN_ACT_HARD_SIGMOID, 8.0f / 32767.0f, 1.0f / 32768.0f, -1.0},
        {NNOM_RNN_ACT_HARD_SIGMOID_K2, 8.0f / 32767.0f, 1.0f / 32768.0f, -1.0},
        {NNOM_RNN_ACT_RELU, 8.0f / 32767.0f, 16.0f / 32767.0f, 1.0},
        {NNOM_RNN_ACT_LINEAR, 10.0f / 32767.0f, 20.0f / 32767.0f, 1.0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TU_REQUIRE(nnom_quant_rnn_table((nnom_rnn_act)cases[i].act, cases[i].in_scale, cases[i].out_scale, t) ==
                       NNOM_OK, "table");
        for (int k = 0; k <= 512; k++) {
            const double y = ref_act(cases[i].act, (double)cases[i].in_scale * (128.0 * k - 32768.0));
            const int64_t want = tu_clamp(tu_round_away(y / cases[i].out_scale), -32768, 32767);
            TU_CHECK(t[k] == want, "%s table[%d] = %d, want %lld", act_name(cases[i].act), k, t[k], (long long)want);
        }
        double worst = 0.0, worst_far = 0.0;
        for (int32_t v = -32768; v <= 32767; v++) {
            const int32_t got = nnom_rnn_lut(t, v);
            TU_CHECK(got == ref_lut(t, v), "%s lut(%d) = %d, reference %d", act_name(cases[i].act), v, got,
                     ref_lut(t, v));
            const double x = (double)cases[i].in_scale * v;
            const double want = ref_act(cases[i].act, x) / cases[i].out_scale;
            const double e = fabs(got - fmin(fmax(want, -32768.0), 32767.0));
            worst = fmax(worst, e);
            /* the hard sigmoids: away from their corners (one table segment around them) */
            const double corner = cases[i].act == NNOM_RNN_ACT_HARD_SIGMOID ? 3.0 : 2.5;
            if (fabs(fabs(x) - corner) > 128.0 * cases[i].in_scale) worst_far = fmax(worst_far, e);
        }
        if (cases[i].max_steps > 0.0)
            TU_CHECK(worst <= cases[i].max_steps, "%s: lookup error %.2f steps > %.1f", act_name(cases[i].act), worst,
                     cases[i].max_steps);
        else
            TU_CHECK(worst_far <= 1.0, "%s: lookup error %.2f steps away from the corners", act_name(cases[i].act),
                     worst_far);
        printf("rnn table %-16s in %.3g out %.3g: worst error %.2f output steps (%.2f away from corners)\n",
               act_name(cases[i].act), (double)cases[i].in_scale, (double)cases[i].out_scale, worst, worst_far);
    }
    TU_CHECK(nnom_quant_rnn_table((nnom_rnn_act)9, 1.0f, 1.0f, t) == NNOM_ERR_ARGUMENT, "unknown activation");
    TU_CHECK(nnom_quant_rnn_table(NNOM_RNN_ACT_TANH, 0.0f, 1.0f, t) == NNOM_ERR_ARGUMENT, "zero scale");
    TU_CHECK(nnom_quant_rnn_table(NNOM_RNN_ACT_TANH, 1.0f, 1.0f, NULL) == NNOM_ERR_ARGUMENT, "NULL table");
}

/* ------------------------------------------------------------ int8 kernel */

/* An int8 layer made from a float case, with scales chosen here from the double reference's ranges. */
typedef struct s8_case {
    rnn_case f;
    int8_t w[64 * 32], u[64 * 16], xq[12 * 32];
    int32_t bias[2 * 64], rq[4 * 64], k[NNOM_RNN_CONSTS];
    int16_t tables[3 * 513];
    float xd[12 * 32]; /* the int8 input dequantised */
    nnom_quant in_q, out_q;
    double s_h, s_c;
    nnom_rnn_s8_args a;
} s8_case;

static int32_t bits_of(float f)
{
    int32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

static void rows_s8(const float *w, int32_t rows, int32_t cols, int8_t *q, double *scale)
{
    for (int32_t r = 0; r < rows; r++) {
        double m = 0.0;
        for (int32_t i = 0; i < cols; i++) m = fmax(m, fabs(w[(size_t)r * cols + i]));
        scale[r] = m > 0.0 ? m / 127.0 : 1.0;
        for (int32_t i = 0; i < cols; i++)
            q[(size_t)r * cols + i] = (int8_t)tu_clamp(tu_round_away(w[(size_t)r * cols + i] / scale[r]), -127, 127);
    }
}

static int bounded_act(int32_t a) { return a != NNOM_RNN_ACT_RELU && a != NNOM_RNN_ACT_LINEAR; }

/* Quantises case @p c (its float weights and input) with warm state @p h0, @p c0 (doubles). */
static void make_s8(s8_case *c, const double *h0, const double *c0)
{
    const ref_rnn *r = &c->f.r;
    const int32_t rows = r->gates * r->units, U = r->units;
    /* input: symmetric-ish, a random zero point */
    c->in_q.scale = 3.0f / 255.0f;
    c->in_q.zero_point = tu_rand_int(-5, 5);
    for (int32_t i = 0; i < r->steps * r->in; i++) {
        c->xq[i] = (int8_t)tu_clamp(tu_round_away(c->f.x[i] / c->in_q.scale) + c->in_q.zero_point, -128, 127);
        c->xd[i] = c->in_q.scale * (float)(c->xq[i] - c->in_q.zero_point);
    }
    /* ranges of the double reference on the dequantised input */
    static double out[12 * 16], hh[16], cc[16], mx[NNOM_RNN_INTERNALS];
    memset(mx, 0, sizeof mx);
    for (int32_t u = 0; u < U; u++) {
        hh[u] = h0[u];
        cc[u] = c0[u];
        mx[1] = fmax(mx[1], fabs(h0[u]));
        mx[2] = fmax(mx[2], fabs(c0[u]));
    }
    ref_max = mx;
    ref_run(r, c->xd, out, hh, cc);
    ref_max = NULL;
    const size_t n_out = (r->flags & NNOM_RNN_RETURN_SEQUENCES) ? (size_t)r->steps * U : (size_t)U;
    double lo = 0.0, hi = 0.0;
    for (size_t i = 0; i < n_out; i++) {
        lo = fmin(lo, out[i]);
        hi = fmax(hi, out[i]);
    }
    if (hi - lo < 1e-3) hi = lo + 1e-3;
    c->out_q.scale = (float)((hi - lo) / 255.0);
    c->out_q.zero_point = (int32_t)tu_clamp(tu_round_away(-128.0 - lo / c->out_q.scale), -128, 127);
    const double q15 = 1.0 / 32768.0;
    const int h_bounded = bounded_act(r->act) && !(r->gates == 3 && r->rec == NNOM_RNN_ACT_TANH);
    c->s_h = h_bounded ? q15 : fmax(2.0 * mx[1], 1e-3) / 32767.0;
    c->s_c = fmax(2.0 * mx[2], 1e-3) / 32767.0;
    const double s_g = bounded_act(r->act) ? q15 : fmax(2.0 * mx[3], 1e-3) / 32767.0;
    const double s_a = bounded_act(r->act) ? q15 : fmax(2.0 * mx[4], 1e-3) / 32767.0;
    const double s_p = fmax(2.0 * mx[0], 8.0) / 32767.0;
    double sw[64], su[64];
    rows_s8(c->f.w, rows, r->in, c->w, sw);
    rows_s8(c->f.u, rows, U, c->u, su);
    const int two = r->gates == 3 && (r->flags & NNOM_RNN_RESET_AFTER);
    for (int32_t k = 0; k < rows; k++) {
        const double sx = c->in_q.scale * sw[k], sr = c->s_h * su[k];
        if (r->bias) {
            c->bias[k] = (int32_t)tu_round_away(r->bias[k] / sx);
            if (two) c->bias[rows + k] = (int32_t)tu_round_away(r->bias[rows + k] / sr);
        }
        tu_ref_multiplier(sx / s_p, &c->rq[k], &c->rq[rows + k]);
        tu_ref_multiplier(sr / s_p, &c->rq[2 * rows + k], &c->rq[3 * rows + k]);
    }
    TU_REQUIRE(nnom_quant_rnn_table((nnom_rnn_act)r->act, (float)s_p, (float)(r->gates == 1 ? c->s_h : s_g),
                                    c->tables) == NNOM_OK, "table 0");
    TU_REQUIRE(nnom_quant_rnn_table((nnom_rnn_act)r->rec, (float)s_p, (float)q15, c->tables + 513) == NNOM_OK,
               "table 1");
    TU_REQUIRE(nnom_quant_rnn_table((nnom_rnn_act)r->act, (float)c->s_c, (float)s_a, c->tables + 1026) == NNOM_OK,
               "table 2");
    memset(c->k, 0, sizeof c->k);
    c->k[NNOM_RNN_H_SCALE] = bits_of((float)c->s_h);
    c->k[NNOM_RNN_C_SCALE] = bits_of((float)c->s_c);
    tu_ref_multiplier(c->s_h / c->out_q.scale, &c->k[NNOM_RNN_OUT_MULT], &c->k[NNOM_RNN_OUT_SHIFT]);
    if (r->gates == 3) tu_ref_multiplier(s_g * q15 / c->s_h, &c->k[NNOM_RNN_MIX_MULT], &c->k[NNOM_RNN_MIX_SHIFT]);
    if (r->gates == 4) {
        tu_ref_multiplier(s_g * q15 / c->s_c, &c->k[NNOM_RNN_MIX_MULT], &c->k[NNOM_RNN_MIX_SHIFT]);
        tu_ref_multiplier(s_a * q15 / c->s_h, &c->k[NNOM_RNN_HID_MULT], &c->k[NNOM_RNN_HID_SHIFT]);
    }
    nnom_rnn_s8_args *a = &c->a;
    memset(a, 0, sizeof *a);
    a->cell = r->gates;
    a->steps = r->steps;
    a->in_features = r->in;
    a->units = U;
    a->flags = r->flags;
    a->kernel = c->w;
    a->recurrent = c->u;
    a->bias = r->bias ? c->bias : NULL;
    a->requant = c->rq;
    a->tables = c->tables;
    a->consts = c->k;
    a->in_zero_point = c->in_q.zero_point;
    a->out_zero_point = c->out_q.zero_point;
}

static int32_t rq_ref(int64_t acc, int32_t mult, int32_t shift)
{
    return tu_ref_requantize(tu_clamp(acc, INT32_MIN, INT32_MAX), mult, shift);
}

static int32_t q15_ref(int64_t a, int64_t b) { return (int32_t)floor_shift(a * b + 16384, 15); }

static int32_t s16(int64_t v) { return tu_clamp(v, -32768, 32767); }

/* The int8 kernel's documented integer maths (kernels/rnn.h), written here from the equations. */
static void ref_s8_run(const nnom_rnn_s8_args *a, const int8_t *x, int8_t *out, int16_t *state)
{
    const int32_t U = a->units, G = a->cell, rows = G * U, n = a->in_features;
    const int32_t *mx = a->requant, *sx = mx + rows, *mh = mx + 2 * rows, *sh = mx + 3 * rows, *k = a->consts;
    const int after = (a->flags & NNOM_RNN_RESET_AFTER) != 0;
    const int32_t *rb = a->bias && G == 3 && after ? a->bias + rows : NULL;
    static int32_t h[1024], c[1024], xpart[1024], hpart[1024], pre[1024];
    TU_REQUIRE(rows <= 1024, "the reference takes at most 1024 rows");
    for (int32_t u = 0; u < U; u++) {
        h[u] = state[u];
        c[u] = G == 4 ? state[U + u] : 0;
    }
    for (int32_t step = 0; step < a->steps; step++) {
        const int32_t t = (a->flags & NNOM_RNN_GO_BACKWARDS) ? a->steps - 1 - step : step;
        for (int32_t r = 0; r < rows; r++) {
            int64_t ax = a->bias ? a->bias[r] : 0, ah = rb ? rb[r] : 0;
            for (int32_t i = 0; i < n; i++)
                ax += (int64_t)a->kernel[(size_t)r * n + i] * (x[(size_t)t * n + i] - a->in_zero_point);
            for (int32_t j = 0; j < U; j++) ah += (int64_t)a->recurrent[(size_t)r * U + j] * h[j];
            xpart[r] = rq_ref(ax, mx[r], sx[r]);
            hpart[r] = rq_ref(ah, mh[r], sh[r]);
            pre[r] = s16((int64_t)xpart[r] + hpart[r]);
        }
        static int32_t nh[1024];
        if (G == 1) {
            for (int32_t u = 0; u < U; u++) nh[u] = ref_lut(a->tables, pre[u]);
        } else if (G == 4) {
            for (int32_t u = 0; u < U; u++) {
                const int32_t i = ref_lut(a->tables + 513, pre[u]), f = ref_lut(a->tables + 513, pre[U + u]);
                const int32_t g = ref_lut(a->tables, pre[2 * U + u]), o = ref_lut(a->tables + 513, pre[3 * U + u]);
                c[u] = s16((int64_t)q15_ref(f, c[u]) +
                           rq_ref((int64_t)i * g, k[NNOM_RNN_MIX_MULT], k[NNOM_RNN_MIX_SHIFT]));
                nh[u] = s16(rq_ref((int64_t)o * ref_lut(a->tables + 1026, c[u]), k[NNOM_RNN_HID_MULT],
                                   k[NNOM_RNN_HID_SHIFT]));
            }
        } else {
            static int32_t z[1024], rr[1024], rh[1024];
            for (int32_t u = 0; u < U; u++) {
                z[u] = ref_lut(a->tables + 513, pre[u]);
                rr[u] = ref_lut(a->tables + 513, pre[U + u]);
                rh[u] = q15_ref(rr[u], h[u]);
            }
            for (int32_t u = 0; u < U; u++) {
                const int32_t r = 2 * U + u;
                int32_t cand;
                if (after) {
                    cand = s16((int64_t)s16(xpart[r]) + q15_ref(rr[u], s16(hpart[r])));
                } else {
                    int64_t ah = 0;
                    for (int32_t j = 0; j < U; j++) ah += (int64_t)a->recurrent[r * U + j] * rh[j];
                    cand = s16((int64_t)s16(xpart[r]) + rq_ref(ah, mh[r], sh[r]));
                }
                const int32_t hh = ref_lut(a->tables, cand);
                nh[u] = s16((int64_t)q15_ref(z[u], h[u]) +
                            rq_ref((int64_t)(32768 - z[u]) * hh, k[NNOM_RNN_MIX_MULT], k[NNOM_RNN_MIX_SHIFT]));
            }
        }
        for (int32_t u = 0; u < U; u++) h[u] = nh[u];
        const int seq = (a->flags & NNOM_RNN_RETURN_SEQUENCES) != 0;
        if (seq || step == a->steps - 1) {
            const int32_t row = seq ? ((a->flags & NNOM_RNN_INPUT_ORDER) ? t : step) : 0;
            for (int32_t u = 0; u < U; u++)
                out[row * U + u] = (int8_t)tu_clamp(
                    (int64_t)rq_ref(h[u], k[NNOM_RNN_OUT_MULT], k[NNOM_RNN_OUT_SHIFT]) + a->out_zero_point, -128, 127);
        }
    }
    for (int32_t u = 0; u < U; u++) {
        state[u] = (int16_t)h[u];
        if (G == 4) state[U + u] = (int16_t)c[u];
    }
}

static void test_kernel_s8(void)
{
    static s8_case c;
    static int8_t got[12 * 16 + 1], want[12 * 16];
    static int16_t state[2 * 16], ref_state[2 * 16], scratch[5 * 16];
    static double h0[16], c0[16], dref[12 * 16];
    double sig = 0.0, noise = 0.0, worst_db = 200.0;
    long unsat = 0, total = 0;
    int n = 0;
    for (int t = 0; t < 500; t++) {
        const int32_t gates = t % 3 == 0 ? 1 : (t % 3 == 1 ? 3 : 4);
        const int32_t steps = tu_rand_int(1, 12), in = tu_rand_int(1, 32), units = tu_rand_int(1, 16);
        int32_t flags = 0;
        if (tu_rand_int(0, 1)) flags |= NNOM_RNN_RETURN_SEQUENCES;
        if (tu_rand_int(0, 2) == 0) flags |= NNOM_RNN_GO_BACKWARDS;
        if (tu_rand_int(0, 1)) flags |= NNOM_RNN_INPUT_ORDER;
        if (gates == 3 && tu_rand_int(0, 1)) flags |= NNOM_RNN_RESET_AFTER;
        const int32_t act = tu_rand_int(0, 3) ? NNOM_RNN_ACT_TANH : tu_rand_int(0, NNOM_RNN_ACT_COUNT - 1);
        const int32_t rec = tu_rand_int(0, 3) ? NNOM_RNN_ACT_SIGMOID : tu_rand_int(0, NNOM_RNN_ACT_HARD_SIGMOID_K2);
        make_case(&c.f, gates, steps, in, units, flags, act, rec, tu_rand_int(0, 4) != 0);
        const int warm = tu_rand_int(0, 1);
        for (int32_t u = 0; u < units; u++) {
            h0[u] = warm ? tu_rand_float(-0.9f, 0.9f) : 0.0;
            c0[u] = warm ? tu_rand_float(-2.0f, 2.0f) : 0.0;
        }
        make_s8(&c, h0, c0);
        for (int32_t u = 0; u < units; u++) {
            state[u] = ref_state[u] = (int16_t)tu_clamp(tu_round_away(h0[u] / c.s_h), -32768, 32767);
            state[units + u] = ref_state[units + u] = (int16_t)tu_clamp(tu_round_away(c0[u] / c.s_c), -32768, 32767);
            h0[u] = state[u] * c.s_h; /* the reference starts from the int16 state's value */
            c0[u] = gates == 4 ? state[units + u] * c.s_c : 0.0;
        }
        TU_REQUIRE(nnom_rnn_s8_scratch_bytes(gates, units) <= sizeof scratch, "scratch");
        const size_t n_out = (flags & NNOM_RNN_RETURN_SEQUENCES) ? (size_t)steps * units : (size_t)units;
        got[n_out] = 0x5a;
        nnom_rnn_s8(&c.a, c.xq, got, state, scratch);
        ref_s8_run(&c.a, c.xq, want, ref_state);
        int bad = 0;
        for (size_t i = 0; i < n_out; i++) bad += got[i] != want[i];
        for (int32_t i = 0; i < units * (gates == 4 ? 2 : 1); i++) bad += state[i] != ref_state[i];
        TU_CHECK(bad == 0, "%s s8 steps=%d in=%d units=%d flags=0x%x act=%s rec=%s: %d values differ from the "
                 "reference", cell_name(gates), steps, in, units, flags, act_name(act), act_name(rec), bad);
        TU_CHECK(got[n_out] == 0x5a, "s8 kernel wrote past its output");
        /* against the double reference on the float weights (the same dequantised input) */
        ref_run(&c.f.r, c.xd, dref, h0, c0);
        double cs = 0.0, cn = 0.0;
        for (size_t i = 0; i < n_out; i++) {
            const double e = dref[i] - c.out_q.scale * (got[i] - c.out_q.zero_point);
            cs += dref[i] * dref[i];
            cn += e * e;
            unsat += got[i] > -128 && got[i] < 127;
            total++;
        }
        sig += cs;
        noise += cn;
        if (cs > 1e-6) worst_db = fmin(worst_db, 10.0 * log10(cs / fmax(cn, 1e-30)));
        n++;
    }
    const double db = 10.0 * log10(sig / noise);
    printf("rnn s8 kernel: %d random cases bit-exact with the reference; against double on float weights: SQNR "
           "%.1f dB over all, worst case %.1f dB; %ld of %ld outputs unsaturated\n", n, db, worst_db, unsat, total);
    TU_CHECK(db >= 35.0, "int8 recurrent kernels: SQNR %.1f dB against double", db);
    TU_CHECK(unsat * 10 > total * 9, "too many saturated outputs: %ld of %ld unsaturated", unsat, total);
}

/* Sums longer than one int32 chunk (65536 inputs, 256 units) at their extremes: exact, as the reference. */
static void test_kernel_s8_long(void)
{
    static const struct {
        int32_t in, units;
    } shapes[] = {{70000, 1}, {1, 600}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int32_t in = shapes[s].in, units = shapes[s].units;
        int8_t *w = malloc((size_t)in * units), *u = malloc((size_t)units * units), *x = malloc((size_t)in);
        int32_t *rq = malloc(sizeof(int32_t) * 4 * (size_t)units);
        int16_t *state = malloc(sizeof(int16_t) * (size_t)units), *ref_state = malloc(sizeof(int16_t) * (size_t)units);
        int16_t *scratch = malloc(nnom_rnn_s8_scratch_bytes(1, units));
        int8_t *got = malloc((size_t)units), *want = malloc((size_t)units);
        static int16_t table[513];
        static int32_t k[NNOM_RNN_CONSTS];
        TU_REQUIRE(w && u && x && rq && state && ref_state && scratch && got && want, "out of memory");
        memset(w, -128, (size_t)in * units);
        memset(u, -128, (size_t)units * units);
        memset(x, 127, (size_t)in);
        for (int32_t i = 0; i < units; i++) state[i] = ref_state[i] = -32768;
        /* sums of +-2^31 and more land, rescaled by 2^-16, inside int16 */
        for (int32_t r = 0; r < units; r++) {
            rq[r] = rq[2 * units + r] = 1 << 30;
            rq[units + r] = rq[3 * units + r] = -16;
        }
        TU_REQUIRE(nnom_quant_rnn_table(NNOM_RNN_ACT_LINEAR, 1.0f, 1.0f, table) == NNOM_OK, "table");
        memset(k, 0, sizeof k);
        k[NNOM_RNN_OUT_MULT] = 1 << 30;
        k[NNOM_RNN_OUT_SHIFT] = -8;
        nnom_rnn_s8_args a;
        memset(&a, 0, sizeof a);
        a.cell = NNOM_RNN_CELL_SIMPLE;
        a.steps = 1;
        a.in_features = in;
        a.units = units;
        a.kernel = w;
        a.recurrent = u;
        a.requant = rq;
        a.tables = table;
        a.consts = k;
        a.in_zero_point = -128;
        nnom_rnn_s8(&a, x, got, state, scratch);
        ref_s8_run(&a, x, want, ref_state);
        TU_CHECK(memcmp(got, want, (size_t)units) == 0 && memcmp(state, ref_state, sizeof(int16_t) * units) == 0,
                 "long sums (in %d, units %d): output %d / state %d, reference %d / %d", in, units, got[0], state[0],
                 want[0], ref_state[0]);
        free(w); free(u); free(x); free(rq); free(state); free(ref_state); free(scratch); free(got); free(want);
    }
}

/* ------------------------------------------------------------ int8 through the public API */

static nnom_layer_type type_of(int32_t gates)
{
    return gates == 1 ? NNOM_LAYER_SIMPLE_RNN : (gates == 3 ? NNOM_LAYER_GRU : NNOM_LAYER_LSTM);
}

/* Input -> int8 recurrent layer (from @p c) -> Output. Returns the compile status. */
static nnom_status build_s8(s8_case *c, void (*tweak)(nnom_layer_desc *), nnom_model **out, int32_t *layer_id)
{
    const ref_rnn *r = &c->f.r;
    nnom_model *m = tu_model_new(NNOM_DTYPE_S8, NULL);
    nnom_shape shape = {2, {r->steps, r->in, 0}};
    int32_t id;
    TU_OK(m, nnom_model_add_input(m, "seq", shape, c->in_q, &id));
    nnom_layer_desc d = tu_desc1(type_of(r->gates), "cell", id);
    d.params.units = r->units;
    d.params.cell_flags = r->flags;
    d.params.activations = NNOM_RNN_ACTIVATIONS(r->act, r->rec);
    const uint32_t rows = (uint32_t)(r->gates * r->units);
    const int two = r->gates == 3 && (r->flags & NNOM_RNN_RESET_AFTER);
    d.blobs[0] = (nnom_blob){c->w, rows * (uint32_t)r->in};
    d.blobs[1] = (nnom_blob){c->u, rows * (uint32_t)r->units};
    if (r->bias) d.blobs[2] = (nnom_blob){c->bias, rows * (two ? 8u : 4u)};
    d.blobs[3] = (nnom_blob){c->rq, rows * 16u};
    d.blobs[4] = (nnom_blob){c->tables, (uint32_t)(r->gates == 1 ? 1 : (r->gates == 3 ? 2 : 3)) * 1026u};
    d.blobs[5] = (nnom_blob){c->k, sizeof c->k};
    d.quant = c->out_q;
    if (tweak) tweak(&d);
    nnom_status st = nnom_model_add_layer(m, &d, &id);
    if (layer_id) *layer_id = id;
    if (st == NNOM_OK) {
        d = tu_desc1(NNOM_LAYER_OUTPUT, "y", id);
        st = nnom_model_add_layer(m, &d, NULL);
    }
    *out = m;
    return st == NNOM_OK ? nnom_model_compile(m) : st;
}

/* A stateful int8 LSTM and GRU over runs: the reference, the int16 state through the API, the .nnom file. */
static void test_graph_s8(void)
{
    static s8_case c;
    static double zero[16];
    static int8_t got[8 * 6], want[8 * 6];
    static int16_t ref_state[2 * 6];
    for (int variant = 0; variant < 2; variant++) {
        const int32_t gates = variant == 0 ? 4 : 3;
        const int32_t flags = NNOM_RNN_STATEFUL | (variant == 0 ? NNOM_RNN_RETURN_SEQUENCES : NNOM_RNN_RESET_AFTER);
        make_case(&c.f, gates, 8, 3, 6, flags, NNOM_RNN_ACT_TANH, NNOM_RNN_ACT_SIGMOID, 1);
        make_s8(&c, zero, zero);
        nnom_model *m;
        int32_t lid;
        TU_REQUIRE(build_s8(&c, NULL, &m, &lid) == NNOM_OK, "compile: %s", nnom_model_last_error(m));
        const size_t n_out = variant == 0 ? 48 : 6;
        TU_CHECK(nnom_model_state_size(m) == (size_t)(gates == 4 ? 24 : 16), "int8 state size %lu",
                 (unsigned long)nnom_model_state_size(m));
        TU_OK(m, nnom_model_alloc_arena(m));
        memset(ref_state, 0, sizeof ref_state);
        for (int run = 0; run < 3; run++) {
            for (int i = 0; i < 24; i++) c.xq[i] = (int8_t)tu_rand_int(-128, 127);
            TU_OK(m, nnom_model_set_input_s8(m, 0, c.xq, 24));
            TU_OK(m, nnom_model_run(m));
            TU_OK(m, nnom_model_get_output_s8(m, 0, got, n_out));
            ref_s8_run(&c.a, c.xq, want, ref_state);
            TU_CHECK(memcmp(got, want, n_out) == 0, "stateful int8 %s run %d differs from the reference",
                     cell_name(gates), run);
        }
        /* the state, dequantised */
        float hv[6], cv[6];
        TU_OK(m, nnom_model_state(m, lid, 0, hv, 6));
        for (int u = 0; u < 6; u++)
            TU_CHECK(hv[u] == (float)(ref_state[u] * c.s_h), "int8 h[%d] %g, int16 %d x %g", u, hv[u], ref_state[u],
                     c.s_h);
        if (gates == 4) {
            TU_OK(m, nnom_model_state(m, lid, 1, cv, 6));
            TU_CHECK(fabs(cv[2] - ref_state[8] * c.s_c) < 1e-6, "int8 c[2] %g", cv[2]);
        }
        /* set_state quantises (and saturates) */
        for (int u = 0; u < 6; u++) hv[u] = 0.25f * (float)u - 0.5f;
        hv[5] = 100.0f;
        TU_OK(m, nnom_model_set_state(m, lid, 0, hv, 6));
        TU_OK(m, nnom_model_state(m, lid, 0, cv, 6));
        for (int u = 0; u < 5; u++)
            TU_CHECK(fabs(cv[u] - hv[u]) <= c.s_h, "set_state h[%d]: %g read back %g", u, hv[u], cv[u]);
        TU_CHECK(fabs(cv[5] - 32767 * c.s_h) < 1e-6, "set_state saturates: %g", cv[5]);
        TU_OK(m, nnom_model_reset_state(m));
        TU_OK(m, nnom_model_state(m, lid, 0, cv, 6));
        TU_CHECK(cv[0] == 0.0f && cv[5] == 0.0f, "reset_state");
        /* the .nnom file runs the same bytes */
        size_t size = 0;
        TU_OK(m, nnom_model_save(m, NULL, 0, &size));
        void *bytes = malloc(size);
        TU_REQUIRE(bytes != NULL, "out of memory");
        TU_OK(m, nnom_model_save(m, bytes, size, &size));
        nnom_model *l;
        nnom_error err;
        TU_REQUIRE(nnom_model_load(bytes, size, NULL, &l, &err) == NNOM_OK, "load: %s", err.message);
        TU_OK(l, nnom_model_alloc_arena(l));
        int8_t again[48];
        for (int run = 0; run < 2; run++) {
            TU_OK(m, nnom_model_run(m));
            TU_OK(l, nnom_model_set_input_s8(l, 0, c.xq, 24));
            TU_OK(l, nnom_model_run(l));
            TU_OK(m, nnom_model_get_output_s8(m, 0, got, n_out));
            TU_OK(l, nnom_model_get_output_s8(l, 0, again, n_out));
            TU_CHECK(memcmp(got, again, n_out) == 0, "loaded int8 %s run %d differs", cell_name(gates), run);
        }
        nnom_model_destroy(l);
        free(bytes);
        nnom_model_destroy(m);
    }
}

/* int8 compile errors */
static void tweak_s8_requant(nnom_layer_desc *d) { d->blobs[3].size -= 4; }
static void tweak_s8_shift(nnom_layer_desc *d) { ((int32_t *)d->blobs[3].data)[3 * 12 + 5] = 40; }
static void tweak_s8_tables(nnom_layer_desc *d) { d->blobs[4].size = 2 * 1026; }
static void tweak_s8_consts(nnom_layer_desc *d) { d->blobs[5].size = 8; }
static void tweak_s8_hscale(nnom_layer_desc *d) { ((int32_t *)d->blobs[5].data)[NNOM_RNN_H_SCALE] = 0; }
static void tweak_s8_outshift(nnom_layer_desc *d) { ((int32_t *)d->blobs[5].data)[NNOM_RNN_OUT_SHIFT] = -40; }
static void tweak_s8_relu_gate(nnom_layer_desc *d)
{
    d->params.activations = NNOM_RNN_ACTIVATIONS(NNOM_RNN_ACT_TANH, NNOM_RNN_ACT_RELU);
}

static void test_errors_s8(void)
{
    static s8_case c;
    static double zero[16];
    static const struct {
        void (*tweak)(nnom_layer_desc *);
        nnom_status want;
        const char *what;
    } cases[] = {
        {tweak_s8_requant, NNOM_ERR_SHAPE, "requantisation int32 [4][12]"},
        {tweak_s8_shift, NNOM_ERR_ARGUMENT, "row 5: recurrent multiplier"},
        {tweak_s8_tables, NNOM_ERR_SHAPE, "activation tables int16 [3][513]"},
        {tweak_s8_consts, NNOM_ERR_SHAPE, "constants int32 [16]"},
        {tweak_s8_hscale, NNOM_ERR_ARGUMENT, "h and c scales"},
        {tweak_s8_outshift, NNOM_ERR_ARGUMENT, "output multiplier, shift"},
        {tweak_s8_relu_gate, NNOM_ERR_UNSUPPORTED, "recurrent activation must be bounded"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        make_case(&c.f, 4, 3, 2, 3, 0, NNOM_RNN_ACT_TANH, NNOM_RNN_ACT_SIGMOID, 1);
        make_s8(&c, zero, zero);
        nnom_model *m;
        nnom_status st = build_s8(&c, cases[i].tweak, &m, NULL);
        const char *msg = nnom_model_last_error(m);
        TU_CHECK(st == cases[i].want, "int8 error case '%s': got %s (%s)", cases[i].what, nnom_status_name(st), msg);
        TU_CHECK(strstr(msg, "'cell'") && strstr(msg, "lstm") && strstr(msg, cases[i].what),
                 "int8 error case '%s': the message lacks the layer name, type or subject: %s", cases[i].what, msg);
        nnom_model_destroy(m);
    }
}

/* Float models that observe record the ranges inside their recurrent layers. */
static void test_observe(void)
{
    static rnn_case c;
    static double want[6 * 5], h[5], cs[5], mx[NNOM_RNN_INTERNALS];
    make_case(&c, 4, 6, 3, 5, 0, NNOM_RNN_ACT_TANH, NNOM_RNN_ACT_SIGMOID, 1);
    nnom_model *m = tu_model_new(NNOM_DTYPE_F32, NULL);
    nnom_shape shape = {2, {6, 3, 0}};
    int32_t id, lid;
    TU_OK(m, nnom_model_add_input(m, "seq", shape, (nnom_quant){1.0f, 0}, &id));
    nnom_layer_desc d = tu_desc1(NNOM_LAYER_LSTM, "lstm", id);
    d.params.units = 5;
    d.params.activations = NNOM_RNN_ACTIVATIONS(NNOM_RNN_ACT_TANH, NNOM_RNN_ACT_SIGMOID);
    d.blobs[0] = (nnom_blob){c.w, 20 * 3 * 4};
    d.blobs[1] = (nnom_blob){c.u, 20 * 5 * 4};
    d.blobs[2] = (nnom_blob){c.bias, 20 * 4};
    TU_OK(m, nnom_model_add_layer(m, &d, &lid));
    tu_add_output(m, lid, NULL);
    TU_OK(m, nnom_model_observe_internals(m, 1));
    TU_OK(m, nnom_model_compile(m));
    TU_CHECK(nnom_model_observe_internals(m, 0) == NNOM_ERR_STATE, "observe after compile");
    TU_OK(m, nnom_model_alloc_arena(m));
    float lo[8], hi[8];
    TU_CHECK(nnom_model_layer_internals(m, lid, lo, hi, 8) == NNOM_RNN_INTERNALS, "an lstm observes 5 values");
    TU_CHECK(lo[0] > hi[0], "nothing observed before a run");
    TU_CHECK(nnom_model_layer_internals(m, 0, lo, hi, 8) == 0, "the input observes nothing");
    memset(mx, 0, sizeof mx);
    for (int run = 0; run < 2; run++) {
        tu_fill_f32(c.x, 18, -1.5f, 1.5f);
        TU_OK(m, nnom_model_set_input_f32(m, 0, c.x, 18));
        TU_OK(m, nnom_model_run(m));
        memset(h, 0, sizeof h);
        memset(cs, 0, sizeof cs);
        ref_max = mx;
        ref_run(&c.r, c.x, want, h, cs);
        ref_max = NULL;
    }
    TU_CHECK(nnom_model_layer_internals(m, lid, lo, hi, 8) == NNOM_RNN_INTERNALS, "count");
    for (int k = 0; k < NNOM_RNN_INTERNALS; k++) {
        const double seen = fmax(fabs(lo[k]), fabs(hi[k]));
        TU_CHECK(fabs(seen - mx[k]) <= 1e-5 * (1.0 + mx[k]), "internal %d: observed max |value| %g, reference %g", k,
                 seen, mx[k]);
    }
    nnom_model_reset_stats(m);
    nnom_model_layer_internals(m, lid, lo, hi, 8);
    TU_CHECK(lo[1] > hi[1], "reset_stats forgets the ranges");
    nnom_model_destroy(m);
}

/* RNN_STATE: an LSTM's final h and c as outputs (f32, through the public API), and its checks. */
static void test_rnn_state(void)
{
    static rnn_case c;
    make_case(&c, 4, 6, 3, 5, NNOM_RNN_RETURN_SEQUENCES, NNOM_RNN_ACT_TANH, NNOM_RNN_ACT_SIGMOID, 1);
    for (int bad = 0; bad < 3; bad++) {
        nnom_model *m = tu_model_new(NNOM_DTYPE_F32, NULL);
        nnom_shape shape = {2, {6, 3, 0}};
        int32_t id, lid, sid[2];
        TU_OK(m, nnom_model_add_input(m, "seq", shape, (nnom_quant){1.0f, 0}, &id));
        nnom_layer_desc d = tu_desc1(NNOM_LAYER_LSTM, "lstm", id);
        d.params.units = 5;
        d.params.cell_flags = NNOM_RNN_RETURN_SEQUENCES;
        d.params.activations = NNOM_RNN_ACTIVATIONS(NNOM_RNN_ACT_TANH, NNOM_RNN_ACT_SIGMOID);
        d.blobs[0] = (nnom_blob){c.w, 20 * 3 * 4};
        d.blobs[1] = (nnom_blob){c.u, 20 * 5 * 4};
        d.blobs[2] = (nnom_blob){c.bias, 20 * 4};
        TU_OK(m, nnom_model_add_layer(m, &d, &lid));
        for (int k = 0; k < 2; k++) {
            d = tu_desc1(NNOM_LAYER_RNN_STATE, k ? "lstm/c" : "lstm/h", bad == 1 ? id : lid);
            d.params.axis = bad == 2 ? 2 : k;
            TU_OK(m, nnom_model_add_layer(m, &d, &sid[k]));
            tu_add_output(m, sid[k], NULL);
        }
        if (bad) {
            TU_CHECK(nnom_model_compile(m) == NNOM_ERR_ARGUMENT, "case %d: compiles", bad);
            const char *msg = nnom_model_last_error(m);
            TU_CHECK(strstr(msg, "lstm/h") && strstr(msg, bad == 1 ? "not a recurrent layer" : "axis"),
                     "case %d: message %s", bad, msg);
            nnom_model_destroy(m);
            continue;
        }
        TU_OK(m, nnom_model_compile(m));
        TU_OK(m, nnom_model_alloc_arena(m));
        for (int run = 0; run < 2; run++) {
            tu_fill_f32(c.x, 18, -1.5f, 1.5f);
            TU_OK(m, nnom_model_set_input_f32(m, 0, c.x, 18));
            TU_OK(m, nnom_model_run(m));
            for (int k = 0; k < 2; k++) {
                float want[5];
                TU_OK(m, nnom_model_state(m, lid, k, want, 5));
                nnom_tensor_info info;
                TU_OK(m, nnom_model_output_info(m, k, &info));
                TU_CHECK(info.shape.rank == 1 && info.shape.dims[0] == 5, "state %d: rank %d", k, (int)info.shape.rank);
                const float *got = (const float *)nnom_model_output_data(m, k);
                TU_CHECK(memcmp(got, want, sizeof want) == 0, "run %d: output %d is not state vector %d", run, k, k);
            }
        }
        nnom_model_destroy(m);
    }
}

int main(void)
{
    tu_seed(0x5EC0DE);
    test_kernel_f32();
    test_tables();
    test_kernel_s8();
    test_kernel_s8_long();
    test_graph_state();
    test_roundtrip();
    test_errors();
    test_graph_s8();
    test_errors_s8();
    test_observe();
    test_rnn_state();
    return tu_finish("test_rnn");
}

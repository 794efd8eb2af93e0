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
#include "test_util.h"

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

/* Runs the layer on x [steps][in] from state (h, c) (updated); out as the runtime lays it out. */
static void ref_run(const ref_rnn *r, const float *x, double *out, double *h, double *c)
{
    const int32_t U = r->units, G = r->gates, cols = G * U;
    const int back = (r->flags & NNOM_RNN_GO_BACKWARDS) != 0, seq = (r->flags & NNOM_RNN_RETURN_SEQUENCES) != 0;
    const int after = (r->flags & NNOM_RNN_RESET_AFTER) != 0;
    double xv[64], nh[64], nc[64], rh[64];
    for (int32_t k = 0; k < r->steps; k++) {
        const int32_t t = back ? r->steps - 1 - k : k;
        for (int32_t i = 0; i < r->in; i++) xv[i] = x[(size_t)t * r->in + i];
        for (int32_t u = 0; G != 3 && u < U; u++) {
#define XP(g) (kdot(r->kernel, r->in, cols, xv, (g) * U + u) + (r->bias ? r->bias[(g) * U + u] : 0.0))
#define HP(g) kdot(r->recurrent, U, cols, h, (g) * U + u)
            if (G == 1) {
                nh[u] = ref_act(r->act, XP(0) + HP(0));
            } else {
                const double i = ref_act(r->rec, XP(0) + HP(0)), f = ref_act(r->rec, XP(1) + HP(1));
                const double g = ref_act(r->act, XP(2) + HP(2)), o = ref_act(r->rec, XP(3) + HP(3));
                nc[u] = f * c[u] + i * g;
                nh[u] = o * ref_act(r->act, nc[u]);
            }
#undef XP
#undef HP
        }
        if (G == 3) {
            /* GRU, written out per gate */
            const float *rb = r->bias && after ? r->bias + cols : NULL;
            double z[64], rr[64];
            for (int32_t u = 0; u < U; u++) {
                double xz = kdot(r->kernel, r->in, cols, xv, u) + (r->bias ? r->bias[u] : 0.0);
                double xr = kdot(r->kernel, r->in, cols, xv, U + u) + (r->bias ? r->bias[U + u] : 0.0);
                double hz = kdot(r->recurrent, U, cols, h, u) + (rb ? rb[u] : 0.0);
                double hr = kdot(r->recurrent, U, cols, h, U + u) + (rb ? rb[U + u] : 0.0);
                z[u] = ref_act(r->rec, xz + hz);
                rr[u] = ref_act(r->rec, xr + hr);
            }
            for (int32_t u = 0; u < U; u++) rh[u] = rr[u] * h[u];
            for (int32_t u = 0; u < U; u++) {
                double xh = kdot(r->kernel, r->in, cols, xv, 2 * U + u) + (r->bias ? r->bias[2 * U + u] : 0.0);
                double hh;
                if (after)
                    hh = ref_act(r->act,
                                 xh + rr[u] * (kdot(r->recurrent, U, cols, h, 2 * U + u) + (rb ? rb[2 * U + u] : 0.0)));
                else
                    hh = ref_act(r->act, xh + kdot(r->recurrent, U, cols, rh, 2 * U + u));
                nh[u] = z[u] * h[u] + (1.0 - z[u]) * hh;
            }
        }
        for (int32_t u = 0; u < U; u++) {
            h[u] = nh[u];
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
    nnom_model *m;
    nnom_error err;
    TU_REQUIRE(nnom_model_create(NNOM_DTYPE_F32, NULL, &m, &err) == NNOM_OK, "%s", err.message);
    const ref_rnn *r = &c->r;
    nnom_shape shape = {2, {r->steps, r->in, 0}};
    nnom_quant none = {1.0f, 0};
    int32_t id;
    TU_OK(m, nnom_model_add_input(m, "seq", shape, none, &id));
    nnom_layer_desc d;
    memset(&d, 0, sizeof d);
    d.type = r->gates == 1 ? NNOM_LAYER_SIMPLE_RNN : (r->gates == 3 ? NNOM_LAYER_GRU : NNOM_LAYER_LSTM);
    d.name = name;
    d.n_inputs = 1;
    d.inputs[0] = id;
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
        memset(&d, 0, sizeof d);
        d.type = NNOM_LAYER_OUTPUT;
        d.name = "y";
        d.n_inputs = 1;
        d.inputs[0] = id;
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
    nnom_layer_info info;
    TU_OK(m, nnom_model_layer_info(m, lid, &info));
    TU_CHECK(info.shape.rank == 2 && info.shape.dims[0] == 6 && info.shape.dims[1] == 5, "lstm output shape");
    TU_CHECK(info.macs == 6u * 4u * 5u * (3u + 5u), "lstm macs %lu", (unsigned long)info.macs);
    TU_CHECK(nnom_model_state_size(m) == 2 * 5 * 4, "state size %lu, expected 40", (unsigned long)nnom_model_state_size(m));
    int32_t len = 0;
    TU_CHECK(nnom_model_state_count(m, lid, &len) == 2 && len == 5, "lstm: 2 state vectors of 5");
    TU_CHECK(nnom_model_state_count(m, 0, &len) == 0 && len == 0, "the input has no state");
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
    nnom_layer_info a, b;
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
    nnom_model *m;
    nnom_error err;
    TU_REQUIRE(nnom_model_create(NNOM_DTYPE_F32, NULL, &m, &err) == NNOM_OK, "%s", err.message);
    nnom_shape img = {3, {2, 3, 2}};
    int32_t id;
    TU_OK(m, nnom_model_add_input(m, "image", img, (nnom_quant){1.0f, 0}, &id));
    nnom_layer_desc d;
    memset(&d, 0, sizeof d);
    d.type = NNOM_LAYER_SIMPLE_RNN;
    d.name = "rnn";
    d.n_inputs = 1;
    d.inputs[0] = id;
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

int main(void)
{
    tu_seed(0x5EC0DE);
    test_kernel_f32();
    test_graph_state();
    test_roundtrip();
    test_errors();
    return tu_finish("test_rnn");
}

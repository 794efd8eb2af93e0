/*
 * Hardening: what a hostile or unlucky input must not do to the process.
 *
 *  - Memory plans are made in 64 bits and refused past a limit: a tiny file
 *    with five float32 inputs of 2^28 values is refused at load, before
 *    anything large is allocated (a counting allocator proves it), instead of
 *    wrapping its offsets round 4 GiB.
 *  - A compile that fails (the allocator failing its N-th allocation, for
 *    every N) leaves nothing behind, and compiling again gives a model that
 *    computes what a reference computed here says.
 *  - nnom_evaluate feeds every input of a two-input model.
 *  - The writer sums sizes in 64 bits; a copied nnom_pool still works; NULL
 *    models are answered as documented; the conv scratch is what conv.h says.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "format/format.h"
#include "kernels/conv.h"
#include "model_util.h"

#define BIG_INPUT (1 << 28)         /* the most elements a tensor may have */
#define SMALL_ALLOCATION (1u << 20) /* what a model's bookkeeping may take in one allocation */

/* ------------------------------------------------------------ counting allocator */

typedef struct counting {
    long calls;     /* allocations asked for */
    long live;      /* allocations not yet freed */
    size_t largest; /* the largest request */
    long fail_at;   /* the call (0-based) that fails, -1: none */
} counting;

static void *counting_alloc(void *ctx, size_t bytes)
{
    counting *c = (counting *)ctx;
    const long call = c->calls++;
    if (bytes > c->largest) c->largest = bytes;
    if (call == c->fail_at) return NULL;
    void *p = malloc(bytes ? bytes : 1);
    if (p) c->live++;
    return p;
}

static void counting_free(void *ctx, void *p)
{
    counting *c = (counting *)ctx;
    if (!p) return;
    c->live--;
    free(p);
}

static nnom_options counting_options(counting *c, nnom_allocator *a, size_t max_arena)
{
    memset(c, 0, sizeof *c);
    c->fail_at = -1;
    a->alloc = counting_alloc;
    a->free = counting_free;
    a->ctx = c;
    nnom_options o;
    nnom_options_init(&o);
    o.allocator = a;
    o.max_arena_bytes = max_arena;
    return o;
}

static int contains(const char *s, const char *w) { return strstr(s, w) != NULL; }

/* ------------------------------------------------------------ 1. the memory plan's limit */

/* @p inputs inputs of @p count values, each read by its own output; compiled. */
static nnom_status wide_model(nnom_dtype dtype, int inputs, int32_t count, const nnom_options *o, nnom_model **out)
{
    nnom_error err;
    TU_REQUIRE(nnom_model_create(dtype, o, out, &err) == NNOM_OK, "%s", err.message);
    nnom_model *m = *out;
    for (int i = 0; i < inputs; i++) {
        char name[16];
        snprintf(name, sizeof name, "x%d", i);
        nnom_shape shape = {1, {count, 0, 0}};
        int32_t id;
        TU_OK(m, nnom_model_add_input(m, name, shape, (nnom_quant){0.5f, 0}, &id));
        nnom_layer_desc d;
        nnom_layer_desc_init(&d);
        d.type = NNOM_LAYER_OUTPUT;
        snprintf(name, sizeof name, "y%d", i);
        d.name = name;
        d.n_inputs = 1;
        d.inputs[0] = id;
        d.quant = (nnom_quant){0.5f, 0};
        TU_OK(m, nnom_model_add_layer(m, &d, NULL));
    }
    return nnom_model_compile(m);
}

/* The .nnom bytes of a wide int8 model, retyped as float32 (4 bytes a value), CRC fixed. */
static size_t wide_float_file(int inputs, uint32_t *words, size_t capacity)
{
    counting c;
    nnom_allocator a;
    const nnom_options o = counting_options(&c, &a, SIZE_MAX);
    nnom_model *m;
    TU_REQUIRE(wide_model(NNOM_DTYPE_S8, inputs, BIG_INPUT, &o, &m) == NNOM_OK, "%s", nnom_model_last_error(m));
    size_t size = 0;
    TU_OK(m, nnom_model_save(m, words, capacity, &size));
    nnom_model_destroy(m);
    uint8_t *b = (uint8_t *)words;
    nnom_wr_u32(b + NNOM_HDR_DTYPE, NNOM_DTYPE_F32);
    nnom_wr_u32(b + NNOM_HDR_CHECKSUM, nnom_file_crc(b, (uint32_t)size));
    return size;
}

static void plan_limit(void)
{
    counting c;
    nnom_allocator a;
    nnom_model *m;
    nnom_options o;

    /* four float32 inputs of 2^28 values (1 GiB each): past the default limit of 1 GiB */
    o = counting_options(&c, &a, 0);
    nnom_status st = wide_model(NNOM_DTYPE_F32, 4, BIG_INPUT, &o, &m);
    TU_CHECK(st == NNOM_ERR_NO_MEMORY, "4 x 1 GiB under the default limit: %s", nnom_status_name(st));
    TU_CHECK(contains(nnom_model_last_error(m), "max_arena_bytes") &&
                 contains(nnom_model_last_error(m), "limit of 1073741824 bytes") &&
                 contains(nnom_model_last_error(m), "at least 4294967296 bytes") &&
                 contains(nnom_model_last_error(m), "'x3'"),
             "message: %s", nnom_model_last_error(m));
    TU_CHECK(nnom_model_arena_size(m) == 0 && nnom_model_input_count(m) == 0, "a refused plan leaves nothing");
    TU_CHECK(c.largest < SMALL_ALLOCATION, "largest allocation %zu bytes", c.largest);
    nnom_model_destroy(m);
    TU_CHECK(c.live == 0, "%ld allocations leaked", c.live);

    /* with no limit of their own, four and five inputs still cannot wrap round 4 GiB; the
     * message gives the whole plan's size (the inputs are alive together) */
    for (int inputs = 4; inputs <= 5; inputs++) {
        o = counting_options(&c, &a, SIZE_MAX);
        st = wide_model(NNOM_DTYPE_F32, inputs, BIG_INPUT, &o, &m);
        TU_CHECK(st == NNOM_ERR_NO_MEMORY &&
                     contains(nnom_model_last_error(m), inputs == 4 ? "at least 4294967296 bytes" : "at least 5368709120 bytes"),
                 "%d x 1 GiB: %s: %s", inputs, nnom_status_name(st), nnom_model_last_error(m));
        TU_CHECK(c.largest < SMALL_ALLOCATION, "largest allocation %zu bytes", c.largest);
        nnom_model_destroy(m);
    }

    /* three fit below 4 GiB: planned (not allocated) without overlap */
    o = counting_options(&c, &a, SIZE_MAX);
    st = wide_model(NNOM_DTYPE_F32, 3, BIG_INPUT, &o, &m);
    TU_CHECK(st == NNOM_OK, "3 x 1 GiB: %s", nnom_model_last_error(m));
    if (st == NNOM_OK) {
        const uint64_t gib = (uint64_t)1 << 30;
        TU_CHECK(nnom_model_arena_size(m) == (size_t)(3 * gib), "arena %zu", nnom_model_arena_size(m));
        uint64_t lo[3], hi[3];
        for (int i = 0; i < 3; i++) {
            nnom_tensor_info t;
            nnom_layer_info info = NNOM_LAYER_INFO_INIT;
            TU_OK(m, nnom_model_input_info(m, i, &t));
            TU_OK(m, nnom_model_layer_info(m, t.layer, &info));
            lo[i] = info.arena_offset;
            hi[i] = lo[i] + info.arena_bytes;
            TU_CHECK(info.arena_bytes == gib && hi[i] <= 3 * gib, "input %d at [%llu, %llu)", i,
                     (unsigned long long)lo[i], (unsigned long long)hi[i]);
        }
        for (int i = 0; i < 3; i++)
            for (int j = i + 1; j < 3; j++)
                TU_CHECK(hi[i] <= lo[j] || hi[j] <= lo[i], "inputs %d and %d overlap", i, j);
    }
    TU_CHECK(c.largest < SMALL_ALLOCATION, "largest allocation %zu bytes", c.largest);
    nnom_model_destroy(m);

    /* the limit is exact: 100 floats need 400 bytes */
    o = counting_options(&c, &a, 399);
    st = wide_model(NNOM_DTYPE_F32, 1, 100, &o, &m);
    TU_CHECK(st == NNOM_ERR_NO_MEMORY && contains(nnom_model_last_error(m), "at least 400 bytes"), "limit 399: %s",
             nnom_model_last_error(m));
    nnom_model_destroy(m);
    o = counting_options(&c, &a, 400);
    st = wide_model(NNOM_DTYPE_F32, 1, 100, &o, &m);
    TU_CHECK(st == NNOM_OK && nnom_model_arena_size(m) == 400, "limit 400: %s", nnom_model_last_error(m));
    nnom_model_destroy(m);

    /* files: a couple of KB declaring four or five float32 inputs of 2^28 values */
    static uint32_t file[1024];
    for (int inputs = 4; inputs <= 5; inputs++) {
        const size_t size = wide_float_file(inputs, file, sizeof file);
        TU_CHECK(size < 4096, "the file is %zu bytes", size);
        const size_t limits[2] = {0, SIZE_MAX};
        for (int k = 0; k < 2; k++) {
            o = counting_options(&c, &a, limits[k]);
            nnom_error err;
            memset(&err, 0, sizeof err);
            m = (nnom_model *)&err; /* must become NULL */
            st = nnom_model_load(file, size, &o, &m, &err);
            TU_CHECK(st == NNOM_ERR_NO_MEMORY && err.status == st && m == NULL, "%d inputs, limit %zu: %s (%s)", inputs,
                     limits[k], nnom_status_name(st), err.message);
            TU_CHECK(contains(err.message, "max_arena_bytes") &&
                         contains(err.message, inputs == 4 ? "at least 4294967296 bytes" : "at least 5368709120 bytes"),
                     "message: %s", err.message);
            TU_CHECK(c.largest < SMALL_ALLOCATION, "loading: largest allocation %zu bytes", c.largest);
            TU_CHECK(c.live == 0, "loading: %ld allocations leaked", c.live);
        }
    }
}

/* ------------------------------------------------------------ 2. compile after a failed compile */

/* x (6) -> dense 4 ; s (3 steps, 2 features) -> simple_rnn 4 ; add -> output */
enum { X_N = 6, UNITS = 4, STEPS = 3, FEAT = 2 };
static float dense_w[UNITS * X_N], dense_b[UNITS], rnn_w[UNITS * FEAT], rnn_u[UNITS * UNITS], rnn_b[UNITS];

static void build_retry_model(nnom_model *m)
{
    int32_t x, s, dense, rnn;
    TU_OK(m, nnom_model_add_input(m, "x", (nnom_shape){1, {X_N, 0, 0}}, (nnom_quant){1.0f, 0}, &x));
    TU_OK(m, nnom_model_add_input(m, "s", (nnom_shape){2, {STEPS, FEAT, 0}}, (nnom_quant){1.0f, 0}, &s));
    nnom_layer_desc d = tu_desc1(NNOM_LAYER_DENSE, NULL, x);
    d.params.units = UNITS;
    d.blobs[0] = (nnom_blob){dense_w, sizeof dense_w};
    d.blobs[1] = (nnom_blob){dense_b, sizeof dense_b};
    TU_OK(m, nnom_model_add_layer(m, &d, &dense));
    d = tu_desc1(NNOM_LAYER_SIMPLE_RNN, NULL, s);
    d.params.units = UNITS;
    d.params.activations = NNOM_RNN_ACT_TANH | (NNOM_RNN_ACT_SIGMOID << 8);
    d.blobs[0] = (nnom_blob){rnn_w, sizeof rnn_w};
    d.blobs[1] = (nnom_blob){rnn_u, sizeof rnn_u};
    d.blobs[2] = (nnom_blob){rnn_b, sizeof rnn_b};
    TU_OK(m, nnom_model_add_layer(m, &d, &rnn));
    d = tu_desc(NNOM_LAYER_ADD, NULL, 2, (const int32_t[]){dense, rnn});
    int32_t sum;
    TU_OK(m, nnom_model_add_layer(m, &d, &sum));
    tu_add_output(m, sum, NULL);
}

/* dense(x) + SimpleRNN(s), in double */
static void retry_reference(const float *x, const float *s, double *y)
{
    double h[UNITS] = {0};
    for (int t = 0; t < STEPS; t++) {
        double next[UNITS];
        for (int u = 0; u < UNITS; u++) {
            double a = rnn_b[u];
            for (int f = 0; f < FEAT; f++) a += (double)rnn_w[u * FEAT + f] * s[t * FEAT + f];
            for (int v = 0; v < UNITS; v++) a += (double)rnn_u[u * UNITS + v] * h[v];
            next[u] = tanh(a);
        }
        memcpy(h, next, sizeof h);
    }
    for (int u = 0; u < UNITS; u++) {
        double a = dense_b[u];
        for (int i = 0; i < X_N; i++) a += (double)dense_w[u * X_N + i] * x[i];
        y[u] = a + h[u];
    }
}

static void compile_retry(void)
{
    tu_fill_f32(dense_w, UNITS * X_N, -1, 1);
    tu_fill_f32(dense_b, UNITS, -1, 1);
    tu_fill_f32(rnn_w, UNITS * FEAT, -1, 1);
    tu_fill_f32(rnn_u, UNITS * UNITS, -0.5f, 0.5f);
    tu_fill_f32(rnn_b, UNITS, -0.5f, 0.5f);
    float x[X_N], s[STEPS * FEAT];
    tu_fill_f32(x, X_N, -2, 2);
    tu_fill_f32(s, STEPS * FEAT, -2, 2);
    double want[UNITS];
    retry_reference(x, s, want);

    int failures_seen = 0;
    for (long n = 0;; n++) {
        counting c;
        nnom_allocator a;
        const nnom_options o = counting_options(&c, &a, 0);
        nnom_model *m = tu_model_new(NNOM_DTYPE_F32, &o);
        build_retry_model(m);
        TU_OK(m, nnom_model_observe_internals(m, 1)); /* one more allocation at compile */
        c.fail_at = c.calls + n;                      /* the n-th allocation of the compile fails */
        const nnom_status first = nnom_model_compile(m);
        const int failed = first != NNOM_OK;
        c.fail_at = -1;
        if (failed) {
            failures_seen++;
            TU_CHECK(first == NNOM_ERR_NO_MEMORY, "allocation %ld failing: %s (%s)", n, nnom_status_name(first),
                     nnom_model_last_error(m));
            TU_CHECK(nnom_model_arena_size(m) == 0 && nnom_model_input_count(m) == 0 &&
                         nnom_model_output_count(m) == 0 && nnom_model_state_size(m) == 0,
                     "allocation %ld failing: a failed compile leaves a half-compiled model", n);
            TU_CHECK(nnom_model_run(m) == NNOM_ERR_STATE, "running after a failed compile");
            /* twice more: a failure, then the compile that works */
            c.fail_at = c.calls;
            TU_CHECK(nnom_model_compile(m) == NNOM_ERR_NO_MEMORY, "allocation %ld: second failure", n);
            c.fail_at = -1;
            TU_OK(m, nnom_model_compile(m));
        }
        TU_CHECK(nnom_model_input_count(m) == 2 && nnom_model_output_count(m) == 1, "allocation %ld: %d inputs",
                 n, (int)nnom_model_input_count(m));
        TU_OK(m, nnom_model_alloc_arena(m));
        TU_OK(m, nnom_model_set_input_f32(m, 0, x, X_N));
        TU_OK(m, nnom_model_set_input_f32(m, 1, s, STEPS * FEAT));
        TU_OK(m, nnom_model_run(m));
        float y[UNITS];
        TU_OK(m, nnom_model_get_output_f32(m, 0, y, UNITS));
        for (int u = 0; u < UNITS; u++)
            TU_CHECK(fabs(y[u] - want[u]) < 1e-5, "allocation %ld failing: y[%d] = %.7g, reference %.7g", n, u,
                     (double)y[u], want[u]);
        nnom_model_destroy(m);
        TU_CHECK(c.live == 0, "allocation %ld failing: %ld allocations leaked", n, c.live);
        if (!failed) break; /* n is past the compile's last allocation */
    }
    /* (the recurrent state, the observed ranges and the planner's memory: one block each) */
    TU_CHECK(failures_seen >= 3, "the compile made only %d allocations", failures_seen);
    printf("compile retried after each of its %d allocations failing\n", failures_seen);
}

/* Loading the same model from its .nnom bytes with the N-th allocation failing, for every N:
 * a clean NNOM_ERR_NO_MEMORY and nothing leaked, until N is past the last allocation. */
static void load_with_failing_allocator(void)
{
    nnom_model *m = tu_model_new(NNOM_DTYPE_F32, NULL);
    build_retry_model(m);
    TU_OK(m, nnom_model_compile(m));
    static uint32_t file[4096];
    size_t size = 0;
    TU_OK(m, nnom_model_save(m, file, sizeof file, &size));
    nnom_model_destroy(m);
    int failures_seen = 0;
    for (long n = 0;; n++) {
        counting c;
        nnom_allocator a;
        const nnom_options o = counting_options(&c, &a, 0);
        c.fail_at = n;
        nnom_error err;
        memset(&err, 0, sizeof err);
        const nnom_status st = nnom_model_load(file, size, &o, &m, &err);
        if (st == NNOM_OK) {
            TU_CHECK(nnom_model_input_count(m) == 2, "loaded with %d inputs", (int)nnom_model_input_count(m));
            nnom_model_destroy(m);
            TU_CHECK(c.live == 0, "loaded: %ld allocations leaked", c.live);
            break;
        }
        failures_seen++;
        TU_CHECK(st == NNOM_ERR_NO_MEMORY && err.status == st && m == NULL && contains(err.message, "out of memory"),
                 "allocation %ld failing: %s (%s)", n, nnom_status_name(st), err.message);
        TU_CHECK(c.live == 0, "allocation %ld failing: %ld allocations leaked", n, c.live);
        if (n > 1000) break;
    }
    /* (the handle, the layers, then the compile's: see compile_retry) */
    TU_CHECK(failures_seen >= 4 && failures_seen < 1000, "loading made %d allocations", failures_seen);
}

/* ------------------------------------------------------------ 4. evaluation of a two-input model */

static void evaluate_two_inputs(void)
{
    enum { A = 3, B = 2, C = 4, N = 200 };
    static float w[C * (A + B)], bias[C];
    tu_fill_f32(w, C * (A + B), -1, 1);
    tu_fill_f32(bias, C, -0.1f, 0.1f);
    nnom_model *m = tu_model_new(NNOM_DTYPE_F32, NULL);
    int32_t ia, ib, cat, dense;
    TU_OK(m, nnom_model_add_input(m, "a", (nnom_shape){1, {A, 0, 0}}, (nnom_quant){1.0f, 0}, &ia));
    TU_OK(m, nnom_model_add_input(m, "b", (nnom_shape){1, {B, 0, 0}}, (nnom_quant){1.0f, 0}, &ib));
    nnom_layer_desc d = tu_desc(NNOM_LAYER_CONCATENATE, NULL, 2, (const int32_t[]){ia, ib});
    d.params.axis = -1;
    TU_OK(m, nnom_model_add_layer(m, &d, &cat));
    d = tu_desc1(NNOM_LAYER_DENSE, NULL, cat);
    d.params.units = C;
    d.blobs[0] = (nnom_blob){w, sizeof w};
    d.blobs[1] = (nnom_blob){bias, sizeof bias};
    TU_OK(m, nnom_model_add_layer(m, &d, &dense));
    tu_add_output(m, dense, NULL);
    TU_OK(m, nnom_model_compile(m));
    TU_OK(m, nnom_model_alloc_arena(m));

    /* samples: a's 3 values then b's 2; b decides the class most of the time */
    static float samples[N * (A + B)];
    static int32_t labels[N];
    int64_t want_top1 = 0, want_confusion[C * C] = {0}, confusion[C * C] = {0};
    for (int s = 0; s < N; s++) {
        float *x = samples + s * (A + B);
        tu_fill_f32(x, A, -0.2f, 0.2f);
        tu_fill_f32(x + A, B, -3, 3);
        labels[s] = tu_rand_int(0, C - 1);
        int best = 0;
        double score[C];
        for (int c = 0; c < C; c++) {
            score[c] = bias[c];
            for (int i = 0; i < A + B; i++) score[c] += (double)w[c * (A + B) + i] * x[i];
            if (score[c] > score[best]) best = c;
        }
        want_top1 += best == labels[s];
        want_confusion[labels[s] * C + best]++;
    }
    nnom_eval e;
    nnom_eval_init(&e);
    e.k = 1;
    e.confusion = confusion;
    TU_OK(m, nnom_evaluate(m, samples, labels, N, &e));
    TU_CHECK(e.samples == N && e.n_classes == C, "%lld samples, %d classes", (long long)e.samples, (int)e.n_classes);
    TU_CHECK(e.top1 == want_top1, "top-1 %lld, reference %lld", (long long)e.top1, (long long)want_top1);
    TU_CHECK(memcmp(confusion, want_confusion, sizeof confusion) == 0, "confusion matrix differs from the reference");
    /* a bad label stops before its sample runs, with the label named */
    labels[7] = C;
    nnom_eval_init(&e);
    TU_CHECK(nnom_evaluate(m, samples, labels, N, &e) == NNOM_ERR_ARGUMENT && e.samples == 7 &&
                 contains(nnom_model_last_error(m), "label 4 of sample 7"),
             "bad label: %s", nnom_model_last_error(m));
    nnom_model_destroy(m);
}

/* ------------------------------------------------------------ 5. writer, pool, NULL, conv scratch */

static void writer_sums_in_64_bits(void)
{
    /* three dense layers of 2 GiB of weights each; the blobs' bytes are never read
     * (compiling checks sizes; only a save with a buffer would copy them) */
    enum { IN = 1 << 24, UNITS_BIG = 32, LAYERS = 3 };
    static uint64_t weights[1], bias[UNITS_BIG / 2];
    const uint32_t weight_bytes = (uint32_t)IN * UNITS_BIG * 4u; /* 2^31 */
    for (int layers = 1; layers <= LAYERS; layers++) {
        nnom_model *m = tu_model_new(NNOM_DTYPE_F32, NULL);
        int32_t in;
        TU_OK(m, nnom_model_add_input(m, "x", (nnom_shape){1, {IN, 0, 0}}, (nnom_quant){1.0f, 0}, &in));
        for (int k = 0; k < layers; k++) {
            nnom_layer_desc d = tu_desc1(NNOM_LAYER_DENSE, NULL, in);
            d.params.units = UNITS_BIG;
            d.blobs[0] = (nnom_blob){weights, weight_bytes};
            d.blobs[1] = (nnom_blob){bias, sizeof bias};
            int32_t id;
            TU_OK(m, nnom_model_add_layer(m, &d, &id));
            tu_add_output(m, id, NULL);
        }
        TU_OK(m, nnom_model_compile(m));
        const uint64_t weights_total = (uint64_t)layers * (weight_bytes + sizeof bias);
        TU_CHECK((uint64_t)nnom_model_weight_bytes(m) == weights_total, "weight bytes %zu", nnom_model_weight_bytes(m));
        size_t size = 0;
        const nnom_status st = nnom_model_save(m, NULL, 0, &size);
        /* header, records (aligned to 8), then each blob at a multiple of 8 (all sizes are) */
        const uint64_t records = NNOM_FILE_HEADER_BYTES + (uint64_t)(1 + 2 * layers) * NNOM_FILE_RECORD_BYTES;
        const uint64_t want = (records + 7) / 8 * 8 + weights_total;
        if (want <= UINT32_MAX) {
            TU_CHECK(st == NNOM_OK && size == want, "%d layers: %s, %zu bytes, expected %llu", layers,
                     nnom_status_name(st), size, (unsigned long long)want);
        } else {
            TU_CHECK(st == NNOM_ERR_ARGUMENT && contains(nnom_model_last_error(m), "more than a .nnom file can hold"),
                     "%d layers (%llu bytes): %s: %s", layers, (unsigned long long)want, nnom_status_name(st),
                     nnom_model_last_error(m));
        }
        nnom_model_destroy(m);
    }
}

static nnom_pool pool_made_elsewhere(void *buffer, size_t size)
{
    nnom_pool local; /* returned by value: the struct the caller gets is a copy */
    nnom_pool_init(&local, buffer, size);
    return local;
}

static void pool_copies(void)
{
    static uint64_t words[16384 / 8];
    uint8_t *mem = (uint8_t *)words;
    nnom_pool a;
    nnom_pool_init(&a, mem, sizeof words);
    nnom_pool b = a;
    uint8_t *p1 = (uint8_t *)b.allocator.alloc(b.allocator.ctx, 100);
    uint8_t *p2 = (uint8_t *)a.allocator.alloc(a.allocator.ctx, 100);
    TU_CHECK(p1 && p2 && p1 >= mem && p2 >= mem && p1 + 100 <= mem + sizeof words && p2 + 100 <= mem + sizeof words,
             "blocks inside the buffer");
    TU_CHECK(p1 + 100 <= p2 || p2 + 100 <= p1, "a pool and its copy handed out the same bytes");
    TU_CHECK(((uintptr_t)p1 & 7u) == 0 && ((uintptr_t)p2 & 7u) == 0, "8-byte alignment");
    TU_CHECK(nnom_pool_used(&a) == nnom_pool_used(&b) && nnom_pool_used(&a) >= 200, "used %zu / %zu",
             nnom_pool_used(&a), nnom_pool_used(&b));
    TU_CHECK(b.allocator.alloc(b.allocator.ctx, sizeof words) == NULL, "more than the pool holds");
    /* freeing the last block gives it back; freeing any other block changes nothing */
    const size_t before = nnom_pool_used(&a);
    uint8_t *p3 = (uint8_t *)a.allocator.alloc(a.allocator.ctx, 300);
    TU_CHECK(p3 && nnom_pool_used(&a) >= before + 300, "used %zu after 300 more", nnom_pool_used(&a));
    b.allocator.free(b.allocator.ctx, p1);
    TU_CHECK(nnom_pool_used(&a) >= before + 300, "freeing an older block gave bytes back");
    a.allocator.free(a.allocator.ctx, p3);
    TU_CHECK(nnom_pool_used(&a) == before, "freeing the last block: used %zu, was %zu", nnom_pool_used(&a), before);
    a.allocator.free(a.allocator.ctx, p3);
    a.allocator.free(a.allocator.ctx, p2);
    TU_CHECK(nnom_pool_used(&a) == before, "a second free gave bytes back: used %zu", nnom_pool_used(&a));
    uint8_t *p4 = (uint8_t *)a.allocator.alloc(a.allocator.ctx, 8);
    TU_CHECK(p4 == p3, "the freed bytes are handed out again");
    nnom_pool_reset(&b);
    TU_CHECK(nnom_pool_used(&a) == 0, "resetting a copy resets the pool");

    /* a model from a pool struct that was copied out of a function that is gone */
    nnom_pool made = pool_made_elsewhere(mem, sizeof words);
    nnom_options o;
    nnom_options_init(&o);
    o.allocator = &made.allocator;
    nnom_model *m = tu_model_new(NNOM_DTYPE_F32, &o);
    int32_t id;
    TU_OK(m, nnom_model_add_input(m, "x", (nnom_shape){1, {5, 0, 0}}, (nnom_quant){1.0f, 0}, &id));
    nnom_layer_desc d = tu_desc1(NNOM_LAYER_RELU, NULL, id);
    TU_OK(m, nnom_model_add_layer(m, &d, &id));
    tu_add_output(m, id, NULL);
    TU_OK(m, nnom_model_compile(m));
    TU_OK(m, nnom_model_alloc_arena(m));
    const float x[5] = {-2, -0.5f, 0, 0.25f, 3};
    float y[5];
    TU_OK(m, nnom_model_set_input_f32(m, 0, x, 5));
    TU_OK(m, nnom_model_run(m));
    TU_OK(m, nnom_model_get_output_f32(m, 0, y, 5));
    for (int i = 0; i < 5; i++) TU_CHECK(y[i] == (x[i] > 0 ? x[i] : 0.0f), "relu %d: %g", i, (double)y[i]);
    const size_t used = nnom_pool_used(&made);
    TU_CHECK(used > nnom_model_arena_size(m) && used <= sizeof words, "pool used %zu", used);
    nnom_model_destroy(m);

    /* a buffer too small for the pool's count, or none: every allocation fails */
    nnom_pool tiny;
    nnom_pool_init(&tiny, mem, 4);
    TU_CHECK(tiny.allocator.alloc(tiny.allocator.ctx, 1) == NULL && nnom_pool_used(&tiny) == 0, "4-byte pool");
    nnom_pool_init(&tiny, NULL, 1024);
    TU_CHECK(tiny.allocator.alloc(tiny.allocator.ctx, 1) == NULL, "pool without a buffer");
    TU_CHECK(nnom_pool_used(NULL) == 0, "nnom_pool_used(NULL)");
}

static void null_models(void)
{
    const nnom_model *c = NULL;
    nnom_model *m = NULL;
    TU_CHECK(nnom_model_dtype(c) == NNOM_DTYPE_NONE, "dtype");
    TU_CHECK(strcmp(nnom_model_last_error(c), "model is NULL") == 0, "last error");
    TU_CHECK(nnom_model_layer_count(c) == 0 && nnom_model_input_count(c) == 0 && nnom_model_output_count(c) == 0,
             "counts");
    TU_CHECK(nnom_model_arena_size(c) == 0 && nnom_model_state_size(c) == 0 && nnom_model_weight_bytes(c) == 0 &&
                 nnom_model_total_macs(c) == 0,
             "sizes and totals");
    TU_CHECK(nnom_model_input_data(m, 0) == NULL && nnom_model_output_data(c, 0) == NULL &&
                 nnom_model_layer_output(c, 0) == NULL,
             "data pointers");
    int32_t length = 5;
    float lo[1], hi[1], v[1] = {0};
    TU_CHECK(nnom_model_state_count(c, 0, &length) == -1 && length == 0, "state count");
    TU_CHECK(nnom_model_layer_internals(c, 0, lo, hi, 1) == 0, "internals");
    nnom_tensor_info ti;
    nnom_layer_info li = NNOM_LAYER_INFO_INIT;
    nnom_layer_stats ls;
    nnom_blob blobs[NNOM_MAX_BLOBS];
    nnom_layer_desc d;
    nnom_layer_desc_init(&d);
    size_t size;
    int8_t s8[1] = {0};
    const nnom_status st[] = {
        nnom_model_add_input(m, "x", (nnom_shape){1, {1, 0, 0}}, (nnom_quant){1.0f, 0}, NULL),
        nnom_model_add_layer(m, &d, NULL),
        nnom_model_compile(m),
        nnom_model_keep_all_outputs(m, 1),
        nnom_model_observe_internals(m, 1),
        nnom_model_save(m, NULL, 0, &size),
        nnom_model_set_arena(m, s8, 1),
        nnom_model_alloc_arena(m),
        nnom_model_run(m),
        nnom_model_input_info(c, 0, &ti),
        nnom_model_output_info(c, 0, &ti),
        nnom_model_set_input_s8(m, 0, s8, 1),
        nnom_model_set_input_f32(m, 0, v, 1),
        nnom_model_get_output_s8(m, 0, s8, 1),
        nnom_model_get_output_f32(m, 0, v, 1),
        nnom_model_layer_info(c, 0, &li),
        nnom_model_layer_blobs(c, 0, blobs),
        nnom_model_layer_stats(c, 0, &ls),
        nnom_model_reset_state(m),
        nnom_model_state(m, 0, 0, v, 1),
        nnom_model_set_state(m, 0, 0, v, 1),
        nnom_evaluate(m, v, (const int32_t *)(const void *)v, 1, NULL),
    };
    for (size_t k = 0; k < sizeof st / sizeof st[0]; k++)
        TU_CHECK(st[k] == NNOM_ERR_ARGUMENT, "call %zu with a NULL model: %s", k, nnom_status_name(st[k]));
    nnom_model_reset_stats(m);
    nnom_model_allow_nonfinite(m, 1);
    nnom_model_destroy(m);
}

/* The scratch of an int8 convolution is what kernels/conv.h describes, computed here from its words. */
static void conv_scratch_as_documented(void)
{
    static const int32_t sides[] = {1, 2, 3, 5, 7};
    static const int32_t channels[] = {1, 2, 3, 4, 5, 8, 13, 16, 28, 64, 100, 257, 512, 1000, 3641};
    int checked = 0;
    for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++)
        for (size_t j = 0; j < sizeof sides / sizeof sides[0]; j++)
            for (size_t c = 0; c < sizeof channels / sizeof channels[0]; c++) {
                const int64_t k = (int64_t)sides[i] * sides[j] * channels[c];
                if (k > NNOM_CONV_MAX_PATCH) continue;
                nnom_conv_args a;
                memset(&a, 0, sizeof a);
                a.k_h = sides[i];
                a.k_w = sides[j];
                a.in_c = channels[c];
                const int64_t kp = (k + 15) / 16 * 16, col = 2 * kp;
                const int64_t portable_fast = (4 * col <= 512 ? 4 : (2 * col <= 512 ? 2 : 1)) * col;
                const int64_t groups = (k + 3) / 4, staged = channels[c] % 4 ? 4 * groups + 4 : 0;
                /* DSP: the columns of four pixels (32 bytes a group; patches below 128) or two (16 bytes
                 * a group) while at most 8192 bytes; else one column (staged) or four-pixel chunks in
                 * 4096 bytes; least: the full-speed size while four pixels' columns would take at
                 * most 512 bytes, else one column (staged), or the smallest of half the groups of four
                 * columns, the full-speed size and 4096 */
                const int64_t cols = (k < 128 ? 32 : 16) * groups;
                const int64_t dsp_fast = cols <= 8192 ? cols + staged : (staged ? 8 * groups + staged : 4096 / 32 * 32);
                const int64_t half = (groups + 1) / 2 * 32;
                int64_t dsp_least = staged ? 8 * groups + staged : (half < dsp_fast ? half : dsp_fast);
                if (!staged && dsp_least > 4096) dsp_least = 4096;
                /* (whole below 512 bytes: below that, saving bytes costs whole pixel passes) */
                if (32 * groups + staged <= 512) dsp_least = dsp_fast;
                const int64_t least = portable_fast > dsp_least ? portable_fast : dsp_least;
                int64_t fast = portable_fast > dsp_fast ? portable_fast : dsp_fast;
                if (fast < least) fast = least;
                /* CMSIS-NN's two int16 columns: 4 k bytes (k rounded up to whole groups, and to 32 bytes) */
                const int64_t bound = 16 * groups + 16 > 512 ? 16 * groups + 16 : 512;
                /* all they can use: the DSP kernel's eight pixels' columns (64 bytes a group) for
                 * patches of at most 64, three pixels' (24 bytes a group) from 128 while at most 8192 */
                int64_t room = k <= 64 && 64 * groups + staged > fast ? 64 * groups + staged : fast;
                if (k >= 128 && 24 * groups <= 8192 && 24 * groups + staged > fast) room = 24 * groups + staged;
                const uint32_t got = nnom_conv2d_s8_scratch_bytes(&a), got_fast = nnom_conv2d_s8_scratch_fast_bytes(&a);
                const uint32_t got_room = nnom_conv2d_s8_scratch_room_bytes(&a);
                TU_CHECK(got == (uint32_t)least && got_fast == (uint32_t)fast && got_room == (uint32_t)room &&
                             least <= bound,
                         "k %dx%dx%d: scratch %u / fast %u / room %u, documented %lld / %lld / %lld (bound %lld)",
                         (int)a.k_h, (int)a.k_w, (int)a.in_c, (unsigned)got, (unsigned)got_fast, (unsigned)got_room,
                         (long long)least, (long long)fast, (long long)room, (long long)bound);
                checked++;
            }
    TU_CHECK(checked > 200, "%d patch shapes", checked);
}

/* A model allocates its message buffer at its first failure; when that allocation fails too, the
 * message is the status's name. */
static void message_at_first_failure(void)
{
    counting c;
    nnom_allocator a;
    const nnom_options o = counting_options(&c, &a, 0);
    nnom_model *m = tu_model_new(NNOM_DTYPE_S8, &o);
    const long before = c.calls;
    TU_CHECK(strcmp(nnom_model_last_error(m), "") == 0, "a new model's message: '%s'", nnom_model_last_error(m));
    TU_CHECK(c.calls == before, "asking for the message allocated");
    c.fail_at = c.calls; /* the message buffer cannot be allocated */
    TU_CHECK(nnom_model_run(m) == NNOM_ERR_STATE, "running an empty model");
    TU_CHECK(strcmp(nnom_model_last_error(m), "NNOM_ERR_STATE") == 0, "without memory for its text, the message "
             "is the status: '%s'", nnom_model_last_error(m));
    c.fail_at = -1;
    TU_CHECK(nnom_model_run(m) == NNOM_ERR_STATE, "running an empty model again");
    TU_CHECK(contains(nnom_model_last_error(m), "compile the model before running it"), "the message: '%s'",
             nnom_model_last_error(m));
    const long live = c.live;
    TU_CHECK(nnom_model_alloc_arena(m) == NNOM_ERR_STATE && c.live == live, "a second message took memory");
    nnom_model_destroy(m);
    TU_CHECK(c.live == 0, "%ld allocations leaked", c.live);
}

int main(void)
{
    tu_seed(1111);
    message_at_first_failure();
    plan_limit();
    compile_retry();
    load_with_failing_allocator();
    evaluate_two_inputs();
    writer_sums_in_64_bits();
    pool_copies();
    null_models();
    conv_scratch_as_documented();
    return tu_finish("test_hardening");
}

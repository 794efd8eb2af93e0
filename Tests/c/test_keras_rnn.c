/*
 * Recurrent layers end to end against Keras: every rnn_* fixture of
 * Tests/fixtures/keras (make_fixtures.py) in its three layouts (.keras, Keras 3
 * legacy .h5, Keras 2 .h5) is read by nnom_keras_read(); the float32 model
 * must reproduce Keras' outputs within 1e-4 of each output's range. The
 * stateful fixture is run as Keras ran it: sequence b of each of 3 successive
 * calls continues sequence b of the call before, from zero states. The int8
 * model (calibrated on the fixture's inputs) must stay within SQNR_FLOOR dB of
 * the float one on every output, and its .nnom file must load and give the
 * very same bytes.
 *
 * The digits read as sequences (rnn_digits_gru, rnn_digits_lstm: 8 rows of 8
 * pixels, trained by make_fixtures.py): the float model reproduces Keras and
 * the int8 one's top-1 accuracy on the 500 held-out images is within 1 point
 * of it.
 *
 * rnn_return_state reads the states of layers with return_state=True (Keras'
 * tensors 1 and 2 of the call: RNN_STATE layers).
 *
 * Then the converter's messages: a fixture's config edited (time_major,
 * return_state inside a Bidirectional, an unsupported activation, merge_mode=None, units that do not
 * fit the weights) must fail with a message naming the layer, its class and
 * the option.
 *
 * Needs only the committed fixtures, never Python.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include <cJSON.h>
#include <zip.h>

#include "nnom/tools.h"
#include "test_util.h"

#define MAX_IO 8
/* float32 against Keras: max |error| <= FLOAT_RTOL * max |Keras output|, per output */
#define FLOAT_RTOL 1e-4
/* int8 against float32, per output, in dB */
#define SQNR_FLOOR 25.0

typedef struct fixture {
    const char *name;
    int calls; /* > 1: stateful, the batch is `calls` successive calls */
} fixture;

static const fixture FIXTURES[] = {
    {"rnn_simple", 1},        {"rnn_gru", 1},        {"rnn_lstm", 1},     {"rnn_bidirectional", 1},
    {"rnn_stacked", 1},       {"rnn_conv1d_gru", 1}, {"rnn_stateful", 3},  {"rnn_return_state", 1},
};
#define N_FIXTURES ((int)(sizeof FIXTURES / sizeof FIXTURES[0]))

static const char *const LAYOUTS[] = {".keras", ".h5", ".k2.h5"};
#define N_LAYOUTS 3

static char tmp_dir[256];

static void fixture_path(char *buf, size_t size, const char *name, const char *suffix)
{
    snprintf(buf, size, "%s/keras/%s%s", NNOM_FIXTURES_DIR, name, suffix);
}

static int file_exists(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f) fclose(f);
    return f != NULL;
}

/* ------------------------------------------------------------------ fixture data */

typedef struct fixture_data {
    int n_out;
    int64_t batch, in_count, out_count[MAX_IO];
    nnom_array in;
    nnom_array out[MAX_IO], k2_out[MAX_IO];
} fixture_data;

static void free_data(fixture_data *d)
{
    nnom_array_free(&d->in);
    for (int i = 0; i < MAX_IO; i++) {
        nnom_array_free(&d->out[i]);
        nnom_array_free(&d->k2_out[i]);
    }
}

static int read_npy(const char *name, const char *suffix, nnom_array *a)
{
    char path[512];
    nnom_error err;
    fixture_path(path, sizeof path, name, suffix);
    if (!file_exists(path)) return 0;
    nnom_status st = nnom_npy_read(path, a, &err);
    TU_CHECK(st == NNOM_OK, "%s: %s", path, err.message);
    return st == NNOM_OK;
}

/* The single input, Keras 3's outputs and Keras 2's where they differ (hard_sigmoid). */
static int load_data(const char *name, fixture_data *d)
{
    memset(d, 0, sizeof *d);
    TU_CHECK(read_npy(name, ".input.npy", &d->in), "%s: no input", name);
    if (!d->in.data) return 0;
    d->batch = d->in.dims[0];
    d->in_count = d->in.count / d->batch;
    char suffix[64];
    if (read_npy(name, ".output.npy", &d->out[0])) {
        d->n_out = 1;
        read_npy(name, ".k2.output.npy", &d->k2_out[0]);
    } else {
        for (; d->n_out < MAX_IO; d->n_out++) {
            snprintf(suffix, sizeof suffix, ".output%d.npy", d->n_out);
            if (!read_npy(name, suffix, &d->out[d->n_out])) break;
            snprintf(suffix, sizeof suffix, ".k2.output%d.npy", d->n_out);
            read_npy(name, suffix, &d->k2_out[d->n_out]);
        }
    }
    TU_CHECK(d->n_out > 0, "%s: no outputs", name);
    for (int o = 0; o < d->n_out; o++) {
        TU_CHECK(d->out[o].dims[0] == d->batch, "%s: output %d has a bad batch", name, o);
        if (d->out[o].dims[0] != d->batch) return 0;
        d->out_count[o] = d->out[o].count / d->batch;
    }
    return d->n_out > 0;
}

/* ------------------------------------------------------------------ running */

/*
 * Runs @p m on every sample, outputs to out[o] (batch x out_count floats). A stateful fixture
 * (@p calls > 1) holds calls x B samples: sample k*B + b continues sample (k-1)*B + b, so each
 * sequence b runs its calls in order, from zero states.
 */
static int run_batch(nnom_model *m, const fixture_data *d, int calls, float **out, int8_t **out_s8, const char *what)
{
    const int64_t per_call = d->batch / calls;
    for (int64_t b = 0; b < per_call; b++) {
        nnom_status st = nnom_model_reset_state(m);
        for (int k = 0; k < calls && st == NNOM_OK; k++) {
            const int64_t s = (int64_t)k * per_call + b;
            st = nnom_model_set_input_f32(m, 0, d->in.data + s * d->in_count, (size_t)d->in_count);
            if (st == NNOM_OK) st = nnom_model_run(m);
            for (int o = 0; o < d->n_out && st == NNOM_OK; o++) {
                st = nnom_model_get_output_f32(m, o, out[o] + s * d->out_count[o], (size_t)d->out_count[o]);
                if (st == NNOM_OK && out_s8)
                    st = nnom_model_get_output_s8(m, o, out_s8[o] + s * d->out_count[o], (size_t)d->out_count[o]);
            }
        }
        if (st != NNOM_OK) {
            TU_CHECK(0, "%s: sample %lld: %s: %s", what, (long long)b, nnom_status_name(st), nnom_model_last_error(m));
            return 0;
        }
    }
    return 1;
}

typedef struct result {
    char status[48];
    double float_err; /* worst max|error| / max|Keras| over the outputs */
    int float_worst;
    double sqnr;      /* worst int8 SQNR over the outputs */
    int sqnr_worst;
} result;

static double sqnr_db(const float *ref, const float *x, size_t n)
{
    double sig = 0.0, err = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double e = (double)ref[i] - (double)x[i];
        sig += (double)ref[i] * ref[i];
        err += e * e;
    }
    if (err == 0.0) return 200.0;
    if (sig == 0.0) return -200.0;
    const double db = 10.0 * log10(sig / err);
    return db > 200.0 ? 200.0 : db;
}

/* Calibration samples: the fixture's inputs, a stateful one's in the order its sequences run. */
static float *calibration_samples(const fixture_data *d, int calls)
{
    float *calib = (float *)malloc((size_t)d->in.count * sizeof(float));
    TU_REQUIRE(calib != NULL, "out of memory");
    const int64_t per_call = d->batch / calls;
    int64_t n = 0;
    for (int64_t b = 0; b < per_call; b++)
        for (int k = 0; k < calls; k++, n++)
            memcpy(calib + n * d->in_count, d->in.data + ((int64_t)k * per_call + b) * d->in_count,
                   (size_t)d->in_count * sizeof(float));
    return calib;
}

static void print_report(nnom_converter *c, const float *calib, size_t n)
{
    nnom_layer_report rows[64];
    int32_t count = 0;
    if (nnom_converter_report(c, calib, n, rows, 64, &count, NULL) != NNOM_OK) {
        fprintf(stderr, "      (report failed: %s)\n", nnom_converter_last_error(c));
        return;
    }
    for (int32_t r = 0; r < count && r < 64; r++)
        fprintf(stderr, "      %-24s %-14s %7.1f dB  [%g, %g]\n", rows[r].name, rows[r].type_name, rows[r].sqnr_db,
                (double)rows[r].min, (double)rows[r].max);
}

/* Saves the int8 model, loads it back: the same bytes on every sample. */
static void check_saved_file(nnom_converter *c, const fixture_data *d, int calls, int8_t **expected,
                             const char *what)
{
    char path[512];
    snprintf(path, sizeof path, "%s/model.nnom", tmp_dir);
    nnom_status st = nnom_converter_save(c, path);
    TU_CHECK(st == NNOM_OK, "%s: save: %s", what, nnom_converter_last_error(c));
    if (st != NNOM_OK) return;
    FILE *f = fopen(path, "rb");
    TU_REQUIRE(f != NULL, "%s: cannot read back %s", what, path);
    fseek(f, 0, SEEK_END);
    const long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *bytes = malloc((size_t)size);
    TU_REQUIRE(bytes && fread(bytes, 1, (size_t)size, f) == (size_t)size, "read %s", path);
    fclose(f);
    remove(path);
    nnom_model *m = NULL;
    nnom_error err;
    st = nnom_model_load(bytes, (size_t)size, NULL, &m, &err);
    TU_CHECK(st == NNOM_OK, "%s: load: %s", what, err.message);
    float *f32[MAX_IO] = {0};
    int8_t *s8[MAX_IO] = {0};
    for (int o = 0; o < d->n_out; o++) {
        f32[o] = (float *)malloc((size_t)d->out[o].count * sizeof(float));
        s8[o] = (int8_t *)malloc((size_t)d->out[o].count);
        TU_REQUIRE(f32[o] && s8[o], "out of memory");
    }
    if (st == NNOM_OK && nnom_model_alloc_arena(m) == NNOM_OK && run_batch(m, d, calls, f32, s8, what))
        for (int o = 0; o < d->n_out; o++) {
            int64_t diff = 0;
            for (int64_t i = 0; i < d->out[o].count; i++) diff += s8[o][i] != expected[o][i];
            TU_CHECK(diff == 0, "%s: output %d of the loaded .nnom differs in %lld values", what, o, (long long)diff);
        }
    for (int o = 0; o < MAX_IO; o++) {
        free(f32[o]);
        free(s8[o]);
    }
    nnom_model_destroy(m);
    free(bytes);
}

static void run_fixture_layout(const fixture *fx, const fixture_data *d, const char *layout, result *res)
{
    char path[512], what[128];
    fixture_path(path, sizeof path, fx->name, layout);
    snprintf(what, sizeof what, "%s%s", fx->name, layout);
    res->float_err = -1.0;
    res->float_worst = -1;
    res->sqnr = 1000.0;
    res->sqnr_worst = -1;
    snprintf(res->status, sizeof res->status, "ok");
    nnom_converter *c = NULL;
    nnom_error err;
    nnom_status st = nnom_keras_read(path, &c, &err);
    TU_CHECK(st == NNOM_OK, "%s: nnom_keras_read: %s: %s", what, nnom_status_name(st), err.message);
    if (st != NNOM_OK) {
        snprintf(res->status, sizeof res->status, "read: %s", nnom_status_name(st));
        return;
    }
    nnom_model *fm = nnom_converter_float_model(c);
    float *ref[MAX_IO] = {0}, *q[MAX_IO] = {0};
    int8_t *q8[MAX_IO] = {0};
    float *calib = NULL;
    for (int o = 0; o < d->n_out; o++) {
        ref[o] = (float *)malloc((size_t)d->out[o].count * sizeof(float));
        q[o] = (float *)malloc((size_t)d->out[o].count * sizeof(float));
        q8[o] = (int8_t *)malloc((size_t)d->out[o].count);
        TU_REQUIRE(ref[o] && q[o] && q8[o], "out of memory");
    }
    TU_CHECK(nnom_model_output_count(fm) == d->n_out, "%s: %d outputs, Keras has %d", what,
             (int)nnom_model_output_count(fm), d->n_out);
    if (nnom_model_output_count(fm) != d->n_out) {
        snprintf(res->status, sizeof res->status, "float: wrong outputs");
        goto done;
    }
    st = nnom_model_alloc_arena(fm);
    TU_CHECK(st == NNOM_OK, "%s: float arena: %s", what, nnom_model_last_error(fm));
    if (st != NNOM_OK || !run_batch(fm, d, fx->calls, ref, NULL, what)) {
        snprintf(res->status, sizeof res->status, "float: run failed");
        goto done;
    }
    for (int o = 0; o < d->n_out; o++) {
        const nnom_array *k = (strcmp(layout, ".k2.h5") == 0 && d->k2_out[o].data) ? &d->k2_out[o] : &d->out[o];
        double max_ref = 0.0;
        for (int64_t i = 0; i < k->count; i++) max_ref = fmax(max_ref, fabs((double)k->data[i]));
        const double max_err = tu_max_abs_diff_f32(ref[o], k->data, (size_t)k->count);
        const double rel = max_err / (max_ref > 0.0 ? max_ref : 1.0);
        if (rel > res->float_err) {
            res->float_err = rel;
            res->float_worst = o;
        }
        TU_CHECK(max_err <= FLOAT_RTOL * max_ref, "%s: float32 output %d differs from Keras by %.3g (max |Keras| %.3g)",
                 what, o, max_err, max_ref);
        if (max_err > FLOAT_RTOL * max_ref) snprintf(res->status, sizeof res->status, "float: mismatch");
    }

    /* int8 against float32 */
    calib = calibration_samples(d, fx->calls);
    st = nnom_converter_quantize(c, calib, (size_t)d->batch, NULL);
    TU_CHECK(st == NNOM_OK, "%s: quantize: %s: %s", what, nnom_status_name(st), nnom_converter_last_error(c));
    if (st != NNOM_OK) {
        snprintf(res->status, sizeof res->status, "quantize: %s", nnom_status_name(st));
        goto done;
    }
    nnom_model *qm = nnom_converter_int8_model(c);
    st = nnom_model_alloc_arena(qm);
    TU_CHECK(st == NNOM_OK, "%s: int8 arena: %s", what, nnom_model_last_error(qm));
    if (st != NNOM_OK || !run_batch(qm, d, fx->calls, q, q8, what)) {
        snprintf(res->status, sizeof res->status, "int8: run failed");
        goto done;
    }
    int sqnr_ok = 1;
    for (int o = 0; o < d->n_out; o++) {
        const double db = sqnr_db(ref[o], q[o], (size_t)d->out[o].count);
        if (db < res->sqnr) {
            res->sqnr = db;
            res->sqnr_worst = o;
        }
        TU_CHECK(db >= SQNR_FLOOR, "%s: int8 output %d: SQNR %.1f dB < %.0f dB", what, o, db, SQNR_FLOOR);
        sqnr_ok &= db >= SQNR_FLOOR;
    }
    if (!sqnr_ok) {
        snprintf(res->status, sizeof res->status, "int8: SQNR low");
        fprintf(stderr, "    %s: per-layer SQNR:\n", what);
        print_report(c, calib, (size_t)d->batch);
    }
    check_saved_file(c, d, fx->calls, q8, what);
done:
    for (int o = 0; o < MAX_IO; o++) {
        free(ref[o]);
        free(q[o]);
        free(q8[o]);
    }
    free(calib);
    nnom_converter_destroy(c);
}

/* Every rnn_*.keras of the folder is in the table (or a digits model, test_digits_rnn()). */
static void check_table_is_complete(void)
{
    char dir_path[512];
    snprintf(dir_path, sizeof dir_path, "%s/keras", NNOM_FIXTURES_DIR);
    DIR *dir = opendir(dir_path);
    TU_REQUIRE(dir != NULL, "cannot list %s", dir_path);
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        const size_t n = strlen(e->d_name);
        if (n < 7 || strcmp(e->d_name + n - 6, ".keras") != 0 || strncmp(e->d_name, "rnn_", 4) != 0) continue;
        if (strncmp(e->d_name, "rnn_digits_", 11) == 0) continue;
        int found = 0;
        for (int f = 0; f < N_FIXTURES; f++)
            found |= strlen(FIXTURES[f].name) == n - 6 && strncmp(FIXTURES[f].name, e->d_name, n - 6) == 0;
        TU_CHECK(found, "fixture %s is not in this test's table", e->d_name);
    }
    closedir(dir);
}

static void test_fixtures(void)
{
    static result results[N_FIXTURES][N_LAYOUTS];
    for (int f = 0; f < N_FIXTURES; f++) {
        fixture_data d;
        if (!load_data(FIXTURES[f].name, &d)) {
            free_data(&d);
            for (int l = 0; l < N_LAYOUTS; l++) snprintf(results[f][l].status, sizeof results[f][l].status, "no data");
            continue;
        }
        for (int l = 0; l < N_LAYOUTS; l++) run_fixture_layout(&FIXTURES[f], &d, LAYOUTS[l], &results[f][l]);
        free_data(&d);
    }
    printf("\n%-20s %-7s %12s %5s %9s %5s  %s\n", "fixture", "layout", "float err", "(out)", "int8 SQNR", "(out)",
           "status");
    for (int f = 0; f < N_FIXTURES; f++)
        for (int l = 0; l < N_LAYOUTS; l++) {
            const result *r = &results[f][l];
            char ferr[32] = "-", sq[32] = "-";
            if (r->float_worst >= 0) snprintf(ferr, sizeof ferr, "%.2e", r->float_err);
            if (r->sqnr_worst >= 0) snprintf(sq, sizeof sq, "%.1f dB", r->sqnr);
            printf("%-20s %-7s %12s %5d %9s %5d  %s\n", FIXTURES[f].name, LAYOUTS[l], ferr, r->float_worst, sq,
                   r->sqnr_worst, r->status);
        }
    printf("(float err: worst max|nnom - Keras| / max|Keras| over the outputs, limit %.0e; int8 SQNR: worst output "
           "against float32, floor %.0f dB)\n\n", FLOAT_RTOL, SQNR_FLOOR);
}

/* ------------------------------------------------------------------ digits as sequences */

static int argmax(const float *v, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return best;
}

static void test_digits_rnn(const char *name)
{
    char path[512];
    nnom_error err;
    nnom_array x, y, keras_out, calib;
    memset(&x, 0, sizeof x);
    memset(&y, 0, sizeof y);
    memset(&keras_out, 0, sizeof keras_out);
    memset(&calib, 0, sizeof calib);
    fixture_path(path, sizeof path, "digits_test_x", ".npy");
    TU_REQUIRE(nnom_npy_read(path, &x, &err) == NNOM_OK, "%s: %s", path, err.message);
    fixture_path(path, sizeof path, "digits_test_y", ".npy");
    TU_REQUIRE(nnom_npy_read(path, &y, &err) == NNOM_OK, "%s: %s", path, err.message);
    fixture_path(path, sizeof path, name, ".output.npy");
    TU_REQUIRE(nnom_npy_read(path, &keras_out, &err) == NNOM_OK, "%s: %s", path, err.message);
    fixture_path(path, sizeof path, "digits_calib_x", ".npy");
    TU_REQUIRE(nnom_npy_read(path, &calib, &err) == NNOM_OK, "%s: %s", path, err.message);
    const int64_t n = x.dims[0], per = x.count / n, classes = keras_out.count / n;
    TU_REQUIRE(per == 64 && y.count == n && classes == 10 && calib.count % 64 == 0, "digits fixtures' shapes");
    float *fout = (float *)malloc((size_t)(n * classes) * sizeof(float));
    float *qout = (float *)malloc((size_t)(n * classes) * sizeof(float));
    TU_REQUIRE(fout && qout, "out of memory");

    fixture_path(path, sizeof path, name, ".keras");
    nnom_converter *c = NULL;
    nnom_status st = nnom_keras_read(path, &c, &err);
    TU_CHECK(st == NNOM_OK, "%s: %s", path, err.message);
    if (st != NNOM_OK) goto done;
    nnom_model *fm = nnom_converter_float_model(c);
    TU_OK(fm, nnom_model_alloc_arena(fm));
    int fcorrect = 0, qcorrect = 0, agree = 0;
    for (int64_t s = 0; s < n; s++) {
        /* an (8, 8, 1) image is the (8, 8) sequence of its rows */
        TU_OK(fm, nnom_model_set_input_f32(fm, 0, x.data + s * per, (size_t)per));
        TU_OK(fm, nnom_model_run(fm));
        TU_OK(fm, nnom_model_get_output_f32(fm, 0, fout + s * classes, (size_t)classes));
        fcorrect += argmax(fout + s * classes, (int)classes) == (int)y.data[s];
    }
    double max_ref = 0.0;
    for (int64_t i = 0; i < n * classes; i++) max_ref = fmax(max_ref, fabs((double)keras_out.data[i]));
    const double max_err = tu_max_abs_diff_f32(fout, keras_out.data, (size_t)(n * classes));
    TU_CHECK(max_err <= FLOAT_RTOL * max_ref, "%s: float32 differs from Keras by %.3g", name, max_err);

    st = nnom_converter_quantize(c, calib.data, (size_t)(calib.count / 64), NULL);
    TU_CHECK(st == NNOM_OK, "%s: quantize: %s", name, nnom_converter_last_error(c));
    if (st != NNOM_OK) goto done;
    nnom_model *qm = nnom_converter_int8_model(c);
    TU_OK(qm, nnom_model_alloc_arena(qm));
    for (int64_t s = 0; s < n; s++) {
        TU_OK(qm, nnom_model_set_input_f32(qm, 0, x.data + s * per, (size_t)per));
        TU_OK(qm, nnom_model_run(qm));
        TU_OK(qm, nnom_model_get_output_f32(qm, 0, qout + s * classes, (size_t)classes));
        const int q = argmax(qout + s * classes, (int)classes);
        qcorrect += q == (int)y.data[s];
        agree += q == argmax(fout + s * classes, (int)classes);
    }
    const double facc = (double)fcorrect / (double)n, qacc = (double)qcorrect / (double)n;
    TU_CHECK(facc >= 0.95, "%s: float32 accuracy %.4f", name, facc);
    TU_CHECK(fabs(qacc - facc) <= 0.01, "%s: int8 accuracy %.2f%% is more than 1 point from float32 %.2f%%", name,
             100.0 * qacc, 100.0 * facc);
    printf("%s: %lld test sequences: float32 accuracy %.2f%% (max error against Keras %.2g), int8 accuracy %.2f%%, "
           "top-1 agreement %.2f%%, output SQNR %.1f dB, weights %lu bytes, arena %lu bytes, state %lu bytes\n",
           name, (long long)n, 100.0 * facc, max_err, 100.0 * qacc, 100.0 * agree / (double)n,
           sqnr_db(fout, qout, (size_t)(n * classes)), (unsigned long)nnom_model_weight_bytes(qm),
           (unsigned long)nnom_model_arena_size(qm), (unsigned long)nnom_model_state_size(qm));
done:
    nnom_converter_destroy(c);
    free(fout);
    free(qout);
    nnom_array_free(&x);
    nnom_array_free(&y);
    nnom_array_free(&keras_out);
    nnom_array_free(&calib);
}

/* ------------------------------------------------------------------ converter messages */

/* The entries of a .keras zip, to write again with an edited config. */
typedef struct archive {
    int n;
    char name[8][64];
    char *data[8];
    size_t size[8];
} archive;

static void read_archive(const char *path, archive *a)
{
    memset(a, 0, sizeof *a);
    int code = 0;
    zip_t *z = zip_open(path, ZIP_RDONLY, &code);
    TU_REQUIRE(z != NULL, "zip_open %s: %d", path, code);
    const zip_int64_t n = zip_get_num_entries(z, 0);
    TU_REQUIRE(n > 0 && n <= 8, "%s: %lld entries", path, (long long)n);
    for (zip_int64_t i = 0; i < n; i++) {
        zip_stat_t zs;
        TU_REQUIRE(zip_stat_index(z, (zip_uint64_t)i, 0, &zs) == 0, "zip_stat");
        snprintf(a->name[i], sizeof a->name[i], "%s", zs.name);
        a->size[i] = (size_t)zs.size;
        a->data[i] = (char *)malloc(a->size[i] + 1);
        zip_file_t *f = zip_fopen_index(z, (zip_uint64_t)i, 0);
        TU_REQUIRE(a->data[i] && f && zip_fread(f, a->data[i], zs.size) == (zip_int64_t)zs.size, "read %s", zs.name);
        a->data[i][a->size[i]] = '\0';
        zip_fclose(f);
    }
    a->n = (int)n;
    zip_close(z);
}

static void free_archive(archive *a)
{
    for (int i = 0; i < a->n; i++) free(a->data[i]);
}

/* Writes @p a to @p path with config.json replaced by @p config. */
static void write_archive(const archive *a, const char *path, const char *config)
{
    int code = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &code);
    TU_REQUIRE(z != NULL, "zip_open %s: %d", path, code);
    for (int i = 0; i < a->n; i++) {
        const int is_config = strcmp(a->name[i], "config.json") == 0;
        const char *data = is_config ? config : a->data[i];
        const size_t size = is_config ? strlen(config) : a->size[i];
        zip_source_t *s = zip_source_buffer(z, data, size, 0);
        TU_REQUIRE(s != NULL, "zip_source_buffer");
        zip_int64_t idx = zip_file_add(z, a->name[i], s, ZIP_FL_OVERWRITE);
        TU_REQUIRE(idx >= 0, "zip_file_add: %s", zip_strerror(z));
        zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
    }
    TU_REQUIRE(zip_close(z) == 0, "zip_close %s", path);
}

/* The config object of the layer that computes model output @p index, or of its wrapped layer. */
static cJSON *output_layer_config(cJSON *root, int index, int wrapped)
{
    cJSON *cfg = cJSON_GetObjectItem(root, "config");
    cJSON *outs = cJSON_GetObjectItem(cfg, "output_layers");
    cJSON *ref = cJSON_GetArrayItem(outs, index);
    const char *name = cJSON_GetStringValue(cJSON_GetArrayItem(ref, 0));
    cJSON *layer;
    cJSON_ArrayForEach(layer, cJSON_GetObjectItem(cfg, "layers"))
    {
        if (name && strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(layer, "name")), name) == 0) {
            cJSON *c = cJSON_GetObjectItem(layer, "config");
            return wrapped ? cJSON_GetObjectItem(cJSON_GetObjectItem(c, "layer"), "config") : c;
        }
    }
    TU_REQUIRE(0, "output %d has no layer in the config", index);
    return NULL;
}

static void set_option(cJSON *cfg, const char *key, cJSON *value)
{
    if (cJSON_GetObjectItem(cfg, key)) cJSON_ReplaceItemInObject(cfg, key, value);
    else cJSON_AddItemToObject(cfg, key, value);
}

typedef struct edit_case {
    const char *what, *fixture;
    int output, wrapped;
    const char *key;
    cJSON *(*value)(void);
    nnom_status status;
    const char *words[4];
} edit_case;

static cJSON *v_true(void) { return cJSON_CreateTrue(); }
static cJSON *v_null(void) { return cJSON_CreateNull(); }
static cJSON *v_softplus(void) { return cJSON_CreateString("softplus"); }
static cJSON *v_swish(void) { return cJSON_CreateString("swish"); }
static cJSON *v_units9(void) { return cJSON_CreateNumber(9); }
static cJSON *v_dropout(void) { return cJSON_CreateNumber(0.25); }

static void test_messages(void)
{
    static const edit_case cases[] = {
        {"time_major", "rnn_lstm", 0, 0, "time_major", v_true, NNOM_ERR_UNSUPPORTED, {"LSTM", "time_major=True"}},
        {"activation", "rnn_simple", 0, 0, "activation", v_softplus, NNOM_ERR_UNSUPPORTED,
         {"SimpleRNN", "softplus", "tanh, sigmoid"}},
        {"recurrent_activation", "rnn_lstm", 1, 0, "recurrent_activation", v_swish, NNOM_ERR_UNSUPPORTED,
         {"LSTM", "recurrent_activation 'swish'"}},
        {"units", "rnn_gru", 0, 0, "units", v_units9, NNOM_ERR_SHAPE, {"GRU", "kernel", "(3, 15)", "(3, 27)"}},
        {"merge_mode None", "rnn_bidirectional", 0, 0, "merge_mode", v_null, NNOM_ERR_UNSUPPORTED,
         {"Bidirectional", "merge_mode=None"}},
        {"wrapped time_major", "rnn_bidirectional", 1, 1, "time_major", v_true, NNOM_ERR_UNSUPPORTED,
         {"Bidirectional", "its GRU: time_major=True"}},
        {"wrapped return_state", "rnn_bidirectional", 1, 1, "return_state", v_true, NNOM_ERR_UNSUPPORTED,
         {"Bidirectional", "its GRU: return_state=True"}},
    };
    char src[512], dst[512];
    snprintf(dst, sizeof dst, "%s/edited.keras", tmp_dir);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const edit_case *e = &cases[i];
        fixture_path(src, sizeof src, e->fixture, ".keras");
        archive a;
        read_archive(src, &a);
        cJSON *root = NULL;
        for (int k = 0; k < a.n; k++)
            if (strcmp(a.name[k], "config.json") == 0) root = cJSON_Parse(a.data[k]);
        TU_REQUIRE(root != NULL, "%s: no config.json", src);
        cJSON *cfg = output_layer_config(root, e->output, e->wrapped);
        const char *layer_name = cJSON_GetStringValue(cJSON_GetObjectItem(cfg, "name"));
        char name[64];
        snprintf(name, sizeof name, "'%s", layer_name ? layer_name : "?");
        set_option(cfg, e->key, e->value());
        char *text = cJSON_PrintUnformatted(root);
        write_archive(&a, dst, text);
        free(text);
        free_archive(&a);
        nnom_converter *c = NULL;
        nnom_error err;
        memset(&err, 0, sizeof err);
        nnom_status st = nnom_keras_read(dst, &c, &err);
        TU_CHECK(st == e->status, "%s: %s (%s), expected %s", e->what, nnom_status_name(st), err.message,
                 nnom_status_name(e->status));
        if (!e->wrapped) TU_CHECK(strstr(err.message, name), "%s: the message does not name %s': %s", e->what, name,
                                  err.message);
        for (int w = 0; w < 4 && e->words[w]; w++)
            TU_CHECK(strstr(err.message, e->words[w]), "%s: the message lacks \"%s\": %s", e->what, e->words[w],
                     err.message);
        printf("  %-22s %-22s %s\n", e->what, nnom_status_name(st), err.message);
        nnom_converter_destroy(c);
        cJSON_Delete(root);
    }
    /* options that only matter in training are accepted */
    fixture_path(src, sizeof src, "rnn_lstm", ".keras");
    archive a;
    read_archive(src, &a);
    cJSON *root = NULL;
    for (int k = 0; k < a.n; k++)
        if (strcmp(a.name[k], "config.json") == 0) root = cJSON_Parse(a.data[k]);
    TU_REQUIRE(root != NULL, "no config.json");
    set_option(output_layer_config(root, 0, 0), "dropout", v_dropout());
    set_option(output_layer_config(root, 0, 0), "recurrent_dropout", v_dropout());
    set_option(output_layer_config(root, 1, 0), "use_cudnn", cJSON_CreateString("auto"));
    char *text = cJSON_PrintUnformatted(root);
    write_archive(&a, dst, text);
    free(text);
    free_archive(&a);
    cJSON_Delete(root);
    nnom_converter *c = NULL;
    nnom_error err;
    nnom_status st = nnom_keras_read(dst, &c, &err);
    TU_CHECK(st == NNOM_OK, "dropout: %s: %s", nnom_status_name(st), err.message);
    nnom_converter_destroy(c);
    remove(dst);
}

static void remove_tmp_dir(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/edited.keras", tmp_dir);
    remove(path);
    snprintf(path, sizeof path, "%s/model.nnom", tmp_dir);
    remove(path);
    rmdir(tmp_dir);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/nnom_test_keras_rnn_XXXXXX", base && *base ? base : "/tmp");
    TU_REQUIRE(mkdtemp(tmp_dir) != NULL, "cannot create a temporary directory");
    atexit(remove_tmp_dir);
    check_table_is_complete();
    test_fixtures();
    test_digits_rnn("rnn_digits_gru");
    test_digits_rnn("rnn_digits_lstm");
    test_messages();
    return tu_finish("test_keras_rnn");
}

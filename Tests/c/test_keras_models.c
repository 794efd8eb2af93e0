/*
 * End to end against Keras: every fixture of Tests/fixtures/keras (written by
 * make_fixtures.py) in each of its three layouts (.keras, Keras 3 legacy .h5,
 * Keras 2 .h5) is read by nnom_keras_read(); the float32 model must reproduce
 * Keras' own outputs, the int8 model must stay close to the float one (SQNR),
 * and the .nnom file written for it must load and give the very same bytes.
 * The digits CNN checks accuracy and top-1 agreement on real data.
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

#include "nnom/tools.h"
#include "test_util.h"

#define MAX_IO 24
/* float32 model against Keras: max |error| <= FLOAT_RTOL * max |Keras output|, per output */
#define FLOAT_RTOL 1e-4
/* int8 against float32, in dB: single conv and dense layers, and everything else */
#define SQNR_CONV_DENSE 30.0
#define SQNR_OTHERS 25.0
/* fixtures of one layer per output (new layer types are held to this) */
#define SQNR_SINGLE_LAYER 30.0

typedef struct fixture {
    const char *name;
    double sqnr_floor; /* per output, int8 against float32 */
    int k3_only;       /* functions tf_keras lacks: no .k2.h5 layout */
} fixture;

/* Every case make_fixtures.py writes; a missing file is a failure, not a skip. */
static const fixture FIXTURES[] = {
    {"conv1d", SQNR_CONV_DENSE, 0},
    {"conv2d", SQNR_CONV_DENSE, 0},
    {"dwconv1d", SQNR_CONV_DENSE, 0},
    {"dwconv2d", SQNR_CONV_DENSE, 0},
    {"sepconv1d", SQNR_CONV_DENSE, 0},
    {"sepconv2d", SQNR_CONV_DENSE, 0},
    {"dense", SQNR_CONV_DENSE, 0},
    {"layer_norm", SQNR_CONV_DENSE, 0},
    {"attention", SQNR_SINGLE_LAYER, 0},
    {"softmax_axes", SQNR_SINGLE_LAYER, 0},
    {"bn_folded", SQNR_CONV_DENSE, 0},
    {"bn_unfoldable", SQNR_OTHERS, 0},
    {"pool1d", SQNR_OTHERS, 0},
    {"pool2d", SQNR_OTHERS, 0},
    {"merge", SQNR_OTHERS, 0},
    {"concat2d", SQNR_OTHERS, 0},
    {"concat1d", SQNR_OTHERS, 0},
    {"reshape", SQNR_OTHERS, 0},
    {"shapes1d", SQNR_OTHERS, 0},
    {"shapes2d", SQNR_OTHERS, 0},
    {"activations", SQNR_OTHERS, 0},
    {"functions", SQNR_SINGLE_LAYER, 0},
    {"functions_k3", SQNR_SINGLE_LAYER, 1},
    {"time_distributed", SQNR_SINGLE_LAYER, 0},
    {"time_distributed2d", SQNR_SINGLE_LAYER, 0},
    {"merge_minmax", SQNR_SINGLE_LAYER, 0},
    {"mobilenet_v3_block", SQNR_OTHERS, 1},
    {"minmax_block", SQNR_OTHERS, 0},
    {"conv_transpose", SQNR_CONV_DENSE, 0},
    {"conv1d_transpose", SQNR_CONV_DENSE, 0},
    {"conv_transpose_dilated", SQNR_CONV_DENSE, 0},
    {"conv1d_transpose_dilated", SQNR_CONV_DENSE, 0},
    {"broadcast_rows", SQNR_OTHERS, 0},
    {"broadcast_scalar", SQNR_OTHERS, 0},
    {"broadcast_channel", SQNR_OTHERS, 0},
    {"broadcast_vector", SQNR_OTHERS, 0},
    {"rescaling", SQNR_OTHERS, 0},
    {"permute", SQNR_SINGLE_LAYER, 0},
    {"permute1d", SQNR_SINGLE_LAYER, 0},
    {"repeat_vector", SQNR_SINGLE_LAYER, 0},
    {"normalization", SQNR_SINGLE_LAYER, 0},
    {"normalization1d", SQNR_SINGLE_LAYER, 0},
    {"channels_first2d", SQNR_OTHERS, 0},
    {"channels_first1d", SQNR_OTHERS, 0},
    {"channels_first_permute", SQNR_OTHERS, 0},
    {"resnet_block", SQNR_OTHERS, 0},
    {"inception_block", SQNR_OTHERS, 0},
    {"densenet_chain", SQNR_OTHERS, 0},
    {"mobilenet_block", SQNR_OTHERS, 0},
    {"timeseries_conv1d", SQNR_OTHERS, 0},
    {"inline_activations", SQNR_OTHERS, 0},
    {"two_inputs_two_outputs", SQNR_OTHERS, 0},
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

/* Loads NAME<stem>.npy, or NAME<stem>0.npy, NAME<stem>1.npy ...; returns how many were read. */
static int load_arrays(const char *name, const char *stem, nnom_array *arrays, int max)
{
    char path[512], suffix[64];
    nnom_error err;
    snprintf(suffix, sizeof suffix, "%s.npy", stem);
    fixture_path(path, sizeof path, name, suffix);
    if (file_exists(path)) {
        if (nnom_npy_read(path, &arrays[0], &err) != NNOM_OK) {
            TU_CHECK(0, "%s: %s", path, err.message);
            return 0;
        }
        return 1;
    }
    int n = 0;
    for (; n < max; n++) {
        snprintf(suffix, sizeof suffix, "%s%d.npy", stem, n);
        fixture_path(path, sizeof path, name, suffix);
        if (!file_exists(path)) break;
        if (nnom_npy_read(path, &arrays[n], &err) != NNOM_OK) {
            TU_CHECK(0, "%s: %s", path, err.message);
            break;
        }
    }
    return n;
}

/* The inputs and Keras' outputs of one fixture. */
typedef struct fixture_data {
    int n_in, n_out;
    int64_t batch;
    nnom_array in[MAX_IO];
    nnom_array out[MAX_IO];    /* Keras 3 */
    nnom_array k2_out[MAX_IO]; /* Keras 2, where it computes otherwise (data NULL elsewhere) */
    int64_t in_count[MAX_IO], out_count[MAX_IO]; /* per sample */
} fixture_data;

static void free_data(fixture_data *d)
{
    for (int i = 0; i < MAX_IO; i++) {
        nnom_array_free(&d->in[i]);
        nnom_array_free(&d->out[i]);
        nnom_array_free(&d->k2_out[i]);
    }
}

static int load_data(const char *name, fixture_data *d)
{
    memset(d, 0, sizeof *d);
    d->n_in = load_arrays(name, ".input", d->in, MAX_IO);
    d->n_out = load_arrays(name, ".output", d->out, MAX_IO);
    TU_CHECK(d->n_in > 0 && d->n_out > 0, "%s: inputs or outputs missing", name);
    if (d->n_in == 0 || d->n_out == 0) return 0;
    d->batch = d->in[0].dims[0];
    for (int i = 0; i < d->n_in; i++) {
        TU_CHECK(d->in[i].rank >= 2 && d->in[i].dims[0] == d->batch, "%s: input %d has a bad batch", name, i);
        if (d->in[i].rank < 2 || d->in[i].dims[0] != d->batch) return 0;
        d->in_count[i] = d->in[i].count / d->batch;
    }
    for (int o = 0; o < d->n_out; o++) {
        TU_CHECK(d->out[o].rank >= 2 && d->out[o].dims[0] == d->batch, "%s: output %d has a bad batch", name, o);
        if (d->out[o].rank < 2 || d->out[o].dims[0] != d->batch) return 0;
        d->out_count[o] = d->out[o].count / d->batch;
    }
    /* Keras 2's own outputs, only where they differ */
    for (int o = 0; o < d->n_out; o++) {
        char path[512], suffix[64];
        nnom_error err;
        if (d->n_out == 1)
            snprintf(suffix, sizeof suffix, ".k2.output.npy");
        else
            snprintf(suffix, sizeof suffix, ".k2.output%d.npy", o);
        fixture_path(path, sizeof path, name, suffix);
        if (!file_exists(path)) continue;
        if (nnom_npy_read(path, &d->k2_out[o], &err) != NNOM_OK) {
            TU_CHECK(0, "%s: %s", path, err.message);
            return 0;
        }
        TU_CHECK(d->k2_out[o].count == d->out[o].count, "%s: size differs", path);
        if (d->k2_out[o].count != d->out[o].count) return 0;
    }
    return 1;
}

/* Checks the model's inputs and outputs against the fixture's arrays. */
static int check_io(nnom_model *m, const fixture_data *d, const char *what)
{
    int ok = 1;
    TU_CHECK(nnom_model_input_count(m) == d->n_in, "%s: %d inputs, Keras has %d", what, (int)nnom_model_input_count(m),
             d->n_in);
    TU_CHECK(nnom_model_output_count(m) == d->n_out, "%s: %d outputs, Keras has %d", what,
             (int)nnom_model_output_count(m), d->n_out);
    if (nnom_model_input_count(m) != d->n_in || nnom_model_output_count(m) != d->n_out) return 0;
    for (int i = 0; i < d->n_in + d->n_out; i++) {
        const int is_in = i < d->n_in, k = is_in ? i : i - d->n_in;
        const nnom_array *a = is_in ? &d->in[k] : &d->out[k];
        nnom_tensor_info info;
        nnom_status st = is_in ? nnom_model_input_info(m, k, &info) : nnom_model_output_info(m, k, &info);
        int same = st == NNOM_OK && info.shape.rank == a->rank - 1;
        for (int r = 0; same && r < info.shape.rank; r++) same = info.shape.dims[r] == a->dims[r + 1];
        TU_CHECK(same, "%s: %s %d: shape (%d: %d %d %d), Keras (%lld %lld %lld)", what, is_in ? "input" : "output", k,
                 (int)info.shape.rank, (int)info.shape.dims[0], (int)info.shape.dims[1], (int)info.shape.dims[2],
                 (long long)(a->rank > 1 ? a->dims[1] : 0), (long long)(a->rank > 2 ? a->dims[2] : 0),
                 (long long)(a->rank > 3 ? a->dims[3] : 0));
        ok &= same;
    }
    return ok;
}

/*
 * Runs @m on every sample; outputs go to out_f32[o] (batch x out_count floats,
 * dequantised for int8) and, for int8 models, to out_s8[o] when not NULL.
 */
static int run_batch(nnom_model *m, const fixture_data *d, float **out_f32, int8_t **out_s8, const char *what)
{
    for (int64_t s = 0; s < d->batch; s++) {
        for (int i = 0; i < d->n_in; i++) {
            nnom_status st = nnom_model_set_input_f32(m, i, d->in[i].data + s * d->in_count[i], (size_t)d->in_count[i]);
            if (st != NNOM_OK) {
                TU_CHECK(0, "%s: set input %d: %s: %s", what, i, nnom_status_name(st), nnom_model_last_error(m));
                return 0;
            }
        }
        nnom_status st = nnom_model_run(m);
        if (st != NNOM_OK) {
            TU_CHECK(0, "%s: run: %s: %s", what, nnom_status_name(st), nnom_model_last_error(m));
            return 0;
        }
        for (int o = 0; o < d->n_out; o++) {
            const size_t n = (size_t)d->out_count[o];
            st = nnom_model_get_output_f32(m, o, out_f32[o] + s * d->out_count[o], n);
            if (st == NNOM_OK && out_s8) st = nnom_model_get_output_s8(m, o, out_s8[o] + s * d->out_count[o], n);
            if (st != NNOM_OK) {
                TU_CHECK(0, "%s: output %d: %s: %s", what, o, nnom_status_name(st), nnom_model_last_error(m));
                return 0;
            }
        }
    }
    return 1;
}

static double sqnr_db(const float *ref, const float *x, size_t n)
{
    double sig = 0.0, err = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = (double)ref[i] - (double)x[i];
        sig += (double)ref[i] * ref[i];
        err += e * e;
    }
    if (err == 0.0) return 200.0;
    if (sig == 0.0) return -200.0;
    double db = 10.0 * log10(sig / err);
    return db > 200.0 ? 200.0 : db;
}

/* Interleaves the inputs of each sample, as nnom_converter_quantize() wants them. */
static float *calibration_samples(const fixture_data *d)
{
    int64_t per = 0;
    for (int i = 0; i < d->n_in; i++) per += d->in_count[i];
    float *calib = (float *)malloc((size_t)(per * d->batch) * sizeof(float));
    TU_REQUIRE(calib != NULL, "out of memory");
    float *p = calib;
    for (int64_t s = 0; s < d->batch; s++)
        for (int i = 0; i < d->n_in; i++) {
            memcpy(p, d->in[i].data + s * d->in_count[i], (size_t)d->in_count[i] * sizeof(float));
            p += d->in_count[i];
        }
    return calib;
}

/* Prints the converter's per-layer comparison, to tell where the error comes from. */
static void print_report(nnom_converter *c, const fixture_data *d)
{
    float *calib = calibration_samples(d);
    nnom_layer_report rows[128];
    int32_t count = 0;
    if (nnom_converter_report(c, calib, (size_t)d->batch, rows, 128, &count, NULL) == NNOM_OK) {
        for (int32_t r = 0; r < count && r < 128; r++)
            fprintf(stderr, "      %-24s %-18s %7.1f dB  [%g, %g]\n", rows[r].name, rows[r].type_name, rows[r].sqnr_db,
                    (double)rows[r].min, (double)rows[r].max);
    } else {
        fprintf(stderr, "      (report failed: %s)\n", nnom_converter_last_error(c));
    }
    free(calib);
}

/* Reads a whole file into 8-aligned memory. */
static void *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    void *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n > 0 && fseek(f, 0, SEEK_SET) == 0) {
            buf = malloc((size_t)n);
            if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
                free(buf);
                buf = NULL;
            }
            *size = (size_t)n;
        }
    }
    fclose(f);
    return buf;
}

/*
 * Saves the int8 model as .nnom, loads it back and checks that it gives the
 * int8 model's very bytes on every sample.
 */
static void check_saved_file(nnom_converter *c, const fixture_data *d, int8_t **expected, const char *what)
{
    char path[512];
    snprintf(path, sizeof path, "%s/model.nnom", tmp_dir);
    nnom_status st = nnom_converter_save(c, path);
    TU_CHECK(st == NNOM_OK, "%s: nnom_converter_save: %s: %s", what, nnom_status_name(st), nnom_converter_last_error(c));
    if (st != NNOM_OK) return;
    size_t size = 0;
    void *bytes = read_file(path, &size);
    remove(path);
    TU_CHECK(bytes != NULL, "%s: cannot read back %s", what, path);
    if (!bytes) return;
    nnom_model *m = NULL;
    nnom_error err;
    st = nnom_model_load(bytes, size, NULL, &m, &err);
    TU_CHECK(st == NNOM_OK, "%s: nnom_model_load: %s: %s", what, nnom_status_name(st), err.message);
    float *f32[MAX_IO] = {0};
    int8_t *s8[MAX_IO] = {0};
    if (st == NNOM_OK && check_io(m, d, what)) {
        st = nnom_model_alloc_arena(m);
        TU_CHECK(st == NNOM_OK, "%s: arena of the loaded .nnom: %s", what, nnom_model_last_error(m));
        int ok = st == NNOM_OK;
        for (int o = 0; o < d->n_out; o++) {
            f32[o] = (float *)malloc((size_t)d->out[o].count * sizeof(float));
            s8[o] = (int8_t *)malloc((size_t)d->out[o].count);
            ok &= f32[o] && s8[o];
        }
        if (ok && run_batch(m, d, f32, s8, what)) {
            for (int o = 0; o < d->n_out; o++) {
                int64_t diff = 0;
                for (int64_t k = 0; k < d->out[o].count; k++) diff += s8[o][k] != expected[o][k];
                TU_CHECK(diff == 0, "%s: output %d of the loaded .nnom differs from the int8 model in %lld of %lld values",
                         what, o, (long long)diff, (long long)d->out[o].count);
            }
        }
    }
    for (int o = 0; o < MAX_IO; o++) {
        free(f32[o]);
        free(s8[o]);
    }
    nnom_model_destroy(m);
    free(bytes);
}

typedef struct result {
    char status[48];
    double float_err;    /* worst max|error| / max|Keras| over the outputs */
    int float_worst;     /* which output */
    double sqnr;         /* worst over the outputs */
    int sqnr_worst;
} result;

static void run_fixture_layout(const fixture *fx, const fixture_data *d, const char *layout, result *res)
{
    char path[512], what[128];
    fixture_path(path, sizeof path, fx->name, layout);
    snprintf(what, sizeof what, "%s%s", fx->name, layout);
    res->float_err = -1.0;
    res->sqnr = -1000.0;
    res->float_worst = res->sqnr_worst = -1;
    snprintf(res->status, sizeof res->status, "ok");

    nnom_converter *c = NULL;
    nnom_error err;
    memset(&err, 0, sizeof err);
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
    TU_CHECK(fm != NULL && nnom_model_dtype(fm) == NNOM_DTYPE_F32, "%s: no float32 model", what);
    if (!fm || !check_io(fm, d, what)) {
        snprintf(res->status, sizeof res->status, "float: wrong inputs/outputs");
        goto done;
    }
    st = nnom_model_alloc_arena(fm);
    TU_CHECK(st == NNOM_OK, "%s: float arena: %s", what, nnom_model_last_error(fm));
    if (st != NNOM_OK || !run_batch(fm, d, ref, NULL, what)) {
        snprintf(res->status, sizeof res->status, "float: run failed");
        goto done;
    }

    /* float32 against Keras */
    int float_ok = 1;
    for (int o = 0; o < d->n_out; o++) {
        const nnom_array *k = (strcmp(layout, ".k2.h5") == 0 && d->k2_out[o].data) ? &d->k2_out[o] : &d->out[o];
        double max_ref = 0.0;
        for (int64_t i = 0; i < k->count; i++) max_ref = fmax(max_ref, fabs((double)k->data[i]));
        double max_err = tu_max_abs_diff_f32(ref[o], k->data, (size_t)k->count);
        double rel = max_err / (max_ref > 0.0 ? max_ref : 1.0);
        if (rel > res->float_err) {
            res->float_err = rel;
            res->float_worst = o;
        }
        TU_CHECK(max_err <= FLOAT_RTOL * max_ref, "%s: float32 output %d differs from Keras by %.3g (max |Keras| %.3g)",
                 what, o, max_err, max_ref);
        float_ok &= max_err <= FLOAT_RTOL * max_ref;
    }
    if (!float_ok) snprintf(res->status, sizeof res->status, "float: mismatch");

    /* int8 against float32 */
    calib = calibration_samples(d);
    st = nnom_converter_quantize(c, calib, (size_t)d->batch, NULL);
    TU_CHECK(st == NNOM_OK, "%s: nnom_converter_quantize: %s: %s", what, nnom_status_name(st),
             nnom_converter_last_error(c));
    if (st != NNOM_OK) {
        snprintf(res->status, sizeof res->status, "quantize: %s", nnom_status_name(st));
        goto done;
    }
    nnom_model *qm = nnom_converter_int8_model(c);
    TU_CHECK(qm != NULL && nnom_model_dtype(qm) == NNOM_DTYPE_S8, "%s: no int8 model", what);
    if (!qm || !check_io(qm, d, what)) {
        snprintf(res->status, sizeof res->status, "int8: wrong inputs/outputs");
        goto done;
    }
    st = nnom_model_alloc_arena(qm);
    TU_CHECK(st == NNOM_OK, "%s: int8 arena: %s", what, nnom_model_last_error(qm));
    if (st != NNOM_OK || !run_batch(qm, d, q, q8, what)) {
        snprintf(res->status, sizeof res->status, "int8: run failed");
        goto done;
    }
    int sqnr_ok = 1;
    for (int o = 0; o < d->n_out; o++) {
        double db = sqnr_db(ref[o], q[o], (size_t)d->out[o].count);
        if (res->sqnr_worst < 0 || db < res->sqnr) {
            res->sqnr = db;
            res->sqnr_worst = o;
        }
        TU_CHECK(db >= fx->sqnr_floor, "%s: int8 output %d: SQNR %.1f dB < %.0f dB", what, o, db, fx->sqnr_floor);
        sqnr_ok &= db >= fx->sqnr_floor;
    }
    if (!sqnr_ok) {
        if (float_ok) snprintf(res->status, sizeof res->status, "int8: SQNR low");
        fprintf(stderr, "    %s: per-layer SQNR:\n", what);
        print_report(c, d);
    }
    check_saved_file(c, d, q8, what);

done:
    for (int o = 0; o < MAX_IO; o++) {
        free(ref[o]);
        free(q[o]);
        free(q8[o]);
    }
    free(calib);
    nnom_converter_destroy(c);
}

/* ------------------------------------------------------------------ digits */

static int argmax(const float *v, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best]) best = i; /* ties: the lower index, as nnom_eval */
    return best;
}

/* A model trained on the digits (@p name with extension @p ext, its Keras outputs @p name.output.npy): float32
 * against Keras, int8 accuracy within a point of float32, the saved file. */
/* The encoder's Keras Dense layers n0, n5, n6 (on (8, d) sequences) and n9 (on a vector) are "dense" in the report,
 * the first three although the runtime computes them as 1x1 CONV1D; its attention projections stay "conv1d". */
static void check_report_types(const char *name, nnom_converter *c, const nnom_layer_report *rows, int32_t count)
{
    if (strcmp(name, "digits_encoder") != 0) return;
    static const char *const dense[] = {"n0", "n5", "n6", "n9"};
    int denses = 0, sequence_denses = 0, projections = 0;
    nnom_model *m = nnom_converter_int8_model(c);
    for (int32_t r = 0; r < count && r < 64; r++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(m, nnom_model_layer_info(m, r, &info));
        int is_dense = 0;
        for (size_t k = 0; k < sizeof dense / sizeof dense[0]; k++) is_dense |= !strcmp(rows[r].name, dense[k]);
        if (is_dense) {
            TU_CHECK(!strcmp(rows[r].type_name, "dense"), "%s: Keras Dense '%s' reported as %s", name, rows[r].name,
                     rows[r].type_name);
            denses++;
            sequence_denses += info.type == NNOM_LAYER_CONV1D;
        } else if (!strncmp(rows[r].name, "n2/query", 8)) {
            TU_CHECK(!strcmp(rows[r].type_name, "conv1d"), "%s: attention projection '%s' reported as %s", name,
                     rows[r].name, rows[r].type_name);
            projections++;
        }
        TU_CHECK(rows[r].type_name == nnom_converter_layer_type_name(c, r), "%s: row %d", name, (int)r);
    }
    TU_CHECK(denses == 4 && sequence_denses == 3 && projections == 2,
             "%s: %d Dense rows (%d of them 1x1 CONV1D), %d query projections; expected 4 (3), 2", name, denses,
             sequence_denses, projections);
    TU_CHECK(nnom_converter_layer_type_name(c, -1) == NULL && nnom_converter_layer_type_name(c, count) == NULL &&
                 nnom_converter_layer_type_name(NULL, 0) == NULL,
             "%s: a bad layer index has a type name", name);
}

static void test_digits(const char *name, const char *ext)
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
    TU_REQUIRE(x.rank == 4 && per == 64 && y.count == n && classes == 10 && calib.count % 64 == 0,
               "digits fixtures have unexpected shapes");
    int32_t *labels = (int32_t *)malloc((size_t)n * sizeof(int32_t));
    float *fout = (float *)malloc((size_t)(n * classes) * sizeof(float));
    float *qout = (float *)malloc((size_t)(n * classes) * sizeof(float));
    TU_REQUIRE(labels && fout && qout, "out of memory");
    for (int64_t i = 0; i < n; i++) labels[i] = (int32_t)y.data[i];

    fixture_path(path, sizeof path, name, ext);
    nnom_converter *c = NULL;
    nnom_status st = nnom_keras_read(path, &c, &err);
    TU_CHECK(st == NNOM_OK, "%s%s: nnom_keras_read: %s: %s", name, ext, nnom_status_name(st), err.message);
    if (st != NNOM_OK) goto done;
    nnom_model *fm = nnom_converter_float_model(c);
    TU_OK(fm, nnom_model_alloc_arena(fm));

    /* float32: Keras' outputs and its accuracy */
    nnom_eval fe;
    nnom_eval_init(&fe);
    TU_OK(fm, nnom_evaluate(fm, x.data, labels, (size_t)n, &fe));
    double max_err = 0.0, max_ref = 0.0;
    int keras_agree = 0;
    for (int64_t s = 0; s < n; s++) {
        TU_OK(fm, nnom_model_set_input_f32(fm, 0, x.data + s * per, (size_t)per));
        TU_OK(fm, nnom_model_run(fm));
        TU_OK(fm, nnom_model_get_output_f32(fm, 0, fout + s * classes, (size_t)classes));
        keras_agree += argmax(fout + s * classes, (int)classes) == argmax(keras_out.data + s * classes, (int)classes);
    }
    for (int64_t i = 0; i < n * classes; i++) max_ref = fmax(max_ref, fabs((double)keras_out.data[i]));
    max_err = tu_max_abs_diff_f32(fout, keras_out.data, (size_t)(n * classes));
    TU_CHECK(max_err <= FLOAT_RTOL * max_ref, "%s: float32 differs from Keras by %.3g", name, max_err);
    TU_CHECK(keras_agree == n, "%s: float32 top-1 agrees with Keras on %d of %lld", name, keras_agree, (long long)n);
    const double facc = (double)fe.top1 / (double)fe.samples;
    TU_CHECK(fe.samples == n && facc >= 0.95, "%s: float32 accuracy %.4f", name, facc);

    /* int8, calibrated on training images */
    st = nnom_converter_quantize(c, calib.data, (size_t)(calib.count / 64), NULL);
    TU_CHECK(st == NNOM_OK, "%s: quantize: %s: %s", name, nnom_status_name(st), nnom_converter_last_error(c));
    if (st != NNOM_OK) goto done;
    nnom_model *qm = nnom_converter_int8_model(c);
    TU_OK(qm, nnom_model_alloc_arena(qm));
    nnom_eval qe;
    nnom_eval_init(&qe);
    TU_OK(qm, nnom_evaluate(qm, x.data, labels, (size_t)n, &qe));
    int agree = 0;
    for (int64_t s = 0; s < n; s++) {
        TU_OK(qm, nnom_model_set_input_f32(qm, 0, x.data + s * per, (size_t)per));
        TU_OK(qm, nnom_model_run(qm));
        TU_OK(qm, nnom_model_get_output_f32(qm, 0, qout + s * classes, (size_t)classes));
        agree += argmax(qout + s * classes, (int)classes) == argmax(fout + s * classes, (int)classes);
    }
    const double qacc = (double)qe.top1 / (double)qe.samples;
    const double agreement = (double)agree / (double)n;
    const double db = sqnr_db(fout, qout, (size_t)(n * classes));
    TU_CHECK(agreement >= 0.98, "%s: int8 top-1 agrees with float32 on %.2f%% < 98%%", name, 100.0 * agreement);
    TU_CHECK(fabs(qacc - facc) <= 0.01, "%s: int8 accuracy %.4f vs float32 %.4f", name, qacc, facc);
    printf("%s%s: %lld test images: float32 accuracy %.2f%% (Keras' argmax agreed on %d), int8 accuracy %.2f%%, "
           "top-1 agreement %.2f%%, output SQNR %.1f dB, float max error %.2g\n",
           name, ext, (long long)n, 100.0 * facc, keras_agree, 100.0 * qacc, 100.0 * agreement, db, max_err);

    double top1 = -1.0;
    nnom_layer_report rows[64];
    int32_t count = 0;
    st = nnom_converter_report(c, x.data, (size_t)n, rows, 64, &count, &top1);
    TU_CHECK(st == NNOM_OK, "%s: report: %s", name, nnom_converter_last_error(c));
    if (st == NNOM_OK) {
        TU_CHECK(fabs(top1 - agreement) < 1e-9, "%s: report's top-1 agreement %.4f, measured %.4f", name, top1,
                 agreement);
        for (int32_t r = 0; r < count && r < 64; r++)
            printf("    %-24s %-18s %7.1f dB\n", rows[r].name, rows[r].type_name, rows[r].sqnr_db);
        check_report_types(name, c, rows, count);
    }

    /* the .nnom file gives the same bytes */
    {
        fixture_data d;
        memset(&d, 0, sizeof d);
        d.n_in = d.n_out = 1;
        d.batch = n;
        d.in[0] = x;
        nnom_tensor_info info;
        /* a sequence model reads the (N, 8, 8, 1) images as (N, 8, 8) */
        if (nnom_model_input_info(qm, 0, &info) == NNOM_OK && info.shape.rank == 2) d.in[0].rank = 3;
        d.in_count[0] = per;
        d.out[0] = keras_out;
        d.out_count[0] = classes;
        int8_t *q8 = (int8_t *)malloc((size_t)(n * classes));
        TU_REQUIRE(q8 != NULL, "out of memory");
        float *tmp[1] = {qout};
        int8_t *s8[1] = {q8};
        if (run_batch(qm, &d, tmp, s8, name)) check_saved_file(c, &d, s8, name);
        free(q8);
    }

done:
    nnom_converter_destroy(c);
    free(labels);
    free(fout);
    free(qout);
    nnom_array_free(&x);
    nnom_array_free(&y);
    nnom_array_free(&keras_out);
    nnom_array_free(&calib);
}

/* A channels_first model is converted onto HWC values (with @p convs_hold_hwc, its conv and max pool layers hold
 * channels-first outputs): a PERMUTE where Keras' layout enters (the input) and one
 * per value read in Keras' layout (a model output, a layer that needs it), shared by its readers; a Flatten ->
 * Dense needs none; a BatchNormalization(axis=1) folds into the conv before it as it does channels_last. */
static void check_channels_first_layers(const char *name, int32_t permutes, int32_t affine_layers, int convs_hold_hwc)
{
    char path[512];
    fixture_path(path, sizeof path, name, ".keras");
    nnom_converter *c = NULL;
    nnom_error err;
    TU_REQUIRE(nnom_keras_read(path, &c, &err) == NNOM_OK, "%s: %s", name, err.message);
    nnom_model *m = nnom_converter_float_model(c);
    int32_t n_permute = 0, n_depthwise = 0;
    for (int32_t i = 0; i < nnom_model_layer_count(m); i++) {
        nnom_layer_info info;
        nnom_layer_info_init(&info);
        TU_REQUIRE(nnom_model_layer_info(m, i, &info) == NNOM_OK, "layer info");
        n_permute += info.type == NNOM_LAYER_PERMUTE;
        n_depthwise += info.type == NNOM_LAYER_DEPTHWISE_CONV1D || info.type == NNOM_LAYER_DEPTHWISE_CONV2D;
        /* a layer holding a Keras output in HWC order does not claim it (per-layer comparisons with Keras would
         * compare other elements); the PERMUTE back to Keras' layout does */
        const char *k = nnom_converter_keras_layer(c, i);
        const int held_hwc = convs_hold_hwc && (info.type == NNOM_LAYER_CONV1D || info.type == NNOM_LAYER_CONV2D ||
                                                info.type == NNOM_LAYER_MAX_POOL1D || info.type == NNOM_LAYER_MAX_POOL2D);
        TU_CHECK(!held_hwc || k == NULL, "%s: layer '%s' (%s) holds a channels-first output as HWC but claims "
                 "Keras layer '%s'", name, info.name, info.type_name, k ? k : "");
        if (strstr(info.name, "/to_chw"))
            TU_CHECK(k != NULL, "%s: layer '%s' gives a Keras output in Keras' layout but claims none", name,
                     info.name);
    }
    TU_CHECK(n_permute == permutes, "%s: %d PERMUTE layers, expected %d", name, (int)n_permute, (int)permutes);
    TU_CHECK(n_depthwise == affine_layers, "%s: %d depthwise layers, expected %d (a BatchNormalization not folded?)",
             name, (int)n_depthwise, (int)affine_layers);
    printf("%s: %d PERMUTE layers\n", name, (int)n_permute);
    nnom_converter_destroy(c);
}

/* Every .keras of the folder is a fixture of the table, the digits CNN, a broken one, a recurrent one
 * (rnn_*, checked by test_keras_rnn.c: stateful models need runs in order) or one needing user operators
 * (user_op_*, checked by test_user_op.c, which registers them). */
static void check_table_is_complete(void)
{
    char dir_path[512];
    snprintf(dir_path, sizeof dir_path, "%s/keras", NNOM_FIXTURES_DIR);
    DIR *dir = opendir(dir_path);
    TU_REQUIRE(dir != NULL, "cannot list %s", dir_path);
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        const size_t n = strlen(e->d_name);
        if (n < 7 || strcmp(e->d_name + n - 6, ".keras") != 0) continue;
        if (strncmp(e->d_name, "bad_", 4) == 0 || strncmp(e->d_name, "rnn_", 4) == 0 ||
            strncmp(e->d_name, "user_op_", 8) == 0 ||
            strcmp(e->d_name, "digits_cnn.keras") == 0 || strcmp(e->d_name, "digits_mnv3.keras") == 0 ||
            strcmp(e->d_name, "digits_cf.keras") == 0 || strcmp(e->d_name, "digits_encoder.keras") == 0)
            continue;
        int found = 0;
        for (int f = 0; f < N_FIXTURES; f++)
            found |= strlen(FIXTURES[f].name) == n - 6 && strncmp(FIXTURES[f].name, e->d_name, n - 6) == 0;
        TU_CHECK(found, "fixture %s is not in this test's table", e->d_name);
    }
    closedir(dir);
}

/* Removes the temporary directory, also when a TU_REQUIRE exits early. */
static void remove_tmp_dir(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/model.nnom", tmp_dir);
    remove(path);
    rmdir(tmp_dir);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/nnom_test_keras_models_XXXXXX", base && *base ? base : "/tmp");
    TU_REQUIRE(mkdtemp(tmp_dir) != NULL, "cannot create a temporary directory");
    atexit(remove_tmp_dir);

    check_table_is_complete();
    static result results[N_FIXTURES][N_LAYOUTS];
    for (int f = 0; f < N_FIXTURES; f++) {
        fixture_data d;
        if (!load_data(FIXTURES[f].name, &d)) {
            free_data(&d);
            for (int l = 0; l < N_LAYOUTS; l++) snprintf(results[f][l].status, sizeof results[f][l].status, "no data");
            continue;
        }
        for (int l = 0; l < N_LAYOUTS; l++) {
            if (FIXTURES[f].k3_only && strcmp(LAYOUTS[l], ".k2.h5") == 0) {
                snprintf(results[f][l].status, sizeof results[f][l].status, "Keras 3 only");
                results[f][l].float_worst = results[f][l].sqnr_worst = -1;
                continue;
            }
            run_fixture_layout(&FIXTURES[f], &d, LAYOUTS[l], &results[f][l]);
        }
        free_data(&d);
    }

    printf("\n%-24s %-7s %12s %5s %9s %5s  %s\n", "fixture", "layout", "float err", "(out)", "int8 SQNR", "(out)",
           "status");
    for (int f = 0; f < N_FIXTURES; f++)
        for (int l = 0; l < N_LAYOUTS; l++) {
            const result *r = &results[f][l];
            char ferr[32] = "-", sq[32] = "-";
            if (r->float_worst >= 0) snprintf(ferr, sizeof ferr, "%.2e", r->float_err);
            if (r->sqnr_worst >= 0) snprintf(sq, sizeof sq, "%.1f dB", r->sqnr);
            printf("%-24s %-7s %12s %5d %9s %5d  %s\n", FIXTURES[f].name, LAYOUTS[l], ferr, r->float_worst, sq,
                   r->sqnr_worst, r->status);
        }
    printf("(float err: worst max|nnom - Keras| / max|Keras| over the outputs, limit %.0e; "
           "int8 SQNR: worst output against float32, floor %.0f dB for conv/dense, %.0f dB otherwise)\n\n",
           FLOAT_RTOL, SQNR_CONV_DENSE, SQNR_OTHERS);

    /* channels_first2d: the input and the last image, an output (its Flatten -> Dense reorders the Dense's rows);
     * channels_first1d: the input, the last sequence as an output and again for its Flatten, an output too;
     * digits_cf: none (its Permute((3, 1, 2)) marks its input channels-first instead of moving it). The
     * depthwise layers: SeparableConv2D's, DepthwiseConv1D, the Normalization */
    check_channels_first_layers("channels_first2d", 2, 1, 1);
    check_channels_first_layers("channels_first1d", 3, 1, 1);
    check_channels_first_layers("digits_cf", 0, 1, 1);
    /* channels_first_permute: (1, 3, 2) and (3, 2, 1) of the conv's output, the output s back to Keras' layout;
     * its conv2d holds the output of the Permute((2, 3, 1)) after it, and claims it */
    check_channels_first_layers("channels_first_permute", 3, 0, 0);
    test_digits("digits_cnn", ".keras");
    test_digits("digits_mnv3", ".keras");
    test_digits("digits_cf", ".keras");
    for (int l = 0; l < N_LAYOUTS; l++) test_digits("digits_encoder", LAYOUTS[l]);
    return tu_finish("test_keras_models");
}

/*
 * The Keras reader on files built here, at test time, with libzip, libhdf5
 * and cJSON (no fixtures, no Python): a small model
 *
 *     img (5, 5, 2) -> Conv2D 'conv' (4 filters, 3x3, relu) -> Flatten 'flat' -> Dense 'fc' (3, softmax)
 *
 * is written as a Keras 3 `.keras` archive (Keras 3 config, layers/<path>/vars
 * weights) and as a legacy `.h5` (Keras 2 config, model_weights/<name> with
 * weight_names). Both must read and compute what a double-precision reference
 * computes; then each is broken in one way (the archive's entries, the JSON,
 * an option, a weight's shape, the HDF5 layout) and the reader must fail with
 * the right status and a message naming the problem (the layer, its class,
 * the option, the shapes), never crash: the test also runs under ASan/UBSan.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>
#include <hdf5.h>
#include <zip.h>

#include "nnom/tools.h"
#include "test_util.h"

static char tmp_dir[256];

/* The model's weights, random, in Keras' layouts. */
#define IN_H 5
#define IN_W 5
#define IN_C 2
#define FILTERS 4
#define OUT_HW 3
#define FLAT (OUT_HW * OUT_HW * FILTERS)
#define UNITS 3
static float conv_kernel[3 * 3 * IN_C * FILTERS]; /* (3, 3, in, out) */
static float conv_bias[FILTERS];
static float fc_kernel[FLAT * UNITS];             /* (in, out) */
static float fc_bias[UNITS];

static void tmp_path(char *buf, size_t cap, const char *name) { snprintf(buf, cap, "%s/%s", tmp_dir, name); }

static int mentions(const char *text, const char *word) { return strstr(text, word) != NULL; }

/* Reads @p path expecting @p expected; each of the NULL-terminated @p words must be in the message. */
static void expect_failure(const char *what, const char *path, nnom_status expected, const char *const *words)
{
    nnom_converter *c = (nnom_converter *)&c;
    nnom_error err;
    memset(&err, 0, sizeof err);
    nnom_status st = nnom_keras_read(path, &c, &err);
    TU_CHECK(st == expected, "%s: status %s, expected %s (%s)", what, nnom_status_name(st),
             nnom_status_name(expected), err.message);
    TU_CHECK(c == NULL, "%s: *out not NULL after a failure", what);
    if (st == NNOM_OK) nnom_converter_destroy(c);
    TU_CHECK(err.status == st, "%s: err.status differs", what);
    for (int i = 0; words && words[i]; i++)
        TU_CHECK(mentions(err.message, words[i]), "%s: the message does not mention \"%s\": %s", what, words[i],
                 err.message);
    printf("  %-30s %-22s %s\n", what, nnom_status_name(st), err.message);
}

/* ------------------------------------------------------------------ HDF5 writing */

static void h5_attr_string(hid_t loc, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    TU_REQUIRE(a >= 0, "cannot create attribute %s", name);
    TU_REQUIRE(H5Awrite(a, t, &value) >= 0, "cannot write attribute %s", name);
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
}

static void h5_attr_strings(hid_t loc, const char *name, const char *const *values, int n)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    hsize_t dim = (hsize_t)n;
    hid_t s = H5Screate_simple(1, &dim, NULL);
    hid_t a = H5Acreate2(loc, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    TU_REQUIRE(a >= 0, "cannot create attribute %s", name);
    TU_REQUIRE(n == 0 || H5Awrite(a, t, values) >= 0, "cannot write attribute %s", name);
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
}

static hid_t h5_group(hid_t file, const char *path)
{
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t g = H5Gcreate2(file, path, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    H5Pclose(lcpl);
    TU_REQUIRE(g >= 0, "cannot create group %s", path);
    return g;
}

static void h5_dataset(hid_t file, const char *path, int rank, const hsize_t *dims, const float *data)
{
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t s = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(file, path, H5T_IEEE_F32LE, s, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    TU_REQUIRE(d >= 0, "cannot create dataset %s", path);
    TU_REQUIRE(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0, "cannot write %s", path);
    H5Dclose(d);
    H5Sclose(s);
    H5Pclose(lcpl);
}

/* How the weights are written, and what to break in them. */
typedef struct weights_spec {
    hsize_t conv_kernel_dims[4];  /* default (3, 3, IN_C, FILTERS) */
    int conv_bias;                /* write the bias (default 1) */
    int fc_missing;               /* legacy: list fc's kernel in weight_names but do not write it */
    int no_conv_group;            /* leave the conv layer's weights out entirely */
} weights_spec;

static weights_spec default_weights(void)
{
    weights_spec w;
    memset(&w, 0, sizeof w);
    w.conv_kernel_dims[0] = 3;
    w.conv_kernel_dims[1] = 3;
    w.conv_kernel_dims[2] = IN_C;
    w.conv_kernel_dims[3] = FILTERS;
    w.conv_bias = 1;
    return w;
}

/* A Keras 3 model.weights.h5: layers/<class path>/vars/<i>, with the layer's name as attribute. */
static void write_keras3_weights(const char *path, const weights_spec *ws)
{
    static float big[3 * 3 * 8 * 8];
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    TU_REQUIRE(f >= 0, "cannot create %s", path);
    hid_t g = h5_group(f, "layers/input_layer/vars");
    h5_attr_string(g, "name", "img");
    H5Gclose(g);
    if (!ws->no_conv_group) {
        /* deliberately not "conv2d": the reader must find the layer by the name attribute */
        g = h5_group(f, "layers/conv2d_7/vars");
        h5_attr_string(g, "name", "conv");
        H5Gclose(g);
        const size_t n = (size_t)(ws->conv_kernel_dims[0] * ws->conv_kernel_dims[1] * ws->conv_kernel_dims[2] *
                                  ws->conv_kernel_dims[3]);
        TU_REQUIRE(n <= sizeof big / sizeof big[0], "kernel too large");
        memcpy(big, conv_kernel, sizeof conv_kernel < n * 4 ? sizeof conv_kernel : n * 4);
        h5_dataset(f, "layers/conv2d_7/vars/0", 4, ws->conv_kernel_dims, big);
        const hsize_t bd = FILTERS;
        if (ws->conv_bias) h5_dataset(f, "layers/conv2d_7/vars/1", 1, &bd, conv_bias);
    }
    g = h5_group(f, "layers/flatten/vars");
    h5_attr_string(g, "name", "flat");
    H5Gclose(g);
    g = h5_group(f, "layers/dense/vars");
    h5_attr_string(g, "name", "fc");
    H5Gclose(g);
    const hsize_t kd[2] = {FLAT, UNITS}, bd = UNITS;
    h5_dataset(f, "layers/dense/vars/0", 2, kd, fc_kernel);
    h5_dataset(f, "layers/dense/vars/1", 1, &bd, fc_bias);
    g = h5_group(f, "optimizer/vars"); /* present in trained models; to be ignored */
    H5Gclose(g);
    H5Fclose(f);
}

/* A legacy .h5: model_config attribute, model_weights/<layer>/<weight_names[i]>. */
static void write_legacy(const char *path, const char *config, const weights_spec *ws)
{
    static float big[3 * 3 * 8 * 8];
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    TU_REQUIRE(f >= 0, "cannot create %s", path);
    if (config) h5_attr_string(f, "model_config", config);
    h5_attr_string(f, "keras_version", "2.21.0");
    hid_t mw = h5_group(f, "model_weights");
    const char *names[] = {"img", "conv", "flat", "fc"};
    h5_attr_strings(mw, "layer_names", names, 4);
    H5Gclose(mw);
    hid_t g = h5_group(f, "model_weights/img");
    h5_attr_strings(g, "weight_names", NULL, 0);
    H5Gclose(g);
    if (!ws->no_conv_group) {
        g = h5_group(f, "model_weights/conv");
        const char *wn[] = {"conv/kernel:0", "conv/bias:0"};
        h5_attr_strings(g, "weight_names", wn, ws->conv_bias ? 2 : 1);
        H5Gclose(g);
        const size_t n = (size_t)(ws->conv_kernel_dims[0] * ws->conv_kernel_dims[1] * ws->conv_kernel_dims[2] *
                                  ws->conv_kernel_dims[3]);
        TU_REQUIRE(n <= sizeof big / sizeof big[0], "kernel too large");
        memcpy(big, conv_kernel, sizeof conv_kernel < n * 4 ? sizeof conv_kernel : n * 4);
        h5_dataset(f, "model_weights/conv/conv/kernel:0", 4, ws->conv_kernel_dims, big);
        const hsize_t bd = FILTERS;
        if (ws->conv_bias) h5_dataset(f, "model_weights/conv/conv/bias:0", 1, &bd, conv_bias);
    }
    g = h5_group(f, "model_weights/flat");
    h5_attr_strings(g, "weight_names", NULL, 0);
    H5Gclose(g);
    g = h5_group(f, "model_weights/fc");
    const char *wn[] = {"fc/kernel:0", "fc/bias:0"};
    h5_attr_strings(g, "weight_names", wn, 2);
    H5Gclose(g);
    const hsize_t kd[2] = {FLAT, UNITS}, bd = UNITS;
    if (!ws->fc_missing) h5_dataset(f, "model_weights/fc/fc/kernel:0", 2, kd, fc_kernel);
    h5_dataset(f, "model_weights/fc/fc/bias:0", 1, &bd, fc_bias);
    H5Fclose(f);
}

/* ------------------------------------------------------------------ zip writing */

static void *read_whole(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    TU_REQUIRE(f != NULL, "cannot open %s", path);
    TU_REQUIRE(fseek(f, 0, SEEK_END) == 0, "seek %s", path);
    long n = ftell(f);
    TU_REQUIRE(n >= 0 && fseek(f, 0, SEEK_SET) == 0, "size of %s", path);
    void *buf = malloc((size_t)n + 1);
    TU_REQUIRE(buf && fread(buf, 1, (size_t)n, f) == (size_t)n, "read %s", path);
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static void write_whole(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    TU_REQUIRE(f != NULL, "cannot create %s", path);
    TU_REQUIRE(size == 0 || fwrite(data, 1, size, f) == size, "write %s", path);
    TU_REQUIRE(fclose(f) == 0, "close %s", path);
}

typedef struct entry {
    const char *name;
    const void *data;
    size_t size;
} entry;

/* A zip of stored (uncompressed) entries, as Keras writes .keras files. */
static void write_zip(const char *path, const entry *entries, int n)
{
    int code = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &code);
    TU_REQUIRE(z != NULL, "zip_open %s: %d", path, code);
    for (int i = 0; i < n; i++) {
        zip_source_t *s = zip_source_buffer(z, entries[i].data, entries[i].size, 0);
        TU_REQUIRE(s != NULL, "zip_source_buffer");
        zip_int64_t idx = zip_file_add(z, entries[i].name, s, ZIP_FL_OVERWRITE);
        TU_REQUIRE(idx >= 0, "zip_file_add %s: %s", entries[i].name, zip_strerror(z));
        zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
    }
    TU_REQUIRE(zip_close(z) == 0, "zip_close %s", path);
}

/* Rewrites the declared (uncompressed) size, and the compressed one unless 0, of entry @p name in both
 * of its zip headers (local and central): the header lies, the data stays. */
static void patch_zip_sizes(const char *path, const char *name, uint32_t size, uint32_t comp_size)
{
    size_t n;
    uint8_t *b = (uint8_t *)read_whole(path, &n);
    const size_t len = strlen(name);
    int patched = 0;
    for (size_t at = 0; at + 46 + len <= n; at++) {
        const int local = memcmp(b + at, "PK\3\4", 4) == 0, central = memcmp(b + at, "PK\1\2", 4) == 0;
        const size_t name_at = at + (local ? 30 : 46), sizes_at = at + (local ? 18 : 20);
        if ((!local && !central) || memcmp(b + name_at, name, len) != 0) continue;
        for (int k = 0; k < 4; k++) {
            b[sizes_at + 4 + k] = (uint8_t)(size >> (8 * k));
            if (comp_size) b[sizes_at + k] = (uint8_t)(comp_size >> (8 * k));
        }
        patched++;
    }
    TU_REQUIRE(patched == 2, "%s: %d headers of %s", path, patched, name);
    write_whole(path, b, n);
    free(b);
}

/* ------------------------------------------------------------------ configs */

static cJSON *keras3_tensor(const char *from, int h, int w, int c)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "class_name", "__keras_tensor__");
    cJSON *cfg = cJSON_AddObjectToObject(t, "config");
    cJSON *shape = cJSON_AddArrayToObject(cfg, "shape");
    cJSON_AddItemToArray(shape, cJSON_CreateNull());
    const int dims[3] = {h, w, c};
    for (int i = 0; i < 3; i++)
        if (dims[i] > 0) cJSON_AddItemToArray(shape, cJSON_CreateNumber(dims[i]));
    cJSON_AddStringToObject(cfg, "dtype", "float32");
    cJSON *hist = cJSON_AddArrayToObject(cfg, "keras_history");
    cJSON_AddItemToArray(hist, cJSON_CreateString(from));
    cJSON_AddItemToArray(hist, cJSON_CreateNumber(0));
    cJSON_AddItemToArray(hist, cJSON_CreateNumber(0));
    return t;
}

static cJSON *add_layer(cJSON *layers, const char *cls, const char *name, int keras2, const char *from, int h, int w,
                        int c)
{
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "class_name", cls);
    cJSON_AddStringToObject(l, "name", name);
    cJSON *cfg = cJSON_AddObjectToObject(l, "config");
    cJSON_AddStringToObject(cfg, "name", name);
    cJSON_AddStringToObject(cfg, "dtype", "float32");
    cJSON *nodes = cJSON_AddArrayToObject(l, "inbound_nodes");
    if (from) {
        if (keras2) {
            cJSON *node = cJSON_CreateArray(), *ref = cJSON_CreateArray();
            cJSON_AddItemToArray(ref, cJSON_CreateString(from));
            cJSON_AddItemToArray(ref, cJSON_CreateNumber(0));
            cJSON_AddItemToArray(ref, cJSON_CreateNumber(0));
            cJSON_AddItemToArray(ref, cJSON_CreateObject());
            cJSON_AddItemToArray(node, ref);
            cJSON_AddItemToArray(nodes, node);
        } else {
            cJSON *node = cJSON_CreateObject();
            cJSON *args = cJSON_AddArrayToObject(node, "args");
            cJSON_AddItemToArray(args, keras3_tensor(from, h, w, c));
            cJSON_AddObjectToObject(node, "kwargs");
            cJSON_AddItemToArray(nodes, node);
        }
    }
    cJSON_AddItemToArray(layers, l);
    return cfg;
}

static cJSON *int_list(int a, int b)
{
    cJSON *l = cJSON_CreateArray();
    cJSON_AddItemToArray(l, cJSON_CreateNumber(a));
    cJSON_AddItemToArray(l, cJSON_CreateNumber(b));
    return l;
}

static cJSON *endpoint(const char *name)
{
    cJSON *e = cJSON_CreateArray();
    cJSON_AddItemToArray(e, cJSON_CreateString(name));
    cJSON_AddItemToArray(e, cJSON_CreateNumber(0));
    cJSON_AddItemToArray(e, cJSON_CreateNumber(0));
    return e;
}

/* The model's config in Keras 3 (keras2 = 0) or Keras 2 (tf.keras) spelling. */
static cJSON *make_config(int keras2)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "class_name", "Functional");
    cJSON *cfg = cJSON_AddObjectToObject(root, "config");
    cJSON_AddStringToObject(cfg, "name", "model");
    cJSON *layers = cJSON_AddArrayToObject(cfg, "layers");
    cJSON *in = add_layer(layers, "InputLayer", "img", keras2, NULL, 0, 0, 0);
    cJSON *shape = cJSON_AddArrayToObject(in, keras2 ? "batch_input_shape" : "batch_shape");
    cJSON_AddItemToArray(shape, cJSON_CreateNull());
    cJSON_AddItemToArray(shape, cJSON_CreateNumber(IN_H));
    cJSON_AddItemToArray(shape, cJSON_CreateNumber(IN_W));
    cJSON_AddItemToArray(shape, cJSON_CreateNumber(IN_C));
    cJSON *conv = add_layer(layers, "Conv2D", "conv", keras2, "img", IN_H, IN_W, IN_C);
    cJSON_AddNumberToObject(conv, "filters", FILTERS);
    cJSON_AddItemToObject(conv, "kernel_size", int_list(3, 3));
    cJSON_AddItemToObject(conv, "strides", int_list(1, 1));
    cJSON_AddStringToObject(conv, "padding", "valid");
    cJSON_AddStringToObject(conv, "data_format", "channels_last");
    cJSON_AddItemToObject(conv, "dilation_rate", int_list(1, 1));
    cJSON_AddNumberToObject(conv, "groups", 1);
    cJSON_AddStringToObject(conv, "activation", "relu");
    cJSON_AddBoolToObject(conv, "use_bias", 1);
    cJSON *flat = add_layer(layers, "Flatten", "flat", keras2, "conv", OUT_HW, OUT_HW, FILTERS);
    cJSON_AddStringToObject(flat, "data_format", "channels_last");
    cJSON *fc = add_layer(layers, "Dense", "fc", keras2, "flat", FLAT, 0, 0);
    cJSON_AddNumberToObject(fc, "units", UNITS);
    cJSON_AddStringToObject(fc, "activation", "softmax");
    cJSON_AddBoolToObject(fc, "use_bias", 1);
    cJSON *ins = cJSON_AddArrayToObject(cfg, "input_layers"), *outs = cJSON_AddArrayToObject(cfg, "output_layers");
    if (keras2) {
        cJSON_AddItemToArray(ins, endpoint("img"));
        cJSON_AddItemToArray(outs, endpoint("fc"));
    } else {
        /* Keras 3 writes a single input or output unnested */
        cJSON_Delete(cJSON_DetachItemFromObject(cfg, "input_layers"));
        cJSON_Delete(cJSON_DetachItemFromObject(cfg, "output_layers"));
        cJSON_AddItemToObject(cfg, "input_layers", endpoint("img"));
        cJSON_AddItemToObject(cfg, "output_layers", endpoint("fc"));
    }
    return root;
}

/* The config object of layer @p name. */
static cJSON *layer_config(cJSON *root, const char *name)
{
    cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItem(cJSON_GetObjectItem(root, "config"), "layers"))
    {
        if (strcmp(cJSON_GetObjectItem(l, "name")->valuestring, name) == 0) return cJSON_GetObjectItem(l, "config");
    }
    TU_REQUIRE(0, "no layer %s", name);
    return NULL;
}

static cJSON *layer_object(cJSON *root, const char *name)
{
    cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItem(cJSON_GetObjectItem(root, "config"), "layers"))
    {
        if (strcmp(cJSON_GetObjectItem(l, "name")->valuestring, name) == 0) return l;
    }
    TU_REQUIRE(0, "no layer %s", name);
    return NULL;
}

static void set_item(cJSON *obj, const char *key, cJSON *value)
{
    if (cJSON_GetObjectItem(obj, key)) cJSON_ReplaceItemInObject(obj, key, value);
    else cJSON_AddItemToObject(obj, key, value);
}

/* ------------------------------------------------------------------ building files */

/* A .keras archive from a config (NULL: no config.json) and weights (NULL: no model.weights.h5). */
static void write_keras(const char *path, const char *config, const weights_spec *ws)
{
    char wpath[512];
    tmp_path(wpath, sizeof wpath, "model.weights.h5");
    void *weights = NULL;
    size_t wsize = 0;
    if (ws) {
        write_keras3_weights(wpath, ws);
        weights = read_whole(wpath, &wsize);
        remove(wpath);
    }
    const char meta[] = "{\"keras_version\": \"3.15.1\", \"date_saved\": \"2025-01-01@00:00:00\"}";
    entry e[3];
    int n = 0;
    e[n++] = (entry){"metadata.json", meta, sizeof meta - 1};
    if (config) e[n++] = (entry){"config.json", config, strlen(config)};
    if (ws) e[n++] = (entry){"model.weights.h5", weights, wsize};
    write_zip(path, e, n);
    free(weights);
}

/* The config after @p tweak, as text (free with free()). */
typedef void (*tweak_fn)(cJSON *root);

static char *config_text(int keras2, tweak_fn tweak)
{
    cJSON *root = make_config(keras2);
    if (tweak) tweak(root);
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    TU_REQUIRE(s != NULL, "cJSON_Print");
    return s;
}

/* ------------------------------------------------------------------ the reference */

static void reference(const float *x, double *y)
{
    double flat[FLAT];
    for (int oh = 0; oh < OUT_HW; oh++)
        for (int ow = 0; ow < OUT_HW; ow++)
            for (int o = 0; o < FILTERS; o++) {
                double acc = conv_bias[o];
                for (int kh = 0; kh < 3; kh++)
                    for (int kw = 0; kw < 3; kw++)
                        for (int i = 0; i < IN_C; i++)
                            acc += (double)x[((oh + kh) * IN_W + ow + kw) * IN_C + i] *
                                   conv_kernel[((kh * 3 + kw) * IN_C + i) * FILTERS + o];
                flat[(oh * OUT_HW + ow) * FILTERS + o] = acc > 0 ? acc : 0;
            }
    double logits[UNITS], max = -1e300, sum = 0;
    for (int u = 0; u < UNITS; u++) {
        double acc = fc_bias[u];
        for (int i = 0; i < FLAT; i++) acc += flat[i] * fc_kernel[i * UNITS + u];
        logits[u] = acc;
        if (acc > max) max = acc;
    }
    for (int u = 0; u < UNITS; u++) sum += exp(logits[u] - max);
    for (int u = 0; u < UNITS; u++) y[u] = exp(logits[u] - max) / sum;
}

/* The well-formed files read, and compute what the reference computes. */
static void expect_model(const char *what, const char *path)
{
    nnom_converter *c = NULL;
    nnom_error err;
    nnom_status st = nnom_keras_read(path, &c, &err);
    TU_CHECK(st == NNOM_OK, "%s: %s: %s", what, nnom_status_name(st), err.message);
    if (st != NNOM_OK) return;
    nnom_model *m = nnom_converter_float_model(c);
    TU_CHECK(nnom_model_dtype(m) == NNOM_DTYPE_F32, "%s: not a float32 model", what);
    TU_CHECK(nnom_model_input_count(m) == 1 && nnom_model_output_count(m) == 1, "%s: %d inputs, %d outputs", what,
             (int)nnom_model_input_count(m), (int)nnom_model_output_count(m));
    nnom_tensor_info in;
    TU_CHECK(nnom_model_input_info(m, 0, &in) == NNOM_OK && strcmp(in.name, "img") == 0 && in.shape.rank == 3 &&
                 in.shape.dims[0] == IN_H && in.shape.dims[1] == IN_W && in.shape.dims[2] == IN_C,
             "%s: input is '%s' of rank %d", what, in.name, (int)in.shape.rank);
    TU_REQUIRE(nnom_model_alloc_arena(m) == NNOM_OK, "%s: arena: %s", what, nnom_model_last_error(m));
    double worst = 0;
    for (int sample = 0; sample < 4; sample++) {
        float x[IN_H * IN_W * IN_C], y[UNITS];
        double ref[UNITS];
        tu_fill_f32(x, IN_H * IN_W * IN_C, -1.0f, 1.0f);
        TU_OK(m, nnom_model_set_input_f32(m, 0, x, IN_H * IN_W * IN_C));
        TU_OK(m, nnom_model_run(m));
        TU_OK(m, nnom_model_get_output_f32(m, 0, y, UNITS));
        reference(x, ref);
        for (int u = 0; u < UNITS; u++)
            if (fabs(y[u] - ref[u]) > worst) worst = fabs(y[u] - ref[u]);
    }
    TU_CHECK(worst <= 1e-5, "%s: max error %g against the reference", what, worst);
    printf("  %-30s reads, max error %.2g against the reference\n", what, worst);
    nnom_converter_destroy(c);
}

/* ------------------------------------------------------------------ the cases */

static void tweak_filters5(cJSON *r) { set_item(layer_config(r, "conv"), "filters", cJSON_CreateNumber(5)); }
static void tweak_units4(cJSON *r) { set_item(layer_config(r, "fc"), "units", cJSON_CreateNumber(4)); }
static void tweak_no_bias(cJSON *r) { set_item(layer_config(r, "conv"), "use_bias", cJSON_CreateFalse()); }
static void tweak_data_format(cJSON *r)
{
    set_item(layer_config(r, "conv"), "data_format", cJSON_CreateString("channels_middle"));
}
static void tweak_groups(cJSON *r) { set_item(layer_config(r, "conv"), "groups", cJSON_CreateNumber(2)); }
static void tweak_causal(cJSON *r) { set_item(layer_config(r, "conv"), "padding", cJSON_CreateString("causal")); }
static void tweak_glu(cJSON *r) { set_item(layer_config(r, "fc"), "activation", cJSON_CreateString("glu")); }
/* the Flatten layer 'flat' turned into class @p cls with option @p key set to a string */
static void as_layer_with_text(cJSON *r, const char *cls, const char *key)
{
    cJSON_ReplaceItemInObject(layer_object(r, "flat"), "class_name", cJSON_CreateString(cls));
    set_item(layer_config(r, "flat"), key, cJSON_CreateString("six"));
}
static void tweak_relu_max_text(cJSON *r) { as_layer_with_text(r, "ReLU", "max_value"); }
static void tweak_relu_threshold_text(cJSON *r) { as_layer_with_text(r, "ReLU", "threshold"); }
static void tweak_elu_alpha_text(cJSON *r) { as_layer_with_text(r, "ELU", "alpha"); }
static void tweak_prelu_axis(cJSON *r)
{
    cJSON_ReplaceItemInObject(layer_object(r, "flat"), "class_name", cJSON_CreateString("PReLU"));
    int axes[1] = {5};
    set_item(layer_config(r, "flat"), "shared_axes", cJSON_CreateIntArray(axes, 1));
}
/* a PReLU where the file has no weights for it */
static void tweak_prelu_no_alpha(cJSON *r)
{
    cJSON_ReplaceItemInObject(layer_object(r, "flat"), "class_name", cJSON_CreateString("PReLU"));
}
/* the Flatten layer 'flat' (input (3, 3, 4)) turned into class @p cls */
static cJSON *as_class(cJSON *r, const char *cls)
{
    cJSON_ReplaceItemInObject(layer_object(r, "flat"), "class_name", cJSON_CreateString(cls));
    return layer_config(r, "flat");
}
static void tweak_permute_repeated(cJSON *r)
{
    int dims[3] = {1, 1, 2};
    set_item(as_class(r, "Permute"), "dims", cJSON_CreateIntArray(dims, 3));
}
static void tweak_permute_short(cJSON *r)
{
    int dims[2] = {2, 1};
    set_item(as_class(r, "Permute"), "dims", cJSON_CreateIntArray(dims, 2));
}
static void tweak_repeat_image(cJSON *r) { set_item(as_class(r, "RepeatVector"), "n", cJSON_CreateNumber(2)); }
static void tweak_normalization_axis(cJSON *r)
{
    cJSON *c = as_class(r, "Normalization");
    int axis[1] = {1};
    set_item(c, "axis", cJSON_CreateIntArray(axis, 1));
    set_item(c, "mean", cJSON_CreateNumber(0.0));
    set_item(c, "variance", cJSON_CreateNumber(1.0));
}
static void tweak_normalization_no_stats(cJSON *r) { as_class(r, "Normalization"); }
static void tweak_normalization_negative(cJSON *r)
{
    cJSON *c = as_class(r, "Normalization");
    const double var[4] = {1.0, 2.0, -0.5, 1.0};
    set_item(c, "mean", cJSON_CreateNumber(0.0));
    set_item(c, "variance", cJSON_CreateDoubleArray(var, 4));
}
static void tweak_normalization_mean_only(cJSON *r) { set_item(as_class(r, "Normalization"), "mean", cJSON_CreateNumber(1.0)); }
static void tweak_normalization_short(cJSON *r)
{
    cJSON *c = as_class(r, "Normalization");
    const double mean[3] = {1.0, 2.0, 3.0};
    set_item(c, "mean", cJSON_CreateDoubleArray(mean, 3));
    set_item(c, "variance", cJSON_CreateNumber(1.0));
}
static void tweak_channels_first_softmax(cJSON *r)
{
    set_item(layer_config(r, "conv"), "data_format", cJSON_CreateString("channels_first"));
    set_item(layer_config(r, "conv"), "activation", cJSON_CreateString("softmax"));
}
static void tweak_time_distributed_channels_first(cJSON *r)
{
    cJSON_ReplaceItemInObject(layer_object(r, "flat"), "class_name", cJSON_CreateString("TimeDistributed"));
    cJSON *inner = cJSON_CreateObject(), *cfg = cJSON_CreateObject();
    cJSON_AddStringToObject(inner, "class_name", "Conv1D");
    cJSON_AddStringToObject(cfg, "data_format", "channels_first");
    cJSON_AddItemToObject(inner, "config", cfg);
    set_item(layer_config(r, "flat"), "layer", inner);
}
static void tweak_time_distributed_conv(cJSON *r)
{
    cJSON_ReplaceItemInObject(layer_object(r, "flat"), "class_name", cJSON_CreateString("TimeDistributed"));
    cJSON *inner = cJSON_CreateObject();
    cJSON_AddStringToObject(inner, "class_name", "Conv2D");
    cJSON_AddItemToObject(inner, "config", cJSON_CreateObject());
    set_item(layer_config(r, "flat"), "layer", inner);
}
static void tweak_transpose_dilated(cJSON *r)
{
    cJSON_ReplaceItemInObject(layer_object(r, "conv"), "class_name", cJSON_CreateString("Conv2DTranspose"));
    int d[2] = {2, 2};
    set_item(layer_config(r, "conv"), "dilation_rate", cJSON_CreateIntArray(d, 2));
    set_item(layer_config(r, "conv"), "strides", cJSON_CreateIntArray(d, 2));
}
static void tweak_transpose_full(cJSON *r)
{
    cJSON_ReplaceItemInObject(layer_object(r, "conv"), "class_name", cJSON_CreateString("Conv2DTranspose"));
    set_item(layer_config(r, "conv"), "padding", cJSON_CreateString("full"));
}
static void tweak_none_dim(cJSON *r)
{
    cJSON *shape = cJSON_GetObjectItem(layer_config(r, "img"), "batch_shape");
    cJSON_ReplaceItemInArray(shape, 2, cJSON_CreateNull());
}
static void tweak_unsupported(cJSON *r)
{
    cJSON_ReplaceItemInObject(layer_object(r, "flat"), "class_name", cJSON_CreateString("EinsumDense"));
}
/* a class name of 300 characters: the message names it and still lists every supported class */
#define LONG_CLASS_CHARS 300
static void tweak_unsupported_long(cJSON *r)
{
    char cls[LONG_CLASS_CHARS + 1];
    memset(cls, 'Q', LONG_CLASS_CHARS);
    cls[LONG_CLASS_CHARS] = '\0';
    cJSON_ReplaceItemInObject(layer_object(r, "flat"), "class_name", cJSON_CreateString(cls));
}
static void tweak_subclassed(cJSON *r)
{
    cJSON_ReplaceItemInObject(r, "class_name", cJSON_CreateString("MyModel"));
}
/* the first argument tensor of layer @p name */
static cJSON *first_history(cJSON *r, const char *name)
{
    cJSON *node = cJSON_GetArrayItem(cJSON_GetObjectItem(layer_object(r, name), "inbound_nodes"), 0);
    cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItem(node, "args"), 0);
    return cJSON_GetObjectItem(cJSON_GetObjectItem(t, "config"), "keras_history");
}
/* 'flat' turned into an Add of the conv's output (3, 3, 4) and the image (5, 5, 2): no broadcast joins them */
static void tweak_add_unbroadcastable(cJSON *r)
{
    cJSON *flat = layer_object(r, "flat");
    cJSON_ReplaceItemInObject(flat, "class_name", cJSON_CreateString("Add"));
    cJSON *node = cJSON_GetArrayItem(cJSON_GetObjectItem(flat, "inbound_nodes"), 0);
    cJSON *pair = cJSON_CreateArray();
    cJSON_AddItemToArray(pair, keras3_tensor("conv", 3, 3, 4));
    cJSON_AddItemToArray(pair, keras3_tensor("img", 5, 5, 2));
    cJSON *args = cJSON_CreateArray();
    cJSON_AddItemToArray(args, pair);
    cJSON_ReplaceItemInObject(node, "args", args);
}
static void tweak_ghost(cJSON *r)
{
    cJSON_ReplaceItemInArray(first_history(r, "flat"), 0, cJSON_CreateString("ghost"));
}
static void tweak_second_output(cJSON *r)
{
    cJSON_ReplaceItemInArray(first_history(r, "flat"), 2, cJSON_CreateNumber(1));
}
static void tweak_cycle(cJSON *r) { cJSON_ReplaceItemInArray(first_history(r, "conv"), 0, cJSON_CreateString("fc")); }
static void tweak_mask(cJSON *r)
{
    cJSON *node = cJSON_GetArrayItem(cJSON_GetObjectItem(layer_object(r, "fc"), "inbound_nodes"), 0);
    cJSON *kwargs = cJSON_GetObjectItem(node, "kwargs");
    cJSON_AddItemToObject(kwargs, "mask", keras3_tensor("conv", OUT_HW, OUT_HW, FILTERS));
}

static void test_valid(void)
{
    char path[512];
    weights_spec ws = default_weights();
    char *k3 = config_text(0, NULL), *k2 = config_text(1, NULL);
    tmp_path(path, sizeof path, "good.keras");
    write_keras(path, k3, &ws);
    expect_model("Keras 3 .keras", path);
    remove(path);
    tmp_path(path, sizeof path, "good.h5");
    write_legacy(path, k2, &ws);
    expect_model("Keras 2 .h5", path);
    /* a Keras 3 config in a legacy file reads as well */
    write_legacy(path, k3, &ws);
    expect_model("Keras 3 config in .h5", path);
    remove(path);
    free(k3);
    free(k2);
}

static void test_archive(void)
{
    char path[512];
    weights_spec ws = default_weights();
    char *k3 = config_text(0, NULL);
    tmp_path(path, sizeof path, "broken.keras");

    write_keras(path, NULL, &ws);
    const char *w1[] = {"config.json", "broken.keras", NULL};
    expect_failure("zip without config.json", path, NNOM_ERR_KERAS, w1);

    write_keras(path, k3, NULL);
    const char *w2[] = {"model.weights.h5", NULL};
    expect_failure("zip without weights", path, NNOM_ERR_KERAS, w2);

    const char text[] = "not an HDF5 file at all";
    entry e[2] = {{"config.json", k3, strlen(k3)}, {"model.weights.h5", text, sizeof text - 1}};
    write_zip(path, e, 2);
    const char *w3[] = {"model.weights.h5", "not an HDF5", NULL};
    expect_failure("weights not HDF5", path, NNOM_ERR_KERAS, w3);

    /* a weights entry declaring 3.6 GB in a small archive: refused before anything that large is allocated */
    patch_zip_sizes(path, "model.weights.h5", 3600000000u, 0);
    const char *w3b[] = {"model.weights.h5", "stored (not compressed) but declares 3600000000 bytes", NULL};
    expect_failure("weights declaring 3.6 GB", path, NNOM_ERR_KERAS, w3b);

    /* the weights cut in half: HDF5 must refuse them from memory */
    char wpath[512];
    tmp_path(wpath, sizeof wpath, "half.weights.h5");
    write_keras3_weights(wpath, &ws);
    size_t wsize;
    void *weights = read_whole(wpath, &wsize);
    remove(wpath);
    e[1] = (entry){"model.weights.h5", weights, wsize / 2};
    write_zip(path, e, 2);
    const char *w4[] = {"model.weights.h5", NULL};
    expect_failure("weights truncated in zip", path, NNOM_ERR_KERAS, w4);
    free(weights);

    /* an empty zip: only the end-of-central-directory record */
    unsigned char eocd[22] = {'P', 'K', 5, 6};
    write_whole(path, eocd, sizeof eocd);
    const char *w5[] = {"config.json", NULL};
    expect_failure("empty zip", path, NNOM_ERR_KERAS, w5);

    /* the HDF5 signature and garbage after it */
    unsigned char junk[600];
    memset(junk, 0xA5, sizeof junk);
    memcpy(junk, "\x89HDF\r\n\x1a\n", 8);
    tmp_path(path, sizeof path, "junk.h5");
    write_whole(path, junk, sizeof junk);
    const char *w6[] = {"junk.h5", "HDF5", NULL};
    expect_failure("HDF5 signature, junk", path, NNOM_ERR_KERAS, w6);
    remove(path);

    tmp_path(path, sizeof path, "broken.keras");
    remove(path);
    free(k3);
}

static void test_config(void)
{
    char path[512];
    weights_spec ws = default_weights();
    tmp_path(path, sizeof path, "config.keras");

    write_keras(path, "{\"class_name\": \"Functional\", \"config\": {\"layers\": [", &ws);
    const char *w1[] = {"JSON", NULL};
    expect_failure("config not JSON", path, NNOM_ERR_KERAS, w1);

    static const struct {
        const char *what;
        tweak_fn tweak;
        nnom_status status;
        const char *words[5];
    } cases[] = {
        {"subclassed model", tweak_subclassed, NNOM_ERR_UNSUPPORTED, {"MyModel", "Sequential", "Functional"}},
        {"unsupported class", tweak_unsupported, NNOM_ERR_UNSUPPORTED, {"'flat'", "EinsumDense", "supported:"}},
        {"data_format", tweak_data_format, NNOM_ERR_UNSUPPORTED,
         {"'conv'", "Conv2D", "channels_middle", "channels_last, channels_first"}},
        {"groups", tweak_groups, NNOM_ERR_UNSUPPORTED, {"'conv'", "Conv2D", "groups=2"}},
        {"causal padding on Conv2D", tweak_causal, NNOM_ERR_UNSUPPORTED, {"'conv'", "causal", "valid, same"}},
        {"activation glu", tweak_glu, NNOM_ERR_UNSUPPORTED, {"'fc'", "glu", "gelu", "hard_tanh"}},
        {"ReLU max_value text", tweak_relu_max_text, NNOM_ERR_KERAS, {"'flat'", "ReLU", "max_value", "number"}},
        {"ReLU threshold text", tweak_relu_threshold_text, NNOM_ERR_KERAS, {"'flat'", "ReLU", "threshold", "number"}},
        {"ELU alpha text", tweak_elu_alpha_text, NNOM_ERR_KERAS, {"'flat'", "ELU", "alpha", "number"}},
        {"PReLU shared axis 5", tweak_prelu_axis, NNOM_ERR_KERAS, {"'flat'", "PReLU", "shared_axes", "1 to 3"}},
        {"TimeDistributed(Conv2D)", tweak_time_distributed_conv, NNOM_ERR_UNSUPPORTED,
         {"'flat'", "TimeDistributed(Conv2D)", "rank 4", "Conv1D"}},
        {"Conv2DTranspose dilated, strided", tweak_transpose_dilated, NNOM_ERR_UNSUPPORTED,
         {"'conv'", "Conv2DTranspose", "dilation_rate=2 with strides=2", "stride 1"}},
        {"Conv2DTranspose padding full", tweak_transpose_full, NNOM_ERR_UNSUPPORTED,
         {"'conv'", "'full'", "valid", "same"}},
        {"Add (3, 3, 4) + (5, 5, 2)", tweak_add_unbroadcastable, NNOM_ERR_SHAPE,
         {"'flat'", "(3, 3, 4)", "(5, 5, 2)", "broadcast"}},
        {"PReLU without alpha", tweak_prelu_no_alpha, NNOM_ERR_SHAPE, {"'flat'", "PReLU", "alpha", "holds 0"}},
        {"channels_first with softmax", tweak_channels_first_softmax, NNOM_ERR_UNSUPPORTED,
         {"'conv'", "softmax", "channels_first", "separate Softmax layer"}},
        {"TimeDistributed(channels_first)", tweak_time_distributed_channels_first, NNOM_ERR_UNSUPPORTED,
         {"'flat'", "channels_first", "inside TimeDistributed", "channels_last"}},
        {"Permute dims repeated", tweak_permute_repeated, NNOM_ERR_KERAS, {"'flat'", "Permute", "dims", "1 to 3"}},
        {"Permute dims short", tweak_permute_short, NNOM_ERR_KERAS, {"'flat'", "Permute", "dims", "3 axes"}},
        {"RepeatVector of an image", tweak_repeat_image, NNOM_ERR_SHAPE, {"'flat'", "RepeatVector", "rank 1",
                                                                          "(3, 3, 4)"}},
        {"Normalization axis 1", tweak_normalization_axis, NNOM_ERR_UNSUPPORTED,
         {"'flat'", "Normalization", "axis", "last axis"}},
        {"Normalization no statistics", tweak_normalization_no_stats, NNOM_ERR_SHAPE,
         {"'flat'", "Normalization", "mean, variance, count", "holds 0"}},
        {"Normalization variance < 0", tweak_normalization_negative, NNOM_ERR_KERAS,
         {"'flat'", "channel 2", "variance -0.5", ">= 0"}},
        {"Normalization mean only", tweak_normalization_mean_only, NNOM_ERR_KERAS, {"'flat'", "mean", "no variance"}},
        {"Normalization 3 of 4 means", tweak_normalization_short, NNOM_ERR_UNSUPPORTED,
         {"'flat'", "'mean'", "1 or 4 numbers"}},
        {"None dimension", tweak_none_dim, NNOM_ERR_UNSUPPORTED, {"'img'", "None"}},
        {"undefined layer", tweak_ghost, NNOM_ERR_KERAS, {"'flat'", "'ghost'"}},
        {"second output of a layer", tweak_second_output, NNOM_ERR_UNSUPPORTED, {"'conv'", "several outputs"}},
        {"cycle", tweak_cycle, NNOM_ERR_KERAS, {"cycle", "depends on its own output"}},
        {"mask passed by keyword", tweak_mask, NNOM_ERR_UNSUPPORTED, {"'fc'", "mask"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *cfg = config_text(0, cases[i].tweak);
        write_keras(path, cfg, &ws);
        free(cfg);
        expect_failure(cases[i].what, path, cases[i].status, cases[i].words);
    }

    /* the longest message, the list of supported classes after a long class name, is not cut */
    char *cfg = config_text(0, tweak_unsupported_long);
    write_keras(path, cfg, &ws);
    free(cfg);
    nnom_converter *c = NULL;
    nnom_error err;
    TU_CHECK(nnom_keras_read(path, &c, &err) == NNOM_ERR_UNSUPPORTED, "long class name: %s", err.message);
    const size_t len = strlen(err.message);
    TU_CHECK(len + 1 < sizeof err.message, "the message fills its %zu bytes: cut", sizeof err.message);
    const char *list = strstr(err.message, "supported: ");
    TU_CHECK(list != NULL, "no list of supported classes: %s", err.message);
    /* the whole list: it ends with a class name, not inside one */
    static const char *const last_words[] = {"Bidirectional", "LSTM", "Dense", "Conv"};
    for (size_t k = 0; list && k < sizeof last_words / sizeof last_words[0]; k++)
        TU_CHECK(strstr(list, last_words[k]) != NULL, "the list lacks %s: %s", last_words[k], list);
    TU_CHECK(len > LONG_CLASS_CHARS + 200, "%zu bytes: the class name or the list is missing", len);
    if (c) nnom_converter_destroy(c);
    remove(path);
}

/* Weights that disagree with the config: in both layouts, the message names the layer and both shapes. */
static void test_weights(void)
{
    char keras[512], h5[512];
    tmp_path(keras, sizeof keras, "weights.keras");
    tmp_path(h5, sizeof h5, "weights.h5");
    weights_spec ws = default_weights();

    static const struct {
        const char *what;
        tweak_fn tweak;
        const char *words[5];
    } cases[] = {
        {"filters 5, kernel holds 4", tweak_filters5, {"'conv'", "Conv2D", "(3, 3, 2, 4)", "(3, 3, 2, 5)"}},
        {"units 4, kernel holds 3", tweak_units4, {"'fc'", "Dense", "(36, 3)", "(36, 4)"}},
        {"use_bias off, bias stored", tweak_no_bias, {"'conv'", "expected 1 weight array", "holds 2"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int keras2 = 0; keras2 < 2; keras2++) {
            char *cfg = config_text(keras2, cases[i].tweak);
            char what[80];
            snprintf(what, sizeof what, "%s (%s)", cases[i].what, keras2 ? ".h5" : ".keras");
            if (keras2) write_legacy(h5, cfg, &ws);
            else write_keras(keras, cfg, &ws);
            free(cfg);
            expect_failure(what, keras2 ? h5 : keras, NNOM_ERR_SHAPE, cases[i].words);
        }
    }

    /* a kernel of the wrong rank */
    weights_spec bad = default_weights();
    bad.conv_kernel_dims[0] = 1;
    bad.conv_kernel_dims[1] = 9;
    char *k3 = config_text(0, NULL), *k2 = config_text(1, NULL);
    write_keras(keras, k3, &bad);
    const char *w1[] = {"'conv'", "(1, 9, 2, 4)", "(3, 3, 2, 4)", NULL};
    expect_failure("kernel 1x9 for 3x3", keras, NNOM_ERR_SHAPE, w1);

    /* no weights at all for the conv */
    bad = default_weights();
    bad.no_conv_group = 1;
    write_keras(keras, k3, &bad);
    const char *w2[] = {"'conv'", "holds 0", NULL};
    expect_failure("conv weights absent (.keras)", keras, NNOM_ERR_SHAPE, w2);
    write_legacy(h5, k2, &bad);
    expect_failure("conv weights absent (.h5)", h5, NNOM_ERR_SHAPE, w2);

    /* a weight listed in weight_names but not written */
    bad = default_weights();
    bad.fc_missing = 1;
    write_legacy(h5, k2, &bad);
    const char *w3[] = {"'fc'", "fc/kernel:0", "missing", NULL};
    expect_failure("listed weight missing", h5, NNOM_ERR_KERAS, w3);

    /* an HDF5 file with weights but no model_config */
    write_legacy(h5, NULL, &ws);
    const char *w4[] = {"weights.h5", "not a Keras model", "model_config", NULL};
    expect_failure("HDF5 without model_config", h5, NNOM_ERR_KERAS, w4);

    /* model_config that is not a string */
    hid_t f = H5Fcreate(h5, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    TU_REQUIRE(f >= 0, "create %s", h5);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, "model_config", H5T_STD_I32LE, s, H5P_DEFAULT, H5P_DEFAULT);
    const int32_t v = 42;
    H5Awrite(a, H5T_NATIVE_INT32, &v);
    H5Aclose(a);
    H5Sclose(s);
    H5Fclose(f);
    const char *w5[] = {"model_config", "not a JSON string", NULL};
    expect_failure("model_config not a string", h5, NNOM_ERR_KERAS, w5);

    free(k3);
    free(k2);
    remove(keras);
    remove(h5);
}

static void test_arguments(void)
{
    nnom_error err;
    nnom_converter *c = NULL;
    TU_CHECK(nnom_keras_read(NULL, &c, &err) == NNOM_ERR_ARGUMENT && c == NULL, "NULL path: %s", err.message);
    char path[512];
    tmp_path(path, sizeof path, "x.keras");
    TU_CHECK(nnom_keras_read(path, NULL, &err) == NNOM_ERR_ARGUMENT, "NULL out: %s", err.message);
    /* a directory is not a file */
    const char *w[] = {tmp_dir, NULL};
    expect_failure("a directory", tmp_dir, NNOM_ERR_IO, w);
}

int main(void)
{
    tu_seed(2024);
    tu_fill_f32(conv_kernel, sizeof conv_kernel / sizeof conv_kernel[0], -0.5f, 0.5f);
    tu_fill_f32(conv_bias, FILTERS, -0.2f, 0.2f);
    tu_fill_f32(fc_kernel, sizeof fc_kernel / sizeof fc_kernel[0], -0.5f, 0.5f);
    tu_fill_f32(fc_bias, UNITS, -0.2f, 0.2f);
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/nnom_keras_errors_XXXXXX", base && *base ? base : "/tmp");
    TU_REQUIRE(mkdtemp(tmp_dir) != NULL, "cannot create a temporary directory");

    test_valid();
    test_archive();
    test_config();
    test_weights();
    test_arguments();

    rmdir(tmp_dir);
    return tu_finish("test_keras_reader_errors");
}

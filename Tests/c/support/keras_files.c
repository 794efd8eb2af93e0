/* Test support: Keras files built at test time (keras_files.h). */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zip.h>

#include "file_util.h"
#include "keras_files.h"
#include "test_util.h"

/* The model's weights, random, in Keras' layouts (kf_setup()). */
static float conv_kernel[3 * 3 * KF_IN_C * KF_FILTERS]; /* (3, 3, in, out) */
static float conv_bias[KF_FILTERS];
static float fc_kernel[KF_FLAT * KF_UNITS];             /* (in, out) */
static float fc_bias[KF_UNITS];

void kf_tmp_path(char *buf, size_t cap, const char *name) { snprintf(buf, cap, "%s/%s", tu_tmp_dir(), name); }

static int mentions(const char *text, const char *word) { return strstr(text, word) != NULL; }

/* Reads @p path expecting @p expected; each of the NULL-terminated @p words must be in the message. */
void kf_expect_failure(const char *what, const char *path, nnom_status expected, const char *const *words)
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


kf_weights_spec kf_default_weights(void)
{
    kf_weights_spec w;
    memset(&w, 0, sizeof w);
    w.conv_kernel_dims[0] = 3;
    w.conv_kernel_dims[1] = 3;
    w.conv_kernel_dims[2] = KF_IN_C;
    w.conv_kernel_dims[3] = KF_FILTERS;
    w.conv_bias = 1;
    return w;
}

/* The conv layer's kernel (the dims @p ws gives, the first of the random values, zero beyond) and bias (unless
 * @p ws leaves it out) as datasets @p kernel_path and @p bias_path. */
static void write_conv_weights(hid_t f, const char *kernel_path, const char *bias_path, const kf_weights_spec *ws)
{
    static float big[3 * 3 * 8 * 8];
    const size_t n = (size_t)(ws->conv_kernel_dims[0] * ws->conv_kernel_dims[1] * ws->conv_kernel_dims[2] *
                              ws->conv_kernel_dims[3]);
    TU_REQUIRE(n <= sizeof big / sizeof big[0], "kernel too large");
    memcpy(big, conv_kernel, sizeof conv_kernel < n * 4 ? sizeof conv_kernel : n * 4);
    h5_dataset(f, kernel_path, 4, ws->conv_kernel_dims, big);
    const hsize_t bd = KF_FILTERS;
    if (ws->conv_bias) h5_dataset(f, bias_path, 1, &bd, conv_bias);
}

/* A Keras 3 model.weights.h5: layers/<class path>/vars/<i>, with the layer's name as attribute. */
void kf_write_keras3_weights(const char *path, const kf_weights_spec *ws)
{
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
        write_conv_weights(f, "layers/conv2d_7/vars/0", "layers/conv2d_7/vars/1", ws);
    }
    g = h5_group(f, "layers/flatten/vars");
    h5_attr_string(g, "name", "flat");
    H5Gclose(g);
    g = h5_group(f, "layers/dense/vars");
    h5_attr_string(g, "name", "fc");
    H5Gclose(g);
    const hsize_t kd[2] = {KF_FLAT, KF_UNITS}, bd = KF_UNITS;
    h5_dataset(f, "layers/dense/vars/0", 2, kd, fc_kernel);
    h5_dataset(f, "layers/dense/vars/1", 1, &bd, fc_bias);
    g = h5_group(f, "optimizer/vars"); /* present in trained models; to be ignored */
    H5Gclose(g);
    H5Fclose(f);
}

/* A legacy .h5: model_config attribute, model_weights/<layer>/<weight_names[i]>. */
void kf_write_legacy(const char *path, const char *config, const kf_weights_spec *ws)
{
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
        write_conv_weights(f, "model_weights/conv/conv/kernel:0", "model_weights/conv/conv/bias:0", ws);
    }
    g = h5_group(f, "model_weights/flat");
    h5_attr_strings(g, "weight_names", NULL, 0);
    H5Gclose(g);
    g = h5_group(f, "model_weights/fc");
    const char *wn[] = {"fc/kernel:0", "fc/bias:0"};
    h5_attr_strings(g, "weight_names", wn, 2);
    H5Gclose(g);
    const hsize_t kd[2] = {KF_FLAT, KF_UNITS}, bd = KF_UNITS;
    if (!ws->fc_missing) h5_dataset(f, "model_weights/fc/fc/kernel:0", 2, kd, fc_kernel);
    h5_dataset(f, "model_weights/fc/fc/bias:0", 1, &bd, fc_bias);
    H5Fclose(f);
}

/* ------------------------------------------------------------------ zip writing */

void *kf_read_whole(const char *path, size_t *size)
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

void kf_write_whole(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    TU_REQUIRE(f != NULL, "cannot create %s", path);
    TU_REQUIRE(size == 0 || fwrite(data, 1, size, f) == size, "write %s", path);
    TU_REQUIRE(fclose(f) == 0, "close %s", path);
}


/* A zip of stored (uncompressed) entries, as Keras writes .keras files. */
void kf_write_zip(const char *path, const kf_entry *entries, int n)
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
void kf_patch_zip_sizes(const char *path, const char *name, uint32_t size, uint32_t comp_size)
{
    size_t n;
    uint8_t *b = (uint8_t *)kf_read_whole(path, &n);
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
    kf_write_whole(path, b, n);
    free(b);
}

/* ------------------------------------------------------------------ configs */

cJSON *kf_keras3_tensor(const char *from, int h, int w, int c)
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
            cJSON_AddItemToArray(args, kf_keras3_tensor(from, h, w, c));
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
    cJSON_AddItemToArray(shape, cJSON_CreateNumber(KF_IN_H));
    cJSON_AddItemToArray(shape, cJSON_CreateNumber(KF_IN_W));
    cJSON_AddItemToArray(shape, cJSON_CreateNumber(KF_IN_C));
    cJSON *conv = add_layer(layers, "Conv2D", "conv", keras2, "img", KF_IN_H, KF_IN_W, KF_IN_C);
    cJSON_AddNumberToObject(conv, "filters", KF_FILTERS);
    cJSON_AddItemToObject(conv, "kernel_size", int_list(3, 3));
    cJSON_AddItemToObject(conv, "strides", int_list(1, 1));
    cJSON_AddStringToObject(conv, "padding", "valid");
    cJSON_AddStringToObject(conv, "data_format", "channels_last");
    cJSON_AddItemToObject(conv, "dilation_rate", int_list(1, 1));
    cJSON_AddNumberToObject(conv, "groups", 1);
    cJSON_AddStringToObject(conv, "activation", "relu");
    cJSON_AddBoolToObject(conv, "use_bias", 1);
    cJSON *flat = add_layer(layers, "Flatten", "flat", keras2, "conv", KF_OUT_HW, KF_OUT_HW, KF_FILTERS);
    cJSON_AddStringToObject(flat, "data_format", "channels_last");
    cJSON *fc = add_layer(layers, "Dense", "fc", keras2, "flat", KF_FLAT, 0, 0);
    cJSON_AddNumberToObject(fc, "units", KF_UNITS);
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
cJSON *kf_layer_config(cJSON *root, const char *name)
{
    cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItem(cJSON_GetObjectItem(root, "config"), "layers"))
    {
        if (strcmp(cJSON_GetObjectItem(l, "name")->valuestring, name) == 0) return cJSON_GetObjectItem(l, "config");
    }
    TU_REQUIRE(0, "no layer %s", name);
    return NULL;
}

cJSON *kf_layer_object(cJSON *root, const char *name)
{
    cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItem(cJSON_GetObjectItem(root, "config"), "layers"))
    {
        if (strcmp(cJSON_GetObjectItem(l, "name")->valuestring, name) == 0) return l;
    }
    TU_REQUIRE(0, "no layer %s", name);
    return NULL;
}

void kf_set_item(cJSON *obj, const char *key, cJSON *value)
{
    if (cJSON_GetObjectItem(obj, key)) cJSON_ReplaceItemInObject(obj, key, value);
    else cJSON_AddItemToObject(obj, key, value);
}

/* ------------------------------------------------------------------ building files */

/* A .keras archive from a config (NULL: no config.json) and weights (NULL: no model.weights.h5). */
void kf_write_keras(const char *path, const char *config, const kf_weights_spec *ws)
{
    char wpath[512];
    kf_tmp_path(wpath, sizeof wpath, "model.weights.h5");
    void *weights = NULL;
    size_t wsize = 0;
    if (ws) {
        kf_write_keras3_weights(wpath, ws);
        weights = kf_read_whole(wpath, &wsize);
        remove(wpath);
    }
    const char meta[] = "{\"keras_version\": \"3.15.1\", \"date_saved\": \"2025-01-01@00:00:00\"}";
    kf_entry e[3];
    int n = 0;
    e[n++] = (kf_entry){"metadata.json", meta, sizeof meta - 1};
    if (config) e[n++] = (kf_entry){"config.json", config, strlen(config)};
    if (ws) e[n++] = (kf_entry){"model.weights.h5", weights, wsize};
    kf_write_zip(path, e, n);
    free(weights);
}

/* The config after @p tweak, as text (free with free()). */

char *kf_config_text(int keras2, kf_tweak_fn tweak)
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
    double flat[KF_FLAT];
    for (int oh = 0; oh < KF_OUT_HW; oh++)
        for (int ow = 0; ow < KF_OUT_HW; ow++)
            for (int o = 0; o < KF_FILTERS; o++) {
                double acc = conv_bias[o];
                for (int kh = 0; kh < 3; kh++)
                    for (int kw = 0; kw < 3; kw++)
                        for (int i = 0; i < KF_IN_C; i++)
                            acc += (double)x[((oh + kh) * KF_IN_W + ow + kw) * KF_IN_C + i] *
                                   conv_kernel[((kh * 3 + kw) * KF_IN_C + i) * KF_FILTERS + o];
                flat[(oh * KF_OUT_HW + ow) * KF_FILTERS + o] = acc > 0 ? acc : 0;
            }
    double logits[KF_UNITS], max = -1e300, sum = 0;
    for (int u = 0; u < KF_UNITS; u++) {
        double acc = fc_bias[u];
        for (int i = 0; i < KF_FLAT; i++) acc += flat[i] * fc_kernel[i * KF_UNITS + u];
        logits[u] = acc;
        if (acc > max) max = acc;
    }
    for (int u = 0; u < KF_UNITS; u++) sum += exp(logits[u] - max);
    for (int u = 0; u < KF_UNITS; u++) y[u] = exp(logits[u] - max) / sum;
}

/* The well-formed files read, and compute what the reference computes. */
void kf_expect_model(const char *what, const char *path)
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
                 in.shape.dims[0] == KF_IN_H && in.shape.dims[1] == KF_IN_W && in.shape.dims[2] == KF_IN_C,
             "%s: input is '%s' of rank %d", what, in.name, (int)in.shape.rank);
    TU_REQUIRE(nnom_model_alloc_arena(m) == NNOM_OK, "%s: arena: %s", what, nnom_model_last_error(m));
    double worst = 0;
    for (int sample = 0; sample < 4; sample++) {
        float x[KF_IN_H * KF_IN_W * KF_IN_C], y[KF_UNITS];
        double ref[KF_UNITS];
        tu_fill_f32(x, KF_IN_H * KF_IN_W * KF_IN_C, -1.0f, 1.0f);
        TU_OK(m, nnom_model_set_input_f32(m, 0, x, KF_IN_H * KF_IN_W * KF_IN_C));
        TU_OK(m, nnom_model_run(m));
        TU_OK(m, nnom_model_get_output_f32(m, 0, y, KF_UNITS));
        reference(x, ref);
        for (int u = 0; u < KF_UNITS; u++)
            if (fabs(y[u] - ref[u]) > worst) worst = fabs(y[u] - ref[u]);
    }
    TU_CHECK(worst <= 1e-5, "%s: max error %g against the reference", what, worst);
    printf("  %-30s reads, max error %.2g against the reference\n", what, worst);
    nnom_converter_destroy(c);
}

void kf_setup(const char *prefix)
{
    tu_seed(2024);
    tu_fill_f32(conv_kernel, sizeof conv_kernel / sizeof conv_kernel[0], -0.5f, 0.5f);
    tu_fill_f32(conv_bias, KF_FILTERS, -0.2f, 0.2f);
    tu_fill_f32(fc_kernel, sizeof fc_kernel / sizeof fc_kernel[0], -0.5f, 0.5f);
    tu_fill_f32(fc_bias, KF_UNITS, -0.2f, 0.2f);
    tu_tmp_dir_make(prefix);
}

void kf_teardown(void) { tu_tmp_dir_remove(); }

/*
 * Reading one Keras layer's weights as float32, in the layer's own variable
 * order, from either layout:
 *  - Keras 3 (.keras, model.weights.h5): layers/<path>/vars/0, 1, ... where
 *    <path> comes from the class and position (conv2d, conv2d_1, ...), not
 *    the layer's name; the vars group's `name` attribute gives the name.
 *  - legacy .h5 (Keras 3 and tf.keras): model_weights/<layer name> with an
 *    attribute weight_names listing dataset paths relative to that group
 *    ("conv2d/kernel:0", "sequential/conv2d/kernel", ...), in variable order.
 * Layers made of sub-layers keep their weights there in Keras 3 files:
 * layers/lstm/cell/vars, layers/bidirectional/forward_layer/cell/vars and
 * backward_layer/cell/vars; a legacy file lists them all under the layer's
 * group (forward then backward), e.g. "lstm/lstm_cell/kernel:0".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras/keras_internal.h"

/* Largest element count of one weight array (keeps byte sizes in 32 bits). */
#define KR_ARRAY_MAX ((int64_t)1 << 29)

void kr_dims_text(const int64_t *dims, int rank, char *buf, size_t cap)
{
    size_t n = 0;
    n += (size_t)snprintf(buf + n, cap - n, "(");
    for (int i = 0; i < rank && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, i ? ", %lld" : "%lld", (long long)dims[i]);
    if (n < cap) snprintf(buf + n, cap - n, ")");
}

void kr_weights_free(kr_weights *w)
{
    for (int i = 0; i < w->n; i++) free(w->a[i].data);
    memset(w, 0, sizeof *w);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s);
    char *d = (char *)malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

/* Reads dataset @p dpath as float32 into @p a. */
static nnom_status read_dataset(kr_file *f, const char *dpath, const char *label, const char *layer,
                                kr_array *a, nnom_converter *c)
{
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "%s", label);
    nnom_status st = NNOM_OK;
    hid_t d = H5Dopen2(f->h5, dpath, H5P_DEFAULT);
    if (d < 0)
        return nnom_converter_fail(c, NNOM_ERR_KERAS, "layer '%s': cannot open its weight %s in '%s'", layer, label,
                                   f->path);
    hid_t t = H5Dget_type(d), sp = H5Dget_space(d);
    H5T_class_t cls = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    hsize_t dims[H5S_MAX_RANK];
    if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
        st = nnom_converter_fail(c, NNOM_ERR_KERAS, "layer '%s': weight %s is not a numeric array", layer, label);
        goto done;
    }
    if (rank < 0 || rank > KR_MAX_DIMS || H5Sget_simple_extent_dims(sp, dims, NULL) != rank) {
        st = nnom_converter_fail(c, NNOM_ERR_KERAS, "layer '%s': weight %s has an unsupported rank %d", layer, label,
                                 rank);
        goto done;
    }
    int64_t count = 1;
    for (int i = 0; i < rank; i++) {
        a->dims[i] = (int64_t)dims[i];
        if (dims[i] > (hsize_t)KR_ARRAY_MAX || (count *= (int64_t)dims[i]) > KR_ARRAY_MAX) {
            st = nnom_converter_fail(c, NNOM_ERR_KERAS, "layer '%s': weight %s is too large", layer, label);
            goto done;
        }
    }
    a->rank = rank;
    a->count = (size_t)count;
    a->data = (float *)malloc((size_t)(count ? count : 1) * sizeof(float));
    if (!a->data) {
        st = nnom_converter_fail(c, NNOM_ERR_NO_MEMORY, "layer '%s': out of memory for weight %s", layer, label);
        goto done;
    }
    if (count && H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, a->data) < 0) {
        st = nnom_converter_fail(c, NNOM_ERR_KERAS, "layer '%s': cannot read weight %s from '%s' (damaged file?)",
                                 layer, label, f->path);
        goto done;
    }
done:
    if (st != NNOM_OK) {
        free(a->data);
        a->data = NULL;
    }
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    H5Dclose(d);
    return st;
}

/* ------------------------------------------------------------------ Keras 3 */

typedef struct name_list {
    char **names;
    int n, cap;
    int failed;
} name_list;

static herr_t collect_link(hid_t group, const char *name, const H5L_info_t *info, void *data)
{
    (void)group;
    (void)info;
    name_list *l = (name_list *)data;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 32;
        char **grown = (char **)realloc(l->names, (size_t)cap * sizeof *grown);
        if (!grown) {
            l->failed = 1;
            return 1;
        }
        l->names = grown;
        l->cap = cap;
    }
    l->names[l->n] = dup_str(name);
    if (!l->names[l->n]) {
        l->failed = 1;
        return 1;
    }
    l->n++;
    return 0;
}

/* Maps each top-level layer's name (the `name` attribute of layers/<x>/vars) to its vars group. */
static nnom_status load_paths(kr_file *f, nnom_converter *c)
{
    f->paths_loaded = 1;
    if (!kr_h5_path_exists(f->h5, "layers")) return NNOM_OK;
    hid_t g = H5Gopen2(f->h5, "layers", H5P_DEFAULT);
    if (g < 0) return NNOM_OK;
    name_list l = {0};
    hsize_t idx = 0;
    H5Literate(g, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, collect_link, &l);
    H5Gclose(g);
    nnom_status st = NNOM_OK;
    if (l.failed) st = nnom_converter_fail(c, NNOM_ERR_NO_MEMORY, "out of memory listing the weights of '%s'", f->path);
    if (st == NNOM_OK && l.n) {
        f->paths = (kr_path_entry *)calloc((size_t)l.n, sizeof *f->paths);
        if (!f->paths) st = nnom_converter_fail(c, NNOM_ERR_NO_MEMORY, "out of memory listing weights");
    }
    for (int i = 0; st == NNOM_OK && i < l.n; i++) {
        char vars[512];
        snprintf(vars, sizeof vars, "layers/%s/vars", l.names[i]);
        if (!kr_h5_path_exists(f->h5, vars)) continue;
        char **s = NULL;
        int n = 0;
        if (kr_h5_read_strings(f->h5, vars, "name", &s, &n) == 0 && n == 1) {
            kr_path_entry *e = &f->paths[f->n_paths];
            e->name = s[0];
            s[0] = NULL;
            e->path = dup_str(vars);
            f->n_paths++;
            if (!e->path) st = nnom_converter_fail(c, NNOM_ERR_NO_MEMORY, "out of memory listing weights");
        }
        kr_strings_free(s, n);
    }
    for (int i = 0; i < l.n; i++) free(l.names[i]);
    free(l.names);
    return st;
}

/* The vars group of Keras 3 layer @p layer ("layers/<path>/vars"), or NULL when none is stored. */
static nnom_status keras3_vars(kr_file *f, const char *layer, const char *fallback, const char **vars, char *fb,
                               size_t fb_cap, nnom_converter *c)
{
    *vars = NULL;
    if (!f->paths_loaded) {
        nnom_status st = load_paths(f, c);
        if (st != NNOM_OK) return st;
    }
    for (int i = 0; i < f->n_paths; i++)
        if (strcmp(f->paths[i].name, layer) == 0) {
            *vars = f->paths[i].path;
            return NNOM_OK;
        }
    if (fallback && fallback[0]) {
        snprintf(fb, fb_cap, "layers/%s/vars", fallback);
        /* only when the group does not name another layer */
        int named_other = 0;
        for (int i = 0; i < f->n_paths; i++)
            if (strcmp(f->paths[i].path, fb) == 0) named_other = 1;
        if (!named_other && kr_h5_path_exists(f->h5, fb)) *vars = fb;
    }
    return NNOM_OK;
}

/* Appends the datasets 0, 1, ... of vars group @p vars to @p w; messages call them <label>/0, ... */
static nnom_status read_vars_group(kr_file *f, const char *layer, const char *vars, const char *label_base,
                                   kr_weights *w, nnom_converter *c)
{
    H5G_info_t info;
    if (H5Gget_info_by_name(f->h5, vars, &info, H5P_DEFAULT) < 0)
        return nnom_converter_fail(c, NNOM_ERR_KERAS, "layer '%s': cannot read its weights group %s", layer, vars);
    if (info.nlinks > (hsize_t)(KR_MAX_ARRAYS - w->n))
        return nnom_converter_fail(c, NNOM_ERR_UNSUPPORTED, "layer '%s': %lu more weight arrays in %s, at most %d "
                                   "in all supported", layer, (unsigned long)info.nlinks, vars, KR_MAX_ARRAYS);
    for (int i = 0; i < (int)info.nlinks; i++) {
        char dpath[300], label[96];
        snprintf(dpath, sizeof dpath, "%s/%d", vars, i);
        snprintf(label, sizeof label, "%s/%d", label_base, i);
        if (!kr_h5_path_exists(f->h5, dpath))
            return nnom_converter_fail(c, NNOM_ERR_KERAS, "layer '%s': weight %s is missing from '%s'", layer, label,
                                       f->path);
        nnom_status st = read_dataset(f, dpath, label, layer, &w->a[w->n], c);
        if (st != NNOM_OK) return st;
        w->n++;
    }
    return NNOM_OK;
}

static nnom_status read_keras3(kr_file *f, const char *layer, const char *fallback, const char *const *subs,
                               int n_subs, kr_weights *w, nnom_converter *c)
{
    const char *vars;
    char fb[256];
    nnom_status st = keras3_vars(f, layer, fallback, &vars, fb, sizeof fb, c);
    if (st != NNOM_OK || !vars) return st; /* no weights stored: the class converter says whether that is wrong */
    if (n_subs == 0) return read_vars_group(f, layer, vars, "vars", w, c);
    /* sub-layers: "<layer group>/<sub>/vars", e.g. layers/lstm/cell/vars */
    const size_t base_len = strlen(vars) >= 5 ? strlen(vars) - 5 : 0; /* without "/vars" */
    for (int k = 0; k < n_subs && st == NNOM_OK; k++) {
        char sub[512], label[160];
        snprintf(sub, sizeof sub, "%.*s/%s/vars", (int)base_len, vars, subs[k]);
        snprintf(label, sizeof label, "%s/vars", subs[k]);
        if (!kr_h5_path_exists(f->h5, sub)) continue; /* the count check of the class converter reports it */
        st = read_vars_group(f, layer, sub, label, w, c);
    }
    return st;
}

/* ------------------------------------------------------------------ legacy */

static nnom_status read_legacy(kr_file *f, const char *layer, kr_weights *w, nnom_converter *c)
{
    char group[512];
    if (strcmp(f->weights_root, ".") == 0)
        snprintf(group, sizeof group, "%s", layer);
    else
        snprintf(group, sizeof group, "%s/%s", f->weights_root, layer);
    if (!kr_h5_path_exists(f->h5, group)) return NNOM_OK;
    char **names = NULL;
    int n = 0;
    if (kr_h5_read_strings(f->h5, group, "weight_names", &names, &n) != 0) return NNOM_OK;
    nnom_status st = NNOM_OK;
    if (n > KR_MAX_ARRAYS)
        st = nnom_converter_fail(c, NNOM_ERR_UNSUPPORTED, "layer '%s': %d weight arrays, at most %d supported", layer,
                                 n, KR_MAX_ARRAYS);
    for (int i = 0; st == NNOM_OK && i < n; i++) {
        char dpath[1024];
        snprintf(dpath, sizeof dpath, "%s/%s", group, names[i]);
        if (!kr_h5_path_exists(f->h5, dpath)) {
            st = nnom_converter_fail(c, NNOM_ERR_KERAS, "layer '%s': weight %s is listed but missing from '%s'", layer,
                                     names[i], f->path);
            break;
        }
        st = read_dataset(f, dpath, names[i], layer, &w->a[w->n], c);
        if (st == NNOM_OK) w->n++;
    }
    kr_strings_free(names, n);
    return st;
}

nnom_status kr_weights_read(kr_file *f, const char *layer_name, const char *fallback_path, kr_weights *w,
                            nnom_converter *c)
{
    return kr_weights_read_nested(f, layer_name, fallback_path, NULL, 0, w, c);
}

nnom_status kr_weights_read_nested(kr_file *f, const char *layer_name, const char *fallback_path,
                                   const char *const *subs, int n_subs, kr_weights *w, nnom_converter *c)
{
    memset(w, 0, sizeof *w);
    if (f->h5 < 0) return NNOM_OK; /* a config read without weights (kr_read_config) */
    nnom_status st = f->layout == KR_LAYOUT_KERAS3 ? read_keras3(f, layer_name, fallback_path, subs, n_subs, w, c)
                                                   : read_legacy(f, layer_name, w, c);
    if (st != NNOM_OK) kr_weights_free(w);
    return st;
}

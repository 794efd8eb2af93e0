/*
 * Opening a Keras file: a Keras 3 `.keras` archive (a zip holding
 * config.json and model.weights.h5, whose HDF5 bytes are opened from memory
 * with the core driver) or a legacy `.h5` (the config in the root attribute
 * model_config, the weights in the group model_weights). The kind is told by
 * the file's first bytes, not its extension.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zip.h>

#include "common/zip_entry.h"
#include "keras/keras_internal.h"

/* A config larger than this is certainly not a Keras config. */
#define KR_CONFIG_MAX ((size_t)256 << 20)

static char *dup_text(const char *s, size_t n)
{
    char *d = (char *)malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void kr_strings_free(char **s, int n)
{
    if (!s) return;
    for (int i = 0; i < n; i++) free(s[i]);
    free(s);
}

int kr_h5_path_exists(hid_t file, const char *path)
{
    char buf[1024];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf) return 0;
    if (strcmp(path, ".") == 0 || strcmp(path, "/") == 0) return 1;
    memcpy(buf, path, len + 1);
    /* H5Lexists fails, rather than saying no, when an intermediate group is missing: test each prefix */
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char keep = buf[i];
            buf[i] = '\0';
            htri_t e = H5Lexists(file, buf, H5P_DEFAULT);
            buf[i] = keep;
            if (e <= 0) return 0;
        }
    }
    return 1;
}

int kr_h5_read_strings(hid_t file, const char *obj_path, const char *attr, char ***out, int *n)
{
    *out = NULL;
    *n = 0;
    if (!kr_h5_path_exists(file, obj_path)) return -1;
    if (H5Aexists_by_name(file, obj_path, attr, H5P_DEFAULT) <= 0) return -1;
    hid_t a = H5Aopen_by_name(file, obj_path, attr, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return -1;
    int rc = -1;
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a), mt = -1;
    char **strs = NULL;
    hssize_t count = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    int ndims = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    if (t < 0 || count < 0 || ndims < 0 || ndims > 1 || count > (1 << 20)) goto done;
    if (H5Tget_class(t) != H5T_STRING) {
        /* h5py writes an empty list as an empty float64 array */
        if (count == 0) rc = 0;
        goto done;
    }
    strs = (char **)calloc((size_t)count + 1, sizeof *strs);
    if (!strs) goto done;
    mt = H5Tcopy(H5T_C_S1);
    if (mt < 0) goto done;
    if (H5Tis_variable_str(t) > 0) {
        char **raw = (char **)calloc((size_t)count + 1, sizeof *raw);
        if (!raw) goto done;
        if (H5Tset_size(mt, H5T_VARIABLE) < 0 || H5Tset_cset(mt, H5Tget_cset(t)) < 0 ||
            H5Aread(a, mt, raw) < 0) {
            free(raw);
            goto done;
        }
        int ok = 1;
        for (hssize_t i = 0; i < count; i++) {
            const char *s = raw[i] ? raw[i] : "";
            strs[i] = dup_text(s, strlen(s));
            if (!strs[i]) ok = 0;
        }
#if H5_VERSION_GE(1, 12, 0)
        H5Treclaim(mt, sp, H5P_DEFAULT, raw);
#else
        H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, raw);
#endif
        free(raw);
        if (!ok) goto done;
    } else {
        size_t size = H5Tget_size(t);
        if (size == 0 || size > ((size_t)1 << 28) / ((size_t)count + 1)) goto done;
        char *raw = (char *)calloc((size_t)count + 1, size);
        if (!raw) goto done;
        if (H5Tset_size(mt, size) < 0 || H5Tset_strpad(mt, H5T_STR_NULLPAD) < 0 || H5Aread(a, mt, raw) < 0) {
            free(raw);
            goto done;
        }
        int ok = 1;
        for (hssize_t i = 0; i < count; i++) {
            const char *s = raw + (size_t)i * size;
            size_t len = 0;
            while (len < size && s[len]) len++;
            strs[i] = dup_text(s, len);
            if (!strs[i]) ok = 0;
        }
        free(raw);
        if (!ok) goto done;
    }
    *out = strs;
    *n = (int)count;
    strs = NULL;
    rc = 0;
done:
    if (strs) kr_strings_free(strs, (int)count);
    if (mt >= 0) H5Tclose(mt);
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    H5Aclose(a);
    return rc;
}

/* The major version in "3.15.1" (0 if none). */
static int major_of(const char *v)
{
    int m = 0;
    while (*v >= '0' && *v <= '9' && m < 1000) m = m * 10 + (*v++ - '0');
    return m;
}

/* ------------------------------------------------------------------ legacy .h5 */

static nnom_status open_legacy(kr_file *f, nnom_converter *c)
{
    f->h5 = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f->h5 < 0)
        return nnom_converter_fail(c, NNOM_ERR_KERAS,
                                   "'%s' has an HDF5 signature but HDF5 cannot open it (truncated or damaged file?)",
                                   f->path);
    f->layout = KR_LAYOUT_LEGACY;
    char **s = NULL;
    int n = 0;
    if (kr_h5_read_strings(f->h5, ".", "model_config", &s, &n) != 0 || n != 1) {
        kr_strings_free(s, n);
        if (H5Aexists_by_name(f->h5, ".", "model_config", H5P_DEFAULT) > 0)
            return nnom_converter_fail(c, NNOM_ERR_KERAS,
                                       "'%s' is not a Keras model: its model_config attribute is not a JSON string",
                                       f->path);
        const int weights_only = kr_h5_path_exists(f->h5, "layers") || kr_h5_path_exists(f->h5, "model_weights") ||
                                 H5Aexists_by_name(f->h5, ".", "layer_names", H5P_DEFAULT) > 0;
        return nnom_converter_fail(c, NNOM_ERR_KERAS,
                                   "'%s' is an HDF5 file but not a Keras model: it has no model_config attribute%s",
                                   f->path,
                                   weights_only ? " (it looks like a weights-only file: save the whole model with "
                                                  "model.save(), as .keras or .h5)"
                                                : "");
    }
    f->config = s[0];
    f->config_len = strlen(s[0]);
    s[0] = NULL;
    kr_strings_free(s, n);
    if (kr_h5_read_strings(f->h5, ".", "keras_version", &s, &n) == 0 && n == 1) f->keras_major = major_of(s[0]);
    kr_strings_free(s, n);
    if (kr_h5_path_exists(f->h5, "model_weights"))
        snprintf(f->weights_root, sizeof f->weights_root, "model_weights");
    else
        snprintf(f->weights_root, sizeof f->weights_root, ".");
    return NNOM_OK;
}

/* ------------------------------------------------------------------ .keras zip */

static void zip_error_text(int code, char *buf, size_t cap)
{
    zip_error_t ze;
    zip_error_init_with_code(&ze, code);
    snprintf(buf, cap, "%s", zip_error_strerror(&ze));
    zip_error_fini(&ze);
}

/* Reads a whole archive entry (NUL-terminated; its sizes checked against the archive before
 * anything is allocated, see common/zip_entry.h). Returns 1 if the entry is absent, 0 on
 * success, -1 on an error (recorded). */
static int read_entry(zip_t *z, const char *name, size_t limit, char **out, size_t *len, const char *path,
                      nnom_converter *c, nnom_status *st)
{
    *out = NULL;
    *len = 0;
    const zip_int64_t index = zip_name_locate(z, name, 0);
    if (index < 0) return 1;
    const int64_t archive = nnom_file_bytes(path);
    if (archive < 0) {
        *st = nnom_converter_fail(c, NNOM_ERR_IO, "'%s': cannot read the archive's size", path);
        return -1;
    }
    char msg[NNOM_ERROR_MESSAGE_MAX];
    uint8_t *bytes = NULL;
    const nnom_status rs = nnom_zip_read_entry(z, (zip_uint64_t)index, (uint64_t)archive, limit, &bytes, len, msg,
                                               sizeof msg);
    if (rs != NNOM_OK) {
        *st = nnom_converter_fail(c, rs == NNOM_ERR_NO_MEMORY ? rs : NNOM_ERR_KERAS, "'%s': %s (damaged file?)",
                                  path, msg);
        return -1;
    }
    *out = (char *)bytes;
    return 0;
}

static nnom_status open_keras(kr_file *f, nnom_converter *c)
{
    int code = 0;
    zip_t *z = zip_open(f->path, ZIP_RDONLY | ZIP_CHECKCONS, &code);
    if (!z) {
        char msg[128];
        zip_error_text(code, msg, sizeof msg);
        return nnom_converter_fail(c, NNOM_ERR_KERAS,
                                   "'%s' starts like a zip (.keras) archive but cannot be opened as one: %s "
                                   "(truncated or damaged file?)", f->path, msg);
    }
    nnom_status st = NNOM_OK;
    char *meta = NULL, *weights = NULL;
    size_t meta_len = 0, weights_len = 0;
    int r = read_entry(z, "config.json", KR_CONFIG_MAX, &f->config, &f->config_len, f->path, c, &st);
    if (r == 1)
        st = nnom_converter_fail(c, NNOM_ERR_KERAS, "'%s' is a zip archive without config.json: not a Keras 3 .keras "
                                 "model", f->path);
    if (r != 0) goto done;
    r = read_entry(z, "model.weights.h5", SIZE_MAX / 2, &weights, &weights_len, f->path, c, &st);
    if (r == 1)
        st = nnom_converter_fail(c, NNOM_ERR_KERAS,
                                 "'%s' has no model.weights.h5 entry: a .keras model needs its weights (save it with "
                                 "model.save())", f->path);
    if (r != 0) goto done;
    f->keras_major = 3;
    if (read_entry(z, "metadata.json", (size_t)1 << 20, &meta, &meta_len, f->path, c, &st) == 0) {
        cJSON *m = cJSON_ParseWithLength(meta, meta_len);
        const char *v = kr_get_string(m, "keras_version", NULL);
        if (v && major_of(v) > 0) f->keras_major = major_of(v);
        cJSON_Delete(m);
    }
    st = NNOM_OK; /* metadata.json is optional */
    if (weights_len < 8 || memcmp(weights, "\x89HDF\r\n\x1a\n", 8) != 0) {
        st = nnom_converter_fail(c, NNOM_ERR_KERAS, "'%s': model.weights.h5 is not an HDF5 file", f->path);
        goto done;
    }
    {
        /* the HDF5 core driver opens the bytes in memory; the library copies them */
        hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
        if (fapl < 0 || H5Pset_fapl_core(fapl, (size_t)1 << 16, 0) < 0 ||
            H5Pset_file_image(fapl, weights, weights_len) < 0) {
            if (fapl >= 0) H5Pclose(fapl);
            st = nnom_converter_fail(c, NNOM_ERR_NO_MEMORY, "'%s': cannot prepare the in-memory HDF5 file", f->path);
            goto done;
        }
        f->h5 = H5Fopen("model.weights.h5", H5F_ACC_RDONLY, fapl);
        H5Pclose(fapl);
    }
    if (f->h5 < 0) {
        st = nnom_converter_fail(c, NNOM_ERR_KERAS, "'%s': model.weights.h5 cannot be opened by HDF5 (damaged?)",
                                 f->path);
        goto done;
    }
    f->layout = KR_LAYOUT_KERAS3;
done:
    free(meta);
    free(weights);
    zip_discard(z);
    return st;
}

/* ------------------------------------------------------------------ dispatch */

nnom_status kr_file_open(kr_file *f, const char *path, nnom_converter *c)
{
    memset(f, 0, sizeof *f);
    f->h5 = H5I_INVALID_HID;
    f->path = path;
    errno = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return nnom_converter_fail(c, NNOM_ERR_IO, "cannot read '%s': %s", path, nnom_tools_io_reason(errno));
    unsigned char head[8] = {0};
    size_t got = fread(head, 1, sizeof head, fp);
    int is_hdf5 = got == 8 && memcmp(head, "\x89HDF\r\n\x1a\n", 8) == 0;
    /* an HDF5 file may start after a user block of 512, 1024, 2048, ... bytes */
    for (long off = 512; !is_hdf5 && got == 8 && off <= (1L << 20); off *= 2) {
        unsigned char sig[8];
        if (fseek(fp, off, SEEK_SET) != 0 || fread(sig, 1, 8, fp) != 8) break;
        is_hdf5 = memcmp(sig, "\x89HDF\r\n\x1a\n", 8) == 0;
    }
    const int read_error = ferror(fp) ? (errno ? errno : EIO) : 0;
    fclose(fp);
    if (read_error) return nnom_converter_fail(c, NNOM_ERR_IO, "cannot read '%s': %s", path, nnom_tools_io_reason(read_error));
    if (got == 0) return nnom_converter_fail(c, NNOM_ERR_KERAS, "'%s' is empty: not a Keras model", path);
    const int is_zip = got >= 4 && head[0] == 'P' && head[1] == 'K' &&
                       ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6));
    if (is_zip) return open_keras(f, c);
    if (is_hdf5) return open_legacy(f, c);
    return nnom_converter_fail(c, NNOM_ERR_KERAS,
                               "'%s' is not a Keras model: neither a .keras archive (zip) nor an HDF5 .h5 file", path);
}

void kr_file_close(kr_file *f)
{
    if (f->h5 >= 0) H5Fclose(f->h5);
    f->h5 = H5I_INVALID_HID;
    free(f->config);
    f->config = NULL;
    for (int i = 0; i < f->n_paths; i++) {
        free(f->paths[i].name);
        free(f->paths[i].path);
    }
    free(f->paths);
    f->paths = NULL;
    f->n_paths = 0;
}

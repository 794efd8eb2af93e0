/*
 * NumPy .npy and .npz files (format versions 1.0, 2.0 and 3.0).
 *
 * A .npy file is the magic "\x93NUMPY", a version (major, minor), the length
 * of a header (u16 for 1.0, u32 for 2.0/3.0, little-endian), the header --
 * a Python dict literal such as {'descr': '<f4', 'fortran_order': False,
 * 'shape': (3, 4), } -- and the raw elements. Every array read is converted
 * to float32 in C order; every byte of the header and the data is checked
 * against the file's size, so a bad file is an error, never a crash.
 *
 * A .npz file is a zip archive of "<name>.npy" entries, stored or deflated
 * (np.savez / np.savez_compressed); it is read with libzip.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "common/tools_internal.h"
#include "common/zip_entry.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAX_RANK 8
/* Headers are a few hundred bytes; anything much larger is not a file numpy wrote. */
#define NPY_MAX_HEADER (1u << 20)

void nnom_array_free(nnom_array *a)
{
    if (!a) return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* ------------------------------------------------------------ header parsing */

typedef struct npy_parser {
    const char *p, *end;
} npy_parser;

static void skip_space(npy_parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) ps->p++;
}

static int accept(npy_parser *ps, char ch)
{
    skip_space(ps);
    if (ps->p < ps->end && *ps->p == ch) {
        ps->p++;
        return 1;
    }
    return 0;
}

/* A quoted Python string (no escapes needed for dtype descriptors); copied into out. */
static int parse_string(npy_parser *ps, char *out, size_t cap)
{
    skip_space(ps);
    if (ps->p >= ps->end || (*ps->p != '\'' && *ps->p != '"')) return 0;
    const char quote = *ps->p++;
    size_t n = 0;
    while (ps->p < ps->end && *ps->p != quote) {
        if (*ps->p == '\\' || n + 1 >= cap) return 0;
        out[n++] = *ps->p++;
    }
    if (ps->p >= ps->end) return 0;
    ps->p++;
    out[n] = '\0';
    return 1;
}

static int parse_word(npy_parser *ps, const char *word)
{
    skip_space(ps);
    const size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return 0;
    ps->p += n;
    return 1;
}

/* (d0, d1, ...) of non-negative integers; "()" is rank 0, "(5,)" rank 1. */
static int parse_shape(npy_parser *ps, int32_t *rank, int64_t *dims, int *too_many)
{
    *rank = 0;
    *too_many = 0;
    if (!accept(ps, '(')) return 0;
    for (;;) {
        if (accept(ps, ')')) return 1;
        skip_space(ps);
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') return 0;
        int64_t v = 0;
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
            if (v > (INT64_MAX - 9) / 10) return 0;
            v = v * 10 + (*ps->p++ - '0');
        }
        if (ps->p < ps->end && (*ps->p == 'L' || *ps->p == 'l')) ps->p++; /* Python 2 longs */
        if (*rank >= NPY_MAX_RANK) {
            *too_many = 1;
            return 0;
        }
        dims[(*rank)++] = v;
        if (accept(ps, ')')) return 1;
        if (!accept(ps, ',')) return 0;
    }
}

/* The element type of a descriptor such as '<f4'. */
typedef struct npy_dtype {
    char kind;      /* 'b' bool, 'i' signed, 'u' unsigned, 'f' float */
    int size;       /* bytes per element */
    int big_endian;
} npy_dtype;

static int host_is_big_endian(void)
{
    const uint16_t probe = 1;
    uint8_t first;
    memcpy(&first, &probe, 1);
    return first == 0;
}

static int parse_descr(const char *descr, npy_dtype *t)
{
    const char order = descr[0];
    if (order != '<' && order != '>' && order != '|' && order != '=') return 0;
    t->kind = descr[1];
    if (!t->kind || descr[2] < '1' || descr[2] > '8' || descr[3] != '\0') return 0;
    t->size = descr[2] - '0';
    t->big_endian = order == '>' || (order == '=' && host_is_big_endian());
    switch (t->kind) {
    case 'b': return t->size == 1;
    case 'i':
    case 'u': return t->size == 1 || t->size == 2 || t->size == 4 || t->size == 8;
    case 'f': return t->size == 2 || t->size == 4 || t->size == 8;
    default: return 0;
    }
}

static uint64_t load_uint(const uint8_t *p, int size, int big_endian)
{
    uint64_t v = 0;
    for (int k = 0; k < size; k++) {
        const int shift = 8 * (big_endian ? size - 1 - k : k);
        v |= (uint64_t)p[k] << shift;
    }
    return v;
}

/* IEEE-754 binary16 to float, subnormals, infinities and NaN included. */
static float half_to_float(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h >> 15) << 31;
    uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ffu, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else { /* subnormal: normalise */
            int e = -1;
            do {
                mant <<= 1;
                e++;
            } while (!(mant & 0x400u));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mant & 0x3ffu) << 13);
        }
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static float element_to_float(const uint8_t *p, const npy_dtype *t)
{
    const uint64_t u = load_uint(p, t->size, t->big_endian);
    switch (t->kind) {
    case 'b': return u ? 1.0f : 0.0f;
    case 'u': return (float)u;
    case 'i': {
        if (t->size == 8) return (float)(int64_t)u;
        const uint64_t sign_bit = (uint64_t)1 << (8 * t->size - 1);
        const int64_t v = (u & sign_bit) ? (int64_t)u - (int64_t)(sign_bit << 1) : (int64_t)u;
        return (float)v;
    }
    default:
        if (t->size == 2) return half_to_float((uint16_t)u);
        if (t->size == 4) {
            const uint32_t bits = (uint32_t)u;
            float f;
            memcpy(&f, &bits, 4);
            return f;
        } else {
            double d;
            memcpy(&d, &u, 8);
            return (float)d;
        }
    }
}

/* Parses a whole .npy image of @p size bytes; @p what names it in messages. */
static nnom_status npy_parse(const uint8_t *buf, size_t size, const char *what, nnom_array *out, nnom_error *err)
{
    if (size < 10 || memcmp(buf, NPY_MAGIC, 6) != 0)
        return nnom_error_set(err, NNOM_ERR_FORMAT, "%s: not a .npy file (no \\x93NUMPY magic)", what);
    const int major = buf[6], minor = buf[7];
    size_t header_len, header_start;
    if (major == 1) {
        header_len = (size_t)buf[8] | ((size_t)buf[9] << 8);
        header_start = 10;
    } else if (major == 2 || major == 3) {
        if (size < 12) return nnom_error_set(err, NNOM_ERR_TRUNCATED, "%s: truncated .npy header", what);
        header_len = (size_t)load_uint(buf + 8, 4, 0);
        header_start = 12;
    } else {
        return nnom_error_set(err, NNOM_ERR_VERSION, "%s: .npy format version %d.%d is not supported (1.0 to 3.0 are)",
                              what, major, minor);
    }
    if (header_len > NPY_MAX_HEADER)
        return nnom_error_set(err, NNOM_ERR_FORMAT, "%s: .npy header of %zu bytes is implausibly long", what, header_len);
    if (header_len > size - header_start)
        return nnom_error_set(err, NNOM_ERR_TRUNCATED, "%s: the .npy header claims %zu bytes but the file has %zu",
                              what, header_len, size - header_start);

    npy_parser ps = {(const char *)buf + header_start, (const char *)buf + header_start + header_len};
    char descr[32] = "";
    int have_descr = 0, have_order = 0, have_shape = 0, fortran = 0, too_many = 0;
    int32_t rank = 0;
    int64_t dims[NPY_MAX_RANK];
    if (!accept(&ps, '{')) return nnom_error_set(err, NNOM_ERR_FORMAT, "%s: the .npy header is not a dict", what);
    for (;;) {
        if (accept(&ps, '}')) break;
        char key[32];
        if (!parse_string(&ps, key, sizeof key) || !accept(&ps, ':'))
            return nnom_error_set(err, NNOM_ERR_FORMAT, "%s: malformed .npy header (expected 'key': value)", what);
        if (strcmp(key, "descr") == 0) {
            skip_space(&ps);
            if (ps.p < ps.end && *ps.p == '[')
                return nnom_error_set(err, NNOM_ERR_UNSUPPORTED,
                                      "%s: structured dtypes are not supported (only bool, integer and float arrays)",
                                      what);
            if (!parse_string(&ps, descr, sizeof descr))
                return nnom_error_set(err, NNOM_ERR_FORMAT, "%s: malformed 'descr' in the .npy header", what);
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (parse_word(&ps, "True")) fortran = 1;
            else if (parse_word(&ps, "False")) fortran = 0;
            else return nnom_error_set(err, NNOM_ERR_FORMAT, "%s: 'fortran_order' is neither True nor False", what);
            have_order = 1;
        } else if (strcmp(key, "shape") == 0) {
            if (!parse_shape(&ps, &rank, dims, &too_many)) {
                if (too_many)
                    return nnom_error_set(err, NNOM_ERR_UNSUPPORTED, "%s: arrays of more than %d dimensions are not "
                                          "supported", what, NPY_MAX_RANK);
                return nnom_error_set(err, NNOM_ERR_FORMAT, "%s: malformed 'shape' in the .npy header", what);
            }
            have_shape = 1;
        } else {
            return nnom_error_set(err, NNOM_ERR_FORMAT, "%s: unexpected key '%s' in the .npy header", what, key);
        }
        if (accept(&ps, ',')) continue;
        if (accept(&ps, '}')) break;
        return nnom_error_set(err, NNOM_ERR_FORMAT, "%s: malformed .npy header (expected ',' or '}')", what);
    }
    if (!have_descr || !have_order || !have_shape)
        return nnom_error_set(err, NNOM_ERR_FORMAT, "%s: the .npy header lacks %s", what,
                              !have_descr ? "'descr'" : (!have_order ? "'fortran_order'" : "'shape'"));
    if (fortran)
        return nnom_error_set(err, NNOM_ERR_UNSUPPORTED,
                              "%s: Fortran-ordered arrays are not supported; save a C-ordered array "
                              "(np.ascontiguousarray)", what);
    npy_dtype t;
    if (!parse_descr(descr, &t))
        return nnom_error_set(err, NNOM_ERR_UNSUPPORTED,
                              "%s: dtype '%s' is not supported (bool, int8-64, uint8-64, float16/32/64 are)", what, descr);
    uint64_t count = 1;
    for (int32_t k = 0; k < rank; k++) {
        if (dims[k] != 0 && count > (uint64_t)INT64_MAX / 16 / (uint64_t)dims[k])
            return nnom_error_set(err, NNOM_ERR_FORMAT, "%s: the shape's element count overflows", what);
        count *= (uint64_t)dims[k];
    }
    const size_t data_start = header_start + header_len;
    const uint64_t need = count * (uint64_t)t.size;
    if (need > (uint64_t)(size - data_start))
        return nnom_error_set(err, NNOM_ERR_TRUNCATED, "%s: truncated data: %llu bytes of elements expected, %zu present",
                              what, (unsigned long long)need, size - data_start);
    if (count > (uint64_t)(SIZE_MAX / sizeof(float)))
        return nnom_error_set(err, NNOM_ERR_NO_MEMORY, "%s: too many elements", what);
    float *data = (float *)malloc(count ? (size_t)count * sizeof(float) : 1);
    if (!data) return nnom_error_set(err, NNOM_ERR_NO_MEMORY, "%s: out of memory for %llu elements", what,
                                     (unsigned long long)count);
    const uint8_t *src = buf + data_start;
    for (uint64_t k = 0; k < count; k++) data[k] = element_to_float(src + k * (uint64_t)t.size, &t);
    char name[sizeof out->name];
    memcpy(name, out->name, sizeof name);
    memset(out, 0, sizeof *out);
    memcpy(out->name, name, sizeof name);
    out->data = data;
    out->rank = rank;
    for (int32_t k = 0; k < rank; k++) out->dims[k] = dims[k];
    out->count = (int64_t)count;
    return NNOM_OK;
}

/* ---------------------------------------------------------------- reading */

nnom_status nnom_npy_read(const char *path, nnom_array *out, nnom_error *err)
{
    if (!out) return nnom_error_set(err, NNOM_ERR_ARGUMENT, "npy read: out is NULL");
    memset(out, 0, sizeof *out);
    if (!path) return nnom_error_set(err, NNOM_ERR_ARGUMENT, "npy read: path is NULL");
    errno = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return nnom_error_set(err, NNOM_ERR_IO, "cannot read '%s': %s", path, nnom_tools_io_reason(errno));
    uint8_t *buf = NULL;
    size_t size = 0, cap = 0;
    for (;;) {
        if (size == cap) {
            size_t grown = cap ? cap * 2 : 65536;
            uint8_t *p = (uint8_t *)realloc(buf, grown);
            if (!p) {
                free(buf);
                fclose(f);
                return nnom_error_set(err, NNOM_ERR_NO_MEMORY, "%s: out of memory", path);
            }
            buf = p;
            cap = grown;
        }
        const size_t got = fread(buf + size, 1, cap - size, f);
        size += got;
        if (got == 0) break;
    }
    const int failed = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (failed) {
        free(buf);
        return nnom_error_set(err, NNOM_ERR_IO, "cannot read '%s': %s", path, nnom_tools_io_reason(failed));
    }
    nnom_status st = npy_parse(buf, size, path, out, err);
    free(buf);
    return st;
}

nnom_status nnom_npz_read(const char *path, const char *name, nnom_array *out, nnom_error *err)
{
    if (!out) return nnom_error_set(err, NNOM_ERR_ARGUMENT, "npz read: out is NULL");
    memset(out, 0, sizeof *out);
    if (!path || !name || !name[0]) return nnom_error_set(err, NNOM_ERR_ARGUMENT, "npz read: path or name is NULL");
    char entry[256];
    const size_t len = strlen(name);
    const int has_suffix = len > 4 && strcmp(name + len - 4, ".npy") == 0;
    if (len + 5 > sizeof entry) return nnom_error_set(err, NNOM_ERR_ARGUMENT, "npz read: name '%s' is too long", name);
    snprintf(entry, sizeof entry, has_suffix ? "%s" : "%s.npy", name);

    /* a file that cannot be read at all is said so as for every other file */
    errno = 0;
    FILE *probe = fopen(path, "rb");
    if (!probe) return nnom_error_set(err, NNOM_ERR_IO, "cannot read '%s': %s", path, nnom_tools_io_reason(errno));
    fclose(probe);
    int zerr = 0;
    zip_t *za = zip_open(path, ZIP_RDONLY, &zerr);
    if (!za) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        nnom_status st = nnom_error_set(err, zerr == ZIP_ER_NOENT || zerr == ZIP_ER_OPEN ? NNOM_ERR_IO : NNOM_ERR_FORMAT,
                                        "cannot open '%s' as a .npz (zip) file: %s", path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return st;
    }
    nnom_status st = NNOM_OK;
    uint8_t *buf = NULL;
    size_t got = 0;
    const zip_int64_t index = zip_name_locate(za, entry, 0);
    if (index < 0) {
        st = nnom_error_set(err, NNOM_ERR_ARGUMENT, "%s: no array '%s' (entry '%s') in the archive", path, name, entry);
        goto done;
    }
    const int64_t archive = nnom_file_bytes(path);
    if (archive < 0) {
        st = nnom_error_set(err, NNOM_ERR_IO, "%s: cannot read the archive's size", path);
        goto done;
    }
    char msg[NNOM_ERROR_MESSAGE_MAX];
    st = nnom_zip_read_entry(za, (zip_uint64_t)index, (uint64_t)archive, UINT64_MAX, &buf, &got, msg, sizeof msg);
    if (st != NNOM_OK) {
        nnom_error_set(err, st, "%s: %s", path, msg);
        goto done;
    }
    {
        char what[600];
        snprintf(what, sizeof what, "%s[%s]", path, entry);
        snprintf(out->name, sizeof out->name, "%.*s", (int)(has_suffix ? len - 4 : len), name);
        st = npy_parse(buf, got, what, out, err);
        if (st != NNOM_OK) memset(out, 0, sizeof *out);
    }
done:
    free(buf);
    zip_discard(za);
    return st;
}

/* ---------------------------------------------------------------- writing */

static nnom_status npy_write(const char *path, const char *descr, int esize, const void *data, int32_t rank,
                             const int64_t *dims, nnom_error *err)
{
    if (!path) return nnom_error_set(err, NNOM_ERR_ARGUMENT, "npy write: path is NULL");
    if (rank < 0 || rank > NPY_MAX_RANK || (rank > 0 && !dims))
        return nnom_error_set(err, NNOM_ERR_ARGUMENT, "npy write: rank %d (expected 0 to %d, with dims)", (int)rank,
                              NPY_MAX_RANK);
    uint64_t count = 1;
    char shape[NPY_MAX_RANK * 24 + 4];
    int n = snprintf(shape, sizeof shape, "(");
    for (int32_t k = 0; k < rank; k++) {
        if (dims[k] < 0 || (dims[k] > 0 && count > (uint64_t)INT64_MAX / 16 / (uint64_t)dims[k]))
            return nnom_error_set(err, NNOM_ERR_ARGUMENT, "npy write: dimension %d is %lld", (int)k, (long long)dims[k]);
        count *= (uint64_t)dims[k];
        n += snprintf(shape + n, sizeof shape - (size_t)n, rank == 1 ? "%lld," : (k ? ", %lld" : "%lld"),
                      (long long)dims[k]);
    }
    snprintf(shape + n, sizeof shape - (size_t)n, ")");
    if (count > 0 && !data) return nnom_error_set(err, NNOM_ERR_ARGUMENT, "npy write: data is NULL");

    char header[512];
    int h = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
    /* pad with spaces and a newline so that the data starts at a multiple of 64 */
    const int total = ((10 + h + 1 + 63) / 64) * 64;
    while (10 + h + 1 < total) header[h++] = ' ';
    header[h++] = '\n';
    uint8_t pre[10];
    memcpy(pre, NPY_MAGIC, 6);
    pre[6] = 1;
    pre[7] = 0;
    pre[8] = (uint8_t)(h & 0xff);
    pre[9] = (uint8_t)(h >> 8);

    FILE *f = fopen(path, "wb");
    if (!f) return nnom_error_set(err, NNOM_ERR_IO, "cannot create '%s'", path);
    fwrite(pre, 1, sizeof pre, f);
    fwrite(header, 1, (size_t)h, f);
    const uint8_t *src = (const uint8_t *)data;
    uint8_t chunk[4096];
    size_t used = 0;
    for (uint64_t k = 0; k < count; k++) {
        if (esize == 4) { /* float32 as little-endian bytes whatever the host */
            uint32_t bits;
            memcpy(&bits, src + 4 * k, 4);
            for (int b = 0; b < 4; b++) chunk[used++] = (uint8_t)(bits >> (8 * b));
        } else {
            chunk[used++] = src[k];
        }
        if (used + 4 > sizeof chunk) {
            fwrite(chunk, 1, used, f);
            used = 0;
        }
    }
    if (used) fwrite(chunk, 1, used, f);
    const int failed = ferror(f);
    if (fclose(f) != 0 || failed) return nnom_error_set(err, NNOM_ERR_IO, "writing '%s' failed", path);
    return NNOM_OK;
}

nnom_status nnom_npy_write_f32(const char *path, const float *data, int32_t rank, const int64_t *dims, nnom_error *err)
{
    return npy_write(path, "<f4", 4, data, rank, dims, err);
}

nnom_status nnom_npy_write_s8(const char *path, const int8_t *data, int32_t rank, const int64_t *dims, nnom_error *err)
{
    return npy_write(path, "|i1", 1, data, rank, dims, err);
}

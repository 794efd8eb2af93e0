/*
 * Writes weights.h for firmware: the very .nnom bytes that were validated on
 * the PC, as a const array of little-endian 32-bit words (a uint32_t array is
 * 4-byte aligned on every compiler, which the in-place loader needs), and a
 * static inline <name>_load() that hands them to nnom_model_load().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/emit.h"
#include "format/format.h"

#define MAX_NAME 64

static int is_c_identifier(const char *s)
{
    if (!s || !s[0] || strlen(s) > MAX_NAME) return 0;
    const char c0 = s[0];
    if (!((c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z') || c0 == '_')) return 0;
    for (const char *p = s + 1; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_')) return 0;
    return 1;
}

size_t nnom_header_default_name(const char *path, char *out, size_t cap)
{
    if (!out || cap == 0) return 0;
    out[0] = '\0';
    if (cap < 2) return 0;
    const char *stem = path ? strrchr(path, '/') : NULL;
    stem = stem ? stem + 1 : (path ? path : "");
    const char *dot = strrchr(stem, '.');
    size_t len = dot && dot != stem ? (size_t)(dot - stem) : strlen(stem);
    size_t n = 0;
    const size_t limit = cap - 1 < MAX_NAME ? cap - 1 : MAX_NAME;
    if (len == 0 || (stem[0] >= '0' && stem[0] <= '9')) out[n++] = '_';
    for (size_t k = 0; k < len && n < limit; k++) {
        const char ch = stem[k];
        const int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
        out[n++] = ok ? ch : '_';
    }
    out[n] = '\0';
    return n;
}

/* Writes @p s inside a C comment: control bytes become '?', and a closing comment token is broken up. */
static void put_comment_text(FILE *f, const char *s)
{
    for (const char *p = s; *p; p++) {
        const unsigned char ch = (unsigned char)*p;
        if (ch < 0x20 || ch == 0x7f) fputc('?', f);
        else if (ch == '*' && p[1] == '/') fputs("* ", f);
        else fputc(ch, f);
    }
}

static void shape_text(const nnom_shape *s, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "(");
    for (int32_t k = 0; k < s->rank && k < NNOM_MAX_RANK && n > 0 && (size_t)n < cap; k++)
        n += snprintf(buf + n, cap - (size_t)n, k ? ", %d" : "%d", (int)s->dims[k]);
    if (n > 0 && (size_t)n < cap) snprintf(buf + n, cap - (size_t)n, ")");
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static void write_layer_table(FILE *f, nnom_model *m)
{
    const int32_t n = nnom_model_layer_count(m);
    fprintf(f, " * Layers (%d), output shape and quantisation (real = scale * (q - zero_point)):\n", (int)n);
    fprintf(f, " *   %4s  %-31s  %-17s  %-15s  %-14s  %s\n", "#", "name", "type", "output", "scale", "zero point");
    for (int32_t i = 0; i < n; i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        if (nnom_model_layer_info(m, i, &info) != NNOM_OK) continue;
        char shape[48];
        shape_text(&info.shape, shape, sizeof shape);
        fprintf(f, " *   %4d  ", (int)i);
        put_comment_text(f, info.name);
        fprintf(f, "%*s  %-17s  %-15s  %-14.9g  %d\n", (int)(31 - (strlen(info.name) < 31 ? strlen(info.name) : 31)),
                "", info.type_name, shape, (double)info.quant.scale, (int)info.quant.zero_point);
    }
}

/* The nnom-layers: word of the kernels over channel pairs (NNOM_WITH_CONV_CHANNEL_PAIRS, layers/conv.c). */
#define NNOM_CHANNEL_PAIRS_TOKEN "conv_channel_pairs"

/* 1 when a convolution of @p m holds its weights in channel pairs. */
static int has_channel_pairs(nnom_model *m)
{
    for (int32_t i = 0; i < nnom_model_layer_count(m); i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        if (nnom_model_layer_info(m, i, &info) == NNOM_OK &&
            (info.type == NNOM_LAYER_CONV1D || info.type == NNOM_LAYER_CONV2D) &&
            (info.params.cell_flags & NNOM_CONV_CHANNEL_PAIRS))
            return 1;
    }
    return 0;
}

/* The layer types the model needs, once each, in order of first use (INPUT and OUTPUT are always in):
 * a machine-readable "nnom-layers:" line (CMake's nnom_layers_of_header() reads it) and the matching
 * NNOM_WITH_<TYPE> definitions of a build that links only these types. */
static void write_layer_types(FILE *f, nnom_model *m)
{
    const int32_t n = nnom_model_layer_count(m);
    fprintf(f, " *\n * Layer types it needs; a firmware may link only these (docs/porting.md: CMake's\n"
               " * nnom_link_only_layers_of_header(), or NNOM_LAYERS_ONLY with the NNOM_WITH_ list):\n"
               " * nnom-layers:");
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) fprintf(f, "\n * NNOM_WITH: ");
        for (int32_t i = 0; i < n; i++) {
            nnom_layer_info info = NNOM_LAYER_INFO_INIT, prev = NNOM_LAYER_INFO_INIT;
            if (nnom_model_layer_info(m, i, &info) != NNOM_OK) continue;
            if (info.type == NNOM_LAYER_INPUT || info.type == NNOM_LAYER_OUTPUT) continue;
            int seen = 0;
            for (int32_t j = 0; j < i && !seen; j++)
                seen = nnom_model_layer_info(m, j, &prev) == NNOM_OK && prev.type == info.type;
            if (seen) continue;
            if (pass == 0) {
                fprintf(f, " %s", info.type_name);
            } else {
                fputs(" NNOM_WITH_", f);
                for (const char *p = info.type_name; *p; p++)
                    fputc((*p >= 'a' && *p <= 'z') ? *p - 'a' + 'A' : *p, f);
                fputs("=1", f);
            }
        }
        /* and the convolutions' kernels over channel pairs, when a layer holds its weights so */
        if (has_channel_pairs(m)) fputs(pass == 0 ? " " NNOM_CHANNEL_PAIRS_TOKEN : " NNOM_WITH_CONV_CHANNEL_PAIRS=1", f);
    }
    fputc('\n', f);
}

/* The name of the user operator a CUSTOM layer needs (blob 0), or NULL. */
static const char *user_op_name(nnom_model *m, int32_t i)
{
    nnom_layer_info info = NNOM_LAYER_INFO_INIT;
    nnom_blob blobs[NNOM_MAX_BLOBS];
    if (nnom_model_layer_info(m, i, &info) != NNOM_OK || info.type != NNOM_LAYER_CUSTOM) return NULL;
    if (nnom_model_layer_blobs(m, i, blobs) != NNOM_OK || !blobs[0].data) return NULL;
    return (const char *)blobs[0].data; /* NUL-terminated: the layer compiled */
}

/* The user operator layer @p i needs if no earlier layer needs it, else NULL. */
static const char *first_use_of_user_op(nnom_model *m, int32_t i)
{
    const char *op = user_op_name(m, i);
    for (int32_t j = 0; op && j < i; j++) {
        const char *prev = user_op_name(m, j);
        if (prev && strcmp(prev, op) == 0) return NULL;
    }
    return op;
}

/* The user operators the model needs, once each in order of first use, in a machine-readable
 * "nnom-user-ops:" line; returns how many. */
static int32_t write_user_ops(FILE *f, nnom_model *m)
{
    const int32_t n = nnom_model_layer_count(m);
    int32_t count = 0;
    for (int32_t i = 0; i < n; i++) {
        const char *op = first_use_of_user_op(m, i);
        if (!op) continue;
        if (count++ == 0)
            fprintf(f, " *\n * User operators it needs: register each under its name in nnom_options.op_registry\n"
                       " * before loading (nnom/user_op.h); loading without one fails, naming it:\n"
                       " * nnom-user-ops:");
        fputc(' ', f);
        put_comment_text(f, op);
    }
    if (count) fputc('\n', f);
    return count;
}

/* The user operators as a C initializer of string literals, { "a", "b" }: '"' and '\\' escaped,
 * bytes outside printable ASCII as octal escapes. */
static void write_user_op_list(FILE *f, nnom_model *m, const char *upper)
{
    fprintf(f, "/* Names of the user operators the model needs (see the top comment). */\n#define %s_USER_OPS {", upper);
    int32_t count = 0;
    for (int32_t i = 0; i < nnom_model_layer_count(m); i++) {
        const char *op = first_use_of_user_op(m, i);
        if (!op) continue;
        fputs(count++ ? ", \"" : " \"", f);
        for (const char *p = op; *p; p++) {
            const unsigned char ch = (unsigned char)*p;
            if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
            else if (ch < 0x20 || ch >= 0x7f) fprintf(f, "\\%03o", ch);
            else fputc(ch, f);
        }
        fputc('"', f);
    }
    fprintf(f, " }\n#define %s_USER_OP_COUNT %d\n\n", upper, (int)count);
}

/* The compile-time check that the nnom headers the firmware is built with read
 * the .nnom format version of @p bytes (an older runtime cannot load a newer file). */
static void write_format_check(FILE *f, const uint8_t *bytes, size_t size, const char *name)
{
    unsigned major = 0, minor = 0;
    if (size >= NNOM_FILE_HEADER_BYTES) {
        major = (unsigned)bytes[NNOM_HDR_VERSION_MAJOR] | (unsigned)bytes[NNOM_HDR_VERSION_MAJOR + 1] << 8;
        minor = (unsigned)bytes[NNOM_HDR_VERSION_MINOR] | (unsigned)bytes[NNOM_HDR_VERSION_MINOR + 1] << 8;
    }
    fprintf(f, "/* The model below is a .nnom file of format %u.%u: the nnom headers in use must read it. */\n",
            major, minor);
    fprintf(f, "#if !defined(NNOM_FORMAT_VERSION_MAJOR) || NNOM_FORMAT_VERSION_MAJOR != %u || "
               "NNOM_FORMAT_VERSION_MINOR < %u\n", major, minor);
    fprintf(f, "#error \"model '%s' is .nnom format %u.%u, which these nnom headers cannot read: build with the nnom "
               "that converted it (%s) or newer, or convert the model again\"\n#endif\n\n",
            name, major, minor, nnom_version_string());
}

/* Writes the header for @p m, whose .nnom bytes are @p bytes; failures go to @p msg. */
static nnom_status write_header_file(const nnom_model *mc, const uint8_t *bytes, size_t size, const char *source,
                                     const char *path, const char *name, char *msg, size_t cap)
{
    nnom_model *m = (nnom_model *)mc;
    if (!path || !path[0]) {
        snprintf(msg, cap, "write header: no file path given");
        return NNOM_ERR_ARGUMENT;
    }
    char derived[MAX_NAME + 1];
    if (!name || !name[0]) {
        nnom_header_default_name(path, derived, sizeof derived);
        name = derived;
    }
    if (!is_c_identifier(name)) {
        snprintf(msg, cap,
                 "write header: name '%s' is not a C identifier (letters, digits and '_', not starting with a digit, "
                 "at most %d characters)",
                 name ? name : "(null)", MAX_NAME);
        return NNOM_ERR_ARGUMENT;
    }
    char upper[MAX_NAME + 1];
    size_t len = strlen(name);
    for (size_t k = 0; k <= len; k++) upper[k] = (name[k] >= 'a' && name[k] <= 'z') ? (char)(name[k] - 32) : name[k];
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(msg, cap, "cannot create '%s': %s", path, strerror(errno));
        return NNOM_ERR_IO;
    }
    const size_t n_words = (size - 1) / 4 + 1;

    fprintf(f, "/*\n * ");
    put_comment_text(f, base_name(path));
    fprintf(f, ": the int8 model '%s' for nnom firmware.\n *\n", name);
    fprintf(f, " * Generated by nnom %s from ", nnom_version_string());
    if (source && source[0]) {
        fputc('\'', f);
        put_comment_text(f, source);
        fputc('\'', f);
    } else {
        fputs("a model built through the nnom C API", f);
    }
    fprintf(f, ". Do not edit: to regenerate,\n"
               " * convert the model again (nnom_converter_write_header(), nnom.convert(..., header=...)\n"
               " * or `nnom convert ... --header \"");
    put_comment_text(f, base_name(path));
    fprintf(f, "\"`).\n *\n");
    /* the arena a firmware plans depends on its kernels: the larger of the two serves either */
    const size_t arena_portable = nnom_model_arena_size_for(m, NNOM_KERNELS_PORTABLE);
    const size_t arena_dsp = nnom_model_arena_size_for(m, NNOM_KERNELS_CORTEX_M_DSP);
    const size_t arena = arena_portable > arena_dsp ? arena_portable : arena_dsp;
    fprintf(f, " * %zu bytes of .nnom model, %zu bytes of weights, an arena of %zu bytes (%zu with the\n"
               " * portable kernels, %zu with the Cortex-M DSP kernels), %llu multiply-accumulates per inference.\n *\n",
            size, nnom_model_weight_bytes(m), arena, arena_portable, arena_dsp,
            (unsigned long long)nnom_model_total_macs(m));
    write_layer_table(f, m);
    write_layer_types(f, m);
    const int32_t n_user_ops = write_user_ops(f, m);
    fprintf(f, " *\n * Use:\n"
               " *     nnom_model *model;\n"
               " *     nnom_error err;\n");
    if (n_user_ops)
        fprintf(f, " *     nnom_options opt = NNOM_OPTIONS_INIT;    (the registry holding the operators above)\n"
                   " *     opt.op_registry = &registry;\n"
                   " *     if (%s_load(&opt, &model, &err) != NNOM_OK) { ... err.message ... }\n",
                name);
    else
        fprintf(f, " *     if (%s_load(NULL, &model, &err) != NNOM_OK) { ... err.message ... }\n", name);
    fprintf(f,
               " *     static uint32_t arena[(%s_ARENA_BYTES + 3) / 4];    (4-byte aligned; or nnom_model_alloc_arena)\n"
               " *     nnom_model_set_arena(model, arena, sizeof arena);\n"
               " */\n",
            upper);
    fprintf(f, "#ifndef %s_NNOM_MODEL_H\n#define %s_NNOM_MODEL_H\n\n", upper, upper);
    fprintf(f, "#include <stdint.h>\n#include \"nnom/nnom.h\"\n\n");
    write_format_check(f, bytes, size, name);
    fprintf(f, "#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__\n"
               "#error \"the nnom model words below are little-endian: nnom models need a little-endian target\"\n"
               "#endif\n\n");
    fprintf(f, "/* Exact size of the .nnom model in bytes (the array below is padded to whole words). */\n");
    fprintf(f, "#define %s_MODEL_BYTES %zu\n", upper, size);
    fprintf(f, "/* Arena the model needs once loaded (nnom_model_arena_size(): enough for the portable and the\n"
               " * Cortex-M DSP kernels alike). */\n");
    fprintf(f, "#define %s_ARENA_BYTES %zu\n\n", upper, arena);
    if (n_user_ops) write_user_op_list(f, m, upper);
    fprintf(f, "/* The .nnom file as little-endian 32-bit words: 4-byte aligned, used in place by the loader. */\n");
    fprintf(f, "static const uint32_t %s_model_data[%zu] = {\n", name, n_words);
    for (size_t w = 0; w < n_words; w++) {
        uint32_t v = 0;
        for (size_t b = 0; b < 4; b++) {
            const size_t at = w * 4 + b;
            if (at < size) v |= (uint32_t)bytes[at] << (8 * b);
        }
        fprintf(f, "%s0x%08lx%s", w % 8 == 0 ? "    " : " ", (unsigned long)v,
                w + 1 == n_words ? "\n" : (w % 8 == 7 ? ",\n" : ","));
    }
    fprintf(f, "};\n\n");
    fprintf(f, "/* Loads and compiles the model from %s_model_data (nothing is copied). @p options may be NULL. */\n",
            name);
    fprintf(f, "static inline nnom_status %s_load(const nnom_options *options, nnom_model **out, nnom_error *err)\n"
               "{\n"
               "    return nnom_model_load(%s_model_data, %s_MODEL_BYTES, options, out, err);\n"
               "}\n\n",
            name, name, upper);
    fprintf(f, "#endif /* %s_NNOM_MODEL_H */\n", upper);
    const int failed = ferror(f);
    const int write_errno = errno;
    if (fclose(f) != 0 || failed) {
        snprintf(msg, cap, "writing '%s' failed: %s", path, strerror(failed ? write_errno : errno));
        return NNOM_ERR_IO;
    }
    return NNOM_OK;
}

nnom_status nnom_converter_write_header(nnom_converter *c, const char *path, const char *name)
{
    if (!c) return NNOM_ERR_ARGUMENT;
    uint8_t *bytes;
    size_t size;
    nnom_status st = nnom_emit_model_bytes(c, &bytes, &size);
    if (st != NNOM_OK) return st;
    char msg[NNOM_ERROR_MESSAGE_MAX];
    st = write_header_file(c->int8_model, bytes, size, c->source, path, name, msg, sizeof msg);
    free(bytes);
    if (st != NNOM_OK) return nnom_converter_fail(c, st, "%s", msg);
    return NNOM_OK;
}

nnom_status nnom_write_header(const void *data, size_t size, const char *path, const char *name, const char *source,
                              nnom_error *err)
{
    if (!data || size == 0) return nnom_error_set(err, NNOM_ERR_ARGUMENT, "write header: no model bytes given");
    /* a private, aligned copy to load from (the caller's bytes may be anywhere) */
    uint8_t *copy = (uint8_t *)malloc(size);
    if (!copy) return nnom_error_set(err, NNOM_ERR_NO_MEMORY, "write header: out of memory");
    memcpy(copy, data, size);
    nnom_model *m;
    nnom_status st = nnom_model_load(copy, size, NULL, &m, err);
    if (st == NNOM_OK) {
        char msg[NNOM_ERROR_MESSAGE_MAX];
        st = write_header_file(m, copy, size, source, path, name, msg, sizeof msg);
        if (st != NNOM_OK) nnom_error_set(err, st, "%s", msg);
        nnom_model_destroy(m);
    }
    free(copy);
    return st;
}

nnom_status nnom_write_model_header(nnom_model *model, const char *path, const char *name, const char *source,
                                    nnom_error *err)
{
    if (!model) return nnom_error_set(err, NNOM_ERR_ARGUMENT, "write header: model is NULL");
    size_t size = 0;
    nnom_status st = nnom_model_save(model, NULL, 0, &size);
    if (st != NNOM_OK) return nnom_error_set(err, st, "write header: %s", nnom_model_last_error(model));
    uint8_t *bytes = (uint8_t *)malloc(size);
    if (!bytes) return nnom_error_set(err, NNOM_ERR_NO_MEMORY, "write header: out of memory");
    st = nnom_model_save(model, bytes, size, &size);
    if (st != NNOM_OK) {
        nnom_error_set(err, st, "write header: %s", nnom_model_last_error(model));
    } else {
        char msg[NNOM_ERROR_MESSAGE_MAX];
        st = write_header_file(model, bytes, size, source, path, name, msg, sizeof msg);
        if (st != NNOM_OK) nnom_error_set(err, st, "%s", msg);
    }
    free(bytes);
    return st;
}

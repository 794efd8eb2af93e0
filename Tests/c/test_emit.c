/*
 * The writers: a quantised model saved as .nnom and as weights.h, in a
 * temporary directory. The .nnom file is loaded back and must give the int8
 * model's outputs bit for bit; the header's hex words are parsed out of its
 * text and must be the .nnom bytes (little-endian words, zero padding, the
 * exact byte count), and loading those words must work too. The header's
 * comment must name the generator, the source and every layer, and be closed
 * exactly once whatever the source path holds. With a C compiler on the
 * machine the header is also compiled (-std=c99 -Wall -Wextra -Werror).
 * Names that are not C identifiers are refused.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/tools_internal.h"
#include "file_util.h"
#include "graph_util.h"

static gb G;
/* Runs @p a and @p b on the same inputs; their int8 outputs must be identical. */
static void same_outputs(nnom_model *a, nnom_model *b, const char *label)
{
    nnom_tensor_info ii, oi;
    TU_OK(a, nnom_model_input_info(a, 0, &ii));
    TU_OK(a, nnom_model_output_info(a, 0, &oi));
    float *x = (float *)malloc((size_t)ii.count * sizeof *x);
    int8_t *ya = (int8_t *)malloc((size_t)oi.count), *yb = (int8_t *)malloc((size_t)oi.count);
    for (int t = 0; t < 20; t++) {
        tu_fill_f32(x, (size_t)ii.count, -1.0f, 1.0f);
        TU_OK(a, nnom_model_set_input_f32(a, 0, x, (size_t)ii.count));
        TU_OK(b, nnom_model_set_input_f32(b, 0, x, (size_t)ii.count));
        TU_OK(a, nnom_model_run(a));
        TU_OK(b, nnom_model_run(b));
        TU_OK(a, nnom_model_get_output_s8(a, 0, ya, (size_t)oi.count));
        TU_OK(b, nnom_model_get_output_s8(b, 0, yb, (size_t)oi.count));
        TU_CHECK(memcmp(ya, yb, (size_t)oi.count) == 0, "%s: outputs differ on input %d", label, t);
    }
    free(x);
    free(ya);
    free(yb);
}

static nnom_converter *make_converter(void)
{
    gb_init(&G, NNOM_DTYPE_F32);
    int32_t x = gb_input(&G, 3, 8, 8, 2);
    int32_t a = gb_conv(&G, x, 6, 3, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_RELU);
    int32_t p = gb_max_pool(&G, a, 2, 2, NNOM_PADDING_VALID);
    int32_t b = gb_conv(&G, p, 6, 3, 1, 1, NNOM_PADDING_SAME, NNOM_ACT_NONE);
    int32_t s = gb_relu(&G, gb_add(&G, p, b));
    gb_output(&G, gb_dense(&G, gb_flatten(&G, s), 10, NNOM_ACT_NONE));
    gb_compile(&G);
    nnom_converter *c;
    nnom_error err;
    TU_REQUIRE(nnom_converter_from_model(G.m, &c, &err) == NNOM_OK, "%s", err.message);
    return c;
}

static void before_quantising(nnom_converter *c)
{
    TU_CHECK(nnom_converter_save(c, tu_tmp_path("early.nnom")) == NNOM_ERR_STATE, "save before quantising");
    TU_CHECK(strstr(nnom_converter_last_error(c), "quantize") != NULL, "message: %s", nnom_converter_last_error(c));
    TU_CHECK(nnom_converter_write_header(c, tu_tmp_path("early.h"), "m") == NNOM_ERR_STATE, "header before quantising");
    TU_CHECK(access(tu_tmp_path("early.nnom"), F_OK) != 0 && access(tu_tmp_path("early.h"), F_OK) != 0,
             "a file was written although nothing could be");
}

static void nnom_file(nnom_converter *c)
{
    nnom_model *q = nnom_converter_int8_model(c);
    TU_CHECK(nnom_converter_save(c, tu_tmp_path("model.nnom")) == NNOM_OK, "save: %s", nnom_converter_last_error(c));
    size_t size;
    uint8_t *bytes = tu_read_file(tu_tmp_path("model.nnom"), &size);
    /* the file is exactly what the runtime's writer makes */
    size_t want = 0;
    TU_OK(q, nnom_model_save(q, NULL, 0, &want));
    uint8_t *mem = (uint8_t *)malloc(want);
    TU_OK(q, nnom_model_save(q, mem, want, &want));
    TU_CHECK(size == want && memcmp(bytes, mem, size) == 0, "file (%zu bytes) differs from nnom_model_save (%zu)", size,
             want);
    free(mem);
    nnom_model *loaded;
    nnom_error err;
    TU_REQUIRE(nnom_model_load(bytes, size, NULL, &loaded, &err) == NNOM_OK, "load: %s", err.message);
    TU_OK(loaded, nnom_model_alloc_arena(loaded));
    TU_CHECK(nnom_model_layer_count(loaded) == nnom_model_layer_count(q), "layer count");
    same_outputs(q, loaded, ".nnom file");
    nnom_model_destroy(loaded);
    free(bytes);

    TU_CHECK(nnom_converter_save(c, "/nonexistent-dir/model.nnom") == NNOM_ERR_IO &&
                 strstr(nnom_converter_last_error(c), "/nonexistent-dir/model.nnom"),
             "unwritable path: %s", nnom_converter_last_error(c));
    TU_CHECK(nnom_converter_save(c, NULL) == NNOM_ERR_ARGUMENT, "NULL path");
}

/* Parses "0x...." words between "<name>_model_data[" and "};". */
static uint32_t *parse_words(const char *text, const char *name, size_t *n)
{
    char key[96];
    snprintf(key, sizeof key, "static const uint32_t %s_model_data[", name);
    const char *p = strstr(text, key);
    TU_REQUIRE(p != NULL, "no '%s' in the header", key);
    const char *end = strstr(p, "};");
    TU_REQUIRE(end != NULL, "array not closed");
    p = strchr(p, '{');
    size_t cap = 1024, count = 0;
    uint32_t *w = (uint32_t *)malloc(cap * 4);
    while ((p = strstr(p, "0x")) != NULL && p < end) {
        char *next;
        unsigned long v = strtoul(p, &next, 16);
        TU_REQUIRE(next == p + 10, "a word that is not 8 hex digits");
        if (count == cap) w = (uint32_t *)realloc(w, (cap *= 2) * 4);
        w[count++] = (uint32_t)v;
        p = next;
    }
    *n = count;
    return w;
}

static int count_of(const char *text, const char *needle, const char *stop)
{
    int n = 0;
    for (const char *p = strstr(text, needle); p && (!stop || p < stop); p = strstr(p + 1, needle)) n++;
    return n;
}

static void header_file(nnom_converter *c)
{
    nnom_model *q = nnom_converter_int8_model(c);
    snprintf(c->source, sizeof c->source, "models/odd*/name*/net.keras");
    const char *path = tu_tmp_path("weights.h");
    TU_CHECK(nnom_converter_write_header(c, path, "digits_v2") == NNOM_OK, "header: %s", nnom_converter_last_error(c));
    size_t text_len;
    char *text = (char *)tu_read_file(path, &text_len);
    size_t size = 0;
    TU_OK(q, nnom_model_save(q, NULL, 0, &size));

    /* what the comment must say, and where it must end */
    const char *guard = strstr(text, "#ifndef DIGITS_V2_NNOM_MODEL_H");
    TU_CHECK(guard != NULL && strstr(text, "#define DIGITS_V2_NNOM_MODEL_H") && strstr(text, "#endif /* DIGITS_V2_NNOM_MODEL_H */"),
             "include guard");
    TU_CHECK(strncmp(text, "/*", 2) == 0 && count_of(text, "*/", guard) == 1, "the top comment must close exactly once");
    char want[128];
    snprintf(want, sizeof want, "Generated by nnom %s from 'models/odd* /name* /net.keras'", nnom_version_string());
    TU_CHECK(strstr(text, want) != NULL, "generator line missing: %s", want);
    TU_CHECK(strstr(text, "to regenerate") != NULL && strstr(text, "nnom_converter_write_header") != NULL,
             "regeneration note");
    /* the layer types, once each, as a firmware build selects them */
    {
        const char *types = strstr(text, "nnom-layers:");
        const char *with = strstr(text, "NNOM_WITH:");
        TU_CHECK(types && with && with < guard, "no nnom-layers: / NNOM_WITH: lines");
        const char *types_end = types ? strchr(types, '\n') : NULL;
        const char *with_end = with ? strchr(with, '\n') : NULL;
        for (int32_t i = 0; types_end && with_end && i < nnom_model_layer_count(q); i++) {
            nnom_layer_info info = NNOM_LAYER_INFO_INIT;
            TU_OK(q, nnom_model_layer_info(q, i, &info));
            char word[64], macro[80];
            snprintf(word, sizeof word, " %s", info.type_name);
            int k = snprintf(macro, sizeof macro, " NNOM_WITH_");
            for (const char *ch = info.type_name; *ch && k < (int)sizeof macro - 4; ch++) macro[k++] = (char)toupper(*ch);
            snprintf(macro + k, sizeof macro - (size_t)k, "=1");
            const int io = info.type == NNOM_LAYER_INPUT || info.type == NNOM_LAYER_OUTPUT;
            const size_t wl = strlen(word);
            int found = 0;
            for (const char *at = types; (at = strstr(at, word)) && at < types_end; at += wl)
                found += at[wl] == ' ' || at[wl] == '\n';
            TU_CHECK(found == (io ? 0 : 1), "type '%s' listed %d times on the nnom-layers: line", info.type_name, found);
            found = 0;
            for (const char *at = with; (at = strstr(at, macro)) && at < with_end; at += strlen(macro)) found++;
            TU_CHECK(found == (io ? 0 : 1), "%s listed %d times", macro + 1, found);
        }
    }
    for (int32_t i = 0; i < nnom_model_layer_count(q); i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        TU_OK(q, nnom_model_layer_info(q, i, &info));
        char line[160];
        snprintf(line, sizeof line, "%4d  %s", (int)i, info.name);
        const char *at = strstr(text, line);
        TU_CHECK(at != NULL && at < guard, "layer %d '%s' not listed", (int)i, info.name);
        if (at) {
            char scale[32];
            snprintf(scale, sizeof scale, "%.9g", (double)info.quant.scale);
            const char *eol = strchr(at, '\n');
            const char *s = strstr(at, scale), *tn = strstr(at + 6, info.type_name);
            TU_CHECK(eol && s && s < eol && tn && tn < eol, "layer %d line lacks type or scale", (int)i);
        }
    }
    TU_CHECK(strstr(text, "#include \"nnom/nnom.h\"") != NULL, "nnom.h include");
    snprintf(want, sizeof want, "#define DIGITS_V2_MODEL_BYTES %zu\n", size);
    TU_CHECK(strstr(text, want) != NULL, "byte count define: %s", want);
    snprintf(want, sizeof want, "#define DIGITS_V2_ARENA_BYTES %zu\n", nnom_model_arena_size(q));
    TU_CHECK(strstr(text, want) != NULL, "arena define: %s", want);
    TU_CHECK(strstr(text, "static inline nnom_status digits_v2_load(const nnom_options *options, nnom_model **out, "
                          "nnom_error *err)") != NULL,
             "load function");
    TU_CHECK(strstr(text, "nnom_model_load(digits_v2_model_data, DIGITS_V2_MODEL_BYTES, options, out, err)") != NULL,
             "load call");

    /* the words are the .nnom bytes, little-endian, zero padded */
    size_t n_words;
    uint32_t *words = parse_words(text, "digits_v2", &n_words);
    TU_CHECK(n_words == (size + 3) / 4, "%zu words for %zu bytes", n_words, size);
    uint8_t *mem = (uint8_t *)calloc(n_words * 4 + 4, 1);
    TU_OK(q, nnom_model_save(q, mem, size, &size));
    int same = 1;
    for (size_t k = 0; k < n_words * 4; k++) {
        const uint8_t b = (uint8_t)(words[k / 4] >> (8 * (k % 4)));
        same &= b == (k < size ? mem[k] : 0);
    }
    TU_CHECK(same, "header words differ from the .nnom bytes");
    /* and they load (words[] is a uint32_t array: aligned like the firmware's) */
    nnom_model *loaded;
    nnom_error err;
    uint8_t *le = (uint8_t *)malloc(n_words * 4);
    for (size_t k = 0; k < n_words * 4; k++) le[k] = (uint8_t)(words[k / 4] >> (8 * (k % 4)));
    TU_REQUIRE(nnom_model_load(le, size, NULL, &loaded, &err) == NNOM_OK, "load header bytes: %s", err.message);
    TU_CHECK(nnom_model_arena_size(loaded) == nnom_model_arena_size(q), "loaded arena %zu, ARENA_BYTES says %zu",
             nnom_model_arena_size(loaded), nnom_model_arena_size(q));
    TU_OK(loaded, nnom_model_alloc_arena(loaded));
    same_outputs(q, loaded, "weights.h bytes");
    nnom_model_destroy(loaded);
    free(le);
    free(mem);
    free(words);

    /* with a compiler at hand, the header compiles cleanly as C99 and the loader is callable */
    if (system("command -v cc >/dev/null 2>&1") == 0) {
        FILE *f = fopen(tu_tmp_path("use.c"), "w");
        fprintf(f, "#include \"weights.h\"\nint use(void);\nint use(void)\n{\n    nnom_model *m;\n    nnom_error e;\n"
                   "    return (int)digits_v2_load(NULL, &m, &e) + (int)sizeof digits_v2_model_data;\n}\n");
        fclose(f);
        char cmd[2048];
        snprintf(cmd, sizeof cmd,
                 "cc -std=c99 -Wall -Wextra -Werror -pedantic -fsyntax-only -I'%s' -I'%s/../../include' '%s' 2>'%s'",
                 tu_tmp_dir(), NNOM_FIXTURES_DIR, tu_tmp_path("use.c"), tu_tmp_path("cc.log"));
        const int rc = system(cmd);
        if (rc != 0) {
            size_t n;
            char *log = (char *)tu_read_file(tu_tmp_path("cc.log"), &n);
            TU_CHECK(0, "weights.h does not compile: %s", log);
            free(log);
        }
        /* nnom headers of an older format minor, then of another major: weights.h stops the build, saying why */
        mkdir(tu_tmp_path("old"), 0700);
        mkdir(tu_tmp_path("old/nnom"), 0700);
        const int fake[2][2] = {{NNOM_FORMAT_VERSION_MAJOR, NNOM_FORMAT_VERSION_MINOR - 1},
                                {NNOM_FORMAT_VERSION_MAJOR + 1, NNOM_FORMAT_VERSION_MINOR}};
        for (int k = 0; k < 2; k++) {
            f = fopen(tu_tmp_path("old/nnom/nnom.h"), "w");
            fprintf(f, "#define NNOM_FORMAT_VERSION_MAJOR %d\n#define NNOM_FORMAT_VERSION_MINOR %d\n", fake[k][0],
                    fake[k][1]);
            fclose(f);
            snprintf(cmd, sizeof cmd, "cc -std=c99 -fsyntax-only -I'%s' -I'%s' '%s' 2>'%s'", tu_tmp_path("old"), tu_tmp_dir(),
                     tu_tmp_path("use.c"), tu_tmp_path("cc.log"));
            const int old_rc = system(cmd);
            size_t n;
            char *log = (char *)tu_read_file(tu_tmp_path("cc.log"), &n);
            char refusal[96];
            snprintf(refusal, sizeof refusal, "model 'digits_v2' is .nnom format %d.%d, which these nnom headers cannot read",
                     NNOM_FORMAT_VERSION_MAJOR, NNOM_FORMAT_VERSION_MINOR);
            TU_CHECK(old_rc != 0 && log && strstr(log, refusal), "headers of format %d.%d: rc %d, log: %s", fake[k][0],
                     fake[k][1], old_rc, log ? log : "(none)");
            free(log);
        }
        unlink(tu_tmp_path("old/nnom/nnom.h"));
        rmdir(tu_tmp_path("old/nnom"));
        rmdir(tu_tmp_path("old"));
        unlink(tu_tmp_path("use.c"));
        unlink(tu_tmp_path("cc.log"));
    } else {
        printf("no C compiler found: weights.h not compiled\n");
    }
    free(text);

    /* names and paths */
    const char *bad[] = {"9lives", "a-b", "has space", "x.y", "caf\xc3\xa9",
                         "a123456789012345678901234567890123456789012345678901234567890123456789"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        TU_CHECK(nnom_converter_write_header(c, tu_tmp_path("bad.h"), bad[k]) == NNOM_ERR_ARGUMENT, "name '%s' accepted", bad[k]);
        TU_CHECK(strstr(nnom_converter_last_error(c), "C identifier") != NULL, "message: %s", nnom_converter_last_error(c));
    }
    TU_CHECK(access(tu_tmp_path("bad.h"), F_OK) != 0, "a header was written for a bad name");
    /* no name: the file's stem made a C identifier, the one rule of every front end */
    TU_CHECK(nnom_converter_write_header(c, tu_tmp_path("weights-v2.h"), NULL) == NNOM_OK, "no name: %s",
             nnom_converter_last_error(c));
    {
        size_t bytes;
        char *derived = (char *)tu_read_file(tu_tmp_path("weights-v2.h"), &bytes);
        TU_CHECK(strstr(derived, "weights_v2_load(") != NULL, "no name: weights_v2_load() expected");
        free(derived);
        unlink(tu_tmp_path("weights-v2.h"));
    }
    static const struct {
        const char *path, *name;
    } names[] = {{"out/weights-v2.h", "weights_v2"}, {"2net.h", "_2net"}, {"/a.b/model", "model"},
                 {"dir/.h", "_h"}, {"x.tar.h", "x_tar"}, {"caf\xc3\xa9.h", "caf__"}};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        char got[80];
        const size_t len = nnom_header_default_name(names[k].path, got, sizeof got);
        TU_CHECK(strcmp(got, names[k].name) == 0 && len == strlen(names[k].name), "'%s' gives '%s', expected '%s'",
                 names[k].path, got, names[k].name);
    }
    char tiny[4];
    nnom_header_default_name("abcdef.h", tiny, sizeof tiny);
    TU_CHECK(strcmp(tiny, "abc") == 0, "cut to the buffer: '%s'", tiny);
    TU_CHECK(nnom_converter_write_header(c, tu_tmp_path("ok.h"), "_Model2") == NNOM_OK, "'_Model2': %s",
             nnom_converter_last_error(c));
    size_t n;
    text = (char *)tu_read_file(tu_tmp_path("ok.h"), &n);
    TU_CHECK(strstr(text, "#define _MODEL2_MODEL_BYTES") && strstr(text, "_Model2_model_data["), "upper-case macro names");
    TU_CHECK(strstr(text, "a model built through the nnom C API") == NULL, "source given but not named");
    free(text);
    c->source[0] = '\0';
    TU_CHECK(nnom_converter_write_header(c, tu_tmp_path("ok.h"), "m") == NNOM_OK, "%s", nnom_converter_last_error(c));
    text = (char *)tu_read_file(tu_tmp_path("ok.h"), &n);
    TU_CHECK(strstr(text, "from a model built through the nnom C API") != NULL, "hand-built source line");
    free(text);
    TU_CHECK(nnom_converter_write_header(c, "/nonexistent-dir/w.h", "m") == NNOM_ERR_IO, "unwritable header path");
    unlink(tu_tmp_path("ok.h"));
    unlink(tu_tmp_path("weights.h"));
    unlink(tu_tmp_path("model.nnom"));
}

int main(void)
{
    tu_seed(4242);
    tu_tmp_dir_make("nnom_test_emit");
    nnom_converter *c = make_converter();
    before_quantising(c);
    float *cal = (float *)malloc(100 * 128 * sizeof(float));
    tu_fill_f32(cal, 100 * 128, -1.0f, 1.0f);
    nnom_status st = nnom_converter_quantize(c, cal, 100, NULL);
    TU_REQUIRE(st == NNOM_OK, "quantise: %s", nnom_converter_last_error(c));
    TU_OK(nnom_converter_int8_model(c), nnom_model_alloc_arena(nnom_converter_int8_model(c)));
    nnom_file(c);
    header_file(c);
    nnom_converter_destroy(c);
    nnom_model_destroy(G.m);
    free(cal);
    tu_tmp_dir_remove();
    return tu_finish("test_emit");
}

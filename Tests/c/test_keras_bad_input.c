/*
 * The Keras reader on files it must refuse: each gives a specific status and
 * a message that names the problem, never a crash (this test also runs under
 * ASan and UBSan). Broken fixtures come from Tests/fixtures/keras/make_fixtures.py;
 * truncated and mislabelled files are written here, into a temporary directory.
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nnom/tools.h"
#include "test_util.h"

static char tmp_dir[256];

static void fixture_path(char *buf, size_t size, const char *file)
{
    snprintf(buf, size, "%s/keras/%s", NNOM_FIXTURES_DIR, file);
}

/* Case-insensitive strstr. */
static int mentions(const char *text, const char *word)
{
    const size_t n = strlen(word);
    for (; *text; text++) {
        size_t i = 0;
        while (i < n && text[i] && tolower((unsigned char)text[i]) == tolower((unsigned char)word[i])) i++;
        if (i == n) return 1;
    }
    return 0;
}

/*
 * Reads @p path, expecting failure with @p expected; every word of the
 * NULL-terminated @p words must appear in the message (case-insensitive).
 * Also checks that nnom_convert_keras() fails the same way and that a NULL
 * error pointer is accepted.
 */
static void expect_failure(const char *what, const char *path, nnom_status expected, const char *const *words)
{
    nnom_converter *c = (nnom_converter *)&c; /* not NULL, to see that it is reset */
    nnom_error err;
    memset(&err, 0, sizeof err);
    nnom_status st = nnom_keras_read(path, &c, &err);
    TU_CHECK(st == expected, "%s: status %s, expected %s (message: %s)", what, nnom_status_name(st),
             nnom_status_name(expected), err.message);
    TU_CHECK(err.status == st, "%s: err.status %s differs from the status returned", what,
             nnom_status_name(err.status));
    TU_CHECK(c == NULL, "%s: *out is not NULL after a failure", what);
    if (st == NNOM_OK) nnom_converter_destroy(c);
    TU_CHECK(err.message[0] != '\0', "%s: empty message", what);
    for (int i = 0; words && words[i]; i++)
        TU_CHECK(mentions(err.message, words[i]), "%s: the message does not mention \"%s\": %s", what, words[i],
                 err.message);
    printf("  %-22s %-22s %s\n", what, nnom_status_name(st), err.message);

    /* the one-line conversion fails the same way, before quantising */
    const float sample[64] = {0};
    c = NULL;
    nnom_error err2;
    memset(&err2, 0, sizeof err2);
    st = nnom_convert_keras(path, sample, 1, NULL, &c, &err2);
    TU_CHECK(st == expected && c == NULL, "%s: nnom_convert_keras: %s (%s)", what, nnom_status_name(st), err2.message);
    if (st == NNOM_OK) nnom_converter_destroy(c);
    TU_CHECK(strcmp(err.message, err2.message) == 0, "%s: nnom_convert_keras says otherwise: %s", what,
             err2.message);

    /* no error struct: still just a status */
    c = NULL;
    st = nnom_keras_read(path, &c, NULL);
    TU_CHECK(st == expected && c == NULL, "%s: with err NULL: %s", what, nnom_status_name(st));
    if (st == NNOM_OK) nnom_converter_destroy(c);
}

static void *read_whole(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    TU_REQUIRE(f != NULL, "cannot open %s", path);
    TU_REQUIRE(fseek(f, 0, SEEK_END) == 0, "seek %s", path);
    long n = ftell(f);
    TU_REQUIRE(n > 0 && fseek(f, 0, SEEK_SET) == 0, "size of %s", path);
    void *buf = malloc((size_t)n);
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

static void test_unsupported_layer(void)
{
    char path[512];
    fixture_path(path, sizeof path, "bad_unsupported.keras");
    /* the layer's class and its name */
    const char *words[] = {"Lambda", "my_lambda", NULL};
    expect_failure("unsupported layer", path, NNOM_ERR_UNSUPPORTED, words);
}

static void test_truncated(void)
{
    char src[512], dst[512];
    fixture_path(src, sizeof src, "conv2d.keras");
    snprintf(dst, sizeof dst, "%s/truncated.keras", tmp_dir);
    size_t size = 0;
    unsigned char *bytes = (unsigned char *)read_whole(src, &size);
    /* the reference: the whole file reads */
    write_whole(dst, bytes, size);
    nnom_converter *c = NULL;
    nnom_error err;
    nnom_status st = nnom_keras_read(dst, &c, &err);
    TU_CHECK(st == NNOM_OK, "the untruncated copy: %s: %s", nnom_status_name(st), err.message);
    nnom_converter_destroy(c);
    /* cut inside the first header, inside config.json, inside the weights, in the
     * central directory, and just before the end */
    const size_t cuts[] = {10, 200, size / 3, size / 2, size - 200, size - 30, size - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "truncated to %lu B", (unsigned long)cuts[i]);
        write_whole(dst, bytes, cuts[i]);
        const char *words[] = {dst, "truncated", NULL};
        expect_failure(what, dst, NNOM_ERR_KERAS, words);
    }
    /* an empty file */
    write_whole(dst, bytes, 0);
    const char *empty_words[] = {dst, "empty", NULL};
    expect_failure("empty .keras", dst, NNOM_ERR_KERAS, empty_words);
    remove(dst);
    free(bytes);

    /* the same for a legacy .h5, Keras 3's and Keras 2's */
    const char *const h5_files[] = {"conv2d.h5", "conv2d.k2.h5"};
    for (int f = 0; f < 2; f++) {
        fixture_path(src, sizeof src, h5_files[f]);
        snprintf(dst, sizeof dst, "%s/truncated.h5", tmp_dir);
        bytes = (unsigned char *)read_whole(src, &size);
        const size_t h5_cuts[] = {10, 100, size / 3, size / 2, size - 100, size - 1};
        for (size_t i = 0; i < sizeof h5_cuts / sizeof h5_cuts[0]; i++) {
            char what[64];
            snprintf(what, sizeof what, "%s to %lu B", f ? "k2.h5" : "h5", (unsigned long)h5_cuts[i]);
            write_whole(dst, bytes, h5_cuts[i]);
            const char *words[] = {dst, "truncated", NULL};
            expect_failure(what, dst, NNOM_ERR_KERAS, words);
        }
        remove(dst);
        free(bytes);
    }
}

static void test_no_weights(void)
{
    char path[512];
    fixture_path(path, sizeof path, "bad_no_weights.keras");
    const char *words[] = {"model.weights.h5", NULL};
    expect_failure("no model.weights.h5", path, NNOM_ERR_KERAS, words);
}

static void test_hdf5_not_keras(void)
{
    char path[512];
    fixture_path(path, sizeof path, "bad_not_keras.h5");
    const char *words[] = {"bad_not_keras.h5", "not a Keras model", NULL};
    expect_failure("HDF5, not Keras", path, NNOM_ERR_KERAS, words);
}

static void test_shape_mismatch(void)
{
    char path[512];
    fixture_path(path, sizeof path, "bad_shape_mismatch.keras");
    /* the config says the Conv2D 'conv_a' has 5 filters, its kernel holds 3 */
    const char *words[] = {"conv_a", NULL};
    expect_failure("weights vs config", path, NNOM_ERR_SHAPE, words);
}

static void test_missing_file(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/no_such_model.keras", tmp_dir);
    const char *words[] = {path, NULL};
    expect_failure("missing file", path, NNOM_ERR_IO, words);
}

static void test_text_file(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/notes.keras", tmp_dir);
    const char text[] = "This is a text file that someone renamed to .keras.\n";
    write_whole(path, text, sizeof text - 1);
    const char *words[] = {path, "not a Keras model", NULL};
    expect_failure("text file as .keras", path, NNOM_ERR_KERAS, words);
    remove(path);
}

/* Removes the temporary directory, also when a TU_REQUIRE exits early. */
static void remove_tmp_dir(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/truncated.keras", tmp_dir);
    remove(path);
    snprintf(path, sizeof path, "%s/truncated.h5", tmp_dir);
    remove(path);
    snprintf(path, sizeof path, "%s/notes.keras", tmp_dir);
    remove(path);
    rmdir(tmp_dir);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/nnom_test_keras_bad_input_XXXXXX", base && *base ? base : "/tmp");
    TU_REQUIRE(mkdtemp(tmp_dir) != NULL, "cannot create a temporary directory");
    atexit(remove_tmp_dir);

    test_unsupported_layer();
    test_truncated();
    test_no_weights();
    test_hdf5_not_keras();
    test_shape_mismatch();
    test_missing_file();
    test_text_file();

    return tu_finish("test_keras_bad_input");
}

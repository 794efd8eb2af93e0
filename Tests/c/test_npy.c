/*
 * NumPy file I/O: .npy files written by numpy itself (Tests/fixtures/npy,
 * made by make_npy.py: every dtype in both byte orders, half floats,
 * format 2.0, scalars, empty arrays; .npz stored and deflated) read back
 * element by element; round trips through the writers; and malformed files
 * built here (bad magic, versions, headers, shapes, dtypes, truncation at
 * every length, random corruption), each of which must be a clear error.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "nnom/tools.h"
#include "file_util.h"
#include "test_util.h"

#define FIX NNOM_FIXTURES_DIR "/npy/"

/* Reads @p path and checks shape and values (as float, exactly). */
static void expect_array(const char *file, int32_t rank, const int64_t *dims, const double *values, int64_t count)
{
    nnom_array a;
    nnom_error err;
    nnom_status st = nnom_npy_read(file, &a, &err);
    TU_CHECK(st == NNOM_OK, "%s: %s", file, st == NNOM_OK ? "" : err.message);
    if (st != NNOM_OK) return;
    TU_CHECK(a.rank == rank, "%s: rank %d, want %d", file, (int)a.rank, (int)rank);
    for (int32_t k = 0; k < rank && k < a.rank; k++)
        TU_CHECK(a.dims[k] == dims[k], "%s: dim %d is %lld, want %lld", file, (int)k, (long long)a.dims[k],
                 (long long)dims[k]);
    TU_CHECK(a.count == count, "%s: count %lld, want %lld", file, (long long)a.count, (long long)count);
    TU_CHECK(a.data != NULL, "%s: no data", file);
    for (int64_t k = 0; k < count && k < a.count; k++) {
        const float want = (float)values[k];
        const int same = (want == a.data[k] && signbit(want) == signbit(a.data[k])) || (isnan(want) && isnan(a.data[k]));
        TU_CHECK(same, "%s: element %lld is %.9g, want %.9g", file, (long long)k, (double)a.data[k], (double)want);
    }
    nnom_array_free(&a);
    TU_CHECK(a.data == NULL && a.count == 0, "nnom_array_free leaves the array empty");
}

static void numpy_files(void)
{
    { const int64_t d[] = {2, 3}; const double v[] = {0.5, -1.25, 3.0e-5, 1.0e10, -0.0, 7.0};
      expect_array(FIX "f4_le.npy", 2, d, v, 6); }
    { const int64_t d[] = {4}; const double v[] = {1.0 / 3.0, -2.5, 1e-300, 123456.789};
      expect_array(FIX "f8_be.npy", 1, d, v, 4); }
    { const int64_t d[] = {5}; const double v[] = {1.0, -2.0, ldexp(1.0, -14), ldexp(1.0, -24), 65504.0};
      expect_array(FIX "f2_le.npy", 1, d, v, 5); }
    { const int64_t d[] = {3}; const double v[] = {0.333251953125, INFINITY, -0.0};
      expect_array(FIX "f2_be.npy", 1, d, v, 3); }
    { const int64_t d[] = {5}; const double v[] = {-128, -1, 0, 1, 127};
      expect_array(FIX "i1.npy", 1, d, v, 5); }
    { const int64_t d[] = {2, 2}; const double v[] = {0, 1, 128, 255};
      expect_array(FIX "u1.npy", 2, d, v, 4); }
    { const int64_t d[] = {4}; const double v[] = {1, 0, 0, 1};
      expect_array(FIX "b1.npy", 1, d, v, 4); }
    { const int64_t d[] = {3}; const double v[] = {-32768, 258, 32767};
      expect_array(FIX "i2_be.npy", 1, d, v, 3); }
    { const int64_t d[] = {3}; const double v[] = {0, 258, 65535};
      expect_array(FIX "u2_le.npy", 1, d, v, 3); }
    { const int64_t d[] = {2, 2, 2}; const double v[] = {-2147483648.0, -1, 0, 1, 2, 3, 16777216, 2147483647.0};
      expect_array(FIX "i4_le.npy", 3, d, v, 8); }
    { const int64_t d[] = {2}; const double v[] = {16909060, 4294967295.0};
      expect_array(FIX "u4_be.npy", 1, d, v, 2); }
    { const int64_t d[] = {3}; const double v[] = {-ldexp(1.0, 40), 5, ldexp(1.0, 53)};
      expect_array(FIX "i8_le.npy", 1, d, v, 3); }
    { const int64_t d[] = {2}; const double v[] = {7, ldexp(1.0, 60)};
      expect_array(FIX "u8_be.npy", 1, d, v, 2); }
    { const double v[] = {42.0};
      expect_array(FIX "scalar.npy", 0, NULL, v, 1); }
    { const int64_t d[] = {0, 3};
      expect_array(FIX "empty.npy", 2, d, NULL, 0); }
    { const int64_t d[] = {3, 2}; const double v[] = {0, 1, 2, 3, 4, 5};
      expect_array(FIX "v2.npy", 2, d, v, 6); }

    nnom_array a;
    nnom_error err;
    TU_CHECK(nnom_npy_read(FIX "fortran.npy", &a, &err) == NNOM_ERR_UNSUPPORTED && strstr(err.message, "Fortran"),
             "fortran order: %s", err.message);
    TU_CHECK(a.data == NULL, "data left after a failure");
    TU_CHECK(nnom_npy_read(FIX "structured.npy", &a, &err) == NNOM_ERR_UNSUPPORTED && strstr(err.message, "structured"),
             "structured dtype: %s", err.message);
    TU_CHECK(nnom_npy_read(FIX "unicode.npy", &a, &err) == NNOM_ERR_UNSUPPORTED && strstr(err.message, "'<U2'"),
             "unicode dtype: %s", err.message);
    TU_CHECK(nnom_npy_read(FIX "missing.npy", &a, &err) == NNOM_ERR_IO && strstr(err.message, "missing.npy"),
             "missing file: %s", err.message);
}

static void npz_files(void)
{
    nnom_array a;
    nnom_error err;
    /* deflated */
    nnom_status st = nnom_npz_read(FIX "deflated.npz", "x", &a, &err);
    TU_CHECK(st == NNOM_OK, "deflated x: %s", err.message);
    if (st == NNOM_OK) {
        TU_CHECK(a.rank == 2 && a.dims[0] == 10 && a.dims[1] == 100 && a.count == 1000, "deflated x shape");
        TU_CHECK(strcmp(a.name, "x") == 0, "name '%s'", a.name);
        double worst = 0;
        for (int k = 0; k < 1000; k++) {
            const double want = k == 999 ? 1.0 : -1.0 + k * (2.0 / 999.0);
            worst = fmax(worst, fabs(a.data[k] - want));
        }
        TU_CHECK(worst < 1e-6, "deflated x differs by %g", worst);
        nnom_array_free(&a);
    }
    st = nnom_npz_read(FIX "deflated.npz", "labels.npy", &a, &err);
    TU_CHECK(st == NNOM_OK, "deflated labels: %s", err.message);
    if (st == NNOM_OK) {
        TU_CHECK(a.rank == 1 && a.count == 10 && strcmp(a.name, "labels") == 0, "labels shape/name '%s'", a.name);
        for (int k = 0; k < 10 && k < a.count; k++) TU_CHECK(a.data[k] == (float)k, "label %d is %g", k, (double)a.data[k]);
        nnom_array_free(&a);
    }
    /* stored */
    st = nnom_npz_read(FIX "stored.npz", "y", &a, &err);
    TU_CHECK(st == NNOM_OK, "stored y: %s", err.message);
    if (st == NNOM_OK) {
        TU_CHECK(a.rank == 1 && a.count == 3 && a.data[0] == -32768.0f && a.data[1] == 258.0f && a.data[2] == 32767.0f,
                 "stored y values");
        nnom_array_free(&a);
    }
    st = nnom_npz_read(FIX "stored.npz", "x", &a, &err);
    TU_CHECK(st == NNOM_OK && a.rank == 2 && a.count == 6 && a.data[1] == -1.25f, "stored x");
    nnom_array_free(&a);

    TU_CHECK(nnom_npz_read(FIX "stored.npz", "z", &a, &err) == NNOM_ERR_ARGUMENT && strstr(err.message, "no array 'z'"),
             "missing entry: %s", err.message);
    TU_CHECK(nnom_npz_read(FIX "missing.npz", "x", &a, &err) == NNOM_ERR_IO, "missing archive: %s", err.message);
    TU_CHECK(nnom_npz_read(FIX "f4_le.npy", "x", &a, &err) != NNOM_OK && strstr(err.message, "zip"),
             "not a zip: %s", err.message);
    TU_CHECK(nnom_npz_read(FIX "stored.npz", NULL, &a, &err) == NNOM_ERR_ARGUMENT, "NULL name");

    /* an archive whose entry is a truncated .npy */
    FILE *f = fopen(FIX "f4_le.npy", "rb");
    TU_REQUIRE(f != NULL, "fixture");
    static uint8_t bytes[256];
    const size_t n = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    int zerr;
    zip_t *z = zip_open(tu_tmp_path("bad.npz"), ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    TU_REQUIRE(z != NULL, "zip_open");
    zip_source_t *src = zip_source_buffer(z, bytes, n - 5, 0);
    TU_REQUIRE(src && zip_file_add(z, "t.npy", src, ZIP_FL_OVERWRITE) >= 0, "zip add");
    TU_REQUIRE(zip_close(z) == 0, "zip close");
    TU_CHECK(nnom_npz_read(tu_tmp_path("bad.npz"), "t", &a, &err) == NNOM_ERR_TRUNCATED && strstr(err.message, "t.npy"),
             "truncated entry: %s", err.message);
    TU_CHECK(a.data == NULL && a.name[0] == '\0', "failed npz read leaves the array empty");
    unlink(tu_tmp_path("bad.npz"));
}

static void round_trips(void)
{
    nnom_error err;
    nnom_array a;
    /* float32, ranks 0 to 4 and an empty array */
    const int64_t shapes[][4] = {{0}, {7}, {3, 5}, {2, 3, 4}, {2, 1, 3, 2}, {0, 4}};
    const int32_t ranks[] = {0, 1, 2, 3, 4, 2};
    for (int s = 0; s < 6; s++) {
        int64_t count = 1;
        for (int k = 0; k < ranks[s]; k++) count *= shapes[s][k];
        float *x = (float *)malloc((size_t)(count ? count : 1) * sizeof *x);
        tu_fill_f32(x, (size_t)count, -1e6f, 1e6f);
        if (count > 2) {
            x[0] = -0.0f;
            x[1] = INFINITY;
        }
        const char *p = tu_tmp_path("rt.npy");
        TU_CHECK(nnom_npy_write_f32(p, x, ranks[s], shapes[s], &err) == NNOM_OK, "write: %s", err.message);
        nnom_status st = nnom_npy_read(p, &a, &err);
        TU_CHECK(st == NNOM_OK, "read back: %s", err.message);
        if (st == NNOM_OK) {
            TU_CHECK(a.rank == ranks[s] && a.count == count, "rank %d count %lld", (int)a.rank, (long long)a.count);
            for (int k = 0; k < ranks[s]; k++) TU_CHECK(a.dims[k] == shapes[s][k], "dim %d", k);
            TU_CHECK(count == 0 || memcmp(a.data, x, (size_t)count * sizeof *x) == 0, "values differ");
            nnom_array_free(&a);
        }
        /* numpy's layout: magic, version 1.0, the data at a multiple of 64, the header ends in '\n' */
        FILE *f = fopen(p, "rb");
        uint8_t head[128];
        const size_t got = fread(head, 1, sizeof head, f);
        fclose(f);
        TU_CHECK(got >= 64 && memcmp(head, "\x93NUMPY\x01\x00", 8) == 0, "magic");
        const size_t hlen = (size_t)head[8] | ((size_t)head[9] << 8);
        TU_CHECK((10 + hlen) % 64 == 0 && 10 + hlen <= got && head[10 + hlen - 1] == '\n', "header length %zu", hlen);
        TU_CHECK(memcmp(head + 10, "{'descr': '<f4', 'fortran_order': False, 'shape': (", 51) == 0, "header text %.60s",
                 (const char *)head + 10);
        free(x);
    }
    /* the rank-1 shape is written as numpy's one-element tuple */
    {
        const int64_t d[1] = {3};
        const float x[3] = {1, 2, 3};
        TU_CHECK(nnom_npy_write_f32(tu_tmp_path("one.npy"), x, 1, d, &err) == NNOM_OK, "write");
        FILE *f = fopen(tu_tmp_path("one.npy"), "rb");
        char head[128] = {0};
        TU_CHECK(fread(head, 1, 127, f) > 0, "read");
        fclose(f);
        TU_CHECK(strstr(head + 10, "'shape': (3,), }") != NULL, "rank-1 header: %s", head + 10);
        unlink(tu_tmp_path("one.npy"));
    }
    /* int8 */
    int8_t q[256];
    for (int k = 0; k < 256; k++) q[k] = (int8_t)(k - 128);
    const int64_t qd[2] = {16, 16};
    TU_CHECK(nnom_npy_write_s8(tu_tmp_path("q.npy"), q, 2, qd, &err) == NNOM_OK, "write s8: %s", err.message);
    if (nnom_npy_read(tu_tmp_path("q.npy"), &a, &err) == NNOM_OK) {
        TU_CHECK(a.count == 256 && a.rank == 2, "s8 shape");
        for (int k = 0; k < 256; k++) TU_CHECK(a.data[k] == (float)(k - 128), "s8 element %d: %g", k, (double)a.data[k]);
        nnom_array_free(&a);
    } else {
        TU_CHECK(0, "read s8: %s", err.message);
    }
    /* bad arguments */
    const int64_t neg[1] = {-2};
    TU_CHECK(nnom_npy_write_f32(tu_tmp_path("x.npy"), NULL, 1, neg, &err) == NNOM_ERR_ARGUMENT,
             "negative dimension");
    TU_CHECK(nnom_npy_write_f32(tu_tmp_path("x.npy"), NULL, 9, qd, &err) == NNOM_ERR_ARGUMENT, "rank 9");
    TU_CHECK(nnom_npy_write_f32(tu_tmp_path("x.npy"), NULL, 2, qd, &err) == NNOM_ERR_ARGUMENT, "NULL data");
    TU_CHECK(nnom_npy_write_f32("/nonexistent-dir/x.npy", (const float *)q, 1, qd, &err) == NNOM_ERR_IO, "unwritable");
    unlink(tu_tmp_path("rt.npy"));
    unlink(tu_tmp_path("q.npy"));
    unlink(tu_tmp_path("x.npy"));
}

/* Replaces @p path by @p n bytes. Unlinking first matters: ext4 flushes a truncated-and-rewritten
 * file to disk on close (auto_da_alloc), which made thousands of rewrites take seconds. */
static void write_bytes(const char *path, const void *bytes, size_t n)
{
    unlink(path);
    FILE *f = fopen(path, "wb");
    TU_REQUIRE(f != NULL, "create %s", path);
    if (n) fwrite(bytes, 1, n, f);
    fclose(f);
}

/* Writes magic, version, header length (as the version demands; @p declared if not 0), the header and data. */
static void write_raw(const char *path, int major, const char *header, size_t declared, const void *data,
                      size_t n_data)
{
    unlink(path);
    FILE *f = fopen(path, "wb");
    TU_REQUIRE(f != NULL, "create %s", path);
    const size_t h = declared ? declared : strlen(header);
    uint8_t pre[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', (uint8_t)major, 0};
    size_t np = 10;
    if (major == 1) {
        pre[8] = (uint8_t)h;
        pre[9] = (uint8_t)(h >> 8);
    } else {
        for (int k = 0; k < 4; k++) pre[8 + k] = (uint8_t)(h >> (8 * k));
        np = 12;
    }
    fwrite(pre, 1, np, f);
    fwrite(header, 1, strlen(header), f);
    if (n_data) fwrite(data, 1, n_data, f);
    fclose(f);
}

static void expect_error(const char *label, nnom_status want, const char *needle, int major, const char *header,
                         size_t declared, size_t n_data)
{
    static const uint8_t zeros[64];
    const char *p = tu_tmp_path("bad.npy");
    write_raw(p, major, header, declared, zeros, n_data);
    nnom_array a;
    nnom_error err;
    memset(&err, 0, sizeof err);
    const nnom_status st = nnom_npy_read(p, &a, &err);
    TU_CHECK(st == want, "%s: status %s, want %s (%s)", label, nnom_status_name(st), nnom_status_name(want), err.message);
    TU_CHECK(st == NNOM_OK || (needle && strstr(err.message, needle)), "%s: message '%s' lacks '%s'", label, err.message,
             needle ? needle : "");
    TU_CHECK(st == NNOM_OK || a.data == NULL, "%s: data after a failure", label);
    if (st == NNOM_OK) nnom_array_free(&a);
}

static void corrupt_files(void)
{
    const char *ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n";
    expect_error("valid control", NNOM_OK, NULL, 1, ok, 0, 8);
    expect_error("valid v3", NNOM_OK, NULL, 3, ok, 0, 8);
    expect_error("double quotes", NNOM_OK, NULL, 1, "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2,)}", 0, 8);
    expect_error("version 4", NNOM_ERR_VERSION, "version 4.0", 4, ok, 0, 8);
    expect_error("header past the end", NNOM_ERR_TRUNCATED, "header claims", 1, ok, 4096, 8);
    expect_error("not a dict", NNOM_ERR_FORMAT, "not a dict", 1, "hello world", 0, 0);
    expect_error("no shape", NNOM_ERR_FORMAT, "lacks 'shape'", 1, "{'descr': '<f4', 'fortran_order': False}", 0, 0);
    expect_error("no descr", NNOM_ERR_FORMAT, "lacks 'descr'", 1, "{'fortran_order': False, 'shape': ()}", 0, 4);
    expect_error("bad shape", NNOM_ERR_FORMAT, "malformed 'shape'", 1,
                 "{'descr': '<f4', 'fortran_order': False, 'shape': (3, x), }", 0, 12);
    expect_error("negative shape", NNOM_ERR_FORMAT, "malformed 'shape'", 1,
                 "{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }", 0, 12);
    expect_error("9 dimensions", NNOM_ERR_UNSUPPORTED, "more than 8", 1,
                 "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", 0, 4);
    expect_error("count overflow", NNOM_ERR_FORMAT, "overflows", 1,
                 "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904), }", 0, 0);
    expect_error("huge dimension", NNOM_ERR_FORMAT, "malformed 'shape'", 1,
                 "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }", 0, 0);
    expect_error("complex", NNOM_ERR_UNSUPPORTED, "'<c8'", 1, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", 0, 8);
    expect_error("f3", NNOM_ERR_UNSUPPORTED, "'<f3'", 1, "{'descr': '<f3', 'fortran_order': False, 'shape': (1,), }", 0, 8);
    expect_error("i16", NNOM_ERR_UNSUPPORTED, "'<i16'", 1, "{'descr': '<i16', 'fortran_order': False, 'shape': (1,), }", 0, 16);
    expect_error("no byte order", NNOM_ERR_UNSUPPORTED, "'f4'", 1, "{'descr': 'f4', 'fortran_order': False, 'shape': (1,), }", 0, 8);
    expect_error("truncated data", NNOM_ERR_TRUNCATED, "truncated data", 1,
                 "{'descr': '<f4', 'fortran_order': False, 'shape': (10,), }", 0, 12);
    expect_error("unterminated string", NNOM_ERR_FORMAT, "malformed", 1, "{'descr': '<f4", 0, 0);
    expect_error("order maybe", NNOM_ERR_FORMAT, "fortran_order", 1,
                 "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }", 0, 4);
    expect_error("unknown key", NNOM_ERR_FORMAT, "unexpected key 'zzz'", 1,
                 "{'descr': '<f4', 'zzz': 1, 'fortran_order': False, 'shape': (1,), }", 0, 4);
    expect_error("missing comma", NNOM_ERR_FORMAT, "expected ',' or '}'", 1,
                 "{'descr': '<f4' 'fortran_order': False, 'shape': (1,), }", 0, 4);
    expect_error("fortran", NNOM_ERR_UNSUPPORTED, "Fortran", 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", 0, 4);

    /* too short for a magic, and not numpy at all */
    FILE *f = fopen(tu_tmp_path("short.npy"), "wb");
    fwrite("\x93NUM", 1, 4, f);
    fclose(f);
    nnom_array a;
    nnom_error err;
    TU_CHECK(nnom_npy_read(tu_tmp_path("short.npy"), &a, &err) == NNOM_ERR_FORMAT && strstr(err.message, "not a .npy"),
             "short file: %s", err.message);
    TU_CHECK(nnom_npy_read(FIX "stored.npz", &a, &err) == NNOM_ERR_FORMAT, "zip read as npy: %s", err.message);
    unlink(tu_tmp_path("short.npy"));

    /* every truncation of a real file is an error, never a crash (ASan watches) */
    f = fopen(FIX "i4_le.npy", "rb");
    static uint8_t bytes[512];
    const size_t n = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    int errors = 0;
    for (size_t len = 0; len < n; len++) {
        write_bytes(tu_tmp_path("cut.npy"), bytes, len);
        const nnom_status st = nnom_npy_read(tu_tmp_path("cut.npy"), &a, &err);
        errors += st != NNOM_OK;
        if (st == NNOM_OK) nnom_array_free(&a);
    }
    TU_CHECK(errors == (int)n, "%d of %zu truncations were read as valid", (int)n - errors, n);
    /* random corruption of the header: any status, no crash, no leak */
    for (int t = 0; t < 2000; t++) {
        static uint8_t mutated[512];
        memcpy(mutated, bytes, n);
        const int flips = tu_rand_int(1, 4);
        for (int k = 0; k < flips; k++) mutated[tu_rand_int(6, 90)] = (uint8_t)tu_rand_u32();
        write_bytes(tu_tmp_path("cut.npy"), mutated, n);
        if (nnom_npy_read(tu_tmp_path("cut.npy"), &a, &err) == NNOM_OK) nnom_array_free(&a);
    }
    unlink(tu_tmp_path("cut.npy"));
    unlink(tu_tmp_path("bad.npy"));
}

/* ---- archives whose zip headers lie about sizes (the sizes are claims: nothing is allocated
 *      from them before they are checked against the archive and the compression method) */

#define ZIP_LOCAL_SIG 0x04034b50u
#define ZIP_CENTRAL_SIG 0x02014b50u
#define KEEP 0xFFFFFFFFFFull

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static void wr32(uint8_t *p, uint32_t v) { for (int k = 0; k < 4; k++) p[k] = (uint8_t)(v >> (8 * k)); }
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }

/* An archive with entry "t.npy" holding @p n bytes (deflated or stored), whose local and central
 * headers then get the given method, compressed and uncompressed sizes (KEEP: as written). */
static size_t lying_npz(const char *path, const uint8_t *bytes, size_t n, int deflate, uint64_t method,
                        uint64_t comp_size, uint64_t size)
{
    int zerr;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    TU_REQUIRE(z != NULL, "zip_open");
    zip_source_t *src = zip_source_buffer(z, bytes, n, 0);
    const zip_int64_t index = src ? zip_file_add(z, "t.npy", src, ZIP_FL_OVERWRITE) : -1;
    TU_REQUIRE(index >= 0, "zip add");
    TU_REQUIRE(zip_set_file_compression(z, (zip_uint64_t)index, deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 9) == 0,
               "compression");
    TU_REQUIRE(zip_close(z) == 0, "zip close");
    static uint8_t archive[4096];
    FILE *f = fopen(path, "rb");
    TU_REQUIRE(f != NULL, "reopen");
    const size_t size_of_archive = fread(archive, 1, sizeof archive, f);
    fclose(f);
    int patched = 0;
    for (size_t at = 0; at + 46 <= size_of_archive; at++) {
        const uint32_t sig = rd32(archive + at);
        size_t method_at, sizes_at;
        if (sig == ZIP_LOCAL_SIG) method_at = at + 8, sizes_at = at + 18;
        else if (sig == ZIP_CENTRAL_SIG) method_at = at + 10, sizes_at = at + 20;
        else continue;
        if (method != KEEP) wr16(archive + method_at, (uint16_t)method);
        if (comp_size != KEEP) wr32(archive + sizes_at, (uint32_t)comp_size);
        if (size != KEEP) wr32(archive + sizes_at + 4, (uint32_t)size);
        patched++;
    }
    TU_REQUIRE(patched == 2, "found %d zip headers", patched);
    write_bytes(path, archive, size_of_archive);
    return size_of_archive;
}

static void lying_archives(void)
{
    FILE *f = fopen(FIX "f4_le.npy", "rb");
    TU_REQUIRE(f != NULL, "fixture");
    static uint8_t npy[512];
    const size_t n = fread(npy, 1, sizeof npy, f);
    fclose(f);
    static const struct {
        const char *what;
        int deflate;
        uint64_t method, comp_size, size;
        nnom_status want;
        const char *words;
    } cases[] = {
        {"deflated, declares 3.6 GB", 1, KEEP, KEEP, 3600000000u, NNOM_ERR_FORMAT,
         "declares 3600000000 bytes, more than deflate can expand"},
        {"stored, declares more than it holds", 0, KEEP, KEEP, 100000, NNOM_ERR_FORMAT,
         "is stored (not compressed) but declares 100000 bytes"},
        {"stored, 4 GB compressed in a small archive", 0, KEEP, 0xF0000000u, 0xF0000000u, NNOM_ERR_FORMAT,
         "declares 4026531840 compressed bytes, but the archive has only"},
        {"deflated, declares a little more", 1, KEEP, KEEP, 300, NNOM_ERR_TRUNCATED, "ends after 152 of the 300 bytes"},
        {"deflated, declares less", 1, KEEP, KEEP, 50, NNOM_ERR_FORMAT, "holds more than the 50 bytes it declares"},
        {"bzip2", 1, 12, KEEP, KEEP, NNOM_ERR_UNSUPPORTED, "compression method 12"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const size_t archive = lying_npz(tu_tmp_path("lies.npz"), npy, n, cases[k].deflate, cases[k].method,
                                         cases[k].comp_size, cases[k].size);
        TU_CHECK(archive < 1024, "%s: the archive has %zu bytes", cases[k].what, archive);
        nnom_array a;
        nnom_error err;
        memset(&err, 0, sizeof err);
        const nnom_status st = nnom_npz_read(tu_tmp_path("lies.npz"), "t", &a, &err);
        TU_CHECK(st == cases[k].want && strstr(err.message, cases[k].words) && !strstr(err.message, "No error"),
                 "%s: %s: %s", cases[k].what, nnom_status_name(st), err.message);
        TU_CHECK(a.data == NULL, "%s: no data", cases[k].what);
        if (st == NNOM_OK) nnom_array_free(&a);
    }
    /* the same archive, sizes untouched, reads */
    lying_npz(tu_tmp_path("lies.npz"), npy, n, 1, KEEP, KEEP, KEEP);
    nnom_array a;
    nnom_error err;
    TU_CHECK(nnom_npz_read(tu_tmp_path("lies.npz"), "t", &a, &err) == NNOM_OK && a.count == 6, "honest archive: %s",
             err.message);
    nnom_array_free(&a);
    unlink(tu_tmp_path("lies.npz"));
}

int main(void)
{
    tu_seed(77);
    tu_tmp_dir_make("nnom_test_npy");
    numpy_files();
    npz_files();
    lying_archives();
    round_trips();
    corrupt_files();
    tu_tmp_dir_remove();
    return tu_finish("test_npy");
}

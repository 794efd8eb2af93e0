/*
 * The .nnom format: a model saved and loaded again is the same model, and
 * every kind of corrupt file is refused with its own status and message.
 */
#include <string.h>

#include "format/format.h"
#include "kernels/conv.h"
#include "model_util.h"

/* A small int8 model with real weights: input (4,5,3) -> dense 7 -> reshape -> output. */
static int8_t weights[7 * 60];
static int32_t bias[7], mult[7], shift[7];

static nnom_model *build_model(void)
{
    nnom_model *m = tu_model_new(NNOM_DTYPE_S8, NULL);
    nnom_shape in_shape = {3, {4, 5, 3}};
    nnom_quant in_q = {0.05f, -3};
    int32_t in_id, dense_id, reshape_id;
    TU_OK(m, nnom_model_add_input(m, "image", in_shape, in_q, &in_id));
    tu_fill_s8(weights, sizeof weights, -127, 127);
    tu_fill_s32(bias, 7, -500, 500);
    for (int i = 0; i < 7; i++) tu_ref_multiplier(0.05 * 0.01 / 0.2 * (1 + 0.1 * i), &mult[i], &shift[i]);
    nnom_layer_desc d = tu_desc1(NNOM_LAYER_DENSE, "dense", in_id);
    d.params.units = 7;
    d.params.activation = NNOM_ACT_RELU;
    d.blobs[0] = (nnom_blob){weights, sizeof weights};
    d.blobs[1] = (nnom_blob){bias, sizeof bias};
    d.blobs[2] = (nnom_blob){mult, sizeof mult};
    d.blobs[3] = (nnom_blob){shift, sizeof shift};
    d.quant = (nnom_quant){0.2f, -128};
    TU_OK(m, nnom_model_add_layer(m, &d, &dense_id));
    d = tu_desc1(NNOM_LAYER_RESHAPE, "reshape", dense_id);
    d.params.shape_rank = 2;
    d.params.shape[0] = 7;
    d.params.shape[1] = 1;
    TU_OK(m, nnom_model_add_layer(m, &d, &reshape_id));
    tu_add_output(m, reshape_id, "scores");
    TU_OK(m, nnom_model_compile(m));
    return m;
}

static void run_model(nnom_model *m, const int8_t *x, int8_t *y)
{
    TU_OK(m, nnom_model_alloc_arena(m));
    TU_OK(m, nnom_model_set_input_s8(m, 0, x, 60));
    TU_OK(m, nnom_model_run(m));
    TU_OK(m, nnom_model_get_output_s8(m, 0, y, 7));
}

/* A 4-byte aligned copy of a file image, so tests can corrupt it. */
static uint32_t file_words[4096];
static uint8_t *file_bytes = (uint8_t *)file_words;

static size_t file_size;

/* Recomputes the checksum over the size the header claims (when that is possible). */
static void refresh_crc(void)
{
    uint32_t claimed = nnom_rd_u32(file_bytes + NNOM_HDR_FILE_BYTES);
    if (claimed < NNOM_FILE_HEADER_BYTES || claimed > file_size) return;
    nnom_wr_u32(file_bytes + NNOM_HDR_CHECKSUM, nnom_file_crc(file_bytes, claimed));
}

static uint8_t pristine[sizeof file_words];

static void restore(void) { memcpy(file_bytes, pristine, file_size); }

/* Loads the current image and expects @p want with a message containing @p words. */
static void expect_load_error(const char *what, size_t size, nnom_status want, const char *words)
{
    nnom_model *m = (nnom_model *)0x1;
    nnom_error err;
    memset(&err, 0, sizeof err);
    nnom_status st = nnom_model_load(file_bytes, size, NULL, &m, &err);
    TU_CHECK(st == want, "%s: got %s (%s), expected %s", what, nnom_status_name(st), err.message, nnom_status_name(want));
    TU_CHECK(m == NULL, "%s: out must be NULL on failure", what);
    TU_CHECK(err.status == st, "%s: err.status %d != returned %d", what, (int)err.status, (int)st);
    TU_CHECK(strstr(err.message, words) != NULL, "%s: message '%s' should mention '%s'", what, err.message, words);
    if (m && m != (nnom_model *)0x1) nnom_model_destroy(m);
    restore();
}

/* ---- a convolution in channel pairs (format 1.11): input (4,4,4) -> conv 3x3 "same", 3 filters */
enum { PC_K = 3 * 3 * 4, PC_OUT = 3, PC_IN = 4 * 4 * 4, PC_OUT_N = 4 * 4 * PC_OUT };
static int8_t pc_rows[PC_OUT * PC_K];
static uint8_t pc_pairs[4 * PC_K]; /* 3 filters padded to 4, patch 36 (a multiple of 4) */
static int32_t pc_bias[PC_OUT], pc_mult[PC_OUT], pc_shift[PC_OUT];

static nnom_model *conv_model(int pairs)
{
    nnom_model *m = tu_model_new(NNOM_DTYPE_S8, NULL);
    int32_t in_id, conv_id;
    TU_OK(m, nnom_model_add_input(m, "image", (nnom_shape){3, {4, 4, 4}}, (nnom_quant){0.05f, 5}, &in_id));
    nnom_layer_desc d = tu_desc1(NNOM_LAYER_CONV2D, "conv", in_id);
    d.params.units = PC_OUT;
    d.params.kernel[0] = d.params.kernel[1] = 3;
    d.params.padding = NNOM_PADDING_SAME;
    d.params.cell_flags = pairs ? NNOM_CONV_CHANNEL_PAIRS : 0;
    d.blobs[0] = pairs ? (nnom_blob){pc_pairs, sizeof pc_pairs} : (nnom_blob){pc_rows, sizeof pc_rows};
    d.blobs[1] = (nnom_blob){pc_bias, sizeof pc_bias};
    d.blobs[2] = (nnom_blob){pc_mult, sizeof pc_mult};
    d.blobs[3] = (nnom_blob){pc_shift, sizeof pc_shift};
    d.quant = (nnom_quant){0.1f, -7};
    TU_OK(m, nnom_model_add_layer(m, &d, &conv_id));
    tu_add_output(m, conv_id, "features");
    TU_OK(m, nnom_model_compile(m));
    return m;
}

/* Saved in pairs, the file carries header flag bit 1 and runs as the same layer in rows does; refused
 * without that flag, with another cell_flags bit, and with a blob of the rows' size. */
static void test_conv_channel_pairs(void)
{
    tu_fill_s8(pc_rows, sizeof pc_rows, -127, 127);
    tu_fill_s32(pc_bias, PC_OUT, -900, 900);
    for (int c = 0; c < PC_OUT; c++) tu_ref_multiplier(0.05 * 0.01 / 0.1 * (1 + 0.2 * c), &pc_mult[c], &pc_shift[c]);
    nnom_conv_pairs_pack(pc_rows, PC_K, PC_OUT, pc_pairs);
    int8_t x[PC_IN], want[PC_OUT_N], got[PC_OUT_N];
    tu_fill_s8(x, PC_IN, -128, 127);
    nnom_model *rows = conv_model(0), *pairs = conv_model(1);
    TU_OK(rows, nnom_model_alloc_arena(rows));
    TU_OK(rows, nnom_model_set_input_s8(rows, 0, x, PC_IN));
    TU_OK(rows, nnom_model_run(rows));
    TU_OK(rows, nnom_model_get_output_s8(rows, 0, want, PC_OUT_N));
    TU_OK(pairs, nnom_model_save(pairs, file_bytes, sizeof file_words, &file_size));
    TU_CHECK(nnom_rd_u32(file_bytes + NNOM_HDR_FLAGS) == NNOM_FILE_FLAG_CONV_CHANNEL_PAIRS,
             "a model in channel pairs: header flags 0x%x", (unsigned)nnom_rd_u32(file_bytes + NNOM_HDR_FLAGS));
    memcpy(pristine, file_bytes, file_size);
    nnom_model *loaded = NULL;
    nnom_error err;
    TU_REQUIRE(nnom_model_load(file_bytes, file_size, NULL, &loaded, &err) == NNOM_OK, "%s", err.message);
    TU_OK(loaded, nnom_model_alloc_arena(loaded));
    TU_OK(loaded, nnom_model_set_input_s8(loaded, 0, x, PC_IN));
    TU_OK(loaded, nnom_model_run(loaded));
    TU_OK(loaded, nnom_model_get_output_s8(loaded, 0, got, PC_OUT_N));
    TU_CHECK(memcmp(got, want, PC_OUT_N) == 0, "the conv in channel pairs gives other outputs than in rows");
    nnom_model_destroy(loaded);

    const uint32_t rec = NNOM_FILE_HEADER_BYTES + NNOM_FILE_RECORD_BYTES; /* the conv's record */
    const uint32_t cell_flags_at = rec + NNOM_REC_PARAMS + 4 * 21;
    nnom_wr_u32(file_bytes + NNOM_HDR_FLAGS, 0);
    refresh_crc();
    expect_load_error("channel pairs without the header flag", file_size, NNOM_ERR_FORMAT, "lacks flag 0x2");
    restore();
    nnom_wr_u32(file_bytes + cell_flags_at, 2);
    refresh_crc();
    expect_load_error("unknown conv cell_flags", file_size, NNOM_ERR_ARGUMENT, "only bit 0 (weights in channel pairs)");
    restore();
    /* the rows' 108 bytes where the pairs take 144 */
    nnom_wr_u32(file_bytes + rec + NNOM_REC_BLOBS + 4, sizeof pc_rows);
    refresh_crc();
    expect_load_error("channel pairs of the wrong size", file_size, NNOM_ERR_SHAPE, "weights in channel pairs [3][3][3][4]");
    restore();
    nnom_model_destroy(rows);
    nnom_model_destroy(pairs);
}

int main(void)
{
    tu_seed(7);
    nnom_model *m = build_model();
    int8_t x[60], y1[7], y2[7];
    tu_fill_s8(x, 60, -128, 127);
    run_model(m, x, y1);

    /* reference for the dense layer, computed here */
    for (int o = 0; o < 7; o++) {
        int64_t acc = bias[o];
        for (int i = 0; i < 60; i++) acc += (int64_t)(x[i] + 3) * weights[o * 60 + i];
        int32_t v = tu_clamp((int64_t)tu_ref_requantize(acc, mult[o], shift[o]) - 128, -128, 127);
        TU_CHECK(y1[o] == v, "dense output %d: %d, reference %d", o, y1[o], v);
    }

    /* save: size query, too small a buffer, then the real thing */
    size_t need = 0;
    TU_OK(m, nnom_model_save(m, NULL, 0, &need));
    TU_REQUIRE(need <= sizeof file_words, "model file of %zu bytes", need);
    TU_CHECK(nnom_model_save(m, file_bytes, need - 1, &file_size) == NNOM_ERR_ARGUMENT, "small buffer accepted");
    TU_OK(m, nnom_model_save(m, file_bytes, sizeof file_words, &file_size));
    TU_CHECK(file_size == need, "saved %zu bytes, size query said %zu", file_size, need);
    TU_CHECK(memcmp(file_bytes, "NNOM", 4) == 0, "magic");
    memcpy(pristine, file_bytes, file_size);

    /* load and compare, layer by layer and output by output */
    nnom_model *loaded;
    nnom_error err;
    TU_REQUIRE(nnom_model_load(file_bytes, file_size, NULL, &loaded, &err) == NNOM_OK, "%s", err.message);
    TU_CHECK(nnom_model_layer_count(loaded) == nnom_model_layer_count(m), "layer count");
    for (int32_t i = 0; i < nnom_model_layer_count(m); i++) {
        nnom_layer_info a = NNOM_LAYER_INFO_INIT, b = NNOM_LAYER_INFO_INIT;
        nnom_model_layer_info(m, i, &a);
        nnom_model_layer_info(loaded, i, &b);
        TU_CHECK(strcmp(a.name, b.name) == 0 && a.type == b.type, "layer %d identity", (int)i);
        TU_CHECK(memcmp(&a.shape, &b.shape, sizeof a.shape) == 0, "layer %d shape", (int)i);
        TU_CHECK(a.quant.scale == b.quant.scale && a.quant.zero_point == b.quant.zero_point, "layer %d quant", (int)i);
        TU_CHECK(memcmp(&a.params, &b.params, sizeof a.params) == 0, "layer %d params", (int)i);
        TU_CHECK(a.arena_offset == b.arena_offset && a.macs == b.macs, "layer %d plan", (int)i);
    }
    nnom_blob blobs[NNOM_MAX_BLOBS];
    nnom_model_layer_blobs(loaded, 1, blobs);
    TU_CHECK((const uint8_t *)blobs[0].data >= file_bytes && (const uint8_t *)blobs[0].data < file_bytes + file_size,
             "weights are used in place, not copied");
    run_model(loaded, x, y2);
    TU_CHECK(memcmp(y1, y2, 7) == 0, "loaded model gives other outputs");
    /* saving the loaded model gives the same bytes */
    static uint32_t again_words[4096];
    size_t again_size;
    TU_OK(loaded, nnom_model_save(loaded, again_words, sizeof again_words, &again_size));
    TU_CHECK(again_size == file_size && memcmp(again_words, file_bytes, file_size) == 0, "save(load(f)) != f");
    nnom_model_destroy(loaded);

    /* ---- corrupt files: each its own error */
    expect_load_error("empty", 0, NNOM_ERR_TRUNCATED, "truncated");
    expect_load_error("header cut", 40, NNOM_ERR_TRUNCATED, "header");
    expect_load_error("truncated", file_size - 1, NNOM_ERR_TRUNCATED, "only");
    file_bytes[0] = 'X';
    expect_load_error("magic", file_size, NNOM_ERR_MAGIC, "not a .nnom file");
    nnom_wr_u16(file_bytes + NNOM_HDR_VERSION_MAJOR, 2);
    nnom_wr_u16(file_bytes + NNOM_HDR_VERSION_MINOR, 0);
    refresh_crc();
    expect_load_error("version", file_size, NNOM_ERR_VERSION, "version 2.0");
    file_bytes[file_size - 1] ^= 0x40;
    expect_load_error("flipped weight bit", file_size, NNOM_ERR_CHECKSUM, "checksum");
    nnom_wr_u32(file_bytes + NNOM_HDR_CHECKSUM, 0x12345678u);
    expect_load_error("wrong checksum", file_size, NNOM_ERR_CHECKSUM, "0x12345678");

    const uint32_t rec0 = NNOM_FILE_HEADER_BYTES, rec1 = rec0 + NNOM_FILE_RECORD_BYTES;
    nnom_wr_u32(file_bytes + rec1 + NNOM_REC_BLOBS, (uint32_t)file_size - 8); /* weights past the end */
    refresh_crc();
    expect_load_error("blob offset out of range", file_size, NNOM_ERR_FORMAT, "outside");
    nnom_wr_u32(file_bytes + rec1 + NNOM_REC_BLOBS + 4, 0xFFFFFFF0u); /* weights size huge */
    refresh_crc();
    expect_load_error("blob size out of range", file_size, NNOM_ERR_FORMAT, "outside");
    nnom_wr_u32(file_bytes + rec1 + NNOM_REC_BLOBS, nnom_rd_u32(file_bytes + rec1 + NNOM_REC_BLOBS) + 2);
    refresh_crc();
    expect_load_error("misaligned blob", file_size, NNOM_ERR_FORMAT, "aligned");
    nnom_wr_u32(file_bytes + rec1 + NNOM_REC_BLOBS + 4, 7 * 60 - 1); /* one weight short */
    refresh_crc();
    expect_load_error("blob size inconsistent with shapes", file_size, NNOM_ERR_SHAPE, "dense");
    nnom_wr_u32(file_bytes + rec0 + NNOM_REC_DIMS, 5); /* input is (5,5,3): dense weights no longer fit */
    refresh_crc();
    expect_load_error("input shape inconsistent with weights", file_size, NNOM_ERR_SHAPE, "dense");
    nnom_wr_u32(file_bytes + rec1 + NNOM_REC_DIMS, 8); /* recorded dense output 8, computed 7 */
    refresh_crc();
    expect_load_error("recorded shape inconsistent", file_size, NNOM_ERR_SHAPE, "records");
    /* a view (the reshape, layer 2) keeps its input's quantisation: a record that says otherwise is refused
     * (the layer reads its quantisation from its record) */
    nnom_wr_u32(file_bytes + rec1 + NNOM_FILE_RECORD_BYTES + NNOM_REC_ZERO_POINT, (uint32_t)-127);
    refresh_crc();
    expect_load_error("view quantisation inconsistent", file_size, NNOM_ERR_FORMAT,
                      "layer 2 ('reshape'): the file records the output quantisation scale 2e-1, zero point -127, but "
                      "the layer keeps its input's, scale 2e-1, zero point -128");
    nnom_wr_u32(file_bytes + NNOM_HDR_LAYER_COUNT, 1000);
    refresh_crc();
    expect_load_error("layer count", file_size, NNOM_ERR_FORMAT, "do not fit");
    nnom_wr_u32(file_bytes + NNOM_HDR_LAYER_OFFSET, (uint32_t)file_size);
    refresh_crc();
    expect_load_error("layer table offset", file_size, NNOM_ERR_FORMAT, "do not fit");
    nnom_wr_u16(file_bytes + rec1 + NNOM_REC_TYPE, 200);
    refresh_crc();
    expect_load_error("unknown layer type", file_size, NNOM_ERR_UNSUPPORTED, "unknown layer type 200");
    nnom_wr_u16(file_bytes + rec1 + NNOM_REC_INPUTS, 1); /* dense reads itself */
    refresh_crc();
    expect_load_error("forward reference", file_size, NNOM_ERR_FORMAT, "does not come before");
    memset(file_bytes + rec1 + NNOM_REC_NAME, 'a', NNOM_NAME_MAX);
    refresh_crc();
    expect_load_error("unterminated name", file_size, NNOM_ERR_FORMAT, "NUL");
    nnom_wr_u32(file_bytes + NNOM_HDR_DTYPE, 9);
    refresh_crc();
    expect_load_error("element type", file_size, NNOM_ERR_UNSUPPORTED, "element type");
    nnom_wr_u32(file_bytes + rec1 + NNOM_REC_BLOBS + 8 * 3 + 0, nnom_rd_u32(file_bytes + rec1 + NNOM_REC_BLOBS + 8 * 3));
    {
        /* a shift of 99 in the file must be refused, not shifted by */
        uint32_t off = nnom_rd_u32(file_bytes + rec1 + NNOM_REC_BLOBS + 8 * 3);
        nnom_wr_u32(file_bytes + off, 99);
        refresh_crc();
        expect_load_error("shift out of range", file_size, NNOM_ERR_ARGUMENT, "shift");
    }

    /* ---- reserved fields and unknown flags: each set in valid bytes (CRC fixed) is refused by name */
    {
        const struct { const char *what; uint32_t at; nnom_status want; const char *words; } zeros[] = {
            {"header flag bit 2", NNOM_HDR_FLAGS, NNOM_ERR_VERSION, "header flags 0x4"},
            {"header flag bit 31", NNOM_HDR_FLAGS + 3, NNOM_ERR_VERSION, "unknown to this runtime"},
            {"first reserved header byte", NNOM_HDR_RESERVED, NNOM_ERR_FORMAT, "reserved byte 44"},
            {"last reserved header byte", NNOM_FILE_HEADER_BYTES - 1, NNOM_ERR_FORMAT, "reserved byte 63"},
            {"reserved record byte", rec1 + NNOM_REC_RESERVED + 1, NNOM_ERR_FORMAT, "reserved byte 5 of the record"},
            {"unused input entry", rec1 + NNOM_REC_INPUTS + 2 * 5, NNOM_ERR_FORMAT, "unused input entry 5"},
            {"dimension beyond the rank", rec1 + NNOM_REC_DIMS + 4 * 2, NNOM_ERR_FORMAT, "dimension 2 is"},
            {"reserved parameter word", rec1 + NNOM_REC_PARAMS + 4 * (NNOM_PARAM_WORDS - 1), NNOM_ERR_FORMAT,
             "reserved parameter word 23"},
            {"offset of an absent blob", rec1 + NNOM_REC_BLOBS + 8 * 5, NNOM_ERR_FORMAT, "blob 5 is absent"},
        };
        for (size_t k = 0; k < sizeof zeros / sizeof zeros[0]; k++) {
            TU_CHECK(file_bytes[zeros[k].at] == 0, "%s: zero in a file the writer made", zeros[k].what);
            /* (header byte 40: bit 2, the first this runtime does not know; bits 0 and 1 are pairs) */
            file_bytes[zeros[k].at] = (uint8_t)(zeros[k].at == NNOM_HDR_FLAGS + 3 ? 0x80 : zeros[k].at == NNOM_HDR_FLAGS ? 4 : 1);
            refresh_crc();
            expect_load_error(zeros[k].what, file_size, zeros[k].want, zeros[k].words);
        }
        /* the dense record asking for row pairs: refused without the header flag, and with it refused
         * because its 420 bytes of rows are not the 480 of pairs (7 rows padded to 8) */
        const uint32_t cell_flags_at = rec1 + NNOM_REC_PARAMS + 4 * 21;
        TU_CHECK(nnom_rd_u32(file_bytes + NNOM_HDR_FLAGS) == 0, "a model without row pairs has no header flag");
        nnom_wr_u32(file_bytes + cell_flags_at, NNOM_DENSE_ROW_PAIRS);
        refresh_crc();
        expect_load_error("row pairs without the header flag", file_size, NNOM_ERR_FORMAT, "lacks flag 0x1");
        nnom_wr_u32(file_bytes + cell_flags_at, NNOM_DENSE_ROW_PAIRS);
        nnom_wr_u32(file_bytes + NNOM_HDR_FLAGS, NNOM_FILE_FLAG_DENSE_ROW_PAIRS);
        refresh_crc();
        expect_load_error("row pairs of the wrong size", file_size, NNOM_ERR_SHAPE, "weights in row pairs [7][60]");
        nnom_wr_u32(file_bytes + cell_flags_at, 2);
        refresh_crc();
        expect_load_error("unknown dense cell_flags", file_size, NNOM_ERR_ARGUMENT, "only bit 0 (weights in row pairs)");
        /* and the message names the layer */
        file_bytes[rec1 + NNOM_REC_RESERVED] = 7;
        refresh_crc();
        expect_load_error("reserved record byte", file_size, NNOM_ERR_FORMAT, "layer 1 ('dense')");
    }

    /* random corruption never crashes: flip bytes, fix the CRC, load; any status is fine */
    int loaded_ok = 0;
    for (int trial = 0; trial < 3000; trial++) {
        int flips = tu_rand_int(1, 4);
        for (int f = 0; f < flips; f++) file_bytes[tu_rand_int(0, (int32_t)file_size - 1)] = (uint8_t)tu_rand_u32();
        if (trial % 2) refresh_crc();
        nnom_model *r = NULL;
        if (nnom_model_load(file_bytes, file_size, NULL, &r, &err) == NNOM_OK) {
            loaded_ok++;
            if (nnom_model_alloc_arena(r) == NNOM_OK) {
                nnom_model_set_input_s8(r, 0, x, 60);
                nnom_model_run(r);
            }
            nnom_model_destroy(r);
        }
        restore();
    }
    printf("random corruption: %d of 3000 corrupt images still formed a valid model\n", loaded_ok);

    test_conv_channel_pairs();

    /* the CRC is zlib's */
    TU_CHECK(nnom_crc32(0, "123456789", 9) == 0xCBF43926u, "crc32 check value");

    nnom_model_destroy(m);
    return tu_finish("test_format");
}

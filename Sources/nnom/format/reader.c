/* Loads a .nnom file: every field is checked before use; weights stay in place. */
#include <string.h>

#include "core/model_internal.h"
#include "format/format.h"

/* nnom_layer_def is the record's layout (a layer reads its record in place) */
#define NNOM_DEF_AT(field, offset) \
    typedef char nnom_def_##field##_at_##offset[offsetof(nnom_layer_def, field) == (offset) ? 1 : -1]
NNOM_DEF_AT(type, NNOM_REC_TYPE);
NNOM_DEF_AT(n_inputs, NNOM_REC_N_INPUTS);
NNOM_DEF_AT(reserved, NNOM_REC_RESERVED);
NNOM_DEF_AT(name, NNOM_REC_NAME);
NNOM_DEF_AT(inputs, NNOM_REC_INPUTS);
NNOM_DEF_AT(shape, NNOM_REC_RANK);
NNOM_DEF_AT(quant, NNOM_REC_SCALE);
NNOM_DEF_AT(params, NNOM_REC_PARAMS);
NNOM_DEF_AT(blob_at, NNOM_REC_BLOBS);
typedef char nnom_def_is_a_record[sizeof(nnom_layer_def) == NNOM_FILE_RECORD_BYTES ? 1 : -1];
typedef char nnom_def_dims_at[offsetof(nnom_layer_def, shape.dims) == NNOM_REC_DIMS &&
                                      offsetof(nnom_layer_def, quant.zero_point) == NNOM_REC_ZERO_POINT
                                  ? 1 : -1];

/* Records a loader failure: in the model if there is one, else straight into err. */
static nnom_status load_fail(nnom_error *err, nnom_model *m, nnom_status st, const char *msg)
{
    if (m) nnom_fail(m, st, "%s", msg);
    nnom_error_copy(err, st, msg);
    return st;
}

static int host_is_little_endian(void)
{
    const uint16_t probe = 1;
    uint8_t first;
    memcpy(&first, &probe, 1);
    return first == 1;
}

static nnom_status check_header(const uint8_t *b, size_t size, char *msg, size_t cap)
{
    if (size < NNOM_FILE_HEADER_BYTES) {
        nnom_format(msg, cap, "truncated file: %lu bytes, shorter than the %u-byte header", (unsigned long)size,
                    NNOM_FILE_HEADER_BYTES);
        return NNOM_ERR_TRUNCATED;
    }
    if (memcmp(b + NNOM_HDR_MAGIC, NNOM_FILE_MAGIC, 4) != 0) {
        nnom_format(msg, cap, "not a .nnom file: the first 4 bytes are not \"NNOM\"");
        return NNOM_ERR_MAGIC;
    }
    uint16_t major = nnom_rd_u16(b + NNOM_HDR_VERSION_MAJOR), minor = nnom_rd_u16(b + NNOM_HDR_VERSION_MINOR);
    if (major != NNOM_FILE_VERSION_MAJOR) {
        nnom_format(msg, cap, "unsupported .nnom version %u.%u: this runtime reads version %u.x", (unsigned)major,
                    (unsigned)minor, (unsigned)NNOM_FILE_VERSION_MAJOR);
        return NNOM_ERR_VERSION;
    }
    uint32_t header = nnom_rd_u32(b + NNOM_HDR_HEADER_BYTES), file = nnom_rd_u32(b + NNOM_HDR_FILE_BYTES);
    if (header != NNOM_FILE_HEADER_BYTES) {
        nnom_format(msg, cap, "bad header: header size %u, expected %u", (unsigned)header, NNOM_FILE_HEADER_BYTES);
        return NNOM_ERR_FORMAT;
    }
    if (file > size) {
        nnom_format(msg, cap, "truncated file: the header says %u bytes but only %lu were given", (unsigned)file,
                    (unsigned long)size);
        return NNOM_ERR_TRUNCATED;
    }
    if (file < NNOM_FILE_HEADER_BYTES) {
        nnom_format(msg, cap, "bad header: file size %u is smaller than the header", (unsigned)file);
        return NNOM_ERR_FORMAT;
    }
    uint32_t stored = nnom_rd_u32(b + NNOM_HDR_CHECKSUM), actual = nnom_file_crc(b, file);
    if (stored != actual) {
        nnom_format(msg, cap, "checksum mismatch: the file says 0x%x, its content gives 0x%x (corrupt file?)",
                    (unsigned)stored, (unsigned)actual);
        return NNOM_ERR_CHECKSUM;
    }
    const uint32_t flags = nnom_rd_u32(b + NNOM_HDR_FLAGS);
    if (flags & ~NNOM_FILE_FLAGS_KNOWN) {
        nnom_format(msg, cap, "header flags 0x%x: bits 0x%x are unknown to this runtime, which reads .nnom "
                    "version %u.%u (the file says %u.%u: a feature of a newer writer?)", (unsigned)flags,
                    (unsigned)(flags & ~NNOM_FILE_FLAGS_KNOWN), (unsigned)NNOM_FILE_VERSION_MAJOR,
                    (unsigned)NNOM_FILE_VERSION_MINOR, (unsigned)major, (unsigned)minor);
        return NNOM_ERR_VERSION;
    }
    for (uint32_t k = NNOM_HDR_RESERVED; k < NNOM_FILE_HEADER_BYTES; k++)
        if (b[k] != 0) {
            nnom_format(msg, cap, "bad header: reserved byte %u (of bytes %u to %u) is 0x%x, must be 0",
                        (unsigned)k, (unsigned)NNOM_HDR_RESERVED, NNOM_FILE_HEADER_BYTES - 1u, (unsigned)b[k]);
            return NNOM_ERR_FORMAT;
        }
    uint32_t dtype = nnom_rd_u32(b + NNOM_HDR_DTYPE);
    if (dtype != NNOM_DTYPE_S8 && dtype != NNOM_DTYPE_F32) {
        nnom_format(msg, cap, "unsupported element type %u (1 = int8, 2 = float32)", (unsigned)dtype);
        return NNOM_ERR_UNSUPPORTED;
    }
    uint32_t count = nnom_rd_u32(b + NNOM_HDR_LAYER_COUNT), table = nnom_rd_u32(b + NNOM_HDR_LAYER_OFFSET);
    uint32_t record = nnom_rd_u32(b + NNOM_HDR_RECORD_BYTES);
    if (record != NNOM_FILE_RECORD_BYTES) {
        nnom_format(msg, cap, "bad header: layer record size %u, expected %u", (unsigned)record,
                    NNOM_FILE_RECORD_BYTES);
        return NNOM_ERR_FORMAT;
    }
    if (count == 0 || count > 65535) {
        nnom_format(msg, cap, "bad header: %u layers (1 to 65535 allowed)", (unsigned)count);
        return NNOM_ERR_FORMAT;
    }
    if (table < NNOM_FILE_HEADER_BYTES || table % 4 != 0 || table > file ||
        (uint64_t)count * NNOM_FILE_RECORD_BYTES > (uint64_t)(file - table)) {
        nnom_format(msg, cap, "bad header: %u layer records at offset %u do not fit in the %u-byte file",
                    (unsigned)count, (unsigned)table, (unsigned)file);
        return NNOM_ERR_FORMAT;
    }
    return NNOM_OK;
}

/* Fields of a record that must be zero: reserved bytes, unused input ids and
 * dimensions, the reserved parameter word, offsets of absent blobs. Returns
 * NNOM_OK, or fills @p msg naming the field. */
static nnom_status check_record_zeros(const uint8_t *r, uint32_t index, const char *name, char *msg, size_t cap)
{
    for (uint32_t k = 0; k < NNOM_REC_RESERVED_BYTES; k++)
        if (r[NNOM_REC_RESERVED + k] != 0) {
            nnom_format(msg, cap, "layer %u ('%s'): reserved byte %u of the record is 0x%x, must be 0",
                        (unsigned)index, name, (unsigned)(NNOM_REC_RESERVED + k), (unsigned)r[NNOM_REC_RESERVED + k]);
            return NNOM_ERR_FORMAT;
        }
    const uint16_t n_inputs = nnom_rd_u16(r + NNOM_REC_N_INPUTS);
    for (uint32_t j = n_inputs; j < NNOM_MAX_INPUTS; j++)
        if (nnom_rd_u16(r + NNOM_REC_INPUTS + 2 * j) != 0) {
            nnom_format(msg, cap, "layer %u ('%s'): unused input entry %u is %u, must be 0 (the layer has %u inputs)",
                        (unsigned)index, name, (unsigned)j, (unsigned)nnom_rd_u16(r + NNOM_REC_INPUTS + 2 * j),
                        (unsigned)n_inputs);
            return NNOM_ERR_FORMAT;
        }
    const int32_t rank = (int32_t)nnom_rd_u32(r + NNOM_REC_RANK);
    for (int32_t k = rank < 0 ? 0 : rank; k < NNOM_MAX_RANK; k++)
        if (nnom_rd_u32(r + NNOM_REC_DIMS + 4 * k) != 0) {
            nnom_format(msg, cap, "layer %u ('%s'): dimension %d is %d beyond rank %d, must be 0", (unsigned)index,
                        name, (int)k, (int)nnom_rd_u32(r + NNOM_REC_DIMS + 4 * k), (int)rank);
            return NNOM_ERR_FORMAT;
        }
    const uint32_t reserved_word = nnom_rd_u32(r + NNOM_REC_PARAMS + 4 * (NNOM_PARAM_WORDS - 1));
    if (reserved_word != 0) {
        nnom_format(msg, cap, "layer %u ('%s'): reserved parameter word %d is 0x%x, must be 0", (unsigned)index, name,
                    NNOM_PARAM_WORDS - 1, (unsigned)reserved_word);
        return NNOM_ERR_FORMAT;
    }
    for (int k = 0; k < NNOM_MAX_BLOBS; k++) {
        const uint32_t off = nnom_rd_u32(r + NNOM_REC_BLOBS + 8 * k), bytes = nnom_rd_u32(r + NNOM_REC_BLOBS + 8 * k + 4);
        if (bytes == 0 && off != 0) {
            nnom_format(msg, cap, "layer %u ('%s'): blob %d is absent (size 0) but has offset %u, must be 0",
                        (unsigned)index, name, k, (unsigned)off);
            return NNOM_ERR_FORMAT;
        }
    }
    return NNOM_OK;
}

static nnom_status read_record(nnom_model *m, const uint8_t *b, uint32_t file, uint32_t index,
                               const uint8_t *r, nnom_error *err)
{
    char msg[NNOM_MODEL_ERROR_BYTES];
    nnom_layer_desc d;
    memset(&d, 0, sizeof d);
    const char *name = (const char *)(r + NNOM_REC_NAME); /* read in place, like the parameters */
    if (memchr(name, '\0', NNOM_NAME_MAX) == NULL) {
        nnom_format(msg, sizeof msg, "layer %u: name is not NUL-terminated within %d bytes", (unsigned)index, NNOM_NAME_MAX);
        return load_fail(err, m, NNOM_ERR_FORMAT, msg);
    }
    nnom_status zeros = check_record_zeros(r, index, name, msg, sizeof msg);
    if (zeros != NNOM_OK) return load_fail(err, m, zeros, msg);
    uint16_t type = nnom_rd_u16(r + NNOM_REC_TYPE), n_inputs = nnom_rd_u16(r + NNOM_REC_N_INPUTS);
    if (type >= NNOM_LAYER_TYPE_COUNT) {
        nnom_format(msg, sizeof msg, "layer %u ('%s'): unknown layer type %u", (unsigned)index, name, (unsigned)type);
        return load_fail(err, m, NNOM_ERR_UNSUPPORTED, msg);
    }
    if (n_inputs > NNOM_MAX_INPUTS) {
        nnom_format(msg, sizeof msg, "layer %u ('%s'): %u inputs, at most %d", (unsigned)index, name,
                    (unsigned)n_inputs, NNOM_MAX_INPUTS);
        return load_fail(err, m, NNOM_ERR_FORMAT, msg);
    }
    for (uint32_t j = 0; j < n_inputs; j++) {
        uint16_t src = nnom_rd_u16(r + NNOM_REC_INPUTS + 2 * j);
        if (src >= index) {
            nnom_format(msg, sizeof msg, "layer %u ('%s'): input %u refers to layer %u, which does not come before it",
                        (unsigned)index, name, (unsigned)j, (unsigned)src);
            return load_fail(err, m, NNOM_ERR_FORMAT, msg);
        }
        d.inputs[j] = src;
    }
    d.n_inputs = n_inputs;
    d.type = (nnom_layer_type)type;
    d.name = name;
    /* The layer reads its record in place (nnom_layer_def is the record's layout: checked at compile
     * time below; the host is little-endian and the record 4-byte aligned, both checked before). */
    const nnom_layer_def *record = (const nnom_layer_def *)(const void *)r;
    d.params = record->params; /* (used only if the layer needs its own copy: an empty name) */
    const uint32_t needs = nnom_layer_file_flags((int32_t)type, d.params.cell_flags);
    if (needs & ~nnom_rd_u32(b + NNOM_HDR_FLAGS)) {
        nnom_format(msg, sizeof msg, "layer %u ('%s'): cell_flags 0x%x stores the weights in pairs, but the "
                    "header lacks flag 0x%x, which a writer sets for such a file",
                    (unsigned)index, name, (unsigned)d.params.cell_flags, (unsigned)needs);
        return load_fail(err, m, NNOM_ERR_FORMAT, msg);
    }
    uint32_t scale_bits = nnom_rd_u32(r + NNOM_REC_SCALE);
    memcpy(&d.quant.scale, &scale_bits, 4);
    d.quant.zero_point = (int32_t)nnom_rd_u32(r + NNOM_REC_ZERO_POINT);
    for (int k = 0; k < NNOM_MAX_BLOBS; k++) {
        uint32_t off = nnom_rd_u32(r + NNOM_REC_BLOBS + 8 * k), bytes = nnom_rd_u32(r + NNOM_REC_BLOBS + 8 * k + 4);
        if (bytes == 0) continue;
        if (off > file || bytes > file - off || off < NNOM_FILE_HEADER_BYTES) {
            nnom_format(msg, sizeof msg, "layer %u ('%s'): blob %d (offset %u, %u bytes) lies outside the %u-byte file",
                        (unsigned)index, name, k, (unsigned)off, (unsigned)bytes, (unsigned)file);
            return load_fail(err, m, NNOM_ERR_FORMAT, msg);
        }
        if (off % 4 != 0) {
            nnom_format(msg, sizeof msg, "layer %u ('%s'): blob %d at offset %u is not 4-byte aligned", (unsigned)index,
                        name, k, (unsigned)off);
            return load_fail(err, m, NNOM_ERR_FORMAT, msg);
        }
        d.blobs[k].data = b + off;
        d.blobs[k].size = bytes;
    }
    nnom_status st;
    if (type == NNOM_LAYER_INPUT) {
        nnom_shape shape;
        shape.rank = (int32_t)nnom_rd_u32(r + NNOM_REC_RANK);
        for (int k = 0; k < NNOM_MAX_RANK; k++) shape.dims[k] = (int32_t)nnom_rd_u32(r + NNOM_REC_DIMS + 4 * k);
        if (n_inputs != 0) {
            nnom_format(msg, sizeof msg, "layer %u ('%s'): an input layer cannot have inputs", (unsigned)index, name);
            return load_fail(err, m, NNOM_ERR_FORMAT, msg);
        }
        st = nnom_model_append(m, &d, &shape, record, b, NULL);
    } else {
        /* (type, input count and input ids are checked above) */
        st = nnom_model_append(m, &d, NULL, record, b, NULL);
    }
    if (st != NNOM_OK) return load_fail(err, NULL, st, nnom_model_last_error(m));
    return NNOM_OK;
}

nnom_status nnom_model_load(const void *data, size_t size, const nnom_options *options, nnom_model **out,
                            nnom_error *err)
{
    char msg[NNOM_MODEL_ERROR_BYTES];
    if (out) *out = NULL;
    if (!out || !data) return load_fail(err, NULL, NNOM_ERR_ARGUMENT, "nnom_model_load: data or out is NULL");
    if (!host_is_little_endian())
        return load_fail(err, NULL, NNOM_ERR_UNSUPPORTED, "nnom_model_load: big-endian hosts are not supported");
    if (((uintptr_t)data & 3u) != 0)
        return load_fail(err, NULL, NNOM_ERR_ARGUMENT,
                         "nnom_model_load: the model bytes must be 4-byte aligned (weights are used in place)");
    const uint8_t *b = (const uint8_t *)data;
    nnom_status st = check_header(b, size, msg, sizeof msg);
    if (st != NNOM_OK) return load_fail(err, NULL, st, msg);

    uint32_t file = nnom_rd_u32(b + NNOM_HDR_FILE_BYTES);
    uint32_t count = nnom_rd_u32(b + NNOM_HDR_LAYER_COUNT), table = nnom_rd_u32(b + NNOM_HDR_LAYER_OFFSET);
    nnom_model *m;
    st = nnom_model_create((nnom_dtype)nnom_rd_u32(b + NNOM_HDR_DTYPE), options, &m, err);
    if (st != NNOM_OK) return st;
    st = nnom_model_reserve(m, (int32_t)count);
    if (st != NNOM_OK) load_fail(err, NULL, st, nnom_model_last_error(m));
    for (uint32_t i = 0; st == NNOM_OK && i < count; i++)
        st = read_record(m, b, file, i, b + table + i * NNOM_FILE_RECORD_BYTES, err);
    if (st == NNOM_OK) {
        st = nnom_model_compile(m);
        if (st != NNOM_OK) load_fail(err, NULL, st, nnom_model_last_error(m));
    }
    /* (compiling checks that the shapes the file records are the ones the layers compute) */
    if (st != NNOM_OK) {
        nnom_model_destroy(m);
        return st;
    }
    *out = m;
    return NNOM_OK;
}

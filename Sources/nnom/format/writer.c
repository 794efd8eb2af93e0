/* Serialises a compiled model into the .nnom format (docs/format.md). */
#include <string.h>

#include "core/model_internal.h"
#include "format/format.h"

/* 64-bit sizes: a sum past 4 GiB is refused, never wrapped (a is a power of two: no division) */
static uint64_t align_up(uint64_t v, uint32_t a) { return (v + a - 1u) & ~(uint64_t)(a - 1u); }

nnom_status nnom_model_save(nnom_model *m, void *buffer, size_t capacity, size_t *size)
{
    if (!m) return NNOM_ERR_ARGUMENT;
    if (!size) return nnom_fail(m, NNOM_ERR_ARGUMENT, "nnom_model_save: size is NULL");
    if (!m->compiled) return nnom_fail(m, NNOM_ERR_STATE, "compile the model before saving it");

    /* layout: header, records, blobs */
    const uint64_t data_offset =
        align_up(NNOM_FILE_HEADER_BYTES + (uint64_t)m->n_layers * NNOM_FILE_RECORD_BYTES, NNOM_FILE_BLOB_ALIGN);
    uint64_t end = data_offset;
    for (int32_t i = 0; i < m->n_layers; i++)
        for (int k = 0; k < NNOM_MAX_BLOBS; k++)
            if (nnom_blob_size(&m->layers[i], k))
                end = align_up(end, NNOM_FILE_BLOB_ALIGN) + nnom_blob_size(&m->layers[i], k);
    if (end > UINT32_MAX) { /* file_bytes and blob offsets are u32 */
        char need[40];
        nnom_bytes_text(end, need, sizeof need);
        return nnom_fail(m, NNOM_ERR_ARGUMENT, "nnom_model_save: the model takes %s, more than a .nnom file can "
                         "hold (4 GiB - 1 byte)", need);
    }
    *size = (size_t)end;
    if (!buffer) return NNOM_OK;
    if (capacity < end)
        return nnom_fail(m, NNOM_ERR_ARGUMENT, "nnom_model_save: buffer of %lu bytes, %lu needed",
                         (unsigned long)capacity, (unsigned long)end);

    uint8_t *out = (uint8_t *)buffer;
    memset(out, 0, (size_t)end);
    memcpy(out + NNOM_HDR_MAGIC, NNOM_FILE_MAGIC, 4);
    nnom_wr_u16(out + NNOM_HDR_VERSION_MAJOR, NNOM_FILE_VERSION_MAJOR);
    nnom_wr_u16(out + NNOM_HDR_VERSION_MINOR, NNOM_FILE_VERSION_MINOR);
    nnom_wr_u32(out + NNOM_HDR_HEADER_BYTES, NNOM_FILE_HEADER_BYTES);
    nnom_wr_u32(out + NNOM_HDR_FILE_BYTES, (uint32_t)end);
    nnom_wr_u32(out + NNOM_HDR_DTYPE, (uint32_t)m->dtype);
    nnom_wr_u32(out + NNOM_HDR_LAYER_COUNT, (uint32_t)m->n_layers);
    nnom_wr_u32(out + NNOM_HDR_LAYER_OFFSET, NNOM_FILE_HEADER_BYTES);
    nnom_wr_u32(out + NNOM_HDR_RECORD_BYTES, NNOM_FILE_RECORD_BYTES);
    nnom_wr_u32(out + NNOM_HDR_DATA_OFFSET, (uint32_t)data_offset);
    uint32_t flags = 0;
    for (int32_t i = 0; i < m->n_layers; i++)
        flags |= nnom_layer_file_flags((int32_t)m->layers[i].type, m->layers[i].def->params.cell_flags);
    nnom_wr_u32(out + NNOM_HDR_FLAGS, flags);

    uint32_t cursor = (uint32_t)data_offset;
    for (int32_t i = 0; i < m->n_layers; i++) {
        const nnom_layer *l = &m->layers[i];
        uint8_t *r = out + NNOM_FILE_HEADER_BYTES + (uint32_t)i * NNOM_FILE_RECORD_BYTES;
        const nnom_layer_def *def = l->def;
        nnom_wr_u16(r + NNOM_REC_TYPE, (uint16_t)l->type);
        nnom_wr_u16(r + NNOM_REC_N_INPUTS, (uint16_t)l->n_inputs);
        memcpy(r + NNOM_REC_NAME, def->name, strlen(def->name));
        for (int32_t j = 0; j < l->n_inputs; j++) nnom_wr_u16(r + NNOM_REC_INPUTS + 2 * j, def->inputs[j]);
        nnom_wr_u32(r + NNOM_REC_RANK, (uint32_t)def->shape.rank);
        for (int k = 0; k < NNOM_MAX_RANK; k++) nnom_wr_u32(r + NNOM_REC_DIMS + 4 * k, (uint32_t)def->shape.dims[k]);
        uint32_t scale_bits;
        memcpy(&scale_bits, &def->quant.scale, 4);
        nnom_wr_u32(r + NNOM_REC_SCALE, scale_bits);
        nnom_wr_u32(r + NNOM_REC_ZERO_POINT, (uint32_t)def->quant.zero_point);
        uint32_t words[NNOM_PARAM_WORDS];
        nnom_params_to_words(&def->params, words);
        for (int k = 0; k < NNOM_PARAM_WORDS; k++) nnom_wr_u32(r + NNOM_REC_PARAMS + 4 * k, words[k]);
        for (int k = 0; k < NNOM_MAX_BLOBS; k++) {
            const nnom_blob blob = nnom_layer_blob(l, k);
            uint32_t bytes = blob.size;
            if (!bytes) continue;
            cursor = (uint32_t)align_up(cursor, NNOM_FILE_BLOB_ALIGN); /* within end, checked above */
            memcpy(out + cursor, blob.data, bytes);
            nnom_wr_u32(r + NNOM_REC_BLOBS + 8 * k, cursor);
            nnom_wr_u32(r + NNOM_REC_BLOBS + 8 * k + 4, bytes);
            cursor += bytes;
        }
    }
    nnom_wr_u32(out + NNOM_HDR_CHECKSUM, nnom_file_crc(out, (uint32_t)end));
    return NNOM_OK;
}

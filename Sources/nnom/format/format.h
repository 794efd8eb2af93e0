/*
 * The .nnom file layout (docs/format.md is the specification).
 *
 *   offset 0    header, 64 bytes
 *   offset 64   layer records, layer_count x 240 bytes
 *   then        blob data, each blob 8-byte aligned
 *
 * All integers little-endian. The CRC-32 covers the whole file with the
 * checksum field read as zero.
 */
#ifndef NNOM_FORMAT_H
#define NNOM_FORMAT_H

#include <stdint.h>

#include "nnom/api.h"
#include "nnom/layers.h"

#define NNOM_FILE_MAGIC "NNOM"
/* public as NNOM_FORMAT_VERSION_* (nnom/api.h), which weights.h checks at compile time */
#define NNOM_FILE_VERSION_MAJOR NNOM_FORMAT_VERSION_MAJOR
#define NNOM_FILE_VERSION_MINOR NNOM_FORMAT_VERSION_MINOR
#define NNOM_FILE_HEADER_BYTES 64u
#define NNOM_FILE_RECORD_BYTES 240u
#define NNOM_FILE_BLOB_ALIGN 8u

/* header field offsets */
enum {
    NNOM_HDR_MAGIC = 0,
    NNOM_HDR_VERSION_MAJOR = 4,   /* u16 */
    NNOM_HDR_VERSION_MINOR = 6,   /* u16 */
    NNOM_HDR_HEADER_BYTES = 8,
    NNOM_HDR_FILE_BYTES = 12,
    NNOM_HDR_CHECKSUM = 16,
    NNOM_HDR_DTYPE = 20,
    NNOM_HDR_LAYER_COUNT = 24,
    NNOM_HDR_LAYER_OFFSET = 28,
    NNOM_HDR_RECORD_BYTES = 32,
    NNOM_HDR_DATA_OFFSET = 36,
    NNOM_HDR_FLAGS = 40,
    NNOM_HDR_RESERVED = 44        /* u8[20], zero */
};

#define NNOM_REC_RESERVED_BYTES 4u

/* Header flags. A reader refuses a file with a bit it does not know: a newer writer's
 * feature is never silently ignored.
 *  - NNOM_FILE_FLAG_DENSE_ROW_PAIRS (1.10): some DENSE layer has cell_flags NNOM_DENSE_ROW_PAIRS
 *    (weights in row pairs).
 *  - NNOM_FILE_FLAG_CONV_CHANNEL_PAIRS (1.11): some CONV1D/CONV2D layer has cell_flags
 *    NNOM_CONV_CHANNEL_PAIRS (weights in channel pairs).
 * Each is set by the writer exactly then, so that an older runtime, which would read the pairs as
 * rows, refuses the file. */
#define NNOM_FILE_FLAG_DENSE_ROW_PAIRS 1u
#define NNOM_FILE_FLAG_CONV_CHANNEL_PAIRS 2u
#define NNOM_FILE_FLAGS_KNOWN (NNOM_FILE_FLAG_DENSE_ROW_PAIRS | NNOM_FILE_FLAG_CONV_CHANNEL_PAIRS)

/* The header flags that the record of a layer of type @p type with cell_flags @p cell_flags needs
 * (0: none). */
static inline uint32_t nnom_layer_file_flags(int32_t type, int32_t cell_flags)
{
    const uint32_t f = (uint32_t)cell_flags;
    if (type == NNOM_LAYER_DENSE && (f & NNOM_DENSE_ROW_PAIRS)) return NNOM_FILE_FLAG_DENSE_ROW_PAIRS;
    if ((type == NNOM_LAYER_CONV1D || type == NNOM_LAYER_CONV2D) && (f & NNOM_CONV_CHANNEL_PAIRS))
        return NNOM_FILE_FLAG_CONV_CHANNEL_PAIRS;
    return 0;
}

/* layer record field offsets */
enum {
    NNOM_REC_TYPE = 0,        /* u16 */
    NNOM_REC_N_INPUTS = 2,    /* u16 */
    NNOM_REC_RESERVED = 4,    /* u8[NNOM_REC_RESERVED_BYTES], zero */
    NNOM_REC_NAME = 8,        /* char[32], NUL-terminated */
    NNOM_REC_INPUTS = 40,     /* u16[16] */
    NNOM_REC_RANK = 72,       /* i32 */
    NNOM_REC_DIMS = 76,       /* i32[3] */
    NNOM_REC_SCALE = 88,      /* f32 */
    NNOM_REC_ZERO_POINT = 92, /* i32 */
    NNOM_REC_PARAMS = 96,     /* i32[24] */
    NNOM_REC_BLOBS = 192      /* {u32 offset, u32 size}[6] */
};

static inline uint32_t nnom_rd_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint16_t nnom_rd_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline void nnom_wr_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
static inline void nnom_wr_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* CRC of a whole file with the checksum field taken as zero. */
uint32_t nnom_file_crc(const uint8_t *file, uint32_t size);

/* The params struct as NNOM_PARAM_WORDS words, and back. */
#include "nnom/layers.h"
void nnom_params_to_words(const nnom_layer_params *p, uint32_t words[NNOM_PARAM_WORDS]);
void nnom_params_from_words(const uint32_t words[NNOM_PARAM_WORDS], nnom_layer_params *p);

#endif

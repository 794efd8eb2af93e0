/*
 * A small bounds-checked reader of FlatBuffers (the .tflite container).
 *
 * A flatbuffer is little-endian throughout. Its first word is the offset of
 * the root table. A table starts with a signed 32-bit offset back to its
 * vtable: uint16 vtable size, uint16 table size, then one uint16 per field,
 * the field's offset inside the table (0: absent, the default applies).
 * Fields that are tables, vectors or strings hold a uint32 offset, relative
 * to the field's own position, to the object. A vector is a uint32 length
 * followed by its elements; a string is a vector of bytes.
 *
 * Every read here is checked against the buffer: a table whose vtable or
 * body falls outside it, a field that runs past its table, an offset out of
 * range, a vector whose length runs past the end: each is an error naming
 * @p what was being read. Nothing recurses: callers walk nested tables one
 * call at a time. Reads need no alignment.
 */
#ifndef NNOM_TOOLS_FLATBUF_H
#define NNOM_TOOLS_FLATBUF_H

#include <stddef.h>
#include <stdint.h>

/* The whole file and the last failure's message. */
typedef struct nnom_fb {
    const uint8_t *data;
    uint32_t size;
    char error[256];
} nnom_fb;

/* A table: where it starts, its vtable, their sizes. */
typedef struct nnom_fb_table {
    nnom_fb *fb;
    uint32_t pos;
    uint32_t vtable;
    uint32_t vt_size;
    uint32_t size;
} nnom_fb_table;

/* A vector: its elements start at pos, len of elem_size bytes each. */
typedef struct nnom_fb_vector {
    nnom_fb *fb;
    uint32_t pos;
    uint32_t len;
    uint32_t elem_size;
} nnom_fb_vector;

/* All functions return 0 on success, -1 on failure with fb->error set. */

/* Wraps @p size bytes (at most 2 GiB - 1, the format's limit) and reads the root table. */
int nnom_fb_open(nnom_fb *fb, const void *data, size_t size, nnom_fb_table *root);

/* The table at absolute position @p pos. */
int nnom_fb_table_at(nnom_fb *fb, uint32_t pos, nnom_fb_table *out, const char *what);

/* 1 if field @p id is present in @p t. */
int nnom_fb_has(const nnom_fb_table *t, uint32_t id);

/* Scalar fields: *out receives the value, or @p def when the field is absent. */
int nnom_fb_u8(const nnom_fb_table *t, uint32_t id, uint8_t def, uint8_t *out, const char *what);
int nnom_fb_i8(const nnom_fb_table *t, uint32_t id, int8_t def, int8_t *out, const char *what);
int nnom_fb_i32(const nnom_fb_table *t, uint32_t id, int32_t def, int32_t *out, const char *what);
int nnom_fb_u32(const nnom_fb_table *t, uint32_t id, uint32_t def, uint32_t *out, const char *what);
int nnom_fb_u64(const nnom_fb_table *t, uint32_t id, uint64_t def, uint64_t *out, const char *what);
int nnom_fb_f32(const nnom_fb_table *t, uint32_t id, float def, float *out, const char *what);

/* A table field; *present is 0 (and *out untouched) when absent. */
int nnom_fb_table_field(const nnom_fb_table *t, uint32_t id, nnom_fb_table *out, int *present, const char *what);

/* A vector field of @p elem_size-byte elements; absent: an empty vector, *present 0 (present may be NULL). */
int nnom_fb_vector_field(const nnom_fb_table *t, uint32_t id, uint32_t elem_size, nnom_fb_vector *out,
                         int *present, const char *what);

/* A string field copied into @p out (NUL-terminated, cut to @p cap - 1 bytes); absent: "". */
int nnom_fb_string_field(const nnom_fb_table *t, uint32_t id, char *out, size_t cap, const char *what);

/* Elements of a vector; @p i must be below v->len (checked). */
int nnom_fb_vec_i32(const nnom_fb_vector *v, uint32_t i, int32_t *out, const char *what);
int nnom_fb_vec_i64(const nnom_fb_vector *v, uint32_t i, int64_t *out, const char *what);
int nnom_fb_vec_f32(const nnom_fb_vector *v, uint32_t i, float *out, const char *what);
/* Element @p i of a vector of tables. */
int nnom_fb_vec_table(const nnom_fb_vector *v, uint32_t i, nnom_fb_table *out, const char *what);
/* The bytes of a vector (valid: the whole vector is inside the buffer). */
const uint8_t *nnom_fb_vec_bytes(const nnom_fb_vector *v);

#endif

/* Bounds-checked FlatBuffers reading: see flatbuf.h for the layout. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tflite/flatbuf.h"

/* A flatbuffer addresses its content with 32-bit offsets, signed for the vtable's. */
#define FB_MAX_SIZE 0x7fffffffu
#define FB_WORD 4u
#define FB_VTABLE_HEADER 4u /* uint16 vtable size, uint16 table size */
#define FB_FIELD_SLOT 2u

static int fail(nnom_fb *fb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fb->error, sizeof fb->error, fmt, ap);
    va_end(ap);
    return -1;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* 1 if [pos, pos + bytes) lies inside the buffer. */
static int inside(const nnom_fb *fb, uint64_t pos, uint64_t bytes) { return pos + bytes <= (uint64_t)fb->size; }

int nnom_fb_open(nnom_fb *fb, const void *data, size_t size, nnom_fb_table *root)
{
    fb->data = (const uint8_t *)data;
    fb->size = 0;
    fb->error[0] = '\0';
    if (!data) return fail(fb, "no data");
    if (size > FB_MAX_SIZE) return fail(fb, "file of %zu bytes is larger than a flatbuffer can address", size);
    fb->size = (uint32_t)size;
    if (size < 2 * FB_WORD)
        return fail(fb, "file of %zu bytes is too short for a flatbuffer (at least 8 bytes)", size);
    return nnom_fb_table_at(fb, rd32(fb->data), root, "root table");
}

int nnom_fb_table_at(nnom_fb *fb, uint32_t pos, nnom_fb_table *out, const char *what)
{
    if (!inside(fb, pos, FB_WORD))
        return fail(fb, "%s: table at offset %u is past the end of the %u-byte file", what, pos, fb->size);
    const int64_t vt = (int64_t)pos - (int64_t)(int32_t)rd32(fb->data + pos);
    if (vt < 0 || !inside(fb, (uint64_t)vt, FB_VTABLE_HEADER))
        return fail(fb, "%s: vtable of the table at offset %u is outside the file (offset %lld)", what, pos,
                    (long long)vt);
    const uint32_t vt_size = rd16(fb->data + vt), size = rd16(fb->data + vt + 2);
    if (vt_size < FB_VTABLE_HEADER || (vt_size & 1u) || !inside(fb, (uint64_t)vt, vt_size))
        return fail(fb, "%s: vtable at offset %lld has a bad size %u", what, (long long)vt, vt_size);
    if (size < FB_WORD || !inside(fb, pos, size))
        return fail(fb, "%s: table at offset %u claims %u bytes, past the end of the %u-byte file", what, pos, size,
                    fb->size);
    out->fb = fb;
    out->pos = pos;
    out->vtable = (uint32_t)vt;
    out->vt_size = vt_size;
    out->size = size;
    return 0;
}

/* Offset of field @p id inside its table (0 if absent). */
static uint32_t field_offset(const nnom_fb_table *t, uint32_t id)
{
    const uint64_t slot = FB_VTABLE_HEADER + (uint64_t)FB_FIELD_SLOT * id;
    if (slot + FB_FIELD_SLOT > t->vt_size) return 0;
    return rd16(t->fb->data + t->vtable + slot);
}

int nnom_fb_has(const nnom_fb_table *t, uint32_t id) { return field_offset(t, id) != 0; }

/* Position of field @p id's @p bytes, 0 if absent, -1 (error set) if it runs past its table. */
static int64_t field_pos(const nnom_fb_table *t, uint32_t id, uint32_t bytes, const char *what)
{
    const uint32_t off = field_offset(t, id);
    if (off == 0) return 0;
    if ((uint64_t)off + bytes > t->size) {
        fail(t->fb, "%s: field %u (%u bytes at %u) runs past its %u-byte table", what, id, bytes, off, t->size);
        return -1;
    }
    return (int64_t)t->pos + off;
}

#define SCALAR_READER(name, type, bytes, convert)                                                      \
    int name(const nnom_fb_table *t, uint32_t id, type def, type *out, const char *what)              \
    {                                                                                                  \
        const int64_t p = field_pos(t, id, bytes, what);                                               \
        if (p < 0) return -1;                                                                          \
        if (p == 0) {                                                                                  \
            *out = def;                                                                                \
            return 0;                                                                                  \
        }                                                                                              \
        const uint8_t *b = t->fb->data + p;                                                            \
        convert;                                                                                       \
        return 0;                                                                                      \
    }

SCALAR_READER(nnom_fb_u8, uint8_t, 1, *out = b[0])
SCALAR_READER(nnom_fb_i8, int8_t, 1, *out = (int8_t)b[0])
SCALAR_READER(nnom_fb_i32, int32_t, 4, *out = (int32_t)rd32(b))
SCALAR_READER(nnom_fb_u32, uint32_t, 4, *out = rd32(b))
SCALAR_READER(nnom_fb_u64, uint64_t, 8, *out = (uint64_t)rd32(b) | ((uint64_t)rd32(b + 4) << 32))
SCALAR_READER(nnom_fb_f32, float, 4, { uint32_t u = rd32(b); memcpy(out, &u, sizeof u); })

/* Follows the uint32 offset stored at @p at; the target must leave @p min_bytes in the file. */
static int follow(nnom_fb *fb, uint32_t at, uint32_t min_bytes, uint32_t *target, const char *what)
{
    if (!inside(fb, at, FB_WORD)) return fail(fb, "%s: offset at %u is past the end of the file", what, at);
    const uint64_t to = (uint64_t)at + rd32(fb->data + at);
    if (!inside(fb, to, min_bytes))
        return fail(fb, "%s: offset at %u points to %llu, past the end of the %u-byte file", what, at,
                    (unsigned long long)to, fb->size);
    *target = (uint32_t)to;
    return 0;
}

int nnom_fb_table_field(const nnom_fb_table *t, uint32_t id, nnom_fb_table *out, int *present, const char *what)
{
    *present = 0;
    const int64_t p = field_pos(t, id, FB_WORD, what);
    if (p <= 0) return (int)p;
    uint32_t to;
    if (follow(t->fb, (uint32_t)p, FB_WORD, &to, what) != 0) return -1;
    if (nnom_fb_table_at(t->fb, to, out, what) != 0) return -1;
    *present = 1;
    return 0;
}

static int vector_at(nnom_fb *fb, uint32_t at, uint32_t elem_size, nnom_fb_vector *out, const char *what)
{
    uint32_t to;
    if (follow(fb, at, FB_WORD, &to, what) != 0) return -1;
    const uint32_t len = rd32(fb->data + to);
    if (!inside(fb, (uint64_t)to + FB_WORD, (uint64_t)len * elem_size))
        return fail(fb, "%s: vector of %u elements of %u bytes at offset %u runs past the end of the %u-byte file",
                    what, len, elem_size, to, fb->size);
    out->fb = fb;
    out->pos = to + FB_WORD;
    out->len = len;
    out->elem_size = elem_size;
    return 0;
}

int nnom_fb_vector_field(const nnom_fb_table *t, uint32_t id, uint32_t elem_size, nnom_fb_vector *out,
                         int *present, const char *what)
{
    out->fb = t->fb;
    out->pos = 0;
    out->len = 0;
    out->elem_size = elem_size;
    if (present) *present = 0;
    const int64_t p = field_pos(t, id, FB_WORD, what);
    if (p <= 0) return (int)p;
    if (vector_at(t->fb, (uint32_t)p, elem_size, out, what) != 0) return -1;
    if (present) *present = 1;
    return 0;
}

int nnom_fb_string_field(const nnom_fb_table *t, uint32_t id, char *out, size_t cap, const char *what)
{
    nnom_fb_vector v;
    if (cap) out[0] = '\0';
    if (nnom_fb_vector_field(t, id, 1, &v, NULL, what) != 0) return -1;
    if (!cap) return 0;
    size_t n = v.len < cap - 1 ? v.len : cap - 1;
    if (n) memcpy(out, t->fb->data + v.pos, n);
    out[n] = '\0';
    return 0;
}

static int element(const nnom_fb_vector *v, uint32_t i, uint32_t bytes, const uint8_t **p, const char *what)
{
    if (i >= v->len) return fail(v->fb, "%s: index %u of a vector of %u elements", what, i, v->len);
    if (bytes > v->elem_size)
        return fail(v->fb, "%s: reading %u bytes from elements of %u", what, bytes, v->elem_size);
    *p = v->fb->data + v->pos + (uint64_t)i * v->elem_size;
    return 0;
}

int nnom_fb_vec_i32(const nnom_fb_vector *v, uint32_t i, int32_t *out, const char *what)
{
    const uint8_t *p = NULL;
    if (element(v, i, 4, &p, what) != 0) return -1;
    *out = (int32_t)rd32(p);
    return 0;
}

int nnom_fb_vec_i64(const nnom_fb_vector *v, uint32_t i, int64_t *out, const char *what)
{
    const uint8_t *p = NULL;
    if (element(v, i, 8, &p, what) != 0) return -1;
    *out = (int64_t)((uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32));
    return 0;
}

int nnom_fb_vec_f32(const nnom_fb_vector *v, uint32_t i, float *out, const char *what)
{
    const uint8_t *p = NULL;
    if (element(v, i, 4, &p, what) != 0) return -1;
    const uint32_t u = rd32(p);
    memcpy(out, &u, sizeof u);
    return 0;
}

int nnom_fb_vec_table(const nnom_fb_vector *v, uint32_t i, nnom_fb_table *out, const char *what)
{
    const uint8_t *p = NULL;
    if (element(v, i, 4, &p, what) != 0) return -1;
    uint32_t to;
    if (follow(v->fb, (uint32_t)(p - v->fb->data), FB_WORD, &to, what) != 0) return -1;
    return nnom_fb_table_at(v->fb, to, out, what);
}

const uint8_t *nnom_fb_vec_bytes(const nnom_fb_vector *v) { return v->fb->data + v->pos; }

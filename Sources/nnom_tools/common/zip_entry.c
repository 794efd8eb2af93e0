/* One zip entry read without trusting its header (see zip_entry.h). */
#include "common/zip_entry.h"

#include <stdio.h>
#include <stdlib.h>

/* The most a deflate stream can expand: 1032 output bytes per input byte (a
 * 258-byte match coded in 2 bits), with slack for the block headers. */
#define DEFLATE_MAX_RATIO 1032u
#define DEFLATE_SLACK 1024u
/* Entries are read in chunks, the buffer growing with what really arrives. */
#define FIRST_CHUNK ((size_t)1 << 20)

int64_t nnom_file_bytes(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    int64_t size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = (int64_t)ftell(f);
    fclose(f);
    return size;
}

/* Checks an entry's declared sizes against the archive, the method and the caller's limit. */
static nnom_status check_claims(const zip_stat_t *zs, uint64_t archive_bytes, uint64_t limit, char *msg, size_t cap)
{
    const zip_uint64_t needed = ZIP_STAT_NAME | ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD;
    if ((zs->valid & needed) != needed) {
        snprintf(msg, cap, "entry '%s': the archive does not give its sizes and method",
                 (zs->valid & ZIP_STAT_NAME) ? zs->name : "?");
        return NNOM_ERR_FORMAT;
    }
    if (zs->comp_size > archive_bytes) {
        snprintf(msg, cap, "entry '%s' declares %llu compressed bytes, but the archive has only %llu bytes", zs->name,
                 (unsigned long long)zs->comp_size, (unsigned long long)archive_bytes);
        return NNOM_ERR_FORMAT;
    }
    if (zs->comp_method == ZIP_CM_STORE) {
        if (zs->size != zs->comp_size) {
            snprintf(msg, cap, "entry '%s' is stored (not compressed) but declares %llu bytes in %llu", zs->name,
                     (unsigned long long)zs->size, (unsigned long long)zs->comp_size);
            return NNOM_ERR_FORMAT;
        }
    } else if (zs->comp_method == ZIP_CM_DEFLATE) {
        if (zs->size > zs->comp_size * DEFLATE_MAX_RATIO + DEFLATE_SLACK) {
            snprintf(msg, cap, "entry '%s' declares %llu bytes, more than deflate can expand its %llu compressed "
                     "bytes to", zs->name, (unsigned long long)zs->size, (unsigned long long)zs->comp_size);
            return NNOM_ERR_FORMAT;
        }
    } else {
        snprintf(msg, cap, "entry '%s' uses zip compression method %u; only stored and deflated entries are read",
                 zs->name, (unsigned)zs->comp_method);
        return NNOM_ERR_UNSUPPORTED;
    }
    if (zs->size > limit || zs->size >= (zip_uint64_t)(SIZE_MAX / 2)) {
        snprintf(msg, cap, "entry '%s' declares %llu bytes, more than the %llu this reader takes", zs->name,
                 (unsigned long long)zs->size, (unsigned long long)limit);
        return NNOM_ERR_FORMAT;
    }
    return NNOM_OK;
}

nnom_status nnom_zip_read_entry(zip_t *za, zip_uint64_t index, uint64_t archive_bytes, uint64_t limit,
                                uint8_t **out, size_t *size, char *msg, size_t cap)
{
    *out = NULL;
    *size = 0;
    zip_stat_t zs;
    zip_stat_init(&zs);
    if (zip_stat_index(za, index, 0, &zs) != 0) {
        snprintf(msg, cap, "entry %llu: %s", (unsigned long long)index, zip_strerror(za));
        return NNOM_ERR_FORMAT;
    }
    nnom_status st = check_claims(&zs, archive_bytes, limit, msg, cap);
    if (st != NNOM_OK) return st;
    zip_file_t *zf = zip_fopen_index(za, index, 0);
    if (!zf) {
        snprintf(msg, cap, "cannot open entry '%s': %s", zs.name, zip_strerror(za));
        return NNOM_ERR_FORMAT;
    }
    const size_t declared = (size_t)zs.size;
    uint8_t *buf = NULL;
    size_t room = 0, got = 0; /* room: bytes the buffer can take, the NUL aside */
    for (;;) {
        if (got == room) { /* grow, never past the declared size plus one byte that shows a longer entry */
            size_t grown = room ? room * 2 : FIRST_CHUNK;
            if (grown > declared + 1) grown = declared + 1;
            uint8_t *p = (uint8_t *)realloc(buf, grown + 1);
            if (!p) {
                snprintf(msg, cap, "out of memory reading entry '%s' (%zu bytes so far)", zs.name, got);
                st = NNOM_ERR_NO_MEMORY;
                break;
            }
            buf = p;
            room = grown;
        }
        const zip_int64_t n = zip_fread(zf, buf + got, (zip_uint64_t)(room - got));
        if (n < 0) {
            snprintf(msg, cap, "entry '%s' is corrupt after %zu of the %zu bytes it declares: %s", zs.name, got,
                     declared, zip_file_strerror(zf));
            st = NNOM_ERR_FORMAT;
            break;
        }
        if (n == 0) break;
        got += (size_t)n;
        if (got > declared) {
            snprintf(msg, cap, "entry '%s' holds more than the %zu bytes it declares", zs.name, declared);
            st = NNOM_ERR_FORMAT;
            break;
        }
    }
    zip_fclose(zf);
    if (st == NNOM_OK && got != declared) {
        snprintf(msg, cap, "entry '%s' ends after %zu of the %zu bytes it declares", zs.name, got, declared);
        st = NNOM_ERR_TRUNCATED;
    }
    if (st != NNOM_OK) {
        free(buf);
        return st;
    }
    buf[got] = 0;
    *out = buf;
    *size = got;
    return NNOM_OK;
}

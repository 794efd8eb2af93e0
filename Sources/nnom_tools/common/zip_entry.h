/* Internal to the host tools: reading one zip entry without trusting its header. */
#ifndef NNOM_TOOLS_ZIP_ENTRY_H
#define NNOM_TOOLS_ZIP_ENTRY_H

#include <stddef.h>
#include <stdint.h>
#include <zip.h>

#include "nnom/status.h"

/*
 * Reads entry @p index of @p za, an archive of @p archive_bytes bytes, into a
 * new malloc'ed buffer (*@p out, with a NUL byte after its *@p size bytes;
 * free() it). A zip header's sizes are claims: before anything is allocated,
 * the declared size must be at most @p limit, the compressed size must fit in
 * the archive, and the declared size must be what the method can make of it
 * (stored: equal; deflated: at most 1032 times it, deflate's largest ratio).
 * The buffer then grows with the bytes that really arrive, and the entry must
 * end exactly at its declared size. On failure *@p out is NULL and @p msg says
 * what was wrong with entry '<name>' (no path: the caller adds it):
 * NNOM_ERR_FORMAT (sizes that lie, a corrupt stream), NNOM_ERR_TRUNCATED (an
 * entry shorter than declared), NNOM_ERR_UNSUPPORTED (a method other than
 * stored or deflated), NNOM_ERR_NO_MEMORY.
 */
nnom_status nnom_zip_read_entry(zip_t *za, zip_uint64_t index, uint64_t archive_bytes, uint64_t limit,
                                uint8_t **out, size_t *size, char *msg, size_t cap);

/* Size of the file at @p path in bytes, or -1 if it cannot be read. */
int64_t nnom_file_bytes(const char *path);

#endif

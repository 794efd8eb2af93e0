/*
 * The check of a caller's struct that may grow (include/nnom/api.h): it
 * starts with uint32_t struct_size, the size the caller was compiled with.
 * This library reads one only if it knows that size. Today each struct has
 * one version, so the known size is its sizeof; when a field is appended, the
 * older sizes stay known and the new field is read only from callers whose
 * struct_size covers it (and written only into theirs).
 */
#ifndef NNOM_CORE_STRUCT_SIZE_H
#define NNOM_CORE_STRUCT_SIZE_H

/* True when the struct at @p p has a struct_size this library knows. */
#define NNOM_STRUCT_SIZE_KNOWN(p) ((p)->struct_size == (uint32_t)sizeof *(p))

/* The message of an unknown struct_size, for nnom_fail() and friends; its arguments:
 * NNOM_STRUCT_SIZE_ARGS(pointer, "type name"). */
#define NNOM_STRUCT_SIZE_FMT "%s.struct_size is %u, but this library reads a %s of %u bytes: initialise it with %s_init()"
#define NNOM_STRUCT_SIZE_ARGS(p, type) \
    (type), (unsigned)(p)->struct_size, (type), (unsigned)sizeof *(p), (type)

#endif

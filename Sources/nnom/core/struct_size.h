/*
 * The check of a caller's struct that may grow (include/nnom/api.h): it
 * starts with uint32_t struct_size, the size the caller was compiled with.
 * This library reads one only if it knows that size. When a field is
 * appended, the older sizes stay known and the new field is read only from
 * callers whose struct_size covers it (and written only into theirs). Today
 * every struct has one version (the known size is its sizeof) except
 * nnom_options, which has three (NNOM_OPTIONS_SIZE_KNOWN), and nnom_tiling_info, which has two.
 */
#ifndef NNOM_CORE_STRUCT_SIZE_H
#define NNOM_CORE_STRUCT_SIZE_H

#include <stddef.h>

/* True when the struct at @p p has a struct_size this library knows. */
#define NNOM_STRUCT_SIZE_KNOWN(p) ((p)->struct_size == (uint32_t)sizeof *(p))

/* nnom_options before tiling_max_extra_macs_percent was appended: still known, the field reads as 0 (the
 * default budget). Its struct ended where the field starts (no tail padding on any ABI: a pointer last). */
#define NNOM_OPTIONS_SIZE_BEFORE_TILING ((uint32_t)offsetof(nnom_options, tiling_max_extra_macs_percent))
/* ... and before plan_goal was appended: the field reads as 0 (NNOM_PLAN_SMALLEST). */
#define NNOM_OPTIONS_SIZE_BEFORE_PLAN_GOAL ((uint32_t)offsetof(nnom_options, plan_goal))
/* nnom_tiling_info before kept_band_bytes was appended: still known, the field is not written. */
#define NNOM_TILING_INFO_SIZE_BEFORE_KEPT ((uint32_t)offsetof(nnom_tiling_info, kept_band_bytes))
#define NNOM_OPTIONS_SIZE_KNOWN(p)                                                          \
    (NNOM_STRUCT_SIZE_KNOWN(p) || (p)->struct_size == NNOM_OPTIONS_SIZE_BEFORE_TILING || \
     (p)->struct_size == NNOM_OPTIONS_SIZE_BEFORE_PLAN_GOAL)

/* The message of an unknown struct_size, for nnom_fail() and friends; its arguments:
 * NNOM_STRUCT_SIZE_ARGS(pointer, "type name"). */
#define NNOM_STRUCT_SIZE_FMT "%s.struct_size is %u, but this library reads a %s of %u bytes: initialise it with %s_init()"
#define NNOM_STRUCT_SIZE_ARGS(p, type) \
    (type), (unsigned)(p)->struct_size, (type), (unsigned)sizeof *(p), (type)

#endif

/**
 * @file status.h
 * @brief Status codes returned by every fallible nnom function.
 *
 * Each failure also carries a human readable message. Functions working on a
 * model store it in the model (see nnom_model_last_error()); functions that
 * create a model write it into a caller-provided ::nnom_error.
 */
#ifndef NNOM_STATUS_H
#define NNOM_STATUS_H

#include "nnom/api.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Result of a call. NNOM_OK is zero; every other value is a failure. */
typedef enum nnom_status {
    NNOM_OK = 0,
    NNOM_ERR_ARGUMENT = 1,        /**< a NULL pointer, an index or a value out of range */
    NNOM_ERR_NO_MEMORY = 2,       /**< the allocator hook returned NULL, or a plan exceeds nnom_options.max_arena_bytes */
    NNOM_ERR_TRUNCATED = 3,       /**< a model file is shorter than it claims */
    NNOM_ERR_MAGIC = 4,           /**< the bytes are not a .nnom file */
    NNOM_ERR_VERSION = 5,         /**< a .nnom file of a version this runtime cannot read */
    NNOM_ERR_CHECKSUM = 6,        /**< the file's CRC-32 does not match its content */
    NNOM_ERR_FORMAT = 7,          /**< a malformed record: offset, size, count or alignment */
    NNOM_ERR_SHAPE = 8,           /**< shapes, sizes or parameters that do not fit together */
    NNOM_ERR_UNSUPPORTED = 9,     /**< a layer type, option or data type not supported */
    NNOM_ERR_ARENA_TOO_SMALL = 10,/**< the arena given is smaller than the plan needs */
    NNOM_ERR_STATE = 11,          /**< a call out of order, e.g. running before compiling */
    NNOM_ERR_IO = 12,             /**< host tools: a file could not be read or written */
    NNOM_ERR_KERAS = 13,          /**< host tools: a Keras model that cannot be converted */
    NNOM_STATUS_COUNT = 14,
    NNOM_STATUS_FORCE_32BIT = NNOM_ENUM_FORCE_32BIT /**< not a value: keeps the enum 4 bytes wide */
} nnom_status;

/**
 * Capacity of an error message, including the terminating NUL: room for the longest message, the
 * converter's "layer '...' (class ...) is not supported; supported: <every class>". It sizes ::nnom_error,
 * so a build that wants it smaller (a firmware short of stack) defines it for the library and the
 * application alike. A model keeps its own messages, which are shorter, in at most
 * NNOM_MODEL_MESSAGE_MAX bytes.
 */
#ifndef NNOM_ERROR_MESSAGE_MAX
#define NNOM_ERROR_MESSAGE_MAX 1024
#endif

/** Capacity of the message a model keeps (nnom_model_last_error()): the runtime's messages name a layer,
 *  shapes and sizes, and fit. The model allocates it at its first failure. */
#define NNOM_MODEL_MESSAGE_MAX (NNOM_ERROR_MESSAGE_MAX < 256 ? NNOM_ERROR_MESSAGE_MAX : 256)

/** A status with its message, filled in by functions that have no model to keep it in. */
typedef struct nnom_error {
    nnom_status status;                   /**< NNOM_OK or what failed */
    char message[NNOM_ERROR_MESSAGE_MAX]; /**< what was wrong with which input, NUL-terminated */
} nnom_error;

/** Short constant name of a status, e.g. "NNOM_ERR_CHECKSUM". Never NULL. */
NNOM_API const char *nnom_status_name(nnom_status status);

#ifdef __cplusplus
}
#endif
#endif /* NNOM_STATUS_H */

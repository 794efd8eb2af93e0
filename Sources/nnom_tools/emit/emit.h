/* Internal to the writers: the .nnom bytes of the converter's int8 model. */
#ifndef NNOM_TOOLS_EMIT_H
#define NNOM_TOOLS_EMIT_H

#include "common/tools_internal.h"

/* Serialises the int8 model of @p c into a malloc'ed buffer (*@p bytes, *@p size); the caller
 * frees it. Failures are recorded on @p c. */
nnom_status nnom_emit_model_bytes(nnom_converter *c, uint8_t **bytes, size_t *size);

#endif

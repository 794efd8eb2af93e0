/* Writes the converter's int8 model as a .nnom file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/emit.h"

nnom_status nnom_emit_model_bytes(nnom_converter *c, uint8_t **bytes, size_t *size)
{
    *bytes = NULL;
    *size = 0;
    if (!c->int8_model)
        return nnom_converter_fail(c, NNOM_ERR_STATE, "no int8 model yet: call nnom_converter_quantize() first");
    size_t need = 0;
    nnom_status st = nnom_model_save(c->int8_model, NULL, 0, &need);
    if (st != NNOM_OK)
        return nnom_converter_fail(c, st, "serialising the int8 model: %s", nnom_model_last_error(c->int8_model));
    uint8_t *buf = (uint8_t *)malloc(need ? need : 1);
    if (!buf) return nnom_converter_fail(c, NNOM_ERR_NO_MEMORY, "out of memory for %zu bytes of model", need);
    st = nnom_model_save(c->int8_model, buf, need, size);
    if (st != NNOM_OK) {
        free(buf);
        return nnom_converter_fail(c, st, "serialising the int8 model: %s", nnom_model_last_error(c->int8_model));
    }
    *bytes = buf;
    return NNOM_OK;
}

nnom_status nnom_converter_save(nnom_converter *c, const char *path)
{
    if (!c) return NNOM_ERR_ARGUMENT;
    if (!path || !path[0]) return nnom_converter_fail(c, NNOM_ERR_ARGUMENT, "save: no file path given");
    uint8_t *bytes;
    size_t size;
    nnom_status st = nnom_emit_model_bytes(c, &bytes, &size);
    if (st != NNOM_OK) return st;
    FILE *f = fopen(path, "wb");
    if (!f) {
        st = nnom_converter_fail(c, NNOM_ERR_IO, "cannot create '%s': %s", path, strerror(errno));
        free(bytes);
        return st;
    }
    const size_t written = fwrite(bytes, 1, size, f);
    const int write_errno = errno;
    const int closed = fclose(f);
    free(bytes);
    if (written != size || closed != 0)
        return nnom_converter_fail(c, NNOM_ERR_IO, "writing '%s' failed: %s", path,
                                   strerror(written != size ? write_errno : errno));
    return NNOM_OK;
}

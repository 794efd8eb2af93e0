/* The registry of user operators (nnom/user_op.h): a caller-owned table, looked up by name. */
#include <string.h>

#include "core/model_internal.h"
#include "core/struct_size.h"
#include "nnom/user_op.h"

/* strcmp() == 0 without the C library's strcmp (see core/model.c) */
static int same_text(const char *a, const char *b)
{
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

static nnom_status refuse(nnom_error *err, nnom_status status, const char *message)
{
    nnom_error_copy(err, status, message);
    return status;
}

nnom_status nnom_register_op(nnom_op_registry *reg, const nnom_user_op *op, nnom_error *err)
{
    char msg[NNOM_MODEL_ERROR_BYTES];
    if (!reg || !op) return refuse(err, NNOM_ERR_ARGUMENT, "nnom_register_op: registry or operator is NULL");
    if (!NNOM_STRUCT_SIZE_KNOWN(reg)) {
        nnom_format(msg, sizeof msg, NNOM_STRUCT_SIZE_FMT, NNOM_STRUCT_SIZE_ARGS(reg, "nnom_op_registry"));
        return refuse(err, NNOM_ERR_ARGUMENT, msg);
    }
    if (!NNOM_STRUCT_SIZE_KNOWN(op)) {
        nnom_format(msg, sizeof msg, NNOM_STRUCT_SIZE_FMT, NNOM_STRUCT_SIZE_ARGS(op, "nnom_user_op"));
        return refuse(err, NNOM_ERR_ARGUMENT, msg);
    }
    if (!reg->slots || reg->capacity < 0 || reg->count < 0 || reg->count > reg->capacity)
        return refuse(err, NNOM_ERR_ARGUMENT, "nnom_register_op: the registry has no slots or a count beyond its "
                                              "capacity (initialise it with nnom_op_registry_init())");
    const size_t len = op->name ? strlen(op->name) : 0;
    if (len == 0 || len >= NNOM_NAME_MAX) {
        nnom_format(msg, sizeof msg, "nnom_register_op: operator name '%s' must have 1 to %d bytes",
                    op->name ? op->name : "(null)", NNOM_NAME_MAX - 1);
        return refuse(err, NNOM_ERR_ARGUMENT, msg);
    }
    if (!op->infer || (!op->run_s8 && !op->run_f32)) {
        nnom_format(msg, sizeof msg, "nnom_register_op: operator '%s' needs infer() and run_s8() or run_f32()",
                    op->name);
        return refuse(err, NNOM_ERR_ARGUMENT, msg);
    }
    if (op->min_inputs < 1 || op->max_inputs < op->min_inputs || op->max_inputs > NNOM_MAX_INPUTS) {
        nnom_format(msg, sizeof msg, "nnom_register_op: operator '%s' takes %d to %d inputs; 1 <= min_inputs <= "
                    "max_inputs <= %d is needed", op->name, (int)op->min_inputs, (int)op->max_inputs, NNOM_MAX_INPUTS);
        return refuse(err, NNOM_ERR_ARGUMENT, msg);
    }
    if (nnom_find_op(reg, op->name)) {
        nnom_format(msg, sizeof msg, "nnom_register_op: an operator named '%s' is already registered", op->name);
        return refuse(err, NNOM_ERR_ARGUMENT, msg);
    }
    if (reg->count == reg->capacity) {
        nnom_format(msg, sizeof msg, "nnom_register_op: the registry is full (%d operators); operator '%s' not added",
                    (int)reg->capacity, op->name);
        return refuse(err, NNOM_ERR_NO_MEMORY, msg);
    }
    reg->slots[reg->count++] = op;
    nnom_error_copy(err, NNOM_OK, "");
    return NNOM_OK;
}

const nnom_user_op *nnom_find_op(const nnom_op_registry *reg, const char *name)
{
    if (!reg || !name || !NNOM_STRUCT_SIZE_KNOWN(reg) || !reg->slots) return NULL;
    for (int32_t k = 0; k < reg->count && k < reg->capacity; k++)
        if (reg->slots[k] && reg->slots[k]->name && same_text(reg->slots[k]->name, name)) return reg->slots[k];
    return NULL;
}

const nnom_op_registry *nnom_model_op_registry(const nnom_model *m) { return m ? m->registry : NULL; }

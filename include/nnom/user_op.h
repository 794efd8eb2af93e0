/**
 * @file user_op.h
 * @brief User operators: a C function of the application as a layer of the graph.
 *
 * A model may contain layers of type NNOM_LAYER_CUSTOM, each naming a user
 * operator (blob 0 holds the name). The runtime ships no such operator: the
 * application describes each one in a ::nnom_user_op (shape inference, an int8
 * and/or a float32 kernel, scratch size), enters it in a registry it owns and
 * passes the registry in nnom_options.op_registry when it creates or loads a
 * model. Compiling finds every CUSTOM layer's operator by name and refuses a
 * model whose operator is not registered, naming it.
 *
 * There is no global table: a registry is a caller-owned array of pointers, so
 * two models in one process may use two registries (even with the same names
 * bound to different operators). The registry, its slots and every operator in
 * it must stay valid and unchanged while a model compiled with it lives; the
 * model reads them without locking.
 *
 *     static const nnom_user_op *slots[4];
 *     nnom_op_registry reg;
 *     nnom_op_registry_init(&reg, slots, 4);
 *     nnom_register_op(&reg, &my_op, &err);
 *     nnom_options opt;
 *     nnom_options_init(&opt);
 *     opt.op_registry = &reg;
 *     nnom_model_load(bytes, size, &opt, &model, &err);
 */
#ifndef NNOM_USER_OP_H
#define NNOM_USER_OP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "nnom/layers.h"
#include "nnom/status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct nnom_user_op;

/** One tensor a user operator reads: its data (NULL while shapes are inferred), shape and quantisation. */
typedef struct nnom_user_tensor {
    const void *data;   /**< int8_t * or float *, channel last; NULL in infer() and scratch_bytes() */
    nnom_shape shape;   /**< shape without the batch */
    nnom_quant quant;   /**< quantisation (int8 models) */
} nnom_user_tensor;

/** What an operator's functions see of one CUSTOM layer. */
typedef struct nnom_user_call {
    const struct nnom_user_op *op;          /**< the operator (op->user: its own context) */
    const char *layer;                      /**< the layer's name */
    nnom_dtype dtype;                       /**< the model's element type */
    int32_t n_inputs;                       /**< how many of in[] are used */
    nnom_user_tensor in[NNOM_MAX_INPUTS];   /**< the inputs, in the layer's order */
    void *out;                              /**< output, out_shape elements; NULL in infer() and scratch_bytes() */
    nnom_shape out_shape;                   /**< output shape (unset in infer(), which computes it) */
    nnom_quant out_quant;                   /**< output quantisation (int8 models), chosen by the converter */
    void *scratch;                          /**< scratch_bytes() bytes, 4-byte aligned; NULL if none */
    nnom_blob constants;                    /**< the layer's constant data (blob 1), possibly empty */
} nnom_user_call;

/** Capacity of the message an operator's infer() may write, NUL included. */
#define NNOM_USER_OP_MESSAGE_MAX 128

/**
 * A user operator. Initialise with nnom_user_op_init() or NNOM_USER_OP_INIT, then
 * set the name, infer() and at least one kernel.
 */
typedef struct nnom_user_op {
    uint32_t struct_size; /**< sizeof(nnom_user_op) as the caller was compiled; set by the init */
    const char *name;     /**< 1 to NNOM_NAME_MAX - 1 bytes, unique in a registry */
    int32_t min_inputs;   /**< fewest inputs a layer may give it (at least 1) */
    int32_t max_inputs;   /**< most inputs (min_inputs to NNOM_MAX_INPUTS) */
    /** Checks the inputs (shapes, count, dtype) and the constants, and sets *@p out_shape. On a
     *  failure, returns a status other than NNOM_OK and writes what is wrong into @p message
     *  (NNOM_USER_OP_MESSAGE_MAX bytes, pre-set to ""); the runtime names the layer and operator. */
    nnom_status (*infer)(const nnom_user_call *call, nnom_shape *out_shape, char *message);
    /** Scratch bytes a run needs (out_shape set, no data); NULL: none. */
    uint32_t (*scratch_bytes)(const nnom_user_call *call);
    /** int8 kernel; NULL: int8 models using the operator are refused at compile. */
    void (*run_s8)(const nnom_user_call *call);
    /** float32 kernel (also what calibration runs); NULL: float32 models are refused at compile. */
    void (*run_f32)(const nnom_user_call *call);
    void *user;           /**< the operator's own context, untouched by the runtime */
} nnom_user_op;

/** Initialiser of a nnom_user_op: all zero, struct_size set. */
#define NNOM_USER_OP_INIT { .struct_size = (uint32_t)sizeof(nnom_user_op) }

/** Zeroes @p op and sets its struct_size (what NNOM_USER_OP_INIT does). */
static inline void nnom_user_op_init(nnom_user_op *op)
{
    memset(op, 0, sizeof *op);
    op->struct_size = (uint32_t)sizeof *op;
}

/** A caller-owned table of user operators, looked up by name. */
typedef struct nnom_op_registry {
    uint32_t struct_size;          /**< sizeof(nnom_op_registry) as the caller was compiled; set by the init */
    const nnom_user_op **slots;    /**< the caller's array of capacity pointers */
    int32_t capacity;              /**< entries in slots */
    int32_t count;                 /**< entries registered (slots[0 .. count-1]) */
} nnom_op_registry;

/** Prepares @p reg to hold up to @p capacity operators in @p slots (an array the caller owns). */
static inline void nnom_op_registry_init(nnom_op_registry *reg, const nnom_user_op **slots, int32_t capacity)
{
    memset(reg, 0, sizeof *reg);
    reg->struct_size = (uint32_t)sizeof *reg;
    reg->slots = slots;
    reg->capacity = capacity;
}

/**
 * Enters @p op in @p reg. Refused with NNOM_ERR_ARGUMENT (and a message in @p err, which may be
 * NULL): a registry or operator whose struct_size this library does not know, a name that is
 * empty or longer than NNOM_NAME_MAX - 1 bytes, already registered, no infer() or no kernel,
 * an input range outside 1 .. NNOM_MAX_INPUTS; NNOM_ERR_NO_MEMORY when the registry is full.
 * The pointer is kept: @p op must outlive the registry's use.
 */
NNOM_API nnom_status nnom_register_op(nnom_op_registry *reg, const nnom_user_op *op, nnom_error *err);

/** The operator registered under @p name, or NULL (also for a NULL or uninitialised registry). */
NNOM_API const nnom_user_op *nnom_find_op(const nnom_op_registry *reg, const char *name);

struct nnom_model;

/** The registry @p model was created or loaded with (nnom_options.op_registry), or NULL. Tools that
 *  rebuild a model (calibration, quantisation) pass it on, so its CUSTOM layers find their operators. */
NNOM_API const nnom_op_registry *nnom_model_op_registry(const struct nnom_model *model);

#ifdef __cplusplus
}
#endif
#endif /* NNOM_USER_OP_H */

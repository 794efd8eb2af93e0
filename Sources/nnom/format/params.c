/* nnom_layer_params <-> the 24 words of a .nnom layer record: the struct's 23
 * 32-bit fields in their declaration order (alpha as its IEEE bits), then one
 * reserved zero word. The struct has no padding, so the mapping is a copy of
 * 32-bit values (the words are host-order values, not file bytes). */
#include <stddef.h>
#include <string.h>

#include "format/format.h"

/* the layout the copy relies on; a new field must come last and fit the reserved word */
typedef char params_are_23_words[(sizeof(nnom_layer_params) == 23 * 4 &&
                                  offsetof(nnom_layer_params, units) == 7 * 4 &&
                                  offsetof(nnom_layer_params, shape) == 16 * 4 &&
                                  offsetof(nnom_layer_params, activations) == 22 * 4 &&
                                  sizeof(float) == 4 && NNOM_MAX_RANK == 3 && NNOM_PARAM_WORDS == 24)
                                     ? 1
                                     : -1];

void nnom_params_to_words(const nnom_layer_params *p, uint32_t w[NNOM_PARAM_WORDS])
{
    memcpy(w, p, sizeof *p);
    w[NNOM_PARAM_WORDS - 1] = 0;
}

void nnom_params_from_words(const uint32_t w[NNOM_PARAM_WORDS], nnom_layer_params *p)
{
    memcpy(p, w, sizeof *p);
}

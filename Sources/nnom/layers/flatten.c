/* Placeholder until the layer is implemented: compile reports it unsupported. */
#include "core/layer.h"

const nnom_layer_ops nnom_ops_flatten = {0};

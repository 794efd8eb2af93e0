/*
 * A 28x28x1 int8 CNN built by hand with the C builder API (random weights,
 * fixed seed): the network of the project's benchmark.
 *
 *   Conv2D 12 3x3 same + ReLU, MaxPool 2, Conv2D 24 3x3 same + ReLU, MaxPool 2,
 *   Conv2D 48 3x3 same + ReLU, MaxPool 2, Flatten, Dense 96 + ReLU, Dense 10, Softmax
 */
#ifndef CNN28_MODEL_H
#define CNN28_MODEL_H

#include "nnom/nnom.h"

/* Builds and compiles the model. The weights live in static storage owned by
 * this file (one model's worth; call once per process). */
nnom_status cnn28_build(const nnom_options *options, nnom_model **out, nnom_error *err);

#endif

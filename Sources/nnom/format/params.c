/* nnom_layer_params <-> the 24 words of a .nnom layer record (field order, alpha as IEEE bits; word 23 reserved). */
#include <string.h>

#include "format/format.h"

void nnom_params_to_words(const nnom_layer_params *p, uint32_t w[NNOM_PARAM_WORDS])
{
    int32_t v[NNOM_PARAM_WORDS];
    memset(v, 0, sizeof v);
    int k = 0;
    v[k++] = p->kernel[0];
    v[k++] = p->kernel[1];
    v[k++] = p->stride[0];
    v[k++] = p->stride[1];
    v[k++] = p->dilation[0];
    v[k++] = p->dilation[1];
    v[k++] = p->padding;
    v[k++] = p->units;
    for (int i = 0; i < 4; i++) v[k++] = p->pad[i];
    v[k++] = p->size[0];
    v[k++] = p->size[1];
    v[k++] = p->axis;
    v[k++] = p->shape_rank;
    for (int i = 0; i < NNOM_MAX_RANK; i++) v[k++] = p->shape[i];
    v[k++] = p->activation;
    memcpy(&v[k++], &p->alpha, 4);
    v[k++] = p->cell_flags;
    v[k++] = p->activations;
    for (int i = 0; i < NNOM_PARAM_WORDS; i++) w[i] = (uint32_t)v[i];
}

void nnom_params_from_words(const uint32_t w[NNOM_PARAM_WORDS], nnom_layer_params *p)
{
    int32_t v[NNOM_PARAM_WORDS];
    for (int i = 0; i < NNOM_PARAM_WORDS; i++) memcpy(&v[i], &w[i], 4);
    memset(p, 0, sizeof *p);
    int k = 0;
    p->kernel[0] = v[k++];
    p->kernel[1] = v[k++];
    p->stride[0] = v[k++];
    p->stride[1] = v[k++];
    p->dilation[0] = v[k++];
    p->dilation[1] = v[k++];
    p->padding = v[k++];
    p->units = v[k++];
    for (int i = 0; i < 4; i++) p->pad[i] = v[k++];
    p->size[0] = v[k++];
    p->size[1] = v[k++];
    p->axis = v[k++];
    p->shape_rank = v[k++];
    for (int i = 0; i < NNOM_MAX_RANK; i++) p->shape[i] = v[k++];
    p->activation = v[k++];
    memcpy(&p->alpha, &v[k++], 4);
    p->cell_flags = v[k++];
    p->activations = v[k++];
}

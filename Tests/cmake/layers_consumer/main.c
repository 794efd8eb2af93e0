/* Linked with a runtime holding only dense and softmax (nnom_link_only_layers): the hand-built CNN of
 * examples/c needs conv2d, so building it fails naming the type missing from this build; a full runtime
 * builds it. Exit 0 when the selection took effect. */
#include <stdio.h>
#include <string.h>

#include "cnn28_model.h"

int main(void)
{
    nnom_model *m = NULL;
    nnom_error err;
    memset(&err, 0, sizeof err);
    const nnom_status st = cnn28_build(NULL, &m, &err);
    if (st == NNOM_OK) {
        fprintf(stderr, "layers_consumer: the CNN was built: every layer type is linked\n");
        nnom_model_destroy(m);
        return 1;
    }
    if (st != NNOM_ERR_UNSUPPORTED || !strstr(err.message, "not supported by this build") ||
        !strstr(err.message, "conv2d")) {
        fprintf(stderr, "layers_consumer: %s: %s\n", nnom_status_name(st), err.message);
        return 1;
    }
    printf("layers_consumer: refused as expected: %s\n", err.message);
    return 0;
}

/* Converts a Keras fixture through the installed static library: the link
 * needs the host tools' own dependencies (HDF5, libzip, cJSON). Usage:
 *   static_consumer model.keras */
#include <stdio.h>

#include "nnom/nnom.h"
#include "nnom/tools.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: static_consumer model.keras\n");
        return 2;
    }
    nnom_converter *c = NULL;
    nnom_error err;
    if (nnom_keras_read(argv[1], &c, &err) != NNOM_OK) {
        fprintf(stderr, "static_consumer: %s\n", err.message);
        return 1;
    }
    const nnom_model *m = nnom_converter_float_model(c);
    int32_t layers = nnom_model_layer_count(m);
    printf("static nnom %s read '%s': %d layers\n", nnom_version_string(), argv[1], (int)layers);
    nnom_converter_destroy(c);
    return layers > 0 ? 0 : 1;
}

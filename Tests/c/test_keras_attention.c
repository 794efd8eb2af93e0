/*
 * MultiHeadAttention configs read from memory without weights (kr_read_config()): every option and
 * call argument nnom cannot reproduce is refused with a message naming it, and the supported ones
 * (Keras 3 positional query and value, a key by keyword; Keras 2's value and key in the call's
 * keyword arguments) get as far as the weights, which a config alone lacks. The converted
 * attention itself is checked against Keras by test_keras_models (fixtures attention and
 * digits_encoder).
 *
 *     q (6, 8), v (7, 4) -> MultiHeadAttention 'mha' (query q, value v)
 */
#include <stdio.h>
#include <string.h>

#include "keras/keras_internal.h"
#include "test_util.h"

#define TENSOR(name, steps, feat)                                                                               \
    "{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, " #steps ", " #feat "], "            \
    "\"keras_history\": [\"" name "\", 0, 0]}}"
#define Q_TENSOR TENSOR("q", 6, 8)
#define V_TENSOR TENSOR("v", 7, 4)

/* A Keras 3 Functional config: @p options inside the MHA's config (before the defaults: cJSON finds the first
 * of two equal keys), @p args and @p kwargs its call's. */
static void keras3_config(char *buf, size_t cap, const char *options, const char *args, const char *kwargs)
{
    snprintf(buf, cap,
             "{\"class_name\": \"Functional\", \"config\": {\"name\": \"m\", \"layers\": ["
             "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 6, 8], \"name\": \"q\"},"
             " \"name\": \"q\", \"inbound_nodes\": []},"
             "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 7, 4], \"name\": \"v\"},"
             " \"name\": \"v\", \"inbound_nodes\": []},"
             "{\"class_name\": \"MultiHeadAttention\", \"config\": {\"name\": \"mha\"%s, \"num_heads\": 2, "
             "\"key_dim\": 3, \"value_dim\": null, \"dropout\": 0.1, \"use_bias\": true, \"output_shape\": null, "
             "\"attention_axes\": [1]}, \"name\": \"mha\", \"inbound_nodes\": [{\"args\": [%s], \"kwargs\": {%s}}]}],"
             " \"input_layers\": [[\"q\", 0, 0], [\"v\", 0, 0]], \"output_layers\": [[\"mha\", 0, 0]]}}",
             options, args, kwargs);
}

/* Converts @p config; the status must be @p expected and the message hold every word of @p words. */
static void expect(const char *what, const char *config, int keras_major, nnom_status expected,
                   const char *const *words)
{
    nnom_converter *c = NULL;
    nnom_error err;
    memset(&err, 0, sizeof err);
    const nnom_status st = kr_read_config(config, strlen(config), keras_major, &c, &err);
    TU_CHECK(st == expected && c == NULL, "%s: %s, expected %s (%s)", what, nnom_status_name(st),
             nnom_status_name(expected), err.message);
    for (int i = 0; words[i]; i++)
        TU_CHECK(strstr(err.message, words[i]) != NULL, "%s: the message does not mention \"%s\": %s", what,
                 words[i], err.message);
    if (st == NNOM_OK) nnom_converter_destroy(c);
}

static void test_refused(void)
{
    static const struct {
        const char *what, *options, *args, *kwargs;
        nnom_status status;
        const char *words[4];
    } cases[] = {
        {"attention mask", "", Q_TENSOR ", " V_TENSOR, "\"attention_mask\": " TENSOR("q", 6, 8),
         NNOM_ERR_UNSUPPORTED, {"'mha'", "attention_mask", "masks", NULL}},
        {"causal mask", "", Q_TENSOR ", " V_TENSOR, "\"use_causal_mask\": true", NNOM_ERR_UNSUPPORTED,
         {"'mha'", "use_causal_mask", "masks", NULL}},
        {"attention scores", "", Q_TENSOR ", " V_TENSOR, "\"return_attention_scores\": true", NNOM_ERR_UNSUPPORTED,
         {"'mha'", "return_attention_scores", NULL}},
        {"gate", ", \"use_gate\": true", Q_TENSOR ", " V_TENSOR, "", NNOM_ERR_UNSUPPORTED,
         {"'mha'", "use_gate", NULL}},
        {"sliding window", ", \"sliding_window\": 3", Q_TENSOR ", " V_TENSOR, "", NNOM_ERR_UNSUPPORTED,
         {"'mha'", "sliding_window", "mask", NULL}},
        {"attention axes", ", \"attention_axes\": [2]", Q_TENSOR ", " V_TENSOR, "", NNOM_ERR_UNSUPPORTED,
         {"'mha'", "attention_axes", NULL}},
        {"output_shape of two dimensions", ", \"output_shape\": [2, 3]", Q_TENSOR ", " V_TENSOR, "",
         NNOM_ERR_UNSUPPORTED, {"'mha'", "output_shape", "one", NULL}},
        {"no heads", ", \"num_heads\": 0", Q_TENSOR ", " V_TENSOR, "", NNOM_ERR_KERAS, {"'mha'", "num_heads", NULL}},
        {"17 heads", ", \"num_heads\": 17", Q_TENSOR ", " V_TENSOR, "", NNOM_ERR_UNSUPPORTED,
         {"'mha'", "17 heads", "16", NULL}},
        {"key_dim text", ", \"key_dim\": \"3\"", Q_TENSOR ", " V_TENSOR, "", NNOM_ERR_KERAS,
         {"'mha'", "key_dim", "integer", NULL}},
        {"query only", "", Q_TENSOR, "", NNOM_ERR_KERAS, {"'mha'", "at least 2 inputs", NULL}},
        /* supported: the first failure is the weights, absent from a config */
        {"Keras 3, value positional", "", Q_TENSOR ", " V_TENSOR, "", NNOM_ERR_SHAPE,
         {"'mha'", "expected 8 weight arrays", "query, key, value and output kernels and biases", NULL}},
        {"Keras 3, key by keyword", ", \"use_bias\": false", Q_TENSOR ", " V_TENSOR, "\"key\": " V_TENSOR,
         NNOM_ERR_SHAPE, {"'mha'", "expected 4 weight arrays", NULL}},
    };
    char config[4096];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        keras3_config(config, sizeof config, cases[i].options, cases[i].args, cases[i].kwargs);
        expect(cases[i].what, config, 3, cases[i].status, cases[i].words);
    }
}

/* Keras 2 passes value and key by keyword: [[query, 0, 0, {"value": [...], "key": [...]}]]. */
static void test_keras2_kwargs(void)
{
    static const char head[] =
        "{\"class_name\": \"Model\", \"config\": {\"name\": \"m\", \"layers\": ["
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, 6, 8], \"name\": \"q\"},"
        " \"name\": \"q\", \"inbound_nodes\": []},"
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, 7, 4], \"name\": \"v\"},"
        " \"name\": \"v\", \"inbound_nodes\": []},"
        "{\"class_name\": \"MultiHeadAttention\", \"config\": {\"name\": \"mha\", \"num_heads\": 2, \"key_dim\": 3,"
        " \"use_bias\": true, \"attention_axes\": [1]}, \"name\": \"mha\", \"inbound_nodes\": [[[\"q\", 0, 0, %s]]]}],"
        " \"input_layers\": [[\"q\", 0, 0], [\"v\", 0, 0]], \"output_layers\": [[\"mha\", 0, 0]]}}";
    char config[2048];
    snprintf(config, sizeof config, head, "{\"value\": [\"v\", 0, 0], \"key\": [\"v\", 0, 0]}");
    const char *const weights[] = {"'mha'", "expected 8 weight arrays", NULL};
    expect("Keras 2, value and key by keyword", config, 2, NNOM_ERR_SHAPE, weights);
    snprintf(config, sizeof config, head, "{\"value\": [\"v\", 0, 0], \"use_causal_mask\": true}");
    const char *const causal[] = {"'mha'", "use_causal_mask", NULL};
    expect("Keras 2, causal mask", config, 2, NNOM_ERR_UNSUPPORTED, causal);
    snprintf(config, sizeof config, head, "{\"value\": [\"v\", 0, 0], \"attention_mask\": [\"q\", 0, 0]}");
    const char *const mask[] = {"'mha'", "attention_mask", "masks", NULL};
    expect("Keras 2, attention mask", config, 2, NNOM_ERR_UNSUPPORTED, mask);
    snprintf(config, sizeof config, head, "{\"value\": [\"nowhere\", 0, 0]}");
    const char *const dangling[] = {"'mha'", "nowhere", NULL};
    expect("Keras 2, value from an undefined layer", config, 2, NNOM_ERR_KERAS, dangling);
}

int main(void)
{
    test_refused();
    test_keras2_kwargs();
    return tu_finish("test_keras_attention");
}

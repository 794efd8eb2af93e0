/* A shared library that is no plugin of user operators: it exports no nnom_plugin_ops(). */
__attribute__((visibility("default"))) int nnom_not_a_plugin(void);

int nnom_not_a_plugin(void) { return 0; }

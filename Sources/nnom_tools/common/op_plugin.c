/* Plugins of user operators: a shared library whose operators a host tool registers (nnom/tools.h). */
#if !defined(_WIN32)
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "common/tools_internal.h"
#include "nnom/tools.h"

struct nnom_op_plugin {
    void *library;  /* dlopen() handle */
    int32_t count;  /* operators registered */
};

#if defined(_WIN32)

nnom_status nnom_op_plugin_open(const char *path, nnom_op_registry *reg, nnom_op_plugin **out, nnom_error *err)
{
    if (out) *out = NULL;
    return nnom_error_set(err, NNOM_ERR_UNSUPPORTED, "plugin '%s': loading plugins is not supported on Windows; "
                          "register the operators in C (nnom/user_op.h)", path ? path : "(null)");
}

void nnom_op_plugin_close(nnom_op_plugin *plugin)
{
    free(plugin);
}

#else

/* A data pointer from dlsym() as the entry's function pointer (POSIX guarantees they convert). */
static nnom_op_plugin_entry entry_of(void *symbol)
{
    nnom_op_plugin_entry f;
    memcpy(&f, &symbol, sizeof f);
    return f;
}

nnom_status nnom_op_plugin_open(const char *path, nnom_op_registry *reg, nnom_op_plugin **out, nnom_error *err)
{
    if (out) *out = NULL;
    if (!path || !reg || !out) return nnom_error_set(err, NNOM_ERR_ARGUMENT, "plugin: a NULL path, registry or result");
    if (reg->struct_size != sizeof *reg)
        return nnom_error_set(err, NNOM_ERR_ARGUMENT, "plugin '%s': the registry is not initialised "
                              "(nnom_op_registry_init)", path);
    /* a bare name would be searched in the system's library path: a plugin is always a file */
    const char *load = path;
    char local[4096];
    if (!strchr(path, '/')) {
        if (strlen(path) + 3 > sizeof local) return nnom_error_set(err, NNOM_ERR_ARGUMENT, "plugin: path too long");
        strcpy(local, "./");
        strcat(local, path);
        load = local;
    }
    void *library = dlopen(load, RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        const char *why = dlerror();
        return nnom_error_set(err, NNOM_ERR_IO, "cannot load plugin '%s': %s", path, why ? why : "dlopen failed");
    }
    void *symbol = dlsym(library, NNOM_OP_PLUGIN_ENTRY);
    if (!symbol) {
        dlclose(library);
        return nnom_error_set(err, NNOM_ERR_UNSUPPORTED, "plugin '%s' exports no function %s() listing its user "
                              "operators", path, NNOM_OP_PLUGIN_ENTRY);
    }
    int32_t n = -1;
    const nnom_user_op *const *ops = entry_of(symbol)(&n);
    if (n < 0 || (n > 0 && !ops)) {
        dlclose(library);
        return nnom_error_set(err, NNOM_ERR_ARGUMENT, "plugin '%s': %s() gave %d operators%s", path,
                              NNOM_OP_PLUGIN_ENTRY, (int)n, n > 0 ? " and no list" : "");
    }
    nnom_op_plugin *p = (nnom_op_plugin *)calloc(1, sizeof *p);
    if (!p) {
        dlclose(library);
        return nnom_error_set(err, NNOM_ERR_NO_MEMORY, "plugin '%s': out of memory", path);
    }
    const int32_t before = reg->count;
    for (int32_t i = 0; i < n; i++) {
        nnom_error why;
        const nnom_status st = nnom_register_op(reg, ops[i], &why);
        if (st != NNOM_OK) {
            for (int32_t k = before; k < reg->count; k++) reg->slots[k] = NULL;
            reg->count = before;
            free(p);
            dlclose(library);
            return nnom_error_set(err, st, "plugin '%s', operator %d of %d: %s", path, (int)i + 1, (int)n,
                                  why.message);
        }
    }
    p->library = library;
    p->count = n;
    *out = p;
    return NNOM_OK;
}

void nnom_op_plugin_close(nnom_op_plugin *plugin)
{
    if (!plugin) return;
    dlclose(plugin->library);
    free(plugin);
}

#endif

int32_t nnom_op_plugin_count(const nnom_op_plugin *plugin)
{
    return plugin ? plugin->count : 0;
}

/* The converter functions of _nnom: Keras and .tflite conversion, C headers, the Keras layer map (_nnom.h). */
#include "_nnom.h"

#include <stdlib.h>
#include <string.h>

#include "nnom/tools.h"
#include "_user_ops.h"

static int parse_method(const char *method, nnom_calibration *out)
{
    if (strcmp(method, "minmax") == 0) *out = NNOM_CALIBRATE_MINMAX;
    else if (strcmp(method, "percentile") == 0) *out = NNOM_CALIBRATE_PERCENTILE;
    else if (strcmp(method, "kl") == 0) *out = NNOM_CALIBRATE_KL;
    else return 0;
    return 1;
}

/* Calls the Python progress callable (done, total) from the converter's thread. */
static void progress_trampoline(void *ctx, size_t done, size_t total)
{
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *r = PyObject_CallFunction((PyObject *)ctx, "nn", (Py_ssize_t)done, (Py_ssize_t)total);
    if (!r) PyErr_Clear(); /* a failing progress bar must not stop a conversion */
    Py_XDECREF(r);
    PyGILState_Release(g);
}

/* Checks the calibration arrays [(float32 buffer, shape tuple), ...] against the converter's float model and
 * interleaves them into one sample-major buffer (PyMem_Free it); NULL with an exception set on failure. */
static float *calibration_samples(nnom_converter *c, PyObject *arrays, size_t *n_samples)
{
    const Py_ssize_t n_arrays = PyList_GET_SIZE(arrays);
    if (n_arrays > NNOM_MAX_INPUTS) {
        PyErr_Format(PyExc_ValueError, "calibration: %zd arrays given, a model has at most %d inputs", n_arrays,
                     NNOM_MAX_INPUTS);
        return NULL;
    }
    enum { MAX_DIMS = 8 };
    int32_t ranks[NNOM_MAX_INPUTS];
    int64_t dims[NNOM_MAX_INPUTS * MAX_DIMS];
    size_t n_dims = 0, row_values[NNOM_MAX_INPUTS];
    Py_buffer views[NNOM_MAX_INPUTS];
    Py_ssize_t n_views = 0;
    float *flat = NULL;
    for (Py_ssize_t i = 0; i < n_arrays; i++) {
        PyObject *item = PyList_GET_ITEM(arrays, i), *data, *shape;
        if (!PyArg_ParseTuple(item, "OO!", &data, &PyTuple_Type, &shape)) goto done;
        if (PyTuple_GET_SIZE(shape) > MAX_DIMS) {
            PyErr_Format(PyExc_ValueError, "calibration input %zd: an array of rank %zd", i, PyTuple_GET_SIZE(shape));
            goto done;
        }
        ranks[i] = (int32_t)PyTuple_GET_SIZE(shape);
        for (int32_t k = 0; k < ranks[i]; k++) dims[n_dims + (size_t)k] = PyLong_AsLongLong(PyTuple_GET_ITEM(shape, k));
        if (PyErr_Occurred()) goto done;
        n_dims += (size_t)ranks[i];
        if (PyObject_GetBuffer(data, &views[i], PyBUF_C_CONTIGUOUS) != 0) goto done;
        n_views++;
    }
    nnom_status st = nnom_converter_check_calibration(c, (int32_t)n_arrays, ranks, dims, n_samples);
    if (st != NNOM_OK) {
        nnom_py_raise_status(st, nnom_converter_last_error(c));
        goto done;
    }
    size_t per_sample = 0;
    for (Py_ssize_t i = 0; i < n_arrays; i++) {
        /* the check counted the samples (one array of the input's own shape is one sample) */
        row_values[i] = (size_t)views[i].len / sizeof(float) / *n_samples;
        if ((size_t)views[i].len != *n_samples * row_values[i] * sizeof(float)) {
            PyErr_Format(PyExc_ValueError, "calibration input %zd: its data does not match its shape (%zu samples)",
                         i, *n_samples);
            goto done;
        }
        per_sample += row_values[i];
    }
    flat = (float *)PyMem_Malloc(*n_samples * per_sample * sizeof(float) + 1);
    if (!flat) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t smp = 0, at = 0; smp < *n_samples; smp++)
        for (Py_ssize_t i = 0; i < n_arrays; at += row_values[i], i++)
            memcpy(flat + at, (const float *)views[i].buf + smp * row_values[i], row_values[i] * sizeof(float));
done:
    for (Py_ssize_t i = 0; i < n_views; i++) PyBuffer_Release(&views[i]);
    return flat;
}


/* After a C call that may run user operators: raises what a user operator raised, else the exception of a failed
 * @p st with @p message; returns 1 when it raised. */
static int raised_after(PyObject *ops, nnom_status st, const char *message)
{
    if (nnom_py_ops_failed(ops)) {
        nnom_py_ops_raise(ops, nnom_py_error);
        return 1;
    }
    if (st != NNOM_OK) {
        nnom_py_raise_status(st, message);
        return 1;
    }
    return 0;
}

/* convert_keras(path, calibration [(float32 buffer, shape tuple) per input], per_tensor, method, percentile,
 *               header_path, header_name, progress callable or None, OpSet of user operators or None)
 * -> (nnom bytes, report rows [(name, type, sqnr, min, max)], top1 agreement or None) */
PyObject *nnom_py_convert_keras(PyObject *mod, PyObject *args)
{
    const char *path, *method, *header_path, *header_name;
    PyObject *arrays;
    int per_tensor;
    double percentile;
    PyObject *progress = Py_None, *ops = Py_None;
    const nnom_op_registry *registry = NULL;
    if (!PyArg_ParseTuple(args, "sO!psdzz|OO", &path, &PyList_Type, &arrays, &per_tensor, &method, &percentile,
                          &header_path, &header_name, &progress, &ops) ||
        !nnom_py_ops_registry(ops, &registry))
        return NULL;
    nnom_py_ops_reset(ops);
    PyObject *result = NULL;
    nnom_converter *c = NULL;
    nnom_layer_report *rows = NULL;
    float *samples = NULL;
    size_t n = 0;
    nnom_quantize_options opt;
    nnom_quantize_options_init(&opt);
    opt.per_tensor = per_tensor;
    opt.percentile = percentile;
    if (progress != Py_None && PyCallable_Check(progress)) {
        opt.progress = progress_trampoline;
        opt.progress_ctx = progress;
    }
    if (!parse_method(method, &opt.method)) {
        PyErr_Format(PyExc_ValueError, "unknown calibration method '%s' (minmax, percentile or kl)", method);
        goto done;
    }
    nnom_error err;
    nnom_status st;
    Py_BEGIN_ALLOW_THREADS
    st = nnom_keras_read_with_ops(path, registry, &c, &err);
    Py_END_ALLOW_THREADS
    if (raised_after(ops, st, err.message)) goto done;
    if (!(samples = calibration_samples(c, arrays, &n))) goto done;
    Py_BEGIN_ALLOW_THREADS
    st = nnom_converter_quantize(c, samples, n, &opt);
    Py_END_ALLOW_THREADS
    if (raised_after(ops, st, nnom_converter_last_error(c))) goto done;
    int32_t n_layers = nnom_model_layer_count(nnom_converter_int8_model(c)), count = 0;
    rows = (nnom_layer_report *)PyMem_Calloc((size_t)n_layers, sizeof *rows);
    double top1 = -1.0;
    if (!rows) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    st = nnom_converter_report(c, samples, n, rows, n_layers, &count, &top1);
    Py_END_ALLOW_THREADS
    if (raised_after(ops, st, nnom_converter_last_error(c))) goto done;
    if (header_path && (st = nnom_converter_write_header(c, header_path, header_name ? header_name : "model")) != NNOM_OK) {
        nnom_py_raise_status(st, nnom_converter_last_error(c));
        goto done;
    }
    size_t size = 0;
    nnom_model *q = nnom_converter_int8_model(c);
    if ((st = nnom_model_save(q, NULL, 0, &size)) != NNOM_OK) {
        nnom_py_raise_status(st, nnom_model_last_error(q));
        goto done;
    }
    PyObject *bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (!bytes) goto done;
    if ((st = nnom_model_save(q, PyBytes_AS_STRING(bytes), size, &size)) != NNOM_OK) {
        Py_DECREF(bytes);
        nnom_py_raise_status(st, nnom_model_last_error(q));
        goto done;
    }
    PyObject *report = PyList_New(count);
    for (int32_t i = 0; report && i < count; i++)
        PyList_SET_ITEM(report, i,
                        Py_BuildValue("(ssddd)", rows[i].name, rows[i].type_name, rows[i].sqnr_db, (double)rows[i].min,
                                      (double)rows[i].max));
    PyObject *agreement = top1 >= 0 ? PyFloat_FromDouble(top1) : (Py_INCREF(Py_None), Py_None);
    result = Py_BuildValue("(NNN)", bytes, report, agreement);
done:
    PyMem_Free(rows);
    PyMem_Free(samples);
    nnom_converter_destroy(c);
    return result;
}

/* convert_tflite(path, header_path or None, header_name) -> nnom bytes: an int8 .tflite, no calibration. */
PyObject *nnom_py_convert_tflite(PyObject *mod, PyObject *args)
{
    const char *path, *header_path, *header_name;
    if (!PyArg_ParseTuple(args, "szz", &path, &header_path, &header_name)) return NULL;
    nnom_converter *c = NULL;
    nnom_error err;
    nnom_status st;
    PyObject *result = NULL;
    Py_BEGIN_ALLOW_THREADS
    st = nnom_convert_tflite(path, &c, &err);
    Py_END_ALLOW_THREADS
    if (st != NNOM_OK) return nnom_py_raise_status(st, err.message);
    char derived[80];
    if (header_path && (!header_name || !header_name[0])) {
        nnom_header_default_name(header_path, derived, sizeof derived);
        header_name = derived;
    }
    if (header_path && (st = nnom_converter_write_header(c, header_path, header_name)) != NNOM_OK) {
        nnom_py_raise_status(st, nnom_converter_last_error(c));
        goto done;
    }
    nnom_model *q = nnom_converter_int8_model(c);
    size_t size = 0;
    if ((st = nnom_model_save(q, NULL, 0, &size)) != NNOM_OK) {
        nnom_py_raise_status(st, nnom_model_last_error(q));
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (result && (st = nnom_model_save(q, PyBytes_AS_STRING(result), size, &size)) != NNOM_OK) {
        Py_CLEAR(result);
        nnom_py_raise_status(st, nnom_model_last_error(q));
    }
done:
    nnom_converter_destroy(c);
    return result;
}

/* Writes the header of a model that needs user operators: loaded with their registry, then
 * nnom_write_model_header(). GIL released by the caller. */
static nnom_status write_header_with_ops(const void *bytes, size_t size, const nnom_op_registry *registry,
                                         const char *path, const char *name, const char *source, nnom_error *err)
{
    void *copy = malloc(size ? size : 1u); /* 8-byte aligned for the loader, and released by this function */
    if (!copy) {
        snprintf(err->message, sizeof err->message, "out of memory copying %zu bytes", size);
        return NNOM_ERR_NO_MEMORY;
    }
    memcpy(copy, bytes, size);
    nnom_options opt;
    nnom_options_init(&opt);
    opt.op_registry = registry;
    nnom_model *m = NULL;
    nnom_status st = nnom_model_load(copy, size, &opt, &m, err);
    if (st == NNOM_OK) st = nnom_write_model_header(m, path, name, source, err);
    nnom_model_destroy(m);
    free(copy);
    return st;
}

/* write_header(nnom bytes, path, name or None, source or None, OpSet or None) -> the C name used: a weights.h
 * for firmware from a .nnom file's bytes; no name takes the file's (nnom_header_default_name). */
PyObject *nnom_py_write_header(PyObject *mod, PyObject *args)
{
    Py_buffer data;
    const char *path, *name = NULL, *source = NULL;
    PyObject *ops = Py_None;
    const nnom_op_registry *registry = NULL;
    if (!PyArg_ParseTuple(args, "y*sz|zO", &data, &path, &name, &source, &ops)) return NULL;
    if (!nnom_py_ops_registry(ops, &registry)) {
        PyBuffer_Release(&data);
        return NULL;
    }
    char derived[80];
    if (!name || !name[0]) {
        nnom_header_default_name(path, derived, sizeof derived);
        name = derived;
    }
    nnom_error err;
    nnom_status st;
    nnom_py_ops_reset(ops);
    Py_BEGIN_ALLOW_THREADS
    st = registry ? write_header_with_ops(data.buf, (size_t)data.len, registry, path, name, source, &err)
                  : nnom_write_header(data.buf, (size_t)data.len, path, name, source, &err);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&data);
    if (nnom_py_ops_failed(ops)) return nnom_py_ops_raise(ops, nnom_py_error);
    if (st != NNOM_OK) return nnom_py_raise_status(st, err.message);
    return PyUnicode_FromString(name);
}

/* keras_layers(path, OpSet or None) -> [(nnom layer name, Keras layer name or None, type)], the float model read
 * from a Keras file: which Keras layer's output each nnom layer computes (nnom_converter_keras_layer) and the type
 * reports name (nnom_converter_layer_type_name: a Dense on a sequence is "dense"). */
PyObject *nnom_py_keras_layers(PyObject *mod, PyObject *args)
{
    const char *path;
    PyObject *ops = Py_None;
    const nnom_op_registry *registry = NULL;
    if (!PyArg_ParseTuple(args, "s|O", &path, &ops) || !nnom_py_ops_registry(ops, &registry)) return NULL;
    nnom_converter *c = NULL;
    nnom_error err;
    nnom_status st;
    nnom_py_ops_reset(ops);
    Py_BEGIN_ALLOW_THREADS
    st = nnom_keras_read_with_ops(path, registry, &c, &err);
    Py_END_ALLOW_THREADS
    if (nnom_py_ops_failed(ops)) {
        nnom_converter_destroy(c);
        return nnom_py_ops_raise(ops, nnom_py_error);
    }
    if (st != NNOM_OK) return nnom_py_raise_status(st, err.message);
    nnom_model *m = nnom_converter_float_model(c);
    const int32_t n = nnom_model_layer_count(m);
    PyObject *list = PyList_New(n);
    for (int32_t i = 0; list && i < n; i++) {
        nnom_layer_info info = NNOM_LAYER_INFO_INIT;
        nnom_model_layer_info(m, i, &info);
        const char *k = nnom_converter_keras_layer(c, i), *type = nnom_converter_layer_type_name(c, i);
        PyObject *row = k ? Py_BuildValue("(sss)", info.name, k, type)
                          : Py_BuildValue("(sOs)", info.name, Py_None, type);
        if (!row) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, i, row);
    }
    nnom_converter_destroy(c);
    return list;
}

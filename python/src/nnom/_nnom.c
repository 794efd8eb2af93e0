/*
 * _nnom: the CPython extension over libnnom's C API. It only adapts types,
 * errors and memory ownership; the Python package (nnom/) adds numpy
 * conversions and checks. Arrays cross the boundary through the buffer
 * protocol (no numpy C API).
 */
#define PY_SSIZE_T_CLEAN
#define _POSIX_C_SOURCE 199309L
#include <Python.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nnom/nnom.h"
#include "nnom/tools.h"
#include "_user_ops.h"

static PyObject *NNoMError; /* nnom.NNoMError: args (message,), attributes status, status_name */
static PyObject *NNoMValueError; /* also a ValueError: a bad argument or shape (NNOM_ERR_ARGUMENT, NNOM_ERR_SHAPE) */

static PyObject *raise_status(nnom_status st, const char *message)
{
    PyObject *type = st == NNOM_ERR_ARGUMENT || st == NNOM_ERR_SHAPE ? NNoMValueError : NNoMError;
    PyObject *exc = PyObject_CallFunction(type, "s", message);
    if (!exc) return NULL;
    PyObject *code = PyLong_FromLong((long)st), *name = PyUnicode_FromString(nnom_status_name(st));
    if (code && name) {
        PyObject_SetAttrString(exc, "status", code);
        PyObject_SetAttrString(exc, "status_name", name);
    }
    Py_XDECREF(code);
    Py_XDECREF(name);
    PyErr_SetObject(type, exc);
    Py_DECREF(exc);
    return NULL;
}

static uint32_t now_us(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
}

/* ------------------------------------------------------------------ Model */

/* A model runs without the GIL (predict), so every method that touches it holds the model's lock: a second
 * thread waits for the first; the thread that holds it (a signal handler running during predict) gets an error. */
typedef struct {
    PyObject_HEAD
    nnom_model *model;
    void *bytes;        /* the .nnom file, 8-byte aligned, owned: weights are used in place */
    size_t size;
    PyThread_type_lock lock;
    unsigned long owner; /* thread holding the lock, 0 when free */
    PyObject *ops;       /* the OpSet of its user operators (None: none); outlives the model */
} ModelObject;

/* How long a thread waiting for a model sleeps between checks for Ctrl-C, and how often predict looks for
 * signals while it runs without the GIL. */
#define LOCK_WAIT_US 50000
#define SIGNAL_CHECK_US 10000

static void Model_dealloc(ModelObject *self)
{
    nnom_model_destroy(self->model);
    Py_XDECREF(self->ops);
    PyMem_Free(self->bytes);
    if (self->lock) PyThread_free_lock(self->lock);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Takes the model's lock (waiting without the GIL); 0 with an exception set on failure. */
static int enter(ModelObject *self)
{
    if (!self->lock) {
        PyErr_SetString(PyExc_RuntimeError, "Model is not initialised");
        return 0;
    }
    const unsigned long me = PyThread_get_thread_ident();
    if (!PyThread_acquire_lock(self->lock, NOWAIT_LOCK)) {
        if (self->owner == me) {
            PyErr_SetString(PyExc_RuntimeError, "the model is already in use in this thread (called from a signal "
                            "handler or callback during predict?)");
            return 0;
        }
        PyLockStatus got;
        do {
            Py_BEGIN_ALLOW_THREADS
            got = PyThread_acquire_lock_timed(self->lock, LOCK_WAIT_US, 0);
            Py_END_ALLOW_THREADS
            if (got != PY_LOCK_ACQUIRED && PyErr_CheckSignals() != 0) return 0;
        } while (got != PY_LOCK_ACQUIRED);
    }
    self->owner = me;
    return 1;
}

static void leave(ModelObject *self)
{
    self->owner = 0;
    PyThread_release_lock(self->lock);
}

/* Wraps a method in the model's lock. */
#define LOCKED(fn)                                                        \
    static PyObject *fn##_locked(ModelObject *self, PyObject *args)       \
    {                                                                     \
        if (!enter(self)) return NULL;                                    \
        PyObject *result = fn(self, args);                                \
        leave(self);                                                      \
        return result;                                                    \
    }

static int Model_init(ModelObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"data", "keep_all_outputs", "ops", "tiling_max_extra_macs_percent", NULL};
    Py_buffer view;
    int keep_all = 0, tiling_percent = 0;
    PyObject *ops = Py_None;
    const nnom_op_registry *registry = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "y*|pOi", kwlist, &view, &keep_all, &ops, &tiling_percent))
        return -1;
    if (!nnom_py_ops_registry(ops, &registry)) {
        PyBuffer_Release(&view);
        return -1;
    }
    if (self->model || self->lock) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_RuntimeError, "Model is already initialised");
        return -1;
    }
    self->lock = PyThread_allocate_lock();
    if (!self->lock) {
        PyBuffer_Release(&view);
        PyErr_NoMemory();
        return -1;
    }
    self->bytes = PyMem_Malloc(view.len ? (size_t)view.len : 1);
    if (!self->bytes) {
        PyBuffer_Release(&view);
        PyErr_NoMemory();
        return -1;
    }
    memcpy(self->bytes, view.buf, (size_t)view.len);
    self->size = (size_t)view.len;
    PyBuffer_Release(&view);

    nnom_options opt;
    nnom_options_init(&opt);
    opt.timer = now_us;
    opt.keep_all_outputs = keep_all;
    opt.tiling_max_extra_macs_percent = tiling_percent;
    opt.op_registry = registry;
    Py_INCREF(ops);
    self->ops = ops;
    nnom_py_ops_reset(ops);
    nnom_error err;
    nnom_status st = nnom_model_load(self->bytes, self->size, &opt, &self->model, &err);
    if (nnom_py_ops_failed(ops)) {
        nnom_py_ops_raise(ops, NNoMError);
        return -1;
    }
    if (st != NNOM_OK) {
        raise_status(st, err.message);
        return -1;
    }
    st = nnom_model_alloc_arena(self->model);
    if (st != NNOM_OK) {
        raise_status(st, nnom_model_last_error(self->model));
        return -1;
    }
    return 0;
}

static int ready(ModelObject *self)
{
    if (!self->model) {
        PyErr_SetString(PyExc_RuntimeError, "Model is not initialised");
        return 0;
    }
    return 1;
}

static PyObject *shape_tuple(const nnom_shape *s)
{
    PyObject *t = PyTuple_New(s->rank);
    for (int32_t i = 0; t && i < s->rank; i++) PyTuple_SET_ITEM(t, i, PyLong_FromLong(s->dims[i]));
    return t;
}

static PyObject *tensor_dict(const nnom_tensor_info *ti)
{
    PyObject *shape = shape_tuple(&ti->shape);
    if (!shape) return NULL;
    return Py_BuildValue("{s:s,s:N,s:d,s:i,s:i,s:s}", "name", ti->name, "shape", shape, "scale",
                         (double)ti->quant.scale, "zero_point", (int)ti->quant.zero_point, "count", (int)ti->count,
                         "dtype", ti->dtype == NNOM_DTYPE_S8 ? "int8" : "float32");
}

static PyObject *Model_io(ModelObject *self, PyObject *args)
{
    if (!ready(self)) return NULL;
    PyObject *ins = PyList_New(0), *outs = PyList_New(0);
    for (int32_t i = 0; i < nnom_model_input_count(self->model); i++) {
        nnom_tensor_info ti;
        nnom_model_input_info(self->model, i, &ti);
        PyObject *d = tensor_dict(&ti);
        PyList_Append(ins, d);
        Py_XDECREF(d);
    }
    for (int32_t i = 0; i < nnom_model_output_count(self->model); i++) {
        nnom_tensor_info ti;
        nnom_model_output_info(self->model, i, &ti);
        PyObject *d = tensor_dict(&ti);
        PyList_Append(outs, d);
        Py_XDECREF(d);
    }
    return Py_BuildValue("(NN)", ins, outs);
}

/* predict(inputs: list of buffers, n_samples: int, as_int8: bool, out_int8: bool, check_finite: bool) -> list of
 * bytes (one per output). Each input buffer holds n_samples samples, sample-major, float32 or int8 (as_int8);
 * outputs are int8 as computed (out_int8) or float32 (dequantised by the runtime for int8 models). Runs without
 * the GIL, taking it back every SIGNAL_CHECK_US to let Ctrl-C stop the batch. */
static PyObject *Model_predict(ModelObject *self, PyObject *args)
{
    PyObject *inputs;
    Py_ssize_t n;
    int as_int8, out_int8, check_finite;
    if (!ready(self) || !PyArg_ParseTuple(args, "O!nppp", &PyList_Type, &inputs, &n, &as_int8, &out_int8,
                                          &check_finite))
        return NULL;
    nnom_model *m = self->model;
    const int32_t n_in = nnom_model_input_count(m), n_out = nnom_model_output_count(m);
    if (PyList_GET_SIZE(inputs) != n_in) {
        PyErr_Format(PyExc_ValueError, "the model has %d inputs, %zd given", (int)n_in, PyList_GET_SIZE(inputs));
        return NULL;
    }
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "negative sample count");
        return NULL;
    }
    const size_t esize_in = as_int8 ? 1 : 4, esize_out = out_int8 ? 1 : 4;
    Py_buffer views[NNOM_MAX_INPUTS];
    int32_t counts[NNOM_MAX_INPUTS];
    int32_t out_counts[64];
    char *out_data[64];
    int n_views = 0;
    PyObject *result = NULL, *outs[64] = {0};
    if (n_out > 64) {
        PyErr_SetString(PyExc_ValueError, "more than 64 outputs");
        return NULL;
    }
    for (int32_t i = 0; i < n_in; i++) {
        nnom_tensor_info ti;
        nnom_model_input_info(m, i, &ti);
        counts[i] = ti.count;
        if (PyObject_GetBuffer(PyList_GET_ITEM(inputs, i), &views[i], PyBUF_C_CONTIGUOUS) != 0) goto done;
        n_views++;
        if ((size_t)views[i].len != (size_t)n * (size_t)ti.count * esize_in) {
            PyErr_Format(PyExc_ValueError, "input %d ('%s'): %zd bytes given, expected %zd samples x %d values x %d bytes",
                         (int)i, ti.name, views[i].len, n, (int)ti.count, (int)esize_in);
            goto done;
        }
    }
    for (int32_t o = 0; o < n_out; o++) {
        nnom_tensor_info ti;
        nnom_model_output_info(m, o, &ti);
        out_counts[o] = ti.count;
        outs[o] = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)((size_t)n * (size_t)ti.count * esize_out));
        if (!outs[o]) goto done;
        out_data[o] = PyBytes_AS_STRING(outs[o]);
    }
    nnom_model_allow_nonfinite(m, !check_finite);
    nnom_py_ops_reset(self->ops);
    nnom_status st = NNOM_OK;
    int failed_setting_input = 0, interrupted = 0;
    Py_ssize_t s = 0;
    PyThreadState *ts = PyEval_SaveThread();
    uint32_t last_check = now_us(NULL);
    for (; s < n && st == NNOM_OK; s++) {
        for (int32_t i = 0; i < n_in && st == NNOM_OK; i++) {
            const char *src = (const char *)views[i].buf + (size_t)s * (size_t)counts[i] * esize_in;
            st = as_int8 ? nnom_model_set_input_s8(m, i, (const int8_t *)src, (size_t)counts[i])
                         : nnom_model_set_input_f32(m, i, (const float *)src, (size_t)counts[i]);
            failed_setting_input = st != NNOM_OK;
        }
        if (st == NNOM_OK) st = nnom_model_run(m);
        if (nnom_py_ops_failed(self->ops)) break;
        for (int32_t o = 0; o < n_out && st == NNOM_OK; o++) {
            char *dst = out_data[o] + (size_t)s * (size_t)out_counts[o] * esize_out;
            st = out_int8 ? nnom_model_get_output_s8(m, o, (int8_t *)dst, (size_t)out_counts[o])
                          : nnom_model_get_output_f32(m, o, (float *)dst, (size_t)out_counts[o]);
        }
        if (st == NNOM_OK && (uint32_t)(now_us(NULL) - last_check) >= SIGNAL_CHECK_US) {
            PyEval_RestoreThread(ts);
            interrupted = PyErr_CheckSignals() != 0;
            ts = PyEval_SaveThread();
            if (interrupted) break;
            last_check = now_us(NULL);
        }
    }
    PyEval_RestoreThread(ts);
    if (interrupted) goto done;
    if (nnom_py_ops_failed(self->ops)) {
        nnom_py_ops_raise(self->ops, NNoMError);
        goto done;
    }
    if (st != NNOM_OK) {
        char message[NNOM_ERROR_MESSAGE_MAX + 96];
        snprintf(message, sizeof message, "sample %zd: %s%s", s - 1, nnom_model_last_error(m),
                 failed_setting_input && st == NNOM_ERR_ARGUMENT && check_finite && !as_int8
                     ? " (check_finite=False lets them through)" : "");
        raise_status(st, message);
        goto done;
    }
    result = PyList_New(n_out);
    for (int32_t o = 0; result && o < n_out; o++) {
        PyList_SET_ITEM(result, o, outs[o]);
        outs[o] = NULL;
    }
done:
    for (int i = 0; i < n_views; i++) PyBuffer_Release(&views[i]);
    for (int32_t o = 0; o < n_out && o < 64; o++) Py_XDECREF(outs[o]);
    return result;
}

static PyObject *Model_layers(ModelObject *self, PyObject *args)
{
    if (!ready(self)) return NULL;
    PyObject *list = PyList_New(0);
    for (int32_t i = 0; list && i < nnom_model_layer_count(self->model); i++) {
        nnom_layer_info li = NNOM_LAYER_INFO_INIT;
        nnom_layer_stats ls;
        nnom_model_layer_info(self->model, i, &li);
        nnom_model_layer_stats(self->model, i, &ls);
        PyObject *inputs = PyTuple_New(li.n_inputs);
        for (int32_t j = 0; inputs && j < li.n_inputs; j++) PyTuple_SET_ITEM(inputs, j, PyLong_FromLong(li.inputs[j]));
        PyObject *d = Py_BuildValue(
            "{s:s,s:s,s:N,s:N,s:d,s:i,s:K,s:I,s:I,s:I,s:I,s:I,s:O,s:I,s:K}", "name", li.name, "type", li.type_name,
            "inputs", inputs, "shape", shape_tuple(&li.shape), "scale", (double)li.quant.scale, "zero_point",
            (int)li.quant.zero_point, "macs", (unsigned long long)li.macs, "weight_bytes", li.weight_bytes,
            "arena_offset", li.arena_offset, "arena_bytes", li.arena_bytes, "scratch_offset", li.scratch_offset,
            "scratch_bytes", li.scratch_bytes, "in_place", li.in_place ? Py_True : Py_False, "runs", ls.runs,
            "time_us", (unsigned long long)ls.time_us);
        if (!d || PyList_Append(list, d) != 0) {
            Py_XDECREF(d);
            Py_DECREF(list);
            return NULL;
        }
        Py_DECREF(d);
    }
    return list;
}

/* layer_output_f32(i) -> bytes of float32 or None: layer i's output after the last run, dequantised by
 * the runtime (keep_all_outputs models). */
static PyObject *Model_layer_output_f32(ModelObject *self, PyObject *args)
{
    int i;
    if (!ready(self) || !PyArg_ParseTuple(args, "i", &i)) return NULL;
    nnom_layer_info li = NNOM_LAYER_INFO_INIT;
    if (nnom_model_layer_info(self->model, i, &li) != NNOM_OK) {
        PyErr_Format(PyExc_IndexError, "layer %d does not exist: the model has %d layers", i,
                     (int)nnom_model_layer_count(self->model));
        return NULL;
    }
    int32_t count = 1;
    for (int32_t d = 0; d < li.shape.rank; d++) count *= li.shape.dims[d];
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)count * (Py_ssize_t)sizeof(float));
    if (!out) return NULL;
    nnom_status st = nnom_model_layer_output_f32(self->model, i, (float *)PyBytes_AS_STRING(out), (size_t)count);
    if (st == NNOM_ERR_STATE) {
        Py_DECREF(out);
        Py_RETURN_NONE;
    }
    if (st != NNOM_OK) {
        Py_DECREF(out);
        PyErr_Format(PyExc_ValueError, "layer %d: its output cannot be read (%s)", i, nnom_status_name(st));
        return NULL;
    }
    return out;
}

static PyObject *Model_sizes(ModelObject *self, PyObject *args)
{
    if (!ready(self)) return NULL;
    return Py_BuildValue("(nnnKn)", (Py_ssize_t)nnom_model_arena_size(self->model),
                         (Py_ssize_t)nnom_model_weight_bytes(self->model), (Py_ssize_t)self->size,
                         (unsigned long long)nnom_model_total_macs(self->model),
                         (Py_ssize_t)nnom_model_arena_lower_bound(self->model));
}

/* (first_layer, cut_layer, tiles, rows_per_tile, untiled_arena_bytes, saved_bytes, extra_macs) */
static PyObject *Model_tiling(ModelObject *self, PyObject *args)
{
    if (!ready(self)) return NULL;
    nnom_tiling_info t = NNOM_TILING_INFO_INIT;
    const nnom_status st = nnom_model_tiling(self->model, &t);
    if (st != NNOM_OK) {
        PyErr_Format(PyExc_RuntimeError, "tiling: %s", nnom_model_last_error(self->model));
        return NULL;
    }
    return Py_BuildValue("(iiiinnK)", (int)t.first_layer, (int)t.cut_layer, (int)t.tiles, (int)t.rows_per_tile,
                         (Py_ssize_t)t.untiled_arena_bytes, (Py_ssize_t)t.saved_bytes,
                         (unsigned long long)t.extra_macs);
}

/* The arena a build with kernel set k (nnom_kernels: 1 portable, 2 Cortex-M DSP) plans. */
static PyObject *Model_arena_for(ModelObject *self, PyObject *args)
{
    int kernels = 0;
    if (!ready(self) || !PyArg_ParseTuple(args, "i", &kernels)) return NULL;
    const size_t arena = nnom_model_arena_size_for(self->model, (nnom_kernels)kernels);
    if (!arena) {
        PyErr_SetString(PyExc_ValueError, nnom_model_last_error(self->model));
        return NULL;
    }
    return PyLong_FromSize_t(arena);
}

static PyObject *Model_bytes(ModelObject *self, PyObject *args)
{
    if (!ready(self)) return NULL;
    return PyBytes_FromStringAndSize((const char *)self->bytes, (Py_ssize_t)self->size);
}

static PyObject *Model_reset_stats(ModelObject *self, PyObject *args)
{
    if (!ready(self)) return NULL;
    nnom_model_reset_stats(self->model);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------ recurrent state */

static PyObject *Model_reset_state(ModelObject *self, PyObject *args)
{
    if (!ready(self)) return NULL;
    nnom_status st = nnom_model_reset_state(self->model);
    if (st != NNOM_OK) return raise_status(st, nnom_model_last_error(self->model));
    Py_RETURN_NONE;
}

/* state(layer) -> list of float32 bytes, one per state vector (h; LSTM h, c); [] for a layer without state */
static PyObject *Model_state(ModelObject *self, PyObject *args)
{
    int layer;
    if (!ready(self) || !PyArg_ParseTuple(args, "i", &layer)) return NULL;
    int32_t length = 0;
    const int32_t n = nnom_model_state_count(self->model, layer, &length);
    if (n < 0) {
        const int32_t n_layers = nnom_model_layer_count(self->model);
        PyErr_Format(PyExc_IndexError, "layer %d does not exist: the model has %d layers (0 to %d)", layer,
                     (int)n_layers, (int)n_layers - 1);
        return NULL;
    }
    PyObject *list = PyList_New(n);
    for (int32_t k = 0; list && k < n; k++) {
        PyObject *b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)length * 4);
        if (!b) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, k, b);
        nnom_status st = nnom_model_state(self->model, layer, k, (float *)PyBytes_AS_STRING(b), (size_t)length);
        if (st != NNOM_OK) {
            Py_DECREF(list);
            return raise_status(st, nnom_model_last_error(self->model));
        }
    }
    return list;
}

/* set_state(layer, which, float32 buffer) */
static PyObject *Model_set_state(ModelObject *self, PyObject *args)
{
    int layer, which;
    Py_buffer v;
    if (!ready(self) || !PyArg_ParseTuple(args, "iiy*", &layer, &which, &v)) return NULL;
    nnom_status st = NNOM_OK;
    if (v.len % 4 != 0) {
        PyBuffer_Release(&v);
        PyErr_SetString(PyExc_ValueError, "set_state: the buffer does not hold float32 values");
        return NULL;
    }
    st = nnom_model_set_state(self->model, layer, which, (const float *)v.buf, (size_t)v.len / 4u);
    PyBuffer_Release(&v);
    if (st != NNOM_OK) return raise_status(st, nnom_model_last_error(self->model));
    Py_RETURN_NONE;
}

static PyObject *Model_state_size(ModelObject *self, PyObject *args)
{
    if (!ready(self)) return NULL;
    return PyLong_FromSize_t(nnom_model_state_size(self->model));
}

/* evaluate(x: float32 buffer, labels: int32 buffer, n, n_classes)
 *   -> (samples, top1, confusion bytes, rank_counts bytes): top-k for any k from the rank counts */
static PyObject *Model_evaluate(ModelObject *self, PyObject *args)
{
    Py_buffer x, y;
    Py_ssize_t n;
    int n_classes;
    if (!ready(self) || !PyArg_ParseTuple(args, "y*y*ni", &x, &y, &n, &n_classes)) return NULL;
    PyObject *result = NULL, *confusion = NULL, *ranks = NULL;
    /* nnom_evaluate reads every input's values per sample, input 0 first */
    Py_ssize_t per_sample = 0;
    for (int32_t i = 0; i < nnom_model_input_count(self->model); i++) {
        nnom_tensor_info ti;
        nnom_model_input_info(self->model, i, &ti);
        per_sample += ti.count;
    }
    if (n < 0 || (size_t)x.len != (size_t)n * (size_t)per_sample * 4u || (size_t)y.len != (size_t)n * 4u ||
        n_classes <= 0) {
        PyErr_Format(PyExc_ValueError, "evaluate: %zd samples need %zd input bytes (%zd values each, all inputs) "
                     "and %zd label bytes", n, n * per_sample * 4, per_sample, n * 4);
        goto done;
    }
    confusion = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n_classes * n_classes * 8);
    if (!confusion) goto done;
    memset(PyBytes_AS_STRING(confusion), 0, (size_t)n_classes * (size_t)n_classes * 8u);
    ranks = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n_classes * 8);
    if (!ranks) goto done;
    memset(PyBytes_AS_STRING(ranks), 0, (size_t)n_classes * 8u);
    nnom_eval e;
    nnom_eval_init(&e);
    e.n_classes = n_classes;
    e.k = 1;
    e.confusion = (int64_t *)PyBytes_AS_STRING(confusion);
    e.rank_counts = (int64_t *)PyBytes_AS_STRING(ranks);
    nnom_model_allow_nonfinite(self->model, 0);
    nnom_py_ops_reset(self->ops);
    nnom_status st;
    /* the model's lock is held: other threads run Python, or their own models, meanwhile */
    Py_BEGIN_ALLOW_THREADS
    st = nnom_evaluate(self->model, (const float *)x.buf, (const int32_t *)y.buf, (size_t)n, &e);
    Py_END_ALLOW_THREADS
    if (nnom_py_ops_failed(self->ops)) {
        nnom_py_ops_raise(self->ops, NNoMError);
        goto done;
    }
    if (st != NNOM_OK) {
        raise_status(st, nnom_model_last_error(self->model));
        goto done;
    }
    result = Py_BuildValue("(LLOO)", (long long)e.samples, (long long)e.top1, confusion, ranks);
done:
    Py_XDECREF(confusion);
    Py_XDECREF(ranks);
    PyBuffer_Release(&x);
    PyBuffer_Release(&y);
    return result;
}

LOCKED(Model_io)
LOCKED(Model_predict)
LOCKED(Model_layers)
LOCKED(Model_layer_output_f32)
LOCKED(Model_sizes)
LOCKED(Model_tiling)
LOCKED(Model_arena_for)
LOCKED(Model_reset_stats)
LOCKED(Model_reset_state)
LOCKED(Model_state)
LOCKED(Model_set_state)
LOCKED(Model_state_size)
LOCKED(Model_evaluate)

static PyMethodDef Model_methods[] = {
    {"io", (PyCFunction)Model_io_locked, METH_NOARGS, "(inputs, outputs): lists of tensor descriptions"},
    {"predict", (PyCFunction)Model_predict_locked, METH_VARARGS, "predict(inputs, n_samples, as_int8, out_int8, check_finite) -> list of bytes"},
    {"layers", (PyCFunction)Model_layers_locked, METH_NOARGS, "list of per-layer dicts"},
    {"layer_output_f32", (PyCFunction)Model_layer_output_f32_locked, METH_VARARGS, "layer_output_f32(i) -> bytes of float32 or None"},
    {"sizes", (PyCFunction)Model_sizes_locked, METH_NOARGS, "(arena_bytes, weight_bytes, file_bytes, macs)"},
    {"tiling", (PyCFunction)Model_tiling_locked, METH_NOARGS,
     "(first_layer, cut_layer, tiles, rows_per_tile, untiled_arena_bytes, saved_bytes, extra_macs)"},
    {"arena_for", (PyCFunction)Model_arena_for_locked, METH_VARARGS, "arena_for(kernels) -> arena bytes that kernel set plans"},
    {"to_bytes", (PyCFunction)Model_bytes, METH_NOARGS, "the .nnom file bytes"},
    {"reset_stats", (PyCFunction)Model_reset_stats_locked, METH_NOARGS, "zero run counts and times"},
    {"reset_state", (PyCFunction)Model_reset_state_locked, METH_NOARGS, "zero every recurrent layer's state"},
    {"state", (PyCFunction)Model_state_locked, METH_VARARGS, "state(layer) -> list of float32 bytes (h; LSTM h, c)"},
    {"set_state", (PyCFunction)Model_set_state_locked, METH_VARARGS, "set_state(layer, which, float32 buffer)"},
    {"state_size", (PyCFunction)Model_state_size_locked, METH_NOARGS, "bytes of recurrent state"},
    {"evaluate", (PyCFunction)Model_evaluate_locked, METH_VARARGS, "evaluate(x, labels, n, n_classes)"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject ModelType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "nnom._nnom.Model",
    .tp_basicsize = sizeof(ModelObject),
    .tp_dealloc = (destructor)Model_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A loaded .nnom model (low level; use nnom.Model)",
    .tp_methods = Model_methods,
    .tp_init = (initproc)Model_init,
    .tp_new = PyType_GenericNew,
};

/* ------------------------------------------------------------- converter */

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
        raise_status(st, nnom_converter_last_error(c));
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

/* convert_keras(path, calibration [(float32 buffer, shape tuple) per input], per_tensor, method, percentile,
 *               header_path, header_name, progress callable or None, OpSet of user operators or None)
 * -> (nnom bytes, report rows [(name, type, sqnr, min, max)], top1 agreement or None) */
static PyObject *convert_keras(PyObject *mod, PyObject *args)
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
    if (nnom_py_ops_failed(ops)) {
        nnom_py_ops_raise(ops, NNoMError);
        goto done;
    }
    if (st != NNOM_OK) {
        raise_status(st, err.message);
        goto done;
    }
    if (!(samples = calibration_samples(c, arrays, &n))) goto done;
    Py_BEGIN_ALLOW_THREADS
    st = nnom_converter_quantize(c, samples, n, &opt);
    Py_END_ALLOW_THREADS
    if (nnom_py_ops_failed(ops)) {
        nnom_py_ops_raise(ops, NNoMError);
        goto done;
    }
    if (st != NNOM_OK) {
        raise_status(st, nnom_converter_last_error(c));
        goto done;
    }
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
    if (nnom_py_ops_failed(ops)) {
        nnom_py_ops_raise(ops, NNoMError);
        goto done;
    }
    if (st != NNOM_OK) {
        raise_status(st, nnom_converter_last_error(c));
        goto done;
    }
    if (header_path && (st = nnom_converter_write_header(c, header_path, header_name ? header_name : "model")) != NNOM_OK) {
        raise_status(st, nnom_converter_last_error(c));
        goto done;
    }
    size_t size = 0;
    nnom_model *q = nnom_converter_int8_model(c);
    if ((st = nnom_model_save(q, NULL, 0, &size)) != NNOM_OK) {
        raise_status(st, nnom_model_last_error(q));
        goto done;
    }
    PyObject *bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (!bytes) goto done;
    if ((st = nnom_model_save(q, PyBytes_AS_STRING(bytes), size, &size)) != NNOM_OK) {
        Py_DECREF(bytes);
        raise_status(st, nnom_model_last_error(q));
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
static PyObject *convert_tflite(PyObject *mod, PyObject *args)
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
    if (st != NNOM_OK) return raise_status(st, err.message);
    char derived[80];
    if (header_path && (!header_name || !header_name[0])) {
        nnom_header_default_name(header_path, derived, sizeof derived);
        header_name = derived;
    }
    if (header_path && (st = nnom_converter_write_header(c, header_path, header_name)) != NNOM_OK) {
        raise_status(st, nnom_converter_last_error(c));
        goto done;
    }
    nnom_model *q = nnom_converter_int8_model(c);
    size_t size = 0;
    if ((st = nnom_model_save(q, NULL, 0, &size)) != NNOM_OK) {
        raise_status(st, nnom_model_last_error(q));
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (result && (st = nnom_model_save(q, PyBytes_AS_STRING(result), size, &size)) != NNOM_OK) {
        Py_CLEAR(result);
        raise_status(st, nnom_model_last_error(q));
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
static PyObject *write_header(PyObject *mod, PyObject *args)
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
    if (nnom_py_ops_failed(ops)) return nnom_py_ops_raise(ops, NNoMError);
    if (st != NNOM_OK) return raise_status(st, err.message);
    return PyUnicode_FromString(name);
}

/* keras_layers(path, OpSet or None) -> [(nnom layer name, Keras layer name or None, type)], the float model read
 * from a Keras file: which Keras layer's output each nnom layer computes (nnom_converter_keras_layer) and the type
 * reports name (nnom_converter_layer_type_name: a Dense on a sequence is "dense"). */
static PyObject *keras_layers(PyObject *mod, PyObject *args)
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
        return nnom_py_ops_raise(ops, NNoMError);
    }
    if (st != NNOM_OK) return raise_status(st, err.message);
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

/* sqnr(reference float32 buffer, test buffer, test_is_int8, scale, zero_point) -> dB (nnom_sqnr_db); an int8
 * test is dequantised as scale * (q - zero_point). */
static PyObject *sqnr(PyObject *mod, PyObject *args)
{
    Py_buffer ref, test;
    int is_int8, zero_point;
    double scale;
    if (!PyArg_ParseTuple(args, "y*y*pdi", &ref, &test, &is_int8, &scale, &zero_point)) return NULL;
    const size_t n = (size_t)ref.len / sizeof(float);
    const size_t want = is_int8 ? n : n * sizeof(float);
    PyObject *result = NULL;
    if ((size_t)ref.len % sizeof(float) != 0 || (size_t)test.len != want) {
        PyErr_Format(PyExc_ValueError, "sqnr: %zd reference bytes (float32) against %zd test bytes (%s)", ref.len,
                     test.len, is_int8 ? "int8" : "float32");
    } else {
        nnom_sqnr acc = {0.0, 0.0};
        if (is_int8)
            nnom_sqnr_add_s8(&acc, (const float *)ref.buf, (const int8_t *)test.buf, n, (float)scale, zero_point);
        else
            nnom_sqnr_add_f32(&acc, (const float *)ref.buf, (const float *)test.buf, n);
        result = PyFloat_FromDouble(nnom_sqnr_db(&acc));
    }
    PyBuffer_Release(&ref);
    PyBuffer_Release(&test);
    return result;
}

/* "major.minor.patch" from nnom_version() (benchmarks/tflm_compare.py marks callgrind blocks by that function) */
static PyObject *version(PyObject *mod, PyObject *args)
{
    const unsigned v = (unsigned)nnom_version();
    return PyUnicode_FromFormat("%u.%u.%u", v / 10000u, v / 100u % 100u, v % 100u);
}

static PyMethodDef module_methods[] = {
    {"convert_keras", convert_keras, METH_VARARGS, "convert a Keras file (low level; use nnom.convert)"},
    {"convert_tflite", convert_tflite, METH_VARARGS, "convert an int8 .tflite file (low level; use nnom.convert)"},
    {"write_header", write_header, METH_VARARGS, "write_header(nnom_bytes, path, name, source) -> C name"},
    {"keras_layers", keras_layers, METH_VARARGS, "keras_layers(path) -> [(nnom name, Keras name or None, type)]"},
    {"sqnr", sqnr, METH_VARARGS, "sqnr(reference f32, test, test_is_int8, scale, zero_point) -> dB"},
    {"version", version, METH_NOARGS, "libnnom version"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_nnom", "libnnom bindings (low level)", -1,
                                    module_methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__nnom(void)
{
    if (PyType_Ready(&ModelType) < 0 || PyType_Ready(&nnom_py_opset_type) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    NNoMError = PyErr_NewExceptionWithDoc("nnom.NNoMError",
                                          "An error reported by libnnom; .status_name is the C status "
                                          "(e.g. 'NNOM_ERR_CHECKSUM') and str() its message.",
                                          PyExc_RuntimeError, NULL);
    PyObject *bases = NNoMError ? PyTuple_Pack(2, NNoMError, PyExc_ValueError) : NULL;
    NNoMValueError = bases ? PyErr_NewExceptionWithDoc("nnom.NNoMValueError",
                                                       "An NNoMError that is also a ValueError: an argument or a "
                                                       "shape that does not fit the model.",
                                                       bases, NULL)
                           : NULL;
    Py_XDECREF(bases);
    Py_INCREF(&ModelType);
    if (!NNoMError || !NNoMValueError || PyModule_AddObject(m, "Model", (PyObject *)&ModelType) < 0 ||
        PyModule_AddObject(m, "NNoMError", NNoMError) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(NNoMError);
    if (PyModule_AddObject(m, "NNoMValueError", NNoMValueError) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(NNoMValueError);
    Py_INCREF(&nnom_py_opset_type);
    if (PyModule_AddObject(m, "OpSet", (PyObject *)&nnom_py_opset_type) < 0) {
        Py_DECREF(&nnom_py_opset_type);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

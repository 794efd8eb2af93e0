/* _nnom.Model: a loaded .nnom model, its runs, introspection and recurrent state (_nnom.h). */
#define _POSIX_C_SOURCE 199309L
#include "_nnom.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nnom/tools.h"
#include "_user_ops.h"

static uint32_t now_us(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
}

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
    static char *kwlist[] = {"data", "keep_all_outputs", "ops", "tiling_max_extra_macs_percent", "plan_goal",
                             "max_arena_bytes", NULL};
    Py_buffer view;
    int keep_all = 0, tiling_percent = 0, plan_goal = NNOM_PLAN_SMALLEST;
    Py_ssize_t max_arena = 0;
    PyObject *ops = Py_None;
    const nnom_op_registry *registry = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "y*|pOiin", kwlist, &view, &keep_all, &ops, &tiling_percent,
                                     &plan_goal, &max_arena))
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
    opt.plan_goal = plan_goal;
    opt.max_arena_bytes = max_arena > 0 ? (size_t)max_arena : 0;
    opt.op_registry = registry;
    Py_INCREF(ops);
    self->ops = ops;
    nnom_py_ops_reset(ops);
    nnom_error err;
    nnom_status st = nnom_model_load(self->bytes, self->size, &opt, &self->model, &err);
    if (nnom_py_ops_failed(ops)) {
        nnom_py_ops_raise(ops, nnom_py_error);
        return -1;
    }
    if (st != NNOM_OK) {
        nnom_py_raise_status(st, err.message);
        return -1;
    }
    st = nnom_model_alloc_arena(self->model);
    if (st != NNOM_OK) {
        nnom_py_raise_status(st, nnom_model_last_error(self->model));
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
        nnom_py_ops_raise(self->ops, nnom_py_error);
        goto done;
    }
    if (st != NNOM_OK) {
        char message[NNOM_ERROR_MESSAGE_MAX + 96];
        snprintf(message, sizeof message, "sample %zd: %s%s", s - 1, nnom_model_last_error(m),
                 failed_setting_input && st == NNOM_ERR_ARGUMENT && check_finite && !as_int8
                     ? " (check_finite=False lets them through)" : "");
        nnom_py_raise_status(st, message);
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

/* (first_layer, cut_layer, tiles, rows_per_tile, untiled_arena_bytes, saved_bytes, extra_macs, kept_band_bytes) */
static PyObject *Model_tiling(ModelObject *self, PyObject *args)
{
    if (!ready(self)) return NULL;
    nnom_tiling_info t = NNOM_TILING_INFO_INIT;
    const nnom_status st = nnom_model_tiling(self->model, &t);
    if (st != NNOM_OK) {
        PyErr_Format(PyExc_RuntimeError, "tiling: %s", nnom_model_last_error(self->model));
        return NULL;
    }
    return Py_BuildValue("(iiiinnKn)", (int)t.first_layer, (int)t.cut_layer, (int)t.tiles, (int)t.rows_per_tile,
                         (Py_ssize_t)t.untiled_arena_bytes, (Py_ssize_t)t.saved_bytes,
                         (unsigned long long)t.extra_macs, (Py_ssize_t)t.kept_band_bytes);
}

/* (goal, windows_in_place, tiled, arena_bytes, plain_arena_bytes, max_arena_bytes, text: nnom_plan_text()) */
static PyObject *Model_plan(ModelObject *self, PyObject *args)
{
    if (!ready(self)) return NULL;
    nnom_plan_info p = NNOM_PLAN_INFO_INIT;
    if (nnom_model_plan(self->model, &p) != NNOM_OK) {
        PyErr_Format(PyExc_RuntimeError, "plan: %s", nnom_model_last_error(self->model));
        return NULL;
    }
    char text[NNOM_PLAN_TEXT_MAX];
    nnom_plan_text(&p, text, sizeof text);
    return Py_BuildValue("(iiinnns)", (int)p.goal, (int)p.windows_in_place, (int)p.tiled, (Py_ssize_t)p.arena_bytes,
                         (Py_ssize_t)p.plain_arena_bytes, (Py_ssize_t)p.max_arena_bytes, text);
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
    if (st != NNOM_OK) return nnom_py_raise_status(st, nnom_model_last_error(self->model));
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
            return nnom_py_raise_status(st, nnom_model_last_error(self->model));
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
    if (st != NNOM_OK) return nnom_py_raise_status(st, nnom_model_last_error(self->model));
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
        nnom_py_ops_raise(self->ops, nnom_py_error);
        goto done;
    }
    if (st != NNOM_OK) {
        nnom_py_raise_status(st, nnom_model_last_error(self->model));
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
LOCKED(Model_plan)
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
    {"plan", (PyCFunction)Model_plan_locked, METH_NOARGS,
     "(goal, windows_in_place, tiled, arena_bytes, plain_arena_bytes, max_arena_bytes)"},
    {"arena_for", (PyCFunction)Model_arena_for_locked, METH_VARARGS, "arena_for(kernels) -> arena bytes that kernel set plans"},
    {"to_bytes", (PyCFunction)Model_bytes, METH_NOARGS, "the .nnom file bytes"},
    {"reset_stats", (PyCFunction)Model_reset_stats_locked, METH_NOARGS, "zero run counts and times"},
    {"reset_state", (PyCFunction)Model_reset_state_locked, METH_NOARGS, "zero every recurrent layer's state"},
    {"state", (PyCFunction)Model_state_locked, METH_VARARGS, "state(layer) -> list of float32 bytes (h; LSTM h, c)"},
    {"set_state", (PyCFunction)Model_set_state_locked, METH_VARARGS, "set_state(layer, which, float32 buffer)"},
    {"state_size", (PyCFunction)Model_state_size_locked, METH_NOARGS, "bytes of recurrent state"},
    {"evaluate", (PyCFunction)Model_evaluate_locked, METH_VARARGS, "evaluate(x, labels, n, n_classes)"},
    {NULL, NULL, 0, NULL}};

PyTypeObject nnom_py_model_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "nnom._nnom.Model",
    .tp_basicsize = sizeof(ModelObject),
    .tp_dealloc = (destructor)Model_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A loaded .nnom model (low level; use nnom.Model)",
    .tp_methods = Model_methods,
    .tp_init = (initproc)Model_init,
    .tp_new = PyType_GenericNew,
};

/* Python callables as nnom user operators: see _user_ops.h. */
#include "_user_ops.h"

#include <string.h>

#include "nnom/tools.h"

/* Registry slots set aside for each plugin's operators. */
#define SLOTS_PER_PLUGIN 64

#if PY_VERSION_HEX < 0x030A0000
static PyObject *Py_NewRef(PyObject *o)
{
    Py_INCREF(o);
    return o;
}
#endif

typedef struct OpSetObject OpSetObject;

/* One operator: the C description the registry points to, and the two Python functions behind it. */
typedef struct {
    nnom_user_op op;          /* op.user points back to this entry */
    PyObject *infer;          /* infer(shapes: list of tuples) -> output shape tuple */
    PyObject *run;            /* run(inputs: list of bytes, shapes, quants, out_shape, out_quant) -> bytes */
    OpSetObject *set;         /* the owner (borrowed) */
    char name[NNOM_NAME_MAX];
} UserOp;

struct OpSetObject {
    PyObject_HEAD
    nnom_op_registry reg;
    const nnom_user_op **slots;
    UserOp *ops;
    Py_ssize_t n;
    nnom_op_plugin **plugins;       /* plugins of C operators, closed after the registry's last use */
    Py_ssize_t n_plugins;
    PyObject *error;                /* the first exception a callable raised since the reset, or NULL */
    volatile int failed;            /* error != NULL, readable without the GIL */
    char error_op[NNOM_NAME_MAX];
    char error_layer[NNOM_NAME_MAX];
};

static void copy_name(char *dst, const char *src)
{
    snprintf(dst, NNOM_NAME_MAX, "%s", src ? src : "?");
}

/* Keeps the pending Python exception (the first one only) with the operator and layer it came from. GIL held. */
static void keep_error(UserOp *u, const char *layer)
{
    OpSetObject *set = u->set;
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (value && tb) PyException_SetTraceback(value, tb);
    Py_XDECREF(type);
    Py_XDECREF(tb);
    if (set->error) {
        Py_XDECREF(value);
        return;
    }
    set->error = value ? value : Py_NewRef(Py_None);
    copy_name(set->error_op, u->name);
    copy_name(set->error_layer, layer);
    set->failed = 1;
}

static PyObject *shape_of(const nnom_shape *s)
{
    PyObject *t = PyTuple_New(s->rank);
    for (int32_t k = 0; t && k < s->rank; k++) {
        PyObject *d = PyLong_FromLong((long)s->dims[k]);
        if (!d) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, k, d);
    }
    return t;
}

static size_t count_of(const nnom_shape *s)
{
    size_t n = 1;
    for (int32_t k = 0; k < s->rank; k++) n *= (size_t)s->dims[k];
    return n;
}

static nnom_status op_infer(const nnom_user_call *call, nnom_shape *out, char *message)
{
    UserOp *u = (UserOp *)call->op->user;
    nnom_status st = NNOM_ERR_SHAPE;
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *shapes = PyList_New(call->n_inputs), *r = NULL;
    for (int32_t k = 0; shapes && k < call->n_inputs; k++) {
        PyObject *s = shape_of(&call->in[k].shape);
        if (!s) {
            Py_CLEAR(shapes);
            break;
        }
        PyList_SET_ITEM(shapes, k, s);
    }
    if (shapes) r = PyObject_CallFunctionObjArgs(u->infer, shapes, NULL);
    if (r && PyTuple_Check(r) && PyTuple_GET_SIZE(r) >= 1 && PyTuple_GET_SIZE(r) <= NNOM_MAX_RANK) {
        memset(out, 0, sizeof *out);
        out->rank = (int32_t)PyTuple_GET_SIZE(r);
        st = NNOM_OK;
        for (int32_t k = 0; k < out->rank && st == NNOM_OK; k++) {
            const long d = PyLong_AsLong(PyTuple_GET_ITEM(r, k));
            if (d <= 0 || d > INT32_MAX) st = NNOM_ERR_SHAPE;
            out->dims[k] = (int32_t)d;
        }
        if (st != NNOM_OK && !PyErr_Occurred())
            PyErr_Format(PyExc_ValueError, "output shape %R: every dimension must be a positive integer", r);
    } else if (r) {
        PyErr_Format(PyExc_ValueError, "output shape %R: a tuple of 1 to %d dimensions is expected", r,
                     NNOM_MAX_RANK);
    }
    if (st != NNOM_OK) {
        keep_error(u, call->layer);
        snprintf(message, NNOM_USER_OP_MESSAGE_MAX, "its Python function failed on inputs of these shapes");
    }
    Py_XDECREF(r);
    Py_XDECREF(shapes);
    PyGILState_Release(g);
    return st;
}

/* (scale, zero point) of an int8 tensor, None for float32 */
static PyObject *quant_of(nnom_dtype dtype, const nnom_quant *q)
{
    if (dtype != NNOM_DTYPE_S8) return Py_NewRef(Py_None);
    return Py_BuildValue("(di)", (double)q->scale, (int)q->zero_point);
}

static PyObject *call_run(UserOp *u, const nnom_user_call *call, size_t esize, size_t out_bytes)
{
    PyObject *inputs = PyList_New(call->n_inputs), *shapes = PyList_New(call->n_inputs);
    PyObject *quants = PyList_New(call->n_inputs), *r = NULL;
    int ok = inputs && shapes && quants;
    for (int32_t k = 0; ok && k < call->n_inputs; k++) {
        const nnom_user_tensor *t = &call->in[k];
        PyObject *data = PyBytes_FromStringAndSize((const char *)t->data, (Py_ssize_t)(count_of(&t->shape) * esize));
        PyObject *shape = shape_of(&t->shape), *quant = quant_of(call->dtype, &t->quant);
        ok = data && shape && quant;
        if (data) PyList_SET_ITEM(inputs, k, data);
        if (shape) PyList_SET_ITEM(shapes, k, shape);
        if (quant) PyList_SET_ITEM(quants, k, quant);
    }
    PyObject *out_shape = ok ? shape_of(&call->out_shape) : NULL;
    PyObject *out_quant = out_shape ? quant_of(call->dtype, &call->out_quant) : NULL;
    if (out_quant) r = PyObject_CallFunctionObjArgs(u->run, inputs, shapes, quants, out_shape, out_quant, NULL);
    if (r && (!PyBytes_Check(r) || (size_t)PyBytes_GET_SIZE(r) != out_bytes)) {
        PyErr_Format(PyExc_ValueError, "the kernel gave %R, %zu bytes expected", Py_TYPE(r), out_bytes);
        Py_CLEAR(r);
    }
    Py_XDECREF(out_shape);
    Py_XDECREF(out_quant);
    Py_XDECREF(inputs);
    Py_XDECREF(shapes);
    Py_XDECREF(quants);
    return r;
}

/* Both kernels: the Python side dequantises and requantises int8 tensors. */
static void op_run(const nnom_user_call *call)
{
    UserOp *u = (UserOp *)call->op->user;
    const size_t esize = call->dtype == NNOM_DTYPE_S8 ? 1u : sizeof(float);
    const size_t out_bytes = count_of(&call->out_shape) * esize;
    int done = 0;
    PyGILState_STATE g = PyGILState_Ensure();
    if (!u->set->failed) {
        PyObject *r = call_run(u, call, esize, out_bytes);
        if (r) {
            memcpy(call->out, PyBytes_AS_STRING(r), out_bytes);
            Py_DECREF(r);
            done = 1;
        } else {
            keep_error(u, call->layer);
        }
    }
    PyGILState_Release(g);
    if (!done) memset(call->out, 0, out_bytes);
}

/* ------------------------------------------------------------------ the OpSet type */

static int OpSet_traverse(OpSetObject *self, visitproc visit, void *arg)
{
    for (Py_ssize_t i = 0; i < self->n; i++) {
        Py_VISIT(self->ops[i].infer);
        Py_VISIT(self->ops[i].run);
    }
    Py_VISIT(self->error);
    return 0;
}

static int OpSet_clear(OpSetObject *self)
{
    for (Py_ssize_t i = 0; i < self->n; i++) {
        Py_CLEAR(self->ops[i].infer);
        Py_CLEAR(self->ops[i].run);
    }
    Py_CLEAR(self->error);
    self->failed = 0;
    return 0;
}

static void OpSet_dealloc(OpSetObject *self)
{
    PyObject_GC_UnTrack(self);
    OpSet_clear(self);
    for (Py_ssize_t i = 0; i < self->n_plugins; i++) nnom_op_plugin_close(self->plugins[i]);
    PyMem_Free(self->plugins);
    PyMem_Free(self->ops);
    PyMem_Free((void *)self->slots);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Loads each plugin (paths as str) into the registry; -1 with an NNoMError-style ValueError/OSError on failure. */
static int load_plugins(OpSetObject *self, PyObject *paths)
{
    const Py_ssize_t n = PyList_GET_SIZE(paths);
    self->plugins = (nnom_op_plugin **)PyMem_Calloc((size_t)(n ? n : 1), sizeof *self->plugins);
    if (!self->plugins) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        const char *path = PyUnicode_Check(PyList_GET_ITEM(paths, i)) ? PyUnicode_AsUTF8(PyList_GET_ITEM(paths, i))
                                                                      : NULL;
        if (!path) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "plugin paths are strings");
            return -1;
        }
        nnom_error err;
        nnom_status st;
        Py_BEGIN_ALLOW_THREADS
        st = nnom_op_plugin_open(path, &self->reg, &self->plugins[self->n_plugins], &err);
        Py_END_ALLOW_THREADS
        if (st != NNOM_OK) {
            PyErr_SetString(st == NNOM_ERR_IO ? PyExc_OSError : PyExc_ValueError, err.message);
            return -1;
        }
        self->n_plugins++;
    }
    return 0;
}

/* OpSet({name: (infer, run), ...}, [plugin path, ...]) */
static int OpSet_init(OpSetObject *self, PyObject *args, PyObject *kwds)
{
    PyObject *table, *paths = NULL;
    if (kwds && PyDict_Size(kwds)) {
        PyErr_SetString(PyExc_TypeError, "OpSet() takes no keyword arguments");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "O!|O!", &PyDict_Type, &table, &PyList_Type, &paths)) return -1;
    if (self->ops) {
        PyErr_SetString(PyExc_RuntimeError, "OpSet is already initialised");
        return -1;
    }
    const Py_ssize_t n = PyDict_Size(table), n_paths = paths ? PyList_GET_SIZE(paths) : 0;
    const Py_ssize_t capacity = n + n_paths * SLOTS_PER_PLUGIN;
    if (capacity > INT32_MAX / 2) {
        PyErr_SetString(PyExc_ValueError, "too many user operators");
        return -1;
    }
    self->ops = (UserOp *)PyMem_Calloc((size_t)(n ? n : 1), sizeof *self->ops);
    self->slots = (const nnom_user_op **)PyMem_Calloc((size_t)(capacity ? capacity : 1), sizeof *self->slots);
    if (!self->ops || !self->slots) {
        PyErr_NoMemory();
        return -1;
    }
    nnom_op_registry_init(&self->reg, self->slots, (int32_t)capacity);
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(table, &pos, &key, &value)) {
        UserOp *u = &self->ops[self->n];
        PyObject *infer, *run;
        const char *name = PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : NULL;
        if (!name) {
            if (!PyErr_Occurred()) PyErr_Format(PyExc_TypeError, "operator names are strings, not %R", Py_TYPE(key));
            return -1;
        }
        if (!PyArg_ParseTuple(value, "OO", &infer, &run)) return -1;
        copy_name(u->name, name);
        u->infer = Py_NewRef(infer);
        u->run = Py_NewRef(run);
        u->set = self;
        self->n++;
        nnom_user_op_init(&u->op);
        u->op.name = u->name;
        u->op.min_inputs = 1;
        u->op.max_inputs = NNOM_MAX_INPUTS;
        u->op.infer = op_infer;
        u->op.run_s8 = op_run;
        u->op.run_f32 = op_run;
        u->op.user = u;
        nnom_error err;
        /* the registry checks the name (length, uniqueness) */
        if (strlen(name) >= NNOM_NAME_MAX || nnom_register_op(&self->reg, &u->op, &err) != NNOM_OK) {
            PyErr_Format(PyExc_ValueError, "user operator '%s': %s", name,
                         strlen(name) >= NNOM_NAME_MAX ? "the name is too long" : err.message);
            return -1;
        }
    }
    return paths ? load_plugins(self, paths) : 0;
}

PyTypeObject nnom_py_opset_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "nnom._nnom.OpSet",
    .tp_basicsize = sizeof(OpSetObject),
    .tp_dealloc = (destructor)OpSet_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "User operators backed by Python functions (low level; use custom_ops=)",
    .tp_traverse = (traverseproc)OpSet_traverse,
    .tp_clear = (inquiry)OpSet_clear,
    .tp_init = (initproc)OpSet_init,
    .tp_new = PyType_GenericNew,
};

int nnom_py_ops_registry(PyObject *ops, const nnom_op_registry **reg)
{
    *reg = NULL;
    if (!ops || ops == Py_None) return 1;
    if (!PyObject_TypeCheck(ops, &nnom_py_opset_type) || !((OpSetObject *)ops)->ops) {
        PyErr_Format(PyExc_TypeError, "user operators: an initialised OpSet or None is expected, not %R",
                     Py_TYPE(ops));
        return 0;
    }
    *reg = &((OpSetObject *)ops)->reg;
    return 1;
}

void nnom_py_ops_reset(PyObject *ops)
{
    if (!ops || !PyObject_TypeCheck(ops, &nnom_py_opset_type)) return;
    OpSetObject *set = (OpSetObject *)ops;
    set->failed = 0;
    Py_CLEAR(set->error);
}

int nnom_py_ops_failed(PyObject *ops)
{
    return ops && ops != Py_None && ((OpSetObject *)ops)->failed;
}

PyObject *nnom_py_ops_raise(PyObject *ops, PyObject *type)
{
    OpSetObject *set = (OpSetObject *)ops;
    PyObject *cause = set->error; /* the reference moves here */
    set->error = NULL;
    set->failed = 0;
    const int has_cause = cause && cause != Py_None;
    PyObject *text = has_cause ? PyObject_Str(cause) : PyUnicode_FromString("");
    PyObject *message = text ? PyUnicode_FromFormat("user operator '%s' (layer '%s'): its Python function raised %s: %U",
                                                    set->error_op, set->error_layer,
                                                    has_cause ? Py_TYPE(cause)->tp_name : "an error", text)
                             : NULL;
    PyObject *exc = message ? PyObject_CallFunctionObjArgs(type, message, NULL) : NULL;
    if (exc) {
        PyObject *op = PyUnicode_FromString(set->error_op), *layer = PyUnicode_FromString(set->error_layer);
        if (op) PyObject_SetAttrString(exc, "op", op);
        if (layer) PyObject_SetAttrString(exc, "layer", layer);
        Py_XDECREF(op);
        Py_XDECREF(layer);
        if (has_cause) {
            Py_INCREF(cause);
            PyException_SetCause(exc, cause); /* steals */
        }
        PyErr_SetObject(type, exc);
        Py_DECREF(exc);
    }
    Py_XDECREF(message);
    Py_XDECREF(text);
    Py_XDECREF(cause);
    return NULL;
}

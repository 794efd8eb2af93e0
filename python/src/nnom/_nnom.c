/*
 * _nnom: the CPython extension over libnnom's C API. It only adapts types,
 * errors and memory ownership; the Python package (nnom/) adds numpy
 * conversions and checks. Arrays cross the boundary through the buffer
 * protocol (no numpy C API). This file is the module: its exceptions, its
 * functions table and two small functions; the Model type is in _model.c, the
 * converter functions in _convert.c (_nnom.h).
 */
#include "_nnom.h"

#include "nnom/tools.h"
#include "_user_ops.h"

PyObject *nnom_py_error; /* nnom.NNoMError: args (message,), attributes status, status_name */
PyObject *nnom_py_value_error; /* also a ValueError: a bad argument or shape (NNOM_ERR_ARGUMENT, NNOM_ERR_SHAPE) */

PyObject *nnom_py_raise_status(nnom_status st, const char *message)
{
    PyObject *type = st == NNOM_ERR_ARGUMENT || st == NNOM_ERR_SHAPE ? nnom_py_value_error : nnom_py_error;
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
    {"convert_keras", nnom_py_convert_keras, METH_VARARGS, "convert a Keras file (low level; use nnom.convert)"},
    {"convert_tflite", nnom_py_convert_tflite, METH_VARARGS,
     "convert an int8 .tflite file (low level; use nnom.convert)"},
    {"write_header", nnom_py_write_header, METH_VARARGS, "write_header(nnom_bytes, path, name, source) -> C name"},
    {"keras_layers", nnom_py_keras_layers, METH_VARARGS,
     "keras_layers(path) -> [(nnom name, Keras name or None, type)]"},
    {"sqnr", sqnr, METH_VARARGS, "sqnr(reference f32, test, test_is_int8, scale, zero_point) -> dB"},
    {"version", version, METH_NOARGS, "libnnom version"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_nnom", "libnnom bindings (low level)", -1,
                                    module_methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__nnom(void)
{
    if (PyType_Ready(&nnom_py_model_type) < 0 || PyType_Ready(&nnom_py_opset_type) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    nnom_py_error = PyErr_NewExceptionWithDoc("nnom.NNoMError",
                                              "An error reported by libnnom; .status_name is the C status "
                                              "(e.g. 'NNOM_ERR_CHECKSUM') and str() its message.",
                                              PyExc_RuntimeError, NULL);
    PyObject *bases = nnom_py_error ? PyTuple_Pack(2, nnom_py_error, PyExc_ValueError) : NULL;
    nnom_py_value_error = bases ? PyErr_NewExceptionWithDoc("nnom.NNoMValueError",
                                                            "An NNoMError that is also a ValueError: an argument "
                                                            "or a shape that does not fit the model.",
                                                            bases, NULL)
                                : NULL;
    Py_XDECREF(bases);
    Py_INCREF(&nnom_py_model_type);
    if (!nnom_py_error || !nnom_py_value_error ||
        PyModule_AddObject(m, "Model", (PyObject *)&nnom_py_model_type) < 0 ||
        PyModule_AddObject(m, "NNoMError", nnom_py_error) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(nnom_py_error);
    if (PyModule_AddObject(m, "NNoMValueError", nnom_py_value_error) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(nnom_py_value_error);
    Py_INCREF(&nnom_py_opset_type);
    if (PyModule_AddObject(m, "OpSet", (PyObject *)&nnom_py_opset_type) < 0) {
        Py_DECREF(&nnom_py_opset_type);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

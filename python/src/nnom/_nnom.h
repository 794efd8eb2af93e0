/*
 * Internal to the _nnom extension: what its files share. _nnom.c is the module (its functions table, the
 * exceptions, sqnr, version), _model.c the Model type, _convert.c the converter functions.
 */
#ifndef NNOM_PY_NNOM_H
#define NNOM_PY_NNOM_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "nnom/nnom.h"

/* nnom.NNoMError: args (message,), attributes status, status_name */
extern PyObject *nnom_py_error;
/* nnom.NNoMValueError, also a ValueError: a bad argument or shape (NNOM_ERR_ARGUMENT, NNOM_ERR_SHAPE) */
extern PyObject *nnom_py_value_error;
/* Raises the exception of @p st with @p message (its status and status_name set); returns NULL. */
PyObject *nnom_py_raise_status(nnom_status st, const char *message);

/* _nnom.Model (_model.c) */
extern PyTypeObject nnom_py_model_type;

/* The converter functions of the module (_convert.c); each documented where it is defined. */
PyObject *nnom_py_convert_keras(PyObject *mod, PyObject *args);
PyObject *nnom_py_convert_tflite(PyObject *mod, PyObject *args);
PyObject *nnom_py_write_header(PyObject *mod, PyObject *args);
PyObject *nnom_py_keras_layers(PyObject *mod, PyObject *args);

#endif /* NNOM_PY_NNOM_H */

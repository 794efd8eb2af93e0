/*
 * _user_ops: Python callables as nnom user operators (nnom/user_op.h), for the _nnom extension.
 *
 * An OpSet owns a registry of user operators whose functions call back into Python: infer(shapes)
 * gives the output shape, run(inputs, shapes, quants, out_shape, out_quant) computes the output
 * (the nnom package wraps the user's numpy function in these two; see _user_ops.py). The kernels
 * take the GIL themselves, so models may run with it released. A kernel's signature cannot
 * return an error: the first exception a callable raises is kept in the OpSet (with the operator
 * and layer names), later calls are skipped, outputs are zero, and the extension raises the kept
 * exception once the C call returns (nnom_py_ops_failed, nnom_py_ops_raise).
 */
#ifndef NNOM_PY_USER_OPS_H
#define NNOM_PY_USER_OPS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "nnom/nnom.h"

/** nnom._nnom.OpSet({name: (infer, run)}, [plugin path, ...]): Python operators and plugins of C ones
 *  (nnom_op_plugin_open); the plugins stay loaded as long as the OpSet. */
extern PyTypeObject nnom_py_opset_type;

/** The registry of @p ops (an OpSet, or None: *reg = NULL); 0 with a TypeError set otherwise. */
int nnom_py_ops_registry(PyObject *ops, const nnom_op_registry **reg);

/** Forgets a kept error (before a new top-level call). @p ops may be None or NULL. GIL held. */
void nnom_py_ops_reset(PyObject *ops);

/** 1 when a callable of @p ops raised since the last reset. Needs no GIL in the thread that ran the model. */
int nnom_py_ops_failed(PyObject *ops);

/** Raises @p type naming the operator and layer of the kept error, the callable's exception as its
 *  __cause__, and forgets it; returns NULL. GIL held. */
PyObject *nnom_py_ops_raise(PyObject *ops, PyObject *type);

#endif /* NNOM_PY_USER_OPS_H */

"""User operators from Python: a numpy function as the kernel of a CUSTOM layer.

``custom_ops={"name": fn}`` binds the user operator ``name`` (a Keras
Lambda layer of that name, or a custom Keras layer of that class) to ``fn``.
``fn`` takes one float32 array per input of the layer, each of shape
``(1, *input_shape)`` (a batch of one, as a Keras Lambda sees it), and returns
one array of shape ``(1, *output_shape)``. libnnom calls it:

- once per layer when the model is built, on zeros, to learn the output shape;
- in float32 models (calibration, the conversion report): on the inputs as they are;
- in int8 models: on the dequantised inputs, its result quantised to the
  layer's output scale and zero point (rounding half away from zero,
  saturated to int8). This is a reference for validation on the PC;
  firmware runs a C operator registered under the same name (nnom/user_op.h).

An exception in ``fn``, or a result of the wrong shape or type, stops the
call that ran the model with :class:`nnom.NNoMError` naming the operator and
the layer, the original exception as its ``__cause__``.

``op_plugins=["./my_ops.so"]`` registers the C operators of plugins instead
(shared libraries exporting ``nnom_plugin_ops()``, docs/user-operators.md):
the very kernels the device runs, float32 and int8, for bit-exact validation.
"""
from __future__ import annotations

import os
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from . import _nnom

Quant = Optional[Tuple[float, int]]


class _Kernel:
    """The two functions libnnom calls for one operator, around the user's ``fn``."""

    def __init__(self, name: str, fn: Callable) -> None:
        self.name, self.fn = name, fn

    def _call(self, arrays: Sequence[np.ndarray]) -> np.ndarray:
        y = self.fn(*arrays)
        try:
            y = np.asarray(y)
        except Exception as exc:  # e.g. a list of arrays of different lengths
            raise TypeError(f"returned {type(y).__name__}, not an array ({exc})") from None
        if y.dtype.kind not in "fiu":
            raise TypeError(f"returned an array of dtype {y.dtype}; real numbers (float32) are expected")
        return y

    def infer(self, shapes: Sequence[Tuple[int, ...]]) -> Tuple[int, ...]:
        y = self._call([np.zeros((1,) + tuple(s), np.float32) for s in shapes])
        if y.ndim < 2 or y.shape[0] != 1:
            raise ValueError(f"returned shape {y.shape} for inputs of shape "
                             f"{', '.join(str((1,) + tuple(s)) for s in shapes)}: the output must keep the batch "
                             f"axis of size 1 and have at least one more")
        return tuple(int(d) for d in y.shape[1:])

    def run(self, inputs: Sequence[bytes], shapes: Sequence[Tuple[int, ...]], quants: Sequence[Quant],
            out_shape: Tuple[int, ...], out_quant: Quant) -> bytes:
        arrays = []
        for data, shape, q in zip(inputs, shapes, quants):
            if q is None:
                a = np.frombuffer(data, np.float32).copy()
            else:
                a = (np.frombuffer(data, np.int8).astype(np.float32) - np.float32(q[1])) * np.float32(q[0])
            arrays.append(a.reshape((1,) + tuple(shape)))
        y = self._call(arrays)
        want = (1,) + tuple(out_shape)
        if y.shape != want:
            raise ValueError(f"returned shape {y.shape}, expected {want} (the shape it gave when the model was "
                             f"built)")
        y = y.astype(np.float32, copy=False).reshape(-1)
        if not np.all(np.isfinite(y)):
            raise ValueError(f"returned a NaN or an infinity (at flat index {int(np.argmin(np.isfinite(y)))})")
        if out_quant is None:
            return y.tobytes()
        scale, zero_point = out_quant
        q = y.astype(np.float64) / scale
        q = np.sign(q) * np.floor(np.abs(q) + 0.5) + zero_point
        return np.clip(q, -128, 127).astype(np.int8).tobytes()


def plugin_paths(op_plugins) -> List[str]:
    """``op_plugins`` as a list of path strings (a single path is a list of one)."""
    if op_plugins is None:
        return []
    if isinstance(op_plugins, (str, os.PathLike)):
        op_plugins = [op_plugins]
    try:
        return [os.fspath(p) for p in op_plugins]
    except TypeError:
        raise TypeError(f"op_plugins: paths to shared libraries are expected, not {op_plugins!r}") from None


def op_set(custom_ops: Optional[Mapping[str, Callable]], op_plugins=None) -> Optional["_nnom.OpSet"]:
    """The extension's OpSet for ``custom_ops`` and ``op_plugins`` (None for none); checks names and callables."""
    paths = plugin_paths(op_plugins)
    if custom_ops is None:
        return _nnom.OpSet({}, paths) if paths else None
    if not isinstance(custom_ops, Mapping):
        raise TypeError(f"custom_ops: a dict {{name: function}} is expected, not {type(custom_ops).__name__}")
    table: Dict[str, tuple] = {}
    for name, fn in custom_ops.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"custom_ops: operator names are non-empty strings, not {name!r}")
        if not callable(fn):
            raise TypeError(f"custom_ops['{name}']: a function is expected, not {type(fn).__name__}")
        k = _Kernel(name, fn)
        table[name] = (k.infer, k.run)
    return _nnom.OpSet(table, paths) if table or paths else None

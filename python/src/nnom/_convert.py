"""nnom.convert: Keras model or int8 .tflite file to int8 nnom model, by libnnom's converter."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Union

import numpy as np

from . import _nnom
from ._isolated import convert_in_child
from ._model import Model
from ._progress import advance_to, progress_bar
from ._user_ops import op_set


@dataclass
class ConversionReport:
    """Per-layer error of the int8 model against the float model, over the calibration data."""

    rows: List[dict] = field(default_factory=list)   # name, type, sqnr_db, min, max
    top1_agreement: Optional[float] = None           # classifiers: argmax agreement int8 vs float

    def __str__(self) -> str:
        lines = [f"{'layer':<24} {'type':<16} {'SQNR dB':>8} {'range':>22}"]
        for r in self.rows:
            lines.append(f"{r['name'][:24]:<24} {r['type']:<16} {r['sqnr_db']:>8.1f} "
                         f"{'[%.3g, %.3g]' % (r['min'], r['max']):>22}")
        if self.top1_agreement is not None:
            lines.append(f"top-1 agreement int8 vs float: {100 * self.top1_agreement:.2f}%")
        return "\n".join(lines)


def _calibration_arrays(calibration) -> list:
    """[(float32 C-contiguous array, shape), ...], one per model input; the converter checks the shapes."""
    if calibration is None:
        raise TypeError("calibration: give sample inputs, a numpy array batch first (a list of arrays for several "
                        "inputs); int8 ranges come from running the model on them")
    arrays = list(calibration) if isinstance(calibration, (list, tuple)) else [calibration]
    out = []
    for i, a in enumerate(arrays):
        if a is None:
            raise TypeError(f"calibration input {i} is None: give a numpy array of sample inputs")
        try:
            a = np.ascontiguousarray(np.asarray(a, dtype=np.float32))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"calibration input {i}: not numeric sample inputs ({exc})") from None
        bad = np.argwhere(~np.isfinite(a))
        if bad.size:
            where = f"sample {bad[0][0]}" if a.ndim else "the value"
            raise ValueError(f"calibration input {i}: {where} holds a NaN or an infinity")
        out.append((a, a.shape))
    return out


def _is_tflite(model_or_path) -> bool:
    return isinstance(model_or_path, (str, os.PathLike)) and os.fspath(model_or_path).lower().endswith(".tflite")


def _convert_tflite(path: str, calibration, output, header, header_name: Optional[str]) -> Model:
    if calibration is not None:
        raise ValueError("a .tflite model is already quantised: it takes no calibration data "
                         "(nnom uses the file's scales and zero points as they are); call nnom.convert(path)")
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such model file: {path}")
    raw = _nnom.convert_tflite(path, os.fspath(header) if header is not None else None, header_name)
    model = Model(raw)
    model.conversion_report = None
    if output is not None:
        model.save(output)
    return model


def convert(model_or_path, calibration=None, *, output: Union[str, os.PathLike, None] = None,
            header: Union[str, os.PathLike, None] = None, header_name: Optional[str] = None,
            per_channel: bool = True, method: str = "minmax", percentile: float = 99.99,
            progress: Optional[bool] = None, isolate: Optional[bool] = None,
            custom_ops: Optional[dict] = None, op_plugins=None) -> Model:
    """Converts a Keras model, or an int8 TensorFlow Lite model, to an int8 nnom model in one line.

    A path ending in ``.tflite`` is a model TensorFlow already quantised
    (full-integer quantisation): it is converted as it is, bit-exact with
    TensorFlow Lite Micro, and takes no ``calibration`` (giving some is a
    ``ValueError``); ``conversion_report`` is then None. See docs/tflite.md.

    Otherwise ``model_or_path`` is a path to a ``.keras`` or ``.h5`` file, or a live
    ``keras.Model`` (saved to a temporary ``.keras`` first). ``calibration``
    is a numpy array of sample inputs, batch first, each sample of the
    input's shape (dims of 1 aside); for several inputs, a list of arrays in
    the model's input order. A wrong shape or order raises
    :class:`nnom.NNoMValueError` (a ``ValueError``) naming the input, its
    expected shape and the shape given. ``method`` is ``"minmax"``,
    ``"percentile"`` or ``"kl"``. Writes ``output`` (.nnom) and ``header``
    (weights.h) when given; the header's C name is ``header_name``, or by
    default the header file's name made a C identifier (``weights-v2.h``:
    ``weights_v2_load()``), the rule of ``nnom convert --header``. The
    returned model carries the per-layer report as
    ``model.conversion_report``. Errors from the converter raise
    :class:`nnom.NNoMError` with its message. A progress bar shows the
    calibration on a terminal or in a notebook (``progress=None``);
    ``True`` always draws it, ``False`` never.

    The Keras file is read in a child process (``isolate=True``, the
    default without custom_ops): libhdf5 can crash on a corrupt file, and a crash there then
    raises :class:`nnom.NNoMError` naming the file and the signal instead of
    ending this process. ``isolate=False`` reads in this process (faster to
    start, for trusted files).

    ``custom_ops={"name": fn}`` maps a Keras ``Lambda`` layer named ``name``,
    or a custom layer of class ``name``, to a user operator (a CUSTOM layer)
    whose float reference is ``fn``, a numpy function run on a batch of one
    (docs/user-operators.md). Calibration calls it, so the conversion runs in
    this process (``isolate`` defaults to False then; True is refused). The
    returned model keeps ``custom_ops``; firmware needs a C operator of each
    name, as weights.h says. ``op_plugins=["./my_ops.so"]`` takes C operators
    from plugins instead (their float32 kernels calibrate, their int8 kernels
    run in the returned model: bit-exact with the device).
    """
    ops = op_set(custom_ops, op_plugins)
    if ops is not None and isolate:
        raise ValueError("custom_ops, op_plugins: user operators run during calibration, in this process; "
                         "isolate=True (reading the Keras file in a child process) cannot use them")
    if isolate is None:
        isolate = ops is None
    if _is_tflite(model_or_path):
        if ops is not None:
            raise ValueError("custom_ops, op_plugins: a .tflite model is converted as it is; it has no Lambda "
                             "layers to map")
        return _convert_tflite(os.fspath(model_or_path), calibration, output, header, header_name)
    tmp = None
    if isinstance(model_or_path, (str, os.PathLike)):
        path = source = os.fspath(model_or_path)
        if not os.path.exists(path):
            raise FileNotFoundError(f"cannot read '{path}': no such file")
    elif hasattr(model_or_path, "save") and hasattr(model_or_path, "inputs"):
        tmp = tempfile.TemporaryDirectory(prefix="nnom-")
        path = os.path.join(tmp.name, "model.keras")
        model_or_path.save(path)
        # the header names the model, not the temporary file it went through
        source = f"keras.Model {getattr(model_or_path, 'name', '')!s} (converted from Python)".replace("  ", " ")
    else:
        raise TypeError("convert() takes a path to a .keras/.h5 file or a keras.Model")
    try:
        arrays = _calibration_arrays(calibration)
        n = arrays[0][1][0] if arrays and arrays[0][1] else 0
        bar = progress_bar(progress, n, "nnom: calibrate")

        def on_progress(done, total):
            advance_to(bar, done, total)

        try:
            # the header is written below, from the bytes, naming the model's source
            args = (arrays, not per_channel, method, percentile, None, None)
            callback = on_progress if bar is not None else None
            if isolate:
                raw, rows, agreement = convert_in_child(path, args, callback)
            else:
                raw, rows, agreement = _nnom.convert_keras(path, *args, callback, ops)
        finally:
            if bar is not None:
                bar.close()
    finally:
        if tmp is not None:
            tmp.cleanup()
    model = Model(raw, custom_ops=custom_ops, op_plugins=op_plugins)
    model.conversion_report = ConversionReport(
        [dict(name=r[0], type=r[1], sqnr_db=r[2], min=r[3], max=r[4]) for r in rows], agreement)
    if output is not None:
        model.save(output)
    if header is not None:
        _nnom.write_header(raw, os.fspath(header), header_name, source, model._ops)
    return model

"""nnom.convert: Keras model or int8 .tflite file to int8 nnom model, by libnnom's converter."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Union

import numpy as np

from . import _nnom
from ._model import Model


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


def _calibration_bytes(calibration, n_inputs: int) -> tuple:
    arrays = list(calibration) if isinstance(calibration, (list, tuple)) else [calibration]
    if len(arrays) != n_inputs and n_inputs:
        raise ValueError(f"the model has {n_inputs} inputs; give calibration data as a list of {n_inputs} arrays")
    arrays = [np.ascontiguousarray(np.asarray(a, dtype=np.float32)) for a in arrays]
    n = arrays[0].shape[0] if arrays[0].ndim else 0
    if n == 0 or any(a.shape[0] != n for a in arrays):
        raise ValueError("calibration data needs at least one sample, and the same number for every input")
    flat = np.concatenate([a.reshape(n, -1) for a in arrays], axis=1)
    if not np.all(np.isfinite(flat)):
        raise ValueError("calibration data contains NaN or infinite values")
    return flat.tobytes(), n


def _is_tflite(model_or_path) -> bool:
    return isinstance(model_or_path, (str, os.PathLike)) and os.fspath(model_or_path).lower().endswith(".tflite")


def _convert_tflite(path: str, calibration, output, header, header_name: str) -> Model:
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
            header: Union[str, os.PathLike, None] = None, header_name: str = "model", per_channel: bool = True,
            method: str = "minmax", percentile: float = 99.99, progress: bool = True) -> Model:
    """Converts a Keras model, or an int8 TensorFlow Lite model, to an int8 nnom model in one line.

    A path ending in ``.tflite`` is a model TensorFlow already quantised
    (full-integer quantisation): it is converted as it is, bit-exact with
    TensorFlow Lite Micro, and takes no ``calibration`` (giving some is a
    ``ValueError``); ``conversion_report`` is then None. See docs/tflite.md.

    Otherwise ``model_or_path`` is a path to a ``.keras`` or ``.h5`` file, or a live
    ``keras.Model`` (saved to a temporary ``.keras`` first). ``calibration``
    is a numpy array of sample inputs (batch first; a list of arrays for
    several inputs). ``method`` is ``"minmax"``, ``"percentile"`` or ``"kl"``.
    Writes ``output`` (.nnom) and ``header`` (weights.h) when given. The
    returned model carries the per-layer report as ``model.conversion_report``.
    Errors from the converter raise :class:`nnom.NNoMError` with its message.
    """
    if _is_tflite(model_or_path):
        return _convert_tflite(os.fspath(model_or_path), calibration, output, header, header_name)
    if calibration is None:
        raise ValueError("converting a Keras model needs calibration data: sample inputs, batch first")
    tmp = None
    if isinstance(model_or_path, (str, os.PathLike)):
        path = os.fspath(model_or_path)
        if not os.path.exists(path):
            raise FileNotFoundError(f"no such model file: {path}")
        n_inputs = 0
    elif hasattr(model_or_path, "save") and hasattr(model_or_path, "inputs"):
        tmp = tempfile.TemporaryDirectory(prefix="nnom-")
        path = os.path.join(tmp.name, "model.keras")
        model_or_path.save(path)
        n_inputs = len(model_or_path.inputs)
    else:
        raise TypeError("convert() takes a path to a .keras/.h5 file or a keras.Model")
    try:
        data, n = _calibration_bytes(calibration, n_inputs)
        bar = None
        if progress:
            try:
                from tqdm.auto import tqdm
                bar = tqdm(total=n, desc="nnom: calibrate", unit="sample", leave=False)
            except ImportError:  # tqdm is a dependency, but stay usable without it
                bar = None

        def on_progress(done, total):
            if bar is not None:
                bar.total = total
                bar.n = done
                bar.refresh()

        try:
            raw, rows, agreement = _nnom.convert_keras(path, data, n, not per_channel, method, percentile,
                                                       os.fspath(header) if header is not None else None,
                                                       header_name, on_progress if bar is not None else None)
        finally:
            if bar is not None:
                bar.close()
    finally:
        if tmp is not None:
            tmp.cleanup()
    model = Model(raw)
    model.conversion_report = ConversionReport(
        [dict(name=r[0], type=r[1], sqnr_db=r[2], min=r[3], max=r[4]) for r in rows], agreement)
    if output is not None:
        model.save(output)
    return model

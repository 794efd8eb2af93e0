"""nnom.evaluate and nnom.compare: accuracy, top-k, confusion matrix and per-layer error."""
from __future__ import annotations

import os
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

from . import _nnom
from ._model import Model, _split
from ._progress import progress_bar


@dataclass
class Evaluation:
    """Classification metrics computed by libnnom's evaluation functions."""

    samples: int
    accuracy: float
    top_k: Dict[int, float]
    confusion: np.ndarray          # rows: true label, columns: predicted

    def __str__(self) -> str:
        ks = ", ".join(f"top-{k} {100 * v:.2f}%" for k, v in sorted(self.top_k.items()))
        return f"{self.samples} samples: {ks}"


def evaluate(model: Model, x, y, top_k: Sequence[int] = (1, 5), *, batch: int = 256,
             progress: Optional[bool] = None, threads: int = 1) -> Evaluation:
    """Runs ``model`` on ``x`` and scores its first output against labels ``y``.

    ``x`` is an array of inputs, batch first; for a model with several
    inputs, a list of arrays in the model's order (as ``predict`` and Keras
    take them). ``y`` holds class indices (or one-hot rows): integers, or
    floats holding whole numbers; a fractional, negative or too large label
    raises ``ValueError`` naming it. Top-k and the confusion matrix come from
    the C runtime's evaluation functions, the ones firmware can run on the
    device. ``threads=n`` scores ``n`` parts of the set at once, each on its
    own copy of the model (see :meth:`Model.predict`); the counts are the same.
    A progress bar shows on a terminal or in a notebook (``progress=None``);
    ``True`` always draws it, ``False`` never.
    """
    xs = list(x) if isinstance(x, (list, tuple)) and len(model.inputs) > 1 else [x]
    if len(xs) != len(model.inputs):
        raise ValueError(f"x: the model has {len(model.inputs)} inputs, {len(xs)} arrays given")
    prepared = []
    for i, (a, spec) in enumerate(zip(xs, model.inputs)):
        arr = np.asarray(a, dtype=np.float32)
        shape = tuple(spec["shape"])
        if arr.shape[1:] != shape:
            raise ValueError(f"x: input {i} ('{spec['name']}'): expected shape (batch, {', '.join(map(str, shape))}), "
                             f"got {arr.shape}")
        prepared.append(arr.reshape(len(arr), -1))
    n = len(prepared[0])
    if any(len(a) != n for a in prepared):
        raise ValueError(f"x: the inputs hold {', '.join(str(len(a)) for a in prepared)} samples; they need the "
                         "same number")
    # one row per sample: every input's values one after the other, the layout nnom_evaluate reads
    flat = np.ascontiguousarray(np.concatenate(prepared, axis=1)) if len(prepared) > 1 else \
        np.ascontiguousarray(prepared[0])
    y = np.asarray(y)
    if y.ndim == 2:
        y = y.argmax(axis=1)
    n_classes = int(np.prod(model.outputs[0]["shape"]))
    y = _class_indices(y, n_classes)
    if y.shape != (n,):
        raise ValueError(f"y: expected {n} labels, got shape {y.shape}")
    ks = sorted(set(int(k) for k in top_k) | {1})
    parts = _split(n, model._threads(threads))
    models = model._worker_models(len(parts))
    bar = progress_bar(progress if n > batch else False, n, "nnom: evaluate")
    lock = threading.Lock()
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    ranks = np.zeros(n_classes, dtype=np.int64)  # ranks[r]: samples whose label ranked r-th

    def score(job) -> None:
        m, (start, stop) = job
        # one pass: top-k for every k comes from the rank counts the C evaluation keeps
        for s in range(start, stop, batch):
            e = min(s + batch, stop)
            _, _, conf, rank_counts = m._m.evaluate(flat[s:e].tobytes(), y[s:e].tobytes(), e - s, n_classes)
            with lock:
                confusion.__iadd__(np.frombuffer(conf, dtype=np.int64).reshape(n_classes, n_classes))
                ranks.__iadd__(np.frombuffer(rank_counts, dtype=np.int64))
                if bar is not None:
                    bar.update(e - s)

    try:
        if len(parts) == 1:
            score((models[0], parts[0]))
        else:
            with ThreadPoolExecutor(len(parts)) as pool:
                list(pool.map(score, zip(models, parts)))
    finally:
        if bar is not None:
            bar.close()
    hits = {k: int(ranks[:k].sum()) for k in ks}
    return Evaluation(n, hits[1] / n if n else 0.0,
                      {k: hits[k] / n if n else 0.0 for k in ks if k in set(top_k) or k == 1}, confusion)


def _class_indices(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Labels as int32 class indices, refusing what a cast would silently change."""
    if y.dtype.kind not in "iubf":
        raise ValueError(f"y: labels must be class indices (integers), not {y.dtype}")
    flat = y.reshape(-1)
    if y.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(flat) | (flat != np.round(flat)))
        if bad.size:
            raise ValueError(f"y: label {bad[0]} is {flat[bad[0]]}, not a whole number (a class index)")
    bad = np.flatnonzero((flat < 0) | (flat >= n_classes))
    if bad.size:
        raise ValueError(f"y: label {bad[0]} is {flat[bad[0]]}, not a class index in [0, {n_classes})")
    return np.ascontiguousarray(y.astype(np.int32))


def _inputs_list(x) -> list:
    """Several inputs Keras style (a list or tuple of arrays), or one array."""
    return [np.asarray(a, dtype=np.float32) for a in x] if isinstance(x, (list, tuple)) else \
        [np.asarray(x, dtype=np.float32)]


def compare(model: Model, keras_model, x, *, max_samples: int = 64) -> List[dict]:
    """Per-layer SQNR (dB) of the nnom model against Keras' own float outputs.

    Each nnom layer is compared with the Keras layer whose output it
    computes: the last Keras layer folded or fused into it (a Conv2D whose
    BatchNormalization was folded and whose ReLU was fused is compared with
    the ReLU's output; the softmax split off a Dense with the Dense's
    output). libnnom's converter records that correspondence when it reads
    ``keras_model`` (saved to a temporary ``.keras`` for it); nnom layers
    computing no Keras layer's output alone (the Dense before its softmax)
    are left out. Each row has the nnom layer's name and type, the Keras
    layer and the SQNR over up to ``max_samples`` samples, computed by
    libnnom (``nnom_sqnr_db``, as the conversion report). ``x`` is one array,
    or a list of arrays for several inputs. Needs Keras (the caller has it,
    since it passes a keras.Model).
    """
    import keras  # only here: the rest of the package works without it

    xs = [a[:max_samples] for a in _inputs_list(x)]
    with tempfile.TemporaryDirectory(prefix="nnom-") as tmp:
        path = os.path.join(tmp, "model.keras")
        keras_model.save(path)
        read = _nnom.keras_layers(path, model._ops)
    computes = {name: keras for name, keras, _ in read}
    types = {name: t for name, _, t in read}  # a Dense on a sequence is "dense", though it runs as a conv1d
    keep = Model(model.to_bytes(), keep_all_outputs=True, custom_ops=model._custom_ops,
                 op_plugins=model._op_plugins)
    by_name = {layer.name: layer for layer in keras_model.layers}
    layers = keep.layers
    matched = [(i, l, computes[l.name]) for i, l in enumerate(layers)
               if l.type != "input" and computes.get(l.name) in by_name]
    if not matched:
        return []
    extractor = keras.Model(keras_model.inputs, [by_name[k].output for _, _, k in matched])
    ref = extractor.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    if len(matched) == 1:
        ref = [ref]
    n = len(xs[0])
    ours = [[] for _ in matched]
    for s in range(n):
        keep.predict(*[a[s] for a in xs])
        for j, (i, _, _) in enumerate(matched):
            ours[j].append(keep._m.layer_output_f32(i))  # dequantised by libnnom
    rows = []
    for j, (i, l, k) in enumerate(matched):
        a = np.ascontiguousarray(np.asarray(ref[j], dtype=np.float32).reshape(n, -1))
        if a.shape[1] != int(np.prod(l.shape)):
            continue
        rows.append({"name": l.name, "type": types.get(l.name, l.type), "keras_layer": k,
                     "sqnr_db": _nnom.sqnr(a.tobytes(), b"".join(ours[j]), False, 1.0, 0)})
    return rows

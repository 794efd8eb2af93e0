"""nnom.evaluate and nnom.compare: accuracy, top-k, confusion matrix and per-layer error."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

from ._model import Model


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
             progress: bool = True) -> Evaluation:
    """Runs ``model`` on ``x`` and scores its first output against labels ``y``.

    ``y`` holds class indices (or one-hot rows): integers, or floats holding
    whole numbers; a fractional, negative or too large label raises
    ``ValueError`` naming it. Top-k and the confusion matrix come from the C
    runtime's evaluation functions, the ones firmware can run on the device.
    """
    x = np.ascontiguousarray(np.asarray(x, dtype=np.float32))
    y = np.asarray(y)
    if y.ndim == 2:
        y = y.argmax(axis=1)
    y = _class_indices(y, int(np.prod(model.outputs[0]["shape"])))
    in_shape = tuple(model.inputs[0]["shape"])
    if x.shape[1:] != in_shape:
        raise ValueError(f"x: expected shape (batch, {', '.join(map(str, in_shape))}), got {x.shape}")
    if y.shape != (x.shape[0],):
        raise ValueError(f"y: expected {x.shape[0]} labels, got shape {y.shape}")
    n_classes = int(np.prod(model.outputs[0]["shape"]))
    ks = sorted(set(int(k) for k in top_k) | {1})
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    ranks = np.zeros(n_classes, dtype=np.int64)  # ranks[r]: samples whose label ranked r-th
    bar = None
    if progress and len(x) > batch:
        try:
            from tqdm.auto import tqdm
            bar = tqdm(total=len(x), desc="nnom: evaluate", leave=False)
        except ImportError:
            bar = None
    # one pass: top-k for every k comes from the rank counts the C evaluation keeps
    for s in range(0, len(x), batch):
        xb, yb = x[s:s + batch], y[s:s + batch]
        _, _, conf, rank_counts = model._m.evaluate(xb.tobytes(), yb.tobytes(), len(xb), n_classes)
        confusion += np.frombuffer(conf, dtype=np.int64).reshape(n_classes, n_classes)
        ranks += np.frombuffer(rank_counts, dtype=np.int64)
        if bar is not None:
            bar.update(len(xb))
    if bar is not None:
        bar.close()
    total = len(x)
    hits = {k: int(ranks[:k].sum()) for k in ks}
    return Evaluation(total, hits[1] / total if total else 0.0,
                      {k: hits[k] / total if total else 0.0 for k in ks if k in set(top_k) or k == 1}, confusion)


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


def _sqnr(ref: np.ndarray, test: np.ndarray) -> float:
    noise = float(np.sum((ref.astype(np.float64) - test) ** 2))
    signal = float(np.sum(ref.astype(np.float64) ** 2))
    if noise == 0.0:
        return 200.0
    return 10.0 * np.log10(max(signal, 1e-30) / noise)


def compare(model: Model, keras_model, x, *, max_samples: int = 64) -> List[dict]:
    """Per-layer SQNR (dB) of the nnom model against Keras' own float outputs.

    Layers are matched by name (the converter keeps Keras layer names); each
    row has the nnom layer's name and type, the Keras layer it was matched to
    and the SQNR over up to ``max_samples`` samples. Needs Keras (the caller
    has it, since it passes a keras.Model).
    """
    import keras  # only here: the rest of the package works without it

    x = np.asarray(x, dtype=np.float32)[:max_samples]
    keep = Model(model.to_bytes(), keep_all_outputs=True)
    by_name = {layer.name: layer for layer in keras_model.layers}
    matched = [(i, l) for i, l in enumerate(keep.layers) if l.name in by_name and l.type != "input"]
    if not matched:
        return []
    extractor = keras.Model(keras_model.inputs, [by_name[l.name].output for _, l in matched])
    ref = extractor.predict(x, verbose=0)
    if len(matched) == 1:
        ref = [ref]
    ours = [[] for _ in matched]
    for sample in x:
        outs = keep.layer_outputs(sample)
        for j, (i, _) in enumerate(matched):
            ours[j].append(outs[i])
    rows = []
    for j, (i, l) in enumerate(matched):
        a = np.asarray(ref[j]).reshape(len(x), -1)
        b = np.asarray(ours[j]).reshape(len(x), -1)
        if a.shape != b.shape:
            continue
        rows.append({"name": l.name, "type": l.type, "keras_layer": l.name, "sqnr_db": _sqnr(a, b)})
    return rows

"""Pictures on request (matplotlib): the confusion matrix and the arena plan.

Both functions build a :class:`matplotlib.figure.Figure` of their own, without
pyplot, so they neither change the caller's backend nor leave figures open;
they return it (to show, adjust or save again) and write a PNG when given a
path.
"""
from __future__ import annotations

import os
from typing import Optional, Union

import numpy as np

from ._evaluate import Evaluation
from ._model import Model

# Below this share of the largest count, a cell's number is drawn dark.
_LIGHT_TEXT_ABOVE = 0.5
_DPI = 120


def _save(fig, path):
    if path is not None:
        fig.savefig(path, dpi=_DPI)
    return fig


def plot_confusion(evaluation: Evaluation, path: Optional[Union[str, os.PathLike]] = None,
                   title: str = "confusion matrix", labels=None):
    """Draws the confusion matrix (rows: true label, columns: prediction).

    Every class has its tick, named by ``labels`` (a sequence, one per class)
    or by its index. Writes a PNG to ``path`` if given; returns the
    :class:`matplotlib.figure.Figure`.
    """
    from matplotlib.figure import Figure

    c = np.asarray(evaluation.confusion)
    n = c.shape[0]
    names = [str(i) for i in range(n)] if labels is None else [str(x) for x in labels]
    if len(names) != n:
        raise ValueError(f"plot_confusion: {len(names)} labels given for {n} classes")
    side = 1.5 + 0.5 * n
    fig = Figure(figsize=(side, side))
    ax = fig.add_subplot()
    ax.imshow(c, cmap="Blues")
    top = c.max() if c.size else 0
    for i in range(n):
        for j in range(n):
            if c[i, j]:
                ax.text(j, i, str(c[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if c[i, j] > top * _LIGHT_TEXT_ABOVE else "black")
    ax.set_xticks(range(n), names, rotation=90 if max(map(len, names), default=0) > 2 else 0)
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{title} ({100 * evaluation.accuracy:.1f}%)")
    fig.tight_layout()
    return _save(fig, path)


def plot_arena(model: Model, path: Optional[Union[str, os.PathLike]] = None):
    """Draws the arena plan: each layer's output is a rectangle from the layer
    that writes it to the last one that reads it (x) over its bytes (y);
    scratch buffers are hatched. Layers are named on the x axis, in
    execution order. Writes a PNG to ``path`` if given; returns the
    :class:`matplotlib.figure.Figure`.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch, Rectangle

    layers = model.layers
    n = len(layers)
    last = list(range(n))
    for i, l in enumerate(layers):
        for j in l.inputs:
            last[j] = max(last[j], i)
    fig = Figure(figsize=(max(6.0, n * 0.35) + 2.5, 5.0), layout="constrained")
    ax = fig.add_subplot()
    colors = _palette(n)
    has_scratch = False
    for i, l in enumerate(layers):
        if l.scratch_bytes:
            has_scratch = True
            ax.add_patch(Rectangle((i, l.scratch_offset), 1, l.scratch_bytes, hatch="//", fill=False,
                                   edgecolor="0.3"))
        if l.in_place:
            continue
        end = n if l.type == "output" else last[i] + 1
        ax.add_patch(Rectangle((i, l.arena_offset), end - i, l.arena_bytes, alpha=0.6,
                               facecolor=colors[i], edgecolor="none"))
    ax.set_xticks([i + 0.5 for i in range(n)], [l.name for l in layers], rotation=90, fontsize=7)
    ax.set_xlim(0, max(n, 1))
    ax.set_ylim(0, max(model.arena_size, 1))
    ax.set_xlabel("layer (execution order)")
    ax.set_ylabel("arena offset (bytes)")
    ax.set_title(f"arena plan: {model.arena_size} bytes")
    handles = [Patch(facecolor="0.6", alpha=0.6, label="layer output (written .. last read)")]
    if has_scratch:
        handles.append(Patch(hatch="//", fill=False, edgecolor="0.3", label="scratch (one layer)"))
    # beside the plot, where it can hide no buffer
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
    return _save(fig, path)


def _palette(n):
    from matplotlib import colormaps
    cmap = colormaps["tab20"]
    return [cmap(i % cmap.N) for i in range(n)]

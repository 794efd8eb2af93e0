"""Pictures on request (matplotlib): the confusion matrix and the arena plan."""
from __future__ import annotations

import os
from typing import Union

import numpy as np

from ._evaluate import Evaluation
from ._model import Model


def plot_confusion(evaluation: Evaluation, path: Union[str, os.PathLike], title: str = "confusion matrix") -> None:
    """Writes the confusion matrix as a PNG (rows: true label, columns: prediction)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c = evaluation.confusion
    fig, ax = plt.subplots(figsize=(1 + 0.5 * c.shape[0], 1 + 0.5 * c.shape[0]))
    ax.imshow(c, cmap="Blues")
    for i in range(c.shape[0]):
        for j in range(c.shape[1]):
            if c[i, j]:
                ax.text(j, i, str(c[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if c[i, j] > c.max() / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{title} ({100 * evaluation.accuracy:.1f}%)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_arena(model: Model, path: Union[str, os.PathLike]) -> None:
    """Writes the arena plan as a PNG: each layer's output is a rectangle from the
    layer that writes it to the last one that reads it (x) over its bytes (y)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    layers = model.layers
    last = list(range(len(layers)))
    for i, l in enumerate(layers):
        for j in l.inputs:
            last[j] = max(last[j], i)
    fig, ax = plt.subplots(figsize=(max(6, len(layers) * 0.45), 4.5))
    colors = plt.cm.tab20(np.linspace(0, 1, 20))
    for i, l in enumerate(layers):
        if l.in_place:
            continue
        end = len(layers) if l.type == "output" else last[i] + 1
        ax.add_patch(Rectangle((i, l.arena_offset), end - i, l.arena_bytes, alpha=0.6, color=colors[i % 20]))
        ax.text(i + 0.05, l.arena_offset + l.arena_bytes / 2, l.name, fontsize=6, va="center")
        if l.scratch_bytes:
            ax.add_patch(Rectangle((i, l.scratch_offset), 1, l.scratch_bytes, hatch="//", fill=False))
    ax.set_xlim(0, len(layers))
    ax.set_ylim(0, max(model.arena_size, 1))
    ax.set_xlabel("layer (execution order)")
    ax.set_ylabel("arena offset (bytes)")
    ax.set_title(f"arena plan: {model.arena_size} bytes")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)

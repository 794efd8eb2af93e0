"""nnom.Model: a .nnom model loaded into libnnom."""
from __future__ import annotations

import os
from dataclasses import dataclass
from concurrent.futures import ThreadPoolExecutor
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _nnom
from ._user_ops import op_set, plugin_paths

# nnom_options.plan_goal by name: its index is the C value (NNOM_PLAN_SMALLEST 0, NNOM_PLAN_FASTEST 1)
_PLAN_GOALS = ("smallest", "fastest")


@dataclass(frozen=True)
class Layer:
    """One layer of a compiled model, as the C runtime planned it."""

    name: str
    type: str
    inputs: Tuple[int, ...]
    shape: Tuple[int, ...]
    scale: float
    zero_point: int
    macs: int
    weight_bytes: int
    arena_offset: int
    arena_bytes: int
    scratch_offset: int
    scratch_bytes: int
    in_place: bool
    runs: int
    time_us: int


class Model:
    """A model in the .nnom format, run by libnnom.

    ``Model(path_or_bytes)`` loads a file (``str``/``os.PathLike``) or the
    file's bytes. The model keeps its own copy of the bytes, so the object
    given may be released; the weights are used in place from that copy, as
    on a device.

    A model with user operators (CUSTOM layers) loads only with each of them
    given in ``custom_ops={"name": fn}``, ``fn`` a numpy function, or in a
    plugin of C operators of ``op_plugins=["./my_ops.so"]`` (see
    docs/user-operators.md); a missing one raises :class:`NNoMError` naming it.

    ``tiling_max_extra_macs_percent``: the runtime may run the memory peak
    tile by tile (see :attr:`tiling`) when that makes the arena smaller and
    adds at most this percentage of MACs; 0 is the default (15), -1 turns
    tiling off. Outputs are the same bit for bit either way.

    ``plan``: ``"smallest"`` (the default) plans the smallest arena: convolutions
    with a window run in place, and the peak is tiled, wherever that makes it
    smaller, at some cost in time. ``"fastest"`` plans the fastest arena that fits
    ``max_arena_bytes`` (0: the runtime's default limit): neither if that fits, else
    windows in place, else tiling, else both; if none fits, loading raises
    :class:`NNoMError` naming the smallest arena and the limit. :attr:`plan` tells
    what was chosen. Outputs are the same bit for bit either way.
    """

    def __init__(self, path_or_bytes: Union[str, os.PathLike, bytes, bytearray, memoryview], *,
                 keep_all_outputs: bool = False, custom_ops: Optional[dict] = None, op_plugins=None,
                 tiling_max_extra_macs_percent: int = 0, plan: str = "smallest", max_arena_bytes: int = 0) -> None:
        if isinstance(path_or_bytes, (str, os.PathLike)):
            try:
                with open(path_or_bytes, "rb") as f:
                    data = f.read()
            except FileNotFoundError:
                raise FileNotFoundError(f"cannot read '{os.fspath(path_or_bytes)}': no such file") from None
        elif isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
            data = bytes(path_or_bytes)
        else:
            raise TypeError(f"Model() takes a path or bytes, not {type(path_or_bytes).__name__}")
        if isinstance(tiling_max_extra_macs_percent, bool) or not isinstance(tiling_max_extra_macs_percent, int) \
                or tiling_max_extra_macs_percent < -1:
            raise ValueError("tiling_max_extra_macs_percent is a percentage (0: the default, 15; -1: no tiling), "
                             f"not {tiling_max_extra_macs_percent!r}")
        if plan not in _PLAN_GOALS:
            raise ValueError(f"plan is one of {', '.join(map(repr, _PLAN_GOALS))}, not {plan!r}")
        if isinstance(max_arena_bytes, bool) or not isinstance(max_arena_bytes, int) or max_arena_bytes < 0:
            raise ValueError(f"max_arena_bytes is a number of bytes (0: the default limit), not {max_arena_bytes!r}")
        self._custom_ops = dict(custom_ops) if custom_ops else None
        self._op_plugins = plugin_paths(op_plugins)
        self._ops = op_set(self._custom_ops, self._op_plugins)
        self._m = _nnom.Model(data, keep_all_outputs, self._ops, tiling_max_extra_macs_percent,
                              _PLAN_GOALS.index(plan), max_arena_bytes)
        self._keep_all_outputs = bool(keep_all_outputs)
        self._tiling_percent = tiling_max_extra_macs_percent
        self._plan = (plan, max_arena_bytes)
        self._inputs, self._outputs = self._m.io()
        self._workers: List["Model"] = []   # copies for predict(threads=n), made on first use

    # --------------------------------------------------------------- pickling
    def __reduce__(self):
        """Pickles as the .nnom bytes (and public attributes such as ``conversion_report``), so that
        multiprocessing, Dask or Ray can ship a model to workers. Recurrent state and run statistics
        are not carried: the copy starts as a freshly loaded model."""
        extra = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        return (_unpickle, (self.to_bytes(), self._keep_all_outputs, extra, self._custom_ops, self._op_plugins,
                            self._tiling_percent, self._plan))

    def _worker_models(self, n: int) -> List["Model"]:
        """``n`` models sharing nothing with each other (this one first, then copies kept for next time)."""
        while len(self._workers) < n - 1:
            self._workers.append(Model(self.to_bytes(), custom_ops=self._custom_ops, op_plugins=self._op_plugins,
                                       tiling_max_extra_macs_percent=self._tiling_percent, plan=self._plan[0],
                                       max_arena_bytes=self._plan[1]))
        return [self] + self._workers[:n - 1]

    # ---------------------------------------------------------------- shapes
    @property
    def inputs(self) -> List[dict]:
        """Input tensors: name, shape (without batch), scale, zero_point, dtype."""
        return list(self._inputs)

    @property
    def outputs(self) -> List[dict]:
        """Output tensors: name, shape (without batch), scale, zero_point, dtype."""
        return list(self._outputs)

    @property
    def dtype(self) -> str:
        """'int8' or 'float32'."""
        return self._inputs[0]["dtype"]

    # --------------------------------------------------------------- predict
    def _prepare(self, x, spec: dict, index: int) -> Tuple[np.ndarray, bool, int]:
        arr = np.asarray(x)
        shape = tuple(spec["shape"])
        if arr.dtype == np.int8:
            if self.dtype != "int8":
                raise TypeError(f"input {index} ('{spec['name']}'): int8 data given to a float32 model")
            as_int8 = True
        elif arr.dtype.kind in "fiub":
            arr = arr.astype(np.float32, copy=False)
            as_int8 = False
        else:
            raise TypeError(f"input {index} ('{spec['name']}'): dtype {arr.dtype} is not numeric; "
                            f"expected float32 (or int8 for an int8 model)")
        if arr.shape == shape:
            arr = arr[np.newaxis]
        if arr.shape[1:] != shape:
            raise ValueError(f"input {index} ('{spec['name']}'): expected shape (batch, {', '.join(map(str, shape))}) "
                             f"or {shape}, got {arr.shape}")
        return np.ascontiguousarray(arr), as_int8, arr.shape[0]

    def predict(self, x, *more_inputs, int8_output: bool = False, check_finite: bool = True, threads: int = 1):
        """Runs the model on a batch.

        ``x`` is a numpy array of shape (batch, *input_shape) or one sample of
        input_shape; float data is quantised with the model's own input
        parameters, int8 data is used as is (int8 models). Several inputs are
        given as further positional arguments, or Keras style as one list
        ``[xa, xb]``. Returns float32 outputs
        (dequantised), or raw int8 outputs with ``int8_output=True``; a list
        when the model has several outputs.

        A NaN or an infinity in float inputs raises :class:`nnom.NNoMValueError`
        (a ``ValueError``) naming the sample, the input and the value's
        position; ``check_finite=False`` lets them through (an int8 model
        quantises NaN to the input's zero point and saturates infinities).

        The batch runs in C without the GIL: other Python threads carry on,
        and Ctrl-C stops it within milliseconds (KeyboardInterrupt). Calls
        on one model from several threads take turns; give each thread its
        own model to run in parallel, or pass ``threads=n``: the batch is cut
        into ``n`` parts, each run by its own copy of the model (models share
        nothing), with the same results as ``threads=1``. A model with
        recurrent state refuses ``threads > 1`` (its state runs from each
        sample to the next).

        Samples run one after the other: a stateful recurrent layer carries its
        state from each sample to the next, and from one call to the next,
        until :meth:`reset_state` (as Keras' stateful RNNs across
        ``predict()`` calls); other layers start every sample afresh.
        """
        xs = (x,) + more_inputs
        if not more_inputs and isinstance(x, (list, tuple)) and len(self._inputs) > 1:
            xs = tuple(x)  # Keras style: one list holding every input
        if len(xs) != len(self._inputs):
            raise ValueError(f"the model has {len(self._inputs)} inputs, {len(xs)} given")
        prepared = [self._prepare(a, spec, i) for i, (a, spec) in enumerate(zip(xs, self._inputs))]
        kinds = {p[1] for p in prepared}
        if len(kinds) != 1:
            raise TypeError("mixing int8 and float inputs in one call is not supported")
        as_int8 = kinds.pop()
        batch = prepared[0][2]
        if any(p[2] != batch for p in prepared):
            raise ValueError("all inputs need the same batch size")
        if int8_output and self.dtype != "int8":
            raise TypeError("int8_output needs an int8 model")
        arrays = [p[0] for p in prepared]
        # the runtime quantises inputs and dequantises outputs itself
        parts = _split(batch, self._threads(threads))
        if len(parts) == 1:
            raws = [self._m.predict(arrays, batch, as_int8, int8_output, check_finite)]
        else:
            def run(job):
                model, (start, stop) = job
                return model._m.predict([a[start:stop] for a in arrays], stop - start, as_int8, int8_output,
                                        check_finite)
            with ThreadPoolExecutor(len(parts)) as pool:
                raws = list(pool.map(run, zip(self._worker_models(len(parts)), parts)))
        dtype = np.int8 if int8_output else np.float32
        outs = [np.concatenate([np.frombuffer(raw[o], dtype=dtype) for raw in raws])
                .reshape((batch,) + tuple(spec["shape"])) for o, spec in enumerate(self._outputs)]
        return outs[0] if len(outs) == 1 else outs

    def _threads(self, threads: int) -> int:
        """Checks a ``threads=`` option: a positive int, 1 for a model with recurrent state."""
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be a positive integer, not {threads!r}")
        if threads > 1 and self.state_size > 0:
            raise ValueError("threads > 1: this model keeps recurrent state from one sample to the next, so its "
                             "samples must run in order on one model")
        return threads

    def layer_outputs(self, x) -> List[np.ndarray]:
        """Runs one sample and returns every layer's output (float32, dequantised).

        Needs a model loaded with ``keep_all_outputs=True``.
        """
        self.predict(x)
        outs = []
        for i, layer in enumerate(self.layers):
            buf = self._m.layer_output_f32(i)
            if buf is None:
                raise ValueError("load the model with keep_all_outputs=True to read every layer's output")
            outs.append(np.frombuffer(buf, dtype=np.float32).reshape(layer.shape).copy())
        return outs

    # ------------------------------------------------------------ inspection
    @property
    def layers(self) -> List[Layer]:
        """Every layer with its type, shape, quantisation, MACs and arena placement."""
        return [Layer(**d) for d in self._m.layers()]

    @property
    def arena_size(self) -> int:
        """Bytes of RAM for all activations and scratch (the planned arena)."""
        return self._m.sizes()[0]

    #: kernel sets of ``arena_size_for`` (the C API's nnom_kernels)
    KERNELS = {"any": 0, "portable": 1, "cortex-m-dsp": 2}

    def arena_size_for(self, kernels: str) -> int:
        """The arena a build of the runtime with ``kernels`` plans for this model: ``"portable"``
        (this package's, on a PC), ``"cortex-m-dsp"`` (a Cortex-M4/M7/M33 firmware) or ``"any"`` (a
        plan valid for both). Scratch sizes differ between kernel sets, so the plans do."""
        if kernels not in self.KERNELS:
            raise ValueError(f"kernels must be one of {', '.join(self.KERNELS)}, not {kernels!r}")
        return self._m.arena_for(self.KERNELS[kernels])

    @property
    def arena_lower_bound(self) -> int:
        """The most bytes of activations and scratch alive at any one layer: no plan of these
        buffers is smaller than this; ``arena_size`` minus this is what the placement loses."""
        return self._m.sizes()[4]

    @property
    def tiling(self) -> Optional[dict]:
        """The tiled stage of the plan (the runtime's tiled execution of the memory peak), or ``None``
        when the model runs untiled: ``first_layer`` and ``cut_layer`` (the first and last layers of the
        stage run tile by tile), ``tiles``, ``rows_per_tile`` (output rows of the cut per tile), ``untiled_arena``
        (the arena without tiling), ``saved_bytes``, ``extra_macs`` (the MACs of the halos computed again per
        run, not in ``macs``) and ``kept_band_bytes`` (bytes of the rows neighbouring tiles share kept from one
        tile to the next instead, alive through the stage; 0: halos computed again, or none)."""
        first, cut, tiles, rows, untiled, saved, extra, kept = self._m.tiling()
        if first < 0:
            return None
        return {"first_layer": first, "cut_layer": cut, "tiles": tiles, "rows_per_tile": rows,
                "untiled_arena": untiled, "saved_bytes": saved, "extra_macs": extra, "kept_band_bytes": kept}

    @property
    def plan(self) -> dict:
        """The memory plan: ``goal`` (``"smallest"`` or ``"fastest"``, as asked), ``windows_in_place``
        (convolutions with a window run in place: smaller, slower), ``tiled`` (see :attr:`tiling`),
        ``arena_bytes``, ``plain_arena_bytes`` (the arena with neither: the fastest plan; 0 when more
        than the limit), ``max_arena_bytes`` (the limit) and ``reason`` (the plan in words: its goal, what
        it uses and why; the C API's ``nnom_plan_text()``)."""
        goal, windows, tiled, arena, plain, limit, reason = self._m.plan()
        return {"goal": _PLAN_GOALS[goal], "windows_in_place": bool(windows), "tiled": bool(tiled),
                "arena_bytes": arena, "plain_arena_bytes": plain, "max_arena_bytes": limit, "reason": reason}

    @property
    def flash_size(self) -> int:
        """Bytes of the .nnom file: weights plus layer records, what firmware stores in flash."""
        return self._m.sizes()[2]

    @property
    def weight_bytes(self) -> int:
        """Bytes of constant data (weights, biases, tables) alone."""
        return self._m.sizes()[1]

    @property
    def macs(self) -> int:
        """Multiply-accumulates per inference."""
        return self._m.sizes()[3]

    def stats(self) -> List[dict]:
        """Per-layer MACs, runs and mean time in microseconds since the last reset."""
        return [{"name": l.name, "type": l.type, "macs": l.macs, "runs": l.runs,
                 "time_us": (l.time_us / l.runs) if l.runs else 0.0} for l in self.layers]

    def reset_stats(self) -> None:
        """Zeroes the per-layer run counts and times that :meth:`stats` reports."""
        self._m.reset_stats()

    # ------------------------------------------------------ recurrent state
    def _layer_index(self, layer: Union[int, str]) -> int:
        if isinstance(layer, str):
            for i, l in enumerate(self.layers):
                if l.name == layer:
                    return i
            raise KeyError(f"no layer named '{layer}'")
        if isinstance(layer, (bool, float)) or not hasattr(layer, "__index__"):
            raise TypeError(f"a layer is an index or a name, not {type(layer).__name__}")
        return layer.__index__()

    def reset_state(self) -> None:
        """Zeroes the state of every recurrent layer, as Keras' ``reset_states()``:
        stateful layers start the next sample afresh."""
        self._m.reset_state()

    def state(self, layer: Union[int, str]) -> List[np.ndarray]:
        """The state a recurrent layer (index or name) holds after the last sample: ``[h]``, or
        ``[h, c]`` for an LSTM, float32 (dequantised from int16 in int8 models); ``[]`` for other layers.
        A layer index out of range raises ``IndexError``, an unknown name ``KeyError``."""
        return [np.frombuffer(b, dtype=np.float32).copy() for b in self._m.state(self._layer_index(layer))]

    def set_state(self, layer: Union[int, str], *vectors) -> None:
        """Sets a recurrent layer's state (``h``, and ``c`` for an LSTM): a stateful layer's next sample
        starts from it."""
        index = self._layer_index(layer)
        for which, v in enumerate(vectors):
            self._m.set_state(index, which, np.ascontiguousarray(np.asarray(v, dtype=np.float32)).tobytes())

    @property
    def state_size(self) -> int:
        """Bytes of recurrent state the model keeps between runs (outside the arena)."""
        return self._m.state_size()

    def summary(self) -> str:
        """A table of the layers, like ``nnom inspect``. A model from :func:`nnom.convert` names each layer's
        type as its conversion report does (a Keras Dense on a sequence, run as a 1x1 conv1d, is "dense")."""
        report = getattr(self, "conversion_report", None)
        types = {r["name"]: r["type"] for r in report.rows} if report is not None else {}
        rows = [f"{'layer':<22} {'type':<16} {'output':<14} {'scale':>10} {'zp':>5} {'MACs':>9} {'offset':>7} {'bytes':>7}"]
        t = self.tiling
        for i, l in enumerate(self.layers):
            if t and t["first_layer"] <= i <= t["cut_layer"]:
                note = "  tiled (cut: written tile by tile)" if i == t["cut_layer"] else "  tiled (one band at a time)"
            else:
                note = "  in place" if l.in_place and l.type not in ("flatten", "reshape", "output") else ""
            rows.append(f"{l.name[:22]:<22} {types.get(l.name, l.type):<16} {'x'.join(map(str, l.shape)):<14} {l.scale:>10.5f} "
                        f"{l.zero_point:>5} {l.macs:>9} {l.arena_offset:>7} {l.arena_bytes:>7}" + note)
        rows.append(f"arena {self.arena_size} bytes (lower bound {self.arena_lower_bound}; a Cortex-M DSP "
                    f"build plans {self.arena_size_for('cortex-m-dsp')}), "
                    f"flash {self.flash_size} bytes, {self.macs} MACs")
        rows.append(f"plan: {self.plan['reason']}")
        if t:
            names = [l.name for l in self.layers]
            rows.append(f"tiled: layers {t['first_layer']}..{t['cut_layer']} ({names[t['first_layer']]} to "
                        f"{names[t['cut_layer']]}) in {t['tiles']} tiles of {t['rows_per_tile']} rows: "
                        f"{t['saved_bytes']} bytes saved (untiled arena {t['untiled_arena']}), "
                        f"{t['extra_macs']} MACs added ({100.0 * t['extra_macs'] / max(self.macs, 1):.1f} %)"
                        + (f", halos kept ({t['kept_band_bytes']} bytes through the stage)" if t['kept_band_bytes'] else ""))
        return "\n".join(rows)

    # ---------------------------------------------------------------- output
    def to_bytes(self) -> bytes:
        """The .nnom file's bytes."""
        return self._m.to_bytes()

    def save(self, path: Union[str, os.PathLike]) -> None:
        """Writes the .nnom file."""
        with open(path, "wb") as f:
            f.write(self.to_bytes())

    def to_header(self, path: Union[str, os.PathLike], name: Optional[str] = None) -> str:
        """Writes a C header holding this model's bytes and a ``<name>_load()`` function for firmware.

        ``name`` is a C identifier; by default the file's name made one
        (``weights-v2.h``: ``weights_v2``), as ``nnom convert --header`` does.
        Returns the name used."""
        return _nnom.write_header(self.to_bytes(), os.fspath(path), name, None, self._ops)

    def __repr__(self) -> str:
        return (f"<nnom.Model {self.dtype}: {len(self.layers)} layers, arena {self.arena_size} B, "
                f"flash {self.flash_size} B>")


def _unpickle(data: bytes, keep_all_outputs: bool, extra: dict, custom_ops: Optional[dict] = None,
              op_plugins=None, tiling_percent: int = 0, plan=("smallest", 0)) -> Model:
    model = Model(data, keep_all_outputs=keep_all_outputs, custom_ops=custom_ops, op_plugins=op_plugins,
                  tiling_max_extra_macs_percent=tiling_percent, plan=plan[0], max_arena_bytes=plan[1])
    model.__dict__.update(extra)
    return model


def _split(n: int, parts: int) -> List[Tuple[int, int]]:
    """[start, stop) ranges cutting n samples into at most ``parts`` nearly equal, non-empty parts."""
    parts = max(1, min(parts, n))
    edges = [n * k // parts for k in range(parts + 1)]
    return [(edges[k], edges[k + 1]) for k in range(parts)]

"""RAM of nnom against TensorFlow Lite Micro, model by model.

For each model (the digits models of benchmarks/tflm_compare.py, a Keras
re-creation of the 28x28 CNN of examples/c, MobileNetV1 alpha 0.25 at 96x96x3
with 2 classes from keras.applications, and the MLPerf Tiny re-creations of
benchmarks/mlperf when that folder exists), with random weights and
calibration on a few inputs (the arena does not depend on the weights):
  - nnom: nnom.convert() run by libnnom; the arena (model.arena_size), its
    lower bound (the most bytes alive at one layer, model.arena_lower_bound),
    and the bytes the loaded model's structures keep (C API through a counting
    allocator, on x86-64);
  - TFLM: TensorFlow's full-integer quantisation of the same Keras model, run
    by the tflite-micro Python interpreter: the head of its arena (activations
    and scratch, from its RecordingMicroAllocator report) and the smallest
    arena that works (bisection, each try in its own process).
Writes benchmarks/results/memory.md and prints it.

usage: python3 benchmarks/memory.py [--only NAME ...]   (benchmarks/memory.sh installs what is missing)
"""
import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
N_CALIBRATION = 32
SEED = 1


def cnn28(keras, batch_size=None):
    """The 28x28 CNN of examples/c/cnn28_model.c, as a Keras model."""
    L = keras.layers
    i = keras.Input((28, 28, 1), batch_size=batch_size, name="image")
    h = i
    for filters in (12, 24, 48):
        h = L.Conv2D(filters, 3, padding="same", activation="relu")(h)
        h = L.MaxPooling2D(2)(h)
    h = L.Flatten()(h)
    h = L.Dense(96, activation="relu")(h)
    return keras.Model(i, L.Dense(10, activation="softmax")(h), name="cnn28")


def mobilenet_v1(keras, batch_size=None):
    """MLPerf Tiny's visual wake words architecture: MobileNetV1, alpha 0.25, 96x96x3, 2 classes."""
    m = keras.applications.MobileNet(input_tensor=keras.Input((96, 96, 3), batch_size=batch_size), alpha=0.25,
                                     weights=None, classes=2)
    return keras.Model(m.inputs, m.outputs, name="mobilenet_v1_025")


def mlperf_models(keras):
    """Builders (keras, batch_size=None) of the MLPerf Tiny re-creations of benchmarks/mlperf, if that
    package is there."""
    path = os.path.join(HERE, "mlperf")
    if not os.path.isdir(path):
        return []
    try:
        sys.path.insert(0, HERE)
        import mlperf  # noqa: F401  (benchmarks/mlperf/__init__.py)
        builders = getattr(mlperf, "MODELS", None) or getattr(mlperf, "models", None)
        return list(builders(keras) if callable(builders) else builders or [])
    except Exception as e:  # the folder exists but offers no builders this script knows
        print(f"memory: benchmarks/mlperf not used ({e})", file=sys.stderr)
        return []


def set_batchnorm_statistics(keras, model, x):
    """Sets each BatchNormalization's moving mean and variance to those of its input on @p x, in order, so
    that random weights keep activations in range through deep models (with the defaults, 0 and 1, the
    values of a random MobileNet shrink layer after layer until TensorFlow's quantiser gives scales that
    TFLM refuses)."""
    import numpy as np

    for layer in model.layers:
        if not isinstance(layer, keras.layers.BatchNormalization):
            continue
        probe = keras.Model(model.inputs, layer.input)
        h = np.asarray(probe.predict(x, verbose=0))
        axes = tuple(range(h.ndim - 1))
        gamma, beta, _, _ = layer.get_weights()
        layer.set_weights([gamma, beta, h.mean(axis=axes), h.var(axis=axes) + 1e-3])


def calibration(keras_model, np):
    shape = tuple(int(d) for d in keras_model.inputs[0].shape[1:])
    rng = np.random.default_rng(SEED)
    return rng.random((N_CALIBRATION, *shape), dtype=np.float32)


def measure(build, keras, np, tf, tc, nnom, work):
    model = build(keras)
    x = calibration(model, np)
    set_batchnorm_statistics(keras, model, x)
    q = nnom.convert(model, x)
    data = q.to_bytes()
    lib = nnom._nnom.__file__
    structs = tc.NnomC(lib, data).struct_bytes
    # TensorFlow's converter keeps a Reshape with an unknown batch as SHAPE/STRIDED_SLICE/PACK ops, which
    # TFLM's interpreter does not build: it converts a twin with batch 1 and the same weights
    twin = build(keras, batch_size=1)
    twin.set_weights(model.get_weights())
    tfl = tc.tflite_convert(tf, twin, x)
    path = os.path.join(work, model.name + ".tflite")
    with open(path, "wb") as f:
        f.write(tfl)
    rep = tc.tflm_arena(path, len(tfl))
    def in_place(kind):
        layers = [l for l in q.layers if kind(l)]
        return sum(1 for l in layers if l.in_place), len(layers)

    depthwise = in_place(lambda l: l.type.startswith("depthwise"))
    # a 1x1 convolution (int8): one multiply-accumulate per output byte and input channel
    pointwise = in_place(lambda l: l.type.startswith("conv")
                         and l.macs == l.arena_bytes * q.layers[l.inputs[0]].shape[-1])
    padding = in_place(lambda l: l.type.startswith("zero_padding"))
    tiling = q.tiling
    return {
        "name": model.name, "macs": q.macs, "arena": q.arena_size, "lower": q.arena_lower_bound,
        "untiled": tiling["untiled_arena"] if tiling else q.arena_size,
        "tiling": (f"layers {tiling['first_layer']}..{tiling['cut_layer']}, {tiling['tiles']} x "
                   f"{tiling['rows_per_tile']} rows, +{tiling['extra_macs']:,} MACs "
                   f"(+{100.0 * tiling['extra_macs'] / q.macs:.1f} %)") if tiling else "none",
        "structs": structs, "tflm_head": rep["head"], "tflm_tail": rep["tail"], "tflm_min": rep["min"],
        "in_place": (depthwise, pointwise, padding),
    }


def table(rows):
    out = ["| model | MACs | nnom arena | nnom lower bound | untiled arena | tiled stage | TFLM head arena "
           "| nnom arena / TFLM head "
           "| nnom arena + structs | TFLM smallest arena | total / TFLM total "
           "| in place: depthwise, 1x1 conv, padding |",
           "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        total = r["arena"] + r["structs"]
        out.append(f"| {r['name']} | {r['macs']:,} | {r['arena']:,} | {r['lower']:,} | {r['untiled']:,} "
                   f"| {r['tiling']} | {r['tflm_head']:,} "
                   f"| {r['arena'] / r['tflm_head']:.2f}x | {total:,} | {r['tflm_min']:,} "
                   f"| {total / r['tflm_min']:.2f}x | "
                   + ", ".join(f"{a} of {b}" for a, b in r["in_place"]) + " |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", default=None, help="model names to measure")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "memory.md"))
    args = ap.parse_args()
    t0 = time.time()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import tensorflow as tf
    import keras
    import nnom
    import tflm_compare as tc

    keras.utils.set_random_seed(SEED)
    builders = [lambda k, batch_size=None, f=f: f(batch_size) for f in tc.make_models(keras)]
    builders += [cnn28, mobilenet_v1] + mlperf_models(keras)
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for build in builders:
            name = build(keras).name
            if args.only and name not in args.only:
                continue
            print(f"memory: {name}", file=sys.stderr, flush=True)
            rows.append(measure(build, keras, np, tf, tc, nnom, work))

    try:
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        commit = "?"
    from importlib.metadata import version
    lines = [
        "# RAM: nnom against TensorFlow Lite Micro",
        "",
        f"Generated by `benchmarks/memory.sh` on {datetime.date.today().isoformat()}; do not edit. "
        f"Versions: tensorflow {tf.__version__}, keras {keras.__version__}, tflite-micro {version('tflite-micro')}, "
        f"nnom {nnom.__version__} (commit {commit}), Python {platform.python_version()}.",
        "",
        table(rows),
        "",
        "How each number is measured:",
        "",
        "- Models: random weights (seed 1; each BatchNormalization's statistics set to those of its input, "
        "so that activations keep their range), calibrated on 32 random inputs in [0, 1) by both converters; "
        "the arena depends on shapes and the plan, not on weights. digits models: benchmarks/tflm_compare.py; "
        "cnn28: examples/c/cnn28_model.c in Keras; mobilenet_v1_025: `keras.applications.MobileNet(alpha=0.25, "
        "input_shape=(96, 96, 3), classes=2, weights=None)`.",
        "- **nnom arena**: `model.arena_size`, activations and scratch as planned by the runtime (the scratch of "
        "the larger of the portable and Cortex-M DSP kernels, so the same on the PC and the device). "
        "**lower bound**: `model.arena_lower_bound`, the most bytes alive at one layer; no placement of the "
        "same buffers is smaller. **structs**: bytes the model's structures keep after `nnom_model_load` "
        "(counting allocator, x86-64: 8-byte pointers; smaller on a Cortex-M).",
        "- **untiled arena**: the arena the same model plans with tiling off "
        "(`nnom_options.tiling_max_extra_macs_percent = NNOM_TILING_OFF`); **tiled stage**: the layers the "
        "runtime runs tile by tile (bands of output rows of the last one, the halo computed again), the tiles "
        "and the MACs the halos add per run (not in the MACs column), within the default budget of 15 %.",
        "- **TFLM head arena**: the head of TFLM's arena (activations and scratch) as its RecordingMicroAllocator "
        "reports it; **smallest arena**: the smallest `arena_size` with which the interpreter builds and runs, "
        "by bisection (its tail holds the tensor and node structs, so it compares with nnom's arena + structs). "
        "TFLM's x86 build runs its reference kernels, whose convolutions need no scratch; with CMSIS-NN on a "
        "Cortex-M its head grows by the im2col scratch.",
        "",
        f"Whole run: {time.time() - t0:.0f} s.",
    ]
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()

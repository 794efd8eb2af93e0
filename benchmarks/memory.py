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

usage: python3 benchmarks/memory.py measure --json ROWS.json [--fw-dir DIR] [--only NAME ...]
       python3 benchmarks/memory.py report --json ROWS.json [--m4 M4.txt]
       (benchmarks/memory.sh runs both, with the Cortex-M4 firmware between them)
"""
import argparse
import datetime
import os
import platform
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
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
    """Builders (keras, batch_size=None) of the MLPerf Tiny re-creations of benchmarks/mlperf/make_models.py
    that this script does not have already (its MobileNetV1 is mobilenet_v1 above): DS-CNN keyword
    spotting, ResNet-8 and the dense autoencoder. A batch size wraps the model behind an input of that
    batch (TFLM's twin)."""
    import importlib.util

    path = os.path.join(HERE, "mlperf", "make_models.py")
    if not os.path.isfile(path):
        return []
    spec = importlib.util.spec_from_file_location("make_models", path)
    mm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mm)

    def wrap(fn):
        def build(keras, batch_size=None):
            m = fn()
            if batch_size is None:
                return m
            i = keras.Input(tuple(m.inputs[0].shape[1:]), batch_size=batch_size)
            return keras.Model(i, m(i), name=m.name)
        return build

    return [wrap(mm.ds_cnn), wrap(mm.resnet8), wrap(mm.autoencoder)]


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


def firmware_headers(q, data, x, fw, fw_dir, np, nnom):
    """weights.h (the .nnom bytes) and an inputs header with one input, the first calibration sample
    quantised, for the firmware of examples/cortex-m4 (named @p fw)."""
    weights = os.path.join(fw_dir, f"{fw}_weights.h")
    nnom._nnom.write_header(data, weights, fw, f"benchmarks/memory.py ({q.layers[0].name})")
    with open(weights) as f:
        layers_line = next(l for l in f if "nnom-layers:" in l).strip(" *\n")
    first = q.layers[0]
    xq = np.clip(np.round(x[0].reshape(-1) / first.scale) + first.zero_point, -128, 127).astype(np.int8)
    with open(os.path.join(fw_dir, f"{fw}_inputs.h"), "w") as f:
        f.write(f"/*\n * {fw}_inputs.h: one int8 input for the nnom firmware. Generated by benchmarks/memory.py; "
                f"do not edit.\n *\n * {layers_line}\n */\n#include <stdint.h>\n\n#define FW_TEST_COUNT 1\n"
                f"#define FW_TEST_INPUT_BYTES {xq.size}\n\nstatic const int8_t fw_test_inputs[1][{xq.size}] = {{{{\n")
        f.write(",\n".join(", ".join(str(int(v)) for v in xq[k:k + 24]) for k in range(0, xq.size, 24)))
        f.write("}};\n")
    with open(os.path.join(fw_dir, "models.txt"), "a") as f:
        f.write(fw + "\n")


def measure(build, keras, np, tf, tc, nnom, work, fw_dir):
    model = build(keras)
    x = calibration(model, np)
    set_batchnorm_statistics(keras, model, x)
    q = nnom.convert(model, x)
    data = q.to_bytes()
    lib = nnom._nnom.__file__
    structs = tc.NnomC(lib, data).struct_bytes
    fw = "".join(c if c.isalnum() else "_" for c in model.name) + "_k"
    if fw_dir:
        firmware_headers(q, data, x, fw, fw_dir, np, nnom)
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

    def pointwise(l):  # a 1x1 convolution (int8): one multiply-accumulate per output byte and input channel
        return l.macs == l.arena_bytes * q.layers[l.inputs[0]].shape[-1]

    depthwise = in_place(lambda l: l.type.startswith("depthwise"))
    conv1x1 = in_place(lambda l: l.type.startswith("conv") and pointwise(l))
    windowed = in_place(lambda l: l.type.startswith("conv") and not pointwise(l))
    padding = in_place(lambda l: l.type.startswith("zero_padding"))
    tiling = q.tiling
    return {
        "name": model.name, "fw": fw, "layers": len(q.layers), "macs": q.macs, "arena": q.arena_size,
        "arena_dsp": q.arena_size_for("cortex-m-dsp"), "lower": q.arena_lower_bound,
        "untiled": tiling["untiled_arena"] if tiling else q.arena_size,
        "tiling": (f"layers {tiling['first_layer']}..{tiling['cut_layer']}, {tiling['tiles']} x "
                   f"{tiling['rows_per_tile']} rows, +{tiling['extra_macs']:,} MACs "
                   f"(+{100.0 * tiling['extra_macs'] / q.macs:.1f} %)") if tiling else "none",
        "structs": structs, "tflm_head": rep["head"], "tflm_tail": rep["tail"], "tflm_min": rep["min"],
        "in_place": (depthwise, conv1x1, windowed, padding),
    }


def ratio(a, b):
    return f"{a / b:.2f}x" if a is not None and b else "-"


def num(v):
    return f"{v:,}" if v is not None else "-"


def tables(rows, m4):
    arena = ["| model | MACs | nnom arena (PC) | lower bound | untiled arena (PC) | tiled stage | TFLM head arena "
             "| nnom / TFLM head | nnom arena, Cortex-M4 firmware "
             "| in place: depthwise, 1x1 conv, windowed conv, padding |",
             "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|"]
    total = ["| model | layers | nnom structs (PC) | nnom bookkeeping, Cortex-M4 | per layer | nnom stack, Cortex-M4 "
             "| nnom arena + structs (PC) | TFLM smallest arena | total / TFLM total "
             "| nnom arena + bookkeeping, Cortex-M4 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        fw = m4.get(r["fw"], {})
        arena.append(f"| {r['name']} | {r['macs']:,} | {r['arena']:,} | {r['lower']:,} | {r['untiled']:,} "
                     f"| {r['tiling']} | {r['tflm_head']:,} "
                     f"| {ratio(r['arena'], r['tflm_head'])} | {num(fw.get('arena', r['arena_dsp']))} | "
                     + ", ".join(f"{a} of {b}" for a, b in r["in_place"]) + " |")
        pc_total = r["arena"] + r["structs"]
        book = fw.get("book")
        per_layer = f"{book / r['layers']:.0f}" if book else "-"
        device_total = num(fw["arena"] + book) if book else "-"
        total.append(f"| {r['name']} | {r['layers']} | {r['structs']:,} | {num(book)} | {per_layer} "
                     f"| {num(fw.get('stack'))} | {pc_total:,} | {r['tflm_min']:,} | {ratio(pc_total, r['tflm_min'])} "
                     f"| {device_total} |")
    return "\n".join(arena), "\n".join(total)


def read_m4(path):
    """memory.sh's firmware results: "m4 NAME arena bookkeeping stack instructions macs" and
    "x86 cnn28 instructions macs" lines."""
    m4, x86 = {}, {}
    if path and os.path.isfile(path):
        with open(path) as f:
            for line in f:
                p = line.split()
                if p and p[0] == "m4":
                    m4[p[1]] = dict(zip(("arena", "book", "stack", "instr", "macs"), map(int, p[2:7])))
                elif p and p[0] == "x86":
                    x86[p[1]] = dict(zip(("instr", "macs"), map(int, p[2:4])))
    return m4, x86


def report(args):
    import json

    with open(args.json) as f:
        meta = json.load(f)
    rows = meta["rows"]
    m4, x86 = read_m4(args.m4)
    arena_table, total_table = tables(rows, m4)
    speed = []
    if "cnn28" in m4 and "cnn28" in x86:
        a, b = m4["cnn28"], x86["cnn28"]
        speed = [f"28x28 CNN of examples/c/cnn28_model.c ({a['macs']:,} MACs): **{a['instr'] / a['macs']:.2f} "
                 f"instructions per MAC on the Cortex-M4** (-Os, DSP kernels; goal <= 1.5) and **"
                 f"{b['instr'] / b['macs']:.2f} on x86-64** (-O2, portable kernels; goal <= 2.0); its firmware's "
                 f"arena {a['arena']:,} B, bookkeeping {a['book']:,} B, stack {a['stack']:,} B.", ""]
    worst_arena = max(r["arena"] / r["tflm_head"] for r in rows)
    worst_total = max((r["arena"] + r["structs"]) / r["tflm_min"] for r in rows)
    lines = [
        "# RAM: nnom against TensorFlow Lite Micro",
        "",
        f"Generated by `benchmarks/memory.sh` on {meta['date']}; do not edit. Versions: {meta['versions']}.",
        "",
        "Activations and scratch (the arena):",
        "",
        arena_table,
        "",
        "Everything else in RAM, and the totals:",
        "",
        total_table,
        "",
        f"Goals: arena <= TFLM's head arena on every model (worst here: {worst_arena:.2f}x); "
        f"total <= 0.6x TFLM's total (worst here: {worst_total:.2f}x).",
        "",
    ] + speed + [
        "How each number is measured:",
        "",
        "- Models: random weights (seed 1; each BatchNormalization's statistics set to those of its input, "
        "so that activations keep their range), calibrated on 32 random inputs in [0, 1) by both converters; "
        "the arena depends on shapes and the plan, not on weights. digits models: benchmarks/tflm_compare.py; "
        "cnn28: examples/c/cnn28_model.c in Keras; mobilenet_v1_025: `keras.applications.MobileNet(alpha=0.25, "
        "input_shape=(96, 96, 3), classes=2, weights=None)`; kws, resnet8, ad: the MLPerf Tiny re-creations of "
        "benchmarks/mlperf/make_models.py (DS-CNN 49x10x1 with 64 channels, ResNet-8 32x32x3, the 640-input "
        "dense autoencoder).",
        "- **nnom arena (PC)**: `model.arena_size`, activations and scratch as the PC's runtime plans them (its "
        "portable kernels' scratch). **Cortex-M4 firmware**: the arena the firmware of examples/cortex-m4 "
        "(DSP kernels) plans for the same .nnom file and prints under QEMU (the host's "
        "`model.arena_size_for(\"cortex-m-dsp\")` gives the same). **lower bound**: `model.arena_lower_bound`, "
        "the most bytes alive at one layer; no placement of the same buffers is smaller. **structs (PC)**: "
        "bytes the model's structures keep after `nnom_model_load` (counting allocator, x86-64: 8-byte pointers).",
        "- **Cortex-M4**: one -Os firmware per model (arm-none-eabi-gcc, every layer type linked, DSP kernels) "
        "run under QEMU mps2-an386: **bookkeeping** is what `nnom_model_load` took from the firmware's static "
        "pool (layer table, plan, I/O lists; weights, names and parameters stay in flash), **stack** the "
        "high-water mark of the whole program (painted stack). Total on the device: arena + bookkeeping "
        "(+ stack).",
        "- **TFLM head arena**: the head of TFLM's arena (activations and scratch) as its RecordingMicroAllocator "
        "reports it; **smallest arena**: the smallest `arena_size` with which the interpreter builds and runs, "
        "by bisection (its tail holds the tensor and node structs, so it compares with nnom's arena + structs, "
        "both on x86-64). TFLM's x86 build runs its reference kernels, whose convolutions need no scratch; "
        "with CMSIS-NN on a Cortex-M its head grows by the im2col scratch.",
        "- Instructions per MAC: the Cortex-M4 count is exact (the instruction-counting TCG plugin of "
        "tools/qemu-insn-plugin, between the firmware's markers); x86-64: valgrind callgrind inside "
        "`nnom_model_run` (benchmarks/bench_cnn28).",
        "",
        f"Whole run: {meta['seconds']:.0f} s on the PC side.",
    ]
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="step", required=True)
    m = sub.add_parser("measure", help="nnom and TFLM on this PC; firmware headers")
    m.add_argument("--only", nargs="*", default=None, help="model names to measure")
    m.add_argument("--fw-dir", default=None, help="where to write each model's firmware headers")
    m.add_argument("--json", required=True)
    r = sub.add_parser("report", help="write the tables")
    r.add_argument("--json", required=True)
    r.add_argument("--m4", default=None, help="memory.sh's firmware results")
    r.add_argument("--out", default=os.path.join(HERE, "results", "memory.md"))
    args = ap.parse_args()
    if args.step == "report":
        report(args)
        return
    import json

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
            rows.append(measure(build, keras, np, tf, tc, nnom, work, args.fw_dir))
    commit = tc.git_commit()
    from importlib.metadata import version
    meta = {
        "rows": rows, "date": datetime.date.today().isoformat(), "seconds": time.time() - t0,
        "versions": f"tensorflow {tf.__version__}, keras {keras.__version__}, tflite-micro {version('tflite-micro')}, "
                    f"nnom {nnom.__version__} (commit {commit}), "
                    f"Python {platform.python_version()}",
    }
    with open(args.json, "w") as f:
        json.dump(meta, f)


if __name__ == "__main__":
    main()

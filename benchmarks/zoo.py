"""A sweep over architectures the project was not tuned on: does each convert, and how well does it run?

Each model is built with random weights (seeded; no downloads: weights=None), each BatchNormalization's
statistics set to those of its input on the calibration data (as benchmarks/memory.py does, so that
activations keep their range through deep random models), saved as .keras and then:
  - converted by nnom.convert() (calibration: 32 random inputs), or the converter's error message;
  - run by the C runtime, int8 (model.predict) and float32 (benchmarks/zoo_run.c runs the converter's
    float32 model and, as a cross-check, its int8 model) on 64 other random inputs, against Keras' own
    float outputs: SQNR and top-1 agreement;
  - TensorFlow Lite Micro's head arena for TensorFlow's int8 conversion of the same model (when that
    converts and runs);
  - x86-64 instructions per MAC of the int8 model (callgrind, portable kernels) for models of at most
    CALLGRIND_MAX_MACS;
  - once under AddressSanitizer + UBSan (zoo_run built with -DNNOM_SANITIZE=ON) on a few inputs.
Writes benchmarks/results/zoo.md.

usage: python3 benchmarks/zoo.py --zoo-run BUILD/benchmarks/zoo_run [--asan-run ASAN/benchmarks/zoo_run]
                                 [--only NAME ...] [--no-tflm] [--no-callgrind]
       (benchmarks/zoo.sh builds both and runs this)
"""
import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
SEED = 1
N_CALIBRATION = 32
N_TEST = 64
N_ASAN_CALIBRATION, N_ASAN_TEST = 4, 2
CALLGRIND_MAX_MACS = 8_000_000
CALLGRIND_RUNS = 2
NUMBER_OF_CLASSES = 10
TFLM_TIMEOUT_S = 300


# --------------------------------------------------------------------------- the models
# Each builder: (keras, batch_size=None) -> keras.Model; the batch size gives TFLM's twin (batch 1).
# Each model also names the range of its random inputs: keras.applications models that rescale their
# inputs themselves (Rescaling/Normalization layers) take pixels in [0, 255].

def mobilenet_v2(keras, batch_size=None):
    return keras.applications.MobileNetV2(input_tensor=keras.Input((96, 96, 3), batch_size=batch_size), alpha=0.35,
                                          weights=None, classes=NUMBER_OF_CLASSES, name="mobilenet_v2_035")


def mobilenet_v3_small(keras, batch_size=None):
    return keras.applications.MobileNetV3Small(input_tensor=keras.Input((96, 96, 3), batch_size=batch_size),
                                               weights=None, classes=NUMBER_OF_CLASSES, minimalistic=False,
                                               name="mobilenet_v3_small")


def mobilenet_v3_small_min(keras, batch_size=None):
    return keras.applications.MobileNetV3Small(input_tensor=keras.Input((96, 96, 3), batch_size=batch_size),
                                               weights=None, classes=NUMBER_OF_CLASSES, minimalistic=True,
                                               name="mobilenet_v3_small_minimalistic")


def mobilenet_v3_large(keras, batch_size=None):
    return keras.applications.MobileNetV3Large(input_tensor=keras.Input((96, 96, 3), batch_size=batch_size),
                                               alpha=0.75, weights=None, classes=NUMBER_OF_CLASSES,
                                               name="mobilenet_v3_large_075")


def efficientnet_b0(keras, batch_size=None):
    return keras.applications.EfficientNetB0(input_tensor=keras.Input((64, 64, 3), batch_size=batch_size),
                                             weights=None, classes=NUMBER_OF_CLASSES, name="efficientnet_b0")


def densenet_blocks(keras, batch_size=None):
    """Two DenseNet blocks (BN-ReLU-Conv1x1-BN-ReLU-Conv3x3, each output concatenated to its input) with a
    transition (BN-ReLU-Conv1x1-AveragePooling) between them, on 32x32x3."""
    L = keras.layers
    i = keras.Input((32, 32, 3), batch_size=batch_size)
    h = L.Conv2D(16, 3, padding="same", use_bias=False)(i)
    for block in range(2):
        for _ in range(3):
            t = L.Activation("relu")(L.BatchNormalization()(h))
            t = L.Conv2D(32, 1, use_bias=False)(t)
            t = L.Activation("relu")(L.BatchNormalization()(t))
            t = L.Conv2D(8, 3, padding="same", use_bias=False)(t)
            h = L.Concatenate()([h, t])
        if block == 0:
            h = L.Activation("relu")(L.BatchNormalization()(h))
            h = L.Conv2D(int(h.shape[-1]) // 2, 1, use_bias=False)(h)
            h = L.AveragePooling2D(2)(h)
    h = L.Activation("relu")(L.BatchNormalization()(h))
    h = L.GlobalAveragePooling2D()(h)
    return keras.Model(i, L.Dense(NUMBER_OF_CLASSES, activation="softmax")(h), name="densenet_blocks")


def inception_blocks(keras, batch_size=None):
    """Two Inception-v1-style blocks (1x1; 1x1-3x3; 1x1-5x5; 3x3 max pool stride 1-1x1, concatenated) on
    32x32x3, with a stride-2 pool between them."""
    L = keras.layers
    i = keras.Input((32, 32, 3), batch_size=batch_size)
    h = L.Conv2D(16, 3, strides=2, padding="same", activation="relu")(i)

    def block(x, c):
        a = L.Conv2D(c, 1, activation="relu")(x)
        b = L.Conv2D(c, 1, activation="relu")(x)
        b = L.Conv2D(c * 2, 3, padding="same", activation="relu")(b)
        d = L.Conv2D(c // 2, 1, activation="relu")(x)
        d = L.Conv2D(c, 5, padding="same", activation="relu")(d)
        p = L.MaxPooling2D(3, strides=1, padding="same")(x)
        p = L.Conv2D(c, 1, activation="relu")(p)
        return L.Concatenate()([a, b, d, p])

    h = block(h, 8)
    h = L.MaxPooling2D(3, strides=2, padding="same")(h)
    h = block(h, 12)
    h = L.GlobalAveragePooling2D()(h)
    return keras.Model(i, L.Dense(NUMBER_OF_CLASSES, activation="softmax")(h), name="inception_blocks")


def kws_conv1d(keras, batch_size=None):
    """A keyword-spotting Conv1D model on 49 frames of 10 MFCCs: Conv1D-BN-ReLU stacks, Dropout,
    GlobalMaxPooling1D."""
    L = keras.layers
    i = keras.Input((49, 10), batch_size=batch_size)
    h = i
    for filters, stride in ((32, 1), (48, 2), (64, 1)):
        h = L.Conv1D(filters, 5, strides=stride, padding="same", use_bias=False)(h)
        h = L.BatchNormalization()(h)
        h = L.ReLU()(h)
        h = L.Dropout(0.2)(h)
    h = L.GlobalMaxPooling1D()(h)
    h = L.Dense(32, activation="relu")(h)
    return keras.Model(i, L.Dense(12, activation="softmax")(h), name="kws_conv1d")


def rnn_stack(keras, batch_size=None):
    """LSTM and GRU layers stacked with return_sequences=True, on 20 steps of 16 features."""
    L = keras.layers
    i = keras.Input((20, 16), batch_size=batch_size)
    h = L.LSTM(32, return_sequences=True)(i)
    h = L.GRU(24, return_sequences=True)(h)
    h = L.LSTM(16)(h)
    return keras.Model(i, L.Dense(NUMBER_OF_CLASSES, activation="softmax")(h), name="rnn_stack")


# (builder, input range, include in callgrind/ASan as usual)
MODELS = [
    (mobilenet_v2, 1.0), (mobilenet_v3_small, 255.0), (mobilenet_v3_small_min, 255.0),
    (mobilenet_v3_large, 255.0), (efficientnet_b0, 255.0), (densenet_blocks, 1.0), (inception_blocks, 1.0),
    (kws_conv1d, 1.0), (rnn_stack, 1.0),
]


# --------------------------------------------------------------------------- measuring
def prepare(keras, np, model, scale, n_calibration, n_test):
    """Random calibration and test inputs for @p model, uniform in [0, scale) (seeded), and its
    BatchNormalization statistics set from the calibration inputs."""
    shape = tuple(int(d) for d in model.inputs[0].shape[1:])
    rng = np.random.default_rng(SEED)
    x = (rng.random((n_calibration, *shape), dtype=np.float32) * scale).astype(np.float32)
    xt = (rng.random((n_test, *shape), dtype=np.float32) * scale).astype(np.float32)
    set_batchnorm_statistics(keras, model, x)
    return x, xt


def set_batchnorm_statistics(keras, model, x):
    """Each BatchNormalization's moving mean and variance set to those of its input on @p x (in graph
    order, so that later layers see the normalised earlier ones)."""
    import numpy as np

    for layer in model.layers:
        if not isinstance(layer, keras.layers.BatchNormalization):
            continue
        probe = keras.Model(model.inputs, layer.input)
        h = np.asarray(probe(x, training=False))   # eager: no tf.function traced per layer
        axes = tuple(range(h.ndim - 1))
        gamma, beta, _, _ = layer.get_weights()
        layer.set_weights([gamma, beta, h.mean(axis=axes), h.var(axis=axes) + 1e-3])


def sqnr_db(ref, test):
    import numpy as np

    ref, test = np.asarray(ref, np.float64), np.asarray(test, np.float64)
    noise = float(np.sum((ref - test) ** 2))
    signal = float(np.sum(ref ** 2))
    return 200.0 if noise == 0 else 10.0 * np.log10(signal / noise)


def agreement(ref, test):
    import numpy as np

    return float(np.mean(np.argmax(ref.reshape(len(ref), -1), 1) == np.argmax(test.reshape(len(test), -1), 1)))


def short(e, limit=300):
    s = " ".join(str(e).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


def tflite_peer(tf, tc, keras, build, model, x, xt, y_ref, work):
    """TensorFlow's int8 conversion of a batch-1 twin of @p model (calibrated on @p x): its outputs on @p xt
    (TensorFlow Lite's interpreter) against Keras' @p y_ref, and TFLM's head arena (activations and
    scratch) for it, or the reason it does not run there."""
    import numpy as np

    # TensorFlow's converter crashes (SIGSEGV) on some Keras 3 models (LSTM, GRU): it runs in a child process
    path = os.path.join(work, model.name + ".tflite")
    np.save(path + ".calib.npy", x)
    cmd = [sys.executable, os.path.abspath(__file__), "--tflite-worker", build.__name__,
           os.path.join(work, model.name + ".keras"), path + ".calib.npy", path]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=TFLM_TIMEOUT_S)
    if r.returncode != 0:
        why = f"signal {-r.returncode}" if r.returncode < 0 else f"exit status {r.returncode}"
        lines = [l for l in r.stderr.splitlines() if "rror" in l and "cuda" not in l]
        raise RuntimeError(f"TensorFlow's int8 converter failed ({why})" + (": " + " / ".join(lines[-2:]) if lines
                                                                            else ""))
    with open(path, "rb") as f:
        data = f.read()
    it = tf.lite.Interpreter(model_content=data)
    it.allocate_tensors()
    di, do = it.get_input_details()[0], it.get_output_details()[0]
    (si, zi), (so, zo) = di["quantization"], do["quantization"]
    ys = []
    for k in range(len(xt)):
        it.set_tensor(di["index"], tc.quantize(xt[k:k + 1], si, zi))
        it.invoke()
        ys.append((it.get_tensor(do["index"]).astype(np.float32) - zo) * so)
    y = np.concatenate(ys).reshape(len(xt), -1)
    out = {"tflite_sqnr": sqnr_db(y_ref, y), "tflite_agree": agreement(y_ref, y)}
    ok, log = tc.run_probe(path, max(256 * 1024, 10 * len(data)), print_allocations=True, timeout=TFLM_TIMEOUT_S)
    m = re.search(r"Arena allocation head (\d+) bytes", log) if ok else None
    if m:
        out["tflm_head"] = int(m.group(1))
    else:
        out["tflm_error"] = short(" / ".join([l for l in log.splitlines() if l.strip()][-2:]), 200)
    return out


def tflite_worker(builder_name, keras_path, calib_path, out_path):
    """The child process of tflite_peer(): TensorFlow's int8 conversion of a batch-1 twin of the saved model."""
    import numpy as np
    import tensorflow as tf
    import keras
    import tflm_compare as tc

    build = next(b for b, _ in MODELS if b.__name__ == builder_name)
    model = keras.models.load_model(keras_path)
    twin = build(keras, batch_size=1)
    twin.set_weights(model.get_weights())
    data = tc.tflite_convert(tf, twin, np.load(calib_path))
    with open(out_path, "wb") as f:
        f.write(data)


def run_c(exe, keras_path, calib, test, out_dir, runs=0, wrapper=(), timeout=3600):
    import numpy as np

    os.makedirs(out_dir, exist_ok=True)
    np.save(os.path.join(out_dir, "calib.npy"), calib)
    np.save(os.path.join(out_dir, "test.npy"), test)
    cmd = list(wrapper) + [exe, keras_path, os.path.join(out_dir, "calib.npy"), os.path.join(out_dir, "test.npy"),
                           out_dir] + ([str(runs)] if runs else [])
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return r


def measure(entry, args, keras, np, tf, tc, nnom, work):
    build, scale = entry
    row = {"name": None, "converted": False}
    model = build(keras)
    row["name"] = name = model.name
    row["keras_params"] = int(model.count_params())
    x, xt = prepare(keras, np, model, scale, N_CALIBRATION, N_TEST)
    keras_path = os.path.join(work, name + ".keras")
    model.save(keras_path)
    y_ref = np.asarray(model.predict(xt, verbose=0)).reshape(N_TEST, -1)
    t0 = time.time()
    try:
        q = nnom.convert(keras_path, x, progress=False)
    except Exception as e:  # the converter's message is the result
        row["error"] = f"{type(e).__name__}: {short(e)}"
        print(f"zoo: {name}: not converted: {row['error']}", file=sys.stderr, flush=True)
        return row
    row.update(converted=True, convert_s=time.time() - t0, layers=len(q.layers), macs=q.macs, arena=q.arena_size,
               weights=q.weight_bytes)
    y8 = np.asarray(q.predict(xt)).reshape(N_TEST, -1)
    row["sqnr_int8"], row["agree_int8"] = sqnr_db(y_ref, y8), agreement(y_ref, y8)
    worst = min(q.conversion_report.rows, key=lambda r: r["sqnr_db"])
    row["worst_layer"] = f"{worst['name']} ({worst['type']}) {worst['sqnr_db']:.1f} dB"
    # the float32 model on the C runtime (and the int8 one again, through the C API)
    out = os.path.join(work, name)
    r = run_c(args.zoo_run, keras_path, x, xt, out)
    if r.returncode != 0:
        row["c_error"] = short(r.stderr or r.stdout)
    else:
        yf = np.load(os.path.join(out, "float32.npy")).reshape(N_TEST, -1)
        yc8 = np.load(os.path.join(out, "int8.npy")).reshape(N_TEST, -1)
        row["sqnr_f32"], row["agree_f32"] = sqnr_db(y_ref, yf), agreement(y_ref, yf)
        row["c_int8_equal"] = bool(np.array_equal(yc8, y8))
    if args.asan_run:
        r = run_c(args.asan_run, keras_path, x[:N_ASAN_CALIBRATION], xt[:N_ASAN_TEST], out + "-asan")
        row["asan"] = "clean" if r.returncode == 0 else short(
            "\n".join(l for l in r.stderr.splitlines() if "ERROR" in l or "runtime error" in l or "SUMMARY" in l)
            or r.stderr[-400:])
    if args.callgrind and q.macs <= CALLGRIND_MAX_MACS:
        cg = os.path.join(work, name + ".callgrind")
        r = run_c(args.zoo_run, keras_path, x[:N_ASAN_CALIBRATION], xt[:1], out + "-cg", runs=CALLGRIND_RUNS,
                  wrapper=("valgrind", "--tool=callgrind", "--toggle-collect=bench_runs",
                           f"--callgrind-out-file={cg}"))
        if r.returncode == 0:
            with open(cg) as f:
                total = next(int(l.split()[1]) for l in f if l.startswith("summary:"))
            row["instr_per_mac"] = total / CALLGRIND_RUNS / q.macs
    if args.tflm:
        try:
            row.update(tflite_peer(tf, tc, keras, build, model, x, xt, y_ref, work))
        except Exception as e:
            row["tflite_error"] = short(e, 200)
    print(f"zoo: {name}: {row}", file=sys.stderr, flush=True)
    return row


# --------------------------------------------------------------------------- the report
def fmt(v, spec="{:,}"):
    return spec.format(v) if v is not None else "-"


def report(meta, path):
    rows = meta["rows"]
    table = ["| model | converted | nnom layers | MACs | arena (PC) | TFLM head arena | int8 vs Keras: SQNR "
             "| top-1 agreement | TFLite int8 vs Keras: SQNR, agreement | float32 (C) vs Keras: SQNR "
             "| worst layer (conversion report) | x86 instr/MAC | ASan |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|"]
    notes = []
    for r in rows:
        if not r["converted"]:
            table.append(f"| {r['name']} | no (see below) | - | - | - | - | - | - | - | - | - | - | - |")
            notes.append(f"- **{r['name']}**: {r['error']}")
            continue
        tflm = fmt(r.get("tflm_head"))
        if "tflm_error" in r:
            tflm = "fails"
            notes.append(f"- {r['name']}, TFLM: {r['tflm_error']}")
        if "tflite_error" in r:
            tflm = "fails"
            notes.append(f"- {r['name']}, TensorFlow's int8 conversion: {r['tflite_error']}")
        peer = (f"{r['tflite_sqnr']:.1f} dB, {100 * r['tflite_agree']:.1f} %" if "tflite_sqnr" in r else "-")
        if "c_error" in r:
            notes.append(f"- {r['name']}, zoo_run: {r['c_error']}")
        if r.get("c_int8_equal") is False:
            notes.append(f"- {r['name']}: the int8 outputs of the C API differ from model.predict()'s")
        table.append(
            f"| {r['name']} | yes | {r['layers']} | {r['macs']:,} | {r['arena']:,} | {tflm} "
            f"| {r['sqnr_int8']:.1f} dB | {100 * r['agree_int8']:.1f} % | {peer} | {fmt(r.get('sqnr_f32'), '{:.1f} dB')} "
            f"| {r['worst_layer']} | {fmt(r.get('instr_per_mac'), '{:.2f}')} | {r.get('asan', '-')} |")
    lines = [
        "# Architecture zoo: models the project was not tuned on",
        "",
        f"Generated by `benchmarks/zoo.sh` on {meta['date']}; do not edit. Versions: {meta['versions']}.",
        "",
        "\n".join(table),
        "",
    ] + (["Notes:", ""] + notes + [""] if notes else []) + [
        "How each number is measured:",
        "",
        f"- Models (benchmarks/zoo.py): random weights (seed {SEED}), each BatchNormalization's statistics set to "
        f"those of its input on the calibration data; {N_CALIBRATION} random calibration inputs and "
        f"{N_TEST} other random test inputs, uniform in [0, 1) (in [0, 255) for the keras.applications models that "
        "rescale their own inputs: MobileNetV3, EfficientNet). keras.applications with `weights=None`: "
        "MobileNetV2 alpha 0.35 at 96x96x3, MobileNetV3Small at 96x96x3 (hard-swish, squeeze-excite; and "
        "`minimalistic=True`), MobileNetV3Large alpha 0.75 at 96x96x3, EfficientNetB0 at 64x64x3, all with 10 "
        "classes; hand-made: two DenseNet blocks, two Inception blocks, a Conv1D keyword model (BatchNorm, "
        "Dropout, GlobalMaxPooling1D), an LSTM-GRU-LSTM stack with return_sequences.",
        "- **converted**: `nnom.convert(path, calibration)` (per-channel weights, min-max ranges); otherwise its "
        "error. **arena (PC)**: `model.arena_size` (portable kernels). **TFLM head arena**: TensorFlow's "
        "full-integer conversion of the same model (batch 1) run by the tflite-micro interpreter: the head "
        "of its arena from its RecordingMicroAllocator report. **TFLite int8 vs Keras**: that int8 model run by "
        "TensorFlow Lite's interpreter on the same test inputs, measured as nnom's int8 is: the peer's accuracy on "
        "the same weights.",
        "- **int8 vs Keras**: SQNR (10 log10 of signal over error power) of `model.predict()` (libnnom, int8, "
        "outputs dequantised) against Keras' float outputs over the test inputs, and the share of inputs whose "
        "top-1 class is the same. Random weights give flat class scores, so a small error can swap the top "
        "class: agreement is a harsh measure here. **float32 (C)**: the converter's float32 model run by "
        "the same C runtime (benchmarks/zoo_run.c) against Keras. **worst layer**: the lowest per-layer SQNR "
        "of the conversion report (int8 against the runtime's float32, on the calibration data).",
        f"- **x86 instr/MAC**: instructions inside `nnom_model_run` of the int8 model (valgrind callgrind, "
        f"zoo_run built RelWithDebInfo, portable kernels), for models of at most {CALLGRIND_MAX_MACS:,} MACs. "
        f"**ASan**: zoo_run built with `-DNNOM_SANITIZE=ON` (AddressSanitizer + UBSan) converting on "
        f"{N_ASAN_CALIBRATION} inputs and running both models on {N_ASAN_TEST}.",
        "",
        f"Whole run: {meta['seconds']:.0f} s.",
    ]
    text = "\n".join(lines) + "\n"
    with open(path, "w") as f:
        f.write(text)
    print(text)


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "--tflite-worker":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        tflite_worker(*sys.argv[2:])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--zoo-run", required=True, help="benchmarks/zoo_run built from this tree")
    ap.add_argument("--asan-run", default=None, help="zoo_run built with -DNNOM_SANITIZE=ON")
    ap.add_argument("--only", nargs="*", default=None, help="model names to measure")
    ap.add_argument("--no-tflm", dest="tflm", action="store_false")
    ap.add_argument("--no-callgrind", dest="callgrind", action="store_false")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "zoo.md"))
    args = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    t0 = time.time()
    import numpy as np
    import tensorflow as tf
    import keras
    import nnom
    import tflm_compare as tc

    rows = []
    with tempfile.TemporaryDirectory(prefix="nnom-zoo-") as work:
        for entry in MODELS:
            keras.utils.set_random_seed(SEED)
            name = entry[0].__name__
            if args.only and name not in args.only:
                continue
            print(f"zoo: {name}", file=sys.stderr, flush=True)
            rows.append(measure(entry, args, keras, np, tf, tc, nnom, work))
    commit = tc.git_commit()
    from importlib.metadata import version

    try:
        tflm_version = version("tflite-micro")
    except Exception:
        tflm_version = "not installed"
    meta = {
        "rows": rows, "date": datetime.date.today().isoformat(), "seconds": time.time() - t0,
        "versions": f"tensorflow {tf.__version__}, keras {keras.__version__}, tflite-micro {tflm_version}, "
                    f"nnom {nnom.__version__} (commit {commit}), "
                    f"Python {platform.python_version()}",
    }
    report(meta, args.out)


if __name__ == "__main__":
    main()

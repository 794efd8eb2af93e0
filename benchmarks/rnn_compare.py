"""nnom against TensorFlow Lite Micro on the recurrent digits fixtures, side by side, in one run.

Models: Tests/fixtures/keras/rnn_digits_gru.keras and rnn_digits_lstm.keras (a GRU or an LSTM of 32 units and
a softmax head; scikit-learn digits read as 8 steps of 8 pixels). Test set: digits_test_x.npy (500 x 8 x 8 x 1)
viewed as (500, 8, 8), labels digits_test_y.npy; calibration: digits_calib_x.npy (100 training images).

Per model:
  - nnom int8 (nnom.convert, the installed Python package): top-1, arena bytes (+ recurrent state bytes,
    + bytes of the loaded model's structures), .nnom bytes, instructions per inference inside nnom_model_run
    (valgrind callgrind, on the _nnom extension built from this tree with -g).
  - TFLite Micro int8: TensorFlow's full-integer int8 post-training quantisation (same calibration images)
    is tried on the Keras 3 model as saved (its error recorded), then on a tf_keras (Keras 2) twin: the same
    layers rebuilt in tf_keras with the Keras 3 model's trained weights copied across, its float outputs
    checked against the Keras 3 model's on the held-out images; if the twin's recurrent loop does not convert
    either, the twin with unroll=True. The first int8 .tflite that TFLM runs is measured: top-1, smallest
    working arena (bisection, each probe in a subprocess), .tflite bytes, instructions per inference inside
    MicroInterpreter::Invoke() (callgrind, in the same valgrind run as nnom).
  - TFLite Micro float32: the Keras 3 model's float32 .tflite (fixed batch 1), measured the same way.
  Conversions run in subprocesses (TensorFlow's calibrator can die with SIGSEGV on a recurrent loop).

Reuses the helpers and subprocess workers of benchmarks/tflm_compare.py (probe, callgrind worker, extension
build, the C-API loader with a counting allocator).

usage: python3 benchmarks/rnn_compare.py [--cg-images 50] [--no-callgrind]
       (benchmarks/rnn_compare.sh installs what is missing and runs this)
"""
import argparse
import datetime
import os
import platform
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, "Tests", "fixtures", "keras")
MODELS = [("gru", "rnn_digits_gru.keras"), ("lstm", "rnn_digits_lstm.keras")]

sys.path.insert(0, HERE)
import tflm_compare as tc  # noqa: E402  (helpers and workers; its main() is not run)


def log(msg: str) -> None:
    print(msg, flush=True)


def batch1_twin(keras, model):
    """The same functional model with a fixed batch of 1 (as on a microcontroller), same weights."""
    cfg = model.get_config()
    for layer in cfg["layers"]:
        if layer["class_name"] == "InputLayer":
            shape = layer["config"].get("batch_shape") or layer["config"].get("batch_input_shape")
            layer["config"]["batch_shape"] = [1] + list(shape[1:])
            layer["config"].pop("batch_input_shape", None)
    twin = keras.Model.from_config(cfg)
    twin.set_weights(model.get_weights())
    return twin


def convert_int8(tf, model, x_cal):
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]

    def representative():
        for k in range(len(x_cal)):
            yield [x_cal[k:k + 1]]

    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    return conv.convert()


def convert_float(tf, model):
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    return conv.convert()


def first_error_line(e, captured: str = "") -> str:
    """The most telling line of a converter failure: its 'error:' line if the MLIR log has one."""
    text = str(e) + "\n" + captured
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    for l in lines:
        if "error:" in l:
            return tc.short_error(l[l.index("error:"):], 300)
    return tc.short_error(f"{type(e).__name__}: {lines[0] if lines else e}", 300)


FRONTENDS = {                                   # int8 conversion attempts, in order
    "keras3": "the Keras 3 model as saved",
    "tf_keras": "tf_keras (Keras 2) twin, same weights",
    "tf_keras_unroll": "tf_keras twin with unroll=True (the 8 steps unrolled), same weights",
}


def tf_keras_twin(tf_keras, km, unroll: bool):
    """The Keras 3 model rebuilt layer by layer in tf_keras (Keras 2), fixed batch 1, with its weights."""
    L = tf_keras.layers
    inp = x = tf_keras.Input(tuple(km.input_shape[1:]), batch_size=1)
    for layer in km.layers:
        kind, c = type(layer).__name__, layer.get_config()
        if kind == "InputLayer":
            continue
        args = {k: c[k] for k in ("units", "activation", "use_bias")}
        if kind in ("GRU", "LSTM"):
            args.update({k: c[k] for k in ("recurrent_activation", "return_sequences", "go_backwards")}, unroll=unroll)
            if kind == "GRU":
                args["reset_after"] = c["reset_after"]
            x = getattr(L, kind)(**args)(x)
        elif kind == "Dense":
            x = L.Dense(**args)(x)
        else:
            raise ValueError(f"layer {layer.name} ({kind}): the tf_keras twin rebuilds GRU, LSTM and Dense only")
    twin = tf_keras.Model(inp, x)
    twin.set_weights(km.get_weights())
    return twin


def worker_int8(front: str, keras_path: str, calib_path: str, test_path: str, out_path: str) -> int:
    """Subprocess: TensorFlow's full-integer conversion of one model (its calibrator may crash)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import tensorflow as tf
    import keras

    km = keras.models.load_model(keras_path)
    x_cal = np.load(calib_path).astype(np.float32).reshape(-1, 8, 8)
    if front == "keras3":
        model = batch1_twin(keras, km)
    else:
        import tf_keras

        model = tf_keras_twin(tf_keras, km, unroll=front == "tf_keras_unroll")
        x = np.load(test_path).astype(np.float32).reshape(-1, 8, 8)
        y3, y2 = km.predict(x, verbose=0), model.predict(x, batch_size=1, verbose=0)
        print(f"TWIN {float(np.abs(y3 - y2).max()):.3g} {float(np.mean(y3.argmax(1) == y2.argmax(1)))}", flush=True)
    try:
        data = convert_int8(tf, model, x_cal)
    except Exception as e:
        print("INT8 ERROR " + first_error_line(e), flush=True)
        return 3
    with open(out_path, "wb") as f:
        f.write(data)
    print(f"INT8 OK {len(data)}", flush=True)
    return 0


def int8_in_subprocess(front: str, keras_path: str, work: str, name: str) -> dict:
    """One int8 conversion attempt in its own process, then a TFLM probe: {front, path, bytes, error, twin}."""
    import re
    import signal

    out = os.path.join(work, f"{name}_int8_{front}.tflite")
    att = {"front": front, "path": out, "bytes": None, "error": None}
    cmd = [sys.executable, "-X", "faulthandler", os.path.abspath(__file__), "--worker", "int8", front, keras_path,
           os.path.join(FIXTURES, "digits_calib_x.npy"), os.path.join(FIXTURES, "digits_test_x.npy"), out]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    except subprocess.TimeoutExpired:
        att["error"] = "conversion timed out (240 s)"
        return att
    twin = next((l.split() for l in r.stdout.splitlines() if l.startswith("TWIN ")), None)
    if twin:
        att["twin"] = {"maxdiff": float(twin[1]), "agree": float(twin[2])}
    line = next((l for l in r.stdout.splitlines() if l.startswith("INT8 ")), None)
    if r.returncode < 0:
        sig = signal.Signals(-r.returncode).name
        frames = [re.match(r'File "(?:.*/site-packages/)?([^"]+)", line (\d+) in (\S+)', l.strip())
                  for l in r.stderr.splitlines()]
        frames = [m for m in frames if m]
        where = f"{frames[0].group(1)}:{frames[0].group(2)}, {frames[0].group(3)}()" if frames else ""
        att["error"] = (f"the converter process died with {sig} during calibration"
                        + (f" (innermost frame: {where})" if where else ""))
        return att
    if line is None or line.startswith("INT8 ERROR"):
        att["error"] = line[len("INT8 ERROR "):] if line else tc.short_error(r.stderr[-300:] or "no output", 300)
        return att
    att["bytes"] = int(line.split()[2])
    ok, msg = tc.run_probe(out, 256 * 1024)
    if not ok:
        att["error"] = "converted, but TFLM cannot run it: " + tc.short_error(
            " / ".join([l for l in msg.splitlines() if l.strip()][-3:]), 300)
    return att


def measure_tflm(tflm_runtime, t: dict, data: bytes, x_in, y_test, keras_top1) -> None:
    """Operators, constant bytes, smallest arena and top-1 of one .tflite (already written to t['path']) in TFLM;
    t['error'] instead when TFLM cannot run it. The interpreter is reset before each image: an int8 LSTM keeps
    its state in variable tensors, which would otherwise carry over from one image to the next."""
    import numpy as np

    t["bytes"] = len(data)
    t["ops"], t["const"] = tc.tflite_info(data)
    try:
        t["arena_report"] = tc.tflm_arena(t["path"], t["bytes"])
        t["arena"] = t["arena_report"]["min"]
    except Exception as e:
        t["error"] = f"TFLM cannot run it: {tc.short_error(e, 300)}"
        return
    it = tflm_runtime.Interpreter.from_bytes(data, arena_size=t["arena"])
    ys = []
    for i in range(len(x_in)):
        it.reset()
        it.set_input(x_in[i:i + 1], 0)
        it.invoke()
        ys.append(np.array(it.get_output(0)).reshape(-1))
    top1 = np.stack(ys).argmax(1)
    t["acc"] = float(np.mean(top1 == y_test))
    t["agree_keras"] = float(np.mean(top1 == keras_top1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cg-images", type=int, default=50, help="inferences per model and engine under callgrind")
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "rnn_compare"))
    ap.add_argument("--output", default=os.path.join(HERE, "results", "rnn_compare.md"))
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker == "int8":
        return worker_int8(*a.args)

    t_start = time.time()
    os.makedirs(a.work, exist_ok=True)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import importlib.metadata as md

    import numpy as np
    import tensorflow as tf
    import keras
    import nnom

    tf.get_logger().setLevel("ERROR")
    if not hasattr(nnom.Model, "reset_state"):
        raise SystemExit("the installed nnom package predates the state API: pip install ./python")
    try:
        from tflite_micro.python.tflite_micro import runtime as tflm_runtime
        tflm_version = md.version("tflite-micro")
    except ImportError as e:
        tflm_runtime, tflm_version = None, f"not installed ({e})"

    x_test = np.load(os.path.join(FIXTURES, "digits_test_x.npy")).astype(np.float32)
    y_test = np.load(os.path.join(FIXTURES, "digits_test_y.npy")).astype(np.int64)
    x_cal = np.load(os.path.join(FIXTURES, "digits_calib_x.npy")).astype(np.float32)
    x_test = x_test.reshape(len(x_test), 8, 8)      # 8 steps (rows) of 8 features (pixels)
    x_cal = x_cal.reshape(len(x_cal), 8, 8)
    n_test = len(x_test)
    results, notes = [], []

    for name, fname in MODELS:
        path = os.path.join(FIXTURES, fname)
        r = {"name": name, "file": fname}
        results.append(r)
        km = keras.models.load_model(path)
        r["keras_acc"] = float(np.mean(km.predict(x_test, verbose=0).argmax(1) == y_test))
        log(f"== {name}: Keras float32 top-1 {100 * r['keras_acc']:.1f}%")

        # ------------------------------------------------------------ nnom int8
        out = os.path.join(a.work, f"{name}.nnom")
        q = nnom.convert(path, x_cal, output=out, progress=False)
        spec = q.inputs[0]
        xq = tc.quantize(x_test, spec["scale"], spec["zero_point"])
        yq = q.predict(xq, int8_output=True)
        n = r["nnom"] = {"path": out, "arena": q.arena_size, "state": q.state_size, "bytes": q.flash_size,
                         "weights": q.weight_bytes, "macs": q.macs, "y": yq,
                         "acc": float(np.mean(yq.argmax(1) == y_test))}
        np.save(os.path.join(a.work, f"{name}_nnom_x.npy"), xq)
        np.save(os.path.join(a.work, f"{name}_nnom_y.npy"), yq)
        try:
            with open(out, "rb") as f:
                cm = tc.NnomC(nnom._nnom.__file__, f.read())
            n["structs"] = cm.struct_bytes - q.state_size    # the state block comes from the same allocator
            if cm.run(xq[0].tobytes(), yq.shape[1]) != yq[0].tobytes():
                notes.append(f"{name}: the C-API run differs from model.predict")
        except Exception as e:
            notes.append(f"{name}: nnom model structures not measured: {tc.short_error(e)}")
        log(f"   nnom int8: top-1 {100 * n['acc']:.1f}%, arena {n['arena']} + state {n['state']} bytes, "
            f".nnom {n['bytes']} bytes")

        keras_top1 = r["keras_top1"] = km.predict(x_test, verbose=0).argmax(1)

        # ------------------------------------------------------------ TFLite int8: Keras 3, then a tf_keras twin
        t8 = r["tflm8"] = {"attempts": []}
        for front in FRONTENDS:
            if front == "tf_keras_unroll" and any(not x["error"] for x in t8["attempts"]):
                break
            att = int8_in_subprocess(front, path, a.work, name)
            t8["attempts"].append(att)
            tw = att.get("twin")
            log(f"   TFLite int8 from {FRONTENDS[front]}: "
                + (f"[twin's float outputs: max |diff| {tw['maxdiff']:.3g}, top-1 agreement {100 * tw['agree']:.1f}%] "
                   if tw else "")
                + (att["error"] or f"converted, {att['bytes']} bytes, TFLM runs it"))
        chosen = next((x for x in t8["attempts"] if not x["error"]), None)
        if chosen is None:
            t8["error"] = "no int8 conversion that TFLM runs (see below)"
        elif tflm_runtime is None:
            t8["error"] = f"tflite-micro {tflm_version}"
        else:
            t8["front"], t8["path"] = chosen["front"], chosen["path"]
            with open(chosen["path"], "rb") as f:
                data = f.read()
            d = tflm_runtime.Interpreter.from_bytes(data, arena_size=256 * 1024).get_input_details(0)
            qp = d["quantization_parameters"]
            t8["x"] = tc.quantize(x_test, float(qp["scales"][0]), int(qp["zero_points"][0]))
            measure_tflm(tflm_runtime, t8, data, t8["x"], y_test, keras_top1)
        if "error" in t8:
            notes.append(f"{name}: TFLM int8: {t8['error']}")
            log(f"   TFLM int8: {t8['error']}")
        else:
            np.save(os.path.join(a.work, f"{name}_tflm8_x.npy"), t8["x"])
            log(f"   TFLM int8: top-1 {100 * t8['acc']:.1f}%, arena {t8['arena']} bytes, .tflite {t8['bytes']} "
                f"bytes ({' '.join(sorted(set(t8['ops'])))})")

        # ------------------------------------------------------------ TFLite float32 (the Keras 3 model)
        t = r["tflm"] = {}
        try:
            with tc.Captured():
                data = convert_float(tf, batch1_twin(keras, km))
            t["path"] = os.path.join(a.work, f"{name}_f32.tflite")
            with open(t["path"], "wb") as f:
                f.write(data)
            if tflm_runtime is None:
                raise RuntimeError(f"tflite-micro {tflm_version}")
        except Exception as e:
            t["error"] = f"float32 conversion: {first_error_line(e)}"
        if "error" not in t:
            measure_tflm(tflm_runtime, t, data, x_test, y_test, keras_top1)
        if "error" not in t:
            np.save(os.path.join(a.work, f"{name}_tflm_x.npy"), x_test)
            log(f"   TFLM float32: top-1 {100 * t['acc']:.1f}%, arena {t['arena']} bytes, .tflite {t['bytes']} "
                f"bytes ({' '.join(sorted(set(t['ops'])))})")
        else:
            log(f"   TFLM float32: {t['error']}")
            notes.append(f"{name}: TFLM float32: {t['error']}")

    # ---------------------------------------------------------------- instructions with callgrind
    cg_note = None
    n_cg = min(a.cg_images, n_test)
    if a.no_callgrind:
        cg_note = "skipped (--no-callgrind)"
    elif shutil.which("valgrind") is None or shutil.which("cmake") is None:
        cg_note = "skipped: valgrind and cmake are needed"
    else:
        try:
            log("== building the _nnom extension with symbols (-O3 -g) for callgrind")
            extension = tc.build_extension(a.work)
            blocks = []
            for r in results:
                for slot, suffix in (("tflm8", "tflm8"), ("tflm", "tflm")):
                    if "error" not in r[slot]:
                        blocks.append({"engine": "tflm", "slot": slot, "name": r["name"], "model": r[slot]["path"],
                                       "arena": r[slot]["arena"], "n": n_cg, "reset": True,
                                       "inputs": os.path.join(a.work, f"{r['name']}_{suffix}_x.npy")})
                blocks.append({"engine": "nnom", "slot": "nnom", "name": r["name"], "model": r["nnom"]["path"],
                               "n": n_cg, "inputs": os.path.join(a.work, f"{r['name']}_nnom_x.npy"),
                               "expected": os.path.join(a.work, f"{r['name']}_nnom_y.npy")})
            log(f"== callgrind: {len(blocks)} blocks of {n_cg} inferences in one valgrind run")
            t0 = time.time()
            per, mismatch = tc.run_callgrind(a.work, extension, blocks)
            for b, v in zip(blocks, per):
                next(x for x in results if x["name"] == b["name"])[b["slot"]]["instr"] = v
            notes.extend(m[len("MISMATCH "):] for m in mismatch)
            log(f"   done in {time.time() - t0:.0f} s")
        except Exception as e:
            cg_note = f"failed: {tc.short_error(e, 300)}"
            log(f"   callgrind {cg_note}")

    # ---------------------------------------------------------------- report
    def pct(v):
        return f"{100 * v:.1f}%" if isinstance(v, float) else "n/a"

    fi = tc.fmt_int
    tflm_cc = tc.compiler_of(tflm_runtime._runtime.__file__) if tflm_runtime is not None else "compiler unknown"
    gcc = subprocess.run(["cc", "--version"], capture_output=True, text=True).stdout.splitlines()[:1]
    commit = tc.git_commit()

    try:
        tf_keras_version = md.version("tf-keras")
    except md.PackageNotFoundError:
        tf_keras_version = "not installed"
    int8_label = {"keras3": "TFLM int8", "tf_keras": "TFLM int8 (tf_keras twin)",
                  "tf_keras_unroll": "TFLM int8 (tf_keras twin, unrolled)"}

    L = ["# nnom against TensorFlow Lite Micro: recurrent digits models (GRU, LSTM)", ""]
    L.append(f"Generated by `benchmarks/rnn_compare.sh` on {datetime.date.today().isoformat()}; do not edit. "
             f"Versions: tensorflow {tf.__version__}, keras {keras.__version__}, tf_keras {tf_keras_version}, "
             f"tflite-micro {tflm_version}, nnom {nnom.__version__} (commit {commit}), numpy {np.__version__}, "
             f"Python {platform.python_version()}.")
    L.append("")
    L.append(f"Models: `Tests/fixtures/keras/rnn_digits_gru.keras` and `rnn_digits_lstm.keras` (GRU or LSTM of 32 "
             f"units + Dense softmax), reading scikit-learn digits as 8 steps of 8 pixels: the {n_test} held-out "
             f"images of `digits_test_x.npy` viewed as ({n_test}, 8, 8). Both engines quantise to **int8** with "
             f"post-training calibration on the same 100 images of `digits_calib_x.npy`. nnom: `nnom.convert()` "
             f"on the Keras 3 file (int16 recurrent state). TFLite Micro: TensorFlow's full-integer int8 "
             f"conversion (int8 in/out, TFLITE_BUILTINS_INT8, fixed batch 1) of the same network rebuilt in "
             f"tf_keras (Keras 2) with the Keras 3 model's trained weights copied across, because TensorFlow's "
             f"converter does not convert the Keras 3 models themselves (see *TFLite int8 conversions* below). "
             f"The **TFLM float32** rows (the Keras 3 model's float32 .tflite) are kept for reference; they are "
             f"not like for like with nnom's int8.")
    for r in results:
        if r["tflm8"].get("front") == "tf_keras_unroll":
            L.append("")
            L.append(f"{r['name']}: the tf_keras twin's recurrent loop does not convert either (below), so TFLM "
                     f"runs the twin with `unroll=True`: the same weights and arithmetic, but the 8 steps become "
                     f"8 copies of the cell's operators instead of one loop, which costs model bytes and arena "
                     f"(an unrolled graph, where nnom runs one recurrent layer).")
    L.append("")
    L.append("| model | engine | top-1 | arena bytes | + state | + runtime structs | model bytes "
             "| instructions / inference |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|")

    def tflm_row(r, slot, label):
        t = r[slot]
        if "error" in t:
            return (f"| {r['name']} | {label} | failed: {t['error']} | | | | "
                    f"{fi(t['bytes']) if 'bytes' in t else 'n/a'} | |")
        rep = t["arena_report"]
        return (f"| {r['name']} | {label} | {pct(t['acc'])} | {fi(rep.get('head'))} | (in arena) "
                f"| {fi(rep.get('tail'))} (= {fi(t['arena'])} smallest arena) | {fi(t['bytes'])} "
                f"| {fi(t.get('instr', 'n/a'))} |")

    for r in results:
        n = r["nnom"]
        r["int8_label"] = int8_label.get(r["tflm8"].get("front"), "TFLM int8")
        L.append(f"| {r['name']} | Keras float32 | {pct(r['keras_acc'])} | | | | | |")
        L.append(f"| {r['name']} | **nnom int8** | {pct(n['acc'])} | {fi(n['arena'])} | {fi(n['state'])} "
                 f"| {fi(n.get('structs', 'n/a'))} | {fi(n['bytes'])} | {fi(n.get('instr', 'n/a'))} |")
        L.append(tflm_row(r, "tflm8", f"**{r['int8_label']}**"))
        L.append(tflm_row(r, "tflm", "TFLM float32 (reference)"))
    L.append("")
    L.append("TFLite int8 conversions tried, in order (full-integer post-training quantisation, int8 in/out, "
             "TFLITE_BUILTINS_INT8, the same 100 calibration images, fixed batch 1; each in its own process). "
             "The tf_keras twins' float32 outputs are checked against the Keras 3 model's on the held-out images:")
    L.append("")
    for r in results:
        for att in r["tflm8"]["attempts"]:
            tw = att.get("twin")
            check = (f" (float32 outputs against the Keras 3 model: max abs difference {tw['maxdiff']:.3g}, "
                     f"top-1 agreement {100 * tw['agree']:.1f}%)" if tw else "")
            res = (f"`{att['error']}`" if att["error"]
                   else f"converted ({fi(att['bytes'])} bytes), TFLM runs it")
            L.append(f"- {r['name']}, {FRONTENDS[att['front']]}{check}: {res}")
    L.append("")
    L.append("Ratios, TFLM over nnom int8 (above 1: nnom is smaller or faster):")
    L.append("")
    L.append("| model | TFLM engine | MACs | arena | total RAM | model bytes | instructions | nnom instr / MAC |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        n = r["nnom"]
        total = n["arena"] + n["state"] + n["structs"] if "structs" in n else None
        ipm = f"{n['instr'] / n['macs']:.2f}" if "instr" in n and n["macs"] else "n/a"
        for slot, label in (("tflm8", r["int8_label"]), ("tflm", "TFLM float32")):
            t = r[slot]
            rep = t.get("arena_report", {})
            L.append(f"| {r['name']} | {label} | {fi(n['macs'])} "
                     f"| {tc.fmt_ratio(rep.get('head'), n['arena'] + n['state'])} "
                     f"| {tc.fmt_ratio(t.get('arena'), total)} | {tc.fmt_ratio(t.get('bytes'), n['bytes'])} "
                     f"| {tc.fmt_ratio(t.get('instr'), n.get('instr'))} | {ipm} |")
    L.append("")
    L.append("How each number is measured:")
    L.append("")
    L.append("- **top-1**: argmax over the held-out images. nnom and TFLM int8: inputs quantised with the model's "
             "input scale and zero point, int8 outputs; TFLM float32: float32 in and out. TFLM's interpreter is "
             "reset before each image (`reset()`, outside `Invoke()`): the int8 LSTM keeps its hidden and cell "
             "state in variable tensors, which would otherwise carry over from one image to the next. "
             "Top-1 agreement with Keras float32: " + "; ".join(
                 f"{r['name']}: nnom {pct(float(np.mean(r['nnom']['y'].argmax(1) == r['keras_top1'])))}"
                 + "".join(f", {lab} {pct(r[s]['agree_keras'])}" for s, lab in
                           (("tflm8", r["int8_label"]), ("tflm", "TFLM float32")) if "agree_keras" in r[s])
                 for r in results) + ".")
    L.append("- **arena bytes**: nnom: `model.arena_size` (activations and scratch); **+ state**: "
             "`model.state_size`, the recurrent state nnom keeps outside the arena; **+ runtime structs**: the "
             "bytes the model structures keep after `nnom_model_load`, counted through a counting allocator, less "
             "the state block (allocated through the same allocator, shown apart). "
             "TFLM: head of the arena as its RecordingMicroAllocator reports it, tail (tensor/node structs, "
             "per-op data, persistent buffers, variable tensors such as the int8 LSTM's state) and, in "
             "parentheses, the smallest arena with which it builds and runs, found by bisection with each try in "
             "a subprocess. Measured on x86-64 (8-byte pointers).")
    L.append("- **model bytes**: the .tflite flatbuffer against the .nnom file; constant data alone: "
             + "; ".join(f"{r['name']}: " + ", ".join(
                 f"{lab} {fi(r[s]['const'])}" for s, lab in (("tflm8", r["int8_label"]), ("tflm", "TFLM float32"))
                 if "const" in r[s]) + f", nnom {fi(r['nnom']['weights'])}" for r in results) + " bytes.")
    if cg_note:
        L.append(f"- **instructions / inference**: callgrind {cg_note}.")
    else:
        L.append(f"- **instructions / inference**: valgrind callgrind, x86-64 instructions executed inside "
                 f"`{tc.TFLM_INVOKE}` and `{tc.NNOM_RUN}` only, averaged over the first {n_cg} held-out images "
                 f"(one valgrind run, one dump per model and engine). TFLM is the PyPI wheel's build ({tflm_cc}, "
                 f"its reference int8 and float kernels); nnom is the `_nnom` extension built from this tree "
                 f"(-O3 -DNDEBUG -g; {gcc[0] if gcc else 'cc'}), checked to give the installed package's int8 "
                 f"outputs bit for bit.")
    for slot, what in (("tflm8", "int8"), ("tflm", "float32")):
        ops = {r["name"]: sorted(set(r[slot]["ops"])) for r in results if "ops" in r[slot]}
        if ops:
            L.append(f"- TFLite {what} operators: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in ops.items())
                     + ".")
    L.append("")
    if notes:
        L += ["Notes:", ""] + [f"- {x}" for x in notes] + [""]
    L.append(f"Whole run: {time.time() - t_start:.0f} s.")
    text = "\n".join(L) + "\n"
    os.makedirs(os.path.dirname(a.output), exist_ok=True)
    with open(a.output, "w") as f:
        f.write(text)
    print()
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

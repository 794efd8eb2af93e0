"""nnom against TensorFlow Lite Micro, side by side, in one run.

1. Trains three small Keras models on scikit-learn's digits (8x8x1 images in
   [0, 1], 500 held out, fixed seeds): an MLP, a CNN with BatchNormalization
   and a residual CNN with a Concatenate.
2. Converts each to int8 twice, with the same calibration images:
   TensorFlow's full-integer post-training quantisation (int8 input and
   output, TFLITE_BUILTINS_INT8) run by TFLite Micro's Python interpreter, and
   nnom.convert() run by libnnom.
3. Measures, per model and engine: top-1 accuracy on the held-out images
   (and Keras float32), arena bytes (TFLM: the smallest arena that works,
   found by bisection in subprocesses, with its allocator's head/tail report;
   nnom: model.arena_size plus the bytes of its model structures), model
   bytes (.tflite against .nnom), wall-clock time per image (median of
   several interleaved passes over the test set) and, with valgrind,
   executed instructions per inference inside MicroInterpreter::Invoke() and
   nnom_model_run().
4. Writes benchmarks/results/tflm_compare.md and prints it.

usage: python3 benchmarks/tflm_compare.py [--epochs 25] [--reps 7] [--cg-images 50] [--no-callgrind]
       (benchmarks/tflm_compare.sh installs what is missing and runs this)
"""
import argparse
import ctypes
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SPLIT_SEED = 0     # the held-out split of python/tests/conftest.py
TRAIN_SEED = 1
N_CALIBRATION = 400
TFLM_INVOKE = "tflite::micro::MicroInterpreter::Invoke()"
NNOM_RUN = "nnom_model_run"
BLOCK_MARKER = "nnom_version"   # never called while running: the callgrind worker calls it between blocks


# --------------------------------------------------------------------------- the C API through ctypes
# Each Structure mirrors the C struct its _c_name_ names (include/nnom); ctest's abi_ctypes_mirrors
# (Tests/abi/check_abi.py ctypes) compares their sizes, field names and offsets with the compiler's.
_ALLOC_FN = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
_FREE_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)


class _Allocator(ctypes.Structure):
    _c_name_ = "nnom_allocator"
    _fields_ = [("alloc", _ALLOC_FN), ("free", _FREE_FN), ("ctx", ctypes.c_void_p)]


class _Options(ctypes.Structure):
    _c_name_ = "nnom_options"
    _fields_ = [("struct_size", ctypes.c_uint32), ("allocator", ctypes.POINTER(_Allocator)), ("timer", ctypes.c_void_p),
                ("timer_ctx", ctypes.c_void_p), ("log", ctypes.c_void_p), ("log_ctx", ctypes.c_void_p),
                ("keep_all_outputs", ctypes.c_int), ("max_arena_bytes", ctypes.c_size_t),
                ("op_registry", ctypes.c_void_p), ("tiling_max_extra_macs_percent", ctypes.c_int32),
                ("plan_goal", ctypes.c_int32)]


class _Error(ctypes.Structure):
    _c_name_ = "nnom_error"
    _fields_ = [("status", ctypes.c_int), ("message", ctypes.c_char * 1024)]   # NNOM_ERROR_MESSAGE_MAX


def _aligned_buffer(n: int):
    """A zeroed ctypes buffer of at least n bytes, 8-byte aligned."""
    return (ctypes.c_double * max(1, (n + 7) // 8))()


class _CountingAllocator:
    """An nnom_allocator whose memory comes from Python: counts the bytes live and the most ever handed out
    without reuse (what an nnom_pool, which never frees, would need)."""

    def __init__(self):
        self.blocks = {}
        self.live = self.total = 0
        self._alloc = _ALLOC_FN(self._on_alloc)
        self._free = _FREE_FN(self._on_free)
        self.struct = _Allocator(self._alloc, self._free, None)

    def _on_alloc(self, ctx, n):
        buf = _aligned_buffer(n)
        addr = ctypes.addressof(buf)
        self.blocks[addr] = (buf, n)
        self.live += n
        self.total += (n + 7) & ~7
        return addr

    def _on_free(self, ctx, ptr):
        if ptr:
            self.live -= self.blocks.pop(ptr)[1]


class NnomC:
    """A .nnom model driven through libnnom's C API (exported by the _nnom extension module), loaded through
    a counting allocator so that the bytes of the model's own structures can be read back."""

    def __init__(self, lib_path: str, model_bytes: bytes):
        L = self.lib = ctypes.CDLL(lib_path)
        vp, sz, i32 = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int32
        L.nnom_model_load.argtypes = [vp, sz, ctypes.POINTER(_Options), ctypes.POINTER(vp), ctypes.POINTER(_Error)]
        L.nnom_model_load.restype = ctypes.c_int
        L.nnom_model_arena_size.argtypes, L.nnom_model_arena_size.restype = [vp], sz
        L.nnom_model_set_arena.argtypes, L.nnom_model_set_arena.restype = [vp, vp, sz], ctypes.c_int
        L.nnom_model_run.argtypes, L.nnom_model_run.restype = [vp], ctypes.c_int
        L.nnom_model_set_input_s8.argtypes, L.nnom_model_set_input_s8.restype = [vp, i32, vp, sz], ctypes.c_int
        L.nnom_model_get_output_s8.argtypes, L.nnom_model_get_output_s8.restype = [vp, i32, vp, sz], ctypes.c_int
        L.nnom_model_last_error.argtypes, L.nnom_model_last_error.restype = [vp], ctypes.c_char_p
        self.allocator = _CountingAllocator()
        opts = _Options()
        opts.struct_size = ctypes.sizeof(_Options)   # what nnom_options_init() sets
        opts.allocator = ctypes.pointer(self.allocator.struct)
        self._data = _aligned_buffer(len(model_bytes))
        ctypes.memmove(self._data, model_bytes, len(model_bytes))
        self.m = ctypes.c_void_p()
        err = _Error()
        st = L.nnom_model_load(self._data, len(model_bytes), ctypes.byref(opts), ctypes.byref(self.m), ctypes.byref(err))
        if st != 0:
            raise RuntimeError(f"nnom_model_load: {err.message.decode()}")
        self.struct_bytes = self.allocator.live       # what the loaded model keeps, besides weights and arena
        self.pool_bytes = self.allocator.total        # what a bump allocator (nnom_pool) would have handed out
        self.arena_size = int(L.nnom_model_arena_size(self.m))
        self._arena = _aligned_buffer(self.arena_size)
        self._check(L.nnom_model_set_arena(self.m, self._arena, self.arena_size))

    def _check(self, st):
        if st != 0:
            raise RuntimeError(self.lib.nnom_model_last_error(self.m).decode())

    def run(self, x_int8, out_count: int = 0):
        """x_int8: bytes of one input sample; returns the int8 output bytes (if out_count)."""
        self._check(self.lib.nnom_model_set_input_s8(self.m, 0, x_int8, len(x_int8)))
        self._check(self.lib.nnom_model_run(self.m))
        if out_count:
            out = ctypes.create_string_buffer(out_count)
            self._check(self.lib.nnom_model_get_output_s8(self.m, 0, out, out_count))
            return out.raw
        return None


# --------------------------------------------------------------------------- workers (subprocesses)
def worker_tflm_probe(model_path: str, arena: int, print_allocations: bool) -> int:
    """Builds a TFLM interpreter with `arena` bytes and runs one inference; prints 'ok' (and the allocations)."""
    import numpy as np
    from tflite_micro.python.tflite_micro import runtime

    with open(model_path, "rb") as f:
        data = f.read()
    it = runtime.Interpreter.from_bytes(data, arena_size=arena)
    d = it.get_input_details(0)
    it.set_input(np.zeros(tuple(d["shape"]), dtype=d["dtype"]), 0)
    it.invoke()
    it.get_output(0)
    if print_allocations:
        sys.stdout.flush()
        it.print_allocations()        # C printf to stdout
    print("\nprobe ok", flush=True)
    return 0


def load_extension(path: str):
    """The _nnom extension module from a given file (a build with symbols, not the installed one)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_nnom", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def worker_callgrind(plan_path: str) -> int:
    """Runs every block of the plan (engine, model, inputs, n), one image per call; after each block calls
    nnom_version() (through the extension), after which callgrind dumps and zeroes its counters."""
    import numpy as np

    with open(plan_path) as f:
        plan = json.load(f)
    ext = load_extension(plan["extension"])
    for block in plan["blocks"]:
        x = np.ascontiguousarray(np.load(block["inputs"])[: block["n"]])
        if block["engine"] == "tflm":
            from tflite_micro.python.tflite_micro import runtime

            with open(block["model"], "rb") as f:
                it = runtime.Interpreter.from_bytes(f.read(), arena_size=block["arena"])
            for i in range(len(x)):
                if block.get("reset"):      # variable tensors (an LSTM's state) back to zero, outside Invoke()
                    it.reset()
                it.set_input(x[i:i + 1], 0)
                it.invoke()
                it.get_output(0)
        else:
            with open(block["model"], "rb") as f:
                m = ext.Model(f.read(), False)
            outs = [m.predict([x[i:i + 1]], 1, True, True, False)[0] for i in range(len(x))]
            expected = np.load(block["expected"])[: block["n"]]
            if b"".join(outs) != expected.tobytes():
                print(f"MISMATCH {block['name']}: the extension built from this tree differs from the installed one")
        ext.version()
        print(f"block {block['engine']} {block['name']} done", flush=True)
    return 0


# --------------------------------------------------------------------------- helpers
class Captured:
    """Redirects fd 1 and 2 (Python and C output) into a temporary file while active."""

    def __enter__(self):
        sys.stdout.flush()
        sys.stderr.flush()
        self.file = tempfile.TemporaryFile(mode="w+b")
        self.saved = (os.dup(1), os.dup(2))
        os.dup2(self.file.fileno(), 1)
        os.dup2(self.file.fileno(), 2)
        return self

    def __exit__(self, *exc):
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(self.saved[0], 1)
        os.dup2(self.saved[1], 2)
        os.close(self.saved[0])
        os.close(self.saved[1])
        self.file.seek(0)
        self.text = self.file.read().decode(errors="replace")
        self.file.close()
        return False


def log(msg: str) -> None:
    print(msg, flush=True)


def short_error(e, limit=160) -> str:
    s = " ".join(str(e).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


def load_digits_split():
    import numpy as np
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[..., np.newaxis]   # 1797 x 8 x 8 x 1, in [0, 1]
    y = d.target.astype(np.int32)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(x))
    test, train = order[:500], order[500:]
    return x[train], y[train], x[test], y[test]


def make_models(keras):
    L = keras.layers

    def mlp(batch_size=None):
        i = keras.Input((8, 8, 1), batch_size=batch_size, name="image")
        h = L.Flatten()(i)
        h = L.Dense(64, activation="relu")(h)
        h = L.Dense(32, activation="relu")(h)
        return keras.Model(i, L.Dense(10, activation="softmax")(h), name="mlp")

    def cnn_bn(batch_size=None):
        i = keras.Input((8, 8, 1), batch_size=batch_size, name="image")
        h = L.Conv2D(16, 3, padding="same")(i)
        h = L.BatchNormalization()(h)
        h = L.ReLU()(h)
        h = L.Conv2D(32, 3, padding="same", use_bias=False)(h)
        h = L.BatchNormalization()(h)
        h = L.ReLU()(h)
        h = L.MaxPooling2D(2)(h)
        h = L.Flatten()(h)
        h = L.Dropout(0.2)(h)
        return keras.Model(i, L.Dense(10, activation="softmax")(h), name="cnn_bn")

    def residual_concat(batch_size=None):
        i = keras.Input((8, 8, 1), batch_size=batch_size, name="image")
        h = L.Conv2D(16, 3, padding="same", activation="relu")(i)
        r = L.Conv2D(16, 3, padding="same", activation="relu")(h)
        r = L.Conv2D(16, 3, padding="same")(r)
        h = L.ReLU()(L.Add()([h, r]))
        a = L.Conv2D(8, 1, activation="relu")(h)
        b = L.Conv2D(8, 3, padding="same", activation="relu")(h)
        h = L.Concatenate()([a, b])
        h = L.GlobalAveragePooling2D()(h)
        return keras.Model(i, L.Dense(10, activation="softmax")(h), name="residual_concat")

    return [mlp, cnn_bn, residual_concat]


def tflite_convert(tf, model, x_cal):
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


def tflite_info(data: bytes):
    """Operators used and bytes of constant buffers of a .tflite flatbuffer."""
    from tflite_micro.python.tflite_micro import runtime

    m = runtime.convert_bytearray_to_object(bytearray(data))
    names = {v: k for k, v in vars(runtime.schema_fb.BuiltinOperator).items() if not k.startswith("_")}
    ops = []
    for sg in m.subgraphs:
        for op in sg.operators or []:
            code = runtime.get_builtin_code_from_operator_code(m.operatorCodes[op.opcodeIndex])
            ops.append(names.get(code, str(code)))
    const = sum(len(b.data) for b in m.buffers if b.data is not None)
    return ops, const


def git_commit() -> str:
    """The repository's short commit for a report's provenance line, with " + uncommitted changes" when
    tracked files other than the generated results (benchmarks/results) differ from it; "unknown"
    without git."""
    try:
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip() or "unknown"
        if subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no", "--", ".",
                           ":(exclude)benchmarks/results"], capture_output=True,
                          text=True).stdout.strip():
            commit += " + uncommitted changes"
        return commit
    except OSError:
        return "unknown"


def compiler_of(path: str) -> str:
    """The GCC version recorded in a binary's .comment section, if any."""
    import re

    try:
        with open(path, "rb") as f:
            m = re.search(rb"GCC: \([^)]*\) ([0-9][0-9.]*)", f.read())
        return f"GCC {m.group(1).decode()}" if m else "compiler unknown"
    except OSError:
        return "compiler unknown"


def quantize(x, scale, zero_point):
    import numpy as np

    return np.clip(np.round(x / scale) + zero_point, -128, 127).astype(np.int8)


def run_probe(model_path: str, arena: int, print_allocations=False, timeout=60):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", "tflm-probe", model_path, str(arena)]
    if print_allocations:
        cmd.append("--print-allocations")
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, "timeout"
    ok = r.returncode == 0 and "probe ok" in r.stdout
    return ok, r.stdout + r.stderr + ("" if ok else f"\n(exit status {r.returncode})")


def tflm_arena(model_path: str, model_size: int):
    """Smallest arena with which TFLM builds and runs the model, and its allocator's report."""
    import re

    big = max(64 * 1024, 10 * model_size)
    ok, out = run_probe(model_path, big, print_allocations=True)
    if not ok:
        lines = [l for l in out.splitlines() if l.strip()]
        raise RuntimeError(short_error(" / ".join(lines[-3:]) or "probe failed", 300))
    rep = {}
    for key in ("total", "head", "tail"):
        m = re.search(rf"Arena allocation {key} (\d+) bytes", out)
        rep[key] = int(m.group(1)) if m else None
    # bisection: the report's total first (usually the answer), then shrink or grow
    lo, hi = 0, big                       # lo fails (assumed), hi works
    guess = rep["total"]
    probes = 1
    if guess:
        ok_g, _ = run_probe(model_path, guess)
        probes += 1
        if ok_g:
            hi = guess
            ok_m, _ = run_probe(model_path, guess - 1)
            probes += 1
            if ok_m:
                hi = guess - 1
            else:
                lo = guess - 1
        else:
            lo = guess
            ok_2, _ = run_probe(model_path, 2 * guess)
            probes += 1
            if ok_2:
                hi = 2 * guess
            else:
                lo = 2 * guess
    while hi - lo > 1:
        mid = (lo + hi) // 2
        ok_mid, _ = run_probe(model_path, mid)
        probes += 1
        if ok_mid:
            hi = mid
        else:
            lo = mid
    rep["min"] = hi
    rep["probes"] = probes
    return rep


def build_extension(work: str) -> str:
    """The _nnom extension built from this tree with the installed one's flags (Release: -O3 -DNDEBUG) plus -g,
    so that callgrind sees nnom_model_run (the installed module is stripped)."""
    build = os.path.join(work, "pyext-build")
    gen = ["-G", "Ninja"] if shutil.which("ninja") else []
    for cmd in (["cmake", "-S", os.path.join(ROOT, "python"), "-B", build, *gen, "-DCMAKE_BUILD_TYPE=Release",
                 "-DCMAKE_C_FLAGS=-g", f"-DPython_EXECUTABLE={sys.executable}"],
                ["cmake", "--build", build, "--target", "_nnom"]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            err = [l for l in (r.stdout + r.stderr).splitlines() if "error" in l.lower()] or ["exit status %d" % r.returncode]
            raise RuntimeError(f"{' '.join(cmd[:2])}: {err[0].strip()}")
    for name in sorted(os.listdir(build)):
        if name.startswith("_nnom") and name.endswith(".so"):
            return os.path.join(build, name)
    raise RuntimeError("the built _nnom module was not found")


def run_callgrind(work: str, extension: str, blocks: list):
    """One valgrind run for every block; returns instructions per inference per block (same order)."""
    plan = os.path.join(work, "callgrind_plan.json")
    with open(plan, "w") as f:
        json.dump({"extension": extension, "blocks": blocks}, f)
    out = os.path.join(work, "cg.out")
    for name in os.listdir(work):
        if name.startswith("cg.out"):
            os.remove(os.path.join(work, name))
    cmd = ["valgrind", "--tool=callgrind", f"--toggle-collect={TFLM_INVOKE}", f"--toggle-collect={NNOM_RUN}",
           f"--dump-after={BLOCK_MARKER}", f"--callgrind-out-file={out}",
           sys.executable, os.path.abspath(__file__), "--worker", "callgrind", plan]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        raise RuntimeError(f"valgrind exit {r.returncode}: {short_error(r.stderr[-400:], 300)}")
    parts = {}
    for name in os.listdir(work):
        if not name.startswith("cg.out."):
            continue
        with open(os.path.join(work, name)) as f:
            text = f.read()
        part = total = None
        for line in text.splitlines():
            if line.startswith("part:"):
                part = int(line.split()[1])
            elif line.startswith("summary:") or line.startswith("totals:"):
                total = int(line.split()[1])
        if part is not None and total is not None:
            parts[part] = total
    if len(parts) < len(blocks):
        raise RuntimeError(f"callgrind wrote {len(parts)} block dumps, expected {len(blocks)}")
    mismatch = [l for l in r.stdout.splitlines() if l.startswith("MISMATCH")]
    return [parts[k + 1] / b["n"] for k, b in enumerate(blocks)], mismatch


def fmt_int(v):
    return f"{int(round(v)):,}" if isinstance(v, (int, float)) else str(v)


def fmt_ratio(a, b):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b:
        return f"{a / b:.2f}x"
    return "n/a"


# --------------------------------------------------------------------------- main
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--reps", type=int, default=7, help="timed passes over the test set per engine (median)")
    ap.add_argument("--cg-images", type=int, default=50, help="inferences per model and engine under callgrind")
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "tflm_compare"))
    ap.add_argument("--output", default=os.path.join(HERE, "results", "tflm_compare.md"))
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    ap.add_argument("--print-allocations", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker == "tflm-probe":
        return worker_tflm_probe(a.args[0], int(a.args[1]), a.print_allocations)
    if a.worker == "callgrind":
        return worker_callgrind(a.args[0])

    t_start = time.time()
    os.makedirs(a.work, exist_ok=True)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import importlib.metadata as md

    import numpy as np
    import tensorflow as tf
    import keras
    import nnom

    tf.get_logger().setLevel("ERROR")
    try:
        tf.config.experimental.enable_op_determinism()
    except Exception:
        pass
    try:
        from tflite_micro.python.tflite_micro import runtime as tflm_runtime
        tflm_version = md.version("tflite-micro")
    except ImportError as e:
        tflm_runtime, tflm_version = None, f"not installed ({e})"

    x_train, y_train, x_test, y_test = load_digits_split()
    x_cal = x_train[:N_CALIBRATION]
    n_test = len(x_test)
    results = []
    notes = []

    # ---------------------------------------------------------------- 1-2. train and convert
    for make in make_models(keras):
        keras.utils.set_random_seed(TRAIN_SEED)
        model = make()
        name = model.name
        r = {"name": name}
        results.append(r)
        t0 = time.time()
        model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
        model.fit(x_train, y_train, epochs=a.epochs, batch_size=64, verbose=0)
        r["train_s"] = time.time() - t0
        r["keras_acc"] = float(np.mean(model.predict(x_test, verbose=0).argmax(1) == y_test))
        log(f"== {name}: trained in {r['train_s']:.0f} s, Keras float32 top-1 {100 * r['keras_acc']:.1f}%")

        # nnom
        q = nnom.convert(model, x_cal, output=os.path.join(a.work, f"{name}.nnom"), progress=False)
        spec = q.inputs[0]
        r["nnom"] = {"model": q, "path": os.path.join(a.work, f"{name}.nnom"), "arena": q.arena_size,
                     "bytes": q.flash_size, "weights": q.weight_bytes, "macs": q.macs, "layers": len(q.layers),
                     "x": quantize(x_test, spec["scale"], spec["zero_point"])}
        np.save(os.path.join(a.work, f"{name}_nnom_x.npy"), r["nnom"]["x"])

        # TFLite full-integer quantisation, run by TFLM. Converted from a twin with a fixed batch of 1 (same
        # weights), as for a microcontroller: a free batch dimension makes Flatten a SHAPE/STRIDED_SLICE/PACK/
        # RESHAPE chain in the .tflite.
        t = r["tflm"] = {}
        try:
            twin = make(batch_size=1)
            twin.set_weights(model.get_weights())
            with Captured():
                data = tflite_convert(tf, twin, x_cal)
            t["path"] = os.path.join(a.work, f"{name}.tflite")
            with open(t["path"], "wb") as f:
                f.write(data)
            t["bytes"] = len(data)
            if tflm_runtime is None:
                raise RuntimeError(f"tflite-micro {tflm_version}")
            t["ops"], t["const"] = tflite_info(data)
        except Exception as e:
            t["error"] = f"conversion: {short_error(e)}"
        if "error" not in t:
            try:
                t["arena_report"] = tflm_arena(t["path"], t["bytes"])
                t["arena"] = t["arena_report"]["min"]
            except Exception as e:
                t["error"] = f"TFLM could not run the model: {short_error(e)}"
        if "error" not in t:
            it = tflm_runtime.Interpreter.from_bytes(data, arena_size=t["arena"])
            d = it.get_input_details(0)
            qp = d["quantization_parameters"]
            t["interp"] = it
            t["x"] = quantize(x_test, float(qp["scales"][0]), int(qp["zero_points"][0]))
            np.save(os.path.join(a.work, f"{name}_tflm_x.npy"), t["x"])
            log(f"   TFLite int8 {t['bytes']} bytes ({' '.join(sorted(set(t['ops'])))}); TFLM arena {t['arena']} bytes "
                f"(allocator: head {t['arena_report']['head']} + tail {t['arena_report']['tail']})")
        else:
            log(f"   TFLM: {t['error']}")
            notes.append(f"{name}: {t['error']}")
        log(f"   nnom int8 {q.flash_size} bytes, arena {q.arena_size} bytes, {q.macs} MACs")

    # ---------------------------------------------------------------- 3. accuracy and time, side by side
    log(f"== timing: {a.reps} interleaved passes over the {n_test} held-out images per engine")
    for r in results:
        q, xn, t = r["nnom"]["model"], r["nnom"]["x"], r["tflm"]
        has_tflm = "interp" in t

        def tflm_pass(collect=False):
            it, xt = t["interp"], t["x"]
            outs = []
            t0 = time.perf_counter()
            for i in range(n_test):
                it.set_input(xt[i:i + 1], 0)
                it.invoke()
                o = it.get_output(0)
                if collect:
                    outs.append(o[0].copy())
            dt = time.perf_counter() - t0
            return dt, (np.stack(outs) if collect else None)

        def nnom_loop_pass(collect=False):
            outs = []
            t0 = time.perf_counter()
            for i in range(n_test):
                o = q.predict(xn[i:i + 1], int8_output=True)
                if collect:
                    outs.append(o[0])
            dt = time.perf_counter() - t0
            return dt, (np.stack(outs) if collect else None)

        def nnom_batch_pass():
            t0 = time.perf_counter()
            o = q.predict(xn, int8_output=True)
            return time.perf_counter() - t0, o

        # warm-up passes give the outputs
        _, yn = nnom_loop_pass(collect=True)
        _, yb = nnom_batch_pass()
        assert np.array_equal(yn, yb), "nnom: per-image and batched outputs differ"
        r["nnom"]["acc"] = float(np.mean(yn.argmax(1) == y_test))
        r["nnom"]["y"] = yn
        if has_tflm:
            try:
                _, yt = tflm_pass(collect=True)
                t["acc"] = float(np.mean(yt.argmax(1) == y_test))
                t["agree"] = float(np.mean(yt.argmax(1) == yn.argmax(1)))
                t["max_diff"] = int(np.max(np.abs(yt.astype(np.int32) - yn.astype(np.int32))))
            except Exception as e:
                t["error"] = f"inference: {short_error(e)}"
                notes.append(f"{r['name']}: TFLM {t['error']}")
                has_tflm = False
        times = {"tflm": [], "nnom_loop": [], "nnom_batch": []}
        for rep in range(a.reps):
            order = ["tflm", "nnom_loop", "nnom_batch"] if rep % 2 == 0 else ["nnom_batch", "nnom_loop", "tflm"]
            for which in order:
                if which == "tflm" and has_tflm:
                    times["tflm"].append(tflm_pass()[0])
                elif which == "nnom_loop":
                    times["nnom_loop"].append(nnom_loop_pass()[0])
                elif which == "nnom_batch":
                    times["nnom_batch"].append(nnom_batch_pass()[0])
        us = {k: (1e6 * statistics.median(v) / n_test if v else None) for k, v in times.items()}
        r["nnom"]["us_loop"], r["nnom"]["us_batch"] = us["nnom_loop"], us["nnom_batch"]
        if has_tflm:
            t["us"] = us["tflm"]
        log(f"   {r['name']}: top-1 Keras {100 * r['keras_acc']:.1f}%  TFLM "
            f"{(100 * t['acc']) if 'acc' in t else float('nan'):.1f}%  nnom {100 * r['nnom']['acc']:.1f}%   "
            f"us/image TFLM {us['tflm'] or float('nan'):.1f}  nnom {us['nnom_loop']:.1f} "
            f"(batched {us['nnom_batch']:.1f})")

    # ---------------------------------------------------------------- 3b. nnom's model structures
    # The installed extension exports the C API: load each model again through a bump allocator and read back
    # how many bytes its structures took (TFLM keeps the equivalent in the tail of its arena).
    lib = nnom._nnom.__file__
    for r in results:
        try:
            with open(r["nnom"]["path"], "rb") as f:
                m = NnomC(lib, f.read())
            out_count = int(np.prod(r["nnom"]["model"].outputs[0]["shape"]))
            xs = r["nnom"]["x"]
            if not all(m.run(xs[i].tobytes(), out_count) == r["nnom"]["y"][i].tobytes() for i in range(20)):
                raise RuntimeError("outputs through the C API differ from model.predict")
            r["nnom"]["structs"], r["nnom"]["pool"] = m.struct_bytes, m.pool_bytes
        except Exception as e:
            notes.append(f"{r['name']}: nnom model structures not measured: {short_error(e)}")

    # ---------------------------------------------------------------- 3c. instructions with callgrind
    cg_note = None
    n_cg = min(a.cg_images, n_test)
    if a.no_callgrind:
        cg_note = "skipped (--no-callgrind)"
    elif shutil.which("valgrind") is None or shutil.which("cmake") is None:
        cg_note = "skipped: valgrind and cmake are needed"
    else:
        try:
            log("== building the _nnom extension with symbols (-O3 -g) for callgrind")
            extension = build_extension(a.work)
            blocks = []
            for r in results:
                if "interp" in r["tflm"] and "error" not in r["tflm"]:
                    blocks.append({"engine": "tflm", "name": r["name"], "model": r["tflm"]["path"],
                                   "arena": r["tflm"]["arena"], "n": n_cg,
                                   "inputs": os.path.join(a.work, f"{r['name']}_tflm_x.npy")})
                expected = os.path.join(a.work, f"{r['name']}_nnom_y.npy")
                np.save(expected, r["nnom"]["y"])
                blocks.append({"engine": "nnom", "name": r["name"], "model": r["nnom"]["path"], "n": n_cg,
                               "inputs": os.path.join(a.work, f"{r['name']}_nnom_x.npy"), "expected": expected})
            log(f"== callgrind: {len(blocks)} blocks of {n_cg} inferences in one valgrind run")
            t0 = time.time()
            per, mismatch = run_callgrind(a.work, extension, blocks)
            for b, v in zip(blocks, per):
                r = next(x for x in results if x["name"] == b["name"])
                r[b["engine"]]["instr"] = v
            notes.extend(m[len("MISMATCH "):] + " (instruction counts are of the tree's build)" for m in mismatch)
            log(f"   done in {time.time() - t0:.0f} s")
        except Exception as e:
            cg_note = f"failed: {short_error(e, 300)}"
            log(f"   callgrind {cg_note}")

    # ---------------------------------------------------------------- 4. report
    def pct(v):
        return f"{100 * v:.1f}%" if isinstance(v, float) else "n/a"

    def us(v):
        return f"{v:.1f}" if isinstance(v, float) else "n/a"

    tf_ver = tf.__version__
    tflm_cc = "compiler unknown"
    if tflm_runtime is not None:
        tflm_cc = compiler_of(tflm_runtime._runtime.__file__)
    gcc = subprocess.run(["cc", "--version"], capture_output=True, text=True).stdout.splitlines()[:1]
    commit = git_commit()
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass

    L = []
    L.append("# nnom against TensorFlow Lite Micro: digits MLP, CNN+BN, residual+concat")
    L.append("")
    L.append(f"Generated by `benchmarks/tflm_compare.sh` on {datetime.date.today().isoformat()}; do not edit. "
             f"Versions: tensorflow {tf_ver}, keras {keras.__version__}, tflite-micro {tflm_version}, "
             f"nnom {nnom.__version__} (commit {commit}), numpy {np.__version__}, Python {platform.python_version()}.")
    L.append("")
    L.append(f"Data: scikit-learn digits, 8x8x1 in [0, 1], {len(x_train)} training / {n_test} held-out images "
             f"(split seed {SPLIT_SEED}); each model trained {a.epochs} epochs (seed {TRAIN_SEED}). Both int8 "
             f"conversions calibrate on the same {N_CALIBRATION} training images: TensorFlow's full-integer "
             f"post-training quantisation (int8 in/out, TFLITE_BUILTINS_INT8) run by TFLite Micro's Python "
             f"interpreter, and `nnom.convert()` run by libnnom.")
    L.append("")
    L.append("| model | engine | top-1 | arena bytes | + runtime structs | model bytes | us / image | "
             "instructions / inference |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        t, n = r["tflm"], r["nnom"]
        L.append(f"| {r['name']} | Keras float32 | {pct(r['keras_acc'])} | | | | | |")
        if "error" in t and "acc" not in t:
            L.append(f"| {r['name']} | TFLM int8 | failed: {t['error']} | | | "
                     f"{fmt_int(t['bytes']) if 'bytes' in t else 'n/a'} | | |")
        else:
            rep = t.get("arena_report", {})
            L.append(f"| {r['name']} | TFLM int8 | {pct(t.get('acc'))} | {fmt_int(rep.get('head'))} "
                     f"| {fmt_int(rep.get('tail'))} (= {fmt_int(t.get('arena'))} smallest arena) "
                     f"| {fmt_int(t.get('bytes'))} | {us(t.get('us'))} | {fmt_int(t.get('instr', 'n/a'))} |")
        L.append(f"| {r['name']} | nnom int8 | {pct(n['acc'])} | {fmt_int(n['arena'])} "
                 f"| {fmt_int(n.get('structs', 'n/a'))} | {fmt_int(n['bytes'])} "
                 f"| {us(n['us_loop'])} ({us(n['us_batch'])} batched) | {fmt_int(n.get('instr', 'n/a'))} |")
    L.append("")
    L.append("TFLM / nnom ratios (above 1 means nnom is smaller or faster):")
    L.append("")
    L.append("| model | MACs | top-1 agreement | max int8 output diff | activation arena | total RAM "
             "| model bytes | wall-clock per image | instructions | nnom instr / MAC |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        t, n = r["tflm"], r["nnom"]
        rep = t.get("arena_report", {})
        nnom_total = n["arena"] + n["structs"] if "structs" in n else None
        ipm = f"{n['instr'] / n['macs']:.2f}" if "instr" in n and n["macs"] else "n/a"
        L.append(f"| {r['name']} | {fmt_int(n['macs'])} | {pct(t.get('agree'))} | {t.get('max_diff', 'n/a')} "
                 f"| {fmt_ratio(rep.get('head'), n['arena'])} | {fmt_ratio(t.get('arena'), nnom_total)} "
                 f"| {fmt_ratio(t.get('bytes'), n['bytes'])} | {fmt_ratio(t.get('us'), n['us_loop'])} "
                 f"| {fmt_ratio(t.get('instr'), n.get('instr'))} | {ipm} |")
    L.append("")
    L.append("How each number is measured:")
    L.append("")
    L.append("- **top-1**: argmax of the int8 outputs over the held-out images; inputs quantised with each "
             "model's own input scale and zero point. *Agreement* is how often TFLM and nnom pick the same class.")
    L.append("- **arena bytes**: what each engine plans for activations and scratch — TFLM: the head of its "
             "arena as its RecordingMicroAllocator reports it; nnom: `model.arena_size`. **+ runtime structs**: "
             "TFLM: the arena's tail (tensor and node structs, per-op data); nnom: the bytes its model "
             "structures keep after `nnom_model_load` (layer table, plan, I/O lists), counted by loading the "
             "model through the C API with a counting allocator ("
             + ", ".join(f"{r['name']}: {fmt_int(r['nnom']['pool'])}" for r in results if "pool" in r["nnom"])
             + " bytes for a never-freeing `nnom_pool`). The TFLM smallest arena (in parentheses; compared as "
             "*total RAM* with nnom's arena + structs) is found by bisection, each try in its own subprocess; it "
             "is larger than head + tail because AllocateTensors needs temporary room. Everything is measured on "
             "x86-64, where pointers are 8 bytes: the structs of both are smaller on a 32-bit MCU, the activation "
             "arenas are not.")
    L.append("- **model bytes**: the .tflite flatbuffer against the .nnom file (both: what goes to flash); "
             + ", ".join(f"{r['name']}: {fmt_int(r['tflm']['const'])} against {fmt_int(r['nnom']['weights'])}"
                         for r in results if "const" in r["tflm"])
             + " bytes of constant data alone.")
    L.append(f"- **us / image**: wall-clock, median of {a.reps} passes over the {n_test} images, the engines' passes "
             f"interleaved in one process. Both loop in Python, one image per call (TFLM: `set_input`, `invoke`, "
             f"`get_output`; nnom: `model.predict(x[i:i+1], int8_output=True)`), so Python call overhead is "
             f"included; *batched* is one `model.predict` call looping in C. The machine is a shared 2-core "
             f"virtual machine ({cpu}, {os.cpu_count()} CPUs), times are wall-clock: quote the ratios, not the "
             f"microseconds.")
    if cg_note:
        L.append(f"- **instructions / inference**: callgrind {cg_note}.")
    else:
        L.append(f"- **instructions / inference**: valgrind callgrind, x86-64 instructions executed inside "
                 f"`{TFLM_INVOKE}` and `{NNOM_RUN}` only, averaged over the first {min(a.cg_images, n_test)} "
                 f"held-out images (one valgrind run, one dump per model and engine). TFLM is the PyPI wheel's "
                 f"build ({tflm_cc}, its reference kernels: no CMSIS-NN on x86); nnom is the `_nnom` extension "
                 f"built from this tree with the installed one's flags (-O3 -DNDEBUG, plus -g; "
                 f"{gcc[0] if gcc else 'cc'}), checked to give the installed package's outputs bit for bit.")
    ops = {r["name"]: sorted(set(r["tflm"]["ops"])) for r in results if "ops" in r["tflm"]}
    if ops:
        L.append("- TFLite operators: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in ops.items()) + ".")
    same = [r["name"] for r in results if r["tflm"].get("max_diff") == 0]
    if same:
        L.append(f"- Bit-identical: the int8 outputs of nnom and TFLM are the same on all {n_test} images for "
                 f"{', '.join(same)}.")
    L.append("")
    if notes:
        L.append("Notes:")
        L.append("")
        for n_ in notes:
            L.append(f"- {n_}")
        L.append("")
    L.append(f"Whole run: {time.time() - t_start:.0f} s (training "
             f"{sum(r['train_s'] for r in results):.0f} s).")
    text = "\n".join(L) + "\n"
    os.makedirs(os.path.dirname(a.output), exist_ok=True)
    with open(a.output, "w") as f:
        f.write(text)
    print()
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

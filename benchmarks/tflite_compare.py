"""The same .tflite files in TensorFlow Lite Micro and in nnom, side by side.

Models: the four MLPerf Tiny re-creations of benchmarks/tflite_mlperf.py (built
once with its builders, seeds and training loop, then kept under
benchmarks/work/tflite_compare/ and reused) and the three digits models of
Tests/fixtures/tflite (committed .tflite files with their int8 inputs).

Per model and engine:
  - file size: the .tflite file (TFLM) and the .nnom file that nnom.convert()
    makes of it;
  - arena: TFLM's smallest working arena_size (bisection in subprocesses,
    tflm_compare.tflm_arena) against nnom's model.arena_size;
  - total RAM: TFLM's arena, which also holds its interpreter bookkeeping,
    against nnom's arena plus the bytes of its loaded model structures
    (counted through the C API's allocator hook);
  - x86-64 instructions per inference: valgrind callgrind, one run for all
    blocks, counting inside MicroInterpreter::Invoke() and nnom_model_run()
    (tflm_compare.run_callgrind);
  - bit-exactness: nnom's int8 outputs against TFLM's on every sample;
  - for nnom, Cortex-M4 instructions per inference under QEMU and its outputs
    equal to the host's (benchmarks/firmware/tflite_m4.sh).

usage: python3 benchmarks/tflite_compare.py [--samples 50] [--cg-samples 10] [--no-callgrind] [--no-m4] [--rebuild]
       (benchmarks/tflite_compare.sh installs what is missing and runs this)
"""
import argparse
import os
import platform
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from tflm_compare import NnomC, build_extension, git_commit, log, run_callgrind, short_error, tflm_arena  # noqa: E402

WORK = os.path.join(HERE, "work", "tflite_compare")
FIXTURES = os.path.join(ROOT, "Tests", "fixtures", "tflite")
DIGITS = ("digits_mlp", "digits_cnn_bn", "digits_residual_concat")
MLPERF = ("ds_cnn_kws", "mobilenet_v1_025_vww", "resnet8_ic", "autoencoder_ad")
N_CALIBRATION = 200      # benchmarks/tflite_mlperf.py's split: 200 calibration/fit inputs, then the test inputs
RUN_ARENA = 1024 * 1024  # TFLM arena for the bit-exactness run (its smallest arena is measured separately)


def build_mlperf(n_test: int) -> None:
    """Writes WORK/<name>.tflite and WORK/<name>.x.npy (int8 test inputs) for the four MLPerf Tiny models,
    with tflite_mlperf.py's builders and the same seeds and steps (so the same models)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    import tflite_mlperf as mp

    log(f"== building the MLPerf Tiny models with TensorFlow {tf.__version__} (once; kept in {WORK})")
    tf.keras.utils.set_random_seed(mp.SEED)
    rng = np.random.default_rng(mp.SEED)
    for build in (mp.ds_cnn, mp.mobilenet_v1_025, mp.resnet8, mp.autoencoder):
        model = build()
        shape = model.input_shape[1:]
        x = rng.normal(0.0, 1.0, size=(N_CALIBRATION + n_test,) + shape).astype(np.float32)
        y = rng.normal(0.0, 1.0, size=(N_CALIBRATION,) + model.output_shape[1:]).astype(np.float32)
        model.compile(optimizer="adam", loss="mse")
        model.fit(x[:N_CALIBRATION], y, epochs=2, batch_size=32, verbose=0)
        data = mp.to_tflite(model, x[:N_CALIBRATION])
        from tflite_micro.python.tflite_micro import runtime

        q = runtime.Interpreter.from_bytes(data, arena_size=RUN_ARENA).get_input_details(0)["quantization_parameters"]
        xq = np.clip(np.round(x[N_CALIBRATION:] / q["scales"][0]) + q["zero_points"][0], -128, 127).astype(np.int8)
        np.save(os.path.join(WORK, model.name + ".x.npy"), xq)
        with open(os.path.join(WORK, model.name + ".tflite"), "wb") as f:   # last: its presence marks a complete model
            f.write(data)
        log(f"   {model.name}: {len(data):,} bytes")
    with open(os.path.join(WORK, "tensorflow_version.txt"), "w") as f:
        f.write(tf.__version__ + "\n")


def tflm_outputs(data: bytes, x: np.ndarray) -> np.ndarray:
    from tflite_micro.python.tflite_micro import runtime

    it = runtime.Interpreter.from_bytes(data, arena_size=RUN_ARENA)
    out = []
    for i in range(len(x)):
        it.set_input(x[i:i + 1], 0)
        it.invoke()
        out.append(np.array(it.get_output(0)).reshape(-1).copy())
    return np.stack(out).astype(np.int8)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=50, help="inputs per model for bit-exactness (digits: at most 48)")
    ap.add_argument("--cg-samples", type=int, default=10, help="inferences per model and engine under callgrind")
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--m4-samples", type=int, default=2, help="inputs checked on the Cortex-M4 under QEMU")
    ap.add_argument("--no-m4", action="store_true", help="skip the Cortex-M4 (QEMU) measurement")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the MLPerf models even if kept in " + WORK)
    a = ap.parse_args()
    os.makedirs(WORK, exist_ok=True)

    import nnom

    t_start = time.time()
    if a.rebuild or not all(os.path.exists(os.path.join(WORK, n + ".tflite")) for n in MLPERF):
        build_mlperf(max(a.samples, a.cg_samples))
    models = [(n, os.path.join(WORK, n + ".tflite"), os.path.join(WORK, n + ".x.npy"), "MLPerf Tiny") for n in MLPERF]
    models += [(n, os.path.join(FIXTURES, n + ".tflite"), os.path.join(FIXTURES, n + ".input.npy"), "digits")
               for n in DIGITS]

    rows, notes, blocks = [], [], []
    for name, path, x_path, family in models:
        log(f"== {name}")
        with open(path, "rb") as f:
            data = f.read()
        x = np.ascontiguousarray(np.load(x_path).astype(np.int8))
        n = min(a.samples, len(x))
        x = x[:n]
        expected = tflm_outputs(data, x)
        m = nnom.convert(path)
        got = m.predict(x, int8_output=True).reshape(n, -1)
        differ = int(np.count_nonzero(got != expected))
        nnom_bytes = m.to_bytes()
        nnom_path = os.path.join(WORK, name + ".nnom")
        with open(nnom_path, "wb") as f:
            f.write(nnom_bytes)
        c = NnomC(nnom._nnom.__file__, nnom_bytes)
        tflm_min = tflm_arena(path, len(data))["min"]
        r = {"name": name, "family": family, "tflite": len(data), "nnom": len(nnom_bytes), "layers": len(m.layers),
             "tflm_arena": tflm_min, "nnom_arena": c.arena_size, "nnom_structs": c.struct_bytes,
             "n": n, "outs": expected.shape[1], "differ": differ}
        rows.append(r)
        log(f"   {r}")
        n_cg = min(a.cg_samples, n)
        x_cg = os.path.join(WORK, name + ".cg_x.npy")
        y_cg = os.path.join(WORK, name + ".cg_y.npy")
        np.save(x_cg, x[:n_cg])
        np.save(y_cg, got[:n_cg].astype(np.int8))
        blocks.append({"engine": "tflm", "name": name, "model": path, "arena": RUN_ARENA, "n": n_cg, "inputs": x_cg})
        blocks.append({"engine": "nnom", "name": name, "model": nnom_path, "n": n_cg, "inputs": x_cg,
                       "expected": y_cg})

    cg_note = None
    if a.no_callgrind:
        cg_note = "skipped (--no-callgrind)"
    elif shutil.which("valgrind") is None or shutil.which("cmake") is None:
        cg_note = "skipped: valgrind and cmake are needed"
    else:
        try:
            log("== building the _nnom extension with symbols (-O3 -g) for callgrind")
            ext = build_extension(WORK)
            log(f"== callgrind: {len(blocks)} blocks in one valgrind run")
            t0 = time.time()
            per, mismatch = run_callgrind(WORK, ext, blocks)
            for b, v in zip(blocks, per):
                next(r for r in rows if r["name"] == b["name"])["instr_" + b["engine"]] = v
            notes.extend(s[len("MISMATCH "):] + " (instruction counts are of the tree's build)" for s in mismatch)
            log(f"   done in {time.time() - t0:.0f} s")
        except Exception as e:  # the sizes and bit-exactness are still reported
            cg_note = f"failed: {short_error(e, 300)}"
            log(f"   callgrind {cg_note}")

    m4_note = None
    if a.no_m4:
        m4_note = "skipped (--no-m4)"
    elif shutil.which("qemu-system-arm") is None and shutil.which("apt-get") is None:
        m4_note = "skipped: qemu-system-arm is needed"
    else:
        log("== Cortex-M4 under QEMU (benchmarks/firmware/tflite_m4.sh)")
        specs = [f"{name}={path}={x_path}" for name, path, x_path, _ in models]
        r = subprocess.run(["bash", os.path.join(HERE, "firmware", "tflite_m4.sh"), str(a.m4_samples), *specs],
                           capture_output=True, text=True)
        for line in r.stdout.splitlines():
            if line.startswith("m4 "):
                _, name, *kv = line.split()
                row = next(x for x in rows if x["name"] == name)
                row["m4"] = dict(f.split("=") for f in kv)
        if r.returncode != 0:
            m4_note = "failed: " + short_error(r.stderr[-400:], 300)
            log("   " + m4_note)

    write_report(rows, notes, cg_note, m4_note, a, time.time() - t_start)
    return 0 if all(r["differ"] == 0 for r in rows) else 1


def write_report(rows, notes, cg_note, m4_note, a, seconds):
    try:
        with open(os.path.join(WORK, "tensorflow_version.txt")) as f:
            tf_ver = f.read().strip()
    except OSError:
        tf_ver = "unknown"

    def num(v):
        return f"{int(round(v)):,}" if isinstance(v, (int, float)) else "n/a"

    def ratio(a_, b_):
        return f"{a_ / b_:.2f}x" if isinstance(a_, (int, float)) and isinstance(b_, (int, float)) and b_ else "n/a"

    import importlib.metadata as md

    try:
        tflm_ver = md.version("tflite-micro")
    except md.PackageNotFoundError:
        tflm_ver = "unknown"
    cc = subprocess.run(["cc", "--version"], capture_output=True, text=True).stdout.splitlines()[:1]
    L = ["# .tflite files in TensorFlow Lite Micro and nnom, side by side", "",
         f"Generated by `benchmarks/tflite_compare.sh` from commit {git_commit()}; do not edit. "
         f"{platform.machine()}, Python {platform.python_version()}, tflite-micro {tflm_ver} (its Python "
         f"interpreter), TensorFlow {tf_ver} (MLPerf models only), nnom's extension built with "
         f"{cc[0] if cc else 'cc'} at -O3. {seconds:.0f} s.", "",
         "The same `.tflite` file runs in TensorFlow Lite Micro and, converted by `nnom.convert()`, in nnom. "
         "MLPerf Tiny: the re-creations of `benchmarks/tflite_mlperf.py` (quantised by TensorFlow, synthetic "
         "inputs). Digits: the committed fixtures `Tests/fixtures/tflite/digits_*.tflite` and their inputs.", "",
         "## Sizes and RAM (bytes)", "",
         "| model | .tflite file | .nnom file | TFLM arena (= its RAM) | nnom arena | nnom model structures "
         "| nnom RAM | TFLM / nnom RAM |",
         "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        nnom_ram = r["nnom_arena"] + r["nnom_structs"]
        L.append(f"| {r['name']} | {num(r['tflite'])} | {num(r['nnom'])} | {num(r['tflm_arena'])} | "
                 f"{num(r['nnom_arena'])} | {num(r['nnom_structs'])} | {num(nnom_ram)} | "
                 f"{ratio(r['tflm_arena'], nnom_ram)} |")
    L += ["", "## Instructions per inference and bit-exactness", "",
          "| model | MACs | TFLM x86-64 | nnom x86-64 | TFLM / nnom | nnom Cortex-M4 (QEMU) | M4 per MAC "
          "| M4 outputs = host | samples x outputs | outputs that differ from TFLM |",
          "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
    for r in rows:
        ti, ni, m4 = r.get("instr_tflm"), r.get("instr_nnom"), r.get("m4", {})
        m4i = int(m4["insns"]) if "insns" in m4 else None
        macs = int(m4["macs"]) if "macs" in m4 else None
        per_mac = f"{m4i / macs:.2f}" if m4i and macs else "n/a"
        L.append(f"| {r['name']} | {num(macs)} | {num(ti)} | {num(ni)} | {ratio(ti, ni)} | {num(m4i)} | {per_mac} | "
                 f"{m4.get('exact', 'n/a')} ({a.m4_samples} inputs) | {r['n']} x {r['outs']} | {r['differ']} |")
    exact = all(r["differ"] == 0 for r in rows)
    L += ["", ("**Bit-exact**: nnom's int8 outputs equal TFLite Micro's on every sample of every model."
               if exact else "**Not bit-exact**: see the `differ` column (outputs that differ)."), "",
          "## Method", "",
          "- **arena**: TFLM's is the smallest `arena_size` with which its interpreter builds and runs the model "
          "(bisection over subprocesses, `tflm_compare.tflm_arena`); it holds activations, scratch and TFLM's own "
          "bookkeeping (tensor and node structures, op data). nnom's is `nnom_model_arena_size()`: activations "
          "and scratch only.",
          "- **RAM**: TFLM: its arena (the model's weights stay in the flatbuffer, in flash). nnom: arena plus "
          "the model structures `nnom_model_load()` allocates (counted through the allocator hook of the C API); "
          "weights stay in the `.nnom` buffer, in flash. Neither counts the stack or the runtime's static data.",
          "- **x86 instructions / inference**: " + (
              f"callgrind {cg_note}." if cg_note else
              f"valgrind callgrind, one run for all models and both engines, counting only inside "
              f"`tflite::micro::MicroInterpreter::Invoke()` and `nnom_model_run()` (`--toggle-collect`), "
              f"{a.cg_samples} inferences per block (digits: at most 48), divided by the count. TFLM is the "
              f"tflite-micro wheel's build (reference kernels, no CMSIS-NN); nnom is this tree's extension at "
              f"-O3 with its portable C kernels. Setting inputs and reading outputs is outside both counts."),
          "- **bit-exactness**: every output byte of nnom (`Model.predict(int8_output=True)`) against TFLM's "
          "`get_output` on the same int8 inputs.",
          "- **Cortex-M4**: " + (f"{m4_note}." if m4_note else
              "nnom only (TFLM is not built for the board here): `benchmarks/firmware/tflite_m4.sh` converts each "
              "`.tflite` with `examples/cortex-m4/host/make_headers tflite`, builds the firmware of "
              "`examples/cortex-m4` at -Os with the Cortex-M DSP kernels (arm-none-eabi-gcc, -mcpu=cortex-m4), "
              "runs it under QEMU (mps2-an386) and counts the instructions between the markers around two "
              "inferences with `tools/qemu-insn-plugin`, divided by two. \"M4 outputs = host\": the firmware's "
              "int8 outputs on the first inputs equal the host runtime's (which equal TFLM's, last column)."),
          ]
    if notes:
        L += ["", "## Notes", ""] + [f"- {s}" for s in notes]
    text = "\n".join(L) + "\n"
    with open(os.path.join(HERE, "results", "tflite_compare.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Seed corpora for the fuzz targets of Tests/fuzz, generated from the committed fixtures.

    python3 Tests/fuzz/make_corpus.py <fuzz-build-dir> <corpus-dir>

writes <corpus-dir>/<target>/ for every target (fuzz_model, fuzz_npy,
fuzz_keras_config), each seed prefixed with the harness's control bytes
(docs/fuzzing.md):

- fuzz_model: the .nnom files nnom_fuzz_seeds (built beside the targets)
  writes from the Keras fixtures, int8 and float32, each with a few control
  bytes (checksum as is / fixed, keep-all, round trip, raw floats, an
  allocation failure);
- fuzz_npy: the .npy and .npz fixtures (every array of each .npz);
- fuzz_keras_config: config.json of every .keras fixture, and the
  model_config attribute of every legacy .h5 (Keras 3 and tf.keras) when
  h5py is installed;
- fuzz_tflite (when Tests/fuzz/fuzz_tflite.c exists, for the .tflite
  reader of Sources/nnom_tools/tflite): every .tflite file under
  Tests/fixtures, with a zero control byte.

Nothing here is committed: corpora are generated at run time.
"""
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KERAS = os.path.join(ROOT, "Tests", "fixtures", "keras")
NPY = os.path.join(ROOT, "Tests", "fixtures", "npy")
FIXTURES = os.path.join(ROOT, "Tests", "fixtures")

# fuzz_model control bits (Tests/fuzz/fuzz_model.c)
FIX_CRC, KEEP_ALL, FAIL_ALLOC, FIX_SIZE, RAW_FLOATS, ROUND_TRIP = 1, 2, 4, 8, 16, 32
MODEL_CONTROLS = [
    (0, 0),
    (FIX_CRC, 0),
    (FIX_CRC | KEEP_ALL, 0),
    (FIX_CRC | ROUND_TRIP, 0),
    (FIX_CRC | RAW_FLOATS, 0),
    (FIX_CRC | FAIL_ALLOC, 2),
    (FIX_CRC | FAIL_ALLOC | KEEP_ALL, 9),
]
# fuzz_npy: bit 0 = .npz; byte 1 picks the array name among these
NPZ_NAMES = ["x", "y", "labels", "arr_0"]
# fuzz_keras_config: bits 0-1 the version hint (1: Keras 2, 2: Keras 3), bit 2 quantise
HINT_K2, HINT_K3, QUANTIZE = 1, 2, 4


def write(directory, data):
    os.makedirs(directory, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def model_seeds(build_dir, out):
    tool = os.path.join(build_dir, "Tests", "fuzz", "nnom_fuzz_seeds")
    models = sorted(os.path.join(KERAS, f) for f in os.listdir(KERAS)
                    if f.endswith(".keras") and not f.startswith("bad_"))
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([tool, tmp] + models, check=True, stdout=subprocess.DEVNULL)
        for f in sorted(os.listdir(tmp)):
            data = open(os.path.join(tmp, f), "rb").read()
            for ctrl, arg in MODEL_CONTROLS:
                write(out, bytes([ctrl, arg]) + data)


def npy_seeds(out):
    for f in sorted(os.listdir(NPY)):
        path = os.path.join(NPY, f)
        data = open(path, "rb").read()
        if f.endswith(".npy"):
            write(out, bytes([0, 0]) + data)
        elif f.endswith(".npz"):
            for entry in zipfile.ZipFile(path).namelist():
                name = entry[:-4] if entry.endswith(".npy") else entry
                if name in NPZ_NAMES:
                    write(out, bytes([1, NPZ_NAMES.index(name)]) + data)


def keras_seeds(out):
    for f in sorted(os.listdir(KERAS)):
        path = os.path.join(KERAS, f)
        if f.endswith(".keras"):
            config = zipfile.ZipFile(path).read("config.json")
            for ctrl in (0, HINT_K3, HINT_K3 | QUANTIZE):
                write(out, bytes([ctrl]) + config)
    try:
        import h5py
    except ImportError:
        print("make_corpus: h5py missing, no seeds from the legacy .h5 fixtures", file=sys.stderr)
        return
    for f in sorted(os.listdir(KERAS)):
        if not f.endswith(".h5") or f.startswith("bad_"):
            continue
        with h5py.File(os.path.join(KERAS, f), "r") as h:
            config = h.attrs.get("model_config")
        if config is None:
            continue
        if isinstance(config, str):
            config = config.encode()
        hint = HINT_K2 if f.endswith(".k2.h5") else 0
        for ctrl in (hint, hint | QUANTIZE):
            write(out, bytes([ctrl]) + bytes(config))


def tflite_seeds(out):
    for directory, _, files in sorted(os.walk(FIXTURES)):
        for f in sorted(files):
            if f.endswith(".tflite"):
                body = open(os.path.join(directory, f), "rb").read()
                for ctrl in (0, 1):
                    write(out, bytes([ctrl]) + body)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    build_dir, out = sys.argv[1], sys.argv[2]
    model_seeds(build_dir, os.path.join(out, "fuzz_model"))
    npy_seeds(os.path.join(out, "fuzz_npy"))
    keras_seeds(os.path.join(out, "fuzz_keras_config"))
    if os.path.exists(os.path.join(ROOT, "Tests", "fuzz", "fuzz_tflite.c")):
        tflite_seeds(os.path.join(out, "fuzz_tflite"))
    for target in sorted(os.listdir(out)):
        print("%s: %d seeds" % (target, len(os.listdir(os.path.join(out, target)))))


if __name__ == "__main__":
    main()

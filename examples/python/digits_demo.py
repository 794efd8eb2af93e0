"""The main job, end to end, on real data.

1. Train a small CNN on scikit-learn's digits (8x8 images that ship inside
   scikit-learn; fixed seed), holding out 500 images.
2. Convert it to int8 with one line, calibrating on training images.
3. Evaluate Keras float against nnom int8 on the held-out set; print
   accuracy, arena and flash bytes and the per-layer table.
4. Write weights.h, build a C program around it (examples/weights_h) and
   check it reproduces the Python int8 outputs bit for bit.

usage: python3 examples/python/digits_demo.py [--out build/demo] [--epochs 30]
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def load_digits_split(seed: int):
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., np.newaxis]  # 1797 x 8 x 8 x 1, in [0, 1]
    y = digits.target.astype(np.int32)
    order = np.random.default_rng(seed).permutation(len(x))
    test, train = order[:500], order[500:]
    return x[train], y[train], x[test], y[test]


def build_model(keras):
    layers = keras.layers
    inputs = keras.Input((8, 8, 1), name="image")
    h = layers.Conv2D(16, 3, padding="same", name="conv1")(inputs)
    h = layers.BatchNormalization(name="bn1")(h)
    h = layers.ReLU(name="relu1")(h)
    h = layers.Conv2D(24, 3, padding="same", activation="relu", name="conv2")(h)
    h = layers.MaxPooling2D(2, name="pool")(h)
    h = layers.Conv2D(32, 3, padding="same", activation="relu", name="conv3")(h)
    h = layers.GlobalAveragePooling2D(name="gap")(h)
    h = layers.Dropout(0.2, name="dropout")(h)
    outputs = layers.Dense(10, activation="softmax", name="probabilities")(h)
    return keras.Model(inputs, outputs, name="digits_cnn")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "demo"))
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import nnom

    keras.utils.set_random_seed(args.seed)
    x_train, y_train, x_test, y_test = load_digits_split(args.seed)

    print(f"== 1. training a small CNN on scikit-learn's digits ({len(x_train)} train, {len(x_test)} held out)")
    t0 = time.time()
    model = build_model(keras)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=64, verbose=0)
    keras_path = os.path.join(args.out, "digits_cnn.keras")
    model.save(keras_path)
    print(f"   trained in {time.time() - t0:.0f} s, saved {os.path.relpath(keras_path, ROOT)}")

    print("== 2. converting to int8 with one line")
    header = os.path.join(args.out, "weights.h")
    q = nnom.convert(keras_path, x_train[:300], output=os.path.join(args.out, "digits_cnn.nnom"),
                     header=header, header_name="digits")
    print(q.conversion_report)

    print("== 3. Keras float against nnom int8 on the held-out set")
    keras_acc = float(np.mean(model.predict(x_test, verbose=0).argmax(axis=1) == y_test))
    ev = nnom.evaluate(q, x_test, y_test, top_k=(1, 3), progress=False)
    print(f"   Keras float32 accuracy: {100 * keras_acc:.2f}%")
    print(f"   nnom int8 accuracy:     {100 * ev.accuracy:.2f}%   (top-3 {100 * ev.top_k[3]:.2f}%)")
    print(f"   arena (RAM) {q.arena_size} bytes, flash {q.flash_size} bytes ({q.weight_bytes} of weights), "
          f"{q.macs} MACs per inference")
    print(q.summary())
    print("   confusion matrix (rows: true digit, columns: predicted):")
    for row in ev.confusion:
        print("   " + " ".join(f"{v:3d}" for v in row))

    print("== 4. weights.h in a C program: same bytes, same answers")
    y_int8 = q.predict(x_test, int8_output=True)
    spec = q.inputs[0]
    x_int8 = np.clip(np.round(x_test / spec["scale"]) + spec["zero_point"], -128, 127).astype(np.int8)
    assert np.array_equal(q.predict(x_int8, int8_output=True), y_int8)
    x_int8.tofile(os.path.join(args.out, "inputs.bin"))
    y_int8.tofile(os.path.join(args.out, "expected.bin"))
    build = os.path.join(args.out, "weights_h_build")
    subprocess.run(["cmake", "-S", os.path.join(ROOT, "examples", "weights_h"), "-B", build, "-DWEIGHTS_H=" + header,
                    "-DMODEL_NAME=digits", "-DCMAKE_BUILD_TYPE=Release"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build], check=True, stdout=subprocess.DEVNULL)
    res = subprocess.run([os.path.join(build, "check_weights_h"), os.path.join(args.out, "inputs.bin"),
                          os.path.join(args.out, "expected.bin")])
    ok = res.returncode == 0 and abs(ev.accuracy - keras_acc) <= 0.01
    print("== done: " + ("int8 within 1 point of float, C program bit-identical" if ok else "MISMATCH"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

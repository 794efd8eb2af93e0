"""Real data: Keras models trained on scikit-learn's digits, converted to int8.

The int8 top-1 accuracy on the 500 held-out images must stay within 1.0
percentage point of Keras' float accuracy, for an MLP, a CNN with
BatchNormalization and a residual net with a Concatenate. The int8 outputs of
Python, of the C evaluation functions and of a C program built around the
generated weights.h agree bit for bit.
"""
import os
import subprocess

import numpy as np
import pytest

import nnom
from conftest import ROOT

keras = pytest.importorskip("keras")
L = keras.layers


def mlp():
    i = keras.Input((8, 8, 1))
    h = L.Flatten()(i)
    h = L.Dense(64, activation="relu")(h)
    h = L.Dense(32, activation="relu")(h)
    return keras.Model(i, L.Dense(10, activation="softmax")(h), name="mlp")


def cnn_bn():
    i = keras.Input((8, 8, 1))
    h = L.Conv2D(16, 3, padding="same")(i)
    h = L.BatchNormalization()(h)
    h = L.ReLU()(h)
    h = L.Conv2D(32, 3, padding="same", use_bias=False)(h)
    h = L.BatchNormalization()(h)
    h = L.Activation("relu")(h)
    h = L.MaxPooling2D(2)(h)
    h = L.Flatten()(h)
    h = L.Dropout(0.2)(h)
    return keras.Model(i, L.Dense(10, activation="softmax")(h), name="cnn_bn")


def residual_concat():
    i = keras.Input((8, 8, 1))
    h = L.Conv2D(16, 3, padding="same", activation="relu")(i)
    r = L.Conv2D(16, 3, padding="same", activation="relu")(h)
    r = L.Conv2D(16, 3, padding="same")(r)
    h = L.ReLU()(L.Add()([h, r]))
    a = L.Conv2D(8, 1, activation="relu")(h)
    b = L.Conv2D(8, 3, padding="same", activation="relu")(h)
    h = L.Concatenate()([a, b])
    h = L.GlobalAveragePooling2D()(h)
    return keras.Model(i, L.Dense(10, activation="softmax")(h), name="residual_concat")


@pytest.mark.parametrize("make", [mlp, cnn_bn, residual_concat], ids=lambda f: f.__name__)
def test_int8_accuracy_within_one_point(make, digits, tmp_path):
    x_train, y_train, x_test, y_test = digits
    keras.utils.set_random_seed(1)
    model = make()
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
    model.fit(x_train, y_train, epochs=25, batch_size=64, verbose=0)
    float_acc = float(np.mean(model.predict(x_test, verbose=0).argmax(1) == y_test))
    assert float_acc > 0.9, f"training failed ({float_acc})"

    header = tmp_path / "weights.h"
    q = nnom.convert(model, x_train[:400], header=header, header_name="digits", progress=False)
    ev = nnom.evaluate(q, x_test, y_test, top_k=(1, 3), progress=False)
    print(f"{model.name}: float {100 * float_acc:.2f}%  int8 {100 * ev.accuracy:.2f}%  arena {q.arena_size} B")
    assert abs(ev.accuracy - float_acc) <= 0.01
    assert ev.confusion.sum() == len(x_test) and np.trace(ev.confusion) == round(ev.accuracy * len(x_test))
    assert ev.top_k[3] >= ev.accuracy

    # bit for bit: Python int8 outputs == the C evaluation's argmax == the weights.h program
    y_int8 = q.predict(x_test, int8_output=True)
    assert np.sum(y_int8.argmax(1) == y_test) == np.trace(ev.confusion)
    if make is cnn_bn:
        spec = q.inputs[0]
        xq = np.clip(np.round(x_test / spec["scale"]) + spec["zero_point"], -128, 127).astype(np.int8)
        xq.tofile(tmp_path / "inputs.bin")
        y_int8.tofile(tmp_path / "expected.bin")
        build = tmp_path / "build"
        subprocess.run(["cmake", "-S", os.path.join(ROOT, "examples", "weights_h"), "-B", str(build),
                        f"-DWEIGHTS_H={header}", "-DMODEL_NAME=digits"], check=True, capture_output=True)
        subprocess.run(["cmake", "--build", str(build)], check=True, capture_output=True)
        res = subprocess.run([str(build / "check_weights_h"), str(tmp_path / "inputs.bin"),
                              str(tmp_path / "expected.bin")], capture_output=True, text=True)
        assert res.returncode == 0, res.stdout + res.stderr
        assert f"{len(x_test)} of {len(x_test)}" in res.stdout


def test_plots(digits, tmp_path):
    pytest.importorskip("matplotlib")
    x_train, y_train, x_test, y_test = digits
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x_train, y_train, epochs=2, verbose=0)
    q = nnom.convert(model, x_train[:100], progress=False)
    ev = nnom.evaluate(q, x_test, y_test, progress=False)
    nnom.plot_confusion(ev, tmp_path / "confusion.png")
    nnom.plot_arena(q, tmp_path / "arena.png")
    for name in ("confusion.png", "arena.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

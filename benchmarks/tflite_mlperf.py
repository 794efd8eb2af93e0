#!/usr/bin/env python3
"""Re-creations of the four MLPerf Tiny reference architectures, quantised by
TensorFlow (full-integer, int8 in and out), run by TensorFlow Lite Micro and
by nnom (nnom.convert of the same .tflite): the int8 outputs must be equal bit
for bit on every sample. Also reports sizes: the .tflite file, nnom's .nnom
file, nnom's arena and the smallest arena TFLite Micro runs with.

The architectures follow the MLPerf Tiny v1.0 reference models:
  - DS-CNN keyword spotting (49x10 MFCC input, 64 channels, 4 depthwise-separable blocks)
  - MobileNetV1 0.25 visual wake words (96x96x3 input, width multiplier 0.25)
  - ResNet-8 image classification (32x32x3, stacks of 16/32/64 channels)
  - the dense autoencoder of anomaly detection (640 -> 128 x4 -> 8 -> 128 x4 -> 640)
Weights are Keras' initialisation, briefly fitted on random targets so that
batch normalisation carries non-trivial statistics; calibration and test
inputs are synthetic. Bit-exactness does not depend on accuracy.

Run: python3 benchmarks/tflite_mlperf.py  (TensorFlow, tflite-micro and the nnom package installed)
Writes benchmarks/results/tflite_mlperf.md.
"""
import os
import sys
import tempfile

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # noqa: E402
from tflite_micro.python.tflite_micro import runtime  # noqa: E402

import nnom  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tflm_compare import tflm_arena  # noqa: E402  (the smallest arena TFLM runs with, by bisection)

keras = tf.keras
L = keras.layers
SEED = 7
N_TEST = 50
ARENA = 1024 * 1024
HERE = os.path.dirname(os.path.abspath(__file__))


def bn_relu(h):
    return L.ReLU()(L.BatchNormalization()(h))


def ds_cnn():
    i = keras.Input((49, 10, 1))
    h = bn_relu(L.Conv2D(64, (10, 4), strides=(2, 2), padding="same", use_bias=False)(i))
    for _ in range(4):
        h = bn_relu(L.DepthwiseConv2D(3, padding="same", use_bias=False)(h))
        h = bn_relu(L.Conv2D(64, 1, use_bias=False)(h))
    h = L.AveragePooling2D(pool_size=(25, 5))(h)
    h = L.Flatten()(h)
    return keras.Model(i, L.Dense(12, activation="softmax")(h), name="ds_cnn_kws")


def mobilenet_v1_025():
    i = keras.Input((96, 96, 3))
    h = bn_relu(L.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(i))
    for filters, stride in [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2), (128, 1), (128, 1), (128, 1),
                            (128, 1), (128, 1), (256, 2), (256, 1)]:
        h = bn_relu(L.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(h))
        h = bn_relu(L.Conv2D(filters, 1, use_bias=False)(h))
    h = L.GlobalAveragePooling2D()(h)
    return keras.Model(i, L.Dense(2, activation="softmax")(h), name="mobilenet_v1_025_vww")


def resnet8():
    i = keras.Input((32, 32, 3))
    h = bn_relu(L.Conv2D(16, 3, padding="same")(i))
    for filters, stride in [(16, 1), (32, 2), (64, 2)]:
        r = bn_relu(L.Conv2D(filters, 3, strides=stride, padding="same")(h))
        r = L.BatchNormalization()(L.Conv2D(filters, 3, padding="same")(r))
        s = h if stride == 1 else L.Conv2D(filters, 1, strides=stride)(h)
        h = L.ReLU()(L.Add()([s, r]))
    h = L.AveragePooling2D(8)(h)
    h = L.Flatten()(h)
    return keras.Model(i, L.Dense(10, activation="softmax")(h), name="resnet8_ic")


def autoencoder():
    i = keras.Input((640,))
    h = i
    for units in [128, 128, 128, 128, 8, 128, 128, 128, 128]:
        h = bn_relu(L.Dense(units)(h))
    return keras.Model(i, L.Dense(640)(h), name="autoencoder_ad")


def to_tflite(model, x_cal):
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([x_cal[k:k + 1]] for k in range(len(x_cal)))
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    return conv.convert()


def main():
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    rows = []
    work = tempfile.mkdtemp(prefix="nnom-mlperf-")
    all_exact = True
    for build in (ds_cnn, mobilenet_v1_025, resnet8, autoencoder):
        model = build()
        shape = model.input_shape[1:]
        x = rng.normal(0.0, 1.0, size=(200 + N_TEST,) + shape).astype(np.float32)
        y = rng.normal(0.0, 1.0, size=(200,) + model.output_shape[1:]).astype(np.float32)
        model.compile(optimizer="adam", loss="mse")
        model.fit(x[:200], y, epochs=2, batch_size=32, verbose=0)
        data = to_tflite(model, x[:200])
        path = os.path.join(work, model.name + ".tflite")
        with open(path, "wb") as f:
            f.write(data)
        it = runtime.Interpreter.from_bytes(data, arena_size=ARENA)
        q = it.get_input_details(0)["quantization_parameters"]
        xq = np.clip(np.round(x[200:] / q["scales"][0]) + q["zero_points"][0], -128, 127).astype(np.int8)
        expected = []
        for k in range(N_TEST):
            it.set_input(xq[k:k + 1], 0)
            it.invoke()
            expected.append(np.array(it.get_output(0)).reshape(-1).copy())
        expected = np.stack(expected).astype(np.int8)
        m = nnom.convert(path)
        got = m.predict(xq, int8_output=True).reshape(N_TEST, -1)
        differ = int(np.count_nonzero(got != expected))
        all_exact &= differ == 0
        tflm = tflm_arena(path, len(data))["min"]
        rows.append((model.name, len(m.layers), len(data), len(m.to_bytes()), m.arena_size, tflm, N_TEST,
                     expected.shape[1], differ))
        print(rows[-1])
    lines = ["# MLPerf Tiny architectures: nnom against TensorFlow Lite Micro", "",
             "Generated by `benchmarks/tflite_mlperf.py` (TensorFlow " + tf.__version__ + ", tflite-micro "
             "Python interpreter). Each model is quantised by TensorFlow (full-integer, int8 in and out) and the "
             "same `.tflite` file runs in TensorFlow Lite Micro and, converted by `nnom.convert()`, in nnom, on "
             f"{N_TEST} synthetic inputs.", "",
             "| model | nnom layers | .tflite bytes | .nnom bytes | nnom arena bytes | TFLM arena bytes | samples x outputs "
             "| outputs that differ |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, n_layers, tfl, nn, arena, tflm, n, outs, differ in rows:
        lines.append(f"| {name} | {n_layers} | {tfl:,} | {nn:,} | {arena:,} | {tflm:,} | {n} x {outs} | {differ} |")
    lines += ["", "0 outputs that differ: nnom's int8 outputs equal TensorFlow Lite Micro's bit for bit.",
              "TFLM arena: the smallest `arena_size` with which TFLite Micro's Python interpreter builds and runs the "
              "model (bisection, `benchmarks/tflm_compare.py`'s probe); it includes TFLM's own bookkeeping, while "
              "nnom's arena holds activations and scratch only (nnom's model structures live beside it)."]
    with open(os.path.join(HERE, "results", "tflite_mlperf.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return 0 if all_exact else 1


if __name__ == "__main__":
    sys.exit(main())

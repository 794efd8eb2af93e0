#!/usr/bin/env python3
"""The project's own re-creations of the four MLPerf Tiny reference architectures.

Writes, into OUT_DIR (default benchmarks/work/mlperf), for each model NAME:
  NAME.keras         the Keras model (float32)
  NAME.calib.npy     calibration inputs (float32)
  NAME.test.npy      test inputs (float32)
  models.txt         one line per model: name, MACs (counted here), zero filters

Models (see /work/shared/MLPERF_TINY.md for the public reference architectures):
  kws     DS-CNN keyword spotting, 49x10x1 MFCC, 64 channels, 12 classes
  vww     MobileNetV1 alpha 0.25, 96x96x3, 2 classes (keras.applications.MobileNet)
  resnet8 ResNet-8, 32x32x3, 10 classes
  ad      dense autoencoder, 640 inputs

Weights are random but shaped like a trained model's, not like an initialiser's:
  - every filter gets its own scale (log-uniform over about 30x), so the per-channel
    requantisation multipliers of the int8 model spread over both sides of 2^30 and the
    shifts vary from channel to channel;
  - BatchNorm statistics are set from the data (data-dependent initialisation: each
    BatchNorm's moving mean and variance are the batch statistics of its input on the
    calibration inputs, perturbed), and gamma / beta are random, so every BatchNorm
    folds into non-trivial per-channel scales and offsets;
  - in the MobileNet, output channels of the pointwise convolutions are all-zero filters,
    as in the trained reference model: about 55-85 % in the 6x6 layers and about 90 % in
    the last two pointwise layers. Most of these channels output 0 after BatchNorm and
    ReLU6 (negative offset), a few a positive constant.
No training: the benchmark measures speed and checks bit-exactness, not accuracy.

  usage: python3 benchmarks/mlperf/make_models.py [OUT_DIR] [--models kws,vww,resnet8,ad]
"""
import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402

SEED = 20260
CALIB = 32  # calibration inputs per model
TEST = 8    # test inputs per model


def keras_mod():
    import keras  # noqa: PLC0415
    return keras


# ---------------------------------------------------------------- architectures
def ds_cnn():
    keras = keras_mod()
    L = keras.layers
    x = inp = keras.Input((49, 10, 1), name="mfcc")
    x = L.Conv2D(64, (10, 4), strides=(2, 2), padding="same", name="conv1")(x)
    x = L.BatchNormalization(name="bn1")(x)
    x = L.ReLU(name="relu1")(x)
    x = L.Dropout(0.2, name="drop1")(x)
    for k in range(4):
        x = L.DepthwiseConv2D(3, padding="same", name=f"dw{k + 1}")(x)
        x = L.BatchNormalization(name=f"dw{k + 1}_bn")(x)
        x = L.ReLU(name=f"dw{k + 1}_relu")(x)
        x = L.Conv2D(64, 1, name=f"pw{k + 1}")(x)
        x = L.BatchNormalization(name=f"pw{k + 1}_bn")(x)
        x = L.ReLU(name=f"pw{k + 1}_relu")(x)
    x = L.Dropout(0.4, name="drop2")(x)
    x = L.AveragePooling2D(pool_size=(25, 5), name="pool")(x)
    x = L.Flatten(name="flatten")(x)
    x = L.Dense(12, activation="softmax", name="fc")(x)
    return keras.Model(inp, x, name="kws")


def mobilenet():
    keras = keras_mod()
    return keras.applications.MobileNet(input_shape=(96, 96, 3), alpha=0.25, weights=None, classes=2)


def resnet8():
    keras = keras_mod()
    L = keras.layers
    x = inp = keras.Input((32, 32, 3), name="image")
    x = L.Conv2D(16, 3, padding="same", name="conv1")(x)
    x = L.BatchNormalization(name="bn1")(x)
    x = L.ReLU(name="relu1")(x)
    for stack, filters in enumerate((16, 32, 64)):
        stride = 1 if stack == 0 else 2
        y = L.Conv2D(filters, 3, strides=stride, padding="same", name=f"s{stack}_conv1")(x)
        y = L.BatchNormalization(name=f"s{stack}_bn1")(y)
        y = L.ReLU(name=f"s{stack}_relu1")(y)
        y = L.Conv2D(filters, 3, padding="same", name=f"s{stack}_conv2")(y)
        y = L.BatchNormalization(name=f"s{stack}_bn2")(y)
        if stride != 1:
            x = L.Conv2D(filters, 1, strides=stride, padding="same", name=f"s{stack}_short")(x)
        x = L.Add(name=f"s{stack}_add")([x, y])
        x = L.ReLU(name=f"s{stack}_relu2")(x)
    x = L.AveragePooling2D(pool_size=8, name="pool")(x)
    x = L.Flatten(name="flatten")(x)
    x = L.Dense(10, activation="softmax", name="fc")(x)
    return keras.Model(inp, x, name="resnet8")


def autoencoder():
    keras = keras_mod()
    L = keras.layers
    x = inp = keras.Input((640,), name="logmel")
    for k, units in enumerate([128] * 4 + [8] + [128] * 4):
        x = L.Dense(units, name=f"fc{k + 1}")(x)
        x = L.BatchNormalization(name=f"bn{k + 1}")(x)
        x = L.ReLU(name=f"relu{k + 1}")(x)
    x = L.Dense(640, name="out")(x)
    return keras.Model(inp, x, name="ad")


# ---------------------------------------------------------------- synthetic inputs
def inputs_for(name, n, rng):
    if name == "kws":  # MFCC-like: smooth over time, decaying over coefficients
        base = rng.normal(0.0, 1.0, (n, 49, 1, 1)) * np.linspace(8, 1, 10)[None, None, :, None]
        x = base + rng.normal(0.0, 2.0, (n, 49, 10, 1))
        x = np.cumsum(x, axis=1) / np.sqrt(np.arange(1, 50))[None, :, None, None]
        return x.astype(np.float32)
    if name in ("vww", "resnet8"):  # images in [0, 1]: smooth blobs plus noise
        size = 96 if name == "vww" else 32
        coarse = rng.uniform(0, 1, (n, size // 8, size // 8, 3))
        img = np.repeat(np.repeat(coarse, 8, axis=1), 8, axis=2)
        img = 0.7 * img + 0.3 * rng.uniform(0, 1, img.shape)
        return img.astype(np.float32)
    if name == "ad":  # log-mel frames around -20 dB
        return rng.normal(-20.0, 6.0, (n, 640)).astype(np.float32)
    raise ValueError(name)


# ---------------------------------------------------------------- realistic weights
def spread(rng, n):
    """Per-channel scale factors, log-uniform over about 30x."""
    return np.exp(rng.uniform(np.log(0.18), np.log(5.5), n)).astype(np.float32)


def zero_fraction(layer_name, spatial):
    """The share of all-zero filters of a MobileNet pointwise convolution (trained-model-like)."""
    if not layer_name.startswith("conv_pw_"):
        return 0.0
    index = int(layer_name.split("_")[2])
    if index >= 12:
        return 0.9
    if spatial == 6:
        return 0.55 + 0.06 * (index - 6)  # 0.55 ... 0.85 over conv_pw_6 ... conv_pw_11
    return 0.0


def set_weights(model, name, calib, rng):
    keras = keras_mod()
    dead = {}  # layer name -> indices of its all-zero filters
    for layer in model.layers:
        w = layer.get_weights()
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.Dense)) and w:
            kernel = w[0]
            fan_in = np.prod(kernel.shape[:-1]) if not isinstance(layer, keras.layers.DepthwiseConv2D) \
                else np.prod(kernel.shape[:2])
            out = kernel.shape[-1]
            kernel = rng.normal(0.0, np.sqrt(2.0 / fan_in), kernel.shape).astype(np.float32)
            kernel *= spread(rng, out)
            frac = zero_fraction(layer.name, layer.output.shape[1] if len(layer.output.shape) == 4 else 0)
            if frac > 0:
                idx = rng.choice(out, int(round(frac * out)), replace=False)
                kernel[..., idx] = 0.0
                dead[layer.name] = set(int(i) for i in idx)
            w[0] = kernel
            if len(w) > 1:
                w[1] = rng.normal(0.0, 0.1, w[1].shape).astype(np.float32)
            layer.set_weights(w)
    # BatchNorm: data-dependent statistics, one layer after the other
    prev_conv = None
    for layer in model.layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.Dense)):
            prev_conv = layer.name
        if not isinstance(layer, keras.layers.BatchNormalization):
            continue
        probe = keras.Model(model.inputs, layer.input)
        a = np.asarray(probe.predict(calib, verbose=0, batch_size=len(calib)))
        axes = tuple(range(a.ndim - 1))
        mean, var = a.mean(axis=axes), a.var(axis=axes)
        c = mean.shape[0]
        gamma = rng.uniform(0.5, 1.6, c).astype(np.float32)
        beta = rng.normal(0.1, 0.4, c).astype(np.float32)
        moving_mean = (mean + rng.normal(0, 0.1, c) * np.sqrt(var + 1e-3)).astype(np.float32)
        moving_var = (np.maximum(var, 1e-4) * rng.uniform(0.7, 1.4, c)).astype(np.float32)
        # a dead filter's output is BatchNorm of a constant: mostly negative (ReLU gives 0),
        # about one in ten a positive constant
        for k in dead.get(prev_conv, ()):
            moving_mean[k] = 0.0
            moving_var[k] = 1.0
            beta[k] = rng.uniform(0.05, 0.5) if rng.uniform() < 0.1 else -rng.uniform(0.1, 1.0)
        layer.set_weights([gamma, beta, moving_mean, moving_var])
    return dead


def count_macs(model):
    keras = keras_mod()
    macs = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            k = layer.get_weights()[0]
            macs += int(np.prod(layer.output.shape[1:])) * k.shape[0] * k.shape[1]
        elif isinstance(layer, keras.layers.Conv2D):
            k = layer.get_weights()[0]
            macs += int(np.prod(layer.output.shape[1:])) * int(np.prod(k.shape[:-1]))
        elif isinstance(layer, keras.layers.Dense):
            k = layer.get_weights()[0]
            macs += int(np.prod(k.shape))
    return macs


BUILDERS = {"kws": ds_cnn, "vww": mobilenet, "resnet8": resnet8, "ad": autoencoder}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?", default="benchmarks/work/mlperf")
    ap.add_argument("--models", default="kws,vww,resnet8,ad")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    keras = keras_mod()
    keras.utils.set_random_seed(SEED)
    lines = []
    for i, name in enumerate(args.models.split(",")):
        rng = np.random.default_rng(SEED + i)
        model = BUILDERS[name]()
        calib = inputs_for(name, CALIB, rng)
        test = inputs_for(name, TEST, rng)
        dead = set_weights(model, name, calib, rng)
        model.save(os.path.join(args.out, f"{name}.keras"))
        np.save(os.path.join(args.out, f"{name}.calib.npy"), calib)
        np.save(os.path.join(args.out, f"{name}.test.npy"), test)
        zero = sum(len(v) for v in dead.values())
        lines.append(f"{name} macs={count_macs(model)} zero_filters={zero}")
        print(lines[-1], flush=True)
    with open(os.path.join(args.out, "models.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

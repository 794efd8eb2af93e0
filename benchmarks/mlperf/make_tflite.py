#!/usr/bin/env python3
"""The MLPerf Tiny re-creations of make_models.py quantised by TensorFlow, as int8 .tflite files.

An engineer who brings a .tflite brings TensorFlow's quantisation (its per-channel scales, its
zero points, every all-zero filter kept), not nnom's. This writes, into OUT_DIR (default
benchmarks/work/mlperf, where make_models.py wrote the Keras models), for each model NAME:
  NAME.tflite             full-integer int8 model (int8 input and output), calibrated on
                          NAME.calib.npy by TFLiteConverter
  NAME.tflite_test.npy    the first test inputs of NAME.test.npy, quantised with the model's
                          input scale and zero point (int8)
benchmarks/firmware/run.sh converts them with nnom's tools (make_headers tflite) and measures
them on the Cortex-M4 beside the models nnom quantised itself.

  usage: python3 benchmarks/mlperf/make_tflite.py [OUT_DIR]
"""
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

MODELS = ("kws", "vww", "resnet8", "ad")
CALIBRATION_SAMPLES = 100  # representative inputs the converter sees
TEST_SAMPLES = 4           # test inputs written (the firmware benchmark runs 2)


def convert(model, calib):
    def representative():
        for i in range(min(len(calib), CALIBRATION_SAMPLES)):
            yield [calib[i:i + 1]]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    return conv.convert()


def input_quantisation(flatbuffer):
    interpreter = tf.lite.Interpreter(model_content=flatbuffer)
    scale, zero_point = interpreter.get_input_details()[0]["quantization"]
    return scale, zero_point


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", nargs="?", default="benchmarks/work/mlperf")
    args = parser.parse_args()
    for name in MODELS:
        model = keras.models.load_model(os.path.join(args.out, f"{name}.keras"))
        calib = np.load(os.path.join(args.out, f"{name}.calib.npy")).astype(np.float32)
        test = np.load(os.path.join(args.out, f"{name}.test.npy")).astype(np.float32)[:TEST_SAMPLES]
        flatbuffer = convert(model, calib)
        with open(os.path.join(args.out, f"{name}.tflite"), "wb") as f:
            f.write(flatbuffer)
        scale, zero_point = input_quantisation(flatbuffer)
        quantised = np.clip(np.round(test / scale) + zero_point, -128, 127).astype(np.int8)
        np.save(os.path.join(args.out, f"{name}.tflite_test.npy"), quantised)
        print(f"{name}: {len(flatbuffer)} bytes, input scale {scale:.6g} zero point {zero_point}")


if __name__ == "__main__":
    main()

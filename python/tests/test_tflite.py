"""nnom.convert of int8 .tflite files: bit-exact with TensorFlow Lite Micro, no calibration."""
import os

import numpy as np
import pytest

import nnom
from conftest import ROOT

TFLITE_FIXTURES = os.path.join(ROOT, "Tests", "fixtures", "tflite")


def tflite_path(name):
    return os.path.join(TFLITE_FIXTURES, name)


@pytest.mark.parametrize("name", ["digits_residual_concat", "conv_pool", "op_softmax"])
def test_outputs_equal_tflite_micro(name, tmp_path):
    x = np.load(tflite_path(name + ".input.npy"))
    expected = np.load(tflite_path(name + ".output.npy"))
    out = tmp_path / "m.nnom"
    header = tmp_path / "weights.h"
    model = nnom.convert(tflite_path(name + ".tflite"), output=out, header=header, header_name="m")
    got = model.predict(x, int8_output=True).reshape(len(x), -1)
    assert np.array_equal(got, expected)
    assert out.stat().st_size > 0 and "m_load" in header.read_text()
    assert model.conversion_report is None


def test_calibration_data_is_refused():
    with pytest.raises(ValueError, match="takes no calibration data"):
        nnom.convert(tflite_path("digits_mlp.tflite"), np.zeros((1, 8, 8, 1), np.float32))


def test_unsupported_operator_and_float_model_raise_the_c_message():
    with pytest.raises(nnom.NNoMError, match="RESIZE_BILINEAR.*not supported; supported: ADD"):
        nnom.convert(tflite_path("unsupported_op.tflite"))
    with pytest.raises(nnom.NNoMError, match="float32"):
        nnom.convert(tflite_path("float_only.tflite"))


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        nnom.convert(tflite_path("no_such.tflite"))

"""Every layer's output after a run (keep_all_outputs models), dequantised by the runtime."""
import numpy as np
import pytest

import nnom
from conftest import fixture_path


@pytest.fixture(scope="module")
def digits_int8():
    x = np.load(fixture_path("digits_calib_x.npy"))
    return nnom.convert(fixture_path("digits_cnn.keras"), x, progress=False)


def test_layer_outputs_agree_with_the_model_outputs_and_the_quantised_input(digits_int8):
    model = nnom.Model(digits_int8.to_bytes(), keep_all_outputs=True)
    x = np.load(fixture_path("digits_test_x.npy"))[:3]
    for sample in x:
        outs = model.layer_outputs(sample)
        layers = model.layers
        assert len(outs) == len(layers)
        for layer, out in zip(layers, outs):
            assert out.dtype == np.float32 and out.shape == tuple(layer.shape)
        # the input layer holds the sample quantised with the input's own scale (computed here)
        inp = model.inputs[0]
        q = np.clip(np.round(sample / inp["scale"]) + inp["zero_point"], -128, 127)
        expected = ((q - inp["zero_point"]) * np.float32(inp["scale"])).astype(np.float32)
        np.testing.assert_array_equal(outs[0], expected.reshape(outs[0].shape))
        # the OUTPUT layer is what predict returns
        out_index = next(i for i, l in enumerate(layers) if l.type == "output")
        np.testing.assert_array_equal(outs[out_index].ravel(), model.predict(sample).ravel())
        # every value is an int8 step of its own layer's quantisation
        for layer, out in zip(layers, outs):
            grid = out / np.float32(layer.scale) + layer.zero_point
            np.testing.assert_allclose(grid, np.round(grid), atol=1e-3)


def test_layer_outputs_need_keep_all_outputs(digits_int8):
    x = np.load(fixture_path("digits_test_x.npy"))[:1]
    with pytest.raises(ValueError, match="keep_all_outputs=True"):
        digits_int8.layer_outputs(x[0])

"""nnom.Model: loading, predicting, inspection, and every misuse rejected with a clear error."""
import gc

import numpy as np
import pytest

import nnom
from conftest import fixture_path


@pytest.fixture(scope="module")
def conv_model():
    x = np.load(fixture_path("sepconv2d.input.npy"))
    return nnom.convert(fixture_path("sepconv2d.keras"), x, progress=False), x


def test_predict_batch_and_single(conv_model):
    model, x = conv_model
    y = model.predict(x)
    assert y.shape[0] == len(x)
    single = model.predict(x[0])
    assert single.shape == (1,) + y.shape[1:]
    np.testing.assert_array_equal(single[0], y[0])


def test_float64_and_non_contiguous_inputs_are_converted(conv_model):
    model, x = conv_model
    y = model.predict(x)
    np.testing.assert_array_equal(model.predict(x.astype(np.float64)), y)
    strided = np.asfortranarray(x)
    assert not strided.flags["C_CONTIGUOUS"] or x.ndim == 1
    np.testing.assert_array_equal(model.predict(strided), y)


def test_int8_inputs_and_outputs(conv_model):
    model, x = conv_model
    spec = model.inputs[0]
    xq = np.clip(np.round(x / spec["scale"]) + spec["zero_point"], -128, 127).astype(np.int8)
    yq = model.predict(xq, int8_output=True)
    assert yq.dtype == np.int8
    np.testing.assert_array_equal(model.predict(x, int8_output=True), yq)
    out = model.outputs[0]
    np.testing.assert_allclose(model.predict(xq), (yq.astype(np.float32) - out["zero_point"]) * out["scale"])


def test_wrong_shape_names_expected_and_given(conv_model):
    model, x = conv_model
    with pytest.raises(ValueError) as e:
        model.predict(x[:, :-1])
    msg = str(e.value)
    assert "expected shape" in msg and str(x[:, :-1].shape) in msg


def test_wrong_dtype_is_rejected(conv_model):
    model, x = conv_model
    with pytest.raises(TypeError):
        model.predict(x.astype(np.complex64))
    with pytest.raises(TypeError):
        model.predict(np.array([["a"]]))


def test_wrong_number_of_inputs(conv_model):
    model, x = conv_model
    with pytest.raises(ValueError, match="1 inputs, 2 given"):
        model.predict(x, x)


def test_layers_and_sizes(conv_model):
    model, _ = conv_model
    layers = model.layers
    assert layers[0].type == "input" and layers[-1].type == "output"
    assert model.arena_size > 0 and model.flash_size > model.weight_bytes > 0
    assert model.macs == sum(l.macs for l in layers) > 0
    assert all(l.arena_offset + l.arena_bytes <= model.arena_size for l in layers)
    assert "arena" in model.summary()
    # a layer that does not run in place has its input, its output and its scratch alive at once
    together = max(layers[l.inputs[0]].arena_bytes + l.arena_bytes + l.scratch_bytes
                   for l in layers if len(l.inputs) == 1 and not l.in_place)
    assert together <= model.arena_lower_bound <= model.arena_size
    assert f"lower bound {model.arena_lower_bound}" in model.summary()
    # a PC plans for the portable kernels; a Cortex-M DSP build for its own, whose convolution scratch
    # differs (test_scratch_plan checks the sizes); asking leaves the model's own plan as it was
    assert model.arena_size_for("portable") == model.arena_size
    dsp = model.arena_size_for("cortex-m-dsp")
    assert dsp >= model.arena_lower_bound - sum(l.scratch_bytes for l in layers)
    assert f"a Cortex-M DSP build plans {dsp}" in model.summary()
    assert [(l.arena_offset, l.scratch_offset) for l in model.layers] == [(l.arena_offset, l.scratch_offset)
                                                                        for l in layers]
    with pytest.raises(ValueError, match="kernels must be one of"):
        model.arena_size_for("gpu")


def test_stats_count_runs(conv_model):
    model, x = conv_model
    model.reset_stats()
    model.predict(x[:3])
    stats = model.stats()
    assert all(s["runs"] == 3 for s in stats)


def test_save_reload_and_bytes_lifetime(conv_model, tmp_path):
    model, x = conv_model
    path = tmp_path / "m.nnom"
    model.save(path)
    data = bytearray(path.read_bytes())
    again = nnom.Model(data)
    data[:] = b"\0" * len(data)  # the model keeps its own copy
    del data
    gc.collect()
    np.testing.assert_array_equal(again.predict(x), model.predict(x))
    assert nnom.Model(str(path)).to_bytes() == model.to_bytes()


def test_corrupt_files_raise_with_the_c_message(conv_model):
    model, _ = conv_model
    raw = bytearray(model.to_bytes())
    raw[-1] ^= 0xFF
    with pytest.raises(nnom.NNoMError) as e:
        nnom.Model(bytes(raw))
    assert e.value.status_name == "NNOM_ERR_CHECKSUM" and "checksum" in str(e.value)
    with pytest.raises(nnom.NNoMError) as e:
        nnom.Model(model.to_bytes()[:100])
    assert e.value.status_name == "NNOM_ERR_TRUNCATED"
    with pytest.raises(nnom.NNoMError, match="not a .nnom file"):
        nnom.Model(b"hello world" * 10)
    with pytest.raises(TypeError):
        nnom.Model(12345)


def test_to_header(conv_model, tmp_path):
    model, _ = conv_model
    path = tmp_path / "weights.h"
    model.to_header(path, name="conv")
    text = path.read_text()
    assert "conv_load" in text and "CONV_MODEL_BYTES" in text


def test_tiling_is_reported_and_equal_to_the_untiled_run():
    # an int8 .tflite (depthwise convolutions, then a mean) whose first layers make the peak: the
    # runtime runs them tile by tile
    x = np.load(fixture_path("../tflite/depthwise_mean.input.npy"))
    data = nnom.convert(fixture_path("../tflite/depthwise_mean.tflite")).to_bytes()
    plain = nnom.Model(data, tiling_max_extra_macs_percent=-1)
    assert plain.tiling is None and "tiled:" not in plain.summary()
    tiled = 0
    for percent in (0, 100, 300):
        m = nnom.Model(data, tiling_max_extra_macs_percent=percent)
        t = m.tiling
        if t is None:
            assert m.arena_size == plain.arena_size
            continue
        tiled += 1
        assert t["untiled_arena"] == plain.arena_size
        assert t["saved_bytes"] == plain.arena_size - m.arena_size > 0
        assert t["extra_macs"] * 100 <= m.macs * (percent or 15)
        assert t["kept_band_bytes"] >= 0
        assert f"in {t['tiles']} tiles of {t['rows_per_tile']} rows" in m.summary()
        np.testing.assert_array_equal(m.predict(x, int8_output=True), plain.predict(x, int8_output=True))
    assert tiled >= 2
    with pytest.raises(ValueError, match="tiling_max_extra_macs_percent"):
        nnom.Model(data, tiling_max_extra_macs_percent=-2)


def test_plan_goal_fastest_fits_the_limit_and_equals_the_smallest():
    # the model whose first layers make the peak: the smallest plan tiles them, the fastest does not
    # unless the limit asks for it; every plan gives the same output bytes
    x = np.load(fixture_path("../tflite/depthwise_mean.input.npy"))
    data = nnom.convert(fixture_path("../tflite/depthwise_mean.tflite")).to_bytes()
    small = nnom.Model(data)
    p = small.plan
    assert p["goal"] == "smallest" and p["arena_bytes"] == small.arena_size <= p["plain_arena_bytes"]
    assert "plan: smallest" in small.summary()
    want = small.predict(x, int8_output=True)
    fast = nnom.Model(data, plan="fastest")
    f = fast.plan
    assert f["goal"] == "fastest" and not f["windows_in_place"] and not f["tiled"]
    assert fast.arena_size == p["plain_arena_bytes"] and "the plain plan fits" in fast.summary()
    np.testing.assert_array_equal(fast.predict(x, int8_output=True), want)
    for limit in (small.arena_size, (small.arena_size + p["plain_arena_bytes"]) // 2):
        m = nnom.Model(data, plan="fastest", max_arena_bytes=limit)
        assert m.arena_size <= limit and m.plan["max_arena_bytes"] == limit
        np.testing.assert_array_equal(m.predict(x, int8_output=True), want)
    if p["plain_arena_bytes"] > small.arena_size:
        assert nnom.Model(data, plan="fastest", max_arena_bytes=small.arena_size).plan["tiled"]
    with pytest.raises(nnom.NNoMError, match=f"smallest plan needs an arena of {small.arena_size} bytes"):
        nnom.Model(data, plan="fastest", max_arena_bytes=small.arena_size - 4)
    with pytest.raises(ValueError, match="plan is one of"):
        nnom.Model(data, plan="quick")
    with pytest.raises(ValueError, match="max_arena_bytes"):
        nnom.Model(data, max_arena_bytes=-1)

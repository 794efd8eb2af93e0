"""nnom.convert from files and from live Keras models; converter errors carry the C message."""
import numpy as np
import pytest

import nnom
from conftest import fixture_path


def test_convert_writes_outputs(tmp_path):
    x = np.load(fixture_path("dense.input.npy"))
    out, header = tmp_path / "dense.nnom", tmp_path / "weights.h"
    model = nnom.convert(fixture_path("dense.keras"), x, output=out, header=header, header_name="dense",
                         progress=False)
    assert out.read_bytes() == model.to_bytes()
    assert "dense_load" in header.read_text()
    report = model.conversion_report
    assert report.rows and all("sqnr_db" in r for r in report.rows)


@pytest.mark.parametrize("method", ["minmax", "percentile", "kl"])
def test_methods_and_per_tensor(method):
    x = np.load(fixture_path("sepconv2d.input.npy"))
    for per_channel in (True, False):
        model = nnom.convert(fixture_path("sepconv2d.keras"), x, method=method, per_channel=per_channel,
                             progress=False)
        assert model.predict(x).shape[0] == len(x)


def test_unknown_method():
    x = np.load(fixture_path("dense.input.npy"))
    with pytest.raises(ValueError, match="unknown calibration method"):
        nnom.convert(fixture_path("dense.keras"), x, method="magic", progress=False)


def test_unsupported_layer_raises_c_message():
    with pytest.raises(nnom.NNoMError) as e:
        nnom.convert(fixture_path("bad_unsupported.keras"), np.zeros((1, 4), np.float32), progress=False)
    assert e.value.status_name in ("NNOM_ERR_UNSUPPORTED", "NNOM_ERR_KERAS")
    assert "supported" in str(e.value)


def test_missing_file_and_bad_calibration(tmp_path):
    with pytest.raises(FileNotFoundError):
        nnom.convert(tmp_path / "nope.keras", np.zeros((1, 4), np.float32))
    with pytest.raises(ValueError, match="NaN"):
        x = np.load(fixture_path("dense.input.npy")).copy()
        x[0].flat[0] = np.nan
        nnom.convert(fixture_path("dense.keras"), x, progress=False)


def test_live_keras_model_matches_file_conversion(tmp_path):
    keras = pytest.importorskip("keras")
    model = keras.saving.load_model(fixture_path("sepconv2d.keras"))
    x = np.load(fixture_path("sepconv2d.input.npy"))
    live = nnom.convert(model, x, progress=False)
    from_file = nnom.convert(fixture_path("sepconv2d.keras"), x, progress=False)
    np.testing.assert_array_equal(live.predict(x), from_file.predict(x))


def test_compare_reports_per_layer_sqnr():
    keras = pytest.importorskip("keras")
    model = keras.saving.load_model(fixture_path("sepconv2d.keras"))
    x = np.load(fixture_path("sepconv2d.input.npy"))
    q = nnom.convert(model, x, progress=False)
    rows = nnom.compare(q, model, x)
    assert rows, "no layer matched by name"
    assert all(r["sqnr_db"] > 20 for r in rows), rows


def test_add_and_subtract_broadcast_a_channel_vector():
    keras = pytest.importorskip("keras")
    layers = keras.layers
    keras.utils.set_random_seed(5)
    i = keras.Input((6, 6, 3))
    x = layers.Conv2D(4, 3, padding="same")(i)
    pooled = layers.GlobalAveragePooling2D()(x)
    v1 = layers.Reshape((1, 1, 4))(layers.Dense(4)(pooled))
    v2 = layers.Reshape((1, 1, 4))(layers.Dense(4)(pooled))
    y = layers.Subtract()([layers.Add()([v1, x]), v2])  # the vector first in Add, second in Subtract
    m = keras.Model(i, layers.Flatten()(y))
    xs = np.random.default_rng(1).uniform(-1, 1, (64, 6, 6, 3)).astype(np.float32)
    want = m.predict(xs, verbose=0)
    got = nnom.convert(m, xs, progress=False).predict(xs)
    err = np.sum((want.astype(np.float64) - got) ** 2)
    assert 10 * np.log10(np.sum(want.astype(np.float64) ** 2) / err) >= 30.0
    # a vector minus a full tensor is refused with a clear message
    bad = keras.Model(i, layers.Flatten()(layers.Subtract()([v1, x])))
    with pytest.raises(nnom.NNoMError, match="per-channel vector"):
        nnom.convert(bad, xs, progress=False)

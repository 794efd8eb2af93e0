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


def test_compare_on_a_channels_first_model_pairs_keras_layouts():
    # layers of a channels_first model hold their outputs as (H, W, C): only the layers holding a Keras output in
    # Keras' own order (the PERMUTE back to it, a Dense, a global pool) are paired with Keras layers
    keras = pytest.importorskip("keras")
    model = keras.saving.load_model(fixture_path("channels_first2d.keras"))
    x = np.load(fixture_path("channels_first2d.input.npy"))
    q = nnom.convert(model, x, progress=False)
    rows = nnom.compare(q, model, x)
    assert {r["type"] for r in rows} >= {"permute", "dense", "global_avg_pool"}, rows
    assert "conv2d" not in {r["type"] for r in rows}, rows
    assert all(r["sqnr_db"] > 30 for r in rows), rows


def test_dense_on_a_sequence_is_reported_as_dense():
    # a Keras Dense on (steps, features) runs as a 1x1 conv1d (runtime type and file unchanged); the conversion
    # report, summary() and compare() name it as Keras does, while the attention's own projections stay conv1d
    path = fixture_path("digits_encoder.keras")
    x = np.load(fixture_path("digits_calib_x.npy")).reshape(-1, 8, 8)[:64]
    q = nnom.convert(path, x, progress=False)
    runtime = {layer.name: layer.type for layer in q.layers}
    report = {r["name"]: r["type"] for r in q.conversion_report.rows}
    summary = {f[0]: f[1] for f in (line.split() for line in q.summary().splitlines()[1:]) if f[0] in runtime}
    for name in ("n0", "n5", "n6"):
        assert runtime[name] == "conv1d" and report[name] == "dense" and summary[name] == "dense", name
    assert report["n2/query0"] == summary["n2/query0"] == "conv1d"
    assert nnom.Model(q.to_bytes()).summary().split("\n")[2].split()[:2] == ["n0", "conv1d"]  # a file: runtime types
    keras = pytest.importorskip("keras")
    rows = {r["name"]: r["type"] for r in nnom.compare(q, keras.saving.load_model(path), x[:16])}
    assert rows["n0"] == rows["n6"] == "dense", rows


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
    # a vector minus a full tensor: the vector is repeated to the full shape first
    rev = keras.Model(i, layers.Flatten()(layers.Subtract()([v1, x])))
    want = rev.predict(xs, verbose=0)
    got = nnom.convert(rev, xs, progress=False).predict(xs)
    assert _numpy_sqnr(want, got) >= 30.0


def _numpy_sqnr(ref, test):
    """10 log10(sum ref^2 / sum (ref - test)^2), written out here as the test's own reference."""
    ref = np.asarray(ref, dtype=np.float64).reshape(-1)
    test = np.asarray(test, dtype=np.float64).reshape(-1)
    return 10.0 * np.log10(np.sum(ref ** 2) / np.sum((ref - test) ** 2))


def _check_rows_independently(q, keras_model, x, rows):
    """Recomputes every row: Keras' own output of the layer named, against the nnom layer's dequantised output."""
    keras = pytest.importorskip("keras")
    keep = nnom.Model(q.to_bytes(), keep_all_outputs=True)
    index = {l.name: i for i, l in enumerate(keep.layers)}
    ours = [keep.layer_outputs(sample) for sample in x]
    for r in rows:
        want = keras.Model(keras_model.inputs, keras_model.get_layer(r["keras_layer"]).output).predict(x, verbose=0)
        got = np.stack([o[index[r["name"]]] for o in ours])
        assert r["sqnr_db"] == pytest.approx(_numpy_sqnr(want, got), abs=1e-3), r


def test_compare_matches_the_last_keras_layer_fused_into_each_layer():
    # digits CNN: n0 Conv2D -> n1 BatchNormalization (folded) -> n2 ReLU (fused) -> ... -> n8 Dense(softmax),
    # whose softmax the converter splits into a layer of its own
    keras = pytest.importorskip("keras")
    model = keras.saving.load_model(fixture_path("digits_cnn.keras"))
    calib = np.load(fixture_path("digits_calib_x.npy"))
    x = np.load(fixture_path("digits_test_x.npy"))[:32]
    q = nnom.convert(model, calib, progress=False)
    rows = nnom.compare(q, model, x)
    by_name = {r["name"]: r for r in rows}
    assert by_name["n0"]["keras_layer"] == "n2", rows      # conv + folded BN + fused ReLU
    assert "n8" not in by_name, rows                        # the dense before its softmax has no Keras twin
    softmax = [r for r in rows if r["type"] == "softmax"]
    assert len(softmax) == 1 and softmax[0]["keras_layer"] == "n8", rows
    assert all(r["sqnr_db"] > 25 for r in rows), rows
    _check_rows_independently(q, model, x, rows)


def test_compare_on_batchnorm_and_softmax_model_is_positive():
    keras = pytest.importorskip("keras")
    L = keras.layers
    keras.utils.set_random_seed(11)
    i = keras.Input((16,))
    h = L.Dense(12, name="fc1")(i)
    h = L.BatchNormalization(name="bn")(h)
    h = L.Activation("relu", name="act")(h)
    out = L.Dense(5, activation="softmax", name="fc2")(h)
    m = keras.Model(i, out)
    rng = np.random.default_rng(3)
    bn = m.get_layer("bn")
    bn.set_weights([rng.uniform(0.5, 2.0, 12), rng.uniform(-1, 1, 12), rng.uniform(-0.5, 0.5, 12),
                    rng.uniform(0.2, 3.0, 12)])
    x = rng.uniform(-1, 1, (128, 16)).astype(np.float32)
    q = nnom.convert(m, x, progress=False)
    rows = nnom.compare(q, m, x[:48])
    got = {r["keras_layer"]: r for r in rows}
    assert got["act"]["name"] == "fc1", rows                # dense + folded BN + fused ReLU: the ReLU's output
    assert got["fc2"]["type"] == "softmax", rows            # the softmax computes the Keras dense's output
    assert all(r["sqnr_db"] > 25 for r in rows), rows
    _check_rows_independently(q, m, x[:48], rows)

"""The Python surface a new user meets first: Keras-style inputs, several inputs in evaluate, calibration
mistakes, quiet progress in logs, header names, pickling and threads."""
import io
import multiprocessing
import os
import pickle
import subprocess
import sys
import tempfile

import numpy as np
import pytest

import nnom
from conftest import fixture_path


@pytest.fixture(scope="module")
def two_inputs():
    """The two-input fixture: inputs 'image' (8, 8, 3) and 'vector' (6,), two outputs."""
    a = np.load(fixture_path("two_inputs_two_outputs.input0.npy"))
    b = np.load(fixture_path("two_inputs_two_outputs.input1.npy"))
    return nnom.convert(fixture_path("two_inputs_two_outputs.keras"), [a, b], progress=False), a, b


@pytest.fixture(scope="module")
def digits_cnn():
    x = np.load(fixture_path("digits_calib_x.npy"))
    return nnom.convert(fixture_path("digits_cnn.keras"), x, progress=False)


def test_predict_takes_several_inputs_keras_style(two_inputs):
    model, a, b = two_inputs
    positional = model.predict(a, b)
    as_list = model.predict([a, b])
    for p, q in zip(positional, as_list):
        np.testing.assert_array_equal(p, q)
    with pytest.raises(ValueError, match="the model has 2 inputs, 1 given"):
        model.predict([a])


def test_evaluate_on_a_model_with_several_inputs(two_inputs):
    model, a, b = two_inputs
    scores = model.predict([a, b])[0]
    # labels: the model's own answer for even samples, another class for odd ones
    n_classes = scores.shape[1]
    best = scores.argmax(axis=1)
    y = np.where(np.arange(len(best)) % 2 == 0, best, (best + 1) % n_classes)
    e = nnom.evaluate(model, [a, b], y, top_k=(1,), progress=False)
    # the reference, here: the first of equal scores wins, as the C evaluation ranks ties
    want = sum(int(np.argmax(s) == t) for s, t in zip(scores, y)) / len(y)
    assert e.samples == len(y) and e.accuracy == pytest.approx(want)
    assert e.confusion.sum() == len(y)
    with pytest.raises(ValueError, match=r"input 1 \('vector'\): expected shape \(batch, 6\)"):
        nnom.evaluate(model, [a, b[:, :5]], y, progress=False)
    with pytest.raises(ValueError, match="the inputs hold 8, 7 samples"):
        nnom.evaluate(model, [a, b[:7]], y, progress=False)


def test_calibration_mistakes_are_named():
    with pytest.raises(TypeError, match="calibration: give sample inputs"):
        nnom.convert(fixture_path("dense.keras"), None, progress=False)
    with pytest.raises(TypeError, match="calibration input 1 is None"):
        nnom.convert(fixture_path("two_inputs_two_outputs.keras"), [np.zeros((2, 8, 8, 3)), None], progress=False)
    # one sample of a two-input model, without batch axes
    a = np.load(fixture_path("two_inputs_two_outputs.input0.npy"))
    b = np.load(fixture_path("two_inputs_two_outputs.input1.npy"))
    one = nnom.convert(fixture_path("two_inputs_two_outputs.keras"), [a[0], b[0]], progress=False)
    assert one.to_bytes() == nnom.convert(fixture_path("two_inputs_two_outputs.keras"), [a[:1], b[:1]],
                                          progress=False).to_bytes()
    with pytest.raises(FileNotFoundError, match="cannot read '/no/such.keras': no such file"):
        nnom.convert("/no/such.keras", a, progress=False)
    with pytest.raises(FileNotFoundError, match="cannot read '/no/such.nnom': no such file"):
        nnom.Model("/no/such.nnom")


def test_progress_is_quiet_off_a_terminal_and_throttled_when_asked():
    # a child process whose stderr is a pipe, as in CI or a log file
    calib, keras = fixture_path("digits_calib_x.npy"), fixture_path("digits_cnn.keras")
    code = f"import numpy as np, nnom; nnom.convert({keras!r}, np.load({calib!r}), isolate=False%s)"
    quiet = subprocess.run([sys.executable, "-c", code % ""], capture_output=True, text=True)
    assert quiet.returncode == 0, quiet.stderr
    assert "calibrate" not in quiet.stderr, quiet.stderr
    asked = subprocess.run([sys.executable, "-c", code % ", progress=True"], capture_output=True, text=True)
    assert asked.returncode == 0, asked.stderr
    redraws = asked.stderr.count("nnom: calibrate")
    n = len(np.load(calib))
    # drawn, but not once per sample: tqdm redraws at most every 0.25 s
    assert 1 <= redraws < n / 4, (redraws, asked.stderr[-400:])


def test_header_names_follow_the_c_rule(tmp_path, digits_cnn):
    path = tmp_path / "weights-v2.h"
    assert digits_cnn.to_header(path) == "weights_v2"
    assert "weights_v2_load(" in path.read_text()
    assert digits_cnn.to_header(tmp_path / "w.h", "digits") == "digits"


def test_header_of_a_live_model_names_the_model_not_a_temporary_file(tmp_path):
    keras = pytest.importorskip("keras")
    model = keras.saving.load_model(fixture_path("dense.keras"))
    x = np.load(fixture_path("dense.input.npy"))
    header = tmp_path / "dense_weights.h"
    nnom.convert(model, x, header=header, progress=False)
    text = header.read_text()
    assert "dense_weights_load(" in text
    assert tempfile.gettempdir() not in text and "model.keras" not in text, text[:600]
    assert model.name in text


def test_model_pickles_as_its_bytes(digits_cnn):
    x = np.load(fixture_path("digits_test_x.npy"))[:20]
    copy = pickle.loads(pickle.dumps(digits_cnn))
    assert copy.to_bytes() == digits_cnn.to_bytes()
    np.testing.assert_array_equal(copy.predict(x), digits_cnn.predict(x))
    assert str(copy.conversion_report) == str(digits_cnn.conversion_report)
    keep = pickle.loads(pickle.dumps(nnom.Model(digits_cnn.to_bytes(), keep_all_outputs=True)))
    assert len(keep.layer_outputs(x[0])) == len(keep.layers)


def _accuracy_of_part(args):
    model, x, y = args
    e = nnom.evaluate(model, x, y, progress=False)
    return e.confusion


def test_a_large_set_evaluates_across_processes(digits_cnn):
    # the documented recipe (python/README.md): ship the model to worker processes, add the confusion matrices
    x = np.load(fixture_path("digits_test_x.npy"))
    y = np.load(fixture_path("digits_test_y.npy"))
    parts = [(digits_cnn, x[k::3], y[k::3]) for k in range(3)]
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        confusion = sum(pool.map(_accuracy_of_part, parts))
    np.testing.assert_array_equal(confusion, nnom.evaluate(digits_cnn, x, y, progress=False).confusion)


def test_threads_give_the_same_results(digits_cnn, two_inputs):
    x = np.load(fixture_path("digits_test_x.npy"))
    y = np.load(fixture_path("digits_test_y.npy"))
    one = digits_cnn.predict(x)
    np.testing.assert_array_equal(digits_cnn.predict(x, threads=3), one)
    np.testing.assert_array_equal(digits_cnn.predict(x[:2], threads=4), one[:2])   # fewer samples than threads
    e1 = nnom.evaluate(digits_cnn, x, y, progress=False)
    e3 = nnom.evaluate(digits_cnn, x, y, progress=False, threads=3, batch=50)
    np.testing.assert_array_equal(e1.confusion, e3.confusion)
    assert e1.top_k == e3.top_k
    model, a, b = two_inputs
    for p, q in zip(model.predict([a, b], threads=2), model.predict([a, b])):
        np.testing.assert_array_equal(p, q)
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        digits_cnn.predict(x, threads=0)

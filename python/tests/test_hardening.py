"""Bad input and hostile files at the Python surface: each raises a clear exception, none passes silently,
none takes the interpreter down; predict lets other threads and Ctrl-C through."""
import io
import os
import signal
import sys
import threading
import time
import zipfile

import numpy as np
import pytest

import nnom
from nnom import _isolated
from conftest import fixture_path


@pytest.fixture(scope="module")
def two_inputs():
    """The two-input fixture: inputs 'image' (8, 8, 3) and 'vector' (6,)."""
    a = np.load(fixture_path("two_inputs_two_outputs.input0.npy"))
    b = np.load(fixture_path("two_inputs_two_outputs.input1.npy"))
    return nnom.convert(fixture_path("two_inputs_two_outputs.keras"), [a, b], progress=False), a, b


@pytest.fixture(scope="module")
def digits_cnn():
    x = np.load(fixture_path("digits_calib_x.npy"))
    return nnom.convert(fixture_path("digits_cnn.keras"), x, progress=False), x


# ------------------------------------------------------------- calibration shapes

@pytest.mark.parametrize("isolate", [True, False])
def test_calibration_of_the_wrong_shape_names_the_input_and_both_shapes(isolate):
    x = np.load(fixture_path("dense.input.npy"))
    assert x.shape[1:] == (16,)
    with pytest.raises(ValueError) as e:
        nnom.convert(fixture_path("dense.keras"), x[:, :15], progress=False, isolate=isolate)
    assert isinstance(e.value, nnom.NNoMError) and e.value.status_name == "NNOM_ERR_SHAPE"
    assert "calibration input 0 ('in0'): expected shape (batch, 16), given (8, 15)" in str(e.value)
    # one sample without its batch axis is a batch of one, as predict() takes it
    one = nnom.convert(fixture_path("dense.keras"), x[0], progress=False, isolate=isolate)
    assert one.to_bytes() == nnom.convert(fixture_path("dense.keras"), x[:1], progress=False,
                                          isolate=isolate).to_bytes()
    with pytest.raises(ValueError, match=r"expected shape \(batch, 16\), given \(15,\)"):
        nnom.convert(fixture_path("dense.keras"), x[0, :15], progress=False, isolate=isolate)
    # a flattened image is not an image; an extra dim of 1 is the same data
    img = np.load(fixture_path("digits_calib_x.npy"))
    assert img.shape[1:] == (8, 8, 1)
    with pytest.raises(ValueError, match=r"expected shape \(batch, 8, 8, 1\), given \(100, 64\)"):
        nnom.convert(fixture_path("digits_cnn.keras"), img.reshape(100, 64), progress=False, isolate=isolate)
    squeezed = nnom.convert(fixture_path("digits_cnn.keras"), img[..., 0], progress=False, isolate=isolate)
    assert squeezed.to_bytes() == nnom.convert(fixture_path("digits_cnn.keras"), img, progress=False,
                                               isolate=isolate).to_bytes()


def test_calibration_inputs_in_the_wrong_order_or_count_are_refused(two_inputs):
    model, a, b = two_inputs
    path = fixture_path("two_inputs_two_outputs.keras")
    with pytest.raises(ValueError) as e:
        nnom.convert(path, [b, a], progress=False)
    message = str(e.value)
    assert "calibration input 0 ('image'): expected shape (batch, 8, 8, 3), given (8, 6)" in message
    assert "the shape of input 1 ('vector')" in message and "model's order" in message
    with pytest.raises(ValueError, match=r"the model has 2 inputs \('image' \(batch, 8, 8, 3\), 'vector' "
                                         r"\(batch, 6\)\), 1 array given"):
        nnom.convert(path, a, progress=False)
    with pytest.raises(ValueError, match="input 1 \\('vector'\\): 7 samples, input 0 has 8"):
        nnom.convert(path, [a, b[:7]], progress=False)
    with pytest.raises(ValueError, match="calibration input 1: sample 3 holds a NaN"):
        bad = b.copy()
        bad[3, 2] = np.nan
        nnom.convert(path, [a, bad], progress=False)


# ------------------------------------------------------------------ state ids

def test_state_of_a_layer_that_does_not_exist_raises(two_inputs):
    model = two_inputs[0]
    n = len(model.layers)
    for bad in (-1, n, 10 ** 6):
        with pytest.raises(IndexError, match=f"layer {bad} does not exist: the model has {n} layers"):
            model.state(bad)
        with pytest.raises(ValueError, match=f"layer {bad} does not exist"):
            model.set_state(bad, np.zeros(4, np.float32))
    assert model.state(0) == []  # an input layer exists and holds no state
    with pytest.raises(TypeError):
        model.state(1.5)


# -------------------------------------------------------------------- labels

def test_evaluate_refuses_labels_a_cast_would_change(digits_cnn):
    model, x = digits_cnn
    y = np.load(fixture_path("digits_test_y.npy"))[: len(x)].astype(np.int64)
    x = np.load(fixture_path("digits_test_x.npy"))[: len(y)]
    want = nnom.evaluate(model, x, y, progress=False)
    # whole numbers held as floats are labels
    as_float = nnom.evaluate(model, x, y.astype(np.float64), progress=False)
    assert as_float.accuracy == want.accuracy and np.array_equal(as_float.confusion, want.confusion)
    for value, words in [(2.5, "label 7 is 2.5, not a whole number"), (np.nan, "label 7 is nan"),
                         (10.0, r"label 7 is 10.0, not a class index in \[0, 10\)"),
                         (-1.0, r"label 7 is -1.0, not a class index")]:
        bad = y.astype(np.float64)
        bad[7] = value
        with pytest.raises(ValueError, match=words):
            nnom.evaluate(model, x, bad, progress=False)
    for value in (10, -1):
        bad = y.copy()
        bad[7] = value
        with pytest.raises(ValueError, match=f"label 7 is {value}, not a class index"):
            nnom.evaluate(model, x, bad, progress=False)


# ---------------------------------------------------------------- NaN and inf

def test_non_finite_inputs_are_refused_naming_the_sample(two_inputs):
    model, a, b = two_inputs
    for value, name in [(np.nan, "NaN"), (np.inf, "+inf"), (-np.inf, "-inf")]:
        bad = a.copy()
        bad[5].reshape(-1)[30] = value
        with pytest.raises(ValueError) as e:
            model.predict(bad, b)
        assert f"sample 5: input 0 ('image'): value 30 is {name}" in str(e.value)
        assert "check_finite=False" in str(e.value)
    # allowed: NaN is quantised to the zero point (the value 0.0) and infinities saturate like huge values
    for value, same_as in [(np.nan, 0.0), (np.inf, 1e30), (-np.inf, -1e30)]:
        bad, ref = a.copy(), a.copy()
        bad[5].reshape(-1)[30], ref[5].reshape(-1)[30] = value, same_as
        got = model.predict(bad, b, check_finite=False, int8_output=True)
        want = model.predict(ref, b, int8_output=True)
        for g, w in zip(got, want):
            assert np.array_equal(g, w)
    # the check is per call: the next call refuses again
    with pytest.raises(ValueError, match="sample 0"):
        model.predict(np.full_like(a[:1], np.nan), b[:1])


# ------------------------------------------------------- threads and Ctrl-C

def test_predict_lets_other_threads_run(digits_cnn):
    model, x = digits_cnn
    big = np.repeat(x, 400, axis=0)  # 40,000 samples: about half a second
    ticks = [0]
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks[0] += 1

    t = threading.Thread(target=count)
    t.start()
    try:
        time.sleep(0.05)
        before = ticks[0]
        model.predict(big)
        during = ticks[0] - before
    finally:
        stop.set()
        t.join()
    # holding the GIL for the batch would leave the counter where it was, give or take a switch
    assert during > 10000, f"the other thread counted {during} during predict"


def test_ctrl_c_stops_a_long_batch(digits_cnn):
    model, x = digits_cnn
    big = np.repeat(x, 2000, axis=0)  # 200,000 samples
    start = time.monotonic()
    model.predict(big[:20000])
    full = (time.monotonic() - start) * 10  # the whole batch's time, from a tenth of it
    timer = threading.Timer(0.1, __import__("_thread").interrupt_main)
    start = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        model.predict(big)
    stopped = time.monotonic() - start
    timer.join()
    assert stopped < full / 3, f"stopped after {stopped:.2f} s of {full:.2f} s"
    # the model is intact afterwards
    assert np.array_equal(model.predict(x[:3], int8_output=True), model.predict(x, int8_output=True)[:3])


def test_one_model_used_from_two_threads_gives_each_its_own_answer(digits_cnn):
    model, x = digits_cnn
    batches = [np.repeat(x[k::10], 300, axis=0) for k in range(2)]
    want = [model.predict(b, int8_output=True) for b in batches]
    got = [None, None]
    errors = []

    def work(k):
        try:
            for _ in range(3):
                got[k] = model.predict(batches[k], int8_output=True)
                if not np.array_equal(got[k], want[k]):
                    errors.append(f"thread {k}: outputs differ")
        except Exception as exc:  # reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


@pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="needs SIGUSR1")
def test_a_signal_handler_using_the_model_during_predict_is_an_error(digits_cnn):
    model, x = digits_cnn
    big = np.repeat(x, 2000, axis=0)
    old = signal.signal(signal.SIGUSR1, lambda *_: model.state(0))
    try:
        timer = threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGUSR1))
        timer.start()
        with pytest.raises(RuntimeError, match="already in use in this thread"):
            model.predict(big)
        timer.join()
    finally:
        signal.signal(signal.SIGUSR1, old)
    assert model.state(0) == []


# --------------------------------------------------------- corrupt HDF5 files

def _keras_with_weights(tmp_path, name, mutate, fixture="digits_cnn"):
    """A copy of a .keras fixture whose model.weights.h5 went through mutate(bytes) -> bytes."""
    out = tmp_path / name
    with zipfile.ZipFile(fixture_path(fixture + ".keras")) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info.filename, mutate(data) if info.filename == "model.weights.h5" else data)
    return out


def _corruptions():
    def truncate(d):
        return d[: len(d) // 2]

    def zero_tail(d):
        return d[:1024] + bytes(len(d) - 1024)

    def scramble(d):
        rng = np.random.default_rng(7)
        b = bytearray(d)
        for i in rng.integers(96, len(b), 64):
            b[i] ^= 0xFF
        return bytes(b)

    def header_only(d):
        return d[:512]

    def flip_metadata(d):  # with libhdf5 1.10.8, reading this one dies of SIGSEGV inside the library
        rng = np.random.default_rng(5)
        b = bytearray(d)
        for i in rng.integers(0, 4096, 8):
            b[i] ^= 0xFF
        return bytes(b)

    return [truncate, zero_tail, scramble, header_only, flip_metadata]


@pytest.mark.parametrize("mutate", _corruptions(), ids=lambda f: f.__name__)
def test_a_corrupt_weights_file_raises_and_the_process_lives(tmp_path, mutate):
    path = _keras_with_weights(tmp_path, f"{mutate.__name__}.keras", mutate)
    x = np.load(fixture_path("digits_calib_x.npy"))
    try:
        nnom.convert(path, x, progress=False)
    except nnom.NNoMError as exc:  # the reader's message, or the crash named with the file and the signal
        if hasattr(exc, "signal"):
            assert f"reading '{path}' crashed" in str(exc)
        else:
            assert exc.status_name in ("NNOM_ERR_KERAS", "NNOM_ERR_IO", "NNOM_ERR_SHAPE", "NNOM_ERR_FORMAT"), str(exc)
    else:  # a corruption that misses every byte the reader uses converts; the bytes it read were checked
        pass
    # still alive, and converting works afterwards
    assert nnom.convert(fixture_path("digits_cnn.keras"), x, progress=False).predict(x).shape[0] == len(x)


@pytest.mark.parametrize("how, name", [("os.abort()", "SIGABRT"),
                                       ("os.kill(os.getpid(), signal.SIGSEGV)", "SIGSEGV")])
def test_a_crash_in_the_reading_process_is_an_exception_naming_file_and_signal(monkeypatch, tmp_path, how, name):
    crash = [sys.executable, "-c", f"import os, signal, sys; sys.stdin.buffer.read(); {how}"]
    monkeypatch.setattr(_isolated, "_child_command", lambda: crash)
    path = fixture_path("dense.keras")
    with pytest.raises(nnom.NNoMError) as e:
        nnom.convert(path, np.load(fixture_path("dense.input.npy")), progress=False)
    number = getattr(signal, name)
    assert f"reading '{path}' crashed the converter process with signal {int(number)} ({name})" in str(e.value)
    assert e.value.signal == number
    # a child that dies before reading its request is a crash too, not a broken pipe
    monkeypatch.setattr(_isolated, "_child_command", lambda: [sys.executable, "-c", "import os; os.abort()"])
    with pytest.raises(nnom.NNoMError, match="SIGABRT"):
        nnom.convert(path, np.zeros((100000, 16), np.float32), progress=False)


def test_the_child_process_reports_errors_and_progress_as_in_process(tmp_path):
    x = np.load(fixture_path("dense.input.npy"))
    seen = []
    result = _isolated.convert_in_child(fixture_path("dense.keras"),
                                        ([(x, x.shape)], False, "minmax", 99.99, None, "model"),
                                        lambda done, total: seen.append((done, total)))
    assert result[0] == nnom.convert(fixture_path("dense.keras"), x, progress=False, isolate=False).to_bytes()
    assert seen and seen[-1] == (len(x), len(x))
    for isolate in (True, False):
        with pytest.raises(nnom.NNoMError, match="not supported") as e:
            nnom.convert(fixture_path("bad_unsupported.keras"), np.zeros((1, 4), np.float32), progress=False,
                         isolate=isolate)
        assert e.value.status_name == "NNOM_ERR_UNSUPPORTED"

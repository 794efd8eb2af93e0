"""User operators from Python: custom_ops={"name": fn} gives a Keras Lambda (or custom layer class) of
that name a numpy float reference, used in calibration and, through dequantise -> fn -> quantise, by
int8 models run from Python; a model whose operator is missing is refused with its name."""
import os

import numpy as np
import pytest

import nnom
from conftest import fixture_path

OP = "weighted_diff_k"   # the Lambda of the fixture user_op_lambda: a - 0.75 b, then a Dense


def weighted_diff(a, b):
    return a - 0.75 * b


def load(name):
    return np.load(fixture_path(f"user_op_lambda.{name}.npy"))


def sqnr_db(ref, test):
    ref, test = np.asarray(ref, np.float64), np.asarray(test, np.float64)
    return 10.0 * np.log10(np.sum(ref ** 2) / np.sum((ref - test) ** 2))


@pytest.mark.parametrize("layout", [".keras", ".h5", ".k2.h5"])
def test_lambda_mapped_to_a_python_function_matches_keras(layout):
    x0, x1 = load("input0"), load("input1")
    calls = []

    def fn(a, b):
        calls.append((a.shape, b.shape, a.dtype))
        return weighted_diff(a, b)

    model = nnom.convert(fixture_path("user_op_lambda" + layout), [x0, x1], custom_ops={OP: fn}, progress=False)
    # shape inference once, then every calibration sample through the float model, batch of one
    assert calls and all(c == ((1, 6, 8), (1, 6, 8), np.float32) for c in calls)
    assert len(calls) >= len(x0)
    assert [r["type"] for r in model.conversion_report.rows].count("custom") == 1
    y0, y1 = model.predict([x0, x1])
    for y, ref in ((y0, load("output0")), (y1, load("output1"))):
        assert y.shape == ref.shape
        assert sqnr_db(ref, y) >= 30.0


def test_int8_run_from_python_is_dequantise_fn_quantise():
    x0, x1 = load("input0"), load("input1")
    model = nnom.convert(fixture_path("user_op_lambda.keras"), [x0, x1], custom_ops={OP: weighted_diff},
                         progress=False)
    rng = np.random.default_rng(7)
    q0 = rng.integers(-128, 128, (16, 6, 8), dtype=np.int8)
    q1 = rng.integers(-128, 128, (16, 6, 8), dtype=np.int8)
    (s0, z0), (s1, z1) = [(t["scale"], t["zero_point"]) for t in model.inputs]
    sy, zy = model.outputs[0]["scale"], model.outputs[0]["zero_point"]
    got = model.predict(q0, q1, int8_output=True)[0]
    # the reference in double precision: round half away from zero, saturate
    y = ((q0.astype(np.float64) - z0) * s0 - 0.75 * (q1.astype(np.float64) - z1) * s1) / sy
    want = np.clip(np.sign(y) * np.floor(np.abs(y) + 0.5) + zy, -128, 127)
    diff = np.abs(got.astype(np.int64) - want.astype(np.int64))
    assert diff.max() <= 1 and np.mean(diff == 0) >= 0.99, (diff.max(), np.mean(diff == 0))
    assert np.mean(want != zy) > 0.5  # not a model that outputs a constant


def test_missing_operator_is_refused_with_its_name():
    x0, x1 = load("input0"), load("input1")
    with pytest.raises(nnom.NNoMError, match=OP):
        nnom.convert(fixture_path("user_op_lambda.keras"), [x0, x1], progress=False)
    model = nnom.convert(fixture_path("user_op_lambda.keras"), [x0, x1], custom_ops={OP: weighted_diff},
                         progress=False)
    with pytest.raises(nnom.NNoMError, match=f"'{OP}'"):
        nnom.Model(model.to_bytes())
    with pytest.raises(nnom.NNoMError, match=f"'{OP}'"):
        nnom.Model(model.to_bytes(), custom_ops={"some_other_op": weighted_diff})
    again = nnom.Model(model.to_bytes(), custom_ops={OP: weighted_diff})
    np.testing.assert_array_equal(again.predict([x0, x1])[1], model.predict([x0, x1])[1])


class Boom(Exception):
    pass


def test_an_exception_in_the_function_names_the_operator_and_keeps_its_cause():
    x0, x1 = load("input0"), load("input1")
    state = {"calls": 0}

    def fails_later(a, b):
        state["calls"] += 1
        if state["calls"] > 3:
            raise Boom("no more")
        return weighted_diff(a, b)

    with pytest.raises(nnom.NNoMError, match=f"user operator '{OP}' \\(layer '{OP}'\\).*Boom: no more") as info:
        nnom.convert(fixture_path("user_op_lambda.keras"), [x0, x1], custom_ops={OP: fails_later}, progress=False)
    assert isinstance(info.value.__cause__, Boom) and info.value.op == OP
    # the same at run time: the batch stops with the error, the model stays usable
    flaky = {"fail": False}

    def sometimes(a, b):
        if flaky["fail"]:
            raise ZeroDivisionError("flaky")
        return weighted_diff(a, b)

    model = nnom.convert(fixture_path("user_op_lambda.keras"), [x0, x1], custom_ops={OP: sometimes}, progress=False)
    flaky["fail"] = True
    with pytest.raises(nnom.NNoMError, match="ZeroDivisionError: flaky") as info:
        model.predict([x0, x1])
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    flaky["fail"] = False
    assert model.predict([x0, x1])[0].shape == (8, 6, 8)


@pytest.mark.parametrize("fn, message", [
    (lambda a, b: (a - b)[0], r"returned shape \(6, 8\).*batch axis"),
    (lambda a, b: (a - b).astype(np.complex64), "dtype complex64"),
    (lambda a, b: "a string", "dtype <U8"),
    (lambda a, b: a / 0.0, "NaN or an infinity"),
])
def test_a_result_of_the_wrong_shape_or_type_is_reported(fn, message):
    x0, x1 = load("input0"), load("input1")
    with pytest.raises(nnom.NNoMError, match=message):
        nnom.convert(fixture_path("user_op_lambda.keras"), [x0, x1], custom_ops={OP: fn}, progress=False)


def test_a_result_whose_shape_changes_after_inference_is_reported():
    x0, x1 = load("input0"), load("input1")

    def changes(a, b):
        return a - b if not a.any() else (a - b)[:, :3]   # zeros during shape inference only

    with pytest.raises(nnom.NNoMError, match=r"returned shape \(1, 3, 8\), expected \(1, 6, 8\)"):
        nnom.convert(fixture_path("user_op_lambda.keras"), [x0, x1], custom_ops={OP: changes}, progress=False)


def test_bad_custom_ops_arguments():
    x0, x1 = load("input0"), load("input1")
    path = fixture_path("user_op_lambda.keras")
    with pytest.raises(TypeError, match="a function is expected"):
        nnom.convert(path, [x0, x1], custom_ops={OP: 3}, progress=False)
    with pytest.raises(TypeError, match="a dict"):
        nnom.convert(path, [x0, x1], custom_ops=[weighted_diff], progress=False)
    with pytest.raises(ValueError, match="too long"):
        nnom.convert(path, [x0, x1], custom_ops={"x" * 40: weighted_diff}, progress=False)
    with pytest.raises(ValueError, match="isolate=True"):
        nnom.convert(path, [x0, x1], custom_ops={OP: weighted_diff}, isolate=True, progress=False)


def test_weights_h_lists_the_user_operators(tmp_path):
    x0, x1 = load("input0"), load("input1")
    header = tmp_path / "lambda_model.h"
    model = nnom.convert(fixture_path("user_op_lambda.keras"), [x0, x1], custom_ops={OP: weighted_diff},
                         header=header, progress=False)
    text = header.read_text()
    assert f"nnom-user-ops: {OP}" in text
    assert f'#define LAMBDA_MODEL_USER_OPS {{ "{OP}" }}' in text
    again = tmp_path / "again.h"
    model.to_header(again)
    assert f"nnom-user-ops: {OP}" in again.read_text()


def test_threads_and_pickling_keep_the_operators():
    import pickle

    x0, x1 = load("input0"), load("input1")
    model = nnom.convert(fixture_path("user_op_lambda.keras"), [x0, x1], custom_ops={OP: weighted_diff},
                         progress=False)
    one = model.predict([x0, x1])[1]
    np.testing.assert_array_equal(model.predict([x0, x1], threads=2)[1], one)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict([x0, x1])[1], one)


def test_live_keras_model_with_a_lambda_and_a_custom_layer():
    keras = pytest.importorskip("keras")

    @keras.saving.register_keras_serializable(package="nnom_test")
    class TwiceMinusOne(keras.layers.Layer):
        def call(self, x):
            return 2.0 * x - 1.0

    rng = np.random.default_rng(3)
    x = rng.uniform(-1.0, 1.0, (64, 10)).astype(np.float32)
    inp = keras.Input((10,))
    h = keras.layers.Dense(12, activation="tanh")(inp)
    h = keras.layers.Lambda(lambda t: t * keras.ops.sigmoid(t), name="swish_k")(h)
    h = TwiceMinusOne()(h)
    out = keras.layers.Dense(4)(h)
    km = keras.Model(inp, out)
    ops = {"swish_k": lambda t: t / (1.0 + np.exp(-t)), "TwiceMinusOne": lambda t: 2.0 * t - 1.0}
    model = nnom.convert(km, x, custom_ops=ops, progress=False)
    assert [r["type"] for r in model.conversion_report.rows].count("custom") == 2
    ref = km.predict(x, verbose=0)
    assert sqnr_db(ref, model.predict(x)) >= 30.0
    rows = nnom.compare(model, km, x[:16])
    assert rows and all(r["sqnr_db"] >= 25.0 for r in rows)
    labels = np.argmax(ref, axis=1)
    assert nnom.evaluate(model, x, labels).accuracy >= 0.9


def _doc_blocks(language):
    import re

    root = os.path.dirname(os.path.dirname(fixture_path("user_op_lambda.keras")))
    root = os.path.dirname(os.path.dirname(root))
    with open(os.path.join(root, "docs", "user-operators.md")) as f:
        text = f.read()
    return root, re.findall(r"```%s\n(.*?)```" % language, text, re.S)


def test_the_docs_examples_run_and_the_firmware_program_matches_python(tmp_path, monkeypatch, capsys):
    """docs/user-operators.md: the Python example runs as written (from the repository's root, here a
    folder linking to its Tests); its weights.h builds examples/user_ops/firmware.c, whose C operator
    gives the int8 outputs of the Python reference within one step; the C load_model() quoted in the
    docs is the program's."""
    import subprocess

    root, blocks = _doc_blocks("python")
    assert len(blocks) == 1
    os.symlink(os.path.join(root, "Tests"), tmp_path / "Tests")
    monkeypatch.chdir(tmp_path)
    scope = {}
    exec(compile(blocks[0], "docs/user-operators.md", "exec"), scope)
    printed = capsys.readouterr().out
    assert "custom" in printed and f"needs user operator '{OP}'" in printed
    header = tmp_path / "lambda_weights.h"
    assert f'LAMBDA_WEIGHTS_USER_OPS {{ "{OP}" }}' in header.read_text()
    _, c_blocks = _doc_blocks("c")
    with open(os.path.join(root, "examples", "user_ops", "firmware.c")) as f:
        assert c_blocks[-1] in f.read(), "the docs quote firmware.c's load_model()"

    model = scope["again"]
    rng = np.random.default_rng(5)
    q = [rng.integers(-128, 128, (32, 6, 8), dtype=np.int8) for _ in range(2)]
    np.concatenate([q[0].reshape(32, -1), q[1].reshape(32, -1)], axis=1).tofile(tmp_path / "inputs.bin")
    build = tmp_path / "build"
    subprocess.run(["cmake", "-S", os.path.join(root, "examples", "user_ops"), "-B", str(build),
                    f"-DWEIGHTS_H={header}", "-DMODEL_NAME=lambda_weights"], check=True, capture_output=True)
    subprocess.run(["cmake", "--build", str(build), "-j", "2"], check=True, capture_output=True)
    res = subprocess.run([str(build / "user_ops_firmware"), str(tmp_path / "inputs.bin"),
                          str(tmp_path / "outputs.bin")], capture_output=True, text=True)
    assert res.returncode == 0 and "32 samples" in res.stdout, res.stdout + res.stderr
    c_out = np.fromfile(tmp_path / "outputs.bin", np.int8).reshape(32, -1)
    y0, y1 = model.predict(q[0], q[1], int8_output=True)
    c0, c1 = c_out[:, :48], c_out[:, 48:]
    # the operator's own output: the C kernel (float32, lroundf) against the Python reference (float64)
    d0 = np.abs(c0.astype(int) - y0.reshape(32, -1).astype(int))
    assert d0.max() <= 1 and np.mean(d0 == 0) >= 0.99, (d0.max(), np.mean(d0 == 0))
    d1 = np.abs(c1.astype(int) - y1.reshape(32, -1).astype(int))
    assert d1.max() <= 2 and np.mean(d1 == 0) >= 0.95, (d1.max(), np.mean(d1 == 0))
    # the same C operator from Python, as a plugin: bit for bit with the firmware program
    with_c = nnom.Model(tmp_path / "lambda.nnom", op_plugins=[build_plugin(tmp_path)])
    p0, p1 = with_c.predict(q[0], q[1], int8_output=True)
    np.testing.assert_array_equal(np.concatenate([p0.reshape(32, -1), p1.reshape(32, -1)], axis=1), c_out)


def build_plugin(folder):
    """examples/user_ops/weighted_diff_plugin.c as a shared library, built with the system's cc."""
    import shutil
    import subprocess

    cc = shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler")
    root, _ = _doc_blocks("python")
    out = os.path.join(folder, "weighted_diff.so")
    subprocess.run([cc, "-shared", "-fPIC", "-O2", "-I", os.path.join(root, "include"),
                    os.path.join(root, "examples", "user_ops", "weighted_diff_plugin.c"), "-o", out, "-lm"],
                   check=True)
    return out


def test_c_operators_from_a_plugin(tmp_path):
    x0, x1 = load("input0"), load("input1")
    plugin = build_plugin(str(tmp_path))
    model = nnom.convert(fixture_path("user_op_lambda.keras"), [x0, x1], op_plugins=plugin, progress=False)
    y0, y1 = model.predict([x0, x1])
    assert sqnr_db(load("output0"), y0) >= 30.0 and sqnr_db(load("output1"), y1) >= 30.0
    # the C int8 kernel against a double reference from the int8 inputs
    rng = np.random.default_rng(11)
    q0, q1 = (rng.integers(-128, 128, (16, 6, 8), dtype=np.int8) for _ in range(2))
    (s0, z0), (s1, z1) = [(t["scale"], t["zero_point"]) for t in model.inputs]
    sy, zy = model.outputs[0]["scale"], model.outputs[0]["zero_point"]
    y = ((q0.astype(np.float64) - z0) * s0 - 0.75 * (q1.astype(np.float64) - z1) * s1) / sy
    want = np.clip(np.sign(y) * np.floor(np.abs(y) + 0.5) + zy, -128, 127)
    diff = np.abs(model.predict(q0, q1, int8_output=True)[0].astype(int) - want.astype(int))
    assert diff.max() <= 1 and np.mean(diff == 0) >= 0.99
    with pytest.raises(OSError, match="missing.so"):
        nnom.Model(model.to_bytes(), op_plugins=[str(tmp_path / "missing.so")])
    with pytest.raises(ValueError, match=f"'{OP}' is already registered|already"):
        nnom.Model(model.to_bytes(), op_plugins=[plugin], custom_ops={OP: weighted_diff})
    np.testing.assert_array_equal(nnom.Model(model.to_bytes(), op_plugins=plugin).predict([x0, x1])[1], y1)

"""Shared fixtures: paths, the digits split, and small trained Keras models."""
import os

import numpy as np
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KERAS_FIXTURES = os.path.join(ROOT, "Tests", "fixtures", "keras")

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# TensorFlow's CPU kernels for a transposed convolution take NHWC only; its oneDNN kernels also take
# NCHW, which Keras runs for channels_first layers (the channels_first2d fixture's Conv2DTranspose).
# TensorFlow turns oneDNN on by itself on some x86 CPUs only (not on AMD EPYC, for one): on
# for every machine, before TensorFlow is first imported, so the tests see the same Keras everywhere.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's digits as 8x8x1 images in [0, 1]; 500 held out (fixed seed)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[..., np.newaxis]
    y = d.target.astype(np.int32)
    order = np.random.default_rng(0).permutation(len(x))
    test, train = order[:500], order[500:]
    return x[train], y[train], x[test], y[test]


def fixture_path(name):
    path = os.path.join(KERAS_FIXTURES, name)
    if not os.path.exists(path):
        pytest.fail(f"missing fixture {path}: run Tests/fixtures/keras/make_fixtures.py")
    return path

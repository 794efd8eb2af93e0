"""The confusion-matrix and arena plots: figures returned, every class ticked,
scratch in the legend, the caller's matplotlib backend left alone."""
import numpy as np
import pytest

import nnom
from conftest import fixture_path

matplotlib = pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def digits_cnn():
    x = np.load(fixture_path("digits_calib_x.npy"))
    return nnom.convert(fixture_path("digits_cnn.keras"), x, progress=False)


def test_confusion_ticks_every_class_and_returns_the_figure(digits_cnn, tmp_path):
    x = np.load(fixture_path("digits_test_x.npy"))
    y = np.load(fixture_path("digits_test_y.npy"))
    ev = nnom.evaluate(digits_cnn, x, y, progress=False)
    backend = matplotlib.get_backend()
    fig = nnom.plot_confusion(ev, tmp_path / "confusion.png")
    assert matplotlib.get_backend() == backend
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(i) for i in range(10)]
    assert [t.get_text() for t in ax.get_yticklabels()] == [str(i) for i in range(10)]
    assert (tmp_path / "confusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    named = nnom.plot_confusion(ev, labels=[f"digit {i}" for i in range(10)])
    assert named.axes[0].get_xticklabels()[3].get_text() == "digit 3"
    with pytest.raises(ValueError, match="3 labels given for 10 classes"):
        nnom.plot_confusion(ev, labels=["a", "b", "c"])


def test_arena_names_layers_on_the_axis_and_scratch_in_the_legend(digits_cnn, tmp_path):
    fig = nnom.plot_arena(digits_cnn, tmp_path / "arena.png")
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.get_xticklabels()]
    assert names == [l.name for l in digits_cnn.layers]
    assert any(l.scratch_bytes for l in digits_cnn.layers)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("scratch" in t for t in legend)
    # the y axis spans the whole arena and every rectangle lies inside it
    assert ax.get_ylim()[1] == digits_cnn.arena_size
    for patch in ax.patches:
        assert patch.get_y() + patch.get_height() <= digits_cnn.arena_size
    assert (tmp_path / "arena.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

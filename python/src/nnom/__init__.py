"""nnom: int8 neural-network inference for microcontrollers, from Python.

Everything that computes runs in libnnom, the C runtime that ships to the
device; this package converts arrays and errors.

>>> import nnom
>>> model = nnom.convert("model.keras", x_calibration, output="model.nnom")
>>> scores = model.predict(x_test)
>>> nnom.evaluate(model, x_test, y_test).accuracy
"""
from ._nnom import NNoMError, NNoMValueError
from ._model import Layer, Model
from ._convert import ConversionReport, convert
from ._evaluate import Evaluation, compare, evaluate
from ._plot import plot_arena, plot_confusion
from . import _nnom

__version__ = _nnom.version()

__all__ = [
    "Model",
    "Layer",
    "NNoMError",
    "NNoMValueError",
    "convert",
    "ConversionReport",
    "evaluate",
    "Evaluation",
    "compare",
    "plot_confusion",
    "plot_arena",
    "__version__",
]

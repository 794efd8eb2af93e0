"""nnom: int8 neural-network inference for microcontrollers, from Python.

Every computation on models runs in libnnom, the C runtime that ships to the
device: conversion, inference, dequantised layer outputs, evaluation
counts, the SQNR of compare() and of the conversion report. This package
converts arrays and errors; NumPy only reshapes and splits batches and turns
the C counts into ratios.

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

"""Writes the architecture zoo's models (benchmarks/zoo.py: random weights, seed 1, BatchNorm statistics
from the calibration data) for the Cortex-M4 benchmark benchmarks/firmware/zoo.sh:
NAME.keras, NAME.calib.npy (calibration inputs) and NAME.test.npy (test inputs).

usage: python3 benchmarks/firmware/zoo_models.py OUT_DIR NAME...
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # benchmarks/: zoo.py

N_CALIBRATION = 32
N_TEST = 2


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, names = sys.argv[1], sys.argv[2:]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import keras
    import zoo

    builders = {entry[0].__name__: entry for entry in zoo.MODELS}
    unknown = [n for n in names if n not in builders]
    if unknown:
        sys.exit(f"zoo_models.py: no zoo model named {', '.join(unknown)} (known: {', '.join(builders)})")
    os.makedirs(out, exist_ok=True)
    for name in names:
        build, scale = builders[name]
        keras.utils.set_random_seed(zoo.SEED)
        model = build(keras)
        x, xt = zoo.prepare(keras, np, model, scale, N_CALIBRATION, N_TEST)
        model.save(os.path.join(out, name + ".keras"))
        np.save(os.path.join(out, name + ".calib.npy"), x)
        np.save(os.path.join(out, name + ".test.npy"), xt)
        print(f"zoo_models: {name}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()

"""Recurrent layers from Python: Keras GRU and LSTM models converted to int8.

On scikit-learn's digits read as sequences (8 rows of 8 pixels), a GRU and an
LSTM classifier keep their Keras float top-1 accuracy within 1.0 point in
int8. A stateful LSTM carries its state across predict() calls as Keras'
does, and Model.reset_state(), state() and set_state() control it.
"""
import numpy as np
import pytest

import nnom

keras = pytest.importorskip("keras")
L = keras.layers


def sequence_classifier(cls):
    i = keras.Input((8, 8))
    h = getattr(L, cls)(32)(i)
    return keras.Model(i, L.Dense(10, activation="softmax")(h), name=cls.lower())


@pytest.mark.parametrize("cls", ["GRU", "LSTM"])
def test_digits_sequences_int8_within_one_point(cls, digits):
    x_train, y_train, x_test, y_test = digits
    rows_train, rows_test = x_train[..., 0], x_test[..., 0]  # (N, 8, 8): 8 steps of 8 features
    keras.utils.set_random_seed(1)
    m = sequence_classifier(cls)
    m.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
    m.fit(rows_train, y_train, batch_size=32, epochs=40, verbose=0)
    float_acc = float(np.mean(np.argmax(m.predict(rows_test, verbose=0), 1) == y_test))
    q = nnom.convert(m, rows_train[:200], progress=False)
    int8_acc = float(np.mean(np.argmax(q.predict(rows_test), 1) == y_test))
    print(f"{cls}: Keras float {100 * float_acc:.2f}%, nnom int8 {100 * int8_acc:.2f}%, "
          f"arena {q.arena_size} B, state {q.state_size} B, weights {q.weight_bytes} B")
    assert float_acc >= 0.93  # a working classifier: the point is what int8 keeps of it
    assert abs(int8_acc - float_acc) <= 0.01
    assert q.state_size == 32 * 2 * (2 if cls == "LSTM" else 1)
    assert any(layer.type == cls.lower() for layer in q.layers)


def sqnr_db(ref, x):
    err = np.sum((np.asarray(ref, np.float64) - x) ** 2)
    return 200.0 if err == 0 else 10 * np.log10(np.sum(np.asarray(ref, np.float64) ** 2) / err)


def test_stateful_lstm_follows_keras_and_resets():
    keras.utils.set_random_seed(3)
    i = keras.Input(batch_shape=(1, 5, 3))
    m = keras.Model(i, L.LSTM(4, stateful=True, return_sequences=True)(i))
    x = np.random.default_rng(0).uniform(-1, 1, (3, 1, 5, 3)).astype(np.float32)
    want = [m.predict(x[k], batch_size=1, verbose=0) for k in range(3)]  # state carried from call to call
    q = nnom.convert(m, x.reshape(3, 5, 3), progress=False)
    lstm = next(i for i, layer in enumerate(q.layers) if layer.type == "lstm")
    got = [q.predict(x[k]) for k in range(3)]
    for k in range(3):
        assert sqnr_db(want[k], got[k]) >= 25.0, f"call {k}"
    h, c = q.state(lstm)
    assert h.shape == (4,) and c.shape == (4,)
    assert np.allclose(h, got[2][0, -1], atol=2 * q.outputs[0]["scale"])  # h is the last output
    # reset: the first call again gives the first outputs, bit for bit
    q.reset_state()
    assert np.all(q.state(lstm)[0] == 0)
    again = q.predict(x[0], int8_output=True)
    assert np.array_equal(again, np.clip(np.round(got[0] / q.outputs[0]["scale"]) + q.outputs[0]["zero_point"],
                                         -128, 127).astype(np.int8))
    # set_state: continuing from a saved state gives what continuing did
    q.reset_state()
    q.predict(x[0])
    saved = q.state(lstm)
    second = q.predict(x[1])
    q.reset_state()
    q.set_state(lstm, *saved)
    assert np.array_equal(q.predict(x[1]), second)
    assert q.state(q.layers[0].name) == []  # the input keeps no state
    with pytest.raises(KeyError):
        q.state("no such layer")
    with pytest.raises(nnom.NNoMError, match="state vector 2"):
        q.set_state(lstm, h, c, h)

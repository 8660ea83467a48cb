"""The seed articles' recipe written plainly in Keras, as the reference SalesLens' presets must match or beat.

Article 2 ("AI models for market-trend prediction", SEEDS.md): MinMaxScaler(0, 1) fitted on the training rows,
windows of ``window`` values, LSTM(units, return_sequences) x (layers - 1) -> LSTM(units) -> Dense(1), adam, MSE,
batch 32; the horizon forecast recursively (each prediction appended to the window). Nothing from SalesLens is
imported, so the comparison is with what an analyst would write by hand. The backend is whatever Keras is set to
(``KERAS_BACKEND``); bench/battery_presets.py runs it on TensorFlow in a child process for the time comparison.
"""

from __future__ import annotations

import time

import numpy as np


def plain_keras_forecast(y_train: np.ndarray, horizon: int, window: int = 60, layers: int = 2, units: int = 100,
                         epochs: int = 20, batch_size: int = 32, seed: int = 0,
                         timings: dict | None = None) -> tuple[np.ndarray, float]:
    """(forecast of the ``horizon`` values after ``y_train``, seconds spent in model.fit); ``timings`` (a dict),
    when given, also gets ``fit_cpu_seconds``: the process's CPU time in model.fit, every thread counted."""
    import keras

    y = np.asarray(y_train, dtype=np.float32)
    lo, hi = float(y.min()), float(y.max())
    scaled = (y - lo) / (hi - lo if hi > lo else 1.0)
    x_train = np.array([scaled[i:i + window] for i in range(len(y) - window)])[..., None]
    y_train_s = np.array([scaled[i + window] for i in range(len(y) - window)])
    keras.utils.set_random_seed(seed)
    stack = [keras.Input((window, 1))]
    stack += [keras.layers.LSTM(units, return_sequences=True) for _ in range(layers - 1)]
    stack += [keras.layers.LSTM(units), keras.layers.Dense(1)]
    model = keras.Sequential(stack)
    model.compile(optimizer="adam", loss="mse")
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(x_train, y_train_s, batch_size=batch_size, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    if timings is not None:
        timings["fit_cpu_seconds"] = time.process_time() - cpu
    buffer = list(scaled[-window:])
    out = []
    for _ in range(horizon):
        value = float(model.predict(np.array(buffer[-window:], dtype=np.float32)[None, :, None], verbose=0)[0, 0])
        out.append(value)
        buffer.append(value)
    return np.array(out) * (hi - lo if hi > lo else 1.0) + lo, seconds

"""Streamlit clears Keras' session after every script run; a training in another thread must not notice."""

from __future__ import annotations

import threading

import numpy as np

from ml.keras_runtime import load_keras


def _build_many(keras, errors: list[BaseException], done: threading.Event) -> None:
    try:
        for _ in range(15):
            inputs = keras.Input(shape=(8, 1))
            x = keras.layers.LSTM(4, return_sequences=True)(inputs)
            x = keras.layers.LSTM(4)(x)  # two auto-named LSTMs: a wiped name counter makes them collide
            model = keras.Model(inputs, keras.layers.Dense(1)(x))
            model.compile(optimizer="adam", loss="mae")
            model.fit(np.zeros((4, 8, 1)), np.zeros((4, 1)), epochs=1, verbose=0)
    except BaseException as exc:  # noqa: BLE001 - reported to the test thread
        errors.append(exc)
    finally:
        done.set()


def test_a_clear_session_from_another_thread_leaves_a_training_alone():
    keras = load_keras()
    errors: list[BaseException] = []
    done = threading.Event()
    worker = threading.Thread(target=_build_many, args=(keras, errors, done))
    worker.start()
    calls = 0
    while not done.is_set():  # what Streamlit's script thread does after each rerun
        keras.backend.clear_session(free_memory=False)
        calls += 1
    worker.join()
    assert calls > 10
    assert errors == []


def test_clear_session_still_resets_the_calling_threads_state():
    keras = load_keras()
    keras.layers.Dense(1)
    named_before = keras.layers.Dense(1).name
    keras.backend.clear_session()
    assert named_before != "dense"
    assert keras.layers.Dense(1).name == "dense"

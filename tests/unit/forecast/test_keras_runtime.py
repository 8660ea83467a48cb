"""Streamlit clears Keras' session after every script run; a training in another thread must not notice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from ml import keras_runtime
from ml.keras_runtime import load_keras
from ml.schema import ConfigError

ROOT = Path(__file__).resolve().parents[3]


def _build_many(keras, errors: list[BaseException], done: threading.Event, rounds: int) -> None:
    try:
        for _ in range(rounds):
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


def race_clear_session_with_a_training(rounds: int, pause: float = 0.0) -> tuple[int, list[BaseException]]:
    """Build and train ``rounds`` models in a thread while this thread clears the Keras session again and again;
    returns (clear_session calls, the training thread's errors)."""
    keras = load_keras()
    errors: list[BaseException] = []
    done = threading.Event()
    worker = threading.Thread(target=_build_many, args=(keras, errors, done, rounds))
    worker.start()
    calls = 0
    while not done.is_set():  # what Streamlit's script thread does after each rerun
        keras.backend.clear_session(free_memory=False)
        calls += 1
        time.sleep(pause)
    worker.join()
    return calls, errors


def test_a_clear_session_from_another_thread_leaves_a_training_alone():
    calls, errors = race_clear_session_with_a_training(15)
    assert calls > 10
    assert errors == []


def test_clear_session_still_resets_the_calling_threads_state():
    keras = load_keras()
    keras.layers.Dense(1)
    named_before = keras.layers.Dense(1).name
    keras.backend.clear_session()
    assert named_before != "dense"
    assert keras.layers.Dense(1).name == "dense"


def test_a_thread_that_never_touched_keras_is_cleared_without_a_full_collection(monkeypatch):
    """Streamlit clears the session after every script run; a full gc.collect there cost seconds per rerun in a
    process with a large heap. It runs only when the calling thread held Keras state."""
    import gc

    keras = load_keras()
    collections: list[int] = []
    monkeypatch.setattr(gc, "collect", lambda *args, **kwargs: collections.append(1) or 0)

    def untouched() -> None:
        keras.backend.clear_session()

    thread = threading.Thread(target=untouched)
    thread.start()
    thread.join()
    assert collections == []

    keras.layers.Dense(1)  # this thread now holds a name counter
    keras.backend.clear_session()
    assert collections == [1]


# ------------------------------------------------------------------------------------------------ backend choice

def _no_gpu(monkeypatch):
    monkeypatch.setattr(keras_runtime, "gpu_for_tensorflow", lambda environ=None: False)


def test_the_setting_names_the_backend_and_auto_takes_jax_without_a_gpu(monkeypatch):
    _no_gpu(monkeypatch)
    assert keras_runtime.resolve_backend("tensorflow", {}) == "tensorflow"
    assert keras_runtime.resolve_backend(" JAX ", {}) == "jax"
    assert keras_runtime.resolve_backend(None, {"SALESLENS_BACKEND": "tensorflow"}) == "tensorflow"
    assert keras_runtime.resolve_backend(None, {}) == "jax"
    assert keras_runtime.resolve_backend("auto", {"SALESLENS_BACKEND": "tensorflow"}) == "jax"  # the argument wins
    assert keras_runtime.resolve_backend("auto", {"KERAS_BACKEND": "tensorflow"}) == "tensorflow"  # already told
    assert keras_runtime.resolve_backend("jax", {"KERAS_BACKEND": "tensorflow"}) == "jax"


def test_auto_takes_tensorflow_when_a_gpu_is_visible(monkeypatch):
    monkeypatch.setattr(keras_runtime, "gpu_for_tensorflow", lambda environ=None: True)
    assert keras_runtime.resolve_backend("auto", {}) == "tensorflow"


def test_gpu_check_needs_a_device_file_and_a_visible_device(tmp_path, monkeypatch):
    monkeypatch.setattr(keras_runtime, "_system_cudnn", lambda: True)
    (tmp_path / "nvidia0").touch()
    device = str(tmp_path / "nvidia[0-9]*")
    assert keras_runtime.gpu_for_tensorflow({}, device) is True
    assert keras_runtime.gpu_for_tensorflow({"CUDA_VISIBLE_DEVICES": "-1"}, device) is False
    assert keras_runtime.gpu_for_tensorflow({"CUDA_VISIBLE_DEVICES": ""}, device) is False
    assert keras_runtime.gpu_for_tensorflow({}, str(tmp_path / "missing[0-9]*")) is False
    monkeypatch.setattr(keras_runtime, "_system_cudnn", lambda: False)
    monkeypatch.setattr(keras_runtime, "_installed", lambda module: module == "tensorflow")
    assert keras_runtime.gpu_for_tensorflow({}, device) is False  # TensorFlow without cuDNN cannot use the GPU


def test_an_unknown_or_missing_backend_is_a_clear_error(monkeypatch):
    with pytest.raises(ConfigError) as err:
        keras_runtime.resolve_backend("torch", {})
    assert err.value.message_id == "backend.error.unknown" and err.value.params["value"] == "torch"
    monkeypatch.setattr(keras_runtime, "_installed", lambda module: module != "tensorflow")
    with pytest.raises(ConfigError) as err:
        keras_runtime.resolve_backend("tensorflow", {})
    assert err.value.message_id == "backend.error.not_installed"


def test_the_other_backend_cannot_be_chosen_once_keras_is_loaded(monkeypatch):
    load_keras()
    loaded = keras_runtime.loaded_backend()
    for name in ("SALESLENS_BACKEND", "KERAS_BACKEND"):  # select_backend sets both: restore them afterwards
        monkeypatch.setenv(name, loaded)
    other = next(b for b in keras_runtime.BACKENDS if b != loaded)
    with pytest.raises(ConfigError) as err:
        keras_runtime.select_backend(other)
    assert err.value.message_id == "backend.error.already_loaded"
    assert keras_runtime.select_backend(loaded) == loaded


def _in_subprocess(code: str, backend: str, timeout: int = 300,
                   extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("KERAS_BACKEND", "SALESLENS_BACKEND")}
    env.update(SALESLENS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2", **(extra or {}))
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.slow
def test_the_clear_session_guard_covers_tensorflow():
    """The same background training as above, on the TensorFlow backend (a process of its own: Keras fixes its
    backend at import)."""
    # TensorFlow traces each new model's training step (seconds apiece here): fewer models, and a short pause in
    # the clearing loop so that it does not starve the training thread of the interpreter lock
    code = ("from tests.unit.forecast import test_keras_runtime as t; "
            "calls, errors = t.race_clear_session_with_a_training(4, pause=0.001); "
            "t.test_clear_session_still_resets_the_calling_threads_state(); "
            "from ml.keras_runtime import loaded_backend; print(loaded_backend(), calls, repr(errors))")
    proc = _in_subprocess(code, "tensorflow")
    assert proc.returncode == 0, proc.stderr[-3000:]
    backend, calls, errors = proc.stdout.strip().splitlines()[-1].split(" ", 2)
    assert backend == "tensorflow" and int(calls) > 10 and errors == "[]"


@pytest.mark.slow
def test_training_on_jax_does_not_import_tensorflow():
    """keras.utils.set_random_seed imports TensorFlow whenever it is installed (~8 s, ~850 MiB); SalesLens seeds
    without it on JAX, and seeding still makes the weights repeatable."""
    code = ("import sys, numpy as np; from ml.keras_runtime import load_keras, set_random_seed; k = load_keras(); "
            "w = []\n"
            "for _ in range(2):\n"
            "    set_random_seed(5); m = k.Sequential([k.Input((3,)), k.layers.Dense(2), k.layers.Dropout(0.5)]); "
            "m.compile('adam', 'mse'); m.fit(np.ones((8, 3)), np.ones((8, 2)), verbose=0); w.append(m.get_weights()[0])\n"
            "print(k.backend.backend(), 'tensorflow' in sys.modules, bool((w[0] == w[1]).all()))")
    proc = _in_subprocess(code, "jax")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "jax False True"


def test_the_cli_refuses_an_unknown_backend_setting_in_one_line(tmp_path):
    csv = tmp_path / "sales.csv"
    csv.write_text("date,quantity\n2024-01-01,3\n")
    proc = subprocess.run([sys.executable, "-m", "ml", "forecast", str(csv), "--json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "SALESLENS_BACKEND": "torch"})
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == ["error: torch is not a backend SalesLens knows; choose one of: auto, "
                                                "tensorflow, jax."]


@pytest.mark.slow
def test_a_model_built_again_reads_its_compiled_programs_from_the_cache(tmp_path):
    """SALESLENS_COMPILE_CACHE=<folder>: the first fit writes its XLA programs there; a second forecaster with the
    same config (the warm-started future fit's case) writes none (it found them) and learns the same weights."""
    folder = tmp_path / "xla"
    code = ("import json, os, jax\n"
            "from ml.forecast.forecaster import NeuralForecaster\n"
            "from ml.forecast import network\n"
            "from tests.unit.forecast.conftest import SMALL, make_series\n"
            "jax.config.update('jax_persistent_cache_min_compile_time_secs', 0)  # SMALL compiles in under 0.5 s\n"
            f"folder = {str(folder)!r}\n"
            "counts, weights = [], []\n"
            "for _ in range(2):\n"
            "    f = NeuralForecaster(SMALL.replace(epochs=2)).fit(make_series(120))\n"
            "    counts.append(len(os.listdir(folder)))\n"
            "    weights.append([w.tolist() for w in f.model_.get_weights()])\n"
            "print(json.dumps([counts, weights[0] == weights[1]]))")
    proc = _in_subprocess(code, "jax", 600, {"SALESLENS_COMPILE_CACHE": str(folder)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    (first, second), same = json.loads(proc.stdout.strip().splitlines()[-1])
    assert first > 0 and second == first and same


def test_the_compile_cache_can_be_turned_off():
    assert keras_runtime.enable_compile_cache({"SALESLENS_COMPILE_CACHE": "off"}) is None

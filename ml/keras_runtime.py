"""Keras for a long-lived, multi-threaded server: import it through ``load_keras()``, never directly.

Backend: Keras fixes its backend (TensorFlow or JAX) when it is first imported, so SalesLens chooses it once per
process, before that import: ``select_backend()`` reads the one setting, ``SALESLENS_BACKEND=auto|tensorflow|jax``
(the CLI's ``--backend`` passes its value instead), and sets ``KERAS_BACKEND``. ``auto`` follows ``KERAS_BACKEND``
when a caller already set it, else takes TensorFlow when it can see an NVIDIA GPU (cuDNN's fused LSTM/GRU kernels)
and JAX otherwise (on a CPU, JAX trains the seeds' LSTM in about half of TensorFlow's time: bench/RESULTS.md). The
choice is a plain function of the environment, so a training worker process calls ``select_backend()`` at start.

Why the clear_session guard: Streamlit calls ``keras.backend.clear_session()`` after every script run (its script
runner's ``_clean_problem_modules``). Keras implements that by *replacing* its module-level ``threading.local``
state objects, which empties the state of every thread, not just the caller's: a training running in a background
job thread loses its layer-name counters and its list of not-yet-initialised variables while it builds a model. In
the real server (not in AppTest, which does not run that cleanup) trainings then failed at random with ``TypeError:
'NoneType' object is not callable`` inside a layer or ``The name "lstm" is used 2 times in the model`` — once per
second while the progress fragment polled.

``load_keras()`` selects the backend (unless Keras is already imported), imports Keras and replaces
``keras.backend.clear_session`` / ``keras.utils.clear_session`` with a version that clears the calling thread's
state only, which is what Streamlit means by it (its own script thread) and leaves other threads' trainings alone.
On TensorFlow it also resets the calling thread's default graph (TensorFlow keeps one per thread) but not the eager
kernel cache, which every thread shares.
"""

from __future__ import annotations

import gc
import glob
import importlib.util
import os
import sys
import threading
from collections.abc import Mapping
from types import ModuleType

from ml.schema import ConfigError

SETTING = "SALESLENS_BACKEND"
BACKENDS: tuple[str, ...] = ("tensorflow", "jax")
CHOICES: tuple[str, ...] = ("auto", *BACKENDS)
DEFAULT_BACKEND = "jax"  # what a bundle or run saved before the backend was recorded was trained on
_MODULES = {"tensorflow": "tensorflow", "jax": "jax"}

_lock = threading.Lock()
_patched = False


def gpu_for_tensorflow(environ: Mapping[str, str] | None = None, device_glob: str = "/dev/nvidia[0-9]*") -> bool:
    """True when TensorFlow is installed and an NVIDIA GPU is visible; checked without importing TensorFlow (~1 ms):
    an NVIDIA device file, CUDA_VISIBLE_DEVICES not hiding every device, and cuDNN's libraries beside TensorFlow
    (``pip install tensorflow[and-cuda]`` puts them in the ``nvidia`` packages)."""
    environ = os.environ if environ is None else environ
    visible = environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in ("", "-1"):
        return False
    if not glob.glob(device_glob):
        return False
    return _installed("tensorflow") and (_installed("nvidia.cudnn") or _system_cudnn())


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package that is missing
        return False


def _system_cudnn() -> bool:
    import ctypes.util

    return ctypes.util.find_library("cudnn") is not None


def resolve_backend(setting: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """``tensorflow`` or ``jax`` for a setting (``None``: ``SALESLENS_BACKEND``, else ``auto``).

    ConfigError ``backend.error.unknown`` for a value that is not auto/tensorflow/jax, ``backend.error.not_installed``
    for a backend whose package is missing.
    """
    environ = os.environ if environ is None else environ
    raw = environ.get(SETTING, "") if setting is None else setting
    choice = (raw or "auto").strip().lower()
    if choice not in CHOICES:
        raise ConfigError("backend.error.unknown", value=raw, allowed=", ".join(CHOICES))
    if choice == "auto":
        told = environ.get("KERAS_BACKEND", "")
        choice = told if told in BACKENDS else ("tensorflow" if gpu_for_tensorflow(environ) else "jax")
    if not _installed(_MODULES[choice]):
        raise ConfigError("backend.error.not_installed", backend=choice)
    return choice


def backend_label(backend: str) -> str:
    """The backend's name for people (TensorFlow, JAX) in the current language."""
    from ml.i18n import t

    return {"tensorflow": t("backend.name.tensorflow"), "jax": t("backend.name.jax")}.get(backend, backend)


def loaded_backend() -> str | None:
    """The backend of the Keras already imported in this process, or None before the first import."""
    keras = sys.modules.get("keras")
    if keras is None:
        return None
    try:
        return str(keras.backend.backend())
    except AttributeError:  # imported halfway (another thread is importing it now)
        return os.environ.get("KERAS_BACKEND")


def select_backend(setting: str | None = None) -> str:
    """Resolve the setting and fix this process's backend (``KERAS_BACKEND``, and ``SALESLENS_BACKEND`` so that
    ``load_keras`` and worker processes started from here agree); returns it. Call it before the first Keras import;
    once Keras is imported, asking for the other backend raises ConfigError ``backend.error.already_loaded``."""
    backend = resolve_backend(setting)
    loaded = loaded_backend()
    if loaded is not None and loaded != backend:
        raise ConfigError("backend.error.already_loaded", backend=backend, loaded=loaded)
    os.environ["KERAS_BACKEND"] = os.environ[SETTING] = backend
    return backend


def clear_this_thread(free_memory: bool = True) -> None:
    """``keras.backend.clear_session`` restricted to the calling thread."""
    from keras.src.backend.common import global_state

    held = False  # whether this thread held any Keras state to let go of
    for tracker in (global_state.GLOBAL_STATE_TRACKER, global_state.GLOBAL_SETTINGS_TRACKER):
        for name in list(vars(tracker)):  # vars() of a threading.local is this thread's attributes only
            delattr(tracker, name)
            held = True
    if loaded_backend() == "tensorflow":
        import tensorflow as tf

        try:
            tf.compat.v1.reset_default_graph()  # the default graph stack is thread-local
        except AssertionError:  # called inside a `with graph.as_default()` block of this thread: leave it
            pass
    # Streamlit calls clear_session after every script run once Keras is imported; a full collection there cost
    # seconds per rerun in a process with a large heap (the test suite: 70% of its time), and frees nothing when the
    # script thread never touched Keras, so collect only when this thread held something.
    if free_memory and held:
        gc.collect()


def set_random_seed(seed: int) -> None:
    """``keras.utils.set_random_seed`` without importing TensorFlow into a JAX process.

    Keras' own version also seeds TensorFlow whenever TensorFlow is installed, which imports it (~8 s and ~850 MiB
    here) into a process that trains on JAX. This does the same for the backend in use: Python's and NumPy's
    generators and Keras' global seed (from which every layer initialiser and dropout draws)."""
    keras = load_keras()
    if loaded_backend() != "jax":
        keras.utils.set_random_seed(seed)
        return
    import random

    import numpy as np
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator
    from keras.src.utils import rng_utils

    global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    random.seed(seed)
    np.random.seed(seed)


def load_keras() -> ModuleType:
    global _patched
    if "keras" not in sys.modules:
        select_backend()
    import keras

    with _lock:
        if not _patched:
            keras.backend.clear_session = clear_this_thread
            keras.utils.clear_session = clear_this_thread
            if loaded_backend() == "jax":
                enable_compile_cache()
            _patched = True
    return keras


# XLA's compiled programs, kept on disk and found again by the program's text: every new Keras model is a new
# ``jax.jit`` and is traced again, but a model built the same way (the warm-started future fit after the holdout
# fit, a retraining with the same settings) compiles to the same program and is read back instead of compiled
# (a second identical LSTM(100) x2 fit: 3.2 instead of 8.3 CPU-s for 2 epochs; about 1 CPU-s of a whole forecast of
# the seeds' preset: bench/RESULTS.md, "Time"). The programs are the same, so are the results. ``SALESLENS_COMPILE_CACHE``: ``process`` (default; a temporary folder removed when the process ends),
# ``off``, or a folder to keep programs across processes.
COMPILE_CACHE_SETTING = "SALESLENS_COMPILE_CACHE"
COMPILE_CACHE_MIN_SECONDS = 0.5  # programs that compile faster than this are not worth a file
_compile_cache: str | None = None


def enable_compile_cache(environ: Mapping[str, str] | None = None) -> str | None:
    """Turn on JAX's compilation cache as ``SALESLENS_COMPILE_CACHE`` says; returns its folder (None when off)."""
    global _compile_cache
    environ = os.environ if environ is None else environ
    choice = environ.get(COMPILE_CACHE_SETTING, "process").strip() or "process"
    if choice.lower() == "off":
        return None
    if _compile_cache is None:
        import jax

        if choice.lower() == "process":
            import atexit
            import shutil
            import tempfile

            folder = tempfile.mkdtemp(prefix="saleslens-xla-")
            atexit.register(shutil.rmtree, folder, True)
        else:
            folder = os.path.abspath(os.path.expanduser(choice))
            os.makedirs(folder, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", folder)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", COMPILE_CACHE_MIN_SECONDS)
        _compile_cache = folder
    return _compile_cache

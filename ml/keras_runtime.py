"""Keras for a long-lived, multi-threaded server: import it through ``load_keras()``, never directly.

Why: Streamlit calls ``keras.backend.clear_session()`` after every script run (its script runner's
``_clean_problem_modules``). Keras implements that by *replacing* its module-level ``threading.local`` state objects,
which empties the state of every thread, not just the caller's: a training running in a background job thread loses
its layer-name counters and its list of not-yet-initialised variables while it builds a model. In the real server
(not in AppTest, which does not run that cleanup) trainings then failed at random with ``TypeError: 'NoneType'
object is not callable`` inside a layer or ``The name "lstm" is used 2 times in the model`` — once per second while
the progress fragment polled.

``load_keras()`` selects the JAX backend (unless ``KERAS_BACKEND`` is set), imports Keras and replaces
``keras.backend.clear_session`` / ``keras.utils.clear_session`` with a version that clears the calling thread's
state only, which is what Streamlit means by it (its own script thread) and leaves other threads' trainings alone.
"""

from __future__ import annotations

import gc
import os
import threading
from types import ModuleType

_lock = threading.Lock()
_patched = False


def clear_this_thread(free_memory: bool = True) -> None:
    """``keras.backend.clear_session`` restricted to the calling thread."""
    from keras.src.backend.common import global_state

    for tracker in (global_state.GLOBAL_STATE_TRACKER, global_state.GLOBAL_SETTINGS_TRACKER):
        for name in list(vars(tracker)):  # vars() of a threading.local is this thread's attributes only
            delattr(tracker, name)
    if free_memory:
        gc.collect()


def load_keras() -> ModuleType:
    global _patched
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    with _lock:
        if not _patched:
            keras.backend.clear_session = clear_this_thread
            keras.utils.clear_session = clear_this_thread
            _patched = True
    return keras

"""The networks, and the only module that imports Keras (it is imported lazily by the forecaster).

Backend: TensorFlow or JAX, chosen once per process by ``ml.keras_runtime.select_backend`` (SALESLENS_BACKEND;
``auto``: TensorFlow with a GPU, JAX on a CPU, where it trained these networks in 0.6-0.7x TensorFlow's time and
imports in a third of the time and memory: bench/RESULTS.md). The same code builds the same networks on both; weights files load
on either.
"""

from __future__ import annotations

import math
from typing import Any

from ml.forecast.config import ForecastConfig
from ml.keras_runtime import load_keras, set_random_seed
from ml.progress import ProgressSink, as_progress

keras = load_keras()  # backend from SALESLENS_BACKEND (see ml.keras_runtime); safe next to Streamlit's clear_session

PREDICT_CHUNK = 128


def backend_name() -> str:
    return keras.backend.backend()


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and the backend so the same data + config + seed trains the same weights."""
    set_random_seed(seed)  # keras.utils.set_random_seed would import TensorFlow into a JAX process


def build_network(config: ForecastConfig, past_features: int, future_features: int) -> keras.Model:
    """Build and compile the network ``config`` describes.

    Inputs: ``past`` [batch, window, past_features] (scaled y first, then calendar and covariates) and, when there
    are calendar features, ``future`` [batch, steps, future_features] (the calendar of the dates to forecast).
    With ``config.baseline`` on, a third input ``baseline`` [batch, steps] (the window's seasonal mean, scaled) is
    added to the output through an identity-initialised linear map.
    Output: [batch, steps] with steps = horizon (direct head) or 1 (recursive head).
    """
    steps = config.output_steps
    past = keras.Input(shape=(config.window, past_features), name="past")  # [batch, window, features]
    x = past
    if config.model_type == "cnn":
        for _ in range(config.layers):
            x = keras.layers.Conv1D(config.units, config.kernel_size, activation="relu")(x)  # [batch, w', units]
            x = keras.layers.MaxPooling1D(config.pool_size)(x)  # [batch, w' // pool, units]
        x = keras.layers.Flatten()(x)  # [batch, w'' * units]
        if config.dropout:
            x = keras.layers.Dropout(config.dropout)(x)
    else:
        cell = {"lstm": keras.layers.LSTM, "stacked_lstm": keras.layers.LSTM, "gru": keras.layers.GRU,
                "rnn": keras.layers.SimpleRNN}[config.model_type]
        for i in range(config.layers):
            last = i == config.layers - 1
            # [batch, window, units] for inner layers, [batch, units] for the last
            x = cell(config.units, return_sequences=not last)(x)
            if config.dropout:
                x = keras.layers.Dropout(config.dropout)(x)
    inputs = [past]
    if future_features:
        future = keras.Input(shape=(steps, future_features), name="future")  # [batch, steps, calendar]
        inputs.append(future)
        x = keras.layers.Concatenate()([x, keras.layers.Flatten()(future)])  # [batch, units + steps * calendar]
    if config.dense_units:
        x = keras.layers.Dense(config.dense_units, activation="relu")(x)  # [batch, dense_units]
    output = keras.layers.Dense(steps, name="head")(x)  # [batch, steps]
    if config.baseline != "none":
        # the window's seasonal mean for the steps ahead, added through a learnable map that starts as the identity:
        # the network begins at the baseline and learns the residual, and can learn to lean on it less
        base = keras.Input(shape=(steps,), name="baseline")  # [batch, steps]
        inputs.append(base)
        skip = keras.layers.Dense(steps, use_bias=False, kernel_initializer="identity", name="baseline_skip")(base)
        output = keras.layers.Add()([output, skip])  # [batch, steps]
    model = keras.Model(inputs=inputs, outputs=output, name=f"saleslens_{config.model_type}")
    loss = {"mae": "mean_absolute_error", "mse": "mean_squared_error", "huber": keras.losses.Huber()}[config.loss]
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate), loss=loss,
                  **compile_options(model))
    return model


# TensorFlow's compile settings, measured with bench/backends.py (bench/RESULTS.md, "Backends"): 32 training steps
# per call into TensorFlow fit SalesLens' networks in 0.85-0.87x the wall time of Keras' defaults (a little more CPU
# time: better use of both cores). XLA stays at Keras' default (off on a CPU, on for GPU models without cuDNN layers):
# on a CPU its compilation took longer than it saved (1.04-1.17x the wall time). JAX always compiles with XLA.
TF_OPTIONS: dict[str, Any] = {"steps_per_execution": 32}


def compile_options(model: keras.Model) -> dict[str, Any]:
    """Backend-specific ``compile`` arguments. On a GPU, TensorFlow's recurrent layers run cuDNN kernels, which XLA
    cannot compile: those models keep ``jit_compile`` off there (Keras would otherwise switch it off with a warning)."""
    if backend_name() != "tensorflow":
        return {}
    options = dict(TF_OPTIONS)
    if options.get("jit_compile"):
        options["jit_compile"] = all(getattr(layer, "supports_jit", True) for layer in model.layers)
    return options


class TrainingMonitor(keras.callbacks.Callback):
    """Progress, cancellation, divergence and early stopping in one callback.

    Each epoch end becomes a ``ProgressEvent("epoch", epochs done, total_epochs, logs)`` for ``progress``. Keeps
    the weights of the best epoch (by ``monitor``) and restores them when training ends, whether it ended
    normally, by patience, or because ``progress.stop`` was set (checked after every batch).
    """

    def __init__(self, total_epochs: int, monitor: str, patience: int, progress: ProgressSink | None = None,
                 validation: tuple[list[Any], Any] | None = None, loss: str = "mae") -> None:
        super().__init__()
        self.validation = validation
        self.loss = loss
        self.total_epochs = total_epochs
        self.monitor = monitor
        self.patience = patience
        self.progress = as_progress(progress)
        self.history: dict[str, list[float]] = {}
        self.best_value = math.inf
        self.best_epoch = -1
        self.best_weights: list[Any] | None = None
        self.wait = 0
        self.epochs_run = 0
        self.diverged = False
        self.cancelled = False

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.progress.stopped:
            self.cancelled = True
            self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = {k: float(v) for k, v in (logs or {}).items()}
        if self.validation is not None:
            logs["val_loss"] = numpy_loss(self.loss, self.validation[1], predict(self.model, self.validation[0]))
        self.epochs_run = epoch + 1
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        value = logs.get(self.monitor, logs.get("loss", math.nan))
        if not math.isfinite(logs.get("loss", math.nan)) or not math.isfinite(value):
            self.diverged = True
            self.model.stop_training = True
            return
        if value < self.best_value:
            self.best_value, self.best_epoch, self.wait = value, epoch, 0
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.patience and self.wait >= self.patience:
                self.model.stop_training = True
        self.progress.report("epoch", epoch + 1, self.total_epochs, **logs)
        if self.progress.stopped:
            self.cancelled = True
            self.model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)


def train_network(model: keras.Model, inputs: list[Any], target: Any, val_inputs: list[Any] | None,
                  val_target: Any | None, config: ForecastConfig,
                  progress: ProgressSink | None = None) -> TrainingMonitor:
    """Fit ``model`` in place; returns the monitor (history, epochs run, divergence, cancellation)."""
    import numpy as np

    has_val = val_inputs is not None and len(val_target) > 0
    # Validation loss is computed by the monitor through ``predict`` (one compiled shape shared with forecasting)
    # rather than Keras' validation_data, which compiles a separate evaluation step (~2 s here).
    monitor = TrainingMonitor(config.epochs, "val_loss" if has_val else "loss", config.patience, progress,
                              (val_inputs, val_target) if has_val else None, config.loss)
    if monitor.progress.stopped:
        monitor.cancelled = True
        return monitor
    # Pad the training set to whole batches with randomly repeated windows: a smaller last batch would trigger a
    # second compilation of the training step (~4 s on this CPU) every fit.
    n = int(len(target))
    batch = min(config.batch_size, n)
    extra = (-n) % batch
    if extra:
        pick = np.random.default_rng(config.seed).choice(n, size=extra, replace=extra > n)
        inputs = [np.concatenate([a, a[pick]]) for a in inputs]
        target = np.concatenate([target, target[pick]])
    callbacks: list[Any] = [monitor]
    if config.lr_schedule == "cosine":  # from learning_rate down to 5% of it over the configured epochs
        total = max(config.epochs - 1, 1)
        callbacks.insert(0, keras.callbacks.LearningRateScheduler(
            lambda epoch, _lr: config.learning_rate * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * epoch / total)))))
    model.fit(inputs, target, batch_size=batch, epochs=config.epochs, verbose=0, shuffle=True, callbacks=callbacks)
    return monitor


def numpy_loss(kind: str, target: Any, prediction: Any) -> float:
    """The training loss computed in NumPy (mean over windows and steps)."""
    import numpy as np

    err = np.asarray(prediction, dtype=np.float64) - np.asarray(target, dtype=np.float64)
    if kind == "mse":
        return float(np.mean(err**2))
    if kind == "huber":
        a = np.abs(err)
        return float(np.mean(np.where(a <= 1.0, 0.5 * err**2, a - 0.5)))
    return float(np.mean(np.abs(err)))


def predict(model: keras.Model, inputs: list[Any]) -> Any:
    """Forward pass over any number of windows: [n, steps] as numpy.

    Inputs are padded to whole chunks of PREDICT_CHUNK rows so every call has the same shape and the backend
    compiles the forward pass once per model (each new batch shape costs ~1 s of XLA compilation on this CPU).
    """
    import numpy as np

    n = int(inputs[0].shape[0])
    chunks = max(1, -(-n // PREDICT_CHUNK))
    padded = [np.concatenate([a, np.zeros((chunks * PREDICT_CHUNK - n, *a.shape[1:]), a.dtype)]) for a in inputs]
    out = [np.asarray(model.predict_on_batch([a[i * PREDICT_CHUNK:(i + 1) * PREDICT_CHUNK] for a in padded]))
           for i in range(chunks)]
    return np.concatenate(out)[:n]


def versions() -> dict[str, str]:
    out = {"keras": keras.__version__, "backend": keras.backend.backend()}
    if out["backend"] == "jax":
        import jax

        out["jax"] = jax.__version__
    elif out["backend"] == "tensorflow":
        import tensorflow as tf

        out["tensorflow"] = tf.__version__
    return out

"""Next-purchase model: a small GRU over each customer's purchases in time order (GRU4Rec style), in Keras.

Keras is imported inside the functions that train and predict, so importing this module stays cheap.
"""

from __future__ import annotations

import threading

import numpy as np

from ml.progress import Progress
from ml.recommend.base import Recommender
from ml.recommend.interactions import Interactions

# Hyperparameters
WINDOW = 10  # purchases of history the network reads
EMBEDDING = 32
UNITS = 64
EPOCHS = 5
BATCH = 256
_rebuild_lock = threading.Lock()
MAX_EXAMPLES = 30_000  # most recent (history -> next purchase) examples kept, so training stays small and fast


def make_examples(sequences: list[np.ndarray], window: int, max_examples: int) -> tuple[np.ndarray, np.ndarray]:
    """(history [examples, window] of product index + 1, 0-padded on the left; next product index [examples])."""
    histories, targets, ages = [], [], []
    for seq in sequences:
        for t in range(1, len(seq)):
            history = seq[max(0, t - window) : t] + 1
            padded = np.zeros(window, dtype=np.int32)
            padded[window - len(history) :] = history
            histories.append(padded)
            targets.append(seq[t])
            ages.append(len(seq) - t)
    if not histories:
        return np.zeros((0, window), dtype=np.int32), np.zeros(0, dtype=np.int32)
    x, y, age = np.stack(histories), np.asarray(targets, dtype=np.int32), np.asarray(ages)
    if len(x) > max_examples:
        keep = np.sort(np.argsort(age, kind="stable")[:max_examples])  # the latest purchases of every customer first
        x, y = x[keep], y[keep]
    return x, y


def last_window(sequence: np.ndarray, window: int) -> np.ndarray:
    history = sequence[-window:] + 1
    padded = np.zeros(window, dtype=np.int32)
    padded[window - len(history) :] = history
    return padded


class GRURecommender(Recommender):
    """Predicts the next purchase from the last ``window`` purchases: Embedding -> GRU -> softmax over products."""

    name = "gru"

    def __init__(self, window: int = WINDOW, embedding: int = EMBEDDING, units: int = UNITS, epochs: int = EPOCHS,
                 batch_size: int = BATCH, learning_rate: float = 0.005, max_examples: int = MAX_EXAMPLES, seed: int = 0) -> None:
        self.window = window
        self.embedding = embedding
        self.units = units
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.max_examples = max_examples
        self.seed = seed

    def _build(self, n_products: int):
        from ml.keras_runtime import load_keras

        keras = load_keras()

        inputs = keras.Input(shape=(self.window,), dtype="int32")  # [batch, window] product index + 1, 0 = padding
        x = keras.layers.Embedding(n_products + 1, self.embedding, mask_zero=True)(inputs)  # [batch, window, emb]
        x = keras.layers.GRU(self.units)(x)  # [batch, units]
        outputs = keras.layers.Dense(n_products)(x)  # [batch, products] logits
        model = keras.Model(inputs, outputs)
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return model

    def _fit(self, interactions: Interactions, progress: Progress) -> None:
        from ml.keras_runtime import load_keras, set_random_seed

        keras = load_keras()

        set_random_seed(self.seed)  # keras.utils.set_random_seed would import TensorFlow into a JAX process
        x, y = make_examples(interactions.sequences, self.window, self.max_examples)
        self.model_ = self._build(interactions.n_products)
        self.history_: list[float] = []
        if len(x) == 0:
            return
        epochs = self.epochs

        class Report(keras.callbacks.Callback):
            def on_epoch_end(inner, epoch, logs=None):  # noqa: N805 - keras callback signature
                self.history_.append(float((logs or {}).get("loss", np.nan)))
                progress.report(self.name, epoch + 1, epochs, loss=self.history_[-1])

        self.model_.fit(x, y, epochs=epochs, batch_size=self.batch_size, shuffle=True, verbose=0, callbacks=[Report()])

    def __getstate__(self) -> dict:
        """Pickled as weights, not as a Keras model (a worker process sends the fitted recommender back to the
        server); the model is rebuilt from them on first use."""
        state = dict(self.__dict__)
        model = state.pop("model_", None)
        if model is not None:
            state["_weights"] = [np.asarray(w) for w in model.get_weights()]
        return state

    def __getattr__(self, name: str):
        if name == "model_" and "_weights" in self.__dict__:
            with _rebuild_lock:
                if "model_" not in self.__dict__:
                    model = self._build(self.interactions_.n_products)
                    model.set_weights(self.__dict__["_weights"])
                    self.__dict__["model_"] = model
                    del self.__dict__["_weights"]
            return self.__dict__["model_"]
        raise AttributeError(name)

    def _score(self, rows: np.ndarray) -> np.ndarray:
        sequences = self.interactions_.sequences
        x = np.stack([last_window(sequences[r], self.window) for r in rows])
        n = len(x)
        pad = (-n) % 256  # one predict shape: fewer XLA compilations
        if pad:
            x = np.concatenate([x, np.zeros((pad, self.window), dtype=np.int32)])
        logits = np.asarray(self.model_.predict(x, batch_size=256, verbose=0))[:n]
        return logits

    def _item_scores(self, product_index: int) -> np.ndarray:
        weights = np.asarray(self.model_.layers[1].get_weights()[0])[1:]  # [products, emb] input embeddings
        norms = np.linalg.norm(weights, axis=1)
        norms[norms == 0] = 1.0
        return (weights @ weights[product_index]) / norms / norms[product_index]

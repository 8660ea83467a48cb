"""Typed accessors of the app-wide and Data page state (keys defined in components.state)."""

from __future__ import annotations

from components.state import (
    CURRENCY,
    DATA_ERROR,
    DATASET_FILES,
    LANGUAGE,
    SAMPLE_OFFERED,
    UPLOAD_SIGNATURE,
)
from components.state.slot import Slot
from ml.messages import Message

language: Slot[str] = Slot(LANGUAGE)
currency_code: Slot[str] = Slot(CURRENCY)
dataset_files: Slot[list[tuple[str, bytes]]] = Slot(DATASET_FILES)  # (file name, bytes) behind the dataset
upload_signature: Slot[tuple] = Slot(UPLOAD_SIGNATURE)
data_error: Slot[Message] = Slot(DATA_ERROR)
sample_offered: Slot[bool] = Slot(SAMPLE_OFFERED)

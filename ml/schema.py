"""The canonical transaction schema every SalesLens module speaks, and the typed error the engine raises.

Uploaded files are mapped onto these column names once, at ingestion; everything downstream (Explore,
forecasting, recommendation, pricing) reads only canonical names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ml.messages import Message


class Col(StrEnum):
    """Canonical column names of a cleaned transactions frame."""

    DATE = "date"
    ORDER_ID = "order_id"
    PRODUCT_ID = "product_id"
    PRODUCT_NAME = "product_name"
    DESCRIPTION = "description"
    CATEGORY = "category"
    CUSTOMER_ID = "customer_id"
    QUANTITY = "quantity"
    UNIT_PRICE = "unit_price"
    REVENUE = "revenue"
    UNIT_COST = "unit_cost"
    REGION = "region"
    PROMO = "promo"


CANONICAL_COLUMNS: tuple[str, ...] = tuple(c.value for c in Col)

# Columns whose values are numbers once cleaned.
NUMERIC_COLUMNS: frozenset[str] = frozenset({Col.QUANTITY, Col.UNIT_PRICE, Col.REVENUE, Col.UNIT_COST})
# Columns kept as text (identifiers are text even when they look numeric: "00123" must stay "00123").
TEXT_COLUMNS: frozenset[str] = frozenset(
    {Col.ORDER_ID, Col.PRODUCT_ID, Col.PRODUCT_NAME, Col.DESCRIPTION, Col.CATEGORY, Col.CUSTOMER_ID, Col.REGION}
)

# A dataset is usable when it has a date and at least one measure of volume or value.
REQUIRED_COLUMNS: tuple[str, ...] = (Col.DATE,)
MEASURE_COLUMNS: tuple[str, ...] = (Col.QUANTITY, Col.REVENUE)


@dataclass
class ColumnMapping:
    """Canonical column name -> the source column as written in the file's header."""

    columns: dict[str, str] = field(default_factory=dict)

    def source_for(self, canonical: str) -> str | None:
        return self.columns.get(canonical)

    def has(self, canonical: str) -> bool:
        return canonical in self.columns

    def to_dict(self) -> dict[str, str]:
        return dict(self.columns)

    @classmethod
    def from_dict(cls, mapping: dict[str, str]) -> ColumnMapping:
        return cls({k: v for k, v in mapping.items() if v})


class SalesLensError(Exception):
    """An error written for the analyst: it carries a ``Message`` (a catalogue id plus its parameters).

    Raised as ``DataError("ingest.error.empty_file", name=...)`` or ``DataError(Message(...))``. The UI and the CLI render
    ``err.message`` in the user's language; ``str(err)`` gives the English text so logs and tracebacks stay readable.
    """

    def __init__(self, message_id: str | Message, /, **params: object) -> None:
        self.message = message_id if isinstance(message_id, Message) else Message(message_id, params)
        super().__init__(self.message.id)

    def __reduce__(self) -> tuple:  # pickles through the Message (errors cross the worker pipe)
        return type(self), (self.message,)

    @property
    def message_id(self) -> str:
        return self.message.id

    @property
    def params(self) -> Mapping[str, Any]:
        return self.message.params

    def __str__(self) -> str:  # English rendering for logs
        return self.message.render("en")


class DataError(SalesLensError):
    """The input data cannot be used as it is (unreadable, too large, missing columns, ...)."""


class ConfigError(SalesLensError):
    """A setting the user chose cannot work with this data (window longer than history, ...)."""

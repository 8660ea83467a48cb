"""What the analyst chose about cleaning (returns, date order, duplicates, encoding, non-products), with its JSON
codec: the workspace stores it beside each saved dataset."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ReturnsPolicy(StrEnum):
    """What to do with return lines (negative quantities) and cancellations."""

    KEEP = "keep"  # keep them with their sign: totals are net of returns
    EXCLUDE = "exclude"  # drop them: totals are gross sales
    NET = "net"  # offset each return against the same customer's earlier purchases of the product


@dataclass
class CleaningOptions:
    returns: ReturnsPolicy = ReturnsPolicy.KEEP
    day_first: bool | None = None  # None: detect; asked of the user when the data cannot tell
    drop_duplicates: bool = True
    encoding: str | None = None  # None: detect
    keep_non_products: bool = False  # postage, fees, adjustments, write-offs: out of the data unless asked for

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data, as the workspace writes it in a dataset's ``meta.json``."""
        return {"returns": str(self.returns), "day_first": self.day_first,
                "drop_duplicates": bool(self.drop_duplicates), "encoding": self.encoding,
                "keep_non_products": bool(self.keep_non_products)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CleaningOptions:
        """The options ``to_dict`` wrote; a missing key takes its default (older files lack the newer options)."""
        return cls(returns=ReturnsPolicy(data.get("returns", "keep")), day_first=data.get("day_first"),
                   drop_duplicates=bool(data.get("drop_duplicates", True)), encoding=data.get("encoding"),
                   keep_non_products=bool(data.get("keep_non_products", False)))

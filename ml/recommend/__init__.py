"""Recommendations engine (being built)."""

from ml.recommend.basket import co_purchase_pairs

__all__ = ["co_purchase_pairs"]
MESSAGE_FAMILIES: dict[str, list[str]] = {}

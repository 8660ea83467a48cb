"""Shared data for the pricing tests: generated shops with planted elasticities, and hand-made panels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data.generate import generate
from ml.dataset import Dataset, load_dataset


def generated_dataset(seed: int, **kwargs) -> tuple[Dataset, dict[str, float]]:
    """A generated shop loaded through the real ingestion, and its planted elasticity per product."""
    frame, truth = generate(seed=seed, **kwargs)
    ds = load_dataset([(f"shop_{seed}.csv", frame.to_csv(index=False).encode("utf-8"))])
    return ds, {p["id"]: p["elasticity"] for p in truth["products"]}


@pytest.fixture(scope="session")
def shop() -> tuple[Dataset, dict[str, float]]:
    """Two years, 20 products, half the sample's volume (~37k lines)."""
    return generated_dataset(0, n_products=20, volume=0.5, n_customers=400)


def constant_elasticity_lines(elasticity: float, days: int = 365, base: float = 200.0, seed: int = 0,
                              prices: tuple[float, ...] = (8.0, 9.0, 10.0, 11.0, 12.0), product: str = "X",
                              noise: float = 0.1, promo_every: int = 0, cost: float | None = 4.0) -> pd.DataFrame:
    """Canonical transaction lines of one product whose daily units are base·(p/10)^ε·lognormal noise, with the
    price changing every 23 days through ``prices`` (one line per day carries the day's units)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    price = np.asarray(prices)[(np.arange(days) // 23) % len(prices)]
    promo = np.zeros(days, dtype=bool)
    if promo_every:
        promo[::promo_every] = True
    price = np.where(promo, price * 0.8, price)
    units = np.maximum(1, np.round(base * (price / 10.0) ** elasticity * rng.lognormal(0, noise, days)))
    frame = pd.DataFrame({
        "date": dates, "product_id": product, "product_name": f"Product {product}", "quantity": units.astype(float),
        "unit_price": price, "revenue": units * price, "promo": promo,
    })
    if cost is not None:
        frame["unit_cost"] = cost
    return frame

"""Shared data for the recommendation tests: small generated shops with planted segments and complement pairs."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from data.generate import generate
from ml.dataset import load_dataset
from ml.schema import Col


def canonical(frame: pd.DataFrame, name: str = "generated.csv"):
    """A generated frame (CSV column names) as a loaded Dataset, through the same path as an upload."""
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return load_dataset([(name, buf.getvalue().encode())])


@pytest.fixture(scope="session")
def shop():
    """Six months, 400 customers: (canonical frame, truth)."""
    frame, truth = generate(seed=11, start="2024-01-01", end="2024-06-30", n_customers=400)
    return canonical(frame).frame, truth


@pytest.fixture(scope="session")
def other_shops():
    """Two more shops like ``shop`` (other generator seeds), for checks that assert on the median of three."""
    out = []
    for seed in (1, 2):
        frame, truth = generate(seed=seed, start="2024-01-01", end="2024-06-30", n_customers=400)
        out.append((canonical(frame).frame, truth))
    return out


@pytest.fixture(scope="session")
def small_shop():
    """Three months, 150 customers: fast enough to fit every algorithm in the shared suite."""
    frame, truth = generate(seed=3, start="2024-01-01", end="2024-03-31", n_customers=150, volume=0.5)
    return canonical(frame).frame, truth


UNSOLD = {"id": "P900", "name": "Dark Roast Espresso Coffee Beans 1kg", "category": "Coffee",
          "description": "Dark roast arabica coffee beans for espresso with chocolate notes. Freshly roasted coffee."}


def unsold_catalogue() -> pd.DataFrame:
    """A product in the catalogue that nobody bought yet."""
    return pd.DataFrame({Col.PRODUCT_ID: [UNSOLD["id"]], Col.PRODUCT_NAME: [UNSOLD["name"]], Col.CATEGORY: [UNSOLD["category"]],
                         Col.DESCRIPTION: [UNSOLD["description"]]})


def tiny_frame(rows: list[tuple]) -> pd.DataFrame:
    """Canonical frame from (date, order, customer or None, product, quantity) tuples."""
    frame = pd.DataFrame(rows, columns=[Col.DATE, Col.ORDER_ID, Col.CUSTOMER_ID, Col.PRODUCT_ID, Col.QUANTITY])
    frame[Col.DATE] = pd.to_datetime(frame[Col.DATE])
    frame[Col.CUSTOMER_ID] = frame[Col.CUSTOMER_ID].astype("string")
    frame[Col.QUANTITY] = frame[Col.QUANTITY].astype(float)
    return frame

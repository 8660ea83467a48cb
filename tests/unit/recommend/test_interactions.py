"""The interaction matrix: weightings, returns, guests, time decay, cold products."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from ml.recommend.interactions import build_interactions
from ml.schema import Col, ConfigError, DataError
from tests.unit.recommend.conftest import tiny_frame, unsold_catalogue

ROWS = [
    ("2024-01-01", "O1", "c1", "A", 1), ("2024-01-02", "O2", "c1", "A", 3), ("2024-01-03", "O3", "c1", "A", 1),
    ("2024-01-01", "O1", "c1", "B", 1),
    ("2024-01-05", "O4", "c2", "B", 2), ("2024-01-09", "O4-R", "c2", "B", -2),  # returned in full
    ("2024-01-05", "O4", "c2", "C", 1),
    ("2024-01-06", "G1", None, "D", 1), ("2024-01-07", "G2", None, "D", 1), ("2024-01-07", "G2", None, "A", 1),
]


def value(it, customer, product):
    return it.matrix[it.customer_index(customer), it.product_index(product)]


def test_weightings_count_purchases_not_units():
    frame = tiny_frame(ROWS)
    binary, count, log = (build_interactions(frame, w) for w in ("binary", "count", "log"))
    assert sp.isspmatrix_csr(binary.matrix) or isinstance(binary.matrix, sp.csr_matrix)
    assert value(binary, "c1", "A") == 1 and value(count, "c1", "A") == 3
    assert value(log, "c1", "A") == pytest.approx(np.log1p(3))
    assert value(count, "c1", "B") == 1


def test_returns_netted_guests_only_in_popularity():
    it = build_interactions(tiny_frame(ROWS))
    assert value(it, "c2", "B") == 0  # returned in full
    assert value(it, "c2", "C") == 1
    assert list(it.customer_ids) == ["c1", "c2"]  # guests are not rows
    d = it.product_index("D")
    assert it.matrix[:, d].nnz == 0 and it.popularity[d] == 2  # two guest orders bought D
    assert it.popularity[it.product_index("A")] == 2  # c1 once (distinct buyers) + one guest


def test_time_decay_halves_per_half_life():
    frame = tiny_frame([("2024-01-01", "O1", "c1", "A", 1), ("2024-01-11", "O2", "c2", "B", 1)])
    it = build_interactions(frame, "binary", half_life_days=10)
    assert value(it, "c1", "A") == pytest.approx(0.5, rel=1e-4)
    assert value(it, "c2", "B") == pytest.approx(1.0)


def test_sequences_in_time_order_and_catalogue_products_without_sales():
    it = build_interactions(tiny_frame(ROWS), catalogue=unsold_catalogue())
    names = [it.product_ids[i] for i in it.sequences[it.customer_index("c1")]]
    assert names == ["A", "B", "A", "A"]
    assert it.product_index("P900") is not None and it.popularity[it.product_index("P900")] == 0
    assert it.customer_index("nobody") is None


def test_bad_input_messages():
    frame = tiny_frame(ROWS)
    with pytest.raises(ConfigError):
        build_interactions(frame, "squared")
    with pytest.raises(DataError) as err:
        build_interactions(frame.drop(columns=[Col.CUSTOMER_ID]))
    assert err.value.message_id == "recommend.error.needs_customers"
    with pytest.raises(DataError) as err:
        build_interactions(frame[frame[Col.CUSTOMER_ID].isna()])
    assert err.value.message_id == "recommend.error.no_customer_purchases"

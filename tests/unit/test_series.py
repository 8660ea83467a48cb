"""Transactions -> series: the fast daily x product totals agree with a plain group-by."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.schema import Col
from ml.series import daily_product_totals


def _transactions(seed: int, n: int = 5000, with_nan: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    products = [f"P{i:03d}" for i in range(37)]
    frame = pd.DataFrame(
        {
            Col.DATE: pd.Timestamp("2024-02-27") + pd.to_timedelta(rng.integers(0, 90 * 86400, n), unit="s"),
            Col.PRODUCT_ID: pd.Categorical(rng.choice(products[:30], n), categories=products),  # 7 unused categories
            Col.QUANTITY: rng.integers(-2, 9, n).astype(float),
            Col.REVENUE: rng.gamma(2.0, 10.0, n),
        }
    )
    if with_nan:
        frame.loc[rng.random(n) < 0.05, Col.REVENUE] = np.nan
    return frame


def _reference(frame: pd.DataFrame) -> pd.DataFrame:
    day = frame[Col.DATE].dt.floor("D").rename(Col.DATE)
    product = frame[Col.PRODUCT_ID].astype(str)
    out = frame[[Col.QUANTITY, Col.REVENUE]].groupby([day, product]).sum().reset_index()
    return out.sort_values([Col.DATE, Col.PRODUCT_ID], ignore_index=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dense_totals_match_a_group_by(seed):
    frame = _transactions(seed)
    got = daily_product_totals(frame)
    got[Col.PRODUCT_ID] = got[Col.PRODUCT_ID].astype(str)
    got = got.sort_values([Col.DATE, Col.PRODUCT_ID], ignore_index=True)
    expected = _reference(frame)
    assert len(got) == len(expected) < len(frame)  # only the pairs that have rows
    pd.testing.assert_frame_equal(got[expected.columns], expected, check_dtype=False)
    assert got[Col.QUANTITY].sum() == pytest.approx(frame[Col.QUANTITY].sum())


def test_text_products_take_the_group_by_path_with_the_same_totals():
    frame = _transactions(3)
    text = frame.assign(**{Col.PRODUCT_ID: frame[Col.PRODUCT_ID].astype(str)})
    dense = daily_product_totals(frame)
    plain = daily_product_totals(text)
    assert len(dense) == len(plain)
    assert dense[Col.REVENUE].sum() == pytest.approx(plain[Col.REVENUE].sum())


@pytest.mark.parametrize("block_cells", [1, 37 * 5, 10_000])
def test_frames_in_date_order_are_summed_in_blocks_of_days_with_the_same_totals(monkeypatch, block_cells):
    from ml import series

    frame = _transactions(4).sort_values(Col.DATE, ignore_index=True)  # as a Dataset's frame is
    monkeypatch.setattr(series, "_BLOCK_CELLS", block_cells)  # 1 and 185 cells: one and five days per block
    got = daily_product_totals(frame)
    assert got[Col.DATE].is_monotonic_increasing
    got[Col.PRODUCT_ID] = got[Col.PRODUCT_ID].astype(str)
    got = got.sort_values([Col.DATE, Col.PRODUCT_ID], ignore_index=True)
    pd.testing.assert_frame_equal(got[[Col.DATE, Col.PRODUCT_ID, Col.QUANTITY, Col.REVENUE]], _reference(frame),
                                  check_dtype=False)

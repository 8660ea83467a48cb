"""The ingest's fast paths (issue 17) give what the general paths give: the duplicate hash's paired keys and bitmap
prefilter, non-product statistics without copies, daily totals by integer day numbers. Each fast path is checked against its general path (forced) or a plain reference,
on planted plain and messy data, and each test also checks which path the data took."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ml import series
from ml.dataset import duplicates, load_dataset
from ml.dataset.duplicates import _BITMAP_SIZE, _members, find_repeats
from ml.products import find_non_products
from ml.schema import Col
from ml.series import _day_numbers, daily_product_totals

# ------------------------------------------------------------------------------------------------ whole loads


def _shop_csv(rows: int, seed: int, messy: bool) -> bytes:
    """A shop export with planted repeats, returns and guests; ``messy``: ``;`` and decimal commas, padded and
    Unicode-spaced ids, blank customers, a quoted field with the delimiter inside."""
    rng = np.random.default_rng(seed)
    sep, point = (";", ",") if messy else (",", ".")
    lines = [sep.join(["Order Date", "Order ID", "SKU", "Customer ID", "Quantity", "Unit Price", "Region"])]
    for i in range(rows):
        day = f"2024-{1 + i * 12 // rows:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00"
        order = f"{'C' if i % 41 == 0 else ''}{100000 + i // 2}"
        customer = "" if i % 13 == 0 else f"K{rng.integers(1, 300):04d}"
        if messy and i % 17 == 0:
            customer = f" {customer} " if i % 2 else f"{customer}\u00a0"
        if messy and i % 23 == 0:
            order = f"  {order}"
        qty = -1 if i % 41 == 0 else int(rng.integers(1, 5))
        price = f"{rng.integers(1, 90)}{point}{rng.integers(0, 100):02d}"
        region = '"North; East"' if messy and i % 31 == 0 else ["North", "South", "West"][i % 3]
        lines.append(sep.join([day, order, f"P{rng.integers(1, 40):03d}", customer, str(qty), price, region]))
        if i % 97 == 5:
            lines.append(lines[-1])  # an exact repeat
    return ("\n".join(lines) + "\n").encode("cp1252" if messy else "utf-8")


@pytest.mark.parametrize("messy", [False, True])
def test_loads_and_daily_totals_are_the_same_with_the_fast_paths_and_without(monkeypatch, messy):
    """The whole ingest and the daily totals, once as shipped and once with the general paths forced: an exact
    membership test instead of the bitmap prefilter, the cast to days instead of integer day numbers."""
    data = _shop_csv(3000, seed=11, messy=messy)
    calls = {"members": 0, "days": 0}
    real_members, real_days = duplicates._members, series._day_numbers

    def members(hashes, wanted):
        calls["members"] += 1
        return real_members(hashes, wanted)

    def days(dates):
        calls["days"] += 1
        return real_days(dates)

    monkeypatch.setattr(duplicates, "_members", members)
    monkeypatch.setattr(series, "_day_numbers", days)
    fast = load_dataset([("shop.csv", data)])
    fast_daily = daily_product_totals(fast.frame)
    assert calls == {"members": 1, "days": 1}  # both fast paths were taken
    monkeypatch.setattr(duplicates, "_members", lambda hashes, wanted: np.flatnonzero(np.isin(hashes, wanted)))
    monkeypatch.setattr(series, "_day_numbers", lambda dates: dates.astype("datetime64[D]").view(np.int64))
    general = load_dataset([("shop.csv", data)])
    pd.testing.assert_frame_equal(fast.frame, general.frame, check_exact=True)
    assert fast.report.to_json_dict() == general.report.to_json_dict()
    assert fast.fingerprint == general.fingerprint
    assert fast.control_totals() == general.control_totals()
    pd.testing.assert_frame_equal(fast_daily, daily_product_totals(general.frame), check_exact=True)
    problems = {p.reason: p.count for p in fast.report.problems}
    assert problems["duplicates"] == 31  # the planted exact repeats (one after every 97th line from the 5th)
    assert {"returns", "missing_customer"} <= set(problems)
    if messy:
        assert fast.report.number_style == ","


# ------------------------------------------------------------------------------------------------ duplicates


def test_members_is_exact_where_low_bits_collide():
    rng = np.random.default_rng(5)
    hashes = rng.integers(0, 2**63, 300_000, dtype=np.int64).view(np.uint64)
    wanted = np.unique(hashes[rng.choice(len(hashes), 40, replace=False)])
    # values sharing the wanted values' low bits but not equal to them: the bitmap lets them through, the check not
    decoys = (wanted[:20] + np.uint64(_BITMAP_SIZE)) | np.uint64(1 << 62)
    hashes[:20] = decoys
    got = _members(hashes, wanted)
    np.testing.assert_array_equal(got, np.flatnonzero(np.isin(hashes, wanted)))
    assert not np.isin(np.arange(20), got).any()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_repeats_over_many_key_kinds_are_pandas_duplicates(seed):
    """Three category columns and three text columns (an odd number of 32-bit keys: one goes in alone), NaN and
    -0.0 in the numbers, nulls in the texts, a flag column; planted exact repeats and near-repeats."""
    rng = np.random.default_rng(seed)
    n = 20_000
    cols = {
        "date": rng.integers(0, 500, n),
        "q": rng.choice([1.0, 2.0, np.nan, 0.0, -0.0], n),
        "cat1": rng.choice(np.array(["a", "b", None], object), n), "cat2": rng.choice(["x", "y"], n).astype(object),
        "cat3": rng.choice(["u", "v"], n).astype(object), "t1": rng.choice(np.array(["o1", "o22", None], object), n),
        "t2": rng.choice(["k", "kk", "q"], n).astype(object), "t3": rng.choice(["m", "n"], n).astype(object),
        "flag": rng.random(n) < 0.5,
    }
    src = rng.choice(n - 400, 400, replace=False)
    for values in cols.values():
        values[n - 400:] = values[src]  # planted exact repeats
    swap = {"k": "q", "q": "k", "kk": "kk"}
    cols["t2"][n - 100:] = [swap[v] for v in cols["t2"][n - 100:]]  # same length, other text: near-repeats
    expected = pd.DataFrame({**cols, "q": cols["q"] + 0.0}).duplicated(keep="first").to_numpy()
    assert 300 < expected.sum() < 2000
    arrays = {c: pc.dictionary_encode(pa.array(list(cols[c]), pa.string())) for c in ("cat1", "cat2", "cat3")}
    arrays |= {c: pa.array(list(cols[c]), pa.string()) for c in ("t1", "t2", "t3")}
    got = find_repeats(np.arange(n), cols["date"], {"q": cols["q"]}, arrays, {"flag": cols["flag"]})
    np.testing.assert_array_equal(got, expected)


def test_an_int64_text_key_hook_still_finds_the_same_repeats():
    """The streamed path hashes texts to int64 keys: those go in one per round, unpaired."""
    rng = np.random.default_rng(9)
    n = 5000
    text = rng.choice(["alpha", "beta", "gamma", "delta"], n)
    day = rng.integers(0, 50, n)
    expected = pd.DataFrame({"d": day, "t": text}).duplicated(keep="first").to_numpy()

    def hashed(arr: pa.Array) -> np.ndarray:
        return pc.fill_null(pc.binary_length(arr), -1).to_numpy(zero_copy_only=False).astype(np.int64) * 7919

    got = find_repeats(np.arange(n), day, {}, {"t": pa.array(text)}, {}, hashed)
    np.testing.assert_array_equal(got, expected)


# ------------------------------------------------------------------------------------------------ non-products


def test_non_products_are_the_same_whether_or_not_a_line_lacks_its_product():
    """Every line with a product takes the copy-free branch; one line without a product the general one: the
    other lines' answer must not change."""
    rng = np.random.default_rng(4)
    n = 4000
    ids = np.array([f"P{i:02d}" for i in range(30)] + ["POST", "FEE1"])
    product = rng.choice(ids, n)
    product[0] = "POST"  # code 0 is a service code: a line without a product must not take code 0's verdict
    quantity = rng.integers(1, 5, n).astype(float)
    price = rng.uniform(1, 20, n)
    fee = product == "FEE1"
    price[fee] = rng.choice([0.5, 40.0, 300.0], fee.sum())  # a price typed in each time: behaviour
    quantity[product == "P07"] = -1.0  # mostly negative: a discount code
    every = find_non_products(pd.Series(pd.Categorical(product)), None, quantity, price)
    with_gap = find_non_products(pd.Series(pd.Categorical(np.append(product, None))), None,
                                 np.append(quantity, 1.0), np.append(price, 2.0))
    np.testing.assert_array_equal(with_gap.rows[:-1], every.rows)
    assert not with_gap.rows[-1]
    pd.testing.assert_frame_equal(with_gap.codes, every.codes)
    assert set(every.codes["product_id"]) == {"POST", "FEE1", "P07"}


# ------------------------------------------------------------------------------------------------ daily totals


@pytest.mark.parametrize("unit", ["ns", "us", "ms", "s", "m", "h", "D", "7s", "10s"])
def test_day_numbers_equal_the_cast_to_days_in_every_unit(unit):
    moments = np.array(["1969-12-31T23:59:59", "1970-01-01T00:00:00", "1900-03-01T12:00:00", "2024-02-29T23:59:59",
                        "2262-04-11T00:00:00", "1970-01-02T00:00:03"], "datetime64[s]").astype(f"datetime64[{unit}]")
    np.testing.assert_array_equal(_day_numbers(moments), moments.astype("datetime64[D]").view(np.int64))
    with_nat = np.append(moments, np.datetime64("NaT")).astype(f"datetime64[{unit}]")
    np.testing.assert_array_equal(_day_numbers(with_nat), with_nat.astype("datetime64[D]").view(np.int64))


def test_daily_totals_of_microsecond_and_pre_1970_dates_match_a_group_by():
    rng = np.random.default_rng(8)
    n = 3000
    dates = (pd.Timestamp("1969-12-20") + pd.to_timedelta(rng.integers(0, 30 * 86400, n), unit="s")).sort_values()
    frame = pd.DataFrame({
        Col.DATE: dates.to_numpy().astype("datetime64[us]"),
        Col.PRODUCT_ID: pd.Categorical(rng.choice(["A", "B", "C"], n)),
        Col.QUANTITY: rng.integers(1, 5, n).astype(float),
        Col.REVENUE: rng.gamma(2.0, 5.0, n),
    })
    got = daily_product_totals(frame)
    day = frame[Col.DATE].dt.floor("D").rename(Col.DATE)
    expected = frame[[Col.QUANTITY, Col.REVENUE]].groupby([day, frame[Col.PRODUCT_ID]], observed=True).sum()
    expected = expected.reset_index()
    assert got[Col.DATE].dtype == np.dtype("datetime64[ns]")
    assert got[Col.DATE].min() < pd.Timestamp("1970-01-01")
    np.testing.assert_array_equal(got[Col.DATE].to_numpy(), expected[Col.DATE].to_numpy().astype("datetime64[ns]"))
    np.testing.assert_array_equal(got[Col.PRODUCT_ID].astype(str), expected[Col.PRODUCT_ID].astype(str))
    np.testing.assert_allclose(got[Col.QUANTITY], expected[Col.QUANTITY])
    np.testing.assert_allclose(got[Col.REVENUE], expected[Col.REVENUE], rtol=1e-12)

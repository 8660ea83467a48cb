"""Non-product lines, product names and the shop's currency, on hand-made lines with the UCI export's mess."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.currency import detect_currency
from ml.dataset import CleaningOptions, load_dataset
from ml.products import find_non_products, product_label, product_names


def _lines() -> pd.DataFrame:
    rows = []
    for day in range(1, 29):
        date = f"2011-02-{day:02d}"
        rows += [
            (date, f"I{day}a", "22423", "REGENCY CAKESTAND 3 TIER", 2, 12.75, "C1"),
            (date, f"I{day}a", "POST", "POSTAGE", 1, 18.0 + day, "C1"),
            (date, f"I{day}b", "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 6, 2.55, "C2"),
            (date, f"I{day}b", "23099", "FRENCH CARRIAGE LANTERN", 1, 4.95, "C2"),  # "carriage" in a real name
            (date, f"I{day}c", "M", "Manual", 1, [0.5, 30.0, 900.0, 2.0][day % 4], "C3"),
            (date, f"I{day}c", "X9", "MYSTERY ITEM", 1, [0.2, 40.0, 5.0, 600.0][day % 4], "C3"),  # behaviour
        ]
    rows += [("2011-02-10", "I99", "22423", "damaged", -3, 0.0, None),  # a write-off note on a real product
             ("2011-02-11", "I98", "D", "Discount", -1, 12.5, "C1"),
             ("2011-02-12", "I97", "BANK CHARGES", "Bank Charges", 1, 15.0, None)]
    return pd.DataFrame(rows, columns=["InvoiceDate", "InvoiceNo", "StockCode", "Description", "Quantity",
                                       "UnitPrice", "CustomerID"])


def _load(frame: pd.DataFrame, **options) -> object:
    return load_dataset([("shop.csv", frame.to_csv(index=False).encode())], options=CleaningOptions(**options))


def test_non_products_are_dropped_by_code_name_behaviour_and_write_off_note():
    ds = _load(_lines())
    left = set(ds.frame["product_id"].astype(str))
    assert left == {"22423", "85123A", "23099"}, left
    report = {p.reason: p for p in ds.report.problems}
    assert report["non_product"].action == "dropped"
    assert report["non_product"].count == 28 * 3 + 2  # POST, M, X9 daily; D and BANK CHARGES once
    assert report["non_product"].examples[:3] == ["M · Manual: 28", "POST · POSTAGE: 28", "X9 · MYSTERY ITEM: 28"]
    assert report["write_off"].count == 1 and "damaged" in report["write_off"].examples[0]


def test_non_products_are_kept_and_flagged_on_request():
    ds = _load(_lines(), keep_non_products=True)
    assert {"POST", "M", "X9", "D", "BANK CHARGES"} <= set(ds.frame["product_id"].astype(str))
    report = {p.reason: p for p in ds.report.problems}
    assert report["non_product"].action == "flagged" and report["write_off"].action == "flagged"


def test_a_shop_of_ordinary_products_loses_nothing():
    frame = _lines()
    frame = frame.loc[frame["StockCode"].isin(["22423", "85123A", "23099"]) & (frame["Quantity"] > 0)]
    found = find_non_products(frame["StockCode"], frame["Description"], frame["Quantity"].to_numpy(float),
                              frame["UnitPrice"].to_numpy(float))
    assert not found.rows.any() and found.codes.empty


def test_price_behaviour_is_judged_on_the_10th_to_90th_percentile_not_the_extremes():
    # OUTLIER: 20 lines at 10.00, one clearance line at 0.10 and one typo at 900: extremes 9,000x apart, percentiles
    # equal -> a product. X7: prices spread evenly from 0.5 to 900 -> p90/p10 far over 50 -> not a product.
    # FEW: 4 lines just as spread -> too few lines to judge. PLAIN: one price.
    product = ["OUTLIER"] * 22 + ["X7"] * 20 + ["FEW"] * 4 + ["PLAIN"] * 10
    price = [10.0] * 20 + [0.1, 900.0] + list(np.geomspace(0.5, 900.0, 20)) + [0.5, 30.0, 300.0, 900.0] + [3.0] * 10
    found = find_non_products(pd.Series(product), None, np.ones(len(product)), np.array(price))
    assert found.codes[["product_id", "why"]].values.tolist() == [["X7", "price_varies"]]
    assert found.rows.sum() == 20 and found.rows[22:42].all()


def test_product_names_are_the_usual_text_not_the_last_note():
    frame = pd.DataFrame({"product_id": ["A", "A", "A", "B"], "description": ["CAKESTAND", "CAKESTAND", "damaged", "B"]})
    names = product_names(frame)
    assert names["A"] == "CAKESTAND"
    assert product_label("A", names) == "CAKESTAND (A)" and product_label("B", names) == "B"


def test_currency_is_read_from_symbols_or_the_shops_country():
    assert detect_currency(["£12.50", "£3.00", "4.10"]) == "GBP"
    assert detect_currency(["12.5"], ["United Kingdom"] * 9 + ["France"]) == "GBP"
    assert detect_currency(["12.5"], ["United Kingdom", "France", "Germany", "Spain"]) is None
    assert detect_currency(["12.5"]) is None
    ds = _load(_lines().assign(Country="United Kingdom"))
    assert ds.report.currency == "GBP"
    assert np.isfinite(ds.frame["unit_price"]).all()

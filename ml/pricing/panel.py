"""Transactions -> one row per product and period (day or Monday-starting week) with units, average price and promo.

Only sales lines (quantity > 0) with a positive, finite price enter: returns and zero-price lines carry no demand
signal at a price. The period price is revenue / units (the average price paid), and a period is a promo period
when any of its sales lines was on promotion (weekly: the share of its selling days on promotion).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ml.products import product_names
from ml.schema import Col, DataError

PANEL_COLUMNS = ("product_id", "period", "units", "revenue", "price", "promo")


@dataclass
class PricePanel:
    """The per-period panel and what the estimation needs to know about the data around it.

    ``frame``: product_id, period, units, revenue, price, promo, sorted by product then period. ``start``/``end``:
    first and last day of the data. ``invalid_price_lines``: sales lines dropped for a zero, negative or missing
    price. ``products_without_price``: products with sales but never a valid price. ``unit_cost``: product -> last
    recorded unit cost. ``names``: product -> name.
    """

    frame: pd.DataFrame
    freq: str
    start: pd.Timestamp
    end: pd.Timestamp
    invalid_price_lines: int = 0
    products_without_price: list[str] = field(default_factory=list)
    unit_cost: dict[str, float] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    current_price: dict[str, float] = field(default_factory=dict)  # average price of the last regular selling day

    @property
    def products(self) -> list[str]:
        return sorted(set(self.frame["product_id"].unique()) | set(self.products_without_price))

    def product(self, product_id: str) -> pd.DataFrame:
        return self.frame.loc[self.frame["product_id"] == product_id]


def line_prices(frame: pd.DataFrame) -> pd.Series:
    """Each line's unit price: the price column, or revenue / quantity when the data has no price column."""
    if Col.UNIT_PRICE in frame:
        return frame[Col.UNIT_PRICE].astype(float)
    if Col.REVENUE in frame and Col.QUANTITY in frame:
        qty = frame[Col.QUANTITY].astype(float)
        return (frame[Col.REVENUE].astype(float) / qty.where(qty != 0)).abs()
    raise DataError("pricing.error.no_price_column")


def check_pricing_columns(frame: pd.DataFrame) -> None:
    if Col.PRODUCT_ID not in frame:
        raise DataError("pricing.error.no_product_column")
    if Col.QUANTITY not in frame:
        raise DataError("pricing.error.no_quantity_column")
    if Col.UNIT_PRICE not in frame and Col.REVENUE not in frame:
        raise DataError("pricing.error.no_price_column")


def make_price_panel(frame: pd.DataFrame, freq: str = "D") -> PricePanel:
    """Per product and period: units, revenue, price (= revenue / units) and promo (0..1). Weekly panels keep
    complete weeks only."""
    check_pricing_columns(frame)
    if frame.empty:
        raise DataError("pricing.error.no_rows")
    qty = frame[Col.QUANTITY].astype(float).to_numpy()
    price = line_prices(frame).to_numpy()
    sale = qty > 0
    valid = sale & np.isfinite(price) & (price > 0)
    products = frame[Col.PRODUCT_ID].astype(str)
    day = frame[Col.DATE].dt.floor("D")
    data = pd.DataFrame({
        "product_id": products.to_numpy()[valid],
        "period": day.to_numpy()[valid],
        "units": qty[valid],
        "revenue": qty[valid] * price[valid],
        "promo": frame[Col.PROMO].astype(float).fillna(0.0).to_numpy()[valid] if Col.PROMO in frame else 0.0,
    })
    daily = data.groupby(["product_id", "period"], sort=True).agg(
        units=("units", "sum"), revenue=("revenue", "sum"), promo=("promo", "max")
    ).reset_index()
    daily["price"] = daily["revenue"] / daily["units"]
    current = _current_prices(daily)
    if freq == "W":
        daily["period"] = daily["period"] - pd.to_timedelta(daily["period"].dt.day_of_week, unit="D")
        daily = daily.groupby(["product_id", "period"], sort=True).agg(
            units=("units", "sum"), revenue=("revenue", "sum"), promo=("promo", "mean")
        ).reset_index()
        # a week cut by the start or end of the data would look like a week of low demand
        first, last = day.min(), day.max()
        complete = (daily["period"] >= first) & (daily["period"] + pd.Timedelta(days=6) <= last)
        daily = daily.loc[complete]
    elif freq != "D":
        raise DataError("pricing.error.bad_freq", freq=freq)
    daily["price"] = daily["revenue"] / daily["units"]
    panel = daily[list(PANEL_COLUMNS)].reset_index(drop=True)
    sold = set(products[sale].unique())
    priced = set(panel["product_id"].unique())
    return PricePanel(
        frame=panel, freq=freq, start=day.min(), end=day.max(), invalid_price_lines=int((sale & ~valid).sum()),
        products_without_price=sorted(sold - priced), unit_cost=_last_costs(frame), names=_names(frame),
        current_price=current,
    )


def _current_prices(daily: pd.DataFrame) -> dict[str, float]:
    """Per product, the average price of its last selling day without promotion (the last day if all were)."""
    regular = daily.loc[daily["promo"] < 0.5]
    last = regular.groupby("product_id", sort=False).tail(1)
    prices = dict(zip(last["product_id"], last["price"].astype(float), strict=True))
    for row in daily.groupby("product_id", sort=False).tail(1).itertuples(index=False):
        prices.setdefault(row.product_id, float(row.price))
    return {str(k): round(float(v), 4) for k, v in prices.items()}


def _last_costs(frame: pd.DataFrame) -> dict[str, float]:
    if Col.UNIT_COST not in frame:
        return {}
    costs = frame[[Col.PRODUCT_ID, Col.DATE, Col.UNIT_COST]].dropna(subset=[Col.UNIT_COST])
    costs = costs.loc[costs[Col.UNIT_COST] > 0]
    if costs.empty:
        return {}
    last = costs.sort_values(Col.DATE, kind="stable").groupby(Col.PRODUCT_ID, observed=True)[Col.UNIT_COST].last()
    return {str(k): float(v) for k, v in last.items()}


def _names(frame: pd.DataFrame) -> dict[str, str]:
    """Product -> its usual name, or its usual description when the data has no name column (UCI Online Retail);
    the usual one, not the last: a write-off note ("damaged") is not a product's name."""
    return {str(k): str(v) for k, v in product_names(frame).items()}

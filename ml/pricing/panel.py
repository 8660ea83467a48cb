"""Transactions -> one row per product and period (day or Monday-starting week) with units, price and promo.

Only sales lines (quantity > 0) with a positive, finite price enter: returns and zero-price lines carry no demand
signal at a price. A day's price is the price on most of its lines (registered customers' lines first), not
revenue / units: on a wholesaler's data (UCI) a big order at a quantity-tier price, or a guest paying more, would
otherwise move the day's average price with its units and fake a strong elasticity. A week's price is the
units-weighted mean of its days' prices. A period is a promo period when any of its sales lines was on promotion
(weekly: the share of its selling days on promotion).
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
    current_price: dict[str, float] = field(default_factory=dict)  # usual recent list price (``list_prices``)

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


def make_price_panel(frame: pd.DataFrame, freq: str = "D", filters=None) -> PricePanel:
    """Per product and period: units, revenue, price (= revenue / units) and promo (0..1). Weekly panels keep
    complete weeks only. ``filters`` (``ml.series.Filters``) narrow a saved dataset queried in place (a frame comes
    filtered already)."""
    check_pricing_columns(frame)
    if not isinstance(frame, pd.DataFrame):  # a large saved dataset, aggregated in place (ml.pushdown)
        from ml.pushdown.prices import query_price_panel

        return query_price_panel(frame, freq, filters)
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
    guest = frame[Col.CUSTOMER_ID].isna().to_numpy()[valid] if Col.CUSTOMER_ID in frame else None
    day_price = _day_prices(data["product_id"], data["period"], price[valid], guest)
    daily["price"] = day_price.reindex(pd.MultiIndex.from_frame(daily[["product_id", "period"]])).to_numpy()
    daily["value"] = daily["price"] * daily["units"]
    current = list_prices(data["product_id"], data["period"], price[valid], data["promo"], guest)
    sold = set(products[sale].unique())
    return finish_panel(daily, freq, day.min(), day.max(), int((sale & ~valid).sum()), sold, _last_costs(frame),
                        _names(frame), current)


def finish_panel(daily: pd.DataFrame, freq: str, first: pd.Timestamp, last: pd.Timestamp, invalid_lines: int,
                 sold: set[str], unit_cost: dict[str, float], names: dict[str, str],
                 current: dict[str, float], summed: bool = False) -> PricePanel:
    """The panel from per product and day ``units, revenue, promo, price, value`` (value = price x units): kept
    daily, or summed into complete Monday-starting weeks (shared by the frame and the in-place path). ``summed``:
    ``daily`` holds these sums per product and Monday week already, in order (the in-place path sums them in SQL;
    summing a million product-weeks again took pandas 2 s)."""
    if freq == "W":
        if not summed:
            daily["period"] = daily["period"] - pd.to_timedelta(daily["period"].dt.day_of_week, unit="D")
            daily = daily.groupby(["product_id", "period"], sort=True).agg(
                units=("units", "sum"), revenue=("revenue", "sum"), value=("value", "sum"), promo=("promo", "mean")
            ).reset_index()
        # a week cut by the start or end of the data would look like a week of low demand
        complete = (daily["period"] >= first) & (daily["period"] + pd.Timedelta(days=6) <= last)
        daily = daily.loc[complete]
        daily["price"] = daily["value"] / daily["units"]
    elif freq != "D":
        raise DataError("pricing.error.bad_freq", freq=freq)
    panel = daily[list(PANEL_COLUMNS)].reset_index(drop=True)
    priced = set(panel["product_id"].unique())
    return PricePanel(
        frame=panel, freq=freq, start=first, end=last, invalid_price_lines=invalid_lines,
        products_without_price=sorted(sold - priced), unit_cost=unit_cost, names=names, current_price=current,
    )


RECENT_DAYS = 56  # the list price is read from a product's last eight weeks of sales


def _day_prices(products: pd.Series, days: pd.Series, prices: np.ndarray, guest: np.ndarray | None) -> pd.Series:
    """(product, day) -> the price on most of the day's lines, registered customers' lines first; ties: higher."""
    lines = pd.DataFrame({"product_id": np.asarray(products, dtype=object), "period": np.asarray(days),
                          "price": _price_key(np.asarray(prices, dtype=float)),
                          "guest": np.asarray(guest, dtype=bool) if guest is not None else False})
    counts = lines.groupby(["product_id", "period", "guest", "price"], sort=False).size().reset_index(name="n")
    best = counts.sort_values(["guest", "n", "price"], ascending=[True, False, False], kind="stable")
    best = best.drop_duplicates(["product_id", "period"])
    return best.set_index(["product_id", "period"])["price"]


def _price_key(prices: np.ndarray) -> np.ndarray:
    """Prices to the cent (to 1/100 cent under 1: UCI sells some items at 0.001), so 12.7499999 counts as 12.75."""
    return np.where(prices >= 1, np.round(prices, 2), np.round(prices, 4))


def list_prices(products: pd.Series, days: pd.Series, prices: np.ndarray, promo: np.ndarray | float | pd.Series,
                guest: np.ndarray | None = None, recent_days: int = RECENT_DAYS) -> dict[str, float]:
    """Per product, its usual recent list price: the price on the most sales lines over its last ``recent_days``
    of sales, counting lines, not units, so a quantity tier (10.95 for 16 or more) does not outvote the price most
    orders pay (12.75), and leaving out guest lines (no customer id: a higher price) and promotion lines while the
    product has any other. Ties go to the higher price (a tier or a discount is below the list price).

    The average price of the last day, used before, mixed the three: UCI's REGENCY CAKESTAND read 18.18 while its
    list price was 12.75."""
    lines = pd.DataFrame({"product_id": np.asarray(products, dtype=object), "day": np.asarray(days),
                          "price": _price_key(np.asarray(prices, dtype=float))})
    lines["promo"] = np.asarray(promo, dtype=float) >= 0.5 if not np.isscalar(promo) else bool(promo >= 0.5)
    lines["guest"] = np.asarray(guest, dtype=bool) if guest is not None else False
    if lines.empty:
        return {}
    last = lines.groupby("product_id", sort=False)["day"].transform("max")
    lines = lines.loc[lines["day"] > last - pd.Timedelta(days=recent_days)]
    # rank 0: a registered customer at the regular price; 1: promo or guest; 2: both. Each product keeps its best.
    lines = lines.assign(rank=lines["promo"].astype(int) + lines["guest"].astype(int))
    lines = lines.loc[lines["rank"] == lines.groupby("product_id", sort=False)["rank"].transform("min")]
    counts = lines.groupby(["product_id", "price"], sort=False).size().reset_index(name="n")
    best = counts.sort_values(["n", "price"], ascending=[False, False], kind="stable").drop_duplicates("product_id")
    return {str(k): float(v) for k, v in zip(best["product_id"], best["price"], strict=True)}


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

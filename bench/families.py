"""Generated series families with planted structure, for the forecasting battery (bench/battery.py) and the
planted-structure tests (tests/unit/forecast/test_levers.py).

Every generator takes ``(seed, days)`` and returns a long frame [unique_id, ds, y(, price, promo)] at its
frequency. The parameters are drawn from ``numpy.random.default_rng(seed)`` so one seed gives one series, and no
generator was tuned to any forecaster: each is the textbook shape its name says.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

START = "2022-01-03"  # a Monday


def _frame(uid: str, ds: pd.DatetimeIndex, y: np.ndarray, **extra: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"unique_id": uid, "ds": ds, "y": np.asarray(y, dtype=np.float64), **extra})


def _yearly(ds: pd.DatetimeIndex, phase: float) -> np.ndarray:
    return np.cos(2 * np.pi * (ds.day_of_year.to_numpy() - phase) / 365.25)


def multiplicative(seed: int, days: int) -> pd.DataFrame:
    """Clean daily sales: level x weekly pattern x yearly cycle x slight trend, Poisson noise."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range(START, periods=days, freq="D")
    t = np.arange(days)
    weekly = 1 + rng.uniform(0.15, 0.4) * np.sin(2 * np.pi * (np.arange(7) + rng.uniform(0, 7)) / 7)
    level = rng.uniform(40, 150)
    lam = level * weekly[ds.day_of_week] * np.exp(rng.uniform(0.2, 0.4) * _yearly(ds, rng.uniform(0, 365))) \
        * (1 + rng.uniform(0.0, 0.3) * t / 365)
    return _frame(f"mult_{seed}", ds, rng.poisson(lam))


def additive_trend(seed: int, days: int) -> pd.DataFrame:
    """Additive: linear trend + yearly cycle + weekly pattern + Gaussian noise."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range(START, periods=days, freq="D")
    t = np.arange(days)
    level = rng.uniform(200, 400)
    y = level + rng.uniform(0.1, 0.3) * t + rng.uniform(30, 60) * _yearly(ds, rng.uniform(0, 365)) \
        + rng.uniform(10, 25) * np.sin(2 * np.pi * ds.day_of_week.to_numpy() / 7) + rng.normal(0, 10, days)
    return _frame(f"trend_{seed}", ds, y)


def level_shift(seed: int, days: int) -> pd.DataFrame:
    """Weekly pattern, then a permanent level shift (+/-30-60%) somewhere in the last half (before the last 8 weeks)."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range(START, periods=days, freq="D")
    t = np.arange(days)
    weekly = 1 + 0.3 * np.sin(2 * np.pi * (np.arange(7) + rng.uniform(0, 7)) / 7)
    shift_at = int(rng.uniform(0.5, 1.0) * (days - 56))
    factor = np.where(t >= shift_at, rng.choice([-1, 1]) * rng.uniform(0.3, 0.6) + 1, 1.0)
    lam = rng.uniform(50, 120) * weekly[ds.day_of_week] * factor
    return _frame(f"shift_{seed}", ds, rng.poisson(lam))


def promotions(seed: int, days: int) -> pd.DataFrame:
    """Weekly pattern with promotions (about one 3-7 day promo a month, x1.5-2 uplift) and price steps with a
    constant elasticity of -1.5; price and promo columns given."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range(START, periods=days, freq="D")
    weekly = 1 + 0.25 * np.sin(2 * np.pi * (np.arange(7) + rng.uniform(0, 7)) / 7)
    base_price = rng.uniform(5, 20)
    price = np.empty(days)
    i = 0
    while i < days:
        step = int(rng.integers(35, 90))
        price[i:i + step] = round(base_price * rng.uniform(0.85, 1.15), 2)
        i += step
    promo = np.zeros(days)
    i = int(rng.integers(5, 25))
    while i < days:
        length = int(rng.integers(3, 8))
        promo[i:i + length] = 1
        i += length + int(rng.integers(20, 40))
    paid = np.where(promo > 0, price * 0.8, price)
    lam = rng.uniform(30, 80) * weekly[ds.day_of_week] * (paid / base_price) ** -1.5 \
        * np.where(promo > 0, rng.uniform(1.5, 2.0), 1.0) * np.exp(0.15 * _yearly(ds, rng.uniform(0, 365)))
    return _frame(f"promo_{seed}", ds, rng.poisson(lam), price=paid, promo=promo)


def intermittent(seed: int, days: int) -> pd.DataFrame:
    """Sparse demand: a sale on ~15-35% of days (more at weekends), sizes 1 + Poisson(2)."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range(START, periods=days, freq="D")
    p = rng.uniform(0.15, 0.35) * np.where(ds.day_of_week.to_numpy() >= 5, 1.5, 1.0)
    y = (rng.random(days) < p) * (1 + rng.poisson(2.0, days))
    return _frame(f"sparse_{seed}", ds, y)


def weekly_yearly(seed: int, days: int) -> pd.DataFrame:
    """Weekly frequency (W-SUN): yearly cycle x slow trend, Gaussian noise (~5%)."""
    rng = np.random.default_rng(seed)
    weeks = max(days // 7, 60)
    ds = pd.date_range(START, periods=weeks, freq="W-SUN")
    t = np.arange(weeks)
    mean = rng.uniform(500, 2000) * (1 + rng.uniform(0.2, 0.4) * _yearly(ds, rng.uniform(0, 365))) \
        * (1 + rng.uniform(-0.1, 0.2) * t / 52)
    return _frame(f"weekly_{seed}", ds, mean * (1 + rng.normal(0, 0.05, weeks)))


FAMILIES: dict[str, tuple[Callable[[int, int], pd.DataFrame], str]] = {
    "multiplicative": (multiplicative, "D"),
    "additive_trend": (additive_trend, "D"),
    "level_shift": (level_shift, "D"),
    "promotions": (promotions, "D"),
    "intermittent": (intermittent, "D"),
    "weekly_yearly": (weekly_yearly, "W"),
}

"""Calendar features computed from dates alone, so they are known for the look-back window and the days ahead.

Day of week, month and quarter are one-hot; yearly Fourier terms (``fourier_order`` pairs) and week of year are
sine/cosine pairs (53 one-hot columns would swamp a
short series). Features that cannot vary at a frequency are dropped (day of week for weekly or monthly data).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from ml.forecast.config import ForecastConfig, frequency_kind

HOLIDAYS_DOC = (
    "Built-in holiday flag (no country data needed): New Year's Day (1 Jan), Valentine's Day (14 Feb), "
    "Good Friday, Easter Sunday and Easter Monday (Western computus), Black Friday (day after the fourth "
    "Thursday of November), Cyber Monday (the Monday after), Christmas Eve, Christmas Day, Boxing Day and "
    "New Year's Eve (24, 25, 26 and 31 Dec). For weekly and monthly data the flag counts the holidays in the period."
)


def _easter(year: int) -> date:
    """Western Easter Sunday (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def holidays_for_year(year: int) -> set[date]:
    """The built-in holiday dates of one year (see HOLIDAYS_DOC)."""
    easter = _easter(year)
    nov1 = date(year, 11, 1)
    thanksgiving = nov1 + timedelta(days=(3 - nov1.weekday()) % 7 + 21)
    days = {date(year, 1, 1), date(year, 2, 14), date(year, 12, 24), date(year, 12, 25), date(year, 12, 26),
            date(year, 12, 31), easter - timedelta(days=2), easter, easter + timedelta(days=1),
            thanksgiving + timedelta(days=1), thanksgiving + timedelta(days=4)}
    return days


def holiday_flags(dates: pd.DatetimeIndex) -> np.ndarray:
    """1.0 on built-in holidays, else 0.0, one value per date."""
    years = range(dates.year.min(), dates.year.max() + 1) if len(dates) else range(0)
    holidays = set().union(*(holidays_for_year(y) for y in years)) if len(dates) else set()
    return np.fromiter((d in holidays for d in dates.date), dtype=np.float32, count=len(dates))


def _period_holiday_count(dates: pd.DatetimeIndex, freq: str) -> np.ndarray:
    """Holidays inside each period that starts (MS) or ends (W-xxx) at each date."""
    kind = frequency_kind(freq)
    counts = np.zeros(len(dates), dtype=np.float32)
    for i, stamp in enumerate(dates):
        if kind == "W":
            span = pd.date_range(end=stamp, periods=7, freq="D")
        else:
            span = pd.date_range(start=stamp, end=stamp + pd.offsets.MonthEnd(0), freq="D")
        counts[i] = holiday_flags(span).sum()
    return counts


def yearly_fourier(dates: pd.DatetimeIndex, order: int) -> np.ndarray:
    """Sine/cosine pairs of the position in the year, k = 1..order: [len(dates), 2 * order] float32.

    Smooth and known for any future date, so the network can carry a yearly cycle into the days ahead even when
    its window is far shorter than a year.
    """
    position = (dates.day_of_year.to_numpy(dtype=np.float64) - 1) / 365.25
    cols = []
    for k in range(1, order + 1):
        cols += [np.sin(2 * np.pi * k * position), np.cos(2 * np.pi * k * position)]
    return np.stack(cols, axis=1).astype(np.float32)


def calendar_feature_names(config: ForecastConfig, freq: str) -> list[str]:
    """Names of the calendar feature columns ``calendar_features`` returns for this config and frequency."""
    kind = frequency_kind(freq)
    names: list[str] = []
    if config.day_of_week and kind == "D":
        names += [f"dow_{i}" for i in range(7)]
    if config.month:
        names += [f"month_{i}" for i in range(1, 13)]
    if config.quarter:
        names += [f"quarter_{i}" for i in range(1, 5)]
    if config.week_of_year and kind in ("D", "W"):
        names += ["woy_sin", "woy_cos"]
    if config.holiday:
        names += ["holiday"]
    if kind in ("D", "W"):
        for k in range(1, config.fourier_order + 1):
            names += [f"year_sin_{k}", f"year_cos_{k}"]
    return names


def calendar_features(dates: pd.DatetimeIndex, config: ForecastConfig, freq: str) -> np.ndarray:
    """Calendar features for each date: float32 array [len(dates), len(calendar_feature_names(...))]."""
    dates = pd.DatetimeIndex(dates)
    kind = frequency_kind(freq)
    columns: list[np.ndarray] = []

    def one_hot(values: np.ndarray, first: int, count: int) -> None:
        block = np.zeros((len(values), count), dtype=np.float32)
        block[np.arange(len(values)), values - first] = 1.0
        columns.append(block)

    if config.day_of_week and kind == "D":
        one_hot(dates.day_of_week.to_numpy(), 0, 7)
    if config.month:
        one_hot(dates.month.to_numpy(), 1, 12)
    if config.quarter:
        one_hot(dates.quarter.to_numpy(), 1, 4)
    if config.week_of_year and kind in ("D", "W"):
        angle = 2 * np.pi * (dates.isocalendar().week.to_numpy(dtype=np.float32) - 1) / 52.18
        columns.append(np.stack([np.sin(angle), np.cos(angle)], axis=1).astype(np.float32))
    if config.holiday:
        flags = holiday_flags(dates) if kind == "D" else _period_holiday_count(dates, freq)
        columns.append(flags.reshape(-1, 1))
    if kind in ("D", "W") and config.fourier_order:
        columns.append(yearly_fourier(dates, config.fourier_order))
    if not columns:
        return np.zeros((len(dates), 0), dtype=np.float32)
    return np.concatenate(columns, axis=1)

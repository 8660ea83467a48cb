"""The input contract of the forecasting engine and the checks that enforce it.

Input: a long (Nixtla-style) frame with ``unique_id`` (str), ``ds`` (datetime64, one regular frequency: daily 'D',
weekly 'W-SUN'/'W-MON'/..., or month-start 'MS'; gaps already filled with 0), ``y`` (float) and optional covariate
columns ``price`` and ``promo``. One or several series.
"""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
import pandas as pd

from ml.forecast.config import MIN_TRAINING_WINDOWS, ForecastConfig, frequency_kind
from ml.schema import ConfigError, DataError

ID, DS, Y = "unique_id", "ds", "y"
COVARIATES: tuple[str, ...] = ("price", "promo")


def prepare_frame(df: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Check a long frame against the contract; return it sorted (unique_id, ds) with clean dtypes, and its frequency.

    Raises DataError for missing columns, non-numeric or missing values, duplicate dates, irregular dates, mixed or
    unsupported frequencies.
    """
    if not isinstance(df, pd.DataFrame) or df.empty:
        raise DataError("forecast.error.empty_data")
    missing = [c for c in (ID, DS, Y) if c not in df.columns]
    if missing:
        raise DataError("forecast.error.missing_columns", columns=", ".join(missing))
    covariates = [c for c in COVARIATES if c in df.columns]
    out = df[[ID, DS, Y, *covariates]].copy()
    out[ID] = out[ID].astype(str)
    try:
        out[DS] = pd.to_datetime(out[DS])
    except (ValueError, TypeError) as exc:
        raise DataError("forecast.error.bad_dates", detail=str(exc)[:200]) from None
    for col in (Y, *covariates):
        values = pd.to_numeric(out[col], errors="coerce")
        if values.isna().any() or not np.isfinite(values.to_numpy(dtype=float)).all():
            raise DataError("forecast.error.missing_values", column=col, count=int((~np.isfinite(values)).sum()))
        out[col] = values.astype("float64")
    out = out.sort_values([ID, DS], kind="stable").reset_index(drop=True)
    if out.duplicated([ID, DS]).any():
        dup = out.loc[out.duplicated([ID, DS]), ID].iloc[0]
        raise DataError("forecast.error.duplicate_dates", series=dup)
    freqs: set[str] = set()
    for uid, group in out.groupby(ID, sort=False):
        if len(group) < 3:
            raise ConfigError("forecast.error.series_too_short", series=uid, needed=3, available=len(group))
        with warnings.catch_warnings():  # pandas 3 warns that infer_freq will return an offset some day
            warnings.simplefilter("ignore")
            freq = pd.infer_freq(pd.DatetimeIndex(group[DS]))
        freq = getattr(freq, "freqstr", freq)
        if freq is None:
            raise DataError("forecast.error.irregular_dates", series=uid)
        freqs.add(_normalise_freq(freq))
    if len(freqs) != 1:
        raise DataError("forecast.error.mixed_frequencies", frequencies=", ".join(sorted(freqs)))
    return out, freqs.pop()


def _normalise_freq(freq: str) -> str:
    try:
        kind = frequency_kind(freq)
    except ConfigError:
        raise DataError("forecast.error.unsupported_frequency", freq=freq) from None
    if kind == "D":
        return "D"
    if kind == "M":
        if freq.upper() != "MS":
            raise DataError("forecast.error.unsupported_frequency", freq=freq)
        return "MS"
    return "W-SUN" if freq.upper() == "W" else freq.upper()


def check_series_content(df: pd.DataFrame) -> None:
    """Refuse series a forecast makes no sense for: all zero, constant, or a single non-zero value."""
    for uid, group in df.groupby(ID, sort=False):
        y = group[Y].to_numpy()
        nonzero = np.flatnonzero(y != 0)
        if nonzero.size == 0:
            raise DataError("forecast.error.series_all_zero", series=uid)
        if nonzero.size == 1:
            date = pd.Timestamp(group[DS].iloc[nonzero[0]]).date().isoformat()
            raise DataError("forecast.error.series_single_sale", series=uid, date=date)
        if np.all(y == y[0]):
            raise DataError("forecast.error.series_constant", series=uid, value=float(y[0]))


def check_history(df: pd.DataFrame, config: ForecastConfig, held_out: int = 0) -> None:
    """Check every series is long enough to train ``config`` after ``held_out`` periods are held out.

    The shortest series decides. Raises ConfigError ``window_too_long`` when the look-back window alone exceeds the
    history, else ``series_too_short`` with the periods needed and available.
    """
    lengths = df.groupby(ID, sort=False).size()
    uid = str(lengths.idxmin())
    available = int(lengths.min()) - held_out
    if config.window >= available:
        raise ConfigError(
            "forecast.error.window_too_long", series=uid, window=config.window, available=max(available, 0),
            held_out=held_out,
        )
    needed = config.window + config.output_steps + MIN_TRAINING_WINDOWS - 1
    if available < needed:
        raise ConfigError(
            "forecast.error.series_too_short", series=uid, needed=needed + held_out,
            available=available + held_out, window=config.window, horizon=config.horizon,
        )


def split_holdout(df: pd.DataFrame, periods: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Chronological split: the last ``periods`` rows of each series form the holdout (df sorted by id, ds)."""
    position = df.groupby(ID, sort=False).cumcount(ascending=False)
    test_mask = (position < periods).to_numpy()
    return df.loc[~test_mask].reset_index(drop=True), df.loc[test_mask].reset_index(drop=True)


def future_dates(last: pd.Timestamp, freq: str, periods: int) -> pd.DatetimeIndex:
    """The ``periods`` dates after ``last`` at frequency ``freq``."""
    return pd.date_range(start=pd.Timestamp(last), periods=periods + 1, freq=freq)[1:]


def fingerprint(df: pd.DataFrame) -> str:
    """sha256 of a long frame's content (ids, dates, values, covariates), independent of row order."""
    cols = [c for c in (ID, DS, Y, *COVARIATES) if c in df.columns]
    frame = df[cols].sort_values([ID, DS]).reset_index(drop=True)
    digest = hashlib.sha256()
    digest.update(",".join(cols).encode())
    digest.update("\x00".join(frame[ID].astype(str)).encode())
    digest.update(pd.to_datetime(frame[DS]).to_numpy().astype("datetime64[ns]").astype(np.int64).tobytes())
    for col in cols[2:]:
        digest.update(frame[col].to_numpy(dtype=np.float64).tobytes())
    return digest.hexdigest()

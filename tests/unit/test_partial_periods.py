"""Weekly and monthly series leave out a first or last period the data covers only in part (data ending on a
Wednesday has a last "week" of 3 days): not a training target, not scored, and named on the page and in the CLI."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from ml.forecast.baselines import forecast_baselines
from ml.forecast.metrics import score
from ml.schema import Col
from ml.series import Filters, describe_partial, make_series, partial_periods


def _daily(start: str, end: str, per_day: float = 50.0, seed: int | None = None) -> pd.DataFrame:
    days = pd.date_range(start, end, freq="D")
    units = np.full(len(days), per_day) if seed is None else \
        np.random.default_rng(seed).poisson(per_day, len(days)).astype(float)
    return pd.DataFrame({Col.DATE: days, Col.QUANTITY: units, Col.PRODUCT_ID: "A"})


def test_data_ending_on_a_wednesday_drops_the_three_day_week():
    frame = _daily("2025-01-06", "2025-03-26")  # Monday .. Wednesday
    assert pd.Timestamp("2025-03-26").day_name() == "Wednesday"
    series = make_series(frame, "units", "total", "W")
    assert series["ds"].iloc[-1] == pd.Timestamp("2025-03-17")  # last complete week
    assert (series["y"] == 350.0).all()  # every week scored is a full week
    assert series.attrs["partial_periods"] == [{"ds": pd.Timestamp("2025-03-24"), "days": 3, "total": 7}]
    kept = make_series(frame, "units", "total", "W", complete_periods=False)
    assert kept["y"].iloc[-1] == 150.0 and len(kept) == len(series) + 1
    note = describe_partial(series)
    assert "2025-03-24" in note and "3" in note and "7" in note


def test_a_first_week_starting_on_thursday_and_partial_months_are_left_out():
    frame = _daily("2025-01-09", "2025-04-13")  # Thursday .. Sunday
    weekly = make_series(frame, "units", "total", "W")
    assert weekly["ds"].iloc[0] == pd.Timestamp("2025-01-13") and (weekly["y"] == 350.0).all()
    assert [p["days"] for p in weekly.attrs["partial_periods"]] == [4]  # the last week ends on Sunday: complete
    monthly = make_series(frame, "units", "total", "M")
    assert monthly["ds"].tolist() == [pd.Timestamp("2025-02-01"), pd.Timestamp("2025-03-01")]
    assert [(p["days"], p["total"]) for p in monthly.attrs["partial_periods"]] == [(23, 31), (13, 30)]
    daily = make_series(frame, "units", "total", "D")
    assert len(daily) == len(frame) and daily.attrs["partial_periods"] == []


def test_the_covered_range_is_the_whole_data_narrowed_by_date_filters():
    frame = pd.concat([_daily("2025-01-06", "2025-03-30"), _daily("2025-02-05", "2025-03-30").assign(
        **{Col.PRODUCT_ID: "B"})], ignore_index=True)
    # product B starts on a Wednesday, but the shop was observed that whole week: nothing is partial
    assert make_series(frame, "units", "product:B", "W").attrs["partial_periods"] == []
    cut = Filters(date_to=date(2025, 3, 19))  # a Wednesday
    assert partial_periods(frame, "W", cut) == [{"ds": pd.Timestamp("2025-03-17"), "days": 3, "total": 7}]
    assert make_series(frame, "units", "total", "W", cut)["ds"].iloc[-1] == pd.Timestamp("2025-03-10")
    late = Filters(date_from=date(2025, 1, 9))  # a Thursday: its week is only partly inside the range
    assert partial_periods(frame, "W", late)[0] == {"ds": pd.Timestamp("2025-01-06"), "days": 4, "total": 7}


def test_times_of_day_do_not_make_a_full_week_partial():
    frame = _daily("2025-01-06", "2025-03-30")
    frame[Col.DATE] = frame[Col.DATE] + pd.Timedelta(hours=9, minutes=30)  # first sale Monday 09:30
    assert partial_periods(frame, "W") == []
    assert len(make_series(frame, "units", "total", "W")) == 12


def test_naive_scores_are_not_dragged_by_a_cut_short_week():
    """The audit's figure: naive MASE on a holdout whose last week has 3 of 7 days is much worse than on full weeks."""
    frame = _daily("2024-01-01", "2025-03-26", seed=4)
    results = {}
    for complete in (True, False):
        series = make_series(frame, "units", "total", "W", complete_periods=complete)
        train, test = series.iloc[:-4], series.iloc[-4:]
        naive = forecast_baselines(train, 4, "W-MON", ("naive",))
        results[complete] = score(test["y"].to_numpy(), naive["naive"].to_numpy(), train["y"].to_numpy(), 52)["mase"]
    assert results[False] > 2 * results[True], results


@pytest.mark.slow
def test_the_cli_says_what_was_left_out_and_reports_mape(tmp_path):
    from tests.unit.test_cli import run_cli

    frame = _daily("2024-01-01", "2025-03-26", seed=1)
    path = tmp_path / "weekly.csv"
    frame.rename(columns={Col.DATE: "date", Col.QUANTITY: "quantity", Col.PRODUCT_ID: "sku"}).to_csv(path, index=False)
    args = ("forecast", str(path), "--freq", "W", "--window", "8", "--horizon", "4", "--epochs", "2", "--no-baselines")
    proc = run_cli(*args, "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["left_out"] == [{"period_start": "2025-03-24", "days": 3, "period_days": 7}]
    assert "mape" in out["metrics"]["network"]
    assert out["forecast"][0]["date"] == "2025-03-24"  # the cut-short week is forecast in full, not scored
    text = run_cli(*args)
    assert text.returncode == 0 and "2025-03-24" in text.stdout and "Left out" in text.stdout

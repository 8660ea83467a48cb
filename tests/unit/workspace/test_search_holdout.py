"""The search chooses on validation periods before the holdout and scores the choice once on the holdout: scaling
the holdout values by 1.4 changes that final score but not a single trial's score, so not the chosen trial."""

from __future__ import annotations

import pytest

from ml.forecast import ForecastConfig
from ml.forecast.search import SearchSpace, run_search, without_holdout
from ml.workspace import get_workspace
from tests.unit.workspace.conftest import make_series

pytestmark = pytest.mark.slow

# combine="none": the network alone, so that the trials differ (a blend may give the smoother the whole forecast)
BASE = ForecastConfig(window=14, horizon=7, units=4, epochs=2, patience=0, batch_size=32, seed=3, combine="none")
SPACE = SearchSpace(window=(7, 21), units=(4, 16), layers=(1, 2), learning_rate=(1e-3, 3e-2))


def _scaled_holdout(series, factor: float):
    out = series.copy()
    out.loc[out.index[-BASE.horizon:], "y"] *= factor
    return out


def test_scaling_the_holdout_does_not_change_any_trial_score_or_the_choice():
    ws = get_workspace()
    series = make_series(n=120)
    holdout_start = series["ds"].iloc[-BASE.horizon]

    def save(result, trial, search_id):
        return ws.save_run("alice", result, {"target": "units", "level": "total", "freq": "D"}, "e" * 32, "s.csv",
                           kind="trial", search_id=search_id, label=f"{trial.status} {trial.number}").id

    runs = {}
    for factor in (1.0, 1.4):
        runs[factor] = run_search(_scaled_holdout(series, factor), BASE, budget_seconds=600, max_trials=3,
                                  space=SPACE, seed=2, save_trial=save if factor == 1.0 else None)
    a, b = runs[1.0], runs[1.4]
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert [t.mase for t in a.trials] == [t.mase for t in b.trials]  # the holdout never reaches a trial
    assert len({t.mase for t in a.trials}) > 1  # the trials do differ: the choice is a real one
    assert a.best.number == b.best.number and a.baseline_metrics == b.baseline_metrics
    # the holdout scores the chosen settings (and the baselines) once, and it does see the scaling
    assert a.holdout is not None and b.holdout is not None and a.holdout.trial == a.best.number
    assert a.holdout.mase != b.holdout.mase
    assert {"network", "naive", "snaive", "ets"} <= set(a.holdout.metrics)
    assert a.holdout.metrics["naive"] != b.holdout.metrics["naive"]
    assert a.validation_periods == 120 - BASE.horizon
    # saved runs: each trial scored before the holdout, the chosen settings' holdout scoring as its own run
    for trial in a.trials:
        assert ws.open_run("alice", trial.run_id).result.holdout["ds"].max() < holdout_start
    final = ws.open_run("alice", a.holdout.run_id).result
    assert final.holdout["ds"].min() == holdout_start
    assert a.holdout.run_id not in {t.run_id for t in a.trials}


def test_without_holdout_drops_the_last_horizon_periods_of_each_series():
    import pandas as pd

    two = pd.concat([make_series(n=30, uid="a"), make_series(n=20, uid="b")]).sample(frac=1, random_state=0)
    inner = without_holdout(two, 7)
    assert inner.groupby("unique_id").size().to_dict() == {"a": 23, "b": 13}
    assert inner.groupby("unique_id")["ds"].max().to_dict() == {
        "a": two.loc[two["unique_id"] == "a", "ds"].sort_values().iloc[-8],
        "b": two.loc[two["unique_id"] == "b", "ds"].sort_values().iloc[-8]}


def test_the_cli_search_says_how_the_choice_was_made(tmp_path, capsys):
    import json

    from ml.cli import main

    series = make_series(n=120)
    path = tmp_path / "daily.csv"
    series.rename(columns={"ds": "date", "y": "quantity"})[["date", "quantity"]].to_csv(path, index=False)
    args = ["forecast", str(path), "--search", "2", "--window", "14", "--horizon", "7", "--units", "4", "--epochs",
            "2", "--patience", "0"]
    assert main([*args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["chosen_on"] == "validation_before_holdout" and "before the last 7" in out["how"]
    assert out["chosen_trial"] == min(out["trials"], key=lambda t: t["validation_mase"])["trial"]
    assert out["holdout"]["trial"] == out["chosen_trial"] and "snaive" in out["holdout"]["metrics"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "Chosen on validation before the holdout" in text and "How the choice was made" in text


def test_with_backtest_folds_the_reported_holdout_score_is_the_holdout_fold_only():
    captured = {}

    def keep(result, trial, search_id):
        captured[trial.status] = result
        return None

    result = run_search(make_series(n=150), BASE, budget_seconds=600, max_trials=1, backtest_folds=1, space=SPACE,
                        seed=1, save_trial=keep)
    final = captured["holdout"].scorecard
    assert set(final["fold"]) == {"holdout", "backtest_1"}  # the folds still calibrate the final intervals
    for model in ("network", "naive", "ets"):
        rows = final[final["model"] == model]
        assert result.holdout.metrics[model]["mase"] == pytest.approx(rows.loc[rows["fold"] == "holdout", "mase"].mean())
        assert result.holdout.metrics[model]["mase"] != pytest.approx(rows["mase"].mean())
    assert result.validation_periods == 150 - BASE.horizon

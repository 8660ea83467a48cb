"""Scorecard bookkeeping and verdict data on hand-made predictions."""

import pandas as pd

from ml.forecast.evaluation import make_verdicts, summarise_scorecard


def _scorecard():
    rows = []
    for uid, scores in {"a": {"network": 0.8, "ets": 1.0, "naive": 1.6},
                        "b": {"network": 1.2, "ets": 0.9, "naive": 1.5}}.items():
        for model, mase in scores.items():
            rows.append({"fold": "holdout", "unique_id": uid, "model": model, "mae": mase * 10, "rmse": 1.0,
                         "mape": 1.0, "smape": 1.0, "mase": mase})
    return pd.DataFrame(rows)


def test_best_model_flagged_per_series():
    summary = summarise_scorecard(_scorecard())
    best = summary[summary.best].set_index("unique_id")["model"].to_dict()
    assert best == {"a": "network", "b": "ets"}


def test_verdicts_are_data_with_percentages():
    verdicts = make_verdicts(summarise_scorecard(_scorecard()))
    ids = [v.message_id for v in verdicts]
    assert ids[0] == "forecast.verdict.summary" and verdicts[0].params == {"wins": 1, "series_count": 2, "metric": "mase"}
    a = next(v for v in verdicts if v.params.get("series") == "a")
    assert a.message_id == "forecast.verdict.network_best"
    assert a.params["runner_up"] == "ets" and a.params["percent"] == 20.0  # (1.0 - 0.8) / 1.0
    b = next(v for v in verdicts if v.message_id == "forecast.verdict.baseline_beats_network")
    assert b.params["baseline"] == "ets" and b.params["percent"] == 25.0  # (1.2 - 0.9) / 1.2
    assert any(v.message_id == "forecast.verdict.network_worse_than_snaive_insample" and v.params["series"] == "b"
               for v in verdicts)


def test_a_network_whose_totals_run_short_gets_a_verdict():
    import numpy as np

    from ml.forecast.evaluation import shortfall_verdicts

    # planted: "sparse" sells 100 over the period and the network forecasts 0.5 a day (3.5 of 100: 96.5% short); "lumpy"
    # 30% short; "close" 10% short; "none" sold nothing; "broken" forecasts NaN
    days = pd.date_range("2024-01-01", periods=7)
    frames = []
    for uid, actual, forecast in [("sparse", [0, 0, 60, 0, 0, 40, 0], [0.5] * 7), ("lumpy", [10] * 7, [7] * 7),
                                  ("close", [10] * 7, [9] * 7), ("none", [0] * 7, [1] * 7),
                                  ("broken", [10] * 7, [np.nan] * 7)]:
        frames.append(pd.DataFrame({"unique_id": uid, "ds": days, "y": actual, "network": forecast}))
    verdicts = shortfall_verdicts(pd.concat(frames, ignore_index=True))
    assert {v.params["series"]: v.params["percent"] for v in verdicts} == {"sparse": 96.5, "lumpy": 30.0}
    assert {v.message_id for v in verdicts} == {"forecast.verdict.network_total_short"}

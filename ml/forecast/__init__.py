"""SalesLens forecasting engine: neural forecasters measured honestly against classical baselines.

Public API (importing this package never imports Keras, JAX or TensorFlow; the network is built on first fit)::

    from ml.forecast import ForecastConfig, PRESETS, NeuralForecaster, run_forecast
    result = run_forecast(df_long, ForecastConfig(), baselines=True, backtest_folds=0)
    result.to_json_dict()  # metrics, train_seconds, epochs_run, forecast [{unique_id, date, value, lower, upper}]

Input: a long frame [unique_id, ds, y(, price, promo)] at one regular frequency (D, W-xxx or MS), gaps filled.
Errors are ml.schema.ConfigError / DataError carrying a message id from the catalogues
(``ml/locales/<language>/forecast.toml``; tests/unit/test_i18n.py checks every id exists in both languages).
"""

from ml.forecast.baselines import BASELINES, forecast_baselines
from ml.forecast.bundle import export_bundle, import_bundle, load_bundle, save_bundle
from ml.forecast.config import PRESETS, ForecastConfig, Preset, default_config, get_preset, season_length
from ml.forecast.data import prepare_frame, split_holdout
from ml.forecast.evaluation import NETWORK, Verdict, make_verdicts, summarise_scorecard
from ml.forecast.features import HOLIDAYS_DOC
from ml.forecast.forecaster import NeuralForecaster
from ml.forecast.intervals import ConformalWidths, fit_conformal
from ml.forecast.metrics import coverage, mae, mape, mase, rmse, smape
from ml.forecast.pipeline import ForecastResult, run_forecast

__all__ = [
    "BASELINES", "HOLIDAYS_DOC", "NETWORK", "PRESETS", "ConformalWidths", "ForecastConfig", "ForecastResult",
    "NeuralForecaster", "Preset", "Verdict", "coverage", "default_config", "export_bundle", "fit_conformal",
    "forecast_baselines", "get_preset", "import_bundle", "load_bundle", "mae", "make_verdicts", "mape", "mase",
    "prepare_frame", "rmse", "run_forecast", "save_bundle", "season_length", "smape", "split_holdout",
    "summarise_scorecard",
]

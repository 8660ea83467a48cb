"""A second opinion on the elasticity: gradient-boosted trees learn log units from price and the same controls,
without assuming a constant-elasticity shape, and the elasticity they imply is read off their partial dependence
on price (the average prediction when every period is given the same price), as the slope of log units on log
price over the prices the product actually sold at.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ml.blas import one_blas_thread
from ml.pricing.config import ElasticityConfig


@dataclass(frozen=True)
class DemandModelConfig:
    max_iter: int = 100
    learning_rate: float = 0.05
    max_depth: int = 3
    min_samples_leaf: int = 5
    grid_points: int = 15
    quantiles: tuple[float, float] = (0.05, 0.95)  # price range of the partial dependence
    random_state: int = 0


class GradientBoostingDemandModel:
    """scikit-learn HistGradientBoostingRegressor on log units. Learned: ``model_``, ``feature_names_``,
    ``pd_prices_`` / ``pd_units_`` (partial dependence, units per period), ``implied_elasticity_``."""

    def __init__(self, config: DemandModelConfig | None = None, elasticity_config: ElasticityConfig | None = None):
        self.config = config or DemandModelConfig()
        self.elasticity_config = elasticity_config or ElasticityConfig()

    def _features(self, periods: np.ndarray, price: np.ndarray, promo: np.ndarray, start: pd.Timestamp) -> np.ndarray:
        dates = pd.DatetimeIndex(periods)
        cols = [np.log(price), promo.astype(float), (dates - start).days.to_numpy() / 365.25, dates.month.to_numpy()]
        names = ["log_price", "promo", "trend", "month"]
        if self.elasticity_config.freq == "D":
            cols.append(dates.day_of_week.to_numpy())
            names.append("weekday")
        self.feature_names_ = names
        return np.column_stack(cols).astype(float)  # [n_obs, n_features]

    def fit(self, rows: pd.DataFrame, start: pd.Timestamp | None = None) -> GradientBoostingDemandModel:
        from sklearn.ensemble import HistGradientBoostingRegressor

        cfg = self.config
        rows = rows.loc[(rows["units"] > 0) & (rows["price"] > 0)].sort_values("period")
        if len(rows) < 10 or rows["price"].nunique() < 2:
            raise ValueError("too little data for a demand model")
        periods = rows["period"].to_numpy()
        start = pd.Timestamp(start if start is not None else periods[0])
        price = rows["price"].to_numpy(dtype=float)
        promo = rows["promo"].to_numpy(dtype=float) if "promo" in rows else np.zeros(len(rows))
        x = self._features(periods, price, promo, start)
        y = np.log(rows["units"].to_numpy(dtype=float))
        categorical = [name in ("month", "weekday") for name in self.feature_names_]
        # a few hundred rows: OpenMP threads only contend on a shared machine (OpenMP's limit is per thread; BLAS's
        # is the process's, shared through ml.blas)
        with threadpool_limits(1, user_api="openmp"), one_blas_thread():
            self.model_ = HistGradientBoostingRegressor(
                max_iter=cfg.max_iter, learning_rate=cfg.learning_rate, max_depth=cfg.max_depth,
                min_samples_leaf=cfg.min_samples_leaf, categorical_features=categorical,
                random_state=cfg.random_state,
            ).fit(x, y)
            grid_x = np.repeat(x[None, :, :], cfg.grid_points, axis=0)  # [grid, n_obs, n_features]
        low, high = np.quantile(price, cfg.quantiles)
        if high <= low:
            low, high = price.min(), price.max()
        self.pd_prices_ = np.linspace(low, high, cfg.grid_points)
        grid_x[:, :, 0] = np.log(self.pd_prices_)[:, None]
        with threadpool_limits(1, user_api="openmp"), one_blas_thread():
            predicted = self.model_.predict(grid_x.reshape(-1, x.shape[1])).reshape(cfg.grid_points, len(x))
        log_units = predicted.mean(axis=1)
        self.pd_log_units_ = log_units
        self.pd_units_ = np.exp(log_units)
        slope, _ = np.polyfit(np.log(self.pd_prices_), log_units, 1)
        self.implied_elasticity_ = float(slope)
        return self


def implied_elasticity(rows: pd.DataFrame, start: pd.Timestamp | None = None,
                       elasticity_config: ElasticityConfig | None = None,
                       config: DemandModelConfig | None = None) -> float:
    """The gradient-boosting model's implied elasticity for one product's panel rows (NaN when it cannot fit)."""
    try:
        return GradientBoostingDemandModel(config, elasticity_config).fit(rows, start).implied_elasticity_
    except ValueError:
        return float("nan")

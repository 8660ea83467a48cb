"""Typed settings of the pricing engine: how elasticities are estimated and how prices are suggested."""

from __future__ import annotations

from dataclasses import dataclass

from ml.schema import ConfigError

FREQS = ("D", "W")
COV_TYPES = ("HC3", "HAC")
OBJECTIVES = ("revenue", "profit")
CONTROLS = ("weekday", "month", "trend", "promo")


@dataclass(frozen=True)
class ElasticityConfig:
    """How each product's log-log demand regression is set up.

    Weekly by default: on the sample data (seeds 42, 1, 2) weekly totals gave 95% intervals that covered the
    planted elasticity for 97.5-100% of products against 87.5-95% for daily totals, because daily counts of slow
    sellers are small and days without sales drop out of a log regression (bench/pricing.py measures both).

    ``min_obs``, ``hac_lags`` and ``baseline_periods`` default by frequency (daily: 30 / 7 / 28, weekly: 12 / 4 / 8).
    ``min_price_spread`` is the smallest standard deviation of log price (about a 3% spread) worth estimating from.
    """

    freq: str = "W"
    cov_type: str = "HC3"
    hac_lags: int | None = None
    min_obs: int | None = None
    min_distinct_prices: int = 3
    min_price_spread: float = 0.03
    confidence: float = 0.95
    controls: tuple[str, ...] = CONTROLS
    baseline_periods: int | None = None
    # When the data cover a year, the baseline is the lower of the recent window and the last year's average
    # period (``elasticity.typical_units``): the recent window alone extrapolates a seasonal peak to the next 30 days.
    year_baseline: bool = True

    def validate(self) -> ElasticityConfig:
        if self.freq not in FREQS:
            raise ConfigError("pricing.error.bad_freq", freq=self.freq)
        if self.cov_type not in COV_TYPES:
            raise ConfigError("pricing.error.bad_cov_type", cov_type=self.cov_type)
        if not 0.5 <= self.confidence < 1:
            raise ConfigError("pricing.error.bad_confidence", value=self.confidence)
        if self.min_distinct_prices < 2:
            raise ConfigError("pricing.error.bad_min_prices", value=self.min_distinct_prices)
        unknown = [c for c in self.controls if c not in CONTROLS]
        if unknown:
            raise ConfigError("pricing.error.bad_controls", names=", ".join(unknown))
        return self

    @property
    def effective_min_obs(self) -> int:
        return self.min_obs if self.min_obs is not None else (30 if self.freq == "D" else 12)

    @property
    def effective_hac_lags(self) -> int:
        return self.hac_lags if self.hac_lags is not None else (7 if self.freq == "D" else 4)

    @property
    def effective_baseline_periods(self) -> int:
        return self.baseline_periods if self.baseline_periods is not None else (28 if self.freq == "D" else 8)

    @property
    def periods_per_30_days(self) -> float:
        return 30.0 if self.freq == "D" else 30.0 / 7.0


@dataclass(frozen=True)
class OptimiserConfig:
    """What the suggested price maximises and the limits it must respect.

    ``max_change`` is a fraction of the current price (0.15 = ±15%). ``floor``/``ceiling`` are prices.
    ``min_margin`` is the smallest (price - cost) / price allowed. ``margin`` is the analyst's assumed margin, used
    as cost = current price × (1 - margin) for products whose data has no unit cost. ``endings`` restricts
    suggestions to prices ending in these cents (e.g. (0.99, 0.49)); keeping the current price is always allowed.
    ``include_low_confidence`` puts suggestions whose elasticity has low confidence (its interval includes zero, or
    the estimate is implausibly large) into the portfolio totals; by default they are listed but not counted.
    """

    objective: str = "profit"
    max_change: float = 0.15
    floor: float | None = None
    ceiling: float | None = None
    min_margin: float | None = None
    margin: float | None = None
    endings: tuple[float, ...] = ()
    grid_points: int = 301
    include_low_confidence: bool = False  # count suggestions resting on low-confidence estimates in the totals

    def validate(self) -> OptimiserConfig:
        if self.objective not in OBJECTIVES:
            raise ConfigError("pricing.error.bad_objective", objective=self.objective)
        if not 0 < self.max_change <= 1:
            raise ConfigError("pricing.error.bad_max_change", value=self.max_change)
        for name, value in (("floor", self.floor), ("ceiling", self.ceiling)):
            if value is not None and not value > 0:
                raise ConfigError("pricing.error.bad_bound", name=name, value=value)
        if self.floor is not None and self.ceiling is not None and self.floor > self.ceiling:
            raise ConfigError("pricing.error.floor_above_ceiling", floor=self.floor, ceiling=self.ceiling)
        for value in (self.min_margin, self.margin):
            if value is not None and not 0 <= value < 1:
                raise ConfigError("pricing.error.bad_margin", value=value)
        for ending in self.endings:
            if not 0 <= ending < 1:
                raise ConfigError("pricing.error.bad_ending", value=ending)
        if self.grid_points < 11:
            raise ConfigError("pricing.error.bad_grid", value=self.grid_points)
        return self

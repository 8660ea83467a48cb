"""Price elasticity of demand per product: a log-log OLS regression with calendar, trend and promo controls.

    log(units_t) = a + ε·log(price_t) + weekday_t + month_t + b·trend_t + c·promo_t + e_t

fitted on the periods with sales, with heteroskedasticity-robust (HC3, in numpy: ``fit_ols_robust``) or
autocorrelation-robust (HAC, Newey-West, statsmodels) standard errors. ε is the elasticity: +1% price -> about ε% units. Products whose data cannot
identify ε (too few periods, too few distinct prices, too little price movement, prices explained by the calendar)
get status ``not_estimable`` and a reason id, never a number.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, fields, replace
from functools import lru_cache

import numpy as np
import pandas as pd

from ml.blas import one_blas_thread
from ml.pricing.config import ElasticityConfig
from ml.pricing.panel import PricePanel
from ml.progress import Progress, ProgressSink, as_progress

OK, NOT_ESTIMABLE = "ok", "not_estimable"
STATUSES = (OK, NOT_ESTIMABLE)
REASONS = (
    "no_price",  # the product never sold at a positive price
    "too_few_observations",
    "too_few_prices",
    "too_little_variation",
    "price_confounded",  # the price moves only with the calendar/promo controls
    "fit_failed",
)
CONFIDENCE_LEVELS = ("high", "medium", "low", "none")
PLAUSIBLE = (-8.0, 0.0)  # a point estimate outside this range is flagged low confidence whatever its interval
MAX_REPRICE = 10.0
_CENT = 0.005
BLOCK_PRODUCTS = 2_000  # products prepared, regressed at once (ml.pricing.batched) and finished, between Stop checks


@dataclass
class ElasticityEstimate:
    """One product's estimate (or the reason there is none)."""

    product_id: str
    status: str
    reason: str | None
    elasticity: float = float("nan")
    std_error: float = float("nan")
    ci_low: float = float("nan")
    ci_high: float = float("nan")
    r2: float = float("nan")
    n_obs: int = 0
    n_prices: int = 0
    price_spread: float = float("nan")  # standard deviation of log price
    promo_effect: float = float("nan")  # multiplier on units in a promo period, price held fixed
    current_price: float = float("nan")
    baseline_units: float = float("nan")  # expected units per period at the current price, recent conditions
    baseline_source: str = "recent_only"  # recent_only (no year of data) | recent | year: the lower window (typical_units)

    @property
    def confidence(self) -> str:
        return confidence_flag(self.status, self.ci_low, self.ci_high)

    def to_dict(self) -> dict:
        return {**{f.name: getattr(self, f.name) for f in fields(self)}, "confidence": self.confidence}


def confidence_flag(status: str, ci_low: float, ci_high: float) -> str:
    """high: the 95% interval is below 0 and at most 1 wide; medium: below 0; low: it includes 0 or positive values,
    or its middle lies outside ``PLAUSIBLE`` (demand that falls more than 8% per 1% of price is more likely
    a sign of prices set by order size or customer than of real demand)."""
    if status != OK or not np.isfinite(ci_low) or not np.isfinite(ci_high):
        return "none"
    if not PLAUSIBLE[0] <= (ci_low + ci_high) / 2 <= PLAUSIBLE[1]:
        return "low"
    if ci_high < 0 and ci_high - ci_low <= 1.0:
        return "high"
    return "medium" if ci_high < 0 else "low"


def current_price_of(price: np.ndarray, promo: np.ndarray) -> float:
    """The latest regular (non-promo) price; the latest price when every period was a promo period."""
    regular = np.flatnonzero(promo < 0.5)
    return float(price[regular[-1]] if len(regular) else price[-1])


def baseline_window_start(end: pd.Timestamp, n_periods: int, freq: str) -> np.datetime64:
    """First period of the last ``n_periods`` calendar periods ending with the one that holds ``end``."""
    step = pd.Timedelta(days=1 if freq == "D" else 7)
    last = pd.Timestamp(end).normalize()
    if freq == "W":
        last = last - pd.Timedelta(days=last.day_of_week)
    return np.datetime64(last - step * (n_periods - 1))


def baseline_units_at(periods: np.ndarray, units: np.ndarray, price: np.ndarray, promo: np.ndarray,
                      current_price: float, elasticity: float, first: np.datetime64, n_periods: int) -> float:
    """Average units per period over the ``n_periods`` calendar periods from ``first``, re-priced to
    ``current_price`` (each period's move bounded to a factor of ``MAX_REPRICE``).

    Periods without sales count as zero; promo periods are left out (their units are not regular demand); each
    period's units are moved to the current price with the elasticity (no move when it is not known).
    """
    window = periods >= first
    promo_periods = window & (promo >= 0.5)
    regular = window & ~promo_periods
    shift = np.ones(int(regular.sum()))
    if np.isfinite(elasticity):
        # A period priced far from today says little about today's demand: with a large |ε| (real data with
        # quantity-tier prices gives some) an unbounded move would turn a few units into millions.
        shift = np.clip((current_price / price[regular]) ** elasticity, 1 / MAX_REPRICE, MAX_REPRICE)
    denominator = n_periods - int(promo_periods.sum())
    if denominator <= 0:
        return float(np.mean(units[window])) if window.any() else 0.0
    return float(np.sum(units[regular] * shift) / denominator)


def typical_units(periods: np.ndarray, units: np.ndarray, price: np.ndarray, promo: np.ndarray, current_price: float,
                  elasticity: float, end: pd.Timestamp, freq: str, recent_start: np.datetime64, n_recent: int,
                  year_start: np.datetime64 | None) -> tuple[float, str]:
    """Units per period to expect at ``current_price``: the average of the recent window (``baseline_units_at``), or,
    when the data cover a year (``year_start`` given), the lower of that and the average period of the last year
    (counted from the product's first sale when it is newer), so a seasonal peak in the last weeks (UCI ends in
    the Christmas rush) or a product's last season is not taken for the next 30 days."""
    recent = baseline_units_at(periods, units, price, promo, current_price, elasticity, recent_start, n_recent)
    if year_start is None or not len(periods):
        return recent, "recent_only"
    first = max(np.datetime64(year_start, "D"), np.asarray(periods).min().astype("datetime64[D]"))
    last = _last_period(pd.Timestamp(end), freq)
    n_year = int((last - first) // np.timedelta64(1 if freq == "D" else 7, "D")) + 1
    if n_year <= n_recent:
        return recent, "recent_only"
    year = baseline_units_at(periods, units, price, promo, current_price, elasticity, first, n_year)
    return (year, "year") if year < recent else (recent, "recent")


@lru_cache(maxsize=16)
def _last_period(end: pd.Timestamp, freq: str) -> np.datetime64:
    return np.datetime64(baseline_window_start(end, 1, freq), "D")


def calendar_features(periods: np.ndarray, start: pd.Timestamp) -> dict[str, np.ndarray]:
    """Trend (years since ``start``), month and weekday of each period, computed once for a whole panel."""
    dates = pd.DatetimeIndex(periods)
    return {"trend": (dates - pd.Timestamp(start)).days.to_numpy() / 365.25, "month": dates.month.to_numpy(),
            "weekday": dates.day_of_week.to_numpy()}


def design_matrix(periods: np.ndarray, price: np.ndarray, promo: np.ndarray, start: pd.Timestamp,
                  config: ElasticityConfig, calendar: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, list[str]]:
    """Columns: const, log_price, then the controls that vary in this product's data. # [n_obs, k]"""
    cal = calendar if calendar is not None else calendar_features(periods, start)
    columns: list[np.ndarray] = [np.ones(len(price)), np.log(price)]
    names = ["const", "log_price"]
    if "trend" in config.controls:
        columns.append(cal["trend"])
        names.append("trend")
    if "promo" in config.controls and np.ptp(promo) > 0:
        columns.append(promo.astype(float))
        names.append("promo")
    if "weekday" in config.controls and config.freq == "D":
        _add_dummies(columns, names, cal["weekday"], "weekday")
    if "month" in config.controls:
        _add_dummies(columns, names, cal["month"], "month")
    return np.column_stack(columns), names


def _add_dummies(columns: list, names: list, values: np.ndarray, prefix: str) -> None:
    levels, counts = np.unique(values, return_counts=True)
    for level in levels[1:][counts[1:] >= 2]:  # the first level is the reference; a lone period joins it
        columns.append((values == level).astype(float))
        names.append(f"{prefix}_{level}")


class ElasticityModel:
    """Constant-elasticity demand of one product, estimated by log-log OLS with robust standard errors.

    ``fit(rows)`` takes one product's rows of a ``PricePanel.frame`` (period, units, price, promo). Learned:
    ``estimate_`` (an ElasticityEstimate), ``params_`` (coefficient name -> value), ``result_`` (an ``OLSFit``,
    or statsmodels' results under HAC; None when not estimable).
    """

    def __init__(self, config: ElasticityConfig | None = None) -> None:
        self.config = config or ElasticityConfig()

    def fit(self, rows: pd.DataFrame, product_id: str = "", start: pd.Timestamp | None = None,
            end: pd.Timestamp | None = None, current_price: float | None = None) -> ElasticityModel:
        if "price" not in rows:
            self.result_, self.params_ = None, {}
            self.estimate_ = ElasticityEstimate(product_id, NOT_ESTIMABLE, "no_price")
            return self
        promo = rows["promo"].to_numpy(dtype=float) if "promo" in rows else np.zeros(len(rows))
        return self.fit_arrays(rows["period"].to_numpy(), rows["units"].to_numpy(dtype=float),
                               rows["price"].to_numpy(dtype=float), promo, product_id, start, end, current_price)

    def fit_arrays(self, periods: np.ndarray, units: np.ndarray, price: np.ndarray, promo: np.ndarray,
                   product_id: str = "", start: pd.Timestamp | None = None,
                   end: pd.Timestamp | None = None, current_price: float | None = None,
                   calendar: dict[str, np.ndarray] | None = None,
                   window_start: np.datetime64 | None = None, year_start: np.datetime64 | None = None) -> ElasticityModel:
        """As ``fit``, on arrays. ``current_price`` defaults to the price of the last regular period; ``calendar``
        (from ``calendar_features``, aligned with the arrays) saves recomputing dates per product; ``year_start``
        (when the data cover a year): the baseline is the lower of the recent window and the last year's average
        (``typical_units``)."""
        data = self.prepare(periods, units, price, promo, product_id, start, end, current_price, calendar,
                            window_start, year_start)
        if data is None:
            return self
        x, names = design_matrix(data.periods, data.price, data.promo, data.start, self.config, data.calendar)
        return self.finish(data, names, regress(x, np.log(data.units), np.log(data.price), self.config))

    def prepare(self, periods: np.ndarray, units: np.ndarray, price: np.ndarray, promo: np.ndarray,
                product_id: str = "", start: pd.Timestamp | None = None, end: pd.Timestamp | None = None,
                current_price: float | None = None, calendar: dict[str, np.ndarray] | None = None,
                window_start: np.datetime64 | None = None, year_start: np.datetime64 | None = None
                ) -> Observations | None:
        """The first half of ``fit_arrays``: the periods with sales, sorted, the figures that need no regression
        and the refusals that need none (``estimate_`` set); the observations to regress on, else None."""
        cfg = self.config
        self.result_ = None
        self.params_: dict[str, float] = {}
        keep = (units > 0) & (price > 0) & np.isfinite(price)
        if not keep.any():
            self.estimate_ = ElasticityEstimate(product_id, NOT_ESTIMABLE, "no_price")
            return None
        order = np.argsort(periods[keep], kind="stable")
        periods, units, price, promo = (a[keep][order] for a in (periods, units, price, promo))
        if calendar is not None:
            calendar = {k: v[keep][order] for k, v in calendar.items()}
        start = pd.Timestamp(start if start is not None else periods[0])
        end = pd.Timestamp(end if end is not None else periods[-1])
        current = current_price if current_price is not None else current_price_of(price, promo)
        n_prices = int(len(np.unique(np.round(price / _CENT).astype(np.int64))))
        log_price = np.log(price)
        spread = float(np.std(log_price))
        est = ElasticityEstimate(product_id, NOT_ESTIMABLE, None, n_obs=len(units), n_prices=n_prices,
                                 price_spread=spread, current_price=current)
        first = window_start if window_start is not None else baseline_window_start(end, cfg.effective_baseline_periods, cfg.freq)
        self.estimate_ = est
        data = Observations(periods, units, price, promo, calendar, start, end, current, first, year_start)
        if len(units) < cfg.effective_min_obs:
            est.reason = "too_few_observations"
        elif n_prices < cfg.min_distinct_prices:
            est.reason = "too_few_prices"
        elif spread < cfg.min_price_spread:
            est.reason = "too_little_variation"
        else:
            return data  # its baseline once the elasticity is known (``finish``)
        self._baseline(data, float("nan"))
        return None

    def _refuse(self, data: Observations, reason: str) -> ElasticityModel:
        self.estimate_.reason = reason
        self._baseline(data, float("nan"))
        return self

    def _baseline(self, data: Observations, elasticity: float) -> None:
        """Units per period expected at the current price (``typical_units``), re-priced with ``elasticity``."""
        cfg = self.config
        self.estimate_.baseline_units, self.estimate_.baseline_source = typical_units(
            data.periods, data.units, data.price, data.promo, data.current, elasticity, data.end, cfg.freq,
            data.first, cfg.effective_baseline_periods, data.year_start)

    def finish(self, data: Observations, names: list[str], outcome: OLSFit | str) -> ElasticityModel:
        """The second half of ``fit_arrays``: the estimate from the regression's ``outcome`` (``regress``, or the
        same for many products at once: ``ml.pricing.batched``), or its refusal."""
        cfg, est = self.config, self.estimate_
        if isinstance(outcome, str):
            return self._refuse(data, outcome)
        result = outcome
        try:
            params, bse = np.asarray(result.params), np.asarray(result.bse)
            # Student t at the residual degrees of freedom: at the smallest design allowed (5) the normal quantile
            # would give intervals 31% too narrow; with many periods the two agree.
            z = _t_quantile(cfg.confidence, float(result.df_resid))
            low, high = params[1] - z * bse[1], params[1] + z * bse[1]
        except (ValueError, np.linalg.LinAlgError):
            return self._refuse(data, "fit_failed")
        if not (np.isfinite(params[1]) and np.isfinite(bse[1]) and bse[1] > 0):
            return self._refuse(data, "fit_failed")
        est.status, est.reason = OK, None
        est.elasticity, est.std_error = float(params[1]), float(bse[1])
        est.ci_low, est.ci_high = float(low), float(high)
        est.r2 = float(result.rsquared)
        self.params_ = dict(zip(names, map(float, params), strict=True))
        if "promo" in self.params_:
            est.promo_effect = float(np.exp(self.params_["promo"]))
        self._baseline(data, est.elasticity)
        self.result_ = result
        return self


@dataclass
class Observations:
    """One product's periods with sales, sorted (``ElasticityModel.prepare``): what its regression and its
    baseline read."""

    periods: np.ndarray
    units: np.ndarray
    price: np.ndarray
    promo: np.ndarray
    calendar: dict[str, np.ndarray] | None
    start: pd.Timestamp
    end: pd.Timestamp
    current: float
    first: np.datetime64
    year_start: np.datetime64 | None


def regress(x: np.ndarray, log_units: np.ndarray, log_price: np.ndarray, cfg: ElasticityConfig) -> OLSFit | str:
    """The regression of one product (``x``: ``design_matrix``), or why there is none: too few periods for its
    columns, a price the controls explain, a fit that failed."""
    if len(log_units) < x.shape[1] + 5:
        return "too_few_observations"
    others = np.delete(x, 1, axis=1)
    coef, *_ = np.linalg.lstsq(others, log_price, rcond=None)
    if float(np.std(log_price - others @ coef)) < cfg.min_price_spread / 4:
        return "price_confounded"
    try:
        return _fit_ols(log_units, x, cfg)
    except (ValueError, np.linalg.LinAlgError):
        return "fit_failed"


def adjusted_observations(model: ElasticityModel, rows: pd.DataFrame, start: pd.Timestamp,
                          end: pd.Timestamp) -> pd.DataFrame:
    """A fitted product's observed periods with units moved to recent conditions: each period's calendar, trend
    and promo effect is swapped for the average effect of the last regular periods, so the points scatter around
    the fitted curve Q0·(p/p0)^ε instead of around last year's season. Columns: period, price, units,
    adjusted_units, promo."""
    cfg = model.config
    rows = rows.loc[(rows["units"] > 0) & (rows["price"] > 0)].sort_values("period")
    out = rows[["period", "price", "units", "promo"]].reset_index(drop=True)
    if not model.params_:
        out["adjusted_units"] = out["units"]
        return out
    x, names = design_matrix(out["period"].to_numpy(), out["price"].to_numpy(float), out["promo"].to_numpy(float),
                             pd.Timestamp(start), cfg)
    beta = np.array([model.params_.get(n, 0.0) for n in names])
    control = np.delete(x, [0, 1], axis=1) @ np.delete(beta, [0, 1])
    step = pd.Timedelta(days=1 if cfg.freq == "D" else 7)
    recent = (out["period"] >= pd.Timestamp(end) - step * cfg.effective_baseline_periods).to_numpy()
    regular = recent & (out["promo"].to_numpy() < 0.5)
    reference = control[regular].mean() if regular.any() else control[-min(len(control), 4):].mean()
    out["adjusted_units"] = out["units"].to_numpy() * np.exp(reference - control)
    return out


@lru_cache(maxsize=64)
def _t_quantile(confidence: float, dof: float) -> float:
    """Two-sided quantile of Student's t for ``confidence`` at ``dof`` residual degrees of freedom."""
    from scipy.special import stdtrit  # scipy.stats would take seconds to import on a first page

    return float(stdtrit(dof, 0.5 + confidence / 2))


@dataclass
class OLSFit:
    """What the estimation reads of a least-squares fit, under statsmodels' names."""

    params: np.ndarray  # [k]
    bse: np.ndarray  # [k] robust standard errors
    df_resid: float
    rsquared: float
    cov_type: str


def _fit_ols(y: np.ndarray, x: np.ndarray, cfg: ElasticityConfig):
    if cfg.cov_type == "HAC":
        import statsmodels.api as sm

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": cfg.effective_hac_lags})
    return fit_ols_robust(y, x)


def fit_ols_robust(y: np.ndarray, x: np.ndarray) -> OLSFit:
    """OLS with HC3 standard errors, HC1 where a leverage of 1 leaves HC3 undefined (a period alone in its month),
    computed as statsmodels does (pseudo-inverse, df_resid = n - rank, centred R²) in numpy: a first Pricing page
    on a shop of 4,000 products spent more time importing statsmodels than in all its regressions."""
    n = len(y)
    pinv = np.linalg.pinv(x)  # [k, n] = (X'X)^-1 X'
    params = pinv @ y
    resid = y - x @ params
    df_resid = float(n - np.linalg.matrix_rank(x))
    leverage = np.einsum("ij,ji->i", x, pinv)  # [n] diagonal of the hat matrix
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = resid**2 / (1.0 - leverage) ** 2
        bse = np.sqrt(np.diag(pinv @ (scale[:, None] * pinv.T)))
        cov_type = "HC3"
        # A leverage of 1 (to rounding) makes HC3's e²/(1-h)² a ratio of two rounding errors: statsmodels returns
        # whatever number that gives (or inf); here it is HC1, as the old fallback meant.
        if not np.isfinite(bse[1]) or leverage.max() > 1.0 - 1e-9:
            scale = resid**2 * (n / df_resid) if df_resid > 0 else np.full(n, np.nan)
            bse = np.sqrt(np.diag(pinv @ (scale[:, None] * pinv.T)))
            cov_type = "HC1"
        centred = float(np.sum((y - y.mean()) ** 2))
        rsquared = 1.0 - float(resid @ resid) / centred if centred > 0 else np.nan
    return OLSFit(params, bse, df_resid, rsquared, cov_type)


def year_window_start(panel: PricePanel, cfg: ElasticityConfig) -> np.datetime64 | None:
    """First period of the last year's window when the data cover a whole year (and ``cfg.year_baseline``), else None."""
    if not cfg.year_baseline:
        return None
    first = baseline_window_start(panel.end, 364 if cfg.freq == "D" else 52, cfg.freq)
    return first if np.datetime64(pd.Timestamp(panel.start).normalize()) <= first else None


def estimate_elasticities(
    panel: PricePanel,
    config: ElasticityConfig | None = None,
    products: list[str] | None = None,
    progress: ProgressSink | None = None,
    second_opinion: bool = False,
) -> pd.DataFrame:
    """One row per product: the ElasticityEstimate fields plus name, unit_cost and confidence (and
    ``ml_elasticity``, the gradient-boosting model's implied elasticity, with ``second_opinion``).

    ``progress`` gets "elasticity" events (products done of all, every 25 products and at the end); once
    ``progress.stop`` is set no further product is fitted and the table holds those done so far.

    Products that sold but never at a valid price are listed as not estimable with reason ``no_price``.
    """
    cfg = (config or ElasticityConfig(freq=panel.freq)).validate()
    if cfg.freq != panel.freq:
        cfg = replace(cfg, freq=panel.freq)
    frame = panel.frame
    ids = frame["product_id"].to_numpy()
    bounds: dict[str, tuple[int, int]] = {}
    if len(ids):
        cuts = np.flatnonzero(ids[1:] != ids[:-1]) + 1
        starts, ends = np.r_[0, cuts], np.r_[cuts, len(ids)]
        bounds = {str(ids[a]): (int(a), int(b)) for a, b in zip(starts, ends, strict=True)}
    columns = {c: frame[c].to_numpy() for c in ("period", "units", "price", "promo")}
    calendar = calendar_features(columns["period"], panel.start)
    window_start = baseline_window_start(panel.end, cfg.effective_baseline_periods, cfg.freq)
    year_start = year_window_start(panel, cfg)
    wanted = products if products is not None else panel.products
    rows = []
    # Many small regressions: a multi-threaded BLAS only fights the other threads of a shared machine.
    with one_blas_thread():
        _fit_all(wanted, bounds, columns, calendar, (window_start, year_start), cfg, panel, rows, as_progress(progress))
    table = pd.DataFrame(rows, columns=[*ElasticityEstimate.__dataclass_fields__, "confidence"])
    table.insert(1, "name", [panel.names.get(p, "") for p in table["product_id"]])
    table["unit_cost"] = [panel.unit_cost.get(p, np.nan) for p in table["product_id"]]
    if second_opinion:
        from ml.pricing.demand import implied_elasticity

        table["ml_elasticity"] = [
            implied_elasticity(frame.iloc[bounds[p][0]:bounds[p][1]], panel.start, cfg) if s == OK else np.nan
            for p, s in zip(table["product_id"], table["status"], strict=True)
        ]
    return table


def _fit_all(wanted, bounds, columns, calendar, windows, cfg, panel, rows, progress: Progress) -> None:
    """Each wanted product's estimate appended to ``rows`` (progress every 25 products and at the end). Under HC3
    the regressions of a block of products run at once (``ml.pricing.batched``); the same estimates."""
    block = BLOCK_PRODUCTS if cfg.cov_type == "HC3" else 1
    for begin in range(0, len(wanted), block):
        if progress.stopped:
            break
        models, fitted = [], []
        for pid in wanted[begin:begin + block]:
            model = ElasticityModel(cfg)
            if pid not in bounds:
                model.estimate_, data = ElasticityEstimate(pid, NOT_ESTIMABLE, "no_price"), None
            else:
                a, b = bounds[pid]
                data = model.prepare(*(columns[c][a:b] for c in ("period", "units", "price", "promo")),
                                     product_id=pid, start=panel.start, end=panel.end,
                                     current_price=panel.current_price.get(pid),
                                     calendar={k: v[a:b] for k, v in calendar.items()},
                                     window_start=windows[0], year_start=windows[1])
            models.append((model, data))
            if data is not None:
                fitted.append(data)
        if block > 1 and fitted:
            from ml.pricing.batched import regress_many

            outcomes = iter(regress_many(fitted, cfg))
        else:
            outcomes = iter(_one(data, cfg) for data in fitted)
        for i, (model, data) in enumerate(models, start=begin):
            if progress.stopped:
                break
            if data is not None:
                model.finish(data, *next(outcomes))
            rows.append(model.estimate_.to_dict())
            if i % 25 == 0 or i == len(wanted) - 1:
                progress.report("elasticity", i + 1, len(wanted))


def _one(data: Observations, cfg: ElasticityConfig) -> tuple[list[str], OLSFit | str]:
    x, names = design_matrix(data.periods, data.price, data.promo, data.start, cfg, data.calendar)
    return names, regress(x, np.log(data.units), np.log(data.price), cfg)

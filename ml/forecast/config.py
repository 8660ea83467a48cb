"""Typed settings of the neural forecaster, the named presets that reproduce the seed articles, and the checks
of a configuration against the data it will be trained on.

Everything here is plain Python: importing it never imports Keras.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from ml.schema import ConfigError

ModelType = Literal["lstm", "stacked_lstm", "gru", "rnn", "cnn"]
ScalerKind = Literal["window_mean", "minmax", "standard"]
HeadKind = Literal["direct", "recursive"]
LossKind = Literal["mae", "mse", "huber"]
BaselineKind = Literal["none", "seasonal_mean"]
CombineKind = Literal["none", "ets", "ets_model", "ets_arima", "ets_arima_snaive", "ets_arima_snaive_snaive2"]
ScheduleKind = Literal["constant", "cosine"]
FutureFitKind = Literal["retrain", "holdout_model"]

MODEL_TYPES: tuple[str, ...] = ("lstm", "stacked_lstm", "gru", "rnn", "cnn")
SCALERS: tuple[str, ...] = ("window_mean", "minmax", "standard")
HEADS: tuple[str, ...] = ("direct", "recursive")
LOSSES: tuple[str, ...] = ("mae", "mse", "huber")
BASELINE_KINDS: tuple[str, ...] = ("none", "seasonal_mean")
COMBINE_KINDS: tuple[str, ...] = ("none", "ets", "ets_model", "ets_arima", "ets_arima_snaive",
                                  "ets_arima_snaive_snaive2")
# the models a combination can blend the network with; "snaive2" is the mean of the same period one and two seasons
# earlier (baselines.two_season_mean)
PARTNERS: tuple[str, ...] = ("ets", "arima", "snaive", "snaive2")
# the partners of each combine kind, in the order of the blend's shares (after the network's); "ets" of the kind "ets"
# is the fast built-in smoother, the others are the scorecard's own models
COMBINE_PARTNERS: dict[str, tuple[str, ...]] = {"none": (), "ets": ("ets",), "ets_model": ("ets",),
                                                "ets_arima": ("ets", "arima"),
                                                "ets_arima_snaive": ("ets", "arima", "snaive"),
                                                "ets_arima_snaive_snaive2": ("ets", "arima", "snaive", "snaive2")}
SCHEDULES: tuple[str, ...] = ("constant", "cosine")
FUTURE_FITS: tuple[str, ...] = ("retrain", "holdout_model")
# The improvements that wrap around the analyst's network; the Forecast form's "Improvements" expander
# and the CLI expose exactly these fields.
LEVERS: tuple[str, ...] = ("baseline", "fourier_order", "combine", "combine_shrink", "ensemble", "lr_schedule",
                           "warm_start_epochs", "global_batch_size", "future_fit", "window_stride", "global_patience")

# The plain network, without any lever: a run or bundle whose config lacks these fields is read back with these
# values, so it rebuilds the network it was trained as and forecasts what it forecast when saved.
LEGACY_LEVERS: dict[str, Any] = {"baseline": "none", "fourier_order": 0, "combine": "none", "combine_shrink": 0.0,
                                 "ensemble": 1, "lr_schedule": "constant", "warm_start_epochs": 0, "global_batch_size": 0,
                                 "future_fit": "retrain", "window_stride": 1, "global_patience": 0}

# Bounds a configuration must respect (also used to validate bundles loaded from disk).
BOUNDS: dict[str, tuple[float, float]] = {
    "window": (2, 1000),
    "horizon": (1, 366),
    "layers": (1, 8),
    "units": (1, 1024),
    "dropout": (0.0, 0.9),
    "epochs": (1, 1000),
    "batch_size": (1, 4096),
    "learning_rate": (1e-6, 1.0),
    "patience": (0, 1000),
    "validation_split": (0.0, 0.5),
    "dense_units": (0, 4096),
    "kernel_size": (1, 64),
    "pool_size": (1, 16),
    "seed": (0, 2**31 - 1),
    "fourier_order": (0, 10),
    "combine_shrink": (0.0, 1.0),
    "ensemble": (1, 10),
    "warm_start_epochs": (0, 1000),
    "global_batch_size": (0, 4096),
    "window_stride": (1, 64),
    "global_patience": (0, 1000),
}

# A global model's larger batch (global_batch_size) is only taken while an epoch still has this many steps.
MIN_STEPS_PER_EPOCH = 100

# The validation split of the weekly default (default_config): the last quarter of the training windows.
WEEKLY_VALIDATION_SPLIT = 0.25

# A series needs at least this many training windows (after holding out what evaluation holds out).
MIN_TRAINING_WINDOWS = 10


@dataclass(frozen=True)
class ForecastConfig:
    """Hyperparameters of one neural forecaster.

    The defaults follow the recipe in PERF_NOTES that beat seasonal naive and ETS on the real shop series
    (one LSTM(64) layer, window 56, inputs scaled by each window's mean, day-of-week features for the window and
    the days ahead, a direct multi-step head, MAE loss, early stopping) and train in well under 15 s on a
    two-year daily series on a 2-core CPU. ``default_config(freq)`` adapts window and horizon to weekly and
    monthly data.
    """

    model_type: ModelType = "lstm"
    window: int = 56  # look-back length, in periods
    horizon: int = 28  # periods forecast at once
    layers: int = 1  # recurrent layers (cnn: Conv1D + MaxPooling1D blocks)
    units: int = 64  # units per recurrent layer (cnn: filters per Conv1D)
    dropout: float = 0.0
    epochs: int = 60
    batch_size: int = 32
    learning_rate: float = 1e-3
    patience: int = 8  # early stopping on validation loss, best weights restored; 0 disables it
    validation_split: float = 0.15  # last fraction of each series' training windows, chronologically
    scaler: ScalerKind = "window_mean"
    loss: LossKind = "mae"
    head: HeadKind = "direct"  # direct: Dense(horizon); recursive: Dense(1) fed back horizon times
    dense_units: int = 0  # optional Dense(relu) layer before the head (cnn preset: 64)
    kernel_size: int = 3  # cnn only
    pool_size: int = 2  # cnn only
    day_of_week: bool = True
    month: bool = False
    quarter: bool = False
    week_of_year: bool = False
    holiday: bool = False  # see ml.forecast.features.HOLIDAYS_DOC for the built-in list
    use_covariates: bool = True  # price / promo columns when present (inputs of the look-back window only)
    global_model: bool = True  # one model across all series (per-series scaling) vs one model per series
    seed: int = 42
    # ---- improvements around the network (what trains is still the layers/units/window/epochs above)
    baseline: BaselineKind = "seasonal_mean"  # the network learns the residual over the window's seasonal mean
    fourier_order: int = 2  # yearly sine/cosine pairs, known for the window and the days ahead; 0 = none; used
    # only when the longest series holds 1.5 years (forecaster.FOURIER_MIN_YEARS): the fitted model's config says
    # blend with the scorecard's statsmodels ETS and ARIMA ("ets_arima"), those and its seasonal naive
    # ("ets_arima_snaive"), those and the mean of the last two seasons ("ets_arima_snaive_snaive2", the weekly
    # default), its ETS alone ("ets_model") or the fast built-in smoother ("ets"), the
    # shares chosen per series on the validation windows (bench/RESULTS.md, issue 18); the network alone stays on the
    # scorecard beside the blend
    combine: CombineKind = "ets_arima"
    combine_shrink: float = 0.0  # the validation-chosen shares are moved this fraction of the way to equal shares
    ensemble: int = 1  # networks trained with seeds seed, seed+1, ...; their forecasts are averaged
    lr_schedule: ScheduleKind = "constant"  # cosine: learning rate decays to 5% over the epochs
    warm_start_epochs: int = 3  # future fit continues the holdout model for this many epochs; 0 = refit from scratch
    global_batch_size: int = 0  # batch of a global model over several series, up to windows / 100; 0 = batch_size
    # the future forecast: "retrain" trains on every row first (warm start above, or from scratch when 0);
    # "holdout_model" forecasts from the latest window with the holdout model as it is (no further epochs)
    future_fit: FutureFitKind = "retrain"
    window_stride: int = 1  # a global model over several series trains on every k-th window of each series
    # early-stopping patience of a global model over several series, at most ``patience``; 0 = ``patience``. Its
    # epoch passes over every series' windows (21,000 on the 40-product sample against ~550 for one 2-year series),
    # so 3 of its epochs see far more than 8 of one series' (bench/RESULTS.md, "Time, third pass")
    global_patience: int = 3

    def replace(self, **changes: Any) -> ForecastConfig:
        """A copy with some fields changed (validated)."""
        new = dataclasses.replace(self, **changes)
        new.validate()
        return new

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ForecastConfig:
        """Build and validate a config from plain data (e.g. a bundle's JSON); unknown keys are refused."""
        if not isinstance(data, dict):
            raise ConfigError("forecast.error.invalid_setting", setting="config", value=type(data).__name__)
        known = {f.name: f for f in dataclasses.fields(cls)}
        for key in data:
            if key not in known:
                raise ConfigError("forecast.error.invalid_setting", setting=str(key), value=data[key])
        kwargs: dict[str, Any] = {k: v for k, v in LEGACY_LEVERS.items() if k not in data}
        for key, value in data.items():
            default = getattr(cls, key, None)
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ConfigError("forecast.error.invalid_setting", setting=key, value=value)
            elif isinstance(default, int):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ConfigError("forecast.error.invalid_setting", setting=key, value=value)
            elif isinstance(default, float):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ConfigError("forecast.error.invalid_setting", setting=key, value=value)
                value = float(value)
            elif not isinstance(value, str):
                raise ConfigError("forecast.error.invalid_setting", setting=key, value=value)
            kwargs[key] = value
        config = cls(**kwargs)
        config.validate()
        return config

    def validate(self) -> None:
        """Check each setting on its own (types, allowed values, bounds); raises ConfigError."""
        choices = {"model_type": MODEL_TYPES, "scaler": SCALERS, "head": HEADS, "loss": LOSSES,
                   "baseline": BASELINE_KINDS, "combine": COMBINE_KINDS, "lr_schedule": SCHEDULES,
                   "future_fit": FUTURE_FITS}
        for name, allowed in choices.items():
            value = getattr(self, name)
            if value not in allowed:
                raise ConfigError(
                    "forecast.error.invalid_choice", setting=name, value=value, allowed=", ".join(allowed)
                )
        for name, (low, high) in BOUNDS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
                raise ConfigError("forecast.error.invalid_setting", setting=name, value=value)
            if not low <= value <= high:
                raise ConfigError("forecast.error.out_of_range", setting=name, value=value, low=low, high=high)
        if self.model_type == "stacked_lstm" and self.layers < 2:
            raise ConfigError("forecast.error.stacked_needs_layers", layers=self.layers)
        if self.model_type == "cnn":
            # every Conv1D(valid) + MaxPooling1D block shrinks the sequence; the last one must keep >= 1 step
            length = self.window
            for _ in range(self.layers):
                length = (length - self.kernel_size + 1) // self.pool_size
            if length < 1:
                raise ConfigError(
                    "forecast.error.cnn_window_too_short", window=self.window, layers=self.layers,
                    kernel_size=self.kernel_size, pool_size=self.pool_size,
                )

    def training_batch(self, windows: int, series: int) -> int:
        """The batch one network trains with: ``batch_size``, except for a global model over several series, which
        takes up to ``global_batch_size`` while an epoch keeps at least MIN_STEPS_PER_EPOCH steps. Off by default:
        on the 40-product sample 128 kept the accuracy, but its time gain was not shown (bench/RESULTS.md, "Time")."""
        if not self.global_model or series < 2 or self.global_batch_size <= self.batch_size:
            return self.batch_size
        return max(self.batch_size, min(self.global_batch_size, windows // MIN_STEPS_PER_EPOCH))

    def training_stride(self, series: int) -> int:
        """Every how many windows of each series a network trains on: ``window_stride`` for a global model over
        several series (its neighbouring windows overlap in all but one row), else 1 (every window)."""
        return self.window_stride if self.global_model and series >= 2 else 1

    def training_patience(self, series: int) -> int:
        """The early-stopping patience one network trains with: ``patience``, except for a global model over several
        series, which stops after ``global_patience`` epochs without a better validation loss when that is fewer
        (0 = ``patience``; ``patience`` 0 keeps early stopping off)."""
        if not self.global_model or series < 2 or not self.global_patience or not self.patience:
            return self.patience
        return min(self.patience, self.global_patience)

    @property
    def output_steps(self) -> int:
        """Width of the network's output layer."""
        return self.horizon if self.head == "direct" else 1


@dataclass(frozen=True)
class Preset:
    """A named configuration, with where it comes from."""

    name: str
    description: str
    config: ForecastConfig
    source: str = ""
    notes: list[str] = field(default_factory=list)


def default_config(freq: str = "D", **changes: Any) -> ForecastConfig:
    """Sensible defaults for a frequency ('D', 'W…' or 'MS'), with optional overrides."""
    base = ForecastConfig()
    kind = frequency_kind(freq)
    if kind == "W":
        # a 26-week window holds no whole yearly season, so there is no seasonal mean to learn over. Weekly histories
        # are short (2-3 years): the last 25% of the windows (WEEKLY_VALIDATION_SPLIT), not 15%, are kept for early
        # stopping and for choosing the blend's shares, so the choice rests on more origins; the blend may also give
        # the yearly seasonal naive a share, the baseline weekly retail data is hardest to beat, and the mean of the
        # same week in the last two years, which halves a steady profile's noise (bench/RESULTS.md, issue 18:
        # "seasonal naive as a partner", "the mean of the last two years as a fifth share")
        base = dataclasses.replace(base, window=26, horizon=8, day_of_week=False, week_of_year=True, baseline="none",
                                   validation_split=WEEKLY_VALIDATION_SPLIT, combine="ets_arima_snaive_snaive2")
    elif kind == "M":
        base = dataclasses.replace(base, window=12, horizon=6, day_of_week=False, month=True, batch_size=16)
    config = dataclasses.replace(base, **changes)
    config.validate()
    return config


def frequency_kind(freq: str) -> str:
    """'D', 'W' or 'M' for a pandas frequency string ('D', 'W-SUN', 'W-MON', 'MS'); ConfigError otherwise."""
    f = str(freq).upper()
    if f == "D":
        return "D"
    if f == "W" or f.startswith("W-"):
        return "W"
    if f in ("MS", "M", "ME"):
        return "M"
    raise ConfigError("forecast.error.unsupported_frequency", freq=freq)


def season_length(freq: str) -> int:
    """Season length used by seasonal baselines and MASE: 7 (daily), 52 (weekly), 12 (monthly)."""
    return {"D": 7, "W": 52, "M": 12}[frequency_kind(freq)]


_ARTICLE_EPOCHS_NOTE = "The article trains 100 epochs; early stopping (patience 10) usually ends far sooner."

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            name="saleslens_default",
            description="SalesLens default: LSTM(64), window 56, per-window mean scaling, day-of-week features, "
            "direct 28-day head, MAE loss, early stopping. Fast and competitive with ETS on real shop data.",
            config=ForecastConfig(),
            source="PERF_NOTES recipe",
        ),
        Preset(
            name="seed_stacked_lstm",
            description="Article 'LSTM for e-commerce sales forecasting': LSTM(50) x3 stacked, Dense(1) fed back "
            "recursively, calendar features (day of week, month, quarter, week of year), adam, MSE, batch 32.",
            config=ForecastConfig(
                model_type="stacked_lstm", layers=3, units=50, head="recursive", loss="mse", epochs=100,
                patience=10, batch_size=32, day_of_week=True, month=True, quarter=True, week_of_year=True,
            ),
            source="SEEDS.md, article 1",
            notes=[_ARTICLE_EPOCHS_NOTE],
        ),
        Preset(
            name="market_trend_lstm",
            description="Article 'AI models for market-trend prediction': MinMax(0, 1) scaling, window 60, "
            "LSTM(100) x2, Dense(1) fed back recursively, adam, MSE, batch 32, no calendar features.",
            config=ForecastConfig(
                model_type="lstm", layers=2, units=100, window=60, scaler="minmax", head="recursive",
                loss="mse", epochs=100, patience=10, batch_size=32, day_of_week=False,
            ),
            source="SEEDS.md, article 2",
            notes=[_ARTICLE_EPOCHS_NOTE, "Guidance from the article: units 100-500, lr 0.001-0.01, batch 32-256."],
        ),
        Preset(
            name="big_data_cnn",
            description="Article 'Deep learning in e-commerce big-data analysis': Conv1D(32, kernel 3, relu) -> "
            "MaxPooling1D(2) -> Flatten -> Dense(64, relu) -> Dense(1) fed back recursively, adam, MSE, batch 32.",
            config=ForecastConfig(
                model_type="cnn", layers=1, units=32, kernel_size=3, pool_size=2, dense_units=64,
                head="recursive", loss="mse", epochs=100, patience=10, batch_size=32, window=30,
                scaler="minmax", day_of_week=False,
            ),
            source="SEEDS.md, article 3",
            notes=[_ARTICLE_EPOCHS_NOTE, "The article holds out the last 10 points; SalesLens holds out the horizon."],
        ),
        Preset(
            name="behaviour_lstm",
            description="Article 'Deep learning applications in e-commerce': a single LSTM(50) -> Dense(1), "
            "adam, MSE, fed back recursively.",
            config=ForecastConfig(
                model_type="lstm", layers=1, units=50, head="recursive", loss="mse", epochs=100, patience=10,
                scaler="minmax", day_of_week=False,
            ),
            source="SEEDS.md, article 4",
            notes=[_ARTICLE_EPOCHS_NOTE],
        ),
        Preset(
            name="simple_rnn",
            description="Article 'RNNs in e-commerce': SimpleRNN(64, tanh), adam, batch 32, 10 epochs. The article "
            "predicts the next product with a softmax; here the same recurrent core forecasts sales.",
            config=ForecastConfig(model_type="rnn", layers=1, units=64, epochs=10, patience=0, loss="mse"),
            source="SEEDS.md, article 5",
        ),
        Preset(
            name="gru",
            description="GRU(64) in place of the default LSTM (article 5 compares SimpleRNN, LSTM and GRU).",
            config=ForecastConfig(model_type="gru"),
            source="SEEDS.md, article 5",
        ),
    ]
}


def get_preset(name: str, freq: str = "D", **changes: Any) -> ForecastConfig:
    """The config of a preset, with window/horizon adapted for weekly or monthly data when not overridden."""
    if name not in PRESETS:
        raise ConfigError("forecast.error.unknown_preset", name=name, allowed=", ".join(PRESETS))
    config = PRESETS[name].config
    kind = frequency_kind(freq)
    if kind != "D":
        adapted = default_config(freq)
        # a preset that keeps the default validation split takes the frequency's (25% of the windows on weekly data)
        split = adapted.validation_split if config.validation_split == ForecastConfig.validation_split else config.validation_split
        # likewise the blend: a preset with the default partners takes the frequency's (weekly: also seasonal naive)
        combine = adapted.combine if config.combine == ForecastConfig.combine else config.combine
        config = dataclasses.replace(
            config, window=min(config.window, adapted.window), horizon=adapted.horizon, day_of_week=False,
            validation_split=split, combine=combine,
        )
    config = dataclasses.replace(config, **changes)
    config.validate()
    return config

"""Fast additive exponential smoothing (Holt-Winters with an optional damped trend), the partner the network is
combined with when ``ForecastConfig.combine == "ets"``.

Why not the statsmodels ETS of the scorecard: that costs 1-6 s a series on this CPU (three candidate models by
maximum likelihood), and the combination needs forecasts from every validation origin, for every series of a
global model. Here the smoothing parameters come from a fixed grid (84 candidates, run side by side in NumPy),
chosen by the one-step squared error on the rows before the validation windows only; one filtering pass then gives
the h-step forecast from any origin. About 20 ms for a 730-day series.

State equations (error-correction form; season length m, phase t mod m)::

    yhat_t = l + phi * b + s[t mod m];   e = y_t - yhat_t
    l <- l + phi * b + alpha * e;   b <- phi * b + beta * e;   s[t mod m] <- s[t mod m] + gamma * e
    forecast from origin o, step h: l + (phi + ... + phi^h) * b + s[(o + h - 1) mod m]

Errors are clipped to 5x the mean absolute seasonal difference of the fitting rows before they update the state
(a Huber-type robust smoother), so a one-off spike does not move the level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ALPHAS = (0.02, 0.05, 0.1, 0.2, 0.35, 0.6, 0.9)
GAMMAS = (0.0, 0.05, 0.15)
TRENDS = ((0.0, 0.0), (0.02, 0.9), (0.1, 0.9), (0.02, 0.98))  # (beta, phi); (0, 0) = no trend
CLIP_FACTOR = 5.0


@dataclass(frozen=True)
class SmootherParams:
    alpha: float
    beta: float
    gamma: float
    phi: float
    m: int
    clip: float = np.inf  # errors are clipped to +-clip before they update the state (robust to one-off spikes)

    def to_dict(self) -> dict[str, float]:
        return {"alpha": self.alpha, "beta": self.beta, "gamma": self.gamma, "phi": self.phi, "m": self.m,
                "clip": self.clip}

    @classmethod
    def from_dict(cls, data: dict) -> SmootherParams:
        clip = float(data["clip"])
        if not clip > 0:
            raise ValueError("clip must be positive")
        return cls(float(data["alpha"]), float(data["beta"]), float(data["gamma"]), float(data["phi"]),
                   int(data["m"]), clip)


def _season(y: np.ndarray, m: int) -> int:
    """The season length actually used: m when one whole season to start from and a quarter of another to adjust
    it are there (a yearly season of weekly data then starts as 'last year's deviation'), else 1 (no season)."""
    return m if m >= 2 and len(y) >= m + max(2, m // 4) else 1


def _clip_scale(y: np.ndarray, m: int) -> float:
    """CLIP_FACTOR x the mean absolute seasonal difference of y (the MASE scale): an error larger than that is a
    one-off (a huge order cancelled the same day), not news about the level."""
    lag = m if len(y) > m else 1
    scale = float(np.mean(np.abs(y[lag:] - y[:-lag]))) if len(y) > lag else 0.0
    return CLIP_FACTOR * scale if scale > 0 else 1e300  # finite: it is saved in JSON bundles


def _run(y: np.ndarray, alpha: np.ndarray, beta: np.ndarray, gamma: np.ndarray, phi: np.ndarray, m: int,
         fit_end: int, clip: float = np.inf, origins: np.ndarray | None = None,
         horizon: int = 0) -> tuple[np.ndarray, np.ndarray | None]:
    """Filter y with C parameter sets at once: (one-step SSE over [m, fit_end) [C], forecasts [C, origins, h])."""
    c = len(alpha)
    level0 = float(np.mean(y[:m]))
    level = np.full(c, level0)
    trend = np.zeros(c)
    season = np.tile(y[:m] - level0, (c, 1))  # [C, m], column = phase
    sse = np.zeros(c)
    wanted = {} if origins is None else {int(o): i for i, o in enumerate(origins)}
    out = None if origins is None else np.zeros((c, len(origins), horizon))
    steps = np.arange(1, horizon + 1)
    damp = np.cumsum(phi[:, None] ** steps[None, :], axis=1) if horizon else None  # [C, h]

    def record(origin: int) -> None:
        phases = (origin + steps - 1) % m
        out[:, wanted[origin], :] = level[:, None] + damp * trend[:, None] + season[:, phases]

    for t in range(m, len(y)):
        if t in wanted:
            record(t)
        phase = t % m
        err = np.clip(y[t] - (level + phi * trend + season[:, phase]), -clip, clip)
        if t < fit_end:
            sse += err * err
        level = level + phi * trend + alpha * err
        trend = phi * trend + beta * err
        season[:, phase] += gamma * err
    if len(y) in wanted:
        record(len(y))
    return sse, out


def fit_smoother(y: np.ndarray, m: int, fit_end: int | None = None) -> SmootherParams:
    """Pick the grid's parameters with the lowest one-step squared error on y[:fit_end] (all rows by default)."""
    y = np.asarray(y, dtype=np.float64)
    fitted = y[:fit_end] if fit_end else y
    m = _season(fitted, m)
    clip = _clip_scale(fitted, m)
    grid = [(a, b, g if m > 1 else 0.0, p) for a in ALPHAS for g in (GAMMAS if m > 1 else (0.0,))
            for b, p in TRENDS]
    alpha, beta, gamma, phi = (np.array(v) for v in zip(*grid, strict=True))
    sse, _ = _run(y, alpha, beta, gamma, phi, m, len(y) if fit_end is None else fit_end, clip)
    best = int(np.argmin(sse))
    return SmootherParams(float(alpha[best]), float(beta[best]), float(gamma[best]), float(phi[best]), m, clip)


def smoother_forecasts(y: np.ndarray, params: SmootherParams, horizon: int, origins: np.ndarray) -> np.ndarray:
    """[len(origins), horizon]: the forecast made after seeing y[:o] for each origin o (m <= o <= len(y)).

    Origins before the first season has been seen get the mean of what is there."""
    y = np.asarray(y, dtype=np.float64)
    origins = np.asarray(origins, dtype=int)
    m = params.m if len(y) >= params.m + 1 else 1
    early = origins < max(m, 1)
    valid = origins[~early]
    result = np.zeros((len(origins), horizon))
    if len(valid):
        _, out = _run(y, *(np.array([v]) for v in (params.alpha, params.beta, params.gamma, params.phi)), m,
                      fit_end=0, clip=params.clip, origins=valid, horizon=horizon)
        result[~early] = out[0]
    for i in np.flatnonzero(early):
        result[i] = float(np.mean(y[:max(origins[i], 1)]))
    return result

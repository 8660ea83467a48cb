"""The elasticity interval is estimate ± t-quantile × standard error at the regression's residual degrees of freedom:
its width checked against the standard error for the stated confidence, on the smallest design allowed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import t as student

from ml.pricing import OK, ElasticityConfig, ElasticityModel


def _weekly_fit(n_weeks: int, confidence: float, seed: int = 0) -> ElasticityModel:
    rng = np.random.default_rng(seed)
    periods = pd.date_range("2025-01-06", periods=n_weeks, freq="W-MON").to_numpy()
    price = np.array([8.0, 9.0, 10.0, 11.0, 12.0])[np.arange(n_weeks) % 5]
    units = 300 * (price / 10) ** -2.0 * rng.lognormal(0, 0.15, n_weeks)
    config = ElasticityConfig(freq="W", controls=("trend",), min_obs=4, confidence=confidence)
    return ElasticityModel(config).fit_arrays(periods, units, price, np.zeros(n_weeks), "X")


@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95])
@pytest.mark.parametrize("n_weeks", [8, 10, 60])
def test_interval_half_width_is_the_t_quantile_times_the_standard_error(n_weeks, confidence):
    model = _weekly_fit(n_weeks, confidence)
    est = model.estimate_
    assert est.status == OK
    dof = n_weeks - 3  # const, log price, trend
    assert model.result_.df_resid == dof
    half = (est.ci_high - est.ci_low) / 2
    assert est.ci_low < est.elasticity < est.ci_high
    assert half / est.std_error == pytest.approx(student.ppf(0.5 + confidence / 2, dof), rel=1e-9)


def test_smallest_design_is_not_given_a_normal_width():
    """5 residual degrees of freedom: t(0.975) = 2.571, the normal 1.960 would be 31% too narrow."""
    est = _weekly_fit(8, 0.95).estimate_
    assert (est.ci_high - est.ci_low) / (2 * est.std_error) > 2.5

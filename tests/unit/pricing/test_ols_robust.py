"""The numpy least squares behind the elasticities gives statsmodels' numbers: estimates, HC3 standard errors (HC1
where a leverage of 1 leaves HC3 undefined), residual degrees of freedom and R², on designs like the pricing ones."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.stats import t as student

from ml.pricing.elasticity import _t_quantile, fit_ols_robust


def _design(n: int, seed: int, lone_month: bool = False) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    log_price = np.log(rng.choice([8.0, 9.0, 10.0, 11.0], n))
    month = np.arange(n) % 4
    if lone_month:
        month[0] = 4  # one period alone in its month: leverage 1
    dummies = (month[:, None] == np.arange(1, month.max() + 1)[None, :]).astype(float)
    x = np.column_stack([np.ones(n), log_price, np.arange(n) / 52, dummies])
    y = 5 - 2.0 * log_price + rng.normal(0, 0.2, n)
    return y, x


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n", [12, 40])
def test_matches_statsmodels_hc3(n, seed):
    y, x = _design(n, seed)
    ours, theirs = fit_ols_robust(y, x), sm.OLS(y, x).fit(cov_type="HC3")
    assert ours.cov_type == "HC3"
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(ours.bse, theirs.bse, rtol=1e-7)
    assert ours.df_resid == theirs.df_resid and ours.rsquared == pytest.approx(theirs.rsquared, rel=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_falls_back_to_hc1_where_a_leverage_of_one_leaves_hc3_undefined(seed):
    # statsmodels' HC3 here is e²/(1-h)² of two rounding errors: finite noise on some seeds, inf on others
    y, x = _design(20, seed, lone_month=True)
    ours = fit_ols_robust(y, x)
    assert ours.cov_type == "HC1"
    np.testing.assert_allclose(ours.bse, sm.OLS(y, x).fit(cov_type="HC1").bse, rtol=1e-6)


@pytest.mark.parametrize("dof", [3.0, 9.0, 57.0])
def test_t_quantile_is_students(dof):
    assert _t_quantile(0.95, dof) == pytest.approx(student.ppf(0.975, dof), rel=1e-10)

"""Conformal intervals reach their nominal coverage on data with known Gaussian noise."""

import numpy as np
import pytest

from ml.forecast.intervals import cross_conformal_coverage, fit_conformal, min_calibration_size


def test_conformal_width_matches_gaussian_quantile_and_covers():
    rng = np.random.default_rng(0)
    horizon = 5
    sigma = np.linspace(1.0, 3.0, horizon)  # uncertainty grows with the step
    calib = rng.normal(0, 1, (4000, horizon)) * sigma
    widths = fit_conformal(calib, 0.9)
    assert widths.reliable
    # |N(0, s)| 90% quantile = 1.6449 s. Over rng seeds 0-9: largest relative width error 0.011-0.035 (rtol 0.06),
    # achieved coverage 0.895-0.904 (abs 0.015)
    np.testing.assert_allclose(widths.widths, 1.6449 * sigma, rtol=0.06)
    test = rng.normal(0, 1, (20000, horizon)) * sigma
    achieved = np.mean(np.abs(test) <= widths.widths)
    assert achieved == pytest.approx(0.9, abs=0.015)
    # the negative case: one width for every step (the last step's residuals everywhere) is not within the same bound
    assert not np.allclose(np.full(horizon, widths.widths[-1]), 1.6449 * sigma, rtol=0.06)


def test_apply_scales_by_window_level():
    widths = fit_conformal(np.array([[1.0, 2.0]] * 20), 0.8)
    lower, upper = widths.apply(np.array([[10.0, 10.0]]), np.array([3.0]))
    np.testing.assert_allclose(lower, [[7.0, 4.0]])
    np.testing.assert_allclose(upper, [[13.0, 16.0]])


def test_too_few_residuals_flagged_unreliable():
    assert min_calibration_size(0.9) == 9
    assert not fit_conformal(np.ones((3, 2)), 0.9).reliable
    assert fit_conformal(np.ones((9, 2)), 0.9).reliable


def test_cross_conformal_coverage_near_nominal():
    rng = np.random.default_rng(1)
    folds = [rng.normal(0, 2, (300, 4)) for _ in range(4)]
    # over rng seeds 0-9: 0.797-0.802 at level 0.8 (abs 0.03), 0.599-0.602 at level 0.6
    assert cross_conformal_coverage(folds, 0.8) == pytest.approx(0.8, abs=0.03)
    assert cross_conformal_coverage(folds, 0.6) != pytest.approx(0.8, abs=0.03)  # a narrower interval does not pass
    assert np.isnan(cross_conformal_coverage(folds[:1], 0.8))

"""Every demand model through one shared suite (as the recommenders' ``RecommenderSuite``): the log-log regression
(``ElasticityModel``, the estimate the page shows) and the gradient-boosting second opinion
(``GradientBoostingDemandModel``), each on one product's panel with a planted constant elasticity.

The contract: ``__init__`` only stores the config and ``fit`` returns self; the planted elasticity is recovered
within a measured tolerance, for inelastic and elastic products alike, so the products rank as planted; the row
order does not matter; a product sold at one price has no estimate; and estimating a panel with the model reports
progress events and stops when asked.
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

from ml.pricing.config import ElasticityConfig
from ml.pricing.demand import GradientBoostingDemandModel, implied_elasticity
from ml.pricing.elasticity import ElasticityModel, estimate_elasticities
from ml.pricing.panel import make_price_panel
from ml.progress import Progress
from tests.unit.pricing.conftest import constant_elasticity_lines

CONFIG = ElasticityConfig(freq="D")
PLANTED = (-0.8, -2.0, -3.0)


def panel_rows(elasticity: float, seed: int = 1, **kwargs) -> pd.DataFrame:
    """300 days of one product: five prices in turn, a promo every 9th day, lognormal noise (sd 0.15)."""
    lines = constant_elasticity_lines(elasticity, days=300, seed=seed, noise=0.15, promo_every=9, **kwargs)
    return make_price_panel(lines, "D").frame


class DemandModelSuite:
    """The contract every demand model keeps. ``tolerance``: the largest |estimate - planted| allowed, with the
    spread measured over noise seeds 0-5 beside it."""

    tolerance = 0.5

    def make(self):
        raise NotImplementedError

    def elasticity(self, model) -> float:
        raise NotImplementedError

    def estimate(self, rows: pd.DataFrame) -> float:
        raise NotImplementedError

    def test_init_stores_the_config_and_fit_returns_self(self):
        model = self.make()
        assert not [name for name in vars(model) if name.endswith("_")]  # nothing learned before fit
        assert model.fit(panel_rows(-2.0)) is model
        assert np.isfinite(self.elasticity(model))

    @pytest.mark.parametrize("planted", PLANTED)
    def test_recovers_the_planted_elasticity(self, planted):
        estimate = self.estimate(panel_rows(planted))
        assert abs(estimate - planted) <= self.tolerance, estimate

    def test_prices_unrelated_to_the_units_fail_the_same_tolerance(self):
        """The negative case: the same rows with the prices shuffled across days carry no price effect; the
        estimate must then miss the planted value by more than the tolerance."""
        rows = panel_rows(-2.0)
        blind = rows.assign(price=rows["price"].sample(frac=1.0, random_state=0).to_numpy())
        estimate = self.estimate(blind)
        # shuffled-price estimates over noise seeds 0-3 x shuffles 0-2: log-log -0.05..0.20, boosting -0.03..0.09
        assert not abs(estimate - -2.0) <= self.tolerance, estimate

    def test_products_rank_as_planted(self):
        estimates = [self.estimate(panel_rows(planted, seed=4)) for planted in PLANTED]
        assert estimates[0] > estimates[1] > estimates[2], estimates

    def test_row_order_does_not_matter(self):
        rows = panel_rows(-2.0, seed=2)
        shuffled = rows.sample(frac=1.0, random_state=0).reset_index(drop=True)
        assert self.estimate(shuffled) == pytest.approx(self.estimate(rows), abs=1e-6)

    def test_one_price_gives_no_estimate(self):
        lines = constant_elasticity_lines(-2.0, days=300, seed=1, noise=0.15, prices=(10.0,))  # no promo either
        assert np.isnan(self.estimate(make_price_panel(lines, "D").frame))

    def test_a_panel_reports_progress_and_stops_when_asked(self):
        lines = pd.concat([constant_elasticity_lines(-2.0, product=p, days=120, seed=i) for i, p in enumerate("ABC")],
                          ignore_index=True)
        panel = make_price_panel(lines, "D")
        seen: list = []
        table = estimate_elasticities(panel, CONFIG, progress=Progress(seen.append), second_opinion=self.second_opinion)
        assert [(e.step, e.done, e.total) for e in seen] == [("elasticity", 1, 3), ("elasticity", 3, 3)]
        assert len(table) == 3 and table[self.column].notna().all()
        stop = threading.Event()
        stopped = estimate_elasticities(panel, CONFIG, progress=Progress(lambda e: stop.set(), stop),
                                        second_opinion=self.second_opinion)
        assert list(stopped["product_id"]) == ["A"]  # the product in hand is finished, no further one starts


class TestLogLogRegression(DemandModelSuite):
    tolerance = 0.3  # measured |error| 0.002-0.088 over seeds 0-5 for each planted value
    second_opinion, column = False, "elasticity"

    def make(self):
        return ElasticityModel(CONFIG)

    def elasticity(self, model) -> float:
        return model.estimate_.elasticity

    def estimate(self, rows: pd.DataFrame) -> float:
        return ElasticityModel(CONFIG).fit(rows).estimate_.elasticity


class TestGradientBoosting(DemandModelSuite):
    tolerance = 0.5  # measured |error| 0.006-0.239 over seeds 0-5 for each planted value (biased towards 0)
    second_opinion, column = True, "ml_elasticity"

    def make(self):
        return GradientBoostingDemandModel(elasticity_config=CONFIG)

    def elasticity(self, model) -> float:
        return model.implied_elasticity_

    def estimate(self, rows: pd.DataFrame) -> float:
        return implied_elasticity(rows, elasticity_config=CONFIG)

"""Generate SalesLens' bundled sample dataset: two years of an online shop's transactions with planted truth.

Run from the repository root::

    python data/generate.py                 # writes data/sample_sales.csv.gz and data/sample_truth.json
    python data/generate.py --seed 7 --out /tmp/sample

or import it (tests build smaller datasets this way)::

    from data.generate import generate, write
    frame, truth = generate(seed=0, start="2024-01-01", end="2024-04-29", n_customers=300)

Everything is drawn from ``numpy.random.Generator`` objects spawned from one ``SeedSequence(seed)``, one per
component (catalogue, customers, campaigns, prices, demand, shoppers, complements, returns), so the same
arguments always give the same frame and the same bytes on disk, on any processor (see ``_settle`` and the
shoppers of the day; tests/unit/test_generate.py checks it).

The model
---------
Products. A fixed catalogue of 40 products, 8 in each of 5 categories (Coffee, Tea, Kitchenware, Snacks,
Personal care), ids ``P001``..``P040``. Descriptions reuse their category's vocabulary, so TF-IDF content
similarity groups products by category. ``n_products < 40`` keeps the first ``ceil(n/5)`` products of every
category (ids and per-product parameters do not change with ``n_products``).

Demand. For product ``p`` on day ``d`` (``t`` = days since ``start``) the expected number of units is::

    lambda[d, p] = base_level[p]
                   * trend(t)                                 # 1.15 ** (t / 365.25): +15 % a year, exponential
                   * weekly[weekday(d)]                       # Mon..Sun 0.85 0.85 0.90 0.95 1.05 1.25 1.15
                   * yearly(day_of_year(d))                   # exp(0.25 * cos(2*pi*(doy - 345) / 365.25))
                   * uplift[d, p]                             # campaign's extra multiplier on promo days, else 1
                   * (price[d, p] / reference_price[p]) ** elasticity[p]

Observed units come from order lines: the number of lines is ``Poisson(lambda / E[q] * G)`` with day-level
noise ``G ~ Gamma(shape=30, scale=1/30)`` (mild over-dispersion), and each line's quantity ``q`` is 1, 2, 3
or 4 with probabilities 0.76, 0.17, 0.05, 0.02 (``E[q] = 1.33``), so ``E[units] = lambda``.

Prices. Each product's regular price is a step function: a new level every 42..70 days, the level being
``reference_price * U(0.75, 1.25)`` rounded to a ``.x9`` ending (12.34 -> 12.29) and at least 5 % away
from the previous level; the first step starts at a random phase. On a campaign's days the products in its scope sell at
``round(regular * (1 - discount), 2)`` and ``Promo`` is 1. The promo effect on demand is therefore the price
cut through the elasticity times the extra ``uplift`` (1.30, the same for every campaign so that one promo
dummy captures it). All sales lines of one product on one day carry the same ``Unit Price``; a return
line carries the price of the sale it returns.

Campaigns. Six a year, on fixed calendar windows (Jan tea week, April snacks & personal care, July
shop-wide, September coffee week, October kitchenware, Black-Friday-to-Monday shop-wide); the discount
(0.10, 0.15, ..., 0.30) is drawn per campaign; discount and uplift are recorded per campaign.

Customers. ``n_customers`` customers (``C00001``...) in 4 segments with a known category preference
distribution (favourite category 0.55..0.60), a home region (North, South, East, West) and a log-normal
activity weight. Each category's base volume is ``sum_s share[s] * pref[s, category]`` of the shop's total,
so a segment's purchases follow its preference distribution. Each day a number of shoppers is drawn
(registered customers without replacement, proportional to activity, plus about 8.5 % guests whose orders
have no customer id); every order line of the day goes to one of the day's shoppers with probability
proportional to the shopper's segment preference for the line's category. A shopper's lines of the day form
one order (one Order ID, one timestamp); lines of the same product in one order are merged (quantities
summed), so no two rows of the file are identical. Complement purchases (below) move the realized category
shares a little away from the planted preferences (``realized.segment_category_shares`` in the truth).

Complements. Six planted pairs (A -> B). Every purchase of A by a registered customer starts a 14-day window
in which the customer buys B (once, a separate one-line order) with probability 0.35 on average: the daily
hazard is ``h0 * weekly * uplift_B * price_factor_B / mean(uplift_B * price_factor_B)`` with
``1 - (1 - h0) ** 14 = 0.35``, so triggered purchases respond to B's price with B's own elasticity and B's
elasticity stays recoverable from its daily sales. Triggered purchases do not trigger further purchases.
Windows are cut at ``end``.

Returns. 2 % of sales lines are returned: a line with negative quantity (the whole line, or part of it
when the quantity is above 1), same product, customer, region, price, cost and promo flag, Order ID
``<original>-R``, 1..20 days after the order (one delay per order); returns that would fall after ``end``
are dropped.

Unit costs. Constant per product at 40..70 % of the reference price, except that 6 products get one cost
increase (5..15 %) on a recorded date.

The truth file (``sample_truth.json``)
-------------------------------------
``seed``, ``start``, ``end``, ``n_days``, ``columns``, ``categories``, ``regions`` (+ ``region_shares``),
``trend`` (type, annual_growth, formula), ``weekly_multipliers`` (Mon..Sun), ``yearly_seasonality``
(formula, amplitude, peak_day_of_year, monthly_mean_multipliers), ``noise``, ``demand_model``,
``price_process``, ``promo_uplift``, ``products`` (id, name, category, description, reference_price,
unit_cost, unit_cost_change ({date, unit_cost} or null), elasticity, base_level = expected organic units/day
when every multiplier is 1 (trend 1 = ``start``), price_steps [{start, price}]), ``promo_campaigns`` (name,
start, end, scope "all" or a list of categories, discount, uplift, products), ``segments`` (name, share,
n_customers, favourite_category, category_preferences), ``customer_segments`` (customer id -> segment),
``customer_regions`` (customer id -> home region), ``complement_pairs`` (a, b, a_name, b_name, probability,
window_days), ``complement_mechanism``, ``return_rate``, ``return_delay_days``, ``guest_share`` (target share
of orders) and ``realized`` (rows, sales/complement/return lines, orders, guest_order_share, units_sold,
segment_category_shares: measured on the generated frame).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS: list[str] = [
    "Date",
    "Order ID",
    "Product ID",
    "Product Name",
    "Description",
    "Category",
    "Customer ID",
    "Quantity",
    "Unit Price",
    "Unit Cost",
    "Region",
    "Promo",
]

DEFAULT_SEED = 42
DEFAULT_START = "2024-01-01"
DEFAULT_END = "2025-12-31"
DEFAULT_CUSTOMERS = 1500

CATEGORIES: list[str] = ["Coffee", "Tea", "Kitchenware", "Snacks", "Personal care"]
REGIONS: list[str] = ["North", "South", "East", "West"]
REGION_SHARES: list[float] = [0.30, 0.25, 0.25, 0.20]

# (id, name, category, reference price, description)
# fmt: off
CATALOG: list[tuple[str, str, str, float, str]] = [
    # Coffee
    ("P001", "Colombian Ground Coffee 500g", "Coffee", 11.50,
     "Medium roast ground coffee from the Colombian highlands with caramel notes. "
     "Freshly roasted arabica coffee for filter brewing and a smooth everyday cup."),
    ("P002", "Paper Coffee Filters (100 pack)", "Coffee", 3.20,
     "Unbleached paper filters for drip and pour-over coffee brewing. "
     "Keeps every cup of coffee clean, bright and free of grounds."),
    ("P003", "Espresso Coffee Beans 1kg", "Coffee", 24.00,
     "Dark roast whole coffee beans blended for espresso with a thick crema. "
     "Roasted arabica and robusta coffee beans for a bold, rich cup."),
    ("P004", "Ethiopian Single-Origin Coffee Beans 250g", "Coffee", 9.80,
     "Light roast whole coffee beans from Ethiopia with floral and berry notes. "
     "Single-origin arabica coffee, freshly roasted in small batches."),
    ("P005", "Decaf Ground Coffee 250g", "Coffee", 7.40,
     "Smooth decaffeinated ground coffee with a medium roast and nutty aroma. "
     "All the flavour of freshly roasted arabica coffee without the caffeine."),
    ("P006", "Cold Brew Coffee Bags (10 pack)", "Coffee", 8.90,
     "Coarse ground coffee in steeping bags for easy cold brew at home. "
     "A smooth, low-acid coffee brewed overnight in the fridge."),
    ("P007", "Instant Coffee Jar 200g", "Coffee", 6.50,
     "Freeze-dried instant coffee with a rich roasted aroma. "
     "A quick cup of coffee, just add hot water and stir."),
    ("P008", "Coffee Capsules (30 pack)", "Coffee", 12.90,
     "Compatible coffee capsules filled with a balanced medium roast. "
     "Espresso and lungo coffee brewing with a rich crema in every cup."),
    # Tea
    ("P009", "Earl Grey Loose Leaf Tea 250g", "Tea", 8.50,
     "Black loose leaf tea scented with bergamot oil. "
     "A fragrant classic tea to steep in a teapot or infuser."),
    ("P010", "English Breakfast Tea (80 bags)", "Tea", 5.20,
     "A strong blend of black tea leaves in convenient tea bags. "
     "Steep for a robust morning cup of tea with or without milk."),
    ("P011", "Matcha Green Tea Powder 30g", "Tea", 14.90,
     "Stone-ground Japanese green tea leaves for whisked matcha and lattes. "
     "A vibrant ceremonial-grade tea with a fresh, grassy taste."),
    ("P012", "Japanese Sencha Green Tea 100g", "Tea", 9.90,
     "Steamed Japanese green tea leaves with a sweet, grassy taste. "
     "Steep the loose leaf tea briefly in hot water for a delicate infusion."),
    ("P013", "Chamomile Herbal Tea (20 bags)", "Tea", 3.60,
     "Caffeine-free herbal tea of dried chamomile flowers. "
     "A calming infusion to steep in the evening, in biodegradable tea bags."),
    ("P014", "Chai Spice Tea (40 bags)", "Tea", 4.80,
     "Black tea leaves blended with cinnamon, cardamom and ginger. "
     "Steep the tea bags in hot milk or water for a warming spiced tea."),
    ("P015", "Peppermint Herbal Tea (20 bags)", "Tea", 3.40,
     "Refreshing caffeine-free herbal tea of pure peppermint leaves. "
     "A cooling infusion to steep after meals, in biodegradable tea bags."),
    ("P016", "Rooibos Vanilla Tea 100g", "Tea", 6.20,
     "Caffeine-free South African rooibos loose leaf tea with vanilla. "
     "Steep in a teapot for a naturally sweet, smooth herbal tea."),
    # Kitchenware
    ("P017", "Burr Coffee Grinder", "Kitchenware", 69.00,
     "Electric kitchen grinder with stainless steel conical burrs and 18 settings. "
     "A durable countertop appliance with a removable, easy-clean container."),
    ("P018", "Glass Teapot with Infuser 1L", "Kitchenware", 29.00,
     "Heat-resistant borosilicate glass teapot with a stainless steel infuser. "
     "Durable, dishwasher safe kitchenware for the table and the kitchen."),
    ("P019", "Stainless Steel Milk Frother", "Kitchenware", 34.00,
     "Electric stainless steel frother for hot and cold milk foam. "
     "A compact kitchen appliance, easy to clean and dishwasher safe jug."),
    ("P020", "French Press 1L", "Kitchenware", 27.50,
     "Stainless steel and glass plunger pot with a fine mesh filter. "
     "Durable, dishwasher safe kitchenware for the kitchen and the table."),
    ("P021", "Ceramic Mug 350ml", "Kitchenware", 9.50,
     "Glazed stoneware mug with a comfortable handle. "
     "Durable kitchenware, microwave and dishwasher safe."),
    ("P022", "Pour-Over Dripper", "Kitchenware", 16.00,
     "Porcelain cone dripper that sits on any mug or carafe. "
     "Durable, dishwasher safe kitchenware for the kitchen counter."),
    ("P023", "Chef's Knife 20cm", "Kitchenware", 45.00,
     "Forged stainless steel chef's knife with a full tang and ergonomic handle. "
     "A durable kitchen essential for chopping, slicing and dicing."),
    ("P024", "Bamboo Cutting Board", "Kitchenware", 19.50,
     "Sturdy bamboo chopping board with a juice groove. "
     "Durable, knife-friendly kitchenware that is easy to clean."),
    # Snacks
    ("P025", "Butter Shortbread Tin 400g", "Snacks", 8.90,
     "Crumbly Scottish butter shortbread biscuits in a gift tin. "
     "A sweet snack baked with real butter, perfect with tea."),
    ("P026", "Dark Chocolate Bar 85% 100g", "Snacks", 3.20,
     "Intense dark chocolate made from single-origin cocoa beans. "
     "A rich, sweet snack with less sugar, in a recyclable wrapper."),
    ("P027", "Almond Biscotti 200g", "Snacks", 4.60,
     "Twice-baked Italian biscotti studded with whole almonds. "
     "A crunchy sweet snack for dipping in coffee or tea."),
    ("P028", "Salted Mixed Nuts 300g", "Snacks", 6.90,
     "Roasted and lightly salted almonds, cashews and hazelnuts. "
     "A crunchy, savoury snack for sharing, in a resealable bag."),
    ("P029", "Oat & Honey Cookies 250g", "Snacks", 3.80,
     "Chewy baked oat cookies sweetened with honey. "
     "A wholesome sweet snack for lunch boxes, in a resealable bag."),
    ("P030", "Granola Bar Variety Pack (12)", "Snacks", 7.50,
     "Baked granola bars with oats, nuts and dried fruit in three flavours. "
     "A crunchy snack on the go, individually wrapped."),
    ("P031", "Sea Salt Potato Crisps 150g", "Snacks", 2.40,
     "Thick-cut potato crisps cooked in small batches with sea salt. "
     "A crunchy, savoury snack for sharing."),
    ("P032", "Dried Mango Slices 200g", "Snacks", 5.40,
     "Sweet, chewy slices of sun-dried mango with no added sugar. "
     "A fruity snack on the go, in a resealable bag."),
    # Personal care
    ("P033", "Herbal Shampoo 250ml", "Personal care", 7.90,
     "Gentle herbal shampoo with rosemary and nettle for everyday hair care. "
     "Natural, vegan ingredients, free from sulphates and parabens."),
    ("P034", "Herbal Conditioner 250ml", "Personal care", 8.40,
     "Nourishing herbal conditioner with rosemary and aloe vera for soft hair. "
     "Natural, vegan ingredients, free from silicones and parabens."),
    ("P035", "Lavender Hand Soap 300ml", "Personal care", 4.50,
     "Gentle liquid hand soap with lavender essential oil. "
     "Natural, vegan skin care that cleans without drying."),
    ("P036", "Shea Butter Hand Cream 75ml", "Personal care", 6.80,
     "Rich hand cream with shea butter for dry skin. "
     "Natural, vegan skin care that absorbs quickly, free from parabens."),
    ("P037", "Natural Lip Balm", "Personal care", 2.90,
     "Moisturising lip balm with beeswax and vitamin E. "
     "Natural skin care for soft, protected lips."),
    ("P038", "Bamboo Toothbrush (4 pack)", "Personal care", 5.90,
     "Biodegradable bamboo toothbrushes with soft bristles. "
     "Natural, plastic-free personal care for the whole family."),
    ("P039", "Eucalyptus Shower Gel 400ml", "Personal care", 5.60,
     "Refreshing shower gel with eucalyptus essential oil. "
     "Natural, vegan skin care, free from sulphates and parabens."),
    ("P040", "Organic Body Lotion 200ml", "Personal care", 11.90,
     "Light organic body lotion with aloe vera and almond oil for dry skin. "
     "Natural, vegan skin care that absorbs quickly, free from parabens."),
]
# fmt: on

# Segment name -> (share of customers, preference over CATEGORIES). Each row sums to 1.
SEGMENTS: dict[str, tuple[float, list[float]]] = {
    "coffee lovers": (0.28, [0.60, 0.10, 0.20, 0.07, 0.03]),
    "home cooks": (0.22, [0.08, 0.12, 0.60, 0.12, 0.08]),
    "snackers": (0.26, [0.10, 0.12, 0.05, 0.60, 0.13]),
    "wellness": (0.24, [0.03, 0.32, 0.04, 0.06, 0.55]),
}

# Planted complement pairs (A -> B): buying A makes a purchase of B within WINDOW days likely.
COMPLEMENT_PAIRS: list[tuple[str, str]] = [
    ("P001", "P002"),  # ground coffee -> paper filters
    ("P017", "P004"),  # coffee grinder -> whole coffee beans
    ("P018", "P009"),  # glass teapot -> loose leaf tea
    ("P011", "P019"),  # matcha -> milk frother
    ("P010", "P025"),  # breakfast tea -> shortbread
    ("P033", "P034"),  # shampoo -> conditioner
]
COMPLEMENT_PROBABILITY = 0.35
COMPLEMENT_WINDOW_DAYS = 14

WEEKLY: list[float] = [0.85, 0.85, 0.90, 0.95, 1.05, 1.25, 1.15]  # Monday..Sunday, mean 1
WEEKDAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
ANNUAL_GROWTH = 0.15
YEARLY_AMPLITUDE = 0.25
YEARLY_PEAK_DOY = 345  # about 11 December

TOTAL_BASE_UNITS = 205.0  # shop-wide organic units/day (40 products) when every multiplier is 1
QTY_VALUES = np.array([1, 2, 3, 4])
QTY_PROBS = np.array([0.76, 0.17, 0.05, 0.02])
MEAN_Q = float((QTY_VALUES * QTY_PROBS).sum())
GAMMA_SHAPE = 30.0
LINES_PER_SHOPPER = 1.5
GUEST_SHOPPER_SHARE = 0.085
RETURN_RATE = 0.02
RETURN_DELAY = (1, 20)
N_COST_CHANGES = 6
PRICE_STEP_DAYS = (42, 70)
PRICE_LEVEL_RANGE = (0.75, 1.25)  # regular price levels, relative to the reference price
ELASTICITY_RANGE = (-0.5, -3.0)
PROMO_UPLIFT = 1.30  # extra demand multiplier on every promo day, on top of the price cut

# Hour-of-day weights for order timestamps (00..23): quiet nights, lunch and evening peaks.
# fmt: off
HOUR_WEIGHTS = np.array(
    [0.3, 0.15, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.0, 2.6, 3.0, 3.2,
     3.6, 3.4, 3.0, 2.8, 2.8, 3.0, 3.6, 4.2, 4.4, 3.6, 2.2, 1.0]
)
# fmt: on

# Campaign templates: (name, month, day, length in days, scope); Black Friday is computed per year.
CAMPAIGN_TEMPLATES: list[tuple[str, int, int, int, str | list[str]]] = [
    ("Winter tea week", 1, 13, 7, ["Tea"]),
    ("Spring treats & care", 4, 7, 6, ["Snacks", "Personal care"]),
    ("Summer sale", 7, 1, 7, "all"),
    ("Coffee week", 9, 22, 8, ["Coffee"]),
    ("Kitchen refresh", 10, 14, 5, ["Kitchenware"]),
    ("Black Friday weekend", 11, 0, 4, "all"),
]


def _settle(x: np.ndarray | float) -> np.ndarray:
    """Round the result of ``exp``/``**`` to 1e-9 so that it has the same bits on every processor.

    numpy computes ``exp`` and ``power`` with different SIMD code on different CPUs (SVML with AVX-512,
    libm without), and the results differ in the last bit for a few percent of the values. A Poisson draw
    takes a different number of uniforms when its mean moves by one bit, which shifts the whole stream after
    it, so every rate that feeds a draw goes through here. Values here are 0.1..10, so 1e-9 keeps 8+
    significant digits; two inputs one bit apart round apart with odds ~1e-7 per value.
    """
    return np.round(np.asarray(x, dtype=float), 9)


def yearly_multiplier(day_of_year: np.ndarray) -> np.ndarray:
    """Smooth yearly seasonality: peak mid-December, trough mid-June (ratio exp(0.5) ~ 1.65)."""
    return _settle(
        np.exp(YEARLY_AMPLITUDE * np.cos(2 * np.pi * (np.asarray(day_of_year) - YEARLY_PEAK_DOY) / 365.25))
    )


def trend_multiplier(days_since_start: np.ndarray) -> np.ndarray:
    """Exponential trend, +15 % a year (linear in log units)."""
    return _settle((1 + ANNUAL_GROWTH) ** (np.asarray(days_since_start) / 365.25))


def _nice_price(p: np.ndarray) -> np.ndarray:
    """Round to a .x9 ending (12.34 -> 12.29), never below 0.49."""
    return np.maximum(0.49, np.round(np.round(np.asarray(p) * 10) / 10 - 0.01, 2))


def _black_friday(year: int) -> pd.Timestamp:
    nov1 = pd.Timestamp(year=year, month=11, day=1)
    first_thu = nov1 + pd.Timedelta(days=(3 - nov1.weekday()) % 7)
    return first_thu + pd.Timedelta(days=22)  # 4th Thursday + 1 day


def _select_products(n_products: int) -> list[int]:
    if not 5 <= n_products <= len(CATALOG):
        raise ValueError(f"n_products must be between 5 and {len(CATALOG)}, got {n_products}")
    per_cat = math.ceil(n_products / len(CATEGORIES))
    chosen: list[int] = []
    for k in range(per_cat):
        for cat in CATEGORIES:
            idx = [i for i, row in enumerate(CATALOG) if row[2] == cat]
            if k < len(idx) and len(chosen) < n_products:
                chosen.append(idx[k])
    return sorted(chosen)


def _catalog_params(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-product parameters for the whole catalogue (independent of n_products and of the date range)."""
    n = len(CATALOG)
    ref = np.array([row[3] for row in CATALOG])
    cat = np.array([CATEGORIES.index(row[2]) for row in CATALOG])
    lo, hi = ELASTICITY_RANGE
    elasticity = np.round(lo + (hi - lo) * (rng.permutation(n) + rng.uniform(0.1, 0.9, n)) / n, 2)
    cost_ratio = rng.uniform(0.40, 0.70, n)
    unit_cost = np.round(ref * cost_ratio, 2)
    # Category volume follows the segments' preferences, so segments buy what they prefer.
    share = np.array([s for s, _ in SEGMENTS.values()])
    pref = np.array([p for _, p in SEGMENTS.values()])
    cat_volume = (share[:, None] * pref).sum(axis=0)  # sums to 1; elementwise, not a BLAS product
    # Within a category: similar volumes (every product sells most days), cheaper products a little more.
    weight = rng.uniform(0.85, 1.15, n)
    for k in range(len(CATEGORIES)):
        m = cat == k
        rel_price = ref[m] / np.median(ref[m])
        weight[m] *= _settle(rel_price**-0.15)
    base = np.empty(n)
    for k in range(len(CATEGORIES)):
        m = cat == k
        base[m] = TOTAL_BASE_UNITS * cat_volume[k] * weight[m] / weight[m].sum()
    cost_change_products = rng.choice(n, N_COST_CHANGES, replace=False)
    cost_change_frac = rng.uniform(0.30, 0.80, n)  # position in the date range
    cost_change_pct = rng.uniform(0.05, 0.15, n)
    return {
        "ref": ref,
        "cat": cat,
        "elasticity": elasticity,
        "unit_cost": unit_cost,
        "base": np.round(base, 3),
        "cost_change": np.isin(np.arange(n), cost_change_products),
        "cost_change_frac": cost_change_frac,
        "cost_change_pct": cost_change_pct,
    }


def _price_paths(rng: np.random.Generator, ref: np.ndarray, n_days: int) -> tuple[np.ndarray, list[list]]:
    """Regular (non-promo) price step functions, shape (n_days, n_products), plus the steps as (day, price)."""
    n = len(ref)
    regular = np.empty((n_days, n))
    steps: list[list] = []
    for p in range(n):
        d, prev, sp = 0, None, []
        # first segment starts at a random phase so that products do not all change on the same day
        length = int(rng.integers(PRICE_STEP_DAYS[0] // 2, PRICE_STEP_DAYS[1] + 1))
        while d < n_days:
            while True:
                level = float(_nice_price(ref[p] * rng.uniform(*PRICE_LEVEL_RANGE)))
                if prev is None or abs(math.log(level / prev)) >= 0.05:
                    break
            regular[d : d + length, p] = level
            sp.append((d, level))
            prev, d = level, d + length
            length = int(rng.integers(PRICE_STEP_DAYS[0], PRICE_STEP_DAYS[1] + 1))
        steps.append(sp)
    return regular, steps


def _campaigns(rng: np.random.Generator, start: pd.Timestamp, end: pd.Timestamp) -> list[dict]:
    out = []
    for year in range(start.year, end.year + 1):
        for name, month, day, length, scope in CAMPAIGN_TEMPLATES:
            first = _black_friday(year) if day == 0 else pd.Timestamp(year=year, month=month, day=day)
            last = first + pd.Timedelta(days=length - 1)
            discount = round(float(rng.choice(np.arange(0.10, 0.301, 0.05))), 2)
            uplift = PROMO_UPLIFT
            if last < start or first > end:
                continue
            out.append(
                {
                    "name": f"{name} {year}",
                    "start": str(max(first, start).date()),
                    "end": str(min(last, end).date()),
                    "scope": scope,
                    "discount": discount,
                    "uplift": uplift,
                }
            )
    return out


def _sample_qty(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice(QTY_VALUES, size=n, p=QTY_PROBS)


def _times_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    hours = rng.choice(24, size=n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    return hours * 3600 + rng.integers(0, 3600, size=n)


def generate(
    seed: int = DEFAULT_SEED,
    start: str = DEFAULT_START,
    end: str = DEFAULT_END,
    n_customers: int = DEFAULT_CUSTOMERS,
    n_products: int = len(CATALOG),
    volume: float = 1.0,
) -> tuple[pd.DataFrame, dict]:
    """Build the transactions frame (columns ``COLUMNS``) and the truth dict. Deterministic in its arguments.

    ``volume`` scales every product's base level (1.0 gives ~150k order lines over two years).
    The frame's ``Date`` is datetime64; ``Customer ID`` is missing (NaN) on guest orders.
    """
    start_ts, end_ts = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if end_ts < start_ts:
        raise ValueError("end is before start")
    if n_customers < 10:
        raise ValueError("n_customers must be at least 10")
    ss = np.random.SeedSequence(seed)
    (r_cat, r_cust, r_camp, r_price, r_dem, r_shop, r_comp, r_ret) = [
        np.random.default_rng(s) for s in ss.spawn(8)
    ]

    # --- catalogue -------------------------------------------------------------------------------------
    full = _catalog_params(r_cat)
    sel = np.array(_select_products(n_products))
    n_prod = len(sel)
    pid = np.array([CATALOG[i][0] for i in sel])
    pname = np.array([CATALOG[i][1] for i in sel], dtype=object)
    pdesc = np.array([CATALOG[i][4] for i in sel], dtype=object)
    pcatname = np.array([CATALOG[i][2] for i in sel], dtype=object)
    ref, cat, elast = full["ref"][sel], full["cat"][sel], full["elasticity"][sel]
    base = full["base"][sel] * volume

    dates = pd.date_range(start_ts, end_ts, freq="D")
    n_days = len(dates)
    t = np.arange(n_days)
    weekday = dates.day_of_week.to_numpy()
    weekly = np.array(WEEKLY)[weekday]
    yearly = yearly_multiplier(dates.day_of_year.to_numpy())
    trend = trend_multiplier(t)

    # unit cost per day
    cost = np.tile(full["unit_cost"][sel], (n_days, 1))
    cost_changes: dict[int, dict] = {}
    for j, i in enumerate(sel):
        if full["cost_change"][i]:
            d = int(full["cost_change_frac"][i] * (n_days - 1))
            new = round(float(full["unit_cost"][i] * (1 + full["cost_change_pct"][i])), 2)
            if 0 < d < n_days:
                cost[d:, j] = new
                cost_changes[j] = {"date": str(dates[d].date()), "unit_cost": new}

    # --- prices and campaigns --------------------------------------------------------------------------
    regular_full, steps_full = _price_paths(r_price, full["ref"], n_days)
    regular = regular_full[:, sel]
    campaigns = _campaigns(r_camp, start_ts, end_ts)
    discount = np.zeros((n_days, n_prod))
    uplift = np.ones((n_days, n_prod))
    for c in campaigns:
        d0 = (pd.Timestamp(c["start"]) - start_ts).days
        d1 = (pd.Timestamp(c["end"]) - start_ts).days + 1
        in_scope = np.ones(n_prod, bool) if c["scope"] == "all" else np.isin(pcatname, c["scope"])
        c["products"] = [str(x) for x in pid[in_scope]]
        discount[d0:d1, in_scope] = np.maximum(discount[d0:d1, in_scope], c["discount"])
        uplift[d0:d1, in_scope] = np.maximum(uplift[d0:d1, in_scope], c["uplift"])
    promo = discount > 0
    price = np.where(promo, np.round(regular * (1 - discount), 2), regular)
    price_factor = _settle((price / ref) ** elast)

    # --- organic demand -> order lines -----------------------------------------------------------------
    lam = base * (trend * weekly * yearly)[:, None] * uplift * price_factor
    noise = r_dem.gamma(GAMMA_SHAPE, 1 / GAMMA_SHAPE, size=lam.shape)
    n_lines = r_dem.poisson(lam / MEAN_Q * noise)
    flat = n_lines.ravel()
    line_day = np.repeat(np.repeat(t, n_prod), flat)
    line_prod = np.repeat(np.tile(np.arange(n_prod), n_days), flat)
    line_qty = _sample_qty(r_dem, len(line_day))

    # --- customers -------------------------------------------------------------------------------------
    seg_names = list(SEGMENTS)
    seg_share = np.array([SEGMENTS[s][0] for s in seg_names])
    pref = np.array([SEGMENTS[s][1] for s in seg_names])
    counts = np.floor(seg_share * n_customers).astype(int)
    counts[: n_customers - counts.sum()] += 1
    cust_seg = r_cust.permutation(np.repeat(np.arange(len(seg_names)), counts))
    cust_region = r_cust.choice(len(REGIONS), size=n_customers, p=REGION_SHARES)
    cust_activity = r_cust.lognormal(0.0, 0.7, size=n_customers)
    cust_ids = np.array([f"C{i + 1:05d}" for i in range(n_customers)], dtype=object)

    # --- shoppers of the day, and who buys each line ---------------------------------------------------
    order_of_line = np.empty(len(line_day), dtype=np.int64)
    shop_cust: list[np.ndarray] = []  # per shopper: customer index or -1 (guest)
    shop_region: list[np.ndarray] = []
    shop_day: list[np.ndarray] = []
    day_bounds = np.concatenate([[0], np.cumsum(n_lines.sum(axis=1))])
    n_shoppers_so_far = 0
    max_registered = max(1, n_customers // 2)
    for d in range(n_days):
        lo, hi = day_bounds[d], day_bounds[d + 1]
        if hi == lo:
            continue
        s_total = int(math.ceil((hi - lo) / LINES_PER_SHOPPER))
        n_guest = int(r_shop.binomial(s_total, GUEST_SHOPPER_SHARE))
        n_reg = min(s_total - n_guest, max_registered)
        keys = r_shop.exponential(size=n_customers) / cust_activity
        # argpartition leaves the chosen in an order that depends on the CPU (AVX-512 uses another selection
        # algorithm), and the order decides who gets which line below: sort them by customer index
        reg = np.sort(np.argpartition(keys, n_reg - 1)[:n_reg]) if n_reg > 0 else np.empty(0, int)
        g_seg = r_shop.choice(len(seg_names), size=n_guest, p=seg_share)
        g_reg = r_shop.choice(len(REGIONS), size=n_guest, p=REGION_SHARES)
        s_seg = np.concatenate([cust_seg[reg], g_seg])
        s_cust = np.concatenate([reg, np.full(n_guest, -1)])
        s_region = np.concatenate([cust_region[reg], g_reg])
        lcat = cat[line_prod[lo:hi]]
        u = r_shop.random(hi - lo)
        who = np.empty(hi - lo, dtype=np.int64)
        for k in np.unique(lcat):
            m = lcat == k
            cw = np.cumsum(pref[s_seg, k])
            who[m] = np.minimum(np.searchsorted(cw, u[m] * cw[-1], side="right"), len(cw) - 1)
        order_of_line[lo:hi] = n_shoppers_so_far + who
        n_shoppers_so_far += len(s_seg)
        shop_cust.append(s_cust)
        shop_region.append(s_region)
        shop_day.append(np.full(len(s_seg), d))
    shopper_cust = np.concatenate(shop_cust) if shop_cust else np.empty(0, int)
    shopper_region = np.concatenate(shop_region) if shop_region else np.empty(0, int)
    shopper_day = np.concatenate(shop_day) if shop_day else np.empty(0, int)
    shopper_time = _times_of_day(r_shop, len(shopper_day))
    # a shopper who drew several lines of one product buys it once, with the summed quantity
    line_key = order_of_line * n_prod + line_prod
    _, first_line, inverse = np.unique(line_key, return_index=True, return_inverse=True)
    merged_qty = np.bincount(inverse, weights=line_qty).astype(np.int64)
    order_of_line, line_prod, line_day = (
        order_of_line[first_line],
        line_prod[first_line],
        line_day[first_line],
    )
    line_qty = merged_qty
    line_cust = shopper_cust[order_of_line]
    line_region = shopper_region[order_of_line]
    line_time = shopper_time[order_of_line]

    # --- complement-triggered purchases ----------------------------------------------------------------
    pos = {p: j for j, p in enumerate(pid)}
    pairs = [(a, b) for a, b in COMPLEMENT_PAIRS if a in pos and b in pos]
    h0 = float(_settle(1 - (1 - COMPLEMENT_PROBABILITY) ** (1 / COMPLEMENT_WINDOW_DAYS)))
    trig_day, trig_prod, trig_cust = [], [], []
    W = COMPLEMENT_WINDOW_DAYS
    for a, b in pairs:
        ja, jb = pos[a], pos[b]
        mult = uplift[:, jb] * price_factor[:, jb]
        hazard = np.minimum(1.0, h0 * weekly * mult / mult.mean())
        hazard = np.concatenate([hazard, np.zeros(W + 1)])  # no purchases after `end`
        src = np.flatnonzero((line_prod == ja) & (line_cust >= 0))
        if len(src) == 0:
            continue
        win = line_day[src][:, None] + np.arange(1, W + 1)[None, :]
        hit = r_comp.random(win.shape) < hazard[win]
        any_hit = hit.any(axis=1)
        first = hit.argmax(axis=1)
        trig_day.append(line_day[src][any_hit] + 1 + first[any_hit])
        trig_prod.append(np.full(int(any_hit.sum()), jb))
        trig_cust.append(line_cust[src][any_hit])
    if trig_day:
        t_day = np.concatenate(trig_day)
        t_prod = np.concatenate(trig_prod)
        t_cust = np.concatenate(trig_cust)
    else:
        t_day = t_prod = t_cust = np.empty(0, dtype=np.int64)
    n_trig = len(t_day)
    t_qty = _sample_qty(r_comp, n_trig)
    t_time = _times_of_day(r_comp, n_trig)

    # --- all sales lines, orders and order ids ----------------------------------------------------------
    s_day = np.concatenate([line_day, t_day]).astype(np.int64)
    s_prod = np.concatenate([line_prod, t_prod]).astype(np.int64)
    s_cust = np.concatenate([line_cust, t_cust]).astype(np.int64)
    s_qty = np.concatenate([line_qty, t_qty]).astype(np.int64)
    s_region = np.concatenate([line_region, cust_region[t_cust] if n_trig else np.empty(0, int)]).astype(
        np.int64
    )
    s_sec = np.concatenate([line_time, t_time]).astype(np.int64)
    s_order_key = np.concatenate([order_of_line, n_shoppers_so_far + np.arange(n_trig)])
    # order number by (timestamp, key)
    abs_sec = s_day * 86400 + s_sec
    okeys, first_idx = np.unique(s_order_key, return_index=True)
    rank = np.lexsort((okeys, abs_sec[first_idx]))
    order_no = np.empty(len(okeys), dtype=np.int64)
    order_no[rank] = np.arange(1, len(okeys) + 1)
    s_order_no = order_no[np.searchsorted(okeys, s_order_key)]
    order_str = np.array([f"O{n:07d}" for n in range(len(okeys) + 1)], dtype=object)
    s_order_id = order_str[s_order_no]

    # --- returns -------------------------------------------------------------------------------------
    n_sales = len(s_day)
    order_delay = r_ret.integers(RETURN_DELAY[0], RETURN_DELAY[1] + 1, size=len(okeys) + 1)
    order_ret_sec = _times_of_day(r_ret, len(okeys) + 1)
    is_ret = r_ret.random(n_sales) < RETURN_RATE
    ret_qty_draw = r_ret.integers(1, 5, size=n_sales)
    ridx = np.flatnonzero(is_ret)
    r_day = s_day[ridx] + order_delay[s_order_no[ridx]]
    keep = r_day < n_days
    ridx, r_day = ridx[keep], r_day[keep]
    r_qty = -np.minimum(ret_qty_draw[ridx], s_qty[ridx])
    r_sec = order_ret_sec[s_order_no[ridx]]

    # --- assemble --------------------------------------------------------------------------------------
    all_day = np.concatenate([s_day, r_day])
    all_sec = np.concatenate([s_sec, r_sec])
    src_line = np.concatenate([np.arange(n_sales), ridx])  # the sale each row comes from
    all_prod = s_prod[src_line]
    price_day = s_day[src_line]  # returns are priced like the original sale
    all_cust = s_cust[src_line]
    all_qty = np.concatenate([s_qty, r_qty])
    all_order = np.concatenate([s_order_id, np.array([o + "-R" for o in s_order_id[ridx]], dtype=object)])
    ts = start_ts.to_datetime64().astype("datetime64[s]") + (all_day * 86400 + all_sec).astype(
        "timedelta64[s]"
    )
    order_sort = np.concatenate([s_order_no, s_order_no[ridx]])
    idx = np.lexsort((all_prod, order_sort, ts))
    cust_col = np.where(all_cust >= 0, cust_ids[np.maximum(all_cust, 0)], None)
    frame = pd.DataFrame(
        {
            "Date": pd.to_datetime(ts[idx]),
            "Order ID": all_order[idx],
            "Product ID": pid[all_prod[idx]],
            "Product Name": pname[all_prod[idx]],
            "Description": pdesc[all_prod[idx]],
            "Category": pcatname[all_prod[idx]],
            "Customer ID": cust_col[idx],
            "Quantity": all_qty[idx].astype(np.int64),
            "Unit Price": price[price_day[idx], all_prod[idx]],
            "Unit Cost": cost[price_day[idx], all_prod[idx]],
            "Region": np.array(REGIONS, dtype=object)[s_region[src_line][idx]],
            "Promo": promo[price_day[idx], all_prod[idx]].astype(np.int64),
        },
        columns=COLUMNS,
    )

    # --- truth -----------------------------------------------------------------------------------------
    months = pd.date_range("2023-01-01", "2023-12-31", freq="D")
    monthly = (
        pd.Series(yearly_multiplier(months.day_of_year.to_numpy()), index=months.month)
        .groupby(level=0)
        .mean()
    )
    products = []
    for j, i in enumerate(sel):
        products.append(
            {
                "id": str(pid[j]),
                "name": str(pname[j]),
                "category": str(pcatname[j]),
                "description": str(pdesc[j]),
                "reference_price": float(ref[j]),
                "unit_cost": float(full["unit_cost"][i]),
                "unit_cost_change": cost_changes.get(j),
                "elasticity": float(elast[j]),
                "base_level": round(float(base[j]), 3),
                "price_steps": [{"start": str(dates[d].date()), "price": pr} for d, pr in steps_full[i]],
            }
        )
    seg_counts = np.bincount(cust_seg, minlength=len(seg_names))
    registered = s_cust >= 0
    seg_cat_units = np.zeros((len(seg_names), len(CATEGORIES)))
    np.add.at(seg_cat_units, (cust_seg[s_cust[registered]], cat[s_prod[registered]]), s_qty[registered])
    seg_cat_units /= np.maximum(seg_cat_units.sum(axis=1, keepdims=True), 1)
    seg_cat_share = {
        s: {c: round(float(seg_cat_units[k, j]), 4) for j, c in enumerate(CATEGORIES)}
        for k, s in enumerate(seg_names)
    }
    sales_orders = pd.Series(s_cust).groupby(s_order_no).first()
    truth = {
        "seed": int(seed),
        "start": str(start_ts.date()),
        "end": str(end_ts.date()),
        "n_days": int(n_days),
        "columns": COLUMNS,
        "categories": CATEGORIES,
        "regions": REGIONS,
        "region_shares": dict(zip(REGIONS, REGION_SHARES, strict=True)),
        "demand_model": (
            "E[units of product p on day d] = base_level[p] * trend(t) * weekly[weekday] * yearly(doy) "
            "* uplift (campaign days, else 1) * (price/reference_price) ** elasticity; lines ~ "
            "Poisson(E[units] / E[q] * G), G ~ Gamma(30, 1/30); complement-triggered units come on top."
        ),
        "trend": {
            "type": "exponential",
            "annual_growth": ANNUAL_GROWTH,
            "formula": "(1 + 0.15) ** (days_since_start / 365.25)",
        },
        "weekly_multipliers": dict(zip(WEEKDAY_NAMES, WEEKLY, strict=True)),
        "yearly_seasonality": {
            "formula": "exp(0.25 * cos(2 * pi * (day_of_year - 345) / 365.25))",
            "amplitude": YEARLY_AMPLITUDE,
            "peak_day_of_year": YEARLY_PEAK_DOY,
            "monthly_mean_multipliers": {str(m): round(float(v), 4) for m, v in monthly.items()},
        },
        "noise": {
            "lines": "Poisson(lambda / E[q] * G), G ~ Gamma(shape=30, scale=1/30) per product-day",
            "quantity_pmf": {str(q): float(p) for q, p in zip(QTY_VALUES, QTY_PROBS, strict=True)},
            "mean_quantity_per_line": round(MEAN_Q, 4),
        },
        "price_process": {
            "regular": "step function, new level every 42..70 days, reference_price * U(0.75, 1.25) "
            "rounded to a .x9 ending, >= 5% from the previous level",
            "promo": "round(regular * (1 - discount), 2) on campaign days for products in scope",
            "promo_effect": "demand multiplier = (1 - discount) ** elasticity (through the price) * uplift",
        },
        "promo_uplift": PROMO_UPLIFT,
        "products": products,
        "promo_campaigns": campaigns,
        "segments": [
            {
                "name": s,
                "share": float(seg_share[k]),
                "n_customers": int(seg_counts[k]),
                "favourite_category": CATEGORIES[int(np.argmax(pref[k]))],
                "category_preferences": dict(zip(CATEGORIES, map(float, pref[k]), strict=True)),
            }
            for k, s in enumerate(seg_names)
        ],
        "customer_segments": {str(cust_ids[c]): seg_names[cust_seg[c]] for c in range(n_customers)},
        "customer_regions": {str(cust_ids[c]): REGIONS[cust_region[c]] for c in range(n_customers)},
        "complement_pairs": [
            {
                "a": a,
                "b": b,
                "a_name": str(pname[pos[a]]),
                "b_name": str(pname[pos[b]]),
                "probability": COMPLEMENT_PROBABILITY,
                "window_days": COMPLEMENT_WINDOW_DAYS,
            }
            for a, b in pairs
        ],
        "complement_mechanism": (
            "each purchase of A by a registered customer opens a window of window_days days; the customer "
            "buys B at most once in it (a separate one-line order) with daily hazard h0 * weekly * uplift_B * "
            "price_factor_B / mean(uplift_B * price_factor_B), 1 - (1 - h0) ** window_days = probability"
        ),
        "return_rate": RETURN_RATE,
        "return_delay_days": list(RETURN_DELAY),
        "guest_share": 0.08,
        "realized": {
            "rows": int(len(frame)),
            "sales_lines": int(n_sales),
            "complement_lines": int(n_trig),
            "return_lines": int(len(ridx)),
            "orders": int(len(sales_orders)),
            "guest_order_share": round(float((sales_orders < 0).mean()), 4) if len(sales_orders) else 0.0,
            "units_sold": int(s_qty.sum()),
            "segment_category_shares": seg_cat_share,
        },
    }
    return frame, truth


def write(
    out_dir: str | Path | None = None,
    seed: int = DEFAULT_SEED,
    start: str = DEFAULT_START,
    end: str = DEFAULT_END,
    n_customers: int = DEFAULT_CUSTOMERS,
    n_products: int = len(CATALOG),
    volume: float = 1.0,
) -> tuple[Path, Path]:
    """Generate and write ``sample_sales.csv.gz`` and ``sample_truth.json`` into ``out_dir``."""
    out = Path(out_dir) if out_dir is not None else Path(__file__).resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    frame, truth = generate(seed, start, end, n_customers, n_products, volume)
    csv_path, truth_path = out / "sample_sales.csv.gz", out / "sample_truth.json"
    to_write = frame.copy()
    to_write["Date"] = np.datetime_as_string(frame["Date"].to_numpy().astype("datetime64[s]"), unit="s")
    to_write["Date"] = to_write["Date"].str.replace("T", " ", regex=False)
    to_write.to_csv(
        csv_path,
        index=False,
        encoding="utf-8",
        float_format="%.2f",
        lineterminator="\n",
        compression={"method": "gzip", "compresslevel": 9, "mtime": 0},
    )
    truth_path.write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return csv_path, truth_path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", default=None, help="output folder (default: this script's folder, data/)")
    parser.add_argument("--start", default=DEFAULT_START)
    parser.add_argument("--end", default=DEFAULT_END)
    parser.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    csv_path, truth_path = write(args.out, args.seed, args.start, args.end, args.customers)
    print(
        f"wrote {csv_path} ({csv_path.stat().st_size / 1e6:.2f} MB) and {truth_path} "
        f"({truth_path.stat().st_size / 1e3:.0f} kB) in {time.perf_counter() - t0:.1f} s"
    )


if __name__ == "__main__":
    main()

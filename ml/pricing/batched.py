"""The regressions of many products at once: ``ml.pricing.elasticity.regress`` (its refusals, OLS with HC3 or HC1
standard errors as ``fit_ols_robust`` computes them) for a block of products in one set of stacked numpy calls.

Each product's design matrix sits in a tensor padded with zero rows (periods it does not have) and zero columns
(controls that do not vary in its data, as ``design_matrix`` leaves them out): the pseudo-inverse of [A 0; 0 0] is
[pinv(A) 0; 0 0], so its coefficients, leverages and residuals are those of A, and one batched SVD replaces a
Python loop of thousands of small ones (20,000 products of a 2M-line shop: bench/RESULTS.md). Equal to the loop to
rounding (tests/unit/pricing/test_batched.py)."""

from __future__ import annotations

import numpy as np

from ml.pricing.config import ElasticityConfig
from ml.pricing.elasticity import Observations, OLSFit, calendar_features

MAX_CELLS = 4_000_000  # products x periods x columns of one stacked block (32 MB of float64)


def design_names(cfg: ElasticityConfig) -> list[str]:
    """Every column ``design_matrix`` can make, in its order (a product keeps those that vary in its data)."""
    names = ["const", "log_price"]
    if "trend" in cfg.controls:
        names.append("trend")
    if "promo" in cfg.controls:
        names.append("promo")
    if "weekday" in cfg.controls and cfg.freq == "D":
        names += [f"weekday_{d}" for d in range(7)]
    if "month" in cfg.controls:
        names += [f"month_{m}" for m in range(1, 13)]
    return names


def regress_many(items: list[Observations], cfg: ElasticityConfig) -> list[tuple[list[str], OLSFit | str]]:
    """(column names, ``regress``'s outcome) of each product, in order; ``cfg.cov_type`` HC3 alone (HAC stays
    with statsmodels, one product at a time)."""
    out: list[tuple[list[str], OLSFit | str] | None] = [None] * len(items)
    order = np.argsort([len(d.units) for d in items], kind="stable")  # similar lengths together: little padding
    width = len(design_names(cfg))
    block: list[int] = []
    for i in order:
        block.append(int(i))
        if len(block) * len(items[i].units) * width >= MAX_CELLS or i == order[-1]:
            for j, result in zip(block, _regress_block([items[j] for j in block], cfg), strict=True):
                out[j] = result
            block = []
    return out  # type: ignore[return-value]


def _design(items: list[Observations], cfg: ElasticityConfig):
    """x [P, n, K] (zero where a product has no period or no such column), log units and log price [P, n], the
    rows [P, n] and columns [P, K] each product has."""
    names = design_names(cfg)
    calendars = [d.calendar if d.calendar is not None else calendar_features(d.periods, d.start) for d in items]
    count, n = len(items), max(len(d.units) for d in items)
    lengths = np.array([len(d.units) for d in items])
    rows = np.arange(n)[None, :] < lengths[:, None]  # [P, n]
    product = np.repeat(np.arange(count), lengths)
    slot = np.concatenate([np.arange(m) for m in lengths])

    def stacked(values: list[np.ndarray]) -> np.ndarray:  # [P, n]
        out = np.zeros((count, n))
        out[product, slot] = np.concatenate(values)
        return out

    log_price = stacked([np.log(d.price) for d in items])
    log_units = stacked([np.log(d.units) for d in items])
    x = np.zeros((count, n, len(names)))
    columns = np.zeros((count, len(names)), dtype=bool)
    x[:, :, 0], x[:, :, 1] = rows, log_price
    columns[:, :2] = True
    at = 2
    if "trend" in cfg.controls:
        x[:, :, at], columns[:, at] = stacked([c["trend"] for c in calendars]), True
        at += 1
    if "promo" in cfg.controls:
        x[:, :, at] = stacked([np.asarray(d.promo, dtype=float) for d in items])
        columns[:, at] = [np.ptp(d.promo) > 0 for d in items]
        at += 1
    for key, levels, wanted in (("weekday", range(7), cfg.freq == "D"), ("month", range(1, 13), True)):
        if key not in cfg.controls or not wanted:
            continue
        level = np.concatenate([c[key] for c in calendars]).astype(np.int64) - levels[0]
        seen = np.zeros((count, len(levels)), dtype=np.int64)
        np.add.at(seen, (product, level), 1)
        reference = np.argmax(seen > 0, axis=1)  # the first level present is the reference; a lone period joins it
        kept = seen >= 2
        kept[np.arange(count), reference] = False
        dummies = np.zeros((count, n, len(levels)))
        dummies[product, slot, level] = 1.0
        x[:, :, at:at + len(levels)] = dummies
        columns[:, at:at + len(levels)] = kept
        at += len(levels)
    x *= columns[:, None, :]
    x *= rows[:, :, None]
    return x, log_units, log_price, rows, columns, names


def _regress_block(items: list[Observations], cfg: ElasticityConfig) -> list[tuple[list[str], OLSFit | str]]:
    x, y, log_price, rows, columns, names = _design(items, cfg)
    n, k = rows.sum(axis=1), columns.sum(axis=1)
    too_few = n < k + 5
    # the price explained by the other columns (regress's lstsq: the minimum-norm solution, here by pinv)
    others = x.copy()
    others[:, :, 1] = 0.0
    explained = _solve(others, log_price)
    left = (log_price - explained) * rows
    mean = left.sum(axis=1) / n
    spread = np.sqrt((((left - mean[:, None]) * rows) ** 2).sum(axis=1) / n)
    confounded = spread < cfg.min_price_spread / 4
    # OLS with HC3 (HC1 where a leverage of 1 leaves HC3 undefined), as fit_ols_robust
    pinv, singular = _pinv(x)  # [P, K, n]
    params = np.einsum("pkn,pn->pk", pinv, y)
    resid = (y - np.einsum("pnk,pk->pn", x, params)) * rows
    tol = singular.max(axis=1) * np.maximum(n, k) * np.finfo(float).eps
    df_resid = (n - (singular > tol[:, None]).sum(axis=1)).astype(float)
    leverage = np.einsum("pnk,pkn->pn", x, pinv)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = resid**2 / (1.0 - leverage) ** 2
        bse = np.sqrt(np.einsum("pkn,pn->pk", pinv**2, scale))
        hc1 = ~np.isfinite(bse[:, 1]) | (leverage.max(axis=1) > 1.0 - 1e-9)
        scale1 = np.where((df_resid > 0)[:, None], resid**2 * (n / df_resid)[:, None], np.nan)
        bse = np.where(hc1[:, None], np.sqrt(np.einsum("pkn,pn->pk", pinv**2, scale1)), bse)
        centred = (((y - (y * rows).sum(axis=1, keepdims=True) / n[:, None]) * rows) ** 2).sum(axis=1)
        rsquared = np.where(centred > 0, 1.0 - (resid**2).sum(axis=1) / centred, np.nan)
    out = []
    for p in range(len(items)):
        kept = columns[p]
        chosen = [name for name, keep in zip(names, kept, strict=True) if keep]
        if too_few[p]:
            out.append((chosen, "too_few_observations"))
        elif confounded[p]:
            out.append((chosen, "price_confounded"))
        else:
            out.append((chosen, OLSFit(params[p, kept], bse[p, kept], float(df_resid[p]), float(rsquared[p]),
                                       "HC1" if hc1[p] else "HC3")))
    return out


def _pinv(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.linalg.pinv`` of each matrix (its default cut-off, 1e-15 of the largest singular value) and the
    singular values."""
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    large = s > 1e-15 * s.max(axis=1, keepdims=True)
    inverse = np.divide(1.0, s, out=np.zeros_like(s), where=large)
    return np.matmul(np.swapaxes(vt, 1, 2), inverse[:, :, None] * np.swapaxes(u, 1, 2)), s


def _solve(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x @ (the minimum-norm least-squares solution of x b = y), per matrix. # [P, n]"""
    pinv, _ = _pinv(x)
    return np.einsum("pnk,pk->pn", x, np.einsum("pkn,pn->pk", pinv, y))

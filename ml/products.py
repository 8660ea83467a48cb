"""What a shop's export calls its products: their display names, and the lines that are not products at all.

Shop systems book postage, carriage, marketplace fees, bank charges, manual adjustments, discounts, samples and
vouchers as order lines with a product code of their own (UCI Online Retail: POST, DOT, M, C2, D, S, BANK CHARGES,
AMAZONFEE, CRUK, PADS, B), and stock write-offs as lines of a real product whose text is a note ("damaged",
"thrown away", "check"). Counted as products they top the best-seller list and get a suggested price. They are
found three ways:

- the code: a known service code (``SERVICE_CODES``);
- the name: the product's usual text is short and says what it is (postage, fee, manual, discount, samples…);
- the behaviour: a "price" that varies by more than ``PRICE_RATIO_LIMIT``× between the 10th and 90th percentile
  of its lines (an amount typed in each time, not a list price), or lines that are mostly negative (a discount);
- and, per line, a write-off note: a line of a real product whose text is not the product's usual name but a stock
  note (``WRITE_OFF_RE``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.schema import Col

# Codes UCI-like exports use for non-product lines (compared upper-cased, trimmed). UCI's one-letter codes (M
# Manual, D Discount, S SAMPLES, B Adjust bad debt) are found by their names: a one-letter code alone is too
# common a product id ("A", "B") to judge by.
SERVICE_CODES = frozenset({
    "POST", "DOT", "C2", "BANK CHARGES", "AMAZONFEE", "CRUK", "PADS", "CARRIAGE", "POSTAGE",
    "SHIPPING", "DELIVERY", "FEE", "FEES", "DISCOUNT", "ADJUST", "ADJUSTMENT", "MANUAL", "SAMPLE", "SAMPLES",
})
# A short product text naming a service, fee or adjustment (whole words; Chinese terms as written).
SERVICE_NAME_RE = re.compile(
    r"(?i)(?:\b(?:postage|carriage|shipping|delivery(?: charges?)?|freight|bank charges?|fees?|commission|manual|"
    r"discount|adjust(?:ment)?|bad debt|samples?|gift vouchers?|vouchers?)|运费|邮费|快递费|手续费|佣金|折扣|优惠券|调整|样品)"
    r"(?:\s+(?:charges?|fees?))?\s*(?:[£$€¥]?\s*[\d.,]+)?\s*$"  # at the end: "FRENCH CARRIAGE LANTERN" is a product
)
MAX_NAME_WORDS = 5  # "DOTCOM POSTAGE", "Adjust bad debt", "Dotcomgiftshop Gift Voucher £20.00"
# A stock note written in the product text of a line ("damaged", "wet pallet", "thrown away", "?missing").
WRITE_OFF_RE = re.compile(
    r"(?i)(?:damage|\bwet\b|thrown|\blost\b|missing|mouldy|smashed|crushed|broken|faulty|wrong|destroyed|unsaleable|"
    r"\bcheck\b|\bfound\b|sold as sets?|sold in sets?|barcode|write.?off|written off|^\?|\?$|报损|损坏|丢失|盘点)"
)
# On UCI the largest p90/p10 price ratio of a real product is 21 (code 37340); fees and manual lines reach 2,230.
PRICE_RATIO_LIMIT = 50.0
MIN_BEHAVIOUR_LINES = 5
NEGATIVE_SHARE_LIMIT = 0.8  # a code whose lines are mostly negative is a discount or credit, not a product
WHY = ("code", "name", "price_varies", "negative_lines")


@dataclass
class NonProducts:
    """``rows``: a mask over the lines given (service codes and write-off notes together); ``write_offs``: the
    write-off lines alone; ``codes``: one row per non-product code (product_id, name, lines, why), most lines first."""

    rows: np.ndarray
    write_offs: np.ndarray
    codes: pd.DataFrame

    def describe(self, limit: int = 12) -> list[str]:
        """'POST · POSTAGE: 1,256 lines (code)' per code, for the validation report."""
        out = []
        for row in self.codes.head(limit).itertuples(index=False):
            label = row.product_id if not row.name or row.name == row.product_id else f"{row.product_id} · {row.name}"
            out.append(f"{label}: {row.lines:,}")
        if len(self.codes) > limit:
            out.append(f"+{len(self.codes) - limit}")
        return out


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int64), pd.Index(uniques).astype(str)


def usual_text(product_codes: np.ndarray, text_codes: np.ndarray, n_products: int) -> np.ndarray:
    """Per product code, the code of its most frequent text (-1 when it has none); ties: the first seen."""
    ok = (product_codes >= 0) & (text_codes >= 0)
    pairs = pd.DataFrame({"p": product_codes[ok], "t": text_codes[ok]})
    counts = pairs.groupby(["p", "t"], sort=False).size().reset_index(name="n")
    best = counts.sort_values("n", ascending=False, kind="stable").drop_duplicates("p")
    out = np.full(n_products, -1, dtype=np.int64)
    out[best["p"].to_numpy()] = best["t"].to_numpy()
    return out


def _price_varies(p_codes: np.ndarray, listed: np.ndarray, n_products: int) -> np.ndarray:
    """Per product code: the 90th percentile of its listed prices over PRICE_RATIO_LIMIT times the 10th. The
    percentiles (pandas' linear ones) are computed only for codes whose highest price is that far above the lowest:
    for the others the ratio cannot pass the limit, and a group-by quantile over every line took 0.1 s of a 1M-row
    ingest."""
    ok = (p_codes >= 0) & ~np.isnan(listed)
    codes, prices = (p_codes, listed) if ok.all() else (p_codes[ok], listed[ok])  # no copies when every line counts
    low = np.full(n_products, np.inf)
    high = np.zeros(n_products)
    np.minimum.at(low, codes, prices)
    np.maximum.at(high, codes, prices)
    # listed prices are positive; the margin covers the rounding of the interpolated percentiles
    candidates = np.flatnonzero(high > low * (PRICE_RATIO_LIMIT * (1 - 1e-9)))
    varies = np.zeros(n_products, dtype=bool)
    if len(candidates) == 0:
        return varies
    chosen = np.isin(codes, candidates)
    grouped = pd.Series(prices[chosen]).groupby(codes[chosen])
    q10, q90 = grouped.quantile(0.1), grouped.quantile(0.9)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (q90 / q10).to_numpy()
    varies[q10.index.to_numpy()] = ratio > PRICE_RATIO_LIMIT
    return varies


def find_non_products(product: pd.Series, text: pd.Series | None = None, quantity: np.ndarray | None = None,
                      price: np.ndarray | None = None) -> NonProducts:
    """Lines that are not product sales (see the module docstring); all arguments are aligned per line."""
    n = len(product)
    p_codes, p_ids = _codes(product)
    n_products = len(p_ids)
    why = np.full(n_products, "", dtype=object)
    upper = pd.Series(p_ids.str.strip().str.upper())
    why[upper.isin(SERVICE_CODES).to_numpy()] = "code"

    names = np.full(n_products, "", dtype=object)
    write_offs = np.zeros(n, dtype=bool)
    if text is not None:
        t_codes, t_values = _codes(text)
        usual = usual_text(p_codes, t_codes, n_products)
        has = usual >= 0
        names[has] = np.asarray(t_values)[usual[has]]
        short = pd.Series(names).str.split().str.len().fillna(0).to_numpy() <= MAX_NAME_WORDS
        named = short & pd.Series(names).str.contains(SERVICE_NAME_RE).fillna(False).to_numpy()
        why[(why == "") & named] = "name"
        # A write-off note is a text that is not the product's usual one and reads like a stock note.
        note = pd.Series(t_values).str.contains(WRITE_OFF_RE).fillna(False).to_numpy() if len(t_values) else np.zeros(0, bool)
        line_note = np.zeros(n, dtype=bool)
        valid = t_codes >= 0
        line_note[valid] = note[t_codes[valid]]
        own = (p_codes >= 0) & (usual[np.maximum(p_codes, 0)] == t_codes)
        # a sale of a real product under a variant text has a price and a positive quantity; a write-off has not
        booked = np.ones(n, dtype=bool) if price is None and quantity is None else np.zeros(n, dtype=bool)
        if price is not None:
            booked |= ~(price > 0)
        if quantity is not None:
            booked |= quantity < 0
        # a product known only from such notes (no line sold at a price) has no name of its own to protect
        sold = ~booked & (p_codes >= 0)
        has_sale = np.zeros(n_products, dtype=bool)
        has_sale[p_codes[sold]] = True
        own &= has_sale[np.maximum(p_codes, 0)]
        write_offs = line_note & ~own & booked

    if price is not None or quantity is not None:
        valid = p_codes >= 0
        every = bool(valid.all())  # no missing product: the arrays are used as they are, not copied
        lines = np.bincount(p_codes if every else p_codes[valid], minlength=n_products)
        if price is not None:
            listed = np.where((price > 0) & (quantity > 0 if quantity is not None else True), price, np.nan)
            varies = (lines >= MIN_BEHAVIOUR_LINES) & _price_varies(p_codes, listed, n_products)
            why[(why == "") & varies] = "price_varies"
        if quantity is not None:
            negative = np.bincount(p_codes if every else p_codes[valid],
                                   weights=quantity < 0 if every else quantity[valid] < 0, minlength=n_products)
            with np.errstate(divide="ignore", invalid="ignore"):
                share = negative / lines  # sums of 0/1 are exact: the same figure as the group mean
            mostly_negative = (lines >= 3) & (share >= NEGATIVE_SHARE_LIMIT)
            why[(why == "") & mostly_negative] = "negative_lines"

    flagged = why != ""
    by_code = flagged[np.maximum(p_codes, 0)] & (p_codes >= 0) if flagged.any() else np.zeros(n, dtype=bool)
    rows = by_code | write_offs
    write_offs &= ~by_code
    counts = np.bincount(p_codes[by_code], minlength=n_products) if by_code.any() else np.zeros(n_products, int)
    idx = np.flatnonzero(flagged)
    codes = pd.DataFrame({"product_id": np.asarray(p_ids)[idx], "name": names[idx], "lines": counts[idx],
                          "why": why[idx]}).sort_values(["lines", "product_id"], ascending=[False, True])
    return NonProducts(rows=rows, write_offs=write_offs, codes=codes.reset_index(drop=True))


def name_column(frame: pd.DataFrame) -> str | None:
    """The column that names products: the product name, else the description (UCI describes products in one
    short line and has no name column)."""
    if Col.PRODUCT_NAME in frame:
        return Col.PRODUCT_NAME
    if Col.DESCRIPTION in frame:
        return Col.DESCRIPTION
    return None


def product_names(frame: pd.DataFrame) -> pd.Series:
    """Product id (text) -> its usual name (the most frequent text of its lines), empty when the data names none."""
    column = name_column(frame)
    if column is None or Col.PRODUCT_ID not in frame or frame.empty:
        return pd.Series(dtype=object)
    pairs = frame[[Col.PRODUCT_ID, column]].dropna()
    if pairs.empty:
        return pd.Series(dtype=object)
    counts = pairs.groupby([Col.PRODUCT_ID, column], observed=True, sort=False).size()
    counts = counts.loc[counts > 0].reset_index(name="n")
    best = counts.sort_values("n", ascending=False, kind="stable").drop_duplicates(Col.PRODUCT_ID)
    names = pd.Series(best[column].astype(str).str.strip().to_numpy(), index=best[Col.PRODUCT_ID].astype(str).to_numpy())
    return names.loc[names != ""]


def product_label(product_id: str, names: pd.Series | dict) -> str:
    """'NAME (id)' when the product has a name other than its id, else the id."""
    name = names.get(product_id) if hasattr(names, "get") else None
    if name is None or (isinstance(name, float) and name != name) or str(name) == str(product_id) or not str(name):
        return str(product_id)
    return f"{name} ({product_id})"

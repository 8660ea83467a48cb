"""The shop's currency, read from its export: currency symbols or codes written in the money columns, else the
country the shop sells in when that is one country (or nearly)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

SYMBOLS = (("£", "GBP"), ("€", "EUR"), ("¥", "CNY"), ("￥", "CNY"), ("元", "CNY"), ("US$", "USD"), ("$", "USD"))
CODE_RE = re.compile(r"\b(GBP|EUR|USD|CNY|RMB|JPY)\b", re.IGNORECASE)
COUNTRIES = {
    "united kingdom": "GBP", "uk": "GBP", "great britain": "GBP", "england": "GBP", "scotland": "GBP",
    "wales": "GBP", "northern ireland": "GBP", "eire": "EUR", "ireland": "EUR", "germany": "EUR", "france": "EUR",
    "spain": "EUR", "italy": "EUR", "netherlands": "EUR", "belgium": "EUR", "portugal": "EUR", "austria": "EUR",
    "finland": "EUR", "usa": "USD", "united states": "USD", "us": "USD", "china": "CNY", "中国": "CNY",
    "japan": "JPY", "日本": "JPY",
}
MIN_SHARE = 0.6  # the leading country must hold this share of the lines (UCI: United Kingdom, 91%)


def currency_from_money(values: Iterable[object]) -> str | None:
    """The currency whose symbol or code appears in most of the money cells that carry one."""
    seen: Counter[str] = Counter()
    for value in values:
        text = str(value)
        code = CODE_RE.search(text)
        if code:
            seen["CNY" if code.group(1).upper() == "RMB" else code.group(1).upper()] += 1
            continue
        for symbol, iso in SYMBOLS:
            if symbol in text:
                seen[iso] += 1
                break
    return seen.most_common(1)[0][0] if seen else None


def currency_from_regions(values: Iterable[object]) -> str | None:
    """The currency of the country most lines come from, when it holds at least ``MIN_SHARE`` of them."""
    counts = Counter(str(v).strip().lower() for v in values if v is not None)
    total = sum(counts.values())
    if not total:
        return None
    region, n = counts.most_common(1)[0]
    return COUNTRIES.get(region) if n / total >= MIN_SHARE else None


def detect_currency(money: Iterable[object], regions: Iterable[object] | None = None) -> str | None:
    return currency_from_money(money) or (currency_from_regions(regions) if regions is not None else None)

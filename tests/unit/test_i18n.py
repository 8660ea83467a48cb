"""The catalogues are complete: every message id the code uses exists in English and Chinese with the same
placeholders, and formatting follows the language."""

from __future__ import annotations

import importlib
import re
import tomllib
from datetime import date
from pathlib import Path
from string import Formatter

import pytest

from ml import i18n
from ml.dataset import ReturnsPolicy
from ml.forecast import BASELINES, NETWORK, PRESETS
from ml.forecast.config import MODEL_TYPES, SCALERS
from ml.schema import CANONICAL_COLUMNS, DataError
from ml.series import TARGETS

ROOT = Path(__file__).resolve().parents[2]
CODE_DIRS = [ROOT / "app.py", ROOT / "pages", ROOT / "components", ROOT / "ml"]

# Literal message ids passed to the translation function, to typed errors, or stored for later rendering.
_LITERAL_PATTERNS = [
    re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']"""),
    re.compile(r"""\btranslate\(\s*["']([a-z0-9_.]+)["']"""),
    re.compile(r"""\bMsg\(\s*["']([a-z0-9_.]+)["']"""),
    re.compile(r"""\bMessage\(\s*["']([a-z0-9_.]+)["']"""),
    re.compile(r"""\b\w*Error\(\s*["']([a-z0-9_]+\.[a-z0-9_.]+)["']"""),
    re.compile(r"""\(\s*["']([a-z0-9_]+\.error\.[a-z0-9_.]+)["']\s*,\s*\{"""),
]
_REPORT_REASON = re.compile(r"""report\.add\(\s*f?["']([a-z0-9_{}]+)["']""")
_DYNAMIC = re.compile(r"""\bt\(\s*f["']([^"'{]*)\{""")

# Message-id families built at run time, with every value they can take.
DYNAMIC_FAMILIES: dict[str, list[str]] = {
    "field.": list(CANONICAL_COLUMNS),
    "report.action.": ["dropped", "changed", "flagged", "kept", "netted", "info"],
    "report.reason.": [],  # filled from report.add(...) calls below
    "data.options.returns_": [p.value for p in ReturnsPolicy],
    "forecast.level.": ["total", "category", "categories", "product", "products"],
    "forecast.target.": list(TARGETS),
    "forecast.freq.": ["D", "W", "M"],
    "forecast.preset.": [f"{p}.{part}" for p in ["custom", *PRESETS] for part in ("name", "description")],
    "forecast.model.": [*MODEL_TYPES, NETWORK, *BASELINES],
    "forecast.scaler.": list(SCALERS),
    "forecast.metric.": ["mae", "rmse", "mape", "smape", "mase"],
    "forecast.coverage.source.": ["backtest", "validation_windows", "backtest_and_validation_windows"],
}
# The later areas declare their own families as MESSAGE_FAMILIES (prefix -> values) in their package.
for _area in ("ml.recommend", "ml.pricing", "ml.workspace"):
    try:
        DYNAMIC_FAMILIES.update(importlib.import_module(_area).MESSAGE_FAMILIES)
    except (ModuleNotFoundError, AttributeError):
        pass


def _code_files() -> list[Path]:
    files: list[Path] = []
    for entry in CODE_DIRS:
        files.extend([entry] if entry.is_file() else sorted(entry.rglob("*.py")))
    return files


def _used_ids() -> tuple[set[str], set[str], set[str]]:
    literal, reasons, prefixes = set(), set(), set()
    for path in _code_files():
        text = path.read_text(encoding="utf-8")
        for pattern in _LITERAL_PATTERNS:
            literal.update(pattern.findall(text))
        for reason in _REPORT_REASON.findall(text):
            if "{" in reason:  # f"bad_{name}": every numeric column
                reasons.update(reason.replace("{name}", c) for c in ("unit_price", "revenue", "unit_cost"))
            else:
                reasons.add(reason)
        prefixes.update(_DYNAMIC.findall(text))
    return literal, reasons, prefixes


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


@pytest.fixture(scope="module")
def catalogues() -> dict[str, dict[str, str]]:
    i18n.load_catalogue.cache_clear()
    return {lang: i18n.load_catalogue(lang) for lang in i18n.LANGUAGES}


def test_both_languages_have_the_same_keys(catalogues):
    en, zh = set(catalogues["en"]), set(catalogues["zh"])
    assert not en - zh, f"missing in Chinese: {sorted(en - zh)}"
    assert not zh - en, f"missing in English: {sorted(zh - en)}"


def test_placeholders_match_between_languages(catalogues):
    mismatched = {
        key: (_placeholders(catalogues["en"][key]), _placeholders(catalogues["zh"][key]))
        for key in catalogues["en"]
        if key in catalogues["zh"] and _placeholders(catalogues["en"][key]) != _placeholders(catalogues["zh"][key])
    }
    assert not mismatched


def test_no_key_is_defined_twice_across_files():
    for lang in i18n.LANGUAGES:
        seen: dict[str, Path] = {}
        for path in i18n.catalogue_files(lang):
            with path.open("rb") as fh:
                for key in i18n._flatten(tomllib.load(fh)):
                    assert key not in seen, f"{key} in both {seen[key].name} and {path.name}"
                    seen[key] = path


def test_every_message_id_used_in_code_is_translated(catalogues):
    literal, reasons, prefixes = _used_ids()
    assert len(literal) > 50, "the scanner found suspiciously few ids; did the patterns break?"
    needed = set(literal) | {f"report.reason.{r}" for r in reasons}
    for prefix, values in DYNAMIC_FAMILIES.items():
        needed.update(prefix + v for v in values)
    for lang, catalogue in catalogues.items():
        missing = sorted(k for k in needed if k not in catalogue)
        assert not missing, f"untranslated in {lang}: {missing}"


def test_every_dynamic_lookup_belongs_to_a_known_family():
    _, _, prefixes = _used_ids()
    unknown = sorted(p for p in prefixes if p not in DYNAMIC_FAMILIES)
    assert not unknown, f"t(f'...') with an unlisted prefix: {unknown}; add it to DYNAMIC_FAMILIES with its values"


def test_missing_translation_falls_back_to_english(monkeypatch):
    en = dict(i18n.load_catalogue("en"))
    zh = {k: v for k, v in i18n.load_catalogue("zh").items() if k != "nav.data"}
    monkeypatch.setattr(i18n, "load_catalogue", lambda lang: en if lang == "en" else zh)
    assert i18n.translate("nav.data", "zh") == en["nav.data"]
    # An id in no catalogue still renders readable words, never the raw dotted id.
    assert i18n.translate("nowhere.to_be_found", "zh") == "To be found"


def test_errors_render_in_both_languages_with_parameters_filled():
    err = DataError("ingest.error.too_many_columns", name="x.csv", count=10000, limit=500)
    en, zh = i18n.render_error(err, "en"), i18n.render_error(err, "zh")
    assert "10000" in en and "500" in en and "x.csv" in en
    assert "10000" in zh and "列" in zh
    assert "{" not in en + zh
    assert str(err) == en


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        (12_345_678, "zh", "1234.6万"),
        (1_500_000_000, "zh", "15亿"),
        (12_345_678, "en", "12.3M"),
        (9_999, "en", "9,999"),
    ],
)
def test_compact_numbers_follow_the_language(value, lang, expected):
    assert i18n.format_compact(value, lang) == expected


def test_dates_and_money_follow_the_language():
    assert i18n.format_day(date(2025, 3, 1), "en") == "2025-03-01"
    assert i18n.format_day(date(2025, 3, 1), "zh") == "2025年3月1日"
    assert i18n.format_money(1234.5, "CNY", "zh") == "¥1,234.50"
    assert i18n.format_money(1234.5, "USD", "en") == "$1,234.50"
    assert i18n.format_number(1234567.891, 2, "en") == "1,234,567.89"
    assert i18n.format_percent_value(0.1234, 1, "zh") == "12.3%"


def test_language_codes_normalise():
    assert i18n.normalise_language("zh-CN") == "zh"
    assert i18n.normalise_language("en_GB") == "en"
    assert i18n.normalise_language("fr-FR") == "en"
    assert i18n.normalise_language(None) == "en"


def test_a_message_quoted_in_an_error_is_translated_with_it():
    from ml.ingest import read_upload

    png = b"\x89PNG\r\n\x1a\n" + bytes(200)
    with pytest.raises(DataError) as caught:
        read_upload("photo.csv", png)
    english, chinese = i18n.render_error(caught.value, "en"), i18n.render_error(caught.value, "zh")
    assert "PNG image" in english and "photo.csv" in english
    assert "PNG 图片" in chinese and "image" not in chinese and "ingest.kind" not in chinese

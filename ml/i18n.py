"""Translation and locale-aware formatting for the UI and the CLI.

Why plain per-language TOML catalogues rather than gettext: every string is looked up by a stable message id
(``data.upload.label``), which the engine's typed errors carry across the UI/CLI boundary; TOML needs no compile
step, keeps Chinese text readable in review, and a test can diff the two catalogues' keys and placeholders.
Numbers and dates are formatted by Babel (CLDR data), including the 万/亿 compact forms Chinese readers expect.

The current language lives in a ContextVar: Streamlit runs each session's script in its own thread, and the
entry point sets the language at the top of every run, so concurrent users never see each other's language.
"""

from __future__ import annotations

import logging
import math
import tomllib
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path
from string import Formatter

from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.numbers import format_compact_decimal, format_currency, format_decimal, format_percent

LANGUAGES: dict[str, str] = {"en": "English", "zh": "简体中文"}
DEFAULT_LANGUAGE = "en"
# Babel locale used for each interface language.
BABEL_LOCALES: dict[str, str] = {"en": "en_US", "zh": "zh_Hans_CN"}
LOCALES_DIR = Path(__file__).parent / "locales"

_log = logging.getLogger(__name__)
_language: ContextVar[str] = ContextVar("saleslens_language", default=DEFAULT_LANGUAGE)


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, full + "."))
        else:
            flat[full] = str(value)
    return flat


def catalogue_files(language: str) -> list[Path]:
    """One TOML file per area of the app (core, explore, forecast, ...), so areas are edited independently."""
    return sorted((LOCALES_DIR / language).glob("*.toml"))


@cache
def load_catalogue(language: str) -> dict[str, str]:
    """The flattened message catalogue of one language (message id -> template), merged over its files."""
    merged: dict[str, str] = {}
    for path in catalogue_files(language):
        with path.open("rb") as fh:
            merged.update(_flatten(tomllib.load(fh)))
    return merged


def normalise_language(code: str | None) -> str:
    """Map a browser or URL language code ('zh-CN', 'en_GB', 'ZH') to one of LANGUAGES, else the default."""
    if not code:
        return DEFAULT_LANGUAGE
    base = str(code).replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def set_language(language: str) -> None:
    _language.set(normalise_language(language))


def get_language() -> str:
    return _language.get()


class _SafeParams(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Msg(str):
    """A message id used as a parameter of another message (``kind=Msg("ingest.kind.png")``): translated into the
    same language as the message that quotes it."""


def translate(message_id: str, language: str, /, **params: object) -> str:
    """Render a message in ``language``; falls back to English, then to a readable form of the id."""
    template = load_catalogue(language).get(message_id)
    if template is None:
        if language != DEFAULT_LANGUAGE:
            _log.warning("missing %s translation for %r", language, message_id)
        template = load_catalogue(DEFAULT_LANGUAGE).get(message_id)
    if template is None:
        _log.error("message id %r is in no catalogue", message_id)
        template = message_id.rsplit(".", 1)[-1].replace("_", " ").capitalize()
    if not params:
        return template
    params = {k: translate(v, language) if isinstance(v, Msg) else v for k, v in params.items()}
    if params.get("series") == "total":  # the engine's id of the whole-shop series, never shown as such
        params["series"] = translate("series.total", language)
    return Formatter().vformat(template, (), _SafeParams(params))


def t(message_id: str, /, **params: object) -> str:
    """Translate ``message_id`` into the current language."""
    return translate(message_id, get_language(), **params)


def render_error(error: Exception, language: str | None = None) -> str:
    """The user-facing text of an error in the given or current language: the Message a SalesLensError carries,
    ``error.unexpected`` for anything else."""
    from ml.messages import message_of

    return message_of(error).render(language)


# ---------------------------------------------------------------------------------------------- formatting


def babel_locale(language: str | None = None) -> Locale:
    return Locale.parse(BABEL_LOCALES[normalise_language(language or get_language())])


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_number(value: float | int | None, decimals: int = 0, language: str | None = None) -> str:
    """Grouped number ('1,234,567.8'); Chinese uses the same digits and separators."""
    if _is_missing(value):
        return "–"
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(value, format=pattern, locale=babel_locale(language))


def format_compact(value: float | int | None, language: str | None = None) -> str:
    """Short form for KPI cards and axis ticks: '1.2M' in English, '123.5万' / '1.2亿' in Chinese."""
    if _is_missing(value):
        return "–"
    if abs(value) < 10_000:
        return format_number(value, 0 if float(value).is_integer() or abs(value) >= 100 else 2, language)
    return format_compact_decimal(value, format_type="short", fraction_digits=1, locale=babel_locale(language))


def format_money(value: float | None, currency: str, language: str | None = None, compact: bool = False) -> str:
    if _is_missing(value):
        return "–"
    loc = babel_locale(language)
    if compact and abs(value) >= 10_000:
        symbol = loc.currency_symbols.get(currency, currency)
        return f"{symbol}{format_compact(value, language)}"
    return format_currency(value, currency, locale=loc)


def format_percent_value(fraction: float | None, decimals: int = 1, language: str | None = None) -> str:
    """0.123 -> '12.3%'."""
    if _is_missing(fraction):
        return "–"
    return format_percent(fraction, format="#,##0." + "0" * decimals + "%", locale=babel_locale(language))


def format_day(value: date | datetime | None, language: str | None = None) -> str:
    """A calendar date: ISO (2025-03-01) in English, 2025年3月1日 in Chinese."""
    if value is None:
        return "–"
    lang = normalise_language(language or get_language())
    if lang == "en":
        return value.strftime("%Y-%m-%d")
    return _babel_format_date(value, format="long", locale=babel_locale(lang))


def plotly_separators(language: str | None = None) -> str:
    """Plotly's ``layout.separators`` (decimal then thousands) for the language."""
    loc = babel_locale(language)
    return loc.number_symbols["latn"]["decimal"] + loc.number_symbols["latn"]["group"]

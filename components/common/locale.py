"""Language and currency pickers; the language is remembered in the URL (``?lang=zh``) so a shared link keeps it."""

from __future__ import annotations

import streamlit as st

from components import state
from ml.i18n import LANGUAGES, normalise_language, set_language, t

CURRENCIES = ("USD", "EUR", "GBP", "CNY", "JPY")
DEFAULT_CURRENCY = {"en": "USD", "zh": "CNY"}


def _browser_language() -> str | None:
    try:
        return st.context.locale
    except Exception:  # not available in every runtime (e.g. bare AppTest)
        return None


def current_language() -> str:
    """URL first (shared links), then this session's choice, then the browser's language, else English."""
    from_url = st.query_params.get("lang")
    if from_url in LANGUAGES:
        return from_url
    if state.language.get() in LANGUAGES:
        return state.language.get()
    return normalise_language(_browser_language())


def _on_language_change() -> None:
    chosen = state.widget_value(state.SIDEBAR_LANGUAGE)
    state.language.set(chosen)
    st.query_params["lang"] = chosen


def input_language() -> str:
    lang = current_language()
    state.language.set(lang)
    set_language(lang)
    if st.query_params.get("lang") != lang:
        st.query_params["lang"] = lang
    state.set_widget(state.SIDEBAR_LANGUAGE, lang)
    st.sidebar.selectbox(
        "Language / 语言",
        options=list(LANGUAGES),
        format_func=LANGUAGES.get,
        key=state.SIDEBAR_LANGUAGE,
        on_change=_on_language_change,
    )
    return lang


def _detected_currency() -> str | None:
    ds = state.dataset()
    return getattr(ds.report, "currency", None) if ds is not None else None


def currency() -> str:
    """The analyst's choice for this dataset, else the currency read from the data, else the last choice, else the
    language's usual one."""
    ds = state.dataset()
    chosen = state.currency_choices().get(ds.fingerprint) if ds is not None else None
    return chosen or _detected_currency() or state.currency_code.get() \
        or DEFAULT_CURRENCY.get(state.language.get("en"), "USD")


def _on_currency_change() -> None:
    chosen = state.widget_value(state.SIDEBAR_CURRENCY)
    state.currency_code.set(chosen)
    ds = state.dataset()
    if ds is not None:
        state.currency_choices()[ds.fingerprint] = chosen


def input_currency() -> str:
    current = currency()
    if current not in CURRENCIES:
        current = CURRENCIES[0]
    state.set_widget(state.SIDEBAR_CURRENCY, current)
    st.selectbox(
        t("sidebar.currency"),
        options=CURRENCIES,
        key=state.SIDEBAR_CURRENCY,
        help=t("sidebar.currency_help"),
        on_change=_on_currency_change,
    )
    if state.currency_code.get() is None:  # a language switch later keeps the money the analyst saw
        state.currency_code.set(current)
    ds = state.dataset()
    detected = _detected_currency()
    if detected:
        st.caption(t("sidebar.currency_detected", currency=detected))
    elif ds is not None and ds.fingerprint not in state.currency_choices():
        st.caption(t("sidebar.currency_ask"))
    return current

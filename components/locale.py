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
    if state.get(state.LANGUAGE) in LANGUAGES:
        return state.get(state.LANGUAGE)
    return normalise_language(_browser_language())


def _on_language_change() -> None:
    chosen = st.session_state[state.SIDEBAR_LANGUAGE]
    state.put(state.LANGUAGE, chosen)
    st.query_params["lang"] = chosen


def input_language() -> str:
    lang = current_language()
    state.put(state.LANGUAGE, lang)
    set_language(lang)
    if st.query_params.get("lang") != lang:
        st.query_params["lang"] = lang
    st.session_state[state.SIDEBAR_LANGUAGE] = lang
    st.sidebar.selectbox(
        "Language / 语言",
        options=list(LANGUAGES),
        format_func=LANGUAGES.get,
        key=state.SIDEBAR_LANGUAGE,
        on_change=_on_language_change,
    )
    return lang


def currency() -> str:
    return state.get(state.CURRENCY) or DEFAULT_CURRENCY.get(state.get(state.LANGUAGE, "en"), "USD")


def input_currency() -> str:
    current = currency()
    chosen = st.selectbox(
        t("sidebar.currency"),
        options=CURRENCIES,
        index=CURRENCIES.index(current) if current in CURRENCIES else 0,
        key=state.SIDEBAR_CURRENCY,
        help=t("sidebar.currency_help"),
    )
    state.put(state.CURRENCY, chosen)
    return chosen

"""The door: optional sign-in with Streamlit's ``st.login`` (OIDC), an allow-list, and the workspace of the signed-in
person.

Without an ``[auth]`` section in ``.streamlit/secrets.toml`` nothing here applies: the server listens on 127.0.0.1
only (``.streamlit/config.toml``), each browser keeps its own workspace, and opening it to a network is a choice the
deployment makes (docs/deployment.md). With ``[auth]``, every script run starts here: until an allowed person is
signed in, the only page that exists is the sign-in page (``st.navigation`` with that page alone), so no page, no
dataset and no workspace is reached first. Who is allowed: ``[saleslens] allowed_emails`` / ``allowed_domains``
(``ml.access``); the workspace is keyed by the identity's (issuer, subject), never by a cookie or a link.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import streamlit as st

from components import state
from ml.access import AllowList, owner_for_identity
from ml.i18n import t

SETTINGS_SECTION = "saleslens"


def _secrets_section(name: str) -> Mapping[str, Any] | None:
    try:
        section = st.secrets.get(name)
    except Exception:  # no secrets.toml at all (the default), or one that does not parse: no sign-in configured
        return None
    return section if isinstance(section, Mapping) else None


def auth_section() -> Mapping[str, Any] | None:
    """Streamlit's ``[auth]`` settings when sign-in is configured, else None."""
    return _secrets_section("auth")


def allow_list() -> AllowList:
    return AllowList.from_config(_secrets_section(SETTINGS_SECTION))


def _provider(section: Mapping[str, Any]) -> str | None:
    """None for a provider given directly in ``[auth]``; else the name of the first ``[auth.<name>]`` provider."""
    if "client_id" in section:
        return None
    names = [name for name, value in section.items() if isinstance(value, Mapping) and "client_id" in value]
    return names[0] if names else None


def _sign_in() -> None:
    section = auth_section() or {}
    provider = _provider(section)
    if provider is None:
        st.login()
    else:
        st.login(provider)


def require_access() -> None:
    """Stop the script at the sign-in (or refusal) page unless sign-in is off or an allowed person is signed in;
    then make this session work in that person's workspace. Call it before anything reads data or draws a page."""
    if auth_section() is None:
        return
    user = st.user
    if not user.get("is_logged_in"):
        _only_page(_show_sign_in)
    email = user.get("email")
    allowed = allow_list()
    if not allowed.allows(email, user.get("email_verified")):
        _only_page(_show_refused)
    owner = owner_for_identity(user.get("iss"), user.get("sub") or email)
    if state.access_signed_in.get() != owner:
        state.access_signed_in.set(owner)
        state.put(state.OWNER, owner)


def _only_page(draw: Callable[[], None]) -> NoReturn:
    """Run ``draw`` as the app's one and only page (every URL lands on it), then stop."""
    st.navigation([st.Page(draw, title=t("access.sign_in.title"), icon=":material/lock:", default=True)],
                  position="hidden").run()
    st.stop()


def _show_sign_in() -> None:
    st.title(t("access.sign_in.title"))
    st.write(t("access.sign_in.intro"))
    st.button(t("access.sign_in.button"), key=state.ACCESS_SIGN_IN, type="primary", on_click=_sign_in,
              icon=":material/login:")


def _show_refused() -> None:
    user = st.user
    email = user.get("email") or "?"
    st.title(t("access.refused.title"))
    if allow_list().empty:
        st.error(t("access.refused.no_list", email=email), icon=":material/block:")
    elif user.get("email_verified") is False:
        st.error(t("access.refused.unverified", email=email), icon=":material/block:")
    else:
        st.error(t("access.refused.not_listed", email=email), icon=":material/block:")
    st.button(t("access.sign_out"), key=state.ACCESS_SIGN_OUT, on_click=st.logout, icon=":material/logout:")


def show_signed_in() -> None:
    """Who is signed in, and the sign-out button (in the sidebar); nothing when sign-in is off."""
    if not state.access_signed_in.get():
        return
    st.caption(t("access.signed_in_as", email=st.user.get("email") or "?"))
    st.button(t("access.sign_out"), key=state.ACCESS_SIGN_OUT, on_click=st.logout, icon=":material/logout:")

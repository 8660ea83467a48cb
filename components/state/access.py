"""Session-state and widget keys of sign-in and workspace links (re-exported by components.state)."""

from __future__ import annotations

# App state
ACCESS_SIGNED_IN = "access_signed_in"  # owner id of the signed-in identity this session works for (None: no [auth])
WORKSPACE_LINK_OFFER = "workspace_link_offer"  # workspace id from a ?ws= link, waiting for the user's consent
WORKSPACE_LINK_SUMMARY = "workspace_link_summary"  # values.LinkSummary of the offered workspace
WORKSPACE_LINK_CHOSEN = "workspace_link_chosen"  # this session works in a linked workspace the user agreed to open
WORKSPACE_LINK_OPENED = "workspace_link_opened"  # the user just opened a linked workspace (say so once)

# Widget keys
ACCESS_SIGN_IN = "access_sign_in"
ACCESS_SIGN_OUT = "access_sign_out"
WORKSPACE_LINK_OPEN = "workspace_link_open"
WORKSPACE_LINK_KEEP = "workspace_link_keep"


# Typed accessors of the app state above
from components.state.slot import Slot  # noqa: E402
from components.state.values import LinkSummary  # noqa: E402

access_signed_in: Slot[str] = Slot(ACCESS_SIGNED_IN)
workspace_link_offer: Slot[str] = Slot(WORKSPACE_LINK_OFFER)
workspace_link_summary: Slot[LinkSummary] = Slot(WORKSPACE_LINK_SUMMARY)
workspace_link_chosen: Slot[bool] = Slot(WORKSPACE_LINK_CHOSEN)
workspace_link_opened: Slot[bool] = Slot(WORKSPACE_LINK_OPENED)

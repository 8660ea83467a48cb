"""Draw an ``ml.messages.Message`` (an engine error, a job's failure, a note kept in session state) in the UI."""

from __future__ import annotations

from typing import Literal

import streamlit as st

from ml.messages import Message

_DRAW = {"error": st.error, "warning": st.warning, "info": st.info, "success": st.success}


def show_message(message: Message, kind: Literal["error", "warning", "info", "success"] = "error",
                 icon: str | None = ":material/error:") -> None:
    """The message in the current language as an alert box of ``kind``."""
    _DRAW[kind](message.render(), icon=icon)

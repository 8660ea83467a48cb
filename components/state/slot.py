"""``Slot``: one app-state session key with the type of its value, so pages read ``state.forecast_error.get()``
(a ``Message`` or None) instead of an untyped ``st.session_state`` lookup."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import streamlit as st

T = TypeVar("T")


class Slot(Generic[T]):
    """A session key holding one ``T`` (absent until first set)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def get(self, default: T | None = None) -> T | None:
        return st.session_state.get(self.key, default)

    def set(self, value: T | None) -> None:
        st.session_state[self.key] = value

    def clear(self) -> None:
        st.session_state.pop(self.key, None)

    def __repr__(self) -> str:
        return f"Slot({self.key!r})"


# Widget values: a widget's key names its value, whose type the widget fixes. These read and preset them.
def widget_value(key: str, default: Any = None) -> Any:
    return st.session_state.get(key, default)


def set_widget(key: str, value: Any) -> None:
    """Preset or change a widget's value (before the widget is drawn in this run, or in its callback)."""
    st.session_state[key] = value


def default_widget(key: str, value: Any) -> Any:
    """Give a widget its starting value unless the analyst already chose one; the value now in place."""
    return st.session_state.setdefault(key, value)


def has_widget(key: str) -> bool:
    return key in st.session_state


def forget_widget(key: str) -> None:
    """Drop a widget's value so it is drawn with its default again."""
    st.session_state.pop(key, None)

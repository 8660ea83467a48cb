"""``Message``: a user-facing message as a value (a catalogue id and its parameters), rendered late in the reader's
language. Engine errors carry one (``SalesLensError.message``); jobs, searches and evaluations report failures as
one; the UI keeps one in session state and draws it with ``components.messages.show_message``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ml.i18n import get_language, translate


@dataclass(frozen=True)
class Message:
    """A message id from ``ml/locales/<lang>/*.toml`` with the values of its placeholders."""

    id: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", dict(self.params))  # a copy: the sender's dict may change later

    def render(self, language: str | None = None) -> str:
        """The text in ``language`` (default: the current one)."""
        return translate(self.id, language or get_language(), **self.params)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        return cls(str(data["id"]), dict(data.get("params") or {}))


def message_of(error: BaseException) -> Message:
    """The Message an error carries; ``error.unexpected`` (naming the exception type) for anything else."""
    carried = getattr(error, "message", None)
    if isinstance(carried, Message):
        return carried
    return Message("error.unexpected", {"detail": type(error).__name__})

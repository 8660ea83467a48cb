"""The validation report: how the files were read and every row dropped, changed or flagged while cleaning, with
its JSON codec (the workspace stores it beside each saved dataset).

``to_json_dict`` is the shape ``python -m ml profile --json`` prints; ``to_dict``/``from_dict`` are the stored form,
every field kept so a saved dataset comes back with the report it was cleaned with.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from ml.dataset.options import ReturnsPolicy
from ml.ingest import FileFormat


class Action(StrEnum):
    """What cleaning did to the rows a problem counts (message ids ``report.action.<value>``)."""

    DROPPED = "dropped"  # removed from the data
    CHANGED = "changed"  # kept with a value corrected or cleared
    FLAGGED = "flagged"  # kept as they are, worth a look
    KEPT = "kept"  # kept on purpose (returns under the keep policy)
    NETTED = "netted"  # offset against earlier purchases
    INFO = "info"  # nothing wrong: how a value was obtained


@dataclass
class Problem:
    """One reason rows were dropped, changed or flagged. ``reason`` is a message id under ``report.reason``."""

    reason: str
    count: int
    action: Action
    examples: list[str] = field(default_factory=list)

    def to_json_dict(self) -> dict:
        return {"reason": self.reason, "count": int(self.count), "action": str(self.action), "examples": self.examples}

    def to_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "count": int(self.count), "action": str(self.action),
                "examples": [str(e) for e in self.examples]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Problem:
        return cls(reason=data["reason"], count=int(data["count"]), action=Action(data["action"]),
                   examples=list(data.get("examples", [])))


@dataclass
class ValidationReport:
    rows_read: int = 0
    rows_kept: int = 0
    problems: list[Problem] = field(default_factory=list)
    formats: list[FileFormat] = field(default_factory=list)
    number_style: str = "."
    date_format: str | None = None
    date_ambiguous: bool = False
    date_alternative: str | None = None
    returns_policy: ReturnsPolicy = ReturnsPolicy.KEEP
    currency: str | None = None  # ISO code read from the data (symbols in prices, the shop's countries), else None

    def add(self, reason: str, count: int, action: Action, examples: list[str] | None = None) -> None:
        if count:
            self.problems.append(Problem(reason, int(count), Action(action), examples or []))

    def count(self, reason: str) -> int:
        return sum(p.count for p in self.problems if p.reason == reason)

    @property
    def rows_dropped(self) -> int:
        return self.rows_read - self.rows_kept

    def to_json_dict(self) -> dict:
        return {
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "problems": [p.to_json_dict() for p in self.problems],
            "formats": [f.to_json_dict() for f in self.formats],
            "decimal_separator": self.number_style,
            "date_format": self.date_format,
            "date_order_ambiguous": self.date_ambiguous,
            "returns_policy": str(self.returns_policy),
            "currency": self.currency,
        }

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain JSON data (the stored form)."""
        return {
            "rows_read": int(self.rows_read),
            "rows_kept": int(self.rows_kept),
            "problems": [p.to_dict() for p in self.problems],
            "formats": [f.to_dict() for f in self.formats],
            "number_style": self.number_style,
            "date_format": self.date_format,
            "date_ambiguous": bool(self.date_ambiguous),
            "date_alternative": self.date_alternative,
            "returns_policy": str(self.returns_policy),
            "currency": self.currency,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidationReport:
        """The report ``to_dict`` wrote; unknown keys are ignored and missing ones take their defaults, so files
        written before a field existed still read."""
        scalars = {f.name for f in fields(cls)} - {"problems", "formats", "returns_policy"}
        report = cls(**{k: v for k, v in data.items() if k in scalars})
        if "returns_policy" in data:
            report.returns_policy = ReturnsPolicy(data["returns_policy"])
        report.problems = [Problem.from_dict(p) for p in data.get("problems", [])]
        report.formats = [FileFormat.from_dict(f) for f in data.get("formats", [])]
        return report

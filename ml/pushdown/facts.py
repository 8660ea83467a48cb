"""Figures of a whole saved dataset kept beside its Parquet (``data.facts.json``): the control totals, the KPI
cards' numbers and the totals per day, week and month, distinct orders and customers included. Counting distinct
ids over millions of lines is most of what the Explore page costs in place (bench/RESULTS.md), and the first view,
with no filter set, always asks the same: each figure is computed exactly once, by the same query a filtered view
runs, when the dataset is saved (``prepare_facts``) or first asked for, and read back after that.

The sidecar names the Parquet's size and modification time: a file written again makes it stale (its figures are
computed afresh), and it lives in the dataset's folder, so deleting the dataset deletes it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

FACTS_VERSION = 1
PERIODS = ("D", "W", "M")


def facts_path(parquet: Path) -> Path:
    return parquet.with_name(f"{parquet.stem}.facts.json")


def _stamp(parquet: Path) -> dict[str, int]:
    stat = parquet.stat()
    return {"version": FACTS_VERSION, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def read_facts(parquet: Path) -> dict[str, Any]:
    """The figures kept for this file; empty when there are none or they belong to an earlier version of it."""
    try:
        kept = json.loads(facts_path(parquet).read_text())
        return kept["facts"] if kept.get("stamp") == _stamp(parquet) else {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _write_facts(parquet: Path, facts: dict[str, Any]) -> None:
    """Written whole under a temporary name, then renamed (a reader never sees half a file); a folder that cannot
    be written leaves the figures to be computed again next time."""
    target = facts_path(parquet)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps({"stamp": _stamp(parquet), "facts": facts}))
        os.replace(tmp, target)
    except OSError:
        tmp.unlink(missing_ok=True)


def keep_fact(parquet: Path, key: str, value: Any) -> None:
    """Keep the figure ``key`` (JSON-able) beside the file, with the others."""
    _write_facts(parquet, {**read_facts(parquet), key: value})


def remembered(parquet: Path, key: str, compute: Callable[[], Any]) -> Any:
    """The figure ``key`` of the whole file: read from the sidecar, else ``compute()`` (JSON-able) and kept."""
    facts = read_facts(parquet)
    if key in facts:
        return facts[key]
    value = compute()
    keep_fact(parquet, key, value)
    return value


def prepare_facts(parquet: Path) -> None:
    """Every figure the Explore page's first view and the dataset's opening ask for, computed now (on saving)."""
    from ml.explore import make_kpis, make_trend
    from ml.pushdown.stored import stored_totals
    from ml.pushdown.table import ParquetTable

    table = ParquetTable(parquet)
    stored_totals(table)
    make_kpis(table, None)
    for freq in PERIODS:
        make_trend(table, None, freq)

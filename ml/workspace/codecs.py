"""JSON codecs of the dataset types a saved dataset's ``meta.json`` holds (``ValidationReport``,
``CleaningOptions``). They belong beside those types in ``ml.dataset``, which is being split; they move there then.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ml.dataset import CleaningOptions, Problem, ReturnsPolicy, ValidationReport
from ml.ingest import FileFormat
from ml.jsonable import to_jsonable


def report_to_dict(report: ValidationReport) -> dict[str, Any]:
    return to_jsonable(dataclasses.asdict(report))


def report_from_dict(data: dict[str, Any]) -> ValidationReport:
    known = {f.name for f in dataclasses.fields(ValidationReport)}
    values = {k: v for k, v in data.items() if k in known and k not in ("problems", "formats")}
    fmt_fields = {f.name for f in dataclasses.fields(FileFormat)}
    prob_fields = {f.name for f in dataclasses.fields(Problem)}
    report = ValidationReport(**values)
    report.problems = [Problem(**{k: v for k, v in p.items() if k in prob_fields}) for p in data.get("problems", [])]
    report.formats = [FileFormat(**{k: v for k, v in f.items() if k in fmt_fields}) for f in data.get("formats", [])]
    return report


def options_to_dict(options: CleaningOptions) -> dict[str, Any]:
    return {"returns": str(options.returns), "day_first": options.day_first,
            "drop_duplicates": bool(options.drop_duplicates), "encoding": options.encoding,
            "keep_non_products": bool(options.keep_non_products)}


def options_from_dict(data: dict[str, Any]) -> CleaningOptions:
    return CleaningOptions(returns=ReturnsPolicy(data.get("returns", "keep")), day_first=data.get("day_first"),
                           drop_duplicates=bool(data.get("drop_duplicates", True)), encoding=data.get("encoding"),
                           keep_non_products=bool(data.get("keep_non_products", False)))

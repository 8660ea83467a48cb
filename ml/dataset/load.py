"""``load_dataset``: uploaded files -> one clean canonical transactions frame plus a validation report that explains
every change, in three steps: read (``ml.dataset.read``) -> map (``ml.dataset.columns``) -> clean
(``ml.dataset.cleaner``). The single entry point used by the Data page, the CLI and the benchmarks.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ml.dataset.cleaner import Cleaner
from ml.dataset.columns import MappedTable, map_columns
from ml.dataset.options import CleaningOptions
from ml.dataset.read import read_tables
from ml.dataset.report import Action, ValidationReport
from ml.limits import LIMITS, IngestLimits
from ml.schema import Col, ColumnMapping, DataError

_WORKERS = max(1, min(4, os.cpu_count() or 1))
_ENGINE = Path(__file__).resolve().parent.parent
# The engine code whose output a loaded dataset is (folders: every module in them).
_SOURCES = ("dataset", "ingest", "parsing.py", "mapping.py", "schema.py", "limits.py", "products.py", "currency.py")


@dataclass
class Dataset:
    name: str
    frame: pd.DataFrame  # canonical columns only
    mapping: ColumnMapping  # canonical -> source header
    report: ValidationReport
    source_columns: list[str]
    fingerprint: str
    options: CleaningOptions = field(default_factory=CleaningOptions)

    @property
    def date_min(self) -> pd.Timestamp:
        return self.frame[Col.DATE].min()

    @property
    def date_max(self) -> pd.Timestamp:
        return self.frame[Col.DATE].max()

    def has(self, column: str) -> bool:
        return column in self.frame.columns

    def control_totals(self) -> dict:
        f = self.frame
        return {
            "total_quantity": float(f[Col.QUANTITY].sum()) if Col.QUANTITY in f else None,
            "total_revenue": float(f[Col.REVENUE].sum()) if Col.REVENUE in f else None,
            "date_min": self.date_min.date().isoformat(),
            "date_max": self.date_max.date().isoformat(),
        }

    def profile_json(self) -> dict:
        """The object printed by ``python -m ml profile --json``."""
        return {
            "name": self.name,
            "rows_read": self.report.rows_read,
            "rows_kept": self.report.rows_kept,
            "mapping": self.mapping.to_dict(),
            "problems": [p.to_json_dict() for p in self.report.problems],
            **self.control_totals(),
            "format": self.report.to_json_dict()["formats"],
            "decimal_separator": self.report.number_style,
            "date_format": self.report.date_format,
            "date_order_ambiguous": self.report.date_ambiguous,
            "fingerprint": self.fingerprint,
        }


def load_dataset(
    files: Sequence[tuple[str, bytes]],
    mapping_overrides: dict[str, str | None] | None = None,
    options: CleaningOptions | None = None,
    limits: IngestLimits = LIMITS,
    name: str | None = None,
) -> Dataset:
    """Read, map and clean one or more files (monthly exports with the same columns are concatenated)."""
    options = options or CleaningOptions()
    with ThreadPoolExecutor(_WORKERS) as pool:
        mapped = map_columns(read_tables(files, limits, options.encoding), mapping_overrides, options.day_first)
        # hashlib releases the GIL: started once the columns are converted, the hash runs beside the cleaning
        # steps, which use one core, instead of taking a core from the reader and the converters, which use both
        hashing: list[Future] = []
        frame, report = clean(mapped, options, pool, lambda: hashing.append(pool.submit(_hash_files, files)))
        digest = hashing[0].result() if hashing else _hash_files(files)
    return Dataset(
        name=name or (files[0][0] if len(files) == 1 else f"{files[0][0]} (+{len(files) - 1})"),
        frame=frame,
        mapping=mapped.mapping,
        report=report,
        source_columns=mapped.source_columns,
        fingerprint=_fingerprint(digest, mapped.mapping, options),
        options=options,
    )


def clean(
    mapped: MappedTable, options: CleaningOptions, pool: Executor, converted: Callable[[], object] | None = None
) -> tuple[pd.DataFrame, ValidationReport]:
    """The clean frame and its report; refuses a result with fewer than two usable rows, saying why.
    ``converted``: called once every column is converted (the parallel part of the cleaning is over)."""
    report = _start_report(mapped, options)
    frame = Cleaner(mapped.take_table(), mapped.date_style, mapped.number_style, options, report, mapped.origin,
                    pool).run(converted)
    report.rows_kept = len(frame)
    _refuse_empty(report, mapped)
    return frame, report


def _start_report(mapped: MappedTable, options: CleaningOptions) -> ValidationReport:
    """The report with what reading and detection found: formats, lines the reader skipped, styles, currency."""
    assert mapped.table is not None
    malformed = sum(f.malformed_rows for f in mapped.formats)
    short = sum(f.short_rows for f in mapped.formats)
    report = ValidationReport(
        rows_read=mapped.table.num_rows + malformed,
        formats=list(mapped.formats),
        number_style=mapped.number_style.decimal,
        date_format=mapped.date_style.format,
        date_ambiguous=mapped.date_style.ambiguous,
        date_alternative=mapped.date_style.alternative,
        returns_policy=options.returns,
        currency=mapped.currency,
    )
    report.add("malformed_rows", malformed - short, Action.DROPPED)
    report.add("short_rows", short, Action.DROPPED)
    return report


def _refuse_empty(report: ValidationReport, mapped: MappedTable) -> None:
    """Fewer than two rows left: a message naming the column that failed and quoting its first raw values."""
    if report.rows_kept >= 2:
        return
    if report.rows_read == 0:
        raise DataError("ingest.error.no_rows", name=mapped.first_name)
    if report.rows_kept == 1:
        raise DataError("ingest.error.too_few_rows", rows=report.rows_kept)
    dropped = [p for p in report.problems if p.action == Action.DROPPED]
    top = max(dropped, key=lambda p: p.count, default=None)
    reason = top.reason if top else ""
    mapping = mapped.mapping
    if reason in ("bad_date", "missing_date"):
        raise DataError("ingest.error.no_valid_dates", rows=report.rows_read, column=mapping.source_for(Col.DATE),
                        examples=_quoted(mapped.heads.get(Col.DATE, [])))
    if reason in ("bad_quantity", "missing_quantity", "zero_quantity", "no_measure"):
        column = Col.QUANTITY if mapping.has(Col.QUANTITY) else Col.REVENUE
        raise DataError("ingest.error.no_valid_measures", rows=report.rows_read, column=mapping.source_for(column),
                        examples=_quoted(mapped.heads.get(column, [])))
    raise DataError("ingest.error.no_valid_rows", rows=report.rows_read, reason=reason)


def _quoted(values: list) -> str:
    return ", ".join(f"“{v}”" for v in values) or "–"


def _hash_files(files: Sequence[tuple[str, bytes]]):
    digest = hashlib.sha256()
    for fname, data in files:
        digest.update(fname.encode())
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest


def _fingerprint(digest, mapping: ColumnMapping, options: CleaningOptions) -> str:
    """The files' hash extended with everything else that changes the clean frame: the mapping and the options."""
    digest.update(repr(sorted(mapping.columns.items())).encode())
    digest.update(repr((str(options.returns), options.day_first, options.drop_duplicates)).encode())
    if options.keep_non_products:
        digest.update(b"keep_non_products")
    return digest.hexdigest()[:32]


def code_digest() -> str:
    """A hash of the engine code ``load_dataset`` runs: caches of loaded datasets are keyed on it, so a change to
    reading or cleaning reads the files again."""
    digest = hashlib.sha256()
    for name in _SOURCES:
        path = _ENGINE / name
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.read_bytes())
    return digest.hexdigest()

"""Uploaded files -> one clean canonical transactions frame plus a validation report that explains every change.

``load_dataset`` is the single entry point used by the Data page, the CLI and the benchmarks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml.ingest import FileFormat, RawTable, read_upload
from ml.limits import LIMITS, IngestLimits
from ml.mapping import apply_overrides, propose_mapping
from ml.parsing import DateStyle, NumberStyle, detect_date_style, detect_number_style, parse_dates, parse_numbers
from ml.schema import CANONICAL_COLUMNS, NUMERIC_COLUMNS, Col, ColumnMapping, DataError

SAMPLE_ROWS = 2000
MAX_EXAMPLES = 3
CATEGORICAL_COLUMNS = (Col.PRODUCT_ID, Col.PRODUCT_NAME, Col.CATEGORY, Col.REGION)
_TRUE_WORDS = {"1", "true", "yes", "y", "t", "x", "是", "有", "促销", "on"}
_FALSE_WORDS = {"0", "false", "no", "n", "f", "否", "无", "off", ""}


class ReturnsPolicy(StrEnum):
    """What to do with return lines (negative quantities) and cancellations."""

    KEEP = "keep"  # keep them with their sign: totals are net of returns
    EXCLUDE = "exclude"  # drop them: totals are gross sales
    NET = "net"  # offset each return against the same customer's earlier purchases of the product


@dataclass
class CleaningOptions:
    returns: ReturnsPolicy = ReturnsPolicy.KEEP
    day_first: bool | None = None  # None: detect; asked of the user when the data cannot tell
    drop_duplicates: bool = True
    encoding: str | None = None  # None: detect


@dataclass
class Problem:
    """One reason rows were dropped, changed or flagged. ``reason`` is a message id under ``report.reason``."""

    reason: str
    count: int
    action: str  # dropped | changed | flagged | info
    examples: list[str] = field(default_factory=list)

    def to_json_dict(self) -> dict:
        return {"reason": self.reason, "count": int(self.count), "action": self.action, "examples": self.examples}


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
    returns_policy: str = ReturnsPolicy.KEEP

    def add(self, reason: str, count: int, action: str, examples: list[str] | None = None) -> None:
        if count:
            self.problems.append(Problem(reason, int(count), action, examples or []))

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
        }


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


# ---------------------------------------------------------------------------------------------------- loading


def read_tables(files: Sequence[tuple[str, bytes]], limits: IngestLimits, encoding: str | None) -> list[RawTable]:
    if not files:
        raise DataError("ingest.error.no_files")
    if len(files) > limits.max_files:
        raise DataError("ingest.error.too_many_files", count=len(files), limit=limits.max_files)
    tables: list[RawTable] = []
    for name, data in files:
        tables.extend(read_upload(name, data, limits, encoding))
    total_rows = sum(t.table.num_rows for t in tables)
    if total_rows > limits.max_rows:
        raise DataError("ingest.error.too_many_rows", name=files[0][0], limit=limits.max_rows)
    return tables


def sample_columns(table: pa.Table, n: int = SAMPLE_ROWS) -> dict[str, pa.Array]:
    """An evenly spread sample of each column (head and body), for detection."""
    rows = table.num_rows
    if rows <= n:
        idx = None
    else:
        idx = pa.array(np.unique(np.r_[np.arange(n // 2), np.linspace(0, rows - 1, n // 2).astype(np.int64)]))
    out = {}
    for name in table.column_names:
        col = table.column(name).combine_chunks()
        out[name] = col if idx is None else col.take(idx)
    return out


def load_dataset(
    files: Sequence[tuple[str, bytes]],
    mapping_overrides: dict[str, str | None] | None = None,
    options: CleaningOptions | None = None,
    limits: IngestLimits = LIMITS,
    name: str | None = None,
) -> Dataset:
    """Read, map, parse and clean one or more files (monthly exports with the same columns are concatenated)."""
    options = options or CleaningOptions()
    tables = read_tables(files, limits, options.encoding)
    first = tables[0]
    samples = sample_columns(first.table)
    all_values = [v for arr in samples.values() for v in arr.drop_null().to_pylist()[:300]]
    style = detect_number_style([str(v) for v in all_values])
    proposal = propose_mapping(samples, style).mapping
    mapping = apply_overrides(proposal, mapping_overrides or {}, first.source_columns)
    if not mapping.has(Col.DATE):
        raise DataError("ingest.error.no_date", columns=", ".join(first.source_columns[:12]))
    if not (mapping.has(Col.QUANTITY) or mapping.has(Col.REVENUE)):
        raise DataError("ingest.error.no_measure", columns=", ".join(first.source_columns[:12]))

    parts = []
    origin = []  # (file name, first data row offset) for examples
    for raw in tables:
        missing = [src for src in mapping.columns.values() if src not in raw.source_columns]
        if missing:
            raise DataError(
                "ingest.error.columns_differ", name=raw.format.name, first=first.format.name, missing=", ".join(missing)
            )
        sub = raw.table.select(list(mapping.columns.values()))
        parts.append(sub.rename_columns(list(mapping.columns.keys())))
        origin.append((raw.format.name, raw.table.num_rows))
    table = pa.concat_tables(parts) if len(parts) > 1 else parts[0]

    report = ValidationReport(formats=[t.format for t in tables], number_style=style.decimal)
    malformed = sum(t.format.malformed_rows for t in tables)
    report.rows_read = table.num_rows + malformed
    report.add("malformed_rows", malformed, "dropped")
    report.returns_policy = options.returns

    date_style = _choose_date_style(samples[mapping.columns[Col.DATE]], options.day_first)
    report.date_format = date_style.format
    report.date_ambiguous = date_style.ambiguous
    report.date_alternative = date_style.alternative

    frame = _to_frame(table, date_style, style, report, origin)
    frame = _clean(frame, mapping, options, report)
    report.rows_kept = len(frame)
    if report.rows_kept == 0:
        top = max(report.problems, key=lambda p: p.count if p.action == "dropped" else -1, default=None)
        raise DataError("ingest.error.no_valid_rows", rows=report.rows_read, reason=top.reason if top else "")
    if report.rows_kept < 2:
        raise DataError("ingest.error.too_few_rows", rows=report.rows_kept)

    digest = hashlib.blake2b(digest_size=16)
    for fname, data in files:
        digest.update(fname.encode())
        digest.update(data)
    digest.update(repr(sorted(mapping.columns.items())).encode())
    digest.update(repr((options.returns, options.day_first, options.drop_duplicates)).encode())
    return Dataset(
        name=name or (files[0][0] if len(files) == 1 else f"{files[0][0]} (+{len(files) - 1})"),
        frame=frame,
        mapping=mapping,
        report=report,
        source_columns=first.source_columns,
        fingerprint=digest.hexdigest(),
        options=options,
    )


def _choose_date_style(sample: pa.Array, day_first: bool | None) -> DateStyle:
    style = detect_date_style(sample)
    if style.ambiguous and day_first is not None:
        wants_day_first = style.day_first
        chosen = style.format if wants_day_first == day_first else style.alternative
        # The user's choice settles it: no longer ambiguous for the report.
        return DateStyle(chosen, ambiguous=False, alternative=None)
    return style


def _examples(source: pa.Array, mask: np.ndarray, origin: list[tuple[str, int]]) -> list[str]:
    idx = np.flatnonzero(mask)[:MAX_EXAMPLES]
    out = []
    for i in idx:
        fname, row = _locate(int(i), origin)
        value = source[int(i)].as_py() if source is not None else None
        label = f"{fname} row {row}" if len(origin) > 1 else f"row {row}"
        out.append(f"{label}: {value!r}" if value is not None else f"{label}: (empty)")
    return out


def _locate(i: int, origin: list[tuple[str, int]]) -> tuple[str, int]:
    for fname, n in origin:
        if i < n:
            return fname, i + 1
        i -= n
    return origin[-1][0], i + 1


def _to_frame(
    table: pa.Table, date_style: DateStyle, style: NumberStyle, report: ValidationReport, origin: list
) -> pd.DataFrame:
    """Typed columns; rows with unreadable dates or quantities are dropped and counted."""
    columns: dict[str, object] = {}
    drop = np.zeros(table.num_rows, dtype=bool)

    raw_date = table.column(Col.DATE).combine_chunks()
    dates, failed = parse_dates(raw_date, date_style)
    failed_np = failed.to_numpy(zero_copy_only=False)
    empty = pc.is_null(raw_date).to_numpy(zero_copy_only=False)
    report.add("bad_date", int(failed_np.sum()), "dropped", _examples(raw_date, failed_np, origin))
    report.add("missing_date", int(empty.sum()), "dropped", _examples(None, empty, origin))
    drop |= failed_np | empty
    columns[Col.DATE] = dates.cast(pa.timestamp("ns")).to_numpy(zero_copy_only=False)

    for name in table.column_names:
        if name == Col.DATE:
            continue
        raw = table.column(name).combine_chunks()
        if name in NUMERIC_COLUMNS:
            values, failed = parse_numbers(raw, style)
            failed_np = failed.to_numpy(zero_copy_only=False)
            if name == Col.QUANTITY:
                report.add("bad_quantity", int(failed_np.sum()), "dropped", _examples(raw, failed_np, origin))
                drop |= failed_np
            else:
                report.add(f"bad_{name}", int(failed_np.sum()), "changed", _examples(raw, failed_np, origin))
            columns[name] = values.to_numpy(zero_copy_only=False).astype("float64")
        elif name == Col.PROMO:
            columns[name] = _parse_flags(raw)
        elif name in CATEGORICAL_COLUMNS:
            columns[name] = pd.Categorical(pc.utf8_trim_whitespace(raw).to_pandas())
        else:
            columns[name] = pc.utf8_trim_whitespace(raw).to_pandas()
    frame = pd.DataFrame(columns)
    if drop.any():
        frame = frame.loc[~drop]
    return frame


def _parse_flags(raw: pa.Array) -> np.ndarray:
    text = pc.utf8_lower(pc.utf8_trim_whitespace(raw.cast(pa.string()))).to_pandas()
    numeric = pd.to_numeric(text, errors="coerce")
    flags = numeric.fillna(0).ne(0) | text.isin(_TRUE_WORDS)
    return flags.to_numpy(dtype=bool)


def _clean(frame: pd.DataFrame, mapping: ColumnMapping, options: CleaningOptions, report: ValidationReport) -> pd.DataFrame:
    f = frame
    if Col.QUANTITY in f:
        missing_q = f[Col.QUANTITY].isna()
        if Col.REVENUE not in f:
            report.add("missing_quantity", int(missing_q.sum()), "dropped")
            f = f.loc[~missing_q]
        zero = f[Col.QUANTITY].eq(0)
        report.add("zero_quantity", int(zero.sum()), "dropped")
        f = f.loc[~zero]

    if Col.UNIT_PRICE in f:
        negative = f[Col.UNIT_PRICE].lt(0)
        report.add("negative_price", int(negative.sum()), "dropped", _frame_examples(f, negative, Col.UNIT_PRICE))
        f = f.loc[~negative]
        report.add("zero_price", int(f[Col.UNIT_PRICE].eq(0).sum()), "flagged")

    # Derive the missing one of revenue / unit price.
    if Col.QUANTITY in f and Col.UNIT_PRICE in f and Col.REVENUE not in f:
        f = f.assign(**{Col.REVENUE: f[Col.QUANTITY] * f[Col.UNIT_PRICE]})
        report.add("derived_revenue", len(f), "info")
    elif Col.QUANTITY in f and Col.REVENUE in f and Col.UNIT_PRICE not in f:
        q = f[Col.QUANTITY]
        f = f.assign(**{Col.UNIT_PRICE: (f[Col.REVENUE] / q.where(q != 0)).abs()})
        report.add("derived_price", len(f), "info")
    elif Col.QUANTITY in f and Col.REVENUE in f and Col.UNIT_PRICE in f:
        fill = f[Col.REVENUE].isna() & f[Col.UNIT_PRICE].notna()
        if fill.any():
            f.loc[fill, Col.REVENUE] = f.loc[fill, Col.QUANTITY] * f.loc[fill, Col.UNIT_PRICE]
            report.add("derived_revenue", int(fill.sum()), "changed")
    if Col.QUANTITY in f and Col.REVENUE in f:
        no_measure = f[Col.QUANTITY].isna() & f[Col.REVENUE].isna()
    elif Col.REVENUE in f:
        no_measure = f[Col.REVENUE].isna()
    else:
        no_measure = f[Col.QUANTITY].isna()
    report.add("no_measure", int(no_measure.sum()), "dropped")
    f = f.loc[~no_measure]

    if Col.UNIT_COST in f:
        bad_cost = f[Col.UNIT_COST].lt(0)
        if bad_cost.any():
            f.loc[bad_cost, Col.UNIT_COST] = np.nan
            report.add("negative_cost", int(bad_cost.sum()), "changed")

    if Col.PRODUCT_ID not in f and Col.PRODUCT_NAME in f:
        f = f.assign(**{Col.PRODUCT_ID: f[Col.PRODUCT_NAME]})
        report.add("product_id_from_name", len(f), "info")

    if options.drop_duplicates:
        dup = f.duplicated(keep="first")
        report.add("duplicates", int(dup.sum()), "dropped")
        f = f.loc[~dup]

    f = _apply_returns_policy(f, options.returns, report)
    _flag_outliers(f, report)
    if Col.CUSTOMER_ID in f:
        missing_c = f[Col.CUSTOMER_ID].isna() | f[Col.CUSTOMER_ID].eq("")
        report.add("missing_customer", int(missing_c.sum()), "flagged")
    f = f.sort_values(Col.DATE, kind="stable").reset_index(drop=True)
    return f[[c for c in CANONICAL_COLUMNS if c in f.columns]]


def _frame_examples(f: pd.DataFrame, mask: pd.Series, column: str) -> list[str]:
    rows = f.loc[mask].head(MAX_EXAMPLES)
    context = [c for c in (Col.PRODUCT_ID, Col.ORDER_ID) if c in f]
    out = []
    for _, row in rows.iterrows():
        where = ", ".join(f"{c}={row[c]}" for c in context)
        out.append(f"{row[Col.DATE].date()} {where}: {column}={row[column]:g}")
    return out


def _return_mask(f: pd.DataFrame) -> pd.Series:
    if Col.QUANTITY in f:
        return f[Col.QUANTITY].lt(0)
    return f[Col.REVENUE].lt(0)


def _apply_returns_policy(f: pd.DataFrame, policy: ReturnsPolicy, report: ValidationReport) -> pd.DataFrame:
    returns = _return_mask(f)
    n_returns = int(returns.sum())
    if Col.ORDER_ID in f:
        cancelled = returns & f[Col.ORDER_ID].str.upper().str.startswith("C", na=False)
        report.add("cancellations", int(cancelled.sum()), "info")
    if not n_returns:
        return f
    if policy == ReturnsPolicy.KEEP:
        report.add("returns", n_returns, "kept", _frame_examples(f, returns, Col.QUANTITY if Col.QUANTITY in f else Col.REVENUE))
        return f
    if policy == ReturnsPolicy.EXCLUDE or Col.QUANTITY not in f or Col.PRODUCT_ID not in f:
        report.add("returns", n_returns, "dropped")
        return f.loc[~returns]
    return _net_returns(f, returns, report)


def _net_returns(f: pd.DataFrame, returns: pd.Series, report: ValidationReport) -> pd.DataFrame:
    """Remove each return together with the purchased units it cancels (latest purchases first)."""
    keys = [Col.CUSTOMER_ID, Col.PRODUCT_ID] if Col.CUSTOMER_ID in f else [Col.PRODUCT_ID]
    returned = f.loc[returns].groupby(keys, observed=True)[Col.QUANTITY].sum().abs().rename("_returned")
    buys = f.loc[~returns].copy()
    buys["_pos"] = np.arange(len(buys))
    buys = buys.sort_values(Col.DATE, ascending=False, kind="stable")
    buys = buys.join(returned, on=keys)
    buys["_returned"] = buys["_returned"].fillna(0.0)
    before = buys.groupby(keys, observed=True, sort=False)[Col.QUANTITY].cumsum() - buys[Col.QUANTITY]
    cut = (buys["_returned"] - before).clip(lower=0).clip(upper=buys[Col.QUANTITY])
    matched = float(cut.sum())
    new_q = buys[Col.QUANTITY] - cut
    if Col.REVENUE in buys and Col.UNIT_PRICE in buys:
        buys[Col.REVENUE] = buys[Col.REVENUE] * (new_q / buys[Col.QUANTITY])
    buys[Col.QUANTITY] = new_q
    emptied = buys[Col.QUANTITY].le(0)
    unmatched = float(returned.sum()) - matched
    report.add("returns", int(returns.sum()), "netted")
    report.add("netted_purchases", int(emptied.sum()), "dropped")
    if unmatched > 0:
        report.add("unmatched_return_units", int(round(unmatched)), "dropped")
    buys = buys.loc[~emptied].sort_values("_pos")
    return buys.drop(columns=["_pos", "_returned"])


def _flag_outliers(f: pd.DataFrame, report: ValidationReport) -> None:
    """Lines far above their product's usual size: over 50x its median line and 30 median-absolute-deviations."""
    if Col.QUANTITY not in f or len(f) < 20:
        return
    q = f[Col.QUANTITY].abs()
    group = f[Col.PRODUCT_ID] if Col.PRODUCT_ID in f else pd.Series(0, index=f.index)
    med = q.groupby(group, observed=True).transform("median")
    mad = (q - med).abs().groupby(group, observed=True).transform("median")
    threshold = np.maximum(med + 30 * mad.clip(lower=1), 50 * med.clip(lower=1))
    outliers = q > threshold
    report.add("outlier_quantity", int(outliers.sum()), "flagged", _frame_examples(f, outliers, Col.QUANTITY))

"""Step 2 of ``load_dataset``: the read tables -> one table of canonical columns (still strings), with what was
detected on a sample of the first file: the column mapping, number and date styles, currency."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from ml.currency import detect_currency
from ml.dataset.read import sample_columns
from ml.ingest import FileFormat, RawTable
from ml.mapping import apply_overrides, propose_mapping
from ml.parsing import DateStyle, NumberStyle, detect_date_style, detect_number_style
from ml.schema import Col, ColumnMapping, DataError

MAX_EXAMPLES = 3  # raw values quoted per problem


@dataclass
class MappedTable:
    """The upload as canonical columns of raw strings, and what reading and detection found out about it."""

    table: pa.Table | None  # canonical name -> raw strings; None once the cleaner has taken it
    mapping: ColumnMapping  # canonical -> source header
    number_style: NumberStyle
    date_style: DateStyle
    currency: str | None
    formats: list[FileFormat]
    origin: list[tuple[str, int]]  # (file name, rows) of each table in order, to locate examples
    source_columns: list[str]  # the first file's headers
    heads: dict[str, list]  # first non-empty raw dates and measures, quoted when no row is usable

    @property
    def first_name(self) -> str:
        return self.formats[0].name

    def take_table(self) -> pa.Table:
        """The raw table, handed over: the cleaner drops each column once converted, and no other reference may
        keep them alive (they are the largest thing in memory, ~3x the file for a 1M-row export)."""
        table, self.table = self.table, None
        if table is None:
            raise RuntimeError("the mapped table was already taken")
        return table


def map_columns(
    tables: Sequence[RawTable], overrides: dict[str, str | None] | None, day_first: bool | None
) -> MappedTable:
    """Detect the mapping on the first table, apply the analyst's overrides, and select and rename the mapped
    columns of every table (monthly exports with the same columns are concatenated)."""
    first = tables[0]
    samples = sample_columns(first.table)
    all_values = [v for arr in samples.values() for v in arr.drop_null().slice(0, 300).to_pylist()]
    style = detect_number_style([str(v) for v in all_values])
    proposal = propose_mapping(samples, style).mapping
    mapping = apply_overrides(proposal, overrides or {}, first.source_columns)
    if not mapping.has(Col.DATE):
        raise DataError("ingest.error.no_date", columns=", ".join(first.source_columns[:12]))
    if not (mapping.has(Col.QUANTITY) or mapping.has(Col.REVENUE)):
        raise DataError("ingest.error.no_measure", columns=", ".join(first.source_columns[:12]))
    table = pa.concat_tables([_select(raw, mapping, first) for raw in tables]) if len(tables) > 1 else _select(first, mapping, first)
    heads = {c: _first_values(table.column(c)) for c in (Col.DATE, Col.QUANTITY, Col.REVENUE) if c in table.column_names}
    return MappedTable(
        table=table,
        mapping=mapping,
        number_style=style,
        date_style=choose_date_style(samples[mapping.columns[Col.DATE]], day_first),
        currency=_currency(samples, mapping),
        formats=[t.format for t in tables],
        origin=[(t.format.name, t.table.num_rows) for t in tables],
        source_columns=first.source_columns,
        heads=heads,
    )


def _first_values(column: pa.ChunkedArray, n: int = MAX_EXAMPLES) -> list:
    """The first ``n`` non-null values, looking at the head before the whole column (which a 1M-row file copies)."""
    head = column.slice(0, 1000).drop_null()
    if len(head) >= n or len(column) <= 1000:
        return head.slice(0, n).to_pylist()
    return column.drop_null().slice(0, n).to_pylist()


def _select(raw: RawTable, mapping: ColumnMapping, first: RawTable) -> pa.Table:
    """The mapped columns of one table under their canonical names; every file must have them."""
    missing = [src for src in mapping.columns.values() if src not in raw.source_columns]
    if missing:
        raise DataError(
            "ingest.error.columns_differ", name=raw.format.name, first=first.format.name, missing=", ".join(missing)
        )
    return raw.table.select(list(mapping.columns.values())).rename_columns(list(mapping.columns.keys()))


def _currency(samples: dict[str, pa.Array], mapping: ColumnMapping) -> str | None:
    money = [v for c in (Col.UNIT_PRICE, Col.REVENUE, Col.UNIT_COST) if mapping.has(c)
             for v in samples[mapping.columns[c]].drop_null().to_pylist()]
    regions = samples[mapping.columns[Col.REGION]].to_pylist() if mapping.has(Col.REGION) else None
    return detect_currency(money, regions)


def choose_date_style(sample: pa.Array, day_first: bool | None) -> DateStyle:
    """The detected date style, with an ambiguous day/month order settled by the analyst's choice when given."""
    style = detect_date_style(sample)
    if style.ambiguous and day_first is not None:
        chosen = style.format if style.day_first == day_first else style.alternative
        return DateStyle(chosen, ambiguous=False, alternative=None)  # the choice settles it for the report
    return style

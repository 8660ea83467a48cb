"""Data page widgets: the column-mapping form, the validation report and the preview table."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from components import state
from components.common.datasets import dataset_head
from components.common.page import MISSING_CELL
from ml.dataset import Dataset, ValidationReport
from ml.i18n import format_day, format_number, t
from ml.parsing import describe_date_format
from ml.schema import CANONICAL_COLUMNS, Col

_NOT_MAPPED = ""
_ACTION_ICONS = {"dropped": "🗑️", "changed": "✏️", "flagged": "🚩", "kept": "✅", "netted": "↔️", "info": "ℹ️"}


def field_label(canonical: str) -> str:
    return t(f"field.{canonical}")


_FIELD_RE = re.compile(r"\b(" + "|".join(c.value for c in Col) + r")=")


def readable_example(example: str) -> str:
    """'2011-08-12 product_id=B, order_id=A563186: unit_price=-11062.06' with the fields' business names."""
    return _FIELD_RE.sub(lambda m: f"{field_label(m.group(1))} ", example)


def show_mapping_form(ds: Dataset) -> dict[str, str | None] | None:
    """One selectbox per canonical field; returns the overrides when the user applies a change, else None."""
    st.subheader(t("data.mapping.title"))
    st.caption(t("data.mapping.help"))
    sample = dataset_head(ds, 3)
    rows = []
    for canonical in CANONICAL_COLUMNS:
        source = ds.mapping.source_for(canonical)
        example = ", ".join(_example_text(v, canonical) for v in sample[canonical].tolist()) if canonical in sample else ""
        rows.append({t("data.mapping.field"): field_label(canonical), t("data.mapping.source"): source or "—", t("data.mapping.example"): example})
    st.table(pd.DataFrame(rows).set_index(t("data.mapping.field")))

    options = [_NOT_MAPPED, *ds.source_columns]
    with st.expander(t("data.mapping.change")), st.form("data_mapping_form", border=False):
        cols = st.columns(4)
        chosen: dict[str, str | None] = {}
        for i, canonical in enumerate(CANONICAL_COLUMNS):
            current = ds.mapping.source_for(canonical) or _NOT_MAPPED
            chosen[canonical] = cols[i % 4].selectbox(
                field_label(canonical),
                options=options,
                index=options.index(current) if current in options else 0,
                format_func=lambda v: t("data.mapping.none") if v == _NOT_MAPPED else v,
                key=state.mapping_widget_key(canonical),
            )
        submitted = st.form_submit_button(t("data.mapping.apply"))
    if not submitted:
        return None
    changes = {c: (s or None) for c, s in chosen.items() if (s or None) != ds.mapping.source_for(c)}
    if not changes:
        return None
    return {**state.mapping_overrides(), **changes}


def show_validation_report(report: ValidationReport) -> None:
    st.subheader(t("data.report.title"))
    c1, c2, c3 = st.columns(3)
    c1.metric(t("data.report.rows_read"), format_number(report.rows_read))
    c2.metric(t("data.report.rows_kept"), format_number(report.rows_kept))
    c3.metric(t("data.report.rows_dropped"), format_number(report.rows_dropped))
    if not report.problems:
        st.success(t("data.report.clean"))
        return
    table = pd.DataFrame(
        [
            {
                t("data.report.action"): f"{_ACTION_ICONS.get(p.action, '')} {t(f'report.action.{p.action}')}",
                t("data.report.reason"): t(f"report.reason.{p.reason}"),
                t("data.report.count"): format_number(p.count),
                t("data.report.examples"): "; ".join(readable_example(e) for e in p.examples),
            }
            for p in report.problems
        ]
    )
    st.table(table.set_index(t("data.report.action")))
    formats = report.formats
    for fmt in formats[:5]:
        st.caption(
            t(
                "data.report.format",
                name=fmt.name,
                kind=fmt.kind.upper(),
                encoding=fmt.encoding or "—",
                delimiter={"\t": "TAB", None: "—"}.get(fmt.delimiter, fmt.delimiter),
                decimal=report.number_style,
                date_format=describe_date_format(report.date_format),
                title_lines=fmt.skipped_title_lines,
                footer_lines=fmt.skipped_footer_lines,
            )
        )


EXAMPLE_CHARS = 28  # a long text (a product description) is cut in the mapping table's examples


def _example_text(value: object, canonical: str) -> str:
    """A cleaned value as the analyst would write it: dates at day precision (what SalesLens keeps), whole numbers
    without a trailing .0."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if canonical == Col.DATE:
        return format_day(value)
    if isinstance(value, float):
        return format_number(value, 0 if value.is_integer() else 2)
    text = str(value)
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1].rstrip() + "…"


def show_preview(ds: Dataset, rows: int = 200) -> None:
    """The first rows of the cleaned data, in an expander whose content is only sent when it is open (a dataframe
    costs the browser 0.5-1 s to draw the first time, which would hold back the rest of the Data page)."""
    with st.expander(t("data.preview.title"), expanded=False, on_change="rerun", key=state.DATA_PREVIEW) as box:
        if box.open:
            head = dataset_head(ds, rows)
            preview = head.rename(columns={c: field_label(c) for c in head.columns})
            config = {field_label(Col.DATE): st.column_config.DateColumn(format="YYYY-MM-DD")} \
                if Col.DATE in head else None
            st.dataframe(preview, hide_index=True, width="stretch", column_config=config, placeholder=MISSING_CELL)

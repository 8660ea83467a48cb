"""The Data page through the real app: the sample on a first visit, messy uploads with the totals of the ingest
corpus (tests/fixtures/ingest/expected.json), mapping overrides, cleaning options, and bad files that leave the
loaded dataset in place.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import state
from components.common.datasets import SAMPLE_NAME
from ml.i18n import format_number, set_language, translate
from tests.app.conftest import APP, TIMEOUT, new_app, texts

FILES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "files"
CASES = {c["name"]: c for c in json.loads((FILES.parent / "expected.json").read_text(encoding="utf-8"))["cases"]}


def upload(at: AppTest, *names: str) -> AppTest:
    uploader = at.file_uploader(key=state.DATA_UPLOAD)
    for name in names:
        uploader.upload(name, (FILES / name).read_bytes(), "text/csv")
    return at.run()


def report_metrics(at: AppTest, language: str = "en") -> tuple[str, str]:
    by_label = {m.label: m.value for m in at.metric}
    return by_label[translate("data.report.rows_read", language)], by_label[translate("data.report.rows_kept", language)]


def submit(at: AppTest, label_id: str, language: str = "en") -> AppTest:
    label = translate(label_id, language)
    next(b for b in at.button if b.label == label).click()
    return at.run()


def mapping_shown(at: AppTest, language: str = "en") -> dict[str, str]:
    """Field -> source column of the mapping table on the page."""
    source = translate("data.mapping.source", language)
    table = next(d.value for d in at.table if source in d.value.columns)
    return dict(zip(table.index, table[source], strict=True))


def sidebar_text(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in (*at.sidebar.markdown, *at.sidebar.caption, *at.sidebar.info))


def first_visit() -> AppTest:
    """A browser's first session: nothing preloaded, so the app offers the bundled sample."""
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT)


# ------------------------------------------------------------------------------------------------ first visit
def test_first_visit_shows_the_sample_without_opening_the_registry_and_a_restart_reads_its_cache(tmp_path):
    import streamlit as st

    from ml.workspace import get_workspace

    st.cache_resource.clear()  # as in a fresh server
    at = first_visit().run()
    assert not at.exception
    ds = at.session_state[state.DATASET]
    assert ds.name == SAMPLE_NAME and ds.report.rows_kept > 100_000
    assert SAMPLE_NAME in sidebar_text(at) and format_number(ds.report.rows_kept) in sidebar_text(at)
    assert report_metrics(at) == (format_number(ds.report.rows_read), format_number(ds.report.rows_kept))
    root = get_workspace().root
    assert not (root / "registry.db").exists()  # a first visit has nothing saved: the registry stays closed
    cached = list((root / "cache").iterdir())
    assert len(cached) == 1 and cached[0].name.startswith("sample-")

    st.cache_resource.clear()  # a restarted server: the sample comes from the workspace cache, identical
    again = first_visit().run()
    back = again.session_state[state.DATASET]
    assert back is not ds and back.fingerprint == ds.fingerprint and back.frame.equals(ds.frame)
    assert report_metrics(again) == report_metrics(at)


def test_sample_button_brings_the_sample_back_after_an_upload():
    at = upload(new_app().run(), "utf8_basic.csv")
    assert at.session_state[state.DATASET].name == "utf8_basic.csv"
    submit(at, "data.sample.button")
    assert not at.exception and at.session_state[state.DATASET].name == SAMPLE_NAME


# ------------------------------------------------------------------------------------------------ messy uploads
@pytest.mark.parametrize("case", ["gbk_chinese", "semicolon_decimal_comma", "report_title_totals", "workbook_xlsx"])
def test_messy_upload_reaches_the_report_with_the_corpus_totals(case):
    expected = CASES[case]["expected"]
    at = upload(new_app().run(), *CASES[case]["files"])
    assert not at.exception and not at.error
    assert report_metrics(at) == (format_number(expected["rows_read"]), format_number(expected["rows_kept"]))
    ds = at.session_state[state.DATASET]
    totals = ds.control_totals()
    assert totals["total_quantity"] == pytest.approx(expected["total_quantity"])
    assert totals["total_revenue"] == pytest.approx(expected["total_revenue"])
    shown = mapping_shown(at)
    for canonical, source in expected["mapping"].items():
        if canonical in ds.frame.columns:
            assert source in shown.values(), (canonical, source)
    assert CASES[case]["files"][0] in sidebar_text(at)


def test_two_monthly_files_are_concatenated():
    expected = CASES["two_monthly_files"]["expected"]
    at = upload(new_app().run(), *CASES["two_monthly_files"]["files"])
    assert report_metrics(at) == (format_number(expected["rows_read"]), format_number(expected["rows_kept"]))


@pytest.mark.parametrize("bad", ["image_png.csv", "empty.csv", "no_date.csv", "single_row.csv", "truncated.zip"])
def test_a_bad_file_gets_its_message_and_the_loaded_dataset_stays(bad):
    error_id = next(c["error"] for c in CASES.values() if c["files"] == [bad])
    at = upload(new_app().run(), "utf8_basic.csv")
    before = at.session_state[state.DATASET]
    at.file_uploader(key=state.DATA_UPLOAD).clear()
    at.run()
    at = upload(at, bad)
    assert not at.exception
    message = at.session_state[state.DATA_ERROR]
    assert message.id == error_id
    assert [e.value for e in at.error] == [message.render()]
    assert at.session_state[state.DATASET] is before
    assert report_metrics(at) == ("30", "30") and "utf8_basic.csv" in sidebar_text(at)


# ------------------------------------------------------------------------------------------------ user choices
def test_mapping_override_is_applied_and_kept():
    at = upload(new_app().run(), "utf8_basic.csv")
    assert "region" in at.session_state[state.DATASET].frame.columns
    at.selectbox(key=state.mapping_widget_key("region")).set_value("")
    submit(at, "data.mapping.apply")
    assert not at.exception
    ds = at.session_state[state.DATASET]
    assert "region" not in ds.frame.columns and ds.mapping.source_for("region") is None
    assert at.session_state[state.MAPPING_OVERRIDES] == {"region": None}
    assert report_metrics(at) == ("30", "30")


def test_ambiguous_dates_are_shown_and_the_users_order_is_applied():
    at = upload(new_app().run(), "dates_ambiguous.csv")
    assert at.session_state[state.DATASET].report.date_ambiguous
    warning = "\n".join(w.value for w in at.warning)
    assert "31/12/2024" in warning or "DD/MM" in warning.upper() or "day" in warning.lower()
    at.radio(key=state.DATA_DAY_FIRST).set_value("month")
    submit(at, "data.options.apply")
    ds = at.session_state[state.DATASET]
    assert not at.exception and not ds.report.date_ambiguous
    assert ds.control_totals()["date_max"] == CASES["dates_ambiguous_month_first"]["expected"]["date_max"]


@pytest.mark.parametrize("policy,case", [("exclude", "returns_exclude"), ("net", "returns_net")])
def test_returns_policy_changes_what_is_kept(policy, case):
    at = upload(new_app().run(), "returns_uci.csv")
    assert report_metrics(at)[1] == format_number(CASES["returns_keep"]["expected"]["rows_kept"])
    at.radio(key=state.DATA_RETURNS).set_value(policy)
    submit(at, "data.options.apply")
    expected = CASES[case]["expected"]
    assert not at.exception
    assert report_metrics(at) == (format_number(expected["rows_read"]), format_number(expected["rows_kept"]))
    assert at.session_state[state.DATASET].control_totals()["total_quantity"] == pytest.approx(expected["total_quantity"])


def test_chinese_interface_reads_a_chinese_export():
    set_language("zh")
    at = upload(new_app(language="zh").run(), "gbk_chinese.csv")
    assert not at.exception
    assert translate("data.title", "zh") in texts(at)
    assert report_metrics(at, "zh") == ("26", "26")
    shown = set(mapping_shown(at, "zh").values())
    assert {"日期", "销量", "单价"} <= shown


def test_preview_is_sent_only_when_opened():
    at = upload(new_app().run(), "utf8_basic.csv")
    assert not [d for d in at.dataframe if "Order ID" in d.value.columns]  # closed: nothing sent
    at.session_state[state.DATA_PREVIEW] = True  # what opening the expander does
    at.run()
    preview = next(d.value for d in at.dataframe if "Order ID" in d.value.columns)
    assert len(preview) == 30 and not at.exception

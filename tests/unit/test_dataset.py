"""load_dataset against the messy-file corpus: every file must give the totals its clean rows add up to.

The corpus and its expected figures come from ``tests/fixtures/ingest/make_fixtures.py`` (computed there from the
rows it wrote, never by running this code). Regenerate with ``python tests/fixtures/ingest/make_fixtures.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml import i18n
from ml.dataset import CleaningOptions, ReturnsPolicy, ValidationReport, load_dataset
from ml.limits import IngestLimits
from ml.schema import CANONICAL_COLUMNS, Col, DataError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
FILES = FIXTURES / "files"
CASES = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))["cases"]
GOOD = [c for c in CASES if "expected" in c]
BAD = [c for c in CASES if "error" in c]
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def _files(names: list[str]) -> list[tuple[str, bytes]]:
    return [(n, (FILES / n).read_bytes()) for n in names]


def _options(case: dict) -> CleaningOptions:
    opts = case.get("options", {})
    return CleaningOptions(
        returns=ReturnsPolicy(opts.get("returns", "keep")),
        day_first=opts.get("day_first"),
        drop_duplicates=opts.get("drop_duplicates", True),
        encoding=opts.get("encoding"),
    )


def _load(case: dict, **kwargs):
    return load_dataset(_files(case["files"]), case.get("overrides"), _options(case), **kwargs)


def _assert_renders(err: DataError) -> None:
    for lang in ("en", "zh"):
        text = i18n.render_error(err, lang)
        assert text and not _PLACEHOLDER.search(text), f"{lang}: {text}"
        assert text != err.message_id


def test_corpus_is_big_enough():
    assert len({f for c in CASES for f in c["files"]}) >= 25
    assert len(GOOD) >= 25


@pytest.mark.parametrize("case", GOOD, ids=[c["name"] for c in GOOD])
def test_corpus_totals(case):
    exp = case["expected"]
    ds = _load(case)
    prof = ds.profile_json()
    assert prof["rows_read"] == exp["rows_read"]
    assert prof["rows_kept"] == exp["rows_kept"]
    assert prof["total_quantity"] == pytest.approx(exp["total_quantity"], abs=1e-6)
    assert prof["total_revenue"] == pytest.approx(exp["total_revenue"], abs=1e-6)
    assert prof["date_min"] == exp["date_min"]
    assert prof["date_max"] == exp["date_max"]
    if "mapping" in exp:
        assert prof["mapping"] == exp["mapping"]
    fmt = ds.report.formats[0]
    if "encoding" in exp:
        assert fmt.encoding == exp["encoding"]
        assert fmt.delimiter == exp["delimiter"]
        assert ds.report.number_style == exp["decimal"]
    if "skipped_title_lines" in exp:
        assert fmt.skipped_title_lines == exp["skipped_title_lines"]
        assert fmt.skipped_footer_lines == exp["skipped_footer_lines"]
    if "compression" in exp:
        assert {f.compression for f in ds.report.formats} == {exp["compression"]}
    if "tables" in exp:
        assert len(ds.report.formats) == exp["tables"]
    if "date_ambiguous" in exp:
        assert ds.report.date_ambiguous is exp["date_ambiguous"]
    if "date_format" in exp:
        assert ds.report.date_format == exp["date_format"]
    for reason, count in exp.get("problems", {}).items():
        assert ds.report.count(reason) == count, reason
    # The frame itself agrees with the profile, in canonical columns, sorted by date, at day precision.
    f = ds.frame
    assert list(f.columns) == [c for c in CANONICAL_COLUMNS if c in f.columns]
    assert f[Col.DATE].is_monotonic_increasing
    assert (f[Col.DATE] == f[Col.DATE].dt.normalize()).all()
    assert len(f) == exp["rows_kept"]
    assert f[Col.QUANTITY].notna().all()
    assert np.isfinite(f[Col.REVENUE]).all()


@pytest.mark.parametrize("case", BAD, ids=[c["name"] for c in BAD])
def test_corpus_errors(case):
    with pytest.raises(DataError) as info:
        _load(case)
    assert info.value.message_id == case["error"]
    _assert_renders(info.value)


def _case(name: str) -> dict:
    return next(c for c in CASES if c["name"] == name)


def test_quoted_fields_keep_delimiters_quotes_and_line_breaks():
    case = _case("quoted_multiline")
    ds = _load(case)
    assert sorted(ds.frame[Col.PRODUCT_NAME].astype(str).unique()) == case["expected"]["products"]
    assert "Mug, large\n(blue)" in set(ds.frame[Col.PRODUCT_ID].astype(str))


def test_derived_unit_price_is_revenue_over_quantity():
    case = _case("revenue_no_price")
    ds = _load(case)
    assert ds.frame[Col.UNIT_PRICE].tolist() == pytest.approx(case["expected"]["unit_prices"])


def test_ambiguous_dates_offer_the_other_order():
    ds = _load(_case("dates_ambiguous_default"))
    assert ds.report.date_ambiguous
    assert ds.report.date_alternative == "%m/%d/%Y"
    first = ds.frame[Col.DATE].iloc[0]
    flipped = _load(_case("dates_ambiguous_month_first")).frame[Col.DATE]
    assert first == pd.Timestamp("2024-01-03")
    assert pd.Timestamp("2024-03-01") in set(flipped)  # 03/01/2024 read month-first


def test_returns_policies_differ_by_exactly_the_return_lines():
    keep, excl, net = (_load(_case(n)) for n in ("returns_keep", "returns_exclude", "returns_net"))
    returns = keep.frame[keep.frame[Col.QUANTITY] < 0]
    assert excl.frame[Col.QUANTITY].sum() == keep.frame[Col.QUANTITY].sum() - returns[Col.QUANTITY].sum()
    assert (net.frame[Col.QUANTITY] > 0).all()
    # Netting only ever removes units: never more than gross, never less than net of every return.
    assert keep.frame[Col.QUANTITY].sum() <= net.frame[Col.QUANTITY].sum() <= excl.frame[Col.QUANTITY].sum()
    # A purchase made after the customer's return is not touched.
    later = net.frame[net.frame[Col.ORDER_ID] == "536385"]
    assert later[Col.QUANTITY].tolist() == [4.0]
    # Partly netted lines keep their unit price and scale their revenue.
    partly = net.frame[net.frame[Col.ORDER_ID] == "536365"].set_index(Col.PRODUCT_ID)
    assert partly.loc["P001", Col.QUANTITY] == 5
    assert partly.loc["P001", Col.REVENUE] == pytest.approx(5 * 18.90)
    assert partly.loc["P002", Col.QUANTITY] == 3


def test_negative_price_examples_name_the_line():
    ds = _load(_case("returns_keep"))
    problem = next(p for p in ds.report.problems if p.reason == "negative_price")
    assert problem.action == "dropped"
    assert "A563186" in problem.examples[0] and "-11062.06" in problem.examples[0]


def test_outlier_is_flagged_not_dropped():
    ds = _load(_case("duplicates_guests_outlier"))
    problem = next(p for p in ds.report.problems if p.reason == "outlier_quantity")
    assert problem.action == "flagged"
    assert "quantity=500" in problem.examples[0]
    assert (ds.frame[Col.QUANTITY] == 500).sum() == 1


def test_fingerprint_follows_content_and_options():
    case = _case("utf8_basic")
    a, b = _load(case), _load(case)
    assert a.fingerprint == b.fingerprint
    c = load_dataset(_files(case["files"]), options=CleaningOptions(returns=ReturnsPolicy.EXCLUDE))
    assert c.fingerprint != a.fingerprint


def test_profile_json_is_json_serialisable():
    ds = _load(_case("report_chinese_totals"))
    text = json.dumps(ds.profile_json(), ensure_ascii=False)
    assert "下单时间" in text
    report = ds.report.to_json_dict()
    assert report["rows_read"] == 18 and report["formats"][0]["skipped_footer_lines"] == 1


def test_mapping_overrides_apply_to_loading():
    case = _case("utf8_basic")
    ds = load_dataset(_files(case["files"]), {"category": None, "description": "Product Name"})
    assert Col.CATEGORY not in ds.frame
    assert ds.mapping.source_for(Col.DESCRIPTION) == "Product Name"
    assert ds.mapping.source_for(Col.PRODUCT_NAME) is None


def test_mapping_override_to_a_missing_column_is_explained():
    with pytest.raises(DataError) as info:
        load_dataset(_files(["utf8_basic.csv"]), {"date": "Order Date"})
    assert info.value.message_id == "ingest.error.unknown_column"
    _assert_renders(info.value)


def test_every_problem_reason_is_translated():
    reasons = {p.reason for c in GOOD for p in _load(c).report.problems}
    for lang in ("en", "zh"):
        catalogue = i18n.load_catalogue(lang)
        assert not [r for r in reasons if f"report.reason.{r}" not in catalogue]


def test_too_many_files_and_no_files():
    with pytest.raises(DataError) as info:
        load_dataset([])
    assert info.value.message_id == "ingest.error.no_files"
    files = _files(["month_2024_03.csv"]) * 3
    with pytest.raises(DataError) as info:
        load_dataset(files, limits=IngestLimits(max_files=2))
    assert info.value.message_id == "ingest.error.too_many_files"
    _assert_renders(info.value)


def test_row_cap_counts_all_files():
    with pytest.raises(DataError) as info:
        load_dataset(_files(["month_2024_03.csv", "month_2024_04.csv"]), limits=IngestLimits(max_rows=15))
    assert info.value.message_id == "ingest.error.too_many_rows"
    _assert_renders(info.value)


def test_report_counts_and_rows_dropped():
    report = ValidationReport(rows_read=10, rows_kept=7)
    report.add("duplicates", 2, "dropped")
    report.add("duplicates", 1, "dropped")
    report.add("zero_quantity", 0, "dropped")
    assert report.count("duplicates") == 3
    assert report.count("zero_quantity") == 0
    assert report.rows_dropped == 3


def test_reasons_given_to_drop_are_translated():
    # The i18n scanner looks for report.add("..."); dropped rows go through _drop("...") instead.
    package = Path(__file__).resolve().parents[2] / "ml" / "dataset"
    source = "\n".join(path.read_text(encoding="utf-8") for path in sorted(package.glob("*.py")))
    reasons = set(re.findall(r"""_drop\(\s*["']([a-z0-9_]+)["']""", source))
    assert {"bad_date", "duplicates", "netted_purchases"} <= reasons
    for lang in ("en", "zh"):
        catalogue = i18n.load_catalogue(lang)
        assert not [r for r in reasons if f"report.reason.{r}" not in catalogue], lang


def test_code_digest_reads_every_source_it_names():
    """The sample cache is keyed on it: a missing file would raise and silently turn the cache off."""
    from ml.dataset import load as load_module

    engine = load_module._ENGINE
    assert all((engine / name).exists() for name in load_module._SOURCES)
    assert len(load_module.code_digest()) == 64

"""Numbers and dates as exports write them, against hand-written expectations."""

from __future__ import annotations

import math
from datetime import datetime

import pyarrow as pa
import pytest

from ml.parsing import (
    DateStyle,
    NumberStyle,
    date_parse_rate,
    describe_date_format,
    detect_date_style,
    detect_number_style,
    parse_dates,
    parse_numbers,
)

POINT, COMMA = NumberStyle("."), NumberStyle(",")


def _numbers(values: list[str | None], style: NumberStyle) -> tuple[list[float | None], list[bool]]:
    parsed, failed = parse_numbers(pa.array(values, pa.string()), style)
    return parsed.to_pylist(), failed.to_pylist()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12.0),
        (" 12.5 ", 12.5),
        ("-3", -3.0),
        ("+4", 4.0),
        ("0.85", 0.85),
        (".5", 0.5),
        ("1,234.50", 1234.5),
        ("1,234,567.89", 1234567.89),
        ("$12.50", 12.5),
        ("US$ 1,050.00", 1050.0),
        ("€9.99", 9.99),
        ("¥88", 88.0),
        ("￥1,288.00", 1288.0),
        ("£0.42", 0.42),
        ("12.50 EUR", 12.5),
        ("EUR 12.50", 12.5),
        ("RMB 66.00", 66.0),
        ("66.00元", 66.0),
        ("(12.50)", -12.5),
        ("($1,234.50)", -1234.5),
        ("12.50-", -12.5),
        ("$-12.50", -12.5),
        ("-$12.50", -12.5),
        ("−7.25", -7.25),  # U+2212 minus sign
        ("1'234.50", 1234.5),
        ("1 234.50", 1234.5),
        ("1\u00a0234.50", 1234.5),
        ("1.5E+3", 1500.0),
        ("2e-2", 0.02),
        ("15%", 15.0),
    ],
)
def test_numbers_with_decimal_point(text, expected):
    values, failed = _numbers([text], POINT)
    assert values[0] == pytest.approx(expected, abs=1e-12)
    assert failed == [False]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12,50", 12.5),
        ("12,5", 12.5),
        ("1.234,50", 1234.5),
        ("1.234.567,89", 1234567.89),
        ("1 234,50", 1234.5),
        ("1.234", 1234.0),  # thousands dot, no decimals
        ("12,50 €", 12.5),
        ("€ -12,50", -12.5),
        ("-0,85", -0.85),
        ("(1.234,50)", -1234.5),
        ("7", 7.0),
    ],
)
def test_numbers_with_decimal_comma(text, expected):
    values, failed = _numbers([text], COMMA)
    assert values[0] == pytest.approx(expected, abs=1e-12)
    assert failed == [False]


@pytest.mark.parametrize("text", ["abc", "N/A?", "12.5.3", "1,2,3.4.5", "--", "$", "inf", "nan", "Infinity", "1e999", "1.2.3e"])
def test_unreadable_numbers_fail(text):
    values, failed = _numbers([text, "5"], POINT)
    assert values[0] is None and failed[0] is True
    assert values[1] == 5.0 and failed[1] is False


def test_empty_and_missing_numbers_are_null_not_failed():
    values, failed = _numbers([None, "", "  ", "3"], POINT)
    assert values[:3] == [None, None, None] and values[3] == 3.0
    assert failed == [False, False, False, False]


def test_plain_numbers_take_the_fast_path_and_still_catch_failures():
    values, failed = _numbers(["1", "2.5", "-3", "x"], POINT)
    assert values == [1.0, 2.5, -3.0, None]
    assert failed == [False, False, False, True]


def test_result_is_float64():
    values, _ = parse_numbers(pa.array(["1", "2"]), POINT)
    assert values.type == pa.float64()
    assert all(math.isfinite(v) for v in values.to_pylist())


@pytest.mark.parametrize(
    ("samples", "decimal"),
    [
        (["12.50", "3", "1,234.50"], "."),
        (["12,50", "3", "1.234,50"], ","),
        (["0,85", "1,25", "12"], ","),
        (["0.85", "1.25", "12"], "."),
        (["1,234", "5,678"], "."),  # three digits after a comma: thousands, not decimals
        # Dotted day-first dates must not count as decimal points.
        (["01.03.2024", "02.03.2024", "03.03.2024", "12,50", "9,99"], ","),
        (["2024-03-01", "C1001", "P001", "Green tea 100g"], "."),
        (["12,50 €", "€ 9,99", "1.050,00 €"], ","),
    ],
)
def test_detect_number_style(samples, decimal):
    assert detect_number_style(samples).decimal == decimal


# ------------------------------------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    ("values", "fmt"),
    [
        (["2024-03-01", "2024-03-15", "2024-12-31"], "%Y-%m-%d"),
        (["2024-03-01 10:22:33", "2024-03-15T08:00:00Z", "2024-12-31 23:59"], "%Y-%m-%d"),
        (["2024/3/1", "2024/3/15", "2024/12/31"], "%Y/%m/%d"),
        (["2024年3月1日", "2024年3月15日", "2024年12月31日 14:05"], "%Y年%m月%d日"),
        (["20240301", "20240315"], "%Y%m%d"),
        (["15/03/2024", "01/04/2024", "30/04/2024"], "%d/%m/%Y"),
        (["15.03.2024", "01.04.2024"], "%d.%m.%Y"),
        (["3/15/2024", "4/1/2024", "12/31/2024 2:05 PM"], "%m/%d/%Y"),
        (["01 Mar 2024", "15 Mar 2024"], "%d %b %Y"),
        (["Mar 01 2024", "Mar 15 2024"], "%b %d %Y"),
        (["01-Mar-2024", "15-Mar-2024"], "%d-%b-%Y"),
        (["March 1, 2024", "March 15, 2024"], "%b %d %Y"),  # Arrow's %b reads full month names too
    ],
)
def test_detect_date_style(values, fmt):
    style = detect_date_style(pa.array(values))
    assert style.format == fmt
    assert not style.ambiguous


def test_ambiguous_day_month_order_is_reported_not_guessed():
    style = detect_date_style(pa.array(["01/02/2024", "03/04/2024", "12/11/2024"]))
    assert style.ambiguous
    assert {style.format, style.alternative} == {"%d/%m/%Y", "%m/%d/%Y"}
    assert style.day_first is True  # the reading used until the user says otherwise


def test_no_dates_gives_no_format():
    assert detect_date_style(pa.array(["abc", "12.5", None])).format is None
    assert detect_date_style(pa.array([None, None], pa.string())).format is None


@pytest.mark.parametrize(
    ("values", "fmt", "expected"),
    [
        (["2024-03-01", "2024-03-01 23:59:59", "2024-03-01T10:00:00.250+08:00"], "%Y-%m-%d", ["2024-03-01"] * 3),
        (["3/4/2024", "03/04/2024", "3/4/2024 9:05 AM"], "%d/%m/%Y", ["2024-04-03"] * 3),
        (["3/4/2024", "12/31/2024 11:59 PM"], "%m/%d/%Y", ["2024-03-04", "2024-12-31"]),
        (["2024年3月1日", "2024年3月1日 14时05分", "2024年03月01日"], "%Y年%m月%d日", ["2024-03-01"] * 3),
        (["2024/3/1", "2024/03/01 08:00:00"], "%Y/%m/%d", ["2024-03-01"] * 2),
        (["1.3.2024", "01.03.2024"], "%d.%m.%Y", ["2024-03-01"] * 2),
        (["01/03/24"], "%d/%m/%y", ["2024-03-01"]),
        (["March 1, 2024", "1 Mar 2024"], "%b %d %Y", ["2024-03-01", None]),
        (["2024-02-29", "2023-02-29", "2024-04-31 10:00"], "%Y-%m-%d", ["2024-02-29", None, None]),
        (["29/02/2024", "30/02/2024", "31/04/2024"], "%d/%m/%Y", ["2024-02-29", None, None]),
        (["2024年2月30日", "2024年2月29日"], "%Y年%m月%d日", [None, "2024-02-29"]),
    ],
)
def test_parse_dates_to_days(values, fmt, expected):
    parsed, failed = parse_dates(pa.array(values), DateStyle(fmt))
    assert [v and v.date().isoformat() for v in parsed.to_pylist()] == expected
    assert failed.to_pylist() == [v is None for v in expected]


def test_unreadable_and_empty_dates():
    parsed, failed = parse_dates(pa.array(["2024-03-01", "soon", None, "", "2024-02-30", "2024-13-01"]), DateStyle("%Y-%m-%d"))
    assert parsed.to_pylist() == [datetime(2024, 3, 1), None, None, None, None, None]
    assert failed.to_pylist() == [False, True, False, False, True, True]


def test_parse_dates_without_a_format_fails_every_value():
    parsed, failed = parse_dates(pa.array(["x", None]), DateStyle(None))
    assert parsed.null_count == 2
    assert failed.to_pylist() == [True, False]


def test_date_parse_rate():
    assert date_parse_rate(pa.array(["2024-03-01", "2024-03-02", "x", "2024-03-04"])) == 0.75
    assert date_parse_rate(pa.array(["1", "2", "3"])) == 0.0


def test_describe_date_format():
    assert describe_date_format("%d/%m/%Y") == "DD/MM/YYYY"
    assert describe_date_format("%Y年%m月%d日") == "YYYY年MM月DD日"
    assert describe_date_format(None) == "?"

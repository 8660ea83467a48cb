"""Figures carry exactly the aggregates they are given, labelled and formatted in the reader's language."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from components.common.theme import localise_figure, nice_ticks
from components.explore.charts import (
    axis_label,
    format_measure,
    plot_heatmap,
    plot_top,
    plot_trend,
)
from ml.explore import comparison_period, make_top, make_trend, make_weekday_matrix, resolve_period
from ml.i18n import format_compact, load_catalogue
from ml.series import Filters
from tests.unit.test_explore import WEEK2, make_frame

LANGUAGES = ("en", "zh")


def big_frame(scale: float) -> pd.DataFrame:
    """The hand-computed shop with every price multiplied by ``scale`` (revenue 100 -> 100 * scale)."""
    f = make_frame()
    f["unit_price"] = f["unit_price"] * scale
    f["revenue"] = f["revenue"] * scale
    return f


# ------------------------------------------------------------------------------------------------ data


@pytest.mark.parametrize("lang", LANGUAGES)
def test_trend_figure_holds_the_trend(lang):
    f = make_frame()
    trend = make_trend(f, None, "W")
    fig = plot_trend(trend, "revenue", "W", lang, "USD")
    main = fig.data[0]
    assert list(main.y) == [45.0, 55.0]
    assert list(pd.DatetimeIndex(main.x)) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-08")]
    assert fig.layout.xaxis.rangeslider.visible is True
    assert fig.layout.xaxis.type == "date"
    assert len(fig.data) == 1  # weekly: no moving average, no comparison asked for


def test_trend_figure_marks_partial_periods_and_overlays_the_comparison():
    f = make_frame()
    filters = Filters(date_from=date(2024, 1, 3), date_to=date(2024, 1, 14))
    trend = make_trend(f, filters, "W")
    before = comparison_period(resolve_period(f, filters))
    previous = make_trend(f, filters, "W", period=before)
    fig = plot_trend(trend, "units", "W", "en", "USD", previous=previous)
    assert list(fig.data[0].marker.color) == ["white", "#2563eb"]  # Jan 1 week is cut by the range
    assert fig.data[0].customdata[0][0] == "5 (partial: 5 days in range)"  # Jan 3 (4) + Jan 6 (1)
    comparison = fig.data[1]
    assert comparison.name == "Previous period"
    assert list(comparison.y) == list(previous["units"].astype(float)[: len(trend)])


def test_daily_trend_adds_a_seven_day_average():
    trend = make_trend(make_frame(), None, "D")
    fig = plot_trend(trend, "revenue", "D", "en", "USD")
    smooth = np.asarray(fig.data[1].y, dtype=float)
    assert np.isnan(smooth[:6]).all()
    assert smooth[6] == pytest.approx(45 / 7)
    assert smooth[13] == pytest.approx(55 / 7)


def test_top_figure_holds_the_ranking_in_order():
    top = make_top(make_frame(), WEEK2, "product", "revenue")
    fig = plot_top(top, "en", "USD")
    bar = fig.data[0]
    assert list(bar.x) == [30.0, 20.0, 5.0]
    assert list(bar.y) == ["Apple (P1)", "Banana (P2)", "Carrot (P3)"]
    assert list(bar.text) == ["54.5%", "36.4%", "9.1%"]
    assert fig.layout.yaxis.autorange == "reversed"  # rank 1 on top
    assert bar.customdata[1][0] == "Banana (P2)<br>$20.00 · 36.4% of total"


def test_heatmap_figure_holds_the_matrix():
    matrix = make_weekday_matrix(make_frame(), Filters(date_from=date(2024, 1, 3), date_to=date(2024, 1, 10)))
    fig = plot_heatmap(matrix, "zh", "CNY")
    heat = fig.data[0]
    z = np.asarray(heat.z, dtype=float)
    np.testing.assert_array_equal(z, matrix.values.to_numpy(dtype=float))
    assert list(heat.y) == ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    assert heat.customdata[2][1] == "2024年1月10日 周三<br>¥15.00"


def test_month_heatmap_hover_says_how_many_days_it_averages():
    fig = plot_heatmap(make_weekday_matrix(make_frame(), None, "revenue", "month"), "en", "USD")
    assert fig.data[0].customdata[0][0] == "Mon in Jan 2024<br>average of 2 days: $22.50"


# ------------------------------------------------------------------------------------------ localisation


def test_chinese_value_axis_uses_wan_and_yi_ticks():
    trend = make_trend(big_frame(1_000_000), None, "W")  # weekly revenue 45 and 55 million
    fig = plot_trend(trend, "revenue", "W", "zh", "CNY")
    axis = fig.layout.yaxis
    assert list(axis.tickvals) == [0.0, 2e7, 4e7, 6e7]
    assert list(axis.ticktext) == ["0", "2000万", "4000万", "6000万"]
    assert fig.layout.separators == ".,"
    top = plot_top(make_top(big_frame(10_000_000), None, "category", "revenue"), "zh", "CNY")  # 8.5亿 and 1.5亿
    assert top.layout.xaxis.ticktext[-1].endswith("亿")
    assert list(top.layout.xaxis.ticktext) == [format_compact(v, "zh") for v in top.layout.xaxis.tickvals]
    assert "亿" in "".join(top.layout.xaxis.ticktext)


def test_chinese_colour_bar_uses_wan_ticks():
    fig = plot_heatmap(make_weekday_matrix(big_frame(10_000), None), "zh", "CNY")  # cells up to 300,000
    assert all(text == "0" or text.endswith("万") or text.startswith("-") for text in fig.data[0].colorbar.ticktext)
    assert "30万" in fig.data[0].colorbar.ticktext


def test_small_values_and_english_keep_plotly_ticks():
    small = plot_trend(make_trend(make_frame(), None, "W"), "revenue", "W", "zh", "CNY")
    assert small.layout.yaxis.tickvals is None
    english = plot_trend(make_trend(big_frame(1_000_000), None, "W"), "revenue", "W", "en", "USD")
    assert english.layout.yaxis.tickvals is None
    assert english.layout.separators == ".,"


def test_chinese_hover_and_date_ticks_follow_the_language():
    trend = make_trend(big_frame(1_000), None, "W")
    fig = plot_trend(trend, "revenue", "W", "zh", "CNY")
    assert fig.data[0].customdata[1][0] == "¥55,000.00"
    assert fig.layout.xaxis.hoverformat == "%Y年%-m月%-d日起的一周"
    assert [stop.value for stop in fig.layout.xaxis.tickformatstops] == ["%-m月%-d日", "%Y年%-m月", "%Y年"]
    assert fig.layout.yaxis.title.text == "销售额（CNY）"
    assert fig.layout.title.text == "销售额趋势"


def test_localise_figure_works_on_any_figure():
    import plotly.graph_objects as go

    fig = go.Figure(go.Bar(x=["a", "b"], y=[25_000.0, 150_000_000.0]))
    localise_figure(fig, "zh")
    assert list(fig.layout.yaxis.ticktext) == ["0", "5000万", "1亿", "1.5亿"]


# ------------------------------------------------------------------------------------------------ helpers


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 55, [0, 20, 40, 60]),
        (0, 45, [0, 10, 20, 30, 40, 50]),
        (-10, 30, [-10, 0, 10, 20, 30]),
        (0, 1.5e8, [0, 5e7, 1e8, 1.5e8]),
        (0, 0, [0]),
    ],
)
def test_nice_ticks(low, high, expected):
    assert list(nice_ticks(low, high)) == pytest.approx(expected)


def test_measures_format_per_language():
    assert format_measure(1234.5, "revenue", "en", "USD") == "$1,234.50"
    assert format_measure(12_345_678.0, "revenue", "zh", "CNY", compact=True) == "¥1234.6万"
    assert format_measure(17.0, "units", "en", "USD") == "17"
    assert format_measure(2.5, "units", "en", "USD") == "2.50"
    assert format_measure(None, "customers", "zh", "CNY") == "–"
    assert axis_label("aov", "en", "EUR", per_line=True) == "Average line value (EUR)"


def test_every_chart_message_exists_in_both_languages():
    """Ids the builders look up through dicts (which the i18n scanner cannot follow) exist in both catalogues."""
    import re
    from pathlib import Path

    components = Path(__file__).resolve().parents[2] / "components"
    source = "".join((components / part).read_text(encoding="utf-8")
                     for part in ("explore/charts.py", "common/theme.py"))
    ids = set(re.findall(r'"(explore\.[a-z0-9_.]+)"', source))
    assert len(ids) > 30
    for lang in LANGUAGES:
        missing = sorted(ids - set(load_catalogue(lang)))
        assert not missing, f"{lang}: {missing}"

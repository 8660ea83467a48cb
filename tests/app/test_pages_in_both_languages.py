"""Every page of the router runs in English and Chinese with no exception, no raw message id and no unfilled
placeholder on screen."""

from __future__ import annotations

import re

import pytest

from ml.i18n import load_catalogue
from tests.app.conftest import ROOT, new_app, open_page, texts
from tests.app.test_forecast_page import small_dataset  # noqa: F401  (fixture)

PAGES = re.findall(r'st\.Page\(\s*"(pages/[a-z_]+\.py)"', (ROOT / "app.py").read_text())
KEYS = set(load_catalogue("en"))


def visible_text(at) -> str:
    labels = [w.label for w in (*at.button, *at.selectbox, *at.multiselect, *at.number_input, *at.checkbox, *at.radio, *at.slider, *at.toggle) if getattr(w, "label", None)]
    metrics = [m.label for m in at.metric]
    frames = [" ".join(map(str, df.value.columns)) + " " + " ".join(map(str, df.value.index)) for df in at.dataframe]
    sidebar = [e.value for e in (*at.sidebar.markdown, *at.sidebar.caption, *at.sidebar.info)]
    return "\n".join([texts(at), *labels, *metrics, *frames, *map(str, sidebar)])


def test_the_router_lists_every_page():
    assert {"pages/data_page.py", "pages/explore_page.py", "pages/forecast_page.py"} <= set(PAGES)


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("page", PAGES)
def test_page_renders_translated(page, language, small_dataset):  # noqa: F811
    at = open_page(new_app(small_dataset, language=language), page)
    assert not at.exception, at.exception
    shown = visible_text(at)
    assert shown.strip(), "the page drew nothing"
    raw_ids = sorted(k for k in KEYS if re.search(rf"(?<![\w.]){re.escape(k)}(?![\w.])", shown))
    assert not raw_ids, f"raw message ids on screen: {raw_ids}"
    assert not re.search(r"\{[a-z_]+\}", shown), "unfilled placeholder on screen"
    if language == "zh":
        assert re.search(r"[\u4e00-\u9fff]", texts(at)), "no Chinese text on a Chinese page"

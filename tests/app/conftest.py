"""Shared AppTest helpers: run the real entry point (router, sidebar, language) on a chosen dataset.

Every page test starts from ``new_app`` so that no test depends on the bundled sample being present, and opens
its page with ``open_page`` (the router's default page runs first, as in a browser).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from components import state
from ml.dataset import Dataset, load_dataset
from ml.i18n import DEFAULT_LANGUAGE, set_language

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
TIMEOUT = 60  # seconds per run: the machine is shared, the first run imports Plotly and pandas


def new_app(dataset: Dataset | None = None, language: str | None = "en") -> AppTest:
    """An AppTest of ``app.py`` that will not load the bundled sample; ``dataset`` is preloaded when given."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.session_state[state.SAMPLE_OFFERED] = True
    if dataset is not None:
        at.session_state[state.DATASET] = dataset
    if language:
        at.query_params["lang"] = language
        # AppTest calls widgets' format_func in the test's thread to rebuild their state before each run; labels
        # translated with t() must come out in the language the widgets were drawn in, or the values no longer
        # match the options. The autouse fixture below puts English back after the test.
        set_language(language)
    return at


def open_page(at: AppTest, page: str) -> AppTest:
    """Run the app once (its default page, as a browser would), then switch to ``page`` (``pages/x_page.py``).

    Switching before the first run would run the page file alone, without app.py's language and sidebar.
    """
    at.run()
    at.switch_page(page)
    return at.run()


def dataset_from_csv(text: str, name: str = "test.csv") -> Dataset:
    return load_dataset([(name, text.encode("utf-8"))])


def metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    """Label -> (value, delta) of every ``st.metric`` on the page."""
    return {m.label: (m.value, m.proto.delta) for m in at.metric}


def plotly_figures(at: AppTest) -> list[dict]:
    """The Plotly figures on the page, as the JSON dicts sent to the browser."""
    return [json.loads(element.proto.spec) for element in at.get("plotly_chart")]


def texts(at: AppTest) -> str:
    """Everything written as markdown, captions, alerts and titles, one per line (for assertions on wording)."""
    parts = [e.value for e in (*at.title, *at.subheader, *at.caption, *at.markdown, *at.info, *at.warning, *at.error)]
    return "\n".join(str(p) for p in parts)


def plotly_array(values) -> np.ndarray:
    """A data array of a figure's JSON: Plotly sends numeric arrays base64-encoded (``{"dtype", "bdata"}``)."""
    if isinstance(values, dict) and "bdata" in values:
        flat = np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
        shape = values.get("shape")
        return flat.reshape([int(n) for n in str(shape).split(",")]) if shape else flat
    return np.asarray(values)


@pytest.fixture(autouse=True)
def _workspace_in_tmp(tmp_path, monkeypatch):
    """Runs and datasets the app saves go to a fresh folder per test, never the repository's ./workspace."""
    from ml.workspace import reset_workspaces

    monkeypatch.setenv("SALESLENS_WORKSPACE", str(tmp_path / "workspace"))
    monkeypatch.delenv("SALESLENS_DATABASE_URL", raising=False)
    monkeypatch.delenv("SALESLENS_SHARED", raising=False)
    reset_workspaces()
    yield
    reset_workspaces()


@pytest.fixture(autouse=True)
def _english_after_each_test():
    yield
    set_language(DEFAULT_LANGUAGE)


@pytest.fixture
def app_factory():
    return new_app

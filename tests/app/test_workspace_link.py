"""A ``?ws=`` link to another browser's workspace (AppTest): offered with what it holds, adopted only when the user
agrees; declining keeps the browser's own workspace. The cookie side is checked in a real browser
(tests/e2e/test_access_browser.py)."""

from __future__ import annotations

import pytest

from components import state
from data.generate import generate
from ml.dataset import load_dataset
from ml.workspace import get_workspace
from tests.app.conftest import new_app, texts

ALICE = "a1" * 16  # the link author's workspace
SELF = "5e" * 16  # the browser's own workspace (its cookie)


def seed_linked_workspace(ws, owner: str = ALICE):
    """A workspace with a saved dataset of its own ("alice_shop.csv"), as its browser's upload would leave it."""
    frame, _ = generate(seed=4, start="2024-01-01", end="2024-02-29", n_customers=40, n_products=5, volume=0.3)
    files = [("alice_shop.csv", frame.to_csv(index=False).encode())]
    ds = load_dataset(files)
    entry = ws.save_dataset(owner, ds, files)
    ws.set_session_pointer(owner, dataset=entry.id)
    return ds


@pytest.fixture
def alice_dataset():
    return seed_linked_workspace(get_workspace())


def _linked_app(own: str | None):
    at = new_app(None)
    at.session_state[state.SAMPLE_OFFERED] = False  # a first visit starts on the sample, as in a browser
    if own:
        at.session_state[state.OWNER] = own
    at.query_params["ws"] = ALICE
    return at.run()


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_a_link_is_offered_not_adopted_and_opening_it_needs_a_click(alice_dataset):
    at = _linked_app(None)
    assert not at.exception
    assert at.session_state[state.OWNER] != ALICE  # the link did not make this browser Alice's
    assert at.session_state[state.DATASET].name == "sample_sales.csv.gz"
    shown = texts(at)
    assert "another workspace" in shown and ALICE[:6] in shown
    assert r"alice\_shop\.csv" in shown  # the name the link's author chose, escaped: shown literally, not as Markdown
    _button(at, "Open the linked workspace").click()
    at.run()
    assert not at.exception
    assert at.session_state[state.OWNER] == ALICE
    assert at.session_state[state.DATASET].fingerprint == alice_dataset.fingerprint  # her data, after consent
    assert "ws" not in at.query_params and "another workspace" not in texts(at)
    at.run()  # later runs stay in the chosen workspace
    assert at.session_state[state.OWNER] == ALICE


def test_declining_keeps_the_browsers_own_workspace(alice_dataset):
    at = _linked_app(SELF)
    assert at.session_state[state.OWNER] == SELF and "another workspace" in texts(at)
    _button(at, "Keep my own workspace").click()
    at.run()
    assert at.session_state[state.OWNER] == SELF and "another workspace" not in texts(at)
    assert "ws" not in at.query_params
    assert at.session_state[state.DATASET].fingerprint != alice_dataset.fingerprint


def test_a_link_to_the_browsers_own_workspace_asks_nothing():
    at = new_app(None)
    at.session_state[state.OWNER] = ALICE
    at.query_params["ws"] = ALICE
    at.run()
    assert not at.exception and "another workspace" not in texts(at) and at.session_state[state.OWNER] == ALICE

"""Message: a catalogue id with parameters, carried by engine errors and rendered late in the reader's language."""

from __future__ import annotations

import pickle

import pytest

from components.state.values import BundleForecast, LinkSummary, RunsNotice
from ml.i18n import render_error, set_language, translate
from ml.messages import Message, message_of
from ml.schema import ConfigError, DataError


@pytest.fixture(autouse=True)
def _english_after():
    yield
    set_language("en")


def test_renders_with_its_params_in_both_languages():
    message = Message("runs.message.renamed", {"label": "Weekly beer"})
    assert message.render("en") == translate("runs.message.renamed", "en", label="Weekly beer")
    assert message.render("zh") == translate("runs.message.renamed", "zh", label="Weekly beer")
    assert "Weekly beer" in message.render("en") and "Weekly beer" in message.render("zh")
    assert message.render("en") != message.render("zh")
    assert "{label}" not in message.render("en") + message.render("zh")


def test_renders_in_the_current_language_by_default():
    message = Message("series.error.unknown_freq", {"freq": "Q"})
    set_language("zh")
    assert message.render() == message.render("zh") and "Q" in message.render()
    set_language("en")
    assert message.render() == message.render("en")


def test_params_are_copied_so_the_sender_cannot_change_a_kept_message():
    params = {"label": "before"}
    message = Message("runs.message.renamed", params)
    params["label"] = "after"
    assert message.params == {"label": "before"}
    with pytest.raises(AttributeError):
        message.id = "other"  # frozen


def test_dict_round_trip():
    message = Message("forecast.error.diverged", {"epoch": 3})
    assert Message.from_dict(message.to_dict()) == message
    assert Message.from_dict({"id": "error.unexpected"}) == Message("error.unexpected")


def test_errors_carry_a_message_and_keep_their_constructor():
    err = DataError("series.error.unknown_freq", freq="Q")
    assert err.message == Message("series.error.unknown_freq", {"freq": "Q"})
    assert (err.message_id, dict(err.params)) == ("series.error.unknown_freq", {"freq": "Q"})
    assert str(err) == err.message.render("en")
    assert render_error(err, "zh") == err.message.render("zh")
    again = ConfigError(err.message)  # an error raised from a Message
    assert again.message is err.message and isinstance(again, ConfigError)


def test_an_error_crosses_a_pickle_with_its_message():
    err = pickle.loads(pickle.dumps(ConfigError("forecast.error.diverged", epoch=3)))
    assert type(err) is ConfigError and err.message == Message("forecast.error.diverged", {"epoch": 3})


def test_anything_else_renders_as_unexpected_naming_its_type():
    assert message_of(ZeroDivisionError("x")) == Message("error.unexpected", {"detail": "ZeroDivisionError"})
    assert render_error(KeyError("k"), "en") == translate("error.unexpected", "en", detail="KeyError")


@pytest.mark.parametrize("value", [
    BundleForecast("abc", error=Message("workspace.error.bundle_tampered")),
    BundleForecast("abc", future=None, config={"model_type": "lstm", "window": 28, "horizon": 14}),
    RunsNotice(Message("runs.message.imported", {"name": "run 1"}), upload="digest"),
    RunsNotice(Message("workspace.error.bundle_foreign"), "error"),
    LinkSummary("ws1", datasets=2, runs=5, latest="sales.csv"),
])
def test_slot_values_round_trip(value):
    """What the tuple-valued slots hold now: named fields, equal after a copy through pickle (as session state
    may be serialised), and distinct from a value with one field changed."""
    copy = pickle.loads(pickle.dumps(value))
    assert copy == value and copy is not value
    first = next(iter(vars(value)))
    assert type(value)(**{**vars(value), first: "other"}) != value

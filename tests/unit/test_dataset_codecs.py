"""The JSON codecs beside the report and options types: they round-trip, and write exactly the JSON the workspace
writes today with its own functions (``ml.workspace.store``), so switching the workspace to them changes no file."""

from __future__ import annotations

import json

import pytest

from ml.dataset import Action, CleaningOptions, Problem, ReturnsPolicy, ValidationReport
from ml.ingest import FileFormat
from ml.workspace import store
from tests.unit.test_dataset import GOOD, _load

_REPORTS: dict[str, ValidationReport] = {}


def _report(case: dict) -> ValidationReport:
    """The report of one corpus case (loaded once per test session)."""
    if case["name"] not in _REPORTS:
        _REPORTS[case["name"]] = _load(case).report
    return _REPORTS[case["name"]]


def _workspace_json(data) -> str:
    return json.dumps(store.to_jsonable(data), sort_keys=True, allow_nan=False)


def _own_json(data) -> str:
    return json.dumps(data, sort_keys=True, allow_nan=False)


def test_corpus_reports_cover_several_actions_and_formats():
    reports = [_report(case) for case in GOOD]
    actions = {p.action for r in reports for p in r.problems}
    assert {Action.DROPPED, Action.FLAGGED, Action.INFO, Action.KEPT, Action.NETTED} <= actions
    assert {f.compression for r in reports for f in r.formats} >= {None, "gzip", "zip"}
    assert all(isinstance(a, Action) for a in actions)


@pytest.mark.parametrize("case", GOOD, ids=[c["name"] for c in GOOD])
def test_report_json_equals_the_workspace_json(case):
    report = _report(case)
    assert _own_json(report.to_dict()) == _workspace_json(store.report_to_dict(report))


@pytest.mark.parametrize("case", GOOD, ids=[c["name"] for c in GOOD])
def test_report_round_trips_and_reads_like_the_workspace(case):
    report = _report(case)
    data = json.loads(_own_json(report.to_dict()))
    back = ValidationReport.from_dict(data)
    assert back == report
    assert back == store.report_from_dict(data)
    assert all(isinstance(p.action, Action) for p in back.problems)


def test_report_from_older_files_ignores_unknown_and_defaults_missing():
    report = ValidationReport(rows_read=5, rows_kept=4, currency="EUR", formats=[FileFormat(name="a.csv", sheet="S")])
    report.add("duplicates", 1, Action.DROPPED, ["row 3"])
    data = report.to_dict()
    data["future_field"] = 1
    data["formats"][0]["future_field"] = 2
    del data["currency"], data["date_alternative"]
    back = ValidationReport.from_dict(data)
    assert back.currency is None and back.date_alternative is None
    assert back.formats == report.formats and back.problems == report.problems
    assert back == store.report_from_dict(data)


def test_unknown_action_is_refused():
    data = ValidationReport(problems=[Problem("duplicates", 1, Action.DROPPED)]).to_dict()
    data["problems"][0]["action"] = "shredded"
    with pytest.raises(ValueError):
        ValidationReport.from_dict(data)


def test_action_values_are_the_strings_the_report_used():
    assert [a.value for a in Action] == ["dropped", "changed", "flagged", "kept", "netted", "info"]
    problem = Problem("returns", 2, Action.NETTED)
    assert problem.to_json_dict()["action"] == "netted" and type(problem.to_json_dict()["action"]) is str
    assert f"report.action.{problem.action}" == "report.action.netted"


@pytest.mark.parametrize("options", [
    CleaningOptions(),
    CleaningOptions(returns=ReturnsPolicy.NET, day_first=True, drop_duplicates=False, encoding="gb18030",
                    keep_non_products=True),
    CleaningOptions(returns=ReturnsPolicy.EXCLUDE, day_first=False),
])
def test_options_json_equals_the_workspace_json_and_round_trips(options):
    assert _own_json(options.to_dict()) == _workspace_json(store.options_to_dict(options))
    data = json.loads(_own_json(options.to_dict()))
    assert CleaningOptions.from_dict(data) == options == store.options_from_dict(data)
    assert CleaningOptions.from_dict({}) == CleaningOptions() == store.options_from_dict({})


def test_netted_dataset_report_round_trips():
    """A report with netted returns and changed values, as a saved dataset keeps it."""
    case = next(c for c in GOOD if c.get("options", {}).get("returns") == "net")
    report = _report(case)
    assert any(p.action == Action.NETTED for p in report.problems)
    assert ValidationReport.from_dict(json.loads(_own_json(report.to_dict()))) == report

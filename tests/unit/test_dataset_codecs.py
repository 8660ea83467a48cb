"""The JSON codecs beside the report and options types (the form a saved dataset's ``meta.json`` holds): they
round-trip, and write exactly the frozen JSON below, the bytes the workspace wrote with its own copies of these
codecs before it switched to them (checked byte for byte over the corpus when it switched), so no saved file
changes."""

from __future__ import annotations

import json

import pytest

from ml.dataset import Action, CleaningOptions, Problem, ReturnsPolicy, ValidationReport
from ml.ingest import FileFormat
from ml.workspace.formats import dump_json
from tests.unit.test_dataset import GOOD, _load

_REPORTS: dict[str, ValidationReport] = {}


def _report(case: dict) -> ValidationReport:
    """The report of one corpus case (loaded once per test session)."""
    if case["name"] not in _REPORTS:
        _REPORTS[case["name"]] = _load(case).report
    return _REPORTS[case["name"]]


def _own_json(data) -> str:
    return json.dumps(data, sort_keys=True, allow_nan=False)


def test_corpus_reports_cover_several_actions_and_formats():
    reports = [_report(case) for case in GOOD]
    actions = {p.action for r in reports for p in r.problems}
    assert {Action.DROPPED, Action.FLAGGED, Action.INFO, Action.KEPT, Action.NETTED} <= actions
    assert {f.compression for r in reports for f in r.formats} >= {None, "gzip", "zip"}
    assert all(isinstance(a, Action) for a in actions)


# Every field set away from its default, a database source, two actions: the stored form, frozen.
_FROZEN_REPORT = (
    '{"currency": "EUR", "date_alternative": "%m.%d.%Y", "date_ambiguous": true, "date_format": "%d.%m.%Y", '
    '"formats": [{"compression": "gzip", "delimiter": "\\t", "encoding": "cp1252", "header_line": 2, "kind": "csv", '
    '"malformed_rows": 1, "name": "june.csv.gz", "sheet": null, "short_rows": 1, "skipped_footer_lines": 1, '
    '"skipped_title_lines": 2, "source": null}, {"compression": null, "delimiter": null, "encoding": null, '
    '"header_line": 0, "kind": "sql", "malformed_rows": 0, "name": "orders", "sheet": null, "short_rows": 0, '
    '"skipped_footer_lines": 0, "skipped_title_lines": 0, "source": {"dialect": "sqlite", "query": "SELECT 1", '
    '"url": "sqlite:///shop.db"}}], "number_style": ",", "problems": [{"action": "dropped", "count": 1, '
    '"examples": ["june.csv.gz row 3"], "reason": "duplicates"}, {"action": "netted", "count": 2, "examples": [], '
    '"reason": "returns"}], "returns_policy": "net", "rows_kept": 4, "rows_read": 7}'
)
_FROZEN_OPTIONS = (
    '{"day_first": true, "drop_duplicates": false, "encoding": "gb18030", "keep_non_products": true, "returns": "net"}'
)


def _full_report() -> ValidationReport:
    report = ValidationReport(
        rows_read=7, rows_kept=4, number_style=",", date_format="%d.%m.%Y", date_ambiguous=True,
        date_alternative="%m.%d.%Y", returns_policy=ReturnsPolicy.NET, currency="EUR",
        formats=[FileFormat(name="june.csv.gz", compression="gzip", encoding="cp1252", delimiter="\t", header_line=2,
                            skipped_title_lines=2, skipped_footer_lines=1, malformed_rows=1, short_rows=1),
                 FileFormat(name="orders", kind="sql",
                            source={"dialect": "sqlite", "url": "sqlite:///shop.db", "query": "SELECT 1"})],
    )
    report.add("duplicates", 1, Action.DROPPED, ["june.csv.gz row 3"])
    report.add("returns", 2, Action.NETTED)
    return report


def test_report_json_is_the_frozen_stored_form():
    report = _full_report()
    assert _own_json(report.to_dict()) == _FROZEN_REPORT
    assert ValidationReport.from_dict(json.loads(_FROZEN_REPORT)) == report


@pytest.mark.parametrize("case", GOOD, ids=[c["name"] for c in GOOD])
def test_report_round_trips_through_the_workspace_writer(case):
    report = _report(case)
    data = json.loads(dump_json(report.to_dict()))  # what ``meta.json`` holds
    back = ValidationReport.from_dict(data)
    assert back == report
    assert dump_json(back.to_dict()) == dump_json(report.to_dict())
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
def test_options_round_trip(options):
    data = json.loads(dump_json(options.to_dict()))
    assert CleaningOptions.from_dict(data) == options
    assert CleaningOptions.from_dict({}) == CleaningOptions()


def test_options_json_is_the_frozen_stored_form():
    options = CleaningOptions(returns=ReturnsPolicy.NET, day_first=True, drop_duplicates=False, encoding="gb18030",
                              keep_non_products=True)
    assert _own_json(options.to_dict()) == _FROZEN_OPTIONS
    assert CleaningOptions.from_dict(json.loads(_FROZEN_OPTIONS)) == options


def test_netted_dataset_report_round_trips():
    """A report with netted returns and changed values, as a saved dataset keeps it."""
    case = next(c for c in GOOD if c.get("options", {}).get("returns") == "net")
    report = _report(case)
    assert any(p.action == Action.NETTED for p in report.problems)
    assert ValidationReport.from_dict(json.loads(_own_json(report.to_dict()))) == report

"""python -m ml: JSON shapes, control totals, and one-line errors with a non-zero exit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

MESSY = (
    "Sales report\n\n"
    "Datum;Bestellung;Artikel;Menge;Preis;Kunde\n"
    "13.01.2025;A1;Kaffee;2;12,50;K1\n"
    "14.01.2025;A2;Tee;1;1.234,00;K2\n"
    "15.01.2025;A3;Kaffee;-1;12,50;K1\n"
    "Total;;;2;;\n"
).encode("cp1252")


def run_cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ml", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_profile_json_has_the_mapping_and_control_totals(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(MESSY)
    proc = run_cli("profile", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["rows_read"] == 3 and out["rows_kept"] == 3
    assert out["mapping"]["date"] == "Datum" and out["mapping"]["quantity"] == "Menge"
    assert out["mapping"]["unit_price"] == "Preis"
    assert out["total_quantity"] == 2.0
    assert out["total_revenue"] == pytest.approx(2 * 12.5 + 1234.0 - 12.5)
    assert (out["date_min"], out["date_max"]) == ("2025-01-13", "2025-01-15")
    assert {"reason": "returns", "count": 1} in [{k: p[k] for k in ("reason", "count")} for p in out["problems"]]


def test_map_override_and_text_output(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(MESSY)
    proc = run_cli("profile", str(path), "--map", "customer_id=,region=Kunde", "--lang", "zh")
    assert proc.returncode == 0, proc.stderr
    assert "地区" in proc.stdout and "Kunde" in proc.stdout
    assert "核对合计" in proc.stdout


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (b"", "empty.csv", "is empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "photo.csv", "not a text table"),
        (b"name,colour\nmug,red\npot,blue\n", "nodate.csv", "No column with dates"),
        (b"date,colour\n2025-01-01,red\n2025-01-02,blue\n", "nomeasure.csv", "No quantity or revenue"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_traceback(tmp_path, content, name, expected):
    path = tmp_path / name
    path.write_bytes(content)
    proc = run_cli("profile", str(path))
    assert proc.returncode == 2
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_utf16_without_bom_is_read_with_its_encoding_and_a_traversal_zip_is_refused(tmp_path):
    text = MESSY.decode("cp1252").replace("Kaffee", "Kaffee ü")
    path = tmp_path / "u16.csv"
    path.write_bytes(text.encode("utf-16-le"))
    proc = run_cli("profile", str(path), "--encoding", "utf-16-le", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["rows_kept"] == 3
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("sales.csv", MESSY)
        zf.writestr("../../x.csv", MESSY)
    (tmp_path / "evil.zip").write_bytes(buf.getvalue())
    proc = run_cli("profile", str(tmp_path / "evil.zip"))
    assert proc.returncode == 2 and "../../x.csv" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    (tmp_path / "header.csv").write_bytes(b"Date,Product,Quantity,Price\n")
    proc = run_cli("profile", str(tmp_path / "header.csv"))
    assert proc.returncode == 2 and "no data rows" in proc.stderr and "quotes" not in proc.stderr


def test_missing_file_and_bad_map_are_reported(tmp_path):
    proc = run_cli("profile", str(tmp_path / "nope.csv"))
    assert proc.returncode == 2 and "No file at" in proc.stderr
    path = tmp_path / "export.csv"
    path.write_bytes(MESSY)
    proc = run_cli("profile", str(path), "--map", "date=Nope")
    assert proc.returncode == 2 and "no column “Nope”" in proc.stderr


@pytest.mark.slow
def test_forecast_json_on_generated_data(tmp_path):
    from data.generate import generate

    frame, _ = generate(seed=3, start="2024-01-01", end="2024-12-31", n_customers=200)
    path = tmp_path / "sales.csv"
    frame.to_csv(path, index=False)
    proc = run_cli("forecast", str(path), "--json", "--epochs", "5", "--window", "28", "--horizon", "14", "--save", str(tmp_path / "model"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert {"network", "naive", "snaive", "ma", "ets", "arima"} <= set(out["metrics"])
    assert set(out["metrics"]["network"]) == {"mae", "rmse", "mape", "smape", "mase"}
    assert out["epochs_run"] >= 1 and out["train_seconds"] > 0
    assert len(out["forecast"]) == 14
    assert out["network_share"] and set(out["partner_shares"]) == set(out["network_share"])
    for uid, share in out["network_share"].items():  # the blend's shares (daily default: ETS and ARIMA) sum to 1
        assert set(out["partner_shares"][uid]) == {"ets", "arima"}
        assert share + sum(out["partner_shares"][uid].values()) == pytest.approx(1.0, abs=1e-3)
    first = out["forecast"][0]
    assert first["lower"] <= first["value"] <= first["upper"]
    assert (tmp_path / "model").is_dir() and any((tmp_path / "model").iterdir())
    bad = run_cli("forecast", str(path), "--window", "400")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_every_command_prints_its_help_in_both_languages(capsys):
    """Catalogue texts reach argparse's %-formatting; one with a bare "%" used to crash --help with a traceback."""
    from ml.cli import build_parser
    from ml.i18n import set_language

    for language in ("en", "zh"):
        set_language(language)
        parser = build_parser()
        commands = parser._subparsers._group_actions[0].choices
        assert {"profile", "forecast"} <= set(commands)
        for name in commands:
            with pytest.raises(SystemExit) as exit_info:
                parser.parse_args([name, "--help"])
            assert exit_info.value.code == 0, name
    set_language("en")
    assert "5%" in capsys.readouterr().out

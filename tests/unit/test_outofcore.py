"""The streamed path (ml/outofcore) against the in-memory path: the same cleaned frame, report, control totals and
fingerprint on the messy-file corpus, the UCI excerpt and generated files with planted bad rows, read in blocks of
a few hundred bytes so every check spans many batches; a file the in-memory path cannot parse within a small
memory budget parses within it when streamed; ``python -m ml import`` adds a file to a workspace."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from ml.dataset import CleaningOptions, ReturnsPolicy, load_dataset
from ml.isolated import load_dataset_isolated
from ml.limits import DISK_LIMITS
from ml.outofcore.clean import load_large_dataset
from ml.outofcore.run import load_paths_isolated, wants_stream
from ml.outofcore.source import Unsupported
from ml.schema import DataError
from tests.unit.test_dataset import BAD, FILES, GOOD, _options

ROOT = Path(__file__).resolve().parents[2]
UCI = ROOT / "tests" / "fixtures" / "uci" / "uci_excerpt.csv.gz"
BLOCK = 700  # bytes per batch: a fixture of 30 lines spans several batches


def _same(files: list[tuple[str, bytes]], paths: list[Path], tmp_path: Path, options=None, overrides=None,
          block: int = BLOCK, engine: str = "auto") -> None:
    expected = load_dataset(files, overrides, options)
    out = tmp_path / "data.parquet"
    got = load_large_dataset(paths, overrides, options, output=out, block_bytes=block, engine=engine)
    assert got.report.to_json_dict() == expected.report.to_json_dict()
    assert got.control_totals() == expected.control_totals()
    assert got.fingerprint == expected.fingerprint
    assert got.profile_json() == expected.profile_json()
    assert got.mapping.to_dict() == expected.mapping.to_dict()
    pd.testing.assert_frame_equal(pq.read_table(out).to_pandas(), expected.frame, check_categorical=False)


@pytest.mark.parametrize("engine", ["auto", "batches"])  # auto: DuckDB SQL where the file allows (sqlclean)
@pytest.mark.parametrize("case", GOOD, ids=[c["name"] for c in GOOD])
def test_the_corpus_cleans_the_same_streamed(case, engine, tmp_path):
    names = case["files"]
    if any(n.endswith((".xlsx", ".xls")) for n in names):
        assert not wants_stream([FILES / n for n in names])  # workbooks keep the in-memory path
        with pytest.raises(Unsupported):
            load_large_dataset([FILES / n for n in names])
        return
    _same([(n, (FILES / n).read_bytes()) for n in names], [FILES / n for n in names], tmp_path, _options(case),
          case.get("overrides"), engine=engine)


@pytest.mark.parametrize("engine", ["auto", "batches"])
@pytest.mark.parametrize("case", BAD, ids=[c["name"] for c in BAD])
def test_the_corpus_refuses_the_same_streamed(case, engine, tmp_path):
    names = case["files"]
    if any(n.endswith((".xlsx", ".xls")) for n in names):
        return
    with pytest.raises(DataError) as expected:
        load_dataset([(n, (FILES / n).read_bytes()) for n in names], case.get("overrides"), _options(case))
    with pytest.raises(DataError) as got:
        load_large_dataset([FILES / n for n in names], case.get("overrides"), _options(case), block_bytes=BLOCK,
                           engine=engine)
    assert got.value.message_id == expected.value.message_id


@pytest.mark.parametrize("returns", list(ReturnsPolicy))
def test_the_uci_excerpt_cleans_the_same_streamed(returns, tmp_path):
    _same([(UCI.name, UCI.read_bytes())], [UCI], tmp_path, CleaningOptions(returns=returns), block=16 * 1024)


def _planted(rows: int, seed: int, day_first: bool = False, late_bad_date: bool = True) -> str:
    """Order lines with every kind of bad row planted, some of them (duplicates, returns) far from their pairs."""
    rng = np.random.default_rng(seed)
    day = rng.integers(0, 120, rows)
    when = np.datetime64("2024-01-01T08:00") + day.astype("timedelta64[D]") + rng.integers(0, 600, rows).astype(
        "timedelta64[m]")
    stamps = pd.to_datetime(when).strftime("%d/%m/%Y %H:%M" if day_first else "%Y-%m-%d %H:%M:%S")
    product = rng.integers(0, 40, rows)
    qty = rng.choice([1, 2, 3, 6], rows)
    price = np.round(1.5 + product * 0.75, 2)
    customer = np.where(rng.random(rows) < 0.1, "", np.char.add("C", rng.integers(100, 160, rows).astype(str)))
    lines = [f"{stamps[i]},O{i},P{product[i]:03d}, Mug {product[i]} ,{qty[i]},{price[i]},{customer[i]}"
             for i in range(rows)]
    bad = {
        3: f"{stamps[3]},O3,P001,Mug 1,abc,2.25,C101",  # unreadable quantity
        5: ",O5,P002,Mug 2,1,2.25,C101",  # no date
        7: f"{stamps[7]},O7,P002,Mug 2,0,2.25,C101",  # zero quantity
        11: f"{stamps[11]},O11,P003,Mug 3,1,-4.00,C101",  # negative price
        13: f"{stamps[13]},O13,POST,POSTAGE,1,18.00,C101",  # not a product
        17: f"{stamps[17]},O17,P004,Mug 4,5000,3.00,C102",  # an outlier (flagged)
        19: f"{stamps[19]},O19,P004,Mug 4,2,3.00,C102,extra,fields",  # malformed
        23: f"{stamps[23]},O23,P004",  # short
        29: f"{stamps[29]},O29,P005,Mug 5,1,x9.5,C103",  # unreadable price
    }
    for i, text in bad.items():
        lines[i] = text
    lines.append(lines[40])  # exact duplicates, the copies in later batches
    lines.append(lines[41])
    lines.append(f"{stamps[50]},C9000050,P{product[50]:03d},Mug {product[50]},-{qty[50]},{price[50]},{customer[50]}")
    if late_bad_date:
        lines.append(f"{'31/02/2024 10:00' if day_first else '2024-02-30 10:00:00'},O99,P001,Mug 1,1,2.25,C101")
    body = "\n".join(lines)
    return f"Date,Order,SKU,Name,Qty,Price,Customer\n{body}\nTotal,,,,999,,\n"


@pytest.mark.parametrize("day_first", [False, True])
@pytest.mark.parametrize("returns", list(ReturnsPolicy))
def test_planted_bad_rows_clean_the_same_streamed(day_first, returns, tmp_path):
    text = _planted(3000, seed=7 + day_first, day_first=day_first).encode()
    path = tmp_path / "sales.csv"
    path.write_bytes(text)
    options = CleaningOptions(returns=returns, day_first=True if day_first else None)
    _same([(path.name, text)], [path], tmp_path, options, block=4096)
    found = load_large_dataset([path], options=options, block_bytes=4096).report
    for reason in ("bad_quantity", "missing_date", "zero_quantity", "negative_price", "non_product", "duplicates",
                   "malformed_rows", "short_rows", "bad_date"):
        assert found.count(reason) >= 1, reason  # every planted kind was met (so the comparison covers it)


def test_monthly_files_and_a_gzip_clean_the_same_streamed(tmp_path):
    a, b = _planted(800, seed=1, late_bad_date=False), _planted(900, seed=2)
    paths = [tmp_path / "a.csv", tmp_path / "b.csv.gz"]
    paths[0].write_text(a)
    paths[1].write_bytes(gzip.compress(b.encode()))
    _same([(p.name, p.read_bytes()) for p in paths], paths, tmp_path, block=2048)


def _big_export(path: Path, rows: int) -> tuple[float, float]:
    """An export with a long product description on every line (as shop systems write them), written fast;
    returns its quantity and revenue (every line valid and distinct)."""
    rng = np.random.default_rng(3)
    when = np.datetime64("2023-01-01") + np.sort(rng.integers(0, 700, rows)).astype("timedelta64[D]")
    qty = rng.integers(1, 9, rows)
    cents = rng.integers(100, 5000, rows)
    product = rng.integers(0, 900, rows)
    texts = np.array([f"Handmade ceramic mug no. {i} with a glazed finish, dishwasher safe, gift boxed; " * 2
                      for i in range(20)])
    frame = pd.DataFrame({"date": when.astype(str), "order_id": np.arange(rows), "product_id": product,
                          "quantity": qty, "unit_price": cents / 100, "customer_id": rng.integers(0, 5000, rows),
                          "description": texts[product % 20]})
    frame.to_csv(path, index=False)
    return float(qty.sum()), float((qty * cents).sum() / 100)


@pytest.mark.slow
def test_a_file_past_the_in_memory_capacity_of_a_budget_streams_within_it(tmp_path):
    path = tmp_path / "big.csv"
    quantity, revenue = _big_export(path, 300_000)  # 58 MB
    # Peak RSS of the parse worker on this file through run_isolated (2 cores; 3 runs streamed, 2 in memory):
    # streamed 285-293 MiB here and above 300 MiB in a clean-clone CI run; in memory 497-519 MiB. 400 MiB sits ~27%
    # above the first and ~20% below the second.
    budget = 400 * 2**20
    files = [(path.name, path.read_bytes())]
    with pytest.raises(DataError) as caught:
        load_dataset_isolated(files, budget=budget)  # the in-memory path needs ~7x the text
    assert caught.value.message_id == "ingest.error.memory_budget"
    del files
    assert wants_stream([path], threshold=32 * 2**20)
    ds = load_paths_isolated([path], limits=DISK_LIMITS, budget=budget)
    assert ds.report.rows_kept == 300_000
    assert ds.control_totals()["total_quantity"] == quantity
    assert ds.control_totals()["total_revenue"] == pytest.approx(revenue, rel=1e-12)


def test_import_adds_a_saved_dataset_to_the_workspace(tmp_path, monkeypatch):
    path = tmp_path / "orders.csv"
    path.write_text(_planted(500, seed=4))
    env = {"SALESLENS_WORKSPACE": str(tmp_path / "ws"), "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-m", "ml", "import", str(path), "--owner", "shop1", "--json"]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    monkeypatch.setenv("SALESLENS_WORKSPACE", str(tmp_path / "ws"))
    from ml.workspace.settings import WorkspaceSettings
    from ml.workspace.store import Workspace

    ws = Workspace(WorkspaceSettings.from_env())
    try:
        entries = ws.list_datasets("shop1")
        assert [e.id for e in entries] == [printed["dataset_id"]]
        saved, _ = ws.load_dataset("shop1", entries[0].id)
    finally:
        ws.close()
    expected = load_dataset([(path.name, path.read_bytes())])
    pd.testing.assert_frame_equal(saved.frame, expected.frame, check_categorical=False)
    assert saved.report.to_json_dict() == expected.report.to_json_dict()
    assert entries[0].rows == len(expected.frame) and saved.fingerprint == expected.fingerprint
    missing = subprocess.run([sys.executable, "-m", "ml", "import", str(path)], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1


def test_text_survives_a_round_trip_through_parquet_as_plain_strings(tmp_path):
    text = "date,qty,description,customer\n" + "".join(
        f"2024-01-{1 + i % 28:02d},{1 + i % 3},{'  ' if i % 7 == 0 else 'Blue mug ' + str(i % 4)},C{i % 5}\n"
        for i in range(200))
    path = tmp_path / "d.csv"
    path.write_text(text)
    _same([(path.name, text.encode())], [path], tmp_path, block=512)
    assert pq.read_schema(tmp_path / "data.parquet").field("description").type == "string"


def test_a_large_upload_streams_from_a_scratch_copy_and_saves_like_any_dataset(tmp_path, monkeypatch):
    """The app's upload path: past the threshold the bytes are streamed from a scratch copy (here a zip holding two
    files, threshold 0 so a small upload takes that path); the dataset equals the in-memory one, has no file behind
    it, saves into a workspace, and the scratch folder is gone."""
    import io
    import tempfile
    import zipfile

    import ml.outofcore.run as run

    a, b = _planted(700, seed=11, late_bad_date=False), _planted(600, seed=12)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("jan.csv", a)
        zf.writestr("feb.csv", b)
    files = [("sales.zip", buffer.getvalue())]
    streamed = []
    original = run.load_paths_isolated
    monkeypatch.setattr(run, "load_paths_isolated", lambda *args, **kw: streamed.append(1) or original(*args, **kw))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    got = run.load_upload_isolated(files, threshold=0)
    expected = load_dataset(files)
    assert streamed == [1]  # it took the streamed path
    assert got.path is None and not list(tmp_path.glob("saleslens-upload-*"))
    pd.testing.assert_frame_equal(got.frame, expected.frame, check_categorical=False)
    assert got.report.to_json_dict() == expected.report.to_json_dict()
    assert got.control_totals() == expected.control_totals() and got.fingerprint == expected.fingerprint
    small = run.load_upload_isolated(files)  # under the default threshold: the in-memory path
    assert streamed == [1] and small.fingerprint == expected.fingerprint

    monkeypatch.setenv("SALESLENS_WORKSPACE", str(tmp_path / "ws"))
    from ml.workspace.settings import WorkspaceSettings
    from ml.workspace.store import Workspace

    ws = Workspace(WorkspaceSettings.from_env())
    try:
        entry = ws.save_dataset("shop1", got, files)
        saved, _ = ws.load_dataset("shop1", entry.id)
    finally:
        ws.close()
    assert entry.rows == len(expected.frame)
    pd.testing.assert_frame_equal(saved.frame, expected.frame, check_categorical=False)

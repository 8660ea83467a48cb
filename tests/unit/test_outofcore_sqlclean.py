"""The DuckDB SQL path of the streamed ingest (ml/outofcore/sqlclean.py) against the in-memory path: plain exports
with every kind of row the whole-table steps act on planted (missing dates, zero quantities, negative and zero
prices, exact repeats far apart, service codes, a fee typed in each time, a discount code, returns netted fully,
partly, by guests and without a purchase, cancellations, outliers, missing customers, padded and null-spelled
texts), under every cleaning choice, in one file and in two; files it must not take fall back to the batches."""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from ml.dataset import CleaningOptions, ReturnsPolicy, load_dataset
from ml.outofcore.clean import load_large_dataset

HEADER = "date,order_id,product_id,quantity,unit_price,customer_id"


def _plain(rows: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    day = np.datetime64("2024-01-01") + rng.integers(0, 90, rows).astype("timedelta64[D]")
    product = rng.integers(0, 30, rows)
    qty = rng.choice([1, 2, 3, 6], rows)
    customer = np.where(rng.random(rows) < 0.08, "", np.char.add("C", rng.integers(100, 140, rows).astype(str)))
    lines = [f"{day[i]},O{seed}-{i},P{product[i]:03d},{qty[i]},{1.5 + product[i] * 0.75:.2f},{customer[i]}"
             for i in range(rows)]
    lines[3] = f",O{seed}-3,P001,1,2.25,C101"  # no date
    lines[7] = f"{day[7]},O{seed}-7,P002,0,2.25,C101"  # zero quantity
    lines[11] = f"{day[11]},O{seed}-11,P003,1,-4.00,C101"  # negative price
    lines[12] = f"{day[12]},O{seed}-12,P003,1,0,C101"  # zero price (flagged)
    lines[13] = f"{day[13]},O{seed}-13,POST,1,18.00,C101"  # a service code
    lines[17] = f"{day[17]},O{seed}-17,P004,5000,3.00,C102"  # an outlier (flagged)
    lines[19] = f"{day[19]},O{seed}-19, P005 ,2,NA,\u3000C103"  # padded texts, a null spelled out
    for j, price in enumerate([1, 2, 150, 300, 400, 500]):  # a fee typed in each time: price varies 500x
        lines[30 + j] = f"{day[30 + j]},O{seed}-F{j},FEE9,1,{price},C104"
    for j in range(5):  # a discount code: its lines mostly negative
        lines[40 + j] = f"{day[40 + j]},O{seed}-D{j},DSC,{-1 if j else 1},5.00,C105"
    # returns: one netting a purchase fully, one partly, one by a guest, one with no purchase to net against
    lines[50] = "2024-02-01,O-R1,P010,3,9.00,C120"
    lines[51] = "2024-02-02,O-R2,P010,2,9.00,C120"
    lines[52] = "2024-02-03,C-R3,P010,-4,9.00,C120"  # takes 2 from the 2nd, 2 from the 1st
    lines[53] = "2024-02-04,C-R4,P011,-2,9.75,"  # a guest
    lines[54] = "2024-02-05,R5,P012,-1,10.50,C121"  # nothing bought before
    lines += [lines[60], lines[61], lines[62]]  # exact repeats, far from their first
    return lines


def _write(path, lines: list[str]) -> None:
    path.write_text(HEADER + "\n" + "\n".join(lines) + "\n", encoding="utf-8")


def _compare(paths, options, tmp_path, engine="auto"):
    expected = load_dataset([(p.name, p.read_bytes()) for p in paths], None, options)
    out = tmp_path / "data.parquet"
    got = load_large_dataset(paths, None, options, output=out, engine=engine)
    assert got.report.to_json_dict() == expected.report.to_json_dict()
    assert got.control_totals() == expected.control_totals()
    assert got.fingerprint == expected.fingerprint
    assert got.profile_json() == expected.profile_json()
    pd.testing.assert_frame_equal(pq.read_table(out).to_pandas(), expected.frame, check_categorical=False)
    return got


@pytest.mark.parametrize("returns", list(ReturnsPolicy))
@pytest.mark.parametrize("choices", [{}, {"drop_duplicates": False}, {"keep_non_products": True}],
                         ids=["default", "keep_duplicates", "keep_non_products"])
def test_plain_exports_clean_in_sql_as_in_memory(returns, choices, tmp_path):
    path = tmp_path / "sales.csv"
    _write(path, _plain(2000, seed=5))
    options = CleaningOptions(returns=returns, **choices)
    got = _compare([path], options, tmp_path)
    assert got.engine == "duckdb"
    report = got.report
    planted = ["missing_date", "zero_quantity", "negative_price", "zero_price", "non_product", "outlier_quantity",
               "missing_customer", "cancellations", "returns"]
    if options.drop_duplicates:
        planted.append("duplicates")
    if returns == ReturnsPolicy.NET:
        planted += ["netted_purchases", "unmatched_return_units"]
    for reason in planted:
        assert report.count(reason) >= 1, reason  # every planted kind was met, so the comparison covers it
    why = " ".join(next(p for p in report.problems if p.reason == "non_product").examples)
    assert "POST" in why and "FEE9" in why and "DSC" in why  # by code, by varying price, by negative lines


def test_two_monthly_files_clean_in_sql_as_in_memory(tmp_path):
    paths = [tmp_path / "jan.csv", tmp_path / "feb.csv"]
    _write(paths[0], _plain(700, seed=1))
    _write(paths[1], _plain(900, seed=2))
    got = _compare(paths, CleaningOptions(returns=ReturnsPolicy.NET), tmp_path)
    assert got.engine == "duckdb"
    assert any("feb.csv row" in e for p in got.report.problems for e in p.examples)  # located in the 2nd file


@pytest.mark.parametrize("spoiler", [
    "2024-01-05,O1,P001,abc,2.25,C101",  # a number DuckDB and ml.parsing would read differently
    "2024-01-05,O1,P001,1_000,2.25,C101",  # DuckDB reads 1000, ml.parsing nothing
    "2024-01-05,O1,P001,1,Infinity,C101",  # DuckDB reads inf, ml.parsing calls it unreadable
    '2024-01-05,"O,1" ,P001,1,2.25,C101',  # a space beside a quote: DuckDB drops it, pyarrow keeps it
    '2024-01-05,"O\n1",P001,1,2.25,C101',  # a newline in a quoted value
    '2024-01-05,O1,P001,1,"1,5",C101',  # a comma in a number of a decimal-point file
    "2024-01-05,O1,P001,1,2.25,C101,extra",  # a malformed line
    "2024-02-30,O1,P001,1,2.25,C101",  # an impossible day
    "2024-1-5,O1,P001,1,2.25,C101",  # a day not written YYYY-MM-DD
])
def test_files_sql_would_read_differently_take_the_batches(spoiler, tmp_path):
    path = tmp_path / "sales.csv"
    lines = _plain(400, seed=3)
    lines[200] = spoiler
    _write(path, lines)
    got = _compare([path], CleaningOptions(), tmp_path)
    assert got.engine == "batches"


# ------------------------------------------------------------------------------------------------ other layouts
# Exports as shops' tools write them: ';' between fields with quoted texts, decimal commas (and '.' grouping
# thousands), cp1252 or GBK text. Each is cleaned in SQL and compared with the in-memory path and the batch path.

REGIONS = {"cp1252": ["Île-de-France", "Zürich", "Köln \"Süd\"", "Málaga"],
           "gb18030": ["华东", "华北 \"一区\"", "华南", "西南"], "utf-8": ["North", "South \"A\"", "East", "West"]}


def _layout(lines: list[str], delimiter: str, decimal: str, regions: list[str], quote: bool) -> list[str]:
    """``_plain``'s lines (header first) with a region column, in another delimiter, decimal mark and quoting."""
    out = []
    for i, line in enumerate([HEADER, *lines]):
        fields = line.split(",") + (["region"] if i == 0 else [regions[i % len(regions)]])
        if i and decimal == ",":
            price = fields[4]
            if price not in ("", "NA"):
                value = float(price) * (1000 if i % 97 == 5 else 1)  # some prices with thousands: '2.250,00'
                whole, cents = f"{value:,.2f}".split(".")
                fields[4] = whole.replace(",", ".") + "," + cents
        if quote:  # texts quoted, '"' doubled inside, the delimiter inside some
            fields = [f'"{f.replace(chr(34), chr(34) * 2)}"' if j in (1, 5, 6) and f else f
                      for j, f in enumerate(fields)]
        else:  # no quote anywhere: no delimiter inside a text either
            fields = [f.replace('"', "").replace(delimiter, "-") for f in fields]
        out.append(delimiter.join(fields))
    return out


@pytest.mark.parametrize(("delimiter", "decimal", "encoding", "quote"), [
    (";", ",", "cp1252", True),
    (";", ",", "utf-8", False),
    (",", ".", "gb18030", True),
    (";", ".", "utf-8", True),
    ("\t", ",", "cp1252", False),
], ids=["semicolon-comma-cp1252-quoted", "semicolon-comma", "gbk-quoted", "semicolon-quoted", "tab-comma-cp1252"])
def test_other_layouts_clean_in_sql_as_in_memory_and_in_batches(delimiter, decimal, encoding, quote, tmp_path):
    lines = _plain(1500, seed=7)
    lines[100] = lines[100].replace("O7-100", "O7;100")  # the delimiter inside a quoted (or a comma-file's) text
    path = tmp_path / "sales.csv"
    text = "\n".join(_layout(lines, delimiter, decimal, REGIONS[encoding], quote)) + "\n"
    if encoding == "cp1252":
        text = text.replace("\u3000", "\u00a0")  # the padding cp1252 can write
    if encoding != "utf-8":
        assert not text.isascii()
    path.write_bytes(text.encode(encoding))
    options = CleaningOptions(returns=ReturnsPolicy.NET)
    got = _compare([path], options, tmp_path)
    assert got.engine == "duckdb"
    assert got.report.formats[0].encoding == encoding and got.report.number_style == decimal
    batches = load_large_dataset([path], None, options, engine="batches")
    assert batches.engine == "batches"
    assert batches.report.to_json_dict() == got.report.to_json_dict()
    assert batches.control_totals() == got.control_totals()
    for reason in ("missing_date", "negative_price", "non_product", "returns", "duplicates", "outlier_quantity"):
        assert got.report.count(reason) >= 1, reason
    if decimal == ",":  # '2.250,00' read as 2250
        assert np.nanmax(pq.read_table(tmp_path / "data.parquet").column("unit_price").to_numpy()) > 1000


def _with_times(lines: list[str], seed: int) -> list[str]:
    """``_plain``'s lines with a time of day on most days (some left bare: both read as the same kind of moment);
    the time follows from the line, so a repeated line keeps repeating."""
    out = []
    for line in lines:
        day, rest = line.split(",", 1)
        rng = np.random.default_rng([seed, zlib.crc32(line.encode())])
        if day and rng.random() < 0.9:
            day += f" {rng.integers(0, 24):02d}:{rng.integers(0, 60):02d}:{rng.integers(0, 60):02d}"
        out.append(f"{day},{rest}")
    return out


def test_days_with_a_time_of_day_clean_in_sql_as_in_memory(tmp_path):
    lines = _with_times(_plain(1200, seed=9), seed=9)
    # the same line at two times of one day is no repeat; at the same moment it is
    lines += ["2024-03-02 10:00:00,O-T,P007,2,6.75,C110", "2024-03-02 11:00:00,O-T,P007,2,6.75,C110",
              "2024-03-02 10:00:00,O-T,P007,2,6.75,C110"]
    path = tmp_path / "sales.csv"
    _write(path, lines)
    got = _compare([path], CleaningOptions(), tmp_path)
    assert got.engine == "duckdb"
    plain = tmp_path / "no_times.csv"  # the same lines without their times: more of them repeat each other
    _write(plain, [line[:10] + line[19:] if len(line) > 19 and line[10] == " " else line for line in lines])
    assert load_large_dataset([plain]).report.count("duplicates") > got.report.count("duplicates") >= 4


def _described(lines: list[str], seed: int) -> list[str]:
    """The UCI layout: ``_plain``'s lines (header first) with a quoted description after the product, times of day,
    and the texts ``ml.products`` reads: a service named in words under an unknown code, write-off notes on
    unpriced or negative lines (of a real product, of one known only from notes, without a product), a variant
    text sold at a price (no note), and a note that is its product's usual text (kept)."""
    rng = np.random.default_rng(seed)
    words = ["WHITE HANGING HEART", "RED LANTERN, LARGE", 'RECORD FRAME 7"" SINGLE', "CAKE STAND ", "MUG"]
    out = ["date,order_id,product_id,description,quantity,unit_price,customer_id"]
    for line in _with_times(lines, seed):
        f = line.split(",")
        text = words[int(f[2][1:]) % len(words)] if f[2].startswith("P") and f[2][1:].isdigit() else f[2].lower()
        if rng.random() < 0.02:
            text += " VARIANT"
        out.append(",".join(f[:3] + [f'"{text}"'] + f[3:]))
    out += ['2024-03-03 09:00:00,O-S1,X77,"DOTCOM POSTAGE",1,18.00,C101',
            '2024-03-04 09:00:00,O-S2,X77,"DOTCOM POSTAGE",1,22.00,C102',
            '2024-03-05 09:00:00,O-W1,P002,"damaged",-3,0,',  # a note on a real product's line, unpriced
            '2024-03-05 09:01:00,O-W2,P003,"?",-10,0,',
            '2024-03-05 09:02:00,O-W3,P004,"wet pallet",5,0,',
            '2024-03-06 09:00:00,O-W4,Z99,"thrown away",-7,0,',  # a product known only from notes
            '2024-03-06 09:01:00,O-W5,Z99,"thrown away",-2,0,',
            '2024-03-06 09:02:00,O-W6,,"missing",-1,0,',  # no product
            '2024-03-07 09:00:00,O-K1,K01,"CHECK",1,3.00,C103',  # 'check' is K01's own sold name: kept
            '2024-03-07 09:01:00,O-K2,K01,"CHECK",-1,0,C103',
            '2024-03-07 09:02:00,O-K3,K01,"CHECK",2,3.00,C104']
    return out


@pytest.mark.parametrize("choices", [{}, {"keep_non_products": True}, {"returns": ReturnsPolicy.NET}],
                         ids=["default", "keep_non_products", "net"])
def test_descriptions_clean_in_sql_as_in_memory(choices, tmp_path):
    path = tmp_path / "retail.csv"
    path.write_text("\n".join(_described(_plain(1500, seed=11), seed=11)) + "\n", encoding="utf-8")
    got = _compare([path], CleaningOptions(**choices), tmp_path)
    assert got.engine == "duckdb"
    write_off = next(p for p in got.report.problems if p.reason == "write_off")
    assert write_off.count == 6  # 'damaged', '?', 'wet pallet', Z99's two, the line without a product; not K01's
    why = " ".join(next(p for p in got.report.problems if p.reason == "non_product").examples)
    assert "DOTCOM POSTAGE" in why


@pytest.mark.parametrize("spoiler", [
    "2024-01-05 10:00,O1,P001,1,2.25,C101",  # no seconds
    "2024-01-05T10:00:00,O1,P001,1,2.25,C101",  # a 'T'
    "2024-01-05 24:00:00,O1,P001,1,2.25,C101",  # no such hour
    "2024-01-05 10:00:00.5,O1,P001,1,2.25,C101",  # a fraction of a second
])
def test_times_sql_would_read_differently_take_the_batches(spoiler, tmp_path):
    lines = _with_times(_plain(400, seed=3), seed=3)
    lines[200] = spoiler
    path = tmp_path / "sales.csv"
    _write(path, lines)
    assert _compare([path], CleaningOptions(), tmp_path).engine == "batches"


@pytest.mark.parametrize("spoiler", [
    "2024-01-05;O1;P001;1;1 234,50;C101",  # a space grouping thousands
    "2024-01-05;O1;P001;1;€2,25;C101",  # a currency sign
    "2024-01-05;O1;P001;1;2.25;C101",  # a decimal point in a decimal-comma file (ml.parsing: 225)
    "2024-01-05;O1;P001;1;1.23,5;C101",  # a group of two digits
    '2024-01-05;"O1" ;P001;1;2,25;C101',  # a space beside a quote
])
def test_decimal_comma_files_sql_would_read_differently_take_the_batches(spoiler, tmp_path):
    lines = _layout(_plain(400, seed=3), ";", ",", REGIONS["utf-8"], False)
    lines[200] = spoiler + ";North"
    path = tmp_path / "sales.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = _compare([path], CleaningOptions(), tmp_path)
    assert got.engine == "batches"
    assert got.report.number_style == ","


def test_the_row_caps_of_each_path(tmp_path, monkeypatch):
    """Files DuckDB cleans may have up to ``max_rows`` lines; files needing the batches only ``BATCH_MAX_ROWS``."""
    import dataclasses

    import ml.outofcore.clean as clean
    from ml.limits import DISK_LIMITS
    from ml.schema import DataError

    monkeypatch.setattr(clean, "BATCH_MAX_ROWS", 300)
    plain, spoiled = tmp_path / "plain.csv", tmp_path / "spoiled.csv"
    lines = _plain(400, seed=4)
    _write(plain, lines)
    _write(spoiled, lines[:200] + ['2024-01-05,O1,P001,1_000,2.25,C101'] + lines[200:])
    assert load_large_dataset([plain], limits=DISK_LIMITS).engine == "duckdb"
    with pytest.raises(DataError) as batches:
        load_large_dataset([spoiled], limits=DISK_LIMITS)
    assert batches.value.message_id == "ingest.error.too_many_rows"
    with pytest.raises(DataError) as sql:
        load_large_dataset([plain], limits=dataclasses.replace(DISK_LIMITS, max_rows=350))
    assert sql.value.message_id == "ingest.error.too_many_rows"

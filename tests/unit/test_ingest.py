"""Bytes -> string tables: formats, encodings, separators, report titles and totals, and every cap.

Big or hostile inputs (10,000 columns, files over the upload cap, archives that inflate past the cap) are
generated here at test time with small limits, so the suite stays fast and the repository small.
"""

from __future__ import annotations

import gzip
import io
import re
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from ml import i18n
from ml.dataset import CleaningOptions, load_dataset
from ml.ingest import detect_delimiter, detect_encoding, detect_header_line, read_upload
from ml.limits import IngestLimits
from ml.schema import DataError

FILES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "files"
HEADER = "Date,Order ID,SKU,Quantity,Unit Price\n"
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def _body(rows: int) -> str:
    return "".join(f"2024-03-{1 + i % 28:02d},{10000 + i},P{i % 7},{1 + i % 3},{2 + i % 5}.50\n" for i in range(rows))


def _refused(message_id: str, name: str, data: bytes, **kwargs) -> DataError:
    with pytest.raises(DataError) as info:
        read_upload(name, data, **kwargs)
    err = info.value
    assert err.message_id == message_id
    for lang in ("en", "zh"):
        text = i18n.render_error(err, lang)
        assert not _PLACEHOLDER.search(text), text
    return err


def _one(name: str, data: bytes, **kwargs):
    tables = read_upload(name, data, **kwargs)
    assert len(tables) == 1
    return tables[0]


# ------------------------------------------------------------------------------------------------ formats


def test_plain_csv_keeps_values_as_strings():
    t = _one("a.csv", (HEADER + "2024-03-01,00123,P1,2,1.50\n2024-03-02,00124,P2,1,2.00\n").encode())
    assert t.source_columns == ["Date", "Order ID", "SKU", "Quantity", "Unit Price"]
    assert t.table.column("Order ID").to_pylist() == ["00123", "00124"]
    assert t.format.encoding == "utf-8" and t.format.delimiter == "," and t.format.header_line == 0


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semi"), ("\t", "tab"), ("|", "pipe"), (",", "comma")])
def test_delimiters(delimiter, name):
    text = (HEADER + _body(5)).replace(",", delimiter)
    t = _one(f"{name}.csv", text.encode())
    assert t.format.delimiter == delimiter
    assert t.table.num_rows == 5 and t.table.num_columns == 5


def test_decimal_commas_do_not_fool_the_delimiter_guess():
    text = "Datum;Artikel;Menge;Preis\n01.03.2024;A;1;12,50\n02.03.2024;B;2;1.234,50\n03.03.2024;C;3;0,99\n"
    assert _one("de.csv", text.encode()).format.delimiter == ";"


def test_detect_delimiter_direct():
    assert detect_delimiter(["a\tb\tc", "1\t2,5\t3", "4\t5\t6"]) == "\t"
    assert detect_delimiter(['"x, y"|b|c', "1|2|3"]) == "|"


def test_header_after_title_lines():
    lines = ["Sales report", "Period: March, 2024", "", "Date,Product,Qty,Price", "2024-03-01,A,1,2.5", "2024-03-02,B,2,3.5"]
    assert detect_header_line(lines, ",") == 3


def test_header_with_numeric_looking_labels_is_still_the_header():
    lines = ["Date,SKU,2023,2024", "2024-03-01,A,1,2", "2024-03-02,B,3,4"]
    assert detect_header_line(lines, ",") == 0


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_trailing_blank_lines_and_totals_keep_every_data_row(ending):
    rows = ["2024-03-01,1,P1,1,2.50", "2024-03-02,2,P2,3,1.00"]
    for tail in (["", "", ""], ["Total,,,4,", ""], ["", "合计,,,4,", "", ""], ["Grand total: 4"]):
        text = ending.join(["Date,Order ID,SKU,Quantity,Unit Price", *rows, *tail])
        t = _one("t.csv", text.encode())
        assert t.table.column("Order ID").to_pylist() == ["1", "2"], tail
        assert t.format.skipped_footer_lines == sum(1 for x in tail if x)  # blank lines are not counted


def test_footer_count_is_lines_below_the_data():
    t = _one("t.csv", b"Date,SKU,Qty\n2024-03-01,A,1\n2024-03-02,B,2\nTotal,,3\n")
    assert t.format.skipped_footer_lines == 1 and t.table.num_rows == 2
    t = _one("t.csv", b"Date,SKU,Qty\n2024-03-01,A,1\n2024-03-02,B,2")
    assert t.format.skipped_footer_lines == 0 and t.table.num_rows == 2


def test_a_product_called_total_in_the_middle_is_data():
    t = _one("t.csv", b"Date,SKU,Qty\n2024-03-01,Total Wipes,1\n2024-03-02,B,2\n")
    assert t.table.num_rows == 2


def test_malformed_rows_are_counted_not_fatal():
    text = HEADER + "2024-03-01,1,P1,1,2.50\n2024-03-02,2,P2,1,2.50,EXTRA\n2024-03-03,3,P3,1,2.50\n"
    t = _one("m.csv", text.encode())
    assert t.table.num_rows == 2 and t.format.malformed_rows == 1


def test_quoted_line_breaks_are_values_not_rows():
    text = HEADER + '2024-03-01,1,"Mug,\nlarge",1,2.50\n2024-03-02,2,P2,1,2.50\n2024-03-03,3,"say ""hi""",1,2.50\n'
    t = _one("q.csv", text.encode())
    assert t.table.column("SKU").to_pylist() == ["Mug,\nlarge", "P2", 'say "hi"']
    assert t.format.malformed_rows == 0


def test_blank_and_repeated_header_names_are_made_unique():
    t = _one("h.csv", b"Date,,Qty,Qty\n2024-03-01,x,1,2\n2024-03-02,y,3,4\n")
    assert t.source_columns == ["Date", "column_2", "Qty", "Qty.1"]


# ------------------------------------------------------------------------------------------------ encodings


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("gb18030", "gb18030"), ("cp1252", "cp1252")],
)
def test_encodings_round_trip(encoding, expected):
    text = "日期,商品,销量,单价\n" + "".join(f"2024/3/{d},龙井绿茶 {d}号,{d},88.00\n" for d in range(1, 20))
    if encoding == "cp1252":
        text = "Date,Product,Qty,Price\n" + "".join(f"2024-03-{d:02d},Crème brûlée {d},{d},12.50\n" for d in range(1, 20))
    t = _one("e.csv", text.encode(encoding))
    assert t.format.encoding == expected
    header = text.split("\n", 1)[0].split(",")
    assert t.source_columns == header
    assert t.table.column(header[1]).to_pylist()[0] == text.split("\n")[1].split(",")[1]


def test_detect_encoding_direct():
    assert detect_encoding(b"plain ascii,1\n") == "utf-8"
    assert detect_encoding("caf\u00e9".encode()) == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbfa,b\n") == "utf-8-sig"
    assert detect_encoding("订单号,商品名称,数量\n".encode("gbk") * 5) == "gb18030"


def test_forced_wrong_encoding_is_refused():
    data = (FILES / "gbk_chinese.csv").read_bytes()
    err = _refused("ingest.error.wrong_encoding", "gbk_chinese.csv", data, encoding="utf-8")
    assert err.params["encoding"] == "utf-8"
    with pytest.raises(DataError) as info:
        load_dataset([("gbk_chinese.csv", data)], options=CleaningOptions(encoding="utf-8"))
    assert info.value.message_id == "ingest.error.wrong_encoding"


def test_forced_right_encoding_reads():
    data = (FILES / "gbk_chinese.csv").read_bytes()
    assert _one("gbk_chinese.csv", data, encoding="gb18030").source_columns[0] == "日期"


def test_unknown_encoding_name_is_refused():
    _refused("ingest.error.wrong_encoding", "a.csv", (HEADER + _body(3)).encode(), encoding="klingon-8")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_reads_when_named_and_when_detected(encoding):
    text = HEADER + _body(30) + "2024-03-29,20001,龙井绿茶 一号,2,88.00\n"
    data = text.encode(encoding)  # no BOM: the bytes start with the header's first letter
    assert not data.startswith((b"\xff\xfe", b"\xfe\xff"))
    for forced in (encoding, None):
        t = _one("u16.csv", data, encoding=forced)
        assert t.format.encoding == encoding and t.source_columns == HEADER.strip().split(",")
        assert t.table.num_rows == 31 and t.table.column("SKU").to_pylist()[-1] == "龙井绿茶 一号"
    assert detect_encoding(data) == encoding


def test_header_only_file_says_there_are_no_data_rows():
    for ending in ("\n", "\r\n", "", "\n\n  \n"):
        err = _refused("ingest.error.no_rows", "header.csv", (HEADER.strip() + ending).encode())
        assert "no data rows" in i18n.render_error(err, "en") and "quotes" not in i18n.render_error(err, "en")
    _refused("ingest.error.no_rows", "totals.csv", (HEADER + "Total,,,0,\n").encode())  # only a totals line


# ------------------------------------------------------------------------------------------------ containers


def test_gzip_reports_compression_and_inner_name():
    t = _one("month.csv.gz", gzip.compress((HEADER + _body(4)).encode()))
    assert t.format.compression == "gzip" and t.format.name == "month.csv" and t.table.num_rows == 4


def test_zip_members_are_tables_and_macosx_entries_are_ignored():
    tables = read_upload("monthly_two.zip", (FILES / "monthly_two.zip").read_bytes())
    assert [t.format.name for t in tables] == ["monthly_two.zip/sales_2024_01.csv", "monthly_two.zip/sales_2024_02.csv"]
    assert all(t.format.compression == "zip" for t in tables)
    assert [t.table.num_rows for t in tables] == [15, 12]


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_empty_zip_and_zip_of_only_hidden_files():
    _refused("ingest.error.empty_archive", "e.zip", _zip({}))
    _refused("ingest.error.empty_archive", "e.zip", _zip({"__MACOSX/._a.csv": b"\x00\x05", ".DS_Store": b"\x00"}))


@pytest.mark.parametrize("member", ["../../x.csv", "ok/../../x.csv", "/etc/x.csv", "..\\x.csv", "C:/x.csv"])
def test_zip_member_whose_path_leaves_the_archive_refuses_the_archive(member):
    good = (HEADER + _body(3)).encode()
    err = _refused("ingest.error.unsafe_member", "evil.zip", _zip({"good.csv": good, member: good}))
    assert err.params["member"] == member and member in i18n.render_error(err, "en")


def test_zip_member_in_a_dot_folder_path_is_read():
    tables = read_upload("z.zip", _zip({"./exports/a.csv": (HEADER + _body(3)).encode(), "exports/.hidden.csv": b"x"}))
    assert [t.format.name for t in tables] == ["z.zip/./exports/a.csv"] and tables[0].table.num_rows == 3


def test_too_many_zip_members():
    members = {f"m{i}.csv": (HEADER + _body(2)).encode() for i in range(4)}
    err = _refused("ingest.error.too_many_members", "many.zip", _zip(members), limits=IngestLimits(max_zip_members=3))
    assert err.params["count"] == 4


def test_xlsx_reads_dates_numbers_and_skips_title_and_totals():
    t = _one("workbook.xlsx", (FILES / "workbook.xlsx").read_bytes())
    assert t.format.kind == "xlsx" and t.format.sheet == "Orders"
    assert t.format.skipped_title_lines == 2 and t.format.skipped_footer_lines == 1
    assert t.source_columns == ["Order Date", "Order ID", "SKU", "Product", "Quantity", "Unit Price", "Revenue"]
    first = t.table.slice(0, 1).to_pylist()[0]
    assert first["Order Date"].startswith("2024-03-01 ") and first["Order ID"] == "10001" and first["Quantity"] == "3"


def test_corrupt_xlsx_is_refused():
    data = bytearray((FILES / "workbook.xlsx").read_bytes())
    members = _zip({"[Content_Types].xml": b"<oops", "xl/workbook.xml": b"<not xml"})
    _refused("ingest.error.corrupt_archive", "broken.xlsx", members)
    assert data  # the good workbook is untouched


@pytest.mark.parametrize(
    ("name", "data", "message_id"),
    [
        ("empty.csv", b"", "ingest.error.empty_file"),
        ("blank.csv", b" \n\r\n\t\n", "ingest.error.empty_file"),
        ("image.csv", (FILES / "image_png.csv").read_bytes(), "ingest.error.binary_file"),
        ("doc.csv", (FILES / "document_pdf.csv").read_bytes(), "ingest.error.binary_file"),
        ("photo.csv", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(100), "ingest.error.binary_file"),
        ("data.csv", b"PAR1" + bytes(100), "ingest.error.binary_file"),
        ("nul.csv", b"a,b\n1,\x00\x00\x00\n", "ingest.error.binary_file"),
        ("old.xls", (FILES / "old_excel.xls").read_bytes(), "ingest.error.old_excel"),
        ("export.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64) + "Workbook".encode("utf-16-le") + bytes(64), "ingest.error.old_excel"),
        ("one.csv", b"just one column\nvalue\nvalue\n", "ingest.error.one_column"),
        ("t.csv.gz", (FILES / "truncated.csv.gz").read_bytes(), "ingest.error.corrupt_archive"),
        ("t.zip", (FILES / "truncated.zip").read_bytes(), "ingest.error.corrupt_archive"),
        ("junk.gz", b"\x1f\x8b\x08\x00" + bytes(range(200)), "ingest.error.corrupt_archive"),
    ],
)
def test_refusals(name, data, message_id):
    _refused(message_id, name, data)


# ------------------------------------------------------------------------------------------------ caps


def test_ten_thousand_columns():
    header = ",".join(f"c{i}" for i in range(10_000))
    row = ",".join("1" for _ in range(10_000))
    err = _refused("ingest.error.too_many_columns", "wide.csv", f"{header}\n{row}\n{row}\n".encode())
    assert err.params["count"] == 10_000 and err.params["limit"] == 500


def test_file_over_the_upload_cap():
    data = (HEADER + _body(75_000)).encode()
    assert 1.5 * 2**20 < len(data) < 3 * 2**20
    err = _refused("ingest.error.file_too_large", "big.csv", data, limits=IngestLimits(max_upload_mb=1))
    assert err.params["limit_mb"] == 1 and err.params["size_mb"] == 2


def test_row_cap_while_reading():
    _refused("ingest.error.too_many_rows", "rows.csv", (HEADER + _body(50)).encode(), limits=IngestLimits(max_rows=20))


def _inflating_text(mb: int) -> bytes:
    block = _body(300).encode()  # smaller than deflate's 32 KB window, so repeats compress about 1000:1
    return HEADER.encode() + block * (mb * 2**20 // len(block) + 1)


def _peak_while(fn) -> int:
    tracemalloc.start()
    try:
        fn()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


def test_gzip_that_inflates_past_the_cap_stops_early():
    inflated = _inflating_text(32)
    bomb = gzip.compress(inflated, compresslevel=6)
    assert len(bomb) < 2**20 < len(inflated)
    limits = IngestLimits(max_inflated_mb=2)

    peak = _peak_while(lambda: _refused("ingest.error.inflated_too_large", "bomb.csv.gz", bomb, limits=limits))
    assert peak < len(inflated) / 4, f"peak {peak / 2**20:.1f} MB while refusing {len(inflated) / 2**20:.0f} MB"


def test_zip_that_inflates_past_the_cap_stops_early():
    inflated = _inflating_text(32)
    bomb = _zip({"a.csv": inflated})
    limits = IngestLimits(max_inflated_mb=2)
    peak = _peak_while(lambda: _refused("ingest.error.inflated_too_large", "bomb.zip", bomb, limits=limits))
    assert peak < len(inflated) / 4, f"peak {peak / 2**20:.1f} MB while refusing {len(inflated) / 2**20:.0f} MB"


def test_zip_members_share_one_inflated_budget():
    part = _inflating_text(1)
    bomb = _zip({"a.csv": part, "b.csv": part, "c.csv": part})
    _refused("ingest.error.inflated_too_large", "three.zip", bomb, limits=IngestLimits(max_inflated_mb=2))


def test_xlsx_that_inflates_past_the_cap():
    data = (FILES / "workbook.xlsx").read_bytes()
    read_upload("w.xlsx", data, limits=IngestLimits(max_inflated_mb=1))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    members["xl/media/padding.bin"] = bytes(3 * 2**20)
    _refused("ingest.error.inflated_too_large", "w.xlsx", _zip(members), limits=IngestLimits(max_inflated_mb=2))

"""Column mapping: header synonyms in English and Chinese, content checks, user overrides, the CLI's --map."""

from __future__ import annotations

import pyarrow as pa
import pytest

from ml.i18n import render_error
from ml.mapping import apply_overrides, normalise_header, parse_map_argument, propose_mapping
from ml.parsing import NumberStyle
from ml.schema import ColumnMapping, DataError

POINT = NumberStyle(".")


def _propose(columns: dict[str, list[str | None]]) -> dict[str, str]:
    samples = {name: pa.array(values, pa.string()) for name, values in columns.items()}
    return propose_mapping(samples, POINT).mapping.to_dict()


def test_english_synonyms():
    mapping = _propose(
        {
            "Order Date": ["2024-03-01", "2024-03-02"],
            "Order ID": ["A1", "A2"],
            "SKU": ["P1", "P2"],
            "Product Name": ["Tea", "Coffee"],
            "Category": ["Drinks", "Drinks"],
            "Customer ID": ["C1", None],
            "Qty": ["1", "2"],
            "Unit Price": ["1.50", "2.00"],
            "Line Total": ["1.50", "4.00"],
            "Unit Cost": ["0.70", "1.10"],
            "Country": ["UK", "FR"],
            "On Promotion": ["0", "1"],
            "Notes": ["gift", ""],
        }
    )
    assert mapping == {
        "date": "Order Date",
        "order_id": "Order ID",
        "product_id": "SKU",
        "product_name": "Product Name",
        "category": "Category",
        "customer_id": "Customer ID",
        "quantity": "Qty",
        "unit_price": "Unit Price",
        "revenue": "Line Total",
        "unit_cost": "Unit Cost",
        "region": "Country",
        "promo": "On Promotion",
    }


def test_uci_online_retail_headers():
    mapping = _propose(
        {
            "InvoiceNo": ["536365", "C536379"],
            "StockCode": ["85123A", "22556"],
            "Description": ["WHITE HANGING HEART T-LIGHT HOLDER", "PLASTERS IN TIN CIRCUS PARADE"],
            "Quantity": ["6", "-12"],
            "InvoiceDate": ["2010-12-01 08:26:00", "2010-12-01 09:41:00"],
            "UnitPrice": ["2.55", "1.65"],
            "CustomerID": ["17850", ""],
            "Country": ["United Kingdom", "France"],
        }
    )
    assert mapping == {
        "order_id": "InvoiceNo",
        "product_id": "StockCode",
        "description": "Description",
        "quantity": "Quantity",
        "date": "InvoiceDate",
        "unit_price": "UnitPrice",
        "customer_id": "CustomerID",
        "region": "Country",
    }


def test_chinese_synonyms():
    mapping = _propose(
        {
            "日期": ["2024/3/1", "2024/3/2"],
            "订单号": ["A1", "A2"],
            "商品编号": ["SP01", "SP02"],
            "商品": ["龙井", "铁观音"],
            "类别": ["茶叶", "茶叶"],
            "销量": ["2", "1"],
            "单价": ["88.00", "168.00"],
            "金额": ["176.00", "168.00"],
            "客户": ["张伟", "王芳"],
            "地区": ["华东", "华南"],
            "是否促销": ["是", "否"],
        }
    )
    assert mapping == {
        "date": "日期",
        "order_id": "订单号",
        "product_id": "商品编号",
        "product_name": "商品",
        "category": "类别",
        "quantity": "销量",
        "unit_price": "单价",
        "revenue": "金额",
        "customer_id": "客户",
        "region": "地区",
        "promo": "是否促销",
    }


def test_keywords_inside_longer_headers():
    mapping = _propose({"订单日期": ["2024-03-01"], "商品数量": ["2"], "Price (EUR)": ["1.50"], "Total Volume": ["1200"]})
    assert mapping["date"] == "订单日期"
    assert mapping["quantity"] == "商品数量"
    assert mapping["unit_price"] == "Price (EUR)"


def test_date_found_by_content_when_the_header_says_nothing():
    mapping = _propose({"Col1": ["01.03.2024", "02.03.2024", "15.03.2024"], "Col2": ["P1", "P2", "P3"], "Qty": ["1", "2", "3"]})
    assert mapping == {"date": "Col1", "quantity": "Qty"}


def test_content_vetoes_a_header_that_lies():
    # 'Date' holds product codes; the real dates sit in an unnamed column.
    mapping = _propose({"Date": ["P1", "P2", "P3"], "x": ["2024-03-01", "2024-03-02", "2024-03-03"], "Units": ["1", "2", "3"]})
    assert mapping["date"] == "x"
    mapping = _propose({"Quantity": ["lots", "few", "some"], "When": ["2024-03-01", "2024-03-02", "2024-03-03"], "Sales": ["1.5", "2", "3"]})
    assert "quantity" not in mapping and mapping["revenue"] == "Sales"


def test_a_date_header_is_kept_when_nothing_else_holds_dates():
    mapping = _propose({"Date": ["soon", "later", "??"], "Qty": ["1", "2", "3"]})
    assert mapping["date"] == "Date"


def test_each_source_serves_one_field_and_each_field_one_source():
    mapping = _propose({"Date": ["2024-03-01"], "Order Date": ["2024-03-01"], "Amount": ["5"], "Sales": ["5"]})
    assert len(set(mapping.values())) == len(mapping)
    assert mapping["date"] in ("Date", "Order Date")


def test_normalise_header():
    assert normalise_header(" Unit_Price (€) ") == "unitprice€"
    assert normalise_header("ＱＴＹ") == "qty"  # full-width letters
    assert normalise_header("商品（名称）") == "商品名称"


SOURCES = ["Order Date", "Ship Date", "SKU", "Title", "Qty", "Price"]
PROPOSAL = ColumnMapping({"date": "Order Date", "product_id": "SKU", "product_name": "Title", "quantity": "Qty", "unit_price": "Price"})


def test_override_picks_another_column():
    mapping = apply_overrides(PROPOSAL, {"date": "Ship Date"}, SOURCES)
    assert mapping.source_for("date") == "Ship Date"
    assert mapping.source_for("quantity") == "Qty"


def test_override_moves_a_source_to_another_field():
    mapping = apply_overrides(PROPOSAL, {"description": "Title"}, SOURCES)
    assert mapping.source_for("description") == "Title"
    assert not mapping.has("product_name")


def test_override_unmaps_a_field():
    for empty in (None, ""):
        mapping = apply_overrides(PROPOSAL, {"unit_price": empty}, SOURCES)
        assert not mapping.has("unit_price")
        assert mapping.source_for("quantity") == "Qty"


def test_override_does_not_change_the_proposal():
    apply_overrides(PROPOSAL, {"unit_price": None}, SOURCES)
    assert PROPOSAL.has("unit_price")


@pytest.mark.parametrize(
    ("overrides", "message_id"),
    [({"colour": "SKU"}, "ingest.error.unknown_field"), ({"date": "Invoice Date"}, "ingest.error.unknown_column")],
)
def test_bad_overrides_are_explained(overrides, message_id):
    with pytest.raises(DataError) as info:
        apply_overrides(PROPOSAL, overrides, SOURCES)
    assert info.value.message_id == message_id
    for lang in ("en", "zh"):
        assert "{" not in render_error(info.value, lang)


def test_parse_map_argument():
    assert parse_map_argument("date=Order Date, product_id=SKU") == {"date": "Order Date", "product_id": "SKU"}
    assert parse_map_argument("promo=") == {"promo": ""}
    assert parse_map_argument("revenue=Sales = net") == {"revenue": "Sales = net"}
    assert parse_map_argument("") == {}
    assert parse_map_argument(None) == {}
    assert parse_map_argument(" , date=日期 ,") == {"date": "日期"}


def test_parse_map_argument_rejects_parts_without_equals():
    with pytest.raises(DataError) as info:
        parse_map_argument("date=Order Date,SKU")
    assert info.value.message_id == "cli.error.bad_map"
    assert "SKU" in render_error(info.value, "en") and "SKU" in render_error(info.value, "zh")

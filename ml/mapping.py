"""Guess which source column holds each canonical field, from header synonyms (English and Chinese) and content.

The guess is a proposal: the Data page shows it in an editable table and the CLI takes ``--map`` overrides.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from ml.parsing import NumberStyle, date_parse_rate, parse_numbers
from ml.schema import NUMERIC_COLUMNS, Col, ColumnMapping, DataError

# Whole-header synonyms (compared after normalisation: lower case, no spaces, '_' or '-').
SYNONYMS: dict[str, tuple[str, ...]] = {
    Col.DATE: (
        "date", "orderdate", "invoicedate", "transactiondate", "saledate", "salesdate", "purchasedate", "day",
        "datetime", "timestamp", "time", "createdat", "orderdatetime", "orderedat", "paiddate", "week", "month",
        "datum", "fecha", "日期", "订单日期", "下单时间", "下单日期", "交易日期", "交易时间", "时间", "付款时间",
        "销售日期", "成交时间", "创建时间", "支付时间", "订单时间",
    ),
    Col.ORDER_ID: (
        "orderid", "order", "orderno", "ordernumber", "invoice", "invoiceno", "invoiceid", "invoicenumber",
        "transactionid", "receipt", "receiptno", "basketid", "订单号", "订单编号", "订单id", "单号", "发票号",
        "交易号", "流水号",
    ),
    Col.PRODUCT_ID: (
        "productid", "sku", "stockcode", "itemid", "productcode", "itemcode", "article", "articleno", "asin",
        "upc", "ean", "barcode", "商品id", "商品编号", "商品编码", "货号", "产品编号", "产品id", "sku编码", "条码",
    ),
    Col.PRODUCT_NAME: (
        "productname", "product", "item", "itemname", "title", "producttitle", "name", "商品", "商品名称", "产品",
        "产品名称", "品名", "商品名",
    ),
    Col.DESCRIPTION: ("description", "productdescription", "desc", "details", "描述", "商品描述", "产品描述"),
    Col.CATEGORY: (
        "category", "productcategory", "department", "dept", "class", "productclass", "productline", "type",
        "segment", "类别", "品类", "分类", "类目", "商品类别", "商品分类",
    ),
    Col.CUSTOMER_ID: (
        "customerid", "customer", "client", "clientid", "userid", "user", "buyer", "buyerid", "memberid",
        "accountid", "shopper", "客户", "客户id", "客户编号", "会员id", "会员", "买家", "用户id", "顾客", "用户",
        "买家id",
    ),
    Col.QUANTITY: (
        "quantity", "qty", "units", "unitssold", "volume", "totalvolume", "count", "pieces", "pcs", "quantitysold",
        "menge", "cantidad", "销量", "数量", "件数", "购买数量", "销售数量", "商品数量",
    ),
    Col.UNIT_PRICE: (
        "unitprice", "price", "sellingprice", "saleprice", "averageprice", "avgprice", "priceeach", "preis",
        "precio", "单价", "价格", "售价", "销售单价", "成交价", "商品单价",
    ),
    Col.REVENUE: (
        "revenue", "sales", "amount", "linetotal", "salesamount", "netsales", "turnover", "totalprice",
        "totalamount", "total", "value", "salesvalue", "gmv", "umsatz", "销售额", "金额", "总价", "实付金额",
        "销售金额", "收入", "成交金额", "总金额", "营业额",
    ),
    Col.UNIT_COST: (
        "unitcost", "cost", "cogs", "purchaseprice", "costprice", "costeach", "成本", "单位成本", "进价", "成本价",
    ),
    Col.REGION: (
        "region", "country", "state", "province", "city", "area", "market", "store", "shop", "territory",
        "地区", "区域", "省份", "城市", "国家", "门店", "省",
    ),
    Col.PROMO: ("promo", "promotion", "onpromo", "promoflag", "onpromotion", "campaign", "促销", "活动", "是否促销"),
}

# Keywords that suggest a field when they appear inside a longer header ("Total Volume", "订单日期").
KEYWORDS: dict[str, tuple[str, ...]] = {
    Col.DATE: ("date", "日期", "时间"),
    Col.ORDER_ID: ("order", "invoice", "订单"),
    Col.PRODUCT_ID: ("sku", "stockcode", "productid", "itemid", "编码", "货号"),
    Col.PRODUCT_NAME: ("productname", "itemname", "名称"),
    Col.DESCRIPTION: ("description", "描述"),
    Col.CATEGORY: ("category", "类别", "品类", "类目"),
    Col.CUSTOMER_ID: ("customer", "client", "客户", "会员", "买家"),
    Col.QUANTITY: ("quantity", "qty", "volume", "units", "数量", "销量"),
    Col.UNIT_PRICE: ("price", "单价", "价格"),
    Col.REVENUE: ("revenue", "sales", "amount", "销售额", "金额"),
    Col.UNIT_COST: ("cost", "成本"),
    Col.REGION: ("region", "country", "地区", "区域"),
    Col.PROMO: ("promo", "促销"),
}


def normalise_header(name: str) -> str:
    text = unicodedata.normalize("NFKC", name or "").lower()
    return re.sub(r"[\s_\-./()#:：（）\[\]]+", "", text)


@dataclass
class MappingProposal:
    mapping: ColumnMapping
    scores: dict[str, float]  # canonical -> confidence 0..1


def _header_score(header: str, canonical: str) -> float:
    norm = normalise_header(header)
    if not norm:
        return 0.0
    if norm in SYNONYMS[canonical]:
        return 1.0
    if any(k in norm for k in KEYWORDS[canonical]):
        return 0.6
    return 0.0


# Flag words a promotion column may hold besides numbers (compared lower-cased).
FLAG_WORDS = frozenset(
    {"true", "false", "yes", "no", "y", "n", "t", "f", "x", "on", "off", "是", "否", "有", "无", "促销", "非促销"}
)


def _content_ok(canonical: str, values: pa.Array, style: NumberStyle) -> float:
    """How well a column's sample fits a canonical field (0..1)."""
    non_null = values.filter(pc.is_valid(values))
    if len(non_null) == 0:
        return 0.0
    if canonical == Col.DATE:
        return date_parse_rate(non_null)
    if canonical == Col.PROMO:
        words = pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(non_null)), value_set=pa.array(sorted(FLAG_WORDS)))
        _, failed = parse_numbers(non_null, style)
        fits = pc.or_(words, pc.invert(failed))
        return (pc.sum(fits).as_py() or 0) / len(non_null)
    if canonical in NUMERIC_COLUMNS:
        nums, failed = parse_numbers(non_null, style)
        return 1.0 - (pc.sum(failed).as_py() or 0) / len(non_null)
    return 1.0


def propose_mapping(samples: dict[str, pa.Array], style: NumberStyle) -> MappingProposal:
    """Best one-to-one assignment of source columns to canonical fields (greedy on header and content scores)."""
    candidates: list[tuple[float, str, str]] = []
    vetoed: list[tuple[float, str, str]] = []
    content_cache: dict[tuple[str, str], float] = {}
    for source, values in samples.items():
        for canonical in SYNONYMS:
            score = _header_score(source, canonical)
            if score == 0:
                continue
            fit = _content_ok(canonical, values, style)
            content_cache[(source, canonical)] = fit
            if fit < 0.5:  # the header already says what it is; content only vetoes clear misfits
                vetoed.append((score, source, canonical))
                continue
            candidates.append((score + 0.1 * fit, source, canonical))
    chosen: dict[str, str] = {}
    scores: dict[str, float] = {}
    used: set[str] = set()
    for score, source, canonical in sorted(candidates, key=lambda c: -c[0]):
        if canonical in chosen or source in used:
            continue
        chosen[canonical] = source
        scores[canonical] = min(1.0, score)
        used.add(source)

    # Content-only fallbacks for the fields nothing works without.
    if Col.DATE not in chosen:
        best = max(
            ((date_parse_rate(v.filter(pc.is_valid(v))), s) for s, v in samples.items() if s not in used),
            default=(0.0, ""),
        )
        if best[0] >= 0.9:
            chosen[Col.DATE], scores[Col.DATE] = best[1], 0.5
            used.add(best[1])
    # A column whose header plainly names a required field is still proposed when no other column can serve:
    # the validation report then explains why its values are unusable, instead of "no date column".
    required = [Col.DATE]
    if not (Col.QUANTITY in chosen or Col.REVENUE in chosen):
        required += [Col.QUANTITY, Col.REVENUE]
    for score, source, canonical in sorted(vetoed, key=lambda c: -c[0]):
        if canonical in required and canonical not in chosen and source not in used and score >= 1.0:
            chosen[canonical], scores[canonical] = source, 0.2
            used.add(source)
            if canonical in (Col.QUANTITY, Col.REVENUE):
                required = [c for c in required if c not in (Col.QUANTITY, Col.REVENUE)]
    return MappingProposal(ColumnMapping(chosen), scores)


def apply_overrides(proposal: ColumnMapping, overrides: dict[str, str | None], sources: list[str]) -> ColumnMapping:
    """The user's choices win; a source column can serve only one canonical field."""
    mapping = dict(proposal.columns)
    for canonical, source in overrides.items():
        if canonical not in SYNONYMS:
            raise DataError("ingest.error.unknown_field", field=canonical, fields=", ".join(SYNONYMS))
        if source in (None, ""):
            mapping.pop(canonical, None)
            continue
        if source not in sources:
            raise DataError("ingest.error.unknown_column", column=source, columns=", ".join(sources[:20]))
        for other, src in list(mapping.items()):
            if src == source and other != canonical:
                mapping.pop(other)
        mapping[canonical] = source
    return ColumnMapping(mapping)


def parse_map_argument(text: str) -> dict[str, str]:
    """'date=Order Date,product_id=SKU' -> {'date': 'Order Date', 'product_id': 'SKU'} (CLI ``--map``)."""
    result: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        if "=" not in part:
            raise DataError("cli.error.bad_map", part=part)
        key, value = part.split("=", 1)
        result[key.strip()] = value.strip()
    return result

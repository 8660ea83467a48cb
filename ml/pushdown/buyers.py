"""Every product's buyers in a saved dataset queried in place: the denominators of the "bought together" pairs
(``ml.pushdown.customers``). Counting them means one GROUP BY over every line (148 s on 20M lines under load,
bench/RESULTS.md), so they are counted once, by ``count_buyers`` (off the page: the job ``ml.tasks:count_buyers``,
with progress and Stop), and kept in the dataset's facts sidecar (``ml.pushdown.facts``).

What is kept is bounded: the total of buyers, and the buyer counts of the ``MAX_KEPT_PRODUCTS`` products with the
most buyers (ties in product id order). The sidecar is read whole at every look-up, so it must not grow with the
catalogue. A product outside them has at most as many buyers as the last one kept; when a pair needs its count, it
is counted for that request among its own lines (``buyers_of``), by the same rule."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass

from ml.progress import ProgressSink, as_progress
from ml.pushdown.facts import keep_fact, read_facts
from ml.pushdown.table import ParquetTable, connect, query
from ml.schema import Col, DataError

KEY = "buyers"  # the entry in the facts sidecar
MAX_KEPT_PRODUCTS = 20_000  # ~0.5 MB of JSON; 20M lines of bench/big_profile.py have ~18,500 products
POLL_SECONDS = 0.5


@dataclass(frozen=True)
class BuyerCounts:
    """``buyers``: buyers with a net purchase in the whole file; ``kept``: product -> its such buyers, for the
    products with the most; ``complete``: every product with a buyer is in ``kept`` (a product missing has none)."""

    buyers: int
    kept: dict[str, int]
    complete: bool


def buyer_lines(table: ParquetTable, only: str = "true", source: str = "lines") -> str:
    """Every line of ``source`` (``only``: those its raw columns pass) as (buyer, product, quantity, day), as
    ``ml.recommend.basket.buyer_product_days`` reads them: a buyer is the customer, or ``order:<order id>`` for a
    guest (an order's returns, ``-R``, are the order)."""
    if Col.PRODUCT_ID not in table or Col.DATE not in table:
        raise DataError("recommend.error.needs_products")
    has_customer, has_order = Col.CUSTOMER_ID in table, Col.ORDER_ID in table
    if not has_customer and not has_order:
        raise DataError("recommend.error.needs_customers_or_orders")
    order = f"CAST({Col.ORDER_ID} AS VARCHAR)"
    if has_customer:
        buyer = f"CAST({Col.CUSTOMER_ID} AS VARCHAR)"
        if has_order:
            buyer = f"coalesce({buyer}, 'order:' || regexp_replace({order}, '-R$', ''))"
    else:
        buyer = f"'order:' || {order}"
    quantity = f"CAST({Col.QUANTITY} AS DOUBLE)" if Col.QUANTITY in table else "1.0"
    return f"""SELECT * FROM (
        SELECT {buyer} AS buyer, CAST({Col.PRODUCT_ID} AS VARCHAR) AS product, {quantity} AS q,
               CAST({Col.DATE} AS DATE) AS day FROM {source} WHERE {Col.PRODUCT_ID} IS NOT NULL AND {only})
        WHERE buyer IS NOT NULL AND q IS NOT NULL"""


def _per_product(table: ParquetTable, only: str = "true") -> str:
    """(product, n): the buyers of each product among the lines ``only`` keeps (all of a product's lines or none:
    a buyer's purchase of a product counts when its net quantity is above zero), and (buyers) over them all."""
    return f"""
        WITH w AS ({buyer_lines(table, only)}),
        net AS (SELECT buyer, product FROM w GROUP BY ALL HAVING sum(q) > 0),
        bought AS (SELECT DISTINCT buyer, product FROM w JOIN net USING (buyer, product) WHERE q > 0)"""


def kept_buyer_counts(table: ParquetTable) -> BuyerCounts | None:
    """The counts kept beside the file; None when they have not been counted (or the file changed since)."""
    kept = read_facts(table.path).get(KEY)
    if not isinstance(kept, dict):
        return None
    # an entry written before the bound holds every product: complete
    return BuyerCounts(int(kept["buyers"]), dict(kept["per_product"]), bool(kept.get("complete", True)))


def count_buyers(table: ParquetTable, progress: ProgressSink | None = None) -> BuyerCounts | None:
    """Count every product's buyers and keep the bounded counts beside the file (reported as ``buyers``, per cent
    of DuckDB's progress through the query; ``progress.stop`` interrupts it: None). Processes that ask at once
    count once: the others wait for the first and read what it kept."""
    import duckdb

    progress = as_progress(progress)
    if progress.stopped:
        return None
    with _counting_lock(table):
        if (kept := kept_buyer_counts(table)) is not None:
            return kept
        con = connect()
        con.execute(f"CREATE TEMP VIEW lines AS SELECT * FROM {table.source()}")
        con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
        done = threading.Event()
        watcher = threading.Thread(target=_watch, args=(con, progress, done), daemon=True)
        watcher.start()
        try:
            rows = con.execute(f"""{_per_product(table)},
                per AS (SELECT product, count(*) AS n FROM bought GROUP BY 1)
                SELECT (SELECT count(DISTINCT buyer) FROM bought) AS buyers,
                       (SELECT list(struct_pack(product := product, n := n) ORDER BY n DESC, product)
                        FROM (SELECT * FROM per ORDER BY n DESC, product LIMIT $k)) AS top,
                       (SELECT count(*) FROM per) AS products""", {"k": MAX_KEPT_PRODUCTS}).fetchone()
        except duckdb.InterruptException:
            if progress.stopped:
                return None
            raise
        finally:
            done.set()
            watcher.join()
            con.close()
        buyers, top, products = rows
        counts = BuyerCounts(int(buyers or 0), {str(r["product"]): int(r["n"]) for r in top or []},
                             int(products or 0) <= MAX_KEPT_PRODUCTS)
        keep_fact(table.path, KEY, {"buyers": counts.buyers, "per_product": counts.kept, "complete": counts.complete})
        progress.report("buyers", 100, 100)
        return counts


def _watch(con, progress, done: threading.Event) -> None:
    """Relay the query's progress (per cent) until it ends; interrupt it once ``progress.stop`` is set."""
    last = -1
    while not done.wait(POLL_SECONDS):
        if progress.stopped:
            con.interrupt()
            return
        with contextlib.suppress(Exception):  # no query running yet, or just ended
            percent = int(con.query_progress())
            if 0 <= percent != last:
                progress.report("buyers", min(percent, 99), 100)
                last = percent


def buyers_of(table: ParquetTable, counts: BuyerCounts, products: list[str]) -> dict[str, int]:
    """The buyers of each of ``products``: kept, else (when the kept counts are not complete) counted now among
    those products' lines alone; 0 for a product nobody bought."""
    out = {p: counts.kept[p] for p in products if p in counts.kept}
    missing = sorted({p for p in products if p not in out})
    if missing and not counts.complete:
        found = query(table, f"""{_per_product(table, f"list_contains(?, CAST({Col.PRODUCT_ID} AS VARCHAR))")}
            SELECT product, count(*) AS n FROM bought GROUP BY 1""", [missing])
        out.update({str(p): int(n) for p, n in zip(found["product"], found["n"], strict=True)})
    return {p: out.get(p, 0) for p in products}


@contextlib.contextmanager
def _counting_lock(table: ParquetTable):
    """An exclusive lock on a file beside the dataset's (where there is ``fcntl`` and the folder is writable):
    a second process asking waits for the first one's count."""
    try:
        import fcntl
    except ImportError:  # Windows: each process counts (the job runner still starts one job per dataset)
        yield
        return
    path = table.path.with_name(f"{table.path.stem}.buyers.lock")
    try:
        handle = open(path, "a+b")  # noqa: SIM115 -- held for the whole count
    except OSError:
        yield
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        handle.close()  # releases the lock

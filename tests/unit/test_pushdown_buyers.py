"""Every product's buyers of a saved dataset queried in place (``ml.pushdown.buyers``): counted once (by a job, with
progress and Stop; two askers count once), kept bounded beside the file (the ``MAX_KEPT_PRODUCTS`` products with the
most buyers), and the pairs computed from them still equal to the pandas ``co_purchase_pairs``."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ml.pushdown.buyers as buyers
from ml.jobs import DONE, JobRegistry
from ml.progress import Progress, ProgressEvent
from ml.pushdown import ParquetTable
from ml.pushdown.buyers import BuyerCounts, count_buyers, kept_buyer_counts
from ml.pushdown.customers import query_product_pairs
from ml.pushdown.facts import read_facts
from ml.recommend.basket import buyer_product_days, co_purchase_pairs
from ml.workspace.formats import write_frame
from tests.unit.test_pushdown import PLANTED_UNITS
from tests.unit.test_pushdown_customers import planted_lines


@pytest.fixture
def lines(tmp_path) -> tuple[pd.DataFrame, ParquetTable]:
    frame = planted_lines(5)
    path = tmp_path / "data.parquet"
    write_frame(frame, path)
    return frame, ParquetTable(path)


def pandas_buyers(frame: pd.DataFrame) -> tuple[int, dict[str, int]]:
    """Buyers with a net purchase, and per product, as ``co_purchase_pairs`` counts them."""
    buyer, product, _, products = buyer_product_days(frame)
    per = pd.DataFrame({"b": buyer, "p": product}).drop_duplicates()["p"].value_counts()
    return int(buyer.max()) + 1, {str(products[i]): int(n) for i, n in per.items()}


def test_the_counts_are_the_pandas_ones_kept_beside_the_file_with_progress(lines):
    frame, table = lines
    assert kept_buyer_counts(table) is None
    events: list[ProgressEvent] = []
    counts = count_buyers(table, Progress(events.append))
    n, per_product = pandas_buyers(frame)
    assert counts == BuyerCounts(n, per_product, True) and len(per_product) > 5
    assert events[-1] == ProgressEvent("buyers", 100, 100)
    assert all(e.step == "buyers" and 0 <= e.done <= 100 for e in events)
    assert kept_buyer_counts(ParquetTable(table.path)) == counts  # read back, not counted again


def test_the_kept_counts_are_bounded_to_the_products_with_most_buyers(lines, monkeypatch):
    frame, table = lines
    monkeypatch.setattr(buyers, "MAX_KEPT_PRODUCTS", 3)
    counts = count_buyers(table)
    n, per_product = pandas_buyers(frame)
    ranked = sorted(per_product.items(), key=lambda kv: (-kv[1], kv[0]))  # most buyers first, ties by id
    assert counts == BuyerCounts(n, dict(ranked[:3]), False)
    assert len(read_facts(table.path)["buyers"]["per_product"]) == 3  # the sidecar holds no more
    # a product outside them is counted for the request among its own lines: the pairs are still pandas' own
    assert {p for p in PLANTED_UNITS if p in per_product} - set(counts.kept)
    pairs = co_purchase_pairs(frame, min_customers=1)
    for product in [*PLANTED_UNITS, "unknown"]:
        expected = pairs[pairs["product_a"] == product].reset_index(drop=True)
        pd.testing.assert_frame_equal(query_product_pairs(table, product, min_customers=1), expected, check_exact=True)
    assert buyers.buyers_of(table, counts, ["unknown", ranked[-1][0]]) == {"unknown": 0, ranked[-1][0]: ranked[-1][1]}


def test_a_complete_count_answers_a_product_nobody_bought_without_a_query(lines, monkeypatch):
    _, table = lines
    counts = count_buyers(table)
    monkeypatch.setattr(buyers, "query", lambda *a, **k: pytest.fail("queried"))
    assert buyers.buyers_of(table, counts, ["unknown"]) == {"unknown": 0}


def test_two_askers_at_once_count_once(lines, monkeypatch):
    _, table = lines
    opened = []
    real = buyers.connect

    def slow_connect():
        opened.append(1)
        time.sleep(0.5)  # the second asker arrives while the first counts
        return real()

    monkeypatch.setattr(buyers, "connect", slow_connect)
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(count_buyers(ParquetTable(table.path))))
               for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(opened) == 1 and results[0] == results[1] is not None


def test_a_stopped_count_keeps_nothing(lines):
    _, table = lines
    progress = Progress()
    progress.stop.set()
    assert count_buyers(table, progress) is None
    assert kept_buyer_counts(table) is None


def test_the_watcher_interrupts_the_query_once_stopped():
    class Connection:
        interrupted = False

        def interrupt(self):
            self.interrupted = True

        def query_progress(self):
            return 42.0

    events: list[ProgressEvent] = []
    progress = Progress(events.append)
    con, done = Connection(), threading.Event()
    watcher = threading.Thread(target=buyers._watch, args=(con, progress, done))
    watcher.start()
    time.sleep(buyers.POLL_SECONDS * 2.5)
    assert events and events[0] == ProgressEvent("buyers", 42, 100) and not con.interrupted
    progress.stop.set()
    watcher.join(timeout=5)
    assert con.interrupted and not watcher.is_alive()


def test_the_counting_job_is_shared_by_every_session_asking(lines):
    _, table = lines
    registry = JobRegistry(max_workers=1)
    args = {"path": str(table.path)}
    first = registry.submit_shared(f"buyers:{table.path}", "buyers", "", "a", "ml.tasks:count_buyers", args)
    again = registry.submit_shared(f"buyers:{table.path}", "buyers", "", "b", "ml.tasks:count_buyers", args)
    assert again is first
    deadline = time.time() + 120
    while not first.snapshot().finished:
        assert time.time() < deadline
        time.sleep(0.1)
    assert first.snapshot().status == DONE, first.snapshot().error
    assert first.result["complete"] and kept_buyer_counts(table) is not None
    later = registry.submit_shared(f"buyers:{table.path}", "buyers", "", "b", "ml.tasks:count_buyers", args)
    assert later is not first  # a finished job is not joined: a new one (which reads the kept counts)
    other = registry.submit_shared("buyers:elsewhere", "buyers", "", "b", "ml.tasks:count_buyers",
                                   {"path": str(Path(table.path).with_name("missing.parquet"))})
    assert other is not later
    for job in (later, other):
        while not job.snapshot().finished:
            time.sleep(0.1)
    assert later.snapshot().status == DONE and other.snapshot().status != DONE
    assert np.isfinite(later.result["buyers"])

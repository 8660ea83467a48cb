"""The one DuckDB connection helper (ml/outofcore/connection.py): its limits are set, and a connection that keeps
order returns an Arrow table's rows in their order (the batch cleaner's text keys rely on it: a parallel scan
without it handed back hashes out of order and the UCI export's repeated rows changed from run to run)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ml.outofcore.cleaner import StreamCleaner
from ml.outofcore.connection import connect_duckdb


def test_limits_threads_and_spill_folder_are_set(tmp_path):
    spill = tmp_path / "spill"
    con = connect_duckdb(300, 1, spill)
    try:
        limit, threads, folder = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads'), "
            "current_setting('temp_directory')").fetchone()
    finally:
        con.close()
    assert limit.startswith("286") or limit.startswith("300")  # DuckDB shows 300 MB as '286.1 MiB'
    assert int(threads) == 1 and folder == str(spill) and spill.is_dir()


def test_the_batch_cleaners_text_keys_follow_the_texts():
    n = 1_500_000  # several of DuckDB's row groups: scanned by both threads
    texts = pa.array([f"order-{i % 5000}" for i in range(n)])
    keys = StreamCleaner._text_key(None, texts)
    assert len(keys) == n
    first = keys[:5000]
    assert len(np.unique(first)) == 5000  # distinct texts, distinct keys
    assert (keys.reshape(-1, 5000) == first).all()  # equal texts, equal keys, wherever they stand

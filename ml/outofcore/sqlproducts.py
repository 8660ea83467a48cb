"""Product texts for the DuckDB path's non-product step (``ml.outofcore.sqlclean``): each product's usual text and
the write-off notes, found as ``ml.products.find_non_products`` finds them from a description column, with the
per-line work done in SQL over the table ``t`` and only one row per product or distinct text brought to Python."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from ml.products import MAX_NAME_WORDS, SERVICE_NAME_RE, WRITE_OFF_RE


class ProductTexts:
    """``product``, ``text``: quoted column names of ``t``; ``booked``: the SQL condition of a line that is no sale
    at a price (``find_non_products``' ``booked``: no positive price, or a negative quantity)."""

    def __init__(self, con, product: str, text: str, booked: str) -> None:
        self.con, self.product, self.text, self.booked = con, product, text, booked
        pairs = con.execute(f"SELECT {product} AS p, {text} AS d, count(*) AS n, min(rowid) AS f FROM t "
                            f"WHERE gone IS NULL AND {product} IS NOT NULL AND {text} IS NOT NULL GROUP BY 1, 2").df()
        # ``usual_text``: the most frequent text, ties to the pair seen first (its groupby keeps first appearance)
        best = pairs.sort_values("f", kind="stable").sort_values("n", ascending=False, kind="stable")
        self.usual = best.drop_duplicates("p").set_index("p")["d"]

    def names(self, products: pd.Series) -> np.ndarray:
        """Each product's usual text, "" where it has none."""
        return self.usual.reindex(products.to_numpy()).fillna("").to_numpy(dtype=object)

    @staticmethod
    def named_as_service(names: np.ndarray) -> np.ndarray:
        """A short usual text naming a service, fee or adjustment (``find_non_products``' "name")."""
        texts = pd.Series(names)
        short = texts.str.split().str.len().fillna(0).to_numpy() <= MAX_NAME_WORDS
        return short & texts.str.contains(SERVICE_NAME_RE).fillna(False).to_numpy()

    def write_offs(self, flagged: list[str]) -> np.ndarray:
        """Row numbers (ascending) of the kept lines whose text reads like a stock note, is not the usual text of a
        product that sold at a price, and books no sale; lines of ``flagged`` products are counted with those."""
        texts = [r[0] for r in self.con.execute(f"SELECT DISTINCT {self.text} FROM t WHERE gone IS NULL AND "
                                                f"{self.text} IS NOT NULL").fetchall()]
        notes = [v for v in texts if WRITE_OFF_RE.search(v)]
        if not notes:
            return np.zeros(0, np.int64)
        sold = {r[0] for r in self.con.execute(f"SELECT DISTINCT {self.product} FROM t WHERE gone IS NULL AND "
                                               f"{self.product} IS NOT NULL AND NOT ({self.booked})").fetchall()}
        own = self.usual[self.usual.index.isin(sold)]
        self.con.register("own_texts", pa.table({"up": pa.array(own.index.tolist(), pa.string()),
                                                 "ud": pa.array(own.tolist(), pa.string())}))
        self.con.register("note_texts", pa.table({"nd": pa.array(notes, pa.string())}))
        self.con.register("flagged_products", pa.table({"fp": pa.array(flagged, pa.string())}))
        try:
            return self.con.execute(
                f"SELECT t.rowid AS i FROM t LEFT JOIN own_texts ON t.{self.product} = own_texts.up "
                f"WHERE gone IS NULL AND t.{self.text} IN (SELECT nd FROM note_texts) AND ({self.booked}) "
                f"AND NOT coalesce(t.{self.text} = own_texts.ud, false) "
                f"AND (t.{self.product} IS NULL OR t.{self.product} NOT IN (SELECT fp FROM flagged_products)) "
                f"ORDER BY i").fetchnumpy()["i"]
        finally:
            for name in ("own_texts", "note_texts", "flagged_products"):
                self.con.unregister(name)

"""Transactions -> a sparse customer x product interaction matrix, plus the product facts every recommender shares.

Returns are netted per customer and product (a purchase returned in full is no purchase); guest lines (no customer id)
are left out of the matrix but counted in product popularity. The matrix is ``scipy.sparse`` CSR and never densified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ml.schema import Col, ConfigError, DataError


class Weighting(StrEnum):
    BINARY = "binary"  # 1 when bought
    COUNT = "count"  # number of purchases (orders)
    LOG = "log"  # log(1 + number of purchases)


WEIGHTINGS = [w.value for w in Weighting]


@dataclass
class Interactions:
    """The customer x product matrix with its index maps and the product side facts."""

    matrix: sp.csr_matrix  # [customers, products] weights of net purchases
    customer_ids: np.ndarray  # row -> customer id
    product_ids: np.ndarray  # column -> product id (every product seen in the data, sold or not)
    popularity: np.ndarray  # [products] distinct buyers, guests included (each guest order one buyer)
    recent_popularity: np.ndarray  # [products] distinct buyers in the last ``recent_days``
    product_names: np.ndarray  # [products] display name (the id when there is none)
    product_categories: np.ndarray  # [products] category or "" when unknown
    product_text: np.ndarray  # [products] name + description + category, for content similarity
    end: pd.Timestamp  # last purchase date seen
    weighting: str = Weighting.BINARY
    recent_days: int = 30
    sequences: list[np.ndarray] = field(default_factory=list, repr=False)  # per customer: product indices in time order
    _content: sp.csr_matrix | None = field(default=None, repr=False)

    @property
    def n_customers(self) -> int:
        return self.matrix.shape[0]

    @property
    def n_products(self) -> int:
        return self.matrix.shape[1]

    def customer_index(self, customer_id: object) -> int | None:
        """Row of a customer, or None for a customer the data does not know (cold start)."""
        index = self._customer_lookup.get(str(customer_id))
        return None if index is None else int(index)

    def product_index(self, product_id: object) -> int | None:
        index = self._product_lookup.get(str(product_id))
        return None if index is None else int(index)

    def __post_init__(self) -> None:
        self._customer_lookup = {str(c): i for i, c in enumerate(self.customer_ids)}
        self._product_lookup = {str(p): i for i, p in enumerate(self.product_ids)}

    def seen(self, customer_index: int) -> np.ndarray:
        """Product indices the customer bought (net of returns): the row's stored entries, whatever their weight."""
        start, stop = self.matrix.indptr[customer_index], self.matrix.indptr[customer_index + 1]
        return self.matrix.indices[start:stop]

    def content_vectors(self) -> sp.csr_matrix:
        """L2-normalised TF-IDF rows of every product's name, description and category (computed once)."""
        if self._content is None:
            self._content = tfidf_vectors(self.product_text)
        return self._content


def tfidf_vectors(texts) -> sp.csr_matrix:
    """L2-normalised TF-IDF rows of product texts (one empty column when there are no words at all)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [str(x) for x in texts]
    try:
        return TfidfVectorizer(sublinear_tf=True, min_df=1, token_pattern=r"(?u)\b\w+\b").fit_transform(texts).tocsr()
    except ValueError:  # no words at all
        return sp.csr_matrix((len(texts), 1))


def product_text(frame: pd.DataFrame, product_ids: np.ndarray) -> np.ndarray:
    """Name + description + category of each product in ``product_ids`` (for content similarity)."""
    return _product_facts(frame, product_ids)[2]


# The matrix is float32: 0.5 ** (age / half life) below this would be stored as 0 (an entry that counts as bought
# for exclusion but not as a purchase where values are read). A purchase keeps at least this weight.
MIN_WEIGHT = float(np.finfo(np.float32).tiny)


def _decay(age_days: np.ndarray, half_life_days: float | None) -> np.ndarray:
    if not half_life_days:
        return np.ones(len(age_days))
    return np.maximum(np.power(0.5, age_days / float(half_life_days)), MIN_WEIGHT)


def build_interactions(
    frame: pd.DataFrame,
    weighting: str = Weighting.BINARY,
    half_life_days: float | None = None,
    recent_days: int = 30,
    catalogue: pd.DataFrame | None = None,
) -> Interactions:
    """Interaction matrix of the canonical transactions ``frame``.

    weighting: binary | count | log; half_life_days: when given, each purchase counts 0.5 ** (age / half life), age
    measured to the last date in the data (time decay). ``catalogue`` (canonical product columns) adds products that
    are not in ``frame`` (for example products with no sales in a training period) so they still get content neighbours.
    """
    if weighting not in WEIGHTINGS:
        raise ConfigError("recommend.error.bad_weighting", value=weighting, allowed=", ".join(WEIGHTINGS))
    if Col.PRODUCT_ID not in frame.columns or Col.DATE not in frame.columns:
        raise DataError("recommend.error.needs_products")
    if Col.CUSTOMER_ID not in frame.columns:
        raise DataError("recommend.error.needs_customers")
    if frame.empty:
        raise DataError("recommend.error.no_purchases")
    quantity = frame[Col.QUANTITY].astype(float) if Col.QUANTITY in frame.columns else pd.Series(1.0, index=frame.index)
    products_all = pd.concat([frame[Col.PRODUCT_ID].astype("string"), catalogue[Col.PRODUCT_ID].astype("string")] if catalogue is not None else [frame[Col.PRODUCT_ID].astype("string")])
    product_ids = np.array(sorted(products_all.dropna().unique()), dtype=object)
    product_lookup = pd.Index(product_ids)
    end = frame[Col.DATE].max()

    work = pd.DataFrame(
        {
            "customer": frame[Col.CUSTOMER_ID].astype("string"),
            "product": product_lookup.get_indexer(frame[Col.PRODUCT_ID].astype("string")),
            "q": quantity.to_numpy(),
            "date": frame[Col.DATE].to_numpy(),
            "order": frame[Col.ORDER_ID].astype("string").str.removesuffix("-R") if Col.ORDER_ID in frame.columns else frame[Col.DATE].astype("string"),
        }
    )
    work = work[work["product"] >= 0]
    sales = work[work["q"] > 0]
    # popularity: distinct buyers per product, a guest order being one buyer
    buyer = sales["customer"].fillna("order:" + sales["order"])
    pop_pairs = pd.DataFrame({"b": buyer.to_numpy(), "p": sales["product"].to_numpy()}).drop_duplicates()
    popularity = np.bincount(pop_pairs["p"], minlength=len(product_ids)).astype(float)
    recent = sales["date"] > end - pd.Timedelta(days=recent_days)
    rec_pairs = pd.DataFrame({"b": buyer[recent].to_numpy(), "p": sales.loc[recent, "product"].to_numpy()}).drop_duplicates()
    recent_popularity = np.bincount(rec_pairs["p"], minlength=len(product_ids)).astype(float)

    registered = work.dropna(subset=["customer"])
    net = registered.groupby(["customer", "product"], observed=True)["q"].sum()
    bought = net[net > 0].index
    reg_sales = registered[registered["q"] > 0]
    reg_sales = reg_sales.set_index(["customer", "product"])
    reg_sales = reg_sales[reg_sales.index.isin(bought)].reset_index()
    if reg_sales.empty:
        raise DataError("recommend.error.no_customer_purchases")
    age = ((end - reg_sales["date"]).dt.total_seconds() / 86400.0).to_numpy()
    reg_sales = reg_sales.assign(w=_decay(age, half_life_days))
    # one purchase event per (customer, product, order)
    events = reg_sales.groupby(["customer", "product", "order"], observed=True, sort=False).agg(w=("w", "max"), date=("date", "min")).reset_index()
    per_pair = events.groupby(["customer", "product"], observed=True).agg(n=("w", "size"), wsum=("w", "sum"), wlast=("w", "max"))
    if weighting == Weighting.BINARY:
        values = per_pair["wlast"].to_numpy()
    elif weighting == Weighting.COUNT:
        values = per_pair["wsum"].to_numpy()
    else:
        values = np.log1p(per_pair["wsum"].to_numpy())
    customers = per_pair.index.get_level_values(0)
    customer_ids = np.array(sorted(customers.unique()), dtype=object)
    rows = pd.Index(customer_ids).get_indexer(customers)
    cols = per_pair.index.get_level_values(1).to_numpy()
    matrix = sp.csr_matrix((values.astype(np.float32), (rows, cols)), shape=(len(customer_ids), len(product_ids)))
    matrix.sort_indices()

    ordered = events.assign(row=pd.Index(customer_ids).get_indexer(events["customer"])).sort_values(["row", "date", "order", "product"], kind="stable")
    bounds = np.searchsorted(ordered["row"].to_numpy(), np.arange(len(customer_ids) + 1))
    items = ordered["product"].to_numpy(np.int64)
    sequences = [items[bounds[i] : bounds[i + 1]] for i in range(len(customer_ids))]

    names, categories, text = _product_facts(frame if catalogue is None else pd.concat([frame, catalogue], ignore_index=True), product_ids)
    return Interactions(
        matrix=matrix,
        customer_ids=customer_ids,
        product_ids=product_ids,
        popularity=popularity,
        recent_popularity=recent_popularity,
        product_names=names,
        product_categories=categories,
        product_text=text,
        end=end,
        weighting=str(weighting),
        recent_days=recent_days,
        sequences=sequences,
    )


def _product_facts(frame: pd.DataFrame, product_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Name, category and text of each product (the most frequent value per product)."""
    columns = [c for c in (Col.PRODUCT_NAME, Col.DESCRIPTION, Col.CATEGORY) if c in frame.columns]
    ids = frame[Col.PRODUCT_ID].astype("string")
    facts = pd.DataFrame({"id": ids})
    for column in columns:
        facts[column] = frame[column].astype("string")
    first = facts.dropna(subset=["id"]).drop_duplicates("id").set_index("id")
    first = first.reindex(pd.Index(product_ids, dtype="string"))
    name = first[Col.PRODUCT_NAME] if Col.PRODUCT_NAME in first else pd.Series(pd.NA, index=first.index, dtype="string")
    if Col.PRODUCT_NAME not in first and Col.DESCRIPTION in first:
        name = first[Col.DESCRIPTION]  # exports such as UCI describe products in one short line
    names = name.fillna(pd.Series(product_ids, index=first.index)).to_numpy(dtype=object)
    categories = first[Col.CATEGORY].fillna("").to_numpy(dtype=object) if Col.CATEGORY in first else np.full(len(product_ids), "", dtype=object)
    parts = [first[c].fillna("") for c in columns]
    text = (parts[0].str.cat(parts[1:], sep=" ") if parts else pd.Series("", index=first.index)).to_numpy(dtype=object)
    return np.asarray(names, dtype=object), np.asarray(categories, dtype=object), np.asarray(text, dtype=object)

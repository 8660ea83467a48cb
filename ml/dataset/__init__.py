"""Uploaded files -> one clean canonical transactions frame plus a validation report that explains every change.

``load_dataset`` (``load``) reads (``read``), maps (``columns``) and cleans (``cleaner``, with the column kernels in
``convert`` and the netting of returns in ``returns``); ``report`` and ``options`` hold the types it records and
takes, each with its JSON codec. Every name is importable from ``ml.dataset``.
"""

from ml.dataset.cleaner import CATEGORICAL_COLUMNS, OUTLIER_FLOOR, Cleaner
from ml.dataset.columns import MAX_EXAMPLES, MappedTable, choose_date_style, map_columns
from ml.dataset.convert import _as_array
from ml.dataset.load import Dataset, clean, code_digest, load_dataset
from ml.dataset.options import CleaningOptions, ReturnsPolicy
from ml.dataset.read import SAMPLE_ROWS, read_tables, sample_columns
from ml.dataset.report import Action, Problem, ValidationReport

__all__ = [
    "CATEGORICAL_COLUMNS",
    "MAX_EXAMPLES",
    "OUTLIER_FLOOR",
    "SAMPLE_ROWS",
    "Action",
    "CleaningOptions",
    "Cleaner",
    "Dataset",
    "MappedTable",
    "Problem",
    "ReturnsPolicy",
    "ValidationReport",
    "_as_array",
    "choose_date_style",
    "clean",
    "code_digest",
    "load_dataset",
    "map_columns",
    "read_tables",
    "sample_columns",
]

"""Uploaded bytes -> tables of strings, with the detected file format.

Handles CSV/TSV/semicolon/pipe text in UTF-8 (with or without BOM), UTF-16, GBK/GB18030, Big5 and cp1252; gzip and
zip compression; Excel .xlsx. Report titles above the header and totals lines below the data (as shop systems
write them) are detected and skipped. Every cap in ``ml.limits`` is enforced while reading.

Values stay strings here: ``ml.parsing`` turns them into numbers and dates once the columns are mapped, so an
identifier such as ``00123`` keeps its leading zeros.

``upload.read_upload`` tells what kind of file it is and hands it to ``archives`` (gzip, zip), ``excel`` or ``text``
(with ``encoding`` and ``layout`` finding how the text is written); ``formats`` holds the types they return. Every
name is importable from ``ml.ingest``.
"""

from ml.ingest.encoding import detect_encoding
from ml.ingest.formats import FileFormat, RawTable
from ml.ingest.layout import DELIMITERS, detect_delimiter, detect_header_line
from ml.ingest.text import NULL_VALUES
from ml.ingest.upload import read_upload

__all__ = [
    "DELIMITERS",
    "NULL_VALUES",
    "FileFormat",
    "RawTable",
    "detect_delimiter",
    "detect_encoding",
    "detect_header_line",
    "read_upload",
]

"""Large files -> the cleaned dataset as Parquet on disk, with the same report and control totals as
``ml.dataset.load_dataset``, without ever holding the file's text in memory.

Plain exports are read and cleaned by DuckDB in SQL (``ml.outofcore.sqlclean``; 20M lines in about half a minute);
the rest of this module is the batch path every other file takes.

The file is read three times as a stream of record batches (``ml.outofcore.source``): once to count its lines, once
to take the same evenly spread sample the in-memory path detects on, and once to convert each batch with the same
functions (``ml.parsing``, the cleaner's encoders). Only the typed columns are kept (numbers, day numbers, category
codes, the text columns), never the raw text: a 1 GB export needs a few hundred MB instead of ~7x its size. The
checks that look at every row at once (duplicates, non-products, returns, outliers) are ``ml.dataset.Cleaner``'s
own steps on those arrays, so the answer is the same row for row; the result is written to Parquet with pyarrow
and its totals summed the way ``Dataset.control_totals`` sums them.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa

from ml.currency import detect_currency
from ml.dataset import (
    SAMPLE_ROWS,
    CleaningOptions,
    MappedTable,
    Problem,
    ValidationReport,
    choose_date_style,
)
from ml.dataset.load import _refuse_empty
from ml.limits import BATCH_MAX_ROWS, LIMITS, IngestLimits
from ml.mapping import apply_overrides, propose_mapping
from ml.outofcore.cleaner import _ISO, StreamCleaner, _TextKeys
from ml.outofcore.source import (
    BLOCK_BYTES,
    Inflater,
    NotUtf8,
    TextSource,
    describe_text,
    iter_batches,
    to_utf8,
)
from ml.outofcore.stored import StoredDataset, write_parquet
from ml.parsing import detect_number_style
from ml.schema import Col, DataError

_WORKERS = max(1, min(4, os.cpu_count() or 1))


def _fingerprint(paths: list[Path], names: list[str]):
    digest = hashlib.sha256()
    for path, name in zip(paths, names, strict=True):
        digest.update(name.encode())
        digest.update(path.stat().st_size.to_bytes(8, "little"))
        with open(path, "rb") as fh:
            while chunk := fh.read(4 * 2**20):
                digest.update(chunk)
    return digest


def finish_fingerprint(digest, mapping, options: CleaningOptions) -> str:
    """The files' digest with the mapping and the cleaning choices, as ``load_dataset`` fingerprints a dataset."""
    digest.update(repr(sorted(mapping.columns.items())).encode())
    digest.update(repr((str(options.returns), options.day_first, options.drop_duplicates)).encode())
    if options.keep_non_products:
        digest.update(b"keep_non_products")
    return digest.hexdigest()[:32]


def open_sources(paths: list[Path], names: list[str], limits: IngestLimits, encoding: str | None,
                 workdir: Path, legacy: frozenset[str] = frozenset()) -> list[TextSource]:
    if not paths:
        raise DataError("ingest.error.no_files")
    if len(paths) > limits.max_files:
        raise DataError("ingest.error.too_many_files", count=len(paths), limit=limits.max_files)
    inflater = Inflater(workdir, limits)
    sources = []
    for path, name in zip(paths, names, strict=True):
        for inner, plain, compression in inflater.expand(name, path):
            text, offset, enc = to_utf8(inner, plain, workdir, encoding, inner in legacy)
            source = describe_text(inner, text, offset, enc, limits)
            source.format.compression = compression
            sources.append(source)
    return sources


def _count_rows(source: TextSource) -> int:
    return sum(b.num_rows for b in iter_batches(source, columns=source.columns[:1]))


def _sample(source: TextSource, rows: int, n: int = SAMPLE_ROWS) -> dict[str, pa.Array]:
    """``ml.dataset.sample_columns`` of the first table, gathered from the stream."""
    want = None
    if rows > n:
        want = np.unique(np.r_[np.arange(n // 2), np.linspace(0, rows - 1, n // 2).astype(np.int64)])
    parts, offset = [], 0
    for batch in iter_batches(source):
        if want is None:
            parts.append(batch)
        else:
            local = want[(want >= offset) & (want < offset + batch.num_rows)] - offset
            if len(local):
                parts.append(batch.take(pa.array(local)))
        offset += batch.num_rows
    table = pa.Table.from_batches(parts, schema=pa.schema([(c, pa.string()) for c in source.columns]))
    return {name: table.column(name).combine_chunks() for name in table.column_names}


def load_large_dataset(paths: list[str | Path], mapping_overrides: dict[str, str | None] | None = None,
                       options: CleaningOptions | None = None, limits: IngestLimits = LIMITS,
                       name: str | None = None, output: str | Path | None = None,
                       names: list[str] | None = None, block_bytes: int | None = None,
                       workdir: str | Path | None = None, engine: str = "auto") -> StoredDataset:
    """``load_dataset`` for files on disk, streamed: the cleaned frame is written to ``output`` (Parquet) when
    given. ``names``: the files' names as the user knows them (default: their base names). ``workdir``: where
    archives are unpacked (default: a temporary folder removed afterwards; a caller that may kill this process
    passes its own and removes it). ``engine``: "auto" cleans in DuckDB SQL when the files allow it
    (``ml.outofcore.sqlclean``), else in batches; "batches" always in batches."""
    options = options or CleaningOptions()
    paths = [Path(p) for p in paths]
    names = list(names) if names is not None else [p.name for p in paths]
    legacy: frozenset[str] = frozenset()
    with tempfile.TemporaryDirectory(prefix="saleslens-import-", dir=workdir) as work:
        for _attempt in range(3):
            try:
                sources = open_sources(paths, names, limits, options.encoding, Path(work), legacy)
                return _load(sources, paths, names, mapping_overrides, options, limits, name, output, block_bytes,
                             engine, Path(work))
            except NotUtf8 as exc:
                if options.encoding is not None:
                    raise DataError("ingest.error.wrong_encoding", name=names[0], encoding=options.encoding) from exc
                bad = str(exc.args[1]) if len(exc.args) > 1 else None
                legacy = legacy | ({bad} if bad else set(names))
        raise DataError("ingest.error.unparseable", name=names[0])


def detect(sources: list[TextSource], samples: dict[str, pa.Array], mapping_overrides, options: CleaningOptions):
    """Mapping, number and date styles, currency: what ``load_dataset`` detects on the first file's sample, and the
    report started with them."""
    first = sources[0]
    all_values = [v for arr in samples.values() for v in arr.drop_null().slice(0, 300).to_pylist()]
    style = detect_number_style([str(v) for v in all_values])
    proposal = propose_mapping(samples, style).mapping
    mapping = apply_overrides(proposal, mapping_overrides or {}, first.columns)
    if not mapping.has(Col.DATE):
        raise DataError("ingest.error.no_date", columns=", ".join(first.columns[:12]))
    if not (mapping.has(Col.QUANTITY) or mapping.has(Col.REVENUE)):
        raise DataError("ingest.error.no_measure", columns=", ".join(first.columns[:12]))
    for source in sources:
        missing = [src for src in mapping.columns.values() if src not in source.columns]
        if missing:
            raise DataError("ingest.error.columns_differ", name=source.format.name, first=first.format.name,
                            missing=", ".join(missing))
    report = ValidationReport(formats=[s.format for s in sources], number_style=style.decimal)
    report.returns_policy = options.returns
    money = [v for c in (Col.UNIT_PRICE, Col.REVENUE, Col.UNIT_COST) if mapping.has(c)
             for v in samples[mapping.columns[c]].drop_null().to_pylist()]
    regions = samples[mapping.columns[Col.REGION]].to_pylist() if mapping.has(Col.REGION) else None
    report.currency = detect_currency(money, regions)
    date_style = choose_date_style(samples[mapping.columns[Col.DATE]], options.day_first)
    report.date_format = date_style.format
    report.date_ambiguous = date_style.ambiguous
    report.date_alternative = date_style.alternative
    return mapping, style, date_style, report


def _load(sources, paths, names, mapping_overrides, options, limits, name, output, block_bytes,
          engine="auto", work: Path | None = None) -> StoredDataset:
    if engine != "batches":
        from ml.outofcore.sqlclean import load_with_duckdb

        found = load_with_duckdb(sources, paths, names, mapping_overrides, options, limits, name, output, work)
        if found is not None:
            return found
    block = block_bytes or BLOCK_BYTES
    first = sources[0]
    # the batch path holds ~200 bytes a line: past BATCH_MAX_ROWS it would outgrow the parse budget
    limits = replace(limits, max_rows=min(limits.max_rows, BATCH_MAX_ROWS))
    try:
        rows = _count_rows(first)
        total = rows
        for source in sources[1:]:  # every file's lines, before any is converted: a refusal costs one read
            if total > limits.max_rows:
                break
            total += _count_rows(source)
        if total > limits.max_rows:
            raise DataError("ingest.error.too_many_rows", name=names[0], limit=limits.max_rows)
        samples = _sample(first, rows)
    except NotUtf8 as exc:
        raise NotUtf8(str(exc), first.format.name) from exc
    mapping, style, date_style, report = detect(sources, samples, mapping_overrides, options)
    del samples

    with ThreadPoolExecutor(_WORKERS) as pool:
        hashing = pool.submit(_fingerprint, paths, names)
        cleaner = None
        for text_keys in (date_style.format != _ISO, True):
            try:
                cleaner = StreamCleaner(sources, mapping, date_style, style, options, report, pool, block,
                                        text_keys=text_keys)
                cleaner.convert()
                break
            except _TextKeys:
                report.formats = [s.format for s in sources]
                continue
            except NotUtf8 as exc:
                raise NotUtf8(str(exc), cleaner.current if cleaner else first.format.name) from exc
        report.rows_read = cleaner.n + sum(s.format.malformed_rows for s in sources)
        malformed = sum(s.format.malformed_rows for s in sources)
        short = sum(s.format.short_rows for s in sources)
        # The in-memory path reports the malformed lines before the cleaning steps: keep that order.
        head = []
        if malformed - short:
            head.append(("malformed_rows", malformed - short))
        if short:
            head.append(("short_rows", short))
        table, totals = cleaner.finish()
        report.problems[:0] = [Problem(r, int(c), "dropped") for r, c in head]
        report.rows_kept = totals.rows
        _refuse_empty(report, MappedTable(table=None, mapping=mapping, number_style=style, date_style=date_style,
                                          currency=report.currency, formats=report.formats, origin=cleaner.origin,
                                          source_columns=first.columns, heads=cleaner.heads))
        digest = hashing.result()
    if output is not None:
        write_parquet(table, Path(output))
    del table
    return StoredDataset(
        path=Path(output) if output is not None else None, totals=totals,
        name=name or (names[0] if len(names) == 1 else f"{names[0]} (+{len(names) - 1})"),
        mapping=mapping, report=report, source_columns=first.columns, fingerprint=finish_fingerprint(digest, mapping, options),
        options=options, engine="batches",
    )


# ---------------------------------------------------------------------------------------------------- cleaning



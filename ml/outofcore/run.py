"""Which files take the streamed path, and running it in the watched parse worker (``ml.isolated``).

A file on disk larger than ``STREAM_BYTES``, or an archive that unpacks to more, is read by
``ml.outofcore.clean.load_large_dataset`` (the worker gets the paths, never the bytes); smaller files and Excel
workbooks keep the in-memory path, which is quicker to start.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from ml.isolated import memory_budget, run_isolated
from ml.limits import LIMITS, IngestLimits

STREAM_BYTES = 64 * 2**20  # measured: below this the in-memory path is as quick and its peak small


def _unpacked_size(path: Path) -> int:
    """What a file declares it unpacks to (zip directory, gzip trailer), else its size."""
    with open(path, "rb") as fh:
        return _declared_size(fh, path.stat().st_size)


def _declared_size(fh: BinaryIO, size: int) -> int:
    """``_unpacked_size`` of an open binary file (on disk or an upload's bytes) of ``size`` bytes."""
    head = fh.read(4)
    if head[:2] == b"\x1f\x8b" and size >= 4:
        fh.seek(size - 4)
        return max(size, int.from_bytes(fh.read(4), "little"))
    if head == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(fh) as zf:
                names = zf.namelist()
                if "[Content_Types].xml" in names:
                    return 0  # a workbook: the in-memory path reads it
                return sum(info.file_size for info in zf.infolist())
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return size
    return size


def wants_stream(paths: Sequence[str | Path], threshold: int = STREAM_BYTES) -> bool:
    """Whether these files are read from disk as a stream rather than into memory."""
    found = [Path(p) for p in paths]
    if not all(p.is_file() for p in found):
        return False  # the in-memory path says which file is missing
    if any(p.suffix.lower() in (".xlsx", ".xls") for p in found):
        return False
    return sum(_unpacked_size(p) for p in found) > threshold


def load_upload_isolated(files: Sequence[tuple[str, bytes]], mapping_overrides: dict[str, str | None] | None = None,
                         options: Any = None, limits: IngestLimits = LIMITS, threshold: int | None = None):
    """An upload (name, bytes) read within the parse budget: files that unpack to more than ``threshold`` are copied
    to a scratch folder and streamed from there (``load_large_dataset``); other uploads keep the in-memory path
    (``load_dataset_isolated``), which is about 2.5x quicker but needs ~7x the text. The default threshold is an
    eighth of the parse budget, so only uploads the in-memory path could not parse within it are streamed.
    The dataset comes back with its frame read and no file behind it (the scratch folder is removed)."""
    from ml.isolated import load_dataset_isolated

    threshold = memory_budget(limits) // 8 if threshold is None else threshold

    declared = sum(_declared_size(io.BytesIO(data), len(data)) for _, data in files)
    if declared <= threshold or any(Path(str(name)).suffix.lower() in (".xlsx", ".xls") for name, _ in files):
        return load_dataset_isolated(files, mapping_overrides=mapping_overrides, options=options, limits=limits)
    scratch = Path(tempfile.mkdtemp(prefix="saleslens-upload-"))  # written to disk only to be streamed from there
    try:
        paths = []
        for i, (name, data) in enumerate(files):
            folder = scratch / str(i)  # one folder per file: two uploads may share a name
            folder.mkdir()
            path = folder / (Path(str(name)).name or f"upload-{i}")
            path.write_bytes(data)
            paths.append(path)
        ds = load_paths_isolated(paths, mapping_overrides, options, limits, load_frame=True)
        ds.path = None  # its Parquet lived in the removed scratch folder; the frame is in memory
        return ds
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def parse_paths(job: Any, **kwargs: Any):
    """The worker's side: ``load_large_dataset`` with the caller's arguments."""
    from ml.outofcore.clean import load_large_dataset

    return load_large_dataset(**kwargs)


def load_paths_isolated(paths: Sequence[str | Path], mapping_overrides: dict[str, str | None] | None = None,
                        options: Any = None, limits: IngestLimits = LIMITS, output: str | Path | None = None,
                        budget: int | None = None, reserve: int = 0, load_frame: bool = False):
    """The streamed path in a worker whose memory is watched (``ml.isolated.run_isolated``). ``output``: where the
    cleaned Parquet goes (None: nowhere, the report and totals only, unless ``load_frame`` asks for the frame)."""
    total = memory_budget(limits) if budget is None else budget
    scratch = tempfile.mkdtemp(prefix="saleslens-parse-")  # removed here even when the worker is killed
    target = Path(scratch) / "data.parquet" if load_frame and output is None else output
    kwargs = {"paths": [str(p) for p in paths], "mapping_overrides": mapping_overrides, "options": options,
              "limits": limits, "output": None if target is None else str(target), "workdir": scratch}
    try:
        ds, _ = run_isolated("ml.outofcore.run:parse_paths", kwargs, max(total - reserve, 64 * 2**20),
                             shown_budget=total)
        if load_frame:
            _ = ds.frame  # read before the scratch copy goes
        return ds
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

"""``python -m ml import FILE... --owner ID``: files too large for a browser upload, added to a workspace as a saved
dataset (then listed among the saved datasets on the Data page). The files are streamed from disk by the parse
worker under its memory budget, cleaned as an upload is, and the cleaned Parquet is copied into the workspace."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from ml.i18n import format_number, t
from ml.limits import DISK_LIMITS
from ml.schema import DataError

HELP_ID = "outofcore.cli.help"
ENV_OWNER = "SALESLENS_OWNER"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ml.cli import add_data_arguments

    add_data_arguments(parser)
    parser.add_argument("--owner", default=None, help=t("outofcore.cli.owner"))
    parser.add_argument("--name", default=None, help=t("outofcore.cli.name"))


def run(args: argparse.Namespace) -> int:
    from ml.cli import EXIT_OK, cleaning_options_from_args, read_files_argument
    from ml.isolated import resident_bytes
    from ml.mapping import parse_map_argument
    from ml.outofcore.run import load_paths_isolated
    from ml.workspace import get_workspace

    owner = args.owner or os.environ.get(ENV_OWNER)
    if not owner:
        raise DataError("outofcore.error.no_owner")
    workspace = get_workspace()
    workspace.check()
    for raw in args.files:
        if not Path(raw).is_file():
            read_files_argument([raw])  # the same one-line refusal as every command
    with tempfile.TemporaryDirectory(prefix="saleslens-import-") as scratch:
        output = Path(scratch) / "data.parquet"
        ds = load_paths_isolated(args.files, parse_map_argument(args.map), cleaning_options_from_args(args),
                                 DISK_LIMITS, output=output, reserve=resident_bytes(os.getpid()) + 48 * 2**20)
        if args.name:
            ds.name = args.name
        entry = workspace.save_dataset(owner, ds)
    if args.json:
        print(json.dumps({**ds.profile_json(), "dataset_id": entry.id, "owner": entry.owner}, ensure_ascii=False,
                         default=str))
    else:
        print(t("outofcore.cli.saved", name=entry.name, rows=format_number(entry.rows), start=entry.date_min,
                end=entry.date_max, owner=entry.owner, id=entry.id))
    return EXIT_OK

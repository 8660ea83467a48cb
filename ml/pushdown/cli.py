"""``python -m ml profile|forecast --dataset ID [--owner ID]``: a dataset saved in the workspace (e.g. by
``python -m ml import``) instead of files. A large one opens without its frame (``ml.pushdown.stored``): the profile
prints its report and DuckDB's control totals, the forecast aggregates its series in place."""

from __future__ import annotations

import argparse
import os

from ml.dataset import Dataset
from ml.i18n import t
from ml.schema import DataError

ENV_OWNER = "SALESLENS_OWNER"


def add_saved_dataset_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", default=None, metavar="ID", help=t("pushdown.cli.dataset"))
    parser.add_argument("--owner", default=None, help=t("pushdown.cli.owner"))


def load_saved(args: argparse.Namespace) -> Dataset:
    """The saved dataset ``args.dataset`` of ``args.owner`` (one line and exit 2 when it is not there)."""
    from ml.workspace import get_workspace

    if args.files or getattr(args, "sql", None):
        raise DataError("pushdown.error.dataset_and_files")
    owner = args.owner or os.environ.get(ENV_OWNER)
    if not owner:
        raise DataError("pushdown.error.no_owner")
    workspace = get_workspace()
    workspace.check()
    ds, _ = workspace.load_dataset(owner, args.dataset)
    return ds

"""``python -m ml.workspace repair``: set a damaged SQLite registry aside and list every saved run and dataset
folder of the workspace again (also after pointing SALESLENS_DATABASE_URL at a new, empty database)."""

from __future__ import annotations

import argparse
import json
import sys

from ml.i18n import render_error, set_language, t
from ml.schema import SalesLensError
from ml.workspace import get_workspace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml.workspace", description=t("runs.cli.help"))
    parser.add_argument("command", choices=["repair"])
    parser.add_argument("--lang", default="en", choices=["en", "zh"])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    set_language(args.lang)
    try:
        counts = get_workspace().recover_registry()
    except SalesLensError as err:
        print(render_error(err, args.lang), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(counts))
    else:
        print(t("runs.repair.done", runs=counts["runs"], datasets=counts["datasets"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

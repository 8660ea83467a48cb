"""``python -m ml``: SalesLens from the command line (see ml/cli.py)."""

import sys

from ml.cli import main

sys.exit(main())

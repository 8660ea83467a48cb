"""Datasets larger than memory on one machine: files streamed from disk, cleaned as ``ml.dataset`` cleans them,
written to Parquet (``clean``), and added to the workspace from the command line (``cli``: ``python -m ml import``)."""

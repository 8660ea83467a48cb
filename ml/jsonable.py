"""``to_jsonable``: plain JSON data from the numpy, pandas and datetime values that results and records hold.

Shared by the codecs that write run records (``ml.forecast.pipeline``, ``ml.workspace``); JSON has no NaN, so
non-finite numbers become null.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd


def to_jsonable(value: Any) -> Any:
    """Plain JSON data: NaN/inf become None, numpy scalars Python numbers, timestamps ISO strings."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(float(value)) else None
    if isinstance(value, datetime | pd.Timestamp):
        return value.isoformat()
    return str(value)


__all__ = ["to_jsonable"]

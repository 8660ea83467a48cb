"""What every model page starts with: its title and introduction, then the loaded dataset or a hint to load one."""

from __future__ import annotations

import streamlit as st

from components import state
from ml.dataset import Dataset
from ml.i18n import t

# What a table shows in a cell with no value: st.dataframe prints "None" unless given a placeholder (a Styler's
# na_rep does not reach the grid), and a number column keeps NaN so it still sorts as numbers.
MISSING_CELL = "–"


def page_header_with_dataset(title_id: str, intro_id: str, no_data_id: str) -> Dataset:
    """Draw the title and introduction; stop the page with ``no_data_id`` when no dataset is loaded."""
    st.title(t(title_id))
    st.caption(t(intro_id))
    ds = state.dataset()
    if ds is None:
        st.info(t(no_data_id))
        st.stop()
    return ds

"""Runs page (being built; replaced by the area's screen)."""

import streamlit as st

from ml.i18n import t

st.title(t("nav.runs"))

"""Explore: KPIs and trends of the loaded dataset (placeholder until the Explore page lands)."""

import streamlit as st

from ml.i18n import t

st.title(t("nav.explore"))

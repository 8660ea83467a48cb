"""The Explore page: cached aggregates, its views, and its Plotly figures."""

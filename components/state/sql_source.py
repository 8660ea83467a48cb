"""Widget keys of the Data page's "From a database" panel (components/data/sql_source.py). The connection's URL and
password are never kept in the session: only the connection's name is, and the URL is read from the secrets when a
query runs."""

from __future__ import annotations

DATA_SQL_FORM = "data_sql_form"
DATA_SQL_CONNECTION = "data_sql_connection"
DATA_SQL_QUERY = "data_sql_query"

"""Where datasets come from besides uploaded files: a SQL query against the shop's database (``ml.sources.sql``)."""

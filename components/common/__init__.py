"""What every page shares: page header, locale, chart theme, sign-in and workspace widgets, the sidebar dataset,
filters, and the one adapter for background jobs."""

"""The Recommendations page: settings, the recommend job, results, figures."""

"""The Forecast page: series and model inputs, training and search jobs, results, bundles, interrupted runs and
figures."""

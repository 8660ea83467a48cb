"""The Pricing page: settings, cached estimates, results, figures."""

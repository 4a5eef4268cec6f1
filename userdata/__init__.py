"""The /id/ REST API: an edge over the accounts domain, no models of its own."""

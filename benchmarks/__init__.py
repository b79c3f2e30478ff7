"""Benchmarks of the app, run from the checkout as `python -m benchmarks.NAME` (README, Layout)."""

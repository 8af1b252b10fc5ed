"""Benchmarks, not part of the installed package: ``python -m bench NAME`` from the repo root."""

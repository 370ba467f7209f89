"""Benchmarks of the search engine; see benchmarks/README.md."""

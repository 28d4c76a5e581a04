"""Benchmarks: each *_bench.py prints figures (bench/README.md); measure.py is shared."""

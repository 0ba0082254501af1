"""The benchmark's settings and URLconf (``tests/benchmark.py``); never used in production."""

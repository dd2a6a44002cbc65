"""Benchmarks, run by `make bench`; results go to docs/benchmarks.md with machine and date."""

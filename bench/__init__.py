"""Benchmarks: per-message cost, cold start, memory and the cost of waiting. `make bench`."""

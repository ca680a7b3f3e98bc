"""The performance harness (`python -m benchmarks`): the real bot measured against its limits (issue 8)."""

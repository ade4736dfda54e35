"""Benchmarks for kamcore; see benchmarks/README.md."""

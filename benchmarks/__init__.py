"""Benchmarks of pbxlab against the tools support engineers use (see docs/benchmarks.md)."""

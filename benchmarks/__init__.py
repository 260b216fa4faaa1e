"""Benchmarks of issue 7: scripts that print their figures against a baseline in the same run."""

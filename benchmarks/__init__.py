"""Benchmark scripts: each ``bench_*.py`` has ``run() -> dict`` of figures; ``run.py`` runs them."""

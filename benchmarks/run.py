"""Run the benchmarks and write ``bench-results.json``.

Usage: ``python benchmarks/run.py [NAME ...]`` where NAME picks ``benchmarks/bench_NAME.py``;
with no name, every benchmark runs. ``make bench`` and ``make bench BENCH=name`` call this.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in (ROOT / "benchmarks").glob("bench_*.py"))


def main(argv: list[str]) -> int:
    names = [n for a in argv for n in a.split(",") if n] or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; have: {', '.join(available())}")
        return 2
    out_path = ROOT / "bench-results.json"
    results: dict = {}
    if out_path.exists():
        try:
            results = json.loads(out_path.read_text())
        except ValueError:
            results = {}
    failed = []
    for name in names:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"benchmarks.bench_{name}")
            figures = module.run()
        except Exception:
            traceback.print_exc()
            failed.append(name)
            continue
        for key, fig in figures.items():
            results[key] = fig
            if fig.get("skipped"):
                print(f"  {key}: skipped ({fig['skipped']})")
                continue
            print(
                f"  {key}: median {fig['median']} {fig['unit']} "
                f"(min {fig['min']}, max {fig['max']}, n={fig['n']})",
                flush=True,
            )
        print(f"   ({time.perf_counter() - started:.1f} s)")
    out_path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"wrote {out_path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The figure format every benchmark reports."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def figure(samples: Sequence[float], unit: str = "ms") -> dict:
    """``{"median", "min", "max", "n", "unit"}`` of the samples."""
    if not samples:
        raise ValueError("no samples")
    return {
        "median": round(statistics.median(samples), 3),
        "min": round(min(samples), 3),
        "max": round(max(samples), 3),
        "n": len(samples),
        "unit": unit,
    }


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100), nearest-rank."""
    ordered = sorted(samples)
    k = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]

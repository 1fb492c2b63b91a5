"""Markdown rendering: a full render against the incremental re-render after a keystroke.

Posts of 5,000 and 50,000 words from ``postgen.generate_post`` (headings, lists, tables, fenced
code, quotes, reference links). Figures, each the median of several runs, in ms:

* ``render_full_{5k,50k}_ms``: ``render_html`` of the whole post (what publish and export do).
* ``render_incremental_{5k,50k}_ms``: ``IncrementalRenderer.render`` after typing one character
  in a paragraph in the middle of the post (each run types one more), the renderer warm.
* ``render_incremental_enter_{5k,50k}_ms``: the same for typing a new line with a word, which
  moves the line numbers of every block below it.
* ``render_incremental_cold_5k_ms``: the first render of a post with an empty cache (opening it).

Run ``python benchmarks/bench_render.py`` to print one JSON object per line; ``run.py`` calls
``run()``.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.postgen import generate_post  # noqa: E402
from benchmarks.stats import figure  # noqa: E402
from desktop_blog.render.incremental import IncrementalRenderer  # noqa: E402
from desktop_blog.render.markdown import render_html  # noqa: E402

SIZES = {"5k": 5_000, "50k": 50_000}
FULL_RUNS = {"5k": 15, "50k": 5}
KEYSTROKES = 31


def _timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _typing_point(text: str) -> int:
    """A place inside a paragraph in the middle of the post."""
    return text.index(" the ", len(text) // 2) + 1


def _keystrokes(text: str, typed: Callable[[int], str]) -> list[float]:
    renderer = IncrementalRenderer()
    renderer.render(text)
    at = _typing_point(text)
    samples = []
    for i in range(KEYSTROKES):
        version = text[:at] + typed(i + 1) + text[at:]
        samples.append(_timed(lambda v=version: renderer.render(v)))
    return samples


def run() -> dict[str, dict]:
    figures: dict[str, dict] = {}
    render_html("# warm up\n\n```python\nx = 1\n```\n")  # imports, lexers
    for name, words in SIZES.items():
        text = generate_post(words)
        render_html(text)
        figures[f"render_full_{name}_ms"] = figure(
            [_timed(lambda t=text: render_html(t)) for _ in range(FULL_RUNS[name])]
        )
        figures[f"render_incremental_{name}_ms"] = figure(_keystrokes(text, lambda n: "x" * n))
        figures[f"render_incremental_enter_{name}_ms"] = figure(
            _keystrokes(text, lambda n: "word\n" * n)
        )
        if name == "5k":
            figures["render_incremental_cold_5k_ms"] = figure(
                [_timed(lambda t=text: IncrementalRenderer().render(t)) for _ in range(7)]
            )
    return figures


if __name__ == "__main__":
    for key, fig in run().items():
        print(json.dumps({key: fig}), flush=True)

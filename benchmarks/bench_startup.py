"""Start-up: process start to main window shown, on an empty library and on 100,000 posts.

Each run starts ``python -m desktop_blog --home DIR`` (offscreen) with DESKTOP_BLOG_T0 set to
``time.time()`` just before the process is spawned and DESKTOP_BLOG_STARTUP_PROBE=1: the app
prints ``shown <ms>`` once its window's first frame is painted and ``ready <ms>`` once the
library is open and the last open post is shown, then quits (DESKTOP_BLOG_EXIT_WHEN_READY=1)
once the preview has painted that post too (it prints ``preview <ms>`` then; bench_preview's
``startup_preview_5k_ms`` times that on a 5,000-word post).
Empty and 100k runs alternate, so both see the same machine load; one warm-up run of each is
not counted. Bytecode caching is allowed in the children, as it is for an installed app.

Keys: ``startup_empty_ms``, ``startup_100k_ms`` (shown; the goals are ≤ 200 ms and ≤ 50 ms
more than empty), ``startup_ready_empty_ms``, ``startup_ready_100k_ms`` (library open and
the post in the editor), and ``startup_bare_pyside_window_ms``: the floor, a bare PySide6
window of the same size timed the same way, measured in the same rounds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.stats import figure  # noqa: E402

RUNS = 9
N_POSTS = 100_000

# The floor: a bare PySide6 window of the same size, timed the same way.
BARE_WINDOW = """
import os, sys, time
t0 = float(os.environ["DESKTOP_BLOG_T0"])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

class Window(QMainWindow):
    def paintEvent(self, event):
        super().paintEvent(event)
        QTimer.singleShot(0, lambda: (print(f"shown {(time.time() - t0) * 1000:.1f}"), app.quit()))

app = QApplication(sys.argv[:1])
window = Window()
window.resize(1200, 760)
window.show()
app.exec()
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        QT_QPA_PLATFORM=env.get("QT_QPA_PLATFORM", "offscreen"),
        DESKTOP_BLOG_STARTUP_PROBE="1",
        DESKTOP_BLOG_EXIT_WHEN_READY="1",
    )
    return env


def bare_window_once() -> float:
    env = _env()
    env["DESKTOP_BLOG_T0"] = repr(time.time())
    out = subprocess.run(
        [sys.executable, "-c", BARE_WINDOW], env=env, capture_output=True, text=True, timeout=60
    )
    return float(out.stdout.split()[1])


def start_once(home: Path) -> tuple[float, float]:
    """(shown ms, ready ms) of one start of the app on ``home``."""
    env = _env()
    env["DESKTOP_BLOG_T0"] = repr(time.time())
    out = subprocess.run(
        [sys.executable, "-m", "desktop_blog", "--home", str(home)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    marks = dict(
        line.split()[:2] for line in out.stdout.splitlines() if line.startswith(("shown", "ready"))
    )
    if out.returncode != 0 or "shown" not in marks or "ready" not in marks:
        raise RuntimeError(f"start failed (exit {out.returncode}):\n{out.stdout}\n{out.stderr}")
    return float(marks["shown"]), float(marks["ready"])


def big_library(into: Path) -> Path | None:
    """A copy of the generated 100k library (the generator caches the original)."""
    try:
        from benchmarks.genlib import cached_library
    except ImportError:
        return None
    source = cached_library(N_POSTS)
    home = into / "lib-100k"
    home.mkdir()
    for item in source.iterdir():
        if item.name.startswith("library.sqlite3"):
            shutil.copy2(item, home / item.name)
    # Reopen a post, as a user's next start would.
    (home / "settings.ini").write_text("[state]\nlast_post=1\n")
    return home


def run(runs: int = RUNS) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        tmp_path = Path(tmp)
        empty = tmp_path / "empty"
        big = big_library(tmp_path)
        homes = {"empty": empty} | ({"100k": big} if big is not None else {})
        shown: dict[str, list[float]] = {k: [] for k in homes}
        ready: dict[str, list[float]] = {k: [] for k in homes}
        for home in homes.values():
            start_once(home)  # warm-up: creates the empty library, fills the disk cache
        bare: list[float] = []
        for _ in range(runs):
            bare.append(bare_window_once())
            for name, home in homes.items():
                s, r = start_once(home)
                shown[name].append(s)
                ready[name].append(r)
    figures = {"startup_bare_pyside_window_ms": figure(bare)}
    for name in ("empty", "100k"):
        if name in shown:
            figures[f"startup_{name}_ms"] = figure(shown[name])
            figures[f"startup_ready_{name}_ms"] = figure(ready[name])
        else:
            skipped = {"skipped": "benchmarks/genlib.py is not there", "unit": "ms"}
            figures[f"startup_{name}_ms"] = skipped
            figures[f"startup_ready_{name}_ms"] = skipped
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))

"""The post tree and search on a library of 100,000 posts.

- ``tree_100k_show_ms``: from creating the PostTree on a 100,000-post library to the tree shown
  and painted with its first rows (counts read on the database worker, the first posts of
  Drafts drawn). One fresh process per run.
- ``tree_100k_counts_ms``: from creating it to the folder counts shown (they are read once the
  first rows are painted).
- ``tree_100k_extra_mb``: resident memory of such a process once the tree is shown (icons
  included), minus the same with an empty library, pairwise per run.
- ``search_100k_p95_ms``: 95th percentile of ``search_ids`` (first page, 200) + ``search_counts``
  over a mix of common and rare words and the prefixes typed on the way to them; one figure
  per pass over the mix.
- ``search_tree_100k_p95_ms``: the same mix through what the tree runs for a search
  (``search_folders``: counts and the first page of each of the four folders).

Goals (issue 3): show <= 100 ms, extra <= 30 MB, search p95 <= 50 ms.
Run: ``python benchmarks/bench_tree.py`` (or ``make bench BENCH=tree``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.genlib import cached_library, common_and_rare_words  # noqa: E402
from benchmarks.stats import figure, percentile  # noqa: E402

N_POSTS = 100_000
SHOW_RUNS = 7
SEARCH_PASSES = 5


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _warm_up(app, library) -> None:
    """What the app has done before its tree exists: a window painted with text in the same
    font (so glyphs are rasterised and styles loaded), the ORM used to load the post shown."""
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QTreeView
    from sqlalchemy.orm import configure_mappers

    from desktop_blog.core import library as core

    configure_mappers()
    with library.session() as session:
        core.list_posts(session)[:1]
    model = QStandardItemModel()
    sample = "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789 (),.?"
    for _ in range(3):
        model.appendRow(QStandardItem(sample))
    view = QTreeView()
    view.setModel(model)
    # The first viewport() anywhere costs PySide6 about 27 ms (it builds QWidget's enum
    # types); the main window's editor, a QPlainTextEdit, has paid it.
    QPlainTextEdit().viewport()
    line = QLineEdit(sample)
    for widget in (view, line):
        widget.show()
        widget.grab()
        widget.close()
    app.processEvents()


def _child(home: str) -> None:
    """One run in a fresh process: print {"show_ms", "rss_mb", "rows"} as JSON."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop_blog.core.db import open_library
    from desktop_blog.ui.post_tree import PostTree
    from desktop_blog.ui.post_tree_model import PostIdRole
    from desktop_blog.ui.tasks import TaskManager

    app = QApplication([])
    library = open_library(Path(home))
    tasks = TaskManager()
    _warm_up(app, library)

    loop = QEventLoop()
    start = time.perf_counter()
    tree = PostTree(library, tasks)
    tree.refreshed.connect(loop.quit)
    tree.resize(300, 700)
    tree.show()
    QTimer.singleShot(10_000, loop.quit)
    loop.exec()
    tree.grab()  # paints the view: the visible rows read their summaries
    show_ms = (time.perf_counter() - start) * 1000
    model = tree.model
    assert model.loaded, "the tree did not load within 10 s"
    drafts = model.folder_index(None, "draft")
    rows = model.rowCount(drafts)
    if rows:
        first = model.index(0, 0, drafts)
        assert first.data(PostIdRole) is not None and first.data()

    # Then the counts (read once those rows are painted) and the icons.
    deadline = time.perf_counter() + 10
    counts_ms = None
    while time.perf_counter() < deadline and (counts_ms is None or not model._icons):
        app.processEvents()
        if counts_ms is None and model.folder(None, "draft").total is not None:
            counts_ms = (time.perf_counter() - start) * 1000
        time.sleep(0.0005)
    tree.grab()
    result = {"show_ms": show_ms, "counts_ms": counts_ms, "rss_mb": _rss_mb(), "rows": rows}
    print(json.dumps(result))
    tasks.shutdown()
    library.close()


def _run_child(home: Path) -> dict:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(home)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def search_mix() -> list[str]:
    """What a user types: common and rare words, each as it grows letter by letter."""
    common, rare = common_and_rare_words()
    mix: list[str] = []
    for word in common[:6] + rare[:6]:
        mix += [word[:n] for n in range(2, len(word) + 1)]
    mix += common[6:20] + rare[6:20]
    mix += [f"{common[0]} {common[1]}", f"{common[2]} {rare[0]}", f"{rare[1]} {rare[2]}"]
    mix += [f"{common[3]} {common[4][:2]}", f"{rare[3][:4]}"]
    return mix


def _search_passes(home: Path) -> tuple[list[float], list[float], int]:
    from desktop_blog.core import search
    from desktop_blog.core.db import open_library

    library = open_library(home)
    mix = search_mix()
    first_page, tree = [], []
    try:
        with library.session() as session:
            for _ in range(SEARCH_PASSES):
                times, tree_times = [], []
                for text in mix:
                    t0 = time.perf_counter()
                    search.search_ids(session, text, limit=200)
                    search.search_counts(session, text)
                    t1 = time.perf_counter()
                    search.search_folders(session, text, limit=200)
                    t2 = time.perf_counter()
                    times.append((t1 - t0) * 1000)
                    tree_times.append((t2 - t1) * 1000)
                first_page.append(percentile(times, 95))
                tree.append(percentile(tree_times, 95))
    finally:
        library.close()
    return first_page, tree, len(mix)


def run() -> dict:
    home = cached_library(N_POSTS)
    shows, counts, extras = [], [], []
    with tempfile.TemporaryDirectory(prefix="desktop-blog-empty-") as empty:
        from desktop_blog.core.db import open_library

        open_library(Path(empty)).close()  # created (and migrated) outside the timed runs
        for _ in range(SHOW_RUNS):
            big = _run_child(home)
            small = _run_child(Path(empty))
            shows.append(big["show_ms"])
            counts.append(big["counts_ms"])
            extras.append(big["rss_mb"] - small["rss_mb"])
    first_page, tree, _n = _search_passes(home)
    return {
        "tree_100k_show_ms": figure(shows, "ms"),
        "tree_100k_counts_ms": figure(counts, "ms"),
        "tree_100k_extra_mb": figure(extras, "MB"),
        "search_100k_p95_ms": figure(first_page, "ms"),
        "search_tree_100k_p95_ms": figure(tree, "ms"),
    }


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        _child(sys.argv[2])
        sys.exit(0)
    for key, fig in run().items():
        print(
            f"{key}: median {fig['median']} {fig['unit']} "
            f"(min {fig['min']}, max {fig['max']}, n={fig['n']})"
        )

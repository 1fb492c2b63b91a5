"""Keystroke to preview, and start-up to a rendered preview (issue 4).

- ``preview_5k_ms``, ``preview_50k_ms``: from a key pressed in the Markdown editor to the preview
  having painted the frame that shows the typed character. The editor (``MarkdownEditor``,
  highlighting on), ``RenderWorker`` and ``PreviewView`` are wired with ``connect_preview``, as
  the main window wires them, in a shown 1280x800 window (offscreen unless QT_QPA_PLATFORM says
  otherwise). Each sample: the cursor is put in a paragraph somewhere in the post and the views
  settle (the preview follows the editor there, so the changed block is on screen); then the
  clock starts, ``QTest.keyClick`` types a letter (the editor inserts it and highlights, the
  text goes to the render thread, the changed block is swapped into the page), and the clock
  stops when the page reports, from a second ``requestAnimationFrame`` callback after the swap,
  that the frame with the change has been produced (``PreviewView.painted``). That is the
  renderer's frame; the compositor's hand-over to the window is not included.
- ``startup_preview_5k_ms``: a fresh process per run, from before it is started to the first
  rendered preview of a 5,000-word post painted (same report). It runs the real app
  (``python -m desktop_blog`` on a library whose last-open post is that post) when the app's
  start-up probe (DESKTOP_BLOG_STARTUP_PROBE) prints a ``preview <ms>`` line once the first
  rendered preview is painted, and waits for it before quitting with
  DESKTOP_BLOG_EXIT_WHEN_READY. Until the main window shows a preview, it uses a minimal
  harness instead: QApplication, a window with the editor and the preview, the post's text read
  from a file. The figure's ``harness`` says which ("app" or "minimal").

- ``startup_webengine_floor_ms`` (context, not a goal): the same clock for a bare QWebEngineView
  showing a one-line page, measured alternately with the runs above so both see the same load.

Posts come from ``benchmarks/postgen.py`` (headings, lists, tables, fenced code).
Goals: median <= 50 ms (5k), <= 100 ms (50k), start-up <= 450 ms.
Run: ``python benchmarks/bench_preview.py`` (or ``make bench BENCH=preview``).
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.postgen import generate_post  # noqa: E402
from benchmarks.stats import figure  # noqa: E402

KEYSTROKES = {5_000: 40, 50_000: 30}
WARMUP = 5
STARTUP_RUNS = 7
SIZE = (1280, 800)


def _qt_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    if os.geteuid() == 0:  # QtWebEngine refuses to start as root with its sandbox on
        env.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _child_env() -> None:
    for key, value in _qt_env().items():
        os.environ.setdefault(key, value)


def _paragraph_lines(text: str) -> list[int]:
    """0-based numbers of lines inside ordinary paragraphs (not code, tables, lists, headings)."""
    out = []
    in_fence = False
    for i, line in enumerate(text.split("\n")):
        if re.match(r"\s*(```|~~~)", line):
            in_fence = not in_fence
            continue
        if not in_fence and re.match(r"[A-Za-z]", line) and " " in line and "|" not in line:
            out.append(i)
    return out


def _window(app):
    """The editor and the preview side by side, wired as the main window wires them."""
    from PySide6.QtWidgets import QSplitter

    from desktop_blog.ui.markdown_editor import MarkdownEditor
    from desktop_blog.ui.preview import PreviewView, connect_preview
    from desktop_blog.ui.render_worker import RenderWorker

    window = QSplitter()
    preview = PreviewView(open_links_externally=False)
    editor = MarkdownEditor()
    window.addWidget(editor)
    window.addWidget(preview)
    window.resize(*SIZE)
    worker = RenderWorker()
    connection = connect_preview(editor, worker, preview)
    return window, editor, preview, worker, connection


def _wait(app, condition, timeout: float = 30.0) -> None:
    from PySide6.QtCore import QEventLoop

    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the preview did not report in time")
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 5)


def _settle(app, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.002)


def keystroke_child(words: int, samples: int) -> None:
    """Print the keystroke-to-painted-preview times (ms) as a JSON list."""
    _child_env()
    import PySide6.QtWebEngineWidgets  # noqa: F401 - before the QApplication

    from desktop_blog.ui.schemes import register_schemes

    register_schemes()
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QTextCursor
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    window, editor, preview, worker, _connection = _window(app)
    window.show()
    painted = [-1]
    preview.painted.connect(lambda g: painted.__setitem__(0, max(painted[0], g)))
    _wait(app, preview.is_ready)
    text = generate_post(words, seed=0)
    editor.setPlainText(text)
    _wait(app, lambda: painted[0] >= worker.generation)
    lines = _paragraph_lines(text)
    rng = random.Random(1)
    times = []
    for n in range(WARMUP + samples):
        line = rng.choice(lines)
        block = editor.document().findBlockByNumber(line)
        space = block.text().find(" ")
        cursor = QTextCursor(block)
        cursor.setPosition(block.position() + max(0, space))
        editor.setTextCursor(cursor)
        editor.centerCursor()
        editor.setFocus()
        _settle(app, 0.25)  # the preview follows the editor, the highlighter catches up
        _wait(app, lambda: painted[0] >= worker.generation)
        started = time.perf_counter()
        QTest.keyClick(editor, Qt.Key.Key_X, Qt.KeyboardModifier.NoModifier)
        generation = worker.generation
        _wait(app, lambda g=generation: painted[0] >= g)
        elapsed = (time.perf_counter() - started) * 1000
        if n >= WARMUP:
            times.append(elapsed)
    worker.close()
    print(json.dumps(times), flush=True)


def startup_child(post_file: str) -> None:
    """Minimal start-up: print ``preview <ms>`` from DESKTOP_BLOG_T0 to the first painted
    preview of the post in ``post_file``."""
    t0 = float(os.environ["DESKTOP_BLOG_T0"])
    _child_env()
    import PySide6.QtWebEngineWidgets  # noqa: F401 - before the QApplication

    from desktop_blog.ui.schemes import register_schemes

    register_schemes()
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    window, editor, preview, worker, _connection = _window(app)
    window.show()
    text = Path(post_file).read_text("utf-8")
    editor.setPlainText(text)

    def painted(generation: int) -> None:
        if generation >= 1:
            print(f"preview {(time.time() - t0) * 1000:.1f}", flush=True)
            worker.close()
            app.quit()

    preview.painted.connect(painted)
    app.exec()


def floor_child() -> None:
    """The least any QtWebEngine start-up costs here: a bare view shows a one-line page.
    Prints ``preview <ms>`` from DESKTOP_BLOG_T0 to the page's first painted frame."""
    t0 = float(os.environ["DESKTOP_BLOG_T0"])
    _child_env()
    from PySide6.QtWebEngineCore import QWebEngineScript
    from PySide6.QtWebEngineWidgets import QWebEngineView
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    view = QWebEngineView()
    view.resize(*SIZE)
    view.show()
    world = QWebEngineScript.ScriptWorldId.ApplicationWorld

    def loaded(_ok: bool) -> None:
        # Polled: without the preview's channel there is no call back from the page.
        view.page().runJavaScript(
            "requestAnimationFrame(() => setTimeout(() => window.__p = 1)); 1", world
        )
        poll()

    def poll() -> None:
        view.page().runJavaScript("window.__p === 1", world, done)

    def done(painted) -> None:
        if painted:
            print(f"preview {(time.time() - t0) * 1000:.1f}", flush=True)
            app.quit()
        else:
            poll()

    view.page().loadFinished.connect(loaded)
    view.setHtml("<p>Hello</p>")
    app.exec()


def _run_keystrokes(words: int, samples: int) -> list[float]:
    out = subprocess.run(
        [sys.executable, __file__, "--keystroke", str(words), str(samples)],
        capture_output=True,
        text=True,
        env=_qt_env(),
        timeout=900,
        cwd=ROOT,
    )
    if out.returncode != 0:
        raise RuntimeError(f"keystroke run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _startup_once(post_file: Path | None) -> float:
    env = _qt_env()
    env["DESKTOP_BLOG_T0"] = repr(time.time())
    args = ["--startup", str(post_file)] if post_file is not None else ["--floor"]
    out = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=ROOT,
    )
    for line in out.stdout.splitlines():
        if line.startswith("preview "):
            return float(line.split()[1])
    raise RuntimeError(f"start-up run reported nothing:\n{out.stderr[-3000:]}")


def _real_app_home(root: Path) -> Path:
    """A library whose last-open post is the 5,000-word post, for the real app."""
    from desktop_blog.core import db, library
    from desktop_blog.ui.settings import Settings

    home = root / "home"
    lib = db.open_library(home)
    try:
        with lib.session() as session:
            post = library.create_post(session, "Benchmark", generate_post(5_000, seed=0))
            session.commit()
    finally:
        lib.close()
    settings = Settings(home)
    settings.last_post = post.id
    settings.sync()
    return home


def _real_app_once(home: Path) -> float | None:
    """The real app's ``preview <ms>`` probe line, or None when it prints none."""
    env = _qt_env()
    env.update(
        DESKTOP_BLOG_HOME=str(home),
        DESKTOP_BLOG_STARTUP_PROBE="1",
        DESKTOP_BLOG_EXIT_WHEN_READY="1",
        DESKTOP_BLOG_T0=repr(time.time()),
    )
    try:
        out = subprocess.run(
            [sys.executable, "-m", "desktop_blog"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        return None
    for line in out.stdout.splitlines():
        if line.startswith("preview "):
            return float(line.split()[1])
    return None


def run() -> dict:
    figures = {}
    for words, key in ((5_000, "preview_5k_ms"), (50_000, "preview_50k_ms")):
        figures[key] = figure(_run_keystrokes(words, KEYSTROKES[words]))
    with tempfile.TemporaryDirectory() as tmp:
        post = Path(tmp) / "post.md"
        post.write_text(generate_post(5_000, seed=0), "utf-8")
        # The real app, once its start-up probe reports the first painted preview.
        home = _real_app_home(Path(tmp))
        real = _real_app_once(home) is not None  # also warms the disk cache
        if not real:
            _startup_once(post)  # warm the disk cache; not counted
        samples, floor = [], []
        for _ in range(STARTUP_RUNS):  # interleaved, so both see the same load
            value = _real_app_once(home) if real else _startup_once(post)
            if value is None:
                raise RuntimeError("the app stopped reporting its first painted preview")
            samples.append(value)
            floor.append(_startup_once(None))
    figures["startup_preview_5k_ms"] = figure(samples) | {"harness": "app" if real else "minimal"}
    # Not a goal: what a bare QWebEngineView takes to show a one-line page on this machine.
    figures["startup_webengine_floor_ms"] = figure(floor)
    return figures


def main(argv: list[str]) -> int:
    if argv[:1] == ["--keystroke"]:
        keystroke_child(int(argv[1]), int(argv[2]))
        return 0
    if argv[:1] == ["--floor"]:
        floor_child()
        return 0
    if argv[:1] == ["--startup"]:
        startup_child(argv[1])
        return 0
    for key, fig in run().items():
        print(f"{key}: {json.dumps(fig)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

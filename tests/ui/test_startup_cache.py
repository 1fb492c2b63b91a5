"""The start-up cache (ui/startup_cache.py): the last open post shown in the preview before the
library is open. The database always wins: a stale, foreign or damaged cache is replaced (or
ignored), silently, and nothing typed is lost. These go through app.launch, the real threads and
a real QtWebEngine preview."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from window_helpers import stored_post, wait_saved

from desktop_blog import app
from desktop_blog.core import db, library
from desktop_blog.ui import startup_cache
from desktop_blog.ui.main_window import MainWindow
from desktop_blog.ui.settings import Settings

TIMEOUT = 20_000
REAL = "The real text of the post, as the database has it."


def js(window: MainWindow, qtbot, script: str):
    box: list = []
    window.preview.run_app_js(script, box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=10_000)
    return box[0]


def preview_text(window: MainWindow, qtbot) -> str:
    if window.preview is None or not window.preview.is_ready():
        return ""
    return js(window, qtbot, "document.getElementById('db-content').innerText")


def make_library(home: Path, body: str = f"# A post\n\n{REAL}\n") -> library.PostData:
    lib = db.open_library(home)
    try:
        with lib.session() as session:
            post = library.create_post(session, "A post", body)
            session.commit()
    finally:
        lib.close()
    settings = Settings(home)
    settings.last_post = post.id
    settings.view_mode = "both"
    settings.sync()
    return post


def cached_copy(post: library.PostData, body: str, words: str) -> startup_cache.CachedPost:
    """A cache entry for ``post`` with another ``body``, rendered as one paragraph of ``words``."""
    return startup_cache.CachedPost(
        post_id=post.id,
        updated_at=post.updated_at.isoformat(),
        title=post.title,
        body=body,
        blocks=[("b-1", f"<p data-source-line='1'>{words}</p>", 1)],
    )


def launched(qtbot, home: Path) -> MainWindow:
    window = app.launch(home)
    qtbot.addWidget(window)
    return window


@pytest.fixture
def library_held(monkeypatch):
    """The library opens only once the test sets the returned event (on the database worker,
    so the preview's start from the cache can be watched before the database has a say)."""
    go = threading.Event()
    real = app.open_library_and_post

    def held(*args, **kwargs):
        go.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(app, "open_library_and_post", held)
    yield go
    go.set()


def wait_ready(qtbot, window: MainWindow) -> None:
    """The library is open and the window filled (``libraryReady`` may have come already)."""
    qtbot.waitUntil(lambda: window.library is not None and window.tree is not None, timeout=TIMEOUT)


def close(window: MainWindow) -> None:
    window.close()
    assert window.closed


# --- the file -----------------------------------------------------------------------------------


def test_the_file_round_trips_and_is_only_for_its_post(tmp_path):
    entry = startup_cache.CachedPost(
        7, "2026-01-01T00:00:00", "T", "body ü", [("b-1", "<p>x</p>", 1)], "dark", ".c{}"
    )
    assert startup_cache.write(tmp_path, entry)
    assert startup_cache.read(tmp_path, 7) == entry
    assert startup_cache.read(tmp_path, 8) is None
    assert startup_cache.read(tmp_path, None) is None
    # Written by renaming a temporary file: nothing else is left beside it.
    assert [p.name for p in tmp_path.iterdir()] == [startup_cache.CACHE_FILENAME]


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],  # cut short (a crash while writing, without rename)
        lambda raw: raw.replace("body", "bodx", 1),  # changed: the checksum no longer matches
        lambda raw: "\x00\x01 not json",
        lambda raw: json.dumps({"format": 99}),
        lambda raw: json.dumps(["a list"]),
    ],
)
def test_a_damaged_file_is_ignored(tmp_path, damage):
    startup_cache.write(tmp_path, startup_cache.CachedPost(7, "t", "T", "body", None))
    path = startup_cache.cache_path(tmp_path)
    path.write_text(damage(path.read_text("utf-8")), "utf-8")
    assert startup_cache.read(tmp_path, 7) is None


# --- start-up -----------------------------------------------------------------------------------


def test_start_up_shows_the_cached_post_and_keeps_it_when_the_database_agrees(
    qtbot, home, library_held
):
    post = make_library(home)
    startup_cache.write(home, cached_copy(post, post.body, f"Cached rendering: {REAL}"))
    window = launched(qtbot, home)
    # The cached HTML is shown (the render of the real text would not say "Cached rendering").
    qtbot.waitUntil(lambda: "Cached rendering" in preview_text(window, qtbot), timeout=TIMEOUT)
    assert window.library is None
    library_held.set()
    wait_ready(qtbot, window)
    assert window.editor_panel.editor.toPlainText() == post.body
    # Then the real rendering replaces it, block by block, without emptying the page first.
    qtbot.waitUntil(
        lambda: (
            "Cached rendering" not in preview_text(window, qtbot)
            and REAL in preview_text(window, qtbot)
        ),
        timeout=TIMEOUT,
    )
    close(window)


def test_a_stale_cache_is_replaced_by_the_database(qtbot, home):
    post = make_library(home)
    startup_cache.write(home, cached_copy(post, "# A post\n\nAn old text.\n", "An old text."))
    window = launched(qtbot, home)
    wait_ready(qtbot, window)
    assert window.editor_panel.editor.toPlainText() == post.body
    qtbot.waitUntil(lambda: REAL in preview_text(window, qtbot), timeout=TIMEOUT)
    assert "An old text" not in preview_text(window, qtbot)
    close(window)
    # The file now says what the database says.
    fresh = startup_cache.read(home, post.id)
    assert fresh is not None and fresh.body == post.body


def test_a_cache_of_a_deleted_post_leaves_the_preview_empty(qtbot, home):
    post = make_library(home)
    startup_cache.write(home, cached_copy(post, post.body, "Gone"))
    lib = db.open_library(home)
    with lib.session() as session:
        library.delete_post(session, post.id)
        session.commit()
    lib.close()
    window = launched(qtbot, home)
    wait_ready(qtbot, window)
    assert window.editor_panel.post_id is None
    qtbot.waitUntil(lambda: window.preview.is_ready(), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: "Gone" not in preview_text(window, qtbot), timeout=TIMEOUT)
    close(window)


def test_a_damaged_cache_starts_as_without_one(qtbot, home):
    post = make_library(home)
    startup_cache.cache_path(home).write_bytes(b'{"format": 1, "sha256": "x", "content": {')
    window = launched(qtbot, home)
    wait_ready(qtbot, window)
    assert window.editor_panel.editor.toPlainText() == post.body
    qtbot.waitUntil(lambda: REAL in preview_text(window, qtbot), timeout=TIMEOUT)
    close(window)


def test_typing_is_saved_and_the_cache_follows_with_its_rendering(qtbot, home):
    post = make_library(home)
    window = launched(qtbot, home)
    wait_ready(qtbot, window)
    editor = window.editor_panel.editor
    cursor = editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    cursor.insertText("\nTyped after start-up.\n")
    editor.setTextCursor(cursor)
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: "Typed after start-up" in preview_text(window, qtbot), timeout=TIMEOUT)
    close(window)
    assert stored_post(home, post.id).body == editor.toPlainText()
    cached = startup_cache.read(home, post.id)
    assert cached is not None and cached.body == editor.toPlainText()
    assert cached.blocks and "Typed after start-up" in "".join(b[1] for b in cached.blocks)
    assert cached.code_css  # the theme's code CSS, so start-up need not import Pygments


def test_the_next_start_uses_what_the_last_one_wrote(qtbot, home, library_held):
    post = make_library(home)
    first = launched(qtbot, home)
    library_held.set()
    wait_ready(qtbot, first)
    qtbot.waitUntil(lambda: REAL in preview_text(first, qtbot), timeout=TIMEOUT)
    close(first)
    cached = startup_cache.read(home, post.id)
    assert cached is not None and cached.blocks
    library_held.clear()
    second = launched(qtbot, home)
    painted: list[int] = []
    second.previewCreated.connect(lambda view: view.painted.connect(painted.append))
    # The first painted preview is the cached one (generation 0), before the library is open.
    with qtbot.waitSignal(second.firstPreviewPainted, timeout=TIMEOUT):
        pass
    assert painted[:1] == [0] and second.library is None
    qtbot.waitUntil(lambda: REAL in preview_text(second, qtbot), timeout=TIMEOUT)
    library_held.set()
    wait_ready(qtbot, second)
    assert second.editor_panel.editor.toPlainText() == post.body
    close(second)


def test_a_long_cached_post_comes_whole_after_its_first_screens(qtbot, home):
    from desktop_blog.render.incremental import IncrementalRenderer

    body = "\n\n".join(f"Paragraph number {i}. " + "Words to fill it. " * 20 for i in range(300))
    post = make_library(home, body)
    result = IncrementalRenderer().render(body)
    blocks = [(b.id, b.html, b.line) for b in result.blocks]
    startup_cache.write(home, startup_cache.entry(post, blocks))
    window = launched(qtbot, home)
    qtbot.waitUntil(
        lambda: window.preview is not None and window.preview.is_ready(), timeout=TIMEOUT
    )
    # The shell brought the first screens only; the rest follows the first frame.
    assert len(blocks) > 100
    qtbot.waitUntil(lambda: js(window, qtbot, "__db.blockCount()") == len(blocks), timeout=TIMEOUT)
    assert "Paragraph number 299." in preview_text(window, qtbot)
    assert window.preview.shown_blocks() == blocks
    wait_ready(qtbot, window)
    close(window)

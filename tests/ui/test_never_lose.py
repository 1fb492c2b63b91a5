"""Never lose writing, tested for real: a killed process, a read-only library, a full disk,
a damaged file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import event
from sqlalchemy.orm import sessionmaker
from window_helpers import answering, stored_ids, stored_post, wait_saved

from desktop_blog.app import open_library_in_window
from desktop_blog.core import db
from desktop_blog.core.welcome import WELCOME_TITLE
from desktop_blog.ui.main_window import MainWindow

TYPED = "Every word of this sentence must survive a kill -9."

# Runs the real application (its window, its threads) in a child process and types into the
# open post with QTest, as a user would; it never quits on its own.
DRIVER = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtTest import QTest
    from desktop_blog import app

    qapp = app.application()
    window = app.launch(sys.argv[1])

    def type_text():
        editor = window.editor_panel.editor
        editor.setFocus()
        editor.moveCursor(editor.textCursor().MoveOperation.End)
        QTest.keyClicks(editor, sys.argv[2])
        print("typed", flush=True)

    window.libraryReady.connect(lambda: QTimer.singleShot(100, type_text))
    qapp.exec()
    """
)


def type_into_editor(window: MainWindow, text: str) -> None:
    editor = window.editor_panel.editor
    editor.setFocus()
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    QTest.keyClicks(editor, text)


@pytest.mark.slow
def test_text_survives_sigkill_after_one_and_a_half_seconds(qtbot, tmp_path, make_window):
    home = tmp_path / "killed"
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    errors = tmp_path / "child-stderr.txt"
    with errors.open("w") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-X", "faulthandler", str(driver), str(home), TYPED],
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        line = child.stdout.readline()  # blocks until typed (or the child dies)
        assert line.strip() == "typed", errors.read_text()[-3000:]
        time.sleep(1.5)
        child.send_signal(signal.SIGKILL)
        # Anything but our SIGKILL (a crash of its own) shows the child's last words.
        assert child.wait(timeout=10) == -signal.SIGKILL, errors.read_text()[-3000:]
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()

    path = home / db.DB_FILENAME
    assert db.integrity_ok(path)
    (post_id,) = stored_ids(home)
    assert stored_post(home, post_id).body.endswith(TYPED)

    # The restarted app opens the same post, with the text.
    window = make_window(home)
    assert window.editor_panel.post_id == post_id
    assert window.editor_panel.editor.toPlainText().endswith(TYPED)
    assert db.integrity_ok(path)


def _swap_sessions(window: MainWindow, engine) -> sessionmaker:
    """Make the window's library write through ``engine``; returns the old session factory."""
    old = window.library.sessions
    window.library.sessions = sessionmaker(engine, expire_on_commit=False)
    return old


def _warning_boxes(window: MainWindow) -> list[QMessageBox]:
    return [b for b in window.findChildren(QMessageBox) if b.isVisible()]


def _check_failure_then_recovery(qtbot, window, home, old_sessions, expect: str) -> None:
    post_id = window.editor_panel.post_id
    saver = window.autosaver
    saver._retry.setInterval(300)
    type_into_editor(window, " kept while failing")
    qtbot.waitUntil(lambda: saver.state == "failed", timeout=3000)
    label = window.save_state_label.text()
    assert label.startswith("Not saved: ") and expect in label and label.endswith("retrying")
    # Said once in a box that does not block typing.
    qtbot.waitUntil(lambda: len(_warning_boxes(window)) == 1, timeout=2000)
    box = _warning_boxes(window)[0]
    assert not box.isModal() and expect in box.text()
    # It keeps retrying, the text stays, and typing goes on.
    attempts = saver.attempts
    qtbot.waitUntil(lambda: saver.attempts >= attempts + 2, timeout=3000)
    type_into_editor(window, " and more")
    qtbot.waitUntil(lambda: saver.attempts >= attempts + 4, timeout=3000)
    assert window.editor_panel.editor.toPlainText().endswith(" kept while failing and more")
    assert len(_warning_boxes(window)) == 1  # only once
    assert not stored_post(home, post_id).body.endswith("and more")
    # Writable again: the next retry saves everything.
    window.library.sessions = old_sessions
    wait_saved(qtbot, window, timeout=3000)
    assert window.save_state_label.text() == "Saved"
    assert stored_post(home, post_id).body.endswith(" kept while failing and more")


def test_read_only_library_keeps_the_text_and_saves_once_writable(qtbot, window, home):
    path = home / db.DB_FILENAME
    read_only = db.make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    old = _swap_sessions(window, read_only)
    try:
        _check_failure_then_recovery(qtbot, window, home, old, "read-only")
    finally:
        window.library.sessions = old  # a failed test must not leave a window that cannot close
        read_only.dispose()


def test_full_disk_keeps_the_text_and_saves_once_there_is_room(qtbot, window, home):
    path = home / db.DB_FILENAME
    full = db.make_engine(f"sqlite:///{path}")

    @event.listens_for(full, "connect")
    def _no_room(dbapi_connection, _record):
        # The database may not grow by a single page: SQLite answers "database or disk is full".
        cursor = dbapi_connection.cursor()
        (pages,) = cursor.execute("PRAGMA page_count").fetchone()
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    old = _swap_sessions(window, full)
    # Enough text that it needs new pages.
    window.editor_panel.editor.appendPlainText("\n".join(["A long paragraph of text."] * 3000))
    try:
        _check_failure_then_recovery(qtbot, window, home, old, "disk is full")
    finally:
        window.library.sessions = old
        full.dispose()
    assert db.integrity_ok(path)


def test_quitting_while_saving_fails_asks_and_keeps_a_copy(qtbot, window, home):
    path = home / db.DB_FILENAME
    read_only = db.make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    _swap_sessions(window, read_only)
    window.autosaver._debounce.setInterval(600_000)
    type_into_editor(window, " rescued words")

    with answering(qtbot, button="Stay"):
        window.close()
    assert window.isVisible()
    assert window.editor_panel.editor.toPlainText().endswith(" rescued words")

    with answering(qtbot, button="Quit and Keep a Copy"):
        window.close()
    assert not window.isVisible()
    copies = list(home.glob("unsaved-post-*.md"))
    assert len(copies) == 1
    assert copies[0].read_text(encoding="utf-8").endswith(" rescued words")
    read_only.dispose()


def _corrupt(home: Path) -> bytes:
    junk = b"this is not a SQLite database, it was damaged\x00" * 200
    (home / db.DB_FILENAME).write_bytes(junk)
    return junk


def test_damaged_library_offers_a_fresh_one_and_keeps_the_old_file(qtbot, home):
    junk = _corrupt(home)
    window = MainWindow(home)
    qtbot.addWidget(window)
    window.show()
    with answering(qtbot, button="Start a Fresh Library") as seen:
        with qtbot.waitSignal(window.libraryReady, timeout=15_000):
            open_library_in_window(window)
    assert "damaged" in seen[0].text()
    kept = list(home.glob(f"{db.DB_FILENAME}.damaged-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == junk
    assert db.integrity_ok(home / db.DB_FILENAME)
    assert window.editor_panel.title.text() == WELCOME_TITLE
    assert "damaged file is kept" in window.statusBar().currentMessage()


def test_damaged_library_quit_leaves_the_file_alone(qtbot, home):
    junk = _corrupt(home)
    window = MainWindow(home)
    qtbot.addWidget(window)
    window.show()
    with answering(qtbot, button="Quit"):
        open_library_in_window(window)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    assert (home / db.DB_FILENAME).read_bytes() == junk
    assert not list(home.glob("*.damaged-*"))

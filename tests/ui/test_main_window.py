"""The main window through its real threads: actions, selection, status bar, saved state."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6 import QtCore
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from window_helpers import answering, ctrl_click, stored_ids, stored_post, wait_saved

from desktop_blog import __main__ as entry
from desktop_blog import app
from desktop_blog.core import db, library, models
from desktop_blog.core.welcome import WELCOME_TITLE
from desktop_blog.ui import startup_cache
from desktop_blog.ui.editor_panel import STATUS_LABELS
from desktop_blog.ui.main_window import Act, MainWindow


def trigger(window: MainWindow, act: Act) -> None:
    action = window.actions_[act]
    assert action.isEnabled(), f"{act} is disabled"
    action.trigger()


def open_new_post(qtbot, window: MainWindow) -> int:
    before = window.editor_panel.post_id
    trigger(window, Act.NEW_POST)
    qtbot.waitUntil(lambda: window.editor_panel.post_id not in (None, before), timeout=5000)
    new_id = window.editor_panel.post_id
    qtbot.waitUntil(lambda: window.tree.current_post_id() == new_id, timeout=5000)
    return new_id


# --- first run ----------------------------------------------------------------------------------


def test_first_run_opens_the_welcome_post(window, home):
    panel = window.editor_panel
    assert panel.title.text() == WELCOME_TITLE
    assert "Markdown" in panel.editor.toPlainText()
    assert window.tree.current_post_id() == panel.post_id
    assert window.save_state_label.text() == "Saved"
    assert window.word_count_label.text().endswith("words")
    assert stored_post(home, panel.post_id).title == WELCOME_TITLE
    assert (home / "settings.ini").exists()


def test_second_start_does_not_add_another_welcome_post(make_window, home):
    first = make_window()
    first.close()
    second = make_window()
    assert len(stored_ids(home)) == 1
    assert second.editor_panel.title.text() == WELCOME_TITLE


# --- post actions keep the selection -----------------------------------------------------------


def test_new_post_is_opened_selected_and_focused(qtbot, window, home):
    new_id = open_new_post(qtbot, window)
    assert window.editor_panel.title.text() == ""
    assert window.focusWidget() is window.editor_panel.title
    assert new_id in stored_ids(home)


def test_rename_asks_for_the_title_and_keeps_the_selection(qtbot, window, home):
    post_id = window.editor_panel.post_id
    with answering(qtbot, text="A better title"):
        trigger(window, Act.RENAME)
    assert window.editor_panel.title.text() == "A better title"
    qtbot.waitUntil(lambda: stored_post(home, post_id).title == "A better title", timeout=3000)
    qtbot.waitUntil(lambda: window.tree.current_post_id() == post_id)
    assert window.editor_panel.post_id == post_id


def test_rename_cancelled_changes_nothing(qtbot, window, home):
    post_id = window.editor_panel.post_id
    with answering(qtbot):  # no text: the dialog is rejected
        trigger(window, Act.RENAME)
    assert stored_post(home, post_id).title == WELCOME_TITLE


def test_duplicate_opens_and_selects_the_copy(qtbot, window, home):
    original = window.editor_panel.post_id
    trigger(window, Act.DUPLICATE)
    qtbot.waitUntil(lambda: window.editor_panel.post_id not in (None, original), timeout=5000)
    copy_id = window.editor_panel.post_id
    qtbot.waitUntil(lambda: window.tree.current_post_id() == copy_id, timeout=5000)
    assert window.editor_panel.title.text() == f"{WELCOME_TITLE} (copy)"
    assert stored_post(home, copy_id).body == stored_post(home, original).body


def test_trash_and_restore_keep_the_post_selected(qtbot, window, home):
    post_id = window.editor_panel.post_id
    trigger(window, Act.TRASH)
    qtbot.waitUntil(lambda: stored_post(home, post_id).status == models.TRASH, timeout=3000)
    qtbot.waitUntil(lambda: window.actions_[Act.RESTORE].isEnabled(), timeout=3000)
    qtbot.waitUntil(lambda: window.tree.current_post_id() == post_id, timeout=3000)
    assert window.editor_panel.post_id == post_id
    assert window.editor_panel.editor.isReadOnly()
    assert not window.actions_[Act.TRASH].isEnabled()

    trigger(window, Act.RESTORE)
    qtbot.waitUntil(lambda: stored_post(home, post_id).status == models.DRAFT, timeout=3000)
    qtbot.waitUntil(lambda: not window.editor_panel.editor.isReadOnly(), timeout=3000)
    qtbot.waitUntil(lambda: window.tree.current_post_id() == post_id, timeout=3000)
    assert window.editor_panel.post_id == post_id


def test_trash_keeps_the_latest_text_in_a_revision(qtbot, window, home):
    post_id = window.editor_panel.post_id
    window.editor_panel.editor.setFocus()
    QTest.keyClicks(window.editor_panel.editor, "last words")
    trigger(window, Act.TRASH)
    qtbot.waitUntil(lambda: stored_post(home, post_id).status == models.TRASH, timeout=3000)
    lib = db.open_library(home)
    with lib.session() as s:
        revisions = library.list_revisions(s, post_id)
    lib.close()
    assert any(r.reason == "trash" and "last words" in r.body for r in revisions)


def test_delete_forever_asks_first(qtbot, window, home):
    keep = window.editor_panel.post_id
    doomed = open_new_post(qtbot, window)

    with answering(qtbot, button="Cancel") as seen:
        trigger(window, Act.DELETE_FOREVER)
    assert "forever" in seen[0].text()
    assert doomed in stored_ids(home)

    with answering(qtbot, button="Delete Forever"):
        trigger(window, Act.DELETE_FOREVER)
    qtbot.waitUntil(lambda: doomed not in stored_ids(home), timeout=3000)
    # The selection goes to the neighbour that is left, and the editor follows it.
    qtbot.waitUntil(lambda: window.tree.current_post_id() == keep, timeout=3000)
    qtbot.waitUntil(lambda: window.editor_panel.post_id == keep, timeout=3000)


def in_folder(qtbot, window: MainWindow, ids: list[int], status: str) -> None:
    """Wait until the tree shows these posts in the folder of ``status``."""
    from desktop_blog.ui.post_tree import StatusRole

    def shown() -> bool:
        return all(window.tree.model.index_of(i).data(StatusRole) == status for i in ids)

    qtbot.waitUntil(shown, timeout=5000)


def test_trash_restore_and_delete_act_on_every_selected_post(qtbot, window, home):
    first = window.editor_panel.post_id
    second = open_new_post(qtbot, window)
    third = open_new_post(qtbot, window)
    ctrl_click(qtbot, window, second)
    assert sorted(window.tree.selected_post_ids()) == sorted([second, third])

    trigger(window, Act.TRASH)
    qtbot.waitUntil(
        lambda: [stored_post(home, i).status for i in (second, third)] == [models.TRASH] * 2,
        timeout=5000,
    )
    assert stored_post(home, first).status == models.DRAFT  # not selected: left alone
    qtbot.waitUntil(lambda: "2 posts moved to the trash" in window.statusBar().currentMessage())
    qtbot.waitUntil(lambda: window.editor_panel.editor.isReadOnly(), timeout=5000)

    # both are in the trash folder now: select them there and restore them together
    in_folder(qtbot, window, [second, third], models.TRASH)
    window.tree.select_post(third)
    qtbot.waitUntil(lambda: window.editor_panel.post_id == third, timeout=5000)
    ctrl_click(qtbot, window, second)
    assert sorted(window.tree.selected_post_ids()) == sorted([second, third])
    qtbot.waitUntil(lambda: window.actions_[Act.RESTORE].isEnabled(), timeout=5000)
    assert not window.actions_[Act.TRASH].isEnabled()  # nothing selected is out of the trash
    trigger(window, Act.RESTORE)
    qtbot.waitUntil(
        lambda: [stored_post(home, i).status for i in (second, third)] == [models.DRAFT] * 2,
        timeout=5000,
    )

    in_folder(qtbot, window, [second, third], models.DRAFT)
    window.tree.select_post(third)
    qtbot.waitUntil(lambda: window.editor_panel.post_id == third, timeout=5000)
    ctrl_click(qtbot, window, second)
    with answering(qtbot, button="Cancel") as seen:
        trigger(window, Act.DELETE_FOREVER)
    assert "these 2 posts forever" in seen[0].text()
    assert {second, third} <= stored_ids(home)
    with answering(qtbot, button="Delete Forever"):
        trigger(window, Act.DELETE_FOREVER)
    qtbot.waitUntil(lambda: stored_ids(home) == {first}, timeout=5000)
    qtbot.waitUntil(lambda: window.editor_panel.post_id is None, timeout=5000)


def test_delete_key_in_the_editor_edits_text_not_posts(qtbot, window, home):
    post_id = window.editor_panel.post_id
    editor = window.editor_panel.editor
    editor.setFocus()
    editor.moveCursor(editor.textCursor().MoveOperation.Start)
    before = editor.toPlainText()
    QTest.keyClick(editor, Qt.Key.Key_Delete)
    assert editor.toPlainText() == before[1:]
    wait_saved(qtbot, window)
    assert stored_post(home, post_id).status == models.DRAFT


def test_delete_key_in_the_tree_moves_to_trash(qtbot, window, home):
    post_id = window.editor_panel.post_id
    window.activateWindow()
    window.tree.view.setFocus()
    qtbot.waitUntil(lambda: window.tree.view.hasFocus(), timeout=3000)
    QTest.keyClick(window.tree.view, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: stored_post(home, post_id).status == models.TRASH, timeout=3000)


def test_close_post_empties_the_editor(qtbot, window):
    trigger(window, Act.CLOSE_POST)
    assert window.editor_panel.post_id is None
    assert not window.actions_[Act.SAVE].isEnabled()
    assert window.settings.last_post is None


def test_search_posts_goes_to_the_search_box_and_find_to_the_find_bar(window):
    trigger(window, Act.SEARCH_POSTS)
    assert window.focusWidget() is window.tree.search_box
    trigger(window, Act.FIND)
    assert window.editor_panel.find_bar.isVisible()
    assert window.focusWidget() is window.editor_panel.find_bar.find_field


# --- menus, shortcuts, status bar -------------------------------------------------------------


def test_actions_have_the_standard_shortcuts(window):
    a = window.actions_
    std = QKeySequence.StandardKey
    for act, key in (
        (Act.NEW_POST, std.New),
        (Act.SAVE, std.Save),
        (Act.FIND, std.Find),
        (Act.CLOSE_POST, std.Close),
    ):
        assert a[act].shortcut() == QKeySequence.keyBindings(key)[0], act
    for act, keys in (
        (Act.SEARCH_POSTS, "Ctrl+Shift+F"),
        (Act.REPLACE, "Ctrl+H"),
        (Act.GOTO_LINE, "Ctrl+G"),
        (Act.FIND_NEXT, "F3"),
        (Act.SHOW_PREVIEW, "Ctrl+Shift+P"),
        (Act.FOCUS_MODE, "Ctrl+Shift+Return"),
    ):
        assert a[act].shortcut() == QKeySequence(keys), act
    assert (
        a[Act.FULL_SCREEN].shortcut()
        == (QKeySequence.keyBindings(std.FullScreen) or [QKeySequence("F11")])[0]
    )
    # No two window-wide actions share a key (Qt would then run neither).
    seen: dict[str, str] = {}
    window_wide = QtCore.Qt.ShortcutContext.WindowShortcut
    for act, action in a.items():
        if action.shortcutContext() != window_wide:
            continue
        for key in action.shortcuts():
            assert key.toString() not in seen, (act, seen.get(key.toString()))
            seen[key.toString()] = act
    # Help > Keyboard Shortcuts lists them.
    listed = dict(window.shortcut_list())
    assert listed["Show Preview"] == "Ctrl+Shift+P" and listed["Focus Mode"]
    assert a[Act.QUIT].shortcut() == (QKeySequence.keyBindings(std.Quit) or ["Ctrl+Q"])[0]
    assert a[Act.PREFERENCES].shortcut() in (QKeySequence("Ctrl+,"),) + tuple(
        QKeySequence.keyBindings(std.Preferences)
    )
    assert a[Act.RENAME].shortcut() == QKeySequence("F2")
    assert a[Act.TRASH].shortcut() == QKeySequence(QKeySequence.StandardKey.Delete)
    assert a[Act.DELETE_FOREVER].shortcut() == QKeySequence("Shift+Delete")
    menus = [
        m.title().replace("&", "") for m in window.menuBar().findChildren(type(window.view_menu))
    ]
    for name in ("File", "Edit", "Post", "View", "Help"):
        assert name in menus


def test_icons_come_after_the_library(qtbot, window):
    qtbot.waitUntil(lambda: window.icons_ready, timeout=5000)
    image = window.actions_[Act.NEW_POST].icon().pixmap(16, 16).toImage()
    assert any(image.pixelColor(x, y).alpha() for x in range(16) for y in range(16))


def test_status_bar_counts_words_and_says_saved(qtbot, window, home):
    open_new_post(qtbot, window)
    editor = window.editor_panel.editor
    editor.setFocus()
    QTest.keyClicks(editor, "one two three")
    assert window.save_state_label.text() == "Saving…"
    qtbot.waitUntil(lambda: window.word_count_label.text() == "3 words", timeout=2000)
    wait_saved(qtbot, window)
    assert window.save_state_label.text() == "Saved"
    QTest.keyClicks(editor, " four")
    qtbot.waitUntil(lambda: window.word_count_label.text() == "4 words", timeout=2000)


def test_preferences_change_the_revision_interval(qtbot, window):
    from desktop_blog.ui.dialogs.preferences import PreferencesDialog

    def answer() -> None:
        dialog = next(w for w in window.findChildren(PreferencesDialog) if w.isVisible())
        dialog.revision_minutes.setValue(12)
        dialog.accept()

    from PySide6.QtCore import QTimer

    QTimer.singleShot(100, answer)
    trigger(window, Act.PREFERENCES)
    assert window.settings.revision_minutes == 12
    assert window.autosaver.revision_every.total_seconds() == 12 * 60


# --- state restored on the next start ----------------------------------------------------------


def test_geometry_splitter_and_last_post_survive_a_restart(qtbot, make_window, home):
    first = make_window()
    post_id = open_new_post(qtbot, first)
    first.resize(720, 540)
    first.splitter.setSizes([233, 300])
    qtbot.waitUntil(lambda: first.splitter.sizes()[0] == 233)
    first.details.hide()
    first.close()

    second = make_window()
    assert second.size().width() == 720 and second.size().height() == 540
    assert second.splitter.sizes()[0] == 233
    assert not second.details.isVisible()
    assert second.editor_panel.post_id == post_id
    assert second.tree.current_post_id() == post_id


# --- start-up, entry point, layering ----------------------------------------------------------


def test_home_folder_agrees_with_core(monkeypatch, tmp_path):
    monkeypatch.setenv("DESKTOP_BLOG_HOME", str(tmp_path / "x"))
    assert app.resolve_home() == db.data_dir()
    assert app.resolve_home(tmp_path / "y") == db.data_dir(tmp_path / "y")
    monkeypatch.delenv("DESKTOP_BLOG_HOME")
    assert app.resolve_home() == db.data_dir()
    assert app.APP_NAME == db.APP_NAME


def test_status_labels_cover_core_statuses():
    assert tuple(STATUS_LABELS) == models.STATUSES


def test_entry_point_dispatch(monkeypatch):
    calls = []
    monkeypatch.setattr(app, "run_gui", lambda home=None: calls.append(("gui", home)) or 0)
    import desktop_blog.cli as cli

    monkeypatch.setattr(cli, "main", lambda argv=None: calls.append(("cli", argv)) or 3)
    assert entry.main([]) == 0
    assert entry.main(["--home", "/tmp/h"]) == 0
    assert entry.main(["--home=/tmp/i"]) == 0
    assert entry.main(["list", "--json"]) == 3
    assert entry.main(["--home", "/tmp/h", "new", "--title", "T"]) == 3
    assert calls == [
        ("gui", None),
        ("gui", "/tmp/h"),
        ("gui", "/tmp/i"),
        ("cli", ["list", "--json"]),
        ("cli", ["--home", "/tmp/h", "new", "--title", "T"]),
    ]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"QT_QPA_PLATFORM": "offscreen", **extra})
    return env


def test_nothing_heavy_is_imported_before_the_window_is_shown():
    code = (
        "import sys, desktop_blog.app, desktop_blog.__main__;"
        "heavy = [m for m in ('sqlalchemy', 'alembic', 'qtawesome', 'PySide6.QtWebEngineCore',"
        " 'desktop_blog.core.db', 'markdown') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=_env(), capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


FIRST_FRAME_PROBE = """
import sys
from desktop_blog import app
from desktop_blog.ui.main_window import MainWindow

HEAVY = ("sqlalchemy", "alembic", "markdown", "pygments", "PySide6.QtWebEngineCore",
         "PySide6.QtWebEngineWidgets", "desktop_blog.core.db")
paint = MainWindow.paintEvent

def first_paint(self, event):
    if not self._painted:
        print("heavy", [m for m in HEAVY if m in sys.modules], flush=True)
    paint(self, event)

MainWindow.paintEvent = first_paint
sys.exit(app.run_gui(sys.argv[1]))
"""


def test_nothing_heavy_is_loaded_before_the_first_frame(tmp_path: Path):
    out = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME_PROBE, str(tmp_path / "lib")],
        env=_env(DESKTOP_BLOG_STARTUP_PROBE="1", DESKTOP_BLOG_EXIT_WHEN_READY="1"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "heavy []" in out.stdout.splitlines(), out.stdout


@pytest.mark.slow
def test_python_m_desktop_blog_starts_shows_and_quits(tmp_path: Path):
    home = tmp_path / "lib"
    out = subprocess.run(
        [sys.executable, "-m", "desktop_blog", "--home", str(home)],
        env=_env(DESKTOP_BLOG_STARTUP_PROBE="1", DESKTOP_BLOG_EXIT_WHEN_READY="1"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    marks = ("shown", "ready", "previ")
    lines = {
        line.split()[0]: line.split()[1:] for line in out.stdout.splitlines() if line[:5] in marks
    }
    assert float(lines["shown"][0]) <= float(lines["ready"][0])
    # The welcome post was rendered in the preview before the probe let the app quit.
    assert float(lines["shown"][0]) < float(lines["preview"][0])
    assert lines["preview"][1:] == ["rendered"]  # a first start has no start-up cache
    assert (home / startup_cache.CACHE_FILENAME).exists()  # the next one will
    assert (home / db.DB_FILENAME).exists()
    assert (home / "settings.ini").exists()


def test_closing_before_the_library_is_open(qtbot, home):
    window = MainWindow(home)
    qtbot.addWidget(window)
    window.show()
    app.open_library_in_window(window)
    window.close()  # waits for the worker; the opened library is closed, not shown
    qtbot.wait(200)
    assert window.closed and window.library is None

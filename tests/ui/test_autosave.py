"""Autosave through the real database worker: within a second of typing, on switching posts,
on losing focus, on closing; metadata and periodic revisions."""

from __future__ import annotations

import time
from datetime import timedelta

from PySide6.QtTest import QTest
from window_helpers import stored_post, wait_saved

from desktop_blog.core import db, library
from desktop_blog.ui.autosave import Metadata, PostEdit
from desktop_blog.ui.main_window import Act


def never_on_its_own(window) -> None:
    """Debounce so long that only the event under test can cause a save."""
    window.autosaver._debounce.setInterval(600_000)


def type_into_editor(window, text: str) -> None:
    editor = window.editor_panel.editor
    editor.setFocus()
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    QTest.keyClicks(editor, text)


def test_saved_within_one_second_of_the_last_keystroke(qtbot, window, home):
    post_id = window.editor_panel.post_id
    type_into_editor(window, " Typed by the test.")
    last_key = time.monotonic()
    qtbot.waitUntil(
        lambda: stored_post(home, post_id).body.endswith(" Typed by the test."), timeout=1000
    )
    assert time.monotonic() - last_key < 1.0
    wait_saved(qtbot, window)
    assert window.save_state_label.text() == "Saved"


def test_title_edits_are_saved_and_shown_in_the_tree(qtbot, window, home):
    post_id = window.editor_panel.post_id
    title = window.editor_panel.title
    title.setFocus()
    title.selectAll()
    QTest.keyClicks(title, "Fresh title")
    qtbot.waitUntil(lambda: stored_post(home, post_id).title == "Fresh title", timeout=1000)
    index = window.tree.model.index_of(post_id)
    assert index.data() == "Fresh title"


def test_switching_posts_saves_the_one_left(qtbot, window, home):
    first = window.editor_panel.post_id
    window.actions_[Act.NEW_POST].trigger()
    qtbot.waitUntil(lambda: window.editor_panel.post_id not in (None, first), timeout=5000)
    second = window.editor_panel.post_id
    qtbot.waitUntil(lambda: window.tree.current_post_id() == second, timeout=5000)
    never_on_its_own(window)
    type_into_editor(window, "written just before switching")
    window.tree.select_post(first)
    qtbot.waitUntil(lambda: window.editor_panel.post_id == first, timeout=3000)
    qtbot.waitUntil(
        lambda: stored_post(home, second).body == "written just before switching", timeout=1000
    )
    assert "written just before" not in window.editor_panel.editor.toPlainText()


def test_losing_focus_saves(qtbot, window, home):
    post_id = window.editor_panel.post_id
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    never_on_its_own(window)
    type_into_editor(window, " focus")
    qtbot.waitUntil(window.editor_panel.editor.hasFocus, timeout=3000)
    window.tree.search_box.setFocus()
    qtbot.waitUntil(lambda: stored_post(home, post_id).body.endswith(" focus"), timeout=1000)


def test_closing_saves_at_once(qtbot, window, home):
    post_id = window.editor_panel.post_id
    never_on_its_own(window)
    type_into_editor(window, " the last sentence before quitting")
    window.close()
    assert stored_post(home, post_id).body.endswith(" the last sentence before quitting")


def test_save_now_writes_without_waiting(qtbot, window, home):
    post_id = window.editor_panel.post_id
    never_on_its_own(window)
    type_into_editor(window, " now")
    window.actions_[Act.SAVE].trigger()
    qtbot.waitUntil(lambda: stored_post(home, post_id).body.endswith(" now"), timeout=1000)


def test_metadata_is_saved(qtbot, window, home):
    post_id = window.editor_panel.post_id
    meta = window.editor_panel.metadata
    meta.tags.setFocus()
    meta.tags.selectAll()
    QTest.keyClicks(meta.tags, "python, qt ,  blogging")
    meta.slug.setFocus()
    QTest.keyClicks(meta.slug, "hello-world")
    qtbot.waitUntil(
        lambda: sorted(stored_post(home, post_id).tags) == ["blogging", "python", "qt"],
        timeout=1500,
    )
    assert stored_post(home, post_id).slug == "hello-world"


def test_choosing_a_status_moves_the_post_and_keeps_it_selected(qtbot, window, home):
    post_id = window.editor_panel.post_id
    meta = window.editor_panel.metadata
    index = meta.status.findData("published")
    meta.status.setCurrentIndex(index)
    meta.status.activated.emit(index)
    qtbot.waitUntil(lambda: stored_post(home, post_id).status == "published", timeout=2000)
    qtbot.waitUntil(
        lambda: "Published" in window.tree.model.index_of(post_id).parent().data(), timeout=3000
    )
    assert window.tree.current_post_id() == post_id
    assert window.editor_panel.post_id == post_id


def test_a_revision_is_kept_every_few_minutes_of_editing(qtbot, window, home):
    post_id = window.editor_panel.post_id
    window.autosaver.revision_every = timedelta(0)
    type_into_editor(window, " first")
    wait_saved(qtbot, window)
    type_into_editor(window, " second")
    wait_saved(qtbot, window)
    lib = db.open_library(home)
    with lib.session() as s:
        revisions = library.list_revisions(s, post_id)
    lib.close()
    periodic = [r for r in revisions if r.reason == "periodic"]
    assert len(periodic) >= 2
    assert periodic[0].body.endswith(" first second")


def test_the_default_revision_interval_is_five_minutes(window):
    assert window.autosaver.revision_every == timedelta(minutes=5)


def test_newer_text_keeps_older_unsaved_metadata():
    meta = Metadata("s", "e", ["t"], ["c"], "draft", None)
    older = PostEdit(1, "a", "b", meta)
    newer = PostEdit(1, "a2", "b2", None)
    merged = newer.merged_after(older)
    assert (merged.title, merged.body, merged.metadata) == ("a2", "b2", meta)

"""Revision history through the real database worker."""

from pathlib import Path

import pytest

from desktop_blog.core import db, library
from desktop_blog.ui.revision_dialog import RevisionDialog
from desktop_blog.ui.tasks import TaskManager


@pytest.fixture
def setup(tmp_path: Path, qtbot):
    lib = db.open_library(tmp_path)
    tasks = TaskManager()
    with lib.session() as s:
        post = library.create_post(s, "Title", "line one\nthe cat sat\nline three")
        library.snapshot(s, post.id, "periodic")
        library.save_text(s, post.id, "Title", "line one\nthe dog sat\nline three\nline four")
        s.commit()
    yield lib, tasks, post.id
    tasks.shutdown()
    lib.close()


def test_lists_revisions_and_marks_differences(setup, qtbot):
    lib, tasks, post_id = setup
    with lib.session() as s:
        current = library.get_post(s, post_id)
    dialog = RevisionDialog(lib, tasks, post_id, current.title, current.body)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.list.count() == 1)
    assert "While writing" in dialog.list.item(0).text()
    assert "<b>cat</b>" in dialog.old_view.toHtml() or "cat" in dialog.old_view.toPlainText()
    assert "dog" in dialog.new_view.toPlainText()
    assert "2 lines differ" in dialog.summary.text()


def test_restore_creates_new_revisions_and_loses_nothing(setup, qtbot):
    lib, tasks, post_id = setup
    with lib.session() as s:
        current = library.get_post(s, post_id)
    dialog = RevisionDialog(lib, tasks, post_id, current.title, current.body)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.restore_button.isEnabled())
    with qtbot.waitSignal(dialog.restored, timeout=5000) as blocker:
        dialog.restore_button.click()
    assert blocker.args[0].body == "line one\nthe cat sat\nline three"
    with lib.session() as s:
        revs = library.list_revisions(s, post_id)
        assert library.get_post(s, post_id).body == "line one\nthe cat sat\nline three"
    bodies = [r.body for r in revs]
    # The replaced text survives as a revision; the restore is a revision of its own.
    assert "line one\nthe dog sat\nline three\nline four" in bodies
    assert len(revs) == 3

"""Publishing in the window, through its real threads, against the fake WordPress on loopback.

Each test uses the window as a user would: the Blog menu's actions, the Add Blog dialog's fields
and buttons, the outbox dock's rows and buttons, the conflict dialog; and looks at what a user
would see (the dialog's text, the rows' states and messages, the editor's text) and at the blog
(the fake server's posts). The keyring is the "fail" backend: passwords stay in memory.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.fakes.wp_fake import WordPressFake  # noqa: E402

WAIT_MS = 20_000

pytestmark = pytest.mark.usefixtures("memory_only_secrets")


# --- helpers (also used by the tests against the real WordPress) ---------------------------------


def controller(window):
    ctl = window.features["publishing_ui"]
    return ctl


def wait_worker(qtbot, window) -> object:
    ctl = controller(window)
    qtbot.waitUntil(lambda: ctl.worker is not None and ctl.worker.running, timeout=WAIT_MS)
    return ctl


def open_add_blog(qtbot, window):
    ctl = wait_worker(qtbot, window)
    ctl.actions["add_blog"].trigger()
    dialog = ctl.add_blog_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def fill(dialog, url: str, user: str, password: str) -> None:
    dialog.url.setText(url)
    dialog.user.setText(user)
    dialog.password.setText(password)


def check(qtbot, dialog) -> str:
    """Click Check and wait for the answer; returns the text the dialog shows."""
    dialog.check_button.click()
    qtbot.waitUntil(lambda: not dialog._busy, timeout=WAIT_MS)
    return dialog.result.text()


def add_blog(qtbot, window, url: str, user: str, password: str) -> None:
    """Add a blog through the dialog (Add checks first) and wait for it in the tree."""
    dialog = open_add_blog(qtbot, window)
    fill(dialog, url, user, password)
    dialog.add_button.click()
    qtbot.waitUntil(lambda: closed(dialog), timeout=WAIT_MS)
    close_message_box(qtbot, window)
    qtbot.waitUntil(lambda: len(tree_blogs(window)) == 1, timeout=WAIT_MS)


def closed(widget) -> bool:
    """The dialog was closed (deleted on close, or hidden)."""
    from shiboken6 import isValid

    return not isValid(widget) or not widget.isVisible()


def close_message_box(qtbot, window) -> str:
    """Close the warning the controller showed, if any; returns its text."""
    box = controller(window).message_box
    if box is None or closed(box):
        return ""
    text = box.text()
    box.accept()
    return text


def tree_blogs(window) -> list[str]:
    model = window.tree.model
    from PySide6.QtCore import QModelIndex

    names = [model.index(r, 0, QModelIndex()).data() for r in range(model.rowCount())]
    return [str(n) for n in names[1:]]  # the first node is the local library


def type_post(qtbot, window, title: str, body: str) -> int:
    """Make a new post through the window and type its title and text; returns its id."""
    before = window.current_post_id()
    window.new_post()
    qtbot.waitUntil(lambda: window.current_post_id() not in (None, before), timeout=WAIT_MS)
    panel = window.editor_panel
    panel.title.setText(title)
    panel.editor.setPlainText(body)
    qtbot.waitUntil(lambda: not window.autosaver.has_unsaved(), timeout=WAIT_MS)
    return window.current_post_id()


def answer_next_dialog(act) -> list[str]:
    """Call ``act(dialog)`` on the next modal dialog; returns a list that gets its text."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QInputDialog

    seen: list[str] = []

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, poll)
            return
        seen.append(dialog.labelText() if isinstance(dialog, QInputDialog) else dialog.text())
        act(dialog)

    QTimer.singleShot(0, poll)
    return seen


def rows(window) -> list:
    return list(controller(window).panel.rows)


def row_for(window, title: str):
    found = [
        r for r in rows(window) if r.post_title == title and r.operation != "resolve_duplicates"
    ]
    return found[-1] if found else None


def wait_row(qtbot, window, title: str, state: str):
    def ok() -> bool:
        row = row_for(window, title)
        return row is not None and row.state == state

    qtbot.waitUntil(ok, timeout=WAIT_MS)
    return row_for(window, title)


def cell(ctl, row: int, column: int) -> str:
    """The text the outbox table shows in a cell."""
    return str(ctl.panel.table.model().index(row, column).data())


def remote_posts(fake: WordPressFake, title: str) -> list[dict]:
    with fake.lock:
        return [dict(p) for p in fake.posts.values() if p["title"] == title]


# --- tests ----------------------------------------------------------------------------------------


def test_blog_menu_outbox_dock_and_publish_button_are_in_place(qtbot, window) -> None:
    ctl = wait_worker(qtbot, window)
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles.index("&Blog") == titles.index("&View") - 1
    blog_entries = [a.text() for a in ctl.blog_menu.actions() if a.text()]
    assert blog_entries[:3] == ["&Add Blog…", "&Remove Blog…", "Set &Password…"]
    assert "&Sync Now" in blog_entries
    publish_entries = [a.text().replace("&", "") for a in ctl.publish_menu.actions() if a.text()]
    assert publish_entries == [
        "Publish Now…",
        "Schedule…",
        "Save as Remote Draft…",
        "Update on Blog",
        "Unpublish",
        "Move to Trash on Blog",
    ]
    assert ctl.actions["toggle_outbox"] in window.view_menu.actions()
    assert not ctl.dock.isVisible()
    ctl.actions["toggle_outbox"].trigger()
    assert ctl.dock.isVisible()
    assert ctl.panel.summary.text() == "Nothing waits to be sent."
    assert not ctl.status_label.isVisible()  # nothing waits


def test_add_blog_dialog_checks_shows_errors_and_adds(qtbot, window, fake, site, home) -> None:
    dialog = open_add_blog(qtbot, window)
    # no keyring on this machine: the dialog says so before anything is typed
    assert "kept in memory" in dialog.keyring_note.text()
    assert not dialog.add_button.isEnabled()

    dialog.url.setText("http://blog.example.org")
    assert dialog.http_warning.isVisible()
    assert "unencrypted" in dialog.http_warning.text()
    dialog.url.setText(site)
    assert not dialog.http_warning.isVisible()  # loopback

    fill(dialog, site, fake.username, "wrong password")
    text = check(qtbot, dialog)
    assert "refused" in text and "application password" in text
    assert "wrong password" not in text

    fill(dialog, site, fake.username, fake.login_password)  # the login password: REST says no
    assert "refused" in check(qtbot, dialog)

    closed_port = site.rsplit(":", 1)[0] + ":9"
    fill(dialog, closed_port, fake.username, fake.app_password)
    assert "could not be reached" in check(qtbot, dialog)

    fill(dialog, site, fake.username, fake.app_password)
    text = check(qtbot, dialog)
    assert "Fake Blog" in text
    assert "WordPress REST API" in text
    assert fake.username in text

    dialog.add_button.click()
    qtbot.waitUntil(lambda: closed(dialog), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: tree_blogs(window) == ["Fake Blog"], timeout=WAIT_MS)
    ctl = controller(window)
    assert "kept in memory" in close_message_box(qtbot, window)
    assert ctl.secrets.persistent is False

    # the password is in no file the app wrote
    qtbot.waitUntil(lambda: "Fetched posts" in ctl.last_message, timeout=WAIT_MS)
    window.settings.sync()
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert fake.app_password.encode() not in data, path
            assert b"abcd EFGH" not in data, path


def test_publish_from_the_window_reaches_the_blog(qtbot, window, fake, site) -> None:
    add_blog(qtbot, window, site, fake.username, fake.app_password)
    ctl = controller(window)
    type_post(qtbot, window, "Hello from the window", "A *first* post.\n")
    ctl.actions["toggle_outbox"].trigger()
    ctl.actions["publish_now"].trigger()

    row = wait_row(qtbot, window, "Hello from the window", "done")
    (remote,) = remote_posts(fake, "Hello from the window")
    assert remote["status"] == "publish"
    assert "<em>first</em>" in remote["content"]
    assert row.message.startswith(site)  # the post's address on the blog
    assert "Sent to the blog" in ctl.last_message
    # the post moved to the blog's Published folder here too
    qtbot.waitUntil(
        lambda: window.editor_panel.metadata.status.currentData() == "published", timeout=WAIT_MS
    )


def test_offline_the_job_waits_then_goes_through(qtbot, window, fake) -> None:
    with fake.serve() as url:
        add_blog(qtbot, window, url, fake.username, fake.app_password)
    port = int(url.rsplit(":", 1)[1])
    ctl = controller(window)
    ctl.show_outbox()
    type_post(qtbot, window, "Written offline", "Nobody is listening.\n")
    ctl.actions["publish_now"].trigger()

    def waiting_with_error() -> bool:
        row = row_for(window, "Written offline")
        return row is not None and row.state == "pending" and "connect" in row.message

    qtbot.waitUntil(waiting_with_error, timeout=WAIT_MS)
    row = row_for(window, "Written offline")
    r = ctl.panel.row_of(row.job_id)
    assert cell(ctl, r, 3).startswith("Waiting")
    assert "could not connect" in cell(ctl, r, 4)
    qtbot.waitUntil(lambda: "1 waiting" in ctl.status_label.text(), timeout=WAIT_MS)
    assert ctl.status_label.isVisible()
    assert remote_posts(fake, "Written offline") == []

    with fake.serve(port=port):  # back online
        ctl.panel.sync_button.click()
        wait_row(qtbot, window, "Written offline", "done")
        assert len(remote_posts(fake, "Written offline")) == 1
    qtbot.waitUntil(lambda: not ctl.status_label.isVisible(), timeout=WAIT_MS)


def test_a_refused_password_shows_a_clear_error_and_retry_sends(qtbot, window, fake, site) -> None:
    add_blog(qtbot, window, site, fake.username, fake.app_password)
    ctl = controller(window)
    type_post(qtbot, window, "Refused once", "Text.\n")
    fake.inject("401", route="/wp/v2/posts", method="POST")
    ctl.actions["publish_now"].trigger()

    row = wait_row(qtbot, window, "Refused once", "failed")
    assert "did not accept the user name and password" in row.message
    assert ctl.dock.isVisible()  # the outbox opened to show it
    assert "1 failed" in ctl.status_label.text()
    r = ctl.panel.row_of(row.job_id)
    assert cell(ctl, r, 3) == "Failed"
    assert remote_posts(fake, "Refused once") == []

    ctl.panel.select_job(row.job_id)
    assert ctl.panel.retry_button.isEnabled()
    ctl.panel.retry_button.click()
    wait_row(qtbot, window, "Refused once", "done")
    assert len(remote_posts(fake, "Refused once")) == 1


def _conflict_setup(qtbot, window, fake, site, title: str):
    add_blog(qtbot, window, site, fake.username, fake.app_password)
    ctl = controller(window)
    post_id = type_post(qtbot, window, title, "Line one.\n\nLine two.\n")
    ctl.actions["publish_now"].trigger()
    wait_row(qtbot, window, title, "done")
    (remote,) = remote_posts(fake, title)
    # edited on the blog behind the app's back ...
    fake.touch(remote["id"], content="<p>Line one.</p>\n<p>Line two, edited on the blog.</p>")
    # ... and here
    window.editor_panel.editor.setPlainText("Line one.\n\nLine two, edited here.\n")
    qtbot.waitUntil(lambda: not window.autosaver.has_unsaved(), timeout=WAIT_MS)
    ctl.actions["update"].trigger()
    qtbot.waitUntil(
        lambda: ctl.conflict_prompt is not None and ctl.conflict_prompt.isVisible(),
        timeout=WAIT_MS,
    )
    assert "changed on the blog" in ctl.conflict_prompt.text()
    resolve = next(b for b in ctl.conflict_prompt.buttons() if "Resolve" in b.text())
    resolve.click()
    qtbot.waitUntil(
        lambda: ctl.conflict_dialog is not None and ctl.conflict_dialog.isVisible(),
        timeout=WAIT_MS,
    )
    dialog = ctl.conflict_dialog
    qtbot.waitUntil(lambda: dialog.keep_button.isEnabled(), timeout=WAIT_MS)
    assert "edited here" in dialog.local_view.toPlainText()
    assert "edited on the blog" in dialog.remote_view.toPlainText()
    assert "Line two." in dialog.base_view.toPlainText()
    assert "<b>" in dialog.local_view.toHtml() or "font-weight" in dialog.local_view.toHtml()
    return ctl, dialog, post_id, remote["id"]


def test_conflict_keep_mine_sends_my_text(qtbot, window, fake, site) -> None:
    ctl, dialog, _post_id, remote_id = _conflict_setup(qtbot, window, fake, site, "Mine wins")
    dialog.keep_button.click()
    qtbot.waitUntil(lambda: closed(dialog), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "edited here" in fake.posts[remote_id]["content"], timeout=WAIT_MS)
    assert "edited on the blog" not in fake.posts[remote_id]["content"]
    assert "edited here" in window.editor_panel.editor.toPlainText()
    qtbot.waitUntil(lambda: not any(r.state == "conflict" for r in rows(window)), timeout=WAIT_MS)


def test_conflict_take_theirs_puts_the_blog_text_in_the_editor(qtbot, window, fake, site) -> None:
    ctl, dialog, post_id, remote_id = _conflict_setup(qtbot, window, fake, site, "Theirs win")
    requests_before = len(fake.requests_to(f"/wp/v2/posts/{remote_id}", "POST"))
    dialog.theirs_button.click()
    qtbot.waitUntil(lambda: closed(dialog), timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: "edited on the blog" in window.editor_panel.editor.toPlainText(),
        timeout=WAIT_MS,
    )
    assert window.current_post_id() == post_id
    assert "edited on the blog" in fake.posts[remote_id]["content"]
    assert len(fake.requests_to(f"/wp/v2/posts/{remote_id}", "POST")) == requests_before
    qtbot.waitUntil(lambda: not any(r.state == "conflict" for r in rows(window)), timeout=WAIT_MS)


def test_schedule_draft_unpublish_and_trash_on_the_blog(qtbot, window, fake, site) -> None:
    from datetime import UTC, datetime, timedelta

    from PySide6.QtCore import QDateTime, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop_blog.ui.publishing_ui import ScheduleDialog

    add_blog(qtbot, window, site, fake.username, fake.app_password)
    ctl = controller(window)
    status = window.editor_panel.metadata.status

    type_post(qtbot, window, "Kept as a draft there", "Draft text.\n")
    ctl.actions["remote_draft"].trigger()
    wait_row(qtbot, window, "Kept as a draft there", "done")
    assert [p["status"] for p in remote_posts(fake, "Kept as a draft there")] == ["draft"]

    type_post(qtbot, window, "For next week", "Later.\n")
    when = (datetime.now(UTC) + timedelta(days=7)).replace(second=0, microsecond=0)

    def answer_schedule() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ScheduleDialog):
            QTimer.singleShot(20, answer_schedule)
            return
        dialog.date_edit.setDateTime(QDateTime(when.astimezone().replace(tzinfo=None)))
        dialog.accept()

    QTimer.singleShot(0, answer_schedule)
    ctl.actions["schedule"].trigger()
    wait_row(qtbot, window, "For next week", "done")
    (scheduled,) = remote_posts(fake, "For next week")
    assert scheduled["status"] == "future"
    assert scheduled["date_gmt"] == when
    qtbot.waitUntil(lambda: status.currentData() == "scheduled", timeout=WAIT_MS)

    ctl.actions["unpublish"].trigger()
    qtbot.waitUntil(
        lambda: remote_posts(fake, "For next week")[0]["status"] == "draft", timeout=WAIT_MS
    )
    qtbot.waitUntil(lambda: status.currentData() == "draft", timeout=WAIT_MS)

    ctl.actions["trash_remote"].trigger()
    qtbot.waitUntil(
        lambda: remote_posts(fake, "For next week")[0]["status"] == "trash", timeout=WAIT_MS
    )
    qtbot.waitUntil(lambda: status.currentData() == "trash", timeout=WAIT_MS)
    assert "Kept as a draft there" in [p["title"] for p in fake.posts.values()]


def test_a_missing_password_is_asked_once_then_jobs_go(qtbot, window, fake, site) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QInputDialog

    from desktop_blog.core.models import Blog

    ctl = wait_worker(qtbot, window)
    # a blog added earlier (its password was in memory then; this session has none)
    with window.library.session() as s:
        s.add(Blog(name="Fake Blog", kind="wordpress-rest", url=site, username=fake.username))
        s.commit()
    window.tree.refresh()
    type_post(qtbot, window, "Needs the password", "Text.\n")
    asked: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QInputDialog):
            QTimer.singleShot(20, answer)
            return
        asked.append(dialog.labelText())
        dialog.setTextValue(fake.app_password)
        dialog.accept()

    QTimer.singleShot(0, answer)
    ctl.actions["publish_now"].trigger()
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT_MS)
    assert "application password" in asked[0] and fake.username in asked[0]
    assert "kept in memory" in asked[0]  # and why it is asked for
    wait_row(qtbot, window, "Needs the password", "done")
    assert len(remote_posts(fake, "Needs the password")) == 1

    # the password is gone again (changed): asked once per session, so the job waits, saying so
    from types import SimpleNamespace

    ctl.secrets.delete(SimpleNamespace(url=site, username=fake.username))
    ctl.worker.forget_blog(1)
    type_post(qtbot, window, "Waits for a password", "Text.\n")
    ctl.actions["publish_now"].trigger()
    qtbot.waitUntil(lambda: "no password in this session" in ctl.last_message, timeout=WAIT_MS)
    wait_row(qtbot, window, "Waits for a password", "pending")
    assert remote_posts(fake, "Waits for a password") == []
    assert QApplication.activeModalWidget() is None  # not asked again


def test_remove_blog_keeps_its_posts_here(qtbot, window, fake, site) -> None:
    from PySide6.QtWidgets import QMessageBox

    add_blog(qtbot, window, site, fake.username, fake.app_password)
    ctl = controller(window)
    type_post(qtbot, window, "Stays with me", "Mine.\n")
    ctl.actions["publish_now"].trigger()
    wait_row(qtbot, window, "Stays with me", "done")
    seen = answer_next_dialog(lambda box: box.button(QMessageBox.StandardButton.Yes).click())
    ctl.actions["remove_blog"].trigger()
    qtbot.waitUntil(lambda: bool(seen), timeout=WAIT_MS)
    assert "Nothing changes on the blog" in seen[0]
    qtbot.waitUntil(lambda: tree_blogs(window) == [], timeout=WAIT_MS)
    assert "Removed the blog" in ctl.last_message
    assert len(remote_posts(fake, "Stays with me")) == 1  # the blog is untouched
    qtbot.waitUntil(lambda: window.tree.current_post_id() is not None, timeout=WAIT_MS)
    assert window.editor_panel.title.text() == "Stays with me"


def test_outbox_model_changes_only_what_changed(qtbot) -> None:
    from desktop_blog.ui.outbox_panel import OutboxPanel, OutboxRow, OutboxSnapshot

    def row(job_id: int, state: str, message: str = "") -> OutboxRow:
        return OutboxRow(
            job_id, job_id, f"Post {job_id}", "Blog", "publish", "publish", state, 1, message, None
        )

    panel = OutboxPanel()
    qtbot.addWidget(panel)
    panel.show_snapshot(OutboxSnapshot([row(1, "done"), row(2, "pending"), row(3, "pending")], {}))
    first_item = panel.model.item(1, 0)
    panel.show_snapshot(
        OutboxSnapshot([row(2, "failed", "Refused."), row(3, "pending"), row(4, "pending")], {})
    )
    model = panel.model
    assert [model.item(r, 0).text() for r in range(model.rowCount())] == [
        "Post 2",
        "Post 3",
        "Post 4",
    ]
    assert model.item(0, 0) is first_item  # the same row, updated in place
    assert model.item(0, 3).text() == "Failed"
    assert model.item(0, 4).text() == "Refused."
    panel.select_job(2)
    assert panel.retry_button.isEnabled() and not panel.resolve_button.isEnabled()

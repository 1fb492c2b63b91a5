"""The comment inbox in the main window, through its real threads, against the fake WordPress
on loopback: the Comments tab (Ctrl+2) beside the writing (Ctrl+1), unread counts, comment sync,
actions that reach the blog, and a refused action undone with a message."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from desktop_blog.app import open_library_in_window  # noqa: E402
from desktop_blog.core import comments as core  # noqa: E402
from desktop_blog.core import publishing  # noqa: E402
from desktop_blog.core.models import Blog, Comment, Post  # noqa: E402
from desktop_blog.ui.main_window import Act, MainWindow  # noqa: E402
from desktop_blog.ui.post_tree_model import UnreadCommentsRole  # noqa: E402
from desktop_blog.ui.settings import Settings  # noqa: E402
from tests.fakes.wp_fake import WordPressFake  # noqa: E402

WAIT_MS = 20_000

pytestmark = pytest.mark.usefixtures("memory_only_secrets")


@pytest.fixture
def window(qtbot, home: Path) -> Iterator[MainWindow]:
    settings = Settings(home)
    settings.view_mode = "editor"  # no preview: these tests are about the inbox
    settings.sync()
    window = MainWindow(home)
    qtbot.addWidget(window)
    window.features["inbox_ui"].sync_on_start = False
    window.show()
    with qtbot.waitSignal(window.libraryReady, timeout=WAIT_MS):
        open_library_in_window(window)
    window.activateWindow()
    yield window
    ctl = window.features["inbox_ui"]
    if ctl.inbox is not None:
        ctl.inbox.close()


def inbox_ctl(window):
    return window.features["inbox_ui"]


def add_blog(qtbot, window, fake: WordPressFake, site: str) -> tuple[int, int, int]:
    """A blog on the fake server with one post the library knows, its password in the session's
    secret store. Returns (blog id, local post id, remote post id)."""
    remote = fake.add_post(title="Hello", content="<p>Hi</p>", status="publish")
    with window.library.session() as s:
        blog = Blog(
            name="Fake Blog",
            kind="wordpress-rest",
            url=site,
            api_url=site + "/wp-json/",
            username=fake.username,
        )
        s.add(blog)
        s.flush()
        post = Post(blog_id=blog.id, title="Hello", remote_id=str(remote["id"]), status="published")
        s.add(post)
        s.commit()
        blog_id, post_id = blog.id, post.id
        account = publishing.get_blog_account(s, blog_id)
    pub = window.features["publishing_ui"]
    qtbot.waitUntil(lambda: pub.secrets is not None, timeout=WAIT_MS)
    pub.secrets.set(account, fake.app_password)
    return blog_id, post_id, remote["id"]


def sync(qtbot, window):
    ctl = inbox_ctl(window)
    with qtbot.waitSignal(ctl.syncFinished, timeout=WAIT_MS) as signal:
        assert ctl.sync_comments(reconcile=True)
    return signal.args[0]


def local_status(window, remote_id: int) -> str | None:
    with window.library.session() as s:
        c = s.query(Comment).filter(Comment.remote_id == str(remote_id)).first()
        return c.status if c else None


def test_ctrl_2_shows_the_inbox_and_ctrl_1_the_writing(qtbot, window):
    ctl = inbox_ctl(window)
    assert window.centralWidget() is ctl.tabs
    assert ctl.tabs.tabText(0) == "Writing" and not ctl.inbox_shown()
    texts = [a.text() for a in window.view_menu.actions()]
    assert "&Writing" in texts and "Comment &Inbox" in texts and "Sync &Comments" in texts
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    details_shown = window.details.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert ctl.inbox_shown() and ctl.inbox is not None and ctl.inbox.isVisible()
    assert window.editor_panel.isHidden() or not window.editor_panel.isVisible()
    assert not window.details.isVisible()  # the post's details make way for the inbox
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert not ctl.inbox_shown() and window.editor_panel.isVisible()
    assert window.details.isVisible() == details_shown
    # focus mode: only the editor; the tabs go, and come back after
    ctl.show_inbox()
    window.actions_[Act.FOCUS_MODE].trigger()
    assert window.focus_mode and not ctl.inbox_shown() and ctl.tabs.tabBar().isHidden()
    window.actions_[Act.FOCUS_MODE].trigger()
    assert not window.focus_mode and ctl.tabs.tabBar().isVisible()


def test_sync_moderate_and_a_refusal_through_the_window(qtbot, window, fake, site):
    ctl = inbox_ctl(window)
    blog_id, _post_id, remote_post = add_blog(qtbot, window, fake, site)
    first = fake.add_comment(remote_post, "<p>First visitor</p>", author_name="Ada")
    second = fake.add_comment(remote_post, "<p>Second visitor</p>", author_name="Bob")

    result = sync(qtbot, window)
    assert result.errors == [] and result.new == 2
    qtbot.waitUntil(lambda: ctl.unread == 2, timeout=WAIT_MS)
    assert ctl.tabs.tabText(1) == "Comments (2)"
    assert ctl.inbox_action.text() == "Comment &Inbox (2 unread)"
    assert ctl.unread_by_blog == {blog_id: 2}

    ctl.show_inbox()
    inbox = ctl.inbox
    qtbot.waitUntil(lambda: inbox.model.rowCount() == 2, timeout=WAIT_MS)
    assert inbox.filter_buttons["hold"].text() == "Pending (2)"
    authors = {inbox.model.index(r, 0).data() for r in range(2)}
    assert authors == {"Ada", "Bob"}

    # A approves the current comment: here at once, on the blog through the outbox
    row_of = {inbox.model.index(r, 0).data(): r for r in range(2)}
    inbox.select_row(row_of["Bob"])
    inbox.table.setFocus()
    qtbot.keyClick(inbox.table, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: local_status(window, second["id"]) == "approve", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: fake.comments[second["id"]]["status"] == "approve", timeout=WAIT_MS)

    # the other comment is deleted on the blog; spamming it here is refused and undone
    with fake.lock:
        del fake.comments[first["id"]]
    cid = next(
        inbox.model.comment_id(r)
        for r in range(inbox.model.rowCount())
        if inbox.model.index(r, 0).data() == "Ada"
    )
    with qtbot.waitSignal(ctl.messageShown, timeout=WAIT_MS) as shown:
        inbox.apply_status("spam", [cid])
    message = shown.args[0]
    assert "no longer exists on the blog" in message and "undone" in message
    assert message in window.statusBar().currentMessage()
    assert inbox.status_label.text() == message
    qtbot.waitUntil(lambda: local_status(window, first["id"]) == "hold", timeout=WAIT_MS)

    # the next sync drops it here too
    sync(qtbot, window)
    assert local_status(window, first["id"]) is None


def test_reply_from_the_inbox_is_posted_as_the_user(qtbot, window, fake, site):
    ctl = inbox_ctl(window)
    _blog_id, _post_id, remote_post = add_blog(qtbot, window, fake, site)
    question = fake.add_comment(remote_post, "<p>Any news?</p>", author_name="Ada")
    sync(qtbot, window)
    ctl.show_inbox()
    inbox = ctl.inbox
    qtbot.waitUntil(lambda: inbox.model.rowCount() == 1, timeout=WAIT_MS)
    inbox.select_row(0)
    inbox.table.setFocus()
    qtbot.keyClick(inbox.table, Qt.Key.Key_R)
    inbox.reply_box.setPlainText("Yes: **soon**.")
    qtbot.keyClick(inbox.reply_box, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    def posted():
        with fake.lock:
            return [c for c in fake.comments.values() if c["parent"] == question["id"]]

    qtbot.waitUntil(lambda: len(posted()) == 1, timeout=WAIT_MS)
    [reply] = posted()
    assert "<strong>soon</strong>" in reply["content"]
    assert reply["author_name"] == fake.username
    with window.library.session() as s:
        mine = s.query(Comment).filter(Comment.parent_remote_id == str(question["id"])).all()
    qtbot.waitUntil(
        lambda: not core.is_local(_reply_remote(window, question["id"])), timeout=WAIT_MS
    )
    assert len(mine) == 1


def _reply_remote(window, parent_remote: int) -> str:
    with window.library.session() as s:
        c = s.query(Comment).filter(Comment.parent_remote_id == str(parent_remote)).first()
        return c.remote_id


def test_a_failed_sync_is_shown_not_raised(qtbot, window, fake, site):
    ctl = inbox_ctl(window)
    add_blog(qtbot, window, fake, site)
    fake.inject("500", route="/wp/v2/comments", count=50)
    result = sync(qtbot, window)
    assert result.errors and "Fake Blog" in result.errors[0]
    assert window.statusBar().currentMessage().startswith("Comment sync failed for Fake Blog")
    QApplication.processEvents()
    assert ctl.sync_action.isEnabled()


def test_tree_shows_unread_per_blog(qtbot, qtmodeltester, window, fake, site):
    ctl = inbox_ctl(window)
    blog_id, _post_id, remote_post = add_blog(qtbot, window, fake, site)
    fake.add_comment(remote_post, "<p>One</p>")
    window.tree.refresh()
    sync(qtbot, window)
    model = window.tree.model
    qtbot.waitUntil(lambda: ctl.unread_by_blog == {blog_id: 1}, timeout=WAIT_MS)

    def blog_row():
        for r in range(model.rowCount()):
            index = model.index(r, 0, QModelIndex())
            if model.data(index, Qt.ItemDataRole.ToolTipRole) and "unread" in str(
                model.data(index, Qt.ItemDataRole.ToolTipRole)
            ):
                return index
        return None

    qtbot.waitUntil(lambda: blog_row() is not None, timeout=WAIT_MS)
    assert "1 unread comment" in model.data(blog_row(), Qt.ItemDataRole.ToolTipRole)
    assert model.data(blog_row(), UnreadCommentsRole) == 1
    assert model.data(blog_row(), Qt.ItemDataRole.DisplayRole) == "Fake Blog"  # name unchanged
    qtmodeltester.check(model)


def test_comments_on_this_post_filters_the_inbox(qtbot, window, fake, site):
    ctl = inbox_ctl(window)
    blog_id, post_id, remote_post = add_blog(qtbot, window, fake, site)
    other = fake.add_post(title="Another", content="<p>Other</p>", status="publish")
    with window.library.session() as s:
        s.add(
            Post(blog_id=blog_id, title="Another", remote_id=str(other["id"]), status="published")
        )
        s.commit()
    fake.add_comment(remote_post, "<p>About hello</p>")
    fake.add_comment(other["id"], "<p>About another</p>")
    window.tree.refresh()
    sync(qtbot, window)
    window.tree.select_post(post_id)
    qtbot.waitUntil(lambda: window.current_post_id() == post_id, timeout=WAIT_MS)
    action = ctl.post_comments_action
    assert action in window.post_menu.actions() and action.isEnabled()
    assert action in window.tree._actions  # also on the tree's right-click menu
    action.trigger()
    assert ctl.inbox_shown()
    inbox = ctl.inbox
    inbox.set_status_filter(None)  # every state
    qtbot.waitUntil(lambda: inbox.model.rowCount() == 1, timeout=WAIT_MS)
    assert inbox.post_label.isVisible() and "Hello" in inbox.post_label.text()
    # The post's label clears the filter: both comments again.
    inbox.post_label.click()
    qtbot.waitUntil(lambda: inbox.model.rowCount() == 2, timeout=WAIT_MS)

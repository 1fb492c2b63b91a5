"""Comments against the real WordPress (fixture `wordpress`): visitors comment through
wp-comments-post.php, the app syncs, moderates and replies through the outbox, and a comment
deleted on the server while the app was offline is undone here with a message.

Visitors post from different loopback addresses (127.0.0.N: the client binds its source
address), so WordPress's 15-second comment flood check, which looks at the visitor's IP and
e-mail, does not refuse them.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from desktop_blog.core import comments, db, outbox
from desktop_blog.core.models import Blog, Comment, Post, utcnow
from desktop_blog.publish.sync import SyncEngine
from desktop_blog.publish.wordpress_rest import WordPressRestConnector
from desktop_blog.publish.xmlrpc import XmlRpcConnector
from tests.integration.site_helpers import unique

_visitor = iter(range(20, 250))


def visitor_comment(wordpress, post_id: int, text: str, name: str) -> None:
    """A visitor's comment through the site's form handler, from an address of its own."""
    address = f"127.0.0.{next(_visitor)}"
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(base_url=wordpress.url, transport=transport, trust_env=False) as visitor:
        sent = visitor.post(
            "/wp-comments-post.php",
            data={
                "comment": text,
                "author": name,
                "email": f"{name.lower()}-{uuid.uuid4().hex[:6]}@example.invalid",
                "url": "",
                "comment_post_ID": str(post_id),
            },
        )
    assert sent.status_code == 302, sent.text[:500]


@pytest.fixture
def setup(tmp_path: Path, wordpress, api, client):
    """A library with the blog and a post published on it; returns (lib, engine, blog id,
    remote post id, connector factory)."""
    made = api.post("wp/v2/posts", json={"title": unique("Comment here"), "status": "publish"})
    assert made.status_code == 201, made.text
    remote_post = made.json()["id"]
    lib = db.open_library(tmp_path / "lib")
    with lib.session() as s:
        blog = Blog(
            name="Real",
            kind="wordpress-rest",
            url=wordpress.url,
            api_url=wordpress.rest_url,
            username=wordpress.user,
        )
        s.add(blog)
        s.flush()
        s.add(Post(blog_id=blog.id, title="Comment here", remote_id=str(remote_post)))
        s.commit()
        blog_id = blog.id

    def factory(account):
        return WordPressRestConnector(
            client, account.api_url, wordpress.user, wordpress.app_password
        )

    engine = SyncEngine(lib, factory)
    yield lib, engine, blog_id, remote_post, factory
    lib.close()


def local_by_text(lib, remote_post: int) -> dict[str, Comment]:
    with lib.session() as s:
        rows = s.scalars(select(Comment).where(Comment.remote_post_id == str(remote_post))).all()
        for row in rows:
            s.expunge(row)
    return {c.content.strip(): c for c in rows}


def server_comment(api, remote_id: str) -> dict | None:
    got = api.get(f"wp/v2/comments/{remote_id}", params={"context": "edit"})
    if got.status_code == 404:
        return None
    assert got.status_code == 200, got.text
    return got.json()


def test_visitors_comments_arrive_pending_and_moderation_reaches_the_server(wordpress, api, setup):
    lib, engine, blog_id, remote_post, _factory = setup
    texts = [unique(word) for word in ("Approve me", "Spam me", "Trash me")]
    for text, name in zip(texts, ("Ada", "Bob", "Cy"), strict=True):
        visitor_comment(wordpress, remote_post, text, name)

    report = engine.pull_comments(blog_id)
    assert report.new >= 3
    found = local_by_text(lib, remote_post)
    assert set(texts) <= set(found)
    assert all(found[t].status == comments.HOLD and not found[t].is_read for t in texts)
    with lib.session() as s:
        flt = comments.CommentFilter(status=comments.HOLD, blog_id=blog_id)
        pending_ids = set(comments.comment_ids(s, flt, 0, 500))
    assert {found[t].id for t in texts} <= pending_ids  # shown under "Pending"

    approve, spam, trash = (found[t] for t in texts)
    with lib.session() as s:
        comments.apply_action(s, [approve.id], "approve")
        comments.apply_action(s, [spam.id], "spam")
        comments.apply_action(s, [trash.id], "trash")
        reply_id = comments.queue_reply(s, approve.id, "Thank you, **Ada**.")
    report = engine.run_outbox()
    assert [o.state for o in report.ran] == [outbox.DONE] * 4, [o.message for o in report.ran]

    assert server_comment(api, approve.remote_id)["status"] == "approved"
    assert server_comment(api, spam.remote_id)["status"] == "spam"
    assert server_comment(api, trash.remote_id)["status"] == "trash"
    with lib.session() as s:
        reply = s.get(Comment, reply_id)
        assert not comments.is_local(reply.remote_id)
        reply_remote = reply.remote_id
    on_server = server_comment(api, reply_remote)
    assert on_server["parent"] == int(approve.remote_id)
    assert on_server["post"] == remote_post and on_server["status"] == "approved"
    assert "<strong>Ada</strong>" in on_server["content"]["raw"]
    me = api.get("wp/v2/users/me").json()
    assert on_server["author"] == me["id"]  # posted as the blog's user

    # a sync afterwards keeps all of it, with no second copy of the reply
    engine.pull_comments(blog_id)
    after = local_by_text(lib, remote_post)
    assert after[texts[0]].status == "approve" and after[texts[1]].status == "spam"
    assert after[texts[2]].status == "trash"
    with lib.session() as s:
        assert s.query(Comment).filter(Comment.remote_id == reply_remote).count() == 1


def test_deleted_on_the_server_while_offline(wordpress, api, setup, client):
    lib, _engine, blog_id, remote_post, factory = setup
    text = unique("Deleted while you were away")
    visitor_comment(wordpress, remote_post, text, "Dee")
    SyncEngine(lib, factory).pull_comments(blog_id)
    comment = local_by_text(lib, remote_post)[text]

    # offline: the blog cannot be reached, the approval waits in the outbox
    def unreachable(account):
        dead = httpx.Client(transport=httpx.MockTransport(_refuse_connection), trust_env=False)
        return WordPressRestConnector(dead, account.api_url, wordpress.user, "x")

    offline = SyncEngine(lib, unreachable, recover=False)
    with lib.session() as s:
        comments.apply_action(s, [comment.id], "approve")
    [waiting] = offline.run_outbox().ran
    assert waiting.state == outbox.PENDING
    assert local_by_text(lib, remote_post)[text].status == "approve"

    # meanwhile the comment is deleted on the server
    gone = api.delete(f"wp/v2/comments/{comment.remote_id}", params={"force": "true"})
    assert gone.status_code == 200, gone.text

    # back online, after the retry time: refused, set back, and the user is told why
    online = SyncEngine(lib, factory, recover=False, clock=lambda: utcnow() + timedelta(hours=1))
    [refused] = online.run_outbox().ran
    assert refused.state == outbox.CANCELLED
    assert "no longer exists on the blog" in refused.message
    assert local_by_text(lib, remote_post)[text].status == comments.HOLD
    with lib.session() as s:
        [notice] = [n for n in comments.take_notices(s) if n.comment_id == comment.id]
    assert "undone" in notice.message

    # the next sync removes it here
    report = online.pull_comments(blog_id)
    assert report.removed >= 1
    assert text not in local_by_text(lib, remote_post)


def test_xmlrpc_sync_sees_the_same_comments(wordpress, api, setup, client):
    lib, _engine, blog_id, remote_post, _factory = setup
    text = unique("Over XML-RPC")
    visitor_comment(wordpress, remote_post, text, "Xena")

    def factory(account):
        return XmlRpcConnector(client, wordpress.xmlrpc_url, wordpress.user, wordpress.app_password)

    engine = SyncEngine(lib, factory)
    engine.pull_comments(blog_id)
    comment = local_by_text(lib, remote_post)[text]
    assert comment.status == comments.HOLD
    with lib.session() as s:
        comments.apply_action(s, [comment.id], "approve")
    [done] = engine.run_outbox().ran
    assert done.state == outbox.DONE, done.message
    assert server_comment(api, comment.remote_id)["status"] == "approved"


def _refuse_connection(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


# --- the same through the window ---------------------------------------------------------------


@pytest.fixture
def window(qtbot, home, monkeypatch):
    """The app's main window on a library of its own, passwords kept in memory."""

    from desktop_blog.app import open_library_in_window
    from desktop_blog.core import secrets as core_secrets
    from desktop_blog.ui.main_window import MainWindow
    from desktop_blog.ui.settings import Settings
    from tests.blog_fixtures import MemoryOnlyStore

    monkeypatch.setattr(core_secrets, "SecretStore", MemoryOnlyStore)
    settings = Settings(home)
    settings.view_mode = "editor"
    settings.sync()
    win = MainWindow(home)
    qtbot.addWidget(win)
    win.features["inbox_ui"].sync_on_start = False
    win.show()
    with qtbot.waitSignal(win.libraryReady, timeout=20_000):
        open_library_in_window(win)
    yield win
    ctl = win.features["inbox_ui"]
    if ctl.inbox is not None:
        ctl.inbox.close()


def test_moderation_and_reply_from_the_window_reach_the_server(qtbot, wordpress, api, window):
    from PySide6.QtCore import Qt

    from desktop_blog.core import publishing

    made = api.post("wp/v2/posts", json={"title": unique("From the window"), "status": "publish"})
    assert made.status_code == 201, made.text
    remote_post = made.json()["id"]
    texts = {word: unique(word) for word in ("Approve", "Spam", "Trash")}
    for word, text in texts.items():
        visitor_comment(wordpress, remote_post, text, word)
    with window.library.session() as s:
        blog = Blog(
            name="Real",
            kind="wordpress-rest",
            url=wordpress.url,
            api_url=wordpress.rest_url,
            username=wordpress.user,
        )
        s.add(blog)
        s.flush()
        post = Post(blog_id=blog.id, title="From the window", remote_id=str(remote_post))
        s.add(post)
        s.commit()
        account = publishing.get_blog_account(s, blog.id)
        post_id = post.id
    pub = window.features["publishing_ui"]
    qtbot.waitUntil(lambda: pub.secrets is not None, timeout=20_000)
    pub.secrets.set(account, wordpress.app_password)

    ctl = window.features["inbox_ui"]
    with qtbot.waitSignal(ctl.syncFinished, timeout=60_000) as synced:
        ctl.sync_action.trigger()  # View > Sync Comments
    assert synced.args[0].errors == []
    ctl.show_inbox()
    inbox = ctl.inbox
    inbox.set_post_filter(post_id, "From the window")
    qtbot.waitUntil(lambda: inbox.model.rowCount() == 3, timeout=20_000)
    assert inbox.filter_buttons["hold"].text() == "Pending (3)"  # the visitors' comments

    def row_of(author: str) -> int:
        return next(
            r for r in range(inbox.model.rowCount()) if inbox.model.index(r, 0).data() == author
        )

    def remote_of(author: str) -> str:
        with window.library.session() as s:
            c = s.scalars(
                select(Comment).where(
                    Comment.remote_post_id == str(remote_post), Comment.author_name == author
                )
            ).one()
            return c.remote_id

    ids = {word: remote_of(word) for word in texts}
    for word, key in (("Approve", Qt.Key.Key_A), ("Spam", Qt.Key.Key_S), ("Trash", Qt.Key.Key_D)):
        inbox.set_status_filter(None)
        qtbot.waitUntil(lambda: inbox.model.rowCount() == 3, timeout=20_000)
        inbox.select_row(row_of(word))
        inbox.table.setFocus()
        qtbot.keyClick(inbox.table, key)
    want = {"Approve": "approved", "Spam": "spam", "Trash": "trash"}
    qtbot.waitUntil(
        lambda: all(server_comment(api, ids[w])["status"] == s for w, s in want.items()),
        timeout=60_000,
    )

    inbox.set_status_filter("approve")
    qtbot.waitUntil(lambda: inbox.model.rowCount() == 1, timeout=20_000)
    inbox.select_row(0)
    inbox.table.setFocus()
    qtbot.keyClick(inbox.table, Qt.Key.Key_R)
    inbox.reply_box.setPlainText("Thanks from the *desktop*.")
    qtbot.keyClick(inbox.reply_box, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    def replies():
        got = api.get(
            "wp/v2/comments",
            params={"post": remote_post, "parent": ids["Approve"], "context": "edit"},
        )
        return got.json()

    qtbot.waitUntil(lambda: len(replies()) == 1, timeout=60_000)
    [reply] = replies()
    assert "<em>desktop</em>" in reply["content"]["raw"]
    assert reply["author"] == api.get("wp/v2/users/me").json()["id"]

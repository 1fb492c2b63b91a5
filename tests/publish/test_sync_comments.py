"""Comment sync and comment actions through the outbox, against the fake WordPress (REST and
XML-RPC): what the user sees in the library, and what the blog ends up with."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from desktop_blog.core import comments, db, outbox
from desktop_blog.core.models import Blog, Comment, Post
from desktop_blog.publish.sync import SyncEngine
from desktop_blog.publish.wordpress_rest import WordPressRestConnector
from desktop_blog.publish.xmlrpc import XmlRpcConnector
from tests.fakes.wp_fake import WordPressFake

SITE = "http://blog.test"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: int = 60) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock) -> WordPressFake:
    return WordPressFake(clock=clock)


@pytest.fixture
def client(fake) -> Iterator[httpx.Client]:
    with httpx.Client(transport=fake.transport(), base_url=SITE) as c:
        yield c


@pytest.fixture(params=["wordpress-rest", "xmlrpc"])
def kind(request) -> str:
    return request.param


@pytest.fixture
def lib(tmp_path: Path) -> Iterator[db.Library]:
    lib = db.open_library(tmp_path)
    yield lib
    lib.close()


@pytest.fixture
def setup(lib, fake, client, kind, clock):
    """A blog with one post that the library knows (local id in the tuple)."""
    remote_post = fake.add_post(title="Hello", content="<p>Hi</p>", status="publish")
    with lib.session() as s:
        blog = Blog(name="Fake", kind=kind, url=SITE, username=fake.username)
        blog.api_url = f"{SITE}/wp-json/" if kind == "wordpress-rest" else f"{SITE}/xmlrpc.php"
        s.add(blog)
        s.flush()
        post = Post(blog_id=blog.id, title="Hello", remote_id=str(remote_post["id"]))
        s.add(post)
        s.commit()
        blog_id, post_id = blog.id, post.id

    def factory(account):
        if kind == "xmlrpc":
            return XmlRpcConnector(client, account.api_url, fake.username, fake.app_password)
        return WordPressRestConnector(client, account.api_url, fake.username, fake.app_password)

    engine = SyncEngine(lib, factory, clock=clock)
    return engine, blog_id, post_id, remote_post["id"]


def local(lib, remote_id) -> Comment | None:
    with lib.session() as s:
        c = s.scalars(select(Comment).where(Comment.remote_id == str(remote_id))).first()
        if c is not None:
            s.expunge(c)
        return c


def local_id(lib, remote_id) -> int:
    c = local(lib, remote_id)
    assert c is not None
    return c.id


def test_first_pull_takes_every_state_attached_to_the_local_post(lib, fake, setup, clock):
    engine, blog_id, post_id, remote_post = setup
    made = {}
    for status in ("hold", "approve", "spam", "trash"):
        clock.tick()
        made[status] = fake.add_comment(remote_post, f"<p>{status} one</p>", status=status)
    report = engine.pull_comments(blog_id)
    assert report.new == 4
    for status, c in made.items():
        row = local(lib, c["id"])
        assert row.status == status and row.post_id == post_id and not row.is_read
    with lib.session() as s:
        assert comments.filter_counts(s)["hold"] == 1
        assert comments.unread_total(s) == 2  # spam and trash are not counted


def test_later_pulls_ask_only_for_what_is_newer(lib, fake, setup, clock, kind):
    engine, blog_id, _post_id, remote_post = setup
    for i in range(3):
        clock.tick()
        fake.add_comment(remote_post, f"<p>old {i}</p>")
    engine.pull_comments(blog_id, reconcile=False)
    clock.tick()
    new = fake.add_comment(remote_post, "<p>new one</p>")
    fake.log.clear()
    report = engine.pull_comments(blog_id, reconcile=False)
    assert (report.new, local(lib, new["id"]).content) == (1, "<p>new one</p>")
    if kind == "wordpress-rest":
        listed = [e for e in fake.log if "comments" in e.target]
        assert listed and all("after" in e.query for e in listed)


def test_reconcile_takes_moderation_and_deletion_made_elsewhere(lib, fake, setup, clock):
    engine, blog_id, _post_id, remote_post = setup
    clock.tick()
    a = fake.add_comment(remote_post, "<p>a</p>")
    clock.tick()
    b = fake.add_comment(remote_post, "<p>b</p>")
    engine.pull_comments(blog_id)
    with fake.lock:
        fake.comments[a["id"]]["status"] = "approve"
        del fake.comments[b["id"]]
    report = engine.pull_comments(blog_id)
    assert (report.status_changed, report.removed) == (1, 1)
    assert local(lib, a["id"]).status == "approve"
    assert local(lib, b["id"]) is None


def test_actions_go_through_the_outbox_and_reach_the_blog(lib, fake, setup, clock):
    engine, blog_id, _post_id, remote_post = setup
    made = []
    for i in range(4):
        clock.tick()
        made.append(fake.add_comment(remote_post, f"<p>c{i}</p>"))
    engine.pull_comments(blog_id)
    ids = [local_id(lib, c["id"]) for c in made]
    with lib.session() as s:
        comments.apply_action(s, [ids[0]], "approve")
        comments.apply_action(s, [ids[1]], "spam")
        comments.apply_action(s, [ids[2]], "trash")
        comments.delete_forever(s, [ids[3]])
        # applied here at once, each with its job in the outbox
        assert [s.get(Comment, i).status for i in ids[:3]] == ["approve", "spam", "trash"]
        assert s.get(Comment, ids[3]) is None
        assert {j.operation for j in outbox.list_jobs(s)} == {
            comments.OP_STATUS,
            comments.OP_DELETE,
        }
    report = engine.run_outbox()
    assert [o.state for o in report.ran] == ["done"] * 4
    with fake.lock:
        assert [fake.comments[c["id"]]["status"] for c in made[:3]] == ["approve", "spam", "trash"]
        assert made[3]["id"] not in fake.comments
    # restore and not spam give back the state before
    with lib.session() as s:
        comments.apply_action(s, [ids[2]], "restore")
        comments.apply_action(s, [ids[1]], "not_spam")
        assert s.get(Comment, ids[2]).status == "hold"
        assert s.get(Comment, ids[1]).status == "hold"
    engine.run_outbox()
    with fake.lock:
        assert fake.comments[made[2]["id"]]["status"] == "hold"
        assert fake.comments[made[1]["id"]]["status"] == "hold"


def test_undo_before_the_job_ran_sends_nothing(lib, fake, setup, clock):
    engine, blog_id, _post_id, remote_post = setup
    clock.tick()
    c = fake.add_comment(remote_post, "<p>x</p>")
    engine.pull_comments(blog_id)
    cid = local_id(lib, c["id"])
    with lib.session() as s:
        previous = comments.moderate(s, [cid], "spam")
        comments.moderate_each(s, previous)
        assert outbox.counts(s)["pending"] == 0
    fake.log.clear()
    assert engine.run_outbox().ran == []


def test_reply_is_rendered_posted_as_the_user_and_takes_the_blog_id(lib, fake, setup, clock):
    engine, blog_id, post_id, remote_post = setup
    clock.tick()
    c = fake.add_comment(remote_post, "<p>Question?</p>")
    engine.pull_comments(blog_id)
    with lib.session() as s:
        reply_id = comments.queue_reply(s, local_id(lib, c["id"]), "Thanks, *really*.")
        reply = s.get(Comment, reply_id)
        assert comments.is_local(reply.remote_id) and reply.status == "approve"
        assert reply.author_name == fake.username and reply.post_id == post_id
    [outcome] = engine.run_outbox().ran
    assert outcome.state == "done"
    with fake.lock:
        [posted] = [x for x in fake.comments.values() if x["parent"] == c["id"]]
    assert "<em>really</em>" in posted["content"]
    assert posted["author_name"] == fake.username
    with lib.session() as s:
        assert s.get(Comment, reply_id).remote_id == str(posted["id"])
    # the next sync knows it: no second copy
    engine.pull_comments(blog_id)
    with lib.session() as s:
        assert s.query(Comment).filter(Comment.parent_remote_id == str(c["id"])).count() == 1


def test_edit_reaches_the_blog(lib, fake, setup, clock):
    engine, blog_id, _post_id, remote_post = setup
    clock.tick()
    c = fake.add_comment(remote_post, "<p>tpyo</p>")
    engine.pull_comments(blog_id)
    with lib.session() as s:
        comments.edit_content(s, local_id(lib, c["id"]), "<p>typo</p>")
    engine.run_outbox()
    with fake.lock:
        assert fake.comments[c["id"]]["content"] == "<p>typo</p>"


def test_deleted_on_the_blog_while_offline_is_undone_here_with_a_message(lib, fake, setup, clock):
    engine, blog_id, _post_id, remote_post = setup
    clock.tick()
    c = fake.add_comment(remote_post, "<p>soon gone</p>")
    clock.tick()
    other = fake.add_comment(remote_post, "<p>stays</p>")
    engine.pull_comments(blog_id)
    cid, other_id = local_id(lib, c["id"]), local_id(lib, other["id"])
    with lib.session() as s:
        comments.moderate(s, [cid], "approve")
        comments.moderate(s, [other_id], "spam")
    with fake.lock:
        del fake.comments[c["id"]]
    report = engine.run_outbox()
    refused, done = report.ran
    assert refused.state == outbox.CANCELLED and done.state == outbox.DONE  # the rest goes on
    assert "no longer exists on the blog" in refused.message and "undone" in refused.message
    assert local(lib, c["id"]).status == "hold"  # set back
    with lib.session() as s:
        [notice] = comments.take_notices(s)
        assert notice.comment_id == cid and "no longer exists" in notice.message
        assert comments.take_notices(s) == []  # told once
    engine.pull_comments(blog_id)
    assert local(lib, c["id"]) is None  # the next sync drops it


def test_offline_actions_wait_and_a_pull_does_not_undo_them(lib, fake, setup, clock, kind):
    engine, blog_id, _post_id, remote_post = setup
    clock.tick()
    c = fake.add_comment(remote_post, "<p>wait</p>")
    engine.pull_comments(blog_id)
    cid = local_id(lib, c["id"])
    with lib.session() as s:
        comments.moderate(s, [cid], "approve")
    if kind == "xmlrpc":
        fake.inject("502", route="xmlrpc:wp.editComment")
    else:
        fake.inject("502", route="/wp/v2/comments", method="POST")
    [outcome] = engine.run_outbox().ran
    assert outcome.state == outbox.PENDING  # waits for its retry; nothing undone
    engine.pull_comments(blog_id)  # the blog still says "hold": the waiting change stays
    assert local(lib, c["id"]).status == "approve"
    clock.tick(3600)
    [outcome] = engine.run_outbox().ran
    assert outcome.state == outbox.DONE
    with fake.lock:
        assert fake.comments[c["id"]]["status"] == "approve"


def test_a_refused_reply_is_removed_and_the_user_told(lib, fake, setup, clock):
    engine, blog_id, _post_id, remote_post = setup
    clock.tick()
    c = fake.add_comment(remote_post, "<p>q</p>")
    engine.pull_comments(blog_id)
    with lib.session() as s:
        reply_id = comments.queue_reply(s, local_id(lib, c["id"]), "answer")
    with fake.lock:
        del fake.posts[remote_post]
    [outcome] = engine.run_outbox().ran
    assert outcome.state == outbox.CANCELLED and "reply" in outcome.message.lower()
    with lib.session() as s:
        assert s.get(Comment, reply_id) is None


def test_a_wrong_or_missing_password_keeps_the_change_waiting(lib, fake, setup, clock, kind):
    engine, blog_id, _post_id, remote_post = setup
    clock.tick()
    c = fake.add_comment(remote_post, "<p>x</p>")
    engine.pull_comments(blog_id)
    cid = local_id(lib, c["id"])
    with lib.session() as s:
        comments.moderate(s, [cid], "approve")

    def wrong_password(account):
        conn = engine._factory(account)  # noqa: SLF001 - the same connector, another password
        conn_type = type(conn)
        return conn_type(conn._client, account.api_url, fake.username, "wrong password")  # noqa: SLF001

    def no_password(account):
        raise LookupError("no password for the blog")

    for factory in (wrong_password, no_password):
        other = SyncEngine(lib, factory, recover=False, clock=clock)
        [outcome] = other.run_outbox().ran
        assert outcome.state == outbox.PENDING, outcome.message
        assert local(lib, c["id"]).status == "approve"  # not undone
        clock.tick(3600)
    [outcome] = engine.run_outbox().ran
    assert outcome.state == outbox.DONE
    with fake.lock:
        assert fake.comments[c["id"]]["status"] == "approve"


def test_a_refused_reply_gives_its_text_back(lib, fake, setup, clock):
    engine, blog_id, _post_id, remote_post = setup
    clock.tick()
    c = fake.add_comment(remote_post, "<p>q</p>")
    engine.pull_comments(blog_id)
    with lib.session() as s:
        comments.queue_reply(s, local_id(lib, c["id"]), "My *careful* answer")
    with fake.lock:
        del fake.posts[remote_post]
    [outcome] = engine.run_outbox().ran
    assert "My *careful* answer" in outcome.message


def test_comments_of_a_post_pulled_later_are_attached_to_it(lib, fake, setup, clock):
    engine, blog_id, _post_id, _remote_post = setup
    other = fake.add_post(title="Elsewhere", content="<p>x</p>", status="publish")
    clock.tick()
    c = fake.add_comment(other["id"], "<p>on a post not here yet</p>")
    clock.tick()
    fake.add_comment(_remote_post, "<p>a later one, elsewhere</p>")
    engine.pull_comments(blog_id)
    assert local(lib, c["id"]).post_id is None
    with lib.session() as s:
        post = Post(blog_id=blog_id, title="Elsewhere", remote_id=str(other["id"]))
        s.add(post)
        s.commit()
        new_post = post.id
    report = engine.pull_comments(blog_id, reconcile=False)
    assert report.attached == 1 and local(lib, c["id"]).post_id == new_post


def test_a_blog_without_comment_methods_is_not_an_error(lib, tmp_path):
    fake = WordPressFake(wp_xmlrpc_methods=False)
    with httpx.Client(transport=fake.transport(), base_url=SITE) as client:
        with lib.session() as s:
            blog = Blog(name="Old", kind="xmlrpc", url=SITE, username=fake.username)
            blog.api_url = f"{SITE}/xmlrpc.php"
            s.add(blog)
            s.commit()
            blog_id = blog.id

        def factory(account):
            return XmlRpcConnector(client, account.api_url, fake.username, fake.app_password)

        report = SyncEngine(lib, factory).pull_comments(blog_id)
    assert report.unsupported and report.new == 0

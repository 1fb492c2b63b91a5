"""One contract, two connectors: the same flows through REST and XML-RPC against the fake blog
(in process, httpx.WSGITransport), so that the sync code can treat them alike."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from desktop_blog.publish.base import Connector, PostPayload, payload_from_post, resolve_duplicates
from desktop_blog.publish.errors import Conflict, NotFound, ValidationError
from desktop_blog.publish.wordpress_rest import WordPressRestConnector
from desktop_blog.publish.xmlrpc import XmlRpcConnector
from tests.fakes.wp_fake import WordPressFake

SITE = "http://blog.test"


def make_rest(fake: WordPressFake) -> Connector:
    client = httpx.Client(transport=fake.transport())
    return WordPressRestConnector(client, f"{SITE}/wp-json/", fake.username, fake.app_password)


def make_rest_route(fake: WordPressFake) -> Connector:
    client = httpx.Client(transport=fake.transport())
    return WordPressRestConnector(client, f"{SITE}/?rest_route=/", fake.username, fake.app_password)


def make_xmlrpc(fake: WordPressFake) -> Connector:
    client = httpx.Client(transport=fake.transport())
    return XmlRpcConnector(client, f"{SITE}/xmlrpc.php", fake.username, fake.app_password)


CONNECTORS: dict[str, Callable[[WordPressFake], Connector]] = {
    "rest": make_rest,
    "rest_route": make_rest_route,
    "xmlrpc": make_xmlrpc,
}


@pytest.fixture
def fake() -> WordPressFake:
    return WordPressFake()


@pytest.fixture(params=list(CONNECTORS))
def connector(request, fake) -> Connector:
    return CONNECTORS[request.param](fake)


def key() -> str:
    return str(uuid.uuid4())


def test_publish_update_and_trash(connector, fake):
    category = connector.create_term("categories", "Writing")
    tag = connector.create_term("tags", "markdown")
    media = connector.upload_media("desk.png", b"\x89PNG fake", "image/png")
    payload = PostPayload(
        "Hello",
        "<p>line one\nline two</p>",
        excerpt="Short.",
        status="publish",
        categories=[category.id],
        tags=[tag.id],
        featured_media=media.id,
    )
    created = connector.create_post(payload, key())
    assert created.status == "publish" and created.slug == "hello"
    assert (created.categories, created.tags, created.featured_media) == (
        [category.id],
        [tag.id],
        media.id,
    )
    assert connector.get_post(created.id) == created
    stored = fake.posts[created.id]
    assert stored["content"].startswith("<p>line one\nline two</p><!-- desktop-blog:")

    changed = payload_from_post(created, title="Hello again", featured_media=None)
    updated = connector.update_post(created.id, changed, expected_modified=created.modified_gmt)
    assert updated.title == "Hello again" and updated.featured_media is None
    assert updated.marker is None and "desktop-blog" not in fake.posts[created.id]["content"]

    connector.delete_post(created.id)
    assert connector.get_post(created.id).status == "trash"
    connector.delete_post(created.id)  # already in the trash: done, and not deleted for good
    assert created.id in fake.posts
    connector.delete_post(created.id, force=True)
    assert created.id not in fake.posts
    connector.delete_post(created.id, force=True)
    with pytest.raises(NotFound):
        connector.get_post(created.id)


def edit_in_the_same_second(fake: WordPressFake, post_id: int, **changes) -> None:
    """An edit on the blog that leaves `modified_gmt` as it was: WordPress keeps whole seconds,
    so an edit made in the second of our own write looks unmodified."""
    with fake.lock:
        fake.posts[post_id].update(changes)


@pytest.mark.parametrize("changed", ["content", "title"])
def test_an_edit_in_the_same_second_is_a_conflict_when_the_base_text_is_given(
    connector, fake, changed
):
    created = connector.create_post(PostPayload("Mine", "<p>base</p>", status="publish"), key())
    base = (created.title, created.content_html)
    theirs = {"content": "<p>theirs</p>", "title": "Their title"}[changed]
    edit_in_the_same_second(fake, created.id, **{changed: theirs})
    mine = PostPayload("Mine", "<p>mine</p>", status="publish")
    with pytest.raises(Conflict) as info:
        connector.update_post(created.id, mine, created.modified_gmt, expected_text=base)
    assert fake.posts[created.id][changed] == theirs  # nothing overwritten
    assert info.value.remote is not None
    assert info.value.remote_modified == info.value.expected_modified
    # spacing, a trimmed title and entities are not changes; an unknown base HTML is not checked
    edit_in_the_same_second(fake, created.id, title="Mine", content="<p>base</p>")
    spaced = (" Mine ", "<p>base</p>\n")
    connector.update_post(created.id, mine, created.modified_gmt, expected_text=spaced)
    assert fake.posts[created.id]["content"] == "<p>mine</p>"
    now = connector.get_post(created.id)
    edit_in_the_same_second(fake, created.id, content="<p>other</p>")
    connector.update_post(
        created.id, mine, now.modified_gmt, expected_text=("Mine", None)
    )  # the HTML of the last sync unknown: only the title is compared
    assert fake.posts[created.id]["content"] == "<p>mine</p>"


def test_conflict_when_edited_on_the_blog(connector, fake):
    created = connector.create_post(PostPayload("Mine", "<p>base</p>", status="publish"), key())
    fake.touch(created.id, content="<p>theirs</p>")  # someone edits it in wp-admin
    with pytest.raises(Conflict) as info:
        connector.update_post(
            created.id, PostPayload("Mine", "<p>mine</p>", status="publish"), created.modified_gmt
        )
    assert fake.posts[created.id]["content"] == "<p>theirs</p>"  # nothing overwritten
    remote = info.value.remote
    assert remote is not None and remote.content_html == "<p>theirs</p>"
    assert info.value.remote_modified > info.value.expected_modified
    # "keep mine": the user decides to overwrite
    connector.update_post(
        created.id, PostPayload("Mine", "<p>mine</p>", status="publish"), remote.modified_gmt
    )
    assert fake.posts[created.id]["content"] == "<p>mine</p>"


def test_scheduled_draft_and_page(connector):
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    scheduled = connector.create_post(
        PostPayload("Later", "<p>x</p>", status="future", date_gmt=when), key()
    )
    assert scheduled.status == "future" and scheduled.date_gmt == when
    draft = connector.create_post(PostPayload("Draft", "<p>x</p>"), key())
    assert draft.status == "draft"
    page = connector.create_post(
        PostPayload("About", "<p>me</p>", kind="page", status="publish"), key()
    )
    assert page.kind == "page" and connector.get_post(page.id, kind="page").title == "About"
    with pytest.raises(NotFound):
        connector.get_post(page.id, kind="post")


def test_list_posts_since_and_find_by_marker(connector, fake):
    old = fake.add_post(title="Old", modified_gmt=datetime(2020, 1, 1, tzinfo=UTC))
    marker_key = key()
    new = connector.create_post(PostPayload("New", "<p>x</p>"), marker_key)
    everything = {p.id for p in connector.list_posts()}
    assert {old["id"], new.id} <= everything
    since = {p.id for p in connector.list_posts(modified_after=datetime(2021, 1, 1, tzinfo=UTC))}
    assert new.id in since and old["id"] not in since
    assert connector.find_post_by_marker(marker_key).id == new.id
    connector.delete_post(new.id)
    assert connector.find_post_by_marker(marker_key).status == "trash"  # found in the trash too
    assert connector.find_post_by_marker(key()) is None


def test_resolve_duplicates_keeps_the_oldest(connector, fake):
    shared = key()
    first = connector.create_post(PostPayload("Twice", "<p>x</p>"), shared)
    second = connector.create_post(PostPayload("Twice", "<p>x</p>"), shared)
    kept = resolve_duplicates(connector, shared)
    assert kept is not None and kept.id == first.id
    assert fake.posts[second.id]["status"] == "trash" and fake.posts[first.id]["status"] == "draft"
    assert resolve_duplicates(connector, key()) is None


def test_terms_are_listed_and_created_once(connector):
    parent = connector.create_term("categories", "Writing")
    child = connector.create_term("categories", "Tools & Tricks", parent=parent.id)
    again = connector.create_term("categories", "Tools & Tricks", parent=parent.id)
    assert again.id == child.id and child.parent == parent.id
    names = {t.name for t in connector.list_terms("categories")}
    assert {"Uncategorized", "Writing", "Tools & Tricks"} <= names


def test_comments(connector, fake):
    post = fake.add_post(title="Commented")
    held = fake.add_comment(post["id"], "Nice post!")
    fake.add_comment(post["id"], "Buy pills", status="spam")
    listed = list(connector.list_comments())
    assert [(c.id, c.status) for c in listed] == [(held["id"], "hold")]
    assert listed[0].author_ip == "192.0.2.7"
    assert connector.moderate_comment(held["id"], "approve").status == "approve"
    reply = connector.reply_comment(post["id"], held["id"], "<p>Thanks!</p>")
    assert reply.parent_id == held["id"] and reply.post_id == post["id"]
    assert connector.moderate_comment(held["id"], "trash").status == "trash"
    connector.delete_comment(reply.id)
    connector.delete_comment(reply.id)  # already in the trash: done
    connector.delete_comment(reply.id, force=True)
    assert reply.id not in fake.comments
    assert {c.id for c in connector.list_comments(status="spam")} != set()


def test_unknown_category_never_clears_the_categories(fake):
    """WordPress REST answers 200 to an unknown category id and drops the post's categories;
    the REST connector refuses before sending. (XML-RPC: WordPress itself refuses.)"""
    for make in (make_rest, make_xmlrpc):
        connector = make(fake)
        with pytest.raises(ValidationError):
            connector.create_post(PostPayload("T", "<p>x</p>", categories=[424242]), key())
    assert all(p["title"] != "T" for p in fake.posts.values())


def test_rest_keyset_listing_survives_edits_during_the_listing(fake):
    """250 posts, many sharing a second; posts edited while the listing runs. Every post that
    existed is yielded (page numbers would skip one for each edit behind the cursor)."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    ids = [
        fake.add_post(title=f"P{i}", modified_gmt=start + timedelta(seconds=i // 7))["id"]
        for i in range(250)
    ]
    connector = make_rest(fake)
    seen: list[int] = []
    for post in connector.list_posts(page_size=40):
        seen.append(post.id)
        if len(seen) in (50, 120):  # edit two posts already listed: they move to the end
            fake.touch(seen[len(seen) - 40])
            fake.touch(seen[len(seen) - 30])
    assert set(seen) == set(ids)
    assert len(seen) == 250 + 4  # each edited post again, in its new version


def test_metaweblog_only_blog():
    fake = WordPressFake(wp_xmlrpc_methods=False)
    connector = make_xmlrpc(fake)
    writing = fake.add_term("categories", "Writing")
    assert not connector.has_wp_methods
    info = connector.verify()
    assert info.user_name == "admin" and info.name == "Fake Blog"
    created = connector.create_post(
        PostPayload("MW", "<p>x</p>", status="publish", categories=[writing["id"]]), key()
    )
    assert created.categories == [writing["id"]] and created.status == "publish"
    assert connector.find_post_by_marker(created.marker).id == created.id
    with pytest.raises(Conflict):
        connector.update_post(
            created.id, PostPayload("MW", "<p>y</p>"), created.modified_gmt - timedelta(seconds=5)
        )
    updated = connector.update_post(
        created.id, PostPayload("MW2", "<p>y</p>", status="publish"), created.modified_gmt
    )
    assert updated.title == "MW2"
    media = connector.upload_media("a.png", b"png", "image/png")
    assert media.id in fake.media


def test_connectors_can_be_shared_by_threads(fake):
    connector = make_rest(fake)
    errors: list[BaseException] = []

    def publish(n: int) -> None:
        try:
            term = connector.create_term("tags", f"tag{n % 3}")
            connector.create_post(PostPayload(f"T{n}", "<p>x</p>", tags=[term.id]), key())
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=publish, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(p["title"].startswith("T") for p in fake.posts.values()) == 12
    assert len(fake.terms["tags"]) == 3

"""The sync worker against the fake WordPress (in process): publish with images and terms,
schedule, update, trash, pull, and conflicts with their resolutions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from desktop_blog.core import conflicts, db, library, media, outbox, publishing
from desktop_blog.core.models import Blog, Post
from desktop_blog.publish.sync import SyncEngine
from desktop_blog.publish.wordpress_rest import WordPressRestConnector
from desktop_blog.render.markdown import render_html
from tests.fakes.wp_fake import WordPressFake
from tests.images import png


def add_blog(lib: db.Library, url: str = "http://blog.test", name: str = "Fake") -> int:
    with lib.session() as s:
        blog = Blog(name=name, kind="wordpress-rest", url=url, username="admin")
        blog.api_url = url.rstrip("/") + "/wp-json/"
        s.add(blog)
        s.commit()
        return blog.id


def fake_posts(fake: WordPressFake) -> list[dict]:
    with fake.lock:
        return [dict(p) for p in fake.posts.values() if p["type"] in ("post", "page")]


def make_engine(lib: db.Library, fake: WordPressFake, client: httpx.Client, **kw) -> SyncEngine:
    def factory(account: publishing.BlogAccount) -> WordPressRestConnector:
        return WordPressRestConnector(client, account.api_url, fake.username, fake.app_password)

    return SyncEngine(lib, factory, **kw)


def new_post(lib: db.Library, title: str, body: str, **changes) -> int:
    with lib.session() as s:
        post = library.create_post(s, title, body)
        if changes:
            library.update_post(s, post.id, **changes)
        s.commit()
        return post.id


def request(lib: db.Library, action, *args, **kw) -> outbox.JobData:
    with lib.session() as s:
        job = action(s, *args, **kw)
        s.commit()
        return job


def job_state(lib: db.Library, job_id: int) -> outbox.JobData:
    with lib.session() as s:
        return outbox.get_job(s, job_id)


def post_row(lib: db.Library, post_id: int) -> dict:
    with lib.session() as s:
        p = s.get(Post, post_id)
        return {c.name: getattr(p, c.name) for c in Post.__table__.columns}


@pytest.fixture
def lib(tmp_path: Path) -> Iterator[db.Library]:
    lib = db.open_library(tmp_path)
    yield lib
    lib.close()


@pytest.fixture
def fake() -> WordPressFake:
    return WordPressFake()


@pytest.fixture
def client(fake: WordPressFake) -> Iterator[httpx.Client]:
    with httpx.Client(transport=fake.transport(), base_url="http://blog.test") as c:
        yield c


@pytest.fixture
def blog(lib) -> int:
    return add_blog(lib)


@pytest.fixture
def engine(lib, fake, client, blog) -> SyncEngine:
    return make_engine(lib, fake, client)


def test_publish_with_images_categories_and_tags(lib, fake, engine, blog):
    fake.add_term("categories", "Travel")
    with lib.session() as s:
        one = media.store_image(s, png(2, 2, 10), "one.png")
        two = media.store_image(s, png(3, 1, 20), "two.png")
        s.commit()
    body = (
        f"Intro paragraph\nwrapped at the editor's width.\n\n{media.markdown_for(one)}\n\n"
        f"Middle.\n\n![second]({two.url})\n\nAgain the first: ![again]({one.url})\n"
    )
    post_id = new_post(lib, "Pictures", body, tags=["sun", "sea"], categories=["Travel", "New"])
    job = request(lib, publishing.request_publish, post_id, blog, "publish")

    report = engine.run_outbox()
    assert [o.state for o in report.ran] == ["done"], report
    assert job_state(lib, job.id).state == outbox.DONE

    [remote] = fake_posts(fake)
    assert remote["status"] == "publish" and remote["title"] == "Pictures"
    assert len(fake.media) == 2  # each image once, though shown twice
    urls = {m["file"]: m["source_url"] for m in fake.media.values()}
    expected = render_html(body).replace(one.url, urls["one.png"]).replace(two.url, urls["two.png"])
    content = remote["content"].split("<!-- desktop-blog:")[0]
    assert content == expected  # exactly the renderer's HTML, with the blog's image URLs
    assert "dbmedia:" not in remote["content"]
    cats = {fake.terms["categories"][i]["name"] for i in remote["categories"]}
    tags = {fake.terms["tags"][i]["name"] for i in remote["tags"]}
    assert (cats, tags) == ({"Travel", "New"}, {"sun", "sea"})

    row = post_row(lib, post_id)
    assert row["body"] == body  # the local Markdown keeps dbmedia:
    assert row["remote_id"] == str(remote["id"])
    assert row["remote_modified"] == remote["modified_gmt"]
    assert (row["synced_title"], row["synced_body"]) == ("Pictures", body)
    assert row["status"] == library.PUBLISHED

    # an update sends the new text; images and terms are not made again
    with lib.session() as s:
        library.update_post(s, post_id, body=body + "\nA new last line.\n")
        s.commit()
    request(lib, publishing.request_update, post_id)
    assert [o.state for o in engine.run_outbox().ran] == ["done"]
    assert len(fake.media) == 2 and len(fake_posts(fake)) == 1
    assert "A new last line." in fake_posts(fake)[0]["content"]
    assert len(fake.terms["tags"]) == 2


def test_schedule_then_unpublish_then_trash(lib, fake, engine, blog):
    post_id = new_post(lib, "Later", "Soon.")
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    request(lib, publishing.request_publish, post_id, blog, "future", when)
    engine.run_outbox()
    [remote] = fake_posts(fake)
    assert (remote["status"], remote["date_gmt"]) == ("future", when)
    assert post_row(lib, post_id)["status"] == library.SCHEDULED

    request(lib, publishing.request_unpublish, post_id)
    engine.run_outbox()
    assert fake_posts(fake)[0]["status"] == "draft"
    assert post_row(lib, post_id)["status"] == library.DRAFT

    request(lib, publishing.request_trash, post_id)
    assert [o.state for o in engine.run_outbox().ran] == ["done"]
    assert fake_posts(fake)[0]["status"] == "trash"
    assert post_row(lib, post_id)["status"] == library.TRASH


def test_remote_draft(lib, fake, engine, blog):
    post_id = new_post(lib, "Draft", "Not yet.")
    request(lib, publishing.request_publish, post_id, blog, "draft")
    engine.run_outbox()
    assert fake_posts(fake)[0]["status"] == "draft"
    assert post_row(lib, post_id)["status"] == library.DRAFT


def test_pull_converts_html_keeps_it_and_later_fetches_only_changes(lib, fake, engine, blog):
    cat = fake.add_term("categories", "Notes")
    html = "<h2>From the web</h2>\n<p>Written <strong>elsewhere</strong>.</p>\n<ul><li>a</li></ul>"
    remote = fake.add_post(title="Web post", content=html, categories=[cat["id"]])
    page = fake.add_post(type="page", title="About", content="Plain text\nwith a break")

    report = engine.pull_posts(blog)
    assert (report.new, report.updated) == (2, 0)
    with lib.session() as s:
        [post] = [s.get(Post, i) for i in report.post_ids if s.get(Post, i).kind == "post"]
        assert post.body == "## From the web\n\nWritten **elsewhere**.\n\n- a\n"
        assert post.original_html == html
        assert (post.synced_body, post.remote_id) == (post.body, str(remote["id"]))
        assert [c.name for c in post.categories] == ["Notes"]
        assert post.status == library.PUBLISHED
        about = s.scalars(select(Post).where(Post.remote_id == str(page["id"]))).one()
        assert about.kind == "page" and about.body == "Plain text  \nwith a break\n"
        post_id = post.id

    # the next pull asks only for what changed since the newest modified time seen
    fake.log.clear()
    again = engine.pull_posts(blog)
    assert (again.new, again.updated) == (0, 0)
    listing = fake.requests_to("/wp/v2/posts", "GET")
    assert listing and all("modified_after" in r.query for r in listing)

    # changed on the blog, not edited here: the blog's text comes in, a revision keeps ours
    fake.touch(remote["id"], content="<p>Second version.</p>")
    assert engine.pull_posts(blog).updated == 1
    assert post_row(lib, post_id)["body"] == "Second version.\n"
    with lib.session() as s:
        assert [r.reason for r in library.list_revisions(s, post_id)] == ["before-pull"]

    # a pulled post the user has not edited is never sent back
    fake.log.clear()
    job = request(lib, publishing.request_update, post_id)
    engine.run_outbox()
    assert job_state(lib, job.id).state == outbox.DONE
    assert fake.requests_to(f"/wp/v2/posts/{remote['id']}", "POST") == []

    # edited here and changed there: the pull keeps the local text
    with lib.session() as s:
        library.update_post(s, post_id, body="My own edit.\n")
        s.commit()
    fake.touch(remote["id"], content="<p>Third version.</p>")
    assert engine.pull_posts(blog).kept_local == 1
    assert post_row(lib, post_id)["body"] == "My own edit.\n"


def publish_and_edit_behind_the_back(lib, fake, engine, blog) -> tuple[int, int, int]:
    post_id = new_post(lib, "Shared", "Base text.\n")
    request(lib, publishing.request_publish, post_id, blog)
    engine.run_outbox()
    remote_id = int(post_row(lib, post_id)["remote_id"])
    fake.touch(remote_id, content="<p>Their text.</p>", title="Their title")
    with lib.session() as s:
        library.update_post(s, post_id, body="My text.\n")
        s.commit()
    job = request(lib, publishing.request_update, post_id)
    report = engine.run_outbox()
    assert [o.state for o in report.conflicts] == ["conflict"]
    return post_id, remote_id, job.id


def test_conflict_writes_nothing_and_keep_mine_overwrites(lib, fake, engine, blog):
    post_id, remote_id, job_id = publish_and_edit_behind_the_back(lib, fake, engine, blog)
    assert fake.posts[remote_id]["content"] == "<p>Their text.</p>"  # nothing written
    job = job_state(lib, job_id)
    assert job.state == outbox.CONFLICT and "changed on the blog" in job.last_error
    assert job.conflict["base"] == {"title": "Shared", "body": "Base text.\n"}
    assert job.conflict["local"] == {"title": "Shared", "body": "My text.\n"}
    assert job.conflict["remote"]["title"] == "Their title"
    assert job.conflict["remote"]["body"] == "Their text.\n"
    assert job.conflict["remote"]["html"] == "<p>Their text.</p>"

    with lib.session() as s:
        conflicts.keep_mine(s, job_id)
        s.commit()
    assert [o.state for o in engine.run_outbox().ran] == ["done"]
    assert fake.posts[remote_id]["content"] == render_html("My text.\n")
    assert fake.posts[remote_id]["title"] == "Shared"
    assert post_row(lib, post_id)["remote_modified"] == fake.posts[remote_id]["modified_gmt"]


def test_take_theirs_replaces_local_text_and_keeps_a_revision(lib, fake, engine, blog):
    post_id, remote_id, job_id = publish_and_edit_behind_the_back(lib, fake, engine, blog)
    with lib.session() as s:
        done = conflicts.take_theirs(s, job_id)
        s.commit()
    assert done.state == outbox.DONE
    row = post_row(lib, post_id)
    assert (row["title"], row["body"]) == ("Their title", "Their text.\n")
    assert row["synced_body"] == "Their text.\n"
    assert row["remote_modified"] == fake.posts[remote_id]["modified_gmt"]
    with lib.session() as s:
        [rev] = library.list_revisions(s, post_id)
        assert rev.body == "My text.\n"
    # nothing more is sent, and the next update of an unchanged post sends nothing either
    fake.log.clear()
    request(lib, publishing.request_update, post_id)
    engine.run_outbox()
    assert fake.requests_to(f"/wp/v2/posts/{remote_id}", "POST") == []


def test_merged_text_is_sent(lib, fake, engine, blog):
    post_id, remote_id, job_id = publish_and_edit_behind_the_back(lib, fake, engine, blog)
    with lib.session() as s:
        conflicts.merged(s, job_id, "My text.\n\nTheir text.\n", title="Both")
        s.commit()
    engine.run_outbox()
    assert fake.posts[remote_id]["content"] == render_html("My text.\n\nTheir text.\n")
    assert fake.posts[remote_id]["title"] == "Both"
    with lib.session() as s:
        with pytest.raises(conflicts.NoConflict):
            conflicts.keep_mine(s, job_id)


def test_conflict_again_when_the_blog_changes_after_keep_mine(lib, fake, engine, blog):
    post_id, remote_id, job_id = publish_and_edit_behind_the_back(lib, fake, engine, blog)
    with lib.session() as s:
        conflicts.keep_mine(s, job_id)
        s.commit()
    fake.touch(remote_id, content="<p>Yet another.</p>")
    assert [o.state for o in engine.run_outbox().ran] == ["conflict"]
    assert fake.posts[remote_id]["content"] == "<p>Yet another.</p>"


def edit_in_the_same_second(fake: WordPressFake, remote_id: int, **changes) -> None:
    """An edit made on the blog in the second of our own write: `modified_gmt` (whole seconds)
    does not move."""
    with fake.lock:
        fake.posts[remote_id].update(changes)


@pytest.mark.parametrize(
    "theirs", [{"content": "<p>Their text.</p>"}, {"title": "Their title"}], ids=["text", "title"]
)
def test_an_edit_on_the_blog_in_the_second_of_our_write_is_a_conflict(
    lib, fake, engine, blog, theirs
):
    post_id = new_post(lib, "Shared", "Base text.\n")
    request(lib, publishing.request_publish, post_id, blog)
    engine.run_outbox()
    remote_id = int(post_row(lib, post_id)["remote_id"])
    modified = fake.posts[remote_id]["modified_gmt"]
    edit_in_the_same_second(fake, remote_id, **theirs)
    with lib.session() as s:
        library.update_post(s, post_id, body="My text.\n")
        s.commit()
    job = request(lib, publishing.request_update, post_id)
    assert [o.state for o in engine.run_outbox().ran] == ["conflict"]
    [(field, value)] = theirs.items()
    assert fake.posts[remote_id][field] == value  # nothing overwritten
    assert fake.posts[remote_id]["modified_gmt"] == modified
    conflict = job_state(lib, job.id).conflict
    assert conflict["base"] == {"title": "Shared", "body": "Base text.\n"}
    assert conflict["remote"]["title" if field == "title" else "html"] == value

    # keep mine: the blog's version as seen is what the next run expects; it is overwritten
    with lib.session() as s:
        conflicts.keep_mine(s, job.id)
        s.commit()
    assert [o.state for o in engine.run_outbox().ran] == ["done"]
    assert fake.posts[remote_id]["content"] == render_html("My text.\n")
    assert fake.posts[remote_id]["title"] == "Shared"


def test_updates_after_publish_and_pull_are_not_conflicts(lib, fake, engine, blog):
    post_id = new_post(lib, "Mine", "One.\n")
    request(lib, publishing.request_publish, post_id, blog)
    engine.run_outbox()
    remote_id = int(post_row(lib, post_id)["remote_id"])
    # the blog's HTML as it stored it (without the create's marker) is the next update's base
    assert post_row(lib, post_id)["original_html"] == render_html("One.\n")
    assert fake.posts[remote_id]["content"].startswith(render_html("One.\n"))
    for text in ("Two.\n", "Three.\n"):  # one update after the other, in the same second
        with lib.session() as s:
            library.update_post(s, post_id, body=text)
            s.commit()
        request(lib, publishing.request_update, post_id)
        assert [o.state for o in engine.run_outbox().ran] == ["done"]
        assert fake.posts[remote_id]["content"] == render_html(text)
    # a post written on the blog, pulled, edited here and sent
    theirs = fake.add_post(title="Theirs", content="<p>Written there.</p>")
    engine.pull_posts(blog)
    with lib.session() as s:
        pulled = s.scalars(select(Post).where(Post.remote_id == str(theirs["id"]))).one().id
        library.update_post(s, pulled, body="Edited here.\n")
        s.commit()
    request(lib, publishing.request_update, pulled)
    assert [o.state for o in engine.run_outbox().ran] == ["done"]


def test_a_library_without_the_last_synced_html_has_no_false_conflict(lib, fake, engine, blog):
    """Posts published before the blog's HTML was recorded: none, or the HTML of an earlier
    pull. The blog holding what was sent last is not a change made there."""
    post_id = new_post(lib, "Mine", "One.\n")
    request(lib, publishing.request_publish, post_id, blog)
    engine.run_outbox()
    for stale in (None, "<p>As pulled long ago.</p>"):
        with lib.session() as s:
            s.get(Post, post_id).original_html = stale
            library.update_post(s, post_id, body=f"Now {stale is None}.\n")
            s.commit()
        request(lib, publishing.request_update, post_id)
        assert [o.state for o in engine.run_outbox().ran] == ["done"]


def test_missing_image_fails_the_job_with_a_clear_message(lib, fake, engine, blog):
    post_id = new_post(lib, "Broken", "![x](dbmedia:00000000-0000-0000-0000-000000000000)\n")
    job = request(lib, publishing.request_publish, post_id, blog)
    engine.run_outbox()
    failed = job_state(lib, job.id)
    assert failed.state == outbox.FAILED
    assert "not in the library" in failed.last_error
    assert fake_posts(fake) == []


def test_an_image_is_uploaded_once_per_blog(lib, tmp_path):
    fakes = {add_blog(lib, "http://one.test", "One"): WordPressFake()}
    fakes[add_blog(lib, "http://two.test", "Two")] = WordPressFake()
    clients = {i: httpx.Client(transport=f.transport()) for i, f in fakes.items()}

    def factory(account: publishing.BlogAccount) -> WordPressRestConnector:
        fake = fakes[account.id]
        return WordPressRestConnector(
            clients[account.id], account.api_url, fake.username, fake.app_password
        )

    engine = SyncEngine(lib, factory)
    with lib.session() as s:
        image = media.store_image(s, png(2, 2), "shared.png")
        s.commit()
    posts = {}
    for blog_id in fakes:
        posts[blog_id] = new_post(lib, f"On {blog_id}", f"![x]({image.url})\n")
        request(lib, publishing.request_publish, posts[blog_id], blog_id)
    engine.run_outbox()
    for blog_id in fakes:  # again, with a change
        with lib.session() as s:
            library.update_post(s, posts[blog_id], body=f"![x]({image.url})\n\nMore.\n")
            s.commit()
        request(lib, publishing.request_update, posts[blog_id])
    engine.run_outbox()
    for blog_id, fake in fakes.items():
        [item] = fake.media.values()
        [remote] = fake_posts(fake)
        assert item["source_url"] in remote["content"] and "More." in remote["content"]
        with lib.session() as s:
            assert publishing.media_for_blog(s, blog_id, image.uuid).remote_id == item["id"]
    for c in clients.values():
        c.close()


def test_page_with_featured_image_slug_and_excerpt(lib, fake, engine, blog):
    with lib.session() as s:
        cover = media.store_image(s, png(5, 5), "cover.png")
        post = library.create_post(s, "About", "Who we are.\n", kind="page")
        library.update_post(s, post.id, slug="about-us", excerpt="Us.", categories=["Ignored"])
        s.get(Post, post.id).featured_media_id = cover.id
        s.commit()
    request(lib, publishing.request_publish, post.id, blog)
    assert [o.state for o in engine.run_outbox().ran] == ["done"]
    [remote] = fake_posts(fake)
    [item] = fake.media.values()
    assert (remote["type"], remote["slug"], remote["excerpt"]) == ("page", "about-us", "Us.")
    assert remote["featured_media"] == item["id"]
    assert len(fake.terms["categories"]) == 1  # pages have no categories: none made


def test_stop_event_stops_between_jobs(lib, fake, engine, blog):
    import threading

    for n in range(3):
        request(lib, publishing.request_publish, new_post(lib, f"P{n}", "x"), blog)
    stop = threading.Event()
    stop.set()
    assert engine.run_outbox(stop).ran == []
    seen = []
    assert len(engine.run_outbox(on_job=seen.append).ran) == 3
    assert [o.state for o in seen] == ["done"] * 3


def xmlrpc_blog(lib, fake, client) -> tuple[int, SyncEngine]:
    """The blog "Old" over XML-RPC (the fake's), and an engine that talks to it."""
    from desktop_blog.publish.xmlrpc import XmlRpcConnector

    with lib.session() as s:
        row = Blog(name="Old", kind="xmlrpc", url="http://blog.test", username="admin")
        row.api_url = "http://blog.test/xmlrpc.php"
        s.add(row)
        s.commit()
        blog_id = row.id

    def factory(account: publishing.BlogAccount) -> XmlRpcConnector:
        return XmlRpcConnector(client, account.api_url, fake.username, fake.app_password)

    return blog_id, SyncEngine(lib, factory)


def test_the_same_worker_over_xml_rpc(lib, fake, client):
    blog_id, engine = xmlrpc_blog(lib, fake, client)
    with lib.session() as s:
        image = media.store_image(s, png(2, 3), "xml.png")
        s.commit()
    body = f"Over XML-RPC.\n\n![x]({image.url})\n"
    post_id = new_post(lib, "Legacy", body, tags=["old"], categories=["Archive"])
    request(lib, publishing.request_publish, post_id, blog_id)
    assert [o.state for o in engine.run_outbox().ran] == ["done"]
    [remote] = fake_posts(fake)
    [item] = fake.media.values()
    assert item["source_url"] in remote["content"]
    assert {fake.terms["tags"][i]["name"] for i in remote["tags"]} == {"old"}

    fake.touch(remote["id"], content="<p>Changed there.</p>")
    with lib.session() as s:
        library.update_post(s, post_id, body="Changed here.\n")
        s.commit()
    job = request(lib, publishing.request_update, post_id)
    engine.run_outbox()
    assert job_state(lib, job.id).state == outbox.CONFLICT
    assert fake.posts[remote["id"]]["content"] == "<p>Changed there.</p>"
    with lib.session() as s:
        conflicts.keep_mine(s, job.id)
        s.commit()
    engine.run_outbox()
    assert fake.posts[remote["id"]]["content"] == render_html("Changed here.\n")

    report = engine.pull_posts(blog_id)
    assert report.new == 0


def test_unpublishing_an_unedited_pulled_post_keeps_the_blogs_html(lib, fake, engine, blog):
    html = "<p>Hand-made <span style='color:red'>HTML</span></p>\n<div class='x'>kept</div>"
    remote = fake.add_post(title="Theirs", content=html)
    [post_id] = engine.pull_posts(blog).post_ids
    job = request(lib, publishing.request_unpublish, post_id)
    engine.run_outbox()
    assert job_state(lib, job.id).state == outbox.DONE
    assert fake.posts[remote["id"]]["status"] == "draft"
    assert fake.posts[remote["id"]]["content"] == html  # not our rendering of its Markdown


def test_serve_runs_jobs_as_they_come_and_stops(lib, fake, engine, blog):
    import threading

    stop, wake = threading.Event(), threading.Event()
    reports = []
    worker = threading.Thread(
        target=engine.serve, args=(stop, wake), kwargs={"on_report": reports.append}
    )
    worker.start()
    try:
        job = request(lib, publishing.request_publish, new_post(lib, "Live", "x"), blog)
        wake.set()
        deadline = time.monotonic() + 10
        while job_state(lib, job.id).state != outbox.DONE and time.monotonic() < deadline:
            time.sleep(0.02)
        assert job_state(lib, job.id).state == outbox.DONE
        assert engine.seconds_until_due() is None
    finally:
        stop.set()
        wake.set()
        worker.join(5)
    assert not worker.is_alive()
    assert reports and reports[0].ran[0].job_id == job.id


def test_an_update_keeps_a_private_post_private(lib, fake, engine, blog):
    remote = fake.add_post(title="Secret", content="<p>Only me.</p>", status="private")
    [post_id] = engine.pull_posts(blog).post_ids
    assert post_row(lib, post_id)["status"] == library.PUBLISHED
    with lib.session() as s:
        library.update_post(s, post_id, body="Only me, edited.\n")
        s.commit()
    request(lib, publishing.request_update, post_id)
    assert [o.state for o in engine.run_outbox().ran] == ["done"]
    assert fake.posts[remote["id"]]["status"] == "private"
    assert "edited" in fake.posts[remote["id"]]["content"]


def test_a_post_trashed_on_the_blog_is_trashed_here_unless_edited(lib, fake, engine, blog):
    one = fake.add_post(title="One", content="<p>1</p>")
    two = fake.add_post(title="Two", content="<p>2</p>")
    ids = engine.pull_posts(blog).post_ids
    with lib.session() as s:
        by_remote = {s.get(Post, i).remote_id: i for i in ids}
        library.update_post(s, by_remote[str(two["id"])], body="Edited here.\n")
        s.commit()
    fake.touch(one["id"], status="trash")
    fake.touch(two["id"], status="trash")
    report = engine.pull_posts(blog)
    assert (report.trashed, report.kept_local) == (1, 1)
    assert post_row(lib, by_remote[str(one["id"])])["status"] == library.TRASH
    assert post_row(lib, by_remote[str(two["id"])])["body"] == "Edited here.\n"
    with lib.session() as s:
        assert [r.reason for r in library.list_revisions(s, by_remote[str(one["id"])])] == ["trash"]


def test_pull_watermark_ignores_future_times_and_full_pull_finds_backdated_posts(
    lib, fake, engine, blog
):
    now = datetime.now(UTC).replace(microsecond=0)
    later = now + timedelta(days=5)
    fake.add_post(title="Scheduled", status="future", date_gmt=later, modified_gmt=later)
    fake.add_post(title="Now", content="<p>x</p>")
    assert engine.pull_posts(blog).new == 2
    with lib.session() as s:
        mark = publishing.get_blog_account(s, blog).last_synced_at
    assert mark is not None and mark <= datetime.now(UTC)

    old = now - timedelta(days=400)
    fake.add_post(title="Imported", content="<p>old</p>", date_gmt=old, modified_gmt=old)
    assert engine.pull_posts(blog).new == 0  # WordPress dates it in the past: not "changed"
    assert engine.pull_posts(blog, full=True).new == 1


def test_a_scheduled_post_published_by_the_blog_shows_as_published(lib, fake, engine, blog):
    post_id = new_post(lib, "Soon", "x")
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    request(lib, publishing.request_publish, post_id, blog, "future", when)
    engine.run_outbox()
    remote_id = int(post_row(lib, post_id)["remote_id"])
    engine.pull_posts(blog)
    with fake.lock:  # the date came: WordPress publishes it, its modified time unchanged
        fake.posts[remote_id]["status"] = "publish"
    assert engine.pull_posts(blog).updated == 1
    assert post_row(lib, post_id)["status"] == library.PUBLISHED


def test_uploads_recorded_before_migration_0004_are_kept(tmp_path):
    path = db.database_path(tmp_path)
    engine = db.make_engine(f"sqlite:///{path}")
    db.migrate(engine, "0003")
    with engine.begin() as con:
        con.exec_driver_sql(
            "INSERT INTO blogs (id, name, kind, url, username, created_at) "
            "VALUES (1, 'B', 'wordpress-rest', 'http://b.test', 'u', '2026-01-01 00:00:00')"
        )
        con.exec_driver_sql(
            "INSERT INTO media (id, uuid, filename, mime_type, sha256, created_at, blog_id, "
            "remote_id, remote_url) VALUES (1, '11111111-2222-3333-4444-555555555555', 'a.png', "
            "'image/png', 'x', '2026-01-01 00:00:00', 1, '77', 'http://b.test/a.png')"
        )
    engine.dispose()
    lib = db.open_library(tmp_path)  # upgrades to the head
    try:
        with lib.session() as s:
            found = publishing.media_for_blog(s, 1, "11111111-2222-3333-4444-555555555555")
        assert (found.remote_id, found.remote_url) == (77, "http://b.test/a.png")
    finally:
        lib.close()


def _server_image(fake) -> int:
    """An image in the blog's media library that the app never uploaded."""
    item = {
        "id": fake._new_id(),
        "file": "theirs.png",
        "mime_type": "image/png",
        "data": png(3, 3),
        "source_url": "http://blog.test/wp-content/uploads/2024/05/theirs.png",
        "date_gmt": fake.clock(),
    }
    fake.media[item["id"]] = item
    return item["id"]


def test_a_pulled_posts_featured_image_survives_an_update(lib, fake, engine, blog):
    theirs = _server_image(fake)
    remote = fake.add_post(title="With cover", content="<p>Text.</p>", featured_media=theirs)
    [post_id] = engine.pull_posts(blog).post_ids
    with lib.session() as s:
        post = library.get_post(s, post_id)
        assert (post.featured_media_id, post.remote_featured_id) == (None, str(theirs))
        library.update_post(s, post_id, body="Text, edited here.\n")
        s.commit()
    request(lib, publishing.request_update, post_id)
    assert [o.state for o in engine.run_outbox().ran] == ["done"]
    assert fake.posts[remote["id"]]["featured_media"] == theirs  # not removed
    assert "edited here" in fake.posts[remote["id"]]["content"]


def test_changing_only_the_featured_image_is_sent_with_the_blogs_own_html(lib, fake, engine, blog):
    html = "<p>Hand-made <em>HTML</em></p>"
    remote = fake.add_post(title="Plain", content=html, featured_media=_server_image(fake))
    [post_id] = engine.pull_posts(blog).post_ids
    with lib.session() as s:
        cover = media.store_image(s, png(6, 4), "cover.png")
        library.update_post(s, post_id, featured_media_id=cover.id)
        s.commit()
    request(lib, publishing.request_update, post_id)
    assert [o.state for o in engine.run_outbox().ran] == ["done"]
    uploaded = [m for m in fake.media.values() if m["file"] == "cover.png"]
    assert len(uploaded) == 1
    assert fake.posts[remote["id"]]["featured_media"] == uploaded[0]["id"]
    assert fake.posts[remote["id"]]["content"] == html  # the text was not re-rendered

    # pulled again, the blog's image is known as the library's
    fake.touch(remote["id"], title="Plain, retitled there")
    engine.pull_posts(blog)
    with lib.session() as s:
        post = library.get_post(s, post_id)
        assert (post.featured_media_id, post.remote_featured_id) == (cover.id, None)

    # removed here: removed there
    with lib.session() as s:
        library.update_post(s, post_id, featured_media_id=None, remote_featured_id=None)
        s.commit()
    request(lib, publishing.request_update, post_id)
    assert [o.state for o in engine.run_outbox().ran] == ["done"]
    assert fake.posts[remote["id"]]["featured_media"] == 0


def test_an_update_of_only_the_excerpt_is_sent_and_an_unchanged_one_is_not(lib, fake, engine, blog):
    remote = fake.add_post(title="Short", content="<p>Body.</p>", excerpt="Old.")
    [post_id] = engine.pull_posts(blog).post_ids
    fake.log.clear()
    request(lib, publishing.request_update, post_id)
    engine.run_outbox()
    assert fake.requests_to(f"/wp/v2/posts/{remote['id']}", "POST") == []
    with lib.session() as s:
        library.update_post(s, post_id, excerpt="New summary.")
        s.commit()
    request(lib, publishing.request_update, post_id)
    assert [o.state for o in engine.run_outbox().ran] == ["done"]
    assert fake.posts[remote["id"]]["excerpt"] == "New summary."
    assert fake.posts[remote["id"]]["content"] == "<p>Body.</p>"


def test_over_xml_rpc_a_page_gets_its_featured_image_and_a_pulled_one_is_kept(lib, fake, client):
    blog_id, engine = xmlrpc_blog(lib, fake, client)
    with lib.session() as s:
        cover = media.store_image(s, png(7, 5, 33), "xml-cover.png")
        page = library.create_post(s, "About, over XML-RPC", "Us.\n", kind="page")
        library.update_post(s, page.id, featured_media_id=cover.id)
        s.commit()
    request(lib, publishing.request_publish, page.id, blog_id)
    assert [o.state for o in engine.run_outbox().ran] == ["done"]
    [remote] = [p for p in fake.posts.values() if p["title"] == "About, over XML-RPC"]
    [item] = [m for m in fake.media.values() if m["file"] == "xml-cover.png"]
    assert (remote["type"], remote["featured_media"]) == ("page", item["id"])

    theirs = _server_image(fake)
    made = fake.add_post(title="Theirs", content="<p>There.</p>", featured_media=theirs)
    engine.pull_posts(blog_id)
    with lib.session() as s:
        pulled = s.scalars(select(Post).where(Post.remote_id == str(made["id"]))).one()
        assert pulled.remote_featured_id == str(theirs)
        library.update_post(s, pulled.id, body="There, and here.\n")
        s.commit()
    request(lib, publishing.request_update, pulled.id)
    assert [o.state for o in engine.run_outbox().ran] == ["done"]
    assert fake.posts[made["id"]]["featured_media"] == theirs
    assert "and here" in fake.posts[made["id"]]["content"]


def test_the_next_posts_html_is_rendered_ahead_and_a_stale_guess_is_not_sent(
    lib, fake, engine, blog, monkeypatch
):
    import threading

    from desktop_blog.publish import sync

    rendered_on: list[str] = []

    def counting(body: str) -> str:
        rendered_on.append(threading.current_thread().name)
        return render_html(body)

    monkeypatch.setattr(sync, "render_html", counting)
    ids = [new_post(lib, f"Ahead {n}", f"Post number *{n}*.\n") for n in range(4)]
    for post_id in ids:
        request(lib, publishing.request_publish, post_id, blog)
    # a guess made before the last post was edited: its HTML must not be sent
    engine._render_ahead("Post number *3*.\n")
    with lib.session() as s:
        library.update_post(s, ids[3], body="Post number *3*, edited.\n")
        s.commit()
    assert [o.state for o in engine.run_outbox().ran] == ["done"] * 4
    sent = {p["title"]: p["content"] for p in fake_posts(fake)}
    for n in range(3):
        assert sent[f"Ahead {n}"].startswith(render_html(f"Post number *{n}*.\n"))
    assert sent["Ahead 3"].startswith(render_html("Post number *3*, edited.\n"))
    # posts 1 to 3 were rendered while the one before them waited for the blog
    assert sum(name.startswith("render-ahead") for name in rendered_on) >= 3
    engine.close()


def test_an_upload_recorded_again_replaces_the_first_record(lib, blog):
    with lib.session() as s:
        image = media.store_image(s, png(2, 2, 77), "again.png")
        publishing.record_media_upload(s, blog, image.uuid, 11, "http://blog.test/a.png")
        s.commit()
    with lib.session() as s:
        publishing.record_media_upload(s, blog, image.uuid, 12, "http://blog.test/b.png")
        s.commit()
        found = publishing.media_for_blog(s, blog, image.uuid)
        assert (found.remote_id, found.remote_url) == (12, "http://blog.test/b.png")
        other = add_blog(lib, url="http://other.test", name="Other")
        assert publishing.media_for_blog(s, other, image.uuid).remote_id is None

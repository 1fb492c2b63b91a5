"""Publishing end to end against the real WordPress (fixture `wordpress`): the outbox, the sync
worker and the REST connector unchanged, as the app runs them.

Publish with two inline images and new categories and tags; schedule; update; pull posts written
on the server; a conflict made behind the app's back, resolved with keep mine and take theirs; and
what readers see (content.rendered and the public page) against the renderer's output.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from desktop_blog.core import conflicts, db, library, media, outbox, publishing
from desktop_blog.core.models import Blog, Post
from desktop_blog.publish.base import strip_rendered_marker
from desktop_blog.publish.sync import SyncEngine, make_connector
from desktop_blog.render.markdown import render_html
from tests.images import png
from tests.integration.site_helpers import unique


@pytest.fixture
def lib(tmp_path: Path) -> Iterator[db.Library]:
    lib = db.open_library(tmp_path)
    yield lib
    lib.close()


@pytest.fixture
def blog(lib, wordpress) -> int:
    with lib.session() as s:
        row = Blog(
            name="Test WordPress",
            kind="wordpress-rest",
            url=wordpress.url,
            api_url=wordpress.rest_url,
            username=wordpress.user,
        )
        s.add(row)
        s.commit()
        return row.id


@pytest.fixture
def engine(lib, wordpress, client, blog) -> SyncEngine:
    return SyncEngine(lib, lambda account: make_connector(account, wordpress.app_password, client))


def new_post(lib, title: str, body: str, **changes) -> int:
    with lib.session() as s:
        post = library.create_post(s, title, body)
        if changes:
            library.update_post(s, post.id, **changes)
        s.commit()
        return post.id


def run(lib, engine: SyncEngine, action, *args) -> outbox.JobData:
    with lib.session() as s:
        job = action(s, *args)
        s.commit()
    engine.run_outbox()
    with lib.session() as s:
        return outbox.get_job(s, job.id)


def row(lib, post_id: int) -> Post:
    with lib.session() as s:
        return s.get(Post, post_id)


def raw_post(api: httpx.Client, remote_id: int | str) -> dict:
    response = api.get(f"wp/v2/posts/{remote_id}", params={"context": "edit"})
    assert response.status_code == 200, response.text[:300]
    return response.json()


_MARKER = re.compile(r"<!--\s*desktop-blog:[\w.-]+\s*-->")
_LAZY = re.compile(r'\s(?:loading|decoding)="[^"]*"')


def shown(fragment: str) -> str:
    """HTML as compared: marker gone, attributes WordPress adds to images dropped, whitespace
    between tags removed and runs of whitespace made one space."""
    fragment = _LAZY.sub("", strip_rendered_marker(fragment))
    fragment = re.sub(r">\s+<", "><", fragment)
    return " ".join(fragment.split())


def paragraphs(fragment: str) -> list[str]:
    return re.findall(r"<p\b[^>]*>.*?</p>", shown(fragment), re.DOTALL)


BODY = """An opening paragraph that the editor wrapped
at a narrow width, so it holds soft line breaks
that must not become hard breaks on the blog.

![first picture]({one})

A second paragraph with *emphasis*, **strong text** and `code`,
also wrapped.

- a list item
- another item

![second picture]({two})

The end.
"""


def test_publish_images_terms_and_what_readers_see(lib, engine, blog, api, client, wordpress):
    with lib.session() as s:
        one = media.store_image(s, png(4, 3, b"\xff\x00\x00"), "first picture.png")
        two = media.store_image(s, png(3, 4, b"\x00\x00\xff"), "second.png")
        s.commit()
    body = BODY.format(one=one.url, two=two.url)
    category, tag = unique("E2E category"), unique("e2e-tag")
    title = unique("Pictures")
    post_id = new_post(lib, title, body, categories=[category], tags=[tag, "photos"])

    job = run(lib, engine, publishing.request_publish, post_id, blog, "publish")
    assert job.state == outbox.DONE, job.last_error
    local = row(lib, post_id)
    assert local.body == body  # the library keeps dbmedia:
    remote = raw_post(api, local.remote_id)
    assert remote["status"] == "publish" and remote["title"]["raw"] == title

    # the images went up once each, and the sent HTML is the renderer's with their URLs
    with lib.session() as s:
        uploaded = {u: publishing.media_for_blog(s, blog, u) for u in (one.uuid, two.uuid)}
    assert all(m.remote_url and m.remote_id for m in uploaded.values())
    expected = render_html(body)
    for u, m in uploaded.items():
        expected = expected.replace(media.media_url(u), m.remote_url)
        assert client.get(m.remote_url).status_code == 200
    assert _MARKER.sub("", remote["content"]["raw"]) == expected
    assert "dbmedia:" not in remote["content"]["raw"]

    # the new category and tags were made on the blog and set on the post
    names = {
        tax: {api.get(f"wp/v2/{tax}/{i}").json()["name"] for i in remote[tax]}
        for tax in ("categories", "tags")
    }
    assert names == {"categories": {category}, "tags": {tag, "photos"}}
    assert local.remote_modified == datetime.fromisoformat(remote["modified_gmt"] + "+00:00")

    # what readers see: content.rendered and the public page show our paragraphs, no <br />
    rendered = api.get(f"wp/v2/posts/{local.remote_id}").json()["content"]["rendered"]
    ours = paragraphs(expected)
    assert len(ours) == 5 and any("soft line breaks" in p for p in ours)
    assert paragraphs(rendered) == ours
    assert "<br" not in shown(rendered)
    assert shown(rendered) == shown(expected)
    page = client.get(remote["link"])
    assert page.status_code == 200
    public = page.text
    for paragraph in ours:
        assert paragraph in shown(public), paragraph

    # an update: the new text is sent; no image is uploaded again
    with lib.session() as s:
        library.update_post(s, post_id, body=body + "\nAn added paragraph.\n")
        s.commit()
    media_before = api.get("wp/v2/media", params={"per_page": 100}).headers["X-WP-Total"]
    job = run(lib, engine, publishing.request_update, post_id)
    assert job.state == outbox.DONE, job.last_error
    updated = raw_post(api, local.remote_id)
    assert "An added paragraph." in updated["content"]["raw"]
    assert api.get("wp/v2/media", params={"per_page": 100}).headers["X-WP-Total"] == media_before
    assert row(lib, post_id).remote_modified == datetime.fromisoformat(
        updated["modified_gmt"] + "+00:00"
    )


def test_schedule_a_post(lib, engine, blog, api):
    when = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0)
    post_id = new_post(lib, unique("Scheduled"), "Coming soon.\n")
    job = run(lib, engine, publishing.request_publish, post_id, blog, "future", when)
    assert job.state == outbox.DONE, job.last_error
    remote = raw_post(api, row(lib, post_id).remote_id)
    assert remote["status"] == "future"
    assert remote["date_gmt"] == when.strftime("%Y-%m-%dT%H:%M:%S")
    assert row(lib, post_id).status == library.SCHEDULED


def test_pull_posts_made_on_the_server(lib, engine, blog, api, wordpress):
    classic_title = unique("Classic")
    classic = "First line\nsecond line\n\nA <strong>bold</strong> paragraph."
    made = api.post(
        "wp/v2/posts", json={"title": classic_title, "content": classic, "status": "publish"}
    )
    assert made.status_code == 201, made.text[:300]
    php_title = unique("From PHP")
    php_id = wordpress.php(
        "echo wp_insert_post(['post_title' => " + json.dumps(php_title) + ", 'post_content' => "
        "'<!-- wp:heading --><h2>Made in PHP</h2><!-- /wp:heading -->"
        "<!-- wp:paragraph --><p>With <em>blocks</em>.</p><!-- /wp:paragraph -->', "
        "'post_status' => 'draft']);"
    ).strip()

    report = engine.pull_posts(blog)
    assert report.new >= 2
    with lib.session() as s:
        by_remote = {p.remote_id: p for p in s.query(Post).filter(Post.blog_id == blog)}
    pulled = by_remote[str(made.json()["id"])]
    assert pulled.title == classic_title
    assert pulled.body == "First line  \nsecond line\n\nA **bold** paragraph.\n"
    assert pulled.original_html == classic
    assert pulled.status == library.PUBLISHED
    from_php = by_remote[php_id]
    assert (from_php.title, from_php.status) == (php_title, library.DRAFT)
    assert from_php.body == "## Made in PHP\n\nWith *blocks*.\n"
    assert "<!-- wp:heading -->" in from_php.original_html

    # a second pull asks only for changes, and an unedited pulled post is never sent back
    again = engine.pull_posts(blog)
    assert (again.new, again.updated) == (0, 0)
    job = run(lib, engine, publishing.request_update, pulled.id)
    assert job.state == outbox.DONE and job.payload["result"] == {
        "note": "Nothing to send: the post has not changed since the sync."
    }
    assert raw_post(api, pulled.remote_id)["content"]["raw"] == classic

    # trashed on the blog: trashed here at the next pull
    time.sleep(1.1)
    assert api.delete(f"wp/v2/posts/{pulled.remote_id}").status_code == 200
    assert engine.pull_posts(blog).trashed == 1
    assert row(lib, pulled.id).status == library.TRASH


def edit_behind_the_back(wordpress, remote_id: str, text: str) -> None:
    # No waiting: most often in the second of our publish, so `modified_gmt` (whole seconds)
    # does not move, and only the text, compared with the last sync's, shows the change.
    wordpress.php(
        f"wp_update_post(['ID' => {int(remote_id)}, 'post_content' => {json.dumps(text)}]);"
    )


def make_conflict(lib, engine, blog, wordpress, mine: str, theirs: str) -> tuple[int, int]:
    post_id = new_post(lib, unique("Contested"), "The base text.\n")
    assert run(lib, engine, publishing.request_publish, post_id, blog).state == outbox.DONE
    remote_id = row(lib, post_id).remote_id
    edit_behind_the_back(wordpress, remote_id, theirs)
    with lib.session() as s:
        library.update_post(s, post_id, body=mine)
        s.commit()
    job = run(lib, engine, publishing.request_update, post_id)
    return post_id, job.id


def test_conflict_then_keep_mine(lib, engine, blog, api, wordpress):
    theirs = "<p>Edited in wp-admin.</p>"
    post_id, job_id = make_conflict(lib, engine, blog, wordpress, "My edit.\n", theirs)
    remote_id = row(lib, post_id).remote_id
    with lib.session() as s:
        job = outbox.get_job(s, job_id)
    assert job.state == outbox.CONFLICT
    assert raw_post(api, remote_id)["content"]["raw"] == theirs  # nothing written
    assert job.conflict["base"]["body"] == "The base text.\n"
    assert job.conflict["local"]["body"] == "My edit.\n"
    assert job.conflict["remote"]["body"] == "Edited in wp-admin.\n"
    assert job.conflict["remote"]["html"] == theirs

    with lib.session() as s:
        conflicts.keep_mine(s, job_id)
        s.commit()
    engine.run_outbox()
    with lib.session() as s:
        assert outbox.get_job(s, job_id).state == outbox.DONE
    assert raw_post(api, remote_id)["content"]["raw"] == render_html("My edit.\n")


def test_conflict_then_take_theirs(lib, engine, blog, api, wordpress):
    theirs = "<p>Their <em>version</em>.</p>"
    post_id, job_id = make_conflict(lib, engine, blog, wordpress, "Mine, to be dropped.\n", theirs)
    remote_id = row(lib, post_id).remote_id
    with lib.session() as s:
        assert outbox.get_job(s, job_id).state == outbox.CONFLICT
        conflicts.take_theirs(s, job_id)
        s.commit()
    local = row(lib, post_id)
    assert local.body == "Their *version*.\n" and local.synced_body == local.body
    assert local.original_html == theirs
    with lib.session() as s:
        assert [r.body for r in library.list_revisions(s, post_id)] == ["Mine, to be dropped.\n"]
    engine.run_outbox()
    assert raw_post(api, remote_id)["content"]["raw"] == theirs  # untouched
    # the local copy now matches the blog: a later edit updates without a conflict
    with lib.session() as s:
        library.update_post(s, post_id, body="Their *version*, and more.\n")
        s.commit()
    assert run(lib, engine, publishing.request_update, post_id).state == outbox.DONE
    assert "and more." in raw_post(api, remote_id)["content"]["raw"]


def test_a_page_with_a_featured_image_and_what_readers_see(lib, engine, blog, api, client):
    with lib.session() as s:
        cover = media.store_image(s, png(12, 8, b"\x20\x80\x20"), "page cover.png")
        post = library.create_post(s, unique("About"), "Who writes here.\n", kind="page")
        library.update_post(s, post.id, slug=unique("about").replace(" ", "-"))
        library.update_post(s, post.id, featured_media_id=cover.id)
        s.commit()
    job = run(lib, engine, publishing.request_publish, post.id, blog, "publish")
    assert job.state == outbox.DONE, job.last_error
    local = row(lib, post.id)
    remote = api.get(f"wp/v2/pages/{local.remote_id}", params={"context": "edit"}).json()
    assert remote["type"] == "page" and remote["status"] == "publish"
    with lib.session() as s:
        uploaded = publishing.media_for_blog(s, blog, cover.uuid)
    assert remote["featured_media"] == int(uploaded.remote_id)
    image = client.get(uploaded.remote_url)
    assert image.status_code == 200 and image.content == png(12, 8, b"\x20\x80\x20")
    assert api.get("wp/v2/posts", params={"include": local.remote_id}).json() == []  # not a post
    page = client.get(remote["link"])
    assert page.status_code == 200 and "Who writes here." in page.text

    # the image removed here is removed from the page there
    with lib.session() as s:
        library.update_post(s, post.id, featured_media_id=None)
        s.commit()
    job = run(lib, engine, publishing.request_update, post.id)
    assert job.state == outbox.DONE, job.last_error
    again = api.get(f"wp/v2/pages/{local.remote_id}", params={"context": "edit"}).json()
    assert again["featured_media"] == 0


def test_a_pulled_posts_featured_image_stays_until_replaced(lib, engine, blog, api):
    upload = api.post(
        "wp/v2/media",
        content=png(6, 6, b"\x99\x10\x10"),
        headers={
            "Content-Type": "image/png",
            "Content-Disposition": 'attachment; filename="server-cover.png"',
        },
    )
    assert upload.status_code == 201, upload.text[:300]
    theirs = upload.json()["id"]
    title = unique("Made there with a cover")
    made = api.post(
        "wp/v2/posts",
        json={
            "title": title,
            "content": "<p>Written on the server.</p>",
            "status": "publish",
            "featured_media": theirs,
        },
    )
    assert made.status_code == 201, made.text[:300]
    remote_id = made.json()["id"]
    engine.pull_posts(blog)
    with lib.session() as s:
        post = s.scalars(select(Post).where(Post.remote_id == str(remote_id))).one()
        assert (post.featured_media_id, post.remote_featured_id) == (None, str(theirs))
        library.update_post(s, post.id, body="Written on the server, edited here.\n")
        s.commit()
        post_id = post.id
    job = run(lib, engine, publishing.request_update, post_id)
    assert job.state == outbox.DONE, job.last_error
    updated = raw_post(api, remote_id)
    assert "edited here" in updated["content"]["raw"]
    assert updated["featured_media"] == theirs  # kept, not removed

    with lib.session() as s:
        mine = media.store_image(s, png(5, 5, b"\x10\x10\x99"), "my-cover.png")
        library.update_post(s, post_id, featured_media_id=mine.id)
        s.commit()
    job = run(lib, engine, publishing.request_update, post_id)
    assert job.state == outbox.DONE, job.last_error
    with lib.session() as s:
        uploaded = publishing.media_for_blog(s, blog, mine.uuid)
    assert raw_post(api, remote_id)["featured_media"] == int(uploaded.remote_id)

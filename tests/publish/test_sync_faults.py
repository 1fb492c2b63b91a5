"""The sync worker through every fault of the fake WordPress, served on 127.0.0.1 (real sockets).

Through each: nothing local is lost (the post's text is intact; the job is pending or failed with
a clear error), and after retries the blog holds exactly one copy of the post.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from desktop_blog.core import db, library, outbox, publishing
from desktop_blog.core.models import Blog
from desktop_blog.publish.base import PostPayload
from desktop_blog.publish.http import make_client
from desktop_blog.publish.sync import SyncEngine
from desktop_blog.publish.wordpress_rest import WordPressRestConnector
from desktop_blog.render.markdown import render_html
from tests.fakes.wp_fake import WordPressFake
from tests.publish.test_sync import job_state, new_post, post_row, request

CLIENT_TIMEOUT = 0.5
TITLE = "Through the storm"
BODY = "A paragraph\nwrapped here.\n\n- one\n- two\n"


class Clock:
    """The engine's clock: real time plus however far a test has moved it on."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def skip(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@pytest.fixture
def lib(tmp_path: Path) -> Iterator[db.Library]:
    lib = db.open_library(tmp_path)
    yield lib
    lib.close()


@pytest.fixture
def fake() -> WordPressFake:
    return WordPressFake()


@pytest.fixture
def base_url(fake: WordPressFake) -> Iterator[str]:
    with fake.serve() as url:
        yield url


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with make_client(timeout=CLIENT_TIMEOUT) as client:
        yield client


@pytest.fixture
def clock() -> Clock:
    return Clock()


def add_blog(lib: db.Library, url: str) -> int:
    with lib.session() as s:
        blog = Blog(name="Fake", kind="wordpress-rest", url=url, username="admin")
        blog.api_url = f"{url}/wp-json/"
        s.add(blog)
        s.commit()
        return blog.id


def engine_for(lib, fake, client, clock, **kw) -> SyncEngine:
    def factory(account: publishing.BlogAccount) -> WordPressRestConnector:
        return WordPressRestConnector(client, account.api_url, fake.username, fake.app_password)

    return SyncEngine(lib, factory, clock=clock, duplicate_check_delay=2.0, **kw)


def live_posts(fake: WordPressFake, title: str = TITLE) -> list[dict]:
    with fake.lock:
        return [p for p in fake.posts.values() if p["title"] == title and p["status"] != "trash"]


def retry_until_done(engine: SyncEngine, lib, clock: Clock, job_id: int, rounds: int = 6) -> None:
    """Run the outbox the way the app's worker does, moving the clock past each backoff."""
    for _ in range(rounds):
        job = job_state(lib, job_id)
        if job.state == outbox.DONE:
            break
        if job.state == outbox.FAILED:  # the user presses Retry
            with lib.session() as s:
                outbox.retry(s, job_id)
                s.commit()
        clock.skip(601)
        engine.run_outbox()
    clock.skip(601)
    engine.run_outbox()  # the delayed duplicate check, if one was queued
    assert job_state(lib, job_id).state == outbox.DONE


FAULTS = [
    # (fault, its options, the job's state after the first run, words of its error)
    ("timeout", {"delay": 1.5}, outbox.PENDING, "no answer in time"),
    ("500", {}, outbox.PENDING, "critical error"),
    ("502", {}, outbox.PENDING, "502 Bad Gateway"),
    ("malformed_json", {}, outbox.PENDING, "not a valid API response"),
    ("drop_after_store", {}, outbox.PENDING, "connection broke off"),
    ("401", {}, outbox.FAILED, "application password"),
    ("429", {"retry_after": "7"}, outbox.PENDING, "slow down"),
]


@pytest.mark.parametrize(("kind", "options", "state", "words"), FAULTS, ids=[f[0] for f in FAULTS])
def test_create_through_a_fault_keeps_everything_and_makes_one_post(
    lib, fake, base_url, client, clock, kind, options, state, words
):
    blog = add_blog(lib, base_url)
    engine = engine_for(lib, fake, client, clock)
    post_id = new_post(lib, TITLE, BODY, tags=["weather"])
    job = request(lib, publishing.request_publish, post_id, blog)
    fake.inject(kind, route="/wp/v2/posts", method="POST", **options)

    before = datetime.now(UTC)
    report = engine.run_outbox()
    failed = job_state(lib, job.id)
    assert failed.state == state, failed
    assert words in failed.last_error
    assert [o.state for o in report.ran] == [state]
    row = post_row(lib, post_id)
    assert (row["title"], row["body"]) == (TITLE, BODY)  # nothing local lost
    if kind == "429":
        assert failed.next_attempt_at >= before + timedelta(seconds=7)  # Retry-After honoured
    if kind == "timeout":
        time.sleep(options["delay"])  # the server finishes what it started

    retry_until_done(engine, lib, clock, job.id)
    [remote] = live_posts(fake)
    assert post_row(lib, post_id)["remote_id"] == str(remote["id"])
    assert remote["status"] == "publish"


def test_timeout_that_creates_after_the_retry_is_cleaned_up(lib, fake, base_url, client, clock):
    """The server stalls past the client's timeout, the retry finds nothing and creates; then the
    stalled request makes its post too. The delayed duplicate check trashes one of the two."""
    blog = add_blog(lib, base_url)
    engine = engine_for(lib, fake, client, clock)
    post_id = new_post(lib, TITLE, BODY)
    job = request(lib, publishing.request_publish, post_id, blog)
    fake.inject("timeout", route="/wp/v2/posts", method="POST", delay=1.5)
    engine.run_outbox()
    clock.skip(601)
    engine.run_outbox()  # retried before the stalled request stored its post
    assert job_state(lib, job.id).state == outbox.DONE
    time.sleep(1.6)
    assert len(live_posts(fake)) == 2  # what no search could have prevented
    clock.skip(601)
    engine.run_outbox()  # the duplicate check
    [remote] = live_posts(fake)
    assert post_row(lib, post_id)["remote_id"] == str(remote["id"])
    with lib.session() as s:
        assert outbox.counts(s)[outbox.PENDING] == 0


def test_update_whose_answer_was_lost_is_not_a_conflict(lib, fake, base_url, client, clock):
    blog = add_blog(lib, base_url)
    engine = engine_for(lib, fake, client, clock)
    post_id = new_post(lib, TITLE, BODY)
    request(lib, publishing.request_publish, post_id, blog)
    engine.run_outbox()
    remote_id = int(post_row(lib, post_id)["remote_id"])
    time.sleep(1.05)  # the update's modified time moves to another second
    with lib.session() as s:
        library.update_post(s, post_id, body=BODY + "\nMore.\n")
        s.commit()
    job = request(lib, publishing.request_update, post_id)
    fake.inject("drop_after_store", route=f"/wp/v2/posts/{remote_id}", method="POST")
    engine.run_outbox()
    assert job_state(lib, job.id).state == outbox.PENDING
    assert "More." in fake.posts[remote_id]["content"]  # the blog has it; we do not know
    clock.skip(601)
    engine.run_outbox()
    assert job_state(lib, job.id).state == outbox.DONE
    assert post_row(lib, post_id)["remote_modified"] == fake.posts[remote_id]["modified_gmt"]
    assert len(live_posts(fake)) == 1


def test_offline_jobs_wait_in_order(lib, client, clock):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    blog = add_blog(lib, f"http://127.0.0.1:{port}")
    engine = engine_for(lib, WordPressFake(), client, clock)
    first = request(lib, publishing.request_publish, new_post(lib, "one", "1"), blog)
    second = request(lib, publishing.request_publish, new_post(lib, "two", "2"), blog)
    report = engine.run_outbox()
    assert [o.job_id for o in report.ran] == [first.id]  # the second waits behind the first
    assert report.waiting == 2 and report.next_wake is not None
    assert "could not connect" in job_state(lib, first.id).last_error
    assert job_state(lib, second.id).attempts == 0


def test_create_lost_by_a_crash_is_adopted_after_restart(lib, fake, base_url, client, clock):
    """The worker died after the blog made the post but before it was recorded: the job is left
    "running"; a new worker puts it back and finds the post by its marker."""
    blog = add_blog(lib, base_url)
    post_id = new_post(lib, TITLE, BODY)
    job = request(lib, publishing.request_publish, post_id, blog)
    with lib.session() as s:
        outbox.mark_running(s, job.id)
        s.commit()
    connector = WordPressRestConnector(client, f"{base_url}/wp-json/", "admin", fake.app_password)
    connector.create_post(
        PostPayload(TITLE, "<p>A paragraph</p>", status="publish"), job.idempotency_key
    )

    engine = engine_for(lib, fake, client, clock)  # the restart
    engine.run_outbox()
    assert job_state(lib, job.id).state == outbox.DONE
    [remote] = live_posts(fake)
    assert post_row(lib, post_id)["remote_id"] == str(remote["id"])
    assert remote["content"] == render_html(BODY)  # brought up to date


@pytest.mark.parametrize(("kind", "options", "state", "words"), FAULTS, ids=[f[0] for f in FAULTS])
def test_update_through_a_fault_keeps_everything_and_ends_without_a_false_conflict(
    lib, fake, base_url, client, clock, kind, options, state, words
):
    blog = add_blog(lib, base_url)
    engine = engine_for(lib, fake, client, clock)
    post_id = new_post(lib, TITLE, BODY)
    request(lib, publishing.request_publish, post_id, blog)
    engine.run_outbox()
    remote_id = int(post_row(lib, post_id)["remote_id"])
    time.sleep(1.05)  # the update's modified time is another second
    edited = BODY + "\nAn edit.\n"
    with lib.session() as s:
        library.update_post(s, post_id, body=edited)
        s.commit()
    job = request(lib, publishing.request_update, post_id)
    fake.inject(kind, route=f"/wp/v2/posts/{remote_id}", method="POST", **options)
    engine.run_outbox()
    failed = job_state(lib, job.id)
    assert (failed.state, words in failed.last_error) == (state, True)
    assert post_row(lib, post_id)["body"] == edited
    if kind == "timeout":
        time.sleep(options["delay"])
    retry_until_done(engine, lib, clock, job.id)
    assert fake.posts[remote_id]["content"] == render_html(edited)
    assert post_row(lib, post_id)["remote_modified"] == fake.posts[remote_id]["modified_gmt"]
    assert len(live_posts(fake)) == 1

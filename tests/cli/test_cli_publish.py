"""`desktop-blog publish` and `desktop-blog sync` as a script runs them: a real process, talking to
the fake WordPress on 127.0.0.1, with the exit codes documented in desktop_blog/cli_publish.py."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desktop_blog.core import db, library, outbox
from desktop_blog.core.models import OutboxJob, Post
from tests.cli.cli_helpers import FAKE_PASSWORD, library_with_fake_blog, run_cli
from tests.fakes.wp_fake import WordPressFake


@pytest.fixture
def fake() -> WordPressFake:
    return WordPressFake()


@pytest.fixture
def home(tmp_path: Path, site: str) -> Path:
    """A library with the blog "Fake" and one post, id in `post.txt`."""
    home = tmp_path / "lib"
    library_with_fake_blog(home, site)
    lib = db.open_library(home)
    try:
        with lib.session() as s:
            post = library.create_post(s, "From the terminal", "Hello\nworld.\n")
            s.commit()
        (tmp_path / "post.txt").write_text(str(post.id))
    finally:
        lib.close()
    return home


def post_id(home: Path) -> str:
    return (home.parent / "post.txt").read_text()


def run(
    home: Path, *args: str, password: str | None = FAKE_PASSWORD, stdin: str | None = None
) -> subprocess.CompletedProcess:
    return run_cli(home, *args, password=password, stdin=stdin)


def stored(fake: WordPressFake) -> list[dict]:
    with fake.lock:
        return [p for p in fake.posts.values() if p["status"] != "trash"]


def jobs(home: Path) -> list[tuple[str, str]]:
    lib = db.open_library(home)
    try:
        with lib.session() as s:
            return [(j.operation, j.state) for j in s.query(OutboxJob).order_by(OutboxJob.id)]
    finally:
        lib.close()


def test_publish_prints_the_address_and_exits_0(home, fake):
    done = run(home, "publish", post_id(home), "--blog", "Fake")
    assert done.returncode == 0, done.stderr
    [remote] = stored(fake)
    assert remote["status"] == "publish" and remote["title"] == "From the terminal"
    assert done.stdout.strip().endswith(f"/{remote['slug']}/")
    assert jobs(home) == [("publish", "done")]


def test_schedule_with_a_date(home, fake):
    when = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    done = run(
        home, "publish", post_id(home), "--blog", "fake", "--status", "future", "--date",
        when.isoformat(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [remote] = stored(fake)
    assert (remote["status"], remote["date_gmt"]) == ("future", when)


def test_offline_exits_3_keeps_the_job_and_sync_sends_it_later(home, fake):
    fake.inject("502", route="/wp/v2/posts", method="POST")
    waiting = run(home, "publish", post_id(home), "--blog", "Fake")
    assert waiting.returncode == 3, waiting.stderr
    assert "queued" in waiting.stderr and "502 Bad Gateway" in waiting.stderr
    assert stored(fake) == []
    assert jobs(home) == [("publish", "pending")]

    # the backoff has not passed: sync leaves it waiting, and says so
    early = run(home, "sync", "--blog", "Fake")
    assert early.returncode == 3, early.stderr
    lib = db.open_library(home)
    with lib.session() as s:  # as if the backoff had passed
        s.query(OutboxJob).update({OutboxJob.next_attempt_at: None})
        s.commit()
    lib.close()
    synced = run(home, "sync")
    assert synced.returncode == 0, synced.stderr
    assert "1 sent, 0 waiting" in synced.stdout
    assert len(stored(fake)) == 1


def test_refused_password_exits_1_with_a_clear_message(home, fake):
    fake.inject("401", route="/wp/v2/posts", method="POST")
    failed = run(home, "publish", post_id(home), "--blog", "Fake")
    assert failed.returncode == 1
    assert "application password" in failed.stderr
    assert jobs(home) == [("publish", "failed")]


def test_no_password_unknown_blog_and_bad_usage(home, fake):
    missing = run(home, "publish", post_id(home), "--blog", "Fake", password=None)
    assert missing.returncode == 1
    assert "DESKTOP_BLOG_PASSWORD" in missing.stderr
    assert jobs(home) == [("publish", "pending")]  # kept for a later sync
    unknown = run(home, "publish", post_id(home), "--blog", "Nope")
    assert (unknown.returncode, 'no blog named "Nope"' in unknown.stderr) == (1, True)
    past = run(home, "publish", post_id(home), "--blog", "Fake", "--status", "future", "--date",
               "2001-01-01T00:00:00Z")  # fmt: skip
    assert (past.returncode, "in the past" in past.stderr) == (1, True)
    bad = run(home, "publish", post_id(home), "--blog", "Fake", "--status", "private")
    assert bad.returncode == 2
    assert stored(fake) == []


def test_conflict_exits_4_and_writes_nothing(home, fake):
    assert run(home, "publish", post_id(home), "--blog", "Fake").returncode == 0
    [remote] = stored(fake)
    fake.touch(remote["id"], content="<p>Edited in wp-admin.</p>")
    assert run(home, "edit", post_id(home), "--file", "-").returncode == 0
    again = run(home, "publish", post_id(home), "--blog", "Fake")
    assert again.returncode == 4, again.stderr
    assert "Nothing was overwritten" in again.stderr
    assert fake.posts[remote["id"]]["content"] == "<p>Edited in wp-admin.</p>"
    assert jobs(home)[-1] == ("publish", outbox.CONFLICT)


def test_sync_pulls_posts_written_on_the_blog(home, fake):
    remote = fake.add_post(title="Written in wp-admin", content="<p>Some <em>HTML</em>.</p>")
    synced = run(home, "sync")
    assert synced.returncode == 0, synced.stderr
    assert "Fake: pulled 1 new, 0 updated" in synced.stdout
    lib = db.open_library(home)
    try:
        with lib.session() as s:
            post = s.query(Post).filter(Post.remote_id == str(remote["id"])).one()
            assert (post.title, post.body) == ("Written in wp-admin", "Some *HTML*.\n")
            assert post.original_html == "<p>Some <em>HTML</em>.</p>"
    finally:
        lib.close()


def test_blog_added_with_the_cli_then_published(tmp_path, fake, site):
    home = tmp_path / "fresh"
    added = run(home, "blog", "add", site, "--user", "admin", "--password-stdin",
                "--name", "Mine", password=None, stdin=fake.app_password)  # fmt: skip
    assert added.returncode == 0, added.stderr
    made = run(home, "new", "--title", "Via the CLI")
    assert made.returncode == 0, made.stderr
    done = run(home, "publish", made.stdout.strip(), "--blog", "mine")
    assert done.returncode == 0, done.stderr
    assert [p["title"] for p in stored(fake)] == ["Via the CLI"]

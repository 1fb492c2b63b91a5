"""`desktop-blog comments ...` as a script runs it: a real process, talking to the fake
WordPress on 127.0.0.1, with the exit codes documented in desktop_blog/cli_comments.py."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from desktop_blog.core import db
from desktop_blog.core.models import Post
from tests.cli.cli_helpers import FAKE_PASSWORD, library_with_fake_blog, run_cli
from tests.fakes.wp_fake import WordPressFake


@pytest.fixture
def fake() -> WordPressFake:
    return WordPressFake()


@pytest.fixture
def remote_post(fake: WordPressFake) -> int:
    return fake.add_post(title="Hello", content="<p>Hi</p>", status="publish")["id"]


@pytest.fixture
def home(tmp_path: Path, site: str, remote_post: int) -> Path:
    """A library with the blog "Fake" and its post "Hello"."""
    home = tmp_path / "lib"
    blog_id = library_with_fake_blog(home, site)
    lib = db.open_library(home)
    try:
        with lib.session() as s:
            s.add(Post(blog_id=blog_id, title="Hello", remote_id=str(remote_post)))
            s.commit()
    finally:
        lib.close()
    return home


def run(
    home: Path, *args: str, password: str | None = FAKE_PASSWORD
) -> subprocess.CompletedProcess:
    return run_cli(home, "comments", *args, password=password)


def listed(home: Path, *args: str) -> list[dict]:
    done = run(home, "list", "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_sync_list_and_moderate(home, fake, remote_post):
    ada = fake.add_comment(remote_post, "<p>Lovely post</p>", author_name="Ada")
    bob = fake.add_comment(remote_post, "<p>Buy pills</p>", author_name="Bob")
    done = run(home, "sync")
    assert done.returncode == 0, done.stderr
    assert "Fake: 2 new" in done.stdout

    pending = listed(home, "--status", "pending")
    assert {c["author"] for c in pending} == {"Ada", "Bob"}
    assert all(c["post_title"] == "Hello" and c["status"] == "pending" for c in pending)
    by_author = {c["author"]: c["id"] for c in pending}
    text = run(home, "list")
    assert text.returncode == 0 and "Lovely post" in text.stdout and "Ada" in text.stdout

    done = run(home, "approve", str(by_author["Ada"]))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(by_author["Ada"]), "approved"]
    done = run(home, "spam", str(by_author["Bob"]))
    assert done.returncode == 0, done.stderr
    with fake.lock:
        assert fake.comments[ada["id"]]["status"] == "approve"
        assert fake.comments[bob["id"]]["status"] == "spam"
    assert [c["author"] for c in listed(home, "--status", "approved")] == ["Ada"]
    assert [c["author"] for c in listed(home, "--status", "spam")] == ["Bob"]

    done = run(home, "trash", str(by_author["Ada"]), str(by_author["Bob"]))
    assert done.returncode == 0, done.stderr
    with fake.lock:
        assert {fake.comments[c["id"]]["status"] for c in (ada, bob)} == {"trash"}
    done = run(home, "unapprove", str(by_author["Ada"]))
    assert done.returncode == 0 and fake.comments[ada["id"]]["status"] == "hold"


def test_reply_prints_the_new_comment(home, fake, remote_post):
    ada = fake.add_comment(remote_post, "<p>Question?</p>", author_name="Ada")
    run(home, "sync")
    [comment] = listed(home)
    done = run(home, "reply", str(comment["id"]), "--text", "An *answer*.")
    assert done.returncode == 0, done.stderr
    local_id, remote_id = done.stdout.split()
    with fake.lock:
        reply = fake.comments[int(remote_id)]
    assert reply["parent"] == ada["id"] and "<em>answer</em>" in reply["content"]
    assert reply["author_name"] == fake.username
    assert any(c["id"] == int(local_id) and c["remote_id"] == remote_id for c in listed(home))


def test_a_comment_deleted_on_the_blog_is_refused_undone_and_explained(home, fake, remote_post):
    gone = fake.add_comment(remote_post, "<p>Soon gone</p>", author_name="Ada")
    run(home, "sync")
    [comment] = listed(home)
    with fake.lock:
        del fake.comments[gone["id"]]
    done = run(home, "approve", str(comment["id"]))
    assert done.returncode == 1
    assert "no longer exists on the blog" in done.stderr
    assert [c["status"] for c in listed(home)] == ["pending"]  # set back
    assert run(home, "sync").returncode == 0
    assert listed(home) == []  # and gone after the next sync


def test_offline_the_change_waits_with_exit_3(home, fake, remote_post, tmp_path):
    fake.add_comment(remote_post, "<p>Hello</p>", author_name="Ada")
    run(home, "sync")
    [comment] = listed(home)
    fake.inject("502", route="/wp/v2/comments", method="POST", count=1)
    done = run(home, "approve", str(comment["id"]))
    assert done.returncode == 3, done.stderr
    assert "queued" in done.stderr
    assert [c["status"] for c in listed(home)] == ["approved"]  # kept here


def test_usage_and_unknown_ids(home):
    assert run(home, "approve").returncode == 2
    assert run(home, "list", "--status", "approvedd").returncode == 2
    done = run(home, "approve", "999")
    assert done.returncode == 1 and "No comment with id 999" in done.stderr
    assert run(home, "reply", "999", "--text", "x").returncode == 1

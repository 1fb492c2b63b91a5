"""Fixtures for the comment inbox's tests: a migrated library with a blog, posts and comments."""

from __future__ import annotations

from pathlib import Path

import pytest
from comment_helpers import remote

from desktop_blog.core import comments as core
from desktop_blog.core.db import Library, open_library
from desktop_blog.core.models import Blog, Post


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    library = open_library(tmp_path / "lib")
    with library.session() as s:
        s.add(
            Blog(
                id=1,
                name="First blog",
                kind="wordpress-rest",
                url="https://one.example",
                username="me",
            )
        )
        s.add(
            Blog(id=2, name="Second blog", kind="xmlrpc", url="https://two.example", username="me")
        )
        s.add(Post(id=10, blog_id=1, title="Hello world", remote_id="100", status="published"))
        s.add(Post(id=11, blog_id=1, title="Second post", remote_id="101", status="published"))
        s.add(
            Post(id=20, blog_id=2, title="Other blog's post", remote_id="100", status="published")
        )
        s.commit()
    yield library
    library.close()


@pytest.fixture
def filled(lib: Library) -> Library:
    """Blog 1: 20 comments on post 100 (ids 1-20), statuses cycling hold/approve/spam/trash,
    a thread 1 <- 2 <- 3 and 1 <- 4; 5 comments on post 101 (21-25, hold). Blog 2: 3 comments."""
    statuses = ["hold", "approved", "spam", "trash"]
    parents = {2: 1, 3: 2, 4: 1}
    with lib.session() as s:
        core.upsert_remote_comments(
            s,
            1,
            [
                remote(i, status=statuses[(i - 1) % 4], parent=parents.get(i, 0))
                for i in range(1, 21)
            ]
            + [remote(i, post=101) for i in range(21, 26)],
        )
        core.upsert_remote_comments(
            s, 2, [remote(i, content="<p>blue whale</p>") for i in (1, 2, 3)]
        )
    return lib

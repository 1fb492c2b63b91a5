"""Blogs in the library: add, find, list, remove; unique names and accounts; no secret column."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop_blog.core import blogs, library
from desktop_blog.core.db import open_library
from desktop_blog.core.models import Comment, OutboxJob, Post


@pytest.fixture
def lib(tmp_path: Path):
    lib = open_library(tmp_path / "home")
    yield lib
    lib.close()


def add(session, name="My Blog", url="https://blog.example.org/", user="editor", **kw):
    kind = kw.pop("kind", blogs.REST)
    api = kw.pop("api_url", "https://blog.example.org/wp-json/")
    return blogs.add_blog(session, name, kind, url, api, user)


def test_add_get_and_list(lib):
    with lib.session() as s:
        added = add(s)
        add(s, "Another", "https://other.example/", kind=blogs.XMLRPC, api_url=None)
        s.commit()
    assert isinstance(added, library.BlogData)  # usable wherever BlogData is
    assert added.url == "https://blog.example.org"  # canonical: no trailing slash
    assert added.api_url == "https://blog.example.org/wp-json/"
    with lib.session() as s:
        assert blogs.get_blog_by_name(s, "My Blog") == added
        assert blogs.get_blog_by_name(s, "my blog") == added  # case does not matter
        assert blogs.get_blog(s, added.id) == added
        assert [b.name for b in blogs.list_blogs(s)] == ["Another", "My Blog"]
        assert [b.name for b in library.list_blogs(s)] == ["Another", "My Blog"]
        with pytest.raises(blogs.BlogNotFound, match='no blog named "Nope"'):
            blogs.get_blog_by_name(s, "Nope")


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("https://Blog.Example.ORG/", "https://blog.example.org"),
        ("https://blog.example.org:443/news/", "https://blog.example.org/news"),
        ("http://127.0.0.1:8080/?p=1#x", "http://127.0.0.1:8080"),
        ("http://[::1]:80/", "http://[::1]"),
    ],
)
def test_canonical_url(given, stored):
    assert blogs.canonical_url(given) == stored


def test_names_are_unique_ignoring_case(lib):
    with lib.session() as s:
        add(s)
        with pytest.raises(blogs.DuplicateBlog, match='already a blog named "My Blog"') as err:
            add(s, "  MY   blog ", "https://elsewhere.example/")
        assert err.value.existing.name == "My Blog"


def test_the_same_site_and_user_twice_is_refused(lib):
    with lib.session() as s:
        add(s)
        with pytest.raises(blogs.DuplicateBlog) as err:
            add(s, "Copy", "https://BLOG.example.org:443")
        assert str(err.value) == (
            'https://blog.example.org with the user "editor" is already in the library as the '
            'blog "My Blog".'
        )
        add(s, "As someone else", "https://blog.example.org", user="author")  # another user: fine


@pytest.mark.parametrize(
    ("name", "kind", "url", "user", "message"),
    [
        ("", blogs.REST, "https://a.example", "u", "needs a name"),
        ("x", "atom", "https://a.example", "u", "Unknown blog kind"),
        ("x", blogs.REST, "ftp://a.example", "u", "not a web address"),
        ("x", blogs.REST, "a.example", "u", "not a web address"),
        ("x", blogs.REST, "https://a.example", " ", "needs a user name"),
        ("x" * 201, blogs.REST, "https://a.example", "u", "at most 200"),
    ],
)
def test_invalid_blogs(lib, name, kind, url, user, message):
    with lib.session() as s, pytest.raises(blogs.BlogError, match=message):
        blogs.add_blog(s, name, kind, url, None, user)


def test_unique_name(lib):
    with lib.session() as s:
        assert blogs.unique_name(s, "My Blog") == "My Blog"
        add(s)
        add(s, "My Blog (2)", "https://two.example")
        assert blogs.unique_name(s, "my blog") == "my blog (3)"
        assert blogs.unique_name(s, "   ") == "Blog"


def test_remove_keeps_posts_as_local_posts(lib):
    with lib.session() as s:
        blog = add(s)
        post = Post(title="Written for the blog", body="text", blog_id=blog.id, remote_id="42")
        s.add(post)
        s.flush()
        s.add(Comment(blog_id=blog.id, post_id=post.id, remote_id="7", content="hi"))
        s.add(OutboxJob(blog_id=blog.id, post_id=post.id, operation="publish"))
        s.commit()
        post_id = post.id
    with lib.session() as s:
        removed = blogs.remove_blog(s, "my blog")
        s.commit()
    assert removed.blog.name == "My Blog" and removed.posts_kept == 1
    with lib.session() as s:
        post = s.get(Post, post_id)
        assert (post.title, post.blog_id, post.remote_id) == ("Written for the blog", None, None)
        assert s.scalars(select(Comment)).all() == []
        assert s.scalars(select(OutboxJob)).all() == []
        assert blogs.list_blogs(s) == []
        with pytest.raises(blogs.BlogNotFound):
            blogs.remove_blog(s, "My Blog")


def test_remove_with_its_posts(lib):
    with lib.session() as s:
        blog = add(s)
        s.add(Post(title="pulled", blog_id=blog.id, remote_id="1"))
        s.add(Post(title="local, no blog"))
        s.commit()
    with lib.session() as s:
        removed = blogs.remove_blog(s, "My Blog", delete_posts=True)
        s.commit()
    assert removed.posts_deleted == 1 and removed.posts_kept == 0
    with lib.session() as s:
        titles = set(s.scalars(select(Post.title)))
    assert "pulled" not in titles and "local, no blog" in titles


def test_the_blogs_table_has_no_place_for_a_secret(lib):
    with sqlite3.connect(lib.path) as con:
        columns = {row[1] for row in con.execute("PRAGMA table_info(blogs)")}
    assert columns  # the table exists
    assert not {c for c in columns if any(w in c for w in ("pass", "secret", "token", "key"))}

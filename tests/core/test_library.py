"""Library operations, as the window and the command line use them."""

from datetime import timedelta
from pathlib import Path

import pytest

from desktop_blog.core import db, library, media, search
from desktop_blog.core.models import Media, Post, Revision, utcnow


@pytest.fixture
def lib(tmp_path: Path):
    lib = db.open_library(tmp_path)
    yield lib
    lib.close()


def test_create_edit_and_read_back(lib):
    with lib.session() as s:
        post = library.create_post(s, "First", "Hello *world*")
        s.commit()
    with lib.session() as s:
        library.update_post(
            s, post.id, slug="first", excerpt="short", tags=["a", "B", "a"], categories=["News"]
        )
        s.commit()
    with lib.session() as s:
        got = library.get_post(s, post.id)
    assert (got.title, got.body, got.slug, got.excerpt) == (
        "First",
        "Hello *world*",
        "first",
        "short",
    )
    assert got.tags == ["B", "a"]  # duplicates dropped, sorted by name
    assert got.categories == ["News"]
    assert got.status == library.DRAFT


def test_save_text_only_touches_when_changed(lib):
    with lib.session() as s:
        post = library.create_post(s, "T", "B")
        s.commit()
        first = library.save_text(s, post.id, "T", "B")
        s.commit()
        second = library.save_text(s, post.id, "T", "B2")
        s.commit()
    assert first == post.updated_at
    assert second > first


def test_trash_restore_returns_to_previous_status_and_keeps_revision(lib):
    with lib.session() as s:
        post = library.create_post(s, "P", "text")
        library.update_post(s, post.id, status=library.PUBLISHED)
        library.trash_post(s, post.id)
        s.commit()
        assert library.status_counts(s)[library.TRASH] == 1
        assert [r.reason for r in library.list_revisions(s, post.id)] == ["trash"]
        restored = library.restore_post(s, post.id)
        s.commit()
    assert restored.status == library.PUBLISHED


def test_delete_forever_keeps_a_detached_revision(lib):
    with lib.session() as s:
        post = library.create_post(s, "Gone", "last words")
        s.commit()
        library.delete_post(s, post.id)
        s.commit()
        with pytest.raises(library.PostNotFound):
            library.get_post(s, post.id)
        kept = s.query(Revision).filter_by(post_uuid=post.uuid).one()
    assert kept.body == "last words" and kept.post_id is None


def test_duplicate_copies_content_and_tags(lib):
    with lib.session() as s:
        post = library.create_post(s, "Original", "body")
        library.update_post(s, post.id, tags=["x"], categories=["c"], excerpt="e")
        copy = library.duplicate_post(s, post.id)
        s.commit()
    assert copy.id != post.id
    assert (copy.title, copy.body, copy.tags, copy.categories, copy.excerpt) == (
        "Original (copy)",
        "body",
        ["x"],
        ["c"],
        "e",
    )


def test_periodic_snapshot_only_when_due_and_changed(lib):
    with lib.session() as s:
        post = library.create_post(s, "P", "one")
        assert library.snapshot_if_due(s, post.id) is not None
        assert library.snapshot_if_due(s, post.id) is None  # too soon
        rev = s.query(Revision).filter_by(post_id=post.id).one()
        rev.created_at = utcnow() - timedelta(minutes=10)
        assert library.snapshot_if_due(s, post.id) is None  # nothing changed
        library.save_text(s, post.id, "P", "two")
        assert library.snapshot_if_due(s, post.id).body == "two"


def test_folders_page_newest_first(lib):
    with lib.session() as s:
        ids = [library.create_post(s, f"p{i}").id for i in range(25)]
        s.commit()
        first = library.post_ids(s, None, library.DRAFT, limit=10)
        rest = library.post_ids(s, None, library.DRAFT, offset=10, limit=100)
        got = library.summaries(s, first[:3])
    assert first + rest == list(reversed(ids))
    assert got[first[0]].title == "p24"


def test_search_index_follows_the_posts(lib):
    with lib.session() as s:
        a = library.create_post(s, "Gardening in spring", "Tomatoes and basil")
        b = library.create_post(s, "Cars", "Engines and gardening tools")
        s.commit()
        # Title matches rank above body matches.
        assert search.search_ids(s, "gardening") == [a.id, b.id]
        assert search.search_ids(s, "toma") == [a.id]  # prefix, as typed
        library.update_post(s, a.id, body="Peppers")
        s.commit()
        assert search.search_ids(s, "tomatoes") == []
        library.delete_post(s, b.id)
        s.commit()
        assert search.search_ids(s, "engines") == []
        assert search.search_counts(s, "garden") == {"draft": 1}


@pytest.mark.parametrize("typed", ['"', "AND", "a OR", "*", "NEAR(", "title:x", "-", "ü", ""])
def test_search_survives_any_typing(lib, typed):
    with lib.session() as s:
        library.create_post(s, "Über uns", "and or near")
        s.commit()
        search.search_ids(s, typed)
        search.search_counts(s, typed)


def test_search_ignores_accents(lib):
    with lib.session() as s:
        p = library.create_post(s, "Café crème", "")
        s.commit()
        assert search.search_ids(s, "cafe") == [p.id]


def test_restoring_a_revision_keeps_the_replaced_text(lib):
    with lib.session() as s:
        post = library.create_post(s, "T", "first draft")
        old = library.snapshot(s, post.id, "periodic")
        library.save_text(s, post.id, "T2", "second draft")
        restored = library.restore_revision(s, post.id, old.id)
        s.commit()
        revs = library.list_revisions(s, post.id)
    assert (restored.title, restored.body) == ("T", "first draft")
    assert [(r.reason, r.body) for r in revs][:2] == [
        ("restored", "first draft"),
        ("before-restore", "second draft"),
    ]


def test_a_post_becomes_a_page_until_it_is_on_a_blog(lib):
    with lib.session() as s:
        post = library.create_post(s, "About", "Who we are")
        assert library.update_post(s, post.id, kind="page").kind == "page"
        with pytest.raises(ValueError, match="'post' or 'page'"):
            library.update_post(s, post.id, kind="attachment")
        s.get(Post, post.id).remote_id = "12"  # published as a page
        with pytest.raises(ValueError, match="already on the blog"):
            library.update_post(s, post.id, kind="post")
        assert library.update_post(s, post.id, kind="page").kind == "page"  # unchanged: fine
        s.commit()
    with lib.session() as s:
        assert library.get_post(s, post.id).kind == "page"


def test_a_library_image_as_featured_image_replaces_the_blogs(lib):
    from tests.images import png

    with lib.session() as s:
        cover = media.store_image(s, png(4, 4), "cover.png")
        post = library.create_post(s, "Pictured", "")
        library.update_post(s, post.id, remote_featured_id="77")
        got = library.update_post(s, post.id, featured_media_id=cover.id)
        assert (got.featured_media_id, got.remote_featured_id) == (cover.id, None)
        with pytest.raises(ValueError, match="no image 999"):
            library.update_post(s, post.id, featured_media_id=999)
        s.commit()
    with lib.session() as s:
        assert library.get_post(s, post.id).featured_media_id == cover.id
        s.delete(s.get(Media, cover.id))  # the image deleted: the post keeps no dangling id
        s.commit()
    with lib.session() as s:
        assert library.get_post(s, post.id).featured_media_id is None


def test_term_names_are_the_blogs_own_or_the_librarys(lib):
    from desktop_blog.core.models import Blog, Category

    with lib.session() as s:
        blog = Blog(name="B", kind="wordpress-rest", url="https://b.example", username="u")
        s.add(blog)
        s.flush()
        s.add(Category(blog_id=blog.id, name="travel", slug="travel"))  # synced from the blog
        local = library.create_post(s, "Here", "")
        library.update_post(s, local.id, categories=["Notes"], tags=["zebra", "Apple"])
        s.commit()
        assert library.term_names(s, blog.id) == (["travel"], [])
        assert library.term_names(s, None) == (["Notes"], ["Apple", "zebra"])

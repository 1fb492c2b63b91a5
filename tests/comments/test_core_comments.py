"""core.comments: storing synced comments, lists, counts, search, status changes, threads."""

from __future__ import annotations

from comment_helpers import remote

from desktop_blog.core import comments as core
from desktop_blog.core.comments import CommentFilter
from desktop_blog.core.models import Comment


def test_upsert_maps_posts_and_updates(lib):
    with lib.session() as s:
        r = core.upsert_remote_comments(s, 1, [remote(1), remote(2, post=999), remote(3, post=101)])
        assert (r.inserted, r.updated) == (3, 0)
        rows = {c.remote_id: c for c in s.query(Comment).all()}
        assert rows["1"].post_id == 10 and rows["2"].post_id is None and rows["3"].post_id == 11
        assert rows["1"].status == "hold" and rows["1"].is_read is False
        core.mark_read(s, [rows["1"].id])
        again = core.upsert_remote_comments(
            s, 1, [remote(1, status="approved", content="<p>edited</p>")]
        )
        assert (again.inserted, again.updated) == (0, 1)
        assert again.ids == [rows["1"].id]
        s.expire_all()
        one = s.get(Comment, rows["1"].id)
        assert one.status == "approve" and one.content == "<p>edited</p>"
        assert one.is_read is True  # a re-sync keeps what the user read
        # The same remote id in another blog is another comment.
        other = core.upsert_remote_comments(s, 2, [remote(1)])
        assert other.inserted == 1 and other.ids[0] != rows["1"].id
        assert s.get(Comment, other.ids[0]).post_id == 20
        # Comments on a post synced later get attached to it.
        assert core.attach_post(s, 1, "999", 11) == 1


def test_ids_newest_first_with_filters(filled):
    with filled.session() as s:
        pending = core.comment_ids(s, CommentFilter("hold", blog_id=1))
        dates = [r.date for r in core.comment_rows(s, pending)]
        assert dates == sorted(dates, reverse=True)
        assert len(pending) == 5 + 5
        assert len(core.comment_ids(s, CommentFilter(None))) == 28
        assert len(core.comment_ids(s, CommentFilter(None, blog_id=1))) == 25
        assert len(core.comment_ids(s, CommentFilter(None, blog_id=2))) == 3
        assert len(core.comment_ids(s, CommentFilter("approve", blog_id=1))) == 5
        assert len(core.comment_ids(s, CommentFilter(None, post_id=11))) == 5
        assert len(core.comment_ids(s, CommentFilter("hold", post_id=10))) == 5
        page1 = core.comment_ids(s, CommentFilter(None), 0, 10)
        page2 = core.comment_ids(s, CommentFilter(None), 10, 10)
        assert len(page1) == 10 and not set(page1) & set(page2)
        assert page1 + page2 == core.comment_ids(s, CommentFilter(None), 0, 20)
        blog_all = core.comment_ids(s, CommentFilter(None, blog_id=1))
        dates = [r.date for r in core.comment_rows(s, blog_all)]
        assert dates == sorted(dates, reverse=True)


def test_counts_follow_changes(filled):
    with filled.session() as s:
        counts = core.filter_counts(s, CommentFilter(blog_id=1))
        assert counts.counts == {"hold": 10, "approve": 5, "spam": 5, "trash": 5, "all": 25}
        everywhere = core.filter_counts(s, CommentFilter())
        assert everywhere["hold"] == 13 and everywhere.total == 28
        assert core.filter_counts(s, CommentFilter(post_id=11)).counts["hold"] == 5
        ids = core.comment_ids(s, CommentFilter("hold", blog_id=1))[:3]
        previous = core.set_status(s, ids, "spam")
        assert set(previous.values()) == {"hold"}
        after = core.filter_counts(s, CommentFilter(blog_id=1))
        assert (after["hold"], after["spam"]) == (7, 8)
        core.set_statuses(s, previous)
        assert core.filter_counts(s, CommentFilter(blog_id=1))["hold"] == 10
        # Unread: all are unread at first.
        assert core.filter_counts(s, CommentFilter(blog_id=1, unread_only=True)).total == 25
        before = core.mark_read(s, ids)
        assert before == dict.fromkeys(ids, False)
        unread = core.filter_counts(s, CommentFilter(blog_id=1, unread_only=True))
        assert unread["hold"] == 7 and unread.total == 22
        assert not set(ids) & set(core.comment_ids(s, CommentFilter("hold", unread_only=True)))
        assert core.unread_by_blog(s) == {1: 7 + 5, 2: 3}  # spam and trash left out
        # The three newest pending comments are on post 101.
        assert core.unread_by_post(s, [10, 11, 20]) == {10: 10, 11: 2, 20: 3}
        core.mark_unread(s, ids)
        assert core.filter_counts(s, CommentFilter(unread_only=True)).total == 28
        # Deleting a comment (as when its blog goes) keeps the counts right.
        s.query(Comment).filter(Comment.blog_id == 2).delete()
        s.commit()
        assert core.filter_counts(s, CommentFilter()).total == 25


def test_search_author_and_text(filled):
    with filled.session() as s:
        assert len(core.comment_ids(s, CommentFilter(None, search="whale"))) == 3
        assert len(core.comment_ids(s, CommentFilter(None, search="blu"))) == 3  # prefix
        assert len(core.comment_ids(s, CommentFilter(None, blog_id=1, search="whale"))) == 0
        found = core.comment_ids(s, CommentFilter("hold", blog_id=1, search="number 5"))
        assert [r.author for r in core.comment_rows(s, found)] == ["Author 5"]
        counts = core.filter_counts(s, CommentFilter(search="whale"))
        assert counts.counts["hold"] == 3 and counts.exact
        assert core.comment_ids(s, CommentFilter(None, search="  ")) != []  # no words: no search
        # Edited text is found by its new words, not its old ones.
        core.upsert_remote_comments(s, 2, [remote(1, content="<p>orca</p>")])
        assert len(core.comment_ids(s, CommentFilter(None, search="orca"))) == 1
        assert len(core.comment_ids(s, CommentFilter(None, search="whale"))) == 2
        assert core.comment_ids(s, CommentFilter(None, search='"quote" AND OR *')) == []


def test_rows_detail_and_thread(filled):
    with filled.session() as s:
        ids = {c.remote_id: c.id for c in s.query(Comment).filter(Comment.blog_id == 1)}
        rows = core.comment_rows(s, [ids["3"], 999999, ids["1"]])
        assert [r.id for r in rows] == [ids["3"], ids["1"]]
        assert rows[0].post_title == "Hello world" and rows[0].excerpt == "Comment number 3"
        detail = core.comment_detail(s, ids["2"])
        assert detail.blog_name == "First blog" and detail.post_title == "Hello world"
        assert detail.author_email == "a2@example.com" and detail.author_ip == "10.0.0.2"
        assert core.comment_detail(s, 999999) is None
        t = core.thread(s, ids["2"])
        assert [p.id for p in t.parents] == [ids["1"]]
        assert [(d, r.id) for d, r in t.replies] == [(1, ids["3"])]
        root = core.thread(s, ids["1"])
        assert root.parents == []
        assert [(d, r.id) for d, r in root.replies] == [(1, ids["2"]), (2, ids["3"]), (1, ids["4"])]
        assert [p.id for p in core.thread(s, ids["3"]).parents] == [ids["1"], ids["2"]]


def test_thread_survives_a_cycle(lib):
    with lib.session() as s:
        r = core.upsert_remote_comments(s, 1, [remote(1, parent=2), remote(2, parent=1)])
        t = core.thread(s, r.ids[0])
        assert [p.id for p in t.parents] == [r.ids[1]]
        assert t.replies == []


def test_rows_of_a_huge_comment_read_only_its_start(lib):
    with lib.session() as s:
        r = core.upsert_remote_comments(s, 1, [remote(1, content="<p>" + "x" * 1_000_000 + "</p>")])
        (row,) = core.comment_rows(s, r.ids)
        assert len(row.excerpt) <= 160
        assert len(core.comment_detail(s, r.ids[0]).content) > 1_000_000

"""Migration 0003 on a library that already holds comments: indexed and counted."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from desktop_blog.core import comments as core
from desktop_blog.core import db
from desktop_blog.core.comments import CommentFilter


def test_upgrade_indexes_and_counts_existing_comments(tmp_path: Path):
    path = db.database_path(tmp_path)
    engine = db.make_engine(f"sqlite:///{path}")
    db.migrate(engine, "0002")
    with engine.begin() as con:
        con.execute(
            text(
                "INSERT INTO blogs (id, name, kind, url, username, created_at) "
                "VALUES (1, 'B', 'wordpress-rest', 'https://b.example', 'me', '2024-01-01')"
            )
        )
        for i, (status, body, read) in enumerate(
            [("hold", "zebra crossing", 0), ("approve", "orchids", 1), ("hold", "zebras", 1)],
            start=1,
        ):
            con.execute(
                text(
                    "INSERT INTO comments (blog_id, remote_id, author_name, author_email, "
                    "author_url, author_ip, content, status, date, is_read) VALUES "
                    "(1, :r, 'Ann', '', '', '', :c, :s, '2024-01-0' || :r || ' 10:00:00', :read)"
                ),
                {"r": str(i), "c": f"<p>{body}</p>", "s": status, "read": read},
            )
    engine.dispose()
    lib = db.open_library(tmp_path)
    try:
        with lib.session() as s:
            assert len(core.comment_ids(s, CommentFilter(None, search="zebra"))) == 2
            counts = core.filter_counts(s, CommentFilter())
            assert counts.counts == {"hold": 2, "approve": 1, "spam": 0, "trash": 0, "all": 3}
            assert core.filter_counts(s, CommentFilter(unread_only=True)).total == 1
            assert core.unread_by_blog(s) == {1: 1}
    finally:
        lib.close()
    assert db.integrity_ok(path)

"""Helpers shared by the comment tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from desktop_blog.publish.base import RemoteComment

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def remote(
    i: int,
    *,
    post: int = 100,
    parent: int = 0,
    status: str = "hold",
    content: str | None = None,
    author: str | None = None,
    minutes: int | None = None,
) -> RemoteComment:
    return RemoteComment(
        id=i,
        post_id=post,
        parent_id=parent,
        author_name=author if author is not None else f"Author {i}",
        author_email=f"a{i}@example.com",
        author_url=f"https://a{i}.example.com",
        author_ip=f"10.0.0.{i % 250}",
        content_html=content if content is not None else f"<p>Comment number {i}</p>",
        status=status,
        date_gmt=T0 + timedelta(minutes=i if minutes is None else minutes),
    )

"""Helpers of the export and import tests: small real images and a post with everything."""

from __future__ import annotations

from datetime import UTC, datetime

from desktop_blog.core import library, media
from tests import images


def png(width: int, height: int, rgb: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A valid PNG of one colour (red unless told)."""
    return images.png(width, height, rgb)


CODE = 'def greet(name):\n    return f"hello {name}"'


def make_post(
    session,
    title: str = "Exporting posts",
    *,
    image: bytes | None = None,
    status: str = library.PUBLISHED,
    tags=("export", "Python"),
    categories=("Notes",),
    extra: str = "",
) -> library.PostData:
    body = f"Intro paragraph with a [link](https://example.com/page).\n\n```python\n{CODE}\n```\n"
    if image is not None:
        stored = media.store_image(session, image, "red square.png")
        body += f"\n{media.markdown_for(stored)}\n"
    body += extra
    post = library.create_post(session, title=title, body=body)
    post = library.update_post(
        session,
        post.id,
        excerpt="A short summary: with a colon",
        tags=list(tags),
        categories=list(categories),
        status=status,
    )
    from desktop_blog.core.models import Post

    row = session.get(Post, post.id)
    row.created_at = datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
    if status == library.PUBLISHED:
        row.published_at = datetime(2025, 3, 5, 9, 30, tzinfo=UTC)
    session.flush()
    return library.get_post(session, post.id)

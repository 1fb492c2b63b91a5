"""A small file beside the library with the last open post, so that start-up can show it in the
preview before the library is open.

Opening the library means importing SQLAlchemy (a quarter of a second, a second on a busy
machine) and more; the preview can meanwhile show the post from this file: its text, and the
HTML blocks the preview last showed for exactly that text (with the code CSS of the theme they
were shown in), so the first frame of the preview needs no rendering either.

The file is only a hint. The database always wins: once the library is open, the post read from
it is compared with the cached one (``matches``); when they differ (the file is stale, from
another library, or written by a run that crashed later) the preview is replaced by the real
post. A file that cannot be read or parsed, or whose checksum does not match, is ignored. It is
written atomically (a temporary file renamed over it), so a reader sees the old file or the new
one, never half of one; it is not fsync'ed, since losing it costs only speed.

No Qt and no database here: app.py reads the file before either is loaded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CACHE_FILENAME = "last-post.json"
FORMAT = 1
# A post this long is not worth the file (the preview renders it as usual).
MAX_BYTES = 8 * 1024 * 1024

Block = tuple[str, str, int | None]  # (block id, html, first source line)


@dataclass(frozen=True)
class CachedPost:
    """The last open post as the database had it, and the preview's HTML of it (if known)."""

    post_id: int
    updated_at: str  # the post's modification time in the database (isoformat)
    title: str
    body: str
    blocks: list[Block] | None = None  # the rendered body, or None
    theme: str = ""  # the preview theme ``code_css`` is for
    code_css: str = ""


def cache_path(home: Path) -> Path:
    return Path(home) / CACHE_FILENAME


def _checksum(content: dict[str, Any]) -> str:
    data = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _updated_text(updated_at: Any) -> str:
    return updated_at.isoformat() if hasattr(updated_at, "isoformat") else str(updated_at)


def read(home: Path, post_id: int | None) -> CachedPost | None:
    """The cached post if the file is there, intact and about ``post_id``; else None."""
    if post_id is None:
        return None
    path = cache_path(home)
    try:
        if path.stat().st_size > MAX_BYTES:
            return None
        raw = json.loads(path.read_text("utf-8"))
        content = raw["content"]
        if raw.get("format") != FORMAT or raw.get("sha256") != _checksum(content):
            return None
        if content["post_id"] != post_id:
            return None
        blocks = content.get("blocks")
        if blocks is not None:
            blocks = [
                (str(b[0]), str(b[1]), b[2] if isinstance(b[2], int) else None) for b in blocks
            ]
        cached = CachedPost(
            post_id=int(content["post_id"]),
            updated_at=str(content["updated_at"]),
            title=str(content["title"]),
            body=str(content["body"]),
            blocks=blocks,
            theme=str(content.get("theme", "")),
            code_css=str(content.get("code_css", "")),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        log.info("start-up cache ignored: %s", exc)
        return None
    return cached


def write(home: Path, cached: CachedPost) -> bool:
    """Replace the file atomically; False (and the old file or none) when it cannot."""
    content = {
        "post_id": cached.post_id,
        "updated_at": cached.updated_at,
        "title": cached.title,
        "body": cached.body,
        "blocks": None if cached.blocks is None else [list(b) for b in cached.blocks],
        "theme": cached.theme,
        "code_css": cached.code_css,
    }
    data = json.dumps(
        {"format": FORMAT, "sha256": _checksum(content), "content": content}, ensure_ascii=False
    ).encode("utf-8")
    if len(data) > MAX_BYTES:
        remove(home)
        return False
    path = cache_path(home)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".last-post-", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        log.warning("could not write the start-up cache %s: %s", path, exc)
        return False
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return True


def remove(home: Path) -> None:
    try:
        cache_path(home).unlink()
    except OSError:
        pass


def entry(
    post: Any, blocks: list[Block] | None = None, theme: str = "", css: str = ""
) -> CachedPost:
    """A cache entry for ``post`` (a ``PostData``, or anything with its fields)."""
    return CachedPost(
        post_id=int(post.id),
        updated_at=_updated_text(post.updated_at),
        title=str(post.title),
        body=str(post.body),
        blocks=blocks,
        theme=theme,
        code_css=css,
    )


def matches(cached: CachedPost, post: Any) -> bool:
    """Whether the database's ``post`` is what the cache showed (same id, title and text)."""
    return (
        post is not None
        and post.id == cached.post_id
        and post.body == cached.body
        and post.title == cached.title
    )

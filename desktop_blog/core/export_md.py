"""Export posts as Markdown files with YAML front matter, the format Jekyll and Hugo read.

One file per post, named ``YYYY-MM-DD-slug.md`` (Jekyll's ``_posts`` needs the date in the name;
Hugo takes the slug from the front matter and ignores the name). The front matter::

    ---
    title: My post
    date: 2026-11-26T08:00:00.123456+00:00     # published, else scheduled, else created
    slug: my-post
    draft: true                                # Jekyll: published: false is also written
    summary: The excerpt                       # Hugo's name; Jekyll's "excerpt" is written too
    tags: [one, two]
    categories: [notes]
    desktop_blog:                              # ignored by Jekyll and Hugo; lets an import
      id: 3f2b...                              # find the same post again (see import_md)
      status: draft
      created: ...
      published: ...
      scheduled: ...
      media: {2026-11-26-my-post-photo.png: <uuid>}
    ---

Images of the library (``dbmedia:<uuid>``) are copied beside the file as
``<file stem>-<image file name>`` and the links made relative, so the folder opens in any
Markdown editor and a static site generator copies them along.

No Qt. Functions take a Session (reading only) and return plain dataclasses.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePath

import yaml
from sqlalchemy.orm import Session

from . import library, media
from .models import PUBLISHED, SCHEDULED

__all__ = [
    "ExportedFile",
    "export_post",
    "export_posts",
    "front_matter",
    "post_filename",
    "to_markdown",
]

# Front matter key for what only Desktop Blog reads back.
OWN_KEY = "desktop_blog"


@dataclass(frozen=True)
class ExportedFile:
    post_id: int
    path: Path
    images: list[Path] = field(default_factory=list)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def post_date(post: library.PostData) -> datetime:
    """The date a static site shows: published, else scheduled, else created."""
    return post.published_at or post.scheduled_at or post.created_at


def post_slug(post: library.PostData) -> str:
    return post.slug or library.slugify(post.title) or f"post-{post.id}"


def post_filename(post: library.PostData) -> str:
    """``YYYY-MM-DD-slug.md``, the name Jekyll's ``_posts`` requires."""
    return f"{post_date(post):%Y-%m-%d}-{post_slug(post)}.md"


def front_matter(post: library.PostData) -> dict:
    """The front matter of ``post`` as a dict, in the order it is written."""
    draft = post.status not in (PUBLISHED, SCHEDULED)
    data: dict = {
        "title": post.title,
        "date": _Timestamp(post_date(post)),
        "slug": post_slug(post),
        "draft": draft,
    }
    if draft:
        data["published"] = False  # Jekyll's way of saying draft
    if post.scheduled_at is not None and post.status == SCHEDULED:
        data["publishDate"] = _Timestamp(post.scheduled_at)  # Hugo: not shown before then
    if post.excerpt:
        data["summary"] = post.excerpt
        data["excerpt"] = post.excerpt
    data["tags"] = list(post.tags)
    data["categories"] = list(post.categories)
    own: dict = {"id": post.uuid, "status": post.status, "created": _Timestamp(post.created_at)}
    if not post.slug:
        own["slug"] = ""  # the slug above was made up from the title; the post has none
    if post.published_at is not None:
        own["published"] = _Timestamp(post.published_at)
    if post.scheduled_at is not None:
        own["scheduled"] = _Timestamp(post.scheduled_at)
    data[OWN_KEY] = own
    return data


class _Timestamp(str):
    """An ISO 8601 timestamp written unquoted, so YAML (and Hugo, and Jekyll) read a date."""

    def __new__(cls, value: datetime) -> _Timestamp:
        return super().__new__(cls, value.isoformat())


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _Timestamp, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:timestamp", value)
)


def _flow_lists(dumper: yaml.SafeDumper, value: list) -> yaml.Node:
    # tags: [a, b] reads better than a block list, and both generators accept it.
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_Dumper.add_representer(list, _flow_lists)


def dump_front_matter(data: dict) -> str:
    text = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False
    )
    return f"---\n{text}---\n"


_IMAGE_NAME_BAD = re.compile(r"[^\w.-]+")


def _image_name(stem: str, filename: str, used: set[str]) -> str:
    name = _IMAGE_NAME_BAD.sub("-", PurePath(filename).name).strip("-.") or "image"
    candidate = f"{stem}-{name}"
    n = 2
    while candidate.lower() in used:
        p = PurePath(name)
        candidate = f"{stem}-{p.stem}-{n}{p.suffix}"
        n += 1
    used.add(candidate.lower())
    return candidate


def to_markdown(post: library.PostData, image_paths: dict[str, str] | None = None) -> str:
    """The file's text: front matter, then the body with ``dbmedia:<uuid>`` links replaced by
    the relative paths in ``image_paths`` (uuid -> path); unknown uuids stay as they are.

    The front matter's ``desktop_blog.media`` maps each path back to its uuid, so importing
    into another library gives the images (and so the bodies) the same uuids."""
    body = post.body
    data = front_matter(post)
    if image_paths:
        body = media.MEDIA_URL_RE.sub(
            lambda m: image_paths.get(m.group(1).lower(), m.group(0)), body
        )
        data[OWN_KEY]["media"] = {path: uuid for uuid, path in image_paths.items()}
    return dump_front_matter(data) + body


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    os.chmod(path, 0o644)


def export_post(
    session: Session,
    post: library.PostData | int,
    folder: Path,
    *,
    used_names: set[str] | None = None,
) -> ExportedFile:
    """Write ``post`` (a PostData or an id) into ``folder`` with its images beside it.

    ``used_names`` (lower-cased file names already written into the folder by this export)
    keeps two posts with the same slug and date from overwriting each other.
    """
    if isinstance(post, int):
        post = library.get_post(session, post)
    folder.mkdir(parents=True, exist_ok=True)
    used = used_names if used_names is not None else set()
    name = post_filename(post)
    stem = name[:-3]
    n = 2
    while name.lower() in used:
        name = f"{stem}-{n}.md"
        n += 1
    used.add(name.lower())
    stem = name[:-3]
    image_paths: dict[str, str] = {}
    written: list[Path] = []
    for uuid in dict.fromkeys(u.lower() for u in media.MEDIA_URL_RE.findall(post.body)):
        info = media.get_media(session, uuid)
        content = media.media_content(session, uuid)
        if info is None or content is None:
            continue  # a dangling link stays as it was; the preview shows it broken too
        image_name = _image_name(stem, info.filename, used)
        _write(folder / image_name, content[1])
        image_paths[uuid] = image_name
        written.append(folder / image_name)
    path = folder / name
    _write(path, to_markdown(post, image_paths).encode("utf-8"))
    return ExportedFile(post.id, path, written)


def export_posts(
    session: Session,
    post_ids: Iterable[int],
    folder: Path,
    progress: Callable[[int, int], None] | None = None,
) -> list[ExportedFile]:
    """Export several posts into ``folder``; ``progress(done, total)`` after each."""
    ids = list(post_ids)
    used: set[str] = set()
    out = []
    for i, post_id in enumerate(ids, 1):
        out.append(export_post(session, post_id, folder, used_names=used))
        if progress is not None:
            progress(i, len(ids))
    return out


def image_loader(
    sessions: Callable[[], Session], *, remote: bool = True, timeout: float = 15.0
) -> Callable[[str], tuple[str, bytes] | None]:
    """``load(url) -> (mime, bytes) | None`` for ``render.standalone``: the library's
    ``dbmedia:`` images (a short session each) and, when ``remote``, http(s) images fetched
    with httpx (only answers that say they are images). Errors count as "not found"."""
    client = None

    def load(url: str) -> tuple[str, bytes] | None:
        nonlocal client
        uuid = media.uuid_from_url(url)
        if uuid is not None:
            with sessions() as session:
                return media.media_content(session, uuid)
        if not remote or not url.lower().startswith(("http://", "https://")):
            return None
        import httpx

        if client is None:
            client = httpx.Client(timeout=timeout, follow_redirects=True)
        try:
            answer = client.get(url)
        except httpx.HTTPError:
            return None
        mime = answer.headers.get("content-type", "").split(";")[0].strip().lower()
        if answer.status_code != 200 or not mime.startswith("image/"):
            return None
        return mime, answer.content

    return load

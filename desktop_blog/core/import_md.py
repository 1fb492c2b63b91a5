"""Import Markdown files with front matter (Jekyll, Hugo, our own export) into the local library.

Front matter: YAML between ``---`` lines (read with PyYAML's safe loader, in C when there), or
TOML between ``+++`` lines (Hugo; read with ``tomllib``). A file without front matter is imported
too: the title is its first ``# heading``, else its file name. Keys read: ``title``, ``date``, ``slug``, ``tags``,
``categories`` (lists, or Jekyll's space-separated strings), ``draft`` / Jekyll's
``published: false``, ``summary`` / ``excerpt`` / ``description``, ``publishDate``, and the
``desktop_blog`` block written by ``export_md``. A Jekyll name ``YYYY-MM-DD-slug.md`` gives the
date and slug when the front matter does not.

Identity: importing the same files again updates the posts it made instead of adding new
ones. Each imported post gets a stable uuid:

1. ``desktop_blog.id`` from the front matter (a file this app exported): that post;
2. else, with a slug and a date (front matter or Jekyll name): uuid5 of ``slug + date``, so the
   same post found in another copy of the site is still the same post;
3. else uuid5 of the file's absolute path.

Posts are keyed by ``posts.uuid``; no column is added. An import that finds its post unchanged
leaves it alone (and its ``updated_at``).

Images: a relative image link (``![a](pic.png)``, ``<img src="pic.png">``) that names an
existing file (beside the Markdown file, or under the site's ``static/``, ``assets/`` or root for
``/pic.png``) is stored in the Media table and the link becomes ``dbmedia:<uuid>``.

Errors: a file that cannot be read or has broken front matter is reported with its path and the
reason, and the other files are imported all the same (each file has its own savepoint).
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import uuid as uuid_mod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import library, media
from .export_md import OWN_KEY
from .models import DRAFT, PUBLISHED, SCHEDULED, STATUSES, Media, Post, utcnow

__all__ = [
    "FrontMatterError",
    "ImportReport",
    "ImportedFile",
    "ParsedPost",
    "import_file",
    "import_paths",
    "markdown_files",
    "parse_file",
    "parse_text",
]

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
# Hugo's section pages (lists), not posts.
SKIPPED_NAMES = {"_index.md", "_index.markdown"}
# uuid5 namespace of imported posts' identities (a fixed, random uuid).
IDENTITY_NAMESPACE = uuid_mod.UUID("6c1d7f0e-3d52-4a7e-9a3b-5f0c2b8e4d11")

# yaml.safe_load's loader, in C when PyYAML was built with libyaml (it is, in its wheels).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_JEKYLL_NAME = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})-(.+)$")


class FrontMatterError(ValueError):
    """A file whose front matter cannot be read; the message names the file."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason


@dataclass(frozen=True)
class ParsedPost:
    """What a Markdown file says about its post."""

    path: Path
    title: str
    body: str
    slug: str
    excerpt: str
    status: str
    created_at: datetime | None
    published_at: datetime | None
    scheduled_at: datetime | None
    tags: list[str]
    categories: list[str]
    identity: str  # the uuid the post gets in the library
    identity_source: str  # "desktop_blog.id", "slug+date" or "path"
    # desktop_blog.media: image link -> the uuid it had in the library it was exported from
    media_ids: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportedFile:
    path: Path
    post_id: int
    action: str  # "created", "updated" or "unchanged"


@dataclass
class ImportReport:
    imported: list[ImportedFile] = field(default_factory=list)
    errors: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: str) -> int:
        return sum(1 for f in self.imported if f.action == action)


# --- parsing ----------------------------------------------------------------------------------


def _split_front_matter(text: str, path: Path) -> tuple[dict, str]:
    """(front matter, body). The body starts after the closing fence's line."""
    if text.startswith("\ufeff"):
        text = text[1:]
    first, nl, rest = text.partition("\n")
    fence = first.rstrip("\r ")
    if fence not in ("---", "+++"):
        return {}, text
    closers = ("---", "...") if fence == "---" else ("+++",)
    lines = rest.split("\n")
    for k, line in enumerate(lines):
        if line.rstrip("\r ") in closers:
            raw = "\n".join(lines[:k])
            body = "\n".join(lines[k + 1 :])
            break
    else:
        raise FrontMatterError(path, f"the front matter starting with {fence} is never closed")
    try:
        if fence == "---":
            data = yaml.load(raw, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
        else:
            data = tomllib.loads(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FrontMatterError(path, f"broken YAML front matter{where}: {problem}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise FrontMatterError(path, f"broken TOML front matter: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontMatterError(
            path, f"the front matter is a {type(data).__name__}, not a set of keys and values"
        )
    return data, body


def _as_datetime(value: object, path: Path, key: str) -> datetime | None:
    """A front matter date (YAML/TOML datetime or date, or a string) as an aware UTC datetime.
    Dates without a time zone are taken as UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, time())
    elif isinstance(value, str):
        text = value.strip()
        if "T" not in text:  # Jekyll writes "2024-01-02 10:00:00 +0100"
            text = re.sub(r"\s+", "T", text, count=1)
        text = text.replace(" ", "")
        try:
            dt = datetime.fromisoformat(text)
        except ValueError as exc:
            raise FrontMatterError(path, f"{key}: {value!r} is not a date") from exc
    else:
        raise FrontMatterError(path, f"{key}: {value!r} is not a date")
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _names(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        parts = value.split(",") if "," in value else value.split()
        return [p.strip() for p in parts if p.strip()]
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return [str(value)]


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _first_heading(body: str) -> str:
    m = re.search(r"^#\s+(.+?)\s*#*\s*$", body, re.MULTILINE)
    return m.group(1) if m else ""


def _identity(path: Path, own_id: object, slug: str, when: datetime | None) -> tuple[str, str]:
    if isinstance(own_id, str):
        try:
            return str(uuid_mod.UUID(own_id)), "desktop_blog.id"
        except ValueError:
            pass
    if slug and when is not None:
        key = f"slug+date:{slug}|{when:%Y-%m-%d}"
        return str(uuid_mod.uuid5(IDENTITY_NAMESPACE, key)), "slug+date"
    digest = hashlib.sha256(str(path.resolve()).encode("utf-8")).hexdigest()
    return str(uuid_mod.uuid5(IDENTITY_NAMESPACE, "path:" + digest)), "path"


def parse_text(text: str, path: Path) -> ParsedPost:
    """Read a Markdown file's text. Raises FrontMatterError naming ``path``."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    data, body = _split_front_matter(text, path)
    own = data.get(OWN_KEY) if isinstance(data.get(OWN_KEY), dict) else {}

    name_date = name_slug = None
    m = _JEKYLL_NAME.match(path.stem)
    if m:
        try:
            name_date = datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=UTC)
            name_slug = m[4]
        except ValueError:
            pass
    stem = path.parent.name if path.stem == "index" else path.stem  # Hugo page bundle

    title = _text(data.get("title")) or _first_heading(body) or (name_slug or stem)
    if "slug" in own:
        slug = _text(own["slug"])
    else:
        slug = _text(data.get("slug")) or name_slug or library.slugify(title)
    when = _as_datetime(data.get("date"), path, "date") or name_date
    publish_date = _as_datetime(data.get("publishDate"), path, "publishDate")
    created = _as_datetime(own.get("created"), path, "desktop_blog.created") or when
    published = _as_datetime(own.get("published"), path, "desktop_blog.published")
    scheduled = _as_datetime(own.get("scheduled"), path, "desktop_blog.scheduled")

    status = _text(own.get("status"))
    if status not in STATUSES:
        draft = data.get("draft") is True or data.get("published") is False
        if draft:
            status = DRAFT
        elif publish_date is not None and publish_date > utcnow():
            status, scheduled = SCHEDULED, publish_date
        else:
            status = PUBLISHED
            published = published or publish_date or when
    excerpt = _text(data.get("summary") or data.get("excerpt") or data.get("description"))
    identity, source = _identity(
        path, own.get("id"), slug or _text(data.get("slug")) or name_slug or "", when
    )
    media_ids = own.get("media") if isinstance(own.get("media"), dict) else {}
    return ParsedPost(
        path=path,
        title=title,
        body=body,
        slug=slug,
        excerpt=excerpt,
        status=status,
        created_at=created,
        published_at=published,
        scheduled_at=scheduled,
        tags=_names(data.get("tags")),
        categories=_names(data.get("categories") or data.get("category")),
        identity=identity,
        identity_source=source,
        media_ids={str(k): str(v) for k, v in media_ids.items()},
    )


def parse_file(path: Path) -> ParsedPost:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FrontMatterError(path, "not UTF-8 text") from exc
    except OSError as exc:
        raise FrontMatterError(path, f"cannot be read: {exc.strerror or exc}") from exc
    return parse_text(text, path)


# --- files ------------------------------------------------------------------------------------


def markdown_files(paths: Iterable[Path | str]) -> list[Path]:
    """The Markdown files to import: files as given, folders searched (sorted, hidden folders
    and Hugo's ``_index.md`` skipped). Raises FileNotFoundError for a path that does not exist."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).parts
                if (
                    f.is_file()
                    and f.suffix.lower() in MARKDOWN_SUFFIXES
                    and f.name.lower() not in SKIPPED_NAMES
                    and not any(part.startswith(".") for part in rel)
                ):
                    out.append(f)
        elif p.is_file():
            out.append(p)
        else:
            raise FileNotFoundError(f"No such file or folder: {p}")
    return list(dict.fromkeys(out))


# ![alt](target "title") and <img src="target">: the targets that may be local files.
_MD_IMAGE = re.compile(r"(!\[(?:[^\]\\]|\\.)*\]\(\s*)(<[^>]*>|[^)\s]+)")
_HTML_IMAGE = re.compile(r"(<img\b[^>]*?\bsrc\s*=\s*[\"'])([^\"']+)", re.IGNORECASE)
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", re.IGNORECASE)


def _site_roots(path: Path) -> list[Path]:
    """Folders a site-absolute link (``/images/x.png``) may be relative to."""
    roots = []
    for parent in path.parents:
        if parent.name in ("_posts", "content", "_drafts"):
            site = parent.parent
            roots += [site / "static", site / "assets", site]
            break
    return roots


def _local_image(path: Path, target: str) -> Path | None:
    from urllib.parse import unquote

    target = unquote(target.strip("<>").split("#", 1)[0].split("?", 1)[0])
    if not target or _REMOTE.match(target):
        return None
    if target.startswith("/"):
        candidates = [root / target.lstrip("/") for root in _site_roots(path)]
    else:
        candidates = [path.parent / target]
    for c in candidates:
        if c.is_file():
            return c
    return None


def _keep_uuid(session: Session, stored: media.MediaData, wanted: str | None) -> media.MediaData:
    """Give a newly stored image the uuid it had where it was exported from, if still free."""
    if stored.reused or not wanted or media.uuid_from_url("dbmedia:" + wanted) is None:
        return stored
    wanted = wanted.lower()
    if session.scalars(select(Media.id).where(Media.uuid == wanted)).first() is not None:
        return stored
    session.get(Media, stored.id).uuid = wanted
    session.flush()
    return media.get_media(session, wanted) or stored


def _store_images(session: Session, parsed: ParsedPost) -> str:
    cache: dict[str, str | None] = {}

    def replace(m: re.Match) -> str:
        target = m.group(2)
        if target not in cache:
            file = _local_image(parsed.path, target)
            url = None
            if file is not None:
                try:
                    stored = media.store_image(session, file.read_bytes(), file.name)
                    stored = _keep_uuid(session, stored, parsed.media_ids.get(target))
                    url = stored.url
                except (OSError, ValueError):
                    url = None  # not an image we store: the link stays as written
            cache[target] = url
        url = cache[target]
        return m.group(1) + url if url else m.group(0)

    body = _MD_IMAGE.sub(replace, parsed.body)
    return _HTML_IMAGE.sub(replace, body)


def import_file(session: Session, path: Path) -> ImportedFile:
    """Import one file into the local library (create, or update the post it made before).
    Flushes; the caller commits. Raises FrontMatterError."""
    return _import_parsed(session, parse_file(path))


def _post_values(parsed, body: str) -> dict:
    """The post's columns a file sets, on import and re-import alike."""
    return {
        "title": parsed.title,
        "body": body,
        "slug": parsed.slug,
        "excerpt": parsed.excerpt,
        "status": parsed.status,
        "published_at": parsed.published_at,
        "scheduled_at": parsed.scheduled_at,
    }


def _import_parsed(session: Session, parsed: ParsedPost) -> ImportedFile:
    path = parsed.path
    body = _store_images(session, parsed)
    post = session.scalars(select(Post).where(Post.uuid == parsed.identity)).first()
    now = utcnow()
    values = _post_values(parsed, body)
    if post is None:
        post = Post(
            uuid=parsed.identity,
            blog_id=None,
            kind="post",
            created_at=parsed.created_at or now,
            updated_at=now,
            tags=[],  # empty, not unloaded: update_post below sets them without a query
            categories=[],
            **values,
        )
        session.add(post)
        session.flush()
        action = "created"
    else:
        current = library.get_post(session, post.id)
        same = (
            all(getattr(current, k) == v for k, v in values.items())
            and {t.lower() for t in current.tags} == {t.lower() for t in parsed.tags}
            and {c.lower() for c in current.categories} == {c.lower() for c in parsed.categories}
        )
        if same:
            return ImportedFile(path, post.id, "unchanged")
        for k, v in values.items():
            setattr(post, k, v)
        if parsed.created_at is not None:
            post.created_at = parsed.created_at
        action = "updated"
    library.update_post(session, post.id, tags=parsed.tags, categories=parsed.categories)
    return ImportedFile(path, post.id, action)


CHUNK = 200  # files added before one flush; a chunk that fails is done again file by file


class _Names:
    """Tags or categories of the local library by lower-cased name, read once, made once."""

    def __init__(self, session: Session, model, names: Iterable[str]) -> None:
        self.session = session
        self.model = model
        wanted = {n.strip().lower() for n in names if n.strip()}
        self.rows: dict[str, object] = {}
        if wanted:
            rows = session.scalars(select(model).where(model.blog_id.is_(None)))
            self.rows = {r.name.lower(): r for r in rows if r.name.lower() in wanted}

    def get(self, names: Iterable[str]) -> list:
        out, seen = [], set()
        for name in names:
            name = name.strip()
            key = name.lower()
            if not name or key in seen:
                continue
            seen.add(key)
            row = self.rows.get(key)
            if row is None:
                row = self.model(name=name, slug=library.slugify(name), blog_id=None)
                self.session.add(row)
                self.rows[key] = row
            out.append(row)
        return out


def _same(post: Post, parsed: ParsedPost, body: str) -> bool:
    values = _post_values(parsed, body)
    current = library._post_data(post)
    return (
        all(getattr(current, k) == v for k, v in values.items())
        and {t.lower() for t in current.tags} == {t.lower() for t in parsed.tags}
        and {c.lower() for c in current.categories} == {c.lower() for c in parsed.categories}
    )


def _add_chunk(
    session: Session,
    chunk: list[ParsedPost],
    existing: dict[str, Post],
    tags: _Names,
    categories: _Names,
) -> list[tuple[Path, Post, str]]:
    """Add or update the chunk's posts (one flush at the end); the caller holds a savepoint."""
    done: list[tuple[Path, Post, str]] = []
    now = utcnow()
    for parsed in chunk:
        body = _store_images(session, parsed)
        post = existing.get(parsed.identity)
        if post is not None and _same(post, parsed, body):
            done.append((parsed.path, post, "unchanged"))
            continue
        values = _post_values(parsed, body)
        if post is None:
            post = Post(
                uuid=parsed.identity,
                blog_id=None,
                kind="post",
                created_at=parsed.created_at or now,
                updated_at=now,
                tags=tags.get(parsed.tags),
                categories=categories.get(parsed.categories),
                **values,
            )
            session.add(post)
            existing[parsed.identity] = post  # a later file of the same post updates it
            done.append((parsed.path, post, "created"))
            continue
        for k, v in values.items():
            setattr(post, k, v)
        if parsed.created_at is not None:
            post.created_at = parsed.created_at
        post.tags = tags.get(parsed.tags)
        post.categories = categories.get(parsed.categories)
        post.updated_at = now
        done.append((parsed.path, post, "updated"))
    session.flush()
    return done


def import_paths(
    session: Session,
    paths: Sequence[Path | str],
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import files and folders (see ``markdown_files``) into the local library.

    A file that cannot be read or parsed is reported in ``errors`` (path, message) and the
    others still come in. The caller commits. ``progress(done, total)`` after each file (an
    exception it raises, a cancel, propagates: the caller then rolls back).
    A path that does not exist is an error of its own.

    Speed: the files are parsed first; the posts they may update are read in one query, the
    tags and categories once; the posts are added in chunks of ``CHUNK`` with one flush each
    (the FTS index follows through its triggers, in the same transaction). A chunk whose flush
    fails is rolled back to its savepoint and done again file by file, each with its own
    savepoint, so that only the file at fault is reported.
    """
    report = ImportReport()
    files: list[Path] = []
    for p in paths:
        try:
            files += markdown_files([p])
        except FileNotFoundError as exc:
            report.errors.append((Path(p), str(exc)))
    total = len(files)
    parsed: list[ParsedPost] = []
    for i, path in enumerate(files, 1):
        try:
            parsed.append(parse_file(path))
        except FrontMatterError as exc:
            report.errors.append((path, str(exc)))
        except ValueError as exc:
            report.errors.append((path, f"{path}: {exc}"))
        if progress is not None and i % 10 == 0:
            progress(i // 2, total)  # parsing is about half of the work
    if not parsed:
        if progress is not None and total:
            progress(total, total)
        return report

    from sqlalchemy.orm import selectinload

    identities = list({p.identity for p in parsed})
    existing: dict[str, Post] = {}
    for start in range(0, len(identities), 500):
        stmt = (
            select(Post)
            .where(Post.uuid.in_(identities[start : start + 500]))
            .options(selectinload(Post.tags), selectinload(Post.categories))
        )
        existing.update({p.uuid: p for p in session.scalars(stmt)})
    from .models import Category, Tag

    tags = _Names(session, Tag, (t for p in parsed for t in p.tags))
    categories = _Names(session, Category, (c for p in parsed for c in p.categories))
    done = 0
    for start in range(0, len(parsed), CHUNK):
        chunk = parsed[start : start + CHUNK]
        try:
            with session.begin_nested():
                added = _add_chunk(session, chunk, existing, tags, categories)
        except Exception:  # noqa: BLE001 - redone file by file below, to name the file at fault
            for p in chunk:
                existing.pop(p.identity, None)
            tags = _Names(session, Tag, (t for p in chunk for t in p.tags))
            categories = _Names(session, Category, (c for p in chunk for c in p.categories))
            added = []
            for p in chunk:
                try:
                    with session.begin_nested():
                        added.append((p.path, *_one(session, p)))
                except (ValueError, FrontMatterError) as exc:
                    report.errors.append((p.path, f"{p.path}: {exc}"))
                except Exception as exc:  # noqa: BLE001 - a database refusal of this file
                    report.errors.append((p.path, f"{p.path}: {type(exc).__name__}: {exc}"))
        report.imported += [ImportedFile(path, post.id, action) for path, post, action in added]
        done += len(chunk)
        if progress is not None:
            progress(total // 2 + (total - total // 2) * done // len(parsed), total)
    return report


def _one(session: Session, parsed: ParsedPost) -> tuple[Post, str]:
    """One file's post, the slow and careful way (``import_file``'s), for a failed chunk."""
    result = _import_parsed(session, parsed)
    return session.get(Post, result.post_id), result.action

"""Operations on the local library. Each takes a Session and returns plain dataclasses.

Callers own the transaction: operations flush but the caller commits, so a local change and
the outbox job it causes can share one transaction.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from .models import (
    DRAFT,
    PUBLISHED,
    SCHEDULED,
    STATUSES,
    TRASH,
    Blog,
    Category,
    Media,
    Post,
    Revision,
    Tag,
    utcnow,
)

#: What a post can be: WordPress's post types that the library writes.
POST = "post"
PAGE = "page"
KINDS = (POST, PAGE)


class PostNotFound(LookupError):
    def __init__(self, post_id: int) -> None:
        super().__init__(f"There is no post with id {post_id}.")
        self.post_id = post_id


@dataclass(frozen=True)
class PostSummary:
    """What a list or tree shows of a post."""

    id: int
    title: str
    status: str
    updated_at: datetime
    blog_id: int | None
    kind: str = "post"


@dataclass(frozen=True)
class PostData:
    """A whole post, detached from the database."""

    id: int
    uuid: str
    blog_id: int | None
    kind: str
    title: str
    slug: str
    body: str
    excerpt: str
    status: str
    created_at: datetime
    updated_at: datetime
    scheduled_at: datetime | None
    published_at: datetime | None
    remote_id: str | None
    tags: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    #: the featured image: an image of the library (Media id), or else the blog's media id of
    #: a pulled post's image that is not in the library; None and None: no featured image
    featured_media_id: int | None = None
    remote_featured_id: str | None = None


@dataclass(frozen=True)
class RevisionData:
    id: int
    post_id: int | None
    post_uuid: str
    created_at: datetime
    title: str
    body: str
    reason: str


@dataclass(frozen=True)
class BlogData:
    id: int
    name: str
    kind: str
    url: str
    username: str


_UNSET: object = object()


def _post_data(post: Post) -> PostData:
    return PostData(
        id=post.id,
        uuid=post.uuid,
        blog_id=post.blog_id,
        kind=post.kind,
        title=post.title,
        slug=post.slug,
        body=post.body,
        excerpt=post.excerpt,
        status=post.status,
        created_at=post.created_at,
        updated_at=post.updated_at,
        scheduled_at=post.scheduled_at,
        published_at=post.published_at,
        remote_id=post.remote_id,
        tags=[t.name for t in post.tags],
        categories=[c.name for c in post.categories],
        featured_media_id=post.featured_media_id,
        remote_featured_id=post.remote_featured_id,
    )


def _revision_data(rev: Revision) -> RevisionData:
    return RevisionData(
        id=rev.id,
        post_id=rev.post_id,
        post_uuid=rev.post_uuid,
        created_at=rev.created_at,
        title=rev.title,
        body=rev.body,
        reason=rev.reason,
    )


def _load(session: Session, post_id: int) -> Post:
    post = session.get(
        Post, post_id, options=[selectinload(Post.tags), selectinload(Post.categories)]
    )
    if post is None:
        raise PostNotFound(post_id)
    return post


def slugify(text: str) -> str:
    """A URL slug: lower case ASCII words joined by hyphens."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text.lower())
    return re.sub(r"[-\s_]+", "-", text).strip("-")[:200]


def create_post(
    session: Session,
    title: str = "",
    body: str = "",
    *,
    blog_id: int | None = None,
    status: str = DRAFT,
    kind: str = "post",
) -> PostData:
    """A new post in the local library (or a blog), a draft unless told otherwise."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    if kind not in KINDS:
        raise ValueError(f"kind must be 'post' or 'page', not {kind!r}")
    now = utcnow()
    post = Post(
        title=title,
        body=body,
        blog_id=blog_id,
        status=status,
        kind=kind,
        created_at=now,
        updated_at=now,
        slug="",
        excerpt="",
    )
    session.add(post)
    session.flush()
    return _post_data(post)


def get_post(session: Session, post_id: int) -> PostData:
    return _post_data(_load(session, post_id))


def _named(session: Session, model, blog_id: int | None, names: Iterable[str]) -> list:
    wanted = []
    seen = set()
    for name in names:
        name = name.strip()
        if name and name.lower() not in seen:
            seen.add(name.lower())
            wanted.append(name)
    if not wanted:
        return []
    blog_clause = model.blog_id.is_(None) if blog_id is None else model.blog_id == blog_id
    existing = {
        row.name.lower(): row
        for row in session.scalars(select(model).where(blog_clause, model.name.in_(wanted)))
    }
    result = []
    for name in wanted:
        row = existing.get(name.lower())
        if row is None:
            row = model(name=name, slug=slugify(name), blog_id=blog_id)
            session.add(row)
        result.append(row)
    return result


def update_post(
    session: Session,
    post_id: int,
    *,
    title: str | object = _UNSET,
    body: str | object = _UNSET,
    slug: str | object = _UNSET,
    excerpt: str | object = _UNSET,
    status: str | object = _UNSET,
    scheduled_at: datetime | None | object = _UNSET,
    tags: Sequence[str] | object = _UNSET,
    categories: Sequence[str] | object = _UNSET,
    kind: str | object = _UNSET,
    featured_media_id: int | None | object = _UNSET,
    remote_featured_id: str | None | object = _UNSET,
) -> PostData:
    """Change any of a post's fields; the ones not given stay as they are.

    ``kind`` ("post" or "page") cannot change once the post is on a blog: WordPress keeps posts
    and pages apart, and an update would go to the wrong one (ValueError). Choosing a library
    image as the featured image (``featured_media_id``) replaces the blog's (``remote_featured_id``).
    """
    post = _load(session, post_id)
    if kind is not _UNSET and kind != post.kind:
        if kind not in KINDS:
            raise ValueError(f"kind must be 'post' or 'page', not {kind!r}")
        if post.remote_id is not None:
            raise ValueError(
                f"this {post.kind} is already on the blog; it cannot become a {kind} there"
            )
        post.kind = kind
    if featured_media_id is not _UNSET:
        if featured_media_id is not None and session.get(Media, featured_media_id) is None:
            raise ValueError(f"no image {featured_media_id} in the library")
        post.featured_media_id = featured_media_id
        if featured_media_id is not None:
            post.remote_featured_id = None
    if remote_featured_id is not _UNSET:
        post.remote_featured_id = remote_featured_id
    for name, value in (
        ("title", title),
        ("body", body),
        ("slug", slug),
        ("excerpt", excerpt),
    ):
        if value is not _UNSET:
            setattr(post, name, value)
    if status is not _UNSET:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        if status == TRASH and post.status != TRASH:
            post.status_before_trash = post.status
        if status == PUBLISHED and post.published_at is None:
            post.published_at = utcnow()
        post.status = status
    if scheduled_at is not _UNSET:
        post.scheduled_at = scheduled_at
    if tags is not _UNSET:
        post.tags = _named(session, Tag, post.blog_id, tags)
    if categories is not _UNSET:
        post.categories = _named(session, Category, post.blog_id, categories)
    post.updated_at = utcnow()
    session.flush()
    return _post_data(post)


def save_text(session: Session, post_id: int, title: str, body: str) -> datetime:
    """Autosave's fast path: store title and body, return the new modification time."""
    post = session.get(Post, post_id)
    if post is None:
        raise PostNotFound(post_id)
    if post.title != title or post.body != body:
        post.title = title
        post.body = body
        post.updated_at = utcnow()
        session.flush()
    return post.updated_at


def snapshot(session: Session, post_id: int, reason: str) -> RevisionData:
    """Keep a copy of the post as it is now."""
    post = session.get(Post, post_id)
    if post is None:
        raise PostNotFound(post_id)
    rev = Revision(
        post_id=post.id,
        post_uuid=post.uuid,
        title=post.title,
        body=post.body,
        reason=reason,
        created_at=utcnow(),
    )
    session.add(rev)
    session.flush()
    return _revision_data(rev)


def snapshot_if_due(
    session: Session, post_id: int, every: timedelta = timedelta(minutes=5)
) -> RevisionData | None:
    """A periodic revision: only when the last one is older than ``every`` and differs."""
    last = session.scalars(
        select(Revision)
        .where(Revision.post_id == post_id)
        .order_by(Revision.created_at.desc(), Revision.id.desc())
        .limit(1)
    ).first()
    post = session.get(Post, post_id)
    if post is None:
        raise PostNotFound(post_id)
    if last is not None:
        if utcnow() - last.created_at < every:
            return None
        if last.body == post.body and last.title == post.title:
            return None
    return snapshot(session, post_id, "periodic")


def list_revisions(session: Session, post_id: int) -> list[RevisionData]:
    """A post's revisions, newest first."""
    rows = session.scalars(
        select(Revision)
        .where(Revision.post_id == post_id)
        .order_by(Revision.created_at.desc(), Revision.id.desc())
    )
    return [_revision_data(r) for r in rows]


def get_revision(session: Session, revision_id: int) -> RevisionData:
    rev = session.get(Revision, revision_id)
    if rev is None:
        raise LookupError(f"There is no revision with id {revision_id}.")
    return _revision_data(rev)


def restore_revision(session: Session, post_id: int, revision_id: int) -> PostData:
    """Put a revision's text back. The text being replaced is kept as a revision first, and the
    restored text becomes a new revision too, so restoring never loses anything."""
    rev = get_revision(session, revision_id)
    snapshot(session, post_id, "before-restore")
    post = update_post(session, post_id, title=rev.title, body=rev.body)
    snapshot(session, post_id, "restored")
    return post


def duplicate_post(session: Session, post_id: int) -> PostData:
    """A new local draft with the same content, titled "… (copy)"."""
    src = _load(session, post_id)
    copy = create_post(
        session,
        title=f"{src.title} (copy)" if src.title else "(copy)",
        body=src.body,
        blog_id=src.blog_id,
        kind=src.kind,
    )
    return update_post(
        session,
        copy.id,
        excerpt=src.excerpt,
        tags=[t.name for t in src.tags],
        categories=[c.name for c in src.categories],
    )


def trash_post(session: Session, post_id: int) -> PostData:
    """Move to the trash, keeping a revision and the status to restore."""
    snapshot(session, post_id, "trash")
    return update_post(session, post_id, status=TRASH)


def restore_post(session: Session, post_id: int) -> PostData:
    """Take a post out of the trash, back to the status it had."""
    post = _load(session, post_id)
    if post.status != TRASH:
        return _post_data(post)
    previous = post.status_before_trash or DRAFT
    post.status_before_trash = None
    return update_post(session, post_id, status=previous)


def delete_post(session: Session, post_id: int) -> None:
    """Delete for good. A revision is kept (detached), so even this can be undone by hand."""
    snapshot(session, post_id, "delete")
    post = _load(session, post_id)
    session.delete(post)
    session.flush()


def status_counts(session: Session, blog_id: int | None = None) -> dict[str, int]:
    """How many posts of each status, for the local library (None) or a blog."""
    blog_clause = Post.blog_id.is_(None) if blog_id is None else Post.blog_id == blog_id
    counts = dict.fromkeys(STATUSES, 0)
    for status, n in session.execute(
        select(Post.status, func.count()).where(blog_clause).group_by(Post.status)
    ):
        counts[status] = n
    return counts


def _order():
    return (Post.updated_at.desc(), Post.id.desc())


def post_ids(
    session: Session,
    blog_id: int | None,
    status: str,
    *,
    offset: int = 0,
    limit: int = 200,
) -> list[int]:
    """A page of post ids in one folder, newest first."""
    blog_clause = Post.blog_id.is_(None) if blog_id is None else Post.blog_id == blog_id
    stmt = (
        select(Post.id)
        .where(blog_clause, Post.status == status)
        .order_by(*_order())
        .offset(offset)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def summaries(session: Session, ids: Sequence[int]) -> dict[int, PostSummary]:
    """The tree's view of the given posts."""
    if not ids:
        return {}
    stmt = select(Post.id, Post.title, Post.status, Post.updated_at, Post.blog_id, Post.kind).where(
        Post.id.in_(list(ids))
    )
    return {
        row.id: PostSummary(row.id, row.title, row.status, row.updated_at, row.blog_id, row.kind)
        for row in session.execute(stmt)
    }


def list_posts(session: Session, blog_id: int | None = None) -> list[PostSummary]:
    """Every post of the library or a blog, newest first (for the CLI)."""
    blog_clause = Post.blog_id.is_(None) if blog_id is None else Post.blog_id == blog_id
    stmt = (
        select(Post.id, Post.title, Post.status, Post.updated_at, Post.blog_id, Post.kind)
        .where(blog_clause)
        .order_by(*_order())
    )
    return [PostSummary(*row) for row in session.execute(stmt)]


def term_names(session: Session, blog_id: int | None) -> tuple[list[str], list[str]]:
    """The category and tag names known for a blog (its own, as synced, and those used here),
    or for the local library (None): what a post of it can be given, sorted."""
    found: list[list[str]] = []
    for model in (Category, Tag):
        clause = model.blog_id.is_(None) if blog_id is None else model.blog_id == blog_id
        names = session.scalars(select(model.name).where(clause)).all()
        found.append(sorted(set(names), key=str.casefold))
    return found[0], found[1]


def list_blogs(session: Session) -> list[BlogData]:
    return [
        BlogData(b.id, b.name, b.kind, b.url, b.username)
        for b in session.scalars(select(Blog).order_by(Blog.name))
    ]


__all__ = [
    "term_names",
    "DRAFT",
    "PUBLISHED",
    "SCHEDULED",
    "TRASH",
    "BlogData",
    "PostData",
    "PostNotFound",
    "PostSummary",
    "RevisionData",
    "create_post",
    "delete_post",
    "duplicate_post",
    "get_post",
    "list_blogs",
    "list_posts",
    "list_revisions",
    "post_ids",
    "get_revision",
    "restore_post",
    "restore_revision",
    "save_text",
    "slugify",
    "snapshot",
    "snapshot_if_due",
    "status_counts",
    "summaries",
    "trash_post",
    "update_post",
]

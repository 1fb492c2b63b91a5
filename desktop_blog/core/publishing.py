"""The local side of publishing: what the user asks for, and what the sync worker records.

User actions (``request_publish``, ``request_update``, ``request_unpublish``, ``request_trash``)
change the post and write the OutboxJob that carries the change to the blog, in the caller's
transaction: commit once and both are kept, roll back and neither is. The worker
(``publish/sync.py``) reads posts through ``load_for_publish`` and records what the blog answered
through ``record_published``, ``record_media_upload``, ``record_term`` and ``apply_pulled``; all
of them take a Session and return plain dataclasses, and none commits.

Outbox operations written here (``OutboxJob.operation``):

- ``publish``: create the remote post, or update it, with the status in ``payload["status"]``
  ("publish", "draft" or "future") and the date in ``payload["date"]`` (ISO 8601, UTC).
- ``update``: write the current text, keeping the post's status. Skipped (nothing is sent) when
  title and body equal the last-synced copy: a pulled post the user has not edited is never
  republished.
- ``trash``: move the remote post to the blog's trash.
- ``resolve_duplicates``: housekeeping after a retried create (see ``publish/base.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Integer, String, bindparam, case, func, literal, select, union_all, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.util import identity_key

from . import library, outbox
from .models import (
    DRAFT,
    PUBLISHED,
    SCHEDULED,
    TRASH,
    Blog,
    Category,
    Media,
    MediaUpload,
    OutboxJob,
    Post,
    Tag,
    UTCDateTime,
    post_categories,
    post_tags,
    utcnow,
)

PUBLISH = "publish"
UPDATE = "update"
TRASH_OP = "trash"
RESOLVE_DUPLICATES = "resolve_duplicates"
POST_OPERATIONS = (PUBLISH, UPDATE, TRASH_OP)

#: Remote statuses a publish request may ask for.
REQUEST_STATUSES = ("publish", "draft", "future")

_LOCAL_STATUS = {
    "publish": PUBLISHED,
    "future": SCHEDULED,
    "draft": DRAFT,
    "pending": DRAFT,
    "private": PUBLISHED,
    "trash": TRASH,
}
_REMOTE_STATUS = {PUBLISHED: "publish", SCHEDULED: "future", DRAFT: "draft"}


def local_status(remote_status: str) -> str:
    """The library's status for a blog's ("private" counts as published, "pending" as draft)."""
    return _LOCAL_STATUS.get(remote_status, DRAFT)


class PublishRequestError(ValueError):
    """A publish request that cannot be made (a sentence for the user)."""


@dataclass(frozen=True)
class BlogAccount:
    """What a connector needs to know about a blog (the secret lives elsewhere)."""

    id: int
    name: str
    kind: str
    url: str
    api_url: str | None
    username: str
    last_synced_at: datetime | None = None


def _account(blog: Blog) -> BlogAccount:
    return BlogAccount(
        blog.id, blog.name, blog.kind, blog.url, blog.api_url, blog.username, blog.last_synced_at
    )


def get_blog_account(session: Session, blog_id: int) -> BlogAccount:
    blog = session.get(Blog, blog_id)
    if blog is None:
        raise LookupError(f"There is no blog with id {blog_id}.")
    return _account(blog)


def list_blog_accounts(session: Session) -> list[BlogAccount]:
    return [_account(b) for b in session.scalars(select(Blog).order_by(Blog.name))]


# --- User actions --------------------------------------------------------------------------------


def _aware_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise PublishRequestError("Give the date with a time zone (for example 2030-01-01T10:00Z).")
    return moment.astimezone(UTC).replace(microsecond=0)


def _post(session: Session, post_id: int) -> Post:
    post = session.get(
        Post, post_id, options=[selectinload(Post.tags), selectinload(Post.categories)]
    )
    if post is None:
        raise library.PostNotFound(post_id)
    return post


def _attach_to_blog(session: Session, post: Post, blog_id: int) -> None:
    """A post of the local library joins the blog (its tags and categories become the blog's)."""
    if session.get(Blog, blog_id) is None:
        raise PublishRequestError(f"There is no blog with id {blog_id}.")
    if post.blog_id == blog_id:
        return
    if post.blog_id is not None:
        raise PublishRequestError(
            "This post belongs to another blog; duplicate it to publish it on this one."
        )
    tags = [t.name for t in post.tags]
    categories = [c.name for c in post.categories]
    post.blog_id = blog_id
    session.flush()
    library.update_post(session, post.id, tags=tags, categories=categories)


def request_publish(
    session: Session,
    post_id: int,
    blog_id: int,
    status: str = "publish",
    date: datetime | None = None,
) -> outbox.JobData:
    """Publish (``status="publish"``), schedule (``"future"`` with a ``date`` in the future) or
    save as a remote draft (``"draft"``): the post's local status changes and a ``publish`` job
    is written, in the caller's transaction."""
    if status not in REQUEST_STATUSES:
        raise PublishRequestError(
            f"Unknown status {status!r}: use one of {', '.join(REQUEST_STATUSES)}."
        )
    when = _aware_utc(date) if date is not None else None
    if status == "future":
        if when is None:
            raise PublishRequestError("A scheduled post needs a date (--date).")
        if when <= utcnow():
            raise PublishRequestError(
                f"The date {when:%Y-%m-%d %H:%M} UTC is in the past; publish now instead."
            )
    post = _post(session, post_id)
    if post.status == TRASH:
        raise PublishRequestError("The post is in the trash; restore it before publishing.")
    _attach_to_blog(session, post, blog_id)
    local = _LOCAL_STATUS[status]
    changes: dict = {"status": local}
    changes["scheduled_at"] = when if status == "future" else None
    library.update_post(session, post_id, **changes)
    payload = {"status": status, "date": when.isoformat() if when else None}
    return outbox.enqueue(session, blog_id, PUBLISH, post_id=post_id, payload=payload)


def _blog_of(post: Post) -> int:
    if post.blog_id is None:
        raise PublishRequestError("This post belongs to no blog yet; publish it to one first.")
    return post.blog_id


def request_update(session: Session, post_id: int) -> outbox.JobData:
    """Send the post's current text to its blog, keeping its status there."""
    post = _post(session, post_id)
    return outbox.enqueue(session, _blog_of(post), UPDATE, post_id=post_id)


def request_unpublish(session: Session, post_id: int) -> outbox.JobData:
    """Take a published or scheduled post back to a draft, here and on the blog."""
    post = _post(session, post_id)
    blog_id = _blog_of(post)
    library.update_post(session, post_id, status=DRAFT, scheduled_at=None)
    return outbox.enqueue(
        session, blog_id, PUBLISH, post_id=post_id, payload={"status": "draft", "date": None}
    )


def request_trash(session: Session, post_id: int) -> outbox.JobData | None:
    """Move the post to the trash here (a revision is kept) and on the blog.

    No job for a post that never reached the blog and has no job that would put it there.
    """
    post = _post(session, post_id)
    blog_id = post.blog_id
    pending = (
        outbox.list_jobs(session, blog_id=blog_id, post_id=post_id) if blog_id is not None else []
    )
    library.trash_post(session, post_id)
    if blog_id is None or (post.remote_id is None and not pending):
        return None
    return outbox.enqueue(session, blog_id, TRASH_OP, post_id=post_id)


# --- What the worker reads and records ---------------------------------------------------------


@dataclass(frozen=True)
class TermRef:
    taxonomy: str  # "categories" or "tags"
    name: str
    remote_id: int | None


@dataclass(frozen=True)
class PostForPublish:
    """A post as the worker sends it: text, status, terms with their remote ids, and the base
    of the conflict check."""

    id: int
    uuid: str
    blog_id: int | None
    kind: str
    title: str
    body: str
    slug: str
    excerpt: str
    status: str
    scheduled_at: datetime | None
    remote_id: int | None
    remote_modified: datetime | None
    synced_title: str | None
    synced_body: str | None
    terms: list[TermRef] = field(default_factory=list)
    featured_media_uuid: str | None = None
    #: the blog's media id of a pulled featured image that is not in the library (None: none)
    remote_featured_id: int | None = None
    #: the blog's raw HTML as of the last sync (``Post.original_html``), None when not known:
    #: with ``synced_title``, what an update expects to find on the blog (see ``RemoteResult``)
    synced_html: str | None = None

    @property
    def remote_status(self) -> str:
        return _REMOTE_STATUS.get(self.status, "draft")

    @property
    def unchanged_since_sync(self) -> bool:
        return self.synced_body is not None and (
            self.title == (self.synced_title or "") and self.body == self.synced_body
        )


def _load_statements():
    p = Post.__table__.c
    m = Media.__table__.c
    post = (
        select(
            p.id,
            p.uuid,
            p.blog_id,
            p.kind,
            p.title,
            p.body,
            p.slug,
            p.excerpt,
            p.status,
            p.scheduled_at,
            p.remote_id,
            p.remote_modified,
            p.synced_title,
            p.synced_body,
            p.original_html,
            p.remote_featured_id,
            m.uuid.label("featured_uuid"),
        )
        .select_from(Post.__table__.outerjoin(Media.__table__, m.id == p.featured_media_id))
        .where(p.id == bindparam("post_id"))
    )
    c = Category.__table__.c
    t = Tag.__table__.c
    pc = post_categories.c
    pt = post_tags.c
    terms = union_all(
        select(literal("categories").label("taxonomy"), c.name, c.remote_id)
        .join_from(post_categories, Category.__table__, c.id == pc.category_id)
        .where(pc.post_id == bindparam("post_id")),
        select(literal("tags").label("taxonomy"), t.name, t.remote_id)
        .join_from(post_tags, Tag.__table__, t.id == pt.tag_id)
        .where(pt.post_id == bindparam("post_id")),
    ).order_by("taxonomy", "name")
    u = MediaUpload.__table__.c
    media = (
        select(m.uuid, m.filename, m.mime_type, u.remote_id, u.remote_url)
        .select_from(
            Media.__table__.outerjoin(
                MediaUpload.__table__, (u.media_id == m.id) & (u.blog_id == bindparam("blog_id"))
            )
        )
        .where(m.uuid.in_(bindparam("uuids", expanding=True)))
    )
    return post, terms, media


# Built once: building these costs more than running them.
_LOAD_POST, _LOAD_TERMS, _MEDIA_FOR_BLOG = _load_statements()


def load_for_publish(session: Session, post_id: int) -> PostForPublish:
    """The post as the worker sends it: two statements of columns (the post with its featured
    image's uuid; its categories and tags), no ORM objects."""
    session.flush()
    row = session.execute(_LOAD_POST, {"post_id": post_id}).first()
    if row is None:
        raise library.PostNotFound(post_id)
    terms = [
        TermRef(tax, name, _int(remote))
        for tax, name, remote in session.execute(_LOAD_TERMS, {"post_id": post_id})
    ]
    return PostForPublish(
        id=row.id,
        uuid=row.uuid,
        blog_id=row.blog_id,
        kind=row.kind,
        title=row.title,
        body=row.body,
        slug=row.slug,
        excerpt=row.excerpt,
        status=row.status,
        scheduled_at=row.scheduled_at,
        remote_id=_int(row.remote_id),
        remote_modified=row.remote_modified,
        synced_title=row.synced_title,
        synced_body=row.synced_body,
        terms=terms,
        featured_media_uuid=row.featured_uuid,
        remote_featured_id=_int(row.remote_featured_id),
        synced_html=row.original_html,
    )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class MediaForUpload:
    """A library image and, when this blog has it already, its remote id and URL."""

    uuid: str
    filename: str
    mime_type: str
    remote_id: int | None
    remote_url: str | None


def media_for_blog(session: Session, blog_id: int, uuid: str) -> MediaForUpload | None:
    """The image with this uuid, with its upload to ``blog_id`` if there is one (an image is
    uploaded once per blog: ``media_uploads``)."""
    return media_for_blog_many(session, blog_id, [uuid]).get(uuid)


def media_for_blog_many(
    session: Session, blog_id: int, uuids: Iterable[str]
) -> dict[str, MediaForUpload]:
    """``media_for_blog`` of several images in one statement: {uuid: image} for those found
    (the image's bytes are not read)."""
    wanted = list(dict.fromkeys(uuids))
    if not wanted:
        return {}
    rows = session.execute(_MEDIA_FOR_BLOG, {"blog_id": blog_id, "uuids": wanted})
    return {
        r.uuid: MediaForUpload(
            uuid=r.uuid,
            filename=r.filename,
            mime_type=r.mime_type,
            remote_id=_int(r.remote_id),
            remote_url=r.remote_url,
        )
        for r in rows
    }


_MEDIA_BYTES = select(Media.data).where(Media.uuid == bindparam("uuid")).limit(1)


def media_bytes(session: Session, uuid: str) -> bytes | None:
    return session.scalars(_MEDIA_BYTES, {"uuid": uuid}).first()


def _next_body_statement():
    j = OutboxJob.__table__.c
    p = Post.__table__.c
    return (
        select(p.body)
        .join_from(OutboxJob.__table__, Post.__table__, p.id == j.post_id)
        .where(
            j.state == outbox.PENDING,
            j.blog_id == bindparam("blog_id"),
            j.id > bindparam("after"),
            j.operation.in_((PUBLISH, UPDATE)),
        )
        .order_by(j.id)
        .limit(1)
    )


_NEXT_BODY = _next_body_statement()


def body_of_next_job(session: Session, blog_id: int, after_job_id: int) -> str | None:
    """The text of the post the blog's next waiting publish or update job (after
    `after_job_id`) will send, if there is one: the worker renders it ahead, while it waits for
    the blog. A guess: the job may not run next, or the text may change before it does."""
    return session.scalars(_NEXT_BODY, {"blog_id": blog_id, "after": after_job_id}).first()


def record_media_upload(
    session: Session, blog_id: int, uuid: str, remote_id: int, remote_url: str
) -> None:
    """The blog's id and URL for an uploaded image (one statement, no ORM objects)."""
    session.flush()
    params = {
        "b_uuid": uuid,
        "b_blog": blog_id,
        "b_rid": str(remote_id),
        "b_url": remote_url,
        "b_now": utcnow(),
    }
    session.execute(_UPLOAD, params)
    for loaded in list(session.identity_map.values()):  # objects of this session read it anew
        if isinstance(loaded, MediaUpload) and loaded.blog_id == blog_id:
            session.expire(loaded)


def _upload_statement():
    """One upsert (SQLite's ``INSERT ... SELECT ... ON CONFLICT DO UPDATE``): the upload of an
    image to a blog, new or replacing the one recorded."""
    m = Media.__table__.c
    u = MediaUpload.__table__
    when = bindparam("b_now", type_=UTCDateTime())
    insert = sqlite_insert(u).from_select(
        ["media_id", "blog_id", "remote_id", "remote_url", "uploaded_at"],
        select(
            m.id,
            bindparam("b_blog", type_=Integer()),
            bindparam("b_rid", type_=String()),
            bindparam("b_url", type_=String()),
            when,
        ).where(m.uuid == bindparam("b_uuid")),  # a WHERE, as SQLite's upsert after SELECT needs
    )
    return insert.on_conflict_do_update(
        index_elements=[u.c.media_id, u.c.blog_id],
        set_={
            "remote_id": insert.excluded.remote_id,
            "remote_url": insert.excluded.remote_url,
            "uploaded_at": insert.excluded.uploaded_at,
        },
    )


_UPLOAD = _upload_statement()


def record_term(
    session: Session,
    blog_id: int,
    taxonomy: str,
    name: str,
    remote_id: int,
    slug: str = "",
    parent_remote_id: int = 0,
) -> None:
    """The blog's id for a category or tag (made here when it is new)."""
    model = Category if taxonomy == "categories" else Tag
    rows = session.scalars(select(model).where(model.blog_id == blog_id))
    by_remote = None
    by_name = None
    for row in rows:
        if row.remote_id == str(remote_id):
            by_remote = row
        if row.name.lower() == name.lower():
            by_name = row
    row = by_name or by_remote
    if row is None:
        row = model(blog_id=blog_id, name=name, slug=slug or library.slugify(name))
        session.add(row)
    row.remote_id = str(remote_id)
    if slug:
        row.slug = slug
    if model is Category and parent_remote_id:
        parent = session.scalars(
            select(Category).where(
                Category.blog_id == blog_id, Category.remote_id == str(parent_remote_id)
            )
        ).first()
        row.parent_id = parent.id if parent is not None else None
    session.flush()


def term_names(session: Session, blog_id: int, taxonomy: str, remote_ids: Iterable[int]) -> dict:
    """{remote id: name} for the ones this blog's terms know."""
    model = Category if taxonomy == "categories" else Tag
    wanted = [str(i) for i in remote_ids]
    if not wanted:
        return {}
    rows = session.scalars(
        select(model).where(model.blog_id == blog_id, model.remote_id.in_(wanted))
    )
    return {int(r.remote_id): r.name for r in rows}


@dataclass(frozen=True)
class RemoteResult:
    """What the blog answered for a post (core's view of publish's RemotePost). ``content_html``
    is the post's raw HTML as the blog stored it (None: not given)."""

    remote_id: int
    status: str
    modified_gmt: datetime
    date_gmt: datetime | None = None
    link: str = ""
    content_html: str | None = None


def record_published(
    session: Session,
    post_id: int,
    result: RemoteResult,
    sent_title: str,
    sent_body: str,
) -> None:
    """After a create or update: the remote id, the blog's modified time and raw HTML (the base
    of the next conflict check: ``Post.original_html`` holds the blog's HTML as of the last sync,
    whether pulled or sent) and the text sent (the last-synced copy). Text edited while the
    request ran stays as it is, and shows as not yet synced. (Nothing is returned: this runs once
    per job, and reading the whole post back, tags and all, cost more than the rest.)"""
    session.flush()
    done = session.execute(
        _RECORD_PUBLISHED,
        {
            "b_post_id": post_id,
            "b_rid": str(result.remote_id),
            "b_modified": result.modified_gmt,
            "b_title": sent_title,
            "b_body": sent_body,
            "b_html": result.content_html,
            "b_local": _LOCAL_STATUS.get(result.status),
            "b_published": result.date_gmt or utcnow(),
            "b_scheduled": result.date_gmt,
        },
    )
    if not done.rowcount:
        raise library.PostNotFound(post_id)
    loaded = session.identity_map.get(identity_key(Post, post_id))
    if loaded is not None:  # an object of this session reads the new values
        session.expire(loaded)


def _record_published_statement():
    c = Post.__table__.c
    local = bindparam("b_local", type_=c.status.type)
    # the blog's status, unless the post went to the trash meanwhile (or the status is unknown)
    keep = local.is_(None) | (c.status == TRASH)
    return (
        update(Post.__table__)
        .where(c.id == bindparam("b_post_id"))
        .values(
            remote_id=bindparam("b_rid"),
            remote_modified=bindparam("b_modified", type_=UTCDateTime()),
            synced_title=bindparam("b_title"),
            synced_body=bindparam("b_body"),
            original_html=func.coalesce(
                bindparam("b_html", type_=c.original_html.type), c.original_html
            ),
            status=case((keep, c.status), else_=local),
            published_at=case(
                (
                    ~keep & (local == PUBLISHED) & c.published_at.is_(None),
                    bindparam("b_published", type_=UTCDateTime()),
                ),
                else_=c.published_at,
            ),
            scheduled_at=case(
                (~keep & (local == SCHEDULED), bindparam("b_scheduled", type_=UTCDateTime())),
                else_=c.scheduled_at,
            ),
        )
    )


_RECORD_PUBLISHED = _record_published_statement()


def set_remote_base(
    session: Session,
    post_id: int,
    remote_modified: datetime,
    *,
    title: str | None = None,
    content_html: str | None = None,
) -> None:
    """The blog's version the next update expects to find: its modified time and, when given,
    its title and raw HTML (the update compares both, ``modified_gmt`` having whole seconds).
    The given title becomes the last-synced title, so the local title is sent whenever it
    differs from the blog's."""
    post = session.get(Post, post_id)
    if post is None:
        raise library.PostNotFound(post_id)
    post.remote_modified = remote_modified
    if title is not None:
        post.synced_title = title
    if content_html is not None:
        post.original_html = content_html
    session.flush()


# --- Pulling -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PulledPost:
    """A post fetched from the blog, with its text already converted to Markdown."""

    remote_id: int
    kind: str
    title: str
    content_html: str
    markdown: str
    excerpt: str
    slug: str
    status: str
    date_gmt: datetime | None
    modified_gmt: datetime
    categories: Sequence[str] = ()
    tags: Sequence[str] = ()
    #: the blog's media id of the featured image (None: none)
    featured_media: int | None = None
    #: the library image uploaded to the blog as ``featured_media``, when there is one
    featured_local_id: int | None = None


#: What ``apply_pulled`` did.
PULL_NEW = "new"
PULL_UPDATED = "updated"
PULL_UNCHANGED = "unchanged"
PULL_KEPT_LOCAL = "kept-local"  # edited here and there: the next update reports the conflict
PULL_TRASHED = "trashed"  # trashed on the blog, so here too


def apply_pulled(session: Session, blog_id: int, pulled: PulledPost) -> tuple[str, int]:
    """Store a fetched post: new ones are added; one the user has not edited since the last sync
    takes the blog's version (a revision of the old text is kept); one edited here keeps the
    local text, and the conflict shows when it is next sent. Returns (what happened, post id)."""
    post = session.scalars(
        select(Post)
        .where(Post.blog_id == blog_id, Post.remote_id == str(pulled.remote_id))
        .options(selectinload(Post.tags), selectinload(Post.categories))
    ).first()
    if post is not None and post.remote_modified == pulled.modified_gmt:
        # WordPress publishes a scheduled post without changing its modified time
        status = local_status(pulled.status)
        if post.status == SCHEDULED and status == PUBLISHED:
            library.update_post(session, post.id, status=PUBLISHED, scheduled_at=None)
            post.published_at = pulled.date_gmt or post.published_at
            return PULL_UPDATED, post.id
        return PULL_UNCHANGED, post.id
    if post is None:
        # One INSERT with everything (a pull may bring thousands of posts: going through
        # create_post and update_post would cost several more queries each).
        return PULL_NEW, _insert_pulled(session, blog_id, pulled)
    else:
        edited = post.synced_body is None or (
            post.body != post.synced_body or post.title != (post.synced_title or "")
        )
        if edited:
            return PULL_KEPT_LOCAL, post.id
        if post.body != pulled.markdown or post.title != pulled.title:
            library.snapshot(session, post.id, "before-pull")
        outcome = PULL_UPDATED
    post.title = pulled.title
    post.body = pulled.markdown
    post.original_html = pulled.content_html
    post.synced_title = pulled.title
    post.synced_body = pulled.markdown
    post.remote_id = str(pulled.remote_id)
    post.remote_modified = pulled.modified_gmt
    status = _LOCAL_STATUS.get(pulled.status, DRAFT)
    library.update_post(
        session,
        post.id,
        slug=pulled.slug,
        excerpt=pulled.excerpt,
        status=status,
        scheduled_at=pulled.date_gmt if status == SCHEDULED else None,
        **({"tags": list(pulled.tags), "categories": list(pulled.categories)}),
    )
    if status == PUBLISHED and pulled.date_gmt is not None:
        post.published_at = pulled.date_gmt
    post.featured_media_id, post.remote_featured_id = _featured_columns(pulled)
    session.flush()
    return outcome, post.id


def _featured_columns(pulled: PulledPost) -> tuple[int | None, str | None]:
    """(featured_media_id, remote_featured_id) of a pulled post: the library's image when the
    blog's is one we uploaded, else the blog's id."""
    if not pulled.featured_media:
        return None, None
    if pulled.featured_local_id is not None:
        return pulled.featured_local_id, None
    return None, str(pulled.featured_media)


def media_for_remote_ids(
    session: Session, blog_id: int, remote_ids: Iterable[int]
) -> dict[int, int]:
    """The library images that were uploaded to the blog as `remote_ids`: {remote id: Media id}."""
    wanted = sorted({str(i) for i in remote_ids if i})
    if not wanted:
        return {}
    u = MediaUpload.__table__.c
    rows = session.execute(
        select(u.remote_id, u.media_id).where(u.blog_id == blog_id, u.remote_id.in_(wanted))
    )
    return {int(remote): media for remote, media in rows}


def _insert_pulled(session: Session, blog_id: int, pulled: PulledPost) -> int:
    """A post new to the library, as `create_post` + `update_post` would make it."""
    now = utcnow()
    status = _LOCAL_STATUS.get(pulled.status, DRAFT)
    post = Post(
        title=pulled.title,
        body=pulled.markdown,
        blog_id=blog_id,
        kind=pulled.kind,
        status=status,
        created_at=now,
        updated_at=now,
        slug=pulled.slug,
        excerpt=pulled.excerpt,
        original_html=pulled.content_html,
        synced_title=pulled.title,
        synced_body=pulled.markdown,
        remote_id=str(pulled.remote_id),
        remote_modified=pulled.modified_gmt,
        scheduled_at=pulled.date_gmt if status == SCHEDULED else None,
    )
    post.featured_media_id, post.remote_featured_id = _featured_columns(pulled)
    if status == PUBLISHED:
        post.published_at = pulled.date_gmt or now
    post.tags = library._named(session, Tag, blog_id, pulled.tags)
    post.categories = library._named(session, Category, blog_id, pulled.categories)
    session.add(post)
    session.flush()
    return post.id


def apply_remote_trash(
    session: Session, blog_id: int, remote_id: int, modified_gmt: datetime
) -> tuple[str, int | None]:
    """A post moved to the trash on the blog: trashed here too (a revision is kept), unless the
    user edited it since the last sync (then it stays, and sending it reports the problem)."""
    post = session.scalars(
        select(Post).where(Post.blog_id == blog_id, Post.remote_id == str(remote_id))
    ).first()
    if post is None:
        return PULL_UNCHANGED, None
    if post.status == TRASH or post.remote_modified == modified_gmt:
        return PULL_UNCHANGED, post.id
    edited = post.synced_body is None or (
        post.body != post.synced_body or post.title != (post.synced_title or "")
    )
    if edited:
        return PULL_KEPT_LOCAL, post.id
    library.trash_post(session, post.id)
    post.remote_modified = modified_gmt
    session.flush()
    return PULL_TRASHED, post.id


def set_last_synced(session: Session, blog_id: int, moment: datetime) -> None:
    blog = session.get(Blog, blog_id)
    if blog is not None:
        blog.last_synced_at = moment
        session.flush()


__all__ = [
    "PUBLISH",
    "RESOLVE_DUPLICATES",
    "TRASH_OP",
    "UPDATE",
    "BlogAccount",
    "MediaForUpload",
    "PostForPublish",
    "PublishRequestError",
    "PulledPost",
    "RemoteResult",
    "TermRef",
    "apply_pulled",
    "apply_remote_trash",
    "get_blog_account",
    "list_blog_accounts",
    "load_for_publish",
    "body_of_next_job",
    "media_bytes",
    "media_for_blog",
    "media_for_blog_many",
    "media_for_remote_ids",
    "record_media_upload",
    "record_published",
    "record_term",
    "request_publish",
    "request_trash",
    "request_unpublish",
    "request_update",
    "set_last_synced",
    "set_remote_base",
    "term_names",
]

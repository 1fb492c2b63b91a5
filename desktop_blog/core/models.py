"""SQLAlchemy 2 typed models: everything the library stores.

The schema itself is owned by the Alembic migrations in ``core/migrations``; these models
describe it for the ORM and a test checks that the two agree.
"""

from __future__ import annotations

import uuid as uuid_mod
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)


def new_uuid() -> str:
    return str(uuid_mod.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC in SQLite and always hands back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# Post status values. "scheduled" posts have a future ``scheduled_at``.
DRAFT = "draft"
SCHEDULED = "scheduled"
PUBLISHED = "published"
TRASH = "trash"
STATUSES = (DRAFT, SCHEDULED, PUBLISHED, TRASH)


post_tags = Table(
    "post_tags",
    Base.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)

post_categories = Table(
    "post_categories",
    Base.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
)


class Blog(Base):
    """A blog the user writes for. The secret lives in the system keyring, never here."""

    __tablename__ = "blogs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))  # "wordpress-rest", "xmlrpc"
    url: Mapped[str] = mapped_column(String(2000))
    api_url: Mapped[str | None] = mapped_column(String(2000))
    username: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    posts: Mapped[list[Post]] = relationship(back_populates="blog", passive_deletes=True)


class Post(Base):
    """A post or page, local or belonging to a blog."""

    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_blog_status_updated", "blog_id", "status", "updated_at"),
        Index("ix_posts_remote", "blog_id", "remote_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    blog_id: Mapped[int | None] = mapped_column(ForeignKey("blogs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10), default="post", server_default="post")
    title: Mapped[str] = mapped_column(Text, default="")
    slug: Mapped[str] = mapped_column(String(400), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    excerpt: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)
    # The status to go back to when a trashed post is restored.
    status_before_trash: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remote_id: Mapped[str | None] = mapped_column(String(100))
    remote_modified: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The copy last synced with the blog: the base of a three-way comparison.
    synced_title: Mapped[str | None] = mapped_column(Text)
    synced_body: Mapped[str | None] = mapped_column(Text)
    original_html: Mapped[str | None] = mapped_column(Text)
    featured_media_id: Mapped[int | None] = mapped_column(
        ForeignKey("media.id", ondelete="SET NULL")
    )
    # The blog's media id of a pulled post's featured image that is not in the library: kept
    # so that an update does not remove it. A library image (featured_media_id) takes its place.
    remote_featured_id: Mapped[str | None] = mapped_column(String(100))

    blog: Mapped[Blog | None] = relationship(back_populates="posts")
    tags: Mapped[list[Tag]] = relationship(secondary=post_tags, order_by="Tag.name")
    categories: Mapped[list[Category]] = relationship(
        secondary=post_categories, order_by="Category.name"
    )


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = (Index("ix_categories_blog_name", "blog_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    blog_id: Mapped[int | None] = mapped_column(ForeignKey("blogs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="SET NULL"))
    remote_id: Mapped[str | None] = mapped_column(String(100))


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (Index("ix_tags_blog_name", "blog_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    blog_id: Mapped[int | None] = mapped_column(ForeignKey("blogs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), default="")
    remote_id: Mapped[str | None] = mapped_column(String(100))


class Media(Base):
    """An image or other file of the local library; uploaded once per blog."""

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    filename: Mapped[str] = mapped_column(String(400))
    mime_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    local_path: Mapped[str | None] = mapped_column(String(2000))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    blog_id: Mapped[int | None] = mapped_column(ForeignKey("blogs.id", ondelete="SET NULL"))
    remote_id: Mapped[str | None] = mapped_column(String(100))
    remote_url: Mapped[str | None] = mapped_column(String(2000))


class MediaUpload(Base):
    """An image of the library as uploaded to one blog: the id and URL the blog gave it."""

    __tablename__ = "media_uploads"

    media_id: Mapped[int] = mapped_column(
        ForeignKey("media.id", ondelete="CASCADE"), primary_key=True
    )
    blog_id: Mapped[int] = mapped_column(
        ForeignKey("blogs.id", ondelete="CASCADE"), primary_key=True
    )
    remote_id: Mapped[str] = mapped_column(String(100))
    remote_url: Mapped[str] = mapped_column(String(2000))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Revision(Base):
    """A snapshot of a post. Kept when the post is deleted, so nothing is lost for good."""

    __tablename__ = "revisions"
    __table_args__ = (Index("ix_revisions_post_created", "post_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    post_uuid: Mapped[str] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(String(40), default="autosave")


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_blog_remote", "blog_id", "remote_id", unique=True),
        Index("ix_comments_status_date", "status", "date"),
        Index("ix_comments_post", "post_id"),
        # Migration 0003: the inbox's lists, newest first.
        Index("ix_comments_date", "date"),
        Index("ix_comments_read_date", "is_read", "date"),
        Index("ix_comments_status_read_date", "status", "is_read", "date"),
        Index("ix_comments_blog_status_date", "blog_id", "status", "date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    blog_id: Mapped[int] = mapped_column(ForeignKey("blogs.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    remote_id: Mapped[str] = mapped_column(String(100))
    remote_post_id: Mapped[str | None] = mapped_column(String(100))
    parent_remote_id: Mapped[str | None] = mapped_column(String(100))
    author_name: Mapped[str] = mapped_column(String(400), default="")
    author_email: Mapped[str] = mapped_column(String(400), default="")
    author_url: Mapped[str] = mapped_column(String(2000), default="")
    author_ip: Mapped[str] = mapped_column(String(100), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="hold")
    date: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    is_read: Mapped[bool] = mapped_column(Boolean, default=False)


class OutboxJob(Base):
    """A remote action waiting to run; written in the same transaction as the local change."""

    __tablename__ = "outbox_jobs"
    __table_args__ = (Index("ix_outbox_state_id", "state", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    blog_id: Mapped[int] = mapped_column(ForeignKey("blogs.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    operation: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(36), default=new_uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

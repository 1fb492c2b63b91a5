"""Initial library: blogs, posts, categories, tags, media, revisions.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from desktop_blog.core.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blogs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("api_url", sa.String(2000)),
        sa.Column("username", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_synced_at", UTCDateTime()),
    )
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column("filename", sa.String(400), nullable=False),
        sa.Column("mime_type", sa.String(100), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("data", sa.LargeBinary()),
        sa.Column("local_path", sa.String(2000)),
        sa.Column("width", sa.Integer()),
        sa.Column("height", sa.Integer()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("blog_id", sa.Integer(), sa.ForeignKey("blogs.id", ondelete="SET NULL")),
        sa.Column("remote_id", sa.String(100)),
        sa.Column("remote_url", sa.String(2000)),
    )
    op.create_table(
        "posts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column("blog_id", sa.Integer(), sa.ForeignKey("blogs.id", ondelete="CASCADE")),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("slug", sa.String(400), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_before_trash", sa.String(20)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("scheduled_at", UTCDateTime()),
        sa.Column("published_at", UTCDateTime()),
        sa.Column("remote_id", sa.String(100)),
        sa.Column("remote_modified", UTCDateTime()),
        sa.Column("synced_title", sa.Text()),
        sa.Column("synced_body", sa.Text()),
        sa.Column("original_html", sa.Text()),
        sa.Column(
            "featured_media_id", sa.Integer(), sa.ForeignKey("media.id", ondelete="SET NULL")
        ),
    )
    op.create_index("ix_posts_blog_status_updated", "posts", ["blog_id", "status", "updated_at"])
    op.create_index("ix_posts_remote", "posts", ["blog_id", "remote_id"])
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("blog_id", sa.Integer(), sa.ForeignKey("blogs.id", ondelete="CASCADE")),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("slug", sa.String(200), nullable=False),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("categories.id", ondelete="SET NULL")),
        sa.Column("remote_id", sa.String(100)),
    )
    op.create_index("ix_categories_blog_name", "categories", ["blog_id", "name"], unique=True)
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("blog_id", sa.Integer(), sa.ForeignKey("blogs.id", ondelete="CASCADE")),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("slug", sa.String(200), nullable=False),
        sa.Column("remote_id", sa.String(100)),
    )
    op.create_index("ix_tags_blog_name", "tags", ["blog_id", "name"], unique=True)
    op.create_table(
        "post_tags",
        sa.Column(
            "post_id", sa.Integer(), sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "tag_id", sa.Integer(), sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True
        ),
    )
    op.create_table(
        "post_categories",
        sa.Column(
            "post_id", sa.Integer(), sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "category_id",
            sa.Integer(),
            sa.ForeignKey("categories.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_table(
        "revisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("posts.id", ondelete="SET NULL")),
        sa.Column("post_uuid", sa.String(36), nullable=False, index=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
    )
    op.create_index("ix_revisions_post_created", "revisions", ["post_id", "created_at"])


def downgrade() -> None:
    for table in (
        "revisions",
        "post_categories",
        "post_tags",
        "tags",
        "categories",
        "posts",
        "media",
        "blogs",
    ):
        op.drop_table(table)

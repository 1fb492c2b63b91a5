"""Media uploads per blog: one library image can be uploaded to several blogs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

``media_uploads`` holds, for each (image, blog), the id and URL the blog gave the upload, so an
image is uploaded once per blog. Uploads already recorded on ``media`` rows (``blog_id``,
``remote_id``, ``remote_url``: one blog per image) are copied over; those columns stay, unused
by new code.
"""

import sqlalchemy as sa
from alembic import op

from desktop_blog.core.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_uploads",
        sa.Column(
            "media_id",
            sa.Integer(),
            sa.ForeignKey("media.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "blog_id",
            sa.Integer(),
            sa.ForeignKey("blogs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("remote_id", sa.String(100), nullable=False),
        sa.Column("remote_url", sa.String(2000), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
    )
    op.execute(
        "INSERT INTO media_uploads (media_id, blog_id, remote_id, remote_url, uploaded_at) "
        "SELECT id, blog_id, remote_id, remote_url, created_at FROM media "
        "WHERE blog_id IS NOT NULL AND remote_id IS NOT NULL AND remote_url IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_table("media_uploads")

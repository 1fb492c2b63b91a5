"""A post's featured image as the blog has it, when it is not an image of the library.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

``posts.remote_featured_id`` keeps the blog's media id of a pulled post's featured image. Without
it an update of that post would send "no featured image" and remove the blog's. A featured image
chosen here (``featured_media_id``, an image of the library) takes its place.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: SQLite does it in place, without copying a large library's posts.
    op.add_column("posts", sa.Column("remote_featured_id", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("remote_featured_id")

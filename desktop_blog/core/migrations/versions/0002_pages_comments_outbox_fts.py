"""Pages, comments, the outbox, and the full-text index over posts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from desktop_blog.core.models import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The index is an external-content FTS5 table kept in step by triggers, so the database itself
# guarantees it matches the posts, whatever program writes them.
FTS_STATEMENTS = [
    """CREATE VIRTUAL TABLE posts_fts USING fts5(
        title, body, content='posts', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3')""",
    """CREATE TRIGGER posts_fts_ai AFTER INSERT ON posts BEGIN
        INSERT INTO posts_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    """CREATE TRIGGER posts_fts_ad AFTER DELETE ON posts BEGIN
        INSERT INTO posts_fts(posts_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
    END""",
    """CREATE TRIGGER posts_fts_au AFTER UPDATE OF title, body ON posts BEGIN
        INSERT INTO posts_fts(posts_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO posts_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    "INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')",
]


def upgrade() -> None:
    # A plain ADD COLUMN: SQLite supports it, and it avoids the table copy of batch mode.
    op.add_column("posts", sa.Column("kind", sa.String(10), nullable=False, server_default="post"))
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "blog_id", sa.Integer(), sa.ForeignKey("blogs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("posts.id", ondelete="SET NULL")),
        sa.Column("remote_id", sa.String(100), nullable=False),
        sa.Column("remote_post_id", sa.String(100)),
        sa.Column("parent_remote_id", sa.String(100)),
        sa.Column("author_name", sa.String(400), nullable=False),
        sa.Column("author_email", sa.String(400), nullable=False),
        sa.Column("author_url", sa.String(2000), nullable=False),
        sa.Column("author_ip", sa.String(100), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("date", UTCDateTime(), nullable=False),
        sa.Column("is_read", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_comments_blog_remote", "comments", ["blog_id", "remote_id"], unique=True)
    op.create_index("ix_comments_status_date", "comments", ["status", "date"])
    op.create_index("ix_comments_post", "comments", ["post_id"])
    op.create_table(
        "outbox_jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "blog_id", sa.Integer(), sa.ForeignKey("blogs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("posts.id", ondelete="SET NULL")),
        sa.Column("comment_id", sa.Integer(), sa.ForeignKey("comments.id", ondelete="SET NULL")),
        sa.Column("operation", sa.String(40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("idempotency_key", sa.String(36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime()),
    )
    op.create_index("ix_outbox_state_id", "outbox_jobs", ["state", "id"])
    for statement in FTS_STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for name in ("posts_fts_au", "posts_fts_ad", "posts_fts_ai"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS posts_fts")
    op.drop_table("outbox_jobs")
    op.drop_table("comments")
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("kind")

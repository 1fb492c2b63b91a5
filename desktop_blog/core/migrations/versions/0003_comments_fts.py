"""Comment inbox: full-text index over comments, counts kept by triggers, and list indexes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

- ``comments_fts``: an external-content FTS5 table over (author_name, content), kept in step by
  triggers like ``posts_fts``.
- ``comment_counts``: how many comments each (blog, status, read flag) holds, kept by triggers,
  so the inbox's filter counts cost a read of a few rows instead of a scan of a million.
- Indexes for the inbox's lists, newest first: all comments by date; unread ones by date; a
  status's unread ones by date; a blog's comments by status and date.
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

FTS_STATEMENTS = [
    """CREATE VIRTUAL TABLE comments_fts USING fts5(
        author_name, content, content='comments', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3')""",
    """CREATE TRIGGER comments_fts_ai AFTER INSERT ON comments BEGIN
        INSERT INTO comments_fts(rowid, author_name, content)
        VALUES (new.id, new.author_name, new.content);
    END""",
    """CREATE TRIGGER comments_fts_ad AFTER DELETE ON comments BEGIN
        INSERT INTO comments_fts(comments_fts, rowid, author_name, content)
        VALUES ('delete', old.id, old.author_name, old.content);
    END""",
    """CREATE TRIGGER comments_fts_au AFTER UPDATE OF author_name, content ON comments BEGIN
        INSERT INTO comments_fts(comments_fts, rowid, author_name, content)
        VALUES ('delete', old.id, old.author_name, old.content);
        INSERT INTO comments_fts(rowid, author_name, content)
        VALUES (new.id, new.author_name, new.content);
    END""",
    "INSERT INTO comments_fts(comments_fts) VALUES ('rebuild')",
]

COUNT_STATEMENTS = [
    """CREATE TABLE comment_counts (
        blog_id INTEGER NOT NULL,
        status VARCHAR(20) NOT NULL,
        is_read BOOLEAN NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (blog_id, status, is_read)
    ) WITHOUT ROWID""",
    """CREATE TRIGGER comment_counts_ai AFTER INSERT ON comments BEGIN
        INSERT INTO comment_counts(blog_id, status, is_read, n)
        VALUES (new.blog_id, new.status, new.is_read, 1)
        ON CONFLICT(blog_id, status, is_read) DO UPDATE SET n = n + 1;
    END""",
    """CREATE TRIGGER comment_counts_ad AFTER DELETE ON comments BEGIN
        UPDATE comment_counts SET n = n - 1
        WHERE blog_id = old.blog_id AND status = old.status AND is_read = old.is_read;
    END""",
    """CREATE TRIGGER comment_counts_au AFTER UPDATE OF blog_id, status, is_read ON comments
    BEGIN
        UPDATE comment_counts SET n = n - 1
        WHERE blog_id = old.blog_id AND status = old.status AND is_read = old.is_read;
        INSERT INTO comment_counts(blog_id, status, is_read, n)
        VALUES (new.blog_id, new.status, new.is_read, 1)
        ON CONFLICT(blog_id, status, is_read) DO UPDATE SET n = n + 1;
    END""",
    """INSERT INTO comment_counts(blog_id, status, is_read, n)
        SELECT blog_id, status, is_read, count(*) FROM comments GROUP BY 1, 2, 3""",
]

TRIGGERS = (
    "comments_fts_ai",
    "comments_fts_ad",
    "comments_fts_au",
    "comment_counts_ai",
    "comment_counts_ad",
    "comment_counts_au",
)

INDEXES = {
    "ix_comments_date": ["date"],
    "ix_comments_read_date": ["is_read", "date"],
    "ix_comments_status_read_date": ["status", "is_read", "date"],
    "ix_comments_blog_status_date": ["blog_id", "status", "date"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "comments", columns)
    for statement in FTS_STATEMENTS + COUNT_STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS comment_counts")
    op.execute("DROP TABLE IF EXISTS comments_fts")
    for name in INDEXES:
        op.drop_index(name, table_name="comments")

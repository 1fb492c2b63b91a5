"""Full-text search over post titles and bodies through the FTS5 index ``posts_fts``."""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.orm import Session

_TOKEN = re.compile(r"\w+", re.UNICODE)


def fts_query(user_text: str) -> str | None:
    """Turn what a user typed into a safe FTS5 query: every word must appear; the last one
    may be a prefix, so results follow typing. None when there is nothing to search for."""
    words = _TOKEN.findall(user_text)
    if not words:
        return None
    parts = [f'"{w}"' for w in words[:-1]]
    last = words[-1]
    # A prefix query on one letter matches half the library; wait for a second letter.
    parts.append(f'"{last}"*' if len(last) >= 2 else f'"{last}"')
    return " ".join(parts)


def _blog_clause(blog_id: int | None) -> str:
    return "p.blog_id IS NULL" if blog_id is None else "p.blog_id = :blog_id"


def search_ids(
    session: Session,
    user_text: str,
    *,
    blog_id: int | None = None,
    status: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[int]:
    """Ids of matching posts, best first (title matches weigh more than body ones)."""
    query = fts_query(user_text)
    if query is None:
        return []
    status_clause = "AND p.status = :status" if status else ""
    sql = text(
        f"""SELECT p.id FROM posts_fts JOIN posts p ON p.id = posts_fts.rowid
            WHERE posts_fts MATCH :q AND {_blog_clause(blog_id)} {status_clause}
            ORDER BY bm25(posts_fts, 10.0, 1.0), p.id DESC
            LIMIT :limit OFFSET :offset"""
    )
    params = {"q": query, "blog_id": blog_id, "status": status, "limit": limit, "offset": offset}
    return [row[0] for row in session.execute(sql, params)]


def search_counts(
    session: Session, user_text: str, *, blog_id: int | None = None
) -> dict[str, int]:
    """How many matches in each status folder."""
    query = fts_query(user_text)
    if query is None:
        return {}
    sql = text(
        f"""SELECT p.status, count(*) FROM posts_fts JOIN posts p ON p.id = posts_fts.rowid
            WHERE posts_fts MATCH :q AND {_blog_clause(blog_id)} GROUP BY p.status"""
    )
    return {row[0]: row[1] for row in session.execute(sql, {"q": query, "blog_id": blog_id})}

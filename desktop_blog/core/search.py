"""Full-text search over post titles and bodies through the FTS5 index ``posts_fts``.

Ranking where it is cheap. FTS5's bm25 first counts, for every phrase of the query, the posts
that contain it (a walk over the phrase's whole doclist), then scores each match: for a word
found in most of 100,000 posts a ranked first page took 300-400 ms and the counts by folder
150-200 ms (*measured*). So:

- Order: a search matching at most ``RANK_WINDOW`` posts (what a specific search does) is
  ranked by bm25, title matches weighing more. A broader one takes its ``RANK_WINDOW`` newest
  matches (found through the index alone) with title matches first, then the rest, each newest
  first, and then the older matches, newest first. Every page (``offset``) follows the same
  order, so a tree can page through it.
- Counts: the newest ``COUNT_SAMPLE`` matches of a library are classified by status; when there
  are fewer, the counts are exact, otherwise they are scaled from that sample by the index's own
  count of matches and flagged as estimates (``SearchCounts.exact``).

Measured on 100,000 generated posts: ``python benchmarks/bench_tree.py``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

_TOKEN = re.compile(r"\w+", re.UNICODE)

# bm25 ranks searches with at most this many matches; broader ones are ordered cheaply.
RANK_WINDOW = 500
# Counts are exact up to this many matches in a library, estimated from that sample above.
COUNT_SAMPLE = 1000
STATUS_ORDER = ("draft", "scheduled", "published", "trash")


@dataclass(frozen=True)
class SearchCounts:
    """Matches per status folder; ``exact`` is False when they are estimates."""

    counts: dict[str, int] = field(default_factory=dict)
    exact: bool = True

    @property
    def total(self) -> int:
        return sum(self.counts.values())


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


def _filters(blog_id: int | None, status: str | None) -> str:
    return _blog_clause(blog_id) + (" AND p.status = :status" if status else "")


_FROM = "FROM posts_fts JOIN posts p ON p.id = posts_fts.rowid WHERE posts_fts MATCH :q"
_RANK = "bm25(posts_fts, 10.0, 1.0), p.id DESC"
# Within the window of a broad search: title matches first, then newest first.
_CHEAP = (
    "posts_fts.rowid IN (SELECT rowid FROM posts_fts WHERE posts_fts MATCH :title_q "
    "AND rowid >= :floor) DESC, p.id DESC"
)


def _title_query(query: str) -> str:
    return "{title} : (" + query + ")"


def _rank_floor(session: Session, query: str) -> int:
    """The lowest rowid of a broad search's window: that of the RANK_WINDOW-th newest match, or
    0 when there are fewer matches (then all of them are ranked by bm25). Reads only the index."""
    row = session.execute(
        text(
            "SELECT rowid FROM posts_fts WHERE posts_fts MATCH :q "
            "ORDER BY rowid DESC LIMIT 1 OFFSET :n"
        ),
        {"q": query, "n": RANK_WINDOW - 1},
    ).first()
    return row[0] if row else 0


def _page(
    session: Session,
    query: str,
    floor: int,
    blog_id: int | None,
    status: str | None,
    limit: int,
    offset: int,
) -> list[int]:
    params = {
        "q": query,
        "title_q": _title_query(query),
        "floor": floor,
        "blog_id": blog_id,
        "status": status,
        "limit": limit,
        "offset": offset,
    }
    where = _filters(blog_id, status)
    ranked = [
        row[0]
        for row in session.execute(
            text(
                f"SELECT p.id {_FROM} AND posts_fts.rowid >= :floor AND {where} "
                f"ORDER BY {_CHEAP if floor else _RANK} LIMIT :limit OFFSET :offset"
            ),
            params,
        )
    ]
    if len(ranked) == limit or floor == 0:
        return ranked
    if ranked:
        in_window = offset + len(ranked)
    else:
        in_window = session.execute(
            text(f"SELECT count(*) {_FROM} AND posts_fts.rowid >= :floor AND {where}"), params
        ).scalar_one()
    older = _older(
        session, query, floor, blog_id, status, limit - len(ranked), max(0, offset - in_window)
    )
    return ranked + older


def _older(
    session: Session,
    query: str,
    floor: int,
    blog_id: int | None,
    status: str | None,
    limit: int,
    offset: int,
) -> list[int]:
    """Matches below the ranked window, newest first."""
    params = {
        "q": query,
        "floor": floor,
        "blog_id": blog_id,
        "status": status,
        "limit": limit,
        "offset": offset,
    }
    rows = session.execute(
        text(
            f"SELECT p.id {_FROM} AND posts_fts.rowid < :floor AND {_filters(blog_id, status)} "
            "ORDER BY posts_fts.rowid DESC LIMIT :limit OFFSET :offset"
        ),
        params,
    )
    return [row[0] for row in rows]


def search_ids(
    session: Session,
    user_text: str,
    *,
    blog_id: int | None = None,
    status: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[int]:
    """Ids of matching posts, best first (title matches weigh more than body ones); the module's
    docstring says how broad searches are ordered."""
    query = fts_query(user_text)
    if query is None or limit <= 0:
        return []
    return _page(
        session, query, _rank_floor(session, query), blog_id, status, limit, max(0, offset)
    )


def search_overview(
    session: Session, user_text: str, *, blog_id: int | None = None
) -> SearchCounts:
    """Matches per status folder: exact up to COUNT_SAMPLE matches, estimated above."""
    query = fts_query(user_text)
    if query is None:
        return SearchCounts()
    params = {"q": query, "blog_id": blog_id, "n": COUNT_SAMPLE}
    sample = session.execute(
        text(
            f"SELECT posts_fts.rowid, p.status {_FROM} AND {_blog_clause(blog_id)} "
            "ORDER BY posts_fts.rowid DESC LIMIT :n"
        ),
        params,
    ).all()
    counts = Counter(status for _rowid, status in sample)
    if len(sample) < COUNT_SAMPLE:
        return SearchCounts(dict(counts), exact=True)
    # The sample is the newest matches of this library; scale it by how many matches of any
    # library the index holds overall against in the sample's rowid range (index-only counts).
    params["lowest"] = sample[-1][0]
    everywhere = session.execute(
        text("SELECT count(*) FROM posts_fts WHERE posts_fts MATCH :q"), params
    ).scalar_one()
    in_range = session.execute(
        text("SELECT count(*) FROM posts_fts WHERE posts_fts MATCH :q AND rowid >= :lowest"),
        params,
    ).scalar_one()
    scale = everywhere / max(in_range, 1)
    return SearchCounts({s: round(n * scale) for s, n in counts.items()}, exact=False)


def search_counts(
    session: Session, user_text: str, *, blog_id: int | None = None
) -> dict[str, int]:
    """How many matches in each status folder (estimated beyond COUNT_SAMPLE matches; see
    ``search_overview``, which says whether they are exact)."""
    return search_overview(session, user_text, blog_id=blog_id).counts


def search_folders(
    session: Session, user_text: str, *, blog_id: int | None = None, limit: int = 200
) -> tuple[SearchCounts, dict[str, list[int]]]:
    """What a tree shows for a search: the counts, and the first ``limit`` ids of each status
    folder in the order ``search_ids`` pages through (one ranked query for all four)."""
    query = fts_query(user_text)
    if query is None:
        return SearchCounts(), {}
    overview = search_overview(session, user_text, blog_id=blog_id)
    firsts: dict[str, list[int]] = {s: [] for s in STATUS_ORDER}
    if not overview.counts:
        return overview, firsts
    floor = _rank_floor(session, query)
    rows = session.execute(
        text(
            f"SELECT p.id, p.status {_FROM} AND posts_fts.rowid >= :floor "
            f"AND {_blog_clause(blog_id)} ORDER BY {_CHEAP if floor else _RANK}"
        ),
        {"q": query, "title_q": _title_query(query), "floor": floor, "blog_id": blog_id},
    )
    for post_id, status in rows:
        ids = firsts.setdefault(status, [])
        if len(ids) < limit:
            ids.append(post_id)
    if floor:
        for status, ids in firsts.items():
            if len(ids) < limit and overview.counts.get(status, 0) > len(ids):
                ids.extend(_older(session, query, floor, blog_id, status, limit - len(ids), 0))
    return overview, firsts

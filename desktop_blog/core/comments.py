"""Comments: storing what a sync brings, and what the inbox reads and changes. No Qt.

Every function takes a Session and returns plain data (ints, dataclasses), so the results may
cross threads. Reads that the inbox makes at every keystroke or click are shaped for a library
of a million comments (migration 0003):

- Lists are newest first (date, then id, both descending) and each filter has an index that
  gives that order directly: ``(status, date)``, ``(status, is_read, date)``, ``(is_read, date)``,
  ``(date)``, ``(blog_id, status, date)``, and ``(post_id)`` for a post's few comments. A page is
  read with LIMIT/OFFSET, so the first page costs the same at any size.
- Counts per filter come from ``comment_counts``, a table of a few rows per blog kept exact by
  triggers, except for a post (its comments are few, counted through ``ix_comments_post``) and
  a search (exact up to ``SEARCH_COUNT_CAP`` matches, flagged as a lower bound above).
- Search goes through the FTS5 index ``comments_fts`` (author and text); matches come newest
  first by id (the order comments were stored in, which the index gives without sorting), so
  a search for a common word still answers its first page at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import and_, bindparam, func, or_, select, text, update
from sqlalchemy.orm import Session

from desktop_blog.core.models import Blog, Comment, Post
from desktop_blog.render.sanitize import excerpt, neutralize_bidi, to_text

HOLD, APPROVE, SPAM, TRASH = "hold", "approve", "spam", "trash"
STATUSES = (HOLD, APPROVE, SPAM, TRASH)
ALL = "all"
# What the list reads of a comment's HTML to make its excerpt.
EXCERPT_SOURCE = 1000
SEARCH_COUNT_CAP = 1000
_CHUNK = 500
_TOKEN = re.compile(r"\w+", re.UNICODE)
_STATUS_ALIASES = {
    "approved": APPROVE,
    "approve": APPROVE,
    "1": APPROVE,
    "hold": HOLD,
    "unapproved": HOLD,
    "pending": HOLD,
    "0": HOLD,
    "spam": SPAM,
    "trash": TRASH,
}


def normalize_status(value: str) -> str:
    """A status as the inbox stores it ("hold", "approve", "spam", "trash")."""
    return _STATUS_ALIASES.get(str(value).strip().lower(), HOLD)


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- what the inbox reads ---------------------------------------------------------------------


@dataclass(frozen=True)
class CommentFilter:
    """Which comments a list shows. ``status`` None: all of them."""

    status: str | None = HOLD
    blog_id: int | None = None
    post_id: int | None = None
    unread_only: bool = False
    search: str = ""


@dataclass(frozen=True)
class CommentRow:
    """What a row of the list shows."""

    id: int
    blog_id: int
    post_id: int | None
    author: str
    excerpt: str
    post_title: str
    date: datetime
    status: str
    is_read: bool


@dataclass(frozen=True)
class CommentDetail:
    """Everything the detail view shows of one comment."""

    id: int
    blog_id: int
    blog_name: str
    post_id: int | None
    post_title: str
    remote_id: str
    remote_post_id: str | None
    parent_remote_id: str | None
    author_name: str
    author_email: str
    author_url: str
    author_ip: str
    content: str
    status: str
    date: datetime
    is_read: bool


@dataclass(frozen=True)
class Thread:
    """A comment with the comments above it (root first) and its replies (depth first, each
    with its depth below the comment: 1 for a direct reply)."""

    comment: CommentRow
    parents: list[CommentRow] = field(default_factory=list)
    replies: list[tuple[int, CommentRow]] = field(default_factory=list)


@dataclass(frozen=True)
class FilterCounts:
    """Comments per status under the other filters (blog, post, unread, search), and all of
    them. ``exact`` is False when a broad search stopped counting at ``SEARCH_COUNT_CAP``."""

    counts: dict[str, int]
    exact: bool = True

    def __getitem__(self, key: str) -> int:
        return self.counts.get(key, 0)

    @property
    def total(self) -> int:
        return self.counts.get(ALL, 0)


def fts_query(user_text: str) -> str | None:
    """A safe FTS5 query for what a user typed: every word must appear, the last one may be a
    prefix (two letters at least). None when there is nothing to search for."""
    words = _TOKEN.findall(user_text)
    if not words:
        return None
    parts = [f'"{w}"' for w in words[:-1]]
    last = words[-1]
    parts.append(f'"{last}"*' if len(last) >= 2 else f'"{last}"')
    return " ".join(parts)


def _where(flt: CommentFilter) -> tuple[list[str], dict]:
    clauses: list[str] = []
    params: dict = {}
    if flt.status is not None:
        clauses.append("c.status = :status")
        params["status"] = flt.status
    if flt.blog_id is not None:
        clauses.append("c.blog_id = :blog_id")
        params["blog_id"] = flt.blog_id
    if flt.post_id is not None:
        clauses.append("c.post_id = :post_id")
        params["post_id"] = flt.post_id
    if flt.unread_only:
        clauses.append("c.is_read = 0")
    return clauses, params


def _index_hint(flt: CommentFilter) -> str:
    """The index that gives a filter's rows newest first (SQLite's planner, left alone, may
    pick ix_comments_post or the blog index and sort a million rows)."""
    if flt.post_id is not None:
        return "INDEXED BY ix_comments_post"
    if flt.blog_id is not None:
        return "INDEXED BY ix_comments_blog_status_date" if flt.status else ""
    if flt.status is not None:
        return (
            "INDEXED BY ix_comments_status_read_date"
            if flt.unread_only
            else "INDEXED BY ix_comments_status_date"
        )
    return "INDEXED BY ix_comments_read_date" if flt.unread_only else "INDEXED BY ix_comments_date"


def comment_ids(
    session: Session, flt: CommentFilter = CommentFilter(), offset: int = 0, limit: int = 200
) -> list[int]:
    """Ids of the comments ``flt`` selects, newest first, a page at a time."""
    clauses, params = _where(flt)
    params.update(limit=limit, offset=offset)
    query = fts_query(flt.search) if flt.search else None
    if query is not None:
        params["q"] = query
        where = " AND ".join(["comments_fts MATCH :q", *clauses])
        sql = (
            "SELECT c.id FROM comments_fts JOIN comments c ON c.id = comments_fts.rowid "
            f"WHERE {where} ORDER BY comments_fts.rowid DESC LIMIT :limit OFFSET :offset"
        )
    else:
        where = " AND ".join(clauses) or "1"
        if flt.blog_id is not None and flt.status is None:
            # A blog's comments of every status, newest first: merged from its status ranges.
            arms = " UNION ALL ".join(
                f"SELECT c.id, c.date FROM comments c INDEXED BY ix_comments_blog_status_date "
                f"WHERE {where} AND c.status = '{s}'"
                for s in STATUSES
            )
            # A compound SELECT with ORDER BY: SQLite merges the arms, each already in order.
            sql = f"{arms} ORDER BY 2 DESC, 1 DESC LIMIT :limit OFFSET :offset"
        else:
            sql = (
                f"SELECT c.id FROM comments c {_index_hint(flt)} WHERE {where} "
                "ORDER BY c.date DESC, c.id DESC LIMIT :limit OFFSET :offset"
            )
    return list(session.execute(text(sql), params).scalars())


def _post_titles(session: Session, post_ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted({p for p in post_ids if p is not None})
    titles: dict[int, str] = {}
    for chunk in _chunks(wanted):
        titles.update(session.execute(select(Post.id, Post.title).where(Post.id.in_(chunk))).all())
    return titles


def comment_rows(session: Session, ids: Sequence[int]) -> list[CommentRow]:
    """Rows for ``ids``, in that order (ids that no longer exist are left out). Reads only the
    start of each comment's text."""
    found: dict[int, tuple] = {}
    for chunk in _chunks(list(ids)):
        stmt = select(
            Comment.id,
            Comment.blog_id,
            Comment.post_id,
            Comment.author_name,
            func.substr(Comment.content, 1, EXCERPT_SOURCE),
            Comment.date,
            Comment.status,
            Comment.is_read,
        ).where(Comment.id.in_(chunk))
        for row in session.execute(stmt):
            found[row[0]] = tuple(row)
    titles = _post_titles(session, (r[2] for r in found.values()))
    rows = []
    for cid in ids:
        r = found.get(cid)
        if r is None:
            continue
        rows.append(
            CommentRow(
                id=r[0],
                blog_id=r[1],
                post_id=r[2],
                author=neutralize_bidi(to_text(r[3] or "")),
                excerpt=excerpt(r[4] or ""),
                post_title=titles.get(r[2], "") if r[2] is not None else "",
                date=r[5],
                status=r[6],
                is_read=bool(r[7]),
            )
        )
    return rows


def comment_detail(session: Session, comment_id: int) -> CommentDetail | None:
    """All of one comment, with its blog's name and its post's title."""
    row = session.execute(
        select(Comment, Blog.name, Post.title)
        .join(Blog, Blog.id == Comment.blog_id)
        .outerjoin(Post, Post.id == Comment.post_id)
        .where(Comment.id == comment_id)
    ).first()
    if row is None:
        return None
    c, blog_name, post_title = row
    return CommentDetail(
        id=c.id,
        blog_id=c.blog_id,
        blog_name=blog_name or "",
        post_id=c.post_id,
        post_title=post_title or "",
        remote_id=c.remote_id,
        remote_post_id=c.remote_post_id,
        parent_remote_id=c.parent_remote_id,
        author_name=c.author_name,
        author_email=c.author_email,
        author_url=c.author_url,
        author_ip=c.author_ip,
        content=c.content,
        status=c.status,
        date=c.date,
        is_read=bool(c.is_read),
    )


def _count_rows(session: Session, flt: CommentFilter) -> tuple[dict[str, int], bool]:
    query = fts_query(flt.search) if flt.search else None
    clauses, params = _where(CommentFilter(None, flt.blog_id, flt.post_id, flt.unread_only))
    if query is not None:
        params.update(q=query, cap=SEARCH_COUNT_CAP + 1)
        where = " AND ".join(["comments_fts MATCH :q", *clauses])
        sql = (
            "SELECT status, count(*) FROM (SELECT c.status AS status FROM comments_fts "
            f"JOIN comments c ON c.id = comments_fts.rowid WHERE {where} "
            "ORDER BY comments_fts.rowid DESC LIMIT :cap) GROUP BY status"
        )
        counts = dict(session.execute(text(sql), params).all())
        return counts, sum(counts.values()) <= SEARCH_COUNT_CAP
    if flt.post_id is not None:
        where = " AND ".join(clauses)
        sql = (
            f"SELECT c.status, count(*) FROM comments c INDEXED BY ix_comments_post "
            f"WHERE {where} GROUP BY c.status"
        )
        return dict(session.execute(text(sql), params).all()), True
    where = ["1"]
    if flt.blog_id is not None:
        where.append("blog_id = :blog_id")
    if flt.unread_only:
        where.append("is_read = 0")
    sql = f"SELECT status, sum(n) FROM comment_counts WHERE {' AND '.join(where)} GROUP BY status"
    return {s: int(n or 0) for s, n in session.execute(text(sql), params).all()}, True


def filter_counts(session: Session, flt: CommentFilter = CommentFilter()) -> FilterCounts:
    """How many comments each status filter would show under ``flt``'s other filters (its own
    status is ignored), and all of them under ``"all"``."""
    counts, exact = _count_rows(session, flt)
    out = {s: int(counts.get(s, 0)) for s in STATUSES}
    out[ALL] = sum(int(n) for n in counts.values())
    return FilterCounts(out, exact)


def unread_by_blog(session: Session) -> dict[int, int]:
    """Unread comments per blog (blogs with none are left out)."""
    rows = session.execute(
        text(
            "SELECT blog_id, sum(n) FROM comment_counts WHERE is_read = 0 AND status != 'spam' "
            "AND status != 'trash' GROUP BY blog_id HAVING sum(n) > 0"
        )
    ).all()
    return {b: int(n) for b, n in rows}


def unread_total(session: Session) -> int:
    """Unread comments in all blogs, spam and trash left out (for the inbox tab)."""
    return sum(unread_by_blog(session).values())


def unread_by_post(session: Session, post_ids: Sequence[int]) -> dict[int, int]:
    """Unread comments (spam and trash left out) of each of ``post_ids`` that has some."""
    out: dict[int, int] = {}
    for chunk in _chunks(list(post_ids)):
        stmt = (
            select(Comment.post_id, func.count())
            .where(
                Comment.post_id.in_(chunk),
                Comment.is_read.is_(False),
                Comment.status.in_((HOLD, APPROVE)),
            )
            .group_by(Comment.post_id)
        )
        out.update({p: int(n) for p, n in session.execute(stmt).all()})
    return out


# --- changes ----------------------------------------------------------------------------------


def set_status(session: Session, ids: Sequence[int], status: str) -> dict[int, str]:
    """Give ``ids`` the ``status``; returns each one's previous status (for undo). Commits."""
    if status not in STATUSES:
        raise ValueError(f"unknown comment status {status!r}")
    return set_statuses(session, dict.fromkeys(ids, status))


def set_statuses(session: Session, statuses: dict[int, str]) -> dict[int, str]:
    """Give each comment its own status (undo of ``set_status``); returns the previous ones.
    Commits."""
    previous: dict[int, str] = {}
    ids = list(statuses)
    for chunk in _chunks(ids):
        previous.update(
            session.execute(select(Comment.id, Comment.status).where(Comment.id.in_(chunk))).all()
        )
    for status in set(statuses.values()):
        if status not in STATUSES:
            raise ValueError(f"unknown comment status {status!r}")
        changing = [i for i, s in statuses.items() if s == status and previous.get(i) != s]
        for chunk in _chunks(changing):
            session.execute(
                update(Comment).where(Comment.id.in_(chunk)).values(status=status),
                execution_options={"synchronize_session": False},
            )
    session.commit()
    return {i: previous[i] for i in ids if i in previous}


def mark_read(session: Session, ids: Sequence[int], read: bool = True) -> dict[int, bool]:
    """Mark ``ids`` read (or unread); returns each one's previous flag (for undo). Commits."""
    return set_read_flags(session, dict.fromkeys(ids, read))


def mark_unread(session: Session, ids: Sequence[int]) -> dict[int, bool]:
    return mark_read(session, ids, False)


def set_read_flags(session: Session, flags: dict[int, bool]) -> dict[int, bool]:
    """Give each comment its own read flag; returns the previous ones. Commits."""
    previous: dict[int, bool] = {}
    ids = list(flags)
    for chunk in _chunks(ids):
        previous.update(
            (i, bool(r))
            for i, r in session.execute(
                select(Comment.id, Comment.is_read).where(Comment.id.in_(chunk))
            ).all()
        )
    for flag in (True, False):
        changing = [i for i, f in flags.items() if f == flag and previous.get(i) is not flag]
        for chunk in _chunks(changing):
            session.execute(
                update(Comment).where(Comment.id.in_(chunk)).values(is_read=flag),
                execution_options={"synchronize_session": False},
            )
    session.commit()
    return {i: previous[i] for i in ids if i in previous}


# --- threads ----------------------------------------------------------------------------------


def thread(session: Session, comment_id: int, max_depth: int = 50) -> Thread | None:
    """The comment, its parents (root first) and its replies (depth first)."""
    me = session.execute(
        select(
            Comment.id,
            Comment.blog_id,
            Comment.post_id,
            Comment.remote_id,
            Comment.remote_post_id,
            Comment.parent_remote_id,
        ).where(Comment.id == comment_id)
    ).first()
    if me is None:
        return None
    parent_ids: list[int] = []
    parent = me.parent_remote_id
    seen = {me.remote_id}
    while parent and parent != "0" and parent not in seen and len(parent_ids) < max_depth:
        seen.add(parent)
        row = session.execute(
            select(Comment.id, Comment.parent_remote_id).where(
                Comment.blog_id == me.blog_id, Comment.remote_id == parent
            )
        ).first()
        if row is None:
            break
        parent_ids.append(row.id)
        parent = row.parent_remote_id
    parent_ids.reverse()
    # Replies are on the same post: read its comments (few) and walk them.
    if me.post_id is not None:
        on_post = Comment.post_id == me.post_id
    elif me.remote_post_id is not None:
        on_post = and_(Comment.blog_id == me.blog_id, Comment.remote_post_id == me.remote_post_id)
    else:
        on_post = None
    children: dict[str, list[tuple[datetime, int, str]]] = {}
    if on_post is not None:
        for cid, remote_id, parent_remote, date in session.execute(
            select(Comment.id, Comment.remote_id, Comment.parent_remote_id, Comment.date).where(
                on_post
            )
        ):
            if parent_remote:
                children.setdefault(parent_remote, []).append((date, cid, remote_id))
    replies: list[tuple[int, int]] = []

    def walk(remote_id: str, depth: int) -> None:
        if depth > max_depth:
            return
        for _date, cid, rid in sorted(children.get(remote_id, [])):
            if rid in seen:
                continue
            seen.add(rid)
            replies.append((depth, cid))
            walk(rid, depth + 1)

    walk(me.remote_id, 1)
    rows = {r.id: r for r in comment_rows(session, [*parent_ids, me.id, *(c for _, c in replies)])}
    return Thread(
        comment=rows[me.id],
        parents=[rows[i] for i in parent_ids if i in rows],
        replies=[(d, rows[c]) for d, c in replies if c in rows],
    )


# --- sync -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UpsertResult:
    inserted: int
    updated: int
    ids: list[int]  # local ids, in the order of the comments given


def _as_utc(value: datetime | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _remote_str(value) -> str | None:
    if value is None:
        return None
    value = str(value)
    return None if value in ("", "0") else value


def upsert_remote_comments(session: Session, blog_id: int, remote: Sequence) -> UpsertResult:
    """Store comments fetched from ``blog_id`` (``publish.base.RemoteComment``s): new ones are
    inserted unread, known ones (same remote id) updated. Each is attached to the local post
    with its remote post id, when the library has it. Commits."""
    remote = list(remote)
    if not remote:
        return UpsertResult(0, 0, [])
    post_keys = sorted({str(c.post_id) for c in remote if c.post_id})
    posts: dict[str, int] = {}
    for chunk in _chunks(post_keys):
        posts.update(
            session.execute(
                select(Post.remote_id, Post.id).where(
                    Post.blog_id == blog_id, Post.remote_id.in_(chunk)
                )
            ).all()
        )
    keys = [str(c.id) for c in remote]
    known: dict[str, int] = {}
    for chunk in _chunks(sorted(set(keys))):
        known.update(
            session.execute(
                select(Comment.remote_id, Comment.id).where(
                    Comment.blog_id == blog_id, Comment.remote_id.in_(chunk)
                )
            ).all()
        )
    inserted = updated = 0
    new_rows: list[dict] = []
    changes: dict[tuple[str, ...], list[dict]] = {}
    keep_status, keep_content, deleted_here = open_comment_changes(session, blog_id)
    for c in remote:
        values = {
            "post_id": posts.get(str(c.post_id)) if c.post_id else None,
            "remote_post_id": _remote_str(c.post_id),
            "parent_remote_id": _remote_str(c.parent_id),
            "author_name": to_text(c.author_name or ""),
            "author_email": to_text(c.author_email or ""),
            "author_url": to_text(c.author_url or ""),
            "author_ip": to_text(c.author_ip or ""),
            # Lone surrogates (JSON allows them) cannot be stored: made U+FFFD.
            "content": to_text(c.content_html or ""),
            "status": normalize_status(c.status),
            "date": _as_utc(c.date_gmt),
        }
        key = str(c.id)
        if key in known:
            # A change made here and still waiting in the outbox is not overwritten.
            if known[key] in keep_status:
                del values["status"]
            if known[key] in keep_content:
                del values["content"]
            changes.setdefault(tuple(values), []).append({"b_id": known[key], **values})
        elif key in deleted_here:
            continue  # deleted here; the deletion is on its way to the blog
        else:
            new_rows.append({"blog_id": blog_id, "remote_id": key, "is_read": False, **values})
    for columns, rows in changes.items():
        stmt = (
            update(Comment.__table__)
            .where(Comment.__table__.c.id == bindparam("b_id"))
            .values({k: bindparam(k) for k in columns})
        )
        session.execute(stmt, rows)
        updated += len(rows)
    if new_rows:
        # A page may repeat a comment: keep the last copy of each.
        by_key = {r["remote_id"]: r for r in new_rows}
        session.execute(Comment.__table__.insert(), list(by_key.values()))
        inserted = len(by_key)
        for chunk in _chunks(list(by_key)):
            known.update(
                session.execute(
                    select(Comment.remote_id, Comment.id).where(
                        Comment.blog_id == blog_id, Comment.remote_id.in_(chunk)
                    )
                ).all()
            )
    session.commit()
    return UpsertResult(inserted, updated, [known[k] for k in keys if k in known])


def attach_post(session: Session, blog_id: int, remote_post_id: str, post_id: int) -> int:
    """Attach to local post ``post_id`` the comments of ``blog_id`` that belong to its remote
    post (after the post itself was synced). Returns how many. Commits."""
    result = session.execute(
        update(Comment)
        .where(
            Comment.blog_id == blog_id,
            Comment.remote_post_id == str(remote_post_id),
            or_(Comment.post_id.is_(None), Comment.post_id != post_id),
        )
        .values(post_id=post_id),
        execution_options={"synchronize_session": False},
    )
    session.commit()
    return result.rowcount or 0


def newest_remote_date(session: Session, blog_id: int) -> datetime | None:
    """The date of the newest comment of ``blog_id`` that came from the blog (the next sync asks
    for comments after it); None when the library has none."""
    newest: datetime | None = None
    for status in STATUSES:
        found = session.execute(
            select(Comment.date)
            .where(
                Comment.blog_id == blog_id,
                Comment.status == status,
                Comment.remote_id.not_like(LOCAL_PREFIX + "%"),
            )
            .order_by(Comment.date.desc())
            .limit(1)
        ).scalar()
        if found is not None and (newest is None or found > newest):
            newest = found
    return newest


# --- actions through the outbox ---------------------------------------------------------------
#
# Every action on a comment that exists on a blog changes the library at once and writes an
# outbox job in the same transaction; the sync engine (publish/sync.py) runs the job. When the
# blog refuses it, ``revert_job`` sets the library back to what it was before and the job is
# closed with the reason (``outbox.mark_refused``), which ``take_notices`` hands to the UI once.

#: Outbox operations of comments.
OP_STATUS = "comment_status"
OP_DELETE = "comment_delete"
OP_REPLY = "comment_reply"
OP_EDIT = "comment_edit"
COMMENT_OPERATIONS = frozenset({OP_STATUS, OP_DELETE, OP_REPLY, OP_EDIT})
#: The remote id of a reply written here and not yet on the blog.
LOCAL_PREFIX = "local:"
#: Actions a user (or the CLI) names, and the status each one gives. "not_spam" and "restore"
#: give back the status the comment had before it was marked spam or trashed (else Pending).
ACTIONS = {
    "approve": APPROVE,
    "unapprove": HOLD,
    "spam": SPAM,
    "trash": TRASH,
    "not_spam": None,
    "restore": None,
}


def is_local(remote_id: str | None) -> bool:
    """Whether a comment was written here and has not reached its blog yet."""
    return bool(remote_id) and str(remote_id).startswith(LOCAL_PREFIX)


def _open_comment_jobs(
    session: Session, comment_ids: Sequence[int], operations: Iterable[str]
) -> dict[int, list]:
    from .models import OutboxJob

    found: dict[int, list] = {}
    for chunk in _chunks(list(comment_ids)):
        jobs = session.scalars(
            select(OutboxJob)
            .where(
                OutboxJob.comment_id.in_(chunk),
                OutboxJob.operation.in_(tuple(operations)),
                OutboxJob.state.in_(("pending", "running")),
            )
            .order_by(OutboxJob.id)
        )
        for job in jobs:
            found.setdefault(job.comment_id, []).append(job)
    return found


def status_before(session: Session, comment_id: int, status: str) -> str:
    """The status a comment had before it was given ``status`` here (for "not spam" and
    "restore"); Pending when the library does not know."""
    from .models import OutboxJob

    jobs = session.scalars(
        select(OutboxJob)
        .where(OutboxJob.comment_id == comment_id, OutboxJob.operation == OP_STATUS)
        .order_by(OutboxJob.id.desc())
        .limit(20)
    )
    for job in jobs:
        payload = job.payload or {}
        before = payload.get("before", payload.get("previous"))
        if payload.get("status") == status and before in (HOLD, APPROVE):
            return before
    return HOLD


def moderate(session: Session, ids: Sequence[int], status: str) -> dict[int, str]:
    """Give ``ids`` ``status`` here and queue the same change for their blogs, in one
    transaction. Returns each comment's previous status (for undo). Commits.

    A change still waiting in the outbox for the same comment is folded in: changed to the new
    status, or cancelled when the new status is what the blog still has."""
    return moderate_each(session, dict.fromkeys(ids, status))


def moderate_each(session: Session, statuses: dict[int, str]) -> dict[int, str]:
    """``moderate`` with a status per comment (undo). Returns the previous ones. Commits."""
    from . import outbox

    for status in set(statuses.values()):
        if status not in STATUSES:
            raise ValueError(f"unknown comment status {status!r}")
    ids = list(statuses)
    rows: dict[int, tuple[int, str, str]] = {}
    for chunk in _chunks(ids):
        for cid, blog_id, remote_id, status in session.execute(
            select(Comment.id, Comment.blog_id, Comment.remote_id, Comment.status).where(
                Comment.id.in_(chunk)
            )
        ):
            rows[cid] = (blog_id, remote_id, status)
    changing = [i for i in ids if i in rows and rows[i][2] != statuses[i]]
    waiting = _open_comment_jobs(session, changing, [OP_STATUS])
    for cid in changing:
        blog_id, remote_id, previous = rows[cid]
        target = statuses[cid]
        session.execute(
            update(Comment).where(Comment.id == cid).values(status=target),
            execution_options={"synchronize_session": False},
        )
        pending = [j for j in waiting.get(cid, []) if j.state == outbox.PENDING]
        if pending:
            job = pending[-1]
            if (job.payload or {}).get("previous") == target:
                outbox.cancel(session, job.id)  # back to what the blog has: nothing to send
            else:
                outbox.update_payload(session, job.id, status=target, before=previous)
            continue
        outbox.enqueue(
            session,
            blog_id,
            OP_STATUS,
            comment_id=cid,
            # previous: what the blog has (undone to on a refusal); before: the status here
            # just before this change (for "restore" and "not spam")
            payload={
                "status": target,
                "previous": previous,
                "before": previous,
                "remote_id": remote_id,
            },
        )
    session.commit()
    return {i: rows[i][2] for i in ids if i in rows}


def apply_action(session: Session, ids: Sequence[int], action: str) -> dict[int, str]:
    """Do a named action (``ACTIONS``: approve, unapprove, spam, not_spam, trash, restore) on
    ``ids``, here and, through the outbox, on their blogs. Returns the previous statuses.
    Commits."""
    if action not in ACTIONS:
        raise ValueError(f"unknown comment action {action!r}")
    target = ACTIONS[action]
    if target is not None:
        return moderate(session, ids, target)
    leaving = SPAM if action == "not_spam" else TRASH
    statuses: dict[int, str] = {}
    for cid, status in session.execute(
        select(Comment.id, Comment.status).where(Comment.id.in_(list(ids)))
    ):
        if status == leaving:
            statuses[cid] = status_before(session, cid, leaving)
    return moderate_each(session, statuses)


def _snapshot(c: Comment) -> dict:
    return {
        "id": c.id,
        "blog_id": c.blog_id,
        "post_id": c.post_id,
        "remote_id": c.remote_id,
        "remote_post_id": c.remote_post_id,
        "parent_remote_id": c.parent_remote_id,
        "author_name": c.author_name,
        "author_email": c.author_email,
        "author_url": c.author_url,
        "author_ip": c.author_ip,
        "content": c.content,
        "status": c.status,
        "date": _as_utc(c.date).isoformat(),
        "is_read": bool(c.is_read),
    }


def delete_forever(session: Session, ids: Sequence[int]) -> int:
    """Delete ``ids`` here at once and for good on their blogs (through the outbox; the job
    keeps a copy, so a refusal puts the comment back). Returns how many. Commits."""
    from . import outbox

    comments = list(session.scalars(select(Comment).where(Comment.id.in_(list(ids)))))
    waiting = _open_comment_jobs(session, [c.id for c in comments], COMMENT_OPERATIONS)
    for c in comments:
        for job in waiting.get(c.id, []):
            if job.state == outbox.PENDING:
                outbox.cancel(session, job.id)
        if not is_local(c.remote_id):
            outbox.enqueue(
                session,
                c.blog_id,
                OP_DELETE,
                comment_id=c.id,
                payload={"remote_id": c.remote_id, "row": _snapshot(c)},
            )
        session.delete(c)
    session.commit()
    return len(comments)


def queue_reply(session: Session, comment_id: int, markdown: str) -> int:
    """A reply to ``comment_id``, written in Markdown: rendered by the app's renderer, stored
    here at once (approved, read, as the blog's user) and queued for the blog. Returns the
    reply's local id. Commits."""
    from desktop_blog.render.markdown import render_html

    from . import outbox

    if not markdown.strip():
        raise ValueError("a reply needs some text")
    parent = session.get(Comment, comment_id)
    if parent is None:
        raise LookupError(f"there is no comment {comment_id}")
    blog = session.get(Blog, parent.blog_id)
    content = render_html(markdown)
    import uuid

    reply = Comment(
        blog_id=parent.blog_id,
        post_id=parent.post_id,
        remote_id=f"{LOCAL_PREFIX}{uuid.uuid4()}",
        remote_post_id=parent.remote_post_id,
        parent_remote_id=parent.remote_id,
        author_name=blog.username if blog is not None else "",
        content=content,
        status=APPROVE,
        date=datetime.now(UTC),
        is_read=True,
    )
    session.add(reply)
    session.flush()
    outbox.enqueue(
        session,
        parent.blog_id,
        OP_REPLY,
        comment_id=reply.id,
        payload={"parent_id": parent.id, "markdown": markdown, "content_html": content},
    )
    session.commit()
    return reply.id


def edit_content(session: Session, comment_id: int, content_html: str) -> str:
    """Change a comment's text here and queue it for the blog. Returns the previous text.
    Commits."""
    from . import outbox

    c = session.get(Comment, comment_id)
    if c is None:
        raise LookupError(f"there is no comment {comment_id}")
    previous = c.content
    if previous == content_html:
        return previous
    c.content = to_text(content_html)
    waiting = _open_comment_jobs(session, [comment_id], [OP_EDIT, OP_REPLY])
    pending = [j for j in waiting.get(comment_id, []) if j.state == outbox.PENDING]
    if pending:
        # Not sent yet: send the new text instead.
        outbox.update_payload(session, pending[-1].id, content_html=c.content)
    else:
        outbox.enqueue(
            session,
            c.blog_id,
            OP_EDIT,
            comment_id=comment_id,
            payload={"content_html": c.content, "previous": previous},
        )
    session.commit()
    return previous


@dataclass(frozen=True)
class Notice:
    """A comment action the blog refused, undone here: what to tell the user."""

    job_id: int
    blog_id: int
    comment_id: int | None
    operation: str
    message: str


def remote_id_of(session: Session, comment_id: int | None) -> str | None:
    if comment_id is None:
        return None
    return session.execute(select(Comment.remote_id).where(Comment.id == comment_id)).scalar()


def record_reply_posted(session: Session, comment_id: int, remote) -> None:
    """The blog took the reply ``comment_id``: it gets the blog's id, date and status
    (``remote``: a ``publish.base.RemoteComment``). Commits."""
    c = session.get(Comment, comment_id)
    if c is None:
        return
    clash = session.execute(
        select(Comment.id).where(
            Comment.blog_id == c.blog_id,
            Comment.remote_id == str(remote.id),
            Comment.id != comment_id,
        )
    ).scalar()
    if clash is not None:  # a sync brought the reply in before the answer did
        session.delete(session.get(Comment, clash))
        session.flush()
    c.remote_id = str(remote.id)
    c.status = normalize_status(remote.status)
    if remote.date_gmt is not None:
        c.date = _as_utc(remote.date_gmt)
    if remote.author_name:
        c.author_name = to_text(remote.author_name)
    c.author_email = to_text(remote.author_email or c.author_email)
    session.commit()


def revert_job(session: Session, job, message: str) -> Notice:
    """Undo here what an outbox job (``outbox.JobData``) of a comment did, because the blog
    refused it; later waiting jobs of the same comment are given up too. Closes the jobs with
    ``message`` for ``take_notices``. Commits."""
    from . import outbox
    from .models import OutboxJob

    payload = job.payload or {}
    later: list[OutboxJob] = []
    if job.comment_id is not None:
        later = list(
            session.scalars(
                select(OutboxJob).where(
                    OutboxJob.comment_id == job.comment_id,
                    OutboxJob.id > job.id,
                    OutboxJob.state == outbox.PENDING,
                    OutboxJob.operation.in_(tuple(COMMENT_OPERATIONS)),
                )
            )
        )
    c = session.get(Comment, job.comment_id) if job.comment_id is not None else None
    if job.operation == OP_STATUS and c is not None:
        c.status = payload.get("previous") or c.status
    elif job.operation == OP_EDIT and c is not None:
        c.content = payload.get("previous", c.content)
    elif job.operation == OP_REPLY and c is not None:
        session.delete(c)
    elif job.operation == OP_DELETE:
        row = dict(payload.get("row") or {})
        if row and session.get(Comment, row.get("id")) is None:
            row["date"] = datetime.fromisoformat(row["date"])
            exists = session.execute(
                select(Comment.id).where(
                    Comment.blog_id == row["blog_id"], Comment.remote_id == row["remote_id"]
                )
            ).scalar()
            if exists is None:
                session.add(Comment(**row))
    for other in later:
        outbox.mark_refused(session, other.id, message)
    outbox.mark_refused(session, job.id, message)
    session.commit()
    return Notice(job.id, job.blog_id, job.comment_id, job.operation, message)


def take_notices(session: Session) -> list[Notice]:
    """Refused comment actions the user has not been told about yet; each is returned once.
    Commits."""
    from . import outbox
    from .models import OutboxJob

    jobs = list(
        session.scalars(
            select(OutboxJob)
            .where(
                OutboxJob.state == outbox.CANCELLED,
                OutboxJob.operation.in_(tuple(COMMENT_OPERATIONS)),
                OutboxJob.last_error.is_not(None),  # refused (a folded change has none)
            )
            .order_by(OutboxJob.id)
        )
    )
    notices = []
    for job in jobs:
        payload = job.payload or {}
        if not payload.get("refused") or payload.get("told"):
            continue
        job.payload = {**payload, "told": True}
        notices.append(
            Notice(job.id, job.blog_id, job.comment_id, job.operation, job.last_error or "")
        )
    session.commit()
    return notices


def open_comment_changes(session: Session, blog_id: int) -> tuple[set[int], set[int], set[str]]:
    """What a sync must not overwrite: local ids with a status change waiting, local ids with
    an edit waiting, and remote ids deleted here whose deletion is waiting."""
    from .models import OutboxJob

    statuses: set[int] = set()
    edits: set[int] = set()
    deleted: set[str] = set()
    for job in session.scalars(
        select(OutboxJob).where(
            OutboxJob.blog_id == blog_id,
            OutboxJob.operation.in_(tuple(COMMENT_OPERATIONS)),
            OutboxJob.state.in_(("pending", "running", "failed")),
        )
    ):
        if job.operation == OP_STATUS and job.comment_id is not None:
            statuses.add(job.comment_id)
        elif job.operation == OP_EDIT and job.comment_id is not None:
            edits.add(job.comment_id)
        elif job.operation == OP_DELETE:
            deleted.add(str((job.payload or {}).get("remote_id")))
    return statuses, edits, deleted


@dataclass(frozen=True)
class ReconcileResult:
    changed: int
    removed: int
    unknown: list[str]  # remote ids the blog has and the library lacks


def reconcile_remote_comments(
    session: Session, blog_id: int, states: dict[str, str]
) -> ReconcileResult:
    """Compare the library with every comment the blog has (``states``: remote id -> status):
    comments gone from the blog are removed here, statuses changed there are taken, except where
    a change made here is still waiting in the outbox. Commits."""
    keep_status, _edits, deleted = open_comment_changes(session, blog_id)
    states = {str(k): normalize_status(v) for k, v in states.items()}
    local: dict[str, tuple[int, str]] = {}
    for cid, remote_id, status in session.execute(
        select(Comment.id, Comment.remote_id, Comment.status).where(Comment.blog_id == blog_id)
    ):
        if not is_local(remote_id):
            local[remote_id] = (cid, status)
    gone = [cid for rid, (cid, _s) in local.items() if rid not in states and cid not in keep_status]
    changed: dict[str, list[int]] = {}
    for rid, (cid, status) in local.items():
        remote_status = states.get(rid)
        if remote_status is not None and remote_status != status and cid not in keep_status:
            changed.setdefault(remote_status, []).append(cid)
    for status, cids in changed.items():
        for chunk in _chunks(cids):
            session.execute(
                update(Comment).where(Comment.id.in_(chunk)).values(status=status),
                execution_options={"synchronize_session": False},
            )
    for chunk in _chunks(gone):
        session.execute(
            Comment.__table__.delete().where(Comment.__table__.c.id.in_(chunk)),
        )
    session.commit()
    unknown = [rid for rid in states if rid not in local and rid not in deleted]
    return ReconcileResult(sum(len(v) for v in changed.values()), len(gone), unknown)


def statuses_of(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """Each comment's status (ids that no longer exist are left out)."""
    out: dict[int, str] = {}
    for chunk in _chunks(list(ids)):
        out.update(
            session.execute(select(Comment.id, Comment.status).where(Comment.id.in_(chunk))).all()
        )
    return out


def attach_orphans(session: Session, blog_id: int) -> int:
    """Attach the comments of ``blog_id`` that have no local post to the posts the library has
    now (a post pulled after its comments). Returns how many. Commits."""
    pairs = session.execute(
        select(Post.remote_id, Post.id)
        .where(Post.blog_id == blog_id, Post.remote_id.is_not(None))
        .where(
            Post.remote_id.in_(
                select(Comment.remote_post_id)
                .where(Comment.blog_id == blog_id, Comment.post_id.is_(None))
                .distinct()
            )
        )
    ).all()
    n = 0
    for remote_post_id, post_id in pairs:
        result = session.execute(
            update(Comment)
            .where(
                Comment.blog_id == blog_id,
                Comment.remote_post_id == remote_post_id,
                Comment.post_id.is_(None),
            )
            .values(post_id=post_id),
            execution_options={"synchronize_session": False},
        )
        n += result.rowcount or 0
    session.commit()
    return n

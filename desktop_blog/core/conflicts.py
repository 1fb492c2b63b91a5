"""Resolving a conflict: the post changed on the blog since it was last synced.

The sync worker wrote nothing and left its job in state "conflict", with the three texts in
``job.payload["conflict"]``: ``base`` (last synced), ``local`` and ``remote`` (each a title and a
Markdown body; ``remote`` also has the blog's ``html``, its ``modified`` time and ``status``).
The user picks one of these operations; each takes the caller's Session (the caller commits),
keeps a revision of the local text before replacing it, and returns the job as it is now.

- ``keep_mine``: send the local text over the blog's; the blog's current modified time, title and
  HTML become what the next run expects to find, so it updates (and still refuses if the blog
  changed yet again, even within the same second).
- ``take_theirs``: the local text becomes the blog's; nothing is sent; the job is done.
- ``merged``: the given text becomes the local text and is sent as in ``keep_mine``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from . import library, outbox, publishing
from .models import Post


class NoConflict(ValueError):
    """The job is not waiting on a conflict."""


def _conflict(session: Session, job_id: int) -> tuple[outbox.JobData, dict[str, Any], Post]:
    job = outbox.get_job(session, job_id)
    conflict = job.conflict
    if job.state != outbox.CONFLICT or not conflict:
        raise NoConflict(f"Outbox job {job_id} is {job.state}, not waiting on a conflict.")
    if job.post_id is None:
        raise NoConflict(f"The post of outbox job {job_id} no longer exists.")
    post = session.get(Post, job.post_id)
    if post is None:
        raise library.PostNotFound(job.post_id)
    return job, conflict, post


def get_conflict(session: Session, job_id: int) -> dict[str, Any]:
    """The base, local and remote versions the worker stored (see the module doc)."""
    return _conflict(session, job_id)[1]


def _remote_modified(conflict: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(conflict["remote"]["modified"])


def _expect_remote(session: Session, post: Post, conflict: dict[str, Any]) -> None:
    """The blog's version in the conflict becomes what the next update expects to find there:
    its modified time, title and raw HTML (an update compares all three)."""
    remote = conflict["remote"]
    publishing.set_remote_base(
        session,
        post.id,
        _remote_modified(conflict),
        title=remote.get("title"),
        content_html=remote.get("html"),
    )


def keep_mine(session: Session, job_id: int) -> outbox.JobData:
    """Overwrite the blog's version with the local one on the next run."""
    _job, conflict, post = _conflict(session, job_id)
    _expect_remote(session, post, conflict)
    return outbox.retry(session, job_id)


def take_theirs(session: Session, job_id: int) -> outbox.JobData:
    """Replace the local text with the blog's (a revision of the local text is kept first)."""
    _job, conflict, post = _conflict(session, job_id)
    remote = conflict["remote"]
    library.snapshot(session, post.id, "before-take-theirs")
    library.update_post(session, post.id, title=remote["title"], body=remote["body"])
    post.synced_title = remote["title"]
    post.synced_body = remote["body"]
    post.original_html = remote.get("html")
    post.remote_modified = _remote_modified(conflict)
    session.flush()
    return outbox.mark_done(session, job_id, {"resolved": "take_theirs"})


def merged(session: Session, job_id: int, text: str, title: str | None = None) -> outbox.JobData:
    """Use a text the user merged: it becomes the local text and is sent on the next run."""
    _job, conflict, post = _conflict(session, job_id)
    library.snapshot(session, post.id, "before-merge")
    changes: dict[str, str] = {"body": text}
    if title is not None:
        changes["title"] = title
    library.update_post(session, post.id, **changes)
    _expect_remote(session, post, conflict)
    return outbox.retry(session, job_id)


__all__ = ["NoConflict", "get_conflict", "keep_mine", "merged", "take_theirs"]

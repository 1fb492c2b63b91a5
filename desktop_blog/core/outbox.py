"""The outbox: every remote action waits here as an OutboxJob until the sync worker runs it.

Jobs are written with ``enqueue`` in the caller's session, so a local change and the job it causes
commit (or roll back) together. Like the other core operations, nothing here commits.

States
------
- ``pending``: waiting to run; ``next_attempt_at`` (when set) is the earliest time to try again.
  A retryable failure (offline, timeout, 5xx, 429) puts the job back here with a backoff.
- ``running``: the worker took it. A job found "running" when a worker starts was interrupted
  (crash, power cut): ``recover_interrupted`` puts it back to pending, and the worker's retry rule
  (look for a lost create before creating again) makes running it twice safe.
- ``done``, ``cancelled``: finished.
- ``failed``: the blog refused it for a reason another attempt will not fix (bad data, wrong
  password, missing post). It waits for the user: ``retry`` or ``cancel``.
- ``conflict``: the post changed on the blog since it was last synced; nothing was written. The
  job's payload holds ``conflict`` (base, local and remote texts) for the UI, and
  ``core.conflicts`` resolves it.

Order
-----
Jobs of one blog run strictly in the order they were made (by id): the blog's oldest unfinished
job goes first, and while it waits for its retry time every later job of that blog waits too
(offline, they all wait). A job that needs the user (failed, conflict) holds back the later jobs
of the same post only, so one conflict does not stop the rest of the blog. Housekeeping jobs
(``HOUSEKEEPING``, e.g. the delayed duplicate check after a retried create) hold back nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from .models import OutboxJob, utcnow

PENDING = "pending"
RUNNING = "running"
DONE = "done"
FAILED = "failed"
CANCELLED = "cancelled"
CONFLICT = "conflict"
STATES = (PENDING, RUNNING, DONE, FAILED, CANCELLED, CONFLICT)
#: States in which a job is still to be dealt with.
OPEN_STATES = (PENDING, RUNNING, FAILED, CONFLICT)
#: States that wait for the user.
NEEDS_USER = (FAILED, CONFLICT)

#: Seconds to wait after the 1st, 2nd, ... failed attempt; the last value repeats.
BACKOFF = (5, 30, 120, 600)

#: Operations that never hold back later jobs.
HOUSEKEEPING = frozenset({"resolve_duplicates"})


class JobNotFound(LookupError):
    def __init__(self, job_id: int) -> None:
        super().__init__(f"There is no outbox job with id {job_id}.")
        self.job_id = job_id


class JobStateError(ValueError):
    """The job is not in a state that allows this (for example cancelling a finished job)."""


@dataclass(frozen=True)
class JobData:
    """An outbox job, detached from the session."""

    id: int
    blog_id: int
    post_id: int | None
    comment_id: int | None
    operation: str
    payload: dict[str, Any]
    state: str
    attempts: int
    last_error: str | None
    idempotency_key: str
    created_at: datetime
    next_attempt_at: datetime | None

    @property
    def conflict(self) -> dict[str, Any] | None:
        return self.payload.get("conflict")


def _data(job: OutboxJob | Row) -> JobData:
    """The job as plain data, from its object or from a row of its columns (a row's payload
    was just decoded from JSON for it: only an object's, shared with the session, is copied)."""
    payload = job.payload or {}
    return JobData(
        id=job.id,
        blog_id=job.blog_id,
        post_id=job.post_id,
        comment_id=job.comment_id,
        operation=job.operation,
        payload=copy.deepcopy(payload) if isinstance(job, OutboxJob) else payload,
        state=job.state,
        attempts=job.attempts,
        last_error=job.last_error,
        idempotency_key=job.idempotency_key,
        created_at=job.created_at,
        next_attempt_at=job.next_attempt_at,
    )


def _load(session: Session, job_id: int) -> OutboxJob:
    job = session.get(OutboxJob, job_id)
    if job is None:
        raise JobNotFound(job_id)
    return job


def backoff_delay(attempts: int, retry_after: float | None = None) -> float:
    """Seconds to wait after ``attempts`` failed attempts; a server's Retry-After is honoured
    when it asks for longer."""
    delay = float(BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1])
    if retry_after is not None and retry_after > delay:
        delay = float(retry_after)
    return delay


def enqueue(
    session: Session,
    blog_id: int,
    operation: str,
    *,
    post_id: int | None = None,
    comment_id: int | None = None,
    payload: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    not_before: datetime | None = None,
) -> JobData:
    """A new pending job, in the caller's transaction (flushed, not committed)."""
    job = OutboxJob(
        blog_id=blog_id,
        post_id=post_id,
        comment_id=comment_id,
        operation=operation,
        payload=dict(payload or {}),
        state=PENDING,
        attempts=0,
        created_at=utcnow(),
        next_attempt_at=not_before,
    )
    if idempotency_key is not None:
        job.idempotency_key = idempotency_key
    session.add(job)
    session.flush()
    return _data(job)


def get_job(session: Session, job_id: int) -> JobData:
    return _data(_load(session, job_id))


_JOBS = OutboxJob.__table__
# Statements built once (building one costs more than running it, for these small ones).
_ORDER_COLUMNS = select(
    _JOBS.c.id,
    _JOBS.c.blog_id,
    _JOBS.c.post_id,
    _JOBS.c.operation,
    _JOBS.c.state,
    _JOBS.c.next_attempt_at,
).where(_JOBS.c.state.in_(OPEN_STATES))
_OPEN_ALL = _ORDER_COLUMNS.order_by(_JOBS.c.id)
_OPEN_OF_BLOG = _ORDER_COLUMNS.where(_JOBS.c.blog_id == bindparam("blog_id")).order_by(_JOBS.c.id)
_CLAIM = (
    update(_JOBS)
    .where(_JOBS.c.id == bindparam("job_id"), _JOBS.c.state == PENDING)
    .values(state=RUNNING, attempts=_JOBS.c.attempts + 1)
    .returning(*_JOBS.c)
)
_COMPLETE = (
    update(_JOBS)
    .where(_JOBS.c.id == bindparam("job_id"))
    .values(
        state=DONE,
        last_error=None,
        next_attempt_at=None,
        payload=bindparam("new_payload", type_=_JOBS.c.payload.type),
    )
)


def _open_rows(session: Session, blog_id: int | None) -> Any:
    """The open jobs' order columns (rows, not ORM objects: no payload decoded and copied),
    oldest first, read as they are consumed: through the ``(state, id)`` index, so finished
    jobs, however many, are never read. Close the result when stopping early."""
    session.flush()  # what the caller changed in this session counts (as an ORM query's would)
    if blog_id is None:
        return session.execute(_OPEN_ALL)
    return session.execute(_OPEN_OF_BLOG, {"blog_id": blog_id})


def _runnable_heads(jobs: Iterable[Any]) -> Iterator[Any]:
    """For each blog, the job that may run next (plus housekeeping jobs nothing holds back),
    in id order, as the rows (ordered by id) are read: a caller that wants only the first due
    one stops reading there."""
    blocked_blogs: set[int] = set()
    blocked_posts: set[tuple[int, int | None]] = set()
    found_blogs: set[int] = set()
    for job in jobs:  # ordered by id
        if job.blog_id in blocked_blogs or job.blog_id in found_blogs:
            continue
        housekeeping = job.operation in HOUSEKEEPING
        if job.state in NEEDS_USER:
            if not housekeeping and job.post_id is not None:
                blocked_posts.add((job.blog_id, job.post_id))
            elif not housekeeping:
                blocked_blogs.add(job.blog_id)
            continue
        if job.post_id is not None and (job.blog_id, job.post_id) in blocked_posts:
            continue
        if job.state == RUNNING:
            if not housekeeping:
                blocked_blogs.add(job.blog_id)
            continue
        # pending
        yield job
        if not housekeeping:
            found_blogs.add(job.blog_id)


def _due(row: Any, now: datetime) -> bool:
    return row.next_attempt_at is None or row.next_attempt_at <= now


def due_jobs(session: Session, blog_id: int | None = None, now: datetime | None = None) -> list:
    """The jobs that may run now, at most one ordinary job per blog (plus due housekeeping)."""
    now = now or utcnow()
    ids = [row.id for row in _runnable_heads(_open_rows(session, blog_id)) if _due(row, now)]
    return [get_job(session, job_id) for job_id in ids]


def _next_due_id(session: Session, blog_id: int | None, now: datetime) -> int | None:
    rows = _open_rows(session, blog_id)
    try:
        for row in _runnable_heads(rows):  # usually the first row read is the one
            if _due(row, now):
                return row.id
        return None
    finally:
        rows.close()


def next_due_job(
    session: Session, blog_id: int | None = None, now: datetime | None = None
) -> JobData | None:
    """The oldest job that may run now (order rules above), or None."""
    job_id = _next_due_id(session, blog_id, now or utcnow())
    return get_job(session, job_id) if job_id is not None else None


def claim_next(
    session: Session, blog_id: int | None = None, now: datetime | None = None
) -> JobData | None:
    """The worker's step: the oldest job that may run now, marked running with its attempt
    counted (``next_due_job`` + ``mark_running`` in two statements, no ORM objects), or None."""
    job_id = _next_due_id(session, blog_id, now or utcnow())
    if job_id is None:
        return None
    row = session.execute(_CLAIM, {"job_id": job_id}).first()
    if row is None:  # taken meanwhile (another worker): look again
        return claim_next(session, blog_id, now)
    _expire(session, job_id)
    return _data(row)


def _expire(session: Session, job_id: int) -> None:
    """A job changed by a statement: its object in this session, if loaded, is read again."""
    loaded = session.identity_map.get(identity_key(OutboxJob, job_id))
    if loaded is not None:
        session.expire(loaded)


def complete(session: Session, job: JobData, result: dict[str, Any] | None = None) -> None:
    """``mark_done`` for the worker, which holds the job it claimed: one UPDATE, nothing read
    (the payload is the claimed one with ``result``; nobody else writes a running job's)."""
    payload = {**job.payload, "result": result} if result else job.payload
    session.execute(_COMPLETE, {"job_id": job.id, "new_payload": payload})
    _expire(session, job.id)


def next_wake(session: Session, blog_id: int | None = None) -> datetime | None:
    """When the earliest waiting job becomes due (None: nothing waits for a time)."""
    times = [
        row.next_attempt_at
        for row in _runnable_heads(_open_rows(session, blog_id))
        if row.next_attempt_at is not None
    ]
    return min(times) if times else None


def count_pending(session: Session, blog_id: int | None = None) -> int:
    """How many jobs are pending (waiting to run, now or at their retry time)."""
    stmt = select(func.count()).select_from(OutboxJob).where(OutboxJob.state == PENDING)
    if blog_id is not None:
        stmt = stmt.where(OutboxJob.blog_id == blog_id)
    return session.scalar(stmt) or 0


def mark_running(session: Session, job_id: int) -> JobData:
    """The worker takes the job; counts the attempt."""
    job = _load(session, job_id)
    if job.state != PENDING:
        raise JobStateError(f"job {job_id} is {job.state}, not pending")
    job.state = RUNNING
    job.attempts += 1
    session.flush()
    return _data(job)


def mark_done(session: Session, job_id: int, result: dict[str, Any] | None = None) -> JobData:
    job = _load(session, job_id)
    job.state = DONE
    job.last_error = None
    job.next_attempt_at = None
    if result:
        job.payload = {**(job.payload or {}), "result": result}
    session.flush()
    return _data(job)


def mark_failed(
    session: Session,
    job_id: int,
    error: str,
    *,
    retryable: bool,
    retry_after: float | None = None,
    now: datetime | None = None,
) -> JobData:
    """Record a failed attempt. Retryable: back to pending after a backoff (Retry-After honoured);
    otherwise the job is ``failed`` and waits for the user."""
    job = _load(session, job_id)
    job.last_error = error
    if retryable:
        delay = backoff_delay(job.attempts, retry_after)
        job.state = PENDING
        job.next_attempt_at = (now or utcnow()) + timedelta(seconds=delay)
    else:
        job.state = FAILED
        job.next_attempt_at = None
    session.flush()
    return _data(job)


def mark_conflict(session: Session, job_id: int, conflict: dict[str, Any], message: str) -> JobData:
    """The remote post changed: nothing was written; ``conflict`` (JSON-able) is kept for the UI."""
    job = _load(session, job_id)
    job.state = CONFLICT
    job.last_error = message
    job.next_attempt_at = None
    job.payload = {**(job.payload or {}), "conflict": conflict}
    session.flush()
    return _data(job)


def update_payload(session: Session, job_id: int, **changes: Any) -> JobData:
    job = _load(session, job_id)
    job.payload = {**(job.payload or {}), **changes}
    session.flush()
    return _data(job)


def cancel(session: Session, job_id: int) -> JobData:
    """Give up a job that has not finished. A running job cannot be cancelled (it may already
    have reached the blog); cancel it after it comes back."""
    job = _load(session, job_id)
    if job.state in (DONE, CANCELLED):
        return _data(job)
    if job.state == RUNNING:
        raise JobStateError("The job is running now; cancel it when it has finished.")
    job.state = CANCELLED
    job.next_attempt_at = None
    session.flush()
    return _data(job)


def retry(session: Session, job_id: int, *, reset_conflict: bool = True) -> JobData:
    """Run a failed, conflicting or cancelled job again, now."""
    job = _load(session, job_id)
    if job.state in (DONE, RUNNING):
        raise JobStateError(f"job {job_id} is {job.state}; there is nothing to retry")
    job.state = PENDING
    job.next_attempt_at = None
    if reset_conflict and job.payload and "conflict" in job.payload:
        job.payload = {k: v for k, v in job.payload.items() if k != "conflict"}
    session.flush()
    return _data(job)


def recover_interrupted(session: Session) -> int:
    """Put jobs left ``running`` (by a worker that died) back to pending; returns how many."""
    result = session.execute(
        update(OutboxJob)
        .where(OutboxJob.state == RUNNING)
        .values(state=PENDING, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    return result.rowcount or 0


def list_jobs(
    session: Session,
    blog_id: int | None = None,
    states: Iterable[str] | None = None,
    post_id: int | None = None,
    limit: int | None = 500,
) -> list[JobData]:
    """Jobs for the UI, oldest first (default: those not finished). Plain columns, not ORM
    objects: the outbox panel reads this every second while the worker sends, and the database
    worker's time in Python is time the window's thread may wait for the GIL."""
    wanted = tuple(states) if states is not None else OPEN_STATES
    session.flush()  # what the caller changed in this session counts
    stmt = select(*_JOBS.c).where(_JOBS.c.state.in_(wanted))
    if blog_id is not None:
        stmt = stmt.where(_JOBS.c.blog_id == blog_id)
    if post_id is not None:
        stmt = stmt.where(_JOBS.c.post_id == post_id)
    stmt = stmt.order_by(_JOBS.c.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_data(row) for row in session.execute(stmt)]


def recent_jobs(session: Session, limit: int = 20) -> list[JobData]:
    """The jobs finished last (done or cancelled), newest first."""
    stmt = (
        select(*_JOBS.c)
        .where(_JOBS.c.state.in_((DONE, CANCELLED)))
        .order_by(_JOBS.c.id.desc())
        .limit(limit)
    )
    return [_data(row) for row in session.execute(stmt)]


def counts(session: Session, blog_id: int | None = None) -> dict[str, int]:
    """How many jobs are in each state (for "3 waiting, 1 failed")."""
    stmt = select(OutboxJob.state, func.count()).group_by(OutboxJob.state)
    if blog_id is not None:
        stmt = stmt.where(OutboxJob.blog_id == blog_id)
    out = dict.fromkeys(STATES, 0)
    for state, n in session.execute(stmt):
        out[state] = n
    return out


__all__ = [
    "BACKOFF",
    "CANCELLED",
    "CONFLICT",
    "DONE",
    "FAILED",
    "HOUSEKEEPING",
    "JobData",
    "JobNotFound",
    "JobStateError",
    "OPEN_STATES",
    "PENDING",
    "RUNNING",
    "backoff_delay",
    "cancel",
    "counts",
    "due_jobs",
    "enqueue",
    "get_job",
    "list_jobs",
    "recent_jobs",
    "mark_conflict",
    "mark_done",
    "mark_failed",
    "mark_running",
    "next_due_job",
    "next_wake",
    "recover_interrupted",
    "retry",
    "update_payload",
]


def find_by_key(session: Session, idempotency_key: str) -> JobData | None:
    """The job that carries this idempotency key (the oldest, if a housekeeping job shares it)."""
    job = session.scalars(
        select(OutboxJob).where(OutboxJob.idempotency_key == idempotency_key).order_by(OutboxJob.id)
    ).first()
    return _data(job) if job is not None else None


def mark_refused(session: Session, job_id: int, error: str) -> JobData:
    """The blog refused the job for good and what it did here was undone: the job is closed
    (cancelled) with the reason, flagged ``refused`` in its payload so the UI can say why.
    Unlike ``failed`` it holds back no later job."""
    job = _load(session, job_id)
    job.state = CANCELLED
    job.last_error = error
    job.next_attempt_at = None
    job.payload = {**(job.payload or {}), "refused": True}
    session.flush()
    return _data(job)


__all__ += ["claim_next", "complete", "count_pending", "find_by_key", "mark_refused"]

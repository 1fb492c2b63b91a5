"""The sync worker's logic, without Qt: runs outbox jobs and pulls posts, terms and comments.

`SyncEngine(library, connector_factory)` is driven by the caller (a Qt task in the app, the CLI,
a test): `run_outbox()` runs every job that is due, in order, and returns; `pull_posts(blog_id)`
fetches what changed on a blog since the last pull. Sessions are short: each network call happens
outside any open transaction, and what it produced is committed right after (an uploaded image,
a created term, a published post), so a crash or a failure later in the same job never repeats
work the blog has already done (except a create whose answer was lost, handled below).

Publishing one post:

1. `render_html(body)`: the HTML sent is exactly the renderer's output (what the preview shows),
   except that `dbmedia:UUID` image URLs become the URLs the blog gave the uploads. Each image is
   uploaded once per blog; the local Markdown keeps `dbmedia:`.
2. Categories and tags the blog lacks are created (an existing one of that name is reused).
3. No remote id yet: create, with the job's idempotency key as the marker. A retried create first
   looks for the marker (the lost-create rule in `publish/base.py`) and adopts the post it finds;
   after a retried create a `resolve_duplicates` job is queued to run after
   `duplicate_check_delay` seconds (longer than PHP's 30 s limit) in case a timed-out request
   still made its post.
4. A remote id: update (a post whose text is unchanged since the last sync keeps the blog's own
   HTML: only its status and terms are sent), unless the blog's `modified_gmt` differs from
   `Post.remote_modified`, or is the same but the blog's raw title or HTML differ from the last
   sync's (`modified_gmt` has whole seconds: an edit made there in the second of our write
   shows only so; the connector checks both): then nothing is written and the job goes to
   "conflict" with the base (last-synced), local and remote texts in its payload, for
   `core.conflicts` to resolve. An update that finds the blog already holding exactly the title
   and text it sends (our own write whose answer was lost) is not a conflict.
5. The remote id, the blog's new modified time and raw HTML, and the text sent (the last-synced
   copy) are stored.

A job runs in three short transactions: one claims it and reads what it needs (the post, its
terms, its images), one keeps each new upload as soon as it is made, one records the outcome.

Comments (`pull_comments`, and the jobs of `core.comments`: comment_status, comment_edit,
comment_delete, comment_reply): each action was applied to the library when it was queued. When
the blog refuses it for good (the comment was deleted there: 404; the user may not: 403), the
engine undoes it in the library (`core.comments.revert_job`), closes the job as cancelled with the
reason (`outbox.mark_refused`: unlike "failed" it holds back nothing) and the UI reads the reason
once with `core.comments.take_notices`. Offline, a 5xx, a 429 or a wrong or missing password keep
the change and let the job wait for its retry.

Errors: a retryable `PublishError` (network, timeout, 5xx, 429) puts the job back to pending with
a backoff (Retry-After honoured), and so does an answer that is not valid API output (malformed
JSON) for the first `BAD_RESPONSE_RETRIES` attempts; any other error marks it failed, with the
error's `user_message`, to wait for the user's retry or cancel.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..core import comments, outbox, publishing
from ..core.db import Library
from ..core.models import utcnow
from ..core.publishing import BlogAccount, PostForPublish
from ..render.markdown import render_html
from . import gil
from .base import (
    COMMENT_STATUSES,
    ONE_SECOND,
    Connector,
    PostPayload,
    RemoteComment,
    RemotePost,
    resolve_duplicates,
    same_second,
)
from .errors import (
    AuthError,
    BadResponse,
    Conflict,
    NotFound,
    PublishError,
    Unsupported,
    ValidationError,
)
from .html2md import html_to_markdown

log = logging.getLogger(__name__)

ConnectorFactory = Callable[[BlogAccount], Connector]

#: `dbmedia:UUID` in rendered HTML (a `//` after the colon is tolerated, as `uuid_from_url` does).
_MEDIA_IN_HTML = re.compile(r"dbmedia:(?://?)?([0-9a-fA-F-]{36})")
#: Seconds after a retried create before looking for a second post the server may still have made.
DUPLICATE_CHECK_DELAY = 35.0
#: Attempts after which an answer that is not a valid API response stops being retried.
BAD_RESPONSE_RETRIES = 3


class JobFailed(PublishError):
    """A job that cannot be done as it stands (missing image, post not on the blog...)."""

    @property
    def user_message(self) -> str:
        return self.message


@dataclass(frozen=True)
class JobOutcome:
    job_id: int
    operation: str
    post_id: int | None
    state: str  # the job's state after the run
    message: str = ""
    remote_id: int | None = None
    link: str = ""


@dataclass
class OutboxReport:
    ran: list[JobOutcome] = field(default_factory=list)
    #: Jobs still waiting (pending, for a retry time or behind another job).
    waiting: int = 0
    next_wake: datetime | None = None

    @property
    def failed(self) -> list[JobOutcome]:
        return [o for o in self.ran if o.state == outbox.FAILED]

    @property
    def conflicts(self) -> list[JobOutcome]:
        return [o for o in self.ran if o.state == outbox.CONFLICT]


@dataclass
class PullReport:
    blog_id: int
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_local: int = 0
    trashed: int = 0
    skipped: int = 0
    post_ids: list[int] = field(default_factory=list)


@dataclass
class CommentPullReport:
    blog_id: int
    new: int = 0
    updated: int = 0
    status_changed: int = 0
    removed: int = 0
    #: comments attached to posts the library got after them
    attached: int = 0
    #: the blog's API has no comments (XML-RPC with metaWeblog only)
    unsupported: bool = False


_OPERATION_WORDS = {
    comments.OP_STATUS: "The change of state",
    comments.OP_EDIT: "The edit",
    comments.OP_DELETE: "The deletion",
    comments.OP_REPLY: "The reply",
}


def _refusal(job: outbox.JobData, exc: PublishError) -> str:
    """What to tell the user when the blog refused a comment's job (the change was undone)."""
    what = _OPERATION_WORDS.get(job.operation, "The action")
    if isinstance(exc, NotFound):
        why = "the comment no longer exists on the blog (it was deleted there)"
        if job.operation == comments.OP_REPLY:
            why = "the post or the comment answered no longer exists on the blog"
    elif isinstance(exc, JobFailed):
        why = exc.message[:1].lower() + exc.message[1:].rstrip(".")
    else:
        why = exc.user_message.rstrip(".")
    message = f"{what} was refused by the blog and undone here: {why}."
    markdown = str((job.payload or {}).get("markdown") or "").strip()
    if job.operation == comments.OP_REPLY and markdown:
        shown = markdown if len(markdown) <= 300 else markdown[:300] + "…"
        message += f" Your reply was: “{shown}”"
    return message


def _payload_date(value: object) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value))


def _later(newest: datetime | None, modified: datetime, now: datetime) -> datetime | None:
    """The pull's watermark: the newest modified time seen, ignoring times in the future."""
    if modified > now:
        return newest
    return modified if newest is None or modified > newest else newest


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def _same_metadata(current: RemotePost, payload: PostPayload) -> bool:
    """Whether the blog's post already has everything but the text that `payload` would set:
    then an update of a post whose text is unchanged has nothing to send."""
    return (
        current.status == payload.status
        and current.excerpt == payload.excerpt
        and (not payload.slug or current.slug == payload.slug)
        and (current.featured_media or None) == (payload.featured_media or None)
        and (
            payload.kind != "post"
            or (
                # none sent: WordPress puts the post in its default category
                (not payload.categories or set(current.categories) == set(payload.categories))
                and set(current.tags) == set(payload.tags)
            )
        )
    )


@dataclass(frozen=True)
class _Prepared:
    """What a publish or update job read in the transaction that claimed it."""

    post: PostForPublish
    media: dict[str, publishing.MediaForUpload]
    #: the bytes of the images the blog does not have yet
    data: dict[str, bytes | None] = field(default_factory=dict)


#: How many texts rendered ahead are kept for their jobs.
_AHEAD_KEPT = 2


class SyncEngine:
    """Runs outbox jobs and pulls blogs. One engine per worker thread; connectors are cached per
    blog (call `forget_connectors()` after a blog's password changes).

    `recover=True` (the default) puts jobs left "running" by a worker that died back to pending:
    create the engine once, when the app (or the CLI) starts its worker.
    """

    def __init__(
        self,
        library: Library,
        connector_factory: ConnectorFactory,
        *,
        recover: bool = True,
        duplicate_check_delay: float = DUPLICATE_CHECK_DELAY,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.library = library
        self._factory = connector_factory
        self._connectors: dict[int, Connector] = {}
        self._lock = threading.Lock()
        self.duplicate_check_delay = duplicate_check_delay
        self._clock = clock
        #: the running publish job's images, read with it (only this thread uses it)
        self._media: dict[str, publishing.MediaForUpload] = {}
        self._data: dict[str, bytes | None] = {}
        #: texts of coming jobs and their HTML on the way (see `_render_ahead`)
        self._ahead: dict[str, Future[str]] = {}
        self._ahead_pool: ThreadPoolExecutor | None = None
        if recover:
            with library.session() as session:
                n = outbox.recover_interrupted(session)
                session.commit()
            if n:
                log.info("%d interrupted outbox job(s) back to pending", n)

    # --- Connectors ---------------------------------------------------------------------------

    def connector(self, blog_id: int) -> Connector:
        with self._lock:
            conn = self._connectors.get(blog_id)
        if conn is None:
            with self.library.session() as session:
                account = publishing.get_blog_account(session, blog_id)
            conn = self._factory(account)
            with self._lock:
                self._connectors[blog_id] = conn
        return conn

    def forget_connectors(self) -> None:
        with self._lock:
            self._connectors.clear()

    # --- The outbox ---------------------------------------------------------------------------

    def run_outbox(
        self,
        stop_event: threading.Event | None = None,
        blog_id: int | None = None,
        on_job: Callable[[JobOutcome], None] | None = None,
    ) -> OutboxReport:
        """Run every due job (of one blog, or all), in order, then return. Jobs that failed with a
        retryable error wait for their backoff: call again at `report.next_wake`. `on_job` gets
        each job's outcome as it finishes (progress for the UI)."""
        report = OutboxReport()
        while stop_event is None or not stop_event.is_set():
            # One transaction takes the job and reads what it needs (a post to publish: its
            # text, terms and images); the job's outcome is written by one more (two or three
            # for a post with new images: each upload is kept as soon as it is made).
            with self.library.session() as session:
                job = outbox.claim_next(session, blog_id, now=self._clock())
                if job is None:
                    break
                prepared = self._prepare(session, job)
                if prepared is not None:
                    self._render_ahead(publishing.body_of_next_job(session, job.blog_id, job.id))
                session.commit()
            outcome = self._run(job, prepared)
            report.ran.append(outcome)
            if on_job is not None:
                on_job(outcome)
        with self.library.session() as session:
            report.waiting = outbox.count_pending(session, blog_id)
            report.next_wake = outbox.next_wake(session, blog_id)
        return report

    def _prepare(self, session, job: outbox.JobData) -> _Prepared | None:
        """What a publish or update job reads, in the transaction that claimed it."""
        if job.operation not in (publishing.PUBLISH, publishing.UPDATE) or job.post_id is None:
            return None
        try:
            post = publishing.load_for_publish(session, job.post_id)
        except Exception:  # noqa: BLE001 - the job reads again when it runs, and says why
            log.debug("job %s: its post could not be read with it", job.id, exc_info=True)
            return None
        uuids = [m.lower() for m in _MEDIA_IN_HTML.findall(post.body)]
        if post.featured_media_uuid:
            uuids.append(post.featured_media_uuid)
        media = publishing.media_for_blog_many(session, job.blog_id, uuids) if uuids else {}
        data = {
            uuid: publishing.media_bytes(session, uuid)
            for uuid, found in media.items()
            if found.remote_id is None or not found.remote_url
        }
        return _Prepared(post, media, data)

    def seconds_until_due(self, blog_id: int | None = None) -> float | None:
        """Seconds until the next waiting job is due (0 when one is due now; None when no job
        waits for a time: sleep until something is enqueued)."""
        with self.library.session() as session:
            if outbox.next_due_job(session, blog_id, now=self._clock()) is not None:
                return 0.0
            wake = outbox.next_wake(session, blog_id)
        if wake is None:
            return None
        return max(0.0, (wake - self._clock()).total_seconds())

    def serve(
        self,
        stop_event: threading.Event,
        wake_event: threading.Event | None = None,
        *,
        idle_poll: float = 60.0,
        on_report: Callable[[OutboxReport], None] | None = None,
    ) -> None:
        """The worker's loop, for a background thread: run due jobs, then sleep until the next
        retry time, `wake_event` (set it after enqueueing) or `idle_poll` seconds, until
        `stop_event` is set. `on_report` gets each run's report (for the UI's outbox view)."""
        wake_event = wake_event or threading.Event()
        while not stop_event.is_set():
            wake_event.clear()
            report = self.run_outbox(stop_event)
            if on_report is not None and report.ran:
                on_report(report)
            delay = self.seconds_until_due()
            timeout = idle_poll if delay is None else min(delay, idle_poll)
            if timeout > 0:
                wake_event.wait(timeout)
            if stop_event.is_set():
                return

    def run_job(self, job: outbox.JobData) -> JobOutcome:
        """Run one job that was marked running; records its outcome."""
        return self._run(job, None)

    def _run(self, job: outbox.JobData, prepared: _Prepared | None) -> JobOutcome:
        if job.operation in comments.COMMENT_OPERATIONS:
            return self._comment_job(job)
        try:
            if job.operation in (publishing.PUBLISH, publishing.UPDATE):
                return self._publish(job, prepared)
            if job.operation == publishing.TRASH_OP:
                return self._trash(job)
            if job.operation == publishing.RESOLVE_DUPLICATES:
                return self._resolve_duplicates(job)
            raise JobFailed(f"Unknown outbox operation {job.operation!r}.")
        except PublishError as exc:
            message = exc.user_message
            log.info("outbox job %s (%s) failed: %s", job.id, job.operation, exc)
            # A garbled answer to a write (a plugin's PHP warning before the JSON) usually means
            # the blog did the work: try again a few times (a create then finds its marker).
            retryable = exc.retryable or (
                isinstance(exc, BadResponse) and job.attempts < BAD_RESPONSE_RETRIES
            )
            with self.library.session() as session:
                done = outbox.mark_failed(
                    session,
                    job.id,
                    message,
                    retryable=retryable,
                    retry_after=exc.retry_after,
                    now=self._clock(),
                )
                session.commit()
            return JobOutcome(job.id, job.operation, job.post_id, done.state, message)
        except Exception as exc:  # a bug or a database error: keep the job, say what happened
            log.exception("outbox job %s (%s) failed", job.id, job.operation)
            message = f"The action failed unexpectedly: {type(exc).__name__}: {exc}"
            with self.library.session() as session:
                done = outbox.mark_failed(session, job.id, message, retryable=False)
                session.commit()
            return JobOutcome(job.id, job.operation, job.post_id, done.state, message)

    def _done(
        self, job: outbox.JobData, message: str, remote: RemotePost | None = None
    ) -> JobOutcome:
        with self.library.session() as session:
            result = {"remote_id": remote.id, "link": remote.link} if remote else {"note": message}
            outbox.mark_done(session, job.id, result)
            session.commit()
        return JobOutcome(
            job.id,
            job.operation,
            job.post_id,
            outbox.DONE,
            message,
            remote.id if remote else None,
            remote.link if remote else "",
        )

    # --- Publishing ---------------------------------------------------------------------------

    def _publish(self, job: outbox.JobData, prepared: _Prepared | None = None) -> JobOutcome:
        if job.post_id is None:
            raise JobFailed("The post of this job no longer exists.")
        if prepared is None:
            with self.library.session() as session:
                prepared = self._prepare(session, job)
            if prepared is None:
                raise JobFailed("The post of this job no longer exists.")
        post = prepared.post
        self._media, self._data = prepared.media, prepared.data
        if post.blog_id != job.blog_id:
            raise JobFailed("The post no longer belongs to this blog.")
        conn = self.connector(job.blog_id)
        current: RemotePost | None = None
        if job.operation == publishing.UPDATE:
            if post.remote_id is None:
                raise JobFailed("The post is not on the blog yet; publish it first.")
            # keep the blog's status: a private post stays private, a pending one pending
            current = conn.get_post(post.remote_id, post.kind)
            status = post.remote_status
            if publishing.local_status(current.status) == post.status:
                status = current.status if current.status != "trash" else status
            date = post.scheduled_at if status == "future" else None
        else:
            status = str(job.payload.get("status") or "publish")
            date = _payload_date(job.payload.get("date"))
        if post.remote_id is not None and post.unchanged_since_sync:
            # Only the status (or terms) changes: the blog keeps its own HTML, never our
            # rendering of its Markdown conversion. A changed remote still fails the check below.
            current = current or conn.get_post(post.remote_id, post.kind)
            html = current.content_html
        else:
            html = self.prepare_html(conn, job.blog_id, post.body)
        payload = PostPayload(
            title=post.title,
            content_html=html,
            excerpt=post.excerpt,
            slug=post.slug,
            status=status,
            date_gmt=date,
            categories=self._term_ids(conn, job.blog_id, post, "categories"),
            tags=self._term_ids(conn, job.blog_id, post, "tags"),
            featured_media=self._featured(conn, job.blog_id, post),
            kind=post.kind,
        )
        if (
            job.operation == publishing.UPDATE
            and current is not None
            and post.unchanged_since_sync
            and _same_metadata(current, payload)
        ):
            return self._done(job, "Nothing to send: the post has not changed since the sync.")
        if post.remote_id is None:
            remote = self._create(conn, job, payload)
        else:
            remote = self._update(conn, job, post, payload)
            if remote is None:
                return JobOutcome(
                    job.id,
                    job.operation,
                    job.post_id,
                    outbox.CONFLICT,
                    "The post was changed on the blog since it was last synced; nothing was "
                    "overwritten. Choose keep mine, take theirs, or a merged text.",
                    post.remote_id,
                )
        with self.library.session() as session:
            publishing.record_published(
                session,
                post.id,
                publishing.RemoteResult(
                    remote.id,
                    remote.status,
                    remote.modified_gmt,
                    remote.date_gmt,
                    remote.link,
                    remote.content_html,
                ),
                post.title,
                post.body,
            )
            outbox.complete(session, job, {"remote_id": remote.id, "link": remote.link})
            session.commit()
        verb = {"publish": "Published", "future": "Scheduled", "draft": "Saved as a draft"}
        message = f"{verb.get(remote.status, 'Sent')}: {remote.link or remote.id}"
        return JobOutcome(
            job.id, job.operation, job.post_id, outbox.DONE, message, remote.id, remote.link
        )

    def _create(self, conn: Connector, job: outbox.JobData, payload: PostPayload) -> RemotePost:
        key = job.idempotency_key
        retried = job.attempts > 1
        if retried:
            found = conn.find_post_by_marker(key, payload.kind)
            if found is not None:
                log.info(
                    "job %s: adopting post %s made by a create whose answer was lost",
                    job.id,
                    found.id,
                )
                if not (
                    found.title == payload.title
                    and _same_text(found.content_html, payload.content_html)
                    and found.status == payload.status
                ):
                    found = conn.update_post(found.id, payload, found.modified_gmt)
                return found
        remote = conn.create_post(payload, key)
        if retried:
            with self.library.session() as session:
                outbox.enqueue(
                    session,
                    job.blog_id,
                    publishing.RESOLVE_DUPLICATES,
                    post_id=job.post_id,
                    payload={"kind": payload.kind, "create_job": job.id},
                    idempotency_key=key,
                    not_before=self._clock() + timedelta(seconds=self.duplicate_check_delay),
                )
                session.commit()
        return remote

    def _update(
        self,
        conn: Connector,
        job: outbox.JobData,
        post: PostForPublish,
        payload: PostPayload,
    ) -> RemotePost | None:
        assert post.remote_id is not None
        expected_text = None
        if post.remote_modified is not None and post.synced_body is not None:
            # `modified_gmt` has whole seconds: an edit on the blog in the second of our last
            # write shows only in the text, compared with the last sync's.
            expected_text = (post.synced_title or "", post.synced_html)
        try:
            return conn.update_post(
                post.remote_id, payload, post.remote_modified, expected_text=expected_text
            )
        except Conflict as exc:
            remote = exc.remote or conn.get_post(post.remote_id, post.kind)
        if remote.title == payload.title and _same_text(remote.content_html, payload.content_html):
            # The blog already has this text (our own write whose answer was lost, or the same
            # edit made there): no conflict in substance. Write the rest (status, terms) on the
            # blog's current version.
            if remote.status == payload.status:
                return remote
            return conn.update_post(remote.id, payload, remote.modified_gmt)
        if self._is_last_sent(job.blog_id, post, remote):
            # The blog holds what we sent last, its HTML not recorded then (a library from
            # before the HTML was kept): not a change made there.
            return conn.update_post(remote.id, payload, remote.modified_gmt)
        conflict = {
            "remote_id": remote.id,
            "base": {"title": post.synced_title or "", "body": post.synced_body or ""},
            "local": {"title": post.title, "body": post.body},
            "remote": {
                "title": remote.title,
                "body": html_to_markdown(remote.content_html),
                "html": remote.content_html,
                "modified": remote.modified_gmt.isoformat(),
                "status": remote.status,
            },
            "expected_modified": post.remote_modified.isoformat() if post.remote_modified else None,
        }
        message = Conflict(
            "conflict",
            expected_modified=post.remote_modified,
            remote_modified=remote.modified_gmt,
        ).user_message
        with self.library.session() as session:
            outbox.mark_conflict(session, job.id, conflict, message)
            session.commit()
        return None

    def _is_last_sent(self, blog_id: int, post: PostForPublish, remote: RemotePost) -> bool:
        """Whether `remote`, modified in the second of the last sync, is our own last write:
        the last-synced title and the renderer's HTML of the last-synced text (its images at
        the URLs they were uploaded to). Only asked when the recorded HTML does not match."""
        if post.remote_modified is None or post.synced_body is None:
            return False
        if not same_second(remote.modified_gmt, post.remote_modified):
            return False
        if remote.title != (post.synced_title or ""):
            return False
        html = render_html(post.synced_body)
        urls: dict[str, str] = {}
        with self.library.session() as session:
            for uuid in dict.fromkeys(m.lower() for m in _MEDIA_IN_HTML.findall(html)):
                media = publishing.media_for_blog(session, blog_id, uuid)
                if media is None or not media.remote_url:
                    return False
                urls[uuid] = media.remote_url
        if urls:
            html = _MEDIA_IN_HTML.sub(lambda m: urls[m.group(1).lower()], html)
        return _same_text(remote.content_html, html)

    def _render_ahead(self, body: str | None) -> None:
        """Render the next job's text on a thread of its own while this job waits for the blog
        (its requests let go of the GIL): publishing many posts, each then finds its HTML made.
        Only a guess (`publishing.body_of_next_job`): HTML for another text is not used."""
        if body is None or body in self._ahead:
            return
        if self._ahead_pool is None:
            self._ahead_pool = ThreadPoolExecutor(1, thread_name_prefix="render-ahead")
        while len(self._ahead) >= _AHEAD_KEPT:  # guesses that did not come true
            self._ahead.pop(next(iter(self._ahead))).cancel()
        self._ahead[body] = self._ahead_pool.submit(render_html, body)

    def _rendered(self, body: str) -> str:
        ahead = self._ahead.pop(body, None)
        if ahead is not None:
            try:
                return ahead.result()
            except Exception:  # noqa: BLE001 - rendered again below, where it is reported
                log.debug("rendering ahead failed", exc_info=True)
        return render_html(body)

    def close(self) -> None:
        """Stop the render-ahead thread (the engine can still be used: it starts again)."""
        pool, self._ahead_pool, self._ahead = self._ahead_pool, None, {}
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def prepare_html(self, conn: Connector, blog_id: int, body: str) -> str:
        """The renderer's HTML for `body`, with its library images uploaded to the blog (once)
        and their `dbmedia:` URLs replaced by the blog's URLs."""
        html = self._rendered(body)
        urls: dict[str, str] = {}
        for uuid in dict.fromkeys(m.lower() for m in _MEDIA_IN_HTML.findall(html)):
            urls[uuid] = self._ensure_media(conn, blog_id, uuid)[1]
        if not urls:
            return html
        return _MEDIA_IN_HTML.sub(lambda m: urls[m.group(1).lower()], html)

    def _ensure_media(self, conn: Connector, blog_id: int, uuid: str) -> tuple[int, str]:
        known = self._media.get(uuid)  # read with the job, for this job's blog
        if known is not None and known.remote_id is not None and known.remote_url:
            return known.remote_id, known.remote_url
        if known is not None and uuid in self._data:
            media, data = known, self._data[uuid]
        else:
            with self.library.session() as session:
                media = publishing.media_for_blog(session, blog_id, uuid)
                if media is None:
                    raise JobFailed(
                        f"The post shows an image (dbmedia:{uuid}) that is not in the library."
                    )
                if media.remote_id is not None and media.remote_url:
                    return media.remote_id, media.remote_url
                data = publishing.media_bytes(session, media.uuid)
        if not data:
            raise JobFailed(f"The image {media.filename} has no data in the library.")
        uploaded = conn.upload_media(media.filename, data, media.mime_type)
        with self.library.session() as session:
            publishing.record_media_upload(
                session, blog_id, media.uuid, uploaded.id, uploaded.source_url
            )
            session.commit()
        self._media = {
            **self._media,
            uuid: publishing.MediaForUpload(
                media.uuid, media.filename, media.mime_type, uploaded.id, uploaded.source_url
            ),
        }
        return uploaded.id, uploaded.source_url

    def _featured(self, conn: Connector, blog_id: int, post: PostForPublish) -> int | None:
        if post.featured_media_uuid is None:
            # a pulled post's image that is not in the library stays (None would remove it)
            return post.remote_featured_id
        return self._ensure_media(conn, blog_id, post.featured_media_uuid)[0]

    def _term_ids(
        self, conn: Connector, blog_id: int, post: PostForPublish, taxonomy: str
    ) -> tuple[int, ...]:
        if post.kind != "post":
            return ()
        ids: list[int] = []
        for term in post.terms:
            if term.taxonomy != taxonomy:
                continue
            remote_id = term.remote_id
            if remote_id is None:
                made = conn.create_term(taxonomy, term.name)
                with self.library.session() as session:
                    publishing.record_term(
                        session, blog_id, taxonomy, term.name, made.id, made.slug, made.parent
                    )
                    session.commit()
                remote_id = made.id
            ids.append(remote_id)
        return tuple(dict.fromkeys(ids))

    def _trash(self, job: outbox.JobData) -> JobOutcome:
        if job.post_id is None:
            return self._done(job, "The post is gone; nothing to trash.")
        with self.library.session() as session:
            post = publishing.load_for_publish(session, job.post_id)
        if post.remote_id is None:
            return self._done(job, "The post never reached the blog; nothing to trash there.")
        try:
            self.connector(job.blog_id).delete_post(post.remote_id, force=False, kind=post.kind)
        except NotFound:
            return self._done(job, "The post was already gone from the blog.")
        return self._done(job, "Moved to the blog's trash.")

    def _resolve_duplicates(self, job: outbox.JobData) -> JobOutcome:
        kind = str(job.payload.get("kind") or "post")
        kept = resolve_duplicates(self.connector(job.blog_id), job.idempotency_key, kind)
        if kept is not None and job.post_id is not None:
            with self.library.session() as session:
                post = publishing.load_for_publish(session, job.post_id)
                if post.remote_id != kept.id:
                    publishing.record_published(
                        session,
                        post.id,
                        publishing.RemoteResult(
                            kept.id,
                            kept.status,
                            kept.modified_gmt,
                            kept.date_gmt,
                            kept.link,
                            kept.content_html,
                        ),
                        post.synced_title or post.title,
                        post.synced_body if post.synced_body is not None else post.body,
                    )
                    session.commit()
        return self._done(job, "Checked for duplicate posts.", kept)

    # --- Pulling ------------------------------------------------------------------------------

    def pull_terms(self, blog_id: int) -> int:
        """The blog's categories and tags into the library; returns how many."""
        conn = self.connector(blog_id)
        n = 0
        for taxonomy in ("categories", "tags"):
            try:
                terms = conn.list_terms(taxonomy)
            except Unsupported:
                continue
            with self.library.session() as session:
                for term in sorted(terms, key=lambda t: t.id):
                    publishing.record_term(
                        session, blog_id, taxonomy, term.name, term.id, term.slug, term.parent
                    )
                session.commit()
            n += len(terms)
        return n

    def pull_posts(self, blog_id: int, page_size: int = 100, *, full: bool = False) -> PullReport:
        """Fetch the blog's posts and pages changed since the last pull (all, the first time or
        with `full`).

        Posts written elsewhere come in as Markdown with their HTML kept; a post edited here since
        its last sync keeps the local text (sending it later reports the conflict); a post moved
        to the blog's trash goes to the trash here, unless edited here.

        The next pull starts from the newest `modified_gmt` seen that is not in the future.
        WordPress gives a new post its own date as its modified time: a scheduled post looks
        modified in the future (it is listed again until then), and a post created with a date in
        the past looks modified then, which an incremental pull cannot see: pull with `full`
        now and then.
        """
        conn = self.connector(blog_id)
        started = self._clock()
        with self.library.session() as session:
            since = publishing.get_blog_account(session, blog_id).last_synced_at
        if full:
            since = None
        self.pull_terms(blog_id)
        report = PullReport(blog_id)
        newest = since
        for kind in ("post", "page"):
            try:
                remotes = conn.list_posts(kind, modified_after=since, page_size=page_size)
                batch: list[RemotePost] = []
                for remote in remotes:
                    batch.append(remote)
                    if len(batch) >= 50:
                        self._store_pulled(blog_id, batch, report)
                        batch = []
                    newest = _later(newest, remote.modified_gmt, started)
                self._store_pulled(blog_id, batch, report)
            except Unsupported:
                if kind == "post":
                    raise
                continue
            if since is not None:
                newest = self._pull_trashed(
                    conn, blog_id, kind, since, page_size, report, newest, started
                )
        if newest is not None:
            with self.library.session() as session:
                publishing.set_last_synced(session, blog_id, newest)
                session.commit()
        return report

    def _pull_trashed(
        self,
        conn: Connector,
        blog_id: int,
        kind: str,
        since: datetime,
        page_size: int,
        report: PullReport,
        newest: datetime | None,
        started: datetime,
    ) -> datetime | None:
        """Posts moved to the blog's trash since the last pull go to the trash here too."""
        try:
            trashed = list(conn.list_posts(kind, since, page_size, status="trash"))
        except (Unsupported, ValidationError):
            return newest  # an API that cannot list the trash: nothing to learn
        with self.library.session() as session:
            for remote in trashed:
                outcome, post_id = publishing.apply_remote_trash(
                    session, blog_id, remote.id, remote.modified_gmt
                )
                if outcome == publishing.PULL_TRASHED:
                    report.trashed += 1
                elif outcome == publishing.PULL_KEPT_LOCAL:
                    report.kept_local += 1
                newest = _later(newest, remote.modified_gmt, started)
            session.commit()
        return newest

    def _store_pulled(self, blog_id: int, remotes: list[RemotePost], report: PullReport) -> None:
        if not remotes:
            return

        def term_names() -> dict[str, dict[int, str]]:
            with self.library.session() as session:
                return {
                    tax: publishing.term_names(
                        session, blog_id, tax, {i for r in remotes for i in getattr(r, tax)}
                    )
                    for tax in ("categories", "tags")
                }

        known = term_names()
        if any(i not in known[tax] for r in remotes for tax in known for i in getattr(r, tax)):
            self.pull_terms(blog_id)
            known = term_names()
        with self.library.session() as session:
            featured = publishing.media_for_remote_ids(
                session, blog_id, (r.featured_media for r in remotes if r.featured_media)
            )
        # HTML to Markdown before the write transaction (it is most of the work, and a long
        # transaction would hold back the app's own writes); the GIL is handed over between
        # posts now and then (`gil.yield_if_due`), so the window's thread gets it.
        markdown: dict[int, str] = {}
        for remote in remotes:
            if remote.status != "trash":
                markdown[remote.id] = html_to_markdown(remote.content_html)
                gil.yield_if_due()
        with self.library.session() as session:
            for remote in remotes:
                if remote.status == "trash":
                    report.skipped += 1
                    continue
                if remote.marker:
                    job = outbox.find_by_key(session, remote.marker)
                    if job is not None and job.state != outbox.DONE:
                        report.skipped += 1  # its create job adopts it
                        continue
                categories, tags = known["categories"], known["tags"]
                pulled = publishing.PulledPost(
                    remote_id=remote.id,
                    kind=remote.kind if remote.kind in ("post", "page") else "post",
                    title=remote.title,
                    content_html=remote.content_html,
                    markdown=markdown[remote.id],
                    excerpt=remote.excerpt,
                    slug=remote.slug,
                    status=remote.status,
                    date_gmt=remote.date_gmt,
                    modified_gmt=remote.modified_gmt,
                    categories=[categories[i] for i in remote.categories if i in categories],
                    tags=[tags[i] for i in remote.tags if i in tags],
                    featured_media=remote.featured_media or None,
                    featured_local_id=featured.get(remote.featured_media or 0),
                )
                outcome, post_id = publishing.apply_pulled(session, blog_id, pulled)
                report.post_ids.append(post_id)
                if outcome == publishing.PULL_NEW:
                    report.new += 1
                elif outcome == publishing.PULL_UPDATED:
                    report.updated += 1
                elif outcome == publishing.PULL_KEPT_LOCAL:
                    report.kept_local += 1
                else:
                    report.unchanged += 1
            session.commit()

    # --- Comments -----------------------------------------------------------------------------

    def pull_comments(
        self, blog_id: int, page_size: int = 100, *, full: bool = False, reconcile: bool = True
    ) -> CommentPullReport:
        """Fetch the blog's comments in every status: those posted since the newest one the
        library has (all of them the first time or with `full`), stored with
        `core.comments.upsert_remote_comments` (attached to local posts by remote post id).

        Comments have no modified time, so a comment moderated, edited or deleted elsewhere
        shows only in a whole listing: with `reconcile` the blog's list of ids and statuses
        (`list_comment_states`, light) is compared with the library, which takes the statuses
        and drops the comments gone from the blog. A change made here and still waiting in the
        outbox is never overwritten."""
        conn = self.connector(blog_id)
        with self.library.session() as session:
            since = None if full else comments.newest_remote_date(session, blog_id)
        report = CommentPullReport(blog_id)
        after = since - ONE_SECOND if since is not None else None
        try:
            listing = conn.list_comments(COMMENT_STATUSES, after, page_size=page_size)
            self._store_comments(blog_id, listing, report)
        except Unsupported:
            report.unsupported = True  # metaWeblog: no comments to sync, nothing wrong
            return report
        with self.library.session() as session:
            report.attached = comments.attach_orphans(session, blog_id)
        if reconcile:
            states = conn.list_comment_states(page_size)
            with self.library.session() as session:
                result = comments.reconcile_remote_comments(
                    session, blog_id, {str(k): v for k, v in states.items()}
                )
            report.status_changed += result.changed
            report.removed += result.removed
            if result.unknown and since is not None:
                # Older comments the library lacks (imported on the blog, say): list them all.
                self._store_comments(
                    blog_id, conn.list_comments(COMMENT_STATUSES, None, page_size=page_size), report
                )
        return report

    def _store_comments(self, blog_id: int, remotes, report: CommentPullReport) -> None:
        batch: list[RemoteComment] = []

        def flush() -> None:
            if batch:
                with self.library.session() as session:
                    result = comments.upsert_remote_comments(session, blog_id, batch)
                report.new += result.inserted
                report.updated += result.updated
                batch.clear()

        for remote in remotes:
            batch.append(remote)
            if len(batch) >= 200:
                flush()
        flush()

    def _comment_job(self, job: outbox.JobData) -> JobOutcome:
        """Run a comment's job. A refusal (the comment is gone, the user may not...) undoes
        the change here and closes the job with the reason; trouble that may pass (offline,
        5xx, 429), a wrong or missing password, leaves the change in place and the job waiting
        for its retry."""
        try:
            self.connector(job.blog_id)
        except Exception as exc:  # no password, a broken keyring: not the blog's answer
            log.info("comment job %s waits: no connector: %s", job.id, exc)
            return self._wait(job, f"The blog cannot be reached yet: {exc}", None)
        try:
            message, result = self._run_comment_job(job)
        except PublishError as exc:
            retryable = exc.retryable or (
                isinstance(exc, BadResponse) and job.attempts < BAD_RESPONSE_RETRIES
            )
            if isinstance(exc, AuthError) and exc.credentials:
                retryable = True  # the password is wrong, not the action: wait for a new one
            if retryable:
                log.info("comment job %s (%s) will be retried: %s", job.id, job.operation, exc)
                return self._wait(job, exc.user_message, exc.retry_after)
            return self._refuse(job, _refusal(job, exc))
        except Exception as exc:  # a bug or a database error: undo here, say what happened
            log.exception("comment job %s (%s) failed", job.id, job.operation)
            return self._refuse(
                job, f"The action failed unexpectedly and was undone: {type(exc).__name__}: {exc}"
            )
        with self.library.session() as session:
            outbox.mark_done(session, job.id, result)
            session.commit()
        return JobOutcome(job.id, job.operation, job.post_id, outbox.DONE, message)

    def _wait(self, job: outbox.JobData, message: str, retry_after: float | None) -> JobOutcome:
        with self.library.session() as session:
            done = outbox.mark_failed(
                session,
                job.id,
                message,
                retryable=True,
                retry_after=retry_after,
                now=self._clock(),
            )
            session.commit()
        return JobOutcome(job.id, job.operation, job.post_id, done.state, message)

    def _refuse(self, job: outbox.JobData, message: str) -> JobOutcome:
        log.warning("comment job %s (%s) refused: %s", job.id, job.operation, message)
        with self.library.session() as session:
            comments.revert_job(session, job, message)
        return JobOutcome(job.id, job.operation, job.post_id, outbox.CANCELLED, message)

    def _remote_comment_id(self, job: outbox.JobData) -> int:
        with self.library.session() as session:
            remote_id = comments.remote_id_of(session, job.comment_id)
        if remote_id is None:
            remote_id = (job.payload or {}).get("remote_id")
        if remote_id is None or comments.is_local(remote_id):
            raise JobFailed("The comment is not on the blog yet.")
        return int(remote_id)

    def _run_comment_job(self, job: outbox.JobData) -> tuple[str, dict]:
        payload = job.payload or {}
        conn = self.connector(job.blog_id)
        if job.operation == comments.OP_STATUS:
            status = str(payload.get("status"))
            remote = conn.moderate_comment(self._remote_comment_id(job), status)
            return f"Comment {remote.id} is now {status} on the blog.", {"remote_id": remote.id}
        if job.operation == comments.OP_EDIT:
            remote = conn.edit_comment(self._remote_comment_id(job), str(payload["content_html"]))
            return f"Comment {remote.id} edited on the blog.", {"remote_id": remote.id}
        if job.operation == comments.OP_DELETE:
            remote_id = int(payload["remote_id"])
            conn.delete_comment(remote_id, force=True)  # already gone counts as done
            return f"Comment {remote_id} deleted from the blog.", {"remote_id": remote_id}
        if job.operation == comments.OP_REPLY:
            return self._reply(conn, job)
        raise JobFailed(f"Unknown outbox operation {job.operation!r}.")

    def _reply(self, conn: Connector, job: outbox.JobData) -> tuple[str, dict]:
        payload = job.payload or {}
        if job.comment_id is None:
            raise JobFailed("The reply was deleted before it was sent.")
        with self.library.session() as session:
            parent_remote = comments.remote_id_of(session, payload.get("parent_id"))
            detail = comments.comment_detail(session, job.comment_id)
        if detail is None:
            raise JobFailed("The reply was deleted before it was sent.")
        if parent_remote is None:
            parent_remote = detail.parent_remote_id
        if not detail.remote_post_id:
            raise JobFailed("The comment answered is on a post the blog did not tell us.")
        if parent_remote is None or comments.is_local(parent_remote):
            raise JobFailed("The comment answered is not on the blog.")
        post_id, parent_id = int(detail.remote_post_id), int(parent_remote)
        content = str(payload.get("content_html") or detail.content)
        try:
            remote = conn.reply_comment(post_id, parent_id, content)
        except Conflict as exc:
            # WordPress refuses a duplicate (409): our earlier attempt whose answer was lost.
            remote = (
                self._find_reply(conn, post_id, parent_id, content) if job.attempts > 1 else None
            )
            if remote is None:
                raise exc from None
        with self.library.session() as session:
            comments.record_reply_posted(session, job.comment_id, remote)
        return f"Reply posted as comment {remote.id}.", {"remote_id": remote.id}

    @staticmethod
    def _find_reply(
        conn: Connector, post_id: int, parent_id: int, content: str
    ) -> RemoteComment | None:
        wanted = " ".join(content.split())
        for remote in conn.list_comments(COMMENT_STATUSES, post_id=post_id):
            if remote.parent_id == parent_id and " ".join(remote.content_html.split()) == wanted:
                return remote
        return None

    def sync(self, blog_id: int, stop_event: threading.Event | None = None) -> tuple:
        """Pull the blog's posts, then run its outbox: (PullReport, OutboxReport)."""
        pulled = self.pull_posts(blog_id)
        return pulled, self.run_outbox(stop_event, blog_id)


def make_connector(
    account: BlogAccount, password: str, client=None
) -> Connector:  # client: httpx.Client
    """The connector for a blog's kind, over `client` (a new `make_client()` when None)."""
    from .http import make_client

    client = client or make_client()
    if account.kind == "xmlrpc":
        from .xmlrpc import XmlRpcConnector

        endpoint = account.api_url or account.url.rstrip("/") + "/xmlrpc.php"
        return XmlRpcConnector(client, endpoint, account.username, password)
    from .wordpress_rest import WordPressRestConnector

    api = account.api_url or account.url.rstrip("/") + "/wp-json/"
    return WordPressRestConnector(client, api, account.username, password)


__all__ = [
    "CommentPullReport",
    "DUPLICATE_CHECK_DELAY",
    "JobFailed",
    "JobOutcome",
    "OutboxReport",
    "PullReport",
    "SyncEngine",
    "make_connector",
]

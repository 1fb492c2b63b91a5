"""Never lose writing: autosave, retries and periodic revisions.

The editor tells the saver that something changed (``touch``); the saver reads the editor only
when it writes: ~600 ms after the last keystroke, when the user switches posts, when the window
loses focus, and on quit. Writes run on the database worker, one at a time and in order; an edit
is only forgotten once the database has committed it. A write that fails (read-only file, full
disk, busy database) keeps its edit, says so, and is retried every few seconds, merged with
anything typed since.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

log = logging.getLogger(__name__)

DEBOUNCE_MS = 600
RETRY_MS = 3000

# Save states, shown in the status bar.
SAVED = "saved"
SAVING = "saving"
FAILED = "failed"


@dataclass(frozen=True)
class Metadata:
    """The metadata panel's fields."""

    slug: str
    excerpt: str
    tags: list[str]
    categories: list[str]
    status: str
    scheduled_at: datetime | None
    kind: str = "post"  # or "page"
    featured_media_id: int | None = None
    remote_featured_id: str | None = None


@dataclass(frozen=True)
class PostEdit:
    """What the editor holds for one post, to be written."""

    post_id: int
    title: str
    body: str
    metadata: Metadata | None = None  # None: only the text is written

    def merged_after(self, older: PostEdit) -> PostEdit:
        """This (newer) edit, keeping the older one's metadata if this one has none."""
        if self.metadata is None and older.metadata is not None:
            return replace(self, metadata=older.metadata)
        return self


def write_edit(library: Any, edit: PostEdit, revision_every: timedelta) -> datetime:
    """Store an edit in one transaction (runs on the database worker)."""
    from desktop_blog.core.library import save_text, snapshot_if_due, update_post

    with library.session() as session:
        updated = save_text(session, edit.post_id, edit.title, edit.body)
        if edit.metadata is not None:
            m = edit.metadata
            updated = update_post(
                session,
                edit.post_id,
                slug=m.slug,
                excerpt=m.excerpt,
                tags=m.tags,
                categories=m.categories,
                status=m.status,
                scheduled_at=m.scheduled_at,
                kind=m.kind,
                featured_media_id=m.featured_media_id,
                remote_featured_id=m.remote_featured_id,
            ).updated_at
        snapshot_if_due(session, edit.post_id, revision_every)
        session.commit()
    return updated


def is_storage_error(exc: BaseException) -> bool:
    """A failure to write that may go away (read-only, full, locked), as opposed to a bug."""
    from sqlalchemy.exc import DBAPIError

    from desktop_blog.core.db import StorageError

    return isinstance(exc, StorageError | DBAPIError | OSError)


class AutoSaver(QObject):
    """Debounced, ordered, retried saving of the editor's posts."""

    # state (SAVED, SAVING, FAILED) and a message for the status bar
    stateChanged = Signal(str, str)
    # post id and its new modification time, after a successful write
    saved = Signal(int, object)
    # the PostEdit just stored and the post's new modification time (the window keeps the
    # start-up cache, ui/startup_cache.py, from these)
    stored = Signal(object, object)
    # a storage failure's message, emitted on the first failure of a run of failures
    failed = Signal(str)

    def __init__(
        self,
        library: Any,
        tasks: Any,
        collect: Callable[[], PostEdit | None],
        *,
        revision_every: timedelta = timedelta(minutes=5),
        debounce_ms: int = DEBOUNCE_MS,
        retry_ms: int = RETRY_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.library = library
        self.tasks = tasks
        self.collect = collect
        self.revision_every = revision_every
        self._dirty = False
        self._pending: dict[int, PostEdit] = {}
        self._in_flight: dict[int, PostEdit] | None = None
        self._failing = False
        self.attempts = 0  # writes tried, successful or not (for tests and the log)
        self.last_error: str | None = None
        self.state = SAVED
        self._debounce = QTimer(self, singleShot=True, interval=debounce_ms)
        self._debounce.timeout.connect(self.flush)
        self._retry = QTimer(self, singleShot=True, interval=retry_ms)
        self._retry.timeout.connect(self._write_pending)

    # --- what the window calls ---------------------------------------------------------------

    def touch(self) -> None:
        """The editor changed: save soon."""
        self._dirty = True
        if not self._failing:
            self._set_state(SAVING, "Saving…")
        self._debounce.start()

    def flush(self) -> None:
        """Take what the editor holds now and write it (in the background)."""
        self._debounce.stop()
        self._take_from_editor()
        self._write_pending()

    def has_unsaved(self) -> bool:
        return self._dirty or bool(self._pending) or self._in_flight is not None

    def unsaved_edits(self) -> list[PostEdit]:
        """Every edit not yet in the database (for a rescue copy if quitting fails)."""
        self._take_from_editor()
        edits = dict(self._in_flight or {})
        edits.update(self._pending)
        return list(edits.values())

    def save_now_blocking(self, timeout: float = 10.0) -> bool:
        """Write everything now and wait for it (on quit). True when all is stored."""
        self._debounce.stop()
        self._retry.stop()
        self._take_from_editor()
        deadline = time.monotonic() + timeout
        # Let a write already running finish; its result callback may never run, so its
        # edits are written again below (writing the same text twice is harmless).
        done = self.tasks.run_db(lambda: None)
        try:
            done.result(timeout=max(0.1, deadline - time.monotonic()))
        except Exception:  # noqa: BLE001 - a stuck worker: write from here anyway
            log.warning("the database worker did not finish in time; saving from the GUI thread")
        edits = dict(self._in_flight or {})
        edits.update(self._pending)
        self._pending = edits
        self._in_flight = None
        for post_id, edit in list(self._pending.items()):
            self.attempts += 1
            try:
                updated = write_edit(self.library, edit, self.revision_every)
            except Exception as exc:  # noqa: BLE001 - reported, the edit is kept
                self._on_failed(exc, retry=False)
                return False
            del self._pending[post_id]
            self.saved.emit(post_id, updated)
            self.stored.emit(edit, updated)
        self._failing = False
        self._set_state(SAVED, "Saved")
        return True

    def stop(self) -> None:
        self._debounce.stop()
        self._retry.stop()

    # --- internals ----------------------------------------------------------------------------

    def _take_from_editor(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        edit = self.collect()
        if edit is None:
            return
        older = self._pending.get(edit.post_id)
        self._pending[edit.post_id] = edit.merged_after(older) if older else edit

    def _write_pending(self) -> None:
        if self._in_flight is not None or not self._pending:
            return
        self._retry.stop()
        batch, self._pending = self._pending, {}
        self._in_flight = batch
        if not self._failing:
            self._set_state(SAVING, "Saving…")
        every = self.revision_every
        library = self.library

        def work() -> dict[int, datetime]:
            results = {}
            for post_id, edit in batch.items():
                results[post_id] = write_edit(library, edit, every)
            return results

        self.attempts += 1
        self.tasks.run_db(
            work, lambda results: self._on_written(results, batch), self._on_write_error
        )

    def _on_written(
        self, results: dict[int, datetime], batch: dict[int, PostEdit] | None = None
    ) -> None:
        self._in_flight = None
        if self._failing:
            log.info("saving works again")
        self._failing = False
        self.last_error = None
        for post_id, updated in results.items():
            self.saved.emit(post_id, updated)
            if batch is not None and post_id in batch:
                self.stored.emit(batch[post_id], updated)
        if self._pending:
            self._write_pending()
        elif self._dirty:
            self._set_state(SAVING, "Saving…")
        else:
            self._set_state(SAVED, "Saved")

    def _on_write_error(self, exc: BaseException) -> None:
        batch = self._in_flight or {}
        self._in_flight = None
        # Put the failed edits back under anything typed since.
        for post_id, edit in batch.items():
            newer = self._pending.get(post_id)
            self._pending[post_id] = newer.merged_after(edit) if newer else edit
        self._on_failed(exc, retry=True)

    def _on_failed(self, exc: BaseException, *, retry: bool) -> None:
        from desktop_blog.core.db import storage_message
        from desktop_blog.core.library import PostNotFound

        if isinstance(exc, PostNotFound):
            # The post was deleted for good (after its snapshot); nothing left to save into.
            log.warning("dropping an edit for deleted post %s", exc.post_id)
            self._pending.pop(exc.post_id, None)
            if self._pending and retry:
                self._write_pending()
            else:
                self._set_state(SAVED, "Saved")
            return
        message = storage_message(exc) if is_storage_error(exc) else f"{exc}"
        first = not self._failing
        self._failing = True
        self.last_error = message
        if first:
            log.error("saving failed: %s", message, exc_info=exc)
        else:
            log.warning("saving failed again: %s", message)
        self._set_state(FAILED, f"Not saved: {message} — retrying")
        if first:
            self.failed.emit(message)
        if retry:
            self._retry.start()

    def _set_state(self, state: str, message: str) -> None:
        self.state = state
        self.stateChanged.emit(state, message)

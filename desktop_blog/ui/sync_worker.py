"""The sync worker: `publish.sync.SyncEngine` on a thread of its own, reporting to the GUI.

One long-lived Python thread (not the task manager's pool: it sleeps most of the time, and a
pool thread held by a loop would be missing for other network work) runs the engine's outbox and
pulls. It wakes when a job is written (`wake`), when the user asks for a sync (`sync_now`), when
the next retry is due, and every `idle_poll` seconds; offline, failed attempts go back to the
outbox with a backoff and wait. Every HTTP request and the engine's database work happen here,
never on the GUI thread. Results come back as Qt signals (queued to the GUI thread).

Passwords come from the `SecretStore` (read on this thread: a keyring call can block on D-Bus).
A blog whose password is missing is skipped, and `passwordNeeded` is emitted once per session
for it; `set_password` (the GUI asked the user) or `decline_password` answers it. Nothing here
logs or emits a password.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop_blog.publish import gil

log = logging.getLogger(__name__)

#: Seconds between runs when nothing wakes the worker (pulls are not periodic: only the outbox).
IDLE_POLL = 60.0
#: `collect_frozen` runs at most this often (s).
COLLECT_FROZEN_EVERY = 600.0


class _GilYield:
    """A SQLAlchemy ``before_cursor_execute`` hook: a thread other than the window's hands the
    GIL over for real after every `gil.YIELD_EVERY_CPU` of its CPU time (`gil.yield_if_due`).

    *Measured* (perf uprobes on CPython's take_gil/drop_gil, on the publish benchmark): a
    thread running SQLite lets go of the GIL and takes it back every few microseconds, for
    each row, and the window's thread mostly loses the race (see `publish/gil.py`): it waited
    up to 19 ms at a time (the database worker reading rows), and while a pull stored posts,
    ticks of the window's timer were 40-58 ms apart (the sync worker). CPU time, not wall time:
    waiting for the server is not counted, so a job's first statement after a request does not
    sleep. The window's own thread never sleeps here."""

    def __init__(self, gui_thread: int) -> None:
        self.gui_thread = gui_thread

    def __call__(self, *_args: Any) -> None:
        if threading.get_ident() != self.gui_thread:
            gil.yield_if_due()


def _freeze_after_full_collection(phase: str, info: dict[str, Any]) -> None:
    """GC callback: what survived a full collection leaves the collector's care (see `start`)."""
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()


class SyncWorker(QObject):
    """Runs the outbox and pulls blogs on a background thread."""

    #: a job finished an attempt (a `publish.sync.JobOutcome`: done, pending again, failed,
    #: conflict)
    jobFinished = Signal(object)
    #: a pull of one blog ended: (blog id, `PullReport` or None, error message or "")
    pullFinished = Signal(int, object, str)
    #: a blog's password is needed and neither the keyring nor this session has it
    passwordNeeded = Signal(object)
    #: True while the worker runs jobs or pulls, False when it sleeps
    busyChanged = Signal(bool)
    #: a run over every blog ended (after the pulls and the outbox)
    cycleFinished = Signal()

    def __init__(
        self,
        library: Any,
        secrets: Any,
        client_factory: Callable[[], Any] | None = None,
        parent: QObject | None = None,
        *,
        idle_poll: float = IDLE_POLL,
    ) -> None:
        super().__init__(parent)
        self.library = library
        self.secrets = secrets
        self._client_factory = client_factory
        self.idle_poll = idle_poll
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._passwords: dict[int, str] = {}
        self._declined: set[int] = set()
        self._asked: set[int] = set()
        self._pull_requests: set[int | None] = set()  # None: every blog
        self._thread: threading.Thread | None = None
        self._froze = False
        self._collected_at = time.monotonic()  # of the last `collect_frozen`
        self._client: Any | None = None
        self.engine: Any | None = None
        #: the `_GilYield` hook on the library's engine while the thread runs
        self.gil_yield: _GilYield | None = None
        self._gui_thread = threading.get_ident()  # set again by `start`

    # --- control, from the GUI thread ---------------------------------------------------------

    def start(self) -> None:
        """Start the thread (it runs due jobs at once)."""
        if self._thread is not None and self._thread.is_alive():
            return
        # What the app made so far (modules, widgets, mappers: about 150,000 objects once the
        # window is up) leaves the cyclic collector's care until `stop`. A full collection walks
        # every tracked object while holding the GIL, and the worker's allocations (a pull makes
        # thousands of rows and dicts) set one off now and then: *measured*, 110-140 ms in which
        # the window could not paint; with these objects frozen, 5-15 ms. What is made later
        # (the rest of start-up, each run's leftovers) is frozen too, after each full collection
        # and when a run starts (`_freeze_young`): otherwise the first full collection of a run
        # walked it all, 35-51 ms (*measured*, on the database worker). Only objects that are
        # alive then are frozen; those that become cyclic garbage later wait for `stop`.
        self._gui_thread = threading.get_ident()
        gc.freeze()
        if _freeze_after_full_collection not in gc.callbacks:
            gc.callbacks.append(_freeze_after_full_collection)
        self._froze = True
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sync-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Ask the thread to stop after its current request; True when it has."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        stopped = not thread.is_alive()
        if stopped:
            self._thread = None
        if self._froze:  # what was frozen is collected normally again (nothing leaks)
            self._froze = False
            if _freeze_after_full_collection in gc.callbacks:
                gc.callbacks.remove(_freeze_after_full_collection)
            gc.unfreeze()
        else:  # a request is still in flight: it ends with its timeout; its job is recovered
            log.warning("the sync worker did not stop within %.0f s", timeout)
        return stopped

    def collect_frozen(self, min_interval: float = COLLECT_FROZEN_EVERY) -> bool:
        """Collect what was frozen (see `start`) and freeze what is left, at most every
        `min_interval` seconds; True when it did. Frozen objects that became cyclic garbage
        would otherwise wait for `stop` (the end of the session): the window calls this when
        it goes to the background, where the pause (a full collection, 100 ms or more) is
        not seen."""
        now = time.monotonic()
        if not self._froze or now - self._collected_at < min_interval:
            return False
        self._collected_at = now
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        return True

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        """Look at the outbox now (after a job was written or retried)."""
        self._wake.set()

    def sync_now(self, blog_id: int | None = None) -> None:
        """Pull posts and terms of one blog (or every blog), then run the outbox."""
        with self._lock:
            self._pull_requests.add(blog_id)
        self._wake.set()

    def set_password(self, blog_id: int, password: str) -> None:
        """The password the user gave for this session; jobs of the blog run again."""
        with self._lock:
            self._passwords[blog_id] = password
            self._declined.discard(blog_id)
            self._asked.discard(blog_id)
        if self.engine is not None:
            self.engine.forget_connectors()
        self._wake.set()

    def decline_password(self, blog_id: int) -> None:
        """The user gave no password: the blog's jobs wait; nobody asks again this session."""
        with self._lock:
            self._declined.add(blog_id)

    def forget_blog(self, blog_id: int) -> None:
        """A removed blog (or a changed password): drop its connector and cached password."""
        with self._lock:
            self._passwords.pop(blog_id, None)
            self._declined.discard(blog_id)
            self._asked.discard(blog_id)
        if self.engine is not None:
            self.engine.forget_connectors()

    # --- the thread ---------------------------------------------------------------------------

    def _emit(self, signal_name: str, *args: Any) -> None:
        """Emit from the thread; once the QObject is gone (the app quit without stopping the
        worker) the thread stops instead of raising."""
        try:
            getattr(self, signal_name).emit(*args)
        except RuntimeError:
            self._stop.set()

    def _password(self, account: Any) -> str | None:
        with self._lock:
            known = self._passwords.get(account.id)
            if known is not None or account.id in self._declined:
                return known
        try:
            secret = self.secrets.get(account)
        except Exception as exc:  # noqa: BLE001 - a broken keyring means "ask the user"
            log.warning("keyring lookup for blog %s failed: %s", account.id, type(exc).__name__)
            secret = None
        if secret:
            with self._lock:
                self._passwords[account.id] = secret
        return secret

    def _connector(self, account: Any) -> Any:
        from desktop_blog.publish.errors import AuthError
        from desktop_blog.publish.sync import make_connector

        password = self._password(account)
        if password is None:  # the blog's jobs are skipped while it has none; a safety net
            raise AuthError(f"No password for the blog {account.name!r} in this session.")
        return make_connector(account, password, self._client)

    def _run(self) -> None:
        from desktop_blog.publish.http import make_client
        from desktop_blog.publish.sync import SyncEngine

        try:
            self._client = self._client_factory() if self._client_factory else make_client()
            self.engine = SyncEngine(self.library, self._connector)
        except Exception:
            log.exception("the sync worker could not start")
            return
        hooked = self._hook_gil_yield()
        try:
            while not self._stop.is_set():
                self._wake.clear()
                delay = self._cycle()
                if self._stop.is_set():
                    break
                timeout = self.idle_poll if delay is None else min(delay, self.idle_poll)
                if timeout > 0:
                    self._wake.wait(timeout)
        finally:
            if hooked is not None:
                hooked()
            self.engine.close()
            try:
                self._client.close()
            except Exception:  # noqa: BLE001 - closing on the way out
                pass

    def _hook_gil_yield(self) -> Callable[[], None] | None:
        """Hook `_GilYield` into the library's engine (for this thread, the database worker's
        and any other but the window's) while this thread runs; returns the unhook."""
        engine = getattr(self.library, "engine", None)
        if engine is None:  # a stand-in library (tests)
            return None
        from sqlalchemy import event

        hook = _GilYield(self._gui_thread)
        event.listen(engine, "before_cursor_execute", hook)
        self.gil_yield = hook

        def unhook() -> None:
            self.gil_yield = None
            try:
                event.remove(engine, "before_cursor_execute", hook)
            except Exception:  # noqa: BLE001 - the engine is gone with the library
                pass

        return unhook

    def _cycle(self) -> float | None:
        """One pass: requested pulls, then every blog's due jobs. Returns seconds until a job
        is due (None: nothing waits for a time)."""
        from desktop_blog.core import outbox, publishing
        from desktop_blog.publish.errors import PublishError

        engine = self.engine
        assert engine is not None
        with self._lock:
            pulls = set(self._pull_requests)
            self._pull_requests.clear()
        try:
            with self.library.session() as session:
                accounts = publishing.list_blog_accounts(session)
                waiting = {a.id: outbox.count_pending(session, a.id) > 0 for a in accounts}
        except Exception:
            log.exception("the sync worker could not read the blogs")
            return 5.0
        usable = []
        for account in accounts:
            wanted = waiting[account.id] or None in pulls or account.id in pulls
            if not wanted:
                continue
            if self._password(account) is not None:
                usable.append(account)
                continue
            with self._lock:
                ask = account.id not in self._declined and account.id not in self._asked
                if ask:
                    self._asked.add(account.id)
            if ask:
                self._emit("passwordNeeded", account)
        if not usable:
            self._emit("cycleFinished")
            return None
        self._emit("busyChanged", True)
        if self._froze:  # not after `stop` unfroze (a late run of a worker that did not stop)
            _freeze_young()
        delays: list[float] = []
        try:
            for account in usable:
                if self._stop.is_set():
                    break
                if None in pulls or account.id in pulls:
                    try:
                        report = engine.pull_posts(account.id)
                        self._emit("pullFinished", account.id, report, "")
                    except PublishError as exc:
                        self._emit("pullFinished", account.id, None, exc.user_message)
                    except Exception as exc:  # noqa: BLE001 - a bug: say so, keep the worker
                        log.exception("pulling blog %s failed", account.id)
                        self._emit(
                            "pullFinished",
                            account.id,
                            None,
                            f"Pulling failed: {type(exc).__name__}: {exc}",
                        )
                try:
                    engine.run_outbox(
                        self._stop, account.id, on_job=lambda o: self._emit("jobFinished", o)
                    )
                    due = engine.seconds_until_due(account.id)
                except Exception:
                    log.exception("the outbox of blog %s could not run", account.id)
                    due = 5.0
                if due is not None:
                    delays.append(due)
        finally:
            self._emit("busyChanged", False)
            self._emit("cycleFinished")
        return min(delays) if delays else None


def _freeze_young() -> None:
    """Before a run: collect the young generations (cheap: what they hold is garbage or soon
    old), then freeze what is alive, so that the run's full collections walk only what the run
    makes."""
    if gc.isenabled():
        gc.collect(1)
        gc.freeze()


__all__ = ["IDLE_POLL", "SyncWorker"]

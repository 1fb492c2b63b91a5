"""Background work with results handed back on the GUI thread.

Database work runs on one worker (SQLite likes one writer, and it keeps operations in order),
network work on a few. Callbacks always run on the GUI thread, through a queued signal.
The pattern is Anki's ``taskman`` and Picard's ``run_task``/``to_main``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal, Slot

log = logging.getLogger(__name__)
T = TypeVar("T")

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class TaskManager(QObject):
    """Runs callables off the GUI thread and calls back on it."""

    _to_main = Signal(object)
    # Emitted on the GUI thread whenever a task fails without an error callback.
    failed = Signal(object)

    def __init__(self, parent: QObject | None = None, *, synchronous: bool = False) -> None:
        super().__init__(parent)
        self.synchronous = synchronous
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db")
        self._net = ThreadPoolExecutor(max_workers=4, thread_name_prefix="net")
        self._to_main.connect(self._call, Qt.ConnectionType.QueuedConnection)
        self._closed = False

    @Slot(object)
    def _call(self, fn: Callable[[], None]) -> None:
        fn()

    def run_on_main(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` on the GUI thread (from any thread)."""
        self._to_main.emit(fn)

    def _submit(
        self,
        pool: ThreadPoolExecutor,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None,
        on_error: Failed | None,
    ) -> Future[T]:
        if self.synchronous or self._closed:
            future: Future[T] = Future()
            try:
                future.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed to the callback
                future.set_exception(exc)
            self._deliver(future, on_done, on_error)
            return future
        future = pool.submit(fn)
        future.add_done_callback(
            lambda f: self.run_on_main(lambda: self._deliver(f, on_done, on_error))
        )
        return future

    def _deliver(self, future: Future, on_done: Callable | None, on_error: Failed | None) -> None:
        exc = future.exception()
        if exc is not None:
            if on_error is not None:
                on_error(exc)
            else:
                log.error("background task failed", exc_info=exc)
                self.failed.emit(exc)
            return
        if on_done is not None:
            on_done(future.result())

    def run_db(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        on_error: Failed | None = None,
    ) -> Future[T]:
        """Run database work on the single database worker."""
        return self._submit(self._db, fn, on_done, on_error)

    def run_net(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        on_error: Failed | None = None,
    ) -> Future[T]:
        """Run network or other slow work on the shared pool."""
        return self._submit(self._net, fn, on_done, on_error)

    def shutdown(self, wait: bool = True) -> None:
        """Finish queued work (when ``wait``) and stop the workers; later tasks run inline."""
        self._closed = True
        self._db.shutdown(wait=wait)
        self._net.shutdown(wait=wait)

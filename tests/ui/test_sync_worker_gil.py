"""The sync worker lets go of the GIL for real between SQL statements, on its own thread only."""

from __future__ import annotations

import threading


def test_the_yield_hook_sleeps_after_enough_cpu_time_on_its_thread_only(monkeypatch) -> None:
    from desktop_blog.ui import sync_worker

    cpu = [10.0]
    slept: list[float] = []
    monkeypatch.setattr(sync_worker.time, "thread_time", lambda: cpu[0])
    monkeypatch.setattr(sync_worker.time, "sleep", slept.append)
    hook = sync_worker._GilYield()
    hook()  # not hooked to a thread yet: nothing
    assert slept == []
    hook.thread = threading.get_ident()
    hook()  # the first statement after the start: the CPU time since 0 counts
    assert slept == [sync_worker.YIELD_FOR]
    cpu[0] += sync_worker.YIELD_EVERY_CPU / 2
    hook()
    assert len(slept) == 1
    cpu[0] += sync_worker.YIELD_EVERY_CPU
    hook()
    assert len(slept) == 2
    cpu[0] += 2 * sync_worker.YIELD_EVERY_CPU
    other = threading.Thread(target=hook)  # another thread's statements are not its business
    other.start()
    other.join()
    assert len(slept) == 2


def test_the_hook_is_on_the_library_engine_while_the_worker_runs(tmp_path, qtbot) -> None:
    from sqlalchemy import event

    from desktop_blog.core import db
    from desktop_blog.ui.sync_worker import SyncWorker

    class NoSecrets:
        def get(self, _account):
            return None

    library = db.open_library(tmp_path)
    worker = SyncWorker(library, NoSecrets(), idle_poll=0.05)

    def hooked() -> bool:
        hook = worker.gil_yield
        return hook is not None and event.contains(library.engine, "before_cursor_execute", hook)

    try:
        worker.start()
        qtbot.waitUntil(hooked, timeout=5000)
        hook = worker.gil_yield
    finally:
        assert worker.stop()
        library.close()
    assert worker.gil_yield is None
    assert not event.contains(library.engine, "before_cursor_execute", hook)

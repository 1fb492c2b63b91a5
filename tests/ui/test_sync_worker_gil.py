"""The sync worker lets go of the GIL for real between SQL statements, on its own thread only."""

from __future__ import annotations

import threading


def test_the_yield_hook_sleeps_after_enough_cpu_time_off_the_window_thread(monkeypatch) -> None:
    from desktop_blog.publish import gil
    from desktop_blog.ui import sync_worker

    cpu = [10.0]
    slept: list[float] = []
    monkeypatch.setattr(gil.time, "thread_time", lambda: cpu[0])
    monkeypatch.setattr(gil.time, "sleep", slept.append)
    hook = sync_worker._GilYield(gui_thread=threading.get_ident())
    cpu[0] += 10 * gil.YIELD_EVERY_CPU
    hook()  # the window's thread: never
    assert slept == []

    def statements(times: list[float]) -> None:
        for t in times:
            cpu[0] = t
            hook()

    every = gil.YIELD_EVERY_CPU
    worker = threading.Thread(target=statements, args=([20.0, 20 + every / 2, 20 + every * 1.5],))
    worker.start()
    worker.join()
    # the first statement sets the mark; half the CPU time later, nothing; past it, a sleep
    assert slept == [gil.YIELD_FOR]


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


def test_frozen_cyclic_garbage_is_collected_when_the_window_goes_to_the_background(
    tmp_path, qtbot
) -> None:
    import gc
    import weakref

    from PySide6.QtCore import Qt

    from desktop_blog.core import db
    from desktop_blog.ui.sync_worker import SyncWorker

    class NoSecrets:
        def get(self, _account):
            return None

    class Node:
        pass

    library = db.open_library(tmp_path)
    worker = SyncWorker(library, NoSecrets(), idle_poll=0.05)
    try:
        worker.start()
        cycle = Node()
        cycle.me = cycle
        gone = weakref.ref(cycle)
        gc.freeze()  # as after a full collection while the worker runs
        del cycle
        gc.collect()
        assert gone() is not None  # frozen: the collector leaves it alone
        assert not worker.collect_frozen()  # too soon after start
        assert worker.collect_frozen(min_interval=0)
        assert gone() is None
    finally:
        assert worker.stop()
        library.close()

    # the publishing controller asks for it when the application leaves the foreground
    from desktop_blog.ui import publishing_ui

    asked: list[bool] = []

    class Stub:
        def collect_frozen(self) -> bool:
            asked.append(True)
            return True

    controller = type("C", (), {"worker": Stub()})()
    publishing_ui.PublishingController._on_application_state(
        controller, Qt.ApplicationState.ApplicationInactive
    )
    publishing_ui.PublishingController._on_application_state(
        controller, Qt.ApplicationState.ApplicationActive
    )
    assert asked == [True]

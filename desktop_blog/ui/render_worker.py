"""Markdown rendering off the GUI thread, coalesced (ReText's ``conversionPending`` pattern).

``submit(text)`` only stores the text and wakes the worker thread; it never waits. While one
render runs, newer submissions replace each other, and when that render finishes the newest text
is rendered next. So typing never queues work: however fast the keys come, at most one render is
running and one is waiting. There is no debounce delay; the first keystroke after a pause renders
at once.

Results come back on the GUI thread through ``rendered(result, generation)``; generations grow
with each ``submit``, so a receiver can tell which keystroke a result includes.

The renderer (``render.incremental.IncrementalRenderer`` by default) keeps its cache between
calls and is only ever used from the worker thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


WARM_UP = -1  # the generation of the warm-up sample, which is never emitted
WARM_UP_SAMPLE = "\n\n".join(
    [
        "# Warm up",
        "Some *text* with a [link](https://example.com) and `code`.",
        "- a list\n- of items",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "> a quote",
        *(
            f"```{lang}\nx = 1\n```"
            for lang in ("python", "javascript", "bash", "json", "css", "html")
        ),
    ]
)


class Renderer(Protocol):
    def render(self, text: str) -> Any: ...


def default_renderer() -> Renderer:
    """An ``IncrementalRenderer``; its first import holds ``render.codestyle.FIRST_USE``."""
    from desktop_blog.render.codestyle import under_first_use_lock

    def make() -> Renderer:
        from desktop_blog.render.incremental import IncrementalRenderer

        return IncrementalRenderer()

    return under_first_use_lock(make)


class RenderWorker(QObject):
    """Renders the newest submitted text on one background thread."""

    # (render result, generation of the text it was made from); on the GUI thread.
    rendered = Signal(object, int)
    # (message, generation) when the renderer raised; the worker carries on.
    failed = Signal(str, int)

    def __init__(self, renderer: Renderer | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # None: made by the thread on its first render, so that importing Markdown (tens of ms)
        # happens there and not on the GUI thread at start-up.
        self._renderer = renderer
        self._cond = threading.Condition()
        self._pending: tuple[str, int] | None = None
        self._generation = 0
        self._busy = False
        self._closed = False
        self._warm = False
        self._warm_keep = False
        self._warm_also: Callable[[], object] | None = None
        # Seconds the last render took on the worker thread (diagnostics, benchmarks).
        self.last_render_seconds = 0.0
        self._thread = threading.Thread(target=self._run, name="render", daemon=True)
        self._thread.start()
        # Not a bound method: by the time ``destroyed`` is emitted the wrapper may be gone.
        cond = self._cond

        def stop(*_args, worker=self) -> None:
            with cond:
                worker._closed = True
                cond.notify()

        self.destroyed.connect(stop)

    @property
    def generation(self) -> int:
        """The generation of the newest submitted text."""
        return self._generation

    def submit(self, text: str) -> int:
        """Queue ``text`` for rendering (replacing any text still waiting); returns its generation."""
        with self._cond:
            self._generation += 1
            self._pending = (text, self._generation)
            self._cond.notify()
            return self._generation

    def warm_up(self, text: str | None = None, also: Callable[[], object] | None = None) -> None:
        """Make the renderer and render a small sample with code blocks now, on the worker
        thread, so that the first real render does not pay for importing Markdown, building it
        and loading the common Pygments lexers (together some hundreds of ms on a cold start).
        Call it when the text is not there yet (the library is still opening).

        ``text``: render that instead of the sample and keep the renderer's state, so that
        submitting the same text next costs next to nothing (the post start-up showed from its
        cache). ``also`` runs on the worker thread after it (the preview's code CSS, say). The
        warm-up holds ``render.codestyle.FIRST_USE``, so no other thread imports Pygments or
        Markdown at the same time. Skipped when text is already waiting; nothing is emitted."""
        with self._cond:
            if self._pending is None and not self._warm:
                self._warm = True
                self._warm_keep = text is not None
                self._warm_also = also
                self._pending = (WARM_UP_SAMPLE if text is None else text, WARM_UP)
                self._cond.notify()

    def set_renderer(self, renderer: Renderer) -> None:
        """Use another renderer (for another document, say) from the next render on."""
        with self._cond:
            self._renderer = renderer

    def is_idle(self) -> bool:
        with self._cond:
            return not self._busy and self._pending is None

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread after the render in progress; pending text is dropped."""
        with self._cond:
            self._closed = True
            self._pending = None
            self._cond.notify()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _warm_up_with(self, renderer: Renderer, text: str) -> Any:
        from desktop_blog.render.codestyle import FIRST_USE

        # Lexers and styles load lazily during the first render: one thread at a time.
        with FIRST_USE:
            result = renderer.render(text)
            also = self._warm_also
            if also is not None:
                try:
                    also()
                except Exception:  # noqa: BLE001 - only a warm-up; done again when needed
                    log.exception("warming up failed")
        return result

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                text, generation = self._pending
                self._pending = None
                self._busy = True
                renderer = self._renderer
            started = time.perf_counter()
            try:
                if renderer is None:
                    renderer = default_renderer()
                    with self._cond:
                        if self._renderer is None:
                            self._renderer = renderer
                if generation == WARM_UP:
                    result = self._warm_up_with(renderer, text)
                else:
                    result = renderer.render(text)
            except Exception as exc:  # noqa: BLE001 - reported, and the next text is tried
                log.exception("rendering failed")
                result, error = None, f"{type(exc).__name__}: {exc}"
            else:
                error = None
            self.last_render_seconds = time.perf_counter() - started
            with self._cond:
                self._busy = False
                if self._closed:
                    return
            if generation == WARM_UP:
                if error is None and not self._warm_keep and hasattr(renderer, "reset"):
                    renderer.reset()  # the sample is no previous version of the post
                continue
            try:
                # Emitted from this thread to a QObject of the GUI thread: Qt queues it there.
                if error is None:
                    self.rendered.emit(result, generation)
                else:
                    self.failed.emit(error, generation)
            except RuntimeError:  # the C++ object is gone (window closed)
                return

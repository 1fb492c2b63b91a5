"""Fixtures for the main window's tests: a real window on a library of the test's own, with the
real TaskManager threads, and a helper that answers the dialogs the window asks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from desktop_blog.app import open_library_in_window
from desktop_blog.ui.main_window import MainWindow
from desktop_blog.ui.settings import Settings

READY_TIMEOUT_MS = 15_000


def without_preview(home: Path) -> None:
    """Start the window in ``home`` with its editor only (as a user who hid the preview would),
    unless its settings already say otherwise: QtWebEngine costs some hundreds of ms per window,
    and only the writing tests need it."""
    settings = Settings(home)
    if settings._qs.value("state/view_mode") is None:
        settings.view_mode = "editor"
        settings.sync()


@pytest.fixture
def make_window(qtbot, home: Path) -> Callable[..., MainWindow]:
    """``make_window(home=…, preview=False)``: a shown main window whose library is open, tree
    loaded; with ``preview=True`` it starts as a new user's does, with the preview beside the
    editor."""

    def make(where: Path | None = None, *, preview: bool = False) -> MainWindow:
        where = where or home
        if not preview:
            where.mkdir(parents=True, exist_ok=True)
            without_preview(where)
        window = MainWindow(where)
        qtbot.addWidget(window)
        window.show()
        with qtbot.waitSignal(window.libraryReady, timeout=READY_TIMEOUT_MS):
            open_library_in_window(window)
        shown = window.editor_panel.post_id
        if shown is not None:
            qtbot.waitUntil(lambda: window.tree.current_post_id() == shown, timeout=5000)
        return window

    return make


@pytest.fixture
def window(make_window) -> MainWindow:
    return make_window()

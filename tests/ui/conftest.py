"""Fixtures for the main window's tests: a real window on a library of the test's own, with the
real TaskManager threads, and a helper that answers the dialogs the window asks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from desktop_blog.app import open_library_in_window
from desktop_blog.ui.main_window import MainWindow

READY_TIMEOUT_MS = 15_000


@pytest.fixture
def make_window(qtbot, home: Path) -> Callable[..., MainWindow]:
    """``make_window(home=…)``: a shown main window whose library is open, tree loaded."""

    def make(where: Path | None = None) -> MainWindow:
        window = MainWindow(where or home)
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

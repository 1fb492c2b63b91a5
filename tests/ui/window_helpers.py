"""Helpers for the main window's tests (fixtures are in conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QInputDialog,
    QMessageBox,
    QWidget,
)

from desktop_blog.core import db, library
from desktop_blog.ui.main_window import MainWindow


def stored_post(home: Path, post_id: int) -> library.PostData:
    """The post as the database has it, through a new engine (nothing cached)."""
    lib = db.open_library(home)
    try:
        with lib.session() as session:
            return library.get_post(session, post_id)
    finally:
        lib.close()


def stored_ids(home: Path) -> set[int]:
    lib = db.open_library(home)
    try:
        with lib.session() as session:
            return {p.id for p in library.list_posts(session)}
    finally:
        lib.close()


def wait_saved(qtbot, window: MainWindow, timeout: int = 5000) -> None:
    qtbot.waitUntil(
        lambda: window.autosaver.state == "saved" and not window.autosaver.has_unsaved(),
        timeout=timeout,
    )


def _button(box: QWidget, text: str) -> QAbstractButton:
    for button in box.findChildren(QAbstractButton):
        if button.text().replace("&", "") == text:
            return button
    names = [b.text() for b in box.findChildren(QAbstractButton)]
    raise AssertionError(f"no button {text!r} in {names}")


@contextmanager
def answering(qtbot, *, button: str | None = None, text: str | None = None) -> Iterator[list]:
    """Answer the next modal dialog: click ``button``, or type ``text`` and accept.

    Yields a list that holds the dialog once it was seen (for assertions afterwards).
    """
    seen: list[QWidget] = []

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, poll)
            return
        seen.append(dialog)
        if isinstance(dialog, QInputDialog) and text is not None:
            dialog.setTextValue(text)
            dialog.accept()
        elif isinstance(dialog, QMessageBox) and button is not None:
            _button(dialog, button).click()
        elif isinstance(dialog, QDialog):
            dialog.reject()
        else:
            dialog.close()

    QTimer.singleShot(0, poll)
    yield seen
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)


def ctrl_click(qtbot, window: MainWindow, post_id: int) -> None:
    """Add a post to the tree's selection as a user does (Ctrl+click); the editor follows."""
    view = window.tree.view
    index = window.tree.model.index_of(post_id)
    view.scrollTo(index)
    QTest.mouseClick(
        view.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ControlModifier,
        view.visualRect(index).center(),
    )
    qtbot.waitUntil(lambda: window.editor_panel.post_id == post_id, timeout=5000)

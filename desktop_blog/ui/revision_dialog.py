"""Revision history: a post's snapshots, each compared side by side with the current text."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ..core import library
from ..core.db import Library
from ..render.diff import side_by_side
from .tasks import TaskManager

REASONS = {
    "periodic": "While writing",
    "trash": "Before moving to the trash",
    "delete": "Before deleting",
    "before-restore": "Before restoring an older version",
    "restored": "Restored",
    "cli-edit": "Before an edit from the command line",
    "autosave": "Saved",
}


class RevisionDialog(QDialog):
    """Lists a post's revisions; shows the chosen one beside the current text; restores it."""

    # The post as it is after a restore.
    restored = Signal(object)

    def __init__(
        self,
        library_: Library,
        tasks: TaskManager,
        post_id: int,
        current_title: str,
        current_body: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Revision history")
        self.resize(1000, 640)
        self._library = library_
        self._tasks = tasks
        self._post_id = post_id
        self._current_title = current_title
        self._current_body = current_body
        self._revisions: list[library.RevisionData] = []

        self.list = QListWidget()
        self.list.setMinimumWidth(220)
        self.old_view = QTextBrowser()
        self.new_view = QTextBrowser()
        for view in (self.old_view, self.new_view):
            view.setOpenLinks(False)
        self.summary = QLabel("Loading revisions…")

        left_box = QWidget()
        left_layout = QVBoxLayout(left_box)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("<b>Selected revision</b>"))
        left_layout.addWidget(self.old_view)
        right_box = QWidget()
        right_layout = QVBoxLayout(right_box)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(QLabel("<b>Current text</b>"))
        right_layout.addWidget(self.new_view)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.list)
        splitter.addWidget(left_box)
        splitter.addWidget(right_box)
        splitter.setSizes([220, 390, 390])

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.restore_button = self.buttons.addButton(
            "Restore this version", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.restore_button.setEnabled(False)
        self.restore_button.clicked.connect(self.restore_selected)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)

        self.list.currentRowChanged.connect(self._show)
        self._load()

    def _load(self) -> None:
        def read() -> list[library.RevisionData]:
            with self._library.session() as session:
                return library.list_revisions(session, self._post_id)

        self._tasks.run_db(read, self._loaded, self._failed)

    def _loaded(self, revisions: list[library.RevisionData]) -> None:
        self._revisions = revisions
        self.list.clear()
        for rev in revisions:
            when = rev.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            item = QListWidgetItem(f"{when}\n{REASONS.get(rev.reason, rev.reason)}")
            item.setData(Qt.ItemDataRole.UserRole, rev.id)
            self.list.addItem(item)
        if revisions:
            self.list.setCurrentRow(0)
        else:
            self.summary.setText("This post has no revisions yet.")

    def _failed(self, exc: BaseException) -> None:
        self.summary.setText(f"Could not read the revisions: {exc}")

    def _show(self, row: int) -> None:
        if row < 0 or row >= len(self._revisions):
            self.restore_button.setEnabled(False)
            return
        rev = self._revisions[row]
        old = f"{rev.title}\n\n{rev.body}"
        new = f"{self._current_title}\n\n{self._current_body}"
        left, right, changed = side_by_side(old, new)
        self.old_view.setHtml(left)
        self.new_view.setHtml(right)
        self.summary.setText(
            "Same as the current text."
            if changed == 0
            else f"{changed} line{'s' if changed != 1 else ''} differ from the current text."
        )
        self.restore_button.setEnabled(True)

    def selected_revision_id(self) -> int | None:
        item = self.list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def restore_selected(self) -> None:
        """Restore the selected revision (the current text is kept as a revision first)."""
        revision_id = self.selected_revision_id()
        if revision_id is None:
            return

        def restore() -> library.PostData:
            with self._library.session() as session:
                post = library.restore_revision(session, self._post_id, revision_id)
                session.commit()
                return post

        def done(post: library.PostData) -> None:
            self.restored.emit(post)
            self.accept()

        def failed(exc: BaseException) -> None:
            QMessageBox.warning(self, "Revision history", f"Could not restore: {exc}")

        self._tasks.run_db(restore, done, failed)

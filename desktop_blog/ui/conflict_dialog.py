"""The conflict dialog: the post changed on the blog since it was last synced.

Three read-only views side by side: the last-synced text, this computer's and the blog's, the
latter two with what differs from the last-synced one marked (`render.diff.side_by_side`). Below,
an editable merged text. Keep mine, Take theirs and Use merged call `core.conflicts` on the
database worker; nothing is sent from here: the job goes back to the outbox (keep mine, merged)
or is done (take theirs), and the worker is woken by whoever listens to `resolved`.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ..render.diff import STYLE, side_by_side

KEEP_MINE = "keep_mine"
TAKE_THEIRS = "take_theirs"
MERGED = "merged"


def _text(version: dict[str, Any]) -> str:
    return f"{version.get('title') or ''}\n\n{version.get('body') or ''}"


def _plain_html(text: str) -> str:
    lines = "".join(
        f'<div class="l">{html.escape(line) or "&#8203;"}</div>' for line in text.splitlines()
    )
    return STYLE + lines


def suggested_merge(conflict: dict[str, Any]) -> tuple[str, str]:
    """(title, body) to start the merged text from: the side that changed, when only one did;
    else this computer's text."""
    base, local, remote = conflict["base"], conflict["local"], conflict["remote"]
    if _text(local) == _text(base):
        return remote.get("title") or "", remote.get("body") or ""
    return local.get("title") or "", local.get("body") or ""


class ConflictDialog(QDialog):
    """Shows one job's conflict and resolves it."""

    #: (how: "keep_mine" | "take_theirs" | "merged", the job as it is now (JobData))
    resolved = Signal(str, object)

    def __init__(
        self,
        library: Any,
        tasks: Any,
        job_id: int,
        parent: QWidget | None = None,
        *,
        before_resolve: Any = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("conflictDialog")
        self.setWindowTitle("The post changed on the blog")
        self.resize(1100, 700)
        self.library = library
        self.tasks = tasks
        self.job_id = job_id
        self.conflict: dict[str, Any] | None = None
        # called on the GUI thread before a resolution is written (the window flushes its
        # autosaver, so the database has the editor's latest text first)
        self._before_resolve = before_resolve

        self.intro = QLabel("Reading the versions…")
        self.intro.setWordWrap(True)
        self.base_view = QTextBrowser()
        self.local_view = QTextBrowser()
        self.remote_view = QTextBrowser()
        columns = QSplitter(Qt.Orientation.Horizontal)
        for view, caption, name in (
            (self.base_view, "<b>Last synced</b>", "conflictBase"),
            (self.local_view, "<b>Mine</b> (this computer)", "conflictLocal"),
            (self.remote_view, "<b>Theirs</b> (on the blog)", "conflictRemote"),
        ):
            view.setObjectName(name)
            view.setOpenLinks(False)
            view.setReadOnly(True)
            box = QWidget()
            box_layout = QVBoxLayout(box)
            box_layout.setContentsMargins(0, 0, 0, 0)
            label = QLabel(caption)
            box_layout.addWidget(label)
            box_layout.addWidget(view, 1)
            columns.addWidget(box)
        self.remote_caption = label

        self.merged_title = QLineEdit()
        self.merged_title.setObjectName("conflictMergedTitle")
        self.merged_title.setPlaceholderText("Title")
        self.merged_body = QPlainTextEdit()
        self.merged_body.setObjectName("conflictMergedBody")
        merged_box = QWidget()
        merged_layout = QVBoxLayout(merged_box)
        merged_layout.setContentsMargins(0, 0, 0, 0)
        merged_layout.addWidget(QLabel("<b>Merged</b> (edit it, then Use merged)"))
        merged_layout.addWidget(self.merged_title)
        merged_layout.addWidget(self.merged_body, 1)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(columns)
        split.addWidget(merged_box)
        split.setSizes([420, 260])

        self.keep_button = QPushButton("&Keep Mine")
        self.keep_button.setObjectName("conflictKeepMine")
        self.keep_button.setToolTip("Send this computer's text over the blog's version")
        self.theirs_button = QPushButton("&Take Theirs")
        self.theirs_button.setObjectName("conflictTakeTheirs")
        self.theirs_button.setToolTip(
            "Replace this computer's text with the blog's (your text is kept as a revision)"
        )
        self.merged_button = QPushButton("&Use Merged")
        self.merged_button.setObjectName("conflictUseMerged")
        self.merged_button.setToolTip("Use the merged text here and send it to the blog")
        self.buttons = QDialogButtonBox()
        for button in (self.keep_button, self.theirs_button, self.merged_button):
            self.buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
            button.setEnabled(False)
        later = self.buttons.addButton("Decide &Later", QDialogButtonBox.ButtonRole.RejectRole)
        later.setObjectName("conflictLater")
        self.buttons.rejected.connect(self.reject)
        self.keep_button.clicked.connect(lambda: self.resolve(KEEP_MINE))
        self.theirs_button.clicked.connect(lambda: self.resolve(TAKE_THEIRS))
        self.merged_button.clicked.connect(lambda: self.resolve(MERGED))
        self.status = QLabel("")
        self.status.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(split, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)
        self._load()

    def _load(self) -> None:
        from ..core import conflicts

        job_id = self.job_id
        library = self.library

        def read() -> dict[str, Any]:
            with library.session() as session:
                return conflicts.get_conflict(session, job_id)

        self.tasks.run_db(read, self.show_conflict, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.intro.setText(f"This conflict cannot be shown: {exc}")

    def show_conflict(self, conflict: dict[str, Any]) -> None:
        """Fill the views from a job's ``payload["conflict"]``."""
        self.conflict = conflict
        base, local, remote = (_text(conflict[k]) for k in ("base", "local", "remote"))
        _, mine, local_changes = side_by_side(base, local)
        _, theirs, remote_changes = side_by_side(base, remote)
        self.base_view.setHtml(_plain_html(base))
        self.local_view.setHtml(mine)
        self.remote_view.setHtml(theirs)
        when = conflict["remote"].get("modified") or ""
        if when:
            self.remote_caption.setText(f"<b>Theirs</b> (on the blog, changed {when[:19]} UTC)")
        title, body = suggested_merge(conflict)
        self.merged_title.setText(title)
        self.merged_body.setPlainText(body)
        self.intro.setText(
            "This post was changed on the blog since it was last synced, so nothing was sent. "
            f"Yours differs from the last-synced text in {_lines(local_changes)}, the blog's in "
            f"{_lines(remote_changes)} (marked). Choose which to keep, or edit the merged text."
        )
        for button in (self.keep_button, self.theirs_button, self.merged_button):
            button.setEnabled(True)

    def resolve(self, how: str) -> None:
        """Write the choice (on the database worker); `resolved` follows, then the dialog
        closes."""
        from ..core import conflicts

        if self.conflict is None:
            return
        for button in (self.keep_button, self.theirs_button, self.merged_button):
            button.setEnabled(False)
        self.status.setText("Saving your choice…")
        if self._before_resolve is not None:
            self._before_resolve()
        job_id = self.job_id
        library = self.library
        text = self.merged_body.toPlainText()
        title = self.merged_title.text()

        def write() -> Any:
            with library.session() as session:
                if how == KEEP_MINE:
                    job = conflicts.keep_mine(session, job_id)
                elif how == TAKE_THEIRS:
                    job = conflicts.take_theirs(session, job_id)
                else:
                    job = conflicts.merged(session, job_id, text, title)
                session.commit()
                return job

        def done(job: Any) -> None:
            self.resolved.emit(how, job)
            self.accept()

        def failed(exc: BaseException) -> None:
            self.status.setText(f"Could not save your choice: {exc}")
            for button in (self.keep_button, self.theirs_button, self.merged_button):
                button.setEnabled(True)

        self.tasks.run_db(write, done, failed)


def _lines(n: int) -> str:
    return "no line" if n == 0 else ("1 line" if n == 1 else f"{n} lines")


__all__ = ["KEEP_MINE", "MERGED", "TAKE_THEIRS", "ConflictDialog", "suggested_merge"]

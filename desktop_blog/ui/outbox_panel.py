"""The outbox panel (a dock): what waits to go to the blogs, what failed and why.

Rows are the open jobs (waiting, sending, failed, in conflict) and the last few finished ones,
oldest first, each with its post, blog, action, state and the last error's message. Retry and
Cancel act on the selected job (`core.outbox.retry`/`cancel`); a job in conflict opens the
conflict dialog. The rows are read on the database worker; a reload asked for while one runs is
coalesced into one more after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

#: Finished jobs still listed (the newest), so the user sees what just went out.
RECENT_FINISHED = 20
#: New rows added to the table per turn of the event loop: a hundred jobs written at once took
#: the window's thread 20-40 ms to add, 25 at a time still 10-14 ms (*measured*, with the sync
#: worker busy).
ROWS_PER_TURN = 10

OPERATION_LABELS = {
    "publish": "Publish",
    "update": "Update",
    "trash": "Move to trash",
    "resolve_duplicates": "Check for duplicates",
}
STATE_LABELS = {
    "pending": "Waiting",
    "running": "Sending…",
    "done": "Done",
    "failed": "Failed",
    "cancelled": "Cancelled",
    "conflict": "Conflict",
}
COLUMNS = ("Post", "Blog", "Action", "State", "Message")


@dataclass(frozen=True)
class OutboxRow:
    """A job as the panel shows it."""

    job_id: int
    post_id: int | None
    post_title: str
    blog_name: str
    operation: str
    status: str  # the requested remote status of a publish job ("publish", "draft", "future")
    state: str
    attempts: int
    message: str
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class OutboxSnapshot:
    rows: list[OutboxRow]
    counts: dict[str, int]

    @property
    def waiting(self) -> int:
        """Jobs still to go out (pending or running), housekeeping excluded."""
        return sum(
            1
            for r in self.rows
            if r.state in ("pending", "running") and r.operation not in ("resolve_duplicates",)
        )


def read_outbox(library: Any) -> OutboxSnapshot:
    """The panel's rows (runs on the database worker): the open jobs and the last finished,
    with their posts' titles and blogs' names, in five statements of plain columns."""
    from sqlalchemy import select

    from desktop_blog.core import outbox
    from desktop_blog.core.models import Blog, Post

    posts, blogs_table = Post.__table__, Blog.__table__
    with library.session() as session:
        open_jobs = outbox.list_jobs(session)
        recent = outbox.recent_jobs(session, RECENT_FINISHED)
        jobs = sorted({j.id: j for j in (*open_jobs, *recent)}.values(), key=lambda j: j.id)
        post_ids = {j.post_id for j in jobs if j.post_id is not None}
        titles = dict(
            session.execute(select(posts.c.id, posts.c.title).where(posts.c.id.in_(post_ids))).all()
        )
        blogs = dict(session.execute(select(blogs_table.c.id, blogs_table.c.name)).all())
        counts = outbox.counts(session)
    rows = []
    for job in jobs:
        if job.post_id is None:
            title = "(a deleted post)"
        else:
            title = titles.get(job.post_id) or "(untitled)"
        payload = job.payload or {}
        rows.append(
            OutboxRow(
                job_id=job.id,
                post_id=job.post_id,
                post_title=title,
                blog_name=blogs.get(job.blog_id, "?"),
                operation=job.operation,
                status=str(payload.get("status") or ""),
                state=job.state,
                attempts=job.attempts,
                message=job.last_error or _result_text(payload),
                next_attempt_at=job.next_attempt_at,
            )
        )
    return OutboxSnapshot(rows, counts)


def _result_text(payload: dict) -> str:
    result = payload.get("result") or {}
    if result.get("link"):
        return str(result["link"])
    if result.get("resolved") == "take_theirs":
        return "Resolved: the blog's version was taken."
    return str(result.get("note") or "")


def action_label(row: OutboxRow) -> str:
    if row.operation == "publish":
        return {"draft": "Save as draft", "future": "Schedule"}.get(row.status, "Publish")
    return OPERATION_LABELS.get(row.operation, row.operation)


def state_label(row: OutboxRow, now: datetime | None = None) -> str:
    text = STATE_LABELS.get(row.state, row.state)
    if row.state == "pending" and row.next_attempt_at is not None:
        when = row.next_attempt_at
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if when > (now or datetime.now(UTC)):
            text = f"Waiting (next try {when.astimezone():%H:%M:%S})"
    if row.state in ("pending", "failed") and row.attempts > 1:
        text += f", {row.attempts} attempts"
    return text


class OutboxModel(QStandardItemModel):
    """The rows of an `OutboxSnapshot`, kept in a C++ model: painting and sizing the table then
    call no Python (each call back into Python from the GUI thread waits for the GIL, which the
    busy sync worker holds up to 5 ms at a time). A new snapshot changes only what changed:
    rows of jobs gone are removed, new ones inserted in id order, changed cells set."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self.rows: list[OutboxRow] = []
        self._texts: list[tuple[str, ...]] = []
        # the longest text of each sized column at the last sizing, in characters
        self._widest = [-1] * (len(COLUMNS) - 1)

    def mark_sized(self) -> None:
        """The columns were just sized to the rows' texts."""
        self._widest = [
            max((len(t[c]) for t in self._texts), default=0) for c in range(len(COLUMNS) - 1)
        ]

    def set_rows(self, rows: list[OutboxRow], max_new: int | None = None) -> tuple[bool, bool]:
        """Show these rows, adding at most `max_new` new ones (the rest wait for the next call).
        Returns (sized, done): sized when a cell the table sizes its columns by (all but the
        last) came or changed and is longer than any was at the last `mark_sized`; done when
        every row is shown."""
        now = datetime.now(UTC)
        keep = {r.job_id for r in rows}
        sized = False
        for r in range(len(self.rows) - 1, -1, -1):
            if self.rows[r].job_id not in keep:
                self.removeRow(r)
                del self.rows[r]
                del self._texts[r]
        # What is left is in id order, as the new rows are: each new row either is the model's
        # row at its place, or is new and goes there.
        added = 0
        for i, row in enumerate(rows):
            texts = (row.post_title, row.blog_name, action_label(row), state_label(row, now))
            texts += (row.message,)
            if i >= len(self.rows) or self.rows[i].job_id != row.job_id:
                if max_new is not None and added >= max_new:
                    return sized, False
                added += 1
                items = []
                for text in texts:
                    item = QStandardItem(text)
                    item.setEditable(False)
                    item.setData(row.job_id, Qt.ItemDataRole.UserRole)
                    if text:
                        item.setToolTip(text)
                    items.append(item)
                self.insertRow(i, items)
                self.rows.insert(i, row)
                self._texts.insert(i, texts)
                sized = sized or any(len(t) > w for t, w in zip(texts, self._widest, strict=False))
                continue
            old = self._texts[i]
            for c, text in enumerate(texts):
                if old[c] != text:
                    item = self.item(i, c)
                    item.setText(text)
                    item.setToolTip(text)
                    sized = sized or (c < len(self._widest) and len(text) > self._widest[c])
            self.rows[i] = row
            self._texts[i] = texts
        return sized, True


class OutboxPanel(QWidget):
    """The table of jobs with Retry, Cancel, Resolve and Sync Now."""

    retryRequested = Signal(int)
    cancelRequested = Signal(int)
    resolveRequested = Signal(int)
    syncRequested = Signal()
    #: after new rows are shown (the snapshot)
    refreshed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("outboxPanel")
        self.summary = QLabel("Nothing waits to be sent.")
        self.summary.setObjectName("outboxSummary")
        self.summary.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setObjectName("outboxProgress")
        self.progress.setMaximumHeight(14)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.model = OutboxModel(self)
        self.table = QTableView()
        self.table.setObjectName("outboxTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        # Widths from the contents once per reload, looking at a few rows only
        # (ResizeToContents would measure every row on every change).
        header.setResizeContentsPrecision(40)
        header.setStretchLastSection(True)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.retry_button = QPushButton("&Retry")
        self.retry_button.setObjectName("outboxRetry")
        self.cancel_button = QPushButton("&Cancel Job")
        self.cancel_button.setObjectName("outboxCancel")
        self.resolve_button = QPushButton("Resolve &Conflict…")
        self.resolve_button.setObjectName("outboxResolve")
        self.sync_button = QPushButton("&Sync Now")
        self.sync_button.setObjectName("outboxSync")
        buttons = QHBoxLayout()
        for button in (self.retry_button, self.cancel_button, self.resolve_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.sync_button)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.progress)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

        self.rows: list[OutboxRow] = []
        self.snapshot: OutboxSnapshot | None = None
        self._filling = False  # rows of the snapshot wait for the next turn of the event loop
        self.retry_button.clicked.connect(lambda: self._emit_for_selected(self.retryRequested))
        self.cancel_button.clicked.connect(lambda: self._emit_for_selected(self.cancelRequested))
        self.resolve_button.clicked.connect(lambda: self._emit_for_selected(self.resolveRequested))
        self.sync_button.clicked.connect(self.syncRequested.emit)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda index: self._double_clicked(index.row(), 0))
        self._update_buttons()

    # --- showing ------------------------------------------------------------------------------

    def show_snapshot(self, snapshot: OutboxSnapshot) -> None:
        """Show what `read_outbox` read, keeping the selected job selected. Many new rows are
        added `ROWS_PER_TURN` at a time, in later turns of the event loop (`rows` is what the
        table shows so far); `refreshed` is emitted once all are shown."""
        self.snapshot = snapshot
        if not self._filling:
            self._show_next()

    def _show_next(self) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            return
        selected = self.selected_job_id()
        # The model is C++: sizing from contents calls no Python, but measures the rows' text
        # (most of a reload's time, *measured*): only when a longer text came. Columns do not
        # shrink when rows go (jobs finish) until a longer text comes.
        sized, done = self.model.set_rows(list(snapshot.rows), ROWS_PER_TURN)
        self.rows = list(self.model.rows)
        if sized:
            header = self.table.horizontalHeader()
            for col in range(len(COLUMNS) - 1):
                self.table.resizeColumnToContents(col)
                header.resizeSection(col, min(header.sectionSize(col) + 12, 340))
            self.model.mark_sized()
        if selected is not None:
            self.select_job(selected)
        if selected is None or selected not in {r.job_id for r in self.rows}:
            self._select_first_needing_user()
        self.summary.setText(summary_text(snapshot))
        self._update_buttons()
        self._filling = not done
        if done:
            self.refreshed.emit(snapshot)
        else:  # the newest snapshot by then goes on
            QTimer.singleShot(0, self, self._show_next)  # not after the panel is gone

    def _select_first_needing_user(self) -> None:
        for r, row in enumerate(self.rows):
            if row.state in ("failed", "conflict"):
                self.table.selectRow(r)
                return

    def set_progress(self, sent: int, total: int) -> None:
        """`sent` of `total` jobs of the current run have gone out (hidden when nothing runs)."""
        if total <= 0 or sent >= total:
            self.progress.hide()
            return
        self.progress.setRange(0, total)
        self.progress.setValue(sent)
        self.progress.setFormat(f"{sent} of {total} sent")
        self.progress.show()

    # --- selection ----------------------------------------------------------------------------

    def row_of(self, job_id: int) -> int:
        for r, row in enumerate(self.rows):
            if row.job_id == job_id:
                return r
        return -1

    def select_job(self, job_id: int) -> bool:
        r = self.row_of(job_id)
        if r < 0:
            return False
        self.table.selectRow(r)
        return True

    def selected_job_id(self) -> int | None:
        row = self.selected_row()
        return None if row is None else row.job_id

    def selected_row(self) -> OutboxRow | None:
        selected = self.table.selectionModel().selectedRows()
        if not selected:
            return None
        r = selected[0].row()
        return self.rows[r] if 0 <= r < len(self.rows) else None

    def _emit_for_selected(self, signal: Any) -> None:
        job_id = self.selected_job_id()
        if job_id is not None:
            signal.emit(job_id)

    def _update_buttons(self, *_args: Any) -> None:
        row = self.selected_row()
        state = row.state if row is not None else None
        self.retry_button.setEnabled(state in ("pending", "failed", "cancelled"))
        self.cancel_button.setEnabled(state in ("pending", "failed", "conflict"))
        self.resolve_button.setEnabled(state == "conflict")

    def _double_clicked(self, r: int, _c: int) -> None:
        if 0 <= r < len(self.rows) and self.rows[r].state == "conflict":
            self.resolveRequested.emit(self.rows[r].job_id)


def summary_text(snapshot: OutboxSnapshot) -> str:
    """ "2 waiting, 1 failed, 1 in conflict", or that nothing waits."""
    parts = []
    if snapshot.waiting:
        parts.append(f"{snapshot.waiting} waiting")
    failed = snapshot.counts.get("failed", 0)
    conflicts = snapshot.counts.get("conflict", 0)
    if failed:
        parts.append(f"{failed} failed")
    if conflicts:
        parts.append(f"{conflicts} in conflict")
    if not parts:
        return "Nothing waits to be sent."
    return ", ".join(parts).capitalize() + "."


__all__ = [
    "OutboxPanel",
    "OutboxRow",
    "OutboxSnapshot",
    "action_label",
    "read_outbox",
    "state_label",
    "summary_text",
]

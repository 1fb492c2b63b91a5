"""The comment inbox's list model: ids only, rows read lazily into a small cache.

Like the post tree (``post_tree_model``) and Anki's browser table: the model holds the ids of
the comments its filter selects, newest first, ``BATCH`` at a time through
``canFetchMore``/``fetchMore``; what a row shows (a ``core.comments.CommentRow``) comes from an
LRU cache filled for a window of rows at once when ``data`` asks for a row that is not cached.
Pages of ids and windows of rows are small index reads (about a millisecond each), so they run
on the GUI thread through a short session of their own; the inbox runs searches and counts on
the database worker and hands the model a first page with ``set_filter(flt, ids)``.

Columns: author, excerpt (start of the text), post, date, state. Unread rows are bold.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont
from sqlalchemy.orm import Session

from desktop_blog.core import comments as core
from desktop_blog.core.comments import CommentFilter, CommentRow

BATCH = 200
ROW_CACHE = 1000
# Rows read around an uncached one (a tall list shows about 40).
WINDOW_BEFORE, WINDOW_AFTER = 30, 70

CommentIdRole = int(Qt.ItemDataRole.UserRole) + 1
StatusRole = int(Qt.ItemDataRole.UserRole) + 2
IsReadRole = int(Qt.ItemDataRole.UserRole) + 3

AUTHOR, EXCERPT, POST, DATE, STATE = range(5)
HEADERS = ("Author", "Comment", "Post", "Date", "State")
STATUS_NAMES = {"hold": "Pending", "approve": "Approved", "spam": "Spam", "trash": "Trash"}

_Index = QModelIndex | QPersistentModelIndex


class CommentTableModel(QAbstractTableModel):
    """Ids of one filter's comments, with their rows read on demand."""

    def __init__(self, sessions: Callable[[], Session] | None = None, parent=None) -> None:
        super().__init__(parent)
        self._sessions = sessions
        self._filter = CommentFilter()
        self._ids: list[int] = []
        self._rows_of: dict[int, int] | None = None
        self._more = False
        self._cache: OrderedDict[int, CommentRow] = OrderedDict()
        self._bold = QFont()
        self._bold.setBold(True)
        self.reads = 0  # database reads made by the model (pages and windows), for tests

    # --- what it shows ------------------------------------------------------------------------

    @property
    def filter(self) -> CommentFilter:
        return self._filter

    @property
    def ids(self) -> list[int]:
        """The ids loaded so far (a copy)."""
        return list(self._ids)

    def set_sessions(self, sessions: Callable[[], Session] | None) -> None:
        self._sessions = sessions
        self.set_filter(self._filter, [])

    def set_filter(
        self,
        flt: CommentFilter,
        ids: Sequence[int] | None = None,
        rows: Sequence[CommentRow] | None = None,
    ) -> None:
        """Show ``flt``'s comments. ``ids``: its first page, already read (else read here);
        ``rows``: rows already read for some of them (the first ones)."""
        if ids is None:
            ids = self._read_ids(flt, 0) if self._sessions is not None else []
        self.beginResetModel()
        self._filter = flt
        self._ids = list(ids)
        self._rows_of = None
        self._more = len(self._ids) >= BATCH
        self._cache.clear()
        for r in rows or ():
            self._cache[r.id] = r
        self.endResetModel()

    def _read_ids(self, flt: CommentFilter, offset: int) -> list[int]:
        assert self._sessions is not None
        self.reads += 1
        with self._sessions() as session:
            return core.comment_ids(session, flt, offset, BATCH)

    def comment_id(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, comment_id: int) -> int | None:
        """The row of a loaded comment, or None."""
        if self._rows_of is None:
            self._rows_of = {cid: row for row, cid in enumerate(self._ids)}
        return self._rows_of.get(comment_id)

    def row_data(self, row: int) -> CommentRow | None:
        """The cached or freshly read row (None past the end, or when it is gone)."""
        cid = self.comment_id(row)
        if cid is None:
            return None
        hit = self._cache.get(cid)
        if hit is not None:
            self._cache.move_to_end(cid)
            return hit
        self._load_window(row)
        return self._cache.get(cid)

    def _load_window(self, row: int) -> None:
        if self._sessions is None:
            return
        start = max(0, row - WINDOW_BEFORE)
        wanted = [i for i in self._ids[start : row + WINDOW_AFTER] if i not in self._cache]
        self.reads += 1
        with self._sessions() as session:
            rows = core.comment_rows(session, wanted)
        for r in rows:
            self._cache[r.id] = r
        while len(self._cache) > ROW_CACHE:
            self._cache.popitem(last=False)

    # --- local changes --------------------------------------------------------------------------

    def update_rows(
        self, ids: Sequence[int], *, status: str | None = None, is_read: bool | None = None
    ) -> None:
        """Show a change made through core.comments on rows that are loaded, without a read."""
        rows = []
        for cid in ids:
            row = self.row_of(cid)
            if row is None:
                continue
            cached = self._cache.get(cid)
            if cached is not None:
                changes = {}
                if status is not None:
                    changes["status"] = status
                if is_read is not None:
                    changes["is_read"] = is_read
                self._cache[cid] = replace(cached, **changes)
            rows.append(row)
        if rows:
            self.dataChanged.emit(self.index(min(rows), 0), self.index(max(rows), len(HEADERS) - 1))

    def forget(self, ids: Sequence[int]) -> None:
        """Drop cached rows (read again when next shown)."""
        rows = []
        for cid in ids:
            self._cache.pop(cid, None)
            row = self.row_of(cid)
            if row is not None:
                rows.append(row)
        if rows:
            self.dataChanged.emit(self.index(min(rows), 0), self.index(max(rows), len(HEADERS) - 1))

    # --- QAbstractItemModel -------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(HEADERS)

    def canFetchMore(self, parent: _Index) -> bool:  # noqa: N802
        return not parent.isValid() and self._more and self._sessions is not None

    def fetchMore(self, parent: _Index) -> None:  # noqa: N802
        if not self.canFetchMore(parent):
            return
        got = [i for i in self._read_ids(self._filter, len(self._ids)) if self.row_of(i) is None]
        self._more = len(got) >= BATCH
        if not got:
            self._more = False
            return
        # As qtbase's fetchmore example: rows start .. start + n - 1 under the root.
        start = len(self._ids)
        self.beginInsertRows(QModelIndex(), start, start + len(got) - 1)
        self._ids.extend(got)
        if self._rows_of is not None:
            self._rows_of.update((cid, start + k) for k, cid in enumerate(got))
        self.endInsertRows()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0):  # noqa: N802
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(HEADERS)
        ):
            return HEADERS[section]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.model() is not self:
            return None
        row = index.row()
        if role == CommentIdRole:
            return self.comment_id(row)
        if role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.FontRole,
            StatusRole,
            IsReadRole,
        ):
            return None
        r = self.row_data(row)
        if r is None:
            return None
        if role == Qt.ItemDataRole.FontRole:
            return None if r.is_read else self._bold
        if role == StatusRole:
            return r.status
        if role == IsReadRole:
            return r.is_read
        column = index.column()
        if role == Qt.ItemDataRole.ToolTipRole:
            return r.excerpt if column == EXCERPT else None
        if column == AUTHOR:
            return r.author or "(anonymous)"
        if column == EXCERPT:
            return r.excerpt
        if column == POST:
            return r.post_title
        if column == DATE:
            return r.date.astimezone().strftime("%Y-%m-%d %H:%M")
        if column == STATE:
            return STATUS_NAMES.get(r.status, r.status)
        return None

"""The post tree: a search box above a tree of libraries, status folders and posts.

The model (``post_tree_model``) keeps only ids and loads rows lazily. This widget owns the
selection: ``postSelected`` is emitted when the selected post changes (by a click, the keyboard,
``select_post``, or a refresh that had to move the selection, as after a delete) and never when
a refresh or a search only re-lays the tree around the same post.

Loading: the tree shows at once with its folders; counts and first pages come from one read on
the TaskManager's database worker (``load_snapshot``), which also runs every refresh and every
search. Requests carry a generation number: a result that a newer request has overtaken is
dropped, and a queued request skips its work when it is already stale. Since the database worker
runs tasks in order, a refresh asked for after a change always sees that change.

Search: typing filters the tree after ``SEARCH_DELAY_MS`` of quiet; folders then show their
match counts ("about …" for broad searches) and hold only matches, best first, and the folders
with matches are expanded. Clearing the box brings back the normal tree, with the folders that
were expanded before and the selected post selected again.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QIcon, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QMenu,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from desktop_blog.core import search

from .post_tree_model import (
    BlogIdRole,
    NodeKindRole,
    PostIdRole,
    PostTreeModel,
    Snapshot,
    StatusRole,
    UnreadCommentsRole,
    load_snapshot,
)

log = logging.getLogger(__name__)

SEARCH_DELAY_MS = 150
ICON_NAMES = {
    "library": "fa6s.computer",
    "blog": "fa6s.globe",
    "folder": "fa6s.folder",
    "trash": "fa6s.trash",
    "post": "fa6s.file-lines",
    "page": "fa6s.file",
}

__all__ = ["BlogIdRole", "NodeKindRole", "PostIdRole", "PostTree", "StatusRole"]


class UnreadBadgeDelegate(QStyledItemDelegate):
    """Paints a blog row's unread comments as a small rounded count at its right end."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        n = index.data(UnreadCommentsRole) or 0
        if not n:
            super().paint(painter, option, index)
            return
        text = f"{n:,}" if n < 10_000 else "9,999+"
        metrics = option.fontMetrics
        width = metrics.horizontalAdvance(text) + 10
        height = metrics.height()
        badge = option.rect.adjusted(option.rect.width() - width - 4, 0, -4, 0)
        badge.setTop(option.rect.center().y() - height // 2)
        badge.setHeight(height)
        narrowed = QStyleOptionViewItem(option)
        narrowed.rect = option.rect.adjusted(0, 0, -(width + 8), 0)
        super().paint(painter, narrowed, index)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = option.palette
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
        painter.drawRoundedRect(badge, height / 2, height / 2)
        painter.setPen(palette.color(QPalette.ColorRole.HighlightedText))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()


class PostTree(QWidget):
    """Search box + tree. See the module's docstring for how loading and selection work."""

    postSelected = Signal(object)
    # After the tree shows what a load, refresh or search read (the first one: counts shown).
    refreshed = Signal()

    def __init__(self, library, tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.tasks = tasks
        self.search_box = QLineEdit(self)
        self.search_box.setPlaceholderText("Search posts")
        self.search_box.setClearButtonEnabled(True)
        self.view = QTreeView(self)
        self.view.setHeaderHidden(True)
        self.view.setUniformRowHeights(True)
        # Several posts can be selected (Ctrl/Shift+click) to export them together; the
        # current one is the post the editor shows.
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.model = PostTreeModel(library, tasks, self)
        self.model.fetch_policy = self._near_the_end
        self.view.setModel(self.model)
        self.view.setItemDelegate(UnreadBadgeDelegate(self.view))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.search_box)
        layout.addWidget(self.view)

        self._actions: list[QAction] = []
        self._current_id: int | None = None
        self._pending_select: int | None = None
        self._applying = False
        self._generation = 0
        self._query: str | None = None  # the search asked for last (None: the normal tree)
        self._expanded_before_search: set[tuple[int | None, str]] | None = None
        self._icons_requested = False
        self._qta = None  # the qtawesome module, once loaded
        self._first_paint_done = False

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._search_now)
        self.search_box.textChanged.connect(self._on_text_changed)
        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.view.customContextMenuRequested.connect(self._show_menu)
        self.view.viewport().installEventFilter(self)
        self._end_check = QTimer(self)
        self._end_check.setSingleShot(True)
        self._end_check.setInterval(0)
        self._end_check.timeout.connect(self._fetch_near_ends)
        bar = self.view.verticalScrollBar()
        # (Not connected to start directly: valueChanged(int) would pick start(msec).)
        bar.valueChanged.connect(self._check_ends)
        bar.rangeChanged.connect(self._check_ends)
        self.view.expanded.connect(self._check_ends)

        self.view.expand(self.model.library_index(None))
        # First the newest ids alone (a few ms, even at 100,000 posts); the counts, and the
        # icons, once those rows are painted (_after_first_paint).
        self._request(counts=False)

    # --- the API the main window uses ----------------------------------------------------------

    def refresh(self, select: int | None = None) -> None:
        """Read counts and ids again after a change, keeping the selection (or selecting
        ``select``) and the expanded folders. A selected post that moved is selected in its
        new folder; one that was deleted gives way to its nearest neighbour."""
        if select is not None:
            self._pending_select = select
        self.model.forget_titles()
        if not self._first_paint_done:
            # The first load is still on its way, and a full one follows it: both read the
            # library after this change (the database worker runs tasks in order).
            return
        self._request()

    def select_post(self, post_id: int) -> None:
        """Expand the post's folder and select it, loading the folder down to it if needed.
        While searching, a post that is not among the matches ends the search."""
        index = self.model.index_of(post_id)
        if not index.isValid():
            if self.model.query is not None or self._query is not None:
                self._pending_select = post_id
                self.search_box.clear()  # asks for the normal tree, which selects it
                return
            index = self.model.ensure_loaded(post_id)
            if not index.isValid():
                return
        self._select_index(index)

    def current_post_id(self) -> int | None:
        return self._current_id

    def set_post_title(self, post_id: int, title: str) -> None:
        """Show a title being typed at once (no reload)."""
        self.model.set_title(post_id, title)

    def set_context_actions(self, actions: list[QAction]) -> None:
        """Actions shown on right-click."""
        self._actions = list(actions)

    def add_context_actions(self, actions: list[QAction]) -> None:
        """More actions on right-click, after a separator (for the window's features)."""
        separator = QAction(self)
        separator.setSeparator(True)
        self._actions += [separator, *actions]

    # --- loading -------------------------------------------------------------------------------

    def _request(self, counts: bool = True) -> None:
        """Read a snapshot on the database worker (``counts=False``: only the first ids)."""
        self._generation += 1
        generation = self._generation
        query = self._query
        wants = self.model.loaded_counts() if query == self.model.query else {}
        locate = self._pending_select if self._pending_select is not None else self._current_id
        cached = self.model.cached_ids()
        prime = self._expanded_folders() | ({(None, "draft")} if not self.model.loaded else set())
        lib = self.library

        def work(counts: bool = True) -> Snapshot | None:
            if generation != self._generation:
                return None  # overtaken while queued: skip the reads
            with lib.session() as session:
                snapshot = load_snapshot(
                    session,
                    query=query,
                    wants=wants,
                    locate=locate,
                    refresh=cached,
                    counts=counts,
                    prime=prime,
                )
            snapshot.generation = generation
            return snapshot

        self.tasks.run_db(lambda: work(counts), self._on_snapshot, self._on_load_failed)

    def _on_load_failed(self, exc: BaseException) -> None:
        log.warning("could not read the post tree: %s", exc)
        self._first_paint_done = True  # so that a later refresh() tries again

    def _on_snapshot(self, snapshot: Snapshot | None) -> None:
        if snapshot is None or snapshot.generation != self._generation:
            return
        first = not self.model.loaded
        previous_query = self.model.query
        was_searching = previous_query is not None
        before = self._current_id
        old_place = self.model.find(before) if before is not None else None
        if snapshot.query is not None and not was_searching:
            self._expanded_before_search = self._expanded_folders()
        self._applying = True
        try:
            self.model.apply_snapshot(snapshot)
            if first:
                self.view.expand(self.model.folder_index(None, "draft"))
            if snapshot.query is not None:
                self._expand_matches()
                if snapshot.query != previous_query:
                    # New matches: show the best ones (a selected match is scrolled to below).
                    self.view.scrollToTop()
            elif was_searching:
                self._restore_expansion()
            target = self._target_after(snapshot, before, old_place)
            if target is not _END_SEARCH and not self._show(target) and snapshot.query is None:
                target = None  # no such post (any more)
        finally:
            self._applying = False
        if not self._first_paint_done:
            if self.view.isVisible():
                QTimer.singleShot(100, self._after_first_paint)
            else:
                self._after_first_paint()
        elif all(f.total is not None for f in self.model.folders()):
            self._load_icons()
        if target is _END_SEARCH:
            return
        self._pending_select = None
        if target != before:
            self._current_id = target
            self.postSelected.emit(target)
        self.refreshed.emit()

    def _target_after(self, snapshot: Snapshot, before, old_place):
        """The post to select once ``snapshot`` is shown."""
        wanted = self._pending_select
        if wanted is not None:
            located = snapshot.located
            exists = located is None or located.post_id != wanted or located.exists
            if exists:
                if (
                    snapshot.query is not None
                    and wanted != before
                    and not self.model.index_of(wanted).isValid()
                ):
                    # A new post (say) that the search hides: show the whole tree.
                    self.search_box.clear()
                    return _END_SEARCH
                return wanted
        if before is None:
            return None
        located = snapshot.located
        if located is None or located.post_id != before or located.exists:
            return before
        # Deleted: its nearest neighbour in the folder it was in.
        if old_place is not None:
            folder, row = old_place
            if folder.ids:
                return folder.ids[min(row, len(folder.ids) - 1)]
        return None

    def _show(self, target: int | None) -> bool:
        """Make the view's selection match ``target`` (no signal: the caller decides).
        False when ``target`` is not in the tree."""
        selection = self.view.selectionModel()
        if target is None:
            if self._selected_post() is not None or self._current_id is not None:
                selection.clear()
            return True
        index = self.model.index_of(target)
        if not index.isValid() and self.model.query is None:
            index = self.model.ensure_loaded(target)
        if not index.isValid():
            selection.clear()  # hidden by the search (selected again when it ends), or gone
            return False
        if self._selected_post() != target:
            self._select_index(index)
        else:
            self._scroll_to(index)
        return True

    def _select_index(self, index: QModelIndex) -> None:
        parent = index.parent()
        while parent.isValid():
            self.view.expand(parent)
            parent = parent.parent()
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.view.selectionModel().setCurrentIndex(index, flags)
        self._scroll_to(index)

    def _scroll_to(self, index: QModelIndex) -> None:
        """Show ``index``: untouched if visible already, else in the middle of the view."""
        rect = self.view.visualRect(index)
        if rect.isValid() and self.view.viewport().rect().contains(rect):
            return
        self.view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    def _selected_post(self) -> int | None:
        selection = self.view.selectionModel()
        current = selection.currentIndex()
        if current.isValid() and selection.isRowSelected(current.row(), current.parent()):
            return current.data(PostIdRole)
        rows = selection.selectedRows()
        return rows[0].data(PostIdRole) if rows else None

    def selected_post_ids(self) -> list[int]:
        """Every post selected in the tree, in the tree's order."""
        rows = sorted(
            self.view.selectionModel().selectedRows(),
            key=lambda index: (self.view.visualRect(index).top(), index.row()),
        )
        return [i for i in (r.data(PostIdRole) for r in rows) if i is not None]

    def selected_statuses(self) -> set[str]:
        """The folders (statuses: draft, published, trash…) of the posts selected in the tree."""
        rows = self.view.selectionModel().selectedRows()
        return {s for s in (r.data(StatusRole) for r in rows if r.data(PostIdRole)) if s}

    def _on_selection_changed(self, *_args) -> None:
        if self._applying:
            return
        post_id = self._selected_post()
        if post_id != self._current_id:
            self._current_id = post_id
            self.postSelected.emit(post_id)

    def _near_the_end(self, folder: QModelIndex) -> bool:
        """Whether the last loaded row of an expanded folder is in view or less than a screen
        below it (then the next page may be fetched)."""
        if not self.view.isExpanded(folder):
            return False
        last = self.model.index(self.model.rowCount(folder) - 1, 0, folder)
        rect = self.view.visualRect(last)
        return (
            rect.isValid() and rect.bottom() >= 0 and rect.top() < 2 * self.view.viewport().height()
        )

    def _check_ends(self, *_args) -> None:
        self._end_check.start()

    def _fetch_near_ends(self) -> None:
        """Fetch the next page of every open folder whose end has come near: QTreeView only
        asks for the folder at the very bottom of the scroll, not one whose end shows above
        another folder."""
        for folder in self.model.folders():
            if folder.ids and not folder.complete and not folder.pending:
                index = self.model.folder_index(folder.library.blog_id, folder.status)
                if self.model.canFetchMore(index):
                    self.model.fetchMore(index)

    # --- search --------------------------------------------------------------------------------

    def _on_text_changed(self, text: str) -> None:
        if search.fts_query(text) is None:
            self._search_timer.stop()
            self._search_now()  # back to the whole tree at once
        else:
            self._search_timer.start()

    def _search_now(self) -> None:
        text = self.search_box.text().strip()
        query = text if search.fts_query(text) is not None else None
        if query == self._query:
            return
        self._query = query
        self._request()

    def _expanded_folders(self) -> set[tuple[int | None, str]]:
        return {
            (folder.library.blog_id, folder.status)
            for folder in self.model.folders()
            if self.view.isExpanded(self.model.folder_index(folder.library.blog_id, folder.status))
        }

    def _expand_matches(self) -> None:
        for folder in self.model.folders():
            if folder.total:
                index = self.model.folder_index(folder.library.blog_id, folder.status)
                self.view.expand(index.parent())
                self.view.expand(index)

    def _restore_expansion(self) -> None:
        before = self._expanded_before_search
        self._expanded_before_search = None
        if before is None:
            return
        for folder in self.model.folders():
            key = (folder.library.blog_id, folder.status)
            self.view.setExpanded(self.model.folder_index(*key), key in before)

    # --- icons and the context menu ------------------------------------------------------------

    def eventFilter(self, watched, event) -> bool:
        if (
            event.type() == QEvent.Type.Paint
            and self.model.loaded
            and not self._first_paint_done
            and watched is self.view.viewport()
        ):
            QTimer.singleShot(0, self._after_first_paint)
        return super().eventFilter(watched, event)

    def _after_first_paint(self) -> None:
        """The first rows are painted (or 100 ms went by, or nothing is shown): now count the
        folders; the icons come after the counts (QtAwesome's import holds the GIL for about
        250 ms, which would hold up both)."""
        if self._first_paint_done:
            return
        self._first_paint_done = True
        self.view.viewport().removeEventFilter(self)
        self._request()

    def _load_icons(self) -> None:
        if self._icons_requested:
            return
        self._icons_requested = True

        from .icons import load_qtawesome

        load_qtawesome(self._set_icons, self)

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        # A light or dark palette now: the icons take the text's colour again.
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._qta is not None:
            self._set_icons(self._qta)

    def _set_icons(self, qta) -> None:
        self._qta = qta
        color = self.view.palette().color(QPalette.ColorRole.Text).name()
        icons: dict[str, QIcon] = {
            kind: qta.icon(name, color=color) for kind, name in ICON_NAMES.items()
        }
        self.model.set_icons(icons)
        self.view.viewport().update()

    def _show_menu(self, pos) -> None:
        if not self._actions:
            return
        QMenu.exec(self._actions, self.view.viewport().mapToGlobal(pos), None, self)


_END_SEARCH = object()

"""The post tree's model: libraries, their four status folders, and the posts in each.

It keeps only ids. Each folder holds the ids loaded so far (newest first, or best first while
searching), ``BATCH`` at a time through ``canFetchMore``/``fetchMore``; what a row shows comes
from a small LRU cache of summaries, filled for a window of rows at once when ``data`` asks for
a row that is not cached (the pattern of Anki's browser table).

Where the reads run (*measured* on 100,000 posts): a page of ids takes about 1 ms, 200
summaries about 3 ms and finding a post's position in its folder a few ms, so ``fetchMore``,
``data`` and ``ensure_loaded`` read synchronously on the GUI thread through a short session of
their own (WAL: a reader never waits for the writer). Everything that grows with the library
runs on the TaskManager's database worker: the counts (``status_counts`` scans an index, about
15 ms at 100,000 posts), every search, and the pages of search results (``load_snapshot``,
applied with ``apply_snapshot``). A snapshot is applied as row removals, moves and insertions,
never a reset, so the view's selection and expanded folders survive it.

What does grow with the rows loaded: at every layout, QTreeView calls ``index`` and ``flags``
for each row of an open folder (about 10 µs a row here, against 6.5 µs for a model that does
nothing). So the first pages cost little, but ``select_post`` of a post 59,000 rows deep (its
folder loaded down to it) took about 0.8 s. A folder that jumps to a window of rows, with a gap
row in between, would remove that; not done yet.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    Qt,
)
from PySide6.QtGui import QIcon
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from desktop_blog.core import library as core
from desktop_blog.core import search
from desktop_blog.core.models import DRAFT, PUBLISHED, SCHEDULED, STATUSES, TRASH, Post

log = logging.getLogger(__name__)

BATCH = 200
SUMMARY_CACHE = 1000
PRIME_ROWS = 60  # more than a tall window shows
# Rows loaded around an uncached row: more below it, where scrolling usually goes.
WINDOW_BEFORE, WINDOW_AFTER = 50, 150

PostIdRole = int(Qt.ItemDataRole.UserRole) + 1
NodeKindRole = int(Qt.ItemDataRole.UserRole) + 2
StatusRole = int(Qt.ItemDataRole.UserRole) + 3
BlogIdRole = int(Qt.ItemDataRole.UserRole) + 4
#: A blog row's unread comments (spam and trash left out); 0 for other rows.
UnreadCommentsRole = int(Qt.ItemDataRole.UserRole) + 5

LIBRARY, FOLDER, POST = "library", "folder", "post"
PAGE = "page"  # a post row whose post is a page: its own icon
LOCAL_NAME = "On this computer"
UNTITLED = "Untitled"
FOLDER_NAMES = {DRAFT: "Drafts", SCHEDULED: "Scheduled", PUBLISHED: "Published", TRASH: "Trash"}
# Folder rows in this order under every library.
FOLDER_ORDER = STATUSES

FolderKey = tuple[int | None, str]  # (blog_id, status)
_NODE_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_POST_FLAGS = _NODE_FLAGS | Qt.ItemFlag.ItemNeverHasChildren


# --- what a database read hands to the GUI thread (plain data, made on any thread) ----------


@dataclass(frozen=True)
class FolderData:
    ids: list[int]
    total: int | None  # None: not counted (a quick first load)
    exact: bool = True


@dataclass(frozen=True)
class Located:
    """Where a post is: its folder and its row there (in the normal, newest-first order)."""

    post_id: int
    exists: bool
    blog_id: int | None = None
    status: str | None = None
    position: int = 0


@dataclass
class Snapshot:
    query: str | None
    blogs: list[tuple[int, str]]
    folders: dict[FolderKey, FolderData]
    located: Located | None = None
    # Fresh summaries of the posts the model had cached (None: deleted).
    summaries: dict[int, core.PostSummary | None] = field(default_factory=dict)
    # Summaries of the first rows of open folders, so their first paint reads nothing.
    primed: dict[int, core.PostSummary] = field(default_factory=dict)
    generation: int = 0


def _round_up(n: int) -> int:
    return -(-n // BATCH) * BATCH


def locate_post(session: Session, post_id: int) -> Located:
    """A post's folder and position (the row ``post_ids`` would give it), by index reads only."""
    row = session.execute(
        select(Post.blog_id, Post.status, Post.updated_at).where(Post.id == post_id)
    ).first()
    if row is None:
        return Located(post_id, False)
    blog_clause = Post.blog_id.is_(None) if row.blog_id is None else Post.blog_id == row.blog_id
    # The same order as core.library.post_ids: updated_at, then id, both descending.
    before = session.scalar(
        select(func.count())
        .select_from(Post)
        .where(
            blog_clause,
            Post.status == row.status,
            or_(
                Post.updated_at > row.updated_at,
                and_(Post.updated_at == row.updated_at, Post.id > post_id),
            ),
        )
    )
    return Located(post_id, True, row.blog_id, row.status, int(before or 0))


def load_snapshot(
    session: Session,
    *,
    query: str | None = None,
    wants: dict[FolderKey, int] | None = None,
    locate: int | None = None,
    refresh: Sequence[int] = (),
    counts: bool = True,
    prime: Sequence[FolderKey] = (),
) -> Snapshot:
    """Everything the tree shows at first: libraries, counts, and the first ids of each folder.

    ``query``: a search (folders then hold matches, best first, and their counts).
    ``wants``: how many ids to load per folder at least (to keep what a view has scrolled to).
    ``locate``: a post to find, loading its folder down to it (normal mode).
    ``refresh``: posts whose summaries to read again (those a model has cached).
    ``counts=False``: only the first ids, for a first paint (counting a large folder scans its
    index: about 15-40 ms at 100,000 posts); a full snapshot follows.
    ``prime``: folders (open in the view) whose first rows' summaries to read too.
    Runs on any thread: it takes its own session and returns plain data.
    """
    wants = wants or {}
    if query is not None and search.fts_query(query) is None:
        query = None
    blogs = [(b.id, b.name) for b in core.list_blogs(session)]
    located = locate_post(session, locate) if locate is not None else None
    folders: dict[FolderKey, FolderData] = {}
    for blog_id in [None] + [b[0] for b in blogs]:
        if query is None and not counts:
            for status in FOLDER_ORDER:
                ids = core.post_ids(session, blog_id, status, limit=BATCH)
                # A short page is the whole folder: then its count is known too.
                folders[(blog_id, status)] = FolderData(ids, len(ids) if len(ids) < BATCH else None)
        elif query is None:
            tallies = core.status_counts(session, blog_id)
            for status in FOLDER_ORDER:
                total = tallies.get(status, 0)
                want = max(BATCH, wants.get((blog_id, status), 0))
                if located is not None and located.exists:
                    if (located.blog_id, located.status) == (blog_id, status):
                        want = max(want, _round_up(located.position + 1))
                ids = (
                    core.post_ids(session, blog_id, status, limit=min(want, total)) if total else []
                )
                folders[(blog_id, status)] = FolderData(ids, total)
        else:
            overview, firsts = search.search_folders(session, query, blog_id=blog_id, limit=BATCH)
            for status in FOLDER_ORDER:
                ids = list(firsts.get(status, []))
                want = wants.get((blog_id, status), 0)
                if want > len(ids) == BATCH:
                    ids += search.search_ids(
                        session,
                        query,
                        blog_id=blog_id,
                        status=status,
                        limit=want - len(ids),
                        offset=len(ids),
                    )
                total = overview.counts.get(status, 0)
                folders[(blog_id, status)] = FolderData(ids, total, overview.exact)
    first_rows = [i for key in prime if key in folders for i in folders[key].ids[:PRIME_ROWS]]
    primed = core.summaries(session, first_rows)
    fresh: dict[int, core.PostSummary | None] = {}
    refresh = list(refresh)
    for start in range(0, len(refresh), 500):
        chunk = refresh[start : start + 500]
        got = core.summaries(session, chunk)
        fresh.update({i: got.get(i) for i in chunk})
    return Snapshot(query, blogs, folders, located, fresh, primed)


# --- the tree's nodes --------------------------------------------------------------------------


@dataclass(eq=False)
class FolderNode:
    key: int
    library: LibraryNode
    status: str
    ids: list[int] = field(default_factory=list)
    total: int | None = None  # None until the first snapshot
    exact: bool = True
    complete: bool = False  # every id is loaded
    pending: bool = False  # a page of search results is on its way


@dataclass(eq=False)
class LibraryNode:
    key: int
    blog_id: int | None
    name: str
    folders: list[FolderNode] = field(default_factory=list)


def about(n: int) -> str:
    """An estimate, rounded to two significant digits."""
    digits = len(str(n))
    return f"about {round(n, -(digits - 2)) if digits > 2 else n:,}"


class PostTreeModel(QAbstractItemModel):
    """Libraries > status folders > posts, loading ids lazily; see the module's docstring.

    An index's internal id is the key of its parent node (0 for a library row), so a post's
    index stays valid however far its folder has loaded.
    """

    def __init__(self, library, tasks=None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._library = library
        self._tasks = tasks
        self._next_key = 1
        self._nodes: dict[int, LibraryNode | FolderNode] = {}
        self._folder_keys: set[int] = set()  # a post's index has its folder's key
        self._libraries: list[LibraryNode] = [self._new_library(None, LOCAL_NAME)]
        self._summaries: OrderedDict[int, core.PostSummary | None] = OrderedDict()
        self._titles: dict[int, str] = {}  # typed but maybe not saved yet
        self._icons: dict[str, QIcon] = {}
        self._unread_comments: dict[int, int] = {}  # blog id -> unread comments
        self._epoch = 0  # bumped by every snapshot; late search pages of older ones are dropped
        self.query: str | None = None
        self.loaded = False  # a first snapshot was applied
        self.summary_loads = 0  # how many times data() went to the database (for tests)
        # Called with a folder's index by canFetchMore: may the view have more rows now?
        self.fetch_policy: Callable[[QModelIndex], bool] | None = None

    # --- nodes ---------------------------------------------------------------------------------

    def _new_library(self, blog_id: int | None, name: str) -> LibraryNode:
        lib = LibraryNode(self._take_key(), blog_id, name)
        self._nodes[lib.key] = lib
        for status in FOLDER_ORDER:
            folder = FolderNode(self._take_key(), lib, status)
            self._nodes[folder.key] = folder
            self._folder_keys.add(folder.key)
            lib.folders.append(folder)
        return lib

    def _take_key(self) -> int:
        key = self._next_key
        self._next_key += 1
        return key

    def _forget(self, lib: LibraryNode) -> None:
        self._nodes.pop(lib.key, None)
        for folder in lib.folders:
            self._nodes.pop(folder.key, None)
            self._folder_keys.discard(folder.key)

    def _node(self, index: QModelIndex) -> LibraryNode | FolderNode | None:
        """The library or folder an index stands for (None for a post or the root)."""
        if not index.isValid():
            return None
        key = index.internalId()
        if key == 0:
            return self._libraries[index.row()] if index.row() < len(self._libraries) else None
        parent = self._nodes.get(key)
        if isinstance(parent, LibraryNode):
            return parent.folders[index.row()]
        return None

    def _post_folder(self, index: QModelIndex) -> FolderNode | None:
        """The folder of a post's index (None for anything else)."""
        if not index.isValid() or index.internalId() == 0:
            return None
        node = self._nodes.get(index.internalId())
        return node if isinstance(node, FolderNode) else None

    def _folder_index(self, folder: FolderNode) -> QModelIndex:
        return self.createIndex(folder.library.folders.index(folder), 0, folder.library.key)

    def _library_index(self, lib: LibraryNode) -> QModelIndex:
        return self.createIndex(self._libraries.index(lib), 0, 0)

    def folder(self, blog_id: int | None, status: str) -> FolderNode | None:
        for lib in self._libraries:
            if lib.blog_id == blog_id:
                return lib.folders[FOLDER_ORDER.index(status)]
        return None

    def folders(self) -> list[FolderNode]:
        return [f for lib in self._libraries for f in lib.folders]

    def library_index(self, blog_id: int | None) -> QModelIndex:
        for row, lib in enumerate(self._libraries):
            if lib.blog_id == blog_id:
                return self.createIndex(row, 0, 0)
        return QModelIndex()

    def folder_index(self, blog_id: int | None, status: str) -> QModelIndex:
        folder = self.folder(blog_id, status)
        return QModelIndex() if folder is None else self._folder_index(folder)

    def index_of(self, post_id: int) -> QModelIndex:
        """The index of a loaded post (invalid when it is not loaded in any folder)."""
        for folder in self.folders():
            try:
                row = folder.ids.index(post_id)
            except ValueError:
                continue
            return self.createIndex(row, 0, folder.key)
        return QModelIndex()

    def find(self, post_id: int) -> tuple[FolderNode, int] | None:
        for folder in self.folders():
            try:
                return folder, folder.ids.index(post_id)
            except ValueError:
                continue
        return None

    def loaded_counts(self) -> dict[FolderKey, int]:
        return {(f.library.blog_id, f.status): len(f.ids) for f in self.folders()}

    # --- QAbstractItemModel --------------------------------------------------------------------

    # index, flags, rowCount and hasChildren run for every row a QTreeView lays out: they are
    # kept to a few dictionary look-ups (no hasIndex, which calls rowCount back in Python).

    def index(self, row: int, column: int = 0, parent: QModelIndex = QModelIndex()) -> QModelIndex:
        if column != 0 or row < 0:
            return QModelIndex()
        if not parent.isValid():
            if row < len(self._libraries):
                return self.createIndex(row, 0, 0)
            return QModelIndex()
        key = parent.internalId()
        if key:  # a folder's row: a post
            lib = self._nodes.get(key)
            if lib.__class__ is LibraryNode and parent.column() == 0:
                if row < len(lib.folders[parent.row()].ids):
                    return self.createIndex(row, 0, lib.folders[parent.row()].key)
            return QModelIndex()
        lib_row = parent.row()  # a library's row: a folder
        if lib_row < len(self._libraries) and parent.column() == 0 and row < len(FOLDER_ORDER):
            return self.createIndex(row, 0, self._libraries[lib_row].key)
        return QModelIndex()

    def parent(self, index: QModelIndex | None = None):  # type: ignore[override]
        if index is None:  # QObject.parent()
            return QObject.parent(self)
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        node = self._nodes.get(index.internalId())
        if isinstance(node, LibraryNode):
            return self._library_index(node)
        if isinstance(node, FolderNode):
            return self._folder_index(node)
        return QModelIndex()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        if not parent.isValid():
            return len(self._libraries)
        if parent.column() > 0:
            return 0
        node = self._node(parent)
        if isinstance(node, LibraryNode):
            return len(node.folders)
        if isinstance(node, FolderNode):
            return len(node.ids)
        return 0

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 1

    def hasChildren(self, parent: QModelIndex = QModelIndex()) -> bool:
        if not parent.isValid():
            return bool(self._libraries)
        if parent.column() > 0:
            return False
        node = self._node(parent)
        if isinstance(node, LibraryNode):
            return True
        if isinstance(node, FolderNode):
            return bool(node.ids) or (bool(node.total) and not node.complete)
        return False

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        if index.internalId() in self._folder_keys:
            return _POST_FLAGS
        return _NODE_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def canFetchMore(self, parent: QModelIndex) -> bool:
        folder = self._node(parent)
        if not isinstance(folder, FolderNode) or not self._more_to_fetch(folder):
            return False
        # Loaded rows cost a QTreeView Python calls at every layout, and QTreeView asks for
        # more on each layout of an expanded folder, not only at the end of the scroll: the
        # view may say when it wants more (PostTree: when the folder's end is near).
        return self.fetch_policy is None or not folder.ids or self.fetch_policy(parent)

    def _more_to_fetch(self, folder: FolderNode) -> bool:
        return folder.total is not None and not folder.complete and not folder.pending

    def fetchMore(self, parent: QModelIndex) -> None:
        folder = self._node(parent)
        if not isinstance(folder, FolderNode) or not self._more_to_fetch(folder):
            return
        key = (folder.library.blog_id, folder.status)
        offset = len(folder.ids)
        if self.query is None:
            # Pending while rows go in: a view (or the model tester) may ask for more from
            # inside beginInsertRows, and must not fetch the same page again.
            folder.pending = True
            try:
                with self._library.session() as session:
                    ids = core.post_ids(session, key[0], key[1], offset=offset, limit=BATCH)
                self._append(folder, ids)
            finally:
                folder.pending = False
            return
        # A page of search results can take tens of ms: the database worker fetches it.
        query, epoch, lib = self.query, self._epoch, self._library
        folder.pending = True

        def work() -> list[int]:
            with lib.session() as session:
                return search.search_ids(
                    session, query, blog_id=key[0], status=key[1], limit=BATCH, offset=offset
                )

        def done(ids: list[int]) -> None:
            if epoch == self._epoch:
                try:
                    self._append(folder, ids)
                finally:
                    folder.pending = False

        def failed(exc: BaseException) -> None:
            if epoch == self._epoch:
                folder.pending = False
                folder.complete = True
            log.warning("could not load more search results: %s", exc)

        if self._tasks is None:
            done(work())
        else:
            self._tasks.run_db(work, done, failed)

    def _append(self, folder: FolderNode, ids: Sequence[int]) -> None:
        """Add a page fetched after the loaded ones (as the C++ fetchmore example does)."""
        seen = set(folder.ids)
        new = [i for i in ids if i not in seen]
        if len(ids) < BATCH or not new:
            # The folder ended sooner than its count said (posts changed since): trust the rows.
            folder.complete = True
        if new:
            first = len(folder.ids)
            self.beginInsertRows(self._folder_index(folder), first, first + len(new) - 1)
            folder.ids.extend(new)
            self.endInsertRows()
        if folder.total is not None and folder.exact and len(folder.ids) >= folder.total:
            folder.complete = True
        if folder.complete and folder.exact and folder.total != len(folder.ids):
            folder.total = len(folder.ids)
            index = self._folder_index(folder)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DisplayRole])

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        key = index.internalId()
        if key == 0:
            if index.row() >= len(self._libraries):
                return None
            return self._library_data(self._libraries[index.row()], role)
        node = self._nodes.get(key)
        if isinstance(node, LibraryNode):
            return self._folder_data(node.folders[index.row()], role)
        if isinstance(node, FolderNode) and index.row() < len(node.ids):
            return self._post_data(node, index.row(), role)
        return None

    def set_unread_comments(self, by_blog: dict[int, int]) -> None:
        """Show each blog's unread comments on its row (``UnreadCommentsRole``, tooltip)."""
        by_blog = {b: n for b, n in by_blog.items() if n}
        if by_blog == self._unread_comments:
            return
        self._unread_comments = dict(by_blog)
        for lib in self._libraries:
            if lib.blog_id is not None:
                index = self._library_index(lib)
                self.dataChanged.emit(
                    index, index, [UnreadCommentsRole, Qt.ItemDataRole.ToolTipRole]
                )

    def unread_comments(self, blog_id: int | None) -> int:
        return self._unread_comments.get(blog_id, 0) if blog_id is not None else 0

    def _library_data(self, lib: LibraryNode, role: int):
        if role == Qt.ItemDataRole.DisplayRole:
            return lib.name
        if role == UnreadCommentsRole:
            return self.unread_comments(lib.blog_id)
        if role == Qt.ItemDataRole.ToolTipRole:
            n = self.unread_comments(lib.blog_id)
            if n:
                return f"{lib.name}: {n:,} unread comment{'s' if n != 1 else ''} (Ctrl+2)"
            return None
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icons.get(LIBRARY if lib.blog_id is None else "blog")
        if role == NodeKindRole:
            return LIBRARY
        if role == BlogIdRole:
            return lib.blog_id
        return None

    def _folder_data(self, folder: FolderNode, role: int):
        if role == Qt.ItemDataRole.DisplayRole:
            name = FOLDER_NAMES[folder.status]
            if folder.total is None:
                return name
            count = f"{folder.total:,}" if folder.exact else about(folder.total)
            return f"{name} ({count})"
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icons.get(TRASH if folder.status == TRASH else FOLDER)
        if role == NodeKindRole:
            return FOLDER
        if role == StatusRole:
            return folder.status
        if role == BlogIdRole:
            return folder.library.blog_id
        return None

    def _post_data(self, folder: FolderNode, row: int, role: int):
        post_id = folder.ids[row]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            title = self._titles.get(post_id)
            summary = None
            if title is None or role == Qt.ItemDataRole.ToolTipRole:
                summary = self._summary(folder, row)
                if title is None:
                    title = "(deleted)" if summary is None else summary.title
            title = title.strip() or UNTITLED
            if role == Qt.ItemDataRole.DisplayRole or summary is None:
                return title
            changed = summary.updated_at.astimezone().strftime("%Y-%m-%d %H:%M")
            kind = "Page · " if summary.kind == PAGE else ""
            return f"{title}\n{kind}Changed {changed}"
        if role == Qt.ItemDataRole.DecorationRole:
            # from the summary cache only (the display role has just filled it): no query
            summary = self._summaries.get(post_id)
            if summary is not None and summary.kind == PAGE:
                return self._icons.get(PAGE, self._icons.get(POST))
            return self._icons.get(POST)
        if role == PostIdRole:
            return post_id
        if role == NodeKindRole:
            return POST
        if role == StatusRole:
            return folder.status
        if role == BlogIdRole:
            return folder.library.blog_id
        return None

    # --- summaries -----------------------------------------------------------------------------

    def _summary(self, folder: FolderNode, row: int) -> core.PostSummary | None:
        post_id = folder.ids[row]
        if post_id in self._summaries:
            self._summaries.move_to_end(post_id)
            return self._summaries[post_id]
        window = folder.ids[max(0, row - WINDOW_BEFORE) : row + WINDOW_AFTER]
        missing = [i for i in window if i not in self._summaries]
        with self._library.session() as session:
            got = core.summaries(session, missing)
        self.summary_loads += 1
        for i in missing:
            summary = got.get(i)
            self._summaries[i] = summary
            if summary is not None and self._titles.get(i) == summary.title:
                del self._titles[i]  # saved: the database says the same now
        self._summaries.move_to_end(post_id)
        while len(self._summaries) > SUMMARY_CACHE:
            self._summaries.popitem(last=False)
        return self._summaries[post_id]

    def cached_summaries(self) -> int:
        return len(self._summaries)

    def cached_ids(self) -> list[int]:
        return list(self._summaries)

    def _refresh_summaries(self, fresh: dict[int, core.PostSummary | None]) -> None:
        """Take newer summaries; repaint only the rows whose summary changed."""
        for post_id, summary in fresh.items():
            if post_id not in self._summaries:
                continue
            if summary is not None and self._titles.get(post_id) == summary.title:
                del self._titles[post_id]
            if self._summaries[post_id] == summary:
                continue
            self._summaries[post_id] = summary
            found = self.find(post_id)
            if found is not None:
                index = self.createIndex(found[1], 0, found[0].key)
                self.dataChanged.emit(
                    index,
                    index,
                    [
                        Qt.ItemDataRole.DisplayRole,
                        Qt.ItemDataRole.ToolTipRole,
                        Qt.ItemDataRole.DecorationRole,
                    ],
                )

    def set_title(self, post_id: int, title: str) -> None:
        """Show ``title`` for a post at once, before it is saved."""
        self._titles[post_id] = title
        found = self.find(post_id)
        if found is not None:
            index = self.createIndex(found[1], 0, found[0].key)
            self.dataChanged.emit(
                index, index, [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole]
            )

    def forget_titles(self) -> None:
        self._titles.clear()

    def set_icons(self, icons: dict[str, QIcon]) -> None:
        """Icons by kind (library, blog, folder, trash, post). Library and folder rows are
        announced; post rows only need a repaint of the view (one dataChanged over thousands of
        rows costs a QTreeView tens of ms), which the PostTree does."""
        self._icons = dict(icons)
        roles = [Qt.ItemDataRole.DecorationRole]
        top = self.createIndex(0, 0, 0)
        self.dataChanged.emit(top, self.createIndex(len(self._libraries) - 1, 0, 0), roles)
        for lib in self._libraries:
            first, last = self.createIndex(0, 0, lib.key), self.createIndex(3, 0, lib.key)
            self.dataChanged.emit(first, last, roles)

    # --- applying what the database worker read ------------------------------------------------

    def apply_snapshot(self, snapshot: Snapshot) -> None:
        """Make the tree show ``snapshot`` through row removals, moves and insertions."""
        self._epoch += 1
        by_blog = {lib.blog_id: lib for lib in self._libraries}
        wanted = [by_blog[None]]
        renamed = []
        for blog_id, name in snapshot.blogs:
            lib = by_blog.get(blog_id)
            if lib is None:
                lib = self._new_library(blog_id, name)
            elif lib.name != name:
                lib.name = name
                renamed.append(lib)
            wanted.append(lib)
        gone = [lib for lib in self._libraries if lib not in wanted]
        self._sync_rows(QModelIndex(), 0, self._libraries, wanted)
        for lib in gone:
            self._forget(lib)
        for lib in renamed:
            index = self._library_index(lib)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DisplayRole])
        for lib in self._libraries:
            for folder in lib.folders:
                data = snapshot.folders.get((lib.blog_id, folder.status))
                if data is None:
                    continue
                index = self._folder_index(folder)
                folder.pending = False
                folder.total, folder.exact = data.total, data.exact
                self._sync_rows(index, folder.key, folder.ids, list(data.ids))
                if data.total is None:
                    folder.complete = False  # canFetchMore waits for the count
                elif data.exact:
                    folder.complete = len(folder.ids) >= data.total
                else:
                    folder.complete = len(folder.ids) < BATCH
                self.dataChanged.emit(index, index, [Qt.ItemDataRole.DisplayRole])
        self.query = snapshot.query
        self.loaded = True
        # Not one dataChanged over every row: QTreeView walks such a range row by row.
        self._refresh_summaries(snapshot.summaries)
        for post_id, summary in snapshot.primed.items():
            if post_id not in self._summaries:
                self._summaries[post_id] = summary
        while len(self._summaries) > SUMMARY_CACHE:
            self._summaries.popitem(last=False)

    def _sync_rows(self, parent: QModelIndex, parent_key: int, rows: list, new: list) -> None:
        """Turn ``rows`` (the children of ``parent``, changed in place) into ``new``.

        Removals first (in runs, bottom up), then a layout change when the rows that stay
        changed order (persistent indexes follow their rows), then insertions (in runs).
        """
        if rows == new:
            return
        keep = set(new)
        end = len(rows)
        while end > 0:
            if rows[end - 1] in keep:
                end -= 1
                continue
            start = end - 1
            while start > 0 and rows[start - 1] not in keep:
                start -= 1
            self.beginRemoveRows(parent, start, end - 1)
            del rows[start:end]
            self.endRemoveRows()
            end = start
        staying = set(rows)
        order = [k for k in new if k in staying]
        if order != rows:
            # (PySide6 only lets Python emit the argument-less form: the whole tree re-lays.)
            self.layoutAboutToBeChanged.emit()
            new_row = {k: r for r, k in enumerate(order)}
            old_rows = list(rows)
            rows[:] = order
            moved_from, moved_to = [], []
            for index in self.persistentIndexList():
                if index.internalId() == parent_key and index.row() < len(old_rows):
                    moved_from.append(index)
                    row = new_row[old_rows[index.row()]]
                    moved_to.append(self.createIndex(row, index.column(), parent_key))
            self.changePersistentIndexList(moved_from, moved_to)
            self.layoutChanged.emit()
        i = 0
        while i < len(new):
            if new[i] in staying:
                i += 1
                continue
            j = i
            while j + 1 < len(new) and new[j + 1] not in staying:
                j += 1
            self.beginInsertRows(parent, i, j)
            rows[i:i] = new[i : j + 1]
            self.endInsertRows()
            i = j + 1

    # --- loading on demand ---------------------------------------------------------------------

    def ensure_loaded(self, post_id: int) -> QModelIndex:
        """Load a post's folder down to it (normal mode; reads synchronously) and return its
        index; invalid when there is no such post or its library is not shown yet."""
        index = self.index_of(post_id)
        if index.isValid() or self.query is not None:
            return index
        with self._library.session() as session:
            located = locate_post(session, post_id)
            if not located.exists:
                return QModelIndex()
            folder = self.folder(located.blog_id, located.status)
            if folder is None:
                return QModelIndex()
            need = _round_up(located.position + 1) - len(folder.ids)
            ids = (
                core.post_ids(
                    session, located.blog_id, located.status, offset=len(folder.ids), limit=need
                )
                if need > 0
                else []
            )
        if ids and not folder.pending:
            seen = set(folder.ids)
            new = [i for i in ids if i not in seen]
            if new:
                first = len(folder.ids)
                self.beginInsertRows(self._folder_index(folder), first, first + len(new) - 1)
                folder.ids.extend(new)
                self.endInsertRows()
            if folder.total is not None and len(folder.ids) >= folder.total:
                folder.complete = True
        return self.index_of(post_id)

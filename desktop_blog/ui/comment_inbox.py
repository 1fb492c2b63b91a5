"""The comment inbox: filters with counts, search as you type, the list, and a safe detail view.

Layout: a row of filters (Pending, Approved, Spam, Trash, All, each with its count; a blog; a
post; unread only; search), the list (``comment_model.CommentTableModel``: ids only, rows read
lazily), and below it the detail of the current comment with its thread, and a reply box.

Safety of the detail view (issue 6, "Reading a comment"):

- Comments are sanitized by ``render.sanitize`` (nh3) before they reach the view.
- The view's page has JavaScript, images, plugins, WebGL, local-to-remote access and window
  opening off, and its shell page carries a Content Security Policy that forbids every request
  (``default-src 'none'``). The shell (small) is loaded once with ``setHtml``; each comment's
  body is then put in place from the ApplicationWorld (``runJavaScript`` works there with the
  page's JavaScript off, and what it puts in place runs nothing), so a 1 MB comment shows whole
  (``setHtml`` stops at 2 MB) and J shows the next comment in a few ms.
- A ``QWebEngineUrlRequestInterceptor`` on the page blocks, and counts in ``blocked_requests``,
  every request but the view's own ``setHtml``.
- Navigation never leaves the page: a clicked http(s)/mailto link goes to ``open_url`` (the
  system browser by default) and nothing else navigates.
- A new list (filter, search) paints first; its first comment's detail follows
  ``DETAIL_AFTER_LIST_MS`` later. Showing a comment marks it read.

Keyboard (the list, the detail view or a button focused; a text field keeps its letters): J/K
next/previous, A approve, S spam, D trash, U mark unread, Z undo the last action, R reply
(Ctrl+Return sends, Esc closes).
Buttons under the list do the same and more: unapprove, not spam, restore, delete for good
(asks first), reply, edit. Actions change the local state at once and write their outbox jobs
in the same transaction (``core.comments.moderate``, ``delete_forever``, ``edit_content``, on the
database worker), then emit ``actionRequested(ids, action)`` so the app runs the outbox; a reply
emits ``replyRequested(comment_id, markdown)`` and the app queues it
(``core.comments.queue_reply``). Undo writes and emits the reverse action (a change still
waiting in the outbox is cancelled instead).

Where the reads run: pages of ids and windows of rows are read on the GUI thread by the model
(about a millisecond); the counts (from ``comment_counts``, a few rows) with them when no search
is typed; every search (debounced), and every comment's detail (a 1 MB comment takes ~100 ms to
sanitize), on the TaskManager's database worker, applied only if still wanted.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QDesktopServices, QKeyEvent
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineScript,
    QWebEngineSettings,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
)
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_blog.core import comments as core
from desktop_blog.core.comments import CommentDetail, CommentFilter, FilterCounts, Thread
from desktop_blog.render import sanitize

from .comment_model import BATCH, DATE, EXCERPT, POST, STATE, STATUS_NAMES, CommentTableModel
from .tasks import TaskManager

log = logging.getLogger(__name__)

# Filter buttons, in order: (label, status; None = all).
FILTERS = (
    ("Pending", core.HOLD),
    ("Approved", core.APPROVE),
    ("Spam", core.SPAM),
    ("Trash", core.TRASH),
    ("All", None),
)
SEARCH_DEBOUNCE_MS = 150
# After a new list (filter, search), its first comment's detail is read this much later, so the
# list paints first (J and clicks show a comment at once).
DETAIL_AFTER_LIST_MS = 40
# Rows of a search's first page read on the database worker with it.
PRIME_ROWS = 70
EXTERNAL_SCHEMES = {"http", "https", "mailto"}
APP_WORLD = QWebEngineScript.ScriptWorldId.ApplicationWorld
BLANK = "about:blank"
ACTION_NAMES = {
    core.APPROVE: "Approved",
    core.HOLD: "Unapproved",
    core.SPAM: "Marked as spam",
    core.TRASH: "Trashed",
}


# --- the detail view --------------------------------------------------------------------------


class RequestCounter(QWebEngineUrlRequestInterceptor):
    """Lets through only the view's own documents; blocks and records every other request."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.allow_next = 0  # main-frame loads of the view's own documents (setHtml)
        self.blocked: list[str] = []

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:  # noqa: N802
        url = info.requestUrl().toString()
        if (
            self.allow_next
            and info.resourceType() == QWebEngineUrlRequestInfo.ResourceType.ResourceTypeMainFrame
            and info.requestUrl().scheme() == "data"
        ):
            self.allow_next -= 1
            return
        info.block(True)
        self.blocked.append(url)
        log.warning("inbox detail: blocked a request to %s", url[:200])


_OFF = (
    QWebEngineSettings.WebAttribute.JavascriptEnabled,
    QWebEngineSettings.WebAttribute.JavascriptCanOpenWindows,
    QWebEngineSettings.WebAttribute.JavascriptCanAccessClipboard,
    QWebEngineSettings.WebAttribute.AutoLoadImages,
    QWebEngineSettings.WebAttribute.PluginsEnabled,
    QWebEngineSettings.WebAttribute.WebGLEnabled,
    QWebEngineSettings.WebAttribute.Accelerated2dCanvasEnabled,
    QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls,
    QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls,
    QWebEngineSettings.WebAttribute.HyperlinkAuditingEnabled,
    QWebEngineSettings.WebAttribute.DnsPrefetchEnabled,
    QWebEngineSettings.WebAttribute.NavigateOnDropEnabled,
    QWebEngineSettings.WebAttribute.ErrorPageEnabled,
    QWebEngineSettings.WebAttribute.AutoLoadIconsForPage,
    QWebEngineSettings.WebAttribute.PdfViewerEnabled,
)


class DetailPage(QWebEnginePage):
    """Shows only the pages it is given; a clicked outside link is handed out."""

    linkActivated = Signal(QUrl)

    def __init__(self, profile: QWebEngineProfile, parent: QObject | None = None) -> None:
        super().__init__(profile, parent)
        self.counter = RequestCounter(self)
        self.setUrlRequestInterceptor(self.counter)
        settings = self.settings()
        for attribute in _OFF:
            settings.setAttribute(attribute, False)
        self._expecting = 0

    def acceptNavigationRequest(  # noqa: N802 - Qt's name
        self, url: QUrl | str, nav_type: QWebEnginePage.NavigationType, is_main_frame: bool
    ) -> bool:
        url = QUrl(url)
        if nav_type == QWebEnginePage.NavigationType.NavigationTypeLinkClicked:
            if url.scheme().lower() in EXTERNAL_SCHEMES:
                self.linkActivated.emit(url)
            return False
        if is_main_frame and self._expecting:
            self._expecting -= 1
            return True
        return False

    def expect_load(self) -> None:
        """The next main-frame navigation is our own ``setHtml``: let it (and its request)
        through."""
        # Only the newest: a setHtml replaces any load still in progress.
        self._expecting = 1
        self.counter.allow_next = 1

    def createWindow(self, _type) -> None:  # noqa: N802 - Qt's name
        return None


class CommentDetailView(QWebEngineView):
    """The detail view: sanitized HTML only, no script, no request but the page itself.

    A shell page (stylesheet, Content Security Policy, empty body) is loaded once; each comment
    then replaces the body from the ApplicationWorld (``runJavaScript`` works there with the
    page's JavaScript off, and markup put in place that way runs nothing). *Measured* on 1M
    comments: a page load per comment took 60-110 ms, a body swap a few ms.
    """

    shown = Signal(int)  # the serial of a page or body that is now in place

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._page = DetailPage(QWebEngineProfile.defaultProfile(), self)
        self.setPage(self._page)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.serial = 0  # of what was shown last, a page or a body
        self._shell_ready = False
        self._loading_shell = False
        self._queued: tuple[int, str, str] | None = None
        self._page.loadFinished.connect(self._loaded)
        self.linkActivated = self._page.linkActivated

    @property
    def blocked_requests(self) -> list[str]:
        """Every request the page tried other than itself (should stay empty)."""
        return self._page.counter.blocked

    def show_html(self, document: str, *, shell: bool = False) -> int:
        """Load ``document`` (a whole, already safe page, under 2 MB). Returns its serial."""
        self.serial += 1
        self._shell_ready = False
        self._loading_shell = shell
        self._page.expect_load()
        self._page.setHtml(document, QUrl(BLANK))
        return self.serial

    def show_body(self, body: str, title: str) -> int:
        """Put ``body`` (already sanitized markup) in the shell page. Returns its serial."""
        if not shiboken6.isValid(self._page):  # a late callback while the view is deleted
            return self.serial
        self.serial += 1
        if not self._shell_ready:
            self._queued = (self.serial, body, title)
            if not self._loading_shell:
                serial = self.serial
                self.show_html(sanitize.page("", title=title), shell=True)
                self.serial = serial
            return self.serial
        self._swap(self.serial, body, title)
        return self.serial

    def _swap(self, serial: int, body: str, title: str) -> None:
        script = (
            "(() => { document.body.innerHTML = "
            + json.dumps(body)
            + "; document.title = "
            + json.dumps(title)
            + "; window.scrollTo(0, 0); return 1; })()"
        )
        self._page.runJavaScript(script, APP_WORLD, lambda r, s=serial: self._swapped(s, r))

    def _swapped(self, serial: int, result) -> None:
        # A page being deleted calls its pending callbacks with no result: the view is going.
        if result is None or not shiboken6.isValid(self):
            return
        if serial == self.serial:
            self.shown.emit(serial)

    def _loaded(self, ok: bool) -> None:
        if not ok:
            log.warning("inbox detail: page %s did not load", self.serial)
            return
        if self._loading_shell:
            self._loading_shell = False
            self._shell_ready = True
            if self._queued is not None:
                queued, self._queued = self._queued, None
                self._swap(*queued)
            return
        self.shown.emit(self.serial)

    def clear_page(self) -> None:
        self.show_body("", "Comment")


def _link(url: str) -> str:
    """A sanitized link to ``url`` (nothing when it is not http(s)/mailto)."""
    if not url:
        return ""
    quoted = html.escape(url, quote=True)
    return sanitize.sanitize_comment(f'<a href="{quoted}">{quoted}</a>')


def _date(value) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else ""


def detail_html(detail: CommentDetail, thread: Thread | None = None) -> str:
    """The detail page of a comment, whole (see ``detail_body``)."""
    return sanitize.page(detail_body(detail, thread), title=f"Comment {detail.id}")


def detail_body(detail: CommentDetail, thread: Thread | None = None) -> str:
    """The body of a comment's detail page: who wrote it, where, its thread, and its text,
    sanitized."""
    e = sanitize.escape_text
    meta = [
        ("Author", e(detail.author_name) or "(anonymous)"),
        ("E-mail", _link(f"mailto:{detail.author_email}") if detail.author_email else ""),
        ("Web site", _link(detail.author_url)),
        ("Address", e(detail.author_ip)),
        ("Date", _date(detail.date)),
        ("State", STATUS_NAMES.get(detail.status, e(detail.status))),
        ("Post", e(detail.post_title) or "(not in the library)"),
        ("Blog", e(detail.blog_name)),
    ]
    parts = [
        '<dl class="db-meta">'
        + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in meta if v)
        + "</dl>"
    ]
    if thread is not None:
        for parent in thread.parents:
            parts.append(
                f'<div class="db-comment db-thread-parent"><span class="db-author">'
                f"{e(parent.author)}</span> {_date(parent.date)}<div>{e(parent.excerpt)}</div></div>"
            )
    parts.append(
        f'<div class="db-comment db-current">{sanitize.sanitize_comment(detail.content)}</div>'
    )
    if thread is not None:
        for depth, reply in thread.replies:
            parts.append(
                f'<div class="db-comment db-thread-reply" style="margin-left:{min(depth, 8) * 16}px">'
                f'<span class="db-author">{e(reply.author)}</span> {_date(reply.date)}'
                f"<div>{e(reply.excerpt)}</div></div>"
            )
    return "".join(parts)


# --- the inbox --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Undo:
    kind: str  # "status" or "read"
    previous: dict


class CommentInbox(QWidget):
    """The inbox panel. ``set_library`` shows a library's comments."""

    replyRequested = Signal(int, str)
    actionRequested = Signal(list, str)
    countsChanged = Signal(object)  # FilterCounts
    unreadChanged = Signal(int)
    listReady = Signal()  # a filter or search has been applied to the list
    detailShown = Signal(int)  # the comment whose detail finished loading

    def __init__(
        self,
        tasks: TaskManager,
        parent: QWidget | None = None,
        *,
        open_url: Callable[[QUrl], object] = QDesktopServices.openUrl,
    ) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.open_url = open_url
        self._library = None
        self._post_filter: tuple[int, str] | None = None
        self._search_generation = 0
        self._detail_generation = 0
        self._shown_comment: int | None = None
        self._pending_detail: dict[int, int] = {}  # page serial -> comment id
        self._undo: list[_Undo] = []
        self.counts = FilterCounts({})

        self.model = CommentTableModel(parent=self)
        self._build()
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self._start_search)
        self._defer_detail = False
        self._detail_timer = QTimer(self, singleShot=True, interval=DETAIL_AFTER_LIST_MS)
        self._detail_timer.timeout.connect(self._show_current_detail)
        self._keys: dict[int, Callable[[], None]] = {
            Qt.Key.Key_J: self.next_comment,
            Qt.Key.Key_K: self.previous_comment,
            Qt.Key.Key_A: lambda: self.apply_status(core.APPROVE),
            Qt.Key.Key_S: lambda: self.apply_status(core.SPAM),
            Qt.Key.Key_D: lambda: self.apply_status(core.TRASH),
            Qt.Key.Key_U: self.mark_unread,
            Qt.Key.Key_Z: self.undo,
            Qt.Key.Key_R: self.start_reply,
        }
        # The list would use letters for its keyboard search: the filter takes them first.
        self.table.installEventFilter(self)

    def _key(self, event: QKeyEvent) -> bool:
        """Run the command of a plain letter key; True when it was one."""
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if modifiers not in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier):
            return False
        slot = self._keys.get(event.key())
        if slot is None:
            return False
        slot()
        return True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.KeyPress:
            return super().eventFilter(watched, event)
        if watched is self.reply_box:
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (
                event.modifiers() & Qt.KeyboardModifier.ControlModifier
            ):
                self.send_reply()
                return True
            if key == Qt.Key.Key_Escape:
                self.close_reply()
                return True
            return False
        if self._key(event):
            return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        # Keys the detail view or a button did not use come here.
        if not self._key(event):
            super().keyPressEvent(event)

    # --- layout -------------------------------------------------------------------------------

    def _build(self) -> None:
        bar = QHBoxLayout()
        self.filter_group = QButtonGroup(self)
        self.filter_group.setExclusive(True)
        self.filter_buttons: dict[str | None, QToolButton] = {}
        for i, (label, status) in enumerate(FILTERS):
            button = QToolButton(self)
            button.setText(label)
            button.setCheckable(True)
            button.setAutoRaise(True)
            self.filter_group.addButton(button, i)
            self.filter_buttons[status] = button
            bar.addWidget(button)
        self.filter_buttons[core.HOLD].setChecked(True)
        self.filter_group.idClicked.connect(lambda _i: self._filters_changed())
        self.blog_combo = QComboBox(self)
        self.blog_combo.addItem("All blogs", None)
        self.blog_combo.currentIndexChanged.connect(lambda _i: self._filters_changed())
        bar.addWidget(self.blog_combo)
        self.post_label = QPushButton(self)
        self.post_label.setFlat(True)
        self.post_label.setToolTip("Show the comments of every post")
        self.post_label.hide()
        self.post_label.clicked.connect(lambda: self.set_post_filter(None))
        bar.addWidget(self.post_label)
        self.unread_box = QCheckBox("Unread only", self)
        self.unread_box.toggled.connect(lambda _on: self._filters_changed())
        bar.addWidget(self.unread_box)
        bar.addStretch(1)
        self.search_box = QLineEdit(self)
        self.search_box.setPlaceholderText("Search comments")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.textChanged.connect(lambda _t: self._search_timer.start())
        bar.addWidget(self.search_box, 2)

        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        vertical = self.table.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(EXCERPT, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(0, 160)
        header.resizeSection(POST, 200)
        header.resizeSection(DATE, 130)
        header.resizeSection(STATE, 90)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)

        self.detail = CommentDetailView(self)
        self.detail.linkActivated.connect(self._open_link)
        self.detail.shown.connect(self._detail_loaded)

        self.reply_box = QPlainTextEdit(self)
        self.reply_box.setPlaceholderText(
            "Reply in Markdown. Ctrl+Return sends, Esc closes without sending."
        )
        self.reply_preview = QTextBrowser(self)
        self.reply_preview.setOpenLinks(False)
        self.reply_preview.setOpenExternalLinks(False)
        self.reply_box.textChanged.connect(self._reply_changed)
        self.reply_box.installEventFilter(self)
        self.reply_panel = QWidget(self)
        reply_layout = QHBoxLayout(self.reply_panel)
        reply_layout.setContentsMargins(0, 0, 0, 0)
        reply_layout.addWidget(self.reply_box)
        reply_layout.addWidget(self.reply_preview)
        self.reply_panel.hide()

        actions = QHBoxLayout()
        actions.setContentsMargins(0, 0, 0, 0)
        self.action_buttons: dict[str, QPushButton] = {}
        for name, label, tip, slot in (
            ("approve", "Approve", "A", lambda: self.apply_status(core.APPROVE)),
            ("unapprove", "Unapprove", "", lambda: self.apply_status(core.HOLD)),
            ("spam", "Spam", "S", lambda: self.apply_status(core.SPAM)),
            ("not_spam", "Not spam", "", lambda: self.apply_action("not_spam")),
            ("trash", "Trash", "D", lambda: self.apply_status(core.TRASH)),
            ("restore", "Restore", "", lambda: self.apply_action("restore")),
            ("delete", "Delete for good…", "", lambda: self.delete_forever()),
            ("reply", "Reply", "R", self.start_reply),
            ("edit", "Edit…", "", self.edit_current),
        ):
            button = QPushButton(label, self)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # J/K/A... keep working in the list
            if tip:
                button.setToolTip(f"{label} ({tip})")
            button.clicked.connect(slot)
            self.action_buttons[name] = button
            actions.addWidget(button)
        actions.addStretch(1)

        lower = QWidget(self)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addLayout(actions)
        lower_layout.addWidget(self.detail, 3)
        lower_layout.addWidget(self.reply_panel, 1)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)
        # The list a little smaller than the comment: proportions, kept at the first layout.
        splitter.setSizes([400, 600])
        self.splitter = splitter
        self.status_label = QLabel(self)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status_label)

    # --- library and filters ------------------------------------------------------------------

    def set_library(self, library) -> None:
        """Show ``library``'s comments (None: nothing)."""
        self._library = library
        self._undo.clear()
        self.model.set_sessions(library.session if library is not None else None)
        self.blog_combo.blockSignals(True)
        self.blog_combo.clear()
        self.blog_combo.addItem("All blogs", None)
        if library is not None:
            from desktop_blog.core.models import Blog

            with library.session() as session:
                for blog_id, name in session.query(Blog.id, Blog.name).order_by(Blog.name):
                    self.blog_combo.addItem(name, blog_id)
        self.blog_combo.blockSignals(False)
        self.reload()

    def current_filter(self) -> CommentFilter:
        checked = self.filter_group.checkedId()
        status = FILTERS[checked][1] if checked >= 0 else core.HOLD
        return CommentFilter(
            status=status,
            blog_id=self.blog_combo.currentData(),
            post_id=self._post_filter[0] if self._post_filter else None,
            unread_only=self.unread_box.isChecked(),
            search=self.search_box.text().strip(),
        )

    def set_status_filter(self, status: str | None) -> None:
        self.filter_buttons[status].setChecked(True)
        self._filters_changed()

    def set_blog_filter(self, blog_id: int | None) -> None:
        index = self.blog_combo.findData(blog_id)
        self.blog_combo.setCurrentIndex(max(0, index))

    def set_post_filter(self, post_id: int | None, title: str = "") -> None:
        """Only the comments of ``post_id`` (None: of every post)."""
        self._post_filter = (post_id, title) if post_id is not None else None
        self.post_label.setText(f"Post: {title or post_id} ✕" if post_id is not None else "")
        self.post_label.setVisible(post_id is not None)
        self._filters_changed()

    def _filters_changed(self) -> None:
        if self.search_box.text().strip():
            self._start_search()
        else:
            self.reload()

    def reload(self) -> None:
        """Read the list's first page and the counts again (synchronously: index reads)."""
        flt = self.current_filter()
        if flt.search and core.fts_query(flt.search):
            self._start_search()
            return
        self._search_generation += 1
        if self._library is None:
            self.model.set_filter(flt, [])
            self._set_counts(FilterCounts({}), 0)
            self.listReady.emit()
            return
        with self._library.session() as session:
            ids = core.comment_ids(session, flt, 0, BATCH)
            counts = core.filter_counts(session, flt)
            unread = core.unread_total(session)
        self._apply_list(flt, ids, counts, unread)

    def _start_search(self) -> None:
        self._search_timer.stop()
        flt = self.current_filter()
        if not (flt.search and core.fts_query(flt.search)):
            self.reload()
            return
        if self._library is None:
            return
        self._search_generation += 1
        generation = self._search_generation
        library = self._library

        def job():
            with library.session() as session:
                ids = core.comment_ids(session, flt, 0, BATCH)
                return (
                    ids,
                    core.filter_counts(session, flt),
                    core.unread_total(session),
                    # The rows the list shows first, read here rather than on the GUI thread.
                    core.comment_rows(session, ids[:PRIME_ROWS]),
                )

        def done(result) -> None:
            if generation != self._search_generation or self._library is not library:
                return
            self._apply_list(flt, *result)

        self.tasks.run_db(job, done)

    def _apply_list(
        self, flt: CommentFilter, ids, counts: FilterCounts, unread: int, rows=None
    ) -> None:
        self._shown_comment = None
        self.model.set_filter(flt, ids, rows)
        self._set_counts(counts, unread)
        if self.model.rowCount():
            # The list paints first; the first comment's detail follows (DETAIL_AFTER_LIST_MS).
            self._defer_detail = True
            self.select_row(0)
            self._defer_detail = False
        else:
            self.detail.clear_page()
        self.listReady.emit()

    def _set_counts(self, counts: FilterCounts, unread: int) -> None:
        self.counts = counts
        more = "" if counts.exact else "+"
        for label, status in FILTERS:
            n = counts[status or core.ALL]
            self.filter_buttons[status].setText(
                f"{label} ({n:,}{more})" if counts.counts else label
            )
        self.countsChanged.emit(counts)
        self.unreadChanged.emit(unread)

    def refresh_counts(self) -> None:
        """Read the counts again (after a local change) on the database worker."""
        if self._library is None:
            return
        flt = self.current_filter()
        library = self._library

        def job():
            with library.session() as session:
                return core.filter_counts(session, flt), core.unread_total(session)

        def done(result) -> None:
            if self._library is library and flt == self.current_filter():
                self._set_counts(*result)

        self.tasks.run_db(job, done)

    # --- the current comment ------------------------------------------------------------------

    def current_comment_id(self) -> int | None:
        index = self.table.currentIndex()
        return self.model.comment_id(index.row()) if index.isValid() else None

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        ids = [self.model.comment_id(r) for r in rows]
        ids = [i for i in ids if i is not None]
        current = self.current_comment_id()
        if not ids and current is not None:
            ids = [current]
        return ids

    def select_row(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)

    def next_comment(self) -> None:
        row = self.table.currentIndex().row()
        if row + 1 >= self.model.rowCount() and self.model.canFetchMore(QModelIndex()):
            self.model.fetchMore(QModelIndex())
        self.select_row(row + 1)

    def previous_comment(self) -> None:
        row = self.table.currentIndex().row()
        if row > 0:
            self.select_row(row - 1)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        cid = self.model.comment_id(current.row()) if current.isValid() else None
        if cid is None or cid == self._shown_comment:
            return
        self._shown_comment = cid
        if self._defer_detail:
            self._detail_timer.start()
        else:
            self._detail_timer.stop()
            self.show_comment(cid)

    def _show_current_detail(self) -> None:
        cid = self.current_comment_id()
        if cid is not None:
            self.show_comment(cid)

    def show_comment(self, comment_id: int) -> None:
        """Read, sanitize (on the database worker) and show a comment; mark it read."""
        if self._library is None:
            return
        self._detail_generation += 1
        generation = self._detail_generation
        library = self._library

        def job():
            with library.session() as session:
                detail = core.comment_detail(session, comment_id)
                if detail is None:
                    return None
                thread = core.thread(session, comment_id)
            return detail, detail_body(detail, thread)

        def done(result) -> None:
            if generation != self._detail_generation or result is None:
                return
            detail, body = result
            serial = self.detail.show_body(body, f"Comment {detail.id}")
            self._pending_detail = {serial: comment_id}
            if not detail.is_read:
                self.tasks.run_db(lambda: self._mark_read(library, comment_id), self._marked_read)

        self.tasks.run_db(job, done)

    @staticmethod
    def _mark_read(library, comment_id: int) -> int:
        with library.session() as session:
            core.mark_read(session, [comment_id])
        return comment_id

    def _marked_read(self, comment_id: int) -> None:
        self.model.update_rows([comment_id], is_read=True)
        self.refresh_counts()

    def _detail_loaded(self, serial: int) -> None:
        cid = self._pending_detail.pop(serial, None)
        if cid is not None:
            self.detailShown.emit(cid)

    def _open_link(self, url: QUrl) -> None:
        if url.scheme().lower() in EXTERNAL_SCHEMES:
            self.open_url(url)

    # --- actions ------------------------------------------------------------------------------

    def apply_status(self, status: str, ids: list[int] | None = None) -> None:
        """Give the selected comments (or ``ids``) ``status``, locally at once; undoable."""
        ids = ids if ids is not None else self.selected_ids()
        if not ids or self._library is None:
            return
        library = self._library
        advance = len(ids) == 1 and ids[0] == self.current_comment_id()

        def job():
            with library.session() as session:
                # here at once, and the blog's copy through the outbox, in one transaction
                return core.moderate(session, ids, status)

        def done(previous: dict[int, str]) -> None:
            changed = [i for i in ids if previous.get(i) not in (None, status)]
            self._undo.append(_Undo("status", previous))
            self.model.update_rows(ids, status=status)
            if changed:
                self.actionRequested.emit(changed, status)
            n = len(ids)
            self._say(f"{ACTION_NAMES[status]} {n} comment{'s' if n != 1 else ''}. Z undoes it.")
            self.refresh_counts()
            if advance:
                self.next_comment()

        self.tasks.run_db(job, done)

    def mark_unread(self, ids: list[int] | None = None) -> None:
        ids = ids if ids is not None else self.selected_ids()
        if not ids or self._library is None:
            return
        library = self._library

        def job():
            with library.session() as session:
                return core.mark_unread(session, ids)

        def done(previous: dict[int, bool]) -> None:
            self._undo.append(_Undo("read", previous))
            self.model.update_rows(ids, is_read=False)
            self._say("Marked as unread. Z undoes it.")
            self.refresh_counts()

        self.tasks.run_db(job, done)

    def apply_action(self, action: str, ids: list[int] | None = None) -> None:
        """A named action of ``core.ACTIONS`` ("not_spam", "restore" give back the state
        before spam or trash), locally at once and through the outbox; undoable."""
        ids = ids if ids is not None else self.selected_ids()
        if not ids or self._library is None:
            return
        library = self._library

        def job():
            with library.session() as session:
                previous = core.apply_action(session, ids, action)
                return previous, core.statuses_of(session, ids)

        def done(result) -> None:
            previous, now = result
            changed = [i for i in ids if i in now and previous.get(i) != now[i]]
            if not changed:
                self._say("Nothing to change.")
                return
            self._undo.append(_Undo("status", {i: previous[i] for i in changed}))
            by_status: dict[str, list[int]] = {}
            for cid in changed:
                by_status.setdefault(now[cid], []).append(cid)
            for status, group in by_status.items():
                self.model.update_rows(group, status=status)
                self.actionRequested.emit(group, status)
            n = len(changed)
            self._say(f"Restored {n} comment{'s' if n != 1 else ''}. Z undoes it.")
            self.refresh_counts()

        self.tasks.run_db(job, done)

    def confirm_delete(self, n: int) -> bool:
        """Ask before deleting for good (tests replace this)."""
        answer = QMessageBox.question(
            self,
            "Delete for good",
            f"Delete {n} comment{'s' if n != 1 else ''} for good, here and on the blog? "
            "This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def delete_forever(self, ids: list[int] | None = None) -> None:
        """Delete the selected comments for good (asks first), here and on the blog."""
        ids = ids if ids is not None else self.selected_ids()
        if not ids or self._library is None or not self.confirm_delete(len(ids)):
            return
        library = self._library

        def job():
            with library.session() as session:
                return core.delete_forever(session, ids)

        def done(n: int) -> None:
            self.actionRequested.emit(list(ids), "delete")
            self._say(f"Deleted {n} comment{'s' if n != 1 else ''} for good.")
            self.reload()

        self.tasks.run_db(job, done)

    def ask_edit(self, text: str) -> str | None:
        """The comment's new text from the user, or None (tests replace this)."""
        new, ok = QInputDialog.getMultiLineText(self, "Edit comment", "Text (HTML):", text)
        return new if ok else None

    def edit_current(self) -> None:
        """Edit the current comment's text, here and on the blog."""
        cid = self.current_comment_id()
        if cid is None or self._library is None:
            return
        with self._library.session() as session:
            detail = core.comment_detail(session, cid)
        if detail is None:
            return
        new = self.ask_edit(detail.content)
        if new is None or new == detail.content:
            return
        library = self._library

        def job():
            with library.session() as session:
                return core.edit_content(session, cid, new)

        def done(_previous: str) -> None:
            self.actionRequested.emit([cid], "edit")
            self._say("Comment edited.")
            self._shown_comment = None
            self.show_comment(cid)

        self.tasks.run_db(job, done)

    def undo(self) -> None:
        """Undo the last action (status change or mark unread)."""
        if not self._undo or self._library is None:
            self._say("Nothing to undo.")
            return
        entry = self._undo.pop()
        library = self._library

        def job():
            with library.session() as session:
                if entry.kind == "status":
                    return core.moderate_each(session, entry.previous)
                return core.set_read_flags(session, entry.previous)

        def done(undone: dict) -> None:
            if entry.kind == "status":
                by_status: dict[str, list[int]] = {}
                for cid, status in entry.previous.items():
                    by_status.setdefault(status, []).append(cid)
                for status, ids in by_status.items():
                    self.model.update_rows(ids, status=status)
                    changed = [i for i in ids if undone.get(i) not in (None, status)]
                    if changed:
                        self.actionRequested.emit(changed, status)
            else:
                for flag in (True, False):
                    ids = [c for c, f in entry.previous.items() if f is flag]
                    self.model.update_rows(ids, is_read=flag)
            self._say("Undone.")
            self.refresh_counts()

        self.tasks.run_db(job, done)

    def can_undo(self) -> bool:
        return bool(self._undo)

    # --- reply --------------------------------------------------------------------------------

    def start_reply(self) -> None:
        if self.current_comment_id() is None:
            return
        self.reply_panel.show()
        self.reply_box.setFocus()

    def _reply_changed(self) -> None:
        self.reply_preview.setHtml(self.reply_html())

    def reply_html(self) -> str:
        """The reply as it will read: rendered by the app's renderer, then sanitized."""
        text = self.reply_box.toPlainText()
        if not text.strip():
            return ""
        from desktop_blog.render.markdown import render_html

        return sanitize.sanitize_comment(render_html(text))

    def send_reply(self) -> None:
        cid = self.current_comment_id()
        text = self.reply_box.toPlainText()
        if cid is None or not text.strip():
            return
        self.replyRequested.emit(cid, text)
        self.close_reply()
        self._say("Reply queued.")

    def close_reply(self) -> None:
        self.reply_box.clear()
        self.reply_panel.hide()
        self.table.setFocus()

    def _say(self, message: str) -> None:
        self.status_label.setText(message)

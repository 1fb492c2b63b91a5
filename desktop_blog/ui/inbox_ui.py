"""The comment inbox in the window: a "Comments" tab beside the writing, comment sync, and the
outbox-backed actions.

``install(window)`` (listed in ``ui/features.py``) runs when the window is built, before the
library opens:

- the window's central widget (the tree, editor and preview) becomes the "Writing" tab of a
  ``QTabWidget``; the second tab, "Comments", holds the ``CommentInbox``, made the first time it
  is shown (its QWebEngineView costs start-up time nobody needs before that). View menu:
  Writing (Ctrl+1), Comment Inbox (Ctrl+2), Sync Comments. Focus mode hides the tab bar and
  goes back to writing;
- the unread count (spam and trash left out) on the tab, the View entry and, per blog, in the
  post tree.

Once ``window.libraryReady`` fires, comments are synced on a network worker (never on the GUI
thread): at once, every ``comments/sync_minutes`` minutes (a setting, default 10) and on
demand. A sync first sends the waiting outbox jobs, then pulls every blog
(``SyncEngine.pull_comments``). A failure (offline, wrong password) is shown in the status bar
and the inbox, and logged; nothing is raised.

Actions made in the inbox change the library and write their outbox jobs in one transaction
(``CommentInbox``); ``actionRequested`` and ``replyRequested`` (queued here with
``core.comments.queue_reply``) then run the outbox: the publishing feature's sync worker when it
runs (woken), else this controller's own engine. A job the blog refused is undone in the library
by the engine; ``core.comments.take_notices`` hands its reason here once, and it is shown.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import shiboken6
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

#: Minutes between comment syncs, unless the ``comments/sync_minutes`` setting says otherwise.
DEFAULT_SYNC_MINUTES = 10
#: A whole comparison with each blog (deleted and moderated elsewhere) at most this often.
RECONCILE_MINUTES = 60
#: After the library opens, the first sync waits this long (the window paints first).
FIRST_SYNC_DELAY_MS = 1500
SETTING_MINUTES = "comments/sync_minutes"


@dataclass
class SyncResult:
    """What a comment sync did: per blog, its report or its error."""

    new: int = 0
    removed: int = 0
    errors: list[str] = field(default_factory=list)
    blogs: int = 0
    #: outcomes of the outbox jobs run before the pull (``publish.sync.JobOutcome``)
    sent: list = field(default_factory=list)


class NoPassword(Exception):
    pass


class InboxController(QObject):
    """The Comments tab, its actions, and the comment sync of a ``MainWindow``."""

    #: unread comments in every blog (spam and trash left out)
    unreadChanged = Signal(int)
    #: a comment sync ended (a ``SyncResult``)
    syncFinished = Signal(object)
    #: a message for the user was shown (a refused action, a failed sync)
    messageShown = Signal(str)
    #: the inbox widget was made (a ``CommentInbox``)
    inboxCreated = Signal(object)

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.library: Any | None = None
        self.inbox: Any | None = None
        self.unread = 0
        self.unread_by_blog: dict[int, int] = {}
        self.messages: list[str] = []
        #: makes a blog's connector from a ``BlogAccount`` (tests hand in their own)
        self.connector_factory: Callable[[Any], Any] | None = None
        #: sync once the library is open (tests turn it off)
        self.sync_on_start = True
        self._engine: Any | None = None
        self._engine_lock = threading.Lock()
        self._syncing = False
        self._announce = False
        self._sync_again = False
        self._running_outbox = False
        self._outbox_again = False
        self._last_reconcile = 0.0
        self._hooked_worker: Any | None = None
        self._docks_before: dict[Any, bool] = {}

        self._wrap_central_widget()
        self._make_actions()
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(self.sync_minutes() * 60_000)
        self.timer.timeout.connect(lambda: self.sync_comments())
        self._first_sync = QtCore.QTimer(self)
        self._first_sync.setSingleShot(True)
        self._first_sync.setInterval(FIRST_SYNC_DELAY_MS)
        self._first_sync.timeout.connect(lambda: self.sync_comments(reconcile=True))
        window.libraryReady.connect(self._on_library)

    # --- building -----------------------------------------------------------------------------

    def _wrap_central_widget(self) -> None:
        w = self.window
        writing = w.takeCentralWidget()
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.setTabPosition(QtWidgets.QTabWidget.TabPosition.North)
        self.writing_page = writing
        self.tabs.addTab(writing, "Writing")
        self.inbox_page = QtWidgets.QWidget()
        self.inbox_page.setObjectName("inboxPage")
        layout = QtWidgets.QVBoxLayout(self.inbox_page)
        layout.setContentsMargins(0, 0, 0, 0)
        self.tabs.addTab(self.inbox_page, "Comments")
        self.tabs.currentChanged.connect(self._tab_changed)
        w.setCentralWidget(self.tabs)

    def _make_actions(self) -> None:
        w = self.window
        self.writing_action = QtGui.QAction("&Writing", w)
        self.writing_action.setObjectName("action_show_writing")
        self.writing_action.setShortcut(QtGui.QKeySequence("Ctrl+1"))
        self.writing_action.setStatusTip("Show the posts and the editor")
        self.writing_action.triggered.connect(lambda _c=False: self.show_writing())
        self.inbox_action = QtGui.QAction("Comment &Inbox", w)
        self.inbox_action.setObjectName("action_show_inbox")
        self.inbox_action.setShortcut(QtGui.QKeySequence("Ctrl+2"))
        self.inbox_action.setStatusTip("Read and moderate the comments of every blog")
        self.inbox_action.triggered.connect(lambda _c=False: self.show_inbox())
        self.sync_action = QtGui.QAction("Sync &Comments", w)
        self.sync_action.setObjectName("action_sync_comments")
        self.sync_action.setShortcut(QtGui.QKeySequence("Ctrl+Shift+F5"))
        self.sync_action.setStatusTip("Fetch the blogs' comments now and send waiting actions")
        self.sync_action.triggered.connect(
            lambda _c=False: self.sync_comments(reconcile=True, announce=True)
        )
        self.sync_action.setEnabled(False)
        self.post_comments_action = QtGui.QAction("&Comments on This Post", w)
        self.post_comments_action.setObjectName("action_post_comments")
        self.post_comments_action.setStatusTip("Show the comment inbox for the open post only")
        self.post_comments_action.triggered.connect(lambda _c=False: self.show_post_comments())
        self.post_comments_action.setEnabled(False)
        w.post_menu.addSeparator()
        w.post_menu.addAction(self.post_comments_action)
        w.postShown.connect(
            lambda post_id: self.post_comments_action.setEnabled(post_id is not None)
        )
        for action in (self.writing_action, self.inbox_action, self.sync_action):
            w.addAction(action)  # the shortcuts work with the menu bar hidden too
        menu = w.view_menu
        first = menu.actions()[0] if menu.actions() else None
        menu.insertAction(first, self.writing_action)
        menu.insertAction(first, self.inbox_action)
        menu.insertAction(first, self.sync_action)
        if first is not None:
            menu.insertSeparator(first)
        focus = self._focus_action()
        if focus is not None:
            focus.toggled.connect(self._focus_mode_changed)

    def _focus_action(self) -> QtGui.QAction | None:
        actions = getattr(self.window, "actions_", None) or {}
        for act, action in actions.items():
            if getattr(act, "value", None) == "focus_mode":
                return action
        return None

    def sync_minutes(self) -> int:
        """The ``comments/sync_minutes`` setting (at least 1; default 10)."""
        settings = getattr(self.window, "settings", None)
        value = None
        path = getattr(settings, "path", None)
        if path is not None:
            # Not one of ui.settings' registered options (that file is not this feature's):
            # read from the same INI file.
            value = QtCore.QSettings(str(path), QtCore.QSettings.Format.IniFormat).value(
                SETTING_MINUTES
            )
        try:
            return max(1, int(value)) if value not in (None, "") else DEFAULT_SYNC_MINUTES
        except (TypeError, ValueError):
            return DEFAULT_SYNC_MINUTES

    # --- tabs ---------------------------------------------------------------------------------

    def inbox_shown(self) -> bool:
        return self.tabs.currentWidget() is self.inbox_page

    def show_writing(self) -> None:
        """Ctrl+1: the posts and the editor."""
        self.tabs.setCurrentWidget(self.writing_page)
        editor = getattr(getattr(self.window, "editor_panel", None), "editor", None)
        if editor is not None and editor.isVisible():
            editor.setFocus()

    def show_inbox(self) -> None:
        """Ctrl+2: the comment inbox (made the first time)."""
        if self._focus_action() is not None and self.window.focus_mode:
            self.window.set_focus_mode(False)
        self.ensure_inbox()
        self.tabs.setCurrentWidget(self.inbox_page)
        self.inbox.table.setFocus()

    def show_post_comments(self, post_id: int | None = None) -> None:
        """The inbox with the comments of one post (the open one by default)."""
        post_id = self.window.current_post_id() if post_id is None else post_id
        if post_id is None:
            return
        panel = getattr(self.window, "editor_panel", None)
        title = panel.title.text().strip() if panel is not None else ""
        self.show_inbox()
        self.inbox.set_post_filter(post_id, title)

    def _post_docks(self) -> list[QtWidgets.QDockWidget]:
        """The docks about the open post (details, outline): nothing to do with comments."""
        w = self.window
        return [d for d in (getattr(w, "details", None), getattr(w, "outline_dock", None)) if d]

    def _tab_changed(self, _index: int) -> None:
        if self.inbox_shown():
            self.ensure_inbox()
            # The post's docks make way for the inbox, and come back with the writing.
            self._docks_before = {d: d.isVisible() for d in self._post_docks()}
            for dock in self._docks_before:
                dock.hide()
        else:
            for dock, visible in self._docks_before.items():
                if visible:
                    dock.show()
            self._docks_before = {}

    def _focus_mode_changed(self, on: bool) -> None:
        self.tabs.tabBar().setVisible(not on)
        if on:
            self.tabs.setCurrentWidget(self.writing_page)

    def ensure_inbox(self) -> Any:
        """The ``CommentInbox``, made and filled on first use."""
        if self.inbox is not None:
            return self.inbox
        from .comment_inbox import CommentInbox

        inbox = CommentInbox(self.window.tasks, self.inbox_page)
        inbox.setObjectName("commentInbox")
        self.inbox_page.layout().addWidget(inbox)
        inbox.actionRequested.connect(self._on_action)
        inbox.replyRequested.connect(self.reply)
        inbox.unreadChanged.connect(self._set_unread)
        self.inbox = inbox
        if self.library is not None:
            inbox.set_library(self.library)
        self.inboxCreated.emit(inbox)
        return inbox

    # --- the library --------------------------------------------------------------------------

    def _on_library(self) -> None:
        self.library = self.window.library
        if self.window.tree is not None:
            self.window.tree.add_context_actions([self.post_comments_action])
        self.sync_action.setEnabled(True)
        if self.inbox is not None:
            self.inbox.set_library(self.library)
        self.refresh_unread()
        self._hook_publishing()
        self.timer.start()
        if self.sync_on_start:
            self._first_sync.start()

    def _publishing(self) -> Any | None:
        return (getattr(self.window, "features", None) or {}).get("publishing_ui")

    def _worker(self) -> Any | None:
        """The publishing feature's sync worker, when it runs."""
        publishing = self._publishing()
        worker = getattr(publishing, "worker", None)
        if worker is not None and getattr(worker, "running", False):
            return worker
        return None

    def _hook_publishing(self) -> None:
        publishing = self._publishing()
        started = getattr(publishing, "workerStarted", None)
        if started is not None:
            started.connect(self._hook_worker)
        self._hook_worker()

    def _hook_worker(self) -> None:
        worker = getattr(self._publishing(), "worker", None)
        if worker is None or worker is self._hooked_worker:
            return
        self._hooked_worker = worker
        finished = getattr(worker, "jobFinished", None)
        if finished is not None:
            finished.connect(self._worker_job_finished)

    # --- unread counts ------------------------------------------------------------------------

    def refresh_unread(self) -> None:
        """Read the unread counts again (database worker) and show them."""
        library = self.library
        if library is None:
            return
        from desktop_blog.core import comments

        def job():
            with library.session() as session:
                return comments.unread_by_blog(session)

        self.window.tasks.run_db(job, self._show_unread_by_blog, self._log_error)

    def _alive(self) -> bool:
        """False once the window is gone (a worker's answer may come after)."""
        return shiboken6.isValid(self) and shiboken6.isValid(self.window)

    def _show_unread_by_blog(self, by_blog: dict[int, int]) -> None:
        if not self._alive():
            return
        self.unread_by_blog = dict(by_blog)
        self._set_unread(sum(by_blog.values()))
        tree = getattr(self.window, "tree", None)
        model = getattr(tree, "model", None)
        if model is not None and hasattr(model, "set_unread_comments"):
            model.set_unread_comments(self.unread_by_blog)

    def _set_unread(self, n: int) -> None:
        if n != self.unread:
            # The inbox tells the total; the tree's per-blog counts follow.
            self.unread = n
            if self.library is not None:
                self.refresh_unread()
        label = f"Comments ({n:,})" if n else "Comments"
        self.tabs.setTabText(self.tabs.indexOf(self.inbox_page), label)
        self.inbox_action.setText(f"Comment &Inbox ({n:,} unread)" if n else "Comment &Inbox")
        self.unreadChanged.emit(n)

    # --- actions ------------------------------------------------------------------------------

    def _on_action(self, _ids: list, _action: str) -> None:
        """The inbox changed comments and wrote their jobs: send them."""
        self.refresh_unread()
        self.run_outbox()

    def reply(self, comment_id: int, markdown: str) -> None:
        """Queue a reply (rendered from Markdown) to ``comment_id`` and send it."""
        library = self.library
        if library is None:
            return
        from desktop_blog.core import comments

        def job():
            with library.session() as session:
                return comments.queue_reply(session, comment_id, markdown)

        def done(_reply_id: int) -> None:
            if not self._alive():
                return
            if self.inbox is not None:
                self.inbox.reload()
            self.run_outbox()

        self.window.tasks.run_db(job, done, lambda exc: self.show_message(f"Reply failed: {exc}"))

    def run_outbox(self) -> None:
        """Send what waits: the publishing worker does when it runs, else this controller."""
        worker = self._worker()
        if worker is not None:
            worker.wake()
            return
        if self.library is None:
            return
        if self._running_outbox:
            self._outbox_again = True
            return
        self._running_outbox = True

        def job():
            return self._get_engine().run_outbox()

        def finished(report=None) -> None:
            self._running_outbox = False
            if not self._alive():
                return
            self._tell_waiting(getattr(report, "ran", []))
            self._after_outbox()
            if self._outbox_again:
                self._outbox_again = False
                self.run_outbox()

        def failed(exc: BaseException) -> None:
            self.show_message(f"Sending comment actions failed: {exc}")
            finished()

        self.window.tasks.run_net(job, finished, failed)

    def _tell_waiting(self, outcomes: list) -> None:
        """Say why comment actions wait (offline, a wrong password): kept here, sent later."""
        from desktop_blog.core import comments, outbox

        waiting = [
            o
            for o in outcomes
            if o.operation in comments.COMMENT_OPERATIONS and o.state == outbox.PENDING
        ]
        if waiting:
            self.show_message(
                f"{len(waiting)} comment action{'s' if len(waiting) != 1 else ''} kept here and "
                f"waiting to be sent: {waiting[-1].message}"
            )

    def _worker_job_finished(self, outcome: Any) -> None:
        from desktop_blog.core import comments

        if getattr(outcome, "operation", None) in comments.COMMENT_OPERATIONS:
            self._tell_waiting([outcome])
            self._after_outbox()

    def _after_outbox(self) -> None:
        """Tell the user about refused actions (once each) and show the library as it is."""
        library = self.library
        if library is None:
            return
        from desktop_blog.core import comments

        def job():
            with library.session() as session:
                return comments.take_notices(session)

        def done(notices: list) -> None:
            if not self._alive():
                return
            for notice in notices:
                self.show_message(notice.message)
            if notices and self.inbox is not None:
                self.inbox.reload()
            self.refresh_unread()

        self.window.tasks.run_db(job, done, self._log_error)

    # --- sync ---------------------------------------------------------------------------------

    def _default_connector(self, account: Any) -> Any:
        from desktop_blog.core.secrets import SecretStore, resolve_password
        from desktop_blog.publish.http import make_client
        from desktop_blog.publish.sync import make_connector

        publishing = self._publishing()
        store = getattr(publishing, "secrets", None) or SecretStore()
        password = resolve_password(store, account)
        if not password:
            raise NoPassword(f"no password for the blog {account.name!r}")
        return make_connector(account, password, make_client())

    def _get_engine(self) -> Any:
        from desktop_blog.publish.sync import SyncEngine

        with self._engine_lock:
            if self._engine is None or self._engine.library is not self.library:
                factory = self.connector_factory or self._default_connector
                # recover=False: jobs left running belong to the publishing worker.
                self._engine = SyncEngine(self.library, factory, recover=False)
            return self._engine

    def sync_comments(self, reconcile: bool | None = None, *, announce: bool = False) -> bool:
        """Send waiting comment actions, then fetch every blog's comments, on a network worker.
        ``reconcile`` (default: once an hour) also compares each blog's whole list of comments
        with the library. Returns False when a sync is already running (it runs again after)."""
        if self.library is None:
            return False
        if self._syncing:
            self._sync_again = True
            return False
        import time

        if reconcile is None:
            reconcile = time.monotonic() - self._last_reconcile > RECONCILE_MINUTES * 60
        if reconcile:
            self._last_reconcile = time.monotonic()
        self._syncing = True
        self.sync_action.setEnabled(False)
        library = self.library
        use_own_outbox = self._worker() is None
        self._announce = announce
        if announce:
            self._say_status("Syncing comments…")

        def job() -> SyncResult:
            from desktop_blog.core import publishing
            from desktop_blog.publish.errors import PublishError

            engine = self._get_engine()
            engine.forget_connectors()  # a password changed since the last sync is used
            result = SyncResult()
            with library.session() as session:
                accounts = publishing.list_blog_accounts(session)
            if use_own_outbox:
                try:
                    result.sent = engine.run_outbox().ran
                except Exception as exc:  # noqa: BLE001 - reported, never raised
                    log.warning("outbox run before the comment sync failed: %s", exc)
            for account in accounts:
                result.blogs += 1
                try:
                    report = engine.pull_comments(account.id, reconcile=reconcile)
                except PublishError as exc:
                    result.errors.append(f"{account.name}: {exc.user_message}")
                except NoPassword as exc:
                    result.errors.append(f"{account.name}: {exc}")
                except Exception as exc:  # noqa: BLE001 - reported, never raised
                    log.exception("comment sync of blog %s failed", account.id)
                    result.errors.append(f"{account.name}: {type(exc).__name__}: {exc}")
                else:
                    result.new += report.new
                    result.removed += report.removed
            return result

        def failed(exc: BaseException) -> None:
            self._sync_done(SyncResult(errors=[f"{type(exc).__name__}: {exc}"]))

        self.window.tasks.run_net(job, self._sync_done, failed)
        return True

    def _sync_done(self, result: SyncResult) -> None:
        self._syncing = False
        if not self._alive():
            return
        self.sync_action.setEnabled(self.library is not None)
        if result.errors:
            self.show_message("Comment sync failed for " + "; ".join(result.errors))
        elif result.blogs and (result.new or self._announce):
            news = f"{result.new} new comment{'s' if result.new != 1 else ''}"
            self._say_status(f"Comments synced: {news}.")
        elif self._announce:
            self._say_status("No blog to sync comments with.")
        if self.inbox is not None and (result.new or result.removed):
            self.inbox.reload()
        if not result.errors:
            self._tell_waiting(result.sent)
        self._after_outbox()
        self.syncFinished.emit(result)
        if self._sync_again:
            self._sync_again = False
            self.sync_comments()

    # --- messages -----------------------------------------------------------------------------

    def _say_status(self, message: str) -> None:
        if not self._alive():
            return
        self.window.statusBar().showMessage(message, 8000)
        if self.inbox is not None:
            self.inbox.status_label.setText(message)

    def show_message(self, message: str) -> None:
        """Show ``message`` in the status bar and the inbox, and log it."""
        log.warning("comments: %s", message)
        if not self._alive():
            return
        self.messages.append(message)
        self.window.statusBar().showMessage(message, 20_000)
        if self.inbox is not None:
            self.inbox.status_label.setText(message)
        self.messageShown.emit(message)

    def _log_error(self, exc: BaseException) -> None:
        log.warning("comments: %s: %s", type(exc).__name__, exc)


def install(window: Any) -> InboxController:
    """Add the Comments tab, its View menu entries and the comment sync to ``window``."""
    return InboxController(window)

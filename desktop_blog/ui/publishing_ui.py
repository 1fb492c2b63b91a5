"""Publishing in the window: blogs, the publish actions, the sync worker, the outbox and conflicts.

`install(window)` (listed in `ui/features.py`) adds, before the library is open:

- a "Blog" menu (before View): Add Blog…, Remove Blog…, Set Password…, the Publish submenu
  (Publish Now…, Schedule…, Save as Remote Draft…, Update on Blog, Unpublish, Move to Trash on
  Blog; also in the Post menu and behind the toolbar's Publish button), Sync Now;
- View → Outbox, a dock with the jobs (`outbox_panel.OutboxPanel`), and a status bar label
  ("2 waiting") that opens it.

Once `window.libraryReady` fires, the secret store is made (on a network worker: a keyring may
block on D-Bus) and the sync worker (`sync_worker.SyncWorker`) starts. A publish action writes
its outbox job with `core.publishing.request_*` on the database worker, after the autosaver's
pending writes, then wakes the worker. The worker's results come back as signals: the outbox
panel and the tree are refreshed, failures are shown with their message, and a conflict offers
the conflict dialog. Passwords are asked for (once per session) when neither the keyring nor this
session has one; they go to the `SecretStore` only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import QEvent, QObject, Qt, Signal

log = logging.getLogger(__name__)

#: Finished jobs refresh the tree at most this often (a pull or a run of 100 jobs): each refresh
#: reads the library on the database worker and competes with the sync worker for the GIL.
TREE_REFRESH_MS = 1000
#: While the worker goes on sending, at most this often (a refresh counts every folder: 86 ms on
#: the database worker for 100,000 posts); when the run ends, at once.
TREE_BUSY_REFRESH_MS = 3000
#: The outbox panel follows the worker's first results this soon,
OUTBOX_REFRESH_MS = 250
#: and then, while the worker goes on sending (a run of many jobs), at most this often: each
#: reload reads every open job on the database worker, and in the publish benchmark refreshing
#: four times a second instead of once cost the worker about 1 ms per post (*measured*: 10.1-11.7
#: against 9.6-9.9 ms). When the worker stops, the panel is read at once.
OUTBOX_BUSY_REFRESH_MS = 1000


class ScheduleDialog(QtWidgets.QDialog):
    """Asks for a publication date in the future (local time)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scheduleDialog")
        self.setWindowTitle("Schedule the post")
        self.date_edit = QtWidgets.QDateTimeEdit()
        self.date_edit.setObjectName("scheduleDate")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        soon = QtCore.QDateTime.currentDateTime().addSecs(3600)
        self.date_edit.setMinimumDateTime(QtCore.QDateTime.currentDateTime().addSecs(60))
        self.date_edit.setDateTime(soon)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok).setText("&Schedule")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(QtWidgets.QLabel("Publish on the blog at (your local time):"))
        layout.addWidget(self.date_edit)
        layout.addWidget(buttons)

    def when(self) -> datetime:
        """The chosen moment, time zone aware."""
        return self.date_edit.dateTime().toPython().astimezone()


class PublishingController(QObject):
    """Owns the Blog menu, the outbox dock, the sync worker and the dialogs."""

    #: after the outbox panel shows new rows (an `OutboxSnapshot`)
    outboxRefreshed = Signal(object)
    #: a publish/update/unpublish/trash request was written: (the job or None, the post)
    requested = Signal(object, object)
    #: the worker's secret store exists and the worker runs
    workerStarted = Signal()

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.library: Any | None = None
        self.secrets: Any | None = None
        self.worker: Any | None = None
        #: makes the httpx clients of the worker and the add-blog dialog (None: make_client)
        self.client_factory: Callable[[], Any] | None = None
        #: makes the secret store (tests hand in one with a chosen backend)
        self.secret_store_factory: Callable[[], Any] | None = None
        self.add_blog_dialog: Any | None = None
        self.conflict_dialog: Any | None = None
        self.conflict_prompt: QtWidgets.QMessageBox | None = None
        self.message_box: QtWidgets.QMessageBox | None = None
        self.last_message = ""
        self._offered_conflicts: set[int] = set()
        self._asked_password: set[int] = set()
        self._loading_outbox = False
        self._outbox_dirty = False
        self._sent_in_batch = 0
        self._busy = False
        self.snapshot: Any | None = None
        self._tree_timer = QtCore.QTimer(self)
        self._tree_timer.setSingleShot(True)
        self._tree_timer.setInterval(TREE_REFRESH_MS)
        self._tree_timer.timeout.connect(self._refresh_tree)
        self._outbox_timer = QtCore.QTimer(self)
        self._outbox_timer.setSingleShot(True)
        self._outbox_timer.setInterval(OUTBOX_REFRESH_MS)
        self._outbox_timer.timeout.connect(self.reload_outbox)
        self._outbox_read_at = 0.0  # time.monotonic() of the last outbox read
        self._watching_state = False

        self._make_actions()
        self._make_menus()
        self._make_dock()
        self._make_status_label()
        self._update_actions()
        window.libraryReady.connect(self._on_library)
        window.postShown.connect(lambda _post_id: self._update_actions())
        window.installEventFilter(self)

    # --- building -----------------------------------------------------------------------------

    def _make_actions(self) -> None:
        w = self.window
        self.actions: dict[str, QtGui.QAction] = {}

        def add(key: str, text: str, slot: Callable[[], Any], shortcut: str = "", tip: str = ""):
            action = QtGui.QAction(text, w)
            action.setObjectName(f"action_{key}")
            if shortcut:
                action.setShortcut(QtGui.QKeySequence(shortcut))
            if tip:
                action.setStatusTip(tip)
            action.triggered.connect(lambda _checked=False: slot())
            w.addAction(action)
            self.actions[key] = action
            return action

        add("add_blog", "&Add Blog…", self.show_add_blog, "", "Add a WordPress or XML-RPC blog")
        add("remove_blog", "&Remove Blog…", self.remove_blog, "", "Remove a blog from the library")
        add("set_password", "Set &Password…", self.set_password, "", "Give a blog's password")
        add(
            "sync_now",
            "&Sync Now",
            self.sync_now,
            "F5",
            "Fetch posts from the blogs and send what waits",
        )
        add(
            "publish_now",
            "&Publish Now…",
            lambda: self.publish("publish"),
            "Ctrl+Shift+U",
            "Publish the post on a blog now",
        )
        add("schedule", "&Schedule…", lambda: self.publish("future"), "", "Publish later")
        add(
            "remote_draft",
            "Save as Remote &Draft…",
            lambda: self.publish("draft"),
            "",
            "Put the post on the blog as a draft",
        )
        add("update", "&Update on Blog", self.update_remote, "", "Send the post's current text")
        add("unpublish", "U&npublish", self.unpublish, "", "Back to a draft, here and on the blog")
        add(
            "trash_remote",
            "Move to &Trash on Blog",
            self.trash_remote,
            "",
            "Move the post to the trash here and on the blog",
        )

    def _make_menus(self) -> None:
        w = self.window
        a = self.actions
        self.publish_menu = QtWidgets.QMenu("P&ublish", w)
        self.publish_menu.setObjectName("publishMenu")
        self.publish_menu.addActions([a["publish_now"], a["schedule"], a["remote_draft"]])
        self.publish_menu.addSeparator()
        self.publish_menu.addActions([a["update"], a["unpublish"], a["trash_remote"]])

        self.blog_menu = QtWidgets.QMenu("&Blog", w)
        self.blog_menu.setObjectName("blogMenu")
        self.blog_menu.addActions([a["add_blog"], a["remove_blog"], a["set_password"]])
        self.blog_menu.addSeparator()
        self.blog_menu.addMenu(self.publish_menu)
        self.blog_menu.addSeparator()
        self.blog_menu.addAction(a["sync_now"])
        w.menuBar().insertMenu(w.view_menu.menuAction(), self.blog_menu)

        post_menu = getattr(w, "post_menu", None)
        if post_menu is not None:
            post_menu.addSeparator()
            post_menu.addMenu(self.publish_menu)

        toolbar = getattr(w, "toolbar", None)
        if toolbar is not None:
            button = QtWidgets.QToolButton(toolbar)
            button.setObjectName("publishButton")
            button.setText("Publish")
            button.setToolTip("Publish the post (the arrow: schedule, draft, update…)")
            button.setMenu(self.publish_menu)
            button.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.MenuButtonPopup)
            button.clicked.connect(lambda _checked=False: self.publish("publish"))
            toolbar.addSeparator()
            self.toolbar_action = toolbar.addWidget(button)
            self.publish_button = button

    def _make_dock(self) -> None:
        from .outbox_panel import OutboxPanel

        w = self.window
        self.panel = OutboxPanel()
        self.dock = QtWidgets.QDockWidget("Outbox", w)
        self.dock.setObjectName("outboxDock")
        self.dock.setWidget(self.panel)
        self.dock.setAllowedAreas(
            Qt.DockWidgetArea.BottomDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea
        )
        w.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        toggle = self.dock.toggleViewAction()
        toggle.setText("Out&box")
        toggle.setObjectName("action_toggle_outbox")
        toggle.setShortcut(QtGui.QKeySequence("Ctrl+Shift+B"))
        self.actions["toggle_outbox"] = toggle
        w.view_menu.addSeparator()
        w.view_menu.addAction(toggle)
        self.dock.visibilityChanged.connect(self._dock_shown)
        self.panel.retryRequested.connect(self.retry_job)
        self.panel.cancelRequested.connect(self.cancel_job)
        self.panel.resolveRequested.connect(self.open_conflict)
        self.panel.syncRequested.connect(self.sync_now)

    def _make_status_label(self) -> None:
        self.status_label = QtWidgets.QLabel()
        self.status_label.setObjectName("outboxStatus")
        self.status_label.setContentsMargins(6, 0, 6, 0)
        self.status_label.setTextFormat(Qt.TextFormat.RichText)
        self.status_label.linkActivated.connect(lambda _link: self.show_outbox())
        self.status_label.hide()
        self.window.statusBar().addPermanentWidget(self.status_label)

    # --- the library and the worker -----------------------------------------------------------

    def _on_library(self) -> None:
        self.library = self.window.library
        self._update_actions()
        self.reload_outbox()
        factory = self.secret_store_factory

        def make_store() -> Any:
            if factory is not None:
                return factory()
            from desktop_blog.core.secrets import SecretStore

            return SecretStore()

        self.window.tasks.run_net(make_store, self._store_ready, self._store_failed)

    def _store_failed(self, exc: BaseException) -> None:
        from desktop_blog.core.secrets import SecretStore

        log.warning("no secret store: %s", type(exc).__name__)
        from keyring.backends import fail

        self._store_ready(SecretStore(fail.Keyring()))

    def _store_ready(self, store: Any) -> None:
        if self.window.closed:
            return
        self.secrets = store
        if not store.persistent:
            log.info("passwords kept in memory: %s", store.detail)
        self.start_worker()

    def start_worker(self) -> None:
        """(Re)start the sync worker with the current client factory."""
        from .sync_worker import SyncWorker

        if self.library is None or self.secrets is None:
            return
        if self.worker is not None:
            self.worker.stop()
            self.worker.deleteLater()
        worker = SyncWorker(self.library, self.secrets, self.client_factory, self)
        queued = Qt.ConnectionType.QueuedConnection
        worker.jobFinished.connect(self._on_job, queued)
        worker.pullFinished.connect(self._on_pull, queued)
        worker.passwordNeeded.connect(self._on_password_needed, queued)
        worker.busyChanged.connect(self._on_busy, queued)
        self.worker = worker
        worker.start()
        app = QtWidgets.QApplication.instance()
        if app is not None and not self._watching_state:
            self._watching_state = True
            app.applicationStateChanged.connect(self._on_application_state)
        self.workerStarted.emit()

    def _on_application_state(self, state: Qt.ApplicationState) -> None:
        # In the background, a full garbage collection's pause is not seen (sync_worker.py).
        if state != Qt.ApplicationState.ApplicationActive and self.worker is not None:
            self.worker.collect_frozen()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The window closes its library in its closeEvent: the worker stops first. Should the
        # close be refused (unsaved text), the worker starts again.
        if watched is self.window and event.type() == QEvent.Type.Close:
            if self.worker is not None and self.worker.running:
                self.worker.stop(timeout=5.0)
                QtCore.QTimer.singleShot(0, self._restart_if_open)
        return False

    def _restart_if_open(self) -> None:
        if not self.window.closed and self.worker is not None and not self.worker.running:
            self.worker.start()

    # --- helpers ------------------------------------------------------------------------------

    def _update_actions(self) -> None:
        ready = self.library is not None
        post_open = ready and self.window.current_post_id() is not None
        for key in ("add_blog", "remove_blog", "set_password", "sync_now"):
            self.actions[key].setEnabled(ready)
        for key in ("publish_now", "schedule", "remote_draft", "update", "unpublish"):
            self.actions[key].setEnabled(post_open)
        self.actions["trash_remote"].setEnabled(post_open)
        if getattr(self, "publish_button", None) is not None:
            self.publish_button.setEnabled(post_open)

    def say(self, text: str, timeout_ms: int = 8000) -> None:
        """A message in the status bar (kept in `last_message` for tests)."""
        self.last_message = text
        self.window.statusBar().showMessage(text, timeout_ms)

    def warn(self, title: str, text: str) -> None:
        """A warning the user must see; window-modal but not blocking."""
        self.say(text, 15000)
        if self.window.closed:
            return
        box = QtWidgets.QMessageBox(
            QtWidgets.QMessageBox.Icon.Warning,
            title,
            text,
            QtWidgets.QMessageBox.StandardButton.Ok,
            self.window,
        )
        box.setObjectName("publishingWarning")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.message_box = box
        box.open()

    def _flush(self) -> None:
        if self.window.autosaver is not None:
            self.window.autosaver.flush()

    def _wake(self) -> None:
        if self.worker is not None:
            self.worker.wake()

    def _load_blogs(self, then: Callable[[list], None]) -> None:
        from desktop_blog.core import publishing

        library = self.library

        def read() -> list:
            with library.session() as session:
                return publishing.list_blog_accounts(session)

        self.window.tasks.run_db(read, then, lambda exc: self.warn("Blogs", str(exc)))

    def _choose_blog(self, accounts: list, title: str, label: str) -> Any | None:
        if not accounts:
            return None
        if len(accounts) == 1:
            return accounts[0]
        names = [a.name for a in accounts]
        name, ok = QtWidgets.QInputDialog.getItem(self.window, title, label, names, 0, False)
        if not ok:
            return None
        return accounts[names.index(name)]

    # --- blogs --------------------------------------------------------------------------------

    def show_add_blog(self) -> Any:
        """Open the Add Blog dialog (window-modal, not blocking); returns it."""
        from .dialogs.add_blog import AddBlogDialog

        if self.library is None:
            return None
        if self.secrets is None:  # the store is still being made: make one here
            from desktop_blog.core.secrets import SecretStore

            self.secrets = (self.secret_store_factory or SecretStore)()
        dialog = AddBlogDialog(
            self.library,
            self.window.tasks,
            self.secrets,
            self.window,
            client_factory=self.client_factory,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.added.connect(self._blog_added)
        self.add_blog_dialog = dialog
        dialog.open()
        return dialog

    def _blog_added(self, record: Any, password: str, saved: bool) -> None:
        if self.worker is not None:
            self.worker.set_password(record.id, password)
        if self.window.tree is not None:
            self.window.tree.refresh()
        where = "in the system keyring" if saved else "in memory until you quit"
        self.say(f"Added the blog “{record.name}”; its password is kept {where}.")
        if not saved and self.secrets is not None and self.secrets.reason:
            self.warn("Password not saved", self.secrets.reason)
        # its posts and categories come in now
        if self.worker is not None:
            self.worker.sync_now(record.id)

    def remove_blog(self) -> None:
        """Ask which blog (and to confirm), then remove it here; the blog itself is untouched."""
        if self.library is None:
            return
        self._load_blogs(self._remove_chosen)

    def _remove_chosen(self, accounts: list) -> None:
        from desktop_blog.core import blogs

        if not accounts:
            self.say("There is no blog to remove.")
            return
        account = self._choose_blog(accounts, "Remove a blog", "Remove which blog?")
        if account is None:
            return
        answer = QtWidgets.QMessageBox.question(
            self.window,
            "Remove the blog",
            f"Remove “{account.name}” from the library? Its posts stay here as local posts "
            "and its waiting outbox jobs are dropped. Nothing changes on the blog itself.",
            QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.No,
        )
        if answer != QtWidgets.QMessageBox.StandardButton.Yes:
            return
        library = self.library
        secrets = self.secrets

        def remove() -> Any:
            with library.session() as session:
                removed = blogs.remove_blog(session, account.name)
                session.commit()
            if secrets is not None:
                secrets.delete(removed.blog)
            return removed

        def done(removed: Any) -> None:
            if self.worker is not None:
                self.worker.forget_blog(removed.blog.id)
            if self.window.tree is not None:
                self.window.tree.refresh()
            self.reload_outbox()
            self.say(f"Removed the blog “{removed.blog.name}”; its posts stay in the library.")

        self.window.tasks.run_db(remove, done, lambda exc: self.warn("Remove blog", str(exc)))

    def set_password(self) -> None:
        """Give a blog's password again (changed on the blog, or not kept by the keyring)."""
        if self.library is None:
            return

        def chosen(accounts: list) -> None:
            account = self._choose_blog(accounts, "Set password", "Password for which blog?")
            if account is not None:
                self.ask_password(account, force=True)

        self._load_blogs(chosen)

    def ask_password(self, account: Any, *, force: bool = False) -> bool:
        """Ask for `account`'s password (once per session unless `force`); True if given."""
        if not force and account.id in self._asked_password:
            self.say(
                f"The jobs of “{account.name}” wait: it has no password in this session "
                "(Blog → Set Password…).",
                15000,
            )
            return False
        self._asked_password.add(account.id)
        why = ""
        if self.secrets is not None and not self.secrets.persistent:
            why = "\n\n" + self.secrets.reason
        password, ok = QtWidgets.QInputDialog.getText(
            self.window,
            "Password needed",
            f"The password (application password) of {account.username} at {account.url}:{why}",
            QtWidgets.QLineEdit.EchoMode.Password,
        )
        if not ok or not password:
            if self.worker is not None:
                self.worker.decline_password(account.id)
            self.say(
                f"The jobs of “{account.name}” wait until its password is given "
                "(Blog → Set Password…).",
                15000,
            )
            return False
        if self.worker is not None:
            self.worker.set_password(account.id, password)
        secrets = self.secrets
        if secrets is not None:
            self.window.tasks.run_net(lambda: secrets.set(account, password))
        return True

    def _on_password_needed(self, account: Any) -> None:
        if self.window.closed:
            return
        self.ask_password(account)

    # --- publishing ---------------------------------------------------------------------------

    def publish(
        self, status: str = "publish", blog_id: int | None = None, when: datetime | None = None
    ) -> None:
        """Publish the open post now (``publish``), schedule it (``future``, asking for the
        date unless `when`) or save it as a remote draft (``draft``), to its blog, the only
        blog, or one the user chooses (or `blog_id`)."""
        from desktop_blog.core import library as core

        post_id = self.window.current_post_id()
        if self.library is None or post_id is None:
            self.say("Open a post first.")
            return
        library = self.library

        def read() -> tuple:
            from desktop_blog.core import publishing

            with library.session() as session:
                return core.get_post(session, post_id), publishing.list_blog_accounts(session)

        def chosen(found: tuple) -> None:
            post, accounts = found
            if not accounts:
                self.warn("No blog yet", "Add a blog first (Blog → Add Blog…).")
                return
            target = blog_id or post.blog_id
            if target is None:
                account = self._choose_blog(accounts, "Publish", "Publish to which blog?")
                if account is None:
                    return
                target = account.id
            moment = when
            if status == "future" and moment is None:
                dialog = ScheduleDialog(self.window)
                if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
                    return
                moment = dialog.when()
            self._request(
                post_id,
                lambda s: _publishing().request_publish(s, post_id, target, status, moment),
                {"publish": "Publishing", "future": "Scheduling", "draft": "Saving as a draft"}[
                    status
                ],
            )

        self._flush()
        self.window.tasks.run_db(read, chosen, lambda exc: self.warn("Publish", str(exc)))

    def update_remote(self) -> None:
        """Send the open post's text to its blog (its status there is kept)."""
        self._post_request(lambda s, pid: _publishing().request_update(s, pid), "Updating")

    def unpublish(self) -> None:
        """Take the open post back to a draft, here and on its blog."""
        self._post_request(lambda s, pid: _publishing().request_unpublish(s, pid), "Unpublishing")

    def trash_remote(self) -> None:
        """Move the open post to the trash here and on its blog."""
        self._post_request(
            lambda s, pid: _publishing().request_trash(s, pid), "Moving to the blog's trash"
        )

    def _post_request(self, fn: Callable[[Any, int], Any], doing: str) -> None:
        post_id = self.window.current_post_id()
        if self.library is None or post_id is None:
            self.say("Open a post first.")
            return
        self._flush()
        self._request(post_id, lambda s: fn(s, post_id), doing)

    def _request(self, post_id: int, op: Callable[[Any], Any], doing: str) -> None:
        """Write the job (after the autosaver's writes: one database worker), then wake the
        worker and show the post's new status."""
        from desktop_blog.core import library as core

        library = self.library

        def write() -> tuple:
            with library.session() as session:
                job = op(session)
                session.commit()
                return job, core.get_post(session, post_id)

        def done(result: tuple) -> None:
            job, post = result
            self._wake()
            self.window.editor_panel.update_metadata(post)
            if self.window.tree is not None:
                self.window.tree.refresh(select=post.id)
            self.reload_outbox()
            title = post.title or "the post"
            if job is None:
                self.say(f"“{title}” was never on a blog: moved to the trash here only.")
            else:
                self.say(f"{doing} “{title}”… (see View → Outbox)")
            self.requested.emit(job, post)

        def failed(exc: BaseException) -> None:
            self.warn("Publishing", str(exc))

        self.window.tasks.run_db(write, done, failed)

    # --- sync and the outbox ------------------------------------------------------------------

    def sync_now(self) -> None:
        """Pull every blog's posts and terms and run the outbox now (jobs waiting for a retry
        time are tried at once)."""
        if self.library is None:
            return
        library = self.library

        def due_now() -> int:
            from desktop_blog.core import outbox

            with library.session() as session:
                waiting = outbox.list_jobs(session, states=[outbox.PENDING])
                for job in waiting:
                    if job.next_attempt_at is not None:
                        outbox.retry(session, job.id)
                session.commit()
            return len(waiting)

        def go(_n: int) -> None:
            if self.worker is not None:
                self.worker.sync_now()
            self.say("Syncing…")
            self.reload_outbox()

        self.window.tasks.run_db(due_now, go, lambda exc: self.warn("Sync", str(exc)))

    def retry_job(self, job_id: int) -> None:
        self._job_op(job_id, "retry", "Trying again.")

    def cancel_job(self, job_id: int) -> None:
        self._job_op(job_id, "cancel", "Cancelled.")

    def _job_op(self, job_id: int, name: str, message: str) -> None:
        from desktop_blog.core import outbox

        library = self.library
        fn = getattr(outbox, name)

        def write() -> Any:
            with library.session() as session:
                job = fn(session, job_id)
                session.commit()
                return job

        def done(_job: Any) -> None:
            self._offered_conflicts.discard(job_id)
            self._wake()
            self.reload_outbox()
            self.say(message)

        self.window.tasks.run_db(write, done, lambda exc: self.warn("Outbox", str(exc)))

    def show_outbox(self) -> None:
        self.dock.show()
        self.dock.raise_()

    def _dock_shown(self, visible: bool) -> None:
        if visible:
            self.reload_outbox()

    def reload_outbox(self) -> None:
        """Read the jobs again on the database worker (coalesced while a read runs)."""
        from .outbox_panel import read_outbox

        if self.library is None:
            return
        if self._loading_outbox:
            self._outbox_dirty = True
            return
        self._loading_outbox = True
        library = self.library

        def failed(exc: BaseException) -> None:
            self._loading_outbox = False
            log.warning("outbox could not be read: %s", exc)

        self.window.tasks.run_db(lambda: read_outbox(library), self._outbox_read, failed)

    def _outbox_read(self, snapshot: Any) -> None:
        from .outbox_panel import summary_text

        self._loading_outbox = False
        self._outbox_read_at = time.monotonic()
        if self._outbox_dirty:
            self._outbox_dirty = False
            self.reload_outbox()
        self.snapshot = snapshot
        self.panel.show_snapshot(snapshot)
        waiting = snapshot.waiting
        if waiting == 0:
            self._sent_in_batch = 0
        if self._busy:
            self.panel.set_progress(self._sent_in_batch, self._sent_in_batch + waiting)
        else:
            self.panel.set_progress(0, 0)
        needs_user = snapshot.counts.get("failed", 0) + snapshot.counts.get("conflict", 0)
        if waiting or needs_user:
            text = summary_text(snapshot).rstrip(".")
            self.status_label.setText(f'<a href="outbox">{text[:1].lower() + text[1:]}</a>')
            self.status_label.setToolTip("Open the outbox")
            self.status_label.show()
        else:
            self.status_label.clear()
            self.status_label.hide()
        self.outboxRefreshed.emit(snapshot)

    def _on_busy(self, busy: bool) -> None:
        self._busy = busy
        if not busy:  # the run is over: show where it ended now
            self._outbox_timer.start(0)
            if self._tree_timer.isActive():
                self._tree_timer.start(0)
        elif not self._outbox_timer.isActive():
            self._outbox_timer.start(OUTBOX_REFRESH_MS)

    def _follow_outbox(self) -> None:
        """A job finished: read the outbox soon, or while a run goes on, once a second."""
        if self._outbox_timer.isActive():
            return
        since = time.monotonic() - self._outbox_read_at
        self._outbox_timer.start(
            OUTBOX_BUSY_REFRESH_MS if self._busy and since < 2.0 else OUTBOX_REFRESH_MS
        )

    def _on_job(self, outcome: Any) -> None:
        from desktop_blog.core import outbox

        if self.window.closed:
            return
        if outcome.state == outbox.DONE:
            self._sent_in_batch += 1
            if outcome.operation != "resolve_duplicates":
                self.say(_done_text(outcome))
        elif outcome.state == outbox.FAILED:
            self.say(f"Could not send: {outcome.message}", 15000)
            self.show_outbox()
        elif outcome.state == outbox.PENDING:
            self.say(f"Not sent yet, will try again: {outcome.message}", 15000)
        elif outcome.state == outbox.CONFLICT:
            self.offer_conflict(outcome)
        self._follow_outbox()
        if not self._tree_timer.isActive():
            self._tree_timer.start(TREE_BUSY_REFRESH_MS if self._busy else TREE_REFRESH_MS)
        current = self.window.current_post_id()
        if outcome.post_id is not None and outcome.post_id == current:
            self._reload_metadata(current)

    def _on_pull(self, blog_id: int, report: Any, error: str) -> None:
        if self.window.closed:
            return
        if error:
            self.say(f"Could not fetch the blog's posts: {error}", 15000)
            self.panel.summary.setText(f"Could not fetch the blog's posts: {error}")
            return
        parts = [f"{report.new} new", f"{report.updated} updated"]
        if report.kept_local:
            parts.append(f"{report.kept_local} kept as edited here")
        self.say("Fetched posts: " + ", ".join(parts) + ".")
        if not self._tree_timer.isActive():
            self._tree_timer.start()
        current = self.window.current_post_id()
        if current is not None and current in report.post_ids:
            autosaver = self.window.autosaver
            if autosaver is None or not autosaver.has_unsaved():
                self._reload_post(current)

    def _refresh_tree(self) -> None:
        if self.window.tree is not None and not self.window.closed:
            self.window.tree.refresh()

    def _reload_metadata(self, post_id: int) -> None:
        from desktop_blog.core import library as core

        library = self.library

        def read() -> Any:
            with library.session() as session:
                return core.get_post(session, post_id)

        self.window.tasks.run_db(read, self.window.editor_panel.update_metadata, lambda _e: None)

    def _reload_post(self, post_id: int) -> None:
        """Show the stored text of the open post (it was replaced: take theirs, merge, pull)."""
        from desktop_blog.core import library as core

        library = self.library

        def read() -> Any:
            with library.session() as session:
                return core.get_post(session, post_id)

        def show(post: Any) -> None:
            if self.window.current_post_id() == post.id:
                self.window.editor_panel.load(post)

        self.window.tasks.run_db(read, show, lambda _e: None)

    # --- conflicts ----------------------------------------------------------------------------

    def offer_conflict(self, outcome: Any) -> None:
        """Tell the user about a conflict and offer to resolve it (once per job and session)."""
        if outcome.job_id in self._offered_conflicts:
            return
        self._offered_conflicts.add(outcome.job_id)
        self.show_outbox()
        title = next(
            (r.post_title for r in (self.panel.rows or []) if r.post_id == outcome.post_id),
            "",
        )
        box = QtWidgets.QMessageBox(
            QtWidgets.QMessageBox.Icon.Question,
            "The post changed on the blog",
            (f"“{title}”" if title else "The post")
            + " was changed on the blog since it was last synced, so nothing was sent.",
            QtWidgets.QMessageBox.StandardButton.NoButton,
            self.window,
        )
        box.setInformativeText(
            "Open the versions side by side to keep yours, take the blog's, or merge them."
        )
        box.setObjectName("conflictPrompt")
        resolve = box.addButton("Resolve Now…", QtWidgets.QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Later", QtWidgets.QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(resolve)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        job_id = outcome.job_id
        resolve.clicked.connect(
            lambda: QtCore.QTimer.singleShot(0, lambda: self.open_conflict(job_id))
        )
        self.conflict_prompt = box
        box.open()

    def open_conflict(self, job_id: int) -> Any:
        """Open the conflict dialog for a job (window-modal, not blocking); returns it."""
        from .conflict_dialog import ConflictDialog

        if self.library is None:
            return None
        self._flush()
        dialog = ConflictDialog(
            self.library, self.window.tasks, job_id, self.window, before_resolve=self._flush
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.resolved.connect(self._conflict_resolved)
        self.conflict_dialog = dialog
        dialog.open()
        return dialog

    def _conflict_resolved(self, how: str, job: Any) -> None:
        self._wake()
        self.reload_outbox()
        self._tree_timer.start()
        if how == "take_theirs":
            self.say("Took the blog's version; your text is kept in the revision history.")
        elif how == "keep_mine":
            self.say("Sending your version to the blog…")
        else:
            self.say("Sending the merged text to the blog…")
        if job.post_id is not None and job.post_id == self.window.current_post_id():
            if how == "keep_mine":
                self._reload_metadata(job.post_id)
            else:
                self._reload_post(job.post_id)


def _publishing() -> Any:
    from desktop_blog.core import publishing

    return publishing


def _done_text(outcome: Any) -> str:
    if outcome.link:
        return f"Sent to the blog: {outcome.link}"
    return outcome.message or "Sent to the blog."


def default_schedule_time() -> datetime:
    """An hour from now, to the minute (UTC)."""
    return (datetime.now(UTC) + timedelta(hours=1)).replace(second=0, microsecond=0)


def install(window: Any) -> PublishingController:
    """Add the Blog menu, the publish actions and the outbox dock to a built window."""
    return PublishingController(window)


__all__ = ["PublishingController", "ScheduleDialog", "default_schedule_time", "install"]

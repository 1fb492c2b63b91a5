"""The main window: post tree on the left, the editor in the centre, details docked beside it.

Start-up order (see app.py): the window's frame is shown first, with its saved geometry; this
module therefore imports only what that frame needs, and ``build`` (called after the first
paint) imports and makes the rest: menus, toolbar, editor, details. ``set_library`` then fills it
once the library has been opened on the database worker. Every database operation goes through the task manager's single database worker, after
the autosaver's pending writes, so an operation always sees the latest text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMainWindow, QWidget

if TYPE_CHECKING:
    from PySide6.QtGui import QAction, QCloseEvent, QPaintEvent

    from .autosave import AutoSaver
    from .tasks import TaskManager

log = logging.getLogger(__name__)

DEFAULT_SIZE = (1200, 760)
DEFAULT_TREE_WIDTH = 260
DEFAULT_DETAILS_WIDTH = 280
NO_POST_MESSAGE = "No post is open.\n\nChoose one on the left, or make a new one with Ctrl+N."


class Act(StrEnum):
    """Every action of the window, keyed once (menus, toolbar and tests use these)."""

    NEW_POST = "new_post"
    SAVE = "save"
    CLOSE_POST = "close_post"
    PREFERENCES = "preferences"
    QUIT = "quit"
    UNDO = "undo"
    REDO = "redo"
    CUT = "cut"
    COPY = "copy"
    PASTE = "paste"
    SELECT_ALL = "select_all"
    FIND = "find"
    RENAME = "rename"
    DUPLICATE = "duplicate"
    TRASH = "trash"
    RESTORE = "restore"
    DELETE_FOREVER = "delete_forever"
    TOGGLE_DETAILS = "toggle_details"
    TOGGLE_TOOLBAR = "toggle_toolbar"
    ABOUT = "about"


def _is_inside(widget: QWidget | None, container: QWidget) -> bool:
    while widget is not None:
        if widget is container:
            return True
        widget = widget.parentWidget()
    return False


class MainWindow(QMainWindow):
    # the first frame has been painted (queued: it fires once that paint is done)
    firstPainted = Signal()
    # the library is open and the window filled
    libraryReady = Signal()
    # the editor now shows this post (an id) or none (None)
    postShown = Signal(object)

    def __init__(
        self,
        home: Path,
        tasks: TaskManager | None = None,
        settings: Any | None = None,
        parent: QWidget | None = None,
        *,
        deferred: bool = False,
    ) -> None:
        """The window; with ``deferred`` only its frame, until ``build`` is called."""
        super().__init__(parent)
        self.home = Path(home)
        self._owns_tasks = tasks is None
        self.tasks = tasks
        if settings is None:
            from .settings import Settings

            settings = Settings(self.home)
        self.settings = settings
        self.library: Any | None = None
        self.tree: Any | None = None
        self.autosaver: AutoSaver | None = None
        self.built = False
        self.icons_ready = False
        self._painted = False
        self._wanted_post: int | None = None
        self._warned_storage = False
        self._closing_done = False
        self.warning_box: QWidget | None = None

        self.setWindowTitle("Desktop Blog")
        self.setObjectName("mainWindow")
        geometry = self.settings.state("geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(*DEFAULT_SIZE)
        # The first frame is only this: Qt's namespace alone (Qt.AlignmentFlag and its ~100
        # other enums) takes about 40 ms to load in PySide6, so this module refers to Qt
        # through its modules (QtCore.Qt...), loading each part when first used, after the frame.
        self.setCentralWidget(QWidget())
        if not deferred:
            self.build()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QtCore.QTimer.singleShot(0, self.firstPainted.emit)

    def build(self) -> None:
        """Make everything but the frame: editor, tree pane, details, menus, toolbar."""
        if self.built:
            return
        from .editor_panel import EditorPanel
        from .tasks import TaskManager

        self.built = True
        if self.tasks is None:
            self.tasks = TaskManager(self)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
        )
        self.editor_panel = EditorPanel()
        self._tree_placeholder = QtWidgets.QLabel("Opening library…")
        self._tree_placeholder.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self._tree_placeholder.setEnabled(False)
        self._left = QWidget()
        self._left.setObjectName("treePane")
        left_layout = QtWidgets.QVBoxLayout(self._left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self._tree_placeholder)

        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self._left)
        self.splitter.addWidget(self.editor_panel)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        self.splitter.setHandleWidth(5)
        self.setCentralWidget(self.splitter)

        self.details = QtWidgets.QDockWidget("Details")
        self.details.setObjectName("detailsDock")
        self.details.setWidget(self.editor_panel.metadata)
        self.details.setFeatures(
            QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
        )
        self.details.setAllowedAreas(
            QtCore.Qt.DockWidgetArea.RightDockWidgetArea
            | QtCore.Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, self.details)

        self.actions_: dict[Act, QAction] = {}
        self._make_actions()
        self._make_menus_and_toolbar()
        self._make_status_bar()

        self.editor_panel.edited.connect(self._on_edited)
        self.editor_panel.titleEdited.connect(self._on_title_edited)
        self.editor_panel.wordCountChanged.connect(self._show_word_count)
        self.editor_panel.metadata.status.activated.connect(self._on_status_chosen)

        self._restore_window_state()
        self._update_actions()
        self.statusBar().showMessage("Opening library…")

    # --- building -----------------------------------------------------------------------------

    def _make_actions(self) -> None:
        from . import icons

        blank = icons.blank_icon()
        K = QtGui.QKeySequence.StandardKey

        def add(
            key: Act,
            text: str,
            slot: Callable[[], Any],
            shortcut: Any = None,
            tip: str = "",
        ) -> QAction:
            action = QtGui.QAction(blank, text, self)
            action.setObjectName(f"action_{key.value}")
            if shortcut is not None:
                if isinstance(shortcut, list):
                    action.setShortcuts(shortcut)
                elif isinstance(shortcut, QtGui.QKeySequence.StandardKey):
                    action.setShortcuts(QtGui.QKeySequence.keyBindings(shortcut))
                else:
                    action.setShortcut(QtGui.QKeySequence(shortcut))
            if tip:
                action.setStatusTip(tip)
            action.triggered.connect(lambda _checked=False: slot())
            self.actions_[key] = action
            self.addAction(action)
            return action

        add(Act.NEW_POST, "&New Post", self.new_post, K.New, "Start a new draft")
        add(Act.SAVE, "&Save Now", self.save_now, K.Save, "Write the post to the library now")
        add(Act.CLOSE_POST, "&Close Post", self.close_post, K.Close, "Close the post in the editor")
        # Linux has no standard Preferences shortcut; Ctrl+, is what most apps use there.
        prefs = QtGui.QKeySequence.keyBindings(K.Preferences) or [QtGui.QKeySequence("Ctrl+,")]
        add(Act.PREFERENCES, "&Preferences…", self.show_preferences, prefs)
        # Platforms without a standard Quit binding (the offscreen one, some desktops) get Ctrl+Q.
        quit_keys = QtGui.QKeySequence.keyBindings(K.Quit) or [QtGui.QKeySequence("Ctrl+Q")]
        add(Act.QUIT, "&Quit", self.close, quit_keys)
        for key, text, method, std in (
            (Act.UNDO, "&Undo", "undo", K.Undo),
            (Act.REDO, "&Redo", "redo", K.Redo),
            (Act.CUT, "Cu&t", "cut", K.Cut),
            (Act.COPY, "&Copy", "copy", K.Copy),
            (Act.PASTE, "&Paste", "paste", K.Paste),
            (Act.SELECT_ALL, "Select &All", "selectAll", K.SelectAll),
        ):
            action = add(key, text, lambda m=method: self._edit_focused(m), std)
            # The focused text field handles these keys itself; the menu entry is for the mouse.
            action.setShortcutContext(QtCore.Qt.ShortcutContext.WidgetShortcut)
        add(Act.FIND, "&Find…", self.find, K.Find, "Search the library")
        add(Act.RENAME, "&Rename…", self.rename_post, "F2")
        add(Act.DUPLICATE, "D&uplicate", self.duplicate_post, "Ctrl+D")
        add(Act.TRASH, "Move to &Trash", self.trash_post, K.Delete)
        add(Act.RESTORE, "Res&tore", self.restore_post)
        add(Act.DELETE_FOREVER, "&Delete Forever…", self.delete_post_forever, "Shift+Delete")
        # Delete keys belong to the text while typing: these two only act in the post tree.
        for key in (Act.TRASH, Act.DELETE_FOREVER):
            self.actions_[key].setShortcutContext(
                QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut
            )
            self.removeAction(self.actions_[key])
        details = self.details.toggleViewAction()
        details.setText("Post &Details")
        details.setShortcut(QtGui.QKeySequence("Ctrl+Shift+D"))
        details.setIcon(blank)
        self.actions_[Act.TOGGLE_DETAILS] = details
        add(Act.ABOUT, "&About Desktop Blog", self.show_about)

    def _make_menus_and_toolbar(self) -> None:
        a = self.actions_
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([a[Act.NEW_POST], a[Act.SAVE], a[Act.CLOSE_POST]])
        file_menu.addSeparator()
        file_menu.addAction(a[Act.PREFERENCES])
        file_menu.addSeparator()
        file_menu.addAction(a[Act.QUIT])
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([a[Act.UNDO], a[Act.REDO]])
        edit_menu.addSeparator()
        edit_menu.addActions([a[Act.CUT], a[Act.COPY], a[Act.PASTE], a[Act.SELECT_ALL]])
        edit_menu.addSeparator()
        edit_menu.addAction(a[Act.FIND])
        post_menu = bar.addMenu("&Post")
        post_menu.addActions([a[Act.NEW_POST], a[Act.RENAME], a[Act.DUPLICATE]])
        post_menu.addSeparator()
        post_menu.addActions([a[Act.TRASH], a[Act.RESTORE], a[Act.DELETE_FOREVER]])
        self.view_menu = bar.addMenu("&View")
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(a[Act.ABOUT])

        toolbar = QtWidgets.QToolBar("Toolbar")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addAction(a[Act.NEW_POST])
        toolbar.addAction(a[Act.SAVE])
        toolbar.addSeparator()
        toolbar.addActions([a[Act.RENAME], a[Act.DUPLICATE], a[Act.TRASH], a[Act.RESTORE]])
        toolbar.addSeparator()
        toolbar.addAction(a[Act.FIND])
        toolbar.addAction(a[Act.TOGGLE_DETAILS])
        self.addToolBar(toolbar)
        self.toolbar = toolbar
        toolbar_toggle = toolbar.toggleViewAction()
        toolbar_toggle.setText("&Toolbar")
        self.actions_[Act.TOGGLE_TOOLBAR] = toolbar_toggle
        self.view_menu.addActions([a[Act.TOGGLE_DETAILS], toolbar_toggle])

    def _make_status_bar(self) -> None:
        status = self.statusBar()
        self.word_count_label = QtWidgets.QLabel()
        self.word_count_label.setObjectName("wordCount")
        self.save_state_label = QtWidgets.QLabel()
        self.save_state_label.setObjectName("saveState")
        status.addPermanentWidget(self.word_count_label)
        status.addPermanentWidget(self.save_state_label)

    def _restore_window_state(self) -> None:
        state = self.settings.state("window")
        if state is None or not self.restoreState(state):
            self.resizeDocks(
                [self.details], [DEFAULT_DETAILS_WIDTH], QtCore.Qt.Orientation.Horizontal
            )
        splitter = self.settings.state("splitter")
        if splitter is None or not self.splitter.restoreState(splitter):
            rest = max(400, self.width() - DEFAULT_TREE_WIDTH - DEFAULT_DETAILS_WIDTH)
            self.splitter.setSizes([DEFAULT_TREE_WIDTH, rest])

    def save_window_state(self) -> None:
        self.settings.set_state("geometry", self.saveGeometry())
        if self.built:
            self.settings.set_state("window", self.saveState())
            self.settings.set_state("splitter", self.splitter.saveState())
        self.settings.sync()

    # --- the library --------------------------------------------------------------------------

    def set_library(self, library: Any, post: Any | None = None) -> None:
        """Fill the window from an open library, showing ``post`` (a PostData) if given."""
        from datetime import timedelta

        from . import icons
        from .autosave import AutoSaver
        from .post_tree import PostTree

        self.build()

        self.library = library
        self.autosaver = AutoSaver(
            library,
            self.tasks,
            self.editor_panel.current_edit,
            revision_every=timedelta(minutes=self.settings.revision_minutes),
            parent=self,
        )
        self.autosaver.stateChanged.connect(self._show_save_state)
        self.autosaver.failed.connect(self._warn_storage_failure)

        tree = PostTree(library, self.tasks, self._left)
        tree.setObjectName("postTree")
        self._left.layout().replaceWidget(self._tree_placeholder, tree)
        self._tree_placeholder.deleteLater()
        self.tree = tree
        a = self.actions_
        tree.set_context_actions(
            [
                a[Act.NEW_POST],
                a[Act.RENAME],
                a[Act.DUPLICATE],
                a[Act.TRASH],
                a[Act.RESTORE],
                a[Act.DELETE_FOREVER],
            ]
        )
        tree.addActions([a[Act.TRASH], a[Act.DELETE_FOREVER]])
        tree.postSelected.connect(self._on_post_selected)
        app = QtWidgets.QApplication.instance()
        app.focusChanged.connect(self._on_focus_changed)
        app.applicationStateChanged.connect(self._on_application_state)

        if post is not None:
            self._wanted_post = post.id
            self._show_post(post)
        else:
            self.editor_panel.show_message(NO_POST_MESSAGE)
            self.postShown.emit(None)
        tree.refresh(select=None if post is None else post.id)
        self._show_save_state("saved", "Saved")
        self.statusBar().showMessage(f"Library: {library.path}", 4000)
        self._update_actions()
        self.tasks.run_net(icons.import_qtawesome, lambda _module: self.apply_icons())
        self.libraryReady.emit()

    def apply_icons(self) -> None:
        from . import icons

        dark = self.palette().color(QtGui.QPalette.ColorRole.Window).lightness() < 128
        icons.apply_icons({k.value: v for k, v in self.actions_.items()}, dark=dark)
        self.icons_ready = True

    # --- opening posts ------------------------------------------------------------------------

    def current_post_id(self) -> int | None:
        return self.editor_panel.post_id

    def open_post(self, post_id: int | None) -> None:
        """Show ``post_id`` in the editor (after saving the one shown)."""
        if self.library is None:
            return
        if post_id == self.editor_panel.post_id and post_id is not None:
            return
        if self.autosaver is not None:
            self.autosaver.flush()
        self._wanted_post = post_id
        if post_id is None:
            self.editor_panel.show_message(NO_POST_MESSAGE)
            self._remember_post(None)
            self._update_actions()
            self.postShown.emit(None)
            return
        lib = self.library

        def load() -> Any:
            from desktop_blog.core.library import get_post

            with lib.session() as session:
                return get_post(session, post_id)

        def failed(exc: BaseException) -> None:
            log.warning("could not open post %s: %s", post_id, exc)
            if self._wanted_post == post_id:
                self.editor_panel.show_message(f"This post could not be opened.\n\n{exc}")
                self._update_actions()
                self.postShown.emit(None)

        self.tasks.run_db(load, self._show_post, failed)

    def _show_post(self, post: Any) -> None:
        if post.id != self._wanted_post:
            return  # the user has moved on
        if self.autosaver is not None:
            self.autosaver.flush()
        self.editor_panel.load(post)
        self._remember_post(post.id)
        self._update_actions()
        self.postShown.emit(post.id)

    def _remember_post(self, post_id: int | None) -> None:
        self.settings.last_post = post_id
        self.settings.sync()

    def _on_post_selected(self, post_id: object) -> None:
        self.open_post(post_id if isinstance(post_id, int) else None)

    # --- editing and saving -------------------------------------------------------------------

    def _on_edited(self) -> None:
        if self.autosaver is not None:
            self.autosaver.touch()

    def _on_title_edited(self, title: str) -> None:
        if self.tree is not None and self.editor_panel.post_id is not None:
            self.tree.set_post_title(self.editor_panel.post_id, title)

    def _on_status_chosen(self, _index: int) -> None:
        # A new status moves the post to another folder: write it now, then show it there.
        post_id = self.editor_panel.post_id
        if post_id is None or self.autosaver is None:
            return
        self.autosaver.flush()
        self._after_writes(lambda: self._reload_post_info(post_id, refresh_tree=True))

    def _after_writes(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` on the GUI thread once the database worker has done what it was given."""
        self.tasks.run_db(lambda: None, lambda _none: fn())

    def _reload_post_info(self, post_id: int, *, refresh_tree: bool) -> None:
        lib = self.library

        def load() -> Any:
            from desktop_blog.core.library import get_post

            with lib.session() as session:
                return get_post(session, post_id)

        def done(post: Any) -> None:
            self.editor_panel.update_metadata(post)
            self._update_actions()
            if refresh_tree and self.tree is not None:
                self.tree.refresh(select=post_id)

        self.tasks.run_db(load, done, lambda exc: log.warning("reload failed: %s", exc))

    def save_now(self) -> None:
        if self.autosaver is not None:
            self.autosaver.flush()

    def _show_save_state(self, state: str, message: str) -> None:
        from .autosave import FAILED, SAVED

        self.save_state_label.setText(message)
        self.save_state_label.setProperty("state", state)
        color = "#b3261e" if state == FAILED else ""
        self.save_state_label.setStyleSheet(f"color: {color};" if color else "")
        if state == SAVED:
            self._warned_storage = False

    def _warn_storage_failure(self, message: str) -> None:
        """Say once, without blocking typing, that saving fails; the status bar keeps saying it."""
        if self._warned_storage:
            return
        self._warned_storage = True
        box = QtWidgets.QMessageBox(self)
        box.setIcon(QtWidgets.QMessageBox.Icon.Warning)
        box.setWindowTitle("Your changes are not being saved")
        box.setText(message)
        box.setInformativeText(
            "Your text stays in the editor and Desktop Blog keeps trying to save it every few "
            "seconds. Do not quit until the status bar says “Saved”."
        )
        box.setStandardButtons(QtWidgets.QMessageBox.StandardButton.Ok)
        box.setWindowModality(QtCore.Qt.WindowModality.NonModal)
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()  # open() would make it window-modal
        self.warning_box = box

    def _show_word_count(self, words: int) -> None:
        self.word_count_label.setText("1 word" if words == 1 else f"{words:,} words")

    def _on_focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        if self.autosaver is None or old is None:
            return
        inside_old = _is_inside(old, self.editor_panel) or _is_inside(old, self.details)
        inside_new = new is not None and (
            _is_inside(new, self.editor_panel) or _is_inside(new, self.details)
        )
        if inside_old and not inside_new:
            self.autosaver.flush()

    def _on_application_state(self, state: QtCore.Qt.ApplicationState) -> None:
        if state != QtCore.Qt.ApplicationState.ApplicationActive and self.autosaver is not None:
            self.autosaver.flush()

    # --- actions ------------------------------------------------------------------------------

    def _edit_focused(self, method: str) -> None:
        fn = getattr(QtWidgets.QApplication.focusWidget(), method, None)
        if callable(fn):
            fn()

    def find(self) -> None:
        if self.tree is not None:
            self.tree.search_box.setFocus(QtCore.Qt.FocusReason.ShortcutFocusReason)
            self.tree.search_box.selectAll()

    def close_post(self) -> None:
        if self.editor_panel.post_id is None:
            return
        self.open_post(None)

    def _post_op(
        self,
        op: Callable[[Any, int], Any],
        post_id: int,
        done: Callable[[Any], None],
        what: str,
    ) -> None:
        """Run ``op(session, post_id)`` on the database worker after pending saves; commit."""
        if self.library is None:
            return
        if self.autosaver is not None:
            self.autosaver.flush()
        lib = self.library

        def work() -> Any:
            with lib.session() as session:
                result = op(session, post_id)
                session.commit()
                return result

        def failed(exc: BaseException) -> None:
            from desktop_blog.core.db import storage_message

            log.error("%s failed", what, exc_info=exc)
            self.statusBar().showMessage(f"Could not {what}: {storage_message(exc)}", 10000)

        self.tasks.run_db(work, done, failed)

    def _target(self) -> int | None:
        return self.editor_panel.post_id

    def new_post(self) -> None:
        if self.library is None:
            return

        def op(session: Any, _unused: int) -> Any:
            from desktop_blog.core.library import create_post

            return create_post(session, title="")

        def done(post: Any) -> None:
            self._select_and_show(post)
            self.editor_panel.title.setFocus(QtCore.Qt.FocusReason.OtherFocusReason)

        self._post_op(op, 0, done, "create a post")

    def _select_and_show(self, post: Any) -> None:
        """Show ``post`` in the editor and select it in the tree (after it changed folder)."""
        if post.id == self.editor_panel.post_id:
            self.editor_panel.update_metadata(post)
        else:
            if self.autosaver is not None:
                self.autosaver.flush()
            self._wanted_post = post.id
            self._show_post(post)
        self._update_actions()
        if self.tree is not None:
            self.tree.refresh(select=post.id)

    def rename_post(self) -> None:
        post_id = self._target()
        if post_id is None or self.autosaver is None:
            return
        from .dialogs import questions

        title = questions.ask_title(self, self.editor_panel.title.text())
        if title is None or post_id != self.editor_panel.post_id:
            return
        self.editor_panel.title.setText(title.strip())
        self.autosaver.touch()
        self.autosaver.flush()
        if self.tree is not None:
            self.tree.set_post_title(post_id, title.strip())
            self._after_writes(lambda: self.tree.refresh(select=post_id))

    def duplicate_post(self) -> None:
        post_id = self._target()
        if post_id is None:
            return

        def op(session: Any, pid: int) -> Any:
            from desktop_blog.core.library import duplicate_post

            return duplicate_post(session, pid)

        self._post_op(op, post_id, self._select_and_show, "duplicate the post")

    def trash_post(self) -> None:
        post_id = self._target()
        if post_id is None:
            return

        def op(session: Any, pid: int) -> Any:
            from desktop_blog.core.library import trash_post

            return trash_post(session, pid)

        self._post_op(op, post_id, self._select_and_show, "move the post to the trash")

    def restore_post(self) -> None:
        post_id = self._target()
        if post_id is None:
            return

        def op(session: Any, pid: int) -> Any:
            from desktop_blog.core.library import restore_post

            return restore_post(session, pid)

        self._post_op(op, post_id, self._select_and_show, "restore the post")

    def delete_post_forever(self) -> None:
        post_id = self._target()
        if post_id is None:
            return
        from .dialogs import questions

        if not questions.confirm_delete_forever(self, self.editor_panel.title.text()):
            return

        def op(session: Any, pid: int) -> None:
            from desktop_blog.core.library import delete_post

            delete_post(session, pid)

        def done(_none: Any) -> None:
            if self.editor_panel.post_id == post_id:
                self._wanted_post = None
                self.editor_panel.show_message(NO_POST_MESSAGE)
                self._remember_post(None)
                self.postShown.emit(None)
            self._update_actions()
            if self.tree is not None:
                self.tree.refresh(select=None)
            self.statusBar().showMessage("Post deleted.", 4000)

        self._post_op(op, post_id, done, "delete the post")

    def show_preferences(self) -> None:
        from datetime import timedelta

        from .dialogs.preferences import PreferencesDialog

        dialog = PreferencesDialog(self.settings, self)
        if dialog.exec() and self.autosaver is not None:
            self.autosaver.revision_every = timedelta(minutes=self.settings.revision_minutes)

    def show_about(self) -> None:
        from desktop_blog import __version__

        QtWidgets.QMessageBox.about(
            self,
            "About Desktop Blog",
            f"<h3>Desktop Blog {__version__}</h3>"
            "<p>Write your blog in Markdown, on your own computer.</p>"
            f"<p>Library: {self.home}</p>",
        )

    def _update_actions(self) -> None:
        from .editor_panel import TRASH

        a = self.actions_
        ready = self.library is not None
        post = self.editor_panel.post
        has_post = ready and post is not None
        trashed = has_post and post.status == TRASH
        a[Act.NEW_POST].setEnabled(ready)
        a[Act.FIND].setEnabled(ready)
        a[Act.SAVE].setEnabled(has_post)
        a[Act.CLOSE_POST].setEnabled(has_post)
        a[Act.RENAME].setEnabled(has_post and not trashed)
        a[Act.DUPLICATE].setEnabled(has_post)
        a[Act.TRASH].setEnabled(has_post and not trashed)
        a[Act.RESTORE].setEnabled(trashed)
        a[Act.DELETE_FOREVER].setEnabled(has_post)

    # --- closing ------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closing_done:
            event.accept()
            return
        if self.autosaver is not None and not self.autosaver.save_now_blocking():
            reason = self.autosaver.last_error or "The library cannot be written."
            from .dialogs import questions

            if not questions.ask_quit_unsaved(self, reason):
                event.ignore()
                self.autosaver.touch()  # keep retrying
                return
            self._write_rescue_copy()
        self.save_window_state()
        if self.autosaver is not None:
            self.autosaver.stop()
        app = QtWidgets.QApplication.instance()
        if self.tree is not None and app is not None:
            app.focusChanged.disconnect(self._on_focus_changed)
            app.applicationStateChanged.disconnect(self._on_application_state)
        if self._owns_tasks and self.tasks is not None:
            self.tasks.shutdown(wait=True)
        if self.library is not None:
            self.library.close()
        self._closing_done = True
        event.accept()

    @property
    def closed(self) -> bool:
        """The window has been closed (its library closed, its workers stopped)."""
        return self._closing_done

    def _write_rescue_copy(self) -> list[Path]:
        """Unsaved text goes to Markdown files beside the library (or in the temp folder)."""
        import tempfile
        from datetime import datetime

        written = []
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        for edit in self.autosaver.unsaved_edits() if self.autosaver else []:
            text = f"# {edit.title}\n\n{edit.body}"
            for folder in (self.home, Path(tempfile.gettempdir())):
                path = folder / f"unsaved-post-{edit.post_id}-{stamp}.md"
                try:
                    path.write_text(text, encoding="utf-8")
                except OSError:
                    continue
                log.warning("unsaved text of post %s written to %s", edit.post_id, path)
                written.append(path)
                break
        return written

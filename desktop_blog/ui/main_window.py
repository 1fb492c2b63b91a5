"""The main window: post tree on the left, the editor and its preview in the centre, details
and the outline docked beside them.

Start-up order (see app.py): the window's frame is shown first, with its saved geometry; this
module therefore imports only what that frame needs, and ``build`` (called after the first
paint) imports and makes the rest: menus, toolbar, editor, details. The preview (QtWebEngine,
whose import alone takes 40-70 ms and whose first view some hundreds) is made after that, from
the event loop, in the place a placeholder kept for it; Markdown and Pygments are imported on the
render thread. ``set_library`` then fills the window once the library has been opened on the
database worker. Every database operation goes through the task manager's single database
worker, after the autosaver's pending writes, so an operation always sees the latest text.
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
    REPLACE = "replace"
    FIND_NEXT = "find_next"
    FIND_PREVIOUS = "find_previous"
    GOTO_LINE = "goto_line"
    SEARCH_POSTS = "search_posts"
    BOLD = "bold"
    ITALIC = "italic"
    LINK = "link"
    RENAME = "rename"
    DUPLICATE = "duplicate"
    TRASH = "trash"
    RESTORE = "restore"
    DELETE_FOREVER = "delete_forever"
    REVISIONS = "revisions"
    TOGGLE_DETAILS = "toggle_details"
    TOGGLE_OUTLINE = "toggle_outline"
    TOGGLE_TOOLBAR = "toggle_toolbar"
    SHOW_PREVIEW = "show_preview"
    PREVIEW_ONLY = "preview_only"
    EDITOR_ONLY = "editor_only"
    FOCUS_MODE = "focus_mode"
    FULL_SCREEN = "full_screen"
    APPEARANCE_SYSTEM = "appearance_system"
    APPEARANCE_LIGHT = "appearance_light"
    APPEARANCE_DARK = "appearance_dark"
    PREVIEW_THEME_AUTO = "preview_theme_auto"
    PREVIEW_THEME_LIGHT = "preview_theme_light"
    PREVIEW_THEME_DARK = "preview_theme_dark"
    PREVIEW_THEME_SEPIA = "preview_theme_sepia"
    CUSTOM_CSS = "custom_css"
    NO_CUSTOM_CSS = "no_custom_css"
    EMBEDS = "embeds"
    SHORTCUTS = "shortcuts"
    ABOUT = "about"


# The editor's text column in focus mode, in average characters.
FOCUS_COLUMN = 76
PREVIEW_PLACEHOLDER = "The preview is starting…"


def _is_inside(widget: QWidget | None, container: QWidget) -> bool:
    while widget is not None:
        if widget is container:
            return True
        widget = widget.parentWidget()
    return False


_BASE_PALETTE: QtGui.QPalette | None = None


def _base_palette() -> QtGui.QPalette:
    """The application's palette before the window changed it (the platform's)."""
    global _BASE_PALETTE
    if _BASE_PALETTE is None:
        _BASE_PALETTE = QtGui.QPalette(QtWidgets.QApplication.palette())
    return _BASE_PALETTE


def _palette_is_dark(palette: QtGui.QPalette) -> bool:
    return palette.color(QtGui.QPalette.ColorRole.Window).lightness() < 128


def _dark_palette() -> QtGui.QPalette:
    """A dark palette for when the platform gives none."""
    C = QtGui.QColor
    R = QtGui.QPalette.ColorRole
    p = QtGui.QPalette()
    for role, color in (
        (R.Window, "#2b2d30"),
        (R.WindowText, "#dfe1e5"),
        (R.Base, "#1e1f22"),
        (R.AlternateBase, "#26282b"),
        (R.ToolTipBase, "#3c3f41"),
        (R.ToolTipText, "#dfe1e5"),
        (R.PlaceholderText, "#8c8f94"),
        (R.Text, "#dfe1e5"),
        (R.Button, "#35373b"),
        (R.ButtonText, "#dfe1e5"),
        (R.BrightText, "#ff6b6b"),
        (R.Light, "#4a4d52"),
        (R.Midlight, "#3e4145"),
        (R.Mid, "#2f3134"),
        (R.Dark, "#1b1c1f"),
        (R.Shadow, "#0d0d0f"),
        (R.Highlight, "#2f65ca"),
        (R.HighlightedText, "#ffffff"),
        (R.Link, "#6ea8ff"),
        (R.LinkVisited, "#b39dff"),
    ):
        p.setColor(role, C(color))
    G = QtGui.QPalette.ColorGroup.Disabled
    for role in (R.WindowText, R.Text, R.ButtonText):
        p.setColor(G, role, C("#6f7378"))
    p.setColor(G, R.Highlight, C("#3d4148"))
    return p


def _stored_of(post: Any) -> Any:
    """What the start-up cache needs of a post as the database has it."""
    from types import SimpleNamespace

    return SimpleNamespace(
        id=post.id, post_id=post.id, updated_at=post.updated_at, title=post.title, body=post.body
    )


class MainWindow(QMainWindow):
    # the first frame has been painted (queued: it fires once that paint is done)
    firstPainted = Signal()
    # the library is open and the window filled
    libraryReady = Signal()
    # the editor now shows this post (an id) or none (None)
    postShown = Signal(object)
    # the preview (a PreviewView) has been made and put in place
    previewCreated = Signal(object)
    # the preview painted a rendered post for the first time (start-up probe)
    firstPreviewPainted = Signal()

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
        self.revision_dialog: QWidget | None = None
        self.preview: Any | None = None
        self.render_worker: Any | None = None
        self.preview_connection: Any | None = None
        self.image_inserter: Any | None = None
        self._preview_painted = False
        # The last open post from the start-up cache (ui/startup_cache.py), shown in the preview
        # until the library is open and says whether it is still the post; app.py sets it
        # before ``build``. Then: what the database holds of the editor's post, for the cache.
        self.startup_post: Any | None = None
        self._first_preview_generation = 1
        self._stored: Any | None = None
        self._cache_timer: QtCore.QTimer | None = None
        self._preview_cached: Any | None = None
        self._after_preview: list[Callable[[], None]] = []
        self._focus_mode = False
        self._before_focus: dict[str, Any] = {}
        self._view_mode = self.settings.view_mode
        self._dark: bool | None = None
        self._applying_appearance = False

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
        from .tasks import TaskManager

        self.built = True
        if self.tasks is None:
            self.tasks = TaskManager(self)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
        )
        self._tree_placeholder = QtWidgets.QLabel("Opening library…")
        self._tree_placeholder.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self._tree_placeholder.setEnabled(False)
        self._left = QWidget()
        self._left.setObjectName("treePane")
        left_layout = QtWidgets.QVBoxLayout(self._left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self._tree_placeholder)

        # The editor and the preview side by side; the preview's place is kept by a placeholder
        # until it is made (after the first frame).
        self.preview_placeholder = QtWidgets.QLabel(PREVIEW_PLACEHOLDER)
        self.preview_placeholder.setObjectName("previewPlaceholder")
        self.preview_placeholder.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.preview_placeholder.setEnabled(False)
        self.preview_placeholder.setWordWrap(True)
        self.preview_placeholder.setMinimumSize(1, 1)
        self.work_splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        self.work_splitter.setObjectName("workSplitter")
        self.work_splitter.addWidget(self.preview_placeholder)
        # Neither collapses: a preview squeezed to no width paints nothing, ever.
        self.work_splitter.setChildrenCollapsible(False)
        self.work_splitter.setHandleWidth(5)

        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self._left)
        self.splitter.addWidget(self.work_splitter)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        self.splitter.setHandleWidth(5)
        self.setCentralWidget(self.splitter)
        # The preview first, so that QtWebEngine starts (its processes, the shell page, the
        # post from the start-up cache) while the rest of the window is built.
        self._make_preview_if_shown()
        from .editor_panel import EditorPanel

        self.editor_panel = EditorPanel()
        self.work_splitter.insertWidget(0, self.editor_panel)
        if self.preview is not None:
            self._connect_preview()

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

        from .outline import OutlinePanel

        self.outline = OutlinePanel(self.editor_panel.editor)
        self.outline_dock = QtWidgets.QDockWidget("Outline")
        self.outline_dock.setObjectName("outlineDock")
        self.outline_dock.setWidget(self.outline)
        self.outline_dock.setFeatures(self.details.features())
        self.outline_dock.setAllowedAreas(
            QtCore.Qt.DockWidgetArea.LeftDockWidgetArea
            | QtCore.Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, self.outline_dock)
        self.outline_dock.hide()

        self.actions_: dict[Act, QAction] = {}
        self._make_actions()
        self._make_menus_and_toolbar()
        self._make_status_bar()
        from .features import install_all

        self.features: dict[str, Any] = install_all(self)

        self.editor_panel.edited.connect(self._on_edited)
        self.editor_panel.titleEdited.connect(self._on_title_edited)
        self.editor_panel.statsChanged.connect(self._show_stats)
        self.editor_panel.metadata.status.activated.connect(self._on_status_chosen)
        # a page has its own icon in the tree: write the change now and show it there
        self.editor_panel.metadata.kind.activated.connect(self._on_status_chosen)
        self.editor_panel.metadata.failed.connect(self._show_image_problem)

        self._restore_window_state()
        self.apply_appearance()
        QtGui.QGuiApplication.styleHints().colorSchemeChanged.connect(self._system_scheme_changed)
        self._apply_view_mode()
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
            checkable: bool = False,
        ) -> QAction:
            action = QtGui.QAction(blank, text, self)
            action.setCheckable(checkable)
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
            if checkable:
                action.triggered.connect(lambda checked=False: slot(checked))
            else:
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
        add(Act.FIND, "&Find…", self.find_in_post, K.Find, "Find text in the post")
        add(Act.REPLACE, "R&eplace…", self.replace_in_post, "Ctrl+H", "Find and replace")
        add(Act.FIND_NEXT, "Find &Next", self._find_bar_call("find_next"), "F3")
        add(Act.FIND_PREVIOUS, "Find Pre&vious", self._find_bar_call("find_previous"), "Shift+F3")
        add(Act.GOTO_LINE, "&Go to Line…", self.goto_line, "Ctrl+G")
        add(
            Act.SEARCH_POSTS,
            "&Search Posts…",
            self.search_posts,
            "Ctrl+Shift+F",
            "Search the library",
        )
        # The editor takes Ctrl+B/I/K itself; these entries are for the mouse and the list.
        for key, text, method, keys in (
            (Act.BOLD, "&Bold", "format_bold", "Ctrl+B"),
            (Act.ITALIC, "&Italic", "format_italic", "Ctrl+I"),
            (Act.LINK, "&Link…", "format_link", "Ctrl+K"),
        ):
            action = add(key, text, lambda m=method: self._format(m), keys)
            action.setShortcutContext(QtCore.Qt.ShortcutContext.WidgetShortcut)
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
        add(Act.REVISIONS, "Revision &History…", self.show_revisions, None, "Earlier versions")
        outline = self.outline_dock.toggleViewAction()
        outline.setText("&Outline")
        outline.setShortcut(QtGui.QKeySequence("Ctrl+Shift+O"))
        outline.setIcon(blank)
        self.actions_[Act.TOGGLE_OUTLINE] = outline
        add(Act.SHOW_PREVIEW, "Show &Preview", self._toggle_preview, "Ctrl+Shift+P", "", True)
        add(Act.PREVIEW_ONLY, "Preview &Only", self._toggle_preview_only, "Ctrl+Alt+P", "", True)
        add(Act.EDITOR_ONLY, "&Editor Only", self._toggle_editor_only, "Ctrl+Alt+E", "", True)
        add(Act.FOCUS_MODE, "&Focus Mode", self.set_focus_mode, "Ctrl+Shift+Return", "", True)
        full = QtGui.QKeySequence.keyBindings(K.FullScreen) or [QtGui.QKeySequence("F11")]
        add(Act.FULL_SCREEN, "F&ull Screen", self.set_full_screen, full, "", True)
        appearance = QtGui.QActionGroup(self)
        for key, text, theme in (
            (Act.APPEARANCE_SYSTEM, "Follow the &System", "system"),
            (Act.APPEARANCE_LIGHT, "&Light", "light"),
            (Act.APPEARANCE_DARK, "&Dark", "dark"),
        ):
            action = add(
                key, text, lambda _c=False, t=theme: self.set_appearance(t), None, "", True
            )
            appearance.addAction(action)
        preview_themes = QtGui.QActionGroup(self)
        for key, text, theme in (
            (Act.PREVIEW_THEME_AUTO, "Like the &Window", "auto"),
            (Act.PREVIEW_THEME_LIGHT, "&Light", "light"),
            (Act.PREVIEW_THEME_DARK, "&Dark", "dark"),
            (Act.PREVIEW_THEME_SEPIA, "&Sepia", "sepia"),
        ):
            action = add(
                key, text, lambda _c=False, t=theme: self.set_preview_theme(t), None, "", True
            )
            preview_themes.addAction(action)
        add(Act.CUSTOM_CSS, "&Custom CSS…", self.choose_custom_css, None, "Your blog's stylesheet")
        add(Act.NO_CUSTOM_CSS, "&No Custom CSS", lambda: self.set_custom_css(""))
        add(
            Act.EMBEDS,
            "Allow &Embeds (Scripts) in Preview",
            self.set_embeds,
            None,
            "Let a post's scripts run in the preview (video players, tweets)",
            True,
        )
        add(Act.SHORTCUTS, "&Keyboard Shortcuts", self.show_shortcuts, "F1")
        add(Act.ABOUT, "&About Desktop Blog", self.show_about)

    def _make_menus_and_toolbar(self) -> None:
        a = self.actions_
        bar = self.menuBar()
        self.file_menu = file_menu = bar.addMenu("&File")
        file_menu.addActions([a[Act.NEW_POST], a[Act.SAVE], a[Act.CLOSE_POST]])
        file_menu.addSeparator()
        file_menu.addAction(a[Act.PREFERENCES])
        file_menu.addSeparator()
        file_menu.addAction(a[Act.QUIT])
        self.edit_menu = edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([a[Act.UNDO], a[Act.REDO]])
        edit_menu.addSeparator()
        edit_menu.addActions([a[Act.CUT], a[Act.COPY], a[Act.PASTE], a[Act.SELECT_ALL]])
        edit_menu.addSeparator()
        edit_menu.addActions([a[Act.BOLD], a[Act.ITALIC], a[Act.LINK]])
        edit_menu.addSeparator()
        edit_menu.addActions(
            [a[Act.FIND], a[Act.REPLACE], a[Act.FIND_NEXT], a[Act.FIND_PREVIOUS], a[Act.GOTO_LINE]]
        )
        edit_menu.addSeparator()
        edit_menu.addAction(a[Act.SEARCH_POSTS])
        self.post_menu = post_menu = bar.addMenu("&Post")
        post_menu.addActions([a[Act.NEW_POST], a[Act.RENAME], a[Act.DUPLICATE]])
        post_menu.addSeparator()
        post_menu.addAction(a[Act.REVISIONS])
        post_menu.addSeparator()
        post_menu.addActions([a[Act.TRASH], a[Act.RESTORE], a[Act.DELETE_FOREVER]])
        self.view_menu = bar.addMenu("&View")
        self.help_menu = help_menu = bar.addMenu("&Help")
        help_menu.addActions([a[Act.SHORTCUTS], a[Act.ABOUT]])

        toolbar = QtWidgets.QToolBar("Toolbar")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addAction(a[Act.NEW_POST])
        toolbar.addAction(a[Act.SAVE])
        toolbar.addSeparator()
        toolbar.addActions([a[Act.RENAME], a[Act.DUPLICATE], a[Act.TRASH], a[Act.RESTORE]])
        toolbar.addSeparator()
        toolbar.addAction(a[Act.SEARCH_POSTS])
        toolbar.addAction(a[Act.SHOW_PREVIEW])
        toolbar.addAction(a[Act.TOGGLE_DETAILS])
        self.addToolBar(toolbar)
        self.toolbar = toolbar
        toolbar_toggle = toolbar.toggleViewAction()
        toolbar_toggle.setText("&Toolbar")
        self.actions_[Act.TOGGLE_TOOLBAR] = toolbar_toggle
        v = self.view_menu
        v.addActions([a[Act.SHOW_PREVIEW], a[Act.PREVIEW_ONLY], a[Act.EDITOR_ONLY]])
        v.addSeparator()
        v.addActions([a[Act.TOGGLE_OUTLINE], a[Act.TOGGLE_DETAILS], toolbar_toggle])
        v.addSeparator()
        v.addActions([a[Act.FOCUS_MODE], a[Act.FULL_SCREEN]])
        v.addSeparator()
        appearance = v.addMenu("&Appearance")
        appearance.addActions(
            [a[Act.APPEARANCE_SYSTEM], a[Act.APPEARANCE_LIGHT], a[Act.APPEARANCE_DARK]]
        )
        themes = v.addMenu("Preview &Theme")
        themes.addActions(
            [
                a[Act.PREVIEW_THEME_AUTO],
                a[Act.PREVIEW_THEME_LIGHT],
                a[Act.PREVIEW_THEME_DARK],
                a[Act.PREVIEW_THEME_SEPIA],
            ]
        )
        themes.addSeparator()
        themes.addActions([a[Act.CUSTOM_CSS], a[Act.NO_CUSTOM_CSS]])
        v.addAction(a[Act.EMBEDS])
        self._sync_view_actions()

    def _make_status_bar(self) -> None:
        status = self.statusBar()
        self.word_count_label = QtWidgets.QLabel()
        self.word_count_label.setObjectName("wordCount")
        self.char_count_label = QtWidgets.QLabel()
        self.char_count_label.setObjectName("charCount")
        self.reading_time_label = QtWidgets.QLabel()
        self.reading_time_label.setObjectName("readingTime")
        self.save_state_label = QtWidgets.QLabel()
        self.save_state_label.setObjectName("saveState")
        for label in (
            self.word_count_label,
            self.char_count_label,
            self.reading_time_label,
            self.save_state_label,
        ):
            label.setContentsMargins(6, 0, 6, 0)
            status.addPermanentWidget(label)

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
        work = self.settings.state("work_splitter")
        # Without a saved state, the editor and the preview share the width equally once the
        # window is laid out (their size hints differ a lot).
        self._split_evenly = (
            work is None
            or not self.work_splitter.restoreState(work)
            or 0 in self.work_splitter.sizes()
        )
        QtCore.QTimer.singleShot(0, self._unstarve_centre)
        # Hidden and shown again by the view mode, not by the saved state.
        self.editor_panel.show()
        self._preview_widget().show()

    def _unstarve_centre(self) -> None:
        """Docks saved wide in a bigger window (a restored geometry is kept on a smaller screen)
        go back to their default width when the editor and preview would get little room."""
        if self.work_splitter.width() >= min(500, self.width() // 2):
            return
        docks = [
            d for d in (self.details, self.outline_dock) if d.isVisible() and not d.isFloating()
        ]
        wide = [d for d in docks if d.width() > DEFAULT_DETAILS_WIDTH]
        if wide:
            self.resizeDocks(
                wide, [DEFAULT_DETAILS_WIDTH] * len(wide), QtCore.Qt.Orientation.Horizontal
            )

    def save_window_state(self) -> None:
        if self._focus_mode:
            self.set_focus_mode(False)  # save the window as it is outside focus mode
        self.settings.set_state("geometry", self.saveGeometry())
        if self.built:
            self.settings.set_state("window", self.saveState())
            self.settings.set_state("splitter", self.splitter.saveState())
            if not self.editor_panel.isHidden() and not self._preview_widget().isHidden():
                self.settings.set_state("work_splitter", self.work_splitter.saveState())
            self.settings.view_mode = self._view_mode
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
        self.autosaver.stored.connect(self._on_edit_stored)
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
                a[Act.REVISIONS],
                a[Act.TRASH],
                a[Act.RESTORE],
                a[Act.DELETE_FOREVER],
            ]
        )
        tree.addActions([a[Act.TRASH], a[Act.DELETE_FOREVER]])
        tree.postSelected.connect(self._on_post_selected)
        tree.view.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        app = QtWidgets.QApplication.instance()
        app.focusChanged.connect(self._on_focus_changed)
        app.applicationStateChanged.connect(self._on_application_state)
        from .image_drop import attach_image_handling

        self.image_inserter = attach_image_handling(self.editor_panel.editor, library)
        from .featured_image import MediaSource

        self.editor_panel.metadata.featured.set_source(MediaSource(library, self.tasks))
        if self.preview is not None:
            self.preview.set_library(library)

        if post is not None:
            self._wanted_post = post.id
            self._show_post(post)
        else:
            self._take_startup_post(None)
            self.editor_panel.show_message(NO_POST_MESSAGE)
            self.postShown.emit(None)
        tree.refresh(select=None if post is None else post.id)
        self._show_save_state("saved", "Saved")
        self.statusBar().showMessage(f"Library: {library.path}", 4000)
        self._update_actions()
        icons.load_qtawesome(lambda _module: self.apply_icons(), self)
        self.libraryReady.emit()

    def apply_icons(self) -> None:
        from . import icons

        icons.apply_icons({k.value: v for k, v in self.actions_.items()}, dark=self.is_dark())
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
        self._load_term_names(post.blog_id)
        keep = self._take_startup_post(post)
        if self.preview_connection is not None:
            self.preview_connection.reset(keep_content=keep)
        self._stored = _stored_of(post)
        self._schedule_cache_write()
        self._remember_post(post.id)
        self._update_actions()
        self.postShown.emit(post.id)

    def _load_term_names(self, blog_id: int | None) -> None:
        """Offer the post's blog's categories and tags in the Details panel (read anew each time
        a post is shown: a sync may have brought new ones)."""
        lib = self.library
        if lib is None:
            return

        def read() -> tuple[list[str], list[str]]:
            from desktop_blog.core.library import term_names

            with lib.session() as session:
                return term_names(session, blog_id)

        def done(names: tuple[list[str], list[str]]) -> None:
            post = self.editor_panel.post
            if post is not None and post.blog_id == blog_id:
                self.editor_panel.metadata.set_term_names(*names)

        self.tasks.run_db(read, done, lambda exc: log.warning("term names: %s", exc))

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

    def _show_stats(self, stats: Any, selection: bool) -> None:
        """Words, characters and reading time of the text, or of the selection."""
        words = "1 word" if stats.words == 1 else f"{stats.words:,} words"
        chars = "1 character" if stats.chars == 1 else f"{stats.chars:,} characters"
        self.word_count_label.setText(f"Selection: {words}" if selection else words)
        self.char_count_label.setText(chars)
        minutes = stats.reading_minutes
        self.reading_time_label.setText(f"{minutes} min read" if minutes else "")
        self.reading_time_label.setToolTip("Reading time at 230 words a minute" if minutes else "")

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

    def search_posts(self) -> None:
        """Put the focus in the tree's search box (Ctrl+Shift+F)."""
        if self.tree is not None:
            if self._focus_mode:
                self.set_focus_mode(False)
            self.tree.search_box.setFocus(QtCore.Qt.FocusReason.ShortcutFocusReason)
            self.tree.search_box.selectAll()

    def _editor_usable(self) -> bool:
        return self.editor_panel.post_id is not None

    def _show_editor_for_bars(self) -> None:
        if self._view_mode == "preview" and not self._focus_mode:
            self.set_view_mode("both")

    def find_in_post(self) -> None:
        """The find bar under the editor (Ctrl+F)."""
        if self._editor_usable():
            self._show_editor_for_bars()
            self.editor_panel.goto_bar.hide()
            self.editor_panel.find_bar.open_find()

    def replace_in_post(self) -> None:
        if self._editor_usable() and not self.editor_panel.editor.isReadOnly():
            self._show_editor_for_bars()
            self.editor_panel.goto_bar.hide()
            self.editor_panel.find_bar.open_replace()

    def _find_bar_call(self, method: str) -> Callable[[], None]:
        def call() -> None:
            bar = self.editor_panel.find_bar
            if not self._editor_usable():
                return
            if not bar.find_field.text():
                bar.open_find()
            else:
                getattr(bar, method)()

        return call

    def goto_line(self) -> None:
        if self._editor_usable():
            self._show_editor_for_bars()
            self.editor_panel.find_bar.hide()
            self.editor_panel.goto_bar.open()

    def _format(self, method: str) -> None:
        editor = self.editor_panel.editor
        if self._editor_usable() and not editor.isReadOnly():
            getattr(editor, method)()
            editor.setFocus()

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

    def _selected_targets(self) -> list[int]:
        """The posts Trash, Restore and Delete Forever act on: every post selected in the tree
        when several are, else the open post."""
        ids = self.tree.selected_post_ids() if self.tree is not None else []
        if len(ids) > 1:
            return ids
        post_id = self._target()
        return [] if post_id is None else [post_id]

    def _posts_op(self, ids: list[int], operation: str, what: str, said: str) -> None:
        """Apply ``core.library.<operation>`` to each post of ``ids`` in one transaction; posts
        it does not apply to (already in the trash, not in it) are left alone. ``said`` is the
        status bar's message, with ``{n}`` for how many were changed."""
        if self.library is None:
            return
        if self.autosaver is not None:
            self.autosaver.flush()
        lib = self.library
        open_id = self.editor_panel.post_id

        def work() -> int:
            from desktop_blog.core import library as core
            from desktop_blog.core.models import Post

            changed = 0
            with lib.session() as session:
                for post_id in ids:
                    post = session.get(Post, post_id)
                    if post is None:
                        continue
                    in_trash = post.status == core.TRASH
                    if (operation == "trash_post" and in_trash) or (
                        operation == "restore_post" and not in_trash
                    ):
                        continue
                    getattr(core, operation)(session, post_id)
                    changed += 1
                session.commit()
            return changed

        def done(changed: int) -> None:
            if open_id in ids and self.editor_panel.post_id == open_id:
                if operation == "delete_post":
                    self._wanted_post = None
                    self.editor_panel.show_message(NO_POST_MESSAGE)
                    self._remember_post(None)
                    self.postShown.emit(None)
                else:
                    self._reload_post_info(open_id, refresh_tree=False)
            self._update_actions()
            if self.tree is not None:
                self.tree.refresh(select=None if operation == "delete_post" else open_id)
            self.statusBar().showMessage(said.format(n=changed), 5000)

        def failed(exc: BaseException) -> None:
            from desktop_blog.core.db import storage_message

            log.error("%s failed", what, exc_info=exc)
            self.statusBar().showMessage(f"Could not {what}: {storage_message(exc)}", 10000)

        self.tasks.run_db(work, done, failed)

    def trash_post(self) -> None:
        ids = self._selected_targets()
        if len(ids) > 1:
            self._posts_op(
                ids, "trash_post", "move the posts to the trash", "{n} posts moved to the trash."
            )
            return
        post_id = self._target()
        if post_id is None:
            return

        def op(session: Any, pid: int) -> Any:
            from desktop_blog.core.library import trash_post

            return trash_post(session, pid)

        self._post_op(op, post_id, self._select_and_show, "move the post to the trash")

    def restore_post(self) -> None:
        ids = self._selected_targets()
        if len(ids) > 1:
            self._posts_op(
                ids, "restore_post", "restore the posts", "{n} posts restored from the trash."
            )
            return
        post_id = self._target()
        if post_id is None:
            return

        def op(session: Any, pid: int) -> Any:
            from desktop_blog.core.library import restore_post

            return restore_post(session, pid)

        self._post_op(op, post_id, self._select_and_show, "restore the post")

    def delete_post_forever(self) -> None:
        from .dialogs import questions

        ids = self._selected_targets()
        if len(ids) > 1:
            if questions.confirm_delete_forever(self, "", count=len(ids)):
                self._posts_op(ids, "delete_post", "delete the posts", "{n} posts deleted.")
            return
        post_id = self._target()
        if post_id is None:
            return

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
        if not dialog.exec():
            return
        if self.autosaver is not None:
            self.autosaver.revision_every = timedelta(minutes=self.settings.revision_minutes)
        self.apply_appearance()

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
        a[Act.SEARCH_POSTS].setEnabled(ready)
        for key in (Act.FIND, Act.FIND_NEXT, Act.FIND_PREVIOUS, Act.GOTO_LINE, Act.REVISIONS):
            a[key].setEnabled(has_post)
        for key in (Act.REPLACE, Act.BOLD, Act.ITALIC, Act.LINK):
            a[key].setEnabled(has_post and not trashed)
        a[Act.SAVE].setEnabled(has_post)
        a[Act.CLOSE_POST].setEnabled(has_post)
        a[Act.RENAME].setEnabled(has_post and not trashed)
        a[Act.DUPLICATE].setEnabled(has_post)
        # several posts selected in the tree: the actions take them all (``_selected_targets``)
        many = ready and self.tree is not None and len(self.tree.selected_post_ids()) > 1
        statuses = self.tree.selected_statuses() if many else set()
        a[Act.TRASH].setEnabled(bool(statuses - {TRASH}) if many else has_post and not trashed)
        a[Act.RESTORE].setEnabled(TRASH in statuses if many else trashed)
        a[Act.DELETE_FOREVER].setEnabled(has_post or many)

    # --- preview ------------------------------------------------------------------------------

    def _preview_widget(self) -> QWidget:
        """What holds the preview's place in the centre: the preview, or its placeholder."""
        return self.preview if self.preview is not None else self.preview_placeholder

    def _make_preview_if_shown(self) -> None:
        if self._view_mode != "editor" and not self._focus_mode:
            self.make_preview()

    def _even_split(self) -> None:
        both = not self.editor_panel.isHidden() and self.preview is not None
        if both and not self.preview.isHidden() and self._split_evenly and self.isVisible():
            # The window may not be laid out yet (the preview is made early in build): lay it
            # out now, so the share is of the final width.
            self.layout().activate()
            total = sum(self.work_splitter.sizes())
            if total > 0 and self.work_splitter.count() == 2:
                self._split_evenly = False
                self.work_splitter.setSizes([total - total // 2, total // 2])

    def make_preview(self) -> Any:
        """Make the preview and its render worker, in the placeholder's place (once)."""
        if self.preview is not None or self._closing_done:
            return self.preview
        from .render_worker import RenderWorker
        from .schemes import register_schemes

        # After the first frame, before any QtWebEngine profile exists (see schemes.py).
        register_schemes(late=True)
        from .preview import PreviewView, code_css, remember_code_css

        theme = self._preview_theme_name()
        cached = self.startup_post if self.library is None else None
        blocks = None
        if cached is not None:
            remember_code_css(cached.theme, cached.code_css)
            if cached.blocks and not self.settings.embeds:
                blocks = cached.blocks
                self._first_preview_generation = 0
        hidden = self.preview_placeholder.isHidden()
        sizes = self.work_splitter.sizes()
        # Made inside the splitter (a view made as a window and moved in afterwards sometimes
        # stopped producing frames offscreen), then put in the placeholder's place.
        preview = PreviewView(
            self.work_splitter,
            library=self.library,
            theme=theme,
            open_links_externally=True,
            initial_blocks=blocks,
        )
        # The render thread starts after the view: making the first QtWebEngine profile holds
        # the GIL for 150-400 ms, and the shell is loading by now. Its warm-up renders the
        # cached post (so that rendering it again once the library is open costs nothing) and
        # makes the code CSS, on that one thread (render.codestyle.FIRST_USE).
        self.render_worker = RenderWorker(parent=self)
        worker = self.render_worker

        def warm_up() -> None:
            worker.warm_up(None if blocks is None else cached.body, lambda: code_css(theme))

        if blocks is None:
            warm_up()
        else:
            # Nothing needs rendering before the cached post is on screen: leave the CPU to
            # QtWebEngine until then.
            self.after_first_preview(warm_up)
        preview.setObjectName("preview")
        preview.setVisible(not hidden)
        self.preview_placeholder.setParent(None)
        self.preview_placeholder.deleteLater()
        self.work_splitter.insertWidget(1, preview)
        if all(sizes):
            self.work_splitter.setSizes(sizes)
        else:
            self._split_evenly = True
        QtCore.QTimer.singleShot(0, self._even_split)
        self.preview = preview
        css = self.settings.custom_css
        if css:
            self._load_custom_css(css)
        if self.settings.embeds:
            preview.set_embeds_enabled(True)
        preview.painted.connect(self._on_preview_painted)
        self._preview_cached = cached
        if getattr(self, "editor_panel", None) is not None:
            self._connect_preview()
        self.previewCreated.emit(preview)
        return preview

    def _connect_preview(self) -> None:
        """Wire the editor, the render worker and the preview (once both views exist)."""
        from .preview import connect_preview

        cached, self._preview_cached = self._preview_cached, None
        self.preview_connection = connect_preview(
            self.editor_panel.editor, self.render_worker, self.preview
        )
        if self.editor_panel.post_id is not None:
            self.preview_connection.reset()
            return
        # The editor has no post yet: its (empty) text is not worth a render, and must not
        # replace the cached post nor count as the first preview. Showing a post releases it.
        self.preview_connection.held = True
        if cached is not None:
            if self._first_preview_generation == 0:
                generation = 0  # the shell came with the cached post's HTML
            else:
                # No HTML in the cache: render the cached text now, not once the library is open.
                generation = self.render_worker.submit(cached.body)
            self.preview_connection.remember_text(generation, cached.body)

    def _on_preview_painted(self, generation: int) -> None:
        # Generation 0 is the post loaded with the shell from the start-up cache.
        if generation >= self._first_preview_generation and not self._preview_painted:
            self._preview_painted = True
            self.firstPreviewPainted.emit()
            self._run_after_preview()
        if self._stored is not None:
            self._schedule_cache_write()

    # --- start-up cache -------------------------------------------------------------------------

    def preview_from_cache(self) -> bool:
        """The preview's first post came as HTML from the start-up cache."""
        return self.preview is not None and self._first_preview_generation == 0

    # A preview that does not paint (hidden, minimised) holds nothing up for longer than this.
    AFTER_PREVIEW_TIMEOUT_MS = 1500

    def after_first_preview(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` once the preview has painted the post from the start-up cache (or at
        once when it is not bringing one up, or after ``AFTER_PREVIEW_TIMEOUT_MS``)."""
        if self._preview_painted or self._first_preview_generation != 0:
            fn()
            return
        if not self._after_preview:
            QtCore.QTimer.singleShot(self.AFTER_PREVIEW_TIMEOUT_MS, self._run_after_preview)
        self._after_preview.append(fn)

    def _run_after_preview(self) -> None:
        waiting, self._after_preview = self._after_preview, []
        for fn in waiting:
            fn()

    def _take_startup_post(self, post: Any | None) -> bool:
        """The library is open and ``post`` is the one to show: whether the preview, showing
        the cached post, already shows it. If it shows something else, it is cleared: the
        database wins."""
        cached, self.startup_post = self.startup_post, None
        if cached is None or self.preview is None:
            return False
        self.preview_connection.held = False
        from .startup_cache import matches

        if post is not None and matches(cached, post):
            return True
        self.preview.clear(min_generation=self.render_worker.generation + 1)
        return False

    def forget_startup_post(self) -> None:
        """The library could not be opened: the preview shows nothing of the cache."""
        self._take_startup_post(None)

    def _rendered_blocks(self, body: str) -> list[Any] | None:
        """The preview's blocks if they are the rendering of exactly ``body``."""
        connection, preview = self.preview_connection, self.preview
        if connection is None or preview is None or preview.generation < 0:
            return None
        if connection.text_of(preview.generation) != body:
            return None
        return preview.shown_blocks()

    def _startup_entry(self) -> Any | None:
        stored = self._stored
        if stored is None or stored.post_id != self.editor_panel.post_id:
            return None
        from . import startup_cache
        from .preview import _CODE_CSS

        blocks = self._rendered_blocks(stored.body)
        theme = self.preview.theme() if self.preview is not None else ""
        return startup_cache.entry(stored, blocks, theme, _CODE_CSS.get(theme, ""))

    def _schedule_cache_write(self) -> None:
        if self._cache_timer is None:
            self._cache_timer = QtCore.QTimer(self, singleShot=True, interval=1500)
            self._cache_timer.timeout.connect(self._write_startup_cache)
        if not self._cache_timer.isActive():
            self._cache_timer.start()

    def _write_startup_cache(self, *, now: bool = False) -> None:
        """Write the start-up cache (on the database worker, after the writes before it)."""
        entry = self._startup_entry()
        if entry is None or self._closing_done or self.tasks is None:
            return
        from dataclasses import replace

        from . import startup_cache

        home = self.home

        def write() -> None:
            if entry.blocks is None:
                # Not rendered yet (quitting at once): the HTML already there may be for this text.
                old = startup_cache.read(home, entry.post_id)
                if old is not None and old.body == entry.body and old.blocks:
                    startup_cache.write(home, replace(entry, blocks=old.blocks))
                    return
            startup_cache.write(home, entry)

        if now:
            write()
        else:
            self.tasks.run_db(write)

    def _on_edit_stored(self, edit: Any, updated_at: Any) -> None:
        if edit.post_id != self.editor_panel.post_id:
            return
        from types import SimpleNamespace

        self._stored = SimpleNamespace(
            id=edit.post_id,
            post_id=edit.post_id,
            updated_at=updated_at,
            title=edit.title,
            body=edit.body,
        )
        self._schedule_cache_write()

    def preview_expected(self) -> bool:
        """A post is open and the preview is on screen, so a rendered preview will come."""
        squeezed = self.preview is not None and self.preview.width() == 0  # paints nothing
        return (
            self.editor_panel.post_id is not None
            and self._view_mode != "editor"
            and not self._focus_mode
            and not squeezed
        )

    @property
    def view_mode(self) -> str:
        """``both`` (editor and preview), ``editor`` or ``preview``."""
        return self._view_mode

    def set_view_mode(self, mode: str) -> None:
        if mode not in ("both", "editor", "preview"):
            raise ValueError(mode)
        if self._focus_mode:
            self.set_focus_mode(False)
        self._view_mode = mode
        self.settings.view_mode = mode
        self._apply_view_mode()

    def _apply_view_mode(self) -> None:
        mode = "editor" if self._focus_mode else self._view_mode
        show_preview = mode != "editor"
        self.editor_panel.setVisible(mode != "preview")
        if show_preview and self.preview is None and self.built:
            QtCore.QTimer.singleShot(0, self.make_preview)
        self._preview_widget().setVisible(show_preview)
        if show_preview and mode == "both" and self._split_evenly:
            QtCore.QTimer.singleShot(0, self._even_split)
        if mode == "preview" and self.preview is not None:
            self.preview.setFocus()
        elif mode == "editor" and self.editor_panel.post_id is not None:
            if self.focusWidget() is None or _is_inside(self.focusWidget(), self.work_splitter):
                self.editor_panel.editor.setFocus()
        self._sync_view_actions()

    def _sync_view_actions(self) -> None:
        a = getattr(self, "actions_", None)
        if not a:
            return
        mode = self._view_mode
        a[Act.SHOW_PREVIEW].setChecked(mode != "editor" and not self._focus_mode)
        a[Act.PREVIEW_ONLY].setChecked(mode == "preview" and not self._focus_mode)
        a[Act.EDITOR_ONLY].setChecked(mode == "editor" or self._focus_mode)
        a[Act.FOCUS_MODE].setChecked(self._focus_mode)
        a[Act.FULL_SCREEN].setChecked(self.isFullScreen())
        theme = self.settings.theme
        a[Act(f"appearance_{theme}")].setChecked(True)
        a[Act(f"preview_theme_{self.settings.preview_theme}")].setChecked(True)
        a[Act.NO_CUSTOM_CSS].setEnabled(bool(self.settings.custom_css))
        a[Act.EMBEDS].setChecked(self.settings.embeds)

    def _toggle_preview(self, checked: bool) -> None:
        self.set_view_mode("both" if checked else "editor")

    def _toggle_preview_only(self, checked: bool) -> None:
        self.set_view_mode("preview" if checked else "both")

    def _toggle_editor_only(self, checked: bool) -> None:
        self.set_view_mode("editor" if checked else "both")

    def _preview_theme_name(self) -> str:
        theme = self.settings.preview_theme
        if theme == "auto":
            return "dark" if self.is_dark() else "light"
        return theme

    def set_preview_theme(self, theme: str) -> None:
        """``auto`` (like the window), ``light``, ``dark`` or ``sepia``; kept in the settings."""
        self.settings.set("preview/theme", theme)
        self.settings.sync()
        if self.preview is not None:
            self.preview.set_theme(self._preview_theme_name())
        self._sync_view_actions()

    def _show_image_problem(self, message: str) -> None:
        self.statusBar().showMessage(message, 10000)
        box = QtWidgets.QMessageBox(
            QtWidgets.QMessageBox.Icon.Warning, "Image not used", message, parent=self
        )
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def choose_custom_css(self) -> None:
        start = self.settings.custom_css or str(Path.home())
        path, _filter = QtWidgets.QFileDialog.getOpenFileName(
            self, "A stylesheet for the preview", start, "CSS files (*.css);;All files (*)"
        )
        if path:
            self.set_custom_css(path)

    def set_custom_css(self, path: str) -> None:
        """Lay the stylesheet at ``path`` over the preview's theme ("" removes it); kept."""
        self.settings.set("preview/custom_css", path)
        self.settings.sync()
        if self.preview is not None:
            self._load_custom_css(path)
        self._sync_view_actions()

    def _load_custom_css(self, path: str) -> None:
        try:
            self.preview.set_custom_css(path or None)
        except OSError as exc:
            log.warning("custom CSS %s: %s", path, exc)
            self.statusBar().showMessage(f"The stylesheet {path} cannot be read: {exc}", 10000)

    def set_embeds(self, enabled: bool) -> None:
        """Let a post's scripts run in the preview (off by default); kept in the settings."""
        self.settings.set("preview/embeds", bool(enabled))
        self.settings.sync()
        if self.preview is not None:
            self.preview.set_embeds_enabled(bool(enabled))
        self._sync_view_actions()

    # --- appearance ---------------------------------------------------------------------------

    def is_dark(self) -> bool:
        """Whether the window is dark now (by the setting, or following the system)."""
        if self._dark is None:
            self._dark = self._wants_dark()
        return self._dark

    def _wants_dark(self) -> bool:
        theme = self.settings.theme
        if theme != "system":
            return theme == "dark"
        scheme = QtGui.QGuiApplication.styleHints().colorScheme()
        if scheme == QtCore.Qt.ColorScheme.Unknown:
            return _palette_is_dark(_base_palette())
        return scheme == QtCore.Qt.ColorScheme.Dark

    def set_appearance(self, theme: str) -> None:
        """``system``, ``light`` or ``dark`` for the whole window; kept in the settings."""
        self.settings.set("appearance/theme", theme)
        self.settings.sync()
        self.apply_appearance()

    def apply_appearance(self) -> None:
        """Set the Qt palette, the editor's colours and the preview's theme to light or dark."""
        if self._applying_appearance:
            return
        self._applying_appearance = True
        try:
            dark = self._wants_dark()
            self._dark = dark
            app = QtWidgets.QApplication.instance()
            base = _base_palette()
            if dark == _palette_is_dark(base):
                app.setPalette(base)
            elif dark:
                app.setPalette(_dark_palette())
            else:
                app.setPalette(app.style().standardPalette())
            self.editor_panel.editor.set_dark(dark)
            if self.preview is not None and self.settings.preview_theme == "auto":
                self.preview.set_theme(self._preview_theme_name())
            if self.icons_ready:
                self.apply_icons()
            self._sync_view_actions()
        finally:
            self._applying_appearance = False

    def _system_scheme_changed(self, _scheme: Any) -> None:
        if self.settings.theme == "system":
            self.apply_appearance()

    # --- focus mode and full screen -------------------------------------------------------------

    @property
    def focus_mode(self) -> bool:
        return self._focus_mode

    def set_focus_mode(self, on: bool) -> None:
        """Only the editor, in a centred column: tree, docks, toolbar, preview and the status
        bar's counts are hidden; the save state stays (Esc leaves)."""
        on = bool(on)
        if on == self._focus_mode:
            self._sync_view_actions()
            return
        panes = {
            "tree": self._left,
            "details": self.details,
            "outline": self.outline_dock,
            "toolbar": self.toolbar,
            # The status bar stays, saying whether the text is saved; its counts go.
            "words": self.word_count_label,
            "chars": self.char_count_label,
            "reading": self.reading_time_label,
        }
        if on:
            self._before_focus = {name: not w.isHidden() for name, w in panes.items()}
            self._focus_mode = True
            for widget in panes.values():
                widget.hide()
            self.editor_panel.editor.set_column_width(FOCUS_COLUMN)
            self._apply_view_mode()
            if self.editor_panel.post_id is not None:
                self.editor_panel.editor.setFocus()
        else:
            self._focus_mode = False
            for name, widget in panes.items():
                widget.setVisible(self._before_focus.get(name, True))
            self.editor_panel.editor.set_column_width(None)
            self._apply_view_mode()
        self._sync_view_actions()

    def set_full_screen(self, on: bool) -> None:
        if on:
            self.showFullScreen()
        else:
            self.showNormal()
        self._sync_view_actions()

    def changeEvent(self, event: QtCore.QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.WindowStateChange and self.built:
            self._sync_view_actions()

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        # Esc, when nothing inside took it (the find bar does, to close), leaves focus mode,
        # then full screen.
        if event.key() == QtCore.Qt.Key.Key_Escape and self.built:
            if self._focus_mode:
                self.set_focus_mode(False)
                return
            if self.isFullScreen():
                self.set_full_screen(False)
                return
        super().keyPressEvent(event)

    # --- revision history -----------------------------------------------------------------------

    def show_revisions(self) -> None:
        """The post's revisions, after the editor's text has been written (Post menu, tree)."""
        post_id = self._target()
        if post_id is None or self.library is None:
            return
        if self.autosaver is not None:
            self.autosaver.flush()

        def open_dialog() -> None:
            if self.editor_panel.post_id != post_id or self._closing_done:
                return
            from .revision_dialog import RevisionDialog

            dialog = RevisionDialog(
                self.library,
                self.tasks,
                post_id,
                self.editor_panel.title.text(),
                self.editor_panel.editor.toPlainText(),
                self,
            )
            dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.restored.connect(self._on_revision_restored)
            self.revision_dialog = dialog
            dialog.open()

        self._after_writes(open_dialog)

    def _on_revision_restored(self, post: Any) -> None:
        # The restore was written after every pending save (one database worker), and the
        # dialog is modal, so the editor holds nothing newer: show the restored text as loaded,
        # not as an edit.
        if self.editor_panel.post_id == post.id:
            self.editor_panel.load(post)
        if self.tree is not None:
            self.tree.refresh(select=post.id)
        self._update_actions()
        self.statusBar().showMessage(
            "Restored. The text it replaced is kept in the revision history.", 8000
        )

    # --- help -----------------------------------------------------------------------------------

    def shortcut_list(self) -> list[tuple[str, str]]:
        """(what, keys) for every action with a shortcut, and the editor's own keys."""
        rows = []
        for action in self.actions_.values():
            keys = ", ".join(
                k.toString(QtGui.QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()
            )
            if keys:
                rows.append((action.text().replace("&", "").rstrip("…"), keys))
        rows += [
            ("Indent / unindent the line or list item", "Tab, Shift+Tab"),
            ("A line break without continuing the list", "Shift+Enter"),
            ("Leave focus mode, close the find bar", "Esc"),
        ]
        return rows

    def show_shortcuts(self) -> None:
        from html import escape

        rows = "".join(
            f"<tr><td>{escape(what)}</td><td style='padding-left:18px'><b>{escape(keys)}</b>"
            "</td></tr>"
            for what, keys in self.shortcut_list()
        )
        box = QtWidgets.QMessageBox(self)
        box.setWindowTitle("Keyboard shortcuts")
        box.setTextFormat(QtCore.Qt.TextFormat.RichText)
        box.setText(f"<table>{rows}</table>")
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

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
        if self._cache_timer is not None:
            self._cache_timer.stop()
        if self.autosaver is not None and not self.autosaver.has_unsaved():
            self._write_startup_cache(now=True)
        if self.render_worker is not None:
            self.render_worker.close()
        if self.preview is not None:
            # Its page goes now, before the profile at exit ("Release of profile requested but
            # WebEnginePage still not deleted").
            self.preview.close()
            self.preview.deleteLater()
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

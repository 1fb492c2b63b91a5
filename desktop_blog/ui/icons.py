"""QtAwesome icons for the window's actions.

Importing QtAwesome costs about half a second: qtpy star-imports PySide6's QtCore, QtGui and
QtWidgets, which makes shiboken create every one of their ~700 lazily made types, and the
first icon loads every font. That must happen on the GUI thread: shiboken's lazy type creation
is not thread-safe, and a worker importing QtAwesome while the GUI thread makes a type of its
own crashes the process (SIGSEGV; tests/ui/test_qt_imports.py shows it). So the window is shown
with blank icons of the right size, and ``load_qtawesome`` then makes those types on the GUI
thread a few at a time, between events, before importing QtAwesome itself.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QSize, Qt, QThread, QTimer, Signal
from PySide6.QtGui import QAction, QIcon, QPixmap

log = logging.getLogger(__name__)

# action name -> QtAwesome icon name (Font Awesome 6)
ICON_NAMES = {
    "new_post": "fa6s.file-circle-plus",
    "save": "fa6s.floppy-disk",
    "close_post": "fa6s.xmark",
    "preferences": "fa6s.gear",
    "quit": "fa6s.right-from-bracket",
    "undo": "fa6s.rotate-left",
    "redo": "fa6s.rotate-right",
    "cut": "fa6s.scissors",
    "copy": "fa6s.copy",
    "paste": "fa6s.paste",
    "find": "fa6s.magnifying-glass",
    "search_posts": "fa6s.magnifying-glass",
    "replace": "fa6s.right-left",
    "show_preview": "fa6s.eye",
    "toggle_outline": "fa6s.list-ul",
    "revisions": "fa6s.clock-rotate-left",
    "focus_mode": "fa6s.bullseye",
    "full_screen": "fa6s.expand",
    "bold": "fa6s.bold",
    "italic": "fa6s.italic",
    "link": "fa6s.link",
    "rename": "fa6s.i-cursor",
    "duplicate": "fa6s.clone",
    "trash": "fa6s.trash-can",
    "restore": "fa6s.trash-arrow-up",
    "delete_forever": "fa6s.circle-xmark",
    "toggle_details": "fa6s.sliders",
    "about": "fa6s.circle-info",
}

ICON_COLOR_LIGHT = "#3b4252"
ICON_COLOR_DARK = "#d8dee9"
ICON_COLOR_DANGER = "#bf3b3b"
DANGER = {"delete_forever"}


def blank_icon(size: int = 16) -> QIcon:
    """A transparent icon, so tool buttons keep their size until the real icons come."""
    pixmap = QPixmap(QSize(size, size))
    pixmap.fill(Qt.GlobalColor.transparent)
    return QIcon(pixmap)


# The modules qtpy (under QtAwesome) star-imports or imports, in its order.
QTPY_MODULES = (
    "PySide6.QtCore",
    "PySide6.QtGui",
    "PySide6.QtOpenGL",
    "PySide6.QtWidgets",
    "PySide6.QtOpenGLWidgets",
    "PySide6.QtDataVisualization",
)
SLICE_SECONDS = 0.004


class _QtAwesomeLoader(QObject):
    """Imports QtAwesome on the GUI thread in slices short enough not to be felt."""

    loaded = Signal(object)

    def __init__(self) -> None:
        super().__init__(QCoreApplication.instance())
        self.module: Any | None = None
        self.error: BaseException | None = None
        # (context, callback): called once loaded, unless the context was deleted meanwhile
        self.waiting: list[tuple[QObject, Callable[[Any], None]]] = []
        self._steps = self._work()
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._slice)

    def _work(self) -> Iterator[None]:
        for name in QTPY_MODULES:
            try:
                module = importlib.import_module(name)
            except ImportError:  # an optional module this PySide6 lacks: qtpy skips it too
                continue
            yield
            for attr in dir(module):
                getattr(module, attr, None)
                yield
        for name in ("qtpy", "qtpy.QtCore", "qtpy.QtGui", "qtpy.QtWidgets", "qtawesome"):
            importlib.import_module(name)
            yield
        import qtawesome

        yield from _load_fonts(qtawesome)
        self.module = qtawesome

    def start(self) -> None:
        if self.module is None and self.error is None and not self._timer.isActive():
            self._timer.start()

    def _slice(self) -> None:
        deadline = time.perf_counter() + SLICE_SECONDS
        try:
            while time.perf_counter() < deadline:
                next(self._steps)
        except StopIteration:
            self._timer.stop()
            waiting, self.waiting = self.waiting, []
            for context, callback in waiting:
                if shiboken6.isValid(context):
                    callback(self.module)
            self.loaded.emit(self.module)
        except Exception as exc:  # noqa: BLE001 - icons are a nicety: stay blank, say why
            self._timer.stop()
            self.error = exc
            log.warning("QtAwesome could not be loaded; icons stay blank: %s", exc)


def _load_fonts(qtawesome: Any) -> Iterator[None]:
    """Load QtAwesome's fonts one per step (its first ``icon()`` loads them all at once, ~70 ms).

    This reaches into QtAwesome's module state, so should a release change it, the fonts are
    left to load at once on the first icon as usual.
    """
    resource = getattr(qtawesome, "_resource", None)
    bundled = getattr(qtawesome, "_BUNDLED_FONTS", None)
    if not isinstance(resource, dict) or resource.get("iconic") is not None or not bundled:
        return
    from qtawesome.iconic_font import IconicFont

    fonts = IconicFont()
    for font_args in bundled:
        fonts.load_font(*font_args)
        yield
    resource["iconic"] = fonts


_loader: _QtAwesomeLoader | None = None


def load_qtawesome(callback: Callable[[Any], None], context: QObject) -> None:
    """Call ``callback(qtawesome)`` on the GUI thread once QtAwesome is loaded there,
    unless ``context`` (the widget the icons are for) has been deleted by then.

    Never import QtAwesome (or any module that imports PySide6 names) on a worker thread.
    """
    global _loader
    if QThread.currentThread() is not QCoreApplication.instance().thread():
        raise RuntimeError("load_qtawesome must be called on the GUI thread")
    if _loader is None:
        _loader = _QtAwesomeLoader()
    if _loader.module is not None:
        callback(_loader.module)
        return
    _loader.waiting.append((context, callback))
    _loader.start()


def qtawesome_loaded() -> Any | None:
    """The QtAwesome module if it has been loaded, else None."""
    return None if _loader is None else _loader.module


def apply_icons(actions: dict[str, QAction], dark: bool = False) -> None:
    """Set the QtAwesome icon of each named action (GUI thread)."""
    qta = qtawesome_loaded()
    if qta is None:
        return
    color = ICON_COLOR_DARK if dark else ICON_COLOR_LIGHT
    for name, action in actions.items():
        icon_name = ICON_NAMES.get(name)
        if icon_name is None:
            continue
        action.setIcon(
            qta.icon(
                icon_name,
                color=ICON_COLOR_DANGER if name in DANGER else color,
                color_disabled="#a0a4ab",
            )
        )

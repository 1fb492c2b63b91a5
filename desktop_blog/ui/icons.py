"""QtAwesome icons for the window's actions.

Importing QtAwesome costs about 250 ms (qtpy star-imports all of PySide6's modules, and the first
icon loads every font), so the window is shown with blank icons of the right size and the real
ones are set once the library is open: ``import_qtawesome`` runs on a worker thread and
``apply_icons`` then paints them on the GUI thread.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QIcon, QPixmap

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


def import_qtawesome() -> Any:
    """Import QtAwesome (safe on a worker thread: it only defines things)."""
    import qtawesome

    return qtawesome


def apply_icons(actions: dict[str, QAction], dark: bool = False) -> None:
    """Set the QtAwesome icon of each named action (GUI thread)."""
    qta = import_qtawesome()
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

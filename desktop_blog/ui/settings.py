"""User settings and saved window state, in one INI file inside the library's folder.

Settings (what the user chooses in Preferences) are declared once in ``OPTIONS`` with their
defaults; window state (geometry, splitters, the last open post) lives in its own section and
is never shown to the user. Keeping the file beside the library makes a portable library carry
its settings, and keeps each test's settings apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from PySide6.QtCore import QByteArray, QSettings

SETTINGS_FILENAME = "settings.ini"


class Option(NamedTuple):
    key: str
    default: Any
    type: type


# Every user setting, with its default. Preferences edits these; nothing else is a setting.
OPTIONS: dict[str, Option] = {
    o.key: o
    for o in (
        Option("autosave/revision_minutes", 5, int),
        Option("appearance/theme", "system", str),
        # "auto": the preview follows the window (light or dark); else light, dark or sepia.
        Option("preview/theme", "auto", str),
        Option("preview/custom_css", "", str),
        Option("preview/embeds", False, bool),
        Option("pdf/page_size", "A4", str),
        # top, right, bottom, left in mm (one value: all four)
        Option("pdf/margins_mm", "18, 18, 20, 18", str),
    )
}

THEMES = ("system", "light", "dark")
PREVIEW_THEMES = ("auto", "light", "dark", "sepia")
# What the centre shows: the editor and the preview, the editor only, or the preview only.
VIEW_MODES = ("both", "editor", "preview")


def _to_bool(value: Any) -> bool:
    # QSettings' INI files give back "true" / "false" strings.
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class Settings:
    """Typed access to ``<home>/settings.ini``."""

    def __init__(self, home: Path) -> None:
        self.path = Path(home) / SETTINGS_FILENAME
        self._qs = QSettings(str(self.path), QSettings.Format.IniFormat)

    # user settings ---------------------------------------------------------------------------

    def get(self, key: str) -> Any:
        option = OPTIONS[key]
        value = self._qs.value(key, option.default)
        if option.type is bool:
            return _to_bool(value)
        try:
            return option.type(value)
        except (TypeError, ValueError):
            return option.default

    def set(self, key: str, value: Any) -> None:
        option = OPTIONS[key]
        self._qs.setValue(key, option.type(value))

    @property
    def revision_minutes(self) -> int:
        return max(1, self.get("autosave/revision_minutes"))

    @property
    def theme(self) -> str:
        theme = self.get("appearance/theme")
        return theme if theme in THEMES else "system"

    @property
    def preview_theme(self) -> str:
        theme = self.get("preview/theme")
        return theme if theme in PREVIEW_THEMES else "auto"

    @property
    def custom_css(self) -> str:
        return self.get("preview/custom_css")

    @property
    def embeds(self) -> bool:
        return self.get("preview/embeds")

    # window state ----------------------------------------------------------------------------

    def state(self, key: str) -> QByteArray | None:
        value = self._qs.value(f"state/{key}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_state(self, key: str, value: QByteArray) -> None:
        self._qs.setValue(f"state/{key}", value)

    @property
    def last_post(self) -> int | None:
        value = self._qs.value("state/last_post")
        try:
            return int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None

    @last_post.setter
    def last_post(self, post_id: int | None) -> None:
        self._qs.setValue("state/last_post", "" if post_id is None else int(post_id))

    @property
    def view_mode(self) -> str:
        value = self._qs.value("state/view_mode", "both")
        return value if value in VIEW_MODES else "both"

    @view_mode.setter
    def view_mode(self, mode: str) -> None:
        self._qs.setValue("state/view_mode", mode if mode in VIEW_MODES else "both")

    def sync(self) -> None:
        self._qs.sync()

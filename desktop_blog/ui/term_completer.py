"""Completion of comma-separated category and tag names in the Details panel.

The names are the blog's own (synced from it) and those already used on this blog, so a post
is filed under the blog's "Travel" rather than a new "travel " that publishing would create.
Only the name being typed, after the last comma, is completed; names already in the field are
not offered again.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import QCompleter, QLineEdit


class ListCompleter(QCompleter):
    """Completes the last entry of a comma-separated list, keeping the entries before it."""

    def __init__(self, edit: QLineEdit) -> None:
        self._model = QStringListModel()
        super().__init__(self._model, edit)
        self._names: list[str] = []
        self.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterMode(Qt.MatchFlag.MatchContains)
        self.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        edit.setCompleter(self)
        edit.textEdited.connect(self._offer)

    def set_names(self, names: Iterable[str]) -> None:
        """The names to offer."""
        self._names = list(names)
        self._offer(self._edit().text())

    def names(self) -> list[str]:
        return list(self._names)

    def _edit(self) -> QLineEdit:
        return self.widget()  # type: ignore[return-value]

    def _offer(self, text: str) -> None:
        used = {part.strip().casefold() for part in text.split(",")[:-1]}
        self._model.setStringList([n for n in self._names if n.casefold() not in used])

    # QCompleter's hooks: match against the entry being typed; put the choice in its place.

    def splitPath(self, path: str) -> list[str]:  # noqa: N802 (Qt's name)
        return [path.split(",")[-1].strip()]

    def pathFromIndex(self, index) -> str:  # noqa: N802 (Qt's name)
        chosen = str(index.data())
        before = self._edit().text().split(",")[:-1]
        # no trailing ", ": the popup puts a highlighted name in before it is chosen, and the
        # choice must then replace that name, not follow it
        return ", ".join([*(p.strip() for p in before if p.strip()), chosen])

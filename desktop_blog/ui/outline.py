"""The outline panel: the post's headings, nested by level; clicking one jumps there.

``parse_headings`` (no Qt) finds ATX (``# Title``) and setext (``Title`` over ``===`` or ``---``)
headings, skipping fenced code and YAML front matter. It looks only at the lines a regular
expression picks out (headings, fences, underlines), so a 50,000-word post takes a few
milliseconds; the panel runs it ``DELAY_MS`` after typing stops, never per keystroke, and
rebuilds its tree only when the headings changed. Following the cursor (the heading the cursor
is under is selected) is a binary search per cursor move.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_right
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QLabel,
    QPlainTextEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .highlighter import is_paragraph_line


@dataclass(frozen=True)
class Heading:
    level: int  # 1..6
    text: str  # without the Markdown markup
    line: int  # 1-based source line of the heading's text


_CANDIDATE = re.compile(
    r"^ {0,3}(?:"
    r"(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*"  # 1, 2: ATX heading
    r"|(`{3,}|~{3,})(.*)"  # 3, 4: fence
    r"|(=+|-+)[ \t]*"  # 5: setext underline
    r")$",
    re.MULTILINE,
)
_FRONT_MATTER_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_LINKISH = re.compile(r"!?\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")
_EMPHASIS = re.compile(r"(\*{1,3})(?=\S)(.+?)(?<=\S)\1|(?<!\w)(_{1,3})(?=\S)(.+?)(?<=\S)\3(?!\w)")
_BACKTICKS = re.compile(r"`+")
_SPACES = re.compile(r"\s+")


def clean_heading(text: str) -> str:
    """Heading text without links' targets, emphasis markers and backticks."""
    text = _LINKISH.sub(lambda m: m.group(1), text)
    text = _EMPHASIS.sub(lambda m: m.group(2) if m.group(1) else m.group(4), text)
    text = _BACKTICKS.sub("", text)
    return _SPACES.sub(" ", text).strip()


def parse_headings(text: str) -> list[Heading]:
    """The headings of a Markdown text, in order."""
    start = 0
    if text.startswith("---"):
        first_end = text.find("\n")
        if first_end > 0 and not text[3:first_end].strip():
            close = _FRONT_MATTER_END.search(text, first_end + 1)
            if close is not None:
                start = close.end()
    headings: list[Heading] = []
    fence: str | None = None
    line = 1 + text.count("\n", 0, start)
    counted = start
    for m in _CANDIDATE.finditer(text, start):
        fence_marker = m.group(3)
        if fence is not None:
            if (
                fence_marker
                and fence_marker[0] == fence[0]
                and len(fence_marker) >= len(fence)
                and not m.group(4).strip()
            ):
                fence = None
            continue
        if fence_marker:
            if not (fence_marker[0] == "`" and "`" in m.group(4)):
                fence = fence_marker
            continue
        line += text.count("\n", counted, m.start())
        counted = m.start()
        if m.group(1):
            title = clean_heading(m.group(2) or "")
            if title:
                headings.append(Heading(len(m.group(1)), title, line))
        elif m.group(5) and m.start() > start:
            prev_end = m.start() - 1
            prev_start = text.rfind("\n", start, prev_end) + 1
            previous = text[max(prev_start, start) : prev_end]
            if is_paragraph_line(previous):
                title = clean_heading(previous)
                if title:
                    level = 1 if m.group(5)[0] == "=" else 2
                    headings.append(Heading(level, title, line - 1))
    return headings


LINE_ROLE = Qt.ItemDataRole.UserRole


class OutlinePanel(QWidget):
    """Headings of the editor's text as a tree; clicking (or Enter on) one jumps there."""

    headingActivated = Signal(int)  # 1-based line

    DELAY_MS = 300

    def __init__(self, editor: QPlainTextEdit | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("outlinePanel")
        self._editor: QPlainTextEdit | None = None
        self._headings: list[Heading] = []
        self._lines: list[int] = []
        self._items: list[QTreeWidgetItem] = []
        self._last_jump = (None, 0.0)

        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setColumnCount(1)
        self.tree.setUniformRowHeights(True)
        self.tree.setExpandsOnDoubleClick(False)
        self.tree.itemClicked.connect(self._on_item_activated)
        self.tree.itemActivated.connect(self._on_item_activated)
        self.empty_label = QLabel("No headings")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        layout.addWidget(self.empty_label)
        self.tree.hide()

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.DELAY_MS)
        self._timer.timeout.connect(self.refresh)
        if editor is not None:
            self.set_editor(editor)

    # -- editor ---------------------------------------------------------------------------------

    def editor(self) -> QPlainTextEdit | None:
        return self._editor

    def set_editor(self, editor: QPlainTextEdit | None) -> None:
        if self._editor is not None:
            for signal, slot in self._connections(self._editor):
                try:
                    signal.disconnect(slot)
                except (RuntimeError, TypeError):
                    pass
        self._editor = editor
        if editor is not None:
            for signal, slot in self._connections(editor):
                signal.connect(slot)
        self.refresh()

    def _connections(self, editor: QPlainTextEdit) -> list:
        return [
            (editor.textChanged, self._timer.start),
            (editor.cursorPositionChanged, self._follow_cursor),
        ]

    # -- contents -------------------------------------------------------------------------------

    def headings(self) -> list[Heading]:
        return list(self._headings)

    def refresh(self) -> None:
        """Parse the editor's text now and rebuild the tree if the headings changed."""
        self._timer.stop()
        text = self._editor.toPlainText() if self._editor is not None else ""
        headings = parse_headings(text)
        if headings == self._headings and (self._items or not headings):
            self._follow_cursor()
            return
        self._headings = headings
        self._lines = [h.line for h in headings]
        self._rebuild()
        self._follow_cursor()

    def _rebuild(self) -> None:
        self.tree.clear()
        self._items = []
        stack: list[tuple[int, QTreeWidgetItem]] = []
        for heading in self._headings:
            while stack and stack[-1][0] >= heading.level:
                stack.pop()
            parent = stack[-1][1] if stack else None
            item = QTreeWidgetItem([heading.text])
            item.setData(0, LINE_ROLE, heading.line)
            item.setToolTip(0, f"Line {heading.line}")
            if parent is None:
                self.tree.addTopLevelItem(item)
            else:
                parent.addChild(item)
            stack.append((heading.level, item))
            self._items.append(item)
        self.tree.expandAll()
        self.tree.setVisible(bool(self._items))
        self.empty_label.setVisible(not self._items)

    def _follow_cursor(self) -> None:
        """Select the heading the cursor is under (without jumping)."""
        if self._editor is None or not self._items:
            return
        line = self._editor.textCursor().blockNumber() + 1
        i = bisect_right(self._lines, line) - 1
        item = self._items[i] if i >= 0 else None
        if item is not self.tree.currentItem():
            self.tree.blockSignals(True)
            if item is None:
                self.tree.setCurrentItem(None)
                self.tree.clearSelection()
            else:
                self.tree.setCurrentItem(item)
            self.tree.blockSignals(False)

    # -- jumping --------------------------------------------------------------------------------

    def _on_item_activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        # A click can bring both itemClicked and itemActivated: jump once.
        now = time.monotonic()
        if self._last_jump[0] is item and now - self._last_jump[1] < 0.3:
            return
        self._last_jump = (item, now)
        line = item.data(0, LINE_ROLE)
        if line is None:
            return
        self.jump_to(int(line))

    def jump_to(self, line: int) -> None:
        editor = self._editor
        if editor is not None:
            centre = getattr(editor, "center_on_line", None)
            if centre is not None:
                centre(line)
            else:
                doc = editor.document()
                block = doc.findBlockByNumber(max(0, min(line, doc.blockCount()) - 1))
                editor.setTextCursor(QTextCursor(block))
                editor.centerCursor()
            editor.setFocus()
        self.headingActivated.emit(line)

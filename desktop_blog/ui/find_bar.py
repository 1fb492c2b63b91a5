"""Find and replace bar, and a go-to-line bar, for any QPlainTextEdit.

Searching uses Python's ``re`` on the document's plain text (regular expressions in Python's
syntax; ``^`` and ``$`` match at line ends), and maps string indices to document positions
(UTF-16: characters beyond the BMP, such as emoji, count twice). Matches are found once per
change of pattern, options or text, not per keystroke in the editor: an edit only marks them
stale, and they are found again after a short pause or when next needed.

Only the matches in and near the visible part of the editor are painted (as extra selections),
so a pattern with thousands of matches costs nothing while scrolling or typing. Empty matches
(``^``, ``x*``) are skipped.

Keys: Enter / F3 next, Shift+Enter / Shift+F3 previous, Esc closes (focus goes back to the
editor). With ``install_shortcuts=True`` the bar also adds Ctrl+F (find), Ctrl+H (replace), F3 and
Shift+F3 as shortcuts on the editor; a window that puts those keys on its own menu actions must
pass False (two shortcuts on one key cancel each other out) and call ``open_find``,
``open_replace``, ``find_next`` and ``find_previous`` from its actions.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QIntValidator,
    QKeyEvent,
    QKeySequence,
    QPalette,
    QShortcut,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QToolButton,
    QWidget,
)

from .palette import LIGHT

GROUP = "find"  # the editor's extra-selection group for matches
# A field's colours when its pattern is invalid ("error") or finds nothing ("none"), for a light
# and a dark window: dark red text on pink in light mode would be a glaring patch in dark mode,
# so there it is light text on dark red. Every pair keeps a contrast of at least 7:1.
FIELD_STYLES = {
    (False, "error"): "background: #ffd6d6; color: #5c0000; border: 1px solid #c62828;",
    (False, "none"): "background: #ffecec; color: #5c0000; border: 1px solid #e39a9a;",
    (True, "error"): "background: #5c1a1a; color: #ffe3e3; border: 1px solid #ef7070;",
    (True, "none"): "background: #432224; color: #ffe3e3; border: 1px solid #9c4a4f;",
}
ERROR_STYLE = f"QLineEdit {{ {FIELD_STYLES[False, 'error']} }}"
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Match:
    start: int  # document positions (UTF-16)
    end: int
    index: int  # string index of the start, for re-matching when replacing


def compile_pattern(text: str, *, regex: bool, case: bool, whole_word: bool) -> re.Pattern[str]:
    """The search pattern; raises ``re.error`` for an invalid regular expression."""
    body = text if regex else re.escape(text)
    if whole_word:
        body = rf"(?<!\w)(?:{body})(?!\w)"
    flags = re.MULTILINE | (0 if case else re.IGNORECASE)
    return re.compile(body, flags)


def find_all(pattern: re.Pattern[str], text: str) -> list[Match]:
    """Non-empty matches of ``pattern`` in ``text``, with document positions."""
    astral = [] if text.isascii() else [m.start() for m in _ASTRAL.finditer(text)]
    out = []
    for m in pattern.finditer(text):
        s, e = m.span()
        if s == e:
            continue
        if astral:
            out.append(Match(s + bisect_left(astral, s), e + bisect_left(astral, e), s))
        else:
            out.append(Match(s, e, s))
    return out


def _editor_goto(editor: QPlainTextEdit, line: int) -> None:
    centre = getattr(editor, "center_on_line", None)
    if centre is not None:
        centre(line)
        return
    doc = editor.document()
    block = doc.findBlockByNumber(max(0, min(line, doc.blockCount()) - 1))
    editor.setTextCursor(QTextCursor(block))
    editor.centerCursor()


class FindBar(QWidget):
    """Find / replace for a QPlainTextEdit; see the module docstring."""

    closed = Signal()
    matchesChanged = Signal(int)  # number of matches

    HIGHLIGHT_DELAY_MS = 150  # after an edit, matches are found again this much later
    VISIBLE_MARGIN = 2000  # characters beyond the visible text whose matches are painted too

    def __init__(
        self,
        editor: QPlainTextEdit | None = None,
        parent: QWidget | None = None,
        *,
        install_shortcuts: bool = True,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("findBar")
        self._editor: QPlainTextEdit | None = None
        self._install_shortcuts = install_shortcuts
        self._shortcuts: list[QShortcut] = []
        self._pattern: re.Pattern[str] | None = None
        self._error: str | None = None
        self._matches: list[Match] = []
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._text = ""
        self._stale = True
        self._origin = 0

        self.find_field = QLineEdit()
        self.find_field.setPlaceholderText("Find")
        self.find_field.setClearButtonEnabled(True)
        self.replace_field = QLineEdit()
        self.replace_field.setPlaceholderText("Replace with")
        # Beside a narrow editor the buttons took nearly all the width: keep a word visible.
        for field in (self.find_field, self.replace_field):
            field.setMinimumWidth(120)
        self.case_toggle = self._toggle("Aa", "Match case")
        self.word_toggle = self._toggle("W", "Whole words")
        self.regex_toggle = self._toggle(".*", "Regular expression (Python syntax)")
        self.previous_button = QToolButton(text="↑", toolTip="Previous match (Shift+F3)")
        self.next_button = QToolButton(text="↓", toolTip="Next match (F3)")
        self.count_label = QLabel()
        self.count_label.setMinimumWidth(90)
        self.close_button = QToolButton(text="✕", toolTip="Close (Esc)")
        self.replace_button = QPushButton("Replace")
        self.replace_all_button = QPushButton("Replace all")

        grid = QGridLayout(self)
        grid.setContentsMargins(6, 4, 6, 4)
        grid.setHorizontalSpacing(4)
        grid.setVerticalSpacing(4)
        grid.addWidget(self.find_field, 0, 0)
        row = QHBoxLayout()
        for w in (
            self.previous_button,
            self.next_button,
            self.case_toggle,
            self.word_toggle,
            self.regex_toggle,
            self.count_label,
        ):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(self.close_button)
        grid.addLayout(row, 0, 1)
        grid.addWidget(self.replace_field, 1, 0)
        replace_row = QHBoxLayout()
        replace_row.addWidget(self.replace_button)
        replace_row.addWidget(self.replace_all_button)
        replace_row.addStretch(1)
        grid.addLayout(replace_row, 1, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)

        self.find_field.textChanged.connect(self._on_pattern_changed)
        for toggle in (self.case_toggle, self.word_toggle, self.regex_toggle):
            toggle.toggled.connect(self._on_pattern_changed)
        self.find_field.returnPressed.connect(self.find_next)
        self.replace_field.returnPressed.connect(self.replace_current)
        self.replace_field.textChanged.connect(self._clear_replace_error)
        self.find_field.installEventFilter(self)
        self.replace_field.installEventFilter(self)
        self.next_button.clicked.connect(self.find_next)
        self.previous_button.clicked.connect(self.find_previous)
        self.replace_button.clicked.connect(self.replace_current)
        self.replace_all_button.clicked.connect(self.replace_all)
        self.close_button.clicked.connect(self.close_bar)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(self.HIGHLIGHT_DELAY_MS)
        self._refresh_timer.timeout.connect(self._refresh_after_edit)

        self._set_replace_visible(False)
        self.hide()
        if editor is not None:
            self.set_editor(editor)

    @staticmethod
    def _toggle(text: str, tip: str) -> QToolButton:
        button = QToolButton(text=text, toolTip=tip, checkable=True)
        button.setAutoRaise(True)
        return button

    # -- editor ---------------------------------------------------------------------------------

    def editor(self) -> QPlainTextEdit | None:
        return self._editor

    def set_editor(self, editor: QPlainTextEdit | None) -> None:
        if self._editor is not None:
            self._clear_highlights()
            old = self._editor
            for signal, slot in self._editor_connections(old):
                try:
                    signal.disconnect(slot)
                except (RuntimeError, TypeError):
                    pass
            for shortcut in self._shortcuts:
                shortcut.setEnabled(False)
                shortcut.deleteLater()
            self._shortcuts = []
        self._editor = editor
        self._stale = True
        if editor is None:
            return
        for signal, slot in self._editor_connections(editor):
            signal.connect(slot)
        if self._install_shortcuts:
            self._add_shortcuts(editor)

    def _editor_connections(self, editor: QPlainTextEdit) -> list:
        return [
            (editor.document().contentsChanged, self._on_text_changed),
            (editor.verticalScrollBar().valueChanged, self._on_scrolled),
        ]

    def _add_shortcuts(self, editor: QPlainTextEdit) -> None:
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for keys, slot, widgets in (
            (QKeySequence.StandardKey.Find, self.open_find, (editor,)),
            (QKeySequence("Ctrl+H"), self.open_replace, (editor,)),
            (QKeySequence("F3"), self.find_next, (editor, self)),
            (QKeySequence("Shift+F3"), self.find_previous, (editor, self)),
        ):
            for widget in widgets:
                shortcut = QShortcut(keys, widget)
                shortcut.setContext(context)
                shortcut.activated.connect(slot)
                self._shortcuts.append(shortcut)

    # -- opening and closing --------------------------------------------------------------------

    def open_find(self, replace: bool = False) -> None:
        """Show the bar (with the replace row if ``replace``), take a one-line selection as
        the pattern, and focus the find field."""
        editor = self._editor
        self._set_replace_visible(replace)
        if editor is not None:
            cursor = editor.textCursor()
            self._origin = cursor.selectionStart()
            selected = cursor.selectedText()
            if selected and "\u2029" not in selected and len(selected) < 200:
                if self.regex_toggle.isChecked():
                    selected = re.escape(selected)
                self.find_field.setText(selected)
        self.show()
        self._stale = True
        self._update_highlights()
        self.find_field.setFocus()
        self.find_field.selectAll()

    def open_replace(self) -> None:
        self.open_find(replace=True)

    def close_bar(self) -> None:
        self.hide()
        self._clear_highlights()
        if self._editor is not None:
            self._editor.setFocus()
        self.closed.emit()

    def _set_replace_visible(self, visible: bool) -> None:
        for w in (self.replace_field, self.replace_button, self.replace_all_button):
            w.setVisible(visible)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if event.key() == Qt.Key.Key_Escape:
            self.close_bar()
            return
        super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (
                event.modifiers() & Qt.KeyboardModifier.ShiftModifier
            ):
                self.find_previous()
                return True
            if event.key() == Qt.Key.Key_Escape:
                self.close_bar()
                return True
        return super().eventFilter(watched, event)

    # -- state ----------------------------------------------------------------------------------

    def pattern_error(self) -> str | None:
        """The message for an invalid pattern or replacement, else None."""
        return self._error

    def matches(self) -> list[tuple[int, int]]:
        """(start, end) document positions of every match."""
        self._ensure_matches()
        return [(m.start, m.end) for m in self._matches]

    def current_index(self) -> int | None:
        """0-based index of the match the editor's selection is on, else None."""
        if self._editor is None:
            return None
        self._ensure_matches()
        cursor = self._editor.textCursor()
        i = bisect_left(self._starts, cursor.selectionStart())
        if i < len(self._matches):
            m = self._matches[i]
            if m.start == cursor.selectionStart() and m.end == cursor.selectionEnd():
                return i
        return None

    # -- finding --------------------------------------------------------------------------------

    def _on_pattern_changed(self, *_args: object) -> None:
        self._stale = True
        self._ensure_matches()
        editor = self._editor
        if editor is not None and self._matches and self.isVisible():
            # Incremental search: the first match from where the search started.
            i = bisect_left(self._starts, self._origin)
            self._select(i % len(self._matches))
        else:
            self._update_highlights()

    def _on_text_changed(self) -> None:
        self._stale = True
        if self.isVisible() and self._pattern is not None:
            self._refresh_timer.start()

    def _refresh_after_edit(self) -> None:
        self._ensure_matches()
        self._update_highlights()

    def is_dark(self) -> bool:
        """Whether the bar is drawn dark (it follows its palette, which follows the window)."""
        return self.palette().color(QPalette.ColorRole.Window).lightness() < 128

    def _set_field_state(self, field: QLineEdit, state: str) -> None:
        """``error``, ``none`` (no match) or ``""``: the field's colours say so."""
        field.setProperty("findState", state)
        style = FIELD_STYLES.get((self.is_dark(), state))
        field.setStyleSheet(f"QLineEdit {{ {style} }}" if style else "")

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # light <-> dark: recolour the fields
            for field in (self.find_field, self.replace_field):
                state = field.property("findState")
                if state:
                    self._set_field_state(field, state)

    def _set_error(self, message: str | None, field: QLineEdit | None = None) -> None:
        self._error = message
        for f in (self.find_field, self.replace_field):
            if f is field and message:
                self._set_field_state(f, "error")
                f.setToolTip(message)
            else:
                self._set_field_state(f, "")
                f.setToolTip("")
        if message:
            self.count_label.setText("Invalid pattern" if field is self.find_field else "Invalid")
            self.count_label.setToolTip(message)
        else:
            self.count_label.setToolTip("")

    def _clear_replace_error(self, *_args: object) -> None:
        if self._error and self.replace_field.property("findState") == "error":
            self._set_error(None)
            self._update_label()

    def _ensure_matches(self) -> None:
        if not self._stale:
            return
        self._stale = False
        self._matches, self._starts, self._ends = [], [], []
        text = self.find_field.text()
        self._pattern = None
        if not text:
            self._set_error(None)
            self._update_label()
            self.matchesChanged.emit(0)
            return
        try:
            self._pattern = compile_pattern(
                text,
                regex=self.regex_toggle.isChecked(),
                case=self.case_toggle.isChecked(),
                whole_word=self.word_toggle.isChecked(),
            )
        except re.error as exc:
            where = f" at position {exc.pos}" if exc.pos is not None else ""
            self._set_error(f"Invalid regular expression: {exc.msg}{where}", self.find_field)
            self.matchesChanged.emit(0)
            return
        self._set_error(None)
        if self._editor is not None:
            self._text = self._editor.document().toPlainText()
            self._matches = find_all(self._pattern, self._text)
            self._starts = [m.start for m in self._matches]
            self._ends = [m.end for m in self._matches]  # sorted too: matches do not overlap
        self._update_label()
        self.matchesChanged.emit(len(self._matches))

    def _select(self, i: int) -> None:
        editor = self._editor
        if editor is None or not self._matches:
            return
        m = self._matches[i]
        cursor = editor.textCursor()
        cursor.setPosition(m.start)
        cursor.setPosition(m.end, QTextCursor.MoveMode.KeepAnchor)
        editor.setTextCursor(cursor)
        editor.ensureCursorVisible()
        self._update_label()
        self._update_highlights()

    def find_next(self) -> bool:
        """Select the next match after the selection or cursor (wrapping). False if none."""
        self._ensure_matches()
        if self._editor is None or not self._matches:
            self._update_label()
            return False
        cursor = self._editor.textCursor()
        at = cursor.selectionEnd() if cursor.hasSelection() else cursor.position()
        i = bisect_left(self._starts, at)
        self._select(i % len(self._matches))
        return True

    def find_previous(self) -> bool:
        """Select the match before the selection or cursor (wrapping). False if none."""
        self._ensure_matches()
        if self._editor is None or not self._matches:
            self._update_label()
            return False
        at = self._editor.textCursor().selectionStart()
        i = bisect_right(self._ends, at) - 1
        self._select(i % len(self._matches))
        return True

    # -- replacing ------------------------------------------------------------------------------

    def _replacement(self, m: Match) -> str | None:
        """The replacement text for one match (None, with the error shown, if invalid)."""
        template = self.replace_field.text()
        if not self.regex_toggle.isChecked():
            return template
        assert self._pattern is not None
        found = self._pattern.match(self._text, m.index)
        if found is None:
            return None
        try:
            return found.expand(template)
        except (re.error, IndexError) as exc:
            self._set_error(f"Invalid replacement: {exc}", self.replace_field)
            return None

    def replace_current(self) -> bool:
        """Replace the selected match and go to the next one; without a selected match, only
        go to the next one. True if something was replaced."""
        editor = self._editor
        if editor is None:
            return False
        i = self.current_index()
        if i is None:
            self.find_next()
            return False
        m = self._matches[i]
        text = self._replacement(m)
        if text is None:
            return False
        cursor = editor.textCursor()
        cursor.beginEditBlock()
        cursor.insertText(text)
        cursor.endEditBlock()
        editor.setTextCursor(cursor)
        self._stale = True
        self.find_next()
        return True

    def replace_all(self) -> int:
        """Replace every match as one undo step; returns how many were replaced."""
        editor = self._editor
        self._stale = True
        self._ensure_matches()
        if editor is None or not self._matches or self._pattern is None:
            return 0
        replacements = []
        for m in self._matches:
            text = self._replacement(m)
            if text is None:
                return 0
            replacements.append((m, text))
        cursor = QTextCursor(editor.document())
        cursor.beginEditBlock()
        for m, text in reversed(replacements):
            cursor.setPosition(m.start)
            cursor.setPosition(m.end, QTextCursor.MoveMode.KeepAnchor)
            cursor.insertText(text)
        cursor.endEditBlock()
        done = len(replacements)
        self._stale = True
        self._ensure_matches()
        self._update_highlights()
        self.count_label.setText(f"Replaced {done}")
        return done

    # -- painting matches -----------------------------------------------------------------------

    def _update_label(self) -> None:
        if self._error:
            return
        total = len(self._matches)
        self._set_field_state(
            self.find_field, "none" if self.find_field.text() and not total else ""
        )
        if not self.find_field.text():
            self.count_label.setText("")
        elif not total:
            self.count_label.setText("No results")
        else:
            i = self.current_index()
            self.count_label.setText(f"{i + 1} of {total}" if i is not None else f"{total} matches")

    def _on_scrolled(self, _value: int) -> None:
        if self.isVisible() and self._matches:
            self._update_highlights()

    def _colours(self) -> tuple[QColor, QColor]:
        palette_of = getattr(self._editor, "editor_palette", None)
        p = palette_of() if palette_of is not None else LIGHT
        return QColor(p.match_background), QColor(p.current_match_background)

    def _visible_span(self) -> tuple[int, int]:
        editor = self._editor
        assert editor is not None
        first = editor.firstVisibleBlock().position()
        corner = QPoint(editor.viewport().width() - 1, editor.viewport().height() - 1)
        last = editor.cursorForPosition(corner).position()
        return max(0, first - self.VISIBLE_MARGIN), last + self.VISIBLE_MARGIN

    def _set_selections(self, selections: list[QTextEdit.ExtraSelection]) -> None:
        editor = self._editor
        if editor is None:
            return
        grouped = getattr(editor, "set_extra_selections", None)
        if grouped is not None:
            grouped(GROUP, selections)
        else:
            editor.setExtraSelections(selections)

    def _clear_highlights(self) -> None:
        self._set_selections([])

    def _update_highlights(self) -> None:
        editor = self._editor
        if editor is None or not self.isVisible() or not self._matches:
            self._clear_highlights()
            return
        lo, hi = self._visible_span()
        first = bisect_left(self._ends, lo)
        last = bisect_right(self._starts, hi)
        all_colour, current_colour = self._colours()
        current = self.current_index()
        doc = editor.document()
        selections = []
        for i in range(first, last):
            m = self._matches[i]
            sel = QTextEdit.ExtraSelection()
            cursor = QTextCursor(doc)
            cursor.setPosition(m.start)
            cursor.setPosition(m.end, QTextCursor.MoveMode.KeepAnchor)
            sel.cursor = cursor
            sel.format.setBackground(current_colour if i == current else all_colour)
            selections.append(sel)
        self._set_selections(selections)


class GotoLineBar(QWidget):
    """A one-field bar: type a line number, Enter jumps there (centred), Esc closes."""

    closed = Signal()

    def __init__(
        self,
        editor: QPlainTextEdit | None = None,
        parent: QWidget | None = None,
        *,
        install_shortcut: bool = True,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("gotoLineBar")
        self._editor: QPlainTextEdit | None = None
        self._install_shortcut = install_shortcut
        self._shortcut: QShortcut | None = None
        self.label = QLabel("Go to line:")
        self.field = QLineEdit()
        self.field.setMaximumWidth(120)
        # Digits only; a number past the end goes to the last line (QIntValidator's top would
        # only make Enter do nothing for, say, 999 in a 300-line post).
        self.validator = QIntValidator(1, 999_999_999, self)
        self.field.setValidator(self.validator)
        self.range_label = QLabel()
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 4, 6, 4)
        row.addWidget(self.label)
        row.addWidget(self.field)
        row.addWidget(self.range_label)
        row.addStretch(1)
        self.field.returnPressed.connect(self.accept)
        self.field.installEventFilter(self)
        self.hide()
        if editor is not None:
            self.set_editor(editor)

    def set_editor(self, editor: QPlainTextEdit | None) -> None:
        if self._shortcut is not None:
            self._shortcut.setEnabled(False)
            self._shortcut.deleteLater()
            self._shortcut = None
        self._editor = editor
        if editor is not None and self._install_shortcut:
            self._shortcut = QShortcut(QKeySequence("Ctrl+G"), editor)
            self._shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self._shortcut.activated.connect(self.open)

    def open(self) -> None:
        editor = self._editor
        if editor is None:
            return
        count = editor.document().blockCount()
        self.range_label.setText(f"1–{count}")
        self.field.setPlaceholderText(str(editor.textCursor().blockNumber() + 1))
        self.field.clear()
        self.show()
        self.field.setFocus()

    def accept(self) -> None:
        editor = self._editor
        text = self.field.text().strip()
        if editor is not None and text.isdigit():
            _editor_goto(editor, int(text))
        self.close_bar()

    def close_bar(self) -> None:
        self.hide()
        if self._editor is not None:
            self._editor.setFocus()
        self.closed.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
        ):
            self.close_bar()
            return True
        return super().eventFilter(watched, event)

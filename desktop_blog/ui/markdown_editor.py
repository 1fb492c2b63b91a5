"""The Markdown editor: a QPlainTextEdit with highlighting and writing conveniences.

- Highlighting by ``MarkdownHighlighter``, told the visible blocks so that an edit is highlighted
  at once only where the user can see it (the rest follows in idle time).
- Enter continues lists (``-``, ``*``, ``+``, ``1.`` becomes ``2.``, task items get a fresh
  ``[ ]``) and block quotes; Enter on an empty item ends the list (a nested item moves out one
  level instead); inside fenced code or front matter, Enter keeps the line's indentation.
- Tab / Shift+Tab indent / unindent the selected lines, or the current list item, by four spaces
  (four, not two: Python-Markdown needs four to nest a list or continue an item). Tab with no
  selection elsewhere inserts four spaces.
- Ctrl+B, Ctrl+I, Ctrl+K: bold, italic, link around the selection (or empty markers with the
  cursor between). Bold and italic toggle off when the selection is already wrapped. Each is
  one undo step. The editor takes these keys before window shortcuts (ShortcutOverride), so a
  window's Format menu can use the same keys and call ``format_bold()`` etc. itself.
- Pasted image data and dropped image files are not inserted but announced
  (``imageDataPasted``, ``imageFilesDropped``); whoever stores them calls
  ``insert_markdown_at_cursor``.
- Counting is off the keystroke path: ``statsChanged`` is emitted ``STATS_DELAY_MS`` after the
  text or the selection stopped changing.

Lines are source lines (blocks), 1-based, whatever the wrapping.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QEvent, QIODevice, QMimeData, Qt, QTimer, Signal
from PySide6.QtGui import (
    QFont,
    QFontDatabase,
    QImage,
    QKeyEvent,
    QPalette,
    QPixmap,
    QResizeEvent,
    QTextCursor,
    QTextDocument,
    QTextOption,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from desktop_blog.render.textstats import Stats, count

from .highlighter import MarkdownHighlighter
from .palette import EditorPalette

INDENT = "    "
IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".svg", ".avif", ".tif", ".tiff"}
)
# Image formats whose bytes are taken as they are (no re-encoding), in order of preference.
IMAGE_MIME_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml")

_QUOTE_PREFIX = re.compile(r"(?:[ \t]{0,3}>[ \t]?)+")
_LIST_ITEM = re.compile(r"([ \t]*)(?:([-*+])|(\d{1,9})([.)]))([ \t]+)(\[[ xX]\][ \t]+)?")
_LEADING_WS = re.compile(r"[ \t]*")
_URL_LIKE = re.compile(r"(?:https?://|ftp://|mailto:|www\.)\S+$")


def _utf16_len(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _star_run(text: str, reverse: bool = False) -> int:
    """Number of ``*`` at the start (or end) of text."""
    s = text[::-1] if reverse else text
    return len(s) - len(s.lstrip("*"))


class MarkdownEditor(QPlainTextEdit):
    """Plain-text Markdown editor; see the module docstring."""

    imageDataPasted = Signal(bytes, str)  # data, MIME type
    imageFilesDropped = Signal(list)  # local paths of image files
    visibleLineChanged = Signal(int)  # first visible source line, 1-based
    statsChanged = Signal(object)  # textstats.Stats of the selection if any, else of the text

    STATS_DELAY_MS = 300
    VISIBLE_MARGIN_BLOCKS = 8  # highlighted at once beyond the visible blocks

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        dark: bool = False,
        highlighting: bool = True,
        monospace: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setTabChangesFocus(False)
        self._column_chars: int | None = None
        self._margins = (0, 0)
        self._last_visible_line = 0
        self._extra: dict[str, list[QTextEdit.ExtraSelection]] = {}

        self._highlighter = MarkdownHighlighter(self.document(), dark=dark, parent=self)
        self._highlighter.set_visible_range(self._visible_block_range)
        if not highlighting:
            self._highlighter.set_enabled(False)

        self._stats_timer = QTimer(self)
        self._stats_timer.setSingleShot(True)
        self._stats_timer.setInterval(self.STATS_DELAY_MS)
        self._stats_timer.timeout.connect(self._emit_stats)
        self.textChanged.connect(self._stats_timer.start)
        self.selectionChanged.connect(self._stats_timer.start)
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)

        self.set_monospace(monospace)
        self._apply_palette()

    # -- highlighting, palette, fonts -----------------------------------------------------------

    def highlighter(self) -> MarkdownHighlighter:
        return self._highlighter

    def set_highlighting(self, enabled: bool) -> None:
        self._highlighter.set_enabled(enabled)

    def set_dark(self, dark: bool) -> None:
        """Dark or light palette for the text, the background and the highlighting."""
        self._highlighter.set_dark(dark)
        self._apply_palette()

    def is_dark(self) -> bool:
        return self._highlighter.is_dark()

    def editor_palette(self) -> EditorPalette:
        return self._highlighter.palette()

    def _apply_palette(self) -> None:
        p = self._highlighter.palette()
        pal = self.palette()
        for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
            pal.setColor(group, QPalette.ColorRole.Base, p.background)
            pal.setColor(group, QPalette.ColorRole.Window, p.background)
            pal.setColor(group, QPalette.ColorRole.Text, p.foreground)
            pal.setColor(group, QPalette.ColorRole.Highlight, p.selection_background)
            pal.setColor(group, QPalette.ColorRole.HighlightedText, p.selection_foreground)
        self.setPalette(pal)
        # With a column width, the side margins belong to the scroll area, not the viewport:
        # paint them like the page.
        self.setAutoFillBackground(True)

    def set_monospace(self, monospace: bool) -> None:
        """The system's fixed-pitch font, or the application's font, at the current size."""
        size = self.font().pointSizeF()
        if monospace:
            font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        else:
            font = QFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont))
        if size > 0:
            font.setPointSizeF(size)
        self._monospace = monospace
        self.set_editor_font(font)

    def is_monospace(self) -> bool:
        return self._monospace

    def set_editor_font(self, font: QFont) -> None:
        self.setFont(font)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * len(INDENT))
        self._update_margins()

    # -- column width (focus mode) --------------------------------------------------------------

    def set_column_width(self, chars: int | None) -> None:
        """Limit the text to a centred column of about ``chars`` characters (None: full width)."""
        self._column_chars = chars if chars and chars > 0 else None
        self._update_margins()

    def column_width(self) -> int | None:
        return self._column_chars

    def _update_margins(self) -> None:
        if self._column_chars is None:
            side = 0
        else:
            available = self.viewport().width() + sum(self._margins)
            column = int(self._column_chars * self.fontMetrics().averageCharWidth())
            column += int(2 * self.document().documentMargin())
            side = max(0, (available - column) // 2)
        if (side, side) != self._margins:
            self._margins = (side, side)
            self.setViewportMargins(side, 0, side, 0)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_margins()

    def setDocument(self, document: QTextDocument) -> None:  # noqa: N802 (Qt's name)
        super().setDocument(document)
        self._highlighter.setDocument(document)

    # -- lines and scrolling --------------------------------------------------------------------

    def _visible_block_range(self) -> tuple[int, int]:
        first = self.firstVisibleBlock().blockNumber()
        lines = self.viewport().height() // max(1, self.fontMetrics().lineSpacing()) + 1
        return max(0, first - 2), first + lines + self.VISIBLE_MARGIN_BLOCKS

    def line_count(self) -> int:
        return self.document().blockCount()

    def cursor_line(self) -> int:
        """The cursor's source line, 1-based."""
        return self.textCursor().blockNumber() + 1

    def _block_for_line(self, line: int):
        doc = self.document()
        return doc.findBlockByNumber(max(0, min(int(line), doc.blockCount()) - 1))

    def goto_line(self, line: int) -> None:
        """Put the cursor at the start of source line ``line`` (clamped) and show it."""
        self.setTextCursor(QTextCursor(self._block_for_line(line)))
        self.ensureCursorVisible()

    def center_on_line(self, line: int) -> None:
        """Put the cursor on ``line`` and scroll it to the middle of the view."""
        self.setTextCursor(QTextCursor(self._block_for_line(line)))
        self.centerCursor()

    def scroll_to_line(self, line: int) -> None:
        """Scroll so that source line ``line`` is at the top; the cursor stays where it is."""
        block = self._block_for_line(line)
        self.verticalScrollBar().setValue(block.firstLineNumber())

    def first_visible_line(self) -> int:
        return self.firstVisibleBlock().blockNumber() + 1

    def _on_scrolled(self, _value: int) -> None:
        line = self.first_visible_line()
        if line != self._last_visible_line:
            self._last_visible_line = line
            self.visibleLineChanged.emit(line)

    # -- extra selections in named groups (find matches, and whatever comes later) --------------

    def set_extra_selections(self, group: str, selections: list[QTextEdit.ExtraSelection]) -> None:
        """Replace one group of extra selections, keeping the other groups."""
        if selections:
            self._extra[group] = list(selections)
        else:
            self._extra.pop(group, None)
        combined: list[QTextEdit.ExtraSelection] = []
        for items in self._extra.values():
            combined.extend(items)
        self.setExtraSelections(combined)

    # -- counting -------------------------------------------------------------------------------

    def stats(self) -> Stats:
        """Counts of the selection if there is one, else of the whole text (front matter left
        out)."""
        cursor = self.textCursor()
        if cursor.hasSelection():
            return count(cursor.selectedText(), skip_front_matter=False)
        return count(self.toPlainText())

    def _emit_stats(self) -> None:
        self.statsChanged.emit(self.stats())

    # -- inserting ------------------------------------------------------------------------------

    def insert_markdown_at_cursor(self, text: str) -> None:
        """Insert ``text`` at the cursor (replacing any selection) as one undo step."""
        cursor = self.textCursor()
        cursor.beginEditBlock()
        cursor.insertText(text)
        cursor.endEditBlock()
        self.setTextCursor(cursor)
        self.ensureCursorVisible()

    # -- keys -----------------------------------------------------------------------------------

    _FORMAT_KEYS = {Qt.Key.Key_B, Qt.Key.Key_I, Qt.Key.Key_K}

    def _is_format_key(self, event: QKeyEvent) -> bool:
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        return mods == Qt.KeyboardModifier.ControlModifier and event.key() in self._FORMAT_KEYS

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            if self._is_format_key(event):
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        key = event.key()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if self.isReadOnly():
            super().keyPressEvent(event)
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if mods == Qt.KeyboardModifier.NoModifier and self.newline_and_continue():
                return
            if mods == Qt.KeyboardModifier.ShiftModifier:
                # A plain line break, without continuation. (Qt's default would insert U+2028,
                # a line separator inside the paragraph, which Markdown source has no use for.)
                self._insert("\n", self.textCursor())
                return
        elif key == Qt.Key.Key_Tab and mods == Qt.KeyboardModifier.NoModifier:
            self.indent()
            return
        elif key == Qt.Key.Key_Backtab or (
            key == Qt.Key.Key_Tab and mods == Qt.KeyboardModifier.ShiftModifier
        ):
            self.unindent()
            return
        elif self._is_format_key(event):
            if key == Qt.Key.Key_B:
                self.format_bold()
            elif key == Qt.Key.Key_I:
                self.format_italic()
            else:
                self.format_link()
            return
        super().keyPressEvent(event)

    # -- Enter ----------------------------------------------------------------------------------

    def newline_and_continue(self) -> bool:
        """Enter with list and quote continuation. False if plain Enter should run instead."""
        cursor = self.textCursor()
        if cursor.hasSelection():
            return False
        block = cursor.block()
        text = block.text()
        column = cursor.positionInBlock()
        hl = self._highlighter
        if hl.in_code_block(block) or hl.in_front_matter(block):
            indent = _LEADING_WS.match(text).group(0)  # type: ignore[union-attr]
            if not indent or column < len(indent):
                return False
            self._insert("\n" + indent, cursor)
            return True

        quote = ""
        prefix_end = 0
        qm = _QUOTE_PREFIX.match(text)
        if qm:
            quote = qm.group(0)
            prefix_end = qm.end()
        lm = _LIST_ITEM.match(text, prefix_end)
        if lm:
            prefix_end = lm.end()
        if not quote and not lm:
            indent = _LEADING_WS.match(text).group(0)  # type: ignore[union-attr]
            if indent and column >= len(indent) and text.strip():
                self._insert("\n" + indent, cursor)
                return True
            return False
        if column < prefix_end:
            return False  # inside the marker: a plain line break

        if not text[prefix_end:].strip():
            self._end_item(block, quote, lm)
            return True

        if lm:
            indent, bullet, number, delimiter, space, task = lm.groups()
            marker = bullet if bullet else f"{int(number) + 1}{delimiter}"
            continuation = f"{quote}{indent}{marker}{space}{'[ ] ' if task else ''}"
        else:
            continuation = quote
        self._insert("\n" + continuation, cursor)
        return True

    def _end_item(self, block, quote: str, lm: re.Match[str] | None) -> None:
        """Enter on an empty item: a nested item moves out one level, a top-level one ends the
        list (the marker goes); an empty quote line ends the quote."""
        cursor = QTextCursor(block)
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        if lm and lm.group(1):
            indent = lm.group(1)
            outdented = indent[len(INDENT) :] if indent.startswith(INDENT) else ""
            replacement = quote + outdented + lm.group(0)[len(indent) :]
        elif lm:
            replacement = quote  # the list ends; a quote around it goes on
        else:
            replacement = ""
        cursor.beginEditBlock()
        cursor.insertText(replacement)
        cursor.endEditBlock()
        self.setTextCursor(cursor)

    def _insert(self, text: str, cursor: QTextCursor) -> None:
        cursor.beginEditBlock()
        cursor.insertText(text)
        cursor.endEditBlock()
        self.setTextCursor(cursor)
        self.ensureCursorVisible()

    # -- Tab / Shift+Tab ------------------------------------------------------------------------

    def _selected_blocks(self) -> list:
        cursor = self.textCursor()
        doc = self.document()
        start = doc.findBlock(cursor.selectionStart())
        end = doc.findBlock(cursor.selectionEnd())
        if (
            cursor.hasSelection()
            and end.blockNumber() > start.blockNumber()
            and cursor.selectionEnd() == end.position()
        ):
            end = end.previous()  # a selection ending at a line's start leaves that line out
        blocks = [start]
        while blocks[-1] != end and blocks[-1].next().isValid():
            blocks.append(blocks[-1].next())
        return blocks

    def indent(self) -> None:
        """Indent the selected lines or the current list item; otherwise insert four spaces."""
        cursor = self.textCursor()
        block = cursor.block()
        if not cursor.hasSelection():
            qm = _QUOTE_PREFIX.match(block.text())
            at = qm.end() if qm else 0
            if not _LIST_ITEM.match(block.text(), at):
                self._insert(INDENT, cursor)
                return
        edit = QTextCursor(self.document())
        edit.beginEditBlock()
        for b in self._selected_blocks():
            qm = _QUOTE_PREFIX.match(b.text())
            edit.setPosition(b.position() + (qm.end() if qm else 0))
            edit.insertText(INDENT)
        edit.endEditBlock()
        self.ensureCursorVisible()

    def unindent(self) -> None:
        """Remove up to four leading spaces (or one tab) from the selected or current lines."""
        edit = QTextCursor(self.document())
        edit.beginEditBlock()
        for b in self._selected_blocks():
            text = b.text()
            qm = _QUOTE_PREFIX.match(text)
            at = qm.end() if qm else 0
            if text.startswith("\t", at):
                width = 1
            else:
                width = len(text[at:]) - len(text[at:].lstrip(" "))
                width = min(width, len(INDENT))
            if width:
                edit.setPosition(b.position() + at)
                edit.setPosition(b.position() + at + width, QTextCursor.MoveMode.KeepAnchor)
                edit.removeSelectedText()
        edit.endEditBlock()

    # -- Ctrl+B / Ctrl+I / Ctrl+K ---------------------------------------------------------------

    def _trimmed_selection(self) -> QTextCursor:
        """The selection without leading/trailing whitespace (so ``**word **`` never happens)."""
        cursor = self.textCursor()
        if not cursor.hasSelection():
            return cursor
        text = cursor.selectedText()
        lead = _utf16_len(text) - _utf16_len(text.lstrip())
        trail = _utf16_len(text) - _utf16_len(text.rstrip())
        start, end = cursor.selectionStart() + lead, cursor.selectionEnd() - trail
        if end <= start:
            return cursor
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        return cursor

    def _text_around(self, start: int, end: int, width: int) -> tuple[str, str]:
        doc = self.document()
        before = "".join(doc.characterAt(i) for i in range(max(0, start - width), start))
        after = "".join(
            doc.characterAt(i) for i in range(end, min(doc.characterCount() - 1, end + width))
        )
        return before, after

    def _toggle_wrap(self, marker: str) -> None:
        """Wrap the selection in ``marker`` (``**`` or ``*``), or unwrap it if it is wrapped."""
        width = len(marker)
        cursor = self._trimmed_selection()
        cursor.beginEditBlock()
        if not cursor.hasSelection():
            cursor.insertText(marker + marker)
            cursor.setPosition(cursor.position() - width)
            cursor.endEditBlock()
            self.setTextCursor(cursor)
            return
        start, end = cursor.selectionStart(), cursor.selectionEnd()
        text = cursor.selectedText()
        before, after = self._text_around(start, end, 3)
        runs_out = (_star_run(before, reverse=True), _star_run(after))
        runs_in = (_star_run(text), _star_run(text, reverse=True))

        def wrapped(runs: tuple[int, int]) -> bool:
            allowed = (2, 3) if width == 2 else (1, 3)
            return runs[0] in allowed and runs[1] in allowed

        if wrapped(runs_out):
            cursor.setPosition(end)
            cursor.setPosition(end + width, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
            cursor.setPosition(start - width)
            cursor.setPosition(start, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
            new_start, new_end = start - width, end - width
        elif wrapped(runs_in) and len(text) > 2 * width:
            inner = text[width:-width]
            cursor.insertText(inner)
            new_start, new_end = start, start + _utf16_len(inner)
        else:
            cursor.insertText(marker + text + marker)
            new_start, new_end = start + width, start + width + _utf16_len(text)
        cursor.setPosition(new_start)
        cursor.setPosition(new_end, QTextCursor.MoveMode.KeepAnchor)
        cursor.endEditBlock()
        self.setTextCursor(cursor)

    def format_bold(self) -> None:
        self._toggle_wrap("**")

    def format_italic(self) -> None:
        self._toggle_wrap("*")

    def format_link(self) -> None:
        """``[selection](url)`` with ``url`` selected; a selected URL becomes the target with
        ``text`` selected; with no selection ``[](url)`` and the cursor between the brackets."""
        cursor = self._trimmed_selection()
        cursor.beginEditBlock()
        if not cursor.hasSelection():
            cursor.insertText("[](url)")
            cursor.setPosition(cursor.position() - len("](url)"))
        else:
            start = cursor.selectionStart()
            text = cursor.selectedText()
            if _URL_LIKE.match(text) and "\u2029" not in text:
                cursor.insertText(f"[text]({text})")
                cursor.setPosition(start + 1)
                cursor.setPosition(start + 5, QTextCursor.MoveMode.KeepAnchor)
            else:
                cursor.insertText(f"[{text}](url)")
                url_at = start + 1 + _utf16_len(text) + 2
                cursor.setPosition(url_at)
                cursor.setPosition(url_at + 3, QTextCursor.MoveMode.KeepAnchor)
        cursor.endEditBlock()
        self.setTextCursor(cursor)

    # -- images: paste and drop -----------------------------------------------------------------

    @staticmethod
    def image_files(source: QMimeData) -> list[str]:
        """Local image files among the URLs of ``source``."""
        if not source.hasUrls():
            return []
        paths = [url.toLocalFile() for url in source.urls() if url.isLocalFile()]
        return [p for p in paths if Path(p).suffix.lower() in IMAGE_SUFFIXES]

    @staticmethod
    def image_data(source: QMimeData) -> tuple[bytes, str] | None:
        """The image in ``source`` as bytes and MIME type: its own encoding when offered as
        image/png, image/jpeg, ..., else re-encoded as PNG. None if there is none."""
        for mime in IMAGE_MIME_TYPES:
            if source.hasFormat(mime):
                data = bytes(source.data(mime).data())
                if data:
                    return data, mime
        if not source.hasImage():
            return None
        image = source.imageData()
        if isinstance(image, QPixmap):
            image = image.toImage()
        if not isinstance(image, QImage) or image.isNull():
            return None
        buffer = QByteArray()
        device = QBuffer(buffer)
        device.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(device, "PNG")
        device.close()
        return bytes(buffer.data()), "image/png"

    @staticmethod
    def _prefers_text(source: QMimeData) -> bool:
        # Office suites put a picture of the copied text beside the text itself: keep the text.
        return source.hasText() and bool(source.text().strip()) and not source.hasUrls()

    def canInsertFromMimeData(self, source: QMimeData) -> bool:  # noqa: N802 (Qt's name)
        if self.image_files(source):
            return True
        if source.hasImage() or any(source.hasFormat(m) for m in IMAGE_MIME_TYPES):
            return True
        return super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:  # noqa: N802 (Qt's name)
        files = self.image_files(source)
        if files:
            self.imageFilesDropped.emit(files)
            return
        if not self._prefers_text(source):
            found = self.image_data(source)
            if found is not None:
                self.imageDataPasted.emit(*found)
                return
        super().insertFromMimeData(source)

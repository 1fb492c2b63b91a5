"""Markdown syntax highlighting that keeps up with typing in a 50,000-word post.

Why not ``QSyntaxHighlighter``: after an edit it re-highlights, synchronously, every following
block whose state changes. Opening a code fence near the top of a long post changes the state of
every block below it, so one keystroke re-highlights the whole post before anything is painted
(measured here: 34 ms for 1,600 blocks with a trivial two-rule highlighter written in Python;
this module needs about 160 ms, on a quiet machine, for the 6,700 lines of a 50,000-word
post). Its ``rehighlight()`` and ``rehighlightBlock()`` also run inside
an edit block, so each call emits ``contentsChanged`` (the editor's ``textChanged``): continuing the
work later through them would make the preview re-render for nothing.

So this highlighter is a ``QObject`` that does the same job by hand, the way qutepart's
``SyntaxHighlighter`` does (andreikop/qutepart, ``syntaxhlighter.py``): it listens to
``QTextDocument.contentsChange``, stores each block's state with ``QTextBlock.setUserState`` and
its formats with ``QTextLayout.setFormats`` followed by ``QTextDocument.markContentsDirty``. None of
these touch the undo stack, the modified flag or ``contentsChanged``. What it adds:

- After an edit, only the changed blocks and, while states keep changing, the blocks in the
  view's visible range (plus a margin) are highlighted at once. The first block past that range
  whose state would have to change is recorded as dirty, and the rest is highlighted in idle
  time: a zero-interval timer runs slices of ``SLICE_SECONDS`` (3 ms) until the states converge.
  After each edit the next slice waits ``RESUME_AFTER_EDIT_MS``, so the edit is painted first.
- The dirty range is held by two ``QTextCursor`` objects, so it follows later edits.
- A block whose new formats equal its current ones is left alone (no relayout, no repaint), so
  typing in a paragraph repaints that paragraph only. A block re-highlighted off screen does not
  make the view repaint either (see ``_apply``).

Invariant: outside the dirty range, every block's state and formats are what highlighting it
after its predecessor's stored state gives. Both passes keep it, so the idle pass can stop as
soon as it is past the dirty range and a block's state comes out unchanged.

The Markdown reading is line-based (``scan_line``) and Qt-free: ATX and setext headings,
emphasis and strong emphasis, code spans, fenced code (``` and ~~~ with an info string),
links, images, autolinks, reference definitions, lists with task boxes, block quotes, tables'
pipes, thematic breaks, YAML front matter and HTML comments. Not recognised: indented code blocks
(ambiguous with list continuations) and fences nested in lists or quotes.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from time import perf_counter

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QTextBlock,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextLayout,
)

from .palette import EditorPalette, palette_for

# ---------------------------------------------------------------------------------------------
# Block states: the Markdown context at the END of a line, stored in QTextBlock.userState().

UNKNOWN = -1  # never highlighted
NORMAL = 0
FRONT_MATTER = 1
COMMENT = 2  # inside an HTML comment that continues on the next line
FENCE = 0x100  # inside fenced code: FENCE | TILDE (for ~~~) | the fence's length (3..127)
TILDE = 0x80


def fence_state(char: str, length: int) -> int:
    return FENCE | (TILDE if char == "~" else 0) | min(length, 0x7F)


def is_fence_state(state: int) -> bool:
    return state > 0 and bool(state & FENCE)


# ---------------------------------------------------------------------------------------------
# Span kinds: keys of the format table.

HEADING = "heading"
MARKER = "marker"
EMPHASIS = "emphasis"
STRONG = "strong"
CODE = "code"
CODE_BLOCK = "code_block"
FENCE_MARKER = "fence_marker"
FENCE_INFO = "fence_info"
LINK = "link"
URL = "url"
IMAGE = "image"
LIST_MARKER = "list_marker"
TASK = "task"
QUOTE = "quote"
FRONT_MATTER_TEXT = "front_matter"
FRONT_MATTER_KEY = "front_matter_key"
COMMENT_TEXT = "comment"
HTML = "html"

# Later ranges merge over earlier ones (QTextEngine merges overlapping formats in list order),
# so spans are ordered: whole-line formats, then emphasis, then inline elements, then punctuation.
_LAYER = {
    HEADING: 0,
    QUOTE: 0,
    CODE_BLOCK: 0,
    FRONT_MATTER_TEXT: 0,
    STRONG: 1,
    EMPHASIS: 1,
    LINK: 2,
    URL: 2,
    IMAGE: 2,
    CODE: 2,
    HTML: 2,
    COMMENT_TEXT: 2,
    FRONT_MATTER_KEY: 2,
    FENCE_INFO: 2,
    LIST_MARKER: 3,
    TASK: 3,
    MARKER: 3,
    FENCE_MARKER: 3,
}


def _layer(span: tuple[int, int, str]) -> int:
    return _LAYER[span[2]]


Span = tuple[int, int, str]  # (start, length, kind), in Python string indices

# ---------------------------------------------------------------------------------------------
# Regular expressions. Block-level ones are used with .match(text, pos): no "^" (which would
# not match at pos > 0).

_FM_OPEN = re.compile(r"---[ \t]*$")
_FM_CLOSE = re.compile(r"(?:---|\.\.\.)[ \t]*$")
_YAML_KEY = re.compile(r"[ \t]*(?:-[ \t]+)?([^\s:#][^:#]*?):(?=[ \t]|$)")
_FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*([^`\s]*)(.*)$")
_FENCE_CLOSE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*$")
_ATX = re.compile(r" {0,3}(#{1,6})(?=[ \t]|$)")
_ATX_CLOSE = re.compile(r"[ \t]+(#+)[ \t]*$")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*$")
_HR = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_QUOTE = re.compile(r"(?: {0,3}>[ \t]?)+")
_LIST = re.compile(r"([ \t]*)([-*+]|\d{1,9}[.)])(?=[ \t]|$)[ \t]*(\[[ xX]\](?=[ \t]|$))?")
_TABLE_DELIMITER = re.compile(r"[ \t]*\|?(?:[ \t]*:?-+:?[ \t]*\|)+(?:[ \t]*:?-+:?[ \t]*)?$")
_LINK_DEF = re.compile(r" {0,3}(\[[^\]]+\]:)[ \t]*(\S+)")
# A line that cannot be (the last line of) a setext heading's text.
_NOT_PARAGRAPH = re.compile(
    r"[ \t]*$| {4}|\t| {0,3}(?:#{1,6}(?:[ \t]|$)|>|`{3}|~{3}|[-*+](?:[ \t]|$)"
    r"|\d{1,9}[.)](?:[ \t]|$)|\||=+[ \t]*$|-+[ \t]*$|[-*_](?:[ \t]*[-*_]){2,}[ \t]*$)"
)

_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_HTML_COMMENT = re.compile(r"<!--(?:.*?(-->)|.*$)")
_AUTOLINK = re.compile(r"<(?:[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*|[^\s<>@]+@[^\s<>@]+\.[^\s<>]+)>")
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_LINK = re.compile(
    r"(!?)\[((?:[^\[\]\\]|\\.|\[[^\[\]]*\])*)\]"
    r"(?:\(([^()\s]*(?:\([^()\s]*\)[^()\s]*)*(?:[ \t]+(?:\"[^\"]*\"|'[^']*'))?)\)|\[([^\]]*)\])"
)
_STRONG_EMPHASIS = re.compile(r"(?<![\\*])\*\*\*(?=[^\s*])(.+?)(?<=[^\s\\*])\*\*\*(?!\*)")
_STRONG = re.compile(
    r"(?<![\\*])\*\*(?=[^\s*])(.+?)(?<=[^\s\\*])\*\*(?!\*)"
    r"|(?<![\w\\])__(?=[^\s_])(.+?)(?<=[^\s\\_])__(?!\w)"
)
_EMPHASIS = re.compile(
    r"(?<![\\*])\*(?=[^\s*])(.+?)(?<=[^\s\\*])\*(?!\*)"
    r"|(?<![\w\\])_(?=[^\s_])(.+?)(?<=[^\s\\_])_(?!\w)"
)
_ESCAPE = re.compile(r"\\[\\`*_{}\[\]()#+\-.!<>|~]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")

# Inline elements are not looked for in longer lines: the emphasis expressions are lazy, and a
# pathological line of many unmatched delimiters would cost quadratic time.
MAX_INLINE = 4000


def _overlaps(start: int, end: int, ranges: list[tuple[int, int]]) -> bool:
    for a, b in ranges:
        if start < b and a < end:
            return True
    return False


def is_paragraph_line(text: str) -> bool:
    """Whether ``text`` can be the text line of a setext heading (plain paragraph text)."""
    return _NOT_PARAGRAPH.match(text) is None


def _inline(text: str, start: int, spans: list[Span]) -> int:
    """Inline elements of ``text[start:]``; returns COMMENT if an HTML comment stays open."""
    state = NORMAL
    if len(text) - start > MAX_INLINE:
        return state
    protected: list[tuple[int, int]] = []  # code, URLs, HTML: no emphasis inside
    if "`" in text:
        for m in _CODE_SPAN.finditer(text, start):
            s, e = m.span()
            ticks = len(m.group(1))
            spans.append((s, e - s, CODE))
            spans.append((s, ticks, MARKER))
            spans.append((e - ticks, ticks, MARKER))
            protected.append((s, e))
    if "<" in text:
        for m in _HTML_COMMENT.finditer(text, start):
            s, e = m.span()
            if _overlaps(s, e, protected):
                continue
            spans.append((s, e - s, COMMENT_TEXT))
            protected.append((s, e))
            if m.group(1) is None:
                state = COMMENT
        for m in _AUTOLINK.finditer(text, start):
            s, e = m.span()
            if not _overlaps(s, e, protected):
                spans.append((s, e - s, URL))
                protected.append((s, e))
        for m in _HTML_TAG.finditer(text, start):
            s, e = m.span()
            if not _overlaps(s, e, protected):
                spans.append((s, e - s, HTML))
                protected.append((s, e))
    if "[" in text:
        for m in _LINK.finditer(text, start):
            s, e = m.span()
            if _overlaps(s, e, protected):
                continue
            bang = len(m.group(1))
            label_end = m.end(2)
            if bang:
                spans.append((s, label_end + 1 - s, IMAGE))
            else:
                spans.append((s, 1, MARKER))
                spans.append((s + 1, label_end - s - 1, LINK))
                spans.append((label_end, 1, MARKER))
            target = 3 if m.group(3) is not None else 4
            ts, te = m.start(target) - 1, m.end(target) + 1  # with the brackets
            spans.append((ts, te - ts, URL))
            protected.append((ts, te))
    if "*" in text or "_" in text:
        for pattern, kinds in (
            (_STRONG_EMPHASIS, (STRONG, EMPHASIS)),
            (_STRONG, (STRONG,)),
            (_EMPHASIS, (EMPHASIS,)),
        ):
            for m in pattern.finditer(text, start):
                s, e = m.span()
                if _overlaps(s, e, protected):
                    continue
                content = m.start(m.lastindex or 1)
                width = content - s
                for kind in kinds:
                    spans.append((s, e - s, kind))
                spans.append((s, width, MARKER))
                spans.append((e - width, width, MARKER))
    if "\\" in text:
        for m in _ESCAPE.finditer(text, start):
            if not _overlaps(m.start(), m.end(), protected):
                spans.append((m.start(), 1, MARKER))
    return state


def scan_line(
    text: str,
    prev_state: int,
    first: bool = False,
    prev_text: Callable[[], str] | None = None,
    next_text: Callable[[], str] | None = None,
) -> tuple[list[Span], int]:
    """Spans and end state of one line, given the state at the end of the previous line.

    ``prev_text``/``next_text`` give the neighbouring lines; they are called only when needed
    (setext headings depend on them). Spans are ``(start, length, kind)`` in string indices,
    ordered so that later ones may merge over earlier ones.
    """
    spans: list[Span] = []
    n = len(text)
    if prev_state < 0:
        prev_state = NORMAL

    if prev_state == FRONT_MATTER:
        if _FM_CLOSE.match(text):
            spans.append((0, n, MARKER))
            return spans, NORMAL
        if n:
            spans.append((0, n, FRONT_MATTER_TEXT))
            m = _YAML_KEY.match(text)
            if m:
                spans.append((m.start(1), m.end(1) - m.start(1), FRONT_MATTER_KEY))
        return spans, FRONT_MATTER

    if is_fence_state(prev_state):
        m = _FENCE_CLOSE.match(text)
        if m:
            fence = m.group(1)
            if (fence[0] == "~") == bool(prev_state & TILDE) and len(fence) >= prev_state & 0x7F:
                spans.append((0, n, CODE_BLOCK))
                spans.append((m.start(1), len(fence), FENCE_MARKER))
                return spans, NORMAL
        if n:
            spans.append((0, n, CODE_BLOCK))
        return spans, prev_state

    start = 0
    if prev_state == COMMENT:
        end = text.find("-->")
        if end < 0:
            if n:
                spans.append((0, n, COMMENT_TEXT))
            return spans, COMMENT
        start = end + 3
        spans.append((0, start, COMMENT_TEXT))
        state = _inline(text, start, spans)
        if len(spans) > 1:
            spans.sort(key=_layer)
        return spans, state

    stripped = text.lstrip(" \t")
    if not stripped:
        return spans, NORMAL
    c = stripped[0]
    paragraph = False

    if first and c == "-" and _FM_OPEN.match(text):
        spans.append((0, n, MARKER))
        return spans, FRONT_MATTER
    if c == "#":
        m = _ATX.match(text)
        if m:
            spans.append((0, n, HEADING))
            spans.append((m.start(1), m.end(1) - m.start(1), MARKER))
            closing = _ATX_CLOSE.search(text, m.end(1))
            if closing:
                spans.append((closing.start(1), closing.end(1) - closing.start(1), MARKER))
            start = m.end(1)
        else:
            paragraph = True
    elif c == "`" or c == "~":
        m = _FENCE_OPEN.match(text)
        if m and not (c == "`" and "`" in m.group(3)):
            fence = m.group(1)
            spans.append((0, n, CODE_BLOCK))
            spans.append((m.start(1), len(fence), FENCE_MARKER))
            if m.group(2):
                spans.append((m.start(2), n - m.start(2), FENCE_INFO))
            return spans, fence_state(fence[0], len(fence))
        paragraph = True
    elif c == "=" or c == "-" or c == "*" or c == "_" or c == "+" or "0" <= c <= "9":
        if (c == "=" or c == "-") and _SETEXT.match(text):
            if prev_text is not None and is_paragraph_line(prev_text()):
                spans.append((0, n, HEADING))
                spans.append((0, n, MARKER))
                return spans, NORMAL
            if c == "=":
                paragraph = True
        if not spans and not paragraph:
            if c != "=" and c != "+" and _HR.match(text):
                spans.append((0, n, MARKER))
                return spans, NORMAL
            m = _LIST.match(text)
            if m:
                spans.append((m.start(2), m.end(2) - m.start(2), LIST_MARKER))
                if m.group(3):
                    spans.append((m.start(3), 3, TASK))
                start = m.end()
            else:
                paragraph = True
    elif c == ">":
        m = _QUOTE.match(text)
        if m:
            spans.append((0, n, QUOTE))
            for i in range(m.start(), m.end()):
                if text[i] == ">":
                    spans.append((i, 1, MARKER))
            start = m.end()
            lm = _LIST.match(text, start)
            if lm:
                spans.append((lm.start(2), lm.end(2) - lm.start(2), LIST_MARKER))
                if lm.group(3):
                    spans.append((lm.start(3), 3, TASK))
                start = lm.end()
    elif c == "|":
        for i, ch in enumerate(text):
            if ch == "|":
                spans.append((i, 1, MARKER))
        if _TABLE_DELIMITER.match(text):
            spans.append((0, n, MARKER))
            return spans, NORMAL
    elif c == "[":
        m = _LINK_DEF.match(text)
        if m:
            spans.append((m.start(1), m.end(1) - m.start(1), LINK))
            spans.append((m.start(2), m.end(2) - m.start(2), URL))
            return spans, NORMAL
        paragraph = True
    elif len(text) - len(stripped) < 4:
        paragraph = True

    if paragraph and next_text is not None:
        following = next_text()
        if following and _SETEXT.match(following) and is_paragraph_line(text):
            spans.append((0, n, HEADING))

    state = _inline(text, start, spans)
    if len(spans) > 1:
        spans.sort(key=_layer)
    return spans, state


# ---------------------------------------------------------------------------------------------
# Formats


def formats_for(palette: EditorPalette) -> dict[str, QTextCharFormat]:
    """One ``QTextCharFormat`` per span kind, built once per palette.

    No format changes the font family or size: a line whose height changes makes Qt relayout
    and repaint the whole view (and a fixed-pitch font's line height differs from a proportional
    one's), so code is told apart by colour and background, headings by weight and colour.
    """

    def fmt(
        colour: str | None = None,
        background: str | None = None,
        bold: bool = False,
        italic: bool = False,
        underline: bool = False,
    ) -> QTextCharFormat:
        f = QTextCharFormat()
        if colour:
            f.setForeground(QColor(colour))
        if background:
            f.setBackground(QColor(background))
        if bold:
            f.setFontWeight(QFont.Weight.Bold)
        if italic:
            f.setFontItalic(True)
        if underline:
            f.setFontUnderline(True)
        return f

    p = palette
    return {
        HEADING: fmt(p.heading, bold=True),
        MARKER: fmt(p.marker),
        EMPHASIS: fmt(italic=True),
        STRONG: fmt(bold=True),
        CODE: fmt(p.code, p.code_background),
        CODE_BLOCK: fmt(p.code),
        FENCE_MARKER: fmt(p.marker),
        FENCE_INFO: fmt(p.fence_info),
        LINK: fmt(p.link, underline=True),
        URL: fmt(p.url),
        IMAGE: fmt(p.image),
        LIST_MARKER: fmt(p.list_marker, bold=True),
        TASK: fmt(p.list_marker),
        QUOTE: fmt(p.quote, italic=True),
        FRONT_MATTER_TEXT: fmt(p.front_matter),
        FRONT_MATTER_KEY: fmt(p.front_matter_key),
        COMMENT_TEXT: fmt(p.comment, italic=True),
        HTML: fmt(p.html),
    }


# ---------------------------------------------------------------------------------------------


def _utf16_offsets(text: str) -> Callable[[int], int] | None:
    """A map from string index to QTextLayout position (UTF-16), or None if they agree."""
    if text.isascii():
        return None
    astral = [m.start() for m in _ASTRAL.finditer(text)]
    if not astral:
        return None
    return lambda i: i + bisect_left(astral, i)


VisibleRange = Callable[[], tuple[int, int]]


class MarkdownHighlighter(QObject):
    """Highlights a QTextDocument's Markdown; see the module docstring for how and why."""

    # The idle pass has caught up: every block is highlighted for the current text.
    caughtUp = Signal()

    SLICE_SECONDS = 0.003  # one idle slice; a keystroke waits at most this long for it
    # After an edit, the idle pass waits this long before its next slice, so that the edit's
    # repaint comes first and keys typed in a row are not held up by slices in between.
    RESUME_AFTER_EDIT_MS = 20
    SMALL_EDIT_BLOCKS = 8  # an edit this small is highlighted at once, visible or not
    DEFAULT_WINDOW = 100  # blocks highlighted at once after an edit when no view tells its range

    def __init__(
        self,
        document: QTextDocument | None = None,
        *,
        dark: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._doc: QTextDocument | None = None
        self._palette = palette_for(dark)
        self._formats = formats_for(self._palette)
        self._visible_range: VisibleRange | None = None
        self._enabled = True
        self._dirty_from: QTextCursor | None = None
        self._dirty_to: QTextCursor | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._continue)
        if document is not None:
            self.setDocument(document)

    # -- public API -----------------------------------------------------------------------------

    def document(self) -> QTextDocument | None:
        return self._doc

    def setDocument(self, document: QTextDocument | None) -> None:
        if self._doc is document:
            return
        if self._doc is not None:
            self._detach(clear=True)
        self._doc = document
        if document is not None:
            document.contentsChange.connect(self._on_contents_change)
            if self._enabled:
                self.rehighlight()

    def set_visible_range(self, provider: VisibleRange | None) -> None:
        """``provider()`` gives the first and last block numbers worth highlighting at once
        (the view's visible blocks plus a margin). Without one, ``DEFAULT_WINDOW`` blocks
        from the edit are."""
        self._visible_range = provider

    def palette(self) -> EditorPalette:
        return self._palette

    def set_palette(self, palette: EditorPalette) -> None:
        if palette == self._palette:
            return
        self._palette = palette
        self._formats = formats_for(palette)
        self.rehighlight()

    def set_dark(self, dark: bool) -> None:
        self.set_palette(palette_for(dark))

    def is_dark(self) -> bool:
        return self._palette.dark

    def format_for(self, kind: str) -> QTextCharFormat:
        return QTextCharFormat(self._formats[kind])

    def is_enabled(self) -> bool:
        return self._enabled

    def set_enabled(self, enabled: bool) -> None:
        """Turn highlighting off (formats cleared) or on again (everything re-highlighted)."""
        if enabled == self._enabled:
            return
        self._enabled = enabled
        if self._doc is None:
            return
        if enabled:
            self.rehighlight()
        else:
            self._timer.stop()
            self._dirty_from = self._dirty_to = None
            self._clear_formats()

    def is_pending(self) -> bool:
        """Whether part of the document still waits for the idle pass."""
        return self._dirty_from is not None

    def rehighlight(self) -> None:
        """Highlight the whole document again: the visible blocks now, the rest in idle time."""
        doc = self._doc
        if doc is None or not self._enabled:
            return
        if self._dirty_from is None:
            # States are valid, so the visible blocks can be redone with the new formats first.
            lo, hi = self._window(0)
            block = doc.findBlockByNumber(max(0, lo))
            while block.isValid() and block.blockNumber() <= hi:
                self._highlight_block(block)
                block = block.next()
        self._mark_dirty(0, doc.lastBlock().position())

    def flush(self) -> None:
        """Finish the idle work now (tests, export)."""
        self._run(None)

    def block_state(self, block: QTextBlock) -> int:
        """The state at the end of ``block`` (see the state constants)."""
        return block.userState()

    def in_code_block(self, block: QTextBlock) -> bool:
        """Whether ``block`` opens or continues fenced code (its closing line does not)."""
        return is_fence_state(block.userState())

    def in_front_matter(self, block: QTextBlock) -> bool:
        return block.userState() == FRONT_MATTER

    # -- incremental work ---------------------------------------------------------------------

    def _window(self, first: int) -> tuple[int, int]:
        if self._visible_range is None:
            return first, first + self.DEFAULT_WINDOW
        return self._visible_range()

    def _on_contents_change(self, position: int, removed: int, added: int) -> None:
        doc = self._doc
        if doc is None or not self._enabled:
            return
        try:
            self._highlight_change(doc, position, removed, added)
        finally:
            if self._dirty_from is not None:
                self._timer.start(self.RESUME_AFTER_EDIT_MS)

    def _highlight_change(
        self, doc: QTextDocument, position: int, removed: int, added: int
    ) -> None:
        first = doc.findBlock(position)
        if not first.isValid():
            first = doc.lastBlock()
        last = doc.findBlock(position + added + (1 if removed else 0))
        if not last.isValid():
            last = doc.lastBlock()
        # A setext underline changes the line above it, and a line changes the meaning of an
        # underline below it: take one neighbour on each side.
        if first.previous().isValid():
            first = first.previous()
        if last.next().isValid():
            last = last.next()
        first_n = first.blockNumber()
        last_n = last.blockNumber()
        if position == 0 and added >= doc.characterCount() - 1:
            lo, hi = self._window(0)  # a new text: the view will show its top
            hi -= lo
            lo = 0
        else:
            lo, hi = self._window(first_n)
        small = last_n - first_n < self.SMALL_EDIT_BLOCKS

        block = first
        n = first_n
        changed = False
        while block.isValid():
            inside = n <= last_n
            if not inside and not changed:
                return
            if (inside and small) or lo <= n <= hi:
                changed = self._highlight_block(block)
            else:
                until = last if inside else block
                self._mark_dirty(block.position(), until.position())
                return
            block = block.next()
            n += 1

    def _mark_dirty(self, start: int, until: int) -> None:
        doc = self._doc
        assert doc is not None
        end = max(0, doc.characterCount() - 1)
        start, until = min(start, end), min(until, end)
        if self._dirty_from is None or self._dirty_to is None:
            self._dirty_from = QTextCursor(doc)
            self._dirty_from.setKeepPositionOnInsert(True)
            self._dirty_from.setPosition(start)
            self._dirty_to = QTextCursor(doc)
            self._dirty_to.setPosition(until)
        else:
            if start < self._dirty_from.position():
                self._dirty_from.setPosition(start)
            if until > self._dirty_to.position():
                self._dirty_to.setPosition(until)
        if not self._timer.isActive():
            self._timer.start(0)

    def _continue(self) -> None:
        self._run(self.SLICE_SECONDS)

    def _run(self, budget: float | None) -> None:
        """Highlight from the dirty range on, for ``budget`` seconds (None: until done)."""
        doc = self._doc
        if doc is None or self._dirty_from is None or self._dirty_to is None:
            return
        if not shiboken6.isValid(doc):  # deleted by its owner (an editor, say)
            self._doc = self._dirty_from = self._dirty_to = None
            return
        deadline = perf_counter() + budget if budget is not None else None
        block = doc.findBlock(self._dirty_from.position())
        until = max(self._dirty_to.position(), block.position())
        lo, hi = self._window(0) if self._visible_range is not None else (0, -1)
        n = block.blockNumber()
        changed = True
        while block.isValid():
            if not changed and block.position() > until:
                break
            changed = self._highlight_block(block, quiet=not lo <= n <= hi)
            block = block.next()
            n += 1
            if deadline is not None and perf_counter() >= deadline:
                if block.isValid() and (changed or block.position() <= until):
                    self._dirty_from.setPosition(block.position())
                    if block.position() > until:
                        self._dirty_to.setPosition(block.position())
                    self._timer.start(0)
                    return
                break
        self._dirty_from = self._dirty_to = None
        self._timer.stop()
        self.caughtUp.emit()

    def _highlight_block(self, block: QTextBlock, quiet: bool = False) -> bool:
        """Highlight one block; True if its end state changed. ``quiet``: the block is off
        screen, so the view need not repaint for it."""
        prev = block.previous()
        if prev.isValid():
            prev_state = prev.userState()
            prev_text: Callable[[], str] | None = prev.text
        else:
            prev_state = UNKNOWN
            prev_text = None
        nxt = block.next()
        text = block.text()
        spans, state = scan_line(
            text, prev_state, not prev.isValid(), prev_text, nxt.text if nxt.isValid() else None
        )
        self._apply(block, text, spans, quiet)
        if state != block.userState():
            block.setUserState(state)
            return True
        return False

    def _apply(self, block: QTextBlock, text: str, spans: list[Span], quiet: bool) -> None:
        layout = block.layout()
        old = layout.formats()
        if not spans and not old:
            return
        formats = self._formats
        new = []
        if spans:
            to16 = _utf16_offsets(text)
            preedit = layout.preeditAreaText()
            pre_at = layout.preeditAreaPosition() if preedit else -1
            pre_len = len(preedit) + len(_ASTRAL.findall(preedit)) if preedit else 0
            for start, length, kind in spans:
                if length <= 0:
                    continue
                r = QTextLayout.FormatRange()
                if to16 is not None:
                    end = to16(start + length)
                    start = to16(start)
                    length = end - start
                if pre_len:
                    if start >= pre_at:
                        start += pre_len
                    elif start + length >= pre_at:
                        length += pre_len
                r.start = start
                r.length = length
                r.format = formats[kind]
                new.append(r)
            if pre_len:
                new.extend(
                    r for r in old if r.start >= pre_at and r.start + r.length <= pre_at + pre_len
                )
        if len(old) == len(new) and all(
            a.start == b.start and a.length == b.length and a.format == b.format
            for a, b in zip(old, new)
        ):
            return
        layout.setFormats(new)
        assert self._doc is not None
        # setFormats has recorded the block as changed; this hands that to the layout now (inside
        # contentsChange the layout takes it after the signal anyway). Like QSyntaxHighlighter's,
        # such a change spans two blocks as far as QPlainTextDocumentLayout can tell (length
        # removed plus length added), so it clears their layouts (laid out again lazily, when
        # shown) and asks for a repaint of the whole view. For a block off screen that repaint
        # shows nothing new: with its signals blocked, the layout does the rest without it.
        # (No format changes the font, so the block's line count does not change either.)
        if quiet:
            layout_object = self._doc.documentLayout()
            was_blocked = layout_object.blockSignals(True)
            self._doc.markContentsDirty(block.position(), block.length())
            layout_object.blockSignals(was_blocked)
        else:
            self._doc.markContentsDirty(block.position(), block.length())

    # -- detaching ------------------------------------------------------------------------------

    def _clear_formats(self) -> None:
        doc = self._doc
        if doc is None:
            return
        block = doc.firstBlock()
        while block.isValid():
            layout = block.layout()
            if layout.formats():
                layout.setFormats([])
                doc.markContentsDirty(block.position(), block.length())
            block.setUserState(UNKNOWN)
            block = block.next()

    def _detach(self, clear: bool) -> None:
        doc = self._doc
        self._timer.stop()
        self._dirty_from = self._dirty_to = None
        if doc is None:
            return
        try:
            doc.contentsChange.disconnect(self._on_contents_change)
        except (RuntimeError, TypeError):
            pass
        if clear and shiboken6.isValid(doc):
            self._clear_formats()
        self._doc = None

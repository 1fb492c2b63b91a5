"""Source-line attributes for scroll sync: a Python-Markdown extension.

``PosMapExtension`` puts ``data-source-line="N"`` on every top-level block element of the output:
paragraphs, headings, lists, block quotes, code blocks, tables, rules, definition lists and
``markdown="1"`` HTML blocks; and on list items, at any depth. For a block that Python-Markdown
stashes as raw HTML (fenced and indented code, which codehilite turns into
``<div class="codehilite">``, and raw HTML blocks that start with a tag) the attribute goes into
that HTML's first start tag.

N is **1-based**: the number of the source line on which the block starts, as an editor shows it
(plus the ``offset`` option). Lines are counted in the text given to ``convert``, where ``\\n``,
``\\r\\n`` and a lone ``\\r`` each end a line (Python-Markdown itself treats a lone ``\\r`` as a
line break). Table rows, definitions and blocks nested in quotes or list items get none.

How the lines are found, since Python-Markdown keeps no positions:

1. Preprocessors change the line structure: a fenced block becomes three lines (a blank line, a
   placeholder, a blank line) and a raw HTML block becomes a placeholder surrounded by blank lines.
   The extension maps lines back through both: for fences from the placeholder positions and the
   closing fence of each block; for HTML by running the same HTML extractor class with a recorder
   that notes, for every piece of text it emits, the source position it came from.
2. The block parser is watched at the top level: every block it takes has a known offset in the
   preprocessed text (blocks are pieces of that text), and every top-level element it creates
   is tied to the block it was created from. A new list item is found by its first line, after
   the list marker, in the top-level block being parsed.

Without posmap, Python-Markdown gives the same HTML minus the attributes (a test checks this).
"""

from __future__ import annotations

import bisect
import re
import xml.etree.ElementTree as etree
from functools import partial
from typing import Any

from markdown import Markdown
from markdown.extensions import Extension
from markdown.extensions.md_in_html import HtmlBlockPreprocessor as MdInHtmlBlockPreprocessor
from markdown.extensions.md_in_html import HTMLExtractorExtra
from markdown.htmlparser import HTMLExtractor
from markdown.preprocessors import HtmlBlockPreprocessor, Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import HTML_PLACEHOLDER_RE, STX

ATTR = "data-source-line"

_FENCE_OPEN = re.compile(r"`{3,}|~{3,}")
_START_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9:-]*)(?=[\s/>])")
# What may come before a list item's text on its line: quote markers, indentation, the marker.
_ITEM_PREFIX = re.compile(r"[ >]*(?:[*+-]|[0-9]+\.)[ ]+")


class _State:
    """What one ``convert`` learns about positions; reset at the start of every conversion."""

    def __init__(self) -> None:
        self.active = False
        self.n_lines: list[str] = []  # the normalized source lines
        self.stash_mark = 0  # stash size before the fenced-code preprocessor ran
        self.p1_to_n: list[int] | None = None  # after fences -> normalized source
        self.p1_len = 0
        self.p2_to_p1: list[int] | None = None  # after raw HTML -> after fences
        self.p2_len = 0
        self.final_len = 0
        self.text: str | None = None  # the preprocessed document, as the block parser saw it
        self.el_pos: dict[etree.Element, int] = {}  # top-level element -> offset in text
        self.li_pos: dict[etree.Element, int] = {}  # list item -> offset of its first line
        self.li_cursor = (-1, 0)  # (offset of the top-level block, where to look for items)
        self.frames: list[_Frame] = []


class _Frame:
    """One top-level ``parseBlocks`` call: where each of its blocks starts in the text."""

    def __init__(self, blocks: list[str], positions: list[int]) -> None:
        self.orig = list(blocks)
        self.orig_pos = positions
        # Blocks a processor put back, keyed by their distance from the end of the list (the tail
        # of the list never changes while the front is worked on): (block object, offset).
        self.derived: dict[int, tuple[str, int]] = {}
        self.nested_end: int | None = None  # end of text parsed by nested calls for this block
        self.current: tuple[str, int] | None = None  # the block being processed, its offset

    def position(self, blocks: list[str], index: int) -> int | None:
        block = blocks[index]
        from_end = len(blocks) - index
        hit = self.derived.get(from_end)
        if hit is not None and hit[0] is block:
            return hit[1]
        i = len(self.orig) - from_end
        if 0 <= i < len(self.orig) and self.orig[i] is block:
            return self.orig_pos[i]
        return None


def _derive(
    text: str, parent_block: str, parent_pos: int, pieces: list[str], prefer_prefix: bool = False
) -> list[int]:
    """Offsets of pieces a processor cut from ``parent_block`` (prefixes, suffixes), in order.

    A piece that is both a prefix and a suffix of the block is taken as the prefix if it is the
    first of several or ``prefer_prefix`` (text parsed before a heading), else as the suffix
    (the rest of a block put back).
    """
    out = []
    cursor = parent_pos
    end = parent_pos + len(parent_block)
    for n, piece in enumerate(pieces):
        if not piece:
            out.append(cursor)
            continue
        is_prefix = cursor == parent_pos and parent_block.startswith(piece)
        is_suffix = parent_block.endswith(piece)
        if is_prefix and (not is_suffix or prefer_prefix or (n == 0 and len(pieces) > 1)):
            pos = parent_pos
        elif is_suffix:
            pos = end - len(piece)
        else:
            found = text.find(piece, cursor) if piece else -1
            pos = found if found >= 0 else cursor
        out.append(pos)
        cursor = max(cursor, pos + len(piece))
    return out


class _RootTracker:
    """Replaces ``md.parser.parseBlocks``: same loop, and at the top level it records positions."""

    def __init__(self, ext: PosMapExtension, md: Markdown) -> None:
        self.ext = ext
        self.parser = md.parser
        self.orig = md.parser.parseBlocks

    def __call__(self, parent: etree.Element, blocks: list[str]) -> None:
        st = self.ext.state
        if not st.active or parent is not getattr(self.parser, "root", None):
            if st.active and parent.tag == "li" and parent not in st.li_pos and blocks:
                self._note_item(parent, blocks[0], st)
            return self.orig(parent, blocks)
        if st.text is None:
            # The first top-level call gets the whole document split at blank lines.
            st.text = "\n\n".join(blocks)
            positions, off = [], 0
            for block in blocks:
                positions.append(off)
                off += len(block) + 2
        elif st.frames and st.frames[-1].current is not None:
            # A processor parses a piece of its block at the top level (text before a heading,
            # a rule or a quote): the pieces come from the block being processed.
            outer = st.frames[-1]
            b, pos = outer.current
            positions = _derive(st.text, b, pos, blocks, prefer_prefix=True)
            ends = [p + len(x) for p, x in zip(positions, blocks) if x.strip()]
            if ends:
                outer.nested_end = max(outer.nested_end or 0, max(ends))
        else:
            positions = _derive(st.text, st.text, 0, blocks)
        frame = _Frame(blocks, positions)
        st.frames.append(frame)
        try:
            self._loop(parent, blocks, frame, st)
        finally:
            st.frames.pop()

    def _note_item(self, li: etree.Element, item: str, st: _State) -> None:
        """A list processor parses a new item: find its first line in the top-level block."""
        if not st.frames or st.frames[-1].current is None:
            return
        block, pos = st.frames[-1].current
        first = item.split("\n", 1)[0].strip()
        if not first:
            return
        start = st.li_cursor[1] if st.li_cursor[0] == pos else pos
        end = pos + len(block)
        text = st.text or ""
        while (found := text.find(first, start, end)) >= 0:
            line_start = text.rfind("\n", 0, found) + 1
            if _ITEM_PREFIX.fullmatch(text, line_start, found):
                st.li_pos[li] = found
                st.li_cursor = (pos, found + len(first))
                return
            start = found + 1

    def _loop(self, parent: etree.Element, blocks: list[str], frame: _Frame, st: _State) -> None:
        processors = self.parser.blockprocessors
        el_pos = st.el_pos
        while blocks:
            block = blocks[0]
            pos = frame.position(blocks, 0)
            if pos is None:
                pos = _derive(st.text, st.text, 0, [block])[0]
            n_before = len(parent)
            last = parent[-1] if n_before else None
            frame.current = (block, pos)
            frame.nested_end = None
            for processor in processors:
                if processor.test(parent, block):
                    if processor.run(parent, blocks) is not False:
                        break
            frame.current = None
            # Top-level elements this step created directly get the block's offset, or the offset
            # after the text a nested call parsed (the heading after a paragraph in one block).
            direct = pos if frame.nested_end is None else frame.nested_end + 1
            replaced = n_before and (len(parent) < n_before or parent[n_before - 1] is not last)
            start = max(0, n_before - 1) if replaced else n_before
            for el in parent[start:]:
                if el not in el_pos:
                    # A definition list takes over the paragraph before it: keep that one's line.
                    el_pos[el] = el_pos.get(last, direct) if replaced else direct
                    replaced = False
            # Blocks the processor put back at the front of the list.
            fresh = []
            for i in range(len(blocks)):
                if frame.position(blocks, i) is not None:
                    break
                fresh.append(blocks[i])
            if fresh:
                for i, p in enumerate(_derive(st.text, block, pos, fresh)):
                    frame.derived[len(blocks) - i] = (blocks[i], p)


class _Capture(Preprocessor):
    """First after whitespace normalization: keep the source lines, set up HTML tracking."""

    def __init__(self, md: Markdown, ext: PosMapExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, lines: list[str]) -> list[str]:
        st = self.ext.state = _State()
        st.active = True
        st.n_lines = lines
        st.stash_mark = len(self.md.htmlStash.rawHtmlBlocks)
        _install_html_tracking(self.md, self.ext)
        return lines


class _AfterFences(Preprocessor):
    """Right after the fenced-code preprocessor: map its output lines back to source lines."""

    def __init__(self, md: Markdown, ext: PosMapExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, lines: list[str]) -> list[str]:
        st = self.ext.state
        st.p1_len = len(lines)
        st.p1_to_n = _fence_map(st.n_lines, lines, st.stash_mark)
        return lines


class _AfterHtml(Preprocessor):
    """Right after the raw HTML preprocessor: check the map the tracking extractor left."""

    def __init__(self, md: Markdown, ext: PosMapExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, lines: list[str]) -> list[str]:
        st = self.ext.state
        st.p2_len = len(lines)
        if st.p2_to_p1 is None or len(st.p2_to_p1) != len(lines):
            st.p2_to_p1 = list(range(len(lines))) if len(lines) == st.p1_len else None
        return lines


class _Final(Preprocessor):
    """Last preprocessor: any unknown one after ours must have kept the line count."""

    def __init__(self, md: Markdown, ext: PosMapExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, lines: list[str]) -> list[str]:
        self.ext.state.final_len = len(lines)
        return lines


def _fence_map(n_lines: list[str], lines: list[str], stash_mark: int) -> list[int] | None:
    """Fenced blocks became ``["", placeholder, ""]``; return output line -> source line."""
    holes = []
    for j, line in enumerate(lines):
        if STX in line:
            m = HTML_PLACEHOLDER_RE.fullmatch(line)
            if m and int(m.group(1)) >= stash_mark:
                holes.append(j)
    if not holes:
        return list(range(len(lines))) if len(lines) == len(n_lines) else None
    out: list[int] = []
    n = prev = 0
    for p in holes:
        count = p - 1 - prev
        if count < 0 or lines[p - 1] != "" or n + count >= len(n_lines):
            return None
        out.extend(range(n, n + count))
        a = n + count
        fence = _FENCE_OPEN.match(n_lines[a])
        if not fence:
            return None
        closing = re.compile(re.escape(fence.group()) + " *")
        b = next((k for k in range(a + 1, len(n_lines)) if closing.fullmatch(n_lines[k])), None)
        if b is None:
            return None
        out.extend((a, a, b))
        n, prev = b + 1, p + 2
    out.extend(range(n, n + len(lines) - prev))
    if n + len(lines) - prev != len(n_lines):
        return None
    return out


class _PieceList(list):
    """``cleandoc`` of the tracking extractor: remembers where each appended piece came from."""

    def __init__(self, parser: Any) -> None:
        super().__init__()
        self.parser = parser
        self.meta: list[tuple[int, bool]] = []  # (source line, newlines in it are the source's)

    def append(self, item: str) -> None:
        p = self.parser
        line = p.getpos()[0] - 1
        if item is p._posmap_data:
            verbatim = True  # source text (it may hold the placeholders of fenced code)
        elif STX in item and (m := HTML_PLACEHOLDER_RE.search(item)):
            # A stashed block: it starts where its first piece was collected.
            verbatim = False
            index = int(m.group(1))
            stash = p.md.htmlStash.rawHtmlBlocks
            stored = stash[index] if index < len(stash) else None
            if isinstance(stored, str):
                if p._cache and p._posmap_cache_line is not None and stored == "".join(p._cache):
                    line = p._posmap_cache_line
            elif p._posmap_md_line is not None:
                line = p._posmap_md_line  # a ``markdown="1"`` element
        else:
            # Newlines the extractor adds around blocks are its own; tag text is the source's.
            verbatim = item.strip("\n") != ""
        self.meta.append((line, verbatim))
        super().append(item)

    def line_map(self) -> list[int]:
        """For every line of ``''.join(self)``, the source line it starts on (0-based)."""
        out = [self.meta[0][0] if self.meta else 0]
        pending = False  # a line starts at the beginning of the next piece
        for piece, (line, verbatim) in zip(self, self.meta):
            if pending and piece:
                out.append(line)
                pending = False
            seen = 0
            start = 0
            size = len(piece)
            while (k := piece.find("\n", start)) != -1:
                seen += 1
                if k + 1 < size:
                    out.append(line + seen if verbatim else line)
                else:
                    pending = True
                    last = line + seen if verbatim else line
                start = k + 1
        if pending:
            out.append(last)
        return out


_TRACKING_CLASSES: dict[type, type] = {}


def _tracking_class(base: type) -> type:
    cls = _TRACKING_CLASSES.get(base)
    if cls is not None:
        return cls

    class Tracking(base):  # type: ignore[misc, valid-type]
        def reset(self) -> None:
            super().reset()
            self.cleandoc = _PieceList(self)
            self._posmap_cache_line: int | None = None  # where the raw text collected began
            self._posmap_md_line: int | None = None  # where a ``markdown="1"`` element began
            self._posmap_data: str | None = None

        def _posmap_before(self) -> tuple[int, bool, bool]:
            return self.getpos()[0] - 1, not self._cache, not getattr(self, "mdstack", None)

        def _posmap_after(self, state: tuple[int, bool, bool]) -> None:
            line, cache_was_empty, md_was_empty = state
            if cache_was_empty and self._cache:
                self._posmap_cache_line = line
            if md_was_empty and getattr(self, "mdstack", None):
                self._posmap_md_line = line

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            state = self._posmap_before()
            super().handle_starttag(tag, attrs)
            self._posmap_after(state)

        def handle_empty_tag(self, data: str, is_block: bool) -> None:
            state = self._posmap_before()
            super().handle_empty_tag(data, is_block)
            self._posmap_after(state)

        def handle_data(self, data: str) -> None:
            state = self._posmap_before()
            outer, self._posmap_data = self._posmap_data, data
            try:
                super().handle_data(data)
            finally:
                self._posmap_data = outer
            self._posmap_after(state)

    Tracking.__name__ = f"PosMapTracking{base.__name__}"
    _TRACKING_CLASSES[base] = Tracking
    return Tracking


def _tracking_run(pre: Preprocessor, cls: type, ext: PosMapExtension, lines: list[str]) -> list:
    """The raw HTML preprocessor's ``run``, with the tracking extractor."""
    parser = cls(pre.md)
    parser.feed("\n".join(lines))
    parser.close()
    out = "".join(parser.cleandoc).split("\n")
    line_map = parser.cleandoc.line_map()
    ext.state.p2_to_p1 = line_map if len(line_map) == len(out) else None
    return out


def _install_html_tracking(md: Markdown, ext: PosMapExtension) -> None:
    if "html_block" not in md.preprocessors:
        return
    pre = md.preprocessors["html_block"]
    if getattr(pre, "_posmap_ext", None) is ext:
        return
    if isinstance(pre, MdInHtmlBlockPreprocessor):
        base: type = HTMLExtractorExtra
    elif type(pre) is HtmlBlockPreprocessor:
        base = HTMLExtractor
    else:
        return  # an unknown replacement: lines after raw HTML blocks may be off
    pre.run = partial(_tracking_run, pre, _tracking_class(base), ext)
    pre._posmap_ext = ext


def _clamp_map(mapping: list[int] | None, i: int, size: int) -> int:
    if mapping is None or not mapping:
        return max(0, min(i, size - 1)) if size else 0
    return mapping[max(0, min(i, len(mapping) - 1))]


def _placeholder_paragraph(el: etree.Element) -> re.Match[str] | None:
    """A ``<p>`` that only holds a raw HTML placeholder (the postprocessor may replace it whole)."""
    if el.tag != "p" or len(el) or not el.text:
        return None
    return HTML_PLACEHOLDER_RE.fullmatch(el.text)


class _Apply(Treeprocessor):
    """Write the attributes (or put them into stashed block-level HTML)."""

    def __init__(self, md: Markdown, ext: PosMapExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, root: etree.Element) -> None:
        st = self.ext.state
        if not st.active or st.text is None:
            return
        text = st.text
        starts = [0]
        find = text.find
        k = find("\n")
        while k != -1:
            starts.append(k + 1)
            k = find("\n", k + 1)
        same = st.final_len == st.p2_len

        def value_at(off: int) -> str:
            line = bisect.bisect_right(starts, off) - 1
            if not same:
                line = min(line, st.p2_len - 1)
            line = _clamp_map(st.p2_to_p1, line, st.p2_len)
            line = _clamp_map(st.p1_to_n, line, st.p1_len)
            return self.ext.format_line(line)

        for li, off in st.li_pos.items():
            li.set(ATTR, value_at(off))
        stash = self.md.htmlStash.rawHtmlBlocks
        raw = self.md.postprocessors["raw_html"] if "raw_html" in self.md.postprocessors else None
        for el in root:
            off = st.el_pos.get(el)
            if off is None:
                continue
            value = value_at(off)
            m = _placeholder_paragraph(el)
            item = stash[int(m.group(1))] if m and int(m.group(1)) < len(stash) else None
            if isinstance(item, etree.Element):
                item.set(ATTR, value)
            elif isinstance(item, str) and (raw is None or raw.isblocklevel(item)):
                # ``<p>placeholder</p>`` is replaced whole by block-level HTML, so the attribute
                # goes into that HTML's first tag; if it has none, there is no attribute.
                tag = _START_TAG.match(item)
                if tag:
                    index = int(m.group(1))
                    stash[index] = f'{item[: tag.end()]} {ATTR}="{value}"{item[tag.end() :]}'
            else:
                el.set(ATTR, value)
        st.active = False


class PosMapExtension(Extension):
    """Adds ``data-source-line`` (1-based) to top-level block elements; see the module doc."""

    def __init__(self, **kwargs: Any) -> None:
        self.config = {"offset": [0, "Added to every line number (a fragment of a larger text)"]}
        super().__init__(**kwargs)
        self.state = _State()

    def format_line(self, line: int) -> str:
        """The attribute value for 0-based source line ``line``."""
        return str(line + 1 + int(self.getConfig("offset")))

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        md.registerExtension(self)
        md.preprocessors.register(_Capture(md, self), "posmap_capture", 29.5)
        md.preprocessors.register(_AfterFences(md, self), "posmap_fences", 24.5)
        md.preprocessors.register(_AfterHtml(md, self), "posmap_html", 19.5)
        md.preprocessors.register(_Final(md, self), "posmap_final", -1000)
        # After codehilite (30) turned code blocks into placeholders and inline processing (20)
        # stashed inline HTML; before toc (5) adds ids.
        md.treeprocessors.register(_Apply(md, self), "posmap", 19.5)
        md.parser.parseBlocks = _RootTracker(self, md)

    def reset(self) -> None:
        self.state = _State()


def makeExtension(**kwargs: Any) -> PosMapExtension:  # noqa: N802 (Python-Markdown's name)
    return PosMapExtension(**kwargs)

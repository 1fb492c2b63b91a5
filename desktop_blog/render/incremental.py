"""Incremental rendering for the live preview: re-render only the blocks that changed.

Python-Markdown renders a whole post every time (``render_html`` takes about 40-70 ms at 5,000
words and 0.7-0.8 s at 50,000 on this kind of machine: ``benchmarks/bench_render.py``), too slow
to follow typing at length. ``IncrementalRenderer`` splits the
source into *chunks* at safe top-level boundaries, renders each chunk on its own with a cache, and
puts the document back together. Its ``html`` is exactly ``render_html(text)``: tests check this
on hand-made documents, generated posts and random documents under random edits.

**Where a chunk may start** (line *i*, after normalization as Python-Markdown does it):

* line *i - 1* is blank and not inside a fenced code block (fences are found with
  Python-Markdown's own fenced-code pattern over the whole text, as it does);
* line *i* starts in column 0 with something that cannot continue the block before it across a
  blank line: not a space (indented code, list continuation), not ``>`` (consecutive quotes
  merge), not ``:`` (a definition for the paragraph before), not a list marker (``-``, ``*``,
  ``+``, ``1.``, ``1)`` followed by a space: a loose list goes on), not a reference or footnote
  definition (``[id]:``, ``[^id]:``; it makes no element, so the block after it would meet the
  chunk before);
* the last non-blank line before it also starts in column 0 (so the chunk before does not end in
  indented code, whose trailing blank lines Python-Markdown keeps), and the block before it has
  no definition line (``: ...``): a definition list takes in the items that follow it. Blocks of
  reference or footnote definitions make no element, so the block before them must pass too;
* raw HTML does not cross it: every chunk that contains ``<`` (or ``&#``) is fed to the same
  HTML extractor Python-Markdown uses, and if that ends inside a raw block, a comment, a tag,
  ``<script>`` and so on, or had to look past the chunk's end, the chunk is merged with the next
  ones until it does not. If the extractor stops short of the end of the text (an unfinished
  construct such as ``<![CDATA[`` with no end), Python-Markdown parses the rest with positions
  that depend on everything before it, so the whole text is then one chunk.

**What is document-wide**, and how each is kept equal to a full render:

* *Reference definitions* (``[id]: url``): each chunk is parsed first, then, just before inline
  processing, its own definitions are recorded and the reference table is replaced by the table of
  the whole document (later definitions win, as in a full render). The renderer records which ids
  a chunk looked up; a cached chunk is re-rendered when any of those changed. (Passing the
  definitions costs nothing for chunks without reference links; falling back to a full render
  whenever a post has one definition would make most long posts slow.)
* *Heading ids* (``toc`` makes them unique with ``_1``, ``_2`` in document order, after every
  explicit ``{#id}``): a chunk leaves a token for each id; the renderer runs toc's own ``unique``
  over the whole document in order and writes the ids in.
* *Source lines*: a chunk's ``data-source-line`` values are tokens relative to the chunk, written
  as the chunk's start line plus that number. A chunk is cached by its text alone, so typing Enter
  above it only rewrites its numbers (``shifted``), it is not rendered again.
* *Footnotes*: like references, each chunk records its definitions and gets those of the whole
  document before inline processing (a reference's number is the definition's place among all
  of them; a chunk is rendered again when a number it shows changes). No chunk shows the
  footnotes: they are one more block at the end, rendered from all the definitions together.
  Python-Markdown numbers a footnote's second and later references (``fnref2:``...) in the order
  its inline processor walks the tree (breadth first, not the order of the text), so a post
  that refers to one footnote twice is rendered whole, as is one with the
  ``///Footnotes Go Here///`` marker.
* *Abbreviations* (they apply to the whole text) and a ``[TOC]`` marker: a post that has any is
  rendered whole every time.

"Rendered whole" means ``render_html`` each time: ``RenderResult.full`` is true and there is one
block.

**Blocks for the preview.** ``RenderResult.blocks`` hold each chunk's HTML, *not* wrapped (the
join ``"\\n".join(b.html for b in blocks if b.html).strip()`` is ``html``, which equals
``render_html``). The preview wraps each block in an element of its own (say
``<div class="md-block" id="b-7">``) and applies the changes since the previous result:
``removed`` ids go, ``changed`` ids get their new HTML, ``inserted`` ``(id, after_id)`` come in
after ``after_id`` (``None``: at the top), in that order. ``shifted`` ``(id, delta)`` blocks are
the same but for their line numbers, all moved by ``delta``: the preview can add ``delta`` to the
``data-source-line`` values inside, or take the block's new HTML. ``RenderResult.ops()`` lists
all of it as operations in the order to apply. Block ids (``b-<n>``) are unique for the life of
the renderer. A chunk's HTML can be empty (a chunk of blank lines); a preview may skip those.
The footnotes block comes last, with the post's last line as its ``line``.
"""

from __future__ import annotations

import bisect
import difflib
import html as html_lib
import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from itertools import count
from typing import Any, NamedTuple

from markdown import Markdown
from markdown.blockprocessors import ReferenceProcessor
from markdown.extensions import Extension
from markdown.extensions.attr_list import get_attrs_and_remainder
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from markdown.extensions.footnotes import FootnoteBlockProcessor, FootnoteExtension
from markdown.extensions.md_in_html import HtmlBlockPreprocessor as MdInHtmlBlockPreprocessor
from markdown.extensions.md_in_html import HTMLExtractorExtra
from markdown.extensions.toc import remove_fnrefs, render_inner_html, strip_tags, unique
from markdown.htmlparser import HTMLExtractor
from markdown.postprocessors import Postprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import HTML_PLACEHOLDER, STX

from .markdown import build_markdown, normalize, render_html
from .posmap import PosMapExtension

__all__ = ["Block", "IncrementalRenderer", "RenderResult"]

_LINE_TOKEN = "\x02L{}\x03"
_ID_TOKEN = "\x02T{}\x03"
_TOKEN = re.compile("\x02([LT][0-9]+)\x03")

_FENCE = FencedBlockPreprocessor.FENCED_BLOCK_RE
# The end of a non-blank line, blank lines, then a line that may start a chunk: not indented, not
# a quote, a definition, a list item or a reference definition (the rest is checked in
# ``_chunk_starts``).
# (A match starts right after the non-blank line: from a later newline it would fail the same way.)
_CANDIDATE = re.compile(
    r"\n\n+(?![ \n>:]|(?:[*+-]|[0-9]+[.)])(?:[ \t]|$)|\[[^\[\]]*\]:)", re.MULTILINE
)
_DEFINITION = re.compile(r"\n {0,3}: ")  # a line of a definition list, after the first line
_LINK_DEFINITION = re.compile(r" {0,3}\[[^\]]*\]:")  # a reference or footnote definition
_HTML_TAIL = re.compile(r">(?: {0,3}: | {4})")
# Features with document-wide effects (see the module doc).
_FOOTNOTE_DEF = re.compile(r"\[\^[^\]]*\]:")
_FOOTNOTE_REF = re.compile(r"\[\^([^\]]*)\]")
_FOOTNOTES_HERE = "///Footnotes Go Here///"
_ABBR_DEF = re.compile(r"\*\[[^\\]*?\] ?:")
_TOC_MARKER = "[TOC]"
# A source that makes no element (a reference definition of an id no text can have): the
# footnotes are rendered on their own from it.
_NOTHING_ID = "\x01"
_NOTHING = f"[{_NOTHING_ID}]: _"
# What the HTML extractor makes of a chunk (``_Probe.status``).
CLEAN, OPEN, BROKEN = 0, 1, 2


class Block(NamedTuple):
    """One chunk of the document: its HTML and the 1-based source lines it covers."""

    id: str
    html: str
    line: int  # first source line (1-based)
    end_line: int  # last source line (1-based, inclusive; trailing blank lines included)


@dataclass
class RenderResult:
    html: str
    blocks: list[Block]
    changed: list[str] = field(default_factory=list)
    inserted: list[tuple[str, str | None]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    shifted: list[tuple[str, int]] = field(default_factory=list)
    full: bool = False  # rendered whole (see the module doc: abbreviations, [TOC], ...)
    rendered: int = 0  # chunks rendered this time (cache misses)

    def ops(self) -> list[tuple[Any, ...]]:
        """Operations turning the previous result into this one, to apply in order.

        ``("remove", id)``, ``("replace", id, html)``, ``("insert", id, after_id, html)`` with
        ``after_id`` None for the top, ``("shift", id, delta)``.
        """
        by_id = {b.id: b for b in self.blocks}
        out: list[tuple[Any, ...]] = [("remove", i) for i in self.removed]
        out += [("replace", i, by_id[i].html) for i in self.changed]
        out += [("insert", i, after, by_id[i].html) for i, after in self.inserted]
        out += [("shift", i, d) for i, d in self.shifted]
        return out


# -- Markdown in chunk mode --------------------------------------------------------------------


class _TokenPosMap(PosMapExtension):
    def format_line(self, line: int) -> str:
        return _LINE_TOKEN.format(line)


class _RecordingRefs(dict):
    """The reference table during inline processing: notes every id looked up."""

    def __init__(self, data: dict, log: dict) -> None:
        super().__init__(data)
        self.log = log

    def __contains__(self, key: object) -> bool:
        self.log[key] = dict.get(self, key)
        return dict.__contains__(self, key)

    def __getitem__(self, key: Any) -> Any:
        self.log[key] = dict.get(self, key)
        return dict.__getitem__(self, key)

    def get(self, key: Any, default: Any = None) -> Any:
        self.log[key] = dict.get(self, key)
        return dict.get(self, key, default)


class _ChunkExtension(Extension):
    """Chunk mode: document-wide references and footnotes in, heading ids deferred, raw output
    kept. With ``footnotes_div`` set, the output is the footnotes of the document alone."""

    def __init__(self) -> None:
        super().__init__()
        self.global_refs: dict = {}
        self.global_footnotes: OrderedDict[str, str] = OrderedDict()
        self.footnotes_div = False
        self.footnotes: Any = None  # Python-Markdown's footnotes extension, once found
        self.reset()

    def reset(self) -> None:
        self.local_refs: dict = {}
        self.local_footnotes: OrderedDict[str, str] = OrderedDict()
        self.note_refs: list[str] = []  # footnotes referred to, in the order of processing
        self.lookups: dict = {}
        self.explicit_ids: list[str] = []
        self.slugs: list[str] = []
        self.raw_output = ""

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        md.registerExtension(self)
        # After block parsing, before the footnotes tree processor (50) adds the footnotes.
        md.treeprocessors.register(_TakeFootnotes(md, self), "chunk_footnotes", 51)
        # After codehilite (30), before inline processing (20).
        md.treeprocessors.register(_InjectRefs(md, self), "chunk_refs", 26)
        # Just before toc (5), which then leaves the ids alone.
        md.treeprocessors.register(_DeferIds(md, self), "chunk_ids", 5.5)
        md.postprocessors.register(_KeepOutput(md, self), "chunk_output", -1000)


def _footnotes_of(md: Markdown) -> FootnoteExtension:
    for ext in md.registeredExtensions:
        if isinstance(ext, FootnoteExtension):
            return ext
    raise RuntimeError("the renderer has no footnotes extension")


class _TakeFootnotes(Treeprocessor):
    """Keep the chunk's footnote definitions; a chunk shows none (they go in a block of their
    own), the footnotes block shows those of the whole document."""

    def __init__(self, md: Markdown, ext: _ChunkExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, root: Any) -> None:
        ext = self.ext
        if ext.footnotes is None:
            ext.footnotes = _footnotes_of(self.md)
            make_ref_id = ext.footnotes.makeFootnoteRefId

            def recording(id: str, found: bool = False) -> str:
                if found:  # called for every reference the inline processor turns into a link
                    ext.note_refs.append(id)
                return make_ref_id(id, found)

            ext.footnotes.makeFootnoteRefId = recording
        ext.local_footnotes = OrderedDict(ext.footnotes.footnotes)
        ext.footnotes.footnotes = OrderedDict(ext.global_footnotes if ext.footnotes_div else ())


class _InjectRefs(Treeprocessor):
    """The document's references (lookups recorded) and footnotes (for their numbers)."""

    def __init__(self, md: Markdown, ext: _ChunkExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, root: Any) -> None:
        self.ext.local_refs = dict(self.md.references)
        self.md.references = _RecordingRefs(self.ext.global_refs, self.ext.lookups)
        if self.ext.footnotes is not None and not self.ext.footnotes_div:
            self.ext.footnotes.footnotes = OrderedDict(self.ext.global_footnotes)


class _DeferIds(Treeprocessor):
    def __init__(self, md: Markdown, ext: _ChunkExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, root: Any) -> None:
        toc = self.md.treeprocessors["toc"]
        explicit, slugs = self.ext.explicit_ids, self.ext.slugs
        headers = []
        for el in root.iter():
            if "id" in el.attrib:
                explicit.append(el.attrib["id"])
            elif isinstance(el.tag, str) and toc.header_rgx.match(el.tag):
                headers.append(el)
        for el in headers:
            name = strip_tags(render_inner_html(remove_fnrefs(el), self.md))
            el.attrib["id"] = _ID_TOKEN.format(len(slugs))
            slugs.append(toc.slugify(html_lib.unescape(name), toc.sep))


class _KeepOutput(Postprocessor):
    """Last postprocessor: keeps the text before ``convert`` strips its ends."""

    def __init__(self, md: Markdown, ext: _ChunkExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, text: str) -> str:
        self.ext.raw_output = text
        return text


class _Probe:
    """Does raw HTML stay inside a chunk? Runs Python-Markdown's own HTML extractor on it."""

    def __init__(self, md: Markdown) -> None:
        pre = md.preprocessors["html_block"] if "html_block" in md.preprocessors else None
        base = HTMLExtractorExtra if isinstance(pre, MdInHtmlBlockPreprocessor) else HTMLExtractor

        class Probe(base):  # type: ignore[misc, valid-type]
            def reset(self) -> None:
                super().reset()
                self.incomplete = False

            # Where the extractor meets a construct that does not end within the text, it treats
            # the start as plain text; in the whole document the construct may end further on.
            def check_for_whole_start_tag(self, i: int) -> int:
                end = super().check_for_whole_start_tag(i)
                if end < 0:
                    self.incomplete = True
                return end

            def parse_endtag(self, i: int) -> int:
                if self.rawdata.find(">", i + 1) < 0:
                    self.incomplete = True
                return super().parse_endtag(i)

            def parse_bogus_comment(self, i: int, report: int = 0) -> int:
                end = super().parse_bogus_comment(i, report)
                if end == -1:
                    self.incomplete = True
                return end

        self.cls = Probe
        self.md = md

    def status(self, text: str) -> int:
        """``CLEAN`` if the extractor ends the text in its starting state, having looked no
        further; ``OPEN`` if something runs on; ``BROKEN`` if it stopped short of the end."""
        p = self.cls(self.md)
        p.feed(text + "\n\n")
        if p.rawdata:
            # Feeding stopped at something unfinished; Python-Markdown's ``close()`` parses the
            # rest with line positions that depend on all the text before: no chunking then.
            result = BROKEN
        elif (
            p.inraw
            or p.stack
            or p._cache
            or p.intail
            or p.cdata_elem is not None
            or p.incomplete
            or getattr(p, "mdstack", None)
            or getattr(p, "_no_commentclose", (None, 0))[0] is not None
        ):
            result = OPEN
        else:
            result = CLEAN
        self.md.reset()
        return result


class _Engine:
    """One per thread: a chunk-mode Markdown and its helpers."""

    def __init__(self) -> None:
        self.ext = _ChunkExtension()
        self.md = build_markdown(posmap=_TokenPosMap(), extensions=[self.ext])
        self.probe = _Probe(self.md)


_local = threading.local()


def _engine() -> _Engine:
    engine = getattr(_local, "engine", None)
    if engine is None:
        engine = _local.engine = _Engine()
    return engine


# -- Splitting ---------------------------------------------------------------------------------


def _fence_openers(text: str) -> list[int]:
    """Offsets of lines starting with ``` or ~~~, where a fenced block can open."""
    out = []
    for mark in ("```", "~~~"):
        find = text.find
        i = find(mark)
        while i != -1:
            if i == 0 or text[i - 1] == "\n":
                out.append(i)
            i = find(mark, text.find("\n", i) + 1 or len(text))
    out.sort()
    return out


def _fence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the fenced code blocks, found as the fenced-code preprocessor does.

    Its pattern, searched from where the last block ended, can only match where a line opens
    with ``` or ~~~, so it is tried just there (searching all of a long text is slow).
    """
    spans = []
    index = 0
    openers = _fence_openers(text)
    k = 0
    while k < len(openers):
        at = openers[k]
        k += 1
        if at < index:
            continue
        m = _FENCE.match(text, at)
        if m is None:
            continue
        if m.group("attrs"):
            _, remainder = get_attrs_and_remainder(m.group("attrs"))
            if remainder:
                index = m.end("attrs")
                continue
        spans.append((m.start(), m.end()))
        index = m.end()
    return spans


def _ends_safely(text: str, end: int, definitions: list[int]) -> bool:
    """May a chunk end after the block that ends at ``end``? (See the module doc.)

    The block's last line must start in column 0 and the block must have no definition line
    (nor text after HTML that could become one). A block that may only hold reference or
    footnote definitions makes no element, so the block before it is checked as well, and so on.
    """
    rfind = text.rfind
    while True:
        if text[rfind("\n", 0, end) + 1] == " ":
            return False
        start = rfind("\n\n", 0, end)
        start = 0 if start < 0 else start + 2
        if definitions:
            k = bisect.bisect_left(definitions, start)
            if k < len(definitions) and definitions[k] < end:
                return False
        # Text after a raw HTML block on its line becomes a block of its own: a definition or
        # indented code there would be one too, though no line of the source shows it.
        if text.find(">", start, end) >= 0 and _HTML_TAIL.search(text, start, end):
            return False
        if start == 0 or text[start] not in "[ " or not _LINK_DEFINITION.match(text, start):
            return True
        end = start
        while end > 0 and text[end - 1] == "\n":
            end -= 1
        if end == 0:
            return True


def _chunk_starts(text: str, spans: list[tuple[int, int]]) -> list[int]:
    """Character offsets where chunks start (the first is 0); see the module doc."""
    starts = [0]
    span_ends = [e for _, e in spans]
    span_starts = [s for s, _ in spans]
    n_spans = len(spans)
    # Lines that make a definition (the first line of a text cannot: it has no term before it).
    definitions = [m.start() + 1 for m in _DEFINITION.finditer(text)]
    for m in _CANDIDATE.finditer(text):
        if m.start() == 0:
            continue  # blank lines at the top stay with the first block
        pos = m.end()  # start of the candidate line
        # Not inside a fenced block: no span with start < pos <= end.
        if n_spans:
            k = bisect.bisect_left(span_ends, pos)
            if k < n_spans and span_starts[k] < pos:
                continue
        if _ends_safely(text, m.start(), definitions):
            starts.append(pos)
    return starts


def _probe_text(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    """The chunk as the HTML extractor sees it: fenced blocks already replaced by placeholders."""
    k = bisect.bisect_left([e for _, e in spans], start)
    out = []
    pos = start
    for s, e in spans[k:]:
        if s >= end:
            break
        out.append(text[pos:s])
        out.append("\n" + HTML_PLACEHOLDER % 0 + "\n")
        pos = e
    out.append(text[pos:end])
    return "".join(out)


# -- The renderer ------------------------------------------------------------------------------


class _Chunk:
    """A rendered chunk, cached by its text: HTML with tokens, and what it used or defined."""

    __slots__ = (
        "parts",
        "token_html",
        "local_refs",
        "lookups",
        "local_footnotes",
        "notes",
        "numbers",
        "note_refs",
        "explicit_ids",
        "slugs",
        "memo",
    )

    def __init__(self, raw: str, ext: _ChunkExtension, notes: tuple[str, ...]) -> None:
        self.token_html = raw
        self.parts = _TOKEN.split(raw)
        self.local_refs = ext.local_refs
        self.lookups = dict(ext.lookups)
        self.local_footnotes = ext.local_footnotes
        # Footnote labels the text mentions, and their numbers when it was rendered.
        self.notes = notes
        self.numbers = _numbers(notes, ext.global_footnotes) if notes else ()
        self.note_refs = tuple(ext.note_refs)
        self.explicit_ids = list(ext.explicit_ids)
        self.slugs = list(ext.slugs)
        self.memo: tuple[int, tuple[str, ...], str] | None = None

    def valid_for(self, refs: dict, footnotes: dict) -> bool:
        """Were the references this chunk looked up, and its footnotes' numbers, the same?"""
        if self.notes and self.numbers != _numbers(self.notes, footnotes):
            return False
        return all(refs.get(k) == v for k, v in self.lookups.items())

    def resolve(self, first_line: int, ids: tuple[str, ...]) -> str:
        """The chunk's HTML with line numbers (1-based, from ``first_line`` 0-based) and ids."""
        memo = self.memo
        if memo is not None and memo[0] == first_line and memo[1] == ids:
            return memo[2]
        parts = self.parts
        if len(parts) == 1:
            out = parts[0]
        else:
            pieces = parts[:]
            base = first_line + 1
            for i in range(1, len(parts), 2):
                token = parts[i]
                n = int(token[1:])
                if token[0] == "L":
                    pieces[i] = str(base + n)
                else:
                    pieces[i] = html_lib.escape(ids[n], quote=True)
            out = "".join(pieces)
        self.memo = (first_line, ids, out)
        return out


def _numbers(labels: tuple[str, ...], footnotes: dict) -> tuple[int, ...]:
    """The number each label gets (its place among the footnotes; 0 if it has none)."""
    order = {label: n for n, label in enumerate(footnotes, 1)}
    return tuple(order.get(label, 0) for label in labels)


def _guess_footnotes(text: str) -> OrderedDict[str, str]:
    return OrderedDict((m.group(1), "") for m in FootnoteBlockProcessor.RE.finditer(text))


def _guess_refs(text: str) -> dict:
    """Reference definitions a chunk probably makes (to render it right the first time)."""
    refs = {}
    if "]:" in text:
        for m in ReferenceProcessor.RE.finditer(text):
            refs[m.group(1).strip().lower()] = (
                m.group(2).lstrip("<").rstrip(">"),
                m.group(5) or m.group(6),
            )
    return refs


class IncrementalRenderer:
    """Renders successive versions of one post, redoing only what changed (see the module doc).

    ``render(text)`` returns a ``RenderResult`` whose ``html`` equals ``render_html(text)`` and
    whose change lists are relative to the previous ``render`` call of this instance. Safe to call
    from any thread (calls are serialized); meant for one post at a time. Rendered chunks are
    cached by their text; the cache keeps at least the chunks of the last text rendered.
    """

    def __init__(self, cache_size: int = 4096) -> None:
        self._cache: dict[str, _Chunk] = {}
        self._probes: dict[str, int] = {}
        self._cache_size = cache_size
        # The previous result: per block, (id, key, first line 0-based, Block).
        self._placed: list[tuple[str, tuple, int, Block]] = []
        self._notes: tuple[tuple, _Chunk] | None = None  # the footnotes block, by definitions
        self._ids = count(1)
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget the previous result (the next render inserts every block); keep the cache."""
        with self._lock:
            self._placed = []

    def render(self, text: str) -> RenderResult:
        with self._lock:
            return self._render(text)

    # -- internals --

    def _render(self, text: str) -> RenderResult:
        src = normalize(text)
        if _TOC_MARKER in src or _ABBR_DEF.search(src):
            return self._render_full(text)
        has_footnotes = _FOOTNOTE_DEF.search(src) is not None
        if has_footnotes and _FOOTNOTES_HERE in src:
            return self._render_full(text)
        engine = _engine()
        spans = _fence_spans(src + "\n\n")  # as Python-Markdown's whitespace preprocessor leaves it
        bounds = self._merge_html(src, _chunk_starts(src, spans), spans, engine)
        texts = [src[a:b] for a, b in bounds]
        cache = self._cache
        chunks: list[Any] = [cache.get(t) for t in texts]

        rendered = 0
        if None in chunks:
            # Render the new chunks with the best guess of the document's references and
            # footnotes, then again any chunk that the guess got wrong.
            refs: dict = {}
            notes: OrderedDict[str, str] = OrderedDict()
            for k, chunk in enumerate(chunks):
                if chunk is not None:
                    if chunk.local_refs:
                        refs.update(chunk.local_refs)
                    if chunk.local_footnotes:
                        notes.update(chunk.local_footnotes)
                else:
                    refs.update(_guess_refs(texts[k]))
                    if has_footnotes:
                        notes.update(_guess_footnotes(texts[k]))
            for k, chunk in enumerate(chunks):
                if chunk is None:
                    chunks[k] = self._render_chunk(texts[k], refs, notes, engine)
                    rendered += 1
        refs = {}
        notes = OrderedDict()
        for chunk in chunks:
            if chunk.local_refs:
                refs.update(chunk.local_refs)
            if chunk.local_footnotes:
                notes.update(chunk.local_footnotes)
        note_block = None
        if notes:
            if any(STX in t for t in notes.values()):
                return self._render_full(text)  # a footnote holding stashed HTML: not split
            # The footnotes are parsed after the text, and may define references too.
            note_block, again = self._footnotes_block(notes, refs, engine, None)
            if note_block is None:
                return self._render_full(text)
            rendered += again
            refs.update(note_block.local_refs)
        for k, chunk in enumerate(chunks):
            if (chunk.lookups or chunk.notes) and not chunk.valid_for(refs, notes):
                chunks[k] = self._render_chunk(texts[k], refs, notes, engine)
                rendered += 1
        n_lines = src.count("\n")
        firsts = []
        line = 0
        for t in texts:
            firsts.append(line)
            line += t.count("\n")
        ends = [e - 1 for e in firsts[1:]] + [n_lines]
        if note_block is not None:
            note_block, again = self._footnotes_block(notes, refs, engine, note_block)
            rendered += again
            chunks.append(note_block)
            firsts.append(n_lines)
            ends.append(n_lines)
            # Python-Markdown numbers a footnote's second and later references (fnref2:...)
            # in the order its inline processor walks the tree, not the order of the text.
            counts = Counter(label for chunk in chunks for label in chunk.note_refs)
            if counts and max(counts.values()) > 1:
                return self._render_full(text)

        # Heading ids across the document, as toc would make them.
        used: set[str] = set()
        for chunk in chunks:
            if chunk.explicit_ids:
                used.update(chunk.explicit_ids)
        counters: dict[str, int] = {}
        no_ids: tuple[str, ...] = ()

        htmls, keys = [], []
        for k, chunk in enumerate(chunks):
            ids = tuple(unique(s, used, counters) for s in chunk.slugs) if chunk.slugs else no_ids
            htmls.append(chunk.resolve(firsts[k], ids))
            keys.append((chunk.token_html, ids))
        result = self._diff(keys, firsts, htmls, ends)
        result.html = "\n".join(h for h in htmls if h).strip()
        result.rendered = rendered
        if len(cache) > self._cache_size:
            self._cache = {t: c for t, c in zip(texts, chunks)}
        return result

    def _footnotes_block(
        self, notes: OrderedDict[str, str], refs: dict, engine: _Engine, block: _Chunk | None
    ) -> tuple[Any, int]:
        """The footnotes at the end of the post, rendered from the definitions of all chunks;
        ``block``, the one from before, again if it showed ``refs`` as they are. None if the
        footnotes define more footnotes (the post is then rendered whole)."""
        key = tuple(notes.items())
        if block is None and self._notes is not None and self._notes[0] == key:
            block = self._notes[1]
        if block is not None and (self._notes is None or block is not self._notes[1]):
            block = None
        if block is not None and (refs is None or block.valid_for(refs, notes)):
            return block, 0
        md, ext = engine.md, engine.ext
        md.reset()
        ext.global_refs = refs
        ext.global_footnotes = notes
        ext.footnotes_div = True
        try:
            md.convert(_NOTHING)
        finally:
            ext.footnotes_div = False
        if list(ext.footnotes.footnotes) != list(notes):
            self._notes = None
            return None, 1
        block = _Chunk(ext.raw_output, ext, ())
        block.local_refs = {k: v for k, v in ext.local_refs.items() if k != _NOTHING_ID}
        block.local_footnotes = OrderedDict()
        self._notes = (key, block)
        return block, 1

    def _render_full(self, text: str) -> RenderResult:
        html = render_html(text)
        result = self._diff([("full", html)], [0], [html], [text.count("\n")])
        result.html = html
        result.full = True
        result.rendered = 1
        return result

    def _render_chunk(
        self, text: str, refs: dict, notes: OrderedDict[str, str], engine: _Engine
    ) -> _Chunk:
        md, ext = engine.md, engine.ext
        md.reset()
        ext.global_refs = refs
        ext.global_footnotes = notes
        md.convert(text)
        labels = tuple(_FOOTNOTE_REF.findall(text)) if "[^" in text else ()
        chunk = self._cache[text] = _Chunk(ext.raw_output, ext, labels)
        return chunk

    def _merge_html(
        self, src: str, starts: list[int], spans: list[tuple[int, int]], engine: _Engine
    ) -> list[tuple[int, int]]:
        """Chunk bounds, merging chunks whose raw HTML would run on into the next ones."""
        bounds = list(zip(starts, starts[1:] + [len(src)]))
        if "<" not in src and "&#" not in src:
            return bounds
        out = []
        k = 0
        while k < len(bounds):
            a, b = bounds[k]
            step = 1
            nxt = k + 1
            while (status := self._status(src, a, b, spans, engine)) != CLEAN:
                if nxt == len(bounds):
                    if status == BROKEN:
                        return [(0, len(src))]
                    break
                # Take in 1, 2, 4, ... more chunks: an unclosed tag at the top stays linear.
                nxt = min(len(bounds), nxt + step)
                b = bounds[nxt - 1][1]
                step *= 2
            out.append((a, b))
            k = nxt
        return out

    def _status(
        self, src: str, a: int, b: int, spans: list[tuple[int, int]], engine: _Engine
    ) -> int:
        if src.find("<", a, b) < 0 and src.find("&#", a, b) < 0:
            return CLEAN
        text = _probe_text(src, a, b, spans)
        status = self._probes.get(text)
        if status is None:
            if len(self._probes) > self._cache_size:
                self._probes.clear()
            status = self._probes[text] = engine.probe.status(text)
        return status

    def _diff(
        self, keys: list[tuple], first: list[int], htmls: list[str], ends: list[int]
    ) -> RenderResult:
        """Blocks with ids kept from the previous result where their content is the same."""
        old = self._placed
        n_old, n_new = len(old), len(keys)
        ids: list[Any] = [None] * n_new
        changed: list[str] = []
        removed: list[str] = []

        lo = 0
        while lo < n_old and lo < n_new and old[lo][1] == keys[lo]:
            ids[lo] = old[lo][0]
            lo += 1
        hi_old, hi_new = n_old, n_new
        while hi_old > lo and hi_new > lo and old[hi_old - 1][1] == keys[hi_new - 1]:
            hi_old -= 1
            hi_new -= 1
            ids[hi_new] = old[hi_old][0]
        if lo < hi_old or lo < hi_new:
            matcher = difflib.SequenceMatcher(
                None, [p[1] for p in old[lo:hi_old]], keys[lo:hi_new], autojunk=False
            )
            for tag, i1, i2, j1, j2 in matcher.get_opcodes():
                if tag == "equal":
                    for d in range(i2 - i1):
                        ids[lo + j1 + d] = old[lo + i1 + d][0]
                    continue
                paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
                for d in range(paired):
                    ids[lo + j1 + d] = old[lo + i1 + d][0]
                    changed.append(old[lo + i1 + d][0])
                removed.extend(old[lo + i][0] for i in range(i1 + paired, i2))
                for j in range(j1 + paired, j2):
                    ids[lo + j] = f"b-{next(self._ids)}"

        previous = {p[0]: p for p in old}
        changed_set = set(changed)
        inserted: list[tuple[str, str | None]] = []
        shifted: list[tuple[str, int]] = []
        placed = []
        blocks = []
        for k in range(n_new):
            block_id = ids[k]
            end = ends[k]
            prev = previous.get(block_id)
            if prev is None:
                inserted.append((block_id, ids[k - 1] if k else None))
            elif block_id not in changed_set and prev[2] != first[k]:
                shifted.append((block_id, first[k] - prev[2]))
            if prev is not None and prev[3].html is htmls[k] and prev[3].end_line == end + 1:
                block = prev[3]
            else:
                block = Block(block_id, htmls[k], first[k] + 1, end + 1)
            blocks.append(block)
            placed.append((block_id, keys[k], first[k], block))
        self._placed = placed
        return RenderResult(
            html="",
            blocks=blocks,
            changed=changed,
            inserted=inserted,
            removed=removed,
            shifted=shifted,
        )

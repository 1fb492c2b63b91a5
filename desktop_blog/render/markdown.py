"""The one configured Markdown renderer: the preview, the publisher and the exporters all call it.

Python-Markdown with ``extra`` (tables, fenced code, footnotes, definition lists, abbreviations,
attribute lists, Markdown in HTML), ``toc`` (heading ids), ``codehilite`` (Pygments, CSS classes
under ``.codehilite``, no language guessing), ``sane_lists``, the posmap extension
(``data-source-line``, 1-based, on top-level blocks and list items: see ``posmap.py``) and one
of our own:

* **Soft line breaks are joined.** WordPress shows post content through ``wpautop``, which turns
  every newline inside a paragraph into ``<br />``. A paragraph wrapped at 80 columns in the editor
  would be published with a forced break on every line, so the renderer's own output has no soft
  newline in text (outside ``<pre>``, ``<script>``, ``<style>``, ``<textarea>``): each becomes a
  space. The newline Python-Markdown writes after a hard break (``<br />``) stays, and so do the
  newlines between block elements. Preview, publish and export get this same HTML.

YAML-style front matter (a first line ``---`` up to a line ``---`` or ``...``) is not content: its
lines are blanked before rendering, so line numbers in ``data-source-line`` stay those of the
editor. ``\\r\\n`` and a lone ``\\r`` end lines like ``\\n``; a leading byte-order mark is dropped.

``render_html`` is thread-safe: each thread has its own ``Markdown`` instance, reset before use.
"""

from __future__ import annotations

import re
import threading
import xml.etree.ElementTree as etree
from collections.abc import Sequence

from markdown import Markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markdown.util import ETX, STX, AtomicString
from pygments.formatters import HtmlFormatter

from .codestyle import CODE_CSS_CLASS, DARK_STYLE, LIGHT_STYLE, pygments_css
from .posmap import PosMapExtension

__all__ = [
    "DARK_STYLE",
    "LIGHT_STYLE",
    "build_markdown",
    "normalize",
    "prepare",
    "pygments_css",
    "render_html",
]

TAB_LENGTH = 4

_FRONT_MATTER_END = ("---", "...")


def prepare(text: str) -> str:
    """The text Markdown is given: line ends unified, front matter blanked, same line count."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("---"):
        lines = text.split("\n")
        if lines[0].rstrip() == "---":
            for k in range(1, len(lines)):
                if lines[k].rstrip() in _FRONT_MATTER_END:
                    return "\n".join([""] * (k + 1) + lines[k + 1 :])
    return text


# Python-Markdown empties lines of spaces with ``(?<=\n) +\n``; this is the same, and faster.
_BLANKISH_LINE = re.compile(r"\n +(?=\n)")


def normalize(text: str) -> str:
    """``prepare`` plus exactly what Python-Markdown's whitespace preprocessor does to the lines.

    Tabs expanded, STX/ETX removed, lines of spaces emptied (not the first line). Giving
    Markdown the normalized text changes nothing in its output; ``incremental`` works on it.
    """
    text = prepare(text)
    if STX in text or ETX in text:
        text = text.replace(STX, "").replace(ETX, "")
    if "\t" in text:
        text = text.expandtabs(TAB_LENGTH)
    return _BLANKISH_LINE.sub("\n", text)


_SOFT_BREAK = re.compile(r"[ \t]*\n[ \t]*")
_KEEP_NEWLINES = frozenset({"pre", "script", "style", "textarea"})


class _SoftBreakJoiner(Treeprocessor):
    """Newlines inside text become spaces (see the module doc). Runs after ``prettify``."""

    def _join(self, text: str) -> str:
        joined = _SOFT_BREAK.sub(" ", text)
        return AtomicString(joined) if isinstance(text, AtomicString) else joined

    def _walk(self, el: etree.Element) -> None:
        block = self.md.is_block_level
        text = el.text
        if text and "\n" in text and not (block(el.tag) and not text.strip()):
            el.text = self._join(text)
        for child in el:
            if not isinstance(child.tag, str):
                continue
            if child.tag not in _KEEP_NEWLINES:
                self._walk(child)
            tail = child.tail
            if not tail or "\n" not in tail:
                continue
            if child.tag == "br":
                # ``prettify`` wrote "\n" after every <br />: a hard break, wpautop leaves it.
                rest = tail[1:] if tail.startswith("\n") else tail
                child.tail = "\n" + (self._join(rest) if "\n" in rest else rest)
            elif not (block(child.tag) and not tail.strip()):
                child.tail = self._join(tail)

    def run(self, root: etree.Element) -> None:
        self._walk(root)


class SoftBreakExtension(Extension):
    """Join soft line breaks with a space so wpautop adds no ``<br />`` (see the module doc)."""

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        # After attr_list (8), which needs the newline before a trailing "{: ...}" line, and
        # after prettify (10); before unescape (0).
        md.treeprocessors.register(_SoftBreakJoiner(md), "soft_break", 4)


class _Formatter(HtmlFormatter):
    """Pygments' HTML formatter building its style tables once per style, not once per block.

    codehilite makes a formatter for every code block, and building the tables takes longer
    than highlighting a short block. The output is the same: only CSS classes are written.
    """

    _tables: dict[tuple, tuple[dict, dict]] = {}

    def _create_stylesheet(self) -> None:
        key = (self.style, self.classprefix)
        cached = self._tables.get(key)
        if cached is None:
            super()._create_stylesheet()
            self._tables[key] = (dict(self.ttype2class), dict(self.class2style))
        else:
            self.ttype2class, self.class2style = dict(cached[0]), dict(cached[1])


def build_markdown(
    posmap: PosMapExtension | None = None, extensions: Sequence[Extension] = ()
) -> Markdown:
    """A new ``Markdown`` configured as the app renders; ``extensions`` are added at the end."""
    return Markdown(
        extensions=[
            "extra",
            "toc",
            "codehilite",
            "sane_lists",
            posmap if posmap is not None else PosMapExtension(),
            SoftBreakExtension(),
            *extensions,
        ],
        extension_configs={
            "codehilite": {
                "css_class": CODE_CSS_CLASS,
                "guess_lang": False,
                "pygments_formatter": _Formatter,
            },
        },
        tab_length=TAB_LENGTH,
    )


_local = threading.local()


def _markdown() -> Markdown:
    md = getattr(_local, "md", None)
    if md is None:
        md = _local.md = build_markdown()
    return md


def render_html(text: str) -> str:
    """Markdown source (a whole post, front matter allowed) to an HTML fragment (no <html>)."""
    md = _markdown()
    md.reset()
    return md.convert(prepare(text))
